/* spool.h - the Kafka sink's journal on local disk.
 *
 * Every record the Kafka sink accepts is appended here first, then produced; the journal,
 * not librdkafka's memory, is the source of truth. Delivered records are acknowledged and
 * the acknowledged prefix is recorded in `<dir>/ack`; whatever lies past it when a run ends
 * (broker away, SIGTERM, SIGKILL) is produced by the next run, before its own records and in
 * journal order, so per-key order holds across runs.
 *
 * Layout: segment files `<first seq, 16 hex>.jnl` of framed records
 *   magic "CT" | type u8 | version u8 | key length u16 | 0 u16 | value length u32 |
 *   seq u64 | XXH32 of key+value u32 | key | value      (integers little-endian)
 * A record cut short by a kill (the file ends inside it) is cut off when the journal is opened.
 * Corrupt bytes (a bad header or checksum with more bytes after) are skipped up to the next
 * whole record; the records lost with them are counted in spool_corrupt, logged, and treated
 * as acknowledged so the journal still drains.
 * The journal is bounded by kafka.spool.max_mb: past it the oldest segment is dropped,
 * delivered or not, and the records it still held are counted in spool_dropped.
 * Its files are created 0640 and never opened through a symbolic link.
 * Not thread-safe; one spool directory per process (an flock guards it).
 */
#ifndef CT_SPOOL_H
#define CT_SPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../util/counters.h"

struct ct_spool;

struct ct_spool_rec {
	uint64_t seq;
	uint8_t type;
	const char *key; /* valid until the next ct_spool_next() */
	size_t keylen;
	const char *value;
	size_t len;
};

int ct_spool_open(struct ct_spool **sp, const char *dir, size_t max_bytes, struct ct_counters *ctr, char *err,
		  size_t errlen);
/* Appends a record; *seq is its sequence number. CT_EIO on a write error. */
int ct_spool_append(struct ct_spool *s, uint8_t type, const char *key, size_t keylen, const char *value,
		    size_t len, uint64_t *seq);
/* Next record not yet handed out: 1 and *r filled, 0 when caught up, <0 on error. Records
 * appended are handed to the OS (ct_spool_flush) before the first of them is handed out, so a
 * record that reaches the broker is always in the journal; the newest ones (up to 1 MiB) are
 * served from memory, older ones read back from the file. */
int ct_spool_next(struct ct_spool *s, struct ct_spool_rec *r);
/* Puts back the last record from ct_spool_next() (the producer's queue was full). */
void ct_spool_unread(struct ct_spool *s);
/* A record was delivered (or failed for good): it need never be produced again. */
void ct_spool_ack(struct ct_spool *s, uint64_t seq);
/* Writes buffered journal bytes to the OS (no fsync): after this a kill loses nothing of them. */
int ct_spool_flush(struct ct_spool *s);
/* Writes buffered journal bytes to the OS and records the acknowledged prefix. */
int ct_spool_sync(struct ct_spool *s);
/* Records appended but not acknowledged. */
uint64_t ct_spool_pending(const struct ct_spool *s);
/* Bytes of the journal's segment files. */
uint64_t ct_spool_bytes(const struct ct_spool *s);
void ct_spool_close(struct ct_spool *s);

#endif
