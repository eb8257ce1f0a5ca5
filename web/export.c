/* export.c - ctitap --html DIR FILE...: stored JSON lines (plain or zstd) to a static copy of
 * the call view. The records go through the same store as the live view's; a call's page is
 * written when the store's caps need its room (the least recently updated call), the others
 * at the end, then index.html. Same records in the same order: the same bytes as the live view.
 *
 * Input: each file is zstd (by its magic number, whatever its name: frames closed every
 * output.flush_ms, a last frame cut short when the file is still being written) or plain JSON
 * lines. A line longer than VIEW_LINE_MAX is skipped (stats records of very many agents; no
 * call's record comes near). A line that is not a JSON object is counted and skipped.
 * Output: DIR/index.html and DIR/calls/<call id>.html, each written to a temporary name and
 * renamed, so a reader never sees half a page. Only ids of ctitap's shape name a file.
 */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include "../util/log.h"
#include "view_int.h"

#define VIEW_LINE_MAX (4u << 20)
#define READ_CHUNK (64u * 1024)

/* The ids of calls whose page is written: 64-bit keyed hashes, open addressing. 16 bytes a
 * call at most, so a month of calls fits; a record of such a call is late (counted). */
struct done_set {
	uint64_t *slot; /* 0: empty */
	size_t cap, n;
};

struct export {
	struct ct_view_store *s;
	const char *dir;
	struct ct_buf page;
	struct view_summary *rows; /* a heap: rows[0] the one that goes first when full */
	size_t nrows;
	struct done_set done;
	int err;                   /* first write error */
	char errmsg[512];
};

static uint64_t done_hash(const struct export *x, const char *id)
{
	uint64_t h = ct_hash(&x->s->key, id, strlen(id));
	return h ? h : 1;
}

static bool done_has(void *user, const char *id)
{
	const struct export *x = user;
	if (!x->done.n)
		return false;
	uint64_t h = done_hash(x, id);
	for (size_t i = h & (x->done.cap - 1);; i = (i + 1) & (x->done.cap - 1)) {
		if (x->done.slot[i] == h)
			return true;
		if (!x->done.slot[i])
			return false;
	}
}

static void done_add(struct export *x, const char *id)
{
	struct done_set *d = &x->done;
	if ((d->n + 1) * 2 > d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 1024;
		uint64_t *slot = calloc(cap, sizeof(*slot));
		if (!slot)
			return; /* its late records would make a second page: counted as written anyway */
		for (size_t i = 0; i < d->cap; i++) {
			if (!d->slot[i])
				continue;
			size_t k = d->slot[i] & (cap - 1);
			while (slot[k])
				k = (k + 1) & (cap - 1);
			slot[k] = d->slot[i];
		}
		free(d->slot);
		d->slot = slot;
		d->cap = cap;
	}
	uint64_t h = done_hash(x, id);
	size_t k = h & (d->cap - 1);
	while (d->slot[k] && d->slot[k] != h)
		k = (k + 1) & (d->cap - 1);
	if (!d->slot[k]) {
		d->slot[k] = h;
		d->n++;
	}
}

/* ---- the index rows: the newest index_max, in a heap whose root is the oldest kept ---- */

/* a goes before b on the index (newest first; ties by id) */
static bool row_before(const struct view_summary *a, const struct view_summary *b)
{
	if (!a->start[0] != !b->start[0])
		return a->start[0] != '\0';
	int c = strcmp(a->start, b->start);
	if (c)
		return c > 0;
	return strcmp(a->id, b->id) < 0;
}

static void heap_swap(struct view_summary *a, struct view_summary *b)
{
	struct view_summary t = *a;
	*a = *b;
	*b = t;
}

static void heap_down(struct view_summary *h, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < n && row_before(&h[m], &h[l]))
			m = l;
		if (r < n && row_before(&h[m], &h[r]))
			m = r;
		if (m == i)
			return;
		heap_swap(&h[i], &h[m]);
		i = m;
	}
}

static void heap_up(struct view_summary *h, size_t i)
{
	while (i) {
		size_t p = (i - 1) / 2;
		if (!row_before(&h[p], &h[i]))
			return;
		heap_swap(&h[i], &h[p]);
		i = p;
	}
}

static void index_add(struct export *x, const struct view_summary *row)
{
	size_t max = x->s->cfg.index_max;
	if (x->nrows < max) {
		x->rows[x->nrows] = *row;
		heap_up(x->rows, x->nrows++);
		return;
	}
	x->s->ctr.index_cut++;
	if (max && row_before(row, &x->rows[0])) {
		x->rows[0] = *row;
		heap_down(x->rows, x->nrows, 0);
	}
}

/* ---- writing ---- */

static void set_err(struct export *x, int err, const char *fmt, ...) CT_PRINTF(3, 4);
static void set_err(struct export *x, int err, const char *fmt, ...)
{
	if (x->err)
		return;
	x->err = err;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(x->errmsg, sizeof(x->errmsg), fmt, ap);
	va_end(ap);
}

