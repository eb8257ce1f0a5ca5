/* pipeline.h - ctitap's per-packet path assembled: capture -> SIP/RTP decoders ->
 * SIP calls and media -> records. One pipeline per capture thread; no globals. */
#ifndef CT_PIPELINE_H
#define CT_PIPELINE_H

#include "../capture/capture.h"
#include "../correlator/agents.h"
#include "../correlator/calls.h"
#include "../correlator/cstalink.h"
#include "../correlator/media.h"
#include "../correlator/sipcall.h"
#include "../decoders/csta_xml.h"
#include "../decoders/sip.h"
#include "../records/records.h"
#include "../sinks/sink.h"
#include "config.h"
#include "recwire.h"

struct ct_pipeline {
	struct ct_capture cap;
	struct ct_counters *ctr;
	struct ct_records rec;          /* the records layer: views -> JSON records */
	struct ct_report rep;           /* the correlator's hooks, bound to rec and the outputs */
	struct ct_outputs *out;
	struct ct_sipcalls *calls;
	struct ct_media *media;
	struct ct_cstalinks *links;
	struct ct_calls *calls_joined;  /* customer calls across CSTA and SIP */
	struct ct_agents *agents;       /* agent state timelines; read by the stats records */
	uint64_t second;                /* the packet-time second of the last per-second work */
	struct ct_sip_msg msg;          /* scratch for every SIP parse */
	struct ct_csta_msg csta_msg;    /* scratch for uaCSTA bodies */
	struct ct_csta_xml *csta_xml;   /* their decoder, made at the first one (owned) */
	bool sip, rtp, csta;            /* sip.enabled, rtp.enabled, csta.enabled */
	const struct ct_config *cfg;    /* numbers.* and record.* (the correlator's hooks) */
	uint64_t span_reported;         /* span_dups already in a span_duplicate audit */
	ct_time_t span_since;           /* start of the period the next one sums up */
	struct ct_recwire *recw;        /* the recorder wired to the triggers (owned) */
	ct_time_t rec_tick_at;          /* packet time of its next tick */
	bool cur_reassembled;           /* the datagram being handled came from IP fragments */
	bool finished;                  /* ct_pipeline_finish() ran, at packet time `end` */
	ct_time_t end;
	void (*on_second)(void *user, ct_time_t now); /* the application's own timers */
	void *user;
};

/* cfg, key, ctr and out are borrowed and must outlive the pipeline. With record.dir set the
 * recorder is opened (recwire.h): its failure is returned with err saying why. */
int ct_pipeline_init(struct ct_pipeline *p, const struct ct_config *cfg, const struct ct_hashkey *key,
		     struct ct_counters *ctr, struct ct_outputs *out, char *err, size_t errlen);
/* SIGHUP: the recorder follows record.* (recwire.h); its error in err. */
int ct_pipeline_reload(struct ct_pipeline *p, char *err, size_t errlen);
/* The stats record at packet time ts (final: the last one of the run), with every counter and
 * each agent's time per state. */
void ct_pipeline_stats(struct ct_pipeline *p, ct_time_t ts, bool final);
/* End of input: ends every flow and call (their records are written), finishes every
 * recording's files (their records too), and frees them. What the final stats record reads
 * (p->agents, the recorder's counters) stays until ct_pipeline_free(). Returns the packet time
 * of the newest packet seen. */
ct_time_t ct_pipeline_finish(struct ct_pipeline *p);
/* ct_pipeline_finish() if it has not run, then frees everything. Returns the packet time of
 * the newest packet seen. */
ct_time_t ct_pipeline_free(struct ct_pipeline *p);

#endif
