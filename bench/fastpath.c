/* bench-fastpath - proves that ctitap's per-packet RTP path allocates nothing and formats
 * nothing: link layer, IP, SPAN dedup, UDP, the flow table and RTP/RTCP accounting.
 *
 * Usage: bench-fastpath [-X key=value ...] FILE
 *
 * Reads FILE with libpcap and feeds every frame to a real pipeline (app/pipeline.h, outputs
 * off), counting the calls of malloc, calloc, realloc and of the printf family this program
 * interposes (the project's libraries are linked in statically, so their calls come here;
 * libc's own internal calls do not). A frame is on the fast path when it added one RTP or RTCP
 * packet (or an invalid one on an RTP flow) to a flow that existed before, created no flow,
 * did not start a new tick of the capture clock (CT_CLOCK_TICK, 100 ms: the timers run then:
 * calls end, records are written) and expired no flow (the clock it moved passed a flow's
 * timeout: that flow's RTP streams are written as records, timer work as well). Prints the frames of each kind with the allocations and
 * printf calls made while they were handled, and exits 1 if any fast-path frame allocated or
 * printed.
 * Not for a sanitizer build (the sanitizers interpose malloc themselves).
 */
#include <dlfcn.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

#include "app/config.h"
#include "app/pipeline.h"

#include "alloc_count.h"

static uint64_t n_printf;

/* The printf family as the project's code calls it (with _FORTIFY_SOURCE, the _chk forms):
 * counted, then done by libc's v-form. */
typedef int (*vsnprintf_fn)(char *, size_t, const char *, va_list);
typedef int (*vfprintf_fn)(FILE *, const char *, va_list);

static int fwd_vsnprintf(char *s, size_t n, const char *fmt, va_list ap)
{
	static vsnprintf_fn real;
	if (!real)
		*(void **)&real = dlsym(RTLD_NEXT, "vsnprintf");
	return real(s, n, fmt, ap);
}

static int fwd_vfprintf(FILE *f, const char *fmt, va_list ap)
{
	static vfprintf_fn real;
	if (!real)
		*(void **)&real = dlsym(RTLD_NEXT, "vfprintf");
	return real(f, fmt, ap);
}

int vsnprintf(char *s, size_t n, const char *fmt, va_list ap);
int snprintf(char *s, size_t n, const char *fmt, ...);
int __vsnprintf_chk(char *s, size_t n, int flag, size_t slen, const char *fmt, va_list ap);
int __snprintf_chk(char *s, size_t n, int flag, size_t slen, const char *fmt, ...);
int vfprintf(FILE *f, const char *fmt, va_list ap);
int fprintf(FILE *f, const char *fmt, ...);
int __vfprintf_chk(FILE *f, int flag, const char *fmt, va_list ap);
int __fprintf_chk(FILE *f, int flag, const char *fmt, ...);

int vsnprintf(char *s, size_t n, const char *fmt, va_list ap)
{
	n_printf++;
	return fwd_vsnprintf(s, n, fmt, ap);
}
int snprintf(char *s, size_t n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	n_printf++;
	int r = fwd_vsnprintf(s, n, fmt, ap);
	va_end(ap);
	return r;
}
int __vsnprintf_chk(char *s, size_t n, int flag, size_t slen, const char *fmt, va_list ap)
{
	(void)flag, (void)slen;
	n_printf++;
	return fwd_vsnprintf(s, n, fmt, ap);
}
int __snprintf_chk(char *s, size_t n, int flag, size_t slen, const char *fmt, ...)
{
	(void)flag, (void)slen;
	va_list ap;
	va_start(ap, fmt);
	n_printf++;
	int r = fwd_vsnprintf(s, n, fmt, ap);
	va_end(ap);
	return r;
}
int vfprintf(FILE *f, const char *fmt, va_list ap)
{
	n_printf++;
	return fwd_vfprintf(f, fmt, ap);
}
int fprintf(FILE *f, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	n_printf++;
	int r = fwd_vfprintf(f, fmt, ap);
	va_end(ap);
	return r;
}
int __vfprintf_chk(FILE *f, int flag, const char *fmt, va_list ap)
{
	(void)flag;
	n_printf++;
	return fwd_vfprintf(f, fmt, ap);
}
int __fprintf_chk(FILE *f, int flag, const char *fmt, ...)
{
	(void)flag;
	va_list ap;
	va_start(ap, fmt);
	n_printf++;
	int r = fwd_vfprintf(f, fmt, ap);
	va_end(ap);
	return r;
}

