/* calls.c - customer calls joined across CSTA and SIP legs: the call model, its lifecycle,
 * merges and the record's view (behaviour in calls.h; the other parts in calls_int.h). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../util/id.h"
#include "../util/log.h"
#include "calls_int.h"
#include "numbers.h"

int ct_calls_new(struct ct_calls **out, const struct ct_calls_cfg *cfg, const struct ct_hashkey *key,
		 struct ct_counters *ctr, const struct ct_report *rep)
{
	struct ct_calls *t = calloc(1, sizeof(*t));
	if (!t)
		return CT_ENOMEM;
	t->cfg = *cfg;
	t->ctr = ctr;
	t->rep = rep;
	t->key = *key;
	/* a few keys per call: the legs, the shared ids, devices and numbers it was named by */
	if (ct_htab_init(&t->idx, (size_t)cfg->max_calls * 4, (size_t)1 << 22) != CT_OK)
		goto free_t;
	if (ct_heap_init(&t->timers, 1024) != CT_OK)
		goto free_idx;
	if (calls_relays_init(t) != CT_OK)
		goto free_timers;
	if (calls_names_init(t) != CT_OK)
		goto free_relays;
	/* a few names per call are its own (its caller's number, its SDP addresses), the rest the
	 * site's (devices, links) */
	if (ct_intern_init(&t->names_in, key, (size_t)cfg->max_calls * 2) != CT_OK)
		goto free_names;
	t->head.prev = t->head.next = &t->head;
	*out = t;
	return CT_OK;

free_names:
	calls_names_free(t);
free_relays:
	calls_relays_free(t);
free_timers:
	ct_heap_free(&t->timers);
free_idx:
	ct_htab_free(&t->idx);
free_t:
	free(t);
	return CT_ENOMEM;
}

static void str_set_max(struct ct_calls *t, const char **field, const char *src, size_t max)
{
	const char *n = src ? ct_intern_get(&t->names_in, src, strnlen(src, max)) : ct_intern_empty;
	ct_intern_put(&t->names_in, *field);
	*field = n ? n : ct_intern_empty; /* out of memory: as if never named */
}

void str_set(struct ct_calls *t, const char **field, const char *src)
{
	str_set_max(t, field, src, CT_CSTA_DEV - 1);
}

void str_fill_max(struct ct_calls *t, const char **field, const char *src, size_t max)
{
	if (src && src[0] && !(*field)[0])
		str_set_max(t, field, src, max);
}

void str_fill(struct ct_calls *t, const char **field, const char *src)
{
	str_fill_max(t, field, src, CT_CSTA_DEV - 1);
}

void str_drop(struct ct_calls *t, const char **field)
{
	ct_intern_put(&t->names_in, *field);
	*field = ct_intern_empty;
}

void calls_min_time(ct_time_t *dst, ct_time_t v)
{
	if (v && (!*dst || v < *dst))
		*dst = v;
}

const char *calls_norm(struct ct_calls *t, const char *in, char *out, size_t cap)
{
	if (calls_empty(in))
		return NULL;
	if (t->cfg.hooks.number_norm && t->cfg.hooks.number_norm(t->cfg.hooks.user, in, out, cap))
		return out;
	snprintf(out, cap, "%s", in);
	return out;
}

