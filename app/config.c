/* config.c - the settings table and its parsers. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef CTITAP_SYSCONFDIR
#define CTITAP_SYSCONFDIR "/etc"
#endif
#ifndef CTITAP_STATEDIR
#define CTITAP_STATEDIR "/var/lib/ctitap"
#endif
#ifndef CTITAP_BINDIR
#define CTITAP_BINDIR "/usr/bin"
#endif

enum cfg_kind {
	K_U16,      /* uint16_t */
	K_U32,      /* unsigned / uint32_t */
	K_INT,      /* int */
	K_BOOL,     /* bool */
	K_BYTES_KB, /* size_t bytes, given in KiB */
	K_BYTES_MB, /* size_t bytes, given in MiB */
	K_TIME_MS,  /* ct_time_t µs, given in ms */
	K_TIME_S,   /* ct_time_t µs, given in s */
	K_STR,      /* char[size] */
};

struct cfg_key {
	const char *name;
	enum cfg_kind kind;
	size_t off;
	size_t size;   /* K_STR buffer size */
	int64_t min;
	int64_t max;
	const char *desc;
};

#define CAP(f) offsetof(struct ct_config, cap.f)
#define LIVE(f) offsetof(struct ct_config, live.f)

static const struct cfg_key cfg_keys[] = {
	{ "sensor.name", K_STR, offsetof(struct ct_config, sensor), sizeof(((struct ct_config *)0)->sensor), 1, 0,
	  "name of this sensor in every record (default: host name)" },
	{ "capture.snaplen", K_U32, LIVE(snaplen), 0, 64, 262144,
	  "bytes kept of each frame on live capture (0: 262144, as tcpdump's -s 0)" },
	{ "capture.buffer_mb", K_U32, LIVE(buffer_mb), 0, 1, 4096, "kernel capture buffer on live capture" },
	{ "capture.promisc", K_BOOL, LIVE(promisc), 0, 0, 1, "promiscuous mode on live capture" },
	{ "capture.interface", K_STR, offsetof(struct ct_config, interface), sizeof(((struct ct_config *)0)->interface),
	  0, 0, "interface captured live when the command line gives neither -r nor -i (empty: none)" },
	{ "capture.filter", K_STR, offsetof(struct ct_config, filter), sizeof(((struct ct_config *)0)->filter), 0, 0,
	  "BPF filter when the command line gives none (empty: every frame)" },
	{ "capture.replay_speed", K_U32, offsetof(struct ct_config, replay_speed), 0, 0, 10000,
	  "read capture files at this many times the speed they were recorded (0: as fast as possible)" },
	{ "capture.vlan_max", K_U32, CAP(vlan_max), 0, 1, 16, "VLAN tags removed before a frame is given up" },
	{ "capture.tunnel_max", K_U32, CAP(tunnel_max), 0, 0, 8, "nested tunnels removed before a packet is given up" },
	{ "capture.vxlan_port", K_U16, CAP(vxlan_port), 0, 0, 65535, "UDP port decoded as VXLAN (0: off)" },
	{ "capture.workers", K_U32, CAP(workers), 0, 0, 64,
	  "threads of the per-flow path (link, IP, UDP, RTP); 0: 2 where ctitap may use two CPUs or more (affinity, cgroup quota) and rtp.enabled is on, else 1; "
	  "1: one thread for everything (faster where there is no RTP). Records and recordings are the same for any value" },
	{ "dedup.enabled", K_BOOL, CAP(dedup), 0, 0, 1, "suppress SPAN duplicates" },
	{ "dedup.window_ms", K_TIME_MS, CAP(dedup_window), 0, 0, 400,
	  "a copy seen within this time is a SPAN duplicate (keep well under SIP T1, 500 ms)" },
	{ "dedup.buckets", K_U32, CAP(dedup_buckets), 0, 256, 1 << 24, "size of the duplicate table (4 entries each)" },
	{ "defrag.max_datagrams", K_U32, CAP(defrag_max), 0, 1, 1 << 20, "IP datagrams awaiting fragments at once" },
	{ "defrag.memcap_mb", K_BYTES_MB, CAP(defrag_memcap), 0, 1, 4096, "memory for IP fragment reassembly" },
	{ "defrag.timeout_s", K_TIME_S, CAP(defrag_timeout), 0, 1, 120, "time a datagram waits for its fragments" },
	{ "flow.max", K_U32, CAP(flow_max), 0, 64, 1 << 26, "flows tracked at once" },
	{ "flow.udp_timeout_s", K_TIME_S, CAP(udp_timeout), 0, 1, 86400, "idle time after which a UDP flow ends" },
	{ "flow.tcp_timeout_s", K_TIME_S, CAP(tcp_timeout), 0, 1, 86400 * 7,
	  "idle time after which an open TCP connection ends" },
	{ "flow.tcp_closed_timeout_s", K_TIME_S, CAP(tcp_closed_timeout), 0, 1, 3600,
	  "time a closed TCP connection is kept for late segments" },
	{ "tcp.memcap_mb", K_BYTES_MB, CAP(tcp_memcap), 0, 1, 65536, "memory for TCP reassembly, all flows" },
	{ "tcp.flow_memcap_kb", K_BYTES_KB, CAP(tcp_flow_memcap), 0, 16, 1 << 20,
	  "memory for TCP reassembly of one direction of one flow" },
	{ "tcp.ooo_timeout_ms", K_TIME_MS, CAP(tcp_ooo_timeout), 0, 1, 600000,
	  "time a TCP hole waits for its bytes before it is skipped" },
	{ "sip.enabled", K_BOOL, offsetof(struct ct_config, sip_enabled), 0, 0, 1,
	  "decode SIP (UDP, TCP, WebSocket, SCTP); off leaves only the capture layer's counters" },
	{ "rtp.enabled", K_BOOL, offsetof(struct ct_config, rtp_enabled), 0, 0, 1,
	  "find and measure the RTP that SDP announces" },
	{ "csta.enabled", K_BOOL, offsetof(struct ct_config, csta_enabled), 0, 0, 1,
	  "find CSTA links (BER and XML) on TCP by content and decode them" },
	{ "csta.max_links", K_U32, offsetof(struct ct_config, csta_max_links), 0, 1, 65536,
	  "CSTA links tracked at once" },
	{ "csta.max_monitors", K_U32, offsetof(struct ct_config, csta_max_monitors), 0, 1, 1 << 20,
	  "devices monitored on one CSTA link that ctitap keeps (a MonitorStart result past it is counted, csta_monitors_dropped)" },
	{ "csta.max_monitors_total", K_U32, offsetof(struct ct_config, csta_max_monitors_total), 0, 1, 1 << 22,
	  "devices monitored on all CSTA links together that ctitap keeps (~64 bytes each)" },
	{ "csta.response_timeout_ms", K_TIME_MS, offsetof(struct ct_config, csta_response_timeout), 0, 0, 3600000,
	  "a CSTA request with no answer after this long is audited (missing_response; 0: only when its link goes down)" },
	{ "csta.duplicate_window_ms", K_TIME_MS, offsetof(struct ct_config, csta_dup_window), 0, 0, 60000,
	  "the same CSTA event for the same monitor again within this long is audited (duplicate_event; 0: off)" },
	{ "agents.max", K_U32, offsetof(struct ct_config, agents_max), 0, 1, 1 << 22,
	  "agent devices whose state is tracked; past it the least recently changed is forgotten" },
	{ "calls.window_ms", K_TIME_MS, offsetof(struct ct_config, calls.window), 0, 0, 60000,
	  "a CSTA and a SIP leg alerting the same device this close in time are one call" },
	{ "calls.relay_ms", K_TIME_MS, offsetof(struct ct_config, calls.relay), 0, 1, 5000,
	  "a B2BUA (PBX, SBC) passes a ringing, answer, CANCEL or BYE from one of its dialogs to the other within this: what it relays pairs its dialogs into one call (wider: more coincidences on a busy B2BUA to rule out)" },
	{ "calls.settle_ms", K_TIME_MS, offsetof(struct ct_config, calls.settle), 0, 0, 60000,
	  "after its last leg ended, a call waits this long for late events before its record" },
	{ "calls.csta_grace_ms", K_TIME_MS, offsetof(struct ct_config, calls.csta_grace), 0, 0, 3600000,
	  "when one side of a call ended (SIP BYEs, or CSTA clearing) and the other has not, wait this long after its last news for the other side (then the record is written with a missing_event audit)" },
	{ "calls.idle_timeout_s", K_TIME_S, offsetof(struct ct_config, calls.idle), 0, 0, 86400,
	  "a call with no news for this long is written with its legs still open (0: never)" },
	{ "calls.max", K_U32, offsetof(struct ct_config, calls.max_calls), 0, 16, 1 << 24,
	  "customer calls open at once (up to 17 KiB each: 100000 is 1.7 GiB at worst); past it the oldest is written early, audited" },
	{ "sip.max_calls", K_U32, offsetof(struct ct_config, sip.max_calls), 0, 16, 1 << 24,
	  "SIP calls tracked at once; past it the call with the nearest timer ends early" },
	{ "sip.linger_s", K_TIME_S, offsetof(struct ct_config, sip.linger), 0, 0, 600,
	  "a terminated call is kept this long to recognise late retransmissions" },
	{ "sip.setup_timeout_s", K_TIME_S, offsetof(struct ct_config, sip.setup_timeout), 0, 1, 86400,
	  "a call with no final answer ends after this long" },
	{ "sip.idle_timeout_s", K_TIME_S, offsetof(struct ct_config, sip.idle_timeout), 0, 1, 86400 * 7,
	  "an established call with no SIP for this long ends (no BYE seen)" },
	{ "sip.events_all", K_BOOL, offsetof(struct ct_config, sip.events_all), 0, 0, 1,
	  "also a sip_message event for every SIP message, retransmissions and OPTIONS/REGISTER included" },
	{ "numbers.rules", K_STR, offsetof(struct ct_config, numbers_rules),
	  sizeof(((struct ct_config *)0)->numbers_rules), 0, 0,
	  "number rewriting, tried in order, first match wins: PREFIX[LEN]=>REPLACEMENT;... with PREFIX and "
	  "REPLACEMENT an optional + and digits, [LEN] an optional [N] or [N-M] count of the number's digits "
	  "(e.g. 9[12-14]=>;5000[4]=>+4930555000)" },
	{ "numbers.country_code", K_STR, offsetof(struct ct_config, numbers.country_code),
	  sizeof(((struct ct_config *)0)->numbers.country_code), 0, 0,
	  "country code (1-3 digits) that turns national numbers into E.164 after the rules (empty: none)" },
	{ "numbers.national_prefix", K_STR, offsetof(struct ct_config, numbers.national_prefix),
	  sizeof(((struct ct_config *)0)->numbers.national_prefix), 0, 0,
	  "trunk prefix replaced by +<country code> after the rules (empty: off)" },
	{ "numbers.international_prefix", K_STR, offsetof(struct ct_config, numbers.international_prefix),
	  sizeof(((struct ct_config *)0)->numbers.international_prefix), 0, 0,
	  "international prefix replaced by + after the rules (empty: off)" },
	{ "record.devices", K_STR, offsetof(struct ct_config, record_devices_spec),
	  sizeof(((struct ct_config *)0)->record_devices_spec), 0, 0,
	  "devices whose calls are recorded: entries separated by ',', each a device, a range 2001-2099 "
	  "(equal lengths), a prefix +4930555* or * for all (empty: none)" },
	{ "record.exclude", K_STR, offsetof(struct ct_config, record_exclude_spec),
	  sizeof(((struct ct_config *)0)->record_exclude_spec), 0, 0,
	  "devices never recorded, even when record.devices holds them (same syntax)" },
	{ "record.pause_devices", K_STR, offsetof(struct ct_config, record_pause_devices_spec),
	  sizeof(((struct ct_config *)0)->record_pause_devices_spec), 0, 0,
	  "card payments (PCI DSS): while one of these devices (a payment IVR, e.g. 7000-7099; same syntax) is "
	  "in a call -- ringing or answering there, transferred, conferenced or consulted to it -- every "
	  "recording of the call pauses (reason payment); it resumes when the device leaves (empty: none)" },
	{ "record.pause_on_hold", K_BOOL, offsetof(struct ct_config, record_pause_on_hold), 0, 0, 1,
	  "pause a call's recording while it is on hold" },
	{ "record.start_on_alert", K_BOOL, offsetof(struct ct_config, calls.start_on_alert), 0, 0, 1,
	  "start recording a device when the call rings there, not when it answers" },
	{ "record.dir", K_STR, offsetof(struct ct_config, record_dir), sizeof(((struct ct_config *)0)->record_dir), 0, 0,
	  "folder ctitap writes the recordings into itself (stereo WAV per call and device, chain, pcaps; "
	  "docs/recording.md); empty: it only writes the recording records" },
	{ "record.pause_mode", K_STR, offsetof(struct ct_config, record_pause_mode),
	  sizeof(((struct ct_config *)0)->record_pause_mode), 1, 0,
	  "paused time in the audio: silence (the timeline stays true) or cut (left out)" },
	{ "record.pcap", K_BOOL, offsetof(struct ct_config, record_pcap), 0, 0, 1,
	  "also one pcap per recorded call with its SIP and RTP packets, as evidence" },
	{ "record.pcap_hold_kb", K_U32, offsetof(struct ct_config, record_pcap_hold_kb), 0, 0, 1 << 20,
	  "record.pcap: SIP frames of calls not recorded yet wait in this much memory, so a call's evidence "
	  "starts at its first INVITE; a frame pushed out is counted (0: evidence starts when recording does)" },
	{ "record.min_free_mb", K_U32, offsetof(struct ct_config, record_min_free_mb), 0, 0, 1 << 30,
	  "below this much free space on record.dir's filesystem recording stops, audited (0: no check)" },
	{ "record.max_mb", K_U32, offsetof(struct ct_config, record_max_mb), 0, 0, 1 << 30,
	  "when record.dir holds this much recording stops, audited (0: no cap)" },
	{ "record.retention_days", K_U32, offsetof(struct ct_config, record_retention_days), 0, 0, 36500,
	  "recordings older than this many days are removed, a day folder at a time (0: kept)" },
	{ "record.sign_key", K_STR, offsetof(struct ct_config, record_sign_key),
	  sizeof(((struct ct_config *)0)->record_sign_key), 0, 0,
	  "Ed25519 secret key file (ctitap keygen sign): every chain entry's hash is signed (empty: not signed)" },
	{ "record.encrypt_to", K_STR, offsetof(struct ct_config, record_encrypt_to),
	  sizeof(((struct ct_config *)0)->record_encrypt_to), 0, 0,
	  "X25519 public key file (ctitap keygen box): files are encrypted to it and the sensor cannot read them "
	  "back (empty: plain)" },
	{ "record.max_active", K_U32, offsetof(struct ct_config, record_max_active), 0, 1, 1 << 20,
	  "recordings open at once (32 KiB and a file descriptor each for G.711, up to 102 KiB for Opus); past "
	  "it a recording is refused, audited" },
	{ "record.jitter_ms", K_U32, offsetof(struct ct_config, record_jitter_ms), 0, 20, 400,
	  "packets are reordered and placed this long before they are written; later ones are counted late" },
	{ "record.silence_s", K_U32, offsetof(struct ct_config, record_silence_s), 0, 0, 3600,
	  "a direction without audio this long while recording is a one-way-audio (or both: long-silence) "
	  "finding (0: off)" },
	{ "privacy.numbers", K_STR, offsetof(struct ct_config, privacy_numbers),
	  sizeof(((struct ct_config *)0)->privacy_numbers), 1, 0,
	  "what records show of telephone numbers and party identities (devices, agent ids, SIP users), in "
	  "their fields and inside free text: clear; mask (the last privacy.mask_keep digits); pseudonymise "
	  "(p: and a keyed hash, the same for the same party everywhere; needs privacy.key_file)" },
	{ "privacy.mask_keep", K_U32, offsetof(struct ct_config, privacy.mask_keep), 0, 0, CT_PRIVACY_MASK_KEEP_MAX,
	  "digits (or characters of a name) a mask leaves visible at the end, never more than half of them" },
	{ "privacy.key_file", K_STR, offsetof(struct ct_config, privacy_key_file),
	  sizeof(((struct ct_config *)0)->privacy_key_file), 0, 0,
	  "the site key of pseudonyms: 32 random bytes (or 64 hex digits) in a file other users cannot read, "
	  "read at start before privileges are dropped; ctitap does not start without it when pseudonymising. "
	  "Make one with: (umask 077; head -c 32 /dev/urandom > FILE)" },
	{ "privacy.devices_clear", K_STR, offsetof(struct ct_config, privacy_devices_clear_spec),
	  sizeof(((struct ct_config *)0)->privacy_devices_clear_spec), 0, 0,
	  "devices and agent ids shown in clear whatever privacy.numbers says, as record.devices writes them "
	  "(e.g. 2000-2999,A*; empty: none, extensions are hidden like every number)" },
	{ "privacy.dtmf", K_STR, offsetof(struct ct_config, privacy_dtmf), sizeof(((struct ct_config *)0)->privacy_dtmf),
	  1, 0, "DTMF keys in events (SIP INFO): mask (only that a key was sent, and how long) or clear" },
	{ "output.jsonl", K_STR, offsetof(struct ct_config, out_jsonl), sizeof(((struct ct_config *)0)->out_jsonl), 0, 0,
	  "JSON-lines file written when the command line gives no -o (as -o jsonl:PATH; empty: none)" },
	{ "output.kafka", K_STR, offsetof(struct ct_config, out_kafka), sizeof(((struct ct_config *)0)->out_kafka), 0, 0,
	  "Kafka brokers written to when the command line gives no -o (as -o kafka:BROKERS; empty: none)" },
	{ "output.zstd_level", K_INT, offsetof(struct ct_config, zstd_level), 0, 1, 19, "zstd level of .zst outputs" },
	{ "output.flush_ms", K_U32, offsetof(struct ct_config, flush_ms), 0, 10, 1000,
	  "outputs are flushed (a zstd frame closed) at least this often" },
	{ "output.rotate_mb", K_BYTES_MB, offsetof(struct ct_config, rotate_bytes), 0, 0, 1 << 20,
	  "start a new output file after this many MiB (0: never)" },
	{ "output.rotate_s", K_U32, offsetof(struct ct_config, rotate_s), 0, 0, 86400 * 31,
	  "start a new output file after this many seconds (0: never)" },
	{ "stats.interval_s", K_U32, offsetof(struct ct_config, stats_interval_s), 0, 0, 86400,
	  "a stats record every this many seconds of packet time (0: only the final one)" },
	{ "kafka.topic.prefix", K_STR, offsetof(struct ct_config, kafka_prefix), sizeof(((struct ct_config *)0)->kafka_prefix),
	  1, 0, "Kafka topics are <prefix>.events, .calls, .recording, .audit, .stats" },
	{ "kafka.spool.dir", K_STR, offsetof(struct ct_config, kafka_spool_dir),
	  sizeof(((struct ct_config *)0)->kafka_spool_dir), 1, 0,
	  "journal of records for Kafka; what a run could not deliver is delivered by the next (default: spool in "
	  "the state directory when installed, ctitap-spool in the working directory from a build tree)" },
	{ "kafka.spool.max_mb", K_BYTES_MB, offsetof(struct ct_config, kafka_spool_max), 0, 1, 1 << 20,
	  "journal size cap; past it the oldest undelivered records are dropped and counted" },
	{ "kafka.exit_timeout_ms", K_U32, offsetof(struct ct_config, kafka_exit_timeout_ms), 0, 0, 3600000,
	  "at exit, time to deliver what is pending before it is left in the spool" },
	{ "run.user", K_STR, offsetof(struct ct_config, run_user), sizeof(((struct ct_config *)0)->run_user), 0, 0,
	  "once the capture and the outputs are open, run as this user (and its groups) with no capability "
	  "(-Z; empty: stay as started)" },
	{ "http.listen", K_STR, offsetof(struct ct_config, http_listen), sizeof(((struct ct_config *)0)->http_listen), 0,
	  0, "monitoring endpoint (/metrics, /healthz) as ADDRESS:PORT ([::1]:9180 for IPv6); empty: off; capture "
	  "files are served only when it is set explicitly" },
	{ "http.tls_cert", K_STR, offsetof(struct ct_config, http_tls_cert), sizeof(((struct ct_config *)0)->http_tls_cert),
	  0, 0, "PEM certificate (chain) file: the endpoint speaks HTTPS (with http.tls_key)" },
	{ "http.tls_key", K_STR, offsetof(struct ct_config, http_tls_key), sizeof(((struct ct_config *)0)->http_tls_key), 0,
	  0, "PEM private key file of http.tls_cert" },
	{ "http.user", K_STR, offsetof(struct ct_config, http_user), sizeof(((struct ct_config *)0)->http_user), 0, 0,
	  "HTTP basic authentication user for every route (empty: none; needs http.password_file)" },
	{ "http.password_file", K_STR, offsetof(struct ct_config, http_password_file),
	  sizeof(((struct ct_config *)0)->http_password_file), 0, 0,
	  "file whose first line is http.user's password (read once at start, before privileges are dropped)" },
	{ "http.linger_s", K_U32, offsetof(struct ct_config, http_linger_s), 0, 0, 86400,
	  "capture files: once the input ended (every record written), the endpoint goes on answering (the call "
	  "view, /metrics) this many seconds, or until TERM or INT (0: it ends with the input)" },
	{ "http.view_calls", K_U32, offsetof(struct ct_config, view_calls), 0, 1, 1 << 20,
	  "calls the live call view keeps; past it the least recently updated is dropped" },
	{ "http.view_mb", K_BYTES_MB, offsetof(struct ct_config, view_bytes), 0, 1, 65536,
	  "memory for the records the live call view keeps (one call gets at most a quarter)" },
	{ "view.export_mb", K_BYTES_MB, offsetof(struct ct_config, view_export_bytes), 0, 1, 1 << 20,
	  "--html: memory for records of calls not written yet; past it the least recently updated call is written" },
	{ "view.max_messages", K_U32, offsetof(struct ct_config, view_max_messages), 0, 10, 100000,
	  "SIP and CSTA messages drawn in a call's ladder diagram; the page says how many more there were" },
	{ "view.index_max", K_U32, offsetof(struct ct_config, view_index_max), 0, 1, 1 << 24,
	  "--html: calls listed in index.html, the newest (every call still gets its page)" },
	{ "view.files_base", K_STR, offsetof(struct ct_config, view_files_base),
	  sizeof(((struct ct_config *)0)->view_files_base), 0, 0,
	  "prefix of the call pages' links to recording files, which records name relative to record.dir" },
};

