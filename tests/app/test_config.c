/* test_config.c - the settings table: defaults, each kind of value, -X parsing, kafka.*
 * pass-through and settings files, with the error each bad input must give. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "app/config.h"

struct fx {
	struct ct_config cfg;
	char err[1024];
	char path[64]; /* settings file written by the test, removed in teardown */
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	if (!f)
		return -1;
	ct_config_init(&f->cfg);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	ct_config_free(&f->cfg);
	if (f->path[0])
		unlink(f->path);
	free(f);
	return 0;
}

/* Writes text to a fresh temporary file and returns its path. */
static const char *settings_file(struct fx *f, const char *text)
{
	snprintf(f->path, sizeof(f->path), "/tmp/ctitap-test-config-XXXXXX");
	int fd = mkstemp(f->path);
	assert_true(fd >= 0);
	size_t n = strlen(text);
	assert_int_equal(write(fd, text, n), (ssize_t)n);
	close(fd);
	return f->path;
}

static int set(struct fx *f, const char *key, const char *val)
{
	f->err[0] = '\0';
	return ct_config_set(&f->cfg, key, val, f->err, sizeof(f->err));
}

static int arg(struct fx *f, const char *a)
{
	f->err[0] = '\0';
	return ct_config_set_arg(&f->cfg, a, f->err, sizeof(f->err));
}

static const char *kafka_val(const struct ct_config *cfg, const char *key)
{
	for (unsigned i = 0; i < cfg->nkafka; i++)
		if (strcmp(cfg->kafka[i].key, key) == 0)
			return cfg->kafka[i].val;
	return NULL;
}

static void test_defaults(void **state)
{
	struct fx *f = *state;
	struct ct_capture_cfg cap;
	ct_capture_cfg_default(&cap);
	/* the capture defaults are the capture module's own, not a second copy */
	assert_int_equal(f->cfg.cap.vlan_max, cap.vlan_max);
	assert_int_equal(f->cfg.cap.dedup, cap.dedup);
	assert_int_equal(f->cfg.cap.dedup_window, cap.dedup_window);
	assert_int_equal(f->cfg.cap.defrag_memcap, cap.defrag_memcap);
	assert_int_equal(f->cfg.cap.flow_max, cap.flow_max);
	assert_int_equal(f->cfg.cap.tcp_ooo_timeout, cap.tcp_ooo_timeout);
	/* dedup window well under SIP T1 (500 ms), as config.c's description requires */
	assert_true(f->cfg.cap.dedup_window > 0 && f->cfg.cap.dedup_window < 500000);
	assert_int_equal(f->cfg.live.snaplen, 65535);
	assert_true(f->cfg.live.promisc);
	assert_true(f->cfg.zstd_level >= 1 && f->cfg.zstd_level <= 19);
	assert_true(f->cfg.flush_ms >= 10 && f->cfg.flush_ms <= 1000);
	assert_int_equal(f->cfg.nkafka, 0);

	/* sensor.name defaults to the host name */
	char host[256] = "";
	assert_int_equal(gethostname(host, sizeof(host) - 1), 0);
	if (host[0] && strlen(host) < sizeof(f->cfg.sensor))
		assert_string_equal(f->cfg.sensor, host);
	assert_true(f->cfg.sensor[0] != '\0');
}

static void test_bool_forms(void **state)
{
	struct fx *f = *state;
	static const char *const yes[] = { "true", "yes", "on", "1" };
	static const char *const no[] = { "false", "no", "off", "0" };
	for (size_t i = 0; i < 4; i++) {
		assert_int_equal(set(f, "capture.promisc", no[i]), CT_OK);
		assert_false(f->cfg.live.promisc);
		assert_int_equal(set(f, "capture.promisc", yes[i]), CT_OK);
		assert_true(f->cfg.live.promisc);
		assert_int_equal(set(f, "dedup.enabled", no[i]), CT_OK);
		assert_false(f->cfg.cap.dedup);
		assert_int_equal(set(f, "dedup.enabled", yes[i]), CT_OK);
		assert_true(f->cfg.cap.dedup);
	}
	static const char *const bad[] = { "", "2", "-1", "y", "truth", "enable", "true " };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(set(f, "dedup.enabled", "off"), CT_OK);
		assert_int_equal(set(f, "dedup.enabled", bad[i]), CT_EINVAL);
		assert_non_null(strstr(f->err, "dedup.enabled"));
		assert_false(f->cfg.cap.dedup); /* a refused value changes nothing */
	}
}

