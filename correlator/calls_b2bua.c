/* calls_b2bua.c - the two sides of a B2BUA (a PBX, an SBC, a topology-hiding proxy) paired by
 * what it relays (calls_int.h).
 *
 * A B2BUA answers the caller's INVITE on one dialog and places its own on another, with its
 * own Call-ID, and often another identity for the caller (a PAI on the trunk, anonymous
 * towards the phone). What it cannot hide is that it relays: the INVITE it sends shortly after
 * the one it received, the 18x and 2xx it sends on the incoming dialog shortly after it
 * received them on the outgoing one, the CANCEL and BYE passed on in lockstep.
 *
 * Every such message is an observation at its host: "host H sent (or received) kind k on dialog
 * X at t". When H sends k on X at t, the messages of kind k it received on dialogs of the other
 * side (X outgoing from H: dialogs H received an INVITE on; X incoming: dialogs H placed) within
 * calls.relay_ms before (an INVITE: twice that; a queue's later INVITE pairs by the responses it
 * relays) are what it may be relaying: X's partner is among them, and each further message of X
 * intersects the set (an INVITE's set of more than CALLS_RELAY_CANDS says nothing). A candidate
 * must fit: its INVITE came first for the dialog it received (a B2BUA places its dialog because
 * of the other); its caller is not another customer's number (a B2BUA rewrites a caller into
 * anonymous, a name or its own number, not into someone else's); when both dialogs go to one
 * peer of H (a carrier's SBC seen only towards the PBX, an access SBC in front of every phone)
 * the same caller calls the same target.
 *
 * A busy B2BUA also sends messages of its own (a queue's ringback, an IVR's answer, a timeout's
 * BYE) just after another call's came in: one message is never enough, nor an INVITE and an 18x
 * (a queue places its INVITE long after the call came in, and sends 183s of its own). Two
 * dialogs are one call when the partner leads by RELAY_PROOF: X's own messages and the
 * partner's that named X alone, a 2xx, CANCEL, BYE or failure weighing twice an 18x or an
 * INVITE, and an INVITE whose identities match one candidate alone (the caller's number, or the
 * dialled number against the dialog's target, by tail: ct_number_tail_same) enough by itself.
 * Two calls CTI reports as different ones (each with its own callID on a link) are never paired,
 * and their votes go: CTI knows. A
 * dialog received with several placed for it (a ring group) pairs with each through their own
 * messages. When two dialogs stay possible to the end (twin calls whose every relayed message
 * came together), the legs stay apart and the ambiguous_join audit names them all (when the
 * first of them is written): never a guess.
 *
 * Bounded: the last CALLS_RELAYS observations, found by host and kind through a hash table,
 * each lookup walking only the observations of the relay window.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calls_int.h"
#include "numbers.h"


/* What a relayed message weighs (votes): a B2BUA sends 18x of its own (a queue's early media,
 * a ringback) and places INVITEs for calls that came in long before (a queue): an 18x and an
 * INVITE whose identities do not match weigh half of a 2xx, CANCEL, BYE or failure, which it
 * sends only because the other side did. An INVITE whose caller or target matches one
 * candidate alone weighs two. A pairing needs RELAY_PROOF: a strong message and a weak one, or
 * two strong; never an INVITE and an 18x that may both be coincidences. */
#define RELAY_WEAK 1
#define RELAY_STRONG 2
#define RELAY_PROOF 3

enum relay_kind { RK_INVITE = 1, RK_PROV, RK_ANSWER, RK_FAIL, RK_CANCEL, RK_BYE };

struct relay {
	struct ct_hnode hn;        /* in ct_calls.relay_idx, by (host, kind, received) */
	ct_time_t ts;
	uint64_t leg;              /* the dialog's leg hash (its index key's) */
	bool in_table;
};

static const char *kind_name(int k)
{
	static const char *const names[] = { "", "INVITE", "18x", "2xx", "failure", "CANCEL", "BYE" };
	return k > 0 && k < (int)CT_ARRAY_SIZE(names) ? names[k] : "?";
}

