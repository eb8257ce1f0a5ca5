/* recorder_verify.c - `ctitap verify DIR`: a recordings folder checked against its hash chain
 * (format in recorder_chain.c): every entry's hash, link and signature, the state file, every
 * file's size and SHA-256, and what no entry names. Reads hostile input (a folder anyone may
 * have changed): every line is parsed with bounds, every path checked to be ctitap's shape
 * before it is opened, nothing followed through a symlink. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "recorder_int.h"

/* ---- verify ---- */

struct ventry {
	uint64_t seq;
	uint8_t prev[32], hash[32];
	char action[16], file[REC_PATH_MAX + 16], day[16], src[48];
	uint64_t bytes;
	char sha[65];
	bool has_file;
};

struct vctx {
	int dirfd, chainfd;
	FILE *rep;
	unsigned problems;
	struct ventry *e;
	size_t n, cap;
	const char *pubkey_file;
	uint8_t pk[32];
	bool have_pk;
	char pk_id[17];
};

static void vreport(struct vctx *v, const char *fmt, ...) CT_PRINTF(2, 3);
static void vreport(struct vctx *v, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfprintf(v->rep, fmt, ap);
	va_end(ap);
	fputc('\n', v->rep);
	v->problems++;
}

static void copy_field(char *dst, size_t cap, const struct jfield *f)
{
	size_t n = f->p ? (f->len < cap - 1 ? f->len : cap - 1) : 0;
	if (n)
		memcpy(dst, f->p, n);
	dst[n] = '\0';
}