/* String settings parsed into a structure when set: a bad value is refused with the setting
 * named, and leaves both the text and the structure as they were. */
static int apply_rules(struct ct_config *cfg, const char *val, char *err, size_t errlen)
{
	return ct_numbers_parse(&cfg->numbers, val, err, errlen);
}

static int apply_cc(struct ct_config *cfg, const char *val, char *err, size_t errlen)
{
	return ct_numbers_set_country_code(&cfg->numbers, val, err, errlen);
}

static int apply_national(struct ct_config *cfg, const char *val, char *err, size_t errlen)
{
	return ct_numbers_set_national_prefix(&cfg->numbers, val, err, errlen);
}

static int apply_international(struct ct_config *cfg, const char *val, char *err, size_t errlen)
{
	return ct_numbers_set_international_prefix(&cfg->numbers, val, err, errlen);
}

static int apply_devices(struct ct_config *cfg, const char *val, char *err, size_t errlen)
{
	return ct_devset_parse(&cfg->record_devices, val, err, errlen);
}

static int apply_exclude(struct ct_config *cfg, const char *val, char *err, size_t errlen)
{
	return ct_devset_parse(&cfg->record_exclude, val, err, errlen);
}

static int apply_pause_devices(struct ct_config *cfg, const char *val, char *err, size_t errlen)
{
	return ct_devset_parse(&cfg->record_pause_devices, val, err, errlen);
}

