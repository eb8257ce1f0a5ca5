/* test_sip.c - the SIP message parser against RFC 3261 (sections 7, 7.3.1 folding, 7.3.3
 * compact forms, 18.3 framing, 19.1 URIs, 20 header fields) and the RFC 4475 torture tests.
 *
 * The torture messages are written after RFC 4475 section 3 (the message tag of each is
 * named: wsinv, intmeth, esc01, ...) keeping the feature each one tortures; hosts are the
 * RFC's example.com/.net/.org names. Expected values are read off the spec, not off the
 * parser's output. Every parse runs on a heap copy of exactly the message length, so an
 * over-read is an ASan error rather than a silent pass.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "decoders/sip.h"

/* ---- helpers ------------------------------------------------------------------------ */

static struct ct_sip_msg M; /* about 4 KiB: static rather than on every test's stack */

/* The parse under test, on an exact-size heap copy (freed by the next call or teardown). */
static uint8_t *copy;

static int parse_bytes(const void *p, size_t len, bool stream, struct ct_sip_msg *m)
{
	free(copy);
	copy = malloc(len ? len : 1);
	assert_non_null(copy);
	if (len)
		memcpy(copy, p, len);
	return ct_sip_parse(copy, len, stream, m);
}

static int parse_str(const char *s, bool stream, struct ct_sip_msg *m)
{
	return parse_bytes(s, strlen(s), stream, m);
}

static int teardown(void **state)
{
	(void)state;
	free(copy);
	copy = NULL;
	return 0;
}

static bool slice_is(struct ct_slice s, const char *lit)
{
	size_t n = strlen(lit);
	if (s.len == n && (n == 0 || memcmp(s.p, lit, n) == 0))
		return true;
	print_error("slice [%.*s] (len %zu) != expected [%s] (len %zu)\n", (int)s.len,
		    s.p ? (const char *)s.p : "", s.len, lit, n);
	return false;
}

#define assert_slice(s, lit) assert_true(slice_is((s), (lit)))

static struct ct_slice S(const char *s)
{
	return ct_slice_cstr(s);
}

static struct ct_slice param(const char *value, const char *name, bool *found)
{
	return ct_sip_param(S(value), name, found);
}

static unsigned count_id(const struct ct_sip_msg *m, enum ct_sip_hid id)
{
	unsigned n = 0;
	for (unsigned i = 0; i < m->nhdr; i++)
		n += m->hdr[i].id == id;
	return n;
}

/* Growable test buffer for generated messages (longreq, the header cap). */
struct tbuf {
	char *p;
	size_t len, cap;
};

static void tb_add(struct tbuf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->p = realloc(b->p, b->cap);
		assert_non_null(b->p);
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = 0;
}

static void tb_str(struct tbuf *b, const char *s)
{
	tb_add(b, s, strlen(s));
}

static void tb_rep(struct tbuf *b, char c, size_t n)
{
	for (size_t i = 0; i < n; i++)
		tb_add(b, &c, 1);
}

