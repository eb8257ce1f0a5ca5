/* sipcall.c - SIP call and dialog tracking, transactions and SIP event records
 * (behaviour in sipcall.h; RFC 3261 sections 12, 17, 20). */
#include "sipcall.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../capture/packet.h"
#include "../util/heap.h"
#include "../util/htab.h"
#include "../util/id.h"
#include "../util/log.h"
#include "calls.h"
#include "media.h"

#define CALLID_MAX 256
#define TAG_MAX 64
#define TX_RING 32
#define EXPIRE_BUDGET 64

struct call {
	struct ct_hnode hn;       /* in the table, by Call-ID */
	struct ct_heap_node timer; /* its next deadline */
	struct call *next_free;
	bool used;
	uint8_t state;
	bool invite_seen, answered, cancelled, bye;
	bool csta_session;        /* uaCSTA: the dialog carries CSTA, it is not a phone call */
	uint16_t cid_len;
	char *cid;                /* the Call-ID (cid_len bytes, at most CALLID_MAX), allocated */
	char id[CT_ID_MAX];       /* ctitap's call id */
	char *to_tag;             /* of the dialog that was answered (NULL: none), allocated */
	uint64_t early[4];        /* to-tags of the early dialogs (forked responses, RFC 3261 12.1) */
	unsigned nearly;
	ct_time_t start, last, answer, end;
	unsigned final_status;
	uint32_t invite_cseq;
	uint32_t failed_cseq;      /* CSeq of the latest INVITE answered by a failure (its ACK is no answer) */
	uint32_t messages, retrans;
	uint64_t *tx;             /* fingerprints of recent transactions' messages: grown up to
				   * TX_RING, then a ring (seen_before) */
	uint8_t ctx;              /* tx's size */
	struct ct_calls_ep sdp_caller, sdp_callee; /* audio endpoints of the initial offer/answer */
	unsigned ntx;
	struct ct_media_call media;
};

struct ct_sipcalls {
	struct ct_sipcall_cfg cfg;
	struct ct_hashkey key;
	struct ct_counters *ctr;
	const struct ct_report *rep;
	struct ct_media *media;
	struct ct_calls *calls;
	struct call *pool;
	uint32_t npool, used;
	struct call *free;
	struct ct_htab table;     /* struct call by Call-ID */
	struct ct_heap timers;    /* struct call by deadline */
	uint32_t live;
};

void ct_sipcall_cfg_default(struct ct_sipcall_cfg *cfg)
{
	cfg->max_calls = 100000;
	cfg->linger = 32 * CT_USEC_PER_SEC;        /* 64*T1: retransmissions still recognised */
	cfg->setup_timeout = 300 * CT_USEC_PER_SEC;
	cfg->idle_timeout = 4 * 3600 * CT_USEC_PER_SEC;
	cfg->events_all = false;
}

int ct_sipcalls_new(struct ct_sipcalls **out, const struct ct_sipcall_cfg *cfg, const struct ct_hashkey *key,
		    struct ct_counters *ctr, const struct ct_report *rep, struct ct_media *media)
{
	struct ct_sipcalls *t = calloc(1, sizeof(*t));
	if (!t)
		return CT_ENOMEM;
	t->cfg = *cfg;
	t->key = *key;
	t->ctr = ctr;
	t->rep = rep;
	t->media = media;
	t->npool = cfg->max_calls ? cfg->max_calls : 1;
	t->pool = calloc(t->npool, sizeof(*t->pool));
	if (!t->pool)
		goto free_t;
	if (ct_htab_init(&t->table, t->npool, (size_t)1 << 28) != CT_OK)
		goto free_pool;
	if (ct_heap_init(&t->timers, t->npool < 1024 ? t->npool : 1024) != CT_OK)
		goto free_table;
	*out = t;
	return CT_OK;

free_table:
	ct_htab_free(&t->table);
free_pool:
	free(t->pool);
free_t:
	free(t);
	return CT_ENOMEM;
}

void ct_sipcalls_set_calls(struct ct_sipcalls *t, struct ct_calls *calls)
{
	t->calls = calls;
}

