/* cstalink.c - CSTA link state and CSTA event records (behaviour in cstalink.h). */
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

void ct_cstalinks_set_audit(struct ct_cstalinks *t, ct_time_t response_timeout, ct_time_t dup_window)
{
	t->response_timeout = response_timeout;
	t->dup_window = dup_window;
}

void ct_cstalinks_set_monitor_caps(struct ct_cstalinks *t, uint32_t per_link, uint32_t total)
{
	t->max_monitors = per_link;
	t->max_monitors_total = total;
	/* the table, still empty, gets a bucket for each monitor the caps allow (its chains stay
	 * short); where that much cannot be had it keeps the buckets it has */
	size_t want = CT_MIN((size_t)total, (size_t)t->max_links * per_link);
	struct ct_htab bigger;
	if (t->nmon == 0 && want > t->monitors.mask + 1 && ct_htab_init(&bigger, want, (size_t)1 << 22) == CT_OK) {
		ct_htab_free(&t->monitors);
		t->monitors = bigger;
	}
}

void ct_cstalinks_set_agents(struct ct_cstalinks *t, struct ct_agents *agents)
{
	t->agents = agents;
}

void ct_cstalinks_set_calls(struct ct_cstalinks *t, struct ct_calls *calls)
{
	t->calls = calls;
}

int ct_cstalinks_new(struct ct_cstalinks **out, uint32_t max_links, struct ct_counters *ctr,
		     const struct ct_report *rep)
{
	struct ct_cstalinks *t = calloc(1, sizeof(*t));
	if (!t)
		return CT_ENOMEM;
	t->max_links = max_links ? max_links : 1;
	t->ctr = ctr;
	t->rep = rep;
	t->response_timeout = CT_CSTALINK_RESPONSE_TIMEOUT;
	t->max_monitors = 16384;
	t->max_monitors_total = 65536;
	t->dup_window = CT_CSTALINK_DUP_WINDOW;
	ct_hashkey_random(&t->key);
	if (ct_htab_init(&t->monitors, (size_t)t->max_links * 64, (size_t)1 << 18) != CT_OK) {
		free(t);
		return CT_ENOMEM;
	}
	ct_hashkey_fixed(&t->idkey, 0x6373746161UL);
	*out = t;
	return CT_OK;
}

void cl_link_free(struct link *l)
{
	while (l->mon) {
		struct monitor *m = l->mon;
		l->mon = m->next;
		ct_htab_del(&l->t->monitors, &m->hn);
		l->t->nmon--;
		free(m);
	}
	free(l);
}

void ct_cstalinks_free(struct ct_cstalinks *t)
{
	if (!t)
		return;
	while (t->links) {
		struct link *n = t->links->next;
		cl_link_free(t->links);
		t->links = n;
	}
	ct_htab_free(&t->monitors);
	free(t);
}

static void link_finish(struct ct_cstalinks *t, struct link *l, ct_time_t now);

/* How readily a link gives way when csta.max_links is full, lowest first: 0 never sent a CSTA
 * message decoded past its envelope; 1 not working (no association, no monitor started, not
 * both sides speaking CSTA); 2 working but idle for CT_CSTALINK_IDLE_EVICT; 3 working: kept. */
static int link_rank(const struct link *l, ct_time_t now)
{
	if (!l->valid_dirs)
		return 0;
	bool working = l->associated || l->nmon || l->saw_monitor_start || l->valid_dirs == 3;
	if (!working)
		return 1;
	return now >= l->last_ts && now - l->last_ts >= CT_CSTALINK_IDLE_EVICT ? 2 : 3;
}

/* csta.max_links is full and a new link speaks (its first message valid or not): the least
 * valuable link, least recently heard first, is ended (its open requests and blind periods
 * closed as at the end of input) and an `evicted` audit names it. A link whose first message
 * was not valid CSTA only displaces links that never sent one. False if none can go. */
