/* stream.h - the contract between TCP reassembly and the protocol parsers above it.
 *
 * Reassembly hands a parser ordered bytes of one direction. The parser answers how much it
 * consumed and whether it needs more (Suricata's APP_LAYER_INCOMPLETE, HAProxy's h1
 * parser): bytes it did not consume are offered again, with what follows, next time.
 * Reassembly never interprets the bytes; parsers never see sequence numbers.
 */
#ifndef CT_STREAM_H
#define CT_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../util/ct.h"

struct ct_stream_parser {
	const char *name;
	/* dir: 0 = from the side that opened the connection. data is valid for the call only.
	 * Returns (util/ct.h's parser convention) CT_OK: consumed *consumed bytes, call again with
	 * the rest; CT_MORE: consumed *consumed bytes, the rest is an incomplete message; a negative
	 * ct_err: not parseable, reassembly drops what it holds, then calls gap(). */
	int (*parse)(void *st, int dir, const uint8_t *data, size_t len, ct_time_t ts, size_t *consumed);
	/* `bytes` were lost before the next data of dir (0 = unknown, after an error or a cap):
	 * the parser drops any partial message and resyncs on what comes next. */
	void (*gap)(void *st, int dir, uint32_t bytes);
	/* The connection is over; the parser frees st. */
	void (*close)(void *st);
	/* True once the stream carried a message of its protocol. When tcp.memcap_mb is reached,
	 * reassembly drops the buffers of streams that did not (oldest first) before it refuses
	 * bytes to one that did. NULL: never. */
	bool (*proven)(const void *st);
};

#endif
