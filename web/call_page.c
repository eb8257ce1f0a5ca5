/* call_page.c - one call's page: summary, correlation evidence, the ladder (call_svg.c), and the
 * tables of messages, RTP streams, parties, recording and audits. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "call_int.h"

static void put_ms(struct ct_buf *out, const json_t *o, const char *key)
{
	int64_t v;
	if (view_jint(o, key, &v) && v > INT64_MIN)
		ct_buf_printf(out, "%s%lld.%03lld s", v < 0 ? "-" : "", (long long)((v < 0 ? -v : v) / 1000),
			      (long long)((v < 0 ? -v : v) % 1000));
	else
		ct_buf_puts(out, "\xE2\x80\x94");
}

/* "key=value; ..." of the fields a reader wants beside the name; raw text. */
static void msg_details(struct ct_buf *b, const json_t *j)
{
	static const char *const sip_keys[] = { "cseq", "transport", "from", "to", "uri", "pai", "diversion",
						"history_info", "referred_by", "refer_to", "replaces", "reason_header",
						"ucid", "uui", "user_agent" };
	static const char *const csta_keys[] = { "kind", "encoding", "invoke_id", "xref", "monitored", "device",
						 "subject", "calling", "called", "other", "device2", "state",
						 "cause", "correlator", "user_data", "global_call_id", "agent_id",
						 "agent_state", "error", "latency_us" };
	bool sip = cview_streq(view_jstr(j, "src"), "sip");
	const char *const *keys = sip ? sip_keys : csta_keys;
	size_t nkeys = sip ? CT_ARRAY_SIZE(sip_keys) : CT_ARRAY_SIZE(csta_keys);
	bool first = true;
	for (size_t i = 0; i < nkeys; i++) {
		const json_t *v = json_object_get(j, keys[i]);
		if (!v || !(json_is_string(v) || json_is_integer(v)))
			continue;
		ct_buf_puts(b, first ? "" : "; ");
		first = false;
		ct_buf_puts(b, keys[i]);
		ct_buf_puts(b, "=");
		if (json_is_string(v))
			ct_buf_puts(b, json_string_value(v));
		else
			ct_buf_printf(b, "%lld", (long long)json_integer_value(v));
	}
	size_t i;
	const json_t *md;
	json_array_foreach(json_object_get(j, "media"), i, md) {
		int64_t port = 0;
		view_jint(md, "port", &port);
		const char *type = view_jstr(md, "type"), *ip = view_jstr(md, "ip"), *dir = view_jstr(md, "dir"),
			   *codec = view_jstr(md, "codec");
		ct_buf_puts(b, first ? "" : "; ");
		first = false;
		ct_buf_printf(b, "sdp=%s %s:%lld %s %s", type ? type : "?", ip ? ip : "?", (long long)port,
			      dir ? dir : "", codec ? codec : "");
		if (i == 7)
			break;
	}
}

static void td_text(struct ct_buf *out, const char *s, const char *cls)
{
	ct_buf_puts(out, cls ? "<td class=\"" : "<td>");
	if (cls) {
		ct_buf_puts(out, cls);
		ct_buf_puts(out, "\">");
	}
	ct_buf_htmls(out, s ? s : "");
	ct_buf_puts(out, "</td>");
}

static void td_host(struct ct_buf *out, const struct cview_model *m, const char *addr)
{
	char ip[64], label[96];
	cview_addr_host(ip, sizeof(ip), addr);
	int h = cview_host_find(m, ip);
	ct_buf_puts(out, "<td>");
	if (h >= 0) {
		cview_host_label(&m->hosts[h], label, sizeof(label));
		ct_buf_htmls(out, label);
		ct_buf_puts(out, "<br>");
	}
	ct_buf_puts(out, "<span class=\"mono\">");
	ct_buf_htmls(out, addr ? addr : "?");
	ct_buf_puts(out, "</span></td>");
}

