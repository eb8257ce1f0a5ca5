/* test_json.c - the record writer against RFC 8259 (JSON), RFC 3629 (UTF-8) and
 * RFC 3339 (time stamps).
 *
 * Expected strings are written from the specs, not copied from the writer's output. Every
 * rendered buffer is also run through a small independent RFC 8259 checker (strings
 * checked against the RFC 3629 section 4 byte table), so a stray comma or an unescaped
 * control byte fails even where a test only looks at part of the output.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "util/json.h"

/* ---- an independent RFC 8259 checker ---------------------------------------------- */

struct jchk {
	const uint8_t *p;
	const uint8_t *end;
	int depth;
};

static void chk_ws(struct jchk *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
		c->p++;
}

static int chk_hex(uint8_t h)
{
	if (h >= '0' && h <= '9')
		return h - '0';
	if (h >= 'a' && h <= 'f')
		return h - 'a' + 10;
	if (h >= 'A' && h <= 'F')
		return h - 'A' + 10;
	return -1;
}

/* Length of the UTF-8 character at p per the RFC 3629 section 4 ABNF, 0 if none. Written
 * as the RFC's table of byte ranges, unlike the writer's decode-and-compare approach. */
static size_t chk_utf8(const uint8_t *p, const uint8_t *end)
{
	size_t left = (size_t)(end - p);
	uint8_t b0 = p[0];
	if (b0 <= 0x7F)
		return 1;
#define TAIL(i) (left > (i) && p[i] >= 0x80 && p[i] <= 0xBF)
#define RANGE(i, lo, hi) (left > (i) && p[i] >= (lo) && p[i] <= (hi))
	if (b0 >= 0xC2 && b0 <= 0xDF)
		return TAIL(1) ? 2 : 0;
	if (b0 == 0xE0)
		return RANGE(1, 0xA0, 0xBF) && TAIL(2) ? 3 : 0;
	if ((b0 >= 0xE1 && b0 <= 0xEC) || b0 == 0xEE || b0 == 0xEF)
		return TAIL(1) && TAIL(2) ? 3 : 0;
	if (b0 == 0xED)
		return RANGE(1, 0x80, 0x9F) && TAIL(2) ? 3 : 0;
	if (b0 == 0xF0)
		return RANGE(1, 0x90, 0xBF) && TAIL(2) && TAIL(3) ? 4 : 0;
	if (b0 >= 0xF1 && b0 <= 0xF3)
		return TAIL(1) && TAIL(2) && TAIL(3) ? 4 : 0;
	if (b0 == 0xF4)
		return RANGE(1, 0x80, 0x8F) && TAIL(2) && TAIL(3) ? 4 : 0;
#undef TAIL
#undef RANGE
	return 0;
}

/* A JSON string; with out != NULL also decodes it (escapes resolved, \u00XX only). */
static int chk_string(struct jchk *c, uint8_t *out, size_t outcap, size_t *outlen)
{
	size_t o = 0;
	if (c->p >= c->end || *c->p != '"')
		return -1;
	c->p++;
	while (c->p < c->end && *c->p != '"') {
		uint8_t b = *c->p;
		uint8_t v[4];
		size_t vn = 0;
		if (b < 0x20)
			return -1; /* RFC 8259 section 7: control characters must be escaped */
		if (b == '\\') {
			if (c->end - c->p < 2)
				return -1;
			uint8_t e = c->p[1];
			c->p += 2;
			static const char simple[] = "\"\\/bfnrt";
			static const char value[] = "\"\\/\b\f\n\r\t";
			const char *s = e ? strchr(simple, e) : NULL;
			if (s) {
				v[vn++] = (uint8_t)value[s - simple];
			} else if (e == 'u') {
				if (c->end - c->p < 4)
					return -1;
				unsigned cp = 0;
				for (int i = 0; i < 4; i++) {
					int h = chk_hex(c->p[i]);
					if (h < 0)
						return -1;
					cp = cp << 4 | (unsigned)h;
				}
				c->p += 4;
				if (cp > 0x7F)
					return -1; /* the writer only needs \u00XX; anything else is unexpected */
				v[vn++] = (uint8_t)cp;
			} else {
				return -1;
			}
		} else {
			size_t n = chk_utf8(c->p, c->end);
			if (n == 0)
				return -1; /* RFC 8259 section 8.1: text must be UTF-8 */
			memcpy(v, c->p, n);
			vn = n;
			c->p += n;
		}
		if (out) {
			if (o + vn > outcap)
				return -1;
			memcpy(out + o, v, vn);
		}
		o += vn;
	}
	if (c->p >= c->end)
		return -1;
	c->p++;
	if (outlen)
		*outlen = o;
	return 0;
}

