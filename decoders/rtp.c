/* rtp.c - RTP header and stream statistics, RTCP compound walk (RFC 3550 sections 5.1, 5.3.1,
 * 6.1, 6.4 and appendix A.1, A.3, A.8; RFC 5761 section 4; RFC 4733 section 2; RFC 3389).
 *
 * Loss and jitter are meant to match what Wireshark's `tshark -z rtp,streams` prints for the
 * same packets, so a reader can check ctitap against the tool everyone already trusts
 * (tests/decoders/test_rtp_tshark.py does, on the public captures). Where RFC 3550 leaves a
 * choice, tshark's choice is taken and said so; where the two differ it is said below.
 */
#include "rtp.h"

#include <math.h>
#include <string.h>

#include "../util/cursor.h"
#include "sdp.h"

#define RTP_SEQ_MOD (1u << 16)
#define MAX_DROPOUT 3000 /* RFC 3550 A.1: a forward jump this large is a restart, not loss */
#define MAX_MISORDER 100 /* ...and one this far back is a late packet, not a restart */
#define MEDIA_PT_NONE 0xff

/* ---- streams ---- */

#define FAST_NONE 0xff /* fast_pt when no packet may take the short path: a PT is 7 bits */

void ct_rtp_stream_init(struct ct_rtp_stream *s, uint32_t clock_rate, uint8_t dtmf_pt, uint8_t cn_pt)
{
	memset(s, 0, sizeof(*s));
	s->clock_rate = clock_rate ? clock_rate : 8000;
	s->dtmf_pt = dtmf_pt;
	s->cn_pt = cn_pt;
	s->media_pt = MEDIA_PT_NONE;
	s->fast_pt = FAST_NONE;
	s->bad_seq = RTP_SEQ_MOD + 1;
}

void ct_rtp_stream_retyped(struct ct_rtp_stream *s)
{
	s->fast_pt = FAST_NONE;
}

static bool is_cn(const struct ct_rtp_stream *s, uint8_t pt)
{
	/* 13 is CN (RFC 3389); 19 carried CN in its draft and old gear still sends it, and
	 * tshark treats both alike */
	return pt == 13 || pt == 19 || (s->cn_pt && pt == s->cn_pt);
}

static bool is_dtmf(const struct ct_rtp_stream *s, uint8_t pt)
{
	return s->dtmf_pt && pt == s->dtmf_pt;
}

/* Clock of a packet's payload type, or 0 when it cannot be timed: telephone events carry the
 * event's start time, not the packet's (RFC 4733 2.2.1), and a dynamic PT the signalling did
 * not declare has no known clock (RFC 3551 section 3). */
static uint32_t clock_of(const struct ct_rtp_stream *s, uint8_t pt)
{
	if (is_dtmf(s, pt))
		return 0;
	if (pt < 96) {
		uint32_t rate = 0;
		(void)ct_sdp_codec(NULL, pt, &rate);
		return pt == 19 ? 8000 : rate;
	}
	if ((s->codec_pt && pt == s->codec_pt) || (s->cn_pt && pt == s->cn_pt))
		return s->clock_rate;
	return 0;
}

/* Starts a new sequence run at `seq` (first packet, new SSRC, or a source that restarted its
 * numbering); what the old run expected and received is kept in the _prior counters. */
static void seq_restart(struct ct_rtp_stream *s, uint16_t base, uint16_t max, bool had_run, uint64_t received)
{
	if (had_run)
		s->expected_prior += ct_rtp_stream_run_expected(s);
	s->received_prior = received;
	s->base_seq = base;
	s->max_seq = max;
	s->cycles = max < base ? RTP_SEQ_MOD : 0;
	s->bad_seq = RTP_SEQ_MOD + 1;
}

/* RFC 3550 A.1 update_seq, without probation (see rtp.h). Called before s->packets counts
 * this packet. True when the packet moved the sequence forward (not late, not a duplicate). */
