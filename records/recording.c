/* recording.c - `recording` records: compliance recording triggers (docs/records.md#recording,
 * schemas/recording.schema.json). */
#include "records.h"

void ct_rec_recording(struct ct_records *w, const struct ct_recording_view *v)
{
	ct_rec_begin(w, CT_REC_RECORDING, v->ts, v->call);
	struct ct_json *j = &w->json;
	ct_json_kv_str(j, "action", ct_rec_action_name(v->action));
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
	ct_rec_end(w, CT_REC_RECORDING, v->call);
}