static void test_integer_bounds(void **state)
{
	struct fx *f = *state;
	/* capture.snaplen: 64 .. 262144 */
	assert_int_equal(set(f, "capture.snaplen", "64"), CT_OK);
	assert_int_equal(f->cfg.live.snaplen, 64);
	assert_int_equal(set(f, "capture.snaplen", "262144"), CT_OK);
	assert_int_equal(f->cfg.live.snaplen, 262144);
	assert_int_equal(set(f, "capture.snaplen", "63"), CT_EINVAL);
	assert_non_null(strstr(f->err, "capture.snaplen"));
	assert_non_null(strstr(f->err, "63"));
	assert_int_equal(set(f, "capture.snaplen", "262145"), CT_EINVAL);
	assert_int_equal(f->cfg.live.snaplen, 262144);

	/* capture.vxlan_port is 16 bits wide: 65535 fits, 65536 must not wrap to 0 */
	assert_int_equal(set(f, "capture.vxlan_port", "65535"), CT_OK);
	assert_int_equal(f->cfg.cap.vxlan_port, 65535);
	assert_int_equal(set(f, "capture.vxlan_port", "0"), CT_OK);
	assert_int_equal(f->cfg.cap.vxlan_port, 0);
	assert_int_equal(set(f, "capture.vxlan_port", "65536"), CT_EINVAL);
	assert_int_equal(set(f, "capture.vxlan_port", "-1"), CT_EINVAL);
	assert_int_equal(f->cfg.cap.vxlan_port, 0);

	/* output.zstd_level: 1 .. 19 (an int) */
	assert_int_equal(set(f, "output.zstd_level", "19"), CT_OK);
	assert_int_equal(f->cfg.zstd_level, 19);
	assert_int_equal(set(f, "output.zstd_level", "0"), CT_EINVAL);
	assert_int_equal(set(f, "output.zstd_level", "20"), CT_EINVAL);
	assert_int_equal(f->cfg.zstd_level, 19);

	/* not decimal integers */
	static const char *const bad[] = { "", "abc", "12abc", "1.5", "1e3", "0x40", "100 ",
					   "99999999999999999999", "-99999999999999999999" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (set(f, "capture.snaplen", bad[i]) != CT_EINVAL)
			fail_msg("capture.snaplen='%s' was accepted", bad[i]);
		assert_non_null(strstr(f->err, "capture.snaplen"));
	}
	assert_int_equal(f->cfg.live.snaplen, 262144);
}

static void test_units(void **state)
{
	struct fx *f = *state;
	/* ms -> µs */
	assert_int_equal(set(f, "dedup.window_ms", "20"), CT_OK);
	assert_int_equal(f->cfg.cap.dedup_window, 20000);
	assert_int_equal(set(f, "dedup.window_ms", "0"), CT_OK);
	assert_int_equal(f->cfg.cap.dedup_window, 0);
	/* keep the window under SIP T1: 400 ms is the most accepted */
	assert_int_equal(set(f, "dedup.window_ms", "401"), CT_EINVAL);
	assert_int_equal(set(f, "tcp.ooo_timeout_ms", "600000"), CT_OK);
	assert_int_equal(f->cfg.cap.tcp_ooo_timeout, 600000ULL * 1000u);
	/* MiB -> bytes */
	assert_int_equal(set(f, "defrag.memcap_mb", "2"), CT_OK);
	assert_int_equal(f->cfg.cap.defrag_memcap, (size_t)2 << 20);
	assert_int_equal(set(f, "tcp.memcap_mb", "65536"), CT_OK);
	assert_int_equal(f->cfg.cap.tcp_memcap, (size_t)65536 << 20);
	/* KiB -> bytes */
	assert_int_equal(set(f, "tcp.flow_memcap_kb", "64"), CT_OK);
	assert_int_equal(f->cfg.cap.tcp_flow_memcap, 65536);
	/* s -> µs, including a value whose µs do not fit in 32 bits */
	assert_int_equal(set(f, "defrag.timeout_s", "30"), CT_OK);
	assert_int_equal(f->cfg.cap.defrag_timeout, 30000000);
	assert_int_equal(set(f, "flow.tcp_timeout_s", "604800"), CT_OK);
	assert_int_equal(f->cfg.cap.tcp_timeout, 604800ULL * 1000000u);
	/* plain counts are stored as given */
	assert_int_equal(set(f, "flow.max", "1024"), CT_OK);
	assert_int_equal(f->cfg.cap.flow_max, 1024);
	assert_int_equal(set(f, "capture.buffer_mb", "4096"), CT_OK);
	assert_int_equal(f->cfg.live.buffer_mb, 4096);
}

