/* hash.c - SipHash-2-4 through libsodium. */
#include "hash.h"

#include <sodium.h>
#include <string.h>

#include "ct.h"

int ct_hashkey_random(struct ct_hashkey *key)
{
	if (sodium_init() < 0)
		return CT_EIO;
	crypto_shorthash_keygen(key->k);
	return CT_OK;
}

void ct_hashkey_fixed(struct ct_hashkey *key, uint64_t seed)
{
	memset(key->k, 0, sizeof(key->k));
	memcpy(key->k, &seed, sizeof(seed));
}

uint64_t ct_hash(const struct ct_hashkey *key, const void *data, size_t len)
{
	uint64_t out;
	crypto_shorthash((unsigned char *)&out, data, len, key->k);
	return out;
}
