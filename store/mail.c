/*
 * mail: a bounded, allocation-light parser of untrusted mail (see mail.h).
 *
 * The message is walked once per MIME level with the cursor of buf.h: a
 * level hands each part to the next as a sub-range of the same bytes, so
 * nothing but one decoded text part (at most max_text bytes) and one
 * unfolded header (at most max_line bytes) is ever copied.  Attachments are
 * decoded in small chunks straight into SHA-256.  Recursion is bounded by
 * max_depth, parts by max_parts; both overflows end the parse.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bearssl.h>

#include "buf.h"
#include "mail.h"

struct hdrs {
	char ctype[96];		/* type/subtype, lower case; "" when absent */
	char boundary[128];
	size_t blen;
	char charset[32];
	char name[256];		/* file name (disposition) or name (type) */
	int cte;		/* CTE_* */
	int attach;		/* Content-Disposition: attachment */
};

enum { CTE_PLAIN, CTE_QP, CTE_B64 };

struct ctx {
	const struct mail_opts *o;
	struct mail_msg *m;
	uint8_t *text;		/* max_text bytes */
	char *hbuf;		/* max_line bytes */
	unsigned entities;
	int sender_done;
	char msgid[256];
	int fatal;
};

static const struct mail_limits default_limits = {
	.max_msg = 32u << 20,
	.max_text = 1u << 20,
	.max_line = 64u << 10,
	.max_depth = 8,
	.max_parts = 512,
};

void mail_opts_default(struct mail_opts *o)
{
	memset(o, 0, sizeof *o);
	o->lim = default_limits;
	o->trust_private = 1;
}

const char *mail_bad_name(uint32_t bad)
{
	static const struct {
		uint32_t bit;
		const char *name;
	} names[] = {
		{MAIL_BAD_HEADER_LINE, "header line too long"},
		{MAIL_BAD_DEPTH, "MIME nesting too deep"},
		{MAIL_BAD_PARTS, "too many MIME parts"},
		{MAIL_BAD_NUL, "NUL byte in headers"},
		{MAIL_BAD_NOT_MAIL, "no mail header"},
		{MAIL_BAD_BOUNDARY, "bad multipart boundary"},
		{MAIL_BAD_BASE64, "broken base64"},
		{MAIL_BAD_QP, "broken quoted-printable"},
		{MAIL_BAD_BODY_NUL, "NUL byte in a text part"},
	};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (bad & names[i].bit)
			return names[i].name;
	return bad ? "malformed" : "ok";
}

static void bad(struct ctx *c, uint32_t bit)
{
	c->m->bad |= bit;
	if (bit & MAIL_BAD_FATAL)
		c->fatal = 1;
}

static int lc(int ch)
{
	return ch >= 'A' && ch <= 'Z' ? ch + 32 : ch;
}

static int ieq(const char *a, size_t alen, const char *b)
{
	size_t bl = strlen(b);
	if (alen != bl)
		return 0;
	for (size_t i = 0; i < bl; i++)
		if (lc((unsigned char)a[i]) != b[i])
			return 0;
	return 1;
}

static int iprefix(const uint8_t *a, size_t alen, const char *b)
{
	size_t bl = strlen(b);
	if (alen < bl)
		return 0;
	for (size_t i = 0; i < bl; i++)
		if (lc(a[i]) != b[i])
			return 0;
	return 1;
}