static void table_messages(struct ct_buf *out, const struct cview_model *m, struct ct_buf *tmp)
{
	ct_buf_puts(out, "<h2 id=\"messages\">Messages</h2>\n<table id=\"msgs\"><thead><tr><th>#</th><th>time</th><th>+s</th>"
			 "<th>from</th><th>to</th><th>message</th><th>SIP Call-ID / CSTA call id</th><th>details</th>"
			 "</tr></thead>\n<tbody>\n");
	unsigned shown = 0;
	for (unsigned k = 0; k < m->nrows; k++) {
		const struct cview_row *rw = &m->rows[k];
		if (rw->kind != ROW_MSG)
			continue;
		const json_t *j = m->recs[rw->idx].j;
		bool sip = cview_streq(view_jstr(j, "src"), "sip");
		ct_buf_printf(out, "<tr id=\"m%u\" class=\"%s\"><td class=\"n\"><a href=\"#a%u\">%u</a></td><td class=\"t\">",
			      rw->idx, sip ? "sip" : "csta", rw->idx, ++shown);
		cview_put_hms(out, view_jstr(j, "ts"));
		ct_buf_puts(out, "</td><td class=\"n\">");
		cview_put_rel(out, rw->ts, m->t0);
		ct_buf_puts(out, "</td>");
		td_host(out, m, view_jstr(j, "from_addr"));
		td_host(out, m, view_jstr(j, "to_addr"));
		ct_buf_reset(tmp);
		ct_buf_puts(tmp, sip ? "SIP " : "CSTA ");
		cview_msg_label(tmp, m, j);
		td_text(out, tmp->p, NULL);
		ct_buf_reset(tmp);
		cview_msg_ids(tmp, j, false);
		td_text(out, tmp->p, "mono");
		ct_buf_reset(tmp);
		msg_details(tmp, j);
		td_text(out, tmp->p, "mono");
		ct_buf_puts(out, "</tr>\n");
	}
	ct_buf_puts(out, "</tbody></table>\n");
}

static void table_streams(struct ct_buf *out, const struct cview_model *m)
{
	if (!m->streams_total)
		return;
	ct_buf_puts(out, "<h2 id=\"rtp\">RTP streams</h2>\n<table id=\"streams\"><thead><tr><th>from</th><th>to</th>"
			 "<th>codec</th><th>SSRC</th><th>first</th><th>last</th><th>packets</th><th>lost</th>"
			 "<th>jitter mean / max</th><th>MOS</th></tr></thead>\n<tbody>\n");
	for (unsigned k = 0; k < m->nrows; k++) {
		if (m->rows[k].kind != ROW_RTP)
			continue;
		const json_t *j = m->recs[m->rows[k].idx].j;
		double loss, mos;
		bool has_mos;
		const char *q = cview_stream_quality(j, &loss, &has_mos, &mos);
		int64_t sp = 0, dp = 0, packets = 0, lost = 0, jm = 0, jx = 0;
		view_jint(j, "src_port", &sp);
		view_jint(j, "dst_port", &dp);
		view_jint(j, "packets", &packets);
		view_jint(j, "lost", &lost);
		view_jint(j, "jitter_mean_us", &jm);
		view_jint(j, "jitter_max_us", &jx);
		ct_buf_printf(out, "<tr class=\"%s\"><td class=\"mono\">", q);
		ct_buf_htmls(out, view_jstr(j, "src_ip"));
		ct_buf_printf(out, ":%lld</td><td class=\"mono\">", (long long)sp);
		ct_buf_htmls(out, view_jstr(j, "dst_ip"));
		ct_buf_printf(out, ":%lld</td>", (long long)dp);
		td_text(out, view_jstr(j, "codec"), NULL);
		td_text(out, view_jstr(j, "ssrc"), "mono");
		ct_buf_puts(out, "<td class=\"t\">");
		cview_put_hms(out, view_jstr(j, "first"));
		ct_buf_puts(out, "</td><td class=\"t\">");
		cview_put_hms(out, view_jstr(j, "last"));
		ct_buf_printf(out, "</td><td class=\"n\">%lld</td><td class=\"n\">%lld (%.1f%%)</td>"
				   "<td class=\"n\">%.3f / %.3f ms</td><td class=\"n\">",
			      (long long)packets, (long long)lost, loss, (double)jm / 1000.0, (double)jx / 1000.0);
		if (has_mos)
			ct_buf_printf(out, "%.2f", mos);
		else
			ct_buf_puts(out, "\xE2\x80\x94");
		ct_buf_puts(out, "</td></tr>\n");
	}
	ct_buf_puts(out, "</tbody></table>\n");
	if (m->streams_total > m->streams_drawn)
		ct_buf_printf(out, "<p class=\"note\">%u more RTP streams are not drawn (at most %d per call).</p>\n",
			      m->streams_total - m->streams_drawn, MAX_STREAMS);
}

