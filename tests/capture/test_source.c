/* test_source.c - capture files read directly (capture/pcapfile.h) give what libpcap gives:
 * the same frames, times and lengths, and the same end (the same error on a file cut short or
 * corrupt), in both byte orders, with micro- and nanosecond times, records longer than the
 * snapshot length, filters, and on every capture of the project. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <dirent.h>
#include <unistd.h>

#include "fuzz/pcapfile_diff.h"

/* A capture file built in memory. */
struct pf {
	uint8_t b[1 << 20];
	size_t n;
	bool be;
};

static void put32(struct pf *f, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		f->b[f->n++] = (uint8_t)(f->be ? v >> (24 - 8 * i) : v >> (8 * i));
}

static void put16(struct pf *f, uint16_t v)
{
	f->b[f->n++] = (uint8_t)(f->be ? v >> 8 : v);
	f->b[f->n++] = (uint8_t)(f->be ? v : v >> 8);
}

static void pf_header(struct pf *f, bool be, uint32_t magic, uint16_t major, uint16_t minor, uint32_t snaplen,
		      uint32_t linktype)
{
	f->n = 0;
	f->be = be;
	put32(f, magic);
	put16(f, major);
	put16(f, minor);
	put32(f, 0);
	put32(f, 0);
	put32(f, snaplen);
	put32(f, linktype);
}

/* A UDP/IPv4 frame over Ethernet of `len` bytes (at least 42), caplen of them in the file. */
static void pf_record(struct pf *f, uint32_t sec, uint32_t frac, uint32_t caplen, uint32_t len)
{
	put32(f, sec);
	put32(f, frac);
	put32(f, caplen);
	put32(f, len);
	static const uint8_t eth_ip_udp[42] = {
		2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x08, 0x00,                                  /* Ethernet */
		0x45, 0, 0, 0, 0, 1, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,               /* IPv4 */
		0x13, 0xc4, 0x13, 0xc4, 0, 0, 0, 0,                                               /* UDP */
	};
	for (uint32_t i = 0; i < caplen; i++) {
		uint8_t v = i < sizeof(eth_ip_udp) ? eth_ip_udp[i] : (uint8_t)(i * 7 + sec);
		if (i == 16 || i == 17) /* IPv4 total length */
			v = (uint8_t)((len - 14) >> (i == 16 ? 8 : 0));
		if (i == 38 || i == 39) /* UDP length */
			v = (uint8_t)((len - 34) >> (i == 38 ? 8 : 0));
		f->b[f->n++] = v;
	}
}

static char tmpdir[64];

static const char *pf_write(const struct pf *f, size_t n)
{
	static char path[128];
	snprintf(path, sizeof(path), "%s/f.pcap", tmpdir);
	FILE *fp = fopen(path, "wb");
	assert_non_null(fp);
	assert_int_equal(fwrite(f->b, 1, n, fp), n);
	fclose(fp);
	return path;
}

static int setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_source.XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	char path[128];
	snprintf(path, sizeof(path), "%s/f.pcap", tmpdir);
	unlink(path);
	rmdir(tmpdir);
	return 0;
}

static struct pf f;

/* Every way of reading f (whole, through a filter, and cut at every length in [from, f.n))
 * agrees with libpcap (asserted); returns whether the direct reader was used on the whole file. */
static bool agrees(size_t from, size_t bufsize)
{
	bool direct = false, d;
	assert_true(pfd_same(pf_write(&f, f.n), NULL, bufsize, &direct));
	assert_true(pfd_same(pf_write(&f, f.n), "udp", bufsize, &d));
	for (size_t n = from; n < f.n; n++)
		assert_true(pfd_same(pf_write(&f, n), NULL, bufsize, &d));
	return direct;
}

static void test_byte_orders_and_precisions(void **state)
{
	(void)state;
	static const struct {
		bool be;
		uint32_t magic;
	} kinds[] = { { false, 0xa1b2c3d4 }, { true, 0xa1b2c3d4 }, { false, 0xa1b23c4d }, { true, 0xa1b23c4d } };
	for (size_t k = 0; k < CT_ARRAY_SIZE(kinds); k++) {
		pf_header(&f, kinds[k].be, kinds[k].magic, 2, 4, 65535, 1);
		pf_record(&f, 1700000000, 999999, 60, 60);
		pf_record(&f, 0x80000001u, 123456789, 42, 1500); /* after 2038; cut to 42 of 1500 */
		pf_record(&f, 1700000001, 5, 0, 0);
		pf_record(&f, 1700000002, 7, 100, 100);
		/* fractions past 2^31, which libpcap reads as negative numbers (the clock then
		 * handles the nonsense times) */
		pf_record(&f, 1700000003, 0x80000001u, 60, 60);
		pf_record(&f, 1700000004, 0xffffffffu, 60, 60);
		struct pfd_run r;
		pfd_read(pf_write(&f, f.n), false, NULL, 0, &r);
		assert_true(r.direct);
		assert_int_equal(r.run_rc, CT_OK);
		assert_int_equal(r.frames, 6);
		/* cut inside the file header, a record header and a record's bytes */
		assert_true(agrees(0, 0));
	}
}

