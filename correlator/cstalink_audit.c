/* cstalink_audit.c - the audits of a CSTA link (rules in cstalink.h): blind periods (TCP gaps,
 * monitors ended, links down until a successor), requests without a response, duplicate events,
 * events for monitors never started. Called by cstalink.c as it reads each message. */
#include "cstalink_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../capture/packet.h"
#include "../util/hash.h"
#include "../decoders/csta_names.h"
#include "../util/htab.h"
#include "../util/id.h"
#include "../util/json.h"
#include "../util/log.h"
#include "agents.h"
#include "calls.h"
/* ---- audits (rules in cstalink.h) ---- */

int cl_link_dir(const struct link *l, const struct ct_addr *src, uint16_t sport)
{
	return (sport == l->first_port && memcmp(src, &l->first, sizeof(*src)) == 0) ? 0 : 1;
}

/* One blind period of link l, found at packet time now: the calls open on the link get a
 * cti_blind entry, and one audit record counts them. */
static void blind(struct ct_cstalinks *t, struct link *l, ct_time_t from, ct_time_t to, ct_time_t now,
		  const char *why)
{
	if (to <= from)
		return; /* a link closed at the end of the input, or a hole mended at once: nothing unseen */
	unsigned n = t->calls ? ct_calls_link_blind(t->calls, l->name, from, to, why) : 0;
	t->ctr->cti_blind_periods++;
	char a[32];
	ct_time_format(from, a);
	ct_report_audit(t->rep, now, NULL, CT_AUDIT_CTI_BLIND, l->name, n,
			"CTI link %s blind for %" PRIu64 " ms from %s (%s), %u open calls", l->name,
			(uint64_t)((to - from) / 1000u), a, why, n);
}

void cl_gap_end(struct ct_cstalinks *t, struct link *l, int dir, ct_time_t to, ct_time_t now)
{
	if (!l->gap[dir])
		return;
	l->gap[dir] = false;
	bool first_is_pbx = memcmp(&l->first, &l->pbx, sizeof(l->pbx)) == 0;
	bool pbx = dir == 0 ? first_is_pbx : !first_is_pbx;
	char why[96];
	if (l->gap_bytes[dir])
		snprintf(why, sizeof(why), "tcp gap of %" PRIu64 " bytes sent by the %s", l->gap_bytes[dir],
			 pbx ? "pbx" : "client");
	else
		snprintf(why, sizeof(why), "tcp gap of unknown size sent by the %s", pbx ? "pbx" : "client");
	blind(t, l, l->gap_since[dir], to, now, why);
}

struct ended *cl_ended_find(struct link *l, const char *xref)
{
	for (unsigned i = 0; i < CT_CSTALINK_MAX_ENDED; i++)
		if (l->ended[i].xref[0] && strcmp(l->ended[i].xref, xref) == 0)
			return &l->ended[i];
	return NULL;
}

void cl_ended_close(struct ct_cstalinks *t, struct link *l, struct ended *e, ct_time_t to, ct_time_t now)
{
	if (!e->blind)
		return;
	e->blind = false;
	char why[192];
	snprintf(why, sizeof(why), "%s for device %s, monitor %s", e->why, e->device, e->xref);
	blind(t, l, e->since, to, now, why);
}

/* Monitor xref ended (why: "monitor ended", "monitor stopped"): its device is blind from ts. */
void cl_monitor_ended(struct ct_cstalinks *t, struct link *l, const char *xref, ct_time_t ts, const char *why)
{
	if (!xref[0] || cl_ended_find(l, xref))
		return;
	const char *dev = cl_monitor_device(l, xref);
	struct ended *e = &l->ended[l->nended_next++ % CT_CSTALINK_MAX_ENDED];
	cl_ended_close(t, l, e, ts, ts); /* the oldest entry makes room: its period ends here */
	snprintf(e->xref, sizeof(e->xref), "%s", xref);
	snprintf(e->device, sizeof(e->device), "%s", dev ? dev : "");
	snprintf(e->why, sizeof(e->why), "%s", why);
	e->since = ts;
	e->blind = dev != NULL;
	cl_monitor_del(l, xref);
}

static bool monitors_device(const struct link *l, const char *device)
{
	for (const struct monitor *m = l->mon; m; m = m->next)
		if (strcmp(cl_monitor_dev(m), device) == 0)
			return true;
	return false;
}

/* Is m the successor of down link d: first seen after d went down, from the same PBX address
 * or monitoring a device d monitored (a standby server)? */
static bool successor(const struct link *d, const struct link *m)
{
	if (m == d || m->down || !m->first_ts || m->first_ts < d->down_since)
		return false;
	if (memcmp(&m->pbx, &d->pbx, sizeof(d->pbx)) == 0)
		return true;
	for (const struct monitor *x = m->mon; x; x = x->next)
		if (monitors_device(d, cl_monitor_dev(x)))
			return true;
	return false;
}

