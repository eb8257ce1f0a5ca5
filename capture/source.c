/* source.c - libpcap sources: offline files in order, or one live interface. */
#include "source.h"

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../util/clock.h"
#include "../util/log.h"

#define SOURCE_IOBUF (1u << 20)
#define SOURCE_BATCH 256
#define SOURCE_DIRECT_BUF (256u << 10) /* the direct read's buffer: fits in L2 with the tables */

static int linktype_of(pcap_t *p)
{
	int dlt = pcap_datalink(p);
	/* pcap_datalink() gives DLT_ values, which differ from the file's LINKTYPE_ values
	 * for a few types on some platforms; map those we decode. */
	switch (dlt) {
	case DLT_NULL: return CT_LINK_NULL;
	case DLT_EN10MB: return CT_LINK_ETHERNET;
	case DLT_RAW: return CT_LINK_RAW;
#ifdef DLT_LOOP
	case DLT_LOOP: return CT_LINK_LOOP;
#endif
	case DLT_LINUX_SLL: return CT_LINK_LINUX_SLL;
#ifdef DLT_LINUX_SLL2
	case DLT_LINUX_SLL2: return CT_LINK_LINUX_SLL2;
#endif
#ifdef DLT_IPV4
	case DLT_IPV4: return CT_LINK_IPV4;
	case DLT_IPV6: return CT_LINK_IPV6;
#endif
	default: return dlt;
	}
}

/* A regular file in the plain pcap format, whose link type ctitap decodes, is read directly
 * (pcapfile.h) after libpcap has checked its header; anything else stays libpcap's. */
static void direct_open(struct ct_source *s)
{
	struct stat st;
	uint8_t hdr[CT_PCAPFILE_HDR];
	int fd = fileno(s->fp);
	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || pread(fd, hdr, sizeof(hdr), 0) != (ssize_t)sizeof(hdr))
		return;
	struct ct_cur c = ct_cur_make(hdr, sizeof(hdr));
	if (ct_pcapfile_header(&c, &s->fmt) != CT_OK || !ct_capture_linktype_ok(s->linktype))
		return;
	/* records longer than libpcap's snapshot (the file's, or its maximum when the file's is 0
	 * or too large) are libpcap's to cut or refuse */
	int snap = pcap_snapshot(s->pcap);
	if (snap <= 0)
		return;
	s->fmt.snaplen = (uint32_t)snap;
	/* the longest record taken, and no larger than the file: a record of a file that grew
	 * past it meanwhile and does not fit is left to libpcap */
	s->bufsize = CT_MAX((size_t)SOURCE_DIRECT_BUF, (size_t)snap + CT_PCAPFILE_REC);
	s->bufsize = CT_MAX(CT_MIN(s->bufsize, (size_t)st.st_size), (size_t)CT_PCAPFILE_REC);
	s->buf = malloc(s->bufsize);
	if (!s->buf)
		return;
	s->swapped = pcap_is_swapped(s->pcap) == 1;
	s->fd = fd;
	s->off = CT_PCAPFILE_HDR;
	s->direct = true;
}

void ct_source_use_libpcap(struct ct_source *s)
{
	s->direct = false;
}

