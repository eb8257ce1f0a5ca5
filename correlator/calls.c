/* calls.c - customer calls joined across CSTA and SIP legs (behaviour in calls.h). */
#include "calls.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/hash.h"
#include "../util/log.h"
#include "audit.h"

#define CALLS_MAX_LEGS 12
#define CALLS_MAX_KEYS 24
#define CALLS_MAX_PARTIES 10
#define CALLS_MAX_AUDIT 16
#define CALLS_MAX_XFER 6
#define CALLS_MAX_IV 8
#define CALLS_MAX_MERGED 6
#define CALLS_MAX_TAGS 6
#define CALLS_KEY 420 /* "csta:" link "|" callID, or "sip:" Call-ID (256) */
#define CALLS_EVIDENCE 320
#define CALLS_FAILOVER (60 * CT_USEC_PER_SEC) /* a standby CTI server takes over within this */

struct ccall;
struct leg;

/* An index entry: a leg ("sip:<Call-ID>", "csta:<link>|<callID>") or an id the call is known
 * by ("ucid:", "gid:", "cid:", "dev:", "num:", "numc:", "b2b:", "route:"), with the time it was
 * last named. */
struct ikey {
	struct ikey *hnext;
	uint64_t h;
	char *key;                 /* its own copy: keys are long (Call-IDs), most slots are empty */
	ct_time_t ts;
	struct ccall *cc;
	bool used;
};

struct leg {
	struct ikey k;
	bool sip, ended, answered;
	bool alerted_seen;         /* CSTA: Delivered, Originated or ServiceInitiated seen */
	bool cleared;              /* CSTA: a clearing event ended it */
	bool b2b_in;               /* SIP: a B2BUA placed another leg for it: its phone is the caller */
	bool bye;                  /* SIP: a BYE was seen */
	uint64_t tags[CALLS_MAX_TAGS]; /* SIP: hashes of the tags seen in the dialog (an SBC between
					 * two mirror points rewrites them): a Replaces must name them */
	bool answered_sip;         /* SIP: the dialog was answered (dialog_end) */
	uint32_t rtp_flows;        /* SIP: RTP flows on its SDP endpoints (dialog_end) */
	bool superseded;           /* CSTA: the callID went on on another link (failover) */
	char link[128];
	char call_id[128];
	char device[CT_CSTA_DEV];  /* SIP: the request-URI user of the initial INVITE */
	char calling[CT_CSTA_DEV]; /* SIP: the caller of the initial INVITE */
	ct_time_t invite_ts, answer_ts;
	struct ct_addr invite_src, invite_dst;
	struct ct_addr hop;        /* where the latest copy of the INVITE went (proxies forward it) */
	struct ct_calls_ep sdp_caller, sdp_callee;
	char pending_to[CT_CSTA_DEV]; /* SIP: a REFER waiting for its answer */
	char pending_from[CT_CSTA_DEV];
	char pending_kind[12];
	ct_time_t pending_ts;
};

enum { REC_NONE, REC_ON, REC_PAUSED, REC_STOPPED };

struct party {
	char device[CT_CSTA_DEV];
	ct_time_t alerted, answered, released;
	bool csta;                 /* CSTA reported it (else only a SIP leg named it) */
	bool external;             /* the far end of an outbound call: not a contact-centre party */
	bool originated;           /* it placed the call (CSTA ServiceInitiated/Originated) */
	char agent_id[CT_CSTA_DEV]; /* the agent CTI reported at the device when it took the call */
	bool on_call;
	uint8_t rec;
	struct {
		ct_time_t start, end;
	} iv[CALLS_MAX_IV];
	unsigned niv;
};

struct finding {
	char kind[24];
	char detail[160];
};

struct xfer {
	char from[CT_CSTA_DEV], to[CT_CSTA_DEV];
	char kind[16];
	ct_time_t ts;
};

/* How a leg of the other world joined: the weaker, the lower. */
enum join { J_NUMBER = 1, J_DEVICE = 2, J_SHARED = 3, J_NONE = 9 };

struct ccall {
	struct ccall *prev, *next;
	char id[40];
	ct_time_t start, answer, last, ended_at, sip_ended_at;
	bool held;
	ct_time_t held_since;
	uint64_t hold_us;
	unsigned holds;
	char sip_calling[CT_CSTA_DEV], sip_called[CT_CSTA_DEV];
	ct_time_t sip_first;       /* the INVITE of the first SIP leg (the trunk leg of an inbound call) */
	char csta_calling[CT_CSTA_DEV], csta_called[CT_CSTA_DEV];
	char direction[12];
	char released_by[CT_CSTA_DEV];
	char cause[48];            /* CSTA cause of the first release */
	char sip_cause[16];        /* sip_<status> of a failed INVITE */
	char sip_disposition[16];
	bool csta_busy, cleared_before_answer;
	bool network;              /* CSTA NetworkReached: the call left for the public network */
	bool fragment;             /* first seen by a message that cannot begin a call */
	uint8_t join;              /* enum join: the weakest CSTA <-> SIP join */
	char evidence[CALLS_EVIDENCE];
	ct_time_t queued_at, queue_end, route_req, route_sel;
	char xfer_dev[CT_CSTA_DEV]; /* a transfer asked for (CTI request, SIP REFER): its device... */
	ct_time_t xfer_ts;          /* ...and when: a release soon after is the transfer's */
	char queue_dev[CT_CSTA_DEV];
	bool routed;
	int64_t cti_lag;
	bool has_cti_lag;
	struct leg legs[CALLS_MAX_LEGS];
	unsigned nlegs;
	struct ikey keys[CALLS_MAX_KEYS];
	struct party parties[CALLS_MAX_PARTIES];
	unsigned nparties;
	struct xfer xfers[CALLS_MAX_XFER];
	unsigned nxfers;
	struct xfer divs[CALLS_MAX_XFER];
	unsigned ndivs;
	bool conferenced;
	char conf[CALLS_MAX_PARTIES][CT_CSTA_DEV];
	unsigned nconf;
	char merged[CALLS_MAX_MERGED][40];
	unsigned nmerged;
	struct finding *audit;     /* allocated at the first finding: most calls have none */
	unsigned naudit, audit_more; /* findings kept, and those past the cap (counted) */
	ct_time_t due;             /* when it is to be looked at again (its record may be due) */
	uint32_t hidx;             /* its place in the timer heap */
};

struct ct_calls {
	struct ct_calls_cfg cfg;
	struct ct_counters *ctr;
	struct ct_emitter *em;
	struct ct_hashkey key;     /* the index's buckets: random per run (packets choose the keys) */
	struct ct_hashkey idkey;   /* call ids: fixed, so a replay gives the same ids */
	struct ikey **buckets;
	uint64_t mask;     /* buckets - 1: a power of two, some for each key a call may hold */
	struct ccall head; /* list sentinel, oldest first */
	uint32_t live;
	struct ccall **heap; /* every call, by due time (a binary min-heap on packet time) */
	uint32_t nheap, capheap;
	bool csta_seen;    /* some CSTA call was seen: a SIP call without one is an orphan */
};

int ct_calls_new(struct ct_calls **out, const struct ct_calls_cfg *cfg, const struct ct_hashkey *key,
		 struct ct_counters *ctr, struct ct_emitter *em)
{
	struct ct_calls *t = calloc(1, sizeof(*t));
	if (!t)
		return CT_ENOMEM;
	t->cfg = *cfg;
	t->ctr = ctr;
	t->em = em;
	t->key = *key;
	ct_hashkey_fixed(&t->idkey, 0x63616c6c73UL);
	uint64_t nb = 256;
	while (nb < (uint64_t)cfg->max_calls * 4 && nb < (1u << 22))
		nb <<= 1;
	t->buckets = calloc(nb, sizeof(*t->buckets));
	if (!t->buckets) {
		free(t);
		return CT_ENOMEM;
	}
	t->mask = nb - 1;
	t->head.prev = t->head.next = &t->head;
	*out = t;
	return CT_OK;
}

static void set(char *dst, size_t cap, const char *src)
{
	if (src && src[0] && !dst[0])
		snprintf(dst, cap, "%s", src);
}

static bool empty(const char *s)
{
	return !s || !s[0];
}

/* ---- the index ----------------------------------------------------------------------- */

static struct ikey *idx_find(struct ct_calls *t, const char *key)
{
	uint64_t h = ct_hash(&t->key, key, strlen(key));
	for (struct ikey *k = t->buckets[h & t->mask]; k; k = k->hnext)
		if (k->h == h && strcmp(k->key, key) == 0)
			return k;
	return NULL;
}

static bool idx_add(struct ct_calls *t, struct ikey *k, const char *key, struct ccall *cc, ct_time_t ts)
{
	k->key = strdup(key);
	if (!k->key)
		return false;
	k->h = ct_hash(&t->key, k->key, strlen(k->key));
	k->cc = cc;
	k->ts = ts;
	k->used = true;
	k->hnext = t->buckets[k->h & t->mask];
	t->buckets[k->h & t->mask] = k;
	return true;
}

static void idx_del(struct ct_calls *t, struct ikey *k)
{
	if (!k->used)
		return;
	struct ikey **pp = &t->buckets[k->h & t->mask];
	while (*pp && *pp != k)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = k->hnext;
	k->used = false;
	free(k->key);
	k->key = NULL;
}

/* "kind:a" or "kind:a|b", cut at CALLS_KEY (without printf: several keys per message). */
static void mkkey(char *key, const char *kind, const char *a, const char *b)
{
	size_t n = 0;
	const char *parts[4] = { kind, ":", a, b ? "|" : NULL };
	for (int i = 0; i < 5; i++) {
		const char *p = i < 4 ? parts[i] : b;
		for (; p && *p && n < CALLS_KEY - 1; p++)
			key[n++] = *p;
	}
	key[n] = '\0';
}

