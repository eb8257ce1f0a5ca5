/* test_calls.c - the customer-call correlator (correlator/calls.h) driven with the moments the
 * SIP and CSTA layers hand it, the records caught by an output of the test's own. The scenario
 * captures (tests/golden/test_scenarios.py) prove the rules on real bytes; these cases pin the
 * edges that a capture makes awkward: due times in the heap, merges that move legs, a busy
 * device, the caps, timers and hostile identifiers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "correlator/calls.h"
#include "decoders/csta_names.h"
#include "keep_records.h"

#define SEC 1000000ULL
#define MS 1000ULL
#define T0 (1767603600ULL * SEC)
#define LINK "10.1.0.5:1040-10.1.0.50:40000"


static struct ct_counters ctr;
static struct ct_records rw;
static struct ct_report rep;
static struct ct_calls *calls;
static const char *recorded = "2001";

static bool record_device(void *user, const char *device)
{
	(void)user;
	return recorded && strcmp(device, recorded) == 0;
}

static void setup_cfg(uint32_t max, ct_time_t idle)
{
	memset(&ctr, 0, sizeof(ctr));
	keep_init(&rw, &rep);
	struct ct_calls_cfg cfg = { .max_calls = max, .window = 3 * SEC, .settle = 3 * SEC, .csta_grace = 30 * SEC,
				    .idle = idle, .pause_on_hold = true };
	cfg.hooks.record_device = record_device;
	struct ct_hashkey hkey;
	ct_hashkey_fixed(&hkey, 5);
	assert_int_equal(ct_calls_new(&calls, &cfg, &hkey, &ctr, &rep), CT_OK);
}

static void setup(void)
{
	setup_cfg(1000, 3600 * SEC);
}

static void teardown(ct_time_t end)
{
	ct_calls_free(calls, end);
	calls = NULL;
	ct_records_free(&rw);
}

/* Records of a type, and the i-th of them. */
static unsigned count(const char *type)
{
	char k[48];
	snprintf(k, sizeof(k), "{\"type\":\"%s\"", type);
	unsigned n = 0;
	for (unsigned i = 0; i < nrecs; i++)
		n += strncmp(recs[i], k, strlen(k)) == 0;
	return n;
}

static const char *nth(const char *type, unsigned i)
{
	char k[48];
	snprintf(k, sizeof(k), "{\"type\":\"%s\"", type);
	for (unsigned j = 0; j < nrecs; j++)
		if (strncmp(recs[j], k, strlen(k)) == 0 && i-- == 0)
			return recs[j];
	return "";
}

/* ---- moments ---- */

/* The moment a SIP event name stands for (the tests read better with the names). */
static enum ct_sip_moment moment(const char *name)
{
	for (int m = 0; m < CT_SIP_M_COUNT; m++)
		if (strcmp(ct_sip_moment_name((enum ct_sip_moment)m), name) == 0)
			return (enum ct_sip_moment)m;
	fail_msg("no SIP moment %s", name);
	return CT_SIP_M_MESSAGE;
}

static const char *sip(const char *cid, const char *name, ct_time_t ts, const char *calling, const char *called)
{
	struct ct_calls_sip s = { .call_id = cid, .moment = moment(name), .ts = ts, .calling = calling, .called = called };
	return ct_calls_sip(calls, &s);
}

static const char *sip_end(const char *cid, ct_time_t ts, bool answered, bool bye)
{
	struct ct_calls_sip s = { .call_id = cid, .moment = CT_SIP_M_DIALOG_END, .ts = ts, .answered = answered,
				  .bye_seen = bye, .end_reason = bye ? CT_DEND_ENDED : CT_DEND_TIMEOUT,
				  .disposition = answered ? CT_DISP_ANSWERED : CT_DISP_FAILED };
	return ct_calls_sip(calls, &s);
}

