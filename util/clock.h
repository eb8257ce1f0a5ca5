/* clock.h - the monotonic wall clock, for what must happen in real time (flushing outputs,
 * pacing, delivery timeouts). Everything about the traffic itself runs on packet time. */
#ifndef CT_CLOCK_H
#define CT_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t ct_mono_us(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000u + (uint64_t)t.tv_nsec / 1000u;
}

static inline uint64_t ct_mono_ms(void)
{
	return ct_mono_us() / 1000u;
}

#endif
