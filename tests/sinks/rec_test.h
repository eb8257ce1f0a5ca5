/* rec_test.h - what the recorder's tests and drivers share: crafted RTP with known audio
 * (tones encoded by a G.711 encoder written here, independently of the engine's), an event
 * log, WAV reading through libsndfile, and a Goertzel detector. */
#ifndef CT_REC_TEST_H
#define CT_REC_TEST_H

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decoders/rtp.h"
#include "sinks/recorder.h"

#define T0 (1767603600ULL * 1000000ULL) /* 2026-01-05T09:00:00Z */
#define MS 1000ULL
#define AMP 8000.0

/* G.711 u-law by its formula: bias 132, exponent = position of the top bit, 4 mantissa bits. */
static inline uint8_t t_ulaw(int16_t x)
{
	int sign = x < 0 ? 0x80 : 0;
	int mag = x < 0 ? -(int)x : x;
	if (mag > 32635)
		mag = 32635;
	mag += 132;
	int exp = 7;
	while (exp > 0 && !(mag & (0x80 << exp)))
		exp--;
	int mant = (mag >> (exp + 3)) & 0x0f;
	return (uint8_t)~(sign | exp << 4 | mant);
}

/* G.711 A-law by its formula: 13-bit magnitude, segment from the top bit, even bits inverted. */
static inline uint8_t t_alaw(int16_t x)
{
	int sign = x >= 0 ? 0x80 : 0;
	int mag = (x >= 0 ? x : -(int)x - 1) >> 3;
	if (mag > 4095)
		mag = 4095;
	int exp = 0, mant;
	if (mag >= 32) {
		exp = 1;
		while (exp < 7 && mag >= (32 << exp))
			exp++;
		mant = (mag >> exp) & 0x0f;
	} else {
		mant = mag >> 1;
	}
	return (uint8_t)((sign | exp << 4 | mant) ^ 0x55);
}

static inline int16_t t_tone(double freq, uint64_t n, unsigned rate)
{
	return (int16_t)lrint(AMP * sin(2.0 * M_PI * freq * (double)n / rate));
}

/* 160 samples (20 ms at 8 kHz) of a tone from sample n0, encoded; freq 0: silence. */
static inline void t_g711(bool alaw, double freq, uint64_t n0, uint8_t out[160])
{
	for (int i = 0; i < 160; i++) {
		int16_t x = freq > 0 ? t_tone(freq, n0 + (uint64_t)i, 8000) : 0;
		out[i] = alaw ? t_alaw(x) : t_ulaw(x);
	}
}

/* A 12-byte RTP header and the payload, parsed as the pipeline would. */
static inline bool t_rtp(uint8_t *buf, struct ct_rtp_hdr *h, uint8_t pt, bool marker, uint16_t seq, uint32_t ts,
			 uint32_t ssrc, const uint8_t *pl, size_t n)
{
	const uint8_t hdr[12] = { 0x80, (uint8_t)(pt | (marker ? 0x80 : 0)), (uint8_t)(seq >> 8), (uint8_t)seq,
				  (uint8_t)(ts >> 24), (uint8_t)(ts >> 16), (uint8_t)(ts >> 8), (uint8_t)ts,
				  (uint8_t)(ssrc >> 24), (uint8_t)(ssrc >> 16), (uint8_t)(ssrc >> 8), (uint8_t)ssrc };
	memcpy(buf, hdr, 12);
	memcpy(buf + 12, pl, n);
	return ct_rtp_parse(buf, 12 + n, h) == CT_OK;
}

static inline void t_feed(struct ct_rec *rec, enum ct_rec_dir dir, uint8_t pt, uint16_t seq, uint32_t ts, uint32_t ssrc,
			  const uint8_t *pl, size_t n, ct_time_t at)
{
	uint8_t buf[12 + 1500];
	struct ct_rtp_hdr h;
	if (t_rtp(buf, &h, pt, false, seq, ts, ssrc, pl, n))
		ct_rec_rtp(rec, dir, &h, at);
}

