/* test_clock.c - the capture clock against bogus timestamps (rule in capture/capture.h,
 * docs/capture.md "Packet time"): an outlier does not move it, a sustained jump does (and is
 * reported), time going back does not stop expiry, and no time past the year 9999 reaches
 * the layers above. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "frames.h"

#define SEC CT_USEC_PER_SEC
#define T0 (1767603600ULL * SEC)        /* 2026-01-05T09:00:00Z */
#define Y2096 (3979420800ULL * SEC)     /* 2096-02-08 */

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

/* One UDP datagram of the flow sport -> 9000 at ts. */
static void udp(ct_time_t ts, uint16_t sport)
{
	static uint16_t id;
	fb_payload(&f, "rtp", 3);
	fb_udp(&f, sport, 9000);
	fb_ipv4(&f, "10.5.0.1", "10.5.0.2", 17, ++id, 0, 64);
	fb_eth(&f, 0x0800);
	h_frame(&h, CT_LINK_ETHERNET, ts, fb_data(&f), fb_len(&f));
}

/* A frame every second from `from` for n seconds, each its own flow's only packet. */
static void steady(ct_time_t from, unsigned n, uint16_t port)
{
	for (unsigned i = 0; i < n; i++)
		udp(from + (ct_time_t)i * SEC, (uint16_t)(port + i));
}

static void test_outlier_does_not_move_the_clock(void **state)
{
	(void)state;
	steady(T0, 5, 1000);
	udp(Y2096, 2000); /* one frame dated 2096 */
	steady(T0 + 5 * SEC, 200, 3000);
	assert_int_equal(h.ctr.clock_outliers, 1);
	assert_int_equal(h.ctr.clock_jumps, 0);
	assert_int_equal(h.jumps, 0);
	/* the 2096 datagram reached the layers above at the clock's time, in its place */
	assert_int_equal(h.udp[5].p.sport, 2000);
	assert_int_equal(h.udp[5].p.ts, T0 + 4 * SEC);
	assert_true(h.cap.now == T0 + 204 * SEC);
	/* timers kept running: the first flows (120 s idle) expired on packet time */
	assert_true(h.ctr.flows_expired >= 80);
	assert_true(h.clock_last <= T0 + 204 * SEC);
}

static void test_outliers_scattered(void **state)
{
	(void)state;
	/* every other frame bogus (two clocks interleaved): never 4 in a row, never believed */
	for (unsigned i = 0; i < 40; i++) {
		udp(T0 + i * SEC, 1000);
		udp(Y2096 + i * SEC, 1001);
	}
	assert_int_equal(h.ctr.clock_outliers, 39); /* the 40th waits for the next frame */
	assert_int_equal(h.jumps, 0);
	assert_true(h.cap.now == T0 + 39 * SEC);
	/* and three bogus frames in a row are not enough either */
	udp(Y2096, 1002);
	udp(Y2096 + 1, 1003);
	udp(Y2096 + 2, 1004);
	udp(T0 + 40 * SEC, 1000);
	assert_int_equal(h.ctr.clock_outliers, 43);
	assert_int_equal(h.jumps, 0);
	assert_true(h.cap.now == T0 + 40 * SEC);
}

static void test_sustained_jump_forward(void **state)
{
	(void)state;
	steady(T0, 3, 1000);
	ct_time_t t1 = T0 + 2 * SEC + 2 * 3600 * SEC; /* two hours later, and it stays there */
	for (unsigned i = 0; i < CT_CLOCK_STREAK - 1; i++) {
		udp(t1 + i * SEC, 2000);
		assert_int_equal(h.nudp, 3); /* held for the decision */
	}
	udp(t1 + 3 * SEC, 2000);
	assert_int_equal(h.nudp, 3 + CT_CLOCK_STREAK);
	assert_int_equal(h.jumps, 1);
	assert_int_equal(h.ctr.clock_jumps, 1);
	assert_true(h.jump_from == T0 + 2 * SEC && h.jump_to == t1);
	assert_int_equal(h.jump_frames, CT_CLOCK_STREAK);
	/* processed at their own times, the clock at the newest */
	assert_true(h.udp[3].p.ts == t1 && h.udp[6].p.ts == t1 + 3 * SEC);
	assert_true(h.cap.now == t1 + 3 * SEC);
	assert_int_equal(h.ctr.clock_outliers, 0);
	assert_int_equal(h.ctr.flows_expired, 3); /* the old flows aged out at the jump */
}

