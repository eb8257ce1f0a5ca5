/* calls_int.h - the call correlator's insides, shared by its files (not for other modules).
 *
 *   calls.c        the call model: calls, legs, parties, merges, timers, the record's view
 *   calls_index.c  the index: every key a call is known by (legs, shared ids, devices,
 *                  numbers), with the time it was last named
 *   calls_join.c   the evidence ladder: which call a new leg belongs to, strongest evidence
 *                  first (every join rule is there)
 *   calls_sip.c    what each SIP moment does to its call
 *   calls_csta.c   what each CSTA event does to its call
 *   calls_rec.c    the recording policy: when a device's recording starts, pauses, resumes,
 *                  stops
 *   calls_audit.c  findings: audits about a call, and those only the whole call shows
 *
 * Everything is single-threaded and bounded by the caps below; calls.max bounds the calls.
 *
 * Memory of a call in progress (docs/performance.md): a call is its struct ccall, one
 * allocation per leg, per party and per index key, and what only some calls have (findings,
 * transfers, diversions, conference devices, merged ids, evidence) allocated at its first use.
 * Names (devices, numbers, links, SDP addresses) are interned in ct_calls.names_in: a field
 * holds one reference (str_set() and the like), given back when the field changes or its
 * owner is freed; a name is cut at CT_CSTA_DEV - 1 bytes as the fixed fields it replaced were.
 */
#ifndef CT_CALLS_INT_H
#define CT_CALLS_INT_H

#include "../util/heap.h"
#include "../util/htab.h"
#include "../util/id.h"
#include "../util/intern.h"
#include "calls.h"

#define CALLS_MAX_LEGS 12
#define CALLS_MAX_KEYS 24
#define CALLS_KEYS_FIRST 12   /* a call with SIP and CSTA legs on two links is known by ~12 */
#define CALLS_MAX_PARTIES 10
#define CALLS_MAX_AUDIT 16
#define CALLS_MAX_XFER 6
#define CALLS_EXT_DIGITS 6    /* an extension has at most this many digits (SIP-only calls) */
#define CALLS_MAX_IV 8
#define CALLS_MAX_MERGED 6
#define CALLS_MAX_TAGS 6
#define CALLS_KEY 420 /* "csta:" link "|" callID, or "sip:" Call-ID (256) */
#define CALLS_EVIDENCE 320
#define CALLS_CAUSE 48        /* a CSTA cause is kept to CALLS_CAUSE - 1 bytes */
#define CALLS_FAILOVER (60 * CT_USEC_PER_SEC) /* a standby CTI server takes over within this */
#define CALLS_MAX_REL 16      /* release evidence kept per call (the latest) */
#define CALLS_RELAYS 4096     /* a B2BUA's relayed messages remembered (calls_b2bua.c) */
#define CALLS_RELAY_CANDS 4   /* dialogs an outgoing dialog may still be the relay of */
#define CALLS_NAMES 4096      /* device names learnt (long forms, SIP users: calls_names.c) */
#define CALLS_RELEASE_GAP (1 * CT_USEC_PER_SEC) /* messages of one hang-up come closer than this */

struct ccall;

/* An index entry: a leg ("sip:<Call-ID>", "csta:<link>|<callID>") or an id the call is known
 * by ("ucid:", "gid:", "cid:", "dev:", "num:", "numc:", "numd:", "b2b:", "route:"), with the
 * time it was last named. Allocated with its key (idx_add), owned by its leg or call. */
struct ikey {
	struct ct_hnode hn;        /* in ct_calls.idx */
	struct ccall *cc;
	ct_time_t ts;
	char key[];                /* whole, NUL-terminated */
};

/* An SDP media endpoint as a leg keeps it: the address interned. */
struct leg_ep {
	const char *ip;            /* interned; "" unknown */
	uint16_t port;             /* 0: unknown */
};