/* Remembers an id of the call for the legs still to come. A device or number entry moves to
 * the newest call that names it; a shared id stays with the call that had it first. */
static void remember(struct ct_calls *t, struct ccall *cc, const char *kind, const char *value, ct_time_t ts)
{
	if (empty(value))
		return;
	char key[CALLS_KEY];
	mkkey(key, kind, value, NULL);
	struct ikey *k = idx_find(t, key);
	if (k) {
		if (k->cc == cc) {
			k->ts = ts;
			return;
		}
		if (strcmp(kind, "ucid") == 0 || strcmp(kind, "gid") == 0)
			return;
		idx_del(t, k);
	}
	for (unsigned i = 0; i < CALLS_MAX_KEYS; i++)
		if (!cc->keys[i].used) {
			idx_add(t, &cc->keys[i], key, cc, ts);
			return;
		}
}

static struct ikey *idx_find_kind(struct ct_calls *t, const char *kind, const char *value)
{
	char key[CALLS_KEY];
	mkkey(key, kind, value, NULL);
	return idx_find(t, key);
}

static struct ccall *lookup(struct ct_calls *t, const char *kind, const char *value, ct_time_t ts, bool timed)
{
	if (empty(value))
		return NULL;
	char key[CALLS_KEY];
	mkkey(key, kind, value, NULL);
	struct ikey *k = idx_find(t, key);
	if (!k)
		return NULL;
	if (timed) {
		ct_time_t d = ts > k->ts ? ts - k->ts : k->ts - ts;
		if (d > t->cfg.window)
			return NULL;
		/* a call that is over takes no new legs on circumstantial evidence */
		bool open = false;
		for (unsigned i = 0; i < k->cc->nlegs && !open; i++)
			open = !k->cc->legs[i].ended && !k->cc->legs[i].bye;
		if (!open)
			return NULL;
	}
	return k->cc;
}

static struct leg *leg_of(struct ct_calls *t, const char *key, struct ccall **cc)
{
	struct ikey *k = idx_find(t, key);
	if (!k)
		return NULL;
	for (unsigned i = 0; i < k->cc->nlegs; i++)
		if (&k->cc->legs[i].k == k) {
			*cc = k->cc;
			return &k->cc->legs[i];
		}
	return NULL;
}

/* The normalised form of a number (numbers.* rules), or the text as it is. */
static const char *norm(struct ct_calls *t, const char *in, char *out, size_t cap)
{
	if (empty(in))
		return NULL;
	if (t->cfg.hooks.number_norm && t->cfg.hooks.number_norm(t->cfg.hooks.user, in, out, cap))
		return out;
	snprintf(out, cap, "%s", in);
	return out;
}

/* ---- findings ------------------------------------------------------------------------ */

static void note(struct ccall *cc, const char *kind, const char *detail)
{
	if (!cc->audit)
		cc->audit = calloc(CALLS_MAX_AUDIT, sizeof(*cc->audit));
	if (!cc->audit || cc->naudit >= CALLS_MAX_AUDIT) {
		cc->audit_more++;
		return;
	}
	struct finding *f = &cc->audit[cc->naudit++];
	snprintf(f->kind, sizeof(f->kind), "%s", kind);
	snprintf(f->detail, sizeof(f->detail), "%s", detail);
}

/* A finding about call cc (may be NULL): an audit record now, and a line in the call record. */
static void finding(struct ct_calls *t, struct ccall *cc, ct_time_t ts, const char *kind, const char *link,
		    const char *detail)
{
	t->ctr->call_audits++;
	ct_audit(t->em, ts, cc ? cc->id : NULL, kind, link, 0, "%s", detail);
	if (cc)
		note(cc, kind, detail);
}

/* ---- the timer heap: calls by due time --------------------------------------------------- */

static void heap_set(struct ct_calls *t, uint32_t i, struct ccall *cc)
{
	t->heap[i] = cc;
	cc->hidx = i;
}

static void heap_up(struct ct_calls *t, uint32_t i)
{
	struct ccall *cc = t->heap[i];
	while (i > 0) {
		uint32_t up = (i - 1) / 2;
		if (t->heap[up]->due <= cc->due)
			break;
		heap_set(t, i, t->heap[up]);
		i = up;
	}
	heap_set(t, i, cc);
}

static void heap_down(struct ct_calls *t, uint32_t i)
{
	struct ccall *cc = t->heap[i];
	for (;;) {
		uint32_t c = 2 * i + 1;
		if (c >= t->nheap)
			break;
		if (c + 1 < t->nheap && t->heap[c + 1]->due < t->heap[c]->due)
			c++;
		if (cc->due <= t->heap[c]->due)
			break;
		heap_set(t, i, t->heap[c]);
		i = c;
	}
	heap_set(t, i, cc);
}

static bool heap_add(struct ct_calls *t, struct ccall *cc)
{
	if (t->nheap == t->capheap) {
		uint32_t cap = t->capheap ? t->capheap * 2 : 1024;
		struct ccall **h = realloc(t->heap, cap * sizeof(*h));
		if (!h)
			return false;
		t->heap = h;
		t->capheap = cap;
	}
	heap_set(t, t->nheap++, cc);
	heap_up(t, cc->hidx);
	return true;
}

static void heap_del(struct ct_calls *t, struct ccall *cc)
{
	uint32_t i = cc->hidx;
	struct ccall *last = t->heap[--t->nheap];
	if (last == cc)
		return;
	heap_set(t, i, last);
	heap_up(t, i);
	heap_down(t, last->hidx);
}

static bool all_ended(const struct ccall *cc, bool sip_only);
static bool has_sip(const struct ccall *cc);

/* When the call's record may be due: settle after its last leg ended; csta_grace after its last
 * SIP leg ended while CTI never cleared; idle after its last news. */
