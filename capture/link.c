/* link.c - link layers: Ethernet (IEEE 802.3) with 802.1Q/802.1ad tag stacks, MPLS
 * (RFC 3032), PPPoE sessions (RFC 2516), Linux cooked v1 and v2, BSD null/loopback and
 * raw IP, as libpcap's LINKTYPE_* list defines them. */
#include "decode.h"

#include "../util/log.h"

bool ct_capture_linktype_ok(int linktype)
{
	switch (linktype) {
	case CT_LINK_NULL:
	case CT_LINK_ETHERNET:
	case CT_LINK_RAW:
	case CT_LINK_LOOP:
	case CT_LINK_LINUX_SLL:
	case CT_LINK_IPV4:
	case CT_LINK_IPV6:
	case CT_LINK_LINUX_SLL2:
		return true;
	default:
		return false;
	}
}

/* Raw IP: the version nibble says which. */
static void decode_raw_ip(struct ct_capture *c, struct ct_pkt *p, struct ct_cur cur)
{
	switch (ct_cur_peek(&cur, 0) >> 4) {
	case 4: ct_decode_ipv4(c, p, cur); break;
	case 6: ct_decode_ipv6(c, p, cur); break;
	default:
		if (ct_cur_avail(&cur) == 0)
			CT_COUNT_LOG(c->ctr->truncated, "frame ends before its IP header");
		else
			CT_COUNT_LOG(c->ctr->malformed, "raw IP frame with IP version %u", ct_cur_peek(&cur, 0) >> 4);
	}
}

static void decode_mpls(struct ct_capture *c, struct ct_pkt *p, struct ct_cur cur)
{
	for (unsigned n = 0;; n++) {
		uint32_t lse = ct_cur_be32(&cur);
		if (cur.err) {
			CT_COUNT_LOG(c->ctr->truncated, "frame ends inside its MPLS label stack");
			return;
		}
		c->ctr->mpls_labels++;
		if (lse & 0x100)
			break; /* bottom of stack */
		if (n >= 8) {
			CT_COUNT_LOG(c->ctr->malformed, "MPLS label stack deeper than 8");
			return;
		}
	}
	/* No payload type in MPLS: IP is told by its version nibble; anything else (a pseudowire
	 * with a control word) is not decoded. */
	uint8_t v = ct_cur_peek(&cur, 0) >> 4;
	if (v == 4 || v == 6)
		decode_raw_ip(c, p, cur);
	else
		c->ctr->l3_other++;
}

static void decode_pppoe(struct ct_capture *c, struct ct_pkt *p, struct ct_cur cur)
{
	uint8_t vt = ct_cur_u8(&cur);
	uint8_t code = ct_cur_u8(&cur);
	ct_cur_skip(&cur, 2); /* session id */
	uint16_t len = ct_cur_be16(&cur);
	uint16_t proto = ct_cur_be16(&cur);
	if (cur.err) {
		CT_COUNT_LOG(c->ctr->truncated, "frame ends inside its PPPoE header");
		return;
	}
	if (vt != 0x11 || code != 0 || len < 2) {
		CT_COUNT_LOG(c->ctr->malformed, "PPPoE session header with version/type %#x code %#x", vt, code);
		return;
	}
	c->ctr->pppoe++;
	if (ct_cur_avail(&cur) > (size_t)len - 2)
		ct_cur_limit(&cur, (size_t)len - 2); /* drop Ethernet padding */
	switch (proto) {
	case 0x0021: ct_decode_ipv4(c, p, cur); break;
	case 0x0057: ct_decode_ipv6(c, p, cur); break;
	default: c->ctr->l3_other++; break;
	}
}

