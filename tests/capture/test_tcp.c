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
		T(test_flow_memcap), T(test_expiry_flushes_queue),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
