/*
 * graph: `tip graph domain NAME -o FILE.svg [--store DIR]... [--asn FILE]
 *        [--since T] [--until T] [--source auto|samples|lookups]`.
 *
 * One SVG picture of a domain over time: its fast-flux score in the upper
 * panel, with the 142.38 threshold as a dashed line and the flux region
 * shaded, and nA (unique IPv4 addresses) and nASN (unique origin ASNs) in
 * the lower one, on a shared UTC time axis.  Plain SVG 1.1 text written by
 * hand (no graphics library), readable at a glance in a browser.
 *
 * Where the values come from:
 *   samples  the REC_SCORE records the sensor wrote for the name (running
 *            totals, window 0; the classification window when there are
 *            no running totals), when they all come from one sensor;
 *   lookups  otherwise: the name's DNS observations of every store, in
 *            time order, counted cumulatively with agg (sets, never lists:
 *            the value after a lookup is the score of everything seen up
 *            to it), ASNs from the stores' enrichment or the --asn table.
 * Both are step functions: a value holds until the next one, up to the
 * last time the name was seen, so a store gives the same picture before
 * and after `tip compact` (coalescing only drops repeats that change no
 * set).
 *
 * Invariants: the name is attacker-controlled; it reaches the file only
 * through svg_text (XML-escaped, control bytes and invalid UTF-8 as
 * "\xNN"), so the SVG is well-formed whatever the name holds.  At most
 * MAX_POINTS points are drawn (one per pixel column beyond that), so the
 * file stays small for a year of lookups.  The file is written to
 * FILE.tmp and renamed: a reader never sees half a picture.
 * Exit: 0 written; 1 the stores hold no observation of the name (nothing
 * written); 2 usage or I/O error.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agg.h"
#include "cdefs.h"
#include "index.h"
#include "tip.h"
#include "util.h"

#define MAX_POINTS 2000

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

struct gpt {
	int64_t t;
	uint32_t n_a, n_asn;
	int32_t score_x100;
};

struct gpts {
	struct gpt *v;
	size_t n, alloc;
};

static int gpts_push(struct gpts *p, int64_t t, uint32_t n_a, uint32_t n_asn, int32_t score)
{
	if (p->n == p->alloc) {
		size_t na = p->alloc ? p->alloc * 2 : 256;
		void *nv = realloc(p->v, na * sizeof *p->v);
		if (!nv)
			return -1;
		p->v = nv;
		p->alloc = na;
	}
	p->v[p->n++] = (struct gpt){t, n_a, n_asn, score};
	return 0;
}

/* ---- what the walk collects ------------------------------------------ */

/* A copy of one DNS observation of the name (the store's bytes are mapped only during the walk). */
struct gobs {
	int64_t first, last;
	uint64_t count;
	uint16_t qtype;
	uint32_t n_a4;
	size_t a4_off;		/* into gcol.a4 */
	size_t names_len;
	size_t names_off;	/* into gcol.names, NS answers only */
	uint32_t n_names;
	size_t order;		/* walk order, for a stable sort */
};

struct gsample {
	int64_t t;
	uint32_t n_a, n_asn;
	int32_t score_x100;
	uint8_t window;
	size_t sensor;		/* index in the store set */
	size_t order;
};

struct gcol {
	struct agg_faults *faults;	/* first: agg_on_fault reads it */
	const struct store_set *set;
	const char *name;
	size_t name_len;
	const struct agg_filter *f;
	struct gobs *obs;
	size_t n_obs, alloc_obs;
	uint8_t *a4, *names;
	size_t a4_len, a4_alloc, names_len, names_alloc;
	struct gsample *smp;
	size_t n_smp, alloc_smp;
	int err;
};

static int grow(void **p, size_t *alloc, size_t need, size_t size)
{
	if (need <= *alloc)
		return 0;
	size_t na = *alloc ? *alloc : 64;
	while (na < need)
		na *= 2;
	void *nv = realloc(*p, na * size);
	if (!nv)
		return -1;
	*p = nv;
	*alloc = na;
	return 0;
}

