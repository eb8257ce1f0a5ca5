/* record.h - one record as the sinks see it: a finished JSON object and what a sink may route
 * on. This is all a sink needs to know of the records layer. */
#ifndef CT_RECORD_H
#define CT_RECORD_H

#include <stddef.h>

enum ct_rec_type { CT_REC_EVENT, CT_REC_CALL, CT_REC_RECORDING, CT_REC_AUDIT, CT_REC_STATS, CT_REC_NTYPES };

/* "event", "call", "recording", "audit", "stats"; "unknown" past the table. Static storage. */
const char *ct_rec_type_name(enum ct_rec_type t);

/* One JSON object (no trailing newline). Every pointer is borrowed for the duration of the
 * call that hands the record over; a sink that keeps the bytes copies them. */
struct ct_record {
	enum ct_rec_type type;
	const char *json;
	size_t len;
	const char *key; /* the call id (the Kafka key), or NULL */
};

#endif
