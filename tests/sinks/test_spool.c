/* test_spool.c - the Kafka sink's journal (sinks/spool.h) on damaged files: a tail torn by a
 * kill is cut off, corrupt records are skipped to the next whole one and counted
 * (spool_corrupt) without stopping the journal from draining, and its files are created 0640,
 * never through a planted symbolic link. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "sinks/spool.h"
#include "util/ct.h"

static char dir[256];
static struct ct_counters ctr;

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/ctitap-spool-test.XXXXXX");
	assert_non_null(mkdtemp(dir));
	memset(&ctr, 0, sizeof(ctr));
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	return 0;
}

static struct ct_spool *open_spool(size_t max)
{
	struct ct_spool *s = NULL;
	char err[256];
	assert_int_equal(ct_spool_open(&s, dir, max, &ctr, err, sizeof(err)), CT_OK);
	return s;
}

/* Record n: value "record-n" padded to `size` bytes with '.'. */
static void append(struct ct_spool *s, unsigned n, size_t size)
{
	char v[4096];
	int k = snprintf(v, sizeof(v), "record-%u", n);
	memset(v + k, '.', size - (size_t)k);
	uint64_t seq;
	assert_int_equal(ct_spool_append(s, 1, "key", 3, v, size, &seq), CT_OK);
	assert_int_equal(seq, n);
}

/* Reads everything readable; fills got[] with the record numbers and acks them. */
static unsigned read_all(struct ct_spool *s, unsigned *got, unsigned max)
{
	struct ct_spool_rec r;
	unsigned n = 0;
	int rc;
	while ((rc = ct_spool_next(s, &r)) == 1) {
		assert_true(n < max);
		assert_true(r.len >= 8 && memcmp(r.value, "record-", 7) == 0);
		got[n++] = (unsigned)strtoul(r.value + 7, NULL, 10);
		assert_int_equal(got[n - 1], r.seq);
		ct_spool_ack(s, r.seq);
	}
	assert_int_equal(rc, 0);
	return n;
}

static char *seg(uint64_t first)
{
	static char p[400];
	snprintf(p, sizeof(p), "%s/%016llx.jnl", dir, (unsigned long long)first);
	return p;
}

static long file_size(const char *p)
{
	struct stat st;
	assert_int_equal(stat(p, &st), 0);
	return (long)st.st_size;
}

static void flip(const char *p, long off)
{
	FILE *f = fopen(p, "r+b");
	assert_non_null(f);
	assert_int_equal(fseek(f, off, SEEK_SET), 0);
	int c = fgetc(f);
	assert_int_equal(fseek(f, off, SEEK_SET), 0);
	fputc(c ^ 0x5a, f);
	fclose(f);
}

/* A kill in the middle of a write leaves half a record: it is cut off, the records before it
 * are delivered, and the journal goes on from there. */
static void test_torn_tail(void **state)
{
	(void)state;
	struct ct_spool *s = open_spool(1 << 20);
	for (unsigned i = 0; i < 10; i++)
		append(s, i, 100);
	ct_spool_close(s);
	long size = file_size(seg(0));
	assert_int_equal(truncate(seg(0), size - 37), 0);
	s = open_spool(1 << 20);
	assert_int_equal(ctr.spool_replayed, 9);
	assert_int_equal(ctr.spool_corrupt, 0);
	assert_int_equal(file_size(seg(0)), size - 127); /* a record: 24 + 3 + 100 bytes */
	append(s, 9, 100); /* the lost one's number is reused: it never left the process */
	unsigned got[32];
	assert_int_equal(read_all(s, got, 32), 10);
	for (unsigned i = 0; i < 10; i++)
		assert_int_equal(got[i], i);
	assert_int_equal(ct_spool_pending(s), 0);
	ct_spool_close(s);
}

/* A record whose bytes changed in the middle of the segment being written: the others are
 * all delivered, the one lost is counted, and the journal drains. */
static void test_corrupt_record(void **state)
{
	(void)state;
	struct ct_spool *s = open_spool(1 << 20);
	for (unsigned i = 0; i < 10; i++)
		append(s, i, 100);
	ct_spool_close(s);
	flip(seg(0), 4 * 127 + 24 + 3 + 20); /* inside record 4's value */
	s = open_spool(1 << 20);
	assert_int_equal(ctr.spool_replayed, 10);
	unsigned got[32];
	assert_int_equal(read_all(s, got, 32), 9);
	unsigned want[] = { 0, 1, 2, 3, 5, 6, 7, 8, 9 };
	for (unsigned i = 0; i < 9; i++)
		assert_int_equal(got[i], want[i]);
	assert_int_equal(ctr.spool_corrupt, 1);
	assert_int_equal(ct_spool_pending(s), 0);
	append(s, 10, 100);
	assert_int_equal(read_all(s, got, 32), 1);
	assert_int_equal(got[0], 10);
	ct_spool_close(s);
}

/* Corruption in an older segment: a broken header in its middle and a broken last record;
 * the reader resyncs on the next whole record, or the next segment. */
static void test_corrupt_older_segment(void **state)
{
	(void)state;
	/* kafka.spool.max_mb of 1 MiB: 128 KiB segments; 1 KiB records, about 127 a segment */
	struct ct_spool *s = open_spool(1 << 20);
	for (unsigned i = 0; i < 300; i++)
		append(s, i, 1000);
	ct_spool_close(s);
	long rec = 24 + 3 + 1000;
	long size = file_size(seg(0));
	unsigned per = (unsigned)(size / rec);
	assert_true(per > 20 && (long)per * rec == size);
	flip(seg(0), 10 * rec);              /* record 10's magic */
	flip(seg(0), size - 500);            /* the last record of the segment */
	s = open_spool(1 << 20);
	unsigned got[400];
	unsigned n = read_all(s, got, 400);
	assert_int_equal(n, 298);
	assert_int_equal(ctr.spool_corrupt, 2);
	for (unsigned i = 0, k = 0; i < 300; i++)
		if (i != 10 && i != per - 1)
			assert_int_equal(got[k++], i);
	assert_int_equal(ct_spool_pending(s), 0);
	ct_spool_close(s);
}

/* Files of the journal are 0640 (under a 022 umask) and a symbolic link planted where a
 * segment would be is not followed. */
static void test_modes_and_symlinks(void **state)
{
	(void)state;
	mode_t old = umask(022);
	struct ct_spool *s = open_spool(1 << 20);
	append(s, 0, 100);
	ct_spool_close(s);
	struct stat st;
	assert_int_equal(stat(seg(0), &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640);
	char lock[300];
	snprintf(lock, sizeof(lock), "%s/lock", dir);
	assert_int_equal(stat(lock, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640);
	/* a planted link where the next segment would be written */
	char target[300];
	snprintf(target, sizeof(target), "%s.target", dir);
	FILE *t = fopen(target, "w");
	assert_non_null(t);
	fputs("precious\n", t);
	fclose(t);
	assert_int_equal(unlink(seg(0)), 0);
	assert_int_equal(symlink(target, seg(0)), 0);
	struct ct_spool *s2 = NULL;
	char err[256];
	assert_int_not_equal(ct_spool_open(&s2, dir, 1 << 20, &ctr, err, sizeof(err)), CT_OK);
	assert_int_equal(file_size(target), 9);
	unlink(target);
	umask(old);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_torn_tail), T(test_corrupt_record), T(test_corrupt_older_segment), T(test_modes_and_symlinks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
