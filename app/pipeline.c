/* pipeline.c - glue between the capture layer and the SIP, SDP and RTP layers above it. */
#include "pipeline.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../decoders/csta_stream.h"
#include "../decoders/csta_xml.h"
#include "../decoders/sip_stream.h"
#include "../correlator/devset.h"
#include "../correlator/numbers.h"
#include "../util/cursor.h"
#include "../util/log.h"

/* f->app of a UDP flow that carries SIP (RTP flows carry the media module's state). */
static const uint32_t sip_udp_mark = 0x53495055u;

/* uaCSTA: CSTA XML in a SIP body (ECMA-323 over SIP, Microsoft RCC). */
static void uacsta(struct ct_pipeline *p, const struct ct_sip_msg *m, const struct ct_sip_meta *meta)
{
	if (!m->body.len || !ct_slice_istarts(ct_sip_get(m, CT_H_CONTENT_TYPE), "application/csta+xml"))
		return;
	memset(&p->csta_msg, 0, sizeof(p->csta_msg));
	if (!p->csta_xml)
		p->csta_xml = ct_csta_xml_new();
	int rc = p->csta_xml ? ct_csta_xml_parse(p->csta_xml, m->body.p, m->body.len, &p->csta_msg, NULL)
			     : ct_csta_xml_decode(m->body.p, m->body.len, &p->csta_msg);
	if (rc != CT_OK) {
		CT_COUNT_LOG(p->ctr->csta_bad, "CSTA XML body of a SIP %s did not decode",
			     m->request ? ct_sip_method_str((enum ct_sip_method)m->method) : "response");
		return;
	}
	p->ctr->csta_messages++;
	/* the SIP transaction pairs a request with its answer: its CSeq is the invoke id */
	if (!p->csta_msg.has_invoke_id) {
		p->csta_msg.invoke_id = m->cseq;
		p->csta_msg.has_invoke_id = true;
	}
	char session[96];
	size_t n = m->call_id.len < sizeof(session) - 1 ? m->call_id.len : sizeof(session) - 1;
	if (n)
		memcpy(session, m->call_id.p, n);
	session[n] = '\0';
	ct_cstalinks_uacsta(p->links, &p->csta_msg, session, meta->ts, &meta->src, meta->sport, &meta->dst,
			    meta->dport);
}

static void on_sip(void *user, const struct ct_sip_msg *m, const struct ct_sip_meta *meta)
{
	struct ct_pipeline *p = user;
	ct_sipcalls_message(p->calls, m, meta);
	if (ct_recwire_wants_sip(p->recw)) /* every message of a recorded call's dialogs is evidence */
		ct_recwire_sip(p->recw, ct_sipcalls_call_of(p->calls, m->call_id), m, meta->ts, p->cur_reassembled);
	uacsta(p, m, meta);
}

static void on_csta(void *user, const struct ct_csta_msg *m, const struct ct_csta_meta *meta)
{
	struct ct_pipeline *p = user;
	ct_cstalinks_message(p->links, m, meta);
}

static void on_csta_gap(void *user, const struct ct_csta_meta *meta, uint32_t bytes)
{
	struct ct_pipeline *p = user;
	ct_cstalinks_gap(p->links, meta, bytes);
}

/* The recorder's timers, every 100 ms of packet time (the capture clock's ticks; a clock moved
 * back reschedules). */
#define REC_TICK (100 * 1000)
static void rec_poll(struct ct_pipeline *p, ct_time_t now)
{
	if (!p->recw || (now < p->rec_tick_at && p->rec_tick_at - now <= REC_TICK))
		return;
	ct_recwire_tick(p->recw, now);
	p->rec_tick_at = now + REC_TICK - 1;
}

/* An RTP packet for the recordings open now (RTCP is not theirs). Out of on_udp: packets get
 * here only while a recording is open, and the header on on_udp's stack would cost every
 * packet a stack guard. */
__attribute__((noinline)) static void rec_rtp(struct ct_pipeline *p, const struct ct_pkt *pk)
{
	if (ct_rtp_is_rtcp(pk->data, pk->dlen))
		return;
	struct ct_rtp_hdr h;
	if (ct_rtp_parse(pk->data, pk->dlen, &h) == CT_OK)
		ct_recwire_rtp(p->recw, pk, &h);
}