static int is_ws(int ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

/* The next line from the cursor, without its CR LF; NULL at the end. */
static const uint8_t *next_line(struct buf_rd *b, size_t *len)
{
	size_t left = buf_left(b);
	if (!left)
		return NULL;
	const uint8_t *s = b->p + b->off;
	const uint8_t *nl = memchr(s, '\n', left);
	size_t n = nl ? (size_t)(nl - s) + 1 : left;
	buf_skip(b, n);
	size_t l = nl ? n - 1 : n;
	if (l && s[l - 1] == '\r')
		l--;
	*len = l;
	return s;
}

/* ---- small text helpers --------------------------------------------- */

static int hexval(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	ch = lc(ch);
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	return -1;
}

static int b64val(int ch)
{
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A';
	if (ch >= 'a' && ch <= 'z')
		return ch - 'a' + 26;
	if (ch >= '0' && ch <= '9')
		return ch - '0' + 52;
	if (ch == '+')
		return 62;
	if (ch == '/')
		return 63;
	return -1;
}

/* Copy src into dst[cap] as a C string, control bytes as spaces. */
static size_t put_text(char *dst, size_t cap, size_t at, const void *src, size_t n)
{
	const uint8_t *s = src;
	for (size_t i = 0; i < n && at + 1 < cap; i++)
		dst[at++] = s[i] < 0x20 || s[i] == 0x7f ? ' ' : (char)s[i];
	dst[at < cap ? at : cap - 1] = 0;
	return at;
}

/*
 * RFC 2047 encoded words in a header value, into out[cap] (NUL-ended).
 * Bytes stay in their charset: outputs escape what is not printable.
 */
static size_t decode_words(const char *in, size_t n, char *out, size_t cap)
{
	size_t o = 0, i = 0;
	int last_word = 0;	/* whitespace between two encoded words is dropped */
	size_t ws_start = 0;
	out[0] = 0;
	while (i < n && o + 1 < cap) {
		if (in[i] == '=' && i + 1 < n && in[i + 1] == '?') {
			/* =?charset?E?text?= */
			size_t q1 = i + 2;
			while (q1 < n && in[q1] != '?')
				q1++;
			if (q1 + 2 < n && in[q1 + 2] == '?') {
				int enc = lc((unsigned char)in[q1 + 1]);
				size_t t = q1 + 3, e = t;
				while (e + 1 < n && !(in[e] == '?' && in[e + 1] == '='))
					e++;
				if (e + 1 < n && (enc == 'b' || enc == 'q')) {
					if (last_word)
						o = ws_start;
					uint8_t tmp[256];
					size_t tl = 0;
					if (enc == 'q') {
						for (size_t k = t; k < e && tl < sizeof tmp; k++) {
							if (in[k] == '_') {
								tmp[tl++] = ' ';
							} else if (in[k] == '=' && k + 2 < e &&
								   hexval(in[k + 1]) >= 0 && hexval(in[k + 2]) >= 0) {
								tmp[tl++] = (uint8_t)(hexval(in[k + 1]) << 4 |
										      hexval(in[k + 2]));
								k += 2;
							} else {
								tmp[tl++] = (uint8_t)in[k];
							}
						}
					} else {
						uint32_t acc = 0;
						int bits = 0;
						for (size_t k = t; k < e && tl < sizeof tmp; k++) {
							int v = b64val((unsigned char)in[k]);
							if (v < 0)
								continue;
							acc = acc << 6 | (uint32_t)v;
							bits += 6;
							if (bits >= 8) {
								bits -= 8;
								tmp[tl++] = (uint8_t)(acc >> bits);
							}
						}
					}
					o = put_text(out, cap, o, tmp, tl);
					i = e + 2;
					last_word = 1;
					ws_start = o;
					continue;
				}
			}
		}
		if (!(is_ws((unsigned char)in[i])))
			last_word = 0;
		o = put_text(out, cap, o, in + i, 1);
		i++;
	}
	return o;
}

/* ---- hosts, domains, addresses -------------------------------------- */

/*
 * Suffixes under which each name is a registrant of its own: the common
 * second-level registries of country domains and a few hosting and
 * dynamic-DNS zones spam uses.  Not the full Public Suffix List (see
 * doc/decisions.md).
 */
static const char *const suffixes[] = {
	"blogspot.com", "github.io", "herokuapp.com", "appspot.com", "web.app", "firebaseapp.com",
	"pages.dev", "workers.dev", "netlify.app", "vercel.app", "azurewebsites.net",
	"cloudfront.net", "000webhostapp.com", "weebly.com", "wixsite.com", "dyndns.org",
	"no-ip.org", "no-ip.com", "no-ip.biz", "ddns.net", "duckdns.org", "3322.org",
	"hopto.org", "zapto.org", "sytes.net", "uk.com", "us.com", "eu.com", "cn.com",
	"ru.com", "de.com", "br.com", "co.com", "uk.net", "gb.net", "za.com",
};

static const char *const sld_generic[] = {
	"com", "net", "org", "co", "ac", "gov", "edu", "or", "ne", "go", "mil", "gob", "nic",
	"ltd", "plc", "sch", "nom", "info", "biz", "gen", "firm", "ind", "me", "in",
};

static int is_ipv4_text(const char *h, size_t len)
{
	char tmp[64];
	struct in_addr a;
	if (len >= sizeof tmp)
		return 0;
	memcpy(tmp, h, len);
	tmp[len] = 0;
	return inet_pton(AF_INET, tmp, &a) == 1;
}

long mail_reg_domain(const char *host, size_t len, size_t *dlen)
{
	if (!len || is_ipv4_text(host, len) || memchr(host, ':', len))
		return -1;
	size_t slen = 0;	/* length of the public suffix at the end */
	for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
		size_t l = strlen(suffixes[i]);
		if (l < len && host[len - l - 1] == '.' && !memcmp(host + len - l, suffixes[i], l) &&
		    l > slen)
			slen = l;
	}
	if (!slen) {
		const char *dot = memrchr(host, '.', len);
		if (!dot)
			return -1;
		size_t tld = len - (size_t)(dot - host) - 1;
		slen = tld;
		if (tld == 2) {
			const char *d2 = memrchr(host, '.', (size_t)(dot - host));
			size_t s0 = d2 ? (size_t)(d2 - host) + 1 : 0;
			size_t l2 = (size_t)(dot - host) - s0;
			for (size_t i = 0; i < sizeof sld_generic / sizeof sld_generic[0]; i++)
				if (l2 == strlen(sld_generic[i]) && !memcmp(host + s0, sld_generic[i], l2)) {
					slen = len - s0;
					break;
				}
		}
	}
	if (slen + 1 >= len)
		return -1;	/* a bare suffix */
	const char *d = memrchr(host, '.', len - slen - 1);
	size_t start = d ? (size_t)(d - host) + 1 : 0;
	if (start >= len - slen - 1)
		return -1;	/* an empty label */
	*dlen = len - start;
	return (long)start;
}

/* Normalise a host name in place: lower case, no final dot.  Its length, or 0 when no host. */
static size_t host_norm(char *h, size_t len)
{
	while (len && h[len - 1] == '.')
		len--;
	if (!len || len > REC_NAME_MAX)
		return 0;
	int dots = 0;
	for (size_t i = 0; i < len; i++) {
		int ch = lc((unsigned char)h[i]);
		if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' ||
		      ch == '_'))
			return 0;
		if (ch == '.') {
			if (i == 0 || h[i - 1] == '.')
				return 0;
			dots++;
		}
		h[i] = (char)ch;
	}
	return dots ? len : 0;
}

/* The domain of the address in a From-like header value, into out. */
static void addr_domain(const char *v, size_t n, char *out)
{
	const char *s = v, *e = v + n;
	const char *lt = NULL;
	for (const char *p = v; p < e; p++)
		if (*p == '<')
			lt = p;
	if (lt) {
		s = lt + 1;
		const char *gt = memchr(s, '>', (size_t)(e - s));
		if (gt)
			e = gt;
	}
	const char *at = memrchr(s, '@', (size_t)(e - s));
	out[0] = 0;
	if (!at)
		return;
	const char *d = at + 1, *de = d;
	while (de < e && !is_ws((unsigned char)*de) && !strchr(">),;\"'<[]", *de))
		de++;
	char tmp[REC_NAME_MAX + 2];
	size_t l = (size_t)(de - d);
	if (!l || l > REC_NAME_MAX)
		return;
	memcpy(tmp, d, l);
	l = host_norm(tmp, l);
	if (l) {
		memcpy(out, tmp, l);
		out[l] = 0;
	}
}

static int parse_ip(const char *t, size_t n, struct rec_ip *ip)
{
	char tmp[64];
	if (n >= 5 && ieq(t, 5, "ipv6:")) {
		t += 5;
		n -= 5;
	}
	if (!n || n >= sizeof tmp)
		return -1;
	memcpy(tmp, t, n);
	tmp[n] = 0;
	memset(ip, 0, sizeof *ip);
	if (inet_pton(AF_INET, tmp, ip->addr) == 1) {
		ip->family = 4;
		return 0;
	}
	if (inet_pton(AF_INET6, tmp, ip->addr) == 1) {
		ip->family = 6;
		return 0;
	}
	return -1;
}