/* Goertzel: the amplitude of frequency f in x[0..n) (a pure tone of amplitude A gives ~A). */
static inline double t_goertzel(const int16_t *x, size_t n, size_t stride, double f, unsigned rate)
{
	double w = 2.0 * M_PI * f / rate, c = 2.0 * cos(w), s1 = 0, s2 = 0;
	for (size_t i = 0; i < n; i++) {
		double s0 = x[i * stride] + c * s1 - s2;
		s2 = s1;
		s1 = s0;
	}
	double p = s1 * s1 + s2 * s2 - c * s1 * s2;
	return 2.0 * sqrt(p > 0 ? p : 0) / (double)n;
}

static inline int t_peak(const int16_t *x, size_t n, size_t stride)
{
	int m = 0;
	for (size_t i = 0; i < n; i++) {
		int v = abs(x[i * stride]);
		if (v > m)
			m = v;
	}
	return m;
}

/* ---- events ---- */

#define T_MAX_EV 64

struct t_ev {
	enum ct_rec_event_kind kind;
	struct ct_rec_file f;            /* strings re-pointed at the copies below */
	char path[200], call[80], device[80], format[16], codec[16], reason[32];
	struct ct_rec_chain chain;
	enum ct_rec_finding finding;
	enum ct_rec_dir dir;
	bool active, no_packets;
	uint64_t files, duration_ms;
};

struct t_log {
	struct t_ev ev[T_MAX_EV];
	unsigned n;
};

static inline void t_cpy(char *dst, size_t cap, const char *s)
{
	snprintf(dst, cap, "%s", s ? s : "");
}

static inline void t_on_event(void *user, const struct ct_rec_event *ev)
{
	struct t_log *l = user;
	if (l->n >= T_MAX_EV)
		return;
	struct t_ev *e = &l->ev[l->n++];
	memset(e, 0, sizeof(*e));
	e->kind = ev->kind;
	if (ev->file) {
		e->f = *ev->file;
		t_cpy(e->path, sizeof(e->path), ev->file->path);
		t_cpy(e->format, sizeof(e->format), ev->file->format);
		t_cpy(e->codec, sizeof(e->codec), ev->file->codec);
		e->f.path = e->path;
		e->f.format = e->format;
		e->f.codec = e->codec;
	}
	const struct ct_rec_file *f = ev->file;
	t_cpy(e->call, sizeof(e->call), ev->call ? ev->call : f ? f->call : NULL);
	t_cpy(e->device, sizeof(e->device), ev->device ? ev->device : f ? f->device : NULL);
	t_cpy(e->reason, sizeof(e->reason), ev->reason ? ev->reason : f ? f->reason : NULL);
	if (f) {
		e->f.call = e->call;
		e->f.device = f->device ? e->device : NULL;
		e->f.reason = f->reason ? e->reason : NULL;
	}
	if (ev->chain)
		e->chain = *ev->chain;
	e->finding = ev->finding;
	e->dir = ev->dir;
	e->active = ev->active;
	e->no_packets = ev->no_packets;
	e->files = ev->files;
	e->duration_ms = ev->duration_ms;
}

/* An engine on dir whose events go to l, for the drivers; exits on failure. */
static inline struct ct_recorder *t_engine_new(const char *dir, const char *sensor, struct t_log *l)
{
	struct ct_recorder_cfg cfg;
	ct_recorder_cfg_default(&cfg);
	cfg.dir = dir;
	cfg.sensor = sensor;
	cfg.on_event = t_on_event;
	cfg.user = l;
	struct ct_recorder *r = NULL;
	char err[256] = "";
	if (ct_recorder_new(&cfg, &r, err, sizeof(err)) != CT_OK) {
		fprintf(stderr, "%s: %s\n", sensor, err);
		exit(1);
	}
	return r;
}

static inline const struct t_ev *t_find(const struct t_log *l, enum ct_rec_event_kind k, unsigned nth)
{
	for (unsigned i = 0; i < l->n; i++)
		if (l->ev[i].kind == k && nth-- == 0)
			return &l->ev[i];
	return NULL;
}

#endif
