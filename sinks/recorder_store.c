/* recorder_store.c - where recordings go and how they get there: paths made of ctitap's own
 * ids, files created O_EXCL|O_NOFOLLOW mode 0640 as <name>.part and renamed with
 * RENAME_NOREPLACE when complete (never over a file, never through a planted symlink), the
 * output stream every file is written through (buffering, SHA-256, encryption), libsndfile's
 * virtual file and the finishing queue (recorder_upkeep.c repairs what a crash left, guards the
 * disk and removes old recordings). Layout and policies: docs/recording.md.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "../util/log.h"
#include "recorder_int.h"

#define FILE_MODE 0640
#define DIR_MODE 0750

void rec_hex(const uint8_t *b, size_t n, char *out)
{
	static const char hx[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hx[b[i] >> 4];
		out[2 * i + 1] = hx[b[i] & 15];
	}
	out[2 * n] = '\0';
}

/* ---- folders ---- */

int rec_open_dir_at(int at, const char *name, bool create)
{
	int fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT && create) {
		if (mkdirat(at, name, DIR_MODE) != 0 && errno != EEXIST)
			return -1;
		fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	}
	return fd;
}

int rec_store_open_root(struct ct_recorder *r, char *err, size_t errlen)
{
	if (mkdir(r->dir, DIR_MODE) != 0 && errno != EEXIST) {
		int e = errno;
		snprintf(err, errlen, "record.dir %s: cannot create: %s", r->dir, strerror(e));
		return ct_esys(e);
	}
	/* record.dir itself may be a symlink the administrator made; nothing below it may be */
	r->dirfd = open(r->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (r->dirfd < 0) {
		int e = errno;
		snprintf(err, errlen, "record.dir %s: %s", r->dir, strerror(e));
		return ct_esys(e);
	}
	r->chaindirfd = rec_open_dir_at(r->dirfd, "chain", true);
	if (r->chaindirfd < 0) {
		int e = errno;
		snprintf(err, errlen, "record.dir %s/chain: %s", r->dir, strerror(e));
		return ct_esys(e);
	}
	return CT_OK;
}

/* Opens root/YYYY/MM/DD ("YYYY/MM/DD"), each level O_NOFOLLOW, creating it when asked; -1 and
 * errno on failure. */
int rec_day_openat(int root, const char *day, bool create)
{
	char part[3][5];
	if (strlen(day) != 10 || day[4] != '/' || day[7] != '/') {
		errno = EINVAL;
		return -1;
	}
	memcpy(part[0], day, 4);
	part[0][4] = '\0';
	memcpy(part[1], day + 5, 2);
	part[1][2] = '\0';
	memcpy(part[2], day + 8, 2);
	part[2][2] = '\0';
	int fd = root;
	for (int i = 0; i < 3; i++) {
		int next = rec_open_dir_at(fd, part[i], create);
		if (fd != root)
			close(fd);
		if (next < 0)
			return -1;
		fd = next;
	}
	return fd;
}

bool rec_path_ok(const char *p)
{
	if (strlen(p) < 12 || p[4] != '/' || p[7] != '/' || p[10] != '/')
		return false;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (p[i] < '0' || p[i] > '9'))
			return false;
	const char *name = p + 11;
	if (strstr(name, "..") || name[0] == '.')
		return false;
	return strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") == strlen(name);
}

static bool ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), t = strlen(tail);
	return n >= t && memcmp(s + n - t, tail, t) == 0;
}

int ct_recorder_file_open(const char *dir, const char *path, uint64_t *size)
{
	static const char *const kinds[] = { ".wav", ".pcap", ".wav.enc", ".pcap.enc" };
	bool kind = false;
	for (size_t i = 0; i < CT_ARRAY_SIZE(kinds); i++)
		kind = kind || ends_with(path, kinds[i]);
	if (!kind || !rec_path_ok(path))
		return CT_ENOENT;
	char day[11];
	memcpy(day, path, 10);
	day[10] = '\0';
	int root = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC); /* record.dir may be a symlink */
	if (root < 0)
		return ct_esys(errno);
	int dfd = rec_day_openat(root, day, false);
	close(root);
	if (dfd < 0)
		return ct_esys(ENOENT);
	int fd = openat(dfd, path + 11, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	int err = errno;
	close(dfd);
	if (fd < 0)
		return ct_esys(err == ELOOP ? ENOENT : err); /* a symlink is no file of ours */
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return CT_ENOENT;
	}
	*size = (uint64_t)st.st_size;
	return fd;
}

