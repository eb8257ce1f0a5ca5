/* capture.h - from a captured frame to flows, UDP datagrams and TCP streams.
 *
 * ct_capture_frame() is the whole per-packet path: link layer, VLAN/MPLS/PPPoE, tunnels
 * (GRE, ERSPAN I/II/III, VXLAN, IP-in-IP), IPv4/IPv6 with extension headers, SPAN
 * duplicate suppression, fragment reassembly, the flow table, then UDP to the `udp`
 * callback and TCP through reassembly to the flow's stream parser. It owns no thread and
 * no global: a test builds one with ct_capture_init() and feeds it byte arrays.
 * The clock is the packet timestamp; nothing here reads the wall clock.
 *
 * The capture clock (c->now) is the packet time the layers above see and run their timers
 * on. It survives bogus timestamps (docs/capture.md, "Packet time"):
 *  - a frame within CT_CLOCK_WINDOW of the clock is on its time line: it is processed at its
 *    own time and moves the clock forward if it is newer;
 *  - any other frame is held (copied) until the next frames decide. CT_CLOCK_STREAK frames in a
 *    row off the clock's time line, each at most CT_CLOCK_WINDOW older than the newest of them,
 *    are a new time line: the clock moves to it (forward or back) and they are processed at
 *    their own times; a move back, or forward by more than CT_CLOCK_JUMP_AUDIT, is reported
 *    (ops.clock_jump, counter clock_jumps). A frame on the old time line, or one that fits
 *    neither, ends the wait: the held frames were outliers and are processed at the clock's
 *    time (clock_outliers), in their order;
 *  - a time past 9999-12-31T23:59:59.999999Z (CT_TIME_MAX) is never believed: the frame is
 *    processed at the clock's time (clock_invalid);
 *  - at the end of input (ct_capture_flush) held frames ahead of the clock by at most
 *    CT_CLOCK_JUMP_AUDIT are a silence before the last frames (own times); others are outliers.
 * After a move back, flows, fragments and TCP queues of the old time line count as last seen
 * at the new time, so they age out on it.
 */
#ifndef CT_CAPTURE_H
#define CT_CAPTURE_H

#include <stdbool.h>
#include <stdint.h>

#include "../util/counters.h"
#include "../util/hash.h"
#include "dedup.h"
#include "defrag.h"
#include "flow.h"
#include "packet.h"
#include "stream.h"
#include "tcp.h"

/* Link types ctitap decodes (values of LINKTYPE_*, which pcap files carry). */
#define CT_LINK_NULL 0
#define CT_LINK_ETHERNET 1
#define CT_LINK_RAW 101
#define CT_LINK_LOOP 108
#define CT_LINK_LINUX_SLL 113
#define CT_LINK_IPV4 228
#define CT_LINK_IPV6 229
#define CT_LINK_LINUX_SLL2 276

struct ct_capture_cfg {
	unsigned vlan_max;         /* VLAN tags removed before giving up on a frame */
	unsigned tunnel_max;       /* nested encapsulations removed before giving up */
	uint16_t vxlan_port;       /* UDP port carrying VXLAN (0: off) */
	bool dedup;                /* SPAN duplicate suppression */
	ct_time_t dedup_window;
	uint32_t dedup_buckets;
	uint32_t defrag_max;
	size_t defrag_memcap;
	ct_time_t defrag_timeout;
	uint32_t flow_max;
	ct_time_t udp_timeout;
	ct_time_t tcp_timeout;
	ct_time_t tcp_closed_timeout;
	size_t tcp_memcap;
	size_t tcp_flow_memcap;
	ct_time_t tcp_ooo_timeout;
	unsigned workers;          /* capture.workers: threads of the per-flow path (capture/workers.h); 0: the app picks */
};

/* Fills cfg with the documented defaults (docs/configuration.md). */
void ct_capture_cfg_default(struct ct_capture_cfg *cfg);

struct ct_capture;

/* How often the layers above are told the time (ops.clock): a timer due at t runs at most this
 * much later (a call record is measured against calls.settle_ms with it). */
#define CT_CLOCK_TICK (100 * 1000) /* µs */

