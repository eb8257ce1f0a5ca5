/* log.c - one-line diagnostics on stderr.
 *
 * Process-wide state: the level and the output form, set once by main (ct_log_set_level,
 * ct_log_open), and per thread what the packet being handled is (ct_log_about), so a warning
 * about a packet names it without every call site formatting addresses.
 */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static enum ct_log_level log_level = CT_LOG_WARN;
static bool log_journal; /* stderr is the journal: "<3>" priorities, no time (journald adds it) */

_Thread_local struct ct_log_about_ctx ct_log_about_now;

void ct_log_set_level(enum ct_log_level lvl)
{
	log_level = lvl;
}

enum ct_log_level ct_log_get_level(void)
{
	return log_level;
}

/* systemd sets JOURNAL_STREAM to "DEVICE:INODE" of the stream it connected to the journal; a
 * descriptor with the same device and inode is that stream (not one redirected since). */
bool ct_log_fd_is_journal(int fd)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;
	if (!js || sscanf(js, "%llu:%llu", &dev, &ino) != 2 || fstat(fd, &st) != 0)
		return false;
	return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

void ct_log_open(void)
{
	log_journal = ct_log_fd_is_journal(STDERR_FILENO);
}

bool ct_log_to_journal(void)
{
	return log_journal;
}


void ct_log(enum ct_log_level lvl, const char *fmt, ...)
{
	static const char *const names[] = { "error", "warning", "info", "debug" };
	static const char prio[] = { '3', '4', '6', '7' }; /* syslog's LOG_ERR, LOG_WARNING, ... */
	if (lvl > log_level)
		return;
	char line[1400];
	size_t n;
	if (log_journal) {
		n = (size_t)snprintf(line, sizeof(line), "<%c>%s: ", prio[lvl], names[lvl]);
	} else {
		struct timespec ts;
		struct tm tm;
		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		n = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%S", &tm);
		n += (size_t)snprintf(line + n, sizeof(line) - n, ".%03ldZ ctitap: %s: ", ts.tv_nsec / 1000000L,
				      names[lvl]);
	}
	va_list ap;
	va_start(ap, fmt);
	int m = vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
	va_end(ap);
	n = m < 0 ? n : CT_MIN(n + (size_t)m, sizeof(line) - 2);
	if (ct_log_about_now.fn && n + 8 < sizeof(line) - 2) {
		line[n++] = ' ';
		line[n++] = '(';
		n += ct_log_about_now.fn(ct_log_about_now.obj, line + n, sizeof(line) - 2 - n);
		n = CT_MIN(n, sizeof(line) - 3);
		line[n++] = ')';
	}
	line[n++] = '\n';
	line[n] = '\0';
	fputs(line, stderr); /* stderr is unbuffered: one write per line */
}

int ct_err_kind(int err)
{
	if (!ct_is_esys(err))
		return err;
	switch (ct_errno(err)) {
	case ENOENT:
	case ENOTDIR:
	case ENODEV:
	case ENXIO: return CT_ENOENT;
	case EACCES:
	case EPERM:
	case EROFS: return CT_EPERM;
	case ENOMEM: return CT_ENOMEM;
	default: return CT_EIO;
	}
}

const char *ct_strerror(int err)
{
	if (ct_is_esys(err))
		return strerror(ct_errno(err));
	switch (err) {
	case CT_OK: return "success";
	case CT_ENOMEM: return "out of memory";
	case CT_EINVAL: return "invalid input";
	case CT_ETRUNC: return "truncated input";
	case CT_ENOTSUP: return "not supported";
	case CT_EIO: return "input/output error";
	case CT_ENOENT: return "not found";
	case CT_EPERM: return "permission denied";
	case CT_ELIMIT: return "limit reached";
	case CT_EFORMAT: return "unknown file format";
	case CT_ECONFIG: return "bad setting";
	default: return "unknown error";
	}
}