static void test_string_key(void **state)
{
	struct fx *f = *state;
	assert_int_equal(set(f, "sensor.name", "tap-fra-1"), CT_OK);
	assert_string_equal(f->cfg.sensor, "tap-fra-1");
	assert_int_equal(set(f, "sensor.name", ""), CT_EINVAL);
	assert_string_equal(f->cfg.sensor, "tap-fra-1");
	char name[sizeof(f->cfg.sensor) + 1];
	memset(name, 'n', sizeof(name));
	name[sizeof(f->cfg.sensor) - 1] = '\0'; /* the longest that fits */
	assert_int_equal(set(f, "sensor.name", name), CT_OK);
	assert_string_equal(f->cfg.sensor, name);
	name[sizeof(f->cfg.sensor) - 1] = 'n';
	name[sizeof(f->cfg.sensor)] = '\0'; /* one too many */
	assert_int_equal(set(f, "sensor.name", name), CT_EINVAL);
	assert_int_equal(strlen(f->cfg.sensor), sizeof(f->cfg.sensor) - 1);
}

static void test_numbers_and_record(void **state)
{
	struct fx *f = *state;
	char out[CT_NUMBER_NORM_MAX];
	/* defaults: no rules, no country code, 0 and 00; record nothing, pause on hold */
	assert_int_equal(f->cfg.numbers.nrules, 0);
	assert_string_equal(f->cfg.numbers.country_code, "");
	assert_string_equal(f->cfg.numbers.national_prefix, "0");
	assert_string_equal(f->cfg.numbers.international_prefix, "00");
	assert_false(ct_devset_has(&f->cfg.record_devices, "2001"));
	assert_true(f->cfg.record_pause_on_hold);

	assert_int_equal(set(f, "numbers.country_code", "49"), CT_OK);
	assert_int_equal(set(f, "numbers.rules", "9[12-14]=>;5000[4]=>+4930555000"), CT_OK);
	assert_string_equal(f->cfg.numbers_rules, "9[12-14]=>;5000[4]=>+4930555000");
	assert_int_equal(f->cfg.numbers.nrules, 2);
	assert_int_equal(ct_number_norm(&f->cfg.numbers, "9017012345678", out, sizeof(out)), 14);
	assert_string_equal(out, "+4917012345678");
	assert_int_equal(ct_number_norm(&f->cfg.numbers, "5000", out, sizeof(out)), 11);

	/* a bad rule names the setting and the rule, and changes neither text nor rules */
	assert_int_equal(set(f, "numbers.rules", "0=>+49;0[12-11]=>+49"), CT_EINVAL);
	assert_non_null(strstr(f->err, "setting numbers.rules: rule 2 '0[12-11]=>+49': length condition"));
	assert_string_equal(f->cfg.numbers_rules, "9[12-14]=>;5000[4]=>+4930555000");
	assert_int_equal(f->cfg.numbers.nrules, 2);
	assert_int_equal(set(f, "numbers.country_code", "4a"), CT_EINVAL);
	assert_non_null(strstr(f->err, "setting numbers.country_code: country code '4a'"));
	assert_string_equal(f->cfg.numbers.country_code, "49");
	assert_int_equal(set(f, "numbers.national_prefix", "x"), CT_EINVAL);
	assert_non_null(strstr(f->err, "numbers.national_prefix"));
	assert_int_equal(set(f, "numbers.international_prefix", "011"), CT_OK);
	assert_string_equal(f->cfg.numbers.international_prefix, "011");
	/* empty strings are allowed here: they turn a step off */
	assert_int_equal(set(f, "numbers.national_prefix", ""), CT_OK);
	assert_string_equal(f->cfg.numbers.national_prefix, "");
	assert_int_equal(set(f, "numbers.rules", ""), CT_OK);
	assert_int_equal(f->cfg.numbers.nrules, 0);

	assert_int_equal(set(f, "record.devices", "2001-2099, 3000, +4930555*"), CT_OK);
	assert_true(ct_devset_has(&f->cfg.record_devices, "2099"));
	assert_false(ct_devset_has(&f->cfg.record_devices, "2100"));
	assert_int_equal(set(f, "record.exclude", "2050"), CT_OK);
	assert_false(ct_devset_selects(&f->cfg.record_devices, &f->cfg.record_exclude, &f->cfg.numbers, "2050"));
	assert_int_equal(set(f, "record.devices", "2001-209"), CT_EINVAL);
	assert_non_null(strstr(f->err, "setting record.devices: range '2001-209'"));
	assert_string_equal(f->cfg.record_devices_spec, "2001-2099, 3000, +4930555*");
	assert_true(ct_devset_has(&f->cfg.record_devices, "2099"));
	assert_int_equal(set(f, "record.devices", "*"), CT_OK);
	assert_true(ct_devset_has(&f->cfg.record_devices, "anything"));
	assert_int_equal(set(f, "record.pause_on_hold", "false"), CT_OK);
	assert_false(f->cfg.record_pause_on_hold);

	/* the recorder: off until record.dir; pause mode silence or cut, nothing else */
	assert_string_equal(f->cfg.record_dir, "");
	assert_string_equal(f->cfg.record_pause_mode, "silence");
	assert_int_equal(f->cfg.record_min_free_mb, 1024);
	assert_int_equal(set(f, "record.pause_mode", "cut"), CT_OK);
	assert_string_equal(f->cfg.record_pause_mode, "cut");
	assert_int_equal(set(f, "record.pause_mode", "mute"), CT_EINVAL);
	assert_non_null(strstr(f->err, "setting record.pause_mode: 'mute' is not silence or cut"));
	assert_string_equal(f->cfg.record_pause_mode, "cut");
	assert_int_equal(set(f, "record.jitter_ms", "10"), CT_EINVAL); /* 20..400 */
	assert_int_equal(set(f, "record.jitter_ms", "60"), CT_OK);
	assert_int_equal(f->cfg.record_jitter_ms, 60);
	assert_int_equal(set(f, "record.dir", "/var/lib/ctitap/rec"), CT_OK);
	assert_string_equal(f->cfg.record_dir, "/var/lib/ctitap/rec");

	/* too long for the text: refused before parsing */
	char lng[sizeof(f->cfg.numbers_rules) + 1];
	memset(lng, '1', sizeof(lng) - 1);
	lng[sizeof(lng) - 1] = '\0';
	assert_int_equal(set(f, "numbers.rules", lng), CT_EINVAL);
	assert_non_null(strstr(f->err, "numbers.rules"));
	assert_non_null(strstr(f->err, "longer than 511 characters"));
}

