/* capture.c - the per-frame path and the UDP/TCP hand-off to the layers above. */
#include "capture.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/json.h"
#include "../util/log.h"
#include "decode.h"

/* Flows expired per packet at most: expiry work stays bounded per packet. */
#define CAPTURE_EXPIRE_BUDGET 16

void ct_capture_cfg_default(struct ct_capture_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->vlan_max = 4;
	cfg->tunnel_max = 3;
	cfg->vxlan_port = 4789;
	cfg->dedup = true;
	cfg->dedup_window = 50 * 1000;
	cfg->dedup_buckets = 4096; /* 256 KiB: fits L2; 16k packets per window */
	cfg->defrag_max = 4096;
	cfg->defrag_memcap = 32u << 20;
	cfg->defrag_timeout = 30 * CT_USEC_PER_SEC;
	cfg->flow_max = 262144;
	cfg->udp_timeout = 120 * CT_USEC_PER_SEC;
	cfg->tcp_timeout = 3600 * CT_USEC_PER_SEC;
	cfg->tcp_closed_timeout = 10 * CT_USEC_PER_SEC;
	cfg->tcp_memcap = 256u << 20;
	cfg->tcp_flow_memcap = 1u << 20;
	cfg->tcp_ooo_timeout = 10 * CT_USEC_PER_SEC;
	cfg->workers = 0; /* as the machine allows (app/main.c) */
}

void ct_addr_format(const struct ct_addr *a, char *out, size_t outlen)
{
	if (!ct_addr_is_v4(a)) {
		inet_ntop(AF_INET6, a->a, out, (socklen_t)outlen);
		return;
	}
	/* dotted quad by hand: records name two addresses per SIP and CSTA message */
	char b[16];
	size_t n = 0;
	for (int i = 12; i < 16; i++) {
		unsigned v = a->a[i];
		if (v >= 100)
			b[n++] = (char)('0' + v / 100);
		if (v >= 10)
			b[n++] = (char)('0' + v / 10 % 10);
		b[n++] = (char)('0' + v % 10);
		b[n++] = i < 15 ? '.' : '\0';
	}
	if (outlen >= n)
		memcpy(out, b, n);
	else if (outlen)
		out[0] = '\0'; /* as inet_ntop: nothing when it does not fit (its caller's buffers do) */
}

/* An SCTP user message being put together from its DATA chunk fragments (RFC 9260 6.9). */
struct ct_sctp_reasm {
	uint32_t next_tsn;
	size_t len;
	size_t cap;
	uint8_t data[];
};

static void capture_flow_closed(void *user, struct ct_flow *f, enum ct_flow_end why)
{
	struct ct_capture *c = user;
	if (f->key.proto == 6)
		ct_tcp_close(&c->tcp, f);
	for (int d = 0; d < 2; d++) {
		free(f->sctp[d]);
		f->sctp[d] = NULL;
	}
	if (c->ops.flow_close)
		c->ops.flow_close(c->user, f, why);
}

int ct_capture_init(struct ct_capture *c, const struct ct_capture_cfg *cfg, const struct ct_hashkey *key,
		    struct ct_counters *ctr, const struct ct_capture_ops *ops, void *user)
{
	memset(c, 0, sizeof(*c));
	c->frame_linktype = CT_LINK_ETHERNET; /* until a frame comes: what an evidence pcap opened then says */
	c->cfg = *cfg;
	c->ctr = ctr;
	c->key = *key;
	if (ops)
		c->ops = *ops;
	c->user = user;
	int rc = ct_dedup_init(&c->dedup, cfg->dedup_buckets, cfg->dedup_window, key);
	if (rc)
		return rc;
	rc = ct_defrag_init(&c->defrag, cfg->defrag_max, cfg->defrag_memcap, cfg->defrag_timeout, key, ctr);
	if (rc) {
		ct_dedup_free(&c->dedup);
		return rc;
	}
	struct ct_flowtab_cfg fc = {
		.max_flows = cfg->flow_max,
		.udp_timeout = cfg->udp_timeout,
		.tcp_timeout = cfg->tcp_timeout,
		.tcp_closed_timeout = cfg->tcp_closed_timeout,
	};
	rc = ct_flowtab_init(&c->flows, &fc, key, ctr, capture_flow_closed, c);
	if (rc) {
		ct_defrag_free(&c->defrag);
		ct_dedup_free(&c->dedup);
		return rc;
	}
	ct_tcp_init(&c->tcp, cfg->tcp_memcap, cfg->tcp_flow_memcap, cfg->tcp_ooo_timeout, ctr);
	return CT_OK;
}

