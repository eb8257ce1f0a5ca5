/* ip.c - IPv4 (RFC 791), IPv6 (RFC 8200) with extension headers, and the tunnels SPAN
 * setups really use: IP-in-IP (RFC 2003, RFC 2473), GRE (RFC 2784, RFC 2890) and the
 * ERSPAN types I, II and III carried in it (draft-foschiano-erspan). Fragments go to
 * defrag.c; SPAN copies are dropped here, on the innermost IP header (dedup.h). */
#include <string.h>

#include "../util/log.h"
#include "decode.h"

#define IPPROTO_HOPOPTS_ 0
#define IPPROTO_IPIP_ 4
#define IPPROTO_TCP_ 6
#define IPPROTO_UDP_ 17
#define IPPROTO_IPV6_ 41
#define IPPROTO_ROUTING_ 43
#define IPPROTO_FRAGMENT_ 44
#define IPPROTO_GRE_ 47
#define IPPROTO_ESP_ 50
#define IPPROTO_AH_ 51
#define IPPROTO_NONE_ 59
#define IPPROTO_DSTOPTS_ 60
#define IPPROTO_MH_ 135
#define IPPROTO_HIP_ 139
#define IPPROTO_SHIM6_ 140
#define IPPROTO_SCTP_ 132

#define IPV6_MAX_EXT 8

/* ::ffff:a.b.c.d, written as one 16-byte value: the flow key reads it back whole right away,
 * and a read of narrower stores just made waits for them to retire */
static void v4_mapped(struct ct_addr *a, const uint8_t *v4)
{
	struct ct_addr m = { { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, v4[0], v4[1], v4[2], v4[3] } };
	*a = m;
}

/* Is this packet the innermost one, the level where SPAN copies are compared? A packet
 * that carries another IP packet is compared at its inner level instead, where copies that
 * reached us through different tunnels look the same. */
static bool carries_tunnel(const struct ct_capture *c, uint8_t proto, struct ct_cur l4, bool first_fragment)
{
	if (proto == IPPROTO_IPIP_ || proto == IPPROTO_IPV6_ || proto == IPPROTO_GRE_)
		return true;
	if (proto == IPPROTO_UDP_ && c->cfg.vxlan_port && first_fragment) {
		ct_cur_skip(&l4, 2);
		return ct_cur_be16(&l4) == c->cfg.vxlan_port;
	}
	return false;
}

/* src and dst: the header's addresses (4 or 16 bytes, p->ipver) */
static bool span_duplicate(struct ct_capture *c, const struct ct_pkt *p, const uint8_t *src, const uint8_t *dst,
			   uint16_t frag, uint8_t proto, uint32_t ip_id, struct ct_cur payload)
{
	if (!c->cfg.dedup)
		return false;
	struct ct_dedup_id id;
	size_t paylen = ct_cur_avail(&payload);
	ct_dedup_id_make(&id, p->ipver, src, dst, ip_id, (uint32_t)paylen, frag, proto);
	if (!ct_dedup_check(&c->dedup, &id, ct_cur_here(&payload), paylen, p->ts))
		return false;
	c->ctr->span_dups++;
	return true;
}

void ct_decode_ipv4(struct ct_capture *c, struct ct_pkt *p, struct ct_cur cur)
{
	/* the fixed header through a cursor of its own size: one bounds check, not ten */
	struct ct_cur h = ct_cur_sub(&cur, 20);
	uint8_t vihl = ct_cur_u8(&h);
	ct_cur_skip(&h, 1); /* DSCP/ECN: may be re-marked between SPAN copies */
	uint16_t totlen = ct_cur_be16(&h);
	uint16_t id = ct_cur_be16(&h);
	uint16_t frag = ct_cur_be16(&h);
	ct_cur_skip(&h, 1); /* TTL: differs between ingress and egress copies */
	uint8_t proto = ct_cur_u8(&h);
	ct_cur_skip(&h, 2); /* checksum: often left to the NIC; not checked */
	const uint8_t *src = ct_cur_take(&h, 4);
	const uint8_t *dst = ct_cur_take(&h, 4);
	if (h.err) {
		CT_COUNT_LOG(c->ctr->truncated, "frame ends inside an IPv4 header");
		return;
	}
	size_t hlen = (size_t)(vihl & 0x0f) * 4;
	if ((vihl >> 4) != 4 || hlen < 20 || totlen < hlen) {
		CT_COUNT_LOG(c->ctr->malformed, "impossible IPv4 header (version %u, header %zu, total %u bytes)",
			     vihl >> 4, hlen, totlen);
		return;
	}
	ct_cur_skip(&cur, hlen - 20); /* options */
	size_t plen = totlen - hlen;
	if (cur.err || ct_cur_avail(&cur) < plen) {
		CT_COUNT_LOG(c->ctr->truncated, "IPv4 packet of %u bytes cut short in the capture", totlen);
		return;
	}
	ct_cur_limit(&cur, plen); /* drop link-layer padding (the packet's length was checked) */
	c->ctr->ipv4++;
	p->ipver = 4;
	v4_mapped(&p->src, src);
	v4_mapped(&p->dst, dst);
	p->ip_id = id;

	uint32_t off = (uint32_t)(frag & 0x1fff) * 8;
	bool more = (frag & 0x2000) != 0;
	if (!carries_tunnel(c, proto, cur, off == 0) && span_duplicate(c, p, src, dst, frag, proto, id, cur))
		return;
	if (off == 0 && !more) {
		ct_decode_ip_payload(c, p, proto, cur);
		return;
	}
	struct ct_defrag_dgram *g = ct_defrag_add(&c->defrag, p, proto, off, more, ct_cur_here(&cur), plen);
	if (!g)
		return;
	p->reassembled = true;
	ct_decode_ip_payload(c, p, g->next_proto, ct_cur_make(g->buf, g->total));
	ct_defrag_done(&c->defrag, g);
}

