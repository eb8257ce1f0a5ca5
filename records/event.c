/* event.c - `event` records: one per SIP message of a call, SIP dialog end, CSTA message,
 * RTP stream and agent state change (docs/records.md#event, schemas/event.schema.json). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "records.h"

static void kv_addr(struct ct_json *j, const char *key, const struct ct_addr *a, uint16_t port)
{
	/* "a.b.c.d:port" or "[v6]:port", without printf (two per message) */
	char buf[80];
	bool v4 = ct_addr_is_v4(a);
	size_t n = v4 ? 0 : 1;
	buf[0] = '[';
	ct_addr_format(a, buf + n, 64);
	n += strlen(buf + n);
	if (!v4)
		buf[n++] = ']';
	buf[n++] = ':';
	n += ct_dec_u64(buf + n, port);
	buf[n] = '\0';
	ct_json_kv_str(j, key, buf);
}

/* ---- SIP ----------------------------------------------------------------------------------- */

/* The headers correlation and QA read, each when present. URIs and header values that may
 * name a party are free text (privacy.h); ids and product names are written as they came. */
static void sip_headers(struct ct_records *w, const struct ct_sip_msg *m)
{
	struct ct_json *j = &w->json;
	ct_rec_kv_free_slice(w, "pai", ct_sip_uri(ct_sip_get(m, CT_H_PAI)));
	ct_rec_kv_free_slice(w, "diversion", ct_sip_uri(ct_sip_get(m, CT_H_DIVERSION)));
	ct_rec_kv_free_slice(w, "history_info", ct_sip_get(m, CT_H_HISTORY_INFO));
	struct ct_slice uui = ct_sip_get(m, CT_H_USER_TO_USER);
	if (uui.len) {
		ct_rec_kv_slice(j, "uui", uui);
		char ucid[24];
		if (ct_sip_uui_ucid(uui, ucid))
			ct_json_kv_str(j, "ucid", ucid);
	}
	ct_rec_kv_slice(j, "genesys_uuid", ct_sip_get(m, CT_H_GENESYS_UUID));
	ct_rec_kv_slice(j, "cisco_guid", ct_sip_get(m, CT_H_CISCO_GUID));
	ct_rec_kv_slice(j, "session_id", ct_sip_get(m, CT_H_SESSION_ID));
	struct ct_slice refer = ct_sip_get(m, CT_H_REFER_TO);
	if (refer.len) {
		struct ct_slice uri = ct_sip_uri(refer);
		ct_rec_kv_free_slice(w, "refer_to", uri);
		ct_rec_kv_slice(j, "refer_replaces", ct_sip_refer_replaces(uri));
	}
	ct_rec_kv_free_slice(w, "referred_by", ct_sip_uri(ct_sip_get(m, CT_H_REFERRED_BY)));
	ct_rec_kv_slice(j, "replaces", ct_sip_get(m, CT_H_REPLACES));
	ct_rec_kv_free_slice(w, "reason_header", ct_sip_get(m, CT_H_REASON));
	ct_rec_kv_free_slice(w, "call_info", ct_sip_get(m, CT_H_CALL_INFO));
	ct_rec_kv_slice(j, "user_agent", ct_sip_get(m, m->request ? CT_H_USER_AGENT : CT_H_SERVER));
	struct ct_sip_dtmf dtmf;
	if (ct_sip_dtmf(m, &dtmf))
		ct_rec_kv_dtmf(w, "dtmf", dtmf.signal, dtmf.duration_ms);
}

/* "media": the streams an SDP body describes. */
static void sdp_media(struct ct_json *j, const struct ct_sdp *sdp)
{
	ct_json_key(j, "media");
	ct_json_arr_begin(j);
	for (unsigned i = 0; i < sdp->nmedia; i++) {
		const struct ct_sdp_media *s = &sdp->media[i];
		ct_json_obj_begin(j);
		ct_json_kv_text(j, "type", s->type.p, s->type.len, 32);
		if (s->has_addr) {
			char ip[64];
			ct_addr_format(&s->addr, ip, sizeof(ip));
			ct_json_kv_str(j, "ip", ip);
		}
		ct_json_kv_u64(j, "port", s->port);
		ct_json_kv_str(j, "dir", ct_sdp_dir_name(ct_sdp_media_effective_dir(s)));
		if (s->nfmt) {
			uint32_t clock = 0;
			struct ct_slice codec = ct_sdp_codec(s, s->fmt[0], &clock);
			if (codec.len)
				ct_json_kv_text(j, "codec", codec.p, codec.len, 32);
		}
		ct_json_obj_end(j);
	}
	ct_json_arr_end(j);
}

