/* csta_stream.h - CSTA links over TCP, found by content: the framings real products use.
 *
 *  - ECMA-323 XML: 2 zero bytes, 2-byte big-endian length of the whole frame, 4 ASCII digits
 *    of invoke id (9999 for events), then the XML document (OpenScape Voice);
 *  - a 2-byte big-endian length, then a bare BER PDU (Alcatel OXE);
 *  - 0x26, a 2-byte length with its top bit set, then the BER PDU (HiPath);
 *  - a bare BER PDU (ROSE A1..A4 or ACSE 60..64 with a definite length).
 * A link joined mid-stream, or after a gap, resyncs on the next whole message: a header that
 * parses, whose length fits, with a PDU tag (or '<') where the payload starts; the bytes
 * before it are counted in csta_skipped_bytes.
 * Each message is decoded (csta_ber.h, csta_xml.h) and handed to a callback.
 */
#ifndef CT_CSTA_STREAM_H
#define CT_CSTA_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../capture/flow.h"
#include "../capture/stream.h"
#include "../util/counters.h"
#include "csta.h"
#include "sip_stream.h"

enum ct_csta_framing { CT_CSTA_F_NONE = 0, CT_CSTA_F_XML, CT_CSTA_F_LEN2, CT_CSTA_F_HIPATH, CT_CSTA_F_BARE };

struct ct_csta_meta {
	ct_time_t ts;
	uint8_t framing;          /* enum ct_csta_framing */
	int dir;                  /* 0 = from the side that opened the connection */
	struct ct_addr src, dst;
	uint16_t sport, dport;
	uint64_t flow_id;
	int xml_invoke_id;        /* from the ECMA-323 header, -1 otherwise */
};

typedef void (*ct_csta_msg_fn)(void *user, const struct ct_csta_msg *m, const struct ct_csta_meta *meta);
/* Bytes of one direction were lost (bytes 0 = unknown): meta->ts is the packet time of the
 * last bytes that direction delivered before the hole. */
typedef void (*ct_csta_gap_fn)(void *user, const struct ct_csta_meta *meta, uint32_t bytes);

/* Looks for a CSTA frame at the start of p (or, with scan, anywhere in the first bytes):
 * returns its framing and sets *off to where it starts; CT_CSTA_F_NONE if there is none. A
 * frame not complete yet still counts when its header and first payload byte are right. */
enum ct_csta_framing ct_csta_probe(const uint8_t *p, size_t len, bool scan, size_t *off);

struct ct_csta_stream;
struct ct_csta_stream *ct_csta_stream_new(const struct ct_flow *f, enum ct_csta_framing framing, ct_csta_msg_fn fn,
					  void *user, struct ct_counters *ctr);
/* Also tell the user (the same as the message callback's) of holes in the stream. */
void ct_csta_stream_on_gap(struct ct_csta_stream *s, ct_csta_gap_fn fn);
extern const struct ct_stream_parser ct_csta_stream_parser;

#endif
