/* test_cstalink_audit.c - the audits of a CSTA link (correlator/cstalink.h): duplicate_event,
 * unknown_monitor, missing_response and cti_blind, driven with normalised messages as the
 * decoders hand them over, the records caught by an output of the test's own. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "correlator/calls.h"
#include "keep_records.h"
#include "correlator/cstalink.h"
#include "decoders/csta_names.h"

#define SEC 1000000ULL
#define T0 (1767603600ULL * SEC)


struct fixture {
	struct ct_counters ctr;
	struct ct_records rw;
	struct ct_report rep;
	struct ct_cstalinks *links;
	struct ct_calls *calls;
};

static struct fixture fx;

static void setup(bool with_calls)
{
	memset(&fx, 0, sizeof(fx));
	keep_init(&fx.rw, &fx.rep);
	assert_int_equal(ct_cstalinks_new(&fx.links, 16, &fx.ctr, &fx.rep), CT_OK);
	if (with_calls) {
		struct ct_calls_cfg cc = { .max_calls = 1000, .window = 3 * SEC, .settle = 3 * SEC };
		struct ct_hashkey hkey;
		ct_hashkey_fixed(&hkey, 5);
		assert_int_equal(ct_calls_new(&fx.calls, &cc, &hkey, &fx.ctr, &fx.rep), CT_OK);
		ct_cstalinks_set_calls(fx.links, fx.calls);
	}
}

static void teardown(ct_time_t end)
{
	ct_cstalinks_end(fx.links, end);
	ct_cstalinks_free(fx.links);
	if (fx.calls)
		ct_calls_free(fx.calls, end);
	ct_records_free(&fx.rw);
}

/* Audit records of `kind`; *first (if given) gets the first of them. */
static unsigned audits(const char *kind, const char **first)
{
	char k[64];
	snprintf(k, sizeof(k), "\"kind\":\"%s\"", kind);
	unsigned n = 0;
	for (unsigned i = 0; i < nrecs; i++)
		if (strncmp(recs[i], "{\"type\":\"audit\"", 15) == 0 && strstr(recs[i], k)) {
			if (!n && first)
				*first = recs[i];
			n++;
		}
	return n;
}

/* The i-th audit of kind (0-based), or "" */
static const char *audit_n(const char *kind, unsigned i)
{
	char k[64];
	snprintf(k, sizeof(k), "\"kind\":\"%s\"", kind);
	for (unsigned j = 0; j < nrecs; j++)
		if (strncmp(recs[j], "{\"type\":\"audit\"", 15) == 0 && strstr(recs[j], k) && i-- == 0)
			return recs[j];
	return "";
}

/* ---- messages: a PBX 10.0.0.<pbx>:1040 and a client 10.0.0.20:<port> ---- */

static struct ct_csta_meta meta_of(uint64_t flow, uint8_t pbx, uint16_t cport, bool from_pbx, ct_time_t ts)
{
	struct ct_csta_meta mt;
	memset(&mt, 0, sizeof(mt));
	struct ct_addr p, c;
	memset(&p, 0, sizeof(p));
	memset(&c, 0, sizeof(c));
	p.a[10] = p.a[11] = 0xff;
	c.a[10] = c.a[11] = 0xff;
	p.a[12] = c.a[12] = 10;
	p.a[15] = pbx;
	c.a[15] = 20;
	mt.ts = ts;
	mt.flow_id = flow;
	mt.src = from_pbx ? p : c;
	mt.dst = from_pbx ? c : p;
	mt.sport = from_pbx ? 1040 : cport;
	mt.dport = from_pbx ? cport : 1040;
	mt.framing = CT_CSTA_F_XML;
	mt.xml_invoke_id = -1;
	return mt;
}

static struct ct_csta_msg msg;

static struct ct_csta_msg *mk(enum ct_csta_kind kind, const char *name, int64_t invoke)
{
	memset(&msg, 0, sizeof(msg));
	msg.encoding = CT_CSTA_XML;
	msg.kind = (uint8_t)kind;
	msg.opcode = -1;
	msg.has_invoke_id = true;
	msg.invoke_id = invoke;
	snprintf(msg.name, sizeof(msg.name), "%s", name);
	msg.nid = (uint8_t)ct_csta_name_of(name);
	return &msg;
}

