/* agents.c - agent state timelines from CSTA agent events and calls (behaviour in agents.h). */
#include "agents.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../decoders/csta_names.h"
#include "../util/htab.h"
#include "numbers.h"


struct agent {
	struct ct_hnode hn;            /* in the table, by device */
	struct agent *prev, *next;     /* by last change, least recent first */
	char device[CT_CSTA_DEV];
	char agent_id[CT_CSTA_DEV];
	char reason[32];               /* not_ready reason code; "" otherwise */
	uint8_t state;                 /* enum ct_agent_state */
	uint8_t before_call;           /* state to go back to when the last call is released */
	unsigned calls;                /* calls answered here and not released, since CTI last spoke */
	ct_time_t since;               /* packet time the state began */
	uint64_t us[CT_AGENT_NSTATES]; /* time spent in each state before `since` */
};

struct ct_agents {
	struct ct_counters *ctr;
	const struct ct_report *rep;
	struct ct_hashkey key;
	struct ct_htab table;          /* struct agent by device */
	struct agent lru;              /* list sentinel */
	uint32_t n, max;
	struct agent **order;          /* scratch for ct_agents_summary, room for max(n) agents */
	struct ct_agent_summary *summary; /* ... and what it hands out */
	uint32_t order_cap;
};

int ct_agents_new(struct ct_agents **out, uint32_t max_agents, const struct ct_hashkey *key,
		  struct ct_counters *ctr, const struct ct_report *rep)
{
	struct ct_agents *a = calloc(1, sizeof(*a));
	if (!a)
		return CT_ENOMEM;
	a->max = max_agents ? max_agents : 1;
	if (ct_htab_init(&a->table, a->max, (size_t)1 << 20) != CT_OK) {
		free(a);
		return CT_ENOMEM;
	}
	a->key = *key;
	a->ctr = ctr;
	a->rep = rep;
	a->lru.prev = a->lru.next = &a->lru;
	*out = a;
	return CT_OK;
}

void ct_agents_free(struct ct_agents *a)
{
	if (!a)
		return;
	while (a->lru.next != &a->lru) {
		struct agent *g = a->lru.next;
		a->lru.next = g->next;
		free(g);
	}
	ct_htab_free(&a->table);
	free(a->order);
	free(a->summary);
	free(a);
}

uint32_t ct_agents_count(const struct ct_agents *a)
{
	return a->n;
}

static struct agent *find(const struct ct_agents *a, const char *device, uint64_t *hout)
{
	uint64_t h = ct_hash(&a->key, device, strlen(device));
	if (hout)
		*hout = h;
	for (struct ct_hnode *n = ct_htab_first(&a->table, h); n; n = ct_htab_next(n)) {
		struct agent *g = CT_CONTAINER_OF(n, struct agent, hn);
		if (strcmp(g->device, device) == 0)
			return g;
	}
	return NULL;
}

static void lru_unlink(struct agent *g)
{
	g->prev->next = g->next;
	g->next->prev = g->prev;
}

static void lru_append(struct ct_agents *a, struct agent *g)
{
	g->prev = a->lru.prev;
	g->next = &a->lru;
	a->lru.prev->next = g;
	a->lru.prev = g;
}

static void evict_oldest(struct ct_agents *a, ct_time_t ts)
{
	struct agent *g = a->lru.next;
	if (g == &a->lru)
		return;
	lru_unlink(g);
	ct_htab_del(&a->table, &g->hn);
	ct_report_audit(a->rep, ts, NULL, CT_AUDIT_EVICTED, NULL, 0,
			"agent device %s forgotten: agents.max (%u) reached; its state timeline restarts when it is seen again",
			g->device, a->max);
	free(g);
	a->n--;
	a->ctr->agents_evicted++;
}

/* A new agent device (state not set yet: the caller sets it). NULL when out of memory. */
static struct agent *add(struct ct_agents *a, const char *device, uint64_t h, ct_time_t ts)
{
	if (a->n >= a->max)
		evict_oldest(a, ts);
	if (a->n >= a->order_cap) {
		uint32_t cap = a->order_cap ? a->order_cap * 2 : 64;
		if (cap > a->max)
			cap = a->max;
		struct agent **o = realloc(a->order, (size_t)cap * sizeof(*o));
		if (!o)
			return NULL;
		a->order = o;
		struct ct_agent_summary *sm = realloc(a->summary, (size_t)cap * sizeof(*sm));
		if (!sm)
			return NULL;
		a->summary = sm;
		a->order_cap = cap;
	}
	struct agent *g = calloc(1, sizeof(*g));
	if (!g)
		return NULL;
	snprintf(g->device, sizeof(g->device), "%s", device);
	g->since = ts;
	ct_htab_add(&a->table, &g->hn, h);
	lru_append(a, g);
	a->n++;
	a->ctr->agents_tracked++;
	return g;
}

static ct_time_t elapsed(const struct agent *g, ct_time_t now)
{
	return now > g->since ? now - g->since : 0;
}

/* Moves g to `state` at ts and writes the event; `fresh` for an agent seen for the first
 * time (no previous state). reason is kept for not_ready only. */
static void change(struct ct_agents *a, struct agent *g, enum ct_agent_state state, const char *reason, bool fresh,
		   const char *trigger, ct_time_t ts)
{
	ct_time_t spent = fresh ? 0 : elapsed(g, ts);
	enum ct_agent_state prev = (enum ct_agent_state)g->state;
	if (!fresh) {
		g->us[prev] += spent;
		if (ts > g->since)
			g->since = ts;
	} else {
		g->since = ts;
	}
	g->state = (uint8_t)state;
	snprintf(g->reason, sizeof(g->reason), "%s", state == CT_AGENT_NOT_READY && reason ? reason : "");
	lru_unlink(g);
	lru_append(a, g);
	a->ctr->agent_state_changes++;

	if (a->rep && a->rep->agent_state) {
		struct ct_agent_change v = { .ts = ts, .device = g->device, .agent_id = g->agent_id, .reason = g->reason,
					     .state = state, .previous = prev, .fresh = fresh, .previous_us = spent,
					     .trigger = trigger };
		a->rep->agent_state(a->rep->user, &v);
	}
}

