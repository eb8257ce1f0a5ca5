/* test_rtp.c - RTP header checks, stream accounting (RFC 3550 A.1/A.3/A.8), RFC 4733 events,
 * comfort noise, and RTCP compounds; real packets from the public captures where one exists. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "decoders/rtp.h"

#define MS 1000ULL /* ct_time_t is in microseconds */

/* A 12-byte header + `plen` payload bytes of 0xd5 into buf; returns the length. */
static size_t mk(uint8_t *buf, uint8_t pt, bool marker, uint16_t seq, uint32_t ts, uint32_t ssrc, size_t plen)
{
	const uint8_t hdr[12] = { 0x80, (uint8_t)(pt | (marker ? 0x80 : 0)), (uint8_t)(seq >> 8), (uint8_t)seq,
				  (uint8_t)(ts >> 24), (uint8_t)(ts >> 16), (uint8_t)(ts >> 8), (uint8_t)ts,
				  (uint8_t)(ssrc >> 24), (uint8_t)(ssrc >> 16), (uint8_t)(ssrc >> 8), (uint8_t)ssrc };
	memcpy(buf, hdr, 12);
	memset(buf + 12, 0xd5, plen);
	return 12 + plen;
}

static void feed(struct ct_rtp_stream *s, uint8_t pt, bool marker, uint16_t seq, uint32_t ts, uint32_t ssrc,
		 ct_time_t at)
{
	uint8_t buf[12 + 160];
	struct ct_rtp_hdr h;
	assert_int_equal(ct_rtp_parse(buf, mk(buf, pt, marker, seq, ts, ssrc, 160), &h), CT_OK);
	ct_rtp_stream_update(s, &h, at);
}

static void feed_bytes(struct ct_rtp_stream *s, const uint8_t *p, size_t len, ct_time_t at)
{
	struct ct_rtp_hdr h;
	assert_int_equal(ct_rtp_parse(p, len, &h), CT_OK);
	ct_rtp_stream_update(s, &h, at);
}

/* ---- header ---- */

static void test_header_basic(void **state)
{
	(void)state;
	/* heplify__sip_ipv4_tcp.pcap, t=4.615874: comfort noise */
	static const uint8_t cn[] = {
		0x80,                   /* V=2 P=0 X=0 CC=0 */
		0x0d,                   /* M=0 PT=13 (CN) */
		0x72, 0xc5,             /* seq 29381 */
		0x05, 0xb7, 0x04, 0xc6, /* timestamp 95880390 */
		0x5a, 0x33, 0x61, 0xb3, /* SSRC 0x5a3361b3 */
		0x3d,                   /* CN noise level 61 (-61 dBov) */
	};
	struct ct_rtp_hdr h;
	assert_int_equal(ct_rtp_parse(cn, sizeof(cn), &h), CT_OK);
	assert_int_equal(h.pt, 13);
	assert_false(h.marker);
	assert_int_equal(h.seq, 29381);
	assert_int_equal(h.ts, 95880390);
	assert_int_equal(h.ssrc, 0x5a3361b3);
	assert_int_equal(h.cc, 0);
	assert_int_equal(h.plen, 1);
	assert_int_equal(h.payload[0], 0x3d);
	assert_ptr_equal(h.payload, cn + 12);

	assert_int_equal(ct_rtp_parse(cn, 11, &h), CT_ETRUNC);
	assert_int_equal(ct_rtp_parse(cn, 12, &h), CT_OK); /* header only: empty payload */
	assert_int_equal(h.plen, 0);
	uint8_t v1[sizeof(cn)];
	memcpy(v1, cn, sizeof(cn));
	v1[0] = 0x40; /* V=1 */
	assert_int_equal(ct_rtp_parse(v1, sizeof(v1), &h), CT_EINVAL);
}

