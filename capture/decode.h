/* decode.h - internal entry points between the capture layer's decoders.
 * Not for use outside capture/. Each takes the cursor positioned at its header. */
/* Memory: the packet and the bytes under the cursor are the caller's (the capture loop's frame
 * buffer), borrowed for the call; what a decoder points at in ct_pkt stays valid only until the
 * packet's callback returns. Decoders allocate nothing but fragment and stream buffers, which
 * capture/ owns and frees. */
#ifndef CT_DECODE_H
#define CT_DECODE_H

#include "../util/cursor.h"
#include "capture.h"

#define CT_ETH_IPV4 0x0800
#define CT_ETH_IPV6 0x86DD
#define CT_ETH_VLAN 0x8100
#define CT_ETH_QINQ 0x88A8
#define CT_ETH_QINQ_OLD 0x9100
#define CT_ETH_MPLS 0x8847
#define CT_ETH_MPLS_MC 0x8848
#define CT_ETH_PPPOE 0x8864
#define CT_ETH_TEB 0x6558      /* transparent Ethernet bridging (GRE, NVGRE) */
#define CT_ETH_ERSPAN2 0x88BE  /* ERSPAN type I and II */
#define CT_ETH_ERSPAN3 0x22EB  /* ERSPAN type III */

/* link.c */
void ct_decode_link(struct ct_capture *c, struct ct_pkt *p, int linktype, const uint8_t *frame, uint32_t caplen);
void ct_decode_ethernet(struct ct_capture *c, struct ct_pkt *p, struct ct_cur cur);
/* An ethertype-labelled payload: VLAN tags, MPLS, PPPoE, IPv4, IPv6. */
void ct_decode_ethertype(struct ct_capture *c, struct ct_pkt *p, uint16_t type, struct ct_cur cur);

/* ip.c */
void ct_decode_ipv4(struct ct_capture *c, struct ct_pkt *p, struct ct_cur cur);
void ct_decode_ipv6(struct ct_capture *c, struct ct_pkt *p, struct ct_cur cur);
/* The payload of an IP packet (or reassembled datagram) of protocol `proto`. */
void ct_decode_ip_payload(struct ct_capture *c, struct ct_pkt *p, uint8_t proto, struct ct_cur cur);
void ct_decode_gre(struct ct_capture *c, struct ct_pkt *p, struct ct_cur cur);

/* capture.c */
void ct_capture_udp(struct ct_capture *c, struct ct_pkt *p, struct ct_cur cur);
void ct_capture_tcp(struct ct_capture *c, struct ct_pkt *p, struct ct_cur cur);
void ct_capture_sctp(struct ct_capture *c, struct ct_pkt *p, struct ct_cur cur);

/* Enters one more encapsulation; false (and counted) past capture.tunnel_max. */
static inline bool ct_tunnel_enter(struct ct_capture *c, struct ct_pkt *p)
{
	if (p->tunnel_depth >= c->cfg.tunnel_max) {
		c->ctr->tunnel_too_deep++;
		return false;
	}
	p->tunnel_depth++;
	return true;
}

#endif
