/* test_sip_stream.c - SIP over TCP on hostile streams: a message too large to parse, or one
 * whose bytes were dropped, must not blind the rest of the connection, and the next message
 * must be read from its real start (sip_stream.h). Bytes are fed the way TCP reassembly does:
 * in segments, unconsumed bytes offered again with the next. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "decoders/sip_stream.h"

#define MAXMSG 256

static char methods[MAXMSG][32];
static unsigned nmsg;
static struct ct_counters ctr;
static struct ct_sip_msg scratch;

static void on_msg(void *u, const struct ct_sip_msg *m, const struct ct_sip_meta *meta)
{
	(void)u;
	(void)meta;
	assert_true(nmsg < MAXMSG);
	size_t n = m->method_name.len < 31 ? m->method_name.len : 31;
	if (!m->request)
		snprintf(methods[nmsg], sizeof(methods[nmsg]), "%u", m->status);
	else {
		memcpy(methods[nmsg], m->method_name.p, n);
		methods[nmsg][n] = '\0';
	}
	nmsg++;
}

/* A growable byte string. */
struct buf {
	uint8_t *p;
	size_t len, cap;
};

static void put(struct buf *b, const void *d, size_t n)
{
	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2;
		b->p = realloc(b->p, b->cap);
		assert_non_null(b->p);
	}
	memcpy(b->p + b->len, d, n);
	b->len += n;
}

static void puts_(struct buf *b, const char *s)
{
	put(b, s, strlen(s));
}

static void invite(struct buf *b, int n, size_t pad_header)
{
	char h[512];
	snprintf(h, sizeof(h),
		 "INVITE sip:2001@pbx SIP/2.0\r\nVia: SIP/2.0/TCP 10.0.0.1;branch=z9hG4bK%d\r\nFrom: <sip:1@a>;tag=%d\r\n"
		 "To: <sip:2001@pbx>\r\nCall-ID: call-%d@a\r\nCSeq: 1 INVITE\r\n", n, n, n);
	puts_(b, h);
	if (pad_header) {
		puts_(b, "X-Pad: ");
		for (size_t i = 0; i < pad_header; i++)
			put(b, "P", 1);
		puts_(b, "\r\n");
	}
	puts_(b, "Content-Length: 0\r\n\r\n");
}

/* A message whose body is `body` bytes of 'B' and ends without a line break. */
static void big_body(struct buf *b, size_t body)
{
	char h[256];
	snprintf(h, sizeof(h),
		 "MESSAGE sip:2001@pbx SIP/2.0\r\nVia: SIP/2.0/TCP 10.0.0.1;branch=z9hG4bKm\r\nFrom: <sip:1@a>;tag=m\r\n"
		 "To: <sip:2001@pbx>\r\nCall-ID: big@a\r\nCSeq: 1 MESSAGE\r\nContent-Length: %zu\r\n\r\n", body);
	puts_(b, h);
	for (size_t i = 0; i < body; i++)
		put(b, "B", 1);
}

struct feeder {
	struct ct_sip_stream *s;
	uint8_t *pend;
	size_t plen;
};

static void feeder_init(struct feeder *fd)
{
	memset(fd, 0, sizeof(*fd));
	memset(&ctr, 0, sizeof(ctr));
	nmsg = 0;
	struct ct_flow f;
	memset(&f, 0, sizeof(f));
	fd->s = ct_sip_stream_new(&f, on_msg, NULL, &ctr, &scratch);
	assert_non_null(fd->s);
}

/* Offers data the way tcp.c does; `lose` drops what is buffered and tells the parser. */
static void feed(struct feeder *fd, const uint8_t *d, size_t n)
{
	fd->pend = realloc(fd->pend, fd->plen + n + 1);
	assert_non_null(fd->pend);
	memcpy(fd->pend + fd->plen, d, n);
	fd->plen += n;
	size_t off = 0;
	while (off < fd->plen) {
		size_t used = 0;
		int rc = ct_sip_stream_parser.parse(fd->s, 0, fd->pend + off, fd->plen - off, 1, &used);
		assert_int_not_equal(rc, CT_EINVAL);
		assert_true(used <= fd->plen - off);
		off += used;
		if (rc == CT_MORE || used == 0)
			break;
	}
	/* a stream parser never makes reassembly hold more than a message's headers */
	assert_true(fd->plen - off <= CT_SIP_MAX_HEADER_BYTES + 2048);
	memmove(fd->pend, fd->pend + off, fd->plen - off);
	fd->plen -= off;
}

static void feed_segments(struct feeder *fd, const struct buf *b, size_t mss)
{
	for (size_t off = 0; off < b->len; off += mss)
		feed(fd, b->p + off, b->len - off < mss ? b->len - off : mss);
}

static void lose(struct feeder *fd)
{
	fd->plen = 0;
	ct_sip_stream_parser.gap(fd->s, 0, 0);
}

static void feeder_free(struct feeder *fd)
{
	ct_sip_stream_parser.close(fd->s);
	free(fd->pend);
}

