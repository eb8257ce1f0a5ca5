/* config.h - ctitap's settings: one table of keys, read from a settings file (-c) and
 * from -X key=value, in that order. Every key is documented in docs/configuration.md.
 * `kafka.*` keys other than ctitap's own are kept verbatim for librdkafka. */
#ifndef CT_CONFIG_H
#define CT_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "../capture/capture.h"
#include "../capture/source.h"
#include "../correlator/calls.h"
#include "../correlator/devset.h"
#include "../correlator/numbers.h"
#include "../correlator/sipcall.h"
#include "../sinks/sink.h"

#define CT_CFG_MAX_PASSTHRU 64


struct ct_config {
	char sensor[128];
	struct ct_live_cfg live;
	struct ct_capture_cfg cap;
	struct ct_sipcall_cfg sip;
	struct ct_calls_cfg calls;
	bool sip_enabled;
	bool rtp_enabled;
	bool csta_enabled;
	uint32_t csta_max_links;
	/* numbers.*: the rules as written, and everything parsed (country code and prefixes are
	 * set straight into numbers) */
	char numbers_rules[512];
	struct ct_numbers numbers;
	/* record.*: the sets as written, and parsed */
	char record_devices_spec[768];
	char record_exclude_spec[768];
	struct ct_devset record_devices;
	struct ct_devset record_exclude;
	bool record_pause_on_hold;
	ct_time_t csta_response_timeout; /* missing_response audit (0: only when the link goes down) */
	ct_time_t csta_dup_window;       /* duplicate_event audit */
	uint32_t agents_max;
	int zstd_level;
	unsigned flush_ms;
	size_t rotate_bytes;
	unsigned rotate_s;
	unsigned stats_interval_s;
	char kafka_prefix[128];
	char kafka_spool_dir[512];
	size_t kafka_spool_max;
	unsigned kafka_exit_timeout_ms;
	struct ct_kv kafka[CT_CFG_MAX_PASSTHRU]; /* owned */
	unsigned nkafka;
};

/* Defaults; sensor.name defaults to the host name. */
void ct_config_init(struct ct_config *cfg);
void ct_config_free(struct ct_config *cfg);
/* Sets one key. Returns CT_OK, CT_ENOENT (unknown key) or CT_EINVAL (bad value); err
 * names the key, the value and what was expected. */
int ct_config_set(struct ct_config *cfg, const char *key, const char *val, char *err, size_t errlen);
/* "key=value" as given to -X. */
int ct_config_set_arg(struct ct_config *cfg, const char *arg, char *err, size_t errlen);
/* A settings file: "key = value" lines, '#' comments. Errors name file and line. */
int ct_config_load(struct ct_config *cfg, const char *path, char *err, size_t errlen);
/* The sinks' view of the settings; borrows strings from cfg. */
void ct_config_sink_cfg(const struct ct_config *cfg, struct ct_sink_cfg *out);
/* Prints every key with its current value and description (for --help-settings). */
void ct_config_print(const struct ct_config *cfg, FILE *out);

#endif
