/* recorder_store.c - where recordings go and how they get there: paths made of ctitap's own
 * ids, files created O_EXCL|O_NOFOLLOW mode 0640 as <name>.part and renamed with
 * RENAME_NOREPLACE when complete (never over a file, never through a planted symlink), the
 * output stream every file is written through (buffering, SHA-256, encryption), libsndfile's
 * virtual file, the finishing queue, start-up repair of what a crash left, the disk guard and
 * retention. Layout and policies: docs/recording.md.
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

#include "../util/cursor.h"
#include "../util/log.h"
#include "recorder_int.h"

#define FILE_MODE 0640
#define DIR_MODE 0750
#define RETENTION_BATCH 64      /* files removed per tick */
#define RETENTION_EVERY_S 60    /* wall-clock seconds between looks for an old day */

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

static int open_dir_at(int at, const char *name, bool create)
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
		snprintf(err, errlen, "record.dir %s: cannot create: %s", r->dir, strerror(errno));
		return CT_EPERM;
	}
	/* record.dir itself may be a symlink the administrator made; nothing below it may be */
	r->dirfd = open(r->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (r->dirfd < 0) {
		snprintf(err, errlen, "record.dir %s: %s", r->dir, strerror(errno));
		return CT_EPERM;
	}
	r->chaindirfd = open_dir_at(r->dirfd, "chain", true);
	if (r->chaindirfd < 0) {
		snprintf(err, errlen, "record.dir %s/chain: %s", r->dir, strerror(errno));
		return CT_EPERM;
	}
	return CT_OK;
}