static void test_privacy_settings(void **state)
{
	struct fx *f = *state;
	/* defaults: numbers clear, DTMF masked, 4 digits kept, no device in clear, no key */
	assert_int_equal(f->cfg.privacy.numbers, CT_PRIVACY_CLEAR);
	assert_false(f->cfg.privacy.dtmf_clear);
	assert_int_equal(f->cfg.privacy.mask_keep, 4);
	assert_false(ct_devset_has(&f->cfg.privacy.clear, "2001"));
	assert_false(f->cfg.privacy.have_key);
	assert_string_equal(f->cfg.privacy_numbers, "clear");
	assert_string_equal(f->cfg.privacy_dtmf, "mask");

	assert_int_equal(set(f, "privacy.numbers", "pseudonymise"), CT_OK);
	assert_int_equal(f->cfg.privacy.numbers, CT_PRIVACY_PSEUDONYMISE);
	assert_int_equal(set(f, "privacy.numbers", "pseudonymize"), CT_OK);
	assert_int_equal(f->cfg.privacy.numbers, CT_PRIVACY_PSEUDONYMISE);
	assert_int_equal(set(f, "privacy.numbers", "mask"), CT_OK);
	assert_int_equal(f->cfg.privacy.numbers, CT_PRIVACY_MASK);
	/* a bad value names the setting and what is expected, and changes nothing */
	assert_int_equal(set(f, "privacy.numbers", "hash"), CT_EINVAL);
	assert_non_null(strstr(f->err, "setting privacy.numbers: 'hash' is not clear, mask or pseudonymise"));
	assert_int_equal(f->cfg.privacy.numbers, CT_PRIVACY_MASK);
	assert_string_equal(f->cfg.privacy_numbers, "mask");
	assert_int_equal(set(f, "privacy.numbers", ""), CT_EINVAL);

	assert_int_equal(set(f, "privacy.dtmf", "clear"), CT_OK);
	assert_true(f->cfg.privacy.dtmf_clear);
	assert_int_equal(set(f, "privacy.dtmf", "hide"), CT_EINVAL);
	assert_true(f->cfg.privacy.dtmf_clear);

	assert_int_equal(set(f, "privacy.mask_keep", "0"), CT_OK);
	assert_int_equal(f->cfg.privacy.mask_keep, 0);
	assert_int_equal(set(f, "privacy.mask_keep", "8"), CT_OK);
	assert_int_equal(set(f, "privacy.mask_keep", "9"), CT_EINVAL);
	assert_int_equal(f->cfg.privacy.mask_keep, 8);

	assert_int_equal(set(f, "privacy.devices_clear", "2000-2999, A*"), CT_OK);
	assert_true(ct_devset_has(&f->cfg.privacy.clear, "2001"));
	assert_true(ct_devset_has(&f->cfg.privacy.clear, "A17"));
	assert_false(ct_devset_has(&f->cfg.privacy.clear, "+4917012345678"));
	assert_int_equal(set(f, "privacy.devices_clear", "2000-299"), CT_EINVAL);
	assert_non_null(strstr(f->err, "setting privacy.devices_clear: range '2000-299'"));
	assert_true(ct_devset_has(&f->cfg.privacy.clear, "2001"));

	/* the key file is a path here; it is read at start (main.c), not when set */
	assert_int_equal(set(f, "privacy.key_file", "/nonexistent/privacy.key"), CT_OK);
	assert_string_equal(f->cfg.privacy_key_file, "/nonexistent/privacy.key");
	assert_false(f->cfg.privacy.have_key);
}

