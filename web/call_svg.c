/* call_svg.c - a call's ladder diagram in inline SVG: lanes, spans on the time axis, RTP bands,
 * marks, and one arrow per SIP and CSTA message with its ids as hover text (<title>). Every text
 * from a record is escaped; the only styles are the page's classes. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "call_int.h"

static int lane_of_host(const struct cview_model *m, int h)
{
	if (h >= 0 && m->hosts[h].lane >= 0)
		return m->hosts[h].lane;
	return (int)m->nlanes - 1; /* the other hosts' lane */
}

static int lane_x(const struct cview_model *m, int lane)
{
	return m->lanes_x0 + lane * LANE_W;
}

static void svg_title(struct ct_buf *out, const char *raw)
{
	ct_buf_puts(out, "<title>");
	ct_buf_htmls(out, raw);
	ct_buf_puts(out, "</title>");
}

static void draw_span(struct ct_buf *out, const struct cview_model *m, int col, const char *cls, ct_time_t a, ct_time_t b,
		      const char *title)
{
	int y0 = cview_y_of(m, a), y1 = cview_y_of(m, b);
	if (y1 < y0 + 3)
		y1 = y0 + 3;
	ct_buf_printf(out, "<rect class=\"span %s\" x=\"%d\" y=\"%d\" width=\"11\" height=\"%d\">", cls,
		      SPAN_X0 + col * SPAN_W, y0, y1 - y0);
	svg_title(out, title);
	ct_buf_puts(out, "</rect>\n");
}

static void span_title(struct ct_buf *tmp, const char *what, const char *who, ct_time_t a, ct_time_t b, ct_time_t t0)
{
	ct_buf_reset(tmp);
	ct_buf_puts(tmp, what);
	if (who && *who) {
		ct_buf_puts(tmp, " ");
		ct_buf_puts(tmp, who);
	}
	ct_buf_puts(tmp, ": ");
	cview_put_rel(tmp, a, t0);
	ct_buf_puts(tmp, " s to ");
	cview_put_rel(tmp, b, t0);
	ct_buf_printf(tmp, " s (%.3f s)", (double)(int64_t)(b - a) / 1e6);
}

static void draw_spans(struct ct_buf *out, const struct cview_model *m, struct ct_buf *tmp)
{
	static const char *const heads[] = { "ring", "talk", "hold" };
	for (int c = 0; c < 3; c++)
		ct_buf_printf(out, "<text class=\"sh\" transform=\"rotate(-90 %d %d)\" x=\"%d\" y=\"%d\">%s</text>\n",
			      SPAN_X0 + c * SPAN_W + 9, TOP - 4, SPAN_X0 + c * SPAN_W + 9, TOP - 4, heads[c]);
	for (unsigned c = 0; c < m->nrec_dev; c++) {
		int x = SPAN_X0 + (3 + (int)c) * SPAN_W + 9;
		ct_buf_printf(out, "<text class=\"sh\" transform=\"rotate(-90 %d %d)\" x=\"%d\" y=\"%d\">rec ", x, TOP - 4, x,
			      TOP - 4);
		ct_buf_html_cut(out, m->rec_dev[c], 8);
		ct_buf_puts(out, "</text>\n");
	}
	ct_time_t ring_end = m->has_answer ? m->answer : m->t1;
	span_title(tmp, "ringing", NULL, m->t0, ring_end, m->t0);
	draw_span(out, m, 0, "ring", m->t0, ring_end, tmp->p);
	if (m->has_answer) {
		span_title(tmp, "talk", NULL, m->answer, m->t1, m->t0);
		draw_span(out, m, 1, "talk", m->answer, m->t1, tmp->p);
	}
	for (unsigned i = 0; i < m->nholds; i++) {
		span_title(tmp, "hold", m->holds[i].who, m->holds[i].a, m->holds[i].b, m->t0);
		draw_span(out, m, 2, "hold", m->holds[i].a, m->holds[i].b, tmp->p);
	}
	for (unsigned i = 0; i < m->nrec_iv; i++) {
		span_title(tmp, "recording", m->recs_iv[i].who, m->recs_iv[i].a, m->recs_iv[i].b, m->t0);
		draw_span(out, m, 3 + m->recs_col[i], "rec", m->recs_iv[i].a, m->recs_iv[i].b, tmp->p);
	}
}

