/* test_agents.c - agent state timelines (correlator/agents.h) from crafted normalised CSTA
 * agent events and the call correlator's hook: the changes and their event records, the
 * time per state to the microsecond, the call's hold on the state, the cap and eviction. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "correlator/agents.h"
#include "decoders/csta_names.h"
#include "records/records.h"

#define T0 1767603600000000ULL /* 2026-01-05T09:00:00Z in µs */

struct fx {
	struct ct_counters ctr;
	struct ct_records rw;
	struct ct_report rep;
	struct ct_agents *a;
};

static struct fx *fx_new(uint32_t max)
{
	struct fx *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	ct_records_init(&f->rw, "test", NULL, NULL); /* records built, kept in the buffer */
	f->rep = ct_records_report(&f->rw);
	struct ct_hashkey key;
	ct_hashkey_fixed(&key, 42);
	assert_int_equal(ct_agents_new(&f->a, max, &key, &f->ctr, &f->rep), CT_OK);
	return f;
}

static void fx_free(struct fx *f)
{
	ct_agents_free(f->a);
	ct_records_free(&f->rw);
	free(f);
}

/* An agent event as the decoders normalise it: AgentReadyEvent -> name "agent_ready",
 * agentDevice -> subject. */
static void agent_event(struct fx *f, const char *name, const char *device, const char *agent_id, const char *reason,
			ct_time_t ts)
{
	struct ct_csta_msg m;
	memset(&m, 0, sizeof(m));
	m.kind = CT_CSTA_EVENT;
	m.encoding = CT_CSTA_XML;
	m.opcode = -1;
	snprintf(m.name, sizeof(m.name), "%s", name);
	m.nid = (uint8_t)ct_csta_name_of(name);
	snprintf(m.category, sizeof(m.category), "logical_device");
	snprintf(m.subject, sizeof(m.subject), "%s", device ? device : "");
	snprintf(m.agent_id, sizeof(m.agent_id), "%s", agent_id ? agent_id : "");
	snprintf(m.reason, sizeof(m.reason), "%s", reason ? reason : "");
	snprintf(m.agent_state, sizeof(m.agent_state), "%s", name + 6);
	ct_agents_csta(f->a, &m, NULL, ts);
}

/* The last record written (the writer's buffer keeps it until the next one). */
static const char *last(struct fx *f)
{
	return f->rw.json.buf ? f->rw.json.buf : "";
}

/* The state CTI reports for device, by name; NULL when none. */
static const char *state_of(struct fx *f, const char *device)
{
	enum ct_agent_state st;
	return ct_agents_state(f->a, device, &st) ? ct_agent_state_name(st) : NULL;
}

static void has(struct fx *f, const char *frag)
{
	if (!strstr(last(f), frag))
		fail_msg("record %s lacks %s", last(f), frag);
}

static void lacks(struct fx *f, const char *frag)
{
	if (strstr(last(f), frag))
		fail_msg("record %s has %s", last(f), frag);
}

static void times_are(struct fx *f, const char *device, ct_time_t now, uint64_t off, uint64_t ready, uint64_t nr,
		      uint64_t wac, uint64_t busy)
{
	uint64_t us[CT_AGENT_NSTATES];
	assert_true(ct_agents_time_us(f->a, device, now, us));
	assert_int_equal(us[CT_AGENT_LOGGED_OFF], off);
	assert_int_equal(us[CT_AGENT_READY], ready);
	assert_int_equal(us[CT_AGENT_NOT_READY], nr);
	assert_int_equal(us[CT_AGENT_WORK_AFTER_CALL], wac);
	assert_int_equal(us[CT_AGENT_BUSY], busy);
}

