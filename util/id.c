/* id.c - ids from keyed hashes (id.h). */
#include "id.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>

#include "hash.h"

void ct_id_bytes(char out[CT_ID_MAX], const char *kind, uint64_t seed, const void *data, size_t len)
{
	struct ct_hashkey key;
	ct_hashkey_fixed(&key, seed);
	snprintf(out, CT_ID_MAX, "%s-%016" PRIx64, kind, ct_hash(&key, data, len));
}

void ct_id(char out[CT_ID_MAX], const char *kind, uint64_t seed, const char *fmt, ...)
{
	char text[1024];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	ct_id_bytes(out, kind, seed, text, (size_t)n < sizeof(text) ? (size_t)n : sizeof(text) - 1);
}