static size_t sensor_index(const struct store_set *set, const char *sensor)
{
	for (size_t i = 0; i < set->n; i++)
		if (set->ids[i] == sensor || !strcmp(set->ids[i], sensor))
			return i;
	return 0;
}

static int on_rec(void *ctx, const char *sensor, const struct store_seg *seg TIP_UNUSED,
		  uint64_t pos TIP_UNUSED,
		  const struct rec *r)
{
	struct gcol *c = ctx;
	if (r->type == REC_SCORE) {
		const struct rec_score *s = &r->u.score;
		if (s->name_len != c->name_len || memcmp(s->name, c->name, c->name_len) ||
		    !agg_filter_match(c->f, r->ts_us, r->ts_us))
			return 0;
		if (grow((void **)&c->smp, &c->alloc_smp, c->n_smp + 1, sizeof *c->smp) < 0)
			goto fail;
		c->smp[c->n_smp] = (struct gsample){r->ts_us, s->n_a, s->n_asn,
						    flux_x100_of(s->score), s->window,
						    sensor_index(c->set, sensor), c->n_smp};
		c->n_smp++;
		return 0;
	}
	if (r->type != REC_DNS)
		return 0;
	const struct rec_dns *d = &r->u.dns;
	if (d->name_len != c->name_len || memcmp(d->name, c->name, c->name_len) || d->n_a4 + d->n_names == 0)
		return 0;
	int64_t first, last;
	uint64_t count;
	agg_dns_times(r, &first, &last, &count);
	if (!agg_filter_match(c->f, first, last))
		return 0;
	size_t nl = d->qtype == 2 ? d->names_len : 0;
	if (grow((void **)&c->obs, &c->alloc_obs, c->n_obs + 1, sizeof *c->obs) < 0 ||
	    grow((void **)&c->a4, &c->a4_alloc, c->a4_len + (size_t)d->n_a4 * 4, 1) < 0 ||
	    grow((void **)&c->names, &c->names_alloc, c->names_len + nl + 1, 1) < 0)
		goto fail;
	struct gobs *o = &c->obs[c->n_obs];
	*o = (struct gobs){first, last, count, d->qtype, d->n_a4, c->a4_len, nl, c->names_len,
			   nl ? d->n_names : 0, c->n_obs};
	memcpy(c->a4 + c->a4_len, d->a4, (size_t)d->n_a4 * 4);
	c->a4_len += (size_t)d->n_a4 * 4;
	if (nl)
		memcpy(c->names + c->names_len, d->names, nl);
	c->names_len += nl;
	c->n_obs++;
	return 0;
fail:
	c->err = 1;
	return 1;
}

