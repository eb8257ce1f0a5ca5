/* fuzz_csta_ber.c - libFuzzer target for the CSTA BER decoder: the input is one bare PDU,
 * decoded with each phase hint; every text field must stay NUL-terminated inside its buffer. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "decoders/csta_ber.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int hints[] = { 0, 2, 3 };
	for (size_t i = 0; i < sizeof hints / sizeof hints[0]; i++) {
		struct ct_csta_msg m;
		int rc = ct_csta_ber_decode(data, size, hints[i], &m);
		if (rc != CT_OK && rc != CT_EINVAL)
			__builtin_trap();
		if (memchr(m.name, 0, sizeof m.name) == NULL || memchr(m.subject, 0, sizeof m.subject) == NULL ||
		    memchr(m.conn.call_id, 0, sizeof m.conn.call_id) == NULL ||
		    memchr(m.global_call_id, 0, sizeof m.global_call_id) == NULL)
			__builtin_trap();
		volatile size_t sink = strlen(m.name) + strlen(m.cause) + strlen(m.other);
		(void)sink;
	}
	return 0;
}
