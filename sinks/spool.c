/* spool.c - the Kafka sink's journal (format and policy in spool.h). */
#include "spool.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "../util/ct.h"
#include "../util/log.h"

#define SPOOL_HDR 24
#define SPOOL_RING (1u << 20) /* records in flight at most (acknowledgement window) */
#define SPOOL_MAX_VALUE (16u << 20)
#define SPOOL_TAIL_MAX (1u << 20) /* newest records also kept in memory (bytes) */

struct seg {
	uint64_t first;
	uint64_t size;
};

struct ct_spool {
	char dir[PATH_MAX - 32];
	int lockfd;
	struct seg *segs;
	size_t nsegs, capsegs;
	uint64_t seg_max;
	uint64_t max_bytes;
	uint64_t total;
	/* writer, always on the last segment */
	FILE *wf;
	bool wdirty;
	uint64_t next_seq;
	/* reader */
	FILE *rf;
	size_t rf_seg;      /* segment rf has open, or SIZE_MAX */
	size_t rseg;
	uint64_t roff;
	uint64_t read_seq;
	bool rseek;
	size_t last_rseg;
	uint64_t last_roff, last_rseq;
	char *rbuf;
	size_t rcap;
	/* the newest records, framed as in the file, also in memory: the producer takes what was
	 * just appended without reading the file back. Records [tail_seq, tail_end) of segment
	 * tail_seg, from offset tail_off; restarted whenever the reader has caught up. */
	uint8_t *tail;
	size_t tail_len;
	uint64_t tail_seq, tail_end;
	size_t tail_seg;
	uint64_t tail_off;
	size_t tail_rpos;   /* where record tail_rseq starts in tail */
	uint64_t tail_rseq;
	/* acknowledgements */
	uint64_t commit;    /* every seq below is delivered or given up */
	uint64_t persisted; /* commit value in the ack file */
	uint8_t *done;
	struct ct_counters *ctr;
};

static void seg_path(const struct ct_spool *s, uint64_t first, char *out, size_t n)
{
	snprintf(out, n, "%s/%016" PRIx64 ".jnl", s->dir, first);
}

