/* calls_sip.c - what each moment of a SIP dialog does to its customer call (calls_int.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/log.h"
#include "calls_int.h"
#include "numbers.h"

/* A Replaces value (RFC 3891: callid;to-tag=..;from-tag=.., percent-encoded inside a
 * Refer-To URI), decoded. */
void replaces_parse(const char *in, struct replaces *r)
{
	char buf[512];
	size_t o = 0;
	for (size_t i = 0; in[i] && o + 1 < sizeof(buf); i++) {
		char c = in[i];
		if (c == '%' && in[i + 1] && in[i + 2]) {
			char hex[3] = { in[i + 1], in[i + 2], 0 };
			c = (char)strtol(hex, NULL, 16);
			i += 2;
		}
		if (c == '&')
			break; /* the next URI header */
		buf[o++] = c;
	}
	buf[o] = '\0';
	memset(r, 0, sizeof(*r));
	char *save = buf, *part;
	for (int n = 0; (part = strsep(&save, ";")); n++) {
		while (*part == ' ')
			part++;
		if (n == 0)
			snprintf(r->callid, sizeof(r->callid), "%s", part);
		else if (!strncasecmp(part, "to-tag=", 7))
			snprintf(r->to, sizeof(r->to), "%s", part + 7);
		else if (!strncasecmp(part, "from-tag=", 9))
			snprintf(r->from, sizeof(r->from), "%s", part + 9);
	}
}

static uint64_t tag_hash(const struct ct_calls *t, const char *tag)
{
	return calls_empty(tag) ? 0 : ct_hash(&t->key, tag, strlen(tag));
}

static bool tag_known(const struct leg *l, uint64_t h)
{
	for (unsigned i = 0; h && i < CALLS_MAX_TAGS; i++)
		if (l->sip->tags[i] == h)
			return true;
	return false;
}

static void tag_add(struct leg *l, uint64_t h)
{
	if (!h || tag_known(l, h))
		return;
	for (unsigned i = 0; i < CALLS_MAX_TAGS; i++)
		if (!l->sip->tags[i]) {
			l->sip->tags[i] = h;
			return;
		}
}

/* The dialog a Replaces names, if it is open and its tags are the ones named (either way
 * round: RFC 3891 names them as the replaced UA sees them). */
struct leg *replaced_leg(struct ct_calls *t, const struct replaces *r, struct ccall **cc)
{
	char key[CALLS_KEY];
	if (!r->callid[0] || !r->from[0])
		return NULL;
	mkkey(key, "sip", r->callid, NULL);
	struct leg *l = leg_of(t, key, cc);
	if (!l || l->ended || l->bye)
		return NULL;
	/* both tags must be the dialog's (an early dialog has no to-tag yet: RFC 3891 3) */
	return tag_known(l, tag_hash(t, r->from)) && (!r->to[0] || tag_known(l, tag_hash(t, r->to))) ? l : NULL;
}

/* A leg's SDP endpoint is ep (NULL: unknown, left as it is); true when that changed it. */
static bool ep_set(struct ct_calls *t, struct leg_ep *to, const struct ct_calls_ep *ep)
{
	if (!ep || (to->port == ep->port && !strcmp(to->ip, ep->ip)))
		return false;
	str_set(t, &to->ip, ep->ip);
	to->port = ep->port;
	return true;
}

/* What a new dialog's INVITE tells the legs still to come. */
static void sip_remember(struct ct_calls *t, struct ccall *cc, const struct ct_calls_sip *s, const char *ncalling)
{
	char nd[CT_CSTA_DEV], tail[8];
	remember(t, cc, "numd", calls_norm(t, s->called, nd, sizeof(nd)), s->ts);
	remember(t, cc, "ucid", s->ucid, s->ts);
	remember(t, cc, "dev", device_at(t, s->called, s->dst), s->ts);
	remember(t, cc, "dev", device_at(t, s->calling, s->src), s->ts);
	remember(t, cc, "num", ncalling, s->ts);
	number_tail(s->calling, tail);
	remember(t, cc, "ct", tail, s->ts);
	number_tail(s->called, tail);
	remember(t, cc, "dt", tail, s->ts);
}

/* Moments that show a dialog alive: after its end they reopen it (other messages of an ended
 * dialog, its BYE's 200 OK, ACKs, retransmissions, belong to its end). */