/* The state an agent event reports (ECMA-269 clause 21). */
static bool state_of_event(enum ct_csta_name n, enum ct_agent_state *out)
{
	switch (n) {
	case CT_CSTA_N_AGENT_LOGGED_ON: *out = CT_AGENT_NOT_READY; return true;
	case CT_CSTA_N_AGENT_LOGGED_OFF: *out = CT_AGENT_LOGGED_OFF; return true;
	case CT_CSTA_N_AGENT_READY: *out = CT_AGENT_READY; return true;
	case CT_CSTA_N_AGENT_NOT_READY: *out = CT_AGENT_NOT_READY; return true;
	case CT_CSTA_N_AGENT_WORKING_AFTER_CALL: *out = CT_AGENT_WORK_AFTER_CALL; return true;
	case CT_CSTA_N_AGENT_BUSY: *out = CT_AGENT_BUSY; return true;
	default: return false;
	}
}

void ct_agents_csta(struct ct_agents *a, const struct ct_csta_msg *m, const char *monitored, ct_time_t ts)
{
	enum ct_agent_state st;
	if (!a || m->kind != CT_CSTA_EVENT || !state_of_event((enum ct_csta_name)m->nid, &st))
		return;
	/* the agent device is the monitored one when CTI writes it in another form
	 * (N<+4930344442001>;displayNumber=2001: the extension the monitor watches) */
	const char *device = m->subject[0] ? m->subject : monitored;
	if (monitored && monitored[0] && m->subject[0] && strcmp(m->subject, monitored) &&
	    ct_number_tail_same(m->subject, monitored, 4))
		device = monitored;
	if (!device || !device[0])
		return;
	uint64_t h;
	struct agent *g = find(a, device, &h);
	bool fresh = !g;
	if (!g && !(g = add(a, device, h, ts)))
		return;
	if (m->agent_id[0])
		snprintf(g->agent_id, sizeof(g->agent_id), "%s", m->agent_id);
	if (st != CT_AGENT_BUSY)
		g->calls = 0; /* CTI said otherwise: a release no longer puts a state back */
	const char *reason = st == CT_AGENT_NOT_READY ? m->reason : "";
	if (!fresh && st == g->state && (st != CT_AGENT_NOT_READY || !reason[0] || strcmp(reason, g->reason) == 0))
		return;
	change(a, g, st, reason, fresh, m->name, ts);
}

void ct_agents_call(struct ct_agents *a, const char *device, bool on_call, ct_time_t ts)
{
	if (!a || !device || !device[0])
		return;
	struct agent *g = find(a, device, NULL);
	if (!g)
		return;
	if (on_call) {
		if (g->calls++ > 0)
			return;
		g->before_call = g->state;
		if (g->state != CT_AGENT_BUSY)
			change(a, g, CT_AGENT_BUSY, NULL, false, "call_answered", ts);
		return;
	}
	if (g->calls == 0 || --g->calls > 0)
		return;
	if (g->state == CT_AGENT_BUSY && g->before_call != CT_AGENT_BUSY) {
		/* the reason code of a not_ready before the call is not kept through it */
		change(a, g, (enum ct_agent_state)g->before_call, NULL, false, "call_released", ts);
	}
}

bool ct_agents_state(const struct ct_agents *a, const char *device, enum ct_agent_state *st)
{
	if (!a || !device)
		return false;
	const struct agent *g = find(a, device, NULL);
	if (g)
		*st = (enum ct_agent_state)g->state;
	return g != NULL;
}

const char *ct_agents_id(const struct ct_agents *a, const char *device)
{
	if (!a || !device)
		return NULL;
	const struct agent *g = find(a, device, NULL);
	return g && g->agent_id[0] ? g->agent_id : NULL;
}

static void times(const struct agent *g, ct_time_t now, uint64_t us[CT_AGENT_NSTATES])
{
	memcpy(us, g->us, sizeof(g->us));
	us[g->state] += elapsed(g, now);
}

bool ct_agents_time_us(const struct ct_agents *a, const char *device, ct_time_t now, uint64_t us[CT_AGENT_NSTATES])
{
	const struct agent *g = a && device ? find(a, device, NULL) : NULL;
	if (!g)
		return false;
	times(g, now, us);
	return true;
}

static int by_device(const void *x, const void *y)
{
	const struct agent *const *p = x, *const *q = y;
	return strcmp((*p)->device, (*q)->device);
}

unsigned ct_agents_summary(struct ct_agents *a, ct_time_t now, const struct ct_agent_summary **out)
{
	*out = NULL;
	if (!a)
		return 0;
	uint32_t n = 0;
	for (struct agent *g = a->lru.next; g != &a->lru && n < a->order_cap; g = g->next)
		a->order[n++] = g;
	if (n > 1)
		qsort(a->order, n, sizeof(*a->order), by_device);
	for (uint32_t i = 0; i < n; i++) {
		const struct agent *g = a->order[i];
		struct ct_agent_summary *sm = &a->summary[i];
		sm->device = g->device;
		sm->agent_id = g->agent_id;
		sm->reason = g->reason;
		sm->state = (enum ct_agent_state)g->state;
		times(g, now, sm->us);
	}
	*out = a->summary;
	return n;
}
