/*
 * page: the pages of `tip serve`, apart from the server (serve.c) that
 * owns the sockets and threads: a request in (struct page_job), an answer
 * out (status, type, header lines, body), nothing of the loop, so each
 * page is tested without a socket (tests/unit/test_page.c).
 *
 * Pages (all GET or HEAD; fixed routes only, nothing is ever read from
 * the file system by a URL):
 *   /, /flux     the fast-flux table: sort, min score, time window, pages
 *   /domain      ?name=: summary, score graph (inline SVG), A records,
 *                NS history, TTL and answers per lookup
 *   /ip          ?a=: every domain seen on an address, its ASN, country, PTR
 *   /search      ?q=: an address -> /ip, a domain -> /domain, a prefix
 *                (CIDR) -> the addresses in it, other text -> names
 *                containing it
 *   /sensors     stores, segments, time ranges, a structural check
 *   /flux.csv .cof, /domain.csv .cof, /ip.csv .cof: the bytes `tip query`
 *                prints for the same question (query.c's writers)
 *   /style.css   the one stylesheet (CSP style-src 'self')
 * Every table is sorted and paged here, on the server (struct tbl: its
 * parameters, its header links, its pager, and why it is empty when it
 * is), and every page takes since= and until= and carries them in every
 * link it makes, the navigation and the search form included.
 * Everything shown comes from agg.h (scores, sets, ASN data): this file
 * formats, it does not score.  Every untrusted string goes through
 * html_text or html_url (html.h).
 *
 * The flux table needs a scan of every store; its result (all names with
 * their scores, for one time window) is cached, keyed by the window and a
 * signature of the store listings (segment sequence numbers and sizes),
 * so a new segment or a grown active one invalidates it.  A scan holds
 * the cache's lock: other flux and search pages wait for it (seconds for
 * a year of data), once per change of the stores.
 *
 *
 * One route table says which page answers a path and whether it reads
 * the stores: those run on a worker thread, the rest (the stylesheet,
 * error answers) on the loop.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "spam.h"
#include "agg.h"
#include "buf.h"
#include "feeds.h"
#include "cdefs.h"
#include "clock.h"
#include "dnstype.h"
#include "html.h"
#include "http.h"
#include "index.h"
#include "lookups.h"
#include "match.h"
#include "page.h"
#include "seg.h"
#include "store.h"
#include "series.h"
#include "svg.h"
#include "tip.h"
#include "util.h"

/*
 * A query value that must be a number from lo to hi: digits only, read
 * by buf.h's cursor (strtoul would take " 5" and "+5" as 5).  1 with *x,
 * or 0.
 */
static int param_num(const char *v, uint64_t lo, uint64_t hi, size_t *x)
{
	struct buf_rd b;
	uint64_t n;
	buf_rd_init(&b, v, strlen(v));
	if (buf_get_dec(&b, hi, &n) < 0 || buf_left(&b) || n < lo)
		return 0;
	*x = (size_t)n;
	return 1;
}

#define PAGE_PAGE_ROWS 100
#define PAGE_PAGE_ROWS_MAX 1000
#define PAGE_A_ROWS 500		/* A records on one page of a domain page */
#define PAGE_MATCH_MAX 200		/* names listed by a text search */
#define PAGE_PREFIX_MAX 4096		/* addresses collected by a prefix search */
#define PAGE_PREFIX_INFO 256		/* of which enriched (ASN, PTR) */
#define PAGE_SEG_ROWS 50		/* segments listed per store */

/* ---- small formatting helpers ----------------------------------------- */

static const struct asn_db *dbp(const struct page_ctx *s)
{
	return s->have_db ? &s->db : NULL;
}

/* A time cell: <time datetime="ISO">YYYY-MM-DD HH:MM:SS</time>, or "-". */
static void put_time(struct hbuf *b, int64_t us)
{
	char t[UTIL_TIME_MAX];
	if (us == INT64_MAX || us == INT64_MIN || util_fmt_time(t, sizeof t, us) < 0) {
		hbuf_puts(b, "-");
		return;
	}
	hbuf_printf(b, "<time datetime=\"%s\">%.10s %.8s</time>", t, t, t + 11);
}

static void put_score(struct hbuf *b, int32_t x100)
{
	char s[32];
	agg_fmt_score(s, sizeof s, x100);
	hbuf_puts(b, s);
}

static void ip4_text(char *out, uint32_t ip)
{
	uint8_t a[4] = {(uint8_t)(ip >> 24), (uint8_t)(ip >> 16), (uint8_t)(ip >> 8), (uint8_t)ip};
	inet_ntop(AF_INET, a, out, INET_ADDRSTRLEN);
}

static void win_href(struct hbuf *b, const char *since_s, const char *until_s);

/* A link to a domain's page (or an address's), the time window (NULL or "": none) with it. */
static void link_domain(struct hbuf *b, const char *name, size_t len, const char *since_s,
			const char *until_s)
{
	hbuf_puts(b, "<a href=\"/domain?name=");
	html_url(b, name, len);
	win_href(b, since_s, until_s);
	hbuf_puts(b, "\">");
	html_text(b, name, len);
	hbuf_puts(b, "</a>");
}

static void link_ip(struct hbuf *b, const char *ip, const char *since_s, const char *until_s)
{
	hbuf_puts(b, "<a href=\"/ip?a=");
	html_urls(b, ip);
	win_href(b, since_s, until_s);
	hbuf_puts(b, "\">");
	html_texts(b, ip);
	hbuf_puts(b, "</a>");
}

/* "3209 (ARCOR-AS Arcor IP-Network)", escaped; "" when unknown. */
static void put_asn(struct hbuf *b, const struct agg_ipinfo *in)
{
	if (!in->asn)
		return;
	hbuf_printf(b, "%u", in->asn);
	if (in->as_name_len) {
		hbuf_puts(b, " (");
		html_text(b, in->as_name, in->as_name_len);
		hbuf_puts(b, ")");
	}
}

static void put_ipinfo_cells(struct hbuf *b, const struct agg_ipinfo *in)
{
	hbuf_puts(b, "<td>");
	html_text(b, in->ptr, in->ptr_len);
	hbuf_puts(b, "</td><td>");
	put_asn(b, in);
	hbuf_puts(b, "</td><td>");
	html_texts(b, in->cc);
	hbuf_puts(b, "</td>");
}

/* A name as the store keeps it: lower case, no final dot. */
static size_t norm_name(char *out, const char *in)
{
	size_t n = strlen(in);
	while (n && (in[n - 1] == '.' || in[n - 1] == ' '))
		n--;
	while (n && in[0] == ' ')
		in++, n--;
	if (n > REC_NAME_MAX)
		n = REC_NAME_MAX;
	for (size_t i = 0; i < n; i++)
		out[i] = (char)(in[i] >= 'A' && in[i] <= 'Z' ? in[i] - 'A' + 'a' : in[i]);
	out[n] = '\0';
	return n;
}

/* ---- responses ------------------------------------------------------ */

/* Set the answer: status, type, extra header lines, body (copied unless it is j->body). */
static int respond(struct page_job *c, int status, const char *ctype, const char *body,
		   size_t len, const char *extra)
{
	c->status = status;
	snprintf(c->ctype, sizeof c->ctype, "%s", ctype ? ctype : "");
	if (snprintf(c->extra, sizeof c->extra, "%s", extra ? extra : "") >= (int)sizeof c->extra)
		c->extra[0] = '\0';
	if (!c->body.p || body != c->body.p) {
		hbuf_reset(&c->body);
		hbuf_put(&c->body, body, len);
	}
	return 0;
}

static int respond_page(struct page_job *c, int status)
{
	return respond(c, status, "text/html; charset=utf-8", c->body.p ? c->body.p : "",
		       c->body.len, "Cache-Control: no-store\r\n");
}

int page_error(struct page_job *c, int status, const char *msg,
			 const char *detail)
{
	struct hbuf *b = &c->body;
	char title[64];
	snprintf(title, sizeof title, "%d %s", status, http_reason(status));
	hbuf_reset(b);
	html_begin(b, title, strlen(title), HTML_NAV_NONE, NULL);
	hbuf_printf(b, "<h1>%s</h1><p>%s", title, msg);
	if (detail) {
		hbuf_puts(b, ": <code>");
		html_texts(b, detail);
		hbuf_puts(b, "</code>");
	}
	hbuf_puts(b, "</p>");
	html_end(b);
	const char *extra = status == 405 ? "Allow: GET, HEAD\r\nCache-Control: no-store\r\n"
					  : "Cache-Control: no-store\r\n";
	if (status >= 400 && status != 404)
		c->close_after = 1;
	return respond(c, status, "text/html; charset=utf-8", b->p, b->len, extra);
}

/* A 302 to prefix + val, the time window (since_s, until_s: "" none) after the value. */
static int redirect_win(struct page_job *c, const char *prefix, const char *val,
			const char *since_s, const char *until_s)
{
	struct hbuf loc;
	hbuf_init(&loc, 6 * HTTP_LINE_MAX);
	hbuf_puts(&loc, "Location: ");
	hbuf_puts(&loc, prefix);
	html_urls(&loc, val);	/* percent-encoded: no CR, LF or space can reach the header */
	if (since_s[0])
		hbuf_puts(&loc, "&since="), html_urls(&loc, since_s);
	if (until_s[0])
		hbuf_puts(&loc, "&until="), html_urls(&loc, until_s);
	hbuf_puts(&loc, "\r\nCache-Control: no-store\r\n");
	respond(c, 302, NULL, "", 0, loc.err ? NULL : loc.p);
	hbuf_fini(&loc);
	return 0;
}

/* A download: what query.c's writer put in a memory stream. */
static int respond_stream(struct page_job *c, char *data, size_t len, const char *ctype,
			  const char *filename)
{
	char extra[200];
	snprintf(extra, sizeof extra,
		 "Content-Disposition: attachment; filename=\"%s\"\r\nCache-Control: no-store\r\n",
		 filename);
	return respond(c, 200, ctype, data ? data : "", len, extra);
}

/* ---- the flux scan cache ---------------------------------------------- */

static uint64_t mix(uint64_t h, uint64_t v)
{
	h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
	return h * 0x100000001b3ULL;
}

/*
 * A signature of what one store holds: its segments' numbers, sizes and
 * indexes, from a listing.  Listing a year of hourly segments costs a
 * quarter of a second, so it is redone only when log/ changed (its mtime:
 * every publish is a create or rename there) or the newest segment grew
 * (appends do not touch the directory).  An mtime less than two seconds
 * older than the listing is not trusted (the file system's clock is
 * coarse: a change in the same tick would not show), as git does with
 * its index.
 */
static uint64_t store_sig_one(struct page_sigcache *sc, const char *dir)
{
	char lp[PATH_MAX], ap[PATH_MAX + 80];
	struct stat ld, as;
	snprintf(lp, sizeof lp, "%s/log", dir);
	if (stat(lp, &ld) < 0)
		return 0xdead;
	if (sc->valid && ld.st_mtim.tv_sec == sc->mt.tv_sec && ld.st_mtim.tv_nsec == sc->mt.tv_nsec &&
	    (!sc->active[0] || (stat(sc->active, &as) == 0 && (uint64_t)as.st_size == sc->active_size)))
		return sc->sig;
	struct store_listing ls;
	if (store_list(dir, &ls) < 0) {
		sc->valid = 0;
		return 0xdead;
	}
	uint64_t h = mix(1469598103934665603ULL, ls.n);
	for (size_t k = 0; k < ls.n; k++) {
		h = mix(h, ls.segs[k].seq);
		h = mix(h, ls.segs[k].size);
		h = mix(h, (uint64_t)ls.segs[k].has_index);
	}
	sc->active[0] = '\0';
	sc->active_size = 0;
	if (ls.n) {
		store_seg_path(ap, sizeof ap, dir, ls.segs[ls.n - 1].name, "tlog");
		if (strlen(ap) < sizeof sc->active) {
			strcpy(sc->active, ap);
			sc->active_size = ls.segs[ls.n - 1].size;
		}
	}
	store_listing_free(&ls);
	sc->sig = h;
	sc->mt = ld.st_mtim;
	sc->valid = clock_now_us() / 1000000 - (int64_t)ld.st_mtim.tv_sec >= 2 &&
		    (ls.n == 0 || sc->active[0]);
	return h;
}

/* The signature of every store (caller holds cache_mu: it owns s->sigs). */
static uint64_t store_sig(struct page_ctx *s)
{
	uint64_t h = 1469598103934665603ULL;
	for (size_t i = 0; i < s->set.n; i++)
		h = mix(h, s->sigs ? store_sig_one(&s->sigs[i], s->set.dirs[i]) : 0xdead);
	return h;
}

/*
 * All names with their scores for a window (min score: none).  NULL: no
 * memory.  The caller holds s->cache_mu while it uses the result.
 */
static const struct agg_flux *flux_rows(struct page_ctx *s, const struct agg_filter *f,
					struct agg_faults *faults)
{
	int slot = f->since_us == INT64_MIN && f->until_us == INT64_MAX ? 0 : 1;
	struct page_fcache *fc = &s->cache[slot];
	uint64_t sig = store_sig(s);
	if (fc->valid && fc->sig == sig && fc->since == f->since_us && fc->until == f->until_us)
		return &fc->fl;
	if (fc->valid)
		agg_flux_fini(&fc->fl);
	fc->valid = 0;
	struct agg_flux_opts o = {*f, dbp(s), 1, INT32_MIN, 0, 0};
	if (agg_flux_scan(&s->set, &o, &fc->fl, faults) < 0) {
		agg_flux_fini(&fc->fl);
		return NULL;
	}
	fc->valid = 1;
	fc->sig = sig;
	fc->since = f->since_us;
	fc->until = f->until_us;
	return &fc->fl;
}

/* ---- request parameters ------------------------------------------------ */

struct params {
	const char *q;		/* the query string */
	size_t qlen;
};

/*
 * A parameter: 1 set (non-empty), 0 absent or empty, -1 malformed.  The
 * error pages name the parameter, which locates a bad value better for
 * the reader than its offset in the query would.
 */
static int param(const struct params *p, const char *key, char *out, size_t cap)
{
	int r = http_query_get(p->q, p->qlen, key, out, cap, NULL);
	if (r == 1 && !out[0])
		return 0;
	return r;
}

enum fcol { COL_DOMAIN, COL_SCORE, COL_HOSTS, COL_ASNS, COL_NS, COL_LOOKUPS, COL_FIRST, COL_LAST,
	    NCOL };
static const char *const col_key[NCOL] = {"domain", "score", "hosts", "asns", "ns", "lookups",
					   "first", "last"};
static const char *const col_name[NCOL] = {"Domain", "Score", "Hosts", "ASNs", "NS", "Lookups",
					    "First seen", "Last seen"};

struct fluxq {
	struct agg_filter f;
	int use_min;
	int32_t min_x100;
	int col, desc;
	size_t page, per;
	char min_s[32], since_s[64], until_s[64];
};