int rec_day_open(struct ct_recorder *r, const char *day, bool create)
{
	return rec_day_openat(r->dirfd, day, create);
}

DIR *rec_opendir(int dirfd)
{
	int fd = dup(dirfd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	rewinddir(d); /* the duplicate shares the offset of earlier listings */
	return d;
}

static bool all_digits(const char *s, size_t n)
{
	return strlen(s) == n && strspn(s, "0123456789") == n;
}

/* The folders of one level of the date tree: names of n digits. */
static void walk_level(int fd, const char *prefix, unsigned level, void (*fn)(const char *day, void *arg), void *arg)
{
	static const size_t width[3] = { 4, 2, 2 };
	DIR *d = rec_opendir(fd);
	struct dirent *e;
	while (d && (e = readdir(d)) != NULL) {
		if (!all_digits(e->d_name, width[level]))
			continue;
		char path[16]; /* YYYY/MM/DD */
		if ((size_t)snprintf(path, sizeof(path), "%s%s%.4s", prefix, level ? "/" : "", e->d_name) >= sizeof(path))
			continue; /* cannot be (the names are digits of width[]): the compiler cannot see it */
		if (level == 2) {
			fn(path, arg);
			continue;
		}
		int sub = rec_open_dir_at(fd, e->d_name, false);
		if (sub >= 0) {
			walk_level(sub, path, level + 1, fn, arg);
			close(sub);
		}
	}
	if (d)
		closedir(d);
}

void rec_walk_days(int root, void (*fn)(const char *day, void *arg), void *arg)
{
	walk_level(root, "", 0, fn, arg);
}

/* ---- output streams ---- */

static int disk_pwrite(struct rec_out *o, uint64_t off, const void *p, size_t n)
{
	const uint8_t *b = p;
	while (n) {
		ssize_t w = pwrite(o->fd, b, n, (off_t)off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			o->err = ct_esys(w < 0 ? errno : ENOSPC);
			return o->err;
		}
		b += w;
		n -= (size_t)w;
		off += (uint64_t)w;
		if (off > o->disk) {
			o->eng->disk_bytes += off - o->disk;
			o->disk = off;
		}
	}
	o->written_at = o->eng->now;
	if (o->eng->cfg.max_mb && o->eng->disk_bytes >= (uint64_t)o->eng->cfg.max_mb << 20)
		o->eng->guard_checked_ms = 0; /* the next tick looks at once */
	return CT_OK;
}

/* Appends to the file as stored (after the header region of a plain WAV), hashing when the
 * stream is hashed as written. */
static int disk_append(struct rec_out *o, const void *p, size_t n)
{
	uint64_t off = o->disk;
	if (o->wav && !o->enc)
		off = (uint64_t)o->hlen + (o->data_bytes - o->blen);
	if (!(o->wav && !o->enc))
		crypto_hash_sha256_update(&o->sha, p, n);
	return disk_pwrite(o, off, p, n);
}

static int push_chunk(struct rec_out *o, const uint8_t *m, size_t n, unsigned char tag)
{
	uint8_t *c = o->eng->scratch;
	unsigned long long clen = 0;
	if (n + crypto_secretstream_xchacha20poly1305_ABYTES + 4 > REC_SCRATCH)
		return o->err = CT_EINVAL;
	crypto_secretstream_xchacha20poly1305_push(&o->ss, c + 4, &clen, m, n, NULL, 0, tag);
	c[0] = (uint8_t)clen;
	c[1] = (uint8_t)(clen >> 8);
	c[2] = (uint8_t)(clen >> 16);
	c[3] = (uint8_t)(clen >> 24);
	return disk_append(o, c, (size_t)clen + 4);
}

static void flush_buf(struct rec_out *o)
{
	if (!o->blen || o->err)
		return;
	if (o->enc)
		push_chunk(o, o->buf, o->blen, crypto_secretstream_xchacha20poly1305_TAG_MESSAGE);
	else
		disk_append(o, o->buf, o->blen);
	o->blen = 0;
}

int rec_out_write(struct rec_out *o, const void *p, size_t n)
{
	const uint8_t *b = p;
	while (n && !o->err) {
		size_t room = REC_BUF - o->blen;
		size_t k = n < room ? n : room;
		memcpy(o->buf + o->blen, b, k);
		o->blen += k;
		b += k;
		n -= k;
		if (o->wav)
			o->data_bytes += k;
		if (o->blen == REC_BUF)
			flush_buf(o);
	}
	return o->err;
}

void rec_out_flush(struct rec_out *o)
{
	flush_buf(o);
}

static int out_init(struct ct_recorder *r, struct rec_out *o, int fd, bool wav)
{
	memset(o, 0, sizeof(*o));
	o->eng = r;
	o->fd = fd;
	o->wav = wav;
	o->enc = r->enc;
	o->hlen = -1;
	crypto_hash_sha256_init(&o->sha);
	o->buf = malloc(REC_BUF);
	if (!o->buf)
		return CT_ENOMEM;
	if (!o->enc)
		return CT_OK;
	/* magic, the per-file key sealed to the public key, the secretstream header */
	uint8_t head[REC_ENC_MAGIC_LEN + crypto_box_SEALBYTES + crypto_secretstream_xchacha20poly1305_KEYBYTES +
		     crypto_secretstream_xchacha20poly1305_HEADERBYTES];
	uint8_t key[crypto_secretstream_xchacha20poly1305_KEYBYTES];
	crypto_secretstream_xchacha20poly1305_keygen(key);
	memcpy(head, REC_ENC_MAGIC, REC_ENC_MAGIC_LEN);
	crypto_box_seal(head + REC_ENC_MAGIC_LEN, key, sizeof(key), r->box_pk);
	crypto_secretstream_xchacha20poly1305_init_push(&o->ss, head + sizeof(head) -
								 crypto_secretstream_xchacha20poly1305_HEADERBYTES,
							 key);
	sodium_memzero(key, sizeof(key));
	if (disk_append(o, head, sizeof(head)) != CT_OK)
		return o->err;
	if (!wav) {
		uint8_t info = REC_ENC_KIND_STREAM;
		return push_chunk(o, &info, 1, crypto_secretstream_xchacha20poly1305_TAG_MESSAGE);
	}
	return CT_OK;
}

int rec_out_header_known(struct rec_out *o)
{
	o->hlen = o->vlen;
	if (!o->enc)
		return o->err;
	/* the initial header rides in the first chunk, so that a salvage can rebuild a file a
	 * crash cut short; the final one is the last chunk */
	uint8_t info[5 + REC_HDR_MAX];
	info[0] = REC_ENC_KIND_WAV;
	info[1] = (uint8_t)o->hlen;
	info[2] = (uint8_t)(o->hlen >> 8);
	info[3] = info[4] = 0;
	memcpy(info + 5, o->hdr, (size_t)o->hlen);
	return push_chunk(o, info, 5 + (size_t)o->hlen, crypto_secretstream_xchacha20poly1305_TAG_MESSAGE);
}

void rec_out_abort(struct rec_out *o)
{
	free(o->buf);
	o->buf = NULL;
	if (o->fd >= 0)
		close(o->fd);
	o->fd = -1;
}

/* libsndfile's view of the file. It writes the header at open, rewrites it at the first sample
 * and at close, and otherwise only appends; anything else is refused. */
static sf_count_t vio_filelen(void *u)
{
	return ((struct rec_out *)u)->vlen;
}

static sf_count_t vio_seek(sf_count_t off, int whence, void *u)
{
	struct rec_out *o = u;
	sf_count_t np = whence == SEEK_SET ? off : whence == SEEK_CUR ? o->vpos + off : o->vlen + off;
	if (np < 0)
		return -1;
	o->vpos = np;
	return np;
}

static sf_count_t vio_read(void *ptr, sf_count_t n, void *u)
{
	(void)ptr;
	(void)n;
	(void)u;
	return 0; /* write-only */
}

static sf_count_t vio_write(const void *ptr, sf_count_t n, void *u)
{
	struct rec_out *o = u;
	if (o->err || n < 0)
		return 0;
	bool header = o->hlen < 0 ? o->vpos + n <= REC_HDR_MAX : o->vpos + n <= o->hlen;
	if (header) {
		memcpy(o->hdr + o->vpos, ptr, (size_t)n);
		if (!o->enc && disk_pwrite(o, (uint64_t)o->vpos, ptr, (size_t)n) != CT_OK)
			return 0;
	} else if (o->hlen >= 0 && o->vpos == o->vlen) {
		if (rec_out_write(o, ptr, (size_t)n) != CT_OK)
			return 0;
	} else {
		o->err = CT_EIO; /* not a pattern this file supports */
		return 0;
	}
	o->vpos += n;
	if (o->vpos > o->vlen)
		o->vlen = o->vpos;
	return n;
}

static sf_count_t vio_tell(void *u)
{
	return ((struct rec_out *)u)->vpos;
}

SF_VIRTUAL_IO rec_vio = { vio_filelen, vio_seek, vio_read, vio_write, vio_tell };

/* ---- creation ---- */

/* Creates DIR/<day>/<base>[-n].<ext>[.enc].part for a new file (the first n for which neither
 * the file nor its .part exists); relpath gets its final name, relative to DIR. */
int rec_store_create(struct ct_recorder *r, uint16_t y, uint16_t mo, uint16_t dd, const char *base, const char *ext,
		     struct rec_out *out, char *relpath, size_t cap, bool wav)
{
	char day[20];
	snprintf(day, sizeof(day), "%04u/%02u/%02u", y, mo, dd);
	int dfd = rec_day_open(r, day, true);
	if (dfd < 0) {
		int e = errno;
		ct_warn("recorder: %s/%s: %s", r->dir, day, strerror(e));
		return ct_esys(e);
	}
	int fd = -1;
	char name[REC_PATH_MAX], part[REC_PATH_MAX + 8];
	for (unsigned n = 1; n < 100 && fd < 0; n++) {
		if (n == 1)
			snprintf(name, sizeof(name), "%s.%s%s", base, ext, r->enc ? ".enc" : "");
		else
			snprintf(name, sizeof(name), "%s-%u.%s%s", base, n, ext, r->enc ? ".enc" : "");
		snprintf(part, sizeof(part), "%s.part", name);
		struct stat st;
		if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0)
			continue; /* a finished file of that name: never replaced */
		fd = openat(dfd, part, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, FILE_MODE);
		if (fd < 0 && errno != EEXIST)
			break;
	}
	int e = errno;
	close(dfd);
	if (fd < 0) {
		ct_warn("recorder: cannot create %s/%s/%s: %s", r->dir, day, name, strerror(e));
		return ct_esys(e);
	}
	(void)fchmod(fd, FILE_MODE); /* whatever the umask */
	snprintf(relpath, cap, "%s/%s", day, name);
	int rc = out_init(r, out, fd, wav);
	if (rc != CT_OK) {
		rec_out_abort(out);
		return rc;
	}
	return CT_OK;
}

