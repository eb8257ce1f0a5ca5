/* records.h - building the records ctitap writes (docs/records.md). */
#ifndef CT_RECORDS_H
#define CT_RECORDS_H

#include "../sinks/sink.h"
#include "../util/counters.h"
#include "../util/json.h"

#define CT_SCHEMA_VERSION 1
/* Longest text copied from a packet into a record; longer text is cut and flagged. */
#define CT_TEXT_MAX 256

/* Writes the opening fields every record shares: type, v, id, sensor, ts. The id is a
 * hash of the sensor, type, time and a per-type ordinal: the same input gives the same
 * ids, and a replay or a redelivery can be recognised downstream. */
void ct_rec_begin(struct ct_json *j, enum ct_rec_type type, const char *sensor, ct_time_t ts, uint64_t ordinal);

/* The fields of a stats record after the common ones: "final", then every counter. */
void ct_rec_stats_fields(struct ct_json *j, bool final, const struct ct_counters *ctr);
/* The stats record: common fields, "final", then every counter. */
void ct_rec_stats(struct ct_json *j, const char *sensor, ct_time_t ts, uint64_t ordinal, bool final,
		  const struct ct_counters *ctr);

/* Text fields from C strings that came from packets (escaped, cut at CT_TEXT_MAX and flagged):
 * always written; left out when NULL or empty; or null then. A time, or null when 0. */
void ct_rec_kv_text(struct ct_json *j, const char *key, const char *s);
void ct_rec_kv_text_opt(struct ct_json *j, const char *key, const char *s);
void ct_rec_kv_text_or_null(struct ct_json *j, const char *key, const char *s);
void ct_rec_kv_time_or_null(struct ct_json *j, const char *key, ct_time_t t);

/* Where the layers above capture put their records: one reusable JSON buffer, the sensor
 * name, a record ordinal, and the outputs. Single-threaded, like the pipeline. */
struct ct_emitter {
	struct ct_json json;
	const char *sensor;
	uint64_t ordinal;
	enum ct_rec_type type; /* of the record being built */
	struct ct_outputs *out;
	char key[64];
};

/* Starts a record of `type` at packet time ts; `call` (may be NULL) is the call id, also
 * the Kafka key. Add fields with ct_json_* on em->json, then ct_emit_end(). */
void ct_emit_begin(struct ct_emitter *em, enum ct_rec_type type, ct_time_t ts, const char *call);
void ct_emit_end(struct ct_emitter *em);

#endif