/* --- timers ----------------------------------------------------------------------------- */

static void set_deadline(struct ct_sipcalls *t, struct call *c, ct_time_t when)
{
	if (c->timer.in)
		ct_heap_update(&t->timers, &c->timer, when);
	else if (ct_heap_push(&t->timers, &c->timer, when) != CT_OK)
		t->ctr->sip_timers_failed++; /* out of memory: the call ends when the table needs it */
}

/* --- the call table ------------------------------------------------------------------- */

static struct call *call_find(const struct ct_sipcalls *t, struct ct_slice cid, uint64_t h)
{
	for (struct ct_hnode *n = ct_htab_first(&t->table, h); n; n = ct_htab_next(n)) {
		struct call *c = CT_CONTAINER_OF(n, struct call, hn);
		if (c->cid_len == cid.len && memcmp(c->cid, cid.p, cid.len) == 0)
			return c;
	}
	return NULL;
}

/* A NUL-terminated copy of packet text into a fixed buffer, cut at its size and counted
 * when cut (a SIP user, tag or Replaces longer than the correlator keeps). */
static void copy_text(struct ct_sipcalls *t, char *dst, size_t cap, struct ct_slice s)
{
	size_t n = s.len < cap - 1 ? s.len : cap - 1;
	if (n)
		memcpy(dst, s.p, n);
	dst[n] = '\0';
	if (n < s.len)
		t->ctr->sip_fields_cut++;
}

/* The answered dialog's to-tag, kept to TAG_MAX - 1 bytes (a cut counted). */
static void keep_to_tag(struct ct_sipcalls *t, struct call *c, struct ct_slice tag)
{
	char buf[TAG_MAX];
	copy_text(t, buf, sizeof(buf), tag);
	free(c->to_tag);
	c->to_tag = strdup(buf); /* NULL (out of memory): written as none */
}

static enum ct_disposition disposition(const struct call *c)
{
	if (c->answered)
		return CT_DISP_ANSWERED;
	if (c->cancelled)
		return CT_DISP_ABANDONED;
	return ct_disposition_of_status(c->final_status);
}

static void call_end(struct ct_sipcalls *t, struct call *c, ct_time_t now, enum ct_dialog_end_reason why)
{
	if (t->media)
		ct_media_call_end(t->media, &c->media, now);
	if (t->calls && !c->csta_session) {
		/* the dialog ended at its BYE (or final answer), not when its timer ran out */
		char cid[CALLID_MAX + 1];
		copy_text(t, cid, sizeof(cid), ct_slice_make(c->cid, c->cid_len));
		struct ct_calls_sip s = { .call_id = cid, .moment = CT_SIP_M_DIALOG_END, .ts = c->end ? c->end : c->last,
					  .status = c->final_status, .disposition = disposition(c), .bye_seen = c->bye,
					  .answered = c->answered, .retrans = c->retrans,
					  .rtp_flows = c->media.rtp_flows, .end_reason = why };
		const char *id = ct_calls_sip(t->calls, &s);
		if (id)
			snprintf(c->id, sizeof(c->id), "%s", id);
	}
	if (t->rep && t->rep->dialog_end) {
		struct ct_dialog_end v = { .ts = now, .call = c->id, .call_id = ct_slice_make(c->cid, c->cid_len),
					   .reason = why, .state = (enum ct_dialog_state)c->state,
					   .disposition = disposition(c), .invite_seen = c->invite_seen,
					   .csta_session = c->csta_session, .status = c->final_status, .start = c->start,
					   .answer = c->answered ? c->answer : 0, .end = c->end ? c->end : c->last,
					   .to_tag = c->to_tag ? c->to_tag : "", .early_dialogs = c->nearly,
					   .messages = c->messages, .retransmissions = c->retrans };
		t->rep->dialog_end(t->rep->user, &v);
	}

	ct_htab_del(&t->table, &c->hn);
	ct_heap_remove(&t->timers, &c->timer);
	free(c->cid);
	free(c->to_tag);
	free(c->tx);
	memset(c, 0, sizeof(*c));
	c->next_free = t->free;
	t->free = c;
	t->live--;
}

