/* xorshift.h - the tests' pseudo-random numbers (Marsaglia's xorshift64): a fixed seed, so a
 * failing run is the same run every time. Include in one file of a test program. */
#ifndef CT_TESTS_XORSHIFT_H
#define CT_TESTS_XORSHIFT_H

#include <stdint.h>

static uint64_t test_rng = 88172645463325252ULL;

static inline uint32_t test_next(void)
{
	test_rng ^= test_rng << 13;
	test_rng ^= test_rng >> 7;
	test_rng ^= test_rng << 17;
	return (uint32_t)test_rng;
}

#endif
