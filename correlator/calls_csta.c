/* calls_csta.c - what each CSTA event does to its customer call (calls_int.h). */
#include <stdio.h>
#include <string.h>

#include "../decoders/csta_names.h"
#include "calls_int.h"
#include "numbers.h"

/* CSTA events that can begin a call (others first seen mean the start was not captured). */
static bool begins_call(enum ct_csta_name n)
{
	switch (n) {
	case CT_CSTA_N_DELIVERED:
	case CT_CSTA_N_OFFERED:
	case CT_CSTA_N_ORIGINATED:
	case CT_CSTA_N_SERVICE_INITIATED:
	case CT_CSTA_N_QUEUED:
	case CT_CSTA_N_ROUTE_REQUEST:
	case CT_CSTA_N_FAILED:
	case CT_CSTA_N_NETWORK_REACHED:
		return true;
	default:
		return false;
	}
}

/* What ends a CSTA call: it failed, or was cleared. */
static bool clearing(enum ct_csta_name n)
{
	return n == CT_CSTA_N_CONNECTION_CLEARED || n == CT_CSTA_N_CALL_CLEARED || n == CT_CSTA_N_FAILED;
}

/* The tails of the numbers a CSTA call names (the caller; what was dialled, and the device it
 * rang): a SIP dialog writing them otherwise still finds it (calls_join.c). */
static void remember_tails(struct ct_calls *t, struct ccall *cc, const struct ct_csta_msg *m, const char *dev,
			   ct_time_t ts)
{
	char tail[8];
	number_tail(m->calling, tail);
	remember(t, cc, "ct", tail, ts);
	number_tail(m->called, tail);
	remember(t, cc, "dt", tail, ts);
	number_tail(dev, tail);
	remember(t, cc, "dt", tail, ts);
}

/* What an outbound call dialled, for the SIP dialogs still to come (calls_join.c: the trunk's
 * INVITE dials it, a MakeCall's first INVITE shows it to the agent's phone). */
static void remember_dialled(struct ct_calls *t, struct ccall *cc, const char *called, ct_time_t ts)
{
	char nd[CT_CSTA_DEV], tail[8];
	remember(t, cc, "numc", calls_norm(t, called, nd, sizeof(nd)), ts);
	number_tail(called, tail);
	remember(t, cc, "nct", tail, ts);
}

/* The SIP dialog the PBX placed to the phone of a MakeCall's device (it shows the number the
 * call dials as its caller): named by the device from now on. */
static void name_make_call_leg(struct ct_calls *t, struct ccall *cc, const char *dev)
{
	if (!cc->make_call || calls_empty(cc->csta_called))
		return;
	for (unsigned i = 0; i < cc->nlegs; i++) {
		struct leg *l = cc->legs[i];
		if (!l->sip || l->sip->cti_dev[0] || l->sip->b2b_in || !ct_number_tail_same(l->sip->calling, cc->csta_called, 6))
			continue;
		str_set(t, &l->sip->cti_dev, dev);
		learn_user(t, l->sip->device, dev, callee_host(l));
		party_rename(t, cc, l->sip->device, dev);
	}
}

/* The message with its devices and numbers named as the records name them (R20 of the
 * scenarios: an agent by its extension, a number by its digits), in storage of the module:
 * valid until the next message (single-threaded). */
__attribute__((noinline)) static const struct ct_csta_msg *named_copy(struct ct_calls *t,
									 const struct ct_calls_csta *in)
{
	static struct ct_csta_msg named;
	named = *in->msg;
	csta_names(t, &named, in->monitored);
	return &named;
}

/* The routeing dialogue's key: a RouteSelect names the RouteRequest by the link and its
 * cross-reference id. */
static void route_key(char *v, size_t cap, const char *link, const char *xref)
{
	snprintf(v, cap, "%s|%s", link, xref);
}

/* A conference or transfer joined two CSTA calls of the link: they are one customer call, and
 * the old calls that did not become the resulting one are over. */
