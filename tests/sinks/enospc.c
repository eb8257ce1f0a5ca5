/* enospc.c - LD_PRELOAD shim that makes a disk look full on demand, for the output fault tests
 * where no small filesystem can be mounted (not root).
 *
 * While the file named by CTITAP_ENOSPC_FLAG exists, write() to a file under the directory
 * CTITAP_ENOSPC_DIR behaves as on a filesystem that just filled up: the first write of the
 * period stores half its bytes and returns that short count, every later one fails with
 * ENOSPC. Once the flag file is gone writes succeed again. Other files are not touched. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

static ssize_t (*real_write)(int, const void *, size_t);
static int short_done = -1; /* fd whose short write of this full period was given */

static int under_dir(int fd)
{
	const char *dir = getenv("CTITAP_ENOSPC_DIR");
	if (!dir || !*dir)
		return 0;
	char link[64], path[PATH_MAX];
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	ssize_t n = readlink(link, path, sizeof(path) - 1);
	if (n <= 0)
		return 0;
	path[n] = '\0';
	size_t dl = strlen(dir);
	return strncmp(path, dir, dl) == 0 && (path[dl] == '/' || path[dl] == '\0');
}

ssize_t write(int fd, const void *buf, size_t count)
{
	if (!real_write)
		real_write = (ssize_t(*)(int, const void *, size_t))dlsym(RTLD_NEXT, "write");
	const char *flag = getenv("CTITAP_ENOSPC_FLAG");
	if (fd > 2 && flag && access(flag, F_OK) == 0 && under_dir(fd)) {
		if (short_done != fd && count >= 2) {
			short_done = fd;
			return real_write(fd, buf, count / 2);
		}
		errno = ENOSPC;
		return -1;
	}
	if (flag && short_done >= 0 && access(flag, F_OK) != 0)
		short_done = -1;
	return real_write(fd, buf, count);
}
