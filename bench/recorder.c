/* recorder.c - bench-recorder: N concurrent recordings of 20 ms G.711 RTP in both directions,
 * fed through the endpoint lookup as the pipeline will, as fast as the machine goes.
 *
 * usage: bench-recorder [-n RECORDINGS] [-s SECONDS] [-d DIR] [-k]
 *   -n  concurrent recordings (default 1000)   -s  seconds of call time (default 60)
 *   -d  folder to record into (default a new one under /var/tmp; removed unless -k)
 * Prints the memory per recording (RSS growth over opening them all, and libsndfile's and the
 * ring's share), the CPU time per packet, the sustained disk write rate and how many times real
 * time that is, and the time to finish (hash, fsync, rename) every file at the end. */
#define _GNU_SOURCE
#include <ftw.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "sinks/recorder.h"
#include "tests/sinks/rec_test.h" /* the G.711 encoder and tone of the tests */
#include "util/clock.h"

static uint64_t files, file_bytes;

/* Every allocation of the process is counted, so the packet loop's share can be printed: the
 * recorder's promise is none. */
#include "alloc_count.h"

static void on_event(void *user, const struct ct_rec_event *ev)
{
	(void)user;
	if (ev->kind == CT_REC_EV_FILE) {
		files++;
		file_bytes += ev->file->bytes;
	} else if (ev->kind == CT_REC_EV_STOPPED) {
		fprintf(stderr, "bench-recorder: the engine stopped %s: %s\n", ev->call, ev->reason);
	}
}

static long rss_kb(const char *field)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long v = -1;
	size_t n = strlen(field);
	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, field, n) == 0)
			v = strtol(line + n + 1, NULL, 10);
	if (f)
		fclose(f);
	return v;
}

static double cpu_s(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
	       ru.ru_stime.tv_usec / 1e6;
}

static int rm_cb(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(p);
}

static void ep_of(struct ct_rec_ep *e, uint32_t ip, uint16_t port)
{
	memset(e, 0, sizeof(*e));
	e->addr.a[10] = e->addr.a[11] = 0xff;
	e->addr.a[12] = (uint8_t)(ip >> 24);
	e->addr.a[13] = (uint8_t)(ip >> 16);
	e->addr.a[14] = (uint8_t)(ip >> 8);
	e->addr.a[15] = (uint8_t)ip;
	e->port = port;
}

