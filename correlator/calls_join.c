/* calls_join.c - the evidence ladder: which call a new leg belongs to (calls_int.h, calls.h).
 *
 * A new SIP dialog, strongest evidence first: a Replaces naming an open dialog (its tags
 * checked); the same UCID in SIP User-to-User and CSTA correlatorData; a B2BUA placing an
 * outgoing leg for an unanswered incoming one of the same caller; the request-URI device (or
 * the calling device) that CSTA reports within calls.window_ms; the calling (and called)
 * numbers after numbers.* normalisation; the dialled number of an outbound call.
 * A new CSTA call: the same globalCallLinkageID on another link; the UCID; failover (the same
 * callID on another link at a device of the call within 60 s); the device a SIP dialog
 * reached within the window; the calling number. Late evidence joins a SIP-only call when CTI
 * names its device or dialled number after its INVITE.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "calls_int.h"

/* ---- a new SIP dialog ----------------------------------------------------------------------- */

/* The UCID a CSTA message carries: correlatorData or userData shaped as one (8 bytes, 16 hex
 * digits, as SIP's User-to-User gives it); other application data is not an id. */
const char *csta_ucid(const struct ct_csta_msg *m, char out[17])
{
	const char *c[2] = { m->correlator, m->user_data };
	for (int i = 0; i < 2; i++) {
		if (strlen(c[i]) != 16)
			continue;
		size_t k = 0;
		for (; k < 16; k++) {
			char x = c[i][k];
			if (x >= 'A' && x <= 'F')
				x = (char)(x - 'A' + 'a');
			if (!((x >= '0' && x <= '9') || (x >= 'a' && x <= 'f')))
				break;
			out[k] = x;
		}
		if (k == 16) {
			out[16] = '\0';
			return out;
		}
	}
	return NULL;
}

/* A SIP leg of the call already reaches the device: another dialog to it is another call. */
static bool sip_leg_to(const struct ccall *cc, const char *device)
{
	for (unsigned i = 0; i < cc->nlegs; i++)
		if (cc->legs[i].sip && !cc->legs[i].ended && strcmp(cc->legs[i].device, device) == 0)
			return true;
	return false;
}

/* The calling numbers matched: the called numbers, when both sides have one, must too (after
 * numbers.* normalisation). Writes the evidence. */
static bool numbers_agree(struct ct_calls *t, const char *ncalling, const char *called1, const char *called2,
			  char *ev, size_t evcap)
{
	char n1[CT_CSTA_DEV], n2[CT_CSTA_DEV];
	const char *a = calls_norm(t, called1, n1, sizeof(n1)), *b = calls_norm(t, called2, n2, sizeof(n2));
	if (a && b && strcmp(a, b))
		return false;
	snprintf(ev, evcap, "calling number %s%s%s on both sides within %" PRIu64 " ms", ncalling, a && b ? ", called " : "",
		 a && b ? a : "", (uint64_t)(t->cfg.window / 1000u));
	return true;
}

/* The B2BUA index entry: the host an INVITE reached, and its caller (ip gets the host). */
void b2b_key(char v[CALLS_KEY], char ip[64], const struct ct_addr *host, const char *ncalling)
{
	ct_addr_format(host, ip, 64);
	snprintf(v, CALLS_KEY, "%s|%s", ip, ncalling);
}