static void put_le(uint8_t *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le(const uint8_t *p, int n)
{
	uint64_t v = 0;
	for (int i = n - 1; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static int seg_cmp(const void *a, const void *b)
{
	const struct seg *x = a, *y = b;
	return (x->first > y->first) - (x->first < y->first);
}

static int seg_add(struct ct_spool *s, uint64_t first, uint64_t size)
{
	if (s->nsegs == s->capsegs) {
		size_t cap = s->capsegs ? s->capsegs * 2 : 16;
		struct seg *n = realloc(s->segs, cap * sizeof(*n));
		if (!n)
			return CT_ENOMEM;
		s->segs = n;
		s->capsegs = cap;
	}
	s->segs[s->nsegs].first = first;
	s->segs[s->nsegs].size = size;
	s->nsegs++;
	s->total += size;
	return CT_OK;
}

/* Reads one framed record at the current position of f. Returns 1 (record in s->rbuf),
 * 0 at a clean end, -1 when the file ends inside the record (a write cut by a kill), -2 when
 * the bytes there are not a record or fail their checksum (corruption). */
static int read_record(struct ct_spool *s, FILE *f, struct ct_spool_rec *r, uint64_t *reclen)
{
	uint8_t h[SPOOL_HDR];
	size_t got = fread(h, 1, sizeof(h), f);
	if (got == 0)
		return 0;
	if ((got >= 1 && h[0] != 'C') || (got >= 2 && h[1] != 'T') || (got >= 4 && h[3] != 1))
		return -2;
	if (got < sizeof(h))
		return -1;
	size_t keylen = (size_t)get_le(h + 4, 2);
	size_t len = (size_t)get_le(h + 8, 4);
	if (len > SPOOL_MAX_VALUE)
		return -2;
	size_t need = keylen + len + 1;
	if (need > s->rcap) {
		char *nb = realloc(s->rbuf, need);
		if (!nb)
			return -2;
		s->rbuf = nb;
		s->rcap = need;
	}
	if (fread(s->rbuf, 1, keylen + len, f) != keylen + len)
		return -1;
	if (XXH32(s->rbuf, keylen + len, 0) != (uint32_t)get_le(h + 20, 4))
		return -2;
	r->type = h[2];
	r->seq = get_le(h + 12, 8);
	r->key = s->rbuf;
	r->keylen = keylen;
	r->value = s->rbuf + keylen;
	r->len = len;
	*reclen = SPOOL_HDR + keylen + len;
	return 1;
}

/* After a corrupt record at offset `from` of f: the offset of the next whole record whose
 * sequence number is at least min_seq (*r holds it), or -1 if none follows. */
static int64_t resync(struct ct_spool *s, FILE *f, uint64_t from, uint64_t min_seq, struct ct_spool_rec *r,
		      uint64_t *reclen)
{
	uint8_t buf[65536];
	uint64_t at = from + 1;
	for (;;) {
		if (fseeko(f, (off_t)at, SEEK_SET) != 0)
			return -1;
		size_t n = fread(buf, 1, sizeof(buf), f);
		if (n < 2)
			return -1;
		for (size_t i = 0; i + 1 < n; i++) {
			if (buf[i] != 'C' || buf[i + 1] != 'T')
				continue;
			if (fseeko(f, (off_t)(at + i), SEEK_SET) != 0)
				return -1;
			if (read_record(s, f, r, reclen) == 1 && r->seq >= min_seq)
				return (int64_t)(at + i);
		}
		at += n - 1;
	}
}

/* Scans the newest segment for its last whole record: a torn tail (a write cut by a kill) is
 * cut off; corrupt bytes followed by whole records are left for the reader to skip and count;
 * corrupt bytes at the end are cut off and counted. */
static int scan_tail(struct ct_spool *s)
{
	struct seg *g = &s->segs[s->nsegs - 1];
	char path[PATH_MAX];
	seg_path(s, g->first, path, sizeof(path));
	int fd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
	FILE *f = fd >= 0 ? fdopen(fd, "r+b") : NULL;
	if (!f) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		return ct_esys(e);
	}
	uint64_t off = 0, reclen = 0, next = g->first;
	struct ct_spool_rec r;
	int rc;
	for (;;) {
		rc = read_record(s, f, &r, &reclen);
		if (rc == 1) {
			off += reclen;
			next = r.seq + 1;
			continue;
		}
		if (rc == -2) {
			int64_t at = resync(s, f, off, next, &r, &reclen);
			if (at >= 0) {
				ct_err("spool %s: corrupt bytes at offset %" PRIu64 ", whole records again at %" PRId64,
				       path, off, at);
				off = (uint64_t)at + reclen;
				next = r.seq + 1;
				if (fseeko(f, (off_t)off, SEEK_SET) != 0)
					break;
				continue;
			}
		}
		break;
	}
	if (rc != 0 || off != g->size) {
		if (rc == -2) {
			s->ctr->spool_corrupt++;
			ct_err("spool %s: corrupt record at the end after %" PRIu64 " bytes: cut off (spool_corrupt)", path,
			       off);
		} else {
			ct_warn("spool %s: cut record after %" PRIu64 " bytes (killed while writing?), tail removed", path,
				off);
		}
		if (ftruncate(fileno(f), (off_t)off) != 0) {
			int e = errno;
			fclose(f);
			return ct_esys(e);
		}
		s->total -= g->size - off;
		g->size = off;
	}
	fclose(f);
	s->next_seq = next;
	return CT_OK;
}

/* Opens a journal file of ours: never through a symbolic link, created 0640. */
static FILE *spool_fopen(const char *path, int flags, const char *mode)
{
	int fd = open(path, flags | O_NOFOLLOW | O_CLOEXEC, 0640);
	if (fd < 0)
		return NULL;
	FILE *f = fdopen(fd, mode);
	if (!f)
		close(fd);
	return f;
}

static int open_writer(struct ct_spool *s)
{
	if (s->wf)
		fclose(s->wf);
	s->wf = NULL;
	if (s->nsegs == 0 || s->segs[s->nsegs - 1].size >= s->seg_max) {
		int rc = seg_add(s, s->next_seq, 0);
		if (rc)
			return rc;
	}
	char path[PATH_MAX];
	seg_path(s, s->segs[s->nsegs - 1].first, path, sizeof(path));
	s->wf = spool_fopen(path, O_WRONLY | O_CREAT | O_APPEND, "ab");
	if (!s->wf)
		return ct_esys(errno);
	return CT_OK;
}

/* Points the reader at sequence number seq (which must be in the journal or its end). */
static int reader_seek(struct ct_spool *s, uint64_t seq)
{
	size_t i = 0;
	while (i + 1 < s->nsegs && s->segs[i + 1].first <= seq)
		i++;
	s->rseg = i;
	s->roff = 0;
	s->read_seq = s->nsegs ? s->segs[i].first : seq;
	s->rseek = true;
	struct ct_spool_rec r;
	while (s->read_seq < seq) {
		int rc = ct_spool_next(s, &r);
		if (rc <= 0)
			break;
	}
	s->read_seq = seq;
	return CT_OK;
}

int ct_spool_open(struct ct_spool **sp, const char *dir, size_t max_bytes, struct ct_counters *ctr, char *err,
		  size_t errlen)
{
	struct ct_spool *s = calloc(1, sizeof(*s));
	if (!s)
		return CT_ENOMEM;
	s->lockfd = -1;
	s->rf_seg = SIZE_MAX;
	s->ctr = ctr;
	s->max_bytes = max_bytes;
	s->seg_max = CT_MIN((uint64_t)16 << 20, CT_MAX((uint64_t)max_bytes / 8, (uint64_t)64 << 10));
	s->done = calloc(SPOOL_RING, 1);
	s->tail = malloc(SPOOL_TAIL_MAX);
	if (!s->done || !s->tail || strlen(dir) >= sizeof(s->dir)) {
		bool mem = s->done && s->tail;
		snprintf(err, errlen, mem ? "kafka.spool.dir: directory name too long" : "out of memory");
		int rc = mem ? CT_ECONFIG : CT_ENOMEM;
		free(s->done);
		free(s->tail);
		free(s);
		return rc;
	}
	memcpy(s->dir, dir, strlen(dir) + 1);
	int rc = CT_EIO;
	if (mkdir(dir, 0750) != 0 && errno != EEXIST) {
		rc = errno == EACCES || errno == EPERM ? CT_EPERM : CT_EIO;
		snprintf(err, errlen, "cannot create spool directory %s: %s", dir, strerror(errno));
		goto fail;
	}
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/lock", dir);
	s->lockfd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0640);
	if (s->lockfd < 0 || flock(s->lockfd, LOCK_EX | LOCK_NB) != 0) {
		if (s->lockfd < 0 && (errno == EACCES || errno == EPERM))
			rc = CT_EPERM;
		snprintf(err, errlen, "spool directory %s: %s", dir,
			 s->lockfd < 0 ? strerror(errno) : "in use by another ctitap process");
		goto fail;
	}
	snprintf(path, sizeof(path), "%s/ack", dir);
	FILE *af = spool_fopen(path, O_RDONLY, "r");
	if (af) {
		char line[64] = "";
		if (fgets(line, sizeof(line), af)) {
			char *end;
			unsigned long long v = strtoull(line, &end, 10);
			if (end != line)
				s->commit = v;
		}
		fclose(af);
	}
	DIR *d = opendir(dir);
	if (!d) {
		snprintf(err, errlen, "cannot read spool directory %s: %s", dir, strerror(errno));
		goto fail;
	}
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		size_t n = strlen(e->d_name);
		if (n != 20 || strcmp(e->d_name + 16, ".jnl") != 0)
			continue;
		char *end;
		uint64_t first = strtoull(e->d_name, &end, 16);
		if (end != e->d_name + 16)
			continue;
		struct stat st;
		seg_path(s, first, path, sizeof(path));
		if (stat(path, &st) == 0 && seg_add(s, first, (uint64_t)st.st_size) != CT_OK) {
			closedir(d);
			goto fail;
		}
	}
	closedir(d);
	if (s->nsegs > 1)
		qsort(s->segs, s->nsegs, sizeof(*s->segs), seg_cmp);
	s->next_seq = s->commit;
	if (s->nsegs && scan_tail(s) != CT_OK) {
		snprintf(err, errlen, "cannot read spool journal in %s", dir);
		goto fail;
	}
	if (s->nsegs && s->commit < s->segs[0].first)
		s->commit = s->segs[0].first;
	if (s->commit > s->next_seq)
		s->commit = s->next_seq;
	s->persisted = s->commit;
	ctr->spool_replayed += s->next_seq - s->commit;
	if (s->next_seq > s->commit)
		ct_info("spool %s: %" PRIu64 " records from an earlier run to deliver first", dir,
			s->next_seq - s->commit);
	if (open_writer(s) != CT_OK) {
		snprintf(err, errlen, "cannot write spool journal in %s: %s", dir, strerror(errno));
		goto fail;
	}
	reader_seek(s, s->commit);
	*sp = s;
	return CT_OK;
fail:
	ct_spool_close(s);
	return rc;
}

