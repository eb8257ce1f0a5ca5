/* fuzz_pipeline.c - libFuzzer target for the whole per-packet path as ctitap runs it:
 * capture, TCP detection (SIP, WebSocket, the CSTA framings), SIP/SDP/RTP, CSTA BER and XML,
 * the SIP call and CSTA link state, and record building (into no output).
 * Input: the same layout as fuzz_capture.c: byte 0 picks the link type, then frames, each
 * a 2-byte big-endian length, a 1-byte time step (units of 64 ms) and the bytes. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "app/config.h"
#include "app/pipeline.h"
#include "util/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int links[] = { CT_LINK_ETHERNET, CT_LINK_LINUX_SLL, CT_LINK_LINUX_SLL2, CT_LINK_RAW,
				     CT_LINK_NULL, CT_LINK_LOOP, CT_LINK_IPV4, CT_LINK_IPV6 };
	if (size < 1)
		return 0;
	ct_log_set_level(CT_LOG_ERR);
	static struct ct_config cfg;
	ct_config_init(&cfg);
	cfg.cap.flow_max = 64;
	cfg.cap.dedup_buckets = 256;
	cfg.cap.tcp_memcap = 1 << 20;
	cfg.sip.max_calls = 32;
	cfg.sip.events_all = (data[0] & 0x80) != 0;
	struct ct_counters ctr;
	memset(&ctr, 0, sizeof(ctr));
	struct ct_outputs out;
	memset(&out, 0, sizeof(out));
	out.ctr = &ctr;
	struct ct_hashkey key;
	ct_hashkey_fixed(&key, 7);
	static struct ct_pipeline p;
	if (ct_pipeline_init(&p, &cfg, &key, &ctr, &out) != CT_OK)
		return 0;
	int link = links[(data[0] & 0x7f) % (sizeof(links) / sizeof(links[0]))];
	ct_time_t ts = 1000000;
	size_t off = 1;
	while (off + 3 <= size) {
		size_t len = ((size_t)data[off] << 8) | data[off + 1];
		ts += (ct_time_t)data[off + 2] * 64000u;
		off += 3;
		if (len > size - off)
			len = size - off;
		ct_capture_frame(&p.cap, link, ts, data + off, (uint32_t)len, (uint32_t)len);
		off += len;
	}
	ct_pipeline_free(&p);
	ct_config_free(&cfg);
	return 0;
}