static void draw_lanes(struct ct_buf *out, const struct cview_model *m)
{
	char label[96];
	for (unsigned l = 0; l < m->nlanes; l++) {
		int x = lane_x(m, (int)l), h = m->lane_host[l];
		const struct cview_host *hs = h >= 0 ? &m->hosts[h] : NULL;
		if (hs)
			cview_host_label(hs, label, sizeof(label));
		else if (m->nhosts)
			snprintf(label, sizeof(label), "other hosts (%u)", m->other_lane_hosts);
		else
			snprintf(label, sizeof(label), "no message");
		ct_buf_printf(out, "<g class=\"lane\" data-role=\"%s\"><rect class=\"lh %s\" x=\"%d\" y=\"8\" width=\"164\" "
				   "height=\"44\" rx=\"5\"/>",
			      hs ? cview_role_class(hs->role) : "r-host", hs ? cview_role_class(hs->role) : "r-host", x - 82);
		ct_buf_printf(out, "<text class=\"ln\" x=\"%d\" y=\"26\" text-anchor=\"middle\">", x);
		ct_buf_html_cut(out, label, 24);
		ct_buf_printf(out, "</text><text class=\"lip\" x=\"%d\" y=\"43\" text-anchor=\"middle\">", x);
		ct_buf_html_cut(out, hs ? hs->ip : "", 28);
		ct_buf_printf(out, "</text><line class=\"ll\" x1=\"%d\" y1=\"52\" x2=\"%d\" y2=\"%d\"/></g>\n", x, x,
			      m->height - 6);
	}
}

static void arrow_head(struct ct_buf *out, int x, int y, bool right)
{
	int d = right ? -8 : 8;
	ct_buf_printf(out, "<polygon points=\"%d,%d %d,%d %d,%d\"/>", x, y, x + d, y - 4, x + d, y + 4);
}