/* Parse the flux table's parameters; on error *why names the bad one. */
static int fluxq_parse(const struct params *p, struct fluxq *fq, const char **why)
{
	char v[64];
	memset(fq, 0, sizeof *fq);
	agg_filter_init(&fq->f);
	fq->col = COL_SCORE;
	fq->desc = 1;
	fq->page = 1;
	fq->per = PAGE_PAGE_ROWS;
	int r;
	if ((r = param(p, "min", fq->min_s, sizeof fq->min_s)) < 0 ||
	    (r == 1 && agg_parse_score(fq->min_s, &fq->min_x100) < 0))
		return *why = "min (a score)", -1;
	fq->use_min = r == 1;
	if ((r = param(p, "since", fq->since_s, sizeof fq->since_s)) < 0 ||
	    (r == 1 && agg_parse_time(fq->since_s, &fq->f.since_us) < 0))
		return *why = "since (Unix seconds or YYYY-MM-DD[THH:MM[:SS]])", -1;
	if ((r = param(p, "until", fq->until_s, sizeof fq->until_s)) < 0 ||
	    (r == 1 && agg_parse_time(fq->until_s, &fq->f.until_us) < 0))
		return *why = "until (Unix seconds or YYYY-MM-DD[THH:MM[:SS]])", -1;
	if (fq->f.since_us > fq->f.until_us)
		return *why = "since is after until", -1;
	if ((r = param(p, "sort", v, sizeof v)) < 0)
		return *why = "sort", -1;
	if (r == 1) {
		int k;
		for (k = 0; k < NCOL && strcmp(v, col_key[k]); k++)
			;
		if (k == NCOL)
			return *why = "sort (a column)", -1;
		fq->col = k;
		fq->desc = k != COL_DOMAIN;
	}
	if ((r = param(p, "order", v, sizeof v)) < 0 || (r == 1 && strcmp(v, "asc") && strcmp(v, "desc")))
		return *why = "order (asc or desc)", -1;
	if (r == 1)
		fq->desc = !strcmp(v, "desc");
	if ((r = param(p, "page", v, sizeof v)) < 0)
		return *why = "page", -1;
	if (r == 1) {
		if (!param_num(v, 1, 10000000, &fq->page))
			return *why = "page (a positive number)", -1;
	}
	if ((r = param(p, "n", v, sizeof v)) < 0)
		return *why = "n", -1;
	if (r == 1) {
		if (!param_num(v, 1, PAGE_PAGE_ROWS_MAX, &fq->per))
			return *why = "n (rows per page, 1 to 1000)", -1;
	}
	return 0;
}

/* "/flux?min=..&since=..": the table's link with one thing changed. */
static void flux_href(struct hbuf *b, const char *base, const struct fluxq *fq, int col, int desc,
		      size_t page)
{
	hbuf_puts(b, base);
	hbuf_puts(b, "?sort=");
	hbuf_puts(b, col_key[col]);
	hbuf_puts(b, desc ? "&amp;order=desc" : "&amp;order=asc");
	if (fq->min_s[0])
		hbuf_puts(b, "&amp;min="), html_urls(b, fq->min_s);
	if (fq->since_s[0])
		hbuf_puts(b, "&amp;since="), html_urls(b, fq->since_s);
	if (fq->until_s[0])
		hbuf_puts(b, "&amp;until="), html_urls(b, fq->until_s);
	if (page > 1)
		hbuf_printf(b, "&amp;page=%zu", page);
	if (fq->per != PAGE_PAGE_ROWS)
		hbuf_printf(b, "&amp;n=%zu", fq->per);
}

static int name_cmp(const struct agg_flux_row *x, const struct agg_flux_row *y)
{
	int c = memcmp(x->name, y->name, x->name_len < y->name_len ? x->name_len : y->name_len);
	return c ? c : (x->name_len > y->name_len) - (x->name_len < y->name_len);
}

static int cmp3(int64_t a, int64_t b)
{
	return (a > b) - (a < b);
}

struct sortctx {
	const struct agg_flux_row *rows;
	int col, desc;
};

static int row_order(const void *a, const void *b, void *ctx)
{
	const struct sortctx *sc = ctx;
	const struct agg_flux_row *x = &sc->rows[*(const size_t *)a], *y = &sc->rows[*(const size_t *)b];
	int c = 0;
	switch (sc->col) {
	case COL_SCORE: c = cmp3(x->v.score_x100, y->v.score_x100); break;
	case COL_HOSTS: c = cmp3(x->v.n_a, y->v.n_a); break;
	case COL_ASNS: c = cmp3(x->v.n_asn, y->v.n_asn); break;
	case COL_NS: c = cmp3(x->v.n_ns, y->v.n_ns); break;
	case COL_LOOKUPS: c = cmp3((int64_t)(x->lookups > INT64_MAX ? INT64_MAX : x->lookups),
				   (int64_t)(y->lookups > INT64_MAX ? INT64_MAX : y->lookups)); break;
	case COL_FIRST: c = cmp3(x->first_us, y->first_us); break;
	case COL_LAST: c = cmp3(x->last_us, y->last_us); break;
	default: break;
	}
	if (sc->desc)
		c = -c;
	return c ? c : name_cmp(x, y);	/* ties by name, always ascending: stable pages */
}

/* The rows passing the filter, in the asked order: an index array (free it). */
static size_t *flux_select(const struct agg_flux *fl, const struct fluxq *fq, size_t *n)
{
	size_t *idx = malloc((fl->n ? fl->n : 1) * sizeof *idx), k = 0;
	if (!idx)
		return NULL;
	for (size_t i = 0; i < fl->n; i++) {
		const struct flux_verdict *v = &fl->rows[i].v;
		if (fq->use_min ? v->score_x100 >= fq->min_x100 : v->flux)
			idx[k++] = i;
	}
	struct sortctx sc = {fl->rows, fq->col, fq->desc};
	qsort_r(idx, k, sizeof *idx, row_order, &sc);
	*n = k;
	return idx;
}

/* ---- pages --------------------------------------------------------------- */

static int page_flux(struct page_job *c, const struct params *p, int arg TIP_UNUSED)
{
	struct page_ctx *s = c->s;
	struct hbuf *b = &c->body;
	struct fluxq fq;
	const char *why;
	if (fluxq_parse(p, &fq, &why) < 0)
		return page_error(c, 400, "bad parameter", why);
	pthread_mutex_lock(&s->cache_mu);
	const struct agg_flux *fl = flux_rows(s, &fq.f, &c->faults);
	size_t n = 0, *idx = fl ? flux_select(fl, &fq, &n) : NULL;
	if (!idx) {
		pthread_mutex_unlock(&s->cache_mu);
		return page_error(c, 500, "out of memory", NULL);
	}
	hbuf_reset(b);
	html_begin_win(b, "Fast-flux domains", 17, HTML_NAV_FLUX, NULL, fq.since_s, fq.until_s);
	hbuf_puts(b, "<h1>Fast-flux domains</h1>\n<form class=\"filter\" action=\"/flux\" "
		     "method=\"get\"><label>Min score<input name=\"min\" size=\"8\" value=\"");
	html_texts(b, fq.min_s);
	hbuf_puts(b, "\" placeholder=\"fast flux\"></label><label>Since (UTC)<input name=\"since\" "
		     "size=\"20\" value=\"");
	html_texts(b, fq.since_s);
	hbuf_puts(b, "\" placeholder=\"YYYY-MM-DD\"></label><label>Until (UTC)<input name=\"until\" "
		     "size=\"20\" value=\"");
	html_texts(b, fq.until_s);
	hbuf_printf(b, "\" placeholder=\"YYYY-MM-DD\"></label><input type=\"hidden\" name=\"sort\" "
		       "value=\"%s\"><input type=\"hidden\" name=\"order\" value=\"%s\">"
		       "<button type=\"submit\">Filter</button></form>\n",
		    col_key[fq.col], fq.desc ? "desc" : "asc");
	hbuf_printf(b, "<p class=\"muted\" id=\"count\">%zu %s of %llu names seen%s; score = "
		       "1.32&times;hosts + 18.54&times;ASNs (Holz et al.), fast flux above 142.38.</p>\n",
		    n, fq.use_min ? "names at or above the minimum score" : "fast-flux names",
		    (unsigned long long)fl->domains,
		    fq.f.since_us != INT64_MIN || fq.f.until_us != INT64_MAX ? " in the window" : "");
	hbuf_puts(b, "<p class=\"downloads\">Download: <a id=\"csv\" href=\"");
	flux_href(b, "/flux.csv", &fq, fq.col, fq.desc, 1);
	hbuf_puts(b, "\">CSV</a><a id=\"cof\" href=\"");
	flux_href(b, "/flux.cof", &fq, fq.col, fq.desc, 1);
	hbuf_puts(b, "\">COF</a></p>\n<table id=\"flux\"><thead><tr>");
	for (int k = 0; k < NCOL; k++) {
		int cur = k == fq.col;
		hbuf_printf(b, "<th%s><a href=\"", cur ? (fq.desc ? " aria-sort=\"descending\""
							    : " aria-sort=\"ascending\"") : "");
		flux_href(b, "/flux", &fq, k, cur ? !fq.desc : k != COL_DOMAIN, 1);
		hbuf_printf(b, "\">%s%s</a></th>", col_name[k],
			    cur ? (fq.desc ? " &#9660;" : " &#9650;") : "");
	}
	hbuf_puts(b, "</tr></thead><tbody>\n");
	size_t from = (fq.page - 1) * fq.per;
	for (size_t i = from; i < n && i < from + fq.per; i++) {
		const struct agg_flux_row *r = &fl->rows[idx[i]];
		hbuf_printf(b, "<tr%s><td>", r->v.flux ? " class=\"flux\"" : "");
		/* the link carries the table's time window to the domain page */
		hbuf_puts(b, "<a href=\"/domain?name=");
		html_url(b, r->name, r->name_len);
		if (fq.since_s[0])
			hbuf_puts(b, "&amp;since="), html_urls(b, fq.since_s);
		if (fq.until_s[0])
			hbuf_puts(b, "&amp;until="), html_urls(b, fq.until_s);
		hbuf_puts(b, "\">");
		html_text(b, r->name, r->name_len);
		hbuf_puts(b, "</a></td><td class=\"n\">");
		put_score(b, r->v.score_x100);
		hbuf_printf(b, "</td><td class=\"n\">%u%s</td><td class=\"n\">%u</td><td class=\"n\">%u"
			       "</td><td class=\"n\">%llu</td><td>",
			    r->v.n_a, r->v.capped ? "+" : "", r->v.n_asn, r->v.n_ns,
			    (unsigned long long)r->lookups);
		put_time(b, r->first_us);
		hbuf_puts(b, "</td><td>");
		put_time(b, r->last_us);
		hbuf_puts(b, "</td></tr>\n");
	}
	hbuf_puts(b, "</tbody></table>\n");
	if (!n)
		hbuf_printf(b, "<p class=\"muted empty\" id=\"flux-none\">%s</p>\n",
			    !fl->domains ? "No name was looked up in the stores (in the time window, when one is given)."
			    : fq.use_min ? "No name scores at or above the minimum score; lower it to see more."
					 : "No name is fast flux: every name scores at or below 142.38. Give a "
					   "minimum score (0 lists every name).");
	if (n > fq.per) {
		size_t pages = (n + fq.per - 1) / fq.per;
		hbuf_printf(b, "<p class=\"pages\">Page %zu of %zu. ", fq.page, pages);
		if (fq.page > 1) {
			hbuf_puts(b, "<a rel=\"prev\" href=\"");
			flux_href(b, "/flux", &fq, fq.col, fq.desc, fq.page - 1);
			hbuf_puts(b, "\">Previous</a> ");
		}
		if (fq.page < pages) {
			hbuf_puts(b, "<a rel=\"next\" href=\"");
			flux_href(b, "/flux", &fq, fq.col, fq.desc, fq.page + 1);
			hbuf_puts(b, "\">Next</a>");
		}
		hbuf_puts(b, "</p>\n");
	}
	html_end(b);
	pthread_mutex_unlock(&s->cache_mu);
	free(idx);
	respond_page(c, 200);
	return 0;
}

static int page_flux_dl(struct page_job *c, const struct params *p, int cof)
{
	struct page_ctx *s = c->s;
	struct fluxq fq;
	const char *why;
	if (fluxq_parse(p, &fq, &why) < 0)
		return page_error(c, 400, "bad parameter", why);
	pthread_mutex_lock(&s->cache_mu);
	const struct agg_flux *fl = flux_rows(s, &fq.f, &c->faults);
	size_t n = 0, *idx = fl ? flux_select(fl, &fq, &n) : NULL;
	char *data = NULL;
	size_t len = 0;
	FILE *f = idx ? open_memstream(&data, &len) : NULL;
	if (!f) {
		pthread_mutex_unlock(&s->cache_mu);
		free(idx);
		return page_error(c, 500, "out of memory", NULL);
	}
	if (!cof)
		query_csv_flux_header(f);
	for (size_t i = 0; i < n; i++) {
		if (cof)
			query_cof_domain(f, &s->set, dbp(s), &fq.f, fl->rows[idx[i]].name);
		else
			query_csv_flux_row(f, &fl->rows[idx[i]]);
	}
	pthread_mutex_unlock(&s->cache_mu);
	fclose(f);
	free(idx);
	respond_stream(c, data, len,
		       cof ? "application/x-ndjson; charset=utf-8" : "text/csv; charset=utf-8",
		       cof ? "flux.cof.json" : "flux.csv");
	free(data);
	return 0;
}

/* What the domain page adds to agg_domain_lookup: TTLs (in the series' walk). */
struct dom_extra {
	const struct agg_domain *d;
	uint32_t ttl_min, ttl_max;
	uint64_t ttl_n;
};

static int on_dom_extra(void *ctx, const char *sensor TIP_UNUSED,
			const struct store_seg *seg TIP_UNUSED, uint64_t pos TIP_UNUSED,
			const struct rec *r)
{
	struct dom_extra *x = ctx;
	if (r->type != REC_DNS)
		return 0;
	const struct rec_dns *dn = &r->u.dns;
	if (dn->name_len != x->d->name_len || memcmp(dn->name, x->d->name, dn->name_len))
		return 0;
	if (dn->qtype == 1 && dn->n_a4 && dn->ttl) {
		if (!x->ttl_n || dn->ttl < x->ttl_min)
			x->ttl_min = dn->ttl;
		if (dn->ttl > x->ttl_max)
			x->ttl_max = dn->ttl;
		x->ttl_n++;
	}
	return 0;
}

static void svg_to_hbuf(void *ctx, const char *s, size_t n)
{
	hbuf_put(ctx, s, n);
}

static int cmp_rrset_time(const void *a, const void *b)
{
	const struct agg_rrset *x = *(const struct agg_rrset *const *)a;
	const struct agg_rrset *y = *(const struct agg_rrset *const *)b;
	int c = cmp3(x->first_us, y->first_us);
	return c ? c : cmp3(x->last_us, y->last_us);
}

