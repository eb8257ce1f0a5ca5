/* tcp.c - TCP stream reassembly (behaviour in tcp.h). */
#include "tcp.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "../util/log.h"

/* Segments waiting per direction: the queue is a sorted list, so its length bounds each insert. */
#define TCP_MAX_OOO_SEGMENTS 1024

void ct_tcp_init(struct ct_tcp *t, size_t memcap, size_t flow_memcap, ct_time_t ooo_timeout, struct ct_counters *ctr)
{
	memset(t, 0, sizeof(*t));
	t->memcap = memcap;
	t->flow_memcap = flow_memcap;
	t->ooo_timeout = ooo_timeout;
	t->ctr = ctr;
}

/* ---- memory: what each flow holds, and who gives way at tcp.memcap_mb (tcp.h) ---- */

static struct ct_flow *flow_of(struct ct_tcp_flow *tf)
{
	return (struct ct_flow *)(void *)((char *)tf - offsetof(struct ct_flow, tcp));
}

static bool flow_proven(struct ct_flow *f)
{
	if (!f->tcp.proven && f->tcp.parser && f->tcp.parser->proven && f->tcp.parser->proven(f->tcp.pstate))
		f->tcp.proven = true;
	return f->tcp.proven;
}

static void mlist_unlink(struct ct_tcp_flow *tf)
{
	struct ct_tcp_list *l = tf->mlist;
	if (!l)
		return;
	if (tf->mprev)
		tf->mprev->mnext = tf->mnext;
	else
		l->head = tf->mnext;
	if (tf->mnext)
		tf->mnext->mprev = tf->mprev;
	else
		l->tail = tf->mprev;
	tf->mprev = tf->mnext = NULL;
	tf->mlist = NULL;
}

static void mlist_append(struct ct_tcp_list *l, struct ct_tcp_flow *tf)
{
	tf->mlist = l;
	tf->mnext = NULL;
	tf->mprev = l->tail;
	if (l->tail)
		l->tail->mnext = tf;
	else
		l->head = tf;
	l->tail = tf;
}

/* f now holds n more bytes: it becomes the most recently grown holder of its list. */
static void mem_charge(struct ct_tcp *t, struct ct_flow *f, size_t n)
{
	t->mem += n;
	f->tcp.mem += n;
	mlist_unlink(&f->tcp);
	mlist_append(flow_proven(f) ? &t->proven : &t->unproven, &f->tcp);
}

static void mem_release(struct ct_tcp *t, struct ct_flow *f, size_t n)
{
	t->mem -= n;
	f->tcp.mem -= n;
	if (f->tcp.mem == 0)
		mlist_unlink(&f->tcp);
}

static void half_drop_buf(struct ct_tcp *t, struct ct_flow *f, int dir)
{
	struct ct_tcp_half *h = &f->tcp.half[dir];
	mem_release(t, f, h->buf_cap);
	free(h->buf);
	h->buf = NULL;
	h->buf_len = h->buf_cap = 0;
}

static void half_drop_queue(struct ct_tcp *t, struct ct_flow *f, int dir)
{
	struct ct_tcp_half *h = &f->tcp.half[dir];
	while (h->ooo) {
		struct ct_tcp_seg *s = h->ooo;
		h->ooo = s->next;
		mem_release(t, f, s->len + sizeof(*s));
		free(s);
	}
	h->ooo_bytes = h->ooo_count = 0;
}

static void parser_gap(struct ct_flow *f, int dir, uint32_t bytes)
{
	if (f->tcp.parser && f->tcp.parser->gap)
		f->tcp.parser->gap(f->tcp.pstate, dir, bytes);
}

/* Drops everything v holds: its parser resyncs on the next bytes of each direction, which
 * start the direction again as if joined mid-stream. */
static void evict(struct ct_tcp *t, struct ct_flow *v)
{
	CT_COUNT_LOG(t->ctr->tcp_evicted, "TCP reassembly at tcp.memcap_mb: the buffers of a stream without a "
					  "parsed message were dropped to make room");
	for (int dir = 0; dir < 2; dir++) {
		struct ct_tcp_half *h = &v->tcp.half[dir];
		bool held = h->ooo || h->buf;
		half_drop_queue(t, v, dir);
		half_drop_buf(t, v, dir);
		if (held) {
			h->known = false;
			parser_gap(v, dir, 0);
		}
	}
}