static int errno_err(int e)
{
	return e == EACCES || e == EPERM || e == EROFS ? CT_EPERM : e == ENOENT ? CT_ENOENT : CT_EIO;
}

/* Writes buf to dir/name through dir/.name.tmp and a rename. */
static int write_file(struct export *x, const char *name, const struct ct_buf *buf)
{
	char path[4096], tmp[4096];
	int n1 = snprintf(path, sizeof(path), "%s/%s", x->dir, name);
	int n2 = snprintf(tmp, sizeof(tmp), "%s/%s.tmp", x->dir, name);
	if (n1 < 0 || n2 < 0 || (size_t)n2 >= sizeof(tmp)) {
		set_err(x, CT_EINVAL, "output path too long: %s/%s", x->dir, name);
		return CT_EINVAL;
	}
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0) {
		int e = errno;
		set_err(x, errno_err(e), "cannot create %s: %s", tmp, strerror(e));
		return errno_err(e);
	}
	size_t off = 0;
	while (off < buf->len) {
		ssize_t w = write(fd, buf->p + off, buf->len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			int e = errno;
			close(fd);
			unlink(tmp);
			set_err(x, CT_EIO, "cannot write %s: %s", tmp, strerror(e));
			return CT_EIO;
		}
		off += (size_t)w;
	}
	if (close(fd) != 0 || rename(tmp, path) != 0) {
		int e = errno;
		unlink(tmp);
		set_err(x, CT_EIO, "cannot write %s: %s", path, strerror(e));
		return CT_EIO;
	}
	return CT_OK;
}

/* The store gives a call up (its cap, or the end): its page, its index row, its ids done. */
static void export_call(void *user, struct ventry *e)
{
	struct export *x = user;
	char name[CT_VIEW_ID_MAX + 16];
	if (!ct_view_id_valid(e->id, strlen(e->id)))
		return; /* never happens: the store keeps only such ids */
	ct_buf_reset(&x->page);
	struct view_summary row;
	if (view_call_page(&x->page, &x->s->cfg, e) != CT_OK || x->page.err) {
		set_err(x, CT_ENOMEM, "out of memory rendering the page of call %s", e->id);
	} else {
		snprintf(name, sizeof(name), "calls/%s.html", e->id);
		if (write_file(x, name, &x->page) == CT_OK)
			x->s->ctr.pages++;
	}
	if (view_summarize(e, &row) == CT_OK)
		index_add(x, &row);
	for (const struct valias *a = e->aliases; a; a = a->next)
		done_add(x, a->id);
}

/* ---- reading ---- */

/* Splits decompressed bytes into lines; a line past VIEW_LINE_MAX is skipped to its end. */
struct lines {
	struct ct_buf cur;
	bool skipping;
};

static void lines_feed(struct export *x, struct lines *l, const char *p, size_t n)
{
	while (n) {
		const char *nl = memchr(p, '\n', n);
		size_t take = nl ? (size_t)(nl - p) : n;
		if (!l->skipping) {
			if (l->cur.len + take > VIEW_LINE_MAX) {
				l->skipping = true;
				x->s->ctr.records++;
				x->s->ctr.too_big++;
				ct_buf_reset(&l->cur);
			} else {
				ct_buf_put(&l->cur, p, take);
			}
		}
		if (!nl)
			return;
		if (!l->skipping && !l->cur.err)
			view_store_add_line(x->s, l->cur.p ? l->cur.p : "", l->cur.len);
		l->skipping = false;
		ct_buf_reset(&l->cur);
		p = nl + 1;
		n -= take + 1;
	}
}

