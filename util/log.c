/* log.c - stderr logger; the only process-wide state is the level, set once by main. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>

static enum ct_log_level log_level = CT_LOG_WARN;

void ct_log_set_level(enum ct_log_level lvl)
{
	log_level = lvl;
}

enum ct_log_level ct_log_get_level(void)
{
	return log_level;
}

void ct_log(enum ct_log_level lvl, const char *fmt, ...)
{
	static const char *const names[] = { "error", "warning", "info", "debug" };
	if (lvl > log_level)
		return;
	char line[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "ctitap: %s: %s\n", names[lvl], line);
}

const char *ct_strerror(int err)
{
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