/* since= and until= of a page: NULL, or the bad one. */
static const char *win_parse(const struct params *p, struct agg_filter *f, char *since_s,
			     char *until_s)
{
	int r;
	agg_filter_init(f);
	if ((r = param(p, "since", since_s, 64)) < 0 ||
	    (r == 1 && agg_parse_time(since_s, &f->since_us) < 0))
		return "since (Unix seconds, YYYY-MM-DD[THH:MM[:SS]][Z|+HH:MM], or 2d, 1h ago)";
	if (r != 1)
		since_s[0] = '\0';
	if ((r = param(p, "until", until_s, 64)) < 0 ||
	    (r == 1 && agg_parse_time(until_s, &f->until_us) < 0))
		return "until (Unix seconds, YYYY-MM-DD[THH:MM[:SS]][Z|+HH:MM], or 2d, 1h ago)";
	if (r != 1)
		until_s[0] = '\0';
	if (f->since_us > f->until_us)
		return "since is after until";
	return NULL;
}

/* "&amp;since=..&amp;until=..": the window carried into a link. */
static void win_href(struct hbuf *b, const char *since_s, const char *until_s)
{
	if (since_s && since_s[0])
		hbuf_puts(b, "&amp;since="), html_urls(b, since_s);
	if (until_s && until_s[0])
		hbuf_puts(b, "&amp;until="), html_urls(b, until_s);
}

/* ---- tables sorted and paged by the server ---------------------------------- */

/*
 * One table of a page, sorted and paged by the server: the page sorts an
 * index of its rows by (col, desc) and shows rows [from, from + per).
 * Its parameters are <pfx>sort, <pfx>order, <pfx>page and <pfx>n (rows
 * per page), so the tables
 * of one page (the domain page has three) each keep their state in every
 * link of the page, and the time window goes with them.
 */
struct tbl {
	const char *pfx;		/* "" or "ns_" */
	const char *id;			/* the table's element id */
	const char *const *keys;	/* sort key per column; NULL: the column does not sort */
	const char *const *names;	/* column headers (trusted text) */
	const char *dirs;		/* 'a' or 'd' per column: the first order of a column */
	int ncol;
	int def_col;			/* the order when none is asked, in dirs[def_col] */
	int col, desc;
	size_t page, per;
	size_t def_per;
};

/* Where the links of a page's tables point: path, its key, the window, every table. */
struct plink {
	const char *path;		/* "/domain" */
	const char *key;		/* "name", or NULL */
	const char *val;
	const char *since_s, *until_s;
	struct tbl *const *t;
	int nt;
};

static void tbl_init(struct tbl *t, const char *pfx, const char *id, const char *const *keys,
		     const char *const *names, const char *dirs, int ncol, int def_col, size_t per)
{
	*t = (struct tbl){pfx, id, keys, names, dirs, ncol, def_col, def_col, dirs[def_col] == 'd', 1,
			  per, per};
}

/* Its sort, order and page from p; NULL, or the parameter that is wrong. */
static const char *tbl_parse(const struct params *p, struct tbl *t, char *why, size_t wcap)
{
	char k[32], v[64];
	int r;
	snprintf(k, sizeof k, "%ssort", t->pfx);
	if ((r = param(p, k, v, sizeof v)) < 0)
		return snprintf(why, wcap, "%s", k), why;
	if (r == 1) {
		int c;
		for (c = 0; c < t->ncol && !(t->keys[c] && !strcmp(v, t->keys[c])); c++)
			;
		if (c == t->ncol) {
			int o = snprintf(why, wcap, "%s (one of", k);
			for (c = 0; c < t->ncol && o > 0 && (size_t)o < wcap; c++)
				if (t->keys[c])
					o += snprintf(why + o, wcap - (size_t)o, " %s", t->keys[c]);
			if (o > 0 && (size_t)o < wcap)
				snprintf(why + o, wcap - (size_t)o, ")");
			return why;
		}
		t->col = c;
		t->desc = t->dirs[c] == 'd';
	}
	snprintf(k, sizeof k, "%sorder", t->pfx);
	if ((r = param(p, k, v, sizeof v)) < 0 || (r == 1 && strcmp(v, "asc") && strcmp(v, "desc")))
		return snprintf(why, wcap, "%s (asc or desc)", k), why;
	if (r == 1)
		t->desc = !strcmp(v, "desc");
	snprintf(k, sizeof k, "%spage", t->pfx);
	if ((r = param(p, k, v, sizeof v)) < 0)
		return snprintf(why, wcap, "%s", k), why;
	if (r == 1) {
		if (!param_num(v, 1, 10000000, &t->page))
			return snprintf(why, wcap, "%s (a positive number)", k), why;
	}
	snprintf(k, sizeof k, "%sn", t->pfx);
	if ((r = param(p, k, v, sizeof v)) < 0)
		return snprintf(why, wcap, "%s", k), why;
	if (r == 1) {
		if (!param_num(v, 1, PAGE_PAGE_ROWS_MAX, &t->per))
			return snprintf(why, wcap, "%s (rows per page, 1 to %d)", k, PAGE_PAGE_ROWS_MAX), why;
	}
	return NULL;
}

/* The first row shown of n; a page past the end shows the last one. */
static size_t tbl_from(struct tbl *t, size_t n)
{
	size_t pages = n ? (n + t->per - 1) / t->per : 1;
	if (t->page > pages)
		t->page = pages;
	return (t->page - 1) * t->per;
}

/* The link to this page with table `which` at (col, desc, page), the rest as they are. */
static void tbl_href(struct hbuf *b, const struct plink *L, int which, int col, int desc,
		     size_t page)
{
	const char *sep = "?";
	hbuf_puts(b, L->path);
	if (L->key) {
		hbuf_printf(b, "?%s=", L->key);
		html_urls(b, L->val);
		sep = "&amp;";
	}
	if (L->since_s && L->since_s[0]) {
		hbuf_printf(b, "%ssince=", sep);
		html_urls(b, L->since_s);
		sep = "&amp;";
	}
	if (L->until_s && L->until_s[0]) {
		hbuf_printf(b, "%suntil=", sep);
		html_urls(b, L->until_s);
		sep = "&amp;";
	}
	for (int i = 0; i < L->nt; i++) {
		const struct tbl *t = L->t[i];
		int c = i == which ? col : t->col, d = i == which ? desc : t->desc;
		size_t pg = i == which ? page : t->page;
		if (c != t->def_col || d != (t->dirs[c] == 'd')) {
			hbuf_printf(b, "%s%ssort=%s&amp;%sorder=%s", sep, t->pfx, t->keys[c], t->pfx,
				    d ? "desc" : "asc");
			sep = "&amp;";
		}
		if (pg != 1) {
			hbuf_printf(b, "%s%spage=%zu", sep, t->pfx, pg);
			sep = "&amp;";
		}
		if (t->per != t->def_per) {
			hbuf_printf(b, "%s%sn=%zu", sep, t->pfx, t->per);
			sep = "&amp;";
		}
	}
}

/* <table id=..><thead> with a sorting link in each sortable header, <tbody>. */
static void tbl_open(struct hbuf *b, const struct plink *L, int which)
{
	const struct tbl *t = L->t[which];
	hbuf_printf(b, "<table id=\"%s\"><thead><tr>", t->id);
	for (int k = 0; k < t->ncol; k++) {
		int cur = k == t->col;
		if (!t->keys[k]) {
			hbuf_printf(b, "<th>%s</th>", t->names[k]);
			continue;
		}
		hbuf_printf(b, "<th%s><a href=\"", cur ? (t->desc ? " aria-sort=\"descending\""
							  : " aria-sort=\"ascending\"") : "");
		/* a header sorts by its column; again, the other way; back to page 1 */
		tbl_href(b, L, which, k, cur ? !t->desc : t->dirs[k] == 'd', 1);
		hbuf_printf(b, "\">%s%s</a></th>", t->names[k],
			    cur ? (t->desc ? " &#9660;" : " &#9650;") : "");
	}
	hbuf_puts(b, "</tr></thead><tbody>\n");
}

/*
 * </table>, then: when n is 0, why the table is empty (trusted text, in a
 * <p id="ID-none">); when there are more rows than a page, "Rows a to b
 * of n" and links to the first, previous, next and last pages.
 */
static void tbl_close(struct hbuf *b, const struct plink *L, int which, size_t n, const char *noun,
		      const char *empty_why)
{
	const struct tbl *t = L->t[which];
	hbuf_puts(b, "</tbody></table>\n");
	if (!n) {
		hbuf_printf(b, "<p class=\"muted empty\" id=\"%s-none\">%s</p>\n", t->id, empty_why);
		return;
	}
	if (n <= t->per)
		return;
	size_t pages = (n + t->per - 1) / t->per, from = (t->page - 1) * t->per;
	hbuf_printf(b, "<p class=\"pages\" id=\"%s-pages\">%s %zu to %zu of %zu (page %zu of %zu). ",
		    t->id, noun, from + 1, from + t->per < n ? from + t->per : n, n, t->page, pages);
	static const char *const lab[] = {"First", "Previous", "Next", "Last"};
	static const char *const rel[] = {"first", "prev", "next", "last"};
	size_t to[] = {1, t->page - 1, t->page + 1, pages};
	for (int k = 0; k < 4; k++) {
		if ((k < 2 && t->page == 1) || (k >= 2 && t->page == pages))
			continue;
		hbuf_printf(b, "<a rel=\"%s\" href=\"", rel[k]);
		tbl_href(b, L, which, t->col, t->desc, to[k]);
		hbuf_printf(b, "\">%s</a> ", lab[k]);
	}
	hbuf_puts(b, "</p>\n");
}

static int cmp_bytes(const void *a, size_t al, const void *b, size_t bl)
{
	int c = memcmp(a, b, al < bl ? al : bl);
	return c ? c : (al > bl) - (al < bl);
}

/* A sorted index 0..n-1 (NULL out of memory; a 1-element array when n is 0). */
static size_t *tbl_index(size_t n, int (*cmp)(const void *, const void *, void *), void *ctx)
{
	size_t *idx = malloc((n ? n : 1) * sizeof *idx);
	if (!idx)
		return NULL;
	for (size_t i = 0; i < n; i++)
		idx[i] = i;
	qsort_r(idx, n, sizeof *idx, cmp, ctx);
	return idx;
}

/* "?since=..&amp;until=..", or nothing: the window as a path's whole query. */
static void win_query(struct hbuf *b, const char *since_s, const char *until_s)
{
	if (since_s[0])
		hbuf_puts(b, "?since="), html_urls(b, since_s);
	if (until_s[0])
		hbuf_puts(b, since_s[0] ? "&amp;until=" : "?until="), html_urls(b, until_s);
}

/*
 * "Seen in spam": what the spamtrap's extracts say of a name or an address
 * (tools/spam.h) in the page's window: how many messages, how often seen,
 * first and last seen, and a few subjects, escaped (they come from mail).
 */
static void seen_in_spam(struct page_job *c, const uint8_t *key, size_t klen,
			 const struct agg_filter *win)
{
	struct hbuf *b = &c->body;
	struct spam_result res;
	struct agg_faults faults = {"serve", 0};
	hbuf_puts(b, "<h2>Seen in spam</h2>\n");
	if (!klen || spam_lookup(&c->s->set, key, klen, win->since_us, win->until_us, &res, &faults) < 0) {
		hbuf_puts(b, "<p class=\"muted\" id=\"spam-none\">Not looked up.</p>\n");
		return;
	}
	if (!res.n) {
		hbuf_puts(b, "<p class=\"muted\" id=\"spam-none\">Not seen in spam.</p>\n");
		spam_result_free(&res);
		return;
	}
	hbuf_printf(b, "<p id=\"spam-summary\">%zu messages, seen %llu times, first ", res.n,
		    (unsigned long long)res.count);
	put_time(b, res.first_us);
	hbuf_puts(b, ", last ");
	put_time(b, res.last_us);
	hbuf_puts(b, ".</p>\n");
	static const char *const h[] = {"First seen", "Count", "From", "Subject"};
	hbuf_puts(b, "<table id=\"spam-samples\"><thead>");
	html_th_row(b, h, 4);
	hbuf_puts(b, "</thead><tbody>\n");
	for (size_t i = 0; i < res.n && i < SPAM_SAMPLES; i++) {
		const struct spam_message *m = &res.msgs[res.n - 1 - i];	/* the newest first */
		hbuf_puts(b, "<tr><td>");
		put_time(b, m->first_us);
		hbuf_printf(b, "</td><td class=\"n\">%llu</td><td>", (unsigned long long)m->count);
		html_texts(b, m->from);
		hbuf_puts(b, "</td><td>");
		html_text(b, m->subject, m->subject_len);
		hbuf_puts(b, "</td></tr>\n");
	}
	hbuf_puts(b, "</tbody></table>\n");
	spam_result_free(&res);
}

/* The domain page's tables: A records, lookup history, NS history. */
static const char *const dom_a_keys[] = {"ip", "host", "asn", "country", "first", "last", "count"};
static const char *const dom_a_names[] = {"IP Address", "Hostname", "ASN (name)", "Country",
					  "First seen", "Last seen", "Count"};
static const char *const dom_lk_keys[] = {"type", "outcome", "count", NULL, "first", "last"};
static const char *const dom_lk_names[] = {"Type", "Outcome", "Count", "TTLs", "First seen",
					   "Last seen"};
static const char *const dom_ns_keys[] = {NULL, "first", "last", "count", "sensor"};
static const char *const dom_ns_names[] = {"Name servers", "First seen", "Last seen", "Count",
					   "Sensor"};

struct dom_sort {
	const struct tbl *ta, *tl, *tn;
	const struct agg_domain *d;
	const struct lookups *lk;
	const struct agg_rrset *const *ns;
};

static int tbl_dir(const struct tbl *t, int c)
{
	return t->desc ? -c : c;
}

static int dom_a_cmp(const void *a, const void *b, void *ctx)
{
	const struct dom_sort *s = ctx;
	size_t i = *(const size_t *)a, j = *(const size_t *)b;
	const struct agg_ip *x = &s->d->ips[i], *y = &s->d->ips[j];
	struct agg_ipinfo u, v;
	int c = 0;
	switch (s->ta->col) {
	case 1:
	case 2:
	case 3:
		agg_domain_ipinfo(s->d, i, &u);
		agg_domain_ipinfo(s->d, j, &v);
		c = s->ta->col == 1   ? cmp_bytes(u.ptr, u.ptr_len, v.ptr, v.ptr_len)
		    : s->ta->col == 2 ? cmp3(u.asn, v.asn)
				      : strcmp(u.cc, v.cc);
		break;
	case 4: c = cmp3(x->first_us, y->first_us); break;
	case 5: c = cmp3(x->last_us, y->last_us); break;
	case 6: c = cmp3((int64_t)x->count, (int64_t)y->count); break;
	default: break;
	}
	if (!c)	/* then by address, in the same direction */
		c = cmp3(x->ip, y->ip);
	return tbl_dir(s->ta, c);
}

