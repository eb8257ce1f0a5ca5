/* fuzz_rtp.c - libFuzzer target for RTP/RTCP: header parse, RFC 5761 demux, RTCP compound
 * walk, and stream accounting over a sequence of packets.
 *
 * Input: byte 0 picks the stream's dynamic PTs (low nibble + 96 = telephone-event, high
 * nibble + 96 = CN); then packets, each a 1-byte length, a 1-byte arrival step (ms, so jitter
 * sees late and early packets) and the bytes. Every packet goes to both parsers. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "decoders/rtp.h"
#include "util/cursor.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ct_cur c = ct_cur_make(data, size);
	uint8_t cfg = ct_cur_u8(&c);
	if (c.err)
		return 0;
	struct ct_rtp_stream s;
	ct_rtp_stream_init(&s, 8000, (uint8_t)(96 + (cfg & 0x0f)), (uint8_t)(96 + (cfg >> 4)));
	s.codec_pt = 111;
	ct_time_t now = 1700000000000000ULL;
	while (ct_cur_avail(&c) >= 2) {
		uint8_t len = ct_cur_u8(&c);
		now += (ct_time_t)ct_cur_u8(&c) * 1000;
		size_t n = len < ct_cur_avail(&c) ? len : ct_cur_avail(&c);
		/* an exact-size copy, so ASan sees any read past the packet */
		uint8_t *pkt = malloc(n ? n : 1);
		if (!pkt)
			return 0;
		memcpy(pkt, ct_cur_take(&c, n), n);
		struct ct_rtcp_info ri;
		(void)ct_rtcp_parse(pkt, n, &ri);
		struct ct_rtp_hdr h;
		if (!ct_rtp_is_rtcp(pkt, n) && ct_rtp_parse(pkt, n, &h) == CT_OK) {
			volatile uint8_t sink = 0;
			for (size_t i = 0; i < h.plen; i++)
				sink ^= h.payload[i];
			(void)sink;
			ct_rtp_stream_update(&s, &h, now);
		}
		free(pkt);
	}
	return 0;
}
