/* sip_stream.h - SIP over stream transports: TCP (RFC 3261 section 18.3, Content-Length
 * framing, RFC 5626 CRLF keep-alives) and WebSocket (RFC 7118), found by content.
 *
 * One ct_sip_stream hangs on a TCP flow whose protocol is not known yet. On its first bytes
 * it decides: a SIP start line (also after a mid-stream join: it resyncs on the next start
 * line), an HTTP Upgrade to WebSocket, or neither, in which case it gives up after
 * SIP_DETECT_BUDGET bytes and ignores the flow. Messages go to a callback with their
 * transport and addresses. */
#ifndef CT_SIP_STREAM_H
#define CT_SIP_STREAM_H

#include "../capture/flow.h"
#include "../capture/stream.h"
#include "../util/counters.h"
#include "sip.h"

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