static int obs_cmp(const void *a, const void *b)
{
	const struct gobs *x = a, *y = b;
	if (x->first != y->first)
		return x->first < y->first ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

static int smp_cmp(const void *a, const void *b)
{
	const struct gsample *x = a, *y = b;
	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* Cumulative verdicts after each observation, in time order. */
static int from_lookups(struct gcol *c, const struct agg_domain *all, struct gpts *out,
			int64_t *t_end)
{
	struct agg_domain cum;
	struct agg_filter nof;
	agg_filter_init(&nof);
	agg_domain_init(&cum, c->name, c->name_len, 0);
	if (c->n_obs)
		qsort(c->obs, c->n_obs, sizeof *c->obs, obs_cmp);
	uint32_t prev_n = UINT32_MAX, prev_over = 0;
	int rc = 0;
	*t_end = INT64_MIN;
	for (size_t i = 0; i < c->n_obs && rc == 0; i++) {
		const struct gobs *o = &c->obs[i];
		struct rec r;
		memset(&r, 0, sizeof r);
		r.type = REC_DNS;
		r.flags = REC_F_COALESCED;
		r.ts_us = o->first;
		r.u.dns.name = c->name;
		r.u.dns.name_len = c->name_len;
		r.u.dns.qtype = o->qtype;
		r.u.dns.n_a4 = o->n_a4;
		r.u.dns.a4 = c->a4 + o->a4_off;
		r.u.dns.n_names = o->n_names;
		r.u.dns.names = c->names + o->names_off;
		r.u.dns.names_len = o->names_len;
		r.u.dns.ts_last_us = o->last;
		r.u.dns.count = o->count;
		if (agg_domain_add(&cum, &r, &nof) < 0) {
			rc = -1;
			break;
		}
		/* the ASN set follows the address set: recount only when it grew */
		if (cum.sets.a.n != prev_n || cum.sets.a.over != prev_over) {
			agg_domain_finish(&cum, agg_domain_asn_of, (void *)all);
			prev_n = cum.sets.a.n;
			prev_over = cum.sets.a.over;
		}
		if (o->last > *t_end)
			*t_end = o->last;
		rc = gpts_push(out, o->first, cum.v.n_a, cum.v.n_asn, cum.v.score_x100);
	}
	agg_domain_fini(&cum);
	return rc;
}

/* ---- SVG text ----------------------------------------------------------- */

/* Length of a valid UTF-8 sequence at p that encodes an XML 1.0 Char above U+009F, else 0. */
static size_t xml_utf8(const unsigned char *p, size_t n)
{
	uint32_t cp;
	size_t len;
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		len = 2;
		cp = p[0] & 0x1f;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		len = 3;
		cp = p[0] & 0x0f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		len = 4;
		cp = p[0] & 0x07;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp == 0xfffe || cp == 0xffff || cp < 0xa0)
		return 0;
	return len;
}

/*
 * Untrusted bytes as XML character data or an attribute value: & < > " '
 * as entities, valid UTF-8 as is, a backslash as "\\", and every other
 * byte (controls, DEL, C1, invalid UTF-8) as "\xNN", which XML cannot
 * carry even as a character reference.
 */
static void svg_text(FILE *f, const void *s, size_t n)
{
	const unsigned char *p = s;
	for (size_t i = 0; i < n;) {
		unsigned char c = p[i];
		size_t k;
		switch (c) {
		case '&': fputs("&amp;", f); i++; continue;
		case '<': fputs("&lt;", f); i++; continue;
		case '>': fputs("&gt;", f); i++; continue;
		case '"': fputs("&quot;", f); i++; continue;
		case '\'': fputs("&#39;", f); i++; continue;
		case '\\': fputs("\\\\", f); i++; continue;
		default: break;
		}
		if (c >= 0x20 && c < 0x7f) {
			putc(c, f);
			i++;
		} else if (c >= 0x80 && (k = xml_utf8(p + i, n - i))) {
			fwrite(p + i, 1, k, f);
			i += k;
		} else {
			fprintf(f, "\\x%02x", c);
			i++;
		}
	}
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

static void time_axis(FILE *f, int64_t t0, int64_t t1)
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
	fputs("<g class=\"time-axis\" font-size=\"12\" fill=\"#333\">\n", f);
	for (int guard = 0; guard < 64; guard++) {
		if (t >= s0 && t <= s1) {
			char lab[40];
			double x = xpos(t * 1000000, t0, t1);
			fmt_tick(lab, sizeof lab, t, fmt);
			fprintf(f, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#ddd\"/>"
				   "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#ddd\"/>\n",
				x, P1Y0, x, P1Y1, x, P2Y0, x, P2Y1);
			fprintf(f, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#333\"/>"
				   "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>\n",
				x, P2Y1, x, P2Y1 + 5, x, P2Y1 + 20, lab);
		}
		if (t > s1)
			break;
		t = step ? t + step : month_start(t, mon);
	}
	fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" font-size=\"13\">Time (UTC)</text>\n",
		(PX0 + PX1) / 2, P2Y1 + 42);
	fputs("</g>\n", f);
}

