/* pcapfile_diff.h - reads a capture file with ctitap's direct reader (capture/pcapfile.h) and
 * with libpcap alone, and says whether both handed on the same frames (times, lengths, bytes)
 * and ended the same way (return code, error text). libpcap is the oracle: the direct reader
 * takes only what it reads exactly alike, and leaves the rest to it.
 *
 * Used by fuzz/fuzz_pcapfile.c and tests/capture/test_source.c. */
#ifndef CT_FUZZ_PCAPFILE_DIFF_H
#define CT_FUZZ_PCAPFILE_DIFF_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "capture/source.h"

struct pfd_run {
	int open_rc, run_rc;
	bool direct;          /* the direct reader was used from the start */
	uint64_t frames;
	uint64_t digest;      /* of every frame's link type, time, lengths and bytes, in order */
	char err[512];
};

static void pfd_frame(void *user, int linktype, ct_time_t ts, const uint8_t *frame, uint32_t caplen,
		      uint32_t wirelen)
{
	struct pfd_run *r = user;
	uint64_t meta[4] = { (uint64_t)linktype, ts, caplen, wirelen };
	r->digest = XXH3_64bits_withSeed(meta, sizeof(meta), r->digest);
	r->digest = XXH3_64bits_withSeed(frame, caplen, r->digest);
	r->frames++;
}

/* Reads path once; libpcap only when plain, with `filter` when not NULL, with the direct
 * reader's buffer cut to `bufsize` bytes when not 0 (at least what a record needs), so that
 * small files cross its refills too. */
static void pfd_read(const char *path, bool plain, const char *filter, size_t bufsize, struct pfd_run *r)
{
	memset(r, 0, sizeof(*r));
	struct ct_source s;
	r->open_rc = ct_source_open_file(&s, path, r->err, sizeof(r->err));
	if (r->open_rc != CT_OK)
		return;
	if (plain)
		ct_source_use_libpcap(&s);
	r->direct = s.direct;
	if (s.direct && bufsize) {
		size_t need = (size_t)s.fmt.snaplen + CT_PCAPFILE_REC;
		s.bufsize = CT_MIN(s.bufsize, CT_MAX(bufsize, need));
	}
	if (filter && ct_source_set_filter(&s, filter, r->err, sizeof(r->err)) != CT_OK) {
		r->open_rc = CT_EINVAL;
		ct_source_close(&s);
		return;
	}
	atomic_int stop = 0;
	r->run_rc = ct_source_run_frames(&s, pfd_frame, r, &stop, NULL, NULL, r->err, sizeof(r->err));
	ct_source_close(&s);
}

/* Both readers over path: true when they agree; *direct tells whether the direct one was used. */
static bool pfd_same(const char *path, const char *filter, size_t bufsize, bool *direct)
{
	struct pfd_run a, b;
	pfd_read(path, false, filter, bufsize, &a);
	pfd_read(path, true, filter, bufsize, &b);
	if (direct)
		*direct = a.direct;
	bool same = a.open_rc == b.open_rc && a.run_rc == b.run_rc && a.frames == b.frames && a.digest == b.digest &&
		    strcmp(a.err, b.err) == 0;
	if (!same)
		fprintf(stderr,
			"%s: direct: open %d run %d, %llu frames (digest %016llx), \"%s\"; libpcap: open %d run %d, "
			"%llu frames (digest %016llx), \"%s\"\n",
			path, a.open_rc, a.run_rc, (unsigned long long)a.frames, (unsigned long long)a.digest, a.err,
			b.open_rc, b.run_rc, (unsigned long long)b.frames, (unsigned long long)b.digest, b.err);
	return same;
}

#endif
