/* test_sdp.c - SDP bodies: a real offer/answer, hold in its three spellings, IPv6, several
 * media, dynamic payload types, session vs media defaults, caps, and bodies that are not SDP. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "decoders/sdp.h"

static int parse(const char *body, struct ct_sdp *s)
{
	return ct_sdp_parse((const uint8_t *)body, strlen(body), s);
}

static void assert_slice(struct ct_slice s, const char *want)
{
	assert_non_null(s.p);
	assert_int_equal(s.len, strlen(want));
	assert_memory_equal(s.p, want, s.len);
}

static void assert_v4(const struct ct_addr *a, uint8_t b0, uint8_t b1, uint8_t b2, uint8_t b3)
{
	const uint8_t want[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, b0, b1, b2, b3 };
	assert_memory_equal(a->a, want, 16);
}

/* wiresharkwiki__SIP_DTMF2.cap frame 20: the 200 OK's SDP (the answer to an INVITE with a
 * wider codec list), and frame 22: the ACK's SDP of the other leg. */
static const char dtmf2_200ok[] = "v=0\r\n"
				  "o=SIPDECT2504 4400 1459 IN IP4 192.168.105.110\r\n"
				  "s=-\r\n"
				  "c=IN IP4 192.168.105.110\r\n"
				  "t=0 0\r\n"
				  "m=audio 4376 RTP/AVP 8 0 18 96\r\n"
				  "a=sendrecv\r\n"
				  "a=ptime:30\r\n"
				  "a=rtpmap:8 PCMA/8000\r\n"
				  "a=rtpmap:0 PCMU/8000\r\n"
				  "a=rtpmap:18 G729/8000\r\n"
				  "a=rtpmap:96 telephone-event/8000\r\n"
				  "a=fmtp:96 0-15\r\n";
static const char dtmf2_ack[] = "v=0\r\n"
				"o=SIPDECT2502 11055 10755 IN IP4 192.168.105.110\r\n"
				"s=-\r\n"
				"c=IN IP4 192.168.105.110\r\n"
				"t=0 0\r\n"
				"m=audio 4374 RTP/AVP 8 96\r\n"
				"a=sendrecv\r\n"
				"a=ptime:30\r\n"
				"a=rtpmap:8 PCMA/8000\r\n"
				"a=rtpmap:96 telephone-event/8000\r\n"
				"a=fmtp:96 0-15\r\n";

static void test_real_offer_answer(void **state)
{
	(void)state;
	struct ct_sdp s;
	assert_int_equal(parse(dtmf2_200ok, &s), CT_OK);
	assert_slice(s.origin_user, "SIPDECT2504");
	assert_slice(s.session_id, "4400");
	assert_slice(s.session_version, "1459");
	assert_true(s.has_conn);
	assert_v4(&s.conn, 192, 168, 105, 110);
	assert_int_equal(s.nmedia, 1);
	const struct ct_sdp_media *m = &s.media[0];
	assert_slice(m->type, "audio");
	assert_slice(m->proto, "RTP/AVP");
	assert_int_equal(m->port, 4376);
	assert_int_equal(m->nports, 1);
	assert_true(m->has_addr); /* from the session-level c= */
	assert_false(m->hold_addr);
	assert_v4(&m->addr, 192, 168, 105, 110);
	assert_int_equal(m->nfmt, 4);
	const uint8_t fmts[] = { 8, 0, 18, 96 };
	assert_memory_equal(m->fmt, fmts, 4);
	assert_int_equal(m->nrtpmap, 4);
	assert_int_equal(m->dir, CT_SDP_SENDRECV);
	assert_int_equal(ct_sdp_media_effective_dir(m), CT_SDP_SENDRECV);
	uint32_t clock;
	assert_slice(ct_sdp_codec(m, 96, &clock), "telephone-event");
	assert_int_equal(clock, 8000);
	assert_slice(ct_sdp_codec(m, 8, &clock), "PCMA");
	assert_false(s.truncated);

	assert_int_equal(parse(dtmf2_ack, &s), CT_OK);
	assert_int_equal(s.media[0].port, 4374);
	assert_int_equal(s.media[0].nfmt, 2);
	assert_int_equal(s.media[0].fmt[1], 96);
}