/* Makes room for `need` more bytes for flow self by evicting streams without a parsed
 * message, least recently grown first (never self). False if the cap still does not allow. */
static bool make_room(struct ct_tcp *t, struct ct_flow *self, size_t need)
{
	while (t->mem + need > t->memcap) {
		struct ct_tcp_flow *v = t->unproven.head;
		if (v == &self->tcp)
			v = v->mnext;
		if (!v)
			return false;
		struct ct_flow *vf = flow_of(v);
		if (flow_proven(vf)) { /* it found a message since it was listed */
			mlist_unlink(v);
			mlist_append(&t->proven, v);
			continue;
		}
		evict(t, vf);
	}
	return true;
}

/* Buffer sizes: what is held, rounded up to 64 bytes (a 70-byte half-message costs 128). */
static size_t buf_round(size_t n)
{
	return (n + 63u) & ~(size_t)63u;
}

/* Runs the parser over data; returns how many bytes it consumed. On a parser error the
 * whole of data counts as consumed (dropped) and the parser is told to resync. */
static size_t parser_run(struct ct_tcp *t, struct ct_flow *f, int dir, const uint8_t *data, size_t len, ct_time_t ts)
{
	const struct ct_stream_parser *ps = f->tcp.parser;
	size_t off = 0;
	while (off < len) {
		size_t used = 0;
		int rc = ps->parse(f->tcp.pstate, dir, data + off, len - off, ts, &used);
		if (used > len - off)
			used = len - off;
		off += used;
		if (rc < 0) { /* a parser error, whatever its kind */
			CT_COUNT_LOG(t->ctr->tcp_parse_errors, "%s parser gave up on a TCP stream, resyncing",
				     ps->name);
			parser_gap(f, dir, 0);
			return len;
		}
		if (rc == CT_MORE || used == 0)
			break;
	}
	return off;
}

/* In-order bytes for the parser, held over when it wants to see them again. */
static void deliver(struct ct_tcp *t, struct ct_flow *f, int dir, const uint8_t *data, size_t len, ct_time_t ts)
{
	struct ct_tcp_half *h = &f->tcp.half[dir];
	t->ctr->tcp_bytes += len;
	if (!f->tcp.parser)
		return;
	if (h->buf_len == 0) {
		size_t used = parser_run(t, f, dir, data, len, ts);
		data += used;
		len -= used;
		if (len == 0)
			return;
	}
	size_t need = (size_t)h->buf_len + len;
	if (need > t->flow_memcap) {
		CT_COUNT_LOG(t->ctr->tcp_flow_memcap, "TCP message over tcp.flow_memcap_kb, dropped");
		half_drop_buf(t, f, dir);
		parser_gap(f, dir, 0);
		return;
	}
	if (need > h->buf_cap) {
		/* grow by doubling (amortised copies), but never past the flow cap nor, near the
		 * global cap, past what is needed */
		size_t cap = CT_MAX(buf_round(need), CT_MIN((size_t)h->buf_cap * 2, t->flow_memcap));
		if (t->mem + (cap - h->buf_cap) > t->memcap)
			cap = need;
		if (t->mem + (cap - h->buf_cap) > t->memcap && !make_room(t, f, cap - h->buf_cap)) {
			CT_COUNT_LOG(t->ctr->tcp_memcap, "TCP reassembly at tcp.memcap_mb, message dropped");
			half_drop_buf(t, f, dir);
			parser_gap(f, dir, 0);
			return;
		}
		uint8_t *nb = realloc(h->buf, cap);
		if (!nb) {
			half_drop_buf(t, f, dir);
			parser_gap(f, dir, 0);
			return;
		}
		h->buf = nb;
		mem_charge(t, f, cap - h->buf_cap);
		h->buf_cap = (uint32_t)cap;
	}
	memcpy(h->buf + h->buf_len, data, len);
	h->buf_len = (uint32_t)need;
	if (h->buf_len == len)
		return; /* parser already saw these bytes above */
	size_t used = parser_run(t, f, dir, h->buf, h->buf_len, ts);
	if (used >= h->buf_len) {
		half_drop_buf(t, f, dir); /* an idle stream holds nothing */
	} else if (used > 0) {
		memmove(h->buf, h->buf + used, h->buf_len - used);
		h->buf_len -= (uint32_t)used;
		if (h->buf_cap > 4096 && (size_t)h->buf_len * 4 < h->buf_cap) {
			size_t cap = buf_round(h->buf_len);
			uint8_t *nb = realloc(h->buf, cap);
			if (nb) {
				h->buf = nb;
				mem_release(t, f, h->buf_cap - cap);
				h->buf_cap = (uint32_t)cap;
			}
		}
	}
	if (h->buf && !f->tcp.proven && flow_proven(f))
		mem_charge(t, f, 0); /* moves it to the proven list */
}

