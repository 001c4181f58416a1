/*
 * svg: the score-over-time graph (svg.h).  All text in the element is
 * produced here from numbers, so nothing needs escaping; coordinates are
 * printed with one decimal in the C locale (tip never calls setlocale).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "flux_score.h"
#include "svg.h"

struct out {
	svg_put_fn put;
	void *ctx;
};

static void pf(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void pf(struct out *o, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->put(o->ctx, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

/* A tick step of 1, 2 or 5 times a power of ten, near span/want. */
static double nice_step(double span, int want)
{
	double raw = span / want, p = 1;
	while (p * 10 <= raw)
		p *= 10;
	while (p > raw)
		p /= 10;
	double m = raw / p;
	return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * p;
}

static void date_label(char *out, size_t cap, int64_t us, int64_t span_us)
{
	time_t t = (time_t)(us / 1000000);
	struct tm tm;
	if (!gmtime_r(&t, &tm)) {
		snprintf(out, cap, "?");
		return;
	}
	if (span_us > 4LL * 86400 * 1000000)
		strftime(out, cap, "%Y-%m-%d", &tm);
	else if (span_us > 4LL * 3600 * 1000000)
		strftime(out, cap, "%m-%d %H:%M", &tm);
	else
		strftime(out, cap, "%H:%M:%S", &tm);
}

void svg_score_graph(svg_put_fn put, void *ctx, const struct svg_point *pts, size_t n, int width,
		     int height)
{
	struct out o = {put, ctx};
	const double ml = 58, mr = 18, mt = 14, mb = 44;
	double pw = width - ml - mr, ph = height - mt - mb;
	pf(&o, "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"score-graph\" width=\"%d\" "
	       "height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"Fast-flux score over "
	       "time\"><title>Fast-flux score over time</title>",
	   width, height, width, height);
	pf(&o, "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>", width, height);
	if (n == 0) {
		pf(&o, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" font-size=\"14\" "
		       "fill=\"#5b6670\">no score samples</text></svg>",
		   width / 2, height / 2);
		return;
	}
	int64_t t0 = pts[0].t_us, t1 = pts[0].t_us;
	int32_t smax = FLUX_THRESHOLD;
	for (size_t i = 0; i < n; i++) {
		if (pts[i].t_us < t0)
			t0 = pts[i].t_us;
		if (pts[i].t_us > t1)
			t1 = pts[i].t_us;
		if (pts[i].score_x100 > smax)
			smax = pts[i].score_x100;
	}
	if (t1 - t0 < 60 * 1000000LL) {	/* one instant: a minute either side */
		t0 -= 60 * 1000000LL;
		t1 += 60 * 1000000LL;
	}
	double ymax = smax / 100.0 * 1.1;
	double ystep = nice_step(ymax, 5);
	double span = (double)(t1 - t0);
#define X(t) (ml + pw * (double)((t) - t0) / span)
#define Y(v) (mt + ph - ph * (v) / ymax)
	/* grid and y labels */
	for (double v = 0; v <= ymax + 1e-9; v += ystep) {
		pf(&o, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e3e8ee\"/>",
		   ml, Y(v), ml + pw, Y(v));
		pf(&o, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" font-size=\"11\" "
		       "fill=\"#3b4650\">%.0f</text>",
		   ml - 6, Y(v) + 4, v);
	}
	/* x labels: five instants across */
	for (int k = 0; k <= 4; k++) {
		int64_t t = t0 + (int64_t)((double)(t1 - t0) * k / 4);
		char lab[32];
		date_label(lab, sizeof lab, t, t1 - t0);
		pf(&o, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#8797a8\"/>",
		   X(t), mt + ph, X(t), mt + ph + 4);
		pf(&o, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" font-size=\"11\" "
		       "fill=\"#3b4650\">%s</text>",
		   X(t), mt + ph + 17, k == 0 ? "start" : k == 4 ? "end" : "middle", lab);
	}
	pf(&o, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"11\" "
	       "fill=\"#5b6670\">time (UTC)</text>",
	   ml + pw / 2, (double)height - 6);
	pf(&o, "<text x=\"12\" y=\"%.1f\" font-size=\"11\" fill=\"#5b6670\" "
	       "transform=\"rotate(-90 12 %.1f)\" text-anchor=\"middle\">score</text>",
	   mt + ph / 2, mt + ph / 2);
	/* axes */
	pf(&o, "<path d=\"M%.1f %.1fV%.1fH%.1f\" fill=\"none\" stroke=\"#3b4650\"/>", ml, mt, mt + ph,
	   ml + pw);
	/* threshold */
	double yt = Y(FLUX_THRESHOLD / 100.0);
	pf(&o, "<line class=\"threshold\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
	       "stroke=\"#c9302c\" stroke-dasharray=\"6 4\"/>",
	   ml, yt, ml + pw, yt);
	pf(&o, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" font-size=\"11\" "
	       "fill=\"#c9302c\">fast flux above 142.38</text>",
	   ml + pw - 4, yt - 5);
	/* the scores */
	pf(&o, "<polyline class=\"score\" fill=\"none\" stroke=\"#1f6fc5\" stroke-width=\"2\" "
	       "points=\"");
	for (size_t i = 0; i < n; i++)
		pf(&o, "%s%.1f,%.1f", i ? " " : "", X(pts[i].t_us), Y(pts[i].score_x100 / 100.0));
	pf(&o, "\"/>");
	if (n <= 64)
		for (size_t i = 0; i < n; i++)
			pf(&o, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>", X(pts[i].t_us),
			   Y(pts[i].score_x100 / 100.0),
			   flux_is_flux(pts[i].score_x100) ? "#c9302c" : "#1f6fc5");
#undef X
#undef Y
	pf(&o, "</svg>");
}
