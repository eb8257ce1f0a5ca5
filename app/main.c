/* main.c - the ctitap command: options in tcpdump's habits, settings, sources, outputs,
 * privileges, signals, the monitoring endpoint. Exit codes are listed in usage() and README.md.
 *
 * Signals only set flags; the main loop acts on them between batches of packets (app_tick):
 *   SIGHUP           outputs reopened (logrotate), record.* and numbers.* reread
 *   SIGTERM, SIGINT  the input ends there: calls written, final stats, Kafka drained
 *   SIGPIPE          ignored: a jsonl:- output whose reader left (EPIPE) ends the run quietly
 */
#define _GNU_SOURCE /* sched_getaffinity, CPU_COUNT */
#include <getopt.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../capture/capture.h"
#include "../capture/source.h"
#include "../capture/workers.h"
#include "../sinks/sink.h"
#include "../util/clock.h"
#include "../util/log.h"
#include "../web/view.h"
#include "config.h"
#include "http.h"
#include "monitor.h"
#include "pipeline.h"
#include "privs.h"

#ifndef CTITAP_VERSION
#define CTITAP_VERSION "0.0.0"
#endif

/* Exit codes (sysexits.h values, so scripts can tell the cases apart). */
enum {
	EXIT_OK = 0,
	EXIT_FAIL = 1,      /* out of memory or another internal failure */
	EXIT_USAGE = 64,    /* bad option or bad filter expression */
	EXIT_DATAERR = 65,  /* a capture file is corrupt, cut short or not a capture file */
	EXIT_NOINPUT = 66,  /* a capture file or interface does not exist */
	EXIT_CANTCREAT = 73,/* an output cannot be created, http.listen cannot be bound */
	EXIT_IOERR = 74,    /* writing an output failed */
	EXIT_NOPERM = 77,   /* permission denied (file or capture) */
	EXIT_CONFIG = 78,   /* unknown or malformed setting, unreadable settings file */
};

#define MAX_FILES 256

#ifndef CTITAP_DEFAULT_CONF
#define CTITAP_DEFAULT_CONF "/etc/ctitap/ctitap.conf"
#endif

/* set by the handlers, on whichever thread takes the signal (the workers' decoding thread), and
 * read on the main thread: atomics (lock-free, so async-signal-safe) */
static atomic_int stop_requested;
static atomic_int hup_requested;
static struct ct_source *running_source;

static void on_signal(int sig)
{
	(void)sig;
	atomic_store_explicit(&stop_requested, 1, memory_order_relaxed);
	if (running_source)
		ct_source_break(running_source); /* pcap_breakloop: sets libpcap's own flag */
}

static void on_hup(int sig)
{
	(void)sig;
	atomic_store_explicit(&hup_requested, 1, memory_order_relaxed);
}

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: ctitap [options] [-r FILE ...| -i IFACE] [BPF filter expression]\n"
		"Passive CTI tap: decodes CSTA and SIP/RTP from a mirror port and writes records.\n\n"
		"  -r FILE         read a pcap or pcapng file ('-' = stdin); repeat for several, read in order\n"
		"  -i IFACE        capture live on IFACE ('any' for all)\n"
		"  -o jsonl:PATH   write JSON lines to PATH ('-' = stdout, '.zst' suffix = zstd); repeatable\n"
		"  -c FILE         read settings from FILE (default: " CTITAP_DEFAULT_CONF " when it exists;\n"
		"                  $CTITAP_CONFIG names another, empty for none)\n"
		"  -X KEY=VALUE    set one setting (after -c); kafka.* keys go to librdkafka\n"
		"  -Z USER         same as -X run.user=USER: once the capture and outputs are open, run as USER\n"
		"                  with no capability\n"
		"  -s SNAPLEN      same as -X capture.snaplen=SNAPLEN (0: 262144)\n"
		"  -B MiB          same as -X capture.buffer_mb=MiB\n"
		"  -p              same as -X capture.promisc=false\n"
		"  -q              only errors on stderr\n"
		"  -v              more detail on stderr (-vv: each join and merge of calls)\n"
		"      --stats     print the counters for a person at the end (stderr)\n"
		"      --help-settings[=conf]  list every setting with its current value (conf: as a settings\n"
		"                  file, every setting commented out)\n"
		"      --html DIR FILE...  draw the calls of stored JSON-lines files (plain or .zst) as web\n"
		"                  pages: DIR/index.html and DIR/calls/<call id>.html\n"
		"      --version   print the version\n"
		"  -h, --help      this text\n"
		"  ctitap verify DIR [--pubkey FILE]      check a record.dir against its hash chain\n"
		"  ctitap decrypt [--salvage] KEY IN OUT  decrypt a recording (record.encrypt_to)\n"
		"  ctitap keygen sign|box PREFIX          write a signing (record.sign_key) or encryption key pair\n\n"
		"Without -r or -i, capture.interface is captured; without -o, output.jsonl and output.kafka are\n"
		"written, else records go to stdout as JSON lines.\n"
		"Signals: HUP reopens output files and rereads record.* and numbers.*; TERM and INT end the run\n"
		"cleanly (calls written, final stats, Kafka drained up to kafka.exit_timeout_ms).\n"
		"Exit codes: 0 ok (also when the reader of stdout went away); 1 internal failure; 64 bad option or\n"
		"filter; 65 corrupt or cut-short capture file; 66 no such file or interface; 73 cannot create\n"
		"output or listen on http.listen; 74 an output lost records; 77 permission denied (files, capture,\n"
		"privileges); 78 bad setting (unknown librdkafka property, unknown run.user).\n");
}