static ct_time_t add_sat(ct_time_t a, ct_time_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static ct_time_t due_of(const struct ct_calls *t, const struct ccall *cc)
{
	/* a fragment (a call first seen by a message that cannot begin one: a late copy, a leg
	 * whose start was not captured) is given up sooner than a call that began here */
	ct_time_t idle = cc->fragment && t->cfg.settle * 20 < t->cfg.idle ? t->cfg.settle * 20 : t->cfg.idle;
	ct_time_t due = idle ? add_sat(cc->last, idle) : UINT64_MAX;
	if (all_ended(cc, false) && add_sat(cc->ended_at, t->cfg.settle) < due)
		due = add_sat(cc->ended_at, t->cfg.settle);
	if (has_sip(cc) && all_ended(cc, true) && add_sat(cc->sip_ended_at, t->cfg.csta_grace) < due)
		due = add_sat(cc->sip_ended_at, t->cfg.csta_grace);
	return due;
}

static void touch(struct ct_calls *t, struct ccall *cc)
{
	ct_time_t due = due_of(t, cc);
	if (due == cc->due)
		return;
	bool later = due > cc->due;
	cc->due = due;
	if (later)
		heap_down(t, cc->hidx);
	else
		heap_up(t, cc->hidx);
}

/* ---- calls ----------------------------------------------------------------------------- */

/* A call's id: its first leg (a SIP Call-ID, or a link and CSTA callID) and the packet time it
 * began, hashed with a fixed key: the same input gives the same ids, and a Call-ID or callID
 * used again later (PBXs recycle callIDs) gives another id. */
static void call_id_of(const struct ct_calls *t, char id[40], const char *kind, const char *a, const char *b,
		       ct_time_t ts)
{
	char src[CALLS_KEY + 32];
	int n = snprintf(src, sizeof(src), "%s|%s|%" PRIu64, a, b ? b : "", ts);
	snprintf(id, 40, "%s-%016" PRIx64, kind,
		 ct_hash(&t->idkey, src, (size_t)(n < (int)sizeof(src) ? n : (int)sizeof(src) - 1)));
}

/* The UCID a CSTA message carries: correlatorData or userData shaped as one (8 bytes, 16 hex
 * digits, as SIP's User-to-User gives it); other application data is not an id. */
static const char *csta_ucid(const struct ct_csta_msg *m, char out[17])
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

/* CSTA events that can begin a call (others first seen mean the start was not captured). */
static bool begins_call(const char *name)
{
	static const char *const names[] = { "delivered", "offered", "originated", "service_initiated", "queued",
					     "route_request", "failed", "network_reached" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(name, names[i]))
			return true;
	return false;
}

static void emit_call(struct ct_calls *t, struct ccall *cc, ct_time_t now);

static void call_free(struct ct_calls *t, struct ccall *cc)
{
	for (unsigned i = 0; i < cc->nlegs; i++)
		idx_del(t, &cc->legs[i].k);
	for (unsigned i = 0; i < CALLS_MAX_KEYS; i++)
		idx_del(t, &cc->keys[i]);
	cc->prev->next = cc->next;
	cc->next->prev = cc->prev;
	heap_del(t, cc);
	t->live--;
	free(cc->audit);
	free(cc);
}

static struct ccall *call_new(struct ct_calls *t, const char *id, ct_time_t ts)
{
	if (t->live >= t->cfg.max_calls && t->head.next != &t->head) {
		struct ccall *old = t->head.next;
		t->ctr->calls_evicted++;
		if (ct_log_sample(t->ctr->calls_evicted))
			ct_warn("call table full (calls.max=%u): oldest call written early", t->cfg.max_calls);
		finding(t, old, ts, "evicted", NULL, "call table full (calls.max): written before it ended");
		emit_call(t, old, ts);
		call_free(t, old);
	}
	struct ccall *cc = calloc(1, sizeof(*cc));
	if (!cc)
		return NULL;
	snprintf(cc->id, sizeof(cc->id), "%s", id);
	snprintf(cc->direction, sizeof(cc->direction), "unknown");
	cc->join = J_NONE;
	cc->start = cc->last = ts;
	cc->due = UINT64_MAX;
	if (!heap_add(t, cc)) {
		free(cc);
		return NULL;
	}
	cc->prev = t->head.prev;
	cc->next = &t->head;
	t->head.prev->next = cc;
	t->head.prev = cc;
	t->live++;
	t->ctr->calls++;
	return cc;
}

static bool has_sip(const struct ccall *cc)
{
	for (unsigned i = 0; i < cc->nlegs; i++)
		if (cc->legs[i].sip)
			return true;
	return false;
}

static bool has_csta(const struct ccall *cc)
{
	for (unsigned i = 0; i < cc->nlegs; i++)
		if (!cc->legs[i].sip)
			return true;
	return false;
}

/* Adds a line of evidence (once: the same join of the call on another link says it again). */
static void evidence_add(struct ccall *cc, const char *evidence)
{
	if (!evidence[0] || strstr(cc->evidence, evidence))
		return;
	size_t n = strlen(cc->evidence);
	if (n < sizeof(cc->evidence) - 3)
		snprintf(cc->evidence + n, sizeof(cc->evidence) - n, "%s%s", n ? "; " : "", evidence);
}

/* Records how a leg of one world joined a call of the other. */
static void joined(struct ccall *cc, enum join how, const char *evidence)
{
	if (how < cc->join)
		cc->join = (uint8_t)how;
	evidence_add(cc, evidence);
}

static struct leg *leg_add(struct ct_calls *t, struct ccall *cc, const char *key, bool sip, const char *link,
			   const char *call_id, ct_time_t ts)
{
	if (cc->nlegs >= CALLS_MAX_LEGS) {
		t->ctr->calls_legs_dropped++;
		return NULL;
	}
	struct leg *l = &cc->legs[cc->nlegs++];
	memset(l, 0, sizeof(*l));
	l->sip = sip;
	snprintf(l->link, sizeof(l->link), "%s", link ? link : "");
	snprintf(l->call_id, sizeof(l->call_id), "%s", call_id ? call_id : "");
	idx_add(t, &l->k, key, cc, ts);
	if (ts < cc->start)
		cc->start = ts;
	return l;
}

static struct party *party_find(struct ccall *cc, const char *device)
{
	for (unsigned i = 0; i < cc->nparties; i++)
		if (strcmp(cc->parties[i].device, device) == 0)
			return &cc->parties[i];
	return NULL;
}

/* When a call has rung more devices than it keeps (a ring-all group, a long hunt), a device
 * that rang and never answered makes room: the one that answers is always kept. */
static struct party *party_room(struct ct_calls *t, struct ccall *cc)
{
	if (cc->nparties < CALLS_MAX_PARTIES)
		return &cc->parties[cc->nparties++];
	struct party *v = NULL;
	for (unsigned i = 0; i < cc->nparties; i++) {
		struct party *q = &cc->parties[i];
		if (q->answered || q->on_call || q->originated || q->rec == REC_ON || q->rec == REC_PAUSED)
			continue;
		if (!v || (q->released && !v->released))
			v = q;
	}
	t->ctr->calls_parties_dropped++;
	if (!v)
		return NULL;
	memmove(v, v + 1, (size_t)(&cc->parties[cc->nparties] - (v + 1)) * sizeof(*v)); /* keep the order */
	return &cc->parties[cc->nparties - 1];
}

static struct party *party(struct ct_calls *t, struct ccall *cc, const char *device, bool csta)
{
	if (empty(device))
		return NULL;
	struct party *p = party_find(cc, device);
	if (!p) {
		p = party_room(t, cc);
		if (!p)
			return NULL;
		memset(p, 0, sizeof(*p));
		snprintf(p->device, sizeof(p->device), "%s", device);
	}
	if (csta)
		p->csta = true;
	return p;
}

static void min_time(ct_time_t *dst, ct_time_t v)
{
	if (v && (!*dst || v < *dst))
		*dst = v;
}

static void rec_stop(struct ct_calls *t, struct ccall *cc, struct party *p, const char *reason, ct_time_t ts);
static void leave(struct ct_calls *t, struct ccall *cc, struct party *p, const char *reason, ct_time_t ts);

/* The recorded intervals of q added to p's, in time order (the cap keeps the first). */
static void iv_merge(struct party *p, const struct party *q)
{
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
static struct ccall *merge(struct ct_calls *t, struct ccall *a, struct ccall *b)
{
	if (a == b || !a || !b)
		return a ? a : b;
	if (b->start < a->start) {
		struct ccall *x = a;
		a = b;
		b = x;
	}
	t->ctr->calls_merged++;
	for (unsigned i = 0; i < b->nlegs; i++) {
		struct leg *l = &b->legs[i];
		char key[CALLS_KEY];
		snprintf(key, sizeof(key), "%s", l->k.key);
		ct_time_t ts = l->k.ts;
		idx_del(t, &l->k);
		if (a->nlegs >= CALLS_MAX_LEGS) {
			t->ctr->calls_legs_dropped++;
			continue;
		}
		struct leg *n = &a->legs[a->nlegs++];
		*n = *l;
		n->k.used = false;
		idx_add(t, &n->k, key, a, ts);
	}
	b->nlegs = 0;
	for (unsigned i = 0; i < CALLS_MAX_KEYS; i++) {
		struct ikey *k = &b->keys[i];
		if (!k->used)
			continue;
		char key[CALLS_KEY];
		snprintf(key, sizeof(key), "%s", k->key);
		ct_time_t ts = k->ts;
		idx_del(t, k);
		if (!idx_find(t, key))
			for (unsigned j = 0; j < CALLS_MAX_KEYS; j++)
				if (!a->keys[j].used) {
					idx_add(t, &a->keys[j], key, a, ts);
					break;
				}
	}
	for (unsigned i = 0; i < b->nparties; i++) {
		struct party *q = &b->parties[i];
		struct party *p = party_find(a, q->device);
		if (!p) {
			if (a->nparties < CALLS_MAX_PARTIES)
				a->parties[a->nparties++] = *q;
			else
				leave(t, b, q, "cleared", b->last); /* not kept: its recording and agent see it go */
			continue;
		}
		min_time(&p->alerted, q->alerted);
		min_time(&p->answered, q->answered);
		/* still in one of the two calls: still in the merged one; out of both: since the first */
		p->released = p->released && q->released ? (p->released < q->released ? p->released : q->released) : 0;
		p->csta |= q->csta;
		p->originated |= q->originated;
		if (q->on_call && p->on_call && t->cfg.hooks.agent_call)
			t->cfg.hooks.agent_call(t->cfg.hooks.user, q->device, false, b->last); /* one call now */
		p->on_call |= q->on_call;
		bool p_on = p->rec == REC_ON || p->rec == REC_PAUSED, q_on = q->rec == REC_ON || q->rec == REC_PAUSED;
		if (p_on && q_on)
			rec_stop(t, b, q, "merged", b->last); /* recorded once, in the merged call */
		else if (q_on)
			p->rec = q->rec; /* goes on in the merged call (the recorder knows b's id: "merged") */
		iv_merge(p, q);
	}
	for (unsigned i = 0; i < b->nxfers && a->nxfers < CALLS_MAX_XFER; i++)
		a->xfers[a->nxfers++] = b->xfers[i];
	for (unsigned i = 0; i < b->ndivs && a->ndivs < CALLS_MAX_XFER; i++)
		a->divs[a->ndivs++] = b->divs[i];
	for (unsigned i = 0; i < b->naudit; i++)
		note(a, b->audit[i].kind, b->audit[i].detail);
	a->audit_more += b->audit_more;
	if (a->nmerged < CALLS_MAX_MERGED)
		snprintf(a->merged[a->nmerged++], sizeof(a->merged[0]), "%s", b->id);
	for (unsigned i = 0; i < b->nmerged && a->nmerged < CALLS_MAX_MERGED; i++)
		snprintf(a->merged[a->nmerged++], sizeof(a->merged[0]), "%s", b->merged[i]);
	min_time(&a->answer, b->answer);
	if (b->last > a->last)
		a->last = b->last;
	if (b->ended_at > a->ended_at)
		a->ended_at = b->ended_at;
	if (b->sip_ended_at > a->sip_ended_at)
		a->sip_ended_at = b->sip_ended_at;
	a->holds += b->holds;
	a->hold_us += b->hold_us;
	if (b->held && !a->held) {
		a->held = true;
		a->held_since = b->held_since;
	}
	if (b->sip_first && (!a->sip_first || b->sip_first < a->sip_first)) {
		a->sip_first = b->sip_first;
		memcpy(a->sip_calling, b->sip_calling, sizeof(a->sip_calling));
		memcpy(a->sip_called, b->sip_called, sizeof(a->sip_called));
	}
	set(a->csta_calling, sizeof(a->csta_calling), b->csta_calling);
	set(a->csta_called, sizeof(a->csta_called), b->csta_called);
	if (!strcmp(a->direction, "unknown"))
		memcpy(a->direction, b->direction, sizeof(a->direction));
	set(a->released_by, sizeof(a->released_by), b->released_by);
	set(a->cause, sizeof(a->cause), b->cause);
	set(a->sip_cause, sizeof(a->sip_cause), b->sip_cause);
	set(a->sip_disposition, sizeof(a->sip_disposition), b->sip_disposition);
	a->csta_busy |= b->csta_busy;
	a->network |= b->network;
	if (b->join < a->join)
		a->join = b->join;
	if (b->evidence[0])
		joined(a, (enum join)a->join, b->evidence);
	if (!a->queued_at) {
		a->queued_at = b->queued_at;
		a->queue_end = b->queue_end;
		memcpy(a->queue_dev, b->queue_dev, sizeof(a->queue_dev));
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
	if (b->conferenced) {
		a->conferenced = true;
		for (unsigned i = 0; i < b->nconf && a->nconf < CALLS_MAX_PARTIES; i++)
			memcpy(a->conf[a->nconf++], b->conf[i], sizeof(a->conf[0]));
	}
	call_free(t, b);
	return a;
}

/* ---- recording ----------------------------------------------------------------------- */

/* The device at the phone end of a SIP leg: the callee of a leg a PBX placed, the caller of
 * a leg that came into a B2BUA. */
static const char *leg_device(const struct leg *l)
{
	return l->b2b_in ? l->calling : l->device;
}

/* A device leaves the call when the last SIP leg it has in it ends (a conference keeps its
 * first leg when the consultation leg is dropped). */
static bool other_leg(const struct ccall *cc, const struct leg *l, const char *device)
{
	for (unsigned i = 0; i < cc->nlegs; i++) {
		const struct leg *o = &cc->legs[i];
		if (o != l && o->sip && !o->ended && !o->bye && strcmp(leg_device(o), device) == 0)
			return true;
	}
	return false;
}

static struct party *leaving(struct ccall *cc, const struct leg *l)
{
	const char *d = leg_device(l);
	return other_leg(cc, l, d) ? NULL : party_find(cc, d);
}

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

static void rtp_endpoint(struct ct_json *j, const struct ct_calls_ep *e, const char *dir)
{
	if (!e->ip[0] || !e->port)
		return;
	ct_json_obj_begin(j);
	ct_json_kv_str(j, "ip", e->ip);
	ct_json_kv_u64(j, "port", e->port);
	ct_json_kv_str(j, "dir", dir);
	ct_json_obj_end(j);
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

static void rec_emit(struct ct_calls *t, struct ccall *cc, const struct party *p, const char *action,
		     const char *reason, ct_time_t ts)
{
	t->ctr->recording_triggers++;
	struct ct_emitter *em = t->em;
	ct_emit_begin(em, CT_REC_RECORDING, ts, cc->id);
	struct ct_json *j = &em->json;
	ct_json_kv_str(j, "action", action);
	ct_rec_kv_text(j, "device", p->device);
	ct_json_kv_str(j, "reason", reason);
	bool caller = false;
	const struct leg *l = device_leg(cc, p->device, &caller);
	if (l && (l->sdp_caller.port || l->sdp_callee.port)) {
		/* each stream named by where it comes from: "out" from the device's own SDP address,
		 * "in" from the peer's (symmetric RTP, RFC 4961) */
		bool callee = !caller;
		const struct ct_calls_ep *own = callee ? &l->sdp_callee : &l->sdp_caller;
		const struct ct_calls_ep *peer = callee ? &l->sdp_caller : &l->sdp_callee;
		ct_json_key(j, "rtp");
		ct_json_arr_begin(j);
		rtp_endpoint(j, own, "out");
		rtp_endpoint(j, peer, "in");
		ct_json_arr_end(j);
	}
	ct_emit_end(em);
}

static void rec_start(struct ct_calls *t, struct ccall *cc, struct party *p, const char *reason, ct_time_t ts)
{
	if (!p || (p->rec != REC_NONE && p->rec != REC_STOPPED) || p->niv >= CALLS_MAX_IV)
		return;
	if (!t->cfg.hooks.record_device || !t->cfg.hooks.record_device(t->cfg.hooks.user, p->device))
		return;
	p->rec = REC_ON;
	p->iv[p->niv].start = ts;
	p->iv[p->niv++].end = 0;
	rec_emit(t, cc, p, "start", reason, ts);
}

static void rec_hold(struct ct_calls *t, struct ccall *cc, struct party *p, bool on, ct_time_t ts)
{
	if (!p || !t->cfg.pause_on_hold)
		return;
	if (on && p->rec == REC_ON) {
		p->rec = REC_PAUSED;
		close_iv(p, ts);
		rec_emit(t, cc, p, "pause", "held", ts);
	} else if (!on && p->rec == REC_PAUSED && p->niv < CALLS_MAX_IV) {
		p->rec = REC_ON;
		p->iv[p->niv].start = ts;
		p->iv[p->niv++].end = 0;
		rec_emit(t, cc, p, "resume", "retrieved", ts);
	}
}

static void rec_stop(struct ct_calls *t, struct ccall *cc, struct party *p, const char *reason, ct_time_t ts)
{
	if (!p || (p->rec != REC_ON && p->rec != REC_PAUSED))
		return;
	if (p->rec == REC_ON)
		close_iv(p, ts);
	p->rec = REC_STOPPED;
	rec_emit(t, cc, p, "stop", reason, ts);
}

/* ---- moments of the call ----------------------------------------------------------------- */

/* Which agent was at the device when it rang, answered or placed the call. */
static void note_agent(struct ct_calls *t, struct party *p)
{
	const char *id = t->cfg.hooks.agent_id ? t->cfg.hooks.agent_id(t->cfg.hooks.user, p->device) : NULL;
	if (id && !p->agent_id[0])
		snprintf(p->agent_id, sizeof(p->agent_id), "%s", id);
}

static void alerted(struct ct_calls *t, struct ccall *cc, struct party *p, ct_time_t ts)
{
	if (p && !p->alerted)
		p->alerted = ts;
	if (p)
		note_agent(t, p);
	if (p && t->cfg.start_on_alert)
		rec_start(t, cc, p, "alerted", ts);
}

static void answered(struct ct_calls *t, struct ccall *cc, struct party *p, ct_time_t ts)
{
	min_time(&cc->answer, ts);
	if (!p)
		return;
	if (!p->answered)
		p->answered = ts;
	note_agent(t, p);
	if (!p->originated && !strcmp(cc->direction, "outbound")) {
		/* the far end answered: the agents who placed the call talk from now on (an internal
		 * call, such as a consultation, is not a customer conversation) */
		for (unsigned i = 0; i < cc->nparties; i++)
			if (cc->parties[i].originated && !cc->parties[i].released)
				rec_start(t, cc, &cc->parties[i], "answered", ts);
	}
	if (p->external)
		return;
	rec_start(t, cc, p, "answered", ts);
	if (!p->on_call && t->cfg.hooks.agent_call) {
		p->on_call = true;
		t->cfg.hooks.agent_call(t->cfg.hooks.user, p->device, true, ts);
	}
}

/* The device is out of the call (as far as recording and agent state go). */
static void leave(struct ct_calls *t, struct ccall *cc, struct party *p, const char *reason, ct_time_t ts)
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
static void released(struct ct_calls *t, struct ccall *cc, struct party *p, const char *reason, ct_time_t ts)
{
	if (!p)
		return;
	if (!p->released)
		p->released = ts;
	if (cc->xfer_ts && ts >= cc->xfer_ts && ts - cc->xfer_ts <= t->cfg.window && !strcmp(cc->xfer_dev, p->device))
		reason = "transferred";
	leave(t, cc, p, reason, ts);
}

static void transfer_asked(struct ccall *cc, const char *device, ct_time_t ts)
{
	if (empty(device))
		return;
	snprintf(cc->xfer_dev, sizeof(cc->xfer_dev), "%s", device);
	cc->xfer_ts = ts;
}

/* Hold reported by several legs (SIP, and each CSTA link) counts once for the call; the
 * device that held pauses its recording. */
static void hold(struct ct_calls *t, struct ccall *cc, struct party *p, bool on, ct_time_t ts)
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

static void leg_end(struct ccall *cc, struct leg *l, ct_time_t ts)
{
	if (!l)
		return;
	l->ended = true;
	if (ts > cc->ended_at)
		cc->ended_at = ts; /* a later clearing of the same leg (CallCleared after ConnectionCleared) */
}

static bool all_ended(const struct ccall *cc, bool sip_only)
{
	for (unsigned i = 0; i < cc->nlegs; i++)
		if (!cc->legs[i].ended && (!sip_only || cc->legs[i].sip))
			return false;
	return cc->nlegs > 0;
}

static void add_xfer(struct xfer *list, unsigned *n, const char *from, const char *to, const char *kind, ct_time_t ts)
{
	if (*n >= CALLS_MAX_XFER)
		return;
	struct xfer *x = &list[(*n)++];
	snprintf(x->from, sizeof(x->from), "%s", from ? from : "");
	snprintf(x->to, sizeof(x->to), "%s", to ? to : "");
	snprintf(x->kind, sizeof(x->kind), "%s", kind);
	x->ts = ts;
}

static void conf_add(struct ccall *cc, const char *device)
{
	if (empty(device) || cc->nconf >= CALLS_MAX_PARTIES)
		return;
	for (unsigned i = 0; i < cc->nconf; i++)
		if (strcmp(cc->conf[i], device) == 0)
			return;
	snprintf(cc->conf[cc->nconf++], sizeof(cc->conf[0]), "%s", device);
}

static void cti_lag(struct ccall *cc, const char *device, ct_time_t delivered)
{
	/* the screen pop an agent feels: a call coming in to the agent's device */
	if (cc->has_cti_lag || !delivered || strcmp(cc->direction, "inbound"))
		return;
	for (unsigned i = 0; i < cc->nlegs; i++) {
		const struct leg *l = &cc->legs[i];
		if (l->sip && l->invite_ts && !l->b2b_in && strcmp(l->device, device) == 0) {
			cc->cti_lag = (int64_t)delivered - (int64_t)l->invite_ts;
			cc->has_cti_lag = true;
			return;
		}
	}
}

/* ---- SIP ---------------------------------------------------------------------------------- */

static bool sip_leg_to(const struct ccall *cc, const char *device)
{
	for (unsigned i = 0; i < cc->nlegs; i++)
		if (cc->legs[i].sip && !cc->legs[i].ended && strcmp(cc->legs[i].device, device) == 0)
			return true;
	return false;
}

/* A Replaces value (RFC 3891: callid;to-tag=..;from-tag=.., percent-encoded inside a
 * Refer-To URI), decoded. */
struct replaces {
	char callid[260];
	char to[80], from[80];
};

static void replaces_parse(const char *in, struct replaces *r)
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
	return empty(tag) ? 0 : ct_hash(&t->key, tag, strlen(tag));
}

static bool tag_known(const struct leg *l, uint64_t h)
{
	for (unsigned i = 0; h && i < CALLS_MAX_TAGS; i++)
		if (l->tags[i] == h)
			return true;
	return false;
}

static void tag_add(struct leg *l, uint64_t h)
{
	if (!h || tag_known(l, h))
		return;
	for (unsigned i = 0; i < CALLS_MAX_TAGS; i++)
		if (!l->tags[i]) {
			l->tags[i] = h;
			return;
		}
}

/* The dialog a Replaces names, if it is open and its tags are the ones named (either way
 * round: RFC 3891 names them as the replaced UA sees them). */
static struct leg *replaced_leg(struct ct_calls *t, const struct replaces *r, struct ccall **cc)
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

/* The calling numbers matched: the called numbers, when both sides have one, must too (after
 * numbers.* normalisation). Writes the evidence. */
static bool numbers_agree(struct ct_calls *t, const char *ncalling, const char *called1, const char *called2,
			  char *ev, size_t evcap)
{
	char n1[CT_CSTA_DEV], n2[CT_CSTA_DEV];
	const char *a = norm(t, called1, n1, sizeof(n1)), *b = norm(t, called2, n2, sizeof(n2));
	if (a && b && strcmp(a, b))
		return false;
	snprintf(ev, evcap, "calling number %s%s%s on both sides within %" PRIu64 " ms", ncalling, a && b ? ", called " : "",
		 a && b ? a : "", (uint64_t)(t->cfg.window / 1000u));
	return true;
}

/* The B2BUA index entry: the host an INVITE reached, and its caller (ip gets the host). */
static void b2b_key(char v[CALLS_KEY], char ip[64], const struct ct_addr *host, const char *ncalling)
{
	ct_addr_format(host, ip, 64);
	snprintf(v, CALLS_KEY, "%s|%s", ip, ncalling);
}

/* The call a new SIP dialog belongs to, and how it was found. */
static struct ccall *sip_join(struct ct_calls *t, const struct ct_calls_sip *s, const char *ncalling, char *ev,
			      size_t evcap, enum join *how)
{
	struct ccall *cc;
	*how = J_NONE;
	if (!empty(s->replaces)) {
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
				const char *lc = l->sip ? norm(t, l->calling, nc, sizeof(nc)) : NULL;
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
	const char *ncalled = norm(t, s->called, nd, sizeof(nd));
	if (ncalled && (cc = lookup(t, "numc", ncalled, s->ts, true)) && !sip_leg_to(cc, s->called)) {
		*how = J_NUMBER;
		snprintf(ev, evcap, "dialled number %s on both sides within %" PRIu64 " ms", ncalled,
			 (uint64_t)(t->cfg.window / 1000u));
		return cc;
	}
	return NULL;
}

static void sip_remember(struct ct_calls *t, struct ccall *cc, const struct ct_calls_sip *s, const char *ncalling)
{
	char nd[CT_CSTA_DEV];
	remember(t, cc, "numd", norm(t, s->called, nd, sizeof(nd)), s->ts);
	remember(t, cc, "ucid", s->ucid, s->ts);
	remember(t, cc, "dev", s->called, s->ts);
	remember(t, cc, "dev", s->calling, s->ts);
	if (ncalling) {
		remember(t, cc, "num", ncalling, s->ts);
		if (s->dst) {
			char ip[64], v[CALLS_KEY];
			b2b_key(v, ip, s->dst, ncalling);
			remember(t, cc, "b2b", v, s->ts);
		}
	}
}


static struct ccall *sip_moment(struct ct_calls *t, const struct ct_calls_sip *s);

const char *ct_calls_sip(struct ct_calls *t, const struct ct_calls_sip *s)
{
	struct ccall *cc = sip_moment(t, s);
	if (!cc)
		return NULL;
	touch(t, cc);
	return cc->id;
}

static struct ccall *sip_moment(struct ct_calls *t, const struct ct_calls_sip *s)
{
	char key[CALLS_KEY], nc[CT_CSTA_DEV];
	mkkey(key, "sip", s->call_id, NULL);
	struct ccall *cc = NULL;
	struct leg *l = leg_of(t, key, &cc);
	const char *ncalling = norm(t, s->calling, nc, sizeof(nc));
	bool invite = strcmp(s->name, "invite") == 0;
	if (!l) {
		/* a leg that was written already, or a dialog that is no call (NOTIFY, INFO, a
		 * failed REFER): only what an INVITE dialog says starts one */
		static const char *const starters[] = { "invite", "reinvite", "ringing", "answer", "hold",
							"resume", "reinvite_answer", "bye", "cancel", "ack" };
		bool starts = false;
		for (size_t i = 0; i < sizeof(starters) / sizeof(starters[0]); i++)
			starts = starts || !strcmp(s->name, starters[i]);
		if (!starts)
			return NULL;
		char ev[CALLS_EVIDENCE] = "";
		enum join how = J_NONE;
		cc = invite ? sip_join(t, s, ncalling, ev, sizeof(ev), &how) : NULL;
		if (!cc) {
			char id[40];
			call_id_of(t, id, "sip", s->call_id, NULL, s->ts);
			cc = call_new(t, id, s->ts);
			if (!cc)
				return NULL;
			cc->fragment = !invite;
		} else if (how != J_NONE) {
			joined(cc, how, ev);
		} else {
			evidence_add(cc, ev);
		}
		l = leg_add(t, cc, key, true, NULL, s->call_id, s->ts);
		if (!l)
			return cc;
	}
	if (s->ts > cc->last)
		cc->last = s->ts;
	if (l->ended && strcmp(s->name, "dialog_end"))
		l->ended = false; /* a late message reopens it */
	tag_add(l, tag_hash(t, s->from_tag));
	tag_add(l, tag_hash(t, s->to_tag));
	const char *name = s->name;
	if (invite) {
		if (!l->invite_ts) {
			l->invite_ts = s->ts;
			snprintf(l->device, sizeof(l->device), "%s", s->called ? s->called : "");
			snprintf(l->calling, sizeof(l->calling), "%s", s->calling ? s->calling : "");
			if (s->src)
				l->invite_src = *s->src;
			if (s->dst)
				l->invite_dst = *s->dst;
			if (!cc->sip_first || s->ts < cc->sip_first) {
				/* the caller took part too (listed when no CTI names the parties) */
				struct party *cp = party(t, cc, s->calling, false);
				if (cp)
					cp->originated = true;
				cc->sip_first = s->ts;
				snprintf(cc->sip_calling, sizeof(cc->sip_calling), "%s", s->calling ? s->calling : "");
				snprintf(cc->sip_called, sizeof(cc->sip_called), "%s", s->called ? s->called : "");
			}
		}
		if (s->sdp_caller && !l->sdp_caller.port)
			l->sdp_caller = *s->sdp_caller;
		if (s->dst)
			l->hop = *s->dst;
		sip_remember(t, cc, s, ncalling);
		/* CTI reported the device alerted before this INVITE reached it */
		const struct party *ap = empty(s->called) ? NULL : party_find(cc, s->called);
		if (ap && ap->csta && ap->alerted)
			cti_lag(cc, s->called, ap->alerted);
	} else if (!strcmp(name, "ringing")) {
		/* the callee rings; a phone that placed the call (a B2BUA's incoming leg) hears it */
		if (!l->b2b_in)
			alerted(t, cc, party(t, cc, leg_device(l), false), s->ts);
	} else if (!strcmp(name, "answer")) {
		l->answered = true;
		if (!l->answer_ts)
			l->answer_ts = s->ts;
		if (s->sdp_caller && !l->sdp_caller.port)
			l->sdp_caller = *s->sdp_caller;
		if (s->sdp_callee)
			l->sdp_callee = *s->sdp_callee;
		/* the callee answered: a phone that placed the call (a B2BUA's incoming leg) did not */
		if (!l->b2b_in)
			answered(t, cc, party(t, cc, leg_device(l), false), s->ts);
		else
			min_time(&cc->answer, s->ts);
		/* a recorded device that placed the call is recorded from now on (SIP only: with CTI
		 * its Originated said so) */
		if (!has_csta(cc) && t->cfg.hooks.record_device && !empty(l->calling) &&
		    t->cfg.hooks.record_device(t->cfg.hooks.user, l->calling)) {
			struct party *cp = party(t, cc, l->calling, false);
			if (cp && !cp->answered) {
				cp->originated = true;
				rec_start(t, cc, cp, "answered", s->ts);
			}
		}
	} else if (!strcmp(name, "hold") || !strcmp(name, "resume")) {
		/* the device of the leg: the agent's phone holds (or is held by) the customer */
		hold(t, cc, party_find(cc, leg_device(l)), !strcmp(name, "hold"), s->ts);
	} else if (!strcmp(name, "bye")) {
		bool from_callee = s->src && !memcmp(s->src, &l->invite_dst, sizeof(*s->src));
		const char *who = from_callee ? l->device : l->calling;
		if (!has_csta(cc))
			set(cc->released_by, sizeof(cc->released_by), who);
		l->bye = true;
		released(t, cc, leaving(cc, l), "cleared", s->ts);
	} else if (!strcmp(name, "failure") && s->status && !cc->answer && !cc->sip_cause[0] && s->status != 401 &&
		   s->status != 407) {
		snprintf(cc->sip_cause, sizeof(cc->sip_cause), "sip_%u", s->status);
		l->bye = true; /* the INVITE failed: the dialog is over but for its timers */
	} else if (!strcmp(name, "cancel")) {
		l->bye = true;
		released(t, cc, leaving(cc, l), "cleared", s->ts);
	} else if (!strcmp(name, "refer")) {
		struct replaces r;
		replaces_parse(empty(s->refer_replaces) ? "" : s->refer_replaces, &r);
		snprintf(l->pending_from, sizeof(l->pending_from), "%s", s->calling ? s->calling : "");
		snprintf(l->pending_to, sizeof(l->pending_to), "%s", s->refer_to ? s->refer_to : "");
		snprintf(l->pending_kind, sizeof(l->pending_kind), "%s", r.callid[0] ? "replaces" : "refer");
		l->pending_ts = s->ts;
		transfer_asked(cc, s->calling, s->ts);
		struct ccall *o = NULL;
		if (r.callid[0] && replaced_leg(t, &r, &o) && o != cc) {
			/* attended transfer: the consultation dialog is part of this customer's call */
			{
				char ev[CALLS_EVIDENCE];
				snprintf(ev, sizeof(ev), "REFER in %s replaces dialog %s", s->call_id, r.callid);
				cc = merge(t, cc, o);
				evidence_add(cc, ev);
			}
		}
	} else if (!strcmp(name, "refer_accepted")) {
		if (l->pending_kind[0]) {
			add_xfer(cc->xfers, &cc->nxfers, l->pending_from, l->pending_to, l->pending_kind, l->pending_ts);
			l->pending_kind[0] = '\0';
		}
	} else if (!strcmp(name, "dialog_end")) {
		set(cc->sip_disposition, sizeof(cc->sip_disposition), s->disposition);
		if (s->ts > cc->sip_ended_at)
			cc->sip_ended_at = s->ts;
		if (s->bye_seen || !s->answered)
			released(t, cc, leaving(cc, l), "cleared", s->ts);
		char d[512];
		if (s->answered && !s->bye_seen && s->end_reason && strcmp(s->end_reason, "bye")) {
			snprintf(d, sizeof(d), "SIP dialog %.120s was answered but no BYE was seen (ended by %s)", s->call_id,
				 s->end_reason);
			finding(t, cc, s->ts, "missing_event", NULL, d);
		}
		l->answered_sip = s->answered;
		l->rtp_flows = s->rtp_flows;
		if (!s->answered && !s->status && s->end_reason && !strcmp(s->end_reason, "timeout")) {
			snprintf(d, sizeof(d), "SIP INVITE of dialog %.120s got no final response", s->call_id);
			finding(t, cc, s->ts, "missing_event", NULL, d);
		}
		if (s->end_reason && !strcmp(s->end_reason, "evicted")) {
			snprintf(d, sizeof(d), "SIP dialog %.120s ended early: sip.max_calls reached", s->call_id);
			finding(t, cc, s->ts, "evicted", NULL, d);
		}
		if (s->retrans) {
			snprintf(d, sizeof(d), "SIP dialog %.120s: %u retransmitted messages", s->call_id, s->retrans);
			finding(t, cc, s->ts, "retransmission", NULL, d);
		}
		leg_end(cc, l, s->ts);
	}
	return cc;
}

/* ---- CSTA --------------------------------------------------------------------------------- */

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
static struct ccall *csta_join(struct ct_calls *t, const char *link, const struct ct_csta_msg *m, const char *dev,
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
	const char *ncalling = norm(t, m->calling, nc, sizeof(nc));
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
static struct ccall *late_join(struct ct_calls *t, struct ccall *cc, const char *dev, ct_time_t ts)
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
static struct ccall *late_join_dialled(struct ct_calls *t, struct ccall *cc, const char *called, ct_time_t ts)
{
	char nd[CT_CSTA_DEV];
	const char *n = norm(t, called, nd, sizeof(nd));
	struct ccall *o = n ? lookup(t, "numd", n, ts, true) : NULL;
	if (!o || o == cc || has_csta(o))
		return cc;
	char ev[CALLS_EVIDENCE];
	snprintf(ev, sizeof(ev), "dialled number %s on both sides within %" PRIu64 " ms", n,
		 (uint64_t)(t->cfg.window / 1000u));
	return merge_joined(t, cc, o, J_NUMBER, ev);
}

static void route_key(char *v, size_t cap, const char *link, const char *xref)
{
	snprintf(v, cap, "%s|%s", link, xref);
}

static struct ccall *csta_moment(struct ct_calls *t, const char *link, const char *name,
				 const struct ct_csta_msg *m, ct_time_t ts);

const char *ct_calls_csta(struct ct_calls *t, const char *link, const char *name, const struct ct_csta_msg *m,
			  ct_time_t ts)
{
	struct ccall *cc = csta_moment(t, link, name, m, ts);
	if (!cc)
		return NULL;
	touch(t, cc);
	return cc->id;
}

static struct ccall *csta_moment(struct ct_calls *t, const char *link, const char *name,
				 const struct ct_csta_msg *m, ct_time_t ts)
{
	char key[CALLS_KEY], v[CALLS_KEY];
	struct ccall *cc = NULL;
	if (m->kind == CT_CSTA_REQUEST && !strcmp(name, "route_select_request") && m->xref[0]) {
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
	bool route_req = m->kind == CT_CSTA_REQUEST && !strcmp(name, "route_request");
	if (m->kind != CT_CSTA_EVENT && !route_req) {
		if (l && m->kind == CT_CSTA_REQUEST && strstr(name, "transfer_call"))
			transfer_asked(cc, m->conn.device[0] ? m->conn.device : m->subject, ts);
		return l ? cc : NULL; /* a service about a call: tag it, nothing more */
	}
	t->csta_seen = true;
	const char *dev = m->subject[0] ? m->subject : m->conn.device;
	if (!l) {
		char ev[CALLS_EVIDENCE] = "";
		enum join how = J_NONE;
		cc = csta_join(t, link, m, dev, ts, ev, sizeof(ev), &how);
		if (!cc) {
			char id[40];
			call_id_of(t, id, "csta", link, m->conn.call_id, ts);
			cc = call_new(t, id, ts);
			if (!cc)
				return NULL;
			cc->fragment = !begins_call(name);
		} else if (how != J_NONE) {
			joined(cc, how, ev);
		} else if (!has_sip(cc)) {
			evidence_add(cc, ev);
		}
		l = leg_add(t, cc, key, false, link, m->conn.call_id, ts);
		if (!l)
			return cc;
	}
	if (ts > cc->last)
		cc->last = ts;
	bool clearing = !strcmp(name, "connection_cleared") || !strcmp(name, "call_cleared") || !strcmp(name, "failed");
	if (l->ended && !clearing && !l->superseded)
		l->ended = false; /* more events: the call goes on */
	char ub[17];
	remember(t, cc, "ucid", csta_ucid(m, ub), ts);
	remember(t, cc, "gid", m->global_call_id, ts);
	remember(t, cc, "cid", m->conn.call_id, ts);
	char nc[CT_CSTA_DEV], nd[CT_CSTA_DEV], d[200];
	if (route_req) {
		cc->routed = true;
		if (!cc->route_req)
			cc->route_req = ts;
		if (m->xref[0]) {
			route_key(v, sizeof(v), link, m->xref);
			remember(t, cc, "route", v, ts);
		}
		set(cc->csta_calling, sizeof(cc->csta_calling), m->calling);
		return cc;
	}
	if (!strcmp(name, "delivered") || !strcmp(name, "offered")) {
		l->alerted_seen = true;
		set(cc->csta_calling, sizeof(cc->csta_calling), m->calling);
		set(cc->csta_called, sizeof(cc->csta_called), m->called);
		if (!strcmp(cc->direction, "unknown"))
			snprintf(cc->direction, sizeof(cc->direction), "inbound");
		else if (!strcmp(cc->direction, "outbound") && !cc->network && !strcmp(dev, cc->csta_called))
			snprintf(cc->direction, sizeof(cc->direction), "internal"); /* it rang a device CTI sees */
		cc = late_join(t, cc, dev, ts);
		struct party *p = party(t, cc, dev, true);
		alerted(t, cc, p, ts);
		remember(t, cc, "dev", dev, ts);
		remember(t, cc, "num", norm(t, m->calling, nc, sizeof(nc)), ts);
		cti_lag(cc, dev, ts);
		if (cc->queued_at && !cc->queue_end && strcmp(dev, cc->queue_dev))
			cc->queue_end = ts;
		if ((cc->queued_at || cc->routed) && t->cfg.hooks.agent_state) {
			const char *st = t->cfg.hooks.agent_state(t->cfg.hooks.user, dev);
			if (st && (!strcmp(st, "not_ready") || !strcmp(st, "logged_off"))) {
				snprintf(d, sizeof(d), "ACD call %s delivered to %s while CTI reports the agent %s",
					 m->conn.call_id, dev, st);
				finding(t, cc, ts, "acd_not_ready", link, d);
			}
		}
	} else if (!strcmp(name, "service_initiated") || !strcmp(name, "originated")) {
		l->alerted_seen = true;
		const char *from = m->calling[0] ? m->calling : m->conn.device;
		if (strcmp(cc->direction, "inbound"))
			snprintf(cc->direction, sizeof(cc->direction), "outbound");
		set(cc->csta_calling, sizeof(cc->csta_calling), from);
		set(cc->csta_called, sizeof(cc->csta_called), m->called);
		cc = late_join(t, cc, from, ts);
		cc = late_join_dialled(t, cc, m->called, ts);
		struct party *op = party(t, cc, from, true);
		if (op && !op->answered)
			op->originated = true;
		if (op)
			note_agent(t, op);
		remember(t, cc, "dev", from, ts);
		remember(t, cc, "numc", norm(t, m->called, nd, sizeof(nd)), ts);
	} else if (!strcmp(name, "network_reached")) {
		cc->network = true;
		set(cc->csta_called, sizeof(cc->csta_called), m->called);
		cc = late_join_dialled(t, cc, m->called, ts);
		remember(t, cc, "numc", norm(t, m->called, nd, sizeof(nd)), ts);
	} else if (!strcmp(name, "established")) {
		if (!l->alerted_seen) {
			snprintf(d, sizeof(d), "CSTA call %s: Established at %s without Delivered or Originated before it",
				 m->conn.call_id, dev);
			finding(t, cc, ts, "missing_event", link, d);
			l->alerted_seen = true;
		}
		bool far = false;
		if (cc->direction[0] == 'o' && !strcmp(dev, cc->csta_calling) && m->called[0])
			dev = m->called; /* the far end answered an outbound call */
		if (cc->direction[0] == 'o' && (!strcmp(dev, cc->csta_called) || !strcmp(dev, m->called)))
			far = true;
		else
			cc = late_join(t, cc, dev, ts);
		struct party *p = party(t, cc, dev, true);
		if (p && far)
			p->external = true;
		answered(t, cc, p, ts);
		remember(t, cc, "dev", dev, ts);
	} else if (!strcmp(name, "held") || !strcmp(name, "retrieved")) {
		hold(t, cc, party(t, cc, dev, true), !strcmp(name, "held"), ts);
	} else if (!strcmp(name, "queued")) {
		if (!cc->queued_at) {
			cc->queued_at = ts;
			snprintf(cc->queue_dev, sizeof(cc->queue_dev), "%s", dev);
		}
	} else if (!strcmp(name, "diverted")) {
		add_xfer(cc->divs, &cc->ndivs, dev, m->other, "diversion", ts);
		released(t, cc, party_find(cc, dev), "diverted", ts); /* the call left the device */
	} else if (!strcmp(name, "transferred") || !strcmp(name, "conferenced")) {
		bool conf = name[0] == 'c';
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
			l = leg_of(t, k1, &cc);
			mkkey(k1, "csta", link, m->conn2.call_id);
			l2 = leg_of(t, k1, &cc);
		}
		if (m->new_call_id[0]) {
			char k3[CALLS_KEY];
			mkkey(k3, "csta", link, m->new_call_id);
			struct ccall *x = NULL;
			if (!leg_of(t, k3, &x))
				leg_add(t, cc, k3, false, link, m->new_call_id, ts);
			else if (x != cc)
				cc = merge(t, cc, x);
		}
		/* the old calls that did not become the resulting one are over */
		const char *nc2 = m->new_call_id[0] ? m->new_call_id : m->conn.call_id;
		for (unsigned i = 0; i < cc->nlegs; i++) {
			struct leg *x = &cc->legs[i];
			if (!x->sip && strcmp(x->link, link) == 0 && strcmp(x->call_id, nc2) &&
			    (strcmp(x->call_id, m->conn.call_id) == 0 || strcmp(x->call_id, m->conn2.call_id) == 0)) {
				x->cleared = true;
				leg_end(cc, x, ts);
			}
		}
		if (cc->held)
			hold(t, cc, NULL, false, ts); /* the customer is connected again */
		if (conf) {
			/* the conference: the caller, every device still in the call, and the party added */
			cc->conferenced = true;
			if (strcmp(cc->direction, "outbound"))
				conf_add(cc, cc->csta_calling);
			for (unsigned i = 0; i < cc->nparties; i++)
				if (cc->parties[i].csta && !cc->parties[i].released)
					conf_add(cc, cc->parties[i].device);
			conf_add(cc, m->other);
			party(t, cc, m->other, true);
		} else {
			add_xfer(cc->xfers, &cc->nxfers, dev, m->other, l2 ? "consultation" : "single_step", ts);
			released(t, cc, party(t, cc, dev, true), "transferred", ts);
			party(t, cc, m->other, true);
		}
		(void)l2;
	} else if (!strcmp(name, "failed")) {
		if (strstr(m->cause, "busy"))
			cc->csta_busy = true;
		/* the call failed at the device it was for: it came in */
		if (!strcmp(cc->direction, "unknown") && m->called[0] && !strcmp(m->called, dev))
			snprintf(cc->direction, sizeof(cc->direction), "inbound");
		set(cc->cause, sizeof(cc->cause), m->cause);
		l->cleared = true;
		leg_end(cc, l, ts);
	} else if (!strcmp(name, "connection_cleared") || !strcmp(name, "call_cleared")) {
		released(t, cc, party(t, cc, dev, true), "cleared", ts);
		if (name[0] == 'c' && name[1] == 'o')
			set(cc->released_by, sizeof(cc->released_by), dev);
		set(cc->cause, sizeof(cc->cause), m->cause);
		if (!cc->answer)
			cc->cleared_before_answer = true;
		l->cleared = true;
		leg_end(cc, l, ts);
	}
	return cc;
}

/* ---- the record ----------------------------------------------------------------------- */

static const char *disposition(const struct ccall *cc, ct_time_t answer)
{
	if (answer)
		return "answered";
	if (cc->csta_busy || !strcmp(cc->sip_disposition, "busy"))
		return "busy";
	if (!strcmp(cc->sip_disposition, "abandoned") || cc->cleared_before_answer)
		return "abandoned";
	if (!strcmp(cc->sip_disposition, "no_answer"))
		return "no_answer";
	return "failed";
}

static void kv_ms_or_null(struct ct_json *j, const char *key, ct_time_t from, ct_time_t to)
{
	if (from && to >= from)
		ct_json_kv_u64(j, key, (to - from) / 1000u);
	else {
		ct_json_key(j, key);
		ct_json_null(j);
	}
}

static void xfer_list(struct ct_json *j, const char *key, const struct xfer *x, unsigned n)
{
	ct_json_key(j, key);
	ct_json_arr_begin(j);
	for (unsigned i = 0; i < n; i++) {
		ct_json_obj_begin(j);
		ct_rec_kv_text(j, "from", x[i].from[0] ? x[i].from : "?");
		ct_rec_kv_text(j, "to", x[i].to[0] ? x[i].to : "?");
		ct_json_kv_str(j, "kind", x[i].kind);
		ct_json_kv_time(j, "ts", x[i].ts);
		ct_json_obj_end(j);
	}
	ct_json_arr_end(j);
}

/* Findings only the whole call shows: CSTA calls never cleared, SIP calls CTI never saw. */
static void final_findings(struct ct_calls *t, struct ccall *cc, ct_time_t end, bool answered_call)
{
	char d[512];
	for (unsigned i = 0; i < cc->nlegs; i++) {
		const struct leg *l = &cc->legs[i];
		if (!l->sip && !l->cleared && !l->superseded) {
			snprintf(d, sizeof(d), "CSTA call %s on link %s: no clearing event was seen", l->call_id, l->link);
			finding(t, cc, end, "missing_event", l->link, d);
		}
	}
	/* media: one flow may carry several legs (a B2BUA's direct media), so the call counts */
	unsigned answered_legs = 0, flows = 0;
	for (unsigned i = 0; i < cc->nlegs; i++) {
		answered_legs += cc->legs[i].answered_sip;
		flows += cc->legs[i].rtp_flows;
	}
	if (t->cfg.rtp && answered_legs && !flows) {
		snprintf(d, sizeof(d), "call answered (%u SIP dialogs) but no RTP flowed on any SDP endpoint of it",
			 answered_legs);
		finding(t, cc, end, "no_rtp", NULL, d);
	}
	if (t->csta_seen && answered_call && has_sip(cc) && !has_csta(cc)) {
		snprintf(d, sizeof(d), "answered SIP call %s never appeared on a CTI link", cc->legs[0].call_id);
		finding(t, cc, end, "orphan_dialog", NULL, d);
	}
}

/* The parties a record lists: the contact-centre devices that rang or answered (with CTI,
 * those CTI reported), not the caller nor the far end of an outbound call. */
static bool listed(const struct ccall *cc, const struct party *p, bool csta)
{
	if ((csta && !p->csta) || p->external || (!p->alerted && !p->answered && !p->originated))
		return false;
	return !(cc->direction[0] == 'i' && cc->csta_calling[0] && !strcmp(p->device, cc->csta_calling));
}

/* The SIP leg that carried the customer: the first one of an inbound call, the one to the
 * dialled number of an outbound call (the trunk leg); NULL when there is none. */
static const struct leg *trunk_leg(const struct ccall *cc)
{
	const struct leg *first = NULL;
	for (unsigned i = 0; i < cc->nlegs; i++) {
		const struct leg *l = &cc->legs[i];
		if (!l->sip || !l->invite_ts)
			continue;
		if (!first || l->invite_ts < first->invite_ts)
			first = l;
	}
	if (strcmp(cc->direction, "outbound") || !first)
		return first;
	/* outbound: the leg whose request-URI is not a device CTI reported */
	for (unsigned i = 0; i < cc->nlegs; i++) {
		const struct leg *l = &cc->legs[i];
		const struct party *p = party_find((struct ccall *)cc, l->device);
		if (l->sip && l->invite_ts && (!p || !p->csta || p->external))
			return l;
	}
	return NULL;
}

static void emit_call(struct ct_calls *t, struct ccall *cc, ct_time_t now)
{
	/* over: when the last leg ended; given up (idle, evicted, end of input): its last news */
	ct_time_t end = all_ended(cc, false) && cc->ended_at ? cc->ended_at : cc->last > cc->ended_at ? cc->last : cc->ended_at;
	if (!end)
		end = now;
	bool csta = has_csta(cc), sip = has_sip(cc);
	/* with CTI, the parties are the devices it reported; SIP-only, the devices the legs reached */
	bool out = !strcmp(cc->direction, "outbound");
	const struct leg *tl = trunk_leg(cc);
	ct_time_t answer = 0;
	for (unsigned i = 0; i < cc->nparties; i++) {
		struct party *p = &cc->parties[i];
		if (csta && !p->csta)
			continue;
		/* an outbound call is answered when the far end answers, not the agent's phone */
		if (!out || p->external || strcmp(p->device, cc->csta_calling))
			min_time(&answer, p->answered);
	}
	if (out && tl && tl->answer_ts && strcmp(tl->device, cc->csta_calling))
		min_time(&answer, tl->answer_ts); /* the far end's 200 OK on the trunk leg */
	if (!answer && !out)
		answer = cc->answer;
	if (cc->held)
		hold(t, cc, NULL, false, end);
	for (unsigned i = 0; i < cc->nparties; i++)
		leave(t, cc, &cc->parties[i], "cleared", end);
	if (!strcmp(cc->direction, "unknown") && csta)
		for (unsigned i = 0; i < cc->nparties; i++)
			if (cc->parties[i].csta && cc->parties[i].answered && strcmp(cc->parties[i].device, cc->csta_calling))
				snprintf(cc->direction, sizeof(cc->direction), "inbound"); /* answered by CTI's device */
	final_findings(t, cc, end, answer != 0);
	struct ct_emitter *em = t->em;
	ct_emit_begin(em, CT_REC_CALL, end, cc->id);
	struct ct_json *j = &em->json;
	ct_json_kv_time(j, "start", cc->start);
	ct_rec_kv_time_or_null(j, "answer", answer);
	ct_json_kv_time(j, "end", end);
	/* what the customer dialled or saw: the trunk leg as SIP shows it, else CTI's view */
	const char *calling = tl && tl->calling[0] ? tl->calling : cc->csta_calling[0] ? cc->csta_calling : cc->sip_calling;
	const char *called = tl && tl->device[0] ? tl->device : cc->csta_called[0] ? cc->csta_called : cc->sip_called;
	ct_rec_kv_text_or_null(j, "calling", calling);
	ct_rec_kv_text_or_null(j, "called", called);
	ct_json_kv_str(j, "direction", cc->direction);
	ct_json_kv_str(j, "disposition", disposition(cc, answer));
	ct_time_t ring_to = answer ? answer : end;
	ct_json_kv_u64(j, "ring_ms", ring_to > cc->start ? (ring_to - cc->start) / 1000u : 0);
	uint64_t talk = answer && end > answer ? end - answer : 0;
	talk = talk > cc->hold_us ? talk - cc->hold_us : 0;
	ct_json_kv_u64(j, "talk_ms", talk / 1000u);
	ct_json_kv_u64(j, "hold_ms", cc->hold_us / 1000u);
	ct_json_kv_u64(j, "holds", cc->holds);
	kv_ms_or_null(j, "queue_ms", cc->queued_at, cc->queue_end ? cc->queue_end : 0);
	kv_ms_or_null(j, "route_ms", cc->route_req, cc->route_sel ? cc->route_sel : 0);
	ct_json_key(j, "cti_lag_ms");
	if (cc->has_cti_lag)
		ct_json_i64(j, cc->cti_lag / 1000);
	else
		ct_json_null(j);
	ct_json_key(j, "parties");
	ct_json_arr_begin(j);
	for (unsigned i = 0; i < cc->nparties; i++) {
		const struct party *p = &cc->parties[i];
		if (!listed(cc, p, csta))
			continue;
		ct_json_obj_begin(j);
		ct_rec_kv_text(j, "device", p->device);
		ct_rec_kv_time_or_null(j, "alerted", p->alerted);
		ct_rec_kv_time_or_null(j, "answered", p->answered);
		ct_rec_kv_time_or_null(j, "released", p->released);
		if (p->agent_id[0])
			ct_rec_kv_text(j, "agent_id", p->agent_id);
		ct_json_obj_end(j);
	}
	ct_json_arr_end(j);
	xfer_list(j, "transfers", cc->xfers, cc->nxfers);
	xfer_list(j, "diversions", cc->divs, cc->ndivs);
	ct_json_key(j, "conference");
	if (cc->conferenced) {
		ct_json_obj_begin(j);
		ct_json_key(j, "parties");
		ct_json_arr_begin(j);
		for (unsigned i = 0; i < cc->nconf; i++)
			ct_json_text(j, (const uint8_t *)cc->conf[i], strlen(cc->conf[i]), CT_TEXT_MAX);
		ct_json_arr_end(j);
		ct_json_obj_end(j);
	} else {
		ct_json_null(j);
	}
	ct_rec_kv_text_or_null(j, "released_by", cc->released_by);
	ct_rec_kv_text_or_null(j, "cause", cc->cause[0] ? cc->cause : cc->sip_cause);
	ct_json_key(j, "csta");
	ct_json_arr_begin(j);
	for (unsigned i = 0; i < cc->nlegs; i++) {
		if (cc->legs[i].sip)
			continue;
		ct_json_obj_begin(j);
		ct_json_kv_str(j, "link", cc->legs[i].link);
		ct_rec_kv_text(j, "call_id", cc->legs[i].call_id);
		ct_json_obj_end(j);
	}
	ct_json_arr_end(j);
	ct_json_key(j, "sip");
	ct_json_arr_begin(j);
	for (unsigned i = 0; i < cc->nlegs; i++)
		if (cc->legs[i].sip)
			ct_json_text(j, (const uint8_t *)cc->legs[i].call_id, strlen(cc->legs[i].call_id), CT_TEXT_MAX);
	ct_json_arr_end(j);
	ct_json_key(j, "merged");
	ct_json_arr_begin(j);
	for (unsigned i = 0; i < cc->nmerged; i++)
		ct_json_str(j, cc->merged[i]);
	ct_json_arr_end(j);
	ct_json_key(j, "correlation");
	ct_json_obj_begin(j);
	static const char *const how[] = { [J_NUMBER] = "number_time", [J_DEVICE] = "device_time",
					   [J_SHARED] = "shared_id" };
	const char *method = cc->join != J_NONE && csta && sip ? how[cc->join] : csta && !sip ? "csta_only"
							    : !csta && sip	       ? "sip_only"
										       : "shared_id";
	ct_json_kv_str(j, "method", method);
	ct_rec_kv_text(j, "evidence", cc->evidence[0] ? cc->evidence : csta && !sip ? "no SIP leg found" : "no CSTA leg found");
	ct_json_obj_end(j);
	ct_json_key(j, "recording");
	ct_json_arr_begin(j);
	for (unsigned i = 0; i < cc->nparties; i++) {
		const struct party *p = &cc->parties[i];
		if (!p->niv)
			continue;
		ct_json_obj_begin(j);
		ct_rec_kv_text(j, "device", p->device);
		ct_json_key(j, "intervals");
		ct_json_arr_begin(j);
		for (unsigned k = 0; k < p->niv; k++) {
			ct_json_obj_begin(j);
			ct_json_kv_time(j, "start", p->iv[k].start);
			ct_rec_kv_time_or_null(j, "end", p->iv[k].end);
			ct_json_obj_end(j);
		}
		ct_json_arr_end(j);
		ct_json_obj_end(j);
	}
	ct_json_arr_end(j);
	ct_json_key(j, "audit");
	ct_json_arr_begin(j);
	for (unsigned i = 0; i < cc->naudit; i++) {
		ct_json_obj_begin(j);
		ct_json_kv_str(j, "kind", cc->audit[i].kind);
		ct_rec_kv_text(j, "detail", cc->audit[i].detail);
		ct_json_obj_end(j);
	}
	if (cc->audit_more) {
		char d[64];
		snprintf(d, sizeof(d), "%u more findings not listed", cc->audit_more);
		ct_json_obj_begin(j);
		ct_json_kv_str(j, "kind", "audit_truncated");
		ct_json_kv_str(j, "detail", d);
		ct_json_obj_end(j);
	}
	ct_json_arr_end(j);
	ct_emit_end(em);
}

void ct_calls_audit_csta(struct ct_calls *t, const char *link, const char *csta_call_id, ct_time_t ts,
			 const char *kind, const char *detail)
{
	char key[CALLS_KEY];
	struct ccall *cc = NULL;
	if (!empty(csta_call_id)) {
		mkkey(key, "csta", link, csta_call_id);
		leg_of(t, key, &cc);
	}
	finding(t, cc, ts, kind, link, detail);
}

unsigned ct_calls_link_blind(struct ct_calls *t, const char *link, ct_time_t from, ct_time_t to, const char *why)
{
	unsigned n = 0;
	for (struct ccall *cc = t->head.next; cc != &t->head; cc = cc->next) {
		bool on_link = false;
		for (unsigned i = 0; i < cc->nlegs; i++)
			if (!cc->legs[i].sip && strcmp(cc->legs[i].link, link) == 0 &&
			    (!cc->legs[i].ended || cc->legs[i].superseded))
				on_link = true;
		if (!on_link)
			continue;
		char d[512];
		snprintf(d, sizeof(d), "CTI link blind for %" PRIu64 " ms (%s) while this call was up",
			 (uint64_t)((to - from) / 1000u), why);
		note(cc, "cti_blind", d); /* the link's own audit record counts the calls */
		n++;
	}
	return n;
}

void ct_calls_tick(struct ct_calls *t, ct_time_t now)
{
	while (t->nheap && t->heap[0]->due <= now) {
		struct ccall *cc = t->heap[0];
		emit_call(t, cc, now);
		call_free(t, cc);
	}
}

void ct_calls_free(struct ct_calls *t, ct_time_t now)
{
	if (!t)
		return;
	while (t->head.next != &t->head) {
		emit_call(t, t->head.next, now);
		call_free(t, t->head.next);
	}
	free(t->heap);
	free(t->buckets);
	free(t);
}
