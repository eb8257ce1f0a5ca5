/* fuzz_pcapfile.c - libFuzzer target for the direct pcap file reader (capture/pcapfile.h):
 * the input is a capture file, read once directly and once by libpcap alone; the two must hand
 * on the same frames and end alike (fuzz/pcapfile_diff.h), or the target aborts.
 *
 * The last byte sets the direct reader's buffer size (so that short inputs cross its refills
 * too); an odd-sized input is read through a BPF filter. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "pcapfile_diff.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd = memfd_create("fuzz_pcapfile", MFD_CLOEXEC);
	if (fd < 0)
		return 0;
	size_t done = 0;
	while (done < size) {
		ssize_t n = write(fd, data + done, size - done);
		if (n <= 0) {
			close(fd);
			return 0;
		}
		done += (size_t)n;
	}
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	size_t bufsize = size ? 16 + (size_t)data[size - 1] * 4 : 0;
	if (!pfd_same(path, size & 1 ? "udp or ip6" : NULL, bufsize, NULL))
		abort();
	close(fd);
	return 0;
}
