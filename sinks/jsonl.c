/* jsonl.c - JSON lines to a file or stdout, optionally zstd-compressed (".zst").
 *
 * Compressed output is one zstd frame per flush: the caller flushes at least once a second,
 * so `zstdcat` sees records promptly and a crash loses at most the frame being written.
 * Concatenated zstd frames are a valid zstd stream (RFC 8878 section 3.1).
 *
 * Rotation (output.rotate_mb, output.rotate_s): the path becomes a pattern, PATH
 * "dir/ctitap.jsonl.zst" giving "dir/ctitap-20260105T090000Z-000001.jsonl.zst", ...: the UTC
 * time a file was opened and a counter, so names sort in the order they were written.
 *
 * Reopen (SIGHUP, for logrotate): a fixed-name output is closed (its zstd frame ended) and
 * opened again under its name, appending: a new file when logrotate moved the old one away,
 * the same file otherwise. A rotating output starts its next file. Files created after a
 * privilege drop (-Z) are created as that user: the directory must let it write.
 */
#include <errno.h>
#include <limits.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zstd.h>

#include "../util/log.h"
#include "sink.h"

struct jsonl {
	char stem[PATH_MAX - 160]; /* path up to the first '.' of its last component */
	char ext[64];
	bool rotating;
	uint64_t rotate_bytes;
	unsigned rotate_s;
	unsigned serial;
	time_t opened;
	uint64_t written;     /* bytes into the current file */
	struct ct_counters *ctr;
	FILE *fp;
	bool is_stdout;
	ZSTD_CCtx *zc;
	uint8_t *zbuf;
	size_t zcap;
	bool pending; /* bytes given to zstd since the last frame end */
	int err;
};

static int jsonl_put(struct jsonl *j, const void *data, size_t len)
{
	if (fwrite(data, 1, len, j->fp) != len) {
		j->err = ct_esys(errno);
		return j->err;
	}
	j->written += len;
	return CT_OK;
}

/* Opens the next file of a rotating output, or the fixed-name file (mode "wb" at start,
 * "ab" when reopened). */
static int jsonl_open_file(struct jsonl *j, const char *mode, char *err, size_t errlen)
{
	char path[PATH_MAX];
	if (j->rotating) {
		j->opened = time(NULL);
		struct tm tm;
		gmtime_r(&j->opened, &tm);
		char stamp[32];
		strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
		snprintf(path, sizeof(path), "%s-%s-%06u%s", j->stem, stamp, ++j->serial, j->ext);
	} else {
		snprintf(path, sizeof(path), "%s%s", j->stem, j->ext);
	}
	j->fp = fopen(path, mode);
	if (!j->fp) {
		int e = errno;
		snprintf(err, errlen, "cannot create %s: %s", path, strerror(e));
		return ct_esys(e);
	}
	j->written = 0;
	return CT_OK;
}

static int jsonl_rotate(struct jsonl *j, const char *mode);

static int jsonl_compress(struct jsonl *j, const void *data, size_t len, ZSTD_EndDirective mode)
{
	ZSTD_inBuffer in = { data, len, 0 };
	for (;;) {
		ZSTD_outBuffer out = { j->zbuf, j->zcap, 0 };
		size_t left = ZSTD_compressStream2(j->zc, &out, &in, mode);
		if (ZSTD_isError(left)) {
			ct_err("zstd: %s", ZSTD_getErrorName(left));
			j->err = CT_EIO;
			return CT_EIO;
		}
		if (out.pos && jsonl_put(j, j->zbuf, out.pos))
			return j->err;
		if (mode == ZSTD_e_continue ? in.pos == in.size : left == 0)
			return CT_OK;
	}
}

static int jsonl_write(void *st, const struct ct_record *r)
{
	struct jsonl *j = st;
	if (j->zc) {
		j->pending = true;
		if (jsonl_compress(j, r->json, r->len, ZSTD_e_continue) ||
		    jsonl_compress(j, "\n", 1, ZSTD_e_continue))
			return j->err;
		if (j->rotating && j->rotate_bytes && j->written >= j->rotate_bytes)
			return jsonl_rotate(j, "wb");
		return CT_OK;
	}
	if (jsonl_put(j, r->json, r->len) || jsonl_put(j, "\n", 1))
		return j->err;
	if (j->rotating && j->rotate_bytes && j->written >= j->rotate_bytes)
		return jsonl_rotate(j, "wb");
	return CT_OK;
}

