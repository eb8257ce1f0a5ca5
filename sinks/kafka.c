/* kafka.c - records to Apache Kafka through librdkafka, journalled through spool.c.
 *
 * Topics `<prefix>.events|calls|recording|audit|stats`, key = the record's call id (or the
 * sensor name), headers type, v, sensor. Defaults: zstd, idempotent producer, acks=all,
 * message.timeout.ms=0 (retry until delivered): a broker that is away is waited for, with
 * the records safe in the journal meanwhile. librdkafka's QUEUE_FULL is backpressure: the
 * record stays in the journal and is produced from there when the queue drains.
 * Every kafka.* setting but ctitap's own (topic.prefix, spool.dir, spool.max_mb,
 * exit_timeout_ms) goes to librdkafka with the "kafka." prefix removed; settings that weaken
 * delivery (acks=0 or 1, enable.idempotence=false) are warned about at start.
 *
 * A record the broker refuses for good (too large, not authorised, ...) is counted in
 * kafka_failed and written, with the reason, to `<kafka.spool.dir>/dead-letter.jsonl`
 * (kafka_dead_letter) before it leaves the journal; the run then ends with exit code 74, as it
 * does when the journal dropped (spool_dropped) or lost to corruption (spool_corrupt) records.
 *
 * End of a run: drain() waits up to kafka.exit_timeout_ms for every journalled record to be
 * delivered, so that the final stats record counts them; that record is then produced too and
 * close() gives it what is left of the same window (the record itself is counted in the next
 * run's kafka_delivered when it is left in the journal).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#include "../util/clock.h"
#include "../util/json.h"
#include "../util/log.h"
#include "sink.h"
#include "spool.h"

struct kafka {
	rd_kafka_t *rk;
	rd_kafka_topic_t *topic[CT_REC_NTYPES];
	struct ct_spool *spool;
	struct ct_counters *ctr;
	char sensor[128];
	unsigned exit_timeout_ms;
	uint64_t deadline_ms;       /* end of the exit window, set by drain() (0: not yet) */
	unsigned brokers_up;        /* from librdkafka's latest statistics */
	bool brokers_known;
	uint64_t backlog_logged;
	char dead_path[4096];       /* dead-letter file, opened on first use */
	int dead_fd;
	struct ct_json dead;        /* its line being built */
	uint64_t lost;              /* records of this run neither delivered nor kept */
	uint64_t failed;            /* records refused by the broker */
	bool full;                  /* librdkafka's queue was full: the backlog waits for room */
	unsigned writes;            /* records since the last group was produced */
};

/* A record the broker will never take: one line in the dead-letter file (the refused record
 * as it was, with the topic, key and the broker's reason), then it may leave the journal.
 * False if the line could not be written (the record is then lost, and counted). */
static bool dead_letter(struct kafka *k, const char *topic, const void *key, size_t keylen, const void *value,
			size_t len, const char *why)
{
	if (k->dead_fd < 0) {
		k->dead_fd = open(k->dead_path, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0640);
		if (k->dead_fd < 0) {
			ct_err("kafka: cannot open the dead-letter file %s: %s", k->dead_path, strerror(errno));
			return false;
		}
	}
	struct ct_json *j = &k->dead;
	ct_json_reset(j);
	ct_json_obj_begin(j);
	ct_json_kv_str(j, "error", why);
	ct_json_kv_str(j, "topic", topic);
	ct_json_kv_text(j, "key", key, keylen, keylen);
	ct_json_key(j, "record");
	ct_json_obj_end(j);
	if (j->err || j->len < 2)
		return false;
	/* the record is ctitap's own JSON object: it goes in as it is, in place of the "}" */
	j->len--;
	struct iovec_like {
		const void *p;
		size_t n;
	} parts[] = { { j->buf, j->len }, { value, len }, { "}\n", 2 } };
	for (size_t i = 0; i < CT_ARRAY_SIZE(parts); i++) {
		const char *p = parts[i].p;
		size_t n = parts[i].n;
		while (n) {
			ssize_t w = write(k->dead_fd, p, n);
			if (w <= 0) {
				if (w < 0 && errno == EINTR)
					continue;
				ct_err("kafka: cannot write the dead-letter file %s: %s", k->dead_path,
				       w < 0 ? strerror(errno) : "no space");
				return false;
			}
			p += w;
			n -= (size_t)w;
		}
	}
	k->ctr->kafka_dead_letter++;
	return true;
}