/* The call a new SIP dialog belongs to, and how it was found. */
struct ccall *sip_join(struct ct_calls *t, const struct ct_calls_sip *s, const char *ncalling, char *ev,
			      size_t evcap, enum join *how)
{
	struct ccall *cc;
	*how = J_NONE;
	if (!calls_empty(s->replaces)) {
		struct ccall *o = NULL;
		struct replaces r;
		replaces_parse(s->replaces, &r);
		if (replaced_leg(t, &r, &o)) {
			snprintf(ev, evcap, "SIP dialog %s replaces dialog %s", s->call_id, r.callid);
			return o;
		}
	}
	if ((cc = lookup(t, "ucid", s->ucid, s->ts, false))) {
		*how = J_SHARED;
		snprintf(ev, evcap, "UCID %s in SIP User-to-User and CSTA correlatorData", s->ucid);
		return cc;
	}
	if (s->src && ncalling) {
		char ip[64], v[CALLS_KEY];
		b2b_key(v, ip, s->src, ncalling);
		/* the incoming leg: sent to the host that now places this one, by the same caller,
		 * not answered yet (a B2BUA places its outgoing legs while the caller waits); a host
		 * talking to itself (a load test on loopback) proves nothing */
		struct leg *in = NULL;
		if (memcmp(s->src, s->dst, sizeof(*s->src)) && (cc = lookup(t, "b2b", v, s->ts, true))) {
			char nc[CT_CSTA_DEV];
			for (unsigned i = 0; i < cc->nlegs; i++) {
				struct leg *l = &cc->legs[i];
				const char *lc = l->sip ? calls_norm(t, l->calling, nc, sizeof(nc)) : NULL;
				if (lc && !strcmp(lc, ncalling) && !memcmp(&l->hop, s->src, sizeof(*s->src)) &&
				    memcmp(&l->invite_src, &l->invite_dst, sizeof(l->invite_src)) && !l->answered &&
				    !l->bye && !l->ended)
					in = l;
			}
		}
		if (in) {
			in->b2b_in = true;
			snprintf(ev, evcap, "B2BUA %s placed SIP dialog %s for the same caller %s", ip, s->call_id, ncalling);
			return cc;
		}
	}
	if ((cc = lookup(t, "dev", s->called, s->ts, true)) && has_csta(cc) && !sip_leg_to(cc, s->called)) {
		*how = J_DEVICE;
		snprintf(ev, evcap, "device %s in the SIP request-URI and in CSTA within %" PRIu64 " ms", s->called,
			 (uint64_t)(t->cfg.window / 1000u));
		return cc;
	}
	/* a call placed by a phone: CSTA saw the device originate it */
	if ((cc = lookup(t, "dev", s->calling, s->ts, true)) && has_csta(cc) && !has_sip(cc)) {
		*how = J_DEVICE;
		snprintf(ev, evcap, "device %s calling in SIP and originating in CSTA within %" PRIu64 " ms", s->calling,
			 (uint64_t)(t->cfg.window / 1000u));
		return cc;
	}
	if (ncalling && (cc = lookup(t, "num", ncalling, s->ts, true)) && has_csta(cc) && !has_sip(cc) &&
	    numbers_agree(t, ncalling, cc->csta_called, s->called, ev, evcap)) {
		*how = J_NUMBER;
		return cc;
	}
	char nd[CT_CSTA_DEV];
	const char *ncalled = calls_norm(t, s->called, nd, sizeof(nd));
	if (ncalled && (cc = lookup(t, "numc", ncalled, s->ts, true)) && !sip_leg_to(cc, s->called)) {
		*how = J_NUMBER;
		snprintf(ev, evcap, "dialled number %s on both sides within %" PRIu64 " ms", ncalled,
			 (uint64_t)(t->cfg.window / 1000u));
		return cc;
	}
	return NULL;
}

/* ---- a new CSTA call ----------------------------------------------------------------------- */

/* A call with a CSTA call on this link already is another call at a busy device, not this
 * one (consultation calls are merged by Transferred and Conferenced, not by device). */
static bool csta_leg_on(const struct ccall *cc, const char *link)
{
	for (unsigned i = 0; i < cc->nlegs; i++)
		if (!cc->legs[i].sip && strcmp(cc->legs[i].link, link) == 0)
			return true;
	return false;
}

