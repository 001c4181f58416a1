/*
 * svg: the fast-flux score of one domain over time as one standalone
 * <svg> element, for tip serve's domain page (inline) and for tip graph
 * (a file).  The output goes through a caller's put function, so it can be
 * a response buffer or a FILE.
 *
 * Invariant: the element holds no untrusted text at all: only numbers,
 * dates formatted here and fixed words; the caller puts the domain name
 * in its own (escaped) caption.  It uses presentation attributes only (no
 * style attribute, no script), so it renders under a Content-Security-
 * Policy with style-src 'self' and no script-src.
 *
 * Axes: time (UTC) across, score down from 0 to a little above the
 * larger of the highest score and the threshold 142.38, which is drawn as
 * a dashed line.  Points are drawn as a line, and as dots when few.
 */
#ifndef TIP_SVG_H
#define TIP_SVG_H

#include <stddef.h>
#include <stdint.h>

typedef void (*svg_put_fn)(void *ctx, const char *s, size_t n);

struct svg_point {
	int64_t t_us;		/* microseconds since 1970 UTC */
	int32_t score_x100;	/* score in hundredths (flux_score.h) */
};

/*
 * Write the graph of pts[0..n) (any order; sorted here by time is not
 * done: pass them in time order) at width x height pixels.  n may be 0:
 * an empty frame saying so.
 */
void svg_score_graph(svg_put_fn put, void *ctx, const struct svg_point *pts, size_t n, int width,
		     int height);

#endif