static void tb_uint(struct tbuf *b, unsigned v)
{
	char d[16];
	size_t n = 0;
	do {
		d[sizeof(d) - 1 - n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	tb_add(b, d + sizeof(d) - n, n);
}

/* ---- messages ----------------------------------------------------------------------- */

/* RFC 3261 section 24.2, F1: Alice's INVITE. Its SDP is 146 octets with CRLF line ends (the
 * RFC prints 142, which matches neither CRLF nor LF): the length here is the real one. */
#define RFC3261_F1_SDP                                                                             \
	"v=0\r\n"                                                                                  \
	"o=alice 2890844526 2890844526 IN IP4 pc33.atlanta.com\r\n"                                \
	"s=-\r\n"                                                                                  \
	"c=IN IP4 pc33.atlanta.com\r\n"                                                            \
	"t=0 0\r\n"                                                                                \
	"m=audio 49172 RTP/AVP 0\r\n"                                                              \
	"a=rtpmap:0 PCMU/8000\r\n"
static const char rfc3261_f1[] =
	"INVITE sip:bob@biloxi.com SIP/2.0\r\n"
	"Via: SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bKnashds8\r\n"
	"Max-Forwards: 70\r\n"
	"To: Bob <sip:bob@biloxi.com>\r\n"
	"From: Alice <sip:alice@atlanta.com>;tag=1928301774\r\n"
	"Call-ID: a84b4c76e66710\r\n"
	"CSeq: 314159 INVITE\r\n"
	"Contact: <sip:alice@pc33.atlanta.com>\r\n"
	"Content-Type: application/sdp\r\n"
	"Content-Length: 146\r\n"
	"\r\n" RFC3261_F1_SDP;

/* RFC 3261 section 24.2, F6: the 200 OK to F1 as the proxy forwards it (three Vias). */
static const char rfc3261_f6[] =
	"SIP/2.0 200 OK\r\n"
	"Via: SIP/2.0/UDP server10.biloxi.com;branch=z9hG4bK4b43c2ff8.1\r\n"
	"Via: SIP/2.0/UDP bigbox3.site3.atlanta.com;branch=z9hG4bK77ef4c2312983.1;received=192.0.2.2\r\n"
	"Via: SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bKnashds8;received=192.0.2.1\r\n"
	"To: Bob <sip:bob@biloxi.com>;tag=a6c85cf\r\n"
	"From: Alice <sip:alice@atlanta.com>;tag=1928301774\r\n"
	"Call-ID: a84b4c76e66710@pc33.atlanta.com\r\n"
	"CSeq: 314159 INVITE\r\n"
	"Contact: <sip:bob@192.0.2.4>\r\n"
	"Content-Length: 0\r\n"
	"\r\n";

/* RFC 3261 section 24.1, a BYE (Content-Length 0), used as the second message on a stream. */
static const char rfc3261_bye[] =
	"BYE sip:alice@pc33.atlanta.com SIP/2.0\r\n"
	"Via: SIP/2.0/UDP 192.0.2.4;branch=z9hG4bKnashds10\r\n"
	"Max-Forwards: 70\r\n"
	"From: Bob <sip:bob@biloxi.com>;tag=a6c85cf\r\n"
	"To: Alice <sip:alice@atlanta.com>;tag=1928301774\r\n"
	"Call-ID: a84b4c76e66710\r\n"
	"CSeq: 231 BYE\r\n"
	"Content-Length: 0\r\n"
	"\r\n";

/* RFC 4475 3.1.1.1 wsinv, "A Short Tortuous INVITE": odd spacing around every separator,
 * names in mixed case, empty values, values and separators folded onto the next line,
 * compact v: and m:, a quoted display name ending in escaped backslash and quote. */
#define WSINV_SDP                                                                                  \
	"v=0\r\n"                                                                                  \
	"o=mhandley 29739 7272939 IN IP4 192.0.2.3\r\n"                                            \
	"s=-\r\n"                                                                                  \
	"c=IN IP4 192.0.2.4\r\n"                                                                   \
	"t=0 0\r\n"                                                                                \
	"m=audio 49217 RTP/AVP 0 12\r\n"                                                           \
	"m=video 3227 RTP/AVP 31\r\n"                                                              \
	"a=rtpmap:31 LPC\r\n"
static const char wsinv[] =
	"INVITE sip:vivekg@chair-dnrc.example.com;unknownparam SIP/2.0\r\n"
	"TO :\r\n"
	" sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n\r\n"
	"from   : \"J Rosenberg \\\\\\\"\"       <sip:jdrosen@example.com>\r\n" /* "J Rosenberg \\\"" */
	"  ;\r\n"
	"  tag = 98asjd8\r\n"
	"MaX-fOrWaRdS: 0068\r\n"
	"Call-ID: wsinv.ndaksdj@192.0.2.1\r\n"
	"Content-Length   : 150\r\n"
	"cseq: 0009\r\n"
	"  INVITE\r\n"
	"Via  : SIP  /   2.0\r\n"
	" /UDP\r\n"
	"    192.0.2.2;branch=390skdjuw\r\n"
	"s :\r\n"
	"NewFangledHeader:   newfangled value\r\n"
	" continued newfangled value\r\n"
	"UnknownHeaderWithUnusualValue: ;;,,;;,;\r\n"
	"Content-Type: application/sdp\r\n"
	"Route:\r\n"
	" <sip:services.example.com;lr;unknownwith=value;unknown-no-value>\r\n"
	"v:  SIP  / 2.0  / TCP     spindle.example.com   ;\r\n"
	"  branch  =   z9hG4bK9ikj8  ,\r\n"
	" SIP  /    2.0   / UDP  192.168.255.111   ; branch=\r\n"
	" z9hG4bK30239\r\n"
	"m:\"Quoted string \\\"\\\"\" <sip:jdrosen@example.com> ; newparam =\r\n"
	"      newvalue ;\r\n"
	"  secondparam ; q = 0.33\r\n"
	"\r\n" WSINV_SDP;

/* RFC 4475 3.1.1.2 intmeth: a method and CSeq method using every token character, a request
 * URI whose user part uses the user-unreserved characters and a password, a display name
 * holding '<', '>' and escaped quotes, a Call-ID made of word characters. */
#define INTMETH_METHOD "!interesting-Method0123456789_*+`.%indeed'~"
static const char intmeth[] =
	INTMETH_METHOD " sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*:&it+has=1,weird!*pas$wo~d_too.(doesn't-it)@example.com SIP/2.0\r\n"
	"Via: SIP/2.0/TCP host1.example.com;branch=z9hG4bK-.!%66*_+`'~\r\n"
	"To: \"BEL:\\\x07 NUL:\\\x7f <hell\\\"o> quoted\" <sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*@example.com>\r\n"
	"From: token1~` token2'+_ token3*%!.- <sip:mundane@example.com>;fromParam''~+*_!.-%=\"\xd1\x80\xd0\xb0\xd0\xb1\xd0\xbe\xd1\x82\xd0\xb0\xd1\x8e\xd1\x89\xd0\xb8\xd0\xb9\";tag=_token~1'+`*%!-.\r\n"
	"Call-ID: intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{\r\n"
	"CSeq: 139122385 " INTMETH_METHOD "\r\n"
	"Max-Forwards: 255\r\n"
	"extensionHeader-!.%*+_`'~: \xef\xbb\xbf\xe5\xa4\xa7\xe5\x81\x9c\xe9\x9b\xbb\r\n"
	"Content-Length: 0\r\n"
	"\r\n";

/* RFC 4475 3.1.1.3 esc01: escaped characters in URIs, upper-case compact i: and C:. */
static const char esc01[] =
	"INVITE sip:sips%3Auser%40example.com@example.net SIP/2.0\r\n"
	"To: sip:%75se%72@example.com\r\n"
	"From: <sip:I%20have%20spaces@example.net>;tag=938\r\n"
	"Max-Forwards: 87\r\n"
	"i: esc01.239409asdfakjkn23onasd0-3234\r\n"
	"CSeq: 234234 INVITE\r\n"
	"Via: SIP/2.0/UDP host5.example.net;branch=z9hG4bKkdjuw\r\n"
	"C: application/sdp\r\n"
	"Contact:\r\n"
	"  <sip:cal%6Cer@host5.example.net;%6C%72;n%61me=v%61lue%25%34%31>\r\n"
	"Content-Length: 5\r\n"
	"\r\n"
	"v=0\r\n";

/* RFC 4475 3.1.1.6 lwsdisp: no LWS between a display name and '<'. */
static const char lwsdisp[] =
	"OPTIONS sip:user@example.com SIP/2.0\r\n"
	"To: sip:user@example.com\r\n"
	"From: caller<sip:caller@example.com>;tag=323\r\n"
	"Max-Forwards: 70\r\n"
	"Call-ID: lwsdisp.1234abcd@funky.example.com\r\n"
	"CSeq: 60 OPTIONS\r\n"
	"Via: SIP/2.0/UDP funky.example.com;branch=z9hG4bKkdjuw\r\n"
	"l: 0\r\n"
	"\r\n";

/* RFC 4475 3.1.1.8 dblreq: a REGISTER (Content-Length 0) and then, in the same datagram, an
 * INVITE that a datagram parser must leave alone. */
static const char dblreq[] =
	"REGISTER sip:example.com SIP/2.0\r\n"
	"To: sip:j.user@example.com\r\n"
	"From: sip:j.user@example.com;tag=43251j3j324\r\n"
	"Max-Forwards: 8\r\n"
	"I: dblreq.0ha0isndaksdj99sdfafnl3lk233412\r\n"
	"Contact: sip:j.user@host.example.com\r\n"
	"CSeq: 8 REGISTER\r\n"
	"Via: SIP/2.0/UDP 192.0.2.125;branch=z9hG4bKkdjuw23492\r\n"
	"Content-Length: 0\r\n"
	"\r\n"
	"INVITE sip:joe@example.com SIP/2.0\r\n"
	"t: sip:joe@example.com\r\n"
	"From: sip:caller@example.net;tag=141334\r\n"
	"Max-Forwards: 8\r\n"
	"Call-ID: dblreq.0ha0isnda977644900765@192.0.2.15\r\n"
	"CSeq: 8 INVITE\r\n"
	"Via: SIP/2.0/UDP 192.0.2.15;branch=z9hG4bKkdjuw380234\r\n"
	"Content-Type: application/sdp\r\n"
	"Content-Length: 5\r\n"
	"\r\n"
	"v=0\r\n";

/* RFC 4475 3.1.1.9 semiuri: a ';' inside the user part of the request URI. */
static const char semiuri[] =
	"OPTIONS sip:user;par=u%40example.net@example.com SIP/2.0\r\n"
	"To: sip:j_user@example.com\r\n"
	"From: sip:caller@example.org;tag=33242\r\n"
	"Max-Forwards: 3\r\n"
	"Call-ID: semiuri.0ha0isndaksdj\r\n"
	"CSeq: 8 OPTIONS\r\n"
	"Accept: application/sdp, application/pkcs7-mime,\r\n"
	"        multipart/mixed, multipart/signed,\r\n"
	"        message/sip, message/sipfrag\r\n"
	"Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKkdjuw\r\n"
	"l: 0\r\n"
	"\r\n";

/* RFC 4475 3.1.1.10 transports: five Vias, known and unknown transports. */
static const char transports[] =
	"OPTIONS sip:user@example.com SIP/2.0\r\n"
	"To: sip:user@example.com\r\n"
	"From: <sip:caller@example.com>;tag=323\r\n"
	"Max-Forwards: 70\r\n"
	"Call-ID:  transports.kijh4akdnaqjkwendsasfdj\r\n"
	"Accept: application/sdp\r\n"
	"CSeq: 60 OPTIONS\r\n"
	"Via: SIP/2.0/UDP t1.example.com;branch=z9hG4bKkdjuw\r\n"
	"Via: SIP/2.0/SCTP t2.example.com;branch=z9hG4bKklasjdhf\r\n"
	"Via: SIP/2.0/TLS t3.example.com;branch=z9hG4bK2980unddj\r\n"
	"Via: SIP/2.0/UNKNOWN t4.example.com;branch=z9hG4bKasd0f3en\r\n"
	"Via: SIP/2.0/TCP t5.example.com;branch=z9hG4bK0a9idfnee\r\n"
	"l: 0\r\n"
	"\r\n";

/* RFC 4475 3.1.1.11 mpart01: a multipart/mixed body with binary parts (NUL, CR, LF and a
 * blank line inside the body): only Content-Length says where the body ends. */
static const uint8_t mpart01_body[] =
	"--++\r\n"
	"Content-Type: application/sdp\r\n"
	"\r\n"
	"v=0\r\n"
	"\r\n"
	"--++\r\n"
	"Content-Type: application/pkcs7-signature\r\n"
	"Content-Transfer-Encoding: binary\r\n"
	"\r\n"
	"\x30\x82\x01\x52\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x07\x02\xa0\x00\r\n\r\n\x00\xff\n"
	"\r\n"
	"--++--";
static const char mpart01_head[] =
	"MESSAGE sip:kumiko@example.org SIP/2.0\r\n"
	"Via: SIP/2.0/UDP 192.0.2.2:5060;branch=z9hG4bK776sgdkfie\r\n"
	"Max-Forwards: 70\r\n"
	"From: sip:fluffy@example.com;tag=5a7da\r\n"
	"To: sip:kumiko@example.org\r\n"
	"Call-ID: mpart01.0ha0isndaksdj@192.0.2.2\r\n"
	"CSeq: 8 MESSAGE\r\n"
	"Content-Type: multipart/mixed;boundary=++\r\n"
	"Content-Length: "; /* the length and the blank line are appended by the test */

/* RFC 4475 3.1.1.12 unreason: a reason phrase of UTF-8 and symbols. */
static const char unreason[] =
	"SIP/2.0 200 = 2**3 * 5**2 \xd0\xbd\xd0\xbe \xd1\x81\xd1\x82\xd0\xbe \xd0\xb4\xd0\xb5\xd0\xb2\xd1\x8f\xd0\xbd\xd0\xbe\xd1\x81\xd1\x82\xd0\xbe \xd0\xb4\xd0\xb5\xd0\xb2\xd1\x8f\xd1\x82\xd1\x8c - \xd0\xbf\xd1\x80\xd0\xbe\xd1\x81\xd1\x82\xd0\xbe\xd0\xb5\r\n"
	"Via: SIP/2.0/UDP 192.0.2.198;branch=z9hG4bK1324923\r\n"
	"Call-ID: unreason.1234ksdfak3j2erwedfsASdf\r\n"
	"CSeq: 35 INVITE\r\n"
	"From: sip:user@example.com;tag=11141343\r\n"
	"To: sip:user@example.edu;tag=2229\r\n"
	"Content-Length: 5\r\n"
	"Content-Type: application/sdp\r\n"
	"Contact: <sip:user@host198.example.com>\r\n"
	"\r\n"
	"v=0\r\n";

/* RFC 4475 3.1.1.13 noreason: an empty reason phrase (the SP after the code still there). */
static const char noreason[] =
	"SIP/2.0 100 \r\n"
	"Via: SIP/2.0/UDP 192.0.2.105;branch=z9hG4bK2398ndaoe\r\n"
	"Call-ID: noreason.asndj203insdf99223ndf\r\n"
	"CSeq: 35 INVITE\r\n"
	"From: <sip:user@example.com>;tag=39ansfi3\r\n"
	"To: <sip:user@example.edu>;tag=902jndnke3\r\n"
	"Content-Length: 0\r\n"
	"Contact: <sip:user@host105.example.com>\r\n"
	"\r\n";

/* RFC 4475 3.1.2.1 badinv01: extraneous separators, parsed leniently (a tap records what it
 * sees; answering 400 is the UAS's business). */
static const char badinv01[] =
	"INVITE sip:user@example.com SIP/2.0\r\n"
	"To: sip:j.user@example.com\r\n"
	"From: sip:caller@example.net;;tag=134161461246\r\n"
	"Max-Forwards: 7\r\n"
	"Call-ID: badinv01.0ha0isndaksdjasdf3234nas\r\n"
	"CSeq: 8 INVITE\r\n"
	"Via: SIP/2.0/UDP 192.0.2.15;;,;,,\r\n"
	"Contact: \"Joe\" <sip:joe@example.org>;;;;\r\n"
	"Content-Length: 0\r\n"
	"Content-Type: application/sdp\r\n"
	"\r\n";

/* RFC 4475 3.1.2.2 clerr: Content-Length larger than the datagram. */
static const char clerr[] =
	"INVITE sip:user@example.com SIP/2.0\r\n"
	"Max-Forwards: 80\r\n"
	"To: sip:j.user@example.com\r\n"
	"From: sip:caller@example.net;tag=93942939o2\r\n"
	"Contact: <sip:caller@hungry.example.net>\r\n"
	"Call-ID: clerr.0ha0isndaksdjweiafasdk3\r\n"
	"CSeq: 8 INVITE\r\n"
	"Via: SIP/2.0/UDP host5.example.com;branch=z9hG4bK-39234-23523\r\n"
	"Content-Type: application/sdp\r\n"
	"Content-Length: 9999\r\n"
	"\r\n"
	"v=0\r\n"
	"o=mhandley 29739 7272939 IN IP4 192.0.2.155\r\n";

/* ---- start lines -------------------------------------------------------------------- */

static void test_request_line(void **state)
{
	(void)state;
	struct ct_sip_msg *m = &M;
	assert_int_equal(parse_str(rfc3261_f1, false, m), CT_OK);
	assert_true(m->request);
	assert_int_equal(m->method, CT_SIP_INVITE);
	assert_slice(m->method_name, "INVITE");
	assert_slice(m->uri, "sip:bob@biloxi.com");
	assert_int_equal(m->status, 0);
	assert_int_equal(m->nhdr, 9);
	assert_false(m->headers_truncated);
	assert_slice(m->call_id, "a84b4c76e66710");
	assert_slice(m->from_tag, "1928301774");
	assert_slice(m->to_tag, "");
	assert_slice(m->branch, "z9hG4bKnashds8");
	assert_int_equal(m->cseq, 314159);
	assert_true(m->has_content_length);
	assert_int_equal(m->content_length, 146);
	assert_slice(m->body, RFC3261_F1_SDP);
	assert_int_equal(m->header_len, strlen(rfc3261_f1) - 146);
	assert_int_equal(m->total_len, strlen(rfc3261_f1));
	assert_slice(ct_sip_get(m, CT_H_CONTENT_TYPE), "application/sdp");
	assert_slice(ct_sip_get(m, CT_H_CONTACT), "<sip:alice@pc33.atlanta.com>");
	assert_slice(ct_sip_get(m, CT_H_PAI), "");
	assert_int_equal(m->first[CT_H_PAI], -1);
	assert_slice(m->hdr[1].name, "Max-Forwards");
	assert_int_equal(m->hdr[1].id, CT_H_OTHER);
	/* the same bytes as a stream: Content-Length frames it exactly */
	assert_int_equal(parse_str(rfc3261_f1, true, m), CT_OK);
	assert_int_equal(m->total_len, strlen(rfc3261_f1));
}

static void test_status_line_and_cseq_method(void **state)
{
	(void)state;
	struct ct_sip_msg *m = &M;
	assert_int_equal(parse_str(rfc3261_f6, true, m), CT_OK);
	assert_false(m->request);
	assert_int_equal(m->status, 200);
	assert_slice(m->reason, "OK");
	assert_slice(m->uri, "");
	/* responses carry the method of the transaction in CSeq */
	assert_int_equal(m->method, CT_SIP_INVITE);
	assert_slice(m->method_name, "INVITE");
	assert_int_equal(m->cseq, 314159);
	assert_slice(m->to_tag, "a6c85cf");
	assert_slice(m->from_tag, "1928301774");
	/* the top Via's branch, not a later one */
	assert_slice(m->branch, "z9hG4bK4b43c2ff8.1");
	assert_int_equal(count_id(m, CT_H_VIA), 3);
	assert_int_equal(m->first[CT_H_VIA], 0);
	assert_slice(m->body, "");
	assert_int_equal(m->total_len, strlen(rfc3261_f6));

	/* unreason: UTF-8 reason phrase kept whole; CSeq method of a response */
	assert_int_equal(parse_str(unreason, false, m), CT_OK);
	assert_int_equal(m->status, 200);
	assert_true(m->reason.len > 20);
	assert_memory_equal(m->reason.p, "= 2**3 * 5**2 ", 14);
	assert_memory_equal(m->reason.p + m->reason.len - 17, " - \xd0\xbf\xd1\x80\xd0\xbe\xd1\x81\xd1\x82\xd0\xbe\xd0\xb5", 17);
	assert_int_equal(m->method, CT_SIP_INVITE);
	assert_int_equal(m->cseq, 35);
	assert_slice(m->body, "v=0\r\n");

	/* noreason: empty reason phrase */
	assert_int_equal(parse_str(noreason, false, m), CT_OK);
	assert_int_equal(m->status, 100);
	assert_slice(m->reason, "");
	assert_slice(m->to_tag, "902jndnke3");
	assert_slice(m->branch, "z9hG4bK2398ndaoe");
	/* and no SP at all after the code */
	assert_int_equal(parse_str("SIP/2.0 180\r\nCSeq: 2 PRACK\r\nl: 0\r\n\r\n", true, m), CT_OK);
	assert_int_equal(m->status, 180);
	assert_slice(m->reason, "");
	assert_int_equal(m->method, CT_SIP_PRACK);

	/* CSeq method unknown to the table, and a response whose CSeq is missing */
	assert_int_equal(parse_str("SIP/2.0 489 Bad Event\r\nCSeq: 7 FOO\r\nl: 0\r\n\r\n", true, m), CT_OK);
	assert_int_equal(m->method, CT_SIP_UNKNOWN);
	assert_slice(m->method_name, "FOO");
	assert_int_equal(parse_str("SIP/2.0 503 Service Unavailable\r\nl: 0\r\n\r\n", true, m), CT_OK);
	assert_int_equal(m->method, CT_SIP_UNKNOWN);
	assert_slice(m->method_name, "");
	assert_int_equal(m->cseq, 0);
	/* the version is case-insensitive (RFC 3261 7.1) */
	assert_int_equal(parse_str("sip/2.0 486 Busy Here\r\nl: 0\r\n\r\n", true, m), CT_OK);
	assert_int_equal(m->status, 486);
	assert_slice(m->reason, "Busy Here");
}

static void test_methods(void **state)
{
	(void)state;
	static const char *const names[] = { "INVITE", "ACK", "BYE", "CANCEL", "OPTIONS", "REGISTER", "PRACK",
					     "UPDATE", "REFER", "NOTIFY", "SUBSCRIBE", "INFO", "MESSAGE", "PUBLISH" };
	for (int i = 0; i < 14; i++) {
		assert_int_equal(ct_sip_method_from(S(names[i])), CT_SIP_INVITE + i);
		assert_string_equal(ct_sip_method_str((enum ct_sip_method)(CT_SIP_INVITE + i)), names[i]);
	}
	/* methods are case-sensitive (RFC 3261 7.1) and prefixes do not match */
	assert_int_equal(ct_sip_method_from(S("invite")), CT_SIP_UNKNOWN);
	assert_int_equal(ct_sip_method_from(S("INVITEX")), CT_SIP_UNKNOWN);
	assert_int_equal(ct_sip_method_from(S("INV")), CT_SIP_UNKNOWN);
	assert_int_equal(ct_sip_method_from(S("")), CT_SIP_UNKNOWN);
	assert_string_equal(ct_sip_method_str(CT_SIP_UNKNOWN), "");
	assert_string_equal(ct_sip_method_str(CT_SIP_NMETHODS), "");
	assert_string_equal(ct_sip_method_str((enum ct_sip_method)200), "");

	struct ct_sip_msg *m = &M;
	assert_int_equal(parse_str("invite sip:a@b SIP/2.0\r\nl: 0\r\n\r\n", true, m), CT_OK);
	assert_true(m->request);
	assert_int_equal(m->method, CT_SIP_UNKNOWN);
	assert_slice(m->method_name, "invite");
}

static void test_is_start_line(void **state)
{
	(void)state;
#define START(lit) ct_sip_is_start_line((const uint8_t *)(lit), sizeof(lit) - 1)
	assert_true(START("INVITE sip:bob@biloxi.com SIP/2.0\r\nVia: x\r\n"));
	assert_true(START("OPTIONS sip:a@b SIP/2.0\n"));
	assert_true(START("SIP/2.0 200 OK\r\n"));
	assert_true(START("SIP/2.0 100 \r\n"));
	assert_true(START("SIP/2.0 699\r\n"));
	assert_true(START("sip/2.0 180 Ringing\r\n"));
	assert_true(START(INTMETH_METHOD " sip:x@example.com SIP/2.0\r\n"));
	assert_true(START("REGISTER sip:example.com SIP/2.0")); /* no line end yet */
	assert_false(START(""));
	assert_false(START("\r\n"));
	assert_false(START("\r\n\r\n"));
	assert_false(START("HTTP/1.1 200 OK\r\n"));
	assert_false(START("GET / HTTP/1.1\r\n"));
	assert_false(START("SIP/2.0 099 Low\r\n"));
	assert_false(START("SIP/2.0 700 High\r\n"));
	assert_false(START("SIP/2.0 20\r\n"));
	assert_false(START("INVITE sip:a@b SIP/3.0\r\n"));
	assert_false(START("INVITE\r\n"));
	assert_false(START(" INVITE sip:a@b SIP/2.0\r\n"));
	assert_false(START("Via: SIP/2.0\r\n"));
	assert_false(START("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"));
	assert_false(START("v=0\r\n"));
#undef START
}

/* ---- header names ------------------------------------------------------------------- */

static void test_header_names_case_insensitive(void **state)
{
	(void)state;
	struct ct_sip_msg *m = &M;
	static const char msg[] =
		"INVITE sip:2001@pbx.example.com SIP/2.0\r\n"
		"vIa: SIP/2.0/TCP h;branch=z9hG4bK1\r\n"
		"FROM: <sip:a@example.com>;TAG=f1\r\n"
		"to: <sip:2001@pbx.example.com>\r\n"
		"cAlL-iD: c1@h\r\n"
		"CSEQ: 1 INVITE\r\n"
		"CONTACT: <sip:a@10.0.0.1>\r\n"
		"content-type: application/sdp\r\n"
		"p-ASSERTED-identity: <sip:+4930123@example.com>\r\n"
		"DIVERSION: <sip:2000@pbx>;reason=unconditional\r\n"
		"history-INFO: <sip:2000@pbx>;index=1\r\n"
		"User-To-User: 00FA080019001A2B3C4D5E;encoding=hex\r\n"
		"x-genesys-calluuid: 0A1B2C3D4E5F\r\n"
		"CISCO-GUID: 1234-5678\r\n"
		"Session-ID: ab30317f1a784dc48ff824d0d3715d86\r\n"
		"REFER-TO: <sip:b@example.com>\r\n"
		"Referred-BY: <sip:a@example.com>\r\n"
		"replaces: abc@h;to-tag=1;from-tag=2\r\n"
		"REASON: Q.850;cause=16\r\n"
		"call-info: <http://x>;purpose=info\r\n"
		"EVENT: refer\r\n"
		"user-agent: test\r\n"
		"SERVER: test\r\n"
		"RSeq: 1\r\n"
		"RAck: 1 1 INVITE\r\n"
		"Content-LENGTH: 0\r\n"
		"\r\n";
	static const uint8_t want[] = { CT_H_VIA, CT_H_FROM, CT_H_TO, CT_H_CALL_ID, CT_H_CSEQ, CT_H_CONTACT,
					CT_H_CONTENT_TYPE, CT_H_PAI, CT_H_DIVERSION, CT_H_HISTORY_INFO,
					CT_H_USER_TO_USER, CT_H_GENESYS_UUID, CT_H_CISCO_GUID, CT_H_SESSION_ID,
					CT_H_REFER_TO, CT_H_REFERRED_BY, CT_H_REPLACES, CT_H_REASON, CT_H_CALL_INFO,
					CT_H_EVENT, CT_H_USER_AGENT, CT_H_SERVER, CT_H_RSEQ, CT_H_RACK,
					CT_H_CONTENT_LENGTH };
	assert_int_equal(parse_str(msg, true, m), CT_OK);
	assert_int_equal(m->nhdr, sizeof(want));
	for (unsigned i = 0; i < sizeof(want); i++) {
		assert_int_equal(m->hdr[i].id, want[i]);
		assert_int_equal(m->first[want[i]], (int)i);
	}
	/* names are kept as on the wire */
	assert_slice(m->hdr[3].name, "cAlL-iD");
	assert_slice(m->call_id, "c1@h");
	/* parameter names are case-insensitive too */
	assert_slice(m->from_tag, "f1");
	assert_slice(m->branch, "z9hG4bK1");
	assert_slice(ct_sip_get(m, CT_H_USER_TO_USER), "00FA080019001A2B3C4D5E;encoding=hex");
	/* near misses stay OTHER */
	assert_int_equal(parse_str("OPTIONS sip:a SIP/2.0\r\nVia2: x\r\nTo-: y\r\nCall_ID: z\r\nfro: w\r\nl: 0\r\n\r\n",
				   true, m),
			 CT_OK);
	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(m->hdr[i].id, CT_H_OTHER);
}

static void test_compact_forms(void **state)
{
	(void)state;
	struct ct_sip_msg *m = &M;
	/* RFC 3261 7.3.3 and 20 (i f t v m l c), RFC 3515 r, RFC 3892 b, RFC 6665 o */
	static const char msg[] =
		"REFER sip:b@example.com SIP/2.0\r\n"
		"v: SIP/2.0/UDP h1;branch=z9hG4bKc1\r\n"
		"f: <sip:a@example.com>;tag=ft\r\n"
		"t: <sip:b@example.com>;tag=tt\r\n"
		"i: compact@h1\r\n"
		"CSeq: 9 REFER\r\n"
		"m: <sip:a@h1>\r\n"
		"c: text/plain\r\n"
		"r: <sip:c@example.com>\r\n"
		"b: <sip:a@example.com>\r\n"
		"o: refer;id=9\r\n"
		"s: not tracked\r\n"
		"k: timer\r\n"
		"e: gzip\r\n"
		"x: nothing\r\n"
		"l: 4\r\n"
		"\r\n"
		"body";
	static const uint8_t want[] = { CT_H_VIA, CT_H_FROM, CT_H_TO, CT_H_CALL_ID, CT_H_CSEQ, CT_H_CONTACT,
					CT_H_CONTENT_TYPE, CT_H_REFER_TO, CT_H_REFERRED_BY, CT_H_EVENT,
					CT_H_OTHER, CT_H_OTHER, CT_H_OTHER, CT_H_OTHER, CT_H_CONTENT_LENGTH };
	assert_int_equal(parse_str(msg, true, m), CT_OK);
	assert_int_equal(m->nhdr, sizeof(want));
	for (unsigned i = 0; i < sizeof(want); i++)
		assert_int_equal(m->hdr[i].id, want[i]);
	assert_slice(m->call_id, "compact@h1");
	assert_slice(m->from_tag, "ft");
	assert_slice(m->to_tag, "tt");
	assert_slice(m->branch, "z9hG4bKc1");
	assert_int_equal(m->content_length, 4);
	assert_slice(m->body, "body");

	/* upper-case compact forms (esc01 uses i: and C:, dblreq I:) */
	assert_int_equal(parse_str("OPTIONS sip:a SIP/2.0\r\nI: up\r\nF: x;tag=1\r\nT: y\r\nV: SIP/2.0/UDP h;branch=z9hG4bKu\r\n"
				   "M: <sip:a>\r\nC: a/b\r\nR: <sip:r>\r\nB: <sip:b>\r\nO: dialog\r\nL: 0\r\n\r\n",
				   true, m),
			 CT_OK);
	static const uint8_t want2[] = { CT_H_CALL_ID, CT_H_FROM, CT_H_TO, CT_H_VIA, CT_H_CONTACT,
					 CT_H_CONTENT_TYPE, CT_H_REFER_TO, CT_H_REFERRED_BY, CT_H_EVENT,
					 CT_H_CONTENT_LENGTH };
	assert_int_equal(m->nhdr, sizeof(want2));
	for (unsigned i = 0; i < sizeof(want2); i++)
		assert_int_equal(m->hdr[i].id, want2[i]);
	assert_slice(m->call_id, "up");
	assert_slice(m->branch, "z9hG4bKu");
}

/* ---- torture messages --------------------------------------------------------------- */

static void test_wsinv(void **state)
{
	(void)state;
	struct ct_sip_msg *m = &M;
	for (int stream = 0; stream < 2; stream++) {
		assert_int_equal(parse_str(wsinv, stream, m), CT_OK);
		assert_true(m->request);
		assert_int_equal(m->method, CT_SIP_INVITE);
		assert_slice(m->uri, "sip:vivekg@chair-dnrc.example.com;unknownparam");
		assert_int_equal(m->nhdr, 14);
		/* "TO :" with the value on the next line; odd spaces around ';' and '=' */
		assert_int_equal(m->hdr[0].id, CT_H_TO);
		assert_slice(m->hdr[0].name, "TO");
		assert_slice(m->hdr[0].value, "sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n");
		assert_slice(m->to_tag, "1918181833n");
		/* the From tag sits two folded lines below its ';' */
		assert_int_equal(m->hdr[1].id, CT_H_FROM);
		assert_slice(m->from_tag, "98asjd8");
		assert_slice(ct_sip_uri(m->hdr[1].value), "sip:jdrosen@example.com");
		assert_slice(m->call_id, "wsinv.ndaksdj@192.0.2.1");
		/* "Content-Length   :" */
		assert_int_equal(m->hdr[4].id, CT_H_CONTENT_LENGTH);
		assert_int_equal(m->content_length, 150);
		/* "cseq: 0009" folded onto "  INVITE" */
		assert_int_equal(m->cseq, 9);
		assert_slice(ct_sip_get(m, CT_H_CSEQ), "0009\r\n  INVITE");
		/* the first Via is folded over three lines; branch from it, not from v: below */
		assert_slice(ct_sip_get(m, CT_H_VIA), "SIP  /   2.0\r\n /UDP\r\n    192.0.2.2;branch=390skdjuw");
		assert_slice(m->branch, "390skdjuw");
		assert_int_equal(count_id(m, CT_H_VIA), 2);
		/* "s :" is an empty Subject */
		assert_slice(m->hdr[7].name, "s");
		assert_slice(m->hdr[7].value, "");
		assert_slice(m->hdr[8].value, "newfangled value\r\n continued newfangled value");
		assert_slice(m->hdr[9].value, ";;,,;;,;");
		assert_slice(m->hdr[11].name, "Route");
		assert_slice(ct_sip_uri(m->hdr[11].value), "sip:services.example.com;lr;unknownwith=value;unknown-no-value");
		/* v: with two via-parms, the second's branch value on the next line */
		struct ct_sip_header *v = &m->hdr[12];
		assert_int_equal(v->id, CT_H_VIA);
		bool found;
		assert_slice(ct_sip_param(v->value, "branch", &found), "z9hG4bK9ikj8");
		assert_true(found);
		/* m: Contact with a value after '=' and a line break */
		struct ct_sip_header *c = &m->hdr[13];
		assert_int_equal(c->id, CT_H_CONTACT);
		assert_slice(ct_sip_uri(c->value), "sip:jdrosen@example.com");
		assert_slice(ct_sip_param(c->value, "newparam", &found), "newvalue");
		assert_true(found);
		assert_slice(ct_sip_param(c->value, "secondparam", &found), "");
		assert_true(found);
		assert_slice(ct_sip_param(c->value, "q", &found), "0.33");
		assert_true(found);
		assert_slice(m->body, WSINV_SDP);
		assert_int_equal(m->total_len, strlen(wsinv));
	}
}

static void test_intmeth(void **state)
{
	(void)state;
	struct ct_sip_msg *m = &M;
	assert_int_equal(parse_str(intmeth, true, m), CT_OK);
	assert_true(m->request);
	assert_int_equal(m->method, CT_SIP_UNKNOWN);
	assert_slice(m->method_name, INTMETH_METHOD);
	assert_int_equal(m->cseq, 139122385);
	assert_slice(m->branch, "z9hG4bK-.!%66*_+`'~");
	assert_slice(m->call_id, "intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{");
	assert_slice(m->from_tag, "_token~1'+`*%!-.");
	/* user part with user-unreserved characters; ";" ends it for ctitap (user params) and
	 * ':' starts the password */
	assert_slice(ct_sip_uri_user(m->uri), "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/");
	/* the To display name holds '<' and '>' inside its quotes: the URI is the one after */
	struct ct_slice to = ct_sip_get(m, CT_H_TO);
	assert_slice(ct_sip_uri(to), "sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*@example.com");
	bool found;
	assert_slice(ct_sip_param(to, "tag", &found), "");
	assert_false(found);
	/* the From parameter with a quoted UTF-8 value comes before the tag */
	struct ct_slice from = ct_sip_get(m, CT_H_FROM);
	assert_slice(ct_sip_uri(from), "sip:mundane@example.com");
	assert_slice(ct_sip_param(from, "fromParam''~+*_!.-%", &found),
		     "\xd1\x80\xd0\xb0\xd0\xb1\xd0\xbe\xd1\x82\xd0\xb0\xd1\x8e\xd1\x89\xd0\xb8\xd0\xb9");
	assert_true(found);
	assert_slice(m->hdr[6].name, "extensionHeader-!.%*+_`'~");
	assert_int_equal(m->total_len, strlen(intmeth));
}

static void test_esc01_lwsdisp_semiuri(void **state)
{
	(void)state;
	struct ct_sip_msg *m = &M;
	bool found;
	assert_int_equal(parse_str(esc01, false, m), CT_OK);
	/* escapes are not decoded: slices are the wire bytes */
	assert_slice(ct_sip_uri_user(m->uri), "sips%3Auser%40example.com");
	assert_slice(ct_sip_uri_user(ct_sip_uri(ct_sip_get(m, CT_H_TO))), "%75se%72");
	assert_slice(ct_sip_uri_user(ct_sip_uri(ct_sip_get(m, CT_H_FROM))), "I%20have%20spaces");
	assert_slice(m->call_id, "esc01.239409asdfakjkn23onasd0-3234");
	assert_slice(ct_sip_get(m, CT_H_CONTENT_TYPE), "application/sdp");
	struct ct_slice contact = ct_sip_get(m, CT_H_CONTACT);
	assert_slice(ct_sip_uri(contact), "sip:cal%6Cer@host5.example.net;%6C%72;n%61me=v%61lue%25%34%31");
	/* the URI's parameters are inside <...>: not the header's */
	ct_sip_param(contact, "n%61me", &found);
	assert_false(found);
	assert_slice(m->body, "v=0\r\n");

	assert_int_equal(parse_str(lwsdisp, true, m), CT_OK);
	assert_int_equal(m->method, CT_SIP_OPTIONS);
	assert_slice(ct_sip_uri(ct_sip_get(m, CT_H_FROM)), "sip:caller@example.com");
	assert_slice(m->from_tag, "323");
	assert_slice(ct_sip_uri(ct_sip_get(m, CT_H_TO)), "sip:user@example.com");

	assert_int_equal(parse_str(semiuri, true, m), CT_OK);
	assert_slice(m->uri, "sip:user;par=u%40example.net@example.com");
	assert_slice(ct_sip_uri_user(m->uri), "user");
	/* a header value folded over three lines, commas and all */
	assert_slice(m->hdr[5].value,
		     "application/sdp, application/pkcs7-mime,\r\n        multipart/mixed, multipart/signed,\r\n"
		     "        message/sip, message/sipfrag");
	assert_slice(m->branch, "z9hG4bKkdjuw");
}

static void test_transports_and_via(void **state)
{
	(void)state;
	struct ct_sip_msg *m = &M;
	assert_int_equal(parse_str(transports, true, m), CT_OK);
	assert_int_equal(count_id(m, CT_H_VIA), 5);
	assert_slice(m->branch, "z9hG4bKkdjuw");
	assert_slice(m->call_id, "transports.kijh4akdnaqjkwendsasfdj");
	/* every Via is kept, in order */
	bool found;
	static const char *const br[] = { "z9hG4bKkdjuw", "z9hG4bKklasjdhf", "z9hG4bK2980unddj", "z9hG4bKasd0f3en",
					  "z9hG4bK0a9idfnee" };
	unsigned k = 0;
	for (unsigned i = 0; i < m->nhdr; i++)
		if (m->hdr[i].id == CT_H_VIA)
			assert_slice(ct_sip_param(m->hdr[i].value, "branch", &found), br[k++]);
	assert_int_equal(k, 5);

	/* comma-separated Vias: the branch of the FIRST via-parm of the first Via header */
	assert_int_equal(parse_str("SIP/2.0 180 Ringing\r\n"
				   "Via: SIP/2.0/UDP p1.example.com;branch=z9hG4bKfirst , SIP/2.0/UDP p2;branch=z9hG4bKsecond\r\n"
				   "Via: SIP/2.0/UDP p3;branch=z9hG4bKthird\r\n"
				   "CSeq: 1 INVITE\r\nl: 0\r\n\r\n",
				   true, m),
			 CT_OK);
	assert_slice(m->branch, "z9hG4bKfirst");
	/* the first via-parm has no branch: the second one's must not be taken */
	assert_int_equal(parse_str("SIP/2.0 180 Ringing\r\n"
				   "Via: SIP/2.0/UDP p1.example.com;rport,SIP/2.0/UDP p2;branch=z9hG4bKsecond\r\n"
				   "Via: SIP/2.0/UDP p3;branch=z9hG4bKthird\r\n"
				   "CSeq: 1 INVITE\r\nl: 0\r\n\r\n",
				   true, m),
			 CT_OK);
	assert_slice(m->branch, "");
	/* an RFC 2543 Via with no branch at all */
	assert_int_equal(parse_str("ACK sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1\r\nl: 0\r\n\r\n", true, m), CT_OK);
	assert_slice(m->branch, "");
}

static void test_repeated_headers(void **state)
{
	(void)state;
	struct ct_sip_msg *m = &M;
	assert_int_equal(parse_str("INVITE sip:b@example.com SIP/2.0\r\n"
				   "Diversion: <sip:2001@pbx>;reason=no-answer\r\n"
				   "Record-Route: <sip:p1;lr>\r\n"
				   "Diversion: <sip:2000@pbx>;reason=unconditional, <sip:1999@pbx>;reason=user-busy\r\n"
				   "Record-Route: <sip:p2;lr>\r\n"
				   "Call-ID: first@h\r\n"
				   "Call-ID: second@h\r\n"
				   "l: 0\r\n\r\n",
				   true, m),
			 CT_OK);
	assert_int_equal(count_id(m, CT_H_DIVERSION), 2);
	assert_int_equal(m->first[CT_H_DIVERSION], 0);
	assert_slice(m->hdr[2].value, "<sip:2000@pbx>;reason=unconditional, <sip:1999@pbx>;reason=user-busy");
	/* the first value of a comma-separated header */
	bool found;
	assert_slice(ct_sip_param(m->hdr[2].value, "reason", &found), "unconditional");
	assert_slice(ct_sip_get(m, CT_H_DIVERSION), "<sip:2001@pbx>;reason=no-answer");
	assert_slice(m->call_id, "first@h");
	assert_int_equal(m->first[CT_H_CALL_ID], 4);
	assert_int_equal(m->nhdr, 7);
}

static void test_mpart01_binary_body(void **state)
{
	(void)state;
	struct ct_sip_msg *m = &M;
	struct tbuf b = { 0 };
	size_t blen = sizeof(mpart01_body) - 1;
	tb_str(&b, mpart01_head);
	tb_uint(&b, (unsigned)blen);
	tb_str(&b, "\r\n\r\n");
	size_t hlen = b.len;
	tb_add(&b, (const char *)mpart01_body, blen);
	for (int stream = 0; stream < 2; stream++) {
		assert_int_equal(parse_bytes(b.p, b.len, stream, m), CT_OK);
		assert_int_equal(m->method, CT_SIP_MESSAGE);
		assert_int_equal(m->header_len, hlen);
		assert_int_equal(m->body.len, blen);
		assert_memory_equal(m->body.p, mpart01_body, blen);
		assert_int_equal(m->total_len, b.len);
		assert_slice(ct_sip_get(m, CT_H_CONTENT_TYPE), "multipart/mixed;boundary=++");
	}
	free(b.p);
}

static void test_longreq(void **state)
{
	(void)state;
	/* RFC 4475 3.1.1.7 longreq: long values everywhere, many Vias, a long unknown header */
	struct ct_sip_msg *m = &M;
	struct tbuf b = { 0 };
	tb_str(&b, "INVITE sip:user@example.com SIP/2.0\r\nTo: \"I have a user name of ");
	tb_rep(&b, 'e', 300);
	tb_str(&b, " proportion\" <sip:user@example.com:6000;unknownparam1=very");
	tb_rep(&b, 'y', 200);
	tb_str(&b, "longvalue;longparam");
	tb_rep(&b, 'm', 200);
	tb_str(&b, "name=shortvalue;very");
	tb_rep(&b, 'y', 200);
	tb_str(&b, "longParameterNameWithNoValue>\r\nF: sip:");
	tb_rep(&b, 'a', 300);
	tb_str(&b, "@example.com;tag=12");
	tb_rep(&b, '3', 200);
	tb_str(&b, "\r\nCall-ID: longreq.one");
	tb_rep(&b, 'r', 400);
	tb_str(&b, "y@example.com\r\nCseq: 3882340 INVITE\r\nUnknown-");
	tb_rep(&b, 'L', 250);
	tb_str(&b, "ong-Name: unknown-");
	tb_rep(&b, 'l', 250);
	tb_str(&b, "ong-value; unknown-");
	tb_rep(&b, 'l', 250);
	tb_str(&b, "ong-parameter-name = unknown-");
	tb_rep(&b, 'l', 250);
	tb_str(&b, "ong-parameter-value\r\n");
	for (unsigned i = 0; i < 40; i++) {
		tb_str(&b, "Via: SIP/2.0/TCP sip");
		tb_uint(&b, i);
		tb_str(&b, ".example.com;branch=z9hG4bK");
		tb_uint(&b, i);
		tb_rep(&b, 'x', 60);
		tb_str(&b, "\r\n");
	}
	tb_str(&b, "Contact: \"");
	tb_rep(&b, 'A', 2000);
	tb_str(&b, "\" <sip:longreq@host.example.com>\r\nMax-Forwards: 70\r\nContent-Type: application/sdp\r\nl: 5\r\n\r\nv=0\r\n");

	for (int stream = 0; stream < 2; stream++) {
		assert_int_equal(parse_bytes(b.p, b.len, stream, m), CT_OK);
		assert_int_equal(m->nhdr, 5 + 40 + 4);
		assert_int_equal(m->call_id.len, strlen("longreq.one") + 400 + strlen("y@example.com"));
		assert_int_equal(m->from_tag.len, 2 + 200);
		assert_int_equal(m->to_tag.len, 0);
		assert_int_equal(m->branch.len, strlen("z9hG4bK0") + 60);
		assert_memory_equal(m->branch.p, "z9hG4bK0xxx", 11);
		assert_int_equal(m->cseq, 3882340);
		assert_int_equal(ct_sip_uri_user(ct_sip_uri(ct_sip_get(m, CT_H_FROM))).len, 300);
		assert_slice(ct_sip_uri(ct_sip_get(m, CT_H_CONTACT)), "sip:longreq@host.example.com");
		assert_slice(ct_sip_uri_user(ct_sip_uri(ct_sip_get(m, CT_H_TO))), "user");
		assert_slice(m->body, "v=0\r\n");
	}
	free(b.p);
}

/* ---- parameters and URIs ------------------------------------------------------------ */

static void test_param(void **state)
{
	(void)state;
	bool found;
	assert_slice(param("<sip:a@b>;tag=x1", "tag", &found), "x1");
	assert_true(found);
	/* case-insensitive name, value as on the wire */
	assert_slice(param("<sip:a@b>;TaG=AbC", "tag", &found), "AbC");
	/* spaces around ';' and '=' (RFC 3261 25.1 SEMI and EQUAL allow LWS) */
	assert_slice(param("<sip:a@b> ;  tag = x2 ;foo", "tag", &found), "x2");
	assert_slice(param("<sip:a@b>\t;\ttag\t=\tx3", "tag", &found), "x3");
	/* and line folds */
	assert_slice(param("<sip:a@b>\r\n ;\r\n tag\r\n =\r\n x4\r\n ;y", "tag", &found), "x4");
	assert_slice(param("<sip:a@b>\n ;\n tag\n =\n x5\n ;y", "tag", &found), "x5");
	/* a tag inside the URI is the URI's, not the header's */
	assert_slice(param("<sip:a@b;tag=inuri>", "tag", &found), "");
	assert_false(found);
	assert_slice(param("<sip:a@b;tag=inuri>;tag=outside", "tag", &found), "outside");
	assert_true(found);
	assert_slice(param("\"x\" <sip:a@b;transport=tcp?Subject=x;tag=h>;tag=out", "tag", &found), "out");
	/* quoted display names may hold ';' and '<' */
	assert_slice(param("\"a;tag=no <\" <sip:a@b>;tag=yes", "tag", &found), "yes");
	assert_slice(param("\"a\\\";tag=no\" <sip:a@b>;tag=yes", "tag", &found), "yes");
	/* quoted values, with escaped quotes inside (returned raw) */
	assert_slice(param("<sip:a@b>;+sip.instance=\"<urn:uuid:f81d4fae-7dec>\";tag=t", "+sip.instance", &found),
		     "<urn:uuid:f81d4fae-7dec>");
	assert_slice(param("<sip:a@b>;+sip.instance=\"<urn:uuid:f81d4fae-7dec>\";tag=t", "tag", &found), "t");
	assert_slice(param("<sip:a@b>;text=\"say \\\"hi\\\"; ok\";tag=t", "text", &found), "say \\\"hi\\\"; ok");
	assert_slice(param("<sip:a@b>;text=\"say \\\"hi\\\"; ok\";tag=t", "tag", &found), "t");
	assert_slice(param("Q.850 ;cause=16 ;text=\"Normal call clearing\"", "text", &found), "Normal call clearing");
	assert_slice(param("Q.850 ;cause=16 ;text=\"Normal call clearing\"", "cause", &found), "16");
	/* unterminated quote: no crash, value to the end */
	assert_slice(param("<sip:a@b>;text=\"open", "text", &found), "open");
	assert_true(found);
	/* a flag parameter: found, empty */
	assert_slice(param("SIP/2.0/UDP h;rport;branch=z9hG4bK1", "rport", &found), "");
	assert_true(found);
	assert_slice(param("SIP/2.0/UDP h;rport;branch=z9hG4bK1", "branch", &found), "z9hG4bK1");
	/* prefixes and suffixes of the name do not match */
	assert_slice(param("<sip:a@b>;tagx=1;xtag=2;ta=3;tag=4", "tag", &found), "4");
	assert_slice(param("<sip:a@b>;tagx=1", "tag", &found), "");
	assert_false(found);
	/* the first value of a comma-separated list only */
	assert_slice(param("<sip:a@b>;x=1, <sip:c@d>;tag=2", "tag", &found), "");
	assert_false(found);
	/* commas inside <...> do not end the value */
	assert_slice(param("<sip:a@b?h=1,2>;tag=3", "tag", &found), "3");
	/* edge cases */
	assert_slice(param("", "tag", &found), "");
	assert_false(found);
	assert_slice(param(";", "tag", &found), "");
	assert_false(found);
	assert_slice(param(";tag", "tag", &found), "");
	assert_true(found);
	assert_slice(param(";tag=", "tag", &found), "");
	assert_true(found);
	assert_slice(param(";tag= ", "tag", &found), "");
	assert_slice(param("<sip:a@b;tag=x", "tag", &found), ""); /* unclosed '<' */
	assert_false(found);
	assert_slice(param("sip:a@b>;tag=x", "tag", &found), "x"); /* stray '>' */
	assert_slice(param(";;,;,,", "branch", &found), "");
	assert_false(found);
}

static void test_uri(void **state)
{
	(void)state;
	/* name-addr and addr-spec (RFC 3261 20.10, 20.20, 20.39) */
	assert_slice(ct_sip_uri(S("\"Alice\" <sip:alice@atlanta.com>;tag=88sja8x")), "sip:alice@atlanta.com");
	assert_slice(ct_sip_uri(S("Alice <sip:alice@atlanta.com>")), "sip:alice@atlanta.com");
	assert_slice(ct_sip_uri(S("<sip:alice@atlanta.com;transport=tcp>;expires=60")), "sip:alice@atlanta.com;transport=tcp");
	assert_slice(ct_sip_uri(S("< sip:alice@atlanta.com >")), "sip:alice@atlanta.com");
	assert_slice(ct_sip_uri(S("sip:+12125551212@server.phone2net.com;tag=887s")), "sip:+12125551212@server.phone2net.com");
	assert_slice(ct_sip_uri(S("  sip:carol@chicago.com  ")), "sip:carol@chicago.com");
	assert_slice(ct_sip_uri(S("tel:+4930123")), "tel:+4930123");
	/* quoted display names may hold '<', '>' and escaped quotes */
	assert_slice(ct_sip_uri(S("\"a<b>c\" <sip:real@example.com>")), "sip:real@example.com");
	assert_slice(ct_sip_uri(S("\"a\\\"<x>\" <sip:real@example.com>;tag=1")), "sip:real@example.com");
	/* RFC 4475 quotbal (unterminated quote): still find the bracketed URI */
	assert_slice(ct_sip_uri(S("\"Mr. J. User <sip:j.user@example.com>")), "sip:j.user@example.com");
	/* unclosed '<': to the end */
	assert_slice(ct_sip_uri(S("<sip:a@b")), "sip:a@b");
	assert_slice(ct_sip_uri(S("")), "");
	assert_slice(ct_sip_uri(S("<>")), "");

	/* user parts (RFC 3261 19.1; RFC 3966 tel; RFC 4694 user parameters) */
	assert_slice(ct_sip_uri_user(S("sip:2001@pbx.example.com")), "2001");
	assert_slice(ct_sip_uri_user(S("sips:alice@atlanta.com;transport=tls")), "alice");
	assert_slice(ct_sip_uri_user(S("SIP:Bob@Biloxi.com")), "Bob");
	assert_slice(ct_sip_uri_user(S("tel:+4930123456")), "+4930123456");
	assert_slice(ct_sip_uri_user(S("tel:7042;phone-context=example.com")), "7042");
	assert_slice(ct_sip_uri_user(S("TEL:+1-201-555-0123;ext=1")), "+1-201-555-0123");
	assert_slice(ct_sip_uri_user(S("sip:+1-212-555-1212;phone-context=+1@gateway.com;user=phone")), "+1-212-555-1212");
	assert_slice(ct_sip_uri_user(S("sip:+4930123;npdi;rn=+4930999@example.com;user=phone")), "+4930123");
	/* RFC 3261 19.1.3: "sip:+1-212-555-1212:1234@gateway.com;user=phone" has password 1234 */
	assert_slice(ct_sip_uri_user(S("sip:+1-212-555-1212:1234@gateway.com;user=phone")), "+1-212-555-1212");
	assert_slice(ct_sip_uri_user(S("sip:alice:secretword@atlanta.com;transport=tcp")), "alice");
	/* no user part */
	assert_slice(ct_sip_uri_user(S("sip:atlanta.com;method=REGISTER?to=alice%40atlanta.com")), "");
	assert_slice(ct_sip_uri_user(S("sip:pbx.example.com:5060")), "");
	assert_slice(ct_sip_uri_user(S("sip:@example.com")), "");
	/* other schemes and no scheme */
	assert_slice(ct_sip_uri_user(S("mailto:a@b")), "");
	assert_slice(ct_sip_uri_user(S("soap.beep://192.0.2.103:3002")), "");
	assert_slice(ct_sip_uri_user(S("2001@pbx")), "");
	assert_slice(ct_sip_uri_user(S("")), "");
	assert_slice(ct_sip_uri_user(S("tel:")), "");
	assert_slice(ct_sip_uri_user(S("sip:")), "");
}

/* ---- framing ------------------------------------------------------------------------ */

static void test_stream_back_to_back(void **state)
{
	(void)state;
	struct ct_sip_msg *m = &M;
	struct tbuf b = { 0 };
	tb_str(&b, rfc3261_f1);
	tb_str(&b, rfc3261_bye);
	tb_str(&b, wsinv);
	free(copy);
	copy = malloc(b.len);
	assert_non_null(copy);
	memcpy(copy, b.p, b.len);

	size_t off = 0;
	assert_int_equal(ct_sip_parse(copy, b.len, true, m), CT_OK);
	assert_int_equal(m->method, CT_SIP_INVITE);
	assert_int_equal(m->total_len, strlen(rfc3261_f1));
	assert_slice(m->body, RFC3261_F1_SDP);
	off += m->total_len;
	assert_int_equal(ct_sip_parse(copy + off, b.len - off, true, m), CT_OK);
	assert_int_equal(m->method, CT_SIP_BYE);
	assert_int_equal(m->cseq, 231);
	assert_int_equal(m->total_len, strlen(rfc3261_bye));
	off += m->total_len;
	assert_int_equal(ct_sip_parse(copy + off, b.len - off, true, m), CT_OK);
	assert_slice(m->call_id, "wsinv.ndaksdj@192.0.2.1");
	off += m->total_len;
	assert_int_equal(off, b.len);
	assert_int_equal(ct_sip_parse(copy + off, 0, true, m), CT_MORE);

	/* dblreq as a datagram: the first message only; as a stream: both */
	assert_int_equal(parse_str(dblreq, false, m), CT_OK);
	assert_int_equal(m->method, CT_SIP_REGISTER);
	assert_slice(m->call_id, "dblreq.0ha0isndaksdj99sdfafnl3lk233412");
	assert_slice(m->body, "");
	size_t first = m->total_len;
	assert_true(first < strlen(dblreq));
	assert_int_equal(parse_str(dblreq, true, m), CT_OK);
	assert_int_equal(m->total_len, first);
	assert_int_equal(ct_sip_parse(copy + first, strlen(dblreq) - first, true, m), CT_OK);
	assert_int_equal(m->method, CT_SIP_INVITE);
	assert_slice(m->to_tag, "");
	assert_slice(m->body, "v=0\r\n");
	assert_int_equal(first + m->total_len, strlen(dblreq));
	free(b.p);
}

/* Every strict prefix of msg is CT_MORE in stream mode, and the whole is OK. Each prefix
 * is its own exact-size heap block so that reading one byte too far is caught by ASan. */
static void check_every_split(const void *msg, size_t len)
{
	struct ct_sip_msg *m = &M;
	for (size_t n = 0; n < len; n++) {
		uint8_t *p = malloc(n ? n : 1);
		assert_non_null(p);
		memcpy(p, msg, n);
		int rc = ct_sip_parse(p, n, true, m);
		if (rc != CT_MORE)
			print_error("prefix of %zu/%zu bytes: rc %d\n", n, len, rc);
		assert_int_equal(rc, CT_MORE);
		free(p);
	}
	assert_int_equal(parse_bytes(msg, len, true, m), CT_OK);
	assert_int_equal(m->total_len, len);
}

static void test_stream_split_everywhere(void **state)
{
	(void)state;
	check_every_split(rfc3261_f1, strlen(rfc3261_f1));
	check_every_split(wsinv, strlen(wsinv));
	check_every_split(rfc3261_f6, strlen(rfc3261_f6));
	check_every_split(noreason, strlen(noreason));
	check_every_split("SIP/2.0 200 OK\nCSeq: 1 BYE\nl: 3\n\nabc", strlen("SIP/2.0 200 OK\nCSeq: 1 BYE\nl: 3\n\nabc"));
	struct tbuf b = { 0 };
	tb_str(&b, mpart01_head);
	tb_uint(&b, (unsigned)(sizeof(mpart01_body) - 1));
	tb_str(&b, "\r\n\r\n");
	tb_add(&b, (const char *)mpart01_body, sizeof(mpart01_body) - 1);
	check_every_split(b.p, b.len);
	free(b.p);
}

static void test_content_length_rules(void **state)
{
	(void)state;
	struct ct_sip_msg *m = &M;
	static const char nocl[] = "MESSAGE sip:b@example.com SIP/2.0\r\n"
				   "Call-ID: nocl@h\r\n"
				   "CSeq: 1 MESSAGE\r\n"
				   "\r\n"
				   "hello\r\nworld";
	/* stream: Content-Length is mandatory (RFC 3261 18.3) */
	assert_int_equal(parse_str(nocl, true, m), CT_EINVAL);
	/* datagram: the body is the rest */
	assert_int_equal(parse_str(nocl, false, m), CT_OK);
	assert_false(m->has_content_length);
	assert_slice(m->body, "hello\r\nworld");
	assert_int_equal(m->total_len, strlen(nocl));
	/* a datagram that ends without the blank line: headers to the end, no body */
	assert_int_equal(parse_str("OPTIONS sip:a SIP/2.0\r\nCall-ID: x\r\nCSeq: 2 OPTIONS", false, m), CT_OK);
	assert_slice(ct_sip_get(m, CT_H_CSEQ), "2 OPTIONS");
	assert_int_equal(m->cseq, 2);
	assert_slice(m->body, "");
	assert_int_equal(parse_str("OPTIONS sip:a SIP/2.0\r\nCall-ID: x\r\n", false, m), CT_OK);
	assert_slice(m->call_id, "x");
	/* a datagram with a shorter Content-Length: the rest is ignored */
	assert_int_equal(parse_str("MESSAGE sip:a SIP/2.0\r\nl: 3\r\n\r\nabcdef", false, m), CT_OK);
	assert_slice(m->body, "abc");
	assert_int_equal(m->total_len, strlen("MESSAGE sip:a SIP/2.0\r\nl: 3\r\n\r\n") + 3);

	/* clerr: longer than the datagram is BAD; on a stream it is more to come */
	assert_int_equal(parse_str(clerr, false, m), CT_EINVAL);
	assert_int_equal(parse_str(clerr, true, m), CT_MORE);

	/* RFC 4475 3.1.2.3 ncl (negative), scalar02-style overlarge and non-numeric lengths */
	static const char *const bad_cl[] = { "-999", "18446744073709551616", "99999999999999999999999",
					      "4294967296", "1048577", "12a", "0x10", "", "1 2", "+5" };
	for (unsigned i = 0; i < sizeof(bad_cl) / sizeof(bad_cl[0]); i++) {
		struct tbuf b = { 0 };
		tb_str(&b, "INVITE sip:user@example.com SIP/2.0\r\nCall-ID: cl@h\r\nCSeq: 1 INVITE\r\nContent-Length: ");
		tb_str(&b, bad_cl[i]);
		tb_str(&b, "\r\n\r\nv=0\r\n");
		assert_int_equal(parse_bytes(b.p, b.len, false, m), CT_EINVAL);
		assert_int_equal(parse_bytes(b.p, b.len, true, m), CT_EINVAL);
		free(b.p);
	}
	/* the largest accepted body, as a stream, needs the bytes */
	assert_int_equal(parse_str("INVITE sip:a SIP/2.0\r\nl: 1048576\r\n\r\n", true, m), CT_MORE);
	/* leading zeros and odd spacing are a number all the same */
	assert_int_equal(parse_str("INVITE sip:a SIP/2.0\r\nContent-Length :  0004 \r\n\r\nabcd", true, m), CT_OK);
	assert_int_equal(m->content_length, 4);
	/* folded value */
	assert_int_equal(parse_str("INVITE sip:a SIP/2.0\r\nl:\r\n 2\r\n\r\nab", true, m), CT_OK);
	assert_slice(m->body, "ab");

	/* scalar02-style overlarge CSeq: the message parses, the number is not taken */
	assert_int_equal(parse_str("REGISTER sip:example.com SIP/2.0\r\nCSeq: 36893488147419103232 REGISTER\r\n"
				   "Max-Forwards: 300\r\nExpires: 10000000000000000000000\r\nl: 0\r\n\r\n",
				   true, m),
			 CT_OK);
	assert_int_equal(m->cseq, 0);
	assert_int_equal(parse_str("SIP/2.0 200 OK\r\nCSeq: 4294967296 INVITE\r\nl: 0\r\n\r\n", true, m), CT_OK);
	assert_int_equal(m->cseq, 0);
	assert_int_equal(m->method, CT_SIP_UNKNOWN);
	assert_int_equal(parse_str("SIP/2.0 200 OK\r\nCSeq: 4294967295 INVITE\r\nl: 0\r\n\r\n", true, m), CT_OK);
	assert_int_equal(m->cseq, 4294967295u);
	assert_int_equal(m->method, CT_SIP_INVITE);
}

static void test_lf_only(void **state)
{
	(void)state;
	struct ct_sip_msg *m = &M;
	static const char msg[] = "INVITE sip:bob@biloxi.com SIP/2.0\n"
				  "Via: SIP/2.0/UDP pc33.atlanta.com\n"
				  " ;branch=z9hG4bKlf\n"
				  " ;rport\n"
				  "From: Alice <sip:alice@atlanta.com>\n"
				  "\t;tag=lf1\n"
				  "To: <sip:bob@biloxi.com>\n"
				  "Call-ID: lf@h\n"
				  "CSeq: 1 INVITE\n"
				  "Content-Length: 4\n"
				  "\n"
				  "v=0\n";
	for (int stream = 0; stream < 2; stream++) {
		assert_int_equal(parse_str(msg, stream, m), CT_OK);
		assert_int_equal(m->nhdr, 6);
		assert_slice(m->branch, "z9hG4bKlf");
		assert_slice(m->from_tag, "lf1");
		assert_slice(ct_sip_get(m, CT_H_VIA), "SIP/2.0/UDP pc33.atlanta.com\n ;branch=z9hG4bKlf\n ;rport");
		assert_slice(m->body, "v=0\n");
		assert_int_equal(m->total_len, strlen(msg));
	}
	/* mixed line ends */
	assert_int_equal(parse_str("SIP/2.0 200 OK\nCSeq: 1 BYE\r\nl: 0\n\r\n", true, m), CT_OK);
	assert_int_equal(m->method, CT_SIP_BYE);
	assert_int_equal(m->total_len, strlen("SIP/2.0 200 OK\nCSeq: 1 BYE\r\nl: 0\n\r\n"));
}

/* ---- limits ------------------------------------------------------------------------- */

static void test_header_cap(void **state)
{
	(void)state;
	struct ct_sip_msg *m = &M;
	/* CT_SIP_MAX_HEADERS + 10 padding headers, then the ones that frame and identify it */
	struct tbuf b = { 0 };
	tb_str(&b, "INVITE sip:b@example.com SIP/2.0\r\n");
	tb_str(&b, "Via: SIP/2.0/TCP h;branch=z9hG4bKcap\r\n");
	for (unsigned i = 0; i < CT_SIP_MAX_HEADERS + 10; i++) {
		tb_str(&b, "X-Pad-");
		tb_uint(&b, i);
		tb_str(&b, ": ");
		tb_uint(&b, i);
		tb_str(&b, "\r\n");
	}
	tb_str(&b, "X-Dropped: a\r\n b\r\n");
	tb_str(&b, "Call-ID: cap@h\r\nCSeq: 5 INVITE\r\nFrom: <sip:a@h>;tag=capf\r\nContent-Length: 3\r\n\r\nabc");
	for (int stream = 0; stream < 2; stream++) {
		assert_int_equal(parse_bytes(b.p, b.len, stream, m), CT_OK);
		assert_true(m->headers_truncated);
		assert_int_equal(m->nhdr, CT_SIP_MAX_HEADERS);
		assert_slice(m->branch, "z9hG4bKcap");
		assert_slice(m->body, "abc");
		assert_int_equal(m->total_len, b.len);
		/* the headers that frame and identify the message survive the cap */
		assert_slice(m->call_id, "cap@h");
		assert_int_equal(m->cseq, 5);
		assert_slice(m->from_tag, "capf");
		for (unsigned i = 0; i < m->nhdr; i++) {
			/* no kept value swallowed a dropped header's folded line */
			assert_int_equal(ct_slice_find(m->hdr[i].value, '\n'), m->hdr[i].value.len);
			if (m->hdr[i].id != CT_H_OTHER)
				assert_int_equal(m->first[m->hdr[i].id], (int)i);
		}
	}
	free(b.p);

	/* exactly CT_SIP_MAX_HEADERS headers: not truncated */
	struct tbuf c = { 0 };
	tb_str(&c, "OPTIONS sip:b SIP/2.0\r\n");
	for (unsigned i = 0; i < CT_SIP_MAX_HEADERS - 1; i++)
		tb_str(&c, "X: y\r\n");
	tb_str(&c, "l: 0\r\n\r\n");
	assert_int_equal(parse_bytes(c.p, c.len, true, m), CT_OK);
	assert_false(m->headers_truncated);
	assert_int_equal(m->nhdr, CT_SIP_MAX_HEADERS);
	free(c.p);

	/* headers larger than CT_SIP_MAX_HEADER_BYTES are not SIP */
	struct tbuf d = { 0 };
	tb_str(&d, "OPTIONS sip:b SIP/2.0\r\nX: ");
	tb_rep(&d, 'z', CT_SIP_MAX_HEADER_BYTES);
	tb_str(&d, "\r\nl: 0\r\n\r\n");
	assert_int_equal(parse_bytes(d.p, d.len, true, m), CT_EINVAL);
	assert_int_equal(parse_bytes(d.p, d.len, false, m), CT_EINVAL);
	/* and neither is a start line that long */
	assert_int_equal(parse_bytes(d.p + 27, d.len - 27, true, m), CT_EINVAL);
	free(d.p);
}

/* ---- not SIP ------------------------------------------------------------------------ */

static void test_garbage(void **state)
{
	(void)state;
	struct ct_sip_msg *m = &M;
	static const uint8_t binary[] = { 0x16, 0x03, 0x01, 0x00, 0xa5, 0x01, 0x00, 0x00, 0xa1, 0x03, 0x03, 0x0a,
					  0x0d, 0x0a, 0xff, 0xfe, 0x00, 0x00, 0x20, 0x0d, 0x0a, 0x0d, 0x0a };
	assert_int_equal(parse_bytes(binary, sizeof(binary), false, m), CT_EINVAL);
	assert_int_equal(parse_bytes(binary, sizeof(binary), true, m), CT_EINVAL);
	/* an RTP packet */
	static const uint8_t rtp[] = { 0x80, 0x00, 0x12, 0x34, 0x00, 0x00, 0x01, 0x00, 0xde, 0xad, 0xbe, 0xef, 0xff, 0x7f, 0x0a };
	assert_int_equal(parse_bytes(rtp, sizeof(rtp), false, m), CT_EINVAL);
	assert_int_equal(parse_bytes(rtp, sizeof(rtp), true, m), CT_EINVAL);

	static const char *const bad[] = {
		"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: example.com\r\n\r\n",
		"\r\n",
		"\r\n\r\n",
		"\n\n\n",
		" INVITE sip:a@b SIP/2.0\r\nl: 0\r\n\r\n",
		/* RFC 4475 3.1.2.10 lwsruri, 3.1.2.11 lwsstart, 3.1.2.13 badvers */
		"INVITE sip:user@example.com; lr SIP/2.0\r\nl: 0\r\n\r\n",
		"INVITE  sip:user@example.com  SIP/2.0\r\nl: 0\r\n\r\n",
		"OPTIONS sip:t.watson@example.org SIP/7.0\r\nl: 0\r\n\r\n",
		"INVITE sip:a@b\r\nl: 0\r\n\r\n",
		"INVITE\r\nl: 0\r\n\r\n",
		"INVITE sip:a@b SIP/2.0 x\r\nl: 0\r\n\r\n",
		"INV\x01TE sip:a@b SIP/2.0\r\nl: 0\r\n\r\n",
		"SIP/2.0 099 Too Low\r\nl: 0\r\n\r\n",
		"SIP/2.0 700 Too High\r\nl: 0\r\n\r\n",
		"SIP/2.0 20 OK\r\nl: 0\r\n\r\n",
		"SIP/2.0 2000 OK\r\nl: 0\r\n\r\n",
		"SIP/2.0 2x0 OK\r\nl: 0\r\n\r\n",
		"SIP/2.0  200 OK\r\nl: 0\r\n\r\n",
		"SIP/3.0 200 OK\r\nl: 0\r\n\r\n",
		"SIP/2.0\r\nl: 0\r\n\r\n",
		/* broken header lines */
		"OPTIONS sip:a SIP/2.0\r\nNoColonHere\r\nl: 0\r\n\r\n",
		"OPTIONS sip:a SIP/2.0\r\n: empty name\r\nl: 0\r\n\r\n",
		"OPTIONS sip:a SIP/2.0\r\nBad Name: x\r\nl: 0\r\n\r\n",
		"OPTIONS sip:a SIP/2.0\r\nBad<Name>: x\r\nl: 0\r\n\r\n",
		"OPTIONS sip:a SIP/2.0\r\n  : x\r\nl: 0\r\n\r\n",
		"OPTIONS sip:a SIP/2.0\r\n folded: before any header\r\nl: 0\r\n\r\n",
		/* a header name folded before its colon (HCOLON allows no line break) */
		"OPTIONS sip:a SIP/2.0\r\nCaLl-Id\r\n : x\r\nl: 0\r\n\r\n",
	};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int d = parse_str(bad[i], false, m), s = parse_str(bad[i], true, m);
		if (d != CT_EINVAL || s != CT_EINVAL)
			print_error("case %u [%s]: datagram %d stream %d\n", i, bad[i], d, s);
		assert_int_equal(d, CT_EINVAL);
		assert_int_equal(s, CT_EINVAL);
	}
	/* empty: BAD as a datagram, nothing yet on a stream */
	assert_int_equal(parse_bytes("", 0, false, m), CT_EINVAL);
	assert_int_equal(parse_bytes("", 0, true, m), CT_MORE);

	/* RFC 4475 invalid messages a tap still reads: badinv01 (extra separators),
	 * 3.1.2.9 ltgtruri (request URI in <>), 3.1.2.14 mismatch01 (CSeq method differs) */
	bool found;
	assert_int_equal(parse_str(badinv01, true, m), CT_OK);
	assert_slice(m->branch, "");
	assert_slice(m->from_tag, "134161461246");
	assert_slice(ct_sip_uri(ct_sip_get(m, CT_H_CONTACT)), "sip:joe@example.org");
	ct_sip_param(ct_sip_get(m, CT_H_CONTACT), "tag", &found);
	assert_false(found);
	assert_int_equal(parse_str("INVITE <sip:user@example.com> SIP/2.0\r\nl: 0\r\n\r\n", true, m), CT_OK);
	assert_slice(m->uri, "<sip:user@example.com>");
	assert_int_equal(parse_str("OPTIONS sip:user@example.com SIP/2.0\r\nCSeq: 1 INVITE\r\nl: 0\r\n\r\n", true, m), CT_OK);
	assert_int_equal(m->method, CT_SIP_OPTIONS); /* a request's method is its start line's */
	assert_int_equal(m->cseq, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_teardown(fn, teardown)
		T(test_request_line), T(test_status_line_and_cseq_method), T(test_methods), T(test_is_start_line),
		T(test_header_names_case_insensitive), T(test_compact_forms), T(test_wsinv), T(test_intmeth),
		T(test_esc01_lwsdisp_semiuri), T(test_transports_and_via), T(test_repeated_headers),
		T(test_mpart01_binary_body), T(test_longreq), T(test_param), T(test_uri),
		T(test_stream_back_to_back), T(test_stream_split_everywhere), T(test_content_length_rules),
		T(test_lf_only), T(test_header_cap), T(test_garbage),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
