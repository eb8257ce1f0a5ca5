/* sip.c - SIP message parser, RFC 3261 section 7 (messages), 7.3.1 (header folding),
 * 7.3.3 (compact forms), 20 (header fields), 25.1 (grammar). */
#include "sip.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static const char *const method_names[CT_SIP_NMETHODS] = {
	"", "INVITE", "ACK", "BYE", "CANCEL", "OPTIONS", "REGISTER", "PRACK", "UPDATE", "REFER", "NOTIFY",
	"SUBSCRIBE", "INFO", "MESSAGE", "PUBLISH",
};

const char *ct_sip_method_str(enum ct_sip_method m)
{
	return (unsigned)m < CT_SIP_NMETHODS ? method_names[m] : "";
}

enum ct_sip_method ct_sip_method_from(struct ct_slice s)
{
	/* methods are case-sensitive (RFC 3261 7.1) */
	for (int i = 1; i < CT_SIP_NMETHODS; i++)
		if (s.len == strlen(method_names[i]) && memcmp(s.p, method_names[i], s.len) == 0)
			return (enum ct_sip_method)i;
	return CT_SIP_UNKNOWN;
}

struct hname {
	const char *name;
	char compact;
	uint8_t id;
};

static const struct hname header_names[] = {
	{ "call-id", 'i', CT_H_CALL_ID },
	{ "from", 'f', CT_H_FROM },
	{ "to", 't', CT_H_TO },
	{ "via", 'v', CT_H_VIA },
	{ "cseq", 0, CT_H_CSEQ },
	{ "contact", 'm', CT_H_CONTACT },
	{ "content-length", 'l', CT_H_CONTENT_LENGTH },
	{ "content-type", 'c', CT_H_CONTENT_TYPE },
	{ "p-asserted-identity", 0, CT_H_PAI },
	{ "diversion", 0, CT_H_DIVERSION },
	{ "history-info", 0, CT_H_HISTORY_INFO },
	{ "user-to-user", 0, CT_H_USER_TO_USER },
	{ "x-genesys-calluuid", 0, CT_H_GENESYS_UUID },
	{ "cisco-guid", 0, CT_H_CISCO_GUID },
	{ "session-id", 0, CT_H_SESSION_ID },
	{ "refer-to", 'r', CT_H_REFER_TO },
	{ "referred-by", 'b', CT_H_REFERRED_BY },
	{ "replaces", 0, CT_H_REPLACES },
	{ "reason", 0, CT_H_REASON },
	{ "call-info", 0, CT_H_CALL_INFO },
	{ "event", 'o', CT_H_EVENT },
	{ "user-agent", 0, CT_H_USER_AGENT },
	{ "server", 0, CT_H_SERVER },
	{ "rseq", 0, CT_H_RSEQ },
	{ "rack", 0, CT_H_RACK },
};

static uint8_t header_id(struct ct_slice name)
{
	if (name.len == 1) {
		uint8_t c = ct_lower(name.p[0]);
		for (size_t i = 0; i < sizeof(header_names) / sizeof(header_names[0]); i++)
			if (header_names[i].compact == (char)c)
				return header_names[i].id;
		return CT_H_OTHER;
	}
	for (size_t i = 0; i < sizeof(header_names) / sizeof(header_names[0]); i++)
		if (ct_slice_ieq(name, header_names[i].name))
			return header_names[i].id;
	return CT_H_OTHER;
}

/* token characters of RFC 3261 25.1 */
static bool is_token(uint8_t c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return true;
	return c != 0 && strchr("-.!%*_+`'~", c) != NULL;
}

/* The line at *rest without its CRLF/LF; *rest moves past it. *complete is false when the
 * data ended before a line feed. */
static struct ct_slice next_line(struct ct_slice *rest, bool *complete)
{
	size_t i = ct_slice_find(*rest, '\n');
	*complete = i < rest->len;
	struct ct_slice line = ct_slice_make(rest->p, i);
	if (line.len && line.p[line.len - 1] == '\r')
		line.len--;
	size_t adv = *complete ? i + 1 : i;
	*rest = ct_slice_make(rest->p + adv, rest->len - adv);
	return line;
}

