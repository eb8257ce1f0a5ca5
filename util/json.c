/* json.c - JSON writer (RFC 8259) with UTF-8 validation of untrusted text. */
#include "json.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void ct_json_init(struct ct_json *j)
{
	memset(j, 0, sizeof(*j));
	j->first[0] = true;
}

void ct_json_free(struct ct_json *j)
{
	free(j->buf);
	memset(j, 0, sizeof(*j));
}

void ct_json_reset(struct ct_json *j)
{
	j->len = 0;
	j->err = 0;
	j->depth = 0;
	j->after_key = false;
	j->first[0] = true;
}

static bool json_grow(struct ct_json *j, size_t n)
{
	if (j->err)
		return false;
	size_t cap = j->cap ? j->cap : 1024;
	while (cap < j->len + n + 1)
		cap *= 2;
	char *nb = realloc(j->buf, cap);
	if (!nb) {
		j->err = CT_ENOMEM;
		return false;
	}
	j->buf = nb;
	j->cap = cap;
	return true;
}

/* Room for n more bytes and the NUL kept after them (inline: every byte of every record goes
 * through here). */
static inline bool json_reserve(struct ct_json *j, size_t n)
{
	if (CT_LIKELY(!j->err && j->len + n + 1 <= j->cap))
		return true;
	return json_grow(j, n);
}

static inline void json_put(struct ct_json *j, const char *s, size_t n)
{
	if (!json_reserve(j, n))
		return;
	memcpy(j->buf + j->len, s, n);
	j->len += n;
	j->buf[j->len] = '\0';
}

static inline void json_putc(struct ct_json *j, char c)
{
	if (!json_reserve(j, 1))
		return;
	j->buf[j->len++] = c;
	j->buf[j->len] = '\0';
}

/* Comma before a value or key unless it is the first at this depth. */
static void json_sep(struct ct_json *j)
{
	if (!j->first[j->depth])
		json_putc(j, ',');
	j->first[j->depth] = false;
}

static void json_open(struct ct_json *j, char c)
{
	json_putc(j, c);
	if (j->depth < CT_JSON_MAX_DEPTH) {
		j->depth++;
		j->first[j->depth] = true;
	} else {
		j->err = CT_ELIMIT;
	}
}

static void json_close(struct ct_json *j, char c)
{
	if (j->depth > 0)
		j->depth--;
	json_putc(j, c);
}

void ct_json_obj_begin(struct ct_json *j)
{
	if (!j->after_key)
		json_sep(j);
	j->after_key = false;
	json_open(j, '{');
}

void ct_json_obj_end(struct ct_json *j)
{
	json_close(j, '}');
}

void ct_json_arr_begin(struct ct_json *j)
{
	if (!j->after_key)
		json_sep(j);
	j->after_key = false;
	json_open(j, '[');
}

void ct_json_arr_end(struct ct_json *j)
{
	json_close(j, ']');
}

static void json_value_prefix(struct ct_json *j)
{
	if (!j->after_key)
		json_sep(j);
	j->after_key = false;
}

/* What a byte needs in a JSON string: 0 nothing (printable ASCII), 1 an escape (controls, '"',
 * '\\'), 2 a UTF-8 check (0x80 and up). One table lookup per byte instead of three compares. */
static const uint8_t json_class[256] = {
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
};

