/*
 * passivedns: gamelinux/passivedns lines into observations (passivedns.h).
 *
 * Two group buffers alternate: the pending observation grows in one; when
 * a line starts another, the pending one is handed out from its buffer
 * and the new line starts the other, so a record handed out stays valid
 * until the next call without a copy.  A line is parsed whole into a
 * struct line (every field checked, with its column) before it touches a
 * group, so a malformed line changes nothing.  The line and each field
 * are read through buf.h cursors: no field is ever read past its end, and
 * a fault's column is its field's offset in the line, plus one.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cof.h"
#include "dnstype.h"
#include "passivedns.h"
#include "util.h"

#define NFIELDS 9

struct group {
	int active;
	char name[REC_NAME_MAX + 1];
	size_t name_len;
	uint16_t qtype;
	uint8_t rcode;
	int64_t sec;		/* the second the lines share */
	int64_t ts_us;		/* of the first line */
	struct rec_ip server;
	uint32_t ttl;
	uint64_t count;
	uint32_t n_a4, n_a6, n_names;
	uint8_t a4[PDNS_ANSWERS_MAX * 4];
	uint8_t a6[PDNS_ANSWERS_MAX * 16 / 4];	/* IPv6: a quarter as many */
	uint8_t names[PDNS_NAMES_MAX];
	size_t names_len;
	struct rec rec;
};

struct pdns {
	struct group g[2];
	int cur;		/* index of the pending group */
	char why[PDNS_WHY_MAX];
};

/* One parsed line. */
struct line {
	int64_t ts_us;
	struct rec_ip server;
	char name[REC_NAME_MAX + 1];
	size_t name_len;
	uint16_t qtype;
	uint8_t rcode;
	int kind;		/* 4, 6, 'n' (a name), 't' (text as a name), 0 (no answer) */
	uint8_t addr[16];
	char ans[256];
	size_t ans_len;
	uint32_t ttl;
	uint64_t count;
};

struct pdns *pdns_new(void)
{
	return calloc(1, sizeof(struct pdns));
}

void pdns_free(struct pdns *p)
{
	free(p);
}

static struct buf_rd span(const uint8_t *p, size_t n)
{
	struct buf_rd b;
	buf_rd_init(&b, p, n);
	return b;
}

/* The whole field is a decimal of at most 20 digits and at most max. */
static int parse_uint(struct buf_rd f, uint64_t max, uint64_t *out)
{
	if (buf_left(&f) > 20 || buf_get_dec(&f, max, out) < 0 || buf_left(&f))
		return -1;
	return 0;
}

/* "1322849924.408856": seconds, and up to six decimals. */
static int parse_ts(struct buf_rd f, int64_t *us)
{
	size_t n;
	const uint8_t *s = buf_take_until(&f, '.', &n);
	uint64_t sec, frac = 0;
	if (parse_uint(span(s, n), 253402300799ULL, &sec) < 0)	/* 9999-12-31 */
		return -1;
	if (buf_take_byte(&f, '.')) {
		size_t fl = buf_left(&f);
		if (fl == 0 || fl > 6 || parse_uint(f, 999999, &frac) < 0)
			return -1;
		for (size_t i = fl; i < 6; i++)
			frac *= 10;
	}
	*us = (int64_t)sec * 1000000 + (int64_t)frac;
	return 0;
}

static int parse_ip(struct buf_rd f, struct rec_ip *ip)
{
	char b[INET6_ADDRSTRLEN + 1];
	size_t n = buf_left(&f);
	if (n == 0 || n >= sizeof b)
		return -1;
	memcpy(b, buf_get_bytes(&f, n), n);
	b[n] = '\0';
	memset(ip, 0, sizeof *ip);
	if (inet_pton(AF_INET, b, ip->addr) == 1)
		ip->family = 4;
	else if (inet_pton(AF_INET6, b, ip->addr) == 1)
		ip->family = 6;
	else
		return -1;
	return 0;
}

static int is_name_type(uint16_t t)
{
	return t == 2 || t == 5 || t == 12 || t == 39;	/* NS, CNAME, PTR, DNAME */
}

static int bad(const char **why, size_t *col, const char *msg, size_t at)
{
	*why = msg;
	*col = at;
	return -1;
}

