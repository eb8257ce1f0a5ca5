/* devset.h - sets of devices, for the recording policy (settings record.devices and
 * record.exclude).
 *
 * A set is written as entries separated by `,` (blanks around an entry and empty entries are
 * ignored):
 *   `*`           every device
 *   `2001-2099`   a range: two digit strings of equal length (both may start with `+`), the first
 *                 not above the second; holds the devices of that length between them, ends included
 *                 (2001 and 2099 in; 2000, 2100 and 20010 out)
 *   `+4930555*`   a prefix: every device whose text starts with `+4930555`
 *   `3000`, `agent7`, `N<5000>`   one device, exactly this text
 * An entry starting with a digit or `+` is a number: only digits may follow (then a `*` or a
 * `-` and the range's other end), so `+49-30*` is refused rather than never matching. Other
 * entries are device ids of any printable bytes but `,`, with `*` only at the end.
 * The empty set holds nothing: with record.devices empty nothing is recorded.
 *
 * Entries are compared with the device text, so numbers are written in their canonical form
 * (what ct_number_norm() gives with the site's numbers.* settings: E.164 with `+` for numbers
 * with a country code, plain digits for extensions). ct_devset_has_number() looks a device up in
 * its forms: as given, its dialled digits (`sip:2001@pbx` is `2001`) and its canonical form.
 *
 * Pure: no allocation, no global state; a lookup costs at most CT_DEVSET_MAX short compares.
 *
 * Memory: a set is a value the caller holds (settings keep theirs); ct_devset_parse() copies
 * every entry into it and keeps no pointer to the text.
 */
#ifndef CT_DEVSET_H
#define CT_DEVSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "numbers.h"

#define CT_DEVSET_MAX 64 /* entries of a set */
#define CT_DEVSET_LEN 64 /* bytes of an entry's text, NUL included (CT_CSTA_DEV) */

enum ct_devset_kind {
	CT_DEVSET_EXACT,
	CT_DEVSET_PREFIX,
	CT_DEVSET_RANGE,
};

struct ct_devset_entry {
	uint8_t kind; /* enum ct_devset_kind */
	uint8_t len;  /* of lo (and of hi for a range); of the prefix without its `*` */
	char lo[CT_DEVSET_LEN];
	char hi[CT_DEVSET_LEN]; /* ranges only */
};

struct ct_devset {
	struct ct_devset_entry e[CT_DEVSET_MAX];
	unsigned n;
	bool all; /* `*` was an entry */
};

/* The empty set. */
void ct_devset_init(struct ct_devset *s);

/* Replaces s by the set written in `spec` (syntax above; NULL or "" = empty set). Returns CT_OK,
 * or CT_EINVAL with s unchanged and err naming the entry and what is wrong with it. */
int ct_devset_parse(struct ct_devset *s, const char *spec, char *err, size_t errlen);

/* True when `device` (NUL-terminated, any bytes; NULL or "" is never in a set) is in s, compared
 * as it is. */
bool ct_devset_has(const struct ct_devset *s, const char *device);

/* True when `device` is in s as given, as its dialled digits (ct_number_clean) or in its
 * canonical form under n (ct_number_norm; n may be NULL to skip that form). */
bool ct_devset_has_number(const struct ct_devset *s, const struct ct_numbers *n, const char *device);

/* The recording decision for one device: in `record` and not in `exclude` (exclude may be NULL),
 * each looked up with ct_devset_has_number(). */
bool ct_devset_selects(const struct ct_devset *record, const struct ct_devset *exclude, const struct ct_numbers *n,
		       const char *device);

#endif
