/*
 * clock: the one wall clock of TIP.  Tests replace it with a fake that
 * they advance by hand; nothing else in the tree calls clock_gettime for
 * wall time.
 *
 * Routers boot with a wrong clock and set it later by NTP.  Until the
 * clock is known to be set, records carry REC_F_CLOCK_UNSET so analysts
 * can tell their times apart.  It is "known" when the owner says so
 * (clock_set_synced) or when the time is past CLOCK_SANE_US.
 *
 * Threads: clock_now_us, clock_mono_us, clock_is_set and clock_set_synced
 * may be called from any thread; clock_fake and clock_advance only while
 * no other thread runs (tests).
 */
#ifndef TIP_CLOCK_H
#define TIP_CLOCK_H

#include <stdint.h>

/* 2024-01-01T00:00:00Z: a clock before this has not been set. */
#define CLOCK_SANE_US 1704067200000000LL

int64_t clock_now_us(void);		/* wall clock, microseconds since 1970 UTC */
int64_t clock_mono_us(void);		/* monotonic, for intervals */
int clock_is_set(void);			/* 1 when the wall clock can be trusted */
void clock_set_synced(int synced);	/* -1 back to the heuristic */

/*
 * A duration in microseconds as the seconds libev's timers take, from 0
 * (a negative one) to INT32_MAX s.  Through 32-bit parts: converting a
 * 64-bit integer to double is a libgcc routine on 32-bit ARM, which pulls
 * in 2 KB of software floating point that tipd otherwise has no use for.
 */
static inline double clock_us_to_s(int64_t us)
{
	if (us <= 0)
		return 0;
	int64_t s = us / 1000000;
	if (s >= INT32_MAX)
		return INT32_MAX;
	return (double)(int32_t)s + (double)(int32_t)(us % 1000000) / 1e6;
}

/* Tests: a fake clock, frozen at `us` (monotonic follows it). 0 = real. */
void clock_fake(int64_t us);
void clock_advance(int64_t us);

#endif
