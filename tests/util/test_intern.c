/* test_intern.c - interned text (util/intern.h): one copy per distinct text, freed with its
 * last reference, against a reference model through random gets and puts from a fixed seed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util/intern.h"
#include "xorshift.h"

static void test_same_text_same_copy(void **state)
{
	(void)state;
	struct ct_hashkey key;
	ct_hashkey_fixed(&key, 7);
	struct ct_intern it;
	assert_int_equal(ct_intern_init(&it, &key, 4), CT_OK);
	const char *a = ct_intern_get(&it, "2001;extra", 4); /* not NUL-terminated at len */
	const char *b = ct_intern_get(&it, "2001", 4);
	const char *c = ct_intern_get(&it, "2002", 4);
	assert_string_equal(a, "2001");
	assert_ptr_equal(a, b);
	assert_ptr_not_equal(a, c);
	assert_int_equal(ct_intern_count(&it), 2);
	/* the empty text holds nothing and puts are no-ops */
	const char *e = ct_intern_get(&it, "x", 0);
	assert_ptr_equal(e, ct_intern_empty);
	assert_string_equal(e, "");
	ct_intern_put(&it, e);
	ct_intern_put(&it, NULL);
	assert_int_equal(ct_intern_count(&it), 2);
	/* a copy lives while a reference does */
	ct_intern_put(&it, a);
	assert_int_equal(ct_intern_count(&it), 2);
	assert_string_equal(b, "2001");
	ct_intern_put(&it, b);
	assert_int_equal(ct_intern_count(&it), 1);
	/* bytes with a NUL inside are their own text */
	const char *z = ct_intern_get(&it, "20\0002", 4);
	assert_int_equal(ct_intern_count(&it), 2);
	assert_memory_equal(z, "20\0002", 5);
	ct_intern_put(&it, z);
	ct_intern_put(&it, c);
	assert_int_equal(ct_intern_count(&it), 0);
	assert_int_equal(it.bytes, 0);
	ct_intern_free(&it);
}

#define TEXTS 300
#define HOLDERS 2000

/* Holders take and give back references at random; the table must hold exactly the texts
 * some holder has, each once, with the holder's bytes. Run under ASan, a copy freed too soon
 * is a use after free. */
static void test_against_model(void **state)
{
	(void)state;
	struct ct_hashkey key;
	ct_hashkey_fixed(&key, 9);
	struct ct_intern it;
	assert_int_equal(ct_intern_init(&it, &key, 16), CT_OK); /* small: long chains walked */
	static const char *held[HOLDERS];
	static unsigned text_of[HOLDERS];
	static unsigned refs[TEXTS];
	for (int round = 0; round < 100000; round++) {
		unsigned h = test_next() % HOLDERS;
		if (held[h]) {
			char want[16];
			snprintf(want, sizeof(want), "dev%u", text_of[h]);
			assert_string_equal(held[h], want);
			ct_intern_put(&it, held[h]);
			held[h] = NULL;
			refs[text_of[h]]--;
		} else {
			unsigned x = test_next() % TEXTS;
			char s[16];
			int n = snprintf(s, sizeof(s), "dev%u", x);
			held[h] = ct_intern_get(&it, s, (size_t)n);
			assert_non_null(held[h]);
			text_of[h] = x;
			refs[x]++;
		}
		if (round % 1000 == 0) {
			size_t distinct = 0;
			for (unsigned x = 0; x < TEXTS; x++)
				distinct += refs[x] > 0;
			assert_int_equal(ct_intern_count(&it), distinct);
			/* one copy per text: every holder of a text has the same pointer */
			for (unsigned i = 0; i < HOLDERS; i++)
				for (unsigned j = i + 1; held[i] && j < HOLDERS; j++)
					if (held[j] && text_of[j] == text_of[i])
						assert_ptr_equal(held[i], held[j]);
		}
	}
	ct_intern_free(&it); /* with references still held: frees every copy (LeakSanitizer) */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_text_same_copy),
		cmocka_unit_test(test_against_model),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
