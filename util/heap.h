/* heap.h - the one timer heap of ctitap: a binary min-heap of intrusive nodes by due time.
 *
 * Whatever waits for packet time (a call whose record is due, a SIP dialog's timers) embeds a
 * struct ct_heap_node; the heap keeps pointers to the nodes and each node its place, so a
 * due time moves in O(log n) and an element leaves in O(log n) without stale entries. The
 * expiry passes of the modules take the top while it is due, doing bounded work per pass. The
 * heap owns no node. Equal due times come out in an order fixed by the sequence of pushes and
 * updates, so a replay expires them as the live run did. Single-threaded.
 */
#ifndef CT_HEAP_H
#define CT_HEAP_H

#include <stdbool.h>
#include <stdint.h>

#include "ct.h"

struct ct_heap_node {
	ct_time_t due;
	uint32_t idx;           /* place in the heap (meaningful while in it) */
	bool in;
};

struct ct_heap {
	struct ct_heap_node **a;
	uint32_t n, cap;
};

/* Room for cap nodes now (it grows by doubling when more come). Returns CT_OK or CT_ENOMEM. */
int ct_heap_init(struct ct_heap *h, uint32_t cap);
void ct_heap_free(struct ct_heap *h);

/* Adds x due at `due`. Returns CT_OK, or CT_ENOMEM when the heap could not grow (x not in). */
int ct_heap_push(struct ct_heap *h, struct ct_heap_node *x, ct_time_t due);
/* Removes x (a node not in the heap is ignored). */
void ct_heap_remove(struct ct_heap *h, struct ct_heap_node *x);
/* Moves x (in the heap) to a new due time. */
void ct_heap_update(struct ct_heap *h, struct ct_heap_node *x, ct_time_t due);

/* The node due first, or NULL when empty. */
static inline struct ct_heap_node *ct_heap_top(const struct ct_heap *h)
{
	return h->n ? h->a[0] : NULL;
}

#endif