int mail_net_parse(const char *text, struct mail_net *n)
{
	char tmp[64];
	size_t len = strlen(text);
	const char *sl = strchr(text, '/');
	size_t al = sl ? (size_t)(sl - text) : len;
	if (parse_ip(text, al, &n->net) < 0)
		return -1;
	int max = n->net.family == 4 ? 32 : 128;
	n->plen = (uint8_t)max;
	if (sl) {
		if (!sl[1] || strlen(sl + 1) > 3)
			return -1;
		memcpy(tmp, sl + 1, strlen(sl + 1) + 1);
		char *end;
		long p = strtol(tmp, &end, 10);
		if (*end || p < 0 || p > max)
			return -1;
		n->plen = (uint8_t)p;
	}
	return 0;
}

int mail_net_match(const struct mail_net *n, const struct rec_ip *ip)
{
	if (n->net.family != ip->family)
		return 0;
	unsigned full = n->plen / 8, rest = n->plen % 8;
	if (memcmp(n->net.addr, ip->addr, full))
		return 0;
	if (rest) {
		uint8_t mask = (uint8_t)(0xff << (8 - rest));
		if ((n->net.addr[full] & mask) != (ip->addr[full] & mask))
			return 0;
	}
	return 1;
}

static int is_private(const struct rec_ip *ip)
{
	const uint8_t *a = ip->addr;
	if (ip->family == 4)
		return a[0] == 127 || a[0] == 10 || (a[0] == 172 && (a[1] & 0xf0) == 16) ||
		       (a[0] == 192 && a[1] == 168) || (a[0] == 169 && a[1] == 254) || a[0] == 0;
	static const uint8_t lo[16] = {[15] = 1};
	return !memcmp(a, lo, 16) || (a[0] & 0xfe) == 0xfc || (a[0] == 0xfe && (a[1] & 0xc0) == 0x80);
}

static int trusted(const struct ctx *c, const struct rec_ip *ip)
{
	if (c->o->trust_private && is_private(ip))
		return 1;
	for (size_t i = 0; i < c->o->n_trusted; i++)
		if (mail_net_match(&c->o->trusted[i], ip))
			return 1;
	return 0;
}

/*
 * The connecting address of a Received header: in its "from" clause (up to
 * " by "), the first bracketed address, else the first bare dotted quad.
 */
static int received_ip(const char *v, size_t n, struct rec_ip *ip)
{
	size_t i = 0;
	while (i < n && is_ws((unsigned char)v[i]))
		i++;
	if (n - i < 5 || !ieq(v + i, 4, "from") || !is_ws((unsigned char)v[i + 4]))
		return -1;
	size_t end = n;
	for (size_t k = i + 4; k + 4 <= n; k++)
		if (is_ws((unsigned char)v[k]) && ieq(v + k + 1, 2, "by") && k + 3 < n &&
		    is_ws((unsigned char)v[k + 3])) {
			end = k;
			break;
		}
	for (size_t k = i; k < end; k++)
		if (v[k] == '[') {
			const char *rb = memchr(v + k, ']', end - k);
			if (rb && parse_ip(v + k + 1, (size_t)(rb - v - k - 1), ip) == 0)
				return 0;
		}
	for (size_t k = i; k < end; k++) {
		if (!(v[k] >= '0' && v[k] <= '9') || (k > 0 && (v[k - 1] == '.' ||
								 (v[k - 1] >= '0' && v[k - 1] <= '9'))))
			continue;
		size_t e = k;
		while (e < end && ((v[e] >= '0' && v[e] <= '9') || v[e] == '.'))
			e++;
		if (parse_ip(v + k, e - k, ip) == 0 && ip->family == 4)
			return 0;
		k = e;
	}
	return -1;
}

/* ---- URLs ------------------------------------------------------------ */

static int pool_add(struct mail_msg *m, const char *s, size_t n, struct mail_str *out)
{
	if (n > 0xffff || n > MAIL_POOL - m->pool_len)
		return -1;
	memcpy(m->pool + m->pool_len, s, n);
	out->off = m->pool_len;
	out->len = (uint16_t)n;
	m->pool_len += (uint32_t)n;
	return 0;
}

static void add_host(struct mail_msg *m, const char *h, size_t n)
{
	for (uint32_t i = 0; i < m->n_hosts; i++)
		if (m->hosts[i].len == n && !memcmp(mail_str_ptr(m, m->hosts[i]), h, n))
			return;
	if (m->n_hosts >= MAIL_HOSTS_MAX) {
		m->flags |= MAIL_F_URLS_CUT;
		return;
	}
	struct mail_str hs, ds = {0, 0};
	if (pool_add(m, h, n, &hs) < 0) {
		m->flags |= MAIL_F_URLS_CUT;
		return;
	}
	size_t dl;
	long d = mail_reg_domain(h, n, &dl);
	if (d >= 0) {
		ds.off = hs.off + (uint32_t)d;
		ds.len = (uint16_t)dl;
	}
	m->hosts[m->n_hosts] = hs;
	m->domains[m->n_hosts] = ds;
	m->n_hosts++;
}

/* The host of url[0..n) (scheme:// or www.) into out; its length or 0. */
static size_t url_host(const char *u, size_t n, char *out)
{
	size_t s = 0;
	const char *cs = memchr(u, ':', n);
	if (cs && (size_t)(cs - u) + 3 <= n && cs[1] == '/' && cs[2] == '/')
		s = (size_t)(cs - u) + 3;
	size_t e = s;
	while (e < n && u[e] != '/' && u[e] != '?' && u[e] != '#' && u[e] != '\\')
		e++;
	const char *at = memrchr(u + s, '@', e - s);
	if (at)
		s = (size_t)(at - u) + 1;
	if (s < e && u[s] == '[') {	/* IPv6 literal: kept as is */
		const char *rb = memchr(u + s, ']', e - s);
		struct rec_ip ip;
		if (!rb || parse_ip(u + s + 1, (size_t)(rb - u - s - 1), &ip) < 0)
			return 0;
		size_t l = (size_t)(rb - u - s - 1);
		memcpy(out, u + s + 1, l);
		return l;
	}
	const char *colon = memchr(u + s, ':', e - s);
	if (colon)
		e = (size_t)(colon - u);
	if (e - s > REC_NAME_MAX)
		return 0;
	memcpy(out, u + s, e - s);
	return host_norm(out, e - s);
}