/* What only a SIP leg has: its dialog. */
struct leg_sip {
	uint64_t tags[CALLS_MAX_TAGS]; /* hashes of the tags seen in the dialog (an SBC between two
					 * mirror points rewrites them): a Replaces must name them */
	/* names: interned ("" none) */
	const char *device;        /* the request-URI user of the initial INVITE */
	const char *calling;       /* the caller of the initial INVITE */
	const char *cti_dev;       /* the device CTI knows its phone end as ("" not known) */
	ct_time_t invite_ts, answer_ts;
	struct ct_addr invite_src, invite_dst;
	struct ct_addr hop, hop_src; /* the latest copy of the INVITE, to and from (a proxy or an SBC
				      * that keeps the Call-ID forwards it: one dialog, several hops) */
	struct leg_ep sdp_caller, sdp_callee;
	const char *pending_to;    /* a REFER waiting for its answer (interned) */
	const char *pending_from;
	ct_time_t pending_ts;
	uint8_t pending_kind;      /* enum ct_xfer_kind */
	bool pending;
	bool b2b_in;               /* a B2BUA placed another leg for it: its phone is the caller */
	bool answered_sip;         /* the dialog was answered (dialog_end) */
	uint32_t rtp_flows;        /* RTP flows on its SDP endpoints (dialog_end) */
	char ucid[17];             /* the UCID of its INVITE's User-to-User, "" none */
	/* a dialog a B2BUA placed: the dialog it relays is one of rcand (calls_b2bua.c) */
	uint8_t rvote[CALLS_RELAY_CANDS]; /* messages that fitted each */
	uint8_t nrcand;
	uint8_t robs;              /* relayed messages that told something of it */
	bool rconstrained, rpaired;
	bool rin;                  /* the candidates are the dialogs a B2BUA placed for it */
	bool rcand_of;             /* among the candidates of a dialog a B2BUA placed */
	bool ramb_said;            /* its ambiguous_join audit was written */
	/* how the leg is tied to the CSTA world (enum join, 0: not directly), and which group of
	 * SIP legs tied to each other (a B2BUA's sides, a Replaces) it is in: the record's
	 * correlation.method is the weakest tie among the groups (calls.c, method_of) */
	uint8_t xjoin, comp;
	uint64_t rcand[CALLS_RELAY_CANDS]; /* the relay candidates (their legs' key hashes), after
					    * the bytes above to keep the struct at 280 B */
};

/* A leg: a SIP dialog or a CSTA call on a link. Allocated by leg_add() (a SIP leg with its
 * struct leg_sip), owned by its call (a merge moves it whole: a pointer to a leg stays valid
 * until its call is freed). */
struct leg {
	struct ikey *k;            /* its index entry */
	struct leg_sip *sip;       /* a SIP leg's dialog; NULL: a CSTA leg (`if (l->sip)` tells) */
	const char *call_id;       /* the SIP Call-ID or CSTA callID: the tail of k->key */
	const char *link;          /* CSTA: the link's name (interned; SIP: "") */
	bool ended, answered;
	bool bye;                  /* SIP: a BYE was seen */
	bool alerted_seen;         /* CSTA: Delivered, Originated or ServiceInitiated seen */
	bool cleared;              /* CSTA: a clearing event ended it */
	bool superseded;           /* CSTA: the callID went on on another link (failover) */
	bool consult;              /* CSTA: a consultation call of the customer call it is in: its
				    * caller and called are not the customer call's */
};

enum rec_state { REC_NONE, REC_ON, REC_PAUSED, REC_STOPPED };
/* Why a recording is paused (struct party.pz): REC_PAUSED while any is set, each cleared by its
 * own end (a retrieve never ends a payment pause; calls_rec.c). */
enum { PZ_HOLD = 1, PZ_REQUEST = 2, PZ_PAYMENT = 4 };

