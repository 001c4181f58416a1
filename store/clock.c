/*
 * clock: wall and monotonic time, replaceable by a fake in tests (clock.h).
 * The fake is process-wide and not thread-safe to change: tests set it
 * before they start anything that reads it.  What the owner said of the
 * clock (clock_set_synced, on tipd's loop thread) is read by the writer
 * thread too, so it is an atomic.
 */
#include <stdatomic.h>
#include <time.h>

#include "clock.h"

static int64_t fake_us;		/* 0: real clock */
static int64_t fake_mono_us;
static atomic_int synced = -1;	/* -1: decide by CLOCK_SANE_US */

static int64_t read_clock(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t clock_now_us(void)
{
	return fake_us ? fake_us : read_clock(CLOCK_REALTIME);
}

int64_t clock_mono_us(void)
{
	return fake_us ? fake_mono_us : read_clock(CLOCK_MONOTONIC);
}

int clock_is_set(void)
{
	int s = atomic_load(&synced);
	if (s >= 0)
		return s;
	return clock_now_us() >= CLOCK_SANE_US;
}

void clock_set_synced(int s)
{
	atomic_store(&synced, s < 0 ? -1 : !!s);
}

void clock_fake(int64_t us)
{
	fake_us = us;
	fake_mono_us = 1000000;
}

void clock_advance(int64_t us)
{
	fake_us += us;
	fake_mono_us += us;
}
