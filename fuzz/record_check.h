/* record_check.h - what the fuzz targets assert about every record they would write, whatever
 * the input: one strict JSON object (RFC 8259: UTF-8 without overlongs or surrogates, escapes,
 * no control characters, no duplicate top-level key, nesting within CT_JSON_MAX_DEPTH), whose
 * common fields follow schemas/common.schema.json: type one of the five, v 1, an id, a sensor,
 * ts in RFC 3339 with four digits of year and six of fraction, and `name`/`kind` (events,
 * audits) in snake_case. The full schemas are applied by the replay test (tests/CMakeLists.txt,
 * test_fuzz_*_replay): with CTITAP_FUZZ_RECORDS=FILE set the records are also appended to FILE,
 * which tests/schemas/validate.py checks with jsonschema.
 * A record that fails is printed and the target aborts (a libFuzzer crash). Header-only. */
#ifndef CT_FUZZ_RECORD_CHECK_H
#define CT_FUZZ_RECORD_CHECK_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "records/record.h"
#include "sinks/sink.h"
#include "util/json.h"

struct rc_cur {
	const unsigned char *p, *end;
};

static bool rc_value(struct rc_cur *c, int depth);

static void rc_ws(struct rc_cur *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
		c->p++;
}

/* One UTF-8 sequence (RFC 3629): no overlong forms, no surrogates, at most U+10FFFF. */
static bool rc_utf8(struct rc_cur *c)
{
	unsigned b = *c->p, n = b >= 0xF0 ? 3 : b >= 0xE0 ? 2 : b >= 0xC2 ? 1 : 0;
	if (b < 0x80)
		return c->p++, true;
	if (!n || b > 0xF4 || c->end - c->p <= (long)n)
		return false;
	unsigned cp = b & (0x3F >> n);
	for (unsigned i = 1; i <= n; i++) {
		if ((c->p[i] & 0xC0) != 0x80)
			return false;
		cp = cp << 6 | (c->p[i] & 0x3F);
	}
	if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10FFFF)) || (cp >= 0xD800 && cp <= 0xDFFF))
		return false;
	c->p += n + 1;
	return true;
}

/* A string; its raw bytes (between the quotes) in *s, *n. */
static bool rc_string(struct rc_cur *c, const unsigned char **s, size_t *n)
{
	if (c->p >= c->end || *c->p != '"')
		return false;
	*s = ++c->p;
	while (c->p < c->end && *c->p != '"') {
		if (*c->p < 0x20)
			return false;
		if (*c->p == '\\') {
			if (++c->p >= c->end)
				return false;
			if (*c->p == 'u') {
				for (int i = 1; i <= 4; i++)
					if (c->p + i >= c->end || !strchr("0123456789abcdefABCDEF", c->p[i]) || !c->p[i])
						return false;
				c->p += 5;
			} else if (strchr("\"\\/bfnrt", *c->p) && *c->p) {
				c->p++;
			} else {
				return false;
			}
		} else if (!rc_utf8(c)) {
			return false;
		}
	}
	if (c->p >= c->end)
		return false;
	*n = (size_t)(c->p - *s);
	c->p++;
	return true;
}

static bool rc_number(struct rc_cur *c)
{
	const unsigned char *s = c->p;
	if (c->p < c->end && *c->p == '-')
		c->p++;
	if (c->p >= c->end || *c->p < '0' || *c->p > '9' || (*c->p == '0' && c->p + 1 < c->end && c->p[1] >= '0' &&
								 c->p[1] <= '9'))
		return false;
	while (c->p < c->end && ((*c->p >= '0' && *c->p <= '9') || strchr(".eE+-", *c->p)) && *c->p)
		c->p++;
	return c->p > s;
}

static bool rc_container(struct rc_cur *c, int depth, char open)
{
	if (depth > CT_JSON_MAX_DEPTH)
		return false;
	c->p++;
	rc_ws(c);
	if (c->p < c->end && *c->p == (open == '{' ? '}' : ']'))
		return c->p++, true;
	for (;;) {
		rc_ws(c);
		if (open == '{') {
			const unsigned char *k;
			size_t kn;
			if (!rc_string(c, &k, &kn))
				return false;
			rc_ws(c);
			if (c->p >= c->end || *c->p++ != ':')
				return false;
		}
		if (!rc_value(c, depth + 1))
			return false;
		rc_ws(c);
		if (c->p >= c->end)
			return false;
		if (*c->p == ',') {
			c->p++;
			continue;
		}
		return *c->p++ == (open == '{' ? '}' : ']');
	}
}

static bool rc_value(struct rc_cur *c, int depth)
{
	rc_ws(c);
	if (c->p >= c->end)
		return false;
	const unsigned char *s;
	size_t n;
	switch (*c->p) {
	case '{':
	case '[': return rc_container(c, depth, (char)*c->p);
	case '"': return rc_string(c, &s, &n);
	case 't': return c->end - c->p >= 4 && !memcmp(c->p, "true", 4) && (c->p += 4);
	case 'f': return c->end - c->p >= 5 && !memcmp(c->p, "false", 5) && (c->p += 5);
	case 'n': return c->end - c->p >= 4 && !memcmp(c->p, "null", 4) && (c->p += 4);
	default: return rc_number(c);
	}
}

