/* frames.c - capture-layer test harness (see frames.h). */
#include "frames.h"

#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>

#include <cmocka.h>

static int h_parse(void *st, int dir, const uint8_t *data, size_t len, ct_time_t ts, size_t *consumed)
{
	(void)ts;
	struct h_stream *s = st;
	s->calls++;
	size_t n = len;
	for (size_t i = 0; i < len; i++)
		if ((int)data[i] == s->error_byte) {
			*consumed = 0;
			return CT_EINVAL;
		}
	if (s->line_mode) {
		/* consume whole lines only */
		n = 0;
		for (size_t i = 0; i < len; i++)
			if (data[i] == '\n') {
				n = i + 1;
				s->messages[dir]++;
			}
	}
	assert_true(s->len[dir] + n <= H_STREAM_MAX);
	memcpy(s->buf[dir] + s->len[dir], data, n);
	s->len[dir] += n;
	*consumed = n;
	return n < len ? CT_MORE : CT_OK;
}

static void h_gap(void *st, int dir, uint32_t bytes)
{
	struct h_stream *s = st;
	s->gaps[dir]++;
	s->gap_bytes[dir] += bytes;
}

static void h_close(void *st)
{
	struct h_stream *s = st;
	s->closes++;
}

/* proven once it consumed a whole line (line mode) */
static bool h_proven(const void *st)
{
	const struct h_stream *s = st;
	return s->messages[0] + s->messages[1] > 0;
}

static const struct ct_stream_parser h_parser = { "test", h_parse, h_gap, h_close, h_proven };

static const struct ct_stream_parser *h_classify(void *user, struct ct_flow *f, const struct ct_pkt *p, void **st)
{
	(void)f;
	(void)p;
	struct harness *h = user;
	struct h_stream *s = calloc(1, sizeof(*s));
	assert_non_null(s);
	s->line_mode = h->line_mode;
	s->error_byte = h->error_byte ? h->error_byte : -1;
	/* the harness keeps only the newest stream; tests that need several read it between flows */
	h->stream = s;
	assert_true(h->nstreams < 64);
	h->streams[h->nstreams++] = s;
	*st = s;
	return &h_parser;
}

static void h_on_udp(void *user, struct ct_capture *c, struct ct_flow *f, int dir, const struct ct_pkt *p)
{
	(void)c;
	struct harness *h = user;
	if (h->nudp >= H_MAX_UDP) { /* counted, not kept */
		h->nudp++;
		return;
	}
	struct h_udp *u = &h->udp[h->nudp++];
	u->p = *p;
	u->dir = dir;
	u->flow_id = f->id;
	assert_true(p->dlen <= sizeof(u->data));
	memcpy(u->data, p->data, p->dlen);
	u->dlen = p->dlen;
}

static void h_flow_close(void *user, struct ct_flow *f, enum ct_flow_end why)
{
	(void)f;
	(void)why;
	struct harness *h = user;
	h->flow_closes++;
}

static void h_clock(void *user, ct_time_t now)
{
	struct harness *h = user;
	h->clock_calls++;
	h->clock_last = now;
}

static void h_clock_jump(void *user, ct_time_t from, ct_time_t to, unsigned frames)
{
	struct harness *h = user;
	h->jumps++;
	h->jump_from = from;
	h->jump_to = to;
	h->jump_frames = frames;
}

void h_init(struct harness *h, void (*cfg_fn)(struct ct_capture_cfg *cfg))
{
	memset(h, 0, sizeof(*h));
	struct ct_capture_cfg cfg;
	ct_capture_cfg_default(&cfg);
	cfg.flow_max = 4096;
	if (cfg_fn)
		cfg_fn(&cfg);
	struct ct_hashkey key;
	ct_hashkey_fixed(&key, 42);
	static const struct ct_capture_ops ops = { .udp = h_on_udp, .tcp_classify = h_classify, .flow_close = h_flow_close,
						   .clock = h_clock, .clock_jump = h_clock_jump };
	assert_int_equal(ct_capture_init(&h->cap, &cfg, &key, &h->ctr, &ops, h), CT_OK);
}

void h_free(struct harness *h)
{
	ct_capture_free(&h->cap);
	for (unsigned i = 0; i < h->nstreams; i++)
		free(h->streams[i]);
}