static struct call *call_new(struct ct_sipcalls *t, struct ct_slice cid, uint64_t h, ct_time_t now)
{
	char *text = malloc(cid.len);
	if (!text)
		return NULL; /* out of memory: the message is not tracked */
	struct call *c = t->free;
	if (c) {
		t->free = c->next_free;
	} else if (t->used < t->npool) {
		c = &t->pool[t->used++];
	} else {
		/* full: end the call whose timer is nearest (every call has one) */
		struct ct_heap_node *top = ct_heap_top(&t->timers);
		if (!top) {
			free(text);
			return NULL;
		}
		t->ctr->sip_calls_evicted++;
		if (ct_log_sample(t->ctr->sip_calls_evicted))
			ct_warn("SIP call table full (sip.max_calls=%u): oldest call ended early", t->cfg.max_calls);
		call_end(t, CT_CONTAINER_OF(top, struct call, timer), now, CT_DEND_EVICTED);
		c = t->free;
		t->free = c->next_free;
	}
	memset(c, 0, sizeof(*c));
	c->used = true;
	c->cid_len = (uint16_t)cid.len; /* at most CALLID_MAX: longer ones are refused before */
	c->cid = text;
	memcpy(c->cid, cid.p, cid.len);
	ct_id_bytes(c->id, "sip", 0x7369706361UL, cid.p, cid.len);
	c->media.call = c->id;
	c->start = c->last = now;
	ct_htab_add(&t->table, &c->hn, h);
	t->live++;
	return c;
}

/* --- events --------------------------------------------------------------------------- */

/* The moment goes to the call correlator, which says which customer call it belongs to: from
 * then on the dialog's events and RTP streams carry that call's id. */
/* Who a message names, found once for its event and for the call correlator. */
struct who {
	struct ct_slice from, to;       /* the From and To URIs */
	struct ct_slice calling, called; /* an INVITE: PAI (else From) user, request-URI (else To) user */
};

static void who_of(const struct ct_sip_msg *m, struct who *w)
{
	w->from = ct_sip_uri(ct_sip_get(m, CT_H_FROM));
	w->to = ct_sip_uri(ct_sip_get(m, CT_H_TO));
	w->calling = w->called = ct_slice_make(NULL, 0);
	if (m->request && m->method == CT_SIP_INVITE) {
		struct ct_slice pai = ct_sip_uri_user(ct_sip_uri(ct_sip_get(m, CT_H_PAI)));
		struct ct_slice ru = ct_sip_uri_user(m->uri);
		w->calling = pai.len ? pai : ct_sip_uri_user(w->from);
		w->called = ru.len ? ru : ct_sip_uri_user(w->to);
	}
}

/* The status a REFER's NOTIFY reports (RFC 3515: Event: refer, a message/sipfrag body whose
 * first line is "SIP/2.0 NNN ..."), 0 when it is not one. */
static unsigned refer_progress(const struct ct_sip_msg *m)
{
	struct ct_slice ev = ct_sip_get(m, CT_H_EVENT);
	const char *b = (const char *)m->body.p;
	if (ev.len < 5 || strncasecmp((const char *)ev.p, "refer", 5) || (ev.len > 5 && ev.p[5] != ';' && ev.p[5] != ' '))
		return 0;
	if (m->body.len < 11 || memcmp(b, "SIP/2.0 ", 8))
		return 0;
	unsigned st = 0;
	for (size_t i = 8; i < 11; i++) {
		if (b[i] < '0' || b[i] > '9')
			return 0;
		st = st * 10 + (unsigned)(b[i] - '0');
	}
	return st;
}