static void ev(uint64_t flow, uint8_t pbx, ct_time_t ts, const char *name, const char *xref, const char *call,
	       const char *dev, const char *state)
{
	struct ct_csta_msg *m = mk(CT_CSTA_EVENT, name, 9999);
	snprintf(m->category, sizeof(m->category), "call_control");
	snprintf(m->xref, sizeof(m->xref), "%s", xref);
	snprintf(m->conn.call_id, sizeof(m->conn.call_id), "%s", call);
	snprintf(m->conn.device, sizeof(m->conn.device), "%s", dev);
	snprintf(m->subject, sizeof(m->subject), "%s", dev);
	snprintf(m->local_state, sizeof(m->local_state), "%s", state);
	struct ct_csta_meta mt = meta_of(flow, pbx, 50000 + (uint16_t)flow, true, ts);
	ct_cstalinks_message(fx.links, m, &mt);
}

/* MonitorStart for dev from the client (invoke id), answered with xref after 100 ms. */
static void monitor(uint64_t flow, uint8_t pbx, ct_time_t ts, int64_t invoke, const char *dev, const char *xref)
{
	struct ct_csta_msg *m = mk(CT_CSTA_REQUEST, "monitor_start", invoke);
	snprintf(m->monitor_device, sizeof(m->monitor_device), "%s", dev);
	struct ct_csta_meta mt = meta_of(flow, pbx, 50000 + (uint16_t)flow, false, ts);
	ct_cstalinks_message(fx.links, m, &mt);
	m = mk(CT_CSTA_RESULT, "monitor_start", invoke);
	snprintf(m->xref, sizeof(m->xref), "%s", xref);
	mt = meta_of(flow, pbx, 50000 + (uint16_t)flow, true, ts + SEC / 10);
	ct_cstalinks_message(fx.links, m, &mt);
}

static void request(uint64_t flow, ct_time_t ts, const char *name, int64_t invoke, const char *call, const char *xref)
{
	struct ct_csta_msg *m = mk(CT_CSTA_REQUEST, name, invoke);
	snprintf(m->conn.call_id, sizeof(m->conn.call_id), "%s", call);
	snprintf(m->xref, sizeof(m->xref), "%s", xref);
	struct ct_csta_meta mt = meta_of(flow, 10, 50000 + (uint16_t)flow, false, ts);
	ct_cstalinks_message(fx.links, m, &mt);
}

static void answer(uint64_t flow, ct_time_t ts, const char *name, int64_t invoke)
{
	struct ct_csta_msg *m = mk(CT_CSTA_RESULT, name, invoke);
	struct ct_csta_meta mt = meta_of(flow, 10, 50000 + (uint16_t)flow, true, ts);
	ct_cstalinks_message(fx.links, m, &mt);
}

/* ---- tests ---- */

/* The same event twice for one monitor is a duplicate; the same event for another monitor,
 * hold/retrieve/hold, and a repeat after the window are not. The call record lists it. */
static void test_duplicate_event(void **state)
{
	(void)state;
	setup(true);
	monitor(1, 10, T0, 1, "100", "x1");
	monitor(1, 10, T0, 2, "200", "x2");
	ev(1, 10, T0 + SEC, "delivered", "x1", "C1", "100", "alerting");
	ev(1, 10, T0 + SEC + 35000, "delivered", "x1", "C1", "100", "alerting"); /* duplicate, 35 ms */
	ev(1, 10, T0 + SEC + 40000, "delivered", "x2", "C1", "100", "alerting"); /* other monitor */
	ev(1, 10, T0 + 3 * SEC, "held", "x1", "C1", "100", "hold");
	ev(1, 10, T0 + 3 * SEC + 500000, "retrieved", "x1", "C1", "100", "connected");
	ev(1, 10, T0 + 4 * SEC, "held", "x1", "C1", "100", "hold"); /* a second hold, not a copy */
	ev(1, 10, T0 + 7 * SEC, "held", "x1", "C1", "100", "hold"); /* 3 s later: outside the window */
	const char *a = NULL;
	assert_int_equal(audits("duplicate_event", &a), 1);
	assert_non_null(strstr(a, "\"detail\":\"delivered for monitor x1 (device 100), call C1, device 100 seen again 35 ms"));
	assert_non_null(strstr(a, "\"call\":\"csta-"));
	assert_non_null(strstr(a, "\"link\":\""));
	assert_int_equal(fx.ctr.csta_dup_events, 1);
	ev(1, 10, T0 + 8 * SEC, "connection_cleared", "x1", "C1", "100", "null");
	ev(1, 10, T0 + 8 * SEC, "connection_cleared", "x2", "C1", "100", "null");
	teardown(T0 + 20 * SEC);
	unsigned calls = 0;
	for (unsigned i = 0; i < nrecs; i++)
		if (strncmp(recs[i], "{\"type\":\"call\"", 14) == 0) {
			calls++;
			assert_non_null(strstr(recs[i], "\"audit\":[{\"kind\":\"duplicate_event\""));
		}
	assert_int_equal(calls, 1);
}