static int apply_privacy_numbers(struct ct_config *cfg, const char *val, char *err, size_t errlen)
{
	return ct_privacy_set_numbers(&cfg->privacy, val, err, errlen);
}

static int apply_privacy_dtmf(struct ct_config *cfg, const char *val, char *err, size_t errlen)
{
	return ct_privacy_set_dtmf(&cfg->privacy, val, err, errlen);
}

static int apply_privacy_devices(struct ct_config *cfg, const char *val, char *err, size_t errlen)
{
	return ct_devset_parse(&cfg->privacy.clear, val, err, errlen);
}

/* Integer settings where 0 stands for a value (tcpdump's -s 0: its default snap length). */
static const struct cfg_zero {
	const char *name;
	int64_t as;
} cfg_zero[] = {
	{ "capture.snaplen", 262144 },
};

static int64_t zero_as(const struct cfg_key *k)
{
	for (size_t i = 0; i < CT_ARRAY_SIZE(cfg_zero); i++)
		if (strcmp(cfg_zero[i].name, k->name) == 0)
			return cfg_zero[i].as;
	return 0;
}

static int apply_pause_mode(struct ct_config *cfg, const char *val, char *err, size_t errlen)
{
	(void)cfg;
	if (strcmp(val, "silence") == 0 || strcmp(val, "cut") == 0)
		return CT_OK;
	snprintf(err, errlen, "'%s' is not silence or cut", val);
	return CT_EINVAL;
}