static void add_url(struct mail_msg *m, const char *u, size_t n)
{
	char host[REC_NAME_MAX + 1];
	size_t hl = url_host(u, n, host);
	if (!hl)
		return;
	add_host(m, host, hl);
	if (n > MAIL_URL_MAX)
		n = MAIL_URL_MAX;
	for (uint32_t i = 0; i < m->n_urls; i++)
		if (m->urls[i].len == n && !memcmp(mail_str_ptr(m, m->urls[i]), u, n))
			return;
	m->urls_seen++;
	if (m->n_urls >= MAIL_URLS_MAX || pool_add(m, u, n, &m->urls[m->n_urls]) < 0) {
		m->flags |= MAIL_F_URLS_CUT;
		return;
	}
	m->n_urls++;
}

static int url_char(uint8_t ch)
{
	return ch > 0x20 && ch < 0x7f && !strchr("<>\"'`{}|\\^", ch);
}

static int word_char(uint8_t ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       ch == '.' || ch == '-' || ch == '_' || ch == '/' || ch == '@' || ch == ':';
}

/* Find URLs in t[0..n): scheme URLs (http, https, ftp) and www. names. */
static void scan_urls(struct mail_msg *m, const uint8_t *t, size_t n)
{
	char tmp[MAIL_URL_MAX + 8];
	for (size_t i = 0; i < n; i++) {
		int ch = lc(t[i]);
		if (ch != 'h' && ch != 'f' && ch != 'w')
			continue;
		size_t start = i, skip;
		int www = 0;
		if (iprefix(t + i, n - i, "http://"))
			skip = 7;
		else if (iprefix(t + i, n - i, "https://"))
			skip = 8;
		else if (iprefix(t + i, n - i, "ftp://"))
			skip = 6;
		else if (iprefix(t + i, n - i, "www.") && (i == 0 || !word_char(t[i - 1])))
			skip = 4, www = 1;
		else
			continue;
		size_t e = i + skip;
		while (e < n && url_char(t[e]))
			e++;
		i = e ? e - 1 : 0;
		/* trailing punctuation is the sentence's, not the URL's */
		while (e > start + skip) {
			uint8_t last = t[e - 1];
			if (strchr(".,;:!?*", last)) {
				e--;
			} else if (last == ')' || last == ']') {
				uint8_t open = last == ')' ? '(' : '[';
				if (memchr(t + start, open, e - start))
					break;
				e--;
			} else {
				break;
			}
		}
		if (e <= start + skip)
			continue;
		size_t l = e - start;
		if (www) {
			if (l + 7 > MAIL_URL_MAX)
				l = MAIL_URL_MAX - 7;
			memcpy(tmp, "http://", 7);
			memcpy(tmp + 7, t + start, l);
			add_url(m, tmp, l + 7);
		} else {
			if (l > MAIL_URL_MAX)
				l = MAIL_URL_MAX;
			for (size_t k = 0; k < skip; k++)	/* the scheme in lower case */
				tmp[k] = (char)lc(t[start + k]);
			memcpy(tmp + skip, t + start + skip, l - skip);
			add_url(m, tmp, l);
		}
	}
}

/*
 * HTML entities decoded in place (every replacement is shorter than its
 * source).  Comments are dropped: spam splits words with them.
 */
static size_t html_decode(uint8_t *t, size_t n)
{
	static const struct {
		const char *name;
		char ch;
	} ents[] = {{"amp", '&'}, {"lt", '<'}, {"gt", '>'}, {"quot", '"'}, {"apos", '\''},
		    {"nbsp", ' '}, {"sol", '/'}, {"colon", ':'}, {"period", '.'}, {"quest", '?'},
		    {"equals", '='}};
	size_t o = 0;
	for (size_t i = 0; i < n;) {
		if (t[i] == '<' && i + 3 < n && t[i + 1] == '!' && t[i + 2] == '-' && t[i + 3] == '-') {
			size_t k = i + 4;
			while (k + 2 < n && !(t[k] == '-' && t[k + 1] == '-' && t[k + 2] == '>'))
				k++;
			i = k + 2 < n ? k + 3 : n;
			continue;
		}
		if (t[i] != '&') {
			t[o++] = t[i++];
			continue;
		}
		size_t k = i + 1;
		while (k < n && k - i < 12 && t[k] != ';' && !is_ws(t[k]) && t[k] != '&' && t[k] != '<')
			k++;
		size_t nl = k - i - 1;
		int done = 0;
		if (k < n && t[k] == ';' && nl > 1 && t[i + 1] == '#') {
			uint32_t cp = 0;
			int ok = 1;
			if (lc(t[i + 2]) == 'x') {
				for (size_t j = i + 3; j < k; j++)
					if (hexval(t[j]) < 0 || cp > 0x10ffff)
						ok = 0;
					else
						cp = cp * 16 + (uint32_t)hexval(t[j]);
				ok = ok && k > i + 3;
			} else {
				for (size_t j = i + 2; j < k; j++)
					if (t[j] < '0' || t[j] > '9' || cp > 0x10ffff)
						ok = 0;
					else
						cp = cp * 10 + (uint32_t)(t[j] - '0');
			}
			if (ok && cp && cp < 0x80) {
				t[o++] = (uint8_t)cp;
				done = 1;
			} else if (ok && cp) {
				t[o++] = ' ';	/* non-ASCII ends a URL; its bytes do not matter here */
				done = 1;
			}
		} else if (k < n && t[k] == ';') {
			for (size_t e = 0; e < sizeof ents / sizeof ents[0]; e++)
				if (ieq((const char *)t + i + 1, nl, ents[e].name)) {
					t[o++] = (uint8_t)ents[e].ch;
					done = 1;
					break;
				}
		}
		if (done) {
			i = k + 1;
		} else {
			t[o++] = t[i++];
		}
	}
	return o;
}

/* ---- headers --------------------------------------------------------- */

