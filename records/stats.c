/* stats.c - `stats` records: every counter, and each agent's time per state
 * (docs/records.md#stats, schemas/stats.schema.json). */
#include <stdlib.h>
#include <string.h>

#include "records.h"

void ct_rec_stats_fields(struct ct_json *j, bool final, const struct ct_counters *ctr)
{
	ct_json_kv_bool(j, "final", final);
	for (size_t i = 0; i < ct_counter_count; i++)
		ct_json_kv_u64(j, ct_counter_table[i].name, ct_counter_get(ctr, &ct_counter_table[i]));
}

/* With numbers hidden, agents are listed in the order of what is written of them, not of their
 * devices: ranks in a list sorted by extension would tell which pseudonym is which extension
 * to anyone who knows the numbering plan. */
#define ORDER_TEXT 24 /* a pseudonym (18) whole; longer masks compared on their first bytes */

struct ct_rec_order {
	const struct ct_agent_summary *g;
	char device[ORDER_TEXT];
	char agent_id[ORDER_TEXT];
};

static int order_cmp(const void *a, const void *b)
{
	const struct ct_rec_order *x = a, *y = b;
	int c = memcmp(x->device, y->device, ORDER_TEXT);
	if (!c)
		c = memcmp(x->agent_id, y->agent_id, ORDER_TEXT);
	if (!c)
		c = memcmp(x->g->us, y->g->us, sizeof(x->g->us));
	if (!c)
		c = (int)x->g->state - (int)y->g->state;
	return c;
}

static void order_text(const struct ct_records *w, const char *s, char out[ORDER_TEXT])
{
	char buf[CT_TEXT_MAX + CT_NUMBER_NORM_MAX + 1];
	size_t len = strnlen(s, CT_TEXT_MAX);
	size_t n = ct_privacy_party(w->priv, w->numbers, (const uint8_t *)s, len, buf, sizeof(buf));
	memset(out, 0, ORDER_TEXT);
	memcpy(out, buf, CT_MIN(n, (size_t)ORDER_TEXT));
}

/* The agents of v in the order to write them: w->order filled; false when it could not grow
 * (then none is written rather than the device order). */
static bool order_agents(struct ct_records *w, const struct ct_stats_view *v)
{
	if (v->nagents > w->order_cap) {
		struct ct_rec_order *o = realloc(w->order, v->nagents * sizeof(*o));
		if (!o)
			return false;
		w->order = o;
		w->order_cap = v->nagents;
	}
	for (unsigned i = 0; i < v->nagents; i++) {
		w->order[i].g = &v->agents[i];
		order_text(w, v->agents[i].device, w->order[i].device);
		order_text(w, v->agents[i].agent_id, w->order[i].agent_id);
	}
	qsort(w->order, v->nagents, sizeof(w->order[0]), order_cmp);
	return true;
}

void ct_rec_stats(struct ct_records *w, const struct ct_stats_view *v)
{
	ct_rec_begin(w, CT_REC_STATS, v->ts, NULL);
	struct ct_json *j = &w->json;
	ct_rec_stats_fields(j, v->final, v->ctr);
	bool hide = ct_privacy_on(w->priv);
	unsigned n = v->nagents;
	if (hide && n && !order_agents(w, v))
		n = 0;
	ct_json_key(j, "agents");
	ct_json_arr_begin(j);
	for (unsigned i = 0; i < n; i++) {
		const struct ct_agent_summary *g = hide ? w->order[i].g : &v->agents[i];
		ct_json_obj_begin(j);
		ct_rec_kv_party_opt(w, "device", g->device);
		ct_rec_kv_party_or_null(w, "agent_id", g->agent_id);
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
	for (unsigned g = 0; g < v->ngroups; g++) {
		const struct ct_stats_group *gr = &v->groups[g];
		ct_json_key(j, gr->name);
		ct_json_obj_begin(j);
		for (unsigned i = 0; i < gr->n; i++)
			ct_json_kv_u64(j, gr->keys[i], gr->values[i]);
		ct_json_obj_end(j);
	}
	ct_rec_end(w, CT_REC_STATS, NULL);
}
