/* view_int.h - the call view's insides, shared by store.c, page.c, call_page.c, index_page.c
 * and export.c. Not for other layers. */
#ifndef CT_WEB_VIEW_INT_H
#define CT_WEB_VIEW_INT_H

#include <jansson.h>

#include "../util/hash.h"
#include "../util/htab.h"
#include "view.h"

/* One record kept: its JSON text, copied. */
struct vrec {
	uint64_t seq;          /* arrival order in the store: ties of ts keep it */
	ct_time_t ts;          /* the record's ts (0 when it had none that parses) */
	uint32_t len;
	uint8_t type;          /* enum ct_rec_type */
	char json[];           /* len bytes and a NUL */
};

struct ventry;

/* An id that leads to a call: its own and the ids merged into it. */
struct valias {
	struct ct_hnode node;
	struct ventry *e;
	struct valias *next;   /* the entry's other aliases */
	char id[CT_VIEW_ID_MAX];
};

#define VIEW_CALL_RECORDS 8192 /* records one call keeps (the call record is always kept) */
#define VIEW_ALIASES 32        /* ids one call answers to (its own and merged ones) */

/* One call: every record that carries its id or an id merged into it. */
struct ventry {
	char id[CT_VIEW_ID_MAX];  /* the surviving id: the call record's `call`, else the first seen */
	struct vrec **recs;       /* owned, in arrival order */
	unsigned n, cap;
	size_t bytes;             /* of recs, as counted against the caps */
	unsigned dropped;         /* records not kept: past the call's share */
	bool finished;            /* its call record came */
	struct valias *aliases;   /* owned */
	unsigned naliases;
	struct ventry *older, *newer; /* least recently updated first */
};

struct ct_view_store {
	struct ct_view_cfg cfg;
	struct ct_hashkey key;
	struct ct_htab ids;          /* valias by id */
	struct ventry *oldest, *newest;
	unsigned ncalls;
	size_t bytes;
	uint64_t seq;
	struct ct_view_counters ctr;
	/* export: called before a call is dropped at a cap (its page is written), and asked whether
	 * a call's page was written already (its late records are counted, not kept) */
	void (*on_evict)(void *user, struct ventry *e);
	bool (*is_done)(void *user, const char *id);
	void *user;
};

/* Adds a record whose JSON was parsed already (root: the object). type and call (a valid id) as
 * the record says. Returns the call it was filed under (valid until the next add), or NULL
 * when it was not (late, out of memory). */
struct ventry *view_store_add_parsed(struct ct_view_store *s, enum ct_rec_type type, const char *call,
				     const char *json, size_t len, const json_t *root);
/* One line of stored JSON lines: its type and call read from it, then as above; call_out gets
 * the call id ("" when none). Counted in records, bad, no_call, too_big when it is not kept. */
struct ventry *view_store_add_line(struct ct_view_store *s, const char *line, size_t len, char call_out[CT_VIEW_ID_MAX]);
/* Forgets a call and frees its records (the export, once its page is written). */
void view_store_drop(struct ct_view_store *s, struct ventry *e);

/* One index row: what the index shows and filters on, copied out of a call's records. */
struct view_summary {
	char id[CT_VIEW_ID_MAX];
	char start[32];          /* RFC 3339 as written, "" when unknown */
	char direction[16];
	char disposition[16];    /* "" when the call record has not come */
	char calling[80], called[80];
	struct {
		char device[32], agent[32]; /* spaces made '_': each is one word of agents_key */
	} party[6];              /* the first parties of the call */
	unsigned nparties, parties_more;
	char agents_key[160];    /* "2001 A2001 2002": what ?agent= matches */
	char audits[160];        /* kinds, space separated, each once */
	int64_t ring_ms, talk_ms, hold_ms; /* -1: unknown */
	unsigned messages;
	bool recorded;
	bool complete;           /* the call record came */
};

/* Fills row from a call's records. Returns CT_OK, or CT_ENOMEM. */
int view_summarize(const struct ventry *e, struct view_summary *row);

/* The index's filter, from a query string ("a=1&b=2", percent-encoded, '+' a space). */
struct view_filter {
	char number[64], agent[64], disp[32], audit[64], from[40], to[40];
};
void view_filter_parse(struct view_filter *f, const char *query);
bool view_filter_match(const struct view_filter *f, const struct view_summary *row);

/* The index page: rows sorted newest first (sorted here), those matching f shown. total: calls
 * the index knows of (rows and those cut); cut: calls left out at index_max. */
void view_index_page(struct ct_buf *out, struct view_summary *rows, size_t n, uint64_t cut, const struct view_filter *f);
/* One call's page. Returns CT_OK or CT_ENOMEM. */
int view_call_page(struct ct_buf *out, const struct ct_view_cfg *cfg, const struct ventry *e);
/* The 404 page. */
void view_missing_page(struct ct_buf *out, const char *what);

/* page.c: the document around a page's body. index: the page has the filter script. */
void view_page_begin(struct ct_buf *out, const char *title_trusted, const char *title_text, bool index);
void view_page_end(struct ct_buf *out, bool index);

/* "2026-01-05T09:00:03.312456Z" -> µs since the epoch; false when s is not exactly that form. */
bool view_parse_time(const char *s, ct_time_t *t);

/* JSON accessors: NULL / false when the key is absent or of another type. */
const char *view_jstr(const json_t *o, const char *key);
bool view_jint(const json_t *o, const char *key, int64_t *v);
/* Parses one record's text: an object, or NULL. The caller decrefs. */
json_t *view_parse(const char *json, size_t len);

/* Copies text s into dst[size], cut at a code point with "…" when it does not fit. */
void view_copy(char *dst, size_t size, const char *s);

#endif
