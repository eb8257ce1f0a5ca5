/* privacy.h - what records show of telephone numbers, party identities and DTMF keys
 * (settings privacy.*, docs/privacy.md).
 *
 * Every record goes through the records layer's text writers (records.h); those that write a
 * party or free text ask this module what to show instead of the bytes from the wire:
 *
 *   clear         the value as it came (the default)
 *   mask          a number as its canonical form (numbers.h) with the digits hidden by `*` but a
 *                 leading `+`, the site's own country code and the last privacy.mask_keep digits
 *                 (never more than half of them): `+49*******5678`, `**01`; a name (sip:alice@)
 *                 the same way, character by character: `***ce`
 *   pseudonymise  `p:` and 16 base32 letters (RFC 4648, lower case: 80 bits) of BLAKE2b, keyed with
 *                 the site's 32-byte key (privacy.key_file), of the canonical form of the number
 *                 (numbers.* applied: 017012345678 and +4917012345678 are one party when
 *                 numbers.country_code is 49), or of the name. The same party gets the same
 *                 pseudonym in every field, every run and on every sensor sharing the key; without
 *                 the key it cannot be computed, nor reversed by trying every number.
 *
 * What a "party" is, what "free text" is and which fields are which is documented in
 * docs/privacy.md. Parties in privacy.devices_clear (a device set, devset.h) and values that
 * identify nobody (anonymous, unknown, restricted, ...) are always shown as they came.
 *
 * Everything here is pure and bounded: no allocation, no global state, work linear in the
 * input (a text of n bytes is looked at O(n) times at most), output never past its cap.
 */
#ifndef CT_PRIVACY_H
#define CT_PRIVACY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../correlator/devset.h"
#include "../correlator/numbers.h"

#define CT_PRIVACY_KEY_LEN 32 /* crypto_generichash_KEYBYTES */
#define CT_PSEUDONYM_LEN 18   /* "p:" and 16 base32 letters */
#define CT_PRIVACY_MASK_KEEP_MAX 8

enum ct_privacy_mode { CT_PRIVACY_CLEAR = 0, CT_PRIVACY_MASK, CT_PRIVACY_PSEUDONYMISE };

struct ct_privacy {
	enum ct_privacy_mode numbers; /* privacy.numbers */
	bool dtmf_clear;              /* privacy.dtmf = clear (default mask) */
	unsigned mask_keep;           /* privacy.mask_keep: 0 .. CT_PRIVACY_MASK_KEEP_MAX */
	struct ct_devset clear;       /* privacy.devices_clear */
	bool have_key;
	uint8_t key[CT_PRIVACY_KEY_LEN];
};

/* numbers clear, DTMF masked, 4 digits kept by masks, no device in clear, no key. */
void ct_privacy_init(struct ct_privacy *p);
/* Zeroes the key (sodium_memzero) and forgets it. */
void ct_privacy_wipe(struct ct_privacy *p);

/* privacy.numbers: "clear", "mask" or "pseudonymise" (also "pseudonymize"); privacy.dtmf: "mask"
 * or "clear". Return CT_OK, or CT_EINVAL with p unchanged and err saying what is expected. */
int ct_privacy_set_numbers(struct ct_privacy *p, const char *val, char *err, size_t errlen);
int ct_privacy_set_dtmf(struct ct_privacy *p, const char *val, char *err, size_t errlen);

/* Reads the site key from path: a regular file of exactly 32 bytes, or of 64 hex digits (a
 * trailing newline allowed; `openssl rand -hex 32`), that users other than its owner and group
 * can neither read nor write. Returns CT_OK with the key in p; CT_ENOENT (cannot be read: the
 * OS's reason in err), CT_EPERM (open to others) or CT_EINVAL (wrong form), err saying which
 * and how to make a good one. The bytes read are wiped from the stack. */
int ct_privacy_load_key(struct ct_privacy *p, const char *path, char *err, size_t errlen);

/* True when anything is hidden at all (numbers not clear). DTMF is asked with p->dtmf_clear. */
static inline bool ct_privacy_on(const struct ct_privacy *p)
{
	return p && p->numbers != CT_PRIVACY_CLEAR;
}

/* The text to show for a party field: a whole value naming one party (a number, a device id,
 * an agent id, a SIP or tel URI, `N<5000>`), s[0..len) of any bytes. Writes it to out (cap
 * bytes, at least CT_PSEUDONYM_LEN + 1, NUL-terminated) and returns its length: the value
 * itself when it stays clear (cut at cap - 1), else its mask or pseudonym. A number is hidden
 * as its canonical form under n (NULL: no rules, no country code). Pseudonymise without a key
 * masks (app refuses to start that way). */
size_t ct_privacy_party(const struct ct_privacy *p, const struct ct_numbers *n, const uint8_t *s, size_t len,
			char *out, size_t cap);

/* Free text s[0..len) (a SIP header value, a URI, an audit detail): each SIP/SIPS/tel URI's user
 * part and each standalone run of 4 or more digits (with a leading `+` or `%2B`, and `-`, `(`,
 * `)` between digits; not part of a word, an IP address, a port, a decimal or a time) is a
 * party and shown as ct_privacy_party() would; the rest is copied. `cut`: s was cut from a
 * longer text, so a run of digits that reaches its end is a number whatever its length.
 * Writes to out (cap bytes, NUL-terminated) and returns the length; when out cannot hold it
 * all, what fits is written (never half a party) and *short_out is set. */
size_t ct_privacy_text(const struct ct_privacy *p, const struct ct_numbers *n, const uint8_t *s, size_t len,
		       bool cut, char *out, size_t cap, bool *short_out);

#endif
