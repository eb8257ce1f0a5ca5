/* cstalink.h - the state of each CSTA link, and its `event` records.
 *
 * Per link (one TCP connection): the ACSE association and its CSTA version, the encoding and
 * phase seen, monitor cross-reference ids mapped to the devices they monitor (from
 * MonitorStart and its result, paired by invoke id), outstanding invokes with their
 * latency, the last SystemStatus. Every CSTA event and service becomes one normalised `event`
 * record (src "csta") naming the link, the monitored device, the call (callID) and the rest
 * of what the message said. Links are capped (csta.max_links): when a new link speaks and the
 * table is full, the least valuable link gives way, least recently heard first: one that never
 * sent a CSTA message decoded past its envelope, then one not working (no association, no
 * monitor started, only one side speaking CSTA), then a working one idle for 5 minutes; it is
 * ended as at the end of input, counted (csta_links_evicted) and named in an `evicted` audit. A
 * newcomer whose first message is not valid CSTA only displaces links that never sent one.
 * When nothing can go the newcomer's messages are counted (csta_links_refused) and a sampled
 * `refused` audit names it. Outstanding invokes per link are capped too
 * (CT_CSTALINK_MAX_PENDING, the oldest forgotten first and counted).
 *
 * Audits of the link (docs/records.md#audit), each an `audit` record naming the link:
 *  - duplicate_event: the newest earlier event of the same monitor (xref) about the same call
 *    (callID; the device when there is none), within the duplicate window, has the same
 *    normalised content (everything but invoke id and time). The same event seen by two
 *    monitors differs in xref; hold, retrieve, hold differs from its predecessor.
 *  - unknown_monitor: once per xref per link, events for an xref that no MonitorStart result
 *    on this link returned (only once the link showed one); every such event is counted.
 *  - missing_response: a request with no result, error or reject within the response
 *    timeout (packet time, checked each second), or still unanswered when its link went down.
 *  - cti_blind: a period the link could not be seen: a TCP hole in one direction (from the
 *    last bytes before it to the next message decoded in that direction); the link down
 *    (ACSE release or abort, TCP FIN or RST, from the first of them) until a successor speaks
 *    (a link first seen after the close from the same PBX address, any port, or one that
 *    monitors a device the old link monitored: its first message ends the period); a monitor
 *    ended (MonitorEnded event, MonitorStop request) until a MonitorStart result for its
 *    device. Open periods close at the end of the input.
 */
#ifndef CT_CSTALINK_H
#define CT_CSTALINK_H

#include "../decoders/csta.h"
#include "../decoders/csta_stream.h"
#include "../util/counters.h"
#include "report.h"

struct ct_cstalinks;

/* ctr and rep are borrowed and must outlive the table (rep's csta_event hook gets the
 * events, its audit hook the link audits). */
int ct_cstalinks_new(struct ct_cstalinks **out, uint32_t max_links, struct ct_counters *ctr,
		     const struct ct_report *rep);
/* Audit settings: missing_response after response_timeout without an answer (0: only when
 * the link goes down), duplicate_event within dup_window. Defaults 10 s and 2 s. */
void ct_cstalinks_set_audit(struct ct_cstalinks *t, ct_time_t response_timeout, ct_time_t dup_window);
/* Monitored devices kept (MonitorStart results; a device per monitor cross-reference): at most
 * per_link on one link and total on all links together; past either the result is counted
 * (csta_monitors_dropped), its events then name a cross-reference ctitap does not know.
 * Defaults 16 384 and 65 536 (csta.max_monitors, csta.max_monitors_total). Call before the
 * first message: the monitor table is sized for the caps then (8 bytes a monitor). */
void ct_cstalinks_set_monitor_caps(struct ct_cstalinks *t, uint32_t per_link, uint32_t total);
struct ct_calls;
/* Where CSTA calls' moments go to be joined with their SIP legs (may be NULL). */
void ct_cstalinks_set_calls(struct ct_cstalinks *t, struct ct_calls *calls);
struct ct_agents;
/* Where agent events go to keep the agents' state timelines (may be NULL). */
void ct_cstalinks_set_agents(struct ct_cstalinks *t, struct ct_agents *agents);
/* One decoded CSTA message of a TCP link. */
void ct_cstalinks_message(struct ct_cstalinks *t, const struct ct_csta_msg *m, const struct ct_csta_meta *meta);
/* One decoded CSTA XML body carried by SIP (uaCSTA): the SIP Call-ID names the session. */
void ct_cstalinks_uacsta(struct ct_cstalinks *t, const struct ct_csta_msg *m, const char *session, ct_time_t ts,
			 const struct ct_addr *src, uint16_t sport, const struct ct_addr *dst, uint16_t dport);
/* Bytes of one direction of a link were lost (a TCP hole; bytes 0 = unknown): meta names the
 * flow and the sender, meta->ts is the time of the last bytes seen before the hole. */
void ct_cstalinks_gap(struct ct_cstalinks *t, const struct ct_csta_meta *meta, uint32_t bytes);
/* The TCP connection of a link ended at ts (why: "tcp fin", "tcp reset"): the link is down
 * from then. Call before ct_cstalinks_close. */
void ct_cstalinks_down(struct ct_cstalinks *t, uint64_t flow_id, ct_time_t ts, const char *why);
/* The TCP connection of a link is gone. A link that went down is kept until its successor
 * speaks (or the end of input); another (end of input, idle expiry) closes its periods now. */
void ct_cstalinks_close(struct ct_cstalinks *t, uint64_t flow_id, ct_time_t now);
/* The customer call of CSTA call (link, callID) is over and its record being written at now:
 * requests about it still unanswered are audited as missing their responses. */
void ct_cstalinks_call_over(struct ct_cstalinks *t, const char *link, const char *csta_call_id, ct_time_t now);
/* Timers at packet time now: requests unanswered past the response timeout. */
void ct_cstalinks_tick(struct ct_cstalinks *t, ct_time_t now);
/* End of input at now: the last timeout check, and every open blind period closed at now. */
void ct_cstalinks_end(struct ct_cstalinks *t, ct_time_t now);
void ct_cstalinks_free(struct ct_cstalinks *t);

/* A link as the monitoring endpoint shows it (a copy: nothing borrowed). */
struct ct_cstalink_info {
	char name[160];       /* "pbx-ip:port-client-ip:port" */
	bool uacsta;          /* CSTA inside SIP, not a TCP link */
	bool up;              /* neither released, aborted nor closed */
	unsigned monitors;    /* monitors started and not ended */
	ct_time_t last_ts;    /* packet time of its last message */
	ct_time_t down_since; /* when down: since when, and why ("tcp reset", ...) */
	char down_why[24];
};
/* Calls fn once per link tracked, those kept down until a successor speaks included. Read-only. */
void ct_cstalinks_each(const struct ct_cstalinks *t, void (*fn)(void *user, const struct ct_cstalink_info *info),
		       void *user);

#endif
