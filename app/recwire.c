/* recwire.c - the recorder driven by the correlator's triggers (recwire.h). */
#include "recwire.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/htab.h"
#include "../util/log.h"

#define RW_DEV 128          /* a device as privacy.* shows it (a pseudonym is 18) */
#define RW_RECENT 8         /* finished recordings remembered for their payload pcap's event */
#define RW_HOLD_MAX_FRAME (64u * 1024)

/* An endpoint of a recording in the evidence index: where its RTP frames go. */
struct rw_ep {
	struct ct_hnode hn;
	struct rw_rec *r;
	bool linked;
};

/* The evidence pcap of a call. */
struct rw_pcap {
	struct ct_hnode hn;          /* in w->pcaps by call, while open */
	struct rw_pcap *next;        /* in w->closing_pcaps once closed, until its file is done */
	char call[CT_ID_MAX];        /* the call as its triggers name it now */
	char eng_call[CT_ID_MAX];    /* as the engine knows it */
	struct ct_rec_pcap *p;
	enum ct_rec_reason why;      /* why it was closed */
	ct_time_t closed;
	bool open;
};

/* One recording of a call's device. */
struct rw_rec {
	struct ct_hnode hn;          /* in w->recs by (call, device), while the correlator has it open */
	struct rw_rec *next, *prev;  /* in w->live until nothing more comes for it */
	char call[CT_ID_MAX];        /* as the triggers name it now (a merge changes it) */
	char device[CT_CSTA_DEV];    /* as the triggers name it (clear) */
	char eng_call[CT_ID_MAX];    /* what the engine was given: the call at the start... */
	char eng_dev[RW_DEV];        /* ... and the device as privacy.* shows it */
	ct_time_t t0;
	struct ct_rec *rec;          /* NULL: the engine refused it, or it was stopped */
	bool in_table, paused, dead; /* dead: the engine stopped it itself */
	bool awaiting;               /* its audio file is being finished: the stop record waits */
	struct ct_rec_ep far, agent;
	struct ct_rec_ptmap pt;
	struct rw_pcap *pc;          /* its call's evidence pcap, NULL when none */
	struct rw_ep ep[2];          /* far, agent: in w->eps while it runs */
	/* the stop, written when the file is finished */
	ct_time_t stop_ts;
	enum ct_rec_reason stop_reason;
	bool stop_rtp;
	struct ct_rec_endpoint stop_ep[2];
	char stop_ip[2][46];
};

/* A finished recording, for the payload pcap whose event follows its audio's. */
struct rw_recent {
	char eng_call[CT_ID_MAX], eng_dev[RW_DEV];
	char call[CT_ID_MAX], device[CT_CSTA_DEV];
	enum ct_rec_reason why;      /* its stop's */
};

/* SIP frames of calls not recorded yet (record.pcap_hold_kb): a byte ring of entries, oldest
 * first. An entry that does not fit before the end leaves a pad there (linktype -1) and goes at
 * 0 (the ring is then `wrapped`: entries from head to the pad, then from 0 to tail). */
struct hold_hdr {
	uint32_t len;                /* the whole entry, 8-aligned */
	int32_t linktype;            /* -1: a pad to the end of the buffer */
	uint32_t caplen, wirelen;
	ct_time_t ts;
	char call[CT_ID_MAX];        /* "" once written to a pcap */
};

struct rw_hold {
	uint8_t *buf;
	size_t cap, head, tail;      /* cap a multiple of 8 */
	unsigned n;                  /* entries (pads not counted) */
	bool wrapped;
};

struct ct_recwire {
	struct ct_recwire_env env;
	struct ct_recorder *eng;     /* NULL: recording off (no record.dir, or it failed) */
	struct ct_recorder_cfg ecfg; /* what eng runs with (strings in ecfg_text) */
	char ecfg_text[4][512];
	struct ct_htab recs;         /* struct rw_rec by (call, device) */
	struct ct_htab eps;          /* struct rw_ep by endpoint (evidence routing) */
	struct ct_htab pcaps;        /* struct rw_pcap by call */
	struct rw_rec *live;
	struct rw_pcap *closing_pcaps;
	struct rw_recent recent[RW_RECENT];
	unsigned nrecent;
	struct rw_hold hold;
	struct ct_recorder_stats past;   /* the counters of the engines a reload or the end freed */
	uint64_t st_values[64];
};

#define RW_NSTATS (sizeof(struct ct_recorder_stats) / sizeof(uint64_t))
static const char *const rw_stat_names[] = {
#define RW_NAME(name, desc) #name,
	CT_RECORDER_COUNTERS(RW_NAME)
#undef RW_NAME
};

/* ---- small helpers ---- */

static void copy_text(char *dst, size_t cap, const char *src)
{
	snprintf(dst, cap, "%s", src ? src : "");
}

static uint64_t key_hash(const struct ct_recwire *w, const char *a, const char *b)
{
	char k[CT_ID_MAX + CT_CSTA_DEV + 2];
	int n = snprintf(k, sizeof(k), "%s|%s", a, b ? b : "");
	return ct_hash(w->env.key, k, n > 0 ? (size_t)CT_MIN((size_t)n, sizeof(k) - 1) : 0);
}

static uint64_t ep_hash(const struct ct_recwire *w, const struct ct_rec_ep *e)
{
	uint8_t k[18];
	memcpy(k, e->addr.a, 16);
	k[16] = (uint8_t)(e->port >> 8);
	k[17] = (uint8_t)e->port;
	return ct_hash(w->env.key, k, sizeof(k));
}

static bool ep_parse(const char *ip, uint16_t port, struct ct_rec_ep *e)
{
	memset(e, 0, sizeof(*e));
	if (!ip || !ip[0] || !port)
		return false;
	uint8_t v4[4];
	if (inet_pton(AF_INET, ip, v4) == 1) {
		e->addr.a[10] = e->addr.a[11] = 0xff;
		memcpy(e->addr.a + 12, v4, 4);
	} else if (inet_pton(AF_INET6, ip, e->addr.a) != 1) {
		return false;
	}
	e->port = port;
	return true;
}