void h_frame(struct harness *h, int linktype, ct_time_t ts, const uint8_t *frame, size_t len)
{
	/* copy into an exact-size heap buffer so ASan catches any read past the frame */
	uint8_t *copy = malloc(len ? len : 1);
	assert_non_null(copy);
	memcpy(copy, frame, len);
	ct_capture_frame(&h->cap, linktype, ts, copy, (uint32_t)len, (uint32_t)len);
	free(copy);
}

void h_end_of_input(struct harness *h)
{
	ct_capture_flush(&h->cap);
}

static uint8_t *fb_push(struct fb *f, size_t n)
{
	assert_true(f->off >= n);
	f->off -= n;
	return f->buf + f->off;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

void fb_payload(struct fb *f, const void *data, size_t len)
{
	f->off = sizeof(f->buf);
	memcpy(fb_push(f, len), data, len);
}

void fb_udp(struct fb *f, uint16_t sport, uint16_t dport)
{
	size_t len = fb_len(f) + 8;
	uint8_t *p = fb_push(f, 8);
	put16(p, sport);
	put16(p + 2, dport);
	put16(p + 4, (uint16_t)len);
	put16(p + 6, 0);
}

void fb_tcp(struct fb *f, uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags)
{
	uint8_t *p = fb_push(f, 20);
	put16(p, sport);
	put16(p + 2, dport);
	put32(p + 4, seq);
	put32(p + 8, ack);
	p[12] = 5 << 4;
	p[13] = flags;
	put16(p + 14, 65535);
	put16(p + 16, 0);
	put16(p + 18, 0);
}

void fb_ipv4(struct fb *f, const char *src, const char *dst, uint8_t proto, uint16_t id, uint16_t frag, uint8_t ttl)
{
	size_t len = fb_len(f) + 20;
	uint8_t *p = fb_push(f, 20);
	p[0] = 0x45;
	p[1] = 0;
	put16(p + 2, (uint16_t)len);
	put16(p + 4, id);
	put16(p + 6, frag);
	p[8] = ttl;
	p[9] = proto;
	put16(p + 10, 0);
	assert_int_equal(inet_pton(AF_INET, src, p + 12), 1);
	assert_int_equal(inet_pton(AF_INET, dst, p + 16), 1);
}

void fb_ipv6(struct fb *f, const char *src, const char *dst, uint8_t nh)
{
	size_t plen = fb_len(f);
	uint8_t *p = fb_push(f, 40);
	put32(p, 0x60000000u);
	put16(p + 4, (uint16_t)plen);
	p[6] = nh;
	p[7] = 64;
	assert_int_equal(inet_pton(AF_INET6, src, p + 8), 1);
	assert_int_equal(inet_pton(AF_INET6, dst, p + 24), 1);
}

void fb_ipv6_frag(struct fb *f, uint8_t nh, uint16_t off_bytes, int more, uint32_t id)
{
	uint8_t *p = fb_push(f, 8);
	p[0] = nh;
	p[1] = 0;
	put16(p + 2, (uint16_t)(off_bytes | (more ? 1 : 0)));
	put32(p + 4, id);
}

void fb_vlan(struct fb *f, uint16_t vid, uint16_t inner_type)
{
	uint8_t *p = fb_push(f, 4);
	put16(p, vid);
	put16(p + 2, inner_type);
}

void fb_eth(struct fb *f, uint16_t type)
{
	static const uint8_t macs[12] = { 0, 0x11, 0x22, 0x33, 0x44, 0x55, 0, 0x66, 0x77, 0x88, 0x99, 0xaa };
	uint8_t *p = fb_push(f, 14);
	memcpy(p, macs, 12);
	put16(p + 12, type);
}

void h_tcp(struct harness *h, ct_time_t ts, const char *src, uint16_t sport, const char *dst, uint16_t dport,
	   uint32_t seq, uint32_t ack, uint8_t flags, const char *payload)
{
	static struct fb f;
	static uint16_t ipid;
	fb_payload(&f, payload, strlen(payload));
	fb_tcp(&f, sport, dport, seq, ack, flags);
	fb_ipv4(&f, src, dst, 6, ++ipid, 0x4000, 64);
	fb_eth(&f, 0x0800);
	h_frame(h, CT_LINK_ETHERNET, ts, fb_data(&f), fb_len(&f));
}
