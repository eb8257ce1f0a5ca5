/* emodel.h - the E-model transmission rating (ITU-T G.107, simplified; G.107.1 for wideband)
 * and its MOS, from what a passive tap measures: packet loss, its burstiness, and a delay.
 *
 * Pure functions, no state: correlator/media.c can score an RTP stream with them as well as
 * the recorder (sinks/recorder.c) does. They live in util/ because both layers use them and
 * they know nothing of packets.
 *
 *   R      = Ro - Id - Ie,eff            (G.107 eq. 7-1 with Is = 0 and A = 0)
 *   Ie,eff = Ie + (95 - Ie) * Ppl / (Ppl / BurstR + Bpl)            (G.107 eq. 7-29)
 *   MOS    = 1 + 0.035 R + R (R - 60)(100 - R) 7e-6, 1 below 0, 4.5 above 100 (G.107 B-4)
 *
 * Narrowband: Ro = 93.2, the value of G.107's default parameter set (R = 93.2 for G.711
 * without impairments). Wideband (G.107.1): Ro = 129 and MOS = MOS(R / 1.29) (G.107.1
 * Annex A); the constant 95 in Ie,eff is kept as G.107.1 writes it. The two scales must not be
 * mixed: a wideband R of 116 is the same quality as a narrowband 90.
 *
 * Id is not G.107's full delay model (it needs the echo path, which a tap cannot see) but the
 * widely used reduction of it for default echo parameters (Cole and Rosenbluth, "Voice over
 * IP performance monitoring", ACM SIGCOMM CCR 2001): Id = 0.024 Ta + 0.11 (Ta - 177.3) H(Ta -
 * 177.3), Ta the mouth-to-ear delay in ms.
 *
 * Memory: ct_emodel_codec() returns a pointer into a static table (never freed, never to
 * be freed); the name passed in is read during the call only.
 */
#ifndef CT_EMODEL_H
#define CT_EMODEL_H

#include <stdbool.h>
#include <stdint.h>

/* A codec's impairment figures. */
struct ct_emodel_codec {
	const char *name;   /* rtpmap encoding name, compared case-insensitively */
	double ie;          /* equipment impairment factor (Ie, or Ie,wb when wideband) */
	double bpl;         /* packet-loss robustness factor */
	bool wideband;      /* scored on the G.107.1 scale */
	bool published;     /* both figures are ITU-T planning values; false: provisional (see emodel.c) */
};

/* The figures of a codec named as in SDP ("PCMU", "PCMA", "G729", "G722", "opus"), or NULL. */
const struct ct_emodel_codec *ct_emodel_codec(const char *name);

struct ct_emodel_in {
	double ie, bpl;     /* from ct_emodel_codec() or given */
	bool wideband;
	double ppl;         /* packet loss, percent (0..100), network loss plus jitter-buffer discards */
	double burst_r;     /* burst ratio, 1 for random loss (see ct_emodel_burst_r) */
	double ta_ms;       /* mouth-to-ear delay, ms */
};

/* Delay impairment Id for a mouth-to-ear delay in ms (the reduction named above). */
double ct_emodel_id(double ta_ms);
/* Ie,eff (G.107 eq. 7-29); ppl clamped to 0..100, burst_r below 1 taken as 1. */
double ct_emodel_ie_eff(double ie, double bpl, double ppl, double burst_r);
/* The rating R on the narrowband (0..100) or wideband (0..129) scale, clamped to it. */
double ct_emodel_r(const struct ct_emodel_in *in);
/* MOS (1..4.5) of a rating on its scale. */
double ct_emodel_mos(double r, bool wideband);
/* Burst ratio from a stream's counts (G.107 Appendix I: BurstR = 1 / (p + q) for a
 * two-state Markov loss model, p = P(loss | last received), q = P(received | last lost)),
 * estimated as p = bursts / received and q = bursts / lost; 1 when nothing was lost. */
double ct_emodel_burst_r(uint64_t received, uint64_t lost, uint64_t bursts);

#endif
