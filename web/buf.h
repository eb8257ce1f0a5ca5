/* buf.h - a growable byte buffer for pages, and the escapes every text of a page goes through.
 *
 * Everything a page shows that came from a record is hostile: a SIP header, a device name or a
 * Call-ID can carry markup. ct_buf_html() is the only way such text reaches a page (HTML text,
 * attribute values and SVG alike: the pages quote every attribute with '"'), ct_buf_url() the
 * only way it reaches a URL's query. The error is sticky: after a failed allocation every
 * append is a no-op and the caller checks err once.
 */
#ifndef CT_WEB_BUF_H
#define CT_WEB_BUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include "../util/ct.h"

struct ct_buf {
	char *p;     /* owned; NUL-terminated whenever len > 0 */
	size_t len;
	size_t cap;
	size_t max;  /* 0: no cap; past it, appends fail with CT_ELIMIT */
	int err;     /* sticky: CT_ENOMEM or CT_ELIMIT */
};

void ct_buf_init(struct ct_buf *b);
/* Frees the storage; the buffer is empty and usable again. */
void ct_buf_free(struct ct_buf *b);
/* Empties the buffer (keeps the storage) and clears the error. */
void ct_buf_reset(struct ct_buf *b);

void ct_buf_put(struct ct_buf *b, const void *s, size_t n);
void ct_buf_puts(struct ct_buf *b, const char *s);  /* trusted text: markup written as is */
void ct_buf_printf(struct ct_buf *b, const char *fmt, ...) CT_PRINTF(2, 3);

/* Hostile text s[0..n) as HTML text or a double-quoted attribute value: & < > " ' escaped,
 * control characters (but tab and newline) and bytes that are not UTF-8 written as U+FFFD. */
void ct_buf_html(struct ct_buf *b, const char *s, size_t n);
static inline void ct_buf_htmls(struct ct_buf *b, const char *s)
{
	if (s)
		ct_buf_html(b, s, __builtin_strlen(s));
}
/* The same, cut after max code points with an ellipsis (labels in the diagram). */
void ct_buf_html_cut(struct ct_buf *b, const char *s, size_t max);
/* Hostile text as a URL query value (RFC 3986 unreserved kept, everything else %XX). The
 * result is plain ASCII without & < > " ': safe in an attribute too. */
void ct_buf_url(struct ct_buf *b, const char *s);
/* The same for a relative path: '/' kept. */
void ct_buf_url_path(struct ct_buf *b, const char *s);

/* Number of code points of valid UTF-8 text s (bytes that do not start a valid sequence count
 * as one each). */
size_t ct_utf8_len(const char *s);

#endif
