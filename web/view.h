/* view.h - the call view: ctitap's records of a call drawn as HTML pages (issue 16).
 *
 * The web layer consumes records, as the sinks do; it knows nothing of the correlator. Pages:
 *   index.html             every call kept: start, direction, caller, agents, disposition,
 *                          ring/talk/hold, audits, recorded; filtered by the query
 *                          (?number= &agent= &disp= &audit= &from= &to=) on the server, and by
 *                          a small script on a static copy (the page is complete without it)
 *   calls/<call id>.html   one call: a ladder diagram in inline SVG (one lane per host, named
 *                          by role; SIP and CSTA messages as arrows; RTP as bands; ring, talk,
 *                          hold and recording as spans; transfers, conferences and audits
 *                          marked), the correlation evidence, tables of every message, stream,
 *                          party, recording and audit.
 * Pages are plain HTML with inline CSS and SVG, no outside asset, valid under the
 * Content-Security-Policy of ct_view_csp(), which each page also carries in a <meta>. Every text
 * taken from a record is escaped. The same records in the same order give the same bytes.
 *
 * Two ways to the same pages: a store of recent calls fed with every record (the live view of
 * the HTTP endpoint, ct_view_render()), and ct_view_export() (ctitap --html DIR FILE...).
 *
 * Threading: a store is used from one thread (the pipeline's, which also serves HTTP).
 */
#ifndef CT_WEB_VIEW_H
#define CT_WEB_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../records/record.h"
#include "../sinks/sink.h"
#include "buf.h"

/* ctitap's call ids: "[a-z]{1,16}-[0-9a-f]{16}". Only ids of this shape are kept or put in a path. */
#define CT_VIEW_ID_MAX 34
bool ct_view_id_valid(const char *s, size_t n);

/* A record longer than this is not kept (call records are a few KiB; stats records, which can
 * be megabytes, belong to no call). */
#define CT_VIEW_RECORD_MAX (256u * 1024)

struct ct_view_cfg {
	unsigned max_calls;     /* calls kept at once (http.view_calls); past it the least recently
				 * updated call is dropped (live) or written (export) */
	size_t max_bytes;       /* bytes of records kept (http.view_mb, view.export_mb), same policy;
				 * one call keeps at most a quarter of it */
	unsigned max_messages;  /* arrows drawn per call (view.max_messages); the rest is counted on
				 * the page */
	unsigned index_max;     /* export: rows of index.html (view.index_max), the newest calls */
	const char *files_base; /* prefix of links to recording files, which records name relative to
				 * record.dir (view.files_base); borrowed */
};

/* Defaults: 200 calls, 64 MiB, 2000 messages, 20000 index rows, files_base "../files/". */
void ct_view_cfg_default(struct ct_view_cfg *cfg);

/* What the view kept and gave up; every cap has its counter. */
struct ct_view_counters {
	uint64_t records;    /* offered */
	uint64_t kept;
	uint64_t no_call;    /* without a call (stats, link-level events and audits): not kept */
	uint64_t bad;        /* not a JSON object, or a call id of another shape */
	uint64_t too_big;    /* longer than CT_VIEW_RECORD_MAX */
	uint64_t call_full;  /* past one call's share (8192 records, max_bytes / 4) */
	uint64_t evicted;    /* calls dropped (live) or written before the end (export) at a cap */
	uint64_t late;       /* export: records of a call whose page was already written */
	uint64_t index_cut;  /* export: calls left out of index.html (index_max) */
	uint64_t pages;      /* export: call pages written */
};

struct ct_view_store;

/* A store of recent calls. cfg is copied (files_base is borrowed and must outlive the store).
 * Returns CT_OK or CT_ENOMEM. */
int ct_view_store_new(struct ct_view_store **out, const struct ct_view_cfg *cfg);
/* Frees the store and every record it holds. NULL is fine. */
void ct_view_store_free(struct ct_view_store *s);
/* Every record, in the order the outputs get them. Records of a call are kept under the call's
 * surviving id: a call record's `merged` ids are folded into it, before and after. The bytes
 * are copied; r is borrowed for the call. */
void ct_view_store_add(struct ct_view_store *s, const struct ct_record *r);
const struct ct_view_counters *ct_view_store_counters(const struct ct_view_store *s);

/* Renders the page at `path`, relative to the view's root, with or without a leading '/':
 * "", "index.html" (optionally "?query"), "calls/<call id>.html". The page is appended to
 * out (the caller owns it and resets it). *content_type (may be NULL) is set to a static
 * string. Returns 200, 404 (no such page: out holds a short page saying so), or 500 when out
 * could not grow. The pages link to each other relatively, so they work under any prefix. */
int ct_view_render(struct ct_view_store *s, const char *path, struct ct_buf *out, const char **content_type);

/* The Content-Security-Policy of every page (static storage): send it as a header too. */
const char *ct_view_csp(void);

/* A sink that hands every record to a store: for ct_outputs, with st = the store. Its close
 * does not free the store (its owner does, after the outputs are closed). */
extern const struct ct_sink_ops ct_view_sink_ops;

/* ctitap --html: reads JSON-lines files as ctitap wrote them (plain or zstd, frames of a file
 * being written included; rotated parts in the order written; "-" standard input), and writes
 * DIR/index.html and DIR/calls/<call id>.html. Regular files are read twice, and each call's
 * page written as soon as its last record is read; memory is bounded by cfg (max_bytes,
 * max_calls): past it the least recently updated call is written early. files is borrowed.
 * ctr (may be NULL) gets the counters. Returns CT_OK; or the first error (a file missing: CT_ENOENT; not
 * JSON lines nor zstd, a broken zstd frame: CT_EFORMAT; DIR not writable: CT_EPERM or CT_EIO)
 * with err saying which file and why: a bad input file is skipped and the others are read. */
int ct_view_export(const struct ct_view_cfg *cfg, const char *dir, const char *const *files, unsigned nfiles,
		   struct ct_view_counters *ctr, char *err, size_t errlen);

#endif
