/* dedup.h - SPAN duplicate suppression.
 *
 * A mirror port often delivers the same packet twice: ingress and egress of one port both
 * mirrored, two SPAN sessions, or `-i any` seeing a frame with and without its VLAN tag.
 * A copy is recognised by a fingerprint of the innermost IP packet that leaves out what
 * differs between copies (TTL/hop limit, header checksum, DSCP, VLAN tags, tunnels) but
 * keeps what differs between a copy and a genuine resend (IPv4 ID, TCP sequence and
 * acknowledgement numbers, through the payload hash), within a short window
 * (dedup.window_ms, default 50 ms: far under SIP's 500 ms T1, so a SIP retransmission of
 * identical bytes is never taken for a copy).
 *
 * The table is a fixed array of 4-way buckets, one cache line each: no allocation, O(1),
 * and a bucket collision can only make us miss a duplicate (a full 64-bit fingerprint
 * match is needed to drop).
 *
 * The fingerprint is XXH3 (libxxhash) under a per-process random seed, not SipHash: it is
 * computed over every packet's payload and was 37% of the capture path's time with SipHash.
 * A forged collision would need the victim's addresses, ports, IP ID and length as well,
 * inside a 50 ms window, and only ever drops the later of the two packets.
 */
#ifndef CT_DEDUP_H
#define CT_DEDUP_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "../util/hash.h"
#include "packet.h"

struct ct_dedup_slot {
	uint64_t fp;
	ct_time_t ts;
};

struct ct_dedup {
	struct ct_dedup_slot *slots;
	uint32_t mask;        /* number of buckets - 1; each bucket has 4 slots */
	ct_time_t window;
	uint64_t seed;
};

int ct_dedup_init(struct ct_dedup *d, uint32_t buckets, ct_time_t window, const struct ct_hashkey *key);
void ct_dedup_free(struct ct_dedup *d);

/* What identifies an IP packet besides its payload, packed in whole words by
 * ct_dedup_id_make() (24 bytes for IPv4, 48 for IPv6): the hash reads words, and a word read
 * back from narrower stores just made waits for them to retire. */
struct ct_dedup_id {
	uint64_t w[6];
	unsigned n;         /* words used */
};

/* The innermost IP header's fields: src and dst its addresses, 4 bytes each (ipver 4) or 16
 * (ipver 6), read during the call; ip_id the IPv4 ID or IPv6 flow label; paylen the bytes
 * after the fixed header; frag the IPv4 flags and offset word (0 for IPv6); proto the first
 * next header after the fixed header. */
static inline void ct_dedup_id_make(struct ct_dedup_id *id, uint8_t ipver, const uint8_t *src, const uint8_t *dst,
				    uint32_t ip_id, uint32_t paylen, uint16_t frag, uint8_t proto)
{
	unsigned n = 0;
	if (ipver == 4) {
		uint32_t s, t;
		memcpy(&s, src, 4);
		memcpy(&t, dst, 4);
		id->w[n++] = s | (uint64_t)t << 32;
	} else {
		memcpy(&id->w[0], src, 16);
		memcpy(&id->w[2], dst, 16);
		n = 4;
	}
	id->w[n++] = ip_id | (uint64_t)paylen << 32;
	id->w[n++] = frag | (uint64_t)proto << 16 | (uint64_t)ipver << 24;
	id->n = n;
}

/* True if this packet is a copy of one seen within the window (the caller drops it);
 * otherwise remembers it and returns false.
 *
 * One pass over the payload: the id's own hash picks the bucket (a copy has the same id, so
 * the same bucket, which is fetched while the payload is hashed) and seeds the payload's hash,
 * which is the fingerprint: two packets share it only if both their ids and payloads match, or
 * by a 64-bit chance. */
bool ct_dedup_check(struct ct_dedup *d, const struct ct_dedup_id *id, const uint8_t *payload, size_t len,
		    ct_time_t now);

#endif
