/* sink.h - where records go. Every record is offered to every configured output.
 *
 * A record is one JSON object (no trailing newline) plus the metadata a sink may route
 * on. The bytes are borrowed for the duration of the write call only.
 */
#ifndef CT_SINK_H
#define CT_SINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../records/record.h"
#include "../util/counters.h"

/* A sink's state for monitoring (app/monitor.c); zero where it does not apply. */
struct ct_sink_status {
	bool kafka;              /* the fields below are a Kafka sink's */
	unsigned brokers_up;     /* brokers librdkafka holds a connection to (from its statistics) */
	bool brokers_known;      /* its statistics came at least once */
	uint64_t queued;         /* messages in librdkafka's queues, in flight included */
	uint64_t spool_bytes;    /* size of the spool journal on disk */
	uint64_t spool_pending;  /* records in the journal not yet acknowledged */
};

struct ct_sink_ops {
	const char *name;
	/* Returns CT_OK or a negative error (counted by the caller; the sink keeps going). */
	int (*write)(void *st, const struct ct_record *r);
	/* Makes what was written visible to readers (closes a compressed frame). */
	int (*flush)(void *st);
	/* Called about every 100 ms: background work (delivery reports, journal sync). May be NULL. */
	int (*poll)(void *st);
	/* Flushes and frees st. Returns the first error seen, or CT_EIO if records were lost. */
	int (*close)(void *st);
	/* SIGHUP: files closed and opened again under their names (logrotate). May be NULL. */
	int (*reopen)(void *st);
	/* What the monitoring endpoint reports of the sink (fills the fields it knows). May be NULL. */
	void (*status)(void *st, struct ct_sink_status *out);
	/* End of the run, before the final stats record: deliver what can be delivered (Kafka
	 * waits for the broker up to kafka.exit_timeout_ms), so the record counts it. NULL: flush. */
	int (*drain)(void *st);
};

struct ct_sink {
	const struct ct_sink_ops *ops;
	void *st;
	char spec[256];
	unsigned long errors;
	bool gone;               /* standard output whose reader went away (EPIPE): not written again */
};

#define CT_MAX_SINKS 8

/* A setting passed through verbatim (kafka.*); owned by the settings. */
struct ct_kv {
	char *key;
	char *val;
};

/* What the sinks take from the settings (app/config.h fills it). */
struct ct_sink_cfg {
	const char *sensor;
	int zstd_level;
	uint64_t rotate_bytes;     /* 0: no size rotation */
	unsigned rotate_s;         /* 0: no time rotation */
	const char *kafka_prefix;
	const char *kafka_spool_dir;
	size_t kafka_spool_max;
	unsigned kafka_exit_timeout_ms;
	const struct ct_kv *kafka; /* kafka.* pass-through settings, keys with the prefix */
	unsigned nkafka;
};

struct ct_outputs {
	struct ct_sink sink[CT_MAX_SINKS];
	unsigned n;
	struct ct_counters *ctr;
	unsigned flush_ms;       /* flush every output at least this often (0: 1000) */
	uint64_t last_flush_ms;
	bool reader_gone;        /* a jsonl:- output met EPIPE: the run should end, quietly (as with `| head`) */
};

/* Parses "jsonl:PATH" or "kafka:BROKERS" and opens it. Returns CT_OK, CT_EINVAL for an
 * unknown kind, CT_ECONFIG for a setting the sink refuses, or the sink's open error (CT_EIO
 * when it cannot be created, CT_EPERM); err says why. */
int ct_outputs_add(struct ct_outputs *o, const char *spec, const struct ct_sink_cfg *cfg, char *err, size_t errlen);
/* An output made elsewhere (the live call view's store): ops and st are borrowed until
 * ct_outputs_close(), which calls ops->close(st). spec names it in logs. CT_OK, or CT_ELIMIT
 * when CT_MAX_SINKS outputs are there already. */
int ct_outputs_add_sink(struct ct_outputs *o, const struct ct_sink_ops *ops, void *st, const char *spec);
/* End of the run, before the final stats record: every sink delivers what it can (drain). */
void ct_outputs_drain(struct ct_outputs *o);
/* Background work of every sink, and the periodic flush; call about every 100 ms. */
void ct_outputs_poll(struct ct_outputs *o);
/* Offers r to every sink. A sink counts the records it loses in output_errors itself. */
void ct_outputs_emit(struct ct_outputs *o, const struct ct_record *r);
void ct_outputs_flush(struct ct_outputs *o);
/* SIGHUP: every sink's reopen. Returns the first error (each is logged with its output). */
int ct_outputs_reopen(struct ct_outputs *o);
/* Closes every sink; returns the first error. */
int ct_outputs_close(struct ct_outputs *o);

/* jsonl.c */
int ct_jsonl_open(const char *path, const struct ct_sink_cfg *cfg, struct ct_counters *ctr,
		  const struct ct_sink_ops **ops, void **st, char *err, size_t errlen);
/* kafka.c */
/* Checks the kafka.* pass-through settings against librdkafka's own table, so a misspelt
 * property is refused at start-up even without a Kafka output. CT_EINVAL with err naming it. */
int ct_kafka_check_settings(const struct ct_sink_cfg *cfg, char *err, size_t errlen);
int ct_kafka_open(const char *brokers, const struct ct_sink_cfg *cfg, struct ct_counters *ctr,
		  const struct ct_sink_ops **ops, void **st, char *err, size_t errlen);

#endif