void ct_rec_sip_event(struct ct_records *w, const struct ct_sip_event *v)
{
	static const char *const transports[] = { "udp", "tcp", "ws", "sctp" };
	const struct ct_sip_msg *m = v->msg;
	const struct ct_sip_meta *meta = v->meta;
	ct_rec_begin(w, CT_REC_EVENT, v->ts, v->call);
	struct ct_json *j = &w->json;
	ct_json_kv_str(j, "src", "sip");
	ct_json_kv_str(j, "name", ct_sip_moment_name(v->moment));
	ct_rec_kv_slice(j, "call_id", m->call_id);
	ct_json_kv_str(j, "transport", transports[meta->transport % 4]);
	kv_addr(j, "from_addr", &meta->src, meta->sport);
	kv_addr(j, "to_addr", &meta->dst, meta->dport);
	ct_rec_kv_slice(j, "method", m->method_name);
	if (!m->request)
		ct_json_kv_u64(j, "status", m->status);
	ct_json_kv_u64(j, "cseq", m->cseq);
	if (v->retrans)
		ct_json_kv_bool(j, "retransmission", true);
	ct_rec_kv_free_slice(w, "from", v->from);
	ct_rec_kv_free_slice(w, "to", v->to);
	ct_rec_kv_slice(j, "from_tag", m->from_tag);
	ct_rec_kv_slice(j, "to_tag", m->to_tag);
	if (m->request && m->method == CT_SIP_INVITE) {
		ct_rec_kv_party_slice(w, "calling", v->calling);
		ct_rec_kv_party_slice(w, "called", v->called);
		ct_rec_kv_free_slice(w, "uri", m->uri);
	}
	sip_headers(w, m);
	if (v->sdp)
		sdp_media(j, v->sdp);
	ct_rec_end(w, CT_REC_EVENT, v->call);
}

void ct_rec_dialog_end(struct ct_records *w, const struct ct_dialog_end *v)
{
	ct_rec_begin(w, CT_REC_EVENT, v->ts, v->call);
	struct ct_json *j = &w->json;
	ct_json_kv_str(j, "src", "sip");
	ct_json_kv_str(j, "name", "dialog_end");
	ct_json_kv_text(j, "call_id", v->call_id.p, v->call_id.len, CT_TEXT_MAX);
	ct_json_kv_str(j, "reason", ct_dialog_end_reason_name(v->reason));
	ct_json_kv_str(j, "state", ct_dialog_state_name(v->state));
	ct_json_kv_bool(j, "invite_seen", v->invite_seen);
	if (v->csta_session)
		ct_json_kv_bool(j, "csta_session", true);
	ct_json_kv_str(j, "disposition", ct_disposition_name(v->disposition));
	if (v->status)
		ct_json_kv_u64(j, "status", v->status);
	ct_json_kv_time(j, "start", v->start);
	if (v->answer)
		ct_json_kv_time(j, "answer", v->answer);
	if (v->to_tag && v->to_tag[0])
		ct_json_kv_text(j, "to_tag", (const uint8_t *)v->to_tag, strlen(v->to_tag), 64);
	ct_json_kv_u64(j, "early_dialogs", v->early_dialogs);
	ct_json_kv_time(j, "end", v->end);
	ct_json_kv_u64(j, "messages", v->messages);
	ct_json_kv_u64(j, "retransmissions", v->retransmissions);
	ct_rec_end(w, CT_REC_EVENT, v->call);
}

/* ---- CSTA ---------------------------------------------------------------------------------- */

void ct_rec_csta_event(struct ct_records *w, const struct ct_csta_event *v)
{
	static const char *const kinds[] = { "unknown", "event", "request", "result", "error", "reject",
					     "aarq", "aare", "rlrq", "rlre", "abrt" };
	const struct ct_csta_msg *m = v->msg;
	ct_rec_begin(w, CT_REC_EVENT, v->ts, v->call);
	struct ct_json *j = &w->json;
	ct_json_kv_str(j, "src", "csta");
	ct_json_kv_str(j, "name", v->name);
	ct_json_kv_str(j, "kind", kinds[m->kind < CT_ARRAY_SIZE(kinds) ? m->kind : 0]);
	ct_json_kv_str(j, "link", v->link);
	if (v->src && v->dst) {
		kv_addr(j, "from_addr", v->src, v->sport);
		kv_addr(j, "to_addr", v->dst, v->dport);
	}
	ct_rec_kv_text_opt(j, "session", v->session);
	ct_json_kv_str(j, "encoding", m->encoding == CT_CSTA_XML ? "xml" : "ber");
	if (m->phase)
		ct_json_kv_u64(j, "phase", m->phase);
	if (m->has_invoke_id)
		ct_json_kv_i64(j, "invoke_id", m->invoke_id);
	if (m->has_opcode)
		ct_json_kv_i64(j, "opcode", m->opcode);
	ct_rec_kv_text_opt(j, "category", m->category);
	ct_rec_kv_text_opt(j, "xref", m->xref);
	ct_rec_kv_party_opt(w, "monitored", v->monitored);
	ct_rec_kv_text_opt(j, "call_id", m->conn.call_id);
	ct_rec_kv_party_opt(w, "device", m->conn.device);
	if (m->conn2.call_id[0] || m->conn2.device[0]) {
		ct_rec_kv_text_opt(j, "call_id2", m->conn2.call_id);
		ct_rec_kv_party_opt(w, "device2", m->conn2.device);
	}
	ct_rec_kv_party_opt(w, "subject", m->subject);
	ct_rec_kv_party_opt(w, "calling", m->calling);
	ct_rec_kv_party_opt(w, "called", m->called);
	ct_rec_kv_party_opt(w, "other", m->other);
	ct_rec_kv_text_opt(j, "state", m->local_state);
	ct_rec_kv_text_opt(j, "cause", m->cause);
	ct_rec_kv_text_opt(j, "correlator", m->correlator);
	ct_rec_kv_text_opt(j, "user_data", m->user_data);
	ct_rec_kv_text_opt(j, "global_call_id", m->global_call_id);
	ct_rec_kv_text_opt(j, "agent_state", m->agent_state);
	ct_rec_kv_party_opt(w, "agent_id", m->agent_id);
	ct_rec_kv_text_opt(j, "reason", m->reason);
	ct_rec_kv_party_opt(w, "monitor_device", m->monitor_device);
	ct_rec_kv_text_opt(j, "error", m->error);
	ct_rec_kv_text_opt(j, "system_status", m->system_status);
	if (m->csta_version)
		ct_json_kv_u64(j, "csta_version", m->csta_version);
	ct_rec_kv_text_opt(j, "ns", m->ns);
	if (m->private_data)
		ct_json_kv_bool(j, "private_data", true);
	if (m->unknown)
		ct_json_kv_bool(j, "unknown", true);
	if (m->truncated)
		ct_json_kv_bool(j, "truncated", true);
	if (v->has_latency)
		ct_json_kv_u64(j, "latency_us", v->latency);
	ct_rec_end(w, CT_REC_EVENT, v->call);
}

