/* test_dedup.c - SPAN copies are dropped, genuine resends are not. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

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

static const char sip[] = "INVITE sip:200@pbx SIP/2.0\r\nCall-ID: a@b\r\n\r\n";

/* The same SIP datagram, with the IP ID, TTL and VLAN given. */
static void send_sip(ct_time_t ts, uint16_t ipid, uint8_t ttl, int vlan)
{
	fb_payload(&f, sip, sizeof(sip) - 1);
	fb_udp(&f, 5060, 5060);
	fb_ipv4(&f, "10.3.0.1", "10.3.0.2", 17, ipid, 0, ttl);
	if (vlan) {
		fb_vlan(&f, (uint16_t)vlan, 0x0800);
		fb_eth(&f, 0x8100);
	} else {
		fb_eth(&f, 0x0800);
	}
	h_frame(&h, CT_LINK_ETHERNET, ts, fb_data(&f), fb_len(&f));
}

static void test_ingress_egress_copy(void **state)
{
	(void)state;
	/* ingress copy with VLAN 100 and TTL 64, egress copy untagged with TTL 63, 30 µs apart */
	send_sip(1000000, 0x4242, 64, 100);
	send_sip(1000030, 0x4242, 63, 0);
	assert_int_equal(h.nudp, 1);
	assert_int_equal(h.ctr.span_dups, 1);
}

static void test_sip_retransmission_kept(void **state)
{
	(void)state;
	/* SIP over UDP resends identical bytes after T1 = 500 ms; Linux even keeps the IP ID
	 * at 0 for DF datagrams, so the time window is what tells them apart */
	send_sip(1000000, 0, 64, 0);
	send_sip(1500000, 0, 64, 0);
	send_sip(2500000, 0, 64, 0);
	assert_int_equal(h.nudp, 3);
	assert_int_equal(h.ctr.span_dups, 0);
}

static void test_different_ip_id_kept(void **state)
{
	(void)state;
	send_sip(1000000, 1, 64, 0);
	send_sip(1000010, 2, 64, 0);
	assert_int_equal(h.nudp, 2);
}

static void test_tunnelled_copy(void **state)
{
	(void)state;
	/* one copy arrives plain, the other through ERSPAN type II from a remote SPAN session */
	send_sip(1000000, 0x77, 64, 0);
	struct fb inner;
	fb_payload(&inner, sip, sizeof(sip) - 1);
	fb_udp(&inner, 5060, 5060);
	fb_ipv4(&inner, "10.3.0.1", "10.3.0.2", 17, 0x77, 0, 61);
	fb_eth(&inner, 0x0800);
	static const uint8_t gre_erspan[] = { 0x10, 0x00, 0x88, 0xbe, 0, 0, 0, 1, /* GRE with sequence */
					      0x10, 0x00, 0x00, 0x05, 0, 0, 0, 0 };  /* ERSPAN II, session 5 */
	uint8_t buf[2048];
	memcpy(buf, gre_erspan, sizeof(gre_erspan));
	memcpy(buf + sizeof(gre_erspan), fb_data(&inner), fb_len(&inner));
	fb_payload(&f, buf, sizeof(gre_erspan) + fb_len(&inner));
	fb_ipv4(&f, "192.0.2.10", "192.0.2.20", 47, 9, 0, 64);
	fb_eth(&f, 0x0800);
	h_frame(&h, CT_LINK_ETHERNET, 1000200, fb_data(&f), fb_len(&f));
	assert_int_equal(h.ctr.tunnel_erspan, 1);
	assert_int_equal(h.nudp, 1);
	assert_int_equal(h.ctr.span_dups, 1);
}

static void test_tcp_copy_and_retransmission(void **state)
{
	(void)state;
	/* h_tcp gives each frame a new IP ID, as a sender's retransmission has; a SPAN copy is
	 * the same frame twice */
	fb_payload(&f, "REGISTER", 8);
	fb_tcp(&f, 40000, 5060, 100, 1, CT_TCP_ACK | CT_TCP_PSH);
	fb_ipv4(&f, "10.3.0.1", "10.3.0.2", 6, 500, 0x4000, 64);
	fb_eth(&f, 0x0800);
	h_frame(&h, CT_LINK_ETHERNET, 1000000, fb_data(&f), fb_len(&f));
	h_frame(&h, CT_LINK_ETHERNET, 1000040, fb_data(&f), fb_len(&f));
	assert_int_equal(h.ctr.span_dups, 1);
	assert_int_equal(h.ctr.tcp, 1);
	h_tcp(&h, 1300000, "10.3.0.1", 40000, "10.3.0.2", 5060, 100, 1, CT_TCP_ACK | CT_TCP_PSH, "REGISTER");
	assert_int_equal(h.ctr.span_dups, 1);
	assert_int_equal(h.ctr.tcp_retrans, 1);
}

static void cfg_off(struct ct_capture_cfg *cfg)
{
	cfg->dedup = false;
}