static int dom_lk_cmp(const void *a, const void *b, void *ctx)
{
	const struct dom_sort *s = ctx;
	const struct tbl *t = s->tl;
	const struct lookup_row *x = &s->lk->v[*(const size_t *)a], *y = &s->lk->v[*(const size_t *)b];
	int c = 0;
	switch (t->col) {
	case 0: c = cmp3(x->qtype, y->qtype); break;
	case 1: c = cmp3(x->rcode * 2 + !x->answered, y->rcode * 2 + !y->answered); break;
	case 2: c = cmp3((int64_t)x->count, (int64_t)y->count); break;
	case 5: c = cmp3(x->last_us, y->last_us); break;
	default: break;
	}
	if (!c)
		c = cmp3(x->first_us, y->first_us);
	if (!c)
		c = cmp3(x->qtype * 512 + x->rcode * 2 + x->answered, y->qtype * 512 + y->rcode * 2 + y->answered);
	return tbl_dir(t, c);
}

static int dom_ns_cmp(const void *a, const void *b, void *ctx)
{
	const struct dom_sort *s = ctx;
	const struct tbl *t = s->tn;
	const struct agg_rrset *x = s->ns[*(const size_t *)a], *y = s->ns[*(const size_t *)b];
	int c = 0;
	if (t->col == 2)
		c = cmp3(x->last_us, y->last_us);
	else if (t->col == 3)
		c = cmp3((int64_t)x->count, (int64_t)y->count);
	else if (t->col == 4) {
		struct agg_rrset_view u, v;
		agg_rrset_view(x, &u);
		agg_rrset_view(y, &v);
		c = cmp_bytes(u.sensor, u.sensor_len, v.sensor, v.sensor_len);
	}
	if (!c)
		c = cmp_rrset_time(&x, &y);
	return tbl_dir(t, c);
}

static int page_domain(struct page_job *c, const struct params *p, int dl)
{
	struct page_ctx *s = c->s;
	struct hbuf *b = &c->body;
	char raw[REC_NAME_MAX * 3 + 8], name[REC_NAME_MAX + 1];
	int r = param(p, "name", raw, sizeof raw);
	if (r <= 0)
		return page_error(c, 400, "give a domain name: /domain?name=NAME", NULL);
	size_t nl = norm_name(name, raw);
	if (!nl || strlen(raw) > REC_NAME_MAX + 1)
		return page_error(c, 400, "not a domain name", raw);
	struct agg_filter all;
	char since_s[64] = "", until_s[64] = "";
	const char *why = win_parse(p, &all, since_s, until_s);
	if (why)
		return page_error(c, 400, "bad parameter", why);
	struct tbl ta, tl, tn;
	tbl_init(&ta, "", "a-records", dom_a_keys, dom_a_names, "aaaaddd", 7, 0, PAGE_A_ROWS);
	tbl_init(&tl, "lk_", "lookups", dom_lk_keys, dom_lk_names, "aadaad", 6, 4, PAGE_PAGE_ROWS);
	tbl_init(&tn, "ns_", "ns-history", dom_ns_keys, dom_ns_names, "aadda", 5, 1, PAGE_PAGE_ROWS);
	struct tbl *const tabs[] = {&ta, &tl, &tn};
	char wbuf[160];
	for (int k = 0; k < 3; k++)
		if (tbl_parse(p, tabs[k], wbuf, sizeof wbuf))
			return page_error(c, 400, "bad parameter", wbuf);
	if (dl) {
		char *data = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&data, &len);
		if (!f)
			return page_error(c, 500, "out of memory", NULL);
		if (dl == 2) {
			query_cof_domain(f, &s->set, dbp(s), &all, name);
		} else {
			struct agg_domain d;
			if (agg_domain_lookup(&s->set, dbp(s), name, &all, &d, NULL, &c->faults) == 0)
				query_csv_domain(f, &d);
			agg_domain_fini(&d);
		}
		fclose(f);
		respond_stream(c, data, len,
			       dl == 2 ? "application/x-ndjson; charset=utf-8" : "text/csv; charset=utf-8",
			       dl == 2 ? "domain.cof.json" : "domain.csv");
		free(data);
		return 0;
	}
	struct agg_domain d;
	struct agg_rrsets rr;
	agg_rrsets_init(&rr);
	if (agg_domain_lookup(&s->set, dbp(s), name, &all, &d, &rr, &c->faults) < 0) {
		agg_domain_fini(&d);
		agg_rrsets_fini(&rr);
		return page_error(c, 500, "out of memory", NULL);
	}
	struct lookups lk;
	if (lookups_collect(&s->set, name, &all, &lk, &c->faults) < 0) {
		agg_domain_fini(&d);
		agg_rrsets_fini(&rr);
		return page_error(c, 500, "out of memory", NULL);
	}
	if (!d.found && !lk.n) {
		agg_domain_fini(&d);
		agg_rrsets_fini(&rr);
		lookups_fini(&lk);
		return page_error(c, 404, "no observation of this domain", name);
	}
	if (!d.records && !lk.n) {
		agg_domain_fini(&d);
		agg_rrsets_fini(&rr);
		lookups_fini(&lk);
		return page_error(c, 404, "no observation of this domain in the time window", name);
	}
	/* the second pass: TTLs and the score over time (tip graph's series) */
	struct dom_extra x = {&d, 0, 0, 0};
	struct series sr;
	int err = series_domain(&sr, &s->set, &d, &all, SERIES_AUTO, on_dom_extra, &x) < 0;

	hbuf_reset(b);
	html_begin_win(b, d.name, d.name_len, HTML_NAV_NONE, NULL, since_s, until_s);
	hbuf_puts(b, "<h1>Domain <span id=\"name\">");
	html_text(b, d.name, d.name_len);
	hbuf_puts(b, "</span></h1>\n<dl class=\"summary\" id=\"summary\"><dt>Verdict</dt><dd>");
	hbuf_puts(b, d.v.flux ? "<span class=\"bad\">fast flux</span>"
			      : "<span class=\"good\">not fast flux</span>");
	/* the verdict is the classification window's, as tipd's; the running totals beside */
	hbuf_puts(b, "</dd><dt>Score (classification window)</dt><dd id=\"score\">");
	put_score(b, d.v.score_x100);
	hbuf_puts(b, " (margin ");
	put_score(b, d.v.margin_x100);
	hbuf_printf(b, ")</dd><dt>Hosts (unique A)</dt><dd>%u%s</dd><dt>ASNs</dt><dd>%u</dd>"
		       "<dt>Running totals</dt><dd id=\"running\">",
		    d.v.n_a, d.v.capped ? "+ (capped)" : "", d.v.n_asn);
	put_score(b, d.run.score_x100);
	hbuf_printf(b, " (%u%s hosts in %u ASNs)</dd>"
		       "<dt>NS names</dt><dd>%u</dd><dt>Lookups</dt><dd>%llu (%llu records)</dd>",
		    d.run.n_a, d.run.capped ? "+, capped" : "", d.run.n_asn, d.run.n_ns,
		    (unsigned long long)d.lookups, (unsigned long long)d.records);
	if (d.sets.answers)
		hbuf_printf(b, "<dt>A records per answer</dt><dd id=\"per-answer\">%.2f "
			       "(fluxiness %.3f)</dd>",
			    (double)d.sets.records / d.sets.answers, flux_sets_fluxiness(&d.sets));
	hbuf_puts(b, "<dt>TTLs seen</dt><dd id=\"ttl\">");
	{
		uint32_t tmin = UINT32_MAX, tmax = 0;
		unsigned nt = 0;
		for (size_t i = 0; i < lk.n; i++)
			for (unsigned k = 0; k < lk.v[i].n_ttls; k++, nt++) {
				if (lk.v[i].ttls[k] < tmin)
					tmin = lk.v[i].ttls[k];
				if (lk.v[i].ttls[k] > tmax)
					tmax = lk.v[i].ttls[k];
			}
		if (nt && tmax == 0)
			hbuf_puts(b, "0 s only: not recorded by the source (COF imports carry no TTL), "
				     "or answers not to be cached");
		else if (nt && tmin == tmax)
			hbuf_printf(b, "%u s", tmin);
		else if (nt)
			hbuf_printf(b, "%u s to %u s (per answer type in the lookup table below)", tmin,
				    tmax);
		else if (x.ttl_n)
			hbuf_printf(b, "%u s to %u s", x.ttl_min, x.ttl_max);
		else
			hbuf_puts(b, "none: no answer with records");
		(void)x.ttl_n;
	}
	hbuf_puts(b, "</dd><dt>First seen</dt><dd>");
	put_time(b, d.first_us);
	hbuf_puts(b, "</dd><dt>Last seen</dt><dd>");
	put_time(b, d.last_us);
	hbuf_puts(b, "</dd></dl>\n");
	if (since_s[0] || until_s[0]) {
		hbuf_puts(b, "<p class=\"muted\" id=\"window\">Time window: ");
		html_text(b, since_s[0] ? since_s : "the start", strlen(since_s[0] ? since_s : "the start"));
		hbuf_puts(b, " to ");
		html_text(b, until_s[0] ? until_s : "now", strlen(until_s[0] ? until_s : "now"));
		hbuf_puts(b, " (<a href=\"/domain?name=");
		html_url(b, d.name, d.name_len);
		hbuf_puts(b, "\">all times</a>)</p>\n");
	}
	hbuf_puts(b, "<p class=\"downloads\">Download: <a id=\"csv\" href=\"/domain.csv?name=");
	html_url(b, d.name, d.name_len);
	win_href(b, since_s, until_s);
	hbuf_puts(b, "\">CSV</a><a id=\"cof\" href=\"/domain.cof?name=");
	html_url(b, d.name, d.name_len);
	win_href(b, since_s, until_s);
	hbuf_puts(b, "\">COF</a></p>\n<h2>Fast-flux score graph</h2>\n<figure id=\"graph\">");
	struct flux_verdict gv;
	series_verdict(&sr, &d, &gv);
	struct svg_graph g = {d.name, d.name_len, &gv, d.lookups,
			      d.first_us != INT64_MAX ? d.first_us : sr.n ? sr.v[0].t_us : 0,
			      d.last_us != INT64_MIN ? d.last_us : sr.t_end_us, sr.source,
			      sr.v, sr.n, sr.t_end_us, 0, &d.v};
	svg_score_graph(svg_to_hbuf, b, &g);
	series_fini(&sr);
	hbuf_printf(b, "<figcaption class=\"muted\">Score of ");
	html_text(b, d.name, d.name_len);
	hbuf_printf(b, " over time, from %s.</figcaption></figure>\n", g.source);

	const struct agg_rrset **ns = calloc(rr.n ? rr.n : 1, sizeof *ns);
	size_t nns = 0;
	for (size_t i = 0; ns && i < rr.n; i++) {
		struct agg_rrset_view v;
		agg_rrset_view(&rr.v[i], &v);
		if (v.qtype == 2)
			ns[nns++] = &rr.v[i];
	}
	if (!ns)
		err = 1;
	struct plink L = {"/domain", "name", name, since_s, until_s, tabs, 3};
	/* the A records, the lookup history and the NS history: sorted and paged here */
	hbuf_printf(b, "<h2>A records</h2>\n");
	struct dom_sort ds = {&ta, &tl, &tn, &d, &lk, ns};
	size_t *ai = tbl_index(d.n_ips, dom_a_cmp, &ds);
	size_t *li = tbl_index(lk.n, dom_lk_cmp, &ds);
	size_t *ni = tbl_index(nns, dom_ns_cmp, &ds);
	if (!ai || !li || !ni)
		err = 1;
	tbl_open(b, &L, 0);
	size_t from = tbl_from(&ta, d.n_ips);
	for (size_t k = from; ai && k < d.n_ips && k < from + ta.per; k++) {
		size_t i = ai[k];
		struct agg_ipinfo in;
		char ip[INET_ADDRSTRLEN];
		agg_domain_ipinfo(&d, i, &in);
		ip4_text(ip, d.ips[i].ip);
		hbuf_puts(b, "<tr><td>");
		link_ip(b, ip, since_s, until_s);
		hbuf_puts(b, "</td>");
		put_ipinfo_cells(b, &in);
		hbuf_puts(b, "<td>");
		put_time(b, d.ips[i].first_us);
		hbuf_puts(b, "</td><td>");
		put_time(b, d.ips[i].last_us);
		hbuf_printf(b, "</td><td class=\"n\">%llu</td></tr>\n", (unsigned long long)d.ips[i].count);
	}
	tbl_close(b, &L, 0, d.n_ips, "Addresses",
		  lk.failed && !d.n_ips ? "No address in an answer: the lookups failed (see the lookup history)."
		  : d.found && !d.records ? "No address in an answer in this time window."
		  : d.v.n_a == 0 && d.records ? "No address in an answer: the answers held other types only (see the lookup history)."
					       : "No address in an answer.");
	if (d.ips_over)
		hbuf_puts(b, "<p class=\"muted\" id=\"a-records-over\">More addresses beyond the cap "
			     "are counted but not listed.</p>\n");
	if (d.n_ips > ta.per)
		hbuf_puts(b, "<p class=\"muted\">The CSV download has them all.</p>\n");

	/* the lookup history: outcomes, failed lookups included */
	hbuf_puts(b, "<h2>Lookup history</h2>\n");
	tbl_open(b, &L, 1);
	from = tbl_from(&tl, lk.n);
	for (size_t k = from; li && k < lk.n && k < from + tl.per; k++) {
		const struct lookup_row *lr = &lk.v[li[k]];
		char qt[DNSTYPE_NAME_MAX], rb[16];
		hbuf_printf(b, "<tr%s><td>%s</td><td>%s%s</td><td class=\"n\">%llu</td><td>",
			    lr->rcode ? " class=\"failed\"" : "", dnstype_name(lr->qtype, qt),
			    lookups_rcode_name(lr->rcode, rb),
			    lr->rcode == 0 && !lr->answered ? " (no data)" : "",
			    (unsigned long long)lr->count);
		for (unsigned t = 0; t < lr->n_ttls; t++)
			hbuf_printf(b, "%s%u", t ? ", " : "", lr->ttls[t]);
		if (!lr->n_ttls)
			hbuf_puts(b, "-");
		if (lr->ttls_over)
			hbuf_printf(b, " (+%u more)", lr->ttls_over);
		hbuf_puts(b, "</td><td>");
		put_time(b, lr->first_us);
		hbuf_puts(b, "</td><td>");
		put_time(b, lr->last_us);
		hbuf_puts(b, "</td></tr>\n");
	}
	tbl_close(b, &L, 1, lk.n, "Rows",
		  since_s[0] || until_s[0] ? "No lookup of this name in the time window."
					   : "No lookup of this name recorded (only coalesced answers without an outcome).");

	/* NS history: the distinct NS sets */
	hbuf_puts(b, "<h2>NS history</h2>\n");
	tbl_open(b, &L, 2);
	from = tbl_from(&tn, nns);
	for (size_t k = from; ni && k < nns && k < from + tn.per; k++) {
		const struct agg_rrset *set = ns[ni[k]];
		struct agg_rrset_view v;
		agg_rrset_view(set, &v);
		hbuf_puts(b, "<tr><td>");
		const uint8_t *q = v.names;
		for (uint32_t t = 0; t < v.n_names; t++) {
			if (t)
				hbuf_puts(b, "<br>");
			link_domain(b, (const char *)q + 1, q[0], since_s, until_s);
			q += 1 + q[0];
		}
		hbuf_puts(b, "</td><td>");
		put_time(b, set->first_us);
		hbuf_puts(b, "</td><td>");
		put_time(b, set->last_us);
		hbuf_printf(b, "</td><td class=\"n\">%llu</td><td>", (unsigned long long)set->count);
		html_text(b, v.sensor, v.sensor_len);
		hbuf_puts(b, "</td></tr>\n");
	}
	tbl_close(b, &L, 2, nns, "NS sets",
		  since_s[0] || until_s[0] ? "No NS answer recorded in the time window (only NS lookups of the name itself are stored)."
					   : "No NS answer recorded: nobody looked up the NS records of this name where a sensor saw it.");
	free(ai);
	free(li);
	free(ni);
	free(ns);
	{
		uint8_t sk[INDEX_KEY_MAX];
		seen_in_spam(c, sk, spam_key_parse(sk, IX_MAILNAME, name), &all);
	}
	hbuf_puts(b, "<p><a href=\"/indicator?v=");
	html_urls(b, name);
	win_href(b, since_s, until_s);
	hbuf_puts(b, "\">Blacklist listings of this name</a> &middot; <a href=\"/sources");
	win_query(b, since_s, until_s);
	hbuf_puts(b, "\">Sources</a></p>\n");
	html_end(b);
	agg_domain_fini(&d);
	agg_rrsets_fini(&rr);
	lookups_fini(&lk);
	if (err)
		return page_error(c, 500, "out of memory", NULL);
	respond_page(c, 200);
	return 0;
}