int main(int argc, char **argv)
{
	unsigned n = 1000, secs = 60;
	const char *dir = NULL;
	bool keep = false;
	int opt;
	while ((opt = getopt(argc, argv, "n:s:d:k")) != -1) {
		if (opt == 'n')
			n = (unsigned)strtoul(optarg, NULL, 10);
		else if (opt == 's')
			secs = (unsigned)strtoul(optarg, NULL, 10);
		else if (opt == 'd')
			dir = optarg;
		else if (opt == 'k')
			keep = true;
		else
			return 2;
	}
	char tmpdir[128];
	if (!dir) {
		snprintf(tmpdir, sizeof(tmpdir), "/var/tmp/ctitap-bench-rec-XXXXXX");
		if (!mkdtemp(tmpdir))
			return 1;
		dir = tmpdir;
	}
	/* one file descriptor per recording */
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < n + 64) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	struct ct_recorder_cfg cfg;
	ct_recorder_cfg_default(&cfg);
	cfg.dir = dir;
	cfg.sensor = "bench";
	cfg.max_active = n;
	cfg.on_event = on_event;
	struct ct_recorder *r;
	char err[256] = "";
	if (ct_recorder_new(&cfg, &r, err, sizeof(err)) != CT_OK) {
		fprintf(stderr, "bench-recorder: %s\n", err);
		return 1;
	}
	/* one second of a tone, as 50 payloads, reused */
	static uint8_t tone[50][160];
	for (int k = 0; k < 50; k++)
		for (int i = 0; i < 160; i++)
			tone[k][i] = t_alaw(t_tone(440, (uint64_t)(k * 160 + i), 8000));
	struct ct_rec **rec = calloc(n, sizeof(*rec));
	struct ct_rec_ep *far = calloc(n, sizeof(*far)), *agent = calloc(n, sizeof(*agent));
	if (!rec || !far || !agent)
		return 1;
	ct_time_t t0 = 1767603600ULL * 1000000ULL;
	long rss0 = rss_kb("VmRSS:");
	for (unsigned i = 0; i < n; i++) {
		struct ct_rec_open o;
		memset(&o, 0, sizeof(o));
		char call[32], dev[16];
		snprintf(call, sizeof(call), "bench-%06u", i);
		snprintf(dev, sizeof(dev), "%u", 20000 + i);
		o.call = call;
		o.device = dev;
		o.start = t0;
		ep_of(&far[i], 0x0a010000u + i, 10000);
		ep_of(&agent[i], 0x0a020000u + i, 20000);
		o.far = far[i];
		o.agent = agent[i];
		ct_rec_ptmap_add(&o.pt, 8, "PCMA", 8000);
		ct_rec_ptmap_add(&o.pt, 101, "telephone-event", 8000);
		if (ct_recorder_open(r, &o, &rec[i], NULL) != CT_OK) {
			fprintf(stderr, "bench-recorder: recording %u refused (ulimit -n?)\n", i);
			return 1;
		}
	}
	long rss1 = rss_kb("VmRSS:");
	uint8_t pkt[12 + 160];
	uint64_t packets = 0;
	double c0 = cpu_s();
	uint64_t w0 = ct_mono_us();
	uint64_t a0 = ct_bench_allocs;
	unsigned rounds = secs * 50;
	for (unsigned k = 0; k < rounds; k++) {
		ct_time_t at = t0 + (ct_time_t)k * 20000;
		for (unsigned i = 0; i < n; i++) {
			for (int d = 0; d < 2; d++) {
				uint32_t ts = k * 160, ssrc = i * 2 + (unsigned)d;
				uint8_t hdr[12] = { 0x80, 8, (uint8_t)(k >> 8), (uint8_t)k, (uint8_t)(ts >> 24), (uint8_t)(ts >> 16),
						    (uint8_t)(ts >> 8), (uint8_t)ts, (uint8_t)(ssrc >> 24), (uint8_t)(ssrc >> 16),
						    (uint8_t)(ssrc >> 8), (uint8_t)ssrc };
				memcpy(pkt, hdr, 12);
				memcpy(pkt + 12, tone[k % 50], 160);
				struct ct_rtp_hdr h;
				if (ct_rtp_parse(pkt, sizeof(pkt), &h) != CT_OK)
					return 1;
				const struct ct_rec_ep *s = d ? &agent[i] : &far[i], *t = d ? &far[i] : &agent[i];
				ct_recorder_rtp(r, &s->addr, s->port, &t->addr, t->port, &h, at + (ct_time_t)i % 1000);
				packets++;
			}
		}
		ct_recorder_tick(r, at + 1000);
	}
	uint64_t a1 = ct_bench_allocs;
	double c1 = cpu_s();
	uint64_t w1 = ct_mono_us();
	long hwm = rss_kb("VmHWM:");
	for (unsigned i = 0; i < n; i++)
		ct_rec_stop(rec[i], t0 + (ct_time_t)rounds * 20000, "cleared");
	ct_recorder_drain(r);
	double c2 = cpu_s();
	uint64_t w2 = ct_mono_us();
	const struct ct_recorder_stats *st = ct_recorder_stats(r);
	double wall = (double)(w1 - w0) / 1e6, cpu = c1 - c0;
	double audio_bytes = (double)n * secs * 16000; /* stereo A-law: 16 kB per second of call */
	printf("bench-recorder: %u concurrent recordings, %u s of 20 ms G.711 A-law each way, into %s\n", n, secs, dir);
	printf("  memory:  %.1f KiB per recording (RSS %ld -> %ld KiB opening them; peak %ld KiB)\n",
	       (double)(rss1 - rss0) / n, rss0, rss1, hwm);
	printf("  packets: %" PRIu64 " in %.2f s wall, %.2f s CPU: %.2f us CPU per packet, %.0f packets/s\n", packets, wall,
	       cpu, cpu * 1e6 / (double)packets, (double)packets / wall);
	if (CT_BENCH_COUNTING)
		printf("  allocations in the packet loop (packets and ticks): %" PRIu64 " (%" PRIu64 " before it)\n", a1 - a0, a0);
	printf("  disk:    %.1f MB of audio written at %.1f MB/s (real time needs %.1f MB/s: %.0fx)\n", audio_bytes / 1e6,
	       audio_bytes / 1e6 / wall, n * 16000 / 1e6, audio_bytes / 1e6 / wall / (n * 16000 / 1e6));
	printf("  finish:  %" PRIu64 " files (%.1f MB) hashed, synced and renamed in %.2f s wall, %.2f s CPU\n", files,
	       (double)file_bytes / 1e6, (double)(w2 - w1) / 1e6, c2 - c1);
	printf("  counters: rtp_packets %" PRIu64 " late %" PRIu64 " chain_entries %" PRIu64 "\n", st->rtp_packets,
	       st->rtp_late, st->chain_entries);
	ct_recorder_free(r);
	free(rec);
	free(far);
	free(agent);
	if (!keep && dir == tmpdir)
		nftw(dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	return files == n ? 0 : 1;
}