/* A PBX that hands out an xref again for another device (its monitor ended unseen): the
 * xref's events are then that device's, whether its name is longer or shorter. */
static void test_monitor_reissued(void **state)
{
	(void)state;
	setup(false);
	char longdev[CT_CSTA_DEV];
	memset(longdev, '7', sizeof longdev - 1);
	longdev[sizeof longdev - 1] = '\0';
	const char *devs[] = {"100", longdev, "200"};
	char want[256];
	for (unsigned i = 0; i < 3; i++) {
		ct_time_t at = T0 + 10 * SEC * i;
		monitor(1, 10, at, 1 + (int64_t)i, devs[i], "x1");
		ev(1, 10, at + SEC, "delivered", "x1", "C1", devs[i], "alerting");
		ev(1, 10, at + SEC + 1000, "delivered", "x1", "C1", devs[i], "alerting"); /* duplicate */
		assert_int_equal(audits("duplicate_event", NULL), i + 1);
		snprintf(want, sizeof want, "delivered for monitor x1 (device %s), call C1", devs[i]);
		assert_non_null(strstr(audit_n("duplicate_event", i), want));
	}
	assert_int_equal(fx.ctr.csta_monitors_dropped, 0);
	teardown(T0 + 40 * SEC);
}

/* Events for an xref no MonitorStart returned: one audit per xref, every event counted; none
 * before the link has shown a MonitorStart result. */
static void test_unknown_monitor(void **state)
{
	(void)state;
	setup(false);
	ev(2, 10, T0, "delivered", "x9", "C9", "900", "alerting"); /* no MonitorStart seen yet */
	monitor(1, 10, T0, 1, "100", "x1");
	ev(1, 10, T0 + SEC, "delivered", "x1", "C1", "100", "alerting");
	ev(1, 10, T0 + SEC, "delivered", "x7", "C2", "700", "alerting");
	ev(1, 10, T0 + 2 * SEC, "established", "x7", "C2", "700", "connected");
	ev(1, 10, T0 + 3 * SEC, "connection_cleared", "x7", "C2", "700", "null");
	ev(1, 10, T0 + 3 * SEC, "delivered", "x8", "C3", "800", "alerting");
	const char *a = NULL;
	assert_int_equal(audits("unknown_monitor", &a), 2);
	assert_non_null(strstr(a, "events for monitor x7 on link "));
	assert_non_null(strstr(a, "(first: delivered, call C2, device 700)"));
	assert_int_equal(fx.ctr.csta_unknown_xref, 4);
	assert_int_equal(fx.ctr.csta_unknown_monitors, 2);
	teardown(T0 + 4 * SEC);
}

/* csta.max_monitors (a link) and csta.max_monitors_total (all links): a MonitorStart result past
 * either is counted and not kept, so its device's events name an xref ctitap does not know;
 * the monitors kept work as before. */
