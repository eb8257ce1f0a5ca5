/* calls.c - customer calls joined across CSTA and SIP legs (behaviour in calls.h). */
#include "calls.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/hash.h"
#include "../util/log.h"
#include "audit.h"

#define CALLS_MAX_LEGS 8
#define CALLS_MAX_KEYS 8
#define CALLS_MAX_PARTIES 8
#define CALLS_KEY 200
#define CALLS_BUCKETS 65536
#define CALLS_MAX_AUDIT 16

struct ccall;

/* An index entry: a leg ("sip:<Call-ID>", "csta:<link>|<callID>"), a UCID ("ucid:<hex>") or
 * a device alerted or calling ("dev:<device>", with its time). */
struct ikey {
	struct ikey *hnext;
	uint64_t h;
	char key[CALLS_KEY];
	ct_time_t ts;
	struct ccall *cc;
	bool used;
};

struct leg {
	bool sip;
	bool ended;
	char link[160];
	char call_id[128];
};

struct party {
	char device[CT_CSTA_DEV];
	ct_time_t alerted, answered, released;
};

struct finding {
	char kind[24];
	char detail[160];
};

struct ccall {
	struct ccall *prev, *next;
	char id[40];
	ct_time_t start, alert, answer, last, ended_at;
	bool held;
	ct_time_t held_since;
	uint64_t hold_us;
	unsigned holds;
	char calling[CT_CSTA_DEV], called[CT_CSTA_DEV];
	char direction[12];
	char released_by[CT_CSTA_DEV];
	char cause[48];
	char sip_disposition[16];
	bool csta_busy, cleared_before_answer;
	char method[16];
	char evidence[160];
	struct leg legs[CALLS_MAX_LEGS];
	struct ikey keys[CALLS_MAX_LEGS + CALLS_MAX_KEYS]; /* keys[i] for legs[i]; the rest for ids */
	unsigned nlegs, nkeys_extra;
	struct party parties[CALLS_MAX_PARTIES];
	unsigned nparties;
	struct finding audit[CALLS_MAX_AUDIT];
	unsigned naudit, audit_more; /* findings kept, and those past the cap (counted) */
};

struct ct_calls {
	struct ct_calls_cfg cfg;
	struct ct_counters *ctr;
	struct ct_emitter *em;
	struct ct_hashkey key;
	struct ikey *buckets[CALLS_BUCKETS];
	struct ccall head; /* list sentinel, oldest first */
	uint32_t live;
};

int ct_calls_new(struct ct_calls **out, const struct ct_calls_cfg *cfg, struct ct_counters *ctr,
		 struct ct_emitter *em)
{
	struct ct_calls *t = calloc(1, sizeof(*t));
	if (!t)
		return CT_ENOMEM;
	t->cfg = *cfg;
	t->ctr = ctr;
	t->em = em;
	ct_hashkey_fixed(&t->key, 0x63616c6c73UL);
	t->head.prev = t->head.next = &t->head;
	*out = t;
	return CT_OK;
}

static void set(char *dst, size_t cap, const char *src)
{
	if (src && src[0] && !dst[0])
		snprintf(dst, cap, "%s", src);
}

static struct ikey *idx_find(struct ct_calls *t, const char *key)
{
	uint64_t h = ct_hash(&t->key, key, strlen(key));
	for (struct ikey *k = t->buckets[h % CALLS_BUCKETS]; k; k = k->hnext)
		if (k->h == h && strcmp(k->key, key) == 0)
			return k;
	return NULL;
}

static void idx_add(struct ct_calls *t, struct ikey *k, const char *key, struct ccall *cc, ct_time_t ts)
{
	snprintf(k->key, sizeof(k->key), "%s", key);
	k->h = ct_hash(&t->key, k->key, strlen(k->key));
	k->cc = cc;
	k->ts = ts;
	k->used = true;
	k->hnext = t->buckets[k->h % CALLS_BUCKETS];
	t->buckets[k->h % CALLS_BUCKETS] = k;
}