static const struct cfg_parsed {
	const char *name;
	int (*apply)(struct ct_config *cfg, const char *val, char *err, size_t errlen);
} cfg_parsed[] = {
	{ "numbers.rules", apply_rules },
	{ "numbers.country_code", apply_cc },
	{ "numbers.national_prefix", apply_national },
	{ "numbers.international_prefix", apply_international },
	{ "record.devices", apply_devices },
	{ "record.exclude", apply_exclude },
	{ "record.pause_devices", apply_pause_devices },
	{ "record.pause_mode", apply_pause_mode },
	{ "privacy.numbers", apply_privacy_numbers },
	{ "privacy.dtmf", apply_privacy_dtmf },
	{ "privacy.devices_clear", apply_privacy_devices },
};

const char *ct_config_state_dir(void)
{
	static char dir[PATH_MAX];
	const char *env = getenv("STATE_DIRECTORY");
	if (env && env[0] == '/') {
		size_t n = strcspn(env, ":"); /* several StateDirectory= entries are joined by ':' */
		if (n < sizeof(dir)) {
			memcpy(dir, env, n);
			dir[n] = '\0';
			return dir;
		}
	}
	/* installed: the binary is in the bin directory it was built for */
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return NULL;
	exe[n] = '\0';
	char *slash = strrchr(exe, '/');
	if (!slash)
		return NULL;
	*slash = '\0';
	if (strcmp(exe, CTITAP_BINDIR) != 0)
		return NULL;
	return CTITAP_STATEDIR;
}