/* Refused for good: counted, kept in the dead-letter file, out of the journal. */
static void refused(struct kafka *k, const char *topic, const void *key, size_t keylen, const void *value, size_t len,
		    uint64_t seq, const char *why)
{
	k->ctr->kafka_failed++;
	k->failed++;
	if (ct_log_sample(k->ctr->kafka_failed))
		ct_err("kafka: record %" PRIu64 " to %s refused for good: %s (kept in %s; %" PRIu64 " so far)", seq, topic,
		       why, k->dead_path, k->ctr->kafka_failed);
	if (!dead_letter(k, topic, key, keylen, value, len, why)) {
		k->lost++;
		k->ctr->output_errors++;
	}
	if (seq != UINT64_MAX)
		ct_spool_ack(k->spool, seq);
}

static void kafka_dr(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
	(void)rk;
	struct kafka *k = opaque;
	uint64_t seq = (uint64_t)(uintptr_t)m->_private;
	switch (m->err) {
	case RD_KAFKA_RESP_ERR_NO_ERROR:
		k->ctr->kafka_delivered++;
		ct_spool_ack(k->spool, seq);
		break;
	case RD_KAFKA_RESP_ERR__PURGE_QUEUE:
	case RD_KAFKA_RESP_ERR__PURGE_INFLIGHT:
	case RD_KAFKA_RESP_ERR__MSG_TIMED_OUT:
	case RD_KAFKA_RESP_ERR__TIMED_OUT:
	case RD_KAFKA_RESP_ERR__TRANSPORT:
	case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
	case RD_KAFKA_RESP_ERR__FATAL:
	case RD_KAFKA_RESP_ERR__FENCED:
		/* not known to be delivered: it stays in the journal, and the next run delivers it
		 * (producing it again here duplicated records the broker had in fact written) */
		break;
	default:
		/* the broker will never take this record (too large, not authorised, ...) */
		refused(k, rd_kafka_topic_name(m->rkt), m->key, m->key_len, m->payload, m->len, seq,
			rd_kafka_err2str(m->err));
	}
}

/* librdkafka's statistics (statistics.interval.ms; served by rd_kafka_poll on the caller's
 * thread): how many real brokers (source configured or learned, not librdkafka's internal
 * one) are UP. The JSON is librdkafka's fixed layout: each broker object has "source" then
 * "state" (STATISTICS.md). */
static int kafka_stats(rd_kafka_t *rk, char *json, size_t len, void *opaque)
{
	(void)rk;
	(void)len;
	struct kafka *k = opaque;
	unsigned up = 0;
	for (const char *p = json; (p = strstr(p, "\"source\":\"")) != NULL;) {
		p += 10;
		bool real = strncmp(p, "configured\"", 11) == 0 || strncmp(p, "learned\"", 8) == 0;
		const char *st = strstr(p, "\"state\":\"");
		if (!st)
			break;
		if (real && strncmp(st + 9, "UP\"", 3) == 0)
			up++;
		p = st + 9;
	}
	k->brokers_up = up;
	k->brokers_known = true;
	return 0; /* librdkafka frees json */
}

static void kafka_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
	(void)rk;
	if (level <= 3)
		ct_err("kafka: %s: %s", fac, buf);
	else if (level <= 4)
		ct_warn("kafka: %s: %s", fac, buf);
	else
		ct_info("kafka: %s: %s", fac, buf);
}

