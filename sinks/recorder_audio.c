/* recorder_audio.c - a recording's timeline: RTP packets placed by timestamp into a stereo
 * ring and flushed to the WAV in order (RFC 3550 section 5.1 timing; RFC 3551 clocks, G.722's
 * 8000 Hz clock for 16 kHz audio in section 4.5.2; RFC 7587 Opus at 48000 Hz; G.711 tables).
 *
 * Positions are frames of the file since the recording's start. A direction's packet goes to
 * anchor_pos + (ts - anchor_ts) * rate / clock. The anchor is the arrival position of the
 * first packet of a source (SSRC), and again after a timestamp jump (a packet placed more than
 * REC_RESYNC_AHEAD_MS after or REC_RESYNC_BEHIND_MS before its arrival), and at the start of
 * a talkspurt placed more than REC_REALIGN_MS off its arrival (a sender whose clock drifts, or
 * whose timestamps run on through silence suppression faster than time does): within a
 * talkspurt the timeline follows the sender's clock, so speech is never cut or stretched;
 * between talkspurts it follows packet time, so the two channels stay aligned.
 *
 * The ring holds ring_frames frames from `written` on. Frames up to now_pos - hold are written
 * as they fall due (at each packet and each tick); anything never placed is silence (loss,
 * gaps, DTMF, comfort noise, pauses). A packet wholly before `written` is late and counted.
 * G.711 packets are placed as they come (the ring is the reorder buffer); G.722 and Opus
 * decoders have state, so their packets first pass a per-direction queue that releases them
 * in sequence order: the next expected at once, others after the jitter hold or when the
 * queue is full.
 */
#include <opus/opus.h>
#include <spandsp/telephony.h>
#include <spandsp/g722.h>
#include <stdlib.h>
#include <string.h>

#include "../util/cursor.h"
#include "recorder_int.h"

#define LEVEL_AUDIO 100 /* mean |sample| (16-bit) above which a packet is audio: about -50 dBFS */

/* ---- G.711 (ITU-T G.711 tables 1a/1b and 2a/2b, the segment arithmetic) ---- */

static int16_t alaw_dec(uint8_t a)
{
	a ^= 0x55;
	int t = (a & 0x0f) << 4;
	int seg = (a & 0x70) >> 4;
	if (seg == 0)
		t += 8;
	else
		t = (t + 0x108) << (seg - 1);
	return (int16_t)((a & 0x80) ? t : -t);
}

static int16_t ulaw_dec(uint8_t u)
{
	u = (uint8_t)~u;
	int t = (((u & 0x0f) << 3) + 0x84) << ((u & 0x70) >> 4);
	return (int16_t)((u & 0x80) ? 0x84 - t : t - 0x84);
}

static int seg_search(int v, const int *end)
{
	for (int i = 0; i < 8; i++)
		if (v <= end[i])
			return i;
	return 8;
}

uint8_t g711_alaw_enc(int16_t x)
{
	static const int end[8] = { 0x1f, 0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff };
	int v = x >> 3, mask = 0xd5;
	if (v < 0) {
		mask = 0x55;
		v = -v - 1;
	}
	int seg = seg_search(v, end);
	if (seg >= 8)
		return (uint8_t)(0x7f ^ mask);
	int a = seg << 4;
	a |= seg < 2 ? (v >> 1) & 0x0f : (v >> seg) & 0x0f;
	return (uint8_t)(a ^ mask);
}

uint8_t g711_ulaw_enc(int16_t x)
{
	static const int end[8] = { 0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff, 0x1fff };
	int v = x >> 2, mask = 0xff;
	if (v < 0) {
		v = -v;
		mask = 0x7f;
	}
	if (v > 8159)
		v = 8159;
	v += 0x21;
	int seg = seg_search(v, end);
	if (seg >= 8)
		return (uint8_t)(0x7f ^ mask);
	return (uint8_t)(((seg << 4) | ((v >> (seg + 1)) & 0x0f)) ^ mask);
}

