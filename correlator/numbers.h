/* numbers.h - telephone number normalisation, so that the same party written by SIP and by CSTA
 * compares equal (RFC 3966 tel URIs, RFC 3261 section 19.1 SIP URIs, ITU-T E.164).
 *
 * The same number reaches ctitap as `+4917012345678`, `sip:+4917012345678@carrier;user=phone`,
 * `tel:+49-170-1234-5678` (SIP) and as `017012345678`, `0017012345678`, `9017012345678` or a
 * private `5000` (CSTA). ct_number_norm() reduces each to one canonical form:
 *
 *  1. the user part is taken: text inside `<...>` if there is one (`"Bob" <sip:...>`, `N<5000>`),
 *     a `sip:` / `sips:` / `tel:` scheme dropped (any case), everything from the first `@`, `;`,
 *     `?` or `>` dropped (host, URI and tel parameters); a local number with a
 *     `;phone-context=+CC` (RFC 3966) becomes `+CC` and the number without its trunk prefix 0;
 *  2. visual separators `-` `.` `(` `)` (RFC 3966 visual-separator) and blanks are dropped; a
 *     leading `+` (or `%2B`) is kept; the rest must be digits, `*` or `#`, at most
 *     CT_NUMBER_MAX_DIGITS of them, or the text is not a number;
 *  3. the rules (setting numbers.rules) are tried in order; the first that matches rewrites the
 *     number, the others are not tried;
 *  4. then, unless the number starts with `+`: a number starting with the international prefix
 *     (numbers.international_prefix, default `00`) has it replaced by `+`; otherwise one starting
 *     with the national prefix (numbers.national_prefix, default `0`) has it replaced by
 *     `+<country code>` when numbers.country_code is set. An empty prefix turns its step off.
 *
 * The result is E.164 with `+` where the rules and prefixes allow, else the dialled digits
 * (extensions, feature codes).
 *
 * Rule syntax (numbers.rules): rules separated by `;`, each `PREFIX[LEN]=>REPLACEMENT`:
 *   PREFIX       an optional `+` then digits, possibly none. The rule matches a number that starts
 *                with PREFIX; a PREFIX without `+` (the empty one included) only matches numbers
 *                written without `+`.
 *   [LEN]        optional length condition: `[N]` or `[N-M]` (1 <= N <= M <= CT_NUMBER_MAX_DIGITS),
 *                the count of digits of the whole number before rewriting, `+` not counted.
 *   REPLACEMENT  an optional `+` then digits, possibly none: replaces PREFIX.
 * Blanks around the parts and empty rules (`;;`, a trailing `;`) are ignored. Examples:
 *   `9[12-14]=>`            strip the outside-line prefix 9 from 12..14-digit dial strings only
 *   `5000[4]=>+4930555000`  the private hotline number 5000 is +4930555000
 *   `[4]=>+49305550`        every 4-digit extension is a DID of +49305550xxxx
 *   `+49=>0`                (a rule may also produce national form; step 4 then applies to it)
 *
 * Everything here is pure: no allocation, no global state, bounded work on any input (at most
 * CT_NUMBER_SCAN_MAX bytes of a text are looked at; a longer text is not a number).
 */
#ifndef CT_NUMBERS_H
#define CT_NUMBERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../util/ct.h"

#define CT_NUMBERS_MAX_RULES 32
#define CT_NUMBER_MAX_DIGITS 32 /* digits (and * #) of a number, before and after rewriting */
#define CT_NUMBER_AFFIX_MAX 16  /* characters of a rule's PREFIX or REPLACEMENT, `+` included */
#define CT_NUMBER_SCAN_MAX 256  /* bytes of an input text looked at */
#define CT_NUMBER_NORM_MAX 48   /* an output buffer this size always holds the canonical form */
#define CT_NUMBER_CC_MAX 3      /* digits of a country code (ITU-T E.164: 1 to 3) */
#define CT_NUMBER_PREFIX_MAX 4  /* digits of a national or international prefix */

struct ct_number_rule {
	char prefix[CT_NUMBER_AFFIX_MAX + 1];
	char repl[CT_NUMBER_AFFIX_MAX + 1];
	uint8_t plen;
	uint8_t rlen;
	uint8_t min_len; /* digits of the whole number, `+` not counted; 0..CT_NUMBER_MAX_DIGITS */
	uint8_t max_len;
};

struct ct_numbers {
	struct ct_number_rule rule[CT_NUMBERS_MAX_RULES];
	unsigned nrules;
	char country_code[CT_NUMBER_CC_MAX + 1];    /* "" = unknown: national numbers stay as dialled */
	char national_prefix[CT_NUMBER_PREFIX_MAX + 1];      /* "" = off */
	char international_prefix[CT_NUMBER_PREFIX_MAX + 1]; /* "" = off */
};

/* No rules, no country code, national prefix "0", international prefix "00". */
void ct_numbers_init(struct ct_numbers *n);

/* Replaces n's rules by those of the text `rules` (syntax above; NULL or "" = no rules).
 * Returns CT_OK, or CT_EINVAL with n unchanged and err saying which rule is wrong and why
 * ("rule 2 '0[9-3]=>+49': ..."). */
int ct_numbers_parse(struct ct_numbers *n, const char *rules, char *err, size_t errlen);

/* Set numbers.country_code (1 to 3 digits, or "" for none), numbers.national_prefix and
 * numbers.international_prefix (0 to CT_NUMBER_PREFIX_MAX digits). Return CT_OK, or CT_EINVAL
 * with n unchanged and err saying what is expected. */
int ct_numbers_set_country_code(struct ct_numbers *n, const char *digits, char *err, size_t errlen);
int ct_numbers_set_national_prefix(struct ct_numbers *n, const char *digits, char *err, size_t errlen);
int ct_numbers_set_international_prefix(struct ct_numbers *n, const char *digits, char *err, size_t errlen);

/* Writes the canonical form of the number in `in` (a NUL-terminated text of any bytes; NULL
 * allowed) to out, NUL-terminated, and returns its length. Returns 0 with out "" (when cap > 0)
 * when `in` is not a number (empty, only separators, letters, a `+` not in front, too many
 * digits, longer than CT_NUMBER_SCAN_MAX bytes) or the result does not fit in cap bytes; a cap of
 * CT_NUMBER_NORM_MAX always fits. */
size_t ct_number_norm(const struct ct_numbers *n, const char *in, char *out, size_t cap);

/* Steps 1 and 2 only: the dialled form of `in` (`sip:+49-30 555@h` is `+4930555`), without rules
 * or prefixes; same returns and limits as ct_number_norm(). */
size_t ct_number_clean(const char *in, char *out, size_t cap);

/* True when a and b name the same party by their tails: both numbers (ct_number_clean), whose
 * significant digits (without `+` and leading zeros) end one with the other, the shorter with
 * at least min_digits of them. Extension 2001 is +4930344442001, and 017012345678 is
 * +4917012345678 (a national number without its trunk prefix is the tail of its E.164 form).
 * Only as evidence within a time window: a tail alone names many parties. */
bool ct_number_tail_same(const char *a, const char *b, size_t min_digits);

/* True when a and b are the same party: both numbers with the same canonical form, or both not
 * numbers and byte for byte equal (device ids such as "agent7"). Empty or NULL is never the same. */
bool ct_number_same(const struct ct_numbers *n, const char *a, const char *b);

#endif
