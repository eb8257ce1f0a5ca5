/* test_tcp.c - TCP reassembly: each byte delivered once and in order, whatever the
 * capture did to the segments (RFC 9293 sequence space). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "frames.h"

#define A "10.1.0.1"
#define B "10.1.0.2"
#define S CT_TCP_SYN
#define K CT_TCP_ACK
#define F CT_TCP_FIN
#define R CT_TCP_RST
#define P (CT_TCP_PSH | CT_TCP_ACK)

static struct harness h;

static void cfg_small(struct ct_capture_cfg *cfg)
{
	cfg->tcp_flow_memcap = 64; /* bytes: small enough to hit in a test */
}

static int setup(void **state)
{
	(void)state;
	h_init(&h, NULL);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	h_free(&h);
	return 0;
}

/* client A:40000 -> server B:5060; client ISN 1000, server ISN 5000 */
static void handshake(uint32_t cisn, uint32_t sisn)
{
	h_tcp(&h, 1000000, A, 40000, B, 5060, cisn, 0, S, "");
	h_tcp(&h, 1000100, B, 5060, A, 40000, sisn, cisn + 1, S | K, "");
	h_tcp(&h, 1000200, A, 40000, B, 5060, cisn + 1, sisn + 1, K, "");
}

static void assert_stream(int dir, const char *text)
{
	assert_non_null(h.stream);
	assert_int_equal(h.stream->len[dir], strlen(text));
	assert_memory_equal(h.stream->buf[dir], text, strlen(text));
}

static void test_in_order(void **state)
{
	(void)state;
	handshake(1000, 5000);
	h_tcp(&h, 1000300, A, 40000, B, 5060, 1001, 5001, P, "INVITE ");
	h_tcp(&h, 1000400, A, 40000, B, 5060, 1008, 5001, P, "sip:x");
	h_tcp(&h, 1000500, B, 5060, A, 40000, 5001, 1013, P, "SIP/2.0 100");
	assert_stream(0, "INVITE sip:x");
	assert_stream(1, "SIP/2.0 100");
	assert_int_equal(h.ctr.flows_tcp, 1);
	assert_int_equal(h.ctr.tcp_midstream, 0);
	assert_int_equal(h.ctr.tcp_gaps, 0);
}

static void test_out_of_order(void **state)
{
	(void)state;
	handshake(1000, 5000);
	h_tcp(&h, 1000300, A, 40000, B, 5060, 1009, 5001, P, "CCC");
	h_tcp(&h, 1000400, A, 40000, B, 5060, 1005, 5001, P, "BBBB");
	assert_int_equal(h.stream->len[0], 0); /* nothing before the hole at 1001 */
	h_tcp(&h, 1000500, A, 40000, B, 5060, 1001, 5001, P, "AAAA");
	assert_stream(0, "AAAABBBBCCC");
	assert_int_equal(h.ctr.tcp_ooo, 2);
}

static void test_retransmission_and_overlap(void **state)
{
	(void)state;
	handshake(1000, 5000);
	h_tcp(&h, 1000300, A, 40000, B, 5060, 1001, 5001, P, "hello ");
	h_tcp(&h, 1000400, A, 40000, B, 5060, 1001, 5001, P, "hello ");      /* retransmission */
	h_tcp(&h, 1000500, A, 40000, B, 5060, 1004, 5001, P, "XX world");    /* overlaps 3 bytes */
	assert_stream(0, "hello world"); /* first bytes win: the overlap's "XX " is not delivered */
	assert_int_equal(h.ctr.tcp_retrans, 1);
	assert_int_equal(h.ctr.tcp_overlap, 1);
}

static void test_overlapping_queue(void **state)
{
	(void)state;
	handshake(1000, 5000);
	/* queued segments overlapping each other are delivered once, in order */
	h_tcp(&h, 1000300, A, 40000, B, 5060, 1005, 5001, P, "efgh");
	h_tcp(&h, 1000400, A, 40000, B, 5060, 1003, 5001, P, "cdef");
	h_tcp(&h, 1000500, A, 40000, B, 5060, 1007, 5001, P, "ghij");
	h_tcp(&h, 1000600, A, 40000, B, 5060, 1001, 5001, P, "ab");
	assert_stream(0, "abcdefghij");
}

