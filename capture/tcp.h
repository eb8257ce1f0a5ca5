/* tcp.h - TCP reassembly (RFC 9293 sequence space) into ordered per-direction streams.
 *
 * Each byte is delivered once: retransmissions and overlaps are trimmed against what was
 * delivered ("first wins"); out-of-order segments wait in a sorted queue. Sequence numbers
 * wrap (compared modulo 2^32). A direction joined without its SYN starts at its first data.
 * A hole is skipped, and the parser told through gap(), when: the queue passes
 * tcp.flow_memcap_kb or the global tcp.memcap_mb; the oldest queued segment waited longer
 * than tcp.ooo_timeout_ms; the peer acknowledged bytes after the hole (it got them, the
 * capture did not); or the connection ends (FIN, RST, idle expiry).
 *
 * Memory: tcp.memcap_mb is charged with the bytes actually held (queued segments with their
 * headers, parser buffers sized to what they hold, freed when emptied). When a flow needs
 * more and the cap is reached, the buffers of flows whose parser never found a message of its
 * protocol (stream.h, proven) are dropped first, least recently grown first (tcp_evicted;
 * their parsers are told of a gap and resync on their next bytes); only when none is left is
 * the flow's own message dropped (tcp_memcap). Flows that carried a message are never
 * evicted for another.
 */
#ifndef CT_TCP_H
#define CT_TCP_H

#include <stddef.h>
#include <stdint.h>

#include "../util/counters.h"
#include "flow.h"
#include "packet.h"
#include "stream.h"

struct ct_tcp_list {
	struct ct_tcp_flow *head, *tail; /* head: least recently grown */
};

struct ct_tcp {
	size_t mem;          /* bytes held in queues and parser buffers, all flows */
	struct ct_tcp_list unproven, proven; /* flows holding memory */
	size_t memcap;
	size_t flow_memcap;
	ct_time_t ooo_timeout;
	ct_time_t now;       /* time of the segment being processed: queued bytes are delivered
	                        at the moment the hole before them fills, not when they arrived */
	struct ct_counters *ctr;
};

void ct_tcp_init(struct ct_tcp *t, size_t memcap, size_t flow_memcap, ct_time_t ooo_timeout, struct ct_counters *ctr);
/* One segment of flow f in direction dir (0 = from the initiator). Returns true when both
 * directions are finished (FIN or RST), so the caller can move the flow to its closed class. */
bool ct_tcp_segment(struct ct_tcp *t, struct ct_flow *f, int dir, const struct ct_pkt *p);
/* The flow ends: queued data is delivered across its holes, then the parser is closed. */
void ct_tcp_close(struct ct_tcp *t, struct ct_flow *f);

static inline int32_t ct_seq_diff(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b);
}

#endif