static void put_time_cell(struct ct_buf *out, const json_t *o, const char *key)
{
	ct_buf_puts(out, "<td class=\"t\">");
	cview_put_hms(out, view_jstr(o, key));
	ct_buf_puts(out, "</td>");
}

static void table_parties(struct ct_buf *out, const struct cview_model *m)
{
	const json_t *parties = json_object_get(m->call, "parties");
	const json_t *transfers = json_object_get(m->call, "transfers"), *div = json_object_get(m->call, "diversions");
	const json_t *conf = json_object_get(m->call, "conference");
	if (!json_array_size(parties) && !json_array_size(transfers) && !json_array_size(div) && !json_is_object(conf))
		return;
	ct_buf_puts(out, "<h2 id=\"parties\">Parties</h2>\n");
	size_t i;
	const json_t *p;
	if (json_array_size(parties)) {
		ct_buf_puts(out, "<table id=\"party-table\"><thead><tr><th>device</th><th>agent</th><th>alerted</th>"
				 "<th>answered</th><th>released</th></tr></thead><tbody>\n");
		json_array_foreach(parties, i, p) {
			if (i == MAX_TABLE_ROWS)
				break;
			ct_buf_puts(out, "<tr>");
			td_text(out, view_jstr(p, "device"), "mono");
			td_text(out, view_jstr(p, "agent_id"), "mono");
			put_time_cell(out, p, "alerted");
			put_time_cell(out, p, "answered");
			put_time_cell(out, p, "released");
			ct_buf_puts(out, "</tr>\n");
		}
		ct_buf_puts(out, "</tbody></table>\n");
	}
	if (json_array_size(transfers) || json_array_size(div)) {
		ct_buf_puts(out, "<table id=\"transfers\"><thead><tr><th>at</th><th>what</th><th>from</th><th>to</th>"
				 "</tr></thead><tbody>\n");
		const json_t *lists[2] = { transfers, div };
		for (int l = 0; l < 2; l++) {
			json_array_foreach(lists[l], i, p) {
				if (i == MAX_TABLE_ROWS)
					break;
				ct_buf_puts(out, "<tr>");
				put_time_cell(out, p, "ts");
				ct_buf_puts(out, l ? "<td>diversion " : "<td>transfer ");
				ct_buf_htmls(out, view_jstr(p, "kind"));
				ct_buf_puts(out, "</td>");
				td_text(out, view_jstr(p, "from"), "mono");
				td_text(out, view_jstr(p, "to"), "mono");
				ct_buf_puts(out, "</tr>\n");
			}
		}
		ct_buf_puts(out, "</tbody></table>\n");
	}
	if (json_is_object(conf)) {
		ct_buf_puts(out, "<p>Conference of ");
		json_array_foreach(json_object_get(conf, "parties"), i, p) {
			if (i == MAX_TABLE_ROWS)
				break;
			ct_buf_puts(out, i ? ", <code>" : "<code>");
			ct_buf_htmls(out, json_string_value(p));
			ct_buf_puts(out, "</code>");
		}
		ct_buf_puts(out, ".</p>\n");
	}
}

