/*
 * series: the fast-flux score of one domain over time, the one data set
 * behind `tip graph` and tip serve's domain page, so the two cannot
 * disagree.
 *
 * Where the values come from:
 *   samples  the REC_SCORE records the sensor wrote for the name (running
 *            totals, window 0; the classification window when there are
 *            no running totals), when they all come from one sensor;
 *   lookups  otherwise: the name's DNS observations of every store, in
 *            time order, counted cumulatively with agg (sets, never lists:
 *            the value after a lookup is the score of everything seen up
 *            to it), ASNs from the domain's own lookup (agg_domain_asn_of).
 * Both are step functions: a value holds until the next one, up to
 * t_end_us, so a store gives the same series before and after
 * `tip compact` (coalescing only drops repeats that change no set).
 * A stored score becomes hundredths through flux_x100_of only.
 *
 * Memory: the walk copies the name's observations (the store's bytes are
 * mapped only during it); series_fini frees the points.  Not thread-safe
 * per object; distinct objects may be filled on distinct threads.
 */
#ifndef TIP_SERIES_H
#define TIP_SERIES_H

#include <stddef.h>
#include <stdint.h>

#include "agg.h"
#include "store.h"
#include "svg.h"

enum series_src { SERIES_AUTO, SERIES_SAMPLES, SERIES_LOOKUPS };

/* series_domain's errors besides -1 (out of memory). */
#define SERIES_E_SENSORS (-2)	/* SERIES_SAMPLES: samples of several sensors */
#define SERIES_E_NO_SAMPLES (-3)	/* SERIES_SAMPLES: none of this name */

struct series {
	struct svg_point *v;	/* in time order */
	size_t n, alloc;
	int64_t t_end_us;	/* the last value holds up to here */
	int from_samples;	/* 1: the sensor's samples, 0: the lookups */
	const char *source;	/* fixed words saying which, for a caption */
};

/*
 * The series of all (a finished agg_domain_lookup of the name, with the
 * same filter f) from the stores of set.  extra, when not NULL, sees every
 * record of the walk too (a page's other figures from the same pass).
 * 0; -1 out of memory; SERIES_E_*.  s->n may be 0 (no observation in f).
 * s is always initialised: series_fini it.
 */
int series_domain(struct series *s, const struct store_set *set, const struct agg_domain *all,
		  const struct agg_filter *f, enum series_src src, store_rec_cb extra,
		  void *extra_ctx);
void series_fini(struct series *s);

/*
 * The running totals a caption states: all's (the curve's end), or, drawn
 * from samples, the last sample's, so the picture and its caption tell the
 * same story; the classification window's verdict is all->v.
 */
void series_verdict(const struct series *s, const struct agg_domain *all,
		    struct flux_verdict *v);

#endif
