/*
 * http: request-head parsing, target decoding and response heads for tip
 * serve (http.h).  Invariant: every byte of a request is read through the
 * buf_rd cursor (buf.h), so no index can leave [p, p+n); a head is
 * accepted only when all of it has been checked.
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

/* Find the end of the line at the cursor: the offset of its LF, or -1. */
static long line_end(const struct buf_rd *b)
{
	const void *lf = memchr(b->p + b->off, '\n', buf_left(b));
	return lf ? (long)((const uint8_t *)lf - b->p) : -1;
}

/* The line at the cursor without its CR LF (or LF); the cursor moves past it. */
static const uint8_t *take_line(struct buf_rd *b, size_t *len)
{
	long e = line_end(b);
	size_t n = (size_t)e - b->off;
	const uint8_t *s = buf_get_bytes(b, n);
	buf_skip(b, 1);
	if (n && s[n - 1] == '\r')
		n--;
	*len = n;
	return s;
}

static int fail(struct http_req *r, int status)
{
	r->status = status;
	return HTTP_ERROR;
}

static int eq_ci(const uint8_t *s, size_t n, const char *word)
{
	return strlen(word) == n && !strncasecmp((const char *)s, word, n);
}

/* Connection: a comma-separated token list. */
static void connection_tokens(struct http_req *r, const uint8_t *v, size_t n)
{
	size_t i = 0;
	while (i < n) {
		while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
			i++;
		size_t s = i;
		while (i < n && v[i] != ',' && v[i] != ' ' && v[i] != '\t')
			i++;
		if (eq_ci(v + s, i - s, "close"))
			r->keep_alive = 0;
		else if (eq_ci(v + s, i - s, "keep-alive") && r->minor == 0)
			r->keep_alive = 1;
	}
}

static int request_line(struct http_req *r, const uint8_t *s, size_t n)
{
	struct buf_rd b;
	buf_rd_init(&b, s, n);
	size_t m = 0;
	while (buf_left(&b) && is_tchar(b.p[b.off]))
		buf_skip(&b, 1), m++;
	if (m == 0 || !buf_left(&b) || buf_get_u8(&b) != ' ')
		return fail(r, 400);
	if (m == 3 && !memcmp(s, "GET", 3))
		r->method = HTTP_GET;
	else if (m == 4 && !memcmp(s, "HEAD", 4))
		r->method = HTTP_HEAD;
	else
		r->method = HTTP_OTHER;
	size_t t0 = b.off;
	while (buf_left(&b) && b.p[b.off] > 0x20 && b.p[b.off] < 0x7f)
		buf_skip(&b, 1);
	size_t tl = b.off - t0;
	if (tl == 0 || !buf_left(&b) || buf_get_u8(&b) != ' ')
		return fail(r, 400);
	if (tl > HTTP_LINE_MAX)
		return fail(r, 414);
	memcpy(r->target, s + t0, tl);
	r->target[tl] = '\0';
	r->target_len = tl;
	/* HTTP-version = "HTTP/" DIGIT "." DIGIT, and nothing after it */
	const uint8_t *v = buf_get_bytes(&b, 8);
	if (!v || buf_left(&b) || memcmp(v, "HTTP/", 5) || v[5] < '0' || v[5] > '9' || v[6] != '.' ||
	    v[7] < '0' || v[7] > '9')
		return fail(r, 400);
	if (v[5] != '1' || (v[7] != '0' && v[7] != '1'))
		return fail(r, 505);
	r->minor = v[7] - '0';
	r->keep_alive = r->minor == 1;
	/* only origin-form; "*" (OPTIONS) and absolute-form are not served */
	if (r->target[0] != '/')
		return fail(r, r->method == HTTP_OTHER ? 405 : 400);
	return 0;
}