/* Produces one record. CT_OK, CT_ELIMIT when librdkafka's queue is full, CT_EIO otherwise. */
static int kafka_produce(struct kafka *k, uint8_t type, const char *key, size_t keylen, const char *value,
			 size_t len, uint64_t seq)
{
	if (type >= CT_REC_NTYPES)
		type = CT_REC_EVENT;
	const char *tname = ct_rec_type_name((enum ct_rec_type)type);
	rd_kafka_resp_err_t err = rd_kafka_producev(
		k->rk, RD_KAFKA_V_RKT(k->topic[type]), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
		RD_KAFKA_V_VALUE((void *)(uintptr_t)value, len), RD_KAFKA_V_KEY(key, keylen),
		RD_KAFKA_V_HEADER("type", tname, (ssize_t)strlen(tname)), RD_KAFKA_V_HEADER("v", "1", 1),
		RD_KAFKA_V_HEADER("sensor", k->sensor, (ssize_t)strlen(k->sensor)),
		RD_KAFKA_V_OPAQUE((void *)(uintptr_t)seq), RD_KAFKA_V_END);
	if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
		k->ctr->kafka_produced++;
		return CT_OK;
	}
	if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
		k->ctr->kafka_queue_full++;
		k->full = true;
		return CT_ELIMIT;
	}
	if (err == RD_KAFKA_RESP_ERR__FATAL || err == RD_KAFKA_RESP_ERR__STATE) {
		/* the producer is unusable: the record stays in the journal for the next run */
		if (ct_log_sample(++k->backlog_logged))
			ct_err("kafka: cannot produce to %s: %s; records kept in the spool", rd_kafka_topic_name(k->topic[type]),
			       rd_kafka_err2str(err));
		return CT_EIO;
	}
	refused(k, rd_kafka_topic_name(k->topic[type]), key, keylen, value, len, seq, rd_kafka_err2str(err));
	return CT_EIO;
}

/* Produces journal records not yet handed to librdkafka, until caught up or queue full. */
static void kafka_pump(struct kafka *k)
{
	struct ct_spool_rec r;
	int rc;
	while ((rc = ct_spool_next(k->spool, &r)) == 1) {
		if (kafka_produce(k, r.type, r.key, r.keylen, r.value, r.len, r.seq) == CT_ELIMIT) {
			ct_spool_unread(k->spool);
			break;
		}
	}
	if (rc < 0 && ct_log_sample(++k->backlog_logged))
		ct_err("kafka: cannot read the spool journal: %s", ct_strerror(rc));
}

/* Records are produced in groups of KAFKA_GROUP (and at every poll): one write of the journal
 * to the OS for the group, then each record from the journal's memory (spool.h). */
#define KAFKA_GROUP 64

static int kafka_write(void *st, const struct ct_record *r)
{
	struct kafka *k = st;
	const char *key = r->key ? r->key : k->sensor;
	uint64_t seq;
	int rc = ct_spool_append(k->spool, (uint8_t)r->type, key, strlen(key), r->json, r->len, &seq);
	if (rc) {
		/* no journal: still try to deliver, unprotected (lost if the broker is away too) */
		if (ct_log_sample(++k->backlog_logged))
			ct_err("kafka: cannot write the spool journal: %s; records produced without it", ct_strerror(rc));
		int prc = kafka_produce(k, (uint8_t)r->type, key, strlen(key), r->json, r->len, UINT64_MAX);
		if (prc == CT_ELIMIT) {
			k->lost++;
			k->ctr->output_errors++;
		}
		return prc == CT_OK ? CT_OK : CT_EIO;
	}
	/* delivery reports every KAFKA_GROUP records too (one poll per record cost more than the
	 * produce); a full queue is tried again once reports made room */
	if (++k->writes >= KAFKA_GROUP) {
		k->writes = 0;
		if (rd_kafka_poll(k->rk, 0) > 0)
			k->full = false;
		if (!k->full)
			kafka_pump(k);
	}
	return CT_OK;
}

static int kafka_poll(void *st)
{
	struct kafka *k = st;
	rd_kafka_poll(k->rk, 0);
	k->writes = 0;
	k->full = false;
	kafka_pump(k);
	return ct_spool_sync(k->spool);
}

static int kafka_flush(void *st)
{
	return kafka_poll(st);
}

/* Waits until every journalled record is delivered or the exit window is over. */
static void kafka_wait(struct kafka *k)
{
	while (ct_spool_pending(k->spool) > 0 && ct_mono_ms() < k->deadline_ms) {
		kafka_pump(k);
		rd_kafka_poll(k->rk, 50);
		ct_spool_sync(k->spool);
	}
}

static int kafka_drain(void *st)
{
	struct kafka *k = st;
	k->deadline_ms = ct_mono_ms() + k->exit_timeout_ms;
	kafka_wait(k);
	return CT_OK;
}

