/* calls.h - one call record per customer call, joined across the CSTA and SIP legs that
 * carried it (first version: basic calls; transfers, conferences and routing still to come).
 *
 * The SIP side (a dialog set, by Call-ID) and the CSTA side (a call per link and callID) report
 * their moments here. A new leg joins an existing call by the strongest evidence at hand, which
 * the record names: the same Avaya UCID in SIP User-to-User and CSTA correlatorData
 * ("shared_id"), else the same device alerted on both sides within calls.window_ms
 * ("device_time"); otherwise it starts a call of its own ("sip_only" / "csta_only" until another
 * leg joins). When every leg has ended and calls.settle_ms of packet time has passed (late
 * events of other links still arrive), the `call` record is written. A call's id is the id of
 * its first leg, so it is deterministic.
 */
#ifndef CT_CALLS_H
#define CT_CALLS_H

#include <stdbool.h>
#include <stdint.h>

#include "../app/records.h"
#include "../decoders/csta.h"
#include "../util/counters.h"

struct ct_calls;

struct ct_calls_cfg {
	uint32_t max_calls;
	ct_time_t window;  /* device_time correlation window */
	ct_time_t settle;  /* wait after the last leg ended before writing the record */
};

int ct_calls_new(struct ct_calls **out, const struct ct_calls_cfg *cfg, struct ct_counters *ctr,
		 struct ct_emitter *em);
/* A SIP call's moment: name is the SIP event name (invite, ringing, answer, hold, resume,
 * bye, cancel, failure, dialog_end). ucid is 16 hex digits or NULL. */
void ct_calls_sip(struct ct_calls *t, const char *leg_id, const char *call_id, const char *name, ct_time_t ts,
		  const char *calling, const char *called, const char *ucid, unsigned status, const char *disposition);
/* A CSTA event of a call (m->conn.call_id set) on a link. */
void ct_calls_csta(struct ct_calls *t, const char *leg_id, const char *link, const char *name,
		   const struct ct_csta_msg *m, ct_time_t ts);
/* An audit finding about the CSTA call (link, callID): written as an `audit` record tagged
 * with the ctitap call, and listed in that call's record. An unknown call gets the record
 * without a call id. */
void ct_calls_audit_csta(struct ct_calls *t, const char *link, const char *csta_call_id, ct_time_t ts,
			 const char *kind, const char *detail);
/* The link could not be seen from `from` to `to` (TCP gap, link down, monitor ended: `why`):
 * every open call with a CSTA leg on it gets a `cti_blind` entry in its record. Returns how many
 * calls it touched. */
unsigned ct_calls_link_blind(struct ct_calls *t, const char *link, ct_time_t from, ct_time_t to, const char *why);
/* Writes the calls that are over at packet time now. */
void ct_calls_tick(struct ct_calls *t, ct_time_t now);
/* End of input: writes every call still open, then frees. */
void ct_calls_free(struct ct_calls *t, ct_time_t now);

#endif
