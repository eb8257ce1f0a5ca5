/* test_cursor.c - the bounds-checked packet cursor (util/cursor.h): every read past the end
 * returns 0 and sticks, limits and sub-cursors never widen what can be read. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "util/cursor.h"

/* An IPv4 header's first 8 bytes, then 4 bytes of link-layer padding. */
static const uint8_t pkt[] = { 0x45, 0x00, 0x00, 0x08, 0x12, 0x34, 0x40, 0x00, 0xde, 0xad, 0xbe, 0xef };

static void test_reads_and_sticky_error(void **state)
{
	(void)state;
	struct ct_cur c = ct_cur_make(pkt, 8);
	assert_int_equal(ct_cur_u8(&c), 0x45);
	ct_cur_skip(&c, 1);
	assert_int_equal(ct_cur_be16(&c), 8);
	assert_int_equal(ct_cur_be32(&c), 0x12344000u);
	assert_int_equal(ct_cur_avail(&c), 0);
	assert_int_equal(c.err, 0);
	assert_int_equal(ct_cur_u8(&c), 0); /* past the end: 0 and the error */
	assert_int_not_equal(c.err, 0);
	assert_null(ct_cur_here(&c));
	c.pos = 0;                           /* the error sticks even where bytes would be */
	assert_int_equal(ct_cur_u8(&c), 0);
}

static void test_peeks(void **state)
{
	(void)state;
	struct ct_cur c = ct_cur_make(pkt, 4);
	assert_int_equal(ct_cur_peek_be16(&c, 2), 8);
	assert_int_equal(ct_cur_peek_be16(&c, 3), 0); /* one byte left at 3: out of range */
	assert_int_equal(ct_cur_peek(&c, 3), 0x08);
	assert_int_equal(ct_cur_peek(&c, 4), 0);
	assert_int_equal(ct_cur_peek_be16(&c, SIZE_MAX), 0); /* no wrap-around */
	assert_int_equal(c.err, 0);                        /* peeks never set the error */
	ct_cur_skip(&c, 3);
	assert_int_equal(ct_cur_peek_be16(&c, 0), 0);
	assert_int_equal(ct_cur_peek(&c, 0), 0x08);
}

static void test_limit_drops_padding(void **state)
{
	(void)state;
	struct ct_cur c = ct_cur_make(pkt, sizeof(pkt));
	ct_cur_skip(&c, 2);
	uint16_t total = ct_cur_be16(&c);
	assert_true(ct_cur_limit(&c, total - 4u)); /* the rest of the 8-byte packet: 4 bytes */
	assert_int_equal(ct_cur_avail(&c), 4);
	assert_int_equal(ct_cur_be32(&c), 0x12344000u);
	assert_int_equal(ct_cur_u8(&c), 0); /* the padding is not readable */
	assert_int_not_equal(c.err, 0);

	struct ct_cur d = ct_cur_make(pkt, 4);
	assert_false(ct_cur_limit(&d, 5)); /* a limit past the end is an overrun */
	assert_int_not_equal(d.err, 0);
	assert_int_equal(ct_cur_avail(&d), 0);
}

static void test_sub_and_skip_upto(void **state)
{
	(void)state;
	struct ct_cur c = ct_cur_make(pkt, sizeof(pkt));
	struct ct_cur s = ct_cur_sub(&c, 3);
	assert_int_equal(ct_cur_avail(&s), 3);
	assert_int_equal(ct_cur_peek(&s, 2), 0x00);
	assert_int_equal(ct_cur_peek(&s, 3), 0); /* the sub-cursor ends at its 3 bytes */
	assert_int_equal(c.pos, 3);
	ct_cur_skip_upto(&c, 100); /* optional padding: to the end, no error */
	assert_int_equal(ct_cur_avail(&c), 0);
	assert_int_equal(c.err, 0);
	struct ct_cur t = ct_cur_sub(&c, 1); /* nothing left: an empty cursor in error */
	assert_int_equal(ct_cur_avail(&t), 0);
	assert_int_not_equal(t.err, 0);
	assert_int_not_equal(c.err, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reads_and_sticky_error),
		cmocka_unit_test(test_peeks),
		cmocka_unit_test(test_limit_drops_padding),
		cmocka_unit_test(test_sub_and_skip_upto),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
