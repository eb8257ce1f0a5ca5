/* calls_rec.c - the recording policy, and the moments of a party that drive it and the agents'
 * state (calls_int.h): a recorded device's recording starts when it answers (or rings, with
 * record.start_on_alert), pauses while the call is held (record.pause_on_hold), resumes when it
 * is retrieved and stops when the device leaves the call (cleared, transferred, diverted). */
#include <stdio.h>
#include <string.h>

#include "calls_int.h"

/* The SIP leg that reaches a device (else one it placed): its endpoints are what to record.
 * *caller tells which end of the leg the device is. */
static const struct leg *device_leg(const struct ccall *cc, const char *device, bool *caller)
{
	const struct leg *best = NULL;
	for (int pass = 0; pass < 2 && !best; pass++)
		for (unsigned i = 0; i < cc->nlegs; i++) {
			const struct leg *l = &cc->legs[i];
			const char *d = pass == 0 ? leg_device(l) : l->calling;
			if (l->sip && strcmp(d, device) == 0 && (!best || (!best->answered && l->answered))) {
				best = l;
				*caller = pass == 1 || l->b2b_in;
			}
		}
	return best;
}

/* Ends the interval still open (after a merge it need not be the last in the list). */
static void close_iv(struct party *p, ct_time_t ts)
{
	for (unsigned k = p->niv; k-- > 0;)
		if (!p->iv[k].end) {
			p->iv[k].end = ts > p->iv[k].start ? ts : p->iv[k].start;
			return;
		}
}

static void rec_emit(struct ct_calls *t, struct ccall *cc, const struct party *p, enum ct_rec_action action,
		     enum ct_rec_reason reason, ct_time_t ts)
{
	t->ctr->recording_triggers++;
	if (!t->rep || !t->rep->recording)
		return;
	struct ct_recording_view v = { .ts = ts, .call = cc->id, .device = p->device, .action = action,
				       .reason = reason };
	bool caller = false;
	const struct leg *l = device_leg(cc, p->device, &caller);
	if (l && (l->sdp_caller.port || l->sdp_callee.port)) {
		/* each stream named by where it comes from: "out" from the device's own SDP address,
		 * "in" from the peer's (symmetric RTP, RFC 4961) */
		bool callee = !caller;
		const struct ct_calls_ep *own = callee ? &l->sdp_callee : &l->sdp_caller;
		const struct ct_calls_ep *peer = callee ? &l->sdp_caller : &l->sdp_callee;
		v.have_rtp = true;
		v.rtp[0] = (struct ct_rec_endpoint){ own->ip, own->port, true };
		v.rtp[1] = (struct ct_rec_endpoint){ peer->ip, peer->port, false };
	}
	t->rep->recording(t->rep->user, &v);
}

void rec_start(struct ct_calls *t, struct ccall *cc, struct party *p, enum ct_rec_reason reason, ct_time_t ts)
{
	if (!p || (p->rec != REC_NONE && p->rec != REC_STOPPED) || p->niv >= CALLS_MAX_IV)
		return;
	if (!t->cfg.hooks.record_device || !t->cfg.hooks.record_device(t->cfg.hooks.user, p->device))
		return;
	p->rec = REC_ON;
	p->iv[p->niv].start = ts;
	p->iv[p->niv++].end = 0;
	rec_emit(t, cc, p, CT_RECA_START, reason, ts);
}

static void rec_hold(struct ct_calls *t, struct ccall *cc, struct party *p, bool on, ct_time_t ts)
{
	if (!p || !t->cfg.pause_on_hold)
		return;
	if (on && p->rec == REC_ON) {
		p->rec = REC_PAUSED;
		close_iv(p, ts);
		rec_emit(t, cc, p, CT_RECA_PAUSE, CT_RECR_HELD, ts);
	} else if (!on && p->rec == REC_PAUSED && p->niv < CALLS_MAX_IV) {
		p->rec = REC_ON;
		p->iv[p->niv].start = ts;
		p->iv[p->niv++].end = 0;
		rec_emit(t, cc, p, CT_RECA_RESUME, CT_RECR_RETRIEVED, ts);
	}
}

