/* test_privacy.c - records/privacy.c and the records writers that use it: masks and
 * pseudonyms of parties, the scanner of free text on real detail lines and on hostile bytes, the
 * site key file, every record type written with numbers hidden (and its Kafka key), DTMF keys of
 * SIP INFO, the order of agents in stats records, and CSTA digits events. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "decoders/csta_xml.h"
#include "decoders/sip.h"
#include "records/records.h"

/* ---- helpers ---- */

static struct ct_privacy priv;
static struct ct_numbers nums;

static void setup_mode(enum ct_privacy_mode mode, const char *cc)
{
	char err[256];
	ct_privacy_init(&priv);
	priv.numbers = mode;
	ct_numbers_init(&nums);
	assert_int_equal(ct_numbers_set_country_code(&nums, cc, err, sizeof(err)), CT_OK);
	if (mode == CT_PRIVACY_PSEUDONYMISE) {
		char path[] = "/tmp/ctitap-privacy-keyXXXXXX";
		int fd = mkstemp(path);
		assert_true(fd >= 0);
		uint8_t key[32];
		for (int i = 0; i < 32; i++)
			key[i] = (uint8_t)(i * 7 + 1);
		assert_int_equal(write(fd, key, sizeof(key)), (ssize_t)sizeof(key));
		close(fd);
		assert_int_equal(ct_privacy_load_key(&priv, path, err, sizeof(err)), CT_OK);
		unlink(path);
	}
}

static const char *party(const char *in)
{
	static char out[512];
	ct_privacy_party(&priv, &nums, (const uint8_t *)in, strlen(in), out, sizeof(out));
	return out;
}

static const char *text(const char *in)
{
	static char out[8192];
	bool short_out;
	ct_privacy_text(&priv, &nums, (const uint8_t *)in, strlen(in), false, out, sizeof(out), &short_out);
	assert_false(short_out);
	return out;
}

static bool is_pseudonym(const char *s)
{
	if (strlen(s) != CT_PSEUDONYM_LEN || s[0] != 'p' || s[1] != ':')
		return false;
	for (int i = 2; i < CT_PSEUDONYM_LEN; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '2' && s[i] <= '7')))
			return false;
	return true;
}

/* ---- parties ---- */

static void test_mask_numbers(void **state)
{
	(void)state;
	setup_mode(CT_PRIVACY_MASK, "49");
	assert_string_equal(party("+4917012345678"), "+49*******5678");
	/* the canonical form: one party written two ways masks the same */
	assert_string_equal(party("017012345678"), "+49*******5678");
	assert_string_equal(party("sip:+49-170-1234-5678@carrier;user=phone"), "+49*******5678");
	assert_string_equal(party("tel:+4917012345678"), "+49*******5678");
	/* a foreign number keeps only its + */
	assert_string_equal(party("+12675941249"), "+*******1249");
	/* an extension: at most half of its digits show */
	assert_string_equal(party("2001"), "**01");
	assert_string_equal(party("sip:2001@pbx"), "**01");
	assert_string_equal(party("101"), "**1");
	assert_string_equal(party("7"), "*");
	assert_string_equal(party("N<+17867100001>Line00001;displayNumber=00001"), "+*******0001");
	setup_mode(CT_PRIVACY_MASK, "");
	assert_string_equal(party("017012345678"), "********5678");
	priv.mask_keep = 0;
	assert_string_equal(party("017012345678"), "************");
	priv.mask_keep = 8;
	assert_string_equal(party("017012345678"), "******345678");
}

static void test_mask_names(void **state)
{
	(void)state;
	setup_mode(CT_PRIVACY_MASK, "49");
	assert_string_equal(party("alice"), "***ce");
	assert_string_equal(party("sip:alice;x=y@example.com"), "***ce");
	assert_string_equal(party("sip:alice:secret@example.com"), "***ce");
	assert_string_equal(party("A2001"), "***01");
	/* a UTF-8 sequence is one character: no half of one is left */
	assert_string_equal(party("J\xc3\xbcrgen"), "***gen");
	assert_string_equal(party("\xc3\xbc\xc3\xbc"), "*\xc3\xbc");
	/* who identifies nobody stays */
	assert_string_equal(party("anonymous"), "anonymous");
	assert_string_equal(party("sip:Anonymous@anonymous.invalid"), "sip:Anonymous@anonymous.invalid");
	assert_string_equal(party("Unknown"), "Unknown");
	/* clear devices (privacy.devices_clear) */
	char err[256];
	assert_int_equal(ct_devset_parse(&priv.clear, "2000-2999,A*", err, sizeof(err)), CT_OK);
	assert_string_equal(party("2001"), "2001");
	assert_string_equal(party("sip:2001@pbx"), "sip:2001@pbx");
	assert_string_equal(party("A2001"), "A2001");
	assert_string_equal(party("3001"), "**01");
	assert_string_equal(party("+4917012345678"), "+49*******5678");
}