static int exit_for(int err)
{
	switch (err) {
	case CT_ENOENT: return EXIT_NOINPUT;
	case CT_EPERM: return EXIT_NOPERM;
	case CT_EFORMAT: return EXIT_DATAERR;
	case CT_EINVAL: return EXIT_USAGE;
	case CT_ENOMEM: return EXIT_FAIL;
	default: return EXIT_FAIL;
	}
}

struct app {
	struct ct_config cfg;
	struct ct_counters ctr;
	struct ct_outputs out;
	struct ct_pipeline pipe;
	ct_time_t next_stats;  /* packet time of the next periodic stats record */
	struct ct_http *http;  /* the monitoring endpoint, or NULL */
	struct ct_monitor mon;
	struct ct_view_store *view; /* the live call view's records (an output), with the endpoint */
	const char *cfgfile;   /* the settings file read, reread on SIGHUP (NULL: none) */
	const char **xargs;    /* -X settings, applied again after it */
	unsigned nx;
	struct ct_workers *workers; /* capture.workers >= 2 (capture/workers.h), else NULL */
};

static void emit_stats(struct app *a, ct_time_t ts, bool final);

/* Periodic stats records, on packet time so a replay writes the same ones. */
static void app_clock(void *user, ct_time_t now)
{
	struct app *a = user;
	if (!a->cfg.stats_interval_s)
		return;
	ct_time_t every = (ct_time_t)a->cfg.stats_interval_s * CT_USEC_PER_SEC;
	if (a->next_stats == 0 || now + every < a->next_stats) {
		/* first call, or the capture clock moved back (capture.h): schedule on its new time */
		a->next_stats = (now / every + 1) * every;
		return;
	}
	if (now >= a->next_stats) {
		emit_stats(a, a->next_stats, false);
		a->next_stats = (now / every + 1) * every;
	}
}

/* The CPUs the cpu.max of cgroup v2 directory dir allows ("QUOTA PERIOD"): 0 for "max", or
 * when there is none. */
static double cpu_max(const char *dir)
{
	char path[600], quota[32];
	unsigned long period = 0;
	snprintf(path, sizeof(path), "%s/cpu.max", dir);
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	double cpus = 0;
	if (fscanf(f, "%31s %lu", quota, &period) == 2 && period && strcmp(quota, "max") != 0)
		cpus = strtod(quota, NULL) / (double)period;
	fclose(f);
	return cpus;
}

/* The CPUs cgroup v2 quotas allow ctitap: the least cpu.max of its own cgroup
 * (/proc/self/cgroup: a systemd unit's CPUQuota=, a container's --cpus) and of those above it;
 * 0 when none is set or none can be read. */
