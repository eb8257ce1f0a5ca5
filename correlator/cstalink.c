/* cstalink.c - CSTA link state and CSTA event records (behaviour in cstalink.h). */
#include "cstalink.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../capture/packet.h"
#include "../util/hash.h"
#include "agents.h"
#include "calls.h"

#define CT_CSTALINK_MAX_PENDING 256
#define CT_CSTALINK_MAX_MONITORS 4096

struct pending {
	int64_t invoke_id;
	int dir;                   /* who asked: the answer comes from the other side */
	ct_time_t ts;
	char name[48];
	char device[CT_CSTA_DEV];  /* MonitorStart's device, to map the result's xref */
	bool used;
};

struct monitor {
	char xref[CT_CSTA_ID];
	char device[CT_CSTA_DEV];
};

struct link {
	struct link *next;
	uint64_t flow_id;          /* 0 for uaCSTA sessions */
	struct ct_addr first;      /* sender of the first message seen: direction 0 */
	uint16_t first_port;
	char session[96];          /* uaCSTA: SIP Call-ID */
	char name[160];            /* "pbx-ip:port-client-ip:port" */
	uint8_t encoding, phase;
	uint32_t csta_version;
	bool associated;
	char system_status[24];
	struct pending pend[CT_CSTALINK_MAX_PENDING];
	unsigned npend_next;
	struct monitor *mon;
	unsigned nmon, capmon;
};

struct ct_cstalinks {
	struct link *links;
	uint32_t nlinks, max_links;
	struct ct_counters *ctr;
	struct ct_emitter *em;
	struct ct_hashkey idkey;
	struct ct_calls *calls;
	struct ct_agents *agents;
};

void ct_cstalinks_set_agents(struct ct_cstalinks *t, struct ct_agents *agents)
{
	t->agents = agents;
}

void ct_cstalinks_set_calls(struct ct_cstalinks *t, struct ct_calls *calls)
{
	t->calls = calls;
}

int ct_cstalinks_new(struct ct_cstalinks **out, uint32_t max_links, struct ct_counters *ctr, struct ct_emitter *em)
{
	struct ct_cstalinks *t = calloc(1, sizeof(*t));
	if (!t)
		return CT_ENOMEM;
	t->max_links = max_links ? max_links : 1;
	t->ctr = ctr;
	t->em = em;
	ct_hashkey_fixed(&t->idkey, 0x6373746161UL);
	*out = t;
	return CT_OK;
}

static void link_free(struct link *l)
{
	free(l->mon);
	free(l);
}

void ct_cstalinks_free(struct ct_cstalinks *t)
{
	if (!t)
		return;
	while (t->links) {
		struct link *n = t->links->next;
		link_free(t->links);
		t->links = n;
	}
	free(t);
}

static struct link *link_get(struct ct_cstalinks *t, uint64_t flow_id, const char *session, const struct ct_addr *src,
			     uint16_t sport, const struct ct_addr *dst, uint16_t dport, bool from_pbx_guess)
{
	for (struct link *l = t->links; l; l = l->next)
		if (l->flow_id == flow_id && (flow_id || strcmp(l->session, session) == 0))
			return l;
	if (t->nlinks >= t->max_links) {
		t->ctr->csta_links_evicted++;
		return NULL;
	}
	struct link *l = calloc(1, sizeof(*l));
	if (!l)
		return NULL;
	l->flow_id = flow_id;
	l->first = *src;
	l->first_port = sport;
	snprintf(l->session, sizeof(l->session), "%s", session ? session : "");
	char a[64], b[64];
	ct_addr_format(src, a, sizeof(a));
	ct_addr_format(dst, b, sizeof(b));
	/* name the link server first: the side with the lower (well-known) port, or the sender of
	 * events */
	if (from_pbx_guess)
		snprintf(l->name, sizeof(l->name), "%s:%u-%s:%u", a, sport, b, dport);
	else
		snprintf(l->name, sizeof(l->name), "%s:%u-%s:%u", b, dport, a, sport);
	l->next = t->links;
	t->links = l;
	t->nlinks++;
	t->ctr->csta_links++;
	return l;
}

static const char *monitor_device(const struct link *l, const char *xref)
{
	if (!xref[0])
		return NULL;
	for (unsigned i = 0; i < l->nmon; i++)
		if (strcmp(l->mon[i].xref, xref) == 0)
			return l->mon[i].device;
	return NULL;
}

