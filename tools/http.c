/*
 * http: request-head parsing, target decoding and response heads for tip
 * serve (http.h).  Invariant: every byte of a request is read through the
 * buf_rd cursor (buf.h), so no index can leave [p, p+n); a head is
 * accepted only when all of it has been checked.  Every line's cursor
 * points into p, so an error's offset is a pointer into the head minus p.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "buf.h"
#include "http.h"

/* RFC 9110 tchar. */
static int is_tchar(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

static struct buf_rd span(const void *p, size_t n)
{
	struct buf_rd b;
	buf_rd_init(&b, p, n);
	return b;
}

/* Find the end of the line at the cursor: the offset of its LF, or -1. */
static long line_end(const struct buf_rd *b)
{
	struct buf_rd t = *b;
	size_t n;
	buf_take_until(&t, '\n', &n);
	return buf_peek(&t) == '\n' ? (long)t.off : -1;
}

/* The line at the cursor without its CR LF (or LF); the cursor moves past it. */
static struct buf_rd take_line(struct buf_rd *b)
{
	size_t n;
	const uint8_t *s = buf_take_until(b, '\n', &n);
	buf_skip(b, 1);
	struct buf_rd l = span(s, n);
	if (n && buf_peek_at(&l, n - 1) == '\r')
		l.len--;
	return l;
}

/* HTTP_ERROR with r->status, and r->err_off: at, a byte of the head p. */
static int fail(struct http_req *r, int status, const uint8_t *p, const uint8_t *at)
{
	r->status = status;
	r->err_off = (size_t)(at - p);
	return HTTP_ERROR;
}

/* Where a cursor stands. */
static const uint8_t *at(const struct buf_rd *b)
{
	return b->p + b->off;
}

static int eq_ci(const uint8_t *s, size_t n, const char *word)
{
	return strlen(word) == n && !strncasecmp((const char *)s, word, n);
}

static int is_sep(int c)
{
	return c == ',' || c == ' ' || c == '\t';
}

static int not_sep(int c)
{
	return !is_sep(c);
}

/* Connection: a comma-separated token list. */
static void connection_tokens(struct http_req *r, struct buf_rd v)
{
	while (buf_left(&v)) {
		size_t n;
		buf_skip_while(&v, " \t,");
		const uint8_t *t = buf_take_while(&v, not_sep, &n);
		if (eq_ci(t, n, "close"))
			r->keep_alive = 0;
		else if (eq_ci(t, n, "keep-alive") && r->minor == 0)
			r->keep_alive = 1;
	}
}

/* A visible ASCII byte: what a request target is made of. */
static int is_vchar(int c)
{
	return c > 0x20 && c < 0x7f;
}

static int is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/* A byte a field value may hold: no control but HTAB, no DEL. */
static int is_field_byte(int c)
{
	return (c >= 0x20 || c == '\t') && c != 0x7f;
}

/* The request line b of the head p. */
static int request_line(struct http_req *r, const uint8_t *p, struct buf_rd b)
{
	size_t m, tl;
	const uint8_t *s = buf_take_while(&b, is_tchar, &m);
	if (m == 0 || !buf_take_byte(&b, ' '))
		return fail(r, 400, p, at(&b));
	if (m == 3 && !memcmp(s, "GET", 3))
		r->method = HTTP_GET;
	else if (m == 4 && !memcmp(s, "HEAD", 4))
		r->method = HTTP_HEAD;
	else
		r->method = HTTP_OTHER;
	const uint8_t *t = buf_take_while(&b, is_vchar, &tl);
	if (tl == 0 || !buf_take_byte(&b, ' '))
		return fail(r, 400, p, at(&b));
	if (tl > HTTP_LINE_MAX)
		return fail(r, 414, p, t);
	memcpy(r->target, t, tl);
	r->target[tl] = '\0';
	r->target_len = tl;
	/* HTTP-version = "HTTP/" DIGIT "." DIGIT, and nothing after it */
	if (buf_left(&b) != 8 || !buf_expect(&b, "HTTP/"))
		return fail(r, 400, p, at(&b));
	int major = buf_peek_at(&b, 0), minor = buf_peek_at(&b, 2);
	if (!is_digit(major) || buf_peek_at(&b, 1) != '.' || !is_digit(minor))
		return fail(r, 400, p, at(&b));
	if (major != '1' || (minor != '0' && minor != '1'))
		return fail(r, 505, p, at(&b));
	r->minor = minor - '0';
	r->keep_alive = r->minor == 1;
	/* only origin-form; "*" (OPTIONS) and absolute-form are not served */
	if (r->target[0] != '/')
		return fail(r, r->method == HTTP_OTHER ? 405 : 400, p, t);
	return 0;
}

/* A header line b of the head p. */
static int header_line(struct http_req *r, const uint8_t *p, struct buf_rd b, int *seen_cl,
		       unsigned long long *cl)
{
	size_t nl, k;
	const uint8_t *name = buf_take_while(&b, is_tchar, &nl);
	if (nl == 0 || !buf_take_byte(&b, ':'))	/* no name, or "Name :" */
		return fail(r, 400, p, at(&b));
	buf_skip_while(&b, " \t");
	struct buf_rd v = span(b.p + b.off, buf_left(&b));
	buf_trim(&v, " \t");
	size_t vl = buf_left(&v);
	const uint8_t *value = at(&v);
	struct buf_rd t = v;
	buf_take_while(&t, is_field_byte, &k);
	if (k != vl)
		return fail(r, 400, p, at(&t));
	if (eq_ci(name, nl, "host")) {
		if (r->has_host)
			return fail(r, 400, p, name);
		r->has_host = 1;
	} else if (eq_ci(name, nl, "connection")) {
		connection_tokens(r, v);
	} else if (eq_ci(name, nl, "content-length")) {
		uint64_t x;
		/* at most 15 digits: no overflow, and no leading sign or blank */
		if (vl == 0 || vl > 15 || buf_get_dec(&v, UINT64_MAX, &x) < 0 || buf_left(&v))
			return fail(r, 400, p, value);
		if (*seen_cl && x != *cl)
			return fail(r, 400, p, value);
		*seen_cl = 1;
		*cl = x;
		if (x)
			r->has_body = 1;
	} else if (eq_ci(name, nl, "transfer-encoding")) {
		r->has_body = 1;
	}
	return 0;
}

int http_parse(struct http_req *r, const uint8_t *p, size_t n)
{
	struct buf_rd b;
	memset(r, 0, sizeof *r);
	buf_rd_init(&b, p, n > HTTP_HEAD_MAX ? HTTP_HEAD_MAX : n);
	/* RFC 9112 2.2: ignore at least one empty line before the request line */
	while (buf_expect(&b, "\r\n"))
		;
	long e = line_end(&b);
	if (e < 0) {
		if (buf_left(&b) > HTTP_LINE_MAX + 16)
			return fail(r, 414, p, at(&b));
		return n >= HTTP_HEAD_MAX ? fail(r, 431, p, p + HTTP_HEAD_MAX) : HTTP_MORE;
	}
	if ((size_t)e - b.off > HTTP_LINE_MAX + 16)
		return fail(r, 414, p, at(&b));
	if (request_line(r, p, take_line(&b)) < 0)
		return HTTP_ERROR;
	int seen_cl = 0, lines = 0;
	unsigned long long cl = 0;
	for (;;) {
		if (line_end(&b) < 0)
			return n >= HTTP_HEAD_MAX ? fail(r, 431, p, p + HTTP_HEAD_MAX) : HTTP_MORE;
		const uint8_t *start = at(&b);
		struct buf_rd l = take_line(&b);
		if (!buf_left(&l))
			break;
		if (++lines > HTTP_HEADERS_MAX)
			return fail(r, 431, p, start);
		if (buf_peek(&l) == ' ' || buf_peek(&l) == '\t')	/* obs-fold */
			return fail(r, 400, p, start);
		if (header_line(r, p, l, &seen_cl, &cl) < 0)
			return HTTP_ERROR;
	}
	if (r->minor == 1 && !r->has_host)
		return fail(r, 400, p, at(&b));
	r->head_len = b.off;
	return HTTP_DONE;
}

void http_split_target(const char *target, size_t len, const char **path, size_t *path_len,
		       const char **query, size_t *query_len)
{
	struct buf_rd t = span(target, len);
	size_t end, pl;
	buf_take_until(&t, '#', &end);
	t = span(target, end);	/* the fragment never counts */
	buf_take_until(&t, '?', &pl);
	*path = target;
	*path_len = pl;
	if (buf_take_byte(&t, '?')) {
		*query_len = buf_left(&t);
		*query = (const char *)buf_get_bytes(&t, *query_len);
	} else {
		*query = target + end;
		*query_len = 0;
	}
}

/* -1, and *err_off (when err_off is not NULL) = off. */
static long bad_at(size_t *err_off, size_t off)
{
	if (err_off)
		*err_off = off;
	return -1;
}

long http_pct_decode(char *out, size_t cap, const char *s, size_t n, int plus, size_t *err_off)
{
	struct buf_rd b = span(s, n);
	size_t o = 0;
	if (!cap)
		return bad_at(err_off, 0);
	while (buf_left(&b)) {
		size_t here = b.off;
		int c = buf_get_u8(&b);
		if (c == '%') {
			int hi = buf_hexval(buf_peek_at(&b, 0)), lo = buf_hexval(buf_peek_at(&b, 1));
			if (hi < 0 || lo < 0)
				return bad_at(err_off, here);
			buf_skip(&b, 2);
			c = hi << 4 | lo;
		} else if (c == '+' && plus) {
			c = ' ';
		}
		if (c == 0 || o + 1 >= cap)
			return bad_at(err_off, here);
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return (long)o;
}

int http_query_get(const char *query, size_t qlen, const char *key, char *out, size_t cap,
		   size_t *err_off)
{
	struct buf_rd q = span(query, qlen);
	while (buf_left(&q)) {
		size_t n, kl, vl = 0;
		const uint8_t *item = buf_take_until(&q, '&', &n);
		buf_take_byte(&q, '&');
		struct buf_rd it = span(item, n);
		buf_take_until(&it, '=', &kl);
		struct buf_rd k = span(item, kl);
		if (kl == strlen(key) && buf_expect(&k, key)) {
			const uint8_t *v = item + n;
			if (buf_take_byte(&it, '=')) {
				vl = buf_left(&it);
				v = buf_get_bytes(&it, vl);
			}
			size_t off;
			if (http_pct_decode(out, cap, (const char *)v, vl, 1, &off) < 0)
				return (int)bad_at(err_off, (size_t)(v - (const uint8_t *)query) + off);
			return 1;
		}
	}
	return 0;
}

const char *http_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 302: return "Found";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	case 505: return "HTTP Version Not Supported";
	default: return "";
	}
}