static void to_calls(struct ct_sipcalls *t, struct call *c, enum ct_sip_moment moment, const struct ct_sip_msg *m,
		     const struct ct_sip_meta *meta, const struct who *w)
{
	if (!t->calls || c->csta_session)
		return;
	struct ct_calls_ep ep;
	if (t->media && ct_media_sdp_audio(t->media, ep.ip, sizeof(ep.ip), &ep.port)) {
		if (m->request && (moment == CT_SIP_M_INVITE || (m->method == CT_SIP_ACK && m->cseq == c->invite_cseq)))
			c->sdp_caller = ep;
		else if (!m->request && (moment == CT_SIP_M_RINGING || moment == CT_SIP_M_ANSWER))
			c->sdp_callee = ep;
	}
	char cid[CALLID_MAX + 1], calling[64] = "", called[64] = "", ucid[17] = "", replaces[CALLID_MAX + 1] = "";
	char refer_to[64] = "", refer_rep[CALLID_MAX + 1] = "", ftag[TAG_MAX] = "", ttag[TAG_MAX] = "";
	copy_text(t, ftag, sizeof(ftag), m->from_tag);
	copy_text(t, ttag, sizeof(ttag), m->to_tag);
	copy_text(t, cid, sizeof(cid), ct_slice_make(c->cid, c->cid_len));
	struct ct_calls_sip s = { .call_id = cid, .moment = moment, .ts = meta->ts, .src = &meta->src,
				  .dst = &meta->dst, .from_tag = ftag, .to_tag = ttag };
	if (m->request && m->method == CT_SIP_INVITE) {
		copy_text(t, calling, sizeof(calling), w->calling);
		copy_text(t, called, sizeof(called), w->called);
		ct_sip_uui_ucid_hex(ct_sip_get(m, CT_H_USER_TO_USER), ucid);
		copy_text(t, replaces, sizeof(replaces), ct_sip_get(m, CT_H_REPLACES));
		s.calling = calling;
		s.called = called;
		s.ucid = ucid[0] ? ucid : NULL;
		s.replaces = replaces[0] ? replaces : NULL;
	} else if (m->request && m->method == CT_SIP_REFER) {
		struct ct_slice uri = ct_sip_uri(ct_sip_get(m, CT_H_REFER_TO));
		copy_text(t, refer_to, sizeof(refer_to), ct_sip_uri_user(uri));
		copy_text(t, refer_rep, sizeof(refer_rep), ct_sip_refer_replaces(uri));
		copy_text(t, calling, sizeof(calling), ct_sip_uri_user(w->from));
		s.calling = calling;
		s.refer_to = refer_to;
		s.refer_replaces = refer_rep[0] ? refer_rep : NULL;
	}
	s.sdp_caller = c->sdp_caller.port ? &c->sdp_caller : NULL;
	s.sdp_callee = c->sdp_callee.port ? &c->sdp_callee : NULL;
	s.status = m->request ? (m->method == CT_SIP_NOTIFY ? refer_progress(m) : 0) : m->status;
	s.ends_dialog = !m->request && m->method == CT_SIP_INVITE && m->status >= 300 && !c->answered &&
			c->state == CT_DLG_TERMINATED;
	const char *id = ct_calls_sip(t->calls, &s);
	if (id && strcmp(id, c->id)) {
		snprintf(c->id, sizeof(c->id), "%s", id); /* c->media.call is c->id */
	}
}

/* The event of a message (moment: its name) and, unless a retransmission, its moment for the
 * call correlator (to_call: what it means for the call, which an ACK standing for a lost 200 OK
 * makes an answer). */
/* meta as if the message had gone the other way (a lost message its answer tells of). */
static const struct ct_sip_meta *reversed(const struct ct_sip_meta *meta, struct ct_sip_meta *out)
{
	*out = *meta;
	out->src = meta->dst;
	out->dst = meta->src;
	out->sport = meta->dport;
	out->dport = meta->sport;
	return out;
}

