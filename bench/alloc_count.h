/* alloc_count.h - counts every allocation of a benchmark program: malloc, calloc and realloc
 * interposed, each counted in ct_bench_allocs and then done by glibc's own allocator (the
 * project's libraries are linked in statically, so their calls come here; libc's internal
 * ones do not). Include it in exactly one file of a program. Under a sanitizer, which brings
 * its own allocator, nothing is interposed and CT_BENCH_COUNTING is 0. */
#ifndef CT_BENCH_ALLOC_COUNT_H
#define CT_BENCH_ALLOC_COUNT_H

#include <stddef.h>
#include <stdint.h>

static uint64_t ct_bench_allocs;

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define CT_BENCH_COUNTING 0
#else
#define CT_BENCH_COUNTING 1
extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t n, size_t m);
extern void *__libc_realloc(void *p, size_t n);
void *malloc(size_t n);
void *calloc(size_t n, size_t m);
void *realloc(void *p, size_t n);
void *malloc(size_t n)
{
	ct_bench_allocs++;
	return __libc_malloc(n);
}
void *calloc(size_t n, size_t m)
{
	ct_bench_allocs++;
	return __libc_calloc(n, m);
}
void *realloc(void *p, size_t n)
{
	ct_bench_allocs++;
	return __libc_realloc(p, n);
}
#endif

#endif