void ct_capture_free(struct ct_capture *c)
{
	ct_capture_flush(c);
	ct_flowtab_free(&c->flows);
	ct_defrag_free(&c->defrag);
	ct_dedup_free(&c->dedup);
	for (unsigned i = 0; i < c->nheld; i++)
		free(c->held[i].data);
	c->nheld = 0;
}

/* What a log line written while a frame is handled is about: the frame (its number in the
 * run, which is Wireshark's for a single file), its innermost addresses as far as they were
 * decoded, and its packet time. */
struct frame_about {
	const struct ct_pkt *p;
	uint64_t frame;
};

static size_t frame_about(const void *obj, char *buf, size_t cap)
{
	const struct frame_about *a = obj;
	const struct ct_pkt *p = a->p;
	char t[32], src[64] = "", dst[64] = "", proto[8];
	ct_time_format(p->ts, t);
	if (p->ipver) {
		ct_addr_format(&p->src, src, sizeof(src));
		ct_addr_format(&p->dst, dst, sizeof(dst));
	}
	snprintf(proto, sizeof(proto), "%s", p->proto == 17 ? "udp" : p->proto == 6 ? "tcp" : p->proto == 132 ? "sctp" : "ip");
	int n;
	if (!p->ipver)
		n = snprintf(buf, cap, "frame %" PRIu64 " at %s", a->frame, t);
	else if (p->sport || p->dport)
		n = snprintf(buf, cap, "frame %" PRIu64 " %s %s%s%s:%u > %s%s%s:%u at %s", a->frame, proto,
			     p->ipver == 6 ? "[" : "", src, p->ipver == 6 ? "]" : "", p->sport, p->ipver == 6 ? "[" : "",
			     dst, p->ipver == 6 ? "]" : "", p->dport, t);
	else
		n = snprintf(buf, cap, "frame %" PRIu64 " %s > %s at %s", a->frame, src, dst, t);
	return n < 0 ? 0 : CT_MIN((size_t)n, cap ? cap - 1 : 0);
}

/* ---- the capture clock (rule in capture.h) ---- */

/* Decodes frame number `frameno` of the run at packet time ts (log lines name it). */
static void frame_decode(struct ct_capture *c, int linktype, ct_time_t ts, const uint8_t *frame, uint32_t caplen,
			 uint32_t wirelen, uint64_t frameno)
{
	struct ct_pkt p;
	/* cleared in two halves: GCC 12 clears the whole (120 bytes) with `rep stos`, whose start-up
	 * was 3 % of the RTP path; 64 bytes or less it clears with vector stores */
	_Static_assert(sizeof(p) > 64 && sizeof(p) <= 128, "two halves of at most 64 bytes");
	memset(&p, 0, 64);
	memset((uint8_t *)&p + 64, 0, sizeof(p) - 64);
	p.ts = ts;
	p.caplen = caplen;
	p.wirelen = wirelen;
	struct frame_about about = { &p, frameno };
	c->frameno = frameno;
	ct_log_about(frame_about, &about);
	c->frame = frame;
	c->frame_caplen = caplen;
	c->frame_wirelen = wirelen;
	c->frame_linktype = linktype;
	ct_decode_link(c, &p, linktype, frame, caplen);
	c->frame = NULL;
	ct_log_about(NULL, NULL);
}

/* Flows expire at the clock's new time (or, split, the serial half is told to). */
static void flows_advance(struct ct_capture *c, ct_time_t now)
{
	if (c->split)
		c->split->advance(c->split->user, now);
	else
		ct_flowtab_expire(&c->flows, now, CAPTURE_EXPIRE_BUDGET);
}

static void flows_rebase(struct ct_capture *c, ct_time_t to)
{
	if (c->split) {
		c->split->rebase(c->split->user, to);
	} else {
		ct_flowtab_rebase(&c->flows, to);
		c->tcp.now = to;
	}
}