static int chk_value(struct jchk *c);

static int chk_number(struct jchk *c)
{
	const uint8_t *s = c->p;
	if (c->p < c->end && *c->p == '-')
		c->p++;
	if (c->p >= c->end)
		return -1;
	if (*c->p == '0') {
		c->p++;
	} else if (*c->p >= '1' && *c->p <= '9') {
		while (c->p < c->end && *c->p >= '0' && *c->p <= '9')
			c->p++;
	} else {
		return -1;
	}
	/* the writer emits integers, and fractions (ct_json_fixed); never an exponent */
	if (c->p < c->end && *c->p == '.') {
		c->p++;
		const uint8_t *f = c->p;
		while (c->p < c->end && *c->p >= '0' && *c->p <= '9')
			c->p++;
		if (c->p == f)
			return -1;
	}
	return c->p > s ? 0 : -1;
}

static int chk_literal(struct jchk *c, const char *lit)
{
	size_t n = strlen(lit);
	if ((size_t)(c->end - c->p) < n || memcmp(c->p, lit, n) != 0)
		return -1;
	c->p += n;
	return 0;
}

static int chk_container(struct jchk *c, uint8_t close, int obj)
{
	if (++c->depth > 64)
		return -1;
	c->p++;
	chk_ws(c);
	if (c->p < c->end && *c->p == close) {
		c->p++;
		c->depth--;
		return 0;
	}
	for (;;) {
		chk_ws(c);
		if (obj) {
			if (chk_string(c, NULL, 0, NULL))
				return -1;
			chk_ws(c);
			if (c->p >= c->end || *c->p != ':')
				return -1;
			c->p++;
			chk_ws(c);
		}
		if (chk_value(c))
			return -1;
		chk_ws(c);
		if (c->p >= c->end)
			return -1;
		if (*c->p == close) {
			c->p++;
			c->depth--;
			return 0;
		}
		if (*c->p != ',')
			return -1;
		c->p++;
	}
}

static int chk_value(struct jchk *c)
{
	if (c->p >= c->end)
		return -1;
	switch (*c->p) {
	case '{': return chk_container(c, '}', 1);
	case '[': return chk_container(c, ']', 0);
	case '"': return chk_string(c, NULL, 0, NULL);
	case 't': return chk_literal(c, "true");
	case 'f': return chk_literal(c, "false");
	case 'n': return chk_literal(c, "null");
	default: return chk_number(c);
	}
}

/* True if buf[0..len) is exactly one JSON text (RFC 8259 section 2). */
static bool json_valid(const char *buf, size_t len)
{
	struct jchk c = { (const uint8_t *)buf, (const uint8_t *)buf + len, 0 };
	chk_ws(&c);
	if (chk_value(&c))
		return false;
	chk_ws(&c);
	return c.p == c.end;
}

/* Decodes one top-level JSON string into out; returns its length or -1. */
static long json_decode_string(const char *buf, size_t len, uint8_t *out, size_t cap)
{
	struct jchk c = { (const uint8_t *)buf, (const uint8_t *)buf + len, 0 };
	size_t n;
	if (chk_string(&c, out, cap, &n) || c.p != c.end)
		return -1;
	return (long)n;
}