void rec_audio_tables(struct ct_recorder *r)
{
	for (int i = 0; i < 256; i++) {
		r->alaw_lin[i] = alaw_dec((uint8_t)i);
		r->ulaw_lin[i] = ulaw_dec((uint8_t)i);
	}
	for (int i = 0; i < 256; i++) {
		/* G.711 tables 3 and 4 map the laws onto each other; through the linear value is the
		 * same mapping for all but a few codes at the segment ends */
		r->a2u[i] = g711_ulaw_enc(r->alaw_lin[i]);
		r->u2a[i] = g711_alaw_enc(r->ulaw_lin[i]);
	}
}

/* ---- payload types ---- */

uint8_t rec_codec_of(const struct ct_rec_ptmap *m, uint8_t pt, uint32_t *clock, const char **name)
{
	for (unsigned i = 0; i < m->n; i++)
		if (m->e[i].pt == pt) {
			*clock = m->e[i].clock;
			if (name)
				*name = m->e[i].name;
			return m->e[i].codec;
		}
	/* static types a sender may use unannounced: comfort noise (13, and 19 of old gear) */
	if (pt == 13 || pt == 19) {
		*clock = 8000;
		if (name)
			*name = "CN";
		return CT_RC_CN;
	}
	*clock = 0;
	return CT_RC_NONE;
}

static uint8_t silence_byte(const struct ct_rec *rec)
{
	return rec->fcodec == CT_RC_PCMA ? 0xd5 : rec->fcodec == CT_RC_PCMU ? 0xff : 0;
}

/* ---- set up ---- */

static uint32_t pow2_at_least(uint64_t n)
{
	uint32_t p = 256;
	while (p < n)
		p <<= 1;
	return p;
}

int rec_audio_init(struct ct_rec *rec, char *codec_name, size_t cap)
{
	const struct ct_rec_ptmap *m = &rec->pt;
	uint8_t primary = CT_RC_NONE;
	for (unsigned i = 0; i < m->n && primary == CT_RC_NONE; i++) {
		uint8_t c = m->e[i].codec;
		if (c == CT_RC_PCMA || c == CT_RC_PCMU || c == CT_RC_G722 || c == CT_RC_OPUS || c == CT_RC_OTHER)
			primary = c;
	}
	/* G.711 files keep the wire bytes; everything else is 16-bit PCM at 16 kHz (G.722 and Opus
	 * decoded; for other codecs the WAV is silence beside their payload pcap) */
	if (primary == CT_RC_PCMA || primary == CT_RC_PCMU) {
		rec->fcodec = primary;
		rec->rate = 8000;
		rec->bps = 1;
		snprintf(codec_name, cap, "%s", primary == CT_RC_PCMA ? "PCMA" : "PCMU");
	} else {
		rec->fcodec = CT_RC_NONE;
		rec->rate = 16000;
		rec->bps = 2;
		snprintf(codec_name, cap, "L16");
	}
	uint32_t jitter = rec->eng->cfg.jitter_ms;
	rec->hold = (int64_t)jitter * rec->rate / 1000;
	rec->ring_frames =
		pow2_at_least((uint64_t)(jitter + REC_RESYNC_AHEAD_MS + REC_MAX_PKT_MS + 20) * rec->rate / 1000);
	rec->mask = rec->ring_frames - 1;
	rec->ring = malloc((size_t)rec->ring_frames * 2 * rec->bps);
	if (!rec->ring)
		return CT_ENOMEM;
	memset(rec->ring, silence_byte(rec), (size_t)rec->ring_frames * 2 * rec->bps);
	uint8_t dtmf_pt = 0, cn_pt = 0, codec_pt = 0;
	uint32_t clock = 8000;
	for (unsigned i = 0; i < m->n; i++) {
		if (m->e[i].codec == CT_RC_EVENT && !dtmf_pt)
			dtmf_pt = m->e[i].pt;
		else if (m->e[i].codec == CT_RC_CN && !cn_pt && m->e[i].pt >= 96)
			cn_pt = m->e[i].pt;
		else if (!codec_pt && m->e[i].codec != CT_RC_EVENT && m->e[i].codec != CT_RC_CN) {
			codec_pt = m->e[i].pt;
			clock = m->e[i].clock;
		}
	}
	for (int dir = 0; dir < 2; dir++) {
		struct rec_dir *d = &rec->d[dir];
		ct_rtp_stream_init(&d->st, clock, dtmf_pt, cn_pt);
		d->st.codec_pt = codec_pt >= 96 ? codec_pt : 0;
	}
	return rec_audio_codecs(rec);
}

