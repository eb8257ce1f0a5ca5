/* call_model.c - a call's records turned into what its page draws: lanes named by role, rows in
 * time order, spans (ringing, talk, holds, recording) and marks (transfers, diversions, the
 * conference, audits).
 *
 * Lanes are hosts (IP addresses), named by the role the records give away (docs/view.md):
 *  - a CSTA link is "server-ip:port-client-ip:port": the server side is the PBX's CTI
 *    interface, the client the CTI application (or CTI server) that monitors devices;
 *  - the PBX is a B2BUA: a host that receives an INVITE and later sends one for the same calling
 *    number (a phone placing a consultation call sends one for another caller);
 *  - an INVITE the PBX sends for a contact-centre device (a party, a monitored device, a
 *    recorded device) reaches a phone: its request-URI host (the phone's Contact), else the
 *    packet's destination; an INVITE from such a device to the PBX comes from a phone. Without a
 *    B2BUA in sight, the other end of a phone's INVITE is the PBX;
 *  - the PBX's other peer on an INVITE is the carrier/SBC; hosts only RTP names are media.
 * Rows are messages in time order (not to scale: a quiet minute takes one row); a time on the
 * spans' axis is drawn at the first row at or after it.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "call_int.h"

bool cview_streq(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

static bool is_message(const json_t *j)
{
	const char *src = view_jstr(j, "src"), *name = view_jstr(j, "name");
	if (!cview_streq(src, "sip") && !cview_streq(src, "csta"))
		return false;
	return name && strcmp(name, "dialog_end") != 0 && strcmp(name, "agent_state") != 0;
}

static bool is_stream(const json_t *j)
{
	return cview_streq(view_jstr(j, "src"), "rtp") && cview_streq(view_jstr(j, "name"), "rtp_stream");
}

/* "10.1.0.1:5060" -> "10.1.0.1", "[2001:db8::1]:5060" -> "2001:db8::1"; text without a port as is. */
void cview_addr_host(char *dst, size_t size, const char *addr)
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
	cview_addr_host(dst, size, tmp);
}

int cview_host_find(const struct cview_model *m, const char *ip)
{
	for (unsigned i = 0; i < m->nhosts; i++)
		if (strcmp(m->hosts[i].ip, ip) == 0)
			return (int)i;
	return -1;
}

/* The host of an address, added when new; -1 when the table is full. */
static int host_of(struct cview_model *m, const char *addr)
{
	char ip[64];
	cview_addr_host(ip, sizeof(ip), addr);
	int h = cview_host_find(m, ip);
	if (h >= 0)
		return h;
	if (m->nhosts == MAX_HOSTS) {
		m->hosts_full = true;
		return -1;
	}
	struct cview_host *x = &m->hosts[m->nhosts];
	memset(x, 0, sizeof(*x));
	memcpy(x->ip, ip, sizeof(x->ip));
	x->role = R_NONE;
	x->first = m->nhosts;
	x->lane = -1;
	return (int)m->nhosts++;
}

static bool is_device(const struct cview_model *m, const char *d)
{
	if (!d || !*d)
		return false;
	for (unsigned i = 0; i < m->ndevices; i++)
		if (strcmp(m->devices[i], d) == 0)
			return true;
	return false;
}

static void device_add(struct cview_model *m, const char *d)
{
	if (d && *d && !is_device(m, d) && m->ndevices < MAX_DEVICES)
		m->devices[m->ndevices++] = d;
}

int cview_link_index(const struct cview_model *m, const char *link)
{
	for (unsigned i = 0; i < m->nlinks; i++)
		if (strcmp(m->links[i], link) == 0)
			return (int)i;
	return -1;
}

static void set_phone(struct cview_model *m, int h, const char *dev)
{
	if (h < 0 || m->hosts[h].role == R_PHONE)
		return;
	m->hosts[h].role = R_PHONE;
	view_copy(m->hosts[h].dev, sizeof(m->hosts[h].dev), dev);
}

const char *cview_stream_quality(const json_t *j, double *loss_pct, bool *has_mos, double *mos)
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

static int prec_cmp(const void *a, const void *b)
{
	const struct cview_rec *x = a, *y = b;
	if (x->r->ts != y->r->ts)
		return x->r->ts < y->r->ts ? -1 : 1;
	return x->r->seq < y->r->seq ? -1 : x->r->seq > y->r->seq;
}