static bool seq_update(struct ct_rtp_stream *s, uint16_t seq)
{
	uint16_t udelta = (uint16_t)(seq - s->max_seq);
	if (CT_LIKELY(udelta - 1u < MAX_DROPOUT - 1u)) { /* 0 < udelta < MAX_DROPOUT */
		if (seq < s->max_seq)
			s->cycles += RTP_SEQ_MOD; /* wrapped: 65535 -> 0 */
		s->max_seq = seq;
		return true;
	}
	if (udelta == 0) {
		s->dup_or_reordered++;
	} else if (udelta <= RTP_SEQ_MOD - MAX_MISORDER) {
		/* A jump too large for loss. Two packets in sequence after it mean the sender
		 * restarted its numbering: a new run begins at the first of the two, which is
		 * already counted as received. tshark instead counts the whole gap as lost (or,
		 * backwards, the packet as late) - the one place the two disagree on purpose. */
		if (seq == s->bad_seq) {
			seq_restart(s, (uint16_t)(seq - 1), seq, true, s->packets - 1);
			return true;
		}
		s->bad_seq = (uint16_t)(seq + 1);
	} else {
		s->dup_or_reordered++; /* up to MAX_MISORDER behind: late or duplicate */
	}
	return false;
}

/* The first packet of the stream, or the first of a new SSRC on it. */
__attribute__((noinline)) static void source_start(struct ct_rtp_stream *s, const struct ct_rtp_hdr *h,
						   ct_time_t arrival)
{
	if (!s->started) {
		s->started = true;
		s->first = arrival;
		s->pt = h->pt; /* the first packet follows itself (tshark's reading) */
		seq_restart(s, h->seq, h->seq, false, 0);
	} else {
		/* a new source on the same transport (re-INVITE, SBC switching legs): its
		 * numbering and timestamps have nothing to do with the old one's */
		s->ssrc_changes++;
		seq_restart(s, h->seq, h->seq, true, s->packets);
		s->have_transit = false;
		s->in_dtmf = false;
	}
	s->ssrc = h->ssrc;
}

/* Interarrival jitter, RFC 3550 A.8: D = (Rj - Ri) - (Sj - Si) against the previous packet,
 * J += (|D| - J) / 16. Differences from the appendix, all tshark's:
 *  - transit is kept in double from microsecond arrivals rather than integer timestamp units
 *    (at 8 kHz that would round each arrival to 125 us);
 *  - the reference packet is the last one in timestamp order, so a late packet yields one
 *    D sample instead of disturbing two; untimed packets (telephone events) still become the
 *    reference, as tshark does;
 *  - a timed packet whose timestamp goes back while its sequence number goes forward is a
 *    sender that reset its RTP clock: it becomes the new reference without a D sample. RFC
 *    3550 A.8 and tshark 4.0 read it as a transit jump the size of the reset (one public
 *    capture resets by 43 s and tshark reports a 2.7 s maximum jitter for a clean stream);
 *  - max and mean skip the first packet, marker packets, CN and the packet after CN, and late
 *    packets (J itself is updated by all timed packets);
 *  - the mean is tshark's running one, mean_n = (mean_(n-1) * (k-1) + J) / k with k the
 *    packets before this one: the true mean when every packet is regular, lower when some are
 *    skipped (tshark computes J in ms with clock/1000 as an integer, which only matters for
 *    clocks like 11025 Hz that are not multiples of 1000).
 * timed: the PT has a clock, rate (not 0); quiet: this packet or the one before was CN. The first packet of a source finds have_transit
 * false and only becomes the reference. */
