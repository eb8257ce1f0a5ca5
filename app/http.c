/* http.c - the HTTP endpoint on libmicrohttpd, driven by the main loop (see http.h). */
#include "http.h"

#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>
#include <sodium.h>

#include "../util/log.h"

#define HTTP_FILE_MAX (1u << 20) /* a certificate chain, a key, a password */
#define HTTP_QUERY_MAX 8192      /* a query rebuilt longer than this is answered 414 */
#define HTTP_FORM_MAX 1024       /* a POST's form body: a device and a call id, and room to spare */

/* A POST's body, gathered over libmicrohttpd's calls (per connection, freed when it completes). */
struct http_post {
	size_t len;
	bool too_big;
	char body[HTTP_FORM_MAX + 1];
	char pairs[HTTP_FORM_MAX + 2]; /* decoded: key NUL value NUL ... */
	unsigned npairs;
};

struct ct_http {
	struct MHD_Daemon *d;
	const struct ct_http_route *routes;
	size_t nroutes;
	void *user;
	char listen[128];
	char *cert, *key;     /* PEM text, kept while the daemon runs; the key wiped at stop */
	char auth_user[64];
	uint8_t pass_hash[crypto_generichash_BYTES]; /* only a hash of the password is kept */
	bool auth;
	uint64_t answered[CT_HTTP_NCODES];
	struct ct_http_resp resp; /* reused for every answer */
	struct ct_buf query;      /* reused: the query string rebuilt */
};

/* The whole file, NUL-terminated, in *out (caller frees). CT_OK or an ct_esys() code. */
static int read_file(const char *path, char **out, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return ct_esys(errno);
	char *b = malloc(HTTP_FILE_MAX + 1);
	if (!b) {
		fclose(f);
		return CT_ENOMEM;
	}
	size_t n = fread(b, 1, HTTP_FILE_MAX, f);
	int rc = ferror(f) ? ct_esys(errno) : n == HTTP_FILE_MAX ? CT_ELIMIT : CT_OK;
	fclose(f);
	if (rc) {
		sodium_memzero(b, HTTP_FILE_MAX);
		free(b);
		return rc;
	}
	b[n] = '\0';
	*out = b;
	if (len)
		*len = n;
	return CT_OK;
}

static void count(struct ct_http *h, unsigned status)
{
	int i = status / 100 == 2 ? CT_HTTP_2XX : status == 401 ? CT_HTTP_401 : status == 404 ? CT_HTTP_404
		: status == 405 ? CT_HTTP_405 : status / 100 == 5 ? CT_HTTP_5XX : CT_HTTP_OTHER;
	h->answered[i]++;
}

/* Sends r (consumed) with the headers every answer carries. */
static enum MHD_Result queue(struct ct_http *h, struct MHD_Connection *c, unsigned status, struct MHD_Response *r,
			     const char *type, bool auth_fail, const struct ct_http_resp *extra)
{
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	if (extra && extra->csp)
		MHD_add_response_header(r, "Content-Security-Policy", extra->csp);
	if (extra && extra->location)
		MHD_add_response_header(r, MHD_HTTP_HEADER_LOCATION, extra->location);
	enum MHD_Result ok = auth_fail ? MHD_queue_basic_auth_fail_response(c, "ctitap", r)
				       : MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	count(h, status);
	return ok;
}

static enum MHD_Result answer(struct ct_http *h, struct MHD_Connection *c, unsigned status, const char *type,
			      const char *body, size_t len, bool auth_fail, const struct ct_http_resp *extra)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)(uintptr_t)body, MHD_RESPMEM_MUST_COPY);
	return r ? queue(h, c, status, r, type, auth_fail, extra) : MHD_NO;
}

static bool authorised(struct ct_http *h, struct MHD_Connection *c)
{
	if (!h->auth)
		return true;
	char *pass = NULL;
	char *user = MHD_basic_auth_get_username_password(c, &pass);
	bool ok = false;
	if (user && pass) {
		/* both compared whatever the first gives, in time independent of where they differ */
		uint8_t hu[crypto_generichash_BYTES], wu[crypto_generichash_BYTES], hp[crypto_generichash_BYTES];
		crypto_generichash(hu, sizeof(hu), (const uint8_t *)user, strlen(user), NULL, 0);
		crypto_generichash(wu, sizeof(wu), (const uint8_t *)h->auth_user, strlen(h->auth_user), NULL, 0);
		crypto_generichash(hp, sizeof(hp), (const uint8_t *)pass, strlen(pass), NULL, 0);
		int bad_user = sodium_memcmp(hu, wu, sizeof(hu)), bad_pass = sodium_memcmp(hp, h->pass_hash, sizeof(hp));
		ok = (bad_user | bad_pass) == 0; /* both compared: no early exit on the user */
	}
	if (pass) {
		sodium_memzero(pass, strlen(pass));
		MHD_free(pass);
	}
	if (user)
		MHD_free(user);
	return ok;
}

