/* test_hash.c - ct_hash_short() is SipHash-2-4 as ct_hash() (libsodium) computes it, at every
 * length it takes, and the reference vectors of the SipHash paper (appendix A). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "util/ct.h"
#include "util/hash.h"

static void test_paper_vector(void **state)
{
	(void)state;
	/* key 00 01 .. 0f, message 00 01 .. 0e: a129ca6149be45e5 (appendix A) */
	struct ct_hashkey key;
	uint8_t msg[15];
	for (int i = 0; i < 16; i++)
		key.k[i] = (uint8_t)i;
	for (int i = 0; i < 15; i++)
		msg[i] = (uint8_t)i;
	assert_int_equal(ct_hash_short(&key, msg, 15), 0xa129ca6149be45e5ULL);
	assert_int_equal(ct_hash(&key, msg, 15), 0xa129ca6149be45e5ULL);
}

static void test_same_as_libsodium(void **state)
{
	(void)state;
	struct ct_hashkey key;
	assert_int_equal(ct_hashkey_random(&key), CT_OK);
	uint8_t msg[15];
	for (unsigned round = 0; round < 200; round++) {
		for (size_t i = 0; i < sizeof(msg); i++)
			msg[i] = (uint8_t)(round * 31 + i * 7);
		for (size_t len = 0; len <= sizeof(msg); len++)
			assert_int_equal(ct_hash_short(&key, msg, len), ct_hash(&key, msg, len));
		key.k[round % 16] ^= (uint8_t)round;
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_paper_vector),
		cmocka_unit_test(test_same_as_libsodium),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