static void idx_del(struct ct_calls *t, struct ikey *k)
{
	if (!k->used)
		return;
	struct ikey **pp = &t->buckets[k->h % CALLS_BUCKETS];
	while (*pp && *pp != k)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = k->hnext;
	k->used = false;
}

/* Remembers an id of the call (UCID, device) for the legs still to come; a device entry is
 * moved to the newest call that names it. */
static void remember(struct ct_calls *t, struct ccall *cc, const char *kind, const char *value, ct_time_t ts)
{
	if (!value || !value[0])
		return;
	char key[CALLS_KEY];
	snprintf(key, sizeof(key), "%s:%s", kind, value);
	struct ikey *k = idx_find(t, key);
	if (k) {
		if (k->cc == cc) {
			k->ts = ts;
			return;
		}
		if (strcmp(kind, "dev"))
			return; /* a UCID stays with the call that had it first */
		idx_del(t, k);
	}
	if (cc->nkeys_extra >= CALLS_MAX_KEYS)
		return;
	idx_add(t, &cc->keys[CALLS_MAX_LEGS + cc->nkeys_extra++], key, cc, ts);
}

/* A call that already has a leg of this kind (SIP, or CSTA on this link) is not joined by
 * device and time: on a busy device that would merge two calls into one. */
static bool has_leg_like(const struct ccall *cc, bool sip, const char *link)
{
	for (unsigned i = 0; i < cc->nlegs; i++)
		if (cc->legs[i].sip == sip && (sip || strcmp(cc->legs[i].link, link ? link : "") == 0))
			return true;
	return false;
}

static struct ccall *lookup(struct ct_calls *t, const char *kind, const char *value, ct_time_t ts, bool timed)
{
	if (!value || !value[0])
		return NULL;
	char key[CALLS_KEY];
	snprintf(key, sizeof(key), "%s:%s", kind, value);
	struct ikey *k = idx_find(t, key);
	if (!k)
		return NULL;
	if (timed) {
		ct_time_t d = ts > k->ts ? ts - k->ts : k->ts - ts;
		if (d > t->cfg.window)
			return NULL;
	}
	return k->cc;
}

static void emit_call(struct ct_calls *t, struct ccall *cc, ct_time_t now);

/* A finding about call cc (may be NULL): an audit record now, and a line in the call record. */
static void finding(struct ct_calls *t, struct ccall *cc, ct_time_t ts, const char *kind, const char *link,
		    const char *detail)
{
	ct_audit(t->em, ts, cc ? cc->id : NULL, kind, link, 0, "%s", detail);
	if (!cc)
		return;
	if (cc->naudit >= CALLS_MAX_AUDIT) {
		cc->audit_more++;
		return;
	}
	struct finding *f = &cc->audit[cc->naudit++];
	snprintf(f->kind, sizeof(f->kind), "%s", kind);
	snprintf(f->detail, sizeof(f->detail), "%s", detail);
}

static void call_free(struct ct_calls *t, struct ccall *cc)
{
	for (unsigned i = 0; i < CALLS_MAX_LEGS + CALLS_MAX_KEYS; i++)
		idx_del(t, &cc->keys[i]);
	cc->prev->next = cc->next;
	cc->next->prev = cc->prev;
	t->live--;
	free(cc);
}

