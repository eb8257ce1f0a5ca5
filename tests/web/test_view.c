/* test_view.c - the call view's parts: escapes, ids, times, the filter, the store's caps and
 * merges, the pages' status codes, and the CSP's hashes against the bytes the pages carry. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "../../web/view_int.h"

static const char *esc(struct ct_buf *b, const char *s, size_t n)
{
	ct_buf_reset(b);
	ct_buf_html(b, s, n);
	return b->p ? b->p : "";
}

static void test_html_escape(void **state)
{
	(void)state;
	struct ct_buf b;
	ct_buf_init(&b);
	/* markup, both quotes and the ampersand: entities */
	assert_string_equal(esc(&b, "<a href=\"x\" title='y'>&</a>", 27),
			    "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;");
	/* tab and newline kept; other C0 controls, DEL and a C1 control (U+0085) become U+FFFD */
	assert_string_equal(esc(&b, "a\tb\nc\x01" "d\x7f" "e\xC2\x85" "f", 12),
			    "a\tb\nc\xEF\xBF\xBD" "d\xEF\xBF\xBD" "e\xEF\xBF\xBD" "f");
	/* valid UTF-8 as is: é (2 bytes), € (3), 😀 (4) */
	assert_string_equal(esc(&b, "\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80", 9), "\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80");
	/* not UTF-8: a lone continuation byte, an overlong '/' (C0 AF), a surrogate (ED A0 80),
	 * a cut sequence at the end: one U+FFFD a byte that starts no valid sequence */
	assert_string_equal(esc(&b, "\x80" "x" "\xC0\xAF" "y" "\xED\xA0\x80" "z" "\xE2\x82", 11),
			    "\xEF\xBF\xBD" "x\xEF\xBF\xBD\xEF\xBF\xBD" "y\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"
			    "z\xEF\xBF\xBD\xEF\xBF\xBD");
	/* a NUL inside the text (the length says where it ends) */
	assert_string_equal(esc(&b, "a\0b", 3), "a\xEF\xBF\xBD" "b");
	/* cut after 4 code points: 3 kept and an ellipsis; markup still escaped */
	ct_buf_reset(&b);
	ct_buf_html_cut(&b, "\xC3\xA9<\xC3\xA9>xyz", 4);
	assert_string_equal(b.p, "\xC3\xA9&lt;\xC3\xA9\xE2\x80\xA6");
	ct_buf_reset(&b);
	ct_buf_html_cut(&b, "short", 40);
	assert_string_equal(b.p, "short");
	/* URL query values: unreserved kept, the rest %XX, no character that needs HTML escaping */
	ct_buf_reset(&b);
	ct_buf_url(&b, "+49 30\"<&>'/\xC3\xA9~_.-");
	assert_string_equal(b.p, "%2B49%2030%22%3C%26%3E%27%2F%C3%A9~_.-");
	ct_buf_free(&b);
}

static void test_buf_cap(void **state)
{
	(void)state;
	struct ct_buf b;
	ct_buf_init(&b);
	b.max = 8;
	ct_buf_puts(&b, "12345");
	ct_buf_puts(&b, "6789"); /* past the cap: refused, sticky */
	ct_buf_puts(&b, "a");
	assert_int_equal(b.err, CT_ELIMIT);
	assert_int_equal(b.len, 5);
	ct_buf_reset(&b);
	ct_buf_printf(&b, "%0300d", 7); /* longer than printf's first try, within a larger cap */
	assert_int_equal(b.err, CT_ELIMIT);
	b.max = 0;
	ct_buf_reset(&b);
	ct_buf_printf(&b, "%0300d", 7);
	assert_int_equal(b.len, 300);
	assert_int_equal(b.p[299], '7');
	ct_buf_free(&b);
}

static void test_ids_and_times(void **state)
{
	(void)state;
	assert_true(ct_view_id_valid("sip-f411bd6d57d1cec0", 20));
	assert_true(ct_view_id_valid("csta-4200de236474e454", 21));
	assert_false(ct_view_id_valid("sip-F411BD6D57D1CEC0", 20)); /* upper case */
	assert_false(ct_view_id_valid("sip-f411bd6d57d1cec", 19));  /* 15 digits */
	assert_false(ct_view_id_valid("-f411bd6d57d1cec0", 17));    /* no kind */
	assert_false(ct_view_id_valid("../f411bd6d57d1cec0", 19));
	assert_false(ct_view_id_valid("sip-f411bd6d57d1ce/0", 20));
	assert_false(ct_view_id_valid("abcdefghijklmnopq-f411bd6d57d1cec0", 34)); /* kind of 17 */
	ct_time_t t;
	assert_true(view_parse_time("2026-01-05T09:00:00.000000Z", &t));
	assert_int_equal(t, 1767603600000000ULL); /* date -d 2026-01-05T09:00:00Z +%s */
	assert_true(view_parse_time("2024-02-29T23:59:59.999999Z", &t));
	assert_int_equal(t, 1709251199999999ULL);
	assert_false(view_parse_time("2026-01-05T09:00:00Z", &t));
	assert_false(view_parse_time("2026-01-05 09:00:00.000000Z", &t));
	assert_false(view_parse_time("2026-13-05T09:00:00.000000Z", &t));
	assert_false(view_parse_time(NULL, &t));
}

