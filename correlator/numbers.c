/* numbers.c - telephone number normalisation (RFC 3966 section 5.1, RFC 3261 section 19.1.1,
 * ITU-T E.164); the rule syntax and the steps are described in numbers.h. */
#include "numbers.h"

#include <stdio.h>
#include <string.h>

void ct_numbers_init(struct ct_numbers *n)
{
	memset(n, 0, sizeof(*n));
	memcpy(n->national_prefix, "0", 2);
	memcpy(n->international_prefix, "00", 3);
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* [p, end) without blanks on either side. */
static void trim(const char **p, const char **end)
{
	while (*p < *end && is_blank(**p))
		(*p)++;
	while (*end > *p && is_blank((*end)[-1]))
		(*end)--;
}

/* An optional '+' then digits: the PREFIX and REPLACEMENT of a rule. */
static bool affix_ok(const char *p, const char *end)
{
	if (p < end && *p == '+')
		p++;
	for (; p < end; p++)
		if (!is_digit(*p))
			return false;
	return true;
}

/* Digits [p, end) as a number 0..999; false when empty, not digits or too large. */
static bool small_uint(const char *p, const char *end, unsigned *out)
{
	if (p == end || end - p > 3)
		return false;
	unsigned v = 0;
	for (; p < end; p++) {
		if (!is_digit(*p))
			return false;
		v = v * 10 + (unsigned)(*p - '0');
	}
	*out = v;
	return true;
}

/* `[N]` or `[N-M]` in [p, end), the brackets included. */
static bool length_cond(const char *p, const char *end, uint8_t *min, uint8_t *max)
{
	if (end - p < 3 || *p != '[' || end[-1] != ']')
		return false;
	p++;
	end--;
	const char *dash = memchr(p, '-', (size_t)(end - p));
	unsigned lo, hi;
	if (!small_uint(p, dash ? dash : end, &lo))
		return false;
	hi = lo;
	if (dash && !small_uint(dash + 1, end, &hi))
		return false;
	if (lo < 1 || lo > hi || hi > CT_NUMBER_MAX_DIGITS)
		return false;
	*min = (uint8_t)lo;
	*max = (uint8_t)hi;
	return true;
}

/* One rule [p, end) (blanks trimmed, not empty) into r; on error err names it by its number. */
static int parse_rule(const char *p, const char *end, unsigned no, struct ct_number_rule *r, char *err,
		      size_t errlen)
{
	int tlen = (int)CT_MIN(end - p, 60);
	const char *arrow = NULL;
	for (const char *q = p; q + 1 < end; q++) {
		if (q[0] == '=' && q[1] == '>') {
			arrow = q;
			break;
		}
	}
	if (!arrow) {
		snprintf(err, errlen, "rule %u '%.*s': expected PREFIX=>REPLACEMENT or PREFIX[LEN]=>REPLACEMENT", no,
			 tlen, p);
		return CT_EINVAL;
	}
	const char *mp = p, *mend = arrow, *rp = arrow + 2, *rend = end;
	trim(&mp, &mend);
	trim(&rp, &rend);
	memset(r, 0, sizeof(*r));
	r->min_len = 0;
	r->max_len = CT_NUMBER_MAX_DIGITS;
	const char *bracket = memchr(mp, '[', (size_t)(mend - mp));
	if (bracket) {
		if (!length_cond(bracket, mend, &r->min_len, &r->max_len)) {
			snprintf(err, errlen,
				 "rule %u '%.*s': length condition must be [N] or [N-M] with 1 <= N <= M <= %d", no,
				 tlen, p, CT_NUMBER_MAX_DIGITS);
			return CT_EINVAL;
		}
		mend = bracket;
		trim(&mp, &mend);
	}
	if (!affix_ok(mp, mend)) {
		snprintf(err, errlen, "rule %u '%.*s': PREFIX must be digits, optionally after a +", no, tlen, p);
		return CT_EINVAL;
	}
	if (!affix_ok(rp, rend)) {
		snprintf(err, errlen, "rule %u '%.*s': REPLACEMENT must be digits, optionally after a +", no, tlen, p);
		return CT_EINVAL;
	}
	if (mend - mp > CT_NUMBER_AFFIX_MAX || rend - rp > CT_NUMBER_AFFIX_MAX) {
		snprintf(err, errlen, "rule %u '%.*s': PREFIX and REPLACEMENT are at most %d characters", no, tlen, p,
			 CT_NUMBER_AFFIX_MAX);
		return CT_EINVAL;
	}
	r->plen = (uint8_t)(mend - mp);
	r->rlen = (uint8_t)(rend - rp);
	memcpy(r->prefix, mp, r->plen);
	memcpy(r->repl, rp, r->rlen);
	return CT_OK;
}

int ct_numbers_parse(struct ct_numbers *n, const char *rules, char *err, size_t errlen)
{
	struct ct_number_rule parsed[CT_NUMBERS_MAX_RULES];
	unsigned count = 0, no = 0;
	const char *p = rules ? rules : "";
	for (;;) {
		const char *end = strchr(p, ';');
		const char *stop = end ? end : p + strlen(p);
		const char *rp = p, *rend = stop;
		trim(&rp, &rend);
		no++;
		if (rp < rend) {
			if (count == CT_NUMBERS_MAX_RULES) {
				snprintf(err, errlen, "more than %d rules", CT_NUMBERS_MAX_RULES);
				return CT_EINVAL;
			}
			int rc = parse_rule(rp, rend, no, &parsed[count], err, errlen);
			if (rc != CT_OK)
				return rc;
			count++;
		}
		if (!end)
			break;
		p = end + 1;
	}
	memcpy(n->rule, parsed, count * sizeof(parsed[0]));
	n->nrules = count;
	return CT_OK;
}

static int set_digits(char *dst, size_t cap, const char *digits, size_t min, const char *what, char *err,
		      size_t errlen)
{
	const char *s = digits ? digits : "";
	size_t len = strnlen(s, cap);
	bool ok = len >= min && len < cap;
	for (size_t i = 0; ok && i < len; i++)
		ok = is_digit(s[i]);
	if (!ok) {
		if (min)
			snprintf(err, errlen, "%s '%.20s' must be %zu to %zu digits, or empty", what, s, min, cap - 1);
		else
			snprintf(err, errlen, "%s '%.20s' must be digits, at most %zu of them, or empty", what, s, cap - 1);
		return CT_EINVAL;
	}
	memcpy(dst, s, len + 1);
	return CT_OK;
}

int ct_numbers_set_country_code(struct ct_numbers *n, const char *digits, char *err, size_t errlen)
{
	if (digits && digits[0])
		return set_digits(n->country_code, sizeof(n->country_code), digits, 1, "country code", err,
				  errlen);
	n->country_code[0] = '\0';
	return CT_OK;
}

int ct_numbers_set_national_prefix(struct ct_numbers *n, const char *digits, char *err, size_t errlen)
{
	return set_digits(n->national_prefix, sizeof(n->national_prefix), digits, 0, "national prefix", err, errlen);
}

int ct_numbers_set_international_prefix(struct ct_numbers *n, const char *digits, char *err, size_t errlen)
{
	return set_digits(n->international_prefix, sizeof(n->international_prefix), digits, 0,
			  "international prefix", err, errlen);
}

static bool has_prefix(const char *s, size_t len, const char *prefix, size_t plen)
{
	return plen <= len && memcmp(s, prefix, plen) == 0;
}

static bool starts_icase(const char *p, const char *end, const char *word)
{
	size_t n = strlen(word);
	if ((size_t)(end - p) < n)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = p[i];
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c != word[i])
			return false;
	}
	return true;
}

