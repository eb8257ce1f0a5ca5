/* fuzz_recorder.c - libFuzzer target for the recorder: arbitrary RTP packet sequences (and
 * pauses, resumes, media changes, ticks, time going back) fed into an open recording, then
 * stopped, finished and verified. Every run uses a fresh engine on a fresh folder, so runs do
 * not depend on each other.
 *
 * Input: byte 0 picks the codec map (low 3 bits: PCMA, PCMU, G722, opus, G729, PCMA+opus,
 * PCMU+G722, empty), bit 3 cut mode, bit 4 encryption, bit 5 signing. Then operations, each
 * one byte: 0-3 a packet (bit 0 the direction, bit 1 by endpoint lookup) followed by a time
 * step in ms, a length and that many bytes of RTP; 4 pause; 5 resume; 6 tick; 7 new media;
 * 8 time goes back a second; others nothing. */
#define _GNU_SOURCE
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sinks/recorder.h"
#include "util/cursor.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char base[128], dir[160], pub[160], sk[160];

static int rm_cb(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(p);
}

static void cleanup(void)
{
	if (base[0])
		nftw(base, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

static void once(void)
{
	if (base[0])
		return;
	/* on tmpfs when there is one: the engine fsyncs every file it finishes */
	snprintf(base, sizeof(base), "%s/ctitap-fuzz-rec-XXXXXX", access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
	if (!mkdtemp(base))
		abort();
	atexit(cleanup);
	char prefix[160];
	FILE *null = fopen("/dev/null", "w");
	snprintf(prefix, sizeof(prefix), "%s/box", base);
	ct_recorder_keygen("box", prefix, null);
	snprintf(prefix, sizeof(prefix), "%s/sign", base);
	ct_recorder_keygen("sign", prefix, null);
	fclose(null);
	snprintf(pub, sizeof(pub), "%s/box.pub", base);
	snprintf(sk, sizeof(sk), "%s/sign.key", base);
	snprintf(dir, sizeof(dir), "%s/rec", base);
}

static void ptmap(struct ct_rec_ptmap *m, unsigned v)
{
	static const struct {
		const char *a, *b;
		uint8_t pa, pb;
		uint32_t ca, cb;
	} maps[8] = {
		{ "PCMA", NULL, 8, 0, 8000, 0 },    { "PCMU", NULL, 0, 0, 8000, 0 },
		{ "G722", NULL, 9, 0, 8000, 0 },    { "opus", NULL, 111, 0, 48000, 0 },
		{ "G729", NULL, 18, 0, 8000, 0 },   { "PCMA", "opus", 8, 111, 8000, 48000 },
		{ "PCMU", "G722", 0, 9, 8000, 8000 }, { NULL, NULL, 0, 0, 0, 0 },
	};
	memset(m, 0, sizeof(*m));
	if (maps[v & 7].a)
		ct_rec_ptmap_add(m, maps[v & 7].pa, maps[v & 7].a, maps[v & 7].ca);
	if (maps[v & 7].b)
		ct_rec_ptmap_add(m, maps[v & 7].pb, maps[v & 7].b, maps[v & 7].cb);
	ct_rec_ptmap_add(m, 101, "telephone-event", 8000);
	ct_rec_ptmap_add(m, 13, "CN", 8000);
}

static void ep(struct ct_rec_ep *e, uint8_t last, uint16_t port)
{
	memset(e, 0, sizeof(*e));
	e->addr.a[10] = e->addr.a[11] = 0xff;
	e->addr.a[12] = 10;
	e->addr.a[15] = last;
	e->port = port;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	once();
	struct ct_cur c = ct_cur_make(data, size);
	uint8_t cfgb = ct_cur_u8(&c);
	if (c.err)
		return 0;
	struct ct_recorder_cfg cfg;
	ct_recorder_cfg_default(&cfg);
	cfg.dir = dir;
	cfg.sensor = "fuzz";
	cfg.pause_mode = (cfgb & 8) ? CT_REC_PAUSE_CUT : CT_REC_PAUSE_SILENCE;
	cfg.encrypt_to = (cfgb & 16) ? pub : NULL;
	cfg.sign_key = (cfgb & 32) ? sk : NULL;
	cfg.silence_s = 1;
	struct ct_recorder *r = NULL;
	char err[256] = "";
	if (ct_recorder_new(&cfg, &r, err, sizeof(err)) != CT_OK) {
		fprintf(stderr, "fuzz_recorder: %s\n", err);
		abort();
	}
	ct_time_t now = 1767603600ULL * 1000000ULL;
	struct ct_rec_open o;
	memset(&o, 0, sizeof(o));
	o.call = "fuzz-call";
	o.device = "2001";
	o.start = now;
	ep(&o.far, 1, 10000);
	ep(&o.agent, 2, 20000);
	ptmap(&o.pt, cfgb);
	struct ct_rec *rec = NULL;
	if (ct_recorder_open(r, &o, &rec, NULL) != CT_OK)
		abort();
	while (ct_cur_avail(&c)) {
		uint8_t op = ct_cur_u8(&c);
		if (op < 4) {
			now += (ct_time_t)ct_cur_u8(&c) * 1000;
			uint8_t len = ct_cur_u8(&c);
			size_t n = len < ct_cur_avail(&c) ? len : ct_cur_avail(&c);
			uint8_t *pkt = malloc(n ? n : 1); /* exact size: ASan sees reads past the packet */
			if (!pkt)
				break;
			const uint8_t *src = ct_cur_take(&c, n);
			if (src && n)
				memcpy(pkt, src, n);
			struct ct_rtp_hdr h;
			if (ct_rtp_parse(pkt, n, &h) == CT_OK) {
				if (op & 2)
					ct_recorder_rtp(r, (op & 1) ? &o.agent.addr : &o.far.addr, (op & 1) ? 20000 : 10000,
							(op & 1) ? &o.far.addr : &o.agent.addr, (op & 1) ? 10000 : 20000, &h, now);
				else
					ct_rec_rtp(rec, (op & 1) ? CT_REC_AGENT : CT_REC_FAR, &h, now);
			}
			free(pkt);
		} else if (op == 4) {
			ct_rec_pause(rec, now, "fuzz", NULL);
		} else if (op == 5) {
			ct_rec_resume(rec, now, "fuzz", NULL);
		} else if (op == 6) {
			now += 100000;
			ct_recorder_tick(r, now);
		} else if (op == 7) {
			struct ct_rec_ptmap m;
			ptmap(&m, ct_cur_u8(&c));
			struct ct_rec_ep far;
			ep(&far, 3, 30000);
			ct_rec_set_media(rec, &far, NULL, &m);
		} else if (op == 8) {
			now -= 1000000;
		}
	}
	ct_rec_stop(rec, now, "fuzz");
	ct_recorder_drain(r);
	ct_recorder_free(r);
	FILE *null = fopen("/dev/null", "w");
	int rc = ct_recorder_verify(dir, NULL, null);
	fclose(null);
	if (rc != 0)
		abort(); /* what the engine wrote must verify */
	nftw(dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}