static void event_as(struct ct_sipcalls *t, struct call *c, enum ct_sip_moment moment, enum ct_sip_moment to_call,
		     const struct ct_sip_msg *m, const struct ct_sip_meta *meta, bool retrans)
{
	if (c && c->csta_session && !t->cfg.events_all)
		return; /* its CSTA content is reported as csta events */
	struct who w;
	who_of(m, &w);
	if (c && !retrans) {
		/* an ACK telling of a 2xx the capture lost: the answer came from the other side */
		struct ct_sip_meta rev;
		to_calls(t, c, to_call, m, to_call != moment ? reversed(meta, &rev) : meta, &w);
	}
	const struct ct_sdp *sdp = c && t->media ? ct_media_take_sdp(t->media) : NULL;
	if (!t->rep || !t->rep->sip_event)
		return;
	struct ct_sip_event v = { .ts = meta->ts, .call = c ? c->id : NULL, .moment = moment, .retrans = retrans,
				  .msg = m, .meta = meta, .from = w.from, .to = w.to, .calling = w.calling,
				  .called = w.called, .sdp = sdp };
	t->rep->sip_event(t->rep->user, &v);
}

static void event(struct ct_sipcalls *t, struct call *c, enum ct_sip_moment moment, const struct ct_sip_msg *m,
		  const struct ct_sip_meta *meta, bool retrans)
{
	event_as(t, c, moment, moment, m, meta, retrans);
}

/* The message's transaction fingerprint; true if it was seen before (a retransmission). */
static bool seen_before(struct ct_sipcalls *t, struct call *c, const struct ct_sip_msg *m)
{
	struct {
		uint32_t cseq;
		uint16_t status;
		uint8_t method;
		uint8_t request;
		uint64_t branch, tag, name;
	} fp;
	memset(&fp, 0, sizeof(fp));
	fp.cseq = m->cseq;
	fp.status = (uint16_t)m->status;
	fp.method = m->method;
	fp.request = m->request;
	fp.branch = ct_hash(&t->key, m->branch.p, m->branch.len);
	fp.tag = m->request ? ct_hash(&t->key, m->from_tag.p, m->from_tag.len)
			    : ct_hash(&t->key, m->to_tag.p, m->to_tag.len);
	fp.name = ct_hash(&t->key, m->method_name.p, m->method_name.len);
	uint64_t h = ct_hash(&t->key, &fp, sizeof(fp));
	unsigned n = c->ntx < TX_RING ? c->ntx : TX_RING;
	for (unsigned i = 0; i < n; i++)
		if (c->tx[i] == h)
			return true;
	if (c->ntx == c->ctx && c->ctx < TX_RING) {
		/* most dialogs see a few transactions: the ring grows to TX_RING as they come */
		unsigned cap = c->ctx ? 2u * c->ctx : 8u;
		uint64_t *tx = realloc(c->tx, cap * sizeof(*tx));
		if (!tx)
			return false; /* out of memory: this one is not remembered */
		c->tx = tx;
		c->ctx = (uint8_t)cap;
	}
	c->tx[c->ntx++ % TX_RING] = h;
	return false;
}

static bool tracked_method(uint8_t method)
{
	switch (method) {
	case CT_SIP_OPTIONS:
	case CT_SIP_REGISTER:
	case CT_SIP_SUBSCRIBE:
	case CT_SIP_MESSAGE:
	case CT_SIP_PUBLISH:
		return false;
	default:
		return true;
	}
}