const char *ct_config_default_file(void)
{
	const char *env = getenv("CTITAP_CONFIG");
	if (env)
		return env[0] ? env : NULL;
	static const char path[] = CTITAP_SYSCONFDIR "/ctitap/ctitap.conf";
	return access(path, F_OK) == 0 ? path : NULL;
}

void ct_config_init(struct ct_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	if (gethostname(cfg->sensor, sizeof(cfg->sensor) - 1) != 0 || !cfg->sensor[0])
		snprintf(cfg->sensor, sizeof(cfg->sensor), "ctitap");
	cfg->live.snaplen = 65535;
	cfg->live.buffer_mb = 64;
	cfg->live.promisc = true;
	ct_capture_cfg_default(&cfg->cap);
	ct_sipcall_cfg_default(&cfg->sip);
	cfg->sip_enabled = true;
	cfg->rtp_enabled = true;
	cfg->csta_enabled = true;
	cfg->csta_max_links = 256;
	cfg->csta_max_monitors = 16384;
	cfg->csta_max_monitors_total = 65536;
	ct_numbers_init(&cfg->numbers);
	struct ct_view_cfg view;
	ct_view_cfg_default(&view);
	cfg->view_calls = view.max_calls;
	cfg->view_bytes = view.max_bytes;
	cfg->view_export_bytes = 512u << 20;
	cfg->view_max_messages = view.max_messages;
	cfg->view_index_max = view.index_max;
	snprintf(cfg->view_files_base, sizeof(cfg->view_files_base), "%s", view.files_base);
	ct_devset_init(&cfg->record_devices);
	ct_devset_init(&cfg->record_exclude);
	ct_devset_init(&cfg->record_pause_devices);
	cfg->record_pause_on_hold = true;
	snprintf(cfg->record_pause_mode, sizeof(cfg->record_pause_mode), "silence");
	cfg->record_min_free_mb = 1024;
	cfg->record_max_active = 2000;
	cfg->record_jitter_ms = 100;
	cfg->record_silence_s = 10;
	cfg->record_pcap_hold_kb = 2048;
	ct_privacy_init(&cfg->privacy);
	snprintf(cfg->privacy_numbers, sizeof(cfg->privacy_numbers), "clear");
	snprintf(cfg->privacy_dtmf, sizeof(cfg->privacy_dtmf), "mask");
	cfg->csta_response_timeout = 10 * CT_USEC_PER_SEC;
	cfg->csta_dup_window = 2 * CT_USEC_PER_SEC;
	cfg->agents_max = 10000;
	cfg->calls.max_calls = 100000;
	cfg->calls.window = 3 * CT_USEC_PER_SEC;
	cfg->calls.settle = 3 * CT_USEC_PER_SEC;
	cfg->calls.relay = 100 * 1000;
	cfg->calls.csta_grace = 3 * CT_USEC_PER_SEC;
	cfg->calls.idle = 4 * 3600 * CT_USEC_PER_SEC;
	cfg->calls.pause_on_hold = true;
	cfg->zstd_level = 3;
	cfg->flush_ms = 1000;
	cfg->stats_interval_s = 60;
	snprintf(cfg->kafka_prefix, sizeof(cfg->kafka_prefix), "ctitap");
	const char *state = ct_config_state_dir();
	if (state)
		snprintf(cfg->kafka_spool_dir, sizeof(cfg->kafka_spool_dir), "%s/spool", state);
	else
		snprintf(cfg->kafka_spool_dir, sizeof(cfg->kafka_spool_dir), "ctitap-spool");
	snprintf(cfg->http_listen, sizeof(cfg->http_listen), "127.0.0.1:9180");
	cfg->kafka_spool_max = (size_t)1024 << 20;
	cfg->kafka_exit_timeout_ms = 10000;
}

