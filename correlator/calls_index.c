/* calls_index.c - the call correlator's index: every key a call is known by, with the time it
 * was last named (calls_int.h). */
#include <stdlib.h>
#include <string.h>

#include "calls_int.h"

struct ikey *idx_find(struct ct_calls *t, const char *key)
{
	uint64_t h = ct_hash(&t->key, key, strlen(key));
	for (struct ikey *k = t->buckets[h & t->mask]; k; k = k->hnext)
		if (k->h == h && strcmp(k->key, key) == 0)
			return k;
	return NULL;
}

bool idx_add(struct ct_calls *t, struct ikey *k, const char *key, struct ccall *cc, ct_time_t ts)
{
	k->key = strdup(key);
	if (!k->key)
		return false;
	k->h = ct_hash(&t->key, k->key, strlen(k->key));
	k->cc = cc;
	k->ts = ts;
	k->used = true;
	k->hnext = t->buckets[k->h & t->mask];
	t->buckets[k->h & t->mask] = k;
	return true;
}

void idx_del(struct ct_calls *t, struct ikey *k)
{
	if (!k->used)
		return;
	struct ikey **pp = &t->buckets[k->h & t->mask];
	while (*pp && *pp != k)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = k->hnext;
	k->used = false;
	free(k->key);
	k->key = NULL;
}

/* "kind:a" or "kind:a|b", cut at CALLS_KEY (without printf: several keys per message). */
void mkkey(char *key, const char *kind, const char *a, const char *b)
{
	size_t n = 0;
	const char *parts[4] = { kind, ":", a, b ? "|" : NULL };
	for (int i = 0; i < 5; i++) {
		const char *p = i < 4 ? parts[i] : b;
		for (; p && *p && n < CALLS_KEY - 1; p++)
			key[n++] = *p;
	}
	key[n] = '\0';
}

/* Remembers an id of the call for the legs still to come. A device or number entry moves to
 * the newest call that names it; a shared id stays with the call that had it first. */
void remember(struct ct_calls *t, struct ccall *cc, const char *kind, const char *value, ct_time_t ts)
{
	if (calls_empty(value))
		return;
	char key[CALLS_KEY];
	mkkey(key, kind, value, NULL);
	struct ikey *k = idx_find(t, key);
	if (k) {
		if (k->cc == cc) {
			k->ts = ts;
			return;
		}
		if (strcmp(kind, "ucid") == 0 || strcmp(kind, "gid") == 0)
			return;
		idx_del(t, k);
	}
	for (unsigned i = 0; i < CALLS_MAX_KEYS; i++)
		if (!cc->keys[i].used) {
			idx_add(t, &cc->keys[i], key, cc, ts);
			return;
		}
}

struct ikey *idx_find_kind(struct ct_calls *t, const char *kind, const char *value)
{
	char key[CALLS_KEY];
	mkkey(key, kind, value, NULL);
	return idx_find(t, key);
}

struct ccall *lookup(struct ct_calls *t, const char *kind, const char *value, ct_time_t ts, bool timed)
{
	if (calls_empty(value))
		return NULL;
	char key[CALLS_KEY];
	mkkey(key, kind, value, NULL);
	struct ikey *k = idx_find(t, key);
	if (!k)
		return NULL;
	if (timed) {
		ct_time_t d = ts > k->ts ? ts - k->ts : k->ts - ts;
		if (d > t->cfg.window)
			return NULL;
		/* a call that is over takes no new legs on circumstantial evidence */
		bool open = false;
		for (unsigned i = 0; i < k->cc->nlegs && !open; i++)
			open = !k->cc->legs[i].ended && !k->cc->legs[i].bye;
		if (!open)
			return NULL;
	}
	return k->cc;
}

struct leg *leg_of(struct ct_calls *t, const char *key, struct ccall **cc)
{
	struct ikey *k = idx_find(t, key);
	if (!k)
		return NULL;
	for (unsigned i = 0; i < k->cc->nlegs; i++)
		if (&k->cc->legs[i].k == k) {
			*cc = k->cc;
			return &k->cc->legs[i];
		}
	return NULL;
}