struct ct_capture_ops {
	/* A UDP datagram, or a whole SCTP user message (p->proto 132), of flow f; dir 0 = from
	 * the side that sent the flow's first packet. */
	void (*udp)(void *user, struct ct_capture *c, struct ct_flow *f, int dir, const struct ct_pkt *p);
	/* A new TCP flow: return its stream parser (or NULL to only count its bytes), and the
	 * parser's state in *st. */
	const struct ct_stream_parser *(*tcp_classify)(void *user, struct ct_flow *f, const struct ct_pkt *p, void **st);
	/* A flow ends (after its TCP parser was closed); free what hangs on f->app. */
	void (*flow_close)(void *user, struct ct_flow *f, enum ct_flow_end why);
	/* Packet time moved into a new tick (CT_CLOCK_TICK): timers of the layers above run here.
	 * May be NULL. */
	void (*clock)(void *user, ct_time_t now);
	/* The clock moved to a new time line (rule above): back, or forward by more than
	 * CT_CLOCK_JUMP_AUDIT, after `frames` frames in a row on it. Called before those frames
	 * are processed and before clock() runs at `to`. May be NULL. */
	void (*clock_jump)(void *user, ct_time_t from, ct_time_t to, unsigned frames);
	/* capture.workers (capture/workers.h): a UDP datagram of flow f, handled on a worker
	 * thread instead of through `udp`. Return true when it was (and in *kind what it was, for
	 * udp_fast_commit), false to leave it to `udp` on the serial thread, in input order. It
	 * runs while the serial thread waits: it may change f's own state (f->app) and read, never
	 * write, anything shared. May be NULL (never taken). */
	bool (*udp_fast)(void *user, struct ct_flow *f, int dir, const struct ct_pkt *p, uint8_t *kind);
	/* ...and, on the serial thread at the datagram's place in the input, what udp_fast did
	 * (counters) and what the serial order decides (recording its RTP). p is the datagram as
	 * `udp` would have had it, and `frame` is set as for `udp` (below). */
	void (*udp_fast_commit)(void *user, const struct ct_pkt *p, uint8_t kind);
};

/* capture.workers: a capture that only decodes (the reader's half, capture/workers.c) hands
 * each transport packet and each flow-table event on through these hooks instead of finding
 * flows itself. */
struct ct_capture_split {
	/* a UDP or TCP packet with its header parsed (p->l4, p->data), or an SCTP packet (p->l4
	 * the whole of it); p and its bytes are borrowed for the call */
	void (*l4)(void *user, struct ct_capture *c, const struct ct_pkt *p);
	void (*advance)(void *user, ct_time_t now); /* the clock moved forward: flows expire */
	void (*rebase)(void *user, ct_time_t to);   /* the clock moved back (capture.h) */
	void *user;
};

#define CT_CLOCK_WINDOW (10 * CT_USEC_PER_SEC)
#define CT_CLOCK_STREAK 4
#define CT_CLOCK_JUMP_AUDIT (3600 * CT_USEC_PER_SEC)
#define CT_CLOCK_HELD_MAX 16 /* frames held at once, invalid ones included */

/* A frame waiting for the clock's decision; data owned by the capture. */
struct ct_held_frame {
	ct_time_t ts;
	int linktype;
	uint32_t caplen, wirelen;
	bool invalid;              /* past CT_TIME_MAX: processed at the clock's time whatever happens */
	uint64_t frameno;          /* its number in the run (log lines name it) */
	uint8_t *data;
};

struct ct_capture {
	struct ct_capture_cfg cfg;
	struct ct_counters *ctr;
	struct ct_hashkey key;
	struct ct_dedup dedup;
	struct ct_defrag defrag;
	struct ct_flowtab flows;
	struct ct_tcp tcp;
	ct_time_t now;             /* the capture clock (rule above) */
	bool clock_started;
	unsigned nheld;            /* frames in held[], in arrival order */
	unsigned nstreak;          /* valid ones among them: the candidate time line */
	ct_time_t streak_last;     /* newest time on the candidate time line */
	struct ct_held_frame held[CT_CLOCK_HELD_MAX];
	struct ct_capture_ops ops;
	void *user;
	/* The frame being decoded, as libpcap gave it, for the callbacks that keep whole frames
	 * (evidence pcaps); frame is NULL outside a frame (TCP data delivered when flows end).
	 * frame_linktype stays the last frame's (Ethernet before the first). */
	const uint8_t *frame;
	uint32_t frame_caplen, frame_wirelen;
	int frame_linktype;
	uint64_t frameno;          /* number in the run of the frame being decoded */
	const struct ct_capture_split *split; /* set: decode only (above); NULL: the whole path */
};

int ct_capture_init(struct ct_capture *c, const struct ct_capture_cfg *cfg, const struct ct_hashkey *key,
		    struct ct_counters *ctr, const struct ct_capture_ops *ops, void *user);
/* End of input: frames held for the clock's decision are processed (rule above). */
void ct_capture_flush(struct ct_capture *c);
/* ct_capture_flush(), then ends every flow (delivering what TCP still holds) and frees
 * everything. */
void ct_capture_free(struct ct_capture *c);

/* One frame as libpcap gives it. `linktype` is a LINKTYPE_* value; frame is borrowed for the
 * call (copied when the clock holds it). */
void ct_capture_frame(struct ct_capture *c, int linktype, ct_time_t ts, const uint8_t *frame, uint32_t caplen,
		      uint32_t wirelen);
/* True if ctitap decodes this link type. */
bool ct_capture_linktype_ok(int linktype);

/* capture.workers, the serial half: what a split capture handed on, in its order. */
/* A transport packet as the l4 hook got it (frame `frameno`): its flow and what follows. */
void ct_capture_l4(struct ct_capture *c, struct ct_pkt *p, uint64_t frameno);
/* The clock moved forward to now: flows idle past their timeout end. */
void ct_capture_advance(struct ct_capture *c, ct_time_t now);
/* The clock moved back to `to` (held frames accepted as a new time line). */
void ct_capture_rebase(struct ct_capture *c, ct_time_t to);

#endif