struct ipdom_order {
	int key;	/* 0 domain, 1 count, 2 first, 3 last */
	int desc;
};

static int ipdom_cmp(const void *a, const void *b, void *ctx)
{
	const struct agg_ipdom *x = a, *y = b;
	const struct ipdom_order *o = ctx;
	int c = 0;
	if (o->key == 1)
		c = (x->count > y->count) - (x->count < y->count);
	else if (o->key == 2)
		c = (x->first_us > y->first_us) - (x->first_us < y->first_us);
	else if (o->key == 3)
		c = (x->last_us > y->last_us) - (x->last_us < y->last_us);
	if (o->desc)
		c = -c;
	if (!c) {
		size_t n = x->name_len < y->name_len ? x->name_len : y->name_len;
		c = memcmp(x->name, y->name, n);
		if (!c)
			c = (x->name_len > y->name_len) - (x->name_len < y->name_len);
		if (o->key == 0 && o->desc)
			c = -c;
	}
	return c;
}

static int page_ip(struct page_job *c, const struct params *p, int dl)
{
	struct page_ctx *s = c->s;
	struct hbuf *b = &c->body;
	char text[INET6_ADDRSTRLEN + 8], ip[INET6_ADDRSTRLEN];
	uint8_t a[16];
	int family = 4;
	int r = param(p, "a", text, sizeof text);
	if (r < 0 || (r == 1 && inet_pton(AF_INET, text, a) != 1 && (family = 6) &&
		      inet_pton(AF_INET6, text, a) != 1))
		return page_error(c, 400, "not an IPv4 or IPv6 address", r < 0 ? NULL : text);
	if (r == 0)
		return page_error(c, 400, "give an address: /ip?a=ADDRESS", NULL);
	inet_ntop(family == 4 ? AF_INET : AF_INET6, a, ip, sizeof ip);
	struct agg_filter all;
	char since_s[64] = "", until_s[64] = "", sort_s[16] = "", order_s[8] = "", pg[24];
	const char *why = win_parse(p, &all, since_s, until_s);
	if (why)
		return page_error(c, 400, "bad parameter", why);
	/* the domains table: sorted and paged by the server */
	int sk = 0, desc = 0;
	size_t dpage = 1;
	static const char *const skeys[] = {"domain", "count", "first", "last"};
	if ((r = param(p, "sort", sort_s, sizeof sort_s)) < 0)
		return page_error(c, 400, "bad parameter", "sort");
	if (r == 1) {
		for (sk = 0; sk < 4 && strcmp(sort_s, skeys[sk]); sk++)
			;
		if (sk == 4)
			return page_error(c, 400, "bad parameter", "sort (domain, count, first, last)");
		desc = sk != 0;
	}
	if ((r = param(p, "order", order_s, sizeof order_s)) < 0 ||
	    (r == 1 && strcmp(order_s, "asc") && strcmp(order_s, "desc")))
		return page_error(c, 400, "bad parameter", "order (asc or desc)");
	if (r == 1)
		desc = !strcmp(order_s, "desc");
	if ((r = param(p, "page", pg, sizeof pg)) < 0)
		return page_error(c, 400, "bad parameter", "page");
	if (r == 1) {
		if (!param_num(pg, 1, 10000000, &dpage))
			return page_error(c, 400, "bad parameter", "page (a positive number)");
	}
	struct agg_ipq q;
	struct agg_rrsets rr;
	agg_rrsets_init(&rr);
	if (agg_ip_lookup(&s->set, dbp(s), family, a, &all, &q, dl == 2 ? &rr : NULL, &c->faults) < 0) {
		agg_ipq_fini(&q);
		agg_rrsets_fini(&rr);
		return page_error(c, 500, "out of memory", NULL);
	}
	if (dl) {
		char *data = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&data, &len);
		if (f) {
			if (dl == 2)
				query_put_cof(f, &rr);
			else
				query_csv_ip(f, &q);
			fclose(f);
		}
		agg_ipq_fini(&q);
		agg_rrsets_fini(&rr);
		if (!f)
			return page_error(c, 500, "out of memory", NULL);
		respond_stream(c, data, len,
			       dl == 2 ? "application/x-ndjson; charset=utf-8" : "text/csv; charset=utf-8",
			       dl == 2 ? "ip.cof.json" : "ip.csv");
		free(data);
		return 0;
	}
	if (!q.n_doms) {
		int found = q.found;
		agg_ipq_fini(&q);
		agg_rrsets_fini(&rr);
		return page_error(c, 404, found ? "no observation of this address in the time window"
						: "no observation of this address", ip);
	}
	struct ipdom_order ord = {sk, desc};
	qsort_r(q.doms, q.n_doms, sizeof *q.doms, ipdom_cmp, &ord);
	hbuf_reset(b);
	html_begin_win(b, ip, strlen(ip), HTML_NAV_NONE, NULL, since_s, until_s);
	hbuf_puts(b, "<h1>Address <span id=\"addr\">");
	html_texts(b, ip);
	hbuf_puts(b, "</span></h1>\n<dl class=\"summary\" id=\"summary\">");
	if (family == 4) {
		hbuf_puts(b, "<dt>Hostname (PTR)</dt><dd id=\"ptr\">");
		html_text(b, q.info.ptr, q.info.ptr_len);
		hbuf_puts(b, "</dd><dt>ASN (name)</dt><dd id=\"asn\">");
		put_asn(b, &q.info);
		hbuf_puts(b, "</dd><dt>Country</dt><dd id=\"country\">");
		html_texts(b, q.info.cc);
		hbuf_puts(b, "</dd>");
	}
	hbuf_printf(b, "<dt>Domains</dt><dd>%zu</dd><dt>Observations</dt><dd>%llu</dd>"
		       "<dt>First seen</dt><dd>",
		    q.n_doms, (unsigned long long)q.count);
	put_time(b, q.first_us);
	hbuf_puts(b, "</dd><dt>Last seen</dt><dd>");
	put_time(b, q.last_us);
	hbuf_puts(b, "</dd></dl>\n");
	if (since_s[0] || until_s[0]) {
		hbuf_puts(b, "<p class=\"muted\" id=\"window\">Time window: ");
		html_texts(b, since_s[0] ? since_s : "the start");
		hbuf_puts(b, " to ");
		html_texts(b, until_s[0] ? until_s : "now");
		hbuf_puts(b, "</p>\n");
	}
	hbuf_puts(b, "<p class=\"downloads\">Download: <a id=\"csv\" href=\"/ip.csv?a=");
	html_urls(b, ip);
	win_href(b, since_s, until_s);
	hbuf_puts(b, "\">CSV</a><a id=\"cof\" href=\"/ip.cof?a=");
	html_urls(b, ip);
	win_href(b, since_s, until_s);
	hbuf_puts(b, "\">COF</a></p>\n<h2>Domains seen on this address</h2>\n<table id=\"domains\"><thead><tr>");
	static const char *const dh[] = {"Domain", "Count", "First seen", "Last seen"};
	for (int k = 0; k < 4; k++) {
		/* a header sorts by its column; again, the other way */
		hbuf_puts(b, "<th><a href=\"/ip?a=");
		html_urls(b, ip);
		win_href(b, since_s, until_s);
		hbuf_printf(b, "&amp;sort=%s&amp;order=%s\">%s%s</a></th>", skeys[k],
			    k == sk ? (desc ? "asc" : "desc") : (k ? "desc" : "asc"), dh[k],
			    k == sk ? (desc ? " \u25be" : " \u25b4") : "");
	}
	hbuf_puts(b, "</tr></thead><tbody>\n");
	size_t from = (dpage - 1) * PAGE_A_ROWS;
	for (size_t i = from; i < q.n_doms && i < from + PAGE_A_ROWS; i++) {
		hbuf_puts(b, "<tr><td>");
		hbuf_puts(b, "<a href=\"/domain?name=");
		html_url(b, q.doms[i].name, q.doms[i].name_len);
		win_href(b, since_s, until_s);
		hbuf_puts(b, "\">");
		html_text(b, q.doms[i].name, q.doms[i].name_len);
		hbuf_puts(b, "</a>");
		hbuf_printf(b, "</td><td class=\"n\">%llu</td><td>", (unsigned long long)q.doms[i].count);
		put_time(b, q.doms[i].first_us);
		hbuf_puts(b, "</td><td>");
		put_time(b, q.doms[i].last_us);
		hbuf_puts(b, "</td></tr>\n");
	}
	hbuf_puts(b, "</tbody></table>\n");
	if (q.n_doms > PAGE_A_ROWS) {
		size_t pages = (q.n_doms + PAGE_A_ROWS - 1) / PAGE_A_ROWS;
		hbuf_printf(b, "<p class=\"pages\">Domains %zu to %zu of %zu (page %zu of %zu; the CSV "
			       "has them all). ",
			    from + 1 < q.n_doms ? from + 1 : q.n_doms,
			    from + PAGE_A_ROWS < q.n_doms ? from + PAGE_A_ROWS : q.n_doms, q.n_doms, dpage,
			    pages);
		for (int k = -1; k <= 1; k += 2) {
			size_t to = dpage + (size_t)k;
			if (to < 1 || to > pages)
				continue;
			hbuf_printf(b, "<a rel=\"%s\" href=\"/ip?a=", k < 0 ? "prev" : "next");
			html_urls(b, ip);
			win_href(b, since_s, until_s);
			hbuf_printf(b, "&amp;sort=%s&amp;order=%s&amp;page=%zu\">%s</a> ", skeys[sk],
				    desc ? "desc" : "asc", to, k < 0 ? "Previous" : "Next");
		}
		hbuf_puts(b, "</p>\n");
	}
	{
		uint8_t spk[INDEX_KEY_MAX];
		seen_in_spam(c, spk, index_key_bytes(spk, IX_SENDER, a, family == 4 ? 4 : 16), &all);
	}
	hbuf_puts(b, "<p><a href=\"/indicator?v=");
	html_urls(b, ip);
	win_href(b, since_s, until_s);
	hbuf_puts(b, "\">Blacklist listings of this address and the CIDRs covering it</a></p>\n");
	html_end(b);
	agg_ipq_fini(&q);
	agg_rrsets_fini(&rr);
	respond_page(c, 200);
	return 0;
}

/* ---- search --------------------------------------------------------------- */

struct pfx_addr {
	uint8_t a[16];
	int64_t first_us, last_us;
	uint64_t count;
};

struct pfx {
	int family;
	uint8_t net[16];
	unsigned bits;
	struct pfx_addr *v;	/* sorted by address */
	size_t n, alloc;
	int full, err;
	struct agg_filter win;	/* set after parse_prefix */
};

static int in_prefix(const uint8_t *a, const uint8_t *net, unsigned bits)
{
	unsigned whole = bits / 8, rest = bits % 8;
	if (memcmp(a, net, whole))
		return 0;
	return !rest || ((a[whole] ^ net[whole]) & (0xff00u >> rest) & 0xff) == 0;
}

static void pfx_note(struct pfx *x, const uint8_t *a, size_t al, int64_t first, int64_t last,
		     uint64_t count)
{
	size_t lo = 0, hi = x->n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = memcmp(x->v[mid].a, a, al);
		if (c < 0)
			lo = mid + 1;
		else if (c > 0)
			hi = mid;
		else {
			struct pfx_addr *e = &x->v[mid];
			if (first < e->first_us)
				e->first_us = first;
			if (last > e->last_us)
				e->last_us = last;
			e->count += count;
			return;
		}
	}
	if (x->n >= PAGE_PREFIX_MAX) {
		x->full = 1;
		return;
	}
	if (x->n == x->alloc) {
		size_t na = x->alloc ? 2 * x->alloc : 64;
		void *nv = realloc(x->v, na * sizeof *x->v);
		if (!nv) {
			x->err = 1;
			return;
		}
		x->v = nv;
		x->alloc = na;
	}
	memmove(x->v + lo + 1, x->v + lo, (x->n - lo) * sizeof *x->v);
	memset(&x->v[lo], 0, sizeof x->v[lo]);
	memcpy(x->v[lo].a, a, al);
	x->v[lo].first_us = first;
	x->v[lo].last_us = last;
	x->v[lo].count = count;
	x->n++;
}

static int on_prefix(void *ctx, const char *sensor TIP_UNUSED,
		     const struct store_seg *seg TIP_UNUSED, uint64_t pos TIP_UNUSED,
		     const struct rec *r)
{
	struct pfx *x = ctx;
	if (r->type != REC_DNS)
		return 0;
	const struct rec_dns *d = &r->u.dns;
	uint32_t n = x->family == 4 ? d->n_a4 : d->n_a6;
	const uint8_t *p = x->family == 4 ? d->a4 : d->a6;
	size_t al = x->family == 4 ? 4 : 16;
	int64_t first, last;
	uint64_t count;
	agg_dns_times(r, &first, &last, &count);
	if (!agg_filter_match(&x->win, first, last))
		return 0;
	for (uint32_t i = 0; i < n; i++)
		if (in_prefix(p + al * i, x->net, x->bits))
			pfx_note(x, p + al * i, al, first, last, count);
	return x->err;
}

/* "192.0.2.0/24", "2001:db8::/32": 1 with the prefix, 0 not one. */
static int parse_prefix(const char *q, struct pfx *x)
{
	const char *sl = strchr(q, '/');
	char a[INET6_ADDRSTRLEN + 1];
	if (!sl || (size_t)(sl - q) >= sizeof a)
		return 0;
	memcpy(a, q, (size_t)(sl - q));
	a[sl - q] = '\0';
	size_t bits;
	if (!param_num(sl + 1, 0, 128, &bits))
		return 0;
	memset(x, 0, sizeof *x);
	if (inet_pton(AF_INET, a, x->net) == 1 && bits <= 32)
		x->family = 4;
	else if (inet_pton(AF_INET6, a, x->net) == 1 && bits <= 128)
		x->family = 6;
	else
		return 0;
	x->bits = (unsigned)bits;
	return 1;
}

