/* fuzz_sdp.c - libFuzzer target for the SDP parser: the input is one body. Every accessor runs
 * over what was parsed, so slices pointing outside the body show up under ASan. */
#include <stddef.h>
#include <stdint.h>

#include "decoders/sdp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ct_sdp s;
	if (ct_sdp_parse(data, size, &s) != CT_OK)
		return 0;
	volatile size_t sink = s.origin_user.len + s.session_id.len + s.session_version.len;
	if (s.nmedia > CT_SDP_MAX_MEDIA)
		__builtin_trap();
	for (unsigned i = 0; i < s.nmedia; i++) {
		const struct ct_sdp_media *m = &s.media[i];
		if (m->nfmt > CT_SDP_MAX_FMT || m->nrtpmap > CT_SDP_MAX_FMT)
			__builtin_trap();
		sink += (size_t)ct_sdp_media_effective_dir(m) + m->type.len + m->proto.len;
		for (unsigned k = 0; k < m->nfmt; k++) {
			uint32_t clock;
			struct ct_slice c = ct_sdp_codec(m, m->fmt[k], &clock);
			for (size_t b = 0; b < c.len; b++)
				sink += c.p[b]; /* read every byte of the slice */
		}
		for (unsigned k = 0; k < m->nrtpmap; k++)
			for (size_t b = 0; b < m->rtpmap[k].encoding.len; b++)
				sink += m->rtpmap[k].encoding.p[b];
	}
	(void)sink;
	return 0;
}
