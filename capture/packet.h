/* packet.h - what the capture layer knows about one packet after decoding its headers.
 *
 * All pointers are slices into the frame (or into a defrag buffer for a reassembled
 * datagram) and live only until the frame callback returns. Addresses are stored as
 * 16 bytes; IPv4 uses the v4-mapped form ::ffff:a.b.c.d so one key type serves both.
 */
#ifndef CT_PACKET_H
#define CT_PACKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../util/ct.h"

struct ct_addr {
	uint8_t a[16];
};

/* TCP flag bits as on the wire. */
#define CT_TCP_FIN 0x01
#define CT_TCP_SYN 0x02
#define CT_TCP_RST 0x04
#define CT_TCP_PSH 0x08
#define CT_TCP_ACK 0x10

struct ct_pkt {
	ct_time_t ts;
	uint32_t caplen;
	uint32_t wirelen;

	uint8_t vlan_depth;   /* tags removed, outermost to innermost */
	uint8_t tunnel_depth; /* encapsulations removed */
	uint8_t ipver;        /* 4 or 6, innermost IP header */
	uint8_t proto;        /* innermost IP protocol (after extension headers) */
	struct ct_addr src;
	struct ct_addr dst;
	uint32_t ip_id;       /* IPv4 identification, or IPv6 fragment identification */
	bool reassembled;     /* built by defrag from several fragments */

	const uint8_t *l4;    /* transport header and payload */
	size_t l4len;
	uint16_t sport;
	uint16_t dport;
	const uint8_t *data;  /* transport payload */
	size_t dlen;

	uint32_t seq;         /* TCP only */
	uint32_t ack;
	uint8_t tcp_flags;
};

static inline bool ct_addr_is_v4(const struct ct_addr *a)
{
	static const uint8_t pfx[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	return memcmp(a->a, pfx, sizeof(pfx)) == 0; /* two compares, not twelve */
}

/* Formats an address as text (inet_ntop); out must hold 46 bytes. */
void ct_addr_format(const struct ct_addr *a, char *out, size_t outlen);

#endif
