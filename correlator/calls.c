/* calls.c - customer calls joined across CSTA and SIP legs: the call model, its lifecycle,
 * merges and the record's view (behaviour in calls.h; the other parts in calls_int.h). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/id.h"
#include "../util/log.h"
#include "calls_int.h"

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
	t->head.prev = t->head.next = &t->head;
	*out = t;
	return CT_OK;

free_idx:
	ct_htab_free(&t->idx);
free_t:
	free(t);
	return CT_ENOMEM;
}

void calls_set(char *dst, size_t cap, const char *src)
{
	if (src && src[0] && !dst[0])
		snprintf(dst, cap, "%s", src);
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

/* When the call's record may be due: settle after its last leg ended; csta_grace after its last
 * SIP leg ended while CTI never cleared; idle after its last news. */
static ct_time_t add_sat(ct_time_t a, ct_time_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static ct_time_t due_of(const struct ct_calls *t, const struct ccall *cc)
{
	/* a fragment (a call first seen by a message that cannot begin one: a late copy, a leg
	 * whose start was not captured) is given up sooner than a call that began here */
	ct_time_t idle = cc->fragment && t->cfg.settle * 20 < t->cfg.idle ? t->cfg.settle * 20 : t->cfg.idle;
	ct_time_t due = idle ? add_sat(cc->last, idle) : UINT64_MAX;
	if (all_ended(cc, false) && add_sat(cc->ended_at, t->cfg.settle) < due)
		due = add_sat(cc->ended_at, t->cfg.settle);
	if (has_sip(cc) && all_ended(cc, true) && add_sat(cc->sip_ended_at, t->cfg.csta_grace) < due)
		due = add_sat(cc->sip_ended_at, t->cfg.csta_grace);
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

static void call_free(struct ct_calls *t, struct ccall *cc)
{
	for (unsigned i = 0; i < cc->nlegs; i++)
		idx_del(t, &cc->legs[i].k);
	for (unsigned i = 0; i < CALLS_MAX_KEYS; i++)
		idx_del(t, &cc->keys[i]);
	cc->prev->next = cc->next;
	cc->next->prev = cc->prev;
	ct_heap_remove(&t->timers, &cc->timer);
	t->live--;
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
		if (cc->legs[i].sip)
			return true;
	return false;
}

bool has_csta(const struct ccall *cc)
{
	for (unsigned i = 0; i < cc->nlegs; i++)
		if (!cc->legs[i].sip)
			return true;
	return false;
}

/* Adds a line of evidence (once: the same join of the call on another link says it again). */
void evidence_add(struct ccall *cc, const char *evidence)
{
	if (!evidence[0] || strstr(cc->evidence, evidence))
		return;
	size_t n = strlen(cc->evidence);
	if (n < sizeof(cc->evidence) - 3)
		snprintf(cc->evidence + n, sizeof(cc->evidence) - n, "%s%s", n ? "; " : "", evidence);
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
	struct leg *l = &cc->legs[cc->nlegs];
	memset(l, 0, sizeof(*l));
	l->sip = sip;
	snprintf(l->link, sizeof(l->link), "%s", link ? link : "");
	if (!idx_add(t, &l->k, key, cc, ts))
		return NULL;
	leg_call_id(l);
	(void)call_id; /* the key holds it whole */
	cc->nlegs++;
	if (ts < cc->start)
		cc->start = ts;
	return l;
}

struct party *party_find(struct ccall *cc, const char *device)
{
	for (unsigned i = 0; i < cc->nparties; i++)
		if (strcmp(cc->parties[i].device, device) == 0)
			return &cc->parties[i];
	return NULL;
}

/* When a call has rung more devices than it keeps (a ring-all group, a long hunt), a device
 * that rang and never answered makes room: the one that answers is always kept. */
static struct party *party_room(struct ct_calls *t, struct ccall *cc)
{
	if (cc->nparties < CALLS_MAX_PARTIES)
		return &cc->parties[cc->nparties++];
	struct party *v = NULL;
	for (unsigned i = 0; i < cc->nparties; i++) {
		struct party *q = &cc->parties[i];
		if (q->answered || q->on_call || q->originated || q->rec == REC_ON || q->rec == REC_PAUSED)
			continue;
		if (!v || (q->released && !v->released))
			v = q;
	}
	t->ctr->calls_parties_dropped++;
	if (!v)
		return NULL;
	memmove(v, v + 1, (size_t)(&cc->parties[cc->nparties] - (v + 1)) * sizeof(*v)); /* keep the order */
	return &cc->parties[cc->nparties - 1];
}

struct party *party(struct ct_calls *t, struct ccall *cc, const char *device, bool csta)
{
	if (calls_empty(device))
		return NULL;
	struct party *p = party_find(cc, device);
	if (!p) {
		p = party_room(t, cc);
		if (!p)
			return NULL;
		memset(p, 0, sizeof(*p));
		snprintf(p->device, sizeof(p->device), "%s", device);
	}
	if (csta)
		p->csta = true;
	return p;
}

/* The recorded intervals of q added to p's, in time order (the cap keeps the first). */
void iv_merge(struct party *p, const struct party *q)
{
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
struct ccall *merge(struct ct_calls *t, struct ccall *a, struct ccall *b)
{
	if (a == b || !a || !b)
		return a ? a : b;
	if (b->start < a->start) {
		struct ccall *x = a;
		a = b;
		b = x;
	}
	t->ctr->calls_merged++;
	for (unsigned i = 0; i < b->nlegs; i++) {
		struct leg *l = &b->legs[i];
		if (a->nlegs >= CALLS_MAX_LEGS) {
			t->ctr->calls_legs_dropped++;
			idx_del(t, &l->k);
			continue;
		}
		struct leg *n = &a->legs[a->nlegs++];
		*n = *l;
		idx_move(t, &l->k, &n->k, a);
	}
	b->nlegs = 0;
	for (unsigned i = 0; i < CALLS_MAX_KEYS; i++) {
		struct ikey *k = &b->keys[i];
		if (!k->used)
			continue;
		unsigned j = 0;
		while (j < CALLS_MAX_KEYS && a->keys[j].used)
			j++;
		if (j == CALLS_MAX_KEYS) {
			t->ctr->calls_keys_dropped++;
			idx_del(t, k);
		} else {
			idx_move(t, k, &a->keys[j], a);
		}
	}
	for (unsigned i = 0; i < b->nparties; i++) {
		struct party *q = &b->parties[i];
		struct party *p = party_find(a, q->device);
		if (!p) {
			if (a->nparties < CALLS_MAX_PARTIES)
				a->parties[a->nparties++] = *q;
			else
				leave(t, b, q, CT_RECR_CLEARED, b->last); /* not kept: its recording and agent see it go */
			continue;
		}
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
		else if (q_on)
			p->rec = q->rec; /* goes on in the merged call (the recorder knows b's id: "merged") */
		iv_merge(p, q);
	}
	for (unsigned i = 0; i < b->nxfers && a->nxfers < CALLS_MAX_XFER; i++)
		a->xfers[a->nxfers++] = b->xfers[i];
	for (unsigned i = 0; i < b->ndivs && a->ndivs < CALLS_MAX_XFER; i++)
		a->divs[a->ndivs++] = b->divs[i];
	for (unsigned i = 0; i < b->naudit; i++)
		note(t, a, b->audit[i].kind, b->audit[i].detail);
	a->audit_more += b->audit_more;
	if (a->nmerged < CALLS_MAX_MERGED)
		snprintf(a->merged[a->nmerged++], sizeof(a->merged[0]), "%s", b->id);
	for (unsigned i = 0; i < b->nmerged && a->nmerged < CALLS_MAX_MERGED; i++)
		snprintf(a->merged[a->nmerged++], sizeof(a->merged[0]), "%s", b->merged[i]);
	calls_min_time(&a->answer, b->answer);
	if (b->last > a->last)
		a->last = b->last;
	if (b->ended_at > a->ended_at)
		a->ended_at = b->ended_at;
	if (b->sip_ended_at > a->sip_ended_at)
		a->sip_ended_at = b->sip_ended_at;
	a->holds += b->holds;
	a->hold_us += b->hold_us;
	if (b->held && !a->held) {
		a->held = true;
		a->held_since = b->held_since;
	}
	if (b->sip_first && (!a->sip_first || b->sip_first < a->sip_first)) {
		a->sip_first = b->sip_first;
		memcpy(a->sip_calling, b->sip_calling, sizeof(a->sip_calling));
		memcpy(a->sip_called, b->sip_called, sizeof(a->sip_called));
	}
	calls_set(a->csta_calling, sizeof(a->csta_calling), b->csta_calling);
	calls_set(a->csta_called, sizeof(a->csta_called), b->csta_called);
	if (a->direction == CT_DIR_UNKNOWN)
		a->direction = b->direction;
	calls_set(a->released_by, sizeof(a->released_by), b->released_by);
	calls_set(a->cause, sizeof(a->cause), b->cause);
	calls_set(a->sip_cause, sizeof(a->sip_cause), b->sip_cause);
	if (!a->sip_disposition)
		a->sip_disposition = b->sip_disposition;
	a->csta_busy |= b->csta_busy;
	a->network |= b->network;
	if (b->join < a->join)
		a->join = b->join;
	if (b->evidence[0])
		joined(a, (enum join)a->join, b->evidence);
	if (!a->queued_at) {
		a->queued_at = b->queued_at;
		a->queue_end = b->queue_end;
		memcpy(a->queue_dev, b->queue_dev, sizeof(a->queue_dev));
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
	if (b->conferenced) {
		a->conferenced = true;
		for (unsigned i = 0; i < b->nconf && a->nconf < CALLS_MAX_PARTIES; i++)
			memcpy(a->conf[a->nconf++], b->conf[i], sizeof(a->conf[0]));
	}
	call_free(t, b);
	return a;
}


/* The device at the phone end of a SIP leg: the callee of a leg a PBX placed, the caller of
 * a leg that came into a B2BUA. */
const char *leg_device(const struct leg *l)
{
	return l->b2b_in ? l->calling : l->device;
}

/* A device leaves the call when the last SIP leg it has in it ends (a conference keeps its
 * first leg when the consultation leg is dropped). */
static bool other_leg(const struct ccall *cc, const struct leg *l, const char *device)
{
	for (unsigned i = 0; i < cc->nlegs; i++) {
		const struct leg *o = &cc->legs[i];
		if (o != l && o->sip && !o->ended && !o->bye && strcmp(leg_device(o), device) == 0)
			return true;
	}
	return false;
}

struct party *leaving(struct ccall *cc, const struct leg *l)
{
	const char *d = leg_device(l);
	return other_leg(cc, l, d) ? NULL : party_find(cc, d);
}


void transfer_asked(struct ccall *cc, const char *device, ct_time_t ts)
{
	if (calls_empty(device))
		return;
	snprintf(cc->xfer_dev, sizeof(cc->xfer_dev), "%s", device);
	cc->xfer_ts = ts;
}


void leg_end(struct ccall *cc, struct leg *l, ct_time_t ts)
{
	if (!l)
		return;
	l->ended = true;
	if (ts > cc->ended_at)
		cc->ended_at = ts; /* a later clearing of the same leg (CallCleared after ConnectionCleared) */
}

bool all_ended(const struct ccall *cc, bool sip_only)
{
	for (unsigned i = 0; i < cc->nlegs; i++)
		if (!cc->legs[i].ended && (!sip_only || cc->legs[i].sip))
			return false;
	return cc->nlegs > 0;
}

void add_xfer(struct ct_call_transfer *list, unsigned *n, const char *from, const char *to, enum ct_xfer_kind kind,
	      ct_time_t ts)
{
	if (*n >= CALLS_MAX_XFER)
		return;
	struct ct_call_transfer *x = &list[(*n)++];
	snprintf(x->from, sizeof(x->from), "%s", from ? from : "");
	snprintf(x->to, sizeof(x->to), "%s", to ? to : "");
	x->kind = kind;
	x->ts = ts;
}

void conf_add(struct ccall *cc, const char *device)
{
	if (calls_empty(device) || cc->nconf >= CALLS_MAX_PARTIES)
		return;
	for (unsigned i = 0; i < cc->nconf; i++)
		if (strcmp(cc->conf[i], device) == 0)
			return;
	snprintf(cc->conf[cc->nconf++], sizeof(cc->conf[0]), "%s", device);
}

void cti_lag(struct ccall *cc, const char *device, ct_time_t delivered)
{
	/* the screen pop an agent feels: a call coming in to the agent's device */
	if (cc->has_cti_lag || !delivered || cc->direction != CT_DIR_INBOUND)
		return;
	for (unsigned i = 0; i < cc->nlegs; i++) {
		const struct leg *l = &cc->legs[i];
		if (l->sip && l->invite_ts && !l->b2b_in && strcmp(l->device, device) == 0) {
			cc->cti_lag = (int64_t)delivered - (int64_t)l->invite_ts;
			cc->has_cti_lag = true;
			return;
		}
	}
}

/* ---- the record ----------------------------------------------------------------------- */

static enum ct_disposition disposition(const struct ccall *cc, ct_time_t answer)
{
	if (answer)
		return CT_DISP_ANSWERED;
	if (cc->csta_busy || cc->sip_disposition == CT_DISP_BUSY)
		return CT_DISP_BUSY;
	if (cc->sip_disposition == CT_DISP_ABANDONED || cc->cleared_before_answer)
		return CT_DISP_ABANDONED;
	if (cc->sip_disposition == CT_DISP_NO_ANSWER)
		return CT_DISP_NO_ANSWER;
	return CT_DISP_FAILED;
}

/* The parties a record lists: the contact-centre devices that rang or answered (with CTI,
 * those CTI reported), not the caller nor the far end of an outbound call. */
static bool listed(const struct ccall *cc, const struct party *p, bool csta)
{
	if ((csta && !p->csta) || p->external || (!p->alerted && !p->answered && !p->originated))
		return false;
	return !(cc->direction == CT_DIR_INBOUND && cc->csta_calling[0] && !strcmp(p->device, cc->csta_calling));
}

/* The SIP leg that carried the customer: the first one of an inbound call, the one to the
 * dialled number of an outbound call (the trunk leg); NULL when there is none. */
static const struct leg *trunk_leg(const struct ccall *cc)
{
	const struct leg *first = NULL;
	for (unsigned i = 0; i < cc->nlegs; i++) {
		const struct leg *l = &cc->legs[i];
		if (!l->sip || !l->invite_ts)
			continue;
		if (!first || l->invite_ts < first->invite_ts)
			first = l;
	}
	if (cc->direction != CT_DIR_OUTBOUND || !first)
		return first;
	/* outbound: the leg whose request-URI is not a device CTI reported */
	for (unsigned i = 0; i < cc->nlegs; i++) {
		const struct leg *l = &cc->legs[i];
		const struct party *p = party_find((struct ccall *)cc, l->device);
		if (l->sip && l->invite_ts && (!p || !p->csta || p->external))
			return l;
	}
	return NULL;
}

/* What the record of a call shows, pointing into the call (and scratch arrays sized by the
 * call's caps); handed to the report's call hook. */
struct call_view_scratch {
	struct ct_call_party parties[CALLS_MAX_PARTIES];
	struct ct_call_leg legs[CALLS_MAX_LEGS];
	const char *conf[CALLS_MAX_PARTIES];
	const char *merged[CALLS_MAX_MERGED];
	struct ct_call_recording rec[CALLS_MAX_PARTIES];
};

static void emit_call(struct ct_calls *t, struct ccall *cc, ct_time_t now)
{
	/* over: when the last leg ended; given up (idle, evicted, end of input): its last news */
	ct_time_t end = all_ended(cc, false) && cc->ended_at ? cc->ended_at : cc->last > cc->ended_at ? cc->last : cc->ended_at;
	if (!end)
		end = now;
	bool csta = has_csta(cc), sip = has_sip(cc);
	/* with CTI, the parties are the devices it reported; SIP-only, the devices the legs reached */
	bool out = cc->direction == CT_DIR_OUTBOUND;
	const struct leg *tl = trunk_leg(cc);
	ct_time_t answer = 0;
	for (unsigned i = 0; i < cc->nparties; i++) {
		struct party *p = &cc->parties[i];
		if (csta && !p->csta)
			continue;
		/* an outbound call is answered when the far end answers, not the agent's phone */
		if (!out || p->external || strcmp(p->device, cc->csta_calling))
			calls_min_time(&answer, p->answered);
	}
	if (out && tl && tl->answer_ts && strcmp(tl->device, cc->csta_calling))
		calls_min_time(&answer, tl->answer_ts); /* the far end's 200 OK on the trunk leg */
	if (!answer && !out)
		answer = cc->answer;
	if (cc->held)
		hold(t, cc, NULL, false, end);
	for (unsigned i = 0; i < cc->nparties; i++)
		leave(t, cc, &cc->parties[i], CT_RECR_CLEARED, end);
	if (cc->direction == CT_DIR_UNKNOWN && csta)
		for (unsigned i = 0; i < cc->nparties; i++)
			if (cc->parties[i].csta && cc->parties[i].answered && strcmp(cc->parties[i].device, cc->csta_calling))
				cc->direction = CT_DIR_INBOUND; /* answered by CTI's device */
	final_findings(t, cc, end, answer != 0);
	if (!t->rep || !t->rep->call)
		return;

	static struct call_view_scratch x; /* single-threaded, like the correlator */
	struct ct_call_view v = { .ts = end, .call = cc->id, .start = cc->start, .answer = answer, .end = end };
	/* what the customer dialled or saw: the trunk leg as SIP shows it, else CTI's view */
	v.calling = tl && tl->calling[0] ? tl->calling : cc->csta_calling[0] ? cc->csta_calling : cc->sip_calling;
	v.called = tl && tl->device[0] ? tl->device : cc->csta_called[0] ? cc->csta_called : cc->sip_called;
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
		const struct party *p = &cc->parties[i];
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
	for (unsigned i = 0; i < cc->nconf; i++)
		x.conf[i] = cc->conf[i];
	v.conference = x.conf;
	v.nconference = cc->nconf;
	v.released_by = cc->released_by;
	v.cause = cc->cause[0] ? cc->cause : cc->sip_cause;
	for (unsigned i = 0; i < cc->nlegs; i++)
		x.legs[i] = (struct ct_call_leg){ cc->legs[i].sip, cc->legs[i].link, cc->legs[i].call_id };
	v.legs = x.legs;
	v.nlegs = cc->nlegs;
	for (unsigned i = 0; i < cc->nmerged; i++)
		x.merged[i] = cc->merged[i];
	v.merged = x.merged;
	v.nmerged = cc->nmerged;
	static const enum ct_join_method how[] = { [J_NUMBER] = CT_JOIN_NUMBER_TIME, [J_DEVICE] = CT_JOIN_DEVICE_TIME,
						   [J_SHARED] = CT_JOIN_SHARED_ID };
	v.method = cc->join != J_NONE && csta && sip ? how[cc->join]
		   : csta && !sip			? CT_JOIN_CSTA_ONLY
		   : !csta && sip			? CT_JOIN_SIP_ONLY
							: CT_JOIN_SHARED_ID;
	v.evidence = cc->evidence[0] ? cc->evidence : csta && !sip ? "no SIP leg found" : "no CSTA leg found";
	for (unsigned i = 0; i < cc->nparties; i++)
		if (cc->parties[i].niv)
			x.rec[v.nrecordings++] = (struct ct_call_recording){ cc->parties[i].device, cc->parties[i].iv,
									     cc->parties[i].niv };
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

const char *ct_calls_csta(struct ct_calls *t, const char *link, const struct ct_csta_msg *m, ct_time_t ts)
{
	struct ccall *cc = csta_moment(t, link, m, ts);
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
	ct_heap_free(&t->timers);
	ct_htab_free(&t->idx);
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
