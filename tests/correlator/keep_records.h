/* keep_records.h - the records layer bound to a list the correlator's unit tests can search:
 * the records written, as text. Header-only: each test is one translation unit. */
#ifndef CT_TEST_KEEP_RECORDS_H
#define CT_TEST_KEEP_RECORDS_H

#include <stdio.h>
#include <string.h>

#include "records/records.h"

#define KEEP_MAX_RECS 256
static char recs[KEEP_MAX_RECS][4096];
static unsigned nrecs;

static void keep_emit(void *user, const struct ct_record *r)
{
	(void)user;
	if (nrecs < KEEP_MAX_RECS)
		snprintf(recs[nrecs++], sizeof(recs[0]), "%.*s", (int)r->len, r->json);
}

/* Points w at the list (sensor "t") and forgets what was kept; *rep gets hooks that write every
 * view as its record. Free w with ct_records_free(). */
static inline void keep_init(struct ct_records *w, struct ct_report *rep)
{
	nrecs = 0;
	ct_records_init(w, "t", keep_emit, NULL);
	*rep = ct_records_report(w);
}

#endif
