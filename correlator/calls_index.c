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

void remember(struct ct_calls *t, struct ccall *cc, const char *kind, const char *value, ct_time_t ts)
{
	char key[CALLS_KEY];
	if (calls_empty(value) || !key_of(t, key, kind, value))
		return;
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
	t->ctr->calls_keys_dropped++;
}

struct ikey *idx_find_kind(struct ct_calls *t, const char *kind, const char *value)
{
	char key[CALLS_KEY];
	return key_of(t, key, kind, value) ? idx_find(t, key) : NULL;
}

struct ccall *lookup(struct ct_calls *t, const char *kind, const char *value, ct_time_t ts, bool timed)
{
	if (calls_empty(value))
		return NULL;
	struct ikey *k = idx_find_kind(t, kind, value);
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