static int header_line(struct http_req *r, const uint8_t *s, size_t n, int *seen_cl,
		       unsigned long long *cl)
{
	size_t i = 0;
	while (i < n && is_tchar(s[i]))
		i++;
	if (i == 0 || i == n || s[i] != ':')	/* no name, or "Name :" */
		return fail(r, 400);
	const uint8_t *name = s;
	size_t nl = i++;
	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	size_t ve = n;
	while (ve > i && (s[ve - 1] == ' ' || s[ve - 1] == '\t'))
		ve--;
	const uint8_t *v = s + i;
	size_t vl = ve - i;
	for (size_t k = 0; k < vl; k++)
		if ((v[k] < 0x20 && v[k] != '\t') || v[k] == 0x7f)
			return fail(r, 400);
	if (eq_ci(name, nl, "host")) {
		if (r->has_host)
			return fail(r, 400);
		r->has_host = 1;
	} else if (eq_ci(name, nl, "connection")) {
		connection_tokens(r, v, vl);
	} else if (eq_ci(name, nl, "content-length")) {
		unsigned long long x = 0;
		if (vl == 0 || vl > 15)
			return fail(r, 400);
		for (size_t k = 0; k < vl; k++) {
			if (v[k] < '0' || v[k] > '9')
				return fail(r, 400);
			x = x * 10 + (unsigned)(v[k] - '0');
		}
		if (*seen_cl && x != *cl)
			return fail(r, 400);
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
	while (buf_left(&b) >= 2 && b.p[b.off] == '\r' && b.p[b.off + 1] == '\n')
		buf_skip(&b, 2);
	long e = line_end(&b);
	if (e < 0) {
		if (buf_left(&b) > HTTP_LINE_MAX + 16)
			return fail(r, 414);
		return n >= HTTP_HEAD_MAX ? fail(r, 431) : HTTP_MORE;
	}
	if ((size_t)e - b.off > HTTP_LINE_MAX + 16)
		return fail(r, 414);
	size_t len;
	const uint8_t *s = take_line(&b, &len);
	if (request_line(r, s, len) < 0)
		return HTTP_ERROR;
	int seen_cl = 0, lines = 0;
	unsigned long long cl = 0;
	for (;;) {
		if (line_end(&b) < 0)
			return n >= HTTP_HEAD_MAX ? fail(r, 431) : HTTP_MORE;
		s = take_line(&b, &len);
		if (len == 0)
			break;
		if (++lines > HTTP_HEADERS_MAX)
			return fail(r, 431);
		if (s[0] == ' ' || s[0] == '\t')	/* obs-fold */
			return fail(r, 400);
		if (header_line(r, s, len, &seen_cl, &cl) < 0)
			return HTTP_ERROR;
	}
	if (r->minor == 1 && !r->has_host)
		return fail(r, 400);
	r->head_len = b.off;
	return HTTP_DONE;
}

void http_split_target(const char *target, size_t len, const char **path, size_t *path_len,
		       const char **query, size_t *query_len)
{
	const char *q = memchr(target, '?', len);
	size_t pl = q ? (size_t)(q - target) : len;
	const char *h = memchr(target, '#', len);
	size_t end = h ? (size_t)(h - target) : len;
	if (pl > end)
		pl = end;
	*path = target;
	*path_len = pl;
	*query = q && (size_t)(q - target) < end ? q + 1 : target + end;
	*query_len = q && (size_t)(q - target) < end ? end - pl - 1 : 0;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

long http_pct_decode(char *out, size_t cap, const char *s, size_t n, int plus)
{
	struct buf_rd b;
	size_t o = 0;
	buf_rd_init(&b, s, n);
	if (!cap)
		return -1;
	while (buf_left(&b)) {
		int c = buf_get_u8(&b);
		if (c == '%') {
			const uint8_t *h = buf_get_bytes(&b, 2);
			int hi = h ? hexval(h[0]) : -1, lo = h ? hexval(h[1]) : -1;
			if (hi < 0 || lo < 0)
				return -1;
			c = hi << 4 | lo;
		} else if (c == '+' && plus) {
			c = ' ';
		}
		if (c == 0 || o + 1 >= cap)
			return -1;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return (long)o;
}

int http_query_get(const char *query, size_t qlen, const char *key, char *out, size_t cap)
{
	size_t kl = strlen(key), i = 0;
	while (i < qlen) {
		const char *amp = memchr(query + i, '&', qlen - i);
		size_t e = amp ? (size_t)(amp - query) : qlen;
		const char *eq = memchr(query + i, '=', e - i);
		size_t ke = eq ? (size_t)(eq - query) : e;
		if (ke - i == kl && !memcmp(query + i, key, kl)) {
			size_t vs = eq ? ke + 1 : e;
			return http_pct_decode(out, cap, query + vs, e - vs, 1) < 0 ? -1 : 1;
		}
		i = e + 1;
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
