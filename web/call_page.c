/* call_page.c - one call's page: a ladder diagram of its SIP and CSTA messages in inline SVG,
 * with its RTP streams, ring, talk, hold and recording spans and its transfers, conferences
 * and audits; then the correlation evidence and a table of everything the records say.
 *
 * Lanes are hosts (IP addresses), named by the role the records give away:
 *  - a CSTA link is "server-ip:port-client-ip:port": the server side is the PBX's CTI
 *    interface, the client the CTI application (or CTI server) that monitors devices;
 *  - an INVITE to a contact-centre device (a party of the call, a device a CSTA monitor watches,
 *    a recorded device) reaches a phone: its request-URI host (else the packet's destination);
 *    its sender is the PBX. An INVITE from such a device comes from a phone, to the PBX;
 *  - a host that both receives and sends INVITEs of the call, and is no phone, is a B2BUA: the PBX;
 *  - whoever sends the PBX an INVITE, or gets one from it, and is neither, is the carrier/SBC;
 *  - hosts only RTP names are media; any other is a host.
 * Rows are messages in time order (not to scale: a quiet minute takes one row); a time on the
 * spans' axis is drawn at the first row at or after it.
 *
 * Caps: view.max_messages arrows, MAX_LANES lanes (further hosts share the last lane), MAX_STREAMS
 * RTP bands, MAX_MARKS marks, MAX_REC_DEVICES recording columns; each cut is said on the page.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "view_int.h"

#define MAX_HOSTS 64
#define MAX_LANES 10
#define MAX_STREAMS 32
#define MAX_MARKS 64
#define MAX_DEVICES 64
#define MAX_HOLDS 64
#define MAX_INVITES 256
#define MAX_LINKS 8
#define MAX_REC_DEVICES 4
#define MAX_TABLE_ROWS 1000

#define ROW_H 24
#define TOP 74
#define SPAN_X0 70
#define SPAN_W 15
#define LANE_W 196

enum role { R_CARRIER, R_PBX, R_PHONE, R_PBX_CTI, R_CTI_CLIENT, R_MEDIA, R_HOST, R_NONE };

struct host {
	char ip[64];
	enum role role;
	char dev[48];     /* a phone's device */
	bool cti_server;  /* server side of a CSTA link */
	bool cti_client;
	bool pbx_hint;
	unsigned first;   /* order of first appearance */
	int lane;
};

struct prec {
	const struct vrec *r;
	json_t *j;
};

enum row_kind { ROW_MSG, ROW_RTP, ROW_MARK };

struct row {
	ct_time_t ts;
	uint64_t seq;
	enum row_kind kind;
	unsigned idx;      /* recs (message, stream) or marks */
	int y;
};

struct mark {
	ct_time_t ts;
	const char *cls;   /* "transfer", "conference", "diversion", "audit" */
	char text[240];    /* raw: escaped when written */
};

struct interval {
	ct_time_t a, b;
	char who[48];
};

struct model {
	const struct ct_view_cfg *cfg;
	const struct ventry *e;
	struct prec *recs;
	unsigned n;
	const json_t *call;
	ct_time_t t0, t1, answer;
	bool has_answer;
	struct host hosts[MAX_HOSTS];
	unsigned nhosts;
	bool hosts_full;          /* some host did not fit: it is in the "other hosts" lane */
	int lane_host[MAX_LANES]; /* host of each lane; -1: the other hosts */
	unsigned nlanes;
	unsigned other_lane_hosts;
	const char *devices[MAX_DEVICES];
	unsigned ndevices;
	const char *links[MAX_LINKS];     /* CTI links of the call's CSTA messages, in order */
	const char *link_enc[MAX_LINKS];
	unsigned nlinks;
	unsigned msgs_total, msgs_drawn, streams_total, streams_drawn;
	struct row *rows;
	unsigned nrows;
	struct mark marks[MAX_MARKS];
	unsigned nmarks, marks_cut;
	struct interval holds[MAX_HOLDS];
	unsigned nholds;
	const char *rec_dev[MAX_REC_DEVICES];
	struct interval recs_iv[MAX_HOLDS];
	int recs_col[MAX_HOLDS];
	unsigned nrec_dev, nrec_iv, rec_dev_cut;
	int lanes_x0;
	int height, width;
};

/* ---- small helpers ---- */