/* One argument of the query, percent-encoded again (libmicrohttpd hands them decoded). */
static enum MHD_Result query_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	(void)kind;
	struct ct_buf *b = cls;
	if (b->len)
		ct_buf_puts(b, "&");
	ct_buf_url(b, key);
	if (value) {
		ct_buf_puts(b, "=");
		ct_buf_url(b, value);
	}
	return MHD_YES;
}

/* The form body (application/x-www-form-urlencoded: '&'-separated key=value, '+' a space,
 * %XX) into key NUL value NUL pairs; the decoded text is never longer than the body. */
static void form_decode(struct http_post *b)
{
	char *out = b->pairs;
	b->body[b->len] = '\0';
	for (char *s = b->body; *s;) {
		size_t n = strcspn(s, "&");
		char *next = s + n + (s[n] == '&');
		s[n] = '\0';
		if (n) {
			char *eq = strchr(s, '=');
			const char *kv[2] = { s, eq ? eq + 1 : "" };
			if (eq)
				*eq = '\0';
			for (int i = 0; i < 2; i++) {
				size_t len = strlen(kv[i]);
				memcpy(out, kv[i], len + 1);
				for (size_t k = 0; k < len; k++)
					if (out[k] == '+')
						out[k] = ' ';
				out += MHD_http_unescape(out) + 1;
			}
			b->npairs++;
		}
		s = next;
	}
}

const char *ct_http_arg(const struct ct_http_req *req, const char *key)
{
	const char *v = req->conn ? MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, key) : NULL;
	const char *p = req->form;
	for (unsigned i = 0; !v && p && i < req->nform; i++) {
		const char *val = p + strlen(p) + 1;
		if (!strcmp(p, key))
			v = val;
		p = val + strlen(val) + 1;
	}
	return v;
}

static void post_done(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)c;
	(void)toe;
	free(*con_cls);
	*con_cls = NULL;
}

static const struct ct_http_route *route_of(const struct ct_http *h, const char *url)
{
	for (size_t i = 0; i < h->nroutes; i++) {
		const struct ct_http_route *r = &h->routes[i];
		if (r->prefix ? strncmp(r->path, url, strlen(r->path)) == 0 : strcmp(r->path, url) == 0)
			return r;
	}
	return NULL;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
				  const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
	(void)version;
	struct ct_http *h = cls;
	static const char text[] = "text/plain; charset=utf-8";
	const struct ct_http_route *route = route_of(h, url);
	struct http_post *post = *con_cls;
	if (route && route->post && !strcmp(method, "POST")) {
		if (!post) {
			/* the first call has the headers: refused now, or the body is read in the next */
			if (!authorised(h, c))
				return answer(h, c, 401, text, "authentication required\n", 24, true, NULL);
			if (!(post = calloc(1, sizeof(*post))))
				return MHD_NO;
			*con_cls = post;
			return MHD_YES;
		}
		if (*upload_size) {
			if (*upload_size > HTTP_FORM_MAX - post->len)
				post->too_big = true;
			else
				memcpy(post->body + post->len, upload, *upload_size);
			post->len += post->too_big ? 0 : *upload_size;
			*upload_size = 0;
			return MHD_YES;
		}
		if (post->too_big)
			return answer(h, c, 413, text, "request body too large\n", 24, false, NULL);
		const char *type = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
		if (post->len && (!type || strncasecmp(type, "application/x-www-form-urlencoded", 33) != 0))
			return answer(h, c, 415, text, "a form body (application/x-www-form-urlencoded) or a query\n", 60,
				      false, NULL);
		form_decode(post);
	} else {
		if (*upload_size) /* only a POST route takes a body */
			return answer(h, c, 405, text, "no request body expected\n", 25, false, NULL);
		if (!authorised(h, c))
			return answer(h, c, 401, text, "authentication required\n", 24, true, NULL);
		if (!route)
			return answer(h, c, 404, text, "not found\n", 10, false, NULL);
		if (route->post)
			return answer(h, c, 405, text, "only POST\n", 10, false, NULL);
		if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
			return answer(h, c, 405, text, "only GET and HEAD\n", 18, false, NULL);
	}
	ct_buf_reset(&h->query);
	MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, query_arg, &h->query);
	if (h->query.err == CT_ELIMIT)
		return answer(h, c, 414, text, "query too long\n", 15, false, NULL);
	if (h->query.err)
		return answer(h, c, 500, text, "out of memory\n", 14, false, NULL);
	struct ct_http_resp *resp = &h->resp;
	resp->status = 200;
	resp->content_type = text;
	resp->csp = resp->location = NULL;
	resp->fd = -1;
	resp->fd_size = 0;
	ct_buf_reset(&resp->body);
	struct ct_http_req req = { method, url, h->query.len ? h->query.p : "", h->auth, c, post ? post->pairs : NULL,
				   post ? post->npairs : 0 };
	route->fn(h->user, &req, resp);
	if (resp->fd >= 0) {
		/* libmicrohttpd reads the file as the client takes it, and closes it */
		struct MHD_Response *r = resp->body.err ? NULL : MHD_create_response_from_fd64(resp->fd_size, resp->fd);
		if (r)
			return queue(h, c, resp->status, r, resp->content_type, false, resp);
		close(resp->fd);
		resp->fd = -1;
		return answer(h, c, 500, text, "out of memory\n", 14, false, NULL);
	}
	if (resp->body.err)
		return answer(h, c, 500, text, "out of memory\n", 14, false, NULL);
	return answer(h, c, resp->status, resp->content_type, resp->body.len ? resp->body.p : "", resp->body.len, false, resp);
}

