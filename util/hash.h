/* hash.h - keyed hashing for tables whose keys come off the wire.
 *
 * Flow keys, fragment ids and Call-IDs are chosen by whoever sends the packets, so the
 * tables hash them with SipHash-2-4 (libsodium's crypto_shorthash) under a per-process
 * random key: a crafted flood cannot predict bucket collisions. Nothing ctitap writes
 * depends on hash order, so the random key does not break replay determinism.
 *
 * Memory: keys and bytes are read during the call only; nothing is allocated.
 */
#ifndef CT_HASH_H
#define CT_HASH_H

#include <stddef.h>
#include <stdint.h>

struct ct_hashkey {
	uint8_t k[16];
};

/* Fills the key from the system's random source (libsodium). Returns CT_OK or CT_EIO. */
int ct_hashkey_random(struct ct_hashkey *key);
/* A fixed key, for tests and for ids that must be the same on every run. */
void ct_hashkey_fixed(struct ct_hashkey *key, uint64_t seed);
uint64_t ct_hash(const struct ct_hashkey *key, const void *data, size_t len);

#endif
