/*
 * svg: the score-over-time picture (svg.h).  Plain SVG 1.1 text written
 * by hand (no graphics library); coordinates are printed with one decimal
 * in the C locale (tip never calls setlocale).  Everything but the name
 * is produced here from numbers and fixed words.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "agg.h"
#include "html.h"
#include "svg.h"
#include "util.h"

/* Geometry of the picture, in SVG user units (pixels). */
#define W 1000
#define H 640
#define PX0 90			/* plot area left */
#define PX1 940			/* plot area right */
#define P1Y0 122		/* score panel top */
#define P1Y1 342		/* score panel bottom */
#define P2Y0 385		/* count panel top */
#define P2Y1 570		/* count panel bottom */

#define C_SCORE "#1f5fbf"
#define C_THRESH "#c62828"
#define C_NA "#2e7d32"
#define C_NASN "#e65100"

struct out {
	svg_put_fn put;
	void *ctx;
};

struct svg_series {
	struct svg_point *v;
	size_t n;
};

static void pf(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void pf(struct out *o, const char *fmt, ...)
{
	char tmp[1024];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->put(o->ctx, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

static void ps(struct out *o, const char *s)
{
	o->put(o->ctx, s, strlen(s));
}

/* ---- SVG text ----------------------------------------------------------- */

/* Untrusted bytes as XML character data or an attribute value: html_text_to (html.h). */
void svg_text(svg_put_fn put, void *ctx, const void *s, size_t n)
{
	html_text_to(put, ctx, s, n);
}

/* ---- axes ----------------------------------------------------------- */

/* A "nice" step (1, 2 or 5 times a power of ten) for about n intervals up to max. */
static double nice_step(double max, int n)
{
	double raw = max / n, mag = 1;
	if (raw <= 0)
		return 1;
	while (mag * 10 <= raw)
		mag *= 10;
	while (mag > raw)
		mag /= 10;
	double r = raw / mag;
	return (r <= 1 ? 1 : r <= 2 ? 2 : r <= 5 ? 5 : 10) * mag;
}

static double xpos(int64_t t, int64_t t0, int64_t t1)
{
	return PX0 + (double)(t - t0) / (double)(t1 - t0) * (PX1 - PX0);
}

static double ypos(double v, double vmax, int y0, int y1)
{
	if (v > vmax)
		v = vmax;
	return y1 - v / vmax * (y1 - y0);
}

/* Time ticks: fixed steps up to two weeks, calendar months above. */
static const int64_t steps_s[] = {60, 300, 600, 900, 1800, 3600, 7200, 3 * 3600, 6 * 3600,
				  12 * 3600, 86400, 2 * 86400, 7 * 86400, 14 * 86400};
static const int steps_mon[] = {1, 2, 3, 6, 12, 24, 60, 120, 600, 1200};

static int64_t month_start(int64_t s, int add)
{
	time_t t = (time_t)s;
	struct tm tm;
	gmtime_r(&t, &tm);
	int m = tm.tm_year * 12 + tm.tm_mon + add;
	memset(&tm, 0, sizeof tm);
	tm.tm_year = m / 12;
	tm.tm_mon = m % 12;
	tm.tm_mday = 1;
	return (int64_t)timegm(&tm);
}

static int month_index(int64_t s)
{
	time_t t = (time_t)s;
	struct tm tm;
	gmtime_r(&t, &tm);
	return tm.tm_year * 12 + tm.tm_mon;
}

static void fmt_tick(char *out, size_t cap, int64_t s, const char *fmt)
{
	time_t t = (time_t)s;
	struct tm tm;
	if (!gmtime_r(&t, &tm) || !strftime(out, cap, fmt, &tm))
		snprintf(out, cap, "?");
}

static void time_axis(struct out *o, int64_t t0, int64_t t1)
{
	int64_t s0 = t0 / 1000000, s1 = t1 / 1000000, span = s1 - s0;
	int64_t step = 0;
	int mon = 0;
	for (size_t i = 0; i < sizeof steps_s / sizeof *steps_s && !step; i++)
		if (span / steps_s[i] <= 7)
			step = steps_s[i];
	for (size_t i = 0; !step && !mon && i < sizeof steps_mon / sizeof *steps_mon; i++)
		if (span / (steps_mon[i] * 2629746LL) <= 7)
			mon = steps_mon[i];
	if (!step && !mon)
		mon = 1200;
	const char *fmt = step && step < 86400 ? "%m-%d %H:%M" : step ? "%Y-%m-%d" : "%Y-%m";
	/* the first tick at or after s0, aligned on the step in UTC */
	int64_t t;
	if (step) {
		t = s0 - ((s0 % step) + step) % step;
	} else {
		t = month_start(s0, 0);
		for (int i = 0; i < 1200 && month_index(t) % mon; i++)
			t = month_start(t, 1);
	}
	ps(o, "<g class=\"time-axis\" font-size=\"12\" fill=\"#333\">\n");
	for (int guard = 0; guard < 64; guard++) {
		if (t >= s0 && t <= s1) {
			char lab[40];
			double x = xpos(t * 1000000, t0, t1);
			fmt_tick(lab, sizeof lab, t, fmt);
			pf(o, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#ddd\"/>"
				   "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#ddd\"/>\n",
				x, P1Y0, x, P1Y1, x, P2Y0, x, P2Y1);
			pf(o, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#333\"/>"
				   "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>\n",
				x, P2Y1, x, P2Y1 + 5, x, P2Y1 + 20, lab);
		}
		if (t > s1)
			break;
		t = step ? t + step : month_start(t, mon);
	}
	pf(o, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" font-size=\"13\">Time (UTC)</text>\n",
		(PX0 + PX1) / 2, P2Y1 + 42);
	ps(o, "</g>\n");
}

/* A value axis with grid lines; returns the axis maximum. */
static double value_axis(struct out *o, double vmax, int y0, int y1, const char *title, int decimals)
{
	double step = nice_step(vmax, 5);
	double top = step;
	while (top < vmax)
		top += step;
	pf(o, "<g class=\"value-axis\" font-size=\"12\" fill=\"#333\">\n");
	for (double v = 0; v <= top + step / 2; v += step) {
		double y = ypos(v, top, y0, y1);
		pf(o, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#e6e6e6\"/>"
			   "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#333\"/>"
			   "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%.*f</text>\n",
			PX0, y, PX1, y, PX0 - 5, y, PX0, y, PX0 - 8, y + 4, decimals, v);
	}
	pf(o, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#333\"/>"
		   "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#333\"/>\n",
		PX0, y0, PX0, y1, PX0, y1, PX1, y1);
	pf(o, "<text transform=\"translate(%d,%d) rotate(-90)\" text-anchor=\"middle\" "
		   "font-size=\"13\">%s</text>\n</g>\n",
		PX0 - 58, (y0 + y1) / 2, title);
	return top;
}

/* A step line through the points; which: 0 score, 1 nA, 2 nASN. */
static void step_path(struct out *o, const struct svg_series *p, int64_t t0, int64_t t1, int64_t t_end,
		      double vmax, int y0, int y1, int which, const char *color, const char *cls)
{
	if (!p->n)
		return;
	pf(o, "<path class=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\" d=\"", cls,
		color);
	for (size_t i = 0; i < p->n; i++) {
		const struct svg_point *g = &p->v[i];
		double v = which == 0 ? g->score_x100 / 100.0 : which == 1 ? g->n_a : g->n_asn;
		if (v < 0)
			v = 0;
		double x = xpos(g->t_us, t0, t1), y = ypos(v, vmax, y0, y1);
		if (i == 0)
			pf(o, "M%.1f %.1f", x, y);
		else
			pf(o, "H%.1fV%.1f", x, y);
	}
	pf(o, "H%.1f\"/>\n", xpos(t_end, t0, t1));
	if (p->n == 1) {	/* one lookup: a dot, or nothing would show */
		double v = which == 0 ? p->v[0].score_x100 / 100.0 : which == 1 ? p->v[0].n_a : p->v[0].n_asn;
		pf(o, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>\n",
			xpos(p->v[0].t_us, t0, t1), ypos(v < 0 ? 0 : v, vmax, y0, y1), color);
	}
}

/* At most SVG_MAX_POINTS points: the last value of each pixel column. */
static void thin(struct svg_series *p, int64_t t0, int64_t t1)
{
	if (p->n <= SVG_MAX_POINTS)
		return;
	size_t o = 0;
	for (size_t i = 0; i < p->n; i++) {
		long col = (long)(xpos(p->v[i].t_us, t0, t1) * 2);
		if (o > 1 && (long)(xpos(p->v[o - 1].t_us, t0, t1) * 2) == col)
			p->v[o - 1] = p->v[i];	/* the first point of a column stays: the step starts there */
		else
			p->v[o++] = p->v[i];
	}
	p->n = o;
}

static void legend(struct out *o)
{
	static const struct {
		const char *color, *dash, *label;
	} items[] = {
		{C_SCORE, "", "Score: 1.32 nA + 18.54 nASN"},
		{C_THRESH, "6 4", "Fast-flux threshold 142.38"},
		{C_NA, "", "nA: unique IPv4 addresses"},
		{C_NASN, "", "nASN: unique origin ASNs"},
	};
	int x = PX0;
	ps(o, "<g class=\"legend\" font-size=\"12\">\n");
	for (size_t i = 0; i < sizeof items / sizeof *items; i++) {
		pf(o, "<line x1=\"%d\" y1=\"92\" x2=\"%d\" y2=\"92\" stroke=\"%s\" stroke-width=\"3\"%s%s%s/>"
			   "<text x=\"%d\" y=\"96\">%s</text>\n",
			x, x + 24, items[i].color, *items[i].dash ? " stroke-dasharray=\"" : "",
			items[i].dash, *items[i].dash ? "\"" : "", x + 30, items[i].label);
		x += 212;
	}
	ps(o, "</g>\n");
}

void svg_score_graph(svg_put_fn put, void *ctx, struct svg_graph *gi)
{
	struct out oo = {put, ctx}, *o = &oo;
	if (gi->standalone)
		ps(o, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	pf(o, "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%d\" height=\"%d\" "
	      "viewBox=\"0 0 %d %d\" font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\">\n",
	   W, H, W, H);
	ps(o, "<title>Fast-flux score of ");
	svg_text(o->put, o->ctx, gi->name, gi->name_len);
	ps(o, "</title>\n");
	pf(o, "<rect width=\"%d\" height=\"%d\" fill=\"#fff\"/>\n", W, H);
	ps(o, "<text class=\"title\" x=\"90\" y=\"30\" font-size=\"20\" font-weight=\"bold\">");
	svg_text(o->put, o->ctx, gi->name, gi->name_len);
	ps(o, "</text>\n");
	if (!gi->n) {
		pf(o, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" font-size=\"14\" "
		      "fill=\"#555\">no score samples</text>\n</svg>\n",
		   W / 2, H / 2);
		return;
	}
	struct svg_series sr = {gi->pts, gi->n}, *p = &sr;
	int64_t t_end = gi->t_end_us;
	int64_t t0 = p->v[0].t_us, t1 = t_end > p->v[p->n - 1].t_us ? t_end : p->v[p->n - 1].t_us;
	if (t1 - t0 < 60 * 1000000LL) {	/* one instant: an hour either side */
		t0 -= 3600 * 1000000LL;
		t1 += 3600 * 1000000LL;
	}
	thin(p, t0, t1);
	double smax = FLUX_THRESHOLD / 100.0 * 1.25, cmax = 5;
	for (size_t i = 0; i < p->n; i++) {
		if (p->v[i].score_x100 / 100.0 > smax)
			smax = p->v[i].score_x100 / 100.0;
		if (p->v[i].n_a > cmax)
			cmax = p->v[i].n_a;
		if (p->v[i].n_asn > cmax)
			cmax = p->v[i].n_asn;
	}
	char sc[32], t1s[UTIL_TIME_MAX], t2s[UTIL_TIME_MAX];
	agg_fmt_score(sc, sizeof sc, gi->v->score_x100);
	if (util_fmt_time(t1s, sizeof t1s, gi->first_us) < 0)
		snprintf(t1s, sizeof t1s, "0000-00-00T00:00:00");
	if (util_fmt_time(t2s, sizeof t2s, gi->last_us) < 0)
		snprintf(t2s, sizeof t2s, "0000-00-00T00:00:00");

	if (gi->win) {	/* the verdict, then the running totals the curve ends on */
		const struct flux_verdict *w = gi->win;
		char wsc[32];
		agg_fmt_score(wsc, sizeof wsc, w->score_x100);
		pf(o, "<text class=\"subtitle\" x=\"90\" y=\"54\" font-size=\"13\" fill=\"%s\">"
			   "window score %s: %s (%u%s address%s in %u ASN%s); running %s (%u%s in %u "
			   "ASN%s); %llu lookup%s</text>\n"
			   "<text class=\"subtitle\" x=\"90\" y=\"72\" font-size=\"12\" fill=\"#555\">"
			   "seen %.10s %.8s to %.10s %.8s UTC; values from %s</text>\n",
			w->flux ? C_THRESH : "#333", wsc, w->flux ? "FAST-FLUX" : "not fast-flux", w->n_a,
			w->capped ? "+" : "", w->n_a == 1 ? "" : "es", w->n_asn, w->n_asn == 1 ? "" : "s",
			sc, gi->v->n_a, gi->v->capped ? "+" : "", gi->v->n_asn,
			gi->v->n_asn == 1 ? "" : "s", (unsigned long long)gi->lookups,
			gi->lookups == 1 ? "" : "s", t1s, t1s + 11, t2s, t2s + 11, gi->source);
	} else {
		pf(o, "<text class=\"subtitle\" x=\"90\" y=\"54\" font-size=\"13\" fill=\"%s\">"
			   "score %s: %s; %u%s address%s in %u ASN%s; %llu lookup%s</text>\n"
			   "<text class=\"subtitle\" x=\"90\" y=\"72\" font-size=\"12\" fill=\"#555\">"
			   "seen %.10s %.8s to %.10s %.8s UTC; values from %s</text>\n",
			gi->v->flux ? C_THRESH : "#333", sc, gi->v->flux ? "FAST-FLUX" : "not fast-flux",
			gi->v->n_a, gi->v->capped ? "+" : "", gi->v->n_a == 1 ? "" : "es", gi->v->n_asn,
			gi->v->n_asn == 1 ? "" : "s", (unsigned long long)gi->lookups,
			gi->lookups == 1 ? "" : "s", t1s, t1s + 11, t2s, t2s + 11, gi->source);
	}
	legend(o);

	/* score panel */
	pf(o, "<text x=\"%d\" y=\"%d\" font-size=\"13\" font-weight=\"bold\">Score</text>\n", PX0,
		P1Y0 - 6);
	double stop = value_axis(o, smax, P1Y0, P1Y1, "Score", 0);
	double ty = ypos(FLUX_THRESHOLD / 100.0, stop, P1Y0, P1Y1);
	pf(o, "<rect class=\"flux-region\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"%.1f\" "
		   "fill=\"%s\" fill-opacity=\"0.06\"/>\n",
		PX0, P1Y0, PX1 - PX0, ty - P1Y0, C_THRESH);
	pf(o, "<line class=\"threshold\" x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"%s\" "
		   "stroke-width=\"1.5\" stroke-dasharray=\"6 4\"/>\n"
		   "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\" font-size=\"12\" fill=\"%s\">"
		   "fast-flux above 142.38</text>\n",
		PX0, ty, PX1, ty, C_THRESH, PX1 - 4, ty - 5, C_THRESH);
	step_path(o, p, t0, t1, t_end, stop, P1Y0, P1Y1, 0, C_SCORE, "score");

	/* count panel */
	pf(o, "<text x=\"%d\" y=\"%d\" font-size=\"13\" font-weight=\"bold\">"
		   "Unique addresses (nA) and ASNs (nASN)</text>\n", PX0, P2Y0 - 6);
	double ctop = value_axis(o, cmax, P2Y0, P2Y1, "Count", 0);
	step_path(o, p, t0, t1, t_end, ctop, P2Y0, P2Y1, 1, C_NA, "n-a");
	step_path(o, p, t0, t1, t_end, ctop, P2Y0, P2Y1, 2, C_NASN, "n-asn");

	time_axis(o, t0, t1);
	ps(o, "</svg>\n");
}

