/* media.c - SDP expectations, RTP/RTCP flows and hold detection (behaviour in media.h;
 * RFC 3264 sections 5, 6 and 8.4, RFC 3550, RFC 3605, RFC 4733, RFC 5761). */
#include "media.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../capture/packet.h"
#include "../decoders/rtp.h"
#include "../decoders/sdp.h"
#include "../util/htab.h"
#include "../util/intern.h"
#include "../util/log.h"

#define MEDIA_SSRC_MAX 4          /* SSRCs reported per direction; more are merged into the last */
#define MEDIA_CLASSIFY_PACKETS 64 /* packets of an unknown UDP flow checked against expectations */

/* An endpoint an SDP announced. */
#define MEDIA_CODEC 24 /* a codec name is kept to MEDIA_CODEC - 1 bytes */

struct ct_expect {
	struct ct_hnode hn;       /* in the table, by endpoint */
	struct ct_addr addr;
	uint16_t port;
	bool rtcp;
	uint8_t pt;               /* first payload type of the m= line */
	uint8_t dtmf_pt, cn_pt;
	uint32_t clock;
	const char *codec;        /* interned in ct_media.codecs (a site has a handful) */
	uint8_t fmt[CT_MEDIA_FORMATS];   /* the m= line's payload types (recordings' maps) */
	uint8_t nfmt;
	struct ct_media_call *owner;
};

struct rtp_dir {
	struct ct_rtp_stream s[MEDIA_SSRC_MAX];
	unsigned n;
	uint64_t rtcp_packets;
	struct ct_rtcp_info rtcp_last;
	bool have_rtcp;
};

/* f->app of an RTP flow. The first member tags it. */
struct rtp_flow {
	uint32_t magic;
	char call[CT_ID_MAX];
	char codec[MEDIA_CODEC];
	uint32_t clock;
	uint8_t dtmf_pt, cn_pt, codec_pt;
	bool rtcp_port;          /* the expectation was an RTCP port */
	struct rtp_dir dir[2];
	uint64_t not_rtp;
};

#define RTP_FLOW_MAGIC 0x52545046u

struct ct_media {
	struct ct_htab table;    /* struct ct_expect by endpoint */
	uint32_t nexpect, max_expect;
	struct ct_hashkey key;
	struct ct_counters *ctr;
	const struct ct_report *rep;
	struct ct_sdp sdp;       /* last parsed SDP, for the event of its message */
	bool have_sdp;
	struct ct_intern codecs; /* the expectations' codec names */
};

int ct_media_new(struct ct_media **out, uint32_t max_expect, const struct ct_hashkey *key, struct ct_counters *ctr,
		 const struct ct_report *rep)
{
	struct ct_media *md = calloc(1, sizeof(*md));
	if (!md)
		return CT_ENOMEM;
	if (ct_htab_init(&md->table, max_expect, (size_t)1 << 26) != CT_OK) {
		free(md);
		return CT_ENOMEM;
	}
	if (ct_intern_init(&md->codecs, key, 64) != CT_OK) {
		ct_htab_free(&md->table);
		free(md);
		return CT_ENOMEM;
	}
	md->max_expect = max_expect;
	md->key = *key;
	md->ctr = ctr;
	md->rep = rep;
	*out = md;
	return CT_OK;
}

void ct_media_free(struct ct_media *md)
{
	if (!md)
		return;
	size_t i = 0;
	struct ct_hnode *n, *next = NULL;
	while ((n = ct_htab_walk(&md->table, &i, &next)))
		free(CT_CONTAINER_OF(n, struct ct_expect, hn));
	ct_htab_free(&md->table);
	ct_intern_free(&md->codecs); /* the expectations' names with them */
	free(md);
}

static uint64_t ep_hash(const struct ct_media *md, const struct ct_addr *a, uint16_t port)
{
	struct {
		struct ct_addr a;
		uint16_t port;
		uint16_t zero[3];
	} k;
	memset(&k, 0, sizeof(k));
	k.a = *a;
	k.port = port;
	return ct_hash(&md->key, &k, sizeof(k));
}

static struct ct_expect *expect_find(struct ct_media *md, const struct ct_addr *a, uint16_t port)
{
	uint64_t h = ep_hash(md, a, port);
	for (struct ct_hnode *n = ct_htab_first(&md->table, h); n; n = ct_htab_next(n)) {
		struct ct_expect *e = CT_CONTAINER_OF(n, struct ct_expect, hn);
		if (e->port == port && memcmp(&e->addr, a, sizeof(*a)) == 0)
			return e;
	}
	return NULL;
}

