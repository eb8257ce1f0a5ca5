/* sdp.h - Session Description Protocol bodies (RFC 8866, formerly RFC 4566): what a passive
 * tap needs to find and judge the media of a call - connection addresses, media lines,
 * payload types and codecs, direction attributes (RFC 3264) and RTCP ports (RFC 3605, 5761).
 *
 * Zero copy, no allocation: every text field is a slice into the body, valid as long as the
 * body bytes are. Caps: CT_SDP_MAX_MEDIA media sections and CT_SDP_MAX_FMT payload types and
 * rtpmaps per section; what lies beyond is ignored and `truncated` says so.
 */
#ifndef CT_SDP_H
#define CT_SDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../capture/packet.h"
#include "../util/ct.h"
#include "../util/slice.h"

enum ct_sdp_dir { CT_SDP_SENDRECV = 0, CT_SDP_SENDONLY, CT_SDP_RECVONLY, CT_SDP_INACTIVE };

#define CT_SDP_MAX_MEDIA 8
#define CT_SDP_MAX_FMT 16

struct ct_sdp_rtpmap {
	uint8_t pt;
	struct ct_slice encoding; /* "PCMU", "telephone-event" ... as written */
	uint32_t clock_rate;
};

struct ct_sdp_media {
	struct ct_slice type;            /* "audio", "video", "image" ... */
	uint16_t port;                   /* m= port; 0 = stream refused/disabled (RFC 3264 6) */
	uint16_t nports;                 /* m= port/n, 1 when absent */
	struct ct_slice proto;           /* "RTP/AVP", "RTP/SAVP", "udptl" ... */
	struct ct_addr addr;             /* media-level c=, else copied from session-level c= */
	bool has_addr;
	bool hold_addr;                  /* c= is 0.0.0.0 (RFC 2543 hold) */
	enum ct_sdp_dir dir;             /* media attribute, else session attribute, else sendrecv */
	uint8_t fmt[CT_SDP_MAX_FMT];     /* payload types in m= order (RTP profiles only) */
	uint8_t nfmt;
	struct ct_sdp_rtpmap rtpmap[CT_SDP_MAX_FMT];
	uint8_t nrtpmap;
	uint16_t rtcp_port;              /* a=rtcp: (RFC 3605), 0 when absent */
	bool rtcp_mux;                   /* a=rtcp-mux (RFC 5761) */
};

struct ct_sdp {
	struct ct_addr conn;             /* session-level c= */
	bool has_conn;
	struct ct_slice origin_user, session_id, session_version; /* o= */
	enum ct_sdp_dir dir;             /* session-level direction */
	struct ct_sdp_media media[CT_SDP_MAX_MEDIA];
	unsigned nmedia;
	bool truncated;                  /* more media/fmts/rtpmaps than the caps: rest ignored */
};

/* Parses an SDP body into *out (overwritten). Accepts CRLF or LF line ends, trailing white
 * space, and ignores unknown lines. A c= that is not an IPv4/IPv6 literal (a host name) leaves
 * has_addr false. Returns CT_OK, or CT_EINVAL for a body that is not SDP (first line is not
 * v=0, an m= line without media/port/proto, a non-numeric RTP payload type...). */
int ct_sdp_parse(const uint8_t *body, size_t len, struct ct_sdp *out);

/* Direction as seen on the wire, for hold detection: the direction attribute, except that a
 * 0.0.0.0 connection address (RFC 3264 section 8.4, the old RFC 2543 hold) turns sendrecv into
 * sendonly and recvonly into inactive: the side that wrote it wants to receive nothing. */
enum ct_sdp_dir ct_sdp_media_effective_dir(const struct ct_sdp_media *m);

/* Codec name for a payload type: the media's rtpmap if present, else the RFC 3551 static table
 * (0 PCMU, 3 GSM, 4 G723, 8 PCMA, 9 G722, 18 G729, 13 CN ...), else a NULL slice. *clock_rate
 * (may be NULL) gets the clock, 0 when unknown. The slice points into the body or into static
 * storage. */
struct ct_slice ct_sdp_codec(const struct ct_sdp_media *m, uint8_t pt, uint32_t *clock_rate);

const char *ct_sdp_dir_name(enum ct_sdp_dir d);

#endif