/* Opens DIR/YYYY/MM/DD ("YYYY/MM/DD"), creating it when asked; -1 and errno on failure. */
int rec_day_open(struct ct_recorder *r, const char *day, bool create)
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
	int fd = r->dirfd;
	for (int i = 0; i < 3; i++) {
		int next = open_dir_at(fd, part[i], create);
		if (fd != r->dirfd)
			close(fd);
		if (next < 0)
			return -1;
		fd = next;
	}
	return fd;
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
			o->err = CT_EIO;
			return CT_EIO;
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
		return CT_EIO;
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
		ct_warn("recorder: %s/%s: %s", r->dir, day, strerror(errno));
		return CT_EIO;
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
		return CT_EIO;
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
static int rename_noreplace(struct ct_recorder *r, const char *relfrom, const char *to_name)
{
	char day[11];
	memcpy(day, relfrom, 10);
	day[10] = '\0';
	int dfd = rec_day_open(r, day, false);
	if (dfd < 0)
		return CT_EIO;
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
	return rc == 0 ? CT_OK : CT_EIO;
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
	if (rename_noreplace(r, job->part, final) != CT_OK) {
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

/* ---- WAV header repair ---- */

static uint32_t le32_at(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* A RIFF/WAVE header as libsndfile writes it (RIFF, fmt, optional fact, data) fixed to a file
 * of file_size bytes: the data chunk takes whole frames of what is there. hdr holds the first
 * bytes of the file (cap of them); *hlen gets the data offset. Returns CT_EFORMAT when the
 * bytes are not such a header. */
int rec_wav_repair_header(uint8_t *hdr, size_t cap, uint64_t file_size, size_t *hlen, uint64_t *frames,
			  unsigned *rate)
{
	struct ct_cur c = ct_cur_make(hdr, cap);
	const uint8_t *riff = ct_cur_take(&c, 4);
	ct_cur_skip(&c, 4);
	const uint8_t *wave = ct_cur_take(&c, 4);
	if (c.err || memcmp(riff, "RIFF", 4) != 0 || memcmp(wave, "WAVE", 4) != 0)
		return CT_EFORMAT;
	size_t fact_at = 0, data_at = 0;
	unsigned block = 0, channels = 0;
	*rate = 0;
	while (!data_at) {
		size_t at = c.pos;
		const uint8_t *id = ct_cur_take(&c, 4);
		uint32_t size = ct_cur_le32(&c);
		if (c.err)
			return CT_EFORMAT;
		if (memcmp(id, "fmt ", 4) == 0) {
			struct ct_cur f = ct_cur_make(ct_cur_here(&c), ct_cur_avail(&c) < size ? ct_cur_avail(&c) : size);
			ct_cur_skip(&f, 2);
			channels = ct_cur_u8(&f) | (unsigned)ct_cur_u8(&f) << 8;
			*rate = ct_cur_le32(&f);
			ct_cur_skip(&f, 4);
			block = ct_cur_u8(&f) | (unsigned)ct_cur_u8(&f) << 8;
			if (f.err)
				return CT_EFORMAT;
		} else if (memcmp(id, "fact", 4) == 0) {
			fact_at = c.pos;
		} else if (memcmp(id, "data", 4) == 0) {
			data_at = at;
			break;
		}
		ct_cur_skip(&c, size + (size & 1));
	}
	if (!block || !channels || !*rate || c.err)
		return CT_EFORMAT;
	*hlen = data_at + 8;
	if (file_size < *hlen)
		return CT_EFORMAT;
	uint64_t data = (file_size - *hlen) / block * block;
	if (data > 0xffffffffu - *hlen)
		data = (0xffffffffu - *hlen) / block * block;
	*frames = data / block;
	put_le32(hdr + 4, (uint32_t)(*hlen - 8 + data));
	put_le32(hdr + data_at + 4, (uint32_t)data);
	if (fact_at && fact_at + 4 <= cap)
		put_le32(hdr + fact_at, (uint32_t)*frames);
	return CT_OK;
}

/* ---- start-up: what a crash left ---- */

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && memcmp(s + n - m, suffix, m) == 0;
}

/* The call id of a file name "<call>-<12 hex>[-n].<ext>...": for the chain entry. */
static void call_of_name(const char *name, char *call, size_t cap)
{
	size_t n = strcspn(name, ".");
	char base[REC_PATH_MAX];
	snprintf(base, sizeof(base), "%.*s", (int)n, name);
	char *dash = strrchr(base, '-');
	if (dash && dash[1] && strspn(dash + 1, "0123456789") == strlen(dash + 1) && strlen(dash + 1) < 3) {
		*dash = '\0'; /* an ordinal */
		dash = strrchr(base, '-');
	}
	if (dash && strlen(dash + 1) == 12)
		*dash = '\0';
	size_t bl = strlen(base) < cap - 1 ? strlen(base) : cap - 1;
	memcpy(call, base, bl);
	call[bl] = '\0';
}

static int hash_fd(struct ct_recorder *r, int fd, uint64_t size, char *hex)
{
	crypto_hash_sha256_state s;
	crypto_hash_sha256_init(&s);
	uint64_t off = 0;
	while (off < size) {
		size_t n = size - off < REC_SCRATCH ? (size_t)(size - off) : REC_SCRATCH;
		ssize_t k = pread(fd, r->scratch, n, (off_t)off);
		if (k <= 0)
			return CT_EIO;
		crypto_hash_sha256_update(&s, r->scratch, (size_t)k);
		off += (uint64_t)k;
	}
	uint8_t d[32];
	crypto_hash_sha256_final(&s, d);
	rec_hex(d, 32, hex);
	return CT_OK;
}

/* A pcap cut short: keeps whole records. Returns the good length, 0 when not a pcap. */
static uint64_t pcap_good_length(struct ct_recorder *r, int fd, uint64_t size)
{
	uint8_t g[24];
	if (size < 24 || pread(fd, g, 24, 0) != 24)
		return 0;
	uint32_t magic = le32_at(g);
	bool swap;
	if (magic == 0xa1b2c3d4 || magic == 0xa1b23c4d)
		swap = false;
	else if (magic == 0xd4c3b2a1 || magic == 0x4d3cb2a1)
		swap = true;
	else
		return 0;
	(void)r;
	uint64_t off = 24;
	uint8_t h[16];
	while (off + 16 <= size && pread(fd, h, 16, (off_t)off) == 16) {
		uint32_t incl = le32_at(h + 8);
		if (swap)
			incl = __builtin_bswap32(incl);
		if (incl > 262144 || off + 16 + incl > size)
			break;
		off += 16 + incl;
	}
	return off;
}

static void repair_one(struct ct_recorder *r, int dfd, const char *day, const char *name)
{
	char rel[REC_PATH_MAX + 16], final[REC_PATH_MAX + 8], call[80];
	snprintf(rel, sizeof(rel), "%s/%s", day, name);
	size_t n = strlen(name) - 5; /* without ".part" */
	snprintf(final, sizeof(final), "%.*s", (int)n, name);
	call_of_name(name, call, sizeof(call));
	struct ct_rec_file info;
	memset(&info, 0, sizeof(info));
	char relfinal[REC_PATH_MAX + 16];
	snprintf(relfinal, sizeof(relfinal), "%s/%s", day, final);
	info.call = call;
	info.path = relfinal;
	info.reason = "crash";
	bool repaired = false;
	int fd = openat(dfd, name, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
		uint64_t size = (uint64_t)st.st_size;
		if (ends_with(final, ".wav")) {
			uint8_t hdr[REC_HDR_MAX];
			ssize_t k = pread(fd, hdr, sizeof(hdr), 0);
			size_t hlen = 0;
			uint64_t frames = 0;
			unsigned rate = 0;
			if (k > 0 && rec_wav_repair_header(hdr, (size_t)k, size, &hlen, &frames, &rate) == CT_OK &&
			    pwrite(fd, hdr, hlen, 0) == (ssize_t)hlen) {
				uint64_t good = hlen + (uint64_t)le32_at(hdr + hlen - 4);
				if (good < size && ftruncate(fd, (off_t)good) != 0)
					good = 0;
				if (good && hash_fd(r, fd, good, info.sha256) == CT_OK) {
					info.kind = CT_REC_FILE_AUDIO;
					info.format = "wav";
					info.bytes = good;
					info.duration_ms = rate ? frames * 1000 / rate : 0;
					repaired = true;
				}
			}
		} else if (ends_with(final, ".pcap")) {
			uint64_t good = pcap_good_length(r, fd, size);
			if (good && (good == size || ftruncate(fd, (off_t)good) == 0) &&
			    hash_fd(r, fd, good, info.sha256) == CT_OK) {
				info.kind = ends_with(final, ".rtp.pcap") ? CT_REC_FILE_PAYLOAD : CT_REC_FILE_EVIDENCE;
				info.format = "pcap";
				info.bytes = good;
				repaired = true;
			}
		}
		/* an encrypted file cannot be repaired here (the sensor holds no key): `ctitap
		 * decrypt --salvage` recovers what authenticates */
		if (repaired && fsync(fd) != 0)
			repaired = false;
	}
	if (fd >= 0)
		close(fd);
	if (!repaired) {
		snprintf(final + strlen(final), sizeof(final) - strlen(final), ".broken");
		snprintf(relfinal, sizeof(relfinal), "%s/%s", day, final);
	}
	if (rename_noreplace(r, rel, final) != CT_OK) {
		ct_warn("recorder: cannot rename %s/%s to %s: %s", r->dir, rel, final, strerror(errno));
		return;
	}
	struct rec_entry e = { .ts = r->now,
			       .action = repaired ? "repaired" : "broken",
			       .call = call,
			       .reason = "crash",
			       .file = &info };
	rec_chain_append(r, &e, &info.chain);
	struct ct_rec_event ev = { .kind = repaired ? CT_REC_EV_REPAIRED : CT_REC_EV_BROKEN,
				   .ts = r->now,
				   .file = &info,
				   .call = call,
				   .reason = "crash",
				   .chain = &info.chain };
	if (repaired)
		r->st.repaired++;
	else
		r->st.broken++;
	ct_warn("recorder: %s/%s was left by a crash: %s", r->dir, rel, repaired ? "repaired" : "marked broken");
	rec_emit(r, &ev);
}

static bool all_digits(const char *s, size_t n)
{
	if (strlen(s) != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* Calls fn for every day folder "YYYY/MM/DD" of DIR (unsorted). */
static void for_each_day(struct ct_recorder *r, void (*fn)(struct ct_recorder *, const char *, void *), void *arg)
{
	int yfd = dup(r->dirfd);
	DIR *yd = yfd >= 0 ? fdopendir(yfd) : NULL;
	if (!yd) {
		if (yfd >= 0)
			close(yfd);
		return;
	}
	rewinddir(yd);
	struct dirent *y;
	while ((y = readdir(yd)) != NULL) {
		if (!all_digits(y->d_name, 4))
			continue;
		int mfd = open_dir_at(r->dirfd, y->d_name, false);
		DIR *md = mfd >= 0 ? fdopendir(mfd) : NULL;
		if (!md) {
			if (mfd >= 0)
				close(mfd);
			continue;
		}
		struct dirent *m;
		while ((m = readdir(md)) != NULL) {
			if (!all_digits(m->d_name, 2))
				continue;
			int dfd = open_dir_at(dirfd(md), m->d_name, false);
			DIR *dd = dfd >= 0 ? fdopendir(dfd) : NULL;
			if (!dd) {
				if (dfd >= 0)
					close(dfd);
				continue;
			}
			struct dirent *d;
			while ((d = readdir(dd)) != NULL) {
				if (!all_digits(d->d_name, 2))
					continue;
				char day[16];
				snprintf(day, sizeof(day), "%.4s/%.2s/%.2s", y->d_name, m->d_name, d->d_name);
				fn(r, day, arg);
			}
			closedir(dd);
		}
		closedir(md);
	}
	closedir(yd);
}

static void scan_day(struct ct_recorder *r, const char *day, void *arg)
{
	(void)arg;
	int dfd = rec_day_open(r, day, false);
	if (dfd < 0)
		return;
	int lfd = dup(dfd);
	DIR *d = lfd >= 0 ? fdopendir(lfd) : NULL;
	if (!d) {
		if (lfd >= 0)
			close(lfd);
		close(dfd);
		return;
	}
	/* names first, then repairs: a rename while reading the folder could be listed twice */
	char (*parts)[256] = NULL;
	size_t nparts = 0, cap = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		struct stat st;
		if (fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
			continue;
		if (!S_ISREG(st.st_mode)) {
			if (S_ISLNK(st.st_mode))
				ct_warn("recorder: %s/%s/%s is a symlink: not followed", r->dir, day, e->d_name);
			continue;
		}
		r->disk_bytes += (uint64_t)st.st_size;
		if (!ends_with(e->d_name, ".part") || strlen(e->d_name) >= 256)
			continue;
		if (nparts == cap) {
			size_t nc = cap ? cap * 2 : 8;
			void *np = realloc(parts, nc * sizeof(*parts));
			if (!np)
				break;
			parts = np;
			cap = nc;
		}
		snprintf(parts[nparts++], 256, "%s", e->d_name);
	}
	closedir(d);
	for (size_t i = 0; i < nparts; i++)
		repair_one(r, dfd, day, parts[i]);
	free(parts);
	close(dfd);
}

int rec_store_scan(struct ct_recorder *r)
{
	for_each_day(r, scan_day, NULL);
	/* the chain folder counts too */
	int cfd = dup(r->chaindirfd);
	DIR *d = cfd >= 0 ? fdopendir(cfd) : NULL;
	if (d) {
		rewinddir(d);
		struct dirent *e;
		while ((e = readdir(d)) != NULL) {
			struct stat st;
			if (fstatat(r->chaindirfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode))
				r->disk_bytes += (uint64_t)st.st_size;
		}
		closedir(d);
	} else if (cfd >= 0) {
		close(cfd);
	}
	return CT_OK;
}

/* ---- disk guard ---- */

void rec_store_guard(struct ct_recorder *r, ct_time_t now, bool force)
{
	uint64_t now_ms = now / 1000;
	if (!force && r->guard_checked_ms && now_ms < r->guard_checked_ms + 1000)
		return;
	r->guard_checked_ms = now_ms ? now_ms : 1;
	const char *why = NULL;
	bool clear = true;
	if (r->cfg.min_free_mb) {
		struct statvfs sv;
		if (fstatvfs(r->dirfd, &sv) == 0) {
			uint64_t free_b = (uint64_t)sv.f_bavail * sv.f_frsize;
			uint64_t min_b = (uint64_t)r->cfg.min_free_mb << 20;
			if (free_b < min_b)
				why = "min_free_mb";
			if (free_b < min_b + min_b / 20)
				clear = false; /* 5 % hysteresis before recording again */
		}
	}
	if (r->cfg.max_mb) {
		uint64_t max_b = (uint64_t)r->cfg.max_mb << 20;
		if (r->disk_bytes >= max_b)
			why = "max_mb";
		if (r->disk_bytes >= max_b - max_b / 20)
			clear = false;
	}
	if (why && !r->guard) {
		ct_warn("recorder: %s reached in %s: recording stops", why, r->dir);
		r->guard = true;
		rec_engine_stop_all(r, why, now);
	} else if (r->guard && clear) {
		ct_info("recorder: space in %s again: recording resumes for new calls", r->dir);
		r->guard = false;
	}
}

/* ---- retention ---- */

struct oldest {
	char day[16];
	char cutoff[40];
};

static void find_oldest(struct ct_recorder *r, const char *day, void *arg)
{
	(void)r;
	struct oldest *o = arg;
	if (strcmp(day, o->cutoff) < 0 && (!o->day[0] || strcmp(day, o->day) < 0))
		snprintf(o->day, sizeof(o->day), "%s", day);
}

static void rmdir_parents(struct ct_recorder *r, const char *day)
{
	char p[16];
	snprintf(p, sizeof(p), "%s", day);
	(void)unlinkat(r->dirfd, p, AT_REMOVEDIR);
	p[7] = '\0';
	(void)unlinkat(r->dirfd, p, AT_REMOVEDIR); /* fails while the month holds other days */
	p[4] = '\0';
	(void)unlinkat(r->dirfd, p, AT_REMOVEDIR);
}

void rec_store_retention(struct ct_recorder *r)
{
	if (!r->cfg.retention_days)
		return;
	time_t now = r->cfg.wall_clock ? r->cfg.wall_clock() : time(NULL);
	if (!r->retention_busy) {
		if (now < r->retention_next)
			return;
		r->retention_next = now + RETENTION_EVERY_S;
		struct oldest o;
		memset(&o, 0, sizeof(o));
		time_t cut = now - (time_t)r->cfg.retention_days * 86400;
		struct tm tm;
		gmtime_r(&cut, &tm);
		snprintf(o.cutoff, sizeof(o.cutoff), "%04d/%02d/%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
		for_each_day(r, find_oldest, &o);
		if (!o.day[0])
			return;
		snprintf(r->retention_day, sizeof(r->retention_day), "%s", o.day);
		r->retention_busy = true;
		r->retention_files = 0;
	}
	int dfd = rec_day_open(r, r->retention_day, false);
	unsigned removed = 0, left = 0;
	if (dfd >= 0) {
		int lfd = dup(dfd);
		DIR *d = lfd >= 0 ? fdopendir(lfd) : NULL;
		struct dirent *e;
		while (d && (e = readdir(d)) != NULL && removed < RETENTION_BATCH) {
			if (e->d_name[0] == '.')
				continue;
			struct stat st;
			if (fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
				continue;
			if (ends_with(e->d_name, ".part")) {
				left++; /* still being written: left alone */
				continue;
			}
			if (unlinkat(dfd, e->d_name, 0) == 0) {
				removed++;
				if (S_ISREG(st.st_mode))
					r->disk_bytes -= (uint64_t)st.st_size < r->disk_bytes ? (uint64_t)st.st_size : r->disk_bytes;
			}
		}
		if (d)
			closedir(d);
		else if (lfd >= 0)
			close(lfd);
		close(dfd);
	}
	r->retention_files += removed;
	r->st.retention_files += removed;
	if (removed == RETENTION_BATCH)
		return; /* more next tick */
	(void)left;
	rmdir_parents(r, r->retention_day);
	struct rec_entry e = { .ts = r->now, .action = "retention", .day = r->retention_day, .files = r->retention_files };
	struct ct_rec_chain chain;
	rec_chain_append(r, &e, &chain);
	struct ct_rec_event ev = { .kind = CT_REC_EV_RETENTION,
				   .ts = r->now,
				   .reason = r->retention_day,
				   .files = r->retention_files,
				   .chain = &chain };
	rec_emit(r, &ev);
	r->retention_busy = false;
	r->retention_next = 0; /* look for the next old day at once */
}