/* Walks IPv6 extension headers from next-header nh; handles a fragment header by
 * reassembly. `in_frag` is set when cur is already a reassembled datagram. */
static void ipv6_walk(struct ct_capture *c, struct ct_pkt *p, uint8_t nh, struct ct_cur cur, bool in_frag)
{
	for (unsigned n = 0; n <= IPV6_MAX_EXT; n++) {
		switch (nh) {
		case IPPROTO_HOPOPTS_:
		case IPPROTO_ROUTING_:
		case IPPROTO_DSTOPTS_:
		case IPPROTO_MH_:
		case IPPROTO_HIP_:
		case IPPROTO_SHIM6_: {
			uint8_t next = ct_cur_u8(&cur);
			uint8_t len8 = ct_cur_u8(&cur);
			ct_cur_skip(&cur, (size_t)len8 * 8 + 6);
			if (cur.err) {
				CT_COUNT_LOG(c->ctr->truncated, "IPv6 extension header %u cut short", nh);
				return;
			}
			c->ctr->ipv6_ext_headers++;
			nh = next;
			continue;
		}
		case IPPROTO_AH_: {
			uint8_t next = ct_cur_u8(&cur);
			uint8_t len4 = ct_cur_u8(&cur);
			ct_cur_skip(&cur, (size_t)len4 * 4 + 6);
			if (cur.err) {
				CT_COUNT_LOG(c->ctr->truncated, "IPv6 AH header cut short");
				return;
			}
			c->ctr->ipv6_ext_headers++;
			nh = next;
			continue;
		}
		case IPPROTO_FRAGMENT_: {
			uint8_t next = ct_cur_u8(&cur);
			ct_cur_skip(&cur, 1);
			uint16_t offflags = ct_cur_be16(&cur);
			uint32_t id = ct_cur_be32(&cur);
			if (cur.err) {
				CT_COUNT_LOG(c->ctr->truncated, "IPv6 fragment header cut short");
				return;
			}
			c->ctr->ipv6_ext_headers++;
			uint32_t off = offflags & 0xfff8u;
			bool more = (offflags & 1) != 0;
			if (off == 0 && !more) { /* atomic fragment, RFC 6946 */
				nh = next;
				continue;
			}
			if (in_frag) {
				CT_COUNT_LOG(c->ctr->malformed, "IPv6 fragment inside a reassembled fragment");
				return;
			}
			p->ip_id = id;
			size_t len = ct_cur_avail(&cur);
			struct ct_defrag_dgram *g = ct_defrag_add(&c->defrag, p, next, off, more, ct_cur_here(&cur), len);
			if (!g)
				return;
			p->reassembled = true;
			ipv6_walk(c, p, g->next_proto, ct_cur_make(g->buf, g->total), true);
			ct_defrag_done(&c->defrag, g);
			return;
		}
		case IPPROTO_NONE_:
			return;
		default:
			ct_decode_ip_payload(c, p, nh, cur);
			return;
		}
	}
	CT_COUNT_LOG(c->ctr->malformed, "more than %d IPv6 extension headers", IPV6_MAX_EXT);
}