int ct_source_open_file(struct ct_source *s, const char *path, char *err, size_t errlen)
{
	memset(s, 0, sizeof(*s));
	s->name = path;
	bool is_stdin = strcmp(path, "-") == 0;
	s->fp = is_stdin ? stdin : fopen(path, "rb");
	if (!s->fp) {
		int e = errno;
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(e));
		return e == ENOENT || e == ENOTDIR ? CT_ENOENT : e == EACCES || e == EPERM ? CT_EPERM : CT_EIO;
	}
	/* no larger than a regular file (small files are common: tests, a call's evidence) */
	struct stat st;
	size_t iobuf = SOURCE_IOBUF;
	bool stat_ok = fstat(fileno(s->fp), &st) == 0;
	if (stat_ok && S_ISREG(st.st_mode) && st.st_size >= 0)
		iobuf = CT_MAX(CT_MIN(iobuf, (size_t)st.st_size), (size_t)BUFSIZ);
	s->pipe = stat_ok && !S_ISREG(st.st_mode);
	s->iobuf = malloc(iobuf);
	if (s->iobuf)
		setvbuf(s->fp, s->iobuf, _IOFBF, iobuf);
	char perr[PCAP_ERRBUF_SIZE] = "";
	/* nanoseconds from libpcap, cut to microseconds here: live and offline round alike */
	s->pcap = pcap_fopen_offline_with_tstamp_precision(s->fp, PCAP_TSTAMP_PRECISION_NANO, perr);
	if (!s->pcap) {
		snprintf(err, errlen, "cannot read %s: %s", path, perr);
		if (!is_stdin)
			fclose(s->fp);
		s->fp = NULL;
		free(s->iobuf);
		s->iobuf = NULL;
		return CT_EFORMAT;
	}
	s->nano = true;
	s->linktype = linktype_of(s->pcap);
	if (!is_stdin)
		direct_open(s);
	if (!ct_capture_linktype_ok(s->linktype))
		ct_warn("%s: link type %s (%d) is not decoded; its frames are only counted", path,
			pcap_datalink_val_to_name(pcap_datalink(s->pcap)) ? pcap_datalink_val_to_name(pcap_datalink(s->pcap)) : "?",
			pcap_datalink(s->pcap));
	return CT_OK;
}

int ct_source_open_live(struct ct_source *s, const char *iface, const struct ct_live_cfg *cfg, char *err,
			size_t errlen)
{
	memset(s, 0, sizeof(*s));
	s->name = iface;
	s->live = true;
	char perr[PCAP_ERRBUF_SIZE] = "";
	s->pcap = pcap_create(iface, perr);
	if (!s->pcap) {
		snprintf(err, errlen, "cannot capture on %s: %s", iface, perr);
		return CT_EIO;
	}
	pcap_set_snaplen(s->pcap, (int)cfg->snaplen);
	pcap_set_promisc(s->pcap, cfg->promisc ? 1 : 0);
	pcap_set_buffer_size(s->pcap, (int)(cfg->buffer_mb << 20));
	pcap_set_immediate_mode(s->pcap, 0);
	pcap_set_timeout(s->pcap, 100);
	if (pcap_set_tstamp_precision(s->pcap, PCAP_TSTAMP_PRECISION_NANO) == 0)
		s->nano = true;
	int rc = pcap_activate(s->pcap);
	if (rc < 0) {
		const char *why = pcap_geterr(s->pcap);
		int ret;
		switch (rc) {
		case PCAP_ERROR_NO_SUCH_DEVICE:
			snprintf(err, errlen, "no such interface %s (%s)", iface, why);
			ret = CT_ENOENT;
			break;
		case PCAP_ERROR_PERM_DENIED:
		case PCAP_ERROR_PROMISC_PERM_DENIED:
			snprintf(err, errlen, "no permission to capture on %s (%s); run as root or grant CAP_NET_RAW",
				 iface, why);
			ret = CT_EPERM;
			break;
		default:
			snprintf(err, errlen, "cannot capture on %s: %s", iface, why);
			ret = CT_EIO;
		}
		pcap_close(s->pcap);
		s->pcap = NULL;
		return ret;
	}
	if (rc > 0)
		ct_warn("%s: %s", iface, pcap_statustostr(rc));
	s->linktype = linktype_of(s->pcap);
	return CT_OK;
}