static void test_header_csrc_ext_padding(void **state)
{
	(void)state;
	static const uint8_t csrc[] = {
		0x92, 0x80 | 0x08, 0x00, 0x01, 0, 0, 0, 160, 0, 0, 0, 7, /* V=2 X=1 CC=2, M=1 PT=8 */
		0x11, 0x11, 0x11, 0x11,                                   /* CSRC 1 */
		0x22, 0x22, 0x22, 0x22,                                   /* CSRC 2 */
		0xbe, 0xde, 0x00, 0x01,                                   /* ext profile 0xBEDE, 1 word */
		0x10, 0xaa, 0x00, 0x00,                                   /* one-byte header element */
		0xd5, 0xd5,                                               /* payload */
	};
	struct ct_rtp_hdr h;
	assert_int_equal(ct_rtp_parse(csrc, sizeof(csrc), &h), CT_OK);
	assert_int_equal(h.cc, 2);
	assert_true(h.marker);
	assert_int_equal(h.pt, 8);
	assert_int_equal(h.plen, 2);
	assert_ptr_equal(h.payload, csrc + 28);
	/* CSRC list or extension cut short */
	assert_int_equal(ct_rtp_parse(csrc, 19, &h), CT_ETRUNC);
	assert_int_equal(ct_rtp_parse(csrc, 27, &h), CT_ETRUNC);
	static const uint8_t ext_long[] = { 0x90, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1,
					    0xbe, 0xde, 0xff, 0xff, /* 65535 words claimed */
					    0, 0, 0, 0 };
	assert_int_equal(ct_rtp_parse(ext_long, sizeof(ext_long), &h), CT_ETRUNC);
	static const uint8_t cc15[] = { 0x8f, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 1, 2, 3, 4 }; /* CC=15, 1 CSRC */
	assert_int_equal(ct_rtp_parse(cc15, sizeof(cc15), &h), CT_ETRUNC);

	uint8_t pad[] = { 0xa0, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, /* V=2 P=1 */
			  0xd5, 0xd5, 0xd5, 0x00, 0x00, 0x03 };     /* 3 payload + 3 padding (count 3) */
	assert_int_equal(ct_rtp_parse(pad, sizeof(pad), &h), CT_OK);
	assert_int_equal(h.plen, 3);
	pad[17] = 6; /* padding is the whole payload: legal, empty payload */
	assert_int_equal(ct_rtp_parse(pad, sizeof(pad), &h), CT_OK);
	assert_int_equal(h.plen, 0);
	pad[17] = 7; /* more padding than payload */
	assert_int_equal(ct_rtp_parse(pad, sizeof(pad), &h), CT_EINVAL);
	pad[17] = 0; /* a padding count of 0 cannot be */
	assert_int_equal(ct_rtp_parse(pad, sizeof(pad), &h), CT_EINVAL);
	assert_int_equal(ct_rtp_parse(pad, 12, &h), CT_EINVAL); /* P=1 and nothing after the header */
}

static void test_is_rtcp(void **state)
{
	(void)state;
	static const uint8_t sr[] = { 0x81, 0xc8, 0x00, 0x0c };  /* SR, PT 200 */
	static const uint8_t app[] = { 0x80, 0xcc, 0x00, 0x02 }; /* APP, PT 204 */
	static const uint8_t pcma[] = { 0x80, 0x08, 0x00, 0x01 }; /* RTP PT 8 */
	static const uint8_t mpcma[] = { 0x80, 0x88, 0x00, 0x01 }; /* RTP marker + PT 8 = 136 */
	static const uint8_t dyn[] = { 0x80, 0xe0, 0x00, 0x01 };  /* marker + PT 96 = 224: RTP */
	static const uint8_t v1[] = { 0x41, 0xc8, 0x00, 0x0c };
	assert_true(ct_rtp_is_rtcp(sr, sizeof(sr)));
	assert_true(ct_rtp_is_rtcp(app, sizeof(app)));
	assert_false(ct_rtp_is_rtcp(pcma, sizeof(pcma)));
	assert_false(ct_rtp_is_rtcp(mpcma, sizeof(mpcma)));
	assert_false(ct_rtp_is_rtcp(dyn, sizeof(dyn)));
	assert_false(ct_rtp_is_rtcp(v1, sizeof(v1)));
	assert_false(ct_rtp_is_rtcp(sr, 2));
	assert_false(ct_rtp_is_rtcp(NULL, 0));
}