static bool rc_snake(const unsigned char *s, size_t n)
{
	if (!n || *s < 'a' || *s > 'z')
		return false;
	for (size_t i = 1; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return false;
	return true;
}

/* "2026-01-05T09:00:00.000000Z" */
static bool rc_ts(const unsigned char *s, size_t n)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:dd.ddddddZ";
	if (n != sizeof(shape) - 1)
		return false;
	for (size_t i = 0; i < n; i++)
		if (shape[i] == 'd' ? !(s[i] >= '0' && s[i] <= '9') : s[i] != (unsigned char)shape[i])
			return false;
	return true;
}

/* The reason a record breaks the rules above, or NULL. */
static const char *fuzz_record_problem(const char *json, size_t len)
{
	struct rc_cur c = { (const unsigned char *)json, (const unsigned char *)json + len };
	struct rc_cur all = c;
	if (!rc_value(&all, 0))
		return "not one well-formed JSON value";
	rc_ws(&all);
	if (all.p != all.end)
		return "bytes after the JSON value";
	if (*c.p != '{')
		return "not an object";
	/* the top-level members: keys unique, common fields checked */
	const unsigned char *keys[512];
	size_t klen[512], nkeys = 0;
	unsigned have = 0;
	c.p++;
	rc_ws(&c);
	while (c.p < c.end && *c.p != '}') {
		const unsigned char *k, *v;
		size_t kn, vn = 0;
		rc_string(&c, &k, &kn);
		for (size_t i = 0; i < nkeys; i++)
			if (klen[i] == kn && !memcmp(keys[i], k, kn))
				return "a key twice";
		if (nkeys < 512) {
			keys[nkeys] = k;
			klen[nkeys++] = kn;
		}
		rc_ws(&c);
		c.p++; /* ':' */
		rc_ws(&c);
		const unsigned char *vstart = c.p;
		bool str = *c.p == '"';
		if (str)
			rc_string(&c, &v, &vn);
		else
			rc_value(&c, 1);
		if (kn == 4 && !memcmp(k, "type", 4)) {
			static const char *const t[] = { "event", "call", "recording", "audit", "stats" };
			bool ok = false;
			for (size_t i = 0; str && i < 5; i++)
				ok = ok || (vn == strlen(t[i]) && !memcmp(v, t[i], vn));
			if (!ok)
				return "type is not one of the five";
			have |= 1;
		} else if (kn == 1 && k[0] == 'v') {
			if (c.p - vstart != 1 || *vstart != '1')
				return "v is not 1";
			have |= 2;
		} else if ((kn == 2 && !memcmp(k, "id", 2)) || (kn == 6 && !memcmp(k, "sensor", 6))) {
			if (!str || !vn || vn > 127)
				return "id or sensor is not a non-empty string";
			have |= kn == 2 ? 4 : 8;
		} else if (kn == 2 && !memcmp(k, "ts", 2)) {
			if (!str || !rc_ts(v, vn))
				return "ts is not RFC 3339 with 4 digits of year and 6 of fraction";
			have |= 16;
		} else if ((kn == 4 && !memcmp(k, "name", 4)) || (kn == 4 && !memcmp(k, "kind", 4))) {
			if (!str || !rc_snake(v, vn))
				return "name or kind is not snake_case";
		}
		rc_ws(&c);
		if (c.p < c.end && *c.p == ',')
			c.p++;
		rc_ws(&c);
	}
	return have == 31 ? NULL : "type, v, id, sensor or ts missing";
}

static int fuzz_check_write(void *st, const struct ct_record *r)
{
	(void)st;
	const char *why = fuzz_record_problem(r->json, r->len);
	if (why) {
		fprintf(stderr, "record breaks the schema rules (%s):\n%.*s\n", why, (int)r->len, r->json);
		abort();
	}
	static FILE *dump;
	static bool opened;
	if (!opened) {
		opened = true;
		const char *path = getenv("CTITAP_FUZZ_RECORDS");
		dump = path ? fopen(path, "a") : NULL;
	}
	if (dump) {
		fwrite(r->json, 1, r->len, dump);
		fputc('\n', dump);
		fflush(dump);
	}
	return 0;
}

/* The same check as a records-layer emit function (ct_records_init). */
static CT_UNUSED void fuzz_check_emit(void *user, const struct ct_record *r)
{
	fuzz_check_write(user, r);
}

static int fuzz_check_nop(void *st)
{
	(void)st;
	return 0;
}

static const struct ct_sink_ops fuzz_check_ops = {
	.name = "check", .write = fuzz_check_write, .flush = fuzz_check_nop, .close = fuzz_check_nop,
};

/* Makes out's only sink the checker. */
static CT_UNUSED void fuzz_check_outputs(struct ct_outputs *out)
{
	out->n = 1;
	out->sink[0].ops = &fuzz_check_ops;
	out->sink[0].st = NULL;
}

#endif
