/* csta_common.c - helpers shared by the CSTA BER and XML decoders: bounded copies into the
 * fixed text fields of struct ct_csta_msg (decoders/csta.h). */
#include <stddef.h>
#include <stdint.h>

#include "csta.h"

/* Copies len bytes of src into dst (cap bytes, always NUL-terminated). Control characters
 * (below 0x20, 0x7f) become '?', so a field can be logged or written as text as it is; bytes
 * from 0x80 up pass (UTF-8 from XML). Sets m->truncated when src did not fit. */
void ct_csta_set(struct ct_csta_msg *m, char *dst, size_t cap, const char *src, size_t len)
{
	if (!dst || cap == 0)
		return;
	size_t n = len < cap - 1 ? len : cap - 1;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)src[i];
		dst[i] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	dst[n] = '\0';
	if (n < len && m)
		m->truncated = true;
}

/* Writes src as lower-case hex into dst (cap bytes, NUL-terminated); only whole bytes are
 * written, and m->truncated is set when some did not fit. */
void ct_csta_set_hex(struct ct_csta_msg *m, char *dst, size_t cap, const uint8_t *src, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	if (!dst || cap == 0)
		return;
	size_t fit = (cap - 1) / 2;
	size_t n = len < fit ? len : fit;
	for (size_t i = 0; i < n; i++) {
		dst[2 * i] = hex[src[i] >> 4];
		dst[2 * i + 1] = hex[src[i] & 0xf];
	}
	dst[2 * n] = '\0';
	if (n < len && m)
		m->truncated = true;
}
