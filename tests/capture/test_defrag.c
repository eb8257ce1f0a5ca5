/* test_defrag.c - IPv4 and IPv6 fragment reassembly and its stated policies (defrag.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "frames.h"

static struct harness h;
static struct fb f;

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

/* The whole UDP datagram (header + text) the fragments below are cut from. */
static uint8_t dgram[4096];
static size_t dgram_len;

static void make_dgram(size_t text_len)
{
	struct fb d;
	char text[4000];
	for (size_t i = 0; i < text_len; i++)
		text[i] = (char)('a' + i % 26);
	fb_payload(&d, text, text_len);
	fb_udp(&d, 5060, 5060);
	dgram_len = fb_len(&d);
	memcpy(dgram, fb_data(&d), dgram_len);
}

/* IPv4 fragment of dgram[off, off+len) with ID id; mf = more fragments. */
static void v4_frag(ct_time_t ts, uint16_t id, size_t off, size_t len, int mf, const uint8_t *override)
{
	fb_payload(&f, override ? override : dgram + off, len);
	fb_ipv4(&f, "10.2.0.1", "10.2.0.2", 17, id, (uint16_t)((mf ? 0x2000 : 0) | (off / 8)), 64);
	fb_eth(&f, 0x0800);
	h_frame(&h, CT_LINK_ETHERNET, ts, fb_data(&f), fb_len(&f));
}

static void v6_frag(ct_time_t ts, uint32_t id, size_t off, size_t len, int mf)
{
	fb_payload(&f, dgram + off, len);
	fb_ipv6_frag(&f, 17, (uint16_t)off, mf, id);
	fb_ipv6(&f, "2001:db8::a", "2001:db8::b", 44);
	fb_eth(&f, 0x86dd);
	h_frame(&h, CT_LINK_ETHERNET, ts, fb_data(&f), fb_len(&f));
}

static void assert_whole(void)
{
	assert_int_equal(h.nudp, 1);
	assert_int_equal(h.udp[0].dlen, dgram_len - 8);
	assert_memory_equal(h.udp[0].data, dgram + 8, dgram_len - 8);
	assert_true(h.udp[0].p.reassembled);
}

static void test_v4_in_order(void **state)
{
	(void)state;
	make_dgram(1400);
	v4_frag(1000, 7, 0, 512, 1, NULL);
	v4_frag(1001, 7, 512, 512, 1, NULL);
	assert_int_equal(h.nudp, 0);
	v4_frag(1002, 7, 1024, dgram_len - 1024, 0, NULL);
	assert_whole();
	assert_int_equal(h.ctr.frag_reassembled, 1);
	assert_int_equal(h.ctr.frag_fragments, 3);
}

static void test_v4_reverse_order(void **state)
{
	(void)state;
	make_dgram(1400);
	v4_frag(1000, 8, 1024, dgram_len - 1024, 0, NULL);
	v4_frag(1001, 8, 512, 512, 1, NULL);
	v4_frag(1002, 8, 0, 512, 1, NULL);
	assert_whole();
}

static void test_v4_duplicate_fragment(void **state)
{
	(void)state;
	make_dgram(1000);
	v4_frag(1000, 9, 0, 504, 1, NULL);
	v4_frag(300000, 9, 0, 504, 1, NULL); /* resent by the sender: identical bytes */
	v4_frag(300001, 9, 504, dgram_len - 504, 0, NULL);
	assert_whole();
	assert_int_equal(h.ctr.frag_dup, 1);
	assert_int_equal(h.ctr.frag_overlap, 0);
}

static void test_v4_overlap_first_wins(void **state)
{
	(void)state;
	make_dgram(1000);
	v4_frag(1000, 10, 0, 504, 1, NULL);
	/* an overlapping fragment rewriting bytes 400..503: the bytes that came first are kept */
	uint8_t evil[208];
	memset(evil, 'Z', sizeof(evil));
	memcpy(evil + 104, dgram + 504, 104);
	v4_frag(1001, 10, 400, sizeof(evil), 1, evil);
	v4_frag(1002, 10, 504, dgram_len - 504, 0, NULL);
	assert_whole();
	/* the forged fragment overlapped the first; the last overlapped the forged one */
	assert_int_equal(h.ctr.frag_overlap, 2);
}