/* A value axis with grid lines; returns the axis maximum. */
static double value_axis(FILE *f, double vmax, int y0, int y1, const char *title, int decimals)
{
	double step = nice_step(vmax, 5);
	double top = step;
	while (top < vmax)
		top += step;
	fprintf(f, "<g class=\"value-axis\" font-size=\"12\" fill=\"#333\">\n");
	for (double v = 0; v <= top + step / 2; v += step) {
		double y = ypos(v, top, y0, y1);
		fprintf(f, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#e6e6e6\"/>"
			   "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#333\"/>"
			   "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%.*f</text>\n",
			PX0, y, PX1, y, PX0 - 5, y, PX0, y, PX0 - 8, y + 4, decimals, v);
	}
	fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#333\"/>"
		   "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#333\"/>\n",
		PX0, y0, PX0, y1, PX0, y1, PX1, y1);
	fprintf(f, "<text transform=\"translate(%d,%d) rotate(-90)\" text-anchor=\"middle\" "
		   "font-size=\"13\">%s</text>\n</g>\n",
		PX0 - 58, (y0 + y1) / 2, title);
	return top;
}

/* A step line through the points; which: 0 score, 1 nA, 2 nASN. */
static void step_path(FILE *f, const struct gpts *p, int64_t t0, int64_t t1, int64_t t_end,
		      double vmax, int y0, int y1, int which, const char *color, const char *cls)
{
	if (!p->n)
		return;
	fprintf(f, "<path class=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\" d=\"", cls,
		color);
	for (size_t i = 0; i < p->n; i++) {
		const struct gpt *g = &p->v[i];
		double v = which == 0 ? g->score_x100 / 100.0 : which == 1 ? g->n_a : g->n_asn;
		if (v < 0)
			v = 0;
		double x = xpos(g->t, t0, t1), y = ypos(v, vmax, y0, y1);
		if (i == 0)
			fprintf(f, "M%.1f %.1f", x, y);
		else
			fprintf(f, "H%.1fV%.1f", x, y);
	}
	fprintf(f, "H%.1f\"/>\n", xpos(t_end, t0, t1));
	if (p->n == 1) {	/* one lookup: a dot, or nothing would show */
		double v = which == 0 ? p->v[0].score_x100 / 100.0 : which == 1 ? p->v[0].n_a : p->v[0].n_asn;
		fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>\n",
			xpos(p->v[0].t, t0, t1), ypos(v < 0 ? 0 : v, vmax, y0, y1), color);
	}
}

/* At most MAX_POINTS points: the last value of each pixel column. */
static void thin(struct gpts *p, int64_t t0, int64_t t1)
{
	if (p->n <= MAX_POINTS)
		return;
	size_t o = 0;
	for (size_t i = 0; i < p->n; i++) {
		long col = (long)(xpos(p->v[i].t, t0, t1) * 2);
		if (o > 1 && (long)(xpos(p->v[o - 1].t, t0, t1) * 2) == col)
			p->v[o - 1] = p->v[i];	/* the first point of a column stays: the step starts there */
		else
			p->v[o++] = p->v[i];
	}
	p->n = o;
}

static void legend(FILE *f)
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
	fputs("<g class=\"legend\" font-size=\"12\">\n", f);
	for (size_t i = 0; i < sizeof items / sizeof *items; i++) {
		fprintf(f, "<line x1=\"%d\" y1=\"92\" x2=\"%d\" y2=\"92\" stroke=\"%s\" stroke-width=\"3\"%s%s%s/>"
			   "<text x=\"%d\" y=\"96\">%s</text>\n",
			x, x + 24, items[i].color, *items[i].dash ? " stroke-dasharray=\"" : "",
			items[i].dash, *items[i].dash ? "\"" : "", x + 30, items[i].label);
		x += 212;
	}
	fputs("</g>\n", f);
}

struct ginfo {
	const char *name;
	size_t name_len;
	const struct flux_verdict *v;	/* the final verdict */
	uint64_t lookups;
	int64_t first, last;
	const char *source;
};