/* ---- fixture and helpers ----------------------------------------------------------- */

static int setup(void **state)
{
	static struct ct_json j;
	ct_json_init(&j);
	*state = &j;
	return 0;
}

static int teardown(void **state)
{
	ct_json_free(*state);
	return 0;
}

/* The buffer must hold exactly `want` (no bytes beyond len, NUL-terminated for logging). */
static void assert_json_is(const struct ct_json *j, const char *want)
{
	assert_int_equal(j->err, 0);
	assert_non_null(j->buf);
	assert_int_equal(j->len, strlen(want));
	assert_memory_equal(j->buf, want, j->len);
	assert_true(json_valid(j->buf, j->len));
}

/* Renders bytes through ct_json_text with no cap. */
static void render_text(struct ct_json *j, const void *s, size_t n)
{
	ct_json_reset(j);
	assert_false(ct_json_text(j, s, n, n + 1));
	assert_int_equal(j->err, 0);
}

/* ---- escaping ------------------------------------------------------------------------ */

static void test_escape_quote_backslash(void **state)
{
	struct ct_json *j = *state;
	/* RFC 8259 section 7: '"' and '\' must be escaped as \" and \\ */
	ct_json_str(j, "say \"hi\" C:\\dir\\");
	assert_json_is(j, "\"say \\\"hi\\\" C:\\\\dir\\\\\"");

	render_text(j, "\"\\", 2);
	assert_json_is(j, "\"\\\"\\\\\"");

	/* keys are escaped the same way */
	ct_json_reset(j);
	ct_json_obj_begin(j);
	ct_json_kv_u64(j, "a\"b\\", 1);
	ct_json_obj_end(j);
	assert_json_is(j, "{\"a\\\"b\\\\\":1}");

	/* '/' and DEL need no escape (unescaped = %x20-21 / %x23-5B / %x5D-10FFFF) */
	render_text(j, "a/b\x7f", 4);
	assert_json_is(j, "\"a/b\x7f\"");
}

static void test_escape_control_chars(void **state)
{
	struct ct_json *j = *state;
	static const char hex[] = "0123456789abcdef";
	for (unsigned c = 0; c < 0x20; c++) {
		uint8_t in[3] = { 'x', (uint8_t)c, 'y' };
		render_text(j, in, sizeof(in));
		assert_true(json_valid(j->buf, j->len));

		/* RFC 8259 section 7: the two-character escapes exist only for these five; every
		 * other control character must use \u00XX (hex digits of either case) */
		const char *shortesc = c == '\b' ? "\\b" : c == '\f' ? "\\f" : c == '\n' ? "\\n"
				     : c == '\r' ? "\\r" : c == '\t' ? "\\t" : NULL;
		char lower[16], upper[16], shortform[16] = "";
		snprintf(lower, sizeof(lower), "\"x\\u00%c%cy\"", hex[c >> 4], hex[c & 15]);
		snprintf(upper, sizeof(upper), "\"x\\u00%c%cy\"", "0123456789ABCDEF"[c >> 4],
			 "0123456789ABCDEF"[c & 15]);
		if (shortesc)
			snprintf(shortform, sizeof(shortform), "\"x%sy\"", shortesc);
		bool ok = (j->len == strlen(lower) && memcmp(j->buf, lower, j->len) == 0) ||
			  (j->len == strlen(upper) && memcmp(j->buf, upper, j->len) == 0) ||
			  (shortesc && j->len == strlen(shortform) && memcmp(j->buf, shortform, j->len) == 0);
		if (!ok)
			fail_msg("control byte 0x%02x rendered as %.*s", c, (int)j->len, j->buf);

		/* and it decodes back to the byte that went in */
		uint8_t dec[8];
		assert_int_equal(json_decode_string(j->buf, j->len, dec, sizeof(dec)), 3);
		assert_memory_equal(dec, in, 3);
	}

	/* NUL inside hostile text is kept (escaped), not taken as the end of the text */
	render_text(j, "a\0b", 3);
	assert_true(j->len == strlen("\"a\\u0000b\"") &&
		    (memcmp(j->buf, "\"a\\u0000b\"", j->len) == 0));
	/* short escapes the writer must produce at least in some form */
	ct_json_reset(j);
	ct_json_str(j, "l1\nl2\r\tend");
	uint8_t dec[32];
	assert_int_equal(json_decode_string(j->buf, j->len, dec, sizeof(dec)), 10);
	assert_memory_equal(dec, "l1\nl2\r\tend", 10);
	assert_null(memchr(j->buf, '\n', j->len)); /* a record stays on one line (JSON lines) */
}