static void expect_unlink(struct ct_media *md, struct ct_expect *e)
{
	ct_htab_del(&md->table, &e->hn);
	md->nexpect--;
}

static void expect_free(struct ct_media *md, struct ct_expect *e)
{
	ct_intern_put(&md->codecs, e->codec);
	free(e);
}

static void expect_detach(struct ct_expect *e)
{
	struct ct_media_call *old = e->owner;
	if (!old)
		return;
	for (unsigned i = 0; i < old->nexpect; i++)
		if (old->expect[i] == e) {
			old->expect[i] = old->expect[--old->nexpect];
			break;
		}
	e->owner = NULL;
}

static void expect_add(struct ct_media *md, struct ct_media_call *mc, const struct ct_sdp_media *m, uint16_t port,
		       bool rtcp)
{
	struct ct_expect *e = expect_find(md, &m->addr, port);
	if (e && e->owner != mc)
		expect_detach(e); /* the endpoint moved to this call (port reuse, a transfer) */
	if (!e || e->owner != mc) {
		if (mc->nexpect >= CT_MEDIA_MAX_EXPECT || (!e && md->nexpect >= md->max_expect)) {
			if (e) {
				expect_unlink(md, e);
				expect_free(md, e);
			}
			md->ctr->rtp_expect_full++;
			return;
		}
		if (!e) {
			e = calloc(1, sizeof(*e));
			if (!e)
				return;
			e->codec = ct_intern_empty;
			e->addr = m->addr;
			e->port = port;
			ct_htab_add(&md->table, &e->hn, ep_hash(md, &m->addr, port));
			md->nexpect++;
		}
		mc->expect[mc->nexpect++] = e;
		e->owner = mc;
	}
	e->rtcp = rtcp;
	e->pt = m->nfmt ? m->fmt[0] : 0;
	e->nfmt = (uint8_t)CT_MIN((unsigned)m->nfmt, (unsigned)CT_MEDIA_FORMATS);
	memcpy(e->fmt, m->fmt, e->nfmt);
	e->dtmf_pt = e->cn_pt = 0;
	for (unsigned i = 0; i < m->nrtpmap; i++) {
		if (ct_slice_ieq(m->rtpmap[i].encoding, "telephone-event"))
			e->dtmf_pt = m->rtpmap[i].pt;
		else if (ct_slice_ieq(m->rtpmap[i].encoding, "CN"))
			e->cn_pt = m->rtpmap[i].pt;
	}
	uint32_t clock = 0;
	struct ct_slice codec = ct_sdp_codec(m, e->pt, &clock);
	e->clock = clock ? clock : 8000;
	const char *name = ct_intern_get(&md->codecs, (const char *)codec.p, CT_MIN(codec.len, (size_t)MEDIA_CODEC - 1));
	ct_intern_put(&md->codecs, e->codec);
	e->codec = name ? name : ct_intern_empty; /* out of memory: no name */
}

enum ct_media_hold ct_media_sdp(struct ct_media *md, struct ct_media_call *mc, const struct ct_sip_msg *m,
				bool in_dialog)
{
	md->have_sdp = false;
	struct ct_slice ctype = ct_sip_get(m, CT_H_CONTENT_TYPE);
	if (!m->body.len || !ct_slice_istarts(ctype, "application/sdp"))
		return CT_MEDIA_NO_CHANGE;
	if (ct_sdp_parse(m->body.p, m->body.len, &md->sdp) != CT_OK) {
		CT_COUNT_LOG(md->ctr->sdp_bad, "SDP body that does not parse");
		return CT_MEDIA_NO_CHANGE;
	}
	md->have_sdp = true;
	md->ctr->sdp_bodies++;
	bool any_audio = false, on_hold = false;
	for (unsigned i = 0; i < md->sdp.nmedia; i++) {
		const struct ct_sdp_media *s = &md->sdp.media[i];
		if (!ct_slice_ieq(s->type, "audio") || s->port == 0)
			continue; /* port 0: the stream was removed, not held */
		any_audio = true;
		if (ct_sdp_media_effective_dir(s) != CT_SDP_SENDRECV)
			on_hold = true;
		if (s->has_addr && !s->hold_addr) {
			expect_add(md, mc, s, s->port, false);
			if (!s->rtcp_mux)
				expect_add(md, mc, s, s->rtcp_port ? s->rtcp_port : (uint16_t)(s->port + 1), true);
		}
	}
	if (!any_audio || !in_dialog)
		return CT_MEDIA_NO_CHANGE;
	if (on_hold != mc->held) {
		mc->held = on_hold;
		return on_hold ? CT_MEDIA_HOLD : CT_MEDIA_RESUME;
	}
	return CT_MEDIA_NO_CHANGE;
}