int ct_source_set_filter(struct ct_source *s, const char *expr, char *err, size_t errlen)
{
	struct bpf_program prog;
	if (pcap_compile(s->pcap, &prog, expr, 1, PCAP_NETMASK_UNKNOWN) < 0) {
		snprintf(err, errlen, "bad filter '%s': %s", expr, pcap_geterr(s->pcap));
		return CT_EINVAL;
	}
	int rc = pcap_setfilter(s->pcap, &prog);
	if (rc < 0) {
		pcap_freecode(&prog);
		snprintf(err, errlen, "cannot set filter '%s': %s", expr, pcap_geterr(s->pcap));
		return CT_EINVAL;
	}
	if (s->have_prog)
		pcap_freecode(&s->prog);
	s->prog = prog; /* kept for the direct read (libpcap has its own copy) */
	s->have_prog = true;
	return CT_OK;
}

/* Whether stdio holds bytes of f not handed out yet (a read then does not wait): glibc's
 * FILE says; elsewhere assume not (a poll() then runs after every frame of a pipe). */
static bool stdio_buffered(FILE *f)
{
#ifdef __GLIBC__
	return f->_IO_read_ptr < f->_IO_read_end;
#else
	(void)f;
	return false;
#endif
}

/* A stop flag set by a signal handler or another thread. */
static inline bool stopped(const atomic_int *flag)
{
	return atomic_load_explicit(flag, memory_order_relaxed) != 0;
}

struct run_ctx {
	struct ct_source *s;
	ct_source_frame_fn fn;
	void *user;
	const atomic_int *stop;
	ct_source_tick_fn tick;
	void *tick_arg;
	uint64_t *last_tick;
	ct_time_t first_ts;  /* pacing: packet time and wall time (µs) of the first frame */
	uint64_t first_wall;
};

/* replay_speed: waits until the wall clock reaches the frame's time, in steps of at most
 * 20 ms so ticks (outputs, the monitoring endpoint) and a stop are served meanwhile. */
static void pace(struct run_ctx *r, ct_time_t ts)
{
	uint64_t now = ct_mono_us();
	if (!r->first_wall) {
		r->first_ts = ts;
		r->first_wall = now;
		return;
	}
	if (ts <= r->first_ts)
		return;
	uint64_t due = r->first_wall + (ts - r->first_ts) / r->s->replay_speed;
	while (now < due && !stopped(r->stop)) {
		uint64_t step = CT_MIN(due - now, 20000u);
		struct timespec t = { 0, (long)step * 1000 };
		nanosleep(&t, NULL);
		now = ct_mono_us();
		if (r->tick && now / 1000u - *r->last_tick >= 100) {
			r->tick(r->tick_arg);
			*r->last_tick = now / 1000u;
		}
	}
	if (stopped(r->stop))
		ct_source_break(r->s);
}

/* A frame at seconds `sec` (as libpcap gives them: the file's unsigned 32 bits read as signed)
 * and fraction `frac` (nanoseconds when nano, else microseconds) to the run's callback. */
static void frame_out(struct run_ctx *r, int64_t sec, uint64_t frac, bool nano, const uint8_t *bytes, uint32_t caplen,
		      uint32_t wirelen)
{
	/* The pcap format stores seconds as an unsigned 32-bit field, which libpcap reads as
	 * signed: times after 2038 come back negative. */
	if (sec < 0 && sec >= INT32_MIN)
		sec += (int64_t)1 << 32;
	ct_time_t us = nano ? (ct_time_t)frac / 1000u : (ct_time_t)frac;
	ct_time_t ts = sec < 0 ? 0 : (ct_time_t)sec * CT_USEC_PER_SEC + us;
	if (r->s->replay_speed && !r->s->live) {
		pace(r, ts);
		if (stopped(r->stop))
			return;
	}
	r->fn(r->user, r->s->linktype, ts, bytes, caplen, wirelen);
}

static void on_frame(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
	struct run_ctx *r = (struct run_ctx *)(void *)user;
	/* nanoseconds from libpcap, cut to microseconds here: live and offline round alike */
	frame_out(r, (int64_t)h->ts.tv_sec, (uint64_t)h->ts.tv_usec, r->s->nano, bytes, h->caplen, h->len);
	/* a pipe whose next read would wait: back to the loop for a tick first (the check of
	 * stdio's buffer is all the other frames cost) */
	if (r->s->pipe && r->tick && !stdio_buffered(r->s->fp)) {
		struct pollfd pfd = { fileno(r->s->fp), POLLIN, 0 };
		if (poll(&pfd, 1, 0) == 0) {
			r->s->drained = true;
			pcap_breakloop(r->s->pcap);
		}
	}
}

