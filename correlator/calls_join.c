/* calls_join.c - the evidence ladder: which call a new leg belongs to (calls_int.h, calls.h).
 *
 * Strongest first; the first rule that names exactly one call joins the leg to it. A rule that
 * names several calls equally (after the tie-breaks it lists) joins nothing: the leg stays a
 * call of its own and its record carries an ambiguous_join audit naming the calls it fitted,
 * because a wrong join is worse than a missed one.
 *
 * A new SIP dialog (its initial INVITE):
 *   1. replaces    a Replaces naming an open dialog whose tags it names (RFC 3891);
 *   2. ucid        the UCID of its User-to-User is a CSTA call's correlatorData or userData;
 *   3. device      the device it reaches (request-URI user, or what CTI showed that SIP user
 *                  to be) is one CTI reported alerting within calls.window_ms, in a call with
 *                  no SIP dialog to that device yet; of several, the one whose caller matches;
 *   4. originator  the device calling is one CTI saw originate a call that has no SIP leg;
 *   5. calling     its caller's number ends as a CTI call's caller does (tail of 6 digits at
 *                  least: national and E.164 forms meet), in a CTI call without SIP; of
 *                  several, the one whose dialled number matches too;
 *   6. dialled     the number it dials is the one an outbound CTI call dialled;
 *   7. ddi         (a caller with privacy: no number to compare) the number it dials ends as
 *                  the called number or device of a CTI call without SIP whose caller CTI
 *                  withholds;
 *  and then, whatever joined it: the B2BUA pairing of calls_b2bua.c (the dialog a host placed
 *  is the one it received, by what it relays).
 * A new CSTA call (its first event):
 *   1. gid         its globalCallLinkageID is another link's call's;
 *   2. ucid        its correlatorData or userData is a SIP dialog's UCID;
 *   3. failover    its callID went on from another link at a device of the call, within 60 s
 *                  (within the window: both links see the call, neither is superseded);
 *   4. device      the device it names is one a SIP dialog reached within the window, in a call
 *                  with no CSTA call on this link yet; of several, the one whose caller matches;
 *   5. calling     its caller's number ends as a SIP dialog's caller does; of several, the one
 *                  whose dialled number matches too;
 *   6. ddi         (CTI withholds the caller) its called number or device ends as the number a
 *                  SIP dialog dialled.
 * Late evidence: CTI names a device (or a dialled number) of a SIP-only call that came a moment
 * before the CSTA call did: the two calls are one (calls_csta.c calls late_join).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "calls_int.h"
#include "numbers.h"

#define CALLING_TAIL 6 /* digits two callers' numbers must share at their end */
#define CALLED_TAIL 4  /* a DDI ending in an extension: 4 digits at least */

/* ---- helpers --------------------------------------------------------------------------- */

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

void number_tail(const char *in, char out[8])
{
	char c[CT_NUMBER_NORM_MAX];
	out[0] = '\0';
	if (!in || !ct_number_clean(in, c, sizeof(c)))
		return;
	size_t n = strlen(c);
	if (n >= CALLED_TAIL)
		memcpy(out, c + n - CALLED_TAIL, CALLED_TAIL + 1);
}

/* A SIP leg of the call already reaches the device: another dialog to it is another call. */
static bool sip_leg_to(const struct ccall *cc, const char *device)
{
	for (unsigned i = 0; i < cc->nlegs; i++)
		if (cc->legs[i]->sip && !cc->legs[i]->ended && strcmp(cc->legs[i]->sip->device, device) == 0)
			return true;
	return false;
}

/* A call with a CSTA call on this link already is another call at a busy device, not this
 * one (consultation calls are merged by Transferred and Conferenced, not by device). */
static bool csta_leg_on(const struct ccall *cc, const char *link)
{
	for (unsigned i = 0; i < cc->nlegs; i++)
		if (!cc->legs[i]->sip && strcmp(cc->legs[i]->link, link) == 0)
			return true;
	return false;
}

/* Filters: which candidates a rule keeps. */
enum want { W_CSTA_NO_SIP_TO, W_CSTA_NO_SIP, W_SIP_NOT_ON_LINK, W_SIP_NO_CSTA };

static bool keeps(const struct ccall *cc, enum want w, const char *dev, const char *link)
{
	switch (w) {
	case W_CSTA_NO_SIP_TO: return has_csta(cc) && !sip_leg_to(cc, dev);
	case W_CSTA_NO_SIP: return has_csta(cc) && !has_sip(cc);
	case W_SIP_NOT_ON_LINK: return !csta_leg_on(cc, link);
	case W_SIP_NO_CSTA: return !has_csta(cc);
	}
	return false;
}