/* The search pages' window and tables: what every link of theirs carries. */
struct searchq {
	struct agg_filter win;
	char since_s[64], until_s[64];
	struct tbl t;
};

static const char *const pfx_keys[] = {"ip", NULL, NULL, NULL, "first", "last", "count"};
static const char *const pfx_names[] = {"IP Address", "Hostname", "ASN (name)", "Country",
					"First seen", "Last seen", "Count"};

struct pfx_sort {
	const struct tbl *t;
	const struct pfx *x;
};

static int pfx_cmp(const void *a, const void *b, void *ctx)
{
	const struct pfx_sort *s = ctx;
	const struct pfx_addr *x = &s->x->v[*(const size_t *)a], *y = &s->x->v[*(const size_t *)b];
	int c = 0;
	if (s->t->col == 4)
		c = cmp3(x->first_us, y->first_us);
	else if (s->t->col == 5)
		c = cmp3(x->last_us, y->last_us);
	else if (s->t->col == 6)
		c = cmp3((int64_t)x->count, (int64_t)y->count);
	if (!c)
		c = memcmp(x->a, y->a, 16);
	return tbl_dir(s->t, c);
}

static int page_prefix(struct page_job *c, const char *q, struct pfx *x, struct searchq *sq)
{
	struct page_ctx *s = c->s;
	struct hbuf *b = &c->body;
	x->win = sq->win;
	store_set_scan(&s->set, on_prefix, NULL, x);
	struct pfx_sort ps = {&sq->t, x};
	size_t *idx = x->err ? NULL : tbl_index(x->n, pfx_cmp, &ps);
	if (!idx) {
		free(x->v);
		return page_error(c, 500, "out of memory", NULL);
	}
	struct tbl *const tabs[] = {&sq->t};
	struct plink L = {"/search", "q", q, sq->since_s, sq->until_s, tabs, 1};
	hbuf_reset(b);
	html_begin_win(b, q, strlen(q), HTML_NAV_NONE, q, sq->since_s, sq->until_s);
	hbuf_puts(b, "<h1>Addresses in <span id=\"prefix\">");
	html_texts(b, q);
	hbuf_printf(b, "</span></h1>\n<p class=\"muted\" id=\"count\">%zu address%s seen%s%s.</p>\n",
		    x->n, x->n == 1 ? "" : "es", sq->since_s[0] || sq->until_s[0] ? " in the window" : "",
		    x->full ? " (the first ones only: refine the prefix)" : "");
	tbl_open(b, &L, 0);
	size_t from = tbl_from(&sq->t, x->n);
	for (size_t k = from; k < x->n && k < from + sq->t.per; k++) {
		const struct pfx_addr *e = &x->v[idx[k]];
		char ip[INET6_ADDRSTRLEN];
		struct agg_ipinfo in;
		memset(&in, 0, sizeof in);
		inet_ntop(x->family == 4 ? AF_INET : AF_INET6, e->a, ip, sizeof ip);
		if (x->family == 4) {	/* only the rows shown are enriched */
			const uint8_t *a = e->a;
			agg_ip_info(&s->set, dbp(s),
				    (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 | (uint32_t)a[2] << 8 | a[3],
				    &in, &c->faults);
		}
		hbuf_puts(b, "<tr><td>");
		link_ip(b, ip, sq->since_s, sq->until_s);
		hbuf_puts(b, "</td>");
		put_ipinfo_cells(b, &in);
		hbuf_puts(b, "<td>");
		put_time(b, e->first_us);
		hbuf_puts(b, "</td><td>");
		put_time(b, e->last_us);
		hbuf_printf(b, "</td><td class=\"n\">%llu</td></tr>\n", (unsigned long long)e->count);
	}
	tbl_close(b, &L, 0, x->n, "Addresses",
		  sq->since_s[0] || sq->until_s[0] ? "No answer held an address in this prefix in the time window."
						   : "No answer held an address in this prefix.");
	html_end(b);
	free(idx);
	free(x->v);
	respond_page(c, 200);
	return 0;
}

static int contains_ci(const char *hay, size_t hn, const char *needle, size_t nn)
{
	if (nn > hn)
		return 0;
	for (size_t i = 0; i + nn <= hn; i++) {
		size_t k = 0;
		while (k < nn) {
			char h = hay[i + k];
			if (h >= 'A' && h <= 'Z')
				h = (char)(h - 'A' + 'a');
			if (h != needle[k])
				break;
			k++;
		}
		if (k == nn)
			return 1;
	}
	return 0;
}

/* One name of a search's result. */
struct mrow {
	const char *name;
	size_t len;
	int32_t score_x100;
	uint32_t hosts, asns;
	int capped, flux;
	int64_t first_us, last_us;
};

static const char *const m_keys[] = {"domain", "score", "hosts", "asns", "first", "last"};
static const char *const m_names[] = {"Domain", "Score", "Hosts", "ASNs", "First seen", "Last seen"};

struct mrow_sort {
	const struct tbl *t;
	const struct mrow *v;
};

static int mrow_cmp(const void *a, const void *b, void *ctx)
{
	const struct mrow_sort *s = ctx;
	const struct mrow *x = &s->v[*(const size_t *)a], *y = &s->v[*(const size_t *)b];
	int c = 0;
	switch (s->t->col) {
	case 1: c = cmp3(x->score_x100, y->score_x100); break;
	case 2: c = cmp3(x->hosts, y->hosts); break;
	case 3: c = cmp3(x->asns, y->asns); break;
	case 4: c = cmp3(x->first_us, y->first_us); break;
	case 5: c = cmp3(x->last_us, y->last_us); break;
	default: break;
	}
	if (!c)
		c = cmp_bytes(x->name, x->len, y->name, y->len);
	return tbl_dir(s->t, c);
}

/* The names a search found, sorted and paged; 404 when there is none. */
static int page_matches(struct page_job *c, const char *t, const char *heading, const char *shown,
			const struct mrow *v, size_t n, struct searchq *sq)
{
	struct hbuf *b = &c->body;
	struct mrow_sort ms = {&sq->t, v};
	size_t *idx = tbl_index(n, mrow_cmp, &ms);
	if (!idx)
		return page_error(c, 500, "out of memory", NULL);
	struct tbl *const tabs[] = {&sq->t};
	struct plink L = {"/search", "q", t, sq->since_s, sq->until_s, tabs, 1};
	int win = sq->since_s[0] || sq->until_s[0];
	hbuf_reset(b);
	html_begin_win(b, t, strlen(t), HTML_NAV_NONE, t, sq->since_s, sq->until_s);
	hbuf_printf(b, "<h1>%s <span id=\"needle\">", heading);
	html_texts(b, shown);
	hbuf_puts(b, "</span></h1>\n");
	hbuf_printf(b, "<p class=\"muted\" id=\"count\">%zu name%s found%s.</p>\n", n, n == 1 ? "" : "s",
		    win ? " in the window" : "");
	tbl_open(b, &L, 0);
	size_t from = tbl_from(&sq->t, n);
	for (size_t k = from; k < n && k < from + sq->t.per; k++) {
		const struct mrow *m = &v[idx[k]];
		hbuf_printf(b, "<tr%s><td>", m->flux ? " class=\"flux\"" : "");
		link_domain(b, m->name, m->len, sq->since_s, sq->until_s);
		hbuf_puts(b, "</td><td class=\"n\">");
		put_score(b, m->score_x100);
		hbuf_printf(b, "</td><td class=\"n\">%u%s</td><td class=\"n\">%u</td><td>", m->hosts,
			    m->capped ? "+" : "", m->asns);
		put_time(b, m->first_us);
		hbuf_puts(b, "</td><td>");
		put_time(b, m->last_us);
		hbuf_puts(b, "</td></tr>\n");
	}
	tbl_close(b, &L, 0, n, "Names",
		  win ? "No name seen in the time window matches." : "No name seen matches.");
	html_end(b);
	free(idx);
	respond_page(c, n ? 200 : 404);
	return 0;
}

/* "*.example.com", "www.example.*": the names the index lists, by name. */
static int page_wild(struct page_job *c, const char *t, const struct match_wild *w,
		     struct searchq *sq)
{
	struct page_ctx *s = c->s;
	struct match_doms m;
	if (match_domains(&s->set, dbp(s), w, &sq->win, &m, NULL, &c->faults) < 0) {
		match_doms_fini(&m);
		return page_error(c, 500, "out of memory", NULL);
	}
	struct mrow *v = calloc(m.n ? m.n : 1, sizeof *v);
	size_t n = 0;
	for (size_t i = 0; v && i < m.n; i++) {
		const struct agg_domain *d = m.v[i];
		if (!d->found || !d->records)
			continue;
		v[n++] = (struct mrow){d->name, d->name_len, d->v.score_x100, d->v.n_a, d->v.n_asn,
				       d->v.capped, d->v.flux, d->first_us, d->last_us};
	}
	int r = v ? page_matches(c, t, "Names matching", t, v, n, sq)
		  : page_error(c, 500, "out of memory", NULL);
	free(v);
	match_doms_fini(&m);
	return r;
}

static int page_search(struct page_job *c, const struct params *p, int arg TIP_UNUSED)
{
	struct page_ctx *s = c->s;
	struct hbuf *b = &c->body;
	char raw[HTTP_LINE_MAX], q[REC_NAME_MAX + 1];
	uint8_t a[16];
	int r = param(p, "q", raw, sizeof raw);
	if (r < 0)
		return page_error(c, 400, "bad search text", NULL);
	struct searchq sq;
	memset(&sq, 0, sizeof sq);
	const char *why = win_parse(p, &sq.win, sq.since_s, sq.until_s);
	if (why)
		return page_error(c, 400, "bad parameter", why);
	char *t = raw;
	while (*t == ' ' || *t == '\t')
		t++;
	size_t tl = strlen(t);
	while (tl && (t[tl - 1] == ' ' || t[tl - 1] == '\t'))
		t[--tl] = '\0';
	if (r == 0 || !tl) {
		hbuf_reset(b);
		html_begin_win(b, "Search", 6, HTML_NAV_NONE, NULL, sq.since_s, sq.until_s);
		hbuf_puts(b, "<h1>Search</h1><p>Type a domain name (or part of one), an IPv4 or IPv6 "
			     "address, or a prefix such as <code>192.0.2.0/24</code>.</p>");
		html_end(b);
		return respond_page(c, 200);
	}
	if (inet_pton(AF_INET, t, a) == 1 || inet_pton(AF_INET6, t, a) == 1)
		return redirect_win(c, "/ip?a=", t, sq.since_s, sq.until_s);
	struct pfx x;
	char wbuf[160];
	if (parse_prefix(t, &x)) {
		tbl_init(&sq.t, "", "addresses", pfx_keys, pfx_names, "aaaaadd", 7, 0, PAGE_PAGE_ROWS);
		if (tbl_parse(p, &sq.t, wbuf, sizeof wbuf))
			return page_error(c, 400, "bad parameter", wbuf);
		return page_prefix(c, t, &x, &sq);
	}
	struct match_wild w;
	int wc = match_wild_parse(t, &w);
	if (wc < 0)
		return page_error(c, 400, "a wildcard is *.NAME (left-hand) or NAME.* (right-hand)", t);
	/* by name for a wildcard, the highest scores first for a substring */
	tbl_init(&sq.t, "", "matches", m_keys, m_names, "adddad", 6, wc == 1 ? 0 : 1, PAGE_PAGE_ROWS);
	if (tbl_parse(p, &sq.t, wbuf, sizeof wbuf))
		return page_error(c, 400, "bad parameter", wbuf);
	if (wc == 1)
		return page_wild(c, t, &w, &sq);
	if (tl > REC_NAME_MAX + 1)
		return page_error(c, 400, "search text too long for a domain name", NULL);
	size_t ql = norm_name(q, t);
	struct agg_filter all;
	agg_filter_init(&all);
	struct agg_domain d;
	int found = ql && agg_domain_lookup(&s->set, dbp(s), q, &all, &d, NULL, &c->faults) == 0 &&
		    d.found;
	if (ql)
		agg_domain_fini(&d);
	if (found)
		return redirect_win(c, "/domain?name=", q, sq.since_s, sq.until_s);
	pthread_mutex_lock(&s->cache_mu);
	const struct agg_flux *fl = flux_rows(s, &sq.win, &c->faults);
	struct mrow *v = fl ? calloc(fl->n ? fl->n : 1, sizeof *v) : NULL;
	if (!v) {
		pthread_mutex_unlock(&s->cache_mu);
		return page_error(c, 500, "out of memory", NULL);
	}
	size_t n = 0;
	for (size_t i = 0; ql && i < fl->n; i++) {
		const struct agg_flux_row *row = &fl->rows[i];
		if (contains_ci(row->name, row->name_len, q, ql))
			v[n++] = (struct mrow){row->name, row->name_len, row->v.score_x100, row->v.n_a,
					       row->v.n_asn, row->v.capped, row->v.flux, row->first_us,
					       row->last_us};
	}
	char shown[REC_NAME_MAX + 1];
	memcpy(shown, q, ql);
	shown[ql] = '\0';
	r = page_matches(c, t, "Names containing", shown, v, n, &sq);
	pthread_mutex_unlock(&s->cache_mu);
	free(v);
	return r;
}

/* ---- sensors -------------------------------------------------------------- */

struct segsum {
	uint64_t records;
	int64_t first, last;
	int any;
	const char *state;	/* NULL: sound */
	int error;
};

static void sum_span(struct segsum *t, int64_t first, int64_t last)
{
	if (!t->any || first < t->first)
		t->first = first;
	if (!t->any || last > t->last)
		t->last = last;
	t->any = 1;
}

struct seg_fault_ctx {
	struct segsum *t;
	int newest;
};

/* A fault of a scanned segment: the last one met names its state. */
static void seg_check_fault(void *ctx, const struct seg_reader *r)
{
	struct seg_fault_ctx *fc = ctx;
	int torn = fc->newest && !r->sealed && r->fault_kind == SEG_FAULT_TORN_TAIL;
	fc->t->state = torn ? "torn tail (a write in progress or a crash)"
			    : seg_fault_name(SEG_FAULT_FRAME);
	fc->t->error = !torn;
}

/* A structural look at one segment: its index, or a scan when it has none. */
static void seg_check(const char *dir, const struct store_seg *sg, int newest, struct segsum *t)
{
	char sp[PATH_MAX + 80], cp[PATH_MAX + 80];
	struct seg_reader r;
	memset(t, 0, sizeof *t);
	store_seg_path(sp, sizeof sp, dir, sg->name, "tlog");
	store_seg_path(cp, sizeof cp, dir, sg->name, "cdb");
	if (sg->has_index) {
		struct index ix;
		if (index_open(&ix, cp) < 0) {
			t->state = "unreadable index", t->error = 1;
			return;
		}
		if (seg_reader_open(&r, sp) < 0) {
			index_close(&ix);
			t->state = "unreadable segment", t->error = 1;
			return;
		}
		const struct index_meta *m = &ix.meta;
		if (m->seg_size == r.size && index_matches(&ix, r.map, r.size)) {
			t->records = m->records;
			if (m->records)
				sum_span(t, m->ts_first_us, m->ts_last_us);
		} else {
			t->state = "stale index", t->error = 1;
		}
		seg_reader_close(&r);
		index_close(&ix);
		return;
	}
	if (seg_reader_open(&r, sp) < 0) {
		t->state = "unreadable segment header";
		t->error = !newest;
		return;
	}
	struct seg_fault_ctx fc = {t, newest};
	struct seg_summary sum;
	seg_scan(&r, &sum, NULL, seg_check_fault, &fc);
	t->records = sum.records;
	if (sum.records)
		sum_span(t, sum.first_us, sum.last_us);
	if (!t->error && (r.sealed || !newest)) {
		t->state = "sealed without its index";
		t->error = 1;
	}
	seg_reader_close(&r);
}

/* One segment's row on the sensors page. */
struct segrow {
	const struct store_seg *sg;
	struct segsum t;
};

/* One store's row, and its segments in the window. */
struct storerow {
	size_t i;		/* in the store set */
	int listed;		/* 0: log/ could not be listed */
	struct store_listing ls;
	struct segrow *segs;
	size_t n_segs;		/* in the window */
	uint64_t recs, bytes, ibytes;
	size_t sealed, active, errors, warnings;
	struct segsum tot;
	char pfx[24];
	struct tbl t;
};

static const char *const st_keys[] = {"sensor", "store", "segments", "records", "bytes", "first",
				      "last", "check"};
static const char *const st_names[] = {"Sensor", "Store", "Segments", "Records", "Bytes",
				       "First record", "Last record", "Check"};
static const char *const sg_keys[] = {"segment", "seq", "bytes", "records", "first", "last",
				      "check"};
static const char *const sg_names[] = {"Segment", "Seq", "Bytes", "Records", "First record",
				       "Last record", "Check"};

struct st_sort {
	const struct tbl *t;
	const struct storerow *v;
	const struct store_set *set;
};

static int st_cmp(const void *a, const void *b, void *ctx)
{
	const struct st_sort *s = ctx;
	const struct storerow *x = &s->v[*(const size_t *)a], *y = &s->v[*(const size_t *)b];
	int c = 0;
	switch (s->t->col) {
	case 1: c = strcmp(s->set->dirs[x->i], s->set->dirs[y->i]); break;
	case 2: c = cmp3((int64_t)x->n_segs, (int64_t)y->n_segs); break;
	case 3: c = cmp3((int64_t)x->recs, (int64_t)y->recs); break;
	case 4: c = cmp3((int64_t)x->bytes, (int64_t)y->bytes); break;
	case 5: c = cmp3(x->tot.any ? x->tot.first : INT64_MAX, y->tot.any ? y->tot.first : INT64_MAX); break;
	case 6: c = cmp3(x->tot.any ? x->tot.last : INT64_MIN, y->tot.any ? y->tot.last : INT64_MIN); break;
	case 7: c = cmp3((int64_t)(x->errors * 2 + !x->listed * 4 + !!x->warnings),
			 (int64_t)(y->errors * 2 + !y->listed * 4 + !!y->warnings)); break;
	default: break;
	}
	if (!c)
		c = strcmp(s->set->ids[x->i], s->set->ids[y->i]);
	if (!c)
		c = cmp3((int64_t)x->i, (int64_t)y->i);
	return tbl_dir(s->t, c);
}

static int sg_cmp(const void *a, const void *b, void *ctx)
{
	const struct storerow *s = ctx;
	const struct segrow *x = &s->segs[*(const size_t *)a], *y = &s->segs[*(const size_t *)b];
	int c = 0;
	switch (s->t.col) {
	case 0: c = strcmp(x->sg->name, y->sg->name); break;
	case 2: c = cmp3((int64_t)x->sg->size, (int64_t)y->sg->size); break;
	case 3: c = cmp3((int64_t)x->t.records, (int64_t)y->t.records); break;
	case 4: c = cmp3(x->t.any ? x->t.first : INT64_MAX, y->t.any ? y->t.first : INT64_MAX); break;
	case 5: c = cmp3(x->t.any ? x->t.last : INT64_MIN, y->t.any ? y->t.last : INT64_MIN); break;
	case 6: /* errors, then warnings, then the sound ones */
		c = cmp3((x->t.state != NULL) + x->t.error, (y->t.state != NULL) + y->t.error);
		break;
	default: break;
	}
	if (!c)
		c = cmp3(x->sg->seq, y->sg->seq);
	if (!c)
		c = strcmp(x->sg->name, y->sg->name);
	return tbl_dir(&s->t, c);
}

static void storerows_free(struct storerow *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++) {
		if (v[i].listed)
			store_listing_free(&v[i].ls);
		free(v[i].segs);
	}
	free(v);
}

