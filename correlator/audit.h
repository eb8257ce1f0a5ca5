/* audit.h - `audit` records: what the event streams got wrong or ctitap could not see
 * (docs/records.md#audit). Every finding is one record with a snake_case kind and a line for
 * a person; the calls it belongs to also list it in their call record.
 */
#ifndef CT_AUDIT_H
#define CT_AUDIT_H

#include <stdint.h>

#include "../app/records.h"

/* Writes an audit record. call and link may be NULL; count 0 leaves "count" out. */
void ct_audit(struct ct_emitter *em, ct_time_t ts, const char *call, const char *kind, const char *link,
	      uint64_t count, const char *fmt, ...) __attribute__((format(printf, 7, 8)));

#endif