/* A link to a file the recorder names relative to record.dir: files_base and the path, each
 * byte outside [A-Za-z0-9._~/-] percent-encoded. Absolute paths, "..", backslashes and control
 * characters are refused (the text is shown, not linked). */
static bool file_link(struct ct_buf *out, const char *base, const char *file)
{
	if (!file || !*file || file[0] == '/' || strstr(file, "..") || strchr(file, '\\') || strchr(file, ':'))
		return false;
	for (const unsigned char *u = (const unsigned char *)file; *u; u++)
		if (*u < 0x20 || *u == 0x7F)
			return false;
	ct_buf_puts(out, "<a href=\"");
	ct_buf_htmls(out, base);
	ct_buf_url_path(out, file);
	ct_buf_puts(out, "\">");
	ct_buf_htmls(out, file);
	ct_buf_puts(out, "</a>");
	return true;
}

static void file_cell(struct ct_buf *out, const struct cview_model *m, const char *file)
{
	ct_buf_puts(out, "<td class=\"mono\">");
	if (file && !file_link(out, m->cfg->files_base, file)) {
		ct_buf_htmls(out, file);
		ct_buf_puts(out, " (not linked: not a relative path)");
	}
	ct_buf_puts(out, "</td>");
}

static void table_recordings(struct ct_buf *out, const struct cview_model *m)
{
	bool any = m->nrec_iv > 0;
	for (unsigned r = 0; r < m->n && !any; r++)
		any = m->recs[r].r->type == CT_REC_RECORDING || view_jstr(m->recs[r].j, "pcap");
	if (!any)
		return;
	ct_buf_puts(out, "<h2 id=\"recording\">Recording</h2>\n");
	if (m->nrec_iv) {
		ct_buf_puts(out, "<table id=\"rec-intervals\"><thead><tr><th>device</th><th>from</th><th>to</th>"
				 "<th>seconds</th></tr></thead><tbody>\n");
		for (unsigned i = 0; i < m->nrec_iv; i++) {
			ct_buf_puts(out, "<tr>");
			td_text(out, m->recs_iv[i].who, "mono");
			ct_buf_puts(out, "<td class=\"n\">");
			cview_put_rel(out, m->recs_iv[i].a, m->t0);
			ct_buf_puts(out, "</td><td class=\"n\">");
			cview_put_rel(out, m->recs_iv[i].b, m->t0);
			ct_buf_printf(out, "</td><td class=\"n\">%.3f</td></tr>\n", (double)(m->recs_iv[i].b - m->recs_iv[i].a) / 1e6);
		}
		ct_buf_puts(out, "</tbody></table>\n");
	}
	ct_buf_puts(out, "<table id=\"rec-triggers\"><thead><tr><th>time</th><th>action</th><th>device</th>"
			 "<th>reason</th><th>file</th><th>SHA-256</th><th>pcap</th></tr></thead><tbody>\n");
	unsigned shown = 0;
	for (unsigned r = 0; r < m->n && shown < MAX_TABLE_ROWS; r++) {
		const json_t *j = m->recs[r].j;
		if (m->recs[r].r->type != CT_REC_RECORDING && !view_jstr(j, "pcap"))
			continue;
		shown++;
		ct_buf_puts(out, "<tr>");
		put_time_cell(out, j, "ts");
		/* the action, and what the file is when the record says (audio, payload or evidence pcap) */
		ct_buf_puts(out, "<td>");
		ct_buf_htmls(out, m->recs[r].r->type == CT_REC_RECORDING ? view_jstr(j, "action") : view_jstr(j, "type"));
		if (view_jstr(j, "kind")) {
			ct_buf_puts(out, " (");
			ct_buf_htmls(out, view_jstr(j, "kind"));
			ct_buf_puts(out, ")");
		}
		ct_buf_puts(out, "</td>");
		td_text(out, view_jstr(j, "device"), "mono");
		td_text(out, view_jstr(j, "reason"), NULL);
		file_cell(out, m, view_jstr(j, "file"));
		td_text(out, view_jstr(j, "sha256"), "mono");
		file_cell(out, m, view_jstr(j, "pcap"));
		ct_buf_puts(out, "</tr>\n");
	}
	ct_buf_puts(out, "</tbody></table>\n");
	if (m->rec_dev_cut)
		ct_buf_printf(out, "<p class=\"note\">Recording of more than %d devices: only %d have a column in the "
				   "diagram.</p>\n",
			      MAX_REC_DEVICES, MAX_REC_DEVICES);
}

