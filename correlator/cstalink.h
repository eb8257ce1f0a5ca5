/* cstalink.h - the state of each CSTA link, and its `event` records.
 *
 * Per link (one TCP connection): the ACSE association and its CSTA version, the encoding and
 * phase seen, monitor cross-reference ids mapped to the devices they monitor (from
 * MonitorStart and its result, paired by invoke id), outstanding invokes with their
 * latency, the last SystemStatus. Every CSTA event and service becomes one normalised `event`
 * record (src "csta") naming the link, the monitored device, the call (callID) and the rest
 * of what the message said. Links are capped (csta.max_links); outstanding invokes per link
 * too (CT_CSTALINK_MAX_PENDING, the oldest forgotten first and counted).
 */
#ifndef CT_CSTALINK_H
#define CT_CSTALINK_H

#include "../app/records.h"
#include "../decoders/csta.h"
#include "../decoders/csta_stream.h"
#include "../util/counters.h"

struct ct_cstalinks;

int ct_cstalinks_new(struct ct_cstalinks **out, uint32_t max_links, struct ct_counters *ctr, struct ct_emitter *em);
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
/* The TCP connection of a link ended. */
void ct_cstalinks_close(struct ct_cstalinks *t, uint64_t flow_id, ct_time_t now);
void ct_cstalinks_free(struct ct_cstalinks *t);

#endif
