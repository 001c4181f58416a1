/*
 * faultinj: an LD_PRELOAD shim that makes one system call fail, as a
 * failing disk would, for the fault-injection tests (tests/fault/run.sh).
 *
 *   FAULT_PATH=/abs/dir   only calls on paths under it, and on descriptors
 *                         opened under it, are counted (required)
 *   FAULT_CALL=write      which: write pwrite fsync fdatasync rename open
 *                         mkdir unlink close, or "any" (every one of them)
 *   FAULT_N=7             fail the 7th counted call (0 or unset: none)
 *   FAULT_ERR=EIO         EIO, ENOSPC, EINTR, or SHORT (write/pwrite write
 *                         half and return that; other calls: EIO)
 *   FAULT_STICKY=1        fail every call from the N-th on (a full disk)
 *   FAULT_UNTIL=M         fail the N-th to the M-th (a disk that comes back)
 *   FAULT_COUNT=FILE      at exit, append "CALL COUNT" lines to FILE, so a
 *                         test can learn how many calls a run makes
 *
 * Each injected failure prints "faultinj: CALL #N: ERR" on stderr.  The
 * failing close still closes (Linux semantics).  Threads: counters are
 * atomic.  This is test code: it is built only as $(O)/tests/faultinj.so.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

enum { C_WRITE, C_PWRITE, C_FSYNC, C_FDATASYNC, C_RENAME, C_OPEN, C_MKDIR, C_UNLINK, C_CLOSE, C_N };
static const char *const names[C_N] = {"write", "pwrite", "fsync", "fdatasync", "rename",
				       "open", "mkdir", "unlink", "close"};

#define FD_MAX 65536
static unsigned char marked[FD_MAX];
static unsigned long counts[C_N];
static unsigned long total;
static const char *prefix;
static size_t prefix_len;
static int which = -2;		/* -2: not set up, -1: any */
static unsigned long fail_n, fail_until;
static int fail_err = EIO, fail_short, sticky;
static const char *count_file;

static void report(void)
{
	if (!count_file)
		return;
	FILE *f = fopen(count_file, "a");
	if (!f)
		return;
	for (int i = 0; i < C_N; i++)
		fprintf(f, "%s %lu\n", names[i], counts[i]);
	fprintf(f, "any %lu\n", total);
	fclose(f);
}

__attribute__((constructor)) static void setup(void)
{
	if (which != -2)
		return;
	const char *c = getenv("FAULT_CALL"), *n = getenv("FAULT_N"), *e = getenv("FAULT_ERR");
	prefix = getenv("FAULT_PATH");
	prefix_len = prefix ? strlen(prefix) : 0;
	fail_n = n ? strtoul(n, NULL, 10) : 0;
	fail_until = getenv("FAULT_UNTIL") ? strtoul(getenv("FAULT_UNTIL"), NULL, 10) : 0;
	sticky = getenv("FAULT_STICKY") && *getenv("FAULT_STICKY") == '1';
	which = -1;
	for (int i = 0; c && i < C_N; i++)
		if (!strcmp(c, names[i]))
			which = i;
	if (e && !strcmp(e, "ENOSPC"))
		fail_err = ENOSPC;
	else if (e && !strcmp(e, "EINTR"))
		fail_err = EINTR;
	else if (e && !strcmp(e, "SHORT"))
		fail_short = 1;
	count_file = getenv("FAULT_COUNT");
	if (count_file)
		atexit(report);
}

static int under(const char *path)
{
	return prefix_len && path && !strncmp(path, prefix, prefix_len) &&
	       (path[prefix_len] == '/' || path[prefix_len] == 0);
}

static int fd_under(int fd)
{
	return fd >= 0 && fd < FD_MAX && __atomic_load_n(&marked[fd], __ATOMIC_RELAXED);
}

/* Count one call of kind k; 1 when it must fail. */
static int hit(int k)
{
	setup();
	unsigned long nk = __atomic_add_fetch(&counts[k], 1, __ATOMIC_RELAXED);
	unsigned long na = __atomic_add_fetch(&total, 1, __ATOMIC_RELAXED);
	if (!fail_n || (which >= 0 && which != k))
		return 0;
	unsigned long i = which >= 0 ? nk : na;
	if (i == fail_n || (i > fail_n && (sticky || i <= fail_until))) {
		char msg[96];
		int len = snprintf(msg, sizeof msg, "faultinj: %s #%lu: %s\n", names[k], i,
				   fail_short ? "short" : strerrorname_np(fail_err));
		ssize_t (*w)(int, const void *, size_t) = dlsym(RTLD_NEXT, "write");
		if (w && len > 0)
			(void)w(2, msg, (size_t)len);
		return 1;
	}
	return 0;
}