static void test_pseudonyms(void **state)
{
	(void)state;
	setup_mode(CT_PRIVACY_PSEUDONYMISE, "49");
	char a[512], b[512];
	snprintf(a, sizeof(a), "%s", party("+4917012345678"));
	assert_true(is_pseudonym(a));
	/* the same party, written five ways */
	assert_string_equal(party("017012345678"), a);
	assert_string_equal(party("0049 170 1234 5678"), a);
	assert_string_equal(party("tel:+49-170-1234-5678"), a);
	assert_string_equal(party("sip:+4917012345678@carrier;user=phone"), a);
	assert_string_equal(party("\"Bob\" <sip:%2B4917012345678@carrier>"), a);
	/* another party, another pseudonym; names too */
	snprintf(b, sizeof(b), "%s", party("+4917012345679"));
	assert_true(is_pseudonym(b));
	assert_string_not_equal(a, b);
	assert_true(is_pseudonym(party("alice")));
	snprintf(b, sizeof(b), "%s", party("alice"));
	assert_string_equal(party("sip:alice@example.com"), b);
	assert_string_equal(party("<sip:alice;x=y@example.com>;tag=9"), b);
	assert_string_not_equal(party("Alice"), b);
	assert_string_equal(party("anonymous"), "anonymous");
	/* another key, other pseudonyms */
	priv.key[0] ^= 1;
	assert_string_not_equal(party("+4917012345678"), a);
	/* no key: masked, never clear */
	ct_privacy_wipe(&priv);
	assert_string_equal(party("+4917012345678"), "+49*******5678");
	/* without a country code the national form is another number */
	setup_mode(CT_PRIVACY_PSEUDONYMISE, "");
	assert_string_equal(party("+4917012345678"), a);
	assert_string_not_equal(party("017012345678"), a);
}

/* ---- free text ---- */

static void test_text_details(void **state)
{
	(void)state;
	setup_mode(CT_PRIVACY_MASK, "49");
	/* the correlator's evidence and audit lines, as the captures give them */
	assert_string_equal(text("device 2001 in the SIP request-URI and in CSTA within 3000 ms"),
			    "device **01 in the SIP request-URI and in CSTA within 3000 ms");
	assert_string_equal(text("B2BUA 10.1.0.1 placed SIP dialog abandoned-c1-2001@10.1.0.1 for the same caller +4917012345678"),
			    "B2BUA 10.1.0.1 placed SIP dialog abandoned-c1-**01@10.1.0.1 for the same caller +49*******5678");
	assert_string_equal(text("CSTA call 2ace: Established at 000238221815 without Delivered or Originated before it"),
			    "CSTA call 2ace: Established at +******1815 without Delivered or Originated before it");
	assert_string_equal(text("ACD call 5c0a000b delivered to 2003 while CTI reports the agent not_ready"),
			    "ACD call 5c0a000b delivered to **03 while CTI reports the agent not_ready");
	assert_string_equal(text("calling number 017012345678, called 0301234567 on both sides within 3000 ms"),
			    "calling number +49*******5678, called +49*****4567 on both sides within 3000 ms");
	assert_string_equal(text("monitor ended for device 2001, monitor 0100"), "monitor ended for device **01, monitor 0100");
	/* what is not a number stays: addresses, ports, times, ids, quantities, versions */
	static const char *const same[] = {
		"CTI link 10.1.0.5:1040-10.1.0.50:60759 blind for 12345 ms (tcp gap of 2920 bytes sent by the pbx), 1 open calls",
		"13 SPAN duplicate frames suppressed since 2026-01-05T11:30:07.000240Z (copies with VLAN 100)",
		"CSTA call 0300010000000000CFB6706408000000 on link 10.9.0.10:1040-10.9.0.20:51544",
		"SIP dialog 0234a189-d0ab-41a9-879d-f08b6302060b was answered but no BYE was seen",
		"SIP dialog 2091060b-146f-e011-809a-0019cb53db77@admind-desktop: 3 retransmitted messages",
		"make_call (invoke 9999) got no response after 10000 ms on link 10.1.0.5:1040-10.1.0.50:40100",
		"from [2001:db8::1]:5060 and fe80::2001 and [::ffff:10.1.2.3]:15060",
		"INVITE at +0.018 s, version 4.2.0.1234, SIP/2.0, Q.850;cause=16",
		"refer bf3880-0-16e4-5af571fa-38bc4ba4-5af571fa%40101.231.48.19%3Bto-tag%3D41B472DE",
		"UCID 00FA0800050001695B8DF8;encoding=hex",
		"UCID 00005000011767607800 in SIP User-to-User and CSTA correlatorData",
		"CSTA call 0016 on link 10.9.0.10:2555-10.9.0.20:50312: no clearing event was seen",
		"",
	};
	for (size_t i = 0; i < CT_ARRAY_SIZE(same); i++)
		assert_string_equal(text(same[i]), same[i]);
}