static void test_unknown_key(void **state)
{
	struct fx *f = *state;
	assert_int_equal(set(f, "no.such", "1"), CT_ENOENT);
	assert_non_null(strstr(f->err, "no.such"));
	/* a prefix or a near miss of a real key is not that key */
	assert_int_equal(set(f, "capture.snap", "100"), CT_ENOENT);
	assert_non_null(strstr(f->err, "capture.snap"));
	assert_int_equal(set(f, "Capture.Snaplen", "100"), CT_ENOENT);
	assert_int_equal(set(f, "", "1"), CT_ENOENT);
	/* "kafka." alone names no librdkafka property */
	assert_int_equal(set(f, "kafka.", "x"), CT_ENOENT);
	assert_int_equal(f->cfg.nkafka, 0);
	assert_int_equal(f->cfg.live.snaplen, 65535);
}

static void test_set_arg(void **state)
{
	struct fx *f = *state;
	assert_int_equal(arg(f, "capture.snaplen=1500"), CT_OK);
	assert_int_equal(f->cfg.live.snaplen, 1500);
	/* spaces around key and value are not part of them */
	assert_int_equal(arg(f, "  capture.snaplen =  200 "), CT_OK);
	assert_int_equal(f->cfg.live.snaplen, 200);
	/* no '=' at all */
	assert_int_equal(arg(f, "capture.snaplen"), CT_EINVAL);
	assert_non_null(strstr(f->err, "capture.snaplen"));
	assert_int_equal(arg(f, ""), CT_EINVAL);
	/* malformed value and unknown key keep their own codes through -X */
	assert_int_equal(arg(f, "capture.snaplen=abc"), CT_EINVAL);
	assert_non_null(strstr(f->err, "abc"));
	assert_int_equal(arg(f, "no.such=1"), CT_ENOENT);
	assert_non_null(strstr(f->err, "no.such"));
	assert_int_equal(arg(f, "=5"), CT_ENOENT);
	assert_int_equal(f->cfg.live.snaplen, 200);
	/* an over-long argument is refused, not cut */
	char longarg[2048];
	memset(longarg, 'a', sizeof(longarg) - 1);
	longarg[sizeof(longarg) - 1] = '\0';
	memcpy(longarg, "sensor.name=", 12);
	assert_int_equal(arg(f, longarg), CT_EINVAL);
}

