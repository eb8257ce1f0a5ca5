/* csta_stream.c - CSTA framings over TCP (behaviour in csta_stream.h; the framings are
 * described, with their sources, in ../shared/CSTA-NOTES.md "Framing over TCP"). */
#include "csta_stream.h"

#include <stdlib.h>
#include <string.h>

#include "../util/cursor.h"
#include "../util/log.h"
#include "csta_ber.h"
#include "csta_xml.h"

#define CSTA_MAX_FRAME 65535u
#define CSTA_PROBE_WINDOW 4096u
#define CSTA_XML_HDR 8u

struct ct_csta_stream {
	uint8_t framing[2];
	bool resync[2];
	uint8_t phase;            /* 2 or 3 once a BER message told which */
	struct ct_csta_meta meta[2];
	ct_csta_msg_fn fn;
	ct_csta_gap_fn gap_fn;
	void *user;
	ct_time_t last_ts[2];     /* packet time of the last bytes of each direction */
	struct ct_counters *ctr;
	bool proven;              /* a message decoded */
	struct ct_csta_xml *xml;  /* the link's XML decoder, made at its first XML message (owned) */
	struct ct_csta_msg msg;
};

static bool ber_pdu_tag(uint8_t t)
{
	return (t >= 0xA1 && t <= 0xA4) || (t >= 0x60 && t <= 0x64);
}

/* Length of the BER TLV at the cursor (tag + length octets + contents), 0 if incomplete or not
 * definite, SIZE_MAX if malformed. */
static size_t ber_tlv_len(struct ct_cur c)
{
	size_t start = c.pos;
	ct_cur_skip(&c, 1);
	uint8_t l = ct_cur_u8(&c);
	if (c.err)
		return 0;
	size_t n;
	if (l < 0x80) {
		n = l;
	} else if (l == 0x81) {
		n = ct_cur_u8(&c);
	} else if (l == 0x82) {
		n = ct_cur_be16(&c);
	} else if (l == 0x83) {
		n = ct_cur_be24(&c);
	} else {
		return SIZE_MAX; /* indefinite (0x80) or absurd: not what these links send */
	}
	if (c.err)
		return 0;
	return c.pos - start + n;
}

/* Frame at the cursor: *total = its full length (header included), *hdr = header length.
 * Returns the framing if the header is plausible; CT_CSTA_F_NONE if not. *total may exceed
 * what the cursor holds. */
static enum ct_csta_framing frame_at(struct ct_cur c, size_t *hdr, size_t *total)
{
	size_t len = ct_cur_avail(&c);
	if (len >= CSTA_XML_HDR + 1 && ct_cur_peek_be16(&c, 0) == 0) {
		size_t n = ct_cur_peek_be16(&c, 2);
		bool digits = true;
		for (size_t i = 4; i < 8; i++)
			digits = digits && ct_cur_peek(&c, i) >= '0' && ct_cur_peek(&c, i) <= '9';
		uint8_t b8 = ct_cur_peek(&c, 8);
		if (digits && n > CSTA_XML_HDR && (b8 == '<' || b8 == 0xEF /* BOM */ || b8 == ' ' || b8 == '\r' ||
						   b8 == '\n')) {
			*hdr = CSTA_XML_HDR;
			*total = n;
			return CT_CSTA_F_XML;
		}
	}
	struct ct_cur rest = c;
	if (len >= 4 && ct_cur_peek(&c, 0) == 0x26 && (ct_cur_peek(&c, 1) & 0x80) && ber_pdu_tag(ct_cur_peek(&c, 3))) {
		size_t n = ct_cur_peek_be16(&c, 1) & 0x7fffu;
		ct_cur_skip(&rest, 3);
		size_t tlv = ber_tlv_len(rest);
		if (n >= 2 && (tlv == 0 || tlv == n)) {
			*hdr = 3;
			*total = 3 + n;
			return CT_CSTA_F_HIPATH;
		}
	}
	rest = c;
	if (len >= 4 && ber_pdu_tag(ct_cur_peek(&c, 2))) {
		size_t n = ct_cur_peek_be16(&c, 0);
		ct_cur_skip(&rest, 2);
		size_t tlv = ber_tlv_len(rest);
		if (n >= 2 && (tlv == 0 || tlv == n)) {
			*hdr = 2;
			*total = 2 + n;
			return CT_CSTA_F_LEN2;
		}
	}
	if (len >= 2 && ber_pdu_tag(ct_cur_peek(&c, 0))) {
		size_t tlv = ber_tlv_len(c);
		if (tlv != SIZE_MAX && tlv >= 4) {
			*hdr = 0;
			*total = tlv;
			return CT_CSTA_F_BARE;
		}
	}
	return CT_CSTA_F_NONE;
}

