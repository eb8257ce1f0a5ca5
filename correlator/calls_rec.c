/* calls_rec.c - the recording policy, and the moments of a party that drive it and the agents'
 * state (calls_int.h): a recorded device's recording starts when it answers (or rings, with
 * record.start_on_alert), pauses while the call is held (record.pause_on_hold), resumes when it
 * is retrieved and stops when the device leaves the call (cleared, transferred, diverted).
 *
 * Card payments (PCI DSS): a recording also pauses while a record.pause_devices device (a
 * payment IVR) is in the call, and on request (ct_calls_pause_device()). Each cause of a pause
 * is a bit of its own (PZ_*): a pause record is written for each cause as it begins, the resume
 * when the last one ends, so a retrieve never resumes a payment pause. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calls_int.h"

/* The SIP leg the device placed since it put its customer on hold: its consultation. Its
 * phone's own leg (the B2BUA's leg onwards names it as caller too) is the one whose phone end
 * is the device; without the B2BUA's pairing, a leg it placed that no B2BUA relayed. */
static const struct leg *consult_leg(const struct ccall *cc, const char *device)
{
	const struct leg *best = NULL;
	for (int pass = 0; pass < 2 && !best; pass++)
		for (unsigned i = 0; i < cc->nlegs; i++) {
			const struct leg *l = cc->legs[i];
			if (!l->sip || l->ended || l->sip->invite_ts < cc->held_since)
				continue;
			bool mine = pass == 0 ? l->sip->b2b_in && !strcmp(l->sip->calling, device)
					      : !l->sip->rconstrained && !l->sip->rpaired && !strcmp(l->sip->calling, device);
			if (mine && (!best || (!best->answered && l->answered)))
				best = l;
		}
	return best;
}

/* The SIP leg that reaches a device (else one it placed): its endpoints are what to record.
 * *caller tells which end of the leg the device is. A consulting device: its consultation leg. */
static const struct leg *device_leg(const struct ccall *cc, const struct party *p, bool *caller)
{
	const char *device = p->device;
	const struct leg *best = p->consulting ? consult_leg(cc, device) : NULL;
	if (best) {
		*caller = true;
		return best;
	}
	for (int pass = 0; pass < 2 && !best; pass++)
		for (unsigned i = 0; i < cc->nlegs; i++) {
			const struct leg *l = cc->legs[i];
			if (!l->sip)
				continue;
			const char *d = pass == 0 ? leg_device(l) : l->sip->calling;
			if (strcmp(d, device) == 0 && (!best || (!best->answered && l->answered))) {
				best = l;
				*caller = pass == 1 || l->sip->b2b_in;
			}
		}
	return best;
}

static uint8_t rtp_dirs(const struct ccall *cc, const struct party *p, const struct leg **lp);

/* Ends the interval still open (after a merge it need not be the last in the list). */
static void close_iv(struct party *p, ct_time_t ts)
{
	for (unsigned k = p->niv; k-- > 0;)
		if (!p->iv[k].end) {
			p->iv[k].end = ts > p->iv[k].start ? ts : p->iv[k].start;
			return;
		}
}

static void rec_emit(struct ct_calls *t, struct ccall *cc, struct party *p, enum ct_rec_action action,
		     enum ct_rec_reason reason, ct_time_t ts)
{
	t->ctr->recording_triggers++;
	const struct leg *known;
	p->rtp_dirs = rtp_dirs(cc, p, &known);
	if (!t->rep || !t->rep->recording)
		return;
	struct ct_recording_view v = { .ts = ts, .call = cc->id, .device = p->device, .action = action,
				       .reason = reason };
	bool caller = false;
	const struct leg *l = device_leg(cc, p, &caller);
	if (l && (l->sip->sdp_caller.port || l->sip->sdp_callee.port)) {
		/* each stream named by where it comes from: "out" from the device's own SDP address,
		 * "in" from the peer's (symmetric RTP, RFC 4961) */
		bool callee = !caller;
		const struct leg_ep *own = callee ? &l->sip->sdp_callee : &l->sip->sdp_caller;
		const struct leg_ep *peer = callee ? &l->sip->sdp_caller : &l->sip->sdp_callee;
		v.have_rtp = true;
		v.rtp[0] = (struct ct_rec_endpoint){ own->ip, own->port, true };
		v.rtp[1] = (struct ct_rec_endpoint){ peer->ip, peer->port, false };
	}
	t->rep->recording(t->rep->user, &v);
}

/* A recorded interval opens at ts (the list allocated at the first); false when the list is
 * full (CALLS_MAX_IV: the recording goes on unlisted) or out of memory. */