/* Parameters of a Content-Type or Content-Disposition value. */
static void parse_params(const char *v, size_t n, struct hdrs *h)
{
	size_t i = 0;
	while (i < n && v[i] != ';')
		i++;
	while (i < n) {
		i++;	/* ';' */
		while (i < n && is_ws((unsigned char)v[i]))
			i++;
		size_t as = i;
		while (i < n && v[i] != '=' && v[i] != ';' && !is_ws((unsigned char)v[i]))
			i++;
		size_t al = i - as;
		while (i < n && is_ws((unsigned char)v[i]))
			i++;
		if (i >= n || v[i] != '=') {
			while (i < n && v[i] != ';')
				i++;
			continue;
		}
		i++;
		while (i < n && is_ws((unsigned char)v[i]))
			i++;
		char val[256];
		size_t vl = 0;
		if (i < n && v[i] == '"') {
			i++;
			while (i < n && v[i] != '"') {
				if (v[i] == '\\' && i + 1 < n)
					i++;
				if (vl + 1 < sizeof val)
					val[vl++] = v[i];
				i++;
			}
			if (i < n)
				i++;
		} else {
			while (i < n && v[i] != ';' && !is_ws((unsigned char)v[i])) {
				if (vl + 1 < sizeof val)
					val[vl++] = v[i];
				i++;
			}
		}
		val[vl] = 0;
		while (i < n && v[i] != ';')
			i++;
		const char *a = v + as;
		if (ieq(a, al, "boundary")) {
			memcpy(h->boundary, val, vl + 1 < sizeof h->boundary ? vl + 1 : sizeof h->boundary);
			h->boundary[sizeof h->boundary - 1] = 0;
			h->blen = strlen(h->boundary);
		} else if (ieq(a, al, "charset")) {
			size_t l = vl < sizeof h->charset - 1 ? vl : sizeof h->charset - 1;
			for (size_t k = 0; k < l; k++)
				h->charset[k] = (char)lc((unsigned char)val[k]);
			h->charset[l] = 0;
		} else if (ieq(a, al, "filename") || (ieq(a, al, "name") && !h->name[0])) {
			decode_words(val, vl, h->name, sizeof h->name);
		} else if (ieq(a, al, "filename*") || ieq(a, al, "filename*0*") ||
			   ieq(a, al, "name*") || ieq(a, al, "filename*0")) {
			/* RFC 2231: charset'lang'percent-encoded */
			const char *p = val, *e = val + vl;
			const char *q = memchr(p, '\'', vl);
			if (q && memchr(q + 1, '\'', (size_t)(e - q - 1)) && a[al - 1] == '*')
				p = (const char *)memchr(q + 1, '\'', (size_t)(e - q - 1)) + 1;
			uint8_t tmp[256];
			size_t tl = 0;
			for (; p < e && tl < sizeof tmp; p++) {
				if (*p == '%' && e - p > 2 && hexval(p[1]) >= 0 && hexval(p[2]) >= 0) {
					tmp[tl++] = (uint8_t)(hexval(p[1]) << 4 | hexval(p[2]));
					p += 2;
				} else {
					tmp[tl++] = (uint8_t)*p;
				}
			}
			put_text(h->name, sizeof h->name, 0, tmp, tl);
		}
	}
}

static void header(struct ctx *c, const char *line, size_t n, struct hdrs *h, int top)
{
	const char *colon = memchr(line, ':', n);
	if (!colon)
		return;
	size_t nl = (size_t)(colon - line);
	while (nl && is_ws((unsigned char)line[nl - 1]))
		nl--;
	const char *v = colon + 1;
	size_t vl = n - (size_t)(v - line);
	while (vl && is_ws((unsigned char)*v))
		v++, vl--;
	while (vl && is_ws((unsigned char)v[vl - 1]))
		vl--;
	struct mail_msg *m = c->m;

	if (ieq(line, nl, "content-type")) {
		size_t tl = 0;
		while (tl < vl && v[tl] != ';' && !is_ws((unsigned char)v[tl]) && tl + 1 < sizeof h->ctype) {
			h->ctype[tl] = (char)lc((unsigned char)v[tl]);
			tl++;
		}
		h->ctype[tl] = 0;
		parse_params(v, vl, h);
	} else if (ieq(line, nl, "content-transfer-encoding")) {
		if (vl >= 6 && ieq(v, 6, "base64"))
			h->cte = CTE_B64;
		else if (vl >= 16 && ieq(v, 16, "quoted-printable"))
			h->cte = CTE_QP;
		else
			h->cte = CTE_PLAIN;
	} else if (ieq(line, nl, "content-disposition")) {
		if (vl >= 10 && ieq(v, 10, "attachment"))
			h->attach = 1;
		parse_params(v, vl, h);
	} else if (!top) {
		return;
	} else if (ieq(line, nl, "subject")) {
		if (!m->subject[0])
			decode_words(v, vl, m->subject, sizeof m->subject);
	} else if (ieq(line, nl, "from")) {
		if (!m->from_dom[0])
			addr_domain(v, vl, m->from_dom);
	} else if (ieq(line, nl, "date")) {
		if (!m->date_us && !(m->flags & MAIL_F_BAD_DATE) && mail_date_parse(v, vl, &m->date_us) < 0) {
			m->date_us = 0;
			m->flags |= MAIL_F_BAD_DATE;
		}
	} else if (ieq(line, nl, "reply-to")) {
		if (!m->reply_dom[0])
			addr_domain(v, vl, m->reply_dom);
	} else if (ieq(line, nl, "return-path")) {
		if (!m->rpath_dom[0])
			addr_domain(v, vl, m->rpath_dom);
	} else if (ieq(line, nl, "message-id")) {
		if (!c->msgid[0]) {
			put_text(c->msgid, sizeof c->msgid, 0, v, vl);
			addr_domain(v, vl, m->msgid_dom);
		}
	} else if (ieq(line, nl, "received")) {
		struct rec_ip ip;
		m->received++;
		if (!c->sender_done && received_ip(v, vl, &ip) == 0 && !trusted(c, &ip)) {
			m->sender = ip;
			c->sender_done = 1;
		}
	}
}

