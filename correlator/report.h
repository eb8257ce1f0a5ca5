/* report.h - what the correlator hands out: one typed view per kind of record, and the hooks
 * that receive them (struct ct_report).
 *
 * The correlator keeps state and decides; it writes no JSON. Each moment worth a record is
 * described by a view below and passed to a hook; app/pipeline.c binds the hooks to the
 * records layer (records/, which serialises a view into a record) and to whatever else wants
 * the moment (the recorder, the live view). A test binds them to records/ alone, or to its own
 * functions.
 *
 * Ownership: a view and everything it points to are borrowed for the duration of the hook
 * call only; a hook that keeps anything copies it. Hooks run on the pipeline's thread, in
 * packet-time order, and must not call back into the module that called them.
 *
 * Names: every enum here has one name table (ct_*_name()), used only where records are
 * written; inside ctitap the values are compared, never the names.
 */
#ifndef CT_REPORT_H
#define CT_REPORT_H

#include <stdbool.h>
#include <stdint.h>

#include "../capture/packet.h"
#include "../decoders/csta.h"
#include "../decoders/rtp.h"
#include "../decoders/sdp.h"
#include "../decoders/sip.h"
#include "../decoders/sip_stream.h"
#include "../util/ct.h"
#include "../util/slice.h"

/* ---- names shared by the correlator and the records --------------------------------------- */

/* What a SIP message means for its dialog (the `name` of a SIP event). */
enum ct_sip_moment {
	CT_SIP_M_MESSAGE = 0,     /* sip_message: any message, with sip.events_all */
	CT_SIP_M_INVITE,          /* the initial INVITE (or its retry with credentials) */
	CT_SIP_M_REINVITE,
	CT_SIP_M_ACK,
	CT_SIP_M_BYE,
	CT_SIP_M_CANCEL,
	CT_SIP_M_REFER,
	CT_SIP_M_NOTIFY,
	CT_SIP_M_INFO,
	CT_SIP_M_UPDATE,
	CT_SIP_M_PRACK,
	CT_SIP_M_REQUEST,         /* another method */
	CT_SIP_M_RINGING,         /* 18x to an INVITE */
	CT_SIP_M_ANSWER,          /* 2xx to the initial INVITE */
	CT_SIP_M_REINVITE_ANSWER, /* 2xx to a re-INVITE */
	CT_SIP_M_FAILURE,         /* >= 300 */
	CT_SIP_M_HOLD,            /* an in-dialog offer or answer that stops the audio being sendrecv */
	CT_SIP_M_RESUME,          /* ... that makes it sendrecv again */
	CT_SIP_M_REFER_ACCEPTED,  /* 2xx to a REFER */
	CT_SIP_M_DIALOG_END,      /* the dialog set is over (its timers ran out) */
	CT_SIP_M_COUNT
};
const char *ct_sip_moment_name(enum ct_sip_moment m);

/* How a SIP dialog set ended (dialog_end `reason`). */
enum ct_dialog_end_reason {
	CT_DEND_UNKNOWN = 0, /* not said (a test's moment) */
	CT_DEND_ENDED,      /* terminated, and linger passed */
	CT_DEND_TIMEOUT,    /* no final answer within sip.setup_timeout_s, or idle */
	CT_DEND_EVICTED,    /* sip.max_calls reached */
	CT_DEND_SHUTDOWN,   /* end of input with the dialog open */
	CT_DEND_COUNT
};
const char *ct_dialog_end_reason_name(enum ct_dialog_end_reason r);

/* RFC 3261 dialog state of a dialog set (dialog_end `state`). */
enum ct_dialog_state { CT_DLG_CALLING = 0, CT_DLG_EARLY, CT_DLG_CONFIRMED, CT_DLG_TERMINATED, CT_DLG_JOINED, CT_DLG_COUNT };
const char *ct_dialog_state_name(enum ct_dialog_state s);

/* How a call or dialog came out. */
enum ct_disposition {
	CT_DISP_NONE = 0,   /* not known yet */
	CT_DISP_ANSWERED,
	CT_DISP_BUSY,
	CT_DISP_ABANDONED,
	CT_DISP_NO_ANSWER,
	CT_DISP_FAILED,
	CT_DISP_COUNT
};
const char *ct_disposition_name(enum ct_disposition d);
/* What the final status of an unanswered INVITE says of the call: busy (486, 600), no answer
 * (408, 480), abandoned (487: a CANCEL came first), else failed. */
enum ct_disposition ct_disposition_of_status(unsigned status);

