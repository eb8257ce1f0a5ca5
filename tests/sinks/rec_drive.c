/* rec_drive.c - test driver: records a scripted call with known audio into DIR, for the tests
 * that check the files with independent tools (test_recorder_sox.py).
 *
 * usage: rec_drive DIR alaw|ulaw|g722
 * The call lasts 4 s: far end 440 Hz, agent 1000 Hz, 20 ms packets sent on time; the far end
 * loses 1.00-1.20 s; the recording is paused 2.00-3.00 s (silence mode).
 * Prints "file PATH" (relative to DIR) and, for G.711, writes DIR/expected.bin: the bytes the
 * WAV's data chunk must hold, interleaved far/agent, built from what was sent. */
#include <stdint.h>
#include <spandsp/telephony.h>
#include <spandsp/g722.h>
#include <stdlib.h>

#include "rec_test.h"

static struct t_log lg;

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: %s DIR alaw|ulaw|g722\n", argv[0]);
		return 2;
	}
	bool g722 = strcmp(argv[2], "g722") == 0, alaw = strcmp(argv[2], "alaw") == 0;
	struct ct_recorder *r = t_engine_new(argv[1], "rec-drive", &lg);
	struct ct_rec_open o;
	memset(&o, 0, sizeof(o));
	o.call = g722 ? "drive-g722" : alaw ? "drive-alaw" : "drive-ulaw";
	o.device = "2001";
	o.start = T0;
	uint8_t pt = g722 ? 9 : alaw ? 8 : 0;
	ct_rec_ptmap_add(&o.pt, pt, g722 ? "G722" : alaw ? "PCMA" : "PCMU", 8000);
	struct ct_rec *rec;
	if (ct_recorder_open(r, &o, &rec, NULL) != CT_OK)
		return 1;
	static uint8_t expected[32000 * 2];
	uint8_t quiet = alaw ? 0xd5 : 0xff;
	memset(expected, quiet, sizeof(expected));
	g722_encode_state_t *enc[2] = { g722_encode_init(NULL, 64000, 0), g722_encode_init(NULL, 64000, 0) };
	const double f[2] = { 440, 1000 };
	for (unsigned k = 0; k < 200; k++) {
		ct_time_t at = T0 + k * 20 * MS;
		if (k == 100)
			ct_rec_pause(rec, at, "drive", NULL);
		if (k == 150)
			ct_rec_resume(rec, at, "drive", NULL);
		for (int d = 0; d < 2; d++) {
			uint8_t pl[160];
			if (g722) {
				int16_t x[320];
				for (int i = 0; i < 320; i++)
					x[i] = t_tone(f[d], k * 320 + (unsigned)i, 16000);
				g722_encode(enc[d], pl, x, 320);
			} else {
				t_g711(alaw, f[d], k * 160, pl);
			}
			if (d == 0 && k >= 50 && k < 60)
				continue; /* lost */
			t_feed(rec, d ? CT_REC_AGENT : CT_REC_FAR, pt, (uint16_t)k, k * 160, (uint32_t)(d + 1), pl, 160, at);
			if (k < 100 || k >= 150)
				for (int i = 0; i < 160; i++)
					expected[(k * 160 + (unsigned)i) * 2 + (unsigned)d] = pl[i];
		}
		ct_recorder_tick(r, at);
	}
	g722_encode_free(enc[0]);
	g722_encode_free(enc[1]);
	ct_rec_stop(rec, T0 + 4000 * MS, "cleared");
	ct_recorder_free(r);
	const struct t_ev *e = t_find(&lg, CT_REC_EV_FILE, 0);
	if (!e)
		return 1;
	printf("file %s\n", e->path);
	if (!g722) {
		char p[600];
		snprintf(p, sizeof(p), "%s/expected.bin", argv[1]);
		FILE *x = fopen(p, "wb");
		if (!x || fwrite(expected, 1, sizeof(expected), x) != sizeof(expected))
			return 1;
		fclose(x);
	}
	return 0;
}