static void test_text_uris(void **state)
{
	(void)state;
	setup_mode(CT_PRIVACY_MASK, "49");
	assert_string_equal(text("sip:+4917012345678@10.1.0.1;user=phone"), "sip:+49*******5678@10.1.0.1;user=phone");
	assert_string_equal(text("<sip:12054@maxus.lan>;index=1,<sip:12382@maxus.lan?Reason=SIP%3Bcause%3D302>;index=1.1"),
			    "<sip:***54@maxus.lan>;index=1,<sip:***82@maxus.lan?Reason=SIP%3Bcause%3D302>;index=1.1");
	/* a tag of digits alone looks like a number: hidden too (Call-IDs and tags have fields of
	 * their own, written as they came) */
	assert_string_equal(text("\"Alice\" <sips:alice@example.com>;tag=1928301774"),
			    "\"Alice\" <sips:***ce@example.com>;tag=******1774");
	assert_string_equal(text("tel:+49-30-555-1234;phone-context=+49"), "tel:+49*****1234;phone-context=+49");
	assert_string_equal(text("sip:20008910@101.231.48.19:5260?Replaces=bf3880-0-16e4%40101.231.48.19"),
			    "sip:****8910@101.231.48.19:5260?Replaces=bf3880-0-16e4%40101.231.48.19");
	/* no user part: the host stays */
	assert_string_equal(text("sip:pbx.example.com;transport=tcp"), "sip:pbx.example.com;transport=tcp");
	assert_string_equal(text("SIP:Anonymous@anonymous.invalid"), "SIP:Anonymous@anonymous.invalid");
	/* numbers written as people write them */
	assert_string_equal(text("call back (030) 5551234 or %2B4917012345678"),
			    "call back +49*****1234 or +49*******5678");
	setup_mode(CT_PRIVACY_PSEUDONYMISE, "49");
	char a[512];
	snprintf(a, sizeof(a), "%s", party("+4917012345678"));
	char want[2048];
	snprintf(want, sizeof(want), "from %s to sip:%s@h and %s.", a, a, a);
	assert_string_equal(text("from 017012345678 to sip:+4917012345678@h and 0049-170-1234-5678."), want);
}

static void test_text_hostile(void **state)
{
	(void)state;
	static char in[4096], out[8192];
	bool short_out;
	for (int mode = CT_PRIVACY_MASK; mode <= CT_PRIVACY_PSEUDONYMISE; mode++) {
		setup_mode((enum ct_privacy_mode)mode, "49");
		/* a very long run of digits: one party, hidden whole */
		memset(in, '7', 1000);
		in[1000] = '\0';
		const char *t = text(in);
		assert_null(strstr(t, "77777"));
		/* schemes with no user part, a URI cut short, lone prefixes */
		static const char *const odd[] = { "sip:sip:sip:sip:sip:", "sip:@", "tel:", "tel:;", "sips:<>", "%2", "%2B",
						   "+", "(", "((((1234", "1-2-3-4-5-6-7-8-9", "sip:a@sip:b@sip:c@", "tel:,tel:,",
						   "9999999999999999999999999999999999999999", "::::1234::::", "1234:", "x.1234" };
		for (size_t i = 0; i < CT_ARRAY_SIZE(odd); i++)
			(void)text(odd[i]);
		assert_null(strstr(text("1-2-3-4-5-6-7-8-9"), "3-4"));
		/* bytes of every value, NUL included, cut at every length, into small outputs */
		for (int i = 0; i < 512; i++)
			in[i] = (char)((i * 37 + 11) & 0xff);
		for (size_t len = 0; len <= 512; len += 7) {
			for (size_t cap = 1; cap < 64; cap += 9) {
				size_t n = ct_privacy_text(&priv, &nums, (const uint8_t *)in, len, true, out, cap, &short_out);
				assert_true(n < cap);
				assert_int_equal(out[n], '\0');
			}
			size_t n = ct_privacy_party(&priv, &nums, (const uint8_t *)in, len, out, sizeof(out));
			assert_true(n < sizeof(out));
		}
		assert_int_equal(ct_privacy_party(&priv, &nums, NULL, 0, out, sizeof(out)), 0);
		assert_int_equal(ct_privacy_text(&priv, &nums, NULL, 0, true, out, sizeof(out), &short_out), 0);
		/* a full output holds whole parties only: never half a pseudonym or mask */
		const char *s = "aaaa 017012345678 bbbb";
		size_t n = ct_privacy_text(&priv, &nums, (const uint8_t *)s, strlen(s), false, out, 12, &short_out);
		assert_true(short_out);
		assert_string_equal(out, "aaaa ");
		assert_int_equal(n, 5);
	}
	/* a run cut at the end of a cut text is a number whatever its length */
	setup_mode(CT_PRIVACY_MASK, "49");
	const char *s = "delivered to 20";
	ct_privacy_text(&priv, &nums, (const uint8_t *)s, strlen(s), true, out, sizeof(out), &short_out);
	assert_string_equal(out, "delivered to *0");
	ct_privacy_text(&priv, &nums, (const uint8_t *)s, strlen(s), false, out, sizeof(out), &short_out);
	assert_string_equal(out, "delivered to 20");
}

