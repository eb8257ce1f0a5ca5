/* ct.h - project-wide error codes and small helpers shared by every module. */
#ifndef CT_CT_H
#define CT_CT_H

#include <errno.h>
#include <stdbool.h>
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

/* Parsers of bytes (decoders/) return CT_OK for a whole unit read, CT_MORE when a stream parser
 * needs more bytes for it (not an error: the caller keeps the bytes and waits), or a negative
 * ct_err: CT_EINVAL (not this protocol, or broken), CT_ETRUNC (shorter than its headers claim),
 * CT_ENOTSUP (well formed, not handled). */
#define CT_MORE 1

/* An error of the OS keeps its errno: ct_esys(errno) is a code below CT_ESYS_BASE, for which
 * ct_strerror() gives the OS's own text ("No space left on device", "Broken pipe") and
 * ct_err_kind() the code above it falls under (CT_EIO, CT_EPERM, CT_ENOENT, CT_ENOMEM). Every
 * function that fails because a system call did returns ct_esys(errno), not a bare CT_EIO. */
#define CT_ESYS_BASE (-1000)
static inline int ct_esys(int e)
{
	return CT_ESYS_BASE - (e > 0 && e < 4096 ? e : EIO);
}
static inline bool ct_is_esys(int err)
{
	return err <= CT_ESYS_BASE && err > CT_ESYS_BASE - 4096;
}
/* The errno of a ct_esys() code; 0 for any other code. */
static inline int ct_errno(int err)
{
	return ct_is_esys(err) ? CT_ESYS_BASE - err : 0;
}
/* The plain code an error falls under: itself, or for ct_esys() codes CT_ENOENT (ENOENT,
 * ENOTDIR, ENODEV, ENXIO), CT_EPERM (EACCES, EPERM, EROFS), CT_ENOMEM (ENOMEM) or CT_EIO. */
int ct_err_kind(int err);
/* Text of any code, ct_esys() ones included (strerror's text: static storage). */
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