bool ct_media_sdp_audio(const struct ct_media *md, char *ip, size_t cap, uint16_t *port)
{
	if (!md->have_sdp)
		return false;
	for (unsigned i = 0; i < md->sdp.nmedia; i++) {
		const struct ct_sdp_media *s = &md->sdp.media[i];
		if (ct_slice_ieq(s->type, "audio") && s->port && s->has_addr && !s->hold_addr) {
			ct_addr_format(&s->addr, ip, cap);
			*port = s->port;
			return true;
		}
	}
	return false;
}

unsigned ct_media_formats(const struct ct_media *md, const struct ct_addr *a, uint16_t port,
			  struct ct_media_format out[CT_MEDIA_FORMATS])
{
	const struct ct_expect *e = expect_find((struct ct_media *)md, a, port);
	if (!e || e->rtcp)
		return 0;
	unsigned n = 0;
	for (unsigned i = 0; i < e->nfmt; i++) {
		struct ct_media_format *f = &out[n++];
		f->pt = e->fmt[i];
		f->name = NULL;
		f->clock = 0;
		if (f->pt == e->pt) {
			f->name = e->codec[0] ? e->codec : NULL;
			f->clock = e->clock;
		} else if (f->pt == e->dtmf_pt && f->pt) {
			f->name = "telephone-event";
			f->clock = e->clock;
		} else if (f->pt == e->cn_pt && f->pt) {
			f->name = "CN";
			f->clock = 8000;
		} else if (f->pt < 96) {
			/* no media given: the static table, whose names are C strings */
			struct ct_slice nm = ct_sdp_codec(NULL, f->pt, &f->clock);
			f->name = nm.len ? (const char *)nm.p : NULL;
		}
	}
	return n;
}

void ct_media_forget_sdp(struct ct_media *md)
{
	md->have_sdp = false;
}

const struct ct_sdp *ct_media_take_sdp(struct ct_media *md)
{
	if (!md->have_sdp)
		return NULL;
	md->have_sdp = false;
	return &md->sdp;
}

void ct_media_call_end(struct ct_media *md, struct ct_media_call *mc, ct_time_t now)
{
	(void)now;
	for (unsigned i = 0; i < mc->nexpect; i++) {
		expect_unlink(md, mc->expect[i]);
		expect_free(md, mc->expect[i]);
	}
	mc->nexpect = 0;
}

bool ct_media_owns(const struct ct_flow *f)
{
	return f->app && *(const uint32_t *)f->app == RTP_FLOW_MAGIC;
}

static struct rtp_flow *rtp_flow_new(const struct ct_expect *e)
{
	struct rtp_flow *r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->magic = RTP_FLOW_MAGIC;
	if (e->owner && e->owner->call)
		snprintf(r->call, sizeof(r->call), "%s", e->owner->call);
	snprintf(r->codec, sizeof(r->codec), "%s", e->codec);
	r->clock = e->clock;
	r->dtmf_pt = e->dtmf_pt;
	r->cn_pt = e->cn_pt;
	r->codec_pt = e->pt >= 96 ? e->pt : 0;
	r->rtcp_port = e->rtcp;
	return r;
}

/* An RTCP packet of direction d of flow r: what it was. */
__attribute__((noinline)) static enum ct_media_kind rtcp_account(struct rtp_flow *r, struct rtp_dir *d,
								  const struct ct_pkt *p)
{
	struct ct_rtcp_info info;
	memset(&info, 0, sizeof(info));
	if (ct_rtcp_parse(p->data, p->dlen, &info) != CT_OK) {
		r->not_rtp++;
		return CT_MEDIA_BAD;
	}
	d->rtcp_packets++;
	d->rtcp_last = info;
	d->have_rtcp = true;
	return CT_MEDIA_RTCP;
}

/* The stream of a source not seen in direction d yet. */
__attribute__((noinline)) static struct ct_rtp_stream *stream_new(const struct rtp_flow *r, struct rtp_dir *d)
{
	if (d->n == MEDIA_SSRC_MAX)
		return &d->s[d->n - 1]; /* counted there as an SSRC change */
	struct ct_rtp_stream *s = &d->s[d->n++];
	ct_rtp_stream_init(s, r->clock, r->dtmf_pt, r->cn_pt);
	s->codec_pt = r->codec_pt;
	return s;
}

/* One packet of RTP flow r (RFC 3550 arithmetic, no allocation); what it was. Touches r only.
 * Inline in both callers: as a function of its own, its call and saved registers cost every
 * RTP packet a tenth of this module's work. */