int calls_relays_init(struct ct_calls *t)
{
	t->relays = calloc(CALLS_RELAYS, sizeof(*t->relays));
	if (!t->relays)
		return CT_ENOMEM;
	if (ct_htab_init(&t->relay_idx, CALLS_RELAYS, CALLS_RELAYS) != CT_OK) {
		free(t->relays);
		return CT_ENOMEM;
	}
	return CT_OK;
}

void calls_relays_free(struct ct_calls *t)
{
	ct_htab_free(&t->relay_idx);
	free(t->relays);
}

static uint64_t obs_hash(const struct ct_calls *t, const struct ct_addr *host, int kind, bool sent)
{
	struct {
		struct ct_addr host;
		uint8_t kind, sent, zero[6];
	} k;
	memset(&k, 0, sizeof(k));
	k.host = *host;
	k.kind = (uint8_t)kind;
	k.sent = sent;
	return ct_hash(&t->key, &k, sizeof(k));
}

static void observe(struct ct_calls *t, const struct ct_addr *host, int kind, bool sent, uint64_t leg, ct_time_t ts)
{
	struct relay *r = &t->relays[t->nrelays_next++ % CALLS_RELAYS];
	if (r->in_table)
		ct_htab_del(&t->relay_idx, &r->hn);
	r->ts = ts;
	r->leg = leg;
	r->in_table = true;
	ct_htab_add(&t->relay_idx, &r->hn, obs_hash(t, host, kind, sent));
}

/* The SIP leg whose index key hashes to h, and its call. */
static struct leg *leg_by_hash(struct ct_calls *t, uint64_t h, struct ccall **cc)
{
	for (struct ct_hnode *n = ct_htab_first(&t->idx, h); n; n = ct_htab_next(n)) {
		struct ikey *k = CT_CONTAINER_OF(n, struct ikey, hn);
		for (unsigned i = 0; i < k->cc->nlegs; i++)
			if (k->cc->legs[i]->k == k && k->cc->legs[i]->sip) {
				*cc = k->cc;
				return k->cc->legs[i];
			}
	}
	return NULL;
}

enum side { SIDE_NONE, SIDE_IN, SIDE_OUT };

/* Which side of host h the dialog of l is: it received the INVITE (in), or placed it (out), on
 * any hop the INVITE was seen on. */
static enum side side_of(const struct leg *l, const struct ct_addr *h)
{
	if (!l->sip->invite_ts)
		return SIDE_NONE;
	if (!memcmp(&l->sip->invite_dst, h, sizeof(*h)) || !memcmp(&l->sip->hop, h, sizeof(*h)))
		return SIDE_IN;
	if (!memcmp(&l->sip->invite_src, h, sizeof(*h)) || !memcmp(&l->sip->hop_src, h, sizeof(*h)))
		return SIDE_OUT;
	return SIDE_NONE;
}

/* The host on the other end of l's dialog from h (NULL: h is not on it). */
static const struct ct_addr *peer_of(const struct leg *l, const struct ct_addr *h)
{
	if (!memcmp(&l->sip->invite_src, h, sizeof(*h)))
		return &l->sip->invite_dst;
	if (!memcmp(&l->sip->invite_dst, h, sizeof(*h)))
		return &l->sip->invite_src;
	if (!memcmp(&l->sip->hop_src, h, sizeof(*h)))
		return &l->sip->hop;
	if (!memcmp(&l->sip->hop, h, sizeof(*h)))
		return &l->sip->hop_src;
	return NULL;
}

/* A set of leg hashes. */
struct legset {
	uint64_t h[CALLS_RELAY_CANDS];
	unsigned n;
	bool more;
};

static void set_add(struct legset *s, uint64_t h)
{
	for (unsigned i = 0; i < s->n; i++)
		if (s->h[i] == h)
			return;
	if (s->n < CALLS_RELAY_CANDS)
		s->h[s->n++] = h;
	else
		s->more = true;
}

/* What host H may be relaying when it sends kind on leg x at ts: the dialogs of the other side
 * on which it received that kind within the gap before. */