static void test_filter(void **state)
{
	(void)state;
	struct view_filter f;
	view_filter_parse(&f, "number=%2B4930&agent=A2001&disp=answered&audit=no_rtp&from=2026-01-05T09&to=2026-01-05T10&x=1");
	assert_string_equal(f.number, "+4930");
	assert_string_equal(f.agent, "A2001");
	assert_string_equal(f.from, "2026-01-05T09");
	struct view_summary r;
	memset(&r, 0, sizeof(r));
	snprintf(r.start, sizeof(r.start), "2026-01-05T09:00:03.312456Z");
	snprintf(r.calling, sizeof(r.calling), "+4930123");
	snprintf(r.disposition, sizeof(r.disposition), "answered");
	snprintf(r.agents_key, sizeof(r.agents_key), "2001 A2001");
	snprintf(r.audits, sizeof(r.audits), "retransmission no_rtp");
	assert_true(view_filter_match(&f, &r));
	view_filter_parse(&f, "agent=A200"); /* agents match whole words, numbers any part */
	assert_false(view_filter_match(&f, &r));
	view_filter_parse(&f, "number=0123");
	assert_true(view_filter_match(&f, &r));
	view_filter_parse(&f, "to=2026-01-05T09:00:03");
	assert_false(view_filter_match(&f, &r));
	view_filter_parse(&f, "audit=no_rt");
	assert_false(view_filter_match(&f, &r));
	view_filter_parse(&f, "number=a+b%zz%4");
	assert_string_equal(f.number, "a b%zz%4"); /* a bad escape stays as it is */
}

/* ---- the store ---- */

static char line[2048];

static void add(struct ct_view_store *s, enum ct_rec_type type, const char *call, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	struct ct_record r = { .type = type, .json = line, .len = strlen(line), .key = call };
	ct_view_store_add(s, &r);
}

static void sip_event(struct ct_view_store *s, const char *call, int sec, const char *name)
{
	add(s, CT_REC_EVENT, call,
	    "{\"type\":\"event\",\"ts\":\"2026-01-05T09:00:%02d.000000Z\",\"call\":\"%s\",\"src\":\"sip\",\"name\":\"%s\","
	    "\"call_id\":\"c-%s\",\"from_addr\":\"10.0.0.1:5060\",\"to_addr\":\"10.0.0.2:5060\",\"method\":\"INVITE\"}",
	    sec, call, name, call);
}

static int render(struct ct_view_store *s, const char *path, struct ct_buf *out)
{
	ct_buf_reset(out);
	return ct_view_render(s, path, out, NULL);
}

/* A store with the default settings. */
static struct ct_view_store *store_default(void)
{
	struct ct_view_cfg cfg;
	ct_view_cfg_default(&cfg);
	struct ct_view_store *s;
	assert_int_equal(ct_view_store_new(&s, &cfg), CT_OK);
	return s;
}