/* ---- sequence accounting ---- */

static void test_seq_wrap(void **state)
{
	(void)state;
	struct ct_rtp_stream s;
	ct_rtp_stream_init(&s, 8000, 0, 0);
	const uint16_t seqs[] = { 65533, 65534, 65535, 0, 1, 2 };
	for (unsigned i = 0; i < 6; i++)
		feed(&s, 0, false, seqs[i], 160 * i, 0x1234, i * 20 * MS);
	assert_int_equal(s.packets, 6);
	assert_int_equal(ct_rtp_stream_lost(&s), 0);
	assert_int_equal(s.cycles, 65536);
	assert_int_equal(s.max_seq, 2);
	assert_int_equal(s.base_seq, 65533);
	assert_int_equal(s.bytes, 6 * 160);
	assert_int_equal(s.first, 0);
	assert_int_equal(s.last, 100 * MS);
	/* a loss across the wrap: 65535 missing */
	ct_rtp_stream_init(&s, 8000, 0, 0);
	feed(&s, 0, false, 65534, 0, 1, 0);
	feed(&s, 0, false, 0, 320, 1, 40 * MS);
	assert_int_equal(ct_rtp_stream_lost(&s), 1);
}

static void test_loss_dup_reorder(void **state)
{
	(void)state;
	struct ct_rtp_stream s;
	/* loss: 1 2 4 5 8 -> expected 8, received 5 */
	ct_rtp_stream_init(&s, 8000, 0, 0);
	const uint16_t lossy[] = { 1, 2, 4, 5, 8 };
	for (unsigned i = 0; i < 5; i++)
		feed(&s, 0, false, lossy[i], 160u * lossy[i], 7, 20 * MS * lossy[i]);
	assert_int_equal(ct_rtp_stream_lost(&s), 3);
	assert_int_equal(s.dup_or_reordered, 0);
	/* duplicate: 1 2 2 3 -> expected 3, received 4: lost -1 (A.3: duplicates offset loss) */
	ct_rtp_stream_init(&s, 8000, 0, 0);
	const uint16_t dup[] = { 1, 2, 2, 3 };
	for (unsigned i = 0; i < 4; i++)
		feed(&s, 0, false, dup[i], 160u * dup[i], 7, 20 * MS * i);
	assert_int_equal(ct_rtp_stream_lost(&s), -1);
	assert_int_equal(s.dup_or_reordered, 1);
	/* reordering: 1 3 2 4 -> nothing lost, one out of order */
	ct_rtp_stream_init(&s, 8000, 0, 0);
	const uint16_t ro[] = { 1, 3, 2, 4 };
	for (unsigned i = 0; i < 4; i++)
		feed(&s, 0, false, ro[i], 160u * ro[i], 7, 20 * MS * i);
	assert_int_equal(ct_rtp_stream_lost(&s), 0);
	assert_int_equal(s.dup_or_reordered, 1);
	assert_int_equal(s.max_seq, 4);
	/* a jump of 10000 twice in sequence: the sender restarted its numbering (A.1), not loss */
	ct_rtp_stream_init(&s, 8000, 0, 0);
	feed(&s, 0, false, 100, 0, 7, 0);
	feed(&s, 0, false, 101, 160, 7, 20 * MS);
	feed(&s, 0, false, 10101, 320, 7, 40 * MS);
	feed(&s, 0, false, 10102, 480, 7, 60 * MS);
	feed(&s, 0, false, 10103, 640, 7, 80 * MS);
	assert_int_equal(s.packets, 5);
	assert_int_equal(ct_rtp_stream_lost(&s), 0);
	assert_int_equal(s.base_seq, 10101);
}