/*
 * The next field of the line, up to "||" (consumed) or the end; a single
 * '|' belongs to the field.  0 at the end of the line, else 1.
 */
static int next_field(struct buf_rd *s, struct buf_rd *f)
{
	size_t at = s->off, n;
	for (;;) {
		buf_take_until(s, '|', &n);
		if (buf_peek(s) < 0 || buf_peek_at(s, 1) == '|')
			break;
		buf_skip(s, 1);
	}
	*f = span(s->p + at, s->off - at);
	return buf_expect(s, "||");
}

static int parse_line(struct pdns *p, struct buf_rd s, struct line *l, const char **why,
		      size_t *col)
{
	struct buf_rd f[NFIELDS];
	size_t at[NFIELDS];	/* the column (offset + 1) of each field */
	int nf = 0, more;
	memset(l, 0, sizeof *l);
	/* split on "||" */
	do {
		if (nf == NFIELDS) {
			/* at the "||" after a tenth field, or where the tenth starts */
			size_t tenth = s.off + 1;
			struct buf_rd x;
			return bad(why, col, "more than 9 fields", next_field(&s, &x) ? s.off - 1 : tenth);
		}
		at[nf] = s.off + 1;
		more = next_field(&s, &f[nf]);
		nf++;
	} while (more);
	if (nf < 8) {
		snprintf(p->why, sizeof p->why, "%d field%s, not 9 (ts||client||server||class||query||"
						"type||answer||ttl||count)", nf, nf == 1 ? "" : "s");
		return bad(why, col, p->why, 0);
	}
#define TXT(k) (const char *)(f[k].p + f[k].off), buf_left(&f[k])
	if (parse_ts(f[0], &l->ts_us) < 0)
		return bad(why, col, "bad timestamp (want seconds[.micro])", at[0]);
	struct rec_ip client;
	if (parse_ip(f[1], &client) < 0)
		return bad(why, col, "client is not an IP address", at[1]);
	if (parse_ip(f[2], &l->server) < 0)
		return bad(why, col, "server is not an IP address", at[2]);
	struct buf_rd cls = f[3];
	if (buf_left(&cls) != 2 || !buf_expect(&cls, "IN")) {
		char t[40];
		snprintf(p->why, sizeof p->why, "class %s: only IN is imported",
			 util_text(t, sizeof t, TXT(3)));
		return bad(why, col, p->why, at[3]);
	}
	if (buf_left(&f[4]) == 0)
		return bad(why, col, "empty query name", at[4]);
	if (cof_name_norm(l->name, &l->name_len, TXT(4)) < 0)
		return bad(why, col, "query name longer than 255 bytes", at[4]);
	uint64_t v;
	if (dnstype_parse(TXT(5), &l->qtype) < 0) {
		if (parse_uint(f[5], 65535, &v) < 0)
			return bad(why, col, "unknown record type", at[5]);
		l->qtype = (uint16_t)v;
	}
	struct buf_rd a = f[6];
	size_t an = buf_left(&a);
	if (an == 8 && buf_expect(&a, "NXDOMAIN")) {
		l->rcode = 3;
		l->kind = 0;
	} else if (l->qtype == 1) {
		struct rec_ip ip;
		if (parse_ip(a, &ip) < 0 || ip.family != 4)
			return bad(why, col, "A answer is not an IPv4 address", at[6]);
		l->kind = 4;
		memcpy(l->addr, ip.addr, 4);
	} else if (l->qtype == 28) {
		struct rec_ip ip;
		if (parse_ip(a, &ip) < 0 || ip.family != 6)
			return bad(why, col, "AAAA answer is not an IPv6 address", at[6]);
		l->kind = 6;
		memcpy(l->addr, ip.addr, 16);
	} else if (is_name_type(l->qtype)) {
		if (an == 0 || cof_name_norm(l->ans, &l->ans_len, TXT(6)) < 0)
			return bad(why, col, an ? "answer name longer than 255 bytes" : "empty answer",
				   at[6]);
		l->kind = 'n';
	} else {
		if (an > 255)
			return bad(why, col, "answer longer than 255 bytes", at[6]);
		if (an)
			memcpy(l->ans, buf_get_bytes(&a, an), an);
		l->ans_len = an;
		l->kind = 't';
	}
	if (parse_uint(f[7], UINT32_MAX, &v) < 0)
		return bad(why, col, "bad TTL", at[7]);
	l->ttl = (uint32_t)v;
	l->count = 1;
	if (nf == NFIELDS && (parse_uint(f[8], INT64_MAX, &l->count) < 0 || l->count == 0))
		return bad(why, col, "bad count (want a positive integer)", at[8]);
#undef TXT
	return 0;
}