static void drop_oldest(struct ct_spool *s)
{
	uint64_t end = s->segs[1].first;
	uint64_t from = CT_MAX(s->commit, s->segs[0].first);
	if (end > from) {
		uint64_t n = end - from;
		s->ctr->spool_dropped += n;
		ct_err("spool %s over kafka.spool.max_mb: %" PRIu64 " undelivered records dropped", s->dir, n);
		if (n >= SPOOL_RING)
			memset(s->done, 0, SPOOL_RING);
		else
			for (uint64_t q = from; q < end; q++)
				s->done[q % SPOOL_RING] = 0;
		s->commit = end;
	}
	char path[PATH_MAX];
	seg_path(s, s->segs[0].first, path, sizeof(path));
	unlink(path);
	s->total -= s->segs[0].size;
	memmove(s->segs, s->segs + 1, (s->nsegs - 1) * sizeof(*s->segs));
	s->nsegs--;
	s->tail_end = s->tail_seq; /* segment numbers moved: the file serves until the next restart */
	if (s->rf_seg != SIZE_MAX) {
		fclose(s->rf);
		s->rf = NULL;
		s->rf_seg = SIZE_MAX;
	}
	if (s->read_seq < s->commit || s->rseg == 0)
		reader_seek(s, CT_MAX(s->read_seq, s->commit));
	else
		s->rseg--, s->rseek = true;
}