static void test_monitor_caps(void **state)
{
	(void)state;
	setup(false);
	ct_cstalinks_set_monitor_caps(fx.links, 3, 5);
	char dev[8], xref[8];
	for (int i = 1; i <= 4; i++) { /* link 1: the 4th is past its cap of 3 */
		snprintf(dev, sizeof dev, "10%d", i);
		snprintf(xref, sizeof xref, "x%d", i);
		monitor(1, 10, T0, i, dev, xref);
	}
	assert_int_equal(fx.ctr.csta_monitors_dropped, 1);
	for (int i = 1; i <= 3; i++) { /* link 2: the 3rd is past the total of 5 */
		snprintf(dev, sizeof dev, "20%d", i);
		snprintf(xref, sizeof xref, "y%d", i);
		monitor(2, 11, T0, i, dev, xref);
	}
	assert_int_equal(fx.ctr.csta_monitors_dropped, 2);
	ev(1, 10, T0 + SEC, "delivered", "x3", "C1", "103", "alerting");
	ev(2, 11, T0 + SEC, "delivered", "y2", "C2", "202", "alerting");
	assert_int_equal(fx.ctr.csta_unknown_xref, 0);
	ev(1, 10, T0 + SEC, "delivered", "x4", "C3", "104", "alerting");
	ev(2, 11, T0 + SEC, "delivered", "y3", "C4", "203", "alerting");
	assert_int_equal(fx.ctr.csta_unknown_xref, 2);
	/* a monitor stopped on link 1 makes room under the total: link 2 keeps its next one */
	request(1, T0 + 2 * SEC, "monitor_stop", 9, "", "x1");
	monitor(2, 11, T0 + 2 * SEC, 4, "204", "y4");
	assert_int_equal(fx.ctr.csta_monitors_dropped, 2);
	ev(2, 11, T0 + 3 * SEC, "delivered", "y4", "C5", "204", "alerting");
	assert_int_equal(fx.ctr.csta_unknown_xref, 2);
	monitor(2, 11, T0 + 3 * SEC, 5, "205", "y5"); /* the total again */
	assert_int_equal(fx.ctr.csta_monitors_dropped, 3);
	teardown(T0 + 4 * SEC);
}

/* A request unanswered after csta.response_timeout_ms; an answered one is not reported. */
static void test_missing_response(void **state)
{
	(void)state;
	setup(false);
	ct_cstalinks_set_audit(fx.links, 10 * SEC, 2 * SEC);
	request(1, T0 + SEC, "clear_connection", 6, "C1", "");
	request(1, T0 + SEC, "make_call", 7, "", "");
	answer(1, T0 + SEC + 200000, "make_call", 7);
	ct_cstalinks_tick(fx.links, T0 + 10 * SEC + 500000); /* 9.5 s */
	assert_int_equal(audits("missing_response", NULL), 0);
	ct_cstalinks_tick(fx.links, T0 + 11 * SEC);
	const char *a = NULL;
	assert_int_equal(audits("missing_response", &a), 1);
	assert_non_null(strstr(a, "\"detail\":\"clear_connection (invoke 6) got no response within 10000 ms on link "));
	assert_non_null(strstr(a, ", call C1\""));
	ct_cstalinks_tick(fx.links, T0 + 12 * SEC); /* reported once */
	assert_int_equal(fx.ctr.csta_missing_responses, 1);
	/* still pending when the link goes down: reported then */
	request(1, T0 + 20 * SEC, "answer_call", 8, "C2", "");
	ct_cstalinks_down(fx.links, 1, T0 + 20 * SEC + 100000, "tcp reset");
	assert_int_equal(audits("missing_response", NULL), 2);
	assert_non_null(strstr(audit_n("missing_response", 1), "answer_call (invoke 8) got no response before the link "
								"went down (tcp reset)"));
	teardown(T0 + 30 * SEC);
}

/* A TCP hole in what the PBX sends: blind from the last bytes before it to the next message
 * from the PBX (a client request in between does not end it). */
static void test_blind_gap(void **state)
{
	(void)state;
	setup(false);
	ev(1, 10, T0 + SEC, "delivered", "x1", "C1", "100", "alerting");
	struct ct_csta_meta mt = meta_of(1, 10, 50001, true, T0 + SEC + 250000);
	ct_cstalinks_gap(fx.links, &mt, 300);
	request(1, T0 + 2 * SEC, "answer_call", 3, "C1", "");
	assert_int_equal(audits("cti_blind", NULL), 0);
	ev(1, 10, T0 + 3 * SEC + 750000, "established", "x1", "C1", "100", "connected");
	const char *a = NULL;
	assert_int_equal(audits("cti_blind", &a), 1);
	assert_non_null(strstr(a, "blind for 2500 ms from 2026-01-05T09:00:01.250000Z (tcp gap of 300 bytes sent by the pbx)"));
	assert_int_equal(fx.ctr.cti_blind_periods, 1);
	teardown(T0 + 5 * SEC);
}