struct kind {
	const char *name;
	uint64_t frames, allocs, printfs;
};

int main(int argc, char **argv)
{
	if (!CT_BENCH_COUNTING) {
		fprintf(stderr, "bench-fastpath: a sanitizer build counts no allocations: nothing to prove\n");
		return 77;
	}
	static struct ct_config cfg;
	ct_config_init(&cfg);
	int i = 1;
	char err[512];
	for (; i + 1 < argc && strcmp(argv[i], "-X") == 0; i += 2)
		if (ct_config_set_arg(&cfg, argv[i + 1], err, sizeof(err)) != CT_OK) {
			fprintf(stderr, "bench-fastpath: %s\n", err);
			return 2;
		}
	if (i + 1 != argc) {
		fprintf(stderr, "usage: bench-fastpath [-X key=value ...] FILE\n");
		return 2;
	}
	char perr[PCAP_ERRBUF_SIZE];
	pcap_t *pc = pcap_open_offline(argv[i], perr);
	if (!pc) {
		fprintf(stderr, "bench-fastpath: %s\n", perr);
		return 1;
	}
	struct ct_hashkey key;
	ct_hashkey_fixed(&key, 1);
	static struct ct_counters ctr;
	static struct ct_pipeline pipe;
	err[0] = '\0';
	if (ct_pipeline_init(&pipe, &cfg, &key, &ctr, NULL, err, sizeof(err)) != CT_OK) {
		fprintf(stderr, "bench-fastpath: %s\n", err[0] ? err : "out of memory");
		return 1;
	}
	int linktype = pcap_datalink(pc);
	struct kind fast = { "RTP/RTCP on a known flow (fast path)", 0, 0, 0 };
	struct kind other = { "every other frame", 0, 0, 0 };
	struct pcap_pkthdr *h;
	const u_char *data;
	int rc;
	while ((rc = pcap_next_ex(pc, &h, &data)) == 1) {
		ct_time_t ts = (ct_time_t)h->ts.tv_sec * CT_USEC_PER_SEC + (ct_time_t)h->ts.tv_usec;
		uint64_t rtp0 = ctr.rtp_packets + ctr.rtcp_packets + ctr.rtp_bad, flows0 = ctr.flows;
		uint64_t rflows0 = ctr.rtp_flows, a0 = ct_bench_allocs, p0 = n_printf, expired0 = ctr.flows_expired;
		ct_time_t tick0 = pipe.cap.now / CT_CLOCK_TICK;
		ct_capture_frame(&pipe.cap, linktype, ts, data, h->caplen, h->len);
		bool is_fast = ctr.rtp_packets + ctr.rtcp_packets + ctr.rtp_bad == rtp0 + 1 && ctr.flows == flows0 &&
			       ctr.rtp_flows == rflows0 && pipe.cap.now / CT_CLOCK_TICK == tick0 &&
			       ctr.flows_expired == expired0;
		struct kind *k = is_fast ? &fast : &other;
		k->frames++;
		k->allocs += ct_bench_allocs - a0;
		k->printfs += n_printf - p0;
	}
	if (rc == PCAP_ERROR)
		fprintf(stderr, "bench-fastpath: %s\n", pcap_geterr(pc));
	pcap_close(pc);
	ct_pipeline_free(&pipe);
	printf("%s: %" PRIu64 " frames, %" PRIu64 " SIP messages, %" PRIu64 " RTP and %" PRIu64 " RTCP packets\n", argv[i],
	       ctr.packets, ctr.sip_messages, ctr.rtp_packets, ctr.rtcp_packets);
	ct_config_free(&cfg);
	const struct kind *ks[] = { &fast, &other };
	for (size_t n = 0; n < 2; n++)
		printf("%-40s %10" PRIu64 " frames, %8" PRIu64 " allocations, %8" PRIu64 " printf calls\n", ks[n]->name,
		       ks[n]->frames, ks[n]->allocs, ks[n]->printfs);
	if (!fast.frames) {
		printf("no fast-path frame in %s: nothing proved\n", argv[i]);
		return 1;
	}
	return fast.allocs || fast.printfs ? 1 : 0;
}