static bool link_make_room(struct ct_cstalinks *t, bool valid, const char *newcomer, ct_time_t ts)
{
	struct link **victim = NULL;
	int vrank = valid ? 2 : 0;
	for (struct link **pp = &t->links; *pp; pp = &(*pp)->next) {
		const struct link *l = *pp;
		if (l->closed)
			continue;
		int r = link_rank(l, ts);
		if (r < vrank || (r == vrank && (!victim || l->last_ts < (*victim)->last_ts))) {
			victim = pp;
			vrank = r;
		}
	}
	if (!victim)
		return false;
	struct link *l = *victim;
	static const char *const why[] = { "it never sent a valid CSTA message",
					   "it was not working (no association, no monitor, one side only)", "it was idle" };
	t->ctr->csta_links_evicted++;
	if (ct_log_sample(t->ctr->csta_links_evicted))
		ct_warn("csta.max_links (%u) reached: link %s evicted for %s (%s)", t->max_links, l->name, newcomer,
			why[vrank]);
	link_finish(t, l, ts);
	char last[32];
	ct_time_format(l->last_ts, last);
	ct_report_audit(t->rep, ts, NULL, CT_AUDIT_EVICTED, l->name, 0,
			"CSTA link %s no longer tracked: csta.max_links (%u) reached when %s spoke, and %s (last message %s)",
			l->name, t->max_links, newcomer, why[vrank], last);
	*victim = l->next;
	cl_link_free(l);
	t->nlinks--;
	return true;
}

static struct link *link_get(struct ct_cstalinks *t, uint64_t flow_id, const char *session, const struct ct_addr *src,
			     uint16_t sport, const struct ct_addr *dst, uint16_t dport, bool from_pbx_guess,
			     const struct ct_csta_msg *m, ct_time_t ts)
{
	struct link *l = NULL;
	for (l = t->links; l; l = l->next)
		if (!l->closed && l->flow_id == flow_id && (flow_id || strcmp(l->session, session) == 0))
			break;
	if (!l) {
		char a[64], b[64], name[sizeof(l->name)];
		ct_addr_format(src, a, sizeof(a));
		ct_addr_format(dst, b, sizeof(b));
		/* name the link server first: the side with the lower (well-known) port, or the sender of
		 * events */
		if (from_pbx_guess)
			snprintf(name, sizeof(name), "%s:%u-%s:%u", a, sport, b, dport);
		else
			snprintf(name, sizeof(name), "%s:%u-%s:%u", b, dport, a, sport);
		if (t->nlinks >= t->max_links && !link_make_room(t, !m->unknown, name, ts)) {
			t->ctr->csta_links_refused++;
			if (ct_log_sample(t->ctr->csta_links_refused))
				ct_report_audit(t->rep, ts, NULL, CT_AUDIT_REFUSED, name, t->ctr->csta_links_refused,
						"CSTA messages of link %s not tracked: csta.max_links (%u) links are all "
						"working and busy", name, t->max_links);
			return NULL;
		}
		l = calloc(1, sizeof(*l));
		if (!l)
			return NULL;
		l->t = t;
		l->serial = ++t->serials;
		l->flow_id = flow_id;
		l->first = *src;
		l->first_port = sport;
		l->pbx = from_pbx_guess ? *src : *dst;
		snprintf(l->session, sizeof(l->session), "%s", session ? session : "");
		memcpy(l->name, name, sizeof(l->name));
		l->next = t->links;
		t->links = l;
		t->nlinks++;
		t->ctr->csta_links++;
	}
	l->last_ts = ts;
	if (!m->unknown)
		l->valid_dirs |= (uint8_t)(1u << cl_link_dir(l, src, sport));
	return l;
}

static uint64_t monitor_hash(const struct link *l, const char *xref)
{
	struct monitor_key {
		uint64_t serial;
		char xref[CT_CSTA_ID];
	} k;
	/* serial and the xref's bytes only (a printf and a hash over the zero padding were
	 * 1.4 % of a signalling capture, one per CSTA event) */
	size_t n = strnlen(xref, sizeof(k.xref) - 1);
	k.serial = l->serial;
	memcpy(k.xref, xref, n);
	return ct_hash(&l->t->key, &k, offsetof(struct monitor_key, xref) + n);
}

