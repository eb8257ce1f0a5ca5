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

bool idx_add(struct ct_calls *t, struct ikey *k, const char *key, struct ccall *cc, ct_time_t ts)
{
	k->key = strdup(key);
	if (!k->key) {
		t->ctr->calls_keys_dropped++;
		return false;
	}
	k->cc = cc;
	k->ts = ts;
	k->used = true;
	ct_htab_add(&t->idx, &k->hn, ct_hash(&t->key, k->key, strlen(k->key)));
	return true;
}

void idx_del(struct ct_calls *t, struct ikey *k)
{
	if (!k->used)
		return;
	ct_htab_del(&t->idx, &k->hn);
	k->used = false;
	free(k->key);
	k->key = NULL;
}

void idx_move(struct ct_calls *t, struct ikey *from, struct ikey *to, struct ccall *cc)
{
	uint64_t h = from->hn.h;
	ct_htab_del(&t->idx, &from->hn);
	to->key = from->key;
	to->ts = from->ts;
	to->cc = cc;
	to->used = true;
	from->key = NULL;
	from->used = false;
	ct_htab_add(&t->idx, &to->hn, h);
}

void leg_call_id(struct leg *l)
{
	const char *k = l->k.key;
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
	for (unsigned i = 0; i < CALLS_MAX_KEYS; i++)
		if (!cc->keys[i].used) {
			idx_add(t, &cc->keys[i], key, cc, ts);
			return;
		}
	/* full: the key named longest ago makes room (a long call renamed by many devices) */
	struct ikey *old = &cc->keys[0];
	for (unsigned i = 1; i < CALLS_MAX_KEYS; i++)
		if (cc->keys[i].ts < old->ts)
			old = &cc->keys[i];
	idx_del(t, old);
	idx_add(t, old, key, cc, ts);
	t->ctr->calls_keys_dropped++;
}

/* Is the call still open: some leg neither ended nor said goodbye? */
static bool open_call(const struct ccall *cc)
{
	for (unsigned i = 0; i < cc->nlegs; i++)
		if (!cc->legs[i].ended && !cc->legs[i].bye)
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
		if (&k->cc->legs[i].k == k) {
			*cc = k->cc;
			return &k->cc->legs[i];
		}
	return NULL;
}