enum ct_direction { CT_DIR_UNKNOWN = 0, CT_DIR_INBOUND, CT_DIR_OUTBOUND, CT_DIR_INTERNAL, CT_DIR_COUNT };
const char *ct_direction_name(enum ct_direction d);

/* The weakest join between the CSTA and the SIP legs of a call (correlation.method). */
enum ct_join_method {
	CT_JOIN_NUMBER_TIME = 0,
	CT_JOIN_DEVICE_TIME,
	CT_JOIN_SHARED_ID,
	CT_JOIN_CSTA_ONLY,
	CT_JOIN_SIP_ONLY,
	CT_JOIN_COUNT
};
const char *ct_join_method_name(enum ct_join_method m);

enum ct_xfer_kind { CT_XFER_SINGLE_STEP = 0, CT_XFER_CONSULTATION, CT_XFER_REFER, CT_XFER_REPLACES, CT_XFER_DIVERSION, CT_XFER_COUNT };
const char *ct_xfer_kind_name(enum ct_xfer_kind k);

/* update: the recording goes on with other media (the second SDP of a late offer, the agent
 * back from its consultation to the customer's leg); file: a payload or evidence pcap ctitap's
 * recorder wrote is complete (app/recwire.c writes it; the correlator never says it) */
enum ct_rec_action {
	CT_RECA_START = 0,
	CT_RECA_PAUSE,
	CT_RECA_RESUME,
	CT_RECA_STOP,
	CT_RECA_UPDATE,
	CT_RECA_FILE,
	CT_RECA_COUNT
};
const char *ct_rec_action_name(enum ct_rec_action a);

/* Why a recording trigger fired. */
enum ct_rec_reason {
	CT_RECR_ANSWERED = 0,
	CT_RECR_ALERTED,
	CT_RECR_HELD,
	CT_RECR_RETRIEVED,
	CT_RECR_CLEARED,
	CT_RECR_TRANSFERRED,
	CT_RECR_DIVERTED,
	CT_RECR_MERGED,
	CT_RECR_CONSULTATION,  /* the agent talks on the consultation call of its held customer */
	CT_RECR_MEDIA,         /* update: the media's endpoints became known or moved */
	/* why ctitap's recorder ended a file itself (app/recwire.c; never the correlator's) */
	CT_RECR_DISK_FULL,     /* record.min_free_mb reached */
	CT_RECR_MAX_MB,        /* record.max_mb reached */
	CT_RECR_WRITE_ERROR,   /* a write failed: the file is kept as .broken */
	CT_RECR_SHUTDOWN,      /* ctitap ended with the recording open */
	CT_RECR_RELOAD,        /* SIGHUP changed record.*: the recording goes on in a new file */
	CT_RECR_REQUEST,       /* pause or resume asked through the HTTP endpoint (an agent desktop) */
	CT_RECR_PAYMENT,       /* a record.pause_devices device (payment IVR) joined or left the call */
	CT_RECR_COUNT
};
const char *ct_rec_reason_name(enum ct_rec_reason r);

/* What an audit found (docs/records.md#audit). The list is open: a new kind does not change
 * the schema version. */
enum ct_audit_kind {
	CT_AUDIT_SPAN_DUPLICATE = 0,
	CT_AUDIT_DUPLICATE_EVENT,
	CT_AUDIT_MISSING_EVENT,
	CT_AUDIT_MISSING_RESPONSE,
	CT_AUDIT_UNKNOWN_MONITOR,
	CT_AUDIT_CTI_BLIND,
	CT_AUDIT_NO_RTP,
	CT_AUDIT_RETRANSMISSION,
	CT_AUDIT_ORPHAN_DIALOG,
	CT_AUDIT_ACD_NOT_READY,
	CT_AUDIT_EVICTED,
	CT_AUDIT_TRUNCATED,       /* audit_truncated: findings past a call's cap (call records only) */
	CT_AUDIT_REFUSED,         /* something not tracked because it is over a cap (an id too long) */
	CT_AUDIT_CLOCK_JUMP,      /* the capture clock moved to a new time line (capture/capture.h) */
	CT_AUDIT_AMBIGUOUS_JOIN,  /* a leg fitted several calls equally: left apart */
	/* ctitap's recorder (app/recwire.c, from sinks/recorder.h's events) */
	CT_AUDIT_RECORDING_STOPPED,   /* it stopped a recording itself: disk guard, write error */
	CT_AUDIT_RECORDING_ERROR,     /* a file could not be written or finished: kept as .broken */
	CT_AUDIT_RECORDING_REPAIRED,  /* start-up: a file a crash left, repaired */
	CT_AUDIT_RECORDING_BROKEN,    /* start-up: a file a crash left that could not be repaired */
	CT_AUDIT_RECORDING_RETENTION, /* a day of recordings removed by record.retention_days */
	CT_AUDIT_ONE_WAY_AUDIO,       /* a recorded direction silent for record.silence_s, the other not */
	CT_AUDIT_LONG_SILENCE,        /* both directions of a recording silent for record.silence_s */
	CT_AUDIT_RECORDING_PAYLOAD,   /* RTP of a codec the audio file cannot hold kept in a payload pcap */
	CT_AUDIT_COUNT
};
const char *ct_audit_kind_name(enum ct_audit_kind k);

