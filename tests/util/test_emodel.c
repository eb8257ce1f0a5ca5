/* test_emodel.c - the E-model against values worked by hand from ITU-T G.107's formulas and
 * its default parameter set (R = 93.2 for G.711 without impairments, MOS 4.41), G.113's
 * codec figures and G.107.1's wideband scale. Every expected number below was computed by hand
 * from the Recommendation's equation, not taken from the code under test. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "util/emodel.h"

#define NEAR(a, b, eps) assert_true(fabs((a) - (b)) < (eps))

static double r_of(const char *codec, double ppl, double burst_r, double ta)
{
	const struct ct_emodel_codec *c = ct_emodel_codec(codec);
	assert_non_null(c);
	struct ct_emodel_in in = { c->ie, c->bpl, c->wideband, ppl, burst_r, ta };
	return ct_emodel_r(&in);
}

static void test_g711_default(void **state)
{
	(void)state;
	/* G.107 section 7: with all parameters at their defaults R = 93.2 (G.711, no loss, T = 0) */
	NEAR(r_of("PCMA", 0, 1, 0), 93.2, 1e-9);
	NEAR(r_of("pcmu", 0, 1, 0), 93.2, 1e-9); /* rtpmap names are case-insensitive */
	/* B-4: 1 + 0.035 * 93.2 + 93.2 * 33.2 * 6.8 * 7e-6 = 1 + 3.262 + 0.147285 = 4.409 */
	NEAR(ct_emodel_mos(93.2, false), 4.409285, 1e-5);
}

static void test_mos_curve(void **state)
{
	(void)state;
	NEAR(ct_emodel_mos(-5, false), 1.0, 1e-12);
	NEAR(ct_emodel_mos(0, false), 1.0, 1e-12);
	NEAR(ct_emodel_mos(100, false), 4.5, 1e-12);
	NEAR(ct_emodel_mos(120, false), 4.5, 1e-12);
	/* R = 50: 1 + 1.75 + 50 * (-10) * 50 * 7e-6 = 2.575 */
	NEAR(ct_emodel_mos(50, false), 2.575, 1e-9);
	/* R = 70 (G.109's lower bound of "medium"): 1 + 2.45 + 70 * 10 * 30 * 7e-6 = 3.597 */
	NEAR(ct_emodel_mos(70, false), 3.597, 1e-9);
	/* wideband: MOS(R / 1.29); R = 129 is the top of the scale */
	NEAR(ct_emodel_mos(129, true), 4.5, 1e-9);
	NEAR(ct_emodel_mos(64.5, true), 2.575, 1e-9);
}

static void test_loss(void **state)
{
	(void)state;
	/* G.711 with concealment (Bpl 25.1), 2 % random loss: Ie,eff = 95 * 2 / 27.1 = 7.01107 */
	NEAR(ct_emodel_ie_eff(0, 25.1, 2, 1), 7.011070, 1e-5);
	NEAR(r_of("PCMA", 2, 1, 0), 93.2 - 7.011070, 1e-5);
	/* bursty loss hurts more: BurstR 2 -> 95 * 2 / (1 + 25.1) = 7.27969 */
	NEAR(ct_emodel_ie_eff(0, 25.1, 2, 2), 7.279693, 1e-5);
	/* G.729A + VAD (Ie 11, Bpl 19): no loss R = 82.2; 1 % loss: 11 + 84 / 20 = 15.2 */
	NEAR(r_of("G729", 0, 1, 0), 82.2, 1e-9);
	NEAR(r_of("G729", 1, 1, 0), 93.2 - 15.2, 1e-9);
	/* total loss cannot go below 0 */
	NEAR(r_of("PCMU", 100, 1, 0), 93.2 - 95 * 100 / 125.1, 1e-9);
	NEAR(r_of("G729", 100, 8, 600), 0.0, 1e-12);
}

static void test_delay(void **state)
{
	(void)state;
	NEAR(ct_emodel_id(0), 0, 1e-12);
	NEAR(ct_emodel_id(-3), 0, 1e-12);
	NEAR(ct_emodel_id(100), 2.4, 1e-9);
	/* above the 177.3 ms knee: 0.024 * 200 + 0.11 * 22.7 = 7.297 */
	NEAR(ct_emodel_id(200), 7.297, 1e-9);
	NEAR(r_of("PCMA", 0, 1, 200), 93.2 - 7.297, 1e-9);
}

static void test_wideband(void **state)
{
	(void)state;
	const struct ct_emodel_codec *c = ct_emodel_codec("G722");
	assert_non_null(c);
	assert_true(c->wideband);
	/* G.113 App. IV: Ie,wb 13 for G.722 at 64 kbit/s -> R = 129 - 13 = 116 */
	NEAR(r_of("G722", 0, 1, 0), 116.0, 1e-9);
	/* MOS(116 / 1.29 = 89.922): 1 + 3.14729 + 89.922 * 29.922 * 10.078 * 7e-6 = 4.3371 */
	NEAR(ct_emodel_mos(116.0, true), 4.3371, 1e-3);
	assert_null(ct_emodel_codec("GSM"));
	assert_null(ct_emodel_codec(NULL));
}

static void test_burst_ratio(void **state)
{
	(void)state;
	assert_true(ct_emodel_burst_r(1000, 0, 0) == 1.0);
	/* 20 single losses among 980 received: p = 20/980, q = 1: 1 / 1.0204 < 1, taken as 1 */
	NEAR(ct_emodel_burst_r(980, 20, 20), 1.0, 1e-12);
	/* the same 20 lost in 2 bursts of 10: p = 2/980, q = 0.1: 1 / 0.10204 = 9.8 */
	NEAR(ct_emodel_burst_r(980, 20, 2), 9.8, 1e-9);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_g711_default), cmocka_unit_test(test_mos_curve), cmocka_unit_test(test_loss),
		cmocka_unit_test(test_delay),        cmocka_unit_test(test_wideband),  cmocka_unit_test(test_burst_ratio),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