static void write_svg(FILE *f, const struct ginfo *gi, struct gpts *p, int64_t t_end)
{
	int64_t t0 = p->v[0].t, t1 = t_end > p->v[p->n - 1].t ? t_end : p->v[p->n - 1].t;
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
	if (util_fmt_time(t1s, sizeof t1s, gi->first) < 0)
		snprintf(t1s, sizeof t1s, "0000-00-00T00:00:00");
	if (util_fmt_time(t2s, sizeof t2s, gi->last) < 0)
		snprintf(t2s, sizeof t2s, "0000-00-00T00:00:00");

	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		   "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%d\" height=\"%d\" "
		   "viewBox=\"0 0 %d %d\" font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\">\n",
		W, H, W, H);
	fputs("<title>Fast-flux score of ", f);
	svg_text(f, gi->name, gi->name_len);
	fputs("</title>\n", f);
	fprintf(f, "<rect width=\"%d\" height=\"%d\" fill=\"#fff\"/>\n", W, H);
	fputs("<text class=\"title\" x=\"90\" y=\"30\" font-size=\"20\" font-weight=\"bold\">", f);
	svg_text(f, gi->name, gi->name_len);
	fputs("</text>\n", f);
	fprintf(f, "<text class=\"subtitle\" x=\"90\" y=\"54\" font-size=\"13\" fill=\"%s\">"
		   "score %s: %s; %u%s address%s in %u ASN%s; %llu lookup%s</text>\n"
		   "<text class=\"subtitle\" x=\"90\" y=\"72\" font-size=\"12\" fill=\"#555\">"
		   "seen %.10s %.8s to %.10s %.8s UTC; values from %s</text>\n",
		gi->v->flux ? C_THRESH : "#333", sc, gi->v->flux ? "FAST-FLUX" : "not fast-flux",
		gi->v->n_a, gi->v->capped ? "+" : "", gi->v->n_a == 1 ? "" : "es", gi->v->n_asn,
		gi->v->n_asn == 1 ? "" : "s", (unsigned long long)gi->lookups, gi->lookups == 1 ? "" : "s", t1s,
		t1s + 11, t2s, t2s + 11, gi->source);
	legend(f);

	/* score panel */
	fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"13\" font-weight=\"bold\">Score</text>\n", PX0,
		P1Y0 - 6);
	double stop = value_axis(f, smax, P1Y0, P1Y1, "Score", 0);
	double ty = ypos(FLUX_THRESHOLD / 100.0, stop, P1Y0, P1Y1);
	fprintf(f, "<rect class=\"flux-region\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"%.1f\" "
		   "fill=\"%s\" fill-opacity=\"0.06\"/>\n",
		PX0, P1Y0, PX1 - PX0, ty - P1Y0, C_THRESH);
	fprintf(f, "<line class=\"threshold\" x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"%s\" "
		   "stroke-width=\"1.5\" stroke-dasharray=\"6 4\"/>\n"
		   "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\" font-size=\"12\" fill=\"%s\">"
		   "fast-flux above 142.38</text>\n",
		PX0, ty, PX1, ty, C_THRESH, PX1 - 4, ty - 5, C_THRESH);
	step_path(f, p, t0, t1, t_end, stop, P1Y0, P1Y1, 0, C_SCORE, "score");

	/* count panel */
	fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"13\" font-weight=\"bold\">"
		   "Unique addresses (nA) and ASNs (nASN)</text>\n", PX0, P2Y0 - 6);
	double ctop = value_axis(f, cmax, P2Y0, P2Y1, "Count", 0);
	step_path(f, p, t0, t1, t_end, ctop, P2Y0, P2Y1, 1, C_NA, "n-a");
	step_path(f, p, t0, t1, t_end, ctop, P2Y0, P2Y1, 2, C_NASN, "n-asn");

	time_axis(f, t0, t1);
	fputs("</svg>\n", f);
}

/* ---- command ----------------------------------------------------------- */

enum src { SRC_AUTO, SRC_SAMPLES, SRC_LOOKUPS };