static bool pk_for(struct vctx *v, const char *keyid, uint8_t pk[32])
{
	if (v->have_pk && strcmp(keyid, v->pk_id) == 0) {
		memcpy(pk, v->pk, 32);
		return true;
	}
	if (v->pubkey_file)
		return false; /* only the trusted key counts */
	char name[64], err[128];
	snprintf(name, sizeof(name), "signing-%.16s.pub", keyid);
	int fd = openat(v->chainfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return false;
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	int rc = rec_key_load(path, pk, 32, err, sizeof(err));
	close(fd);
	return rc == CT_OK;
}

static void verify_line(void *arg, const char *src, unsigned lineno, const char *line, size_t len)
{
	struct vctx *v = arg;
	while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	if (!len)
		return;
	struct jfield f[] = { { .key = "seq" },  { .key = "prev" },  { .key = "hash" }, { .key = "sig" },
			      { .key = "key" },  { .key = "action" }, { .key = "file" }, { .key = "bytes" },
			      { .key = "sha256" }, { .key = "day" } };
	struct ventry e;
	memset(&e, 0, sizeof(e));
	snprintf(e.src, sizeof(e.src), "%.32s:%u", src, lineno);
	uint8_t h[32];
	if (!rec_json_fields(line, len, f, CT_ARRAY_SIZE(f)) || !rec_jf_u64(&f[0], &e.seq) || !rec_jf_hex(&f[1], e.prev, 32) ||
	    !rec_jf_hex(&f[2], e.hash, 32)) {
		vreport(v, "chain/%s: not a chain entry", e.src);
		return;
	}
	if (!rec_line_body_hash(line, len, h) || sodium_memcmp(h, e.hash, 32) != 0) {
		vreport(v, "chain/%s: entry seq %" PRIu64 " was altered (its hash does not match its text)", e.src,
			e.seq);
		memcpy(e.hash, h, 32); /* what it hashes to now, so its successor's link shows it too */
	}
	if (f[3].p) {
		char keyid[17];
		copy_field(keyid, sizeof(keyid), &f[4]);
		uint8_t sig[crypto_sign_BYTES], pk[32];
		if (!pk_for(v, keyid, pk))
			vreport(v, "chain/%s: entry seq %" PRIu64 " is signed by key %s, which is not available", e.src,
				e.seq, keyid);
		else if (!rec_jf_hex(&f[3], sig, sizeof(sig)) || crypto_sign_verify_detached(sig, e.hash, 32, pk) != 0)
			vreport(v, "chain/%s: entry seq %" PRIu64 ": bad signature", e.src, e.seq);
	} else if (v->have_pk) {
		vreport(v, "chain/%s: entry seq %" PRIu64 " is not signed", e.src, e.seq);
	}
	copy_field(e.action, sizeof(e.action), &f[5]);
	copy_field(e.day, sizeof(e.day), &f[9]);
	if (f[6].p) {
		copy_field(e.file, sizeof(e.file), &f[6]);
		copy_field(e.sha, sizeof(e.sha), &f[8]);
		e.has_file = rec_jf_u64(&f[7], &e.bytes) && e.sha[0];
	}
	if (v->n == v->cap) {
		size_t nc = v->cap ? v->cap * 2 : 256;
		void *np = realloc(v->e, nc * sizeof(*v->e));
		if (!np)
			return;
		v->e = np;
		v->cap = nc;
	}
	v->e[v->n++] = e;
}

static int cmp_seq(const void *a, const void *b)
{
	const struct ventry *x = a, *y = b;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* The newest entry naming path (the latest word on a file: repaired, broken ...). */
static const struct ventry *entry_of(struct vctx *v, const char *path)
{
	const struct ventry *best = NULL;
	for (size_t i = 0; i < v->n; i++)
		if (v->e[i].file[0] && strcmp(v->e[i].file, path) == 0)
			best = &v->e[i];
	return best;
}

static bool retained_after(struct vctx *v, const char *path, uint64_t seq)
{
	for (size_t i = 0; i < v->n; i++)
		if (v->e[i].seq > seq && strcmp(v->e[i].action, "retention") == 0 && strncmp(v->e[i].day, path, 10) == 0)
			return true;
	return false;
}

static void check_file(struct vctx *v, const struct ventry *e, uint8_t *buf, size_t cap)
{
	if (!rec_path_ok(e->file)) {
		vreport(v, "chain/%s: entry seq %" PRIu64 " names a path ctitap never writes: %s", e->src, e->seq, e->file);
		return;
	}
	if (retained_after(v, e->file, e->seq))
		return;
	char day[11];
	memcpy(day, e->file, 10);
	day[10] = '\0';
	int fd = -1, dfd = rec_day_openat(v->dirfd, day, false);
	if (dfd >= 0) {
		fd = openat(dfd, e->file + 11, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		close(dfd);
	}
	if (fd < 0) {
		vreport(v, "missing file: %s (chain seq %" PRIu64 ")", e->file, e->seq);
		return;
	}
	crypto_hash_sha256_state s;
	crypto_hash_sha256_init(&s);
	uint64_t size = 0;
	ssize_t k;
	while ((k = read(fd, buf, cap)) > 0) {
		crypto_hash_sha256_update(&s, buf, (size_t)k);
		size += (uint64_t)k;
	}
	close(fd);
	uint8_t d[32];
	char hex[65];
	crypto_hash_sha256_final(&s, d);
	rec_hex(d, 32, hex);
	if (size != e->bytes || strcmp(hex, e->sha) != 0)
		vreport(v, "changed file: %s (chain seq %" PRIu64 ": %" PRIu64 " bytes sha256 %.16s..., now %" PRIu64
			   " bytes sha256 %.16s...)",
			e->file, e->seq, e->bytes, e->sha, size, hex);
}

static void unexpected_in_day(const char *day, void *arg)
{
	struct vctx *v = arg;
	int dfd = rec_day_openat(v->dirfd, day, false);
	DIR *d = dfd >= 0 ? rec_opendir(dfd) : NULL;
	struct dirent *f;
	while (d && (f = readdir(d)) != NULL) {
		if (f->d_name[0] == '.')
			continue;
		char path[300];
		snprintf(path, sizeof(path), "%s/%.255s", day, f->d_name);
		size_t pl = strlen(path);
		if (pl > 5 && strcmp(path + pl - 5, ".part") == 0)
			fprintf(v->rep, "in progress: %s (or left by a crash: the next start repairs it)\n", path);
		else if (!entry_of(v, path))
			vreport(v, "unexpected file: %s (no chain entry names it)", path);
	}
	if (d)
		closedir(d);
	if (dfd >= 0)
		close(dfd);
}

int ct_recorder_verify(const char *dir, const char *pubkey_file, FILE *report)
{
	if (sodium_init() < 0)
		return CT_EIO;
	struct vctx v;
	memset(&v, 0, sizeof(v));
	v.rep = report;
	v.pubkey_file = pubkey_file;
	if (pubkey_file) {
		char err[256];
		int krc = rec_key_load(pubkey_file, v.pk, 32, err, sizeof(err));
		if (krc != CT_OK) {
			fprintf(report, "verify: %s\n", err);
			return krc;
		}
		v.have_pk = true;
		rec_hex(v.pk, 8, v.pk_id);
	}
	v.dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (v.dirfd < 0) {
		int e = errno;
		fprintf(report, "verify: %s: %s\n", dir, strerror(e));
		return ct_esys(e);
	}
	v.chainfd = openat(v.dirfd, "chain", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (v.chainfd < 0) {
		int e = errno;
		fprintf(report, "verify: %s/chain: %s\n", dir, strerror(e));
		close(v.dirfd);
		return ct_esys(e);
	}
	rec_chain_each_line(v.chainfd, verify_line, &v);
	qsort(v.e, v.n, sizeof(*v.e), cmp_seq);
	/* the links */
	for (size_t i = 0; i < v.n; i++) {
		const struct ventry *e = &v.e[i];
		if (i == 0) {
			static const uint8_t zero[32];
			if (e->seq != 1 || sodium_memcmp(e->prev, zero, 32) != 0)
				fprintf(report, "note: the chain starts at seq %" PRIu64 " (earlier logs are not here)\n",
					e->seq);
			continue;
		}
		const struct ventry *p = &v.e[i - 1];
		if (e->seq == p->seq)
			vreport(&v, "entry seq %" PRIu64 " appears twice (%s and %s)", e->seq, p->src, e->src);
		else if (e->seq != p->seq + 1)
			vreport(&v, "entries seq %" PRIu64 " to %" PRIu64 " are missing (removed records)", p->seq + 1,
				e->seq - 1);
		else if (sodium_memcmp(e->prev, p->hash, 32) != 0)
			vreport(&v, "chain/%s: entry seq %" PRIu64 " does not follow seq %" PRIu64
				    " (its prev is not that entry's hash)",
				e->src, e->seq, p->seq);
	}
	/* the state: entries after it would be missing at the end */
	int sfd = openat(v.chainfd, "state", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (sfd >= 0) {
		char text[512];
		ssize_t n = read(sfd, text, sizeof(text) - 1);
		close(sfd);
		uint64_t sseq = 0;
		text[n > 0 ? n : 0] = '\0';
		if (sscanf(text, "ctitap-chain 1\nseq %" SCNu64, &sseq) == 1 && v.n && sseq > v.e[v.n - 1].seq)
			vreport(&v, "entries after seq %" PRIu64 " are missing (the state file names seq %" PRIu64 ")",
				v.e[v.n - 1].seq, sseq);
	}
	/* the files: each path's newest entry */
	uint8_t *buf = malloc(REC_SCRATCH);
	size_t checked = 0;
	for (size_t i = 0; buf && i < v.n; i++) {
		const struct ventry *e = &v.e[i];
		if (!e->has_file || entry_of(&v, e->file) != e)
			continue;
		check_file(&v, e, buf, REC_SCRATCH);
		checked++;
	}
	free(buf);
	rec_walk_days(v.dirfd, unexpected_in_day, &v);
	if (v.n)
		fprintf(report, "verify: %zu chain entries (seq %" PRIu64 " to %" PRIu64 "), %zu files checked: %s\n", v.n,
			v.e[0].seq, v.e[v.n - 1].seq, checked,
			v.problems ? "PROBLEMS FOUND" : "everything agrees");
	else
		fprintf(report, "verify: no chain entries in %s/chain\n", dir);
	free(v.e);
	close(v.chainfd);
	close(v.dirfd);
	return v.problems ? 1 : 0;
}