/* The call a new CSTA call (link, callID) belongs to, and how it was found. */
struct ccall *csta_join(struct ct_calls *t, const char *link, const struct ct_csta_msg *m, const char *dev,
			       ct_time_t ts, char *ev, size_t evcap, enum join *how)
{
	struct ccall *cc;
	*how = J_NONE;
	if ((cc = lookup(t, "gid", m->global_call_id, ts, false))) {
		snprintf(ev, evcap, "CSTA globalCallLinkageID %s on two links", m->global_call_id);
		return cc;
	}
	char ub[17];
	const char *ucid = csta_ucid(m, ub);
	if ((cc = lookup(t, "ucid", ucid, ts, false))) {
		if (has_sip(cc))
			*how = J_SHARED;
		snprintf(ev, evcap, "UCID %s in SIP User-to-User and CSTA correlatorData", ucid);
		return cc;
	}
	/* failover: the same callID goes on on another link, at a device of the call, soon after
	 * the old link last spoke of it */
	struct ccall *o = lookup(t, "cid", m->conn.call_id, ts, false);
	struct ikey *ok = o ? idx_find_kind(t, "cid", m->conn.call_id) : NULL;
	if (o && ok && ts >= ok->ts && ts - ok->ts <= CALLS_FAILOVER && !csta_leg_on(o, link) && party_find(o, dev)) {
		for (unsigned i = 0; i < o->nlegs; i++)
			if (!o->legs[i].sip && strcmp(o->legs[i].call_id, m->conn.call_id) == 0) {
				o->legs[i].superseded = true;
				o->legs[i].ended = true;
			}
		snprintf(ev, evcap, "CSTA call %s continues on link %s at device %s", m->conn.call_id, link, dev);
		return o;
	}
	if ((cc = lookup(t, "dev", dev, ts, true)) && !csta_leg_on(cc, link)) {
		if (has_sip(cc))
			*how = J_DEVICE;
		snprintf(ev, evcap, "device %s in the SIP request-URI and in CSTA within %" PRIu64 " ms", dev,
			 (uint64_t)(t->cfg.window / 1000u));
		return cc;
	}
	char nc[CT_CSTA_DEV];
	const char *ncalling = calls_norm(t, m->calling, nc, sizeof(nc));
	if (ncalling && (cc = lookup(t, "num", ncalling, ts, true)) && !has_csta(cc) &&
	    numbers_agree(t, ncalling, cc->sip_called, m->called, ev, evcap)) {
		*how = J_NUMBER;
		return cc;
	}
	return NULL;
}

/* A SIP-only call o turns out to be part of call cc. */
static struct ccall *merge_joined(struct ct_calls *t, struct ccall *cc, struct ccall *o, enum join how,
				  const char *ev)
{
	cc = merge(t, cc, o);
	joined(cc, how, ev);
	return cc;
}

/* Late evidence: CTI names a device that a SIP dialog reached a moment ago, and that dialog
 * is still a call of its own (its INVITE came before the CSTA event): it joins this call. */
struct ccall *late_join(struct ct_calls *t, struct ccall *cc, const char *dev, ct_time_t ts)
{
	struct ccall *o = lookup(t, "dev", dev, ts, true);
	if (!o || o == cc || has_csta(o))
		return cc;
	bool reaches = false;
	for (unsigned i = 0; i < o->nlegs; i++)
		if (o->legs[i].sip && (!strcmp(o->legs[i].device, dev) || !strcmp(o->legs[i].calling, dev)))
			reaches = true;
	if (!reaches)
		return cc;
	char ev[CALLS_EVIDENCE];
	snprintf(ev, sizeof(ev), "device %s in the SIP request-URI and in CSTA within %" PRIu64 " ms", dev,
		 (uint64_t)(t->cfg.window / 1000u));
	return merge_joined(t, cc, o, J_DEVICE, ev);
}

/* Late evidence for an outbound call: the dialled number CTI reports is the request-URI of a
 * SIP dialog placed a moment ago that is still a call of its own (the trunk leg). */
struct ccall *late_join_dialled(struct ct_calls *t, struct ccall *cc, const char *called, ct_time_t ts)
{
	char nd[CT_CSTA_DEV];
	const char *n = calls_norm(t, called, nd, sizeof(nd));
	struct ccall *o = n ? lookup(t, "numd", n, ts, true) : NULL;
	if (!o || o == cc || has_csta(o))
		return cc;
	char ev[CALLS_EVIDENCE];
	snprintf(ev, sizeof(ev), "dialled number %s on both sides within %" PRIu64 " ms", n,
		 (uint64_t)(t->cfg.window / 1000u));
	return merge_joined(t, cc, o, J_NUMBER, ev);
}
