/* test_devset.c - device sets for the recording policy: ranges and their edges, prefixes, `*`,
 * the empty set, exclusions, numbers found through their dialled and canonical forms, and the
 * errors bad sets give. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "correlator/devset.h"

static void parse_ok(struct ct_devset *s, const char *spec)
{
	char err[256] = "";
	int rc = ct_devset_parse(s, spec, err, sizeof(err));
	if (rc != CT_OK)
		fail_msg("'%s' refused: %s", spec ? spec : "(null)", err);
}

static void test_range_edges(void **state)
{
	(void)state;
	struct ct_devset s;
	parse_ok(&s, "2001-2099,3000,+4930555*");
	assert_int_equal(s.n, 3);
	assert_false(s.all);
	assert_true(ct_devset_has(&s, "2001"));
	assert_true(ct_devset_has(&s, "2050"));
	assert_true(ct_devset_has(&s, "2099"));
	assert_false(ct_devset_has(&s, "2000"));
	assert_false(ct_devset_has(&s, "2100"));
	assert_false(ct_devset_has(&s, "20010"));
	assert_false(ct_devset_has(&s, "201"));
	assert_false(ct_devset_has(&s, "200A")); /* between the ends as bytes, but not a number */
	assert_false(ct_devset_has(&s, "20:0"));
	assert_false(ct_devset_has(&s, "+2050"));
	assert_true(ct_devset_has(&s, "3000"));
	assert_false(ct_devset_has(&s, "30000"));
	assert_false(ct_devset_has(&s, "300"));
	assert_true(ct_devset_has(&s, "+4930555"));
	assert_true(ct_devset_has(&s, "+4930555000"));
	assert_false(ct_devset_has(&s, "+4930556000"));
	assert_false(ct_devset_has(&s, "4930555000"));
	/* single-value range, + ranges */
	parse_ok(&s, "5000-5000, +4930555000-+4930555099");
	assert_true(ct_devset_has(&s, "5000"));
	assert_false(ct_devset_has(&s, "5001"));
	assert_true(ct_devset_has(&s, "+4930555042"));
	assert_false(ct_devset_has(&s, "4930555042"));
	assert_false(ct_devset_has(&s, "+4930555100"));
}

static void test_all_and_empty(void **state)
{
	(void)state;
	struct ct_devset s;
	ct_devset_init(&s);
	assert_false(ct_devset_has(&s, "2001"));
	parse_ok(&s, "");
	assert_false(ct_devset_has(&s, "2001"));
	parse_ok(&s, " , ,");
	assert_int_equal(s.n, 0);
	assert_false(ct_devset_has(&s, "2001"));
	parse_ok(&s, NULL);
	assert_false(ct_devset_has(&s, "2001"));
	parse_ok(&s, "*");
	assert_true(s.all);
	assert_true(ct_devset_has(&s, "2001"));
	assert_true(ct_devset_has(&s, "agent7"));
	assert_true(ct_devset_has(&s, "\xff"));
	/* no device is never in a set, even '*' */
	assert_false(ct_devset_has(&s, ""));
	assert_false(ct_devset_has(&s, NULL));
	assert_false(ct_devset_has(NULL, "2001"));
	parse_ok(&s, "2001, *");
	assert_true(ct_devset_has(&s, "9999"));
	/* a new parse replaces the set */
	parse_ok(&s, "2001");
	assert_false(s.all);
	assert_false(ct_devset_has(&s, "9999"));
}

static void test_ids_and_prefixes(void **state)
{
	(void)state;
	struct ct_devset s;
	parse_ok(&s, "agent7, N<5000>, queue-sales*, +*");
	assert_true(ct_devset_has(&s, "agent7"));
	assert_false(ct_devset_has(&s, "agent70"));
	assert_false(ct_devset_has(&s, "Agent7"));
	assert_true(ct_devset_has(&s, "N<5000>"));
	assert_true(ct_devset_has(&s, "queue-sales-2"));
	assert_false(ct_devset_has(&s, "queue-sale"));
	assert_true(ct_devset_has(&s, "+1"));
	assert_false(ct_devset_has(&s, "1"));
	/* UTF-8 ids are text like any other */
	parse_ok(&s, "z\xc3\xbcrich*");
	assert_true(ct_devset_has(&s, "z\xc3\xbcrich-1"));
}