static int header_name_ok(const uint8_t *s, size_t n)
{
	size_t i = 0;
	while (i < n && s[i] > 32 && s[i] < 127 && s[i] != ':')
		i++;
	/* "Name :" with spaces before the colon is old but seen */
	size_t j = i;
	while (j < n && (s[j] == ' ' || s[j] == '\t'))
		j++;
	return i > 0 && j < n && s[j] == ':';
}

/*
 * Read the header block at the cursor, leaving it at the body.  A part
 * whose first line is no header has none: the cursor stays there.
 */
static void read_headers(struct ctx *c, struct buf_rd *b, struct hdrs *h, int top)
{
	size_t hl = 0, max = c->o->lim.max_line;
	int have = 0, first = 1;
	for (;;) {
		size_t save = b->off, l;
		const uint8_t *line = next_line(b, &l);
		if (!line)
			break;
		if (l > max) {
			bad(c, MAIL_BAD_HEADER_LINE);
			return;
		}
		if (memchr(line, 0, l)) {
			bad(c, MAIL_BAD_NUL);
			return;
		}
		if (l == 0)
			break;
		if (line[0] == ' ' || line[0] == '\t') {
			if (!have)
				continue;
			if (hl + l > max) {
				bad(c, MAIL_BAD_HEADER_LINE);
				return;
			}
			memcpy(c->hbuf + hl, line, l);
			hl += l;
			continue;
		}
		if (!header_name_ok(line, l)) {
			if (top && first) {
				bad(c, MAIL_BAD_NOT_MAIL);
				return;
			}
			b->off = save;	/* the body starts here */
			break;
		}
		if (have)
			header(c, c->hbuf, hl, h, top);
		memcpy(c->hbuf, line, l);
		hl = l;
		have = 1;
		first = 0;
	}
	if (have)
		header(c, c->hbuf, hl, h, top);
	else if (top)
		bad(c, MAIL_BAD_NOT_MAIL);
}

/* ---- bodies ---------------------------------------------------------- */

struct sink {
	struct ctx *c;
	br_sha256_context *sha;	/* attachments */
	uint8_t *text;		/* text parts: decoded so far */
	size_t tlen, tcap;
	uint64_t size;
};

static void sink_put(struct sink *s, const uint8_t *p, size_t n)
{
	if (s->sha)
		br_sha256_update(s->sha, p, n);
	if (s->text) {
		size_t room = s->tcap - s->tlen;
		if (n > room) {
			s->c->m->flags |= MAIL_F_TEXT_CUT;
			n = room;
		}
		memcpy(s->text + s->tlen, p, n);
		s->tlen += n;
	}
	s->size += n;
}

/*
 * Decode body[0..n) by its transfer encoding into the sink.  -1 on broken
 * base64 (a byte outside the alphabet), with *stop at the start of its
 * line; 1 when the base64 ends in a lone sextet (dropped).
 */
static int decode(struct sink *s, int cte, const uint8_t *body, size_t n, size_t *stop)
{
	uint8_t out[4096];
	size_t o = 0;
	if (cte == CTE_PLAIN) {
		sink_put(s, body, n);
		return 0;
	}
	if (cte == CTE_B64) {
		uint32_t acc = 0;
		int bits = 0, pad = 0;
		size_t line = 0;
		for (size_t i = 0; i < n; i++) {
			uint8_t ch = body[i];
			if (ch == '\n')
				line = i + 1;
			if (is_ws(ch))
				continue;
			if (ch == '=') {
				pad = 1;
				continue;
			}
			int v = b64val(ch);
			if (v < 0 || pad) {
				/* data after the padding, or not base64 at all */
				if (o)
					sink_put(s, out, o);
				*stop = line;
				return -1;
			}
			acc = acc << 6 | (uint32_t)v;
			bits += 6;
			if (bits >= 8) {
				bits -= 8;
				out[o++] = (uint8_t)(acc >> bits);
				if (o == sizeof out) {
					sink_put(s, out, o);
					o = 0;
				}
			}
		}
		if (o)
			sink_put(s, out, o);
		return bits >= 6 ? 1 : 0;	/* a lone trailing sextet cannot be */
	}
	for (size_t i = 0; i < n; i++) {	/* quoted-printable */
		uint8_t ch = body[i];
		if (ch == '=') {
			if (i + 2 < n + 0 && hexval(body[i + 1]) >= 0 && hexval(body[i + 2]) >= 0) {
				ch = (uint8_t)(hexval(body[i + 1]) << 4 | hexval(body[i + 2]));
				i += 2;
			} else {
				size_t k = i + 1;
				while (k < n && (body[k] == ' ' || body[k] == '\t'))
					k++;
				if (k < n && body[k] == '\r')
					k++;
				if (k >= n || body[k] == '\n') {	/* soft line break */
					i = k;
					continue;
				}
				s->c->m->bad |= MAIL_BAD_QP;
			}
		}
		out[o++] = ch;
		if (o == sizeof out) {
			sink_put(s, out, o);
			o = 0;
		}
	}
	if (o)
		sink_put(s, out, o);
	return 0;
}

static void leaf(struct ctx *c, const uint8_t *body, size_t n, const struct hdrs *h)
{
	struct mail_msg *m = c->m;
	int is_text = !h->ctype[0] || !strncmp(h->ctype, "text/", 5);
	int is_html = !strcmp(h->ctype, "text/html");
	int is_att = h->attach || h->name[0] || !is_text;
	br_sha256_context sha;
	struct sink s = {.c = c};
	m->parts++;
	if (is_att) {
		br_sha256_init(&sha);
		s.sha = &sha;
	}
	if (is_text) {
		s.text = c->text;
		s.tcap = c->o->lim.max_text;
	}
	size_t stop = 0;
	int rc = decode(&s, h->cte, body, n, &stop);
	if (rc) {
		bad(c, MAIL_BAD_BASE64);
		if (rc < 0 && !is_text)
			return;	/* the part is skipped: its hash would be of a fragment */
		if (rc < 0) {
			/* a text part with text after its base64 (a list footer):
			 * read the rest as it is */
			is_att = 0;
			s.sha = NULL;
			sink_put(&s, body + stop, n - stop);
		}
	}
	if (is_att) {
		if (m->n_att < MAIL_ATT_MAX) {
			struct mail_att *a = &m->att[m->n_att++];
			put_text(a->name, sizeof a->name, 0, h->name, strlen(h->name));
			put_text(a->type, sizeof a->type, 0, h->ctype[0] ? h->ctype : "text/plain",
				 strlen(h->ctype[0] ? h->ctype : "text/plain"));
			a->size = s.size;
			br_sha256_out(&sha, a->sha256);
		} else {
			m->flags |= MAIL_F_URLS_CUT;
		}
		m->att_seen++;
	}
	if (!is_text)
		return;
	size_t tl = s.tlen;
	uint8_t *t = c->text;
	if (!strncmp(h->charset, "utf-16", 6) || !strncmp(h->charset, "utf-32", 6) ||
	    !strncmp(h->charset, "ucs-2", 5)) {
		/* ASCII in a wide encoding: drop the zero bytes */
		size_t o = 0;
		for (size_t i = 0; i < tl; i++)
			if (t[i])
				t[o++] = t[i];
		tl = o;
	} else if (memchr(t, 0, tl)) {
		m->bad |= MAIL_BAD_BODY_NUL;
	}
	if (is_html)
		tl = html_decode(t, tl);
	scan_urls(m, t, tl);
}

