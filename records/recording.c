/* recording.c - `recording` records: compliance recording triggers, and what ctitap's own
 * recorder did for them (docs/records.md#recording, schemas/recording.schema.json). */
#include "records.h"

static void kv_hex_opt(struct ct_json *j, const char *key, const char *hex)
{
	if (hex && hex[0])
		ct_json_kv_str(j, key, hex); /* the recorder's own hex digits */
}

static void quality(struct ct_json *j, const char *key, const struct ct_rec_quality *q)
{
	ct_json_key(j, key);
	ct_json_obj_begin(j);
	ct_json_kv_u64(j, "packets", q->packets);
	ct_json_kv_i64(j, "lost", q->lost);
	ct_json_kv_u64(j, "late", q->late);
	ct_json_kv_u64(j, "audio_ms", q->audio_ms);
	ct_json_kv_fixed(j, "jitter_ms_mean", q->jitter_ms_mean, 2);
	ct_json_kv_fixed(j, "jitter_ms_max", q->jitter_ms_max, 2);
	if (q->scored) {
		ct_json_kv_fixed(j, "r", q->r, 1);
		ct_json_kv_fixed(j, "mos", q->mos, 2);
		ct_json_kv_bool(j, "wideband", q->wideband);
		ct_json_kv_bool(j, "published", q->published);
	} else {
		ct_json_key(j, "r");
		ct_json_null(j);
		ct_json_key(j, "mos");
		ct_json_null(j);
	}
	ct_json_kv_u64(j, "ssrc_changes", q->ssrc_changes);
	ct_json_kv_u64(j, "ts_jumps", q->ts_jumps);
	ct_json_kv_u64(j, "realigns", q->realigns);
	ct_json_kv_u64(j, "dtmf", q->dtmf);
	ct_json_kv_u64(j, "cn", q->cn);
	ct_json_kv_u64(j, "pt_other", q->pt_other);
	ct_json_obj_end(j);
}

static const char *kind_name(enum ct_rec_file_kind k)
{
	return k == CT_REC_FILE_AUDIO ? "audio" : k == CT_REC_FILE_PAYLOAD ? "payload" : "evidence";
}

void ct_rec_recording_done(struct ct_records *w, const struct ct_recording_view *v, bool device_shown,
			   const struct ct_rec_chain *chain, const struct ct_rec_file *file)
{
	ct_rec_begin(w, CT_REC_RECORDING, v->ts, v->call);
	struct ct_json *j = &w->json;
	ct_json_kv_str(j, "action", ct_rec_action_name(v->action));
	if (!v->device)
		; /* an evidence pcap: the call's, no device's */
	else if (device_shown)
		ct_rec_kv_text(j, "device", v->device);
	else
		ct_rec_kv_party(w, "device", v->device);
	ct_json_kv_str(j, "reason", ct_rec_reason_name(v->reason));
	if (v->have_rtp) {
		ct_json_key(j, "rtp");
		ct_json_arr_begin(j);
		for (unsigned i = 0; i < 2; i++) {
			const struct ct_rec_endpoint *e = &v->rtp[i];
			if (!e->ip || !e->ip[0] || !e->port)
				continue;
			ct_json_obj_begin(j);
			ct_json_kv_str(j, "ip", e->ip);
			ct_json_kv_u64(j, "port", e->port);
			ct_json_kv_str(j, "dir", e->out ? "out" : "in");
			ct_json_obj_end(j);
		}
		ct_json_arr_end(j);
	}
	if (file) {
		ct_json_kv_str(j, "kind", kind_name(file->kind));
		ct_rec_kv_text(j, "file", file->path);
		ct_json_kv_str(j, "format", file->format);
		if (file->codec && file->codec[0])
			ct_json_kv_str(j, "codec", file->codec);
		if (file->kind == CT_REC_FILE_AUDIO)
			ct_json_kv_u64(j, "duration_ms", file->duration_ms);
		ct_json_kv_u64(j, "bytes", file->bytes);
		kv_hex_opt(j, "sha256", file->sha256);
		ct_json_kv_u64(j, "packets", file->packets);
		if (file->kind == CT_REC_FILE_AUDIO) {
			ct_json_kv_i64(j, "lost", file->lost);
			ct_json_key(j, "quality");
			ct_json_obj_begin(j);
			quality(j, "far", &file->q[0]);
			quality(j, "agent", &file->q[1]);
			ct_json_obj_end(j);
		}
	}
	if (chain && chain->seq) {
		ct_json_kv_u64(j, "seq", chain->seq);
		kv_hex_opt(j, "prev", chain->prev);
		kv_hex_opt(j, "hash", chain->hash);
		kv_hex_opt(j, "sig", chain->sig);
	}
	ct_rec_end(w, CT_REC_RECORDING, v->call);
}

void ct_rec_recording(struct ct_records *w, const struct ct_recording_view *v)
{
	ct_rec_recording_done(w, v, false, NULL, NULL);
}