static void test_disabled(void **state)
{
	(void)state;
	h_free(&h);
	h_init(&h, cfg_off);
	send_sip(1000000, 0x4242, 64, 100);
	send_sip(1000030, 0x4242, 63, 0);
	assert_int_equal(h.nudp, 2);
}

/* The table alone (capture/dedup.h): a packet's id, i the part that differs between packets. */
static struct ct_dedup_id dedup_id(uint32_t i)
{
	static const uint8_t src[4] = { 10, 0, 0, 1 }, dst[4] = { 10, 0, 0, 2 };
	struct ct_dedup_id id;
	ct_dedup_id_make(&id, 4, src, dst, i, 4, 0, 17);
	return id;
}

/* After the clock moved back 30 s (capture.h), the table is full of entries dated ahead of it:
 * they are out of the window and give way first, so a copy 10 ms after its original is still
 * caught while 100 other packets pass through the 256 buckets in between (when those entries
 * held their slots, each bucket had one usable way left and most copies were missed). */
static void test_entries_ahead_of_the_clock_give_way(void **state)
{
	(void)state;
	struct ct_hashkey key;
	ct_hashkey_fixed(&key, 7);
	struct ct_dedup d;
	assert_int_equal(ct_dedup_init(&d, 256, 50 * 1000, &key), CT_OK);
	const uint8_t pay[4] = { 1, 2, 3, 4 };
	ct_time_t later = 1767603630000000ULL, now = later - 30 * CT_USEC_PER_SEC;
	for (uint32_t i = 0; i < 8192; i++) {
		struct ct_dedup_id id = dedup_id(1000000 + i);
		assert_false(ct_dedup_check(&d, &id, pay, sizeof(pay), later + i));
	}
	unsigned caught = 0;
	for (uint32_t a = 0; a < 50; a++) {
		struct ct_dedup_id orig = dedup_id(a * 1000);
		assert_false(ct_dedup_check(&d, &orig, pay, sizeof(pay), now));
		for (uint32_t k = 1; k <= 100; k++) {
			struct ct_dedup_id other = dedup_id(a * 1000 + k);
			(void)ct_dedup_check(&d, &other, pay, sizeof(pay), now + k);
		}
		caught += ct_dedup_check(&d, &orig, pay, sizeof(pay), now + 10000);
		now += 60 * 1000; /* past the window: the next round starts afresh */
	}
	assert_int_equal(caught, 50);
	ct_dedup_free(&d);
}

/* The fingerprint sees every bit of the payload and of the id, at every length a packet can
 * have (XXH3 takes a different path for each range of lengths): a packet that differs from one
 * in the table by any one bit is not its copy, and the packet itself is. Each variant is put
 * beside a fresh entry of the original (the window past between two), so it is always compared
 * with the original, not with other variants. */
static void test_fingerprint_sees_every_bit(void **state)
{
	(void)state;
	struct ct_hashkey key;
	ct_hashkey_fixed(&key, 11);
	struct ct_dedup d;
	const ct_time_t window = 50 * 1000;
	assert_int_equal(ct_dedup_init(&d, 1u << 16, window, &key), CT_OK);
	static const uint8_t s4[4] = { 10, 0, 0, 1 }, d4[4] = { 10, 0, 0, 2 };
	static const uint8_t s6[16] = { 0x20, 1, 0xd, 0xb8, [15] = 1 }, d6[16] = { 0x20, 1, 0xd, 0xb8, [15] = 2 };
	uint8_t pay[300];
	for (size_t i = 0; i < sizeof(pay); i++)
		pay[i] = (uint8_t)(i * 37 + 11);
	ct_time_t now = 1767603630000000ULL;
	for (size_t len = 0; len <= sizeof(pay); len += len < 70 ? 1 : 23) {
		for (int v6 = 0; v6 < 2; v6++) {
			struct ct_dedup_id id;
			ct_dedup_id_make(&id, v6 ? 6 : 4, v6 ? s6 : s4, v6 ? d6 : d4, (uint32_t)len, (uint32_t)len, 0, 17);
			for (size_t bit = 0; bit < len * 8 + (size_t)id.n * 64; bit++) {
				now += window + 1;
				assert_false(ct_dedup_check(&d, &id, pay, len, now)); /* out of the window: anew */
				struct ct_dedup_id o = id;
				if (bit < len * 8)
					pay[bit / 8] ^= (uint8_t)(1u << (bit % 8));
				else
					o.w[(bit - len * 8) / 64] ^= 1ull << (bit % 64);
				assert_false(ct_dedup_check(&d, &o, pay, len, now));
				if (bit < len * 8)
					pay[bit / 8] ^= (uint8_t)(1u << (bit % 8));
				assert_true(ct_dedup_check(&d, &id, pay, len, now + 1));
			}
		}
	}
	ct_dedup_free(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_ingress_egress_copy), T(test_sip_retransmission_kept), T(test_different_ip_id_kept),
		T(test_tunnelled_copy), T(test_tcp_copy_and_retransmission), T(test_disabled),
		T(test_entries_ahead_of_the_clock_give_way), T(test_fingerprint_sees_every_bit),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