/* The payload of a whole frame at the cursor (header skipped): a cursor over total - hdr bytes,
 * with the error set when the frame is not all there. */
static struct ct_cur frame_payload(struct ct_cur c, size_t hdr, size_t total)
{
	ct_cur_limit(&c, total);
	ct_cur_skip(&c, hdr);
	return c;
}

/* True if the whole frame is there and its payload decodes. */
static bool frame_decodes(struct ct_cur c, enum ct_csta_framing f, size_t hdr, size_t total)
{
	struct ct_cur pl = frame_payload(c, hdr, total);
	if (pl.err)
		return false;
	struct ct_csta_msg *m = malloc(sizeof(*m));
	if (!m)
		return false;
	memset(m, 0, sizeof(*m));
	int rc = f == CT_CSTA_F_XML ? ct_csta_xml_decode(ct_cur_here(&pl), ct_cur_avail(&pl), m)
				    : ct_csta_ber_decode(ct_cur_here(&pl), ct_cur_avail(&pl), 0, m);
	free(m);
	return rc == CT_OK;
}

enum ct_csta_framing ct_csta_probe(const uint8_t *p, size_t len, bool scan, size_t *off)
{
	size_t end = scan ? (len < CSTA_PROBE_WINDOW ? len : CSTA_PROBE_WINDOW) : 1;
	struct ct_cur at = ct_cur_make(p, len);
	for (size_t i = 0; i < end && i < len; i++, ct_cur_skip(&at, 1)) {
		size_t hdr, total;
		enum ct_csta_framing f = frame_at(at, &hdr, &total);
		if (f == CT_CSTA_F_NONE || total > CSTA_MAX_FRAME)
			continue;
		/* At the start of a stream a plausible header is enough, except for bare BER, whose
		 * only evidence is a tag and a length: that, and any header found by scanning the
		 * middle of a stream, must decode too. */
		if ((scan || f == CT_CSTA_F_BARE) && !frame_decodes(at, f, hdr, total))
			continue;
		*off = i;
		return f;
	}
	return CT_CSTA_F_NONE;
}

struct ct_csta_stream *ct_csta_stream_new(const struct ct_flow *f, enum ct_csta_framing framing, ct_csta_msg_fn fn,
					  void *user, struct ct_counters *ctr)
{
	struct ct_csta_stream *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->fn = fn;
	s->user = user;
	s->ctr = ctr;
	for (int d = 0; d < 2; d++) {
		s->framing[d] = (uint8_t)framing;
		ct_flow_endpoints(f, d, &s->meta[d].src, &s->meta[d].sport, &s->meta[d].dst, &s->meta[d].dport);
		s->meta[d].flow_id = f->id;
		s->meta[d].dir = d;
	}
	return s;
}

void ct_csta_stream_on_gap(struct ct_csta_stream *s, ct_csta_gap_fn fn)
{
	s->gap_fn = fn;
}

static void decode(struct ct_csta_stream *s, int dir, enum ct_csta_framing f, struct ct_cur frame, size_t hdr,
		   size_t total, ct_time_t ts)
{
	struct ct_cur pl = frame_payload(frame, hdr, total);
	struct ct_csta_meta *meta = &s->meta[dir];
	meta->ts = ts;
	meta->framing = (uint8_t)f;
	meta->xml_invoke_id = -1;
	int rc;
	memset(&s->msg, 0, sizeof(s->msg));
	if (f == CT_CSTA_F_XML) {
		int id = 0;
		for (size_t i = 4; i < 8; i++)
			id = id * 10 + (ct_cur_peek(&frame, i) - '0');
		meta->xml_invoke_id = id;
		if (!s->xml)
			s->xml = ct_csta_xml_new();
		rc = s->xml ? ct_csta_xml_parse(s->xml, ct_cur_here(&pl), ct_cur_avail(&pl), &s->msg, NULL)
			    : ct_csta_xml_decode(ct_cur_here(&pl), ct_cur_avail(&pl), &s->msg);
		if (rc == CT_OK && !s->msg.has_invoke_id) {
			s->msg.invoke_id = id;
			s->msg.has_invoke_id = true;
		}
	} else {
		rc = ct_csta_ber_decode(ct_cur_here(&pl), ct_cur_avail(&pl), s->phase, &s->msg);
		if (rc == CT_OK && s->msg.phase)
			s->phase = s->msg.phase;
	}
	if (rc != CT_OK) {
		CT_COUNT_LOG(s->ctr->csta_bad, "CSTA %s message of %zu bytes did not decode",
			     f == CT_CSTA_F_XML ? "XML" : "BER", total - hdr);
		return;
	}
	s->ctr->csta_messages++;
	s->proven = true;
	if (s->msg.unknown)
		s->ctr->csta_unknown++;
	s->fn(s->user, &s->msg, meta);
}

