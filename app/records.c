/* records.c - record construction shared by all record types. */
#include "records.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "../util/hash.h"

void ct_rec_begin(struct ct_json *j, enum ct_rec_type type, const char *sensor, ct_time_t ts, uint64_t ordinal)
{
	struct ct_hashkey key;
	ct_hashkey_fixed(&key, 0x63746974617031ULL); /* fixed: ids must not change between runs */
	char idsrc[256];
	int n = snprintf(idsrc, sizeof(idsrc), "%s|%s|%" PRIu64 "|%" PRIu64, sensor, ct_rec_type_name(type), ts,
			 ordinal);
	char id[40];
	snprintf(id, sizeof(id), "%s-%016" PRIx64, ct_rec_type_name(type),
		 ct_hash(&key, idsrc, (size_t)(n < (int)sizeof(idsrc) ? n : (int)sizeof(idsrc) - 1)));
	ct_json_obj_begin(j);
	ct_json_kv_str(j, "type", ct_rec_type_name(type));
	ct_json_kv_u64(j, "v", CT_SCHEMA_VERSION);
	ct_json_kv_str(j, "id", id);
	ct_json_kv_str(j, "sensor", sensor);
	ct_json_kv_time(j, "ts", ts);
}

void ct_rec_stats(struct ct_json *j, const char *sensor, ct_time_t ts, uint64_t ordinal, bool final,
		  const struct ct_counters *ctr)
{
	ct_rec_begin(j, CT_REC_STATS, sensor, ts, ordinal);
	ct_rec_stats_fields(j, final, ctr);
	ct_json_obj_end(j);
}

void ct_rec_stats_fields(struct ct_json *j, bool final, const struct ct_counters *ctr)
{
	ct_json_kv_bool(j, "final", final);
	for (size_t i = 0; i < ct_counter_count; i++)
		ct_json_kv_u64(j, ct_counter_table[i].name, ct_counter_get(ctr, &ct_counter_table[i]));
}

void ct_rec_kv_text(struct ct_json *j, const char *key, const char *s)
{
	ct_json_kv_text(j, key, (const uint8_t *)s, strlen(s), CT_TEXT_MAX);
}

void ct_rec_kv_text_opt(struct ct_json *j, const char *key, const char *s)
{
	if (s && s[0])
		ct_rec_kv_text(j, key, s);
}

void ct_rec_kv_text_or_null(struct ct_json *j, const char *key, const char *s)
{
	if (s && s[0]) {
		ct_rec_kv_text(j, key, s);
	} else {
		ct_json_key(j, key);
		ct_json_null(j);
	}
}

void ct_rec_kv_time_or_null(struct ct_json *j, const char *key, ct_time_t t)
{
	if (t) {
		ct_json_kv_time(j, key, t);
	} else {
		ct_json_key(j, key);
		ct_json_null(j);
	}
}

void ct_emit_begin(struct ct_emitter *em, enum ct_rec_type type, ct_time_t ts, const char *call)
{
	ct_json_reset(&em->json);
	ct_rec_begin(&em->json, type, em->sensor, ts, em->ordinal++);
	em->type = type;
	em->key[0] = '\0';
	if (call) {
		ct_json_kv_str(&em->json, "call", call);
		snprintf(em->key, sizeof(em->key), "%s", call);
	}
}

void ct_emit_end(struct ct_emitter *em)
{
	ct_json_obj_end(&em->json);
	struct ct_record r = { em->type, em->json.buf, em->json.len, em->key[0] ? em->key : NULL };
	if (em->out)
		ct_outputs_emit(em->out, &r);
}