int ct_spool_append(struct ct_spool *s, uint8_t type, const char *key, size_t keylen, const char *value,
		    size_t len, uint64_t *seq)
{
	if (keylen > 0xffff || len > SPOOL_MAX_VALUE)
		return CT_EINVAL;
	if (!s->wf || s->segs[s->nsegs - 1].size >= s->seg_max) {
		int rc = open_writer(s); /* also retries after a file that could not be created */
		if (rc)
			return rc;
	}
	uint8_t h[SPOOL_HDR];
	h[0] = 'C';
	h[1] = 'T';
	h[2] = type;
	h[3] = 1;
	put_le(h + 4, keylen, 2);
	put_le(h + 6, 0, 2);
	put_le(h + 8, len, 4);
	put_le(h + 12, s->next_seq, 8);
	XXH32_state_t st;
	XXH32_reset(&st, 0);
	XXH32_update(&st, key, keylen);
	XXH32_update(&st, value, len);
	put_le(h + 20, XXH32_digest(&st), 4);
	if (fwrite(h, 1, sizeof(h), s->wf) != sizeof(h) || fwrite(key, 1, keylen, s->wf) != keylen ||
	    fwrite(value, 1, len, s->wf) != len)
		return ct_esys(errno);
	s->wdirty = true;
	uint64_t n = SPOOL_HDR + keylen + len;
	if (s->read_seq == s->next_seq) { /* the reader wants this one next: a new tail */
		s->tail_len = 0;
		s->tail_seq = s->tail_end = s->tail_rseq = s->next_seq;
		s->tail_rpos = 0;
		s->tail_seg = s->nsegs - 1;
		s->tail_off = s->segs[s->nsegs - 1].size;
	}
	if (s->tail_end == s->next_seq && s->tail_seg == s->nsegs - 1 && s->tail_len + n <= SPOOL_TAIL_MAX) {
		memcpy(s->tail + s->tail_len, h, sizeof(h));
		memcpy(s->tail + s->tail_len + sizeof(h), key, keylen);
		memcpy(s->tail + s->tail_len + sizeof(h) + keylen, value, len);
		s->tail_len += n;
		s->tail_end++;
	}
	s->segs[s->nsegs - 1].size += n;
	s->total += n;
	*seq = s->next_seq++;
	s->ctr->spool_written++;
	while (s->total > s->max_bytes && s->nsegs > 1)
		drop_oldest(s);
	return CT_OK;
}