int rec_audio_codecs(struct ct_rec *rec)
{
	const struct ct_rec_ptmap *m = &rec->pt;
	if (rec->fcodec != CT_RC_NONE)
		return CT_OK; /* a G.711 file decodes nothing */
	for (int dir = 0; dir < 2; dir++) {
		struct rec_dir *d = &rec->d[dir];
		for (unsigned i = 0; i < m->n; i++) {
			uint8_t c = m->e[i].codec;
			if ((c == CT_RC_G722 || c == CT_RC_OPUS) && !d->q && !(d->q = calloc(REC_SLOTS, sizeof(*d->q))))
				return CT_ENOMEM;
			if (c == CT_RC_G722 && !d->g722 && !(d->g722 = g722_decode_init(NULL, 64000, 0)))
				return CT_ENOMEM;
			if (c == CT_RC_OPUS && !d->opus) {
				int err = 0;
				if (!(d->opus = opus_decoder_create((opus_int32)rec->rate, 1, &err)))
					return CT_ENOMEM;
			}
		}
	}
	return CT_OK;
}

void rec_audio_free(struct ct_rec *rec)
{
	for (int dir = 0; dir < 2; dir++) {
		struct rec_dir *d = &rec->d[dir];
		if (d->g722)
			g722_decode_free(d->g722);
		if (d->opus)
			opus_decoder_destroy(d->opus);
		free(d->q);
		d->g722 = d->opus = NULL;
		d->q = NULL;
	}
	free(rec->ring);
	rec->ring = NULL;
}

/* ---- the ring ---- */

static int64_t pos_of_time(const struct ct_rec *rec, ct_time_t at)
{
	if (at <= rec->t0)
		return -rec->cut;
	return (int64_t)((at - rec->t0) * rec->rate / CT_USEC_PER_SEC) - rec->cut;
}

/* Writes frames [written, target) to the file and gives their ring space back as silence. */
static void ring_flush(struct ct_rec *rec, int64_t target)
{
	size_t fb = 2 * rec->bps; /* bytes per frame */
	while (rec->written < target && !rec->out.err) {
		uint32_t off = (uint32_t)(rec->written & rec->mask);
		uint64_t n = (uint64_t)(target - rec->written);
		uint32_t run = rec->ring_frames - off;
		if (n < run)
			run = (uint32_t)n;
		uint8_t *p = rec->ring + (size_t)off * fb;
		sf_count_t done = rec->bps == 1 ? sf_write_raw(rec->snd, p, (sf_count_t)run * 2) / 2
						: sf_writef_short(rec->snd, (const short *)(void *)p, run);
		if (done != (sf_count_t)run && !rec->out.err)
			rec->out.err = CT_EIO;
		memset(p, silence_byte(rec), (size_t)run * fb);
		rec->written += run;
	}
}

/* Gives ring frames [from, written + ring_frames) back to silence: what was placed there
 * belongs to a pause. */
static void ring_silence_from(struct ct_rec *rec, int64_t from)
{
	if (from < rec->written)
		from = rec->written;
	for (int64_t p = from; p < rec->written + rec->ring_frames; p++)
		memset(rec->ring + (size_t)(p & rec->mask) * 2 * rec->bps, silence_byte(rec), 2 * rec->bps);
}

/* Flushes as far as the jitter hold allows (not past a cut-mode pause), and not into the
 * silence after the last audio placed: the next packet (ring_place) or the end writes that. */
static void ring_due(struct ct_rec *rec)
{
	int64_t target = rec->now_pos - rec->hold;
	if (target > rec->placed_end)
		target = rec->placed_end;
	if (rec->state == REC_PAUSED && rec->eng->cfg.pause_mode == CT_REC_PAUSE_CUT && target > rec->pause_pos)
		target = rec->pause_pos;
	ring_flush(rec, target);
}

