/* dedup.c - SPAN duplicate detection over a fingerprint window (see dedup.h). */
#include "dedup.h"

#include <stdlib.h>
#include <string.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "../util/ct.h"

#define DEDUP_WAYS 4

int ct_dedup_init(struct ct_dedup *d, uint32_t buckets, ct_time_t window, const struct ct_hashkey *key)
{
	uint32_t n = 256;
	while (n < buckets && n < (1u << 24))
		n <<= 1;
	size_t bytes = (size_t)n * DEDUP_WAYS * sizeof(*d->slots);
	d->slots = aligned_alloc(64, bytes); /* a bucket is one cache line */
	if (!d->slots)
		return CT_ENOMEM;
	memset(d->slots, 0, bytes);
	d->mask = n - 1;
	d->window = window;
	d->seed = ct_hash(key, "dedup", 5);
	return CT_OK;
}

void ct_dedup_free(struct ct_dedup *d)
{
	free(d->slots);
	d->slots = NULL;
}


bool ct_dedup_check(struct ct_dedup *d, const struct ct_dedup_id *id, const uint8_t *payload, size_t len,
		    ct_time_t now)
{
	uint64_t ih = XXH3_64bits_withSeed(id->w, (size_t)id->n * 8, d->seed);
	struct ct_dedup_slot *b = &d->slots[(size_t)(ih & d->mask) * DEDUP_WAYS];
	__builtin_prefetch(b, 1);
	uint64_t fp = XXH3_64bits_withSeed(payload, len, d->seed ^ ih);
	if (fp == 0)
		fp = 1; /* 0 marks an empty slot */
	/* the slot to reuse: the oldest of those out of the window (either way) or empty, else
	 * the oldest. Entries left ahead by a clock that moved back (capture.h) are out of the
	 * window too: they must not hold their slots until the clock catches up with them. */
	struct ct_dedup_slot *victim = NULL;
	bool victim_out = false;
	for (int i = 0; i < DEDUP_WAYS; i++) {
		/* Packet times can step backwards across merged files: compare both ways. */
		ct_time_t dt = now >= b[i].ts ? now - b[i].ts : b[i].ts - now;
		if (b[i].fp == fp) {
			if (dt <= d->window)
				return true;
			b[i].ts = now;
			return false;
		}
		bool out = b[i].fp == 0 || dt > d->window;
		if (!victim || (out && !victim_out) || (out == victim_out && b[i].ts < victim->ts)) {
			victim = &b[i];
			victim_out = out;
		}
	}
	victim->fp = fp;
	victim->ts = now;
	return false;
}
