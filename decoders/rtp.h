/* rtp.h - RTP and RTCP on the fast path (RFC 3550 sections 5, 6 and appendix A; RFC 5761
 * section 4 demultiplexing; RFC 4733 telephone events; RFC 3389 comfort noise).
 *
 * No allocation and no state outside the caller's structs: a stream is one struct the flow
 * table holds, updated once per packet. Every byte is read through a cursor.
 */
#ifndef CT_RTP_H
#define CT_RTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../util/ct.h"
#include "../util/cursor.h"

struct ct_rtp_hdr {
	uint8_t pt;
	bool marker;
	uint16_t seq;
	uint32_t ts;
	uint32_t ssrc;
	uint8_t cc;
	const uint8_t *payload; /* into the packet, after CSRCs and extension, before padding */
	size_t plen;
};

/* Validates version 2, the CSRC count, the extension header length and the padding count
 * (RFC 3550 5.1, 5.3.1). Returns CT_OK, CT_EINVAL (not version 2, padding count 0 or larger
 * than the payload) or CT_ETRUNC (header, CSRCs or extension longer than the datagram); *h
 * means something on CT_OK only. Inline: it runs for every RTP packet, and a call was a fifth
 * of its cost. */
static inline int ct_rtp_parse(const uint8_t *p, size_t len, struct ct_rtp_hdr *h)
{
	struct ct_cur c = ct_cur_make(p, len);
	const uint8_t *hdr = ct_cur_take(&c, 12);
	if (!hdr)
		return CT_ETRUNC;
	/* the fixed header is there: reads from a cursor of its constant size need no checks
	 * the compiler keeps */
	struct ct_cur fixed = ct_cur_make(hdr, 12);
	uint8_t b0 = ct_cur_u8(&fixed);
	uint8_t b1 = ct_cur_u8(&fixed);
	if ((b0 >> 6) != 2)
		return CT_EINVAL;
	h->pt = b1 & 0x7f;
	h->marker = (b1 & 0x80) != 0;
	h->seq = ct_cur_be16(&fixed);
	h->ts = ct_cur_be32(&fixed);
	h->ssrc = ct_cur_be32(&fixed);
	h->cc = b0 & 0x0f;
	if (CT_UNLIKELY(b0 & 0x1f)) {
		ct_cur_skip(&c, (size_t)h->cc * 4);
		if (b0 & 0x10) {
			/* RFC 3550 5.3.1: 16-bit profile field, then the length in 32-bit words
			 * after the 4-byte extension header */
			ct_cur_skip(&c, 2);
			uint16_t words = ct_cur_be16(&c);
			ct_cur_skip(&c, (size_t)words * 4);
		}
		if (c.err)
			return CT_ETRUNC;
	}
	size_t plen = ct_cur_avail(&c);
	h->payload = ct_cur_here(&c);
	if (CT_UNLIKELY(b0 & 0x20)) {
		/* the last octet counts the padding, itself included: 0 or more than there is
		 * means the packet is not what it claims (A.1 validity check) */
		uint8_t pad = plen ? ct_cur_peek(&c, plen - 1) : 0;
		if (pad == 0 || pad > plen)
			return CT_EINVAL;
		plen -= pad;
	}
	h->plen = plen;
	return CT_OK;
}

/* RFC 5761 section 4 demultiplexing: version 2 and a second byte of 192..223 (RTCP packet
 * types 192..223 read as RTP marker + payload type 64..95) means RTCP. An RTCP header is 4
 * bytes. Inline: it is asked of every RTP packet. */
static inline bool ct_rtp_is_rtcp(const uint8_t *p, size_t len)
{
	struct ct_cur c = ct_cur_make(p, len);
	if (ct_cur_avail(&c) < 4)
		return false;
	uint8_t b0 = ct_cur_peek(&c, 0), b1 = ct_cur_peek(&c, 1);
	return (b0 >> 6) == 2 && b1 >= 192 && b1 <= 223;
}

/* One direction of one RTP stream. When the SSRC changes the counters continue, the sequence
 * tracking restarts on the new source, and the change is counted. */
