/* records.h - the records ctitap writes (docs/records.md), serialised from the correlator's
 * typed views (correlator/report.h). One file per record type, as schemas/ split them:
 * common.c (the fields every record shares, ids), event.c, call.c, recording.c, audit.c,
 * stats.c.
 *
 * Serialisation only: nothing here keeps state about calls, reads packets or writes to a
 * sink. Each ct_rec_*() builds one record in the writer's buffer and hands it to the
 * writer's emit function; app/pipeline.c points that at the outputs, a test at its own list.
 * Single-threaded, like the pipeline: one writer per thread.
 */
#ifndef CT_RECORDS_H
#define CT_RECORDS_H

#include <stdbool.h>

#include "../correlator/report.h"
#include "../util/counters.h"
#include "../util/json.h"
#include "privacy.h"
#include "record.h"
#include "recorded.h"

#define CT_SCHEMA_VERSION 1
/* Longest text copied from a packet into a record; longer text is cut and flagged
 * (<key>_truncated). */
#define CT_TEXT_MAX 256

/* Where finished records go: r and everything it points to are borrowed for the call. */
typedef void (*ct_rec_emit_fn)(void *user, const struct ct_record *r);

struct ct_rec_order; /* stats.c: agents in the order their written text sorts */

struct ct_records {
	struct ct_json json;       /* reused record after record */
	const char *sensor;        /* borrowed: must outlive the writer */
	uint64_t ordinal;          /* records written so far (stats records have their own) */
	uint64_t stats_ordinal;
	ct_rec_emit_fn emit;
	void *user;
	const struct ct_privacy *priv;    /* borrowed; NULL: everything clear, DTMF masked */
	const struct ct_numbers *numbers; /* borrowed; canonical forms for masks and pseudonyms */
	struct ct_rec_order *order;       /* owned, grown to the largest agent list seen */
	size_t order_cap;
};

/* sensor is borrowed (it must outlive w); emit may be NULL (records are built and dropped:
 * fuzz targets). Records are written in clear (DTMF masked) until ct_records_set_privacy(). */
void ct_records_init(struct ct_records *w, const char *sensor, ct_rec_emit_fn emit, void *user);
void ct_records_free(struct ct_records *w);
/* What every later record shows of numbers, parties and DTMF keys (privacy.h). priv and numbers
 * are borrowed and read at each record (a SIGHUP's new numbers.* apply from the next one);
 * either may be NULL. */
void ct_records_set_privacy(struct ct_records *w, const struct ct_privacy *priv, const struct ct_numbers *numbers);

/* A report whose every hook writes the view's record through w (for tests and tools that
 * want records only; the pipeline binds its own hooks). */
struct ct_report ct_records_report(struct ct_records *w);

void ct_rec_audit(struct ct_records *w, const struct ct_audit_view *v);
void ct_rec_sip_event(struct ct_records *w, const struct ct_sip_event *v);
void ct_rec_dialog_end(struct ct_records *w, const struct ct_dialog_end *v);
void ct_rec_csta_event(struct ct_records *w, const struct ct_csta_event *v);
void ct_rec_rtp_stream(struct ct_records *w, const struct ct_rtp_stream_view *v);
void ct_rec_agent_state(struct ct_records *w, const struct ct_agent_change *v);
void ct_rec_recording(struct ct_records *w, const struct ct_recording_view *v);
/* The same with what ctitap's recorder did for it (app/recwire.c): chain, the entry its action
 * wrote (NULL or seq 0: none); file, a finished file (stop: the audio; file: a payload or
 * evidence pcap), NULL for none. device_shown: v->device is the text privacy.* made of it
 * already (the recorder keeps only that), written as it is. */
void ct_rec_recording_done(struct ct_records *w, const struct ct_recording_view *v, bool device_shown,
			   const struct ct_rec_chain *chain, const struct ct_rec_file *file);
void ct_rec_call(struct ct_records *w, const struct ct_call_view *v);

/* Counters a module keeps apart (the recorder's, sinks/recorder.h), written after the agents as
 * "name": {key: value, ...}. */
