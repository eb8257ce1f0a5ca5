/* fuzz_sip.c - libFuzzer target for the SIP message parser (decoders/sip.c, RFC 3261 7).
 *
 * The input is parsed as a datagram and as a stream. When a parse succeeds, every header
 * value goes through ct_sip_param, ct_sip_uri and ct_sip_uri_user (and the body through
 * ct_sip_dtmf), and every returned slice is checked to lie inside the input; on a stream, the messages that follow the first are
 * parsed too (as TCP reassembly would), and every strict prefix of a message that parsed
 * must be CT_MORE. Each parse runs on an exact-size copy so over-reads trip ASan. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "decoders/sip.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t *lo, *hi; /* the buffer being parsed */

static void in_input(struct ct_slice s)
{
	if (s.len == 0)
		return;
	if (s.p < lo || s.p > hi || s.len > (size_t)(hi - s.p))
		abort();
}

static void exercise(const struct ct_sip_msg *m)
{
	static const char *const params[] = { "tag", "branch", "rport", "received", "q", "expires", "reason",
					      "cause", "text", "encoding", "index", "lr", "user", "to-tag" };
	bool found;
	if (m->nhdr > CT_SIP_MAX_HEADERS)
		abort();
	in_input(m->method_name);
	in_input(m->uri);
	in_input(m->reason);
	in_input(m->call_id);
	in_input(m->from_tag);
	in_input(m->to_tag);
	in_input(m->branch);
	in_input(m->body);
	if (m->total_len != m->header_len + m->body.len || m->total_len > (size_t)(hi - lo))
		abort();
	for (int id = 0; id < CT_H_NHIDS; id++)
		if (m->first[id] >= (int)m->nhdr || (m->first[id] >= 0 && m->hdr[m->first[id]].id != id))
			abort();
	in_input(ct_sip_uri_user(m->uri));
	for (unsigned i = 0; i < m->nhdr; i++) {
		struct ct_slice v = m->hdr[i].value;
		in_input(m->hdr[i].name);
		in_input(v);
		for (size_t k = 0; k < sizeof(params) / sizeof(params[0]); k++) {
			struct ct_slice pv = ct_sip_param(v, params[k], &found);
			in_input(pv);
			if (!found && pv.len)
				abort();
		}
		struct ct_slice u = ct_sip_uri(v);
		in_input(u);
		in_input(ct_sip_uri_user(u));
		in_input(ct_sip_uri_user(v));
		in_input(ct_sip_get(m, (enum ct_sip_hid)m->hdr[i].id));
	}
	struct ct_sip_dtmf d;
	if (ct_sip_dtmf(m, &d)) {
		in_input(d.signal);
		if (d.signal.len < 1 || d.signal.len > 2)
			abort();
	}
}

static struct ct_sip_msg msg, prefix_msg;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	if (size)
		memcpy(buf, data, size);
	lo = buf;
	hi = buf + size;

	(void)ct_sip_is_start_line(buf, size);
	if (ct_sip_parse(buf, size, false, &msg) == CT_OK)
		exercise(&msg);

	/* a stream: messages back to back, as long as they parse */
	size_t off = 0;
	for (int n = 0; n < 64 && off <= size; n++) {
		int rc = ct_sip_parse(buf + off, size - off, true, &msg);
		if (rc != CT_OK)
			break;
		exercise(&msg);
		size_t total = msg.total_len;
		if (total == 0 || total > size - off)
			abort();
		/* resumability: a strict prefix of a complete message is need-more (or, past the
		 * header byte cap, not SIP). A few cut points only, to keep the target fast. */
		size_t cuts[] = { total - 1, total / 2, msg.header_len ? msg.header_len - 1 : 0 };
		for (size_t c = 0; c < sizeof(cuts) / sizeof(cuts[0]); c++) {
			uint8_t *pre = malloc(cuts[c] ? cuts[c] : 1);
			if (!pre)
				break;
			memcpy(pre, buf + off, cuts[c]);
			rc = ct_sip_parse(pre, cuts[c], true, &prefix_msg);
			if (rc == CT_OK || (rc == CT_EINVAL && cuts[c] < CT_SIP_MAX_HEADER_BYTES))
				abort();
			free(pre);
		}
		off += total;
	}
	free(buf);
	return 0;
}