static void filter(struct cands *c, enum want w, const char *dev, const char *link)
{
	unsigned n = 0;
	for (unsigned i = 0; i < c->n; i++)
		if (keeps(c->c[i], w, dev, link))
			c->c[n++] = c->c[i];
	c->n = n;
}

/* Of several candidates, those for which ok() holds, when some do (a tie-break: positive
 * evidence only; a mismatch excludes nothing). */
static void prefer(struct cands *c, bool (*ok)(const struct ccall *cc, const void *arg), const void *arg)
{
	if (c->n < 2)
		return;
	unsigned n = 0;
	struct ccall *keep[CALLS_MAX_CANDS];
	for (unsigned i = 0; i < c->n; i++)
		if (ok(c->c[i], arg))
			keep[n++] = c->c[i];
	if (n) {
		memcpy(c->c, keep, n * sizeof(keep[0]));
		c->n = n;
	}
}

/* Of the candidates, those for which ok() holds (a rule's condition, not a tie-break). */
static void keep_only(struct cands *c, bool (*ok)(const struct ccall *cc, const void *arg), const void *arg)
{
	unsigned n = 0;
	for (unsigned i = 0; i < c->n; i++)
		if (ok(c->c[i], arg))
			c->c[n++] = c->c[i];
	c->n = n;
}

static bool csta_caller_is(const struct ccall *cc, const void *calling)
{
	return ct_number_tail_same(cc->csta_calling, calling, CALLING_TAIL);
}

static bool csta_called_is(const struct ccall *cc, const void *called)
{
	return ct_number_tail_same(cc->csta_called, called, CALLED_TAIL);
}

static bool sip_caller_is(const struct ccall *cc, const void *calling)
{
	return ct_number_tail_same(cc->sip_calling, calling, CALLING_TAIL);
}

static bool sip_called_is(const struct ccall *cc, const void *called)
{
	return ct_number_tail_same(cc->sip_called, called, CALLED_TAIL);
}

/* The call has an open dialog on the same hop already (an INVITE from src to dst): a second
 * one is another call (a carrier's SBC sends each customer call in a dialog of its own). */
static bool hop_taken(const struct ccall *cc, const struct ct_addr *src, const struct ct_addr *dst)
{
	if (!src || !dst)
		return false;
	for (unsigned i = 0; i < cc->nlegs; i++) {
		const struct leg *l = cc->legs[i];
		if (l->sip && !l->ended && l->sip->invite_ts && !memcmp(&l->sip->invite_src, src, sizeof(*src)) &&
		    !memcmp(&l->sip->invite_dst, dst, sizeof(*dst)))
			return true;
	}
	return false;
}

static void drop_hop_taken(struct cands *c, const struct ct_calls_sip *s)
{
	for (unsigned k = 0; k < c->n; k++)
		if (hop_taken(c->c[k], s->src, s->dst))
			c->c[k--] = c->c[--c->n];
}

/* The outcome of a rule: one call (joined), none, or several equally (ambiguous: noted on the
 * new leg's call later, from ambiguity_text()). */
static struct ccall *decide(struct ct_calls *t, struct cands *c, struct cands *amb)
{
	(void)t;
	if (c->n == 1 && !c->more)
		return c->c[0];
	if (c->n > 1 && !amb->n)
		*amb = *c;
	return NULL;
}

/* The audit text of an ambiguous rule: WHAT fits the calls of AMB equally. Written into D
 * before the new call is made, because making it may write out and free one of the
 * candidates (calls.max reached); D is "" when there is no ambiguity. */
void ambiguity_text(const struct cands *amb, const char *what, char *d, size_t cap)
{
	d[0] = '\0';
	if (amb->n < 2)
		return;
	size_t n = (size_t)snprintf(d, cap, "%s fits calls", what);
	for (unsigned i = 0; i < amb->n && n < cap; i++) {
		const struct ccall *o = amb->c[i];
		n += (size_t)snprintf(d + n, cap - n, "%s %s (%.80s)", i ? " and" : "", o->id,
				      o->nlegs ? o->legs[0]->call_id : "");
	}
	if (n < cap)
		snprintf(d + n, cap - n, " equally: left apart");
}

/* ---- a new SIP dialog ------------------------------------------------------------------- */

