/* test_link.c - link layers and tunnels on annotated byte arrays.
 *
 * Every frame carries the same innermost packet, 10.0.0.1:5060 -> 10.0.0.2:5060 UDP
 * "ping", so each test checks that exactly that datagram comes out of its wrapping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "frames.h"

/* IPv4 20 bytes (total 32, ID 0x1234, DF, TTL 64, UDP) + UDP 8 (5060 -> 5060, len 12) + "ping" */
#define IP4_UDP_PING                                                                            \
	0x45, 0x00, 0x00, 0x20, 0x12, 0x34, 0x40, 0x00, 0x40, 0x11, 0x00, 0x00, /* v4 header */  \
	0x0a, 0x00, 0x00, 0x01, /* src 10.0.0.1 */ 0x0a, 0x00, 0x00, 0x02,      /* dst 10.0.0.2 */ \
	0x13, 0xc4, 0x13, 0xc4, 0x00, 0x0c, 0x00, 0x00, /* UDP 5060 -> 5060, len 12 */            \
	'p', 'i', 'n', 'g'
/* IPv6 40 bytes (payload 12, next header UDP) 2001:db8::1 -> 2001:db8::2 + UDP + "ping" */
#define IP6_UDP_PING                                                                            \
	0x60, 0x00, 0x00, 0x00, 0x00, 0x0c, 0x11, 0x40,                                         \
	0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01,                             \
	0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02,                             \
	0x13, 0xc4, 0x13, 0xc4, 0x00, 0x0c, 0x00, 0x00, 'p', 'i', 'n', 'g'
/* Ethernet: destination, source, ethertype */
#define ETH(t) 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x00, 0x66, 0x77, 0x88, 0x99, 0xaa, ((t) >> 8), ((t) & 0xff)
/* outer IPv4 192.0.2.1 -> 192.0.2.2 with total length `len` and protocol `proto` */
#define OUTER4(len, proto) 0x45, 0x00, 0x00, (len), 0x00, 0x01, 0x00, 0x00, 0x40, (proto), 0x00, 0x00, \
	0xc0, 0x00, 0x02, 0x01, 0xc0, 0x00, 0x02, 0x02

static struct harness h;

static int setup(void **state)
{
	(void)state;
	h_init(&h, NULL);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	h_free(&h);
	return 0;
}

/* one second apart: the same bytes fed twice must not look like a SPAN copy */
static ct_time_t now_us = 1000000;
#define FEED(lt, arr) h_frame(&h, (lt), now_us += 1000000, (arr), sizeof(arr))

/* Exactly one datagram came out and it is the ping. */
static void assert_ping(int ipver)
{
	assert_int_equal(h.nudp, 1);
	struct h_udp *u = &h.udp[0];
	assert_int_equal(u->dlen, 4);
	assert_memory_equal(u->data, "ping", 4);
	assert_int_equal(u->p.sport, 5060);
	assert_int_equal(u->p.dport, 5060);
	assert_int_equal(u->p.ipver, ipver);
	char a[64];
	ct_addr_format(&u->p.src, a, sizeof(a));
	assert_string_equal(a, ipver == 4 ? "10.0.0.1" : "2001:db8::1");
	ct_addr_format(&u->p.dst, a, sizeof(a));
	assert_string_equal(a, ipver == 4 ? "10.0.0.2" : "2001:db8::2");
	assert_int_equal(h.ctr.truncated + h.ctr.malformed, 0);
}

static void test_ethernet(void **state)
{
	(void)state;
	static const uint8_t f[] = { ETH(0x0800), IP4_UDP_PING };
	FEED(CT_LINK_ETHERNET, f);
	assert_ping(4);
	assert_int_equal(h.ctr.packets, 1);
	assert_int_equal(h.ctr.udp, 1);
}

