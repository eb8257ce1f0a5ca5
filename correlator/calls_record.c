/* calls_record.c - the call record: what a finished (or evicted) call shows, as the record
 * writers' view (struct ct_call_view), handed to the report's call hook; its direction,
 * disposition, numbers and correlation method decided from the call model (calls_int.h). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../util/id.h"
#include "../util/log.h"
#include "calls_int.h"
#include "numbers.h"

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

void emit_call(struct ct_calls *t, struct ccall *cc, ct_time_t now)
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
