/* calls.h - one call record per customer call, joined across the CSTA and SIP legs that
 * carried it, with its transfers, conferences, routing, recording intervals and audits.
 *
 * Legs: a SIP dialog set (by Call-ID) and a CSTA call (per link and callID) report their
 * moments here. A new leg joins an existing call by the strongest evidence at hand, and the
 * record names the weakest join it used (a chain is as strong as its weakest link):
 *   shared_id    the same id on both sides: UCID in SIP User-to-User and CSTA correlatorData
 *                or userData, the same CSTA globalCallLinkageID on two links, a SIP Replaces;
 *   device_time  the device a SIP INVITE reaches (request-URI user) is the device CSTA reports
 *                alerting or calling, within calls.window_ms;
 *   number_time  calling and called numbers equal after numbers.* normalisation, within the
 *                window.
 * SIP legs also join SIP legs: a B2BUA's outgoing INVITE (sent by the host that received the
 * incoming one, same caller, within the window) and a REFER's Replaces target. CSTA
 * Transferred and Conferenced merge the two calls they name (the consultation call becomes
 * part of the customer's call); Diverted, Queued and the routeing services add to it.
 *
 * A merged call keeps the id of the oldest call; the ids of the calls merged into it (under
 * which earlier events were written) are listed in `merged`. When every leg has ended and
 * calls.settle_ms of packet time has passed (late events of other links still arrive), the
 * `call` record is written; a call whose SIP legs all ended but whose CSTA legs never cleared
 * is written calls.csta_grace_ms later, with a missing_event audit.
 *
 * Recording: when a device in record.devices answers, a `recording` start is written naming
 * the RTP endpoints of its SIP leg (from SDP); hold pauses (record.pause_on_hold), retrieve
 * resumes, release or transfer away stops; the intervals are in the call record.
 */
#ifndef CT_CALLS_H
#define CT_CALLS_H

#include <stdbool.h>
#include <stdint.h>

#include "../capture/packet.h"
#include "../decoders/csta.h"
#include "../util/counters.h"
#include "../util/hash.h"
#include "../util/id.h"
#include "report.h"

struct ct_calls;

/* An SDP media endpoint. */
struct ct_calls_ep {
	char ip[46];
	uint16_t port;
};

/* What the call correlator asks of the modules around it (each may be NULL). */
struct ct_calls_hooks {
	void *user;
	/* the normalised form of a number (numbers.* rules); returns its length, 0 if none */
	size_t (*number_norm)(void *user, const char *in, char *out, size_t cap);
	/* true if the device is to be recorded (record.devices) */
	bool (*record_device)(void *user, const char *device);
	/* true if every recording of a call pauses while the device is in it (record.pause_devices:
	 * a payment IVR) */
	bool (*pause_device)(void *user, const char *device);
	/* the agent state CTI reports for a device; false when unknown */
	bool (*agent_state)(void *user, const char *device, enum ct_agent_state *st);
	/* the agentID CTI reported at a device, NULL if unknown */
	const char *(*agent_id)(void *user, const char *device);
	/* a call was answered at, or released from, a device */
	void (*agent_call)(void *user, const char *device, bool on_call, ct_time_t ts);
	/* the call's record is being written: requests about its CSTA call (link, callID) still
	 * unanswered are missing their responses (ct_calls_audit_csta() may be called back) */
	void (*csta_call_over)(void *user, const char *link, const char *csta_call_id, ct_time_t now);
};

struct ct_calls_cfg {
	uint32_t max_calls;
	ct_time_t window;      /* device_time / number_time / B2BUA correlation window */
	ct_time_t relay;       /* a B2BUA relays a response, CANCEL or BYE within this (0: 250 ms) */
	ct_time_t settle;      /* wait after the last leg ended before writing the record */
	ct_time_t csta_grace;  /* wait for CSTA clearing once every SIP leg has ended */
	ct_time_t idle;        /* a call with no news for this long is written (legs left open) */
	bool pause_on_hold;    /* record.pause_on_hold */
	bool start_on_alert;   /* record.start_on_alert */
	bool rtp;              /* RTP is analysed: an answered leg without RTP is an audit */
	struct ct_calls_hooks hooks;
};

/* key: the index's hash key (random per run: the keys come from packets), copied. ctr and rep
 * are borrowed and must outlive the table (rep gets call records, recording triggers and
 * audits). */
int ct_calls_new(struct ct_calls **out, const struct ct_calls_cfg *cfg, const struct ct_hashkey *key,
		 struct ct_counters *ctr, const struct ct_report *rep);