static bool looks_sip(const struct ct_pkt *pk)
{
	/* a start line begins with an upper-case method or "SIP/2.0"; RTP begins with 0x80.. */
	struct ct_cur c = ct_cur_make(pk->data, pk->dlen);
	uint8_t b0 = ct_cur_peek(&c, 0);
	return pk->dlen >= 12 && b0 >= 'A' && b0 <= 'Z' && ct_sip_is_start_line(pk->data, pk->dlen);
}

/* A SIP datagram (out of on_udp's body, which RTP packets go through: they need none of its
 * registers). */
__attribute__((noinline)) static void udp_sip(struct ct_pipeline *p, struct ct_flow *f, const struct ct_pkt *pk)
{
	struct ct_cur d = ct_cur_make(pk->data, pk->dlen);
	if (pk->dlen <= 4 && (pk->dlen == 0 || ct_cur_peek(&d, 0) == '\r' || ct_cur_peek(&d, 0) == '\n'))
		return; /* CRLF keep-alive (RFC 5626 section 4.4.1) */
	if (ct_sip_parse(pk->data, pk->dlen, false, &p->msg) != CT_OK) {
		CT_COUNT_LOG(p->ctr->sip_bad, "malformed SIP datagram skipped");
		return;
	}
	f->app = (void *)&sip_udp_mark;
	p->ctr->sip_messages++;
	struct ct_sip_meta meta = { pk->ts, pk->proto == 132 ? CT_SIP_SCTP : CT_SIP_UDP, pk->src, pk->dst,
				    pk->sport, pk->dport, f->id };
	p->cur_reassembled = pk->reassembled;
	on_sip(p, &p->msg, &meta);
	p->cur_reassembled = false;
}

static void on_udp(void *user, struct ct_capture *c, struct ct_flow *f, int dir, const struct ct_pkt *pk)
{
	(void)c;
	struct ct_pipeline *p = user;
	bool sip_flow = f->app == &sip_udp_mark;
	if (p->sip && (sip_flow || (!f->app && looks_sip(pk)))) {
		udp_sip(p, f, pk);
		return;
	}
	/* a flow an SDP announced (or, with rtp.enabled off, any other datagram) may carry a
	 * recording's RTP */
	if (((p->rtp && ct_media_udp(p->media, f, dir, pk)) || (!p->rtp && p->recw)) && ct_recwire_wants_rtp(p->recw))
		rec_rtp(p, pk);
}

/* capture.workers: on_udp's work for a datagram that needs nothing but its flow (RTP
 * accounting; a flow past the packets in which SDP may claim it), on a worker thread. SIP, and
 * flows the media module may still claim, stay with on_udp on the serial thread. */
static bool on_udp_fast(void *user, struct ct_flow *f, int dir, const struct ct_pkt *pk, uint8_t *kind)
{
	const struct ct_pipeline *p = user;
	if (f->app == &sip_udp_mark || (p->sip && !f->app && looks_sip(pk)))
		return false;
	if (!p->rtp) {
		*kind = CT_MEDIA_NONE;
		return true;
	}
	return ct_media_udp_fast(f, dir, pk, kind);
}

/* ...and at its place in the input: the counters, and a recording's RTP as on_udp takes it
 * (kind is not CT_MEDIA_NONE exactly where ct_media_udp() would have said an RTP flow). */
static void on_udp_fast_commit(void *user, const struct ct_pkt *pk, uint8_t kind)
{
	struct ct_pipeline *p = user;
	ct_media_count(p->media, kind);
	if ((p->rtp ? kind != CT_MEDIA_NONE : p->recw != NULL) && ct_recwire_wants_rtp(p->recw))
		rec_rtp(p, pk);
}

/* A TCP connection whose protocol is not known yet: CSTA framings are tried first (binary
 * headers that a SIP or HTTP stream cannot start with), then the SIP detector decides. Once
 * one is chosen every call goes straight to it. */
struct tcp_detect {
	const struct ct_stream_parser *ps;
	void *st;
	struct ct_sip_stream *sip;
	struct ct_flow *flow;
	struct ct_pipeline *p;
};

