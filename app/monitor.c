/* monitor.c - /metrics and /healthz (monitor.h). */
#include "monitor.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../correlator/calls.h"
#include "../correlator/cstalink.h"
#include "../correlator/sipcall.h"
#include "recctl.h"

#ifndef CTITAP_VERSION
#define CTITAP_VERSION "0.0.0"
#endif

/* A label value in the exposition format: \, " and newline escaped. */
static void label(struct ct_buf *r, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			ct_buf_printf(r, "\\%c", *v);
		else if (*v == '\n')
			ct_buf_printf(r, "\\n");
		else
			ct_buf_printf(r, "%c", *v);
	}
}

static void family(struct ct_buf *r, const char *name, const char *type, const char *help)
{
	ct_buf_printf(r, "# HELP ctitap_%s %s\n# TYPE ctitap_%s %s\n", name, help, name, type);
}

static void gauge(struct ct_buf *r, const char *name, const char *help, uint64_t v)
{
	family(r, name, "gauge", help);
	ct_buf_printf(r, "ctitap_%s %" PRIu64 "\n", name, v);
}

/* Now on the clock the CTI links' times are on: the wall clock for a live capture (packet
 * times are the kernel's wall clock; traffic may stop), the newest packet for a file. */
static ct_time_t clock_now(const struct ct_monitor *m)
{
	if (m->src && m->src->live) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		return (ct_time_t)ts.tv_sec * CT_USEC_PER_SEC + (ct_time_t)ts.tv_nsec / 1000u;
	}
	return m->pipe ? m->pipe->cap.now : 0;
}

struct links_out {
	struct ct_buf *r;
	const struct ct_monitor *m;
	int pass;      /* metrics: 0 up, 1 monitors, 2 age; healthz: 3 */
	unsigned n, down;
	ct_time_t now;
};

static void link_line(void *user, const struct ct_cstalink_info *i)
{
	struct links_out *o = user;
	struct ct_buf *r = o->r;
	o->n++;
	if (o->pass == 3) {
		if (i->up)
			return;
		o->down++;
		char t[32];
		ct_time_format(i->down_since, t);
		ct_buf_printf(r, "CTI link %s is down since %s (%s)\n", i->name, t, i->down_why);
		return;
	}
	static const char *const names[] = { "cti_link_up", "cti_link_monitors", "cti_link_last_message_age_seconds" };
	ct_buf_printf(r, "ctitap_%s{link=\"", names[o->pass]);
	label(r, i->name);
	ct_buf_printf(r, "\",transport=\"%s\"} ", i->uacsta ? "uacsta" : "tcp");
	if (o->pass == 0) {
		ct_buf_printf(r, "%d\n", i->up ? 1 : 0);
	} else if (o->pass == 1) {
		ct_buf_printf(r, "%u\n", i->monitors);
	} else {
		ct_time_t age = o->now > i->last_ts ? o->now - i->last_ts : 0;
		ct_buf_printf(r, "%" PRIu64 ".%03" PRIu64 "\n", (uint64_t)(age / CT_USEC_PER_SEC), (uint64_t)(age % CT_USEC_PER_SEC / 1000u));
	}
}

/* The recorder's (record.dir): its counters as ctitap_recorder_<name>_total, open recordings
 * and files being finished. */
static void recorder_metrics(struct ct_buf *r, struct ct_recwire *w)
{
	static const char *const help[] = {
#define REC_HELP(name, desc) desc,
		CT_RECORDER_COUNTERS(REC_HELP)
#undef REC_HELP
	};
	struct ct_stats_group g;
	ct_recwire_stats(w, &g);
	for (unsigned i = 0; i < g.n && i < CT_ARRAY_SIZE(help); i++)
		ct_buf_printf(r,
			      "# HELP ctitap_recorder_%s_total %s\n# TYPE ctitap_recorder_%s_total counter\n"
			      "ctitap_recorder_%s_total %" PRIu64 "\n",
			      g.keys[i], help[i], g.keys[i], g.keys[i], g.values[i]);
	gauge(r, "recorder_active", "recordings open now (record.dir)", ct_recwire_active(w));
	gauge(r, "recorder_finishing", "recordings' files being finished (hashed, renamed)", ct_recwire_finishing(w));
}

