/* http.h - ctitap's HTTP endpoint (libmicrohttpd): a table of routes served from the main loop.
 *
 * Threading: libmicrohttpd runs without a thread of its own. ct_http_poll(), called by the main
 * loop about every 100 ms (with the outputs' poll), accepts, reads and answers whatever is ready
 * and never blocks; so a handler runs on the pipeline's thread, between two batches of packets,
 * and reads the pipeline's plain counters and tables directly: no lock, no copy, nothing that can
 * be torn. The cost is latency (up to 100 ms, a few round trips of a TLS handshake) and that a
 * pipeline stuck in a blocking read (stdin, a FIFO) answers nothing: a scrape that times out then
 * says what a health check should. A handler must be quick: the packets wait for it.
 *
 * Routes: exact paths, or a prefix ("/view/" and everything under it); GET or HEAD, or POST only
 * for a route that acts (its arguments in the query or an application/x-www-form-urlencoded body
 * of at most 1 KiB: larger is answered 413). Adding one is a line in the table given to
 * ct_http_start() (app/monitor.c holds ctitap's). With http.user set, every route asks for HTTP
 * basic authentication (the password compared in constant time).
 * Every answer says Cache-Control: no-store and X-Content-Type-Options: nosniff.
 */
#ifndef CT_HTTP_H
#define CT_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../util/ct.h"
#include "../web/buf.h"

/* What a handler writes: status (200 unless set), content type, body. */
struct ct_http_resp {
	unsigned status;
	const char *content_type; /* static text; "text/plain; charset=utf-8" unless set */
	const char *csp;          /* static text: sent as Content-Security-Policy when set */
	const char *location;     /* static text: sent as Location when set (a 301, 302, ...) */
	struct ct_buf body;       /* owned by the server, empty for each request; the handler
				     appends (ct_buf_*); an error in it (sticky) is answered 500 */
	int fd;                   /* -1, or a file to send instead of the body (fd_size bytes from
				     its start): handed to the server, which closes it */
	uint64_t fd_size;
};

struct ct_http_req {
	const char *method; /* "GET" or "HEAD" (the body of a HEAD answer is dropped by the server);
			       "POST" for a POST route */
	const char *path;   /* the path as requested (percent-decoded by libmicrohttpd), no query */
	const char *query;  /* the query string rebuilt from the arguments libmicrohttpd decoded:
			       key=value pairs percent-encoded again (RFC 3986 unreserved kept),
			       joined by '&', in the order sent; "" when none */
	bool authenticated; /* it passed basic authentication (false when http.user is not set) */
	/* the server's: what ct_http_arg() reads */
	void *conn;
	const char *form;   /* a POST's form body decoded: key NUL value NUL, nform pairs */
	unsigned nform;
};

/* The value of argument `key` of the request, decoded: from the query, else from a POST's form
 * body; NULL when absent. Borrowed: valid until the handler returns. */
const char *ct_http_arg(const struct ct_http_req *req, const char *key);

/* A route's handler; user is the pointer given to ct_http_start(). */
typedef void (*ct_http_handler)(void *user, const struct ct_http_req *req, struct ct_http_resp *resp);

struct ct_http_route {
	const char *path;
	ct_http_handler fn;
	bool prefix;        /* path is a prefix ("/view/"): every path that starts with it */
	bool post;          /* POST only (it acts): GET and HEAD are answered 405 */
};

struct ct_http_cfg {
	const char *listen;        /* "ADDRESS:PORT", "[IPv6]:PORT" */
	const char *tls_cert_file; /* PEM; both or neither */
	const char *tls_key_file;
	const char *user;          /* basic authentication; NULL or "" for none */
	const char *password_file; /* its first line is the password */
};

struct ct_http;

/* Reads the key files, binds and listens. Call before privileges are dropped (the files may be
 * root's). routes and user are borrowed until ct_http_stop(). Returns CT_OK; CT_EINVAL for a
 * bad setting (err names it); an ct_esys() code when a file cannot be read or the address
 * cannot be bound; CT_ENOTSUP when libmicrohttpd lacks TLS. */
int ct_http_start(struct ct_http **out, const struct ct_http_cfg *cfg, const struct ct_http_route *routes,
		  size_t nroutes, void *user, char *err, size_t errlen);
/* Serves whatever is ready; never blocks. */
void ct_http_poll(struct ct_http *h);
/* Requests answered, by status: 2xx, 401, 404, 405, 5xx, other (for /metrics). */
enum { CT_HTTP_2XX, CT_HTTP_401, CT_HTTP_404, CT_HTTP_405, CT_HTTP_5XX, CT_HTTP_OTHER, CT_HTTP_NCODES };
const uint64_t *ct_http_answered(const struct ct_http *h);
/* The address it listens on, as given. */
const char *ct_http_listen(const struct ct_http *h);
void ct_http_stop(struct ct_http *h);

#endif
