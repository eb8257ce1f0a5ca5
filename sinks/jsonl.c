/* jsonl.c - JSON lines to a file or stdout, optionally zstd-compressed (".zst").
 *
 * Whole records only. Records are gathered in memory and written at least once a second (the
 * caller's flush) or every JSONL_CHUNK bytes, each write a run of whole lines, compressed as
 * one zstd frame (RFC 8878; concatenated frames are one valid stream). The file's length after
 * the last good write is remembered: a write that fails (disk full, quota, I/O error) is rolled
 * back to it with ftruncate, so no torn record is ever glued to the next one and no .zst file
 * has a broken frame in its middle. The records stay held (up to JSONL_HOLD_MAX bytes, the
 * oldest lost beyond, counted in output_errors) and are written again with a back-off of 1 s
 * doubling to 30 s (output_retries), logged at the 1st, 2nd, 4th ... failure. A kill loses at
 * most what was held (about a second of records); a write cut by the kill itself (a short
 * write) is repaired by the next run that appends to the file.
 *
 * Files are created 0640 (less with a stricter umask: records name people and their numbers),
 * never through a symbolic link (O_NOFOLLOW; O_EXCL for new names). Without rotation the path
 * is appended to, never truncated: a torn tail left by an earlier run (a last line without its
 * newline, a cut zstd frame) is cut off first, and logged. With rotation (output.rotate_mb,
 * output.rotate_s) the path becomes a pattern, "dir/ctitap.jsonl.zst" giving
 * "dir/ctitap-20260105T090000Z-000001.jsonl.zst", ...: the UTC time a file was opened and a
 * counter, so names sort in the order they were written; a name that exists (another run in
 * the same second) is skipped, never overwritten; the newest file of an earlier run under the
 * pattern gets its torn tail cut off as above. The next file is opened only when there is
 * something to write into it, so a full disk leaves no trail of empty files; an empty file
 * of ours is removed when the sink closes.
 *
 * Reopen (SIGHUP, for logrotate): what is held is written, the file is closed, and the next
 * write opens the output again under its name, appending: a new file when logrotate moved the
 * old one away, the same file otherwise. A rotating output starts its next file. Files created
 * after a privilege drop (-Z) are created as that user: the directory must let it write.
 * Standard output whose reader went away (EPIPE, `| head`) reports it and is not retried.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <zstd.h>

#include "../util/clock.h"
#include "../util/log.h"
#include "sink.h"

#define JSONL_CHUNK (1u << 20)        /* records written (one zstd frame) at least this often */
#define JSONL_HOLD_MAX (16u << 20)    /* records held while writes fail */
#define JSONL_BACKOFF_MIN_MS 1000u
#define JSONL_BACKOFF_MAX_MS 30000u
#define JSONL_MODE 0640
#define JSONL_NAME_TRIES 1000

struct jsonl {
	char stem[PATH_MAX - 160]; /* path up to the first '.' of its last component */
	char ext[64];
	char path[PATH_MAX];       /* the file open now (or last tried) */
	bool rotating, is_stdout, zst;
	bool regular;              /* a regular file: can be rolled back */
	bool created;              /* we created the open file (removed at close if left empty) */
	uint64_t rotate_bytes;
	unsigned rotate_s;
	unsigned serial;
	time_t opened;             /* wall time the open file was opened */
	int fd;                    /* -1: none open (the next write opens one) */
	uint64_t committed;        /* bytes of whole records (whole frames) in the open file */
	struct ct_counters *ctr;
	ZSTD_CCtx *zc;
	uint8_t *zbuf;
	size_t zcap;
	char *pend;                /* whole lines not yet in the file */
	size_t plen, pcap;
	uint64_t pend_recs;
	uint64_t retry_at_ms;      /* no write or open before this (back-off) */
	unsigned backoff_ms;
	uint64_t failures;         /* writes or opens failed in a row */
	uint64_t lost;             /* records lost (counted in output_errors too) */
	int last_errno;            /* of the last failed write or open */
	int err;                   /* the error close reports */
};

static uint64_t count_lines(const char *p, size_t n)
{
	uint64_t k = 0;
	for (const char *e = p + n; (p = memchr(p, '\n', (size_t)(e - p))) != NULL; p++)
		k++;
	return k;
}

/* Records lost for good: counted, and logged when the count is a power of two. */
static void lose(struct jsonl *j, uint64_t n, const char *why)
{
	if (!n)
		return;
	j->lost += n;
	if (j->ctr)
		j->ctr->output_errors += n;
	j->err = CT_EIO;
	if (ct_log_sample(j->lost) || n > 1)
		ct_err("output %s: %llu records lost (%s)%s", j->path, (unsigned long long)n, why,
		       j->lost > n ? ", more before" : "");
}