/*
 * The stores and their segments.  With a time window, only the segments
 * whose records overlap it are counted and listed (a segment without
 * records is listed only without a window).  Each store's segment table
 * is sorted and paged on its own (parameters g<N>_sort, g<N>_page, ...),
 * findings first by default.
 */
static int page_sensors(struct page_job *c, const struct params *p, int arg TIP_UNUSED)
{
	struct page_ctx *s = c->s;
	struct hbuf *b = &c->body;
	struct agg_filter win;
	char since_s[64] = "", until_s[64] = "", wbuf[160];
	const char *why = win_parse(p, &win, since_s, until_s);
	if (why)
		return page_error(c, 400, "bad parameter", why);
	int haswin = since_s[0] || until_s[0];
	size_t ns = s->set.n;
	struct storerow *v = calloc(ns ? ns : 1, sizeof *v);
	struct tbl ts;
	struct tbl **tabs = calloc(ns + 1, sizeof *tabs);
	if (!v || !tabs) {
		free(v);
		free(tabs);
		return page_error(c, 500, "out of memory", NULL);
	}
	tbl_init(&ts, "", "sensors", st_keys, st_names, "aaddddda", 8, 0, PAGE_PAGE_ROWS);
	tabs[0] = &ts;
	int bad = tbl_parse(p, &ts, wbuf, sizeof wbuf) != NULL, oom = 0;
	for (size_t i = 0; i < ns && !bad; i++) {
		struct storerow *r = &v[i];
		r->i = i;
		snprintf(r->pfx, sizeof r->pfx, "g%zu_", i);
		tbl_init(&r->t, r->pfx, "", sg_keys, sg_names, "adddddd", 7, 6, PAGE_SEG_ROWS);
		tabs[i + 1] = &r->t;
		if (tbl_parse(p, &r->t, wbuf, sizeof wbuf))
			bad = 1;
	}
	for (size_t i = 0; i < ns && !bad && !oom; i++) {
		struct storerow *r = &v[i];
		const char *dir = s->set.dirs[i];
		if (store_list(dir, &r->ls) < 0)
			continue;
		r->listed = 1;
		r->segs = calloc(r->ls.n ? r->ls.n : 1, sizeof *r->segs);
		if (!r->segs) {
			oom = 1;
			break;
		}
		for (size_t k = 0; k < r->ls.n; k++) {
			const struct store_seg *sg = &r->ls.segs[k];
			struct segrow *g = &r->segs[r->n_segs];
			struct stat sb;
			char cp[PATH_MAX + 80];
			g->sg = sg;
			seg_check(dir, sg, k + 1 == r->ls.n, &g->t);
			if (haswin && !(g->t.any && agg_filter_match(&win, g->t.first, g->t.last)))
				continue;
			r->n_segs++;
			r->bytes += sg->size;
			store_seg_path(cp, sizeof cp, dir, sg->name, "cdb");
			if (sg->has_index && stat(cp, &sb) == 0)
				r->ibytes += (uint64_t)sb.st_size;
			r->sealed += sg->has_index != 0;
			r->active += !sg->has_index;
			r->recs += g->t.records;
			if (g->t.any)
				sum_span(&r->tot, g->t.first, g->t.last);
			r->errors += g->t.state && g->t.error;
			r->warnings += g->t.state && !g->t.error;
		}
	}
	if (bad || oom) {
		storerows_free(v, ns);
		free(tabs);
		return bad ? page_error(c, 400, "bad parameter", wbuf)
			   : page_error(c, 500, "out of memory", NULL);
	}
	struct st_sort ss = {&ts, v, &s->set};
	size_t *si = tbl_index(ns, st_cmp, &ss);
	struct plink L = {"/sensors", NULL, NULL, since_s, until_s, tabs, (int)ns + 1};
	hbuf_reset(b);
	html_begin_win(b, "Sensors", 7, HTML_NAV_SENSORS, NULL, since_s, until_s);
	hbuf_printf(b, "<h1>Sensors</h1>\n<p class=\"muted\">%zu store%s. The check looks at each "
		       "segment's header, its index (that it exists and was built from exactly "
		       "this segment) and, where there is no index, its records; "
		       "<code>tip verify</code> checks every record and key.</p>\n",
		    ns, ns == 1 ? "" : "s");
	if (haswin) {
		hbuf_puts(b, "<p class=\"muted\" id=\"window\">Time window: ");
		html_texts(b, since_s[0] ? since_s : "the start");
		hbuf_puts(b, " to ");
		html_texts(b, until_s[0] ? until_s : "now");
		hbuf_puts(b, ": only the segments with records in it are counted and listed "
			     "(<a href=\"/sensors\">all times</a>).</p>\n");
	}
	tbl_open(b, &L, 0);
	size_t from = tbl_from(&ts, ns);
	for (size_t k = from; si && k < ns && k < from + ts.per; k++) {
		const struct storerow *r = &v[si[k]];
		hbuf_puts(b, "<tr><td>");
		html_texts(b, s->set.ids[r->i]);
		hbuf_puts(b, "</td><td>");
		html_texts(b, s->set.dirs[r->i]);
		hbuf_puts(b, "</td>");
		if (!r->listed) {
			hbuf_puts(b, "<td colspan=\"5\"></td><td class=\"bad\">cannot list log/</td></tr>\n");
			continue;
		}
		hbuf_printf(b, "<td class=\"n\">%zu (%zu sealed, %zu active)</td><td class=\"n\">%llu</td>"
			       "<td class=\"n\">%llu + %llu index</td><td>",
			    r->n_segs, r->sealed, r->active, (unsigned long long)r->recs,
			    (unsigned long long)r->bytes, (unsigned long long)r->ibytes);
		put_time(b, r->tot.any ? r->tot.first : INT64_MIN);
		hbuf_puts(b, "</td><td>");
		put_time(b, r->tot.any ? r->tot.last : INT64_MIN);
		hbuf_puts(b, "</td><td>");
		if (r->errors)
			hbuf_printf(b, "<span class=\"bad\">%zu segment%s with errors</span>", r->errors,
				    r->errors == 1 ? "" : "s");
		else
			hbuf_puts(b, "<span class=\"good\">ok</span>");
		if (r->warnings)
			hbuf_printf(b, " <span class=\"muted\">(%zu warning%s)</span>", r->warnings,
				    r->warnings == 1 ? "" : "s");
		if (r->ls.n_foreign)
			hbuf_printf(b, " <span class=\"muted\">%zu foreign file%s in log/</span>",
				    r->ls.n_foreign, r->ls.n_foreign == 1 ? "" : "s");
		hbuf_puts(b, "</td></tr>\n");
	}
	tbl_close(b, &L, 0, ns, "Stores", "No store given.");
	hbuf_puts(b, "<h2>Segments</h2>\n");
	for (size_t i = 0; si && i < ns; i++) {
		struct storerow *r = &v[i];
		if (!r->listed)
			continue;
		size_t *gi = tbl_index(r->n_segs, sg_cmp, r);
		if (!gi) {
			oom = 1;
			break;
		}
		char id[40];
		snprintf(id, sizeof id, "segments-%zu", i);
		r->t.id = id;
		/* open when the reader is paging or sorting this store's table */
		int open = r->t.page != 1 || r->t.col != r->t.def_col || !r->t.desc;
		hbuf_printf(b, "<details%s><summary>", open ? " open" : "");
		html_texts(b, s->set.ids[i]);
		hbuf_printf(b, ": %zu segment%s%s</summary>", r->n_segs, r->n_segs == 1 ? "" : "s",
			    haswin ? " in the window" : "");
		tbl_open(b, &L, (int)i + 1);
		size_t f2 = tbl_from(&r->t, r->n_segs);
		for (size_t k = f2; k < r->n_segs && k < f2 + r->t.per; k++) {
			const struct segrow *g = &r->segs[gi[k]];
			hbuf_puts(b, "<tr><td>");
			html_texts(b, g->sg->name);
			hbuf_printf(b, "</td><td class=\"n\">%u</td><td class=\"n\">%llu</td>"
				       "<td class=\"n\">%llu</td><td>",
				    g->sg->seq, (unsigned long long)g->sg->size,
				    (unsigned long long)g->t.records);
			put_time(b, g->t.any ? g->t.first : INT64_MIN);
			hbuf_puts(b, "</td><td>");
			put_time(b, g->t.any ? g->t.last : INT64_MIN);
			hbuf_printf(b, "</td><td class=\"%s\">%s</td></tr>\n",
				    g->t.state ? (g->t.error ? "bad" : "muted") : "good",
				    g->t.state ? g->t.state : "ok");
		}
		tbl_close(b, &L, (int)i + 1, r->n_segs, "Segments",
			  haswin ? "No segment of this store holds records in the time window."
				 : "No segment yet: the sensor has written nothing to this store.");
		hbuf_puts(b, "</details>\n");
		r->t.id = "";
		free(gi);
	}
	html_end(b);
	free(si);
	storerows_free(v, ns);
	free(tabs);
	if (!si || oom)
		return page_error(c, 500, "out of memory", NULL);
	respond_page(c, 200);
	return 0;
}

/* ---- routing -------------------------------------------------------------- */

struct page_route {
	const char *path;
	int (*fn)(struct page_job *c, const struct params *p, int arg);
	int arg;
	int worker;		/* 1: reads the stores, so a worker thread runs it */
};

/* ---- blacklist sources and indicators (tools/feeds.h) ------------------------ */

static void put_metric(struct hbuf *b, double v, const char *fmt)
{
	if (v < 0)
		hbuf_puts(b, "<td class=\"n\">-</td>");
	else {
		hbuf_puts(b, "<td class=\"n\">");
		hbuf_printf(b, fmt, v);
		hbuf_puts(b, "</td>");
	}
}

static const char *const src_keys[] = {"source", "entries", "added", "churn", "lifetime",
				       "median", "exclusive", "latency", "coverage", "weight",
				       "fetches", "failed", "last"};
static const char *const src_names[] = {"Source", "Entries", "Added/day", "Churn", "Lifetime (d)",
					"Median (d)", "Exclusive", "Latency (h)", "Coverage",
					"Weight", "Fetches", "Failed", "Last fetch"};

/* A source's figure in column k (1..12) as a number to sort by. */
static double src_val(const struct feeds_src *x, int k)
{
	switch (k) {
	case 1: return (double)x->entries_now;
	case 2: return x->added_per_day;
	case 3: return x->churn;
	case 4: return x->life_mean_days;
	case 5: return x->life_median_days;
	case 6: return x->exclusive;
	case 7: return x->latency_mean_h;
	case 8: return x->coverage;
	case 9: return x->weight;
	case 10: return (double)x->fetches;
	case 11: return (double)x->failed;
	case 12: return (double)x->last_fetch_us;
	default: return 0;
	}
}