void ct_capture_advance(struct ct_capture *c, ct_time_t now)
{
	c->now = now;
	ct_flowtab_expire(&c->flows, now, CAPTURE_EXPIRE_BUDGET);
}

void ct_capture_rebase(struct ct_capture *c, ct_time_t to)
{
	c->now = to;
	ct_flowtab_rebase(&c->flows, to);
	c->tcp.now = to;
}

/* Moves the clock forward to ts (nothing if ts is not newer): timers above, then expiry. */
static void clock_advance(struct ct_capture *c, ct_time_t ts)
{
	if (ts <= c->now)
		return;
	if (c->ops.clock && ts / CT_CLOCK_TICK != c->now / CT_CLOCK_TICK)
		c->ops.clock(c->user, ts);
	c->now = ts;
	flows_advance(c, ts);
	ct_defrag_expire(&c->defrag, ts);
}

static bool clock_on_line(const struct ct_capture *c, ct_time_t ts)
{
	return ts + CT_CLOCK_WINDOW >= c->now && ts <= c->now + CT_CLOCK_WINDOW;
}

static void held_drop(struct ct_capture *c)
{
	for (unsigned i = 0; i < c->nheld; i++)
		free(c->held[i].data);
	c->nheld = 0;
	c->nstreak = 0;
}

/* The held frames were outliers: each is processed at the clock's time, in order. */
static void held_outliers(struct ct_capture *c)
{
	unsigned n = c->nheld;
	c->nheld = 0; /* frame_decode below never holds, but keep the state plain while it runs */
	for (unsigned i = 0; i < n; i++) {
		struct ct_held_frame *h = &c->held[i];
		if (!h->invalid)
			CT_COUNT_LOG(c->ctr->clock_outliers,
				     "a frame %s the capture clock by more than %llu s was processed at the clock's time",
				     h->ts > c->now ? "ahead of" : "behind",
				     (unsigned long long)(CT_CLOCK_WINDOW / CT_USEC_PER_SEC));
		frame_decode(c, h->linktype, c->now, h->data, h->caplen, h->wirelen, h->frameno);
	}
	c->nheld = n;
	held_drop(c);
}

/* The held frames are the clock's new time line. */
static void held_accept(struct ct_capture *c)
{
	ct_time_t to = 0;
	for (unsigned i = 0; i < c->nheld && !to; i++)
		if (!c->held[i].invalid)
			to = c->held[i].ts;
	ct_time_t from = c->now;
	bool back = to < from;
	if (back || to - from > CT_CLOCK_JUMP_AUDIT) {
		c->ctr->clock_jumps++;
		ct_warn("capture clock moved %s by %llu s after %u frames in a row on the new time (clock_jumps)",
			back ? "back" : "forward", (unsigned long long)((back ? from - to : to - from) / CT_USEC_PER_SEC),
			c->nstreak);
		if (c->ops.clock_jump)
			c->ops.clock_jump(c->user, from, to, c->nstreak);
	}
	if (back) {
		/* what was seen on the old time line counts as last seen now: it ages out on the new one */
		c->now = to;
		flows_rebase(c, to);
		ct_defrag_rebase(&c->defrag, to);
		if (c->ops.clock)
			c->ops.clock(c->user, to);
	}
	unsigned n = c->nheld;
	c->nheld = 0;
	for (unsigned i = 0; i < n; i++) {
		struct ct_held_frame *h = &c->held[i];
		if (!h->invalid)
			clock_advance(c, h->ts);
		frame_decode(c, h->linktype, h->invalid ? c->now : h->ts, h->data, h->caplen, h->wirelen, h->frameno);
	}
	c->nheld = n;
	held_drop(c);
}

static void held_add(struct ct_capture *c, int linktype, ct_time_t ts, bool invalid, const uint8_t *frame,
		     uint32_t caplen, uint32_t wirelen)
{
	if (c->nheld == CT_CLOCK_HELD_MAX)
		held_outliers(c);
	uint8_t *copy = malloc(caplen ? caplen : 1);
	if (!copy) {
		frame_decode(c, linktype, c->now, frame, caplen, wirelen, c->ctr->packets);
		return;
	}
	memcpy(copy, frame, caplen);
	struct ct_held_frame *h = &c->held[c->nheld++];
	h->ts = ts;
	h->linktype = linktype;
	h->caplen = caplen;
	h->wirelen = wirelen;
	h->invalid = invalid;
	h->frameno = c->ctr->packets;
	h->data = copy;
	if (!invalid) {
		c->streak_last = c->nstreak ? CT_MAX(c->streak_last, ts) : ts;
		c->nstreak++;
	}
}