void ct_config_free(struct ct_config *cfg)
{
	ct_privacy_wipe(&cfg->privacy);
	for (unsigned i = 0; i < cfg->nkafka; i++) {
		free(cfg->kafka[i].key);
		free(cfg->kafka[i].val);
	}
	cfg->nkafka = 0;
}

static bool parse_int(const char *s, int64_t *out)
{
	if (!*s)
		return false;
	errno = 0;
	char *end;
	long long v = strtoll(s, &end, 10);
	if (errno || *end)
		return false;
	*out = v;
	return true;
}

static bool parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "1", "true", "yes", "on" };
	static const char *const no[] = { "0", "false", "no", "off" };
	for (size_t i = 0; i < CT_ARRAY_SIZE(yes); i++) {
		if (strcmp(s, yes[i]) == 0) {
			*out = true;
			return true;
		}
		if (strcmp(s, no[i]) == 0) {
			*out = false;
			return true;
		}
	}
	return false;
}

static int kafka_passthru(struct ct_config *cfg, const char *key, const char *val, char *err, size_t errlen)
{
	for (unsigned i = 0; i < cfg->nkafka; i++) {
		if (strcmp(cfg->kafka[i].key, key) == 0) {
			char *v = strdup(val);
			if (!v)
				return CT_ENOMEM;
			free(cfg->kafka[i].val);
			cfg->kafka[i].val = v;
			return CT_OK;
		}
	}
	if (cfg->nkafka >= CT_CFG_MAX_PASSTHRU) {
		snprintf(err, errlen, "more than %d kafka.* settings", CT_CFG_MAX_PASSTHRU);
		return CT_EINVAL;
	}
	char *k = strdup(key), *v = strdup(val);
	if (!k || !v) {
		free(k);
		free(v);
		return CT_ENOMEM;
	}
	cfg->kafka[cfg->nkafka].key = k;
	cfg->kafka[cfg->nkafka].val = v;
	cfg->nkafka++;
	return CT_OK;
}

int ct_config_set(struct ct_config *cfg, const char *key, const char *val, char *err, size_t errlen)
{
	const struct cfg_key *k = NULL;
	for (size_t i = 0; i < CT_ARRAY_SIZE(cfg_keys); i++)
		if (strcmp(cfg_keys[i].name, key) == 0)
			k = &cfg_keys[i];
	if (!k && strncmp(key, "kafka.", 6) == 0 && key[6])
		return kafka_passthru(cfg, key, val, err, errlen);
	if (!k) {
		snprintf(err, errlen, "unknown setting '%s' (ctitap --help-settings lists them)", key);
		return CT_ENOENT;
	}
	char *base = (char *)cfg + k->off;
	if (k->kind == K_STR) {
		size_t n = strlen(val);
		if (n < (size_t)k->min || n >= k->size) {
			if (k->min)
				snprintf(err, errlen, "setting %s: '%s' must be 1 to %zu characters", key, val,
					 k->size - 1);
			else
				snprintf(err, errlen, "setting %s: '%.40s...' is longer than %zu characters", key, val,
					 k->size - 1);
			return CT_EINVAL;
		}
		for (size_t i = 0; i < CT_ARRAY_SIZE(cfg_parsed); i++) {
			if (strcmp(cfg_parsed[i].name, key) != 0)
				continue;
			char why[512];
			if (cfg_parsed[i].apply(cfg, val, why, sizeof(why)) != CT_OK) {
				snprintf(err, errlen, "setting %s: %s", key, why);
				return CT_EINVAL;
			}
		}
		memcpy(base, val, n + 1); /* for the country code and prefixes, what apply stored */
		if (k->off == offsetof(struct ct_config, http_listen))
			cfg->http_listen_set = true;
		return CT_OK;
	}
	if (k->kind == K_BOOL) {
		bool b;
		if (!parse_bool(val, &b)) {
			snprintf(err, errlen, "setting %s: '%s' is not a boolean (true/false)", key, val);
			return CT_EINVAL;
		}
		*(bool *)(void *)base = b;
		return CT_OK;
	}
	int64_t v;
	bool ok = parse_int(val, &v);
	if (ok && v == 0 && zero_as(k))
		v = zero_as(k);
	if (!ok || v < k->min || v > k->max) {
		snprintf(err, errlen, "setting %s: '%s' is not an integer from %" PRId64 " to %" PRId64 "%s", key, val,
			 k->min, k->max, zero_as(k) ? ", or 0" : "");
		return CT_EINVAL;
	}
	switch (k->kind) {
	case K_U16: *(uint16_t *)(void *)base = (uint16_t)v; break;
	case K_U32: *(uint32_t *)(void *)base = (uint32_t)v; break;
	case K_INT: *(int *)(void *)base = (int)v; break;
	case K_BYTES_KB: *(size_t *)(void *)base = (size_t)v << 10; break;
	case K_BYTES_MB: *(size_t *)(void *)base = (size_t)v << 20; break;
	case K_TIME_MS: *(ct_time_t *)(void *)base = (ct_time_t)v * 1000u; break;
	case K_TIME_S: *(ct_time_t *)(void *)base = (ct_time_t)v * CT_USEC_PER_SEC; break;
	default: break;
	}
	return CT_OK;
}

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
		s[--n] = '\0';
	return s;
}

