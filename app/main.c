/* main.c - the ctitap command: options in tcpdump's habits, settings, sources, outputs.
 * Exit codes are listed in usage() and docs/cli.md. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../capture/capture.h"
#include "../capture/source.h"
#include "../sinks/sink.h"
#include "../util/log.h"
#include "config.h"
#include "pipeline.h"

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
	EXIT_CANTCREAT = 73,/* an output cannot be created */
	EXIT_IOERR = 74,    /* writing an output failed */
	EXIT_NOPERM = 77,   /* permission denied (file or capture) */
	EXIT_CONFIG = 78,   /* unknown or malformed setting, unreadable settings file */
};

#define MAX_FILES 256

static volatile sig_atomic_t stop_requested;
static struct ct_source *running_source;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
	if (running_source)
		ct_source_break(running_source);
}

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: ctitap [options] [-r FILE ...| -i IFACE] [BPF filter expression]\n"
		"Passive CTI tap: decodes CSTA and SIP/RTP from a mirror port and writes records.\n\n"
		"  -r FILE         read a pcap or pcapng file ('-' = stdin); repeat for several, read in order\n"
		"  -i IFACE        capture live on IFACE ('any' for all)\n"
		"  -o jsonl:PATH   write JSON lines to PATH ('-' = stdout, '.zst' suffix = zstd); repeatable\n"
		"  -c FILE         read settings from FILE (key = value lines)\n"
		"  -X KEY=VALUE    set one setting (after -c); kafka.* keys go to librdkafka\n"
		"  -s SNAPLEN      same as -X capture.snaplen=SNAPLEN\n"
		"  -B MiB          same as -X capture.buffer_mb=MiB\n"
		"  -p              same as -X capture.promisc=false\n"
		"  -q              only errors on stderr\n"
		"  -v              more detail on stderr\n"
		"      --stats     print the counters for a person at the end (stderr)\n"
		"      --help-settings  list every setting with its current value\n"
		"      --version   print the version\n"
		"  -h, --help      this text\n\n"
		"Without -o, records go to stdout as JSON lines.\n"
		"Exit codes: 0 ok; 1 internal failure; 64 bad option or filter; 65 corrupt or cut-short capture file;\n"
		"66 no such file or interface; 73 cannot create output; 74 output write failed; 77 permission\n"
		"denied; 78 bad setting.\n");
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
};

static void emit_stats(struct app *a, ct_time_t ts, bool final);

/* Periodic stats records, on packet time so a replay writes the same ones. */
static void app_clock(void *user, ct_time_t now)
{
	struct app *a = user;
	if (!a->cfg.stats_interval_s)
		return;
	ct_time_t every = (ct_time_t)a->cfg.stats_interval_s * CT_USEC_PER_SEC;
	if (a->next_stats == 0) {
		a->next_stats = (now / every + 1) * every;
		return;
	}
	if (now >= a->next_stats) {
		emit_stats(a, a->next_stats, false);
		a->next_stats = (now / every + 1) * every;
	}
}

