/* sip.h - SIP message parser (RFC 3261 sections 7 and 20; compact forms 7.3.3).
 *
 * Zero-copy: a parsed message is slices into the bytes it was parsed from (a datagram or
 * the TCP reassembly buffer), valid as long as those bytes. Header names are matched
 * case-insensitively, compact forms map to their long names, folded lines (obs-fold) stay
 * inside the value slice, repeated headers are all kept (up to CT_SIP_MAX_HEADERS, past
 * which `headers_truncated` is set). Nothing is allocated.
 */
#ifndef CT_SIP_H
#define CT_SIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../util/ct.h"
#include "../util/slice.h"

#define CT_SIP_MAX_HEADERS 96
#define CT_SIP_MAX_HEADER_BYTES (64u * 1024u) /* start line + headers; larger is not SIP */
#define CT_SIP_MAX_BODY (1u << 20)

enum ct_sip_method {
	CT_SIP_UNKNOWN = 0,
	CT_SIP_INVITE,
	CT_SIP_ACK,
	CT_SIP_BYE,
	CT_SIP_CANCEL,
	CT_SIP_OPTIONS,
	CT_SIP_REGISTER,
	CT_SIP_PRACK,
	CT_SIP_UPDATE,
	CT_SIP_REFER,
	CT_SIP_NOTIFY,
	CT_SIP_SUBSCRIBE,
	CT_SIP_INFO,
	CT_SIP_MESSAGE,
	CT_SIP_PUBLISH,
	CT_SIP_NMETHODS
};

/* Headers ctitap reads; every other header is kept as CT_H_OTHER. */
enum ct_sip_hid {
	CT_H_OTHER = 0,
	CT_H_CALL_ID,
	CT_H_FROM,
	CT_H_TO,
	CT_H_VIA,
	CT_H_CSEQ,
	CT_H_CONTACT,
	CT_H_CONTENT_LENGTH,
	CT_H_CONTENT_TYPE,
	CT_H_PAI,
	CT_H_DIVERSION,
	CT_H_HISTORY_INFO,
	CT_H_USER_TO_USER,
	CT_H_GENESYS_UUID,
	CT_H_CISCO_GUID,
	CT_H_SESSION_ID,
	CT_H_REFER_TO,
	CT_H_REFERRED_BY,
	CT_H_REPLACES,
	CT_H_REASON,
	CT_H_CALL_INFO,
	CT_H_EVENT,
	CT_H_USER_AGENT,
	CT_H_SERVER,
	CT_H_RSEQ,
	CT_H_RACK,
	CT_H_NHIDS
};

struct ct_sip_header {
	struct ct_slice name;  /* as on the wire */
	struct ct_slice value; /* trimmed; may contain folded line breaks */
	uint8_t id;            /* enum ct_sip_hid */
};

struct ct_sip_msg {
	bool request;
	uint8_t method;             /* request method, or the CSeq method of a response */
	struct ct_slice method_name;/* request method token (responses: the CSeq method token) */
	struct ct_slice uri;        /* request URI */
	unsigned status;            /* responses: 100..699 */
	struct ct_slice reason;
	struct ct_sip_header hdr[CT_SIP_MAX_HEADERS];
	unsigned nhdr;
	bool headers_truncated;
	int first[CT_H_NHIDS];      /* index in hdr of the first header of each id, or -1 */
	uint32_t cseq;
	struct ct_slice call_id;
	struct ct_slice from_tag;
	struct ct_slice to_tag;
	struct ct_slice branch;     /* of the top Via */
	bool has_content_length;
	size_t content_length;
	struct ct_slice body;
	size_t header_len;          /* start line and headers, blank line included */
	size_t total_len;           /* header_len + body */
};

/* Parses one message at the start of p. In stream mode (TCP, WebSocket framing off) the
 * body is Content-Length bytes and the message may be incomplete (CT_MORE); in datagram
 * mode the body is the rest of the datagram when Content-Length is absent, and a
 * Content-Length past the end is CT_EINVAL. */
int ct_sip_parse(const uint8_t *p, size_t len, bool stream, struct ct_sip_msg *m);

/* True if the line at p looks like a SIP start line ("INVITE sip:... SIP/2.0", "SIP/2.0 200"). */
bool ct_sip_is_start_line(const uint8_t *p, size_t len);

const char *ct_sip_method_str(enum ct_sip_method m);
enum ct_sip_method ct_sip_method_from(struct ct_slice s);
/* First header of id, or an empty slice. */
struct ct_slice ct_sip_get(const struct ct_sip_msg *m, enum ct_sip_hid id);
/* Value of parameter `name` (";name=value", case-insensitive name) in a header value, outside
 * any <...> or quoted part. found=false if absent. */
struct ct_slice ct_sip_param(struct ct_slice value, const char *name, bool *found);
/* The URI of a name-addr or addr-spec ("Alice" <sip:a@b>;tag=x -> sip:a@b). */
struct ct_slice ct_sip_uri(struct ct_slice value);
/* The user part of a SIP/TEL URI (sip:2001@pbx -> 2001, tel:+4930 -> +4930). */
struct ct_slice ct_sip_uri_user(struct ct_slice uri);

/* An Avaya UCID in a User-to-User value (RFC 7433 hex: "00FA08", then node id (2 bytes),
 * sequence (2 bytes), timestamp (4 bytes)): as 16 lower-case hex digits, the form CSTA's
 * correlatorData carries (hex "" when there is none), and as the 5 + 5 + 10 decimal digits
 * Avaya shows (false when there is none). */
void ct_sip_uui_ucid_hex(struct ct_slice uui, char hex[17]);
bool ct_sip_uui_ucid(struct ct_slice uui, char dec[24]);
/* The Replaces header an attended transfer embeds in a Refer-To URI (?Replaces=callid%3B...),
 * still percent-encoded; an empty slice when there is none. */
struct ct_slice ct_sip_refer_replaces(struct ct_slice uri);

/* A DTMF key sent in a SIP INFO body: application/dtmf-relay ("Signal=5\r\nDuration=160",
 * the form Cisco and most PBXs send; keys case-insensitive, blanks allowed around the value)
 * or application/dtmf (the body is the key). signal is a slice of the body: one or two
 * characters of 0-9 * # A-D (16 is a hook flash); duration_ms is 0 when none was sent. */
struct ct_sip_dtmf {
	struct ct_slice signal;
	uint32_t duration_ms;
};

/* True when m is an INFO request whose body carries a DTMF key (above), written to *out. */
bool ct_sip_dtmf(const struct ct_sip_msg *m, struct ct_sip_dtmf *out);

#endif