/* ---- structure --------------------------------------------------------------------------- */

static void test_nesting_commas(void **state)
{
	struct ct_json *j = *state;
	ct_json_obj_begin(j);
	ct_json_kv_u64(j, "a", 1);
	ct_json_key(j, "b");
	ct_json_arr_begin(j);
	ct_json_u64(j, 1);
	ct_json_i64(j, -2);
	ct_json_obj_begin(j);
	ct_json_kv_bool(j, "c", true);
	ct_json_key(j, "d");
	ct_json_arr_begin(j);
	ct_json_arr_end(j);
	ct_json_obj_end(j);
	ct_json_str(j, "s");
	ct_json_null(j);
	ct_json_arr_end(j);
	ct_json_key(j, "e");
	ct_json_obj_begin(j);
	ct_json_obj_end(j);
	ct_json_key(j, "f");
	ct_json_null(j);
	ct_json_kv_i64(j, "g", INT64_MIN);
	ct_json_kv_u64(j, "h", UINT64_MAX);
	ct_json_kv_bool(j, "i", false);
	ct_json_obj_end(j);
	assert_json_is(j, "{\"a\":1,\"b\":[1,-2,{\"c\":true,\"d\":[]},\"s\",null],\"e\":{},\"f\":null,"
			  "\"g\":-9223372036854775808,\"h\":18446744073709551615,\"i\":false}");
	assert_int_equal(j->depth, 0);

	/* arrays of containers at the top level */
	ct_json_reset(j);
	ct_json_arr_begin(j);
	ct_json_arr_begin(j);
	ct_json_arr_end(j);
	ct_json_arr_begin(j);
	ct_json_u64(j, 0);
	ct_json_arr_end(j);
	ct_json_obj_begin(j);
	ct_json_obj_end(j);
	ct_json_arr_begin(j);
	ct_json_arr_begin(j);
	ct_json_str(j, "");
	ct_json_arr_end(j);
	ct_json_arr_end(j);
	ct_json_arr_end(j);
	assert_json_is(j, "[[],[0],{},[[\"\"]]]");
}

static void test_depth_limit(void **state)
{
	struct ct_json *j = *state;
	/* CT_JSON_MAX_DEPTH levels are fine... */
	for (int i = 0; i < CT_JSON_MAX_DEPTH; i++)
		ct_json_arr_begin(j);
	for (int i = 0; i < CT_JSON_MAX_DEPTH; i++)
		ct_json_arr_end(j);
	assert_int_equal(j->err, 0);
	assert_int_equal(j->len, 2 * CT_JSON_MAX_DEPTH);
	assert_true(json_valid(j->buf, j->len));

	/* ...one more is refused with a sticky error rather than overrunning first[] */
	ct_json_reset(j);
	for (int i = 0; i <= CT_JSON_MAX_DEPTH; i++)
		ct_json_obj_begin(j);
	assert_int_equal(j->err, CT_ELIMIT);
}

