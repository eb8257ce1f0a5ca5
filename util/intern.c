/* intern.c - interned text (intern.h). */
#include "intern.h"

#include <stdlib.h>
#include <string.h>

const char ct_intern_empty[1] = "";

struct istr {
	struct ct_hnode hn;
	uint32_t refs;
	uint32_t len;
	char s[];                  /* len bytes and a NUL */
};

int ct_intern_init(struct ct_intern *it, const struct ct_hashkey *key, size_t cap)
{
	it->key = *key;
	it->bytes = 0;
	return ct_htab_init(&it->tab, cap, (size_t)1 << 22);
}

void ct_intern_free(struct ct_intern *it)
{
	if (!it->tab.b)
		return;
	size_t i = 0;
	struct ct_hnode *next = NULL, *n;
	while ((n = ct_htab_walk(&it->tab, &i, &next))) {
		ct_htab_del(&it->tab, n);
		free(CT_CONTAINER_OF(n, struct istr, hn));
	}
	ct_htab_free(&it->tab);
	it->bytes = 0;
}

const char *ct_intern_get(struct ct_intern *it, const char *s, size_t len)
{
	if (!len)
		return ct_intern_empty;
	if (len > UINT32_MAX - 1)
		return NULL;
	uint64_t h = ct_hash(&it->key, s, len);
	for (struct ct_hnode *n = ct_htab_first(&it->tab, h); n; n = ct_htab_next(n)) {
		struct istr *e = CT_CONTAINER_OF(n, struct istr, hn);
		if (e->len == len && memcmp(e->s, s, len) == 0) {
			if (e->refs == UINT32_MAX)
				return NULL; /* four billion holders: not in this program's memory */
			e->refs++;
			return e->s;
		}
	}
	struct istr *e = malloc(sizeof(*e) + len + 1);
	if (!e)
		return NULL;
	e->refs = 1;
	e->len = (uint32_t)len;
	memcpy(e->s, s, len);
	e->s[len] = '\0';
	ct_htab_add(&it->tab, &e->hn, h);
	it->bytes += sizeof(*e) + len + 1;
	return e->s;
}

void ct_intern_put(struct ct_intern *it, const char *s)
{
	if (!s || s == ct_intern_empty)
		return;
	struct istr *e = CT_CONTAINER_OF(s, struct istr, s);
	if (--e->refs)
		return;
	ct_htab_del(&it->tab, &e->hn);
	it->bytes -= sizeof(*e) + e->len + 1;
	free(e);
}

size_t ct_intern_count(const struct ct_intern *it)
{
	return it->tab.n;
}
