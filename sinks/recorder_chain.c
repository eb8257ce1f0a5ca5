/* recorder_chain.c - the recordings' hash chain and the tools that check and open them.
 *
 * Every recording action (start, pause, resume, stop, a file, a repair, retention) is an
 * entry: one line of DIR/chain/YYYY-MM-DD.jsonl (UTC date of its packet time),
 *
 *   B = {"v":1,"seq":N,"prev":"<hex SHA-256 of entry N-1>","sensor":...,"ts":...,"action":...,...}
 *   line = B without its closing brace + ,"hash":"<hex SHA-256 of B>"[,"key":..,"sig":..] + }
 *
 * so an entry altered, removed or inserted breaks the hashes or the links, and with a signing
 * key (Ed25519 over the 32 hash bytes) cannot be rebuilt without the key. DIR/chain/state
 * holds the last seq and hash (written atomically: temporary file, fsync, rename) every 64
 * entries and when the log changes; at start-up the log's tail after it is adopted when its
 * links hold. The records ctitap writes carry the same seq, prev, hash and sig, so the copies
 * that left the sensor (Kafka, files) anchor the chain: a log cut at its end is seen by
 * comparing its last hash with the last record's.
 *
 * Encrypted files: magic "CTREC\1\0\0", crypto_box_seal(per-file key, recipient public key),
 * the XChaCha20-Poly1305 secretstream header, then chunks [u32 le length][ciphertext]: the
 * first an info chunk (kind; for a WAV its initial header), then the data, then a final
 * chunk tagged FINAL (a WAV's final header; empty for a stream).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../util/log.h"
#include "recorder_int.h"

#define STATE_EVERY 64
#define TAIL_BYTES (256 * 1024)

/* ---- keys ---- */

int rec_key_load(const char *path, uint8_t *key, size_t keylen, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "key file %s: %s", path, strerror(errno));
		return CT_EPERM;
	}
	char text[1024];
	ssize_t n = read(fd, text, sizeof(text) - 1);
	close(fd);
	size_t got = 0;
	if (n <= 0 || sodium_hex2bin(key, keylen, text, (size_t)n, " \t\r\n", &got, NULL) != 0 || got != keylen) {
		snprintf(err, errlen, "key file %s: expected %zu bytes in hex", path, keylen);
		return CT_EFORMAT;
	}
	sodium_memzero(text, sizeof(text));
	return CT_OK;
}

static int write_file_excl(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0)
		return CT_EIO;
	(void)fchmod(fd, mode);
	size_t n = strlen(text);
	bool ok = write(fd, text, n) == (ssize_t)n && fsync(fd) == 0;
	close(fd);
	return ok ? CT_OK : CT_EIO;
}

int ct_recorder_keygen(const char *kind, const char *prefix, FILE *report)
{
	if (sodium_init() < 0)
		return CT_EIO;
	char kpath[4096], ppath[4096];
	snprintf(kpath, sizeof(kpath), "%s.key", prefix);
	snprintf(ppath, sizeof(ppath), "%s.pub", prefix);
	uint8_t sk[crypto_sign_SECRETKEYBYTES], pk[crypto_sign_PUBLICKEYBYTES];
	size_t sklen, pklen;
	if (strcmp(kind, "sign") == 0) {
		crypto_sign_keypair(pk, sk);
		sklen = crypto_sign_SECRETKEYBYTES;
		pklen = crypto_sign_PUBLICKEYBYTES;
	} else if (strcmp(kind, "box") == 0) {
		crypto_box_keypair(pk, sk);
		sklen = crypto_box_SECRETKEYBYTES;
		pklen = crypto_box_PUBLICKEYBYTES;
	} else {
		fprintf(report, "keygen: kind is sign or box, not %s\n", kind);
		return CT_EINVAL;
	}
	char hex[2 * crypto_sign_SECRETKEYBYTES + 2];
	rec_hex(sk, sklen, hex);
	hex[2 * sklen] = '\n';
	hex[2 * sklen + 1] = '\0';
	int rc = write_file_excl(kpath, hex, 0600);
	sodium_memzero(sk, sizeof(sk));
	sodium_memzero(hex, sizeof(hex));
	if (rc == CT_OK) {
		rec_hex(pk, pklen, hex);
		hex[2 * pklen] = '\n';
		hex[2 * pklen + 1] = '\0';
		rc = write_file_excl(ppath, hex, 0644);
	}
	if (rc != CT_OK)
		fprintf(report, "keygen: cannot create %s or %s (they must not exist): %s\n", kpath, ppath,
			strerror(errno));
	else
		fprintf(report, "keygen: %s (secret, 0600) and %s written\n", kpath, ppath);
	return rc;
}