static struct monitor *monitor_find(const struct link *l, const char *xref)
{
	if (!xref[0])
		return NULL;
	uint64_t h = monitor_hash(l, xref);
	for (struct ct_hnode *n = ct_htab_first(&l->t->monitors, h); n; n = ct_htab_next(n)) {
		struct monitor *m = CT_CONTAINER_OF(n, struct monitor, hn);
		if (m->link == l && strcmp(m->xref, xref) == 0)
			return m;
	}
	return NULL;
}

const char *cl_monitor_device(const struct link *l, const char *xref)
{
	const struct monitor *m = monitor_find(l, xref);
	return m ? cl_monitor_dev(m) : NULL;
}

/* A monitor of l for xref and device, in no list or table yet; NULL when out of memory. */
static struct monitor *monitor_new(struct link *l, const char *xref, const char *device)
{
	size_t x = strnlen(xref, CT_CSTA_ID - 1), d = strnlen(device, CT_CSTA_DEV - 1);
	struct monitor *m = malloc(sizeof(*m) + x + 1 + d + 1);
	if (!m)
		return NULL;
	memset(m, 0, sizeof(*m));
	m->link = l;
	memcpy(m->xref, xref, x);
	m->xref[x] = '\0';
	memcpy(m->xref + x + 1, device, d);
	m->xref[x + 1 + d] = '\0';
	return m;
}

static void monitor_add(struct ct_cstalinks *t, struct link *l, const char *xref, const char *device)
{
	struct monitor *m = monitor_find(l, xref), *n;
	if (m) {
		if (strncmp(cl_monitor_dev(m), device, CT_CSTA_DEV - 1) == 0)
			return;
		/* the xref now watches another device: a new monitor in the old one's place */
		if (!(n = monitor_new(l, xref, device))) {
			t->ctr->csta_monitors_dropped++;
			return;
		}
		for (struct monitor **pp = &l->mon; *pp; pp = &(*pp)->next)
			if (*pp == m) {
				*pp = n;
				break;
			}
		n->next = m->next;
		ct_htab_del(&t->monitors, &m->hn);
		ct_htab_add(&t->monitors, &n->hn, monitor_hash(l, xref));
		free(m);
		return;
	}
	if (l->nmon >= t->max_monitors || t->nmon >= t->max_monitors_total) {
		CT_COUNT_LOG(t->ctr->csta_monitors_dropped, "a MonitorStart result not kept: csta.max_monitors%s reached",
			     l->nmon >= t->max_monitors ? "" : "_total");
		return;
	}
	if (!(m = monitor_new(l, xref, device))) {
		t->ctr->csta_monitors_dropped++;
		return;
	}
	m->next = l->mon;
	l->mon = m;
	l->nmon++;
	t->nmon++;
	ct_htab_add(&t->monitors, &m->hn, monitor_hash(l, xref));
}

void cl_monitor_del(struct link *l, const char *xref)
{
	struct monitor *m = monitor_find(l, xref);
	if (!m)
		return;
	for (struct monitor **pp = &l->mon; *pp; pp = &(*pp)->next)
		if (*pp == m) {
			*pp = m->next;
			break;
		}
	ct_htab_del(&l->t->monitors, &m->hn);
	l->nmon--;
	l->t->nmon--;
	free(m);
}

static struct pending *pending_take(struct link *l, int64_t id, int dir)
{
	/* invoke ids are numbered by each side on its own (ROSE): match the other side's request */
	for (unsigned i = 0; i < CT_CSTALINK_MAX_PENDING; i++)
		if (l->pend[i].used && l->pend[i].invoke_id == id && l->pend[i].dir != dir) {
			l->pend[i].used = false;
			return &l->pend[i];
		}
	return NULL;
}

static void pending_add(struct ct_cstalinks *t, struct link *l, const struct ct_csta_msg *m, ct_time_t ts, int dir)
{
	struct pending *p = &l->pend[l->npend_next++ % CT_CSTALINK_MAX_PENDING];
	if (p->used)
		t->ctr->csta_pending_dropped++; /* a request that never got an answer */
	p->used = true;
	p->dir = dir;
	p->invoke_id = m->invoke_id;
	p->ts = ts;
	snprintf(p->name, sizeof(p->name), "%s", m->name);
	p->nid = m->nid;
	snprintf(p->device, sizeof(p->device), "%s",
		 m->monitor_device[0] ? m->monitor_device : m->conn.device[0] ? m->conn.device : m->calling);
	snprintf(p->call_id, sizeof(p->call_id), "%s", m->conn.call_id);
	snprintf(p->called, sizeof(p->called), "%s", m->called);
}