static void test_sequence_wrap(void **state)
{
	(void)state;
	handshake(0xfffffff0u, 5000);
	/* data starts at 0xfffffff1 and crosses 2^32 */
	h_tcp(&h, 1000300, A, 40000, B, 5060, 0xfffffff1u, 5001, P, "0123456789");
	h_tcp(&h, 1000400, A, 40000, B, 5060, 0x00000009u, 5001, P, "WXYZ"); /* out of order, past the wrap */
	h_tcp(&h, 1000500, A, 40000, B, 5060, 0xfffffffbu, 5001, P, "abcdefghijklmn");
	assert_stream(0, "0123456789abcdefghijklmnWXYZ");
	assert_int_equal(h.ctr.tcp_gaps, 0);
}

static void test_midstream_join(void **state)
{
	(void)state;
	/* no handshake: the capture started during the connection */
	h_tcp(&h, 1000000, B, 5060, A, 40000, 777777, 12345, P, "SIP/2.0 200 OK\r\n");
	h_tcp(&h, 1000100, A, 40000, B, 5060, 12345, 777793, P, "ACK sip:b\r\n");
	assert_int_equal(h.ctr.tcp_midstream, 2);
	/* the first packet came from B, so B is direction 0 */
	assert_stream(0, "SIP/2.0 200 OK\r\n");
	assert_stream(1, "ACK sip:b\r\n");
}

static void test_gap_acked_by_peer(void **state)
{
	(void)state;
	handshake(1000, 5000);
	h_tcp(&h, 1000300, A, 40000, B, 5060, 1001, 5001, P, "one ");
	/* bytes 1005..1008 never reach the capture */
	h_tcp(&h, 1000500, A, 40000, B, 5060, 1009, 5001, P, "three");
	assert_stream(0, "one ");
	/* the server acknowledges past the hole: it got the bytes, we never will */
	h_tcp(&h, 1000600, B, 5060, A, 40000, 5001, 1014, K, "");
	assert_stream(0, "one three");
	assert_int_equal(h.stream->gaps[0], 1);
	assert_int_equal(h.stream->gap_bytes[0], 4);
	assert_int_equal(h.ctr.tcp_gaps, 1);
	assert_int_equal(h.ctr.tcp_gap_bytes, 4);
}

static void test_gap_timeout(void **state)
{
	(void)state;
	handshake(1000, 5000);
	h_tcp(&h, 1000300, A, 40000, B, 5060, 1005, 5001, P, "late");
	/* tcp.ooo_timeout (10 s) later, with no ACK to tell, the hole is given up */
	h_tcp(&h, 12000000, A, 40000, B, 5060, 1009, 5001, P, "!");
	h_end_of_input(&h);
	assert_stream(0, "late!");
	assert_int_equal(h.stream->gaps[0], 1);
	assert_int_equal(h.stream->gap_bytes[0], 4);
}

static void test_fin_and_close(void **state)
{
	(void)state;
	handshake(1000, 5000);
	h_tcp(&h, 1000300, A, 40000, B, 5060, 1001, 5001, P | F, "BYE");
	h_tcp(&h, 1000400, B, 5060, A, 40000, 5001, 1005, K | F, "");
	h_tcp(&h, 1000500, A, 40000, B, 5060, 1005, 5002, K, "");
	assert_stream(0, "BYE");
	assert_int_equal(h.ctr.tcp_fin, 2);
	assert_int_equal(h.stream->closes, 0);
	/* the closed flow is kept flow.tcp_closed_timeout (10 s) for late segments, then ends */
	h_tcp(&h, 20000000, "10.9.9.9", 1, "10.9.9.8", 2, 1, 0, S, "");
	h_end_of_input(&h);
	assert_int_equal(h.streams[0]->closes, 1);
	assert_int_equal(h.ctr.flows_expired, 1);
}

static void test_rst_then_port_reuse(void **state)
{
	(void)state;
	handshake(1000, 5000);
	h_tcp(&h, 1000300, A, 40000, B, 5060, 1001, 5001, P, "first");
	h_tcp(&h, 1000400, B, 5060, A, 40000, 5001, 1006, R, "");
	assert_int_equal(h.ctr.tcp_rst, 1);
	/* a retransmitted SYN of the old connection is not a new one */
	h_tcp(&h, 1000450, A, 40000, B, 5060, 1000, 0, S, "");
	assert_int_equal(h.nstreams, 1);
	/* a new SYN with another ISN on the same ports is a new stream, as tshark counts them */
	handshake(90000, 70000);
	h_tcp(&h, 1000800, A, 40000, B, 5060, 90001, 70001, P, "second");
	assert_int_equal(h.nstreams, 2);
	assert_int_equal(h.ctr.flows_tcp, 2);
	assert_int_equal(h.streams[0]->closes, 1);
	assert_int_equal(h.streams[0]->len[0], 5);
	assert_stream(0, "second");
}