static int jsonl_flush(void *st)
{
	struct jsonl *j = st;
	if (j->zc && j->pending) {
		if (jsonl_compress(j, "", 0, ZSTD_e_end))
			return j->err;
		j->pending = false;
	}
	if (fflush(j->fp) != 0) {
		j->err = ct_esys(errno);
		return j->err;
	}
	return CT_OK;
}

static int jsonl_rotate(struct jsonl *j, const char *mode)
{
	int rc = jsonl_flush(j);
	if (fclose(j->fp) != 0 && !rc)
		rc = ct_esys(errno);
	char err[PATH_MAX + 128];
	int orc = jsonl_open_file(j, mode, err, sizeof(err));
	if (orc) {
		ct_err("%s", err);
		j->fp = fopen("/dev/null", "wb"); /* keep going; every write is counted as an error */
		j->err = orc;
		return orc;
	}
	if (j->ctr)
		j->ctr->output_rotations++;
	return rc;
}

static int jsonl_poll(void *st)
{
	struct jsonl *j = st;
	if (j->rotating && j->rotate_s && (j->written || j->pending) && time(NULL) - j->opened >= (time_t)j->rotate_s)
		return jsonl_rotate(j, "wb");
	return CT_OK;
}

static int jsonl_reopen(void *st)
{
	struct jsonl *j = st;
	if (j->is_stdout)
		return jsonl_flush(j);
	return jsonl_rotate(j, "ab"); /* counted in output_rotations too: a new file was opened */
}

static int jsonl_close(void *st)
{
	struct jsonl *j = st;
	int rc = jsonl_flush(j);
	if (!j->is_stdout && fclose(j->fp) != 0 && !rc)
		rc = ct_esys(errno);
	ZSTD_freeCCtx(j->zc);
	free(j->zbuf);
	int err = j->err ? j->err : rc;
	free(j);
	return err;
}

static const struct ct_sink_ops jsonl_ops = {
	.name = "jsonl",
	.write = jsonl_write,
	.flush = jsonl_flush,
	.poll = jsonl_poll,
	.reopen = jsonl_reopen,
	.close = jsonl_close,
};

int ct_jsonl_open(const char *path, const struct ct_sink_cfg *cfg, struct ct_counters *ctr,
		  const struct ct_sink_ops **ops, void **st, char *err, size_t errlen)
{
	struct jsonl *j = calloc(1, sizeof(*j));
	if (!j)
		return CT_ENOMEM;
	j->ctr = ctr;
	size_t plen = strlen(path);
	bool zst = plen > 4 && strcmp(path + plen - 4, ".zst") == 0;
	if (strcmp(path, "-") == 0) {
		j->fp = stdout;
		j->is_stdout = true;
	} else {
		const char *base = strrchr(path, '/');
		base = base ? base + 1 : path;
		const char *dot = strchr(base, '.');
		size_t stemlen = dot ? (size_t)(dot - path) : plen;
		if (stemlen >= sizeof(j->stem) || plen - stemlen >= sizeof(j->ext)) {
			snprintf(err, errlen, "output path too long: %s", path);
			free(j);
			return CT_EINVAL;
		}
		memcpy(j->stem, path, stemlen);
		memcpy(j->ext, path + stemlen, plen - stemlen + 1);
		j->rotate_bytes = cfg->rotate_bytes;
		j->rotate_s = cfg->rotate_s;
		j->rotating = cfg->rotate_bytes || cfg->rotate_s;
		int rc = jsonl_open_file(j, "wb", err, errlen);
		if (rc) {
			free(j);
			return rc;
		}
	}
	if (zst) {
		j->zc = ZSTD_createCCtx();
		j->zcap = ZSTD_CStreamOutSize();
		j->zbuf = malloc(j->zcap);
		if (!j->zc || !j->zbuf) {
			if (!j->is_stdout)
				fclose(j->fp);
			ZSTD_freeCCtx(j->zc);
			free(j->zbuf);
			free(j);
			return CT_ENOMEM;
		}
		ZSTD_CCtx_setParameter(j->zc, ZSTD_c_compressionLevel, cfg->zstd_level);
		ZSTD_CCtx_setParameter(j->zc, ZSTD_c_checksumFlag, 1);
	}
	*ops = &jsonl_ops;
	*st = j;
	return CT_OK;
}