static void sources(struct ct_calls *t, const struct ct_addr *h, int kind, const struct leg *x, enum side want,
		    ct_time_t ts, struct legset *out)
{
	ct_time_t relay = t->cfg.relay ? t->cfg.relay : 100 * 1000;
	ct_time_t gap = kind == RK_INVITE ? CT_MIN(t->cfg.window, 2 * relay) : relay;
	uint64_t oh = obs_hash(t, h, kind, false);
	out->n = 0;
	out->more = false;
	for (struct ct_hnode *n = ct_htab_first(&t->relay_idx, oh); n; n = ct_htab_next(n)) {
		struct relay *r = CT_CONTAINER_OF(n, struct relay, hn);
		if (r->ts > ts)
			continue;
		if (ts - r->ts > gap)
			break; /* newest first: the rest is older still */
		if (r->leg == x->k->hn.h)
			continue;
		struct ccall *ycc;
		const struct leg *y = leg_by_hash(t, r->leg, &ycc);
		if (y && side_of(y, h) != want)
			continue;
		/* a B2BUA rewrites a caller into anonymous, a name or its own number, not into
		 * another customer's number */
		if (y && callers_differ(y->sip->calling, x->sip->calling))
			continue;
		/* a B2BUA places its dialog because it received the other: that INVITE came first */
		if (y && (want == SIDE_IN ? y->sip->invite_ts > x->sip->invite_ts : y->sip->invite_ts < x->sip->invite_ts))
			continue;
		/* a B2BUA mostly joins two peers (a carrier and a phone); when both dialogs go to one
		 * peer (a carrier's SBC seen only towards the PBX, whose inbound and outbound calls
		 * cross; or an access SBC in front of every phone) only the same caller calling the
		 * same target makes them candidates */
		const struct ct_addr *yp = y ? peer_of(y, h) : NULL, *xp = peer_of(x, h);
		if (yp && xp && !memcmp(yp, xp, sizeof(*yp)) &&
		    !(ct_number_tail_same(y->sip->calling, x->sip->calling, 4) && ct_number_tail_same(y->sip->device, x->sip->device, 4)))
			continue;
		set_add(out, r->leg); /* one written already may have been the source: it stays */
	}
}

/* The INVITE's candidates whose identities still match: the caller (by tail), the number the
 * caller dialled against the dialog's target. None matching: all stay. True when some did. */
static bool prefer_matching(struct ct_calls *t, const struct leg *o, struct legset *c)
{
	unsigned best = 0, score[CALLS_RELAY_CANDS];
	for (unsigned i = 0; i < c->n; i++) {
		struct ccall *icc;
		const struct leg *in = leg_by_hash(t, c->h[i], &icc);
		score[i] = 0;
		if (!in)
			continue;
		score[i] += ct_number_tail_same(in->sip->calling, o->sip->calling, 6);
		score[i] += ct_number_tail_same(in->sip->device, o->sip->device, 4);
		if (score[i] > best)
			best = score[i];
	}
	if (!best)
		return false;
	unsigned n = 0;
	for (unsigned i = 0; i < c->n; i++)
		if (score[i] == best)
			c->h[n++] = c->h[i];
	c->n = n;
	return true;
}

/* While o has several candidates, each is marked: when one is written, o's ambiguity is told
 * naming them all (relay_leaving), while their Call-IDs are still at hand. */
static void mark_candidates(struct ct_calls *t, const struct leg *o)
{
	if (o->sip->nrcand < 2 || o->sip->rin)
		return;
	for (unsigned i = 0; i < o->sip->nrcand; i++) {
		struct ccall *icc;
		struct leg *in = leg_by_hash(t, o->sip->rcand[i], &icc);
		if (in)
			in->sip->rcand_of = true;
	}
}

/* A message of o that the B2BUA may have relayed from one of c: a vote for each (votes, not an
 * intersection: one coincidence, a ringback the PBX plays itself while another call's ringing
 * came in, must not rule the real partner out). Bounded: a newcomer takes the place of a
 * candidate with one vote when the list is full. */
