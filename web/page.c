/* page.c - what every page shares: the document head with its Content-Security-Policy, the one
 * style sheet, the index's filter script, and small helpers (time, JSON, text copies).
 *
 * CSP: default-src 'none'; the style sheet and the script are allowed by their SHA-256 (CSP
 * level 2 hash sources), so no inline style attribute, no other script and no outside
 * resource of any kind can load, even if a text escaped the escapes. The pages use no style
 * attributes (SVG presentation attributes are not styles) and no event handler attributes.
 */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "view_int.h"

static const char STYLE[] =
	"body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;margin:12px 18px;color:#1f2328;"
	"background:#fff}"
	"h1{font-size:20px;margin:4px 0 8px}h2{font-size:16px;margin:22px 0 6px;border-bottom:1px solid #d0d7de}"
	"a{color:#0969da}nav{font-size:13px}"
	"table{border-collapse:collapse;font-size:13px;margin:4px 0}"
	"th,td{border:1px solid #d0d7de;padding:2px 7px;text-align:left;vertical-align:top}"
	"th{background:#f6f8fa;font-weight:600}tbody tr:nth-child(even){background:#fafbfc}"
	"tr:target{background:#fff8c5}td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}"
	"td.t{white-space:nowrap;font-variant-numeric:tabular-nums}"
	".mono,code{font-family:ui-monospace,'DejaVu Sans Mono',monospace;font-size:12px;word-break:break-all}"
	".note{background:#fff8c5;border:1px solid #d4a72c;border-radius:4px;padding:4px 10px;margin:6px 0}"
	".evidence{background:#f6f8fa;border-left:4px solid #8250df;padding:6px 10px;margin:6px 0}"
	"dl.sum{display:grid;grid-template-columns:max-content auto max-content auto max-content auto;"
	"gap:2px 14px;margin:6px 0}dl.sum dt{font-weight:600;color:#59636e}dl.sum dd{margin:0}"
	".d-answered{color:#1a7f37}.d-abandoned,.d-failed,.d-busy,.d-no_answer{color:#cf222e}"
	".audit{color:#cf222e}form.filter{margin:8px 0;display:flex;flex-wrap:wrap;gap:6px 12px;align-items:end}"
	"form.filter label{display:flex;flex-direction:column;font-size:12px;color:#59636e}"
	"form.filter input,form.filter select{font-size:13px;padding:2px 4px}"
	".ladder{overflow-x:auto;border:1px solid #d0d7de;border-radius:6px;background:#fff}"
	"svg text{font-family:system-ui,sans-serif;font-size:11px;fill:#1f2328}"
	"svg .lh{fill:#eef1f5;stroke:#8c959f}svg .lh.r-carrier{fill:#e7f0fe}svg .lh.r-pbx{fill:#e6f4ea}"
	"svg .lh.r-phone{fill:#fdf1e3}svg .lh.r-cti{fill:#f0e9fd}svg .lh.r-ctic{fill:#f6e8f8}"
	"svg .ln{font-weight:600;font-size:12px}svg .lip{fill:#59636e;font-size:10px}"
	"svg .ll{stroke:#8c959f;stroke-dasharray:3 3}"
	"svg .msg line,svg .msg path{stroke-width:1.4;fill:none}svg .sip line,svg .sip path{stroke:#0969da}"
	"svg .sip polygon{fill:#0969da}svg .csta line,svg .csta path{stroke:#8250df}svg .csta polygon{fill:#8250df}"
	"svg .msg text.lb{font-size:11px}svg .msg:hover line{stroke-width:3}"
	"svg .tm{fill:#59636e;font-size:10px;font-variant-numeric:tabular-nums}"
	"svg .rtp{fill-opacity:.16;stroke-opacity:.7;stroke-width:1}"
	"svg .q-good{fill:#2da44e;stroke:#2da44e}svg .q-fair{fill:#d4a72c;stroke:#d4a72c}"
	"svg .q-bad{fill:#cf222e;stroke:#cf222e}svg line.rtpl{stroke-dasharray:6 3;stroke-width:2;fill:none}"
	"svg .rtps text{stroke:none;font-weight:600}svg .rtps.q-good text{fill:#1a7f37}"
	"svg .rtps.q-fair text{fill:#9a6700}svg .rtps.q-bad text{fill:#cf222e}"
	"svg .span{stroke:none}svg .ring{fill:#e3b341}svg .talk{fill:#2da44e}svg .hold{fill:#fb8500}"
	"svg .rec{fill:#cf222e}svg .sh{fill:#59636e;font-size:10px}"
	"svg .mk line{stroke-width:1.2;stroke-dasharray:5 4}svg .mk text{font-weight:600}"
	"svg .mk-transfer line{stroke:#0550ae}svg .mk-transfer text{fill:#0550ae}"
	"svg .mk-conference line{stroke:#8250df}svg .mk-conference text{fill:#8250df}"
	"svg .mk-diversion line{stroke:#6e7781}svg .mk-diversion text{fill:#6e7781}"
	"svg .mk-audit line{stroke:#cf222e}svg .mk-audit text{fill:#cf222e}"
	".legend span{display:inline-block;margin-right:14px;font-size:12px}"
	".sw{display:inline-block;width:12px;height:12px;vertical-align:-2px;margin-right:4px;border-radius:2px}"
	".sw.ring{background:#e3b341}.sw.talk{background:#2da44e}.sw.hold{background:#fb8500}.sw.rec{background:#cf222e}"
	".sw.sip{background:#0969da}.sw.csta{background:#8250df}.sw.rtp{background:#2da44e;opacity:.35}";