static void table_audits(struct ct_buf *out, const struct cview_model *m)
{
	size_t i;
	const json_t *a;
	unsigned n = 0;
	for (unsigned r = 0; r < m->n; r++)
		n += m->recs[r].r->type == CT_REC_AUDIT;
	if (!n && !json_array_size(json_object_get(m->call, "audit")))
		return;
	ct_buf_puts(out, "<h2 id=\"audits\">Audits</h2>\n<table id=\"audit-table\"><thead><tr><th>time</th><th>kind</th>"
			 "<th>detail</th><th>link</th><th>count</th></tr></thead><tbody>\n");
	unsigned shown = 0;
	for (unsigned r = 0; r < m->n && shown < MAX_TABLE_ROWS; r++) {
		const json_t *j = m->recs[r].j;
		if (m->recs[r].r->type != CT_REC_AUDIT)
			continue;
		shown++;
		ct_buf_puts(out, "<tr class=\"audit\">");
		put_time_cell(out, j, "ts");
		td_text(out, view_jstr(j, "kind"), NULL);
		td_text(out, view_jstr(j, "detail"), NULL);
		td_text(out, view_jstr(j, "link"), "mono");
		int64_t c;
		if (view_jint(j, "count", &c))
			ct_buf_printf(out, "<td class=\"n\">%lld</td>", (long long)c);
		else
			ct_buf_puts(out, "<td></td>");
		ct_buf_puts(out, "</tr>\n");
	}
	/* the call record's own list, for findings with no audit record of their own here */
	json_array_foreach(json_object_get(m->call, "audit"), i, a) {
		if (shown == MAX_TABLE_ROWS || i == MAX_TABLE_ROWS)
			break;
		const char *kind = view_jstr(a, "kind"), *detail = view_jstr(a, "detail");
		bool seen = false;
		for (unsigned r = 0; r < m->n && !seen; r++)
			seen = m->recs[r].r->type == CT_REC_AUDIT && cview_streq(view_jstr(m->recs[r].j, "kind"), kind) &&
			       cview_streq(view_jstr(m->recs[r].j, "detail"), detail);
		if (seen)
			continue;
		shown++;
		ct_buf_puts(out, "<tr class=\"audit\"><td>(call record)</td>");
		td_text(out, kind, NULL);
		td_text(out, detail, NULL);
		ct_buf_puts(out, "<td></td><td></td></tr>\n");
	}
	ct_buf_puts(out, "</tbody></table>\n");
}