static void test_v6_overlap_dropped(void **state)
{
	(void)state;
	make_dgram(1000);
	v6_frag(1000, 0x1111, 0, 504, 1);
	v6_frag(1001, 0x1111, 400, 200, 1); /* overlap: RFC 5722 drops the whole datagram */
	v6_frag(1002, 0x1111, 504, dgram_len - 504, 0);
	assert_int_equal(h.nudp, 0);
	assert_int_equal(h.ctr.frag_overlap, 1);
}

static void test_v6_reassembly(void **state)
{
	(void)state;
	make_dgram(2000);
	v6_frag(1000, 0x2222, 1232, dgram_len - 1232, 0);
	v6_frag(1001, 0x2222, 0, 1232, 1);
	assert_whole();
	char a[64];
	ct_addr_format(&h.udp[0].p.src, a, sizeof(a));
	assert_string_equal(a, "2001:db8::a");
}

static void test_interleaved_ids(void **state)
{
	(void)state;
	make_dgram(1000);
	v4_frag(1000, 20, 0, 504, 1, NULL);
	v4_frag(1001, 21, 0, 504, 1, NULL);
	v4_frag(1002, 21, 504, dgram_len - 504, 0, NULL);
	v4_frag(1003, 20, 504, dgram_len - 504, 0, NULL);
	assert_int_equal(h.nudp, 2);
}

static void test_timeout(void **state)
{
	(void)state;
	make_dgram(1000);
	v4_frag(1000000, 30, 0, 504, 1, NULL);
	/* the rest arrives after defrag.timeout (30 s): too late */
	v4_frag(32000000, 30, 504, dgram_len - 504, 0, NULL);
	h_end_of_input(&h);
	assert_int_equal(h.ctr.frag_timeout, 1);
	assert_int_equal(h.nudp, 0);
}

static void cfg_two(struct ct_capture_cfg *cfg)
{
	cfg->defrag_max = 2;
}

static void test_datagram_cap_evicts_oldest(void **state)
{
	(void)state;
	h_free(&h);
	h_init(&h, cfg_two);
	make_dgram(1000);
	v4_frag(1000, 40, 0, 504, 1, NULL);
	v4_frag(1001, 41, 0, 504, 1, NULL);
	v4_frag(1002, 42, 0, 504, 1, NULL); /* third waiting datagram: the oldest (40) goes */
	assert_int_equal(h.ctr.frag_memcap, 1);
	v4_frag(1003, 40, 504, dgram_len - 504, 0, NULL);
	v4_frag(1004, 42, 504, dgram_len - 504, 0, NULL);
	assert_int_equal(h.nudp, 1);
}

static void test_too_big(void **state)
{
	(void)state;
	make_dgram(100);
	/* offset 8189*8 = 65512, plus 100 bytes: past 65535 */
	fb_payload(&f, dgram, 100);
	fb_ipv4(&f, "10.2.0.1", "10.2.0.2", 17, 50, 8189, 64);
	fb_eth(&f, 0x0800);
	h_frame(&h, CT_LINK_ETHERNET, 1000, fb_data(&f), fb_len(&f));
	assert_int_equal(h.ctr.frag_too_big, 1);
}

static void test_ragged_middle_fragment(void **state)
{
	(void)state;
	make_dgram(1000);
	v4_frag(1000, 60, 0, 500, 1, NULL); /* not a multiple of 8 with MF set */
	assert_int_equal(h.ctr.malformed, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_v4_in_order), T(test_v4_reverse_order), T(test_v4_duplicate_fragment),
		T(test_v4_overlap_first_wins), T(test_v6_overlap_dropped), T(test_v6_reassembly),
		T(test_interleaved_ids), T(test_timeout), T(test_datagram_cap_evicts_oldest), T(test_too_big),
		T(test_ragged_middle_fragment),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