/* Serves read_seq from the in-memory tail (caller checked it is there): *r points into the tail,
 * the file position follows as if the record had been read from it. */
static int tail_next(struct ct_spool *s, struct ct_spool_rec *r)
{
	if (s->wdirty) {
		/* handed to the OS before it can be produced: what reaches the broker is on disk */
		if (fflush(s->wf) != 0)
			return ct_esys(errno);
		s->wdirty = false;
	}
	if (s->tail_rseq != s->read_seq) { /* after an unread or a seek: find it */
		s->tail_rpos = 0;
		for (s->tail_rseq = s->tail_seq; s->tail_rseq < s->read_seq; s->tail_rseq++)
			s->tail_rpos += SPOOL_HDR + get_le(s->tail + s->tail_rpos + 4, 2) + get_le(s->tail + s->tail_rpos + 8, 4);
	}
	const uint8_t *h = s->tail + s->tail_rpos;
	size_t keylen = (size_t)get_le(h + 4, 2), len = (size_t)get_le(h + 8, 4);
	r->type = h[2];
	r->seq = get_le(h + 12, 8);
	r->key = (const char *)h + SPOOL_HDR;
	r->keylen = keylen;
	r->value = (const char *)h + SPOOL_HDR + keylen;
	r->len = len;
	s->last_rseg = s->tail_seg;
	s->last_roff = s->tail_off + s->tail_rpos;
	s->last_rseq = s->read_seq;
	s->tail_rpos += SPOOL_HDR + keylen + len;
	s->tail_rseq++;
	s->rseg = s->tail_seg;
	s->roff = s->tail_off + s->tail_rpos;
	s->rseek = true;
	s->read_seq = r->seq + 1;
	return 1;
}

int ct_spool_next(struct ct_spool *s, struct ct_spool_rec *r)
{
	for (;;) {
		if (s->read_seq >= s->next_seq || s->read_seq - s->commit >= SPOOL_RING)
			return 0;
		if (s->read_seq >= s->tail_seq && s->read_seq < s->tail_end)
			return tail_next(s, r);
		if (s->rseg == s->nsegs - 1 && s->wdirty) {
			fflush(s->wf);
			s->wdirty = false;
		}
		if (s->rf_seg != s->rseg) {
			if (s->rf)
				fclose(s->rf);
			char path[PATH_MAX];
			seg_path(s, s->segs[s->rseg].first, path, sizeof(path));
			s->rf = spool_fopen(path, O_RDONLY, "rb");
			s->rf_seg = s->rf ? s->rseg : SIZE_MAX;
			if (!s->rf)
				return ct_esys(errno);
			s->rseek = true;
		}
		if (s->rseek) {
			if (fseeko(s->rf, (off_t)s->roff, SEEK_SET) != 0)
				return ct_esys(errno);
			s->rseek = false;
		}
		uint64_t reclen = 0;
		int rc = read_record(s, s->rf, r, &reclen);
		if (rc == 1) {
			s->last_rseg = s->rseg;
			s->last_roff = s->roff;
			s->last_rseq = s->read_seq;
			s->roff += reclen;
			if (r->seq < s->read_seq)
				continue; /* before the cursor (after a seek into a segment) */
			s->read_seq = r->seq + 1;
			return 1;
		}
		clearerr(s->rf);
		if (rc == -2 || (rc == -1 && s->rseg + 1 < s->nsegs)) {
			/* corrupt (or cut, in a segment no longer written): skip to the next whole
			 * record; the records in between are lost, counted and acknowledged */
			uint64_t reclen2 = 0;
			int64_t at = resync(s, s->rf, s->roff, s->read_seq, r, &reclen2);
			uint64_t resume = at >= 0 ? r->seq
						  : s->rseg + 1 < s->nsegs ? s->segs[s->rseg + 1].first : s->next_seq;
			uint64_t lost = resume > s->read_seq ? resume - s->read_seq : 0;
			s->ctr->spool_corrupt += lost;
			ct_err("spool %s: corrupt record in segment %016" PRIx64 " at offset %" PRIu64 ": %" PRIu64
			       " records lost (spool_corrupt)", s->dir, s->segs[s->rseg].first, s->roff, lost);
			for (uint64_t q = s->read_seq; q < resume && q < s->commit + SPOOL_RING; q++)
				if (q >= s->commit)
					s->done[q % SPOOL_RING] = 1;
			if (at >= 0) {
				s->last_rseg = s->rseg;
				s->last_roff = (uint64_t)at;
				s->last_rseq = resume;
				s->roff = (uint64_t)at + reclen2;
				s->read_seq = r->seq + 1;
				ct_spool_ack(s, UINT64_MAX); /* moves the commit point past what was lost */
				return 1;
			}
			s->read_seq = resume;
			ct_spool_ack(s, UINT64_MAX);
			if (s->rseg + 1 < s->nsegs) {
				s->rseg++;
				s->roff = 0;
				s->rseek = true;
				continue;
			}
			s->rseek = true;
			return 0;
		}
		if (s->rseg + 1 < s->nsegs) {
			s->rseg++;
			s->roff = 0;
			s->read_seq = CT_MAX(s->read_seq, s->segs[s->rseg].first);
			continue;
		}
		s->rseek = true; /* the writer may add more: read from here next time */
		return 0;
	}
}