int ct_config_set_arg(struct ct_config *cfg, const char *arg, char *err, size_t errlen)
{
	char buf[1024];
	if (strlen(arg) >= sizeof(buf)) {
		snprintf(err, errlen, "setting too long: %.40s...", arg);
		return CT_EINVAL;
	}
	memcpy(buf, arg, strlen(arg) + 1);
	char *eq = strchr(buf, '=');
	if (!eq) {
		snprintf(err, errlen, "malformed setting '%s' (expected key=value)", arg);
		return CT_EINVAL;
	}
	*eq = '\0';
	return ct_config_set(cfg, trim(buf), trim(eq + 1), err, errlen);
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* A key or section name: letters, digits, '.', '_', '-'. */
static bool is_name(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '.' ||
		      *s == '_' || *s == '-'))
			return false;
	return true;
}

/* What may follow a value or a section header: blanks, then the end or a comment. */
static bool only_comment(const char *s)
{
	while (is_blank(*s))
		s++;
	return !*s || *s == '#' || *s == ';';
}

/* Reads the value that starts at v (blanks skipped) in place: quotes removed, escapes undone,
 * a trailing comment cut. Returns NULL with *why set when it is malformed. */
static char *read_value(char *v, const char **why)
{
	while (is_blank(*v))
		v++;
	if (*v == '"') {
		char *in = v + 1, *out = v;
		for (;; in++) {
			if (!*in) {
				*why = "no closing '\"'";
				return NULL;
			}
			if (*in == '"')
				break;
			if (*in == '\\') {
				in++;
				if (*in != '"' && *in != '\\') {
					*why = *in ? "unknown escape (only \\\" and \\\\ are known)" : "no closing '\"'";
					return NULL;
				}
			}
			*out++ = *in;
		}
		if (!only_comment(in + 1)) {
			*why = "text after the closing '\"'";
			return NULL;
		}
		*out = '\0';
		return v;
	}
	if (*v == '\'') {
		char *close = strchr(v + 1, '\'');
		if (!close) {
			*why = "no closing \"'\"";
			return NULL;
		}
		if (!only_comment(close + 1)) {
			*why = "text after the closing \"'\"";
			return NULL;
		}
		*close = '\0';
		return v + 1;
	}
	/* unquoted: a '#' or ';' after a blank starts a comment, so a value such as a password
	 * may hold either where no blank precedes it ("key=#x" is "#x") */
	for (char *c = v; *c; c++) {
		if ((*c == '#' || *c == ';') && is_blank(c[-1])) {
			*c = '\0';
			break;
		}
	}
	return trim(v);
}

int ct_config_load(struct ct_config *cfg, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "cannot read settings file %s: %s", path, strerror(errno));
		return CT_ENOENT;
	}
	char line[1024], sub[768], section[64] = "", key[160];
	unsigned lineno = 0;
	int rc = CT_OK;
	const char *why = NULL;
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		if (!strchr(line, '\n') && !feof(f)) {
			why = "line too long";
			break;
		}
		char *s = trim(line);
		if (!*s || *s == '#' || *s == ';')
			continue;
		if (*s == '[') {
			char *close = strchr(s, ']');
			if (!close || !only_comment(close + 1)) {
				why = "expected '[section]'";
				break;
			}
			*close = '\0';
			char *name = trim(s + 1);
			if (!is_name(name) || strlen(name) >= sizeof(section)) {
				why = "a section name is letters, digits, '.', '_' or '-'";
				break;
			}
			memcpy(section, name, strlen(name) + 1);
			continue;
		}
		char *eq = strchr(s, '=');
		if (!eq) {
			why = "expected 'key = value' or '[section]'";
			break;
		}
		*eq = '\0';
		char *k = trim(s);
		if (!is_name(k)) {
			why = "a key is letters, digits, '.', '_' or '-'";
			break;
		}
		int n = snprintf(key, sizeof(key), "%s%s%s", section, section[0] ? "." : "", k);
		if (n < 0 || (size_t)n >= sizeof(key)) {
			why = "key too long";
			break;
		}
		char *v = read_value(eq + 1, &why);
		if (!v)
			break;
		rc = ct_config_set(cfg, key, v, sub, sizeof(sub));
		if (rc) {
			snprintf(err, errlen, "%s:%u: %s", path, lineno, sub);
			break;
		}
	}
	if (why) {
		snprintf(err, errlen, "%s:%u: %s", path, lineno, why);
		rc = CT_EINVAL;
	} else if (rc == CT_OK && ferror(f)) {
		snprintf(err, errlen, "cannot read settings file %s: %s", path, strerror(errno));
		rc = CT_ENOENT;
	}
	fclose(f);
	return rc;
}

void ct_config_sink_cfg(const struct ct_config *cfg, struct ct_sink_cfg *out)
{
	memset(out, 0, sizeof(*out));
	out->sensor = cfg->sensor;
	out->zstd_level = cfg->zstd_level;
	out->rotate_bytes = cfg->rotate_bytes;
	out->rotate_s = cfg->rotate_s;
	out->kafka_prefix = cfg->kafka_prefix;
	out->kafka_spool_dir = cfg->kafka_spool_dir;
	out->kafka_spool_max = cfg->kafka_spool_max;
	out->kafka_exit_timeout_ms = cfg->kafka_exit_timeout_ms;
	out->kafka = cfg->kafka;
	out->nkafka = cfg->nkafka;
}