static void route_metrics(void *user, const struct ct_http_req *req, struct ct_http_resp *resp)
{
	(void)req;
	const struct ct_monitor *m = user;
	struct ct_buf *r = &resp->body;
	resp->content_type = "text/plain; version=0.0.4; charset=utf-8";

	/* the kernel's drops of the capture running now are not in the counters yet (they are
	 * added when it closes) */
	struct ct_counters c = *m->ctr;
	if (m->src)
		ct_source_drops(m->src, &c);
	for (size_t i = 0; i < ct_counter_count; i++) {
		const struct ct_counter_desc *d = &ct_counter_table[i];
		ct_buf_printf(r, "# HELP ctitap_%s_total %s\n# TYPE ctitap_%s_total counter\nctitap_%s_total %" PRIu64 "\n",
			      d->name, d->desc, d->name, d->name, ct_counter_get(&c, d));
	}

	family(r, "info", "gauge", "ctitap's version and sensor name");
	ct_buf_printf(r, "ctitap_info{version=\"%s\",sensor=\"", CTITAP_VERSION);
	label(r, m->sensor);
	ct_buf_printf(r, "\"} 1\n");
	gauge(r, "start_time_seconds", "when ctitap started, seconds since the epoch", m->start_time);
	gauge(r, "capture_running", "1 while a capture (interface or file) is being read", m->src != NULL);
	gauge(r, "capture_live", "1 while the capture is a live interface", m->src && m->src->live);
	if (m->pipe) {
		gauge(r, "calls_open", "customer calls open now", ct_calls_open(m->pipe->calls_joined));
		gauge(r, "sip_calls_open", "SIP calls tracked now", ct_sipcalls_open(m->pipe->calls));
		struct links_out o = { r, m, 0, 0, 0, clock_now(m) };
		static const char *const help[][2] = {
			{ "cti_link_up", "1 while the CSTA link is up (not released, aborted or closed)" },
			{ "cti_link_monitors", "monitors started on the CSTA link and not ended" },
			{ "cti_link_last_message_age_seconds",
			  "seconds since the CSTA link's last message (wall clock live, packet time from a file)" },
		};
		for (o.pass = 0; o.pass < 3; o.pass++) {
			family(r, help[o.pass][0], "gauge", help[o.pass][1]);
			ct_cstalinks_each(m->pipe->links, link_line, &o);
		}
		gauge(r, "cti_links", "CSTA links tracked now", o.n / 3);
		if (m->pipe->recw && m->pipe->cfg->record_dir[0])
			recorder_metrics(r, m->pipe->recw);
	}

	/* Kafka outputs: each family once, a sample per output (the format wants a family's
	 * samples together) */
	struct ct_sink_status st[CT_MAX_SINKS];
	const char *spec[CT_MAX_SINKS];
	unsigned nk = 0;
	for (unsigned i = 0; i < m->out->n && nk < CT_MAX_SINKS; i++) {
		const struct ct_sink *s = &m->out->sink[i];
		memset(&st[nk], 0, sizeof(st[nk]));
		if (s->ops->status)
			s->ops->status(s->st, &st[nk]);
		if (st[nk].kafka)
			spec[nk++] = s->spec;
	}
	static const char *const kf[][2] = {
		{ "kafka_connected", "1 while librdkafka holds a connection to at least one broker" },
		{ "kafka_brokers_up", "brokers librdkafka holds a connection to (from its statistics, every 5 s)" },
		{ "kafka_queued_messages", "messages in librdkafka's queues, in flight included" },
		{ "kafka_spool_bytes", "size of the Kafka spool journal on disk" },
		{ "kafka_spool_pending_records", "records in the spool journal not yet acknowledged by the broker" },
	};
	for (size_t k = 0; nk && k < CT_ARRAY_SIZE(kf); k++) {
		family(r, kf[k][0], "gauge", kf[k][1]);
		for (unsigned i = 0; i < nk; i++) {
			uint64_t v[] = { st[i].brokers_up > 0, st[i].brokers_up, st[i].queued, st[i].spool_bytes,
					 st[i].spool_pending };
			ct_buf_printf(r, "ctitap_%s{output=\"", kf[k][0]);
			label(r, spec[i]);
			ct_buf_printf(r, "\"} %" PRIu64 "\n", v[k]);
		}
	}

	family(r, "settings_reloads_total", "counter", "SIGHUP rereads of record.* and numbers.* applied");
	ct_buf_printf(r, "ctitap_settings_reloads_total %" PRIu64 "\n", m->reloads);
	family(r, "settings_reload_failures_total", "counter",
	       "SIGHUP rereads refused (file unreadable or wrong; the settings in force stay)");
	ct_buf_printf(r, "ctitap_settings_reload_failures_total %" PRIu64 "\n", m->reload_failures);
	family(r, "record_requests_total", "counter",
	       "recording pauses and resumes asked on /record/ (PCI DSS), by outcome (refused: not authenticated, "
	       "no recording, nothing to change)");
	ct_buf_printf(r, "ctitap_record_requests_total{outcome=\"accepted\"} %" PRIu64 "\n", m->rec_requests[0]);
	ct_buf_printf(r, "ctitap_record_requests_total{outcome=\"refused\"} %" PRIu64 "\n", m->rec_requests[1]);
	if (m->http) {
		static const char *const codes[] = { "2xx", "401", "404", "405", "5xx", "other" };
		const uint64_t *a = ct_http_answered(m->http);
		family(r, "http_responses_total", "counter", "HTTP requests answered, by status");
		for (int i = 0; i < CT_HTTP_NCODES; i++)
			ct_buf_printf(r, "ctitap_http_responses_total{code=\"%s\"} %" PRIu64 "\n", codes[i], a[i]);
	}
}

