/* calls_index.c - the call correlator's index: every key a call is known by, with the time it
 * was last named (calls_int.h). Keys are whole: one too long for CALLS_KEY is refused and
 * counted, never cut (a cut key could make two calls one). */
#include <stdlib.h>
#include <string.h>

#include "calls_int.h"

struct ikey *idx_find(struct ct_calls *t, const char *key)
{
	uint64_t h = ct_hash(&t->key, key, strlen(key));
	for (struct ct_hnode *n = ct_htab_first(&t->idx, h); n; n = ct_htab_next(n)) {
		struct ikey *k = CT_CONTAINER_OF(n, struct ikey, hn);
		if (strcmp(k->key, key) == 0)
			return k;
	}
	return NULL;
}

struct ikey *idx_add(struct ct_calls *t, const char *key, struct ccall *cc, ct_time_t ts)
{
	size_t n = strlen(key);
	struct ikey *k = malloc(sizeof(*k) + n + 1);
	if (!k) {
		t->ctr->calls_keys_dropped++;
		return NULL;
	}
	memcpy(k->key, key, n + 1);
	k->cc = cc;
	k->ts = ts;
	ct_htab_add(&t->idx, &k->hn, ct_hash(&t->key, k->key, n));
	return k;
}

void idx_del(struct ct_calls *t, struct ikey *k)
{
	if (!k)
		return;
	ct_htab_del(&t->idx, &k->hn);
	free(k);
}

void idx_move(struct ct_calls *t, struct ikey *k, struct ccall *cc)
{
	/* out and in again: the entry goes to the front of its chain, as a new one would (the
	 * order in which lookup_all() finds the calls of a key is the order they were named in) */
	uint64_t h = k->hn.h;
	ct_htab_del(&t->idx, &k->hn);
	k->cc = cc;
	ct_htab_add(&t->idx, &k->hn, h);
}

void leg_call_id(struct leg *l)
{
	const char *k = l->k->key;
	if (l->sip) {
		l->call_id = k + 4; /* "sip:" */
		return;
	}
	const char *bar = strchr(k + 5, '|'); /* "csta:" link "|" callID: links have no '|' */
	l->call_id = bar ? bar + 1 : "";
}

bool mkkey(char *key, const char *kind, const char *a, const char *b)
{
	size_t n = 0;
	const char *parts[5] = { kind, ":", a, b ? "|" : NULL, b };
	for (int i = 0; i < 5; i++)
		for (const char *p = parts[i]; p && *p; p++) {
			if (n == CALLS_KEY - 1) {
				key[0] = '\0';
				return false;
			}
			key[n++] = *p;
		}
	key[n] = '\0';
	return true;
}

/* Builds a key; one that does not fit is counted (the caller treats it as no key). */
static bool key_of(struct ct_calls *t, char *key, const char *kind, const char *value)
{
	if (mkkey(key, kind, value, NULL))
		return true;
	t->ctr->calls_keys_refused++;
	return false;
}

/* This call's entry for key (h its hash), NULL when it has none. */
static struct ikey *own_key(struct ct_calls *t, const struct ccall *cc, const char *key, uint64_t h)
{
	for (struct ct_hnode *n = ct_htab_first(&t->idx, h); n; n = ct_htab_next(n)) {
		struct ikey *k = CT_CONTAINER_OF(n, struct ikey, hn);
		if (k->cc == cc && strcmp(k->key, key) == 0)
			return k;
	}
	return NULL;
}