static bool iv_open(struct party *p, ct_time_t ts)
{
	if (p->niv >= CALLS_MAX_IV || (!p->iv && !(p->iv = calloc(CALLS_MAX_IV, sizeof(*p->iv)))))
		return false;
	p->iv[p->niv].start = ts;
	p->iv[p->niv++].end = 0;
	return true;
}

/* Cause `bit` of a pause begins: the recording pauses (or, paused already for another cause,
 * says the new one). */
static bool pause_add(struct ct_calls *t, struct ccall *cc, struct party *p, uint8_t bit, enum ct_rec_reason reason,
		      ct_time_t ts)
{
	if ((p->rec != REC_ON && p->rec != REC_PAUSED) || (p->pz & bit))
		return false;
	p->pz |= bit;
	if (p->rec == REC_ON) {
		p->rec = REC_PAUSED;
		close_iv(p, ts);
	}
	rec_emit(t, cc, p, CT_RECA_PAUSE, reason, ts);
	return true;
}

/* Cause `bit` of a pause ended: the recording resumes when no other holds it. */
static bool pause_clear(struct ct_calls *t, struct ccall *cc, struct party *p, uint8_t bit,
			enum ct_rec_reason reason, ct_time_t ts)
{
	if (!(p->pz & bit))
		return false;
	p->pz &= (uint8_t)~bit;
	if (p->pz || p->rec != REC_PAUSED || !iv_open(p, ts))
		return false;
	p->rec = REC_ON;
	rec_emit(t, cc, p, CT_RECA_RESUME, reason, ts);
	return true;
}

void rec_payment(struct ct_calls *t, struct ccall *cc, ct_time_t ts)
{
	bool on = false;
	for (unsigned i = 0; i < cc->nparties; i++)
		on |= cc->parties[i]->payment;
	for (unsigned i = 0; i < cc->nparties; i++)
		if (on)
			pause_add(t, cc, cc->parties[i], PZ_PAYMENT, CT_RECR_PAYMENT, ts);
		else
			pause_clear(t, cc, cc->parties[i], PZ_PAYMENT, CT_RECR_PAYMENT, ts);
}

/* p rang or answered: a record.pause_devices device in the call pauses its recordings. */
static void payment_joined(struct ct_calls *t, struct ccall *cc, struct party *p, ct_time_t ts)
{
	if (p->payment || p->released || !t->cfg.hooks.pause_device ||
	    !t->cfg.hooks.pause_device(t->cfg.hooks.user, p->device))
		return;
	p->payment = true;
	rec_payment(t, cc, ts);
}

/* RTP directions known for p's recording: its leg's SDP endpoints (with a port). */
static uint8_t rtp_dirs(const struct ccall *cc, const struct party *p, const struct leg **lp)
{
	bool caller = false;
	const struct leg *l = device_leg(cc, p, &caller);
	*lp = l;
	return l ? (uint8_t)((l->sip->sdp_caller.port != 0) + (l->sip->sdp_callee.port != 0)) : 0;
}

void rec_media(struct ct_calls *t, struct ccall *cc, const struct leg *l, ct_time_t ts)
{
	for (unsigned i = 0; i < cc->nparties; i++) {
		struct party *p = cc->parties[i];
		const struct leg *pl;
		if (p->rec != REC_ON || p->rtp_dirs >= 2)
			continue;
		uint8_t n = rtp_dirs(cc, p, &pl);
		if (pl == l && n > p->rtp_dirs)
			rec_emit(t, cc, p, CT_RECA_UPDATE, CT_RECR_MEDIA, ts);
	}
}


void rec_start(struct ct_calls *t, struct ccall *cc, struct party *p, enum ct_rec_reason reason, ct_time_t ts)
{
	if (!p || (p->rec != REC_NONE && p->rec != REC_STOPPED) || p->niv >= CALLS_MAX_IV)
		return;
	if (!t->cfg.hooks.record_device || !t->cfg.hooks.record_device(t->cfg.hooks.user, p->device))
		return;
	if (!iv_open(p, ts))
		return;
	p->rec = REC_ON;
	p->pz = 0;
	rec_emit(t, cc, p, CT_RECA_START, reason, ts);
	for (unsigned i = 0; i < cc->nparties; i++)
		if (cc->parties[i]->payment) { /* started while a payment IVR is in the call */
			pause_add(t, cc, p, PZ_PAYMENT, CT_RECR_PAYMENT, ts);
			break;
		}
}

static void rec_hold(struct ct_calls *t, struct ccall *cc, struct party *p, bool on, ct_time_t ts)
{
	if (!p || !t->cfg.pause_on_hold)
		return;
	if (!on && p->consulting) {
		/* back to the customer from the consultation: the same recording, the customer's leg */
		p->consulting = false;
		if (p->rec == REC_ON)
			rec_emit(t, cc, p, CT_RECA_UPDATE, CT_RECR_RETRIEVED, ts);
	}
	if (on)
		pause_add(t, cc, p, PZ_HOLD, CT_RECR_HELD, ts);
	else
		pause_clear(t, cc, p, PZ_HOLD, CT_RECR_RETRIEVED, ts);
}

