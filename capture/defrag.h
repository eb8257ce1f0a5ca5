/* defrag.h - IPv4 (RFC 791) and IPv6 (RFC 8200 section 4.5) fragment reassembly.
 *
 * Policy:
 *  - a datagram waits at most defrag.timeout (packet time) for its missing pieces;
 *  - at most defrag.max_datagrams wait at once and their buffers use at most
 *    defrag.memcap_mb; past either cap the oldest waiting datagram is dropped (counted
 *    in frag_memcap), so a flood of never-completed fragments cannot starve new ones;
 *  - an exact repeat of bytes already held is ignored (frag_dup);
 *  - overlaps (frag_overlap): IPv6 drops the whole datagram, as RFC 5722 requires; IPv4
 *    keeps the bytes that arrived first and fills only the holes ("first wins");
 *  - a datagram over 65535 bytes, or with two different ends, is dropped (frag_too_big,
 *    malformed).
 * Buffers are allocated per datagram: fragments are the exception in VoIP traffic.
 */
#ifndef CT_DEFRAG_H
#define CT_DEFRAG_H

#include <stdbool.h>
#include <stdint.h>

#include "../util/counters.h"
#include "../util/hash.h"
#include "../util/htab.h"
#include "packet.h"

#define CT_DEFRAG_MAX_RANGES 64

struct ct_defrag_key {
	struct ct_addr src;
	struct ct_addr dst;
	uint32_t id;
	uint8_t proto; /* IPv4 protocol; 0 for IPv6 (the protocol is not part of its key) */
	uint8_t ver;
	uint16_t zero;
};

struct ct_frag_range {
	uint32_t start;
	uint32_t end;
};

struct ct_defrag_dgram {
	struct ct_hnode hn;                     /* in the table, by key (util/htab.h) */
	struct ct_defrag_dgram *older, *newer; /* age list */
	struct ct_defrag_key key;
	ct_time_t first;
	uint32_t total;        /* payload length, once the last fragment was seen */
	bool have_total;
	uint8_t next_proto;    /* from the offset-0 fragment */
	bool have_first;
	uint8_t *buf;
	uint32_t cap;
	uint16_t nranges;
	struct ct_frag_range r[CT_DEFRAG_MAX_RANGES]; /* sorted, merged */
};

struct ct_defrag {
	struct ct_htab tab;    /* datagrams waiting for pieces, by key */
	struct ct_defrag_dgram *oldest, *newest;
	uint32_t count;
	uint32_t max_dgrams;
	size_t mem;
	size_t memcap;
	ct_time_t timeout;
	struct ct_hashkey key;
	struct ct_counters *ctr;
};

/* Returns CT_OK or CT_ENOMEM (the table's buckets). */
int ct_defrag_init(struct ct_defrag *d, uint32_t max_dgrams, size_t memcap, ct_time_t timeout,
		   const struct ct_hashkey *key, struct ct_counters *ctr);
void ct_defrag_free(struct ct_defrag *d);

/* One fragment. ip_id, src, dst and ipver come from p. `proto` is the IPv4 protocol or
 * the IPv6 fragment header's next header; `off` is in bytes.
 * Returns the completed datagram (its buf[0..total) is the reassembled payload and
 * next_proto its protocol) or NULL while incomplete or dropped. A returned datagram
 * belongs to the caller, who hands it back with ct_defrag_done() after use. */
struct ct_defrag_dgram *ct_defrag_add(struct ct_defrag *d, const struct ct_pkt *p, uint8_t proto, uint32_t off,
				      bool more, const uint8_t *data, size_t len);
void ct_defrag_done(struct ct_defrag *d, struct ct_defrag_dgram *g);
/* Drops datagrams that waited longer than the timeout at packet time now. */
void ct_defrag_expire(struct ct_defrag *d, ct_time_t now);
/* The capture clock moved back to `to`: datagrams first seen after it count as first seen at
 * `to`, so they time out on the new time line. */
void ct_defrag_rebase(struct ct_defrag *d, ct_time_t to);

#endif
