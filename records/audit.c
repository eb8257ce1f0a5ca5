/* audit.c - `audit` records (docs/records.md#audit, schemas/audit.schema.json). */
#include <string.h>

#include "records.h"

void ct_rec_audit(struct ct_records *w, const struct ct_audit_view *v)
{
	ct_rec_begin(w, CT_REC_AUDIT, v->ts, v->call);
	struct ct_json *j = &w->json;
	ct_json_kv_str(j, "kind", ct_audit_kind_name(v->kind));
	ct_rec_kv_free(w, "detail", (const uint8_t *)v->detail, strlen(v->detail), CT_FREE_TEXT_MAX);
	if (v->link && v->link[0])
		ct_rec_kv_text(j, "link", v->link);
	if (v->count)
		ct_json_kv_u64(j, "count", v->count);
	ct_rec_end(w, CT_REC_AUDIT, v->call);
}
