/* fuzz_calls.c - libFuzzer target for the customer-call correlator (correlator/calls.h).
 *
 * The decoders' fuzz targets reach the correlator only through well-formed messages, and
 * rarely in the orders that make it merge, evict or time calls out. Here every 6 bytes of the
 * input are one moment as the SIP and CSTA layers hand them over, drawn from small alphabets
 * (8 Call-IDs, 8 callIDs on 2 links, 8 devices, 4 UCIDs) so that ids collide, calls join,
 * transfers merge calls, the table (8 calls) overflows and packet time goes back and forth.
 * ASan and UBSan judge: no crash, no leak, no undefined behaviour, whatever the order.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "correlator/calls.h"
#include "decoders/csta_names.h"
#include "records/records.h"
#include "util/log.h"
#include "record_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const enum ct_sip_moment sip_moments[] = {
	CT_SIP_M_INVITE, CT_SIP_M_RINGING, CT_SIP_M_ANSWER,	  CT_SIP_M_HOLD,	   CT_SIP_M_RESUME,
	CT_SIP_M_BYE,	 CT_SIP_M_CANCEL,  CT_SIP_M_FAILURE,	  CT_SIP_M_REFER,	   CT_SIP_M_REFER_ACCEPTED,
	CT_SIP_M_DIALOG_END, CT_SIP_M_ACK, CT_SIP_M_REINVITE,
};
static const char *const csta_names[] = { "delivered", "established", "held", "retrieved", "connection_cleared",
					  "call_cleared", "transferred", "conferenced", "diverted", "queued",
					  "failed", "service_initiated", "originated", "network_reached",
					  "route_request", "route_select_request", "single_step_transfer_call",
					  "offered", "make_call" };
static const char *const ucids[] = { "00fa080001000000", "00FA080002000000", "0005000300000000", "nothex-ucid-1234" };

static bool record_all(void *user, const char *device)
{
	(void)user;
	return device[0] != '9';
}

/* 2006 and 2007 are payment IVRs (record.pause_devices) */
static bool pause_device(void *user, const char *device)
{
	(void)user;
	return !strcmp(device, "2006") || !strcmp(device, "2007");
}

static bool agent_state(void *user, const char *device, enum ct_agent_state *st)
{
	(void)user;
	size_t n = strlen(device); /* (the correlator may ask about a device it has no name for) */
	*st = n && (device[n - 1] & 1) ? CT_AGENT_NOT_READY : CT_AGENT_READY;
	return true;
}