static int graph_domain(const struct store_set *set, const struct asn_db *db, const char *name,
			const struct agg_filter *f, enum src src, const char *out,
			struct agg_faults *faults)
{
	struct agg_domain all;
	struct gcol c;
	struct gpts p = {0};
	uint8_t key[INDEX_KEY_MAX];
	int rc = 2;
	memset(&c, 0, sizeof c);
	if (agg_domain_lookup(set, db, name, f, &all, NULL, faults) < 0) {
		fprintf(stderr, "tip graph: out of memory\n");
		agg_domain_fini(&all);
		return 2;
	}
	c.faults = faults;
	c.set = set;
	c.name = all.name;
	c.name_len = all.name_len;
	c.f = f;
	size_t kl = index_key_domain(key, all.name, all.name_len);
	if (kl)
		store_set_lookup(set, key, kl, on_rec, NULL, &c);	/* faults: reported above */
	if (c.err) {
		fprintf(stderr, "tip graph: out of memory\n");
		goto out;
	}

	/* samples of one sensor, running totals preferred */
	int use_samples = 0, window = 0;
	size_t sensor = 0;
	if (src != SRC_LOOKUPS && c.n_smp) {
		int one = 1, w0 = 0;
		for (size_t i = 0; i < c.n_smp; i++) {
			one &= c.smp[i].sensor == c.smp[0].sensor;
			w0 |= c.smp[i].window == 0;
		}
		window = w0 ? 0 : c.smp[0].window;
		sensor = c.smp[0].sensor;
		if (one)
			use_samples = 1;
		else if (src == SRC_SAMPLES) {
			fprintf(stderr, "tip graph: score samples from several sensors: give one "
					"sensor's --store, or --source lookups\n");
			goto out;
		}
	}
	if (src == SRC_SAMPLES && !use_samples) {
		fprintf(stderr, "tip graph: the stores hold no score samples of that domain\n");
		rc = 1;
		goto out;
	}
	int64_t t_end = INT64_MIN;
	const char *source;
	if (use_samples) {
		qsort(c.smp, c.n_smp, sizeof *c.smp, smp_cmp);
		for (size_t i = 0; i < c.n_smp; i++) {
			const struct gsample *s = &c.smp[i];
			if (s->window != window || s->sensor != sensor)
				continue;
			if (gpts_push(&p, s->t, s->n_a, s->n_asn, s->score_x100) < 0) {
				fprintf(stderr, "tip graph: out of memory\n");
				goto out;
			}
			t_end = s->t;
		}
		if (all.last_us > t_end && all.last_us != INT64_MIN)
			t_end = all.last_us;
		source = window ? "the sensor's score samples (classification window)"
				: "the sensor's score samples (running totals)";
	} else {
		if (from_lookups(&c, &all, &p, &t_end) < 0) {
			fprintf(stderr, "tip graph: out of memory\n");
			goto out;
		}
		source = "the lookups, counted cumulatively";
	}
	if (!p.n) {
		fprintf(stderr, "tip graph: no observation of that domain%s\n",
			all.found ? " in the time window" : "");
		rc = 1;
		goto out;
	}

	struct flux_verdict fv = all.v;
	if (use_samples) {	/* the picture and its caption tell the same story */
		const struct gpt *g = &p.v[p.n - 1];
		fv.n_a = g->n_a;
		fv.n_asn = g->n_asn;
		fv.score_x100 = g->score_x100;
		fv.margin_x100 = g->score_x100 - FLUX_THRESHOLD;
		fv.flux = flux_is_flux(g->score_x100);
		fv.capped = 0;
	}
	struct ginfo gi = {all.name, all.name_len, &fv, all.lookups,
			   all.first_us != INT64_MAX ? all.first_us : p.v[0].t,
			   all.last_us != INT64_MIN ? all.last_us : t_end, source};