/* A device that took part in the call. Allocated by party(), owned by its call. */
struct party {
	const char *device;        /* interned */
	ct_time_t alerted, answered, released;
	bool csta;                 /* CSTA reported it (else only a SIP leg named it) */
	bool external;             /* the far end of an outbound call: not a contact-centre party */
	bool originated;           /* it placed the call (CSTA ServiceInitiated/Originated) */
	const char *agent_id;      /* the agent CTI reported at the device when it took the call
				    * (interned, "" none) */
	bool on_call;
	uint8_t rec;               /* enum rec_state */
	bool consulting;           /* recorded on its consultation call (its customer held) */
	uint8_t rtp_dirs;          /* RTP directions its last recording record named */
	bool consulted;            /* answered the consultation call of another party */
	uint8_t pz;                /* PZ_* bits: why its recording is paused */
	bool payment;              /* a record.pause_devices device in the call (rang or answered,
				    * not released): every recording of the call pauses */
	struct ct_interval *iv;    /* recorded intervals: CALLS_MAX_IV, allocated at the first */
	unsigned niv;
};

/* How a leg of the other world joined: the weaker, the lower. */
enum join { J_NUMBER = 1, J_DEVICE = 2, J_SHARED = 3, J_NONE = 9 };

struct ccall {
	struct ccall *prev, *next;
	char id[CT_ID_MAX];
	ct_time_t start, answer, last, ended_at, sip_ended_at;
	ct_time_t csta_ended_at;   /* the last clearing of its CSTA legs */
	ct_time_t last_sip, last_csta; /* its last news from each side */
	ct_time_t *rel;            /* release evidence (BYE, CANCEL, failure, CSTA clearing), in
				    * order: grown up to CALLS_MAX_REL, then the latest */
	ct_time_t held_since;
	/* names: interned, "" none */
	const char *held_by;       /* the device that holds it ("" not known) */
	const char *consult_dev;   /* that device consults about it: its consultation call is part
				    * of this one (calls_csta.c, consultation) */
	ct_time_t sip_hold_at, sip_resume_at; /* a SIP hold or resume CTI has yet to confirm */
	uint64_t hold_us;
	const char *sip_calling, *sip_called;
	ct_time_t sip_first;       /* the INVITE of the first SIP leg (the trunk leg of an inbound call) */
	const char *csta_calling, *csta_called;
	const char *released_by;
	const char *cause;         /* CSTA cause of the first release (interned, CALLS_CAUSE - 1 bytes) */
	const char *sip_cause;     /* sip_<status> of a failed INVITE (interned) */
	char *evidence;            /* "; "-separated, allocated at its length (NULL: none), at most
				    * CALLS_EVIDENCE - 1 bytes */
	ct_time_t queued_at, queue_end, route_req, route_sel;
	const char *xfer_dev;       /* a transfer asked for (CTI request, SIP REFER): its device... */
	ct_time_t xfer_ts;          /* ...and when: a release soon after is the transfer's */
	ct_time_t xfer_left;        /* when that device first left a leg after asking */
	const char *queue_dev;
	int64_t cti_lag;
	/* grown as they come (calls_room) up to their caps; counts and sizes with the small fields */
	struct leg **legs;         /* CALLS_MAX_LEGS */
	struct ikey **keys;        /* the ids it is known by (legs apart): CALLS_MAX_KEYS */
	struct party **parties;    /* CALLS_MAX_PARTIES */
	/* what only some calls have: allocated (at the cap) at the first */
	struct ct_call_transfer *xfers; /* CALLS_MAX_XFER */
	struct ct_call_transfer *divs; /* CALLS_MAX_XFER */
	const char **conf;         /* CALLS_MAX_PARTIES devices (interned) */
	char (*merged)[CT_ID_MAX]; /* CALLS_MAX_MERGED ids */
	struct ct_call_finding *audit; /* allocated at the first finding: most calls have none */
	/* the small fields together (no holes between pointers: 448 bytes, not 488) */
	unsigned holds;
	enum ct_direction direction;
	enum ct_disposition sip_disposition;
	unsigned naudit, audit_more; /* findings kept, and those past the cap (counted) */
	uint8_t nrel, crel;        /* rel's count and size */
	bool held;
	bool csta_busy, cleared_before_answer;
	bool cancelled;            /* a caller gave up (SIP CANCEL) */
	bool conf_caller;          /* the conference's first party is the caller CTI withheld */
	bool make_call;            /* a CTI application placed it (MakeCall): the PBX rings the
				    * agent's phone first, showing the number it then dials */
	bool network;              /* CSTA NetworkReached: the call left for the public network */
	bool fragment;             /* first seen by a message that cannot begin a call */
	uint8_t join;              /* enum join: the weakest CSTA <-> SIP join (when no leg says) */
	uint8_t ncomp;             /* groups of SIP legs numbered so far */
	bool xfer_single;          /* the transfer asked for (xfer_dev) was a SingleStepTransferCall */
	uint8_t xfer_weak;         /* bit i: xfers[i].ts is only its REFER's (calls.c, transfer_seen) */
	bool routed;               /* a routing request (RouteRequest) was about it */
	bool has_cti_lag;          /* cti_lag is known */
	uint8_t nlegs, clegs, nkeys, ckeys, nparties, cparties; /* counts and sizes of the arrays */
	uint8_t nxfers, ndivs, nconf, nmerged;
	bool conferenced;
	struct ct_heap_node timer; /* when it is to be looked at again (its record may be due) */
};

