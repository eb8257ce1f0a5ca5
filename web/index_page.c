/* index_page.c - the index of calls: one row per call, newest first, filtered by the query.
 *
 * The filter works twice, the same way: on the server (view_filter_match, the live endpoint
 * answers GET index.html?disp=busy with the matching rows only), and in the page's script for
 * a static copy, from each row's data-* attributes. Every filter is also a link in the rows
 * (a disposition, an agent, an audit kind), so a reader without JavaScript can filter live.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/json.h"
#include "view_int.h"

/* Appends word to a space-separated list of bounded size, once. */
static void list_add(char *list, size_t size, const char *word)
{
	if (!word || !*word)
		return;
	size_t wl = strlen(word), ll = strlen(list);
	for (const char *p = list; (p = strstr(p, word)); p++) {
		if ((p == list || p[-1] == ' ') && (p[wl] == ' ' || p[wl] == '\0'))
			return;
	}
	if (ll + (ll ? 1 : 0) + wl + 1 > size)
		return;
	if (ll)
		list[ll++] = ' ';
	memcpy(list + ll, word, wl + 1);
}

/* A word for a space-separated list: hostile text with its spaces made '_', cut to fit. */
static void wordify(char *dst, size_t size, const char *s)
{
	view_copy(dst, size, s);
	for (char *p = dst; *p; p++)
		if (*p == ' ' || *p == '\t' || *p == '\n')
			*p = '_';
}

static void summarize_call(const json_t *c, struct view_summary *row)
{
	view_copy(row->start, sizeof(row->start), view_jstr(c, "start"));
	view_copy(row->direction, sizeof(row->direction), view_jstr(c, "direction"));
	view_copy(row->disposition, sizeof(row->disposition), view_jstr(c, "disposition"));
	view_copy(row->calling, sizeof(row->calling), view_jstr(c, "calling"));
	view_copy(row->called, sizeof(row->called), view_jstr(c, "called"));
	if (!view_jint(c, "ring_ms", &row->ring_ms))
		row->ring_ms = -1;
	if (!view_jint(c, "talk_ms", &row->talk_ms))
		row->talk_ms = -1;
	if (!view_jint(c, "hold_ms", &row->hold_ms))
		row->hold_ms = -1;
	size_t i;
	const json_t *p;
	json_array_foreach(json_object_get(c, "parties"), i, p) {
		const char *dev = view_jstr(p, "device"), *agent = view_jstr(p, "agent_id");
		if (!dev)
			continue;
		if (row->nparties == CT_ARRAY_SIZE(row->party)) {
			row->parties_more++;
			continue;
		}
		wordify(row->party[row->nparties].device, sizeof(row->party[0].device), dev);
		list_add(row->agents_key, sizeof(row->agents_key), row->party[row->nparties].device);
		if (agent) {
			wordify(row->party[row->nparties].agent, sizeof(row->party[0].agent), agent);
			list_add(row->agents_key, sizeof(row->agents_key), row->party[row->nparties].agent);
		}
		row->nparties++;
	}
	const json_t *a;
	json_array_foreach(json_object_get(c, "audit"), i, a) {
		char word[48];
		wordify(word, sizeof(word), view_jstr(a, "kind"));
		list_add(row->audits, sizeof(row->audits), word);
	}
	json_array_foreach(json_object_get(c, "recording"), i, a) {
		if (json_array_size(json_object_get(a, "intervals")))
			row->recorded = true;
	}
}

int view_summarize(const struct ventry *e, struct view_summary *row)
{
	memset(row, 0, sizeof(*row));
	view_copy(row->id, sizeof(row->id), e->id);
	row->ring_ms = row->talk_ms = row->hold_ms = -1;
	row->complete = e->finished;
	const struct vrec *call = NULL;
	ct_time_t first = 0;
	for (unsigned i = 0; i < e->n; i++) {
		const struct vrec *r = e->recs[i];
		if (r->type == CT_REC_CALL && (!call || r->seq > call->seq))
			call = r;
		if (r->ts && (!first || r->ts < first))
			first = r->ts;
		if (r->type == CT_REC_RECORDING)
			row->recorded = true;
	}
	if (call) {
		json_t *c = view_parse(call->json, call->len);
		if (c) {
			summarize_call(c, row);
			json_decref(c);
		}
	}
	if (!row->start[0] && first)
		ct_time_format(first, row->start);
	/* audits the call record does not list yet (a call in progress) */
	for (unsigned i = 0; i < e->n; i++) {
		const struct vrec *r = e->recs[i];
		if (r->type != CT_REC_AUDIT)
			continue;
		json_t *a = view_parse(r->json, r->len);
		if (!a)
			continue;
		char word[48];
		wordify(word, sizeof(word), view_jstr(a, "kind"));
		list_add(row->audits, sizeof(row->audits), word);
		json_decref(a);
	}
	return CT_OK;
}

