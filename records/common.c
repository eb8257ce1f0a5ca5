/* common.c - the fields every record shares, record ids, and the text and time writers the
 * record files share (records.h). */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/id.h"
#include "records.h"

const char *ct_rec_type_name(enum ct_rec_type t)
{
	static const char *const names[] = { "event", "call", "recording", "audit", "stats" };
	return (unsigned)t < CT_REC_NTYPES ? names[t] : "unknown";
}

void ct_records_init(struct ct_records *w, const char *sensor, ct_rec_emit_fn emit, void *user)
{
	memset(w, 0, sizeof(*w));
	ct_json_init(&w->json);
	w->sensor = sensor;
	w->emit = emit;
	w->user = user;
}

void ct_records_free(struct ct_records *w)
{
	ct_json_free(&w->json);
	free(w->order);
	w->order = NULL;
	w->order_cap = 0;
}

void ct_records_set_privacy(struct ct_records *w, const struct ct_privacy *priv, const struct ct_numbers *numbers)
{
	w->priv = priv;
	w->numbers = numbers;
}

void ct_rec_open(struct ct_json *j, enum ct_rec_type type, const char *sensor, ct_time_t ts, uint64_t ordinal)
{
	/* the id hashes "sensor|type|ts|ordinal", written by hand: every record has one */
	const char *tn = ct_rec_type_name(type);
	char text[1024]; /* as ct_id() formats into */
	size_t ls = strnlen(sensor, sizeof(text) - 64), lt = strlen(tn), n = 0;
	memcpy(text, sensor, ls);
	n = ls;
	text[n++] = '|';
	memcpy(text + n, tn, lt);
	n += lt;
	text[n++] = '|';
	n += ct_dec_u64(text + n, ts);
	text[n++] = '|';
	n += ct_dec_u64(text + n, ordinal);
	char id[CT_ID_MAX];
	ct_id_bytes(id, tn, 0x63746974617031ULL, text, n);
	ct_json_obj_begin(j);
	ct_json_kv_str(j, "type", ct_rec_type_name(type));
	ct_json_kv_u64(j, "v", CT_SCHEMA_VERSION);
	ct_json_kv_str(j, "id", id);
	ct_json_kv_str(j, "sensor", sensor);
	ct_json_kv_time(j, "ts", ts);
}

void ct_rec_begin(struct ct_records *w, enum ct_rec_type type, ct_time_t ts, const char *call)
{
	ct_json_reset(&w->json);
	ct_rec_open(&w->json, type, w->sensor, ts, type == CT_REC_STATS ? w->stats_ordinal++ : w->ordinal++);
	if (call)
		ct_json_kv_str(&w->json, "call", call);
}