static void test_need_more(void **state)
{
	(void)state;
	h.line_mode = 1; /* the parser only takes whole lines */
	handshake(1000, 5000);
	h_tcp(&h, 1000300, A, 40000, B, 5060, 1001, 5001, P, "INVITE sip:");
	assert_int_equal(h.stream->len[0], 0);
	h_tcp(&h, 1000400, A, 40000, B, 5060, 1012, 5001, P, "a SIP/2.0\nVia: x");
	assert_stream(0, "INVITE sip:a SIP/2.0\n");
	h_tcp(&h, 1000500, A, 40000, B, 5060, 1028, 5001, P, "\nTo: b\nFrom");
	assert_stream(0, "INVITE sip:a SIP/2.0\nVia: x\nTo: b\n");
	assert_int_equal(h.stream->messages[0], 3);
}

static void test_parser_error_resync(void **state)
{
	(void)state;
	h.line_mode = 1;
	h.error_byte = 0xff;
	handshake(1000, 5000);
	h_tcp(&h, 1000300, A, 40000, B, 5060, 1001, 5001, P, "partial\xff garbage");
	assert_int_equal(h.ctr.tcp_parse_errors, 1);
	assert_int_equal(h.stream->gaps[0], 1); /* the parser was told to resync */
	h_tcp(&h, 1000400, A, 40000, B, 5060, 1017, 5001, P, "next line\n");
	assert_stream(0, "next line\n");
}

static void test_flow_memcap(void **state)
{
	(void)state;
	h_free(&h);
	h_init(&h, cfg_small);
	h.line_mode = 1;
	handshake(1000, 5000);
	/* a "line" longer than tcp.flow_memcap never completes: it is dropped, not buffered forever */
	char big[80];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	h_tcp(&h, 1000300, A, 40000, B, 5060, 1001, 5001, P, big);
	assert_int_equal(h.ctr.tcp_flow_memcap, 1);
	assert_int_equal(h.stream->gaps[0], 1);
	h_tcp(&h, 1000400, A, 40000, B, 5060, 1080, 5001, P, "ok\n");
	assert_stream(0, "ok\n");
	/* out-of-order data over the cap forces the hole before it to be skipped */
	h_tcp(&h, 1000500, A, 40000, B, 5060, 1183, 5001, P, "0123456789012345678901234567890123456789\n");
	h_tcp(&h, 1000600, A, 40000, B, 5060, 1224, 5001, P, "0123456789012345678901234567890123456789\n");
	assert_true(h.ctr.tcp_flow_memcap >= 2);
	assert_true(h.ctr.tcp_gaps >= 1);
	assert_int_equal(h.stream->messages[0], 3);
}

static void cfg_memcap(struct ct_capture_cfg *cfg)
{
	cfg->tcp_memcap = 4096; /* bytes: 32 half-messages of 70 bytes at 128 each */
}

/* client port p of many: SYN-less data (mid-stream join) */
static void half_message(uint16_t port, ct_time_t ts, const char *text)
{
	h_tcp(&h, ts, A, port, B, 5060, 7000, 9000, P, text);
}

/* tcp.memcap_mb is charged with what is held: a 70-byte half-message costs 128 bytes (rounded
 * to 64), not a 2 KiB buffer, and an emptied buffer costs nothing. */
static void test_memcap_charges_bytes_held(void **state)
{
	(void)state;
	h.line_mode = 1;
	char seventy[71];
	memset(seventy, 'i', 70);
	seventy[70] = '\0';
	half_message(41000, 1000000, seventy);
	assert_int_equal(h.cap.tcp.mem, 128);
	h_tcp(&h, 1000100, A, 41000, B, 5060, 7070, 9000, P, "\n");
	assert_int_equal(h.stream->messages[0], 1);
	assert_int_equal(h.cap.tcp.mem, 0);
	assert_null(h.cap.tcp.unproven.head);
	assert_null(h.cap.tcp.proven.head);
}

/* A flood of tiny half-messages fills tcp.memcap; a real message in several segments on a new
 * connection still gets through: the flood's buffers give way, oldest first, counted. */