/* ---- the key file ---- */

static int key_file(const char *path, const void *b, size_t n, mode_t mode)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(b, 1, n, f), n);
	fclose(f);
	chmod(path, mode);
	char err[512];
	struct ct_privacy p;
	ct_privacy_init(&p);
	int rc = ct_privacy_load_key(&p, path, err, sizeof(err));
	if (rc == CT_OK)
		memcpy(priv.key, p.key, sizeof(p.key));
	else
		assert_non_null(strstr(err, path));
	ct_privacy_wipe(&p);
	return rc;
}

static void test_key_file(void **state)
{
	(void)state;
	char dir[] = "/tmp/ctitap-keysXXXXXX";
	assert_non_null(mkdtemp(dir));
	char path[128];
	snprintf(path, sizeof(path), "%s/key", dir);
	uint8_t raw[33] = { 0 };
	for (int i = 0; i < 32; i++)
		raw[i] = (uint8_t)(0xa0 + i);
	assert_int_equal(key_file(path, raw, 32, 0600), CT_OK);
	assert_memory_equal(priv.key, raw, 32);
	assert_int_equal(key_file(path, raw, 32, 0640), CT_OK);
	const char *hex = "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9BABBBCBDBEBF\n";
	memset(priv.key, 0, 32);
	assert_int_equal(key_file(path, hex, strlen(hex), 0400), CT_OK);
	assert_memory_equal(priv.key, raw, 32);
	/* open to others, wrong size, not hex, all zero, absent, not a file */
	assert_int_equal(key_file(path, raw, 32, 0644), CT_EPERM);
	assert_int_equal(key_file(path, raw, 32, 0602), CT_EPERM);
	assert_int_equal(key_file(path, raw, 31, 0600), CT_EINVAL);
	assert_int_equal(key_file(path, raw, 33, 0600), CT_EINVAL);
	assert_int_equal(key_file(path, "zz", 2, 0600), CT_EINVAL);
	uint8_t zero[32] = { 0 };
	assert_int_equal(key_file(path, zero, 32, 0600), CT_EINVAL);
	unlink(path);
	char err[512];
	struct ct_privacy p;
	ct_privacy_init(&p);
	assert_int_equal(ct_privacy_load_key(&p, path, err, sizeof(err)), CT_ENOENT);
	assert_non_null(strstr(err, "urandom")); /* says how to make one */
	assert_int_equal(ct_privacy_load_key(&p, "", err, sizeof(err)), CT_EINVAL);
	chmod(dir, 0700);
	assert_int_equal(ct_privacy_load_key(&p, dir, err, sizeof(err)), CT_EINVAL);
	assert_false(p.have_key);
	rmdir(dir);
}

/* ---- records ---- */

#define MAX_RECS 64
static char recs[MAX_RECS][16384];
static char keys[MAX_RECS][80];
static unsigned nrecs;

static void keep(void *user, const struct ct_record *r)
{
	(void)user;
	if (nrecs < MAX_RECS) {
		snprintf(recs[nrecs], sizeof(recs[0]), "%.*s", (int)r->len, r->json);
		snprintf(keys[nrecs], sizeof(keys[0]), "%s", r->key ? r->key : "");
		nrecs++;
	}
}