/* Delivers the in-order part of seq/data; returns false if nothing of it was new. */
static void deliver_seq(struct ct_tcp *t, struct ct_flow *f, int dir, uint32_t seq, const uint8_t *data, size_t len,
			ct_time_t ts, bool from_queue)
{
	struct ct_tcp_half *h = &f->tcp.half[dir];
	int32_t d = ct_seq_diff(seq, h->next);
	if (d < 0) {
		if ((size_t)(-(int64_t)d) >= len) {
			if (!from_queue)
				t->ctr->tcp_retrans++;
			return;
		}
		if (!from_queue)
			t->ctr->tcp_overlap++;
		data += -d;
		len -= (size_t)-d;
	}
	h->next += (uint32_t)len;
	deliver(t, f, dir, data, len, ts);
}

static void drain(struct ct_tcp *t, struct ct_flow *f, int dir)
{
	struct ct_tcp_half *h = &f->tcp.half[dir];
	while (h->ooo && ct_seq_diff(h->ooo->seq, h->next) <= 0) {
		struct ct_tcp_seg *s = h->ooo;
		h->ooo = s->next;
		h->ooo_bytes -= s->len + (uint32_t)sizeof(*s);
		h->ooo_count--;
		mem_release(t, f, s->len + sizeof(*s));
		deliver_seq(t, f, dir, s->seq, s->data, s->len, CT_MAX(s->ts, t->now), true);
		free(s);
	}
}

/* Skips the hole before the first queued segment. */
static void skip_hole(struct ct_tcp *t, struct ct_flow *f, int dir)
{
	struct ct_tcp_half *h = &f->tcp.half[dir];
	if (!h->ooo)
		return;
	uint32_t missing = h->ooo->seq - h->next;
	t->ctr->tcp_gaps++;
	t->ctr->tcp_gap_bytes += missing;
	h->next = h->ooo->seq;
	half_drop_buf(t, f, dir);
	parser_gap(f, dir, missing);
	drain(t, f, dir);
}

static void queue_segment(struct ct_tcp *t, struct ct_flow *f, int dir, uint32_t seq, const uint8_t *data, size_t len,
			  ct_time_t ts)
{
	struct ct_tcp_half *h = &f->tcp.half[dir];
	/* Caps first: the new segment must fit after holes are skipped. A segment costs its
	 * header too, and the queue is a sorted list: its length is capped as well. */
	size_t cost = len + sizeof(struct ct_tcp_seg);
	if (t->mem + cost > t->memcap)
		make_room(t, f, cost);
	while (h->ooo && (h->ooo_bytes + cost + h->buf_len > t->flow_memcap || t->mem + cost > t->memcap ||
			  h->ooo_count >= TCP_MAX_OOO_SEGMENTS)) {
		if (h->ooo_bytes + cost + h->buf_len > t->flow_memcap || h->ooo_count >= TCP_MAX_OOO_SEGMENTS)
			CT_COUNT_LOG(t->ctr->tcp_flow_memcap, "TCP out-of-order queue over tcp.flow_memcap_kb, hole skipped");
		else
			CT_COUNT_LOG(t->ctr->tcp_memcap, "TCP reassembly at tcp.memcap_mb, hole skipped");
		skip_hole(t, f, dir);
	}
	if (len > t->flow_memcap || t->mem + cost > t->memcap) {
		/* Still no room (one huge segment, or other flows hold the memory): this segment is
		 * itself lost; the hole before it is skipped when later data shows up. */
		CT_COUNT_LOG(t->ctr->tcp_memcap, "TCP segment dropped at the reassembly memory cap");
		return;
	}
	struct ct_tcp_seg *s = malloc(sizeof(*s) + len);
	if (!s)
		return;
	s->seq = seq;
	s->len = (uint32_t)len;
	s->ts = ts;
	memcpy(s->data, data, len);
	struct ct_tcp_seg **pp = &h->ooo;
	while (*pp && ct_seq_diff((*pp)->seq, seq) <= 0)
		pp = &(*pp)->next;
	s->next = *pp;
	*pp = s;
	h->ooo_bytes += (uint32_t)cost;
	h->ooo_count++;
	mem_charge(t, f, cost);
	t->ctr->tcp_ooo++;
	drain(t, f, dir); /* skipping a hole above may have made this segment the next one */
}