/* The escape of one byte of class 1. */
static void json_escape1(struct ct_json *j, uint8_t c)
{
	static const char hex[] = "0123456789abcdef";
	char esc[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
	switch (c) {
	case '"': json_put(j, "\\\"", 2); break;
	case '\\': json_put(j, "\\\\", 2); break;
	case '\n': json_put(j, "\\n", 2); break;
	case '\r': json_put(j, "\\r", 2); break;
	case '\t': json_put(j, "\\t", 2); break;
	default: json_put(j, esc, 6); break;
	}
}

/* Escapes bytes already known to be valid UTF-8 (or trusted text): runs that need nothing
 * are copied whole. */
static void json_escaped(struct ct_json *j, const uint8_t *s, size_t n)
{
	size_t run = 0;
	for (size_t i = 0; i < n; i++) {
		if (CT_LIKELY(json_class[s[i]] != 1))
			continue;
		json_put(j, (const char *)s + run, i - run);
		json_escape1(j, s[i]);
		run = i + 1;
	}
	json_put(j, (const char *)s + run, n - run);
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if invalid (RFC 3629). */
static size_t utf8_seq(const uint8_t *s, size_t n)
{
	uint8_t c = s[0];
	if (c < 0x80)
		return 1;
	size_t len;
	uint32_t min, cp;
	if ((c & 0xE0) == 0xC0) {
		len = 2; min = 0x80; cp = c & 0x1F;
	} else if ((c & 0xF0) == 0xE0) {
		len = 3; min = 0x800; cp = c & 0x0F;
	} else if ((c & 0xF8) == 0xF0) {
		len = 4; min = 0x10000; cp = c & 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3F);
	}
	if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return len;
}

bool ct_json_text(struct ct_json *j, const uint8_t *s, size_t len, size_t max)
{
	bool cut = len > max;
	size_t n = cut ? max : len;
	json_value_prefix(j);
	/* the usual case, printable ASCII, in one copy */
	if (!json_reserve(j, n + 2))
		return cut;
	size_t i = 0;
	while (i < n && json_class[s[i]] == 0)
		i++;
	if (i == n) {
		char *o = j->buf + j->len;
		o[0] = '"';
		memcpy(o + 1, s, n);
		o[n + 1] = '"';
		j->len += n + 2;
		j->buf[j->len] = '\0';
		return cut;
	}
	json_putc(j, '"');
	size_t run = 0;
	while (i < n) {
		uint8_t k = json_class[s[i]];
		if (k == 0) {
			i++;
		} else if (k == 1) {
			json_put(j, (const char *)s + run, i - run);
			json_escape1(j, s[i]);
			run = ++i;
		} else {
			size_t sl = utf8_seq(s + i, n - i);
			if (sl) {
				i += sl;
				continue;
			}
			json_put(j, (const char *)s + run, i - run);
			json_put(j, "\xEF\xBF\xBD", 3); /* U+FFFD */
			run = ++i;
		}
	}
	json_put(j, (const char *)s + run, n - run);
	json_putc(j, '"');
	return cut;
}

void ct_json_str(struct ct_json *j, const char *s)
{
	size_t n = strlen(s);
	(void)ct_json_text(j, (const uint8_t *)s, n, n);
}

void ct_json_key(struct ct_json *j, const char *key)
{
	json_sep(j);
	size_t n = strlen(key);
	size_t i = 0;
	while (i < n && json_class[(uint8_t)key[i]] != 1)
		i++;
	if (CT_LIKELY(i == n) && json_reserve(j, n + 3)) {
		/* keys are ctitap's own names: nothing to escape, one copy */
		char *o = j->buf + j->len;
		o[0] = '"';
		memcpy(o + 1, key, n);
		o[n + 1] = '"';
		o[n + 2] = ':';
		j->len += n + 3;
		j->buf[j->len] = '\0';
	} else {
		json_putc(j, '"');
		json_escaped(j, (const uint8_t *)key, n);
		json_put(j, "\":", 2);
	}
	j->after_key = true;
}

size_t ct_dec_u64(char *out, uint64_t v)
{
	char b[CT_DEC_U64_MAX];
	size_t k = 0;
	do {
		b[k++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (size_t i = 0; i < k; i++)
		out[i] = b[k - 1 - i];
	return k;
}

void ct_json_u64(struct ct_json *j, uint64_t v)
{
	char b[CT_DEC_U64_MAX];
	size_t n = ct_dec_u64(b, v);
	json_value_prefix(j);
	json_put(j, b, n);
}

void ct_json_i64(struct ct_json *j, int64_t v)
{
	char b[1 + CT_DEC_U64_MAX];
	b[0] = '-';
	/* the magnitude as unsigned: -INT64_MIN does not fit an int64_t */
	size_t n = ct_dec_u64(b + 1, v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v);
	json_value_prefix(j);
	json_put(j, v < 0 ? b : b + 1, v < 0 ? n + 1 : n);
}

void ct_json_fixed(struct ct_json *j, double v, unsigned decimals)
{
	static const uint64_t scale[] = { 1, 10, 100, 1000, 10000, 100000, 1000000 };
	if (decimals >= CT_ARRAY_SIZE(scale))
		decimals = CT_ARRAY_SIZE(scale) - 1;
	if (!isfinite(v) || fabs(v) >= 9e12) { /* past what the scaled integer holds exactly */
		ct_json_null(j);
		return;
	}
	uint64_t m = (uint64_t)llround(fabs(v) * (double)scale[decimals]);
	char b[48];
	int n = snprintf(b, sizeof(b), "%s%" PRIu64, v < 0 && m ? "-" : "", m / scale[decimals]);
	if (decimals)
		n += snprintf(b + n, sizeof(b) - (size_t)n, ".%0*" PRIu64, (int)decimals, m % scale[decimals]);
	json_value_prefix(j);
	json_put(j, b, (size_t)n);
}

void ct_json_bool(struct ct_json *j, bool v)
{
	json_value_prefix(j);
	if (v)
		json_put(j, "true", 4);
	else
		json_put(j, "false", 5);
}

void ct_json_null(struct ct_json *j)
{
	json_value_prefix(j);
	json_put(j, "null", 4);
}

/* Writes v as exactly n decimal digits at p (v < 10^n). */
static char *digits(char *p, unsigned v, int n)
{
	for (int i = n - 1; i >= 0; i--) {
		p[i] = (char)('0' + v % 10);
		v /= 10;
	}
	return p + n;
}

void ct_time_format(ct_time_t t, char out[32])
{
	/* the capture clock never gives a later time (capture.h); this keeps any other caller
	 * inside the four-digit years of RFC 3339 and of gmtime_r */
	if (t > CT_TIME_MAX)
		t = CT_TIME_MAX;
	time_t sec = (time_t)(t / CT_USEC_PER_SEC);
	unsigned usec = (unsigned)(t % CT_USEC_PER_SEC);
	struct tm tm;
	gmtime_r(&sec, &tm);
	/* "%04d-%02d-%02dT%02d:%02d:%02d.%06uZ" without printf (every record has a time) */
	unsigned year = (unsigned)(tm.tm_year + 1900);
	char *p = digits(out, year, 4);
	*p++ = '-';
	p = digits(p, (unsigned)(tm.tm_mon + 1) % 100, 2);
	*p++ = '-';
	p = digits(p, (unsigned)tm.tm_mday % 100, 2);
	*p++ = 'T';
	p = digits(p, (unsigned)tm.tm_hour % 100, 2);
	*p++ = ':';
	p = digits(p, (unsigned)tm.tm_min % 100, 2);
	*p++ = ':';
	p = digits(p, (unsigned)tm.tm_sec % 100, 2);
	*p++ = '.';
	p = digits(p, usec, 6);
	*p++ = 'Z';
	*p = '\0';
}

void ct_json_time(struct ct_json *j, ct_time_t t)
{
	char b[32];
	ct_time_format(t, b);
	ct_json_str(j, b);
}

void ct_json_kv_str(struct ct_json *j, const char *key, const char *s)
{
	ct_json_key(j, key);
	ct_json_str(j, s);
}

void ct_json_kv_u64(struct ct_json *j, const char *key, uint64_t v)
{
	ct_json_key(j, key);
	ct_json_u64(j, v);
}

void ct_json_kv_i64(struct ct_json *j, const char *key, int64_t v)
{
	ct_json_key(j, key);
	ct_json_i64(j, v);
}

void ct_json_kv_fixed(struct ct_json *j, const char *key, double v, unsigned decimals)
{
	ct_json_key(j, key);
	ct_json_fixed(j, v, decimals);
}

void ct_json_kv_bool(struct ct_json *j, const char *key, bool v)
{
	ct_json_key(j, key);
	ct_json_bool(j, v);
}

void ct_json_kv_time(struct ct_json *j, const char *key, ct_time_t t)
{
	ct_json_key(j, key);
	ct_json_time(j, t);
}

void ct_json_kv_text(struct ct_json *j, const char *key, const uint8_t *s, size_t len, size_t max)
{
	ct_json_key(j, key);
	if (ct_json_text(j, s, len, max)) {
		char k[128];
		snprintf(k, sizeof(k), "%s_truncated", key);
		ct_json_kv_bool(j, k, true);
	}
}