/* No run of digits in any record is one of the numbers the views hold. */
static void assert_no_number(void)
{
	static const char *const numbers[] = { "4917012345678", "017012345678", "2001", "2002", "4930555000",
					       "12054", "0301234567", "4711" };
	for (unsigned r = 0; r < nrecs; r++) {
		const char *s = recs[r];
		for (const char *p = s; *p;) {
			if (*p < '0' || *p > '9') {
				p++;
				continue;
			}
			size_t n = strspn(p, "0123456789");
			for (size_t k = 0; k < CT_ARRAY_SIZE(numbers); k++) {
				if (n == strlen(numbers[k]) && memcmp(p, numbers[k], n) == 0) {
					print_error("record %u holds %s: %s\n", r, numbers[k], s);
					fail();
				}
			}
			p += n;
		}
		/* the Kafka key is the record's call id, never a number */
		if (keys[r][0]) {
			char want[160];
			snprintf(want, sizeof(want), "\"call\":\"%.79s\"", keys[r]);
			assert_non_null(strstr(s, want));
			assert_int_equal(strspn(keys[r], "abcdefghijklmnopqrstuvwxyz"), strcspn(keys[r], "-"));
			assert_int_equal(strlen(keys[r] + strcspn(keys[r], "-") + 1), 16);
		}
	}
}

static void write_every_record(struct ct_records *w)
{
	const char *id = "c-0123456789abcdef";
	/* call */
	struct ct_call_party parties[] = { { "2001", "A4711", 1, 2, 3 }, { "sip:2002@pbx", "", 1, 0, 3 } };
	struct ct_call_transfer xfer = { "2001", "2002", CT_XFER_CONSULTATION, 2 };
	struct ct_call_transfer div = { "+4930555000", "2001", CT_XFER_DIVERSION, 1 };
	const char *conf[] = { "+4917012345678", "2001", "2002" };
	struct ct_interval iv = { 2, 3 };
	struct ct_call_recording rec = { "2001", &iv, 1 };
	struct ct_call_leg legs[] = { { false, "10.1.0.5:1040-10.1.0.50:40100", "5c0a0005" },
				      { true, NULL, "a84b4c76e66710@10.1.2.10" } };
	struct ct_call_finding f = { CT_AUDIT_ACD_NOT_READY, "ACD call 5c0a0005 delivered to 2001 while CTI reports" };
	struct ct_call_view cv = {
		.ts = 3, .call = id, .start = 1, .answer = 2, .end = 3, .calling = "017012345678",
		.called = "+4930555000", .parties = parties, .nparties = 2, .transfers = &xfer, .ntransfers = 1,
		.diversions = &div, .ndiversions = 1, .conferenced = true, .conference = conf, .nconference = 3,
		.released_by = "+4917012345678", .legs = legs, .nlegs = 2, .method = CT_JOIN_DEVICE_TIME,
		.evidence = "device 2001 in the SIP request-URI and in CSTA within 3000 ms; calling number +4917012345678",
		.recordings = &rec, .nrecordings = 1, .findings = &f, .nfindings = 1,
	};
	ct_rec_call(w, &cv);
	/* recording */
	struct ct_recording_view rv = { .ts = 2, .call = id, .device = "2001", .action = CT_RECA_START };
	ct_rec_recording(w, &rv);
	/* audit */
	struct ct_audit_view av = { 2, id, CT_AUDIT_MISSING_EVENT, "10.1.0.5:1040-10.1.0.50:40100", 0,
				    "CSTA call 5c0a0005: Established at 017012345678 without Delivered" };
	ct_rec_audit(w, &av);
	/* agent state */
	struct ct_agent_change ac = { .ts = 2, .device = "2001", .agent_id = "4711", .reason = "12",
				      .state = CT_AGENT_READY, .fresh = true, .trigger = "agent_ready" };
	ct_rec_agent_state(w, &ac);
	/* CSTA event */
	struct ct_csta_msg m;
	memset(&m, 0, sizeof(m));
	m.kind = CT_CSTA_EVENT;
	m.opcode = -1;
	snprintf(m.name, sizeof(m.name), "transferred");
	snprintf(m.conn.call_id, sizeof(m.conn.call_id), "5c0a0005");
	snprintf(m.conn.device, sizeof(m.conn.device), "2001");
	snprintf(m.conn2.call_id, sizeof(m.conn2.call_id), "5c0a0006");
	snprintf(m.conn2.device, sizeof(m.conn2.device), "2002");
	snprintf(m.subject, sizeof(m.subject), "2001");
	snprintf(m.calling, sizeof(m.calling), "017012345678");
	snprintf(m.called, sizeof(m.called), "N<+4930555000>");
	snprintf(m.other, sizeof(m.other), "2002");
	snprintf(m.agent_id, sizeof(m.agent_id), "4711");
	snprintf(m.monitor_device, sizeof(m.monitor_device), "2001");
	struct ct_csta_event ce = { .ts = 2, .call = id, .name = m.name, .msg = &m, .link = "l", .session = "",
				    .monitored = "2001" };
	ct_rec_csta_event(w, &ce);
	/* SIP events: an INVITE with every header that names a party, and an INFO with a key */
	static const char invite[] =
		"INVITE sip:+4930555000@10.1.0.1:5060;user=phone SIP/2.0\r\n"
		"Via: SIP/2.0/UDP 10.2.0.1:5060;branch=z9hG4bK1\r\n"
		"From: \"Bob\" <sip:+4917012345678@10.2.0.1>;tag=a1\r\n"
		"To: <sip:+4930555000@10.1.0.1>\r\n"
		"Call-ID: c1@10.2.0.1\r\nCSeq: 1 INVITE\r\n"
		"P-Asserted-Identity: <tel:+49-170-1234-5678>\r\n"
		"Diversion: <sip:0301234567@10.1.0.1>;reason=unconditional\r\n"
		"History-Info: <sip:12054@maxus.lan>;index=1,<sip:2001@10.1.0.1>;index=1.1\r\n"
		"Referred-By: <sip:2002@10.1.0.1>\r\n"
		"Refer-To: <sip:2001@10.1.0.1?Replaces=x%3Bto-tag%3Dy>\r\n"
		"Reason: Q.850;cause=16;text=\"forwarded from 4711\"\r\n"
		"Call-Info: <sip:2002@10.1.0.1>;purpose=info\r\n"
		"Content-Length: 0\r\n\r\n";
	static const char info[] = "INFO sip:2001@10.1.0.1 SIP/2.0\r\n"
				   "Via: SIP/2.0/UDP 10.2.0.1:5060;branch=z9hG4bK2\r\n"
				   "From: <sip:+4917012345678@10.2.0.1>;tag=a1\r\nTo: <sip:2001@10.1.0.1>;tag=b1\r\n"
				   "Call-ID: c1@10.2.0.1\r\nCSeq: 2 INFO\r\n"
				   "Content-Type: application/dtmf-relay\r\nContent-Length: 26\r\n\r\n"
				   "Signal= 4\r\nDuration= 180\r\n";
	static struct ct_sip_msg sm;
	struct ct_sip_meta meta;
	memset(&meta, 0, sizeof(meta));
	const char *msgs[] = { invite, info };
	for (int i = 0; i < 2; i++) {
		assert_int_equal(ct_sip_parse((const uint8_t *)msgs[i], strlen(msgs[i]), false, &sm), CT_OK);
		struct ct_sip_event se = { .ts = 2, .call = id, .moment = i ? CT_SIP_M_INFO : CT_SIP_M_INVITE,
					   .msg = &sm, .meta = &meta,
					   .from = ct_sip_uri(ct_sip_get(&sm, CT_H_FROM)),
					   .to = ct_sip_uri(ct_sip_get(&sm, CT_H_TO)),
					   .calling = ct_slice_cstr("+4917012345678"),
					   .called = ct_slice_cstr("+4930555000") };
		ct_rec_sip_event(w, &se);
	}
	/* stats */
	struct ct_counters ctr;
	memset(&ctr, 0, sizeof(ctr));
	struct ct_agent_summary ag[] = { { "2001", "4711", "", CT_AGENT_READY, { 0 } },
					 { "2002", "", "", CT_AGENT_BUSY, { 0 } } };
	struct ct_stats_view sv = { .ts = 3, .final = true, .ctr = &ctr, .agents = ag, .nagents = 2 };
	ct_rec_stats(w, &sv);
}