/* The call of a leg: its own, or one it joins by UCID or device and time, or a new one. */
static struct ccall *leg_call(struct ct_calls *t, const char *leg_key, const char *ucid, const char *dev1,
			      const char *dev2, ct_time_t ts, bool sip, const char *link, const char *call_id,
			      const char *leg_id, struct leg **out)
{
	struct ikey *k = idx_find(t, leg_key);
	if (k) {
		for (unsigned i = 0; i < k->cc->nlegs; i++)
			if (&k->cc->keys[i] == k)
				*out = &k->cc->legs[i];
		return k->cc;
	}
	struct ccall *cc = lookup(t, "ucid", ucid, ts, false);
	const char *method = "shared_id";
	char evidence[160] = "";
	if (cc) {
		snprintf(evidence, sizeof(evidence), "UCID %s in SIP User-to-User and CSTA correlatorData", ucid);
	} else if (((cc = lookup(t, "dev", dev1, ts, true)) && !has_leg_like(cc, sip, link)) ||
		   ((cc = lookup(t, "dev", dev2, ts, true)) && !has_leg_like(cc, sip, link))) {
		method = "device_time";
		snprintf(evidence, sizeof(evidence), "device %s on both sides within %" PRIu64 " ms",
			 lookup(t, "dev", dev1, ts, true) == cc ? dev1 : dev2, (uint64_t)(t->cfg.window / 1000u));
	}
	if (cc && (cc->nlegs >= CALLS_MAX_LEGS || (!strcmp(method, "device_time") && has_leg_like(cc, sip, link))))
		cc = NULL;
	if (cc && cc->nlegs && cc->legs[0].sip != sip && (!strcmp(cc->method, "sip_only") || !strcmp(cc->method, "csta_only"))) {
		snprintf(cc->method, sizeof(cc->method), "%s", method);
		snprintf(cc->evidence, sizeof(cc->evidence), "%s", evidence);
	}
	if (!cc) {
		if (t->live >= t->cfg.max_calls && t->head.next != &t->head) {
			t->ctr->calls_evicted++;
			emit_call(t, t->head.next, ts);
			call_free(t, t->head.next);
		}
		cc = calloc(1, sizeof(*cc));
		if (!cc)
			return NULL;
		snprintf(cc->id, sizeof(cc->id), "%s", leg_id);
		snprintf(cc->method, sizeof(cc->method), "%s", sip ? "sip_only" : "csta_only");
		snprintf(cc->evidence, sizeof(cc->evidence), "%s", sip ? "no CSTA leg found" : "no SIP leg found");
		snprintf(cc->direction, sizeof(cc->direction), "unknown");
		cc->start = ts;
		cc->prev = t->head.prev;
		cc->next = &t->head;
		t->head.prev->next = cc;
		t->head.prev = cc;
		t->live++;
		t->ctr->calls++;
	}
	struct leg *l = &cc->legs[cc->nlegs];
	l->sip = sip;
	snprintf(l->link, sizeof(l->link), "%s", link ? link : "");
	snprintf(l->call_id, sizeof(l->call_id), "%s", call_id ? call_id : "");
	idx_add(t, &cc->keys[cc->nlegs], leg_key, cc, ts);
	cc->nlegs++;
	if (ts < cc->start)
		cc->start = ts;
	*out = l;
	return cc;
}

static struct party *party(struct ccall *cc, const char *device)
{
	if (!device || !device[0])
		return NULL;
	for (unsigned i = 0; i < cc->nparties; i++)
		if (strcmp(cc->parties[i].device, device) == 0)
			return &cc->parties[i];
	if (cc->nparties >= CALLS_MAX_PARTIES)
		return NULL;
	struct party *p = &cc->parties[cc->nparties++];
	snprintf(p->device, sizeof(p->device), "%s", device);
	return p;
}

static void alerted(struct ccall *cc, const char *device, ct_time_t ts)
{
	struct party *p = party(cc, device);
	if (p && !p->alerted)
		p->alerted = ts;
	if (!cc->alert)
		cc->alert = ts;
}

static void answered(struct ccall *cc, const char *device, ct_time_t ts)
{
	struct party *p = party(cc, device);
	if (p && !p->answered)
		p->answered = ts;
	if (!cc->answer)
		cc->answer = ts;
}

/* Hold reported by several legs (SIP, and each CSTA link) counts once. */
static void hold(struct ccall *cc, bool on, ct_time_t ts)
{
	if (on && !cc->held) {
		cc->held = true;
		cc->held_since = ts;
		cc->holds++;
	} else if (!on && cc->held) {
		cc->held = false;
		cc->hold_us += ts - cc->held_since;
	}
}