static void test_growth(void **state)
{
	struct ct_json *j = *state;
	/* far past the first allocation, with escapes across the growth points */
	static uint8_t big[10000];
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)"ab\"\\\ncd"[i % 7];
	ct_json_text(j, big, sizeof(big), sizeof(big));
	assert_int_equal(j->err, 0);
	assert_true(j->cap > j->len);
	assert_true(json_valid(j->buf, j->len));
	static uint8_t dec[sizeof(big)];
	assert_int_equal(json_decode_string(j->buf, j->len, dec, sizeof(dec)), (long)sizeof(big));
	assert_memory_equal(dec, big, sizeof(big));
}

/* ---- UTF-8 --------------------------------------------------------------------------- */

#define FFFD "\xEF\xBF\xBD"

struct utf8_case {
	const char *what;
	const char *in;
	size_t inlen;
	const char *want; /* the JSON string, quotes included */
};

static void test_utf8_valid_passes(void **state)
{
	struct ct_json *j = *state;
	/* RFC 3629 section 4 boundaries of each sequence length, and the usual suspects */
	static const struct utf8_case cases[] = {
		{ "e-acute U+00E9", "caf\xC3\xA9", 5, "\"caf\xC3\xA9\"" },
		{ "euro U+20AC", "\xE2\x82\xAC 5", 5, "\"\xE2\x82\xAC 5\"" },
		{ "grinning face U+1F600", "\xF0\x9F\x98\x80!", 5, "\"\xF0\x9F\x98\x80!\"" },
		{ "U+0080", "\xC2\x80", 2, "\"\xC2\x80\"" },
		{ "U+07FF", "\xDF\xBF", 2, "\"\xDF\xBF\"" },
		{ "U+0800", "\xE0\xA0\x80", 3, "\"\xE0\xA0\x80\"" },
		{ "U+D7FF", "\xED\x9F\xBF", 3, "\"\xED\x9F\xBF\"" },
		{ "U+E000", "\xEE\x80\x80", 3, "\"\xEE\x80\x80\"" },
		{ "U+FFFF", "\xEF\xBF\xBF", 3, "\"\xEF\xBF\xBF\"" },
		{ "U+10000", "\xF0\x90\x80\x80", 4, "\"\xF0\x90\x80\x80\"" },
		{ "U+10FFFF", "\xF4\x8F\xBF\xBF", 4, "\"\xF4\x8F\xBF\xBF\"" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		render_text(j, cases[i].in, cases[i].inlen);
		if (j->len != strlen(cases[i].want) || memcmp(j->buf, cases[i].want, j->len) != 0)
			fail_msg("%s: got %.*s", cases[i].what, (int)j->len, j->buf);
		assert_true(json_valid(j->buf, j->len));
	}
}

static void test_utf8_invalid_replaced(void **state)
{
	struct ct_json *j = *state;
	/* json.h: "bad bytes become U+FFFD": each byte that does not start a well-formed
	 * RFC 3629 sequence is replaced by one U+FFFD, and decoding resumes at the next byte. */
	static const struct utf8_case cases[] = {
		{ "lone continuation 80", "a\x80z", 3, "\"a" FFFD "z\"" },
		{ "lone continuation BF", "\xBF", 1, "\"" FFFD "\"" },
		{ "overlong NUL C0 80", "a\xC0\x80z", 4, "\"a" FFFD FFFD "z\"" },
		{ "overlong C1 BF", "\xC1\xBF", 2, "\"" FFFD FFFD "\"" },
		{ "overlong 3-byte E0 80 80", "\xE0\x80\x80", 3, "\"" FFFD FFFD FFFD "\"" },
		{ "overlong 4-byte F0 80 80 80", "\xF0\x80\x80\x80", 4, "\"" FFFD FFFD FFFD FFFD "\"" },
		{ "surrogate D800 ED A0 80", "a\xED\xA0\x80z", 5, "\"a" FFFD FFFD FFFD "z\"" },
		{ "surrogate DFFF ED BF BF", "\xED\xBF\xBF", 3, "\"" FFFD FFFD FFFD "\"" },
		{ "above U+10FFFF F4 90 80 80", "\xF4\x90\x80\x80", 4, "\"" FFFD FFFD FFFD FFFD "\"" },
		{ "truncated 4-byte then ASCII", "a\xF0\x9F\x98z", 5, "\"a" FFFD FFFD FFFD "z\"" },
		{ "truncated 4-byte at end", "a\xF0\x9F\x98", 4, "\"a" FFFD FFFD FFFD "\"" },
		{ "truncated 2-byte at end", "\xC3", 1, "\"" FFFD "\"" },
		{ "byte FF", "a\xFF" "b", 3, "\"a" FFFD "b\"" },
		{ "byte FE", "\xFE", 1, "\"" FFFD "\"" },
		{ "byte F5", "\xF5\x80\x80\x80", 4, "\"" FFFD FFFD FFFD FFFD "\"" },
		{ "bad then good", "\xFF\xC3\xA9", 3, "\"" FFFD "\xC3\xA9\"" },
		{ "bad then quote", "\xFF\"", 2, "\"" FFFD "\\\"\"" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		render_text(j, cases[i].in, cases[i].inlen);
		if (j->len != strlen(cases[i].want) || memcmp(j->buf, cases[i].want, j->len) != 0)
			fail_msg("%s: got %.*s", cases[i].what, (int)j->len, j->buf);
		if (!json_valid(j->buf, j->len))
			fail_msg("%s: not valid JSON/UTF-8", cases[i].what);
	}
}

/* ct_json_str() checks its text the same way: a codec name copied from an SDP rtpmap into a
 * fixed buffer reached the rtp_stream record with its bad byte (fuzz_pipeline found it). */
static void test_str_invalid_replaced(void **state)
{
	struct ct_json *j = *state;
	ct_json_reset(j);
	ct_json_str(j, "\xBF" "CMU");
	assert_int_equal(j->len, strlen("\"" FFFD "CMU\""));
	assert_memory_equal(j->buf, "\"" FFFD "CMU\"", j->len);
	ct_json_reset(j);
	ct_json_str(j, "caf\xC3\xA9 \"q\"");
	assert_int_equal(j->len, strlen("\"caf\xC3\xA9 \\\"q\\\"\""));
	assert_memory_equal(j->buf, "\"caf\xC3\xA9 \\\"q\\\"\"", j->len);
}

static void test_utf8_every_byte_pair_valid(void **state)
{
	struct ct_json *j = *state;
	/* Whatever the input, the output is valid JSON and valid UTF-8: all 65536 two-byte
	 * inputs, plus each one followed by a lead byte that wants more. */
	for (unsigned v = 0; v < 65536; v++) {
		uint8_t in[3] = { (uint8_t)(v >> 8), (uint8_t)v, 0xF0 };
		for (size_t n = 2; n <= 3; n++) {
			render_text(j, in, n);
			if (!json_valid(j->buf, j->len))
				fail_msg("input %02x %02x%s gave invalid output", in[0], in[1], n == 3 ? " f0" : "");
		}
	}
}

/* ---- truncation ------------------------------------------------------------------------ */

static void test_kv_text_truncated(void **state)
{
	struct ct_json *j = *state;
	const uint8_t *from = (const uint8_t *)"sip:alice@example.com";

	ct_json_obj_begin(j);
	ct_json_kv_text(j, "from", from, 21, 9);
	ct_json_kv_u64(j, "n", 1);
	ct_json_obj_end(j);
	assert_json_is(j, "{\"from\":\"sip:alice\",\"from_truncated\":true,\"n\":1}");

	/* exactly max bytes is not a cut */
	ct_json_reset(j);
	ct_json_obj_begin(j);
	ct_json_kv_text(j, "from", from, 21, 21);
	ct_json_obj_end(j);
	assert_json_is(j, "{\"from\":\"sip:alice@example.com\"}");

	/* max 0 keeps nothing and says so */
	ct_json_reset(j);
	ct_json_obj_begin(j);
	ct_json_kv_text(j, "x", from, 21, 0);
	ct_json_obj_end(j);
	assert_json_is(j, "{\"x\":\"\",\"x_truncated\":true}");

	/* max counts input bytes, before escaping */
	ct_json_reset(j);
	ct_json_obj_begin(j);
	ct_json_kv_text(j, "q", (const uint8_t *)"\"\"\"\"", 4, 2);
	ct_json_obj_end(j);
	assert_json_is(j, "{\"q\":\"\\\"\\\"\",\"q_truncated\":true}");

	/* ct_json_text reports the cut to its caller */
	ct_json_reset(j);
	assert_true(ct_json_text(j, from, 21, 20));
	assert_json_is(j, "\"sip:alice@example.co\"");
	ct_json_reset(j);
	assert_false(ct_json_text(j, from, 21, SIZE_MAX));

	/* a cut inside a multibyte character still gives valid UTF-8 */
	ct_json_reset(j);
	ct_json_obj_begin(j);
	ct_json_kv_text(j, "s", (const uint8_t *)"ab\xE2\x82\xAC", 5, 3);
	ct_json_obj_end(j);
	assert_int_equal(j->err, 0);
	assert_true(json_valid(j->buf, j->len));
	assert_non_null(strstr(j->buf, "\"s_truncated\":true"));
}

/* ---- time ------------------------------------------------------------------------------ */

static void test_time(void **state)
{
	struct ct_json *j = *state;
	ct_json_time(j, 0);
	assert_json_is(j, "\"1970-01-01T00:00:00.000000Z\"");

	/* 2026-01-05T09:00:00Z: 56 years since 1970 with 14 leap days (1972..2024) give
	 * 20454 days, +4 days into January = 20458 days = 1767571200 s, +9 h = 1767603600 s */
	ct_json_reset(j);
	ct_json_time(j, 1767603600ULL * CT_USEC_PER_SEC + 123456u);
	assert_json_is(j, "\"2026-01-05T09:00:00.123456Z\"");

	/* last µs of a leap day: 2000-03-01T00:00:00Z = 11017 days = 951868800 s */
	ct_json_reset(j);
	ct_json_time(j, 951868800ULL * CT_USEC_PER_SEC - 1u);
	assert_json_is(j, "\"2000-02-29T23:59:59.999999Z\"");

	/* past the signed 32-bit second counter: 2^31 s = 2038-01-19T03:14:08Z */
	ct_json_reset(j);
	ct_json_time(j, 2147483648ULL * CT_USEC_PER_SEC + 1u);
	assert_json_is(j, "\"2038-01-19T03:14:08.000001Z\"");

	/* as a member, and through ct_time_format */
	ct_json_reset(j);
	ct_json_obj_begin(j);
	ct_json_kv_time(j, "ts", 1000001u);
	ct_json_obj_end(j);
	assert_json_is(j, "{\"ts\":\"1970-01-01T00:00:01.000001Z\"}");
	char out[32];
	ct_time_format(86400ULL * CT_USEC_PER_SEC, out);
	assert_string_equal(out, "1970-01-02T00:00:00.000000Z");

	/* the last time RFC 3339 can write, and anything later held to it (never five digits
	 * of year, never gmtime_r past its range) */
	ct_time_format(CT_TIME_MAX, out);
	assert_string_equal(out, "9999-12-31T23:59:59.999999Z");
	ct_time_format(CT_TIME_MAX + 1, out);
	assert_string_equal(out, "9999-12-31T23:59:59.999999Z");
	ct_time_format(UINT64_MAX, out);
	assert_string_equal(out, "9999-12-31T23:59:59.999999Z");
}

/* ---- fixed-point numbers ------------------------------------------------------------------ */

static void test_fixed(void **state)
{
	struct ct_json *j = *state;
	static const struct {
		double v;
		unsigned d;
		const char *want;
	} cases[] = {
		{ 4.405, 2, "4.41" },  /* a MOS: 440.5 rounds away from zero (llround) */
		{ 93.2, 1, "93.2" },   /* an R factor */
		{ 0.0, 2, "0.00" },
		{ -0.004, 2, "0.00" }, /* no "-0.00" */
		{ -1.25, 1, "-1.3" },
		{ 12.0, 0, "12" },
		{ 0.5, 9, "0.500000" }, /* decimals held to 6 */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ct_json_reset(j);
		ct_json_fixed(j, cases[i].v, cases[i].d);
		assert_json_is(j, cases[i].want);
	}
	ct_json_reset(j);
	ct_json_obj_begin(j);
	ct_json_kv_fixed(j, "nan", 0.0 / 0.0, 2);
	ct_json_kv_fixed(j, "huge", 1e300, 2);
	ct_json_obj_end(j);
	assert_json_is(j, "{\"nan\":null,\"huge\":null}");
}

/* ---- reset ------------------------------------------------------------------------------ */

static void test_reset_reuses_buffer(void **state)
{
	struct ct_json *j = *state;
	ct_json_obj_begin(j);
	ct_json_kv_str(j, "type", "stats");
	ct_json_key(j, "deep");
	ct_json_arr_begin(j); /* left open: reset must also forget the nesting */
	ct_json_u64(j, 7);
	const char *buf = j->buf;
	size_t cap = j->cap;
	assert_non_null(buf);

	ct_json_reset(j);
	assert_int_equal(j->len, 0);
	ct_json_obj_begin(j);
	ct_json_kv_u64(j, "n", 2);
	ct_json_obj_end(j);
	/* no leading comma from the previous record, no bytes left from it */
	assert_json_is(j, "{\"n\":2}");
	assert_ptr_equal(j->buf, buf);
	assert_int_equal(j->cap, cap);

	/* a finished record followed by reset and another: each is one JSON text */
	ct_json_reset(j);
	ct_json_obj_begin(j);
	ct_json_obj_end(j);
	ct_json_reset(j);
	ct_json_arr_begin(j);
	ct_json_arr_end(j);
	assert_json_is(j, "[]");
	assert_ptr_equal(j->buf, buf);

	/* a sticky error is cleared by reset */
	ct_json_reset(j);
	for (int i = 0; i <= CT_JSON_MAX_DEPTH; i++)
		ct_json_obj_begin(j);
	assert_int_not_equal(j->err, 0);
	ct_json_reset(j);
	ct_json_str(j, "ok");
	assert_json_is(j, "\"ok\"");
}

static void test_checker_rejects(void **state)
{
	(void)state;
	/* the checker itself must reject what the other tests rely on it to catch */
	static const char *const bad[] = {
		"{\"a\":1,}", "[1,,2]", "{,\"a\":1}", "[1 2]", "{\"a\"1}", "\"\x01\"", "\"\\x\"",
		"\"\xC0\x80\"", "\"\xED\xA0\x80\"", "\"\xF0\x9F\x98\"", "\"\xFF\"", "{}{}", "{},{}", "\"abc",
		"[", "01", "-", "tru",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (json_valid(bad[i], strlen(bad[i])))
			fail_msg("checker accepted %s", bad[i]);
	static const char good[] = "{\"a\":[1,-2,{\"b\":null}],\"c\":\"\xF0\x9F\x98\x80\"}";
	assert_true(json_valid(good, strlen(good)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_checker_rejects),
		cmocka_unit_test_setup_teardown(test_escape_quote_backslash, setup, teardown),
		cmocka_unit_test_setup_teardown(test_escape_control_chars, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nesting_commas, setup, teardown),
		cmocka_unit_test_setup_teardown(test_depth_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_growth, setup, teardown),
		cmocka_unit_test_setup_teardown(test_utf8_valid_passes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_utf8_invalid_replaced, setup, teardown),
		cmocka_unit_test_setup_teardown(test_str_invalid_replaced, setup, teardown),
		cmocka_unit_test_setup_teardown(test_utf8_every_byte_pair_valid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kv_text_truncated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_time, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fixed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reset_reuses_buffer, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
