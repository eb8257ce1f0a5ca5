/* sip_stream.c - SIP over TCP and WebSocket (behaviour in sip_stream.h). */
#include "sip_stream.h"

#include <stdlib.h>
#include <string.h>

#include "../util/log.h"
#include "../util/slice.h"
#include "ws.h"

#define SIP_DETECT_BUDGET (64u * 1024u) /* bytes looked at before a flow is declared not SIP */
#define SIP_WS_MAX_MESSAGE (64u * 1024u)
#define SIP_SKIP_HDR_MAX (1u << 20)     /* header bytes walked for a Content-Length before giving up */
#define SIP_SKIP_LINE_MAX 512u          /* a line longer than this is not a Content-Length to read */

enum mode { M_DETECT, M_SIP, M_WS_HTTP, M_WS, M_IGNORE, M_SKIP_HDR, M_SKIP_BODY };

struct half {
	uint8_t mode;
	uint8_t after_skip;  /* mode to go back to when M_SKIP_BODY ends (M_SIP or M_WS) */
	bool midline;        /* M_SKIP_HDR: inside a long line, skipped to its end */
	bool have_cl;        /* M_SKIP_HDR: a Content-Length was seen */
	bool ws_discard;     /* the WebSocket message being received is oversized: dropped to its end */
	uint32_t detect_seen;
	uint64_t cl;         /* M_SKIP_HDR: that Content-Length (saturated) */
	uint64_t hdr_seen;   /* M_SKIP_HDR: header bytes walked */
	uint64_t skip_left;  /* M_SKIP_BODY: bytes still to skip */
	uint8_t *wsbuf;      /* a WebSocket message, unmasked, across continuation frames */
	size_t wslen;
};

struct ct_sip_stream {
	struct half h[2];
	struct ct_sip_meta meta[2];
	ct_sip_msg_fn fn;
	void *user;
	struct ct_counters *ctr;
	bool is_sip;
	struct ct_sip_msg *msg; /* shared scratch (see ct_sip_stream_new) */
};

void ct_flow_endpoints(const struct ct_flow *f, int dir, struct ct_addr *src, uint16_t *sport, struct ct_addr *dst,
		       uint16_t *dport)
{
	bool from_a = (dir ^ f->init_side) == 0;
	*src = from_a ? f->key.a : f->key.b;
	*sport = from_a ? f->key.pa : f->key.pb;
	*dst = from_a ? f->key.b : f->key.a;
	*dport = from_a ? f->key.pb : f->key.pa;
}

struct ct_sip_stream *ct_sip_stream_new(const struct ct_flow *f, ct_sip_msg_fn fn, void *user,
					struct ct_counters *ctr, struct ct_sip_msg *scratch)
{
	struct ct_sip_stream *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->fn = fn;
	s->user = user;
	s->ctr = ctr;
	s->msg = scratch;
	for (int d = 0; d < 2; d++) {
		ct_flow_endpoints(f, d, &s->meta[d].src, &s->meta[d].sport, &s->meta[d].dst, &s->meta[d].dport);
		s->meta[d].transport = CT_SIP_TCP;
		s->meta[d].flow_id = f->id;
	}
	return s;
}

bool ct_sip_stream_is_sip(const struct ct_sip_stream *s)
{
	return s->is_sip;
}

static size_t skip_crlf(const uint8_t *p, size_t len)
{
	size_t i = 0;
	while (i < len && (p[i] == '\r' || p[i] == '\n'))
		i++;
	return i;
}

static void deliver(struct ct_sip_stream *s, int dir, ct_time_t ts)
{
	s->is_sip = true;
	s->meta[dir].ts = ts;
	s->fn(s->user, s->msg, &s->meta[dir]);
}

static void skipped(struct ct_sip_stream *s, size_t n)
{
	s->ctr->sip_skipped_bytes += n;
}

static bool tchar(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c != 0 && strchr("-.!%*_+`'~", c) != NULL);
}

