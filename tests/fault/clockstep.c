/*
 * clockstep: an LD_PRELOAD shim that steps the wall clock of the process
 * it is loaded into, as an NTP sync steps a router's clock, for
 * tests/integration/clockstep.sh.  CLOCK_REALTIME (clock_gettime,
 * gettimeofday, time) is offset by the number of seconds in the file
 * CLOCKSTEP_FILE, read again at most every 50 ms of monotonic time; the
 * monotonic clocks are left alone, as the kernel leaves them.
 * Test code only: built as $(O)/tests/clockstep.so.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdlib.h>
#include <sys/time.h>
#include <time.h>
#include <sys/syscall.h>
#include <unistd.h>

static long long offset_s, last_ns;

/* The real clock by the system call itself, not dlsym(RTLD_NEXT): a
 * sanitizer runtime reads the clock from inside its allocator, where
 * dlsym (which allocates) would come back into this shim. */
static int real_cg(clockid_t id, struct timespec *ts)
{
	return (int)syscall(SYS_clock_gettime, id, ts);
}

static void refresh(void)
{
	struct timespec m;
	real_cg(CLOCK_MONOTONIC, &m);
	long long now = (long long)m.tv_sec * 1000000000LL + m.tv_nsec;
	if (last_ns && now - last_ns < 50000000LL)
		return;
	last_ns = now;
	const char *p = getenv("CLOCKSTEP_FILE");
	int fd = p ? open(p, O_RDONLY | O_CLOEXEC) : -1;
	if (fd < 0)
		return;
	char buf[32];
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n > 0) {
		buf[n] = 0;
		__atomic_store_n(&offset_s, strtoll(buf, NULL, 10), __ATOMIC_RELAXED);
	}
}

int clock_gettime(clockid_t id, struct timespec *ts)
{
	refresh();
	int rc = real_cg(id, ts);
	if (rc == 0 && (id == CLOCK_REALTIME || id == CLOCK_REALTIME_COARSE))
		ts->tv_sec += (time_t)__atomic_load_n(&offset_s, __ATOMIC_RELAXED);
	return rc;
}

int gettimeofday(struct timeval *tv, void *tz)
{
	struct timespec ts;
	(void)tz;
	if (clock_gettime(CLOCK_REALTIME, &ts) < 0)
		return -1;
	tv->tv_sec = ts.tv_sec;
	tv->tv_usec = ts.tv_nsec / 1000;
	return 0;
}

time_t time(time_t *t)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	if (t)
		*t = ts.tv_sec;
	return ts.tv_sec;
}
