/* test_hash.c - ct_hash_short() is SipHash-2-4 as ct_hash() (libsodium) computes it, at every
 * length it takes, and the reference vectors of the SipHash paper (appendix A);
 * ct_hash13_short() is SipHash-1-3 as the reference implementation computes it. */
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

/* SipHash-1-3 under the key 0, of the messages 00, 00 01, .. 00 01 .. 0e: the 64-bit outputs of
 * the reference implementation (https://github.com/veorq/SipHash built with cROUNDS=1,
 * dROUNDS=3), as OCaml's test suite lists them (testsuite/tests/hash/sip13.ml); Python 3.11's
 * hash() of the same bytes under PYTHONHASHSEED=0 gives the same for lengths 8, 13 and 15. */
static void test_siphash13_reference(void **state)
{
	(void)state;
	static const uint64_t want[16] = {
		0xd1fba762150c532cULL, 0x68a914128e01e473ULL, 0x010bac45c41e3669ULL, 0x4d4c9a4a8ef6e0adULL,
		0x7cc43f98813e4dbdULL, 0x5abe2169dff36275ULL, 0xe3c25f87624f1cdbULL, 0x2f098ab0c751325aULL,
		0xead411e67ebe2eeaULL, 0x75927f9d95124362ULL, 0xaf9f77a65ab51a1dULL, 0xfe64ce8b6617fcffULL,
		0xa6baf4fb0f9fe1c2ULL, 0xa0cf3211850f8e0dULL, 0x7f86049379fbfe67ULL, 0xf30eb725bb91c9eaULL,
	};
	struct ct_hashkey key;
	ct_hashkey_fixed(&key, 0);
	uint8_t msg[15];
	for (int i = 0; i < 15; i++)
		msg[i] = (uint8_t)i;
	for (size_t len = 0; len <= 15; len++)
		assert_int_equal(ct_hash13_short(&key, msg, len), want[len]);
	/* the words form the flow table calls: 13 bytes as m0 and a 5-byte tail */
	assert_int_equal(ct_hash13_words(&key, ct_le64(msg, 8), ct_le64(msg + 8, 5), 13), want[13]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_paper_vector),
		cmocka_unit_test(test_same_as_libsodium),
		cmocka_unit_test(test_siphash13_reference),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