static size_t number_norm(void *user, const char *in, char *out, size_t cap)
{
	(void)user;
	if (in[0] != '0')
		return 0;
	return (size_t)snprintf(out, cap, "+49%s", in + 1) < cap ? strlen(out) : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ct_log_set_level(CT_LOG_ERR);
	struct ct_counters ctr;
	memset(&ctr, 0, sizeof(ctr));
	static struct ct_records rw; /* records are checked (record_check.h), then dropped */
	ct_records_init(&rw, "f", fuzz_check_emit, NULL);
	struct ct_report report = ct_records_report(&rw);
	struct ct_calls_cfg cfg = { .max_calls = 8, .window = 3000000, .settle = 1000000, .csta_grace = 5000000,
				    .idle = 60000000, .pause_on_hold = true, .rtp = true };
	cfg.hooks.record_device = record_all;
	cfg.hooks.pause_device = pause_device;
	cfg.hooks.agent_state = agent_state;
	cfg.hooks.number_norm = number_norm;
	struct ct_hashkey key;
	ct_hashkey_fixed(&key, 3);
	struct ct_calls *t;
	if (ct_calls_new(&t, &cfg, &key, &ctr, &report) != CT_OK) {
		ct_records_free(&rw);
		return 0;
	}
	ct_time_t ts = 1767603600ULL * 1000000ULL;
	static const char *const links[] = { "10.1.0.5:1040-10.1.0.50:4000", "10.1.0.6:1040-10.1.0.50:4001" };
	for (size_t i = 0; i + 6 <= size; i += 6) {
		const uint8_t *op = data + i;
		/* time: mostly forward by up to 2.5 s, sometimes back */
		ct_time_t dt = (ct_time_t)op[4] * 10000u;
		ts = (op[5] & 0x80) && ts > dt ? ts - dt : ts + dt;
		char a[16], b[16], dev[8], dev2[8], other[8];
		snprintf(a, sizeof(a), "s%u@x", op[1] & 7);
		snprintf(b, sizeof(b), "s%u@x", (op[1] >> 3) & 7);
		snprintf(dev, sizeof(dev), "20%02u", op[2] & 7);
		snprintf(dev2, sizeof(dev2), "20%02u", (op[2] >> 3) & 7);
		snprintf(other, sizeof(other), "%s", (op[2] & 0x40) ? "0301234" : dev2);
		struct ct_addr src, dst;
		memset(&src, 0, sizeof(src));
		memset(&dst, 0, sizeof(dst));
		src.a[15] = (uint8_t)(op[3] & 3);
		dst.a[15] = (uint8_t)((op[3] >> 2) & 3);
		switch (op[0] % 4) {
		case 0:
		case 1: {
			char rep[64];
			snprintf(rep, sizeof(rep), "%s;to-tag=t%u;from-tag=f%u", b, op[5] & 3, (op[5] >> 2) & 3);
			char ftag[8], ttag[8];
			snprintf(ftag, sizeof(ftag), "f%u", op[3] & 3);
			snprintf(ttag, sizeof(ttag), "t%u", (op[3] >> 4) & 3);
			struct ct_calls_ep ep = { "10.1.1.1", (uint16_t)(30000 + (op[5] & 7)) };
			struct ct_calls_sip s = {
				.call_id = a, .moment = sip_moments[op[0] / 4 % CT_ARRAY_SIZE(sip_moments)],
				.ts = ts, .calling = (op[5] & 1) ? other : dev2, .called = dev, .src = &src, .dst = &dst,
				.from_tag = ftag, .to_tag = (op[5] & 2) ? ttag : "",
				.ucid = (op[5] & 4) ? ucids[op[3] & 3] : NULL, .replaces = (op[5] & 8) ? rep : NULL,
				.refer_to = dev2, .refer_replaces = (op[5] & 16) ? rep : NULL,
				.sdp_caller = (op[5] & 32) ? &ep : NULL, .sdp_callee = (op[5] & 64) ? &ep : NULL,
				.status = op[4] & 1 ? 486 : 0, .ends_dialog = op[4] & 64, .disposition = CT_DISP_FAILED, .bye_seen = op[4] & 2,
				.answered = op[4] & 4, .retrans = op[4] & 8, .rtp_flows = op[4] & 16,
				.end_reason = (op[4] & 32) ? CT_DEND_TIMEOUT : CT_DEND_ENDED,
			};
			ct_calls_sip(t, &s);
			break;
		}
		case 2: {
			struct ct_csta_msg m;
			memset(&m, 0, sizeof(m));
			const char *name = csta_names[op[0] / 4 % (sizeof(csta_names) / sizeof(csta_names[0]))];
			m.kind = strstr(name, "route_") || strstr(name, "transfer_call") ? CT_CSTA_REQUEST
				 : strcmp(name, "make_call") == 0			       ? CT_CSTA_RESULT
										       : CT_CSTA_EVENT;
			snprintf(m.name, sizeof(m.name), "%s", name);
			m.nid = (uint8_t)ct_csta_name_of(name);
			if (!(op[5] & 1))
				snprintf(m.conn.call_id, sizeof(m.conn.call_id), "c%u", op[1] & 7);
			snprintf(m.conn.device, sizeof(m.conn.device), "%s", dev);
			if (op[5] & 2)
				snprintf(m.conn2.call_id, sizeof(m.conn2.call_id), "c%u", (op[1] >> 3) & 7);
			if (op[5] & 4)
				snprintf(m.new_call_id, sizeof(m.new_call_id), "c%u", (op[3] >> 3) & 7);
			snprintf(m.subject, sizeof(m.subject), "%s", dev);
			snprintf(m.calling, sizeof(m.calling), "%s", (op[5] & 8) ? "017012345" : dev2);
			snprintf(m.called, sizeof(m.called), "%s", other);
			snprintf(m.other, sizeof(m.other), "%s", dev2);
			if (op[5] & 16)
				snprintf(m.correlator, sizeof(m.correlator), "%s", ucids[op[3] & 3]);
			if (op[5] & 32)
				snprintf(m.global_call_id, sizeof(m.global_call_id), "g%u", op[3] & 3);
			snprintf(m.xref, sizeof(m.xref), "%u", op[4] & 3);
			snprintf(m.cause, sizeof(m.cause), "%s", (op[4] & 4) ? "busy" : "normal_clearing");
			struct ct_calls_csta in = { .link = links[op[3] >> 7], .msg = &m, .monitored = (op[4] & 8) ? dev2 : NULL,
						    .ts = ts, .asked = m.kind == CT_CSTA_RESULT ? ts - dt : 0 };
			ct_calls_csta(t, &in);
			break;
		}
		default:
			switch (op[1] & 3) {
			case 0: ct_calls_tick(t, ts); break;
			case 1: ct_calls_link_blind(t, links[op[3] >> 7], ts > dt ? ts - dt : 0, ts, "gap"); break;
			case 2: {
				char cid[8];
				snprintf(cid, sizeof(cid), "c%u", op[2] & 7);
				if (op[1] & 4) { /* a pause or resume on request (app/recctl.c), in a call or any */
					struct ct_calls_pause st;
					ct_calls_pause_device(t, dev, (op[5] & 1) ? a : NULL, op[5] & 2, ts, &st);
				} else {
					ct_calls_audit_csta(t, links[op[3] >> 7], cid, ts, CT_AUDIT_DUPLICATE_EVENT, "fuzz");
				}
				break;
			}
			default: ct_calls_tick(t, ts + 3600000000ULL); break;
			}
		}
	}
	ct_calls_free(t, ts);
	ct_records_free(&rw);
	return 0;
}
