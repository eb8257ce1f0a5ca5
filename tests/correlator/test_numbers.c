/* test_numbers.c - number normalisation: the SIP and CSTA forms of one number (RFC 3966 tel URIs
 * with visual separators, RFC 3261 SIP URIs with user=phone), the rule syntax (order, length
 * conditions, the errors bad rules give), the national and international prefixes, and hostile
 * text (long, non-ASCII, empty, only separators). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "correlator/numbers.h"

/* The site of the examples: Germany, outside line 9, hotline 5000 = +4930555000. */
static void site(struct ct_numbers *n)
{
	char err[256];
	ct_numbers_init(n);
	assert_int_equal(ct_numbers_set_country_code(n, "49", err, sizeof(err)), CT_OK);
	assert_int_equal(ct_numbers_parse(n, "9[12-17]=>; 5000[4]=>+4930555000", err, sizeof(err)), CT_OK);
}

static void assert_norm(const struct ct_numbers *n, const char *in, const char *want)
{
	char out[CT_NUMBER_NORM_MAX];
	memset(out, 'x', sizeof(out));
	size_t len = ct_number_norm(n, in, out, sizeof(out));
	if (strcmp(out, want) != 0)
		fail_msg("'%s' normalised to '%s', want '%s'", in, out, want);
	assert_int_equal(len, strlen(want));
}

static void test_same_number_all_forms(void **state)
{
	(void)state;
	struct ct_numbers n;
	site(&n);
	static const char *const forms[] = {
		"+4917012345678",
		"sip:+4917012345678@carrier.example;user=phone",
		"SIP:+4917012345678@carrier.example",
		"sips:+4917012345678@carrier.example:5061;transport=tls",
		"tel:+49-170-1234-5678",
		"tel:+49.170.1234.5678;phone-context=+49",
		"\"Bob\" <sip:+4917012345678@carrier.example;user=phone>;tag=1",
		"+49 (170) 1234 5678",
		"017012345678",   /* national */
		"004917012345678",  /* international prefix */
		"9017012345678",    /* outside line, then national */
		"9004917012345678", /* outside line, then international */
		"%2B4917012345678",
		"N<+4917012345678>",
	};
	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		assert_norm(&n, forms[i], "+4917012345678");
		assert_true(ct_number_same(&n, forms[i], forms[0]));
	}
}

static void test_private_and_extensions(void **state)
{
	(void)state;
	struct ct_numbers n;
	site(&n);
	assert_norm(&n, "5000", "+4930555000");
	assert_true(ct_number_same(&n, "5000", "sip:+4930555000@sbc"));
	assert_true(ct_number_same(&n, "N<5000>", "tel:+49-30-555000"));
	/* the length condition: 50001 is not the hotline, 9001 keeps its 9 */
	assert_norm(&n, "50001", "50001");
	assert_norm(&n, "9001", "9001");
	assert_norm(&n, "sip:2001@pbx.local", "2001");
	assert_false(ct_number_same(&n, "2001", "2002"));
	/* feature codes keep * and # */
	assert_norm(&n, "*21#", "*21#");
}

/* The example of docs/configuration.md, as written there. */
static void test_docs_example(void **state)
{
	(void)state;
	struct ct_numbers n;
	char err[256];
	ct_numbers_init(&n);
	assert_int_equal(ct_numbers_set_country_code(&n, "49", err, sizeof(err)), CT_OK);
	assert_int_equal(ct_numbers_parse(&n, "9[12-17]=> ; 5000[4]=>+4930555000 ; [4]=>+49305550", err, sizeof(err)),
			 CT_OK);
	static const char *const forms[] = { "sip:+4917012345678@carrier;user=phone", "tel:+49-170-1234-5678",
					     "017012345678", "004917012345678", "9017012345678" };
	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++)
		assert_norm(&n, forms[i], "+4917012345678");
	assert_norm(&n, "5000", "+4930555000");
	assert_norm(&n, "2001", "+493055502001");
	assert_norm(&n, "9001", "+493055509001");
}

