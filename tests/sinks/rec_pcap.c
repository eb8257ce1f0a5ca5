/* rec_pcap.c - test driver: records one call's RTP from a capture file, as the pipeline will:
 * frames read and decoded by the capture layer, RTP parsed by decoders/rtp, handed to the recorder by
 * endpoint lookup. test_recorder_tshark.py compares the WAV with the payloads tshark extracts.
 *
 * usage: rec_pcap FILE DIR FAR_IP FAR_PORT AGENT_IP AGENT_PORT
 * The recording opens at the first RTP packet from or to either endpoint and stops 20 ms
 * after the last. Prints "file PATH T0_US" (PATH relative to DIR). */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture/capture.h"
#include "capture/source.h"
#include "rec_test.h"

static struct t_log lg;
static struct ct_recorder *r;
static struct ct_rec *rec;
static struct ct_rec_ep far, agent;
static ct_time_t t0, last;

static int parse_ep(const char *ip, const char *port, struct ct_rec_ep *e)
{
	memset(e, 0, sizeof(*e));
	uint8_t v4[4];
	if (inet_pton(AF_INET, ip, v4) == 1) {
		e->addr.a[10] = e->addr.a[11] = 0xff;
		memcpy(e->addr.a + 12, v4, 4);
	} else if (inet_pton(AF_INET6, ip, e->addr.a) != 1) {
		return -1;
	}
	e->port = (uint16_t)strtoul(port, NULL, 10);
	return e->port ? 0 : -1;
}

static bool is_ep(const struct ct_addr *a, uint16_t port, const struct ct_rec_ep *e)
{
	return port == e->port && memcmp(a, &e->addr, sizeof(*a)) == 0;
}

static void on_udp(void *user, struct ct_capture *c, struct ct_flow *f, int dir, const struct ct_pkt *p)
{
	(void)user;
	(void)c;
	(void)f;
	(void)dir;
	bool ours = is_ep(&p->src, p->sport, &far) || is_ep(&p->src, p->sport, &agent) ||
		    is_ep(&p->dst, p->dport, &far) || is_ep(&p->dst, p->dport, &agent);
	if (!ours || ct_rtp_is_rtcp(p->data, p->dlen))
		return;
	struct ct_rtp_hdr h;
	if (ct_rtp_parse(p->data, p->dlen, &h) != CT_OK)
		return;
	if (!rec) {
		struct ct_rec_open o;
		memset(&o, 0, sizeof(o));
		o.call = "pcap-call";
		o.device = "agent";
		o.start = t0 = p->ts;
		o.far = far;
		o.agent = agent;
		ct_rec_ptmap_add(&o.pt, 8, "PCMA", 8000);
		ct_rec_ptmap_add(&o.pt, 0, "PCMU", 8000);
		ct_rec_ptmap_add(&o.pt, 101, "telephone-event", 8000);
		if (ct_recorder_open(r, &o, &rec, NULL) != CT_OK)
			exit(1);
	}
	ct_recorder_rtp(r, &p->src, p->sport, &p->dst, p->dport, &h, p->ts);
	ct_recorder_tick(r, p->ts);
	last = p->ts;
}

int main(int argc, char **argv)
{
	if (argc != 7 || parse_ep(argv[3], argv[4], &far) || parse_ep(argv[5], argv[6], &agent)) {
		fprintf(stderr, "usage: %s FILE DIR FAR_IP FAR_PORT AGENT_IP AGENT_PORT\n", argv[0]);
		return 2;
	}
	r = t_engine_new(argv[2], "rec-pcap", &lg);
	struct ct_source src;
	char err[256];
	if (ct_source_open_file(&src, argv[1], err, sizeof(err)) != CT_OK) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	struct ct_capture_cfg ccfg;
	ct_capture_cfg_default(&ccfg);
	ccfg.dedup = false;
	struct ct_hashkey key;
	ct_hashkey_fixed(&key, 1);
	static struct ct_counters ctr;
	static const struct ct_capture_ops ops = { .udp = on_udp };
	static struct ct_capture cap;
	if (ct_capture_init(&cap, &ccfg, &key, &ctr, &ops, NULL) != CT_OK)
		return 1;
	static atomic_int stop;
	int rc = ct_source_run(&src, &cap, &stop, NULL, NULL, err, sizeof(err));
	ct_source_close(&src);
	ct_capture_free(&cap);
	if (rc != CT_OK) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	if (!rec) {
		fprintf(stderr, "no RTP from or to those endpoints\n");
		return 1;
	}
	ct_rec_stop(rec, last + 20 * MS, "end_of_capture");
	ct_recorder_free(r);
	const struct t_ev *e = t_find(&lg, CT_REC_EV_FILE, 0);
	if (!e)
		return 1;
	printf("file %s %" PRIu64 "\n", e->path, (uint64_t)t0);
	for (int d = 0; d < 2; d++)
		printf("%s packets %" PRIu64 " lost %" PRId64 " ssrc_changes %u ts_jumps %u realigns %u late %" PRIu64 "\n",
		       d ? "agent" : "far", e->f.q[d].packets, e->f.q[d].lost, e->f.q[d].ssrc_changes, e->f.q[d].ts_jumps,
		       e->f.q[d].realigns, e->f.q[d].late);
	return 0;
}