static void table_dialogs(struct ct_buf *out, const struct cview_model *m)
{
	unsigned n = 0;
	for (unsigned r = 0; r < m->n; r++) {
		const json_t *j = m->recs[r].j;
		if (!cview_streq(view_jstr(j, "src"), "sip") || !cview_streq(view_jstr(j, "name"), "dialog_end") || n == MAX_TABLE_ROWS)
			continue;
		if (!n++)
			ct_buf_puts(out, "<h2 id=\"dialogs\">SIP dialogs</h2>\n<table id=\"dialog-table\"><thead><tr>"
					 "<th>Call-ID</th><th>disposition</th><th>status</th><th>start</th><th>answer</th>"
					 "<th>end</th><th>messages</th><th>retransmissions</th><th>ended by</th></tr></thead><tbody>\n");
		int64_t v;
		ct_buf_puts(out, "<tr>");
		td_text(out, view_jstr(j, "call_id"), "mono");
		td_text(out, view_jstr(j, "disposition"), NULL);
		if (view_jint(j, "status", &v))
			ct_buf_printf(out, "<td class=\"n\">%lld</td>", (long long)v);
		else
			ct_buf_puts(out, "<td></td>");
		put_time_cell(out, j, "start");
		put_time_cell(out, j, "answer");
		put_time_cell(out, j, "end");
		if (view_jint(j, "messages", &v))
			ct_buf_printf(out, "<td class=\"n\">%lld</td>", (long long)v);
		else
			ct_buf_puts(out, "<td></td>");
		if (view_jint(j, "retransmissions", &v))
			ct_buf_printf(out, "<td class=\"n\">%lld</td>", (long long)v);
		else
			ct_buf_puts(out, "<td></td>");
		td_text(out, view_jstr(j, "reason"), NULL);
		ct_buf_puts(out, "</tr>\n");
	}
	if (n)
		ct_buf_puts(out, "</tbody></table>\n");
}

static const char *method_meaning(const char *method)
{
	static const struct {
		const char *name, *text;
	} t[] = {
		{ "shared_id", "an id both sides carry (UCID in SIP User-to-User and CSTA correlatorData, a "
			       "globalCallLinkageID, a SIP Replaces)" },
		{ "device_time", "the same device in SIP and in CSTA within the time window" },
		{ "number_time", "the same numbers in SIP and in CSTA within the time window" },
		{ "sip_only", "SIP only: no CSTA call was found for it" },
		{ "csta_only", "CSTA only: no SIP dialog was found for it" },
	};
	for (size_t i = 0; i < CT_ARRAY_SIZE(t); i++)
		if (cview_streq(method, t[i].name))
			return t[i].text;
	return NULL;
}

static void dd(struct ct_buf *out, const char *term, const char *text)
{
	ct_buf_puts(out, "<dt>");
	ct_buf_puts(out, term);
	ct_buf_puts(out, "</dt><dd>");
	ct_buf_htmls(out, text ? text : "\xE2\x80\x94");
	ct_buf_puts(out, "</dd>");
}

static void summary(struct ct_buf *out, const struct cview_model *m)
{
	const json_t *c = m->call;
	ct_buf_puts(out, "<dl class=\"sum\" id=\"summary\">");
	ct_buf_puts(out, "<dt>start</dt><dd>");
	ct_buf_htmls(out, c ? view_jstr(c, "start") : NULL);
	ct_buf_puts(out, "</dd>");
	dd(out, "answer", view_jstr(c, "answer"));
	dd(out, "end", view_jstr(c, "end"));
	dd(out, "direction", view_jstr(c, "direction"));
	dd(out, "calling", view_jstr(c, "calling"));
	dd(out, "called", view_jstr(c, "called"));
	ct_buf_puts(out, "<dt>disposition</dt><dd>");
	ct_buf_htmls(out, view_jstr(c, "disposition") ? view_jstr(c, "disposition") : (c ? "\xE2\x80\x94" : "no call record"));
	ct_buf_puts(out, "</dd><dt>ring</dt><dd>");
	put_ms(out, c, "ring_ms");
	ct_buf_puts(out, "</dd><dt>talk</dt><dd>");
	put_ms(out, c, "talk_ms");
	ct_buf_puts(out, "</dd><dt>hold</dt><dd>");
	put_ms(out, c, "hold_ms");
	int64_t holds;
	if (view_jint(c, "holds", &holds))
		ct_buf_printf(out, " (%lld hold%s)", (long long)holds, holds == 1 ? "" : "s");
	ct_buf_puts(out, "</dd><dt>queue</dt><dd>");
	put_ms(out, c, "queue_ms");
	ct_buf_puts(out, "</dd><dt>route</dt><dd>");
	put_ms(out, c, "route_ms");
	ct_buf_puts(out, "</dd><dt>CTI lag</dt><dd>");
	put_ms(out, c, "cti_lag_ms");
	ct_buf_puts(out, "</dd>");
	dd(out, "released by", view_jstr(c, "released_by"));
	dd(out, "cause", view_jstr(c, "cause"));
	dd(out, "sensor", view_jstr(c, "sensor"));
	ct_buf_puts(out, "</dl>\n");
}