static void test_numbers_forms(void **state)
{
	(void)state;
	struct ct_numbers n;
	char err[256];
	ct_numbers_init(&n);
	assert_int_equal(ct_numbers_set_country_code(&n, "49", err, sizeof(err)), CT_OK);
	assert_int_equal(ct_numbers_parse(&n, "9[12-14]=>", err, sizeof(err)), CT_OK);
	struct ct_devset s;
	parse_ok(&s, "2001-2099, +4930555*");
	/* dialled digits of a URI */
	assert_false(ct_devset_has(&s, "sip:2001@pbx"));
	assert_true(ct_devset_has_number(&s, &n, "sip:2001@pbx"));
	assert_true(ct_devset_has_number(&s, NULL, "tel:2001"));
	/* canonical form: national, international, outside line */
	assert_true(ct_devset_has_number(&s, &n, "030555123"));
	assert_true(ct_devset_has_number(&s, &n, "004930555123"));
	assert_true(ct_devset_has_number(&s, &n, "903055512345"));
	assert_true(ct_devset_has_number(&s, &n, "sip:+49-30-555-123@sbc;user=phone"));
	assert_false(ct_devset_has_number(&s, NULL, "030555123"));
	assert_false(ct_devset_has_number(&s, &n, "030556123"));
	assert_false(ct_devset_has_number(&s, &n, "2100"));
	assert_false(ct_devset_has_number(&s, &n, ""));
	assert_false(ct_devset_has_number(&s, &n, NULL));

	/* the policy: recorded minus excluded */
	struct ct_devset ex;
	parse_ok(&ex, "2050, +4930555000");
	assert_true(ct_devset_selects(&s, &ex, &n, "2001"));
	assert_false(ct_devset_selects(&s, &ex, &n, "2050"));
	assert_false(ct_devset_selects(&s, &ex, &n, "sip:2050@pbx"));
	assert_false(ct_devset_selects(&s, &ex, &n, "030555000"));
	assert_true(ct_devset_selects(&s, &ex, &n, "030555001"));
	assert_true(ct_devset_selects(&s, NULL, &n, "2050"));
	assert_false(ct_devset_selects(&s, &ex, &n, "3000"));
}

static void assert_bad(const char *spec, const char *msg)
{
	struct ct_devset s;
	char err[256] = "";
	parse_ok(&s, "1234");
	assert_int_equal(ct_devset_parse(&s, spec, err, sizeof(err)), CT_EINVAL);
	if (!strstr(err, msg))
		fail_msg("'%s': error '%s' does not say '%s'", spec, err, msg);
	/* s is unchanged */
	assert_int_equal(s.n, 1);
	assert_true(ct_devset_has(&s, "1234"));
}

static void test_bad_sets(void **state)
{
	(void)state;
	assert_bad("2001-209", "range '2001-209': its ends must be digit strings of equal length");
	assert_bad("2099-2001", "range '2099-2001'");
	assert_bad("2001-", "range");
	assert_bad("2001-20a1", "range");
	assert_bad("+2001-2099", "range");
	assert_bad("2001-2050-2099", "range");
	assert_bad("20*1", "'*' may only end an entry");
	assert_bad("**", "'*' may only end an entry");
	assert_bad("+49-30*", "a number may only hold digits");
	assert_bad("+49 30", "blank or control byte");
	assert_bad("ag\x01nt", "blank or control byte");
	assert_bad("2001x", "a number may only hold digits");
	char longer[200];
	memset(longer, 'a', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = '\0';
	assert_bad(longer, "longer than 63 characters");

	char many[1024] = "";
	for (int i = 0; i < CT_DEVSET_MAX + 1; i++) {
		size_t l = strlen(many);
		snprintf(many + l, sizeof(many) - l, "%d,", 1000 + i);
	}
	assert_bad(many, "more than 64 entries");
	struct ct_devset s;
	*strrchr(many, ',') = '\0';
	*strrchr(many, ',') = '\0';
	parse_ok(&s, many);
	assert_int_equal(s.n, CT_DEVSET_MAX);
	assert_true(ct_devset_has(&s, "1063"));
}

static void test_hostile_devices(void **state)
{
	(void)state;
	struct ct_devset s;
	struct ct_numbers n;
	ct_numbers_init(&n);
	parse_ok(&s, "2001-2099, 3000, +4930555*, agent7");
	size_t big = 1 << 20;
	char *d = malloc(big + 1);
	assert_non_null(d);
	memset(d, '2', big);
	d[big] = '\0';
	assert_false(ct_devset_has(&s, d));
	assert_false(ct_devset_has_number(&s, &n, d));
	memcpy(d, "+4930555", 8); /* a prefix match does not need the rest */
	assert_true(ct_devset_has(&s, d));
	memset(d, 0xff, big);
	assert_false(ct_devset_has_number(&s, &n, d));
	free(d);
	assert_false(ct_devset_has_number(&s, &n, "\xc3\xa9"));
	assert_false(ct_devset_has_number(&s, &n, "-.()"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_range_edges),
		cmocka_unit_test(test_all_and_empty),
		cmocka_unit_test(test_ids_and_prefixes),
		cmocka_unit_test(test_numbers_forms),
		cmocka_unit_test(test_bad_sets),
		cmocka_unit_test(test_hostile_devices),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