/* Puts n samples of channel ch at file position pos: bytes (G.711 file) or int16. */
static uint64_t ring_place(struct ct_rec *rec, int ch, int64_t pos, const void *samples, uint32_t n)
{
	int64_t floor = rec->written > rec->pause_pos ? rec->written : rec->pause_pos;
	if (pos + n <= floor)
		return 0;
	int64_t end = pos + n;
	if (end > rec->written + rec->ring_frames)
		ring_flush(rec, end - rec->ring_frames); /* room for a packet far ahead of the hold */
	if (floor < rec->written)
		floor = rec->written;
	uint32_t skip = pos < floor ? (uint32_t)(floor - pos) : 0;
	if (skip < n && end > rec->placed_end)
		rec->placed_end = end;
	if (rec->bps == 1) {
		const uint8_t *b = samples;
		for (uint32_t i = skip; i < n; i++)
			rec->ring[(size_t)((pos + i) & rec->mask) * 2 + (size_t)ch] = b[i];
	} else {
		const int16_t *s = samples;
		int16_t *ring = (int16_t *)(void *)rec->ring;
		for (uint32_t i = skip; i < n; i++)
			ring[(size_t)((pos + i) & rec->mask) * 2 + (size_t)ch] = s[i];
	}
	return n - skip;
}

/* ---- decoding and placement ---- */

static void anchor(struct ct_rec *rec, struct rec_dir *d, uint32_t ssrc, uint32_t ts, uint32_t clock, int64_t arr)
{
	int64_t p = arr;
	/* a new source right after the old one continues it rather than overlapping its end */
	if (d->anchored && p < d->last_end && d->last_end - p <= (int64_t)rec->rate / 5)
		p = d->last_end;
	d->anchored = true;
	d->ssrc = ssrc;
	d->anchor_ts = ts;
	d->clock = clock;
	d->anchor_pos = p;
}

/* Decodes one media payload into rec->eng->pcm (int16) or scratch (G.711 bytes); returns the
 * number of file samples, 0 when there is nothing to place. *level gets the mean |sample|. */
static uint32_t decode(struct ct_rec *rec, struct rec_dir *d, uint8_t codec, const uint8_t *p, size_t len,
		       const void **out, unsigned *level)
{
	struct ct_recorder *r = rec->eng;
	uint64_t sum = 0;
	if (rec->bps == 1) {
		/* a G.711 file: the other law is mapped (G.711 tables 3/4), the same law kept */
		const int16_t *lin = codec == CT_RC_PCMA ? r->alaw_lin : r->ulaw_lin;
		for (size_t i = 0; i < len; i++)
			sum += (uint64_t)abs(lin[p[i]]);
		*level = len ? (unsigned)(sum / len) : 0;
		if (codec == rec->fcodec) {
			*out = p;
			return (uint32_t)len;
		}
		const uint8_t *map = codec == CT_RC_PCMA ? r->a2u : r->u2a;
		size_t n = len < REC_SCRATCH ? len : REC_SCRATCH;
		for (size_t i = 0; i < n; i++)
			r->scratch[i] = map[p[i]];
		*out = r->scratch;
		return (uint32_t)n;
	}
	uint32_t n = 0;
	int16_t *pcm = r->pcm;
	if (codec == CT_RC_PCMA || codec == CT_RC_PCMU) {
		/* 8 kHz into a 16 kHz file: each sample and the midpoint to the next */
		const int16_t *lin = codec == CT_RC_PCMA ? r->alaw_lin : r->ulaw_lin;
		size_t m = len < REC_PCM_MAX / 2 ? len : REC_PCM_MAX / 2;
		int16_t prev = d->last_lin;
		for (size_t i = 0; i < m; i++) {
			int16_t x = lin[p[i]];
			pcm[n++] = (int16_t)((prev + x) / 2);
			pcm[n++] = x;
			prev = x;
		}
		d->last_lin = prev;
	} else if (codec == CT_RC_G722 && d->g722) {
		size_t m = len < REC_PCM_MAX / 2 ? len : REC_PCM_MAX / 2;
		int k = g722_decode(d->g722, pcm, p, (int)m);
		n = k > 0 ? (uint32_t)k : 0;
	} else if (codec == CT_RC_OPUS && d->opus) {
		int k = opus_decode(d->opus, p, (opus_int32)len, pcm, REC_PCM_MAX, 0);
		if (k < 0) {
			r->st.rtp_decode_errors++;
			return 0;
		}
		n = (uint32_t)k;
	} else {
		return 0;
	}
	for (uint32_t i = 0; i < n; i++)
		sum += (uint64_t)abs(pcm[i]);
	*level = n ? (unsigned)(sum / n) : 0;
	*out = pcm;
	return n;
}

