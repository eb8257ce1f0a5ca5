/* cstalink_int.h - what cstalink.c (link state, monitors, requests, CSTA event records) and
 * cstalink_audit.c (the link's audits: blind periods, missing responses, duplicate events,
 * unknown monitors, links gone down and their successors) share. Not for use outside them.
 *
 * Memory: a link and everything in it (requests, monitors, recent events, ended monitors) is
 * owned by its struct ct_cstalinks; cl_link_free() frees one link, ct_cstalinks_free() them
 * all. Pointers to a link, monitor or pending request are valid until the link is freed (its
 * TCP connection closed and its audits written, or it was evicted for csta.max_links).
 */
#ifndef CT_CSTALINK_INT_H
#define CT_CSTALINK_INT_H

#include <string.h>

#include "../capture/packet.h"
#include "../decoders/csta_names.h"
#include "../util/hash.h"
#include "../util/htab.h"
#include "cstalink.h"

#define CT_CSTALINK_MAX_PENDING 256
#define CT_CSTALINK_RECENT 256      /* event fingerprints kept for duplicate_event */
#define CT_CSTALINK_MAX_UNKNOWN 64  /* unknown xrefs remembered (one audit each) */
#define CT_CSTALINK_MAX_ENDED 64    /* monitors ended recently, with their blind periods */
#define CT_CSTALINK_RESPONSE_TIMEOUT (10 * CT_USEC_PER_SEC)
#define CT_CSTALINK_DUP_WINDOW (2 * CT_USEC_PER_SEC)
#define CT_CSTALINK_IDLE_EVICT (300 * CT_USEC_PER_SEC) /* a working link this idle may give way */

struct pending {
	int64_t invoke_id;
	uint8_t nid;               /* enum ct_csta_name of the request */
	int dir;                   /* who asked: the answer comes from the other side */
	ct_time_t ts;
	char name[48];
	char device[CT_CSTA_DEV];  /* MonitorStart's device (to map the result's xref), else the
	                              device the request named */
	char call_id[CT_CSTA_ID];  /* the call the request named */
	char called[CT_CSTA_DEV];  /* the number it dialled (MakeCall) */
	bool used;
};

/* A recent event: who it is about (monitor and call) and what it said. */
struct recent {
	uint64_t about, content;
	ct_time_t ts;
};

/* A monitor that ended: its xref stays known; its device is blind until a new MonitorStart. */
struct ended {
	char xref[CT_CSTA_ID];
	char device[CT_CSTA_DEV];
	ct_time_t since;
	bool blind;
	char why[16];
};

/* A monitor of a link: its cross-reference id and the device it watches. Found by (link,
 * xref) in the links' table on every event, so a link with thousands of monitored devices
 * costs a hash lookup per event, not a scan. */
struct monitor {
	struct ct_hnode hn;        /* in ct_cstalinks.monitors */
	struct monitor *next;      /* the link's monitors */
	const struct link *link;
	char xref[];               /* the xref, then the device (cl_monitor_dev), each NUL-ended and
				    * at most CT_CSTA_ID - 1 and CT_CSTA_DEV - 1 bytes: a contact
				    * centre monitors every agent's device, 64 B a monitor, not 176 */
};

/* The device a monitor watches. */
static inline const char *cl_monitor_dev(const struct monitor *m)
{
	return m->xref + strlen(m->xref) + 1;
}

