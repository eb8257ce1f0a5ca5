/* id.c - ids from keyed hashes (id.h). */
#include "id.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "hash.h"

void ct_id_bytes(char out[CT_ID_MAX], const char *kind, uint64_t seed, const void *data, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	struct ct_hashkey key;
	ct_hashkey_fixed(&key, seed);
	uint64_t h = ct_hash(&key, data, len);
	/* "<kind>-%016x" by hand: every record gets an id */
	size_t k = strlen(kind);
	if (k > CT_ID_MAX - 18)
		k = CT_ID_MAX - 18;
	memcpy(out, kind, k);
	out[k] = '-';
	for (int i = 15; i >= 0; i--, h >>= 4)
		out[k + 1 + (size_t)i] = hex[h & 15];
	out[k + 17] = '\0';
}

void ct_id(char out[CT_ID_MAX], const char *kind, uint64_t seed, const char *fmt, ...)
{
	char text[1024];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	ct_id_bytes(out, kind, seed, text, (size_t)n < sizeof(text) ? (size_t)n : sizeof(text) - 1);
}