void ct_capture_flush(struct ct_capture *c)
{
	if (!c->nheld)
		return;
	ct_time_t first = 0;
	for (unsigned i = 0; i < c->nheld && !first; i++)
		if (!c->held[i].invalid)
			first = c->held[i].ts;
	if (c->nstreak && first > c->now && first - c->now <= CT_CLOCK_JUMP_AUDIT)
		held_accept(c); /* a silence before the last frames of the input */
	else
		held_outliers(c);
}

void ct_capture_frame(struct ct_capture *c, int linktype, ct_time_t ts, const uint8_t *frame, uint32_t caplen,
		      uint32_t wirelen)
{
	c->ctr->packets++;
	c->ctr->bytes += wirelen;
	if (caplen < wirelen)
		c->ctr->snapped++;
	if (CT_UNLIKELY(ts > CT_TIME_MAX)) {
		CT_COUNT_LOG(c->ctr->clock_invalid, "a frame dated past the year 9999 was processed at the capture clock's time");
		if (c->nheld)
			held_add(c, linktype, ts, true, frame, caplen, wirelen);
		else
			frame_decode(c, linktype, c->now, frame, caplen, wirelen, c->ctr->packets);
		return;
	}
	if (CT_UNLIKELY(!c->clock_started)) {
		c->clock_started = true; /* the first frame starts the clock */
		clock_advance(c, ts);
	}
	if (CT_LIKELY(clock_on_line(c, ts))) {
		if (CT_UNLIKELY(c->nheld != 0))
			held_outliers(c);
		clock_advance(c, ts);
		frame_decode(c, linktype, ts, frame, caplen, wirelen, c->ctr->packets);
		return;
	}
	/* off the clock's time line: on the candidate one, or the start of another */
	if (c->nstreak && ts + CT_CLOCK_WINDOW < c->streak_last)
		held_outliers(c);
	held_add(c, linktype, ts, false, frame, caplen, wirelen);
	if (c->nstreak >= CT_CLOCK_STREAK)
		held_accept(c);
}

/* A UDP datagram (header parsed) to its flow and the `udp` callback. */
static void capture_udp_flow(struct ct_capture *c, struct ct_pkt *p)
{
	int dir;
	bool created;
	struct ct_flow *f = ct_flow_get(&c->flows, p, &dir, &created);
	if (!f)
		return;
	if (created)
		c->ctr->flows_udp++;
	f->pkts[dir]++;
	f->bytes[dir] += p->dlen;
	if (c->ops.udp)
		c->ops.udp(c->user, c, f, dir, p);
}

void ct_capture_udp(struct ct_capture *c, struct ct_pkt *p, struct ct_cur cur)
{
	struct ct_cur hdr = cur;
	struct ct_cur h = ct_cur_sub(&cur, 8); /* one bounds check for the header */
	p->sport = ct_cur_be16(&h);
	p->dport = ct_cur_be16(&h);
	uint16_t ulen = ct_cur_be16(&h);
	if (h.err) {
		CT_COUNT_LOG(c->ctr->truncated, "UDP header cut short");
		return;
	}
	size_t avail = ct_cur_avail(&cur) + 8;
	if (ulen < 8 || ulen > avail) {
		CT_COUNT_LOG(c->ctr->malformed, "UDP length %u does not fit its IP packet of %zu bytes", ulen, avail);
		return;
	}
	ct_cur_limit(&cur, ulen - 8u); /* checked above: the IP packet holds the datagram */
	c->ctr->udp++;
	if (c->cfg.vxlan_port && p->dport == c->cfg.vxlan_port) {
		/* VXLAN (RFC 7348): flags with the I bit, reserved, VNI, reserved, then Ethernet */
		struct ct_cur vx = cur;
		uint8_t flags = ct_cur_u8(&vx);
		ct_cur_skip(&vx, 7);
		if (!vx.err && (flags & 0x08) && ct_tunnel_enter(c, p)) {
			c->ctr->tunnel_vxlan++;
			ct_decode_ethernet(c, p, vx);
			return;
		}
	}
	p->l4 = ct_cur_here(&hdr);
	p->l4len = ulen;
	p->data = ct_cur_here(&cur);
	p->dlen = ct_cur_avail(&cur);
	if (c->split)
		c->split->l4(c->split->user, c, p);
	else
		capture_udp_flow(c, p);
}

