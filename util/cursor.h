/* cursor.h - bounds-checked reader over packet bytes with a sticky error.
 *
 * Every read of packet data goes through a cursor (the Knot DNS wire_ctx idea): a
 * read past the end returns 0 and sets `err`, and every later read returns 0 too, so a
 * decoder reads a whole header and checks `err` once. No other code does pointer
 * arithmetic on packet bytes.
 *
 * Memory: a cursor borrows the bytes it reads: whoever made it keeps them alive while it and
 * the slices read through it are used. A cursor is a small value, copied freely (a sub-cursor
 * for a header's payload is a copy with a tighter limit).
 */
#ifndef CT_CURSOR_H
#define CT_CURSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct ct_cur {
	const uint8_t *p;
	size_t len;
	size_t pos;
	int err; /* 0, or CT_ETRUNC once a read overran */
};

static inline struct ct_cur ct_cur_make(const uint8_t *p, size_t len)
{
	struct ct_cur c = { p, len, 0, 0 };
	return c;
}

static inline size_t ct_cur_avail(const struct ct_cur *c)
{
	return c->err ? 0 : c->len - c->pos;
}

static inline bool ct_cur_need(struct ct_cur *c, size_t n)
{
	if (c->err || c->len - c->pos < n) {
		c->err = -3; /* CT_ETRUNC */
		return false;
	}
	return true;
}

/* Returns a pointer to the next n bytes and advances, or NULL (sticky error). */
static inline const uint8_t *ct_cur_take(struct ct_cur *c, size_t n)
{
	if (!ct_cur_need(c, n))
		return NULL;
	const uint8_t *r = c->p + c->pos;
	c->pos += n;
	return r;
}

/* Pointer to the current position without advancing (NULL after an error). */
static inline const uint8_t *ct_cur_here(const struct ct_cur *c)
{
	return c->err ? NULL : c->p + c->pos;
}

static inline void ct_cur_skip(struct ct_cur *c, size_t n)
{
	(void)ct_cur_take(c, n);
}

static inline uint8_t ct_cur_u8(struct ct_cur *c)
{
	const uint8_t *b = ct_cur_take(c, 1);
	return b ? b[0] : 0;
}

static inline uint16_t ct_cur_be16(struct ct_cur *c)
{
	const uint8_t *b = ct_cur_take(c, 2);
	return b ? (uint16_t)((b[0] << 8) | b[1]) : 0;
}

static inline uint32_t ct_cur_be24(struct ct_cur *c)
{
	const uint8_t *b = ct_cur_take(c, 3);
	return b ? ((uint32_t)b[0] << 16) | ((uint32_t)b[1] << 8) | b[2] : 0;
}

static inline uint32_t ct_cur_be32(struct ct_cur *c)
{
	const uint8_t *b = ct_cur_take(c, 4);
	return b ? ((uint32_t)b[0] << 24) | ((uint32_t)b[1] << 16) | ((uint32_t)b[2] << 8) | b[3] : 0;
}

static inline uint32_t ct_cur_le32(struct ct_cur *c)
{
	const uint8_t *b = ct_cur_take(c, 4);
	return b ? ((uint32_t)b[3] << 24) | ((uint32_t)b[2] << 16) | ((uint32_t)b[1] << 8) | b[0] : 0;
}

/* Peek at byte `off` past the current position without advancing; 0 if out of range
 * (does not set the error: a peek is a question, not a read). */
static inline uint8_t ct_cur_peek(const struct ct_cur *c, size_t off)
{
	if (c->err || c->len - c->pos <= off)
		return 0;
	return c->p[c->pos + off];
}

/* Big-endian 16 bits at `off` past the current position without advancing; 0 if out of range
 * (a peek, like ct_cur_peek). */
static inline uint16_t ct_cur_peek_be16(const struct ct_cur *c, size_t off)
{
	if (c->err || c->len - c->pos < 2 || c->len - c->pos - 2 < off)
		return 0;
	return (uint16_t)((c->p[c->pos + off] << 8) | c->p[c->pos + off + 1]);
}

/* Ends the cursor n bytes past the current position: what follows (link-layer padding, bytes
 * past a length field) is no longer readable. False, with the sticky error, if fewer than n
 * bytes are there. */
static inline bool ct_cur_limit(struct ct_cur *c, size_t n)
{
	if (!ct_cur_need(c, n))
		return false;
	c->len = c->pos + n;
	return true;
}

/* The next n bytes as a cursor of their own, the parent advanced past them; an empty cursor
 * with the error set (and the parent's sticky error) if fewer are there. */
static inline struct ct_cur ct_cur_sub(struct ct_cur *c, size_t n)
{
	const uint8_t *b = ct_cur_take(c, n);
	struct ct_cur s = ct_cur_make(b ? b : (const uint8_t *)"", b ? n : 0);
	s.err = b ? 0 : c->err;
	return s;
}

/* Skips n bytes, or to the end if fewer are there, without an error (optional trailing
 * padding). */
static inline void ct_cur_skip_upto(struct ct_cur *c, size_t n)
{
	if (c->err)
		return;
	c->pos += n < c->len - c->pos ? n : c->len - c->pos;
}

/* Copies n bytes out (zero-filled on error). */
static inline void ct_cur_copy(struct ct_cur *c, void *dst, size_t n)
{
	const uint8_t *b = ct_cur_take(c, n);
	if (b)
		memcpy(dst, b, n);
	else
		memset(dst, 0, n);
}

/* Rest of the buffer as a new cursor; the parent is left at its end. */
static inline struct ct_cur ct_cur_rest(struct ct_cur *c)
{
	size_t n = ct_cur_avail(c);
	const uint8_t *b = ct_cur_take(c, n);
	return ct_cur_make(b ? b : (const uint8_t *)"", b ? n : 0);
}

#endif