static void test_kafka_passthru(void **state)
{
	struct fx *f = *state;
	assert_int_equal(set(f, "kafka.bootstrap.servers", "b1:9092,b2:9092"), CT_OK);
	assert_int_equal(set(f, "kafka.sasl.password", " p@ss w=rd "), CT_OK);
	assert_int_equal(f->cfg.nkafka, 2);
	assert_string_equal(kafka_val(&f->cfg, "kafka.bootstrap.servers"), "b1:9092,b2:9092");
	/* stored verbatim: inner and outer spaces and '=' kept */
	assert_string_equal(kafka_val(&f->cfg, "kafka.sasl.password"), " p@ss w=rd ");
	/* a later value replaces the earlier one; no second entry */
	assert_int_equal(set(f, "kafka.bootstrap.servers", "b3:9093"), CT_OK);
	assert_int_equal(f->cfg.nkafka, 2);
	assert_string_equal(kafka_val(&f->cfg, "kafka.bootstrap.servers"), "b3:9093");
	/* -X splits at the first '=' only, so values may hold '=' */
	assert_int_equal(arg(f, "kafka.sasl.jaas=user=a pass=b"), CT_OK);
	assert_string_equal(kafka_val(&f->cfg, "kafka.sasl.jaas"), "user=a pass=b");
	/* pass-through keys do not touch ctitap's own settings */
	assert_int_equal(f->cfg.live.snaplen, 65535);

	/* capped: at most CT_CFG_MAX_PASSTHRU distinct keys, replacing still works at the cap */
	char key[32];
	for (unsigned i = f->cfg.nkafka; i < CT_CFG_MAX_PASSTHRU; i++) {
		snprintf(key, sizeof(key), "kafka.k%u", i);
		assert_int_equal(set(f, key, "v"), CT_OK);
	}
	assert_int_equal(f->cfg.nkafka, CT_CFG_MAX_PASSTHRU);
	assert_int_equal(set(f, "kafka.one.too.many", "v"), CT_EINVAL);
	assert_int_equal(f->cfg.nkafka, CT_CFG_MAX_PASSTHRU);
	assert_int_equal(set(f, "kafka.bootstrap.servers", "b4:9094"), CT_OK);
	assert_string_equal(kafka_val(&f->cfg, "kafka.bootstrap.servers"), "b4:9094");
}

static void test_file_ok(void **state)
{
	struct fx *f = *state;
	const char *p = settings_file(f,
		"# ctitap settings\n"
		"\n"
		"   \t\n"
		"sensor.name = tap-1\n"
		"\tcapture.snaplen\t=\t1600   # trailing comment\n"
		"dedup.enabled=no\r\n"
		"   # indented comment with key = value inside\n"
		"kafka.client.id = ctitap-test\n"
		"dedup.window_ms = 20\n"
		"defrag.memcap_mb=2"); /* last line without a newline */
	assert_int_equal(ct_config_load(&f->cfg, p, f->err, sizeof(f->err)), CT_OK);
	assert_string_equal(f->cfg.sensor, "tap-1");
	assert_int_equal(f->cfg.live.snaplen, 1600);
	assert_false(f->cfg.cap.dedup);
	assert_string_equal(kafka_val(&f->cfg, "kafka.client.id"), "ctitap-test");
	assert_int_equal(f->cfg.cap.dedup_window, 20000);
	assert_int_equal(f->cfg.cap.defrag_memcap, (size_t)2 << 20);

	/* -X after the file wins, as main.c applies them */
	assert_int_equal(arg(f, "capture.snaplen=9000"), CT_OK);
	assert_int_equal(f->cfg.live.snaplen, 9000);
}

/* err must begin with "<path>:<line>:" */
static void assert_names_line(const struct fx *f, const char *path, unsigned line)
{
	char want[128];
	snprintf(want, sizeof(want), "%s:%u:", path, line);
	if (strncmp(f->err, want, strlen(want)) != 0)
		fail_msg("expected error starting '%s', got '%s'", want, f->err);
}

