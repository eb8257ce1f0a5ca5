/* json.h - a JSON writer for records.
 *
 * Writes into one growable buffer that is reused record after record (no allocation in
 * steady state). Text taken from packets is hostile: ct_json_kv_text() validates UTF-8
 * (bad bytes become U+FFFD), escapes control characters, caps the length and, when it
 * cut the text, adds a sibling field "<key>_truncated": true.
 *
 * Memory: the writer owns buf (ct_json_free() releases it); buf/len are the record so far,
 * valid until the next call that writes, resets or frees. Every text and key passed in is
 * copied (escaped) at once; no pointer to it is kept.
 */
#ifndef CT_JSON_H
#define CT_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ct.h"

#define CT_JSON_MAX_DEPTH 16

struct ct_json {
	char *buf;
	size_t len;
	size_t cap;
	int err;                          /* sticky: CT_ENOMEM once growing failed */
	int depth;
	bool after_key;                   /* a value follows a key: no comma */
	bool first[CT_JSON_MAX_DEPTH + 1]; /* no comma needed yet at this depth */
};

void ct_json_init(struct ct_json *j);
void ct_json_free(struct ct_json *j);
/* Empties the buffer for the next record; keeps its storage. */
void ct_json_reset(struct ct_json *j);

void ct_json_obj_begin(struct ct_json *j);
void ct_json_obj_end(struct ct_json *j);
void ct_json_arr_begin(struct ct_json *j);
void ct_json_arr_end(struct ct_json *j);
void ct_json_key(struct ct_json *j, const char *key);

/* Values, for arrays or after ct_json_key(). */
/* NUL-terminated text, whole. Checked as UTF-8 too (bad bytes become U+FFFD): "trusted" text
 * is often a fixed-size copy of packet bytes made far from here (a codec name from an SDP). */
void ct_json_str(struct ct_json *j, const char *s);
void ct_json_u64(struct ct_json *j, uint64_t v);
void ct_json_i64(struct ct_json *j, int64_t v);
void ct_json_bool(struct ct_json *j, bool v);
void ct_json_null(struct ct_json *j);
/* A measurement with `decimals` digits after the point (0 to 6), rounded half away from zero;
 * written with integer arithmetic (no locale, no exponent). Not finite: null. */
void ct_json_fixed(struct ct_json *j, double v, unsigned decimals);
/* Hostile bytes: returns true when the text was cut at max bytes. */
bool ct_json_text(struct ct_json *j, const uint8_t *s, size_t len, size_t max);
/* Packet time as RFC 3339 UTC with microseconds: "2026-01-05T09:00:00.000000Z". */
void ct_json_time(struct ct_json *j, ct_time_t t);

/* key + value shorthands */
void ct_json_kv_str(struct ct_json *j, const char *key, const char *s);
void ct_json_kv_u64(struct ct_json *j, const char *key, uint64_t v);
void ct_json_kv_i64(struct ct_json *j, const char *key, int64_t v);
void ct_json_kv_bool(struct ct_json *j, const char *key, bool v);
void ct_json_kv_fixed(struct ct_json *j, const char *key, double v, unsigned decimals);
void ct_json_kv_time(struct ct_json *j, const char *key, ct_time_t t);
void ct_json_kv_text(struct ct_json *j, const char *key, const uint8_t *s, size_t len, size_t max);

/* Writes the decimal digits of v at out (room for CT_DEC_U64_MAX bytes; no NUL) without printf;
 * returns how many. */
#define CT_DEC_U64_MAX 20
size_t ct_dec_u64(char *out, uint64_t v);

/* Formats t (µs since epoch) as RFC 3339 into out (at least 28 bytes); times past CT_TIME_MAX
 * are written as CT_TIME_MAX. */
void ct_time_format(ct_time_t t, char out[32]);

#endif
