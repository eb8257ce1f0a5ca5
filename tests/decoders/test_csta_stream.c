/* test_csta_stream.c - CSTA framings over TCP: detection of each framing, and resync after a
 * gap when the messages are larger than a TCP segment (the next whole message must be found
 * even though it arrives in pieces). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "decoders/csta_stream.h"

static const char doc[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<DeliveredEvent "
	"xmlns=\"http://www.ecma-international.org/standards/ecma-323/csta/ed4\">\n"
	"<monitorCrossRefID>1</monitorCrossRefID><connection><callID>12</callID><deviceID>100</deviceID>"
	"</connection><alertingDevice><deviceIdentifier>100</deviceIdentifier></alertingDevice><callingDevice>"
	"<deviceIdentifier>200</deviceIdentifier></callingDevice><calledDevice><deviceIdentifier>100"
	"</deviceIdentifier></calledDevice><localConnectionInfo>alerting</localConnectionInfo><cause>newCall"
	"</cause></DeliveredEvent>";

static int nmsg;

static void on_msg(void *u, const struct ct_csta_msg *m, const struct ct_csta_meta *meta)
{
	(void)u;
	(void)meta;
	assert_string_equal(m->name, "delivered");
	nmsg++;
}

/* An ECMA-323 frame: 00 00, 2-byte total length, "9999", the document padded with spaces. */
static size_t xml_frame(uint8_t *out, size_t pad)
{
	size_t dl = strlen(doc) + pad, fl = 8 + dl;
	out[0] = 0;
	out[1] = 0;
	out[2] = (uint8_t)(fl >> 8);
	out[3] = (uint8_t)fl;
	memcpy(out + 4, "9999", 4);
	memcpy(out + 8, doc, strlen(doc));
	memset(out + 8 + strlen(doc), ' ', pad);
	return fl;
}

/* 20 frames; the stream is joined `skip` bytes in (after a gap) and fed in `mss`-byte
 * segments the way TCP reassembly does: unconsumed bytes are offered again with the next. */
static int run(size_t pad, size_t mss, size_t skip)
{
	static uint8_t frame[70000], stream[20 * 70000], buf[200000];
	size_t fl = xml_frame(frame, pad), sl = 20 * fl, bl = 0;
	for (int i = 0; i < 20; i++)
		memcpy(stream + (size_t)i * fl, frame, fl);
	struct ct_flow f;
	memset(&f, 0, sizeof(f));
	struct ct_counters ctr;
	memset(&ctr, 0, sizeof(ctr));
	void *s = ct_csta_stream_new(&f, CT_CSTA_F_XML, on_msg, NULL, &ctr);
	assert_non_null(s);
	ct_csta_stream_parser.gap(s, 0, 0);
	nmsg = 0;
	for (size_t p = skip; p < sl; p += mss) {
		size_t n = sl - p < mss ? sl - p : mss;
		memcpy(buf + bl, stream + p, n);
		bl += n;
		size_t off = 0;
		for (;;) {
			size_t used = 0;
			int rc = ct_csta_stream_parser.parse(s, 0, buf + off, bl - off, 0, &used);
			off += used;
			if (rc != CT_OK || used == 0)
				break;
		}
		memmove(buf, buf + off, bl - off);
		bl -= off;
	}
	ct_csta_stream_parser.close(s);
	return nmsg;
}

static void test_resync_small_messages(void **state)
{
	(void)state;
	assert_int_equal(run(0, 1400, 100), 19); /* every message after the cut one */
}

static void test_resync_messages_larger_than_a_segment(void **state)
{
	(void)state;
	assert_int_equal(run(1000, 1400, 100), 19);
	assert_int_equal(run(3000, 536, 777), 19);
}

static void test_probe_framings(void **state)
{
	(void)state;
	uint8_t f[4096];
	size_t off = 99;
	size_t n = xml_frame(f, 0);
	assert_int_equal(ct_csta_probe(f, n, false, &off), CT_CSTA_F_XML);
	assert_int_equal(off, 0);
	/* OXE: 2-byte length, then a ROSE invoke (A1) whose BER length matches */
	static const uint8_t oxe[] = { 0x00, 0x08, 0xA1, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x15 };
	assert_int_equal(ct_csta_probe(oxe, sizeof(oxe), false, &off), CT_CSTA_F_LEN2);
	/* HiPath: 0x26, length with the top bit set, the PDU */
	static const uint8_t hipath[] = { 0x26, 0x80, 0x08, 0xA1, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x15 };
	assert_int_equal(ct_csta_probe(hipath, sizeof(hipath), false, &off), CT_CSTA_F_HIPATH);
	/* SIP and HTTP are not CSTA */
	static const char sip[] = "INVITE sip:a@b SIP/2.0\r\n";
	assert_int_equal(ct_csta_probe((const uint8_t *)sip, strlen(sip), false, &off), CT_CSTA_F_NONE);
	assert_int_equal(ct_csta_probe((const uint8_t *)sip, strlen(sip), true, &off), CT_CSTA_F_NONE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_resync_small_messages),
		cmocka_unit_test(test_resync_messages_larger_than_a_segment),
		cmocka_unit_test(test_probe_framings),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