static void test_file_errors(void **state)
{
	struct fx *f = *state;
	/* a malformed value on line 4 (line numbers count comments and blank lines) */
	const char *p = settings_file(f, "# c\n\ncapture.snaplen = 100\ncapture.snaplen = abc\nflow.max = 2048\n");
	assert_int_equal(ct_config_load(&f->cfg, p, f->err, sizeof(f->err)), CT_EINVAL);
	assert_names_line(f, p, 4);
	assert_non_null(strstr(f->err, "abc"));
	assert_int_equal(f->cfg.live.snaplen, 100); /* lines before the error applied */
	unlink(f->path);

	/* an unknown key on line 2 */
	p = settings_file(f, "flow.max = 2048\nno.such = 1\n");
	assert_int_equal(ct_config_load(&f->cfg, p, f->err, sizeof(f->err)), CT_ENOENT);
	assert_names_line(f, p, 2);
	assert_non_null(strstr(f->err, "no.such"));
	unlink(f->path);

	/* a line that is not key = value, on line 3 */
	p = settings_file(f, "\n# only a comment\njust words\n");
	assert_int_equal(ct_config_load(&f->cfg, p, f->err, sizeof(f->err)), CT_EINVAL);
	assert_names_line(f, p, 3);
	unlink(f->path);

	/* a line longer than the reader takes is an error, not two settings */
	char big[1200 + 64];
	snprintf(big, sizeof(big), "flow.max = 2048\nsensor.name = %01200d\n", 0);
	p = settings_file(f, big);
	assert_int_equal(ct_config_load(&f->cfg, p, f->err, sizeof(f->err)), CT_EINVAL);
	assert_names_line(f, p, 2);
	unlink(f->path);
	f->path[0] = '\0';

	/* a missing file names itself */
	assert_int_equal(ct_config_load(&f->cfg, "/nonexistent/ctitap.conf", f->err, sizeof(f->err)), CT_ENOENT);
	assert_non_null(strstr(f->err, "/nonexistent/ctitap.conf"));
}

/* The INI form: [section] headers, quoted values, ';' and '#' comments. */
static void test_file_sections_quotes(void **state)
{
	struct fx *f = *state;
	const char *p = settings_file(f,
		"; ctitap settings, VoIPmonitor style\n"
		"sensor.name = top-level   ; a key before any section keeps its full name\n"
		"[capture]\n"
		"snaplen = 1600            # trailing '#' comment\n"
		"  [ dedup ]  ; blanks inside the brackets\n"
		"window_ms=20\n"
		"[kafka]\n"
		"topic.prefix = \"cc # 1; \\\"tap\\\" \\\\ x\"\n" /* "cc # 1; "tap" \ x" */
		"sasl.password = 'a\\b#c;d\"e'   ; single quotes: taken as written\n"
		"client.id = pw#1;x         # '#' and ';' inside a word stay\n"
		"[record]\n"
		"devices = \"\"\n"
		"exclude =\n"
		"[numbers]\n"
		"country_code = '49'\n");
	assert_int_equal(ct_config_load(&f->cfg, p, f->err, sizeof(f->err)), CT_OK);
	assert_string_equal(f->cfg.sensor, "top-level");
	assert_int_equal(f->cfg.live.snaplen, 1600);
	assert_int_equal(f->cfg.cap.dedup_window, 20000);
	assert_string_equal(f->cfg.kafka_prefix, "cc # 1; \"tap\" \\ x");
	assert_string_equal(kafka_val(&f->cfg, "kafka.sasl.password"), "a\\b#c;d\"e");
	assert_string_equal(kafka_val(&f->cfg, "kafka.client.id"), "pw#1;x");
	assert_string_equal(f->cfg.record_devices_spec, "");
	assert_string_equal(f->cfg.numbers.country_code, "49");
}

