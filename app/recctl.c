/* recctl.c - pause and resume on request (recctl.h). */
#include "recctl.h"

#include <string.h>

#include "../correlator/calls.h"
#include "../util/json.h"
#include "../util/log.h"
#include "monitor.h"

static void paused_for(struct ct_json *j, const struct ct_calls_pause *st)
{
	ct_json_kv_str(j, "state", st->paused ? "paused" : "recording");
	ct_json_key(j, "paused_for");
	ct_json_arr_begin(j);
	if (st->held)
		ct_json_str(j, "held");
	if (st->request)
		ct_json_str(j, "request");
	if (st->payment)
		ct_json_str(j, "payment");
	ct_json_arr_end(j);
}

static void request(struct ct_monitor *m, const struct ct_http_req *req, struct ct_http_resp *r, bool pause)
{
	const char *device = ct_http_arg(req, "device"), *call = ct_http_arg(req, "call");
	struct ct_calls_pause st;
	int rc = CT_OK;
	const char *why = NULL;
	if (!req->authenticated) {
		r->status = 403;
		why = "pause and resume are served only with http.user set (basic authentication)";
	} else if (!device || !device[0]) {
		r->status = 400;
		why = "no device (device=<device> in the query or form)";
	} else if (!m->pipe || !m->pipe->calls_joined) {
		r->status = 503;
		why = "no capture is running";
	} else {
		rc = ct_calls_pause_device(m->pipe->calls_joined, device, call, pause, m->pipe->cap.now, &st);
		r->status = rc == CT_OK ? 200 : rc == CT_ENOENT ? 404 : 409;
		why = rc == CT_OK	  ? NULL
		      : rc == CT_ENOENT ? "the device has no recording in progress"
		      : pause		  ? "already paused on request"
					  : "not paused on request";
	}
	m->rec_requests[r->status == 200 ? 0 : 1]++;
	struct ct_json j;
	ct_json_init(&j);
	ct_json_obj_begin(&j);
	if (why)
		ct_json_kv_str(&j, "error", why);
	if (r->status == 200 || r->status == 409) {
		ct_json_kv_str(&j, "call", st.call);
		ct_json_kv_str(&j, "device", st.device);
		paused_for(&j, &st);
	} else if (device && r->status == 404) {
		ct_json_kv_text(&j, "device", (const uint8_t *)device, strlen(device), 64);
	}
	ct_json_obj_end(&j);
	r->content_type = "application/json";
	if (j.err)
		r->body.err = j.err;
	else
		ct_buf_put(&r->body, j.buf, j.len);
	ct_buf_puts(&r->body, "\n");
	ct_json_free(&j);
	if (r->status == 200)
		ct_info("http: recording of call %s %s on request%s", st.call, pause ? "paused" : "resumed",
			st.paused && !pause ? " (still paused: held or payment)" : "");
}

void ct_recctl_pause(void *user, const struct ct_http_req *req, struct ct_http_resp *resp)
{
	request(user, req, resp, true);
}

void ct_recctl_resume(void *user, const struct ct_http_req *req, struct ct_http_resp *resp)
{
	request(user, req, resp, false);
}