static void constrain(struct ct_calls *t, struct leg *o, const struct legset *c, unsigned weight)
{
	if (o->sip->rpaired || c->more || !c->n)
		return; /* too many to say anything, or nothing seen */
	if (o->sip->robs < UINT8_MAX)
		o->sip->robs++;
	o->sip->rconstrained = true;
	for (unsigned j = 0; j < c->n; j++) {
		unsigned i = 0;
		while (i < o->sip->nrcand && o->sip->rcand[i] != c->h[j])
			i++;
		if (i == o->sip->nrcand) {
			if (o->sip->nrcand < CALLS_RELAY_CANDS) {
				o->sip->nrcand++;
			} else {
				for (i = 0; i < o->sip->nrcand && o->sip->rvote[i] > 1; i++)
					;
				if (i == o->sip->nrcand)
					continue; /* every place holds a candidate seen twice */
			}
			o->sip->rcand[i] = c->h[j];
			o->sip->rvote[i] = 0;
		}
		o->sip->rvote[i] = (uint8_t)CT_MIN(o->sip->rvote[i] + weight, UINT8_MAX);
	}
	mark_candidates(t, o);
}

/* o's leading candidate (index), its votes and the runner-up's; -1 when none. */
static int leader(const struct leg *o, unsigned *first, unsigned *second)
{
	int best = -1;
	*first = *second = 0;
	for (unsigned i = 0; i < o->sip->nrcand; i++) {
		if (o->sip->rvote[i] > *first) {
			*second = *first;
			*first = o->sip->rvote[i];
			best = (int)i;
		} else if (o->sip->rvote[i] > *second) {
			*second = o->sip->rvote[i];
		}
	}
	return best;
}

/* Two calls CTI reports as different ones: each has a CSTA call on a link the other has one on,
 * and they share none (a transfer or conference that makes them one says so itself). */
static bool cti_apart(const struct ccall *a, const struct ccall *b)
{
	if (a == b)
		return false;
	bool common_link = false;
	for (unsigned i = 0; i < a->nlegs; i++) {
		const struct leg *la = a->legs[i];
		if (la->sip)
			continue;
		for (unsigned j = 0; j < b->nlegs; j++) {
			const struct leg *lb = b->legs[j];
			if (lb->sip || strcmp(la->link, lb->link))
				continue;
			if (!strcmp(la->call_id, lb->call_id))
				return false;
			common_link = true;
		}
	}
	return common_link;
}

/* A candidate in a call CTI reports as another than x's can never be x's partner: its votes
 * (coincidences of a busy B2BUA, one of which may tie with the partner's) go. */
static void drop_cti_apart(struct ct_calls *t, const struct ccall *cc, struct leg *x)
{
	for (unsigned i = 0; i < x->sip->nrcand; i++) {
		struct ccall *ycc;
		if (x->sip->rvote[i] && leg_by_hash(t, x->sip->rcand[i], &ycc) && cti_apart(cc, ycc))
			x->sip->rvote[i] = 0;
	}
}

/* x's partner is known: their calls are one. x is a dialog the B2BUA placed, or (rin) one it
 * received, whose partner is then the one it placed. Returns the call x is in now. */