static bool parse_request_line(struct ct_slice line, struct ct_sip_msg *m)
{
	size_t i = 0;
	while (i < line.len && is_token(line.p[i]))
		i++;
	if (i == 0 || i >= line.len || line.p[i] != ' ')
		return false;
	m->method_name = ct_slice_make(line.p, i);
	struct ct_slice rest = ct_slice_sub(line, i + 1, line.len);
	size_t sp = ct_slice_find(rest, ' ');
	if (sp == 0 || sp >= rest.len)
		return false;
	m->uri = ct_slice_make(rest.p, sp);
	struct ct_slice ver = ct_slice_trim(ct_slice_sub(rest, sp + 1, rest.len));
	if (!ct_slice_ieq(ver, "SIP/2.0"))
		return false;
	m->request = true;
	m->method = (uint8_t)ct_sip_method_from(m->method_name);
	return true;
}

static bool parse_status_line(struct ct_slice line, struct ct_sip_msg *m)
{
	if (line.len < 11 || !ct_slice_istarts(line, "SIP/2.0 "))
		return false;
	uint64_t code;
	if (!ct_slice_u64(ct_slice_sub(line, 8, 3), 999, &code) || code < 100 || code > 699)
		return false;
	if (line.len > 11 && line.p[11] != ' ')
		return false;
	m->request = false;
	m->status = (unsigned)code;
	m->reason = ct_slice_trim(ct_slice_sub(line, 12, line.len));
	return true;
}

bool ct_sip_is_start_line(const uint8_t *p, size_t len)
{
	struct ct_slice rest = ct_slice_make(p, len);
	bool complete;
	struct ct_slice line = next_line(&rest, &complete);
	if (ct_slice_istarts(line, "SIP/2.0 "))
		return line.len >= 11 && line.p[8] >= '1' && line.p[8] <= '6';
	size_t i = 0;
	while (i < line.len && is_token(line.p[i]))
		i++;
	if (i == 0 || i >= line.len || line.p[i] != ' ')
		return false;
	return line.len >= 8 && ct_slice_ieq(ct_slice_sub(line, line.len - 8, 8), " SIP/2.0");
}

struct ct_slice ct_sip_get(const struct ct_sip_msg *m, enum ct_sip_hid id)
{
	int i = m->first[id];
	return i >= 0 ? m->hdr[i].value : CT_SLICE_NULL;
}

/* SP, HTAB and the CR/LF of a folded line (LWS, RFC 3261 25.1): values keep their folds. */
static bool is_lws(uint8_t c)
{
	return ct_is_ws(c) || c == '\r' || c == '\n';
}

struct ct_slice ct_sip_param(struct ct_slice v, const char *name, bool *found)
{
	*found = false;
	bool quoted = false;
	int angle = 0;
	for (size_t i = 0; i < v.len; i++) {
		uint8_t c = v.p[i];
		if (quoted) {
			if (c == '\\')
				i++;
			else if (c == '"')
				quoted = false;
			continue;
		}
		if (c == '"')
			quoted = true;
		else if (c == '<')
			angle++;
		else if (c == '>' && angle > 0)
			angle--;
		else if (c == ',' && angle == 0)
			break; /* the next value of a comma-separated header */
		else if (c == ';' && angle == 0) {
			size_t s = i + 1;
			while (s < v.len && is_lws(v.p[s]))
				s++;
			size_t e = s;
			while (e < v.len && v.p[e] != '=' && v.p[e] != ';' && v.p[e] != ',' && !is_lws(v.p[e]))
				e++;
			if (!ct_slice_ieq(ct_slice_make(v.p + s, e - s), name))
				continue;
			*found = true;
			while (e < v.len && is_lws(v.p[e]))
				e++;
			if (e >= v.len || v.p[e] != '=')
				return CT_SLICE_NULL;
			e++;
			while (e < v.len && is_lws(v.p[e]))
				e++;
			size_t ve = e;
			if (ve < v.len && v.p[ve] == '"') {
				/* quoted-string: raw, quoted-pairs left escaped */
				ve++;
				while (ve < v.len && v.p[ve] != '"')
					ve += (v.p[ve] == '\\' && ve + 1 < v.len) ? 2 : 1;
				return ct_slice_make(v.p + e + 1, ve - e - 1);
			}
			while (ve < v.len && v.p[ve] != ';' && v.p[ve] != ',' && !is_lws(v.p[ve]))
				ve++;
			return ct_slice_make(v.p + e, ve - e);
		}
	}
	return CT_SLICE_NULL;
}