#define REAL(ret, name, ...)                                                          \
	static ret (*real_##name)(__VA_ARGS__);                                       \
	if (!real_##name)                                                             \
		real_##name = (ret(*)(__VA_ARGS__))dlsym(RTLD_NEXT, #name)

static int fail(void)
{
	errno = fail_short ? EIO : fail_err;
	return -1;
}

static int opened(int fd, const char *path)
{
	if (fd >= 0 && fd < FD_MAX)
		__atomic_store_n(&marked[fd], under(path), __ATOMIC_RELAXED);
	return fd;
}

static int do_open(const char *path, int flags, mode_t mode, int at, int dirfd, int is64)
{
	if (under(path) && hit(C_OPEN))
		return fail();
	int fd;
	if (at) {
		if (is64) {
			REAL(int, openat64, int, const char *, int, ...);
			fd = real_openat64(dirfd, path, flags, mode);
		} else {
			REAL(int, openat, int, const char *, int, ...);
			fd = real_openat(dirfd, path, flags, mode);
		}
	} else if (is64) {
		REAL(int, open64, const char *, int, ...);
		fd = real_open64(path, flags, mode);
	} else {
		REAL(int, open, const char *, int, ...);
		fd = real_open(path, flags, mode);
	}
	return opened(fd, path);
}

#define MODE_ARG                                                                      \
	mode_t mode = 0;                                                              \
	if (flags & (O_CREAT | __O_TMPFILE)) {                                        \
		va_list ap;                                                           \
		va_start(ap, flags);                                                  \
		mode = va_arg(ap, mode_t);                                            \
		va_end(ap);                                                           \
	}

int open(const char *path, int flags, ...)
{
	MODE_ARG
	return do_open(path, flags, mode, 0, 0, 0);
}

int open64(const char *path, int flags, ...)
{
	MODE_ARG
	return do_open(path, flags, mode, 0, 0, 1);
}

int openat(int dirfd, const char *path, int flags, ...)
{
	MODE_ARG
	return do_open(path, flags, mode, 1, dirfd, 0);
}

int openat64(int dirfd, const char *path, int flags, ...)
{
	MODE_ARG
	return do_open(path, flags, mode, 1, dirfd, 1);
}

ssize_t write(int fd, const void *buf, size_t n)
{
	REAL(ssize_t, write, int, const void *, size_t);
	if (fd_under(fd) && hit(C_WRITE)) {
		if (fail_short && n > 1)
			return real_write(fd, buf, n / 2);
		return fail();
	}
	return real_write(fd, buf, n);
}

static ssize_t do_pwrite(int fd, const void *buf, size_t n, off_t off)
{
	REAL(ssize_t, pwrite64, int, const void *, size_t, off_t);
	if (fd_under(fd) && hit(C_PWRITE)) {
		if (fail_short && n > 1)
			return real_pwrite64(fd, buf, n / 2, off);
		return fail();
	}
	return real_pwrite64(fd, buf, n, off);
}

ssize_t pwrite(int fd, const void *buf, size_t n, off_t off)
{
	return do_pwrite(fd, buf, n, off);
}

ssize_t pwrite64(int fd, const void *buf, size_t n, off_t off)
{
	return do_pwrite(fd, buf, n, off);
}

int fsync(int fd)
{
	REAL(int, fsync, int);
	if (fd_under(fd) && hit(C_FSYNC))
		return fail();
	return real_fsync(fd);
}

int fdatasync(int fd)
{
	REAL(int, fdatasync, int);
	if (fd_under(fd) && hit(C_FDATASYNC))
		return fail();
	return real_fdatasync(fd);
}

int close(int fd)
{
	REAL(int, close, int);
	int inj = fd_under(fd) && hit(C_CLOSE);
	if (fd >= 0 && fd < FD_MAX)
		__atomic_store_n(&marked[fd], 0, __ATOMIC_RELAXED);
	int rc = real_close(fd);	/* closed even when it "fails", as on Linux */
	if (inj)
		return fail();
	return rc;
}

int rename(const char *a, const char *b)
{
	REAL(int, rename, const char *, const char *);
	if ((under(a) || under(b)) && hit(C_RENAME))
		return fail();
	return real_rename(a, b);
}

int renameat(int da, const char *a, int db, const char *b)
{
	REAL(int, renameat, int, const char *, int, const char *);
	if ((under(a) || under(b)) && hit(C_RENAME))
		return fail();
	return real_renameat(da, a, db, b);
}

int mkdir(const char *path, mode_t mode)
{
	REAL(int, mkdir, const char *, mode_t);
	if (under(path) && hit(C_MKDIR))
		return fail();
	return real_mkdir(path, mode);
}

int unlink(const char *path)
{
	REAL(int, unlink, const char *);
	if (under(path) && hit(C_UNLINK))
		return fail();
	return real_unlink(path);
}

int unlinkat(int dirfd, const char *path, int flags)
{
	REAL(int, unlinkat, int, const char *, int);
	if (under(path) && hit(C_UNLINK))
		return fail();
	return real_unlinkat(dirfd, path, flags);
}
