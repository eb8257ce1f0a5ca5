/* ws.h - WebSocket framing (RFC 6455 section 5.2), as SIP over WebSocket uses it (RFC 7118).
 *
 * Parses one frame header at a time; the payload is unmasked into a caller's buffer (a
 * client's frames are masked, so the bytes on the wire are not the message). */
#ifndef CT_WS_H
#define CT_WS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../util/ct.h"

enum ct_ws_opcode { CT_WS_CONT = 0, CT_WS_TEXT = 1, CT_WS_BINARY = 2, CT_WS_CLOSE = 8, CT_WS_PING = 9, CT_WS_PONG = 10 };

struct ct_ws_frame {
	bool fin;
	uint8_t opcode;
	bool masked;
	uint8_t mask[4];
	uint64_t len;      /* payload length */
	size_t header_len; /* bytes before the payload */
};

/* Frame header at the start of p (len bytes available): CT_OK, CT_MORE (the header is longer than
 * len), CT_EINVAL (no frame: reserved bits, an opcode RFC 6455 does not define). */
int ct_ws_frame_parse(const uint8_t *p, size_t len, struct ct_ws_frame *f);
/* Copies n payload bytes starting at payload offset `off`, unmasked, into out. */
void ct_ws_unmask(const struct ct_ws_frame *f, const uint8_t *payload, size_t n, uint64_t off, uint8_t *out);
/* Length of an HTTP/1.1 Upgrade request or response head at p ("GET ..." or "HTTP/1.1 101"),
 * up to and including its blank line: 0 if incomplete, -1 if it is not one. */
long ct_ws_http_head(const uint8_t *p, size_t len);

#endif