/* Index of the first '<' outside a quoted display name, or v.len. An unterminated quote
 * (RFC 4475 quotbal) falls back to the first '<' anywhere. */
static size_t find_laquot(struct ct_slice v)
{
	bool quoted = false;
	for (size_t i = 0; i < v.len; i++) {
		if (quoted) {
			if (v.p[i] == '\\')
				i++;
			else if (v.p[i] == '"')
				quoted = false;
		} else if (v.p[i] == '"') {
			quoted = true;
		} else if (v.p[i] == '<') {
			return i;
		}
	}
	return quoted ? ct_slice_find(v, '<') : v.len;
}

struct ct_slice ct_sip_uri(struct ct_slice v)
{
	size_t lt = find_laquot(v);
	if (lt < v.len) {
		struct ct_slice in = ct_slice_sub(v, lt + 1, v.len);
		return ct_slice_trim(ct_slice_make(in.p, ct_slice_find(in, '>')));
	}
	/* addr-spec: parameters after ';' are the header's */
	return ct_slice_trim(ct_slice_make(v.p, ct_slice_find(v, ';')));
}

struct ct_slice ct_sip_uri_user(struct ct_slice uri)
{
	size_t colon = ct_slice_find(uri, ':');
	if (colon >= uri.len)
		return CT_SLICE_NULL;
	struct ct_slice scheme = ct_slice_make(uri.p, colon);
	struct ct_slice rest = ct_slice_sub(uri, colon + 1, uri.len);
	if (ct_slice_ieq(scheme, "tel"))
		return ct_slice_make(rest.p, ct_slice_find(rest, ';'));
	if (!ct_slice_ieq(scheme, "sip") && !ct_slice_ieq(scheme, "sips"))
		return CT_SLICE_NULL;
	size_t at = ct_slice_find(rest, '@');
	if (at >= rest.len)
		return CT_SLICE_NULL;
	struct ct_slice user = ct_slice_make(rest.p, at);
	user.len = ct_slice_find(user, ';'); /* user parameters (RFC 4694) */
	user.len = ct_slice_find(user, ':'); /* password (RFC 3261 19.1.1) */
	return user;
}

/* Removes the last CT_H_OTHER header from a full table, keeping the order of the rest. */
static bool evict_other(struct ct_sip_msg *m)
{
	unsigned j = m->nhdr;
	while (j > 0 && m->hdr[j - 1].id != CT_H_OTHER)
		j--;
	if (j == 0)
		return false;
	j--;
	memmove(&m->hdr[j], &m->hdr[j + 1], (m->nhdr - j - 1) * sizeof(m->hdr[0]));
	m->nhdr--;
	for (int i = 0; i < CT_H_NHIDS; i++)
		if (m->first[i] == (int)j)
			m->first[i] = -1; /* it was the only CT_H_OTHER */
		else if (m->first[i] > (int)j)
			m->first[i]--;
	return true;
}

