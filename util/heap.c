/* heap.c - the timer heap (heap.h). */
#include "heap.h"

#include <stdlib.h>

static void place(struct ct_heap *h, uint32_t i, struct ct_heap_node *x)
{
	h->a[i] = x;
	x->idx = i;
}

static void up(struct ct_heap *h, uint32_t i)
{
	struct ct_heap_node *x = h->a[i];
	while (i > 0) {
		uint32_t p = (i - 1) / 2;
		if (h->a[p]->due <= x->due)
			break;
		place(h, i, h->a[p]);
		i = p;
	}
	place(h, i, x);
}

static void down(struct ct_heap *h, uint32_t i)
{
	struct ct_heap_node *x = h->a[i];
	for (;;) {
		uint32_t c = 2 * i + 1;
		if (c >= h->n)
			break;
		if (c + 1 < h->n && h->a[c + 1]->due < h->a[c]->due)
			c++;
		if (x->due <= h->a[c]->due)
			break;
		place(h, i, h->a[c]);
		i = c;
	}
	place(h, i, x);
}

int ct_heap_init(struct ct_heap *h, uint32_t cap)
{
	h->n = 0;
	h->cap = cap ? cap : 16;
	h->a = malloc((size_t)h->cap * sizeof(*h->a));
	return h->a ? CT_OK : CT_ENOMEM;
}

void ct_heap_free(struct ct_heap *h)
{
	free(h->a);
	h->a = NULL;
	h->n = h->cap = 0;
}

int ct_heap_push(struct ct_heap *h, struct ct_heap_node *x, ct_time_t due)
{
	if (h->n == h->cap) {
		if (h->cap > UINT32_MAX / 2)
			return CT_ENOMEM;
		struct ct_heap_node **a = realloc(h->a, (size_t)h->cap * 2 * sizeof(*a));
		if (!a)
			return CT_ENOMEM;
		h->a = a;
		h->cap *= 2;
	}
	x->due = due;
	x->in = true;
	place(h, h->n++, x);
	up(h, x->idx);
	return CT_OK;
}

void ct_heap_remove(struct ct_heap *h, struct ct_heap_node *x)
{
	if (!x->in)
		return;
	x->in = false;
	uint32_t i = x->idx;
	struct ct_heap_node *last = h->a[--h->n];
	if (last == x)
		return;
	place(h, i, last);
	up(h, i);
	down(h, last->idx);
}

void ct_heap_update(struct ct_heap *h, struct ct_heap_node *x, ct_time_t due)
{
	if (due == x->due)
		return;
	bool later = due > x->due;
	x->due = due;
	if (later)
		down(h, x->idx);
	else
		up(h, x->idx);
}