static const char *csta(const char *name, const char *call_id, const char *dev, ct_time_t ts)
{
	struct ct_csta_msg m;
	memset(&m, 0, sizeof(m));
	m.kind = CT_CSTA_EVENT;
	snprintf(m.name, sizeof(m.name), "%s", name);
	snprintf(m.conn.call_id, sizeof(m.conn.call_id), "%s", call_id);
	snprintf(m.subject, sizeof(m.subject), "%s", dev);
	m.nid = (uint8_t)ct_csta_name_of(name);
	struct ct_calls_csta in = { .link = LINK, .msg = &m, .ts = ts };
	return ct_calls_csta(calls, &in);
}

static const char *xfer(const char *name, const char *primary, const char *secondary, const char *from,
			const char *to, ct_time_t ts)
{
	struct ct_csta_msg m;
	memset(&m, 0, sizeof(m));
	m.kind = CT_CSTA_EVENT;
	snprintf(m.name, sizeof(m.name), "%s", name);
	snprintf(m.conn.call_id, sizeof(m.conn.call_id), "%s", primary);
	snprintf(m.conn2.call_id, sizeof(m.conn2.call_id), "%s", secondary);
	snprintf(m.subject, sizeof(m.subject), "%s", from);
	snprintf(m.other, sizeof(m.other), "%s", to);
	m.nid = (uint8_t)ct_csta_name_of(name);
	struct ct_calls_csta in = { .link = LINK, .msg = &m, .ts = ts };
	return ct_calls_csta(calls, &in);
}

/* ---- cases ---- */

/* A SIP dialog and the CSTA call at the same device within the window are one call, written
 * settle after the last leg ended, with the device_time evidence; the CTI lag is Delivered
 * minus the INVITE. */
static void test_join_and_settle(void **state)
{
	(void)state;
	setup();
	char id[40];
	snprintf(id, sizeof(id), "%s", sip("a@x", "invite", T0, "+4930111", "2001"));
	assert_string_equal(csta("delivered", "c1", "2001", T0 + 40 * MS), id);
	sip("a@x", "answer", T0 + 2 * SEC, NULL, NULL);
	assert_string_equal(csta("established", "c1", "2001", T0 + 2 * SEC + 30 * MS), id);
	sip("a@x", "bye", T0 + 5 * SEC, NULL, NULL);
	csta("connection_cleared", "c1", "2001", T0 + 5 * SEC + 30 * MS);
	sip_end("a@x", T0 + 5 * SEC, true, true);
	ct_calls_tick(calls, T0 + 7 * SEC);
	assert_int_equal(count("call"), 0); /* settle: 3 s after the last leg ended */
	ct_calls_tick(calls, T0 + 8 * SEC + 30 * MS);
	assert_int_equal(count("call"), 1);
	const char *c = nth("call", 0);
	assert_non_null(strstr(c, "\"method\":\"device_time\""));
	assert_non_null(strstr(c, "\"cti_lag_ms\":40"));
	assert_non_null(strstr(c, "\"direction\":\"inbound\""));
	/* recording of 2001 from its answer (SIP, the earlier sign) to its release */
	assert_int_equal(count("recording"), 2);
	assert_non_null(strstr(nth("recording", 0), "\"action\":\"start\""));
	assert_non_null(strstr(c, "\"intervals\":[{\"start\":\"2026-01-05T09:00:02.000000Z\""));
	teardown(T0 + 9 * SEC);
}

/* The due times sit in a heap: calls ending in another order than they began are written in
 * the order they become due, each exactly once. */