/* Who sent a message of a link, and to whom (for the event: a ladder draws it). */
struct hop {
	const struct ct_addr *src, *dst;
	uint16_t sport, dport;
};

static void emit(struct ct_cstalinks *t, struct link *l, const struct ct_csta_msg *m, ct_time_t ts, const char *name,
		 const char *monitored, ct_time_t latency, bool has_latency, const struct hop *hop, ct_time_t asked,
		 const char *asked_called)
{
	char call[CT_ID_MAX] = "";
	/* the customer call the message belongs to; without a correlator (tests, tools), the
	 * CSTA call itself */
	struct ct_calls_csta in = { .link = l->name, .msg = m, .monitored = monitored, .ts = ts, .asked = asked,
				    .asked_called = asked_called };
	const char *joined = t->calls ? ct_calls_csta(t->calls, &in) : NULL;
	if (joined)
		snprintf(call, sizeof(call), "%s", joined);
	else if (!t->calls && m->conn.call_id[0]) {
		ct_id(call, "csta", 0x6373746161UL, "%s|%s", l->name, m->conn.call_id);
	}
	if (t->rep && t->rep->csta_event) {
		struct ct_csta_event v = { .ts = ts, .call = call[0] ? call : NULL, .name = name, .msg = m,
					   .link = l->name, .session = l->session, .monitored = monitored,
					   .has_latency = has_latency, .latency = latency, .src = hop->src, .dst = hop->dst,
					   .sport = hop->sport, .dport = hop->dport };
		t->rep->csta_event(t->rep->user, &v);
	}
	if (t->agents && m->kind == CT_CSTA_EVENT)
		ct_agents_csta(t->agents, m, monitored, ts);
}


