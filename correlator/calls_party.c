/* calls_party.c - the devices that take part in a call (parties) and the names of its SIP legs:
 * which phone a leg reaches, learnt from CTI's events and the legs' ties, and the party that
 * leaves when a leg ends. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../util/id.h"
#include "../util/log.h"
#include "calls_int.h"
#include "numbers.h"

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
		/* the one leg to (from) a phone the PBX placed lately (not one a B2BUA received: its
		 * target is the PBX, a DDI every agent's calls may come in on) */
		if (l->sip->invite_ts && ts >= l->sip->invite_ts && ts - l->sip->invite_ts <= t->cfg.window &&
		    ((l->sip->rconstrained && !l->sip->rin) || l->sip->rpaired || out)) {
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