/* Steps 1 and 2 of numbers.h: the user part of `in` as '+'? and digits into w (cap
 * CT_NUMBER_MAX_DIGITS + 2). Returns its length, 0 if `in` is not a number. */
#define CONTEXT_MAX 8 /* digits of a global number prefix in a phone-context */

/* The digits of a `;phone-context=+...` parameter between p and end (RFC 3966 section 5.1.5: a
 * local number's context given as a global number prefix, a country code and maybe an area
 * code, visual separators allowed), into cc; false if none. */
static bool phone_context(const char *p, const char *end, char cc[CONTEXT_MAX + 1])
{
	static const char key[] = "phone-context=";
	for (; p + sizeof(key) - 1 <= end; p++) {
		if (*p != ';' || !starts_icase(p + 1, end, key))
			continue;
		const char *v = p + sizeof(key);
		if (v >= end || *v != '+')
			return false;
		size_t n = 0;
		for (v++; v < end && *v != ';' && n < CONTEXT_MAX; v++)
			if (is_digit(*v))
				cc[n++] = *v;
			else if (*v != '-' && *v != '.' && *v != '(' && *v != ')')
				return false;
		cc[n] = '\0';
		return n > 0;
	}
	return false;
}

static size_t clean(const char *in, char *w)
{
	size_t inlen = strnlen(in, CT_NUMBER_SCAN_MAX + 1);
	if (inlen > CT_NUMBER_SCAN_MAX)
		return 0;
	const char *p = in, *end = in + inlen;
	const char *lt = memchr(p, '<', inlen);
	if (lt) {
		p = lt + 1;
		const char *gt = memchr(p, '>', (size_t)(end - p));
		if (gt)
			end = gt;
	}
	trim(&p, &end);
	if (starts_icase(p, end, "sip:"))
		p += 4;
	else if (starts_icase(p, end, "sips:"))
		p += 5;
	else if (starts_icase(p, end, "tel:"))
		p += 4;
	const char *uend = end; /* the user part and its parameters, before the host */
	for (const char *q = p; q < end; q++) {
		if (*q == '@' || *q == '?' || *q == '>') {
			uend = q;
			break;
		}
	}
	char cc[CONTEXT_MAX + 1];
	bool context = phone_context(p, uend, cc);
	for (const char *q = p; q < end; q++) {
		if (*q == '@' || *q == ';' || *q == '?' || *q == '>') {
			end = q;
			break;
		}
	}
	trim(&p, &end);
	size_t len = 0, digits = 0;
	if (starts_icase(p, end, "%2b")) {
		w[len++] = '+';
		p += 3;
	}
	for (; p < end; p++) {
		char c = *p;
		if (is_digit(c) || c == '*' || c == '#') {
			if (digits == CT_NUMBER_MAX_DIGITS)
				return 0;
			w[len++] = c;
			digits++;
		} else if (c == '+' && len == 0) {
			w[len++] = '+';
		} else if (c != '-' && c != '.' && c != '(' && c != ')' && !is_blank(c)) {
			return 0;
		}
	}
	if (digits == 0)
		return 0;
	w[len] = '\0';
	if (context && w[0] != '+') {
		/* a local number in a global context: +CC and the number without its trunk prefix */
		size_t skip = w[0] == '0' ? 1 : 0, cl = strlen(cc);
		if (digits - skip + cl > CT_NUMBER_MAX_DIGITS)
			return 0;
		memmove(w + 1 + cl, w + skip, len - skip + 1);
		w[0] = '+';
		memcpy(w + 1, cc, cl);
		len = len - skip + 1 + cl;
	}
	return len;
}