static inline void jitter_update(struct ct_rtp_stream *s, const struct ct_rtp_hdr *h, ct_time_t arrival,
				 bool timed, double rate, bool seq_forward, bool quiet)
{
	uint32_t ts = h->ts;
	int32_t dts = (int32_t)(ts - s->ts_prev);
	bool in_order = dts >= 0;
	if (CT_UNLIKELY(!s->have_transit || (timed && seq_forward && !in_order))) {
		s->ts_prev = ts;
		s->arrival_prev = arrival;
		s->have_transit = true;
		return;
	}
	if (timed) {
		double darr = (double)(int64_t)(arrival - s->arrival_prev) * rate / (double)CT_USEC_PER_SEC;
		double d = fabs(darr - (double)dts);
		s->jitter += (d - s->jitter) / 16.0;
		double ms = s->jitter * 1000.0 / rate;
		s->jitter_ms_last = ms;
		if (in_order && !h->marker && !quiet) {
			if (ms > s->jitter_ms_max)
				s->jitter_ms_max = ms;
			/* packets >= 2 here (a source's first packet is only the reference), far below
			 * 2^63: the signed conversion gives the same double, in fewer instructions */
			double k = (double)(int64_t)(s->packets - 1);
			s->jitter_ms_mean = (s->jitter_ms_mean * (k - 1) + ms) / k;
		}
	}
	if (in_order) {
		s->ts_prev = ts;
		s->arrival_prev = arrival;
	}
}

/* RFC 4733 2.5: the packets of one event share its start timestamp, and the end packet is
 * sent three times; so an event is a new timestamp. (A very long event split into segments,
 * 2.5.1.3, counts once per segment.) */
static void dtmf_update(struct ct_rtp_stream *s, const struct ct_rtp_hdr *h)
{
	struct ct_cur c = ct_cur_make(h->payload, h->plen);
	ct_cur_skip(&c, 1); /* event code */
	uint8_t flags = ct_cur_u8(&c);
	ct_cur_skip(&c, 2); /* duration */
	if (c.err)
		return; /* shorter than an event: not counted */
	if (s->dtmf_events == 0 || h->ts != s->last_dtmf_ts) {
		s->dtmf_events++;
		s->last_dtmf_ts = h->ts;
	}
	s->in_dtmf = (flags & 0x80) == 0;
}

/* The payload type side of a packet: the DTMF, CN and codec-change counts; its clock (0: not
 * timed) in *rate; true when this packet or the one before is CN. Says whether the packets
 * after it with its PT may take the short path (fast_pt). */
static bool pt_account(struct ct_rtp_stream *s, const struct ct_rtp_hdr *h, uint32_t *rate)
{
	uint8_t pt = h->pt;
	bool cn = is_cn(s, pt);
	*rate = clock_of(s, pt);
	if (is_dtmf(s, pt)) {
		dtmf_update(s, h);
	} else if (cn) {
		s->cn_packets++;
	} else {
		if (s->media_pt != MEDIA_PT_NONE && s->media_pt != pt)
			s->pt_changes++;
		s->media_pt = pt;
	}
	bool quiet = cn || is_cn(s, s->pt); /* s->pt: the packet before's (or this, the first) */
	s->pt = pt;
	bool fast = *rate && !cn && !is_dtmf(s, pt);
	s->fast_pt = fast ? pt : FAST_NONE;
	s->fast_rate = *rate; /* a double: no conversion per packet, exact for 32 bits */
	return quiet;
}

/* Any packet: the first of a source, one of a new PT, telephone events, comfort noise. */
__attribute__((noinline)) static void update_any(struct ct_rtp_stream *s, const struct ct_rtp_hdr *h,
						 ct_time_t arrival)
{
	bool seq_forward = true;
	if (!s->started || h->ssrc != s->ssrc)
		source_start(s, h, arrival);
	else
		seq_forward = seq_update(s, h->seq);
	s->packets++;
	s->bytes += h->plen;
	s->last = arrival;
	uint32_t rate;
	bool quiet = pt_account(s, h, &rate);
	jitter_update(s, h, arrival, rate != 0, rate, seq_forward, quiet);
}

/* A stream's usual packet: the source of the packet before, and its PT (fast_pt), a timed
 * codec's, not CN, not DTMF. It needs nothing of pt_account: the packets since fast_pt was set
 * all had that PT (any other PT clears or moves it), so media_pt and pt are that PT already
 * and neither this packet nor the one before is CN. fast_pt is FAST_NONE until the first
 * packet. This path calls nothing, so it saves no registers. */