struct ct_rtp_stream {
	uint32_t ssrc;
	uint8_t pt;                       /* payload type of the last packet */
	bool started;
	uint64_t packets, bytes;          /* packets received (duplicates too); payload bytes */
	ct_time_t first, last;
	/* RFC 3550 A.1 sequence state; cycles is the wrap count shifted left 16 bits */
	uint16_t base_seq, max_seq;
	uint32_t cycles;
	uint32_t bad_seq;
	uint32_t probation;               /* always 0: streams are announced by SDP, so the first
	                                     packet is trusted (A.1 probation guards unsignalled
	                                     sources) and counted, as tshark does */
	uint64_t expected_prior, received_prior; /* expected/received before the current sequence
	                                            run (SSRC change or A.1 resync) */
	uint32_t ssrc_changes;
	uint32_t pt_changes;              /* media payload type changes; DTMF and CN do not count */
	uint64_t dup_or_reordered;        /* packets not beyond the highest sequence number */
	double jitter;                    /* RFC 3550 A.8, in timestamp units */
	double jitter_ms_max;             /* highest jitter after a regular packet (see rtp.c) */
	double jitter_ms_last;            /* jitter after the last timed packet */
	double jitter_ms_mean;            /* running mean as tshark computes it (see rtp.c) */
	uint32_t ts_prev;                 /* RTP timestamp and arrival of the reference packet */
	ct_time_t arrival_prev;           /*   (the last one in timestamp order) */
	bool have_transit;
	uint32_t clock_rate;              /* set by the caller from SDP (8000 default) */
	uint64_t dtmf_events;             /* RFC 4733 events: distinct event timestamps */
	uint64_t cn_packets;              /* RFC 3389 comfort noise: PT 13 (or 19) or cn_pt */
	uint8_t dtmf_pt, cn_pt;           /* dynamic PTs from SDP (0 = unknown) */
	uint8_t codec_pt;                 /* dynamic PT of the codec, timed with clock_rate (0 = none;
	                                     static PTs use their RFC 3551 clock) */
	uint8_t media_pt;                 /* last non-DTMF, non-CN PT (0xff before the first) */
	uint8_t fast_pt;                  /* a timed codec PT the packet before had (0xff: none) */
	double fast_rate;                 /*   and its clock: its packets take the short path (rtp.c) */
	uint32_t last_dtmf_ts;
	bool in_dtmf;                     /* an event has started and its end packet not been seen */
};

/* Clears *s for a new stream. clock_rate 0 means 8000. Set s->codec_pt afterwards when the
 * codec's payload type is dynamic. */
void ct_rtp_stream_init(struct ct_rtp_stream *s, uint32_t clock_rate, uint8_t dtmf_pt, uint8_t cn_pt);
/* clock_rate, dtmf_pt, cn_pt or codec_pt changed after the stream's first packet (a new
 * offer): the next packets are classified with the new values. */
void ct_rtp_stream_retyped(struct ct_rtp_stream *s);
/* Accounts one parsed packet that arrived at `arrival` (packet time). */
void ct_rtp_stream_update(struct ct_rtp_stream *s, const struct ct_rtp_hdr *h, ct_time_t arrival);

/* Packets the current sequence run expects (RFC 3550 A.3): extended highest sequence number -
 * base + 1; cycles >= 65536 whenever max_seq went round below base_seq, so this never
 * underflows. */
static inline uint64_t ct_rtp_stream_run_expected(const struct ct_rtp_stream *s)
{
	return (uint64_t)s->cycles + s->max_seq - s->base_seq + 1;
}

/* Packets lost: expected - received (RFC 3550 A.3), negative with duplicates; 0 before the
 * first packet. Worked out when asked, not per packet. */
static inline int64_t ct_rtp_stream_lost(const struct ct_rtp_stream *s)
{
	if (!s->started)
		return 0;
	return (int64_t)(s->expected_prior + ct_rtp_stream_run_expected(s)) - (int64_t)s->packets;
}

struct ct_rtcp_info {
	unsigned sr, rr, sdes, bye, app, other;   /* packet counts in the compound */
	uint32_t sender_ssrc;                     /* last SR */
	uint32_t sr_packets, sr_octets;
	bool have_rr;                             /* first report block (of an SR or RR): */
	uint32_t rr_ssrc;                         /*   the source it reports on */
	uint8_t fraction_lost;                    /*   8-bit fixed point, lost/256 */
	int32_t cum_lost;                         /*   24-bit signed, sign-extended */
	uint32_t rr_jitter;                       /*   in timestamp units */
};

/* Walks a compound RTCP packet (RFC 3550 6.1, validity checks of A.2 except that the first
 * packet may be any type, for RFC 5506 reduced-size RTCP). Returns CT_OK, or CT_EINVAL on a
 * version other than 2, a length chain that does not end exactly at `len`, padding on other
 * than the last packet, or report blocks overrunning their packet. *out is filled as far as
 * the walk got. */
int ct_rtcp_parse(const uint8_t *p, size_t len, struct ct_rtcp_info *out);

#endif