void remember(struct ct_calls *t, struct ccall *cc, const char *kind, const char *value, ct_time_t ts)
{
	char key[CALLS_KEY];
	if (calls_empty(value) || !key_of(t, key, kind, value))
		return;
	uint64_t h = ct_hash(&t->key, key, strlen(key));
	struct ikey *k = own_key(t, cc, key, h);
	if (k) {
		k->ts = ts;
		return;
	}
	/* a shared id stays with the call that had it first (another naming it is that call) */
	if ((strcmp(kind, "ucid") == 0 || strcmp(kind, "gid") == 0) && idx_find(t, key))
		return;
	if (cc->nkeys < CALLS_MAX_KEYS) {
		if (!CALLS_ROOM(cc->keys, cc->ckeys, cc->nkeys, CALLS_MAX_KEYS, CALLS_KEYS_FIRST)) {
			t->ctr->calls_keys_dropped++;
			return;
		}
		if ((k = idx_add(t, key, cc, ts)))
			cc->keys[cc->nkeys++] = k;
		return;
	}
	/* full: the key named longest ago makes room (a long call renamed by many devices) */
	unsigned old = 0;
	for (unsigned i = 1; i < cc->nkeys; i++)
		if (cc->keys[i]->ts < cc->keys[old]->ts)
			old = i;
	idx_del(t, cc->keys[old]);
	cc->keys[old] = idx_add(t, key, cc, ts);
	if (!cc->keys[old])
		cc->keys[old] = cc->keys[--cc->nkeys]; /* keep them dense */
	t->ctr->calls_keys_dropped++;
}

bool calls_room(void **arr, uint8_t *cap, unsigned n, unsigned max, unsigned first, size_t elem)
{
	if (n < *cap)
		return true;
	if (*cap >= max)
		return false;
	unsigned c = *cap ? CT_MIN(2u * *cap, max) : CT_MIN(first, max);
	void *a = realloc(*arr, c * elem);
	if (!a)
		return false;
	*arr = a;
	*cap = (uint8_t)c;
	return true;
}

/* Is the call still open: some leg neither ended nor said goodbye? */
static bool open_call(const struct ccall *cc)
{
	for (unsigned i = 0; i < cc->nlegs; i++)
		if (!cc->legs[i]->ended && !cc->legs[i]->bye)
			return true;
	return false;
}

void lookup_all(struct ct_calls *t, const char *kind, const char *value, ct_time_t ts, bool timed, struct cands *out)
{
	out->n = 0;
	out->more = false;
	char key[CALLS_KEY];
	if (calls_empty(value) || !key_of(t, key, kind, value))
		return;
	uint64_t h = ct_hash(&t->key, key, strlen(key));
	for (struct ct_hnode *n = ct_htab_first(&t->idx, h); n; n = ct_htab_next(n)) {
		struct ikey *k = CT_CONTAINER_OF(n, struct ikey, hn);
		if (strcmp(k->key, key) != 0)
			continue;
		if (timed) {
			ct_time_t d = ts > k->ts ? ts - k->ts : k->ts - ts;
			/* a call that is over takes no new legs on circumstantial evidence */
			if (d > t->cfg.window || !open_call(k->cc))
				continue;
		}
		cands_add(out, k->cc);
	}
}

void cands_add(struct cands *c, struct ccall *cc)
{
	for (unsigned i = 0; i < c->n; i++)
		if (c->c[i] == cc)
			return;
	if (c->n < CALLS_MAX_CANDS)
		c->c[c->n++] = cc;
	else
		c->more = true;
}

struct ikey *idx_find_kind(struct ct_calls *t, const char *kind, const char *value)
{
	char key[CALLS_KEY];
	return key_of(t, key, kind, value) ? idx_find(t, key) : NULL;
}

struct ccall *lookup(struct ct_calls *t, const char *kind, const char *value, ct_time_t ts, bool timed)
{
	struct cands c;
	lookup_all(t, kind, value, ts, timed, &c);
	if (!c.n)
		return NULL;
	/* several: the one named last (a shared id has one; a device rings one call at a time) */
	struct ccall *best = c.c[0];
	for (unsigned i = 1; i < c.n; i++)
		if (c.c[i]->last > best->last)
			best = c.c[i];
	return best;
}

struct leg *leg_of(struct ct_calls *t, const char *key, struct ccall **cc)
{
	struct ikey *k = key[0] ? idx_find(t, key) : NULL;
	if (!k)
		return NULL;
	for (unsigned i = 0; i < k->cc->nlegs; i++)
		if (k->cc->legs[i]->k == k) {
			*cc = k->cc;
			return k->cc->legs[i];
		}
	return NULL;
}
