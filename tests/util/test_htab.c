/* test_htab.c - the intrusive hash table and the timer heap (util/htab.h, util/heap.h) against
 * plain reference models, through random operations from a fixed seed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util/heap.h"
#include "util/htab.h"
#include "xorshift.h"

#define N 500

struct item {
	struct ct_hnode hn;
	struct ct_heap_node tn;
	uint32_t key;
	bool in_table;
};

/* A weak hash on purpose: many keys share a hash, so chains and hash collisions are walked. */
static uint64_t weak(uint32_t key)
{
	return key % 37;
}

static struct item *find(struct ct_htab *t, uint32_t key)
{
	for (struct ct_hnode *n = ct_htab_first(t, weak(key)); n; n = ct_htab_next(n)) {
		struct item *it = CT_CONTAINER_OF(n, struct item, hn);
		if (it->key == key)
			return it;
	}
	return NULL;
}

static void test_htab(void **state)
{
	(void)state;
	static struct item items[N];
	struct ct_htab t;
	assert_int_equal(ct_htab_init(&t, 8, 1024), CT_OK);
	assert_int_equal(t.mask + 1, 16); /* at least 16 buckets */
	size_t in = 0;
	for (int round = 0; round < 20000; round++) {
		struct item *it = &items[test_next() % N];
		it->key = (uint32_t)(it - items);
		if (it->in_table) {
			assert_ptr_equal(find(&t, it->key), it);
			ct_htab_del(&t, &it->hn);
			it->in_table = false;
			in--;
			assert_null(find(&t, it->key));
		} else {
			assert_null(find(&t, it->key));
			ct_htab_add(&t, &it->hn, weak(it->key));
			it->in_table = true;
			in++;
		}
		assert_int_equal(t.n, in);
	}
	/* the walk sees every node once, and allows deleting what it returned */
	size_t i = 0, seen = 0;
	struct ct_hnode *n, *nx = NULL;
	while ((n = ct_htab_walk(&t, &i, &nx))) {
		struct item *it = CT_CONTAINER_OF(n, struct item, hn);
		assert_true(it->in_table);
		ct_htab_del(&t, n);
		it->in_table = false;
		seen++;
	}
	assert_int_equal(seen, in);
	assert_int_equal(t.n, 0);
	ct_htab_free(&t);
}

static void test_heap(void **state)
{
	(void)state;
	static struct item items[N];
	struct ct_heap h;
	assert_int_equal(ct_heap_init(&h, 4), CT_OK); /* grows */
	for (int round = 0; round < 20000; round++) {
		struct item *it = &items[test_next() % N];
		ct_time_t due = test_next() % 1000; /* many equal due times */
		switch (test_next() % 3) {
		case 0:
			if (!it->tn.in)
				assert_int_equal(ct_heap_push(&h, &it->tn, due), CT_OK);
			break;
		case 1:
			if (it->tn.in)
				ct_heap_update(&h, &it->tn, due);
			break;
		default:
			ct_heap_remove(&h, &it->tn);
		}
		/* the top is due no later than any other node in the heap */
		const struct ct_heap_node *top = ct_heap_top(&h);
		for (int k = 0; k < N; k++)
			if (items[k].tn.in)
				assert_true(top && top->due <= items[k].tn.due);
	}
	ct_time_t last = 0;
	const struct ct_heap_node *top;
	while ((top = ct_heap_top(&h))) {
		assert_true(top->due >= last);
		last = top->due;
		ct_heap_remove(&h, (struct ct_heap_node *)top);
	}
	ct_heap_free(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_htab),
		cmocka_unit_test(test_heap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