/* ---- finishing ---- */

static const char *path_base(const char *rel)
{
	const char *s = strrchr(rel, '/');
	return s ? s + 1 : rel;
}

/* Renames <day>/<from> to <day>/<to> without replacing anything. */
int rec_rename_noreplace(struct ct_recorder *r, const char *relfrom, const char *to_name)
{
	char day[11];
	memcpy(day, relfrom, 10);
	day[10] = '\0';
	int dfd = rec_day_open(r, day, false);
	if (dfd < 0)
		return ct_esys(errno);
	int rc = renameat2(dfd, path_base(relfrom), dfd, to_name, RENAME_NOREPLACE);
	if (rc != 0 && (errno == EINVAL || errno == ENOSYS)) {
		/* a filesystem without RENAME_NOREPLACE: link fails when the name exists */
		rc = linkat(dfd, path_base(relfrom), dfd, to_name, 0);
		if (rc == 0)
			unlinkat(dfd, path_base(relfrom), 0);
	}
	int e = errno;
	if (rc == 0)
		fsync(dfd); /* the rename itself survives a power cut */
	close(dfd);
	errno = e;
	return rc == 0 ? CT_OK : ct_esys(e);
}

void rec_job_submit(struct ct_recorder *r, struct rec_job *job)
{
	struct rec_out *o = &job->out;
	flush_buf(o);
	if (o->enc && !o->err) {
		if (o->wav)
			push_chunk(o, o->hdr, o->hlen > 0 ? (size_t)o->hlen : 0,
				   crypto_secretstream_xchacha20poly1305_TAG_FINAL);
		else
			push_chunk(o, NULL, 0, crypto_secretstream_xchacha20poly1305_TAG_FINAL);
	}
	free(o->buf);
	o->buf = NULL;
	if (o->err)
		job->failed = true;
	crypto_hash_sha256_init(&job->rsha);
	job->next = NULL;
	if (r->jobs_tail)
		r->jobs_tail->next = job;
	else
		r->jobs = job;
	r->jobs_tail = job;
	r->njobs++;
}

