/* emit.c - ctitap-emit: drives ctitap's outputs with a known stream of records, for the
 * sink tests and the output benchmark. Records are numbered n = first, first+1, ...; record
 * n has type n % 5 (event, call, recording, audit, stats), belongs to call "call-<n % K>"
 * (stats records to no call), carries "n" and a unique id, and is valid against schemas/.
 * Settings and outputs are ctitap's own (-o, -c, -X). */
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/clock.h"
#include "app/config.h"
#include "records/records.h"
#include "sinks/sink.h"
#include "util/json.h"
#include "util/log.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static bool parse_u64(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 10);
	if (!*s || *end)
		return false;
	*out = v;
	return true;
}

/* Record n, with packet time base + n ms. */
static void build(struct ct_json *j, const char *sensor, uint64_t n, uint64_t calls, const struct ct_counters *ctr,
		  char *callid, size_t callidlen)
{
	enum ct_rec_type type = (enum ct_rec_type)(n % 5);
	ct_time_t ts = 1767603600000000ULL + n * 1000u;
	snprintf(callid, callidlen, "call-%" PRIu64, n % calls);
	ct_json_reset(j);
	if (type == CT_REC_STATS) {
		ct_rec_open(j, type, sensor, ts, n);
		ct_json_kv_u64(j, "n", n);
		ct_rec_stats_fields(j, false, ctr);
		ct_json_key(j, "agents"); /* [], as ctitap writes with no agent seen */
		ct_json_arr_begin(j);
		ct_json_arr_end(j);
		ct_json_obj_end(j);
		callid[0] = '\0';
		return;
	}
	ct_rec_open(j, type, sensor, ts, n);
	ct_json_kv_str(j, "call", callid);
	ct_json_kv_u64(j, "n", n);
	switch (type) {
	case CT_REC_EVENT:
		ct_json_kv_str(j, "src", n % 2 ? "sip" : "csta");
		ct_json_kv_str(j, "name", n % 2 ? "invite" : "delivered");
		ct_json_kv_str(j, "device", "2001");
		break;
	case CT_REC_CALL:
		ct_json_kv_time(j, "start", ts - 60000000u);
		ct_json_kv_time(j, "answer", ts - 55000000u);
		ct_json_kv_time(j, "end", ts);
		ct_json_kv_str(j, "calling", "+4930123456");
		ct_json_kv_str(j, "called", "2001");
		ct_json_kv_str(j, "direction", "inbound");
		ct_json_kv_str(j, "disposition", "answered");
		ct_json_kv_u64(j, "ring_ms", 5000);
		ct_json_kv_u64(j, "talk_ms", 55000);
		ct_json_kv_u64(j, "hold_ms", 0);
		ct_json_kv_u64(j, "holds", 0);
		ct_json_kv_u64(j, "queue_ms", 4200);
		ct_json_key(j, "route_ms");
		ct_json_null(j);
		ct_json_kv_i64(j, "cti_lag_ms", 31);
		ct_json_key(j, "parties");
		ct_json_arr_begin(j);
		ct_json_obj_begin(j);
		ct_json_kv_str(j, "device", "2001");
		ct_json_kv_time(j, "alerted", ts - 60000000u);
		ct_json_kv_time(j, "answered", ts - 55000000u);
		ct_json_kv_time(j, "released", ts);
		ct_json_obj_end(j);
		ct_json_arr_end(j);
		ct_json_key(j, "transfers");
		ct_json_arr_begin(j);
		ct_json_arr_end(j);
		ct_json_key(j, "diversions");
		ct_json_arr_begin(j);
		ct_json_arr_end(j);
		ct_json_key(j, "conference");
		ct_json_null(j);
		ct_json_kv_str(j, "released_by", "2001");
		ct_json_kv_str(j, "cause", "normal_clearing");
		ct_json_key(j, "csta");
		ct_json_arr_begin(j);
		ct_json_obj_begin(j);
		ct_json_kv_str(j, "link", "pbx1");
		ct_json_kv_str(j, "call_id", "0042");
		ct_json_obj_end(j);
		ct_json_arr_end(j);
		ct_json_key(j, "sip");
		ct_json_arr_begin(j);
		ct_json_str(j, "a84b4c76e66710@pbx1");
		ct_json_arr_end(j);
		ct_json_key(j, "merged");
		ct_json_arr_begin(j);
		ct_json_arr_end(j);
		ct_json_key(j, "correlation");
		ct_json_obj_begin(j);
		ct_json_kv_str(j, "method", "shared_id");
		ct_json_kv_str(j, "evidence", "UCID 00FA080012345678");
		ct_json_obj_end(j);
		ct_json_key(j, "recording");
		ct_json_arr_begin(j);
		ct_json_arr_end(j);
		ct_json_key(j, "audit");
		ct_json_arr_begin(j);
		ct_json_arr_end(j);
		break;
	case CT_REC_RECORDING:
		ct_json_kv_str(j, "action", "start");
		ct_json_kv_str(j, "device", "2001");
		ct_json_kv_str(j, "reason", "answered");
		ct_json_key(j, "rtp");
		ct_json_arr_begin(j);
		ct_json_obj_begin(j);
		ct_json_kv_str(j, "ip", "10.1.1.10");
		ct_json_kv_u64(j, "port", 40000);
		ct_json_kv_str(j, "dir", "in");
		ct_json_obj_end(j);
		ct_json_arr_end(j);
		break;
	case CT_REC_AUDIT:
		ct_json_kv_str(j, "kind", "missing_event");
		ct_json_kv_str(j, "detail", "established without delivered");
		break;
	default:
		break;
	}
	ct_json_obj_end(j);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "count", required_argument, NULL, 'n' }, { "rate", required_argument, NULL, 'R' },
		{ "calls", required_argument, NULL, 'K' }, { "first", required_argument, NULL, 'F' },
		{ "stats", no_argument, NULL, 'S' },       { NULL, 0, NULL, 0 },
	};
	static struct ct_config cfg;
	static struct ct_counters ctr;
	struct ct_outputs out = { .ctr = &ctr, .flush_ms = 1000 };
	const char *outs[CT_MAX_SINKS];
	unsigned nout = 0;
	uint64_t count = 0, rate = 0, calls = 10, first = 0;
	bool stats = false;
	char err[1024];
	int opt;
	ct_config_init(&cfg);
	while ((opt = getopt_long(argc, argv, "o:c:X:q", longopts, NULL)) != -1) {
		switch (opt) {
		case 'o':
			if (nout < CT_MAX_SINKS)
				outs[nout++] = optarg;
			break;
		case 'c':
			if (ct_config_load(&cfg, optarg, err, sizeof(err))) {
				ct_err("%s", err);
				return 78;
			}
			break;
		case 'X':
			if (ct_config_set_arg(&cfg, optarg, err, sizeof(err))) {
				ct_err("%s", err);
				return 78;
			}
			break;
		case 'q': ct_log_set_level(CT_LOG_ERR); break;
		case 'n':
		case 'R':
		case 'K':
		case 'F': {
			uint64_t v;
			if (!parse_u64(optarg, &v) || (opt == 'K' && v == 0)) {
				ct_err("bad number '%s'", optarg);
				return 64;
			}
			*(opt == 'n' ? &count : opt == 'R' ? &rate : opt == 'K' ? &calls : &first) = v;
			break;
		}
		case 'S': stats = true; break;
		default:
			fprintf(stderr, "usage: ctitap-emit -o SPEC [-c FILE] [-X k=v] --count N [--rate R] [--calls K] "
					"[--first F] [--stats]\n");
			return 64;
		}
	}
	struct ct_sink_cfg scfg;
	ct_config_sink_cfg(&cfg, &scfg);
	out.flush_ms = cfg.flush_ms;
	for (unsigned i = 0; i < nout; i++) {
		if (ct_outputs_add(&out, outs[i], &scfg, err, sizeof(err)) != CT_OK) {
			ct_err("%s", err);
			return 73;
		}
	}
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	struct ct_json j;
	ct_json_init(&j);
	char callid[64];
	uint64_t t0 = ct_mono_us(), last_poll = t0;
	for (uint64_t i = 0; i < count && !stop; i++) {
		uint64_t n = first + i;
		if (rate) {
			uint64_t due = t0 + i * 1000000u / rate;
			while (!stop && ct_mono_us() < due) {
				struct timespec ts = { 0, 2000000 };
				nanosleep(&ts, NULL);
				if (ct_mono_us() - last_poll >= 100000) {
					ct_outputs_poll(&out);
					last_poll = ct_mono_us();
				}
			}
		}
		build(&j, cfg.sensor, n, calls, &ctr, callid, sizeof(callid));
		struct ct_record r = { (enum ct_rec_type)(n % 5), j.buf, j.len, callid[0] ? callid : NULL };
		ct_outputs_emit(&out, &r);
		if (ct_mono_us() - last_poll >= 100000) {
			ct_outputs_poll(&out);
			last_poll = ct_mono_us();
		}
	}
	int rc = ct_outputs_close(&out) == CT_OK ? 0 : 74;
	if (stats) {
		for (size_t i = 0; i < ct_counter_count; i++)
			fprintf(stderr, "  %-22s %12" PRIu64 "  %s\n", ct_counter_table[i].name,
				ct_counter_get(&ctr, &ct_counter_table[i]), ct_counter_table[i].desc);
	}
	ct_json_free(&j);
	ct_config_free(&cfg);
	return rc;
}