struct ct_calls {
	struct ct_calls_cfg cfg;
	struct ct_counters *ctr;
	const struct ct_report *rep;
	struct ct_hashkey key;     /* the index's buckets: random per run (packets choose the keys) */
	struct ct_htab idx; /* every key of every call (struct ikey) */
	struct ccall head; /* list sentinel, oldest first */
	uint32_t live;
	struct ct_heap timers; /* every call, by due time (packet time) */
	struct relay *relays;  /* the last CALLS_RELAYS relayed messages (a ring) */
	unsigned nrelays_next;
	struct ct_htab relay_idx; /* ... by host and kind */
	struct names *names;   /* what the site's devices are also called (calls_names.c) */
	struct ct_intern names_in; /* the names calls in progress hold (str_set) */
	bool csta_seen;    /* some CSTA call was seen: a SIP call without one is an orphan */
};

/* ---- small helpers (calls.c) ---- */
/* An interned name field (a `const char *` that starts as "" or ct_intern_empty): set to src
 * (NULL: ""), cut at CT_CSTA_DEV - 1 bytes; the reference it held is given back. */
void str_set(struct ct_calls *t, const char **field, const char *src);
/* The same, only when the field is empty and src is not. */
void str_fill(struct ct_calls *t, const char **field, const char *src);
/* str_fill(), cut at max bytes. */
void str_fill_max(struct ct_calls *t, const char **field, const char *src, size_t max);
/* Gives back the field's reference; it is "" after. */
void str_drop(struct ct_calls *t, const char **field);
static inline bool calls_empty(const char *s)
{
	return !s || !s[0];
}
void calls_min_time(ct_time_t *dst, ct_time_t v);
/* The normalised form of a number (numbers.* rules), or the text as it is; NULL when empty. */
const char *calls_norm(struct ct_calls *t, const char *in, char *out, size_t cap);

/* ---- the index (calls_index.c) ---- */
struct ikey *idx_find(struct ct_calls *t, const char *key);
/* A new entry for key of call cc, in the index; the caller owns it (idx_del). NULL when it could
 * not be allocated (counted: calls_keys_dropped). */
struct ikey *idx_add(struct ct_calls *t, const char *key, struct ccall *cc, ct_time_t ts);
/* Takes k out of the index and frees it (NULL: nothing). */
void idx_del(struct ct_calls *t, struct ikey *k);
/* The entry now belongs to call cc (a merge), keeping its key and time. */
void idx_move(struct ct_calls *t, struct ikey *k, struct ccall *cc);
/* Points l->call_id into the leg's key. */
void leg_call_id(struct leg *l);
/* "kind:a" or "kind:a|b" into key (CALLS_KEY bytes); false (key "") when it does not fit. */
bool mkkey(char *key, const char *kind, const char *a, const char *b);
/* Room for one more entry in the array *arr of n entries of elem bytes, *cap of them allocated:
 * grown (from `first`) up to max. False when it holds max already, or out of memory. */