/* The value of k in cfg as a settings file or -X would give it. */
static void format_value(const struct cfg_key *k, const struct ct_config *cfg, char *val, size_t cap)
{
	const char *base = (const char *)cfg + k->off;
	switch (k->kind) {
	case K_STR: snprintf(val, cap, "%s", base); break;
	case K_BOOL: snprintf(val, cap, "%s", *(const bool *)(const void *)base ? "true" : "false"); break;
	case K_U16: snprintf(val, cap, "%u", *(const uint16_t *)(const void *)base); break;
	case K_U32: snprintf(val, cap, "%u", *(const uint32_t *)(const void *)base); break;
	case K_INT: snprintf(val, cap, "%d", *(const int *)(const void *)base); break;
	case K_BYTES_KB: snprintf(val, cap, "%zu", *(const size_t *)(const void *)base >> 10); break;
	case K_BYTES_MB: snprintf(val, cap, "%zu", *(const size_t *)(const void *)base >> 20); break;
	case K_TIME_MS: snprintf(val, cap, "%" PRIu64, *(const ct_time_t *)(const void *)base / 1000u); break;
	case K_TIME_S:
		snprintf(val, cap, "%" PRIu64, (uint64_t)(*(const ct_time_t *)(const void *)base / CT_USEC_PER_SEC));
		break;
	}
}

void ct_config_view_cfg(const struct ct_config *cfg, struct ct_view_cfg *out, bool export)
{
	ct_view_cfg_default(out);
	out->max_calls = export ? 1u << 20 : cfg->view_calls;
	out->max_bytes = export ? cfg->view_export_bytes : cfg->view_bytes;
	out->max_messages = cfg->view_max_messages;
	out->index_max = cfg->view_index_max;
	out->files_base = cfg->view_files_base;
}

void ct_config_recorder_cfg(const struct ct_config *cfg, struct ct_recorder_cfg *out)
{
	ct_recorder_cfg_default(out);
	out->dir = cfg->record_dir;
	out->sensor = cfg->sensor;
	out->pause_mode = strcmp(cfg->record_pause_mode, "cut") == 0 ? CT_REC_PAUSE_CUT : CT_REC_PAUSE_SILENCE;
	out->pcap = cfg->record_pcap;
	out->min_free_mb = cfg->record_min_free_mb;
	out->max_mb = cfg->record_max_mb;
	out->retention_days = cfg->record_retention_days;
	out->sign_key = cfg->record_sign_key[0] ? cfg->record_sign_key : NULL;
	out->encrypt_to = cfg->record_encrypt_to[0] ? cfg->record_encrypt_to : NULL;
	out->max_active = cfg->record_max_active;
	out->jitter_ms = cfg->record_jitter_ms;
	out->silence_s = cfg->record_silence_s;
}

void ct_config_print(const struct ct_config *cfg, FILE *out)
{
	for (size_t i = 0; i < CT_ARRAY_SIZE(cfg_keys); i++) {
		char val[800];
		format_value(&cfg_keys[i], cfg, val, sizeof(val));
		fprintf(out, "  %-28s %-12s %s\n", cfg_keys[i].name, val, cfg_keys[i].desc);
	}
	fprintf(out, "  %-28s %-12s %s\n", "kafka.*", "", "passed to librdkafka unchanged (without 'kafka.')");
}

/* "# text" lines of at most 100 columns. */
static void comment_wrapped(FILE *out, const char *text)
{
	while (*text) {
		size_t n = strlen(text);
		if (n > 98) {
			n = 98;
			while (n > 40 && text[n] != ' ')
				n--;
		}
		fprintf(out, "# %.*s\n", (int)n, text);
		text += n;
		while (*text == ' ')
			text++;
	}
}

void ct_config_write_example(const struct ct_config *cfg, FILE *out)
{
	fprintf(out, "# ctitap settings (ctitap(8), docs/configuration.md).\n"
		     "#\n"
		     "# Every setting is listed below, commented out, with its default. Remove the '#' in front\n"
		     "# of a setting to change it. Keys under [section] are read as section.key; values may be\n"
		     "# quoted (\"...\" with \\\" and \\\\ escapes, or '...' taken as written); '#' and ';' start a\n"
		     "# comment at the start of a line or after a blank outside quotes. -X key=value on the\n"
		     "# command line wins over this file. SIGHUP rereads record.* and numbers.* from it.\n"
		     "#\n"
		     "# A sensor needs at least capture.interface and output.jsonl or output.kafka.\n");
	bool done[CT_ARRAY_SIZE(cfg_keys)] = { false };
	for (size_t i = 0; i < CT_ARRAY_SIZE(cfg_keys); i++) {
		if (done[i])
			continue;
		const char *dot = strchr(cfg_keys[i].name, '.');
		size_t slen = (size_t)(dot - cfg_keys[i].name);
		fprintf(out, "\n[%.*s]\n", (int)slen, cfg_keys[i].name);
		for (size_t j = i; j < CT_ARRAY_SIZE(cfg_keys); j++) {
			const struct cfg_key *k = &cfg_keys[j];
			if (done[j] || strncmp(k->name, cfg_keys[i].name, slen + 1) != 0)
				continue;
			done[j] = true;
			char val[800];
			format_value(k, cfg, val, sizeof(val));
			fprintf(out, "\n");
			comment_wrapped(out, k->desc);
			if (k->kind != K_STR) {
				fprintf(out, "#%s = %s\n", k->name + slen + 1, val);
				continue;
			}
			fprintf(out, "#%s = \"", k->name + slen + 1);
			for (const char *c = val; *c; c++) {
				if (*c == '"' || *c == '\\')
					fputc('\\', out);
				fputc(*c, out);
			}
			fprintf(out, "\"\n");
		}
		if (strncmp(cfg_keys[i].name, "kafka.", 6) == 0)
			fprintf(out, "\n# Any other key here is librdkafka's own (its CONFIGURATION.md), e.g.\n"
				     "#security.protocol = \"SASL_SSL\"\n");
	}
}
