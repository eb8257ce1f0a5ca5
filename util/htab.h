/* htab.h - the one hash table of ctitap: intrusive, chained, keyed by the caller's hash.
 *
 * Every table keyed by what the wire says (flows, fragments, Call-IDs, devices, call index
 * keys, RTP endpoints, monitor ids) is one of these. An element embeds a struct ct_hnode and
 * is found back with CT_CONTAINER_OF; the table never allocates per element and owns none of
 * them: the caller allocates, adds, deletes and frees. The caller hashes the key (ct_hash()
 * with a per-run random key for anything a packet chose, util/hash.h) and compares keys; the
 * table keeps the 64-bit hash of each node so that a lookup compares keys only on a hash
 * match. Deletion is O(1) (each node knows the pointer that points to it).
 *
 * Buckets are a power of two, sized once from the cap of what the table will hold (the caps
 * bound every table, so it never resizes and no insert ever stalls on a rehash). Single-
 * threaded, like the pipeline (capture.workers' shards read the flow table while nothing changes it).
 */
#ifndef CT_HTAB_H
#define CT_HTAB_H

#include <stddef.h>
#include <stdint.h>

#include "ct.h"

struct ct_hnode {
	struct ct_hnode *next;
	struct ct_hnode **pprev;
	uint64_t h;
};

struct ct_htab {
	struct ct_hnode **b;
	uint64_t mask;
	size_t n;               /* nodes in the table */
};

#define CT_CONTAINER_OF(ptr, type, member) ((type *)(void *)((char *)(ptr) - offsetof(type, member)))

/* Buckets for `cap` nodes (at least one bucket per node, rounded up to a power of two,
 * between 16 and max_buckets). Returns CT_OK or CT_ENOMEM. */
int ct_htab_init(struct ct_htab *t, size_t cap, size_t max_buckets);
/* Frees the buckets (not the nodes). */
void ct_htab_free(struct ct_htab *t);

void ct_htab_add(struct ct_htab *t, struct ct_hnode *n, uint64_t h);
/* Removes n (which must be in t). */
void ct_htab_del(struct ct_htab *t, struct ct_hnode *n);

/* The nodes whose hash is h, in no particular order:
 *	for (struct ct_hnode *n = ct_htab_first(t, h); n; n = ct_htab_next(n)) ... */
static inline struct ct_hnode *ct_htab_from(struct ct_hnode *n, uint64_t h)
{
	while (n && n->h != h)
		n = n->next;
	return n;
}

static inline struct ct_hnode *ct_htab_first(const struct ct_htab *t, uint64_t h)
{
	return ct_htab_from(t->b[h & t->mask], h);
}

static inline struct ct_hnode *ct_htab_next(const struct ct_hnode *n)
{
	return ct_htab_from(n->next, n->h);
}

/* Every node (for teardown): bucket index *i and node *n advance; NULL at the end. Deleting
 * the returned node before the next call is allowed. */
struct ct_hnode *ct_htab_walk(const struct ct_htab *t, size_t *i, struct ct_hnode **next);

#endif