bool calls_room(void **arr, uint8_t *cap, unsigned n, unsigned max, unsigned first, size_t elem);
#define CALLS_ROOM(arr, cap, n, max, first) calls_room((void **)&(arr), &(cap), (n), (max), (first), sizeof(*(arr)))
/* Remembers an id of the call for the legs still to come. A device or number entry moves to
 * the newest call that names it; a shared id stays with the call that had it first. */
void remember(struct ct_calls *t, struct ccall *cc, const char *kind, const char *value, ct_time_t ts);
struct ikey *idx_find_kind(struct ct_calls *t, const char *kind, const char *value);
/* The calls a join rule finds: distinct, at most CALLS_MAX_CANDS (more: there were more). */
#define CALLS_MAX_CANDS 8
struct cands {
	struct ccall *c[CALLS_MAX_CANDS];
	unsigned n;
	bool more;
};
void cands_add(struct cands *c, struct ccall *cc);
/* Every call known by kind:value; timed: named within the window and still open. */
void lookup_all(struct ct_calls *t, const char *kind, const char *value, ct_time_t ts, bool timed, struct cands *out);
/* The call known by kind:value (timed as above): of several, the one with the latest news. For
 * ids that name one call (UCIDs, routeing dialogues); joins on circumstantial evidence use
 * lookup_all() and leave ambiguous legs apart. */
struct ccall *lookup(struct ct_calls *t, const char *kind, const char *value, ct_time_t ts, bool timed);
/* The leg indexed by key (and its call), NULL when none. */
struct leg *leg_of(struct ct_calls *t, const char *key, struct ccall **cc);

/* ---- the call model (calls.c) ---- */
struct ccall *call_new(struct ct_calls *t, const char *id, ct_time_t ts);
/* A call's id: its first leg (a SIP Call-ID, or a link and CSTA callID) and the packet time it
 * began: the same input gives the same ids, and a Call-ID or callID used again later (PBXs
 * recycle callIDs) gives another id. */
void call_id_of(char id[CT_ID_MAX], const char *kind, const char *a, const char *b, ct_time_t ts);
bool has_sip(const struct ccall *cc);
bool has_csta(const struct ccall *cc);
bool all_ended(const struct ccall *cc, bool sip_only);
struct leg *leg_add(struct ct_calls *t, struct ccall *cc, const char *key, bool sip, const char *link,
		    const char *call_id, ct_time_t ts);
/* The leg is over at ts (its first release evidence: BYE, CANCEL, final failure, CSTA clearing,
 * which is also kept as release evidence of the call). */
void leg_end(struct ccall *cc, struct leg *l, ct_time_t ts);
/* The call is over: every leg ended, or one side's legs all ended with release evidence (the
 * other side's lost in the capture) and the grace for the other side passed. */
bool call_over(const struct ccall *cc);
struct party *party_find(struct ccall *cc, const char *device);
struct party *party(struct ct_calls *t, struct ccall *cc, const char *device, bool csta);
/* Makes calls a and b one (the earlier survives, returned); `why` names the rule, for -vv. */
struct ccall *merge_calls(struct ct_calls *t, struct ccall *a, struct ccall *b, const char *why);
#define merge(t, a, b) merge_calls(t, a, b, __func__)
void evidence_add(struct ccall *cc, const char *evidence);
void joined(struct ccall *cc, enum join how, const char *evidence);
/* SIP legs a and b (of one call) are tied to each other (a B2BUA's two sides, a Replaces). */
void sip_tie(struct ccall *cc, const struct leg *a, const struct leg *b);
/* The SIP legs of cc that match (per CTI's evidence how) are tied to the CSTA world that
 * strongly: those reaching (or coming from) device dev, or carrying the UCID, or whose caller
 * (dialled number) is the number given. */
