/* log.h - one-line diagnostics on stderr.
 *
 * A line is "2026-01-05T09:00:00.123Z ctitap: warning: text (what it is about)": the wall-clock
 * time in UTC, then, while a packet is being handled, that packet (frame number, addresses,
 * packet time). Under systemd (stderr is the journal) it is "<4>warning: text (...)": the
 * sd-daemon priority prefix journald reads as the level, and no time (journald keeps its own).
 *
 * Per-packet problems are counted first and logged at most at powers of two of their
 * count (1, 2, 4, 8, ...), so hostile traffic cannot flood the log but every kind of
 * problem is named at least once.
 */
#ifndef CT_LOG_H
#define CT_LOG_H

#include <stdbool.h>
#include <stdint.h>

#include "ct.h"

enum ct_log_level { CT_LOG_ERR = 0, CT_LOG_WARN = 1, CT_LOG_INFO = 2, CT_LOG_DEBUG = 3 };

void ct_log_set_level(enum ct_log_level lvl);
enum ct_log_level ct_log_get_level(void);
/* Chooses the line form: the journal's when stderr is the stream systemd's JOURNAL_STREAM
 * names. Call once at start (main). */
void ct_log_open(void);
bool ct_log_to_journal(void);
/* True when fd is the stream systemd connected to the journal (JOURNAL_STREAM). */
bool ct_log_fd_is_journal(int fd);
/* Writes what a log line is about into buf (cap bytes, NUL-terminated), returns its length. */
typedef size_t (*ct_log_about_fn)(const void *obj, char *buf, size_t cap);
/* What this thread's lines are about (ct_log_about); log.c's, declared here only so that
 * setting it stays inline. */
struct ct_log_about_ctx {
	ct_log_about_fn fn;
	const void *obj;
};
extern _Thread_local struct ct_log_about_ctx ct_log_about_now;
/* Until called again (fn NULL: nothing), lines of this thread end with fn's text about obj;
 * obj is borrowed and must live until then. The capture layer sets it twice per packet: two
 * pointer stores, inline; formatting happens only when a line is written. */
static inline void ct_log_about(ct_log_about_fn fn, const void *obj)
{
	ct_log_about_now.fn = fn;
	ct_log_about_now.obj = obj;
}
void ct_log(enum ct_log_level lvl, const char *fmt, ...) CT_PRINTF(2, 3);

/* True when a counter that was just incremented to `n` should also be logged. */
static inline bool ct_log_sample(uint64_t n)
{
	return n != 0 && (n & (n - 1)) == 0;
}

#define ct_err(...) ct_log(CT_LOG_ERR, __VA_ARGS__)
#define ct_warn(...) ct_log(CT_LOG_WARN, __VA_ARGS__)
#define ct_info(...) ct_log(CT_LOG_INFO, __VA_ARGS__)

/* Count a per-packet problem and log it when the count is a power of two. */
#define CT_COUNT_LOG(ctr, ...)                                  \
	do {                                                    \
		if (ct_log_sample(++(ctr)))                     \
			ct_log(CT_LOG_WARN, __VA_ARGS__);       \
	} while (0)

#endif