static int kafka_close(void *st)
{
	struct kafka *k = st;
	if (!k->deadline_ms) /* closed without drain(): the window starts now */
		k->deadline_ms = ct_mono_ms() + k->exit_timeout_ms;
	kafka_wait(k); /* the final stats record gets what is left of the window */
	uint64_t left = ct_spool_pending(k->spool);
	if (left)
		ct_warn("kafka: %" PRIu64 " records not delivered within kafka.exit_timeout_ms; kept in the spool for the "
			"next run", left);
	rd_kafka_purge(k->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
	rd_kafka_poll(k->rk, 0);
	ct_spool_sync(k->spool);
	for (int i = 0; i < CT_REC_NTYPES; i++)
		if (k->topic[i])
			rd_kafka_topic_destroy(k->topic[i]);
	rd_kafka_destroy(k->rk);
	ct_spool_close(k->spool);
	/* data lost by this run: refused records, and what the journal dropped or lost */
	int rc = CT_OK;
	if (k->failed || k->lost || k->ctr->spool_dropped || k->ctr->spool_corrupt) {
		ct_err("kafka: records lost to Kafka in this run: %" PRIu64 " refused by the broker (kept in %s), %" PRIu64
		       " dropped at kafka.spool.max_mb, %" PRIu64 " lost to a corrupt spool journal, %" PRIu64
		       " with neither journal nor broker", k->failed, k->dead_path, k->ctr->spool_dropped,
		       k->ctr->spool_corrupt, k->lost);
		rc = CT_EIO;
	}
	if (k->dead_fd >= 0)
		close(k->dead_fd);
	ct_json_free(&k->dead);
	free(k);
	return rc;
}

static void kafka_status(void *st, struct ct_sink_status *out)
{
	struct kafka *k = st;
	out->kafka = true;
	out->brokers_up = k->brokers_up;
	out->brokers_known = k->brokers_known;
	out->queued = (uint64_t)rd_kafka_outq_len(k->rk);
	out->spool_bytes = ct_spool_bytes(k->spool);
	out->spool_pending = ct_spool_pending(k->spool);
}

static const struct ct_sink_ops kafka_ops = {
	.name = "kafka",
	.write = kafka_write,
	.flush = kafka_flush,
	.poll = kafka_poll,
	.close = kafka_close,
	.status = kafka_status,
	.drain = kafka_drain,
};

/* Settings that weaken delivery are the user's choice, said out loud once. */
static void warn_weak(const struct ct_sink_cfg *cfg)
{
	for (unsigned i = 0; i < cfg->nkafka; i++) {
		const char *key = cfg->kafka[i].key + 6, *val = cfg->kafka[i].val;
		if ((strcmp(key, "acks") == 0 || strcmp(key, "request.required.acks") == 0) &&
		    (strcmp(val, "0") == 0 || strcmp(val, "1") == 0))
			ct_warn("kafka.%s=%s weakens delivery: %s (the default is all)", key, val,
				val[0] == '0' ? "records are not acknowledged, a broker can lose them unseen"
					      : "a record acknowledged by the leader alone is lost if it fails");
		if (strcmp(key, "enable.idempotence") == 0 && strcmp(val, "false") == 0)
			ct_warn("kafka.enable.idempotence=false weakens delivery: retries may duplicate or reorder "
				"records (the default is true)");
		if (strcmp(key, "message.timeout.ms") == 0 && strcmp(val, "0") != 0)
			ct_info("kafka.message.timeout.ms=%s: records not delivered in time stay in the spool for the next "
				"run", val);
	}
}

static bool conf_set(rd_kafka_conf_t *conf, const char *key, const char *val, char *err, size_t errlen)
{
	char e[512];
	rd_kafka_conf_res_t res = rd_kafka_conf_set(conf, key, val, e, sizeof(e));
	if (res == RD_KAFKA_CONF_UNKNOWN) {
		/* the value may be a secret (sasl.password): name the setting only */
		snprintf(err, errlen, "setting kafka.%s: librdkafka has no such property (%s)", key, e);
		return false;
	}
	if (res != RD_KAFKA_CONF_OK) {
		snprintf(err, errlen, "setting kafka.%s: %s", key, e);
		return false;
	}
	return true;
}

int ct_kafka_check_settings(const struct ct_sink_cfg *cfg, char *err, size_t errlen)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	if (!conf)
		return CT_ENOMEM;
	int rc = CT_OK;
	for (unsigned i = 0; i < cfg->nkafka && rc == CT_OK; i++)
		if (!conf_set(conf, cfg->kafka[i].key + 6, cfg->kafka[i].val, err, errlen))
			rc = CT_EINVAL;
	rd_kafka_conf_destroy(conf);
	return rc;
}