	char tmp[4096];
	FILE *fo = stdout;
	int to_stdout = !strcmp(out, "-");
	if (!to_stdout) {
		if (snprintf(tmp, sizeof tmp, "%s.tmp", out) >= (int)sizeof tmp) {
			fprintf(stderr, "tip graph: output path too long\n");
			goto out;
		}
		fo = fopen(tmp, "w");
		if (!fo) {
			fprintf(stderr, "tip graph: ");
			util_put_text(stderr, tmp, strlen(tmp));
			fprintf(stderr, ": %s\n", strerror(errno));
			goto out;
		}
	}
	write_svg(fo, &gi, &p, t_end);
	int werr = fflush(fo) != 0 || ferror(fo);
	if (!to_stdout) {
		werr |= fclose(fo) != 0;
		if (werr || rename(tmp, out) < 0) {
			int e = errno;
			remove(tmp);
			fprintf(stderr, "tip graph: ");
			util_put_text(stderr, out, strlen(out));
			fprintf(stderr, ": %s\n", strerror(e));
			goto out;
		}
	} else if (werr) {
		fprintf(stderr, "tip graph: write error on standard output\n");
		goto out;
	}
	rc = 0;
out:
	free(p.v);
	free(c.obs);
	free(c.a4);
	free(c.names);
	free(c.smp);
	agg_domain_fini(&all);
	return rc;
}

int cmd_graph(int argc, char **argv)
{
	static const struct option lo[] = {
		{"store", required_argument, NULL, 's'}, {"output", required_argument, NULL, 'o'},
		{"since", required_argument, NULL, 'S'}, {"until", required_argument, NULL, 'U'},
		{"asn", required_argument, NULL, 'a'},   {"source", required_argument, NULL, 'r'},
		{NULL, 0, NULL, 0},
	};
	struct store_set set;
	struct asn_db db;
	struct agg_filter f;
	struct agg_faults faults = {"graph", 0};
	const char *out = NULL, *asn_path = NULL;
	enum src src = SRC_AUTO;
	int c, rc = 2, have_db = 0;
	memset(&set, 0, sizeof set);
	agg_filter_init(&f);
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "s:o:", lo, NULL)) != -1) {
		switch (c) {
		case 's':
			if (agg_cli_store(&set, "graph", optarg) < 0)
				goto out;
			break;
		case 'o':
			out = optarg;
			break;
		case 'S':
		case 'U':
			if (agg_cli_time("graph", c == 'S' ? "since" : "until", optarg,
					 c == 'S' ? &f.since_us : &f.until_us) < 0)
				goto out;
			break;
		case 'a':
			asn_path = optarg;
			break;
		case 'r':
			if (!strcmp(optarg, "auto"))
				src = SRC_AUTO;
			else if (!strcmp(optarg, "samples"))
				src = SRC_SAMPLES;
			else if (!strcmp(optarg, "lookups"))
				src = SRC_LOOKUPS;
			else {
				fprintf(stderr, "tip graph: --source: auto, samples or lookups\n");
				goto out;
			}
			break;
		default:
			fprintf(stderr, "tip graph: unknown or incomplete option: ");
			util_put_text(stderr, argv[optind - 1], strlen(argv[optind - 1]));
			fputc('\n', stderr);
			rc = tip_usage("graph");
			goto out;
		}
	}
	if (argc - optind != 2 || strcmp(argv[optind], "domain")) {
		rc = tip_usage("graph");
		goto out;
	}
	if (!out || !*out) {
		fprintf(stderr, "tip graph: no output file (-o FILE.svg, or -o - for stdout)\n");
		goto out;
	}
	if (set.n == 0) {
		fprintf(stderr, "tip graph: no store given (--store DIR)\n");
		goto out;
	}
	if (f.since_us > f.until_us) {
		fprintf(stderr, "tip graph: --since is after --until\n");
		goto out;
	}
	if (asn_path) {
		if (agg_cli_asn(&db, "graph", asn_path) < 0)
			goto out;
		have_db = 1;
	}
	rc = graph_domain(&set, have_db ? &db : NULL, argv[optind + 1], &f, src, out, &faults);
	if (rc == 0 && faults.n)
		rc = 1;
out:
	if (have_db)
		asn_db_close(&db);
	store_set_free(&set);
	return rc;
}