static void test_hold_sendonly_inactive(void **state)
{
	(void)state;
	struct ct_sdp s;
	/* RFC 3264 8.4 hold: the holder offers sendonly, the held side answers recvonly */
	assert_int_equal(parse("v=0\r\no=- 1 2 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n"
			       "m=audio 4000 RTP/AVP 0\r\na=sendonly\r\n",
			       &s),
			 CT_OK);
	assert_int_equal(s.media[0].dir, CT_SDP_SENDONLY);
	assert_int_equal(ct_sdp_media_effective_dir(&s.media[0]), CT_SDP_SENDONLY);
	assert_int_equal(parse("v=0\r\no=- 1 3 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n"
			       "m=audio 4000 RTP/AVP 0\r\na=inactive\r\n",
			       &s),
			 CT_OK);
	assert_int_equal(ct_sdp_media_effective_dir(&s.media[0]), CT_SDP_INACTIVE);
	assert_string_equal(ct_sdp_dir_name(CT_SDP_INACTIVE), "inactive");
}

static void test_hold_zero_address(void **state)
{
	(void)state;
	struct ct_sdp s;
	/* RFC 2543 hold: c=0.0.0.0 with no direction attribute reads as sendonly */
	assert_int_equal(parse("v=0\r\no=- 1 2 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\n"
			       "m=audio 4000 RTP/AVP 0\r\n",
			       &s),
			 CT_OK);
	assert_true(s.media[0].hold_addr); /* inherited with the session c= */
	assert_int_equal(s.media[0].dir, CT_SDP_SENDRECV);
	assert_int_equal(ct_sdp_media_effective_dir(&s.media[0]), CT_SDP_SENDONLY);
	/* 0.0.0.0 and recvonly: nothing flows either way */
	assert_int_equal(parse("v=0\r\ns=-\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\nc=IN IP4 0.0.0.0\r\na=recvonly\r\n", &s),
			 CT_OK);
	assert_int_equal(ct_sdp_media_effective_dir(&s.media[0]), CT_SDP_INACTIVE);
}

static void test_ipv6(void **state)
{
	(void)state;
	struct ct_sdp s;
	assert_int_equal(parse("v=0\r\no=- 1 2 IN IP6 2001:db8::1\r\ns=-\r\nc=IN IP6 2001:db8::1\r\nt=0 0\r\n"
			       "m=audio 5004 RTP/AVP 0\r\n"
			       "m=video 5006 RTP/AVP 31\r\nc=IN IP6 ::ffff:192.0.2.7\r\n"
			       "m=audio 5008 RTP/AVP 0\r\nc=IN IP6 fe80:0:0:0:1:2:3:4/2\r\n"
			       "m=audio 5010 RTP/AVP 0\r\nc=IN IP6 2001:db8:::1\r\n",
			       &s),
			 CT_OK);
	const uint8_t db8[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };
	assert_memory_equal(s.conn.a, db8, 16);
	assert_memory_equal(s.media[0].addr.a, db8, 16);
	assert_false(ct_addr_is_v4(&s.media[0].addr));
	/* a v4-mapped literal is the same key as c=IN IP4 192.0.2.7 */
	assert_v4(&s.media[1].addr, 192, 0, 2, 7);
	const uint8_t ll[16] = { 0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 1, 0, 2, 0, 3, 0, 4 };
	assert_memory_equal(s.media[2].addr.a, ll, 16); /* "/2" (address count) dropped */
	/* ":::" is no address: the session c= stands in */
	assert_memory_equal(s.media[3].addr.a, db8, 16);
}

static void test_multiple_media(void **state)
{
	(void)state;
	struct ct_sdp s;
	/* audio + video + a refused T.38 stream (port 0; fmt is a token under udptl) */
	assert_int_equal(parse("v=0\r\no=- 7 7 IN IP4 10.1.1.1\r\ns=-\r\nc=IN IP4 10.1.1.1\r\nt=0 0\r\n"
			       "m=audio 49170 RTP/AVP 0 8\r\n"
			       "m=video 51372/2 RTP/AVP 99\r\na=rtpmap:99 H264/90000\r\n"
			       "m=image 0 udptl t38\r\n",
			       &s),
			 CT_OK);
	assert_int_equal(s.nmedia, 3);
	assert_int_equal(s.media[1].port, 51372);
	assert_int_equal(s.media[1].nports, 2);
	uint32_t clock;
	assert_slice(ct_sdp_codec(&s.media[1], 99, &clock), "H264");
	assert_int_equal(clock, 90000);
	assert_null(ct_sdp_codec(&s.media[0], 99, &clock).p); /* rtpmaps are per section */
	assert_slice(s.media[2].type, "image");
	assert_slice(s.media[2].proto, "udptl");
	assert_int_equal(s.media[2].port, 0);
	assert_int_equal(s.media[2].nfmt, 0);
}

