/* hash.h - keyed hashing for tables whose keys come off the wire.
 *
 * Flow keys, fragment ids and Call-IDs are chosen by whoever sends the packets, so the
 * tables hash them with SipHash-2-4 (libsodium's crypto_shorthash), or SipHash-1-3 where a key
 * is hashed per packet (the IPv4 flow table), under a per-process random key: a crafted flood
 * cannot predict bucket collisions. Nothing ctitap writes
 * depends on hash order, so the random key does not break replay determinism.
 *
 * Memory: keys and bytes are read during the call only; nothing is allocated.
 */
#ifndef CT_HASH_H
#define CT_HASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct ct_hashkey {
	uint8_t k[16];
};

/* Fills the key from the system's random source (libsodium). Returns CT_OK or CT_EIO. */
int ct_hashkey_random(struct ct_hashkey *key);
/* A fixed key, for tests and for ids that must be the same on every run. */
void ct_hashkey_fixed(struct ct_hashkey *key, uint64_t seed);
uint64_t ct_hash(const struct ct_hashkey *key, const void *data, size_t len);

/* SipHash (https://www.aumasson.jp/siphash/siphash.pdf) of at most 15 bytes, inline: a flow key
 * is hashed for every packet, and this way it takes no call, no byte-by-byte tail and
 * (ct_hash13_words) no store of the message. Two variants:
 * - SipHash-2-4, as ct_hash() computes it (ct_hash_short: tests/util/test_hash.c holds the
 *   shared rounds to libsodium's and the paper's vector with it);
 * - SipHash-1-3 (ct_hash13_words, ct_hash13_short), one compression round and three
 *   finalization rounds instead of two and four: the variant the hash tables of Rust and
 *   Python (3.11 on) use. It is still keyed, so bucket collisions cannot be predicted without
 *   the key; its margin as a MAC is smaller, which a hash table does not need. For the per-packet
 *   flow table only; an id that is written out or must match libsodium stays SipHash-2-4.
 * tests/util/test_hash.c checks both against reference vectors and 2-4 against ct_hash(). */
#define CT_SIPROUND(v0, v1, v2, v3)                                                                        \
	do {                                                                                               \
		v0 += v1; v1 = ct_rotl64(v1, 13); v1 ^= v0; v0 = ct_rotl64(v0, 32);                         \
		v2 += v3; v3 = ct_rotl64(v3, 16); v3 ^= v2;                                                 \
		v0 += v3; v3 = ct_rotl64(v3, 21); v3 ^= v0;                                                 \
		v2 += v1; v1 = ct_rotl64(v1, 17); v1 ^= v2; v2 = ct_rotl64(v2, 32);                         \
	} while (0)

static inline uint64_t ct_rotl64(uint64_t x, int b)
{
	return (x << b) | (x >> (64 - b));
}

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define CT_HASH_LE64(v) (v)
#else
#define CT_HASH_LE64(v) __builtin_bswap64(v)
#endif

/* n (at most 8) bytes as a little-endian number: one load when n is a constant */
static inline uint64_t ct_le64(const uint8_t *p, size_t n)
{
	uint64_t v = 0;
	memcpy(&v, p, n);
	return CT_HASH_LE64(v); /* the bytes past n are 0 */
}

/* SipHash-c-d's compression of an optional first block m0 (with_m0), then of the final block b
 * (the message's last bytes and its length in the top byte), and its finalization; c and d
 * are constants at every call, so the loops unroll. */
static inline uint64_t ct_siphash_blocks(const struct ct_hashkey *key, int c, int d, bool with_m0, uint64_t m0,
					 uint64_t b)
{
	uint64_t k0 = ct_le64(key->k, 8), k1 = ct_le64(key->k + 8, 8);
	uint64_t v0 = k0 ^ 0x736f6d6570736575ULL, v1 = k1 ^ 0x646f72616e646f6dULL;
	uint64_t v2 = k0 ^ 0x6c7967656e657261ULL, v3 = k1 ^ 0x7465646279746573ULL;
	if (with_m0) {
		v3 ^= m0;
		for (int i = 0; i < c; i++)
			CT_SIPROUND(v0, v1, v2, v3);
		v0 ^= m0;
	}
	v3 ^= b;
	for (int i = 0; i < c; i++)
		CT_SIPROUND(v0, v1, v2, v3);
	v0 ^= b;
	v2 ^= 0xff;
	for (int i = 0; i < d; i++)
		CT_SIPROUND(v0, v1, v2, v3);
	return v0 ^ v1 ^ v2 ^ v3;
}

/* SipHash-1-3 of a message of len bytes (8 to 15) given as numbers: m0 its first 8 bytes and
 * tail the rest (below 2^(8 * (len - 8))), both little-endian. A caller that has the message in
 * registers hashes it without storing it first (bytes stored and read back as a word wait for
 * the stores). */
static inline uint64_t ct_hash13_words(const struct ct_hashkey *key, uint64_t m0, uint64_t tail, size_t len)
{
	return ct_siphash_blocks(key, 1, 3, true, m0, ((uint64_t)(len & 0xff) << 56) | tail);
}

/* SipHash-c-d of the first 15 bytes at most of data */
static inline uint64_t ct_siphash_short(const struct ct_hashkey *key, int c, int d, const uint8_t *data, size_t len)
{
	size_t n = len < 16 ? len : 15;
	uint64_t b = (uint64_t)n << 56;
	if (n >= 8)
		return ct_siphash_blocks(key, c, d, true, ct_le64(data, 8), b | ct_le64(data + 8, n - 8));
	return ct_siphash_blocks(key, c, d, false, 0, b | ct_le64(data, n));
}

static inline uint64_t ct_hash_short(const struct ct_hashkey *key, const uint8_t *data, size_t len)
{
	return ct_siphash_short(key, 2, 4, data, len);
}

static inline uint64_t ct_hash13_short(const struct ct_hashkey *key, const uint8_t *data, size_t len)
{
	return ct_siphash_short(key, 1, 3, data, len);
}

#endif