static void to_capture(void *user, int linktype, ct_time_t ts, const uint8_t *frame, uint32_t caplen,
		       uint32_t wirelen)
{
	ct_capture_frame(user, linktype, ts, frame, caplen, wirelen);
}

int ct_source_run(struct ct_source *s, struct ct_capture *c, const atomic_int *stop, ct_source_tick_fn tick,
		  void *tick_arg, char *err, size_t errlen)
{
	return ct_source_run_frames(s, to_capture, c, stop, tick, tick_arg, err, errlen);
}

/* pread() that retries when a signal cut it short: bytes read, 0 at the end, -1 on error. */
static ssize_t read_at(int fd, uint8_t *buf, size_t len, uint64_t off)
{
	ssize_t n;
	do
		n = pread(fd, buf, len, (off_t)off);
	while (n < 0 && errno == EINTR);
	return n;
}

enum direct_end { DIRECT_DONE, DIRECT_HANDOVER };

/* Reads records from s->off until the end of the file, a stop, or a record libpcap must read
 * (pcapfile.h): DIRECT_HANDOVER with s->off at that record. Ticks as the libpcap loop does. */
static enum direct_end direct_run(struct ct_source *s, struct run_ctx *r)
{
	uint64_t base = s->off; /* file offset of buf[0] */
	size_t len = 0, pos = 0;
	for (;;) {
		for (unsigned n = 0; n < SOURCE_BATCH;) {
			if (stopped(r->stop) || stopped(&s->brk))
				return DIRECT_DONE;
			struct ct_cur c = ct_cur_make(s->buf + pos, len - pos);
			struct ct_pcapfile_rec rec;
			int rc = ct_pcapfile_next(&s->fmt, &c, &rec);
			if (rc == CT_MORE) {
				/* the record goes on past the buffer: keep its start, read what follows (the
				 * buffer holds the longest record taken) */
				memmove(s->buf, s->buf + pos, len - pos);
				base += pos;
				len -= pos;
				pos = 0;
				ssize_t got = read_at(s->fd, s->buf + len, s->bufsize - len, base + len);
				if (got > 0) {
					len += (size_t)got;
					continue;
				}
				s->off = base;
				/* the end of the file between records; else a record cut short or a read
				 * error, which libpcap reports in its words */
				return got == 0 && len == 0 ? DIRECT_DONE : DIRECT_HANDOVER;
			}
			if (rc != CT_OK) {
				s->off = base + pos;
				return DIRECT_HANDOVER;
			}
			pos += c.pos;
			n++;
			if (s->have_prog) {
				struct pcap_pkthdr h = { .caplen = rec.caplen, .len = rec.wirelen };
				if (!pcap_offline_filter(&s->prog, &h, rec.data))
					continue;
			}
			/* as libpcap gives it at nanosecond precision: the fraction read as a signed 32-bit
			 * number in the host's byte order, unsigned when swapped (its SWAPLONG), a
			 * microsecond one times 1000; the seconds as signed (frame_out() takes them so) */
			int64_t frac = s->swapped ? (int64_t)rec.frac : (int64_t)(int32_t)rec.frac;
			frame_out(r, (int32_t)rec.sec, (uint64_t)(s->fmt.nano ? frac : frac * 1000), true, rec.data, rec.caplen,
				  rec.wirelen);
		}
		uint64_t now = ct_mono_ms();
		if (r->tick && now - *r->last_tick >= 100) {
			r->tick(r->tick_arg);
			*r->last_tick = now;
		}
	}
}

