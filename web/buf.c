/* buf.c - growable page buffer and the HTML and URL escapes (see buf.h). */
#include "buf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ct_buf_init(struct ct_buf *b)
{
	memset(b, 0, sizeof(*b));
}

void ct_buf_free(struct ct_buf *b)
{
	size_t max = b->max;
	free(b->p);
	ct_buf_init(b);
	b->max = max;
}

void ct_buf_reset(struct ct_buf *b)
{
	b->len = 0;
	b->err = CT_OK;
	if (b->p)
		b->p[0] = '\0';
}

/* Room for n more bytes and a NUL. */
static bool buf_room(struct ct_buf *b, size_t n)
{
	if (b->err)
		return false;
	if (n > SIZE_MAX / 2 - b->len - 1 || (b->max && b->len + n > b->max)) {
		b->err = b->max ? CT_ELIMIT : CT_ENOMEM;
		return false;
	}
	if (b->len + n + 1 <= b->cap)
		return true;
	size_t cap = b->cap ? b->cap : 4096;
	while (cap < b->len + n + 1)
		cap *= 2;
	char *p = realloc(b->p, cap);
	if (!p) {
		b->err = CT_ENOMEM;
		return false;
	}
	b->p = p;
	b->cap = cap;
	return true;
}

void ct_buf_put(struct ct_buf *b, const void *s, size_t n)
{
	if (!buf_room(b, n))
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void ct_buf_puts(struct ct_buf *b, const char *s)
{
	ct_buf_put(b, s, strlen(s));
}

void ct_buf_printf(struct ct_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char small[256];
	int n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->err = b->err ? b->err : CT_EINVAL;
		return;
	}
	if ((size_t)n < sizeof(small)) {
		ct_buf_put(b, small, (size_t)n);
		return;
	}
	if (!buf_room(b, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

/* Length of the valid UTF-8 sequence (RFC 3629: no overlong forms, no surrogates, nothing above
 * U+10FFFF) at s[0..n), or 0 when s does not start one. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	if (c < 0x80)
		return 1;
	size_t len;
	unsigned lo = 0x80, hi = 0xBF;
	if (c >= 0xC2 && c <= 0xDF)
		len = 2;
	else if (c >= 0xE0 && c <= 0xEF) {
		len = 3;
		if (c == 0xE0)
			lo = 0xA0;
		else if (c == 0xED)
			hi = 0x9F;
	} else if (c >= 0xF0 && c <= 0xF4) {
		len = 4;
		if (c == 0xF0)
			lo = 0x90;
		else if (c == 0xF4)
			hi = 0x8F;
	} else
		return 0;
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xBF)
			return 0;
	return len;
}

static const char REPLACEMENT[] = "\xEF\xBF\xBD"; /* U+FFFD */

/* Escapes s[0..n) up to max code points (0: all); returns true when it cut. */
static bool html_escape(struct ct_buf *b, const char *s, size_t n, size_t max)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, run = 0, cps = 0;
	while (i < n) {
		if (max && cps == max)
			break;
		unsigned c = u[i];
		const char *rep = NULL;
		size_t adv = 1;
		switch (c) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		case '\'': rep = "&#39;"; break;
		case '\t':
		case '\n': break;
		default:
			if (c < 0x20 || c == 0x7F) {
				rep = REPLACEMENT;
			} else if (c >= 0x80) {
				adv = utf8_seq(u + i, n - i);
				if (adv == 0) {
					rep = REPLACEMENT;
					adv = 1;
				} else if (adv == 2 && c == 0xC2 && u[i + 1] < 0xA0) {
					rep = REPLACEMENT; /* C1 controls */
				}
			}
		}
		if (rep) {
			ct_buf_put(b, s + run, i - run);
			ct_buf_puts(b, rep);
			run = i + adv;
		}
		i += adv;
		cps++;
	}
	ct_buf_put(b, s + run, i - run);
	return i < n;
}

void ct_buf_html(struct ct_buf *b, const char *s, size_t n)
{
	html_escape(b, s, n, 0);
}

void ct_buf_html_cut(struct ct_buf *b, const char *s, size_t max)
{
	if (!s)
		return;
	size_t n = strlen(s);
	if (max < 2 || ct_utf8_len(s) <= max) {
		html_escape(b, s, n, 0);
		return;
	}
	html_escape(b, s, n, max - 1);
	ct_buf_puts(b, "\xE2\x80\xA6"); /* U+2026 */
}

/* Percent-encodes every byte but RFC 3986's unreserved ones (and '/' when keep_slash). */
static void url_escape(struct ct_buf *b, const char *s, bool keep_slash)
{
	static const char hex[] = "0123456789ABCDEF";
	for (const unsigned char *u = (const unsigned char *)s; *u; u++) {
		unsigned c = *u;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
		    c == '.' || c == '_' || c == '~' || (c == '/' && keep_slash)) {
			char ch = (char)c;
			ct_buf_put(b, &ch, 1);
		} else {
			char e[3] = { '%', hex[c >> 4], hex[c & 15] };
			ct_buf_put(b, e, 3);
		}
	}
}

void ct_buf_url(struct ct_buf *b, const char *s)
{
	url_escape(b, s, false);
}

void ct_buf_url_path(struct ct_buf *b, const char *s)
{
	url_escape(b, s, true);
}

size_t ct_utf8_len(const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t n = strlen(s), i = 0, cps = 0;
	while (i < n) {
		size_t adv = utf8_seq(u + i, n - i);
		i += adv ? adv : 1;
		cps++;
	}
	return cps;
}