/* The link down: from the reset to the first message of a reconnect from the same PBX
 * address; from an ACSE abort to a standby server monitoring the same device; from a FIN to
 * the end of input when nothing comes back. Open calls on the link are counted. */
static void test_blind_down(void **state)
{
	(void)state;
	setup(true);
	monitor(1, 10, T0, 1, "100", "x1");
	ev(1, 10, T0 + SEC, "delivered", "x1", "C1", "100", "alerting");
	ct_cstalinks_down(fx.links, 1, T0 + 5 * SEC, "tcp reset");
	/* a link that was already up before the reset is no successor */
	ev(3, 12, T0 + 6 * SEC, "delivered", "y1", "D1", "300", "alerting");
	assert_int_equal(audits("cti_blind", NULL), 0);
	ev(2, 10, T0 + 7 * SEC + 250000, "delivered", "x5", "C7", "100", "alerting"); /* reconnect */
	const char *a = NULL;
	assert_int_equal(audits("cti_blind", &a), 1);
	assert_non_null(strstr(a, "blind for 2250 ms from 2026-01-05T09:00:05.000000Z (tcp reset), 1 open calls"));
	assert_non_null(strstr(a, "\"count\":1"));
	ct_cstalinks_close(fx.links, 1, T0 + 40 * SEC); /* learned late: nothing more */
	assert_int_equal(audits("cti_blind", NULL), 1);

	/* link 3 (PBX .12) aborts; a standby server (.13) starts monitoring device 300 */
	monitor(3, 12, T0 + 50 * SEC, 1, "300", "y1");
	struct ct_csta_msg *m = mk(CT_CSTA_ABRT, "abrt", 0);
	m->has_invoke_id = false;
	struct ct_csta_meta mt = meta_of(3, 12, 50003, true, T0 + 60 * SEC);
	ct_cstalinks_message(fx.links, m, &mt);
	monitor(4, 13, T0 + 61 * SEC + 400000, 1, "300", "z1");
	assert_int_equal(audits("cti_blind", NULL), 2);
	assert_non_null(strstr(audit_n("cti_blind", 1), "blind for 1400 ms from 2026-01-05T09:01:00.000000Z (acse abort)"));

	/* link 4 ends with a FIN and nothing comes back before the end of input */
	ct_cstalinks_down(fx.links, 4, T0 + 70 * SEC, "tcp fin");
	ct_cstalinks_close(fx.links, 4, T0 + 70 * SEC);
	teardown(T0 + 80 * SEC);
	assert_int_equal(audits("cti_blind", NULL), 3);
	assert_non_null(strstr(audit_n("cti_blind", 2), "blind for 10000 ms from 2026-01-05T09:01:10.000000Z (tcp fin)"));
}

/* A monitor ended (event) until a MonitorStart result for its device; a monitor stopped
 * (request) until the end of input. */
static void test_blind_monitor(void **state)
{
	(void)state;
	setup(false);
	monitor(1, 10, T0, 1, "100", "x1");
	monitor(1, 10, T0, 2, "200", "x2");
	ev(1, 10, T0 + 2 * SEC, "monitor_ended", "x1", "", "", "");
	ev(1, 10, T0 + 2 * SEC + 10000, "delivered", "x1", "C1", "100", "alerting"); /* late: not unknown */
	assert_int_equal(audits("unknown_monitor", NULL), 0);
	monitor(1, 10, T0 + 4 * SEC, 3, "100", "x3"); /* result at +4.1 s */
	const char *a = NULL;
	assert_int_equal(audits("cti_blind", &a), 1);
	assert_non_null(strstr(a, "blind for 2100 ms from 2026-01-05T09:00:02.000000Z (monitor ended for device 100, monitor x1)"));
	request(1, T0 + 5 * SEC, "monitor_stop", 4, "", "x2");
	teardown(T0 + 8 * SEC);
	assert_int_equal(audits("cti_blind", NULL), 2);
	assert_non_null(strstr(audit_n("cti_blind", 1), "blind for 3000 ms from 2026-01-05T09:00:05.000000Z (monitor stopped for "
							"device 200, monitor x2)"));
}