static void capture_tcp_flow(struct ct_capture *c, struct ct_pkt *p);

void ct_capture_tcp(struct ct_capture *c, struct ct_pkt *p, struct ct_cur cur)
{
	struct ct_cur hdr = cur;
	p->sport = ct_cur_be16(&cur);
	p->dport = ct_cur_be16(&cur);
	p->seq = ct_cur_be32(&cur);
	p->ack = ct_cur_be32(&cur);
	uint8_t off = ct_cur_u8(&cur);
	p->tcp_flags = ct_cur_u8(&cur);
	ct_cur_skip(&cur, 6); /* window, checksum, urgent pointer */
	if (cur.err) {
		CT_COUNT_LOG(c->ctr->truncated, "TCP header cut short");
		return;
	}
	size_t hlen = (size_t)(off >> 4) * 4;
	ct_cur_skip(&cur, hlen >= 20 ? hlen - 20 : 0);
	if (hlen < 20 || cur.err) {
		CT_COUNT_LOG(c->ctr->tcp_bad_header, "TCP data offset of %zu bytes does not fit", hlen);
		return;
	}
	c->ctr->tcp++;
	p->l4 = ct_cur_here(&hdr);
	p->l4len = ct_cur_avail(&hdr);
	p->data = ct_cur_here(&cur);
	p->dlen = ct_cur_avail(&cur);
	if (c->split)
		c->split->l4(c->split->user, c, p);
	else
		capture_tcp_flow(c, p);
}

/* A TCP segment (header parsed) to its flow and reassembly. */
static void capture_tcp_flow(struct ct_capture *c, struct ct_pkt *p)
{
	int dir;
	bool created;
	struct ct_flow *f = ct_flow_get(&c->flows, p, &dir, &created);
	if (!f)
		return;
	if (!created && f->cls == CT_FLOW_TCP_CLOSED && (p->tcp_flags & (CT_TCP_SYN | CT_TCP_ACK)) == CT_TCP_SYN &&
	    !(f->tcp.half[dir].syn && f->tcp.half[dir].isn == p->seq)) {
		/* a new connection on the ports of a closed one (not a retransmitted SYN) */
		ct_flow_end(&c->flows, f, CT_FLOW_END_REUSED);
		f = ct_flow_get(&c->flows, p, &dir, &created);
		if (!f)
			return;
	}
	if (created) {
		c->ctr->flows_tcp++;
		if (c->ops.tcp_classify)
			f->tcp.parser = c->ops.tcp_classify(c->user, f, p, &f->tcp.pstate);
	}
	f->pkts[dir]++;
	f->bytes[dir] += p->dlen;
	if (ct_tcp_segment(&c->tcp, f, dir, p) || f->tcp.rst)
		ct_flow_set_class(&c->flows, f, CT_FLOW_TCP_CLOSED);
}

/* A fragment of an SCTP user message: true (and p->data pointing at the whole message)
 * when it completes one. Fragments must come in TSN order; anything else drops the message
 * (counted): SIP over SCTP rarely fragments, and then in order. */
