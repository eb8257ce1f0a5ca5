/* slice.h - length-carrying views into packet text (HAProxy's ist idea).
 *
 * Parsers of text protocols (SIP, SDP, CSTA XML framing) keep {pointer, length} slices into
 * the reassembled bytes instead of NUL-terminated copies: no copy on the hot path, and no
 * string function can run past the end. A slice is valid as long as the bytes under it: it
 * owns nothing, and whoever keeps one beyond the packet's callback copies its bytes first. */
#ifndef CT_SLICE_H
#define CT_SLICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct ct_slice {
	const uint8_t *p;
	size_t len;
};

#define CT_SLICE_NULL ((struct ct_slice){ NULL, 0 })

static inline struct ct_slice ct_slice_make(const void *p, size_t len)
{
	struct ct_slice s = { (const uint8_t *)p, len };
	return s;
}

static inline struct ct_slice ct_slice_cstr(const char *s)
{
	return ct_slice_make(s, strlen(s));
}

static inline bool ct_slice_empty(struct ct_slice s)
{
	return s.len == 0;
}

static inline uint8_t ct_lower(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c;
}

static inline bool ct_slice_eq(struct ct_slice a, struct ct_slice b)
{
	return a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}

/* Case-insensitive comparison with an ASCII literal. */
static inline bool ct_slice_ieq(struct ct_slice a, const char *lit)
{
	size_t n = strlen(lit);
	if (a.len != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (ct_lower(a.p[i]) != ct_lower((uint8_t)lit[i]))
			return false;
	return true;
}

static inline bool ct_slice_istarts(struct ct_slice a, const char *lit)
{
	size_t n = strlen(lit);
	if (a.len < n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (ct_lower(a.p[i]) != ct_lower((uint8_t)lit[i]))
			return false;
	return true;
}

static inline bool ct_is_ws(uint8_t c)
{
	return c == ' ' || c == '\t';
}

static inline struct ct_slice ct_slice_trim(struct ct_slice s)
{
	while (s.len && (ct_is_ws(s.p[0]) || s.p[0] == '\r' || s.p[0] == '\n')) {
		s.p++;
		s.len--;
	}
	while (s.len && (ct_is_ws(s.p[s.len - 1]) || s.p[s.len - 1] == '\r' || s.p[s.len - 1] == '\n'))
		s.len--;
	return s;
}

/* Index of the first c in s, or s.len. */
static inline size_t ct_slice_find(struct ct_slice s, uint8_t c)
{
	const uint8_t *q = s.len ? memchr(s.p, c, s.len) : NULL;
	return q ? (size_t)(q - s.p) : s.len;
}

/* The part of s from off, at most len bytes (clamped to s). An empty or NULL s gives an empty
 * slice at the same place: no arithmetic on a NULL pointer (undefined even with 0). */
static inline struct ct_slice ct_slice_sub(struct ct_slice s, size_t off, size_t len)
{
	if (off > s.len)
		off = s.len;
	if (len > s.len - off)
		len = s.len - off;
	return ct_slice_make(off ? s.p + off : s.p, len);
}

/* Splits *rest at the first c: returns the part before, leaves *rest after it (empty, at its
 * end, if there is no c). Any slice is accepted, a NULL one (CT_SLICE_NULL, an absent header)
 * included: it gives two NULL empty slices, never arithmetic on a NULL pointer. */
static inline struct ct_slice ct_slice_split(struct ct_slice *rest, uint8_t c)
{
	size_t i = ct_slice_find(*rest, c);
	struct ct_slice head = ct_slice_make(rest->p, i);
	if (i < rest->len)
		*rest = ct_slice_make(rest->p + i + 1, rest->len - i - 1);
	else if (rest->len)
		*rest = ct_slice_make(rest->p + rest->len, 0);
	return head;
}

/* Decimal digits to an unsigned value; false if empty, not all digits, or above max. */
static inline bool ct_slice_u64(struct ct_slice s, uint64_t max, uint64_t *out)
{
	if (s.len == 0 || s.len > 20)
		return false;
	uint64_t v = 0;
	for (size_t i = 0; i < s.len; i++) {
		if (s.p[i] < '0' || s.p[i] > '9')
			return false;
		uint64_t d = (uint64_t)(s.p[i] - '0');
		if (v > (max - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	return true;
}

#endif
