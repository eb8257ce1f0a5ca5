/* fuzz_capture.c - libFuzzer target for the whole capture path: link layers, tunnels,
 * IPv4/IPv6, defrag, dedup, flows and TCP reassembly (with a stream parser that demands
 * more data, so reassembly buffers are exercised too).
 *
 * Input: the frames of fuzz/frames.h. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "capture/capture.h"
#include "util/log.h"
#include "frames.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int fz_parse(void *st, int dir, const uint8_t *d, size_t len, ct_time_t ts, size_t *consumed)
{
	(void)st;
	(void)dir;
	(void)ts;
	/* consume up to the last '\n', like a line-based protocol; error on a NUL */
	size_t n = 0;
	for (size_t i = 0; i < len; i++) {
		if (d[i] == 0) {
			*consumed = i;
			return CT_EINVAL;
		}
		if (d[i] == '\n')
			n = i + 1;
	}
	*consumed = n;
	return n < len ? CT_MORE : CT_OK;
}

static void fz_gap(void *st, int dir, uint32_t bytes)
{
	(void)st;
	(void)dir;
	(void)bytes;
}

static void fz_close(void *st)
{
	(void)st;
}

static const struct ct_stream_parser fz_parser = { "fuzz", fz_parse, fz_gap, fz_close, NULL };

static const struct ct_stream_parser *fz_classify(void *user, struct ct_flow *f, const struct ct_pkt *p, void **st)
{
	(void)user;
	(void)f;
	(void)p;
	*st = NULL;
	return &fz_parser;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	ct_log_set_level(CT_LOG_ERR);
	int link = fuzz_linktype(data[0]);
	struct ct_capture_cfg cfg;
	ct_capture_cfg_default(&cfg);
	cfg.flow_max = 64;
	cfg.dedup_buckets = 256;
	cfg.defrag_max = 8;
	cfg.defrag_memcap = 1 << 18;
	cfg.tcp_memcap = 1 << 18;
	cfg.tcp_flow_memcap = 1 << 12;
	struct ct_counters ctr;
	memset(&ctr, 0, sizeof(ctr));
	struct ct_hashkey key;
	ct_hashkey_fixed(&key, 1);
	static const struct ct_capture_ops ops = { .tcp_classify = fz_classify };
	struct ct_capture c;
	if (ct_capture_init(&c, &cfg, &key, &ctr, &ops, NULL) != CT_OK)
		return 0;
	fuzz_feed(&c, link, data, size);
	ct_capture_free(&c);
	return 0;
}