/* Where a SIP start line begins inside a line that does not start with one, as when the tail
 * of a message that was lost or skipped runs into the next message without a line break
 * ("...BBBBINVITE sip:x SIP/2.0", "...BBBBSIP/2.0 200 OK"): the offset, or 0 for none. A
 * request's method must then be a known one, glued to what came before. */
static size_t glued_start(const uint8_t *line, size_t len)
{
	while (len && (line[len - 1] == '\r' || line[len - 1] == '\n'))
		len--;
	struct ct_slice l = ct_slice_make(line, len);
	/* status line: "SIP/2.0 " and a three-digit code */
	for (size_t i = 1; i + 12 <= len; i++) {
		if (memcmp(line + i, "SIP/2.0 ", 8) == 0 && line[i + 8] >= '1' && line[i + 8] <= '6' &&
		    line[i + 9] >= '0' && line[i + 9] <= '9' && line[i + 10] >= '0' && line[i + 10] <= '9' &&
		    line[i + 11] == ' ')
			return i;
	}
	/* request line: "METHOD SP Request-URI SP SIP/2.0" at the end of the line */
	if (len < 8 || !ct_slice_ieq(ct_slice_sub(l, len - 8, 8), " SIP/2.0"))
		return 0;
	size_t uri_end = len - 8, sp = uri_end;
	while (sp > 0 && line[sp - 1] != ' ')
		sp--;
	if (sp < 2 || sp == uri_end)
		return 0;
	size_t tok_end = sp - 1, tok = tok_end;
	while (tok > 0 && tchar(line[tok - 1]))
		tok--;
	if (tok == tok_end)
		return 0;
	if (ct_sip_method_from(ct_slice_make(line + tok, tok_end - tok)) != CT_SIP_UNKNOWN)
		return tok; /* a known method (PRACK is not ACK glued to PR) */
	size_t best = 0;
	for (int m = 1; m < CT_SIP_NMETHODS; m++) {
		const char *name = ct_sip_method_str((enum ct_sip_method)m);
		size_t n = strlen(name);
		if (tok_end - tok > n && memcmp(line + tok_end - n, name, n) == 0 && (!best || tok_end - n < best))
			best = tok_end - n;
	}
	return best;
}

/* Looks for a SIP start line at the start of a line (or, in a stream known to be SIP, glued
 * to the bytes before it); consumes what comes before it. */
static int detect(struct ct_sip_stream *s, int dir, const uint8_t *p, size_t len, size_t *used)
{
	struct half *h = &s->h[dir];
	size_t i = skip_crlf(p, len);
	if (i < len && !s->is_sip && ct_ws_http_head(p + i, len - i) >= 0) {
		h->mode = M_WS_HTTP;
		*used = i;
		return CT_OK;
	}
	for (size_t at = i; at < len;) {
		const uint8_t *nl = memchr(p + at, '\n', len - at);
		if (!nl)
			break; /* the line is not complete yet */
		/* in a SIP stream resyncing after a loss, a known method glued to the tail of what was
		 * lost is where the message starts */
		size_t glued = s->is_sip ? glued_start(p + at, (size_t)(nl - (p + at)) + 1) : 0;
		if (glued || ct_sip_is_start_line(p + at, len - at)) {
			h->mode = M_SIP;
			*used = at + glued;
			if (s->is_sip)
				skipped(s, *used);
			return CT_OK;
		}
		at = (size_t)(nl - p) + 1;
		i = at;
	}
	if (s->is_sip) {
		/* a SIP stream resyncs for as long as it takes: keep only the incomplete line */
		skipped(s, i);
		*used = i;
		if (len - i > SIP_SKIP_LINE_MAX + CT_SIP_MAX_HEADER_BYTES) {
			skipped(s, len - i); /* no start line is that long */
			*used = len;
			return CT_OK;
		}
		return CT_MORE;
	}
	h->detect_seen += (uint32_t)i;
	if (h->detect_seen >= SIP_DETECT_BUDGET || len - i >= SIP_DETECT_BUDGET) {
		h->mode = M_IGNORE;
		*used = len;
		return CT_OK;
	}
	*used = i;
	return CT_MORE;
}

