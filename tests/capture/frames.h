/* frames.h - test harness for the capture layer: a capture context that records what it
 * delivers, and a frame builder that prepends headers from the inside out.
 *
 * Link-layer and tunnel tests spell their frames out as annotated byte arrays; the
 * builder is for the TCP and fragment cases, where the interesting part is sequence
 * numbers and offsets, not header bytes. */
#ifndef CT_TEST_FRAMES_H
#define CT_TEST_FRAMES_H

#include <stdint.h>
#include <string.h>

#include "capture/capture.h"

#define H_MAX_UDP 64
#define H_STREAM_MAX 65536

struct h_udp {
	struct ct_pkt p;          /* addresses/ports only; pointers are dead after the call */
	uint8_t data[2048];
	size_t dlen;
	int dir;
	uint64_t flow_id;
};

struct h_stream {
	uint8_t buf[2][H_STREAM_MAX]; /* bytes delivered per direction */
	size_t len[2];
	unsigned gaps[2];
	uint32_t gap_bytes[2];
	unsigned closes;
	unsigned calls;
	/* parser behaviour: consume whole lines ending in '\n' only (need-more otherwise) */
	int line_mode;
	/* parser answers ERROR when it sees this byte */
	int error_byte;
	unsigned messages[2];
};

struct harness {
	struct ct_capture cap;
	struct ct_counters ctr;
	struct h_udp udp[H_MAX_UDP];
	unsigned nudp;
	struct h_stream *stream;   /* the parser state given to the most recent TCP flow */
	struct h_stream *streams[64]; /* all of them, freed by h_free */
	unsigned nstreams;
	unsigned flow_closes;
	int line_mode;
	int error_byte;
	/* the capture clock as the layers above see it */
	unsigned clock_calls;
	ct_time_t clock_last;
	unsigned jumps;
	ct_time_t jump_from, jump_to;
	unsigned jump_frames;
};

/* Builds a capture with default settings, then cfg_fn (if any) may change them. */
void h_init(struct harness *h, void (*cfg_fn)(struct ct_capture_cfg *cfg));
void h_free(struct harness *h);
void h_frame(struct harness *h, int linktype, ct_time_t ts, const uint8_t *frame, size_t len);
/* End of input: a frame after a silence longer than CT_CLOCK_WINDOW waits for the frames after
 * it (the capture clock's rule, capture.h); a test whose input ends there says so with this. */
void h_end_of_input(struct harness *h);

/* Frame builder: data sits at the end of buf; each call prepends a header. */
struct fb {
	uint8_t buf[70000];
	size_t off;
};

void fb_payload(struct fb *f, const void *data, size_t len);
static inline const uint8_t *fb_data(const struct fb *f) { return f->buf + f->off; }
static inline size_t fb_len(const struct fb *f) { return sizeof(f->buf) - f->off; }
void fb_udp(struct fb *f, uint16_t sport, uint16_t dport);
void fb_tcp(struct fb *f, uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags);
/* frag: the flags+offset word (0x2000 = MF, offset in 8-byte units) */
void fb_ipv4(struct fb *f, const char *src, const char *dst, uint8_t proto, uint16_t id, uint16_t frag, uint8_t ttl);
void fb_ipv6(struct fb *f, const char *src, const char *dst, uint8_t nh);
void fb_ipv6_frag(struct fb *f, uint8_t nh, uint16_t off_bytes, int more, uint32_t id);
void fb_vlan(struct fb *f, uint16_t vid, uint16_t inner_type);
void fb_eth(struct fb *f, uint16_t type);

/* One Ethernet/IPv4/TCP frame into the harness. */
void h_tcp(struct harness *h, ct_time_t ts, const char *src, uint16_t sport, const char *dst, uint16_t dport,
	   uint32_t seq, uint32_t ack, uint8_t flags, const char *payload);

#endif