static void test_defaults_without_rules(void **state)
{
	(void)state;
	struct ct_numbers n;
	char err[256];
	ct_numbers_init(&n);
	/* no country code: national numbers stay as dialled, the international prefix still goes */
	assert_norm(&n, "017012345678", "017012345678");
	assert_norm(&n, "0017012345678", "+17012345678");
	assert_int_equal(ct_numbers_set_country_code(&n, "49", err, sizeof(err)), CT_OK);
	assert_norm(&n, "017012345678", "+4917012345678");
	/* the prefix alone is not turned into a bare + or +49; 00 is not 0 then 0 */
	assert_norm(&n, "0", "0");
	assert_norm(&n, "00", "00");
	/* NANP: 011 international, 1 national */
	assert_int_equal(ct_numbers_set_country_code(&n, "1", err, sizeof(err)), CT_OK);
	assert_int_equal(ct_numbers_set_international_prefix(&n, "011", err, sizeof(err)), CT_OK);
	assert_int_equal(ct_numbers_set_national_prefix(&n, "1", err, sizeof(err)), CT_OK);
	assert_norm(&n, "01149301234", "+49301234");
	assert_norm(&n, "12125550100", "+12125550100");
	/* empty prefixes turn their step off */
	assert_int_equal(ct_numbers_set_international_prefix(&n, "", err, sizeof(err)), CT_OK);
	assert_int_equal(ct_numbers_set_national_prefix(&n, "", err, sizeof(err)), CT_OK);
	assert_norm(&n, "01149301234", "01149301234");
	assert_norm(&n, "12125550100", "12125550100");
	assert_int_equal(ct_numbers_set_country_code(&n, "", err, sizeof(err)), CT_OK);
	assert_string_equal(n.country_code, "");
}

static void test_rule_order(void **state)
{
	(void)state;
	struct ct_numbers n;
	char err[256];
	ct_numbers_init(&n);
	/* first match wins: 0030 is caught by 00=>+ before 0=>+49 */
	assert_int_equal(ct_numbers_parse(&n, "00=>+;0=>+49", err, sizeof(err)), CT_OK);
	assert_int_equal(n.nrules, 2);
	assert_norm(&n, "0030123", "+30123");
	assert_norm(&n, "030123", "+4930123");
	/* the other order: 0=>+49 catches everything starting with 0 */
	assert_int_equal(ct_numbers_parse(&n, "0=>+49;00=>+", err, sizeof(err)), CT_OK);
	assert_norm(&n, "0030123", "+49030123");
	/* a rule is applied once, not again on its own result */
	assert_int_equal(ct_numbers_parse(&n, "1=>11", err, sizeof(err)), CT_OK);
	assert_norm(&n, "123", "1123");
	/* + in the prefix: E.164 back to national, then the national step is off without a cc */
	assert_int_equal(ct_numbers_parse(&n, "+49=>0", err, sizeof(err)), CT_OK);
	assert_norm(&n, "+4930555", "030555");
	/* a prefix without + never matches a number written with +, the empty prefix included */
	assert_int_equal(ct_numbers_parse(&n, "[4-8]=>+4930", err, sizeof(err)), CT_OK);
	assert_norm(&n, "+4930", "+4930");
	assert_norm(&n, "5555", "+49305555");
	/* a rule removing everything leaves no number */
	assert_int_equal(ct_numbers_parse(&n, "5000[4]=>", err, sizeof(err)), CT_OK);
	assert_norm(&n, "5000", "");
	/* parse replaces, "" clears */
	assert_int_equal(ct_numbers_parse(&n, "", err, sizeof(err)), CT_OK);
	assert_int_equal(n.nrules, 0);
	assert_int_equal(ct_numbers_parse(&n, NULL, err, sizeof(err)), CT_OK);
	assert_int_equal(n.nrules, 0);
}

