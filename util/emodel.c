/* emodel.c - E-model rating and MOS (ITU-T G.107 and G.107.1; formulas in emodel.h). */
#include "emodel.h"

#include <math.h>
#include <stddef.h>

#include "slice.h"

#define RO_NB 93.2  /* G.107: Ro - Is + A at the default parameter values */
#define RO_WB 129.0 /* G.107.1 */

/* Codec figures. Where they come from (the search tool reached secondary sources that quote
 * the ITU tables, not the Recommendations' text; the figures below are the ones those sources
 * agree on, and the ones marked provisional are ours):
 *  - G.711: Ie = 0 (G.113 Appendix I, Table I.1). Bpl = 25.1 for G.711 with the packet-loss
 *    concealment of G.711 Appendix I (G.113 Appendix I, Table I.3; 4.3 without concealment).
 *    Phones conceal losses, so the with-concealment figure is the one the listener hears.
 *  - G.729: Ie = 11, Bpl = 19.0 (G.113 Appendix I, Tables I.1 and I.3, the G.729A + VAD row;
 *    G.729A is what is deployed under the G729 name).
 *  - G.722 at 64 kbit/s: Ie,wb = 13 (G.113 Appendix IV, Table IV.1, handset listening), on the
 *    wideband scale. G.113 gives Bpl,wb for AMR-WB modes only (Table IV.4); for G.722 with the
 *    concealment of G.722 Appendix III we take G.711's 25.1: provisional.
 *  - Opus: G.113 gives no figure we could find. Scored as wideband with G.722's figures
 *    (Opus in voice mode at 24 kbit/s and up is rated at least as good as G.722 in
 *    listening tests, and it conceals losses itself): provisional.
 * `published` says which; a reader of a provisional MOS is told (sinks/recorder.h). */
static const struct ct_emodel_codec codecs[] = {
	{ "PCMU", 0.0, 25.1, false, true },
	{ "PCMA", 0.0, 25.1, false, true },
	{ "G729", 11.0, 19.0, false, true },
	{ "G722", 13.0, 25.1, true, false },
	{ "opus", 13.0, 25.1, true, false },
};

const struct ct_emodel_codec *ct_emodel_codec(const char *name)
{
	if (!name)
		return NULL;
	struct ct_slice n = ct_slice_cstr(name);
	for (size_t i = 0; i < sizeof(codecs) / sizeof(codecs[0]); i++)
		if (ct_slice_ieq(n, codecs[i].name))
			return &codecs[i];
	return NULL;
}

double ct_emodel_id(double ta_ms)
{
	if (!(ta_ms > 0.0)) /* negative and NaN: no delay */
		return 0.0;
	double id = 0.024 * ta_ms;
	if (ta_ms > 177.3)
		id += 0.11 * (ta_ms - 177.3);
	return id;
}

double ct_emodel_ie_eff(double ie, double bpl, double ppl, double burst_r)
{
	if (!(ppl > 0.0)) /* no loss (NaN too): the codec's own impairment */
		return ie;
	if (ppl > 100.0)
		ppl = 100.0;
	if (!(burst_r >= 1.0))
		burst_r = 1.0;
	if (!(bpl > 0.0))
		bpl = 1.0; /* a non-positive robustness would divide by zero or invert the term */
	return ie + (95.0 - ie) * ppl / (ppl / burst_r + bpl);
}

double ct_emodel_r(const struct ct_emodel_in *in)
{
	double ro = in->wideband ? RO_WB : RO_NB;
	double r = ro - ct_emodel_id(in->ta_ms) - ct_emodel_ie_eff(in->ie, in->bpl, in->ppl, in->burst_r);
	if (!(r > 0.0))
		return 0.0;
	return r > ro ? ro : r;
}

double ct_emodel_mos(double r, bool wideband)
{
	double x = wideband ? r / 1.29 : r;
	if (!(x > 0.0))
		return 1.0;
	if (x >= 100.0)
		return 4.5;
	return 1.0 + 0.035 * x + x * (x - 60.0) * (100.0 - x) * 7e-6;
}

double ct_emodel_burst_r(uint64_t received, uint64_t lost, uint64_t bursts)
{
	if (lost == 0 || received == 0 || bursts == 0)
		return 1.0;
	double p = (double)bursts / (double)received;
	double q = (double)bursts / (double)lost;
	if (p > 1.0)
		p = 1.0;
	if (q > 1.0)
		q = 1.0;
	double b = 1.0 / (p + q);
	return b < 1.0 ? 1.0 : b;
}