static struct ccall *joined_by(struct ct_calls *t, struct ccall *cc, struct leg **lp, const char *link,
			       const struct ct_csta_msg *m, const char *dev, ct_time_t ts)
{
	bool conf = m->nid == CT_CSTA_N_CONFERENCED;
	struct ccall *o = NULL;
	struct leg *l2 = NULL;
	if (m->conn2.call_id[0] && strcmp(m->conn2.call_id, m->conn.call_id)) {
		char k2[CALLS_KEY];
		mkkey(k2, "csta", link, m->conn2.call_id);
		l2 = leg_of(t, k2, &o);
	}
	if (o && o != cc) {
		cc = merge(t, cc, o);
		char k1[CALLS_KEY];
		mkkey(k1, "csta", link, m->conn.call_id);
		*lp = leg_of(t, k1, &cc);
		mkkey(k1, "csta", link, m->conn2.call_id);
		l2 = leg_of(t, k1, &cc);
	}
	if (m->new_call_id[0]) {
		char k3[CALLS_KEY];
		mkkey(k3, "csta", link, m->new_call_id);
		struct ccall *x = NULL;
		if (!leg_of(t, k3, &x))
			leg_add(t, cc, k3, false, link, m->new_call_id, ts);
		else if (x != cc) {
			cc = merge(t, cc, x);
			char k1[CALLS_KEY];
			mkkey(k1, "csta", link, m->conn.call_id);
			*lp = leg_of(t, k1, &x); /* (NULL if the merge dropped it past the cap) */
		}
	}
	const char *nc2 = m->new_call_id[0] ? m->new_call_id : m->conn.call_id;
	for (unsigned i = 0; i < cc->nlegs; i++) {
		struct leg *x = cc->legs[i];
		if (!x->sip && strcmp(x->link, link) == 0 && strcmp(x->call_id, nc2) &&
		    (strcmp(x->call_id, m->conn.call_id) == 0 || strcmp(x->call_id, m->conn2.call_id) == 0)) {
			x->cleared = true;
			leg_end(cc, x, ts);
		}
	}
	ct_time_t moment = reconnect_time(t, cc, ts); /* the transfer's or conference's earliest evidence */
	if (cc->held)
		hold(t, cc, NULL, false, moment); /* the customer is connected again */
	cc->sip_resume_at = 0;
	if (conf) {
		/* the conference: the caller, every device still in the call, and the party added */
		cc->conferenced = true;
		if (cc->direction != CT_DIR_OUTBOUND && cc->csta_calling[0])
			conf_add(t, cc, cc->csta_calling);
		else if (cc->direction != CT_DIR_OUTBOUND)
			cc->conf_caller = true; /* CTI withheld the caller: named by its number when written */
		for (unsigned i = 0; i < cc->nparties; i++)
			if (cc->parties[i]->csta && !cc->parties[i]->released)
				conf_add(t, cc, cc->parties[i]->device);
		conf_add(t, cc, m->other);
		party(t, cc, m->other, true);
	} else {
		/* single step by its cause or its request; else a secondary call it ended: consultation */
		bool single = !strcmp(m->cause, "single_step_transfer") || cc->xfer_single;
		transfer_seen(t, cc, dev, m->other, single || !l2 ? CT_XFER_SINGLE_STEP : CT_XFER_CONSULTATION, moment,
			      false);
		released(t, cc, party(t, cc, dev, true), CT_RECR_TRANSFERRED, ts);
		party(t, cc, m->other, true);
	}
	return cc;
}

/* The CSTA call goes on after a connection cleared: two parties are still connected in it (a
 * conference the conferencing agent left); an inbound caller counts while CTI did not clear
 * its connection. One left, or only devices still ringing: the call is over (an abandoned
 * call whose alerting device's clearing a PBX does not send). */
static bool call_goes_on(struct ccall *cc)
{
	unsigned n = 0;
	for (unsigned i = 0; i < cc->nparties; i++) {
		const struct party *p = cc->parties[i];
		n += p->answered && !p->released; /* a phone SIP alone names counts too */
	}
	/* the caller of an answered inbound call is on it until a clearing names its device (a
	 * party of that name a SIP leg made does not count as it answering: it is not counted
	 * twice); a caller with privacy has no device CTI names, and is on it all the same */
	if (cc->direction == CT_DIR_INBOUND && cc->answer) {
		const struct party *c = cc->csta_calling[0] ? party_find(cc, cc->csta_calling) : NULL;
		n += !c || (!c->released && !c->answered);
	}
	return n >= 2;
}

/* A device holding a customer call that places another for it (ServiceInitiated or Originated
 * with cause consultation, the answer to its ConsultationCall) consults: the new CSTA call is
 * part of the customer call from its first event on (R1), so the agent's recording follows it
 * (R16) and the transfer or conference finds both in one call. The customer call is the
 * device's latest hold (a PBX consults about the call it has just held); when the device
 * holds none, nothing is joined. */