/* The MakeCall's first dialog (to the device's phone, showing the number dialled) is there. */
static bool make_call_leg(const struct ccall *cc)
{
	for (unsigned i = 0; i < cc->nlegs; i++)
		if (cc->legs[i]->sip && ct_number_tail_same(cc->legs[i]->sip->calling, cc->csta_called, CALLING_TAIL))
			return true;
	return false;
}

struct ccall *sip_join(struct ct_calls *t, const struct ct_calls_sip *s, const char *ncalling, char *ev, size_t evcap,
		       enum join *how, struct cands *amb)
{
	struct ccall *cc;
	struct cands c;
	const char *win = ""; /* set below for the texts */
	char w[32];
	snprintf(w, sizeof(w), "%" PRIu64 " ms", (uint64_t)(t->cfg.window / 1000u));
	win = w;
	*how = J_NONE;
	amb->n = 0;
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
	const char *dev = device_at(t, s->called, s->dst);
	lookup_all(t, "dev", dev, s->ts, true, &c);
	filter(&c, W_CSTA_NO_SIP_TO, dev, NULL);
	if (strcmp(dev, s->called ? s->called : "")) /* reached through a number: its caller must fit */
		for (unsigned k = 0; k < c.n; k++)
			if (callers_differ(c.c[k]->csta_calling, s->calling))
				c.c[k--] = c.c[--c.n];
	prefer(&c, csta_caller_is, s->calling);
	drop_hop_taken(&c, s);
	if ((cc = decide(t, &c, amb))) {
		*how = J_DEVICE;
		snprintf(ev, evcap, "device %s in the SIP request-URI and in CSTA within %s", dev, win);
		return cc;
	}
	/* a call placed by a phone: CSTA saw the device originate it */
	const char *from = device_at(t, s->calling, s->src);
	lookup_all(t, "dev", from, s->ts, true, &c);
	filter(&c, W_CSTA_NO_SIP, from, NULL);
	drop_hop_taken(&c, s);
	if ((cc = decide(t, &c, amb))) {
		*how = J_DEVICE;
		snprintf(ev, evcap, "device %s calling in SIP and originating in CSTA within %s", from, win);
		return cc;
	}
	char tail[8];
	number_tail(s->calling, tail);
	lookup_all(t, "ct", tail, s->ts, true, &c);
	filter(&c, W_CSTA_NO_SIP, NULL, NULL);
	keep_only(&c, csta_caller_is, s->calling);
	prefer(&c, csta_called_is, s->called);
	unsigned k;
	drop_hop_taken(&c, s);
	if ((cc = decide(t, &c, amb))) {
		*how = J_NUMBER;
		snprintf(ev, evcap, "calling number %s%s%s on both sides within %s", ncalling ? ncalling : s->calling,
			 csta_called_is(cc, s->called) ? ", called " : "", csta_called_is(cc, s->called) ? s->called : "",
			 win);
		return cc;
	}
	char nd[CT_CSTA_DEV];
	const char *ncalled = calls_norm(t, s->called, nd, sizeof(nd));
	lookup_all(t, "numc", ncalled, s->ts, true, &c);
	for (k = 0; k < c.n; k++)
		if (sip_leg_to(c.c[k], s->called))
			c.c[k--] = c.c[--c.n];
	drop_hop_taken(&c, s);
	if ((cc = decide(t, &c, amb))) {
		*how = J_NUMBER;
		snprintf(ev, evcap, "dialled number %s on both sides within %s", ncalled, win);
		return cc;
	}
	/* the number an outbound CTI call dials, in another form (national, E.164): by its tail */
	number_tail(s->called, tail);
	lookup_all(t, "nct", tail, s->ts, true, &c);
	for (k = 0; k < c.n; k++)
		if (!has_csta(c.c[k]) || sip_leg_to(c.c[k], s->called) ||
		    !ct_number_tail_same(c.c[k]->csta_called, s->called, CALLING_TAIL))
			c.c[k--] = c.c[--c.n];
	drop_hop_taken(&c, s);
	if ((cc = decide(t, &c, amb))) {
		*how = J_NUMBER;
		snprintf(ev, evcap, "dialled number %s on both sides within %s", s->called, win);
		return cc;
	}
	/* a MakeCall: the PBX first rings the device's phone, showing it the number it will dial */
	number_tail(s->calling, tail);
	lookup_all(t, "nct", tail, s->ts, true, &c);
	for (k = 0; k < c.n; k++)
		if (!c.c[k]->make_call || !ct_number_tail_same(c.c[k]->csta_called, s->calling, CALLING_TAIL) ||
		    make_call_leg(c.c[k]))
			c.c[k--] = c.c[--c.n];
	drop_hop_taken(&c, s);
	if ((cc = decide(t, &c, amb))) {
		*how = J_NUMBER;
		snprintf(ev, evcap, "the PBX rang a phone showing %s, the number a MakeCall dials, within %s", s->calling,
			 win);
		return cc;
	}
	/* a caller CTI withholds: what was dialled is all the two sides share */
	number_tail(s->called, tail);
	lookup_all(t, "dt", tail, s->ts, true, &c);
	filter(&c, W_CSTA_NO_SIP, NULL, NULL);
	for (k = 0; k < c.n; k++)
		if (c.c[k]->csta_calling[0] || !csta_called_is(c.c[k], s->called))
			c.c[k--] = c.c[--c.n];
	drop_hop_taken(&c, s);
	if ((cc = decide(t, &c, amb))) {
		*how = J_NUMBER;
		snprintf(ev, evcap, "dialled number %s on both sides within %s (the caller withheld)", s->called, win);
		return cc;
	}
	return NULL;
}

