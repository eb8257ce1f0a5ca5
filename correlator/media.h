/* media.h - the RTP a call's SDP announces (RFC 3264 offer/answer), found on the wire and
 * measured, and hold/resume as the SDP directions show them.
 *
 * SDP in INVITE, 18x/2xx, UPDATE, PRACK and ACK bodies registers each audio endpoint
 * (address, port; RTCP on port+1 or a=rtcp unless rtcp-mux) as an expectation of the call.
 * A UDP flow that reaches an expected endpoint becomes an RTP flow: from then on each of its
 * packets costs a flow-table hit and the RFC 3550 arithmetic, with no allocation. When the
 * flow ends, an `rtp_stream` event per direction and SSRC reports packets, loss, jitter,
 * codec, DTMF (RFC 4733) and comfort noise. Expectations end with their call.
 */
#ifndef CT_MEDIA_H
#define CT_MEDIA_H

#include <stdbool.h>
#include <stdint.h>

#include "../capture/flow.h"
#include "../decoders/sip.h"
#include "../decoders/sip_stream.h"
#include "../util/counters.h"
#include "../util/hash.h"
#include "../util/id.h"
#include "report.h"

struct ct_media;
struct ct_expect;

#define CT_MEDIA_MAX_EXPECT 8

/* Per-call media state, embedded in the SIP call. */
struct ct_media_call {
	const char *call;                 /* the call id (CT_ID_MAX bytes, the owner's: borrowed), copied
					   * into RTP flows that outlive the call */
	bool held;
	struct ct_expect *expect[CT_MEDIA_MAX_EXPECT];
	unsigned nexpect;
	uint32_t rtp_flows;               /* RTP flows found on its endpoints */
};

/* ctr and rep are borrowed and must outlive the table (rep's rtp_stream hook gets the streams). */
int ct_media_new(struct ct_media **out, uint32_t max_expect, const struct ct_hashkey *key, struct ct_counters *ctr,
		 const struct ct_report *rep);
void ct_media_free(struct ct_media *md);

/* What an in-dialog offer or answer did to the call's audio. */
enum ct_media_hold { CT_MEDIA_NO_CHANGE = 0, CT_MEDIA_HOLD, CT_MEDIA_RESUME };

/* SDP of a SIP message of call mc: registers its endpoints and, for an in-dialog offer or
 * answer (re-INVITE, UPDATE and their answers), says CT_MEDIA_HOLD when an audio stream stops
 * being sendrecv (sendonly, recvonly, inactive, or the old 0.0.0.0 address) and CT_MEDIA_RESUME
 * when all are sendrecv again. An initial offer may be one-way on purpose (announcements): it
 * is not a hold. The parsed SDP is kept for ct_media_take_sdp(). */
enum ct_media_hold ct_media_sdp(struct ct_media *md, struct ct_media_call *mc, const struct ct_sip_msg *m,
				bool in_dialog);
/* The first audio endpoint (address, port) of the SDP of the message just given to
 * ct_media_sdp(); false when it had none. */
bool ct_media_sdp_audio(const struct ct_media *md, char *ip, size_t cap, uint16_t *port);
/* A payload type an SDP announced for an endpoint. */
struct ct_media_format {
	uint8_t pt;
	const char *name;     /* "PCMA", "telephone-event" ...; NULL when nothing names it */
	uint32_t clock;       /* 0 when not known */
};
#define CT_MEDIA_FORMATS 8 /* formats remembered per endpoint, in m= order */
/* The audio formats of the latest SDP that announced endpoint (a, port) and is still in force
 * (its call not ended), in m= order: the first one, telephone-event and comfort noise named by
 * their rtpmap, static types by the RFC 3551 table, other dynamic ones unnamed. out gets at
 * most CT_MEDIA_FORMATS; names point into md or static storage, valid until the next call
 * into md. Returns how many (0: no SDP announces that endpoint now). */
unsigned ct_media_formats(const struct ct_media *md, const struct ct_addr *a, uint16_t port,
			  struct ct_media_format out[CT_MEDIA_FORMATS]);
/* Forgets the SDP of the previous message (it was not reported). */
void ct_media_forget_sdp(struct ct_media *md);
/* The SDP of the message just given to ct_media_sdp(), for its event; NULL when it had none
 * or it was taken already. Owned by md, valid until the next ct_media_sdp(). */
const struct ct_sdp *ct_media_take_sdp(struct ct_media *md);
/* The call ended: its expectations are withdrawn (running RTP flows go on). */
void ct_media_call_end(struct ct_media *md, struct ct_media_call *mc, ct_time_t now);

/* A UDP datagram of a flow not known as SIP: true if the flow is (now) RTP and the packet was
 * accounted. f->app then belongs to the media module. */
bool ct_media_udp(struct ct_media *md, struct ct_flow *f, int dir, const struct ct_pkt *p);
/* What a packet of an RTP flow was (ct_media_udp_fast). */
enum ct_media_kind { CT_MEDIA_NONE = 0, CT_MEDIA_RTP, CT_MEDIA_RTCP, CT_MEDIA_BAD };

/* capture.workers: the part of ct_media_udp() that needs nothing but the flow, for a worker
 * thread. True when the packet was handled (an RTP flow's packet accounted; or a flow past the
 * packets in which an SDP may still claim it, left alone), *kind saying what it was (for
 * ct_media_count on the serial thread); false when it needs ct_media_udp(). Touches f->app's
 * state only: no allocation, no counter, no table. */
bool ct_media_udp_fast(struct ct_flow *f, int dir, const struct ct_pkt *p, uint8_t *kind);
/* Counts a packet ct_media_udp_fast() handled (enum ct_media_kind). */
void ct_media_count(struct ct_media *md, uint8_t kind);
/* An RTP flow ends: its streams are reported and its state freed. */
void ct_media_flow_close(struct ct_media *md, struct ct_flow *f, ct_time_t now);
/* True if f->app is an RTP flow state of this module. */
bool ct_media_owns(const struct ct_flow *f);

#endif