/* One row per id of a list of ids (SIP Call-IDs, merged call ids); what and where are trusted text. */
static void id_rows(struct ct_buf *out, const json_t *ids, const char *what, const char *where)
{
	size_t i;
	const json_t *x;
	json_array_foreach(ids, i, x) {
		if (i == MAX_TABLE_ROWS)
			break;
		ct_buf_printf(out, "<tr><td>%s</td>", what);
		td_text(out, json_string_value(x), "mono");
		ct_buf_printf(out, "<td>%s</td></tr>\n", where);
	}
}

static void correlation(struct ct_buf *out, const struct cview_model *m)
{
	const json_t *corr = json_object_get(m->call, "correlation");
	ct_buf_puts(out, "<h2 id=\"correlation\">Correlation</h2>\n");
	if (!json_is_object(corr)) {
		ct_buf_puts(out, "<p>No call record: the correlation is not known (the call is in progress, or its record is "
				 "in a file not read).</p>\n");
	} else {
		const char *method = view_jstr(corr, "method"), *meaning = method_meaning(method);
		ct_buf_puts(out, "<p>Joined by <b>");
		ct_buf_htmls(out, method ? method : "?");
		ct_buf_puts(out, "</b>");
		if (meaning) {
			ct_buf_puts(out, ": ");
			ct_buf_puts(out, meaning);
		}
		ct_buf_puts(out, ".</p>\n<p class=\"evidence\" id=\"evidence\">");
		ct_buf_htmls(out, view_jstr(corr, "evidence") ? view_jstr(corr, "evidence") : "(no evidence given)");
		if (json_is_true(json_object_get(corr, "evidence_truncated")))
			ct_buf_puts(out, " <i>(cut by ctitap at its length cap)</i>");
		ct_buf_puts(out, "</p>\n");
	}
	size_t i;
	const json_t *x;
	const json_t *csta = json_object_get(m->call, "csta"), *sip = json_object_get(m->call, "sip"),
		     *merged = json_object_get(m->call, "merged");
	if (!json_array_size(csta) && !json_array_size(sip) && !json_array_size(merged))
		return;
	ct_buf_puts(out, "<table id=\"legs\"><thead><tr><th>leg</th><th>id</th><th>where</th></tr></thead><tbody>\n");
	json_array_foreach(csta, i, x) {
		if (i == MAX_TABLE_ROWS)
			break;
		ct_buf_puts(out, "<tr><td>CSTA call</td>");
		td_text(out, view_jstr(x, "call_id"), "mono");
		td_text(out, view_jstr(x, "link"), "mono");
		ct_buf_puts(out, "</tr>\n");
	}
	id_rows(out, sip, "SIP dialog", "");
	id_rows(out, merged, "merged call", "its records are drawn here");
	ct_buf_puts(out, "</tbody></table>\n");
}

static void legend(struct ct_buf *out, const struct cview_model *m)
{
	if (m->nlinks > 1) {
		ct_buf_puts(out, "<p class=\"legend\" id=\"links\">CTI links:");
		for (unsigned i = 0; i < m->nlinks; i++) {
			ct_buf_printf(out, " <span><b>L%u</b> <code>", i + 1);
			ct_buf_htmls(out, m->links[i]);
			ct_buf_puts(out, "</code>");
			if (m->link_enc[i]) {
				ct_buf_puts(out, " (");
				ct_buf_htmls(out, m->link_enc[i]);
				ct_buf_puts(out, ")");
			}
			ct_buf_puts(out, "</span>");
		}
		ct_buf_puts(out, "</p>\n");
	}
	ct_buf_puts(out, "<p class=\"legend\"><span><i class=\"sw sip\"></i>SIP</span><span><i class=\"sw csta\"></i>CSTA</span>"
			 "<span><i class=\"sw rtp\"></i>RTP stream (green, amber, red by loss, jitter and MOS)</span>"
			 "<span><i class=\"sw ring\"></i>ringing</span><span><i class=\"sw talk\"></i>talk</span>"
			 "<span><i class=\"sw hold\"></i>hold</span><span><i class=\"sw rec\"></i>recording</span>"
			 "<span>rows in time order, not to scale; hover an arrow for its ids, click it for its row</span></p>\n");
}