/* libmicrohttpd's own messages; fmt is its format string (not ours to check) */
__attribute__((format(printf, 2, 0))) static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	char line[512];
	vsnprintf(line, sizeof(line), fmt, ap);
	size_t n = strlen(line);
	while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	ct_info("http: %s", line); /* client mistakes (resets, bad requests) are no warning of ours */
}

/* "ADDRESS:PORT" or "[IPv6]:PORT" into an address (getaddrinfo: a name is resolved once). */
static int parse_listen(const char *listen, struct sockaddr_storage *ss, socklen_t *sslen, char *err, size_t errlen)
{
	char host[128];
	const char *port;
	if (listen[0] == '[') {
		const char *close = strchr(listen, ']');
		if (!close || close[1] != ':' || (size_t)(close - listen - 1) >= sizeof(host))
			goto bad;
		memcpy(host, listen + 1, (size_t)(close - listen - 1));
		host[close - listen - 1] = '\0';
		port = close + 2;
	} else {
		const char *colon = strrchr(listen, ':');
		if (!colon || (size_t)(colon - listen) >= sizeof(host) || strchr(listen, ':') != colon)
			goto bad;
		memcpy(host, listen, (size_t)(colon - listen));
		host[colon - listen] = '\0';
		port = colon + 1;
	}
	if (!host[0] || !port[0])
		goto bad;
	struct addrinfo hints, *ai = NULL;
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV | AI_PASSIVE;
	int g = getaddrinfo(host, port, &hints, &ai);
	if (g != 0 || !ai) {
		snprintf(err, errlen, "setting http.listen: '%s': %s", listen, gai_strerror(g));
		return CT_EINVAL;
	}
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	*sslen = ai->ai_addrlen;
	freeaddrinfo(ai);
	return CT_OK;
bad:
	snprintf(err, errlen, "setting http.listen: '%s' is not ADDRESS:PORT or [IPv6]:PORT", listen);
	return CT_EINVAL;
}

void ct_http_stop(struct ct_http *h)
{
	if (!h)
		return;
	if (h->d)
		MHD_stop_daemon(h->d);
	if (h->key) {
		sodium_memzero(h->key, strlen(h->key));
		free(h->key);
	}
	free(h->cert);
	ct_buf_free(&h->resp.body);
	ct_buf_free(&h->query);
	sodium_memzero(h->pass_hash, sizeof(h->pass_hash));
	free(h);
}