/* ---- a new CSTA call --------------------------------------------------------------------- */

/* CTI named the device in the call: a party, its queue, the number it called or came from. */
static bool names_device(struct ccall *cc, const char *dev)
{
	return !calls_empty(dev) && (party_find(cc, dev) || !strcmp(cc->queue_dev, dev) || !strcmp(cc->csta_called, dev) ||
				     !strcmp(cc->csta_calling, dev));
}

/* The call reaches dev only through a number (a DDI dialled), no dialog to the device itself. */
static bool dial_reach(struct ct_calls *t, const struct ccall *cc, const char *dev)
{
	bool via_number = false;
	for (unsigned i = 0; i < cc->nlegs; i++) {
		const struct leg *l = cc->legs[i];
		if (!l->sip)
			continue;
		if (!strcmp(l->sip->device, dev) || !strcmp(l->sip->calling, dev) || !strcmp(l->sip->cti_dev, dev))
			return false;
		if (!strcmp(device_at(t, l->sip->device, callee_host(l)), dev))
			via_number = true;
	}
	return via_number;
}

struct ccall *csta_join(struct ct_calls *t, const char *link, const struct ct_csta_msg *m, const char *dev,
			ct_time_t ts, char *ev, size_t evcap, enum join *how, struct cands *amb)
{
	struct ccall *cc;
	struct cands c;
	char w[32];
	snprintf(w, sizeof(w), "%" PRIu64 " ms", (uint64_t)(t->cfg.window / 1000u));
	*how = J_NONE;
	amb->n = 0;
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
	/* or, within the window, at another device (a link that monitors the ACD group sees the
	 * call queue there first) with the same calling and called numbers: a callID of one PBX */
	bool same_numbers = o && ok && ts >= ok->ts && ts - ok->ts <= t->cfg.window && m->calling[0] && m->called[0] &&
			    !strcmp(o->csta_calling, m->calling) && !strcmp(o->csta_called, m->called);
	if (o && ok && ts >= ok->ts && ts - ok->ts <= CALLS_FAILOVER && !csta_leg_on(o, link) &&
	    (names_device(o, dev) || same_numbers) && !callers_differ(o->csta_calling, m->calling)) {
		/* the other link spoke of it a moment ago: two CTI links see the same call (two
		 * applications on one PBX); else that link went quiet and this one took over */
		bool both = ts - ok->ts <= t->cfg.window;
		for (unsigned i = 0; i < o->nlegs && !both; i++)
			if (!o->legs[i]->sip && strcmp(o->legs[i]->call_id, m->conn.call_id) == 0) {
				o->legs[i]->superseded = true;
				o->legs[i]->ended = true;
			}
		if (both)
			snprintf(ev, evcap, "CSTA call %s on link %s too, at device %s", m->conn.call_id, link, dev);
		else
			snprintf(ev, evcap, "CSTA call %s continues on link %s at device %s", m->conn.call_id, link, dev);
		return o;
	}
	lookup_all(t, "dev", dev, ts, true, &c);
	filter(&c, W_SIP_NOT_ON_LINK, dev, link);
	for (unsigned k = 0; k < c.n; k++)
		if (dial_reach(t, c.c[k], dev) && callers_differ(c.c[k]->sip_calling, m->calling))
			c.c[k--] = c.c[--c.n];
	prefer(&c, sip_caller_is, m->calling);
	if ((cc = decide(t, &c, amb))) {
		if (has_sip(cc))
			*how = J_DEVICE;
		snprintf(ev, evcap, "device %s in the SIP request-URI and in CSTA within %s", dev, w);
		return cc;
	}
	char tail[8];
	number_tail(m->calling, tail);
	lookup_all(t, "ct", tail, ts, true, &c);
	filter(&c, W_SIP_NO_CSTA, NULL, NULL);
	keep_only(&c, sip_caller_is, m->calling);
	prefer(&c, sip_called_is, m->called);
	unsigned k;
	if ((cc = decide(t, &c, amb))) {
		*how = J_NUMBER;
		snprintf(ev, evcap, "calling number %s%s%s on both sides within %s", m->calling,
			 sip_called_is(cc, m->called) ? ", called " : "", sip_called_is(cc, m->called) ? m->called : "", w);
		return cc;
	}
	if (!m->calling[0]) {
		/* CTI withholds the caller: what was dialled (or the device it rang) is what is shared */
		const char *called = m->called[0] ? m->called : dev;
		number_tail(called, tail);
		lookup_all(t, "dt", tail, ts, true, &c);
		filter(&c, W_SIP_NO_CSTA, NULL, NULL);
		for (k = 0; k < c.n; k++)
			if (!sip_called_is(c.c[k], called))
				c.c[k--] = c.c[--c.n];
		if ((cc = decide(t, &c, amb))) {
			*how = J_NUMBER;
			snprintf(ev, evcap, "dialled number %s on both sides within %s (the caller withheld)", called, w);
			return cc;
		}
	}
	return NULL;
}