static void test_heap_order(void **state)
{
	(void)state;
	setup();
	char cid[32];
	for (int i = 0; i < 50; i++) {
		snprintf(cid, sizeof(cid), "h%d@x", i);
		sip(cid, "invite", T0 + (ct_time_t)i * MS, "+49301", "9999");
	}
	/* end them in reverse, 100 ms apart */
	for (int i = 49; i >= 0; i--) {
		snprintf(cid, sizeof(cid), "h%d@x", i);
		sip_end(cid, T0 + SEC + (ct_time_t)(49 - i) * 100 * MS, false, false);
	}
	ct_calls_tick(calls, T0 + 4 * SEC + 2450 * MS); /* due: 4 s + (49 - i) * 100 ms */
	assert_int_equal(count("call"), 25);
	for (unsigned k = 0; k < 25; k++) {
		snprintf(cid, sizeof(cid), "\"sip\":[\"h%u@x\"]", 49 - k);
		assert_non_null(strstr(nth("call", k), cid));
	}
	ct_calls_tick(calls, T0 + 60 * SEC);
	assert_int_equal(count("call"), 50);
	teardown(T0 + 61 * SEC);
	assert_int_equal(count("call"), 50);
}

/* A consultation call merges into the customer's call at Transferred: the older id stays, the
 * other is listed in merged, the consultation leg is over, the transferring device leaves with
 * reason transferred. */
static void test_consultation_merge(void **state)
{
	(void)state;
	setup();
	char c1[40], c2[40];
	snprintf(c1, sizeof(c1), "%s", csta("delivered", "C1", "2001", T0));
	csta("established", "C1", "2001", T0 + SEC);
	csta("held", "C1", "2001", T0 + 2 * SEC);
	snprintf(c2, sizeof(c2), "%s", csta("service_initiated", "C2", "2001", T0 + 2 * SEC + 100 * MS));
	assert_string_not_equal(c1, c2); /* the same device, another call on the link: not joined */
	csta("delivered", "C2", "2002", T0 + 3 * SEC);
	csta("established", "C2", "2002", T0 + 4 * SEC);
	assert_string_equal(xfer("transferred", "C1", "C2", "2001", "2002", T0 + 5 * SEC), c1);
	/* the callID of the consultation is now the customer's call */
	assert_string_equal(csta("connection_cleared", "C1", "2002", T0 + 9 * SEC), c1);
	ct_calls_tick(calls, T0 + 13 * SEC);
	assert_int_equal(count("call"), 1);
	const char *c = nth("call", 0);
	char m[64];
	snprintf(m, sizeof(m), "\"merged\":[\"%s\"]", c2);
	assert_non_null(strstr(c, m));
	assert_non_null(strstr(c, "\"transfers\":[{\"from\":\"2001\",\"to\":\"2002\",\"kind\":\"consultation\""));
	assert_non_null(strstr(c, "\"hold_ms\":3000")); /* the transfer reconnects the held customer */
	assert_non_null(strstr(c, "\"holds\":1"));
	/* 2001 recorded from its answer, paused at hold, stopped when it transferred away */
	assert_non_null(strstr(nth("recording", 2), "\"action\":\"stop\""));
	assert_non_null(strstr(nth("recording", 2), "\"reason\":\"transferred\""));
	teardown(T0 + 14 * SEC);
}

/* A busy device: a second call delivered to it on the same link while the first is up is
 * another call, whatever the time window says. */
static void test_busy_device(void **state)
{
	(void)state;
	setup();
	char a[40];
	snprintf(a, sizeof(a), "%s", csta("delivered", "A", "2001", T0));
	csta("established", "A", "2001", T0 + SEC);
	assert_string_not_equal(csta("delivered", "B", "2001", T0 + 1500 * MS), a);
	teardown(T0 + 5 * SEC);
	assert_int_equal(count("call"), 2);
}

/* The cap: past calls.max the oldest call is written early with an evicted audit; nothing is
 * lost and memory stays bounded. */