static void test_length_conditions(void **state)
{
	(void)state;
	struct ct_numbers n;
	char err[256];
	ct_numbers_init(&n);
	assert_int_equal(ct_numbers_parse(&n, " 0 [11-12] => +49 ;; ", err, sizeof(err)), CT_OK);
	assert_int_equal(n.nrules, 1);
	assert_int_equal(n.rule[0].min_len, 11);
	assert_int_equal(n.rule[0].max_len, 12);
	assert_string_equal(n.rule[0].prefix, "0");
	assert_string_equal(n.rule[0].repl, "+49");
	assert_norm(&n, "0301234567", "0301234567");     /* 10 digits */
	assert_norm(&n, "03012345678", "+493012345678");  /* 11 */
	assert_norm(&n, "030123456789", "+4930123456789"); /* 12 */
	assert_norm(&n, "0301234567890", "0301234567890"); /* 13 */
	/* separators do not count, + does not either */
	assert_norm(&n, "030-1234-5678", "+493012345678");
	assert_int_equal(ct_numbers_parse(&n, "+49[12]=>0", err, sizeof(err)), CT_OK);
	assert_norm(&n, "+493012345678", "03012345678");
	assert_norm(&n, "+4930123456789", "+4930123456789");
}

static void assert_bad_rules(const char *rules, const char *msg)
{
	struct ct_numbers n;
	char err[256] = "";
	ct_numbers_init(&n);
	assert_int_equal(ct_numbers_parse(&n, "1=>2", err, sizeof(err)), CT_OK);
	assert_int_equal(ct_numbers_parse(&n, rules, err, sizeof(err)), CT_EINVAL);
	if (!strstr(err, msg))
		fail_msg("rules '%s': error '%s' does not say '%s'", rules, err, msg);
	/* n is unchanged */
	assert_int_equal(n.nrules, 1);
	assert_string_equal(n.rule[0].prefix, "1");
}

static void test_bad_rules(void **state)
{
	(void)state;
	assert_bad_rules("0+49", "rule 1 '0+49': expected PREFIX=>REPLACEMENT");
	assert_bad_rules("00=>+;0=+49", "rule 2 '0=+49': expected");
	assert_bad_rules("0x=>+49", "rule 1 '0x=>+49': PREFIX must be digits");
	assert_bad_rules("0=>+4 9", "REPLACEMENT must be digits");
	assert_bad_rules("0=>49+", "REPLACEMENT must be digits");
	assert_bad_rules("++0=>1", "PREFIX must be digits");
	assert_bad_rules("0[12-11]=>+49", "rule 1 '0[12-11]=>+49': length condition must be [N] or [N-M]");
	assert_bad_rules("0[0]=>+49", "length condition");
	assert_bad_rules("0[33]=>+49", "length condition");
	assert_bad_rules("0[]=>+49", "length condition");
	assert_bad_rules("0[1-]=>+49", "length condition");
	assert_bad_rules("0[a]=>+49", "length condition");
	assert_bad_rules("0[12=>+49", "length condition");
	assert_bad_rules("0[12]3=>+49", "length condition");
	assert_bad_rules("0[1000]=>+49", "length condition");
	assert_bad_rules("12345678901234567=>1", "at most 16 characters");
	assert_bad_rules("1=>+1234567890123456", "at most 16 characters");
	/* the third empty entry still counts in the numbering */
	assert_bad_rules("1=>2;;x=>1", "rule 3 'x=>1'");

	char many[512] = "";
	for (int i = 0; i < CT_NUMBERS_MAX_RULES + 1; i++) {
		size_t l = strlen(many);
		snprintf(many + l, sizeof(many) - l, "%d=>1;", i);
	}
	assert_bad_rules(many, "more than 32 rules");
	many[strlen(many) - 1] = '\0';
	*strrchr(many, ';') = '\0'; /* 32 rules: fine */
	struct ct_numbers n;
	char err[256];
	ct_numbers_init(&n);
	assert_int_equal(ct_numbers_parse(&n, many, err, sizeof(err)), CT_OK);
	assert_int_equal(n.nrules, CT_NUMBERS_MAX_RULES);
}

