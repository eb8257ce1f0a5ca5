/* calls_merge.c - two calls found to be one (a join after both began, a transfer, a B2BUA
 * pairing, a Replaces): the earlier takes the other's legs, parties, keys, transfers and
 * recording intervals whole, and the other is freed. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../util/id.h"
#include "../util/log.h"
#include "calls_int.h"
#include "numbers.h"

static void merged_add(struct ccall *cc, const char *id)
{
	if (cc->nmerged >= CALLS_MAX_MERGED ||
	    (!cc->merged && !(cc->merged = calloc(CALLS_MAX_MERGED, sizeof(cc->merged[0])))))
		return;
	snprintf(cc->merged[cc->nmerged++], sizeof(cc->merged[0]), "%s", id);
}

static void copy_xfer(struct ct_call_transfer **list, uint8_t *n, const struct ct_call_transfer *from)
{
	struct ct_call_transfer *x = xfer_new(list, n);
	if (x)
		*x = *from;
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
