/* outputs.c - fan-out of records to the configured sinks. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../util/clock.h"
#include "../util/log.h"
#include "sink.h"

int ct_outputs_add(struct ct_outputs *o, const char *spec, const struct ct_sink_cfg *cfg, char *err, size_t errlen)
{
	if (o->n >= CT_MAX_SINKS) {
		snprintf(err, errlen, "at most %d outputs", CT_MAX_SINKS);
		return CT_ELIMIT;
	}
	struct ct_sink *s = &o->sink[o->n];
	memset(s, 0, sizeof(*s));
	snprintf(s->spec, sizeof(s->spec), "%s", spec);
	int rc;
	if (strncmp(spec, "jsonl:", 6) == 0 && spec[6]) {
		rc = ct_jsonl_open(spec + 6, cfg, o->ctr, &s->ops, &s->st, err, errlen);
	} else if (strncmp(spec, "kafka:", 6) == 0 && spec[6]) {
		rc = ct_kafka_open(spec + 6, cfg, o->ctr, &s->ops, &s->st, err, errlen);
	} else {
		snprintf(err, errlen, "unknown output '%s' (expected jsonl:PATH or kafka:BROKERS)", spec);
		return CT_EINVAL;
	}
	if (rc == CT_OK)
		o->n++;
	return rc;
}

int ct_outputs_add_sink(struct ct_outputs *o, const struct ct_sink_ops *ops, void *st, const char *spec)
{
	if (o->n >= CT_MAX_SINKS)
		return CT_ELIMIT;
	struct ct_sink *s = &o->sink[o->n++];
	memset(s, 0, sizeof(*s));
	s->ops = ops;
	s->st = st;
	snprintf(s->spec, sizeof(s->spec), "%s", spec);
	return CT_OK;
}

/* A write to standard output failed with EPIPE: its reader (`| head`) is done. As Unix
 * tools end quietly then, the sink is not written again, nothing is logged or counted, and
 * the run is asked to end. */
static bool reader_went_away(struct ct_outputs *o, struct ct_sink *s, int rc)
{
	if (ct_errno(rc) != EPIPE || strcmp(s->spec, "jsonl:-") != 0)
		return false;
	s->gone = true;
	o->reader_gone = true;
	return true;
}

void ct_outputs_emit(struct ct_outputs *o, const struct ct_record *r)
{
	for (unsigned i = 0; i < o->n; i++) {
		struct ct_sink *s = &o->sink[i];
		if (s->gone)
			continue;
		int rc = s->ops->write(s->st, r);
		if (rc && reader_went_away(o, s, rc))
			continue;
		if (rc && ct_log_sample(++s->errors))
			ct_err("output %s: write failed: %s (%lu times so far)", s->spec, ct_strerror(rc), s->errors);
	}
	if (o->ctr)
		o->ctr->records++;
}

void ct_outputs_poll(struct ct_outputs *o)
{
	uint64_t now = ct_mono_ms();
	if (now - o->last_flush_ms >= (o->flush_ms ? o->flush_ms : 1000)) {
		ct_outputs_flush(o);
		o->last_flush_ms = now;
	}
	for (unsigned i = 0; i < o->n; i++) {
		struct ct_sink *s = &o->sink[i];
		if (s->ops->poll && s->ops->poll(s->st) != CT_OK && ct_log_sample(++s->errors))
			ct_err("output %s: background work failed", s->spec);
	}
}

void ct_outputs_drain(struct ct_outputs *o)
{
	for (unsigned i = 0; i < o->n; i++) {
		struct ct_sink *s = &o->sink[i];
		if (s->gone)
			continue;
		int rc = s->ops->drain ? s->ops->drain(s->st) : s->ops->flush(s->st);
		if (rc && reader_went_away(o, s, rc))
			continue;
		if (rc && ct_log_sample(++s->errors))
			ct_err("output %s: %s", s->spec, ct_strerror(rc));
	}
}

void ct_outputs_flush(struct ct_outputs *o)
{
	for (unsigned i = 0; i < o->n; i++) {
		struct ct_sink *s = &o->sink[i];
		if (s->gone)
			continue;
		int rc = s->ops->flush(s->st);
		if (rc && reader_went_away(o, s, rc))
			continue;
		if (rc && ct_log_sample(++s->errors))
			ct_err("output %s: flush failed: %s", s->spec, ct_strerror(rc));
	}
}

int ct_outputs_reopen(struct ct_outputs *o)
{
	int first = CT_OK;
	for (unsigned i = 0; i < o->n; i++) {
		struct ct_sink *s = &o->sink[i];
		if (s->gone || !s->ops->reopen)
			continue;
		int rc = s->ops->reopen(s->st);
		if (rc && !reader_went_away(o, s, rc)) {
			ct_err("output %s: cannot reopen: %s", s->spec, ct_strerror(rc));
			if (!first)
				first = rc;
		}
	}
	return first;
}

int ct_outputs_close(struct ct_outputs *o)
{
	int first = CT_OK;
	for (unsigned i = 0; i < o->n; i++) {
		struct ct_sink *s = &o->sink[i];
		/* a sink reports at its close what it lost, and says so; failures it recovered from (a
		 * disk full for a while, a broker away) are counted, not errors of the run */
		int rc = s->ops->close(s->st);
		if (s->gone || (rc && reader_went_away(o, s, rc)))
			continue; /* its reader left; what it could not take is no error of ours */
		if (rc && !first)
			first = rc;
	}
	o->n = 0;
	return first;
}