void csta_ties(struct ct_calls *t, struct ccall *cc, enum join how, const char *dev, const char *ucid,
	       const char *calling, const char *called);
/* Re-places the call in the timer heap after a change. */
void touch(struct ct_calls *t, struct ccall *cc);
/* Appends to *list (allocated at the first, CALLS_MAX_XFER entries); false when full (dropped). */
bool add_xfer(struct ct_call_transfer **list, uint8_t *n, const char *from, const char *to, enum ct_xfer_kind kind,
	      ct_time_t ts);
void conf_add(struct ct_calls *t, struct ccall *cc, const char *device);
void cti_lag(struct ccall *cc, const char *device, ct_time_t delivered);
void transfer_asked(struct ct_calls *t, struct ccall *cc, const char *device, ct_time_t ts);
/* A message reports a transfer: one entry per transfer (R10), however many report it. weak: ts
 * is not evidence of its completion (a REFER's), a later one replaces it. */
void transfer_seen(struct ct_calls *t, struct ccall *cc, const char *from, const char *to, enum ct_xfer_kind kind,
		   ct_time_t ts, bool weak);
/* Evidence that the transfer `from` asked for is done (its NOTIFY 200, its leg's BYE). */
void transfer_done(struct ct_calls *t, struct ccall *cc, const char *from, ct_time_t ts);
/* The device at the phone end of a SIP leg: the callee of a leg a PBX placed, the caller of
 * a leg that came into a B2BUA ("" for a CSTA leg). */
const char *leg_device(const struct leg *l);
/* The party that leaves the call when SIP leg l ends (NULL when its device has another leg). */
struct party *leaving(const struct ct_calls *t, struct ccall *cc, const struct leg *l, ct_time_t ts);
/* CTI reported device dev alerting, answering (out false) or placing (out true) the call at
 * ts: the call's SIP leg that reaches (comes from) that phone, when one can tell, is named
 * by it, and what SIP said of the phone before becomes the party's. */
void name_legs(struct ct_calls *t, struct ccall *cc, const char *dev, const struct ct_csta_msg *m, bool out,
	       ct_time_t ts);
/* A new SIP leg l to a phone, after CTI reported the phone ringing: named by that device when
 * its name or its ties (UCID, a B2BUA) say it is the one. */
void name_leg_late(struct ct_calls *t, struct ccall *cc, struct leg *l, ct_time_t ts);
/* A party only SIP named, through the dialog `by` (which turned out to reach no device: what
 * it dialled was a B2BUA), is no party. */
void party_forget(struct ct_calls *t, struct ccall *cc, const char *device, const struct leg *by);
/* What SIP said of device `from` is CTI's device `to`'s (the party's times, recording, agent). */
void party_rename(struct ct_calls *t, struct ccall *cc, const char *from, const char *to);

/* ---- shared by the call model's files (calls.c, calls_party.c, calls_merge.c, calls_xfer.c,
 * calls_record.c) ---- */
/* Free a leg, a party, a call (its legs, parties, keys and names; unlinked from the index,
 * the list and the timer heap). */
void leg_free(struct ct_calls *t, struct leg *l);
void party_free(struct ct_calls *t, struct party *p);
void call_free(struct ct_calls *t, struct ccall *cc);
/* Keeps ts as release evidence (a BYE, CANCEL, clearing), in time order, the oldest dropped
 * when the list is full. */
void release_seen(struct ccall *cc, ct_time_t ts);
/* When the call ended: the first message of the last hang-up (release evidence grouped by the
 * time between them); 0 when none was seen. */