/* Agent states (ECMA-269 clause 17.2's, plus busy). */
enum ct_agent_state {
	CT_AGENT_LOGGED_OFF = 0,
	CT_AGENT_READY,
	CT_AGENT_NOT_READY,
	CT_AGENT_WORK_AFTER_CALL,
	CT_AGENT_BUSY,
	CT_AGENT_NSTATES,
};
const char *ct_agent_state_name(enum ct_agent_state s);

/* ---- the views ------------------------------------------------------------------------------ */

/* An audit finding. */
struct ct_audit_view {
	ct_time_t ts;
	const char *call;          /* ctitap call id, NULL when the finding is about no call */
	enum ct_audit_kind kind;
	const char *link;          /* the CTI link or flow concerned, NULL or "" when none */
	uint64_t count;            /* how many it sums up; 0 leaves the field out */
	const char *detail;        /* one line for a person (may hold packet text) */
};

/* One SIP message, as an event. */
struct ct_sip_event {
	ct_time_t ts;
	const char *call;          /* ctitap call id, NULL when none */
	enum ct_sip_moment moment;
	bool retrans;              /* a retransmission (only with sip.events_all) */
	const struct ct_sip_msg *msg;
	const struct ct_sip_meta *meta;
	struct ct_slice from, to;  /* the From and To URIs */
	struct ct_slice calling, called; /* an initial INVITE: PAI (else From) user, request-URI (else To) user */
	const struct ct_sdp *sdp;  /* the message's SDP, NULL when it had none */
};

/* A SIP dialog set ended. */
struct ct_dialog_end {
	ct_time_t ts;              /* when its timers ran out */
	const char *call;
	struct ct_slice call_id;
	enum ct_dialog_end_reason reason;
	enum ct_dialog_state state;
	enum ct_disposition disposition;
	bool invite_seen, csta_session;
	unsigned status;           /* final status of the initial INVITE, 0 when none */
	ct_time_t start, answer, end; /* answer 0 when not answered */
	const char *to_tag;        /* of the dialog that was answered, "" when none */
	unsigned early_dialogs;
	uint32_t messages, retransmissions;
};

/* One CSTA message of a link, as an event. */
struct ct_csta_event {
	ct_time_t ts;
	const char *call;          /* ctitap call id, NULL when none */
	const char *name;          /* the message's name; results, errors, rejects get _result... */
	const struct ct_csta_msg *msg;
	const char *link;          /* the link's name */
	const char *session;       /* uaCSTA: the SIP Call-ID carrying it, "" otherwise */
	const char *monitored;     /* the device the message's monitor watches, NULL if unknown */
	bool has_latency;
	ct_time_t latency;         /* a response: µs since its request */
	const struct ct_addr *src, *dst; /* who sent it, to whom (NULL when not known) */
	uint16_t sport, dport;
};

/* One direction and SSRC of an RTP flow, when the flow ends. */
struct ct_rtp_stream_view {
	const char *call;          /* NULL when the flow belongs to no call */
	struct ct_addr src, dst;
	uint16_t sport, dport;
	const struct ct_rtp_stream *s; /* its ts is s->last */
	const char *codec;         /* "" when unknown */
	bool have_rtcp;
	uint64_t rtcp_packets;
	const struct ct_rtcp_info *rtcp_last;
};

/* An agent device changed state. */
struct ct_agent_change {
	ct_time_t ts;
	const char *device, *agent_id, *reason; /* "" when not known */
	enum ct_agent_state state, previous;
	bool fresh;                /* first seen: no previous state */
	ct_time_t previous_us;     /* time spent in the previous state */
	const char *trigger;       /* the CSTA event's name, or call_answered / call_released */
};

