/* htab.c - the intrusive hash table (htab.h). */
#include "htab.h"

#include <stdlib.h>

int ct_htab_init(struct ct_htab *t, size_t cap, size_t max_buckets)
{
	size_t nb = 16;
	while (nb < cap && nb < max_buckets)
		nb <<= 1;
	t->b = calloc(nb, sizeof(*t->b));
	if (!t->b)
		return CT_ENOMEM;
	t->mask = nb - 1;
	t->n = 0;
	return CT_OK;
}

void ct_htab_free(struct ct_htab *t)
{
	free(t->b);
	t->b = NULL;
	t->n = 0;
}

void ct_htab_add(struct ct_htab *t, struct ct_hnode *n, uint64_t h)
{
	struct ct_hnode **head = &t->b[h & t->mask];
	n->h = h;
	n->next = *head;
	if (*head)
		(*head)->pprev = &n->next;
	n->pprev = head;
	*head = n;
	t->n++;
}

void ct_htab_del(struct ct_htab *t, struct ct_hnode *n)
{
	*n->pprev = n->next;
	if (n->next)
		n->next->pprev = n->pprev;
	n->next = NULL;
	n->pprev = NULL;
	t->n--;
}

struct ct_hnode *ct_htab_walk(const struct ct_htab *t, size_t *i, struct ct_hnode **next)
{
	struct ct_hnode *n = *next;
	while (!n && *i <= t->mask)
		n = t->b[(*i)++];
	if (n)
		*next = n->next;
	return n;
}
