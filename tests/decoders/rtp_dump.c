/* rtp_dump.c - test driver: per-stream RTP statistics of a capture, as ctitap computes them,
 * in a form test_rtp_tshark.py compares with `tshark -z rtp,streams`.
 *
 * usage: rtp_dump FILE STREAM...   STREAM = src,sport,dst,dport,ssrc[,dtmf_pt]
 * prints one line per STREAM: src sport dst dport ssrc packets lost max_jitter_ms mean_jitter_ms
 * Frames go through the real capture path (ct_capture_frame); the udp callback picks the RTP
 * of the listed streams (version 2, not RTCP by RFC 5761 demux) and updates their stats. */
#include <arpa/inet.h>
#include <inttypes.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture/capture.h"
#include "decoders/rtp.h"

#define MAX_STREAMS 64

struct want {
	struct ct_addr src, dst;
	uint16_t sport, dport;
	uint32_t ssrc;
	char text[160];
	struct ct_rtp_stream st;
};

static struct want wants[MAX_STREAMS];
static int nwants;

static int parse_addr(const char *s, struct ct_addr *a)
{
	memset(a, 0, sizeof(*a));
	uint8_t v4[4];
	if (inet_pton(AF_INET, s, v4) == 1) {
		a->a[10] = a->a[11] = 0xff;
		memcpy(a->a + 12, v4, 4);
		return 0;
	}
	return inet_pton(AF_INET6, s, a->a) == 1 ? 0 : -1;
}

static int parse_stream(const char *arg, struct want *w)
{
	char buf[160], src[64], dst[64];
	unsigned sport, dport, dtmf = 0;
	unsigned long ssrc;
	snprintf(buf, sizeof(buf), "%s", arg);
	for (char *c = buf; *c; c++)
		if (*c == ',')
			*c = ' ';
	int n = sscanf(buf, "%63s %u %63s %u %lx %u", src, &sport, dst, &dport, &ssrc, &dtmf);
	if (n < 5 || parse_addr(src, &w->src) || parse_addr(dst, &w->dst) || sport > 65535 || dport > 65535 ||
	    dtmf > 127)
		return -1;
	w->sport = (uint16_t)sport;
	w->dport = (uint16_t)dport;
	w->ssrc = (uint32_t)ssrc;
	snprintf(w->text, sizeof(w->text), "%s %u %s %u 0x%08lX", src, sport, dst, dport, ssrc);
	ct_rtp_stream_init(&w->st, 8000, (uint8_t)dtmf, 0);
	return 0;
}

static void on_udp(void *user, struct ct_capture *c, struct ct_flow *f, int dir, const struct ct_pkt *p)
{
	(void)user;
	(void)c;
	(void)f;
	(void)dir;
	if (ct_rtp_is_rtcp(p->data, p->dlen))
		return;
	struct ct_rtp_hdr h;
	if (ct_rtp_parse(p->data, p->dlen, &h) != CT_OK)
		return;
	for (int i = 0; i < nwants; i++) {
		struct want *w = &wants[i];
		if (w->ssrc == h.ssrc && w->sport == p->sport && w->dport == p->dport &&
		    memcmp(&w->src, &p->src, sizeof(w->src)) == 0 && memcmp(&w->dst, &p->dst, sizeof(w->dst)) == 0)
			ct_rtp_stream_update(&w->st, &h, p->ts);
	}
}

static int linktype_of(int dlt)
{
	switch (dlt) {
	case DLT_NULL: return CT_LINK_NULL;
	case DLT_EN10MB: return CT_LINK_ETHERNET;
	case DLT_RAW: return CT_LINK_RAW;
	case DLT_LINUX_SLL: return CT_LINK_LINUX_SLL;
	default: return dlt;
	}
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: %s FILE src,sport,dst,dport,ssrc[,dtmf_pt]...\n", argv[0]);
		return 2;
	}
	for (int i = 2; i < argc && nwants < MAX_STREAMS; i++) {
		if (parse_stream(argv[i], &wants[nwants]) != 0) {
			fprintf(stderr, "bad stream: %s\n", argv[i]);
			return 2;
		}
		nwants++;
	}
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *pc = pcap_open_offline_with_tstamp_precision(argv[1], PCAP_TSTAMP_PRECISION_NANO, err);
	if (!pc) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	struct ct_capture_cfg cfg;
	ct_capture_cfg_default(&cfg);
	cfg.dedup = false; /* tshark counts every frame; so must the comparison */
	struct ct_hashkey key;
	ct_hashkey_fixed(&key, 1);
	static struct ct_counters ctr;
	static const struct ct_capture_ops ops = { .udp = on_udp };
	static struct ct_capture cap;
	if (ct_capture_init(&cap, &cfg, &key, &ctr, &ops, NULL) != CT_OK) {
		fprintf(stderr, "capture init failed\n");
		return 1;
	}
	int link = linktype_of(pcap_datalink(pc));
	struct pcap_pkthdr *ph;
	const u_char *data;
	while (pcap_next_ex(pc, &ph, &data) == 1) {
		ct_time_t ts = (ct_time_t)ph->ts.tv_sec * CT_USEC_PER_SEC + (ct_time_t)ph->ts.tv_usec / 1000;
		ct_capture_frame(&cap, link, ts, data, ph->caplen, ph->len);
	}
	pcap_close(pc);
	ct_capture_free(&cap);
	for (int i = 0; i < nwants; i++) {
		const struct ct_rtp_stream *s = &wants[i].st;
		printf("%s %" PRIu64 " %" PRId64 " %.3f %.3f\n", wants[i].text, s->packets, ct_rtp_stream_lost(s), s->jitter_ms_max,
		       s->jitter_ms_mean);
	}
	return 0;
}