static void test_ssrc_change(void **state)
{
	(void)state;
	struct ct_rtp_stream s;
	ct_rtp_stream_init(&s, 8000, 0, 0);
	for (unsigned i = 0; i < 5; i++) /* source A: 100..104 */
		feed(&s, 0, false, (uint16_t)(100 + i), 160 * i, 0xaaaa, i * 20 * MS);
	/* source B after a re-INVITE: 5000, (5001 lost), 5002, with unrelated timestamps */
	feed(&s, 0, false, 5000, 900000, 0xbbbb, 100 * MS);
	feed(&s, 0, false, 5002, 900320, 0xbbbb, 140 * MS);
	assert_int_equal(s.ssrc_changes, 1);
	assert_int_equal(s.ssrc, 0xbbbb);
	assert_int_equal(s.packets, 7);
	assert_int_equal(s.expected_prior, 5);
	assert_int_equal(s.received_prior, 5);
	assert_int_equal(ct_rtp_stream_lost(&s), 1);
	/* timestamps restarted with the source: no jitter from the switch */
	assert_true(s.jitter < 1e-9);
}

/* ---- jitter ---- */

static void test_jitter_known_offsets(void **state)
{
	(void)state;
	/* PCMU at 8000 Hz, 20 ms packets: RTP timestamps S = 0, 160, 320, 480, 640.
	 * Arrivals 0, 20, 45 (5 ms late), 60, 80 ms = R (in timestamp units) 0, 160, 360, 480, 640.
	 * D(i-1,i) = (Rj - Ri) - (Sj - Si), J += (|D| - J)/16   (RFC 3550 6.4.1, A.8):
	 *   p1: D = 160 - 160 = 0          J = 0
	 *   p2: D = 200 - 160 = 40         J = 40/16                    = 2.5
	 *   p3: D = 120 - 160 = -40        J = 2.5 + (40 - 2.5)/16      = 4.84375
	 *   p4: D = 160 - 160 = 0          J = 4.84375 - 4.84375/16     = 4.541015625
	 * in ms (/8): 0, 0.3125, 0.60546875, 0.567626953125; max 0.60546875;
	 * mean over p1..p4 = (0 + 0.3125 + 0.60546875 + 0.567626953125) / 4 = 0.37139892578125 */
	struct ct_rtp_stream s;
	ct_rtp_stream_init(&s, 8000, 0, 0);
	const ct_time_t at[] = { 0, 20 * MS, 45 * MS, 60 * MS, 80 * MS };
	for (unsigned i = 0; i < 5; i++)
		feed(&s, 0, false, (uint16_t)(1 + i), 160 * i, 9, 1700000000000000ULL + at[i]);
	assert_true(fabs(s.jitter - 4.541015625) < 1e-9);
	assert_true(fabs(s.jitter_ms_last - 0.567626953125) < 1e-9);
	assert_true(fabs(s.jitter_ms_max - 0.60546875) < 1e-9);
	assert_true(fabs(s.jitter_ms_mean - 0.37139892578125) < 1e-9);
	assert_int_equal(ct_rtp_stream_lost(&s), 0);

	/* the sender resets its timestamp while the sequence goes on: re-based, no jitter spike */
	feed(&s, 0, false, 6, 0, 9, 1700000000000000ULL + 100 * MS);
	feed(&s, 0, false, 7, 160, 9, 1700000000000000ULL + 120 * MS);
	assert_true(s.jitter_ms_max < 0.61);
}

/* ---- RFC 4733 events and comfort noise ---- */

