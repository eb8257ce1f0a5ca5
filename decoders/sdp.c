/* sdp.c - SDP body parser (RFC 8866 section 5; RFC 3264 section 5.1 and 8.4 for direction and
 * hold; RFC 3605 a=rtcp; RFC 5761 a=rtcp-mux; RFC 3551 section 6 static payload types).
 *
 * Lenient where real user agents are sloppy (LF-only line ends, trailing blanks, unknown or
 * malformed attribute lines, host names in c=), strict where a wrong answer would mislead the
 * media tracker (the v=0 first line, the m= line's port and RTP payload types).
 */
#include "sdp.h"

#include <string.h>

/* Next blank-separated token of *rest; empty when none is left. */
static struct ct_slice next_token(struct ct_slice *rest)
{
	while (rest->len && ct_is_ws(rest->p[0]))
		*rest = ct_slice_sub(*rest, 1, rest->len - 1);
	size_t i = 0;
	while (i < rest->len && !ct_is_ws(rest->p[i]))
		i++;
	struct ct_slice tok = ct_slice_sub(*rest, 0, i);
	*rest = ct_slice_sub(*rest, i, rest->len - i);
	return tok;
}

static bool slice_icontains(struct ct_slice s, const char *lit)
{
	size_t n = strlen(lit);
	for (size_t i = 0; i + n <= s.len; i++)
		if (ct_slice_istarts(ct_slice_sub(s, i, n), lit))
			return true;
	return false;
}

/* Dotted quad, each part 1-3 decimal digits up to 255. */
static bool parse_ip4(struct ct_slice s, uint8_t out[4])
{
	unsigned dots = 0;
	for (size_t i = 0; i < s.len; i++)
		dots += s.p[i] == '.';
	if (dots != 3)
		return false;
	struct ct_slice rest = s;
	for (int i = 0; i < 4; i++) {
		struct ct_slice part = ct_slice_split(&rest, '.');
		uint64_t v;
		if (part.len > 3 || !ct_slice_u64(part, 255, &v))
			return false;
		out[i] = (uint8_t)v;
	}
	return true;
}