/* The down period of d ends at `to` (found at now). A closed link is freed by cl_sweep(). */
void cl_down_end(struct ct_cstalinks *t, struct link *d, ct_time_t to, ct_time_t now)
{
	if (!d->down)
		return;
	d->down = false;
	blind(t, d, d->down_since, to, now, d->down_why);
}

/* Frees the closed links whose down period has ended. */
void cl_sweep(struct ct_cstalinks *t)
{
	for (struct link **pp = &t->links; *pp;) {
		struct link *l = *pp;
		if (l->closed && !l->down) {
			*pp = l->next;
			cl_link_free(l);
			t->nclosed--;
		} else {
			pp = &l->next;
		}
	}
}

/* A new link spoke, or a link started a monitor: does it end the down period of another? */
void cl_successor_check(struct ct_cstalinks *t, struct link *m, ct_time_t now)
{
	bool freed = false;
	for (struct link *d = t->links; d; d = d->next)
		if (d->down && successor(d, m)) {
			cl_down_end(t, d, m->first_ts, now);
			freed = freed || d->closed;
		}
	if (freed)
		cl_sweep(t);
}

void cl_link_down(struct ct_cstalinks *t, struct link *l, ct_time_t ts, const char *why)
{
	if (l->down)
		return; /* the first sign counts: an ACSE release, then the FIN */
	for (int dir = 0; dir < 2; dir++)
		cl_gap_end(t, l, dir, ts, ts);
	for (unsigned i = 0; i < CT_CSTALINK_MAX_ENDED; i++)
		cl_ended_close(t, l, &l->ended[i], ts, ts);
	l->down = true;
	l->down_since = ts;
	snprintf(l->down_why, sizeof(l->down_why), "%s", why);
	/* the close of a connection is learned late (after its flow's timeout): a successor may
	 * have spoken already */
	for (struct link *m = t->links; m; m = m->next)
		if (successor(l, m)) {
			cl_down_end(t, l, m->first_ts, ts);
			break;
		}
}

/* The routeing dialogue (ECMA-269 clause 25) answers a RouteRequest with a RouteSelect, not
 * with a response; RouteUsed and RouteEnd close it without one either. */
bool cl_answerless(enum ct_csta_name n)
{
	return n == CT_CSTA_N_ROUTE_REQUEST || n == CT_CSTA_N_RE_ROUTE || n == CT_CSTA_N_ROUTE_SELECT ||
	       n == CT_CSTA_N_ROUTE_USED || n == CT_CSTA_N_ROUTE_END;
}

void cl_missing(struct ct_cstalinks *t, struct link *l, struct pending *p, ct_time_t now, const char *why)
{
	p->used = false;
	if (l->encoding == CT_CSTA_XML && l->flow_id && p->invoke_id == 9999)
		return; /* ECMA-323 framing: 9999 is the id of what expects no answer */
	t->ctr->csta_missing_responses++;
	char d[400];
	snprintf(d, sizeof(d), "%s (invoke %" PRId64 ") got no response %s on link %s%s%s%s%s", p->name, p->invoke_id,
		 why, l->name, p->device[0] ? ", device " : "", p->device, p->call_id[0] ? ", call " : "", p->call_id);
	if (p->call_id[0] && t->calls)
		ct_calls_audit_csta(t->calls, l->name, p->call_id, now, CT_AUDIT_MISSING_RESPONSE, d);
	else
		ct_report_audit(t->rep, now, NULL, CT_AUDIT_MISSING_RESPONSE, l->name, 0, "%s", d);
}

/* Requests unanswered for the response timeout (all of them with all set: the link is down). */
void cl_pending_expire(struct ct_cstalinks *t, struct link *l, ct_time_t now, bool all, const char *why)
{
	char w[64];
	if (!all)
		snprintf(w, sizeof(w), "within %" PRIu64 " ms", (uint64_t)(t->response_timeout / 1000u));
	for (unsigned i = 0; i < CT_CSTALINK_MAX_PENDING; i++) {
		struct pending *p = &l->pend[i];
		if (p->used && (all || (t->response_timeout && now > p->ts && now - p->ts >= t->response_timeout)))
			cl_missing(t, l, p, now, all ? why : w);
	}
}

static void cat_field(char *buf, size_t cap, size_t *n, const char *v)
{
	size_t len = strlen(v);
	if (*n + len + 1 >= cap)
		len = *n + 1 < cap ? cap - *n - 1 : 0;
	memcpy(buf + *n, v, len);
	*n += len;
	if (*n < cap)
		buf[(*n)++] = '\x1f';
}

/* duplicate_event: true (and *prev set) if the newest earlier event of the same monitor about
 * the same call or device, within the window, said the same. Remembers this one. */