static void test_dtmf_events(void **state)
{
	(void)state;
	/* heplify__FAX-Call-t38-CA-TDM-SIP-FB-1.pcap t=39.42-39.46: one event in RFC 4733 format
	 * on PT 100, sent as three end packets (2.5.1.4), with PCMA packets in between */
	static const uint8_t ev1[] = { 0x80, 0xe4, 0x03, 0xb2,   /* M=1 PT=100 seq 946 */
				       0x00, 0x02, 0x3e, 0x28,   /* ts 146984: the event start */
				       0x17, 0xd9, 0x01, 0x34,   /* SSRC */
				       0xc2, 0x80, 0x00, 0x00 }; /* event 194, E=1 vol 0, duration 0 */
	static const uint8_t ev2[] = { 0x80, 0x64, 0x03, 0xb5, 0x00, 0x02, 0x3e, 0x28, /* seq 949, same ts */
				       0x17, 0xd9, 0x01, 0x34, 0xc2, 0x80, 0x00, 0x00 };
	static const uint8_t ev3[] = { 0x80, 0x64, 0x03, 0xb8, 0x00, 0x02, 0x3e, 0x28, /* seq 952, same ts */
				       0x17, 0xd9, 0x01, 0x34, 0xc2, 0x80, 0x00, 0x00 };
	struct ct_rtp_stream s;
	ct_rtp_stream_init(&s, 8000, 100, 0);
	const ct_time_t t0 = 39419619;
	feed_bytes(&s, ev1, sizeof(ev1), t0);
	feed(&s, 8, false, 947, 147000, 0x17d90134, t0 + 6 * MS);
	feed(&s, 8, false, 948, 147160, 0x17d90134, t0 + 26 * MS);
	feed_bytes(&s, ev2, sizeof(ev2), t0 + 20 * MS);
	feed(&s, 8, false, 950, 147320, 0x17d90134, t0 + 46 * MS);
	feed(&s, 8, false, 951, 147480, 0x17d90134, t0 + 66 * MS);
	feed_bytes(&s, ev3, sizeof(ev3), t0 + 40 * MS);
	assert_int_equal(s.dtmf_events, 1);
	assert_false(s.in_dtmf);
	assert_int_equal(s.packets, 7);
	assert_int_equal(ct_rtp_stream_lost(&s), 0);
	assert_int_equal(s.pt_changes, 0); /* events are not a codec change */

	/* wiresharkwiki__SIP_DTMF2.cap t=81.53-81.65: digit 6 on PT 96, start (marker) to end */
	static const uint8_t d6[5][16] = {
		{ 0x80, 0xe0, 0xf4, 0xd4, 0xea, 0x50, 0x4b, 0xd9, 0x57, 0x11, 0xbf, 0x84, 0x06, 0x07, 0x00, 0x00 }, /* M, dur 0 */
		{ 0x80, 0x60, 0xf4, 0xd5, 0xea, 0x50, 0x4b, 0xd9, 0x57, 0x11, 0xbf, 0x84, 0x06, 0x07, 0x00, 0xf0 }, /* dur 240 */
		{ 0x80, 0x60, 0xf4, 0xd6, 0xea, 0x50, 0x4b, 0xd9, 0x57, 0x11, 0xbf, 0x84, 0x06, 0x07, 0x01, 0xe0 }, /* dur 480 */
		{ 0x80, 0x60, 0xf4, 0xd7, 0xea, 0x50, 0x4b, 0xd9, 0x57, 0x11, 0xbf, 0x84, 0x06, 0x07, 0x02, 0xd0 }, /* dur 720 */
		{ 0x80, 0x60, 0xf4, 0xd8, 0xea, 0x50, 0x4b, 0xd9, 0x57, 0x11, 0xbf, 0x84, 0x06, 0x87, 0x03, 0xc0 }, /* E, 960 */
	};
	ct_rtp_stream_init(&s, 8000, 96, 0);
	for (unsigned i = 0; i < 4; i++)
		feed_bytes(&s, d6[i], 16, 81528601 + i * 30 * MS);
	assert_int_equal(s.dtmf_events, 1);
	assert_true(s.in_dtmf); /* started, end not seen yet */
	feed_bytes(&s, d6[4], 16, 81648600);
	assert_false(s.in_dtmf);
	/* the next digit has its own timestamp: a second event */
	feed(&s, 96, true, 0xf4d9, 0xea504bd9 + 2000, 0x5711bf84, 81800000);
	assert_int_equal(s.dtmf_events, 2);
	assert_int_equal(s.jitter, 0); /* events are not timed (RFC 4733 2.2.1) */
}