static void on_request(struct ct_sipcalls *t, struct call *c, const struct ct_sip_msg *m,
		       const struct ct_sip_meta *meta)
{
	enum ct_sip_moment mo = CT_SIP_M_REQUEST;
	bool answered_by_ack = false;
	switch (m->method) {
	case CT_SIP_INVITE:
		if (!m->to_tag.len && !c->answered) {
			/* the initial INVITE, or its retry with credentials after a 401/407 (RFC 3261
			 * 22.2: same Call-ID, new CSeq) */
			if (!c->invite_seen) {
				c->invite_seen = true;
				if (m->from_tag.len > TAG_MAX - 1)
					t->ctr->sip_fields_cut++; /* a dialog's tags are kept to TAG_MAX - 1 bytes */
				c->csta_session = ct_slice_istarts(ct_sip_get(m, CT_H_CONTENT_TYPE), "application/csta+xml");
				if (c->csta_session)
					t->ctr->sip_csta_sessions++;
				else
					t->ctr->sip_calls++;
			}
			c->invite_cseq = m->cseq;
			c->state = CT_DLG_CALLING;
			c->end = 0;
			mo = CT_SIP_M_INVITE;
		} else {
			mo = CT_SIP_M_REINVITE;
		}
		break;
	case CT_SIP_ACK:
		mo = CT_SIP_M_ACK;
		if (m->cseq == c->invite_cseq && m->cseq != c->failed_cseq && m->to_tag.len && c->invite_seen &&
		    !c->answered && c->state != CT_DLG_TERMINATED) {
			/* the ACK of a 2xx the capture lost: the dialog was answered (the ACK of a
			 * failure came after that failure, which terminated the dialog) */
			c->answered = true;
			c->answer = meta->ts;
			keep_to_tag(t, c, m->to_tag);
			c->final_status = 200;
			c->state = CT_DLG_CONFIRMED;
			if (!c->csta_session)
				t->ctr->sip_calls_answered++;
			answered_by_ack = true;
		}
		break;
	case CT_SIP_BYE:
		mo = CT_SIP_M_BYE;
		c->bye = true;
		if (!c->end)
			c->end = meta->ts;
		c->state = CT_DLG_TERMINATED;
		break;
	case CT_SIP_CANCEL:
		mo = CT_SIP_M_CANCEL;
		c->cancelled = true;
		if (!c->end)
			c->end = meta->ts; /* the caller gave up: the 487 only confirms it */
		break;
	case CT_SIP_REFER: mo = CT_SIP_M_REFER; break;
	case CT_SIP_NOTIFY: mo = CT_SIP_M_NOTIFY; break;
	case CT_SIP_INFO: mo = CT_SIP_M_INFO; break;
	case CT_SIP_UPDATE: mo = CT_SIP_M_UPDATE; break;
	case CT_SIP_PRACK: mo = CT_SIP_M_PRACK; break;
	default: mo = CT_SIP_M_REQUEST; break;
	}
	if (t->media && (m->method == CT_SIP_INVITE || m->method == CT_SIP_UPDATE || m->method == CT_SIP_ACK ||
			 m->method == CT_SIP_PRACK)) {
		/* an ACK carries the answer of its INVITE (late offer): in-dialog if that was a re-INVITE */
		bool in_dialog = m->method == CT_SIP_ACK ? m->cseq != c->invite_cseq
							  : m->to_tag.len && m->method != CT_SIP_PRACK;
		enum ct_media_hold hold = ct_media_sdp(t->media, &c->media, m, in_dialog);
		if (hold && (m->method == CT_SIP_INVITE || m->method == CT_SIP_UPDATE))
			mo = hold == CT_MEDIA_HOLD ? CT_SIP_M_HOLD : CT_SIP_M_RESUME;
	}
	event_as(t, c, mo, answered_by_ack ? CT_SIP_M_ANSWER : mo, m, meta, false);
}

/* A request the capture lost, told to the correlator when its answer shows it was sent: from
 * the side the answer goes to, at the answer's time (R0: the next evidence). */
static void lost_request(struct ct_sipcalls *t, struct call *c, enum ct_sip_moment mo, const struct ct_sip_msg *m,
			 const struct ct_sip_meta *meta)
{
	struct ct_sip_meta req;
	struct who w;
	who_of(m, &w);
	to_calls(t, c, mo, m, reversed(meta, &req), &w);
}