static bool ep_same(const struct ct_rec_ep *a, const struct ct_rec_ep *b)
{
	return a->port == b->port && memcmp(&a->addr, &b->addr, sizeof(a->addr)) == 0;
}

/* The device as the records show it (privacy.*): what the engine writes and hashes. */
static void shown(const struct ct_recwire *w, const char *device, char out[RW_DEV])
{
	const struct ct_config *c = w->env.cfg;
	ct_privacy_party(&c->privacy, &c->numbers, (const uint8_t *)device, strnlen(device, CT_CSTA_DEV), out, RW_DEV);
}

static enum ct_rec_reason reason_of(const char *name, enum ct_rec_reason dflt)
{
	for (int r = 0; name && r < CT_RECR_COUNT; r++)
		if (strcmp(ct_rec_reason_name((enum ct_rec_reason)r), name) == 0)
			return (enum ct_rec_reason)r;
	return dflt;
}

/* ---- payload types: the SDPs that announced the two endpoints ---- */

static void ptmap_add(struct ct_rec_ptmap *m, const struct ct_media_format *f)
{
	if (!f->name || !f->clock)
		return;
	char nm[16];
	size_t n = 0;
	for (; f->name[n] && n < sizeof(nm) - 1; n++) /* packet text: printable ASCII only */
		nm[n] = f->name[n] > 0x20 && f->name[n] < 0x7f ? f->name[n] : '?';
	nm[n] = '\0';
	ct_rec_ptmap_add(m, f->pt, nm, f->clock);
}

/* The map of the agent's SDP (its own endpoint) and the far end's: first the codec the two
 * agree on (the agent's first that the other lists), then the rest of each. */
static void ptmap_of(const struct ct_recwire *w, const struct ct_rec_ep *agent, const struct ct_rec_ep *far,
		     struct ct_rec_ptmap *m)
{
	memset(m, 0, sizeof(*m));
	struct ct_media_format a[CT_MEDIA_FORMATS], b[CT_MEDIA_FORMATS];
	unsigned na = agent->port ? ct_media_formats(w->env.media, &agent->addr, agent->port, a) : 0;
	unsigned nb = far->port ? ct_media_formats(w->env.media, &far->addr, far->port, b) : 0;
	for (unsigned i = 0; i < na && !m->n; i++)
		for (unsigned k = 0; k < nb; k++)
			if (a[i].pt == b[k].pt && a[i].name && strcmp(a[i].name, "telephone-event") && strcmp(a[i].name, "CN"))
				ptmap_add(m, &a[i]);
	for (unsigned i = 0; i < na; i++)
		ptmap_add(m, &a[i]);
	for (unsigned i = 0; i < nb; i++)
		ptmap_add(m, &b[i]);
}

/* The endpoints a view names: `out` is the agent's (the device's own SDP), `in` the far end's. */
static bool view_media(const struct ct_recwire *w, const struct ct_recording_view *v, struct ct_rec_ep *far,
		       struct ct_rec_ep *agent, struct ct_rec_ptmap *pt)
{
	memset(far, 0, sizeof(*far));
	memset(agent, 0, sizeof(*agent));
	if (!v->have_rtp)
		return false;
	for (int i = 0; i < 2; i++)
		ep_parse(v->rtp[i].ip, v->rtp[i].port, v->rtp[i].out ? agent : far);
	if (!far->port && !agent->port)
		return false;
	ptmap_of(w, agent, far, pt);
	return true;
}

/* ---- the evidence index: endpoint -> recording ---- */

static void eps_unlink(struct ct_recwire *w, struct rw_rec *r)
{
	for (int d = 0; d < 2; d++)
		if (r->ep[d].linked) {
			ct_htab_del(&w->eps, &r->ep[d].hn);
			r->ep[d].linked = false;
		}
}

static void eps_link(struct ct_recwire *w, struct rw_rec *r)
{
	eps_unlink(w, r);
	if (!r->pc)
		return;
	const struct ct_rec_ep *e[2] = { &r->far, &r->agent };
	for (int d = 0; d < 2; d++)
		if (e[d]->port) {
			r->ep[d].r = r;
			ct_htab_add(&w->eps, &r->ep[d].hn, ep_hash(w, e[d]));
			r->ep[d].linked = true;
		}
}

static struct rw_rec *eps_find(const struct ct_recwire *w, const struct ct_addr *a, uint16_t port)
{
	struct ct_rec_ep k = { *a, port };
	for (struct ct_hnode *n = ct_htab_first(&w->eps, ep_hash(w, &k)); n; n = ct_htab_next(n)) {
		struct rw_ep *e = CT_CONTAINER_OF(n, struct rw_ep, hn);
		const struct ct_rec_ep *x = e == &e->r->ep[0] ? &e->r->far : &e->r->agent;
		if (ep_same(x, &k))
			return e->r;
	}
	return NULL;
}

/* ---- the hold: SIP frames waiting for their call's evidence pcap ---- */

static struct hold_hdr *hold_at(const struct rw_hold *h, size_t off)
{
	return (struct hold_hdr *)(void *)(h->buf + off);
}

/* Pushes the oldest entry out (or steps over the pad the oldest is behind). */
static void hold_pop(struct ct_recwire *w)
{
	struct rw_hold *h = &w->hold;
	struct hold_hdr *e = hold_at(h, h->head);
	if (e->linktype < 0) {
		h->head = 0;
		h->wrapped = false;
		return;
	}
	if (e->call[0])
		w->env.ctr->rec_pcap_hold_evicted++;
	h->head += e->len;
	h->n--;
	if (h->head == h->cap) {
		h->head = 0;
		h->wrapped = false;
	}
}