void ct_decode_ethertype(struct ct_capture *c, struct ct_pkt *p, uint16_t type, struct ct_cur cur)
{
	for (;;) {
		switch (type) {
		case CT_ETH_IPV4:
			ct_decode_ipv4(c, p, cur);
			return;
		case CT_ETH_IPV6:
			ct_decode_ipv6(c, p, cur);
			return;
		case CT_ETH_VLAN:
		case CT_ETH_QINQ:
		case CT_ETH_QINQ_OLD:
			if (p->vlan_depth >= c->cfg.vlan_max) {
				CT_COUNT_LOG(c->ctr->vlan_too_deep, "frame with more than %u VLAN tags", c->cfg.vlan_max);
				return;
			}
			ct_cur_skip(&cur, 2); /* PCP, DEI, VID */
			type = ct_cur_be16(&cur);
			if (cur.err) {
				CT_COUNT_LOG(c->ctr->truncated, "frame ends inside a VLAN tag");
				return;
			}
			p->vlan_depth++;
			c->ctr->vlan_tags++;
			continue;
		case CT_ETH_MPLS:
		case CT_ETH_MPLS_MC:
			decode_mpls(c, p, cur);
			return;
		case CT_ETH_PPPOE:
			decode_pppoe(c, p, cur);
			return;
		default:
			c->ctr->l3_other++;
			return;
		}
	}
}

void ct_decode_ethernet(struct ct_capture *c, struct ct_pkt *p, struct ct_cur cur)
{
	ct_cur_skip(&cur, 12); /* destination, source */
	uint16_t type = ct_cur_be16(&cur);
	if (cur.err) {
		CT_COUNT_LOG(c->ctr->truncated, "frame shorter than an Ethernet header");
		return;
	}
	if (type < 0x0600) { /* 802.3 length: LLC/SNAP (STP, CDP, ...) */
		c->ctr->l3_other++;
		return;
	}
	ct_decode_ethertype(c, p, type, cur);
}

static void decode_null(struct ct_capture *c, struct ct_pkt *p, struct ct_cur cur, bool network_order)
{
	uint32_t fam = network_order ? ct_cur_be32(&cur) : ct_cur_le32(&cur);
	if (cur.err) {
		CT_COUNT_LOG(c->ctr->truncated, "frame shorter than a loopback header");
		return;
	}
	/* DLT_NULL is in the capturing host's byte order: a big-endian writer puts the family
	 * in the high bytes. */
	if (!network_order && fam > 0xFFFF)
		fam = __builtin_bswap32(fam);
	switch (fam) {
	case 2: /* AF_INET everywhere */
		ct_decode_ipv4(c, p, cur);
		break;
	case 10: /* AF_INET6: Linux */
	case 24: /* NetBSD, OpenBSD */
	case 28: /* FreeBSD */
	case 30: /* macOS */
		ct_decode_ipv6(c, p, cur);
		break;
	default:
		c->ctr->l3_other++;
	}
}

/* The frame's bytes, not a cursor made by the caller: a cursor passed by value is copied
 * through memory, and built just before the call that copy waited for the stores. */
void ct_decode_link(struct ct_capture *c, struct ct_pkt *p, int linktype, const uint8_t *frame, uint32_t caplen)
{
	struct ct_cur cur = ct_cur_make(frame, caplen);
	switch (linktype) {
	case CT_LINK_ETHERNET:
		ct_decode_ethernet(c, p, cur);
		break;
	case CT_LINK_LINUX_SLL: {
		/* packet type, ARPHRD type, address length, 8 address bytes, protocol */
		ct_cur_skip(&cur, 14);
		uint16_t proto = ct_cur_be16(&cur);
		if (cur.err)
			CT_COUNT_LOG(c->ctr->truncated, "frame shorter than a Linux cooked header");
		else
			ct_decode_ethertype(c, p, proto, cur);
		break;
	}
	case CT_LINK_LINUX_SLL2: {
		/* protocol, reserved, ifindex, ARPHRD type, packet type, address length, address */
		uint16_t proto = ct_cur_be16(&cur);
		ct_cur_skip(&cur, 18);
		if (cur.err)
			CT_COUNT_LOG(c->ctr->truncated, "frame shorter than a Linux cooked v2 header");
		else
			ct_decode_ethertype(c, p, proto, cur);
		break;
	}
	case CT_LINK_NULL:
		decode_null(c, p, cur, false);
		break;
	case CT_LINK_LOOP:
		decode_null(c, p, cur, true);
		break;
	case CT_LINK_RAW:
		decode_raw_ip(c, p, cur);
		break;
	case CT_LINK_IPV4:
		ct_decode_ipv4(c, p, cur);
		break;
	case CT_LINK_IPV6:
		ct_decode_ipv6(c, p, cur);
		break;
	default:
		CT_COUNT_LOG(c->ctr->linktype_unsupported, "link type %d is not decoded", linktype);
	}
}
