/* counters.c - the table behind counters.h. */
#include "counters.h"

#include <stddef.h>

const struct ct_counter_desc ct_counter_table[] = {
#define CT_COUNTER_DESC(name, desc) { #name, desc, offsetof(struct ct_counters, name) },
	CT_COUNTER_LIST(CT_COUNTER_DESC)
#undef CT_COUNTER_DESC
};

const size_t ct_counter_count = sizeof(ct_counter_table) / sizeof(ct_counter_table[0]);