static void on_message(struct ct_cstalinks *t, struct link *l, const struct ct_csta_msg *m, ct_time_t ts,
		       const struct hop *hop)
{
	int dir = cl_link_dir(l, hop->src, hop->sport);
	bool dup = false, unknown_xref = false;
	ct_time_t dup_prev = 0;
	l->last_ts = ts;
	if (!l->first_ts) {
		l->first_ts = ts ? ts : 1;
		cl_successor_check(t, l, ts); /* a reconnect, or a standby server, from the same PBX */
	}
	cl_gap_end(t, l, dir, ts, ts);
	l->encoding = m->encoding;
	if (m->phase)
		l->phase = m->phase;
	const char *name = m->name[0] ? m->name : "unknown";
	char rname[64];
	ct_time_t latency = 0, asked = 0;
	char asked_called[CT_CSTA_DEV] = "";
	bool has_latency = false;
	switch (m->kind) {
	case CT_CSTA_AARQ:
	case CT_CSTA_AARE:
		if (m->csta_version)
			l->csta_version = m->csta_version;
		if (m->kind == CT_CSTA_AARE)
			l->associated = true;
		cl_down_end(t, l, ts, ts); /* associated again on the same connection */
		break;
	case CT_CSTA_RLRQ:
	case CT_CSTA_RLRE:
	case CT_CSTA_ABRT:
		l->associated = false;
		if (m->kind == CT_CSTA_ABRT)
			cl_pending_expire(t, l, ts, true, "before the association was aborted");
		cl_link_down(t, l, ts, m->kind == CT_CSTA_ABRT ? "acse abort" : "acse release");
		break;
	case CT_CSTA_REQUEST:
		if (m->has_invoke_id && !cl_answerless((enum ct_csta_name)m->nid))
			pending_add(t, l, m, ts, dir);
		if (m->nid == CT_CSTA_N_SYSTEM_STATUS && m->system_status[0])
			snprintf(l->system_status, sizeof(l->system_status), "%s", m->system_status);
		if (m->nid == CT_CSTA_N_MONITOR_STOP && m->xref[0])
			cl_monitor_ended(t, l, m->xref, ts, "monitor stopped");
		break;
	case CT_CSTA_RESULT:
	case CT_CSTA_ERROR:
	case CT_CSTA_REJECT: {
		struct pending *p = m->has_invoke_id ? pending_take(l, m->invoke_id, dir) : NULL;
		if (p) {
			has_latency = true;
			latency = ts >= p->ts ? ts - p->ts : 0;
			asked = p->ts;
			snprintf(asked_called, sizeof(asked_called), "%s", p->called);
			if (!m->name[0] || m->unknown)
				name = p->name; /* a result carries no operation name in ROSE without data */
			if (m->kind == CT_CSTA_RESULT && p->nid == CT_CSTA_N_MONITOR_START && m->xref[0] &&
			    p->device[0]) {
				monitor_add(t, l, m->xref, p->device);
				cl_monitor_started(t, l, p->device, ts);
			}
		} else if (m->kind != CT_CSTA_REJECT) {
			t->ctr->csta_unmatched++;
		}
		snprintf(rname, sizeof(rname), "%s_%s", name,
			 m->kind == CT_CSTA_RESULT ? "result" : m->kind == CT_CSTA_ERROR ? "error" : "reject");
		name = rname;
		break;
	}
	case CT_CSTA_EVENT:
		/* the normalised form keeps no state of physical device events (hookswitch off,
		 * then on, look alike) nor of private or unknown ones: they are not compared */
		dup = t->dup_window && !m->unknown && strcmp(m->category, "physical_device") != 0 &&
		      strcmp(m->category, "private") != 0 && cl_dup_check(t, l, m, ts, &dup_prev);
		unknown_xref = m->xref[0] && l->saw_monitor_start && !cl_monitor_device(l, m->xref) && !cl_ended_find(l, m->xref);
		break;
	default:
		break;
	}
	const char *monitored = cl_monitor_device(l, m->xref);
	if (!monitored && m->xref[0]) {
		const struct ended *e = cl_ended_find(l, m->xref);
		monitored = e && e->device[0] ? e->device : NULL;
	}
	emit(t, l, m, ts, name, monitored, latency, has_latency, hop, asked, asked_called);
	if (dup)
		cl_dup_audit(t, l, m, name, ts, dup_prev);
	if (unknown_xref)
		cl_unknown_monitor(t, l, m, name, ts);
	if (m->kind == CT_CSTA_EVENT && m->nid == CT_CSTA_N_MONITOR_ENDED)
		cl_monitor_ended(t, l, m->xref, ts, "monitor ended");
}

void ct_cstalinks_message(struct ct_cstalinks *t, const struct ct_csta_msg *m, const struct ct_csta_meta *meta)
{
	/* the PBX side sends the events and the AARE; the client the requests and the AARQ */
	bool from_pbx = m->kind == CT_CSTA_EVENT || m->kind == CT_CSTA_AARE || m->kind == CT_CSTA_RESULT ||
			m->kind == CT_CSTA_ERROR;
	struct link *l = link_get(t, meta->flow_id, NULL, &meta->src, meta->sport, &meta->dst, meta->dport, from_pbx,
				  m, meta->ts);
	struct hop hop = { &meta->src, &meta->dst, meta->sport, meta->dport };
	if (l)
		on_message(t, l, m, meta->ts, &hop);
}

void ct_cstalinks_uacsta(struct ct_cstalinks *t, const struct ct_csta_msg *m, const char *session, ct_time_t ts,
			 const struct ct_addr *src, uint16_t sport, const struct ct_addr *dst, uint16_t dport)
{
	bool from_pbx = m->kind == CT_CSTA_EVENT || m->kind == CT_CSTA_RESULT || m->kind == CT_CSTA_ERROR;
	struct link *l = link_get(t, 0, session, src, sport, dst, dport, from_pbx, m, ts);
	struct hop hop = { src, dst, sport, dport };
	if (l)
		on_message(t, l, m, ts, &hop);
}