/* ---- state ---- */

static void log_name_of(ct_time_t ts, char *out, size_t cap)
{
	time_t t = (time_t)(ts / CT_USEC_PER_SEC);
	struct tm tm;
	gmtime_r(&t, &tm);
	snprintf(out, cap, "%04d-%02d-%02d.jsonl", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

static int state_write(struct ct_recorder *r)
{
	if (r->logfd >= 0)
		(void)fdatasync(r->logfd); /* the state never names an entry the disk does not hold */
	char hex[65], text[256];
	rec_hex(r->last_hash, 32, hex);
	int n = snprintf(text, sizeof(text), "ctitap-chain 1\nseq %" PRIu64 "\nhash %s\nlog %s\n", r->seq, hex,
			 r->logname);
	int fd = openat(r->chaindirfd, "state.tmp", O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0640);
	if (fd < 0)
		return CT_EIO;
	bool ok = write(fd, text, (size_t)n) == n && fsync(fd) == 0;
	close(fd);
	if (!ok || renameat(r->chaindirfd, "state.tmp", r->chaindirfd, "state") != 0)
		return CT_EIO;
	(void)fsync(r->chaindirfd);
	r->since_state = 0;
	r->log_dirty = false;
	return CT_OK;
}

void rec_chain_sync(struct ct_recorder *r)
{
	if (r->log_dirty && r->logfd >= 0) {
		(void)fdatasync(r->logfd);
		r->log_dirty = false;
	}
}

/* ---- a minimal reader for the flat JSON objects of the chain ---- */

struct jfield {
	const char *key;
	const char *p; /* value text (a string's content without quotes, escapes left as they are) */
	size_t len;
	bool str;
};

/* Finds the top-level fields named in f[] of the object in line[0..len). Returns false when
 * the line is not a JSON object of that shape. Nested values are skipped. */
static bool json_fields(const char *s, size_t len, struct jfield *f, size_t nf)
{
	size_t i = 0;
	for (size_t k = 0; k < nf; k++)
		f[k].p = NULL;
#define WS()                                                                           \
	while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n')) \
	i++
	WS();
	if (i >= len || s[i++] != '{')
		return false;
	WS();
	if (i < len && s[i] == '}')
		return true;
	for (;;) {
		WS();
		if (i >= len || s[i] != '"')
			return false;
		size_t ks = ++i;
		while (i < len && s[i] != '"')
			i += s[i] == '\\' ? 2 : 1;
		if (i >= len)
			return false;
		size_t kl = i - ks;
		i++;
		WS();
		if (i >= len || s[i++] != ':')
			return false;
		WS();
		if (i >= len)
			return false;
		size_t vs = i, vl;
		bool str = false;
		if (s[i] == '"') {
			vs = ++i;
			while (i < len && s[i] != '"')
				i += s[i] == '\\' ? 2 : 1;
			if (i >= len)
				return false;
			vl = i - vs;
			i++;
			str = true;
		} else if (s[i] == '{' || s[i] == '[') {
			int depth = 0;
			bool in = false;
			for (; i < len; i++) {
				if (in) {
					if (s[i] == '\\')
						i++;
					else if (s[i] == '"')
						in = false;
				} else if (s[i] == '"') {
					in = true;
				} else if (s[i] == '{' || s[i] == '[') {
					depth++;
				} else if ((s[i] == '}' || s[i] == ']') && --depth == 0) {
					i++;
					break;
				}
			}
			if (depth)
				return false;
			vl = i - vs;
		} else {
			while (i < len && s[i] != ',' && s[i] != '}' && s[i] != ' ')
				i++;
			vl = i - vs;
		}
		for (size_t k = 0; k < nf; k++)
			if (strlen(f[k].key) == kl && memcmp(f[k].key, s + ks, kl) == 0 && !f[k].p) {
				f[k].p = s + vs;
				f[k].len = vl;
				f[k].str = str;
			}
		WS();
		if (i >= len)
			return false;
		if (s[i] == '}')
			return true;
		if (s[i++] != ',')
			return false;
	}
#undef WS
}

static bool jf_u64(const struct jfield *f, uint64_t *v)
{
	if (!f->p || f->str || f->len == 0 || f->len > 20)
		return false;
	uint64_t x = 0;
	for (size_t i = 0; i < f->len; i++) {
		if (f->p[i] < '0' || f->p[i] > '9')
			return false;
		x = x * 10 + (uint64_t)(f->p[i] - '0');
	}
	*v = x;
	return true;
}

static bool jf_hex(const struct jfield *f, uint8_t *out, size_t n)
{
	size_t got = 0;
	return f->p && f->str && f->len == 2 * n && sodium_hex2bin(out, n, f->p, f->len, NULL, &got, NULL) == 0 &&
	       got == n;
}

/* The hash of a chain line: SHA-256 of the line up to its ,"hash": with the brace put back. */
static bool line_body_hash(const char *line, size_t len, uint8_t h[32])
{
	const char *tag = ",\"hash\":\"";
	const char *at = NULL;
	for (const char *p = line; (p = memmem(p, len - (size_t)(p - line), tag, strlen(tag))) != NULL; p++)
		at = p;
	if (!at)
		return false;
	crypto_hash_sha256_state s;
	crypto_hash_sha256_init(&s);
	crypto_hash_sha256_update(&s, (const uint8_t *)line, (size_t)(at - line));
	crypto_hash_sha256_update(&s, (const uint8_t *)"}", 1);
	crypto_hash_sha256_final(&s, h);
	return true;
}

/* Reads a line's seq, prev and hash and checks the hash; false when it is not an intact entry. */
static bool entry_parse(const char *line, size_t len, uint64_t *seq, uint8_t prev[32], uint8_t hash[32])
{
	struct jfield f[3] = { { .key = "seq" }, { .key = "prev" }, { .key = "hash" } };
	uint8_t h[32];
	if (!json_fields(line, len, f, 3) || !jf_u64(&f[0], seq) || !jf_hex(&f[1], prev, 32) ||
	    !jf_hex(&f[2], hash, 32) || !line_body_hash(line, len, h))
		return false;
	return sodium_memcmp(h, hash, 32) == 0;
}

/* Adopts entries of the log after the state (written between the last state and a crash);
 * cuts a partial last line a power cut left. */
static void adopt_tail(struct ct_recorder *r, int fd)
{
	struct stat st;
	if (fstat(fd, &st) != 0 || st.st_size == 0)
		return;
	uint64_t size = (uint64_t)st.st_size;
	uint64_t from = size > TAIL_BYTES ? size - TAIL_BYTES : 0;
	char *buf = malloc(TAIL_BYTES + 1);
	if (!buf)
		return;
	ssize_t n = pread(fd, buf, (size_t)(size - from), (off_t)from);
	if (n <= 0) {
		free(buf);
		return;
	}
	size_t end = (size_t)n;
	while (end && buf[end - 1] != '\n')
		end--;
	if (end < (size_t)n) {
		ct_warn("recorder: chain log %s ends in a partial line (a power cut): cut", r->logname);
		if (ftruncate(fd, (off_t)(from + end)) != 0)
			ct_warn("recorder: cannot cut the chain log: %s", strerror(errno));
	}
	size_t i = 0;
	if (from) {
		while (i < end && buf[i] != '\n')
			i++; /* the first line may be cut by the window */
		i++;
	}
	while (i < end) {
		size_t j = i;
		while (j < end && buf[j] != '\n')
			j++;
		uint64_t seq;
		uint8_t prev[32], hash[32];
		if (entry_parse(buf + i, j - i, &seq, prev, hash) && seq == r->seq + 1 &&
		    sodium_memcmp(prev, r->last_hash, 32) == 0) {
			r->seq = seq;
			memcpy(r->last_hash, hash, 32);
		}
		i = j + 1;
	}
	free(buf);
}

static int state_read(struct ct_recorder *r, char *err, size_t errlen)
{
	int fd = openat(r->chaindirfd, "state", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno != ENOENT) {
			snprintf(err, errlen, "%s/chain/state: %s", r->dir, strerror(errno));
			return CT_EPERM;
		}
		return CT_ENOENT;
	}
	char text[512];
	ssize_t n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n < 0)
		n = 0;
	text[n] = '\0';
	char hex[80] = "", log[40] = "";
	uint64_t seq = 0;
	size_t got = 0;
	if (sscanf(text, "ctitap-chain 1\nseq %" SCNu64 "\nhash %79s\nlog %39s", &seq, hex, log) < 2 ||
	    sodium_hex2bin(r->last_hash, 32, hex, strlen(hex), NULL, &got, NULL) != 0 || got != 32) {
		snprintf(err, errlen, "%s/chain/state is malformed (move it away to start a new chain)", r->dir);
		return CT_EFORMAT;
	}
	r->seq = seq;
	if (log[0] && strlen(log) < sizeof(r->logname) && strspn(log, "0123456789-.jsonl") == strlen(log)) {
		int lfd = openat(r->chaindirfd, log, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
		if (lfd >= 0) {
			snprintf(r->logname, sizeof(r->logname), "%s", log);
			adopt_tail(r, lfd);
			close(lfd);
		}
	}
	return CT_OK;
}

/* No state file but logs (it was lost): the chain continues from the highest intact entry. */
static void state_recover(struct ct_recorder *r)
{
	int dfd = dup(r->chaindirfd);
	DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
	if (!d) {
		if (dfd >= 0)
			close(dfd);
		return;
	}
	rewinddir(d);
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		size_t nl = strlen(e->d_name);
		if (nl < 6 || strcmp(e->d_name + nl - 6, ".jsonl") != 0)
			continue;
		int fd = openat(r->chaindirfd, e->d_name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		FILE *f = fd >= 0 ? fdopen(fd, "r") : NULL;
		if (!f) {
			if (fd >= 0)
				close(fd);
			continue;
		}
		char *line = NULL;
		size_t cap = 0;
		ssize_t n;
		while ((n = getline(&line, &cap, f)) > 0) {
			uint64_t seq;
			uint8_t prev[32], hash[32];
			if (entry_parse(line, (size_t)n, &seq, prev, hash) && seq > r->seq) {
				r->seq = seq;
				memcpy(r->last_hash, hash, 32);
			}
		}
		free(line);
		fclose(f);
	}
	closedir(d);
	if (r->seq)
		ct_warn("recorder: %s/chain/state was missing: the chain continues after seq %" PRIu64, r->dir, r->seq);
}

int rec_chain_open(struct ct_recorder *r, char *err, size_t errlen)
{
	r->logfd = -1;
	r->lockfd = openat(r->chaindirfd, "lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0640);
	if (r->lockfd < 0) {
		snprintf(err, errlen, "%s/chain/lock: %s", r->dir, strerror(errno));
		return CT_EPERM;
	}
	if (flock(r->lockfd, LOCK_EX | LOCK_NB) != 0) {
		snprintf(err, errlen, "%s is in use by another ctitap (chain/lock)", r->dir);
		return CT_ELIMIT;
	}
	int rc = state_read(r, err, errlen);
	if (rc == CT_ENOENT)
		state_recover(r);
	else if (rc != CT_OK)
		return rc;
	if (r->sign) {
		/* the public key beside the chain, named by its id, for `ctitap verify` (which takes
		 * a trusted copy with --pubkey: this one could be replaced along with the chain) */
		char name[64], hex[65];
		const uint8_t *pk = r->sign_sk + crypto_sign_SEEDBYTES;
		rec_hex(pk, 8, hex);
		snprintf(name, sizeof(name), "signing-%.16s.pub", hex);
		int fd = openat(r->chaindirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (fd >= 0) {
			rec_hex(pk, 32, hex);
			hex[64] = '\n';
			bool ok = write(fd, hex, 65) == 65;
			close(fd);
			if (!ok)
				ct_warn("recorder: cannot write %s/chain/%s", r->dir, name);
		}
	}
	return CT_OK;
}

void rec_chain_close(struct ct_recorder *r)
{
	if (r->lockfd >= 0 && (r->since_state || r->log_dirty))
		state_write(r);
	if (r->logfd >= 0)
		close(r->logfd);
	if (r->lockfd >= 0)
		close(r->lockfd); /* releases the lock */
	r->logfd = r->lockfd = -1;
}

/* ---- entries ---- */

static const char *kind_name(enum ct_rec_file_kind k)
{
	return k == CT_REC_FILE_AUDIO ? "audio" : k == CT_REC_FILE_PAYLOAD ? "payload" : "evidence";
}

int rec_chain_append(struct ct_recorder *r, const struct rec_entry *e, struct ct_rec_chain *out)
{
	struct ct_json *j = &r->json;
	ct_json_reset(j);
	ct_json_obj_begin(j);
	ct_json_kv_u64(j, "v", 1);
	ct_json_kv_u64(j, "seq", r->seq + 1);
	char prev[65];
	rec_hex(r->last_hash, 32, prev);
	ct_json_kv_str(j, "prev", prev);
	ct_json_kv_text(j, "sensor", (const uint8_t *)r->sensor, strlen(r->sensor), 127);
	ct_json_kv_time(j, "ts", e->ts);
	ct_json_kv_str(j, "action", e->action);
	if (e->call)
		ct_json_kv_text(j, "call", (const uint8_t *)e->call, strlen(e->call), 64);
	if (e->device)
		ct_json_kv_text(j, "device", (const uint8_t *)e->device, strlen(e->device), 64);
	if (e->reason)
		ct_json_kv_str(j, "reason", e->reason);
	if (e->file && e->file->path) {
		const struct ct_rec_file *f = e->file;
		ct_json_kv_str(j, "kind", kind_name(f->kind));
		ct_json_kv_str(j, "file", f->path);
		if (f->format)
			ct_json_kv_str(j, "format", f->format);
		if (f->codec)
			ct_json_kv_str(j, "codec", f->codec);
		if (f->sha256[0]) {
			ct_json_kv_u64(j, "duration_ms", f->duration_ms);
			ct_json_kv_u64(j, "bytes", f->bytes);
			ct_json_kv_str(j, "sha256", f->sha256);
			ct_json_kv_u64(j, "packets", f->packets);
			ct_json_kv_i64(j, "lost", f->lost);
		}
	}
	if (e->day) {
		ct_json_kv_str(j, "day", e->day);
		ct_json_kv_u64(j, "files", e->files);
	}
	char keyid[17] = "";
	if (r->sign) {
		rec_hex(r->sign_sk + crypto_sign_SEEDBYTES, 8, keyid);
		ct_json_kv_str(j, "key", keyid);
	}
	ct_json_obj_end(j);
	if (j->err)
		return j->err;
	uint8_t h[32];
	crypto_hash_sha256((uint8_t *)h, (const uint8_t *)j->buf, j->len);
	char hash[65], sig[129] = "";
	rec_hex(h, 32, hash);
	if (r->sign) {
		uint8_t s[crypto_sign_BYTES];
		crypto_sign_detached(s, NULL, h, 32, r->sign_sk);
		rec_hex(s, sizeof(s), sig);
	}
	/* the line: the body without its brace, then the hash and signature */
	char tail[256];
	int tn = snprintf(tail, sizeof(tail), ",\"hash\":\"%s\"%s%s%s}\n", hash, sig[0] ? ",\"sig\":\"" : "", sig,
			  sig[0] ? "\"" : "");
	char name[48];
	log_name_of(e->ts, name, sizeof(name));
	if (r->logfd < 0 || strcmp(name, r->logname) != 0) {
		int fd = openat(r->chaindirfd, name, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0640);
		if (fd < 0) {
			ct_warn("recorder: chain log %s/chain/%s: %s", r->dir, name, strerror(errno));
			return CT_EIO;
		}
		if (r->logfd >= 0)
			close(r->logfd);
		r->logfd = fd;
		snprintf(r->logname, sizeof(r->logname), "%s", name);
		r->since_state = STATE_EVERY; /* the state names the new log */
	}
	/* one write of the whole line: an O_APPEND write is not interleaved, and a crash leaves
	 * at most a partial last line, cut at start-up */
	size_t blen = j->len - 1;
	char *line = malloc(blen + (size_t)tn);
	if (!line)
		return CT_ENOMEM;
	memcpy(line, j->buf, blen);
	memcpy(line + blen, tail, (size_t)tn);
	ssize_t w = write(r->logfd, line, blen + (size_t)tn);
	free(line);
	if (w != (ssize_t)(blen + (size_t)tn)) {
		ct_warn("recorder: chain log %s/chain/%s: write failed", r->dir, name);
		return CT_EIO;
	}
	r->disk_bytes += (uint64_t)w;
	r->seq++;
	memcpy(r->last_hash, h, 32);
	r->log_dirty = true;
	r->st.chain_entries++;
	if (++r->since_state >= STATE_EVERY)
		state_write(r);
	if (out) {
		out->seq = r->seq;
		memcpy(out->prev, prev, sizeof(out->prev));
		memcpy(out->hash, hash, sizeof(out->hash));
		memcpy(out->sig, sig, sizeof(out->sig));
	}
	return CT_OK;
}

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

/* A path from the chain as ctitap writes it: YYYY/MM/DD/<[A-Za-z0-9._-]+>, no "..". */
static bool path_ok(const char *p)
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

static void verify_line(struct vctx *v, const char *src, unsigned lineno, const char *line, size_t len)
{
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
	if (!json_fields(line, len, f, CT_ARRAY_SIZE(f)) || !jf_u64(&f[0], &e.seq) || !jf_hex(&f[1], e.prev, 32) ||
	    !jf_hex(&f[2], e.hash, 32)) {
		vreport(v, "chain/%s: not a chain entry", e.src);
		return;
	}
	if (!line_body_hash(line, len, h) || sodium_memcmp(h, e.hash, 32) != 0) {
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
		else if (!jf_hex(&f[3], sig, sizeof(sig)) || crypto_sign_verify_detached(sig, e.hash, 32, pk) != 0)
			vreport(v, "chain/%s: entry seq %" PRIu64 ": bad signature", e.src, e.seq);
	} else if (v->have_pk) {
		vreport(v, "chain/%s: entry seq %" PRIu64 " is not signed", e.src, e.seq);
	}
	copy_field(e.action, sizeof(e.action), &f[5]);
	copy_field(e.day, sizeof(e.day), &f[9]);
	if (f[6].p) {
		copy_field(e.file, sizeof(e.file), &f[6]);
		copy_field(e.sha, sizeof(e.sha), &f[8]);
		e.has_file = jf_u64(&f[7], &e.bytes) && e.sha[0];
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

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
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
	if (!path_ok(e->file)) {
		vreport(v, "chain/%s: entry seq %" PRIu64 " names a path ctitap never writes: %s", e->src, e->seq, e->file);
		return;
	}
	if (retained_after(v, e->file, e->seq))
		return;
	char day[11];
	memcpy(day, e->file, 10);
	day[10] = '\0';
	int fd = -1, dfd = v->dirfd;
	char part[3][5] = { "", "", "" };
	memcpy(part[0], day, 4);
	memcpy(part[1], day + 5, 2);
	memcpy(part[2], day + 8, 2);
	for (int i = 0; i < 3 && dfd >= 0; i++) {
		int nd = openat(dfd, part[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (dfd != v->dirfd)
			close(dfd);
		dfd = nd;
	}
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

static void list_unexpected(struct vctx *v)
{
	int yfd0 = dup(v->dirfd);
	DIR *yd = yfd0 >= 0 ? fdopendir(yfd0) : NULL;
	if (!yd) {
		if (yfd0 >= 0)
			close(yfd0);
		return;
	}
	rewinddir(yd);
	struct dirent *y;
	while ((y = readdir(yd)) != NULL) {
		if (strlen(y->d_name) != 4 || strspn(y->d_name, "0123456789") != 4)
			continue;
		int yfd = openat(v->dirfd, y->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		DIR *md = yfd >= 0 ? fdopendir(yfd) : NULL;
		struct dirent *m;
		while (md && (m = readdir(md)) != NULL) {
			if (strlen(m->d_name) != 2 || strspn(m->d_name, "0123456789") != 2)
				continue;
			int mfd = openat(dirfd(md), m->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			DIR *dd = mfd >= 0 ? fdopendir(mfd) : NULL;
			struct dirent *d;
			while (dd && (d = readdir(dd)) != NULL) {
				if (strlen(d->d_name) != 2 || strspn(d->d_name, "0123456789") != 2)
					continue;
				int dfd = openat(dirfd(dd), d->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
				DIR *fd = dfd >= 0 ? fdopendir(dfd) : NULL;
				struct dirent *f;
				while (fd && (f = readdir(fd)) != NULL) {
					if (f->d_name[0] == '.')
						continue;
					char path[1100];
					snprintf(path, sizeof(path), "%s/%s/%s/%s", y->d_name, m->d_name, d->d_name, f->d_name);
					size_t pl = strlen(path);
					if (pl > 5 && strcmp(path + pl - 5, ".part") == 0)
						fprintf(v->rep, "in progress: %s (or left by a crash: the next start repairs it)\n",
							path);
					else if (!entry_of(v, path))
						vreport(v, "unexpected file: %s (no chain entry names it)", path);
				}
				if (fd)
					closedir(fd);
				else if (dfd >= 0)
					close(dfd);
			}
			if (dd)
				closedir(dd);
			else if (mfd >= 0)
				close(mfd);
		}
		if (md)
			closedir(md);
		else if (yfd >= 0)
			close(yfd);
	}
	closedir(yd);
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
		if (rec_key_load(pubkey_file, v.pk, 32, err, sizeof(err)) != CT_OK) {
			fprintf(report, "verify: %s\n", err);
			return CT_EPERM;
		}
		v.have_pk = true;
		rec_hex(v.pk, 8, v.pk_id);
	}
	v.dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (v.dirfd < 0) {
		fprintf(report, "verify: %s: %s\n", dir, strerror(errno));
		return CT_ENOENT;
	}
	v.chainfd = openat(v.dirfd, "chain", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (v.chainfd < 0) {
		fprintf(report, "verify: %s/chain: %s\n", dir, strerror(errno));
		close(v.dirfd);
		return CT_ENOENT;
	}
	/* every log, in name order */
	char **names = NULL;
	size_t nn = 0, ncap = 0;
	int cfd0 = dup(v.chainfd);
	DIR *cd = cfd0 >= 0 ? fdopendir(cfd0) : NULL;
	if (!cd && cfd0 >= 0)
		close(cfd0);
	struct dirent *de;
	while (cd && (de = readdir(cd)) != NULL) {
		size_t l = strlen(de->d_name);
		if (l < 7 || strcmp(de->d_name + l - 6, ".jsonl") != 0)
			continue;
		if (nn == ncap) {
			ncap = ncap ? ncap * 2 : 16;
			char **np = realloc(names, ncap * sizeof(*names));
			if (!np)
				break;
			names = np;
		}
		names[nn++] = strdup(de->d_name);
	}
	if (cd)
		closedir(cd);
	qsort(names, nn, sizeof(*names), cmp_str);
	for (size_t i = 0; i < nn; i++) {
		int fd = names[i] ? openat(v.chainfd, names[i], O_RDONLY | O_NOFOLLOW | O_CLOEXEC) : -1;
		FILE *f = fd >= 0 ? fdopen(fd, "r") : NULL;
		if (!f) {
			if (fd >= 0)
				close(fd);
			continue;
		}
		char *line = NULL;
		size_t cap = 0;
		ssize_t n;
		unsigned lineno = 0;
		while ((n = getline(&line, &cap, f)) > 0)
			verify_line(&v, names[i], ++lineno, line, (size_t)n);
		free(line);
		fclose(f);
	}
	for (size_t i = 0; i < nn; i++)
		free(names[i]);
	free(names);
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
	list_unexpected(&v);
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

/* ---- decrypt ---- */

static bool read_full(int fd, void *p, size_t n)
{
	uint8_t *b = p;
	while (n) {
		ssize_t k = read(fd, b, n);
		if (k <= 0)
			return false;
		b += k;
		n -= (size_t)k;
	}
	return true;
}

int ct_recorder_decrypt(const char *in, const char *out, const char *secret_key_file, bool salvage, FILE *report)
{
	if (sodium_init() < 0)
		return CT_EIO;
	uint8_t sk[crypto_box_SECRETKEYBYTES], pk[crypto_box_PUBLICKEYBYTES];
	char err[256];
	if (rec_key_load(secret_key_file, sk, sizeof(sk), err, sizeof(err)) != CT_OK) {
		fprintf(report, "decrypt: %s\n", err);
		return CT_EPERM;
	}
	crypto_scalarmult_base(pk, sk);
	int ifd = open(in, O_RDONLY | O_CLOEXEC);
	if (ifd < 0) {
		fprintf(report, "decrypt: %s: %s\n", in, strerror(errno));
		return CT_ENOENT;
	}
	int rc = CT_EFORMAT;
	int ofd = -1;
	uint8_t *m = malloc(REC_BUF + 64), *c = malloc(REC_BUF + 64);
	uint8_t head[REC_ENC_MAGIC_LEN + crypto_box_SEALBYTES + crypto_secretstream_xchacha20poly1305_KEYBYTES +
		     crypto_secretstream_xchacha20poly1305_HEADERBYTES];
	uint8_t key[crypto_secretstream_xchacha20poly1305_KEYBYTES];
	crypto_secretstream_xchacha20poly1305_state ss;
	if (!m || !c || !read_full(ifd, head, sizeof(head)) || memcmp(head, REC_ENC_MAGIC, REC_ENC_MAGIC_LEN) != 0) {
		fprintf(report, "decrypt: %s is not a ctitap encrypted file\n", in);
		goto out;
	}
	if (crypto_box_seal_open(key, head + REC_ENC_MAGIC_LEN, crypto_box_SEALBYTES + sizeof(key), pk, sk) != 0) {
		fprintf(report, "decrypt: %s was not encrypted to this key\n", in);
		rc = CT_EPERM;
		goto out;
	}
	crypto_secretstream_xchacha20poly1305_init_pull(&ss, head + sizeof(head) -
								 crypto_secretstream_xchacha20poly1305_HEADERBYTES,
							 key);
	sodium_memzero(key, sizeof(key));
	ofd = open(out, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0640);
	if (ofd < 0) {
		fprintf(report, "decrypt: cannot create %s (it must not exist): %s\n", out, strerror(errno));
		rc = CT_EIO;
		goto out;
	}
	int kind = 0;
	size_t hlen = 0;
	uint8_t hdr[REC_HDR_MAX];
	uint64_t off = 0, chunks = 0;
	bool final = false;
	for (;;) {
		uint8_t lb[4];
		if (!read_full(ifd, lb, 4))
			break;
		uint32_t clen = (uint32_t)lb[0] | (uint32_t)lb[1] << 8 | (uint32_t)lb[2] << 16 | (uint32_t)lb[3] << 24;
		if (clen < crypto_secretstream_xchacha20poly1305_ABYTES || clen > REC_BUF + 64 || !read_full(ifd, c, clen))
			break;
		unsigned long long mlen = 0;
		unsigned char tag = 0;
		if (crypto_secretstream_xchacha20poly1305_pull(&ss, m, &mlen, &tag, c, clen, NULL, 0) != 0) {
			fprintf(report, "decrypt: chunk %" PRIu64 " does not authenticate\n", chunks);
			break;
		}
		chunks++;
		if (kind == 0) {
			kind = mlen ? m[0] : -1;
			if (kind == REC_ENC_KIND_WAV) {
				hlen = mlen >= 5 ? (size_t)m[1] | (size_t)m[2] << 8 : 0;
				if (hlen == 0 || hlen > REC_HDR_MAX || mlen != 5 + hlen) {
					kind = -1;
					break;
				}
				memcpy(hdr, m + 5, hlen);
				off = hlen;
			} else if (kind != REC_ENC_KIND_STREAM) {
				break;
			}
			continue;
		}
		if (tag == crypto_secretstream_xchacha20poly1305_TAG_FINAL) {
			if (kind == REC_ENC_KIND_WAV && mlen == hlen)
				memcpy(hdr, m, hlen);
			final = true;
			break;
		}
		if (pwrite(ofd, m, (size_t)mlen, (off_t)off) != (ssize_t)mlen) {
			rc = CT_EIO;
			goto out;
		}
		off += mlen;
	}
	if (kind != REC_ENC_KIND_WAV && kind != REC_ENC_KIND_STREAM) {
		fprintf(report, "decrypt: %s: no valid first chunk\n", in);
		goto out;
	}
	if (!final && !salvage) {
		fprintf(report, "decrypt: %s ends without its final chunk (cut short or truncated); --salvage "
				"recovers what authenticates\n",
			in);
		goto out;
	}
	if (kind == REC_ENC_KIND_WAV) {
		if (!final) {
			size_t hl = 0;
			uint64_t frames = 0;
			unsigned rate = 0;
			if (rec_wav_repair_header(hdr, hlen, off, &hl, &frames, &rate) != CT_OK || hl != hlen) {
				fprintf(report, "decrypt: %s: the WAV header cannot be rebuilt\n", in);
				goto out;
			}
		}
		if (pwrite(ofd, hdr, hlen, 0) != (ssize_t)hlen) {
			rc = CT_EIO;
			goto out;
		}
	}
	fprintf(report, "decrypt: %s -> %s, %" PRIu64 " bytes%s\n", in, out, off,
		final ? "" : " (salvaged: the file was cut short)");
	rc = final ? CT_OK : 1;
out:
	sodium_memzero(sk, sizeof(sk));
	free(m);
	free(c);
	if (ofd >= 0) {
		if (rc < 0)
			unlink(out);
		close(ofd);
	}
	close(ifd);
	return rc;
}

/* ---- command line ---- */

int ct_recorder_cli(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[0], "verify") == 0) {
		const char *pub = NULL;
		if (argc == 4 && strcmp(argv[2], "--pubkey") == 0)
			pub = argv[3];
		else if (argc != 2)
			goto usage;
		int rc = ct_recorder_verify(argv[1], pub, stdout);
		return rc == 0 ? 0 : rc == 1 ? 1 : 66;
	}
	if (argc >= 4 && strcmp(argv[0], "decrypt") == 0) {
		bool salvage = strcmp(argv[1], "--salvage") == 0;
		if (argc != 4 + salvage)
			goto usage;
		int rc = ct_recorder_decrypt(argv[2 + salvage], argv[3 + salvage], argv[1 + salvage], salvage, stderr);
		return rc == 0 ? 0 : rc == 1 ? 2 : 1;
	}
	if (argc == 3 && strcmp(argv[0], "keygen") == 0)
		return ct_recorder_keygen(argv[1], argv[2], stderr) == CT_OK ? 0 : 1;
usage:
	fprintf(stderr, "usage: ctitap verify DIR [--pubkey FILE]\n"
			"       ctitap decrypt [--salvage] SECRET_KEY_FILE IN OUT\n"
			"       ctitap keygen sign|box PREFIX\n");
	return 64;
}
