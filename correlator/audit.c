/* audit.c - audit records (behaviour in audit.h). */
#include "audit.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void ct_audit(struct ct_emitter *em, ct_time_t ts, const char *call, const char *kind, const char *link,
	      uint64_t count, const char *fmt, ...)
{
	char detail[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	ct_emit_begin(em, CT_REC_AUDIT, ts, call);
	struct ct_json *j = &em->json;
	ct_json_kv_str(j, "kind", kind);
	ct_json_kv_text(j, "detail", (const uint8_t *)detail, strlen(detail), sizeof(detail));
	if (link && link[0])
		ct_rec_kv_text(j, "link", link);
	if (count)
		ct_json_kv_u64(j, "count", count);
	ct_emit_end(em);
}