static unsigned count(const char *hay, const char *needle)
{
	unsigned n = 0;
	for (const char *p = hay; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

static void test_store_caps(void **state)
{
	(void)state;
	struct ct_view_cfg cfg;
	ct_view_cfg_default(&cfg);
	cfg.max_calls = 2;
	struct ct_view_store *s;
	assert_int_equal(ct_view_store_new(&s, &cfg), CT_OK);
	struct ct_buf out;
	ct_buf_init(&out);
	sip_event(s, "sip-000000000000000a", 1, "invite");
	sip_event(s, "sip-000000000000000b", 2, "invite");
	sip_event(s, "sip-000000000000000a", 3, "ringing"); /* a is now the more recent */
	sip_event(s, "sip-000000000000000c", 4, "invite");  /* b goes */
	const struct ct_view_counters *c = ct_view_store_counters(s);
	assert_int_equal(c->evicted, 1);
	assert_int_equal(render(s, "calls/sip-000000000000000b.html", &out), 404);
	assert_int_equal(render(s, "/calls/sip-000000000000000a.html", &out), 200);
	assert_int_equal(count(out.p, "<g class=\"msg sip\""), 2);
	assert_int_equal(render(s, "calls/sip-000000000000000c.html?x", &out), 200);
	/* what is not a page, or not an id of ctitap's shape */
	assert_int_equal(render(s, "calls/SIP-000000000000000C.html", &out), 404);
	assert_int_equal(render(s, "calls/sip-000000000000000c.htm", &out), 404);
	assert_int_equal(render(s, "calls/../../etc/passwd", &out), 404);
	assert_int_equal(render(s, "", &out), 200);
	assert_int_equal(count(out.p, "<tr data-start="), 2);
	/* no call, bad id, not JSON, too long: counted, not kept */
	add(s, CT_REC_STATS, NULL, "{\"type\":\"stats\"}");
	add(s, CT_REC_EVENT, "sip-<script>", "{\"type\":\"event\"}");
	add(s, CT_REC_EVENT, "sip-000000000000000a", "{\"type\":");
	add(s, CT_REC_EVENT, "sip-000000000000000a", "[1,2]");
	assert_int_equal(c->no_call, 1);
	assert_int_equal(c->bad, 3);
	assert_int_equal(c->kept, 4);
	ct_view_store_free(s);

	/* a byte cap: one call keeps a quarter of it, the call record always */
	cfg.max_calls = 100;
	cfg.max_bytes = 4096;
	assert_int_equal(ct_view_store_new(&s, &cfg), CT_OK);
	c = ct_view_store_counters(s);
	for (int i = 0; i < 40; i++)
		sip_event(s, "sip-00000000000000aa", i, "info");
	assert_true(c->call_full > 30);
	add(s, CT_REC_CALL, "sip-00000000000000aa",
	    "{\"type\":\"call\",\"ts\":\"2026-01-05T09:00:59.000000Z\",\"call\":\"sip-00000000000000aa\",\"merged\":[]}");
	assert_int_equal(render(s, "calls/sip-00000000000000aa.html", &out), 200);
	assert_int_equal(count(out.p, "<g class=\"msg sip\""), c->kept - 1);
	assert_non_null(strstr(out.p, "id=\"cut-records\""));
	/* other calls fill the rest: the least recently updated goes first, never the one adding */
	for (int i = 0; i < 40; i++) {
		char id[32];
		snprintf(id, sizeof(id), "sip-%016x", 0x100 + i);
		sip_event(s, id, i, "invite");
	}
	assert_true(c->evicted > 0);
	assert_int_equal(render(s, "calls/sip-00000000000000aa.html", &out), 404);
	assert_int_equal(render(s, "calls/sip-0000000000000127.html", &out), 200);
	ct_view_store_free(s);
	ct_buf_free(&out);
}

static void test_store_merge(void **state)
{
	(void)state;
	struct ct_view_store *s = store_default();
	struct ct_buf out;
	ct_buf_init(&out);
	sip_event(s, "sip-0000000000000001", 1, "invite");
	sip_event(s, "csta-0000000000000002", 2, "invite"); /* the consultation call, merged later */
	sip_event(s, "sip-0000000000000001", 3, "ringing");
	add(s, CT_REC_CALL, "sip-0000000000000001",
	    "{\"type\":\"call\",\"ts\":\"2026-01-05T09:00:09.000000Z\",\"call\":\"sip-0000000000000001\","
	    "\"start\":\"2026-01-05T09:00:01.000000Z\",\"end\":\"2026-01-05T09:00:09.000000Z\","
	    "\"merged\":[\"csta-0000000000000002\",\"csta-0000000000000003\",\"../x\"],\"disposition\":\"answered\"}");
	sip_event(s, "csta-0000000000000003", 5, "bye"); /* a late record under another merged id */
	assert_int_equal(render(s, "index.html", &out), 200);
	assert_int_equal(count(out.p, "<tr data-start="), 1);
	assert_int_equal(render(s, "calls/sip-0000000000000001.html", &out), 200);
	assert_int_equal(count(out.p, "<g class=\"msg sip\""), 4);
	/* the merged ids lead to the same page */
	struct ct_buf other;
	ct_buf_init(&other);
	assert_int_equal(render(s, "calls/csta-0000000000000002.html", &other), 200);
	assert_int_equal(other.len, out.len);
	assert_memory_equal(other.p, out.p, out.len);
	ct_buf_free(&other);
	ct_buf_free(&out);
	ct_view_store_free(s);
}

/* view.max_messages, an RTP stream with a MOS, recording files linked under view.files_base. */
static void test_page(void **state)
{
	(void)state;
	struct ct_view_cfg cfg;
	ct_view_cfg_default(&cfg);
	cfg.max_messages = 3;
	cfg.files_base = "/rec/";
	struct ct_view_store *s;
	assert_int_equal(ct_view_store_new(&s, &cfg), CT_OK);
	const char *id = "sip-00000000000000d1";
	for (int i = 0; i < 5; i++)
		sip_event(s, id, i, i ? "info" : "invite");
	/* 200 packets, 40 lost (16.7 %): red whatever its MOS; 3 lost of 300 and MOS 3.8: amber */
	add(s, CT_REC_EVENT, id,
	    "{\"type\":\"event\",\"ts\":\"2026-01-05T09:00:08.000000Z\",\"call\":\"%s\",\"src\":\"rtp\",\"name\":\"rtp_stream\","
	    "\"src_ip\":\"10.0.0.1\",\"src_port\":4000,\"dst_ip\":\"10.0.0.2\",\"dst_port\":5000,\"codec\":\"PCMA\","
	    "\"first\":\"2026-01-05T09:00:01.500000Z\",\"last\":\"2026-01-05T09:00:08.000000Z\",\"packets\":200,\"lost\":40,"
	    "\"jitter_mean_us\":1000,\"jitter_max_us\":2000,\"mos\":4.1}",
	    id);
	add(s, CT_REC_EVENT, id,
	    "{\"type\":\"event\",\"ts\":\"2026-01-05T09:00:08.000000Z\",\"call\":\"%s\",\"src\":\"rtp\",\"name\":\"rtp_stream\","
	    "\"src_ip\":\"10.0.0.2\",\"src_port\":5000,\"dst_ip\":\"10.0.0.1\",\"dst_port\":4000,\"codec\":\"PCMA\","
	    "\"packets\":297,\"lost\":3,\"jitter_mean_us\":1000,\"jitter_max_us\":2000,\"mos\":3.8}",
	    id);
	add(s, CT_REC_RECORDING, id,
	    "{\"type\":\"recording\",\"ts\":\"2026-01-05T09:00:09.000000Z\",\"call\":\"%s\",\"action\":\"stop\","
	    "\"device\":\"2001\",\"kind\":\"audio\",\"file\":\"2026/01/05/%s 2001.wav\",\"sha256\":\"ab12\",\"pcap\":\"/etc/x.pcap\"}",
	    id, id);
	struct ct_buf out;
	ct_buf_init(&out);
	char path[64];
	snprintf(path, sizeof(path), "calls/%s.html", id);
	assert_int_equal(render(s, path, &out), 200);
	assert_int_equal(count(out.p, "<g class=\"msg sip\""), 3);
	assert_non_null(strstr(out.p, "3 of 5 messages are drawn (view.max_messages)"));
	assert_int_equal(count(out.p, "<rect class=\"rtp q-bad\""), 1);
	assert_int_equal(count(out.p, "<rect class=\"rtp q-fair\""), 1);
	assert_non_null(strstr(out.p, "MOS 4.10"));
	assert_non_null(strstr(out.p, "<td class=\"n\">3.80</td>"));
	assert_non_null(strstr(out.p, "<a href=\"/rec/2026/01/05/sip-00000000000000d1%202001.wav\">"));
	assert_non_null(strstr(out.p, "/etc/x.pcap (not linked: not a relative path)"));
	assert_non_null(strstr(out.p, "<td>stop (audio)</td>"));
	ct_buf_free(&out);
	ct_view_store_free(s);
}

/* The policy's hashes are those of the <style> and <script> the pages carry. */
static void test_csp(void **state)
{
	(void)state;
	struct ct_view_store *s = store_default();
	struct ct_buf out;
	ct_buf_init(&out);
	assert_int_equal(render(s, "index.html", &out), 200);
	const char *tags[2][2] = { { "<style>", "</style>" }, { "<script>", "</script>" } };
	for (int i = 0; i < 2; i++) {
		const char *a = strstr(out.p, tags[i][0]);
		assert_non_null(a);
		a += strlen(tags[i][0]);
		const char *b = strstr(a, tags[i][1]);
		assert_non_null(b);
		unsigned char h[crypto_hash_sha256_BYTES];
		crypto_hash_sha256(h, (const unsigned char *)a, (unsigned long long)(b - a));
		char b64[64], src[80];
		sodium_bin2base64(b64, sizeof(b64), h, sizeof(h), sodium_base64_VARIANT_ORIGINAL);
		snprintf(src, sizeof(src), "'sha256-%s'", b64);
		assert_non_null(strstr(ct_view_csp(), src));
		assert_non_null(strstr(out.p, b64)); /* and in the page's <meta> (its quotes are &#39;) */
	}
	assert_non_null(strstr(ct_view_csp(), "default-src 'none'"));
	assert_null(strstr(ct_view_csp(), "unsafe"));
	ct_buf_free(&out);
	ct_view_store_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_html_escape), cmocka_unit_test(test_buf_cap),   cmocka_unit_test(test_ids_and_times),
		cmocka_unit_test(test_filter),      cmocka_unit_test(test_store_caps), cmocka_unit_test(test_store_merge),
		cmocka_unit_test(test_page),        cmocka_unit_test(test_csp),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