void ct_rec_end(struct ct_records *w, enum ct_rec_type type, const char *call)
{
	ct_json_obj_end(&w->json);
	struct ct_record r = { type, w->json.buf, w->json.len, call };
	if (w->emit)
		w->emit(w->user, &r);
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

static void kv_null(struct ct_json *j, const char *key)
{
	ct_json_key(j, key);
	ct_json_null(j);
}

void ct_rec_kv_text_or_null(struct ct_json *j, const char *key, const char *s)
{
	if (s && s[0])
		ct_rec_kv_text(j, key, s);
	else
		kv_null(j, key);
}

void ct_rec_kv_time_or_null(struct ct_json *j, const char *key, ct_time_t t)
{
	if (t)
		ct_json_kv_time(j, key, t);
	else
		kv_null(j, key);
}

void ct_rec_kv_slice(struct ct_json *j, const char *key, struct ct_slice s)
{
	if (s.len)
		ct_json_kv_text(j, key, s.p, s.len, CT_TEXT_MAX);
}

/* ---- what privacy.* hides (privacy.h) ---- */

/* key: the text s[0..len) as it is (valid UTF-8 is checked by the writer), and key_truncated
 * when it was cut. */
static void kv_flagged(struct ct_json *j, const char *key, const char *s, size_t len, bool cut)
{
	ct_json_key(j, key);
	ct_json_text(j, (const uint8_t *)s, len, SIZE_MAX);
	if (cut) {
		char k[128];
		snprintf(k, sizeof(k), "%s_truncated", key);
		ct_json_kv_bool(j, k, true);
	}
}

/* Room for a party cut at CT_TEXT_MAX: itself, or a canonical number's mask, or a pseudonym. */
#define PARTY_BUF (CT_TEXT_MAX + CT_NUMBER_NORM_MAX + 1)

static size_t party_text(const struct ct_records *w, const uint8_t *s, size_t len, char buf[PARTY_BUF], bool *cut)
{
	*cut = len > CT_TEXT_MAX;
	return ct_privacy_party(w->priv, w->numbers, s, *cut ? CT_TEXT_MAX : len, buf, PARTY_BUF);
}

void ct_rec_kv_party_slice(struct ct_records *w, const char *key, struct ct_slice s)
{
	if (!s.len)
		return;
	if (!ct_privacy_on(w->priv)) {
		ct_rec_kv_slice(&w->json, key, s);
		return;
	}
	char buf[PARTY_BUF];
	bool cut;
	size_t n = party_text(w, s.p, s.len, buf, &cut);
	kv_flagged(&w->json, key, buf, n, cut);
}

void ct_rec_kv_party(struct ct_records *w, const char *key, const char *s)
{
	if (!ct_privacy_on(w->priv) || !s[0]) {
		ct_rec_kv_text(&w->json, key, s);
		return;
	}
	ct_rec_kv_party_slice(w, key, ct_slice_cstr(s));
}

void ct_rec_kv_party_opt(struct ct_records *w, const char *key, const char *s)
{
	if (s && s[0])
		ct_rec_kv_party(w, key, s);
}

void ct_rec_kv_party_or_null(struct ct_records *w, const char *key, const char *s)
{
	if (s && s[0])
		ct_rec_kv_party(w, key, s);
	else
		kv_null(&w->json, key);
}

void ct_rec_party_item(struct ct_records *w, const char *s)
{
	size_t len = strlen(s);
	if (!ct_privacy_on(w->priv) || !len) {
		ct_json_text(&w->json, (const uint8_t *)s, len, CT_TEXT_MAX);
		return;
	}
	char buf[PARTY_BUF];
	bool cut;
	size_t n = party_text(w, (const uint8_t *)s, len, buf, &cut);
	ct_json_text(&w->json, (const uint8_t *)buf, n, SIZE_MAX);
}

/* Room for a free text cut at CT_FREE_TEXT_MAX with every party in it hidden: a party is at least
 * 4 bytes of the text (1 in a URI, behind a 4-byte scheme) and at most CT_NUMBER_NORM_MAX hidden
 * (the mask of a number the rules lengthened), so this holds every text whole. */
#define FREE_BUF (CT_FREE_TEXT_MAX / 4 * CT_NUMBER_NORM_MAX + CT_FREE_TEXT_MAX + CT_NUMBER_NORM_MAX + 1)

void ct_rec_kv_free(struct ct_records *w, const char *key, const uint8_t *s, size_t len, size_t max)
{
	if (max > CT_FREE_TEXT_MAX)
		max = CT_FREE_TEXT_MAX;
	if (!ct_privacy_on(w->priv)) {
		ct_json_kv_text(&w->json, key, s, len, max);
		return;
	}
	char buf[FREE_BUF];
	bool cut = len > max, short_out;
	size_t n = ct_privacy_text(w->priv, w->numbers, s, cut ? max : len, cut, buf, sizeof(buf), &short_out);
	kv_flagged(&w->json, key, buf, n, cut || short_out);
}

void ct_rec_kv_free_slice(struct ct_records *w, const char *key, struct ct_slice s)
{
	if (s.len)
		ct_rec_kv_free(w, key, s.p, s.len, CT_TEXT_MAX);
}

void ct_rec_kv_free_str(struct ct_records *w, const char *key, const char *s)
{
	ct_rec_kv_free(w, key, (const uint8_t *)s, strlen(s), CT_TEXT_MAX);
}

void ct_rec_kv_dtmf(struct ct_records *w, const char *key, struct ct_slice signal, uint32_t duration_ms)
{
	struct ct_json *j = &w->json;
	ct_json_key(j, key);
	ct_json_obj_begin(j);
	if (w->priv && w->priv->dtmf_clear)
		ct_json_kv_text(j, "signal", signal.p, signal.len, 8);
	else
		ct_json_kv_bool(j, "masked", true);
	if (duration_ms)
		ct_json_kv_u64(j, "duration_ms", duration_ms);
	ct_json_obj_end(j);
}

/* ---- the report that writes records only ---- */

static void r_audit(void *u, const struct ct_audit_view *v) { ct_rec_audit(u, v); }
static void r_sip_event(void *u, const struct ct_sip_event *v) { ct_rec_sip_event(u, v); }
static void r_dialog_end(void *u, const struct ct_dialog_end *v) { ct_rec_dialog_end(u, v); }
static void r_csta_event(void *u, const struct ct_csta_event *v) { ct_rec_csta_event(u, v); }
static void r_rtp_stream(void *u, const struct ct_rtp_stream_view *v) { ct_rec_rtp_stream(u, v); }
static void r_agent_state(void *u, const struct ct_agent_change *v) { ct_rec_agent_state(u, v); }
static void r_recording(void *u, const struct ct_recording_view *v) { ct_rec_recording(u, v); }
static void r_call(void *u, const struct ct_call_view *v) { ct_rec_call(u, v); }

struct ct_report ct_records_report(struct ct_records *w)
{
	struct ct_report r = {
		.user = w,
		.audit = r_audit,
		.sip_event = r_sip_event,
		.dialog_end = r_dialog_end,
		.csta_event = r_csta_event,
		.rtp_stream = r_rtp_stream,
		.agent_state = r_agent_state,
		.recording = r_recording,
		.call = r_call,
	};
	return r;
}