static void skip_body(struct half *h, uint64_t n, uint8_t after)
{
	h->skip_left = n;
	h->after_skip = after;
	h->mode = n ? M_SKIP_BODY : after;
}

/* A message that cannot be parsed whole (headers past CT_SIP_MAX_HEADER_BYTES, a body past
 * the stream cap, a malformed header): its header lines are walked, without being kept, for
 * its Content-Length (RFC 3261 18.3: the framing on a stream), then its body is skipped. */
static int skip_headers(struct ct_sip_stream *s, int dir, const uint8_t *p, size_t len, size_t *used)
{
	struct half *h = &s->h[dir];
	size_t at = 0;
	while (at < len) {
		const uint8_t *nl = memchr(p + at, '\n', len - at);
		if (h->midline) {
			size_t n = nl ? (size_t)(nl - (p + at)) + 1 : len - at;
			at += n;
			h->hdr_seen += n;
			h->midline = nl == NULL;
			continue;
		}
		if (!nl) {
			if (len - at <= SIP_SKIP_LINE_MAX)
				break; /* may be a Content-Length: wait for its end */
			h->hdr_seen += len - at;
			at = len;
			h->midline = true;
			break;
		}
		size_t n = (size_t)(nl - (p + at)) + 1;
		struct ct_slice line = ct_slice_make(p + at, n);
		while (line.len && (line.p[line.len - 1] == '\n' || line.p[line.len - 1] == '\r'))
			line.len--;
		at += n;
		h->hdr_seen += n;
		if (line.len == 0) {
			/* end of the headers: the body follows */
			bool big = h->hdr_seen + h->cl > SIP_STREAM_MAX_MESSAGE || h->hdr_seen > CT_SIP_MAX_HEADER_BYTES;
			if (!h->have_cl) {
				CT_COUNT_LOG(s->ctr->sip_bad, "SIP message on a TCP stream without Content-Length cannot be "
							     "framed: resyncing on the next start line");
				h->mode = M_DETECT;
				h->detect_seen = 0;
			} else {
				if (big)
					CT_COUNT_LOG(s->ctr->sip_oversized, "SIP message of %llu bytes over the stream cap "
						     "(%u): skipped whole by its Content-Length",
						     (unsigned long long)(h->hdr_seen + h->cl), SIP_STREAM_MAX_MESSAGE);
				else
					CT_COUNT_LOG(s->ctr->sip_bad, "malformed SIP message on a TCP stream: skipped "
						     "whole by its Content-Length");
				skip_body(h, h->cl, M_SIP);
			}
			break;
		}
		size_t colon = ct_slice_find(line, ':');
		if (colon < line.len) {
			struct ct_slice name = ct_slice_trim(ct_slice_make(line.p, colon));
			if (ct_slice_ieq(name, "content-length") || ct_slice_ieq(name, "l")) {
				struct ct_slice v = ct_slice_trim(ct_slice_sub(line, colon + 1, line.len - colon - 1));
				uint64_t cl = 0;
				size_t k = 0;
				for (; k < v.len && v.p[k] >= '0' && v.p[k] <= '9'; k++)
					cl = cl > UINT64_MAX / 16 ? UINT64_MAX / 16 : cl * 10 + (v.p[k] - '0');
				if (k && k == v.len && !h->have_cl) {
					h->have_cl = true;
					h->cl = cl;
				}
			}
		}
		if (h->hdr_seen > SIP_SKIP_HDR_MAX) {
			CT_COUNT_LOG(s->ctr->sip_bad, "SIP header block over %u bytes: resyncing on the next start line",
				     SIP_SKIP_HDR_MAX);
			h->mode = M_DETECT;
			h->detect_seen = 0;
			break;
		}
	}
	skipped(s, at);
	*used = at;
	return h->mode == M_SKIP_HDR && at < len ? CT_MORE : CT_OK;
}

static void start_skip_headers(struct half *h)
{
	h->mode = M_SKIP_HDR;
	h->midline = false;
	h->have_cl = false;
	h->cl = 0;
	h->hdr_seen = 0;
}