static void test_comfort_noise(void **state)
{
	(void)state;
	struct ct_rtp_stream s;
	ct_rtp_stream_init(&s, 16000, 0, 105);
	s.codec_pt = 96; /* a dynamic wideband codec, with CN/16000 on 105 */
	feed(&s, 96, false, 1, 0, 5, 0);
	feed(&s, 13, false, 2, 320, 5, 20 * MS);   /* static CN */
	feed(&s, 105, false, 3, 640, 5, 40 * MS);  /* dynamic CN from SDP */
	feed(&s, 96, true, 4, 6400, 5, 400 * MS);  /* talk spurt resumes */
	feed(&s, 0, false, 5, 6560, 5, 420 * MS);  /* codec switch to PCMU */
	assert_int_equal(s.cn_packets, 2);
	assert_int_equal(s.pt_changes, 1);
	assert_int_equal(s.pt, 0);
	assert_int_equal(s.clock_rate, 16000);
	ct_rtp_stream_init(&s, 0, 0, 0);
	assert_int_equal(s.clock_rate, 8000); /* the default */
}

/* A new offer declares the stream's payload type again after its first packets: 96, the codec
 * until then, is now telephone-event. After ct_rtp_stream_retyped() the next packets of PT 96
 * are events, not timed media (without it the stream's short path, which keeps the last
 * packet's PT and clock, went on timing them). */
static void test_retyped(void **state)
{
	(void)state;
	struct ct_rtp_stream s;
	ct_rtp_stream_init(&s, 8000, 0, 0);
	s.codec_pt = 96;
	for (unsigned i = 0; i < 5; i++)
		feed(&s, 96, false, (uint16_t)(100 + i), 1000 + i * 160, 7, i * 20 * MS + (i == 3 ? 3 * MS : 0));
	double jitter = s.jitter;
	assert_true(jitter > 0);
	assert_int_equal(s.dtmf_events, 0);
	s.dtmf_pt = 96;
	s.codec_pt = 0;
	ct_rtp_stream_retyped(&s);
	for (unsigned i = 5; i < 8; i++) /* one event: three packets of one timestamp */
		feed(&s, 96, i == 5, (uint16_t)(100 + i), 1800, 7, i * 20 * MS + 7 * MS);
	assert_int_equal(s.dtmf_events, 1);
	assert_int_equal(s.pt_changes, 0);
	assert_true(s.jitter == jitter); /* events are not timed */
	assert_int_equal(s.packets, 8);
}

/* ---- RTCP ---- */

/* wiresharkwiki__SIP_CALL_RTP_G711.pcap frame 504: SR + RR */
static const uint8_t sr_rr[] = {
	0x81, 0xc8, 0x00, 0x0c,                         /* V=2 RC=1 SR, length 12 (52 bytes) */
	0xd2, 0xbd, 0x4e, 0x3e,                         /* sender SSRC */
	0xc5, 0x92, 0x86, 0xd4, 0xe6, 0xe9, 0x78, 0xd5, /* NTP timestamp */
	0x00, 0x00, 0x01, 0x40,                         /* RTP timestamp */
	0x00, 0x00, 0x00, 0x02,                         /* sender's packet count 2 */
	0x00, 0x00, 0x01, 0x40,                         /* sender's octet count 320 */
	0xd2, 0xbd, 0x4e, 0x3e,                         /* block 1: about SSRC 0xd2bd4e3e */
	0x00, 0x00, 0x00, 0x00,                         /*   fraction 0, cumulative 0 */
	0x00, 0x02, 0x00, 0x02,                         /*   extended highest seq */
	0x00, 0x00, 0x00, 0x00,                         /*   jitter 0 */
	0x86, 0xd4, 0xe6, 0xe9, 0x00, 0x00, 0x00, 0x01, /*   LSR, DLSR */
	0x81, 0xc9, 0x00, 0x07,                         /* V=2 RC=1 RR, length 7 (32 bytes) */
	0xd2, 0xbd, 0x4e, 0x3e,                         /* reporter SSRC */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* block about SSRC 0, fraction/cumulative 0 */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /*   extended seq, jitter */
	0x86, 0xd4, 0xe6, 0xe9, 0x00, 0x00, 0x00, 0x01, /*   LSR, DLSR */
};