static int row_cmp(const void *a, const void *b)
{
	const struct cview_row *x = a, *y = b;
	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void mark_add(struct cview_model *m, ct_time_t ts, const char *cls, struct ct_buf *tmp)
{
	if (m->nmarks == MAX_MARKS) {
		m->marks_cut++;
		return;
	}
	struct cview_mark *k = &m->marks[m->nmarks++];
	k->ts = ts;
	k->cls = cls;
	view_copy(k->text, sizeof(k->text), tmp->p ? tmp->p : "");
}

ct_time_t cview_jtime(const json_t *o, const char *key, ct_time_t dflt)
{
	ct_time_t t;
	return view_parse_time(view_jstr(o, key), &t) ? t : dflt;
}

static void interval_add(struct cview_interval *iv, unsigned *n, unsigned max, ct_time_t a, ct_time_t b, const char *who)
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
static void build_holds(struct cview_model *m)
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
				if (!cview_streq(src, "csta"))
					continue;
				/* a held call ends on hold when retrieved, cleared, or merged by the holder's
				 * transfer or conference */
				start = cview_streq(name, "held");
				stop = cview_streq(name, "retrieved") || cview_streq(name, "connection_cleared") || cview_streq(name, "transferred") ||
				       cview_streq(name, "conferenced");
				who = view_jstr(j, "subject");
				if (!who)
					who = view_jstr(j, "device");
			} else {
				if (!cview_streq(src, "sip"))
					continue;
				start = cview_streq(name, "hold");
				stop = cview_streq(name, "resume") || cview_streq(name, "bye");
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
			struct cview_interval t = m->holds[k];
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

static int rec_column(struct cview_model *m, const char *dev)
{
	for (unsigned i = 0; i < m->nrec_dev; i++)
		if (cview_streq(m->rec_dev[i], dev))
			return (int)i;
	if (m->nrec_dev == MAX_REC_DEVICES) {
		m->rec_dev_cut++;
		return -1;
	}
	m->rec_dev[m->nrec_dev] = dev;
	return (int)m->nrec_dev++;
}

/* Recording intervals: the call record's, else from the recording triggers. */
static void build_recording(struct cview_model *m)
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
			interval_add(m->recs_iv, &m->nrec_iv, MAX_HOLDS, cview_jtime(iv, "start", m->t0), cview_jtime(iv, "end", m->t1),
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
		if ((cview_streq(action, "start") || cview_streq(action, "resume")) && !open[col]) {
			open[col] = true;
			open_dev[col] = dev;
			open_at[col] = m->recs[r].r->ts;
		} else if ((cview_streq(action, "pause") || cview_streq(action, "stop")) && open[col] && m->nrec_iv < MAX_HOLDS) {
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

static void build_roles(struct cview_model *m)
{
	/* contact-centre devices */
	size_t i;
	const json_t *p;
	json_array_foreach(json_object_get(m->call, "parties"), i, p) device_add(m, view_jstr(p, "device"));
	for (unsigned r = 0; r < m->n; r++) {
		const json_t *j = m->recs[r].j;
		if (cview_streq(view_jstr(j, "src"), "csta"))
			device_add(m, view_jstr(j, "monitored"));
		if (m->recs[r].r->type == CT_REC_RECORDING)
			device_add(m, view_jstr(j, "device"));
	}
	/* hosts in order of appearance; CTI sides */
	for (unsigned r = 0; r < m->n; r++) {
		const json_t *j = m->recs[r].j;
		if (is_message(j)) {
			int f = host_of(m, view_jstr(j, "from_addr")), t = host_of(m, view_jstr(j, "to_addr"));
			if (!cview_streq(view_jstr(j, "src"), "csta"))
				continue;
			const char *link = view_jstr(j, "link"), *dash = link ? strchr(link, '-') : NULL;
			if (link && cview_link_index(m, link) < 0 && m->nlinks < MAX_LINKS) {
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
					cview_addr_host(server, sizeof(server), tmp);
					cview_addr_host(client, sizeof(client), dash + 1);
					int s = cview_host_find(m, server), c = cview_host_find(m, client);
					if (s >= 0)
						m->hosts[s].cti_server = true;
					if (c >= 0)
						m->hosts[c].cti_client = true;
					continue;
				}
			}
			if (cview_streq(view_jstr(j, "kind"), "event")) { /* uaCSTA or a link of another form */
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
	struct cview_invite {
		int f, t, u;        /* hosts: sender, receiver, request-URI host (-1: none) */
		const char *calling, *called;
	} inv[MAX_INVITES];
	unsigned ninv = 0;
	for (unsigned r = 0; r < m->n && ninv < MAX_INVITES; r++) {
		const json_t *j = m->recs[r].j;
		int64_t st;
		if (!cview_streq(view_jstr(j, "src"), "sip") || !cview_streq(view_jstr(j, "name"), "invite") || view_jint(j, "status", &st))
			continue;
		char ip[64];
		struct cview_invite *v = &inv[ninv];
		cview_addr_host(ip, sizeof(ip), view_jstr(j, "from_addr"));
		v->f = cview_host_find(m, ip);
		cview_addr_host(ip, sizeof(ip), view_jstr(j, "to_addr"));
		v->t = cview_host_find(m, ip);
		uri_host(ip, sizeof(ip), view_jstr(j, "uri"));
		v->u = ip[0] ? cview_host_find(m, ip) : -1;
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
			if (inv[b].f == inv[a].t && cview_streq(inv[a].calling, inv[b].calling)) {
				m->hosts[inv[a].t].role = R_PBX;
				have_pbx = true;
			}
	/* phones: where the PBX sends an INVITE for a contact-centre device (its request-URI host,
	 * the phone's Contact, else the packet's destination), and what sends the PBX an INVITE from
	 * such a device. Without a B2BUA in sight, the other end of a phone's INVITE is the PBX. */
	for (unsigned k = 0; k < ninv; k++) {
		struct cview_invite *v = &inv[k];
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
		struct cview_host *f = &m->hosts[inv[k].f], *t = &m->hosts[inv[k].t];
		if (f->role == R_PBX && t->role == R_NONE && !t->cti_client)
			t->role = R_CARRIER;
		else if (t->role == R_PBX && f->role == R_NONE && !f->cti_client)
			f->role = R_CARRIER;
	}
	for (unsigned h = 0; h < m->nhosts; h++) {
		struct cview_host *x = &m->hosts[h];
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
			cview_addr_host(ip, sizeof(ip), ends[k]);
			int h = cview_host_find(m, ip);
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
	const struct cview_host *x = *(const struct cview_host *const *)a, *y = *(const struct cview_host *const *)b;
	if (x->role != y->role)
		return x->role < y->role ? -1 : 1;
	return x->first < y->first ? -1 : x->first > y->first;
}

static void build_lanes(struct cview_model *m)
{
	struct cview_host *order[MAX_HOSTS];
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

static int build_rows(struct cview_model *m, struct ct_buf *tmp)
{
	/* marks: transfers, diversions, conference, audits */
	size_t i;
	const json_t *x;
	json_array_foreach(json_object_get(m->call, "transfers"), i, x) {
		ct_buf_reset(tmp);
		const char *from = view_jstr(x, "from"), *to = view_jstr(x, "to"), *kind = view_jstr(x, "kind");
		ct_buf_printf(tmp, "transfer %s \xE2\x86\x92 %s (%s)", from ? from : "?", to ? to : "?", kind ? kind : "?");
		mark_add(m, cview_jtime(x, "ts", m->t1), "transfer", tmp);
	}
	json_array_foreach(json_object_get(m->call, "diversions"), i, x) {
		ct_buf_reset(tmp);
		const char *from = view_jstr(x, "from"), *to = view_jstr(x, "to");
		ct_buf_printf(tmp, "diversion %s \xE2\x86\x92 %s", from ? from : "?", to ? to : "?");
		mark_add(m, cview_jtime(x, "ts", m->t1), "diversion", tmp);
	}
	const json_t *conf = json_object_get(m->call, "conference");
	if (json_is_object(conf)) {
		ct_time_t at = m->t1;
		for (unsigned r = 0; r < m->n; r++)
			if (cview_streq(view_jstr(m->recs[r].j, "name"), "conferenced")) {
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
			m->rows[m->nrows++] = (struct cview_row){ m->recs[r].r->ts, m->recs[r].r->seq, ROW_MSG, r, 0 };
		} else if (is_stream(j)) {
			m->streams_total++;
			if (m->streams_drawn == MAX_STREAMS)
				continue;
			m->streams_drawn++;
			m->rows[m->nrows++] = (struct cview_row){ cview_jtime(j, "first", m->recs[r].r->ts), m->recs[r].r->seq, ROW_RTP, r, 0 };
		}
	}
	for (unsigned k = 0; k < m->nmarks; k++)
		m->rows[m->nrows++] = (struct cview_row){ m->marks[k].ts, k, ROW_MARK, k, 0 };
	qsort(m->rows, m->nrows, sizeof(*m->rows), row_cmp);
	for (unsigned k = 0; k < m->nrows; k++)
		m->rows[k].y = TOP + 22 + (int)k * ROW_H;
	return CT_OK;
}

/* The y of a time on the spans' axis: the top of the first row at or after it. */
int cview_y_of(const struct cview_model *m, ct_time_t t)
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

void cview_model_free(struct cview_model *m)
{
	for (unsigned i = 0; i < m->n; i++)
		json_decref(m->recs[i].j);
	free(m->recs);
	free(m->rows);
}

/* Parses the call's records and works out everything the page draws. m is zeroed by the caller;
 * cview_model_free() frees what it allocated, whatever this returned. Returns CT_OK or CT_ENOMEM. */
int cview_model_build(struct cview_model *m, const struct ct_view_cfg *cfg, const struct ventry *e, struct ct_buf *tmp)
{
	m->cfg = cfg;
	m->e = e;
	m->recs = calloc(e->n ? e->n : 1, sizeof(*m->recs));
	if (!m->recs)
		return CT_ENOMEM;
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
	m->t0 = cview_jtime(m->call, "start", first);
	m->t1 = cview_jtime(m->call, "end", last);
	if (m->t1 < m->t0)
		m->t1 = m->t0;
	m->has_answer = view_parse_time(view_jstr(m->call, "answer"), &m->answer);
	build_roles(m);
	build_lanes(m);
	int rc = build_rows(m, tmp);
	if (rc != CT_OK)
		return rc;
	build_holds(m);
	build_recording(m);
	return CT_OK;
}
