/* test_recorder.c - the recorder engine on crafted RTP with known audio: a distinct tone per
 * direction, silence, a lost burst, reordering, an SSRC change, a timestamp jump, pauses, DTMF
 * and comfort noise; G.722 and Opus; the files read back with libsndfile (and the G.711 data
 * bytes compared with the RTP payloads); storage rules under hostile ids and planted symlinks;
 * the chain and `verify` against a flipped byte, a deleted file and a removed record;
 * signatures; encryption round trip; a SIGKILL mid-recording and the repair at the next start;
 * the disk guard; retention; the endpoint lookup; one-way-audio findings. sox checks the same
 * files independently in test_recorder_sox.py. */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <opus/opus.h>
#include <pcap/pcap.h>
#include <setjmp.h>
#include <signal.h>
#include <sndfile.h>
#include <sodium.h>
#include <spandsp/telephony.h>
#include <spandsp/g722.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "rec_test.h"

static char tmp[256];
static struct t_log lg;

static int rm_cb(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(p);
}

static int setup(void **state)
{
	(void)state;
	snprintf(tmp, sizeof(tmp), "/tmp/ctitap-rec-XXXXXX");
	assert_non_null(mkdtemp(tmp));
	memset(&lg, 0, sizeof(lg));
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	nftw(tmp, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}

static char *pth(const char *fmt, ...) CT_PRINTF(1, 2);
static char *pth(const char *fmt, ...)
{
	static char b[4][600];
	static int i;
	char *o = b[i++ & 3];
	int n = snprintf(o, 600, "%s/", tmp);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(o + n, (size_t)(600 - n), fmt, ap);
	va_end(ap);
	return o;
}

static struct ct_recorder *engine(struct ct_recorder_cfg *cfg)
{
	struct ct_recorder_cfg c;
	if (!cfg) {
		ct_recorder_cfg_default(&c);
		cfg = &c;
	}
	cfg->dir = pth("rec");
	cfg->sensor = "test-sensor";
	cfg->on_event = t_on_event;
	cfg->user = &lg;
	struct ct_recorder *r = NULL;
	char err[256] = "";
	int rc = ct_recorder_new(cfg, &r, err, sizeof(err));
	if (rc != CT_OK)
		fprintf(stderr, "ct_recorder_new: %s\n", err);
	assert_int_equal(rc, CT_OK);
	return r;
}

static void set_ep(struct ct_rec_ep *ep, const char *ip4, uint16_t port)
{
	memset(ep, 0, sizeof(*ep));
	ep->addr.a[10] = ep->addr.a[11] = 0xff;
	unsigned a, b, c, d;
	assert_int_equal(sscanf(ip4, "%u.%u.%u.%u", &a, &b, &c, &d), 4);
	ep->addr.a[12] = (uint8_t)a;
	ep->addr.a[13] = (uint8_t)b;
	ep->addr.a[14] = (uint8_t)c;
	ep->addr.a[15] = (uint8_t)d;
	ep->port = port;
}

/* A recording whose SDP offered codec (pt, clock) first, then codec2 (pt2, 8 kHz). */
static struct ct_rec *open_rec2(struct ct_recorder *r, const char *call, const char *dev, const char *codec,
				uint8_t pt, uint32_t clock, ct_time_t start, const char *codec2, uint8_t pt2)
{
	struct ct_rec_open o;
	memset(&o, 0, sizeof(o));
	o.call = call;
	o.device = dev;
	o.start = start;
	o.reason = "answered";
	set_ep(&o.far, "10.1.0.1", 10000);
	set_ep(&o.agent, "10.1.2.10", 20000);
	assert_true(ct_rec_ptmap_add(&o.pt, pt, codec, clock));
	assert_true(ct_rec_ptmap_add(&o.pt, pt2, codec2, 8000));
	struct ct_rec *rec = NULL;
	struct ct_rec_chain ch;
	assert_int_equal(ct_recorder_open(r, &o, &rec, &ch), CT_OK);
	assert_true(ch.seq > 0);
	assert_int_equal(strlen(ch.hash), 64);
	return rec;
}

static struct ct_rec *open_rec(struct ct_recorder *r, const char *call, const char *dev, const char *codec,
			       uint8_t pt, uint32_t clock, ct_time_t start)
{
	return open_rec2(r, call, dev, codec, pt, clock, start, "telephone-event", 101);
}

/* The whole file: frames as int16 (libsndfile decodes) and, for G.711, the raw data bytes. */
struct wav {
	SF_INFO info;
	int16_t *pcm;   /* frames * channels */
	uint8_t *raw;   /* frames * channels bytes (G.711) */
};

static void wav_read(const char *rel, struct wav *w)
{
	memset(w, 0, sizeof(*w));
	const char *p = pth("rec/%s", rel);
	SNDFILE *s = sf_open(p, SFM_READ, &w->info);
	if (!s)
		fprintf(stderr, "%s: %s\n", p, sf_strerror(NULL));
	assert_non_null(s);
	w->pcm = calloc((size_t)w->info.frames * (size_t)w->info.channels + 1, sizeof(int16_t));
	assert_int_equal(sf_readf_short(s, w->pcm, w->info.frames), w->info.frames);
	sf_close(s);
	int sub = w->info.format & SF_FORMAT_SUBMASK;
	if (sub == SF_FORMAT_ALAW || sub == SF_FORMAT_ULAW) {
		s = sf_open(p, SFM_READ, &w->info);
		w->raw = calloc((size_t)w->info.frames * 2 + 1, 1);
		assert_int_equal(sf_read_raw(s, w->raw, w->info.frames * 2), w->info.frames * 2);
		sf_close(s);
	}
}

static void wav_free(struct wav *w)
{
	free(w->pcm);
	free(w->raw);
}

/* amplitude of f in frames [from, to) of channel ch */
static double amp(const struct wav *w, int ch, int64_t from, int64_t to, double f)
{
	return t_goertzel(w->pcm + from * 2 + ch, (size_t)(to - from), 2, f, (unsigned)w->info.samplerate);
}

static int peak(const struct wav *w, int ch, int64_t from, int64_t to)
{
	return t_peak(w->pcm + from * 2 + ch, (size_t)(to - from), 2);
}

static void file_sha(const char *rel, char hex[65], uint64_t *size)
{
	FILE *f = fopen(pth("rec/%s", rel), "rb");
	assert_non_null(f);
	crypto_hash_sha256_state s;
	crypto_hash_sha256_init(&s);
	uint8_t b[4096];
	size_t n;
	*size = 0;
	while ((n = fread(b, 1, sizeof(b), f)) > 0) {
		crypto_hash_sha256_update(&s, b, n);
		*size += n;
	}
	fclose(f);
	uint8_t d[32];
	crypto_hash_sha256_final(&s, d);
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", d[i]);
}

/* The 12 hex digits of a device in file names. */
static void devhash(const char *dev, char out[13])
{
	uint8_t h[32];
	crypto_hash_sha256(h, (const uint8_t *)dev, strlen(dev));
	for (int i = 0; i < 6; i++)
		snprintf(out + 2 * i, 3, "%02x", h[i]);
}

/* ---- audio ---- */

/* Far end 440 Hz and agent 1000 Hz for 3 s of A-law with arrival jitter: the file is 3 s,
 * each channel carries its tone, and channel data bytes are the RTP payloads. */
static void test_tones_alaw(void **state)
{
	(void)state;
	struct ct_recorder *r = engine(NULL);
	struct ct_rec *rec = open_rec(r, "sip-0123456789abcdef", "2001", "PCMA", 8, 8000, T0);
	static uint8_t sent[2][150][160];
	for (unsigned k = 0; k < 150; k++) {
		ct_time_t at = T0 + k * 20 * MS + (k % 3) * 3 * MS; /* 0, 3 and 6 ms late */
		t_g711(true, 440, k * 160, sent[0][k]);
		t_g711(true, 1000, k * 160, sent[1][k]);
		t_feed(rec, CT_REC_FAR, 8, (uint16_t)(1000 + k), 5000 + k * 160, 0xaaaa, sent[0][k], 160, at);
		t_feed(rec, CT_REC_AGENT, 8, (uint16_t)(7 + k), 90000 + k * 160, 0xbbbb, sent[1][k], 160, at + 1 * MS);
		if (k % 5 == 0)
			ct_recorder_tick(r, at);
	}
	assert_int_equal(ct_rec_stop(rec, T0 + 3000 * MS, "cleared"), CT_OK);
	ct_recorder_drain(r);
	const struct t_ev *e = t_find(&lg, CT_REC_EV_FILE, 0);
	assert_non_null(e);
	char dh[13], want[128];
	devhash("2001", dh);
	snprintf(want, sizeof(want), "2026/01/05/sip-0123456789abcdef-%s.wav", dh);
	assert_string_equal(e->path, want);
	assert_string_equal(e->codec, "PCMA");
	assert_int_equal(e->f.duration_ms, 3000);
	assert_int_equal(e->f.packets, 300);
	assert_int_equal(e->f.lost, 0);
	assert_int_equal(e->chain.seq, 2); /* start, stop */
	struct wav w;
	wav_read(e->path, &w);
	assert_int_equal(w.info.channels, 2);
	assert_int_equal(w.info.samplerate, 8000);
	assert_int_equal(w.info.format, SF_FORMAT_WAV | SF_FORMAT_ALAW);
	assert_int_equal(w.info.frames, 24000);
	/* each direction is anchored at its first packet's arrival (the agent's came 1 ms = 8
	 * samples after the far end's), and from there placed by timestamp: the arrival jitter of
	 * the later packets does not move them */
	const unsigned off[2] = { 0, 8 };
	for (unsigned k = 0; k < 150; k++)
		for (unsigned ch = 0; ch < 2; ch++)
			for (unsigned i = 0; i < 160; i++) {
				unsigned p = off[ch] + k * 160 + i;
				if (p < 24000)
					assert_int_equal(w.raw[p * 2 + ch], sent[ch][k][i]);
			}
	for (unsigned p = 0; p < 8; p++)
		assert_int_equal(w.raw[p * 2 + 1], 0xd5); /* A-law silence before the agent's first packet */
	assert_true(amp(&w, 0, 0, 24000, 440) > 0.8 * AMP);
	assert_true(amp(&w, 0, 0, 24000, 1000) < 0.02 * AMP);
	assert_true(amp(&w, 1, 0, 24000, 1000) > 0.8 * AMP);
	assert_true(amp(&w, 1, 0, 24000, 440) < 0.02 * AMP);
	wav_free(&w);
	char hex[65];
	uint64_t size;
	file_sha(e->path, hex, &size);
	assert_string_equal(hex, e->f.sha256);
	assert_int_equal(size, e->f.bytes);
	struct stat st;
	assert_int_equal(stat(pth("rec/%s", e->path), &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640);
	/* quality: G.711 clean, both directions scored on the narrowband scale */
	assert_true(e->f.q[0].scored && e->f.q[0].published && !e->f.q[0].wideband);
	assert_true(e->f.q[0].r > 90 && e->f.q[0].r <= 93.2);
	assert_true(e->f.q[0].mos > 4.3);
	assert_int_equal(e->f.q[1].audio_ms, 3000);
	ct_recorder_free(r);
	assert_int_equal(ct_recorder_verify(pth("rec"), NULL, stderr), 0);
}

/* u-law far end with a lost burst, two packets swapped, an SSRC change and a timestamp jump. */
static void test_loss_reorder_ssrc_jump(void **state)
{
	(void)state;
	struct ct_recorder *r = engine(NULL);
	struct ct_rec *rec = open_rec(r, "c-loss", "2002", "PCMU", 0, 8000, T0);
	static uint8_t pl[200][160];
	uint8_t quiet[160];
	t_g711(false, 0, 0, quiet);
	for (unsigned k = 0; k < 200; k++)
		t_g711(false, 500, k * 160, pl[k]);
	for (unsigned k = 0; k < 200; k++) {
		ct_time_t at = T0 + k * 20 * MS;
		unsigned j = k == 100 ? 101 : k == 101 ? 100 : k; /* reordered on the wire */
		if (k == 101)
			at += 1 * MS;
		uint32_t ssrc = j < 120 ? 0x1111 : 0x2222;
		uint16_t seq = (uint16_t)(j < 120 ? 60000 + j : 5000 + j); /* wraps, then a new run */
		uint32_t ts = j < 120 ? 1000 + j * 160 : 0x12345678u + (j - 120) * 160;
		if (j >= 160)
			ts += 80000; /* the sender's clock jumps 10 s while its sequence continues */
		if (!(k >= 50 && k < 60))
			t_feed(rec, CT_REC_FAR, 0, seq, ts, ssrc, pl[j], 160, at);
		t_feed(rec, CT_REC_AGENT, 0, (uint16_t)k, k * 160, 0x3333, quiet, 160, at);
		ct_recorder_tick(r, at);
	}
	ct_rec_stop(rec, T0 + 4000 * MS, "cleared");
	ct_recorder_drain(r);
	const struct t_ev *e = t_find(&lg, CT_REC_EV_FILE, 0);
	assert_non_null(e);
	assert_int_equal(e->f.duration_ms, 4000);
	assert_int_equal(e->f.q[0].lost, 10);
	assert_int_equal(e->f.q[0].ssrc_changes, 1);
	assert_int_equal(e->f.q[0].ts_jumps, 1);
	assert_int_equal(e->f.q[0].late, 0);
	assert_true(e->f.q[0].burst_r > 1.0); /* one burst of ten */
	struct wav w;
	wav_read(e->path, &w);
	assert_int_equal(w.info.format, SF_FORMAT_WAV | SF_FORMAT_ULAW);
	assert_int_equal(w.info.frames, 32000);
	for (unsigned k = 0; k < 200; k++)
		for (int i = 0; i < 160; i++) {
			uint8_t want = k >= 50 && k < 60 ? 0xff : pl[k][i]; /* the loss is u-law silence */
			assert_int_equal(w.raw[(k * 160 + (unsigned)i) * 2], want);
			assert_int_equal(w.raw[(k * 160 + (unsigned)i) * 2 + 1], quiet[i]);
		}
	assert_int_equal(peak(&w, 0, 50 * 160, 60 * 160), 0);
	assert_true(amp(&w, 0, 120 * 160, 160 * 160, 500) > 0.8 * AMP); /* after the SSRC change */
	assert_true(amp(&w, 0, 160 * 160, 200 * 160, 500) > 0.8 * AMP); /* after the jump */
	wav_free(&w);
	ct_recorder_free(r);
}

/* Silence suppression with a sender clock that runs ahead: talkspurts are placed by timestamp
 * within, and moved back to their arrival when more than 40 ms off (RFC 3551 4.1 talkspurt
 * starts: here the next sequence number with the timestamp more than two packets on). */
static void test_talkspurt_realign(void **state)
{
	(void)state;
	struct ct_recorder *r = engine(NULL);
	struct ct_rec *rec = open_rec(r, "c-dtx", "2015", "PCMA", 8, 8000, T0);
	static uint8_t pl[250][160];
	uint16_t seq = 0;
	for (unsigned k = 0; k < 250; k++) {
		t_g711(true, 650, k * 160, pl[k]);
		bool talking = k < 50 || (k >= 100 && k < 150) || k >= 200;
		/* after the first silence the sender's timestamps are 100 ms ahead of time; after the
		 * second, 120 ms: 20 ms more, within the tolerance */
		uint32_t ts = k * 160 + (k >= 200 ? 960 : k >= 100 ? 800 : 0);
		if (talking)
			t_feed(rec, CT_REC_FAR, 8, seq++, ts, 1, pl[k], 160, T0 + k * 20 * MS);
		ct_recorder_tick(r, T0 + k * 20 * MS);
	}
	ct_rec_stop(rec, T0 + 5000 * MS, "cleared");
	ct_recorder_drain(r);
	const struct t_ev *e = t_find(&lg, CT_REC_EV_FILE, 0);
	assert_non_null(e);
	assert_int_equal(e->f.q[0].realigns, 1);
	assert_int_equal(e->f.q[0].ts_jumps, 0);
	assert_int_equal(e->f.q[0].lost, 0);
	struct wav w;
	wav_read(e->path, &w);
	for (unsigned k = 0; k < 250; k++) {
		unsigned at = k < 100 ? k * 160 : k < 200 ? k * 160 : k * 160 + 160; /* 2nd realigned, 3rd +20 ms */
		for (unsigned i = 0; i < 160; i++) {
			bool talking = k < 50 || (k >= 100 && k < 150) || k >= 200;
			if (talking && at + i < 40000)
				assert_int_equal(w.raw[(at + i) * 2], pl[k][i]);
		}
	}
	assert_int_equal(peak(&w, 0, 50 * 160, 100 * 160), 8); /* A-law silence decodes to +-8 */
	wav_free(&w);
	ct_recorder_free(r);
}

/* A pause from 1.0 s to 2.0 s while both sides keep sending: silence mode keeps the timeline. */
static void pause_run(enum ct_rec_pause_mode mode, struct wav *w, uint8_t sent[150][160])
{
	struct ct_recorder_cfg cfg;
	ct_recorder_cfg_default(&cfg);
	cfg.pause_mode = mode;
	struct ct_recorder *r = engine(&cfg);
	struct ct_rec *rec = open_rec(r, "c-pause", "2003", "PCMA", 8, 8000, T0);
	uint8_t agent[160];
	for (unsigned k = 0; k < 150; k++) {
		ct_time_t at = T0 + k * 20 * MS;
		if (k == 50) {
			struct ct_rec_chain ch;
			assert_int_equal(ct_rec_pause(rec, at, "card_payment", &ch), CT_OK);
			assert_true(ch.seq > 0);
		}
		if (k == 100)
			assert_int_equal(ct_rec_resume(rec, at, "card_payment_done", NULL), CT_OK);
		t_g711(true, 700, k * 160, sent[k]);
		t_g711(true, 1200, k * 160, agent);
		t_feed(rec, CT_REC_FAR, 8, (uint16_t)k, k * 160, 1, sent[k], 160, at + 2 * MS);
		t_feed(rec, CT_REC_AGENT, 8, (uint16_t)k, k * 160, 2, agent, 160, at + 2 * MS);
		ct_recorder_tick(r, at + 2 * MS);
	}
	ct_rec_stop(rec, T0 + 3000 * MS, "cleared");
	ct_recorder_drain(r);
	const struct t_ev *e = t_find(&lg, CT_REC_EV_FILE, 0);
	assert_non_null(e);
	wav_read(e->path, w);
	assert_int_equal(e->chain.seq, 4); /* start, pause, resume, stop */
	ct_recorder_free(r);
	assert_int_equal(ct_recorder_verify(pth("rec"), NULL, stderr), 0);
}

static void test_pause_silence(void **state)
{
	(void)state;
	struct wav w;
	static uint8_t sent[150][160];
	pause_run(CT_REC_PAUSE_SILENCE, &w, sent);
	assert_int_equal(w.info.frames, 24000);
	/* packets arrive 2 ms (16 samples) after their time: the pause at 1.000 s and the resume at
	 * 2.000 s cut the stream at those file positions, within one packet */
	for (unsigned p = 0; p < 24000; p++) {
		bool paused = p >= 8000 && p < 16016;
		uint8_t want = p < 16 || paused ? 0xd5 : sent[(p - 16) / 160][(p - 16) % 160];
		assert_int_equal(w.raw[p * 2], want);
	}
	assert_true(peak(&w, 0, 8000, 16000) <= 8);
	assert_true(peak(&w, 1, 8000, 16000) <= 8);
	assert_true(amp(&w, 0, 0, 8000, 700) > 0.8 * AMP);
	assert_true(amp(&w, 1, 16016, 24000, 1200) > 0.8 * AMP);
	wav_free(&w);
}

static void test_pause_cut(void **state)
{
	(void)state;
	struct wav w;
	static uint8_t sent[150][160];
	pause_run(CT_REC_PAUSE_CUT, &w, sent);
	/* the paused second is gone: 2 s of audio, the second half continuing where the first
	 * stopped (the same 16 samples of arrival delay after the resume) */
	assert_int_equal(w.info.frames, 16000);
	for (unsigned p = 0; p < 16000; p++) {
		uint8_t want;
		if (p < 16 || (p >= 8000 && p < 8016))
			want = 0xd5;
		else if (p < 8000)
			want = sent[(p - 16) / 160][(p - 16) % 160];
		else
			want = sent[(p + 8000 - 16) / 160][(p + 8000 - 16) % 160];
		assert_int_equal(w.raw[p * 2], want);
	}
	assert_true(amp(&w, 1, 0, 16000, 1200) > 0.8 * AMP);
	wav_free(&w);
}

/* RFC 4733 events and RFC 3389 comfort noise are silence in the file and counted. */
static void test_dtmf_cn(void **state)
{
	(void)state;
	struct ct_recorder *r = engine(NULL);
	struct ct_rec *rec = open_rec(r, "c-dtmf", "2004", "PCMU", 0, 8000, T0);
	uint8_t pl[160], ev[4] = { 5, 0x0a, 0, 160 }, cn[1] = { 60 };
	for (unsigned k = 0; k < 100; k++) {
		ct_time_t at = T0 + k * 20 * MS;
		t_g711(false, 800, k * 160, pl);
		if (k >= 20 && k < 30) /* digit 5 for 200 ms: the event's start timestamp */
			t_feed(rec, CT_REC_AGENT, 101, (uint16_t)k, 20 * 160, 9, ev, 4, at);
		else if (k >= 60 && k < 70)
			t_feed(rec, CT_REC_AGENT, 13, (uint16_t)k, k * 160, 9, cn, 1, at);
		else
			t_feed(rec, CT_REC_AGENT, 0, (uint16_t)k, k * 160, 9, pl, 160, at);
		ct_recorder_tick(r, at);
	}
	ct_rec_stop(rec, T0 + 2000 * MS, "cleared");
	ct_recorder_drain(r);
	const struct t_ev *e = t_find(&lg, CT_REC_EV_FILE, 0);
	assert_non_null(e);
	assert_int_equal(e->f.q[1].dtmf, 10);
	assert_int_equal(e->f.q[1].cn, 10);
	assert_int_equal(e->f.q[1].lost, 0);
	struct wav w;
	wav_read(e->path, &w);
	assert_int_equal(peak(&w, 1, 20 * 160, 30 * 160), 0);
	assert_int_equal(peak(&w, 1, 60 * 160, 70 * 160), 0);
	assert_true(amp(&w, 1, 30 * 160, 60 * 160, 800) > 0.8 * AMP);
	assert_int_equal(peak(&w, 0, 0, 16000), 0); /* no far end packets at all */
	wav_free(&w);
	ct_recorder_free(r);
}

/* G.722 (spandsp) and Opus (libopus) encoded here, decoded by the engine into 16 kHz PCM. */
static void wideband_run(bool opus)
{
	struct ct_recorder *r = engine(NULL);
	struct ct_rec *rec = opus ? open_rec(r, "c-opus", "2005", "opus", 111, 48000, T0)
				  : open_rec(r, "c-g722", "2005", "G722", 9, 8000, T0);
	g722_encode_state_t *g[2] = { NULL, NULL };
	OpusEncoder *oe[2] = { NULL, NULL };
	for (int d = 0; d < 2; d++) {
		if (opus) {
			int err;
			oe[d] = opus_encoder_create(48000, 1, OPUS_APPLICATION_VOIP, &err);
			assert_non_null(oe[d]);
		} else {
			g[d] = g722_encode_init(NULL, 64000, 0);
		}
	}
	double f[2] = { 440, 1000 };
	for (unsigned k = 0; k < 100; k++) {
		ct_time_t at = T0 + k * 20 * MS;
		for (int d = 0; d < 2; d++) {
			uint8_t pl[400];
			int n;
			if (opus) {
				int16_t x[960];
				for (int i = 0; i < 960; i++)
					x[i] = t_tone(f[d], k * 960 + (unsigned)i, 48000);
				n = opus_encode(oe[d], x, 960, pl, sizeof(pl));
			} else {
				int16_t x[320];
				for (int i = 0; i < 320; i++)
					x[i] = t_tone(f[d], k * 320 + (unsigned)i, 16000);
				n = g722_encode(g[d], pl, x, 320);
			}
			assert_true(n > 0);
			uint32_t ts = opus ? k * 960 : k * 160; /* G.722's RTP clock is 8000 (RFC 3551 4.5.2) */
			/* a swapped pair goes through the reorder queue */
			unsigned kk = k;
			t_feed(rec, d ? CT_REC_AGENT : CT_REC_FAR, opus ? 111 : 9, (uint16_t)kk, ts, (uint32_t)(d + 1), pl,
			       (size_t)n, at + (k == 41 ? 0 : k == 40 ? 25 * MS : 0));
		}
		ct_recorder_tick(r, at);
	}
	ct_rec_stop(rec, T0 + 2000 * MS, "cleared");
	ct_recorder_drain(r);
	for (int d = 0; d < 2; d++) {
		if (opus)
			opus_encoder_destroy(oe[d]);
		else
			g722_encode_free(g[d]);
	}
	const struct t_ev *e = t_find(&lg, CT_REC_EV_FILE, 0);
	assert_non_null(e);
	assert_string_equal(e->codec, "L16");
	struct wav w;
	wav_read(e->path, &w);
	assert_int_equal(w.info.samplerate, 16000);
	assert_int_equal(w.info.format, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
	assert_int_equal(w.info.frames, 32000);
	/* the codecs' own delay aside, each channel carries its tone and not the other */
	assert_true(amp(&w, 0, 3200, 32000, 440) > 0.5 * AMP);
	assert_true(amp(&w, 0, 3200, 32000, 1000) < 0.05 * AMP);
	assert_true(amp(&w, 1, 3200, 32000, 1000) > 0.5 * AMP);
	assert_true(amp(&w, 1, 3200, 32000, 440) < 0.05 * AMP);
	assert_true(e->f.q[0].scored && e->f.q[0].wideband && !e->f.q[0].published);
	wav_free(&w);
	ct_recorder_free(r);
}

static void test_g722(void **state)
{
	(void)state;
	wideband_run(false);
}

static void test_opus(void **state)
{
	(void)state;
	wideband_run(true);
}

/* The FILE event of a recording's payload pcap, among its two (audio and payload). */
static const struct t_ev *payload_event(void)
{
	const struct t_ev *pe = NULL;
	for (unsigned i = 0; i < 2; i++) {
		const struct t_ev *e = t_find(&lg, CT_REC_EV_FILE, i);
		assert_non_null(e);
		if (e->f.kind == CT_REC_FILE_PAYLOAD)
			pe = e;
	}
	assert_non_null(pe);
	return pe;
}

/* A codec ctitap does not decode (G.729): its payloads go to a payload pcap. */
static void test_payload_pcap(void **state)
{
	(void)state;
	struct ct_recorder *r = engine(NULL);
	struct ct_rec *rec = open_rec(r, "c-g729", "2006", "G729", 18, 8000, T0);
	uint8_t pl[20];
	for (unsigned k = 0; k < 50; k++) {
		memset(pl, (int)k, sizeof(pl));
		t_feed(rec, CT_REC_FAR, 18, (uint16_t)k, k * 160, 7, pl, sizeof(pl), T0 + k * 20 * MS);
	}
	ct_rec_stop(rec, T0 + 1000 * MS, "cleared");
	ct_recorder_drain(r);
	const struct t_ev *pe = payload_event();
	assert_int_equal(pe->f.packets, 50);
	assert_true(strstr(pe->path, ".rtp.pcap") != NULL);
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *pc = pcap_open_offline(pth("rec/%s", pe->path), err);
	assert_non_null(pc);
	assert_int_equal(pcap_datalink(pc), DLT_RAW);
	struct pcap_pkthdr *h;
	const u_char *d;
	unsigned n = 0;
	while (pcap_next_ex(pc, &h, &d) == 1) {
		assert_int_equal(h->caplen, 20 + 8 + 12 + 20);
		assert_int_equal(d[9], 17);            /* UDP */
		assert_int_equal(d[20 + 1], 10000 & 0xff); /* from the far end's port (10000 = 0x2710) */
		assert_int_equal(d[20 + 8 + 1], 18);   /* PT 18 */
		assert_int_equal(d[20 + 8 + 12], n);   /* the payload as sent */
		n++;
	}
	pcap_close(pc);
	assert_int_equal(n, 50);
	ct_recorder_free(r);
	assert_int_equal(ct_recorder_verify(pth("rec"), NULL, stderr), 0);
}

/* A payload pcap's codec is the SDP's name, hostile bytes included: the chain entry that
 * carries it stays JSON (escaped, U+FFFD for bad UTF-8) and verify reads it. */
static void test_payload_codec_name(void **state)
{
	(void)state;
	struct ct_recorder *r = engine(NULL);
	struct ct_rec *rec = open_rec2(r, "c-name", "2019", "PCMA", 8, 8000, T0, "x\"\\\xff\x01}", 96);
	uint8_t pl[20] = { 0 };
	for (unsigned k = 0; k < 10; k++)
		t_feed(rec, CT_REC_FAR, 96, (uint16_t)k, k * 160, 7, pl, sizeof(pl), T0 + k * 20 * MS);
	ct_rec_stop(rec, T0 + 300 * MS, "cleared");
	ct_recorder_drain(r);
	const struct t_ev *pe = payload_event();
	assert_int_equal(pe->f.packets, 10);
	assert_string_equal(pe->codec, "x\"\\\xff\x01}");
	ct_recorder_free(r);
	assert_int_equal(ct_recorder_verify(pth("rec"), NULL, stderr), 0);
}

/* An SDP that offered G.729 beside PCMA, and only PCMA sent: the payload pcap opened with the
 * recording is removed at its stop, no file, no event, no chain entry. */
static void test_payload_pcap_unused(void **state)
{
	(void)state;
	struct ct_recorder *r = engine(NULL);
	struct ct_rec *rec = open_rec2(r, "c-offer", "2016", "PCMA", 8, 8000, T0, "G729", 18);
	char dh[13];
	devhash("2016", dh);
	assert_int_equal(access(pth("rec/2026/01/05/c-offer-%s.rtp.pcap.part", dh), F_OK), 0);
	uint8_t pl[160];
	t_g711(true, 300, 0, pl);
	for (unsigned k = 0; k < 50; k++)
		t_feed(rec, CT_REC_FAR, 8, (uint16_t)k, k * 160, 7, pl, sizeof(pl), T0 + k * 20 * MS);
	ct_rec_stop(rec, T0 + 1000 * MS, "cleared");
	ct_recorder_drain(r);
	const struct t_ev *e = t_find(&lg, CT_REC_EV_FILE, 0);
	assert_non_null(e);
	assert_int_equal(e->f.kind, CT_REC_FILE_AUDIO);
	assert_null(t_find(&lg, CT_REC_EV_FILE, 1));
	assert_int_equal(access(pth("rec/2026/01/05/c-offer-%s.rtp.pcap.part", dh), F_OK), -1);
	assert_int_equal(access(pth("rec/2026/01/05/c-offer-%s.rtp.pcap", dh), F_OK), -1);
	assert_int_equal(access(pth("rec/2026/01/05/c-offer-%s.wav", dh), F_OK), 0);
	assert_int_equal(ct_recorder_stats(r)->rtp_payload_pcap, 0);
	ct_recorder_free(r);
	assert_int_equal(ct_recorder_verify(pth("rec"), NULL, stderr), 0); /* an unexpected file fails it */
}

/* ---- the endpoint lookup ---- */

static void test_endpoint_lookup(void **state)
{
	(void)state;
	struct ct_recorder *r = engine(NULL);
	struct ct_rec *rec = open_rec(r, "c-ep", "2007", "PCMA", 8, 8000, T0);
	struct ct_rec *nated = open_rec(r, "c-nat", "2017", "PCMA", 8, 8000, T0);
	struct ct_rec_ep far, agent, nat, other, far2, agent2;
	set_ep(&far, "10.1.0.1", 10000);
	set_ep(&agent, "10.1.2.10", 20000);
	set_ep(&nat, "192.0.2.9", 7777);
	set_ep(&other, "10.9.9.9", 9999);
	set_ep(&far2, "172.16.0.1", 10000);   /* a far end behind NAT: its SDP's address never sends */
	set_ep(&agent2, "10.1.2.11", 20000);
	assert_int_equal(ct_rec_set_media(nated, &far2, &agent2, NULL), CT_OK);
	uint8_t pl[160], buf[200];
	t_g711(true, 300, 0, pl);
	struct ct_rtp_hdr h;
	assert_true(t_rtp(buf, &h, 8, false, 1, 0, 5, pl, 160));
	/* from the far end's endpoint; from the agent's; nothing to do with the calls */
	assert_int_equal(ct_recorder_rtp(r, &far.addr, far.port, &agent.addr, agent.port, &h, T0), 1);
	assert_int_equal(ct_recorder_rtp(r, &agent.addr, agent.port, &far.addr, far.port, &h, T0), 1);
	assert_int_equal(ct_recorder_rtp(r, &other.addr, other.port, &nat.addr, nat.port, &h, T0), 0);
	/* a NATed far end towards the agent: the far end's own endpoint has never sent, so it
	 * counts for the far end */
	assert_int_equal(ct_recorder_rtp(r, &nat.addr, nat.port, &agent2.addr, agent2.port, &h, T0), 1);
	/* the same towards the first agent, whose far end sends itself: a relay's copy of another
	 * stream, not mixed into the far end's channel */
	assert_true(t_rtp(buf, &h, 8, false, 2, 160, 6, pl, 160));
	assert_int_equal(ct_recorder_rtp(r, &nat.addr, nat.port, &agent.addr, agent.port, &h, T0 + 20 * MS), 0);
	assert_int_equal(ct_recorder_stats(r)->rtp_relay_copy, 1);
	/* new media (a re-INVITE to a mixer): the old far endpoint no longer feeds the recording,
	 * and until the mixer sends, a packet to the agent from elsewhere is the far end's again */
	struct ct_rec_ep mixer;
	set_ep(&mixer, "10.5.5.5", 30000);
	assert_int_equal(ct_rec_set_media(rec, &mixer, NULL, NULL), CT_OK);
	assert_int_equal(ct_recorder_rtp(r, &far.addr, far.port, &other.addr, other.port, &h, T0), 0);
	assert_true(t_rtp(buf, &h, 8, false, 3, 320, 6, pl, 160));
	assert_int_equal(ct_recorder_rtp(r, &nat.addr, nat.port, &agent.addr, agent.port, &h, T0 + 40 * MS), 1);
	assert_true(t_rtp(buf, &h, 8, false, 4, 480, 6, pl, 160));
	assert_int_equal(ct_recorder_rtp(r, &mixer.addr, mixer.port, &other.addr, other.port, &h, T0 + 60 * MS), 1);
	ct_rec_stop(rec, T0 + 100 * MS, "cleared");
	ct_rec_stop(nated, T0 + 100 * MS, "cleared");
	ct_recorder_drain(r);
	for (unsigned i = 0; i < 2; i++) {
		const struct t_ev *e = t_find(&lg, CT_REC_EV_FILE, i);
		assert_non_null(e);
		if (!strcmp(e->call, "c-ep")) {
			assert_int_equal(e->f.q[0].packets, 3); /* far, NAT after the re-INVITE, mixer */
			assert_int_equal(e->f.q[1].packets, 1);
		} else {
			assert_int_equal(e->f.q[0].packets, 1); /* the NATed far end */
			assert_int_equal(e->f.q[1].packets, 0);
		}
	}
	assert_int_equal(ct_recorder_stats(r)->rtp_relay_copy, 1);
	ct_recorder_free(r);
}

/* ---- findings ---- */

static void test_one_way(void **state)
{
	(void)state;
	struct ct_recorder_cfg cfg;
	ct_recorder_cfg_default(&cfg);
	cfg.silence_s = 2;
	struct ct_recorder *r = engine(&cfg);
	struct ct_rec *rec = open_rec(r, "c-oneway", "2008", "PCMA", 8, 8000, T0);
	uint8_t tone[160], quiet[160];
	t_g711(true, 0, 0, quiet);
	for (unsigned k = 0; k < 300; k++) { /* 6 s: agent silent for 4 s, then talks */
		ct_time_t at = T0 + k * 20 * MS;
		t_g711(true, 600, k * 160, tone);
		t_feed(rec, CT_REC_FAR, 8, (uint16_t)k, k * 160, 1, tone, 160, at);
		t_feed(rec, CT_REC_AGENT, 8, (uint16_t)k, k * 160, 2, k < 200 ? quiet : tone, 160, at);
		ct_recorder_tick(r, at);
	}
	const struct t_ev *s = t_find(&lg, CT_REC_EV_FINDING, 0);
	assert_non_null(s);
	assert_int_equal(s->finding, CT_REC_ONE_WAY);
	assert_int_equal(s->dir, CT_REC_AGENT);
	assert_true(s->active);
	assert_false(s->no_packets); /* it sent packets: silence */
	const struct t_ev *end = t_find(&lg, CT_REC_EV_FINDING, 1);
	assert_non_null(end);
	assert_false(end->active);
	assert_true(end->duration_ms >= 3900 && end->duration_ms <= 4100);
	/* then nobody sends anything: long silence */
	for (unsigned k = 0; k < 150; k++)
		ct_recorder_tick(r, T0 + 6000 * MS + k * 20 * MS);
	const struct t_ev *ls = t_find(&lg, CT_REC_EV_FINDING, 2);
	assert_non_null(ls);
	assert_int_equal(ls->finding, CT_REC_LONG_SILENCE);
	assert_true(ls->active);
	ct_rec_stop(rec, T0 + 9000 * MS, "cleared");
	ct_recorder_free(r);
}

/* ---- storage ---- */

static void test_hostile_ids(void **state)
{
	(void)state;
	struct ct_recorder *r = engine(NULL);
	struct ct_rec *rec = open_rec(r, "../../../etc/passwd\n", "../../x\"y", "PCMA", 8, 8000, T0);
	ct_rec_stop(rec, T0 + 100 * MS, "cleared");
	ct_recorder_drain(r);
	const struct t_ev *e = t_find(&lg, CT_REC_EV_FILE, 0);
	assert_non_null(e);
	/* 'h' + 16 hex of the call id's SHA-256, '-', 12 hex of the device's */
	assert_int_equal(strlen(e->path), 11 + 1 + 16 + 1 + 12 + 4);
	assert_true(strncmp(e->path, "2026/01/05/h", 12) == 0);
	assert_null(strstr(e->path, ".."));
	assert_int_equal(access(pth("rec/%s", e->path), F_OK), 0);
	ct_recorder_free(r);
	/* the chain entry keeps the hostile text escaped, and verify still reads it */
	assert_int_equal(ct_recorder_verify(pth("rec"), NULL, stderr), 0);
}

/* A symlink planted at the name of the next file is never followed, and a finished file of
 * that name is never replaced: the engine takes the next ordinal. */
static void test_planted_symlink(void **state)
{
	(void)state;
	struct ct_recorder *r = engine(NULL);
	char dh[13];
	devhash("2009", dh);
	assert_int_equal(mkdir(pth("rec/2026"), 0750), 0);
	assert_int_equal(mkdir(pth("rec/2026/01"), 0750), 0);
	assert_int_equal(mkdir(pth("rec/2026/01/05"), 0750), 0);
	assert_int_equal(symlink(pth("victim"), pth("rec/2026/01/05/c-sym-%s.wav.part", dh)), 0);
	FILE *f = fopen(pth("rec/2026/01/05/c-sym-%s-2.wav", dh), "w");
	assert_non_null(f);
	fputs("an earlier recording", f);
	fclose(f);
	struct ct_rec *rec = open_rec(r, "c-sym", "2009", "PCMA", 8, 8000, T0);
	ct_rec_stop(rec, T0 + 100 * MS, "cleared");
	ct_recorder_drain(r);
	const struct t_ev *e = t_find(&lg, CT_REC_EV_FILE, 0);
	assert_non_null(e);
	char want[200];
	snprintf(want, sizeof(want), "2026/01/05/c-sym-%s-3.wav", dh);
	assert_string_equal(e->path, want);
	assert_int_equal(access(pth("victim"), F_OK), -1); /* nothing was written through the link */
	f = fopen(pth("rec/2026/01/05/c-sym-%s-2.wav", dh), "r");
	char b[64] = "";
	assert_non_null(fgets(b, sizeof(b), f));
	fclose(f);
	assert_string_equal(b, "an earlier recording");
	ct_recorder_free(r);
}

/* ct_recorder_file_open() (the live view's /view/files/): finished files of ctitap's shape
 * only, never through a symlink, never a .part or the chain. */
static void test_file_open(void **state)
{
	(void)state;
	struct ct_recorder *r = engine(NULL);
	struct ct_rec *rec = open_rec(r, "c-serve", "2018", "PCMA", 8, 8000, T0);
	char dh[13], name[96];
	devhash("2018", dh);
	snprintf(name, sizeof(name), "2026/01/05/c-serve-%s.wav", dh);
	uint64_t size = 0;
	int fd = ct_recorder_file_open(pth("rec"), name, &size);
	assert_int_equal(ct_err_kind(fd), CT_ENOENT); /* still a .part */
	ct_rec_stop(rec, T0 + 100 * MS, "cleared");
	ct_recorder_drain(r);
	fd = ct_recorder_file_open(pth("rec"), name, &size);
	assert_true(fd >= 0);
	struct stat st;
	assert_int_equal(stat(pth("rec/%s", name), &st), 0);
	assert_int_equal(size, (uint64_t)st.st_size);
	char riff[4];
	assert_int_equal(read(fd, riff, 4), 4);
	assert_memory_equal(riff, "RIFF", 4);
	close(fd);
	FILE *f = fopen(pth("secret"), "w");
	assert_non_null(f);
	fputs("not a recording", f);
	fclose(f);
	/* a planted symlink of a recording's shape, a day folder that is a symlink */
	assert_int_equal(symlink(pth("secret"), pth("rec/2026/01/05/c-link.wav")), 0);
	assert_int_equal(mkdir(pth("elsewhere"), 0750), 0);
	assert_int_equal(symlink(pth("secret"), pth("elsewhere/c-x.wav")), 0);
	assert_int_equal(symlink(pth("elsewhere"), pth("rec/2026/01/06")), 0);
	static const char *const refused[] = { "2026/01/05/c-link.wav", "2026/01/06/c-x.wav", "chain/state",
						"2026/01/05/../../../secret", "2026/01/05/", "../secret",
						"2026/01/05/c-serve.wav.part", "2026/01/05/.hidden.wav", "2026/1/05/c.wav" };
	for (size_t i = 0; i < CT_ARRAY_SIZE(refused); i++) {
		fd = ct_recorder_file_open(pth("rec"), refused[i], &size);
		if (fd >= 0)
			fail_msg("%s opened", refused[i]);
		assert_int_equal(ct_err_kind(fd), CT_ENOENT);
	}
	ct_recorder_free(r);
}

/* ---- integrity ---- */

static void record_one(struct ct_recorder *r, const char *call, ct_time_t t, unsigned packets)
{
	struct ct_rec *rec = open_rec(r, call, "2010", "PCMA", 8, 8000, t);
	uint8_t pl[160];
	for (unsigned k = 0; k < packets; k++) {
		t_g711(true, 450, k * 160, pl);
		t_feed(rec, CT_REC_FAR, 8, (uint16_t)k, k * 160, 1, pl, 160, t + k * 20 * MS);
	}
	ct_rec_stop(rec, t + packets * 20 * MS, "cleared");
	ct_recorder_drain(r);
}

static int verify_text(const char *pub, char *out, size_t cap)
{
	FILE *f = fmemopen(out, cap, "w");
	int rc = ct_recorder_verify(pth("rec"), pub, f);
	fclose(f);
	return rc;
}

static void flip_byte(const char *path, long off)
{
	FILE *f = fopen(path, "r+b");
	assert_non_null(f);
	fseek(f, off, SEEK_SET);
	int c = fgetc(f);
	fseek(f, off, SEEK_SET);
	fputc(c ^ 0x01, f);
	fclose(f);
}

static void test_verify(void **state)
{
	(void)state;
	struct ct_recorder *r = engine(NULL);
	record_one(r, "c-v1", T0, 50);
	record_one(r, "c-v2", T0 + 2000 * MS, 50);
	record_one(r, "c-v3", T0 + 4000 * MS, 50);
	ct_recorder_free(r);
	char out[8192];
	assert_int_equal(verify_text(NULL, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "6 chain entries"));
	const struct t_ev *e1 = t_find(&lg, CT_REC_EV_FILE, 0), *e2 = t_find(&lg, CT_REC_EV_FILE, 1);
	/* a flipped byte in a recording */
	flip_byte(pth("rec/%s", e1->path), 1000);
	assert_int_equal(verify_text(NULL, out, sizeof(out)), 1);
	assert_non_null(strstr(out, "changed file"));
	assert_non_null(strstr(out, e1->path));
	flip_byte(pth("rec/%s", e1->path), 1000);
	assert_int_equal(verify_text(NULL, out, sizeof(out)), 0);
	/* a deleted recording */
	char saved[600];
	snprintf(saved, sizeof(saved), "%s", pth("saved.wav"));
	assert_int_equal(rename(pth("rec/%s", e2->path), saved), 0);
	assert_int_equal(verify_text(NULL, out, sizeof(out)), 1);
	assert_non_null(strstr(out, "missing file"));
	assert_int_equal(rename(saved, pth("rec/%s", e2->path)), 0);
	/* a removed record: the third line of the chain log goes */
	const char *log = pth("rec/chain/2026-01-05.jsonl");
	FILE *f = fopen(log, "r");
	assert_non_null(f);
	char lines[8][2048];
	int n = 0;
	while (n < 8 && fgets(lines[n], sizeof(lines[n]), f))
		n++;
	fclose(f);
	assert_int_equal(n, 6);
	f = fopen(log, "w");
	for (int i = 0; i < n; i++)
		if (i != 2)
			fputs(lines[i], f);
	fclose(f);
	assert_int_equal(verify_text(NULL, out, sizeof(out)), 1);
	assert_non_null(strstr(out, "entries seq 3 to 3 are missing"));
	/* an altered record: the byte count of a file changed in its entry */
	f = fopen(log, "w");
	for (int i = 0; i < n; i++) {
		char *b = strstr(lines[i], "\"bytes\":");
		if (i == 3 && b)
			b[8] = b[8] == '9' ? '8' : '9';
		fputs(lines[i], f);
	}
	fclose(f);
	assert_int_equal(verify_text(NULL, out, sizeof(out)), 1);
	assert_non_null(strstr(out, "was altered"));
	/* and the end of the log cut off: the state file still names the last entry */
	f = fopen(log, "w");
	for (int i = 0; i < n - 2; i++)
		fputs(lines[i], f);
	fclose(f);
	assert_int_equal(verify_text(NULL, out, sizeof(out)), 1);
	assert_non_null(strstr(out, "entries after seq 4 are missing"));
}

static void test_signed(void **state)
{
	(void)state;
	char prefix[600];
	snprintf(prefix, sizeof(prefix), "%s", pth("signer"));
	FILE *devnull = fopen("/dev/null", "w");
	assert_int_equal(ct_recorder_keygen("sign", prefix, devnull), CT_OK);
	assert_int_not_equal(ct_recorder_keygen("sign", prefix, devnull), CT_OK); /* never overwritten */
	struct stat st;
	assert_int_equal(stat(pth("signer.key"), &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	struct ct_recorder_cfg cfg;
	ct_recorder_cfg_default(&cfg);
	char key[600];
	snprintf(key, sizeof(key), "%s", pth("signer.key"));
	cfg.sign_key = key;
	struct ct_recorder *r = engine(&cfg);
	record_one(r, "c-s1", T0, 20);
	ct_recorder_free(r);
	const struct t_ev *e = t_find(&lg, CT_REC_EV_FILE, 0);
	assert_int_equal(strlen(e->chain.sig), 128);
	char out[8192], pub[600];
	snprintf(pub, sizeof(pub), "%s", pth("signer.pub"));
	assert_int_equal(verify_text(pub, out, sizeof(out)), 0);
	/* another key: its signatures are not the trusted key's */
	char other[600];
	snprintf(other, sizeof(other), "%s", pth("other"));
	assert_int_equal(ct_recorder_keygen("sign", other, devnull), CT_OK);
	snprintf(other, sizeof(other), "%s", pth("other.pub"));
	assert_int_equal(verify_text(other, out, sizeof(out)), 1);
	assert_non_null(strstr(out, "not available"));
	/* a signature altered */
	const char *log = pth("rec/chain/2026-01-05.jsonl");
	FILE *f = fopen(log, "r+");
	char line[4096];
	assert_non_null(fgets(line, sizeof(line), f));
	char *s = strstr(line, "\"sig\":\"");
	assert_non_null(s);
	fseek(f, (long)(s - line) + 7, SEEK_SET);
	fputc(s[7] == 'a' ? 'b' : 'a', f);
	fclose(f);
	assert_int_equal(verify_text(pub, out, sizeof(out)), 1);
	assert_non_null(strstr(out, "bad signature"));
	fclose(devnull);
}

static void test_encrypted(void **state)
{
	(void)state;
	FILE *devnull = fopen("/dev/null", "w");
	char prefix[600], pub[600], key[600], wrong[600];
	snprintf(prefix, sizeof(prefix), "%s", pth("holder"));
	assert_int_equal(ct_recorder_keygen("box", prefix, devnull), CT_OK);
	snprintf(prefix, sizeof(prefix), "%s", pth("stranger"));
	assert_int_equal(ct_recorder_keygen("box", prefix, devnull), CT_OK);
	snprintf(pub, sizeof(pub), "%s", pth("holder.pub"));
	snprintf(key, sizeof(key), "%s", pth("holder.key"));
	snprintf(wrong, sizeof(wrong), "%s", pth("stranger.key"));
	struct ct_recorder_cfg cfg;
	ct_recorder_cfg_default(&cfg);
	cfg.encrypt_to = pub;
	struct ct_recorder *r = engine(&cfg);
	struct ct_rec *rec = open_rec(r, "c-enc", "2011", "PCMU", 0, 8000, T0);
	static uint8_t pl[100][160];
	for (unsigned k = 0; k < 100; k++) {
		t_g711(false, 900, k * 160, pl[k]);
		t_feed(rec, CT_REC_AGENT, 0, (uint16_t)k, k * 160, 1, pl[k], 160, T0 + k * 20 * MS);
	}
	ct_rec_stop(rec, T0 + 2000 * MS, "cleared");
	ct_recorder_free(r);
	const struct t_ev *e = t_find(&lg, CT_REC_EV_FILE, 0);
	assert_non_null(e);
	assert_string_equal(e->format, "wav+enc");
	assert_true(strstr(e->path, ".wav.enc") != NULL);
	assert_int_equal(ct_recorder_verify(pth("rec"), NULL, devnull), 0); /* the ciphertext's hash */
	/* the holder of the secret key gets the WAV back, data bytes = payloads */
	char in[600], outp[600];
	snprintf(in, sizeof(in), "%s", pth("rec/%s", e->path));
	snprintf(outp, sizeof(outp), "%s", pth("plain.wav"));
	assert_int_equal(ct_recorder_decrypt(in, outp, wrong, false, devnull), CT_EPERM);
	assert_int_equal(ct_recorder_decrypt(in, outp, key, false, devnull), CT_OK);
	struct wav w;
	assert_int_equal(symlink(outp, pth("rec/plain.wav")), 0);
	wav_read("plain.wav", &w);
	assert_int_equal(w.info.frames, 16000);
	for (unsigned p = 0; p < 16000; p++)
		assert_int_equal(w.raw[p * 2 + 1], pl[p / 160][p % 160]);
	wav_free(&w);
	unlink(pth("rec/plain.wav"));
	/* a file cut short: refused as such, salvaged on request */
	char cut[600];
	snprintf(cut, sizeof(cut), "%s", pth("cut.enc"));
	FILE *fi = fopen(in, "rb"), *fo = fopen(cut, "wb");
	static uint8_t all[100000];
	size_t n = fread(all, 1, sizeof(all), fi);
	fwrite(all, 1, n - 5000, fo);
	fclose(fi);
	fclose(fo);
	snprintf(outp, sizeof(outp), "%s", pth("salvaged.wav"));
	assert_int_equal(ct_recorder_decrypt(cut, outp, key, false, devnull), CT_EFORMAT);
	assert_int_equal(ct_recorder_decrypt(cut, outp, key, true, devnull), 1);
	assert_int_equal(symlink(outp, pth("rec/salvaged.wav")), 0);
	wav_read("salvaged.wav", &w);
	assert_true(w.info.frames > 8000 && w.info.frames < 16000);
	for (unsigned p = 0; p < (unsigned)w.info.frames; p++)
		assert_int_equal(w.raw[p * 2 + 1], pl[p / 160][p % 160]);
	wav_free(&w);
	unlink(pth("rec/salvaged.wav"));
	fclose(devnull);
}

/* ---- crash ---- */

static void test_sigkill_repair(void **state)
{
	(void)state;
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct ct_recorder *r = engine(NULL);
		struct ct_rec *rec = open_rec(r, "c-crash", "2012", "PCMA", 8, 8000, T0);
		uint8_t pl[160];
		for (unsigned k = 0; k < 150; k++) {
			t_g711(true, 350, k * 160, pl);
			t_feed(rec, CT_REC_FAR, 8, (uint16_t)k, k * 160, 1, pl, 160, T0 + k * 20 * MS);
			ct_recorder_tick(r, T0 + k * 20 * MS);
		}
		raise(SIGKILL); /* mid-recording: no stop, no flush, no close */
		_exit(0);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	char dh[13], name[128];
	devhash("2012", dh);
	snprintf(name, sizeof(name), "rec/2026/01/05/c-crash-%s.wav", dh);
	/* nothing looks finished */
	assert_int_equal(access(pth("%s", name), F_OK), -1);
	assert_int_equal(access(pth("%s.part", name), F_OK), 0);
	char out[8192];
	assert_int_equal(verify_text(NULL, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "in progress"));
	/* the next start repairs it: header fixed to what was written, renamed, chained */
	struct ct_recorder *r = engine(NULL);
	const struct t_ev *e = t_find(&lg, CT_REC_EV_REPAIRED, 0);
	assert_non_null(e);
	assert_true(e->chain.seq == 2);
	/* dated by the crash (the file's last write: now), not by the epoch */
	assert_true(e->f.end > (ct_time_t)(time(NULL) - 60) * 1000000);
	ct_recorder_free(r);
	assert_int_equal(access(pth("%s.part", name), F_OK), -1);
	struct wav w;
	wav_read(e->path, &w);
	/* the engine wrote at least 1.5 s before the kill (flushes at most a second apart) */
	assert_true(w.info.frames >= 12000 && w.info.frames <= 24000);
	assert_int_equal(w.info.frames * 1000 / 8000, (sf_count_t)e->f.duration_ms);
	uint8_t pl[160];
	for (unsigned p = 0; p < (unsigned)w.info.frames; p++) {
		if (p % 160 == 0)
			t_g711(true, 350, p, pl);
		assert_int_equal(w.raw[p * 2], pl[p % 160]);
	}
	wav_free(&w);
	assert_int_equal(verify_text(NULL, out, sizeof(out)), 0);
}

/* ---- disk guard, retention ---- */

static void test_disk_guard(void **state)
{
	(void)state;
	struct ct_recorder_cfg cfg;
	ct_recorder_cfg_default(&cfg);
	cfg.max_mb = 1;
	struct ct_recorder *r = engine(&cfg);
	struct ct_rec *rec = open_rec(r, "c-full", "2013", "PCMA", 8, 8000, T0);
	uint8_t pl[160];
	unsigned k;
	for (k = 0; k < 5000 && !t_find(&lg, CT_REC_EV_STOPPED, 0); k++) {
		t_g711(true, 350, k * 160, pl);
		t_feed(rec, CT_REC_FAR, 8, (uint16_t)k, k * 160, 1, pl, 160, T0 + k * 20 * MS);
		t_feed(rec, CT_REC_AGENT, 8, (uint16_t)k, k * 160, 2, pl, 160, T0 + k * 20 * MS);
		ct_recorder_tick(r, T0 + k * 20 * MS);
	}
	const struct t_ev *s = t_find(&lg, CT_REC_EV_STOPPED, 0);
	assert_non_null(s);
	assert_string_equal(s->reason, "max_mb");
	/* 1 MiB of 16 kB/s stereo A-law is about 65 s: it stopped there, not later */
	assert_true(k > 3000 && k < 3400);
	ct_recorder_drain(r);
	const struct t_ev *f = t_find(&lg, CT_REC_EV_FILE, 0);
	assert_non_null(f);
	assert_string_equal(f->reason, "max_mb");
	/* packets for the stopped recording are ignored, new recordings refused */
	t_feed(rec, CT_REC_FAR, 8, 1, 1, 1, pl, 160, T0 + k * 20 * MS);
	struct ct_rec_open o;
	memset(&o, 0, sizeof(o));
	o.call = "c-next";
	o.device = "2014";
	o.start = T0 + k * 20 * MS;
	struct ct_rec *r2 = NULL;
	assert_int_equal(ct_recorder_open(r, &o, &r2, NULL), CT_ELIMIT);
	assert_int_equal(ct_recorder_stats(r)->refused_disk, 1);
	assert_int_equal(ct_rec_stop(rec, T0 + k * 20 * MS, "cleared"), CT_OK); /* frees the handle */
	ct_recorder_free(r);
}

static time_t fake_now;
static time_t fake_clock(void)
{
	return fake_now;
}

static void test_retention(void **state)
{
	(void)state;
	struct ct_recorder_cfg cfg;
	ct_recorder_cfg_default(&cfg);
	cfg.retention_days = 30;
	cfg.wall_clock = fake_clock;
	fake_now = (time_t)(T0 / 1000000) + 86400; /* the day after the recordings */
	struct ct_recorder *r = engine(&cfg);
	record_one(r, "c-old", T0, 20);
	record_one(r, "c-new", T0 + 40ULL * 86400 * 1000000, 20);
	/* an older day whose only file is still being written: left alone, and not chained */
	assert_int_equal(mkdir(pth("rec/2025"), 0750), 0);
	assert_int_equal(mkdir(pth("rec/2025/12"), 0750), 0);
	assert_int_equal(mkdir(pth("rec/2025/12/31"), 0750), 0);
	FILE *part = fopen(pth("rec/2025/12/31/c-long.wav.part"), "w");
	assert_non_null(part);
	fclose(part);
	ct_recorder_tick(r, T0 + 40ULL * 86400 * 1000000 + 1000 * MS);
	assert_null(t_find(&lg, CT_REC_EV_RETENTION, 0)); /* nothing is 30 days old yet */
	fake_now += 35 * 86400;
	for (int i = 0; i < 3; i++) /* a day folder a tick at most */
		ct_recorder_tick(r, T0 + 40ULL * 86400 * 1000000 + (2000 + (ct_time_t)i) * MS);
	const struct t_ev *e = t_find(&lg, CT_REC_EV_RETENTION, 0);
	assert_non_null(e);
	assert_string_equal(e->reason, "2026/01/05");
	assert_int_equal(e->files, 1);
	assert_int_equal(access(pth("rec/2026/01/05"), F_OK), -1);
	assert_int_equal(access(pth("rec/2026/01"), F_OK), -1); /* the month went with its last day */
	assert_null(t_find(&lg, CT_REC_EV_RETENTION, 1));
	for (int i = 0; i < 5; i++) { /* rounds later: still nothing to say about it */
		fake_now += 120;
		ct_recorder_tick(r, T0 + 40ULL * 86400 * 1000000 + (3000 + (ct_time_t)i) * MS);
	}
	assert_null(t_find(&lg, CT_REC_EV_RETENTION, 1));
	assert_int_equal(access(pth("rec/2025/12/31/c-long.wav.part"), F_OK), 0);
	ct_recorder_free(r);
	unlink(pth("rec/2025/12/31/c-long.wav.part")); /* not ctitap's: verify would list it */
	/* removed by retention is not missing */
	char out[8192];
	assert_int_equal(verify_text(NULL, out, sizeof(out)), 0);
}

/* ---- evidence pcap ---- */

static void test_evidence_pcap(void **state)
{
	(void)state;
	struct ct_recorder_cfg cfg;
	ct_recorder_cfg_default(&cfg);
	struct ct_recorder *r = engine(&cfg);
	struct ct_rec_pcap *p = NULL;
	assert_int_equal(ct_recorder_pcap_open(r, "c-ev", T0, DLT_EN10MB, &p), CT_ENOTSUP); /* record.pcap off */
	ct_recorder_free(r);
	cfg.pcap = true;
	r = engine(&cfg);
	assert_int_equal(ct_recorder_pcap_open(r, "c-ev", T0, DLT_EN10MB, &p), CT_OK);
	uint8_t frame[60];
	for (int i = 0; i < 3; i++) {
		memset(frame, i + 1, sizeof(frame));
		ct_rec_pcap_add(p, T0 + (ct_time_t)i * MS, DLT_EN10MB, frame, sizeof(frame), sizeof(frame));
	}
	ct_rec_pcap_add(p, T0, DLT_RAW, frame, sizeof(frame), sizeof(frame)); /* another link type */
	assert_int_equal(ct_rec_pcap_close(p, T0 + 5 * MS), CT_OK);
	ct_recorder_drain(r);
	const struct t_ev *e = t_find(&lg, CT_REC_EV_FILE, 0);
	assert_non_null(e);
	assert_int_equal(e->f.kind, CT_REC_FILE_EVIDENCE);
	assert_string_equal(e->path, "2026/01/05/c-ev.pcap");
	assert_int_equal(e->f.packets, 3);
	assert_int_equal(ct_recorder_stats(r)->pcap_linktype_other, 1);
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *pc = pcap_open_offline(pth("rec/%s", e->path), err);
	assert_non_null(pc);
	struct pcap_pkthdr *h;
	const u_char *d;
	int n = 0;
	while (pcap_next_ex(pc, &h, &d) == 1) {
		assert_int_equal(h->caplen, 60);
		assert_int_equal(d[0], n + 1);
		assert_int_equal(h->ts.tv_usec, n * 1000);
		n++;
	}
	pcap_close(pc);
	assert_int_equal(n, 3);
	ct_recorder_free(r);
	assert_int_equal(ct_recorder_verify(pth("rec"), NULL, stderr), 0);
}

/* One ctitap per folder. */
static void test_lock(void **state)
{
	(void)state;
	struct ct_recorder *r = engine(NULL);
	struct ct_recorder_cfg cfg;
	ct_recorder_cfg_default(&cfg);
	cfg.dir = pth("rec");
	struct ct_recorder *r2 = NULL;
	char err[256] = "";
	assert_int_equal(ct_recorder_new(&cfg, &r2, err, sizeof(err)), CT_ELIMIT);
	assert_non_null(strstr(err, "in use"));
	ct_recorder_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_tones_alaw, setup, teardown),
		cmocka_unit_test_setup_teardown(test_loss_reorder_ssrc_jump, setup, teardown),
		cmocka_unit_test_setup_teardown(test_talkspurt_realign, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pause_silence, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pause_cut, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dtmf_cn, setup, teardown),
		cmocka_unit_test_setup_teardown(test_g722, setup, teardown),
		cmocka_unit_test_setup_teardown(test_opus, setup, teardown),
		cmocka_unit_test_setup_teardown(test_payload_pcap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_payload_pcap_unused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_payload_codec_name, setup, teardown),
		cmocka_unit_test_setup_teardown(test_endpoint_lookup, setup, teardown),
		cmocka_unit_test_setup_teardown(test_one_way, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostile_ids, setup, teardown),
		cmocka_unit_test_setup_teardown(test_planted_symlink, setup, teardown),
		cmocka_unit_test_setup_teardown(test_file_open, setup, teardown),
		cmocka_unit_test_setup_teardown(test_verify, setup, teardown),
		cmocka_unit_test_setup_teardown(test_signed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_encrypted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sigkill_repair, setup, teardown),
		cmocka_unit_test_setup_teardown(test_disk_guard, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retention, setup, teardown),
		cmocka_unit_test_setup_teardown(test_evidence_pcap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lock, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