static void test_records_hidden(void **state)
{
	(void)state;
	for (int mode = CT_PRIVACY_CLEAR; mode <= CT_PRIVACY_PSEUDONYMISE; mode++) {
		setup_mode((enum ct_privacy_mode)mode, "49");
		struct ct_records w;
		nrecs = 0;
		ct_records_init(&w, "sensor-a", keep, NULL);
		ct_records_set_privacy(&w, &priv, &nums);
		write_every_record(&w);
		ct_records_free(&w);
		assert_int_equal(nrecs, 8);
		if (mode == CT_PRIVACY_CLEAR) {
			/* the same records as a writer without privacy, DTMF masked by default */
			assert_non_null(strstr(recs[0], "\"calling\":\"017012345678\""));
			assert_non_null(strstr(recs[5], "\"pai\":\"tel:+49-170-1234-5678\""));
			assert_non_null(strstr(recs[6], "\"dtmf\":{\"masked\":true,\"duration_ms\":180}"));
			continue;
		}
		assert_no_number();
		assert_non_null(strstr(recs[6], "\"dtmf\":{\"masked\":true,\"duration_ms\":180}"));
		/* ids, links and Call-IDs stay */
		assert_non_null(strstr(recs[0], "\"sip\":[\"a84b4c76e66710@10.1.2.10\"]"));
		assert_non_null(strstr(recs[0], "\"call_id\":\"5c0a0005\""));
		assert_non_null(strstr(recs[5], "\"call_id\":\"c1@10.2.0.1\""));
		assert_non_null(strstr(recs[5], "refer_replaces\":\"x%3Bto-tag%3Dy\""));
		if (mode == CT_PRIVACY_PSEUDONYMISE) {
			/* the caller, written four ways in four records, is one pseudonym */
			char p[512], want[600];
			snprintf(p, sizeof(p), "%s", party("+4917012345678"));
			snprintf(want, sizeof(want), "\"calling\":\"%s\"", p);
			assert_non_null(strstr(recs[0], want)); /* call: 017012345678 */
			assert_non_null(strstr(recs[4], want)); /* CSTA: 017012345678 */
			assert_non_null(strstr(recs[5], want)); /* SIP: +4917012345678 */
			snprintf(want, sizeof(want), "\"pai\":\"tel:%s\"", p);
			assert_non_null(strstr(recs[5], want)); /* tel:+49-170-1234-5678 */
		}
	}
	/* privacy.dtmf=clear writes the key */
	setup_mode(CT_PRIVACY_MASK, "49");
	priv.dtmf_clear = true;
	struct ct_records w;
	nrecs = 0;
	ct_records_init(&w, "sensor-a", keep, NULL);
	ct_records_set_privacy(&w, &priv, &nums);
	write_every_record(&w);
	ct_records_free(&w);
	assert_non_null(strstr(recs[6], "\"dtmf\":{\"signal\":\"4\",\"duration_ms\":180}"));
}