static void entity(struct ctx *c, const uint8_t *p, size_t len, unsigned depth, int top);

static void multipart(struct ctx *c, const uint8_t *body, size_t n, const struct hdrs *h,
		      unsigned depth)
{
	struct buf_rd b;
	const uint8_t *part = NULL, *line;
	size_t l;
	int found = 0, closed = 0;
	buf_rd_init(&b, body, n);
	while (!c->fatal && (line = next_line(&b, &l))) {
		if (l < 2 + h->blen || line[0] != '-' || line[1] != '-' ||
		    memcmp(line + 2, h->boundary, h->blen))
			continue;
		const uint8_t *r = line + 2 + h->blen;
		size_t rl = l - 2 - h->blen;
		int close = rl >= 2 && r[0] == '-' && r[1] == '-';
		if (close)
			r += 2, rl -= 2;
		while (rl && (*r == ' ' || *r == '\t'))
			r++, rl--;
		if (rl)
			continue;	/* a longer boundary that starts with ours */
		if (part) {
			const uint8_t *end = line;
			if (end > part && end[-1] == '\n')
				end--;
			if (end > part && end[-1] == '\r')
				end--;
			entity(c, part, (size_t)(end - part), depth + 1, 0);
		}
		found = 1;
		part = b.p + b.off;
		if (close) {
			closed = 1;
			part = NULL;
			break;
		}
	}
	if (c->fatal)
		return;
	if (part && part < body + n)
		entity(c, part, (size_t)(body + n - part), depth + 1, 0);
	if (!found) {
		struct hdrs t = {.cte = h->cte};
		bad(c, MAIL_BAD_BOUNDARY);
		leaf(c, body, n, &t);	/* still worth a look for URLs */
	} else if (!closed) {
		bad(c, MAIL_BAD_BOUNDARY);
	}
}

static void entity(struct ctx *c, const uint8_t *p, size_t len, unsigned depth, int top)
{
	struct hdrs h;
	struct buf_rd b;
	if (++c->entities > c->o->lim.max_parts) {
		bad(c, MAIL_BAD_PARTS);
		return;
	}
	if (depth > c->o->lim.max_depth) {
		bad(c, MAIL_BAD_DEPTH);
		return;
	}
	memset(&h, 0, sizeof h);
	buf_rd_init(&b, p, len);
	read_headers(c, &b, &h, top);
	if (c->fatal)
		return;
	size_t blen = buf_left(&b);
	const uint8_t *body = buf_get_bytes(&b, blen);
	if (!body)
		body = p + len, blen = 0;
	if (top) {
		br_sha256_context d;
		br_sha256_init(&d);
		br_sha256_update(&d, c->msgid, strlen(c->msgid) + 1);
		br_sha256_update(&d, c->m->subject, strlen(c->m->subject) + 1);
		br_sha256_update(&d, c->m->from_dom, strlen(c->m->from_dom) + 1);
		br_sha256_update(&d, body, blen);
		br_sha256_out(&d, c->m->digest);
	}
	if (!strncmp(h.ctype, "multipart/", 10)) {
		if (h.blen) {
			multipart(c, body, blen, &h, depth);
			return;
		}
		bad(c, MAIL_BAD_BOUNDARY);
		h.ctype[0] = 0;	/* no boundary: read it as text */
	} else if (!strcmp(h.ctype, "message/rfc822") && h.cte == CTE_PLAIN) {
		entity(c, body, blen, depth + 1, 0);
		return;
	}
	leaf(c, body, blen, &h);
}

int mail_parse(const void *p, size_t len, const struct mail_opts *o, struct mail_msg *m)
{
	struct ctx c;
	struct buf_rd b;
	size_t l;
	memset(m, 0, offsetof(struct mail_msg, pool));
	memset(&c, 0, sizeof c);
	c.o = o;
	c.m = m;
	m->bytes = len;
	if (len > o->lim.max_msg) {
		len = o->lim.max_msg;
		m->flags |= MAIL_F_TRUNCATED;
	}
	c.text = malloc(o->lim.max_text ? o->lim.max_text : 1);
	c.hbuf = malloc(o->lim.max_line + 1);
	if (!c.text || !c.hbuf) {
		free(c.text);
		free(c.hbuf);
		errno = ENOMEM;
		return -1;
	}
	buf_rd_init(&b, p, len);
	const uint8_t *first = b.len >= 5 ? b.p : NULL;
	if (first && !memcmp(first, "From ", 5)) {
		/* the mbox separator line: "From SENDER DATE" */
		const uint8_t *fl = next_line(&b, &l);
		size_t i = 5;
		while (fl && i < l && fl[i] == ' ')
			i++;
		while (fl && i < l && fl[i] != ' ')
			i++;
		if (fl && mail_date_parse((const char *)fl + i, l - i, &m->envelope_us) < 0)
			m->envelope_us = 0;
	}
	size_t off = b.off;
	entity(&c, (const uint8_t *)p + off, len - off, 0, 1);
	free(c.text);
	free(c.hbuf);
	return c.fatal ? -1 : 0;
}