static size_t rewrite(char *w, size_t len, size_t skip, const char *head, size_t hlen)
{
	char tmp[CT_NUMBER_MAX_DIGITS + 2];
	size_t rest = len - skip;
	size_t plus = (hlen && head[0] == '+') || (!hlen && rest && w[skip] == '+');
	if (hlen + rest - plus > CT_NUMBER_MAX_DIGITS)
		return 0;
	memcpy(tmp, head, hlen);
	memcpy(tmp + hlen, w + skip, rest);
	memcpy(w, tmp, hlen + rest);
	w[hlen + rest] = '\0';
	return hlen + rest;
}

size_t ct_number_norm(const struct ct_numbers *n, const char *in, char *out, size_t cap)
{
	if (!out || cap == 0)
		return 0;
	out[0] = '\0';
	if (!in || !n)
		return 0;
	char w[CT_NUMBER_MAX_DIGITS + 2];
	size_t len = clean(in, w);
	if (!len)
		return 0;
	size_t digits = len - (w[0] == '+');
	for (unsigned i = 0; i < n->nrules; i++) {
		const struct ct_number_rule *r = &n->rule[i];
		if (digits < r->min_len || digits > r->max_len)
			continue;
		/* a prefix without '+' (the empty one too) only matches numbers without '+' */
		if ((r->plen == 0 || r->prefix[0] != '+') && w[0] == '+')
			continue;
		if (!has_prefix(w, len, r->prefix, r->plen))
			continue;
		len = rewrite(w, len, r->plen, r->repl, r->rlen);
		break;
	}
	if (len && w[0] != '+') {
		size_t il = strlen(n->international_prefix), nl = strlen(n->national_prefix);
		size_t cl = strlen(n->country_code);
		if (il && has_prefix(w, len, n->international_prefix, il)) {
			if (len > il)
				len = rewrite(w, len, il, "+", 1);
		} else if (nl && cl && len > nl && has_prefix(w, len, n->national_prefix, nl)) {
			char head[CT_NUMBER_CC_MAX + 2] = "+";
			memcpy(head + 1, n->country_code, cl);
			len = rewrite(w, len, nl, head, cl + 1);
		}
	}
	/* a rule may have left nothing (`5000[4]=>`) or a lone '+' */
	if (!len || (len == 1 && w[0] == '+') || len >= cap)
		return 0;
	memcpy(out, w, len + 1);
	return len;
}

size_t ct_number_clean(const char *in, char *out, size_t cap)
{
	if (!out || cap == 0)
		return 0;
	out[0] = '\0';
	if (!in)
		return 0;
	char w[CT_NUMBER_MAX_DIGITS + 2];
	size_t len = clean(in, w);
	if (!len || len >= cap)
		return 0;
	memcpy(out, w, len + 1);
	return len;
}

bool ct_number_same(const struct ct_numbers *n, const char *a, const char *b)
{
	if (!a || !b || !a[0] || !b[0])
		return false;
	char x[CT_NUMBER_NORM_MAX], y[CT_NUMBER_NORM_MAX];
	size_t lx = ct_number_norm(n, a, x, sizeof(x));
	size_t ly = ct_number_norm(n, b, y, sizeof(y));
	if (lx || ly)
		return lx == ly && memcmp(x, y, lx) == 0;
	return strcmp(a, b) == 0;
}

bool ct_number_tail_same(const char *a, const char *b, size_t min_digits)
{
	char x[CT_NUMBER_NORM_MAX], y[CT_NUMBER_NORM_MAX];
	if (!a || !b || !ct_number_clean(a, x, sizeof(x)) || !ct_number_clean(b, y, sizeof(y)))
		return false;
	/* the significant digits: no '+', no trunk or international prefix zeros */
	const char *p = x, *q = y;
	while (*p == '+' || *p == '0')
		p++;
	while (*q == '+' || *q == '0')
		q++;
	size_t lp = strlen(p), lq = strlen(q);
	if (lp < min_digits || lq < min_digits)
		return false;
	return lp <= lq ? strcmp(p, q + lq - lp) == 0 : strcmp(q, p + lp - lq) == 0;
}