static void monitor_add(struct ct_cstalinks *t, struct link *l, const char *xref, const char *device)
{
	for (unsigned i = 0; i < l->nmon; i++)
		if (strcmp(l->mon[i].xref, xref) == 0) {
			snprintf(l->mon[i].device, sizeof(l->mon[i].device), "%s", device);
			return;
		}
	if (l->nmon == l->capmon) {
		if (l->capmon >= CT_CSTALINK_MAX_MONITORS) {
			t->ctr->csta_monitors_dropped++;
			return;
		}
		unsigned cap = l->capmon ? l->capmon * 2 : 16;
		struct monitor *m = realloc(l->mon, cap * sizeof(*m));
		if (!m)
			return;
		l->mon = m;
		l->capmon = cap;
	}
	snprintf(l->mon[l->nmon].xref, sizeof(l->mon[l->nmon].xref), "%s", xref);
	snprintf(l->mon[l->nmon].device, sizeof(l->mon[l->nmon].device), "%s", device);
	l->nmon++;
}

static void monitor_del(struct link *l, const char *xref)
{
	for (unsigned i = 0; i < l->nmon; i++)
		if (strcmp(l->mon[i].xref, xref) == 0) {
			l->mon[i] = l->mon[--l->nmon];
			return;
		}
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
	snprintf(p->device, sizeof(p->device), "%s", m->monitor_device);
}

static void kv(struct ct_json *j, const char *key, const char *v)
{
	if (v && v[0])
		ct_json_kv_text(j, key, (const uint8_t *)v, strlen(v), CT_TEXT_MAX);
}

static void emit(struct ct_cstalinks *t, struct link *l, const struct ct_csta_msg *m, ct_time_t ts, const char *name,
		 const char *monitored, ct_time_t latency, bool has_latency)
{
	struct ct_emitter *em = t->em;
	char call[40] = "";
	if (m->conn.call_id[0]) {
		char k[256];
		int n = snprintf(k, sizeof(k), "%s|%s", l->name, m->conn.call_id);
		snprintf(call, sizeof(call), "csta-%016" PRIx64,
			 ct_hash(&t->idkey, k, (size_t)(n < (int)sizeof(k) ? n : (int)sizeof(k) - 1)));
	}
	ct_emit_begin(em, CT_REC_EVENT, ts, call[0] ? call : NULL);
	struct ct_json *j = &em->json;
	static const char *const kinds[] = { "unknown", "event", "request", "result", "error", "reject",
					     "aarq", "aare", "rlrq", "rlre", "abrt" };
	ct_json_kv_str(j, "src", "csta");
	ct_json_kv_str(j, "name", name);
	ct_json_kv_str(j, "kind", kinds[m->kind < 11 ? m->kind : 0]);
	ct_json_kv_str(j, "link", l->name);
	if (l->session[0])
		kv(j, "session", l->session);
	ct_json_kv_str(j, "encoding", m->encoding == CT_CSTA_XML ? "xml" : "ber");
	if (m->phase)
		ct_json_kv_u64(j, "phase", m->phase);
	if (m->has_invoke_id)
		ct_json_kv_i64(j, "invoke_id", m->invoke_id);
	if (m->opcode >= 0 && m->encoding == CT_CSTA_BER)
		ct_json_kv_i64(j, "opcode", m->opcode);
	kv(j, "category", m->category);
	kv(j, "xref", m->xref);
	kv(j, "monitored", monitored);
	kv(j, "call_id", m->conn.call_id);
	kv(j, "device", m->conn.device);
	if (m->conn2.call_id[0] || m->conn2.device[0]) {
		kv(j, "call_id2", m->conn2.call_id);
		kv(j, "device2", m->conn2.device);
	}
	kv(j, "subject", m->subject);
	kv(j, "calling", m->calling);
	kv(j, "called", m->called);
	kv(j, "other", m->other);
	kv(j, "state", m->local_state);
	kv(j, "cause", m->cause);
	kv(j, "correlator", m->correlator);
	kv(j, "user_data", m->user_data);
	kv(j, "global_call_id", m->global_call_id);
	kv(j, "agent_state", m->agent_state);
	kv(j, "agent_id", m->agent_id);
	kv(j, "reason", m->reason);
	kv(j, "monitor_device", m->monitor_device);
	kv(j, "error", m->error);
	kv(j, "system_status", m->system_status);
	if (m->csta_version)
		ct_json_kv_u64(j, "csta_version", m->csta_version);
	kv(j, "ns", m->ns);
	if (m->private_data)
		ct_json_kv_bool(j, "private_data", true);
	if (m->unknown)
		ct_json_kv_bool(j, "unknown", true);
	if (m->truncated)
		ct_json_kv_bool(j, "truncated", true);
	if (has_latency)
		ct_json_kv_u64(j, "latency_us", latency);
	ct_emit_end(em);
	if (t->calls && call[0])
		ct_calls_csta(t->calls, call, l->name, name, m, ts);
	if (t->agents && m->kind == CT_CSTA_EVENT)
		ct_agents_csta(t->agents, m, monitored, ts);
}