/* The reading thread asks libpcap (its handle is not to be used by two threads at once). */
static void drops_refresh(struct ct_source *s)
{
	struct pcap_stat st;
	if (s->live && s->pcap && pcap_stats(s->pcap, &st) == 0) {
		atomic_store_explicit(&s->drops_seen, st.ps_drop, memory_order_relaxed);
		atomic_store_explicit(&s->ifdrops_seen, st.ps_ifdrop, memory_order_relaxed);
	}
}

int ct_source_run_frames(struct ct_source *s, ct_source_frame_fn fn, void *user, const atomic_int *stop,
			 ct_source_tick_fn tick, void *tick_arg, char *err, size_t errlen)
{
	uint64_t last_tick = ct_mono_ms();
	struct run_ctx r = { s, fn, user, stop, tick, tick_arg, &last_tick, 0, 0 };
	if (s->direct) {
		if (direct_run(s, &r) == DIRECT_DONE)
			return CT_OK;
		s->direct = false;
		if (fseeko(s->fp, (off_t)s->off, SEEK_SET) != 0) {
			snprintf(err, errlen, "%s: cannot seek to byte %llu: %s", s->name, (unsigned long long)s->off,
				 strerror(errno));
			return CT_EFORMAT;
		}
	}
	/* live: non-blocking reads and our own poll, so ticks (and the signals' flags) are served
	 * every 100 ms even without traffic (a TPACKET_V3 read waits for a packet whatever the
	 * timeout); a signal cuts the poll short */
	char perr[PCAP_ERRBUF_SIZE];
	int fd = s->live ? pcap_get_selectable_fd(s->pcap) : -1;
	if (fd >= 0 && pcap_setnonblock(s->pcap, 1, perr) != 0)
		fd = -1;
	while (!stopped(stop)) {
		int n = pcap_dispatch(s->pcap, SOURCE_BATCH, on_frame, (u_char *)&r);
		if (n == PCAP_ERROR_BREAK && s->drained) {
			/* a pipe with nothing more for now (on_frame): what was read goes on
			 * (capture.workers hands its batch over) before a read that waits */
			s->drained = false;
			if (tick)
				tick(tick_arg);
			last_tick = ct_mono_ms();
			continue;
		}
		if (n == 0 && fd >= 0) {
			struct pollfd pfd = { fd, POLLIN, 0 };
			poll(&pfd, 1, 100);
		}
		uint64_t now = ct_mono_ms();
		if (now - last_tick >= 100) {
			drops_refresh(s);
			if (tick)
				tick(tick_arg);
			last_tick = now;
		}
		if (n == PCAP_ERROR_BREAK)
			break;
		if (n < 0 && (stopped(stop) || stopped(&s->brk)))
			break; /* a read of a pipe that the stop's signal interrupted (EINTR): the input ends */
		if (n < 0) {
			snprintf(err, errlen, "%s: %s", s->name, pcap_geterr(s->pcap));
			drops_refresh(s);
			return CT_EFORMAT;
		}
		if (n == 0 && !s->live)
			break; /* end of file */
	}
	drops_refresh(s);
	return CT_OK;
}

void ct_source_break(struct ct_source *s)
{
	atomic_store_explicit(&s->brk, 1, memory_order_relaxed);
	if (s->pcap)
		pcap_breakloop(s->pcap);
}

void ct_source_drops(const struct ct_source *s, struct ct_counters *ctr)
{
	ctr->pcap_drop += atomic_load_explicit(&s->drops_seen, memory_order_relaxed);
	ctr->pcap_ifdrop += atomic_load_explicit(&s->ifdrops_seen, memory_order_relaxed);
}


void ct_source_close(struct ct_source *s)
{
	if (s->pcap)
		pcap_close(s->pcap); /* also closes the FILE of an offline source */
	else if (s->fp && s->fp != stdin)
		fclose(s->fp);
	free(s->iobuf);
	free(s->buf);
	if (s->have_prog)
		pcap_freecode(&s->prog);
	memset(s, 0, sizeof(*s));
}