/* Filters the index's rows by the page's query, as the server does (view_filter_match), for a
 * static copy that no server filters. Without it the page shows every call. */
static const char SCRIPT[] =
	"(function(){var q=new URLSearchParams(location.search),f={},k=['number','agent','disp','audit','from','to'];"
	"k.forEach(function(n){var v=q.get(n);if(v){f[n]=v;var e=document.getElementById('f-'+n);if(e)e.value=v;}});"
	"var s=0;document.querySelectorAll('tr[data-start]').forEach(function(r){var d=r.dataset,"
	"ok=(!f.number||d.num.indexOf(f.number)>=0)&&(!f.agent||(' '+d.agents+' ').indexOf(' '+f.agent+' ')>=0)"
	"&&(!f.disp||d.disp===f.disp)&&(!f.audit||(' '+d.audit+' ').indexOf(' '+f.audit+' ')>=0)"
	"&&(!f.from||d.start>=f.from)&&(!f.to||d.start<f.to);r.hidden=!ok;if(ok)s++;});"
	"var c=document.getElementById('shown');if(c)c.textContent=String(s);})();";

/* The policy in a page's <meta> (frame-ancestors is not allowed there) and as a header. */
static char csp_meta[400], csp_header[440];

static void hash_source(char out[64], const char *text)
{
	unsigned char h[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(h, (const unsigned char *)text, strlen(text));
	char b64[sodium_base64_ENCODED_LEN(crypto_hash_sha256_BYTES, sodium_base64_VARIANT_ORIGINAL)];
	sodium_bin2base64(b64, sizeof(b64), h, sizeof(h), sodium_base64_VARIANT_ORIGINAL);
	snprintf(out, 64, "'sha256-%s'", b64);
}

static void csp_init(void)
{
	if (csp_meta[0])
		return;
	char style[64], script[64];
	hash_source(style, STYLE);
	hash_source(script, SCRIPT);
	snprintf(csp_meta, sizeof(csp_meta),
		 "default-src 'none'; style-src %s; script-src %s; img-src data:; base-uri 'none'; form-action 'self'",
		 style, script);
	snprintf(csp_header, sizeof(csp_header), "%s; frame-ancestors 'none'", csp_meta);
}

const char *ct_view_csp(void)
{
	csp_init();
	return csp_header;
}

void view_page_begin(struct ct_buf *out, const char *title_trusted, const char *title_text, bool index)
{
	(void)index;
	csp_init();
	ct_buf_puts(out, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
			 "<meta http-equiv=\"Content-Security-Policy\" content=\"");
	ct_buf_htmls(out, csp_meta);
	ct_buf_puts(out, "\">\n<meta name=\"referrer\" content=\"no-referrer\">\n"
			 "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>");
	ct_buf_puts(out, title_trusted);
	ct_buf_htmls(out, title_text);
	ct_buf_puts(out, "</title>\n<style>");
	ct_buf_puts(out, STYLE);
	ct_buf_puts(out, "</style>\n</head>\n<body>\n");
}

void view_page_end(struct ct_buf *out, bool index)
{
	if (index) {
		ct_buf_puts(out, "<script>");
		ct_buf_puts(out, SCRIPT);
		ct_buf_puts(out, "</script>\n");
	}
	ct_buf_puts(out, "</body>\n</html>\n");
}

void view_missing_page(struct ct_buf *out, const char *what)
{
	view_page_begin(out, "ctitap: not found", "", false);
	ct_buf_puts(out, "<nav><a href=\"index.html\">all calls</a></nav>\n<h1>Not found</h1>\n<p>");
	ct_buf_htmls(out, what);
	ct_buf_puts(out, "</p>\n");
	view_page_end(out, false);
}

/* ---- helpers ---- */

static bool digits(const char *s, int n, int *v)
{
	int x = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		x = x * 10 + (s[i] - '0');
	}
	*v = x;
	return true;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? (unsigned)-3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

bool view_parse_time(const char *s, ct_time_t *t)
{
	int y = 0, mo = 0, d = 0, h = 0, mi = 0, se = 0, us = 0; /* set by digits(); -O3 cannot see it */
	if (!s || strlen(s) != 27 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' ||
	    s[19] != '.' || s[26] != 'Z')
		return false;
	if (!digits(s, 4, &y) || !digits(s + 5, 2, &mo) || !digits(s + 8, 2, &d) || !digits(s + 11, 2, &h) ||
	    !digits(s + 14, 2, &mi) || !digits(s + 17, 2, &se) || !digits(s + 20, 6, &us))
		return false;
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
		return false;
	int64_t days = days_from_civil(y, (unsigned)mo, (unsigned)d);
	*t = ((ct_time_t)days * 86400 + (ct_time_t)h * 3600 + (ct_time_t)mi * 60 + (ct_time_t)se) * CT_USEC_PER_SEC +
	     (ct_time_t)us;
	return true;
}

const char *view_jstr(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

bool view_jint(const json_t *o, const char *key, int64_t *v)
{
	const json_t *j = json_object_get(o, key);
	if (!json_is_integer(j))
		return false;
	*v = (int64_t)json_integer_value(j);
	return true;
}

json_t *view_parse(const char *json, size_t len)
{
	json_error_t e;
	json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &e);
	if (root && !json_is_object(root)) {
		json_decref(root);
		root = NULL;
	}
	return root;
}

void view_copy(char *dst, size_t size, const char *s)
{
	if (!size)
		return;
	dst[0] = '\0';
	if (!s)
		return;
	size_t n = strlen(s);
	if (n < size) {
		memcpy(dst, s, n + 1);
		return;
	}
	/* cut at a code point boundary, room for "…" (3 bytes) and the NUL */
	size_t keep = size >= 4 ? size - 4 : 0;
	while (keep > 0 && ((unsigned char)s[keep] & 0xC0) == 0x80)
		keep--;
	memcpy(dst, s, keep);
	if (size >= 4) {
		memcpy(dst + keep, "\xE2\x80\xA6", 3);
		keep += 3;
	}
	dst[keep] = '\0';
}