static int detect_parse(void *st, int dir, const uint8_t *data, size_t len, ct_time_t ts, size_t *used)
{
	struct tcp_detect *d = st;
	if (d->ps)
		return d->ps->parse(d->st, dir, data, len, ts, used);
	struct ct_pipeline *p = d->p;
	if (p->csta) {
		size_t off = 0;
		/* with the SYN seen, a message starts at the first byte; else look for one */
		bool joined = !d->flow->tcp.half[dir].syn;
		enum ct_csta_framing fr = ct_csta_probe(data, len, joined, &off);
		if (fr != CT_CSTA_F_NONE) {
			void *cs = ct_csta_stream_new(d->flow, fr, on_csta, p, p->ctr);
			if (cs) {
				ct_csta_stream_on_gap(cs, on_csta_gap);
				if (d->sip)
					ct_sip_stream_parser.close(d->sip);
				d->sip = NULL;
				d->ps = &ct_csta_stream_parser;
				d->st = cs;
				/* parse now: reassembly reads "nothing consumed" as "wait for more" */
				int rc = d->ps->parse(d->st, dir, data + off, len - off, ts, used);
				*used += off;
				return rc;
			}
		}
	}
	if (!d->sip) {
		*used = len;
		return CT_OK;
	}
	int rc = ct_sip_stream_parser.parse(d->sip, dir, data, len, ts, used);
	if (ct_sip_stream_is_sip(d->sip)) {
		d->ps = &ct_sip_stream_parser;
		d->st = d->sip;
		d->sip = NULL;
	}
	return rc;
}

static void detect_gap(void *st, int dir, uint32_t bytes)
{
	struct tcp_detect *d = st;
	if (d->ps)
		d->ps->gap(d->st, dir, bytes);
	else if (d->sip)
		ct_sip_stream_parser.gap(d->sip, dir, bytes);
}

static void detect_close(void *st)
{
	struct tcp_detect *d = st;
	if (d->ps == &ct_csta_stream_parser) {
		/* FIN or RST: the link went down at the connection's last packet; otherwise the
		 * flow was given up (end of input, idle expiry, eviction) with the link still up */
		const struct ct_flow *f = d->flow;
		if (f->tcp.rst || f->tcp.half[0].fin || f->tcp.half[1].fin)
			ct_cstalinks_down(d->p->links, f->id, f->last, f->tcp.rst ? "tcp reset" : "tcp fin");
		ct_cstalinks_close(d->p->links, f->id, d->p->cap.now);
	}
	if (d->ps)
		d->ps->close(d->st);
	if (d->sip)
		ct_sip_stream_parser.close(d->sip);
	free(d);
}

/* proven once the chosen parser found a message: TCP reassembly evicts others first */
static bool detect_proven(const void *st)
{
	const struct tcp_detect *d = st;
	return d->ps && d->ps->proven && d->ps->proven(d->st);
}

static const struct ct_stream_parser detect_parser = {
	.name = "detect",
	.parse = detect_parse,
	.gap = detect_gap,
	.close = detect_close,
	.proven = detect_proven,
};

static const struct ct_stream_parser *on_tcp(void *user, struct ct_flow *f, const struct ct_pkt *pk, void **st)
{
	(void)pk;
	struct ct_pipeline *p = user;
	if (!p->sip && !p->csta)
		return NULL;
	struct tcp_detect *d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->flow = f;
	d->p = p;
	if (p->sip)
		d->sip = ct_sip_stream_new(f, on_sip, p, p->ctr, &p->msg);
	*st = d;
	return &detect_parser;
}

static void on_flow_close(void *user, struct ct_flow *f, enum ct_flow_end why)
{
	(void)why;
	struct ct_pipeline *p = user;
	if (ct_media_owns(f))
		ct_media_flow_close(p->media, f, p->cap.now);
	f->app = NULL;
}

/* span_duplicate: one summary audit record when the capture layer suppressed SPAN copies since
 * the last one (at most once a second of packet time, and at the end of input). */