void ct_rtp_stream_update(struct ct_rtp_stream *s, const struct ct_rtp_hdr *h, ct_time_t arrival)
{
	if (CT_UNLIKELY(h->pt != s->fast_pt || h->ssrc != s->ssrc)) {
		update_any(s, h, arrival);
		return;
	}
	bool seq_forward = seq_update(s, h->seq);
	s->packets++;
	s->bytes += h->plen;
	s->last = arrival;
	jitter_update(s, h, arrival, true, s->fast_rate, seq_forward, false);
}

/* ---- RTCP ---- */

/* Report blocks (RFC 3550 6.4.1): 24 bytes each; the first one of the compound is kept. */
static int report_blocks(struct ct_cur *pk, unsigned count, struct ct_rtcp_info *out)
{
	if (ct_cur_avail(pk) < (size_t)count * 24)
		return CT_EINVAL;
	if (count == 0 || out->have_rr)
		return CT_OK;
	out->have_rr = true;
	out->rr_ssrc = ct_cur_be32(pk);
	out->fraction_lost = ct_cur_u8(pk);
	uint32_t cum = ct_cur_be24(pk);
	out->cum_lost = (int32_t)(cum ^ 0x800000u) - 0x800000; /* 24-bit two's complement */
	ct_cur_skip(pk, 4); /* extended highest sequence number */
	out->rr_jitter = ct_cur_be32(pk);
	return pk->err ? CT_EINVAL : CT_OK;
}

int ct_rtcp_parse(const uint8_t *p, size_t len, struct ct_rtcp_info *out)
{
	memset(out, 0, sizeof(*out));
	struct ct_cur c = ct_cur_make(p, len);
	if (ct_cur_avail(&c) == 0)
		return CT_EINVAL;
	while (ct_cur_avail(&c)) {
		uint8_t b0 = ct_cur_u8(&c);
		uint8_t pt = ct_cur_u8(&c);
		uint16_t words = ct_cur_be16(&c); /* length in 32-bit words minus one */
		if (c.err || (b0 >> 6) != 2)
			return CT_EINVAL;
		size_t blen = (size_t)words * 4;
		const uint8_t *b = ct_cur_take(&c, blen);
		if (!b)
			return CT_EINVAL; /* the chain runs past the datagram */
		struct ct_cur pk = ct_cur_make(b, blen);
		if (b0 & 0x20) {
			/* A.2: only the last packet of a compound may be padded */
			if (ct_cur_avail(&c) != 0)
				return CT_EINVAL;
			uint8_t pad = blen ? ct_cur_peek(&pk, blen - 1) : 0;
			if (pad == 0 || pad > blen)
				return CT_EINVAL;
			pk = ct_cur_make(b, blen - pad);
		}
		unsigned count = b0 & 0x1f;
		int rc = CT_OK;
		switch (pt) {
		case 200: /* SR: SSRC, NTP (8), RTP timestamp, packet and octet counts */
			out->sr++;
			out->sender_ssrc = ct_cur_be32(&pk);
			ct_cur_skip(&pk, 12);
			out->sr_packets = ct_cur_be32(&pk);
			out->sr_octets = ct_cur_be32(&pk);
			if (pk.err)
				return CT_EINVAL;
			rc = report_blocks(&pk, count, out);
			break;
		case 201: /* RR: reporter SSRC, then the blocks */
			out->rr++;
			ct_cur_skip(&pk, 4);
			if (pk.err)
				return CT_EINVAL;
			rc = report_blocks(&pk, count, out);
			break;
		case 202: out->sdes++; break;
		case 203: out->bye++; break;
		case 204: out->app++; break;
		default: out->other++; break; /* RTPFB, PSFB, XR ... counted, not read */
		}
		if (rc != CT_OK)
			return rc;
	}
	return CT_OK;
}
