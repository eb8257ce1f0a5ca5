/* pcapfile.c - classic pcap file header and records (draft-ietf-opsawg-pcap sections 4, 5);
 * what is taken and what is left to libpcap is in pcapfile.h. */
#include "pcapfile.h"

#define MAGIC_USEC 0xa1b2c3d4u
#define MAGIC_NSEC 0xa1b23c4du
#define LINKTYPE_EXT_MASK 0xfc000000u /* FCS length and its flag (section 4, LinkType) */

int ct_pcapfile_header(struct ct_cur *cur, struct ct_pcapfile_fmt *fmt)
{
	struct ct_cur c = *cur;
	uint32_t magic = ct_cur_be32(&c);
	if (c.err)
		return CT_ETRUNC;
	bool be;
	if (magic == MAGIC_USEC || magic == MAGIC_NSEC)
		be = true;
	else if (__builtin_bswap32(magic) == MAGIC_USEC || __builtin_bswap32(magic) == MAGIC_NSEC)
		be = false;
	else
		return CT_ENOTSUP;
	bool nano = magic == MAGIC_NSEC || __builtin_bswap32(magic) == MAGIC_NSEC;
	uint16_t major = be ? ct_cur_be16(&c) : (uint16_t)__builtin_bswap16(ct_cur_be16(&c));
	uint16_t minor = be ? ct_cur_be16(&c) : (uint16_t)__builtin_bswap16(ct_cur_be16(&c));
	ct_cur_skip(&c, 8); /* thiszone, sigfigs: 0 in practice, and libpcap ignores them */
	uint32_t snaplen = ct_pcapfile_get32(&c, be);
	uint32_t linktype = ct_pcapfile_get32(&c, be);
	if (c.err)
		return CT_ETRUNC;
	/* 2.3 and older may have caplen and len the other way round, which libpcap guesses at */
	if (major != 2 || minor != 4 || (linktype & LINKTYPE_EXT_MASK))
		return CT_ENOTSUP;
	fmt->big_endian = be;
	fmt->nano = nano;
	fmt->linktype = linktype;
	fmt->snaplen = snaplen;
	*cur = c;
	return CT_OK;
}