static void leg_end(struct ccall *cc, struct leg *l, ct_time_t ts)
{
	if (l->ended)
		return;
	l->ended = true;
	if (ts > cc->ended_at)
		cc->ended_at = ts;
}

void ct_calls_sip(struct ct_calls *t, const char *leg_id, const char *call_id, const char *name, ct_time_t ts,
		  const char *calling, const char *called, const char *ucid, unsigned status, const char *disposition)
{
	char key[CALLS_KEY];
	snprintf(key, sizeof(key), "sip:%s", call_id);
	struct leg *l = NULL;
	struct ccall *cc = leg_call(t, key, ucid, called, calling, ts, true, NULL, call_id, leg_id, &l);
	if (!cc)
		return;
	if (ts > cc->last)
		cc->last = ts;
	if (!strcmp(name, "invite")) {
		set(cc->calling, sizeof(cc->calling), calling);
		set(cc->called, sizeof(cc->called), called);
		remember(t, cc, "ucid", ucid, ts);
		remember(t, cc, "dev", called, ts);
		remember(t, cc, "dev", calling, ts);
	} else if (!strcmp(name, "ringing")) {
		alerted(cc, cc->called, ts);
	} else if (!strcmp(name, "answer")) {
		answered(cc, cc->called, ts);
	} else if (!strcmp(name, "hold") || !strcmp(name, "resume")) {
		hold(cc, !strcmp(name, "hold"), ts);
	} else if (!strcmp(name, "failure") && status && !cc->answer && !cc->cause[0]) {
		snprintf(cc->cause, sizeof(cc->cause), "sip_%u", status);
	} else if (!strcmp(name, "dialog_end")) {
		set(cc->sip_disposition, sizeof(cc->sip_disposition), disposition);
		leg_end(cc, l, ts);
	}
}

void ct_calls_csta(struct ct_calls *t, const char *leg_id, const char *link, const char *name,
		   const struct ct_csta_msg *m, ct_time_t ts)
{
	if (!m->conn.call_id[0] || m->kind != CT_CSTA_EVENT)
		return;
	char key[CALLS_KEY];
	snprintf(key, sizeof(key), "csta:%s|%s", link, m->conn.call_id);
	const char *ucid = m->correlator[0] ? m->correlator : NULL;
	const char *dev = m->subject[0] ? m->subject : m->conn.device;
	struct leg *l = NULL;
	struct ccall *cc = leg_call(t, key, ucid, dev, m->calling, ts, false, link, m->conn.call_id, leg_id, &l);
	if (!cc)
		return;
	if (ts > cc->last)
		cc->last = ts;
	remember(t, cc, "ucid", ucid, ts);
	if (!strcmp(name, "delivered")) {
		set(cc->calling, sizeof(cc->calling), m->calling);
		set(cc->called, sizeof(cc->called), m->called);
		if (!strcmp(cc->direction, "unknown"))
			snprintf(cc->direction, sizeof(cc->direction), "inbound");
		alerted(cc, dev, ts);
		remember(t, cc, "dev", dev, ts);
	} else if (!strcmp(name, "service_initiated") || !strcmp(name, "originated")) {
		snprintf(cc->direction, sizeof(cc->direction), "outbound");
		set(cc->calling, sizeof(cc->calling), m->calling[0] ? m->calling : m->conn.device);
		set(cc->called, sizeof(cc->called), m->called);
		remember(t, cc, "dev", m->calling[0] ? m->calling : m->conn.device, ts);
	} else if (!strcmp(name, "network_reached")) {
		set(cc->called, sizeof(cc->called), m->called);
	} else if (!strcmp(name, "established")) {
		answered(cc, dev, ts);
	} else if (!strcmp(name, "held") || !strcmp(name, "retrieved")) {
		hold(cc, !strcmp(name, "held"), ts);
	} else if (!strcmp(name, "failed")) {
		if (strstr(m->cause, "busy"))
			cc->csta_busy = true;
		/* the call failed at the device it was for: it came in */
		if (!strcmp(cc->direction, "unknown") && m->called[0] && !strcmp(m->called, dev))
			snprintf(cc->direction, sizeof(cc->direction), "inbound");
		set(cc->cause, sizeof(cc->cause), m->cause);
		leg_end(cc, l, ts);
	} else if (!strcmp(name, "connection_cleared") || !strcmp(name, "call_cleared")) {
		struct party *p = party(cc, dev);
		if (p && !p->released)
			p->released = ts;
		set(cc->released_by, sizeof(cc->released_by), dev);
		set(cc->cause, sizeof(cc->cause), m->cause);
		if (!cc->answer)
			cc->cleared_before_answer = true;
		leg_end(cc, l, ts);
	}
}