static int csta_parse(void *st, int dir, const uint8_t *p, size_t len, ct_time_t ts, size_t *used)
{
	struct ct_csta_stream *s = st;
	*used = 0;
	s->last_ts[dir] = ts;
	if (s->resync[dir]) {
		size_t off;
		enum ct_csta_framing f = ct_csta_probe(p, len, true, &off);
		if (f == CT_CSTA_F_NONE) {
			/* A plausible header whose frame has not fully arrived: wait for the rest
			 * rather than throw its start away (messages span several segments). */
			size_t end = len < CSTA_PROBE_WINDOW ? len : CSTA_PROBE_WINDOW;
			struct ct_cur at = ct_cur_make(p, len);
			for (size_t i = 0; i < end; i++, ct_cur_skip(&at, 1)) {
				size_t hdr, total;
				enum ct_csta_framing g = frame_at(at, &hdr, &total);
				if (g != CT_CSTA_F_NONE && g != CT_CSTA_F_BARE && total <= CSTA_MAX_FRAME && total > len - i) {
					*used = i;
					s->ctr->csta_skipped_bytes += i;
					return CT_MORE;
				}
			}
			/* keep the last bytes: a header may straddle the boundary */
			*used = len > 16 ? len - 16 : 0;
			s->ctr->csta_skipped_bytes += *used;
			return CT_MORE;
		}
		s->resync[dir] = false;
		s->framing[dir] = (uint8_t)f;
		*used = off;
		s->ctr->csta_skipped_bytes += off;
		if (off)
			return CT_OK;
		/* the message starts right here: decode it now (reassembly reads "nothing
		 * consumed" as "wait for more", which would hold it until the next segment) */
	}
	size_t hdr, total;
	struct ct_cur frame = ct_cur_make(p, len);
	enum ct_csta_framing f = frame_at(frame, &hdr, &total);
	if (f == CT_CSTA_F_NONE || total > CSTA_MAX_FRAME ||
	    (f != s->framing[dir] && !(s->framing[dir] == CT_CSTA_F_BARE || f == CT_CSTA_F_XML))) {
		if (len < 9)
			return CT_MORE; /* too short to judge a header */
		CT_COUNT_LOG(s->ctr->csta_resync, "CSTA link lost its framing, resyncing on the next message");
		s->resync[dir] = true;
		*used = 1;
		s->ctr->csta_skipped_bytes++;
		return CT_OK;
	}
	if (total > len)
		return CT_MORE;
	decode(s, dir, f, frame, hdr, total, ts);
	*used = total;
	return CT_OK;
}

static void csta_gap(void *st, int dir, uint32_t bytes)
{
	struct ct_csta_stream *s = st;
	s->resync[dir] = true;
	s->ctr->csta_resync++;
	if (s->gap_fn && s->last_ts[dir]) {
		struct ct_csta_meta meta = s->meta[dir];
		meta.ts = s->last_ts[dir];
		s->gap_fn(s->user, &meta, bytes);
	}
}

static void csta_close(void *st)
{
	struct ct_csta_stream *s = st;
	ct_csta_xml_free(s->xml);
	free(s);
}

static bool csta_proven(const void *st)
{
	const struct ct_csta_stream *s = st;
	return s->proven;
}

const struct ct_stream_parser ct_csta_stream_parser = {
	.name = "csta",
	.parse = csta_parse,
	.gap = csta_gap,
	.close = csta_close,
	.proven = csta_proven,
};
