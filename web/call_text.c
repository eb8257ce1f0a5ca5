/* call_text.c - the texts of a call's page: lane names, arrow labels, ids, times. Raw text: the
 * caller escapes it (ct_buf_html), except the put_* functions, which write escaped text. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "call_int.h"

const char *cview_role_class(enum cview_role r)
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
void cview_host_label(const struct cview_host *h, char *out, size_t size)
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

/* "09:00:03.617015" of an RFC 3339 time, else the text as it is (escaped). */
void cview_put_hms(struct ct_buf *out, const char *ts)
{
	ct_time_t t;
	if (ts && view_parse_time(ts, &t))
		ct_buf_html(out, ts + 11, 15);
	else
		ct_buf_htmls(out, ts ? ts : "\xE2\x80\x94");
}

void cview_put_rel(struct ct_buf *out, ct_time_t t, ct_time_t t0)
{
	bool neg = t < t0;
	uint64_t d = neg ? t0 - t : t - t0;
	const char *sign = neg ? "-" : "+";
	ct_buf_printf(out, "%s%lld.%03lld", sign, (long long)(d / 1000000), (long long)(d % 1000000 / 1000));
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
void cview_msg_label(struct ct_buf *b, const struct cview_model *m, const json_t *j)
{
	const char *name = view_jstr(j, "name");
	if (cview_streq(view_jstr(j, "src"), "sip")) {
		int64_t status;
		const char *method = view_jstr(j, "method");
		if (view_jint(j, "status", &status)) {
			const char *rp = reason_phrase(status);
			ct_buf_printf(b, "%lld%s%s", (long long)status, *rp ? " " : "", rp);
		} else {
			ct_buf_puts(b, method ? method : name);
		}
		if (cview_streq(name, "invite") && !view_jint(j, "status", &status)) {
			const char *calling = view_jstr(j, "calling"), *called = view_jstr(j, "called");
			if (calling || called) {
				ct_buf_puts(b, " ");
				ct_buf_puts(b, calling ? calling : "?");
				ct_buf_puts(b, "\xE2\x86\x92"); /* → */
				ct_buf_puts(b, called ? called : "?");
			}
		} else if (cview_streq(name, "hold") || cview_streq(name, "resume") || cview_streq(name, "reinvite") ||
			   cview_streq(name, "retransmission")) {
			ct_buf_puts(b, " (");
			ct_buf_puts(b, name);
			ct_buf_puts(b, ")");
		} else if (cview_streq(name, "refer") && view_jstr(j, "refer_to")) {
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
	if (cview_streq(name, "delivered") || cview_streq(name, "originated") || cview_streq(name, "offered")) {
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
	int li = link ? cview_link_index(m, link) : -1;
	if (m->nlinks > 1 && li >= 0)
		ct_buf_printf(b, " [L%d]", li + 1);
}

/* The ids of a message: SIP Call-ID, or CSTA callID and link. Raw text. */
void cview_msg_ids(struct ct_buf *b, const json_t *j, bool for_title)
{
	if (cview_streq(view_jstr(j, "src"), "sip")) {
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

/* "RTP PCMU · 343 pkts · lost 0 (0.0%) · jitter 0.127/0.184 ms · MOS 4.30", raw. */
void cview_stream_label(struct ct_buf *b, const json_t *j)
{
	double loss, mos;
	bool has_mos;
	cview_stream_quality(j, &loss, &has_mos, &mos);
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
