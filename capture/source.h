/* source.h - where frames come from: capture files (pcap, pcapng, stdin) or a live
 * interface, through libpcap. A regular file in the classic pcap format is read by ctitap
 * itself (capture/pcapfile.h: no copy per packet) up to the first record it leaves to libpcap;
 * libpcap reads everything else, through a 1 MiB stdio buffer (measured 2.5x faster per packet
 * than its default 4 KiB reads). */
#ifndef CT_SOURCE_H
#define CT_SOURCE_H

#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>

#include <pcap/pcap.h>

#include "capture.h"
#include "pcapfile.h"

struct ct_live_cfg {
	unsigned snaplen;
	unsigned buffer_mb;
	bool promisc;
};

struct ct_source {
	pcap_t *pcap;
	FILE *fp;
	char *iobuf;
	int linktype;     /* LINKTYPE_* */
	bool live;
	bool pipe;        /* a file that is not a regular one (stdin from a pipe, a FIFO): a read may wait */
	bool drained;     /* a pipe had nothing more for now: the dispatch was broken off for a tick */
	bool nano;        /* timestamps come in nanoseconds */
	const char *name; /* borrowed from the caller */
	unsigned replay_speed; /* files: 0 as fast as possible, N times the recorded speed (set after open) */
	/* a regular pcap file read directly (pcapfile.h) from `off` on, until a record libpcap must
	 * read: then the FILE is moved there and libpcap goes on */
	bool direct;
	int fd;
	struct ct_pcapfile_fmt fmt;
	bool swapped;          /* the file's byte order is not the host's */
	uint8_t *buf;          /* the records being read, owned */
	size_t bufsize;
	uint64_t off;          /* file offset of the next record */
	bool have_prog;        /* a filter: libpcap's compiled program, applied to direct records */
	struct bpf_program prog;
	atomic_int brk;        /* ct_source_break() for the direct read (from a signal handler, any thread) */
	/* a live source's drops as the reading thread last asked libpcap (every tick and at the
	 * end of a run): another thread reads them here, never libpcap's handle while it reads */
	_Atomic uint64_t drops_seen, ifdrops_seen;
};

/* Opens a capture file ("-" is standard input). Returns CT_OK, CT_ENOENT, CT_EPERM,
 * CT_EFORMAT (not a capture file libpcap reads) or CT_EIO; err says why in one line. */
int ct_source_open_file(struct ct_source *s, const char *path, char *err, size_t errlen);
/* Opens an interface with pcap_create (immediate mode off). Returns CT_OK, CT_ENOENT
 * (no such interface), CT_EPERM or CT_EIO. */
int ct_source_open_live(struct ct_source *s, const char *iface, const struct ct_live_cfg *cfg, char *err,
			size_t errlen);
/* Compiles and sets a BPF filter. CT_EINVAL with pcap's message on a bad expression. */
int ct_source_set_filter(struct ct_source *s, const char *expr, char *err, size_t errlen);

/* Called about every 100 ms of wall time while frames flow (and on live timeouts), and, for a
 * pipe, whenever it has nothing more to read for now (before a read that would wait). */
typedef void (*ct_source_tick_fn)(void *arg);

/* Feeds every frame to c until the end of the file, *stop, or an error. *stop is set by a
 * signal handler or another thread: an atomic (a lock-free one is async-signal-safe, and
 * sig_atomic_t is only safe within one thread). A file with
 * replay_speed N is paced: a frame is handed on when N times the wall time since the first
 * frame reaches its packet time since the first (ticks and *stop still served meanwhile).
 * Returns CT_OK,
 * or CT_EFORMAT when the file ended in a read error (cut short or corrupt); err says why. */
int ct_source_run(struct ct_source *s, struct ct_capture *c, const atomic_int *stop, ct_source_tick_fn tick,
		  void *tick_arg, char *err, size_t errlen);
/* A frame as the source read it: LINKTYPE_*, packet time, bytes borrowed for the call. */
typedef void (*ct_source_frame_fn)(void *user, int linktype, ct_time_t ts, const uint8_t *frame, uint32_t caplen,
				   uint32_t wirelen);
/* ct_source_run() handing each frame to fn instead of a capture (capture/workers.c reads on
 * one thread and decodes on another). */
int ct_source_run_frames(struct ct_source *s, ct_source_frame_fn fn, void *user, const atomic_int *stop,
			 ct_source_tick_fn tick, void *tick_arg, char *err, size_t errlen);
/* Reads the rest of the file through libpcap only (tests compare the two readers). */
void ct_source_use_libpcap(struct ct_source *s);
/* Asks a running ct_source_run to return (async-signal-safe). */
void ct_source_break(struct ct_source *s);
/* Adds the kernel's and interface's drop counts of a live source to ctr: as its reading thread
 * last saw them (about every 100 ms of a run, and at its end). Any thread may call it. */
void ct_source_drops(const struct ct_source *s, struct ct_counters *ctr);
void ct_source_close(struct ct_source *s);

#endif