static struct ccall *try_pair(struct ct_calls *t, struct ccall *cc, struct leg *x, const struct ct_addr *h,
			      int kind)
{
	if (x->sip->rpaired || !x->sip->rconstrained)
		return cc;
	drop_cti_apart(t, cc, x);
	unsigned v1, v2;
	int lead = leader(x, &v1, &v2);
	if (lead < 0)
		return cc;
	struct ccall *ycc;
	struct leg *y = leg_by_hash(t, x->sip->rcand[lead], &ycc);
	if (!y)
		return cc;
	/* a message can be a coincidence on a busy B2BUA (a ringback or a BYE it sends of its own
	 * while another call's came in; calls placed and ended in step): the partner must lead by
	 * RELAY_PROOF messages that fitted it, x's own and those y sent that x led (an INVITE
	 * whose identities match counting twice), ahead of every other candidate */
	unsigned fit = v1, yv1, yv2;
	int ylead = y->sip->rin != x->sip->rin && y->sip->rconstrained ? leader(y, &yv1, &yv2) : -1;
	if (ylead >= 0 && y->sip->rcand[ylead] == x->k->hn.h && yv1 > yv2)
		fit += yv1;
	if (fit < RELAY_PROOF || v1 == v2)
		return cc;
	if (cti_apart(cc, ycc))
		return cc; /* CTI reports them as two calls: it knows */
	struct leg *in = x->sip->rin ? x : y, *o = x->sip->rin ? y : x;
	struct ccall *icc = x->sip->rin ? cc : ycc, *occ = x->sip->rin ? ycc : cc;
	if (o->sip->rpaired)
		return cc; /* the dialog it placed is another's partner already */
	x->sip->rpaired = o->sip->rpaired = true;
	in->sip->b2b_in = true; /* its phone end is its caller (the B2BUA placed o for it) */
	str_set(t, &in->sip->cti_dev, ""); /* a device CTI rang named as its callee is o's */
	party_forget(t, icc, in->sip->device, in); /* what it dialled was the B2BUA, not a phone */
	char ip[64], ev[CALLS_EVIDENCE];
	ct_addr_format(h, ip, sizeof(ip));
	snprintf(ev, sizeof(ev), "B2BUA %s relayed SIP dialog %.100s to %.100s (%s)", ip, in->call_id, o->call_id,
		 kind_name(kind));
	uint64_t ih = in->k->hn.h, oh = o->k->hn.h;
	if (icc != occ) {
		cc = merge(t, icc, occ);
		t->ctr->calls_b2bua_paired++;
	}
	evidence_add(cc, ev);
	struct ccall *z;
	sip_tie(cc, leg_by_hash(t, ih, &z), leg_by_hash(t, oh, &z)); /* the merge moved the legs */
	/* the dialog it placed reaches the phone CTI reported ringing when it came (the two were
	 * apart until now) */
	struct leg *po = leg_by_hash(t, oh, &z);
	if (po)
		name_leg_late(t, cc, po, po->sip->invite_ts);
	return cc;
}

static unsigned kind_weight(int kind)
{
	return kind == RK_PROV || kind == RK_INVITE ? RELAY_WEAK : RELAY_STRONG;
}

static int relay_kind(const struct ct_calls_sip *s)
{
	switch (s->moment) {
	case CT_SIP_M_INVITE: return RK_INVITE;
	case CT_SIP_M_RINGING: return RK_PROV;
	case CT_SIP_M_ANSWER: return RK_ANSWER;
	case CT_SIP_M_FAILURE: return s->ends_dialog ? RK_FAIL : 0;
	case CT_SIP_M_CANCEL: return RK_CANCEL;
	case CT_SIP_M_BYE: return RK_BYE;
	default: return 0;
	}
}

struct ccall *relay_moment(struct ct_calls *t, struct ccall *cc, struct leg *l, const struct ct_calls_sip *s)
{
	int kind = relay_kind(s);
	if (!kind || !s->src || !s->dst || !memcmp(s->src, s->dst, sizeof(*s->src)))
		return cc; /* a host talking to itself (a load test on loopback) relays nothing */
	const struct ct_addr *h = s->src; /* the sender: a B2BUA if it is passing something on */
	enum side side = side_of(l, h);
	uint64_t lh = l->k->hn.h; /* l may move (a merge): its hash stays */
	struct legset c;
	if (side == SIDE_OUT && !l->sip->rin) {
		sources(t, h, kind, l, SIDE_IN, s->ts, &c);
		bool matched = kind == RK_INVITE && prefer_matching(t, l, &c);
		unsigned w = kind_weight(kind);
		if (kind == RK_INVITE && matched)
			w = c.n == 1 ? 2 * RELAY_STRONG : RELAY_STRONG;
		constrain(t, l, &c, w);
		cc = try_pair(t, cc, l, h, kind);
	} else if (side == SIDE_IN) {
		/* what it relays on a dialog it received came in on one it placed (told to that
		 * dialog's candidates only: one message is one observation) */
		sources(t, h, kind, l, SIDE_OUT, s->ts, &c);
		struct ccall *icc;
		struct leg *in = leg_by_hash(t, lh, &icc);
		/* one set of candidates a dialog: as the one a B2BUA placed (above), or received */
		if (in && !in->sip->rpaired && c.n && !c.more && (in->sip->rin || !in->sip->rconstrained)) {
			in->sip->rin = true;
			constrain(t, in, &c, kind_weight(kind));
			cc = try_pair(t, icc, in, h, kind);
		}
	}
	observe(t, h, kind, true, lh, s->ts);
	observe(t, s->dst, kind, false, lh, s->ts);
	return cc;
}

