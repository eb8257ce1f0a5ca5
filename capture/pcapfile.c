/* pcapfile.c - classic pcap file header and records (draft-ietf-opsawg-pcap sections 4, 5);
 * what is taken and what is left to libpcap is in pcapfile.h. */
#include "pcapfile.h"

#define MAGIC_USEC 0xa1b2c3d4u
#define MAGIC_NSEC 0xa1b23c4du
#define LINKTYPE_EXT_MASK 0xfc000000u /* FCS length and its flag (section 4, LinkType) */

static uint32_t get32(struct ct_cur *c, bool big_endian)
{
	return big_endian ? ct_cur_be32(c) : ct_cur_le32(c);
}

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
	uint32_t snaplen = get32(&c, be);
	uint32_t linktype = get32(&c, be);
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

int ct_pcapfile_next(const struct ct_pcapfile_fmt *fmt, struct ct_cur *cur, struct ct_pcapfile_rec *rec)
{
	struct ct_cur c = *cur;
	struct ct_cur h = ct_cur_sub(&c, CT_PCAPFILE_REC); /* one bounds check for the four fields */
	if (h.err)
		return CT_MORE;
	rec->sec = get32(&h, fmt->big_endian);
	rec->frac = get32(&h, fmt->big_endian);
	rec->caplen = get32(&h, fmt->big_endian);
	rec->wirelen = get32(&h, fmt->big_endian);
	if (rec->caplen > fmt->snaplen)
		return CT_ENOTSUP;
	rec->data = ct_cur_take(&c, rec->caplen);
	if (!rec->data)
		return CT_MORE;
	*cur = c;
	return CT_OK;
}
