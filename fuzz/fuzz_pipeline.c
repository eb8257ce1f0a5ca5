/* fuzz_pipeline.c - libFuzzer target for the whole per-packet path as ctitap runs it:
 * capture, TCP detection (SIP, WebSocket, the CSTA framings), SIP/SDP/RTP, CSTA BER and XML,
 * the SIP call and CSTA link state, and record building: every record is checked against the
 * schema rules of record_check.h. With CTITAP_FUZZ_RECORD_DIR set (an existing folder) every
 * device is recorded there too, evidence pcaps included: the recorder's wiring (app/recwire.c)
 * on hostile SDP, endpoints and merges.
 * Input: the frames of fuzz/frames.h (byte 0 also picks sip.events_all with its top bit). */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

#include "app/config.h"
#include "app/pipeline.h"
#include "util/log.h"
#include "frames.h"
#include "record_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	ct_log_set_level(CT_LOG_ERR);
	static struct ct_config cfg;
	ct_config_init(&cfg);
	cfg.cap.flow_max = 64;
	cfg.cap.dedup_buckets = 256;
	cfg.cap.tcp_memcap = 1 << 20;
	cfg.sip.max_calls = 32;
	cfg.calls.max_calls = 32;
	cfg.agents_max = 16;
	cfg.sip.events_all = (data[0] & 0x80) != 0;
	const char *rec_dir = getenv("CTITAP_FUZZ_RECORD_DIR");
	if (rec_dir && rec_dir[0]) {
		char arg[600], err[256];
		snprintf(arg, sizeof(arg), "record.dir=%s", rec_dir);
		if (ct_config_set_arg(&cfg, arg, err, sizeof(err)) != CT_OK ||
		    ct_config_set_arg(&cfg, "record.devices=*", err, sizeof(err)) != CT_OK ||
		    ct_config_set_arg(&cfg, "record.pause_devices=2002,7000-7099", err, sizeof(err)) != CT_OK)
			abort();
		cfg.record_pcap = true;
		cfg.record_min_free_mb = 0;
		cfg.record_pcap_hold_kb = 64;
	}
	struct ct_counters ctr;
	memset(&ctr, 0, sizeof(ctr));
	struct ct_outputs out;
	memset(&out, 0, sizeof(out));
	out.ctr = &ctr;
	fuzz_check_outputs(&out);
	struct ct_hashkey key;
	ct_hashkey_fixed(&key, 7);
	static struct ct_pipeline p;
	char err[256];
	if (ct_pipeline_init(&p, &cfg, &key, &ctr, &out, err, sizeof(err)) != CT_OK)
		return 0;
	int link = fuzz_linktype(data[0] & 0x7f);
	fuzz_feed(&p.cap, link, data, size);
	ct_pipeline_free(&p);
	ct_config_free(&cfg);
	return 0;
}