static struct link *link_by_flow(struct ct_cstalinks *t, uint64_t flow_id)
{
	for (struct link *l = t->links; l; l = l->next)
		if (!l->closed && flow_id && l->flow_id == flow_id)
			return l;
	return NULL;
}

void ct_cstalinks_gap(struct ct_cstalinks *t, const struct ct_csta_meta *meta, uint32_t bytes)
{
	struct link *l = link_by_flow(t, meta->flow_id);
	if (!l || l->down)
		return;
	int dir = cl_link_dir(l, &meta->src, meta->sport);
	if (!l->gap[dir]) {
		l->gap[dir] = true;
		l->gap_since[dir] = meta->ts;
		l->gap_bytes[dir] = 0;
	}
	l->gap_bytes[dir] += bytes;
}

void ct_cstalinks_down(struct ct_cstalinks *t, uint64_t flow_id, ct_time_t ts, const char *why)
{
	struct link *l = link_by_flow(t, flow_id);
	if (!l)
		return;
	char w[64];
	snprintf(w, sizeof(w), "before the link went down (%s)", why);
	cl_pending_expire(t, l, ts, true, w);
	cl_link_down(t, l, ts, why);
}

/* Closes what is open on l at now: requests past their timeout, blind periods. */
static void link_finish(struct ct_cstalinks *t, struct link *l, ct_time_t now)
{
	cl_pending_expire(t, l, now, false, NULL);
	for (int dir = 0; dir < 2; dir++)
		cl_gap_end(t, l, dir, now, now);
	for (unsigned i = 0; i < CT_CSTALINK_MAX_ENDED; i++)
		cl_ended_close(t, l, &l->ended[i], now, now);
	cl_down_end(t, l, now, now);
}

void ct_cstalinks_close(struct ct_cstalinks *t, uint64_t flow_id, ct_time_t now)
{
	for (struct link **pp = &t->links; *pp; pp = &(*pp)->next) {
		struct link *l = *pp;
		if (l->closed || !flow_id || l->flow_id != flow_id)
			continue;
		t->nlinks--;
		if (l->down && t->nclosed < t->max_links) {
			l->closed = true; /* blind until a successor speaks */
			t->nclosed++;
			return;
		}
		link_finish(t, l, now);
		*pp = l->next;
		cl_link_free(l);
		return;
	}
}

void ct_cstalinks_call_over(struct ct_cstalinks *t, const char *link, const char *csta_call_id, ct_time_t now)
{
	for (struct link *l = t->links; l; l = l->next) {
		if (l->closed || strcmp(l->name, link) != 0)
			continue;
		for (unsigned i = 0; i < CT_CSTALINK_MAX_PENDING; i++) {
			struct pending *p = &l->pend[i];
			if (p->used && p->call_id[0] && strcmp(p->call_id, csta_call_id) == 0)
				cl_missing(t, l, p, now, "before its call ended");
		}
	}
}

void ct_cstalinks_tick(struct ct_cstalinks *t, ct_time_t now)
{
	if (!t->response_timeout)
		return;
	for (struct link *l = t->links; l; l = l->next)
		if (!l->closed)
			cl_pending_expire(t, l, now, false, NULL);
}

void ct_cstalinks_end(struct ct_cstalinks *t, ct_time_t now)
{
	for (struct link *l = t->links; l; l = l->next)
		link_finish(t, l, now);
	cl_sweep(t);
}

void ct_cstalinks_each(const struct ct_cstalinks *t, void (*fn)(void *user, const struct ct_cstalink_info *info),
		       void *user)
{
	for (const struct link *l = t->links; l; l = l->next) {
		struct ct_cstalink_info i;
		memset(&i, 0, sizeof(i));
		snprintf(i.name, sizeof(i.name), "%s", l->name);
		i.uacsta = l->flow_id == 0;
		i.up = !l->down && !l->closed;
		i.monitors = l->nmon;
		i.last_ts = l->last_ts;
		i.down_since = l->down ? l->down_since : 0;
		snprintf(i.down_why, sizeof(i.down_why), "%s", l->down ? l->down_why : "");
		fn(user, &i);
	}
}
