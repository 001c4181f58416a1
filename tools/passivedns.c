/*
 * passivedns: gamelinux/passivedns lines into observations (passivedns.h).
 *
 * Two group buffers alternate: the pending observation grows in one; when
 * a line starts another, the pending one is handed out from its buffer
 * and the new line starts the other, so a record handed out stays valid
 * until the next call without a copy.  A line is parsed whole into a
 * struct line (every field checked, with its column) before it touches a
 * group, so a malformed line changes nothing.  All parsing is by index
 * within [0, len): no field is ever read past its end.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static int parse_uint(const char *s, size_t n, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	if (n == 0 || n > 20)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		uint64_t d = (uint64_t)(s[i] - '0');
		if (v > (max - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

/* "1322849924.408856": seconds, and up to six decimals. */
static int parse_ts(const char *s, size_t n, int64_t *us)
{
	size_t dot = 0;
	while (dot < n && s[dot] != '.')
		dot++;
	uint64_t sec, frac = 0;
	if (parse_uint(s, dot, 253402300799ULL, &sec) < 0)	/* 9999-12-31 */
		return -1;
	if (dot < n) {
		size_t fl = n - dot - 1;
		if (fl == 0 || fl > 6 || parse_uint(s + dot + 1, fl, 999999, &frac) < 0)
			return -1;
		for (size_t i = fl; i < 6; i++)
			frac *= 10;
	}
	*us = (int64_t)sec * 1000000 + (int64_t)frac;
	return 0;
}

static int parse_ip(const char *s, size_t n, struct rec_ip *ip)
{
	char b[INET6_ADDRSTRLEN + 1];
	if (n == 0 || n >= sizeof b)
		return -1;
	memcpy(b, s, n);
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

static int parse_line(struct pdns *p, const char *s, size_t len, struct line *l, const char **why,
		      size_t *col)
{
	size_t start[NFIELDS], flen[NFIELDS];
	int nf = 0;
	size_t i = 0, b = 0;
	memset(l, 0, sizeof *l);
	/* split on "||" */
	for (;;) {
		if (i + 1 < len && s[i] == '|' && s[i + 1] == '|') {
			if (nf == NFIELDS)
				return bad(why, col, "more than 9 fields", i + 1);
			start[nf] = b;
			flen[nf++] = i - b;
			i += 2;
			b = i;
			continue;
		}
		if (i >= len) {
			if (nf == NFIELDS)
				return bad(why, col, "more than 9 fields", b + 1);
			start[nf] = b;
			flen[nf++] = len - b;
			break;
		}
		i++;
	}
	if (nf < 8) {
		snprintf(p->why, sizeof p->why, "%d field%s, not 9 (ts||client||server||class||query||"
						"type||answer||ttl||count)", nf, nf == 1 ? "" : "s");
		return bad(why, col, p->why, 0);
	}
#define F(k) (s + start[k]), flen[k]
#define AT(k) (start[k] + 1)
	if (parse_ts(F(0), &l->ts_us) < 0)
		return bad(why, col, "bad timestamp (want seconds[.micro])", AT(0));
	struct rec_ip client;
	if (parse_ip(F(1), &client) < 0)
		return bad(why, col, "client is not an IP address", AT(1));
	if (parse_ip(F(2), &l->server) < 0)
		return bad(why, col, "server is not an IP address", AT(2));
	if (flen[3] != 2 || memcmp(s + start[3], "IN", 2)) {
		char t[40];
		snprintf(p->why, sizeof p->why, "class %s: only IN is imported",
			 util_text(t, sizeof t, s + start[3], flen[3]));
		return bad(why, col, p->why, AT(3));
	}
	if (flen[4] == 0)
		return bad(why, col, "empty query name", AT(4));
	if (cof_name_norm(l->name, &l->name_len, F(4)) < 0)
		return bad(why, col, "query name longer than 255 bytes", AT(4));
	uint64_t v;
	if (dnstype_parse(F(5), &l->qtype) < 0) {
		if (parse_uint(F(5), 65535, &v) < 0)
			return bad(why, col, "unknown record type", AT(5));
		l->qtype = (uint16_t)v;
	}
	const char *a = s + start[6];
	size_t an = flen[6];
	if (an == 8 && !memcmp(a, "NXDOMAIN", 8)) {
		l->rcode = 3;
		l->kind = 0;
	} else if (l->qtype == 1) {
		struct rec_ip ip;
		if (parse_ip(a, an, &ip) < 0 || ip.family != 4)
			return bad(why, col, "A answer is not an IPv4 address", AT(6));
		l->kind = 4;
		memcpy(l->addr, ip.addr, 4);
	} else if (l->qtype == 28) {
		struct rec_ip ip;
		if (parse_ip(a, an, &ip) < 0 || ip.family != 6)
			return bad(why, col, "AAAA answer is not an IPv6 address", AT(6));
		l->kind = 6;
		memcpy(l->addr, ip.addr, 16);
	} else if (is_name_type(l->qtype)) {
		if (an == 0 || cof_name_norm(l->ans, &l->ans_len, a, an) < 0)
			return bad(why, col, an ? "answer name longer than 255 bytes" : "empty answer",
				   AT(6));
		l->kind = 'n';
	} else {
		if (an > 255)
			return bad(why, col, "answer longer than 255 bytes", AT(6));
		memcpy(l->ans, a, an);
		l->ans_len = an;
		l->kind = 't';
	}
	if (parse_uint(F(7), UINT32_MAX, &v) < 0)
		return bad(why, col, "bad TTL", AT(7));
	l->ttl = (uint32_t)v;
	l->count = 1;
	if (nf == NFIELDS && (parse_uint(F(8), INT64_MAX, &l->count) < 0 || l->count == 0))
		return bad(why, col, "bad count (want a positive integer)", AT(8));
#undef F
#undef AT
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
	if (len && s[len - 1] == '\r')
		len--;
	size_t sp = 0;
	while (sp < len && (s[sp] == ' ' || s[sp] == '\t'))
		sp++;
	if (sp == len)
		return 0;
	if (parse_line(p, s, len, &l, why, col) < 0)
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