static void test_sip_dtmf(void **state)
{
	(void)state;
	static const char *const bodies[][3] = {
		{ "application/dtmf-relay", "Signal=5\r\nDuration=160\r\n", "5" },
		{ "Application/DTMF-Relay; charset=x", "signal = #\nduration= 100", "#" },
		{ "application/dtmf-relay", "Duration=100\r\nSignal=16\r\n", "16" },
		{ "application/dtmf", "9\r\n", "9" },
		{ "application/dtmf-relay", "Signal=55\r\n", NULL },
		{ "application/dtmf-relay", "Signal=x\r\n", NULL },
		{ "application/dtmf-relay", "Duration=100\r\n", NULL },
		{ "application/csta+xml", "Signal=5\r\n", NULL },
		{ "application/dtmf-relay", "Signal=\r\n", NULL },
	};
	for (size_t i = 0; i < CT_ARRAY_SIZE(bodies); i++) {
		char msg[512];
		snprintf(msg, sizeof(msg),
			 "INFO sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:a@b>;tag=1\r\n"
			 "To: <sip:c@d>;tag=2\r\nCall-ID: x\r\nCSeq: 3 INFO\r\nContent-Type: %s\r\nContent-Length: %zu\r\n\r\n%s",
			 bodies[i][0], strlen(bodies[i][1]), bodies[i][1]);
		struct ct_sip_msg m;
		assert_int_equal(ct_sip_parse((const uint8_t *)msg, strlen(msg), false, &m), CT_OK);
		struct ct_sip_dtmf d;
		bool ok = ct_sip_dtmf(&m, &d);
		assert_int_equal(ok, bodies[i][2] != NULL);
		if (ok)
			assert_true(ct_slice_ieq(d.signal, bodies[i][2]));
	}
	/* no Content-Type, or not an INFO: no key */
	static const char *const none[] = {
		"INFO sip:a@b SIP/2.0\r\nCall-ID: x\r\nCSeq: 3 INFO\r\nContent-Length: 9\r\n\r\nSignal=5\n",
		"MESSAGE sip:a@b SIP/2.0\r\nCall-ID: x\r\nCSeq: 3 MESSAGE\r\nContent-Type: application/dtmf\r\n"
		"Content-Length: 1\r\n\r\n5",
	};
	for (size_t i = 0; i < CT_ARRAY_SIZE(none); i++) {
		struct ct_sip_msg m;
		struct ct_sip_dtmf d;
		assert_int_equal(ct_sip_parse((const uint8_t *)none[i], strlen(none[i]), false, &m), CT_OK);
		assert_false(ct_sip_dtmf(&m, &d));
	}
}