static bool sctp_fragment(struct ct_capture *c, struct ct_flow *f, int dir, uint8_t flags, uint32_t tsn,
			  struct ct_pkt *p)
{
	struct ct_sctp_reasm *r = f->sctp[dir];
	c->ctr->sctp_fragments++;
	if (flags & 2) { /* B: first fragment */
		free(r);
		r = f->sctp[dir] = NULL;
	} else if (r && (int32_t)(tsn - r->next_tsn) < 0) {
		return false; /* a fragment seen already (retransmission, SPAN copy) */
	} else if (!r || tsn != r->next_tsn) {
		CT_COUNT_LOG(c->ctr->sctp_dropped, "SCTP fragment out of order or without its first: message dropped");
		free(r);
		f->sctp[dir] = NULL;
		return false;
	}
	size_t need = (r ? r->len : 0) + p->dlen;
	if (need > c->cfg.tcp_flow_memcap) {
		CT_COUNT_LOG(c->ctr->sctp_dropped, "SCTP message over tcp.flow_memcap_kb: dropped");
		free(r);
		f->sctp[dir] = NULL;
		return false;
	}
	if (!r || need > r->cap) {
		size_t cap = r ? r->cap : 2048;
		while (cap < need)
			cap *= 2;
		struct ct_sctp_reasm *n = realloc(r, sizeof(*n) + cap);
		if (!n) {
			free(r);
			f->sctp[dir] = NULL;
			return false;
		}
		if (!r)
			n->len = 0;
		n->cap = cap;
		r = f->sctp[dir] = n;
	}
	memcpy(r->data + r->len, p->data, p->dlen);
	r->len += p->dlen;
	r->next_tsn = tsn + 1;
	if (!(flags & 1))
		return false;
	p->data = r->data;
	p->dlen = r->len;
	return true;
}

/* SCTP (RFC 9260 section 3): each user message (a DATA chunk with B and E flags, or its
 * fragments put together) goes to the `udp` callback like a datagram. */
void ct_capture_sctp(struct ct_capture *c, struct ct_pkt *p, struct ct_cur cur)
{
	if (c->split) {
		/* chunks go to flows one by one: the serial half parses the packet (ct_capture_l4) */
		p->l4 = ct_cur_here(&cur);
		p->l4len = ct_cur_avail(&cur);
		c->split->l4(c->split->user, c, p);
		return;
	}
	p->sport = ct_cur_be16(&cur);
	p->dport = ct_cur_be16(&cur);
	ct_cur_skip(&cur, 8); /* verification tag, checksum */
	if (cur.err) {
		CT_COUNT_LOG(c->ctr->truncated, "SCTP header cut short");
		return;
	}
	c->ctr->sctp++;
	while (ct_cur_avail(&cur) >= 4) {
		uint8_t type = ct_cur_u8(&cur);
		uint8_t flags = ct_cur_u8(&cur);
		uint16_t clen = ct_cur_be16(&cur);
		if (clen < 4 || (size_t)clen - 4 > ct_cur_avail(&cur)) {
			CT_COUNT_LOG(c->ctr->malformed, "SCTP chunk length %u does not fit", clen);
			return;
		}
		struct ct_cur chunk = ct_cur_sub(&cur, (size_t)clen - 4);
		ct_cur_skip_upto(&cur, (size_t)(((clen + 3u) & ~3u) - clen)); /* the last chunk's padding may be absent */
		if (type != 0)
			continue; /* not DATA */
		uint32_t tsn = ct_cur_be32(&chunk);
		ct_cur_skip(&chunk, 8); /* stream id, stream sequence, payload protocol id */
		if (chunk.err) {
			CT_COUNT_LOG(c->ctr->malformed, "SCTP DATA chunk shorter than its header");
			return;
		}
		int dir;
		bool created;
		struct ct_flow *f = ct_flow_get(&c->flows, p, &dir, &created);
		if (!f)
			return;
		f->pkts[dir]++;
		f->bytes[dir] += ct_cur_avail(&chunk);
		p->data = ct_cur_here(&chunk);
		p->dlen = ct_cur_avail(&chunk);
		if ((flags & 3) != 3 && !sctp_fragment(c, f, dir, flags, tsn, p))
			continue;
		if (c->ops.udp)
			c->ops.udp(c->user, c, f, dir, p);
		if ((flags & 3) != 3) {
			free(f->sctp[dir]);
			f->sctp[dir] = NULL;
		}
	}
}

void ct_capture_l4(struct ct_capture *c, struct ct_pkt *p, uint64_t frameno)
{
	struct frame_about about = { p, frameno };
	ct_log_about(frame_about, &about);
	switch (p->proto) {
	case 17:
		capture_udp_flow(c, p);
		break;
	case 6:
		capture_tcp_flow(c, p);
		break;
	case 132:
		ct_capture_sctp(c, p, ct_cur_make(p->l4 ? p->l4 : (const uint8_t *)"", p->l4 ? p->l4len : 0));
		break;
	default:
		break;
	}
	ct_log_about(NULL, NULL);
}