static void test_ethernet_padding_trimmed(void **state)
{
	(void)state;
	/* a 46-byte frame is padded to the 60-byte minimum: the padding is not UDP data */
	static const uint8_t f[] = { ETH(0x0800), IP4_UDP_PING, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
	FEED(CT_LINK_ETHERNET, f);
	assert_ping(4);
}

static void test_vlan_8021q(void **state)
{
	(void)state;
	static const uint8_t f[] = { ETH(0x8100), 0x00, 0x64, /* VID 100 */ 0x08, 0x00, IP4_UDP_PING };
	FEED(CT_LINK_ETHERNET, f);
	assert_ping(4);
	assert_int_equal(h.ctr.vlan_tags, 1);
}

static void test_vlan_qinq(void **state)
{
	(void)state;
	static const uint8_t f[] = { ETH(0x88a8), 0x00, 0x0a, /* S-tag VID 10 */ 0x81, 0x00,
				     0x00, 0x64, /* C-tag VID 100 */ 0x08, 0x00, IP4_UDP_PING };
	FEED(CT_LINK_ETHERNET, f);
	assert_ping(4);
	assert_int_equal(h.ctr.vlan_tags, 2);
}

static void test_vlan_too_deep(void **state)
{
	(void)state;
	/* five tags, one more than capture.vlan_max = 4 */
	static const uint8_t f[] = { ETH(0x88a8), 0, 1, 0x81, 0x00, 0, 2, 0x81, 0x00, 0, 3, 0x81, 0x00, 0, 4,
				     0x81, 0x00, 0, 5, 0x08, 0x00, IP4_UDP_PING };
	FEED(CT_LINK_ETHERNET, f);
	assert_int_equal(h.nudp, 0);
	assert_int_equal(h.ctr.vlan_too_deep, 1);
}

static void test_linux_sll(void **state)
{
	(void)state;
	static const uint8_t f[] = { 0x00, 0x00,             /* packet type: to us */
				     0x00, 0x01,             /* ARPHRD_ETHER */
				     0x00, 0x06,             /* address length */
				     0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x00, 0x00, /* address, padded to 8 */
				     0x08, 0x00,             /* protocol IPv4 */
				     IP4_UDP_PING };
	FEED(CT_LINK_LINUX_SLL, f);
	assert_ping(4);
}

static void test_linux_sll_vlan(void **state)
{
	(void)state;
	/* -i any on a trunk: the tag stays in the payload, protocol 0x8100 */
	static const uint8_t f[] = { 0x00, 0x00, 0x00, 0x01, 0x00, 0x06, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x00,
				     0x00, 0x81, 0x00, /* protocol 802.1Q */ 0x00, 0x64, 0x08, 0x00, IP4_UDP_PING };
	FEED(CT_LINK_LINUX_SLL, f);
	assert_ping(4);
	assert_int_equal(h.ctr.vlan_tags, 1);
}

static void test_linux_sll2(void **state)
{
	(void)state;
	static const uint8_t f[] = { 0x86, 0xdd,             /* protocol IPv6 */
				     0x00, 0x00,             /* reserved */
				     0x00, 0x00, 0x00, 0x02, /* interface index */
				     0x00, 0x01,             /* ARPHRD_ETHER */
				     0x04,                   /* packet type: outgoing */
				     0x06,                   /* address length */
				     0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x00, 0x00,
				     IP6_UDP_PING };
	FEED(CT_LINK_LINUX_SLL2, f);
	assert_ping(6);
}

static void test_null_little_endian(void **state)
{
	(void)state;
	static const uint8_t f[] = { 0x02, 0x00, 0x00, 0x00, /* AF_INET, written by a little-endian host */
				     IP4_UDP_PING };
	FEED(CT_LINK_NULL, f);
	assert_ping(4);
}

static void test_null_big_endian_ipv6(void **state)
{
	(void)state;
	static const uint8_t f[] = { 0x00, 0x00, 0x00, 0x1e, /* AF_INET6 (macOS, 30), big-endian host */
				     IP6_UDP_PING };
	FEED(CT_LINK_NULL, f);
	assert_ping(6);
}

static void test_loop(void **state)
{
	(void)state;
	static const uint8_t f[] = { 0x00, 0x00, 0x00, 0x02, /* AF_INET, always network order */ IP4_UDP_PING };
	FEED(CT_LINK_LOOP, f);
	assert_ping(4);
}

static void test_raw(void **state)
{
	(void)state;
	static const uint8_t f4[] = { IP4_UDP_PING };
	static const uint8_t f6[] = { IP6_UDP_PING };
	FEED(CT_LINK_RAW, f4);
	assert_ping(4);
	h.nudp = 0;
	FEED(CT_LINK_RAW, f6);
	assert_ping(6);
	h.nudp = 0;
	FEED(CT_LINK_IPV4, f4);
	assert_ping(4);
	h.nudp = 0;
	FEED(CT_LINK_IPV6, f6);
	assert_ping(6);
}

static void test_pppoe(void **state)
{
	(void)state;
	static const uint8_t f[] = { ETH(0x8864), 0x11,             /* version 1, type 1 */
				     0x00,                          /* code: session data */
				     0x12, 0x34,                    /* session id */
				     0x00, 0x22,                    /* length: PPP protocol + 32 */
				     0x00, 0x21,                    /* PPP protocol: IPv4 */
				     IP4_UDP_PING };
	FEED(CT_LINK_ETHERNET, f);
	assert_ping(4);
	assert_int_equal(h.ctr.pppoe, 1);
}

static void test_mpls(void **state)
{
	(void)state;
	static const uint8_t f[] = { ETH(0x8847), 0x00, 0x01, 0x00, 0x40, /* label 16, not bottom */
				     0x00, 0x02, 0x01, 0x40,                /* label 32, bottom of stack */
				     IP4_UDP_PING };
	FEED(CT_LINK_ETHERNET, f);
	assert_ping(4);
	assert_int_equal(h.ctr.mpls_labels, 2);
}

static void test_gre_teb(void **state)
{
	(void)state;
	static const uint8_t f[] = { ETH(0x0800), OUTER4(70, 47),
				     0x00, 0x00, 0x65, 0x58, /* GRE: no options, transparent Ethernet bridging */
				     ETH(0x0800), IP4_UDP_PING };
	FEED(CT_LINK_ETHERNET, f);
	assert_ping(4);
	assert_int_equal(h.ctr.tunnel_gre, 1);
}

static void test_erspan_type1(void **state)
{
	(void)state;
	static const uint8_t f[] = { ETH(0x0800), OUTER4(70, 47),
				     0x00, 0x00, 0x88, 0xbe, /* GRE without sequence number: ERSPAN type I */
				     ETH(0x0800), IP4_UDP_PING };
	FEED(CT_LINK_ETHERNET, f);
	assert_ping(4);
	assert_int_equal(h.ctr.tunnel_erspan, 1);
}

static void test_erspan_type2(void **state)
{
	(void)state;
	static const uint8_t f[] = { ETH(0x0800), OUTER4(82, 47),
				     0x10, 0x00, 0x88, 0xbe, /* GRE, S bit: ERSPAN type II */
				     0x00, 0x00, 0x00, 0x07, /* GRE sequence */
				     0x10, 0x64,             /* ERSPAN version 1, VLAN 100 */
				     0x00, 0x01,             /* COS, En, T, session id 1 */
				     0x00, 0x00, 0x00, 0x00, /* reserved, index */
				     ETH(0x0800), IP4_UDP_PING };
	FEED(CT_LINK_ETHERNET, f);
	assert_ping(4);
	assert_int_equal(h.ctr.tunnel_erspan, 1);
}

static void test_erspan_type3(void **state)
{
	(void)state;
	static const uint8_t f[] = { ETH(0x0800), OUTER4(94, 47),
				     0x10, 0x00, 0x22, 0xeb, /* GRE, S bit, ERSPAN type III */
				     0x00, 0x00, 0x00, 0x07, /* GRE sequence */
				     0x20, 0x64, 0x00, 0x01, /* version 2, VLAN 100, session 1 */
				     0x5f, 0x5e, 0x10, 0x00, /* timestamp */
				     0x00, 0x00,             /* security group tag */
				     0x00, 0x01,             /* P=0, FT=0 (Ethernet), HW ID, D, Gra, O=1 */
				     0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* platform subheader */
				     ETH(0x0800), IP4_UDP_PING };
	FEED(CT_LINK_ETHERNET, f);
	assert_ping(4);
	assert_int_equal(h.ctr.tunnel_erspan, 1);
}

static void test_vxlan(void **state)
{
	(void)state;
	static const uint8_t f[] = { ETH(0x0800), OUTER4(82, 17),
				     0xc3, 0x50, 0x12, 0xb5, 0x00, 0x3e, 0x00, 0x00, /* UDP 50000 -> 4789, len 62 */
				     0x08, 0x00, 0x00, 0x00,             /* VXLAN flags: I */
				     0x00, 0x00, 0x64, 0x00,             /* VNI 100 */
				     ETH(0x0800), IP4_UDP_PING };
	FEED(CT_LINK_ETHERNET, f);
	assert_ping(4); /* the outer datagram is not delivered, only the inner one */
	assert_int_equal(h.ctr.tunnel_vxlan, 1);
}

static void test_ipip(void **state)
{
	(void)state;
	static const uint8_t f[] = { ETH(0x0800), OUTER4(52, 4), IP4_UDP_PING };
	FEED(CT_LINK_ETHERNET, f);
	assert_ping(4);
	assert_int_equal(h.ctr.tunnel_ipip, 1);
}

static void test_ipv6_in_ipv4(void **state)
{
	(void)state;
	static const uint8_t f[] = { ETH(0x0800), OUTER4(72, 41), IP6_UDP_PING };
	FEED(CT_LINK_ETHERNET, f);
	assert_ping(6);
}

static void test_tunnel_depth_cap(void **state)
{
	(void)state;
	/* four IP-in-IP layers around the ping, one more than capture.tunnel_max = 3 */
	static const uint8_t f[] = { ETH(0x0800), OUTER4(112, 4), OUTER4(92, 4), OUTER4(72, 4), OUTER4(52, 4),
				     IP4_UDP_PING };
	FEED(CT_LINK_ETHERNET, f);
	assert_int_equal(h.nudp, 0);
	assert_int_equal(h.ctr.tunnel_too_deep, 1);
}

static void test_ipv6_extension_headers(void **state)
{
	(void)state;
	static const uint8_t f[] = { ETH(0x86dd),
				     0x60, 0x00, 0x00, 0x00, 0x00, 0x1c, 0x00, 0x40, /* payload 28, hop-by-hop */
				     0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01,
				     0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02,
				     0x3c, 0x00, 0x01, 0x04, 0x00, 0x00, 0x00, 0x00, /* hop-by-hop: next dest opts, PadN */
				     0x11, 0x00, 0x01, 0x04, 0x00, 0x00, 0x00, 0x00, /* dest opts: next UDP, PadN */
				     0x13, 0xc4, 0x13, 0xc4, 0x00, 0x0c, 0x00, 0x00, 'p', 'i', 'n', 'g' };
	FEED(CT_LINK_ETHERNET, f);
	assert_ping(6);
	assert_int_equal(h.ctr.ipv6_ext_headers, 2);
}

static void test_truncated_and_malformed(void **state)
{
	(void)state;
	static const uint8_t whole[] = { ETH(0x0800), IP4_UDP_PING };
	/* cut inside the Ethernet header, the IPv4 header, the UDP header, the payload */
	static const size_t cuts[] = { 10, 20, 38, 44 };
	for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++)
		h_frame(&h, CT_LINK_ETHERNET, now_us += 1000000, whole, cuts[i]);
	assert_int_equal(h.nudp, 0);
	assert_int_equal(h.ctr.truncated, 4);

	static const uint8_t bad_ihl[] = { ETH(0x0800), 0x44, 0x00, 0x00, 0x20, 0x12, 0x34, 0x40, 0x00, 0x40, 0x11,
					   0x00, 0x00, 0x0a, 0x00, 0x00, 0x01, 0x0a, 0x00, 0x00, 0x02 };
	FEED(CT_LINK_ETHERNET, bad_ihl);
	static const uint8_t bad_udp_len[] = { ETH(0x0800), 0x45, 0x00, 0x00, 0x20, 0x12, 0x35, 0x40, 0x00, 0x40,
					       0x11, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x01, 0x0a, 0x00, 0x00, 0x02,
					       0x13, 0xc4, 0x13, 0xc4, 0x00, 0x40, 0x00, 0x00, /* UDP length 64 > 12 */
					       'p', 'i', 'n', 'g' };
	FEED(CT_LINK_ETHERNET, bad_udp_len);
	assert_int_equal(h.ctr.malformed, 2);
	assert_int_equal(h.nudp, 0);
}

static void test_unsupported(void **state)
{
	(void)state;
	static const uint8_t arp[] = { ETH(0x0806), 0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01 };
	FEED(CT_LINK_ETHERNET, arp);
	assert_int_equal(h.ctr.l3_other, 1);
	static const uint8_t f[] = { IP4_UDP_PING };
	FEED(105 /* IEEE 802.11 */, f);
	assert_int_equal(h.ctr.linktype_unsupported, 1);
	assert_int_equal(h.nudp, 0);
	assert_int_equal(h.ctr.packets, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_ethernet), T(test_ethernet_padding_trimmed), T(test_vlan_8021q), T(test_vlan_qinq),
		T(test_vlan_too_deep), T(test_linux_sll), T(test_linux_sll_vlan), T(test_linux_sll2),
		T(test_null_little_endian), T(test_null_big_endian_ipv6), T(test_loop), T(test_raw), T(test_pppoe),
		T(test_mpls), T(test_gre_teb), T(test_erspan_type1), T(test_erspan_type2), T(test_erspan_type3),
		T(test_vxlan), T(test_ipip), T(test_ipv6_in_ipv4), T(test_tunnel_depth_cap),
		T(test_ipv6_extension_headers), T(test_truncated_and_malformed), T(test_unsupported),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