/* ---- csta.max_links full (16 here): who gives way (link_get) ---- */

/* A fake link: one message from its client side, a valid request or an unknown one. */
static void fake(uint64_t flow, ct_time_t ts, bool valid)
{
	struct ct_csta_msg *m = mk(CT_CSTA_REQUEST, valid ? "system_status" : "unknown_op", 1);
	m->unknown = !valid;
	struct ct_csta_meta mt = meta_of(flow, 99, 40000 + (uint16_t)flow, false, ts);
	ct_cstalinks_message(fx.links, m, &mt);
}

/* 16 idle fake links fill the table; the real CTI link still gets in, evicting the least
 * valuable (never a valid message) and least recently heard one, audited by name. */
static void test_max_links_evicts_idle_fakes(void **state)
{
	(void)state;
	setup(false);
	for (uint64_t i = 0; i < 16; i++)
		fake(100 + i, T0 + i * SEC, i >= 8); /* 8 sent garbage, 8 a valid request */
	assert_int_equal(fx.ctr.csta_links, 16);
	monitor(1, 10, T0 + 60 * SEC, 1, "100", "x1");
	ev(1, 10, T0 + 61 * SEC, "delivered", "x1", "C1", "100", "alerting");
	assert_int_equal(fx.ctr.csta_links_evicted, 1);
	assert_int_equal(fx.ctr.csta_links_refused, 0);
	const char *a = NULL;
	assert_int_equal(audits("evicted", &a), 1);
	/* the oldest of the garbage ones: flow 100, client port 40100 */
	assert_non_null(strstr(a, "\"link\":\"10.0.0.99:1040-10.0.0.20:40100\""));
	assert_non_null(strstr(a, "it never sent a valid CSTA message"));
	unsigned real = 0;
	for (unsigned i = 0; i < nrecs; i++)
		if (strstr(recs[i], "\"name\":\"delivered\"") && strstr(recs[i], "10.0.0.10:1040-10.0.0.20:50001"))
			real++;
	assert_int_equal(real, 1);
	/* a newcomer with garbage only displaces a link that never sent a valid message either */
	for (uint64_t i = 0; i < 7; i++)
		fake(200 + i, T0 + 62 * SEC, false);
	assert_int_equal(fx.ctr.csta_links_evicted, 8);
	fake(300, T0 + 63 * SEC, false);
	assert_int_equal(fx.ctr.csta_links_evicted, 9); /* one of the 7 newcomers */
	fake(301, T0 + 64 * SEC, true);                  /* valid: a valid idle fake gives way */
	assert_int_equal(fx.ctr.csta_links_evicted, 10);
	assert_int_equal(fx.ctr.csta_links_refused, 0);
	teardown(T0 + 70 * SEC);
}

/* Only when every link is working and busy is a new one refused: counted, and audited. */
static void test_max_links_refuses_when_all_work(void **state)
{
	(void)state;
	setup(false);
	for (uint64_t i = 0; i < 16; i++)
		monitor(1 + i, 10, T0 + i * SEC, 1, "100", "x1");
	fake(100, T0 + 20 * SEC, true);
	assert_int_equal(fx.ctr.csta_links_evicted, 0);
	assert_int_equal(fx.ctr.csta_links_refused, 1);
	const char *a = NULL;
	assert_int_equal(audits("refused", &a), 1);
	assert_non_null(strstr(a, "10.0.0.99:1040-10.0.0.20:40100"));
	/* a working link idle for 5 minutes may go */
	fake(100, T0 + 15 * SEC + 300 * SEC, true);
	assert_int_equal(fx.ctr.csta_links_evicted, 1);
	assert_non_null(strstr(audit_n("evicted", 0), "10.0.0.10:1040-10.0.0.20:50001"));
	teardown(T0 + 400 * SEC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_duplicate_event), cmocka_unit_test(test_monitor_reissued),
		cmocka_unit_test(test_unknown_monitor), cmocka_unit_test(test_monitor_caps),
		cmocka_unit_test(test_missing_response), cmocka_unit_test(test_blind_gap),
		cmocka_unit_test(test_blind_down),	cmocka_unit_test(test_blind_monitor),
		cmocka_unit_test(test_max_links_evicts_idle_fakes), cmocka_unit_test(test_max_links_refuses_when_all_work),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