static void test_rtcp_sr_sdes(void **state)
{
	(void)state;
	struct ct_rtcp_info r;
	assert_int_equal(ct_rtcp_parse(sr_rr, sizeof(sr_rr), &r), CT_OK);
	assert_int_equal(r.sr, 1);
	assert_int_equal(r.rr, 1);
	assert_int_equal(r.sender_ssrc, 0xd2bd4e3e);
	assert_int_equal(r.sr_packets, 2);
	assert_int_equal(r.sr_octets, 320);
	assert_true(r.have_rr);
	assert_int_equal(r.rr_ssrc, 0xd2bd4e3e); /* the first block: the SR's */

	/* same capture, frame 521: SR with one report block + SDES with a CNAME */
	static const uint8_t sr_sdes[] = {
		0x81, 0xc8, 0x00, 0x0c, 0x58, 0xf3, 0x3d, 0xea,                         /* SR, SSRC 0x58f33dea */
		0x00, 0x02, 0x4f, 0xe4, 0x1c, 0x6a, 0x7e, 0xd9,                         /* NTP */
		0x11, 0x47, 0x31, 0xa2, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0xa0, /* RTP ts, 1 packet, 160 octets */
		0xd2, 0xbd, 0x4e, 0x3e, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, /* block about 0xd2bd4e3e */
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x81, 0xca, 0x00, 0x08, 0x58, 0xf3, 0x3d, 0xea,                         /* SDES, 1 chunk, 36 bytes */
		0x01, 0x16, 'A', 'C', 'L', 'T', 'P', ' ', 'C', 'h', 'a', 'n', 'n', 'e', 'l', /* CNAME, 22 chars */
		'H', 'a', 'n', 'd', 'l', 'e', ' ', '3', '0', 0x00, 0x00, 0x00, 0x00,     /* end + pad to 32 bits */
	};
	assert_int_equal(ct_rtcp_parse(sr_sdes, sizeof(sr_sdes), &r), CT_OK);
	assert_int_equal(r.sr, 1);
	assert_int_equal(r.sdes, 1);
	assert_int_equal(r.rr, 0);
	assert_int_equal(r.sender_ssrc, 0x58f33dea);
	assert_int_equal(r.sr_packets, 1);
	assert_int_equal(r.sr_octets, 160);
}

static void test_rtcp_rr(void **state)
{
	(void)state;
	static const uint8_t rr[] = {
		0x81, 0xc9, 0x00, 0x07, /* RR, RC=1 */
		0x00, 0x00, 0x00, 0x2a, /* reporter */
		0xca, 0xfe, 0x00, 0x01, /* about SSRC 0xcafe0001 */
		0x40,                   /* fraction lost 64/256 = 25 % */
		0xff, 0xff, 0xfe,       /* cumulative lost -2 (duplicates outnumber losses) */
		0x00, 0x01, 0x00, 0x10, /* extended highest seq 65552 */
		0x00, 0x00, 0x00, 0x50, /* jitter 80 timestamp units (10 ms at 8 kHz) */
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x81, 0xcb, 0x00, 0x01, 0x00, 0x00, 0x00, 0x2a, /* BYE */
		0x80, 0xcc, 0x00, 0x02, 0x00, 0x00, 0x00, 0x2a, 'n', 'a', 'm', 'e', /* APP */
		0x80, 0xce, 0x00, 0x01, 0x00, 0x00, 0x00, 0x2a, /* PSFB: other */
	};
	struct ct_rtcp_info r;
	assert_int_equal(ct_rtcp_parse(rr, sizeof(rr), &r), CT_OK);
	assert_int_equal(r.rr, 1);
	assert_int_equal(r.bye, 1);
	assert_int_equal(r.app, 1);
	assert_int_equal(r.other, 1);
	assert_true(r.have_rr);
	assert_int_equal(r.rr_ssrc, 0xcafe0001);
	assert_int_equal(r.fraction_lost, 64);
	assert_int_equal(r.cum_lost, -2);
	assert_int_equal(r.rr_jitter, 80);
}

