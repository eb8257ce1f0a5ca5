/* test_flow.c - the flow table: directions, expiry on packet time, the size cap. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "frames.h"

static struct harness h;
static struct fb f;

static void cfg_tiny(struct ct_capture_cfg *cfg)
{
	cfg->flow_max = 4;
}

static int setup(void **state)
{
	(void)state;
	h_init(&h, cfg_tiny);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	h_free(&h);
	return 0;
}

static void udp(ct_time_t ts, const char *src, uint16_t sp, const char *dst, uint16_t dp)
{
	static uint16_t id;
	fb_payload(&f, "rtp", 3);
	fb_udp(&f, sp, dp);
	fb_ipv4(&f, src, dst, 17, ++id, 0, 64);
	fb_eth(&f, 0x0800);
	h_frame(&h, CT_LINK_ETHERNET, ts, fb_data(&f), fb_len(&f));
}

static void test_directions(void **state)
{
	(void)state;
	udp(1000000, "10.4.0.2", 9000, "10.4.0.1", 8000);
	udp(1000100, "10.4.0.1", 8000, "10.4.0.2", 9000);
	udp(1000200, "10.4.0.2", 9000, "10.4.0.1", 8000);
	assert_int_equal(h.ctr.flows, 1);
	/* direction 0 is whoever sent first, whatever the address order */
	assert_int_equal(h.udp[0].dir, 0);
	assert_int_equal(h.udp[1].dir, 1);
	assert_int_equal(h.udp[2].dir, 0);
	assert_int_equal(h.udp[0].flow_id, h.udp[2].flow_id);
}

static void test_expiry_on_packet_time(void **state)
{
	(void)state;
	udp(1000000, "10.4.0.1", 8000, "10.4.0.2", 9000);
	/* 119 s later: same flow; then 121 s of silence: a new flow (flow.udp_timeout_s = 120) */
	udp(120000000, "10.4.0.1", 8000, "10.4.0.2", 9000);
	udp(241000000, "10.4.0.1", 8000, "10.4.0.2", 9000);
	h_end_of_input(&h); /* the two late frames wait for the clock's decision (capture.h) */
	assert_int_equal(h.ctr.flows, 2);
	assert_int_equal(h.ctr.flows_expired, 1);
	assert_int_equal(h.flow_closes, 1);
	assert_true(h.udp[2].flow_id != h.udp[0].flow_id);
}

/* The expiry pass does nothing until the first time a list's head can expire (flow.h, due);
 * when the head changes, the new one counts from then on: here the head is seen again, and the
 * flow behind it, seen last at an earlier packet time (frames out of order), expires at its
 * own time. */
static void test_expiry_follows_a_new_head(void **state)
{
	(void)state;
	struct ct_flowtab t;
	struct ct_counters ctr;
	memset(&ctr, 0, sizeof(ctr));
	struct ct_hashkey key;
	ct_hashkey_fixed(&key, 1);
	struct ct_flowtab_cfg fc = { .max_flows = 16, .udp_timeout = 1000, .tcp_timeout = 1000, .tcp_closed_timeout = 1000 };
	assert_int_equal(ct_flowtab_init(&t, &fc, &key, &ctr, NULL, NULL), CT_OK);
	struct ct_pkt a = { .ts = 100, .proto = 17, .sport = 1, .dport = 2 };
	struct ct_pkt b = { .ts = 90, .proto = 17, .sport = 3, .dport = 4 };
	int dir;
	bool created;
	struct ct_flow *fa = ct_flow_get(&t, &a, &dir, &created);
	struct ct_flow *fb_ = ct_flow_get(&t, &b, &dir, &created);
	assert_non_null(fa);
	assert_non_null(fb_);
	assert_int_equal(ct_flowtab_expire(&t, 500, 16), 0); /* the head, a, is due at 1100 */
	a.ts = 101;
	assert_ptr_equal(ct_flow_get(&t, &a, &dir, &created), fa); /* b is the head now */
	assert_int_equal(ct_flowtab_expire(&t, 1089, 16), 0);
	assert_int_equal(ct_flowtab_expire(&t, 1090, 16), 1);
	assert_int_equal(t.count, 1);
	assert_int_equal(ct_flowtab_expire(&t, 1100, 16), 0);
	assert_int_equal(ct_flowtab_expire(&t, 1101, 16), 1);
	assert_int_equal(ctr.flows_expired, 2);
	ct_flowtab_free(&t);
}

static void test_cap_evicts_least_recent(void **state)
{
	(void)state;
	char a[32];
	for (int i = 0; i < 4; i++) {
		snprintf(a, sizeof(a), "10.4.1.%d", i + 1);
		udp(1000000 + (ct_time_t)i, a, 1000, "10.4.0.9", 2000);
	}
	udp(1000010, "10.4.1.1", 1000, "10.4.0.9", 2000); /* refresh the oldest */
	udp(1000020, "10.4.1.5", 1000, "10.4.0.9", 2000); /* fifth flow: evicts 10.4.1.2 */
	assert_int_equal(h.ctr.flows_evicted, 1);
	udp(1000030, "10.4.1.1", 1000, "10.4.0.9", 2000);
	assert_int_equal(h.ctr.flows, 5); /* 10.4.1.1 survived */
	udp(1000040, "10.4.1.2", 1000, "10.4.0.9", 2000);
	assert_int_equal(h.ctr.flows, 6); /* 10.4.1.2 was the one evicted */
}

static void test_many_flows_bounded(void **state)
{
	(void)state;
	/* a flood of distinct flows never grows the table past flow.max */
	for (int i = 0; i < 1000; i++)
		udp(1000000 + (ct_time_t)i, "10.4.2.1", (uint16_t)(1024 + i), "10.4.0.9", 2000);
	assert_int_equal(h.ctr.flows, 1000);
	assert_int_equal(h.ctr.flows_evicted, 996);
	assert_true(h.cap.flows.count <= 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_directions), T(test_expiry_on_packet_time), T(test_expiry_follows_a_new_head), T(test_cap_evicts_least_recent),
		T(test_many_flows_bounded),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