__attribute__((always_inline)) static inline enum ct_media_kind rtp_account(struct rtp_flow *r, int dir,
									     const struct ct_pkt *p)
{
	struct rtp_dir *d = &r->dir[dir];
	if (CT_UNLIKELY(ct_rtp_is_rtcp(p->data, p->dlen)))
		return rtcp_account(r, d, p);
	struct ct_rtp_hdr h;
	if (ct_rtp_parse(p->data, p->dlen, &h) != CT_OK) {
		r->not_rtp++;
		return CT_MEDIA_BAD;
	}
	/* the SSRCs of a direction are distinct (a stream takes a new one only when no other
	 * has it), so the first match is the only one */
	struct ct_rtp_stream *s = NULL;
	for (unsigned i = 0; i < d->n; i++)
		if (d->s[i].ssrc == h.ssrc) {
			s = &d->s[i];
			break;
		}
	if (CT_UNLIKELY(!s))
		s = stream_new(r, d);
	ct_rtp_stream_update(s, &h, p->ts);
	return CT_MEDIA_RTP;
}

/* ct_media_count, inline in ct_media_udp */
static void count(struct ct_media *md, enum ct_media_kind kind)
{
	switch (kind) {
	case CT_MEDIA_RTP: md->ctr->rtp_packets++; break;
	case CT_MEDIA_RTCP: md->ctr->rtcp_packets++; break;
	case CT_MEDIA_BAD: md->ctr->rtp_bad++; break;
	default: break;
	}
}

void ct_media_count(struct ct_media *md, uint8_t kind)
{
	count(md, (enum ct_media_kind)kind);
}

bool ct_media_udp_fast(struct ct_flow *f, int dir, const struct ct_pkt *p, uint8_t *kind)
{
	struct rtp_flow *r = f->app;
	if (!r) {
		/* a flow the expectations may still claim is the serial thread's to look at */
		if (f->pkts[0] + f->pkts[1] <= MEDIA_CLASSIFY_PACKETS)
			return false;
		*kind = CT_MEDIA_NONE;
		return true;
	}
	if (r->magic != RTP_FLOW_MAGIC)
		return false;
	*kind = (uint8_t)rtp_account(r, dir, p);
	return true;
}

/* A flow with no state yet: an RTP flow from now on if one of its endpoints is expected. */
__attribute__((noinline)) static struct rtp_flow *flow_claim(struct ct_media *md, struct ct_flow *f,
							      const struct ct_pkt *p)
{
	if (f->pkts[0] + f->pkts[1] > MEDIA_CLASSIFY_PACKETS || md->nexpect == 0)
		return NULL;
	const struct ct_expect *e = expect_find(md, &p->dst, p->dport);
	if (!e)
		e = expect_find(md, &p->src, p->sport);
	if (!e)
		return NULL;
	struct rtp_flow *r = rtp_flow_new(e);
	if (!r)
		return NULL;
	if (e->owner)
		e->owner->rtp_flows++;
	f->app = r;
	md->ctr->rtp_flows++;
	return r;
}

bool ct_media_udp(struct ct_media *md, struct ct_flow *f, int dir, const struct ct_pkt *p)
{
	struct rtp_flow *r = f->app;
	if (CT_UNLIKELY(!r)) {
		r = flow_claim(md, f, p);
		if (!r)
			return false;
	} else if (r->magic != RTP_FLOW_MAGIC) {
		return false;
	}
	count(md, rtp_account(r, dir, p));
	return true;
}

static void report(struct ct_media *md, const struct rtp_flow *r, const struct ct_flow *f, int dir,
		   const struct ct_rtp_stream *s)
{
	if (!md->rep || !md->rep->rtp_stream)
		return;
	const struct rtp_dir *d = &r->dir[dir];
	struct ct_rtp_stream_view v = { .call = r->call[0] ? r->call : NULL, .s = s, .codec = r->codec,
					.have_rtcp = d->have_rtcp, .rtcp_packets = d->rtcp_packets,
					.rtcp_last = &d->rtcp_last };
	ct_flow_endpoints(f, dir, &v.src, &v.sport, &v.dst, &v.dport);
	md->rep->rtp_stream(md->rep->user, &v);
}

void ct_media_flow_close(struct ct_media *md, struct ct_flow *f, ct_time_t now)
{
	(void)now; /* the streams end at their last packet */
	struct rtp_flow *r = f->app;
	if (!r || r->magic != RTP_FLOW_MAGIC)
		return;
	for (int dir = 0; dir < 2; dir++)
		for (unsigned i = 0; i < r->dir[dir].n; i++)
			report(md, r, f, dir, &r->dir[dir].s[i]);
	free(r);
	f->app = NULL;
}