int mail_mbox_next(const void *p, size_t len, size_t *off, const uint8_t **msg, size_t *mlen)
{
	struct buf_rd b;
	size_t l;
	buf_rd_init(&b, p, len);
	buf_skip(&b, *off);
	if (b.err || !buf_left(&b))
		return 0;
	size_t start = b.off;
	int prev_empty = 1;
	const uint8_t *line;
	for (;;) {
		size_t at = b.off;
		line = next_line(&b, &l);
		if (!line || (at > start && prev_empty && l >= 5 && !memcmp(line, "From ", 5))) {
			/* the empty line before the next "From " (or ending the
			 * file) is the separator's, not the message's */
			size_t end = line ? at : len;
			if (end - start >= 2 && b.p[end - 1] == '\n' &&
			    (b.p[end - 2] == '\n' || (b.p[end - 2] == '\r' && end - start >= 3 &&
						     b.p[end - 3] == '\n')))
				end -= b.p[end - 2] == '\r' ? 2 : 1;
			*msg = b.p + start;
			*mlen = end - start;
			*off = line ? at : len;
			return 1;
		}
		prev_empty = l == 0;
	}
}

/* ---- dates ------------------------------------------------------------------------------- */

static int month_of(const char *w, size_t n)
{
	static const char names[] = "janfebmaraprmayjunjulaugsepoctnovdec";
	if (n < 3)
		return -1;
	for (int i = 0; i < 12; i++)
		if (lc((unsigned char)w[0]) == names[3 * i] && lc((unsigned char)w[1]) == names[3 * i + 1] &&
		    lc((unsigned char)w[2]) == names[3 * i + 2])
			return i + 1;
	return -1;
}

/* Minutes east of UTC of a zone name (RFC 5322 obs-zone); 0 for unknown ones, as 4.3 says. */
static int zone_of(const char *w, size_t n)
{
	static const struct { const char *z; int min; } zs[] = {
		{"ut", 0}, {"utc", 0}, {"gmt", 0}, {"z", 0}, {"est", -300}, {"edt", -240}, {"cst", -360},
		{"cdt", -300}, {"mst", -420}, {"mdt", -360}, {"pst", -480}, {"pdt", -420},
	};
	for (size_t i = 0; i < sizeof zs / sizeof *zs; i++)
		if (strlen(zs[i].z) == n && ieq(w, n, zs[i].z))
			return zs[i].min;
	return 0;
}

static int is_digit4(const char *p)
{
	for (int k = 0; k < 4; k++)
		if (p[k] < '0' || p[k] > '9')
			return 0;
	return 1;
}

static int64_t days_from_civil(int64_t y, int mo, int d)
{
	y -= mo <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

int mail_date_parse(const char *s, size_t n, int64_t *us)
{
	int day = -1, mon = -1, hh = -1, mm = -1, ss = 0, zone = 0, have_zone = 0;
	long year = -1;
	size_t i = 0;
	if (n > 256)
		n = 256;	/* a date is short: the rest of a long line is noise */
	while (i < n) {
		unsigned char ch = (unsigned char)s[i];
		if (ch == '(') {	/* a comment, "(PST)": skipped */
			while (i < n && s[i] != ')')
				i++;
			i++;
			continue;
		}
		if ((ch == '+' || ch == '-') && hh >= 0 && i + 5 <= n && is_digit4(s + i + 1)) {
			int v = (s[i + 1] - '0') * 1000 + (s[i + 2] - '0') * 100 + (s[i + 3] - '0') * 10 +
				(s[i + 4] - '0');
			if (v % 100 >= 60 || v / 100 > 23)
				return -1;
			zone = (v / 100 * 60 + v % 100) * (ch == '-' ? -1 : 1);
			have_zone = 1;
			i += 5;
			continue;
		}
		if (ch >= '0' && ch <= '9') {
			size_t j = i;
			long v = 0;
			while (j < n && s[j] >= '0' && s[j] <= '9' && j - i < 6)
				v = v * 10 + (s[j++] - '0');
			if (j < n && s[j] == ':' && hh < 0) {	/* hh:mm[:ss] */
				hh = (int)v;
				j++;
				if (j + 2 > n || s[j] < '0' || s[j] > '9' || s[j + 1] < '0' || s[j + 1] > '9')
					return -1;
				mm = (s[j] - '0') * 10 + (s[j + 1] - '0');
				j += 2;
				if (j + 3 <= n && s[j] == ':' && s[j + 1] >= '0' && s[j + 1] <= '9' &&
				    s[j + 2] >= '0' && s[j + 2] <= '9') {
					ss = (s[j + 1] - '0') * 10 + (s[j + 2] - '0');
					j += 3;
				}
			} else if (j - i >= 3 || (day >= 0 && mon > 0 && year < 0)) {
				if (year >= 0)
					return -1;
				year = v;
				if (j - i <= 2)	/* obsolete two-digit years (RFC 5322 4.3) */
					year += year < 50 ? 2000 : 1900;
				else if (j - i == 3)
					year += 1900;
			} else if (day < 0) {
				day = (int)v;
			} else {
				return -1;
			}
			i = j;
			continue;
		}
		if ((ch | 0x20) >= 'a' && (ch | 0x20) <= 'z') {
			size_t j = i;
			while (j < n && (((unsigned char)s[j] | 0x20) >= 'a' && ((unsigned char)s[j] | 0x20) <= 'z'))
				j++;
			int mo = j - i >= 3 && j - i <= 9 ? month_of(s + i, j - i) : -1;
			if (mo > 0 && mon < 0 && (j - i == 3 || hh < 0))
				mon = mo;
			else if (hh >= 0 && !have_zone) {
				zone = zone_of(s + i, j - i);
				have_zone = 1;
			}
			i = j;
			continue;
		}
		i++;
	}
	if (day < 1 || day > 31 || mon < 1 || year < 1970 || year > 9999 || hh < 0 || hh > 23 ||
	    mm < 0 || mm > 59 || ss > 60)
		return -1;
	static const unsigned char mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (day > mdays[mon - 1])
		return -1;
	int64_t t = days_from_civil(year, mon, day) * 86400 + hh * 3600 + mm * 60 + ss - zone * 60;
	if (t < 0)
		return -1;
	*us = t * 1000000;
	return 0;
}
