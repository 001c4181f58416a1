/*
 * svg: the picture of one domain's fast-flux score over time, the one
 * renderer of `tip graph` (a file) and tip serve's domain page (inline),
 * drawn from a series (series.h).  The output goes through a caller's put
 * function, so it can be a response buffer or a FILE.
 *
 * The picture: the name and a caption (score, verdict, counts, time
 * seen, where the values come from); the score in the upper panel, with
 * the 142.38 threshold as a dashed line and the flux region shaded; nA
 * (unique IPv4 addresses) and nASN (unique origin ASNs) in the lower one;
 * a shared UTC time axis with ticks on round steps (minutes to calendar
 * months).  Values are step lines: a value holds until the next one, up
 * to the series' end.
 *
 * Invariants: the only untrusted text is the name, which goes through
 * svg_text (html_text_to, the same escaping as the pages' text: XML-escaped,
 * a backslash as "\\", control bytes, C1 controls, U+FFFE/FFFF and invalid
 * UTF-8 as "\xNN", direction overrides as "\u202e"), so the element is
 * well-formed whatever the name holds and cannot reorder the text around it.  Presentation attributes only (no style attribute, no script),
 * so it renders under a Content-Security-Policy with style-src 'self' and
 * no script-src.  At most SVG_MAX_POINTS points are drawn (the last of
 * each half-pixel column beyond that), so a year of lookups stays small.
 */
#ifndef TIP_SVG_H
#define TIP_SVG_H

#include <stddef.h>
#include <stdint.h>

#include "flux_score.h"

#define SVG_MAX_POINTS 2000

typedef void (*svg_put_fn)(void *ctx, const char *s, size_t n);

struct svg_point {
	int64_t t_us;		/* microseconds since 1970 UTC */
	uint32_t n_a, n_asn;
	int32_t score_x100;	/* score in hundredths (flux_score.h) */
};

struct svg_graph {
	const char *name;	/* untrusted: escaped here */
	size_t name_len;
	const struct flux_verdict *v;	/* what the caption states */
	uint64_t lookups;
	int64_t first_us, last_us;	/* the caption's time seen */
	const char *source;	/* fixed words: where the values come from */
	struct svg_point *pts;	/* in time order; thinned in place */
	size_t n;		/* 0: an empty frame saying so */
	int64_t t_end_us;	/* the last value holds up to here */
	int standalone;		/* 1: a file (XML declaration first); 0: inline in HTML */
	const struct flux_verdict *win;	/* the classification window's verdict, stated first
					 * (v is then the running totals); NULL: v alone */
};

void svg_score_graph(svg_put_fn put, void *ctx, struct svg_graph *g);

/* Untrusted bytes as XML character data or an attribute value (see above). */
void svg_text(svg_put_fn put, void *ctx, const void *s, size_t n);

#endif