/* ---- the filter ---- */

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent-decodes s[0..n) into dst[size] ('+' is a space), cut to fit. */
static void url_decode(char *dst, size_t size, const char *s, size_t n)
{
	size_t o = 0;
	for (size_t i = 0; i < n && o + 1 < size; i++) {
		int c = (unsigned char)s[i];
		if (c == '+')
			c = ' ';
		else if (c == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
			c = hexval(s[i + 1]) * 16 + hexval(s[i + 2]);
			i += 2;
		}
		if (c == 0)
			continue;
		dst[o++] = (char)c;
	}
	dst[o] = '\0';
}

void view_filter_parse(struct view_filter *f, const char *query)
{
	memset(f, 0, sizeof(*f));
	const char *p = query ? query : "";
	while (*p) {
		const char *amp = strchr(p, '&');
		size_t n = amp ? (size_t)(amp - p) : strlen(p);
		const char *eq = memchr(p, '=', n);
		if (eq) {
			size_t kl = (size_t)(eq - p), vl = n - kl - 1;
			const char *v = eq + 1;
			struct {
				const char *k;
				char *dst;
				size_t size;
			} keys[] = {
				{ "number", f->number, sizeof(f->number) }, { "agent", f->agent, sizeof(f->agent) },
				{ "disp", f->disp, sizeof(f->disp) },       { "audit", f->audit, sizeof(f->audit) },
				{ "from", f->from, sizeof(f->from) },       { "to", f->to, sizeof(f->to) },
			};
			for (size_t i = 0; i < CT_ARRAY_SIZE(keys); i++)
				if (strlen(keys[i].k) == kl && memcmp(keys[i].k, p, kl) == 0)
					url_decode(keys[i].dst, keys[i].size, v, vl);
		}
		p += n;
		if (*p == '&')
			p++;
	}
}

/* word is one of the space-separated words of list. */
static bool has_word(const char *list, const char *word)
{
	size_t wl = strlen(word);
	for (const char *p = list; (p = strstr(p, word)); p++)
		if ((p == list || p[-1] == ' ') && (p[wl] == ' ' || p[wl] == '\0'))
			return true;
	return false;
}

bool view_filter_match(const struct view_filter *f, const struct view_summary *row)
{
	if (f->number[0]) {
		char num[sizeof(row->calling) + sizeof(row->called) + 1];
		size_t a = strlen(row->calling), b = strlen(row->called);
		memcpy(num, row->calling, a);
		num[a] = ' ';
		memcpy(num + a + 1, row->called, b + 1);
		if (!strstr(num, f->number))
			return false;
	}
	if (f->agent[0] && !has_word(row->agents_key, f->agent))
		return false;
	if (f->disp[0] && strcmp(row->disposition, f->disp) != 0)
		return false;
	if (f->audit[0] && !has_word(row->audits, f->audit))
		return false;
	if (f->from[0] && strcmp(row->start, f->from) < 0)
		return false;
	if (f->to[0] && strcmp(row->start, f->to) >= 0)
		return false;
	return true;
}

/* ---- the page ---- */

static int row_cmp(const void *a, const void *b)
{
	const struct view_summary *x = a, *y = b;
	if (!x->start[0] != !y->start[0])
		return x->start[0] ? -1 : 1;
	int c = strcmp(y->start, x->start); /* newest first */
	return c ? c : strcmp(x->id, y->id);
}

static void put_ms(struct ct_buf *out, int64_t ms)
{
	if (ms < 0)
		ct_buf_puts(out, "\xE2\x80\x94"); /* — */
	else if (ms < 60000)
		ct_buf_printf(out, "%lld.%lld s", (long long)(ms / 1000), (long long)(ms % 1000 / 100));
	else
		ct_buf_printf(out, "%lld:%02lld min", (long long)(ms / 60000), (long long)(ms % 60000 / 1000));
}

static void data_attr(struct ct_buf *out, const char *name, const char *value)
{
	ct_buf_puts(out, " data-");
	ct_buf_puts(out, name);
	ct_buf_puts(out, "=\"");
	ct_buf_htmls(out, value);
	ct_buf_puts(out, "\"");
}