/* 106 INVITEs; the 6th has 70 KiB of headers: the 105 others are all read. */
static void test_header_over_64k(void **state)
{
	(void)state;
	struct buf b = { 0 };
	size_t big_at = 0, big_len = 0;
	for (int i = 0; i < 106; i++) {
		if (i == 5)
			big_at = b.len;
		invite(&b, i, i == 5 ? 70 * 1024 : 0);
		if (i == 5)
			big_len = b.len - big_at;
	}
	struct feeder fd;
	feeder_init(&fd);
	feed_segments(&fd, &b, 1448);
	assert_int_equal(nmsg, 105);
	for (unsigned i = 0; i < nmsg; i++)
		assert_string_equal(methods[i], "INVITE");
	assert_int_equal(ctr.sip_oversized, 1);
	assert_int_equal(ctr.sip_skipped_bytes, big_len);
	feeder_free(&fd);
	free(b.p);
}

/* A body past the stream cap, ending without a line break right before the next INVITE: the
 * body is skipped by its Content-Length, never buffered, and the INVITE is an INVITE. */
static void test_body_over_cap(void **state)
{
	(void)state;
	struct buf b = { 0 };
	invite(&b, 1, 0);
	size_t at = b.len;
	big_body(&b, SIP_STREAM_MAX_MESSAGE + 1000);
	size_t big_len = b.len - at;
	invite(&b, 2, 0);
	struct feeder fd;
	feeder_init(&fd);
	feed_segments(&fd, &b, 1448);
	assert_int_equal(nmsg, 2);
	assert_string_equal(methods[1], "INVITE");
	assert_int_equal(ctr.sip_oversized, 1);
	assert_int_equal(ctr.sip_skipped_bytes, big_len);
	feeder_free(&fd);
	free(b.p);
}

/* Bytes of a message lost (a hole, or dropped by a reassembly cap): the next message starts
 * at its method even though the lost message's tail runs into it ("BBB...BINVITE"). */
static void test_resync_glued_method(void **state)
{
	(void)state;
	struct buf head = { 0 }, tail = { 0 };
	invite(&head, 1, 0);
	big_body(&head, 3000);
	for (int i = 0; i < 500; i++)
		put(&tail, "B", 1);
	invite(&tail, 2, 0);
	puts_(&tail, "BBBBSIP/2.0 200 OK\r\nVia: SIP/2.0/TCP 10.0.0.1;branch=z9hG4bK2\r\nFrom: <sip:1@a>;tag=2\r\n"
		     "To: <sip:2001@pbx>;tag=x\r\nCall-ID: call-2@a\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n");
	invite(&tail, 3, 0);
	struct feeder fd;
	feeder_init(&fd);
	feed(&fd, head.p, head.len - 2000); /* the MESSAGE is cut: 2000 bytes of its body lost */
	lose(&fd);
	feed(&fd, tail.p, 300);
	feed(&fd, tail.p + 300, tail.len - 300);
	assert_int_equal(nmsg, 4);
	assert_string_equal(methods[0], "INVITE");
	assert_string_equal(methods[1], "INVITE");
	assert_string_equal(methods[2], "200");
	assert_string_equal(methods[3], "INVITE");
	assert_int_equal(ctr.sip_skipped_bytes, 500 + 4);
	feeder_free(&fd);
	free(head.p);
	free(tail.p);
}

/* A known method that ends in another one is not glued: PRACK stays PRACK. */
static void test_prack_is_not_ack(void **state)
{
	(void)state;
	struct buf b = { 0 };
	invite(&b, 1, 0);
	puts_(&b, "garbage\r\nPRACK sip:2001@pbx SIP/2.0\r\nVia: SIP/2.0/TCP 10.0.0.1;branch=z9hG4bKp\r\n"
		  "From: <sip:1@a>;tag=1\r\nTo: <sip:2001@pbx>;tag=x\r\nCall-ID: call-1@a\r\nCSeq: 2 PRACK\r\n"
		  "Content-Length: 0\r\n\r\n");
	struct feeder fd;
	feeder_init(&fd);
	feed(&fd, b.p, 40);
	lose(&fd);
	/* resync from the garbage line */
	const char *g = strstr((const char *)b.p, "garbage");
	feed(&fd, (const uint8_t *)g, b.len - (size_t)((const uint8_t *)g - b.p));
	assert_int_equal(nmsg, 1);
	assert_string_equal(methods[0], "PRACK");
	feeder_free(&fd);
	free(b.p);
}

/* A header block that never ends is walked, not buffered, and given up after 1 MiB; the
 * stream then resyncs on the next start line. */
static void test_endless_headers(void **state)
{
	(void)state;
	struct buf b = { 0 };
	invite(&b, 1, 0);
	puts_(&b, "INVITE sip:x@pbx SIP/2.0\r\n");
	for (int i = 0; i < 20000; i++)
		puts_(&b, "X-Endless: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n");
	invite(&b, 2, 0);
	struct feeder fd;
	feeder_init(&fd);
	feed_segments(&fd, &b, 1448);
	assert_int_equal(nmsg, 2);
	assert_string_equal(methods[1], "INVITE");
	assert_true(ctr.sip_bad >= 1);
	feeder_free(&fd);
	free(b.p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header_over_64k),	    cmocka_unit_test(test_body_over_cap),
		cmocka_unit_test(test_resync_glued_method), cmocka_unit_test(test_prack_is_not_ack),
		cmocka_unit_test(test_endless_headers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
