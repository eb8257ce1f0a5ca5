/* frames.h - the input layout shared by the capture-level fuzz targets (fuzz/mkcorpus.py
 * writes it): byte 0 picks the link type, then frames, each a 2-byte big-endian length, a
 * 1-byte time step (units of 64 ms, so timeouts and expiry are reached) and the bytes. */
#ifndef CT_FUZZ_FRAMES_H
#define CT_FUZZ_FRAMES_H

#include <stddef.h>
#include <stdint.h>

#include "capture/capture.h"

static inline int fuzz_linktype(uint8_t b)
{
	static const int links[] = { CT_LINK_ETHERNET, CT_LINK_LINUX_SLL, CT_LINK_LINUX_SLL2, CT_LINK_RAW,
				     CT_LINK_NULL, CT_LINK_LOOP, CT_LINK_IPV4, CT_LINK_IPV6 };
	return links[b % (sizeof(links) / sizeof(links[0]))];
}

/* Feeds every frame of the input (after byte 0) to the capture. */
static inline void fuzz_feed(struct ct_capture *c, int link, const uint8_t *data, size_t size)
{
	ct_time_t ts = 1000000;
	size_t off = 1;
	while (off + 3 <= size) {
		size_t len = ((size_t)data[off] << 8) | data[off + 1];
		ts += (ct_time_t)data[off + 2] * 64000u;
		off += 3;
		if (len > size - off)
			len = size - off;
		ct_capture_frame(c, link, ts, data + off, (uint32_t)len, (uint32_t)len);
		off += len;
	}
}

#endif