static void test_bad_prefixes(void **state)
{
	(void)state;
	struct ct_numbers n;
	char err[256];
	ct_numbers_init(&n);
	assert_int_equal(ct_numbers_set_country_code(&n, "4a", err, sizeof(err)), CT_EINVAL);
	assert_non_null(strstr(err, "country code '4a' must be 1 to 3 digits"));
	assert_int_equal(ct_numbers_set_country_code(&n, "4912", err, sizeof(err)), CT_EINVAL);
	assert_int_equal(ct_numbers_set_country_code(&n, "+49", err, sizeof(err)), CT_EINVAL);
	assert_string_equal(n.country_code, "");
	assert_int_equal(ct_numbers_set_national_prefix(&n, "00000", err, sizeof(err)), CT_EINVAL);
	assert_non_null(strstr(err, "national prefix"));
	assert_int_equal(ct_numbers_set_international_prefix(&n, "+", err, sizeof(err)), CT_EINVAL);
	assert_non_null(strstr(err, "international prefix"));
	assert_string_equal(n.national_prefix, "0");
	assert_string_equal(n.international_prefix, "00");
}

static void test_not_numbers(void **state)
{
	(void)state;
	struct ct_numbers n;
	site(&n);
	static const char *const bad[] = {
		"",
		"   ",
		"-.() ",
		"tel:",
		"sip:@host",
		"+",
		"sip:alice@example.com",
		"49+170",
		"++49170",
		"agent7",
		"5000\xc3\xa9",            /* UTF-8 after the digits */
		"\xff\xfe\x80",
		"12\x01" "34",
		"urn:service:sos",
		"123456789012345678901234567890123", /* 33 digits */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char out[CT_NUMBER_NORM_MAX] = "junk";
		if (ct_number_norm(&n, bad[i], out, sizeof(out)) != 0 || out[0])
			fail_msg("'%s' is a number: '%s'", bad[i], out);
	}
	char out[8] = "junk";
	assert_int_equal(ct_number_norm(&n, NULL, out, sizeof(out)), 0);
	assert_string_equal(out, "");
	assert_int_equal(ct_number_norm(&n, "5000", NULL, 0), 0);
	assert_int_equal(ct_number_norm(&n, "5000", out, 0), 0);
	/* too small an output: nothing, not a truncated number */
	assert_int_equal(ct_number_norm(&n, "5000", out, 5), 0);
	assert_string_equal(out, "");
	assert_int_equal(ct_number_norm(&n, "5000", out, 8), 0); /* +4930555000 needs 12 */
	assert_int_equal(ct_number_norm(&n, "2001", out, 5), 4);
	assert_string_equal(out, "2001");

	/* device ids that are not numbers compare as text */
	assert_true(ct_number_same(&n, "agent7", "agent7"));
	assert_false(ct_number_same(&n, "agent7", "agent8"));
	assert_false(ct_number_same(&n, "", ""));
	assert_false(ct_number_same(&n, NULL, NULL));
	assert_false(ct_number_same(&n, "agent7", "5000"));
	assert_false(ct_number_same(&n, "--", "5000"));
}