struct ct_stats_group {
	const char *name;
	const char *const *keys;
	const uint64_t *values;
	unsigned n;
};

struct ct_stats_view {
	ct_time_t ts;
	bool final;                /* the last one of the run */
	const struct ct_counters *ctr;
	const struct ct_agent_summary *agents; /* in device order */
	unsigned nagents;
	const struct ct_stats_group *groups; /* NULL or ngroups 0: none */
	unsigned ngroups;
};

void ct_rec_stats(struct ct_records *w, const struct ct_stats_view *v);

/* ---- for the record files (common.c) ------------------------------------------------------ */

/* The opening fields of a record (type, v, id, sensor, ts) with an explicit ordinal: for tools
 * that build records by hand (tests/sinks/emit.c). */
void ct_rec_open(struct ct_json *j, enum ct_rec_type type, const char *sensor, ct_time_t ts, uint64_t ordinal);
/* The fields of a stats record after the common ones: "final", then every counter. */
void ct_rec_stats_fields(struct ct_json *j, bool final, const struct ct_counters *ctr);

/* Starts a record of `type` at packet time ts with the fields every record shares (type, v,
 * id, sensor, ts, and call when not NULL). The id hashes the sensor, type, time and ordinal:
 * the same input gives the same ids, so a replay or a redelivery is recognised downstream. */
void ct_rec_begin(struct ct_records *w, enum ct_rec_type type, ct_time_t ts, const char *call);
/* Closes the record and hands it to emit (key: the call id, or NULL). */
void ct_rec_end(struct ct_records *w, enum ct_rec_type type, const char *call);

/* Text fields from C strings that came from packets (escaped, cut at CT_TEXT_MAX and flagged):
 * always written; left out when NULL or empty; or null then. A time, or null when 0. */
void ct_rec_kv_text(struct ct_json *j, const char *key, const char *s);
void ct_rec_kv_text_opt(struct ct_json *j, const char *key, const char *s);
void ct_rec_kv_text_or_null(struct ct_json *j, const char *key, const char *s);
void ct_rec_kv_time_or_null(struct ct_json *j, const char *key, ct_time_t t);
void ct_rec_kv_slice(struct ct_json *j, const char *key, struct ct_slice s);

/* What the privacy settings hide (docs/privacy.md): the same cuts, flags and escapes as the
 * text writers above, after the text went through privacy.h.
 *
 * A party: a whole value naming one party (a number, a device, an agent id): shown clear,
 * masked or as its pseudonym. Always written; left out when NULL or empty; or null then; as an
 * array item; from a slice (left out when empty). */
void ct_rec_kv_party(struct ct_records *w, const char *key, const char *s);
void ct_rec_kv_party_opt(struct ct_records *w, const char *key, const char *s);
void ct_rec_kv_party_or_null(struct ct_records *w, const char *key, const char *s);
void ct_rec_party_item(struct ct_records *w, const char *s);
void ct_rec_kv_party_slice(struct ct_records *w, const char *key, struct ct_slice s);
/* Free text that may hold numbers and URIs (a SIP header value, an audit detail): the parties
 * inside it hidden, the rest as it came; cut at max bytes (at most CT_FREE_TEXT_MAX) before
 * that. Hidden parties may make it longer (a pseudonym is 18 bytes). Always written; from a
 * slice, cut at CT_TEXT_MAX and left out when empty; from a C string, cut at CT_TEXT_MAX. */
#define CT_FREE_TEXT_MAX 512
void ct_rec_kv_free(struct ct_records *w, const char *key, const uint8_t *s, size_t len, size_t max);
void ct_rec_kv_free_slice(struct ct_records *w, const char *key, struct ct_slice s);
void ct_rec_kv_free_str(struct ct_records *w, const char *key, const char *s);
/* A DTMF key (SIP INFO): {"signal": "5", "duration_ms": 160}, or with privacy.dtmf=mask (the
 * default) {"masked": true, "duration_ms": 160}; duration_ms left out when 0. */
void ct_rec_kv_dtmf(struct ct_records *w, const char *key, struct ct_slice signal, uint32_t duration_ms);

#endif