/* ---- RTP ----------------------------------------------------------------------------------- */

void ct_rec_rtp_stream(struct ct_records *w, const struct ct_rtp_stream_view *v)
{
	const struct ct_rtp_stream *s = v->s;
	ct_rec_begin(w, CT_REC_EVENT, s->last, v->call);
	struct ct_json *j = &w->json;
	ct_json_kv_str(j, "src", "rtp");
	ct_json_kv_str(j, "name", "rtp_stream");
	char ip[64];
	ct_addr_format(&v->src, ip, sizeof(ip));
	ct_json_kv_str(j, "src_ip", ip);
	ct_json_kv_u64(j, "src_port", v->sport);
	ct_addr_format(&v->dst, ip, sizeof(ip));
	ct_json_kv_str(j, "dst_ip", ip);
	ct_json_kv_u64(j, "dst_port", v->dport);
	char ssrc[16];
	snprintf(ssrc, sizeof(ssrc), "0x%08" PRIX32, s->ssrc);
	ct_json_kv_str(j, "ssrc", ssrc);
	ct_json_kv_u64(j, "pt", s->media_pt != 0xff ? s->media_pt : s->pt);
	if (v->codec && v->codec[0])
		ct_json_kv_str(j, "codec", v->codec);
	ct_json_kv_time(j, "first", s->first);
	ct_json_kv_time(j, "last", s->last);
	ct_json_kv_u64(j, "packets", s->packets);
	ct_json_kv_u64(j, "bytes", s->bytes);
	ct_json_kv_i64(j, "lost", ct_rtp_stream_lost(s));
	ct_json_kv_u64(j, "jitter_max_us", (uint64_t)(s->jitter_ms_max * 1000.0));
	ct_json_kv_u64(j, "jitter_mean_us", (uint64_t)(s->jitter_ms_mean * 1000.0));
	ct_json_kv_u64(j, "ssrc_changes", s->ssrc_changes);
	ct_json_kv_u64(j, "dtmf_events", s->dtmf_events);
	ct_json_kv_u64(j, "cn_packets", s->cn_packets);
	if (v->have_rtcp) {
		ct_json_kv_u64(j, "rtcp_packets", v->rtcp_packets);
		if (v->rtcp_last->have_rr) {
			ct_json_kv_u64(j, "rtcp_fraction_lost", v->rtcp_last->fraction_lost);
			ct_json_kv_i64(j, "rtcp_cum_lost", v->rtcp_last->cum_lost);
		}
	}
	ct_rec_end(w, CT_REC_EVENT, v->call);
}

/* ---- agents -------------------------------------------------------------------------------- */

void ct_rec_agent_state(struct ct_records *w, const struct ct_agent_change *v)
{
	ct_rec_begin(w, CT_REC_EVENT, v->ts, NULL);
	struct ct_json *j = &w->json;
	ct_json_kv_str(j, "src", "csta");
	ct_json_kv_str(j, "name", "agent_state");
	ct_rec_kv_party_opt(w, "device", v->device);
	ct_rec_kv_party_opt(w, "agent_id", v->agent_id);
	ct_json_kv_str(j, "state", ct_agent_state_name(v->state));
	if (!v->fresh) {
		ct_json_kv_str(j, "previous", ct_agent_state_name(v->previous));
		ct_json_kv_u64(j, "previous_ms", v->previous_us / 1000);
	}
	ct_rec_kv_text_opt(j, "reason", v->reason);
	ct_json_kv_str(j, "trigger", v->trigger);
	ct_rec_end(w, CT_REC_EVENT, NULL);
}