static void on_response(struct ct_sipcalls *t, struct call *c, const struct ct_sip_msg *m,
			const struct ct_sip_meta *meta)
{
	enum ct_sip_moment mo = CT_SIP_M_COUNT; /* none */
	if (m->method == CT_SIP_INVITE) {
		/* until a dialog is confirmed, any INVITE answer belongs to the initial INVITE */
		bool initial = !c->answered && (m->cseq == c->invite_cseq || !c->invite_seen);
		if (initial && m->to_tag.len && m->status > 100 && m->status < 300) {
			/* a forking proxy makes one early dialog per branch that answers (12.1) */
			uint64_t h = ct_hash(&t->key, m->to_tag.p, m->to_tag.len);
			bool known = false;
			for (unsigned i = 0; i < c->nearly && i < 4; i++)
				known = known || c->early[i] == h;
			if (!known && c->nearly < 4)
				c->early[c->nearly++] = h;
		}
		if (m->status >= 180 && m->status < 200) {
			if (initial && c->state == CT_DLG_CALLING)
				c->state = CT_DLG_EARLY;
			mo = CT_SIP_M_RINGING;
		} else if (m->status >= 200 && m->status < 300) {
			if (initial && !c->answered) {
				c->answered = true;
				c->answer = meta->ts;
				keep_to_tag(t, c, m->to_tag);
				c->final_status = m->status;
				c->state = CT_DLG_CONFIRMED;
				if (c->invite_seen && !c->csta_session)
					t->ctr->sip_calls_answered++;
				mo = CT_SIP_M_ANSWER;
			} else {
				mo = CT_SIP_M_REINVITE_ANSWER;
			}
		} else if (m->status >= 300) {
			c->failed_cseq = m->cseq;
			if (initial && !c->answered && (m->status == 401 || m->status == 407)) {
				/* a challenge: the caller retries with credentials, same Call-ID */
				c->final_status = m->status;
			} else if (initial && !c->answered) {
				c->final_status = m->status;
				c->state = CT_DLG_TERMINATED;
				if (!c->end)
					c->end = meta->ts; /* unless a CANCEL ended it first */
			}
			mo = CT_SIP_M_FAILURE;
		}
		if (t->media && m->status >= 180) {
			enum ct_media_hold hold = ct_media_sdp(t->media, &c->media, m, !initial);
			if (hold && mo == CT_SIP_M_REINVITE_ANSWER)
				mo = hold == CT_MEDIA_HOLD ? CT_SIP_M_HOLD : CT_SIP_M_RESUME;
		}
	} else if (m->method == CT_SIP_UPDATE && m->status >= 200 && m->status < 300 && t->media) {
		enum ct_media_hold hold = ct_media_sdp(t->media, &c->media, m, true); /* hold/resume answered in an UPDATE */
		if (hold)
			mo = hold == CT_MEDIA_HOLD ? CT_SIP_M_HOLD : CT_SIP_M_RESUME;
	} else if (m->method == CT_SIP_REFER && m->status >= 200 && m->status < 300) {
		mo = CT_SIP_M_REFER_ACCEPTED;
	} else if (m->method == CT_SIP_BYE && m->status >= 200 && m->status < 300 && !c->bye && c->invite_seen &&
		   !c->csta_session) {
		/* the answer to a BYE the capture lost: the dialog ended then, by a BYE of the side this
		 * answer goes to (R0: the next evidence) */
		c->bye = true;
		if (!c->end)
			c->end = meta->ts;
		c->state = CT_DLG_TERMINATED;
		lost_request(t, c, CT_SIP_M_BYE, m, meta);
	} else if (m->method == CT_SIP_CANCEL && m->status >= 200 && m->status < 300 && !c->cancelled && !c->answered &&
		   c->invite_seen && !c->csta_session) {
		/* the answer to a CANCEL the capture lost: the caller gave up then, before the 487 */
		c->cancelled = true;
		if (!c->end)
			c->end = meta->ts;
		lost_request(t, c, CT_SIP_M_CANCEL, m, meta);
	} else if (m->status >= 300 && m->method != CT_SIP_UNKNOWN) {
		mo = CT_SIP_M_FAILURE; /* a failed BYE, REFER, ... is worth seeing */
	}
	if (mo != CT_SIP_M_COUNT)
		event(t, c, mo, m, meta, false);
	else if (t->cfg.events_all)
		event(t, c, CT_SIP_M_MESSAGE, m, meta, false);
}

