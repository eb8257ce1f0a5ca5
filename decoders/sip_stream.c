/* sip_stream.c - SIP over TCP and WebSocket (behaviour in sip_stream.h). */
#include "sip_stream.h"

#include <stdlib.h>
#include <string.h>

#include "../util/log.h"
#include "ws.h"

#define SIP_DETECT_BUDGET (64u * 1024u) /* bytes looked at before a flow is declared not SIP */
#define SIP_WS_MAX_MESSAGE (64u * 1024u)

enum mode { M_DETECT, M_SIP, M_WS_HTTP, M_WS, M_IGNORE };

struct half {
	uint8_t mode;
	uint32_t detect_seen;
	uint8_t *wsbuf;     /* a WebSocket message, unmasked, across continuation frames */
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

/* Looks for a SIP start line at the start of a line; consumes what comes before it. */
static enum ct_parse detect(struct ct_sip_stream *s, int dir, const uint8_t *p, size_t len, size_t *used)
{
	struct half *h = &s->h[dir];
	size_t i = skip_crlf(p, len);
	if (i < len && ct_ws_http_head(p + i, len - i) >= 0) {
		h->mode = M_WS_HTTP;
		*used = i;
		return CT_PARSE_OK;
	}
	for (size_t at = i; at < len;) {
		const uint8_t *nl = memchr(p + at, '\n', len - at);
		if (!nl)
			break; /* the line is not complete yet */
		if (ct_sip_is_start_line(p + at, len - at)) {
			h->mode = M_SIP;
			*used = at;
			return CT_PARSE_OK;
		}
		at = (size_t)(nl - p) + 1;
		i = at;
	}
	h->detect_seen += (uint32_t)i;
	if (h->detect_seen >= SIP_DETECT_BUDGET || len - i >= SIP_DETECT_BUDGET) {
		h->mode = M_IGNORE;
		*used = len;
		return CT_PARSE_OK;
	}
	*used = i;
	return CT_PARSE_MORE;
}

static enum ct_parse parse_sip(struct ct_sip_stream *s, int dir, const uint8_t *p, size_t len, ct_time_t ts,
			       size_t *used)
{
	size_t i = skip_crlf(p, len);
	if (i == len) {
		*used = len;
		return CT_PARSE_MORE;
	}
	switch (ct_sip_parse(p + i, len - i, true, s->msg)) {
	case CT_SIP_OK:
		s->ctr->sip_messages++;
		deliver(s, dir, ts);
		*used = i + s->msg->total_len;
		return CT_PARSE_OK;
	case CT_SIP_MORE:
		*used = i;
		return CT_PARSE_MORE;
	default:
		CT_COUNT_LOG(s->ctr->sip_bad, "malformed SIP message on a TCP stream, resyncing on the next start line");
		s->h[dir].mode = M_DETECT;
		s->h[dir].detect_seen = 0;
		/* skip the bad start line so detection does not find it again */
		const uint8_t *nl = memchr(p + i, '\n', len - i);
		*used = nl ? (size_t)(nl - p) + 1 : len;
		return CT_PARSE_OK;
	}
}

static enum ct_parse parse_ws(struct ct_sip_stream *s, int dir, const uint8_t *p, size_t len, ct_time_t ts,
			      size_t *used)
{
	struct half *h = &s->h[dir];
	struct ct_ws_frame f;
	enum ct_ws_rc rc = ct_ws_frame_parse(p, len, &f);
	if (rc == CT_WS_MORE) {
		*used = 0;
		return CT_PARSE_MORE;
	}
	if (rc == CT_WS_BAD || f.len > SIP_WS_MAX_MESSAGE || h->wslen + f.len > SIP_WS_MAX_MESSAGE) {
		CT_COUNT_LOG(s->ctr->sip_bad, "bad or oversized WebSocket frame, flow ignored from here");
		h->mode = M_IGNORE;
		*used = len;
		return CT_PARSE_OK;
	}
	if (len - f.header_len < f.len) {
		*used = 0;
		return CT_PARSE_MORE;
	}
	*used = f.header_len + (size_t)f.len;
	if (f.opcode >= CT_WS_CLOSE)
		return CT_PARSE_OK; /* control frames carry no SIP */
	if (!h->wsbuf) {
		h->wsbuf = malloc(SIP_WS_MAX_MESSAGE);
		if (!h->wsbuf) {
			h->mode = M_IGNORE;
			return CT_PARSE_OK;
		}
	}
	if (f.opcode != CT_WS_CONT)
		h->wslen = 0;
	ct_ws_unmask(&f, p + f.header_len, (size_t)f.len, 0, h->wsbuf + h->wslen);
	h->wslen += (size_t)f.len;
	if (!f.fin)
		return CT_PARSE_OK;
	size_t n = h->wslen;
	h->wslen = 0;
	size_t i = skip_crlf(h->wsbuf, n);
	if (i == n)
		return CT_PARSE_OK;
	/* one SIP message per WebSocket message (RFC 7118 section 5.2) */
	if (ct_sip_parse(h->wsbuf + i, n - i, false, s->msg) == CT_SIP_OK) {
		s->ctr->sip_messages++;
		s->meta[dir].transport = CT_SIP_WS;
		deliver(s, dir, ts);
	} else {
		CT_COUNT_LOG(s->ctr->sip_bad, "WebSocket message is not SIP");
	}
	return CT_PARSE_OK;
}

static enum ct_parse dispatch(struct ct_sip_stream *s, int dir, const uint8_t *p, size_t len, ct_time_t ts,
			      size_t *used)
{
	struct half *h = &s->h[dir];
	switch (h->mode) {
	case M_DETECT:
		return detect(s, dir, p, len, used);
	case M_SIP:
		return parse_sip(s, dir, p, len, ts, used);
	case M_WS_HTTP: {
		long n = ct_ws_http_head(p, len);
		if (n == 0) {
			*used = 0;
			return CT_PARSE_MORE;
		}
		if (n < 0) {
			h->mode = M_DETECT;
			*used = 0;
			return CT_PARSE_OK;
		}
		h->mode = M_WS;
		*used = (size_t)n;
		return CT_PARSE_OK;
	}
	case M_WS:
		return parse_ws(s, dir, p, len, ts, used);
	default:
		*used = len;
		return CT_PARSE_OK;
	}
}

static enum ct_parse sip_stream_parse(void *st, int dir, const uint8_t *p, size_t len, ct_time_t ts, size_t *used)
{
	struct ct_sip_stream *s = st;
	/* a mode change that consumed nothing (SIP found at the first byte) goes straight on to
	 * the new mode: reassembly takes "consumed nothing" as "wait for more" */
	for (int changes = 0;; changes++) {
		uint8_t before = s->h[dir].mode;
		enum ct_parse rc = dispatch(s, dir, p, len, ts, used);
		if (rc != CT_PARSE_OK || *used != 0 || s->h[dir].mode == before || changes == 3)
			return rc;
	}
}

static void sip_stream_gap(void *st, int dir, uint32_t bytes)
{
	(void)bytes;
	struct ct_sip_stream *s = st;
	struct half *h = &s->h[dir];
	if (h->mode == M_SIP) {
		h->mode = M_DETECT; /* resync on the next start line */
		h->detect_seen = 0;
	} else if (h->mode == M_WS) {
		h->mode = M_IGNORE; /* frame boundaries are lost for good */
	}
	h->wslen = 0;
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
};
