/* pipeline.c - glue between the capture layer and the SIP, SDP and RTP layers above it. */
#include "pipeline.h"

#include <string.h>

#include "../decoders/sip_stream.h"
#include "../util/log.h"

/* f->app of a UDP flow that carries SIP (RTP flows carry the media module's state). */
static const uint32_t sip_udp_mark = 0x53495055u;

static void on_sip(void *user, const struct ct_sip_msg *m, const struct ct_sip_meta *meta)
{
	struct ct_pipeline *p = user;
	ct_sipcalls_message(p->calls, m, meta);
}

static bool looks_sip(const struct ct_pkt *pk)
{
	/* a start line begins with an upper-case method or "SIP/2.0"; RTP begins with 0x80.. */
	return pk->dlen >= 12 && pk->data[0] >= 'A' && pk->data[0] <= 'Z' && ct_sip_is_start_line(pk->data, pk->dlen);
}

static void on_udp(void *user, struct ct_capture *c, struct ct_flow *f, int dir, const struct ct_pkt *pk)
{
	(void)c;
	struct ct_pipeline *p = user;
	bool sip_flow = f->app == &sip_udp_mark;
	if (sip_flow || (!f->app && looks_sip(pk))) {
		if (pk->dlen <= 4 && (pk->dlen == 0 || pk->data[0] == '\r' || pk->data[0] == '\n'))
			return; /* CRLF keep-alive (RFC 5626 section 4.4.1) */
		if (ct_sip_parse(pk->data, pk->dlen, false, &p->msg) != CT_SIP_OK) {
			CT_COUNT_LOG(p->ctr->sip_bad, "malformed SIP datagram skipped");
			return;
		}
		f->app = (void *)&sip_udp_mark;
		p->ctr->sip_messages++;
		struct ct_sip_meta meta = { pk->ts, pk->proto == 132 ? CT_SIP_SCTP : CT_SIP_UDP, pk->src, pk->dst,
					    pk->sport, pk->dport, f->id };
		ct_sipcalls_message(p->calls, &p->msg, &meta);
		return;
	}
	ct_media_udp(p->media, f, dir, pk);
}

static const struct ct_stream_parser *on_tcp(void *user, struct ct_flow *f, const struct ct_pkt *pk, void **st)
{
	(void)pk;
	struct ct_pipeline *p = user;
	*st = ct_sip_stream_new(f, on_sip, p, p->ctr, &p->msg);
	return *st ? &ct_sip_stream_parser : NULL;
}

static void on_flow_close(void *user, struct ct_flow *f, enum ct_flow_end why)
{
	(void)why;
	struct ct_pipeline *p = user;
	if (ct_media_owns(f))
		ct_media_flow_close(p->media, f, p->cap.now);
	f->app = NULL;
}

static void on_clock(void *user, ct_time_t now)
{
	struct ct_pipeline *p = user;
	ct_sipcalls_expire(p->calls, now);
	if (p->on_second)
		p->on_second(p->user, now);
}

int ct_pipeline_init(struct ct_pipeline *p, const struct ct_config *cfg, const struct ct_hashkey *key,
		     struct ct_counters *ctr, struct ct_outputs *out)
{
	memset(p, 0, sizeof(*p));
	p->ctr = ctr;
	ct_json_init(&p->em.json);
	p->em.sensor = cfg->sensor;
	p->em.out = out;
	int rc = ct_media_new(&p->media, cfg->sip.max_calls * 4, key, ctr, &p->em);
	if (rc)
		return rc;
	rc = ct_sipcalls_new(&p->calls, &cfg->sip, key, ctr, &p->em, p->media);
	if (rc) {
		ct_media_free(p->media);
		return rc;
	}
	static const struct ct_capture_ops ops = {
		.udp = on_udp, .tcp_classify = on_tcp, .flow_close = on_flow_close, .clock = on_clock,
	};
	rc = ct_capture_init(&p->cap, &cfg->cap, key, ctr, &ops, p);
	if (rc) {
		ct_sipcalls_free(p->calls, 0);
		ct_media_free(p->media);
	}
	return rc;
}

ct_time_t ct_pipeline_free(struct ct_pipeline *p)
{
	ct_time_t now = p->cap.now;
	ct_capture_free(&p->cap);       /* TCP streams deliver what they hold; RTP flows report */
	ct_sipcalls_free(p->calls, now); /* dialog_end for every call still open */
	ct_media_free(p->media);
	ct_json_free(&p->em.json);
	return now;
}