/* Where `len` contiguous bytes go, the oldest entries pushed out for them (len <= cap). */
static size_t hold_room(struct ct_recwire *w, size_t len)
{
	struct rw_hold *h = &w->hold;
	for (;;) {
		if (h->n == 0) {
			h->head = h->tail = 0;
			h->wrapped = false;
		}
		if (!h->wrapped) {
			if (h->cap - h->tail >= len)
				return h->tail;
			if (h->head >= len) {
				if (h->tail < h->cap) {
					struct hold_hdr *pad = hold_at(h, h->tail);
					pad->len = (uint32_t)(h->cap - h->tail);
					pad->linktype = -1;
				}
				h->tail = 0;
				h->wrapped = true;
				return 0;
			}
		} else if (h->head - h->tail >= len) {
			return h->tail;
		}
		hold_pop(w);
	}
}

static void hold_push(struct ct_recwire *w, const char *call, ct_time_t ts, int linktype, const uint8_t *frame,
		      uint32_t caplen, uint32_t wirelen)
{
	struct rw_hold *h = &w->hold;
	size_t len = (sizeof(struct hold_hdr) + caplen + 7) & ~(size_t)7;
	if (caplen > RW_HOLD_MAX_FRAME || len > h->cap / 2) {
		w->env.ctr->rec_pcap_hold_evicted++;
		return;
	}
	size_t at = hold_room(w, len);
	struct hold_hdr *e = hold_at(h, at);
	e->len = (uint32_t)len;
	e->linktype = linktype;
	e->caplen = caplen;
	e->wirelen = wirelen;
	e->ts = ts;
	copy_text(e->call, sizeof(e->call), call);
	memcpy(e + 1, frame, caplen);
	h->tail = at + len;
	h->n++;
}

/* Every entry of the hold, oldest first (fn may change the entry's call). */
static void hold_each(struct ct_recwire *w, void (*fn)(struct hold_hdr *e, const void *arg), const void *arg)
{
	struct rw_hold *h = &w->hold;
	size_t off = h->head;
	for (unsigned i = 0; i < h->n;) {
		struct hold_hdr *e = hold_at(h, off);
		if (e->linktype < 0) {
			off = 0;
			continue;
		}
		fn(e, arg);
		off += e->len;
		if (off == h->cap)
			off = 0;
		i++;
	}
}

struct hold_retag {
	const char *from, *into;
};

static void hold_retag_one(struct hold_hdr *e, const void *arg)
{
	const struct hold_retag *t = arg;
	if (!strcmp(e->call, t->from))
		copy_text(e->call, sizeof(e->call), t->into);
}

/* ---- evidence pcaps ---- */

static struct rw_pcap *pcap_find(const struct ct_recwire *w, const char *call)
{
	for (struct ct_hnode *n = ct_htab_first(&w->pcaps, key_hash(w, call, NULL)); n; n = ct_htab_next(n)) {
		struct rw_pcap *pc = CT_CONTAINER_OF(n, struct rw_pcap, hn);
		if (!strcmp(pc->call, call))
			return pc;
	}
	return NULL;
}

static void hold_flush_one(struct hold_hdr *e, const void *arg)
{
	const struct rw_pcap *pc = arg;
	if (!e->call[0] || strcmp(e->call, pc->call))
		return;
	ct_rec_pcap_add(pc->p, e->ts, e->linktype, (const uint8_t *)(e + 1), e->caplen, e->wirelen);
	e->call[0] = '\0';
}

/* The evidence pcap of call (opened on its first recording): NULL when record.pcap is off or
 * the engine refused it. */
static struct rw_pcap *pcap_of(struct ct_recwire *w, const char *call, ct_time_t ts)
{
	if (!w->ecfg.pcap || !w->eng)
		return NULL;
	struct rw_pcap *pc = pcap_find(w, call);
	if (pc)
		return pc;
	/* the link type of the frames it will hold: the last frame's, also when it is opened
	 * outside a frame (recordings carried over a reload, from the main loop) */
	int linktype = w->env.cap->frame_linktype;
	struct ct_rec_pcap *p;
	if (ct_recorder_pcap_open(w->eng, call, ts, linktype, &p) != CT_OK)
		return NULL;
	pc = calloc(1, sizeof(*pc));
	if (!pc) {
		ct_rec_pcap_close(p, ts);
		return NULL;
	}
	copy_text(pc->call, sizeof(pc->call), call);
	copy_text(pc->eng_call, sizeof(pc->eng_call), call);
	pc->p = p;
	pc->open = true;
	ct_htab_add(&w->pcaps, &pc->hn, key_hash(w, call, NULL));
	hold_each(w, hold_flush_one, pc); /* its frames so far: from its first INVITE */
	return pc;
}

static void evidence_close(struct ct_recwire *w, struct rw_pcap *pc, ct_time_t ts, enum ct_rec_reason why)
{
	if (!pc->open)
		return;
	for (struct rw_rec *r = w->live; r; r = r->next)
		if (r->pc == pc) {
			eps_unlink(w, r);
			r->pc = NULL;
		}
	ct_htab_del(&w->pcaps, &pc->hn);
	pc->open = false;
	pc->why = why;
	pc->closed = ts;
	pc->next = w->closing_pcaps;
	w->closing_pcaps = pc;
	/* its FILE event may come from inside: pc stays on the list until it does */
	ct_rec_pcap_close(pc->p, ts);
	pc->p = NULL;
}

/* ---- recordings ---- */

static struct rw_rec *rec_find(const struct ct_recwire *w, const char *call, const char *device)
{
	for (struct ct_hnode *n = ct_htab_first(&w->recs, key_hash(w, call, device)); n; n = ct_htab_next(n)) {
		struct rw_rec *r = CT_CONTAINER_OF(n, struct rw_rec, hn);
		if (!strcmp(r->call, call) && !strcmp(r->device, device))
			return r;
	}
	return NULL;
}

static void table_del(struct ct_recwire *w, struct rw_rec *r)
{
	if (r->in_table)
		ct_htab_del(&w->recs, &r->hn);
	r->in_table = false;
}

/* Freed once the correlator is done with it and its file's record is written. */
static void rec_release(struct ct_recwire *w, struct rw_rec *r)
{
	if (r->in_table || r->awaiting)
		return;
	eps_unlink(w, r);
	r->pc = NULL;
	if (r->prev)
		r->prev->next = r->next;
	else
		w->live = r->next;
	if (r->next)
		r->next->prev = r->prev;
	free(r);
}