static void test_hostile_lengths(void **state)
{
	(void)state;
	struct ct_numbers n;
	site(&n);
	char out[CT_NUMBER_NORM_MAX];
	/* 32 digits is the limit, and rewriting past it is refused */
	char d[64];
	memset(d, '1', 32);
	d[32] = '\0';
	assert_int_equal(ct_number_norm(&n, d, out, sizeof(out)), 32);
	char err[256];
	assert_int_equal(ct_numbers_parse(&n, "1=>12", err, sizeof(err)), CT_OK);
	assert_int_equal(ct_number_norm(&n, d, out, sizeof(out)), 0);
	site(&n);

	/* a megabyte of digits, of separators, of '<' and of high bytes: refused, quickly */
	size_t big = 1 << 20;
	char *s = malloc(big + 1);
	assert_non_null(s);
	const char fill[] = { '5', '-', '<', (char)0xff, '@', ';' };
	for (size_t k = 0; k < sizeof(fill); k++) {
		memset(s, fill[k], big);
		s[big] = '\0';
		assert_int_equal(ct_number_norm(&n, s, out, sizeof(out)), 0);
		assert_false(ct_number_same(&n, s, "5000"));
	}
	/* a number at the front of a long text is still refused (the text is not a number) */
	memset(s, ' ', big);
	memcpy(s, "5000", 4);
	assert_int_equal(ct_number_norm(&n, s, out, sizeof(out)), 0);
	/* but within CT_NUMBER_SCAN_MAX bytes, padding is fine */
	memset(s, ' ', CT_NUMBER_SCAN_MAX);
	memcpy(s + CT_NUMBER_SCAN_MAX - 4, "5000", 4);
	s[CT_NUMBER_SCAN_MAX] = '\0';
	assert_norm(&n, s, "+4930555000");
	free(s);

	/* unterminated '<', '>' first, nested schemes */
	assert_norm(&n, "<sip:5000@h", "+4930555000");
	assert_norm(&n, ">5000", "");
	assert_norm(&n, "sip:tel:5000", "");
	assert_norm(&n, "<<5000>>", "");
}

/* R20 of the scenario variants: a local number in a phone-context, and tails naming one party. */
static void test_context_and_tails(void **state)
{
	(void)state;
	char out[CT_NUMBER_NORM_MAX];
	assert_int_not_equal(ct_number_clean("tel:030-3444-42001;phone-context=+49", out, sizeof(out)), 0);
	assert_string_equal(out, "+4930344442001");
	assert_int_not_equal(ct_number_clean("sip:030 3444 42001;phone-context=+49@10.1.0.1;user=phone", out, sizeof(out)), 0);
	assert_string_equal(out, "+4930344442001");
	assert_int_not_equal(ct_number_clean("tel:5551234;phone-context=+1-212", out, sizeof(out)), 0);
	assert_string_equal(out, "+12125551234");
	assert_int_not_equal(ct_number_clean("tel:+4930555;phone-context=+1", out, sizeof(out)), 0);
	assert_string_equal(out, "+4930555"); /* a global number needs no context */
	assert_int_not_equal(ct_number_clean("N<+4930344442001>;displayNumber=2001;noa=nk", out, sizeof(out)), 0);
	assert_string_equal(out, "+4930344442001");
	assert_true(ct_number_tail_same("2001", "+49 30 3444 42001", 4));
	assert_true(ct_number_tail_same("017012345678", "+4917012345678", 4));
	assert_true(ct_number_tail_same("tel:+49-30-3444-42001", "030344442001", 4));
	assert_false(ct_number_tail_same("2001", "+4930344442002", 4));
	assert_false(ct_number_tail_same("001", "+4930344442001", 4)); /* too short to tell */
	assert_false(ct_number_tail_same("anonymous", "2001", 4));
	assert_false(ct_number_tail_same(NULL, "2001", 4));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_context_and_tails),
		cmocka_unit_test(test_same_number_all_forms),
		cmocka_unit_test(test_private_and_extensions),
		cmocka_unit_test(test_docs_example),
		cmocka_unit_test(test_defaults_without_rules),
		cmocka_unit_test(test_rule_order),
		cmocka_unit_test(test_length_conditions),
		cmocka_unit_test(test_bad_rules),
		cmocka_unit_test(test_bad_prefixes),
		cmocka_unit_test(test_not_numbers),
		cmocka_unit_test(test_hostile_lengths),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