void rec_stop(struct ct_calls *t, struct ccall *cc, struct party *p, enum ct_rec_reason reason, ct_time_t ts)
{
	if (!p || (p->rec != REC_ON && p->rec != REC_PAUSED))
		return;
	if (p->rec == REC_ON)
		close_iv(p, ts);
	p->rec = REC_STOPPED;
	p->pz = 0;
	rec_emit(t, cc, p, CT_RECA_STOP, reason, ts);
}

/* ---- moments of the call ----------------------------------------------------------------- */

/* Which agent was at the device when it rang, answered or placed the call. */
void note_agent(struct ct_calls *t, struct party *p)
{
	const char *id = t->cfg.hooks.agent_id ? t->cfg.hooks.agent_id(t->cfg.hooks.user, p->device) : NULL;
	if (id && !p->agent_id[0])
		str_set(t, &p->agent_id, id);
}

/* p answered: when it is the party a device holding the customer consults (calls_csta.c,
 * consultation), that device's recording resumes on its consultation leg (R16). */
static void consultation_answered(struct ct_calls *t, struct ccall *cc, struct party *p, ct_time_t ts)
{
	if (!cc->consult_dev[0] || !cc->held || strcmp(cc->held_by, cc->consult_dev) || !strcmp(p->device, cc->consult_dev))
		return;
	struct party *d = party_find(cc, cc->consult_dev);
	if (!d || d->released)
		return;
	p->consulted = true;
	if (d->consulting)
		return;
	d->consulting = true;
	pause_clear(t, cc, d, PZ_HOLD, CT_RECR_CONSULTATION, ts); /* (a payment pause goes on) */
}

/* The consulted party left while the consulting device still holds the customer: it talks to
 * no one, its recording pauses again until it takes the customer back. */
static void consultation_left(struct ct_calls *t, struct ccall *cc, const struct party *p, ct_time_t ts)
{
	if (!p->consulted || !cc->consult_dev[0])
		return;
	struct party *d = party_find(cc, cc->consult_dev);
	if (!d || !d->consulting)
		return;
	d->consulting = false;
	if (cc->held && !strcmp(cc->held_by, d->device))
		pause_add(t, cc, d, PZ_HOLD, CT_RECR_HELD, ts);
}

void alerted(struct ct_calls *t, struct ccall *cc, struct party *p, ct_time_t ts)
{
	if (p && !p->alerted)
		p->alerted = ts;
	if (p) {
		note_agent(t, p);
		payment_joined(t, cc, p, ts);
	}
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
	payment_joined(t, cc, p, ts); /* before its consultation's resume: a payment IVR consulted stays unheard */
	if (!p->originated && cc->direction == CT_DIR_OUTBOUND) {
		/* the far end answered: the agents who placed the call talk from now on (an internal
		 * call, such as a consultation, is not a customer conversation) */
		for (unsigned i = 0; i < cc->nparties; i++)
			if (cc->parties[i]->originated && !cc->parties[i]->released)
				rec_start(t, cc, cc->parties[i], CT_RECR_ANSWERED, ts);
	}
	if (p->external)
		return;
	rec_start(t, cc, p, CT_RECR_ANSWERED, ts);
	consultation_answered(t, cc, p, ts);
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
	if (cc->xfer_ts && ts >= cc->xfer_ts && ts - cc->xfer_ts <= t->cfg.window && !strcmp(cc->xfer_dev, p->device)) {
		reason = CT_RECR_TRANSFERRED;
		transfer_done(t, cc, p->device, ts);
	}
	leave(t, cc, p, reason, ts);
	consultation_left(t, cc, p, ts);
	if (p->payment) {
		p->payment = false;
		rec_payment(t, cc, ts);
	}
	p->consulting = false;
	if (!strcmp(cc->consult_dev, p->device))
		str_drop(t, &cc->consult_dev);
}

/* Hold reported by several legs (SIP, and each CSTA link) counts once for the call; the
 * device that held pauses its recording. */
void hold(struct ct_calls *t, struct ccall *cc, struct party *p, bool on, ct_time_t ts)
{
	if (on && !cc->held) {
		cc->held = true;
		cc->held_since = ts;
		cc->holds++;
		if (p) {
			str_set(t, &cc->held_by, p->device);
			remember(t, cc, "held", p->device, ts); /* its consultation finds it (calls_csta.c) */
		}
	} else if (!on && cc->held) {
		cc->held = false;
		if (ts > cc->held_since) /* legs disagree on time, or packet time went back */
			cc->hold_us += ts - cc->held_since;
		str_drop(t, &cc->held_by);
		str_drop(t, &cc->consult_dev);
	}
	rec_hold(t, cc, p, on, ts);
}