void rec_stop(struct ct_calls *t, struct ccall *cc, struct party *p, enum ct_rec_reason reason, ct_time_t ts)
{
	if (!p || (p->rec != REC_ON && p->rec != REC_PAUSED))
		return;
	if (p->rec == REC_ON)
		close_iv(p, ts);
	p->rec = REC_STOPPED;
	rec_emit(t, cc, p, CT_RECA_STOP, reason, ts);
}

/* ---- moments of the call ----------------------------------------------------------------- */

/* Which agent was at the device when it rang, answered or placed the call. */
void note_agent(struct ct_calls *t, struct party *p)
{
	const char *id = t->cfg.hooks.agent_id ? t->cfg.hooks.agent_id(t->cfg.hooks.user, p->device) : NULL;
	if (id && !p->agent_id[0])
		snprintf(p->agent_id, sizeof(p->agent_id), "%s", id);
}

void alerted(struct ct_calls *t, struct ccall *cc, struct party *p, ct_time_t ts)
{
	if (p && !p->alerted)
		p->alerted = ts;
	if (p)
		note_agent(t, p);
	if (p && t->cfg.start_on_alert)
		rec_start(t, cc, p, CT_RECR_ALERTED, ts);
}

void answered(struct ct_calls *t, struct ccall *cc, struct party *p, ct_time_t ts)
{
	calls_min_time(&cc->answer, ts);
	if (!p)
		return;
	if (!p->answered)
		p->answered = ts;
	note_agent(t, p);
	if (!p->originated && cc->direction == CT_DIR_OUTBOUND) {
		/* the far end answered: the agents who placed the call talk from now on (an internal
		 * call, such as a consultation, is not a customer conversation) */
		for (unsigned i = 0; i < cc->nparties; i++)
			if (cc->parties[i].originated && !cc->parties[i].released)
				rec_start(t, cc, &cc->parties[i], CT_RECR_ANSWERED, ts);
	}
	if (p->external)
		return;
	rec_start(t, cc, p, CT_RECR_ANSWERED, ts);
	if (!p->on_call && t->cfg.hooks.agent_call) {
		p->on_call = true;
		t->cfg.hooks.agent_call(t->cfg.hooks.user, p->device, true, ts);
	}
}

/* The device is out of the call (as far as recording and agent state go). */
void leave(struct ct_calls *t, struct ccall *cc, struct party *p, enum ct_rec_reason reason, ct_time_t ts)
{
	if (!p)
		return;
	rec_stop(t, cc, p, reason, ts);
	if (p->on_call && t->cfg.hooks.agent_call) {
		p->on_call = false;
		t->cfg.hooks.agent_call(t->cfg.hooks.user, p->device, false, ts);
	}
}

/* The device was seen leaving the call (BYE, CANCEL, CSTA clearing, transfer away). A device
 * that asked for a transfer a moment ago leaves by that transfer (its SIP BYE comes before
 * CTI's Transferred). */
void released(struct ct_calls *t, struct ccall *cc, struct party *p, enum ct_rec_reason reason, ct_time_t ts)
{
	if (!p)
		return;
	if (!p->released)
		p->released = ts;
	if (cc->xfer_ts && ts >= cc->xfer_ts && ts - cc->xfer_ts <= t->cfg.window && !strcmp(cc->xfer_dev, p->device))
		reason = CT_RECR_TRANSFERRED;
	leave(t, cc, p, reason, ts);
}

/* Hold reported by several legs (SIP, and each CSTA link) counts once for the call; the
 * device that held pauses its recording. */
void hold(struct ct_calls *t, struct ccall *cc, struct party *p, bool on, ct_time_t ts)
{
	if (on && !cc->held) {
		cc->held = true;
		cc->held_since = ts;
		cc->holds++;
	} else if (!on && cc->held) {
		cc->held = false;
		if (ts > cc->held_since) /* legs disagree on time, or packet time went back */
			cc->hold_us += ts - cc->held_since;
	}
	rec_hold(t, cc, p, on, ts);
}