bool ct_tcp_segment(struct ct_tcp *t, struct ct_flow *f, int dir, const struct ct_pkt *p)
{
	struct ct_tcp_half *h = &f->tcp.half[dir];
	struct ct_tcp_half *o = &f->tcp.half[!dir];
	uint32_t seq = p->seq;
	if (p->ts > t->now)
		t->now = p->ts;

	if (p->tcp_flags & CT_TCP_RST) {
		/* RFC 5961 3.2: a reset far from the expected sequence is blind injection */
		if (h->known && (ct_seq_diff(seq, h->next) > (1 << 20) || ct_seq_diff(seq, h->next) < -(1 << 20))) {
			CT_COUNT_LOG(t->ctr->tcp_rst_ignored, "TCP reset outside the window ignored");
			return false;
		}
		t->ctr->tcp_rst++;
		f->tcp.rst = true;
		return true;
	}
	if (p->tcp_flags & CT_TCP_SYN) {
		t->ctr->tcp_syn++;
		if (!h->syn) {
			h->syn = true;
			h->isn = seq;
		}
		seq++;
		if (!h->known) {
			h->next = seq;
			h->known = true;
		}
	}
	if (p->dlen > 0) {
		if (!h->known) {
			h->next = seq;
			h->known = true;
			t->ctr->tcp_midstream++;
		}
		if (h->fin && ct_seq_diff(seq, h->fin_seq) >= 0) {
			t->ctr->tcp_retrans++; /* data after FIN: a retransmission or a lie */
		} else if (ct_seq_diff(seq, h->next) <= 0) {
			deliver_seq(t, f, dir, seq, p->data, p->dlen, p->ts, false);
			drain(t, f, dir);
		} else {
			queue_segment(t, f, dir, seq, p->data, p->dlen, p->ts);
		}
	}
	if ((p->tcp_flags & CT_TCP_FIN) && !h->fin) {
		h->fin = true;
		h->fin_seq = seq + (uint32_t)p->dlen;
		t->ctr->tcp_fin++;
	}
	/* The peer acknowledged past our hole: it has bytes the capture missed. */
	if ((p->tcp_flags & CT_TCP_ACK) && o->known && o->ooo && ct_seq_diff(p->ack, o->ooo->seq) > 0)
		skip_hole(t, f, !dir);
	/* A hole waited too long for its bytes. */
	if (h->ooo && p->ts > h->ooo->ts && p->ts - h->ooo->ts > t->ooo_timeout)
		skip_hole(t, f, dir);
	if (h->fin && h->ooo) {
		/* queued data at or past FIN can never be real: drop it */
		struct ct_tcp_seg **pp = &h->ooo;
		while (*pp) {
			struct ct_tcp_seg *s = *pp;
			if (ct_seq_diff(s->seq, h->fin_seq) >= 0) {
				*pp = s->next;
				h->ooo_bytes -= s->len + (uint32_t)sizeof(*s);
				h->ooo_count--;
				mem_release(t, f, s->len + sizeof(*s));
				t->ctr->tcp_retrans++;
				free(s);
			} else {
				pp = &s->next;
			}
		}
	}
	return f->tcp.half[0].fin && f->tcp.half[1].fin;
}

void ct_tcp_close(struct ct_tcp *t, struct ct_flow *f)
{
	for (int dir = 0; dir < 2; dir++) {
		struct ct_tcp_half *h = &f->tcp.half[dir];
		while (h->ooo)
			skip_hole(t, f, dir);
		half_drop_buf(t, f, dir);
	}
	mlist_unlink(&f->tcp);
	if (f->tcp.parser && f->tcp.parser->close)
		f->tcp.parser->close(f->tcp.pstate);
	f->tcp.parser = NULL;
	f->tcp.pstate = NULL;
}