static int same_group(const struct group *g, const struct line *l)
{
	return g->active && g->sec == l->ts_us / 1000000 && g->qtype == l->qtype &&
	       g->rcode == l->rcode && g->name_len == l->name_len &&
	       !memcmp(g->name, l->name, l->name_len) && g->server.family == l->server.family &&
	       !memcmp(g->server.addr, l->server.addr, 16);
}

static int fits(const struct group *g, const struct line *l)
{
	switch (l->kind) {
	case 4:
		return g->n_a4 < PDNS_ANSWERS_MAX;
	case 6:
		return g->n_a6 < PDNS_ANSWERS_MAX / 4;
	case 'n':
	case 't':
		return g->names_len + 1 + l->ans_len <= PDNS_NAMES_MAX;
	default:
		return 1;
	}
}

static void start(struct group *g, const struct line *l)
{
	g->active = 1;
	memcpy(g->name, l->name, l->name_len);
	g->name_len = l->name_len;
	g->qtype = l->qtype;
	g->rcode = l->rcode;
	g->sec = l->ts_us / 1000000;
	g->ts_us = l->ts_us;
	g->server = l->server;
	g->ttl = l->ttl;
	g->count = l->count;
	g->n_a4 = g->n_a6 = g->n_names = 0;
	g->names_len = 0;
}

static void add(struct group *g, const struct line *l)
{
	if (l->ttl < g->ttl)
		g->ttl = l->ttl;
	if (l->count > g->count)
		g->count = l->count;
	if (l->kind == 4)
		memcpy(g->a4 + 4 * g->n_a4++, l->addr, 4);
	else if (l->kind == 6)
		memcpy(g->a6 + 16 * g->n_a6++, l->addr, 16);
	else if (l->kind == 'n' || l->kind == 't') {
		g->names[g->names_len++] = (uint8_t)l->ans_len;
		memcpy(g->names + g->names_len, l->ans, l->ans_len);
		g->names_len += l->ans_len;
		g->n_names++;
	}
}

static const struct rec *finish(struct group *g)
{
	struct rec *r = &g->rec;
	memset(r, 0, sizeof *r);
	r->type = REC_DNS;
	r->ts_us = g->ts_us;
	struct rec_dns *d = &r->u.dns;
	d->name = g->name;
	d->name_len = g->name_len;
	d->qtype = g->qtype;
	d->rcode = g->rcode;
	d->ttl = g->ttl;
	d->server = g->server;
	d->n_a4 = g->n_a4;
	d->a4 = g->a4;
	d->n_a6 = g->n_a6;
	d->a6 = g->a6;
	d->n_names = g->n_names;
	d->names = g->names;
	d->names_len = g->names_len;
	d->ts_last_us = g->ts_us;
	d->count = g->count;
	if (g->count > 1)
		r->flags = REC_F_COALESCED;
	g->active = 0;
	return r;
}

int pdns_feed(struct pdns *p, const char *s, size_t len, const struct rec **out, const char **why,
	      size_t *col)
{
	struct line l;
	struct buf_rd b;
	buf_rd_init(&b, s, len);
	if (len && buf_peek_at(&b, len - 1) == '\r')
		b.len--;
	buf_skip_while(&b, " \t");
	if (!buf_left(&b))
		return 0;
	b.off = 0;
	if (parse_line(p, b, &l, why, col) < 0)
		return -1;
	struct group *g = &p->g[p->cur];
	if (same_group(g, &l) && fits(g, &l)) {
		add(g, &l);
		return 0;
	}
	int done = g->active;
	if (done)
		*out = finish(g);
	p->cur ^= 1;
	g = &p->g[p->cur];
	start(g, &l);
	add(g, &l);
	return done;
}

int pdns_flush(struct pdns *p, const struct rec **out)
{
	struct group *g = &p->g[p->cur];
	if (!g->active)
		return 0;
	*out = finish(g);
	p->cur ^= 1;
	return 1;
}