static void span_audit(struct ct_pipeline *p, ct_time_t now)
{
	if (!p->span_since)
		p->span_since = now;
	uint64_t n = p->ctr->span_dups - p->span_reported;
	if (!n)
		return;
	char a[32];
	ct_time_format(p->span_since, a);
	ct_report_audit(&p->rep, now, NULL, CT_AUDIT_SPAN_DUPLICATE, NULL, n,
			"%" PRIu64 " SPAN duplicate frames suppressed since %s (copies within dedup.window_ms)", n, a);
	p->span_reported = p->ctr->span_dups;
	p->span_since = now;
}

static void on_clock(void *user, ct_time_t now)
{
	struct ct_pipeline *p = user;
	/* every tick (CT_CLOCK_TICK): timers that make records due (a call's settle); the call
	 * records first: their due times are older than the dialogs' expiry a long gap between
	 * two packets brings at once */
	ct_calls_tick(p->calls_joined, now);
	for (int pass = 0; pass < 256 && ct_sipcalls_expire(p->calls, now); pass++)
		; /* each pass is bounded; a busy tick may need several to catch up */
	rec_poll(p, now);
	if (now / CT_USEC_PER_SEC == p->second)
		return;
	/* every second of packet time */
	p->second = now / CT_USEC_PER_SEC;
	span_audit(p, now);
	ct_cstalinks_tick(p->links, now);
	if (p->on_second)
		p->on_second(p->user, now);
}

/* clock_jump: the capture clock moved to a new time line (capture/capture.h). */
static void on_clock_jump(void *user, ct_time_t from, ct_time_t to, unsigned frames)
{
	struct ct_pipeline *p = user;
	char a[32], b[32];
	ct_time_format(from, a);
	ct_time_format(to, b);
	bool back = to < from;
	ct_report_audit(&p->rep, to, NULL, CT_AUDIT_CLOCK_JUMP, NULL, 0,
			"capture clock moved %s by %" PRIu64 " s, from %s to %s: %u frames in a row on the new time "
			"(docs/capture.md, Packet time)",
			back ? "back" : "forward", (uint64_t)((back ? from - to : to - from) / CT_USEC_PER_SEC), a, b,
			frames);
}

/* The correlator's view of numbers.* and record.* */
static size_t hook_number_norm(void *user, const char *in, char *out, size_t cap)
{
	const struct ct_pipeline *p = user;
	return ct_number_norm(&p->cfg->numbers, in, out, cap);
}

static bool hook_record_device(void *user, const char *device)
{
	const struct ct_pipeline *p = user;
	return ct_devset_selects(&p->cfg->record_devices, &p->cfg->record_exclude, &p->cfg->numbers, device);
}

static bool hook_pause_device(void *user, const char *device)
{
	const struct ct_pipeline *p = user;
	return ct_devset_has_number(&p->cfg->record_pause_devices, &p->cfg->numbers, device);
}

/* ... and of the agents' states: an ACD call reaching an agent who is not ready is an audit,
 * and a call answered makes the agent busy */
static bool hook_agent_state(void *user, const char *device, enum ct_agent_state *st)
{
	const struct ct_pipeline *p = user;
	return ct_agents_state(p->agents, device, st);
}

static const char *hook_agent_id(void *user, const char *device)
{
	const struct ct_pipeline *p = user;
	return ct_agents_id(p->agents, device);
}

static void hook_agent_call(void *user, const char *device, bool on_call, ct_time_t ts)
{
	struct ct_pipeline *p = user;
	ct_agents_call(p->agents, device, on_call, ts);
}

static void hook_csta_call_over(void *user, const char *link, const char *csta_call_id, ct_time_t now)
{
	struct ct_pipeline *p = user;
	ct_cstalinks_call_over(p->links, link, csta_call_id, now);
}

/* ---- the correlator's views, written as records to the outputs ---- */

static void to_outputs(void *user, const struct ct_record *r)
{
	struct ct_pipeline *p = user;
	if (p->out)
		ct_outputs_emit(p->out, r);
}

static void on_audit(void *u, const struct ct_audit_view *v)
{
	ct_rec_audit(&((struct ct_pipeline *)u)->rec, v);
}

static void on_sip_event(void *u, const struct ct_sip_event *v)
{
	ct_rec_sip_event(&((struct ct_pipeline *)u)->rec, v);
}