static double cgroup_cpus(void)
{
	static const char root[] = "/sys/fs/cgroup";
	char dir[512], line[sizeof(dir) - sizeof(root)] = "";
	FILE *f = fopen("/proc/self/cgroup", "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f) && strncmp(line, "0::/", 4) != 0) /* the v2 hierarchy */
		line[0] = '\0';
	fclose(f);
	line[strcspn(line, "\n")] = '\0';
	snprintf(dir, sizeof(dir), "%s%s", root, line[0] ? line + 3 : "");
	double least = 0;
	size_t n = strlen(dir);
	while (n > sizeof(root) - 1) { /* up to the root, which has no cpu.max */
		dir[n] = '\0';
		double cpus = cpu_max(dir);
		if (cpus > 0 && (least == 0 || cpus < least))
			least = cpus;
		n = (size_t)(strrchr(dir, '/') - dir);
	}
	return least;
}

/* capture.workers = 0: two shards where ctitap may use two CPUs or more (its affinity, as a
 * cpuset or taskset gives it, and a cgroup's CPU quota), else one thread; one thread also
 * without RTP accounting, as signalling alone only loses to the hand-over between threads. Not
 * one shard a CPU: the decoding thread bounds the speed-up whatever their number
 * (docs/performance.md). */
static unsigned auto_workers(const struct ct_config *cfg)
{
	if (!cfg->rtp_enabled)
		return 1;
	cpu_set_t *set = CPU_ALLOC(CPU_SETSIZE * 4);
	size_t size = CPU_ALLOC_SIZE(CPU_SETSIZE * 4);
	int cpus = set && sched_getaffinity(0, size, set) == 0 ? CPU_COUNT_S(size, set) : 1;
	CPU_FREE(set);
	double quota = cgroup_cpus();
	return cpus >= 2 && (quota == 0 || quota >= 2) ? 2 : 1;
}

/* SIGHUP: record.* and numbers.* from the settings file (and -X again after it) into the
 * settings the running pipeline reads, between two packets: calls in progress are kept and
 * follow the new rules from their next moment on. A file that fails to read or parse changes
 * nothing. Other settings need a restart; a change to one is named in a warning. */
static void reload_settings(struct app *a)
{
	struct ct_config *fresh = malloc(sizeof(*fresh));
	char err[1024];
	if (!fresh) {
		ct_err("settings not reread: out of memory");
		a->mon.reload_failures++;
		return;
	}
	ct_config_init(fresh);
	int rc = a->cfgfile ? ct_config_load(fresh, a->cfgfile, err, sizeof(err)) : CT_OK;
	for (unsigned i = 0; rc == CT_OK && i < a->nx; i++)
		rc = ct_config_set_arg(fresh, a->xargs[i], err, sizeof(err));
	if (rc != CT_OK) {
		ct_err("settings not reread, those in force stay: %s", err);
		a->mon.reload_failures++;
		ct_config_free(fresh);
		free(fresh);
		return;
	}
	/* name what changed but cannot change now */
	char *now_txt = NULL, *new_txt = NULL;
	size_t now_len = 0, new_len = 0;
	FILE *f1 = open_memstream(&now_txt, &now_len), *f2 = open_memstream(&new_txt, &new_len);
	if (f1 && f2) {
		ct_config_print(&a->cfg, f1);
		ct_config_print(fresh, f2);
	}
	if (f1)
		fclose(f1);
	if (f2)
		fclose(f2);
	for (char *l1 = now_txt, *l2 = new_txt; l1 && l2 && *l1 && *l2;) {
		char *e1 = strchr(l1, '\n'), *e2 = strchr(l2, '\n');
		if (!e1 || !e2)
			break;
		*e1 = *e2 = '\0';
		char key[64] = "";
		sscanf(l1, "%63s", key);
		if (strcmp(l1, l2) != 0 && strncmp(key, "record.", 7) != 0 && strncmp(key, "numbers.", 8) != 0)
			ct_warn("setting %s changed: it takes effect at the next start", key);
		l1 = e1 + 1;
		l2 = e2 + 1;
	}
	free(now_txt);
	free(new_txt);
	memcpy(a->cfg.numbers_rules, fresh->numbers_rules, sizeof(a->cfg.numbers_rules));
	a->cfg.numbers = fresh->numbers;
	memcpy(a->cfg.record_devices_spec, fresh->record_devices_spec, sizeof(a->cfg.record_devices_spec));
	memcpy(a->cfg.record_exclude_spec, fresh->record_exclude_spec, sizeof(a->cfg.record_exclude_spec));
	a->cfg.record_devices = fresh->record_devices;
	a->cfg.record_exclude = fresh->record_exclude;
	memcpy(a->cfg.record_pause_devices_spec, fresh->record_pause_devices_spec,
	       sizeof(a->cfg.record_pause_devices_spec));
	a->cfg.record_pause_devices = fresh->record_pause_devices;
	a->cfg.record_pause_on_hold = fresh->record_pause_on_hold;
	a->cfg.calls.start_on_alert = fresh->calls.start_on_alert;
	/* the recorder's own: a change reopens it (recwire.h), recordings going on in new files
	 * (also with capture.workers: the serial walk feeds it, capture/workers.h) */
	memcpy(a->cfg.record_dir, fresh->record_dir, sizeof(a->cfg.record_dir));
	memcpy(a->cfg.record_pause_mode, fresh->record_pause_mode, sizeof(a->cfg.record_pause_mode));
	memcpy(a->cfg.record_sign_key, fresh->record_sign_key, sizeof(a->cfg.record_sign_key));
	memcpy(a->cfg.record_encrypt_to, fresh->record_encrypt_to, sizeof(a->cfg.record_encrypt_to));
	a->cfg.record_pcap = fresh->record_pcap;
	a->cfg.record_pcap_hold_kb = fresh->record_pcap_hold_kb;
	a->cfg.record_min_free_mb = fresh->record_min_free_mb;
	a->cfg.record_max_mb = fresh->record_max_mb;
	a->cfg.record_retention_days = fresh->record_retention_days;
	a->cfg.record_max_active = fresh->record_max_active;
	a->cfg.record_jitter_ms = fresh->record_jitter_ms;
	a->cfg.record_silence_s = fresh->record_silence_s;
	if (a->pipe.calls_joined)
		ct_calls_set_recording(a->pipe.calls_joined, fresh->record_pause_on_hold, fresh->calls.start_on_alert);
	ct_config_free(fresh);
	free(fresh);
	if (ct_pipeline_reload(&a->pipe, err, sizeof(err)) != CT_OK) {
		ct_err("recorder not reopened, recording is off until a good reload: %s", err);
		a->mon.reload_failures++;
		return;
	}
	a->mon.reloads++;
	ct_info("record.* and numbers.* reread from %s", a->cfgfile ? a->cfgfile : "the command line");
}

/* About every 100 ms of wall time, between batches of packets: the outputs' background work,
 * what the signal handlers asked for, the monitoring endpoint. */
static void app_tick(void *arg)
{
	struct app *a = arg;
	if (atomic_exchange_explicit(&hup_requested, 0, memory_order_relaxed)) {
		ct_info("SIGHUP: reopening the output files, rereading record.* and numbers.*");
		ct_outputs_reopen(&a->out);
		reload_settings(a);
	}
	ct_outputs_poll(&a->out);
	if (a->out.reader_gone && !atomic_load_explicit(&stop_requested, memory_order_relaxed)) {
		atomic_store_explicit(&stop_requested, 1, memory_order_relaxed); /* `| head`: the reader has what it wanted */
		if (running_source)
			ct_source_break(running_source);
	}
	ct_http_poll(a->http);
}

static void print_stats(const struct ct_counters *ctr)
{
	fprintf(stderr, "ctitap counters:\n");
	for (size_t i = 0; i < ct_counter_count; i++) {
		uint64_t v = ct_counter_get(ctr, &ct_counter_table[i]);
		if (v || i == 0)
			fprintf(stderr, "  %-22s %12llu  %s\n", ct_counter_table[i].name, (unsigned long long)v,
				ct_counter_table[i].desc);
	}
}

static void emit_stats(struct app *a, ct_time_t ts, bool final)
{
	ct_pipeline_stats(&a->pipe, ts, final);
}

/* The first capture, opened before privileges are dropped (the rest are opened as the user,
 * as tcpdump does with its -V files); its error is reported where the loop reaches it. */
struct first_source {
	struct ct_source src;
	int rc;
	char err[1024];
};

static int open_source(struct ct_source *src, const char *iface, const char *file, const struct ct_config *cfg,
		       char *err, size_t errlen)
{
	int rc = iface ? ct_source_open_live(src, iface, &cfg->live, err, errlen)
		       : ct_source_open_file(src, file, err, errlen);
	if (rc == CT_OK)
		src->replay_speed = cfg->replay_speed;
	return rc;
}

/* The monitoring endpoint: on when http.listen is set, for a live capture (by default on
 * loopback) or, for capture files, only when set explicitly. A default address that is taken
 * (another ctitap) is a warning; an explicit one an error. */
static int start_http(struct app *a, bool live, char *err, size_t errlen)
{
	if (!a->cfg.http_listen[0] || (!live && !a->cfg.http_listen_set))
		return CT_OK;
	struct ct_http_cfg hc = { a->cfg.http_listen, a->cfg.http_tls_cert, a->cfg.http_tls_key, a->cfg.http_user,
				  a->cfg.http_password_file };
	int rc = ct_http_start(&a->http, &hc, ct_monitor_routes, ct_monitor_nroutes, &a->mon, err, errlen);
	if (rc != CT_OK && !a->cfg.http_listen_set && ct_err_kind(rc) == CT_EIO) {
		ct_warn("%s; no monitoring endpoint", err);
		return CT_OK;
	}
	if (rc != CT_OK)
		return rc;
	/* the live call view: a store of recent calls, fed as an output (docs/view.md) */
	struct ct_view_cfg vc;
	ct_config_view_cfg(&a->cfg, &vc, false);
	if (ct_view_store_new(&a->view, &vc) != CT_OK) {
		snprintf(err, errlen, "out of memory for the call view's store");
		return CT_ENOMEM;
	}
	a->mon.view = a->view;
	ct_info("monitoring endpoint on %s://%s (/metrics, /healthz, /view/)", a->cfg.http_tls_cert[0] ? "https" : "http",
		a->cfg.http_listen);
	return CT_OK;
}

/* Capture files with http.linger_s: every record is written; the endpoint goes on answering
 * (the call view of the whole input, the final counters) until the time is up or TERM/INT. */
static void linger(struct app *a, bool live)
{
	if (live || !a->http || !a->cfg.http_linger_s || atomic_load_explicit(&stop_requested, memory_order_relaxed))
		return;
	ct_info("input ended: http://%s goes on answering for %u s (TERM or INT ends it)", a->cfg.http_listen,
		a->cfg.http_linger_s);
	uint64_t end = ct_mono_ms() + (uint64_t)a->cfg.http_linger_s * 1000u;
	while (!atomic_load_explicit(&stop_requested, memory_order_relaxed) && ct_mono_ms() < end) {
		app_tick(a);
		struct timespec t = { 0, 50 * 1000 * 1000 };
		nanosleep(&t, NULL);
	}
}

/* ctitap --html DIR FILE...: the call view of stored records (web/view.h). */
static int html_export(const struct ct_config *cfg, const char *dir, char **files, int nfiles)
{
	if (nfiles <= 0) {
		ct_err("--html DIR needs the JSON-lines files to draw (plain or .zst)");
		return EXIT_USAGE;
	}
	struct ct_view_cfg vc;
	struct ct_view_counters c;
	char err[1024];
	ct_config_view_cfg(cfg, &vc, true);
	int rc = ct_view_export(&vc, dir, (const char *const *)files, (unsigned)nfiles, &c, err, sizeof(err));
	if (rc != CT_OK)
		ct_err("%s", err);
	if (ct_log_get_level() >= CT_LOG_WARN)
		fprintf(stderr,
			"ctitap: %llu call pages and index.html in %s; %llu records read, %llu kept, %llu of no call, "
			"%llu not records, %llu too long, %llu past a call's share, %llu late, %llu calls written early, "
			"%llu not in the index\n",
			(unsigned long long)c.pages, dir, (unsigned long long)c.records, (unsigned long long)c.kept,
			(unsigned long long)c.no_call, (unsigned long long)c.bad, (unsigned long long)c.too_big,
			(unsigned long long)c.call_full, (unsigned long long)c.late, (unsigned long long)c.evicted,
			(unsigned long long)c.index_cut);
	if (rc == CT_OK)
		return EXIT_OK;
	return rc == CT_EPERM ? EXIT_NOPERM : rc == CT_ENOENT ? EXIT_NOINPUT : rc == CT_EFORMAT ? EXIT_DATAERR
	       : rc == CT_EINVAL ? EXIT_USAGE : rc == CT_ENOMEM ? EXIT_FAIL : EXIT_CANTCREAT;
}

int main(int argc, char **argv)
{
	enum { OPT_STATS = 256, OPT_VERSION, OPT_HELP_SETTINGS, OPT_HTML };
	static const struct option longopts[] = {
		{ "stats", no_argument, NULL, OPT_STATS },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ "help", no_argument, NULL, 'h' },
		{ "help-settings", optional_argument, NULL, OPT_HELP_SETTINGS },
		{ "html", required_argument, NULL, OPT_HTML },
		{ NULL, 0, NULL, 0 },
	};
	static struct app a;
	static struct first_source first;
	const char *files[MAX_FILES];
	unsigned nfiles = 0;
	const char *iface = NULL, *cfgfile = NULL, *html_dir = NULL;
	const char *outspecs[CT_MAX_SINKS];
	unsigned nout = 0;
	static const char *xargs[128];
	unsigned nx = 0;
	bool stats = false, help_settings = false, help_conf = false;
	int rc_html;
	char err[1024];
	int opt;

	ct_log_open();
	/* the recorder's integrity tools: no capture, no settings (sinks/recorder.h) */
	if (argc > 1 && (!strcmp(argv[1], "verify") || !strcmp(argv[1], "decrypt") || !strcmp(argv[1], "keygen")))
		return ct_recorder_cli(argc - 1, argv + 1);
	ct_config_init(&a.cfg);
	while ((opt = getopt_long(argc, argv, "r:i:o:c:X:s:B:Z:pqvh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'r':
			if (nfiles == MAX_FILES) {
				ct_err("at most %d files", MAX_FILES);
				return EXIT_USAGE;
			}
			files[nfiles++] = optarg;
			break;
		case 'i': iface = optarg; break;
		case 'o':
			if (nout == CT_MAX_SINKS) {
				ct_err("at most %d outputs", CT_MAX_SINKS);
				return EXIT_USAGE;
			}
			outspecs[nout++] = optarg;
			break;
		case 'c': cfgfile = optarg; break;
		case 'X':
		case 's':
		case 'B':
		case 'Z':
		case 'p': {
			/* the shortcuts are settings, applied in command-line order with the -X ones */
			static char shortcut[4][128];
			static const char *const keys[] = { "capture.snaplen", "capture.buffer_mb", "capture.promisc",
							    "run.user" };
			const char *x = optarg;
			int k = opt == 's' ? 0 : opt == 'B' ? 1 : opt == 'p' ? 2 : opt == 'Z' ? 3 : -1;
			if (k >= 0) {
				snprintf(shortcut[k], sizeof(shortcut[k]), "%s=%s", keys[k], k == 2 ? "false" : optarg);
				x = shortcut[k];
			}
			if (nx == CT_ARRAY_SIZE(xargs)) {
				ct_err("too many -X settings");
				return EXIT_USAGE;
			}
			xargs[nx++] = x;
			break;
		}
		case 'q': ct_log_set_level(CT_LOG_ERR); break;
		case 'v': ct_log_set_level(ct_log_get_level() >= CT_LOG_INFO ? CT_LOG_DEBUG : CT_LOG_INFO); break;
		case OPT_STATS: stats = true; break;
		case OPT_VERSION: printf("ctitap %s\n", CTITAP_VERSION); return EXIT_OK;
		case OPT_HELP_SETTINGS:
			help_settings = true;
			if (optarg && strcmp(optarg, "conf") != 0) {
				ct_err("--help-settings=%s: only 'conf' is known", optarg);
				return EXIT_USAGE;
			}
			help_conf = optarg != NULL;
			break;
		case OPT_HTML: html_dir = optarg; break;
		case 'h': usage(stdout); return EXIT_OK;
		default: usage(stderr); return EXIT_USAGE;
		}
	}

	/* Settings: file first, then -X in order, so the command line wins. */
	if (!cfgfile)
		cfgfile = ct_config_default_file();
	struct stat cst;
	if (cfgfile && stat(cfgfile, &cst) == 0 && S_ISDIR(cst.st_mode)) {
		ct_err("cannot read settings file %s: it is a directory", cfgfile);
		return EXIT_CONFIG;
	}
	if (cfgfile && ct_config_load(&a.cfg, cfgfile, err, sizeof(err)) != CT_OK) {
		ct_err("%s", err);
		return EXIT_CONFIG;
	}
	for (unsigned i = 0; i < nx; i++) {
		if (ct_config_set_arg(&a.cfg, xargs[i], err, sizeof(err)) != CT_OK) {
			ct_err("%s", err);
			return EXIT_CONFIG;
		}
	}
	a.cfgfile = cfgfile;
	a.xargs = xargs;
	a.nx = nx;
	if (help_settings) {
		if (help_conf) {
			ct_config_write_example(&a.cfg, stdout);
		} else {
			printf("Settings (key, current value, meaning):\n");
			ct_config_print(&a.cfg, stdout);
		}
		ct_config_free(&a.cfg);
		return EXIT_OK;
	}
	if (html_dir) {
		if (nfiles || iface) {
			ct_err("--html reads records, not captures: give it JSON-lines files, not -r or -i");
			return EXIT_USAGE;
		}
		rc_html = html_export(&a.cfg, html_dir, argv + optind, argc - optind);
		ct_config_free(&a.cfg);
		return rc_html;
	}
	/* The pseudonyms' key, while ctitap still runs as it was started (privacy.h) */
	if (a.cfg.privacy.numbers == CT_PRIVACY_PSEUDONYMISE &&
	    ct_privacy_load_key(&a.cfg.privacy, a.cfg.privacy_key_file, err, sizeof(err)) != CT_OK) {
		ct_err("%s", err);
		ct_config_free(&a.cfg);
		return EXIT_CONFIG;
	}
	struct ct_sink_cfg scfg;
	ct_config_sink_cfg(&a.cfg, &scfg);
	if (ct_kafka_check_settings(&scfg, err, sizeof(err)) != CT_OK) {
		ct_err("%s", err);
		return EXIT_CONFIG;
	}
	if (nfiles && iface) {
		ct_err("-r and -i cannot be used together");
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!nfiles && !iface && a.cfg.interface[0])
		iface = a.cfg.interface;
	if (!nfiles && !iface) {
		ct_err("nothing to read: give -r FILE or -i IFACE (or set capture.interface)");
		usage(stderr);
		return EXIT_USAGE;
	}

	/* The filter is the rest of the command line, as with tcpdump, else capture.filter. */
	char filter[4096] = "";
	size_t flen = 0;
	for (int i = optind; i < argc; i++) {
		int n = snprintf(filter + flen, sizeof(filter) - flen, "%s%s", flen ? " " : "", argv[i]);
		if (n < 0 || (size_t)n >= sizeof(filter) - flen) {
			ct_err("filter expression too long");
			return EXIT_USAGE;
		}
		flen += (size_t)n;
	}
	if (!flen && a.cfg.filter[0])
		flen = (size_t)snprintf(filter, sizeof(filter), "%s", a.cfg.filter);

	/* Outputs: -o, else output.jsonl and output.kafka, else standard output. */
	static char cfg_out[2][600];
	if (nout == 0 && a.cfg.out_jsonl[0]) {
		snprintf(cfg_out[0], sizeof(cfg_out[0]), "jsonl:%s", a.cfg.out_jsonl);
		outspecs[nout++] = cfg_out[0];
	}
	if (nout == 0 || (outspecs[0] == cfg_out[0] && a.cfg.out_kafka[0])) {
		if (a.cfg.out_kafka[0]) {
			snprintf(cfg_out[1], sizeof(cfg_out[1]), "kafka:%s", a.cfg.out_kafka);
			outspecs[nout++] = cfg_out[1];
		}
	}
	if (nout == 0) {
		if (ct_log_fd_is_journal(STDOUT_FILENO)) {
			/* a service whose settings name no output would fill the journal with records */
			ct_err("no output: records would go to the journal; set output.jsonl or output.kafka%s%s",
			       cfgfile ? " in " : "", cfgfile ? cfgfile : "");
			return EXIT_CONFIG;
		}
		outspecs[nout++] = "jsonl:-";
	}

	struct ct_privs privs;
	int prc = ct_privs_init(&privs, a.cfg.run_user, err, sizeof(err));
	if (prc != CT_OK) {
		ct_err("%s", err);
		return prc == CT_ENOENT ? EXIT_CONFIG : EXIT_NOPERM;
	}

	/* Signals from here on: a SIGHUP before the run is reread at its first tick. */
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = on_hup;
	sa.sa_flags = SA_RESTART; /* a read of stdin or a FIFO goes on after it */
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	int rc = EXIT_OK;
	a.out.ctr = &a.ctr;
	a.out.flush_ms = a.cfg.flush_ms;
	a.mon.ctr = &a.ctr;
	a.mon.out = &a.out;
	a.mon.sensor = a.cfg.sensor;
	a.mon.record_dir = a.cfg.record_dir; /* the array SIGHUP rewrites in place */
	a.mon.start_time = (uint64_t)time(NULL);

	/* Privileged part: the capture, the monitoring socket and its key files. */
	first.rc = open_source(&first.src, iface, iface ? NULL : files[0], &a.cfg, first.err, sizeof(first.err));
	int hrc = start_http(&a, iface != NULL, err, sizeof(err));
	if (hrc != CT_OK) {
		ct_err("%s", err);
		rc = hrc == CT_EINVAL ? EXIT_CONFIG : ct_err_kind(hrc) == CT_EPERM ? EXIT_NOPERM : EXIT_CANTCREAT;
		goto out_source;
	}
	a.mon.http = a.http;
	if (ct_privs_drop_caps(&privs, err, sizeof(err)) != CT_OK) {
		ct_err("%s", err);
		rc = EXIT_NOPERM;
		goto out_source;
	}

	/* The outputs, as the user ctitap becomes: its files from the start. */
	if (ct_privs_assume(&privs, err, sizeof(err)) != CT_OK) {
		ct_err("%s", err);
		rc = EXIT_NOPERM;
		goto out_source;
	}
	if (a.view && ct_outputs_add_sink(&a.out, &ct_view_sink_ops, a.view, "view") != CT_OK) {
		ct_err("too many outputs for the call view (at most %d with it)", CT_MAX_SINKS);
		rc = EXIT_USAGE;
		goto out_source;
	}
	for (unsigned i = 0; i < nout; i++) {
		int orc = ct_outputs_add(&a.out, outspecs[i], &scfg, err, sizeof(err));
		if (orc != CT_OK) {
			ct_err("%s", err);
			orc = ct_err_kind(orc);
			rc = orc == CT_EINVAL	? EXIT_USAGE
			     : orc == CT_ECONFIG ? EXIT_CONFIG
			     : orc == CT_EPERM	 ? EXIT_NOPERM
			     : orc == CT_ENOMEM	 ? EXIT_FAIL
						 : EXIT_CANTCREAT;
			ct_privs_resume(&privs, err, sizeof(err));
			goto out_outputs;
		}
	}
	if (ct_privs_resume(&privs, err, sizeof(err)) != CT_OK || ct_privs_become(&privs, err, sizeof(err)) != CT_OK) {
		ct_err("%s", err);
		rc = EXIT_NOPERM;
		goto out_outputs;
	}
	if (privs.change)
		ct_info("running as %s (uid %u, gid %u), no capability", privs.user, (unsigned)privs.uid,
			(unsigned)privs.gid);
	else if (geteuid() == 0)
		ct_info("running as root: -Z USER (run.user) gives up root once the capture is open");

	struct ct_hashkey key;
	if (ct_hashkey_random(&key) != CT_OK) {
		ct_err("cannot seed the hash key from the system's random source");
		rc = EXIT_FAIL;
		goto out_outputs;
	}
	int pirc = ct_pipeline_init(&a.pipe, &a.cfg, &key, &a.ctr, &a.out, err, sizeof(err));
	if (pirc != CT_OK) {
		/* the recorder's folder, keys or lock (record.*), or memory */
		ct_err("%s", err);
		int k = ct_err_kind(pirc);
		rc = k == CT_ENOMEM ? EXIT_FAIL : k == CT_EPERM ? EXIT_NOPERM
		     : pirc == CT_EFORMAT || pirc == CT_EINVAL ? EXIT_CONFIG : EXIT_CANTCREAT;
		goto out_outputs;
	}
	a.pipe.on_second = app_clock;
	a.pipe.user = &a;
	a.mon.pipe = &a.pipe;
	a.out.last_flush_ms = 0;
	unsigned nshards = a.cfg.cap.workers ? a.cfg.cap.workers : auto_workers(&a.cfg);
	if (nshards >= 2) {
		int wrc = ct_workers_new(&a.workers, &a.pipe.cap, nshards);
		if (wrc != CT_OK && !a.cfg.cap.workers) {
			ct_warn("cannot start %u capture workers (%s): running on one thread", nshards, ct_strerror(wrc));
			a.workers = NULL;
		} else if (wrc != CT_OK) {
			ct_err("cannot start %u capture workers: %s", nshards, ct_strerror(wrc));
			ct_pipeline_free(&a.pipe);
			rc = EXIT_FAIL;
			goto out_outputs;
		}
	}

	unsigned nsrc = iface ? 1 : nfiles;
	for (unsigned i = 0; i < nsrc && !atomic_load_explicit(&stop_requested, memory_order_relaxed); i++) {
		struct ct_source src;
		int src_rc;
		if (i == 0) {
			src = first.src;
			src_rc = first.rc;
			first.rc = CT_EINVAL; /* taken: closed below, not at out_source */
			snprintf(err, sizeof(err), "%s", first.err);
		} else {
			src_rc = open_source(&src, NULL, files[i], &a.cfg, err, sizeof(err));
		}
		if (src_rc != CT_OK) {
			ct_err("%s", err);
			if (rc == EXIT_OK)
				rc = exit_for(src_rc);
			if (src_rc == CT_EFORMAT)
				a.ctr.file_errors++;
			/* a bad file stops the run as tcpdump does; records so far are still written */
			break;
		}
		if (flen && ct_source_set_filter(&src, filter, err, sizeof(err)) != CT_OK) {
			ct_err("%s", err);
			ct_source_close(&src);
			rc = EXIT_USAGE;
			break;
		}
		running_source = &src;
		a.mon.src = &src;
		src_rc = a.workers ? ct_workers_run(a.workers, &src, &stop_requested, app_tick, &a, err, sizeof(err))
				   : ct_source_run(&src, &a.pipe.cap, &stop_requested, app_tick, &a, err, sizeof(err));
		running_source = NULL;
		a.mon.src = NULL;
		ct_source_drops(&src, &a.ctr);
		ct_source_close(&src);
		if (src_rc != CT_OK) {
			ct_err("%s", err);
			a.ctr.file_errors++;
			if (rc == EXIT_OK)
				rc = EXIT_DATAERR;
		}
	}

	if (a.workers) {
		ct_workers_finish(a.workers); /* frames the reader's clock still holds */
		uint64_t taken, l4;
		ct_workers_counts(a.workers, &taken, &l4);
		ct_info("capture workers: %llu of %llu transport packets handled on %u shards in parallel",
			(unsigned long long)taken, (unsigned long long)l4, nshards);
	}
	ct_time_t last_ts = ct_pipeline_finish(&a.pipe);
	ct_workers_free(a.workers);
	a.workers = NULL;
	/* the final stats record counts what the outputs delivered: Kafka drains first (up to
	 * kafka.exit_timeout_ms); the record then goes to every output, Kafka's with what is left
	 * of that window (docs/records.md, stats) */
	ct_outputs_drain(&a.out);
	emit_stats(&a, last_ts, true);
	a.mon.pipe = NULL; /* /metrics no longer reads the pipeline's tables */
	ct_pipeline_free(&a.pipe);
	if (stats)
		print_stats(&a.ctr);
	linger(&a, iface != NULL);
out_outputs:
	if (ct_outputs_close(&a.out) != CT_OK && rc == EXIT_OK)
		rc = EXIT_IOERR;
out_source:
	if (first.rc == CT_OK)
		ct_source_close(&first.src);
	ct_http_stop(a.http);
	a.mon.view = NULL;
	ct_view_store_free(a.view);
	ct_monitor_free(&a.mon);
	ct_config_free(&a.cfg);
	return rc;
}
