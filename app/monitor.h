/* monitor.h - ctitap's monitoring routes on the HTTP endpoint (http.h):
 *   /metrics  Prometheus text exposition format 0.0.4: every counter of util/counters.h
 *             (ctitap_<name>_total, its description as HELP), the capture (running, live, kernel
 *             drops from pcap_stats), open calls, each CTI link (up, monitors, seconds since its
 *             last message), each Kafka output (connected, brokers up, queued, spool bytes and
 *             records), settings reloads, HTTP answers;
 *   /healthz  200 "ok" when the capture runs and every CTI link is up, else 503 with one line
 *             per reason;
 *   /record/pause, /record/resume  (POST) a device's recording on request (recctl.h);
 *   /view/    the live call view (web/view.h): index.html (filtered by its query) and
 *             calls/<call id>.html of the calls the store keeps, with the view's
 *             Content-Security-Policy as a header; /view answers a redirect to it.
 * The handlers run on the pipeline's thread (http.h says why) and only read, but /record/'s.
 */
#ifndef CT_MONITOR_H
#define CT_MONITOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../capture/source.h"
#include "../sinks/sink.h"
#include "../util/counters.h"
#include "../web/view.h"
#include "http.h"
#include "pipeline.h"

/* What the routes read; main keeps it current. Every pointer is borrowed. */
struct ct_monitor {
	const struct ct_counters *ctr;
	struct ct_pipeline *pipe;   /* NULL until set up */
	struct ct_outputs *out;
	struct ct_source *src;      /* the capture being read now, NULL between and after */
	struct ct_http *http;
	const char *sensor;
	uint64_t start_time;        /* wall clock, seconds since the epoch */
	uint64_t reloads;           /* SIGHUP settings reloads done, and refused (file unreadable or wrong) */
	uint64_t reload_failures;
	uint64_t rec_requests[2];   /* /record/pause and /record/resume: accepted, refused (recctl.h) */
	struct ct_view_store *view; /* the live call view's store, NULL when off */
	const char *record_dir;     /* record.dir as now set ("" when off): /view/files/ reads it */
	struct ct_buf path;         /* scratch of /view/: the path asked (owned; ct_monitor_free) */
};

/* Frees what the routes kept between requests (the view's scratch path). */
void ct_monitor_free(struct ct_monitor *m);

extern const struct ct_http_route ct_monitor_routes[];
extern const size_t ct_monitor_nroutes;

#endif