static void filter_link(struct ct_buf *out, const char *key, const char *value, const char *cls)
{
	ct_buf_puts(out, "<a href=\"index.html?");
	ct_buf_puts(out, key);
	ct_buf_puts(out, "=");
	ct_buf_url(out, value);
	ct_buf_puts(out, "\"");
	if (cls) {
		ct_buf_puts(out, " class=\"");
		ct_buf_puts(out, cls);
		ct_buf_puts(out, "\"");
	}
	ct_buf_puts(out, ">");
	ct_buf_htmls(out, value);
	ct_buf_puts(out, "</a>");
}

/* Each space-separated word of list as a filter link. */
static void word_links(struct ct_buf *out, const char *list, const char *key, const char *cls)
{
	char w[64];
	const char *p = list;
	bool first = true;
	while (*p) {
		const char *sp = strchr(p, ' ');
		size_t n = sp ? (size_t)(sp - p) : strlen(p);
		if (n && n < sizeof(w)) {
			memcpy(w, p, n);
			w[n] = '\0';
			if (!first)
				ct_buf_puts(out, " ");
			filter_link(out, key, w, cls);
			first = false;
		}
		p += n;
		if (*p == ' ')
			p++;
	}
}

static void input(struct ct_buf *out, const char *name, const char *label, const char *value, const char *hint)
{
	ct_buf_printf(out, "<label>%s<input type=\"text\" name=\"%s\" id=\"f-%s\" size=\"14\" placeholder=\"%s\" value=\"",
		      label, name, name, hint);
	ct_buf_htmls(out, value);
	ct_buf_puts(out, "\"></label>\n");
}

static void select_open(struct ct_buf *out, const char *name, const char *label)
{
	ct_buf_printf(out, "<label>%s<select name=\"%s\" id=\"f-%s\"><option value=\"\">any</option>", label, name, name);
}

