/* malloc_count.c - LD_PRELOAD shim that counts the heap allocations of a process (malloc,
 * calloc, realloc, posix_memalign, aligned_alloc) and writes the count to the file named by
 * CTITAP_MALLOC_COUNT when the process exits: test_rtp_alloc.py compares two runs that differ
 * only in how many RTP packets their call has. Not for sanitizer builds (they own malloc). */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t n, size_t m);
extern void *__libc_realloc(void *p, size_t n);
extern void *__libc_memalign(size_t align, size_t n);

static uint64_t count;

void *malloc(size_t n)
{
	__atomic_add_fetch(&count, 1, __ATOMIC_RELAXED);
	return __libc_malloc(n);
}

void *calloc(size_t n, size_t m)
{
	__atomic_add_fetch(&count, 1, __ATOMIC_RELAXED);
	return __libc_calloc(n, m);
}

void *realloc(void *p, size_t n)
{
	__atomic_add_fetch(&count, 1, __ATOMIC_RELAXED);
	return __libc_realloc(p, n);
}

int posix_memalign(void **out, size_t align, size_t n)
{
	__atomic_add_fetch(&count, 1, __ATOMIC_RELAXED);
	void *p = __libc_memalign(align, n);
	if (!p)
		return 12; /* ENOMEM */
	*out = p;
	return 0;
}

void *aligned_alloc(size_t align, size_t n)
{
	__atomic_add_fetch(&count, 1, __ATOMIC_RELAXED);
	return __libc_memalign(align, n);
}

__attribute__((destructor)) static void report(void)
{
	const char *path = getenv("CTITAP_MALLOC_COUNT");
	if (!path)
		return;
	FILE *f = fopen(path, "w");
	if (!f)
		return;
	fprintf(f, "%llu\n", (unsigned long long)count);
	fclose(f);
}