struct src_sort {
	const struct tbl *t;
	const struct feeds_src *v;
};

static int src_cmp(const void *a, const void *b, void *ctx)
{
	const struct src_sort *s = ctx;
	const struct feeds_src *x = &s->v[*(const size_t *)a], *y = &s->v[*(const size_t *)b];
	int c = 0;
	if (s->t->col) {
		double u = src_val(x, s->t->col), w = src_val(y, s->t->col);
		c = (u > w) - (u < w);
	}
	if (!c)
		c = strcmp(x->name, y->name);
	return tbl_dir(s->t, c);
}

/*
 * The metrics of every blacklist source.  They are computed over the
 * whole history of the feed records (a source's churn and lifetimes need
 * it); a time window is kept only for the links out.
 */
static int page_sources(struct page_job *c, const struct params *p, int arg TIP_UNUSED)
{
	struct hbuf *b = &c->body;
	struct feeds_db db;
	char err[256], since_s[64] = "", until_s[64] = "", wbuf[160];
	struct agg_filter win;
	const char *why = win_parse(p, &win, since_s, until_s);
	if (why)
		return page_error(c, 400, "bad parameter", why);
	struct tbl t;
	tbl_init(&t, "", "sources", src_keys, src_names, "addddddaddddd", 13, 0, PAGE_PAGE_ROWS);
	if (tbl_parse(p, &t, wbuf, sizeof wbuf))
		return page_error(c, 400, "bad parameter", wbuf);
	if (feeds_load(&db, &c->s->set, NULL, err, sizeof err) < 0) {
		feeds_free(&db);
		return page_error(c, 500, "cannot read the feed records", err);
	}
	feeds_metrics(&db);
	struct src_sort ss = {&t, db.src};
	size_t *idx = tbl_index(db.nsrc, src_cmp, &ss);
	if (!idx) {
		feeds_free(&db);
		return page_error(c, 500, "out of memory", NULL);
	}
	struct tbl *const tabs[] = {&t};
	struct plink L = {"/sources", NULL, NULL, since_s, until_s, tabs, 1};
	hbuf_reset(b);
	html_begin_win(b, "Sources", 7, HTML_NAV_SOURCES, NULL, since_s, until_s);
	hbuf_printf(b, "<h1>Blacklist sources</h1>\n<p class=\"muted\">%zu source%s, %zu indicators. "
		       "Metrics after Li et al. (USENIX Security 2019), over the whole history of the "
		       "feed records; accuracy needs an allow-list "
		       "(<code>tip query source --allowlist FILE</code>).</p>\n",
		    db.nsrc, db.nsrc == 1 ? "" : "s", db.n);
	tbl_open(b, &L, 0);
	size_t from = tbl_from(&t, db.nsrc);
	for (size_t k = from; k < db.nsrc && k < from + t.per; k++) {
		const struct feeds_src *x = &db.src[idx[k]];
		hbuf_puts(b, "<tr><td>");
		html_texts(b, x->name);
		hbuf_printf(b, "</td><td class=\"n\">%llu</td>", (unsigned long long)x->entries_now);
		put_metric(b, x->added_per_day, "%.1f");
		put_metric(b, x->churn, "%.3f");
		put_metric(b, x->life_mean_days, "%.2f");
		put_metric(b, x->life_median_days, "%.2f");
		put_metric(b, x->exclusive, "%.3f");
		put_metric(b, x->latency_mean_h, "%.1f");
		put_metric(b, x->coverage, "%.3f");
		put_metric(b, x->weight, "%.3f");
		hbuf_printf(b, "<td class=\"n\">%llu</td><td class=\"n\">%llu</td><td>",
			    (unsigned long long)x->fetches, (unsigned long long)x->failed);
		put_time(b, x->last_fetch_us);
		hbuf_puts(b, x->last_outcome == REC_FETCH_FAILED ? " failed: " : "");
		if (x->last_outcome == REC_FETCH_FAILED)
			html_texts(b, x->last_error);
		hbuf_puts(b, "</td></tr>\n");
	}
	tbl_close(b, &L, 0, db.nsrc, "Sources",
		  "No feed record in the stores: no sensor fetched a blacklist "
		  "(<code>module feeds</code> in tipd.conf) and none was imported "
		  "(<code>tip import feed</code>).");
	html_end(b);
	free(idx);
	feeds_free(&db);
	return respond_page(c, 200);
}

/* One listing on the indicator page. */
struct lstrow {
	const struct feeds_ind *x;
	const struct feeds_is *is;
};

static const char *const lst_keys[] = {"indicator", "source", "first", "last", "times"};
static const char *const lst_names[] = {"Indicator", "Source", "First listed", "Last listed",
					"Times"};

struct lst_sort {
	const struct tbl *t;
	const struct lstrow *v;
	const struct feeds_db *db;
};

static int lst_cmp(const void *a, const void *b, void *ctx)
{
	const struct lst_sort *s = ctx;
	const struct lstrow *x = &s->v[*(const size_t *)a], *y = &s->v[*(const size_t *)b];
	int c = 0;
	switch (s->t->col) {
	case 1: c = strcmp(s->db->src[x->is->src].name, s->db->src[y->is->src].name); break;
	case 2: c = cmp3(x->is->first_us, y->is->first_us); break;
	case 3: /* listed now is the latest */
		c = cmp3(x->is->since_us ? INT64_MAX : x->is->last_us,
			 y->is->since_us ? INT64_MAX : y->is->last_us);
		break;
	case 4: c = cmp3(x->is->listings, y->is->listings); break;
	default: break;
	}
	if (!c)
		c = strcmp(x->x->value, y->x->value);
	if (!c)
		c = cmp3(x->is->src, y->is->src);
	return tbl_dir(s->t, c);
}

static int lst_add(struct lstrow **v, size_t *n, size_t *alloc, const struct feeds_ind *x,
		   const struct agg_filter *win)
{
	for (uint16_t a = 0; a < x->n; a++) {
		const struct feeds_is *is = &x->is[a];
		if (!agg_filter_match(win, is->first_us, is->since_us ? INT64_MAX : is->last_us))
			continue;
		if (*n == *alloc) {
			size_t na = *alloc ? 2 * *alloc : 16;
			void *nv = realloc(*v, na * sizeof **v);
			if (!nv)
				return -1;
			*v = nv;
			*alloc = na;
		}
		(*v)[(*n)++] = (struct lstrow){x, is};
	}
	return 0;
}

static int page_indicator(struct page_job *c, const struct params *p, int arg TIP_UNUSED)
{
	struct hbuf *b = &c->body;
	char v[1024], since_s[64] = "", until_s[64] = "", wbuf[160];
	int r = param(p, "v", v, sizeof v);
	if (r <= 0)
		return page_error(c, 400, "give an indicator: /indicator?v=VALUE", NULL);
	struct agg_filter win;
	const char *why = win_parse(p, &win, since_s, until_s);
	if (why)
		return page_error(c, 400, "bad parameter", why);
	struct tbl t;
	tbl_init(&t, "", "listings", lst_keys, lst_names, "aaadd", 5, 2, PAGE_PAGE_ROWS);
	if (tbl_parse(p, &t, wbuf, sizeof wbuf))
		return page_error(c, 400, "bad parameter", wbuf);
	struct feeds_db db;
	char err[256];
	if (feeds_load(&db, &c->s->set, NULL, err, sizeof err) < 0) {
		feeds_free(&db);
		return page_error(c, 500, "cannot read the feed records", err);
	}
	feeds_metrics(&db);
	struct feeds_ind *x = feeds_find(&db, v);
	uint8_t a[16];
	int fam = inet_pton(AF_INET, v, a) == 1 ? 4 : inet_pton(AF_INET6, v, a) == 1 ? 6 : 0;
	struct feeds_ind ipx;
	memset(&ipx, 0, sizeof ipx);
	if (fam) {
		ipx.kind = REC_IND_IP;
		ipx.family = (uint8_t)fam;
		memcpy(ipx.addr, a, 16);
	}
	/* its own listings and, for an address, those of the CIDRs covering it */
	struct lstrow *rows = NULL;
	size_t n = 0, alloc = 0;
	int oom = x && lst_add(&rows, &n, &alloc, x, &win) < 0;
	for (size_t i = 0; !oom && fam && i < db.cap; i++)
		if (db.tab[i] && db.tab[i] != x && feeds_covers(db.tab[i], &ipx))
			oom = lst_add(&rows, &n, &alloc, db.tab[i], &win) < 0;
	struct lst_sort ls = {&t, rows, &db};
	size_t *idx = oom ? NULL : tbl_index(n, lst_cmp, &ls);
	if (!idx) {
		free(rows);
		feeds_free(&db);
		return page_error(c, 500, "out of memory", NULL);
	}
	struct tbl *const tabs[] = {&t};
	struct plink L = {"/indicator", "v", v, since_s, until_s, tabs, 1};
	int haswin = since_s[0] || until_s[0];
	hbuf_reset(b);
	html_begin_win(b, "Indicator", 9, HTML_NAV_NONE, NULL, since_s, until_s);
	hbuf_puts(b, "<h1>");
	html_texts(b, v);
	hbuf_puts(b, "</h1>\n");
	if (x)
		hbuf_printf(b, "<p>Confidence <b id=\"confidence\">%.3f</b> (sources listing it now, "
			       "weighed: <a href=\"/sources\">sources</a>)</p>\n",
			    feeds_confidence(&db, x));
	else
		hbuf_puts(b, "<p id=\"confidence\">Listed by no source itself.</p>\n");
	if (haswin) {
		hbuf_puts(b, "<p class=\"muted\" id=\"window\">Listings that overlap the time window ");
		html_texts(b, since_s[0] ? since_s : "the start");
		hbuf_puts(b, " to ");
		html_texts(b, until_s[0] ? until_s : "now");
		hbuf_puts(b, " (<a href=\"/indicator?v=");
		html_urls(b, v);
		hbuf_puts(b, "\">all times</a>).</p>\n");
	}
	tbl_open(b, &L, 0);
	size_t from = tbl_from(&t, n);
	for (size_t k = from; k < n && k < from + t.per; k++) {
		const struct lstrow *l = &rows[idx[k]];
		hbuf_puts(b, "<tr><td>");
		html_texts(b, l->x->value);
		hbuf_puts(b, "</td><td>");
		html_texts(b, db.src[l->is->src].name);
		hbuf_puts(b, "</td><td>");
		put_time(b, l->is->first_us);
		hbuf_puts(b, "</td><td>");
		if (l->is->since_us)
			hbuf_puts(b, "listed now");
		else
			put_time(b, l->is->last_us);
		hbuf_printf(b, "</td><td class=\"n\">%u</td></tr>\n", l->is->listings);
	}
	tbl_close(b, &L, 0, n, "Listings",
		  haswin && (x || fam) ? "No source listed it (or a CIDR covering it) in the time window."
		  : fam ? "No source listed this address or a CIDR covering it."
			: "No source listed this indicator.");
	hbuf_puts(b, "<p>");
	if (fam) {
		hbuf_puts(b, "<a href=\"/ip?a=");
		html_urls(b, v);
		win_href(b, since_s, until_s);
		hbuf_puts(b, "\">DNS answers with this address</a>");
	} else if (x && x->kind == REC_IND_DOMAIN) {
		hbuf_puts(b, "<a href=\"/domain?name=");
		html_urls(b, x->value);
		win_href(b, since_s, until_s);
		hbuf_puts(b, "\">DNS lookups of this name</a>");
	}
	hbuf_puts(b, "</p>\n");
	html_end(b);
	free(idx);
	free(rows);
	feeds_free(&db);
	return respond_page(c, 200);
}

static int page_css(struct page_job *c, const struct params *p TIP_UNUSED, int arg TIP_UNUSED)
{
	return respond(c, 200, "text/css; charset=utf-8", html_css, strlen(html_css),
		       "Cache-Control: max-age=3600\r\n");
}

/* Exact routes on the raw path: nothing is decoded, nothing maps to a file. */
static const struct page_route routes[] = {
	{"/", page_flux, 0, 1},
	{"/flux", page_flux, 0, 1},
	{"/flux.csv", page_flux_dl, 0, 1},
	{"/flux.cof", page_flux_dl, 1, 1},
	{"/domain", page_domain, 0, 1},
	{"/domain.csv", page_domain, 1, 1},
	{"/domain.cof", page_domain, 2, 1},
	{"/ip", page_ip, 0, 1},
	{"/ip.csv", page_ip, 1, 1},
	{"/ip.cof", page_ip, 2, 1},
	{"/search", page_search, 0, 1},
	{"/sensors", page_sensors, 0, 1},
	{"/sources", page_sources, 0, 1},
	{"/indicator", page_indicator, 0, 1},
	{"/style.css", page_css, 0, 0},
};

/* The route of r's path (NULL: none, or a method other than GET and HEAD); its query in p. */
static const struct page_route *route_find(const struct http_req *r, struct params *p)
{
	const char *path;
	size_t pl;
	http_split_target(r->target, r->target_len, &path, &pl, &p->q, &p->qlen);
	if (r->method == HTTP_OTHER)
		return NULL;
	for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++)
		if (strlen(routes[i].path) == pl && !memcmp(path, routes[i].path, pl))
			return &routes[i];
	return NULL;
}

int page_on_worker(const struct http_req *r)
{
	struct params p;
	const struct page_route *rt = route_find(r, &p);
	return rt && rt->worker;
}

int page_run(struct page_job *c)
{
	struct params p;
	const struct page_route *rt = route_find(&c->req, &p);
	if (c->req.method == HTTP_OTHER)
		return page_error(c, 405, "only GET and HEAD", NULL);
	if (!rt)
		return page_error(c, 404, "no such page", NULL);
	return rt->fn(c, &p, rt->arg);
}

/* ---- context and jobs ------------------------------------------------------ */

void page_ctx_init(struct page_ctx *x)
{
	memset(x, 0, sizeof *x);
	pthread_mutex_init(&x->cache_mu, NULL);
}

int page_ctx_open(struct page_ctx *x)
{
	x->sigs = calloc(x->set.n ? x->set.n : 1, sizeof *x->sigs);
	return x->sigs ? 0 : -1;
}

void page_ctx_fini(struct page_ctx *x)
{
	for (int i = 0; i < 2; i++)
		if (x->cache[i].valid)
			agg_flux_fini(&x->cache[i].fl);
	if (x->have_db)
		asn_db_close(&x->db);
	free(x->sigs);
	pthread_mutex_destroy(&x->cache_mu);
	store_set_free(&x->set);
}

void page_job_init(struct page_job *j, struct page_ctx *x)
{
	memset(j, 0, sizeof *j);
	j->s = x;
	j->faults.cmd = "serve";
	hbuf_init(&j->body, PAGE_BODY_MAX);
}

void page_job_fini(struct page_job *j)
{
	hbuf_fini(&j->body);
}