static ct_time_t add_sat(ct_time_t a, ct_time_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

/* Every CSTA leg cleared (the call has some). */
static bool csta_over(const struct ccall *cc)
{
	bool any = false;
	for (unsigned i = 0; i < cc->nlegs; i++)
		if (!cc->legs[i]->sip) {
			if (!cc->legs[i]->ended)
				return false;
			any = true;
		}
	return any;
}

bool call_over(const struct ccall *cc)
{
	return all_ended(cc, false) || (has_sip(cc) && all_ended(cc, true)) || csta_over(cc);
}

static ct_time_t hangup_time(const struct ccall *cc);

/* When the call's record may be due: settle after its hang-up began, once every leg ended; when one side's legs all
 * ended and the other's did not, csta_grace after the last news of the other side (its end was
 * lost in the capture, or it lags); idle after its last news. */
static ct_time_t due_of(const struct ct_calls *t, const struct ccall *cc)
{
	/* a fragment (a call first seen by a message that cannot begin one: a late copy, a leg
	 * whose start was not captured) is given up sooner than a call that began here */
	ct_time_t idle = cc->fragment && t->cfg.settle * 20 < t->cfg.idle ? t->cfg.settle * 20 : t->cfg.idle;
	ct_time_t due = idle ? add_sat(cc->last, idle) : UINT64_MAX;
	if (all_ended(cc, false)) {
		/* settle after the hang-up began (R17: the record within calls.settle_ms of the call's
		 * end), not after the last straggler of its release */
		ct_time_t hup = hangup_time(cc);
		ct_time_t at = CT_MAX(cc->ended_at, add_sat(hup ? hup : cc->ended_at, t->cfg.settle));
		if (at < due)
			due = at;
	}
	if (has_sip(cc) && all_ended(cc, true)) {
		ct_time_t from = CT_MAX(cc->sip_ended_at, cc->last_csta);
		if (add_sat(from, t->cfg.csta_grace) < due)
			due = add_sat(from, t->cfg.csta_grace); /* CTI never cleared */
	}
	if (csta_over(cc)) {
		ct_time_t from = CT_MAX(cc->csta_ended_at, cc->last_sip);
		if (add_sat(from, t->cfg.csta_grace) < due)
			due = add_sat(from, t->cfg.csta_grace); /* SIP never said goodbye: BYEs lost */
	}
	return due;
}

void touch(struct ct_calls *t, struct ccall *cc)
{
	ct_heap_update(&t->timers, &cc->timer, due_of(t, cc));
}

/* ---- calls ----------------------------------------------------------------------------- */

/* A call's id: its first leg (a SIP Call-ID, or a link and CSTA callID) and the packet time it
 * began, hashed with a fixed key: the same input gives the same ids, and a Call-ID or callID
 * used again later (PBXs recycle callIDs) gives another id. */
void call_id_of(char id[CT_ID_MAX], const char *kind, const char *a, const char *b, ct_time_t ts)
{
	ct_id(id, kind, 0x63616c6c73UL, "%s|%s|%" PRIu64, a, b ? b : "", ts);
}


static void emit_call(struct ct_calls *t, struct ccall *cc, ct_time_t now);
static void copy_xfer(struct ct_call_transfer **list, uint8_t *n, const struct ct_call_transfer *from);
static void merged_add(struct ccall *cc, const char *id);
static void conf_put(struct ct_calls *t, struct ccall *cc, const char *device);

static void leg_free(struct ct_calls *t, struct leg *l)
{
	idx_del(t, l->k);
	str_drop(t, &l->link);
	struct leg_sip *d = l->sip;
	if (d) {
		str_drop(t, &d->device);
		str_drop(t, &d->calling);
		str_drop(t, &d->cti_dev);
		str_drop(t, &d->sdp_caller.ip);
		str_drop(t, &d->sdp_callee.ip);
		str_drop(t, &d->pending_to);
		str_drop(t, &d->pending_from);
		free(d);
	}
	free(l);
}

static void party_free(struct ct_calls *t, struct party *p)
{
	str_drop(t, &p->device);
	str_drop(t, &p->agent_id);
	free(p->iv);
	free(p);
}

/* The names a call holds itself (its legs' and parties' apart). */
static const char **call_names(struct ccall *cc, unsigned i)
{
	const char **names[] = { &cc->held_by,	   &cc->consult_dev, &cc->sip_calling, &cc->sip_called,
				 &cc->csta_calling, &cc->csta_called, &cc->released_by, &cc->xfer_dev,
				 &cc->queue_dev,   &cc->cause,	     &cc->sip_cause };
	return i < CT_ARRAY_SIZE(names) ? names[i] : NULL;
}

static void call_free(struct ct_calls *t, struct ccall *cc)
{
	for (unsigned i = 0; i < cc->nlegs; i++)
		leg_free(t, cc->legs[i]);
	for (unsigned i = 0; i < cc->nkeys; i++)
		idx_del(t, cc->keys[i]);
	for (unsigned i = 0; i < cc->nparties; i++)
		party_free(t, cc->parties[i]);
	for (unsigned i = 0; i < cc->nconf; i++)
		str_drop(t, &cc->conf[i]);
	const char **f;
	for (unsigned i = 0; (f = call_names(cc, i)); i++)
		str_drop(t, f);
	cc->prev->next = cc->next;
	cc->next->prev = cc->prev;
	ct_heap_remove(&t->timers, &cc->timer);
	t->live--;
	free(cc->legs);
	free(cc->parties);
	free(cc->rel);
	free(cc->keys);
	free(cc->xfers);
	free(cc->divs);
	free(cc->conf);
	free(cc->merged);
	free(cc->evidence);
	free(cc->audit);
	free(cc);
}

struct ccall *call_new(struct ct_calls *t, const char *id, ct_time_t ts)
{
	if (t->live >= t->cfg.max_calls && t->head.next != &t->head) {
		struct ccall *old = t->head.next;
		t->ctr->calls_evicted++;
		if (ct_log_sample(t->ctr->calls_evicted))
			ct_warn("call table full (calls.max=%u): oldest call written early", t->cfg.max_calls);
		finding(t, old, ts, CT_AUDIT_EVICTED, NULL, "call table full (calls.max): written before it ended");
		emit_call(t, old, ts);
		call_free(t, old);
	}
	struct ccall *cc = calloc(1, sizeof(*cc));
	if (!cc)
		return NULL;
	const char **f;
	for (unsigned i = 0; (f = call_names(cc, i)); i++)
		*f = ct_intern_empty;
	snprintf(cc->id, sizeof(cc->id), "%s", id);
	cc->direction = CT_DIR_UNKNOWN;
	cc->join = J_NONE;
	cc->start = cc->last = ts;
	if (ct_heap_push(&t->timers, &cc->timer, UINT64_MAX) != CT_OK) {
		free(cc);
		return NULL;
	}
	cc->prev = t->head.prev;
	cc->next = &t->head;
	t->head.prev->next = cc;
	t->head.prev = cc;
	t->live++;
	t->ctr->calls++;
	return cc;
}

bool has_sip(const struct ccall *cc)
{
	for (unsigned i = 0; i < cc->nlegs; i++)
		if (cc->legs[i]->sip)
			return true;
	return false;
}

bool has_csta(const struct ccall *cc)
{
	for (unsigned i = 0; i < cc->nlegs; i++)
		if (!cc->legs[i]->sip)
			return true;
	return false;
}

/* Adds a line of evidence (once: the same join of the call on another link says it again). */
void evidence_add(struct ccall *cc, const char *evidence)
{
	if (evidence[0] && ct_log_get_level() >= CT_LOG_DEBUG)
		ct_log(CT_LOG_DEBUG, "call %s: %s", cc->id, evidence);
	if (!evidence[0] || (cc->evidence && strstr(cc->evidence, evidence)))
		return;
	size_t n = cc->evidence ? strlen(cc->evidence) : 0;
	if (n >= CALLS_EVIDENCE - 3)
		return;
	/* as a CALLS_EVIDENCE buffer would hold it: cut at CALLS_EVIDENCE - 1 bytes */
	size_t len = CT_MIN(n + (n ? 2 : 0) + strlen(evidence), (size_t)CALLS_EVIDENCE - 1);
	char *e = realloc(cc->evidence, len + 1);
	if (!e)
		return;
	cc->evidence = e;
	snprintf(e + n, len + 1 - n, "%s%s", n ? "; " : "", evidence);
}

void sip_tie(struct ccall *cc, const struct leg *a, const struct leg *b)
{
	if (!a || !b || !a->sip || !b->sip || a->sip->comp == b->sip->comp)
		return;
	uint8_t from = b->sip->comp, to = a->sip->comp;
	for (unsigned i = 0; i < cc->nlegs; i++)
		if (cc->legs[i]->sip && cc->legs[i]->sip->comp == from)
			cc->legs[i]->sip->comp = to;
}

void csta_ties(struct ct_calls *t, struct ccall *cc, enum join how, const char *dev, const char *ucid,
	       const char *calling, const char *called)
{
	for (unsigned i = 0; i < cc->nlegs; i++) {
		struct leg *l = cc->legs[i];
		if (!l->sip)
			continue;
		bool ties = (dev && dev[0] &&
			     (!strcmp(leg_device(l), dev) || !strcmp(device_at(t, l->sip->device, callee_host(l)), dev) ||
			      !strcmp(device_at(t, l->sip->calling, caller_host(l)), dev))) ||
			    (ucid && ucid[0] && !strcmp(l->sip->ucid, ucid)) ||
			    (calling && calling[0] && ct_number_tail_same(l->sip->calling, calling, 6)) ||
			    (called && called[0] && ct_number_tail_same(l->sip->device, called, 4));
		if (ties && how > l->sip->xjoin)
			l->sip->xjoin = (uint8_t)how;
	}
}

/* The record's correlation.method: each group of SIP legs tied to each other is as tied to
 * CTI as its best leg; the call is as tied as its weakest group (J_NONE: no leg said). */
static enum join method_of(const struct ccall *cc)
{
	uint8_t best[256] = { 0 };
	for (unsigned i = 0; i < cc->nlegs; i++)
		if (cc->legs[i]->sip && cc->legs[i]->sip->xjoin > best[cc->legs[i]->sip->comp])
			best[cc->legs[i]->sip->comp] = cc->legs[i]->sip->xjoin;
	uint8_t worst = J_NONE;
	for (unsigned i = 0; i < cc->nlegs; i++) {
		uint8_t b = cc->legs[i]->sip ? best[cc->legs[i]->sip->comp] : 0;
		if (b && b < worst)
			worst = b;
	}
	return worst != J_NONE ? (enum join)worst : (enum join)cc->join;
}

/* Records how a leg of one world joined a call of the other. */
void joined(struct ccall *cc, enum join how, const char *evidence)
{
	if (how < cc->join)
		cc->join = (uint8_t)how;
	evidence_add(cc, evidence);
}

struct leg *leg_add(struct ct_calls *t, struct ccall *cc, const char *key, bool sip, const char *link,
			   const char *call_id, ct_time_t ts)
{
	if (cc->nlegs >= CALLS_MAX_LEGS) {
		t->ctr->calls_legs_dropped++;
		return NULL;
	}
	if (!CALLS_ROOM(cc->legs, cc->clegs, cc->nlegs, CALLS_MAX_LEGS, 4))
		return NULL;
	struct leg *l = calloc(1, sizeof(*l));
	if (!l)
		return NULL;
	l->link = ct_intern_empty;
	if (sip) {
		struct leg_sip *d = calloc(1, sizeof(*d));
		if (!d) {
			free(l);
			return NULL;
		}
		d->device = d->calling = d->cti_dev = d->pending_to = d->pending_from = ct_intern_empty;
		d->sdp_caller.ip = d->sdp_callee.ip = ct_intern_empty;
		d->comp = ++cc->ncomp;
		l->sip = d;
	}
	if (!(l->k = idx_add(t, key, cc, ts))) {
		free(l->sip);
		free(l);
		return NULL;
	}
	str_set(t, &l->link, link);
	cc->legs[cc->nlegs] = l;
	leg_call_id(l);
	(void)call_id; /* the key holds it whole */
	cc->nlegs++;
	if (ct_log_get_level() >= CT_LOG_DEBUG)
		ct_log(CT_LOG_DEBUG, "call %s: leg %s", cc->id, key);
	if (ts < cc->start)
		cc->start = ts;
	return l;
}

struct party *party_find(struct ccall *cc, const char *device)
{
	for (unsigned i = 0; i < cc->nparties; i++)
		if (strcmp(cc->parties[i]->device, device) == 0)
			return cc->parties[i];
	return NULL;
}

/* The place of p (one of cc's parties) in cc's list. */
static unsigned party_index(const struct ccall *cc, const struct party *p)
{
	unsigned i = 0;
	while (i < cc->nparties && cc->parties[i] != p)
		i++;
	return i;
}

/* Takes party i out of the call's list (the order of the others kept) and frees it. */
static void party_remove(struct ct_calls *t, struct ccall *cc, unsigned i)
{
	party_free(t, cc->parties[i]);
	memmove(&cc->parties[i], &cc->parties[i + 1], (cc->nparties - i - 1) * sizeof(cc->parties[0]));
	cc->nparties--;
}

/* Room for one more party. When a call has rung more devices than it keeps (a ring-all
 * group, a long hunt), a device that rang and never answered makes room: the one that answers
 * is always kept. */
static bool party_room(struct ct_calls *t, struct ccall *cc)
{
	if (cc->nparties < CALLS_MAX_PARTIES)
		return CALLS_ROOM(cc->parties, cc->cparties, cc->nparties, CALLS_MAX_PARTIES, 4);
	int v = -1;
	for (unsigned i = 0; i < cc->nparties; i++) {
		struct party *q = cc->parties[i];
		if (q->answered || q->on_call || q->originated || q->rec == REC_ON || q->rec == REC_PAUSED)
			continue;
		if (v < 0 || (q->released && !cc->parties[v]->released))
			v = (int)i;
	}
	t->ctr->calls_parties_dropped++;
	if (v < 0)
		return false;
	party_remove(t, cc, (unsigned)v);
	return true;
}

struct party *party(struct ct_calls *t, struct ccall *cc, const char *device, bool csta)
{
	if (calls_empty(device))
		return NULL;
	struct party *p = party_find(cc, device);
	if (!p) {
		if (!party_room(t, cc) || !(p = calloc(1, sizeof(*p))))
			return NULL;
		p->device = p->agent_id = ct_intern_empty;
		str_set(t, &p->device, device);
		cc->parties[cc->nparties++] = p;
	}
	if (csta)
		p->csta = true;
	return p;
}

static void release_seen(struct ccall *cc, ct_time_t ts);

void party_forget(struct ct_calls *t, struct ccall *cc, const char *device, const struct leg *by)
{
	struct party *p = party_find(cc, device);
	if (!p || p->csta)
		return; /* CTI reported it: a device */
	for (unsigned i = 0; i < cc->nlegs; i++)
		if (cc->legs[i] != by && cc->legs[i]->sip && !strcmp(leg_device(cc->legs[i]), device))
			return; /* another dialog reaches it */
	leave(t, cc, p, CT_RECR_CLEARED, cc->last);
	party_remove(t, cc, party_index(cc, p));
}

/* What SIP said of device `from` is CTI's device `to`'s: the party's times (the earliest of
 * each), its recording and agent state. */
void party_rename(struct ct_calls *t, struct ccall *cc, const char *from, const char *to)
{
	struct party *q = party_find(cc, from);
	if (!q || q->csta || !strcmp(from, to))
		return;
	struct party *p = party(t, cc, to, true);
	q = party_find(cc, from); /* party() may have made room by moving parties */
	if (!p || !q)
		return;
	calls_min_time(&p->alerted, q->alerted);
	calls_min_time(&p->answered, q->answered);
	calls_min_time(&p->released, q->released);
	p->originated |= q->originated;
	if (q->on_call && !p->on_call)
		p->on_call = true; /* the agent's busy state follows the party */
	else if (q->on_call && t->cfg.hooks.agent_call)
		t->cfg.hooks.agent_call(t->cfg.hooks.user, q->device, false, cc->last);
	if (q->rec != REC_NONE && p->rec == REC_NONE) {
		p->rec = q->rec;
		iv_merge(p, q);
		if (t->rep && t->rep->renamed) /* what is keyed by the device follows it */
			t->rep->renamed(t->rep->user, cc->last, cc->id, from, to);
	} else if (q->rec == REC_ON || q->rec == REC_PAUSED) {
		rec_stop(t, cc, q, CT_RECR_MERGED, cc->last); /* both recorded: once, as `to` */
	}
	party_remove(t, cc, party_index(cc, q));
}

void name_legs(struct ct_calls *t, struct ccall *cc, const char *dev, const struct ct_csta_msg *m, bool out,
	       ct_time_t ts)
{
	if (calls_empty(dev))
		return;
	char ub[17];
	const char *ucid = csta_ucid(m, ub);
	struct leg *only = NULL;
	unsigned candidates = 0;
	for (unsigned i = 0; i < cc->nlegs; i++) {
		struct leg *l = cc->legs[i];
		if (!l->sip || l->sip->cti_dev[0] || l->ended)
			continue;
		if (l->sip->b2b_in != out)
			continue; /* a phone answering is called by its leg; one placing a call calls on it */
		const char *raw = out ? l->sip->calling : l->sip->device;
		const struct ct_addr *at = out ? caller_host(l) : callee_host(l);
		bool same = !strcmp(device_at(t, raw, at), dev) || (ucid && !strcmp(l->sip->ucid, ucid));
		if (same) {
			only = l;
			candidates = 1;
			break;
		}
		/* the one leg to (from) a phone the PBX placed lately */
		if (l->sip->invite_ts && ts >= l->sip->invite_ts && ts - l->sip->invite_ts <= t->cfg.window &&
		    (l->sip->rconstrained || l->sip->rpaired || out)) {
			only = l;
			candidates++;
		}
	}
	if (candidates != 1)
		return;
	const char *raw = out ? only->sip->calling : only->sip->device;
	const struct ct_addr *host = out ? caller_host(only) : callee_host(only);
	str_set(t, &only->sip->cti_dev, dev);
	if (ucid && !strcmp(only->sip->ucid, ucid) && only->sip->xjoin < J_SHARED)
		only->sip->xjoin = J_SHARED; /* both carry the UCID */
	else if (only->sip->xjoin < J_DEVICE && !strcmp(device_at(t, raw, host), dev))
		only->sip->xjoin = J_DEVICE;
	learn_user(t, raw, dev, host);
	party_rename(t, cc, raw, dev);
}

/* The recorded intervals of q added to p's, in time order (the cap keeps the first). */
void iv_merge(struct party *p, const struct party *q)
{
	if (q->niv && !p->iv && !(p->iv = calloc(CALLS_MAX_IV, sizeof(*p->iv))))
		return;
	for (unsigned k = 0; k < q->niv && p->niv < CALLS_MAX_IV; k++) {
		unsigned at = p->niv++;
		while (at > 0 && p->iv[at - 1].start > q->iv[k].start) {
			p->iv[at] = p->iv[at - 1];
			at--;
		}
		p->iv[at].start = q->iv[k].start;
		p->iv[at].end = q->iv[k].end;
	}
}

/* Moves call b into call a (b is freed): the older call's id stays. */
struct ccall *merge_calls(struct ct_calls *t, struct ccall *a, struct ccall *b, const char *why)
{
	if (a == b || !a || !b)
		return a ? a : b;
	if (b->start < a->start) {
		struct ccall *x = a;
		a = b;
		b = x;
	}
	t->ctr->calls_merged++;
	if (ct_log_get_level() >= CT_LOG_DEBUG)
		ct_log(CT_LOG_DEBUG, "call %s merged into %s (%s)", b->id, a->id, why);
	bool csta_a = has_csta(a);
	for (unsigned i = 0; i < b->nlegs; i++) {
		struct leg *l = b->legs[i];
		if (a->nlegs >= CALLS_MAX_LEGS) {
			t->ctr->calls_legs_dropped++;
			leg_free(t, l);
			continue;
		}
		if (!CALLS_ROOM(a->legs, a->clegs, a->nlegs, CALLS_MAX_LEGS, 4)) {
			leg_free(t, l); /* out of memory */
			continue;
		}
		a->legs[a->nlegs++] = l;
		if (l->sip)
			l->sip->comp = (uint8_t)(l->sip->comp + a->ncomp);
		idx_move(t, l->k, a);
	}
	b->nlegs = 0;
	a->ncomp = (uint8_t)(a->ncomp + b->ncomp);
	for (unsigned i = 0; i < b->nkeys; i++) {
		if (a->nkeys < CALLS_MAX_KEYS && CALLS_ROOM(a->keys, a->ckeys, a->nkeys, CALLS_MAX_KEYS, CALLS_KEYS_FIRST)) {
			a->keys[a->nkeys++] = b->keys[i];
			idx_move(t, b->keys[i], a);
		} else {
			t->ctr->calls_keys_dropped++;
			idx_del(t, b->keys[i]);
		}
	}
	b->nkeys = 0;
	unsigned kept = 0; /* b's parties that stay b's (freed with it) */
	for (unsigned i = 0; i < b->nparties; i++) {
		struct party *q = b->parties[i];
		struct party *p = party_find(a, q->device);
		if (!p) {
			if (a->nparties < CALLS_MAX_PARTIES &&
			    CALLS_ROOM(a->parties, a->cparties, a->nparties, CALLS_MAX_PARTIES, 4)) {
				a->parties[a->nparties++] = q;
				continue;
			}
			leave(t, b, q, CT_RECR_CLEARED, b->last); /* not kept: its recording and agent see it go */
			b->parties[kept++] = q;
			continue;
		}
		b->parties[kept++] = q;
		calls_min_time(&p->alerted, q->alerted);
		calls_min_time(&p->answered, q->answered);
		/* still in one of the two calls: still in the merged one; out of both: since the first */
		p->released = p->released && q->released ? (p->released < q->released ? p->released : q->released) : 0;
		p->csta |= q->csta;
		p->originated |= q->originated;
		if (q->on_call && p->on_call && t->cfg.hooks.agent_call)
			t->cfg.hooks.agent_call(t->cfg.hooks.user, q->device, false, b->last); /* one call now */
		p->on_call |= q->on_call;
		bool p_on = p->rec == REC_ON || p->rec == REC_PAUSED, q_on = q->rec == REC_ON || q->rec == REC_PAUSED;
		if (p_on && q_on)
			rec_stop(t, b, q, CT_RECR_MERGED, b->last); /* recorded once, in the merged call */
		else if (q_on) {
			p->rec = q->rec; /* goes on in the merged call (the recorder knows b's id: "merged") */
			p->pz = q->pz;
		}
		p->payment |= q->payment;
		iv_merge(p, q);
	}
	b->nparties = kept;
	for (unsigned i = 0; i < b->nxfers; i++)
		copy_xfer(&a->xfers, &a->nxfers, &b->xfers[i]);
	for (unsigned i = 0; i < b->ndivs; i++)
		copy_xfer(&a->divs, &a->ndivs, &b->divs[i]);
	for (unsigned i = 0; i < b->naudit; i++)
		note(t, a, b->audit[i].kind, b->audit[i].detail);
	a->audit_more += b->audit_more;
	merged_add(a, b->id);
	for (unsigned i = 0; i < b->nmerged; i++)
		merged_add(a, b->merged[i]);
	calls_min_time(&a->answer, b->answer);
	if (b->last > a->last)
		a->last = b->last;
	if (b->ended_at > a->ended_at)
		a->ended_at = b->ended_at;
	if (b->sip_ended_at > a->sip_ended_at)
		a->sip_ended_at = b->sip_ended_at;
	a->csta_ended_at = CT_MAX(a->csta_ended_at, b->csta_ended_at);
	a->last_sip = CT_MAX(a->last_sip, b->last_sip);
	a->last_csta = CT_MAX(a->last_csta, b->last_csta);
	for (unsigned i = 0; i < b->nrel; i++)
		release_seen(a, b->rel[i]);
	a->holds += b->holds;
	a->hold_us += b->hold_us;
	if (b->held && !a->held) {
		a->held = true;
		a->held_since = b->held_since;
	}
	if (b->sip_first && (!a->sip_first || b->sip_first < a->sip_first)) {
		a->sip_first = b->sip_first;
		str_set(t, &a->sip_calling, b->sip_calling);
		str_set(t, &a->sip_called, b->sip_called);
	}
	if (!csta_a) {
		/* the customer's call is a's: a consultation merged into it does not name its caller
		 * (a caller CTI withheld stays withheld) */
		str_fill(t, &a->csta_calling, b->csta_calling);
		str_fill(t, &a->csta_called, b->csta_called);
	}
	if (a->direction == CT_DIR_UNKNOWN)
		a->direction = b->direction;
	str_fill(t, &a->released_by, b->released_by);
	str_fill_max(t, &a->cause, b->cause, CALLS_CAUSE - 1);
	str_fill(t, &a->sip_cause, b->sip_cause);
	if (!a->sip_disposition)
		a->sip_disposition = b->sip_disposition;
	a->csta_busy |= b->csta_busy;
	a->network |= b->network;
	if (b->join < a->join)
		a->join = b->join;
	if (b->evidence)
		joined(a, (enum join)a->join, b->evidence);
	if (!a->queued_at) {
		a->queued_at = b->queued_at;
		a->queue_end = b->queue_end;
		str_set(t, &a->queue_dev, b->queue_dev);
	}
	if (!a->route_req) {
		a->route_req = b->route_req;
		a->route_sel = b->route_sel;
	}
	a->routed |= b->routed;
	if (!a->has_cti_lag && b->has_cti_lag) {
		a->cti_lag = b->cti_lag;
		a->has_cti_lag = true;
	}
	a->conf_caller |= b->conf_caller;
	a->cancelled |= b->cancelled;
	if (b->conferenced) {
		a->conferenced = true;
		for (unsigned i = 0; i < b->nconf; i++)
			conf_put(t, a, b->conf[i]);
	}
	if (t->rep && t->rep->merged) /* what is keyed by b's id follows it, while the id exists */
		t->rep->merged(t->rep->user, a->last, a->id, b->id);
	call_free(t, b);
	rec_payment(t, a, a->last); /* a payment device in one now pauses the recordings of both */
	return a;
}


/* The device at the phone end of a SIP leg (its INVITE at ts): the callee of a leg a PBX
 * placed, the caller of a leg that came into a B2BUA. */
void name_leg_late(struct ct_calls *t, struct ccall *cc, struct leg *l, ct_time_t ts)
{
	if (!l->sip || l->sip->cti_dev[0] || l->sip->b2b_in || !has_csta(cc))
		return;
	/* the devices CTI reported ringing a moment ago that no SIP leg reaches yet */
	const char *dev = NULL;
	unsigned n = 0;
	bool ucid_says = false;
	for (unsigned i = 0; i < cc->nparties; i++) {
		const struct party *p = cc->parties[i];
		if (!p->csta || p->external || !p->alerted || p->released ||
		    (ts > p->alerted ? ts - p->alerted : p->alerted - ts) > t->cfg.window)
			continue; /* CTI reported it ringing within the window of the leg's INVITE */
		bool reached = false;
		for (unsigned j = 0; j < cc->nlegs; j++)
			if (cc->legs[j]->sip && !strcmp(cc->legs[j]->sip->cti_dev, p->device))
				reached = true;
		if (reached)
			continue;
		if (!strcmp(device_at(t, l->sip->device, callee_host(l)), p->device)) {
			dev = p->device; /* it is that device by name */
			n = 1;
			break;
		}
		dev = p->device;
		n++;
	}
	if (n != 1)
		return;
	/* by name, or the one phone leg of a call tied to CTI by the leg's own UCID or a B2BUA */
	ucid_says = l->sip->xjoin == J_SHARED;
	if (strcmp(device_at(t, l->sip->device, callee_host(l)), dev) && !ucid_says && !l->sip->rpaired)
		return;
	str_set(t, &l->sip->cti_dev, dev);
	learn_user(t, l->sip->device, dev, callee_host(l));
	party_rename(t, cc, l->sip->device, dev);
	if (l->sip->xjoin < J_DEVICE && !strcmp(device_at(t, l->sip->device, callee_host(l)), dev))
		l->sip->xjoin = J_DEVICE;
	const struct party *p = party_find(cc, dev);
	if (p && p->alerted)
		cti_lag(cc, dev, p->alerted);
}

const char *leg_device(const struct leg *l)
{
	if (!l->sip)
		return ""; /* a CSTA leg reaches no phone by itself */
	if (l->sip->cti_dev[0])
		return l->sip->cti_dev;
	return l->sip->b2b_in ? l->sip->calling : l->sip->device;
}

/* A device leaves the call when the last SIP leg it has in it ends (a conference keeps its
 * first leg when the consultation leg is dropped). */
static bool other_leg(const struct ccall *cc, const struct leg *l, const char *device)
{
	for (unsigned i = 0; i < cc->nlegs; i++) {
		const struct leg *o = cc->legs[i];
		if (o != l && o->sip && !o->ended && !o->bye && strcmp(leg_device(o), device) == 0)
			return true;
	}
	return false;
}

struct party *leaving(const struct ct_calls *t, struct ccall *cc, const struct leg *l, ct_time_t ts)
{
	const char *d = leg_device(l);
	/* a device that asked for a transfer leaves with its first leg that ends (its consultation
	 * leg and the customer's go together) */
	bool transferring = cc->xfer_ts && ts >= cc->xfer_ts && ts - cc->xfer_ts <= t->cfg.window && !strcmp(cc->xfer_dev, d);
	return !transferring && other_leg(cc, l, d) ? NULL : party_find(cc, d);
}


void transfer_asked(struct ct_calls *t, struct ccall *cc, const char *device, ct_time_t ts)
{
	if (calls_empty(device))
		return;
	str_set(t, &cc->xfer_dev, device);
	cc->xfer_ts = ts;
	cc->xfer_left = 0;
}

static bool cti_kind(enum ct_xfer_kind k)
{
	return k == CT_XFER_SINGLE_STEP || k == CT_XFER_CONSULTATION;
}

static bool near(const struct ct_calls *t, ct_time_t a, ct_time_t b)
{
	return (a > b ? a - b : b - a) <= t->cfg.window;
}

void transfer_seen(struct ct_calls *t, struct ccall *cc, const char *from, const char *to, enum ct_xfer_kind kind,
		   ct_time_t ts, bool weak)
{
	from = device_of(t, from);
	to = device_of(t, to);
	if (cc->xfer_left && !strcmp(device_of(t, cc->xfer_dev), from) && near(t, cc->xfer_left, ts) &&
	    (weak || cc->xfer_left < ts)) {
		ts = cc->xfer_left; /* the transferring device left first */
		weak = false;
	}
	for (unsigned i = 0; i < cc->nxfers; i++) {
		struct ct_call_transfer *x = &cc->xfers[i];
		bool xweak = cc->xfer_weak & (1u << i);
		if (strcmp(x->from, from) || strcmp(x->to, to) || !near(t, x->ts, ts))
			continue;
		/* the same transfer: CTI says what kind it was; its time, the earliest evidence */
		if (cti_kind(kind) && !cti_kind(x->kind))
			x->kind = kind;
		if (xweak && !weak) {
			x->ts = ts;
			cc->xfer_weak &= (uint8_t)~(1u << i);
		} else if (!weak && ts < x->ts) {
			x->ts = ts;
		}
		return;
	}
	if (add_xfer(&cc->xfers, &cc->nxfers, from, to, kind, ts) && weak)
		cc->xfer_weak |= (uint8_t)(1u << (cc->nxfers - 1));
}

void transfer_done(struct ct_calls *t, struct ccall *cc, const char *from, ct_time_t ts)
{
	from = device_of(t, from);
	if (!strcmp(device_of(t, cc->xfer_dev), from))
		calls_min_time(&cc->xfer_left, ts);
	for (unsigned i = 0; i < cc->nxfers; i++) {
		struct ct_call_transfer *x = &cc->xfers[i];
		if (strcmp(x->from, from) || !near(t, x->ts, ts))
			continue;
		if (cc->xfer_weak & (1u << i) || ts < x->ts)
			x->ts = ts;
		cc->xfer_weak &= (uint8_t)~(1u << i);
	}
}


/* Keeps ts as release evidence, in time order (the oldest goes when the list is full). */
static void release_seen(struct ccall *cc, ct_time_t ts)
{
	if (cc->nrel == CALLS_MAX_REL) {
		memmove(cc->rel, cc->rel + 1, (CALLS_MAX_REL - 1) * sizeof(cc->rel[0]));
		cc->nrel--;
		if (ts < cc->rel[0])
			return;
	} else if (!CALLS_ROOM(cc->rel, cc->crel, cc->nrel, CALLS_MAX_REL, 4)) {
		return; /* out of memory */
	}
	unsigned at = cc->nrel++;
	while (at > 0 && cc->rel[at - 1] > ts) {
		cc->rel[at] = cc->rel[at - 1];
		at--;
	}
	cc->rel[at] = ts;
}

void leg_end(struct ccall *cc, struct leg *l, ct_time_t ts)
{
	if (!l)
		return;
	if (!l->ended && ct_log_get_level() >= CT_LOG_DEBUG)
		ct_log(CT_LOG_DEBUG, "call %s: leg %s ended", cc->id, l->call_id);
	if (!l->ended)
		release_seen(cc, ts);
	l->ended = true;
	if (ts > cc->ended_at)
		cc->ended_at = ts; /* a later clearing of the same leg (CallCleared after ConnectionCleared) */
	if (l->sip && ts > cc->sip_ended_at)
		cc->sip_ended_at = ts;
	if (!l->sip && ts > cc->csta_ended_at)
		cc->csta_ended_at = ts;
}

/* When the call ended (R0/R4 of the scenarios: a moment's time is its earliest evidence): the
 * first message of the hang-up that ended it, the release evidence being grouped into
 * hang-ups by the time between them. 0 when none was seen. */
static ct_time_t hangup_time(const struct ccall *cc)
{
	if (!cc->nrel)
		return 0;
	unsigned i = cc->nrel - 1;
	while (i > 0 && cc->rel[i] - cc->rel[i - 1] <= CALLS_RELEASE_GAP)
		i--;
	return cc->rel[i];
}

bool all_ended(const struct ccall *cc, bool sip_only)
{
	for (unsigned i = 0; i < cc->nlegs; i++)
		if (!cc->legs[i]->ended && (!sip_only || cc->legs[i]->sip))
			return false;
	return cc->nlegs > 0;
}

/* A new entry of *list (allocated at the first, at the cap), NULL when full. */
static struct ct_call_transfer *xfer_new(struct ct_call_transfer **list, uint8_t *n)
{
	if (*n >= CALLS_MAX_XFER || (!*list && !(*list = calloc(CALLS_MAX_XFER, sizeof(**list)))))
		return NULL;
	return &(*list)[(*n)++];
}

bool add_xfer(struct ct_call_transfer **list, uint8_t *n, const char *from, const char *to, enum ct_xfer_kind kind,
	      ct_time_t ts)
{
	struct ct_call_transfer *x = xfer_new(list, n);
	if (!x)
		return false;
	snprintf(x->from, sizeof(x->from), "%s", from ? from : "");
	snprintf(x->to, sizeof(x->to), "%s", to ? to : "");
	x->kind = kind;
	x->ts = ts;
	return true;
}

static void copy_xfer(struct ct_call_transfer **list, uint8_t *n, const struct ct_call_transfer *from)
{
	struct ct_call_transfer *x = xfer_new(list, n);
	if (x)
		*x = *from;
}

static void merged_add(struct ccall *cc, const char *id)
{
	if (cc->nmerged >= CALLS_MAX_MERGED ||
	    (!cc->merged && !(cc->merged = calloc(CALLS_MAX_MERGED, sizeof(cc->merged[0])))))
		return;
	snprintf(cc->merged[cc->nmerged++], sizeof(cc->merged[0]), "%s", id);
}

/* A conference device added to the list as it is (conf_add() checks it). */
static void conf_put(struct ct_calls *t, struct ccall *cc, const char *device)
{
	if (cc->nconf >= CALLS_MAX_PARTIES || (!cc->conf && !(cc->conf = calloc(CALLS_MAX_PARTIES, sizeof(cc->conf[0])))))
		return;
	cc->conf[cc->nconf] = ct_intern_empty;
	str_set(t, &cc->conf[cc->nconf++], device);
}

void conf_add(struct ct_calls *t, struct ccall *cc, const char *device)
{
	if (calls_empty(device) || cc->nconf >= CALLS_MAX_PARTIES)
		return;
	for (unsigned i = 0; i < cc->nconf; i++)
		if (strcmp(cc->conf[i], device) == 0)
			return;
	conf_put(t, cc, device);
}

void cti_lag(struct ccall *cc, const char *device, ct_time_t delivered)
{
	/* the screen pop an agent feels: a call coming in to the agent's device */
	if (cc->has_cti_lag || !delivered || cc->direction != CT_DIR_INBOUND)
		return;
	for (unsigned i = 0; i < cc->nlegs; i++) {
		const struct leg *l = cc->legs[i];
		if (l->sip && l->sip->invite_ts && !l->sip->b2b_in && strcmp(leg_device(l), device) == 0) {
			cc->cti_lag = (int64_t)delivered - (int64_t)l->sip->invite_ts;
			cc->has_cti_lag = true;
			return;
		}
	}
}

/* ---- the record ----------------------------------------------------------------------- */

/* A number as records write it: its digits (ct_number_clean: separators, URI parameters and a
 * display form dropped, a phone-context applied); a privacy placeholder (anonymous, unknown,
 * restricted) is no number: NULL; other text (a SIP user that is no number) as it came. */
static const char *record_number(const char *in, char *out, size_t cap)
{
	static const char *const hidden[] = { "anonymous", "unknown", "restricted", "unavailable", "private" };
	if (calls_empty(in))
		return NULL;
	for (size_t i = 0; i < CT_ARRAY_SIZE(hidden); i++)
		if (!strcasecmp(in, hidden[i]))
			return NULL;
	if (ct_number_clean(in, out, cap))
		return out;
	return in;
}

/* Is dev a contact-centre device of the call (one CTI reported ringing or answering here)? */
static bool is_party_device(const struct ccall *cc, const char *dev)
{
	for (unsigned i = 0; i < cc->nparties; i++)
		if (cc->parties[i]->csta && !cc->parties[i]->external && (cc->parties[i]->alerted || cc->parties[i]->answered) &&
		    !strcmp(cc->parties[i]->device, dev))
			return true;
	return false;
}

static enum ct_disposition disposition(const struct ccall *cc, ct_time_t answer)
{
	if (answer)
		return CT_DISP_ANSWERED;
	if (cc->csta_busy || cc->sip_disposition == CT_DISP_BUSY)
		return CT_DISP_BUSY;
	if (cc->sip_disposition == CT_DISP_ABANDONED || cc->cleared_before_answer || cc->cancelled)
		return CT_DISP_ABANDONED;
	if (cc->sip_disposition == CT_DISP_NO_ANSWER)
		return CT_DISP_NO_ANSWER;
	return CT_DISP_FAILED;
}

/* A name that is no contact-centre device: withheld, or a number from outside (E.164, or more
 * digits than an extension has). A SIP-only call has nothing better to tell its customer by;
 * a SIP user with letters (agent.smith, a MAC address) is a device. */
static bool outside_name(const char *d)
{
	static const char *const hidden[] = { "anonymous", "unknown", "restricted", "unavailable", "private" };
	if (calls_empty(d))
		return true;
	for (unsigned i = 0; i < CT_ARRAY_SIZE(hidden); i++)
		if (!strcasecmp(d, hidden[i]))
			return true;
	if (d[0] == '+')
		return true;
	size_t digits = 0;
	for (const char *c = d; *c; c++) {
		if (*c >= '0' && *c <= '9')
			digits++;
		else if (!strchr("-.() ", *c))
			return false;
	}
	return digits > CALLS_EXT_DIGITS;
}

/* The direction of a call no CTI reported: from an outside caller to a device is inbound, from
 * a device to an outside number outbound, between devices internal. */
static enum ct_direction sip_direction(const struct ccall *cc)
{
	bool from_outside = outside_name(cc->sip_calling), to_device = false, to_outside = false;
	for (unsigned i = 0; i < cc->nlegs; i++) {
		const struct leg *l = cc->legs[i];
		if (!l->sip || !l->sip->invite_ts || l->sip->b2b_in)
			continue;
		if (outside_name(l->sip->device))
			to_outside = true;
		else
			to_device = true;
	}
	if (from_outside && to_device)
		return CT_DIR_INBOUND;
	if (!from_outside && to_outside)
		return CT_DIR_OUTBOUND;
	if (!from_outside && to_device)
		return CT_DIR_INTERNAL;
	return CT_DIR_UNKNOWN;
}

/* The parties a record lists: the contact-centre devices that rang or answered (with CTI,
 * those CTI reported), not the caller nor the far end of an outbound call. */
static bool listed(const struct ccall *cc, const struct party *p, bool csta)
{
	if ((csta && !p->csta) || p->external || (!p->alerted && !p->answered && !p->originated))
		return false;
	if (!csta && outside_name(p->device))
		return false; /* without CTI, the customer is the withheld or outside number */
	return !(cc->direction == CT_DIR_INBOUND && cc->csta_calling[0] && !strcmp(p->device, cc->csta_calling));
}

/* The SIP leg that carried the customer: the first one of an inbound call, the one to the
 * dialled number of an outbound call (the trunk leg); NULL when there is none. */
static const struct leg *trunk_leg(const struct ccall *cc)
{
	const struct leg *first = NULL;
	for (unsigned i = 0; i < cc->nlegs; i++) {
		const struct leg *l = cc->legs[i];
		if (!l->sip || !l->sip->invite_ts)
			continue;
		if (!first || l->sip->invite_ts < first->sip->invite_ts)
			first = l;
	}
	if (cc->direction != CT_DIR_OUTBOUND || !first)
		return first;
	/* outbound: the leg whose request-URI is not a device CTI reported (a leg that reaches one,
	 * named by CTI, is the agent's; the earliest such trunk) */
	const struct leg *trunk = NULL;
	for (unsigned i = 0; i < cc->nlegs; i++) {
		const struct leg *l = cc->legs[i];
		if (!l->sip || !l->sip->invite_ts || l->sip->cti_dev[0] || l->sip->b2b_in)
			continue;
		const struct party *p = party_find((struct ccall *)cc, l->sip->device);
		if ((!p || !p->csta || p->external) && (!trunk || l->sip->invite_ts < trunk->sip->invite_ts))
			trunk = l;
	}
	return trunk;
}

/* What the record of a call shows, pointing into the call (and scratch arrays sized by the
 * call's caps); handed to the report's call hook. */
struct call_view_scratch {
	struct ct_call_party parties[CALLS_MAX_PARTIES];
	struct ct_call_leg legs[CALLS_MAX_LEGS];
	const char *conf[CALLS_MAX_PARTIES + 1];
	const char *merged[CALLS_MAX_MERGED];
	struct ct_call_recording rec[CALLS_MAX_PARTIES];
};

static void emit_call(struct ct_calls *t, struct ccall *cc, ct_time_t now)
{
	/* over: when its final hang-up began; given up (idle, evicted, end of input): its last news */
	ct_time_t end = call_over(cc) ? hangup_time(cc) : 0;
	if (!end)
		end = CT_MAX(cc->last, cc->ended_at);
	if (!end)
		end = now;
	bool csta = has_csta(cc), sip = has_sip(cc);
	/* with CTI, the parties are the devices it reported; SIP-only, the devices the legs reached */
	bool out = cc->direction == CT_DIR_OUTBOUND;
	const struct leg *tl = trunk_leg(cc);
	ct_time_t answer = 0;
	for (unsigned i = 0; i < cc->nparties; i++) {
		struct party *p = cc->parties[i];
		if (csta && !p->csta)
			continue;
		/* an outbound call is answered when the far end answers, not the agent's phone */
		if (!out || p->external || strcmp(p->device, cc->csta_calling))
			calls_min_time(&answer, p->answered);
	}
	if (out && tl && tl->sip->answer_ts && strcmp(tl->sip->device, cc->csta_calling))
		calls_min_time(&answer, tl->sip->answer_ts); /* the far end's 200 OK on the trunk leg */
	if (!answer && !out)
		answer = cc->answer;
	if (cc->held)
		hold(t, cc, NULL, false, end);
	for (unsigned i = 0; i < cc->nparties; i++)
		leave(t, cc, cc->parties[i], CT_RECR_CLEARED, end);
	if (cc->direction == CT_DIR_UNKNOWN && !csta)
		cc->direction = sip_direction(cc);
	if (cc->direction == CT_DIR_UNKNOWN && csta)
		for (unsigned i = 0; i < cc->nparties; i++)
			if (cc->parties[i]->csta && cc->parties[i]->answered && strcmp(cc->parties[i]->device, cc->csta_calling))
				cc->direction = CT_DIR_INBOUND; /* answered by CTI's device */
	if (t->cfg.hooks.csta_call_over)
		for (unsigned i = 0; i < cc->nlegs; i++)
			if (!cc->legs[i]->sip)
				t->cfg.hooks.csta_call_over(t->cfg.hooks.user, cc->legs[i]->link, cc->legs[i]->call_id, now);
	for (unsigned i = 0; i < cc->nlegs; i++)
		if (cc->legs[i]->sip)
			relay_ambiguity(t, cc, cc->legs[i], end);
	relay_leaving(t, cc, end);
	final_findings(t, cc, end, answer != 0);
	if (!t->rep || !t->rep->call)
		return;

	static struct call_view_scratch x; /* single-threaded, like the correlator */
	struct ct_call_view v = { .ts = end, .call = cc->id, .start = cc->start, .answer = answer, .end = end };
	/* what the customer dialled or saw: the trunk leg as SIP shows it, else CTI's view */
	static char calling[CT_NUMBER_NORM_MAX + CT_CSTA_DEV], called[CT_NUMBER_NORM_MAX + CT_CSTA_DEV];
	v.calling = record_number(tl && tl->sip->calling[0] ? tl->sip->calling : cc->csta_calling[0] ? cc->csta_calling : cc->sip_calling,
				  calling, sizeof(calling));
	v.called = record_number(tl && tl->sip->device[0] ? tl->sip->device : cc->csta_called[0] ? cc->csta_called : cc->sip_called,
				 called, sizeof(called));
	v.direction = cc->direction;
	v.disposition = disposition(cc, answer);
	ct_time_t ring_to = answer ? answer : end;
	v.ring_ms = ring_to > cc->start ? (ring_to - cc->start) / 1000u : 0;
	uint64_t talk = answer && end > answer ? end - answer : 0;
	talk = talk > cc->hold_us ? talk - cc->hold_us : 0;
	v.talk_ms = talk / 1000u;
	v.hold_ms = cc->hold_us / 1000u;
	v.holds = cc->holds;
	v.has_queue = cc->queued_at && cc->queue_end >= cc->queued_at;
	v.queue_ms = v.has_queue ? (cc->queue_end - cc->queued_at) / 1000u : 0;
	v.has_route = cc->route_req && cc->route_sel >= cc->route_req;
	v.route_ms = v.has_route ? (cc->route_sel - cc->route_req) / 1000u : 0;
	v.has_cti_lag = cc->has_cti_lag;
	v.cti_lag_us = cc->cti_lag;
	for (unsigned i = 0; i < cc->nparties; i++) {
		const struct party *p = cc->parties[i];
		if (listed(cc, p, csta))
			x.parties[v.nparties++] = (struct ct_call_party){ p->device, p->agent_id, p->alerted, p->answered,
									  p->released };
	}
	v.parties = x.parties;
	v.transfers = cc->xfers;
	v.ntransfers = cc->nxfers;
	v.diversions = cc->divs;
	v.ndiversions = cc->ndivs;
	v.conferenced = cc->conferenced;
	v.nconference = 0;
	if (cc->conf_caller && v.calling)
		x.conf[v.nconference++] = v.calling; /* R19: a caller CTI withholds, by its number */
	for (unsigned i = 0; i < cc->nconf; i++)
		x.conf[v.nconference++] = cc->conf[i];
	v.conference = x.conf;
	/* a caller CTI withholds is named as SIP's trust domain names it (R19) */
	v.released_by = cc->released_by[0] && !cc->csta_calling[0] && has_csta(cc) && !is_party_device(cc, cc->released_by)
				? v.calling
				: cc->released_by;
	v.cause = cc->cause[0] ? cc->cause : cc->sip_cause;
	for (unsigned i = 0; i < cc->nlegs; i++)
		x.legs[i] = (struct ct_call_leg){ cc->legs[i]->sip, cc->legs[i]->link, cc->legs[i]->call_id };
	v.legs = x.legs;
	v.nlegs = cc->nlegs;
	for (unsigned i = 0; i < cc->nmerged; i++)
		x.merged[i] = cc->merged[i];
	v.merged = x.merged;
	v.nmerged = cc->nmerged;
	static const enum ct_join_method how[] = { [J_NUMBER] = CT_JOIN_NUMBER_TIME, [J_DEVICE] = CT_JOIN_DEVICE_TIME,
						   [J_SHARED] = CT_JOIN_SHARED_ID };
	enum join jm = method_of(cc);
	v.method = jm != J_NONE && csta && sip ? how[jm]
		   : csta && !sip			? CT_JOIN_CSTA_ONLY
		   : !csta && sip			? CT_JOIN_SIP_ONLY
							: CT_JOIN_SHARED_ID;
	v.evidence = cc->evidence ? cc->evidence : csta && !sip ? "no SIP leg found" : "no CSTA leg found";
	for (unsigned i = 0; i < cc->nparties; i++)
		if (cc->parties[i]->niv)
			x.rec[v.nrecordings++] = (struct ct_call_recording){ cc->parties[i]->device, cc->parties[i]->iv,
									     cc->parties[i]->niv };
	v.recordings = x.rec;
	v.findings = cc->audit;
	v.nfindings = cc->naudit;
	v.findings_more = cc->audit_more;
	t->rep->call(t->rep->user, &v);
}

const char *ct_calls_sip(struct ct_calls *t, const struct ct_calls_sip *s)
{
	struct ccall *cc = sip_moment(t, s);
	if (!cc)
		return NULL;
	touch(t, cc);
	return cc->id;
}

const char *ct_calls_csta(struct ct_calls *t, const struct ct_calls_csta *c)
{
	struct ccall *cc = csta_moment(t, c);
	if (!cc)
		return NULL;
	touch(t, cc);
	return cc->id;
}

void ct_calls_tick(struct ct_calls *t, ct_time_t now)
{
	struct ct_heap_node *top;
	while ((top = ct_heap_top(&t->timers)) && top->due <= now) {
		struct ccall *cc = CT_CONTAINER_OF(top, struct ccall, timer);
		emit_call(t, cc, now);
		call_free(t, cc);
	}
}

void ct_calls_free(struct ct_calls *t, ct_time_t now)
{
	if (!t)
		return;
	while (t->head.next != &t->head) {
		emit_call(t, t->head.next, now);
		call_free(t, t->head.next);
	}
	calls_names_free(t);
	calls_relays_free(t);
	ct_heap_free(&t->timers);
	ct_htab_free(&t->idx);
	ct_intern_free(&t->names_in);
	free(t);
}

uint32_t ct_calls_open(const struct ct_calls *t)
{
	return t->live;
}

void ct_calls_set_recording(struct ct_calls *t, bool pause_on_hold, bool start_on_alert)
{
	t->cfg.pause_on_hold = pause_on_hold;
	t->cfg.start_on_alert = start_on_alert;
}