static bool reopens(enum ct_sip_moment m)
{
	switch (m) {
	case CT_SIP_M_REINVITE:
	case CT_SIP_M_RINGING:
	case CT_SIP_M_ANSWER:
	case CT_SIP_M_HOLD:
	case CT_SIP_M_RESUME:
	case CT_SIP_M_REINVITE_ANSWER:
	case CT_SIP_M_UPDATE:
		return true;
	default:
		return false;
	}
}

/* Moments that can begin a call when the dialog is new (a leg that was written already, or a
 * dialog that is no call, NOTIFY, INFO, a failed REFER, starts none). */
static bool starts_call(enum ct_sip_moment m)
{
	switch (m) {
	case CT_SIP_M_INVITE:
	case CT_SIP_M_REINVITE:
	case CT_SIP_M_RINGING:
	case CT_SIP_M_ANSWER:
	case CT_SIP_M_HOLD:
	case CT_SIP_M_RESUME:
	case CT_SIP_M_REINVITE_ANSWER:
	case CT_SIP_M_BYE:
	case CT_SIP_M_CANCEL:
	case CT_SIP_M_ACK:
		return true;
	default:
		return false;
	}
}

struct ccall *sip_moment(struct ct_calls *t, const struct ct_calls_sip *s)
{
	char key[CALLS_KEY], nc[CT_CSTA_DEV];
	mkkey(key, "sip", s->call_id, NULL);
	struct ccall *cc = NULL;
	struct leg *l = leg_of(t, key, &cc);
	const char *ncalling = calls_norm(t, s->calling, nc, sizeof(nc));
	bool invite = s->moment == CT_SIP_M_INVITE;
	if (!l) {
		if (!starts_call(s->moment))
			return NULL;
		char ev[CALLS_EVIDENCE] = "";
		enum join how = J_NONE;
		struct cands amb = { .n = 0 };
		cc = invite ? sip_join(t, s, ncalling, ev, sizeof(ev), &how, &amb) : NULL;
		if (cc && ct_log_get_level() >= CT_LOG_DEBUG)
			ct_log(CT_LOG_DEBUG, "call %s: SIP dialog %s joins (%d): %s", cc->id, s->call_id, (int)how, ev);
		if (!cc) {
			char id[CT_ID_MAX], what[300], d[512];
			snprintf(what, sizeof(what), "SIP dialog %.200s", s->call_id);
			ambiguity_text(&amb, what, d, sizeof(d));
			call_id_of(id, "sip", s->call_id, NULL, s->ts);
			cc = call_new(t, id, s->ts);
			if (!cc)
				return NULL;
			cc->fragment = !invite;
			if (d[0]) {
				t->ctr->calls_ambiguous++;
				finding(t, cc, s->ts, CT_AUDIT_AMBIGUOUS_JOIN, NULL, d);
			}
		} else if (how != J_NONE) {
			joined(cc, how, ev);
		} else {
			evidence_add(cc, ev);
		}
		l = leg_add(t, cc, key, true, NULL, s->call_id, s->ts);
		if (!l)
			return cc;
		if (how != J_NONE)
			l->sip->xjoin = (uint8_t)how;
		if (!calls_empty(s->replaces)) {
			struct replaces r;
			struct ccall *rc = NULL;
			replaces_parse(s->replaces, &r);
			struct leg *rl = replaced_leg(t, &r, &rc);
			if (rc == cc)
				sip_tie(cc, rl, l);
		}
	}
	if (s->ts > cc->last)
		cc->last = s->ts;
	if (s->ts > cc->last_sip)
		cc->last_sip = s->ts;
	if (l->ended && reopens(s->moment))
		l->ended = false; /* the dialog goes on after all (an answer racing a CANCEL, a late re-INVITE) */
	tag_add(l, tag_hash(t, s->from_tag));
	tag_add(l, tag_hash(t, s->to_tag));
	/* the SDP endpoints of the initial offer and answer (a late offer's in its ACK) */
	bool media = ep_set(t, &l->sip->sdp_caller, s->sdp_caller);
	media |= ep_set(t, &l->sip->sdp_callee, s->sdp_callee);
	switch (s->moment) {
	case CT_SIP_M_INVITE:
		if (!l->sip->invite_ts) {
			l->sip->invite_ts = s->ts;
			str_set(t, &l->sip->device, s->called);
			str_set(t, &l->sip->calling, s->calling);
			snprintf(l->sip->ucid, sizeof(l->sip->ucid), "%s", s->ucid ? s->ucid : "");
			if (s->src)
				l->sip->invite_src = *s->src;
			if (s->dst)
				l->sip->invite_dst = *s->dst;
			if (!cc->sip_first || s->ts < cc->sip_first) {
				/* the caller took part too (listed when no CTI names the parties) */
				struct party *cp = party(t, cc, s->calling, false);
				if (cp)
					cp->originated = true;
				cc->sip_first = s->ts;
				str_set(t, &cc->sip_calling, s->calling);
				str_set(t, &cc->sip_called, s->called);
			}
		}
		if (s->dst)
			l->sip->hop = *s->dst;
		if (s->src)
			l->sip->hop_src = *s->src;
		sip_remember(t, cc, s, ncalling);
		/* CTI reported the device alerted before this INVITE reached it */
		const struct party *ap = calls_empty(s->called) ? NULL : party_find(cc, leg_device(l));
		if (ap && ap->csta && ap->alerted)
			cti_lag(cc, leg_device(l), ap->alerted);
		break;
	case CT_SIP_M_RINGING:
		/* the callee rings; a phone that placed the call (a B2BUA's incoming leg) hears it */
		if (!l->sip->b2b_in)
			alerted(t, cc, party(t, cc, leg_device(l), false), s->ts);
		break;
	case CT_SIP_M_ANSWER:
		l->answered = true;
		if (!l->sip->answer_ts)
			l->sip->answer_ts = s->ts;
		/* the callee answered: a phone that placed the call (a B2BUA's incoming leg) did not */
		if (!l->sip->b2b_in)
			answered(t, cc, party(t, cc, leg_device(l), false), s->ts);
		else
			calls_min_time(&cc->answer, s->ts);
		/* a recorded device that placed the call is recorded from now on (SIP only: with CTI
		 * its Originated said so) */
		if (!has_csta(cc) && t->cfg.hooks.record_device && !calls_empty(l->sip->calling) &&
		    t->cfg.hooks.record_device(t->cfg.hooks.user, l->sip->calling)) {
			struct party *cp = party(t, cc, l->sip->calling, false);
			if (cp && !cp->answered) {
				cp->originated = true;
				rec_start(t, cc, cp, CT_RECR_ANSWERED, s->ts);
			}
		}
		break;
	case CT_SIP_M_HOLD:
	case CT_SIP_M_RESUME:
		/* the device of the leg: the agent's phone holds (or is held by) the customer */
		hold_sip(t, cc, party_find(cc, leg_device(l)), s->moment == CT_SIP_M_HOLD, s->ts);
		break;
	case CT_SIP_M_BYE: {
		bool from_callee = s->src && !memcmp(s->src, &l->sip->invite_dst, sizeof(*s->src));
		const char *who = from_callee ? l->sip->device : l->sip->calling;
		if (!has_csta(cc))
			str_fill(t, &cc->released_by, who);
		l->bye = true;
		released(t, cc, leaving(t, cc, l, s->ts), CT_RECR_CLEARED, s->ts);
		leg_end(cc, l, s->ts); /* the call may end now: its record does not wait for the dialog's timers */
		break;
	}
	case CT_SIP_M_FAILURE:
		if (s->ends_dialog) {
			if (!cc->answer && !cc->sip_cause[0] && !l->bye) { /* a 487 after a CANCEL is no cause */
				char sc[16];
				snprintf(sc, sizeof(sc), "sip_%u", s->status);
				str_set(t, &cc->sip_cause, sc);
			}
			if (!cc->sip_disposition && !l->bye) /* its dialog_end comes after the record */
				cc->sip_disposition = ct_disposition_of_status(s->status);
			if (!l->bye) /* after a CANCEL, the 487 only confirms the end */
				leg_end(cc, l, s->ts);
			l->bye = true; /* the INVITE failed: the dialog is over but for its timers */
		}
		break;
	case CT_SIP_M_CANCEL:
		/* the caller gave up (a B2BUA passes it on as the caller of its own leg) */
		if (!has_csta(cc))
			str_fill(t, &cc->released_by, l->sip->calling);
		if (!l->answered)
			cc->cancelled = true;
		l->bye = true;
		released(t, cc, leaving(t, cc, l, s->ts), CT_RECR_CLEARED, s->ts);
		leg_end(cc, l, s->ts);
		break;
	case CT_SIP_M_REFER: {
		struct replaces r;
		replaces_parse(calls_empty(s->refer_replaces) ? "" : s->refer_replaces, &r);
		str_set(t, &l->sip->pending_from, s->calling);
		str_set(t, &l->sip->pending_to, s->refer_to);
		l->sip->pending_kind = r.callid[0] ? CT_XFER_REPLACES : CT_XFER_REFER;
		l->sip->pending = true;
		l->sip->pending_ts = s->ts;
		transfer_asked(t, cc, s->calling, s->ts);
		struct ccall *o = NULL;
		if (r.callid[0] && replaced_leg(t, &r, &o) && o != cc) {
			/* attended transfer: the consultation dialog is part of this customer's call */
			char ev[CALLS_EVIDENCE];
			snprintf(ev, sizeof(ev), "REFER in %s replaces dialog %s", s->call_id, r.callid);
			cc = merge(t, cc, o);
			evidence_add(cc, ev);
			struct ccall *x;
			sip_tie(cc, leg_of(t, key, &x), replaced_leg(t, &r, &x));
			l = leg_of(t, key, &x); /* the merge may have dropped it past the cap */
			if (!l)
				return cc;
		}
		break;
	}
	case CT_SIP_M_REFER_ACCEPTED:
		/* the transfer is under way; its time is the evidence of its completion (the NOTIFY
		 * reporting 200, the transferring device's BYE, CTI's Transferred), the REFER's only
		 * when none comes */
		if (l->sip->pending) {
			transfer_seen(t, cc, l->sip->pending_from, l->sip->pending_to, l->sip->pending_kind, l->sip->pending_ts, true);
			l->sip->pending = false;
		}
		break;
	case CT_SIP_M_NOTIFY:
		if (s->status >= 200 && s->status < 300 && l->sip->pending_from[0])
			transfer_done(t, cc, l->sip->pending_from, s->ts);
		break;
	case CT_SIP_M_DIALOG_END: {
		if (!cc->sip_disposition)
			cc->sip_disposition = s->disposition;
		if (s->ts > cc->sip_ended_at)
			cc->sip_ended_at = s->ts;
		if (s->bye_seen || !s->answered)
			released(t, cc, leaving(t, cc, l, s->ts), CT_RECR_CLEARED, s->ts);
		char d[512];
		if (s->answered && !s->bye_seen && s->end_reason != CT_DEND_UNKNOWN) {
			snprintf(d, sizeof(d), "SIP dialog %.120s was answered but no BYE was seen (ended by %s)", s->call_id,
				 ct_dialog_end_reason_name(s->end_reason));
			finding(t, cc, s->ts, CT_AUDIT_MISSING_EVENT, NULL, d);
		}
		l->sip->answered_sip = s->answered;
		l->sip->rtp_flows = s->rtp_flows;
		if (!s->answered && !s->status && s->end_reason == CT_DEND_TIMEOUT) {
			snprintf(d, sizeof(d), "SIP INVITE of dialog %.120s got no final response", s->call_id);
			finding(t, cc, s->ts, CT_AUDIT_MISSING_EVENT, NULL, d);
		}
		if (s->end_reason == CT_DEND_EVICTED) {
			snprintf(d, sizeof(d), "SIP dialog %.120s ended early: sip.max_calls reached", s->call_id);
			finding(t, cc, s->ts, CT_AUDIT_EVICTED, NULL, d);
		}
		if (s->retrans) {
			snprintf(d, sizeof(d), "SIP dialog %.120s: %u retransmitted messages", s->call_id, s->retrans);
			finding(t, cc, s->ts, CT_AUDIT_RETRANSMISSION, NULL, d);
		}
		leg_end(cc, l, s->ts);
		break;
	}
	default:
		break; /* other moments only refresh the call */
	}
	if (media)
		rec_media(t, cc, l, s->ts);
	/* what a B2BUA relays pairs its two sides (the moment may have merged calls: find the leg
	 * again) */
	struct ccall *lc;
	struct leg *ll = leg_of(t, key, &lc);
	if (!ll)
		return cc;
	cc = relay_moment(t, lc, ll, s);
	if (invite && (ll = leg_of(t, key, &lc)))
		name_leg_late(t, lc, ll, s->ts); /* CTI may have reported its phone ringing already */
	return cc;
}