/* A whole shift: logon, ready, not_ready with a reason, ready, a call, after-call work, logoff. */
static void test_timeline(void **state)
{
	(void)state;
	struct fx *f = fx_new(16);
	assert_null(state_of(f, "4711"));

	agent_event(f, "agent_logged_on", "4711", "A17", NULL, T0);
	assert_string_equal(state_of(f, "4711"), "not_ready");
	assert_int_equal(f->ctr.agent_state_changes, 1);
	assert_int_equal(f->ctr.agents_tracked, 1);
	has(f, "\"type\":\"event\"");
	has(f, "\"src\":\"csta\",\"name\":\"agent_state\",\"device\":\"4711\",\"agent_id\":\"A17\","
	       "\"state\":\"not_ready\",\"trigger\":\"agent_logged_on\"");
	lacks(f, "previous");

	agent_event(f, "agent_ready", "4711", NULL, NULL, T0 + 1500123);
	has(f, "\"agent_id\":\"A17\",\"state\":\"ready\",\"previous\":\"not_ready\",\"previous_ms\":1500,"
	       "\"trigger\":\"agent_ready\"");
	/* ready again is no change */
	agent_event(f, "agent_ready", "4711", NULL, NULL, T0 + 2000000);
	assert_int_equal(f->ctr.agent_state_changes, 2);

	agent_event(f, "agent_not_ready", "4711", NULL, "12", T0 + 10000000);
	has(f, "\"state\":\"not_ready\",\"previous\":\"ready\",\"previous_ms\":8499,\"reason\":\"12\"");
	times_are(f, "4711", T0 + 10000000, 0, 8499877, 1500123, 0, 0);

	agent_event(f, "agent_ready", "4711", NULL, NULL, T0 + 70000000);
	has(f, "\"previous\":\"not_ready\",\"previous_ms\":60000,\"trigger\":\"agent_ready\"");
	lacks(f, "reason");

	/* a call answered at the device: busy; released: ready again */
	ct_agents_call(f->a, "4711", true, T0 + 80000000);
	assert_string_equal(state_of(f, "4711"), "busy");
	has(f, "\"state\":\"busy\",\"previous\":\"ready\",\"previous_ms\":10000,\"trigger\":\"call_answered\"");
	ct_agents_call(f->a, "4711", false, T0 + 95250000);
	assert_string_equal(state_of(f, "4711"), "ready");
	has(f, "\"state\":\"ready\",\"previous\":\"busy\",\"previous_ms\":15250,\"trigger\":\"call_released\"");
	assert_int_equal(f->ctr.agent_state_changes, 6);

	/* the next call ends in after-call work, which CTI reports before the release: the release
	 * then leaves CTI's state alone */
	ct_agents_call(f->a, "4711", true, T0 + 100000000);
	agent_event(f, "agent_working_after_call", "4711", NULL, NULL, T0 + 130000000);
	has(f, "\"state\":\"work_after_call\",\"previous\":\"busy\",\"previous_ms\":30000");
	ct_agents_call(f->a, "4711", false, T0 + 130000500);
	assert_string_equal(state_of(f, "4711"), "work_after_call");
	assert_int_equal(f->ctr.agent_state_changes, 8);

	agent_event(f, "agent_ready", "4711", NULL, NULL, T0 + 135000000);
	agent_event(f, "agent_logged_off", "4711", NULL, NULL, T0 + 140000000);
	has(f, "\"state\":\"logged_off\",\"previous\":\"ready\",\"previous_ms\":5000");
	assert_string_equal(state_of(f, "4711"), "logged_off");

	/* exact: not_ready 1.500123 + 60 s; ready 8.499877 + 10 + 4.75 + 5 s; busy 15.25 + 30 s;
	 * after-call work 5 s; logged off since T0+140 s */
	times_are(f, "4711", T0 + 150000001, 10000001, 28249877, 61500123, 5000000, 45250000);
	uint64_t us[CT_AGENT_NSTATES], sum = 0;
	assert_true(ct_agents_time_us(f->a, "4711", T0 + 150000001, us));
	for (int i = 0; i < CT_AGENT_NSTATES; i++)
		sum += us[i];
	assert_int_equal(sum, 150000001);
	assert_false(ct_agents_time_us(f->a, "4712", T0, us));
	fx_free(f);
}

/* not_ready with another reason code is a change; the same or no code is not. */
static void test_not_ready_reasons(void **state)
{
	(void)state;
	struct fx *f = fx_new(16);
	agent_event(f, "agent_not_ready", "200", NULL, "1", T0);
	has(f, "\"reason\":\"1\"");
	agent_event(f, "agent_not_ready", "200", NULL, "1", T0 + 1000);
	agent_event(f, "agent_not_ready", "200", NULL, NULL, T0 + 2000);
	assert_int_equal(f->ctr.agent_state_changes, 1);
	agent_event(f, "agent_not_ready", "200", NULL, "7", T0 + 3000000);
	assert_int_equal(f->ctr.agent_state_changes, 2);
	has(f, "\"state\":\"not_ready\",\"previous\":\"not_ready\",\"previous_ms\":3000,\"reason\":\"7\"");
	times_are(f, "200", T0 + 4000000, 0, 0, 4000000, 0, 0);
	fx_free(f);
}

/* Calls: only known agent devices; two calls at once go back after the second; CTI's busy does
 * not end the call's hold; a non-busy CTI state does, so a late release changes nothing. */