struct link {
	struct link *next;
	struct ct_cstalinks *t;    /* the table it is in */
	uint64_t serial;           /* tells links apart in the monitor table */
	uint64_t flow_id;          /* 0 for uaCSTA sessions */
	struct ct_addr first;      /* sender of the first message seen: direction 0 */
	uint16_t first_port;
	char session[96];          /* uaCSTA: SIP Call-ID */
	char name[160];            /* "pbx-ip:port-client-ip:port" */
	uint8_t encoding, phase;
	uint32_t csta_version;
	bool associated;
	char system_status[24];
	struct pending pend[CT_CSTALINK_MAX_PENDING];
	unsigned npend_next;
	struct monitor *mon;       /* its monitors, newest first */
	unsigned nmon;
	/* audits */
	struct ct_addr pbx;        /* the PBX side's address (a successor comes from it) */
	ct_time_t first_ts;        /* first message */
	bool saw_monitor_start;
	struct recent recent[CT_CSTALINK_RECENT];
	unsigned nrecent_next;
	uint64_t unknown[CT_CSTALINK_MAX_UNKNOWN];
	unsigned nunknown;
	struct ended ended[CT_CSTALINK_MAX_ENDED];
	unsigned nended_next;
	bool gap[2];               /* by direction as on_message counts it */
	ct_time_t gap_since[2];
	uint64_t gap_bytes[2];
	bool down, closed;         /* down: released, aborted or closed; closed: TCP gone */
	ct_time_t down_since;
	char down_why[24];
	ct_time_t last_ts;         /* last message (monitoring; and csta.max_links, link_make_room) */
	uint8_t valid_dirs;        /* bit per direction that sent a CSTA message decoded past its envelope */
};

struct ct_cstalinks {
	struct link *links;
	uint32_t nlinks, max_links;
	struct ct_counters *ctr;
	const struct ct_report *rep;
	struct ct_hashkey idkey;
	struct ct_calls *calls;
	ct_time_t response_timeout, dup_window;
	uint32_t nclosed;          /* links kept down after their TCP connection closed */
	struct ct_agents *agents;
	struct ct_htab monitors;   /* struct monitor by (link serial, xref) */
	uint32_t nmon;             /* in it, on all links */
	uint32_t max_monitors, max_monitors_total; /* ct_cstalinks_set_monitor_caps */
	struct ct_hashkey key;     /* its buckets (xrefs come off the wire) */
	uint64_t serials;
};

/* cstalink.c: the link table */
void cl_link_free(struct link *l);
const char *cl_monitor_device(const struct link *l, const char *xref);
void cl_monitor_del(struct link *l, const char *xref);

/* cstalink_audit.c: the audits, called as each message is read or a link changes state (ts and
 * now: packet time); each writes its audit records through the report hooks */
int cl_link_dir(const struct link *l, const struct ct_addr *src, uint16_t sport); /* 0 or 1 */
bool cl_answerless(enum ct_csta_name n); /* a request no response is expected for */
void cl_down_end(struct ct_cstalinks *t, struct link *d, ct_time_t to, ct_time_t now);
void cl_dup_audit(struct ct_cstalinks *t, struct link *l, const struct ct_csta_msg *m, const char *name,
		  ct_time_t ts, ct_time_t prev);
bool cl_dup_check(struct ct_cstalinks *t, struct link *l, const struct ct_csta_msg *m, ct_time_t ts,
		  ct_time_t *prev);
void cl_ended_close(struct ct_cstalinks *t, struct link *l, struct ended *e, ct_time_t to, ct_time_t now);
struct ended *cl_ended_find(struct link *l, const char *xref);
void cl_gap_end(struct ct_cstalinks *t, struct link *l, int dir, ct_time_t to, ct_time_t now);
void cl_link_down(struct ct_cstalinks *t, struct link *l, ct_time_t ts, const char *why);
void cl_missing(struct ct_cstalinks *t, struct link *l, struct pending *p, ct_time_t now, const char *why);
void cl_monitor_ended(struct ct_cstalinks *t, struct link *l, const char *xref, ct_time_t ts, const char *why);
void cl_monitor_started(struct ct_cstalinks *t, struct link *l, const char *device, ct_time_t ts);
void cl_pending_expire(struct ct_cstalinks *t, struct link *l, ct_time_t now, bool all, const char *why);
void cl_successor_check(struct ct_cstalinks *t, struct link *m, ct_time_t now);
void cl_sweep(struct ct_cstalinks *t);
void cl_unknown_monitor(struct ct_cstalinks *t, struct link *l, const struct ct_csta_msg *m, const char *name,
			ct_time_t ts);

#endif