/* Each malformed line is refused with its line number (comments and blanks counted). */
static void test_file_syntax_errors(void **state)
{
	struct fx *f = *state;
	static const struct {
		const char *text;
		unsigned line;
		const char *why;
	} bad[] = {
		{ "[capture\nsnaplen = 100\n", 1, "[section]" },
		{ "# c\n[]\n", 2, "section name" },
		{ "[cap ture]\n", 1, "section name" },
		{ "[capture] x\n", 1, "[section]" },
		{ "\n\nsensor.name = \"open\n", 3, "closing" },
		{ "sensor.name = \"a\" b\n", 1, "after the closing" },
		{ "sensor.name = \"a\\n\"\n", 1, "unknown escape" },
		{ "sensor.name = 'open\n", 1, "closing" },
		{ "sensor.name = 'a' b\n", 1, "after the closing" },
		{ "; c\n= value\n", 2, "key" },
		{ "bad key = 1\n", 1, "key" },
		{ "[capture]\nno_such = 1\n", 2, "capture.no_such" },
		{ "[capture]\n; c\nsnaplen = \"abc\"\n", 3, "capture.snaplen" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ct_config_free(&f->cfg);
		ct_config_init(&f->cfg);
		const char *p = settings_file(f, bad[i].text);
		assert_int_not_equal(ct_config_load(&f->cfg, p, f->err, sizeof(f->err)), CT_OK);
		char want[128];
		snprintf(want, sizeof(want), "%s:%u:", p, bad[i].line);
		if (strncmp(f->err, want, strlen(want)) != 0 || !strstr(f->err, bad[i].why))
			fail_msg("case %zu: expected '%s ... %s', got '%s'", i, want, bad[i].why, f->err);
		unlink(f->path);
	}
	f->path[0] = '\0';
}

/* tcpdump's -s 0: the default snap length, 262144; 1 to 63 are still refused. */
static void test_snaplen_zero(void **state)
{
	struct fx *f = *state;
	assert_int_equal(set(f, "capture.snaplen", "0"), CT_OK);
	assert_int_equal(f->cfg.live.snaplen, 262144);
	assert_int_equal(set(f, "capture.snaplen", "63"), CT_EINVAL);
	assert_non_null(strstr(f->err, "or 0"));
	assert_int_equal(f->cfg.live.snaplen, 262144);
}

/* The example settings file lists every setting, commented out, under its section; with every
 * setting uncommented it loads and changes nothing. */
static void test_example_round_trip(void **state)
{
	struct fx *f = *state;
	char *ex = NULL, *defaults = NULL, *loaded = NULL;
	size_t exlen = 0, dlen = 0, llen = 0;
	FILE *m = open_memstream(&ex, &exlen);
	ct_config_write_example(&f->cfg, m);
	fclose(m);
	m = open_memstream(&defaults, &dlen);
	ct_config_print(&f->cfg, m);
	fclose(m);

	/* every key --help-settings prints appears as "#key = " after its "[section]" */
	unsigned keys = 0;
	for (char *line = defaults; *line;) {
		char *nl = strchr(line, '\n');
		char key[64] = "";
		sscanf(line, "%63s", key);
		char *dot = strchr(key, '.');
		if (dot && strcmp(key, "kafka.*") != 0) {
			char sect[72], entry[80];
			snprintf(sect, sizeof(sect), "\n[%.*s]\n", (int)(dot - key), key);
			snprintf(entry, sizeof(entry), "\n#%s = ", dot + 1);
			char *s = strstr(ex, sect);
			if (!s || !strstr(s, entry))
				fail_msg("%s is not in the example under [%.*s]", key, (int)(dot - key), key);
			keys++;
		}
		line = nl ? nl + 1 : line + strlen(line);
	}
	assert_true(keys > 60);

	/* uncommented: "#key = " -> "key = " */
	for (char *c = ex; (c = strstr(c, "\n#")) != NULL; c++) {
		char *eq = strchr(c + 2, '\n');
		if (c[2] >= 'a' && c[2] <= 'z' && eq && memchr(c + 2, '=', (size_t)(eq - c - 2)) &&
		    memchr(c + 2, ' ', (size_t)(eq - c - 2)) && strncmp(c + 2, "security.protocol", 17) != 0)
			c[1] = ' ';
	}
	const char *p = settings_file(f, ex);
	struct ct_config *cfg = calloc(1, sizeof(*cfg));
	assert_non_null(cfg);
	ct_config_init(cfg);
	assert_int_equal(ct_config_load(cfg, p, f->err, sizeof(f->err)), CT_OK);
	m = open_memstream(&loaded, &llen);
	ct_config_print(cfg, m);
	fclose(m);
	assert_string_equal(loaded, defaults);
	assert_int_equal(cfg->nkafka, 0);
	ct_config_free(cfg);
	free(cfg);
	free(ex);
	free(defaults);
	free(loaded);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_defaults, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bool_forms, setup, teardown),
		cmocka_unit_test_setup_teardown(test_integer_bounds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_units, setup, teardown),
		cmocka_unit_test_setup_teardown(test_string_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_numbers_and_record, setup, teardown),
		cmocka_unit_test_setup_teardown(test_privacy_settings, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_set_arg, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kafka_passthru, setup, teardown),
		cmocka_unit_test_setup_teardown(test_file_ok, setup, teardown),
		cmocka_unit_test_setup_teardown(test_file_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_file_sections_quotes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_file_syntax_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_snaplen_zero, setup, teardown),
		cmocka_unit_test_setup_teardown(test_example_round_trip, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
