/* store.c - the records of recent calls, grouped under each call's surviving id, within caps.
 *
 * Policy at the caps (http.view_calls, http.view_mb): the call updated least recently goes
 * (live: dropped; export: its page written first), counted in `evicted`. One call keeps at most
 * VIEW_CALL_RECORDS records and a quarter of the byte cap, its call record always (`call_full`
 * counts the others). Ids merged into a call (its call record's `merged`) lead to it, before and
 * after the merge, so events written under a consultation call's id are drawn in the call that
 * absorbed it.
 */
#include <stdlib.h>
#include <string.h>

#include "../util/log.h"
#include "view_int.h"

/* What a kept record costs against the byte cap: its text and its bookkeeping. */
#define VREC_COST(len) ((size_t)(len) + sizeof(struct vrec) + sizeof(struct vrec *) + 1)

bool ct_view_id_valid(const char *s, size_t n)
{
	size_t i = 0;
	while (i < n && s[i] >= 'a' && s[i] <= 'z')
		i++;
	if (i == 0 || i > 16 || i >= n || s[i] != '-' || n - i - 1 != 16)
		return false;
	for (i++; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

void ct_view_cfg_default(struct ct_view_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->max_calls = 200;
	cfg->max_bytes = 64u << 20;
	cfg->max_messages = 2000;
	cfg->index_max = 20000;
	cfg->files_base = "../files/";
}

int ct_view_store_new(struct ct_view_store **out, const struct ct_view_cfg *cfg)
{
	struct ct_view_store *s = calloc(1, sizeof(*s));
	if (!s)
		return CT_ENOMEM;
	s->cfg = *cfg;
	if (!s->cfg.max_calls)
		s->cfg.max_calls = 1;
	if (!s->cfg.files_base)
		s->cfg.files_base = "";
	if (ct_hashkey_random(&s->key) != CT_OK)
		ct_hashkey_fixed(&s->key, 0x5eed); /* ids here are ctitap's own; only the order would suffer */
	size_t slots = (size_t)s->cfg.max_calls * 2;
	if (ct_htab_init(&s->ids, slots, 1u << 20) != CT_OK) {
		free(s);
		return CT_ENOMEM;
	}
	*out = s;
	return CT_OK;
}

static struct valias *alias_find(const struct ct_view_store *s, const char *id)
{
	uint64_t h = ct_hash(&s->key, id, strlen(id));
	for (struct ct_hnode *n = ct_htab_first(&s->ids, h); n; n = ct_htab_next(n)) {
		struct valias *a = CT_CONTAINER_OF(n, struct valias, node);
		if (strcmp(a->id, id) == 0)
			return a;
	}
	return NULL;
}

static bool alias_add(struct ct_view_store *s, struct ventry *e, const char *id)
{
	if (e->naliases >= VIEW_ALIASES)
		return false;
	struct valias *a = calloc(1, sizeof(*a));
	if (!a)
		return false;
	view_copy(a->id, sizeof(a->id), id);
	a->e = e;
	a->next = e->aliases;
	e->aliases = a;
	e->naliases++;
	ct_htab_add(&s->ids, &a->node, ct_hash(&s->key, a->id, strlen(a->id)));
	return true;
}

static void lru_unlink(struct ct_view_store *s, struct ventry *e)
{
	if (e->older)
		e->older->newer = e->newer;
	else
		s->oldest = e->newer;
	if (e->newer)
		e->newer->older = e->older;
	else
		s->newest = e->older;
	e->older = e->newer = NULL;
}

static void lru_push(struct ct_view_store *s, struct ventry *e)
{
	e->older = s->newest;
	e->newer = NULL;
	if (s->newest)
		s->newest->newer = e;
	else
		s->oldest = e;
	s->newest = e;
}

void view_store_drop(struct ct_view_store *s, struct ventry *e)
{
	lru_unlink(s, e);
	for (struct valias *a = e->aliases, *next; a; a = next) {
		next = a->next;
		ct_htab_del(&s->ids, &a->node);
		free(a);
	}
	for (unsigned i = 0; i < e->n; i++)
		free(e->recs[i]);
	free(e->recs);
	s->bytes -= e->bytes;
	s->ncalls--;
	free(e);
}

static void evict(struct ct_view_store *s, struct ventry *e)
{
	s->ctr.evicted++;
	if (ct_log_sample(s->ctr.evicted))
		ct_info("call view: call %s %s at the view's cap (%u calls, %zu MiB; evicted so far: %llu)", e->id,
			s->on_evict ? "written early" : "dropped", s->cfg.max_calls, s->cfg.max_bytes >> 20,
			(unsigned long long)s->ctr.evicted);
	if (s->on_evict)
		s->on_evict(s->user, e);
	view_store_drop(s, e);
}

static struct ventry *entry_new(struct ct_view_store *s, const char *id)
{
	while (s->ncalls >= s->cfg.max_calls && s->oldest)
		evict(s, s->oldest);
	struct ventry *e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	view_copy(e->id, sizeof(e->id), id);
	if (!alias_add(s, e, id)) {
		free(e);
		return NULL;
	}
	s->ncalls++;
	lru_push(s, e);
	return e;
}

static bool entry_grow(struct ventry *e, unsigned need)
{
	if (need <= e->cap)
		return true;
	unsigned cap = e->cap ? e->cap : 16;
	while (cap < need)
		cap *= 2;
	struct vrec **r = realloc(e->recs, cap * sizeof(*r));
	if (!r)
		return false;
	e->recs = r;
	e->cap = cap;
	return true;
}

/* Moves every record and alias of `from` into `into` (a call record merged them); frees from. */
static void entry_fold(struct ct_view_store *s, struct ventry *into, struct ventry *from)
{
	if (!entry_grow(into, into->n + from->n)) {
		into->dropped += from->n; /* out of memory: the merged call's records are lost, counted */
		s->ctr.call_full += from->n;
		view_store_drop(s, from);
		return;
	}
	memcpy(into->recs + into->n, from->recs, from->n * sizeof(*from->recs));
	into->n += from->n;
	into->bytes += from->bytes;
	into->dropped += from->dropped;
	from->n = 0;
	from->bytes = 0;
	while (from->aliases) {
		struct valias *a = from->aliases;
		from->aliases = a->next;
		from->naliases--;
		if (into->naliases < VIEW_ALIASES) {
			a->e = into;
			a->next = into->aliases;
			into->aliases = a;
			into->naliases++;
		} else {
			ct_htab_del(&s->ids, &a->node);
			free(a);
		}
	}
	view_store_drop(s, from);
}

/* A call record: it names the surviving id and the ids merged into it. */
static void entry_merge(struct ct_view_store *s, struct ventry *e, const char *call, const json_t *root)
{
	view_copy(e->id, sizeof(e->id), call);
	e->finished = true;
	const json_t *merged = json_object_get(root, "merged");
	size_t i;
	const json_t *m;
	json_array_foreach(merged, i, m) {
		const char *id = json_string_value(m);
		if (!id || !ct_view_id_valid(id, strlen(id)))
			continue;
		struct valias *a = alias_find(s, id);
		if (!a)
			alias_add(s, e, id);
		else if (a->e != e)
			entry_fold(s, e, a->e);
	}
}

struct ventry *view_store_add_parsed(struct ct_view_store *s, enum ct_rec_type type, const char *call,
				     const char *json, size_t len, const json_t *root)
{
	if (s->is_done && s->is_done(s->user, call)) {
		s->ctr.late++;
		return NULL;
	}
	struct valias *a = alias_find(s, call);
	struct ventry *e = a ? a->e : entry_new(s, call);
	if (!e) {
		s->ctr.call_full++;
		return NULL;
	}
	if (type == CT_REC_CALL)
		entry_merge(s, e, call, root);
	size_t cost = VREC_COST(len);
	if (type != CT_REC_CALL && (e->n >= VIEW_CALL_RECORDS || e->bytes + cost > s->cfg.max_bytes / 4)) {
		e->dropped++;
		s->ctr.call_full++;
		return e;
	}
	struct vrec *r = malloc(sizeof(*r) + len + 1);
	if (!r || !entry_grow(e, e->n + 1)) {
		free(r);
		e->dropped++;
		s->ctr.call_full++;
		return e;
	}
	r->seq = s->seq++;
	r->len = (uint32_t)len;
	r->type = (uint8_t)type;
	if (!view_parse_time(view_jstr(root, "ts"), &r->ts))
		r->ts = 0;
	memcpy(r->json, json, len);
	r->json[len] = '\0';
	e->recs[e->n++] = r;
	e->bytes += cost;
	s->bytes += cost;
	s->ctr.kept++;
	lru_unlink(s, e);
	lru_push(s, e);
	while (s->bytes > s->cfg.max_bytes && s->oldest && s->oldest != e)
		evict(s, s->oldest);
	return e;
}

void ct_view_store_add(struct ct_view_store *s, const struct ct_record *r)
{
	s->ctr.records++;
	if (!r->key || r->type == CT_REC_STATS) {
		s->ctr.no_call++;
		return;
	}
	if (!ct_view_id_valid(r->key, strlen(r->key)) || r->type >= CT_REC_NTYPES) {
		s->ctr.bad++;
		return;
	}
	if (r->len > CT_VIEW_RECORD_MAX) {
		s->ctr.too_big++;
		return;
	}
	json_t *root = view_parse(r->json, r->len);
	if (!root) {
		s->ctr.bad++;
		return;
	}
	view_store_add_parsed(s, r->type, r->key, r->json, r->len, root);
	json_decref(root);
}

static enum ct_rec_type type_of(const char *s)
{
	for (int t = 0; t < CT_REC_NTYPES; t++)
		if (s && strcmp(s, ct_rec_type_name((enum ct_rec_type)t)) == 0)
			return (enum ct_rec_type)t;
	return CT_REC_NTYPES;
}

struct ventry *view_store_add_line(struct ct_view_store *s, const char *line, size_t len, char call_out[CT_VIEW_ID_MAX])
{
	struct ventry *e = NULL;
	call_out[0] = '\0';
	while (len && (line[len - 1] == '\r' || line[len - 1] == ' '))
		len--;
	if (!len)
		return NULL;
	s->ctr.records++;
	json_t *root = view_parse(line, len);
	if (!root) {
		s->ctr.bad++;
		return NULL;
	}
	enum ct_rec_type type = type_of(view_jstr(root, "type"));
	const char *call = view_jstr(root, "call");
	if (type == CT_REC_NTYPES) {
		s->ctr.bad++;
	} else if (!call || type == CT_REC_STATS) {
		s->ctr.no_call++;
	} else if (!ct_view_id_valid(call, strlen(call))) {
		s->ctr.bad++;
	} else if (len > CT_VIEW_RECORD_MAX) {
		s->ctr.too_big++;
	} else {
		e = view_store_add_parsed(s, type, call, line, len, root);
		view_copy(call_out, CT_VIEW_ID_MAX, call);
	}
	json_decref(root);
	return e;
}

const struct ct_view_counters *ct_view_store_counters(const struct ct_view_store *s)
{
	return &s->ctr;
}

void ct_view_store_free(struct ct_view_store *s)
{
	if (!s)
		return;
	while (s->oldest)
		view_store_drop(s, s->oldest);
	ct_htab_free(&s->ids);
	free(s);
}

/* ---- serving pages ---- */

static const char HTML_TYPE[] = "text/html; charset=utf-8";

static int render_index(struct ct_view_store *s, const char *query, struct ct_buf *out)
{
	struct view_filter f;
	view_filter_parse(&f, query);
	struct view_summary *rows = calloc(s->ncalls ? s->ncalls : 1, sizeof(*rows));
	if (!rows)
		return 500;
	size_t n = 0;
	for (struct ventry *e = s->oldest; e; e = e->newer) {
		if (view_summarize(e, &rows[n]) == CT_OK)
			n++;
	}
	view_index_page(out, rows, n, 0, &f);
	free(rows);
	return out->err ? 500 : 200;
}

int ct_view_render(struct ct_view_store *s, const char *path, struct ct_buf *out, const char **content_type)
{
	if (content_type)
		*content_type = HTML_TYPE;
	while (*path == '/')
		path++;
	const char *q = strchr(path, '?');
	size_t plen = q ? (size_t)(q - path) : strlen(path);
	const char *query = q ? q + 1 : "";
	if (plen == 0 || (plen == 10 && memcmp(path, "index.html", 10) == 0))
		return render_index(s, query, out);
	if (plen > 11 && memcmp(path, "calls/", 6) == 0 && memcmp(path + plen - 5, ".html", 5) == 0 &&
	    ct_view_id_valid(path + 6, plen - 11)) {
		char id[CT_VIEW_ID_MAX];
		memcpy(id, path + 6, plen - 11);
		id[plen - 11] = '\0';
		struct valias *a = alias_find(s, id);
		if (a) {
			int rc = view_call_page(out, &s->cfg, a->e);
			return rc == CT_OK && !out->err ? 200 : 500;
		}
		view_missing_page(out, "This call is not (or no longer) among the calls the view keeps.");
		return out->err ? 500 : 404;
	}
	view_missing_page(out, "No such page.");
	return out->err ? 500 : 404;
}

/* ---- as an output ---- */

static int view_sink_write(void *st, const struct ct_record *r)
{
	ct_view_store_add(st, r);
	return CT_OK;
}

static int view_sink_nop(void *st)
{
	(void)st;
	return CT_OK;
}

const struct ct_sink_ops ct_view_sink_ops = {
	.name = "view",
	.write = view_sink_write,
	.flush = view_sink_nop,
	.poll = NULL,
	.close = view_sink_nop,
};
