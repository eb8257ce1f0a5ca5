/* pcapfile.h - the classic pcap file format's header and records (draft-ietf-opsawg-pcap,
 * sections 4 and 5), read from a buffer of ctitap's own: the fast path of `-r` for a regular
 * file (capture/source.c).
 *
 * libpcap reads a file with two copies per packet (the kernel's into stdio's buffer, stdio's
 * into libpcap's) and a function call or two per field; that was a third of the RTP path's time.
 * Here a record is parsed where read() put it and handed on in place. Only the plain case is
 * taken: format 2.4, the microsecond or nanosecond magic in either byte order, a link type
 * without FCS bits, and records no longer than libpcap's snapshot length. Anything else (a
 * record longer than the snapshot, which libpcap cuts or refuses; one cut short by the end of
 * the file; a read error) is left to libpcap from that record on, so what happens then is
 * exactly what libpcap does, error messages included.
 *
 * No allocation; every byte is read through a cursor (util/cursor.h).
 */
#ifndef CT_PCAPFILE_H
#define CT_PCAPFILE_H

#include <stdbool.h>
#include <stdint.h>

#include "../util/ct.h"
#include "../util/cursor.h"

#define CT_PCAPFILE_HDR 24 /* file header */
#define CT_PCAPFILE_REC 16 /* record header */

struct ct_pcapfile_fmt {
	bool big_endian;   /* the writer's byte order, which the magic tells */
	bool nano;         /* the fraction is in nanoseconds (magic 0xa1b23c4d) */
	uint32_t linktype; /* LINKTYPE_* as in the file */
	uint32_t snaplen;  /* longest record taken: the caller sets libpcap's snapshot length */
};

/* A record; data borrowed from the cursor's bytes. */
struct ct_pcapfile_rec {
	uint32_t sec;      /* seconds since the epoch, unsigned as the format has it */
	uint32_t frac;     /* micro- or nanoseconds (fmt->nano) */
	uint32_t caplen;
	uint32_t wirelen;
	const uint8_t *data;
};

/* Reads the file header at the cursor: CT_OK and *fmt (snaplen as the file says) for the plain
 * case above; CT_ENOTSUP for anything else (another magic or version, FCS bits in the link
 * type); CT_ETRUNC when fewer than 24 bytes are there. */
int ct_pcapfile_header(struct ct_cur *cur, struct ct_pcapfile_fmt *fmt);

static inline uint32_t ct_pcapfile_get32(struct ct_cur *c, bool big_endian)
{
	return big_endian ? ct_cur_be32(c) : ct_cur_le32(c);
}

/* The record at the cursor: CT_OK (*rec filled, the cursor past the record), CT_MORE (the
 * cursor ends inside its header or data: the caller reads more, or at the end of the file
 * leaves the rest to libpcap), CT_ENOTSUP (longer than fmt->snaplen: libpcap's to cut or
 * refuse). The cursor does not move unless CT_OK. Inline, so that *rec stays in registers: read
 * back from memory right after its fields were stored, it waited for the stores. */
static inline int ct_pcapfile_next(const struct ct_pcapfile_fmt *fmt, struct ct_cur *cur, struct ct_pcapfile_rec *rec)
{
	struct ct_cur c = *cur;
	struct ct_cur h = ct_cur_sub(&c, CT_PCAPFILE_REC); /* one bounds check for the four fields */
	if (h.err)
		return CT_MORE;
	rec->sec = ct_pcapfile_get32(&h, fmt->big_endian);
	rec->frac = ct_pcapfile_get32(&h, fmt->big_endian);
	rec->caplen = ct_pcapfile_get32(&h, fmt->big_endian);
	rec->wirelen = ct_pcapfile_get32(&h, fmt->big_endian);
	if (rec->caplen > fmt->snaplen)
		return CT_ENOTSUP;
	rec->data = ct_cur_take(&c, rec->caplen);
	if (!rec->data)
		return CT_MORE;
	*cur = c;
	return CT_OK;
}

#endif