void hold_sip(struct ct_calls *t, struct ccall *cc, struct party *p, bool on, ct_time_t ts)
{
	if (!has_csta(cc)) {
		hold(t, cc, p, on, ts);
		return;
	}
	if (on) {
		/* the first of a hold's SIP messages (the phone's, then the PBX's own towards the
		 * customer) */
		if (!cc->sip_hold_at || ts < cc->sip_hold_at || ts - cc->sip_hold_at > t->cfg.window)
			cc->sip_hold_at = ts;
	} else if (cc->held && p && !strcmp(cc->held_by, p->device)) {
		/* the phone CTI saw holding takes the call back: its Retrieved is no news (or was
		 * lost); a transfer or conference that reconnected it began a moment before */
		hold(t, cc, p, false, reconnect_time(t, cc, ts));
	} else {
		cc->sip_resume_at = ts;
	}
}

/* A SIP moment (0: none) that came at most the window before ts, and not before `since`. */
static ct_time_t just_before(const struct ct_calls *t, ct_time_t cand, ct_time_t ts, ct_time_t since)
{
	return cand && cand <= ts && ts - cand <= t->cfg.window && cand >= since ? cand : 0;
}

void hold_cti(struct ct_calls *t, struct ccall *cc, struct party *p, bool on, ct_time_t ts)
{
	ct_time_t at = just_before(t, on ? cc->sip_hold_at : cc->sip_resume_at, ts, on ? 0 : cc->held_since);
	if (on)
		cc->sip_hold_at = 0;
	else
		cc->sip_resume_at = 0;
	hold(t, cc, p, on, at ? at : ts);
}

ct_time_t reconnect_time(const struct ct_calls *t, const struct ccall *cc, ct_time_t ts)
{
	ct_time_t since = cc->held ? cc->held_since : 0, at = ts;
	ct_time_t r = just_before(t, cc->sip_resume_at, ts, since);
	if (r && r < at)
		at = r;
	for (unsigned i = 0; i < cc->nrel; i++)
		if ((r = just_before(t, cc->rel[i], ts, since)) && r < at)
			at = r;
	/* a transfer done (its NOTIFY 200, the transferring device's first leg ending) */
	if ((r = just_before(t, cc->xfer_left, ts, since)) && r < at)
		at = r;
	return at;
}

/* ---- pause on request ---------------------------------------------------------------------- */

static bool call_named(const struct ccall *cc, const char *call)
{
	if (calls_empty(call) || !strcmp(cc->id, call))
		return true;
	for (unsigned i = 0; i < cc->nmerged; i++)
		if (!strcmp(cc->merged[i], call))
			return true;
	return false;
}

/* The party recording device (as given, or in its normalised form) in the newest call named
 * `call` (any call when NULL or ""). */
static struct party *recording_of(struct ct_calls *t, const char *device, const char *call, struct ccall **out)
{
	char norm[CT_CSTA_DEV];
	const char *alt = calls_norm(t, device, norm, sizeof(norm));
	for (struct ccall *cc = t->head.prev; cc != &t->head; cc = cc->prev) {
		if (!call_named(cc, call))
			continue;
		struct party *p = party_find(cc, device);
		if (!p && alt)
			p = party_find(cc, alt);
		if (p && (p->rec == REC_ON || p->rec == REC_PAUSED)) {
			*out = cc;
			return p;
		}
	}
	return NULL;
}

int ct_calls_pause_device(struct ct_calls *t, const char *device, const char *call, bool pause, ct_time_t ts,
			  struct ct_calls_pause *out)
{
	memset(out, 0, sizeof(*out));
	struct ccall *cc = NULL;
	struct party *p = calls_empty(device) ? NULL : recording_of(t, device, call, &cc);
	if (!p)
		return CT_ENOENT;
	/* a resume while a hold or a payment IVR keeps the recording paused writes no record: the
	 * audio stays paused (a recorder reading the records must not resume), the answer says why */
	bool done = pause ? pause_add(t, cc, p, PZ_REQUEST, CT_RECR_REQUEST, ts)
			  : (p->pz & PZ_REQUEST) != 0;
	if (!pause && done)
		pause_clear(t, cc, p, PZ_REQUEST, CT_RECR_REQUEST, ts);
	snprintf(out->call, sizeof(out->call), "%s", cc->id);
	snprintf(out->device, sizeof(out->device), "%s", p->device);
	out->paused = p->rec == REC_PAUSED;
	out->held = p->pz & PZ_HOLD;
	out->request = p->pz & PZ_REQUEST;
	out->payment = p->pz & PZ_PAYMENT;
	return done ? CT_OK : CT_ELIMIT;
}