static struct ccall *consultation(struct ct_calls *t, struct ccall *cc, const char *dev, const char *link,
				  const char *call_id, const char *key, ct_time_t ts)
{
	struct ccall *h = lookup(t, "held", dev, ts, false);
	if (!h || h == cc || !h->held || strcmp(h->held_by, dev))
		return cc;
	char ev[CALLS_EVIDENCE];
	snprintf(ev, sizeof(ev), "CSTA call %.64s on link %.128s: the consultation of %.64s, who holds this call", call_id,
		 link, dev);
	t->ctr->calls_consultations++;
	cc = cc ? merge(t, h, cc) : h;
	evidence_add(cc, ev);
	str_set(t, &cc->consult_dev, dev);
	struct ccall *x = cc;
	struct leg *l = leg_of(t, key, &x);
	if (!l)
		l = leg_add(t, cc, key, false, link, call_id, ts);
	if (l)
		l->consult = true;
	return cc;
}

struct ccall *csta_moment(struct ct_calls *t, const struct ct_calls_csta *in)
{
	/* the message with its devices and numbers named as the records name them (R20 of the
	 * scenarios: an agent by its extension, a number by its digits) */
	const struct ct_csta_msg *m = named_copy(t, in);
	const char *link = in->link;
	ct_time_t ts = in->ts, asked = in->asked;
	char key[CALLS_KEY], v[CALLS_KEY];
	struct ccall *cc = NULL;
	enum ct_csta_name nid = (enum ct_csta_name)m->nid;
	if (m->kind == CT_CSTA_REQUEST && nid == CT_CSTA_N_ROUTE_SELECT && m->xref[0]) {
		route_key(v, sizeof(v), link, m->xref);
		if ((cc = lookup(t, "route", v, ts, false))) {
			if (!cc->route_sel)
				cc->route_sel = ts;
			return cc;
		}
		return NULL;
	}
	if (!m->conn.call_id[0])
		return NULL;
	mkkey(key, "csta", link, m->conn.call_id);
	struct leg *l = leg_of(t, key, &cc);
	bool route_req = m->kind == CT_CSTA_REQUEST && nid == CT_CSTA_N_ROUTE_REQUEST;
	/* a click-to-dial call begins with its MakeCall request, whose response names it */
	bool make_call = m->kind == CT_CSTA_RESULT && nid == CT_CSTA_N_MAKE_CALL && asked;
	if (m->kind == CT_CSTA_RESULT && nid == CT_CSTA_N_CONSULTATION_CALL && m->conn.device[0]) {
		/* its initiatedCall: the consultation, whatever its events say of their cause */
		return consultation(t, cc, m->conn.device, link, m->conn.call_id, key, ts);
	}
	if (m->kind != CT_CSTA_EVENT && !route_req && !make_call) {
		if (l && m->kind == CT_CSTA_REQUEST &&
		    (nid == CT_CSTA_N_TRANSFER_CALL || nid == CT_CSTA_N_SINGLE_STEP_TRANSFER_CALL)) {
			transfer_asked(t, cc, m->conn.device[0] ? m->conn.device : m->subject, ts);
			cc->xfer_single = nid == CT_CSTA_N_SINGLE_STEP_TRANSFER_CALL;
		}
		return l ? cc : NULL; /* a service about a call: tag it, nothing more */
	}
	t->csta_seen = true;
	const char *dev = m->subject[0] ? m->subject : m->conn.device;
	if (!l) {
		char ev[CALLS_EVIDENCE] = "";
		enum join how = J_NONE;
		struct cands amb = { .n = 0 };
		cc = csta_join(t, link, m, dev, ts, ev, sizeof(ev), &how, &amb);
		if (!cc) {
			char id[CT_ID_MAX], what[200], d[512];
			snprintf(what, sizeof(what), "CSTA call %s on link %s", m->conn.call_id, link);
			ambiguity_text(&amb, what, d, sizeof(d));
			call_id_of(id, "csta", link, m->conn.call_id, ts);
			cc = call_new(t, id, ts);
			if (!cc)
				return NULL;
			cc->fragment = !begins_call(nid) && !make_call;
			if (d[0]) {
				t->ctr->calls_ambiguous++;
				finding(t, cc, ts, CT_AUDIT_AMBIGUOUS_JOIN, NULL, d);
			}
		} else if (how != J_NONE) {
			joined(cc, how, ev);
			char ub[17];
			const char *ucid = csta_ucid(m, ub);
			csta_ties(t, cc, how, how == J_DEVICE ? dev : NULL, how == J_SHARED ? ucid : NULL,
				  how == J_NUMBER ? m->calling : NULL, how == J_NUMBER ? (m->called[0] ? m->called : dev) : NULL);
		} else if (!has_sip(cc)) {
			evidence_add(cc, ev);
		}
		l = leg_add(t, cc, key, false, link, m->conn.call_id, ts);
		if (!l)
			return cc;
	}
	if (ts > cc->last)
		cc->last = ts;
	if (ts > cc->last_csta)
		cc->last_csta = ts;
	if (l->ended && !clearing(nid) && !l->superseded)
		l->ended = false; /* more events: the call goes on */
	char ub[17];
	remember(t, cc, "ucid", csta_ucid(m, ub), ts);
	remember(t, cc, "gid", m->global_call_id, ts);
	remember(t, cc, "cid", m->conn.call_id, ts);
	char nc[CT_CSTA_DEV], d[200];
	if (make_call) {
		calls_min_time(&cc->start, asked);
		cc->make_call = true;
		if (cc->direction == CT_DIR_UNKNOWN)
			cc->direction = CT_DIR_OUTBOUND;
		struct party *op = party(t, cc, dev, true);
		if (op && !op->answered)
			op->originated = true;
		remember(t, cc, "dev", dev, ts);
		char num[CT_NUMBER_NORM_MAX];
		if (in->asked_called && ct_number_clean(in->asked_called, num, sizeof(num))) {
			str_fill(t, &cc->csta_called, num);
			remember_dialled(t, cc, num, ts);
		}
		return cc;
	}
	if (route_req) {
		cc->routed = true;
		if (!cc->route_req)
			cc->route_req = ts;
		if (m->xref[0]) {
			route_key(v, sizeof(v), link, m->xref);
			remember(t, cc, "route", v, ts);
		}
		str_fill(t, &cc->csta_calling, m->calling);
		str_fill(t, &cc->csta_called, m->called);
		return cc;
	}
	switch (nid) {
	case CT_CSTA_N_DELIVERED:
	case CT_CSTA_N_OFFERED: {
		l->alerted_seen = true;
		if (!l->consult) {
			str_fill(t, &cc->csta_calling, m->calling);
			str_fill(t, &cc->csta_called, m->called);
		}
		if (cc->direction == CT_DIR_UNKNOWN)
			cc->direction = CT_DIR_INBOUND;
		else if (cc->direction == CT_DIR_OUTBOUND && !cc->network && !strcmp(dev, cc->csta_called))
			cc->direction = CT_DIR_INTERNAL; /* it rang a device CTI sees */
		cc = late_join(t, cc, dev, ts);
		name_legs(t, cc, dev, m, false, ts);
		struct party *p = party(t, cc, dev, true);
		alerted(t, cc, p, ts);
		remember(t, cc, "dev", dev, ts);
		remember(t, cc, "num", calls_norm(t, m->calling, nc, sizeof(nc)), ts);
		remember_tails(t, cc, m, dev, ts);
		cti_lag(cc, dev, ts);
		if (cc->queued_at && !cc->queue_end && strcmp(dev, cc->queue_dev))
			cc->queue_end = ts;
		enum ct_agent_state st;
		if ((cc->queued_at || cc->routed) && t->cfg.hooks.agent_state &&
		    t->cfg.hooks.agent_state(t->cfg.hooks.user, dev, &st) &&
		    (st == CT_AGENT_NOT_READY || st == CT_AGENT_LOGGED_OFF)) {
			snprintf(d, sizeof(d), "ACD call %s delivered to %s while CTI reports the agent %s",
				 m->conn.call_id, dev, ct_agent_state_name(st));
			finding(t, cc, ts, CT_AUDIT_ACD_NOT_READY, link, d);
		}
		break;
	}
	case CT_CSTA_N_SERVICE_INITIATED:
	case CT_CSTA_N_ORIGINATED: {
		l->alerted_seen = true;
		const char *from = m->calling[0] ? m->calling : m->conn.device;
		if (!strcmp(m->cause, "consultation")) {
			cc = consultation(t, cc, from, link, m->conn.call_id, key, ts);
			l = leg_of(t, key, &cc); /* a merge moves the legs (and drops those past the cap) */
			if (!l)
				return cc;
		}
		if (cc->direction == CT_DIR_UNKNOWN)
			cc->direction = CT_DIR_OUTBOUND; /* (a Delivered that came first may have found it internal) */
		if (!l->consult) {
			str_fill(t, &cc->csta_calling, from);
			str_fill(t, &cc->csta_called, m->called);
		}
		cc = late_join(t, cc, from, ts);
		cc = late_join_dialled(t, cc, m->called, ts);
		l = leg_of(t, key, &cc); /* a late join may have merged this call into another, which
					   * drops legs past CALLS_MAX_LEGS: this one may be gone */
		if (!l)
			return cc;
		name_legs(t, cc, from, m, true, ts);
		struct party *op = party(t, cc, from, true);
		if (op && !op->answered)
			op->originated = true;
		if (op)
			note_agent(t, op);
		remember(t, cc, "dev", from, ts);
		if (!l->consult)
			remember_dialled(t, cc, m->called, ts);
		name_make_call_leg(t, cc, from);
		break;
	}
	case CT_CSTA_N_NETWORK_REACHED:
		if (!l->consult) {
			cc->network = true;
			str_fill(t, &cc->csta_called, m->called);
		}
		cc = late_join_dialled(t, cc, m->called, ts);
		l = leg_of(t, key, &cc); /* (as above) */
		if (l && !l->consult)
			remember_dialled(t, cc, m->called, ts);
		break;
	case CT_CSTA_N_ESTABLISHED: {
		if (!l->alerted_seen) {
			snprintf(d, sizeof(d), "CSTA call %s: Established at %s without Delivered or Originated before it",
				 m->conn.call_id, dev);
			finding(t, cc, ts, CT_AUDIT_MISSING_EVENT, link, d);
			l->alerted_seen = true;
		}
		if (!l->consult) { /* its Delivered may have been lost */
			str_fill(t, &cc->csta_calling, m->calling);
			str_fill(t, &cc->csta_called, m->called);
		}
		bool far = false;
		bool outbound = cc->direction == CT_DIR_OUTBOUND;
		if (outbound && !strcmp(dev, cc->csta_calling) && m->called[0])
			dev = m->called; /* the far end answered an outbound call */
		if (outbound && (!strcmp(dev, cc->csta_called) || !strcmp(dev, m->called)))
			far = true;
		else if (outbound && in->monitored && strcmp(dev, in->monitored) && strcmp(dev, cc->csta_calling) &&
			 !party_find(cc, dev))
			far = true; /* answered by what the originator's monitor names: a trunk (T001), the far end */
		else
			cc = late_join(t, cc, dev, ts);
		if (!far)
			name_legs(t, cc, dev, m, false, ts);
		struct party *p = party(t, cc, dev, true);
		if (p && far)
			p->external = true;
		answered(t, cc, p, ts);
		remember(t, cc, "dev", dev, ts);
		break;
	}
	case CT_CSTA_N_HELD:
	case CT_CSTA_N_RETRIEVED:
		hold_cti(t, cc, party(t, cc, dev, true), nid == CT_CSTA_N_HELD, ts);
		break;
	case CT_CSTA_N_QUEUED:
		if (!cc->queued_at) {
			cc->queued_at = ts;
			str_set(t, &cc->queue_dev, dev);
		}
		break;
	case CT_CSTA_N_DIVERTED:
		add_xfer(&cc->divs, &cc->ndivs, dev, m->other, CT_XFER_DIVERSION, ts);
		released(t, cc, party_find(cc, dev), CT_RECR_DIVERTED, ts); /* the call left the device */
		break;
	case CT_CSTA_N_TRANSFERRED:
	case CT_CSTA_N_CONFERENCED:
		cc = joined_by(t, cc, &l, link, m, dev, ts);
		break;
	case CT_CSTA_N_FAILED:
		if (strstr(m->cause, "busy"))
			cc->csta_busy = true;
		/* the call failed at the device it was for: it came in */
		if (cc->direction == CT_DIR_UNKNOWN && m->called[0] && !strcmp(m->called, dev))
			cc->direction = CT_DIR_INBOUND;
		str_fill_max(t, &cc->cause, m->cause, CALLS_CAUSE - 1);
		l->cleared = true;
		leg_end(cc, l, ts);
		break;
	case CT_CSTA_N_CONNECTION_CLEARED:
	case CT_CSTA_N_CALL_CLEARED:
		released(t, cc, party(t, cc, dev, true), CT_RECR_CLEARED, ts);
		if (nid == CT_CSTA_N_CALL_CLEARED) /* every connection is gone: the parties left by now */
			for (unsigned i = 0; i < cc->nparties; i++)
				if (cc->parties[i]->csta && !cc->parties[i]->released)
					released(t, cc, cc->parties[i], CT_RECR_CLEARED, ts);
		if (nid == CT_CSTA_N_CONNECTION_CLEARED)
			str_fill(t, &cc->released_by, dev);
		str_fill_max(t, &cc->cause, m->cause, CALLS_CAUSE - 1);
		if (!cc->answer)
			cc->cleared_before_answer = true;
		if (nid == CT_CSTA_N_CALL_CLEARED || !call_goes_on(cc)) {
			l->cleared = true;
			leg_end(cc, l, ts);
		}
		break;
	default:
		break; /* other events only refresh the call */
	}
	return cc;
}