static int parse_sip(struct ct_sip_stream *s, int dir, const uint8_t *p, size_t len, ct_time_t ts,
			       size_t *used)
{
	struct half *h = &s->h[dir];
	size_t i = skip_crlf(p, len);
	if (i == len) {
		*used = len;
		return CT_MORE;
	}
	switch (ct_sip_parse(p + i, len - i, true, s->msg)) {
	case CT_OK:
		s->ctr->sip_messages++;
		deliver(s, dir, ts);
		*used = i + s->msg->total_len;
		return CT_OK;
	case CT_MORE: {
		/* headers complete (Content-Length known): a message past the cap is skipped rather
		 * than buffered, so it never fills tcp.flow_memcap_kb and the next one is found */
		uint64_t total = s->msg->has_content_length ? (uint64_t)s->msg->header_len + s->msg->content_length : 0;
		if (total > SIP_STREAM_MAX_MESSAGE) {
			CT_COUNT_LOG(s->ctr->sip_oversized, "SIP message of %llu bytes over the stream cap (%u): skipped "
				     "whole by its Content-Length", (unsigned long long)total, SIP_STREAM_MAX_MESSAGE);
			size_t have = len - i;
			skip_body(h, total - have, M_SIP);
			skipped(s, have);
			*used = len;
			return CT_OK;
		}
		*used = i;
		return CT_MORE;
	}
	default:
		if (ct_sip_is_start_line(p + i, len - i)) {
			/* a start line, but the message does not parse (too big, or broken): skip it by
			 * its framing */
			start_skip_headers(h);
			*used = i;
			return CT_OK;
		}
		CT_COUNT_LOG(s->ctr->sip_bad, "malformed SIP message on a TCP stream, resyncing on the next start line");
		const uint8_t *nl = memchr(p + i, '\n', len - i);
		size_t glued = nl && s->is_sip ? glued_start(p + i, (size_t)(nl - (p + i)) + 1) : 0;
		if (glued) {
			*used = i + glued; /* a start line behind a few bad bytes */
			skipped(s, *used);
			return CT_OK;
		}
		h->mode = M_DETECT;
		h->detect_seen = 0;
		/* skip the bad start line so detection does not find it again */
		*used = nl ? (size_t)(nl - p) + 1 : len;
		skipped(s, *used);
		return CT_OK;
	}
}

static int parse_ws(struct ct_sip_stream *s, int dir, const uint8_t *p, size_t len, ct_time_t ts,
			      size_t *used)
{
	struct half *h = &s->h[dir];
	struct ct_ws_frame f;
	int rc = ct_ws_frame_parse(p, len, &f);
	if (rc == CT_MORE) {
		*used = 0;
		return CT_MORE;
	}
	if (rc == CT_EINVAL) {
		CT_COUNT_LOG(s->ctr->sip_bad, "bad WebSocket frame, flow ignored from here");
		h->mode = M_IGNORE;
		*used = len;
		return CT_OK;
	}
	if (f.opcode < CT_WS_CLOSE && f.opcode != CT_WS_CONT) {
		h->ws_discard = false;
		h->wslen = 0;
	}
	if (f.opcode < CT_WS_CLOSE && (h->ws_discard || f.len > SIP_WS_MAX_MESSAGE || h->wslen + f.len > SIP_WS_MAX_MESSAGE)) {
		/* an oversized message: its frames are skipped by their lengths, up to its last one */
		if (!h->ws_discard)
			CT_COUNT_LOG(s->ctr->sip_oversized, "WebSocket message over %u bytes: skipped whole",
				     SIP_WS_MAX_MESSAGE);
		h->ws_discard = !f.fin;
		h->wslen = 0;
		uint64_t total = f.header_len + f.len;
		size_t have = total < len ? (size_t)total : len;
		skip_body(h, total - have, M_WS);
		skipped(s, have);
		*used = have;
		return CT_OK;
	}
	if (len - f.header_len < f.len) {
		*used = 0;
		return CT_MORE;
	}
	*used = f.header_len + (size_t)f.len;
	if (f.opcode >= CT_WS_CLOSE)
		return CT_OK; /* control frames carry no SIP */
	if (!h->wsbuf) {
		h->wsbuf = malloc(SIP_WS_MAX_MESSAGE);
		if (!h->wsbuf) {
			h->mode = M_IGNORE;
			return CT_OK;
		}
	}
	ct_ws_unmask(&f, p + f.header_len, (size_t)f.len, 0, h->wsbuf + h->wslen);
	h->wslen += (size_t)f.len;
	if (!f.fin)
		return CT_OK;
	size_t n = h->wslen;
	h->wslen = 0;
	size_t i = skip_crlf(h->wsbuf, n);
	if (i == n)
		return CT_OK;
	/* one SIP message per WebSocket message (RFC 7118 section 5.2) */
	if (ct_sip_parse(h->wsbuf + i, n - i, false, s->msg) == CT_OK) {
		s->ctr->sip_messages++;
		s->meta[dir].transport = CT_SIP_WS;
		deliver(s, dir, ts);
	} else {
		CT_COUNT_LOG(s->ctr->sip_bad, "WebSocket message is not SIP");
	}
	return CT_OK;
}