int ct_kafka_open(const char *brokers, const struct ct_sink_cfg *cfg, struct ct_counters *ctr,
		  const struct ct_sink_ops **ops, void **st, char *err, size_t errlen)
{
	struct kafka *k = calloc(1, sizeof(*k));
	if (!k)
		return CT_ENOMEM;
	k->ctr = ctr;
	k->exit_timeout_ms = cfg->kafka_exit_timeout_ms;
	k->dead_fd = -1;
	ct_json_init(&k->dead);
	snprintf(k->sensor, sizeof(k->sensor), "%s", cfg->sensor);
	if ((size_t)snprintf(k->dead_path, sizeof(k->dead_path), "%s/dead-letter.jsonl", cfg->kafka_spool_dir) >=
	    sizeof(k->dead_path)) {
		snprintf(err, errlen, "kafka.spool.dir: directory name too long");
		free(k);
		return CT_ECONFIG;
	}
	warn_weak(cfg);
	int rc = CT_ECONFIG;
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	char tname[512];
	if (!conf_set(conf, "bootstrap.servers", brokers, err, errlen) ||
	    !conf_set(conf, "enable.idempotence", "true", err, errlen) || !conf_set(conf, "acks", "all", err, errlen) ||
	    !conf_set(conf, "compression.type", "zstd", err, errlen) ||
	    !conf_set(conf, "message.timeout.ms", "0", err, errlen) ||
	    !conf_set(conf, "linger.ms", "20", err, errlen) ||
	    !conf_set(conf, "client.id", "ctitap", err, errlen) ||
	    !conf_set(conf, "statistics.interval.ms", "5000", err, errlen)) /* brokers up, for /metrics */
		goto fail_conf;
	for (unsigned i = 0; i < cfg->nkafka; i++)
		if (!conf_set(conf, cfg->kafka[i].key + 6, cfg->kafka[i].val, err, errlen))
			goto fail_conf;
	/* the journal before the producer: a spool directory that cannot be used stops the run
	 * before any connection is tried */
	rc = ct_spool_open(&k->spool, cfg->kafka_spool_dir, cfg->kafka_spool_max, ctr, err, errlen);
	if (rc != CT_OK)
		goto fail_conf;
	rc = CT_ECONFIG;
	rd_kafka_conf_set_dr_msg_cb(conf, kafka_dr);
	rd_kafka_conf_set_stats_cb(conf, kafka_stats);
	rd_kafka_conf_set_log_cb(conf, kafka_log);
	rd_kafka_conf_set_opaque(conf, k);
	char e[512];
	k->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, e, sizeof(e));
	if (!k->rk) {
		snprintf(err, errlen, "kafka: %s", e);
		goto fail_conf;
	}
	conf = NULL; /* owned by rk now */
	for (int i = 0; i < CT_REC_NTYPES; i++) {
		static const char *const suffix[] = { "events", "calls", "recording", "audit", "stats" };
		snprintf(tname, sizeof(tname), "%s.%s", cfg->kafka_prefix, suffix[i]);
		k->topic[i] = rd_kafka_topic_new(k->rk, tname, NULL);
		if (!k->topic[i]) {
			snprintf(err, errlen, "kafka topic %s: %s", tname, rd_kafka_err2str(rd_kafka_last_error()));
			goto fail;
		}
	}
	kafka_pump(k); /* what an earlier run left goes first */
	*ops = &kafka_ops;
	*st = k;
	return CT_OK;
fail_conf:
	if (conf)
		rd_kafka_conf_destroy(conf);
fail:
	for (int i = 0; i < CT_REC_NTYPES; i++)
		if (k->topic[i])
			rd_kafka_topic_destroy(k->topic[i]);
	if (k->rk)
		rd_kafka_destroy(k->rk);
	ct_spool_close(k->spool);
	ct_json_free(&k->dead);
	free(k);
	return rc;
}