static void route_healthz(void *user, const struct ct_http_req *req, struct ct_http_resp *resp)
{
	(void)req;
	const struct ct_monitor *m = user;
	struct ct_buf reasons, *r = &resp->body;
	ct_buf_init(&reasons);
	bool ok = m->src != NULL;
	if (!ok)
		ct_buf_puts(&reasons, "capture is not running\n");
	struct links_out o = { &reasons, m, 3, 0, 0, 0 };
	if (m->pipe)
		ct_cstalinks_each(m->pipe->links, link_line, &o);
	ok = ok && o.down == 0 && !reasons.err;
	resp->status = ok ? 200 : 503;
	ct_buf_printf(r, "%s\n", ok ? "ok" : "unhealthy");
	if (reasons.len)
		ct_buf_put(r, reasons.p, reasons.len);
	if (m->src)
		ct_buf_printf(r, "capture: %s %s\n", m->src->live ? "live on" : "reading", m->src->name);
	ct_buf_printf(r, "CTI links: %u, %u down\n", o.n, o.down);
	ct_buf_free(&reasons);
}

/* /view/...: the page at the path after the prefix, its query as the client sent it. */
static void route_view(void *user, const struct ct_http_req *req, struct ct_http_resp *r)
{
	struct ct_monitor *m = user;
	if (!m->view) {
		r->status = 404;
		ct_buf_puts(&r->body, "the call view is off (no HTTP endpoint store)\n");
		return;
	}
	struct ct_buf *path = &m->path;
	ct_buf_reset(path);
	ct_buf_puts(path, req->path + strlen("/view/"));
	if (req->query[0]) {
		ct_buf_puts(path, "?");
		ct_buf_puts(path, req->query);
	}
	int status = path->err ? 500 : ct_view_render(m->view, path->len ? path->p : "", &r->body, &r->content_type);
	if (status == 500 && !r->body.err)
		r->body.err = CT_ENOMEM;
	r->status = (unsigned)status;
	r->csp = ct_view_csp();
}

/* /view/files/<path>: a recording or pcap the call pages link (view.files_base's default,
 * ../files/, from /view/calls/), read from record.dir (also while a capture file's endpoint
 * lingers, the recorder closed). Only to an authenticated client: the audio of calls is what
 * the endpoint's other pages are not. */
static void route_view_files(void *user, const struct ct_http_req *req, struct ct_http_resp *r)
{
	const struct ct_monitor *m = user;
	const char *path = req->path + strlen("/view/files/");
	if (!req->authenticated) {
		r->status = 403;
		ct_buf_puts(&r->body, "recordings are served only with http.user set (basic authentication)\n");
		return;
	}
	uint64_t size = 0;
	int fd = m->record_dir && m->record_dir[0] ? ct_recorder_file_open(m->record_dir, path, &size) : CT_ENOENT;
	if (fd < 0) {
		r->status = ct_err_kind(fd) == CT_ENOENT ? 404 : 500;
		ct_buf_printf(&r->body, "%s\n", r->status == 404 ? "no such recording" : ct_strerror(fd));
		return;
	}
	size_t n = strlen(path);
	r->content_type = n > 4 && !strcmp(path + n - 4, ".wav")    ? "audio/wav"
			  : n > 5 && !strcmp(path + n - 5, ".pcap") ? "application/vnd.tcpdump.pcap"
								    : "application/octet-stream";
	r->fd = fd;
	r->fd_size = size;
}

/* /view without its slash: the pages link relatively, so they must be under /view/. */
static void route_view_root(void *user, const struct ct_http_req *req, struct ct_http_resp *r)
{
	(void)user;
	(void)req;
	r->status = 301;
	r->location = "/view/";
	ct_buf_puts(&r->body, "the call view is at /view/\n");
}

void ct_monitor_free(struct ct_monitor *m)
{
	ct_buf_free(&m->path);
}

const struct ct_http_route ct_monitor_routes[] = {
	{ "/metrics", route_metrics, false, false },
	{ "/healthz", route_healthz, false, false },
	{ "/view", route_view_root, false, false },
	{ "/view/files/", route_view_files, true, false }, /* before /view/: the first route that fits answers */
	{ "/view/", route_view, true, false },
	{ "/record/pause", ct_recctl_pause, false, true },
	{ "/record/resume", ct_recctl_resume, false, true },
};
const size_t ct_monitor_nroutes = CT_ARRAY_SIZE(ct_monitor_routes);