static int load_auth(struct ct_http *h, const struct ct_http_cfg *cfg, char *err, size_t errlen)
{
	if (!cfg->user || !cfg->user[0]) {
		if (cfg->password_file && cfg->password_file[0]) {
			snprintf(err, errlen, "setting http.password_file needs http.user");
			return CT_EINVAL;
		}
		return CT_OK;
	}
	if (!cfg->password_file || !cfg->password_file[0]) {
		snprintf(err, errlen, "setting http.user needs http.password_file");
		return CT_EINVAL;
	}
	char *pw;
	int rc = read_file(cfg->password_file, &pw, NULL);
	if (rc) {
		snprintf(err, errlen, "http.password_file %s: %s", cfg->password_file, ct_strerror(rc));
		return rc;
	}
	size_t n = strcspn(pw, "\r\n");
	if (n == 0) {
		free(pw);
		snprintf(err, errlen, "http.password_file %s: the first line is empty", cfg->password_file);
		return CT_EINVAL;
	}
	crypto_generichash(h->pass_hash, sizeof(h->pass_hash), (const uint8_t *)pw, n, NULL, 0);
	sodium_memzero(pw, strlen(pw));
	free(pw);
	snprintf(h->auth_user, sizeof(h->auth_user), "%s", cfg->user);
	h->auth = true;
	return CT_OK;
}

int ct_http_start(struct ct_http **out, const struct ct_http_cfg *cfg, const struct ct_http_route *routes,
		  size_t nroutes, void *user, char *err, size_t errlen)
{
	struct ct_http *h = calloc(1, sizeof(*h));
	if (!h)
		return CT_ENOMEM;
	h->routes = routes;
	h->nroutes = nroutes;
	h->user = user;
	ct_buf_init(&h->resp.body);
	ct_buf_init(&h->query);
	h->query.max = HTTP_QUERY_MAX;
	snprintf(h->listen, sizeof(h->listen), "%s", cfg->listen);
	struct sockaddr_storage ss;
	socklen_t sslen = 0;
	int rc = parse_listen(cfg->listen, &ss, &sslen, err, errlen);
	if (rc == CT_OK)
		rc = load_auth(h, cfg, err, errlen);
	bool tls = cfg->tls_cert_file && cfg->tls_cert_file[0];
	if (rc == CT_OK && tls != (cfg->tls_key_file && cfg->tls_key_file[0])) {
		snprintf(err, errlen, "settings http.tls_cert and http.tls_key go together");
		rc = CT_EINVAL;
	}
	if (rc == CT_OK && tls && MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
		snprintf(err, errlen, "http.tls_cert: this libmicrohttpd was built without TLS");
		rc = CT_ENOTSUP;
	}
	if (rc == CT_OK && tls) {
		const char *bad = cfg->tls_cert_file;
		rc = read_file(cfg->tls_cert_file, &h->cert, NULL);
		if (rc == CT_OK) {
			bad = cfg->tls_key_file;
			rc = read_file(cfg->tls_key_file, &h->key, NULL);
		}
		if (rc)
			snprintf(err, errlen, "cannot read %s: %s", bad, ct_strerror(rc));
	}
	if (rc) {
		ct_http_stop(h);
		return rc;
	}
	unsigned flags = MHD_USE_ERROR_LOG | (ss.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0) | (tls ? MHD_USE_TLS : 0);
	struct MHD_OptionItem opts[] = {
		{ MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)mhd_log, NULL },
		{ MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)post_done, NULL },
		{ MHD_OPTION_SOCK_ADDR, 0, &ss },
		/* a scraper or two and a health check: a few connections, quickly timed out */
		{ MHD_OPTION_CONNECTION_LIMIT, 16, NULL },
		{ MHD_OPTION_PER_IP_CONNECTION_LIMIT, 8, NULL },
		{ MHD_OPTION_CONNECTION_TIMEOUT, 10, NULL },
		{ tls ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, 0, h->cert },
		{ tls ? MHD_OPTION_HTTPS_MEM_KEY : MHD_OPTION_END, 0, h->key },
		{ MHD_OPTION_END, 0, NULL },
	};
	errno = 0;
	h->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, h, MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
	if (!h->d) {
		int e = errno ? errno : EADDRINUSE;
		snprintf(err, errlen, "cannot listen on %s (http.listen): %s", cfg->listen,
			 tls ? "bad TLS certificate or key, or the address is unavailable" : strerror(e));
		ct_http_stop(h);
		return ct_esys(e);
	}
	if (h->auth && !tls)
		ct_warn("http: basic authentication without TLS sends the password in clear (set http.tls_cert)");
	*out = h;
	return CT_OK;
}

void ct_http_poll(struct ct_http *h)
{
	if (h && h->d)
		MHD_run(h->d);
}

const uint64_t *ct_http_answered(const struct ct_http *h)
{
	return h->answered;
}

const char *ct_http_listen(const struct ct_http *h)
{
	return h->listen;
}
