/* export.c - ctitap --html DIR FILE...: stored JSON lines (plain or zstd) to a static copy of
 * the call view. The records go through the same store as the live view's, so the same records
 * in the same order give the live view's bytes.
 *
 * Regular files are read twice. The first pass notes where each call's records end (merged ids
 * folded into the call that absorbed them); the second writes a call's page as soon as its last
 * record is read. Memory then follows the calls in progress at each point of the input (a call
 * stays open until ctitap's last record of it: dialog_end comes sip.linger_s after the call),
 * not the size of the input, and no record comes after its call's page. Standard input is read
 * once: pages are written when the caps need the room (the least recently updated call), the
 * rest at the end; a record of a call written earlier is counted as late, not drawn.
 * view.export_mb bounds both.
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

/* Ids by their 64-bit keyed hash (collisions between ctitap's ids are not a concern at 2^-64),
 * open addressing, grown by doubling: 24 bytes an id. Uses: the calls whose page is written (a
 * record of one later is late), and the first pass's last position of each call. */
struct idmap_slot {
	uint64_t h;     /* 0: empty */
	uint64_t last;  /* pass 1: ordinal of the call's last line (+1; 0: none) */
	uint64_t into;  /* pass 1: hash of the call this id was merged into (0: none) */
};

struct idmap {
	struct idmap_slot *slot;
	size_t cap, n;
};

/* The slot of h, added when add is true (NULL: absent, or no memory to add it). */
static struct idmap_slot *idmap_get(struct idmap *m, uint64_t h, bool add)
{
	if (add && (m->n + 1) * 2 > m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 1024;
		struct idmap_slot *slot = calloc(cap, sizeof(*slot));
		if (!slot)
			return NULL;
		for (size_t i = 0; i < m->cap; i++) {
			if (!m->slot[i].h)
				continue;
			size_t k = m->slot[i].h & (cap - 1);
			while (slot[k].h)
				k = (k + 1) & (cap - 1);
			slot[k] = m->slot[i];
		}
		free(m->slot);
		m->slot = slot;
		m->cap = cap;
	}
	if (!m->cap)
		return NULL;
	size_t k = h & (m->cap - 1);
	while (m->slot[k].h && m->slot[k].h != h)
		k = (k + 1) & (m->cap - 1);
	if (m->slot[k].h == h)
		return &m->slot[k];
	if (!add)
		return NULL;
	m->slot[k].h = h;
	m->n++;
	return &m->slot[k];
}

struct export {
	struct ct_view_store *s;
	const char *dir;
	struct ct_buf page;
	struct view_summary *rows; /* a heap: rows[0] the one that goes first when full */
	size_t nrows;
	struct idmap done;         /* calls whose page is written */
	struct idmap last;         /* pass 1: where each call's records end */
	bool two_pass;             /* the files can be read twice: pages are written when complete */
	int pass;                  /* 1 or 2 */
	uint64_t ordinal;          /* lines read in this pass */
	int err;                   /* first write error */
	char errmsg[512];
};

static uint64_t id_hash(const struct export *x, const char *id)
{
	uint64_t h = ct_hash(&x->s->key, id, strlen(id));
	return h ? h : 1;
}

static bool done_has(void *user, const char *id)
{
	struct export *x = user;
	return idmap_get(&x->done, id_hash(x, id), false) != NULL;
}

static void done_add(struct export *x, const char *id)
{
	idmap_get(&x->done, id_hash(x, id), true); /* no memory: its late records would be drawn again */
}

static bool streq_type(const json_t *o, const char *type)
{
	const char *v = view_jstr(o, "type");
	return v && strcmp(v, type) == 0;
}

/* Pass 1: a line's call (and, for a call record, the ids merged into it). */
static void pass1_line(struct export *x, const char *line, size_t len)
{
	json_t *root = view_parse(line, len);
	if (!root)
		return;
	const char *call = view_jstr(root, "call");
	if (call && ct_view_id_valid(call, strlen(call))) {
		uint64_t h = id_hash(x, call);
		struct idmap_slot *sl = idmap_get(&x->last, h, true);
		if (sl)
			sl->last = x->ordinal + 1;
		if (streq_type(root, "call")) {
			size_t i;
			const json_t *m;
			json_array_foreach(json_object_get(root, "merged"), i, m) {
				const char *id = json_string_value(m);
				if (!id || !ct_view_id_valid(id, strlen(id)))
					continue;
				struct idmap_slot *ms = idmap_get(&x->last, id_hash(x, id), true);
				if (ms && ms->h != h)
					ms->into = h;
			}
		}
	}
	json_decref(root);
}

/* The call an id ends up in, after every merge (a chain, bounded against a loop). */
static struct idmap_slot *survivor(struct export *x, uint64_t h)
{
	struct idmap_slot *sl = idmap_get(&x->last, h, false);
	for (int guard = 0; sl && sl->into && guard < 64; guard++) {
		struct idmap_slot *next = idmap_get(&x->last, sl->into, false);
		if (!next)
			break;
		sl = next;
	}
	return sl;
}

/* After pass 1: a call's records end with the last record of any id merged into it. */
static void pass1_fold(struct export *x)
{
	for (size_t i = 0; i < x->last.cap; i++) {
		struct idmap_slot *sl = &x->last.slot[i];
		if (!sl->h || !sl->into)
			continue;
		uint64_t last = sl->last;
		struct idmap_slot *f = survivor(x, sl->h);
		if (f && f->last < last)
			f->last = last;
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

static void export_call(void *user, struct ventry *e);

/* A line of input: pass 1 notes where its call is; pass 2 files it, and writes its call's page
 * when this was the call's last line. */
static void export_line(struct export *x, const char *line, size_t len)
{
	if (x->pass == 1) {
		pass1_line(x, line, len);
		return;
	}
	char call[CT_VIEW_ID_MAX];
	struct ventry *e = view_store_add_line(x->s, line, len, call);
	if (!e || !x->two_pass)
		return;
	struct idmap_slot *f = survivor(x, id_hash(x, call));
	if (f && f->last == x->ordinal + 1) {
		export_call(x, e);
		view_store_drop(x->s, e);
	}
}

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
			export_line(x, l->cur.p ? l->cur.p : "", l->cur.len);
		x->ordinal++;
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
		if (last_ret != 0 && x->pass == 2)
			ct_warn("%s ends inside a zstd frame (a file still being written?): its last records are not read",
				path);
	}
	if (l.cur.len && !l.skipping && x->pass == 2)
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
	/* Regular files are read twice: first to learn where each call's records end, so that the
	 * second writes each page as soon as its call is complete (memory follows the calls in
	 * progress, and no record comes after its call's page). Standard input is read once: pages
	 * are written when the caps need the room, or at the end. */
	x.two_pass = true;
	for (unsigned i = 0; i < nfiles; i++) {
		struct stat st;
		if (strcmp(files[i], "-") == 0 || (stat(files[i], &st) == 0 && !S_ISREG(st.st_mode)))
			x.two_pass = false;
	}
	if (x.two_pass) {
		x.pass = 1;
		x.ordinal = 0; /* lines are counted across the files, the same way in both passes */
		for (unsigned i = 0; i < nfiles; i++) {
			char ferr[1024];
			(void)read_file(&x, files[i], ferr, sizeof(ferr)); /* errors are said in pass 2 */
		}
		pass1_fold(&x);
	}
	x.pass = 2;
	x.ordinal = 0;
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
	free(x.last.slot);
	ct_buf_free(&x.page);
	ct_view_store_free(x.s);
	return rc;
}