static void on_dialog_end(void *u, const struct ct_dialog_end *v)
{
	ct_rec_dialog_end(&((struct ct_pipeline *)u)->rec, v);
}

static void on_csta_event(void *u, const struct ct_csta_event *v)
{
	ct_rec_csta_event(&((struct ct_pipeline *)u)->rec, v);
}

static void on_rtp_stream(void *u, const struct ct_rtp_stream_view *v)
{
	ct_rec_rtp_stream(&((struct ct_pipeline *)u)->rec, v);
}

static void on_agent_state(void *u, const struct ct_agent_change *v)
{
	ct_rec_agent_state(&((struct ct_pipeline *)u)->rec, v);
}

/* A trigger: the recorder acts on it and writes its record (with what it did). */
static void on_recording(void *u, const struct ct_recording_view *v)
{
	struct ct_pipeline *p = u;
	if (p->recw)
		ct_recwire_trigger(p->recw, v);
	else
		ct_rec_recording(&p->rec, v);
}

static void on_call(void *u, const struct ct_call_view *v)
{
	struct ct_pipeline *p = u;
	ct_rec_call(&p->rec, v);
	if (p->recw)
		ct_recwire_call_end(p->recw, v->call, v->ts);
}

static void on_merged(void *u, ct_time_t ts, const char *into, const char *from)
{
	struct ct_pipeline *p = u;
	if (p->recw)
		ct_recwire_merged(p->recw, ts, into, from);
}

static void on_renamed(void *u, ct_time_t ts, const char *call, const char *from, const char *to)
{
	struct ct_pipeline *p = u;
	if (p->recw)
		ct_recwire_renamed(p->recw, ts, call, from, to);
}

void ct_pipeline_stats(struct ct_pipeline *p, ct_time_t ts, bool final)
{
	struct ct_stats_view v = { .ts = ts, .final = final, .ctr = p->ctr };
	v.nagents = ct_agents_summary(p->agents, ts, &v.agents); /* time per state up to ts */
	struct ct_stats_group rec;
	if (p->recw && p->cfg->record_dir[0]) {
		ct_recwire_stats(p->recw, &rec);
		v.groups = &rec;
		v.ngroups = 1;
	}
	ct_rec_stats(&p->rec, &v);
}

int ct_pipeline_reload(struct ct_pipeline *p, char *err, size_t errlen)
{
	return p->recw ? ct_recwire_reload(p->recw, p->cap.now, err, errlen) : CT_OK;
}