static int read_file(struct export *x, const char *path, char *err, size_t errlen)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	if (!f) {
		int e = errno;
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(e));
		return errno_err(e);
	}
	int rc = CT_OK;
	unsigned char *in = malloc(READ_CHUNK);
	size_t outcap = ZSTD_DStreamOutSize();
	char *outbuf = malloc(outcap);
	ZSTD_DStream *ds = NULL;
	struct lines l = { .skipping = false };
	ct_buf_init(&l.cur);
	if (!in || !outbuf) {
		rc = CT_ENOMEM;
		snprintf(err, errlen, "out of memory reading %s", path);
		goto out;
	}
	bool first = true, zstd = false;
	size_t last_ret = 0, n;
	while ((n = fread(in, 1, READ_CHUNK, f)) > 0) {
		if (first) {
			first = false;
			zstd = n >= 4 && in[0] == 0x28 && in[1] == 0xB5 && in[2] == 0x2F && in[3] == 0xFD;
			if (zstd) {
				ds = ZSTD_createDStream();
				if (!ds || ZSTD_isError(ZSTD_initDStream(ds))) {
					rc = CT_ENOMEM;
					snprintf(err, errlen, "out of memory reading %s", path);
					goto out;
				}
			} else if (in[0] != '{') {
				rc = CT_EFORMAT;
				snprintf(err, errlen, "%s is neither JSON lines nor zstd", path);
				goto out;
			}
		}
		if (!zstd) {
			lines_feed(x, &l, (const char *)in, n);
			continue;
		}
		ZSTD_inBuffer ib = { in, n, 0 };
		while (ib.pos < ib.size) {
			ZSTD_outBuffer ob = { outbuf, outcap, 0 };
			last_ret = ZSTD_decompressStream(ds, &ob, &ib);
			if (ZSTD_isError(last_ret)) {
				rc = CT_EFORMAT;
				snprintf(err, errlen, "%s: broken zstd data (%s); the records before it are read", path,
					 ZSTD_getErrorName(last_ret));
				goto out;
			}
			lines_feed(x, &l, outbuf, ob.pos);
		}
	}
	if (ferror(f)) {
		int e = errno;
		rc = CT_EIO;
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(e));
		goto out;
	}
	/* the rest of the last frame that zstd holds back */
	if (zstd) {
		for (int guard = 0; guard < 1 << 16; guard++) {
			ZSTD_inBuffer ib = { in, 0, 0 };
			ZSTD_outBuffer ob = { outbuf, outcap, 0 };
			size_t r = ZSTD_decompressStream(ds, &ob, &ib);
			if (ZSTD_isError(r) || ob.pos == 0)
				break;
			lines_feed(x, &l, outbuf, ob.pos);
		}
		if (last_ret != 0)
			ct_warn("%s ends inside a zstd frame (a file still being written?): its last records are not read",
				path);
	}
	if (l.cur.len && !l.skipping)
		ct_warn("%s ends in the middle of a line: the last record is not read", path);
out:
	ct_buf_free(&l.cur);
	ZSTD_freeDStream(ds);
	free(in);
	free(outbuf);
	if (f != stdin)
		fclose(f);
	return rc;
}

static int make_dir(const char *path, char *err, size_t errlen)
{
	if (mkdir(path, 0755) == 0 || errno == EEXIST) {
		struct stat st;
		if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
			return CT_OK;
		snprintf(err, errlen, "%s exists and is not a directory", path);
		return CT_EINVAL;
	}
	int e = errno;
	snprintf(err, errlen, "cannot create directory %s: %s", path, strerror(e));
	return errno_err(e);
}

int ct_view_export(const struct ct_view_cfg *cfg, const char *dir, const char *const *files, unsigned nfiles,
		   struct ct_view_counters *ctr, char *err, size_t errlen)
{
	char sub[4096];
	err[0] = '\0';
	if (snprintf(sub, sizeof(sub), "%s/calls", dir) >= (int)sizeof(sub)) {
		snprintf(err, errlen, "output path too long: %s", dir);
		return CT_EINVAL;
	}
	int rc = make_dir(dir, err, errlen);
	if (rc == CT_OK)
		rc = make_dir(sub, err, errlen);
	if (rc != CT_OK)
		return rc;

	struct export x;
	memset(&x, 0, sizeof(x));
	x.dir = dir;
	ct_buf_init(&x.page);
	if (ct_view_store_new(&x.s, cfg) != CT_OK)
		return CT_ENOMEM;
	x.s->on_evict = export_call;
	x.s->is_done = done_has;
	x.s->user = &x;
	x.rows = calloc(cfg->index_max ? cfg->index_max : 1, sizeof(*x.rows));
	if (!x.rows) {
		ct_view_store_free(x.s);
		return CT_ENOMEM;
	}
	int first_read_err = CT_OK;
	for (unsigned i = 0; i < nfiles && !x.err; i++) {
		char ferr[1024];
		int frc = read_file(&x, files[i], ferr, sizeof(ferr));
		if (frc != CT_OK) {
			ct_err("%s", ferr);
			if (first_read_err == CT_OK) {
				first_read_err = frc;
				snprintf(err, errlen, "%s", ferr);
			}
		}
	}
	/* the calls still held: oldest first, as the caps would have written them */
	while (x.s->oldest) {
		struct ventry *e = x.s->oldest;
		export_call(&x, e);
		view_store_drop(x.s, e);
	}
	if (!x.err) {
		struct view_filter none;
		memset(&none, 0, sizeof(none));
		ct_buf_reset(&x.page);
		view_index_page(&x.page, x.rows, x.nrows, x.s->ctr.index_cut, &none);
		if (x.page.err)
			set_err(&x, CT_ENOMEM, "out of memory rendering index.html");
		else
			write_file(&x, "index.html", &x.page);
	}
	if (ctr)
		*ctr = x.s->ctr;
	rc = x.err ? x.err : first_read_err;
	if (x.err)
		snprintf(err, errlen, "%s", x.errmsg);
	free(x.rows);
	free(x.done.slot);
	ct_buf_free(&x.page);
	ct_view_store_free(x.s);
	return rc;
}
