/* fuzz_view.c - libFuzzer target for the call view: arbitrary bytes as stored JSON lines
 * (view_store_add_line, the path ctitap --html takes), into a store with small caps, then the
 * index (with the input's first line as its query) and every call's page rendered.
 *
 * Beyond no crash, leak or undefined behaviour, every page must be well formed in the way the
 * escaping promises, whatever the records said: each '<' opens a tag the view writes, with only
 * attributes the view writes, each value double-quoted and free of '<' and '"'; each '&' starts
 * one of the entities the view writes; <script> only on the index, once; the bytes are UTF-8.
 * A text that escaped its escape would show up as an unknown tag or attribute, or a stray '&',
 * '<' or quote, and abort. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "web/view_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool in_list(const char *s, size_t n, const char *const *list)
{
	for (; *list; list++)
		if (strlen(*list) == n && memcmp(*list, s, n) == 0)
			return true;
	return false;
}

static const char *const TAGS[] = { "html", "head", "meta", "title", "style", "script", "body", "nav", "h1", "h2",
				    "p", "a", "b", "i", "small", "br", "code", "span", "div", "dl", "dt", "dd",
				    "table", "thead", "tbody", "tr", "th", "td", "form", "label", "input", "select",
				    "option", "button", "svg", "g", "rect", "line", "path", "polygon", "text", NULL };
static const char *const ATTRS[] = { "lang", "charset", "http-equiv", "content", "name", "class", "id", "href",
				     "method", "action", "type", "size", "placeholder", "value", "selected", "xmlns",
				     "width", "height", "viewBox", "role", "aria-label", "x", "y", "x1", "y1", "x2",
				     "y2", "rx", "d", "points", "transform", "text-anchor", "data-role", "data-start",
				     "data-num", "data-agents", "data-disp", "data-audit", NULL };
static const char *const ENTITIES[] = { "&amp;", "&lt;", "&gt;", "&quot;", "&#39;", NULL };

static void page_check(const char *p, size_t n, bool index)
{
	unsigned scripts = 0;
	size_t i = 0;
	while (i < n) {
		char c = p[i];
		if (c == '&') {
			bool ok = false;
			for (const char *const *e = ENTITIES; *e && !ok; e++)
				ok = n - i >= strlen(*e) && memcmp(p + i, *e, strlen(*e)) == 0;
			if (!ok)
				abort();
			i++;
			continue;
		}
		if (c == '>' || c == '"')
			abort(); /* markup characters in text are always escaped */
		if (c != '<') {
			i++;
			continue;
		}
		if (n - i >= 15 && memcmp(p + i, "<!DOCTYPE html>", 15) == 0) {
			i += 15;
			continue;
		}
		i++;
		bool closing = i < n && p[i] == '/';
		i += closing;
		size_t t = i;
		while (i < n && ((p[i] >= 'a' && p[i] <= 'z') || (p[i] >= '0' && p[i] <= '9')))
			i++;
		if (!in_list(p + t, i - t, TAGS))
			abort();
		bool raw = !closing && ((i - t == 5 && memcmp(p + t, "style", 5) == 0) ||
					(i - t == 6 && memcmp(p + t, "script", 6) == 0));
		scripts += !closing && i - t == 6 && memcmp(p + t, "script", 6) == 0;
		for (;;) { /* attributes */
			while (i < n && p[i] == ' ')
				i++;
			if (i < n && p[i] == '>')
				break;
			if (n - i >= 2 && p[i] == '/' && p[i + 1] == '>') {
				i++;
				break;
			}
			size_t a = i;
			while (i < n && ((p[i] >= 'a' && p[i] <= 'z') || (p[i] >= 'A' && p[i] <= 'Z') || p[i] == '-' ||
					 (p[i] >= '0' && p[i] <= '9')))
				i++;
			if (i == a || !in_list(p + a, i - a, ATTRS) || closing)
				abort();
			if (i < n && p[i] == '=') {
				if (++i >= n || p[i] != '"')
					abort();
				for (i++; i < n && p[i] != '"'; i++) {
					if (p[i] == '<' || p[i] == '>')
						abort();
					if (p[i] == '&') {
						bool ok = false;
						for (const char *const *e = ENTITIES; *e && !ok; e++)
							ok = n - i >= strlen(*e) && memcmp(p + i, *e, strlen(*e)) == 0;
						if (!ok)
							abort();
					}
				}
				if (i >= n)
					abort();
				i++;
			}
		}
		if (i >= n)
			abort();
		i++;
		if (raw) { /* the view's own style sheet and script: skip to their end tag */
			const char *end = strstr(p + i, p[t] == 's' && p[t + 1] == 't' ? "</style>" : "</script>");
			if (!end)
				abort();
			i = (size_t)(end - p);
		}
	}
	if (scripts != (index ? 1u : 0u))
		abort();
	/* UTF-8 throughout: every byte that is no valid sequence was replaced */
	for (i = 0; i < n;) {
		unsigned char u = (unsigned char)p[i];
		size_t len = u < 0x80 ? 1 : u >= 0xC2 && u <= 0xDF ? 2 : u >= 0xE0 && u <= 0xEF ? 3 : u >= 0xF0 && u <= 0xF4 ? 4 : 0;
		if (!len || len > n - i)
			abort();
		for (size_t k = 1; k < len; k++)
			if (((unsigned char)p[i + k] & 0xC0) != 0x80)
				abort();
		i += len;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ct_view_cfg cfg;
	ct_view_cfg_default(&cfg);
	/* small caps, so that eviction, a call's share and the drawing caps all happen */
	cfg.max_calls = 4;
	cfg.max_bytes = 32 * 1024;
	cfg.max_messages = 40;
	cfg.files_base = "../files/";
	struct ct_view_store *s;
	if (ct_view_store_new(&s, &cfg) != CT_OK)
		return 0;
	const char *p = (const char *)data, *end = p + size;
	const char *first_nl = memchr(p, '\n', size);
	size_t qlen = first_nl ? (size_t)(first_nl - p) : size;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		char call[CT_VIEW_ID_MAX];
		view_store_add_line(s, p, n, call);
		p += n + 1;
	}
	struct ct_buf out;
	ct_buf_init(&out);
	char path[256];
	snprintf(path, sizeof(path), "index.html?%.*s", (int)(qlen < 200 ? qlen : 200), (const char *)data);
	int st = ct_view_render(s, path, &out, NULL);
	if (st != 200 && st != 500)
		abort();
	if (st == 200)
		page_check(out.p, out.len, true);
	for (struct ventry *e = s->oldest; e; e = e->newer) {
		char page[64];
		snprintf(page, sizeof(page), "calls/%s.html", e->id);
		ct_buf_reset(&out);
		st = ct_view_render(s, page, &out, NULL);
		if (st != 200 && st != 500)
			abort();
		if (st == 200)
			page_check(out.p, out.len, false);
	}
	ct_buf_free(&out);
	ct_view_store_free(s);
	return 0;
}
