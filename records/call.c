/* call.c - `call` records: the lifecycle of one customer call (docs/records.md#call,
 * schemas/call.schema.json). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "records.h"

static void kv_ms_or_null(struct ct_json *j, const char *key, bool has, uint64_t ms)
{
	if (has) {
		ct_json_kv_u64(j, key, ms);
	} else {
		ct_json_key(j, key);
		ct_json_null(j);
	}
}

/* A party of a transfer, or "?" when not known. */
static void kv_party_or_unknown(struct ct_records *w, const char *key, const char *s)
{
	if (s[0])
		ct_rec_kv_party(w, key, s);
	else
		ct_json_kv_str(&w->json, key, "?");
}

static void transfer_list(struct ct_records *w, const char *key, const struct ct_call_transfer *x, unsigned n)
{
	struct ct_json *j = &w->json;
	ct_json_key(j, key);
	ct_json_arr_begin(j);
	for (unsigned i = 0; i < n; i++) {
		ct_json_obj_begin(j);
		kv_party_or_unknown(w, "from", x[i].from);
		kv_party_or_unknown(w, "to", x[i].to);
		ct_json_kv_str(j, "kind", ct_xfer_kind_name(x[i].kind));
		ct_json_kv_time(j, "ts", x[i].ts);
		ct_json_obj_end(j);
	}
	ct_json_arr_end(j);
}

static void text_item(struct ct_json *j, const char *s)
{
	ct_json_text(j, (const uint8_t *)s, strlen(s), CT_TEXT_MAX);
}

void ct_rec_call(struct ct_records *w, const struct ct_call_view *v)
{
	ct_rec_begin(w, CT_REC_CALL, v->ts, v->call);
	struct ct_json *j = &w->json;
	ct_json_kv_time(j, "start", v->start);
	ct_rec_kv_time_or_null(j, "answer", v->answer);
	ct_json_kv_time(j, "end", v->end);
	ct_rec_kv_party_or_null(w, "calling", v->calling);
	ct_rec_kv_party_or_null(w, "called", v->called);
	ct_json_kv_str(j, "direction", ct_direction_name(v->direction));
	ct_json_kv_str(j, "disposition", ct_disposition_name(v->disposition));
	ct_json_kv_u64(j, "ring_ms", v->ring_ms);
	ct_json_kv_u64(j, "talk_ms", v->talk_ms);
	ct_json_kv_u64(j, "hold_ms", v->hold_ms);
	ct_json_kv_u64(j, "holds", v->holds);
	kv_ms_or_null(j, "queue_ms", v->has_queue, v->queue_ms);
	kv_ms_or_null(j, "route_ms", v->has_route, v->route_ms);
	ct_json_key(j, "cti_lag_ms");
	if (v->has_cti_lag)
		ct_json_i64(j, v->cti_lag_us / 1000);
	else
		ct_json_null(j);
	ct_json_key(j, "parties");
	ct_json_arr_begin(j);
	for (unsigned i = 0; i < v->nparties; i++) {
		const struct ct_call_party *p = &v->parties[i];
		ct_json_obj_begin(j);
		ct_rec_kv_party(w, "device", p->device);
		ct_rec_kv_time_or_null(j, "alerted", p->alerted);
		ct_rec_kv_time_or_null(j, "answered", p->answered);
		ct_rec_kv_time_or_null(j, "released", p->released);
		ct_rec_kv_party_opt(w, "agent_id", p->agent_id);
		ct_json_obj_end(j);
	}
	ct_json_arr_end(j);
	transfer_list(w, "transfers", v->transfers, v->ntransfers);
	transfer_list(w, "diversions", v->diversions, v->ndiversions);
	ct_json_key(j, "conference");
	if (v->conferenced) {
		ct_json_obj_begin(j);
		ct_json_key(j, "parties");
		ct_json_arr_begin(j);
		for (unsigned i = 0; i < v->nconference; i++)
			ct_rec_party_item(w, v->conference[i]);
		ct_json_arr_end(j);
		ct_json_obj_end(j);
	} else {
		ct_json_null(j);
	}
	ct_rec_kv_party_or_null(w, "released_by", v->released_by);
	ct_rec_kv_text_or_null(j, "cause", v->cause);
	ct_json_key(j, "csta");
	ct_json_arr_begin(j);
	for (unsigned i = 0; i < v->nlegs; i++) {
		if (v->legs[i].sip)
			continue;
		ct_json_obj_begin(j);
		ct_json_kv_str(j, "link", v->legs[i].link);
		ct_rec_kv_text(j, "call_id", v->legs[i].call_id);
		ct_json_obj_end(j);
	}
	ct_json_arr_end(j);
	ct_json_key(j, "sip");
	ct_json_arr_begin(j);
	for (unsigned i = 0; i < v->nlegs; i++)
		if (v->legs[i].sip)
			text_item(j, v->legs[i].call_id);
	ct_json_arr_end(j);
	ct_json_key(j, "merged");
	ct_json_arr_begin(j);
	for (unsigned i = 0; i < v->nmerged; i++)
		ct_json_str(j, v->merged[i]);
	ct_json_arr_end(j);
	ct_json_key(j, "correlation");
	ct_json_obj_begin(j);
	ct_json_kv_str(j, "method", ct_join_method_name(v->method));
	ct_rec_kv_free_str(w, "evidence", v->evidence);
	ct_json_obj_end(j);
	ct_json_key(j, "recording");
	ct_json_arr_begin(j);
	for (unsigned i = 0; i < v->nrecordings; i++) {
		const struct ct_call_recording *r = &v->recordings[i];
		ct_json_obj_begin(j);
		ct_rec_kv_party(w, "device", r->device);
		ct_json_key(j, "intervals");
		ct_json_arr_begin(j);
		for (unsigned k = 0; k < r->niv; k++) {
			ct_json_obj_begin(j);
			ct_json_kv_time(j, "start", r->iv[k].start);
			ct_rec_kv_time_or_null(j, "end", r->iv[k].end);
			ct_json_obj_end(j);
		}
		ct_json_arr_end(j);
		ct_json_obj_end(j);
	}
	ct_json_arr_end(j);
	ct_json_key(j, "audit");
	ct_json_arr_begin(j);
	for (unsigned i = 0; i < v->nfindings; i++) {
		ct_json_obj_begin(j);
		ct_json_kv_str(j, "kind", ct_audit_kind_name(v->findings[i].kind));
		ct_rec_kv_free_str(w, "detail", v->findings[i].detail);
		ct_json_obj_end(j);
	}
	if (v->findings_more) {
		char d[64];
		snprintf(d, sizeof(d), "%u more findings not listed", v->findings_more);
		ct_json_obj_begin(j);
		ct_json_kv_str(j, "kind", ct_audit_kind_name(CT_AUDIT_TRUNCATED));
		ct_json_kv_str(j, "detail", d);
		ct_json_obj_end(j);
	}
	ct_json_arr_end(j);
	ct_rec_end(w, CT_REC_CALL, v->call);
}