ct_time_t hangup_time(const struct ccall *cc);
/* Writes the call's record (through the report's call hook) as of now. */
void emit_call(struct ct_calls *t, struct ccall *cc, ct_time_t now);
/* A new entry in *list (allocated at the first, CALLS_MAX_XFER), NULL when full. */
struct ct_call_transfer *xfer_new(struct ct_call_transfer **list, uint8_t *n);
/* Device added to the conference's list as it is (conf_add() checks it first). */
void conf_put(struct ct_calls *t, struct ccall *cc, const char *device);

/* ---- moments of a party (calls_rec.c: they drive recording and the agents' state) ---- */
void note_agent(struct ct_calls *t, struct party *p);
void alerted(struct ct_calls *t, struct ccall *cc, struct party *p, ct_time_t ts);
void answered(struct ct_calls *t, struct ccall *cc, struct party *p, ct_time_t ts);
void leave(struct ct_calls *t, struct ccall *cc, struct party *p, enum ct_rec_reason reason, ct_time_t ts);
void released(struct ct_calls *t, struct ccall *cc, struct party *p, enum ct_rec_reason reason, ct_time_t ts);
void hold(struct ct_calls *t, struct ccall *cc, struct party *p, bool on, ct_time_t ts);
/* A SIP leg's hold or resume: the call's hold where no CTI reports the call; with CTI, only the
 * time of a hold CTI is to confirm (a PBX's own re-INVITEs parking or moving media are not
 * holds). */
void hold_sip(struct ct_calls *t, struct ccall *cc, struct party *p, bool on, ct_time_t ts);
/* CTI's Held or Retrieved at ts: the hold starts (ends) at the earlier of ts and the SIP hold
 * (resume) that came just before it. */
void hold_cti(struct ct_calls *t, struct ccall *cc, struct party *p, bool on, ct_time_t ts);
/* The earliest evidence of a moment CTI reports at ts that ends a hold (a transfer, a
 * conference): a SIP resume or a leg's end shortly before it, since the hold began. */
ct_time_t reconnect_time(const struct ct_calls *t, const struct ccall *cc, ct_time_t ts);
void rec_start(struct ct_calls *t, struct ccall *cc, struct party *p, enum ct_rec_reason reason, ct_time_t ts);
void rec_stop(struct ct_calls *t, struct ccall *cc, struct party *p, enum ct_rec_reason reason, ct_time_t ts);
/* Every recording of cc paused while a record.pause_devices party is in it, resumed when none
 * is (after a merge of two calls). */
void rec_payment(struct ct_calls *t, struct ccall *cc, ct_time_t ts);
/* The SDP of leg l changed: a recording on it that named one direction only gets an update. */
void rec_media(struct ct_calls *t, struct ccall *cc, const struct leg *l, ct_time_t ts);
/* The recorded intervals of q added to p's, in time order (the cap keeps the first). */
void iv_merge(struct party *p, const struct party *q);

/* ---- the evidence ladder (calls_join.c) ---- */
struct ct_calls_sip;
/* The call a new SIP dialog (CSTA call) belongs to by the ladder, and how (*how, ev), or NULL:
 * then *amb holds the calls a rule found equally fitting, when one did. */
struct ccall *sip_join(struct ct_calls *t, const struct ct_calls_sip *s, const char *ncalling, char *ev, size_t evcap,
		       enum join *how, struct cands *amb);
struct ccall *csta_join(struct ct_calls *t, const char *link, const struct ct_csta_msg *m, const char *dev,
			ct_time_t ts, char *ev, size_t evcap, enum join *how, struct cands *amb);
/* The new leg (described by what) stayed apart from the calls in amb, which fitted it equally:
 * an ambiguous_join finding on its call. */
void ambiguity_text(const struct cands *amb, const char *what, char *d, size_t cap);
/* The last 4 digits of a number (the index's tail keys "ct", "dt"); "" when not a number. */
void number_tail(const char *in, char out[8]);
/* ---- device names (calls_names.c) ---- */
int calls_names_init(struct ct_calls *t);
void calls_names_free(struct ct_calls *t);
/* The device a SIP user or number names, as CTI knows it (user itself when nothing is known of
 * it); the pointer is user or a learnt name (valid until the next learning). */