void ct_decode_ipv6(struct ct_capture *c, struct ct_pkt *p, struct ct_cur cur)
{
	uint32_t vtf = ct_cur_be32(&cur);
	uint16_t plen = ct_cur_be16(&cur);
	uint8_t nh = ct_cur_u8(&cur);
	ct_cur_skip(&cur, 1); /* hop limit */
	const uint8_t *src = ct_cur_take(&cur, 16);
	const uint8_t *dst = ct_cur_take(&cur, 16);
	if (cur.err) {
		CT_COUNT_LOG(c->ctr->truncated, "frame ends inside an IPv6 header");
		return;
	}
	if ((vtf >> 28) != 6 || plen == 0) {
		/* payload length 0 is a jumbogram (RFC 2675), which no VoIP link carries */
		CT_COUNT_LOG(c->ctr->malformed, "impossible IPv6 header (version %u, payload %u bytes)", vtf >> 28,
			     plen);
		return;
	}
	if (ct_cur_avail(&cur) < plen) {
		CT_COUNT_LOG(c->ctr->truncated, "IPv6 packet of %u payload bytes cut short in the capture", plen);
		return;
	}
	ct_cur_limit(&cur, plen); /* drop link-layer padding (checked above) */
	c->ctr->ipv6++;
	p->ipver = 6;
	memcpy(p->src.a, src, 16);
	memcpy(p->dst.a, dst, 16);
	p->ip_id = 0;
	if (!carries_tunnel(c, nh, cur, true) && span_duplicate(c, p, src, dst, 0, nh, vtf & 0xfffff, cur))
		return;
	ipv6_walk(c, p, nh, cur, false);
}

/* GRE (RFC 2784, key and sequence of RFC 2890) and the ERSPAN headers inside it. */
void ct_decode_gre(struct ct_capture *c, struct ct_pkt *p, struct ct_cur cur)
{
	uint16_t flags = ct_cur_be16(&cur);
	uint16_t proto = ct_cur_be16(&cur);
	if (cur.err) {
		CT_COUNT_LOG(c->ctr->truncated, "GRE header cut short");
		return;
	}
	if ((flags & 0x0007) != 0 || (flags & 0x4000)) {
		/* version 1 is PPTP's enhanced GRE; the routing bit is obsolete (RFC 2784) */
		c->ctr->l4_other++;
		return;
	}
	bool seq_present = (flags & 0x1000) != 0;
	ct_cur_skip(&cur, ((flags & 0x8000) ? 4u : 0u) + ((flags & 0x2000) ? 4u : 0u) + (seq_present ? 4u : 0u));
	if (cur.err) {
		CT_COUNT_LOG(c->ctr->truncated, "GRE options cut short");
		return;
	}
	if (!ct_tunnel_enter(c, p))
		return;
	c->ctr->tunnel_gre++;
	switch (proto) {
	case CT_ETH_TEB:
		ct_decode_ethernet(c, p, cur);
		return;
	case CT_ETH_ERSPAN2:
		/* type I has no ERSPAN header and no GRE sequence number; type II has both */
		if (seq_present) {
			uint8_t ver = ct_cur_peek(&cur, 0) >> 4;
			ct_cur_skip(&cur, 8);
			if (cur.err || ver != 1) {
				CT_COUNT_LOG(c->ctr->malformed, "ERSPAN type II header with version %u", ver);
				return;
			}
		}
		c->ctr->tunnel_erspan++;
		ct_decode_ethernet(c, p, cur);
		return;
	case CT_ETH_ERSPAN3: {
		uint8_t ver = ct_cur_peek(&cur, 0) >> 4;
		ct_cur_skip(&cur, 10);
		uint16_t w = ct_cur_be16(&cur); /* P, FT(5), HW ID(6), D, Gra(2), O */
		if (cur.err || ver != 2) {
			CT_COUNT_LOG(c->ctr->malformed, "ERSPAN type III header with version %u", ver);
			return;
		}
		if (w & 1)
			ct_cur_skip(&cur, 8); /* platform-specific subheader */
		if (((w >> 10) & 0x1f) != 0) { /* frame type other than Ethernet */
			c->ctr->l3_other++;
			return;
		}
		c->ctr->tunnel_erspan++;
		ct_decode_ethernet(c, p, cur);
		return;
	}
	default:
		ct_decode_ethertype(c, p, proto, cur);
		return;
	}
}

void ct_decode_ip_payload(struct ct_capture *c, struct ct_pkt *p, uint8_t proto, struct ct_cur cur)
{
	p->proto = proto;
	switch (proto) {
	case IPPROTO_UDP_:
		ct_capture_udp(c, p, cur);
		return;
	case IPPROTO_TCP_:
		ct_capture_tcp(c, p, cur);
		return;
	case IPPROTO_SCTP_:
		ct_capture_sctp(c, p, cur);
		return;
	case IPPROTO_IPIP_:
		if (ct_tunnel_enter(c, p)) {
			c->ctr->tunnel_ipip++;
			ct_decode_ipv4(c, p, cur);
		}
		return;
	case IPPROTO_IPV6_:
		if (ct_tunnel_enter(c, p)) {
			c->ctr->tunnel_ipip++;
			ct_decode_ipv6(c, p, cur);
		}
		return;
	case IPPROTO_GRE_:
		ct_decode_gre(c, p, cur);
		return;
	default:
		c->ctr->l4_other++;
		return;
	}
}