int ct_sip_parse(const uint8_t *p, size_t len, bool stream, struct ct_sip_msg *m)
{
	m->nhdr = 0;
	m->headers_truncated = false;
	m->has_content_length = false;
	m->content_length = 0;
	m->status = 0;
	m->method = CT_SIP_UNKNOWN;
	m->method_name = m->uri = m->reason = CT_SLICE_NULL;
	m->call_id = m->from_tag = m->to_tag = m->branch = m->body = CT_SLICE_NULL;
	m->cseq = 0;
	for (int i = 0; i < CT_H_NHIDS; i++)
		m->first[i] = -1;

	size_t window = len < CT_SIP_MAX_HEADER_BYTES ? len : CT_SIP_MAX_HEADER_BYTES;
	struct ct_slice rest = ct_slice_make(p, window);
	bool complete;
	struct ct_slice line = next_line(&rest, &complete);
	if (!complete)
		return stream && len < CT_SIP_MAX_HEADER_BYTES ? CT_MORE : CT_EINVAL;
	if (!parse_status_line(line, m) && !parse_request_line(line, m))
		return CT_EINVAL;

	bool ended = false;
	struct ct_sip_header *last = NULL; /* the header a folded line continues; NULL if dropped */
	while (rest.len) {
		line = next_line(&rest, &complete);
		if (!complete && stream)
			break;
		if (line.len == 0 && complete) {
			ended = true;
			break;
		}
		if (line.len && ct_is_ws(line.p[0])) {
			/* folded continuation of the previous header */
			if (m->nhdr == 0)
				return CT_EINVAL;
			if (!last)
				continue; /* the continuation of a header dropped at the cap */
			struct ct_sip_header *h = last;
			const uint8_t *start = h->value.len ? h->value.p : line.p;
			h->value = ct_slice_trim(ct_slice_make(start, (size_t)(line.p + line.len - start)));
			continue;
		}
		size_t colon = ct_slice_find(line, ':');
		if (colon == 0 || colon >= line.len)
			return CT_EINVAL;
		struct ct_slice name = ct_slice_trim(ct_slice_make(line.p, colon));
		for (size_t i = 0; i < name.len; i++)
			if (!is_token(name.p[i]))
				return CT_EINVAL;
		if (name.len == 0)
			return CT_EINVAL;
		uint8_t id = header_id(name);
		if (m->nhdr == CT_SIP_MAX_HEADERS) {
			m->headers_truncated = true;
			last = NULL;
			/* past the cap, the first header of a known id (Content-Length, Call-ID...) still
			 * takes the place of the latest unknown one, so framing and identity survive */
			if (id == CT_H_OTHER || m->first[id] >= 0 || !evict_other(m))
				continue;
		}
		struct ct_sip_header *h = &m->hdr[m->nhdr];
		h->name = name;
		h->value = ct_slice_trim(ct_slice_sub(line, colon + 1, line.len));
		h->id = id;
		if (m->first[h->id] < 0)
			m->first[h->id] = (int)m->nhdr;
		m->nhdr++;
		last = h;
		if (!complete)
			break;
	}
	if (!ended) {
		if (stream)
			return len < CT_SIP_MAX_HEADER_BYTES ? CT_MORE : CT_EINVAL;
		if (rest.len == 0 && len >= CT_SIP_MAX_HEADER_BYTES)
			return CT_EINVAL;
		/* a datagram without the blank line: headers run to its end, no body */
	}
	m->header_len = (size_t)(rest.p - p);

	struct ct_slice cl = ct_sip_get(m, CT_H_CONTENT_LENGTH);
	if (m->first[CT_H_CONTENT_LENGTH] >= 0) {
		uint64_t v;
		if (!ct_slice_u64(cl, CT_SIP_MAX_BODY, &v))
			return CT_EINVAL;
		m->has_content_length = true;
		m->content_length = (size_t)v;
	}
	size_t avail = len - m->header_len;
	if (stream) {
		if (!m->has_content_length)
			return CT_EINVAL; /* mandatory on streams (RFC 3261 18.3) */
		if (avail < m->content_length)
			return CT_MORE;
		m->body = ct_slice_make(p + m->header_len, m->content_length);
	} else if (m->has_content_length) {
		if (avail < m->content_length)
			return CT_EINVAL;
		m->body = ct_slice_make(p + m->header_len, m->content_length);
	} else {
		m->body = ct_slice_make(p + m->header_len, avail);
	}
	m->total_len = m->header_len + m->body.len;

	m->call_id = ct_sip_get(m, CT_H_CALL_ID);
	bool found;
	m->from_tag = ct_sip_param(ct_sip_get(m, CT_H_FROM), "tag", &found);
	m->to_tag = ct_sip_param(ct_sip_get(m, CT_H_TO), "tag", &found);
	m->branch = ct_sip_param(ct_sip_get(m, CT_H_VIA), "branch", &found);
	struct ct_slice cseq = ct_sip_get(m, CT_H_CSEQ);
	size_t sp = 0;
	while (sp < cseq.len && cseq.p[sp] >= '0' && cseq.p[sp] <= '9')
		sp++;
	uint64_t num;
	if (sp && ct_slice_u64(ct_slice_make(cseq.p, sp), UINT32_MAX, &num)) {
		m->cseq = (uint32_t)num;
		struct ct_slice meth = ct_slice_trim(ct_slice_sub(cseq, sp, cseq.len));
		if (!m->request) {
			m->method_name = meth;
			m->method = (uint8_t)ct_sip_method_from(meth);
		}
	}
	return CT_OK;
}