/* A write or open failed (errno e): the records stay held; the next try waits. At the close
 * (final) there is no next try: close() reports the loss in one line. */
static void backoff(struct jsonl *j, const char *what, int e, bool final)
{
	j->last_errno = e;
	if (final)
		return;
	j->failures++;
	j->backoff_ms = j->backoff_ms ? CT_MIN(j->backoff_ms * 2, JSONL_BACKOFF_MAX_MS) : JSONL_BACKOFF_MIN_MS;
	j->retry_at_ms = ct_mono_ms() + j->backoff_ms;
	if (j->ctr)
		j->ctr->output_retries++;
	if (ct_log_sample(j->failures))
		ct_err("output %s: %s failed: %s; records held (%zu bytes), retried in %u ms (%llu failures in a row)",
		       j->path, what, strerror(e), j->plen, j->backoff_ms, (unsigned long long)j->failures);
}

static void recovered(struct jsonl *j)
{
	if (j->failures)
		ct_warn("output %s: writing again after %llu failed attempts", j->path, (unsigned long long)j->failures);
	j->failures = 0;
	j->backoff_ms = 0;
	j->retry_at_ms = 0;
}

/* ---- the tail an earlier run may have left torn ---- */

/* End of the last whole zstd frame (RFC 8878 section 3.1) in the first `size` bytes of fd:
 * frame headers and block headers are walked, contents skipped. */
