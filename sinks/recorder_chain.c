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
 * recorder_verify.c checks a folder against its chain; recorder_tools.c holds keygen, decrypt and
 * the command line.
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
		int e = errno;
		snprintf(err, errlen, "key file %s: %s", path, strerror(e));
		return ct_esys(e);
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
		return ct_esys(errno);
	bool ok = write(fd, text, (size_t)n) == n && fsync(fd) == 0;
	int e = errno;
	close(fd);
	if (!ok)
		return ct_esys(e);
	if (renameat(r->chaindirfd, "state.tmp", r->chaindirfd, "state") != 0)
		return ct_esys(errno);
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


/* Finds the top-level fields named in f[] of the object in line[0..len). Returns false when
 * the line is not a JSON object of that shape. Nested values are skipped. */
bool rec_json_fields(const char *s, size_t len, struct jfield *f, size_t nf)
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

bool rec_jf_u64(const struct jfield *f, uint64_t *v)
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

bool rec_jf_hex(const struct jfield *f, uint8_t *out, size_t n)
{
	size_t got = 0;
	return f->p && f->str && f->len == 2 * n && sodium_hex2bin(out, n, f->p, f->len, NULL, &got, NULL) == 0 &&
	       got == n;
}

/* The hash of a chain line: SHA-256 of the line up to its ,"hash": with the brace put back. */
bool rec_line_body_hash(const char *line, size_t len, uint8_t h[32])
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
bool rec_entry_parse(const char *line, size_t len, uint64_t *seq, uint8_t prev[32], uint8_t hash[32])
{
	struct jfield f[3] = { { .key = "seq" }, { .key = "prev" }, { .key = "hash" } };
	uint8_t h[32];
	if (!rec_json_fields(line, len, f, 3) || !rec_jf_u64(&f[0], seq) || !rec_jf_hex(&f[1], prev, 32) ||
	    !rec_jf_hex(&f[2], hash, 32) || !rec_line_body_hash(line, len, h))
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
		if (rec_entry_parse(buf + i, j - i, &seq, prev, hash) && seq == r->seq + 1 &&
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
			int e = errno;
			snprintf(err, errlen, "%s/chain/state: %s", r->dir, strerror(e));
			return ct_esys(e);
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

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void rec_chain_each_line(int chainfd, chain_line_fn fn, void *arg)
{
	char **names = NULL;
	size_t nn = 0, ncap = 0;
	DIR *d = rec_opendir(chainfd);
	struct dirent *e;
	while (d && (e = readdir(d)) != NULL) {
		size_t l = strlen(e->d_name);
		if (l < 7 || strcmp(e->d_name + l - 6, ".jsonl") != 0)
			continue;
		if (nn == ncap) {
			size_t nc = ncap ? ncap * 2 : 16;
			char **np = realloc(names, nc * sizeof(*names));
			if (!np)
				break;
			names = np;
			ncap = nc;
		}
		if ((names[nn] = strdup(e->d_name)) != NULL)
			nn++;
	}
	if (d)
		closedir(d);
	if (nn)
		qsort(names, nn, sizeof(*names), cmp_name);
	for (size_t i = 0; i < nn; i++) {
		int fd = openat(chainfd, names[i], O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		FILE *f = fd >= 0 ? fdopen(fd, "r") : NULL;
		if (!f && fd >= 0)
			close(fd);
		char *line = NULL;
		size_t cap = 0;
		ssize_t n;
		unsigned lineno = 0;
		while (f && (n = getline(&line, &cap, f)) > 0)
			fn(arg, names[i], ++lineno, line, (size_t)n);
		free(line);
		if (f)
			fclose(f);
		free(names[i]);
	}
	free(names);
}

static void recover_line(void *arg, const char *log, unsigned lineno, const char *line, size_t len)
{
	(void)log;
	(void)lineno;
	struct ct_recorder *r = arg;
	uint64_t seq;
	uint8_t prev[32], hash[32];
	if (rec_entry_parse(line, len, &seq, prev, hash) && seq > r->seq) {
		r->seq = seq;
		memcpy(r->last_hash, hash, 32);
	}
}

/* No state file but logs (it was lost): the chain continues from the highest intact entry. */
static void state_recover(struct ct_recorder *r)
{
	rec_chain_each_line(r->chaindirfd, recover_line, r);
	if (r->seq)
		ct_warn("recorder: %s/chain/state was missing: the chain continues after seq %" PRIu64, r->dir, r->seq);
}

int rec_chain_open(struct ct_recorder *r, char *err, size_t errlen)
{
	r->logfd = -1;
	r->lockfd = openat(r->chaindirfd, "lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0640);
	if (r->lockfd < 0) {
		int e = errno;
		snprintf(err, errlen, "%s/chain/lock: %s", r->dir, strerror(e));
		return ct_esys(e);
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
			int er = errno;
			ct_warn("recorder: chain log %s/chain/%s: %s", r->dir, name, strerror(er));
			return ct_esys(er);
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
	int er = w < 0 ? errno : ENOSPC; /* a short write: the disk is full */
	free(line);
	if (w != (ssize_t)(blen + (size_t)tn)) {
		ct_warn("recorder: chain log %s/chain/%s: %s", r->dir, name, strerror(er));
		return ct_esys(er);
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