static void test_cap(void **state)
{
	(void)state;
	setup_cfg(16, 0);
	char cid[32];
	for (int i = 0; i < 100; i++) {
		snprintf(cid, sizeof(cid), "cap%d@x", i);
		sip(cid, "invite", T0 + (ct_time_t)i * MS, "+49301", "9999");
	}
	assert_int_equal(ctr.calls_evicted, 84);
	assert_int_equal(count("call"), 84);
	unsigned ev = 0;
	for (unsigned i = 0; i < nrecs; i++)
		ev += strstr(recs[i], "\"kind\":\"evicted\"") && strstr(recs[i], "{\"type\":\"audit\"") == recs[i];
	assert_int_equal(ev, 84);
	teardown(T0 + SEC);
	assert_int_equal(count("call"), 100);
}

/* A call whose CTI never cleared it is written csta_grace after its SIP dialog ended, with a
 * missing_event audit; one without news for calls.idle_timeout_s is written too. */
static void test_timers(void **state)
{
	(void)state;
	setup_cfg(1000, 600 * SEC);
	sip("g@x", "invite", T0, "+4930111", "2003");
	csta("delivered", "G", "2003", T0 + 30 * MS);
	sip("g@x", "answer", T0 + SEC, NULL, NULL);
	sip("g@x", "bye", T0 + 4 * SEC, NULL, NULL);
	sip_end("g@x", T0 + 4 * SEC, true, true);
	ct_calls_tick(calls, T0 + 33 * SEC);
	assert_int_equal(count("call"), 0);
	ct_calls_tick(calls, T0 + 34 * SEC);
	assert_int_equal(count("call"), 1);
	assert_non_null(strstr(nth("call", 0), "no clearing event was seen"));
	csta("delivered", "I", "2004", T0 + 40 * SEC); /* never heard of again */
	ct_calls_tick(calls, T0 + 639 * SEC);
	assert_int_equal(count("call"), 1);
	ct_calls_tick(calls, T0 + 640 * SEC);
	assert_int_equal(count("call"), 2);
	teardown(T0 + 641 * SEC);
}

/* Hostile identifiers: a REFER naming any Call-ID, a Replaces pointing at a dialog that does
 * not exist, over-long ids and packet time going backwards do not crash nor merge calls that
 * were not named. */
static void test_hostile(void **state)
{
	(void)state;
	setup();
	char longid[600];
	memset(longid, 'x', sizeof(longid) - 1);
	longid[sizeof(longid) - 1] = '\0';
	char a[40];
	snprintf(a, sizeof(a), "%s", sip("one@x", "invite", T0, longid, longid));
	struct ct_calls_sip s = { .call_id = "two@x", .moment = CT_SIP_M_INVITE, .ts = T0 - 10 * SEC, .calling = "+1",
				  .called = "2", .replaces = "nosuch%40x;to-tag=1" };
	assert_string_not_equal(ct_calls_sip(calls, &s), a);
	struct ct_calls_sip r = { .call_id = "one@x", .moment = CT_SIP_M_REFER, .ts = T0 + SEC, .calling = "2001",
				  .refer_to = "2002", .refer_replaces = "nosuch%40x%3Bto-tag%3D1" };
	assert_string_equal(ct_calls_sip(calls, &r), a);
	assert_null(csta("delivered", "", "2001", T0)); /* no callID: no call */
	assert_string_equal(csta("delivered", longid, longid, T0 + 2 * SEC),
			    csta("established", longid, longid, T0 + 3 * SEC));
	teardown(T0 + 4 * SEC);
	assert_int_equal(ctr.calls_merged, 0);
}

/* A REFER's Replaces joins the replaced dialog only when it names that dialog's tags and the
 * dialog is still up: naming any Call-ID pulls nothing in. */
