/* test_slice.c - the slice helpers (util/slice.h) on the edges callers hit: a NULL slice (an
 * absent SIP header is CT_SLICE_NULL), an empty one, no separator, a separator first and
 * last. Run under UBSan too (tests/CMakeLists.txt's sanitize build): before the fix,
 * ct_slice_split() of a NULL slice computed NULL + 0, which is undefined behaviour and aborts
 * there ("applying zero offset to null pointer"). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "util/slice.h"

static void assert_slice(struct ct_slice s, const char *want)
{
	assert_int_equal(s.len, strlen(want));
	if (s.len)
		assert_memory_equal(s.p, want, s.len);
}

static void split_null(void **state)
{
	(void)state;
	struct ct_slice rest = CT_SLICE_NULL;
	struct ct_slice head = ct_slice_split(&rest, ';');
	assert_null(head.p);
	assert_int_equal(head.len, 0);
	assert_null(rest.p);
	assert_int_equal(rest.len, 0);
	/* again on what is left, and trimmed, as the SIP and SDP parsers chain them */
	head = ct_slice_trim(ct_slice_split(&rest, '='));
	assert_int_equal(head.len, 0);
	assert_int_equal(rest.len, 0);
}

static void split_empty(void **state)
{
	(void)state;
	const char *text = "x";
	struct ct_slice rest = ct_slice_make(text, 0);
	struct ct_slice head = ct_slice_split(&rest, ';');
	assert_ptr_equal(head.p, text);
	assert_int_equal(head.len, 0);
	assert_ptr_equal(rest.p, text);
	assert_int_equal(rest.len, 0);
}

static void split_cases(void **state)
{
	(void)state;
	/* application/sdp;charset=utf-8: the MIME type, then its parameter */
	const char *ct = "application/sdp;charset=utf-8";
	struct ct_slice rest = ct_slice_cstr(ct);
	assert_slice(ct_slice_split(&rest, ';'), "application/sdp");
	assert_slice(rest, "charset=utf-8");
	assert_slice(ct_slice_split(&rest, '='), "charset");
	assert_slice(rest, "utf-8");
	/* no separator: all of it, and the rest empty at its end (not at its start) */
	assert_slice(ct_slice_split(&rest, ';'), "utf-8");
	assert_int_equal(rest.len, 0);
	assert_ptr_equal(rest.p, ct + strlen(ct));
	/* separator first and last: "a=rtpmap:" and ":8" halves */
	rest = ct_slice_cstr(":8");
	assert_slice(ct_slice_split(&rest, ':'), "");
	assert_slice(rest, "8");
	rest = ct_slice_cstr("rtpmap:");
	assert_slice(ct_slice_split(&rest, ':'), "rtpmap");
	assert_int_equal(rest.len, 0);
	/* two separators in a row: an empty field between */
	rest = ct_slice_cstr("10.0.0.1//2");
	assert_slice(ct_slice_split(&rest, '/'), "10.0.0.1");
	assert_slice(ct_slice_split(&rest, '/'), "");
	assert_slice(rest, "2");
}

static void sub_null(void **state)
{
	(void)state;
	struct ct_slice s = ct_slice_sub(CT_SLICE_NULL, 0, 5);
	assert_null(s.p);
	assert_int_equal(s.len, 0);
	s = ct_slice_sub(CT_SLICE_NULL, 3, 5);
	assert_null(s.p);
	assert_int_equal(s.len, 0);
	s = ct_slice_sub(ct_slice_cstr("PCMA/8000"), 5, 100);
	assert_slice(s, "8000");
	s = ct_slice_sub(ct_slice_cstr("PCMA"), 9, 1);
	assert_int_equal(s.len, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(split_null),
		cmocka_unit_test(split_empty),
		cmocka_unit_test(split_cases),
		cmocka_unit_test(sub_null),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