static void on_message(struct ct_cstalinks *t, struct link *l, const struct ct_csta_msg *m, ct_time_t ts,
		       const struct ct_addr *src, uint16_t sport)
{
	int dir = (sport == l->first_port && memcmp(src, &l->first, sizeof(*src)) == 0) ? 0 : 1;
	l->encoding = m->encoding;
	if (m->phase)
		l->phase = m->phase;
	const char *name = m->name[0] ? m->name : "unknown";
	char rname[64];
	ct_time_t latency = 0;
	bool has_latency = false;
	switch (m->kind) {
	case CT_CSTA_AARQ:
	case CT_CSTA_AARE:
		if (m->csta_version)
			l->csta_version = m->csta_version;
		if (m->kind == CT_CSTA_AARE)
			l->associated = true;
		break;
	case CT_CSTA_RLRQ:
	case CT_CSTA_RLRE:
	case CT_CSTA_ABRT:
		l->associated = false;
		break;
	case CT_CSTA_REQUEST:
		if (m->has_invoke_id)
			pending_add(t, l, m, ts, dir);
		if (strcmp(m->name, "system_status") == 0 && m->system_status[0])
			snprintf(l->system_status, sizeof(l->system_status), "%s", m->system_status);
		if (strcmp(m->name, "monitor_stop") == 0 && m->xref[0])
			monitor_del(l, m->xref);
		break;
	case CT_CSTA_RESULT:
	case CT_CSTA_ERROR:
	case CT_CSTA_REJECT: {
		struct pending *p = m->has_invoke_id ? pending_take(l, m->invoke_id, dir) : NULL;
		if (p) {
			has_latency = true;
			latency = ts >= p->ts ? ts - p->ts : 0;
			if (!m->name[0] || m->unknown)
				name = p->name; /* a result carries no operation name in ROSE without data */
			if (m->kind == CT_CSTA_RESULT && strcmp(p->name, "monitor_start") == 0 && m->xref[0] &&
			    p->device[0])
				monitor_add(t, l, m->xref, p->device);
		} else if (m->kind != CT_CSTA_REJECT) {
			t->ctr->csta_unmatched++;
		}
		snprintf(rname, sizeof(rname), "%s_%s", name,
			 m->kind == CT_CSTA_RESULT ? "result" : m->kind == CT_CSTA_ERROR ? "error" : "reject");
		name = rname;
		break;
	}
	case CT_CSTA_EVENT:
		if (m->xref[0] && l->nmon && !monitor_device(l, m->xref))
			t->ctr->csta_unknown_xref++;
		break;
	default:
		break;
	}
	emit(t, l, m, ts, name, monitor_device(l, m->xref), latency, has_latency);
}

void ct_cstalinks_message(struct ct_cstalinks *t, const struct ct_csta_msg *m, const struct ct_csta_meta *meta)
{
	/* the PBX side sends the events and the AARE; the client the requests and the AARQ */
	bool from_pbx = m->kind == CT_CSTA_EVENT || m->kind == CT_CSTA_AARE || m->kind == CT_CSTA_RESULT ||
			m->kind == CT_CSTA_ERROR;
	struct link *l = link_get(t, meta->flow_id, NULL, &meta->src, meta->sport, &meta->dst, meta->dport, from_pbx);
	if (l)
		on_message(t, l, m, meta->ts, &meta->src, meta->sport);
}

void ct_cstalinks_uacsta(struct ct_cstalinks *t, const struct ct_csta_msg *m, const char *session, ct_time_t ts,
			 const struct ct_addr *src, uint16_t sport, const struct ct_addr *dst, uint16_t dport)
{
	bool from_pbx = m->kind == CT_CSTA_EVENT || m->kind == CT_CSTA_RESULT || m->kind == CT_CSTA_ERROR;
	struct link *l = link_get(t, 0, session, src, sport, dst, dport, from_pbx);
	if (l)
		on_message(t, l, m, ts, src, sport);
}

void ct_cstalinks_close(struct ct_cstalinks *t, uint64_t flow_id, ct_time_t now)
{
	(void)now;
	for (struct link **pp = &t->links; *pp; pp = &(*pp)->next) {
		if ((*pp)->flow_id == flow_id) {
			struct link *l = *pp;
			*pp = l->next;
			link_free(l);
			t->nlinks--;
			return;
		}
	}
}