static void test_calls(void **state)
{
	(void)state;
	struct fx *f = fx_new(16);
	ct_agents_call(f->a, "trunk-1", true, T0);
	ct_agents_call(f->a, "trunk-1", false, T0 + 1);
	ct_agents_call(f->a, NULL, true, T0);
	assert_null(state_of(f, "trunk-1"));
	assert_int_equal(f->ctr.agent_state_changes, 0);

	agent_event(f, "agent_ready", "300", NULL, NULL, T0);
	ct_agents_call(f->a, "300", true, T0 + 1000000);
	agent_event(f, "agent_busy", "300", NULL, NULL, T0 + 1000100);   /* the ACD says so too */
	ct_agents_call(f->a, "300", true, T0 + 2000000);                 /* consultation */
	ct_agents_call(f->a, "300", false, T0 + 3000000);
	assert_string_equal(state_of(f, "300"), "busy");
	ct_agents_call(f->a, "300", false, T0 + 4000000);
	assert_string_equal(state_of(f, "300"), "ready");
	assert_int_equal(f->ctr.agent_state_changes, 3);
	times_are(f, "300", T0 + 5000000, 0, 2000000, 0, 0, 3000000);
	ct_agents_call(f->a, "300", false, T0 + 5000000); /* a release too many: ignored */
	assert_int_equal(f->ctr.agent_state_changes, 3);

	/* not ready before the call: back to not_ready (its reason code is not carried through) */
	agent_event(f, "agent_not_ready", "301", "A2", "44", T0);
	ct_agents_call(f->a, "301", true, T0 + 1000000);
	ct_agents_call(f->a, "301", false, T0 + 2000000);
	has(f, "\"device\":\"301\",\"agent_id\":\"A2\",\"state\":\"not_ready\",\"previous\":\"busy\"");
	lacks(f, "reason");

	/* logged off during the call: the release leaves it logged off */
	agent_event(f, "agent_ready", "302", NULL, NULL, T0);
	ct_agents_call(f->a, "302", true, T0 + 1000000);
	agent_event(f, "agent_logged_off", "302", NULL, NULL, T0 + 1500000);
	ct_agents_call(f->a, "302", false, T0 + 2000000);
	assert_string_equal(state_of(f, "302"), "logged_off");
	/* and the next call still makes it busy */
	ct_agents_call(f->a, "302", true, T0 + 3000000);
	assert_string_equal(state_of(f, "302"), "busy");
	ct_agents_call(f->a, "302", false, T0 + 4000000);
	assert_string_equal(state_of(f, "302"), "logged_off");
	times_are(f, "302", T0 + 4000000, 1500000, 1000000, 0, 0, 1500000);
	fx_free(f);
}

/* What is not an agent event, or names no device, is ignored; the monitored device stands in
 * for a missing agentDevice; out-of-order packet time never counts negative time. */
static void test_inputs(void **state)
{
	(void)state;
	struct fx *f = fx_new(16);
	struct ct_csta_msg m;
	memset(&m, 0, sizeof(m));
	m.kind = CT_CSTA_EVENT;
	snprintf(m.name, sizeof(m.name), "delivered");
	m.nid = (uint8_t)ct_csta_name_of(m.name);
	snprintf(m.subject, sizeof(m.subject), "100");
	ct_agents_csta(f->a, &m, NULL, T0);
	m.kind = CT_CSTA_REQUEST;
	snprintf(m.name, sizeof(m.name), "set_agent_state");
	m.nid = (uint8_t)ct_csta_name_of(m.name);
	snprintf(m.agent_state, sizeof(m.agent_state), "ready");
	ct_agents_csta(f->a, &m, NULL, T0);
	m.kind = CT_CSTA_EVENT;
	snprintf(m.name, sizeof(m.name), "agent_unheard_of");
	m.nid = (uint8_t)ct_csta_name_of(m.name);
	ct_agents_csta(f->a, &m, NULL, T0);
	agent_event(f, "agent_ready", "", NULL, NULL, T0);
	assert_int_equal(ct_agents_count(f->a), 0);
	assert_int_equal(f->ctr.agent_state_changes, 0);

	memset(&m, 0, sizeof(m));
	m.kind = CT_CSTA_EVENT;
	snprintf(m.name, sizeof(m.name), "agent_ready");
	m.nid = (uint8_t)ct_csta_name_of(m.name);
	ct_agents_csta(f->a, &m, "5001", T0 + 10);
	assert_string_equal(state_of(f, "5001"), "ready");

	snprintf(m.name, sizeof(m.name), "agent_not_ready");
	m.nid = (uint8_t)ct_csta_name_of(m.name);
	ct_agents_csta(f->a, &m, "5001", T0 + 5); /* older packet time (another link) */
	times_are(f, "5001", T0 + 5, 0, 0, 0, 0, 0);
	times_are(f, "5001", T0 + 20, 0, 0, 10, 0, 0);
	fx_free(f);
}