static int dispatch(struct ct_sip_stream *s, int dir, const uint8_t *p, size_t len, ct_time_t ts,
			      size_t *used)
{
	struct half *h = &s->h[dir];
	switch (h->mode) {
	case M_DETECT:
		return detect(s, dir, p, len, used);
	case M_SIP:
		return parse_sip(s, dir, p, len, ts, used);
	case M_SKIP_HDR:
		return skip_headers(s, dir, p, len, used);
	case M_SKIP_BODY: {
		size_t n = h->skip_left < len ? (size_t)h->skip_left : len;
		h->skip_left -= n;
		if (!h->skip_left)
			h->mode = h->after_skip;
		skipped(s, n);
		*used = n;
		return CT_OK;
	}
	case M_WS_HTTP: {
		long n = ct_ws_http_head(p, len);
		if (n == 0) {
			*used = 0;
			return CT_MORE;
		}
		if (n < 0) {
			h->mode = M_DETECT;
			*used = 0;
			return CT_OK;
		}
		h->mode = M_WS;
		*used = (size_t)n;
		return CT_OK;
	}
	case M_WS:
		return parse_ws(s, dir, p, len, ts, used);
	default:
		*used = len;
		return CT_OK;
	}
}

static int sip_stream_parse(void *st, int dir, const uint8_t *p, size_t len, ct_time_t ts, size_t *used)
{
	struct ct_sip_stream *s = st;
	/* a mode change that consumed nothing (SIP found at the first byte) goes straight on to
	 * the new mode: reassembly takes "consumed nothing" as "wait for more" */
	for (int changes = 0;; changes++) {
		uint8_t before = s->h[dir].mode;
		int rc = dispatch(s, dir, p, len, ts, used);
		if (rc != CT_OK || *used != 0 || s->h[dir].mode == before || changes == 4)
			return rc;
	}
}

static void sip_stream_gap(void *st, int dir, uint32_t bytes)
{
	(void)bytes;
	struct ct_sip_stream *s = st;
	struct half *h = &s->h[dir];
	if (h->mode == M_SIP || h->mode == M_SKIP_HDR || (h->mode == M_SKIP_BODY && h->after_skip == M_SIP)) {
		h->mode = M_DETECT; /* resync on the next start line */
		h->detect_seen = 0;
	} else if (h->mode == M_WS || h->mode == M_SKIP_BODY) {
		h->mode = M_IGNORE; /* frame boundaries are lost for good */
	}
	h->wslen = 0;
}

static bool sip_stream_proven(const void *st)
{
	const struct ct_sip_stream *s = st;
	return s->is_sip;
}

static void sip_stream_close(void *st)
{
	struct ct_sip_stream *s = st;
	free(s->h[0].wsbuf);
	free(s->h[1].wsbuf);
	free(s);
}

const struct ct_stream_parser ct_sip_stream_parser = {
	.name = "sip",
	.parse = sip_stream_parse,
	.gap = sip_stream_gap,
	.close = sip_stream_close,
	.proven = sip_stream_proven,
};
