/* fuzz_csta_xml.c - libFuzzer target for the CSTA XML decoder (ECMA-323 through libxml2): the
 * input is one document. Every text field must come back NUL-terminated inside its buffer, and
 * a rejected document must leave the message empty. The document is decoded twice, on a
 * decoder kept across every input of the run and on a fresh one: the two must agree byte for
 * byte (nothing of one document may reach the next through the reused parser context). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "decoders/csta_xml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK_STR(f)                                                                                                   \
	do {                                                                                                           \
		if (memchr((f), '\0', sizeof(f)) == NULL)                                                              \
			__builtin_trap();                                                                              \
		sink += strlen(f);                                                                                     \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ct_csta_xml *kept;
	if (!kept && !(kept = ct_csta_xml_new()))
		__builtin_trap();
	struct ct_csta_msg m, r;
	enum ct_csta_xml_reject why, rwhy;
	memset(&m, 0, sizeof m); /* padding compared below */
	memset(&r, 0, sizeof r);
	int rc = ct_csta_xml_decode_why(data, size, &m, &why);
	int rrc = ct_csta_xml_parse(kept, data, size, &r, &rwhy);
	if (rrc != rc || rwhy != why || memcmp(&m, &r, sizeof m) != 0)
		__builtin_trap();
	if (rc != CT_OK) {
		if (why == CT_CSTA_XML_OK || m.kind != CT_CSTA_UNKNOWN || m.name[0])
			__builtin_trap();
		return 0;
	}
	if (why != CT_CSTA_XML_OK || m.encoding != CT_CSTA_XML || m.kind > CT_CSTA_ABRT)
		__builtin_trap();
	volatile size_t sink = 0;
	CHECK_STR(m.name);
	CHECK_STR(m.category);
	CHECK_STR(m.xref);
	CHECK_STR(m.conn.call_id);
	CHECK_STR(m.conn.device);
	CHECK_STR(m.conn2.call_id);
	CHECK_STR(m.conn2.device);
	CHECK_STR(m.subject);
	CHECK_STR(m.calling);
	CHECK_STR(m.called);
	CHECK_STR(m.other);
	CHECK_STR(m.local_state);
	CHECK_STR(m.cause);
	CHECK_STR(m.correlator);
	CHECK_STR(m.user_data);
	CHECK_STR(m.global_call_id);
	CHECK_STR(m.agent_state);
	CHECK_STR(m.agent_id);
	CHECK_STR(m.reason);
	CHECK_STR(m.monitor_device);
	CHECK_STR(m.error);
	CHECK_STR(m.system_status);
	CHECK_STR(m.ns);
	(void)sink;
	return 0;
}
