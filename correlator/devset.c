/* devset.c - device sets for the recording policy; the syntax is described in devset.h. */
#include "devset.h"

#include <stdio.h>
#include <string.h>

void ct_devset_init(struct ct_devset *s)
{
	memset(s, 0, sizeof(*s));
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* An optional '+' then at least one digit, the whole of [p, end). */
static bool number_text(const char *p, const char *end)
{
	if (p < end && *p == '+')
		p++;
	if (p == end)
		return false;
	for (; p < end; p++)
		if (!is_digit(*p))
			return false;
	return true;
}

/* One entry [p, end), blanks trimmed and not empty, into e (or s->all). */
static int parse_entry(const char *p, const char *end, struct ct_devset *s, struct ct_devset_entry *e, char *err,
		       size_t errlen)
{
	size_t len = (size_t)(end - p);
	int tlen = (int)CT_MIN(len, 60);
	memset(e, 0, sizeof(*e));
	if (len == 1 && *p == '*') {
		s->all = true;
		return 1; /* no entry */
	}
	if (len >= CT_DEVSET_LEN) {
		snprintf(err, errlen, "entry '%.*s...' is longer than %d characters", tlen, p, CT_DEVSET_LEN - 1);
		return CT_EINVAL;
	}
	for (const char *q = p; q < end; q++) {
		unsigned char c = (unsigned char)*q;
		if (c <= ' ' || c == 0x7f) {
			snprintf(err, errlen, "entry '%.*s': blank or control byte inside an entry", tlen, p);
			return CT_EINVAL;
		}
		if (c == '*' && q + 1 != end) {
			snprintf(err, errlen, "entry '%.*s': '*' may only end an entry (a prefix)", tlen, p);
			return CT_EINVAL;
		}
	}
	bool wild = end[-1] == '*';
	const char *text_end = wild ? end - 1 : end;
	bool numeric = is_digit(*p) || *p == '+';
	const char *dash = numeric ? memchr(p, '-', (size_t)(text_end - p)) : NULL;
	if (dash && !wild) {
		const char *hi = dash + 1;
		size_t lo_len = (size_t)(dash - p), hi_len = (size_t)(end - hi);
		if (!number_text(p, dash) || !number_text(hi, end) || lo_len != hi_len || (*p == '+') != (*hi == '+') ||
		    memcmp(p, hi, lo_len) > 0) {
			snprintf(err, errlen,
				 "range '%.*s': its ends must be digit strings of equal length, the first not above "
				 "the second",
				 tlen, p);
			return CT_EINVAL;
		}
		e->kind = CT_DEVSET_RANGE;
		e->len = (uint8_t)lo_len;
		memcpy(e->lo, p, lo_len);
		memcpy(e->hi, hi, hi_len);
		return CT_OK;
	}
	if (numeric && !(text_end - p == 1 && *p == '+' && wild) && !number_text(p, text_end)) {
		snprintf(err, errlen, "entry '%.*s': a number may only hold digits after an optional + (no separators)",
			 tlen, p);
		return CT_EINVAL;
	}
	e->kind = wild ? CT_DEVSET_PREFIX : CT_DEVSET_EXACT;
	e->len = (uint8_t)(text_end - p);
	memcpy(e->lo, p, e->len);
	return CT_OK;
}

int ct_devset_parse(struct ct_devset *s, const char *spec, char *err, size_t errlen)
{
	struct ct_devset tmp;
	ct_devset_init(&tmp);
	const char *p = spec ? spec : "";
	for (;;) {
		const char *comma = strchr(p, ',');
		const char *end = comma ? comma : p + strlen(p);
		const char *q = p;
		while (q < end && is_blank(*q))
			q++;
		while (end > q && is_blank(end[-1]))
			end--;
		if (q < end) {
			if (tmp.n == CT_DEVSET_MAX) {
				snprintf(err, errlen, "more than %d entries", CT_DEVSET_MAX);
				return CT_EINVAL;
			}
			int rc = parse_entry(q, end, &tmp, &tmp.e[tmp.n], err, errlen);
			if (rc < 0)
				return rc;
			if (rc == CT_OK)
				tmp.n++;
		}
		if (!comma)
			break;
		p = comma + 1;
	}
	memcpy(s, &tmp, sizeof(tmp));
	return CT_OK;
}

static bool in_range(const struct ct_devset_entry *e, const char *device)
{
	if (strnlen(device, e->len + 1u) != e->len || (device[0] == '+') != (e->lo[0] == '+'))
		return false;
	for (size_t i = device[0] == '+'; i < e->len; i++)
		if (!is_digit(device[i]))
			return false;
	return memcmp(e->lo, device, e->len) <= 0 && memcmp(device, e->hi, e->len) <= 0;
}

bool ct_devset_has(const struct ct_devset *s, const char *device)
{
	if (!s || !device || !device[0])
		return false;
	if (s->all)
		return true;
	for (unsigned i = 0; i < s->n; i++) {
		const struct ct_devset_entry *e = &s->e[i];
		switch (e->kind) {
		case CT_DEVSET_EXACT:
			if (strcmp(device, e->lo) == 0)
				return true;
			break;
		case CT_DEVSET_PREFIX:
			if (strncmp(device, e->lo, e->len) == 0)
				return true;
			break;
		case CT_DEVSET_RANGE:
			if (in_range(e, device))
				return true;
			break;
		default: break;
		}
	}
	return false;
}

bool ct_devset_has_number(const struct ct_devset *s, const struct ct_numbers *n, const char *device)
{
	if (ct_devset_has(s, device))
		return true;
	char form[CT_NUMBER_NORM_MAX];
	if (ct_number_clean(device, form, sizeof(form)) && ct_devset_has(s, form))
		return true;
	return n && ct_number_norm(n, device, form, sizeof(form)) && ct_devset_has(s, form);
}

bool ct_devset_selects(const struct ct_devset *record, const struct ct_devset *exclude, const struct ct_numbers *n,
		       const char *device)
{
	return ct_devset_has_number(record, n, device) && !(exclude && ct_devset_has_number(exclude, n, device));
}