/* The first packet of a talkspurt (RFC 3551 section 4.1): the marker bit, or a sender that
 * resumes after discontinuous transmission (the next sequence number, timestamp more than two
 * packets on). Its playout point may move without cutting speech: receivers' playout buffers
 * adjust there, and so does the timeline. */
static bool talkspurt_start(const struct rec_dir *d, uint32_t ssrc, uint16_t seq, uint32_t ts, bool marker)
{
	if (marker)
		return true;
	return d->have_last && d->ssrc == ssrc && seq == (uint16_t)(d->last_seq_pl + 1) &&
	       (int32_t)(ts - d->last_ts) > 2 * (int32_t)d->last_dur;
}

/* Places one media packet (in order for stateful codecs) on the timeline. */
static void place_packet(struct ct_rec *rec, int dir, uint8_t codec, uint32_t clock, const struct rec_pkt *k)
{
	struct ct_recorder *r = rec->eng;
	struct rec_dir *d = &rec->d[dir];
	if (!clock)
		return; /* not reached: every mapped codec has a clock (ct_rec_ptmap_add) */
	int64_t arr = pos_of_time(rec, k->at);
	bool spurt = talkspurt_start(d, k->ssrc, k->seq, k->ts, k->marker);
	if (!d->anchored || d->ssrc != k->ssrc || d->clock != clock) {
		if (d->anchored && d->ssrc != k->ssrc) {
			d->ssrc_changes++;
			r->st.ssrc_changes++;
			if (d->g722)
				g722_decode_init(d->g722, 64000, 0); /* a new source: fresh decoder state */
			if (d->opus)
				opus_decoder_ctl((OpusDecoder *)d->opus, OPUS_RESET_STATE);
		}
		anchor(rec, d, k->ssrc, k->ts, clock, arr);
	}
	const void *samples = NULL;
	unsigned level = 0;
	uint32_t n = decode(rec, d, codec, k->p, k->len, &samples, &level);
	int64_t pos = d->anchor_pos + (int64_t)(int32_t)(k->ts - d->anchor_ts) * rec->rate / d->clock;
	int64_t dev = pos - arr;
	if (dev > (int64_t)REC_RESYNC_AHEAD_MS * rec->rate / 1000 ||
	    dev < -(int64_t)REC_RESYNC_BEHIND_MS * rec->rate / 1000) {
		d->ts_jumps++;
		r->st.ts_jumps++;
		anchor(rec, d, k->ssrc, k->ts, clock, arr);
		pos = d->anchor_pos;
	} else if (spurt && (dev > (int64_t)REC_REALIGN_MS * rec->rate / 1000 ||
			     dev < -(int64_t)REC_REALIGN_MS * rec->rate / 1000)) {
		/* the sender's clock and packet time drifted apart by more than the tolerance: the
		 * silence before this talkspurt absorbs it */
		d->realigns++;
		anchor(rec, d, k->ssrc, k->ts, clock, arr);
		pos = d->anchor_pos;
	}
	d->have_last = true;
	d->last_seq_pl = k->seq;
	d->last_ts = k->ts;
	d->last_dur = n ? (uint32_t)((uint64_t)n * clock / rec->rate) : 0;
	if (!n)
		return;
	if (level > LEVEL_AUDIO)
		d->last_audio = k->at;
	uint64_t placed = ring_place(rec, dir, pos, samples, n);
	if (placed == 0) {
		d->late++;
		r->st.rtp_late++;
	}
	d->placed += placed;
	if (pos + n > d->last_end)
		d->last_end = pos + n;
}

/* ---- reorder queue (G.722, Opus) ---- */

static struct rec_slot *q_lowest(struct rec_dir *d)
{
	struct rec_slot *best = NULL;
	for (unsigned i = 0; i < REC_SLOTS; i++) {
		struct rec_slot *s = &d->q[i];
		if (s->used && (!best || (int16_t)(s->seq - best->seq) < 0))
			best = s;
	}
	return best;
}