static void test_rtpmap_dynamic(void **state)
{
	(void)state;
	struct ct_sdp s;
	assert_int_equal(parse("v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n"
			       "m=audio 7078 RTP/AVP 9 0 13 101 105\r\n"
			       "a=rtpmap:101 telephone-event/8000\r\n"
			       "a=fmtp:101 0-16\r\n"
			       "a=rtpmap:105 CN/16000\r\n"
			       "a=rtpmap:bogus\r\n" /* malformed: ignored */
			       "a=rtcp:7079 IN IP4 10.0.0.1\r\n"
			       "a=rtcp-mux\r\n",
			       &s),
			 CT_OK);
	const struct ct_sdp_media *m = &s.media[0];
	uint32_t clock;
	assert_slice(ct_sdp_codec(m, 101, &clock), "telephone-event");
	assert_int_equal(clock, 8000);
	assert_slice(ct_sdp_codec(m, 105, &clock), "CN");
	assert_int_equal(clock, 16000);
	/* static types without an rtpmap: RFC 3551 table (G.722's RTP clock is 8000 by decree) */
	assert_slice(ct_sdp_codec(m, 9, &clock), "G722");
	assert_int_equal(clock, 8000);
	assert_slice(ct_sdp_codec(m, 13, &clock), "CN");
	assert_slice(ct_sdp_codec(m, 18, NULL), "G729");
	assert_slice(ct_sdp_codec(NULL, 4, NULL), "G723");
	assert_slice(ct_sdp_codec(NULL, 3, NULL), "GSM");
	assert_null(ct_sdp_codec(m, 102, &clock).p);
	assert_int_equal(clock, 0);
	assert_int_equal(m->nrtpmap, 2);
	assert_int_equal(m->rtcp_port, 7079);
	assert_true(m->rtcp_mux);
}

static void test_session_vs_media(void **state)
{
	(void)state;
	struct ct_sdp s;
	/* LF only, trailing blanks, an unknown line and a TTL suffix on purpose */
	assert_int_equal(parse("v=0 \n"
			       "o=alice 2890844526 2890844527 IN IP4 host.example.com\n"
			       "s=-\n"
			       "c=IN IP4 224.2.1.1/127\n"
			       "x-unknown line\n"
			       "t=0 0\n"
			       "a=recvonly\n"
			       "m=audio 49170 RTP/AVP 0\t\n"
			       "c=IN IP4 10.9.9.9\n"
			       "c=IN IP4 10.8.8.8\n" /* a second c= in a section: the first wins */
			       "a=sendrecv\n"
			       "m=audio 49180 RTP/AVP 8\n",
			       &s),
			 CT_OK);
	assert_int_equal(s.dir, CT_SDP_RECVONLY);
	assert_v4(&s.conn, 224, 2, 1, 1);
	assert_v4(&s.media[0].addr, 10, 9, 9, 9);
	assert_int_equal(s.media[0].dir, CT_SDP_SENDRECV);
	assert_v4(&s.media[1].addr, 224, 2, 1, 1); /* session c= inherited */
	assert_int_equal(s.media[1].dir, CT_SDP_RECVONLY); /* session direction inherited */
	assert_int_equal(s.media[1].fmt[0], 8);

	/* a host name in c= is not an address: has_addr stays false, the body is still SDP */
	assert_int_equal(parse("v=0\r\nc=IN IP4 media.example.com\r\nm=audio 1 RTP/AVP 0\r\n", &s), CT_OK);
	assert_false(s.has_conn);
	assert_false(s.media[0].has_addr);
}