static void test_memcap_evicts_streams_without_a_message(void **state)
{
	(void)state;
	h_free(&h);
	h_init(&h, cfg_memcap);
	h.line_mode = 1;
	char seventy[71];
	memset(seventy, 'f', 70);
	seventy[70] = '\0';
	for (uint16_t i = 0; i < 40; i++)
		half_message((uint16_t)(42000 + i), 1000000 + i, seventy);
	assert_true(h.cap.tcp.mem <= 4096);
	/* 40 x 128 bytes against 4096: the oldest gave way, the newest did not */
	assert_true(h.ctr.tcp_evicted >= 5 && h.ctr.tcp_evicted <= 8);
	assert_int_equal(h.streams[0]->gaps[0], 1);
	assert_int_equal(h.streams[39]->gaps[0], 0);
	assert_int_equal(h.ctr.tcp_memcap, 0);
	uint64_t evicted = h.ctr.tcp_evicted;
	unsigned flood = h.nstreams;
	/* the real message: 3000 bytes in three segments, then its end */
	char part[1001];
	memset(part, 'R', 1000);
	part[1000] = '\0';
	h_tcp(&h, 2000000, "10.1.0.9", 5060, B, 5060, 100, 200, P, part);
	h_tcp(&h, 2000100, "10.1.0.9", 5060, B, 5060, 1100, 200, P, part);
	h_tcp(&h, 2000200, "10.1.0.9", 5060, B, 5060, 2100, 200, P, part);
	h_tcp(&h, 2000300, "10.1.0.9", 5060, B, 5060, 3100, 200, P, "\n");
	struct h_stream *real = h.streams[flood];
	assert_int_equal(real->messages[0], 1);
	assert_int_equal(real->len[0], 3001);
	assert_int_equal(real->gaps[0], 0);
	assert_int_equal(h.ctr.tcp_memcap, 0);
	assert_true(h.ctr.tcp_evicted > evicted);
	assert_true(h.cap.tcp.mem <= 4096);
}

/* A stream that carried a message is never evicted for one that did not: the latter's
 * message is the one dropped. */
static void test_memcap_keeps_proven_streams(void **state)
{
	(void)state;
	h_free(&h);
	h_init(&h, cfg_memcap);
	h.line_mode = 1;
	half_message(43000, 1000000, "first line\n");
	char big[3001];
	memset(big, 'p', 3000);
	big[3000] = '\0';
	h_tcp(&h, 1000100, A, 43000, B, 5060, 7011, 9000, P, big); /* proven, holding 3000 bytes */
	struct h_stream *proven = h.stream;
	char other[2001];
	memset(other, 'u', 2000);
	other[2000] = '\0';
	half_message(43001, 1000200, other); /* does not fit beside it */
	assert_int_equal(h.ctr.tcp_evicted, 0);
	assert_int_equal(h.ctr.tcp_memcap, 1);
	assert_int_equal(h.stream->gaps[0], 1);
	assert_int_equal(proven->gaps[0], 0);
	h_tcp(&h, 1000300, A, 43000, B, 5060, 10011, 9000, P, "\n");
	assert_int_equal(proven->messages[0], 2);
	assert_int_equal(proven->len[0], 11 + 3001);
}

static void test_expiry_flushes_queue(void **state)
{
	(void)state;
	handshake(1000, 5000);
	h_tcp(&h, 1000300, A, 40000, B, 5060, 1001, 5001, P, "head ");
	h_tcp(&h, 1000400, A, 40000, B, 5060, 1010, 5001, P, "tail");
	/* the connection goes silent; shutdown delivers what was queued across the hole */
	ct_capture_free(&h.cap);
	assert_int_equal(h.ctr.tcp_gaps, 1);
	assert_int_equal(h.streams[0]->closes, 1);
	assert_int_equal(h.streams[0]->len[0], 9);
	assert_memory_equal(h.streams[0]->buf[0], "head tail", 9);
	for (unsigned i = 0; i < h.nstreams; i++)
		free(h.streams[i]);
	h_init(&h, NULL); /* for teardown */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_in_order), T(test_out_of_order), T(test_retransmission_and_overlap), T(test_overlapping_queue),
		T(test_sequence_wrap), T(test_midstream_join), T(test_gap_acked_by_peer), T(test_gap_timeout),
		T(test_fin_and_close), T(test_rst_then_port_reuse), T(test_need_more), T(test_parser_error_resync),
		T(test_memcap_charges_bytes_held), T(test_memcap_evicts_streams_without_a_message),
		T(test_memcap_keeps_proven_streams),
		T(test_flow_memcap), T(test_expiry_flushes_queue),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