/* One moment of a SIP dialog set. */
struct ct_calls_sip {
	const char *call_id;     /* Call-ID */
	enum ct_sip_moment moment; /* invite, ringing, answer, hold, resume, bye, cancel, failure,
				      refer, refer_accepted, dialog_end act; others only refresh the call */
	ct_time_t ts;
	/* initial INVITE */
	const char *calling, *called; /* PAI or From user; request-URI (else To) user */
	const char *ucid;        /* 16 hex digits from User-to-User, or NULL */
	const char *replaces;    /* a Replaces header (callid;to-tag=..;from-tag=..), or NULL */
	const struct ct_addr *src, *dst; /* hosts of the message */
	const char *from_tag, *to_tag; /* the message's From and To tags ("" when none) */
	/* answer: the SDP audio endpoints of the offer (caller side) and answer (callee side) */
	const struct ct_calls_ep *sdp_caller, *sdp_callee; /* NULL when unknown */
	/* refer */
	const char *refer_to;    /* user of the Refer-To URI */
	const char *refer_replaces; /* the Replaces in the Refer-To URI (percent-encoded) */
	/* failure, dialog_end; notify: the status of the message/sipfrag body of a REFER's NOTIFY
	 * (0: none) */
	unsigned status;
	bool ends_dialog;        /* failure: the final answer to the initial INVITE (not to a
				    re-INVITE, BYE or REFER) */
	enum ct_disposition disposition;
	bool bye_seen, answered;
	uint32_t retrans, rtp_flows;
	enum ct_dialog_end_reason end_reason; /* dialog_end */
};

/* Returns the ctitap call id the moment belongs to (valid until the next call into the
 * table), or NULL. */
const char *ct_calls_sip(struct ct_calls *t, const struct ct_calls_sip *s);
/* One CSTA message of a call on a link. */
struct ct_calls_csta {
	const char *link;        /* the link's name */
	const struct ct_csta_msg *msg;
	const char *monitored;   /* the device its monitor watches (NULL: not known): the name CTI's
				    own device strings of it (N<+4930...2001>;displayNumber=...) mean */
	ct_time_t ts;
	ct_time_t asked;         /* a response: when its request was sent (0 otherwise); a
				    MakeCall's response names the call the request began */
	const char *asked_called; /* a response: the number its request dialled (NULL, "": none) */
};

/* A CSTA event, or a routeing request, of a call on a link; returns the ctitap call id as
 * ct_calls_sip() does, NULL when the message names no call. */
const char *ct_calls_csta(struct ct_calls *t, const struct ct_calls_csta *c);
/* An audit finding about the CSTA call (link, callID): written as an `audit` record tagged
 * with the ctitap call, and listed in that call's record. An unknown call gets the record
 * without a call id. */
void ct_calls_audit_csta(struct ct_calls *t, const char *link, const char *csta_call_id, ct_time_t ts,
			 enum ct_audit_kind kind, const char *detail);
/* The link could not be seen from `from` to `to` (TCP gap, link down, monitor ended: `why`):
 * every open call with a CSTA leg on it gets a `cti_blind` entry in its record. Returns how many
 * calls it touched. */
unsigned ct_calls_link_blind(struct ct_calls *t, const char *link, ct_time_t from, ct_time_t to, const char *why);
/* Writes the calls that are over at packet time now. */
void ct_calls_tick(struct ct_calls *t, ct_time_t now);
/* End of input: writes every call still open, then frees. */
void ct_calls_free(struct ct_calls *t, ct_time_t now);
/* Customer calls open now (monitoring). */
uint32_t ct_calls_open(const struct ct_calls *t);
/* What ct_calls_pause_device() did. */
struct ct_calls_pause {
	char call[CT_ID_MAX];      /* the call whose recording it is ("" when none was found) */
	char device[CT_CSTA_DEV];  /* the device as the call names it */
	bool paused;               /* the recording is paused now */
	bool held, request, payment; /* why (several may hold at once) */
};

/* A pause (pause true) or resume asked of device's recording from outside the traffic (an agent
 * desktop or payment IVR through the HTTP endpoint, app/recctl.c), at packet time ts. call, when
 * not NULL or "", is the ctitap call id (or the id of a call merged into it); else the newest
 * call recording the device. The pause is a cause of its own: a retrieve does not end it, and a
 * resume asked during a hold leaves the recording paused for the hold. A `recording` record
 * (reason request) says each pause and each resume. Returns CT_OK (out says the state now),
 * CT_ENOENT when the device has no recording in progress (in that call), CT_ELIMIT when the
 * request changes nothing (already paused on request, or not paused on request: out says why). */
int ct_calls_pause_device(struct ct_calls *t, const char *device, const char *call, bool pause, ct_time_t ts,
			  struct ct_calls_pause *out);
/* record.pause_on_hold and record.start_on_alert changed (SIGHUP): calls in progress follow
 * them from their next moment on. */
void ct_calls_set_recording(struct ct_calls *t, bool pause_on_hold, bool start_on_alert);

#endif
