/* jsonl.c - JSON lines to a file or stdout, optionally zstd-compressed (".zst").
 *
 * Compressed output is one zstd frame per flush: the caller flushes at least once a second,
 * so `zstdcat` sees records promptly and a crash loses at most the frame being written.
 * Concatenated zstd frames are a valid zstd stream (RFC 8878 section 3.1).
 *
 * Rotation (output.rotate_mb, output.rotate_s): the path becomes a pattern, PATH
 * "dir/ctitap.jsonl.zst" giving "dir/ctitap-20260105T090000Z-000001.jsonl.zst", ...: the UTC
 * time a file was opened and a counter, so names sort in the order they were written.
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
		j->err = CT_EIO;
		return CT_EIO;
	}
	j->written += len;
	return CT_OK;
}

/* Opens the next file of a rotating output. */
static int jsonl_open_file(struct jsonl *j, char *err, size_t errlen)
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
	j->fp = fopen(path, "wb");
	if (!j->fp) {
		int e = errno;
		snprintf(err, errlen, "cannot create %s: %s", path, strerror(e));
		return e == EACCES || e == EPERM ? CT_EPERM : CT_EIO;
	}
	j->written = 0;
	return CT_OK;
}

static int jsonl_rotate(struct jsonl *j);

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
			return CT_EIO;
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
			return CT_EIO;
		if (j->rotating && j->rotate_bytes && j->written >= j->rotate_bytes)
			return jsonl_rotate(j);
		return CT_OK;
	}
	if (jsonl_put(j, r->json, r->len) || jsonl_put(j, "\n", 1))
		return CT_EIO;
	if (j->rotating && j->rotate_bytes && j->written >= j->rotate_bytes)
		return jsonl_rotate(j);
	return CT_OK;
}

static int jsonl_flush(void *st)
{
	struct jsonl *j = st;
	if (j->zc && j->pending) {
		if (jsonl_compress(j, "", 0, ZSTD_e_end))
			return CT_EIO;
		j->pending = false;
	}
	if (fflush(j->fp) != 0) {
		j->err = CT_EIO;
		return CT_EIO;
	}
	return CT_OK;
}

static int jsonl_rotate(struct jsonl *j)
{
	int rc = jsonl_flush(j);
	if (fclose(j->fp) != 0)
		rc = CT_EIO;
	char err[PATH_MAX + 128];
	int orc = jsonl_open_file(j, err, sizeof(err));
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
		return jsonl_rotate(j);
	return CT_OK;
}

static int jsonl_close(void *st)
{
	struct jsonl *j = st;
	int rc = jsonl_flush(j);
	if (!j->is_stdout && fclose(j->fp) != 0)
		rc = CT_EIO;
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
		int rc = jsonl_open_file(j, err, errlen);
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
