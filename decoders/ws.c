/* ws.c - WebSocket frames (RFC 6455 section 5.2) and the HTTP/1.1 Upgrade around them
 * (section 4), for SIP over WebSocket (RFC 7118). */
#include "ws.h"

#include <string.h>

#include "../util/cursor.h"
#include "../util/slice.h"

#define WS_MAX_HTTP_HEAD 16384

int ct_ws_frame_parse(const uint8_t *p, size_t len, struct ct_ws_frame *f)
{
	struct ct_cur c = ct_cur_make(p, len);
	uint8_t b0 = ct_cur_u8(&c);
	uint8_t b1 = ct_cur_u8(&c);
	if (c.err)
		return CT_MORE;
	f->fin = (b0 & 0x80) != 0;
	f->opcode = b0 & 0x0f;
	if (b0 & 0x70)
		return CT_EINVAL; /* no extension negotiated for SIP: RSV bits must be 0 */
	if (f->opcode > 2 && f->opcode < 8)
		return CT_EINVAL;
	if (f->opcode > 10)
		return CT_EINVAL;
	f->masked = (b1 & 0x80) != 0;
	uint64_t n = b1 & 0x7f;
	if (n == 126)
		n = ct_cur_be16(&c);
	else if (n == 127)
		n = ((uint64_t)ct_cur_be32(&c) << 32) | ct_cur_be32(&c);
	if (f->masked)
		ct_cur_copy(&c, f->mask, 4);
	if (c.err)
		return CT_MORE;
	f->len = n;
	f->header_len = c.pos;
	return CT_OK;
}

void ct_ws_unmask(const struct ct_ws_frame *f, const uint8_t *payload, size_t n, uint64_t off, uint8_t *out)
{
	if (!f->masked) {
		memcpy(out, payload, n);
		return;
	}
	for (size_t i = 0; i < n; i++)
		out[i] = payload[i] ^ f->mask[(off + i) & 3];
}

long ct_ws_http_head(const uint8_t *p, size_t len)
{
	struct ct_slice s = ct_slice_make(p, len < WS_MAX_HTTP_HEAD ? len : WS_MAX_HTTP_HEAD);
	if (!ct_slice_istarts(s, "GET ") && !ct_slice_istarts(s, "HTTP/1.1 101"))
		return -1;
	for (size_t i = 0; i + 1 < s.len; i++) {
		if (s.p[i] == '\n' && (s.p[i + 1] == '\n' || (s.p[i + 1] == '\r' && i + 2 < s.len && s.p[i + 2] == '\n')))
			return (long)(i + (s.p[i + 1] == '\n' ? 2 : 3));
	}
	return len >= WS_MAX_HTTP_HEAD ? -1 : 0;
}