void ct_sipcalls_message(struct ct_sipcalls *t, const struct ct_sip_msg *m, const struct ct_sip_meta *meta)
{
	if (t->media)
		ct_media_forget_sdp(t->media);
	if (!tracked_method(m->method)) {
		if (m->request)
			t->ctr->sip_requests_other++;
		if (t->cfg.events_all)
			event(t, NULL, CT_SIP_M_MESSAGE, m, meta, false);
		return;
	}
	if (!m->call_id.len) {
		CT_COUNT_LOG(t->ctr->sip_bad, "SIP message without Call-ID ignored");
		return;
	}
	if (m->call_id.len > CALLID_MAX) {
		/* kept whole or not at all: a cut id could make two calls one */
		t->ctr->sip_callid_refused++;
		if (ct_log_sample(t->ctr->sip_callid_refused)) {
			ct_warn("SIP Call-ID of %zu bytes (over %d) not tracked", m->call_id.len, CALLID_MAX);
			ct_report_audit(t->rep, meta->ts, NULL, CT_AUDIT_REFUSED, NULL, t->ctr->sip_callid_refused,
					"SIP messages whose Call-ID is over %d bytes are not tracked (%zu bytes)",
					CALLID_MAX, m->call_id.len);
		}
		return;
	}
	uint64_t h = ct_hash(&t->key, m->call_id.p, m->call_id.len);
	struct call *c = call_find(t, m->call_id, h);
	if (!c) {
		c = call_new(t, m->call_id, h, meta->ts);
		if (!c)
			return;
		c->state = (m->request && m->method == CT_SIP_INVITE && !m->to_tag.len) ? CT_DLG_CALLING : CT_DLG_JOINED;
	}
	c->last = meta->ts;
	if (seen_before(t, c, m)) {
		c->retrans++;
		t->ctr->sip_retrans++;
		if (t->cfg.events_all)
			event(t, c, CT_SIP_M_MESSAGE, m, meta, true);
		return;
	}
	c->messages++;
	if (m->request)
		on_request(t, c, m, meta);
	else
		on_response(t, c, m, meta);
	if (!m->request && m->method == CT_SIP_BYE && m->status >= 200)
		c->state = CT_DLG_TERMINATED;
	ct_time_t when = c->state == CT_DLG_TERMINATED ? meta->ts + t->cfg.linger
			 : c->state == CT_DLG_CONFIRMED || c->state == CT_DLG_JOINED ? meta->ts + t->cfg.idle_timeout
									      : c->start + t->cfg.setup_timeout;
	set_deadline(t, c, when);
}

bool ct_sipcalls_expire(struct ct_sipcalls *t, ct_time_t now)
{
	struct ct_heap_node *top;
	for (unsigned n = 0; n < EXPIRE_BUDGET && (top = ct_heap_top(&t->timers)) && top->due <= now; n++) {
		struct call *c = CT_CONTAINER_OF(top, struct call, timer);
		call_end(t, c, now, c->state == CT_DLG_TERMINATED ? CT_DEND_ENDED : CT_DEND_TIMEOUT);
	}
	return (top = ct_heap_top(&t->timers)) && top->due <= now;
}

void ct_sipcalls_free(struct ct_sipcalls *t, ct_time_t now)
{
	if (!t)
		return;
	/* end in timer order: deterministic, oldest deadlines first; a call whose timer could not
	 * be set (out of memory) after them */
	struct ct_heap_node *top;
	while ((top = ct_heap_top(&t->timers))) {
		struct call *c = CT_CONTAINER_OF(top, struct call, timer);
		call_end(t, c, now, c->state == CT_DLG_TERMINATED ? CT_DEND_ENDED : CT_DEND_SHUTDOWN);
	}
	for (uint32_t i = 0; i < t->used; i++)
		if (t->pool[i].used)
			call_end(t, &t->pool[i], now, CT_DEND_SHUTDOWN);
	ct_heap_free(&t->timers);
	ct_htab_free(&t->table);
	free(t->pool);
	free(t);
}

uint32_t ct_sipcalls_open(const struct ct_sipcalls *t)
{
	return t->live;
}

const char *ct_sipcalls_call_of(const struct ct_sipcalls *t, struct ct_slice call_id)
{
	if (!call_id.len || call_id.len > CALLID_MAX)
		return NULL;
	const struct call *c = call_find(t, call_id, ct_hash(&t->key, call_id.p, call_id.len));
	return c && !c->csta_session ? c->id : NULL;
}
