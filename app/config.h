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
#include "../records/privacy.h"
#include "../sinks/recorder.h"
#include "../sinks/sink.h"
#include "../web/view.h"

#define CT_CFG_MAX_PASSTHRU 64


struct ct_config {
	char sensor[128];
	char interface[64];      /* capture.interface: -i when the command line has no -r or -i */
	char filter[512];        /* capture.filter: when the command line has no filter */
	unsigned replay_speed;   /* capture.replay_speed: 0 as fast as possible, N times recorded speed */
	struct ct_live_cfg live;
	struct ct_capture_cfg cap;
	struct ct_sipcall_cfg sip;
	struct ct_calls_cfg calls;
	bool sip_enabled;
	bool rtp_enabled;
	bool csta_enabled;
	uint32_t csta_max_links;
	uint32_t csta_max_monitors, csta_max_monitors_total;
	/* numbers.*: the rules as written, and everything parsed (country code and prefixes are
	 * set straight into numbers) */
	char numbers_rules[512];
	struct ct_numbers numbers;
	/* record.*: the sets as written, and parsed */
	char record_devices_spec[768];
	char record_exclude_spec[768];
	struct ct_devset record_devices;
	struct ct_devset record_exclude;
	char record_pause_devices_spec[768];
	struct ct_devset record_pause_devices; /* record.pause_devices: payment IVRs */
	bool record_pause_on_hold;
	/* record.*: the recorder (sinks/recorder.h), on when record_dir is set */
	char record_dir[512];
	char record_pause_mode[16];      /* "silence" or "cut" */
	bool record_pcap;
	uint32_t record_min_free_mb;
	uint32_t record_max_mb;
	uint32_t record_retention_days;
	char record_sign_key[512];
	char record_encrypt_to[512];
	uint32_t record_max_active;
	uint32_t record_jitter_ms;
	uint32_t record_silence_s;
	uint32_t record_pcap_hold_kb;    /* SIP frames held for evidence pcaps not opened yet */
	/* privacy.*: as written, and parsed into privacy (its key is read at start, main.c) */
	char privacy_numbers[16];
	char privacy_dtmf[8];
	char privacy_key_file[512];
	char privacy_devices_clear_spec[768];
	struct ct_privacy privacy;
	ct_time_t csta_response_timeout; /* missing_response audit (0: only when the link goes down) */
	ct_time_t csta_dup_window;       /* duplicate_event audit */
	uint32_t agents_max;
	int zstd_level;
	unsigned flush_ms;
	char out_jsonl[512];     /* output.jsonl, output.kafka: when the command line has no -o */
	char out_kafka[512];
	size_t rotate_bytes;
	unsigned rotate_s;
	unsigned stats_interval_s;
	char kafka_prefix[128];
	char kafka_spool_dir[512];
	size_t kafka_spool_max;
	unsigned kafka_exit_timeout_ms;
	struct ct_kv kafka[CT_CFG_MAX_PASSTHRU]; /* owned */
	unsigned nkafka;
	char run_user[64];       /* run.user (-Z) */
	char http_listen[128];   /* http.*: the monitoring endpoint (app/http.h) */
	bool http_listen_set;    /* http.listen was given (a file or -X), not the default */
	char http_tls_cert[512];
	char http_tls_key[512];
	char http_user[64];
	char http_password_file[512];
	unsigned http_linger_s;  /* capture files: the endpoint answers this long after the input ended */
	/* the call view (web/view.h): the live view's caps (http.view_*) and the export's (view.*) */
	unsigned view_calls;
	size_t view_bytes;
	size_t view_export_bytes;
	unsigned view_max_messages;
	unsigned view_index_max;
	char view_files_base[256];
};

/* Defaults; sensor.name defaults to the host name, kafka.spool.dir to "spool" in the state
 * directory (ct_config_state_dir()) when ctitap runs from where it was installed, else to
 * "ctitap-spool" in the working directory. */
void ct_config_init(struct ct_config *cfg);
/* The state directory: $STATE_DIRECTORY (its first entry; systemd's StateDirectory= sets it),
 * else the one compiled in (CTITAP_STATEDIR, /var/lib/ctitap for a /usr install); NULL when
 * neither applies because ctitap runs from a build tree. Static storage. */
const char *ct_config_state_dir(void);
void ct_config_free(struct ct_config *cfg);
/* Sets one key. Returns CT_OK, CT_ENOENT (unknown key) or CT_EINVAL (bad value); err
 * names the key, the value and what was expected. */
int ct_config_set(struct ct_config *cfg, const char *key, const char *val, char *err, size_t errlen);
/* "key=value" as given to -X. */
int ct_config_set_arg(struct ct_config *cfg, const char *arg, char *err, size_t errlen);
/* A settings file, in the INI form most sensors use:
 *   key = value           a setting (blanks around key and value are ignored)
 *   [section]             the keys after it are read as section.key
 *   key = "a \"b\" \\"    double quotes keep blanks, '#' and ';'; \" and \\ are the only escapes
 *   key = 'C:\x'          single quotes keep everything up to the next single quote
 *   # or ; comment        whole-line, or trailing after a blank outside quotes
 * Returns CT_OK; CT_ENOENT when the file cannot be read or a key is unknown; CT_EINVAL for a
 * malformed line or value. err names the file and line ("path:12: ..."); the lines before the
 * error are applied. */
int ct_config_load(struct ct_config *cfg, const char *path, char *err, size_t errlen);
/* The settings file read when -c is not given: $CTITAP_CONFIG when set (empty: none), else
 * CTITAP_SYSCONFDIR/ctitap/ctitap.conf when it exists; NULL when there is none to read. */
const char *ct_config_default_file(void);
/* Writes an example settings file: every setting commented out with its default and meaning,
 * grouped in [sections], in the syntax ct_config_load() reads (for ctitap.conf). */
void ct_config_write_example(const struct ct_config *cfg, FILE *out);
/* The sinks' view of the settings; borrows strings from cfg. */
void ct_config_sink_cfg(const struct ct_config *cfg, struct ct_sink_cfg *out);
/* The call view's settings: the live store's (export false) or ctitap --html's. Borrows
 * files_base from cfg. */
void ct_config_view_cfg(const struct ct_config *cfg, struct ct_view_cfg *out, bool export);
/* The recorder's settings (record.*, sensor.name) for ct_recorder_new(); strings point into cfg
 * (NULL for those not set); on_event and user are left NULL for the caller. */
void ct_config_recorder_cfg(const struct ct_config *cfg, struct ct_recorder_cfg *out);
/* Prints every key with its current value and description (for --help-settings). */
void ct_config_print(const struct ct_config *cfg, FILE *out);

#endif