const char *device_of(struct ct_calls *t, const char *user);
/* The same for a SIP user reached at host (a phone's address; NULL: not known): the user at
 * that host first, then the user alone. */
const char *device_at(struct ct_calls *t, const char *user, const struct ct_addr *host);
/* A SIP user (or number) was seen reaching CTI's device dev at host (NULL: not known). */
void learn_user(struct ct_calls *t, const char *user, const char *dev, const struct ct_addr *host);
/* The hosts of a SIP leg's two ends: the callee's (where its INVITE went last) and the
 * caller's (a CSTA leg's: the zero address). */
static inline const struct ct_addr *callee_host(const struct leg *l)
{
	static const struct ct_addr none;
	if (!l->sip)
		return &none;
	return memcmp(&l->sip->hop, &none, sizeof(none)) ? &l->sip->hop : &l->sip->invite_dst;
}
static inline const struct ct_addr *caller_host(const struct leg *l)
{
	static const struct ct_addr none;
	return l->sip ? &l->sip->invite_src : &none;
}
/* Two callers both known as numbers (6 digits or more) that are not the same party by their
 * tails: withheld callers, names and extensions differ from nothing. */
bool callers_differ(const char *a, const char *b);
/* A CSTA message's device fields named as records name them: a monitored device's long forms
 * by its extension (learnt), numbers by their digits. */
void csta_names(struct ct_calls *t, struct ct_csta_msg *m, const char *monitored);

/* ---- a B2BUA's legs (calls_b2bua.c) ---- */
struct relay;
int calls_relays_init(struct ct_calls *t);
void calls_relays_free(struct ct_calls *t);
/* A SIP moment of leg l (in call cc) that a B2BUA may relay or have relayed: observed, and the
 * legs it pairs are joined. Returns the call l is in now. */
struct ccall *relay_moment(struct ct_calls *t, struct ccall *cc, struct leg *l, const struct ct_calls_sip *s);
/* At the record: an outgoing leg still fitting several relayed dialogs is an ambiguous_join. */
void relay_ambiguity(struct ct_calls *t, struct ccall *cc, struct leg *l, ct_time_t now);
void relay_leaving(struct ct_calls *t, struct ccall *cc, ct_time_t now);
struct ccall *late_join(struct ct_calls *t, struct ccall *cc, const char *dev, ct_time_t ts);
struct ccall *late_join_dialled(struct ct_calls *t, struct ccall *cc, const char *called, ct_time_t ts);
/* The UCID a CSTA message carries (correlatorData or userData in UCID shape), or NULL. */
const char *csta_ucid(const struct ct_csta_msg *m, char out[17]);

/* ---- SIP dialogs named by a Replaces (calls_sip.c) ---- */
struct replaces {
	char callid[260];
	char to[80], from[80];
};
void replaces_parse(const char *in, struct replaces *r);
struct leg *replaced_leg(struct ct_calls *t, const struct replaces *r, struct ccall **cc);

/* ---- findings (calls_audit.c) ---- */
/* A finding about call cc (may be NULL): an audit record now, and a line in the call record. */
void finding(struct ct_calls *t, struct ccall *cc, ct_time_t ts, enum ct_audit_kind kind, const char *link,
	     const char *detail);
/* A line in the call record only (cut at 159 bytes, counted: the audit record has it whole). */
void note(struct ct_calls *t, struct ccall *cc, enum ct_audit_kind kind, const char *detail);
/* Findings only the whole call shows: CSTA calls never cleared, SIP calls CTI never saw. */
void final_findings(struct ct_calls *t, struct ccall *cc, ct_time_t end, bool answered_call);

/* ---- moments (calls_sip.c, calls_csta.c) ---- */
struct ccall *sip_moment(struct ct_calls *t, const struct ct_calls_sip *s);
struct ccall *csta_moment(struct ct_calls *t, const struct ct_calls_csta *c);

#endif