static void q_release(struct ct_rec *rec, int dir, struct rec_slot *s)
{
	struct rec_dir *d = &rec->d[dir];
	uint32_t clock = 0;
	uint8_t codec = rec_codec_of(&rec->pt, s->pt, &clock, NULL);
	d->q_have = true;
	d->q_last = s->seq;
	s->used = false;
	d->qn--;
	if (codec != CT_RC_G722 && codec != CT_RC_OPUS) {
		/* new media took its payload type away while it waited */
		rec->eng->st.rtp_pt_unknown++;
		return;
	}
	struct rec_pkt k = { s->data, s->len, s->at, s->ts, s->ssrc, s->seq, s->marker };
	place_packet(rec, dir, codec, clock, &k);
}

/* Releases what is due: the next expected packet at once; others once they waited the hold,
 * or when the queue is full; everything when `all`. */
static void q_run(struct ct_rec *rec, int dir, ct_time_t now, bool all)
{
	struct rec_dir *d = &rec->d[dir];
	uint64_t hold_us = (uint64_t)rec->eng->cfg.jitter_ms * 1000;
	while (d->qn) {
		struct rec_slot *s = q_lowest(d);
		bool next = d->q_have && s->ssrc == d->q_ssrc && s->seq == (uint16_t)(d->q_last + 1);
		if (!all && !next && d->qn < REC_SLOTS && s->at + hold_us > now)
			break;
		q_release(rec, dir, s);
	}
}

static void q_push(struct ct_rec *rec, int dir, const struct ct_rtp_hdr *h, ct_time_t at)
{
	struct ct_recorder *r = rec->eng;
	struct rec_dir *d = &rec->d[dir];
	if (h->plen > REC_SLOT_BYTES) {
		r->st.rtp_oversize++;
		return;
	}
	if (d->qn && h->ssrc != d->q_ssrc)
		q_run(rec, dir, at, true); /* the old source's packets first, in their order */
	if (h->ssrc != d->q_ssrc)
		d->q_have = false;
	d->q_ssrc = h->ssrc;
	if (d->q_have && (int16_t)(h->seq - d->q_last) <= 0) {
		d->late++; /* its turn has passed (or a duplicate of a released packet) */
		r->st.rtp_late++;
		return;
	}
	for (unsigned i = 0; i < REC_SLOTS; i++)
		if (d->q[i].used && d->q[i].seq == h->seq)
			return; /* a duplicate */
	if (d->qn == REC_SLOTS)
		q_release(rec, dir, q_lowest(d));
	struct rec_slot *s = NULL;
	for (unsigned i = 0; i < REC_SLOTS && !s; i++)
		if (!d->q[i].used)
			s = &d->q[i];
	s->used = true;
	s->pt = h->pt;
	s->marker = h->marker;
	s->seq = h->seq;
	s->ts = h->ts;
	s->ssrc = h->ssrc;
	s->at = at;
	s->len = (uint16_t)h->plen;
	memcpy(s->data, h->payload, h->plen);
	d->qn++;
	q_run(rec, dir, at, false);
}

/* ---- entry points ---- */

/* Loss bursts for the E-model: a forward sequence jump of k > 1 within a source is one burst
 * of k - 1 lost packets (RFC 3550 A.1 limits: jumps of MAX_DROPOUT or more are restarts). */
static void burst_update(struct rec_dir *d, const struct ct_rtp_hdr *h, bool new_source)
{
	if (d->have_seq && !new_source) {
		uint16_t delta = (uint16_t)(h->seq - d->last_seq);
		if (delta == 0 || delta >= 32768)
			return; /* duplicate or late */
		if (delta > 1 && delta < 3000) {
			d->bursts++;
			d->burst_lost += delta - 1u;
		}
	}
	d->received++;
	d->have_seq = true;
	d->last_seq = h->seq;
}