static const char *disposition(const struct ccall *cc)
{
	if (cc->answer)
		return "answered";
	if (cc->csta_busy || !strcmp(cc->sip_disposition, "busy"))
		return "busy";
	if (!strcmp(cc->sip_disposition, "abandoned") || cc->cleared_before_answer)
		return "abandoned";
	if (!strcmp(cc->sip_disposition, "no_answer"))
		return "no_answer";
	return "failed";
}

static void kv_time_or_null(struct ct_json *j, const char *key, ct_time_t t)
{
	if (t)
		ct_json_kv_time(j, key, t);
	else {
		ct_json_key(j, key);
		ct_json_null(j);
	}
}

static void kv_text_or_null(struct ct_json *j, const char *key, const char *s)
{
	if (s && s[0])
		ct_json_kv_text(j, key, (const uint8_t *)s, strlen(s), CT_TEXT_MAX);
	else {
		ct_json_key(j, key);
		ct_json_null(j);
	}
}

static void emit_call(struct ct_calls *t, struct ccall *cc, ct_time_t now)
{
	ct_time_t end = cc->ended_at ? cc->ended_at : (cc->last ? cc->last : now);
	if (cc->held)
		hold(cc, false, end);
	struct ct_emitter *em = t->em;
	ct_emit_begin(em, CT_REC_CALL, end, cc->id);
	struct ct_json *j = &em->json;
	ct_json_kv_time(j, "start", cc->start);
	kv_time_or_null(j, "answer", cc->answer);
	ct_json_kv_time(j, "end", end);
	kv_text_or_null(j, "calling", cc->calling);
	kv_text_or_null(j, "called", cc->called);
	ct_json_kv_str(j, "direction", cc->direction);
	ct_json_kv_str(j, "disposition", disposition(cc));
	ct_time_t ring_from = cc->alert ? cc->alert : cc->start;
	ct_time_t ring_to = cc->answer ? cc->answer : end;
	ct_json_kv_u64(j, "ring_ms", ring_to > ring_from ? (ring_to - ring_from) / 1000u : 0);
	uint64_t talk = cc->answer && end > cc->answer ? end - cc->answer : 0;
	talk = talk > cc->hold_us ? talk - cc->hold_us : 0;
	ct_json_kv_u64(j, "talk_ms", talk / 1000u);
	ct_json_kv_u64(j, "hold_ms", cc->hold_us / 1000u);
	ct_json_kv_u64(j, "holds", cc->holds);
	ct_json_key(j, "parties");
	ct_json_arr_begin(j);
	for (unsigned i = 0; i < cc->nparties; i++) {
		const struct party *p = &cc->parties[i];
		ct_json_obj_begin(j);
		ct_json_kv_text(j, "device", (const uint8_t *)p->device, strlen(p->device), CT_TEXT_MAX);
		kv_time_or_null(j, "alerted", p->alerted);
		kv_time_or_null(j, "answered", p->answered);
		kv_time_or_null(j, "released", p->released);
		ct_json_obj_end(j);
	}
	ct_json_arr_end(j);
	ct_json_key(j, "transfers");
	ct_json_arr_begin(j);
	ct_json_arr_end(j);
	ct_json_key(j, "conference");
	ct_json_null(j);
	kv_text_or_null(j, "released_by", cc->released_by);
	kv_text_or_null(j, "cause", cc->cause);
	ct_json_key(j, "csta");
	ct_json_arr_begin(j);
	for (unsigned i = 0; i < cc->nlegs; i++) {
		if (cc->legs[i].sip)
			continue;
		ct_json_obj_begin(j);
		ct_json_kv_str(j, "link", cc->legs[i].link);
		ct_json_kv_text(j, "call_id", (const uint8_t *)cc->legs[i].call_id, strlen(cc->legs[i].call_id), CT_TEXT_MAX);
		ct_json_obj_end(j);
	}
	ct_json_arr_end(j);
	ct_json_key(j, "sip");
	ct_json_arr_begin(j);
	for (unsigned i = 0; i < cc->nlegs; i++)
		if (cc->legs[i].sip)
			ct_json_text(j, (const uint8_t *)cc->legs[i].call_id, strlen(cc->legs[i].call_id), CT_TEXT_MAX);
	ct_json_arr_end(j);
	ct_json_key(j, "correlation");
	ct_json_obj_begin(j);
	ct_json_kv_str(j, "method", cc->method);
	ct_json_kv_str(j, "evidence", cc->evidence);
	ct_json_obj_end(j);
	ct_json_key(j, "recording");
	ct_json_arr_begin(j);
	ct_json_arr_end(j);
	ct_json_key(j, "audit");
	ct_json_arr_begin(j);
	for (unsigned i = 0; i < cc->naudit; i++) {
		ct_json_obj_begin(j);
		ct_json_kv_str(j, "kind", cc->audit[i].kind);
		ct_json_kv_text(j, "detail", (const uint8_t *)cc->audit[i].detail, strlen(cc->audit[i].detail),
				CT_TEXT_MAX);
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
	snprintf(key, sizeof(key), "csta:%s|%s", link, csta_call_id ? csta_call_id : "");
	struct ikey *k = csta_call_id && csta_call_id[0] ? idx_find(t, key) : NULL;
	finding(t, k ? k->cc : NULL, ts, kind, link, detail);
}

unsigned ct_calls_link_blind(struct ct_calls *t, const char *link, ct_time_t from, ct_time_t to, const char *why)
{
	unsigned n = 0;
	for (struct ccall *cc = t->head.next; cc != &t->head; cc = cc->next) {
		bool on_link = false, open = false;
		for (unsigned i = 0; i < cc->nlegs; i++) {
			if (!cc->legs[i].sip && strcmp(cc->legs[i].link, link) == 0)
				on_link = true;
			if (!cc->legs[i].ended)
				open = true;
		}
		if (!on_link || !open)
			continue;
		char d[160];
		snprintf(d, sizeof(d), "CTI link blind for %" PRIu64 " ms (%s)", (uint64_t)((to - from) / 1000u), why);
		if (cc->naudit < CALLS_MAX_AUDIT) {
			struct finding *f = &cc->audit[cc->naudit++];
			snprintf(f->kind, sizeof(f->kind), "cti_blind");
			snprintf(f->detail, sizeof(f->detail), "%s", d);
		} else {
			cc->audit_more++;
		}
		n++;
	}
	return n;
}

void ct_calls_tick(struct ct_calls *t, ct_time_t now)
{
	for (struct ccall *cc = t->head.next, *n; cc != &t->head; cc = n) {
		n = cc->next;
		unsigned ended = 0;
		for (unsigned i = 0; i < cc->nlegs; i++)
			ended += cc->legs[i].ended;
		if (cc->nlegs && ended == cc->nlegs && now >= cc->ended_at + t->cfg.settle) {
			emit_call(t, cc, now);
			call_free(t, cc);
		}
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
	free(t);
}