static void job_complete(struct ct_recorder *r, struct rec_job *job)
{
	struct rec_out *o = &job->out;
	uint8_t digest[32];
	if (o->wav && !o->enc)
		crypto_hash_sha256_final(&job->rsha, digest);
	else
		crypto_hash_sha256_final(&o->sha, digest);
	rec_hex(digest, 32, job->info.sha256);
	job->info.bytes = o->disk;
	if (!job->failed && fdatasync(o->fd) != 0)
		job->failed = true;
	close(o->fd);
	o->fd = -1;
	char final[REC_PATH_MAX + 40];
	snprintf(final, sizeof(final), "%s%s", path_base(job->path), job->failed ? ".broken" : "");
	if (rec_rename_noreplace(r, job->part, final) != CT_OK) {
		ct_warn("recorder: cannot rename %s/%s: %s", r->dir, job->part, strerror(errno));
		job->failed = true;
		snprintf(job->path, sizeof(job->path), "%.*s", (int)sizeof(job->path) - 1, job->part); /* it stays as it is */
	} else if (job->failed) {
		size_t n = strlen(job->path);
		snprintf(job->path + n, sizeof(job->path) - n, ".broken");
	}
	struct rec_entry e = { .ts = job->info.end,
			       .action = job->failed ? "broken" : job->info.kind == CT_REC_FILE_AUDIO ? "stop" : "file",
			       .call = job->call,
			       .device = job->device[0] ? job->device : NULL,
			       .reason = job->reason[0] ? job->reason : NULL,
			       .file = &job->info };
	rec_chain_append(r, &e, &job->info.chain);
	struct ct_rec_event ev = { .kind = job->failed ? CT_REC_EV_ERROR : CT_REC_EV_FILE,
				   .ts = job->info.end,
				   .file = &job->info,
				   .call = job->call,
				   .device = job->device[0] ? job->device : NULL,
				   .reason = job->info.reason,
				   .chain = &job->info.chain };
	if (job->failed)
		r->st.write_errors++;
	else
		r->st.files++;
	rec_emit(r, &ev);
}