void rec_audio_packet(struct ct_rec *rec, int dir, const struct ct_rtp_hdr *h, ct_time_t at)
{
	struct ct_recorder *r = rec->eng;
	struct rec_dir *d = &rec->d[dir];
	if (at > rec->now)
		rec->now = at;
	bool new_source = d->st.started && d->st.ssrc != h->ssrc;
	ct_rtp_stream_update(&d->st, h, at);
	burst_update(d, h, new_source);
	d->last_pkt = at;
	r->st.rtp_packets++;
	uint32_t clock = 0;
	uint8_t codec = rec_codec_of(&rec->pt, h->pt, &clock, NULL);
	switch (codec) {
	case CT_RC_EVENT:
		d->dtmf++;
		r->st.rtp_dtmf++;
		return;
	case CT_RC_CN:
		d->cn++;
		r->st.rtp_cn++;
		return;
	case CT_RC_NONE:
		d->pt_other++;
		r->st.rtp_pt_unknown++;
		return;
	default:
		break;
	}
	if (rec->state != REC_RUNNING) {
		r->st.rtp_paused++;
		return;
	}
	int64_t arr = pos_of_time(rec, at);
	if (arr > rec->now_pos)
		rec->now_pos = arr;
	bool fits = codec == CT_RC_PCMA || codec == CT_RC_PCMU ||
		    (rec->fcodec == CT_RC_NONE && (codec == CT_RC_G722 || codec == CT_RC_OPUS));
	if (!fits) {
		/* a codec this file cannot hold: its payload is kept in the payload pcap */
		if (codec != CT_RC_OTHER) {
			d->mismatch++;
			r->st.rtp_codec_mismatch++;
		}
		d->last_audio = h->plen >= 8 ? at : d->last_audio; /* a codec frame, not a SID */
		rec_pcapw_payload(rec, dir, h, at);
	} else if (d->q && (codec == CT_RC_G722 || codec == CT_RC_OPUS)) {
		q_push(rec, dir, h, at);
	} else {
		struct rec_pkt k = { h->payload, h->plen, at, h->ts, h->ssrc, h->seq, h->marker };
		place_packet(rec, dir, codec, clock, &k);
	}
	ring_due(rec);
}

void rec_audio_advance(struct ct_rec *rec, ct_time_t now)
{
	if (now > rec->now)
		rec->now = now;
	for (int dir = 0; dir < 2; dir++)
		if (rec->d[dir].q)
			q_run(rec, dir, now, false);
	bool frozen = rec->state == REC_PAUSED && rec->eng->cfg.pause_mode == CT_REC_PAUSE_CUT;
	int64_t p = pos_of_time(rec, now);
	if (!frozen && p > rec->now_pos)
		rec->now_pos = p;
	ring_due(rec);
}

void rec_audio_pause(struct ct_rec *rec, ct_time_t at)
{
	for (int dir = 0; dir < 2; dir++)
		if (rec->d[dir].q)
			q_run(rec, dir, at, true);
	int64_t p = pos_of_time(rec, at);
	if (p < rec->written)
		p = rec->written;
	if (p > rec->now_pos)
		rec->now_pos = p;
	/* audio placed at or after the pause (a sender ahead of its arrival) is not kept */
	ring_silence_from(rec, p);
	rec->pause_pos = p;
	rec->paused_at = at;
}

void rec_audio_resume(struct ct_rec *rec, ct_time_t at)
{
	int64_t p = pos_of_time(rec, at);
	if (rec->eng->cfg.pause_mode == CT_REC_PAUSE_CUT) {
		/* the paused stretch leaves the timeline: later positions move back by it, the
		 * anchors with them so that the senders' timestamps continue seamlessly */
		int64_t delta = p - rec->pause_pos;
		if (delta < 0)
			delta = 0;
		rec->cut += delta;
		for (int dir = 0; dir < 2; dir++) {
			rec->d[dir].anchor_pos -= delta;
			rec->d[dir].last_end -= delta;
		}
		rec->now_pos = rec->pause_pos;
	} else {
		if (p < rec->pause_pos)
			p = rec->pause_pos;
		rec->pause_pos = p; /* nothing is placed before the resume */
		if (p > rec->now_pos)
			rec->now_pos = p;
	}
}

void rec_audio_finish(struct ct_rec *rec, ct_time_t at)
{
	if (rec->state == REC_RUNNING)
		for (int dir = 0; dir < 2; dir++)
			if (rec->d[dir].q)
				q_run(rec, dir, at, true);
	int64_t end = rec->state == REC_PAUSED && rec->eng->cfg.pause_mode == CT_REC_PAUSE_CUT ? rec->pause_pos
											      : pos_of_time(rec, at);
	if (end < rec->written)
		end = rec->written;
	/* what was placed beyond the end (senders ahead of the stop) is not written */
	ring_flush(rec, end);
}