static void test_silence_is_not_a_jump(void **state)
{
	(void)state;
	steady(T0, 3, 1000);
	steady(T0 + 62 * SEC, 10, 2000); /* a minute of silence */
	assert_int_equal(h.nudp, 13);
	assert_int_equal(h.jumps, 0);
	assert_int_equal(h.ctr.clock_jumps, 0);
	assert_int_equal(h.ctr.clock_outliers, 0);
	for (unsigned i = 0; i < 10; i++)
		assert_true(h.udp[3 + i].p.ts == T0 + (62 + i) * SEC);
}

static void test_time_going_back(void **state)
{
	(void)state;
	steady(T0, 3, 1000);
	/* the capture's clock steps back a day and stays there */
	ct_time_t back = T0 - 86400 * SEC;
	steady(back, CT_CLOCK_STREAK, 2000);
	assert_int_equal(h.jumps, 1);
	assert_true(h.jump_from == T0 + 2 * SEC && h.jump_to == back);
	assert_true(h.cap.now == back + (CT_CLOCK_STREAK - 1) * SEC);
	assert_true(h.clock_last == h.cap.now); /* the layers above follow it back */
	/* expiry goes on: flows of both time lines age out on the new one */
	steady(back + 200 * SEC, 10, 3000);
	assert_true(h.ctr.flows_expired >= 3 + CT_CLOCK_STREAK);
	/* a small reorder (5 s back) is processed at its own time, the clock stays */
	ct_time_t now = h.cap.now;
	udp(now - 5 * SEC, 4000);
	assert_true(h.udp[h.nudp - 1].p.ts == now - 5 * SEC);
	assert_true(h.cap.now == now);
	assert_int_equal(h.jumps, 1);
}

static void test_past_year_9999(void **state)
{
	(void)state;
	steady(T0, 3, 1000);
	for (unsigned i = 0; i < 8; i++)
		udp(CT_TIME_MAX + 1 + i * SEC, 2000);
	assert_int_equal(h.ctr.clock_invalid, 8);
	assert_int_equal(h.jumps, 0);
	assert_true(h.cap.now == T0 + 2 * SEC);
	for (unsigned i = 3; i < h.nudp; i++)
		assert_true(h.udp[i].p.ts == T0 + 2 * SEC);
	/* the last representable time is still a time */
	udp(CT_TIME_MAX, 3000);
	assert_int_equal(h.ctr.clock_invalid, 8);
}

static void test_end_of_input(void **state)
{
	(void)state;
	steady(T0, 3, 1000);
	udp(T0 + 40 * SEC, 2000); /* the last frame, after a silence: its own time */
	h_end_of_input(&h);
	assert_true(h.udp[3].p.ts == T0 + 40 * SEC);
	assert_int_equal(h.ctr.clock_outliers, 0);
	udp(Y2096, 3000);         /* the last frame, dated 2096: an outlier */
	h_end_of_input(&h);
	assert_true(h.udp[4].p.ts == T0 + 40 * SEC);
	assert_int_equal(h.ctr.clock_outliers, 1);
	assert_int_equal(h.jumps, 0);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_outlier_does_not_move_the_clock), T(test_outliers_scattered), T(test_sustained_jump_forward),
		T(test_silence_is_not_a_jump), T(test_time_going_back), T(test_past_year_9999), T(test_end_of_input),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