static void test_rtcp_bad(void **state)
{
	(void)state;
	struct ct_rtcp_info r;
	assert_int_equal(ct_rtcp_parse(sr_rr, 0, &r), CT_EINVAL);
	assert_int_equal(ct_rtcp_parse(sr_rr, 3, &r), CT_EINVAL);               /* half a header */
	assert_int_equal(ct_rtcp_parse(sr_rr, 52 + 4, &r), CT_EINVAL);          /* RR's length runs past */
	assert_int_equal(ct_rtcp_parse(sr_rr, sizeof(sr_rr) - 4, &r), CT_EINVAL);
	uint8_t buf[sizeof(sr_rr) + 2];
	memcpy(buf, sr_rr, sizeof(sr_rr));
	buf[sizeof(sr_rr)] = 0x80; /* two stray bytes after the chain */
	buf[sizeof(sr_rr) + 1] = 0xc8;
	assert_int_equal(ct_rtcp_parse(buf, sizeof(buf), &r), CT_EINVAL);
	memcpy(buf, sr_rr, sizeof(sr_rr));
	buf[0] = 0x41; /* version 1 */
	assert_int_equal(ct_rtcp_parse(buf, sizeof(sr_rr), &r), CT_EINVAL);
	buf[0] = 0xa1; /* padding on the first packet of two */
	assert_int_equal(ct_rtcp_parse(buf, sizeof(sr_rr), &r), CT_EINVAL);
	buf[0] = 0x83; /* RC=3: three blocks do not fit in 52 bytes */
	assert_int_equal(ct_rtcp_parse(buf, sizeof(sr_rr), &r), CT_EINVAL);
	static const uint8_t short_sr[] = { 0x80, 0xc8, 0x00, 0x01, 0, 0, 0, 1 }; /* SR with only an SSRC */
	assert_int_equal(ct_rtcp_parse(short_sr, sizeof(short_sr), &r), CT_EINVAL);
	static const uint8_t padded_rr[] = { 0xa0, 0xc9, 0x00, 0x02, 0, 0, 0, 1, 0, 0, 0, 4 }; /* RR + 4 padding */
	assert_int_equal(ct_rtcp_parse(padded_rr, sizeof(padded_rr), &r), CT_OK);
	static const uint8_t badpad[] = { 0xa0, 0xc9, 0x00, 0x02, 0, 0, 0, 1, 0, 0, 0, 9 }; /* pad 9 > 8 */
	assert_int_equal(ct_rtcp_parse(badpad, sizeof(badpad), &r), CT_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header_basic),      cmocka_unit_test(test_header_csrc_ext_padding),
		cmocka_unit_test(test_is_rtcp),           cmocka_unit_test(test_seq_wrap),
		cmocka_unit_test(test_loss_dup_reorder),  cmocka_unit_test(test_ssrc_change),
		cmocka_unit_test(test_jitter_known_offsets), cmocka_unit_test(test_dtmf_events),
		cmocka_unit_test(test_comfort_noise),     cmocka_unit_test(test_retyped),
		cmocka_unit_test(test_rtcp_sr_sdes),
		cmocka_unit_test(test_rtcp_rr),           cmocka_unit_test(test_rtcp_bad),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