static void notes(struct ct_buf *out, const struct cview_model *m)
{
	if (!m->call)
		ct_buf_puts(out, "<p class=\"note\">No call record yet: the call is in progress, or its record was not "
				 "among the files read. What its events say is drawn.</p>\n");
	if (m->msgs_total > m->msgs_drawn)
		ct_buf_printf(out, "<p class=\"note\" id=\"cut-messages\">%u of %u messages are drawn (view.max_messages); "
				   "the %u later ones are not.</p>\n",
			      m->msgs_drawn, m->msgs_total, m->msgs_total - m->msgs_drawn);
	if (m->other_lane_hosts)
		ct_buf_printf(out, "<p class=\"note\" id=\"cut-lanes\">%u hosts share the last lane (at most %d lanes).</p>\n",
			      m->other_lane_hosts, MAX_LANES);
	if (m->hosts_full)
		ct_buf_printf(out, "<p class=\"note\">More than %d hosts: the others are in the last lane.</p>\n", MAX_HOSTS);
	if (m->marks_cut)
		ct_buf_printf(out, "<p class=\"note\">%u more marks (transfers, audits) are not drawn.</p>\n", m->marks_cut);
	if (m->e->dropped)
		ct_buf_printf(out, "<p class=\"note\" id=\"cut-records\">%u records of this call were not kept by the view "
				   "(its share of http.view_mb, or %d records).</p>\n",
			      m->e->dropped, VIEW_CALL_RECORDS);
}

int view_call_page(struct ct_buf *out, const struct ct_view_cfg *cfg, const struct ventry *e)
{
	struct cview_model *m = calloc(1, sizeof(*m));
	struct ct_buf tmp;
	ct_buf_init(&tmp);
	tmp.max = 1u << 20;
	if (!m)
		return CT_ENOMEM;
	int rc = cview_model_build(m, cfg, e, &tmp);
	if (rc == CT_OK) {
		view_page_begin(out, "ctitap call ", e->id, false);
		ct_buf_puts(out, "<nav><a href=\"../index.html\">\xE2\x86\x90 all calls</a></nav>\n<h1>Call <code>");
		ct_buf_htmls(out, e->id);
		ct_buf_puts(out, "</code>");
		const char *calling = view_jstr(m->call, "calling"), *called = view_jstr(m->call, "called");
		if (calling || called) {
			ct_buf_puts(out, " ");
			ct_buf_htmls(out, calling ? calling : "?");
			ct_buf_puts(out, " \xE2\x86\x92 ");
			ct_buf_htmls(out, called ? called : "?");
		}
		ct_buf_puts(out, "</h1>\n");
		summary(out, m);
		correlation(out, m);
		ct_buf_puts(out, "<h2 id=\"diagram\">Ladder</h2>\n");
		notes(out, m);
		legend(out, m);
		cview_draw_svg(out, m, &tmp);
		table_messages(out, m, &tmp);
		table_streams(out, m);
		table_parties(out, m);
		table_recordings(out, m);
		table_audits(out, m);
		table_dialogs(out, m);
		view_page_end(out, false);
		if (tmp.err == CT_ENOMEM)
			rc = CT_ENOMEM;
	}
	cview_model_free(m);
	free(m);
	ct_buf_free(&tmp);
	return rc != CT_OK ? rc : out->err ? out->err : CT_OK;
}