bool cl_dup_check(struct ct_cstalinks *t, struct link *l, const struct ct_csta_msg *m, ct_time_t ts,
		  ct_time_t *prev)
{
	char buf[2048];
	size_t n = 0;
	cat_field(buf, sizeof(buf), &n, m->xref);
	cat_field(buf, sizeof(buf), &n, m->conn.call_id);
	if (!m->conn.call_id[0]) {
		cat_field(buf, sizeof(buf), &n, m->conn.device);
		cat_field(buf, sizeof(buf), &n, m->subject);
	}
	uint64_t about = ct_hash(&t->idkey, buf, n);
	const char *const f[] = { m->name,		m->category,	   m->conn.device,   m->conn2.call_id,
				  m->conn2.device,	m->subject,	   m->calling,	     m->called,
				  m->other,		m->local_state,	   m->cause,	     m->correlator,
				  m->user_data,		m->global_call_id, m->agent_state,   m->agent_id,
				  m->reason,		m->monitor_device, m->error,	     m->system_status };
	for (size_t i = 0; i < CT_ARRAY_SIZE(f); i++)
		cat_field(buf, sizeof(buf), &n, f[i]);
	uint64_t content = ct_hash(&t->idkey, buf, n);
	bool dup = false;
	unsigned have = l->nrecent_next < CT_CSTALINK_RECENT ? l->nrecent_next : CT_CSTALINK_RECENT;
	for (unsigned k = 1; k <= have; k++) {
		const struct recent *r = &l->recent[(l->nrecent_next - k) % CT_CSTALINK_RECENT];
		ct_time_t dt = ts >= r->ts ? ts - r->ts : r->ts - ts;
		if (dt > t->dup_window)
			break;
		if (r->about == about) {
			dup = r->content == content;
			*prev = r->ts;
			break;
		}
	}
	struct recent *r = &l->recent[l->nrecent_next++ % CT_CSTALINK_RECENT];
	r->about = about;
	r->content = content;
	r->ts = ts;
	return dup;
}

void cl_dup_audit(struct ct_cstalinks *t, struct link *l, const struct ct_csta_msg *m, const char *name,
		  ct_time_t ts, ct_time_t prev)
{
	t->ctr->csta_dup_events++;
	const char *mdev = cl_monitor_device(l, m->xref);
	char mon[160];
	if (mdev)
		snprintf(mon, sizeof(mon), "%s (device %s)", m->xref[0] ? m->xref : "-", mdev);
	else
		snprintf(mon, sizeof(mon), "%s", m->xref[0] ? m->xref : "-");
	char d[768];
	snprintf(d, sizeof(d), "%s for monitor %s%s%s%s%s seen again %" PRIu64 " ms after the first on link %s", name, mon,
		 m->conn.call_id[0] ? ", call " : "", m->conn.call_id, m->conn.device[0] ? ", device " : "",
		 m->conn.device, (uint64_t)((ts >= prev ? ts - prev : 0) / 1000u), l->name);
	if (m->conn.call_id[0] && t->calls)
		ct_calls_audit_csta(t->calls, l->name, m->conn.call_id, ts, CT_AUDIT_DUPLICATE_EVENT, d);
	else
		ct_report_audit(t->rep, ts, NULL, CT_AUDIT_DUPLICATE_EVENT, l->name, 0, "%s", d);
}

void cl_unknown_monitor(struct ct_cstalinks *t, struct link *l, const struct ct_csta_msg *m, const char *name,
			ct_time_t ts)
{
	t->ctr->csta_unknown_xref++;
	uint64_t h = ct_hash(&t->idkey, m->xref, strlen(m->xref));
	for (unsigned i = 0; i < l->nunknown; i++)
		if (l->unknown[i] == h)
			return;
	if (l->nunknown >= CT_CSTALINK_MAX_UNKNOWN)
		return; /* still counted above */
	l->unknown[l->nunknown++] = h;
	t->ctr->csta_unknown_monitors++;
	ct_report_audit(t->rep, ts, NULL, CT_AUDIT_UNKNOWN_MONITOR, l->name, 0,
			"events for monitor %s on link %s, which no MonitorStart on this link returned (first: %s%s%s%s%s)",
			m->xref, l->name, name, m->conn.call_id[0] ? ", call " : "", m->conn.call_id,
			m->conn.device[0] ? ", device " : "", m->conn.device);
}

/* A MonitorStart result for device: its blind period (monitor ended) is over, and a link that
 * went down may have found its successor in l. */
void cl_monitor_started(struct ct_cstalinks *t, struct link *l, const char *device, ct_time_t ts)
{
	l->saw_monitor_start = true;
	for (unsigned i = 0; i < CT_CSTALINK_MAX_ENDED; i++)
		if (l->ended[i].blind && strcmp(l->ended[i].device, device) == 0)
			cl_ended_close(t, l, &l->ended[i], ts, ts);
	cl_successor_check(t, l, ts);
}

