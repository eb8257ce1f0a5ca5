/* flow.h - the flow table: one entry per bidirectional 5-tuple.
 *
 * Bounded (flow.max entries, preallocated lazily from one pool: no allocation per packet
 * once warm), hashed with a keyed SipHash (util/hash.h), expired by packet time through
 * one LRU list per timeout class (UDP, TCP open, TCP closed), each expiry pass doing
 * bounded work. When the table is full the least recently seen flow is evicted and
 * counted. Flows get a creation ordinal, which (unlike hash order) is deterministic.
 */
#ifndef CT_FLOW_H
#define CT_FLOW_H

#include <stdbool.h>
#include <stdint.h>

#include "../util/counters.h"
#include "../util/hash.h"
#include "../util/htab.h"
#include "packet.h"

struct ct_stream_parser;
struct ct_sctp_reasm;
struct ct_tcp_list;

/* A segment waiting for the bytes before it; owned by its tcp_half. */
struct ct_tcp_seg {
	struct ct_tcp_seg *next;
	uint32_t seq;
	uint32_t len;
	ct_time_t ts;
	uint8_t data[];
};

/* One direction of a TCP connection. */
struct ct_tcp_half {
	uint32_t next;           /* next sequence number to deliver */
	bool known;              /* next is valid (SYN or first data seen) */
	bool syn;                /* SYN seen, its sequence number in isn */
	uint32_t isn;
	bool fin;                /* FIN seen: no data expected past fin_seq */
	uint32_t fin_seq;
	struct ct_tcp_seg *ooo;  /* sorted by seq, then by arrival */
	uint32_t ooo_bytes;
	uint32_t ooo_count;
	uint8_t *buf;            /* in-order bytes the parser asked to see again */
	uint32_t buf_len;
	uint32_t buf_cap;
};

struct ct_tcp_flow {
	struct ct_tcp_half half[2]; /* indexed by direction, 0 = from the initiator */
	const struct ct_stream_parser *parser;
	void *pstate;
	bool rst;
	bool proven;                 /* the parser said so once (stream.h): never evicted */
	size_t mem;                  /* reassembly bytes this flow holds (queues and buffers) */
	struct ct_tcp_list *mlist;   /* the ct_tcp list it is on while mem > 0 */
	struct ct_tcp_flow *mprev, *mnext;
};

struct ct_flow_key {
	struct ct_addr a;  /* canonical order: (a, pa) sorts before (b, pb) */
	struct ct_addr b;
	uint16_t pa;
	uint16_t pb;
	uint8_t proto;
	uint8_t pad[3];
};

enum ct_flow_class { CT_FLOW_UDP = 0, CT_FLOW_TCP = 1, CT_FLOW_TCP_CLOSED = 2, CT_FLOW_NCLASS };

struct ct_flow {
	struct ct_flow_key key;
	struct ct_hnode hn;             /* in the table, by key (util/htab.h) */
	struct ct_flow *prev, *next;    /* LRU list of its class; next links the free list */
	uint64_t id;                    /* creation ordinal, from 1 */
	ct_time_t first;
	ct_time_t last;
	uint64_t pkts[2];
	uint64_t bytes[2];
	uint8_t init_side;              /* canonical side (0 = a) that sent the first packet */
	uint8_t cls;                    /* enum ct_flow_class */
	struct ct_tcp_flow tcp;
	struct ct_sctp_reasm *sctp[2];  /* SCTP user messages in fragments, per direction */
	void *app;                      /* decoder state, released by the close callback */
	/* capture.workers: written by the flow's shard only (capture/workers.c) */
	uint64_t w_batch;               /* the batch w_last and w_held are of */
	ct_time_t w_last;               /* last seen, counting the packets the shard took in it */
	bool w_held;                    /* one of its packets in it was left to the serial walk */
};

enum ct_flow_end { CT_FLOW_END_EXPIRED, CT_FLOW_END_EVICTED, CT_FLOW_END_SHUTDOWN, CT_FLOW_END_REUSED };

/* Called before a flow's entry is recycled; the callee frees what it hung on the flow. */
typedef void (*ct_flow_close_fn)(void *user, struct ct_flow *f, enum ct_flow_end why);

struct ct_flowtab {
	struct ct_htab tab;             /* struct ct_flow by key */
	struct ct_flow *pool;
	uint32_t pool_size;
	uint32_t pool_used;
	struct ct_flow *free;
	struct ct_flow lru[CT_FLOW_NCLASS]; /* sentinels; head->next is the oldest */
	ct_time_t timeout[CT_FLOW_NCLASS];
	/* No flow expires before this packet time; 0 when not known. An expiry pass looks at the
	 * head of each list only, so it holds until a head changes (flow.c's LRU functions clear it):
	 * the pass on every packet is a comparison. */
	ct_time_t due;
	uint32_t count;
	uint64_t next_id;
	struct ct_hashkey key;
	struct ct_counters *ctr;
	ct_flow_close_fn on_close;
	void *user;
};

struct ct_flowtab_cfg {
	uint32_t max_flows;
	ct_time_t udp_timeout;
	ct_time_t tcp_timeout;
	ct_time_t tcp_closed_timeout;
};

int ct_flowtab_init(struct ct_flowtab *t, const struct ct_flowtab_cfg *cfg, const struct ct_hashkey *key,
		    struct ct_counters *ctr, ct_flow_close_fn on_close, void *user);
/* Closes every remaining flow (oldest first, deterministic) and frees the table. */
void ct_flowtab_free(struct ct_flowtab *t);
void ct_flowtab_close_all(struct ct_flowtab *t);

/* The canonical key of a packet's flow; *side is 0 when the packet's source is the key's a. */
void ct_flow_key_of(const struct ct_pkt *p, struct ct_flow_key *k, int *side);
uint64_t ct_flow_hash(const struct ct_flowtab *t, const struct ct_flow_key *k);
/* The flow of key k with hash h, or NULL; reads the table only (capture workers look flows up
 * while the table does not change). */
struct ct_flow *ct_flow_find(const struct ct_flowtab *t, const struct ct_flow_key *k, uint64_t h);
/* A packet of f at ts: f->last and its place in the LRU list (what ct_flow_get does for a
 * flow it finds). */
void ct_flow_touch(struct ct_flowtab *t, struct ct_flow *f, ct_time_t ts);
/* Finds or creates the flow of a packet; *dir is 0 when the packet comes from the side
 * that opened the flow. Returns NULL only if the table has no entries at all. */
struct ct_flow *ct_flow_get(struct ct_flowtab *t, const struct ct_pkt *p, int *dir, bool *created);
/* Ends the flow now (a TCP port reused after close); the next packet makes a new one. */
void ct_flow_end(struct ct_flowtab *t, struct ct_flow *f, enum ct_flow_end why);
void ct_flow_set_class(struct ct_flowtab *t, struct ct_flow *f, enum ct_flow_class cls);
/* Expires flows idle longer than their class timeout at packet time now; at most
 * `budget` flows per call. Returns how many were expired. */
unsigned ct_flowtab_expire(struct ct_flowtab *t, ct_time_t now, unsigned budget);
/* The capture clock moved back to `to`: flows (and their queued TCP segments) seen after it
 * count as seen at `to`, so they age out on the new time line. Walks every flow. */
void ct_flowtab_rebase(struct ct_flowtab *t, ct_time_t to);

#endif