int ct_pipeline_init(struct ct_pipeline *p, const struct ct_config *cfg, const struct ct_hashkey *key,
		     struct ct_counters *ctr, struct ct_outputs *out, char *err, size_t errlen)
{
	memset(p, 0, sizeof(*p));
	if (errlen)
		snprintf(err, errlen, "out of memory setting up the capture tables (flow.max=%u)", cfg->cap.flow_max);
	p->cfg = cfg;
	p->ctr = ctr;
	p->out = out;
	p->sip = cfg->sip_enabled;
	p->rtp = cfg->rtp_enabled;
	p->csta = cfg->csta_enabled;
	ct_records_init(&p->rec, cfg->sensor, to_outputs, p);
	ct_records_set_privacy(&p->rec, &cfg->privacy, &cfg->numbers);
	p->rep = (struct ct_report){
		.user = p,
		.audit = on_audit,
		.sip_event = on_sip_event,
		.dialog_end = on_dialog_end,
		.csta_event = on_csta_event,
		.rtp_stream = on_rtp_stream,
		.agent_state = on_agent_state,
		.recording = on_recording,
		.call = on_call,
		.merged = on_merged,
		.renamed = on_renamed,
	};
	int rc = ct_media_new(&p->media, cfg->sip.max_calls * 4, key, ctr, &p->rep);
	if (rc)
		goto free_records;
	rc = ct_sipcalls_new(&p->calls, &cfg->sip, key, ctr, &p->rep, p->media);
	if (rc)
		goto free_media;
	rc = ct_cstalinks_new(&p->links, cfg->csta_max_links, ctr, &p->rep);
	if (rc)
		goto free_sipcalls;
	ct_cstalinks_set_audit(p->links, cfg->csta_response_timeout, cfg->csta_dup_window);
	ct_cstalinks_set_monitor_caps(p->links, cfg->csta_max_monitors, cfg->csta_max_monitors_total);
	struct ct_calls_cfg ccfg = cfg->calls;
	ccfg.rtp = cfg->rtp_enabled;
	ccfg.pause_on_hold = cfg->record_pause_on_hold;
	ccfg.hooks.user = p;
	ccfg.hooks.number_norm = hook_number_norm;
	ccfg.hooks.record_device = hook_record_device;
	ccfg.hooks.pause_device = hook_pause_device;
	ccfg.hooks.agent_state = hook_agent_state;
	ccfg.hooks.agent_call = hook_agent_call;
	ccfg.hooks.agent_id = hook_agent_id;
	ccfg.hooks.csta_call_over = hook_csta_call_over;
	rc = ct_calls_new(&p->calls_joined, &ccfg, key, ctr, &p->rep);
	if (rc)
		goto free_links;
	rc = ct_agents_new(&p->agents, cfg->agents_max, key, ctr, &p->rep);
	if (rc)
		goto free_calls;
	ct_sipcalls_set_calls(p->calls, p->calls_joined);
	ct_cstalinks_set_calls(p->links, p->calls_joined);
	ct_cstalinks_set_agents(p->links, p->agents);
	static const struct ct_capture_ops ops = {
		.udp = on_udp, .tcp_classify = on_tcp, .flow_close = on_flow_close, .clock = on_clock,
		.clock_jump = on_clock_jump, .udp_fast = on_udp_fast, .udp_fast_commit = on_udp_fast_commit,
	};
	rc = ct_capture_init(&p->cap, &cfg->cap, key, ctr, &ops, p);
	if (rc)
		goto free_agents;
	struct ct_recwire_env env = { cfg, &p->rec, &p->rep, p->media, &p->cap, ctr, key };
	if (errlen)
		snprintf(err, errlen, "out of memory setting up the recorder");
	rc = ct_recwire_new(&p->recw, &env, err, errlen);
	if (rc)
		goto free_capture;
	return CT_OK;

free_capture:
	ct_capture_free(&p->cap);
free_agents:
	ct_agents_free(p->agents);
free_calls:
	ct_calls_free(p->calls_joined, 0);
free_links:
	ct_cstalinks_free(p->links);
free_sipcalls:
	ct_sipcalls_free(p->calls, 0);
free_media:
	ct_media_free(p->media);
free_records:
	ct_records_free(&p->rec);
	return rc;
}

ct_time_t ct_pipeline_finish(struct ct_pipeline *p)
{
	if (p->finished)
		return p->end;
	ct_capture_flush(&p->cap); /* frames held for the clock's decision */
	ct_time_t now = p->cap.now;
	p->finished = true;
	p->end = now;
	ct_capture_free(&p->cap);       /* TCP streams deliver what they hold; RTP flows report */
	ct_sipcalls_free(p->calls, now); /* dialog_end for every call still open */
	p->calls = NULL;
	span_audit(p, now);
	ct_cstalinks_end(p->links, now); /* blind periods still open end with the input */
	ct_calls_free(p->calls_joined, now); /* a call record for every call still open (the links
						the calls' requests went over are still there) */
	p->calls_joined = NULL; /* a SIGHUP while http.linger_s keeps ctitap up must not reach them */
	ct_cstalinks_free(p->links);
	p->links = NULL;
	ct_recwire_close(p->recw, now);      /* every file finished: the stops' records */
	ct_media_free(p->media);
	p->media = NULL;
	return now;
}

ct_time_t ct_pipeline_free(struct ct_pipeline *p)
{
	ct_time_t now = ct_pipeline_finish(p);
	ct_agents_free(p->agents);       /* last: the calls released above may still report to it */
	p->agents = NULL;
	ct_recwire_free(p->recw, now);
	p->recw = NULL;
	ct_records_free(&p->rec);
	ct_csta_xml_free(p->csta_xml);
	p->csta_xml = NULL;
	return now;
}