static void tell_ambiguity(struct ct_calls *t, struct ccall *cc, struct leg *l, ct_time_t now)
{
	char d[512];
	size_t n = (size_t)snprintf(d, sizeof(d), "SIP dialog %.100s fits dialogs", l->call_id);
	unsigned v1, v2, k = 0;
	leader(l, &v1, &v2);
	for (unsigned i = 0; i < l->sip->nrcand && n < sizeof(d); i++) {
		if (l->sip->rvote[i] != v1)
			continue; /* the equal leaders only */
		struct ccall *ocl;
		const struct leg *o = leg_by_hash(t, l->sip->rcand[i], &ocl);
		n += (size_t)snprintf(d + n, sizeof(d) - n, "%s %.100s", k++ ? " and" : "", o ? o->call_id : "(written)");
	}
	if (n < sizeof(d))
		snprintf(d + n, sizeof(d) - n, " of a B2BUA equally: left apart");
	l->sip->ramb_said = true;
	finding(t, cc, now, CT_AUDIT_AMBIGUOUS_JOIN, NULL, d);
}

static bool relay_open(const struct leg *l)
{
	/* a dialog received with several placed for it is a ring group, not an ambiguity; one
	 * message that fitted several (an INVITE among others) is no ambiguity either, only
	 * several messages that fitted them all (twin calls) */
	unsigned v1, v2;
	return !l->sip->rin && !l->sip->rpaired && l->sip->rconstrained && leader(l, &v1, &v2) >= 0 && v1 == v2 &&
	       v1 >= RELAY_PROOF && !l->sip->ramb_said;
}

void relay_ambiguity(struct ct_calls *t, struct ccall *cc, struct leg *l, ct_time_t now)
{
	if (relay_open(l))
		tell_ambiguity(t, cc, l, now);
}

/* cc is being written: a dialog a B2BUA placed that still has one of cc's legs among several
 * candidates can no longer be paired with it, so its ambiguity is told now, while every
 * candidate can be named. Its candidates are found by the INVITEs the B2BUA sent within the
 * window after the candidate's. */
void relay_leaving(struct ct_calls *t, struct ccall *cc, ct_time_t now)
{
	for (unsigned i = 0; i < cc->nlegs; i++) {
		const struct leg *in = cc->legs[i];
		if (!in->sip || !in->sip->rcand_of)
			continue;
		uint64_t oh = obs_hash(t, &in->sip->invite_dst, RK_INVITE, true);
		for (struct ct_hnode *n = ct_htab_first(&t->relay_idx, oh); n; n = ct_htab_next(n)) {
			struct relay *r = CT_CONTAINER_OF(n, struct relay, hn);
			if (r->ts < in->sip->invite_ts)
				break; /* newest first */
			if (r->ts - in->sip->invite_ts > t->cfg.window)
				continue;
			struct ccall *occ;
			struct leg *o = leg_by_hash(t, r->leg, &occ);
			if (!o || occ == cc || !relay_open(o))
				continue;
			unsigned v1, v2;
			leader(o, &v1, &v2);
			for (unsigned j = 0; j < o->sip->nrcand; j++)
				if (o->sip->rcand[j] == in->k->hn.h && o->sip->rvote[j] == v1) {
					tell_ambiguity(t, occ, o, now);
					break;
				}
		}
	}
}
