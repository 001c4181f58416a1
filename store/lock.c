/*
 * lock: the writer's lock of a store (lock.h).
 *
 * open(O_RDWR | O_CREAT), flock(LOCK_EX | LOCK_NB), then the holder's
 * "PID PROGRAM" line.  O_RDWR also proves the store can be written: a
 * store on a read-only mount is refused here, before any recovery runs.
 * The holder's line is read only to word a refusal, through the bounded
 * cursor, and printed escaped (the file may hold anything).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "modes.h"
#include "buf.h"
#include "lock.h"

void store_lock_holder(const uint8_t *raw, size_t n, char *out, size_t cap)
{
	char pid[24] = "", who[64] = "";
	size_t np = 0, nw = 0;
	struct buf_rd b;

	if (!cap)
		return;
	buf_rd_init(&b, raw, n);
	while (buf_left(&b) && b.p[b.off] >= '0' && b.p[b.off] <= '9' && np < sizeof pid - 1)
		pid[np++] = (char)buf_get_u8(&b);
	pid[np] = 0;
	if (buf_left(&b) && b.p[b.off] == ' ')
		buf_skip(&b, 1);
	while (buf_left(&b) && b.p[b.off] != '\n' && nw < sizeof who - 1) {
		uint8_t c = buf_get_u8(&b);
		who[nw++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	who[nw] = 0;
	if (np)
		snprintf(out, cap, "%s (pid %s)", nw ? who : "a writer", pid);
	else
		snprintf(out, cap, "another writer");
}

/* The holder of the lock open on fd, for a refusal. */
static void holder(int fd, char *out, size_t cap)
{
	uint8_t raw[96];
	ssize_t n = pread(fd, raw, sizeof raw, 0);
	store_lock_holder(raw, n > 0 ? (size_t)n : 0, out, cap);
}

int store_lock_note(int fd, const char *who)
{
	char line[96];
	int n = snprintf(line, sizeof line, "%ld %s\n", (long)getpid(), who ? who : "tip");
	if (n < 0 || (size_t)n >= sizeof line) {
		errno = EINVAL;
		return -1;
	}
	if (ftruncate(fd, 0) < 0 || pwrite(fd, line, (size_t)n, 0) != n)
		return -1;
	return 0;
}

int store_lock_open(const char *dir, const char *who, char *err, size_t errlen)
{
	char path[PATH_MAX];
	if (snprintf(path, sizeof path, "%s/%s", dir, STORE_LOCK_NAME) >= (int)sizeof path) {
		snprintf(err, errlen, "%s: path too long", dir);
		errno = ENAMETOOLONG;
		return -1;
	}
	if (mkdir(dir, STORE_DIR_MODE) < 0 && errno != EEXIST) {
		int e = errno;
		snprintf(err, errlen, "%s: %s", dir, strerror(e));
		errno = e;
		return -1;
	}
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, STORE_FILE_MODE);
	if (fd < 0) {
		int e = errno;
		snprintf(err, errlen, "%s: cannot write the store: %s", path, strerror(e));
		errno = e;
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int e = errno;
		if (e == EWOULDBLOCK) {
			char h[128];
			holder(fd, h, sizeof h);
			snprintf(err, errlen, "%s: in use by %s: one writer per store", dir, h);
			e = EBUSY;
		} else {
			snprintf(err, errlen, "%s: lock: %s", path, strerror(e));
		}
		close(fd);
		errno = e;
		return -1;
	}
	if (store_lock_note(fd, who) < 0) {
		int e = errno;
		snprintf(err, errlen, "%s: cannot write the store: %s", path, strerror(e));
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

void store_lock_close(int fd)
{
	if (fd >= 0)
		close(fd);
}