void ct_spool_unread(struct ct_spool *s)
{
	s->rseg = s->last_rseg;
	s->roff = s->last_roff;
	s->read_seq = s->last_rseq;
	s->rseek = true;
	s->tail_rseq = UINT64_MAX; /* tail_next() finds it again */
}

void ct_spool_ack(struct ct_spool *s, uint64_t seq)
{
	if (seq >= s->commit && seq < s->commit + SPOOL_RING)
		s->done[seq % SPOOL_RING] = 1;
	while (s->commit < s->read_seq && s->done[s->commit % SPOOL_RING]) {
		s->done[s->commit % SPOOL_RING] = 0;
		s->commit++;
	}
}

uint64_t ct_spool_bytes(const struct ct_spool *s)
{
	return s->total;
}

uint64_t ct_spool_pending(const struct ct_spool *s)
{
	return s->next_seq - s->commit;
}

int ct_spool_flush(struct ct_spool *s)
{
	if (s->wf && s->wdirty) {
		if (fflush(s->wf) != 0)
			return ct_esys(errno);
		s->wdirty = false;
	}
	return CT_OK;
}

int ct_spool_sync(struct ct_spool *s)
{
	int rc = CT_OK;
	if (s->wf && s->wdirty) {
		if (fflush(s->wf) != 0)
			rc = ct_esys(errno);
		s->wdirty = false;
	}
	if (s->commit != s->persisted) {
		char tmp[PATH_MAX], path[PATH_MAX];
		snprintf(tmp, sizeof(tmp), "%s/ack.tmp", s->dir);
		snprintf(path, sizeof(path), "%s/ack", s->dir);
		FILE *f = spool_fopen(tmp, O_WRONLY | O_CREAT | O_TRUNC, "w");
		if (!f || fprintf(f, "%" PRIu64 "\n", s->commit) < 0 || fclose(f) != 0 || rename(tmp, path) != 0) {
			rc = ct_esys(errno);
		} else {
			s->persisted = s->commit;
		}
		/* segments wholly delivered are no longer needed */
		while (s->nsegs > 1 && s->segs[1].first <= s->commit && s->rseg > 0) {
			seg_path(s, s->segs[0].first, path, sizeof(path));
			unlink(path);
			s->total -= s->segs[0].size;
			memmove(s->segs, s->segs + 1, (s->nsegs - 1) * sizeof(*s->segs));
			s->nsegs--;
			s->rseg--;
			s->last_rseg = s->last_rseg ? s->last_rseg - 1 : 0;
			if (s->rf_seg != SIZE_MAX)
				s->rf_seg = s->rf_seg ? s->rf_seg - 1 : SIZE_MAX;
			if (s->rf_seg == SIZE_MAX && s->rf) {
				fclose(s->rf);
				s->rf = NULL;
			}
		}
	}
	return rc;
}

void ct_spool_close(struct ct_spool *s)
{
	if (!s)
		return;
	if (s->wf) {
		ct_spool_sync(s);
		fclose(s->wf);
	}
	if (s->rf)
		fclose(s->rf);
	if (s->lockfd >= 0)
		close(s->lockfd);
	free(s->segs);
	free(s->rbuf);
	free(s->done);
	free(s->tail);
	free(s);
}
