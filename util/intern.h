/* intern.h - interned text: one reference-counted copy of each distinct string, for tables
 * that keep the same few names many times over (the devices, numbers and links of the calls
 * in progress: a contact centre's thousand extensions fill tens of fields of every call).
 *
 * ct_intern_get() returns the table's copy of a text (made at its first use); every call
 * holds one reference, which ct_intern_put() gives back: the copy is freed with its last
 * reference. A holder keeps the pointer as `const char *` and compares it with strcmp() as
 * any string. The empty text is a static "" that holds no reference (putting it is a no-op),
 * so a field can start as "" without a table. Texts come off the wire: the buckets are hashed
 * under the caller's random key (util/hash.h). Single-threaded.
 */
#ifndef CT_INTERN_H
#define CT_INTERN_H

#include <stddef.h>

#include "hash.h"
#include "htab.h"

struct ct_intern {
	struct ct_htab tab;
	struct ct_hashkey key;
	size_t bytes;              /* of the copies, with their headers (monitoring, tests) */
};

/* The empty text: a field's value before any ct_intern_get(). */
extern const char ct_intern_empty[1];

/* Buckets for about `cap` distinct texts (the table grows past it, its chains get longer);
 * key is copied. Returns CT_OK or CT_ENOMEM. */
int ct_intern_init(struct ct_intern *it, const struct ct_hashkey *key, size_t cap);
/* Frees the buckets and every copy, referenced or not: the holders' pointers die with it. */
void ct_intern_free(struct ct_intern *it);
/* A reference to the copy of the first len bytes of s (s needs no NUL; len 0: ""). NULL when
 * a new copy could not be allocated. */
const char *ct_intern_get(struct ct_intern *it, const char *s, size_t len);
/* Gives back a reference ct_intern_get() returned, or "" (no-op). NULL is allowed. */
void ct_intern_put(struct ct_intern *it, const char *s);
/* Distinct texts held now. */
size_t ct_intern_count(const struct ct_intern *it);

#endif
