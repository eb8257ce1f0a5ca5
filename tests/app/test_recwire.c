/* test_recwire.c - the recorder's wiring (app/recwire.c) driven by recording views as the
 * correlator hands them: a recording keyed by (call, device) follows a merge of its call and a
 * rename of its device (neither lost nor opened twice), both sides of a merge recorded stay two
 * files each stopped once, a trigger for no recording is written and counted, and each record
 * carries its chain entry (the stop one its file). The engine is real, on a temporary folder;
 * the records are caught as the outputs would get them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "app/recwire.h"

#define NREC 64

struct fx {
	char dir[64];
	struct ct_config cfg;
	struct ct_counters ctr;
	struct ct_hashkey key;
	struct ct_records rec;
	struct ct_report rep;
	struct ct_media *media;
	struct ct_capture cap;      /* no frame: no evidence */
	struct ct_recwire *w;
	char *out[NREC];            /* the recording records written, in order */
	unsigned nout;
};

static void catch_record(void *user, const struct ct_record *r)
{
	struct fx *f = user;
	if (r->type == CT_REC_RECORDING && f->nout < NREC)
		f->out[f->nout++] = strndup(r->json, r->len);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char err[256];
	snprintf(f->dir, sizeof(f->dir), "/tmp/ctitap-recwire-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	ct_config_init(&f->cfg);
	char arg[128];
	snprintf(arg, sizeof(arg), "record.dir=%s/rec", f->dir);
	assert_int_equal(ct_config_set_arg(&f->cfg, arg, err, sizeof(err)), CT_OK);
	assert_int_equal(ct_config_set_arg(&f->cfg, "record.min_free_mb=0", err, sizeof(err)), CT_OK);
	ct_hashkey_fixed(&f->key, 3);
	ct_records_init(&f->rec, "test", catch_record, f);
	f->rep = ct_records_report(&f->rec);
	assert_int_equal(ct_media_new(&f->media, 64, &f->key, &f->ctr, &f->rep), CT_OK);
	struct ct_recwire_env env = { &f->cfg, &f->rec, &f->rep, f->media, &f->cap, &f->ctr, &f->key };
	assert_int_equal(ct_recwire_new(&f->w, &env, err, sizeof(err)), CT_OK);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	ct_recwire_free(f->w, 0);
	ct_media_free(f->media);
	ct_records_free(&f->rec);
	ct_config_free(&f->cfg);
	for (unsigned i = 0; i < f->nout; i++)
		free(f->out[i]);
	char cmd[96];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

#define T0 1767603600000000ull /* 2026-01-05T09:00:00Z */

static void trigger(struct fx *f, ct_time_t at_ms, const char *call, const char *device, enum ct_rec_action a,
		    enum ct_rec_reason why)
{
	struct ct_recording_view v = { .ts = T0 + at_ms * 1000, .call = call, .device = device, .action = a, .reason = why,
				       .have_rtp = true };
	v.rtp[0] = (struct ct_rec_endpoint){ "10.1.1.10", 40000, true };
	v.rtp[1] = (struct ct_rec_endpoint){ "10.1.0.1", 20000, false };
	ct_recwire_trigger(f->w, &v);
}

/* The records whose JSON holds every one of the needles (NULL-terminated). */
static unsigned count(const struct fx *f, ...)
{
	unsigned n = 0;
	for (unsigned i = 0; i < f->nout; i++) {
		va_list ap;
		va_start(ap, f);
		bool all = true;
		for (const char *s; (s = va_arg(ap, const char *));)
			all = all && strstr(f->out[i], s);
		va_end(ap);
		n += all;
	}
	return n;
}

static void merged_call_keeps_its_recording(void **state)
{
	struct fx *f = *state;
	trigger(f, 0, "csta-00000000000000a1", "2002", CT_RECA_START, CT_RECR_ANSWERED);
	/* the consultation call is merged into the customer's: its later triggers name that */
	ct_recwire_merged(f->w, T0 + 500000, "sip-00000000000000b2", "csta-00000000000000a1");
	trigger(f, 1000, "sip-00000000000000b2", "2002", CT_RECA_PAUSE, CT_RECR_HELD);
	trigger(f, 2000, "sip-00000000000000b2", "2002", CT_RECA_RESUME, CT_RECR_RETRIEVED);
	trigger(f, 3000, "sip-00000000000000b2", "2002", CT_RECA_STOP, CT_RECR_CLEARED);
	ct_recwire_close(f->w, T0 + 4000000);
	assert_int_equal(f->ctr.rec_triggers_unmatched, 0);
	assert_int_equal(count(f, "\"action\":\"start\"", "csta-00000000000000a1", "\"seq\":1,", NULL), 1);
	assert_int_equal(count(f, "\"action\":\"pause\"", "sip-00000000000000b2", "\"seq\":2,", NULL), 1);
	assert_int_equal(count(f, "\"action\":\"resume\"", "\"seq\":3,", NULL), 1);
	/* one file, stopped under the surviving id, 3 s long (pause_mode silence) */
	assert_int_equal(count(f, "\"action\":\"stop\"", "sip-00000000000000b2", "\"kind\":\"audio\"", "\"duration_ms\":3000",
			       "\"seq\":4,", NULL),
			 1);
	assert_int_equal(count(f, "\"kind\":\"audio\"", NULL), 1);
}

static void renamed_device_keeps_its_recording(void **state)
{
	struct fx *f = *state;
	trigger(f, 0, "sip-00000000000000c3", "alice", CT_RECA_START, CT_RECR_ANSWERED);
	/* CTI names the phone SIP called alice: the recording goes on as 2003's */
	ct_recwire_renamed(f->w, T0 + 100000, "sip-00000000000000c3", "alice", "2003");
	trigger(f, 1000, "sip-00000000000000c3", "2003", CT_RECA_STOP, CT_RECR_CLEARED);
	ct_recwire_close(f->w, T0 + 2000000);
	assert_int_equal(f->ctr.rec_triggers_unmatched, 0);
	assert_int_equal(count(f, "\"action\":\"stop\"", "\"device\":\"2003\"", "\"kind\":\"audio\"", "\"reason\":\"cleared\"",
			       NULL),
			 1);
	assert_int_equal(count(f, "\"reason\":\"shutdown\"", NULL), 0); /* nothing left open */
}

static void both_sides_recorded_stay_two_files(void **state)
{
	struct fx *f = *state;
	trigger(f, 0, "sip-00000000000000d4", "2004", CT_RECA_START, CT_RECR_ANSWERED);
	trigger(f, 100, "sip-00000000000000e5", "2004", CT_RECA_START, CT_RECR_ANSWERED);
	/* the correlator stops the merged call's one first (recorded once), then merges */
	trigger(f, 1000, "sip-00000000000000e5", "2004", CT_RECA_STOP, CT_RECR_MERGED);
	ct_recwire_merged(f->w, T0 + 1000000, "sip-00000000000000d4", "sip-00000000000000e5");
	trigger(f, 2000, "sip-00000000000000d4", "2004", CT_RECA_STOP, CT_RECR_CLEARED);
	ct_recwire_close(f->w, T0 + 3000000);
	assert_int_equal(f->ctr.rec_triggers_unmatched, 0);
	assert_int_equal(count(f, "\"kind\":\"audio\"", NULL), 2);
	assert_int_equal(count(f, "\"action\":\"stop\"", "\"reason\":\"merged\"", "\"duration_ms\":900", NULL), 1);
	assert_int_equal(count(f, "\"action\":\"stop\"", "\"reason\":\"cleared\"", "\"duration_ms\":2000", NULL), 1);
}

static void unknown_trigger_is_written_and_counted(void **state)
{
	struct fx *f = *state;
	trigger(f, 0, "sip-00000000000000f6", "2005", CT_RECA_PAUSE, CT_RECR_HELD);
	assert_int_equal(f->ctr.rec_triggers_unmatched, 1);
	assert_int_equal(count(f, "\"action\":\"pause\"", NULL), 1);
	assert_int_equal(count(f, "\"seq\"", NULL), 0); /* nothing recorded: no chain entry */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(merged_call_keeps_its_recording, setup, teardown),
		cmocka_unit_test_setup_teardown(renamed_device_keeps_its_recording, setup, teardown),
		cmocka_unit_test_setup_teardown(both_sides_recorded_stay_two_files, setup, teardown),
		cmocka_unit_test_setup_teardown(unknown_trigger_is_written_and_counted, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