/* Time spent by one agent device in each state, for the stats record. */
struct ct_agent_summary {
	const char *device, *agent_id, *reason; /* "" when not known */
	enum ct_agent_state state;
	uint64_t us[CT_AGENT_NSTATES];
};

/* An RTP endpoint of a recording, named by where its stream comes from. */
struct ct_rec_endpoint {
	const char *ip;            /* "" when unknown */
	uint16_t port;
	bool out;                  /* from the recorded device (else towards it) */
};

/* A recording trigger. */
struct ct_recording_view {
	ct_time_t ts;
	const char *call, *device;
	enum ct_rec_action action;
	enum ct_rec_reason reason;
	bool have_rtp;             /* the device's SIP leg and its SDP are known */
	struct ct_rec_endpoint rtp[2]; /* out, then in; an endpoint without port is left out */
};

/* The pieces of a call record. */
struct ct_call_party {
	const char *device;
	const char *agent_id;      /* "" when CTI reported none */
	ct_time_t alerted, answered, released; /* 0 when not seen */
};

struct ct_call_transfer {
	char from[CT_CSTA_DEV], to[CT_CSTA_DEV]; /* "" when not known */
	enum ct_xfer_kind kind;
	ct_time_t ts;
};

struct ct_call_leg {
	bool sip;
	const char *link;          /* CSTA: the link */
	const char *call_id;       /* SIP Call-ID or CSTA callID */
};

struct ct_interval {
	ct_time_t start, end;      /* end 0 while open */
};

struct ct_call_recording {
	const char *device;
	const struct ct_interval *iv;
	unsigned niv;
};

struct ct_call_finding {
	enum ct_audit_kind kind;
	char detail[160];
};

/* The lifecycle of one customer call, when it is over. */
struct ct_call_view {
	ct_time_t ts;              /* = end */
	const char *call;
	ct_time_t start, answer, end; /* answer 0: never answered */
	const char *calling, *called; /* NULL when not known */
	enum ct_direction direction;
	enum ct_disposition disposition;
	uint64_t ring_ms, talk_ms, hold_ms;
	unsigned holds;
	bool has_queue, has_route, has_cti_lag;
	uint64_t queue_ms, route_ms;
	int64_t cti_lag_us;
	const struct ct_call_party *parties;
	unsigned nparties;
	const struct ct_call_transfer *transfers, *diversions;
	unsigned ntransfers, ndiversions;
	bool conferenced;
	const char *const *conference; /* devices */
	unsigned nconference;
	const char *released_by, *cause; /* NULL when not known */
	const struct ct_call_leg *legs;  /* CSTA and SIP legs, in the order they joined */
	unsigned nlegs;
	const char *const *merged;       /* ids of calls merged into this one */
	unsigned nmerged;
	enum ct_join_method method;
	const char *evidence;
	const struct ct_call_recording *recordings;
	unsigned nrecordings;
	const struct ct_call_finding *findings;
	unsigned nfindings, findings_more; /* kept, and past the cap */
};

/* Where the correlator's views go. Every hook may be NULL (the view is dropped). */
struct ct_report {
	void *user;
	void (*audit)(void *user, const struct ct_audit_view *v);
	void (*sip_event)(void *user, const struct ct_sip_event *v);
	void (*dialog_end)(void *user, const struct ct_dialog_end *v);
	void (*csta_event)(void *user, const struct ct_csta_event *v);
	void (*rtp_stream)(void *user, const struct ct_rtp_stream_view *v);
	void (*agent_state)(void *user, const struct ct_agent_change *v);
	void (*recording)(void *user, const struct ct_recording_view *v);
	void (*call)(void *user, const struct ct_call_view *v);
	/* Call `from` became part of call `into` (its id is gone): whatever is keyed by a call id
	 * (a recording open in `from`, whose later triggers name `into`) moves to `into`. */
	void (*merged)(void *user, ct_time_t ts, const char *into, const char *from);
	/* In call `call`, the device SIP named `from` is CTI's device `to`: a recording of `from`
	 * goes on as `to`'s (its later triggers name `to`). */
	void (*renamed)(void *user, ct_time_t ts, const char *call, const char *from, const char *to);
};

/* Hands an audit finding to rep->audit, its detail formatted from fmt (cut at 512 bytes). */
void ct_report_audit(const struct ct_report *rep, ct_time_t ts, const char *call, enum ct_audit_kind kind,
		     const char *link, uint64_t count, const char *fmt, ...) CT_PRINTF(7, 8);

#endif