static void draw_rows(struct ct_buf *out, const struct cview_model *m, struct ct_buf *tmp)
{
	int x_first = lane_x(m, 0) - 82, x_last = lane_x(m, (int)m->nlanes - 1) + 82;
	/* RTP bands under everything else */
	for (unsigned k = 0; k < m->nrows; k++) {
		const struct cview_row *rw = &m->rows[k];
		if (rw->kind != ROW_RTP)
			continue;
		const json_t *j = m->recs[rw->idx].j;
		char ip[64];
		cview_addr_host(ip, sizeof(ip), view_jstr(j, "src_ip"));
		int a = lane_x(m, lane_of_host(m, cview_host_find(m, ip)));
		cview_addr_host(ip, sizeof(ip), view_jstr(j, "dst_ip"));
		int b = lane_x(m, lane_of_host(m, cview_host_find(m, ip)));
		int lo = a < b ? a : b, hi = a < b ? b : a;
		lo = lo == hi ? lo - 10 : lo + 10;
		hi = lo + 20 > hi ? lo + 20 : hi - 10;
		int y1 = cview_y_of(m, cview_jtime(j, "last", rw->ts));
		if (y1 < rw->y + 4)
			y1 = rw->y + 4;
		double loss, mos;
		bool has_mos;
		const char *q = cview_stream_quality(j, &loss, &has_mos, &mos);
		ct_buf_printf(out, "<rect class=\"rtp %s\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\">", q, lo, rw->y,
			      hi - lo, y1 - rw->y);
		ct_buf_reset(tmp);
		cview_stream_label(tmp, j);
		svg_title(out, tmp->p);
		ct_buf_puts(out, "</rect>\n");
	}
	for (unsigned k = 0; k < m->nrows; k++) {
		const struct cview_row *rw = &m->rows[k];
		int y = rw->y;
		ct_buf_printf(out, "<text class=\"tm\" x=\"4\" y=\"%d\">", y + 3);
		cview_put_rel(out, rw->ts, m->t0);
		ct_buf_puts(out, "</text>\n");
		if (rw->kind == ROW_MARK) {
			const struct cview_mark *mk = &m->marks[rw->idx];
			ct_buf_printf(out, "<g class=\"mk mk-%s\"><line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>", mk->cls,
				      x_first, y, x_last, y);
			svg_title(out, mk->text);
			ct_buf_printf(out, "<text x=\"%d\" y=\"%d\">", x_first + 4, y - 4);
			ct_buf_html_cut(out, mk->text, (size_t)(x_last - x_first) / 7);
			ct_buf_puts(out, "</text></g>\n");
			continue;
		}
		const json_t *j = m->recs[rw->idx].j;
		char ip[64];
		int a, b;
		if (rw->kind == ROW_RTP) {
			cview_addr_host(ip, sizeof(ip), view_jstr(j, "src_ip"));
			a = lane_x(m, lane_of_host(m, cview_host_find(m, ip)));
			cview_addr_host(ip, sizeof(ip), view_jstr(j, "dst_ip"));
			b = lane_x(m, lane_of_host(m, cview_host_find(m, ip)));
			double loss, mos;
			bool has_mos;
			const char *q = cview_stream_quality(j, &loss, &has_mos, &mos);
			ct_buf_printf(out, "<g class=\"rtps %s\">", q);
			ct_buf_reset(tmp);
			cview_stream_label(tmp, j);
			int64_t sp = 0, dp = 0;
			view_jint(j, "src_port", &sp);
			view_jint(j, "dst_port", &dp);
			const char *si = view_jstr(j, "src_ip"), *di = view_jstr(j, "dst_ip"), *codec = view_jstr(j, "codec");
			ct_buf_printf(tmp, "\n%s:%lld \xE2\x86\x92 %s:%lld codec %s", si ? si : "?", (long long)sp, di ? di : "?",
				      (long long)dp, codec ? codec : "?");
			svg_title(out, tmp->p);
		} else {
			cview_addr_host(ip, sizeof(ip), view_jstr(j, "from_addr"));
			a = lane_x(m, lane_of_host(m, cview_host_find(m, ip)));
			cview_addr_host(ip, sizeof(ip), view_jstr(j, "to_addr"));
			b = lane_x(m, lane_of_host(m, cview_host_find(m, ip)));
			bool sip = cview_streq(view_jstr(j, "src"), "sip");
			ct_buf_printf(out, "<a href=\"#m%u\"><g class=\"msg %s\" id=\"a%u\">", rw->idx, sip ? "sip" : "csta",
				      rw->idx);
			ct_buf_reset(tmp);
			cview_put_hms(tmp, view_jstr(j, "ts"));
			ct_buf_puts(tmp, " (");
			cview_put_rel(tmp, rw->ts, m->t0);
			ct_buf_puts(tmp, " s)\n");
			ct_buf_puts(tmp, sip ? "SIP " : "CSTA ");
			cview_msg_label(tmp, m, j);
			ct_buf_puts(tmp, "\n");
			const char *fa = view_jstr(j, "from_addr"), *ta = view_jstr(j, "to_addr");
			ct_buf_puts(tmp, fa ? fa : "?");
			ct_buf_puts(tmp, " \xE2\x86\x92 ");
			ct_buf_puts(tmp, ta ? ta : "?");
			ct_buf_puts(tmp, "\n");
			cview_msg_ids(tmp, j, true);
			/* the text went through ct_buf_puts raw: it is escaped once, here */
			svg_title(out, tmp->p);
		}
		ct_buf_reset(tmp);
		if (rw->kind == ROW_RTP)
			cview_stream_label(tmp, j);
		else
			cview_msg_label(tmp, m, j);
		int lx;
		size_t room;
		if (a == b) {
			ct_buf_printf(out, "<path d=\"M%d %d h26 v9 h-24\"/>", a, y - 5);
			arrow_head(out, a + 2, y + 4, false);
			lx = a + 30;
			room = 24;
			ct_buf_printf(out, "<text class=\"lb\" x=\"%d\" y=\"%d\">", lx, y + 2);
		} else if (rw->kind == ROW_RTP) {
			/* a stream has its row to itself: its label may run on past its lanes */
			ct_buf_printf(out, "<line class=\"rtpl\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>", a, y, b, y);
			arrow_head(out, b, y, b > a);
			lx = (a < b ? a : b) + 12;
			room = (size_t)(m->width - lx) / 6;
			ct_buf_printf(out, "<text class=\"lb\" x=\"%d\" y=\"%d\">", lx, y - 4);
		} else {
			ct_buf_printf(out, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>", a, y, b, y);
			arrow_head(out, b, y, b > a);
			lx = (a + b) / 2;
			room = (size_t)((a < b ? b - a : a - b) / 6);
			if (room < 40) /* one arrow a row: a label may overhang its lanes a little */
				room = 40;
			ct_buf_printf(out, "<text class=\"lb\" x=\"%d\" y=\"%d\" text-anchor=\"middle\">", lx, y - 4);
		}
		ct_buf_html_cut(out, tmp->p ? tmp->p : "", room);
		ct_buf_puts(out, rw->kind == ROW_RTP ? "</text></g>\n" : "</text></g></a>\n");
	}
}

void cview_draw_svg(struct ct_buf *out, struct cview_model *m, struct ct_buf *tmp)
{
	int ncols = 3 + (int)m->nrec_dev;
	m->lanes_x0 = SPAN_X0 + ncols * SPAN_W + 96;
	m->width = lane_x(m, (int)m->nlanes - 1) + 100;
	if (m->width < 640)
		m->width = 640;
	m->height = (m->nrows ? m->rows[m->nrows - 1].y : TOP) + 26;
	ct_buf_printf(out, "<div class=\"ladder\"><svg xmlns=\"http://www.w3.org/2000/svg\" id=\"ladder\" width=\"%d\" "
			   "height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"ladder diagram\">\n",
		      m->width, m->height, m->width, m->height);
	draw_spans(out, m, tmp);
	draw_lanes(out, m);
	draw_rows(out, m, tmp);
	ct_buf_puts(out, "</svg></div>\n");
}