static bool streq(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

static bool is_message(const json_t *j)
{
	const char *src = view_jstr(j, "src"), *name = view_jstr(j, "name");
	if (!streq(src, "sip") && !streq(src, "csta"))
		return false;
	return name && strcmp(name, "dialog_end") != 0 && strcmp(name, "agent_state") != 0;
}

static bool is_stream(const json_t *j)
{
	return streq(view_jstr(j, "src"), "rtp") && streq(view_jstr(j, "name"), "rtp_stream");
}

/* "10.1.0.1:5060" -> "10.1.0.1", "[2001:db8::1]:5060" -> "2001:db8::1"; text without a port as is. */
static void addr_host(char *dst, size_t size, const char *addr)
{
	if (!addr) {
		view_copy(dst, size, "?");
		return;
	}
	size_t n = strlen(addr);
	if (addr[0] == '[') {
		const char *close = strchr(addr, ']');
		if (close)
			n = (size_t)(close - addr - 1), addr++;
	} else {
		const char *colon = strrchr(addr, ':');
		if (colon && colon == strchr(addr, ':'))
			n = (size_t)(colon - addr);
	}
	if (n >= size)
		n = size - 1;
	char tmp[128];
	if (n >= sizeof(tmp))
		n = sizeof(tmp) - 1;
	memcpy(tmp, addr, n);
	tmp[n] = '\0';
	view_copy(dst, size, tmp);
}

/* The host of a SIP URI "sip:2002@10.1.1.11:5060;transport=udp" -> "10.1.1.11". */
static void uri_host(char *dst, size_t size, const char *uri)
{
	dst[0] = '\0';
	if (!uri)
		return;
	const char *at = strchr(uri, '@');
	const char *h = at ? at + 1 : strchr(uri, ':');
	if (!h)
		return;
	if (!at)
		h++;
	char tmp[128];
	size_t n = strcspn(h, ";?>");
	if (n >= sizeof(tmp))
		return;
	memcpy(tmp, h, n);
	tmp[n] = '\0';
	addr_host(dst, size, tmp);
}

static int host_find(const struct model *m, const char *ip)
{
	for (unsigned i = 0; i < m->nhosts; i++)
		if (strcmp(m->hosts[i].ip, ip) == 0)
			return (int)i;
	return -1;
}

/* The host of an address, added when new; -1 when the table is full. */
static int host_of(struct model *m, const char *addr)
{
	char ip[64];
	addr_host(ip, sizeof(ip), addr);
	int h = host_find(m, ip);
	if (h >= 0)
		return h;
	if (m->nhosts == MAX_HOSTS) {
		m->hosts_full = true;
		return -1;
	}
	struct host *x = &m->hosts[m->nhosts];
	memset(x, 0, sizeof(*x));
	memcpy(x->ip, ip, sizeof(x->ip));
	x->role = R_NONE;
	x->first = m->nhosts;
	x->lane = -1;
	return (int)m->nhosts++;
}

static bool is_device(const struct model *m, const char *d)
{
	if (!d || !*d)
		return false;
	for (unsigned i = 0; i < m->ndevices; i++)
		if (strcmp(m->devices[i], d) == 0)
			return true;
	return false;
}

static void device_add(struct model *m, const char *d)
{
	if (d && *d && !is_device(m, d) && m->ndevices < MAX_DEVICES)
		m->devices[m->ndevices++] = d;
}

static int link_index(const struct model *m, const char *link)
{
	for (unsigned i = 0; i < m->nlinks; i++)
		if (strcmp(m->links[i], link) == 0)
			return (int)i;
	return -1;
}

static void set_phone(struct model *m, int h, const char *dev)
{
	if (h < 0 || m->hosts[h].role == R_PHONE)
		return;
	m->hosts[h].role = R_PHONE;
	view_copy(m->hosts[h].dev, sizeof(m->hosts[h].dev), dev);
}

static const char *role_class(enum role r)
{
	switch (r) {
	case R_CARRIER: return "r-carrier";
	case R_PBX: return "r-pbx";
	case R_PHONE: return "r-phone";
	case R_PBX_CTI: return "r-cti";
	case R_CTI_CLIENT: return "r-ctic";
	default: return "r-host";
	}
}

/* The lane's name, raw text (escaped by the caller). */
static void host_label(const struct host *h, char *out, size_t size)
{
	switch (h->role) {
	case R_CARRIER: snprintf(out, size, "carrier/SBC"); break;
	case R_PBX: snprintf(out, size, h->cti_server ? "PBX (SIP + CTI)" : "PBX"); break;
	case R_PHONE: snprintf(out, size, "phone %s", h->dev); break;
	case R_PBX_CTI: snprintf(out, size, "PBX CTI interface"); break;
	case R_CTI_CLIENT: snprintf(out, size, "CTI application"); break;
	case R_MEDIA: snprintf(out, size, "media"); break;
	default: snprintf(out, size, "host"); break;
	}
}

static int lane_of_host(const struct model *m, int h)
{
	if (h >= 0 && m->hosts[h].lane >= 0)
		return m->hosts[h].lane;
	return (int)m->nlanes - 1; /* the other hosts' lane */
}

static int lane_x(const struct model *m, int lane)
{
	return m->lanes_x0 + lane * LANE_W;
}

/* "09:00:03.617015" of an RFC 3339 time, else the text as it is (escaped). */
static void put_hms(struct ct_buf *out, const char *ts)
{
	ct_time_t t;
	if (ts && view_parse_time(ts, &t))
		ct_buf_html(out, ts + 11, 15);
	else
		ct_buf_htmls(out, ts ? ts : "\xE2\x80\x94");
}

static void put_rel(struct ct_buf *out, ct_time_t t, ct_time_t t0)
{
	bool neg = t < t0;
	uint64_t d = neg ? t0 - t : t - t0;
	const char *sign = neg ? "-" : "+";
	ct_buf_printf(out, "%s%lld.%03lld", sign, (long long)(d / 1000000), (long long)(d % 1000000 / 1000));
}

static void put_ms(struct ct_buf *out, const json_t *o, const char *key)
{
	int64_t v;
	if (view_jint(o, key, &v) && v > INT64_MIN)
		ct_buf_printf(out, "%s%lld.%03lld s", v < 0 ? "-" : "", (long long)((v < 0 ? -v : v) / 1000),
			      (long long)((v < 0 ? -v : v) % 1000));
	else
		ct_buf_puts(out, "\xE2\x80\x94");
}

static const char *reason_phrase(int64_t status)
{
	static const struct {
		int code;
		const char *text;
	} t[] = {
		{ 100, "Trying" },
		{ 180, "Ringing" },
		{ 181, "Call Is Being Forwarded" },
		{ 182, "Queued" },
		{ 183, "Session Progress" },
		{ 200, "OK" },
		{ 202, "Accepted" },
		{ 301, "Moved Permanently" },
		{ 302, "Moved Temporarily" },
		{ 400, "Bad Request" },
		{ 401, "Unauthorized" },
		{ 403, "Forbidden" },
		{ 404, "Not Found" },
		{ 407, "Proxy Authentication Required" },
		{ 408, "Request Timeout" },
		{ 480, "Temporarily Unavailable" },
		{ 481, "Call/Transaction Does Not Exist" },
		{ 486, "Busy Here" },
		{ 487, "Request Terminated" },
		{ 488, "Not Acceptable Here" },
		{ 491, "Request Pending" },
		{ 500, "Server Internal Error" },
		{ 503, "Service Unavailable" },
		{ 600, "Busy Everywhere" },
		{ 603, "Decline" },
	};
	for (size_t i = 0; i < CT_ARRAY_SIZE(t); i++)
		if (t[i].code == status)
			return t[i].text;
	return "";
}

/* The arrow's label, raw: "INVITE 2000→0896407881", "180 Ringing", "delivered 2002 (alerting)". */
static void msg_label(struct ct_buf *b, const struct model *m, const json_t *j)
{
	const char *name = view_jstr(j, "name");
	if (streq(view_jstr(j, "src"), "sip")) {
		int64_t status;
		const char *method = view_jstr(j, "method");
		if (view_jint(j, "status", &status)) {
			const char *rp = reason_phrase(status);
			ct_buf_printf(b, "%lld%s%s", (long long)status, *rp ? " " : "", rp);
		} else {
			ct_buf_puts(b, method ? method : name);
		}
		if (streq(name, "invite") && !view_jint(j, "status", &status)) {
			const char *calling = view_jstr(j, "calling"), *called = view_jstr(j, "called");
			if (calling || called) {
				ct_buf_puts(b, " ");
				ct_buf_puts(b, calling ? calling : "?");
				ct_buf_puts(b, "\xE2\x86\x92"); /* → */
				ct_buf_puts(b, called ? called : "?");
			}
		} else if (streq(name, "hold") || streq(name, "resume") || streq(name, "reinvite") ||
			   streq(name, "retransmission")) {
			ct_buf_puts(b, " (");
			ct_buf_puts(b, name);
			ct_buf_puts(b, ")");
		} else if (streq(name, "refer") && view_jstr(j, "refer_to")) {
			ct_buf_puts(b, " \xE2\x86\x92 ");
			ct_buf_puts(b, view_jstr(j, "refer_to"));
		}
		if (json_is_true(json_object_get(j, "retransmission")))
			ct_buf_puts(b, " (retransmission)");
		return;
	}
	ct_buf_puts(b, name ? name : "?");
	const char *dev = view_jstr(j, "subject");
	if (!dev)
		dev = view_jstr(j, "device");
	if (!dev)
		dev = view_jstr(j, "monitor_device");
	if (dev) {
		ct_buf_puts(b, " ");
		ct_buf_puts(b, dev);
	}
	if (streq(name, "delivered") || streq(name, "originated") || streq(name, "offered")) {
		const char *calling = view_jstr(j, "calling"), *called = view_jstr(j, "called");
		if (calling && called) {
			ct_buf_puts(b, " ");
			ct_buf_puts(b, calling);
			ct_buf_puts(b, "\xE2\x86\x92");
			ct_buf_puts(b, called);
		}
	}
	const char *cause = view_jstr(j, "cause");
	if (cause && strcmp(cause, "normal") != 0 && strcmp(cause, "new_call") != 0) {
		ct_buf_puts(b, " (");
		ct_buf_puts(b, cause);
		ct_buf_puts(b, ")");
	}
	/* a call reported on several links (a redundant pair, a failover): which one said it */
	const char *link = view_jstr(j, "link");
	int li = link ? link_index(m, link) : -1;
	if (m->nlinks > 1 && li >= 0)
		ct_buf_printf(b, " [L%d]", li + 1);
}

/* The ids of a message: SIP Call-ID, or CSTA callID and link. Raw text. */
static void msg_ids(struct ct_buf *b, const json_t *j, bool for_title)
{
	if (streq(view_jstr(j, "src"), "sip")) {
		const char *cid = view_jstr(j, "call_id");
		ct_buf_puts(b, for_title ? "SIP Call-ID: " : "");
		ct_buf_puts(b, cid ? cid : "?");
		return;
	}
	const char *cid = view_jstr(j, "call_id"), *link = view_jstr(j, "link");
	ct_buf_puts(b, "CSTA call id: ");
	ct_buf_puts(b, cid ? cid : "(none)");
	if (view_jstr(j, "call_id2")) {
		ct_buf_puts(b, ", ");
		ct_buf_puts(b, view_jstr(j, "call_id2"));
	}
	if (link) {
		ct_buf_puts(b, for_title ? "\nCTI link: " : " on ");
		ct_buf_puts(b, link);
	}
}

/* "key=value; ..." of the fields a reader wants beside the name; raw text. */
static void msg_details(struct ct_buf *b, const json_t *j)
{
	static const char *const sip_keys[] = { "cseq", "transport", "from", "to", "uri", "pai", "diversion",
						"history_info", "referred_by", "refer_to", "replaces", "reason_header",
						"ucid", "uui", "user_agent" };
	static const char *const csta_keys[] = { "kind", "encoding", "invoke_id", "xref", "monitored", "device",
						 "subject", "calling", "called", "other", "device2", "state",
						 "cause", "correlator", "user_data", "global_call_id", "agent_id",
						 "agent_state", "error", "latency_us" };
	bool sip = streq(view_jstr(j, "src"), "sip");
	const char *const *keys = sip ? sip_keys : csta_keys;
	size_t nkeys = sip ? CT_ARRAY_SIZE(sip_keys) : CT_ARRAY_SIZE(csta_keys);
	bool first = true;
	for (size_t i = 0; i < nkeys; i++) {
		const json_t *v = json_object_get(j, keys[i]);
		if (!v || !(json_is_string(v) || json_is_integer(v)))
			continue;
		ct_buf_puts(b, first ? "" : "; ");
		first = false;
		ct_buf_puts(b, keys[i]);
		ct_buf_puts(b, "=");
		if (json_is_string(v))
			ct_buf_puts(b, json_string_value(v));
		else
			ct_buf_printf(b, "%lld", (long long)json_integer_value(v));
	}
	size_t i;
	const json_t *md;
	json_array_foreach(json_object_get(j, "media"), i, md) {
		int64_t port = 0;
		view_jint(md, "port", &port);
		const char *type = view_jstr(md, "type"), *ip = view_jstr(md, "ip"), *dir = view_jstr(md, "dir"),
			   *codec = view_jstr(md, "codec");
		ct_buf_puts(b, first ? "" : "; ");
		first = false;
		ct_buf_printf(b, "sdp=%s %s:%lld %s %s", type ? type : "?", ip ? ip : "?", (long long)port,
			      dir ? dir : "", codec ? codec : "");
		if (i == 7)
			break;
	}
}

static const char *stream_quality(const json_t *j, double *loss_pct, bool *has_mos, double *mos)
{
	int64_t packets = 0, lost = 0, jit = 0;
	view_jint(j, "packets", &packets);
	view_jint(j, "lost", &lost);
	view_jint(j, "jitter_max_us", &jit);
	if (lost < 0)
		lost = 0;
	*loss_pct = packets + lost > 0 ? 100.0 * (double)lost / (double)(packets + lost) : 0.0;
	const json_t *mj = json_object_get(j, "mos");
	*has_mos = json_is_number(mj);
	*mos = *has_mos ? json_number_value(mj) : 0.0;
	if (*loss_pct <= 1.0 && jit <= 30000 && (!*has_mos || *mos >= 4.0))
		return "q-good";
	if (*loss_pct <= 5.0 && jit <= 60000 && (!*has_mos || *mos >= 3.6))
		return "q-fair";
	return "q-bad";
}

/* "RTP PCMU · 343 pkts · lost 0 (0.0%) · jitter 0.127/0.184 ms · MOS 4.30", raw. */
static void stream_label(struct ct_buf *b, const json_t *j)
{
	double loss, mos;
	bool has_mos;
	stream_quality(j, &loss, &has_mos, &mos);
	int64_t packets = 0, lost = 0, jm = 0, jx = 0;
	view_jint(j, "packets", &packets);
	view_jint(j, "lost", &lost);
	view_jint(j, "jitter_mean_us", &jm);
	view_jint(j, "jitter_max_us", &jx);
	const char *codec = view_jstr(j, "codec");
	ct_buf_puts(b, "RTP ");
	ct_buf_puts(b, codec ? codec : "?");
	ct_buf_printf(b, " \xC2\xB7 %lld pkts \xC2\xB7 lost %lld (%.1f%%) \xC2\xB7 jitter %.1f ms", (long long)packets,
		      (long long)lost, loss, (double)jx / 1000.0);
	(void)jm;
	if (has_mos)
		ct_buf_printf(b, " \xC2\xB7 MOS %.2f", mos);
}

/* ---- building the model ---- */

static int prec_cmp(const void *a, const void *b)
{
	const struct prec *x = a, *y = b;
	if (x->r->ts != y->r->ts)
		return x->r->ts < y->r->ts ? -1 : 1;
	return x->r->seq < y->r->seq ? -1 : x->r->seq > y->r->seq;
}

static int row_cmp(const void *a, const void *b)
{
	const struct row *x = a, *y = b;
	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void mark_add(struct model *m, ct_time_t ts, const char *cls, struct ct_buf *tmp)
{
	if (m->nmarks == MAX_MARKS) {
		m->marks_cut++;
		return;
	}
	struct mark *k = &m->marks[m->nmarks++];
	k->ts = ts;
	k->cls = cls;
	view_copy(k->text, sizeof(k->text), tmp->p ? tmp->p : "");
}

static ct_time_t jtime(const json_t *o, const char *key, ct_time_t dflt)
{
	ct_time_t t;
	return view_parse_time(view_jstr(o, key), &t) ? t : dflt;
}

static void interval_add(struct interval *iv, unsigned *n, unsigned max, ct_time_t a, ct_time_t b, const char *who)
{
	if (*n == max)
		return;
	iv[*n].a = a;
	iv[*n].b = b < a ? a : b;
	view_copy(iv[*n].who, sizeof(iv[*n].who), who);
	(*n)++;
}

/* Holds from CSTA Held/Retrieved (per device; both links of a redundant pair report the same
 * hold: overlapping intervals are one), else from SIP hold/resume (per Call-ID). */
static void build_holds(struct model *m)
{
	for (int pass = 0; pass < 2 && m->nholds == 0; pass++) {
		const char *open_who[16];
		ct_time_t open_at[16];
		unsigned nopen = 0;
		for (unsigned i = 0; i < m->n; i++) {
			const json_t *j = m->recs[i].j;
			const char *src = view_jstr(j, "src"), *name = view_jstr(j, "name"), *who;
			bool start, stop;
			if (pass == 0) {
				if (!streq(src, "csta"))
					continue;
				/* a held call ends on hold when retrieved, cleared, or merged by the holder's
				 * transfer or conference */
				start = streq(name, "held");
				stop = streq(name, "retrieved") || streq(name, "connection_cleared") || streq(name, "transferred") ||
				       streq(name, "conferenced");
				who = view_jstr(j, "subject");
				if (!who)
					who = view_jstr(j, "device");
			} else {
				if (!streq(src, "sip"))
					continue;
				start = streq(name, "hold");
				stop = streq(name, "resume") || streq(name, "bye");
				who = view_jstr(j, "call_id");
			}
			if (!who || (!start && !stop))
				continue;
			unsigned k = 0;
			while (k < nopen && strcmp(open_who[k], who) != 0)
				k++;
			if (start && k == nopen && nopen < CT_ARRAY_SIZE(open_who)) {
				open_who[nopen] = who;
				open_at[nopen++] = m->recs[i].r->ts;
			} else if (stop && k < nopen) {
				interval_add(m->holds, &m->nholds, MAX_HOLDS, open_at[k], m->recs[i].r->ts, open_who[k]);
				open_who[k] = open_who[nopen - 1];
				open_at[k] = open_at[nopen - 1];
				nopen--;
			}
		}
		for (unsigned k = 0; k < nopen; k++)
			interval_add(m->holds, &m->nholds, MAX_HOLDS, open_at[k], m->t1, open_who[k]);
	}
	/* one span for overlapping holds (redundant links, or CSTA reporting both ends) */
	for (unsigned i = 1; i < m->nholds; i++)
		for (unsigned k = i; k > 0 && m->holds[k].a < m->holds[k - 1].a; k--) {
			struct interval t = m->holds[k];
			m->holds[k] = m->holds[k - 1];
			m->holds[k - 1] = t;
		}
	unsigned out = 0;
	for (unsigned i = 0; i < m->nholds; i++) {
		if (out && m->holds[i].a <= m->holds[out - 1].b) {
			if (m->holds[i].b > m->holds[out - 1].b)
				m->holds[out - 1].b = m->holds[i].b;
			continue;
		}
		m->holds[out++] = m->holds[i];
	}
	m->nholds = out;
}

static int rec_column(struct model *m, const char *dev)
{
	for (unsigned i = 0; i < m->nrec_dev; i++)
		if (streq(m->rec_dev[i], dev))
			return (int)i;
	if (m->nrec_dev == MAX_REC_DEVICES) {
		m->rec_dev_cut++;
		return -1;
	}
	m->rec_dev[m->nrec_dev] = dev;
	return (int)m->nrec_dev++;
}

/* Recording intervals: the call record's, else from the recording triggers. */
static void build_recording(struct model *m)
{
	size_t i, k;
	const json_t *d, *iv;
	json_array_foreach(json_object_get(m->call, "recording"), i, d) {
		const char *dev = view_jstr(d, "device");
		if (!dev)
			continue;
		int col = rec_column(m, dev);
		if (col < 0)
			continue;
		json_array_foreach(json_object_get(d, "intervals"), k, iv) {
			if (m->nrec_iv == MAX_HOLDS)
				break;
			m->recs_col[m->nrec_iv] = col;
			interval_add(m->recs_iv, &m->nrec_iv, MAX_HOLDS, jtime(iv, "start", m->t0), jtime(iv, "end", m->t1),
				     dev);
		}
	}
	if (m->call)
		return;
	const char *open_dev[MAX_REC_DEVICES];
	ct_time_t open_at[MAX_REC_DEVICES];
	bool open[MAX_REC_DEVICES] = { false };
	for (unsigned r = 0; r < m->n; r++) {
		if (m->recs[r].r->type != CT_REC_RECORDING)
			continue;
		const json_t *j = m->recs[r].j;
		const char *dev = view_jstr(j, "device"), *action = view_jstr(j, "action");
		if (!dev || !action)
			continue;
		int col = rec_column(m, dev);
		if (col < 0)
			continue;
		if ((streq(action, "start") || streq(action, "resume")) && !open[col]) {
			open[col] = true;
			open_dev[col] = dev;
			open_at[col] = m->recs[r].r->ts;
		} else if ((streq(action, "pause") || streq(action, "stop")) && open[col] && m->nrec_iv < MAX_HOLDS) {
			open[col] = false;
			m->recs_col[m->nrec_iv] = col;
			interval_add(m->recs_iv, &m->nrec_iv, MAX_HOLDS, open_at[col], m->recs[r].r->ts, dev);
		}
	}
	for (unsigned c = 0; c < m->nrec_dev; c++)
		if (open[c] && m->nrec_iv < MAX_HOLDS) {
			m->recs_col[m->nrec_iv] = (int)c;
			interval_add(m->recs_iv, &m->nrec_iv, MAX_HOLDS, open_at[c], m->t1, open_dev[c]);
		}
}

static void build_roles(struct model *m)
{
	/* contact-centre devices */
	size_t i;
	const json_t *p;
	json_array_foreach(json_object_get(m->call, "parties"), i, p) device_add(m, view_jstr(p, "device"));
	for (unsigned r = 0; r < m->n; r++) {
		const json_t *j = m->recs[r].j;
		if (streq(view_jstr(j, "src"), "csta"))
			device_add(m, view_jstr(j, "monitored"));
		if (m->recs[r].r->type == CT_REC_RECORDING)
			device_add(m, view_jstr(j, "device"));
	}
	/* hosts in order of appearance; CTI sides */
	for (unsigned r = 0; r < m->n; r++) {
		const json_t *j = m->recs[r].j;
		if (is_message(j)) {
			int f = host_of(m, view_jstr(j, "from_addr")), t = host_of(m, view_jstr(j, "to_addr"));
			if (!streq(view_jstr(j, "src"), "csta"))
				continue;
			const char *link = view_jstr(j, "link"), *dash = link ? strchr(link, '-') : NULL;
			if (link && link_index(m, link) < 0 && m->nlinks < MAX_LINKS) {
				m->link_enc[m->nlinks] = view_jstr(j, "encoding");
				m->links[m->nlinks++] = link;
			}
			if (dash) {
				char server[64], client[64];
				char tmp[128];
				size_t n = (size_t)(dash - link);
				if (n < sizeof(tmp)) {
					memcpy(tmp, link, n);
					tmp[n] = '\0';
					addr_host(server, sizeof(server), tmp);
					addr_host(client, sizeof(client), dash + 1);
					int s = host_find(m, server), c = host_find(m, client);
					if (s >= 0)
						m->hosts[s].cti_server = true;
					if (c >= 0)
						m->hosts[c].cti_client = true;
					continue;
				}
			}
			if (streq(view_jstr(j, "kind"), "event")) { /* uaCSTA or a link of another form */
				if (f >= 0)
					m->hosts[f].cti_server = true;
				if (t >= 0)
					m->hosts[t].cti_client = true;
			}
		} else if (is_stream(j)) {
			host_of(m, view_jstr(j, "src_ip"));
			host_of(m, view_jstr(j, "dst_ip"));
		}
	}
	/* the initial INVITEs: who sent which to whom, for whom */
	struct invite {
		int f, t, u;        /* hosts: sender, receiver, request-URI host (-1: none) */
		const char *calling, *called;
	} inv[MAX_INVITES];
	unsigned ninv = 0;
	for (unsigned r = 0; r < m->n && ninv < MAX_INVITES; r++) {
		const json_t *j = m->recs[r].j;
		int64_t st;
		if (!streq(view_jstr(j, "src"), "sip") || !streq(view_jstr(j, "name"), "invite") || view_jint(j, "status", &st))
			continue;
		char ip[64];
		struct invite *v = &inv[ninv];
		addr_host(ip, sizeof(ip), view_jstr(j, "from_addr"));
		v->f = host_find(m, ip);
		addr_host(ip, sizeof(ip), view_jstr(j, "to_addr"));
		v->t = host_find(m, ip);
		uri_host(ip, sizeof(ip), view_jstr(j, "uri"));
		v->u = ip[0] ? host_find(m, ip) : -1;
		v->calling = view_jstr(j, "calling");
		v->called = view_jstr(j, "called");
		if (v->f >= 0 && v->t >= 0 && v->f != v->t)
			ninv++;
	}
	/* the PBX: a B2BUA, which sends on an INVITE it got, for the same caller (as the correlator
	 * joins such legs); a phone that places a consultation call sends for another caller */
	bool have_pbx = false;
	for (unsigned a = 0; a < ninv; a++)
		for (unsigned b = a + 1; b < ninv; b++)
			if (inv[b].f == inv[a].t && streq(inv[a].calling, inv[b].calling)) {
				m->hosts[inv[a].t].role = R_PBX;
				have_pbx = true;
			}
	/* phones: where the PBX sends an INVITE for a contact-centre device (its request-URI host,
	 * the phone's Contact, else the packet's destination), and what sends the PBX an INVITE from
	 * such a device. Without a B2BUA in sight, the other end of a phone's INVITE is the PBX. */
	for (unsigned k = 0; k < ninv; k++) {
		struct invite *v = &inv[k];
		bool from_pbx = m->hosts[v->f].role == R_PBX, to_pbx = m->hosts[v->t].role == R_PBX;
		bool dev_called = is_device(m, v->called), dev_calling = is_device(m, v->calling);
		if (from_pbx && dev_called) {
			set_phone(m, v->u >= 0 && m->hosts[v->u].role != R_PBX ? v->u : v->t, v->called);
		} else if (to_pbx && dev_calling) {
			set_phone(m, v->f, v->calling);
		} else if (!have_pbx && dev_calling && m->hosts[v->t].role != R_PHONE) {
			set_phone(m, v->f, v->calling);
			m->hosts[v->t].pbx_hint = true;
		} else if (!have_pbx && dev_called && m->hosts[v->f].role != R_PHONE) {
			set_phone(m, v->u >= 0 && v->u != v->f ? v->u : v->t, v->called);
			m->hosts[v->f].pbx_hint = true;
		}
	}
	for (unsigned h = 0; h < m->nhosts; h++)
		if (m->hosts[h].role == R_NONE && m->hosts[h].pbx_hint)
			m->hosts[h].role = R_PBX;
	/* the carrier or SBC: the PBX's peer on an INVITE that is neither phone nor PBX */
	for (unsigned k = 0; k < ninv; k++) {
		struct host *f = &m->hosts[inv[k].f], *t = &m->hosts[inv[k].t];
		if (f->role == R_PBX && t->role == R_NONE && !t->cti_client)
			t->role = R_CARRIER;
		else if (t->role == R_PBX && f->role == R_NONE && !f->cti_client)
			f->role = R_CARRIER;
	}
	for (unsigned h = 0; h < m->nhosts; h++) {
		struct host *x = &m->hosts[h];
		if (x->role != R_NONE)
			continue;
		if (x->cti_server)
			x->role = R_PBX_CTI;
		else if (x->cti_client)
			x->role = R_CTI_CLIENT;
	}
	/* media and hosts: what nothing named yet */
	for (unsigned r = 0; r < m->n; r++) {
		const json_t *j = m->recs[r].j;
		if (!is_stream(j))
			continue;
		const char *ends[2] = { view_jstr(j, "src_ip"), view_jstr(j, "dst_ip") };
		for (int k = 0; k < 2; k++) {
			char ip[64];
			addr_host(ip, sizeof(ip), ends[k]);
			int h = host_find(m, ip);
			if (h >= 0 && m->hosts[h].role == R_NONE)
				m->hosts[h].role = R_MEDIA;
		}
	}
	for (unsigned h = 0; h < m->nhosts; h++)
		if (m->hosts[h].role == R_NONE)
			m->hosts[h].role = R_HOST;
}

static int host_order_cmp(const void *a, const void *b)
{
	const struct host *x = *(const struct host *const *)a, *y = *(const struct host *const *)b;
	if (x->role != y->role)
		return x->role < y->role ? -1 : 1;
	return x->first < y->first ? -1 : x->first > y->first;
}

static void build_lanes(struct model *m)
{
	struct host *order[MAX_HOSTS];
	for (unsigned h = 0; h < m->nhosts; h++)
		order[h] = &m->hosts[h];
	qsort(order, m->nhosts, sizeof(order[0]), host_order_cmp);
	bool other = m->hosts_full || m->nhosts > MAX_LANES;
	unsigned real = other ? MAX_LANES - 1 : m->nhosts;
	m->nlanes = 0;
	for (unsigned i = 0; i < m->nhosts; i++) {
		if (i < real) {
			order[i]->lane = (int)m->nlanes;
			m->lane_host[m->nlanes++] = (int)(order[i] - m->hosts);
		} else {
			order[i]->lane = -1;
			m->other_lane_hosts++;
		}
	}
	if (other || m->nlanes == 0)
		m->lane_host[m->nlanes++] = -1;
}

static int build_rows(struct model *m, struct ct_buf *tmp)
{
	/* marks: transfers, diversions, conference, audits */
	size_t i;
	const json_t *x;
	json_array_foreach(json_object_get(m->call, "transfers"), i, x) {
		ct_buf_reset(tmp);
		const char *from = view_jstr(x, "from"), *to = view_jstr(x, "to"), *kind = view_jstr(x, "kind");
		ct_buf_printf(tmp, "transfer %s \xE2\x86\x92 %s (%s)", from ? from : "?", to ? to : "?", kind ? kind : "?");
		mark_add(m, jtime(x, "ts", m->t1), "transfer", tmp);
	}
	json_array_foreach(json_object_get(m->call, "diversions"), i, x) {
		ct_buf_reset(tmp);
		const char *from = view_jstr(x, "from"), *to = view_jstr(x, "to");
		ct_buf_printf(tmp, "diversion %s \xE2\x86\x92 %s", from ? from : "?", to ? to : "?");
		mark_add(m, jtime(x, "ts", m->t1), "diversion", tmp);
	}
	const json_t *conf = json_object_get(m->call, "conference");
	if (json_is_object(conf)) {
		ct_time_t at = m->t1;
		for (unsigned r = 0; r < m->n; r++)
			if (streq(view_jstr(m->recs[r].j, "name"), "conferenced")) {
				at = m->recs[r].r->ts;
				break;
			}
		ct_buf_reset(tmp);
		ct_buf_puts(tmp, "conference:");
		json_array_foreach(json_object_get(conf, "parties"), i, x) {
			if (json_is_string(x) && i < 16) {
				ct_buf_puts(tmp, i ? ", " : " ");
				ct_buf_puts(tmp, json_string_value(x));
			}
		}
		mark_add(m, at, "conference", tmp);
	}
	for (unsigned r = 0; r < m->n; r++) {
		if (m->recs[r].r->type != CT_REC_AUDIT)
			continue;
		const json_t *j = m->recs[r].j;
		const char *kind = view_jstr(j, "kind"), *detail = view_jstr(j, "detail");
		ct_buf_reset(tmp);
		ct_buf_printf(tmp, "audit %s: %s", kind ? kind : "?", detail ? detail : "");
		mark_add(m, m->recs[r].r->ts, "audit", tmp);
	}
	if (tmp->err)
		return tmp->err;

	unsigned max_rows = m->cfg->max_messages + MAX_STREAMS + MAX_MARKS;
	m->rows = calloc(max_rows ? max_rows : 1, sizeof(*m->rows));
	if (!m->rows)
		return CT_ENOMEM;
	for (unsigned r = 0; r < m->n; r++) {
		const json_t *j = m->recs[r].j;
		if (is_message(j)) {
			m->msgs_total++;
			if (m->msgs_drawn == m->cfg->max_messages)
				continue;
			m->msgs_drawn++;
			m->rows[m->nrows++] = (struct row){ m->recs[r].r->ts, m->recs[r].r->seq, ROW_MSG, r, 0 };
		} else if (is_stream(j)) {
			m->streams_total++;
			if (m->streams_drawn == MAX_STREAMS)
				continue;
			m->streams_drawn++;
			m->rows[m->nrows++] = (struct row){ jtime(j, "first", m->recs[r].r->ts), m->recs[r].r->seq, ROW_RTP, r, 0 };
		}
	}
	for (unsigned k = 0; k < m->nmarks; k++)
		m->rows[m->nrows++] = (struct row){ m->marks[k].ts, k, ROW_MARK, k, 0 };
	qsort(m->rows, m->nrows, sizeof(*m->rows), row_cmp);
	for (unsigned k = 0; k < m->nrows; k++)
		m->rows[k].y = TOP + 22 + (int)k * ROW_H;
	return CT_OK;
}

/* The y of a time on the spans' axis: the top of the first row at or after it. */
static int y_of(const struct model *m, ct_time_t t)
{
	unsigned lo = 0, hi = m->nrows;
	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;
		if (m->rows[mid].ts < t)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == m->nrows)
		return m->nrows ? m->rows[m->nrows - 1].y + 8 : TOP + 10;
	return m->rows[lo].y - 15;
}

/* ---- drawing ---- */

static void svg_title(struct ct_buf *out, const char *raw)
{
	ct_buf_puts(out, "<title>");
	ct_buf_htmls(out, raw);
	ct_buf_puts(out, "</title>");
}

static void draw_span(struct ct_buf *out, const struct model *m, int col, const char *cls, ct_time_t a, ct_time_t b,
		      const char *title)
{
	int y0 = y_of(m, a), y1 = y_of(m, b);
	if (y1 < y0 + 3)
		y1 = y0 + 3;
	ct_buf_printf(out, "<rect class=\"span %s\" x=\"%d\" y=\"%d\" width=\"11\" height=\"%d\">", cls,
		      SPAN_X0 + col * SPAN_W, y0, y1 - y0);
	svg_title(out, title);
	ct_buf_puts(out, "</rect>\n");
}

static void span_title(struct ct_buf *tmp, const char *what, const char *who, ct_time_t a, ct_time_t b, ct_time_t t0)
{
	ct_buf_reset(tmp);
	ct_buf_puts(tmp, what);
	if (who && *who) {
		ct_buf_puts(tmp, " ");
		ct_buf_puts(tmp, who);
	}
	ct_buf_puts(tmp, ": ");
	put_rel(tmp, a, t0);
	ct_buf_puts(tmp, " s to ");
	put_rel(tmp, b, t0);
	ct_buf_printf(tmp, " s (%.3f s)", (double)(b - a) / 1e6);
}

static void draw_spans(struct ct_buf *out, const struct model *m, struct ct_buf *tmp)
{
	static const char *const heads[] = { "ring", "talk", "hold" };
	for (int c = 0; c < 3; c++)
		ct_buf_printf(out, "<text class=\"sh\" transform=\"rotate(-90 %d %d)\" x=\"%d\" y=\"%d\">%s</text>\n",
			      SPAN_X0 + c * SPAN_W + 9, TOP - 4, SPAN_X0 + c * SPAN_W + 9, TOP - 4, heads[c]);
	for (unsigned c = 0; c < m->nrec_dev; c++) {
		int x = SPAN_X0 + (3 + (int)c) * SPAN_W + 9;
		ct_buf_printf(out, "<text class=\"sh\" transform=\"rotate(-90 %d %d)\" x=\"%d\" y=\"%d\">rec ", x, TOP - 4, x,
			      TOP - 4);
		ct_buf_html_cut(out, m->rec_dev[c], 8);
		ct_buf_puts(out, "</text>\n");
	}
	ct_time_t ring_end = m->has_answer ? m->answer : m->t1;
	span_title(tmp, "ringing", NULL, m->t0, ring_end, m->t0);
	draw_span(out, m, 0, "ring", m->t0, ring_end, tmp->p);
	if (m->has_answer) {
		span_title(tmp, "talk", NULL, m->answer, m->t1, m->t0);
		draw_span(out, m, 1, "talk", m->answer, m->t1, tmp->p);
	}
	for (unsigned i = 0; i < m->nholds; i++) {
		span_title(tmp, "hold", m->holds[i].who, m->holds[i].a, m->holds[i].b, m->t0);
		draw_span(out, m, 2, "hold", m->holds[i].a, m->holds[i].b, tmp->p);
	}
	for (unsigned i = 0; i < m->nrec_iv; i++) {
		span_title(tmp, "recording", m->recs_iv[i].who, m->recs_iv[i].a, m->recs_iv[i].b, m->t0);
		draw_span(out, m, 3 + m->recs_col[i], "rec", m->recs_iv[i].a, m->recs_iv[i].b, tmp->p);
	}
}

static void draw_lanes(struct ct_buf *out, const struct model *m)
{
	char label[96];
	for (unsigned l = 0; l < m->nlanes; l++) {
		int x = lane_x(m, (int)l), h = m->lane_host[l];
		const struct host *hs = h >= 0 ? &m->hosts[h] : NULL;
		if (hs)
			host_label(hs, label, sizeof(label));
		else if (m->nhosts)
			snprintf(label, sizeof(label), "other hosts (%u)", m->other_lane_hosts);
		else
			snprintf(label, sizeof(label), "no message");
		ct_buf_printf(out, "<g class=\"lane\" data-role=\"%s\"><rect class=\"lh %s\" x=\"%d\" y=\"8\" width=\"164\" "
				   "height=\"44\" rx=\"5\"/>",
			      hs ? role_class(hs->role) : "r-host", hs ? role_class(hs->role) : "r-host", x - 82);
		ct_buf_printf(out, "<text class=\"ln\" x=\"%d\" y=\"26\" text-anchor=\"middle\">", x);
		ct_buf_html_cut(out, label, 24);
		ct_buf_printf(out, "</text><text class=\"lip\" x=\"%d\" y=\"43\" text-anchor=\"middle\">", x);
		ct_buf_html_cut(out, hs ? hs->ip : "", 28);
		ct_buf_printf(out, "</text><line class=\"ll\" x1=\"%d\" y1=\"52\" x2=\"%d\" y2=\"%d\"/></g>\n", x, x,
			      m->height - 6);
	}
}

static void arrow_head(struct ct_buf *out, int x, int y, bool right)
{
	int d = right ? -8 : 8;
	ct_buf_printf(out, "<polygon points=\"%d,%d %d,%d %d,%d\"/>", x, y, x + d, y - 4, x + d, y + 4);
}

static void draw_rows(struct ct_buf *out, const struct model *m, struct ct_buf *tmp)
{
	int x_first = lane_x(m, 0) - 82, x_last = lane_x(m, (int)m->nlanes - 1) + 82;
	/* RTP bands under everything else */
	for (unsigned k = 0; k < m->nrows; k++) {
		const struct row *rw = &m->rows[k];
		if (rw->kind != ROW_RTP)
			continue;
		const json_t *j = m->recs[rw->idx].j;
		char ip[64];
		addr_host(ip, sizeof(ip), view_jstr(j, "src_ip"));
		int a = lane_x(m, lane_of_host(m, host_find(m, ip)));
		addr_host(ip, sizeof(ip), view_jstr(j, "dst_ip"));
		int b = lane_x(m, lane_of_host(m, host_find(m, ip)));
		int lo = a < b ? a : b, hi = a < b ? b : a;
		lo = lo == hi ? lo - 10 : lo + 10;
		hi = lo + 20 > hi ? lo + 20 : hi - 10;
		int y1 = y_of(m, jtime(j, "last", rw->ts));
		if (y1 < rw->y + 4)
			y1 = rw->y + 4;
		double loss, mos;
		bool has_mos;
		const char *q = stream_quality(j, &loss, &has_mos, &mos);
		ct_buf_printf(out, "<rect class=\"rtp %s\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\">", q, lo, rw->y,
			      hi - lo, y1 - rw->y);
		ct_buf_reset(tmp);
		stream_label(tmp, j);
		svg_title(out, tmp->p);
		ct_buf_puts(out, "</rect>\n");
	}
	for (unsigned k = 0; k < m->nrows; k++) {
		const struct row *rw = &m->rows[k];
		int y = rw->y;
		ct_buf_printf(out, "<text class=\"tm\" x=\"4\" y=\"%d\">", y + 3);
		put_rel(out, rw->ts, m->t0);
		ct_buf_puts(out, "</text>\n");
		if (rw->kind == ROW_MARK) {
			const struct mark *mk = &m->marks[rw->idx];
			ct_buf_printf(out, "<g class=\"mk mk-%s\"><line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>", mk->cls,
				      x_first, y, x_last, y);
			svg_title(out, mk->text);
			ct_buf_printf(out, "<text x=\"%d\" y=\"%d\">", x_first + 4, y - 4);
			ct_buf_html_cut(out, mk->text, (size_t)(x_last - x_first) / 7);
			ct_buf_puts(out, "</text></g>\n");
			continue;
		}
		const json_t *j = m->recs[rw->idx].j;
		char ip[64];
		int a, b;
		if (rw->kind == ROW_RTP) {
			addr_host(ip, sizeof(ip), view_jstr(j, "src_ip"));
			a = lane_x(m, lane_of_host(m, host_find(m, ip)));
			addr_host(ip, sizeof(ip), view_jstr(j, "dst_ip"));
			b = lane_x(m, lane_of_host(m, host_find(m, ip)));
			double loss, mos;
			bool has_mos;
			const char *q = stream_quality(j, &loss, &has_mos, &mos);
			ct_buf_printf(out, "<g class=\"rtps %s\">", q);
			ct_buf_reset(tmp);
			stream_label(tmp, j);
			int64_t sp = 0, dp = 0;
			view_jint(j, "src_port", &sp);
			view_jint(j, "dst_port", &dp);
			const char *si = view_jstr(j, "src_ip"), *di = view_jstr(j, "dst_ip"), *codec = view_jstr(j, "codec");
			ct_buf_printf(tmp, "\n%s:%lld \xE2\x86\x92 %s:%lld codec %s", si ? si : "?", (long long)sp, di ? di : "?",
				      (long long)dp, codec ? codec : "?");
			svg_title(out, tmp->p);
		} else {
			addr_host(ip, sizeof(ip), view_jstr(j, "from_addr"));
			a = lane_x(m, lane_of_host(m, host_find(m, ip)));
			addr_host(ip, sizeof(ip), view_jstr(j, "to_addr"));
			b = lane_x(m, lane_of_host(m, host_find(m, ip)));
			bool sip = streq(view_jstr(j, "src"), "sip");
			ct_buf_printf(out, "<a href=\"#m%u\"><g class=\"msg %s\" id=\"a%u\">", rw->idx, sip ? "sip" : "csta",
				      rw->idx);
			ct_buf_reset(tmp);
			put_hms(tmp, view_jstr(j, "ts"));
			ct_buf_puts(tmp, " (");
			put_rel(tmp, rw->ts, m->t0);
			ct_buf_puts(tmp, " s)\n");
			ct_buf_puts(tmp, sip ? "SIP " : "CSTA ");
			msg_label(tmp, m, j);
			ct_buf_puts(tmp, "\n");
			const char *fa = view_jstr(j, "from_addr"), *ta = view_jstr(j, "to_addr");
			ct_buf_puts(tmp, fa ? fa : "?");
			ct_buf_puts(tmp, " \xE2\x86\x92 ");
			ct_buf_puts(tmp, ta ? ta : "?");
			ct_buf_puts(tmp, "\n");
			msg_ids(tmp, j, true);
			/* the text went through ct_buf_puts raw: it is escaped once, here */
			svg_title(out, tmp->p);
		}
		ct_buf_reset(tmp);
		if (rw->kind == ROW_RTP)
			stream_label(tmp, j);
		else
			msg_label(tmp, m, j);
		int lx;
		size_t room;
		if (a == b) {
			ct_buf_printf(out, "<path d=\"M%d %d h26 v9 h-24\"/>", a, y - 5);
			arrow_head(out, a + 2, y + 4, false);
			lx = a + 30;
			room = 24;
			ct_buf_printf(out, "<text class=\"lb\" x=\"%d\" y=\"%d\">", lx, y + 2);
		} else if (rw->kind == ROW_RTP) {
			/* a stream has its row to itself: its label may run on past its lanes */
			ct_buf_printf(out, "<line class=\"rtpl\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>", a, y, b, y);
			arrow_head(out, b, y, b > a);
			lx = (a < b ? a : b) + 12;
			room = (size_t)(m->width - lx) / 6;
			ct_buf_printf(out, "<text class=\"lb\" x=\"%d\" y=\"%d\">", lx, y - 4);
		} else {
			ct_buf_printf(out, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>", a, y, b, y);
			arrow_head(out, b, y, b > a);
			lx = (a + b) / 2;
			room = (size_t)((a < b ? b - a : a - b) / 6);
			if (room < 40) /* one arrow a row: a label may overhang its lanes a little */
				room = 40;
			ct_buf_printf(out, "<text class=\"lb\" x=\"%d\" y=\"%d\" text-anchor=\"middle\">", lx, y - 4);
		}
		ct_buf_html_cut(out, tmp->p ? tmp->p : "", room);
		ct_buf_puts(out, rw->kind == ROW_RTP ? "</text></g>\n" : "</text></g></a>\n");
	}
}

static void draw_svg(struct ct_buf *out, struct model *m, struct ct_buf *tmp)
{
	int ncols = 3 + (int)m->nrec_dev;
	m->lanes_x0 = SPAN_X0 + ncols * SPAN_W + 96;
	m->width = lane_x(m, (int)m->nlanes - 1) + 100;
	if (m->width < 640)
		m->width = 640;
	m->height = (m->nrows ? m->rows[m->nrows - 1].y : TOP) + 26;
	ct_buf_printf(out, "<div class=\"ladder\"><svg xmlns=\"http://www.w3.org/2000/svg\" id=\"ladder\" width=\"%d\" "
			   "height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"ladder diagram\">\n",
		      m->width, m->height, m->width, m->height);
	draw_spans(out, m, tmp);
	draw_lanes(out, m);
	draw_rows(out, m, tmp);
	ct_buf_puts(out, "</svg></div>\n");
}

/* ---- the tables ---- */

static void td_text(struct ct_buf *out, const char *s, const char *cls)
{
	ct_buf_puts(out, cls ? "<td class=\"" : "<td>");
	if (cls) {
		ct_buf_puts(out, cls);
		ct_buf_puts(out, "\">");
	}
	ct_buf_htmls(out, s ? s : "");
	ct_buf_puts(out, "</td>");
}

static void td_host(struct ct_buf *out, const struct model *m, const char *addr)
{
	char ip[64], label[96];
	addr_host(ip, sizeof(ip), addr);
	int h = host_find(m, ip);
	ct_buf_puts(out, "<td>");
	if (h >= 0) {
		host_label(&m->hosts[h], label, sizeof(label));
		ct_buf_htmls(out, label);
		ct_buf_puts(out, "<br>");
	}
	ct_buf_puts(out, "<span class=\"mono\">");
	ct_buf_htmls(out, addr ? addr : "?");
	ct_buf_puts(out, "</span></td>");
}

static void table_messages(struct ct_buf *out, const struct model *m, struct ct_buf *tmp)
{
	ct_buf_puts(out, "<h2 id=\"messages\">Messages</h2>\n<table id=\"msgs\"><thead><tr><th>#</th><th>time</th><th>+s</th>"
			 "<th>from</th><th>to</th><th>message</th><th>SIP Call-ID / CSTA call id</th><th>details</th>"
			 "</tr></thead>\n<tbody>\n");
	unsigned shown = 0;
	for (unsigned k = 0; k < m->nrows; k++) {
		const struct row *rw = &m->rows[k];
		if (rw->kind != ROW_MSG)
			continue;
		const json_t *j = m->recs[rw->idx].j;
		bool sip = streq(view_jstr(j, "src"), "sip");
		ct_buf_printf(out, "<tr id=\"m%u\" class=\"%s\"><td class=\"n\"><a href=\"#a%u\">%u</a></td><td class=\"t\">",
			      rw->idx, sip ? "sip" : "csta", rw->idx, ++shown);
		put_hms(out, view_jstr(j, "ts"));
		ct_buf_puts(out, "</td><td class=\"n\">");
		put_rel(out, rw->ts, m->t0);
		ct_buf_puts(out, "</td>");
		td_host(out, m, view_jstr(j, "from_addr"));
		td_host(out, m, view_jstr(j, "to_addr"));
		ct_buf_reset(tmp);
		ct_buf_puts(tmp, sip ? "SIP " : "CSTA ");
		msg_label(tmp, m, j);
		td_text(out, tmp->p, NULL);
		ct_buf_reset(tmp);
		msg_ids(tmp, j, false);
		td_text(out, tmp->p, "mono");
		ct_buf_reset(tmp);
		msg_details(tmp, j);
		td_text(out, tmp->p, "mono");
		ct_buf_puts(out, "</tr>\n");
	}
	ct_buf_puts(out, "</tbody></table>\n");
}

static void table_streams(struct ct_buf *out, const struct model *m)
{
	if (!m->streams_total)
		return;
	ct_buf_puts(out, "<h2 id=\"rtp\">RTP streams</h2>\n<table id=\"streams\"><thead><tr><th>from</th><th>to</th>"
			 "<th>codec</th><th>SSRC</th><th>first</th><th>last</th><th>packets</th><th>lost</th>"
			 "<th>jitter mean / max</th><th>MOS</th></tr></thead>\n<tbody>\n");
	for (unsigned k = 0; k < m->nrows; k++) {
		if (m->rows[k].kind != ROW_RTP)
			continue;
		const json_t *j = m->recs[m->rows[k].idx].j;
		double loss, mos;
		bool has_mos;
		const char *q = stream_quality(j, &loss, &has_mos, &mos);
		int64_t sp = 0, dp = 0, packets = 0, lost = 0, jm = 0, jx = 0;
		view_jint(j, "src_port", &sp);
		view_jint(j, "dst_port", &dp);
		view_jint(j, "packets", &packets);
		view_jint(j, "lost", &lost);
		view_jint(j, "jitter_mean_us", &jm);
		view_jint(j, "jitter_max_us", &jx);
		ct_buf_printf(out, "<tr class=\"%s\"><td class=\"mono\">", q);
		ct_buf_htmls(out, view_jstr(j, "src_ip"));
		ct_buf_printf(out, ":%lld</td><td class=\"mono\">", (long long)sp);
		ct_buf_htmls(out, view_jstr(j, "dst_ip"));
		ct_buf_printf(out, ":%lld</td>", (long long)dp);
		td_text(out, view_jstr(j, "codec"), NULL);
		td_text(out, view_jstr(j, "ssrc"), "mono");
		ct_buf_puts(out, "<td class=\"t\">");
		put_hms(out, view_jstr(j, "first"));
		ct_buf_puts(out, "</td><td class=\"t\">");
		put_hms(out, view_jstr(j, "last"));
		ct_buf_printf(out, "</td><td class=\"n\">%lld</td><td class=\"n\">%lld (%.1f%%)</td>"
				   "<td class=\"n\">%.3f / %.3f ms</td><td class=\"n\">",
			      (long long)packets, (long long)lost, loss, (double)jm / 1000.0, (double)jx / 1000.0);
		if (has_mos)
			ct_buf_printf(out, "%.2f", mos);
		else
			ct_buf_puts(out, "\xE2\x80\x94");
		ct_buf_puts(out, "</td></tr>\n");
	}
	ct_buf_puts(out, "</tbody></table>\n");
	if (m->streams_total > m->streams_drawn)
		ct_buf_printf(out, "<p class=\"note\">%u more RTP streams are not drawn (at most %d per call).</p>\n",
			      m->streams_total - m->streams_drawn, MAX_STREAMS);
}

static void put_time_cell(struct ct_buf *out, const json_t *o, const char *key)
{
	ct_buf_puts(out, "<td class=\"t\">");
	put_hms(out, view_jstr(o, key));
	ct_buf_puts(out, "</td>");
}

static void table_parties(struct ct_buf *out, const struct model *m)
{
	const json_t *parties = json_object_get(m->call, "parties");
	const json_t *transfers = json_object_get(m->call, "transfers"), *div = json_object_get(m->call, "diversions");
	const json_t *conf = json_object_get(m->call, "conference");
	if (!json_array_size(parties) && !json_array_size(transfers) && !json_array_size(div) && !json_is_object(conf))
		return;
	ct_buf_puts(out, "<h2 id=\"parties\">Parties</h2>\n");
	size_t i;
	const json_t *p;
	if (json_array_size(parties)) {
		ct_buf_puts(out, "<table id=\"party-table\"><thead><tr><th>device</th><th>agent</th><th>alerted</th>"
				 "<th>answered</th><th>released</th></tr></thead><tbody>\n");
		json_array_foreach(parties, i, p) {
			if (i == MAX_TABLE_ROWS)
				break;
			ct_buf_puts(out, "<tr>");
			td_text(out, view_jstr(p, "device"), "mono");
			td_text(out, view_jstr(p, "agent_id"), "mono");
			put_time_cell(out, p, "alerted");
			put_time_cell(out, p, "answered");
			put_time_cell(out, p, "released");
			ct_buf_puts(out, "</tr>\n");
		}
		ct_buf_puts(out, "</tbody></table>\n");
	}
	if (json_array_size(transfers) || json_array_size(div)) {
		ct_buf_puts(out, "<table id=\"transfers\"><thead><tr><th>at</th><th>what</th><th>from</th><th>to</th>"
				 "</tr></thead><tbody>\n");
		const json_t *lists[2] = { transfers, div };
		for (int l = 0; l < 2; l++) {
			json_array_foreach(lists[l], i, p) {
				if (i == MAX_TABLE_ROWS)
					break;
				ct_buf_puts(out, "<tr>");
				put_time_cell(out, p, "ts");
				ct_buf_puts(out, l ? "<td>diversion " : "<td>transfer ");
				ct_buf_htmls(out, view_jstr(p, "kind"));
				ct_buf_puts(out, "</td>");
				td_text(out, view_jstr(p, "from"), "mono");
				td_text(out, view_jstr(p, "to"), "mono");
				ct_buf_puts(out, "</tr>\n");
			}
		}
		ct_buf_puts(out, "</tbody></table>\n");
	}
	if (json_is_object(conf)) {
		ct_buf_puts(out, "<p>Conference of ");
		json_array_foreach(json_object_get(conf, "parties"), i, p) {
			if (i == MAX_TABLE_ROWS)
				break;
			ct_buf_puts(out, i ? ", <code>" : "<code>");
			ct_buf_htmls(out, json_string_value(p));
			ct_buf_puts(out, "</code>");
		}
		ct_buf_puts(out, ".</p>\n");
	}
}

/* A link to a file the recorder names relative to record.dir: files_base and the path, each
 * byte outside [A-Za-z0-9._~/-] percent-encoded. Absolute paths, "..", backslashes and control
 * characters are refused (the text is shown, not linked). */
static bool file_link(struct ct_buf *out, const char *base, const char *file)
{
	if (!file || !*file || file[0] == '/' || strstr(file, "..") || strchr(file, '\\') || strchr(file, ':'))
		return false;
	for (const unsigned char *u = (const unsigned char *)file; *u; u++)
		if (*u < 0x20 || *u == 0x7F)
			return false;
	ct_buf_puts(out, "<a href=\"");
	ct_buf_htmls(out, base);
	static const char hex[] = "0123456789ABCDEF";
	for (const unsigned char *u = (const unsigned char *)file; *u; u++) {
		unsigned c = *u;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '_' || c == '~' || c == '/') {
			char ch = (char)c;
			ct_buf_put(out, &ch, 1);
		} else {
			char e[3] = { '%', hex[c >> 4], hex[c & 15] };
			ct_buf_put(out, e, 3);
		}
	}
	ct_buf_puts(out, "\">");
	ct_buf_htmls(out, file);
	ct_buf_puts(out, "</a>");
	return true;
}

static void file_cell(struct ct_buf *out, const struct model *m, const char *file)
{
	ct_buf_puts(out, "<td class=\"mono\">");
	if (file && !file_link(out, m->cfg->files_base, file)) {
		ct_buf_htmls(out, file);
		ct_buf_puts(out, " (not linked: not a relative path)");
	}
	ct_buf_puts(out, "</td>");
}

static void table_recordings(struct ct_buf *out, const struct model *m)
{
	bool any = m->nrec_iv > 0;
	for (unsigned r = 0; r < m->n && !any; r++)
		any = m->recs[r].r->type == CT_REC_RECORDING || view_jstr(m->recs[r].j, "pcap");
	if (!any)
		return;
	ct_buf_puts(out, "<h2 id=\"recording\">Recording</h2>\n");
	if (m->nrec_iv) {
		ct_buf_puts(out, "<table id=\"rec-intervals\"><thead><tr><th>device</th><th>from</th><th>to</th>"
				 "<th>seconds</th></tr></thead><tbody>\n");
		for (unsigned i = 0; i < m->nrec_iv; i++) {
			ct_buf_puts(out, "<tr>");
			td_text(out, m->recs_iv[i].who, "mono");
			ct_buf_puts(out, "<td class=\"n\">");
			put_rel(out, m->recs_iv[i].a, m->t0);
			ct_buf_puts(out, "</td><td class=\"n\">");
			put_rel(out, m->recs_iv[i].b, m->t0);
			ct_buf_printf(out, "</td><td class=\"n\">%.3f</td></tr>\n", (double)(m->recs_iv[i].b - m->recs_iv[i].a) / 1e6);
		}
		ct_buf_puts(out, "</tbody></table>\n");
	}
	ct_buf_puts(out, "<table id=\"rec-triggers\"><thead><tr><th>time</th><th>action</th><th>device</th>"
			 "<th>reason</th><th>file</th><th>SHA-256</th><th>pcap</th></tr></thead><tbody>\n");
	unsigned shown = 0;
	for (unsigned r = 0; r < m->n && shown < MAX_TABLE_ROWS; r++) {
		const json_t *j = m->recs[r].j;
		if (m->recs[r].r->type != CT_REC_RECORDING && !view_jstr(j, "pcap"))
			continue;
		shown++;
		ct_buf_puts(out, "<tr>");
		put_time_cell(out, j, "ts");
		td_text(out, m->recs[r].r->type == CT_REC_RECORDING ? view_jstr(j, "action") : view_jstr(j, "type"), NULL);
		td_text(out, view_jstr(j, "device"), "mono");
		td_text(out, view_jstr(j, "reason"), NULL);
		file_cell(out, m, view_jstr(j, "file"));
		td_text(out, view_jstr(j, "sha256"), "mono");
		file_cell(out, m, view_jstr(j, "pcap"));
		ct_buf_puts(out, "</tr>\n");
	}
	ct_buf_puts(out, "</tbody></table>\n");
	if (m->rec_dev_cut)
		ct_buf_printf(out, "<p class=\"note\">Recording of more than %d devices: only %d have a column in the "
				   "diagram.</p>\n",
			      MAX_REC_DEVICES, MAX_REC_DEVICES);
}

static void table_audits(struct ct_buf *out, const struct model *m)
{
	size_t i;
	const json_t *a;
	unsigned n = 0;
	for (unsigned r = 0; r < m->n; r++)
		n += m->recs[r].r->type == CT_REC_AUDIT;
	if (!n && !json_array_size(json_object_get(m->call, "audit")))
		return;
	ct_buf_puts(out, "<h2 id=\"audits\">Audits</h2>\n<table id=\"audit-table\"><thead><tr><th>time</th><th>kind</th>"
			 "<th>detail</th><th>link</th><th>count</th></tr></thead><tbody>\n");
	unsigned shown = 0;
	for (unsigned r = 0; r < m->n && shown < MAX_TABLE_ROWS; r++) {
		const json_t *j = m->recs[r].j;
		if (m->recs[r].r->type != CT_REC_AUDIT)
			continue;
		shown++;
		ct_buf_puts(out, "<tr class=\"audit\">");
		put_time_cell(out, j, "ts");
		td_text(out, view_jstr(j, "kind"), NULL);
		td_text(out, view_jstr(j, "detail"), NULL);
		td_text(out, view_jstr(j, "link"), "mono");
		int64_t c;
		if (view_jint(j, "count", &c))
			ct_buf_printf(out, "<td class=\"n\">%lld</td>", (long long)c);
		else
			ct_buf_puts(out, "<td></td>");
		ct_buf_puts(out, "</tr>\n");
	}
	/* the call record's own list, for findings with no audit record of their own here */
	json_array_foreach(json_object_get(m->call, "audit"), i, a) {
		if (shown == MAX_TABLE_ROWS || i == MAX_TABLE_ROWS)
			break;
		const char *kind = view_jstr(a, "kind"), *detail = view_jstr(a, "detail");
		bool seen = false;
		for (unsigned r = 0; r < m->n && !seen; r++)
			seen = m->recs[r].r->type == CT_REC_AUDIT && streq(view_jstr(m->recs[r].j, "kind"), kind) &&
			       streq(view_jstr(m->recs[r].j, "detail"), detail);
		if (seen)
			continue;
		shown++;
		ct_buf_puts(out, "<tr class=\"audit\"><td>(call record)</td>");
		td_text(out, kind, NULL);
		td_text(out, detail, NULL);
		ct_buf_puts(out, "<td></td><td></td></tr>\n");
	}
	ct_buf_puts(out, "</tbody></table>\n");
}

static void table_dialogs(struct ct_buf *out, const struct model *m)
{
	unsigned n = 0;
	for (unsigned r = 0; r < m->n; r++) {
		const json_t *j = m->recs[r].j;
		if (!streq(view_jstr(j, "src"), "sip") || !streq(view_jstr(j, "name"), "dialog_end") || n == MAX_TABLE_ROWS)
			continue;
		if (!n++)
			ct_buf_puts(out, "<h2 id=\"dialogs\">SIP dialogs</h2>\n<table id=\"dialog-table\"><thead><tr>"
					 "<th>Call-ID</th><th>disposition</th><th>status</th><th>start</th><th>answer</th>"
					 "<th>end</th><th>messages</th><th>retransmissions</th><th>ended by</th></tr></thead><tbody>\n");
		int64_t v;
		ct_buf_puts(out, "<tr>");
		td_text(out, view_jstr(j, "call_id"), "mono");
		td_text(out, view_jstr(j, "disposition"), NULL);
		if (view_jint(j, "status", &v))
			ct_buf_printf(out, "<td class=\"n\">%lld</td>", (long long)v);
		else
			ct_buf_puts(out, "<td></td>");
		put_time_cell(out, j, "start");
		put_time_cell(out, j, "answer");
		put_time_cell(out, j, "end");
		if (view_jint(j, "messages", &v))
			ct_buf_printf(out, "<td class=\"n\">%lld</td>", (long long)v);
		else
			ct_buf_puts(out, "<td></td>");
		if (view_jint(j, "retransmissions", &v))
			ct_buf_printf(out, "<td class=\"n\">%lld</td>", (long long)v);
		else
			ct_buf_puts(out, "<td></td>");
		td_text(out, view_jstr(j, "reason"), NULL);
		ct_buf_puts(out, "</tr>\n");
	}
	if (n)
		ct_buf_puts(out, "</tbody></table>\n");
}

/* ---- the page ---- */

static const char *method_meaning(const char *method)
{
	static const struct {
		const char *name, *text;
	} t[] = {
		{ "shared_id", "an id both sides carry (UCID in SIP User-to-User and CSTA correlatorData, a "
			       "globalCallLinkageID, a SIP Replaces)" },
		{ "device_time", "the same device in SIP and in CSTA within the time window" },
		{ "number_time", "the same numbers in SIP and in CSTA within the time window" },
		{ "sip_only", "SIP only: no CSTA call was found for it" },
		{ "csta_only", "CSTA only: no SIP dialog was found for it" },
	};
	for (size_t i = 0; i < CT_ARRAY_SIZE(t); i++)
		if (streq(method, t[i].name))
			return t[i].text;
	return NULL;
}

static void dd(struct ct_buf *out, const char *term, const char *text)
{
	ct_buf_puts(out, "<dt>");
	ct_buf_puts(out, term);
	ct_buf_puts(out, "</dt><dd>");
	ct_buf_htmls(out, text ? text : "\xE2\x80\x94");
	ct_buf_puts(out, "</dd>");
}

static void summary(struct ct_buf *out, const struct model *m)
{
	const json_t *c = m->call;
	ct_buf_puts(out, "<dl class=\"sum\" id=\"summary\">");
	ct_buf_puts(out, "<dt>start</dt><dd>");
	ct_buf_htmls(out, c ? view_jstr(c, "start") : NULL);
	ct_buf_puts(out, "</dd>");
	dd(out, "answer", view_jstr(c, "answer"));
	dd(out, "end", view_jstr(c, "end"));
	dd(out, "direction", view_jstr(c, "direction"));
	dd(out, "calling", view_jstr(c, "calling"));
	dd(out, "called", view_jstr(c, "called"));
	ct_buf_puts(out, "<dt>disposition</dt><dd>");
	ct_buf_htmls(out, view_jstr(c, "disposition") ? view_jstr(c, "disposition") : (c ? "\xE2\x80\x94" : "no call record"));
	ct_buf_puts(out, "</dd><dt>ring</dt><dd>");
	put_ms(out, c, "ring_ms");
	ct_buf_puts(out, "</dd><dt>talk</dt><dd>");
	put_ms(out, c, "talk_ms");
	ct_buf_puts(out, "</dd><dt>hold</dt><dd>");
	put_ms(out, c, "hold_ms");
	int64_t holds;
	if (view_jint(c, "holds", &holds))
		ct_buf_printf(out, " (%lld hold%s)", (long long)holds, holds == 1 ? "" : "s");
	ct_buf_puts(out, "</dd><dt>queue</dt><dd>");
	put_ms(out, c, "queue_ms");
	ct_buf_puts(out, "</dd><dt>route</dt><dd>");
	put_ms(out, c, "route_ms");
	ct_buf_puts(out, "</dd><dt>CTI lag</dt><dd>");
	put_ms(out, c, "cti_lag_ms");
	ct_buf_puts(out, "</dd>");
	dd(out, "released by", view_jstr(c, "released_by"));
	dd(out, "cause", view_jstr(c, "cause"));
	dd(out, "sensor", view_jstr(c, "sensor"));
	ct_buf_puts(out, "</dl>\n");
}

static void correlation(struct ct_buf *out, const struct model *m)
{
	const json_t *corr = json_object_get(m->call, "correlation");
	ct_buf_puts(out, "<h2 id=\"correlation\">Correlation</h2>\n");
	if (!json_is_object(corr)) {
		ct_buf_puts(out, "<p>No call record: the correlation is not known (the call is in progress, or its record is "
				 "in a file not read).</p>\n");
	} else {
		const char *method = view_jstr(corr, "method"), *meaning = method_meaning(method);
		ct_buf_puts(out, "<p>Joined by <b>");
		ct_buf_htmls(out, method ? method : "?");
		ct_buf_puts(out, "</b>");
		if (meaning) {
			ct_buf_puts(out, ": ");
			ct_buf_puts(out, meaning);
		}
		ct_buf_puts(out, ".</p>\n<p class=\"evidence\" id=\"evidence\">");
		ct_buf_htmls(out, view_jstr(corr, "evidence") ? view_jstr(corr, "evidence") : "(no evidence given)");
		if (json_is_true(json_object_get(corr, "evidence_truncated")))
			ct_buf_puts(out, " <i>(cut by ctitap at its length cap)</i>");
		ct_buf_puts(out, "</p>\n");
	}
	size_t i;
	const json_t *x;
	const json_t *csta = json_object_get(m->call, "csta"), *sip = json_object_get(m->call, "sip"),
		     *merged = json_object_get(m->call, "merged");
	if (!json_array_size(csta) && !json_array_size(sip) && !json_array_size(merged))
		return;
	ct_buf_puts(out, "<table id=\"legs\"><thead><tr><th>leg</th><th>id</th><th>where</th></tr></thead><tbody>\n");
	json_array_foreach(csta, i, x) {
		if (i == MAX_TABLE_ROWS)
			break;
		ct_buf_puts(out, "<tr><td>CSTA call</td>");
		td_text(out, view_jstr(x, "call_id"), "mono");
		td_text(out, view_jstr(x, "link"), "mono");
		ct_buf_puts(out, "</tr>\n");
	}
	json_array_foreach(sip, i, x) {
		if (i == MAX_TABLE_ROWS)
			break;
		ct_buf_puts(out, "<tr><td>SIP dialog</td>");
		td_text(out, json_string_value(x), "mono");
		ct_buf_puts(out, "<td></td></tr>\n");
	}
	json_array_foreach(merged, i, x) {
		if (i == MAX_TABLE_ROWS)
			break;
		ct_buf_puts(out, "<tr><td>merged call</td>");
		td_text(out, json_string_value(x), "mono");
		ct_buf_puts(out, "<td>its records are drawn here</td></tr>\n");
	}
	ct_buf_puts(out, "</tbody></table>\n");
}

static void legend(struct ct_buf *out, const struct model *m)
{
	if (m->nlinks > 1) {
		ct_buf_puts(out, "<p class=\"legend\" id=\"links\">CTI links:");
		for (unsigned i = 0; i < m->nlinks; i++) {
			ct_buf_printf(out, " <span><b>L%u</b> <code>", i + 1);
			ct_buf_htmls(out, m->links[i]);
			ct_buf_puts(out, "</code>");
			if (m->link_enc[i]) {
				ct_buf_puts(out, " (");
				ct_buf_htmls(out, m->link_enc[i]);
				ct_buf_puts(out, ")");
			}
			ct_buf_puts(out, "</span>");
		}
		ct_buf_puts(out, "</p>\n");
	}
	ct_buf_puts(out, "<p class=\"legend\"><span><i class=\"sw sip\"></i>SIP</span><span><i class=\"sw csta\"></i>CSTA</span>"
			 "<span><i class=\"sw rtp\"></i>RTP stream (green, amber, red by loss, jitter and MOS)</span>"
			 "<span><i class=\"sw ring\"></i>ringing</span><span><i class=\"sw talk\"></i>talk</span>"
			 "<span><i class=\"sw hold\"></i>hold</span><span><i class=\"sw rec\"></i>recording</span>"
			 "<span>rows in time order, not to scale; hover an arrow for its ids, click it for its row</span></p>\n");
}

static void notes(struct ct_buf *out, const struct model *m)
{
	if (!m->call)
		ct_buf_puts(out, "<p class=\"note\">No call record yet: the call is in progress, or its record was not "
				 "among the files read. What its events say is drawn.</p>\n");
	if (m->msgs_total > m->msgs_drawn)
		ct_buf_printf(out, "<p class=\"note\" id=\"cut-messages\">%u of %u messages are drawn (view.max_messages); "
				   "the %u later ones are not.</p>\n",
			      m->msgs_drawn, m->msgs_total, m->msgs_total - m->msgs_drawn);
	if (m->other_lane_hosts)
		ct_buf_printf(out, "<p class=\"note\" id=\"cut-lanes\">%u hosts share the last lane (at most %d lanes).</p>\n",
			      m->other_lane_hosts, MAX_LANES);
	if (m->hosts_full)
		ct_buf_printf(out, "<p class=\"note\">More than %d hosts: the others are in the last lane.</p>\n", MAX_HOSTS);
	if (m->marks_cut)
		ct_buf_printf(out, "<p class=\"note\">%u more marks (transfers, audits) are not drawn.</p>\n", m->marks_cut);
	if (m->e->dropped)
		ct_buf_printf(out, "<p class=\"note\" id=\"cut-records\">%u records of this call were not kept by the view "
				   "(its share of http.view_mb, or %d records).</p>\n",
			      m->e->dropped, VIEW_CALL_RECORDS);
}

static void model_free(struct model *m)
{
	for (unsigned i = 0; i < m->n; i++)
		json_decref(m->recs[i].j);
	free(m->recs);
	free(m->rows);
}

int view_call_page(struct ct_buf *out, const struct ct_view_cfg *cfg, const struct ventry *e)
{
	struct model *m = calloc(1, sizeof(*m));
	struct ct_buf tmp;
	ct_buf_init(&tmp);
	tmp.max = 1u << 20;
	if (!m)
		return CT_ENOMEM;
	m->cfg = cfg;
	m->e = e;
	m->recs = calloc(e->n ? e->n : 1, sizeof(*m->recs));
	if (!m->recs) {
		free(m);
		return CT_ENOMEM;
	}
	for (unsigned i = 0; i < e->n; i++) {
		json_t *j = view_parse(e->recs[i]->json, e->recs[i]->len);
		if (!j)
			continue;
		m->recs[m->n].r = e->recs[i];
		m->recs[m->n++].j = j;
	}
	qsort(m->recs, m->n, sizeof(*m->recs), prec_cmp);
	for (unsigned i = 0; i < m->n; i++)
		if (m->recs[i].r->type == CT_REC_CALL)
			m->call = m->recs[i].j; /* the last one, should there be two */
	ct_time_t first = m->n ? m->recs[0].r->ts : 0, last = m->n ? m->recs[m->n - 1].r->ts : 0;
	m->t0 = jtime(m->call, "start", first);
	m->t1 = jtime(m->call, "end", last);
	if (m->t1 < m->t0)
		m->t1 = m->t0;
	m->has_answer = view_parse_time(view_jstr(m->call, "answer"), &m->answer);

	build_roles(m);
	build_lanes(m);
	int rc = build_rows(m, &tmp);
	if (rc == CT_OK) {
		build_holds(m);
		build_recording(m);

		view_page_begin(out, "ctitap call ", e->id, false);
		ct_buf_puts(out, "<nav><a href=\"../index.html\">\xE2\x86\x90 all calls</a></nav>\n<h1>Call <code>");
		ct_buf_htmls(out, e->id);
		ct_buf_puts(out, "</code>");
		const char *calling = view_jstr(m->call, "calling"), *called = view_jstr(m->call, "called");
		if (calling || called) {
			ct_buf_puts(out, " ");
			ct_buf_htmls(out, calling ? calling : "?");
			ct_buf_puts(out, " \xE2\x86\x92 ");
			ct_buf_htmls(out, called ? called : "?");
		}
		ct_buf_puts(out, "</h1>\n");
		summary(out, m);
		correlation(out, m);
		ct_buf_puts(out, "<h2 id=\"diagram\">Ladder</h2>\n");
		notes(out, m);
		legend(out, m);
		draw_svg(out, m, &tmp);
		table_messages(out, m, &tmp);
		table_streams(out, m);
		table_parties(out, m);
		table_recordings(out, m);
		table_audits(out, m);
		table_dialogs(out, m);
		view_page_end(out, false);
		if (tmp.err == CT_ENOMEM)
			rc = CT_ENOMEM;
	}
	model_free(m);
	free(m);
	ct_buf_free(&tmp);
	return rc != CT_OK ? rc : out->err ? out->err : CT_OK;
}