static void test_replaces(void **state)
{
	(void)state;
	setup();
	struct ct_calls_sip a = { .call_id = "cust@x", .moment = CT_SIP_M_INVITE, .ts = T0, .calling = "+4930111", .called = "2001",
				  .from_tag = "f1" };
	char ida[40], idb[40];
	snprintf(ida, sizeof(ida), "%s", ct_calls_sip(calls, &a));
	struct ct_calls_sip b = { .call_id = "cons@x", .moment = CT_SIP_M_INVITE, .ts = T0 + 5 * SEC, .calling = "2001",
				  .called = "2002", .from_tag = "f2" };
	snprintf(idb, sizeof(idb), "%s", ct_calls_sip(calls, &b));
	struct ct_calls_sip b2 = { .call_id = "cons@x", .moment = CT_SIP_M_ANSWER, .ts = T0 + 6 * SEC, .from_tag = "f2",
				   .to_tag = "t2" };
	ct_calls_sip(calls, &b2);
	assert_string_not_equal(ida, idb);
	/* wrong to-tag: refused */
	struct ct_calls_sip r = { .call_id = "cust@x", .moment = CT_SIP_M_REFER, .ts = T0 + 7 * SEC, .calling = "2001",
				  .refer_to = "2002", .refer_replaces = "cons%40x%3Bto-tag%3Dnope%3Bfrom-tag%3Df2" };
	ct_calls_sip(calls, &r);
	assert_int_equal(ctr.calls_merged, 0);
	/* the dialog's own tags, either way round: merged into the older call */
	r.refer_replaces = "cons%40x%3Bto-tag%3Df2%3Bfrom-tag%3Dt2";
	assert_string_equal(ct_calls_sip(calls, &r), ida);
	assert_int_equal(ctr.calls_merged, 1);
	struct ct_calls_sip again = { .call_id = "cons@x", .moment = CT_SIP_M_BYE, .ts = T0 + 8 * SEC };
	assert_string_equal(ct_calls_sip(calls, &again), ida);
	teardown(T0 + 9 * SEC);
	assert_int_equal(count("call"), 1);
	assert_non_null(strstr(nth("call", 0), "REFER in cust@x replaces dialog cons@x"));
}

/* Diverted (no answer at 2001, forwarded to 2002) is a diversion of the same call; a queued call
 * gets its queue time from Queued to the Delivered at the agent. */
static void test_diversion_queue(void **state)
{
	(void)state;
	setup();
	char id[40];
	snprintf(id, sizeof(id), "%s", csta("queued", "Q", "6000", T0));
	assert_string_equal(csta("delivered", "Q", "2001", T0 + 8 * SEC), id);
	assert_string_equal(xfer("diverted", "Q", "", "2001", "2002", T0 + 20 * SEC), id);
	assert_string_equal(csta("delivered", "Q", "2002", T0 + 20 * SEC + 10 * MS), id);
	csta("established", "Q", "2002", T0 + 22 * SEC);
	csta("connection_cleared", "Q", "2002", T0 + 30 * SEC);
	teardown(T0 + 40 * SEC);
	const char *c = nth("call", 0);
	assert_non_null(strstr(c, "\"diversions\":[{\"from\":\"2001\",\"to\":\"2002\",\"kind\":\"diversion\""));
	assert_non_null(strstr(c, "\"queue_ms\":8000"));
	assert_non_null(strstr(c, "\"disposition\":\"answered\""));
	/* 2001 rang and never answered, 2002 answered: both are parties, in that order; the queue
	 * is not a party */
	assert_non_null(strstr(c, "\"parties\":[{\"device\":\"2001\",\"alerted\":\"2026-01-05T09:00:08.000000Z\",\"answered\":null,\"released\":\"2026-01-05T09:00:20.000000Z\""));
	assert_non_null(strstr(c, "{\"device\":\"2002\",\"alerted\":\"2026-01-05T09:00:20.010000Z\",\"answered\":\"2026-01-05T09:00:22.000000Z\""));
	assert_null(strstr(c, "\"device\":\"6000\""));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_join_and_settle), cmocka_unit_test(test_heap_order),
		cmocka_unit_test(test_consultation_merge), cmocka_unit_test(test_busy_device),
		cmocka_unit_test(test_cap), cmocka_unit_test(test_timers),
		cmocka_unit_test(test_hostile), cmocka_unit_test(test_replaces),
		cmocka_unit_test(test_diversion_queue),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
