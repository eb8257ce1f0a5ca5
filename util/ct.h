/* ct.h - project-wide error codes and small helpers shared by every module. */
#ifndef CT_CT_H
#define CT_CT_H

#include <stddef.h>
#include <stdint.h>

/* One error enum for the whole project: 0 is success, negatives are errors. */
enum ct_err {
	CT_OK = 0,
	CT_ENOMEM = -1,   /* allocation failed or a memory cap was hit */
	CT_EINVAL = -2,   /* malformed input or argument */
	CT_ETRUNC = -3,   /* input shorter than its headers claim */
	CT_ENOTSUP = -4,  /* well-formed but not handled (link type, protocol) */
	CT_EIO = -5,      /* read or write failed */
	CT_ENOENT = -6,   /* file, interface or key does not exist */
	CT_EPERM = -7,    /* permission denied */
	CT_ELIMIT = -8,   /* a configured cap was hit */
	CT_EFORMAT = -9,  /* file is not in a format we read */
	CT_ECONFIG = -10, /* a setting is unknown, malformed or refused by a library */
};

const char *ct_strerror(int err);

#define CT_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define CT_MIN(a, b) ((a) < (b) ? (a) : (b))
#define CT_MAX(a, b) ((a) > (b) ? (a) : (b))
#define CT_UNUSED __attribute__((unused))
#define CT_LIKELY(x) __builtin_expect(!!(x), 1)
#define CT_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define CT_PRINTF(f, a) __attribute__((format(printf, f, a)))

/* Microseconds since the epoch: the packet clock used everywhere. */
typedef uint64_t ct_time_t;
#define CT_USEC_PER_SEC 1000000ULL
/* The latest time a record can carry (RFC 3339 has four digits of year):
 * 9999-12-31T23:59:59.999999Z. */
#define CT_TIME_MAX 253402300799999999ULL

#endif