static uint64_t zst_whole(int fd, uint64_t size)
{
	uint64_t off = 0;
	for (;;) {
		uint8_t b[16];
		if (off == size || pread(fd, b, 4, (off_t)off) != 4)
			return off;
		uint32_t magic = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
		uint64_t pos;
		if ((magic & 0xFFFFFFF0u) == 0x184D2A50u) { /* skippable frame */
			if (pread(fd, b, 4, (off_t)(off + 4)) != 4)
				return off;
			pos = off + 8 + ((uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24);
		} else if (magic == 0xFD2FB528u) {
			if (pread(fd, b, 1, (off_t)(off + 4)) != 1)
				return off;
			unsigned fhd = b[0], fcs = fhd >> 6, single = (fhd >> 5) & 1, sum = (fhd >> 2) & 1, did = fhd & 3;
			static const unsigned did_len[] = { 0, 1, 2, 4 };
			unsigned fcs_len = fcs == 0 ? single : 1u << fcs;
			pos = off + 5 + (single ? 0 : 1) + did_len[did] + fcs_len;
			for (;;) {
				if (pos + 3 > size || pread(fd, b, 3, (off_t)pos) != 3)
					return off;
				uint32_t bh = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16;
				unsigned type = (bh >> 1) & 3;
				if (type == 3)
					return off; /* reserved block type: not a frame we wrote */
				pos += 3 + (type == 1 ? 1 : bh >> 3);
				if (bh & 1)
					break;
			}
			pos += sum ? 4 : 0;
		} else {
			return off;
		}
		if (pos > size)
			return off;
		off = pos;
	}
}

/* End of the last whole line in the first `size` bytes of fd (UINT64_MAX if unreadable). */
static uint64_t lines_whole(int fd, uint64_t size)
{
	char b[65536];
	uint64_t end = size;
	while (end > 0) {
		size_t n = end < sizeof(b) ? (size_t)end : sizeof(b);
		if (pread(fd, b, n, (off_t)(end - n)) != (ssize_t)n)
			return UINT64_MAX;
		for (size_t i = n; i > 0; i--)
			if (b[i - 1] == '\n')
				return end - n + i;
		end -= n;
	}
	return 0;
}

/* An existing file we append to: whatever follows its last whole record goes. */
static int repair_tail(struct jsonl *j, uint64_t size)
{
	uint64_t whole = j->zst ? zst_whole(j->fd, size) : lines_whole(j->fd, size);
	if (whole == UINT64_MAX)
		return errno ? errno : EIO;
	if (whole < size) {
		ct_warn("output %s: %llu bytes after the last whole %s (a torn write of an earlier run) removed", j->path,
			(unsigned long long)(size - whole), j->zst ? "zstd frame" : "record");
		if (ftruncate(j->fd, (off_t)whole) != 0)
			return errno;
	}
	j->committed = whole;
	return 0;
}

/* A rotating output: the newest file an earlier run wrote under the same pattern may end in a
 * write cut by a kill; its torn tail is cut off before this run starts its own files. */
static void repair_last_rotated(struct jsonl *j)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(j->stem, '/');
	const char *base = slash ? slash + 1 : j->stem;
	snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - j->stem) : 1, slash ? j->stem : ".");
	DIR *d = opendir(dir);
	if (!d)
		return;
	char best[256] = "";
	size_t bl = strlen(base), el = strlen(j->ext);
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		size_t n = strlen(e->d_name);
		/* <stem>-YYYYmmddTHHMMSSZ-NNNNNN<ext>: names sort in the order they were written */
		if (n == bl + 24 + el && strncmp(e->d_name, base, bl) == 0 && e->d_name[bl] == '-' &&
		    strcmp(e->d_name + n - el, j->ext) == 0 && strcmp(e->d_name, best) > 0 && n < sizeof(best))
			memcpy(best, e->d_name, n + 1);
	}
	closedir(d);
	if (!best[0])
		return;
	int n = snprintf(j->path, sizeof(j->path), "%s/%s", dir, best);
	if (n < 0 || (size_t)n >= sizeof(j->path))
		return;
	j->fd = open(j->path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	if (j->fd >= 0 && fstat(j->fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 &&
	    repair_tail(j, (uint64_t)st.st_size) == 0 && j->committed == 0)
		unlink(j->path); /* its only record or frame was the torn one */
	if (j->fd >= 0)
		close(j->fd);
	j->fd = -1;
	j->committed = 0;
}

/* ---- files ---- */

static int open_error(int e, char *err, size_t errlen, const char *path)
{
	if (e == ELOOP)
		snprintf(err, errlen, "cannot create %s: it is a symbolic link (not followed)", path);
	else
		snprintf(err, errlen, "cannot create %s: %s", path, strerror(e));
	return ct_esys(e);
}

/* Opens the file records go to next. Returns 0 or an errno value. */
static int open_file(struct jsonl *j)
{
	/* read too: the tail of an existing file is checked before appending */
	int flags = O_RDWR | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC;
	j->created = false;
	if (j->rotating) {
		j->opened = time(NULL);
		struct tm tm;
		gmtime_r(&j->opened, &tm);
		char stamp[32];
		strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
		for (int tries = 0;; tries++) {
			snprintf(j->path, sizeof(j->path), "%s-%s-%06u%s", j->stem, stamp, ++j->serial, j->ext);
			j->fd = open(j->path, flags | O_EXCL, JSONL_MODE);
			if (j->fd >= 0 || errno != EEXIST || tries == JSONL_NAME_TRIES)
				break; /* EEXIST: another run wrote this name in the same second */
		}
		if (j->fd < 0)
			return errno;
		j->created = true;
		j->regular = true;
		j->committed = 0;
		return 0;
	}
	snprintf(j->path, sizeof(j->path), "%s%s", j->stem, j->ext);
	j->fd = open(j->path, flags | O_EXCL, JSONL_MODE);
	if (j->fd >= 0) {
		j->created = true;
	} else if (errno == EEXIST) {
		j->fd = open(j->path, flags, JSONL_MODE);
	}
	if (j->fd < 0)
		return errno;
	struct stat st;
	if (fstat(j->fd, &st) != 0)
		return errno;
	j->regular = S_ISREG(st.st_mode);
	j->committed = 0;
	if (j->regular && st.st_size > 0) {
		int e = repair_tail(j, (uint64_t)st.st_size);
		if (e)
			return e;
	}
	return 0;
}

static void close_file(struct jsonl *j)
{
	if (j->fd < 0 || j->is_stdout)
		return;
	if (close(j->fd) != 0) {
		int e = errno;
		ct_err("output %s: closing failed: %s", j->path, strerror(e));
		j->err = ct_esys(e);
	}
	if (j->created && j->committed == 0)
		unlink(j->path); /* nothing ever reached it */
	j->fd = -1;
}

static int write_all(int fd, const void *data, size_t len)
{
	const uint8_t *p = data;
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno;
		}
		if (n == 0)
			return ENOSPC;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Writes one run of whole lines (one zstd frame) at the end of the file. On failure the file
 * is cut back to its last whole record. Returns 0 or an errno value. */
static int write_chunk(struct jsonl *j, const char *data, size_t len)
{
	const void *out = data;
	size_t n = len;
	if (j->zst) {
		size_t bound = ZSTD_compressBound(len);
		if (bound > j->zcap) {
			uint8_t *nb = realloc(j->zbuf, bound);
			if (!nb)
				return ENOMEM;
			j->zbuf = nb;
			j->zcap = bound;
		}
		n = ZSTD_compress2(j->zc, j->zbuf, j->zcap, data, len);
		if (ZSTD_isError(n)) {
			ct_err("output %s: zstd: %s", j->path, ZSTD_getErrorName(n));
			return EIO;
		}
		out = j->zbuf;
	}
	int e = write_all(j->fd, out, n);
	if (e) {
		if (j->regular && ftruncate(j->fd, (off_t)j->committed) != 0)
			ct_err("output %s: cannot cut a failed write back to the last whole record: %s", j->path,
			       strerror(errno));
		return e;
	}
	j->committed += n;
	return 0;
}

/* Writes what is held. `now`: ignore the back-off (the sink closes). */
static int commit(struct jsonl *j, bool now)
{
	if (!j->plen)
		return CT_OK;
	if (!now && j->retry_at_ms && ct_mono_ms() < j->retry_at_ms)
		return CT_OK; /* backing off: still held */
	if (j->fd < 0) {
		int e = open_file(j);
		if (e) {
			if (j->fd >= 0)
				close(j->fd);
			j->fd = -1;
			backoff(j, "creating the file", e, now);
			return CT_EIO;
		}
	}
	size_t off = 0;
	while (off < j->plen) {
		if (j->rotating && j->rotate_bytes && j->committed >= j->rotate_bytes) {
			close_file(j);
			if (j->ctr)
				j->ctr->output_rotations++;
			int e = open_file(j);
			if (e) {
				j->fd = -1;
				memmove(j->pend, j->pend + off, j->plen - off);
				j->plen -= off;
				backoff(j, "creating the next file", e, now);
				return CT_EIO;
			}
		}
		/* whole lines, at most JSONL_CHUNK bytes (nor past the rotation size) unless one line
		 * is longer */
		size_t limit = JSONL_CHUNK;
		if (j->rotating && j->rotate_bytes)
			limit = (size_t)CT_MIN((uint64_t)limit, j->rotate_bytes - j->committed);
		size_t end = CT_MIN(j->plen, off + limit);
		if (end < j->plen) {
			const char *nl = NULL;
			for (size_t k = end; k > off && !nl; k--)
				if (j->pend[k - 1] == '\n')
					nl = j->pend + k - 1;
			end = nl ? (size_t)(nl - j->pend) + 1 : (size_t)((char *)memchr(j->pend + end, '\n', j->plen - end) - j->pend) + 1;
		}
		int e = write_chunk(j, j->pend + off, end - off);
		if (e == EPIPE && j->is_stdout) {
			j->plen = 0; /* the reader went away: nothing more will be read */
			j->pend_recs = 0;
			return ct_esys(EPIPE);
		}
		if (e) {
			memmove(j->pend, j->pend + off, j->plen - off);
			j->plen -= off;
			backoff(j, "writing", e, now);
			return CT_EIO;
		}
		j->pend_recs -= count_lines(j->pend + off, end - off);
		off = end;
	}
	j->plen = 0;
	j->pend_recs = 0;
	recovered(j);
	return CT_OK;
}

static int jsonl_write(void *st, const struct ct_record *r)
{
	struct jsonl *j = st;
	size_t need = r->len + 1;
	if (j->plen + need > j->pcap) {
		if (j->plen + need > JSONL_HOLD_MAX && j->plen) {
			/* writes keep failing: the oldest held records make room */
			size_t cut = CT_MIN(j->plen, j->plen + need - JSONL_HOLD_MAX);
			const char *nl = memchr(j->pend + cut - 1, '\n', j->plen - cut + 1);
			cut = nl ? (size_t)(nl - j->pend) + 1 : j->plen;
			uint64_t n = count_lines(j->pend, cut);
			memmove(j->pend, j->pend + cut, j->plen - cut);
			j->plen -= cut;
			j->pend_recs -= n;
			lose(j, n, "the output failed for longer than its hold buffer lasts");
		}
		size_t cap = CT_MAX(j->pcap * 2, j->plen + need);
		char *nb = realloc(j->pend, cap);
		if (!nb) {
			lose(j, 1, "out of memory");
			return CT_OK;
		}
		j->pend = nb;
		j->pcap = cap;
	}
	memcpy(j->pend + j->plen, r->json, r->len);
	j->pend[j->plen + r->len] = '\n';
	j->plen += need;
	j->pend_recs++;
	if (j->plen >= JSONL_CHUNK) {
		int rc = commit(j, false);
		if (ct_errno(rc) == EPIPE)
			return rc;
	}
	return CT_OK;
}

static int jsonl_flush(void *st)
{
	struct jsonl *j = st;
	int rc = commit(j, false); /* a failure holds the records for a retry, logged by commit() */
	return ct_errno(rc) == EPIPE ? rc : CT_OK;
}

static int jsonl_reopen(void *st)
{
	struct jsonl *j = st;
	int rc = commit(j, false);
	if (j->is_stdout || ct_errno(rc) == EPIPE)
		return ct_errno(rc) == EPIPE ? rc : CT_OK;
	if (j->fd >= 0) {
		close_file(j);
		if (j->ctr)
			j->ctr->output_rotations++; /* a new file is opened: counted as a rotation too */
	}
	return CT_OK; /* the next write opens it; failing that, it backs off like any write */
}

static int jsonl_poll(void *st)
{
	struct jsonl *j = st;
	if (j->rotating && j->rotate_s && j->fd >= 0 && (j->committed || j->plen) &&
	    time(NULL) - j->opened >= (time_t)j->rotate_s) {
		if (commit(j, false) != CT_OK || j->plen)
			return CT_OK; /* the records stay in this file's turn: no empty successor */
		close_file(j);
		if (j->ctr)
			j->ctr->output_rotations++;
		/* the next file is opened by the next write */
	}
	return CT_OK;
}

static int jsonl_close(void *st)
{
	struct jsonl *j = st;
	int rc = commit(j, true);
	if (ct_errno(rc) == EPIPE) {
		j->err = rc;
	} else if (j->plen) {
		char why[160];
		snprintf(why, sizeof(why), "the last write failed: %s", strerror(j->last_errno));
		lose(j, j->pend_recs, why);
	}
	close_file(j);
	ZSTD_freeCCtx(j->zc);
	free(j->zbuf);
	free(j->pend);
	int err = j->err;
	free(j);
	return err;
}

static const struct ct_sink_ops jsonl_ops = {
	.name = "jsonl",
	.write = jsonl_write,
	.flush = jsonl_flush,
	.poll = jsonl_poll,
	.close = jsonl_close,
	.reopen = jsonl_reopen,
};

int ct_jsonl_open(const char *path, const struct ct_sink_cfg *cfg, struct ct_counters *ctr,
		  const struct ct_sink_ops **ops, void **st, char *err, size_t errlen)
{
	struct jsonl *j = calloc(1, sizeof(*j));
	if (!j)
		return CT_ENOMEM;
	j->ctr = ctr;
	j->fd = -1;
	size_t plen = strlen(path);
	j->zst = plen > 4 && strcmp(path + plen - 4, ".zst") == 0;
	if (j->zst) {
		j->zc = ZSTD_createCCtx();
		if (!j->zc) {
			free(j);
			return CT_ENOMEM;
		}
		ZSTD_CCtx_setParameter(j->zc, ZSTD_c_compressionLevel, cfg->zstd_level);
		ZSTD_CCtx_setParameter(j->zc, ZSTD_c_checksumFlag, 1);
	}
	if (strcmp(path, "-") == 0) {
		j->fd = STDOUT_FILENO;
		j->is_stdout = true;
		snprintf(j->path, sizeof(j->path), "(stdout)");
	} else {
		const char *base = strrchr(path, '/');
		base = base ? base + 1 : path;
		const char *dot = strchr(base, '.');
		size_t stemlen = dot ? (size_t)(dot - path) : plen;
		if (stemlen >= sizeof(j->stem) || plen - stemlen >= sizeof(j->ext)) {
			snprintf(err, errlen, "output path too long: %s", path);
			ZSTD_freeCCtx(j->zc);
			free(j);
			return CT_EINVAL;
		}
		memcpy(j->stem, path, stemlen);
		memcpy(j->ext, path + stemlen, plen - stemlen + 1);
		j->rotate_bytes = cfg->rotate_bytes;
		j->rotate_s = cfg->rotate_s;
		j->rotating = cfg->rotate_bytes || cfg->rotate_s;
		if (j->rotating)
			repair_last_rotated(j);
		/* the first file now: an output that cannot be created stops the run before it starts */
		int e = open_file(j);
		if (e) {
			int rc = open_error(e, err, errlen, j->path);
			if (j->fd >= 0)
				close(j->fd);
			ZSTD_freeCCtx(j->zc);
			free(j);
			return rc;
		}
	}
	*ops = &jsonl_ops;
	*st = j;
	return CT_OK;
}