bool ct_sip_uui_ucid(struct ct_slice uui, char dec[24])
{
	size_t i = 0;
	while (i + 1 < uui.len && uui.p[i] != ';' && !ct_is_ws(uui.p[i]))
		i++;
	struct ct_slice hex = ct_slice_make(uui.p, i + (i + 1 == uui.len ? 1 : 0));
	if (hex.len < 22 || !ct_slice_istarts(hex, "00FA08"))
		return false;
	uint8_t b[8];
	for (int k = 0; k < 8; k++) {
		uint8_t v = 0;
		for (int n = 0; n < 2; n++) {
			uint8_t ch = ct_lower(hex.p[6 + 2 * k + n]);
			uint8_t d = ch >= '0' && ch <= '9' ? (uint8_t)(ch - '0') : ch >= 'a' && ch <= 'f' ? (uint8_t)(ch - 'a' + 10) : 0xff;
			if (d == 0xff)
				return false;
			v = (uint8_t)(v << 4 | d);
		}
		b[k] = v;
	}
	unsigned node = (unsigned)(b[0] << 8 | b[1]), seq = (unsigned)(b[2] << 8 | b[3]);
	uint32_t ts = (uint32_t)b[4] << 24 | (uint32_t)b[5] << 16 | (uint32_t)b[6] << 8 | b[7];
	snprintf(dec, 24, "%05u%05u%010" PRIu32, node, seq, ts);
	return true;
}

void ct_sip_uui_ucid_hex(struct ct_slice uui, char hex[17])
{
	hex[0] = '\0';
	if (uui.len < 22 || !ct_slice_istarts(uui, "00FA08"))
		return;
	for (int i = 0; i < 16; i++) {
		uint8_t ch = ct_lower(uui.p[6 + i]);
		if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f'))) {
			hex[0] = '\0';
			return;
		}
		hex[i] = (char)ch;
	}
	hex[16] = '\0';
}

struct ct_slice ct_sip_refer_replaces(struct ct_slice uri)
{
	size_t q = ct_slice_find(uri, '?');
	if (q < uri.len) {
		struct ct_slice hdrs = ct_slice_sub(uri, q + 1, uri.len);
		if (ct_slice_istarts(hdrs, "Replaces="))
			return ct_slice_sub(hdrs, 9, hdrs.len);
	}
	return ct_slice_make(NULL, 0);
}

/* One or two DTMF key characters (RFC 4733 section 3.2's events 0-16 as Cisco's dtmf-relay
 * writes them). */
static bool dtmf_signal_ok(struct ct_slice s)
{
	if (s.len == 0 || s.len > 2)
		return false;
	if (s.len == 2)
		return s.p[0] == '1' && s.p[1] == '6';
	uint8_t c = ct_lower(s.p[0]);
	return (c >= '0' && c <= '9') || c == '*' || c == '#' || (c >= 'a' && c <= 'd');
}

bool ct_sip_dtmf(const struct ct_sip_msg *m, struct ct_sip_dtmf *out)
{
	memset(out, 0, sizeof(*out));
	if (!m->request || m->method != CT_SIP_INFO || !m->body.len)
		return false;
	struct ct_slice ctype = ct_sip_get(m, CT_H_CONTENT_TYPE);
	if (!ctype.len)
		return false; /* (and no split of a NULL slice) */
	struct ct_slice mime = ct_slice_trim(ct_slice_split(&ctype, ';'));
	if (ct_slice_ieq(mime, "application/dtmf")) {
		out->signal = ct_slice_trim(m->body);
		return dtmf_signal_ok(out->signal);
	}
	if (!ct_slice_ieq(mime, "application/dtmf-relay"))
		return false;
	bool have_signal = false;
	struct ct_slice rest = m->body;
	while (rest.len) {
		struct ct_slice line = ct_slice_split(&rest, '\n');
		struct ct_slice key = ct_slice_trim(ct_slice_split(&line, '='));
		struct ct_slice val = ct_slice_trim(line);
		uint64_t ms;
		if (ct_slice_ieq(key, "signal") && !have_signal) {
			if (!dtmf_signal_ok(val))
				return false;
			out->signal = val;
			have_signal = true;
		} else if (ct_slice_ieq(key, "duration") && ct_slice_u64(val, UINT32_MAX, &ms)) {
			out->duration_ms = (uint32_t)ms;
		}
	}
	return have_signal;
}