static void test_caps_truncated(void **state)
{
	(void)state;
	struct ct_sdp s;
	char body[2048];
	size_t n = 0;
	n += (size_t)snprintf(body + n, sizeof(body) - n, "v=0\r\nc=IN IP4 10.0.0.1\r\n");
	/* 20 payload types and 17 rtpmaps in the first section, then 9 more sections */
	n += (size_t)snprintf(body + n, sizeof(body) - n, "m=audio 1000 RTP/AVP");
	for (int i = 0; i < 20; i++)
		n += (size_t)snprintf(body + n, sizeof(body) - n, " %d", 96 + i);
	n += (size_t)snprintf(body + n, sizeof(body) - n, "\r\n");
	for (int i = 0; i < 17; i++)
		n += (size_t)snprintf(body + n, sizeof(body) - n, "a=rtpmap:%d X%d/8000\r\n", 96 + i, i);
	for (int i = 1; i < 10; i++)
		n += (size_t)snprintf(body + n, sizeof(body) - n, "m=audio %d RTP/AVP 0\r\na=sendonly\r\n", 1000 + 2 * i);
	assert_true(n < sizeof(body) - 1);
	assert_int_equal(parse(body, &s), CT_OK);
	assert_true(s.truncated);
	assert_int_equal(s.media[0].nfmt, CT_SDP_MAX_FMT);
	assert_int_equal(s.media[0].fmt[15], 111);
	assert_int_equal(s.media[0].nrtpmap, CT_SDP_MAX_FMT);
	assert_int_equal(s.nmedia, CT_SDP_MAX_MEDIA);
	assert_int_equal(s.media[7].port, 1014);
	assert_int_equal(s.media[7].dir, CT_SDP_SENDONLY);

	assert_int_equal(parse(dtmf2_200ok, &s), CT_OK);
	assert_false(s.truncated);
}

static void test_not_sdp(void **state)
{
	(void)state;
	struct ct_sdp s;
	assert_int_equal(parse("", &s), CT_EINVAL);
	assert_int_equal(ct_sdp_parse(NULL, 0, &s), CT_EINVAL);
	assert_int_equal(parse("<?xml version=\"1.0\"?><csta/>", &s), CT_EINVAL);
	assert_int_equal(parse("Signal=5\r\nDuration=160\r\n", &s), CT_EINVAL); /* dtmf-relay INFO body */
	assert_int_equal(parse("v=1\r\n", &s), CT_EINVAL);
	assert_int_equal(parse("s=-\r\nv=0\r\n", &s), CT_EINVAL);
	assert_int_equal(parse("v=0\r\nm=audio\r\n", &s), CT_EINVAL);                  /* no port, no proto */
	assert_int_equal(parse("v=0\r\nm=audio 70000 RTP/AVP 0\r\n", &s), CT_EINVAL);  /* port > 65535 */
	assert_int_equal(parse("v=0\r\nm=audio 4000/0 RTP/AVP 0\r\n", &s), CT_EINVAL); /* zero ports */
	assert_int_equal(parse("v=0\r\nm=audio 4000 RTP/AVP PCMU\r\n", &s), CT_EINVAL); /* RTP fmt not a number */
	assert_int_equal(parse("v=0\r\nm=audio 4000 RTP/AVP 128\r\n", &s), CT_EINVAL);  /* PT is 7 bits */
	/* "v=0\n" then binary junk lines: ignored, not fatal; a binary m= line is */
	uint8_t bin[] = { 'v', '=', '0', '\n', 0, 0xff, '\n', 'x', '=', 0x80, '\n' };
	assert_int_equal(ct_sdp_parse(bin, sizeof(bin), &s), CT_OK);
	assert_int_equal(s.nmedia, 0);
	uint8_t binm[] = { 'v', '=', '0', '\n', 'm', '=', 0x80, '\n' };
	assert_int_equal(ct_sdp_parse(binm, sizeof(binm), &s), CT_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_offer_answer), cmocka_unit_test(test_hold_sendonly_inactive),
		cmocka_unit_test(test_hold_zero_address), cmocka_unit_test(test_ipv6),
		cmocka_unit_test(test_multiple_media),    cmocka_unit_test(test_rtpmap_dynamic),
		cmocka_unit_test(test_session_vs_media),  cmocka_unit_test(test_caps_truncated),
		cmocka_unit_test(test_not_sdp),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
