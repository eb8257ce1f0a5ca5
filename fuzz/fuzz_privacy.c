/* fuzz_privacy.c - libFuzzer target for the privacy scanner (records/privacy.c): hostile text
 * through ct_privacy_text() and ct_privacy_party() in mask and pseudonymise modes. The first
 * byte chooses the mode (bit 0), whether the text counts as cut (bit 1), privacy.mask_keep
 * (bits 2-5) and the output's cap (the rest, small caps included); the other bytes are the
 * text. Checks what privacy.h promises: the output fits its cap and ends in a NUL at the
 * returned length, a full output sets short_out, the same input gives the same output, and a
 * party is either shown as it came or as a mask or pseudonym (`p:` and 16 base32 letters). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "records/privacy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct ct_privacy priv;
static struct ct_numbers nums;

static void setup(void)
{
	char err[128];
	ct_privacy_init(&priv);
	ct_numbers_init(&nums);
	(void)ct_numbers_set_country_code(&nums, "49", err, sizeof(err));
	(void)ct_devset_parse(&priv.clear, "2000-2099,A*", err, sizeof(err));
	for (size_t i = 0; i < sizeof(priv.key); i++)
		priv.key[i] = (uint8_t)(i + 1);
	priv.have_key = sodium_init() >= 0; /* what ct_privacy_load_key() does with a file */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	static bool ready;
	if (!ready) {
		setup();
		ready = true;
	}
	uint8_t ctl = data[0];
	priv.numbers = ctl & 1 ? CT_PRIVACY_PSEUDONYMISE : CT_PRIVACY_MASK;
	priv.mask_keep = (ctl >> 2) & 15;
	if (priv.mask_keep > CT_PRIVACY_MASK_KEEP_MAX)
		priv.mask_keep = CT_PRIVACY_MASK_KEEP_MAX;
	bool cut = ctl & 2;
	size_t cap = 1 + (size_t)(ctl >> 6) * 40;
	if (ctl >> 6 == 3)
		cap = 8 * size + 64;
	const uint8_t *s = data + 1;
	size_t len = size - 1;
	/* exact-size copies so over-reads trip ASan */
	uint8_t *in = malloc(len ? len : 1);
	char *out = malloc(cap), *again = malloc(cap);
	if (!in || !out || !again)
		goto out;
	memcpy(in, s, len);
	bool short1, short2;
	size_t n = ct_privacy_text(&priv, &nums, in, len, cut, out, cap, &short1);
	size_t m = ct_privacy_text(&priv, &nums, in, len, cut, again, cap, &short2);
	if (n >= cap || out[n] != '\0' || n != m || short1 != short2 || memcmp(out, again, n) != 0)
		__builtin_trap();
	if (ctl >> 6 == 3 && short1)
		__builtin_trap(); /* 8 times the text always holds it (a party is >= 4 bytes of text) */
	char party[CT_NUMBER_SCAN_MAX + CT_NUMBER_NORM_MAX + 8];
	size_t plen = len > CT_NUMBER_SCAN_MAX ? CT_NUMBER_SCAN_MAX : len;
	size_t p = ct_privacy_party(&priv, &nums, in, plen, party, sizeof(party));
	if (p >= sizeof(party) || party[p] != '\0')
		__builtin_trap();
	bool as_is = p == plen && memcmp(party, in, p) == 0;
	if (priv.numbers == CT_PRIVACY_PSEUDONYMISE && !as_is) {
		if (p != CT_PSEUDONYM_LEN || party[0] != 'p' || party[1] != ':')
			__builtin_trap();
		for (size_t i = 2; i < p; i++)
			if (!((party[i] >= 'a' && party[i] <= 'z') || (party[i] >= '2' && party[i] <= '7')))
				__builtin_trap();
	}
out:
	free(in);
	free(out);
	free(again);
	return 0;
}
