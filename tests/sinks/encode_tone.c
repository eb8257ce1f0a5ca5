/* encode_tone.c - test tool: a sine encoded as G.722 (libspandsp) or Opus (libopus) RTP
 * payloads, for the capture generator (pcaps/gen/tones.py) that has no encoder of its own.
 *
 * usage: encode_tone g722|opus FREQ AMPLITUDE FIRST COUNT [FROM:TO ...]
 * Writes COUNT payloads of 20 ms each, frames FIRST to FIRST + COUNT - 1, to stdout, each a
 * 2-byte big-endian length and the payload. Frame k holds samples k*20 ms .. (k+1)*20 ms of one
 * sine of FREQ Hz and AMPLITUDE (of 32767) that runs on in phase from frame 0; frames in a
 * [FROM, TO) range are digital silence (the sine's phase still advances, as a sender's clock
 * does). A new source (an SSRC change) is a new encoder: a run from its first frame.
 *   g722: 64 kbit/s mode 1 (RFC 3551 4.5.2: 16 kHz audio, 160 bytes a frame);
 *   opus: 48 kHz mono input, OPUS_APPLICATION_VOIP at 32 kbit/s (RFC 7587 payloads).
 * One encoder runs through every frame, so its state is a sender's: the caller leaves out of
 * the capture the frames a sender would not send or the network lost. */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <opus/opus.h>
#include <spandsp/telephony.h>
#include <spandsp/g722.h>

#define ENC_MAX_RANGES 16
#define ENC_MAX_FRAMES 100000 /* 2000 s: a bound on a test's input, not a codec limit */
#define ENC_OPUS_MAX 1275     /* RFC 6716 3.2.1: the largest frame */

struct enc_range {
	long from, to;
};

static bool enc_long(const char *s, long lo, long hi, long *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || (*end != '\0' && *end != ':') || v < lo || v > hi)
		return false;
	*out = v;
	return true;
}

static bool enc_quiet(const struct enc_range *r, int n, long k)
{
	for (int i = 0; i < n; i++)
		if (k >= r[i].from && k < r[i].to)
			return true;
	return false;
}

static bool enc_put(const uint8_t *p, size_t len)
{
	uint8_t h[2] = { (uint8_t)(len >> 8), (uint8_t)len };
	return fwrite(h, 1, 2, stdout) == 2 && fwrite(p, 1, len, stdout) == len;
}

int main(int argc, char **argv)
{
	long freq, amp, first, count;
	if (argc < 6 || (strcmp(argv[1], "g722") != 0 && strcmp(argv[1], "opus") != 0) ||
	    !enc_long(argv[2], 1, 23999, &freq) || !enc_long(argv[3], 0, 32767, &amp) ||
	    !enc_long(argv[4], 0, ENC_MAX_FRAMES, &first) || !enc_long(argv[5], 1, ENC_MAX_FRAMES, &count) ||
	    argc - 6 > ENC_MAX_RANGES) {
		fprintf(stderr, "usage: %s g722|opus FREQ AMPLITUDE FIRST COUNT [FROM:TO ...] (at most %d ranges)\n",
			argv[0], ENC_MAX_RANGES);
		return 2;
	}
	struct enc_range quiet[ENC_MAX_RANGES];
	int nq = argc - 6;
	for (int i = 0; i < nq; i++) {
		const char *arg = argv[6 + i], *colon = strchr(arg, ':');
		if (!colon || !enc_long(arg, 0, ENC_MAX_FRAMES, &quiet[i].from) ||
		    !enc_long(colon + 1, 0, ENC_MAX_FRAMES, &quiet[i].to)) {
			fprintf(stderr, "%s: bad range '%s' (FROM:TO, frame numbers)\n", argv[0], arg);
			return 2;
		}
	}
	bool g722 = strcmp(argv[1], "g722") == 0;
	int rate = g722 ? 16000 : 48000, n = rate / 50;
	g722_encode_state_t *ge = NULL;
	OpusEncoder *oe = NULL;
	int err = OPUS_OK;
	if (g722)
		ge = g722_encode_init(NULL, 64000, 0);
	else if ((oe = opus_encoder_create(48000, 1, OPUS_APPLICATION_VOIP, &err)) != NULL)
		err = opus_encoder_ctl(oe, OPUS_SET_BITRATE(32000));
	if ((g722 && !ge) || (!g722 && (!oe || err != OPUS_OK))) {
		fprintf(stderr, "%s: cannot start the %s encoder (%s)\n", argv[0], argv[1],
			g722 ? "spandsp" : opus_strerror(err));
		return 1;
	}
	int rc = 0;
	int16_t x[960];
	uint8_t out[ENC_OPUS_MAX];
	for (long k = first; k < first + count && rc == 0; k++) {
		bool q = enc_quiet(quiet, nq, k);
		for (int i = 0; i < n; i++) {
			double t = (double)(k * n + i) / rate;
			x[i] = q ? 0 : (int16_t)lrint((double)amp * sin(2 * 3.14159265358979323846 * (double)freq * t));
		}
		int len = g722 ? g722_encode(ge, out, x, n) : opus_encode(oe, x, n, out, (opus_int32)sizeof(out));
		if (len <= 0 || !enc_put(out, (size_t)len)) {
			fprintf(stderr, "%s: frame %ld: %s\n", argv[0], k, len <= 0 ? "the encoder failed" : "write failed");
			rc = 1;
		}
	}
	if (ge)
		g722_encode_free(ge);
	if (oe)
		opus_encoder_destroy(oe);
	if (fflush(stdout) != 0)
		rc = 1;
	return rc;
}
