/* calls.c - customer calls joined across CSTA and SIP legs: the call model and its lifecycle
 * (making, freeing, legs, release evidence, when a call is over and due); its parties in
 * calls_party.c, merges in calls_merge.c, transfers in calls_xfer.c, the record in
 * calls_record.c (behaviour in calls.h; the parts share calls_int.h). */
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

void leg_free(struct ct_calls *t, struct leg *l)
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

void party_free(struct ct_calls *t, struct party *p)
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

void call_free(struct ct_calls *t, struct ccall *cc)
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

/* Keeps ts as release evidence, in time order (the oldest goes when the list is full). */
void release_seen(struct ccall *cc, ct_time_t ts)
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
ct_time_t hangup_time(const struct ccall *cc)
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