static void option(struct ct_buf *out, const char *value, const char *current)
{
	ct_buf_puts(out, "<option value=\"");
	ct_buf_htmls(out, value);
	ct_buf_puts(out, strcmp(value, current) == 0 ? "\" selected>" : "\">");
	ct_buf_htmls(out, value);
	ct_buf_puts(out, "</option>");
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The audit kinds of the rows, sorted, each once, as options. */
static void audit_options(struct ct_buf *out, const struct view_summary *rows, size_t n, const char *current)
{
	enum { MAX_KINDS = 64 };
	char kinds[MAX_KINDS][48];
	const char *sorted[MAX_KINDS];
	size_t nk = 0;
	for (size_t i = 0; i < n && nk < MAX_KINDS; i++) {
		const char *p = rows[i].audits;
		while (*p && nk < MAX_KINDS) {
			const char *sp = strchr(p, ' ');
			size_t l = sp ? (size_t)(sp - p) : strlen(p);
			if (l && l < sizeof(kinds[0])) {
				char w[48];
				memcpy(w, p, l);
				w[l] = '\0';
				bool seen = false;
				for (size_t k = 0; k < nk && !seen; k++)
					seen = strcmp(kinds[k], w) == 0;
				if (!seen) {
					memcpy(kinds[nk], w, l + 1);
					sorted[nk] = kinds[nk];
					nk++;
				}
			}
			p += l;
			if (*p == ' ')
				p++;
		}
	}
	qsort(sorted, nk, sizeof(sorted[0]), str_cmp);
	for (size_t k = 0; k < nk; k++)
		option(out, sorted[k], current);
}

void view_index_page(struct ct_buf *out, struct view_summary *rows, size_t n, uint64_t cut, const struct view_filter *f)
{
	qsort(rows, n, sizeof(*rows), row_cmp);
	size_t shown = 0;
	for (size_t i = 0; i < n; i++)
		shown += view_filter_match(f, &rows[i]);

	view_page_begin(out, "ctitap: calls", "", true);
	ct_buf_puts(out, "<h1>Calls</h1>\n<form class=\"filter\" method=\"get\" action=\"index.html\">\n");
	input(out, "number", "number", f->number, "part of a number");
	input(out, "agent", "agent", f->agent, "device or agent id");
	select_open(out, "disp", "disposition");
	static const char *const disps[] = { "answered", "abandoned", "no_answer", "busy", "failed" };
	for (size_t i = 0; i < CT_ARRAY_SIZE(disps); i++)
		option(out, disps[i], f->disp);
	ct_buf_puts(out, "</select></label>\n");
	select_open(out, "audit", "audit");
	audit_options(out, rows, n, f->audit);
	ct_buf_puts(out, "</select></label>\n");
	input(out, "from", "from", f->from, "2026-01-05T09:00");
	input(out, "to", "before", f->to, "2026-01-05T10:00");
	ct_buf_puts(out, "<button type=\"submit\">filter</button> <a href=\"index.html\">all calls</a>\n</form>\n");
	ct_buf_printf(out, "<p><span id=\"shown\">%zu</span> of %zu calls shown, newest first.", shown, n);
	if (cut)
		ct_buf_printf(out, " <span class=\"note\">%llu older calls are not listed (view.index_max); "
				   "their pages are in calls/.</span>",
			      (unsigned long long)cut);
	ct_buf_puts(out, "</p>\n<table id=\"calls\">\n<thead><tr><th>start (UTC)</th><th>direction</th><th>caller</th>"
			 "<th>called</th><th>agents</th><th>disposition</th><th>ring</th><th>talk</th><th>hold</th>"
			 "<th>audits</th><th>recorded</th></tr></thead>\n<tbody>\n");
	for (size_t i = 0; i < n; i++) {
		const struct view_summary *r = &rows[i];
		if (!view_filter_match(f, r))
			continue;
		/* what the page's script filters on, as view_filter_match() does */
		char num[sizeof(r->calling) + sizeof(r->called)];
		snprintf(num, sizeof(num), "%s %s", r->calling, r->called);
		ct_buf_puts(out, "<tr");
		data_attr(out, "start", r->start);
		data_attr(out, "num", num);
		data_attr(out, "agents", r->agents_key);
		data_attr(out, "disp", r->disposition);
		data_attr(out, "audit", r->audits);
		ct_buf_puts(out, ">\n<td class=\"t\"><a href=\"calls/");
		ct_buf_puts(out, r->id); /* the shape was checked: [a-z]+-[0-9a-f]{16} */
		ct_buf_puts(out, ".html\">");
		ct_time_t t;
		if (view_parse_time(r->start, &t)) {
			/* "2026-01-05 09:00:03.312" */
			ct_buf_html(out, r->start, 10);
			ct_buf_puts(out, " ");
			ct_buf_html(out, r->start + 11, 12);
		} else if (r->start[0]) {
			ct_buf_htmls(out, r->start);
		} else {
			ct_buf_puts(out, r->id);
		}
		ct_buf_puts(out, "</a></td><td>");
		ct_buf_htmls(out, r->direction[0] ? r->direction : "\xE2\x80\x94");
		ct_buf_puts(out, "</td><td class=\"mono\">");
		ct_buf_htmls(out, r->calling);
		ct_buf_puts(out, "</td><td class=\"mono\">");
		ct_buf_htmls(out, r->called);
		ct_buf_puts(out, "</td><td>");
		/* agents: each device (and its agent id) a filter link */
		for (unsigned k = 0; k < r->nparties; k++) {
			if (k)
				ct_buf_puts(out, ", ");
			filter_link(out, "agent", r->party[k].device, NULL);
			if (r->party[k].agent[0]) {
				ct_buf_puts(out, " (");
				filter_link(out, "agent", r->party[k].agent, NULL);
				ct_buf_puts(out, ")");
			}
		}
		if (r->parties_more)
			ct_buf_printf(out, " and %u more", r->parties_more);
		ct_buf_puts(out, "</td><td>");
		if (r->disposition[0]) {
			char cls[32] = "d-";
			view_copy(cls + 2, sizeof(cls) - 2, r->disposition);
			for (char *c = cls; *c; c++) /* a class name of the known dispositions only */
				if (!((*c >= 'a' && *c <= 'z') || *c == '_' || *c == '-'))
					*c = '_';
			filter_link(out, "disp", r->disposition, cls);
		} else {
			ct_buf_puts(out, r->complete ? "\xE2\x80\x94" : "<i>in progress</i>");
		}
		ct_buf_puts(out, "</td><td class=\"n\">");
		put_ms(out, r->ring_ms);
		ct_buf_puts(out, "</td><td class=\"n\">");
		put_ms(out, r->talk_ms);
		ct_buf_puts(out, "</td><td class=\"n\">");
		put_ms(out, r->hold_ms);
		ct_buf_puts(out, "</td><td>");
		word_links(out, r->audits, "audit", "audit");
		ct_buf_puts(out, "</td><td>");
		ct_buf_puts(out, r->recorded ? "recorded" : "no");
		ct_buf_puts(out, "</td></tr>\n");
	}
	ct_buf_puts(out, "</tbody>\n</table>\n");
	view_page_end(out, true);
}
