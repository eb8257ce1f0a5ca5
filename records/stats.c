/* stats.c - `stats` records: every counter, and each agent's time per state
 * (docs/records.md#stats, schemas/stats.schema.json). */
#include "records.h"

void ct_rec_stats_fields(struct ct_json *j, bool final, const struct ct_counters *ctr)
{
	ct_json_kv_bool(j, "final", final);
	for (size_t i = 0; i < ct_counter_count; i++)
		ct_json_kv_u64(j, ct_counter_table[i].name, ct_counter_get(ctr, &ct_counter_table[i]));
}

void ct_rec_stats(struct ct_records *w, const struct ct_stats_view *v)
{
	ct_rec_begin(w, CT_REC_STATS, v->ts, NULL);
	struct ct_json *j = &w->json;
	ct_rec_stats_fields(j, v->final, v->ctr);
	ct_json_key(j, "agents");
	ct_json_arr_begin(j);
	for (unsigned i = 0; i < v->nagents; i++) {
		const struct ct_agent_summary *g = &v->agents[i];
		ct_json_obj_begin(j);
		ct_rec_kv_text_opt(j, "device", g->device);
		ct_rec_kv_text_or_null(j, "agent_id", g->agent_id);
		ct_json_kv_str(j, "state", ct_agent_state_name(g->state));
		ct_rec_kv_text_or_null(j, "reason", g->reason);
		ct_json_key(j, "ms");
		ct_json_obj_begin(j);
		for (unsigned s = 0; s < CT_AGENT_NSTATES; s++)
			ct_json_kv_u64(j, ct_agent_state_name((enum ct_agent_state)s), g->us[s] / 1000);
		ct_json_obj_end(j);
		ct_json_obj_end(j);
	}
	ct_json_arr_end(j);
	ct_rec_end(w, CT_REC_STATS, NULL);
}