static int hexval(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = ct_lower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* RFC 4291 section 2.2 text forms: eight groups, one "::" run of zero groups, and an optional
 * dotted IPv4 tail. No zone index (SDP has none). */
static bool parse_ip6(struct ct_slice s, uint8_t out[16])
{
	uint8_t head[16], tail[16];
	size_t nh = 0, nt = 0; /* bytes */
	bool dbl = false;
	size_t i = 0;

	if (s.len < 2)
		return false;
	if (s.p[0] == ':') {
		if (s.p[1] != ':')
			return false;
		dbl = true;
		i = 2;
	}
	while (i < s.len) {
		size_t j = i;
		while (j < s.len && s.p[j] != ':')
			j++;
		struct ct_slice tok = ct_slice_sub(s, i, j - i);
		uint8_t *dst = dbl ? tail : head;
		size_t *n = dbl ? &nt : &nh;
		if (ct_slice_find(tok, '.') < tok.len) {
			/* the IPv4 tail must be last and leave room for its two groups */
			if (j != s.len || *n + 4 > 16 || !parse_ip4(tok, dst + *n))
				return false;
			*n += 4;
			break;
		}
		if (tok.len == 0 || tok.len > 4 || *n + 2 > 16)
			return false;
		unsigned v = 0;
		for (size_t k = 0; k < tok.len; k++) {
			int h = hexval(tok.p[k]);
			if (h < 0)
				return false;
			v = (v << 4) | (unsigned)h;
		}
		dst[(*n)++] = (uint8_t)(v >> 8);
		dst[(*n)++] = (uint8_t)v;
		if (j == s.len)
			break;
		if (j + 1 < s.len && s.p[j + 1] == ':') {
			if (dbl)
				return false; /* a second "::" */
			dbl = true;
			i = j + 2;
		} else {
			i = j + 1;
			if (i == s.len)
				return false; /* trailing single ':' */
		}
	}
	if (dbl ? nh + nt > 14 : nh != 16)
		return false;
	memset(out, 0, 16);
	memcpy(out, head, nh);
	memcpy(out + 16 - nt, tail, nt);
	return true;
}

/* c=IN IP4 <addr>[/ttl[/n]] or c=IN IP6 <addr>[/n]. False for host names and other types. */
static bool parse_conn(struct ct_slice v, struct ct_addr *a, bool *hold)
{
	struct ct_slice nettype = next_token(&v);
	struct ct_slice addrtype = next_token(&v);
	struct ct_slice rest = next_token(&v);
	struct ct_slice addr = ct_slice_split(&rest, '/');
	if (!ct_slice_ieq(nettype, "IN"))
		return false;
	memset(a->a, 0, sizeof(a->a));
	if (ct_slice_ieq(addrtype, "IP4")) {
		uint8_t v4[4];
		if (!parse_ip4(addr, v4))
			return false;
		a->a[10] = 0xff;
		a->a[11] = 0xff;
		memcpy(a->a + 12, v4, 4);
		*hold = v4[0] == 0 && v4[1] == 0 && v4[2] == 0 && v4[3] == 0;
		return true;
	}
	if (ct_slice_ieq(addrtype, "IP6")) {
		*hold = false;
		return parse_ip6(addr, a->a);
	}
	return false;
}

static bool parse_dir(struct ct_slice name, enum ct_sdp_dir *d)
{
	if (ct_slice_ieq(name, "sendrecv"))
		*d = CT_SDP_SENDRECV;
	else if (ct_slice_ieq(name, "sendonly"))
		*d = CT_SDP_SENDONLY;
	else if (ct_slice_ieq(name, "recvonly"))
		*d = CT_SDP_RECVONLY;
	else if (ct_slice_ieq(name, "inactive"))
		*d = CT_SDP_INACTIVE;
	else
		return false;
	return true;
}

/* m=<media> <port>[/<n>] <proto> <fmt> ... */
static int parse_media(struct ct_slice v, struct ct_sdp_media *m, bool *truncated)
{
	memset(m, 0, sizeof(*m));
	m->type = next_token(&v);
	struct ct_slice portspec = next_token(&v);
	m->proto = next_token(&v);
	if (m->type.len == 0 || m->proto.len == 0)
		return CT_EINVAL;
	bool has_n = ct_slice_find(portspec, '/') < portspec.len;
	struct ct_slice port = ct_slice_split(&portspec, '/');
	uint64_t n;
	if (!ct_slice_u64(port, 65535, &n))
		return CT_EINVAL;
	m->port = (uint16_t)n;
	m->nports = 1;
	if (has_n) {
		if (!ct_slice_u64(portspec, 65535, &n) || n == 0)
			return CT_EINVAL;
		m->nports = (uint16_t)n;
	}
	/* fmt is a payload type number only under an RTP profile (RFC 8866 5.14); udptl, TCP/MSRP
	 * and friends carry tokens that mean nothing to the RTP tracker. */
	bool rtp = slice_icontains(m->proto, "RTP/");
	for (struct ct_slice f = next_token(&v); f.len; f = next_token(&v)) {
		if (!rtp)
			continue;
		if (!ct_slice_u64(f, 127, &n))
			return CT_EINVAL;
		if (m->nfmt == CT_SDP_MAX_FMT) {
			*truncated = true;
			continue;
		}
		m->fmt[m->nfmt++] = (uint8_t)n;
	}
	return CT_OK;
}

/* a=rtpmap:<pt> <encoding>/<clock>[/<params>]; a malformed one is ignored. */
static void parse_rtpmap(struct ct_slice v, struct ct_sdp_media *m, bool *truncated)
{
	struct ct_slice pt = next_token(&v);
	struct ct_slice spec = next_token(&v);
	struct ct_slice enc = ct_slice_split(&spec, '/');
	struct ct_slice clock = ct_slice_split(&spec, '/');
	uint64_t p, c;
	if (!ct_slice_u64(pt, 127, &p) || enc.len == 0 || !ct_slice_u64(clock, UINT32_MAX, &c))
		return;
	for (unsigned i = 0; i < m->nrtpmap; i++)
		if (m->rtpmap[i].pt == p)
			return; /* the first mapping of a payload type wins */
	if (m->nrtpmap == CT_SDP_MAX_FMT) {
		*truncated = true;
		return;
	}
	struct ct_sdp_rtpmap *r = &m->rtpmap[m->nrtpmap++];
	r->pt = (uint8_t)p;
	r->encoding = enc;
	r->clock_rate = (uint32_t)c;
}

int ct_sdp_parse(const uint8_t *body, size_t len, struct ct_sdp *out)
{
	memset(out, 0, sizeof(*out));
	if (!body)
		return CT_EINVAL;
	struct ct_slice rest = ct_slice_make(body, len);
	struct ct_sdp_media *cur = NULL;   /* media section being filled */
	bool in_media = false;             /* past the first m= (even one over the cap) */
	bool seen_v = false;
	bool sess_hold = false;
	bool dir_set[CT_SDP_MAX_MEDIA] = { false };

	while (rest.len) {
		struct ct_slice line = ct_slice_trim(ct_slice_split(&rest, '\n'));
		if (line.len == 0)
			continue;
		if (!seen_v) {
			/* RFC 8866 5: v=0 is the first line; this is what tells SDP from other bodies */
			if (!ct_slice_ieq(line, "v=0"))
				return CT_EINVAL;
			seen_v = true;
			continue;
		}
		if (line.len < 2 || line.p[1] != '=')
			continue; /* not a <type>=<value> line: ignored */
		uint8_t type = line.p[0];
		struct ct_slice v = ct_slice_sub(line, 2, line.len - 2);

		switch (type) {
		case 'o':
			if (!in_media) {
				out->origin_user = next_token(&v);
				out->session_id = next_token(&v);
				out->session_version = next_token(&v);
			}
			break;
		case 'm': {
			in_media = true;
			struct ct_sdp_media tmp;
			int rc = parse_media(v, &tmp, &out->truncated);
			if (rc != CT_OK)
				return rc;
			if (out->nmedia == CT_SDP_MAX_MEDIA) {
				out->truncated = true;
				cur = NULL; /* this section's c= and a= lines are skipped too */
				break;
			}
			cur = &out->media[out->nmedia++];
			*cur = tmp;
			break;
		}
		case 'c': {
			struct ct_addr a;
			bool hold = false;
			if (in_media) {
				/* several c= in one section (RFC 8866 5.7 multicast layering): the first wins */
				if (cur && !cur->has_addr && parse_conn(v, &a, &hold)) {
					cur->addr = a;
					cur->has_addr = true;
					cur->hold_addr = hold;
				}
			} else if (!out->has_conn && parse_conn(v, &a, &hold)) {
				out->conn = a;
				out->has_conn = true;
				sess_hold = hold;
			}
			break;
		}
		case 'a': {
			struct ct_slice name = ct_slice_split(&v, ':');
			enum ct_sdp_dir d;
			if (parse_dir(name, &d)) {
				if (!in_media)
					out->dir = d;
				else if (cur) {
					cur->dir = d;
					dir_set[out->nmedia - 1] = true; /* cur is the last section */
				}
			} else if (cur && ct_slice_ieq(name, "rtpmap")) {
				parse_rtpmap(v, cur, &out->truncated);
			} else if (cur && ct_slice_ieq(name, "rtcp")) {
				uint64_t port;
				if (ct_slice_u64(next_token(&v), 65535, &port))
					cur->rtcp_port = (uint16_t)port;
			} else if (cur && ct_slice_ieq(name, "rtcp-mux")) {
				cur->rtcp_mux = true;
			}
			break;
		}
		default:
			break; /* s=, t=, b=, k= ... carry nothing the tap uses */
		}
	}
	if (!seen_v)
		return CT_EINVAL;

	/* session-level c= and direction are defaults for every section (RFC 8866 5.7, 6.7) */
	for (unsigned i = 0; i < out->nmedia; i++) {
		struct ct_sdp_media *m = &out->media[i];
		if (!m->has_addr && out->has_conn) {
			m->addr = out->conn;
			m->has_addr = true;
			m->hold_addr = sess_hold;
		}
		if (!dir_set[i])
			m->dir = out->dir;
	}
	return CT_OK;
}

enum ct_sdp_dir ct_sdp_media_effective_dir(const struct ct_sdp_media *m)
{
	if (!m->hold_addr)
		return m->dir;
	if (m->dir == CT_SDP_SENDRECV)
		return CT_SDP_SENDONLY;
	if (m->dir == CT_SDP_RECVONLY)
		return CT_SDP_INACTIVE;
	return m->dir;
}

/* RFC 3551 section 6, tables 4 and 5: the payload types with a fixed meaning, indexed by PT
 * (RTP accounting asks for the clock of every packet's PT). */
static const struct {
	const char *name;
	uint8_t len;
	uint32_t clock;
} static_pt[35] = {
	[0] = { "PCMU", 4, 8000 },    [3] = { "GSM", 3, 8000 },     [4] = { "G723", 4, 8000 },
	[5] = { "DVI4", 4, 8000 },    [6] = { "DVI4", 4, 16000 },   [7] = { "LPC", 3, 8000 },
	[8] = { "PCMA", 4, 8000 },    [9] = { "G722", 4, 8000 },    [10] = { "L16", 3, 44100 },
	[11] = { "L16", 3, 44100 },   [12] = { "QCELP", 5, 8000 },  [13] = { "CN", 2, 8000 },
	[14] = { "MPA", 3, 90000 },   [15] = { "G728", 4, 8000 },   [16] = { "DVI4", 4, 11025 },
	[17] = { "DVI4", 4, 22050 },  [18] = { "G729", 4, 8000 },   [25] = { "CelB", 4, 90000 },
	[26] = { "JPEG", 4, 90000 },  [28] = { "nv", 2, 90000 },    [31] = { "H261", 4, 90000 },
	[32] = { "MPV", 3, 90000 },   [33] = { "MP2T", 4, 90000 },  [34] = { "H263", 4, 90000 },
};

struct ct_slice ct_sdp_codec(const struct ct_sdp_media *m, uint8_t pt, uint32_t *clock_rate)
{
	if (clock_rate)
		*clock_rate = 0;
	if (m) {
		for (unsigned i = 0; i < m->nrtpmap && i < CT_SDP_MAX_FMT; i++) {
			if (m->rtpmap[i].pt == pt) {
				if (clock_rate)
					*clock_rate = m->rtpmap[i].clock_rate;
				return m->rtpmap[i].encoding;
			}
		}
	}
	if (pt < CT_ARRAY_SIZE(static_pt) && static_pt[pt].name) {
		if (clock_rate)
			*clock_rate = static_pt[pt].clock;
		return ct_slice_make(static_pt[pt].name, static_pt[pt].len);
	}
	return CT_SLICE_NULL;
}

const char *ct_sdp_dir_name(enum ct_sdp_dir d)
{
	switch (d) {
	case CT_SDP_SENDRECV: return "sendrecv";
	case CT_SDP_SENDONLY: return "sendonly";
	case CT_SDP_RECVONLY: return "recvonly";
	case CT_SDP_INACTIVE: return "inactive";
	}
	return "?";
}