static void app_tick(void *arg)
{
	struct app *a = arg;
	ct_outputs_poll(&a->out);
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

int main(int argc, char **argv)
{
	enum { OPT_STATS = 256, OPT_VERSION, OPT_HELP_SETTINGS };
	static const struct option longopts[] = {
		{ "stats", no_argument, NULL, OPT_STATS },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ "help", no_argument, NULL, 'h' },
		{ "help-settings", no_argument, NULL, OPT_HELP_SETTINGS },
		{ NULL, 0, NULL, 0 },
	};
	static struct app a;
	const char *files[MAX_FILES];
	unsigned nfiles = 0;
	const char *iface = NULL, *cfgfile = NULL;
	const char *outspecs[CT_MAX_SINKS];
	unsigned nout = 0;
	const char *xargs[128];
	unsigned nx = 0;
	bool stats = false, help_settings = false;
	char err[1024];
	int opt;

	ct_config_init(&a.cfg);
	while ((opt = getopt_long(argc, argv, "r:i:o:c:X:s:B:pqvh", longopts, NULL)) != -1) {
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
		case 'p': {
			static char shortcut[3][64];
			const char *x = optarg;
			if (opt == 's' || opt == 'B' || opt == 'p') {
				int k = opt == 's' ? 0 : opt == 'B' ? 1 : 2;
				snprintf(shortcut[k], sizeof(shortcut[k]), "%s=%s",
					 k == 0 ? "capture.snaplen" : k == 1 ? "capture.buffer_mb" : "capture.promisc",
					 k == 2 ? "false" : optarg);
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
		case 'v': ct_log_set_level(CT_LOG_INFO); break;
		case OPT_STATS: stats = true; break;
		case OPT_VERSION: printf("ctitap %s\n", CTITAP_VERSION); return EXIT_OK;
		case OPT_HELP_SETTINGS: help_settings = true; break;
		case 'h': usage(stdout); return EXIT_OK;
		default: usage(stderr); return EXIT_USAGE;
		}
	}

	/* Settings: file first, then -X in order, so the command line wins. */
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
	if (help_settings) {
		printf("Settings (key, current value, meaning):\n");
		ct_config_print(&a.cfg, stdout);
		ct_config_free(&a.cfg);
		return EXIT_OK;
	}
	if ((nfiles == 0) == (iface == NULL)) {
		ct_err(nfiles ? "-r and -i cannot be used together" : "nothing to read: give -r FILE or -i IFACE");
		usage(stderr);
		return EXIT_USAGE;
	}

	/* The filter is the rest of the command line, as with tcpdump. */
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

	int rc = EXIT_OK;
	a.out.ctr = &a.ctr;
	a.out.flush_ms = a.cfg.flush_ms;
	if (nout == 0)
		outspecs[nout++] = "jsonl:-";
	struct ct_sink_cfg scfg;
	ct_config_sink_cfg(&a.cfg, &scfg);
	for (unsigned i = 0; i < nout; i++) {
		int orc = ct_outputs_add(&a.out, outspecs[i], &scfg, err, sizeof(err));
		if (orc != CT_OK) {
			ct_err("%s", err);
			rc = orc == CT_EINVAL ? EXIT_USAGE : orc == CT_EPERM ? EXIT_NOPERM : EXIT_CANTCREAT;
			goto out_outputs;
		}
	}

	struct ct_hashkey key;
	if (ct_hashkey_random(&key) != CT_OK) {
		ct_err("cannot seed the hash key from the system's random source");
		rc = EXIT_FAIL;
		goto out_outputs;
	}
	if (ct_pipeline_init(&a.pipe, &a.cfg, &key, &a.ctr, &a.out) != CT_OK) {
		ct_err("out of memory setting up the capture tables (flow.max=%u)", a.cfg.cap.flow_max);
		rc = EXIT_FAIL;
		goto out_outputs;
	}
	a.pipe.on_second = app_clock;
	a.pipe.user = &a;

	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	a.out.last_flush_ms = 0;

	unsigned nsrc = iface ? 1 : nfiles;
	for (unsigned i = 0; i < nsrc && !stop_requested; i++) {
		struct ct_source src;
		int src_rc = iface ? ct_source_open_live(&src, iface, &a.cfg.live, err, sizeof(err))
				   : ct_source_open_file(&src, files[i], err, sizeof(err));
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
		src_rc = ct_source_run(&src, &a.pipe.cap, &stop_requested, app_tick, &a, err, sizeof(err));
		running_source = NULL;
		ct_source_drops(&src, &a.ctr);
		ct_source_close(&src);
		if (src_rc != CT_OK) {
			ct_err("%s", err);
			a.ctr.file_errors++;
			if (rc == EXIT_OK)
				rc = EXIT_DATAERR;
		}
	}

	ct_time_t last_ts = ct_pipeline_finish(&a.pipe);
	emit_stats(&a, last_ts, true);
	ct_pipeline_free(&a.pipe);
	if (stats)
		print_stats(&a.ctr);
out_outputs:
	if (ct_outputs_close(&a.out) != CT_OK && rc == EXIT_OK)
		rc = EXIT_IOERR;
	ct_config_free(&a.cfg);
	return rc;
}
