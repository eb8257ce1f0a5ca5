/* id.h - ctitap's own ids: "<kind>-" and 16 hex digits of a keyed hash of what identifies the
 * thing (a record: sensor, type, time, ordinal; a call: its first leg and start time).
 *
 * The key is fixed per kind of id, not random: the same input must give the same ids on every
 * run, so that a replay or a redelivery is recognised downstream. Ids are never made of packet
 * text themselves (they go into file names and Kafka keys).
 */
#ifndef CT_ID_H
#define CT_ID_H

#include <stddef.h>
#include <stdint.h>

#include "ct.h"

#define CT_ID_MAX 40 /* "<kind>-<16 hex>" and the NUL, for kinds up to 22 characters */

/* Writes "<kind>-%016x" of SipHash(seed's key, fmt's text) into out. The text is formatted
 * into 1 KiB; longer text is hashed as far as it fits (the callers' inputs are capped well
 * below). */
void ct_id(char out[CT_ID_MAX], const char *kind, uint64_t seed, const char *fmt, ...) CT_PRINTF(4, 5);
/* The same for raw bytes (a Call-ID as it came). */
void ct_id_bytes(char out[CT_ID_MAX], const char *kind, uint64_t seed, const void *data, size_t len);

#endif