/* Does up to `budget` bytes of finishing work; true when the queue is empty. */
bool rec_jobs_step(struct ct_recorder *r, uint64_t budget)
{
	while (r->jobs) {
		struct rec_job *job = r->jobs;
		struct rec_out *o = &job->out;
		if (o->wav && !o->enc && !job->failed) {
			/* the header libsndfile rewrote at close makes the stream's hash a read of the
			 * file: from the page cache, a bounded amount per tick */
			while (job->hashed < o->disk) {
				if (budget == 0)
					return false;
				uint64_t want = o->disk - job->hashed;
				size_t n = want < REC_SCRATCH ? (size_t)want : REC_SCRATCH;
				ssize_t k = pread(o->fd, r->scratch, n, (off_t)job->hashed);
				if (k <= 0) {
					if (k < 0 && errno == EINTR)
						continue;
					job->failed = true;
					break;
				}
				crypto_hash_sha256_update(&job->rsha, r->scratch, (size_t)k);
				job->hashed += (uint64_t)k;
				budget = budget > (uint64_t)k ? budget - (uint64_t)k : 0;
			}
		}
		r->jobs = job->next;
		if (!r->jobs)
			r->jobs_tail = NULL;
		r->njobs--;
		job_complete(r, job);
		free(job);
	}
	return true;
}
