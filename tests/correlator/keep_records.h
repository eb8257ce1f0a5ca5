/* keep_records.h - an output for the correlator's unit tests that keeps the records written,
 * as text, for the tests to search. Header-only: each test is one translation unit. */
#ifndef CT_TEST_KEEP_RECORDS_H
#define CT_TEST_KEEP_RECORDS_H

#include <stdio.h>
#include <string.h>

#include "sinks/sink.h"

#define KEEP_MAX_RECS 256
static char recs[KEEP_MAX_RECS][4096];
static unsigned nrecs;

static int keep_write(void *st, const struct ct_record *r)
{
	(void)st;
	if (nrecs < KEEP_MAX_RECS)
		snprintf(recs[nrecs++], sizeof(recs[0]), "%.*s", (int)r->len, r->json);
	return 0;
}

static int keep_nop(void *st)
{
	(void)st;
	return 0;
}

static const struct ct_sink_ops keep_ops = { "keep", keep_write, keep_nop, NULL, keep_nop, NULL };

/* Points out at the keeping sink and forgets what was kept. */
static inline void keep_init(struct ct_outputs *out)
{
	memset(out, 0, sizeof(*out));
	nrecs = 0;
	out->n = 1;
	out->sink[0].ops = &keep_ops;
}

#endif
