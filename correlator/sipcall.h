/* sipcall.h - SIP calls as the wire shows them: dialog sets keyed by Call-ID (RFC 3261
 * section 12), their transactions (section 17) and the normalised `event` records.
 *
 * Every SIP message of a call becomes at most one event: a retransmission (the same request
 * by method, CSeq, branch and From tag, or the same response by status, CSeq, branch and To
 * tag) is recognised and counted, not reported twice. OPTIONS, REGISTER, SUBSCRIBE, MESSAGE
 * and PUBLISH are counted, not tracked. A call ends sip.linger_s after its dialog
 * terminated (retransmissions still get recognised meanwhile), or after sip.setup_timeout_s
 * without a final answer, or sip.idle_timeout_s of silence once established, each on packet
 * time; at its end a `dialog_end` event gives its final state. The table holds at most
 * sip.max_calls; past it the least recently active call is ended (sip_calls_evicted).
 */
#ifndef CT_SIPCALL_H
#define CT_SIPCALL_H

#include <stdbool.h>
#include <stdint.h>

#include "../decoders/sip.h"
#include "../decoders/sip_stream.h"
#include "../util/counters.h"
#include "../util/hash.h"
#include "report.h"

struct ct_sipcalls;
struct ct_media;

struct ct_sipcall_cfg {
	uint32_t max_calls;
	ct_time_t linger;
	ct_time_t setup_timeout;
	ct_time_t idle_timeout;
	bool events_all; /* also a `sip_message` event for every message, retransmissions included */
};

void ct_sipcall_cfg_default(struct ct_sipcall_cfg *cfg);

/* ctr, rep and media are borrowed and must outlive the table (rep's sip_event and dialog_end
 * hooks get the events). */
int ct_sipcalls_new(struct ct_sipcalls **out, const struct ct_sipcall_cfg *cfg, const struct ct_hashkey *key,
		    struct ct_counters *ctr, const struct ct_report *rep, struct ct_media *media);
struct ct_calls;
/* Where the calls' moments go to be joined with their CSTA legs (may be NULL). */
void ct_sipcalls_set_calls(struct ct_sipcalls *t, struct ct_calls *calls);
/* One SIP message (from UDP, TCP or WebSocket). */
void ct_sipcalls_message(struct ct_sipcalls *t, const struct ct_sip_msg *m, const struct ct_sip_meta *meta);
/* Ends calls whose timers ran out at packet time now, doing bounded work; returns true when
 * more timers are due (call again). */
bool ct_sipcalls_expire(struct ct_sipcalls *t, ct_time_t now);
/* Ends every call (end of input), oldest first, and frees the table. */
void ct_sipcalls_free(struct ct_sipcalls *t, ct_time_t now);
/* SIP calls tracked now (monitoring). */
uint32_t ct_sipcalls_open(const struct ct_sipcalls *t);
/* The ctitap call id of the dialog set a Call-ID names (valid until the next call into t);
 * NULL when none is tracked, or it carries uaCSTA. */
const char *ct_sipcalls_call_of(const struct ct_sipcalls *t, struct ct_slice call_id);

#endif