/* The trigger's record, with what the engine did for it. */
static void write_record(struct ct_recwire *w, const struct ct_recording_view *v, const struct ct_rec_chain *chain,
			 const struct ct_rec_file *file, bool device_shown)
{
	ct_rec_recording_done(w->env.rec, v, device_shown, chain, file);
}

static void stash_stop(struct rw_rec *r, const struct ct_recording_view *v)
{
	r->stop_ts = v->ts;
	r->stop_reason = v->reason;
	r->stop_rtp = v->have_rtp;
	for (int i = 0; i < 2; i++) {
		copy_text(r->stop_ip[i], sizeof(r->stop_ip[i]), v->rtp[i].ip);
		r->stop_ep[i] = (struct ct_rec_endpoint){ r->stop_ip[i], v->rtp[i].port, v->rtp[i].out };
	}
}

static void audit(struct ct_recwire *w, ct_time_t ts, const char *call, enum ct_audit_kind kind, const char *fmt, ...)
	CT_PRINTF(5, 6);

static void audit(struct ct_recwire *w, ct_time_t ts, const char *call, enum ct_audit_kind kind, const char *fmt, ...)
{
	char d[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(d, sizeof(d), fmt, ap);
	va_end(ap);
	ct_report_audit(w->env.rep, ts, call, kind, NULL, 0, "%s", d);
}

static void rec_open(struct ct_recwire *w, const struct ct_recording_view *v, struct ct_rec_chain *chain)
{
	struct rw_rec *r = calloc(1, sizeof(*r));
	if (!r) {
		w->env.ctr->rec_not_opened++;
		return;
	}
	copy_text(r->call, sizeof(r->call), v->call);
	copy_text(r->device, sizeof(r->device), v->device);
	copy_text(r->eng_call, sizeof(r->eng_call), v->call);
	shown(w, v->device, r->eng_dev);
	r->t0 = v->ts;
	view_media(w, v, &r->far, &r->agent, &r->pt);
	ct_htab_add(&w->recs, &r->hn, key_hash(w, r->call, r->device));
	r->in_table = true;
	r->next = w->live;
	if (w->live)
		w->live->prev = r;
	w->live = r;
	struct ct_rec_open o = { .call = r->eng_call, .device = r->eng_dev, .start = v->ts, .far = r->far,
				 .agent = r->agent, .pt = r->pt, .reason = ct_rec_reason_name(v->reason) };
	int rc = ct_recorder_open(w->eng, &o, &r->rec, chain);
	if (rc != CT_OK) {
		r->rec = NULL;
		w->env.ctr->rec_not_opened++;
		audit(w, v->ts, v->call, ct_err_kind(rc) == CT_ELIMIT ? CT_AUDIT_REFUSED : CT_AUDIT_RECORDING_ERROR,
		      "recording of device %s not opened: %s", v->device,
		      rc == CT_ELIMIT ? "record.max_active recordings open, or the disk guard holds (record.min_free_mb, "
					"record.max_mb)"
				      : ct_strerror(rc));
		return;
	}
	r->pc = pcap_of(w, r->call, v->ts);
	eps_link(w, r);
}

/* New endpoints or payload types for an open recording, when the view's differ. */
static void rec_media(struct ct_recwire *w, struct rw_rec *r, const struct ct_recording_view *v)
{
	struct ct_rec_ep far, agent;
	struct ct_rec_ptmap pt;
	if (!r->rec || r->dead || !view_media(w, v, &far, &agent, &pt))
		return;
	bool moved = (far.port && !ep_same(&far, &r->far)) || (agent.port && !ep_same(&agent, &r->agent));
	bool retyped = pt.n && memcmp(&pt, &r->pt, sizeof(pt)) != 0;
	if (!moved && !retyped)
		return;
	if (ct_rec_set_media(r->rec, &far, &agent, retyped ? &pt : NULL) != CT_OK)
		return;
	if (far.port)
		r->far = far;
	if (agent.port)
		r->agent = agent;
	if (retyped)
		r->pt = pt;
	eps_link(w, r);
}

void ct_recwire_trigger(struct ct_recwire *w, const struct ct_recording_view *v)
{
	struct ct_rec_chain chain;
	memset(&chain, 0, sizeof(chain));
	if (!w->eng || !v->call || !v->device) {
		write_record(w, v, NULL, NULL, false);
		return;
	}
	struct rw_rec *r = rec_find(w, v->call, v->device);
	if (v->action == CT_RECA_START && !r) {
		rec_open(w, v, &chain);
		write_record(w, v, &chain, NULL, false);
		return;
	}
	if (!r || !r->rec || r->dead) {
		/* refused at its start, stopped by the engine, or never started here */
		if (!r)
			w->env.ctr->rec_triggers_unmatched++;
		if (r && v->action == CT_RECA_STOP) {
			if (r->rec)
				ct_rec_stop(r->rec, v->ts, ct_rec_reason_name(v->reason)); /* frees the engine's handle */
			r->rec = NULL;
			table_del(w, r);
			write_record(w, v, NULL, NULL, false);
			rec_release(w, r);
			return;
		}
		write_record(w, v, NULL, NULL, false);
		return;
	}
	rec_media(w, r, v);
	switch (v->action) {
	case CT_RECA_PAUSE:
		ct_rec_pause(r->rec, v->ts, ct_rec_reason_name(v->reason), &chain);
		r->paused = true;
		break;
	case CT_RECA_RESUME:
		ct_rec_resume(r->rec, v->ts, ct_rec_reason_name(v->reason), &chain);
		r->paused = false;
		break;
	case CT_RECA_STOP: {
		/* the record waits for the file; its FILE event may come from inside ct_rec_stop() */
		stash_stop(r, v);
		r->awaiting = true;
		table_del(w, r);
		eps_unlink(w, r);
		struct ct_rec *rec = r->rec;
		r->rec = NULL;
		ct_rec_stop(rec, v->ts, ct_rec_reason_name(v->reason));
		return;
	}
	default: /* start of an open recording, update: its media, done above */
		break;
	}
	write_record(w, v, &chain, NULL, false);
}

void ct_recwire_merged(struct ct_recwire *w, ct_time_t ts, const char *into, const char *from)
{
	struct rw_pcap *pf = pcap_find(w, from), *pi = pcap_find(w, into);
	if (pf && pi) {
		/* the merged call's frames go on in the other's; its record names the call it is part of */
		copy_text(pf->call, sizeof(pf->call), into);
		evidence_close(w, pf, ts, CT_RECR_MERGED);
	}
	else if (pf) {
		ct_htab_del(&w->pcaps, &pf->hn);
		copy_text(pf->call, sizeof(pf->call), into);
		ct_htab_add(&w->pcaps, &pf->hn, key_hash(w, into, NULL));
		pi = pf;
	}
	for (struct rw_rec *r = w->live; r; r = r->next) {
		if (strcmp(r->call, from))
			continue;
		bool open = r->in_table;
		if (open && rec_find(w, into, r->device))
			continue; /* both calls recorded it: the correlator stopped one (recorded once) */
		table_del(w, r);
		copy_text(r->call, sizeof(r->call), into);
		if (open) {
			ct_htab_add(&w->recs, &r->hn, key_hash(w, r->call, r->device));
			r->in_table = true;
		}
		if (r->pc != pi) {
			r->pc = NULL;
			r->pc = pi;
			if (r->rec && !r->dead)
				eps_link(w, r);
		}
	}
	/* frames of `from` still waiting are `into`'s now: into its evidence when it has one (after
	 * the frames written already: a pcap is written as it goes) */
	struct hold_retag t = { from, into };
	hold_each(w, hold_retag_one, &t);
	if (pi)
		hold_each(w, hold_flush_one, pi);
}

void ct_recwire_sip(struct ct_recwire *w, const char *call, const struct ct_sip_msg *m, ct_time_t ts, bool reassembled)
{
	const struct ct_capture *cap = w->env.cap;
	if (!w->eng || !w->ecfg.pcap || !call || !cap->frame)
		return;
	struct ct_sip_dtmf dtmf;
	if (!w->env.cfg->privacy.dtmf_clear && m->request && m->method == CT_SIP_INFO && ct_sip_dtmf(m, &dtmf)) {
		w->env.ctr->rec_pcap_withheld++; /* a key pressed is shown as records show it: not at all */
		return;
	}
	if (reassembled)
		w->env.ctr->rec_pcap_partial++;
	struct rw_pcap *pc = pcap_find(w, call);
	if (pc)
		ct_rec_pcap_add(pc->p, ts, cap->frame_linktype, cap->frame, cap->frame_caplen, cap->frame_wirelen);
	else if (w->hold.cap)
		hold_push(w, call, ts, cap->frame_linktype, cap->frame, cap->frame_caplen, cap->frame_wirelen);
}

void ct_recwire_renamed(struct ct_recwire *w, ct_time_t ts, const char *call, const char *from, const char *to)
{
	(void)ts;
	struct rw_rec *r = rec_find(w, call, from);
	if (!r || rec_find(w, call, to))
		return; /* both named: the correlator stopped the other (recorded once) */
	table_del(w, r);
	copy_text(r->device, sizeof(r->device), to);
	ct_htab_add(&w->recs, &r->hn, key_hash(w, r->call, r->device));
	r->in_table = true;
}

void ct_recwire_call_end(struct ct_recwire *w, const char *call, ct_time_t ts)
{
	struct rw_pcap *pc = call ? pcap_find(w, call) : NULL;
	if (pc)
		evidence_close(w, pc, ts, CT_RECR_CLEARED);
}

/* ---- RTP ---- */

bool ct_recwire_wants_sip(const struct ct_recwire *w)
{
	return w && w->eng && w->ecfg.pcap;
}

bool ct_recwire_wants_rtp(const struct ct_recwire *w)
{
	return w && w->eng && ct_recorder_active(w->eng) > 0;
}

static bool is_event(const struct rw_rec *r, uint8_t pt)
{
	for (unsigned i = 0; i < r->pt.n; i++)
		if (r->pt.e[i].pt == pt)
			return r->pt.e[i].codec == CT_RC_EVENT;
	return false;
}

void ct_recwire_rtp(struct ct_recwire *w, const struct ct_pkt *pk, const struct ct_rtp_hdr *h)
{
	if (!ct_recorder_rtp(w->eng, &pk->src, pk->sport, &pk->dst, pk->dport, h, pk->ts))
		return;
	const struct ct_capture *cap = w->env.cap;
	if (!w->ecfg.pcap || !cap->frame)
		return;
	struct rw_rec *r = eps_find(w, &pk->src, pk->sport);
	if (!r)
		r = eps_find(w, &pk->dst, pk->dport);
	if (!r || !r->pc || !r->pc->open)
		return;
	if (r->paused || r->dead || (!w->env.cfg->privacy.dtmf_clear && is_event(r, h->pt))) {
		w->env.ctr->rec_pcap_withheld++;
		return;
	}
	ct_rec_pcap_add(r->pc->p, pk->ts, cap->frame_linktype, cap->frame, cap->frame_caplen, cap->frame_wirelen);
}

void ct_recwire_tick(struct ct_recwire *w, ct_time_t now)
{
	if (w->eng)
		ct_recorder_tick(w->eng, now);
}

/* ---- the engine's events ---- */

static struct rw_rec *awaiting_of(struct ct_recwire *w, const struct ct_rec_file *f)
{
	for (struct rw_rec *r = w->live; r; r = r->next)
		if (r->awaiting && r->t0 == f->start && !strcmp(r->eng_call, f->call) && f->device &&
		    !strcmp(r->eng_dev, f->device))
			return r;
	return NULL;
}

static void remember(struct ct_recwire *w, const struct rw_rec *r)
{
	struct rw_recent *x = &w->recent[w->nrecent++ % RW_RECENT];
	copy_text(x->eng_call, sizeof(x->eng_call), r->eng_call);
	copy_text(x->eng_dev, sizeof(x->eng_dev), r->eng_dev);
	copy_text(x->call, sizeof(x->call), r->call);
	copy_text(x->device, sizeof(x->device), r->device);
	x->why = r->stop_reason;
}

/* The audio file of a recording is finished (or broken): its stop record. */
static void audio_done(struct ct_recwire *w, const struct ct_rec_event *ev)
{
	const struct ct_rec_file *f = ev->file;
	struct rw_rec *r = awaiting_of(w, f);
	struct ct_recording_view v = { .ts = f->end, .action = CT_RECA_STOP };
	if (!r) {
		/* not one of ours (cannot happen: every recording is opened here); written as the
		 * engine names it, the device as shown */
		v.call = f->call;
		v.device = f->device;
		v.reason = reason_of(f->reason, CT_RECR_SHUTDOWN);
		write_record(w, &v, &f->chain, f, true);
		return;
	}
	v.ts = r->stop_ts;
	v.call = r->call;
	v.device = r->device;
	v.reason = r->stop_reason;
	v.have_rtp = r->stop_rtp;
	v.rtp[0] = r->stop_ep[0];
	v.rtp[1] = r->stop_ep[1];
	write_record(w, &v, &f->chain, f, false);
	remember(w, r);
	r->awaiting = false;
	rec_release(w, r);
}

/* A payload or evidence pcap is complete: a `file` record. */
static void pcap_done(struct ct_recwire *w, const struct ct_rec_event *ev)
{
	const struct ct_rec_file *f = ev->file;
	struct ct_recording_view v = { .ts = f->end, .action = CT_RECA_FILE, .call = f->call };
	bool device_shown = false;
	if (f->kind == CT_REC_FILE_EVIDENCE) {
		v.reason = CT_RECR_SHUTDOWN;
		for (struct rw_pcap **pp = &w->closing_pcaps; *pp; pp = &(*pp)->next) {
			struct rw_pcap *pc = *pp;
			if (strcmp(pc->eng_call, f->call))
				continue;
			v.call = pc->call;
			v.reason = pc->why;
			*pp = pc->next;
			write_record(w, &v, &f->chain, f, false);
			free(pc);
			return;
		}
	} else {
		v.reason = reason_of(f->reason, CT_RECR_CLEARED);
		v.device = f->device;
		device_shown = true;
		for (unsigned i = 0; i < RW_RECENT && i < w->nrecent; i++) {
			const struct rw_recent *x = &w->recent[(w->nrecent - 1 - i) % RW_RECENT];
			if (f->device && !strcmp(x->eng_call, f->call) && !strcmp(x->eng_dev, f->device)) {
				v.call = x->call;
				v.device = x->device;
				v.reason = x->why;
				device_shown = false;
				break;
			}
		}
		/* the audio file holds silence where these packets were: say where the media is */
		audit(w, f->end, v.call, CT_AUDIT_RECORDING_PAYLOAD,
		      "recording of device %s: %" PRIu64 " RTP packets of %s, a codec its audio file cannot hold (ctitap "
		      "does not decode it, or the file has another), are silence in the audio; their payloads are in %s",
		      v.device ? v.device : "?", f->packets, f->codec ? f->codec : "a codec", f->path);
	}
	write_record(w, &v, &f->chain, f, device_shown);
}

static void file_done(struct ct_recwire *w, const struct ct_rec_event *ev)
{
	if (ev->file->kind == CT_REC_FILE_AUDIO)
		audio_done(w, ev);
	else
		pcap_done(w, ev);
}

/* The call and clear device of an engine's (call, device), for an audit's text. */
static const struct rw_rec *open_of(const struct ct_recwire *w, const char *call, const char *device)
{
	for (const struct rw_rec *r = w->live; r; r = r->next)
		if (!strcmp(r->eng_call, call) && device && !strcmp(r->eng_dev, device) && (r->rec || r->awaiting))
			return r;
	return NULL;
}

static void on_event(void *user, const struct ct_rec_event *ev)
{
	struct ct_recwire *w = user;
	const struct ct_rec_file *f = ev->file;
	switch (ev->kind) {
	case CT_REC_EV_ERROR:
		audit(w, ev->ts, f->call, CT_AUDIT_RECORDING_ERROR,
		      "recorder: %s could not be written or finished (a write or rename failed); kept as %s",
		      f->kind == CT_REC_FILE_AUDIO ? "a recording's audio" : "a pcap", f->path);
		file_done(w, ev); /* its record, as for a file complete */
		break;
	case CT_REC_EV_FILE:
		file_done(w, ev);
		break;
	case CT_REC_EV_STOPPED: {
		struct rw_rec *r = (struct rw_rec *)open_of(w, ev->call, ev->device);
		const char *why = ev->reason ? ev->reason : "?";
		audit(w, ev->ts, r ? r->call : ev->call, CT_AUDIT_RECORDING_STOPPED,
		      "recorder stopped the recording of device %s itself: %s%s", r ? r->device : ev->device, why,
		      !strcmp(why, "write_error") ? " (the file is kept as .broken)"
		      : !strcmp(why, "disk_full") ? " (record.min_free_mb; new recordings refused until 5 % below)"
		      : !strcmp(why, "max_mb") ? " (record.max_mb; new recordings refused until 5 % below)"
					       : "");
		if (r) {
			/* its file's stop record comes with the FILE event; later triggers are written as they come */
			struct ct_recording_view v = { .ts = ev->ts, .reason = reason_of(why, CT_RECR_WRITE_ERROR) };
			stash_stop(r, &v);
			r->dead = r->awaiting = true;
			r->paused = false;
			eps_unlink(w, r);
		}
		break;
	}
	case CT_REC_EV_FINDING: {
		const struct rw_rec *r = open_of(w, ev->call, ev->device);
		const char *dev = r ? r->device : ev->device;
		const char *side = ev->dir == CT_REC_FAR ? "far end" : "agent";
		if (ev->finding == CT_REC_ONE_WAY && ev->active)
			audit(w, ev->ts, r ? r->call : ev->call, CT_AUDIT_ONE_WAY_AUDIO,
			      "recording of device %s: the %s has sent %s for %u s while the other side speaks", dev, side,
			      ev->no_packets ? "no RTP" : "only silence", w->ecfg.silence_s);
		else if (ev->finding == CT_REC_ONE_WAY)
			audit(w, ev->ts, r ? r->call : ev->call, CT_AUDIT_ONE_WAY_AUDIO,
			      "recording of device %s: one-way audio (the %s quiet) ended after %" PRIu64 " ms", dev, side,
			      ev->duration_ms);
		else if (ev->active)
			audit(w, ev->ts, r ? r->call : ev->call, CT_AUDIT_LONG_SILENCE,
			      "recording of device %s: neither side has spoken for %u s", dev, w->ecfg.silence_s);
		else
			audit(w, ev->ts, r ? r->call : ev->call, CT_AUDIT_LONG_SILENCE,
			      "recording of device %s: silence ended after %" PRIu64 " ms", dev, ev->duration_ms);
		break;
	}
	case CT_REC_EV_REPAIRED:
		audit(w, ev->ts, NULL, CT_AUDIT_RECORDING_REPAIRED,
		      "recorder: %s, left unfinished by a crash, was repaired (its header fixed to what was written) and "
		      "chained (seq %" PRIu64 ")",
		      f->path, f->chain.seq);
		break;
	case CT_REC_EV_BROKEN:
		audit(w, ev->ts, NULL, CT_AUDIT_RECORDING_BROKEN,
		      "recorder: %s, left unfinished by a crash, could not be repaired: renamed .broken (encrypted: ctitap "
		      "decrypt --salvage)",
		      f->path);
		break;
	case CT_REC_EV_RETENTION:
		audit(w, ev->ts, NULL, CT_AUDIT_RECORDING_RETENTION,
		      "recorder: the recordings of %s (%" PRIu64 " files) removed after record.retention_days (%u)",
		      ev->reason ? ev->reason : "?", ev->files, w->ecfg.retention_days);
		break;
	}
}

/* ---- the engine ---- */

static int engine_open(struct ct_recwire *w, char *err, size_t errlen)
{
	const struct ct_config *c = w->env.cfg;
	struct ct_recorder_cfg rc;
	ct_config_recorder_cfg(c, &rc);
	/* the settings it runs with, kept to tell what a reload changes */
	copy_text(w->ecfg_text[0], sizeof(w->ecfg_text[0]), rc.dir);
	copy_text(w->ecfg_text[1], sizeof(w->ecfg_text[1]), rc.sensor);
	copy_text(w->ecfg_text[2], sizeof(w->ecfg_text[2]), rc.sign_key);
	copy_text(w->ecfg_text[3], sizeof(w->ecfg_text[3]), rc.encrypt_to);
	rc.dir = w->ecfg_text[0];
	rc.sensor = w->ecfg_text[1];
	rc.sign_key = rc.sign_key ? w->ecfg_text[2] : NULL;
	rc.encrypt_to = rc.encrypt_to ? w->ecfg_text[3] : NULL;
	rc.on_event = on_event;
	rc.user = w;
	w->ecfg = rc;
	if (!rc.dir[0])
		return CT_OK;
	if (rc.pcap && c->record_pcap_hold_kb) {
		w->hold.cap = (size_t)c->record_pcap_hold_kb * 1024;
		w->hold.buf = malloc(w->hold.cap);
		if (!w->hold.buf) {
			w->hold.cap = 0;
			snprintf(err, errlen, "out of memory for record.pcap_hold_kb (%u KiB)", c->record_pcap_hold_kb);
			return CT_ENOMEM;
		}
	}
	int rc2 = ct_recorder_new(&rc, &w->eng, err, errlen);
	if (rc2 != CT_OK) {
		w->eng = NULL;
		free(w->hold.buf);
		memset(&w->hold, 0, sizeof(w->hold));
	}
	return rc2;
}

static void engine_close(struct ct_recwire *w, ct_time_t now, enum ct_rec_reason why)
{
	if (!w->eng)
		return;
	for (struct rw_rec *r = w->live; r; r = r->next) {
		eps_unlink(w, r);
		r->pc = NULL;
	}
	size_t i = 0;
	struct ct_hnode *n, *next = NULL;
	while ((n = ct_htab_walk(&w->pcaps, &i, &next)))
		evidence_close(w, CT_CONTAINER_OF(n, struct rw_pcap, hn), now, why);
	ct_recorder_drain(w->eng); /* every file finished: their records come from inside */
	const struct ct_recorder_stats *st = ct_recorder_stats(w->eng);
	uint64_t *sum = (uint64_t *)(void *)&w->past;
	const uint64_t *add = (const uint64_t *)(const void *)st;
	for (size_t k = 0; k < RW_NSTATS; k++)
		sum[k] += add[k];
	ct_recorder_free(w->eng);
	w->eng = NULL;
	for (struct rw_rec *r = w->live, *rn; r; r = rn) {
		rn = r->next;
		r->rec = NULL; /* freed with the engine */
		r->awaiting = false;
		rec_release(w, r);
	}
	while (w->closing_pcaps) {
		struct rw_pcap *pc = w->closing_pcaps;
		w->closing_pcaps = pc->next;
		free(pc);
	}
	free(w->hold.buf);
	memset(&w->hold, 0, sizeof(w->hold));
}

int ct_recwire_new(struct ct_recwire **out, const struct ct_recwire_env *env, char *err, size_t errlen)
{
	*out = NULL;
	struct ct_recwire *w = calloc(1, sizeof(*w));
	if (!w)
		return CT_ENOMEM;
	w->env = *env;
	uint32_t cap = env->cfg->record_max_active ? env->cfg->record_max_active : 2000;
	if (ct_htab_init(&w->recs, cap, 1u << 20) != CT_OK || ct_htab_init(&w->eps, 2 * (size_t)cap, 1u << 21) != CT_OK ||
	    ct_htab_init(&w->pcaps, cap, 1u << 20) != CT_OK) {
		ct_recwire_free(w, 0);
		return CT_ENOMEM;
	}
	int rc = engine_open(w, err, errlen);
	if (rc != CT_OK) {
		ct_recwire_free(w, 0);
		return rc;
	}
	*out = w;
	return CT_OK;
}

void ct_recwire_close(struct ct_recwire *w, ct_time_t now)
{
	if (!w)
		return;
	/* a recording the correlator did not stop (it stops every one at its call's end): its file
	 * ends with the engine, its record says shutdown */
	for (struct rw_rec *r = w->live; r; r = r->next)
		if (r->rec && !r->dead) {
			struct ct_recording_view v = { .ts = now, .reason = CT_RECR_SHUTDOWN };
			stash_stop(r, &v);
			r->awaiting = true;
			table_del(w, r);
		}
	engine_close(w, now, CT_RECR_SHUTDOWN);
	while (w->live) {
		struct rw_rec *r = w->live;
		table_del(w, r);
		r->awaiting = false;
		rec_release(w, r);
	}
}

void ct_recwire_free(struct ct_recwire *w, ct_time_t now)
{
	if (!w)
		return;
	ct_recwire_close(w, now);
	ct_htab_free(&w->recs);
	ct_htab_free(&w->eps);
	ct_htab_free(&w->pcaps);
	free(w);
}

int ct_recwire_reload(struct ct_recwire *w, ct_time_t now, char *err, size_t errlen)
{
	struct ct_recorder_cfg want;
	ct_config_recorder_cfg(w->env.cfg, &want);
	const struct ct_recorder_cfg *have = &w->ecfg;
	bool same = !strcmp(want.dir, have->dir) && !strcmp(want.sensor, have->sensor) &&
		    !strcmp(want.sign_key ? want.sign_key : "", have->sign_key ? have->sign_key : "") &&
		    !strcmp(want.encrypt_to ? want.encrypt_to : "", have->encrypt_to ? have->encrypt_to : "") &&
		    want.pause_mode == have->pause_mode && want.pcap == have->pcap && want.min_free_mb == have->min_free_mb &&
		    want.max_mb == have->max_mb && want.retention_days == have->retention_days &&
		    want.max_active == have->max_active && want.jitter_ms == have->jitter_ms &&
		    want.silence_s == have->silence_s && (!want.pcap || (w->hold.cap / 1024) == w->env.cfg->record_pcap_hold_kb);
	if (same && (w->eng || !want.dir[0]))
		return CT_OK;
	/* the recordings open now go on in new files: stopped here (their records say reload) */
	struct again {
		char call[CT_ID_MAX], device[CT_CSTA_DEV], ip[2][46];
		uint16_t port[2];
		bool paused;
	} *again = NULL;
	size_t nagain = 0, cap = 0;
	for (struct rw_rec *r = w->live, *rn; r; r = rn) {
		rn = r->next;
		if (!r->rec || r->dead || !r->in_table)
			continue;
		if (nagain == cap) {
			cap = cap ? 2 * cap : 64;
			struct again *g = realloc(again, cap * sizeof(*g));
			if (!g) {
				ct_err("recorder reload: out of memory: recording %s of call %s is not carried on", r->device,
				       r->call);
				continue;
			}
			again = g;
		}
		struct again *a = &again[nagain++];
		copy_text(a->call, sizeof(a->call), r->call);
		copy_text(a->device, sizeof(a->device), r->device);
		const struct ct_rec_ep *ep[2] = { &r->agent, &r->far }; /* out, then in */
		for (int k = 0; k < 2; k++) {
			a->ip[k][0] = '\0';
			a->port[k] = ep[k]->port;
			if (ep[k]->port)
				ct_addr_format(&ep[k]->addr, a->ip[k], sizeof(a->ip[k]));
		}
		a->paused = r->paused;
		struct ct_recording_view v = { .ts = now, .reason = CT_RECR_RELOAD };
		struct ct_rec *rec = r->rec;
		stash_stop(r, &v);
		r->awaiting = true;
		table_del(w, r); /* the correlator's later triggers find its successor */
		eps_unlink(w, r);
		r->rec = NULL;
		ct_rec_stop(rec, now, "reload"); /* r may be freed inside, with its record */
	}
	engine_close(w, now, CT_RECR_RELOAD);
	int rc = engine_open(w, err, errlen);
	for (size_t i = 0; rc == CT_OK && w->eng && i < nagain; i++) {
		const struct again *a = &again[i];
		struct ct_recording_view v = { .ts = now, .call = a->call, .device = a->device, .action = CT_RECA_START,
					       .reason = CT_RECR_RELOAD, .have_rtp = a->port[0] || a->port[1] };
		v.rtp[0] = (struct ct_rec_endpoint){ a->ip[0], a->port[0], true };
		v.rtp[1] = (struct ct_rec_endpoint){ a->ip[1], a->port[1], false };
		ct_recwire_trigger(w, &v);
		if (a->paused) {
			v.action = CT_RECA_PAUSE;
			ct_recwire_trigger(w, &v);
		}
	}
	free(again);
	return rc;
}

/* ---- counters ---- */

void ct_recwire_stats(struct ct_recwire *w, struct ct_stats_group *g)
{
	/* totals of the run: the engines freed by reloads, and the one running */
	_Static_assert(RW_NSTATS <= sizeof(((struct ct_recwire *)0)->st_values) / sizeof(uint64_t), "room for the counters");
	memcpy(w->st_values, &w->past, sizeof(w->past));
	if (w->eng) {
		const uint64_t *add = (const uint64_t *)(const void *)ct_recorder_stats(w->eng);
		for (size_t i = 0; i < RW_NSTATS; i++)
			w->st_values[i] += add[i];
	}
	g->name = "recorder";
	g->keys = rw_stat_names;
	g->values = w->st_values;
	g->n = (unsigned)RW_NSTATS;
}

unsigned ct_recwire_active(const struct ct_recwire *w)
{
	return w && w->eng ? ct_recorder_active(w->eng) : 0;
}

unsigned ct_recwire_finishing(const struct ct_recwire *w)
{
	return w && w->eng ? ct_recorder_finishing(w->eng) : 0;
}
