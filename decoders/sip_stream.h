/* sip_stream.h - SIP over stream transports: TCP (RFC 3261 section 18.3, Content-Length
 * framing, RFC 5626 CRLF keep-alives) and WebSocket (RFC 7118), found by content.
 *
 * One ct_sip_stream hangs on a TCP flow whose protocol is not known yet. On its first bytes
 * it decides: a SIP start line (also after a mid-stream join: it resyncs on the next start
 * line), an HTTP Upgrade to WebSocket, or neither, in which case it gives up after
 * SIP_DETECT_BUDGET bytes and ignores the flow. Messages go to a callback with their
 * transport and addresses.
 *
 * Messages that cannot be parsed whole never blind the rest of the connection: one whose
 * headers and Content-Length add up to more than SIP_STREAM_MAX_MESSAGE, whose headers pass
 * CT_SIP_MAX_HEADER_BYTES, or that is malformed but has a start line, is skipped by its
 * framing (its header lines walked for Content-Length, its body skipped unbuffered;
 * sip_oversized or sip_bad). After a loss (a TCP hole, bytes dropped at a reassembly cap, a
 * message without Content-Length) a stream known to be SIP resyncs on the next start line,
 * also one glued to the tail of the lost message ("...BBBBINVITE sip:x SIP/2.0" starts at
 * INVITE), for as long as it takes. Every byte skipped is counted in sip_skipped_bytes.
 * WebSocket messages over SIP_WS_MAX_MESSAGE are skipped frame by frame by their lengths. */
#ifndef CT_SIP_STREAM_H
#define CT_SIP_STREAM_H

#include "../capture/flow.h"
#include "../capture/stream.h"
#include "../util/counters.h"
#include "sip.h"

/* Largest SIP message parsed on a stream: under tcp.flow_memcap_kb's default (1 MiB), so an
 * oversized message is skipped by its framing before reassembly would drop bytes. */
#define SIP_STREAM_MAX_MESSAGE (256u * 1024u)

enum ct_sip_transport { CT_SIP_UDP = 0, CT_SIP_TCP = 1, CT_SIP_WS = 2, CT_SIP_SCTP = 3 };

struct ct_sip_meta {
	ct_time_t ts;
	uint8_t transport;
	struct ct_addr src, dst;
	uint16_t sport, dport;
	uint64_t flow_id;
};

typedef void (*ct_sip_msg_fn)(void *user, const struct ct_sip_msg *m, const struct ct_sip_meta *meta);

struct ct_sip_stream;

/* Returns a new stream parser state for flow f (its addresses are copied), or NULL. The
 * state is freed by the parser's close(). `scratch` is where messages are parsed: one per
 * thread, shared by all streams (a message lives only during its callback). */
struct ct_sip_stream *ct_sip_stream_new(const struct ct_flow *f, ct_sip_msg_fn fn, void *user,
					struct ct_counters *ctr, struct ct_sip_msg *scratch);
/* True once the stream was found to carry SIP (directly or over WebSocket). */
bool ct_sip_stream_is_sip(const struct ct_sip_stream *s);

extern const struct ct_stream_parser ct_sip_stream_parser;

/* Addresses of direction dir of flow f (0 = from the initiator). */
void ct_flow_endpoints(const struct ct_flow *f, int dir, struct ct_addr *src, uint16_t *sport, struct ct_addr *dst,
		       uint16_t *dport);

#endif