/* ---- response buffer -------------------------------------------------- */

/*
 * style-src 'self': the one stylesheet is the fixed /style.css route, so
 * no inline style (and no nonce) is needed; the graphs are inline SVG
 * styled by presentation attributes, which CSP does not govern.  No
 * script-src at all: default-src 'none' forbids every script.
 */
const char http_security_headers[] =
	"Content-Security-Policy: default-src 'none'; style-src 'self'; img-src 'self' data:; "
	"form-action 'self'; frame-ancestors 'none'; base-uri 'none'\r\n"
	"X-Content-Type-Options: nosniff\r\n"
	"X-Frame-Options: DENY\r\n"
	"Referrer-Policy: no-referrer\r\n"
	"Cross-Origin-Resource-Policy: same-origin\r\n";

void http_head(struct hbuf *b, int status, const char *ctype, size_t content_length,
	       int keep_alive, const char *date, const char *extra)
{
	hbuf_printf(b, "HTTP/1.1 %d %s\r\n", status, http_reason(status));
	if (date)
		hbuf_printf(b, "Date: %s\r\n", date);
	hbuf_puts(b, "Server: tip\r\n");
	if (ctype)
		hbuf_printf(b, "Content-Type: %s\r\n", ctype);
	hbuf_printf(b, "Content-Length: %zu\r\n", content_length);
	hbuf_puts(b, keep_alive ? "Connection: keep-alive\r\n" : "Connection: close\r\n");
	hbuf_puts(b, http_security_headers);
	if (extra)
		hbuf_puts(b, extra);
	hbuf_puts(b, "\r\n");
}

void http_date(char out[HTTP_DATE_MAX], int64_t unix_s)
{
	static const char *wd[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
	static const char *mo[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
				   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	struct tm tm;
	time_t t = (time_t)unix_s;
	if (!gmtime_r(&t, &tm)) {
		memset(&tm, 0, sizeof tm);
		tm.tm_mday = 1;
		tm.tm_year = 70;
		tm.tm_wday = 4;
	}
	snprintf(out, HTTP_DATE_MAX, "%s, %02d %s %04d %02d:%02d:%02d GMT", wd[tm.tm_wday % 7],
		 tm.tm_mday % 100, mo[tm.tm_mon % 12], (tm.tm_year + 1900) % 10000, tm.tm_hour % 100,
		 tm.tm_min % 100, tm.tm_sec % 100);
}