static void test_longer_than_snapshot(void **state)
{
	(void)state;
	/* libpcap cuts a record longer than the snapshot length to it, and refuses one longer than
	 * its maximum (262144): from there on the file is libpcap's */
	pf_header(&f, false, 0xa1b2c3d4, 2, 4, 64, 1);
	pf_record(&f, 1700000000, 1, 60, 60);
	pf_record(&f, 1700000000, 2, 100, 100);
	pf_record(&f, 1700000000, 3, 50, 50);
	assert_true(agrees(f.n - 60, 0));
	struct pfd_run r;
	pfd_read(pf_write(&f, f.n), false, NULL, 0, &r);
	assert_int_equal(r.frames, 3);
	pf_header(&f, false, 0xa1b2c3d4, 2, 4, 64, 1);
	pf_record(&f, 1700000000, 1, 60, 60);
	put32(&f, 1700000000);
	put32(&f, 2);
	put32(&f, 300000);
	put32(&f, 300000);
	assert_true(agrees(f.n, 0));
	pfd_read(pf_write(&f, f.n), false, NULL, 0, &r);
	assert_int_equal(r.run_rc, CT_EFORMAT);
	assert_int_equal(r.frames, 1);
	/* snapshot length 0 in the header: libpcap's maximum applies */
	pf_header(&f, true, 0xa1b2c3d4, 2, 4, 0, 1);
	pf_record(&f, 1700000000, 1, 1000, 1000);
	assert_true(agrees(f.n, 0));
}

static void test_not_taken(void **state)
{
	(void)state;
	struct pfd_run r;
	/* 2.3 (caplen and len maybe the other way round), FCS bits in the link type, a link type
	 * ctitap does not decode, a modified format: libpcap's from the start */
	const struct {
		uint32_t magic;
		uint16_t minor;
		uint32_t linktype;
	} cases[] = { { 0xa1b2c3d4, 3, 1 }, { 0xa1b2c3d4, 4, 1 | 0x14000000 }, { 0xa1b2c3d4, 4, 147 },
		      { 0xa1b2cd34, 4, 1 } };
	for (size_t i = 0; i < CT_ARRAY_SIZE(cases); i++) {
		pf_header(&f, false, cases[i].magic, 2, cases[i].minor, 65535, cases[i].linktype);
		pf_record(&f, 1700000000, 1, 60, 60);
		pf_record(&f, 1700000000, 2, 70, 50); /* caplen > len: 2.3 reads it swapped */
		pfd_read(pf_write(&f, f.n), false, NULL, 0, &r);
		assert_false(r.direct);
		assert_false(agrees(f.n, 0)); /* (which checks that both agree) */
	}
}

static void test_buffer_refills(void **state)
{
	(void)state;
	/* records of every size across the buffer's refills */
	pf_header(&f, false, 0xa1b2c3d4, 2, 4, 2000, 1);
	for (uint32_t i = 0; i < 400; i++)
		pf_record(&f, 1700000000 + i, i, 42 + (i * 37) % 1900, 42 + (i * 37) % 1900);
	for (size_t bufsize = 2016; bufsize < 2100; bufsize += 13)
		assert_true(agrees(f.n - 50, bufsize));
	/* the default buffer (256 KiB) over a file of 6 MiB */
	static struct pf big;
	pf_header(&big, true, 0xa1b23c4d, 2, 4, 262144, 1);
	for (uint32_t i = 0; big.n + 1600 < sizeof(big.b); i++)
		pf_record(&big, 1700000000, i, 42 + i % 1500, 1514);
	struct pfd_run r;
	pfd_read(pf_write(&big, big.n), false, NULL, 0, &r);
	assert_true(r.direct);
	assert_true(pfd_same(pf_write(&big, big.n), NULL, 0, NULL));
	assert_true(pfd_same(pf_write(&big, big.n - 700), NULL, 0, NULL));
}

/* Every capture under dir (and its folders) reads alike both ways. */
static unsigned same_under(const char *dir)
{
	unsigned n = 0;
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char path[1024];
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		size_t l = strlen(e->d_name);
		if (e->d_type == DT_DIR) {
			n += same_under(path);
		} else if ((l > 5 && !strcmp(e->d_name + l - 5, ".pcap")) || (l > 4 && !strcmp(e->d_name + l - 4, ".cap")) ||
			   (l > 7 && !strcmp(e->d_name + l - 7, ".pcapng"))) {
			assert_true(pfd_same(path, NULL, 0, NULL));
			n++;
		}
	}
	closedir(d);
	return n;
}

static void test_project_captures(void **state)
{
	(void)state;
	unsigned n = same_under(CTITAP_SOURCE_DIR "/pcaps");
	assert_true(n >= 10);
	/* the public captures, when ../shared is there (a user's clone has none) */
	n = same_under(CTITAP_SOURCE_DIR "/../shared/pcaps/public");
	print_message("public captures compared: %u\n", n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_byte_orders_and_precisions),
		cmocka_unit_test(test_longer_than_snapshot),
		cmocka_unit_test(test_not_taken),
		cmocka_unit_test(test_buffer_refills),
		cmocka_unit_test(test_project_captures),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