/* ---- late evidence ----------------------------------------------------------------------- */

/* A SIP-only call o turns out to be part of call cc. */
static struct ccall *merge_joined(struct ct_calls *t, struct ccall *cc, struct ccall *o, enum join how,
				  const char *ev)
{
	cc = merge(t, cc, o);
	joined(cc, how, ev);
	return cc;
}

struct ccall *late_join(struct ct_calls *t, struct ccall *cc, const char *dev, ct_time_t ts)
{
	struct cands c;
	lookup_all(t, "dev", dev, ts, true, &c);
	unsigned k = 0;
	for (unsigned i = 0; i < c.n; i++) {
		struct ccall *o = c.c[i];
		if (o == cc || has_csta(o))
			continue;
		bool reaches = false, clash = false;
		for (unsigned j = 0; j < o->nlegs; j++) {
			const struct leg *ol = o->legs[j];
			if (!ol->sip)
				continue;
			if (!strcmp(device_at(t, ol->sip->device, callee_host(ol)), dev) ||
			    !strcmp(device_at(t, ol->sip->calling, caller_host(ol)), dev))
				reaches = true;
			if (hop_taken(cc, &ol->sip->invite_src, &ol->sip->invite_dst) ||
			    (strcmp(ol->sip->device, dev) && callers_differ(ol->sip->calling, cc->csta_calling)))
				clash = true; /* a second dialog on a hop, or another caller through a DDI */
		}
		if (clash)
			continue;
		if (reaches)
			c.c[k++] = o;
	}
	c.n = k;
	if (c.n != 1 || c.more)
		return cc; /* none, or several SIP-only calls at the device: none is sure */
	char ev[CALLS_EVIDENCE];
	snprintf(ev, sizeof(ev), "device %s in the SIP request-URI and in CSTA within %" PRIu64 " ms", dev,
		 (uint64_t)(t->cfg.window / 1000u));
	cc = merge_joined(t, cc, c.c[0], J_DEVICE, ev);
	csta_ties(t, cc, J_DEVICE, dev, NULL, NULL, NULL);
	return cc;
}

struct ccall *late_join_dialled(struct ct_calls *t, struct ccall *cc, const char *called, ct_time_t ts)
{
	char nd[CT_CSTA_DEV];
	const char *n = calls_norm(t, called, nd, sizeof(nd));
	struct cands c;
	lookup_all(t, "numd", n, ts, true, &c);
	unsigned k = 0;
	for (unsigned i = 0; i < c.n; i++)
		if (c.c[i] != cc && !has_csta(c.c[i]))
			c.c[k++] = c.c[i];
	c.n = k;
	if (c.n != 1 || c.more)
		return cc;
	char ev[CALLS_EVIDENCE];
	snprintf(ev, sizeof(ev), "dialled number %s on both sides within %" PRIu64 " ms", n,
		 (uint64_t)(t->cfg.window / 1000u));
	cc = merge_joined(t, cc, c.c[0], J_NUMBER, ev);
	csta_ties(t, cc, J_NUMBER, NULL, NULL, NULL, called);
	return cc;
}