static void test_stats_order(void **state)
{
	(void)state;
	/* 12 agents in device order: written in the order of their pseudonyms, not of their devices */
	setup_mode(CT_PRIVACY_PSEUDONYMISE, "49");
	struct ct_agent_summary ag[12];
	char dev[12][8];
	memset(ag, 0, sizeof(ag));
	for (int i = 0; i < 12; i++) {
		snprintf(dev[i], sizeof(dev[i]), "%d", 2000 + i);
		ag[i].device = dev[i];
		ag[i].agent_id = "";
		ag[i].reason = "";
	}
	struct ct_counters ctr;
	memset(&ctr, 0, sizeof(ctr));
	struct ct_stats_view sv = { .ts = 3, .final = true, .ctr = &ctr, .agents = ag, .nagents = 12 };
	struct ct_records w;
	nrecs = 0;
	ct_records_init(&w, "s", keep, NULL);
	ct_records_set_privacy(&w, &priv, &nums);
	ct_rec_stats(&w, &sv);
	ct_rec_stats(&w, &sv); /* the order buffer is reused */
	ct_records_free(&w);
	assert_int_equal(nrecs, 2);
	const char *p = recs[0];
	char prev[512] = "", first_dev[512];
	snprintf(first_dev, sizeof(first_dev), "%s", party("2000"));
	int n = 0;
	bool device_order = true;
	while ((p = strstr(p, "\"device\":\"")) != NULL) {
		p += 10;
		char cur[512];
		snprintf(cur, sizeof(cur), "%.*s", (int)strcspn(p, "\""), p);
		assert_true(is_pseudonym(cur));
		assert_true(strcmp(prev, cur) < 0);
		if (strcmp(cur, party(dev[n])) != 0)
			device_order = false;
		snprintf(prev, sizeof(prev), "%s", cur);
		n++;
	}
	assert_int_equal(n, 12);
	assert_false(device_order);
	/* recs[1] differs only in its id */
	assert_string_equal(strstr(recs[0], "\"ts\""), strstr(recs[1], "\"ts\""));
}

static void test_csta_digits(void **state)
{
	(void)state;
	/* ECMA-323 DigitsGenerated and DigitsDialed: the keys a caller typed never reach a record */
	static const char *const xml[] = {
		"<?xml version=\"1.0\"?><DigitsGeneratedEvent xmlns=\"http://www.ecma-international.org/standards/ecma-323/csta/ed4\">"
		"<monitorCrossRefID>701</monitorCrossRefID><connection><callID>5c0a0005</callID><deviceID>2001</deviceID>"
		"</connection><digitGeneratedList>4111111111111111</digitGeneratedList>"
		"<digitDurationList>100 100</digitDurationList></DigitsGeneratedEvent>",
		"<?xml version=\"1.0\"?><DigitsDialedEvent xmlns=\"http://www.ecma-international.org/standards/ecma-323/csta/ed4\">"
		"<monitorCrossRefID>701</monitorCrossRefID><dialingConnection><callID>5c0a0005</callID><deviceID>2001</deviceID>"
		"</dialingConnection><dialingDevice><deviceIdentifier>2001</deviceIdentifier></dialingDevice>"
		"<dialingSequence>4111111111111111</dialingSequence><localConnectionInfo>connected</localConnectionInfo>"
		"<cause>normal</cause></DigitsDialedEvent>",
	};
	for (int mode = CT_PRIVACY_CLEAR; mode <= CT_PRIVACY_MASK; mode++) {
		setup_mode((enum ct_privacy_mode)mode, "49");
		for (size_t i = 0; i < CT_ARRAY_SIZE(xml); i++) {
			struct ct_csta_msg m;
			assert_int_equal(ct_csta_xml_decode((const uint8_t *)xml[i], strlen(xml[i]), &m), CT_OK);
			struct ct_csta_event ce = { .ts = 2, .name = m.name, .msg = &m, .link = "l", .session = "" };
			struct ct_records w;
			nrecs = 0;
			ct_records_init(&w, "s", keep, NULL);
			ct_records_set_privacy(&w, &priv, &nums);
			ct_rec_csta_event(&w, &ce);
			ct_records_free(&w);
			assert_int_equal(nrecs, 1);
			assert_non_null(strstr(recs[0], "\"name\":\"digits_"));
			assert_null(strstr(recs[0], "4111"));
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mask_numbers),
		cmocka_unit_test(test_mask_names),
		cmocka_unit_test(test_pseudonyms),
		cmocka_unit_test(test_text_details),
		cmocka_unit_test(test_text_uris),
		cmocka_unit_test(test_text_hostile),
		cmocka_unit_test(test_key_file),
		cmocka_unit_test(test_records_hidden),
		cmocka_unit_test(test_sip_dtmf),
		cmocka_unit_test(test_stats_order),
		cmocka_unit_test(test_csta_digits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