/* The cap: a new device past it evicts the least recently changed one, counted. */
static void test_eviction(void **state)
{
	(void)state;
	struct fx *f = fx_new(3);
	agent_event(f, "agent_ready", "A", NULL, NULL, T0 + 1);
	agent_event(f, "agent_ready", "B", NULL, NULL, T0 + 2);
	agent_event(f, "agent_ready", "C", NULL, NULL, T0 + 3);
	agent_event(f, "agent_ready", "A", NULL, NULL, T0 + 4);      /* no change: A stays oldest */
	agent_event(f, "agent_not_ready", "A", NULL, NULL, T0 + 5);  /* a change: B is oldest now */
	assert_int_equal(ct_agents_count(f->a), 3);
	agent_event(f, "agent_ready", "D", NULL, NULL, T0 + 6);
	assert_int_equal(ct_agents_count(f->a), 3);
	assert_int_equal(f->ctr.agents_evicted, 1);
	assert_null(state_of(f, "B"));
	assert_string_equal(state_of(f, "A"), "not_ready");
	ct_agents_call(f->a, "C", true, T0 + 7);                      /* C changes: A is oldest */
	agent_event(f, "agent_ready", "E", NULL, NULL, T0 + 8);
	assert_int_equal(f->ctr.agents_evicted, 2);
	assert_null(state_of(f, "A"));
	assert_non_null(state_of(f, "C"));
	assert_non_null(state_of(f, "D"));
	assert_non_null(state_of(f, "E"));
	assert_int_equal(f->ctr.agents_tracked, 5);
	/* a device evicted and seen again starts afresh */
	agent_event(f, "agent_ready", "B", NULL, NULL, T0 + 9);
	lacks(f, "previous");
	times_are(f, "B", T0 + 10, 0, 1, 0, 0, 0);
	fx_free(f);
}

/* The stats record's agents: every device in device order, ms per state up to the given time
 * (the summary, and the record the records layer writes from it). */
static void stats_agents(struct fx *f, ct_time_t now, char *out, size_t cap)
{
	struct ct_counters ctr;
	memset(&ctr, 0, sizeof(ctr));
	struct ct_stats_view v = { .ts = now, .final = true, .ctr = &ctr };
	v.nagents = ct_agents_summary(f->a, now, &v.agents);
	ct_rec_stats(&f->rw, &v);
	const char *a = strstr(f->rw.json.buf, "\"agents\":");
	assert_non_null(a);
	snprintf(out, cap, "%s", a);
}

static void test_summary(void **state)
{
	(void)state;
	struct fx *f = fx_new(16);
	char got[1024];
	const struct ct_agent_summary *sm;
	assert_int_equal(ct_agents_summary(f->a, T0, &sm), 0);
	stats_agents(f, T0, got, sizeof(got));
	assert_string_equal(got, "\"agents\":[]}");

	agent_event(f, "agent_logged_on", "4712", "A18", NULL, T0);
	agent_event(f, "agent_not_ready", "4712", NULL, "3", T0 + 2000);
	agent_event(f, "agent_ready", "4701", NULL, NULL, T0 + 1000000);
	ct_agents_call(f->a, "4701", true, T0 + 1500000);
	assert_int_equal(ct_agents_summary(f->a, T0 + 3999999, &sm), 2);
	assert_string_equal(sm[0].device, "4701");
	assert_int_equal(sm[0].state, CT_AGENT_BUSY);
	assert_int_equal(sm[0].us[CT_AGENT_READY], 500000);
	assert_int_equal(sm[0].us[CT_AGENT_BUSY], 2499999);
	assert_string_equal(sm[1].device, "4712");
	assert_string_equal(sm[1].reason, "3");
	stats_agents(f, T0 + 3999999, got, sizeof(got));
	assert_string_equal(got,
			    "\"agents\":["
			    "{\"device\":\"4701\",\"agent_id\":null,\"state\":\"busy\",\"reason\":null,\"ms\":"
			    "{\"logged_off\":0,\"ready\":500,\"not_ready\":0,\"work_after_call\":0,\"busy\":2499}},"
			    "{\"device\":\"4712\",\"agent_id\":\"A18\",\"state\":\"not_ready\",\"reason\":\"3\",\"ms\":"
			    "{\"logged_off\":0,\"ready\":0,\"not_ready\":3999,\"work_after_call\":0,\"busy\":0}}]}");
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_timeline),    cmocka_unit_test(test_not_ready_reasons),
		cmocka_unit_test(test_calls),       cmocka_unit_test(test_inputs),
		cmocka_unit_test(test_eviction),    cmocka_unit_test(test_summary),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
