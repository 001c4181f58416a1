/*
 * httpc: URL parsing, the response-head parser and the chunked decoder of
 * the fetch client (httpc.h).
 *
 * Invariants: input is only read within the lengths given, line by line
 * through a buf_rd cursor; outputs are NUL-terminated and cut or refused
 * at their caps, never overrun; a head or coding that is not what RFC 9112
 * allows is refused with a reason rather than guessed at, except the
 * leniencies feeds need (LF without CR, a missing reason phrase).
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "httpc.h"

/* ---- URLs ---------------------------------------------------------------------------- */

static int path_ok(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c <= 0x20 || c >= 0x7f)
			return 0;
	}
	return 1;
}

/* Copy a path, cutting the fragment; "" becomes "/". */
static int set_path(struct httpc_url *u, const char *p, size_t n, const char **why)
{
	const char *hash = memchr(p, '#', n);
	if (hash)
		n = (size_t)(hash - p);
	if (!path_ok(p, n)) {
		*why = "space or control character in the URL";
		return -1;
	}
	if (n == 0) {
		strcpy(u->path, "/");
		return 0;
	}
	if (n + 1 > sizeof u->path) {
		*why = "URL path too long";
		return -1;
	}
	memcpy(u->path, p, n);
	u->path[n] = 0;
	return 0;
}

static int set_authority(struct httpc_url *u, const char *a, size_t n, const char **why)
{
	const char *host = a;
	size_t hl;
	const char *port = NULL;
	size_t pl = 0;
	if (memchr(a, '@', n)) {
		*why = "user information in the URL is not supported";
		return -1;
	}
	u->host_v6 = 0;
	if (n && a[0] == '[') {
		const char *end = memchr(a, ']', n);
		if (!end) {
			*why = "unterminated IPv6 literal";
			return -1;
		}
		host = a + 1;
		hl = (size_t)(end - host);
		u->host_v6 = 1;
		size_t rest = n - (size_t)(end + 1 - a);
		if (rest) {
			if (end[1] != ':') {
				*why = "junk after the IPv6 literal";
				return -1;
			}
			port = end + 2;
			pl = rest - 1;
		}
	} else {
		const char *colon = memchr(a, ':', n);
		hl = colon ? (size_t)(colon - a) : n;
		if (colon) {
			port = colon + 1;
			pl = n - hl - 1;
		}
	}
	if (hl == 0) {
		*why = "no host in the URL";
		return -1;
	}
	if (hl + 1 > sizeof u->host) {
		*why = "host name too long";
		return -1;
	}
	for (size_t i = 0; i < hl; i++) {
		unsigned char c = (unsigned char)host[i];
		if (!(isalnum(c) || c == '-' || c == '.' || c == '_' || (u->host_v6 && c == ':'))) {
			*why = "bad character in the host name";
			return -1;
		}
		u->host[i] = (char)tolower(c);
	}
	u->host[hl] = 0;
	u->port = u->https ? 443 : 80;
	if (port) {
		if (pl == 0 || pl > 5) {
			*why = "bad port";
			return -1;
		}
		unsigned v = 0;
		for (size_t i = 0; i < pl; i++) {
			if (!isdigit((unsigned char)port[i])) {
				*why = "bad port";
				return -1;
			}
			v = v * 10 + (unsigned)(port[i] - '0');
		}
		if (v == 0 || v > 65535) {
			*why = "bad port";
			return -1;
		}
		u->port = (uint16_t)v;
	}
	return 0;
}

int httpc_url_parse(struct httpc_url *u, const char *s, size_t len, const char **why)
{
	memset(u, 0, sizeof *u);
	size_t skip;
	if (len >= 7 && !strncasecmp(s, "http://", 7)) {
		skip = 7;
	} else if (len >= 8 && !strncasecmp(s, "https://", 8)) {
		skip = 8;
		u->https = 1;
	} else {
		*why = "not an http:// or https:// URL";
		return -1;
	}
	const char *a = s + skip;
	size_t rest = len - skip;
	size_t al = 0;
	while (al < rest && a[al] != '/' && a[al] != '?' && a[al] != '#')
		al++;
	if (set_authority(u, a, al, why) < 0)
		return -1;
	if (al < rest && a[al] == '?') {
		/* "http://h?q": the path is "/?q" */
		char tmp[HTTPC_PATH_MAX];
		size_t n = rest - al;
		if (n + 2 > sizeof tmp) {
			*why = "URL path too long";
			return -1;
		}
		tmp[0] = '/';
		memcpy(tmp + 1, a + al, n);
		return set_path(u, tmp, n + 1, why);
	}
	return set_path(u, a + al, rest - al, why);
}

int httpc_url_resolve(struct httpc_url *out, const struct httpc_url *base, const char *loc, size_t len,
		      const char **why)
{
	while (len && (loc[0] == ' ' || loc[0] == '\t')) {
		loc++;
		len--;
	}
	if (len == 0) {
		*why = "empty Location";
		return -1;
	}
	if ((len >= 7 && !strncasecmp(loc, "http://", 7)) || (len >= 8 && !strncasecmp(loc, "https://", 8)))
		return httpc_url_parse(out, loc, len, why);
	/* another scheme ("ftp:", "javascript:"): letters, digits, + - . then ':' */
	size_t k = 0;
	while (k < len && (isalnum((unsigned char)loc[k]) || loc[k] == '+' || loc[k] == '-' || loc[k] == '.'))
		k++;
	if (k > 0 && k < len && loc[k] == ':' && isalpha((unsigned char)loc[0])) {
		*why = "Location is not an http(s) URL";
		return -1;
	}
	*out = *base;
	if (len >= 2 && loc[0] == '/' && loc[1] == '/') {
		char tmp[HTTPC_PATH_MAX + HTTPC_HOST_MAX + 16];
		const char *scheme = base->https ? "https:" : "http:";
		size_t sl = strlen(scheme);
		if (sl + len + 1 > sizeof tmp) {
			*why = "Location too long";
			return -1;
		}
		memcpy(tmp, scheme, sl);
		memcpy(tmp + sl, loc, len);
		return httpc_url_parse(out, tmp, sl + len, why);
	}
	if (loc[0] == '/')
		return set_path(out, loc, len, why);
	/* relative: replace what follows the base path's last '/' (before its query) */
	char tmp[HTTPC_PATH_MAX];
	size_t bl = strcspn(base->path, "?");
	while (bl > 0 && base->path[bl - 1] != '/')
		bl--;
	if (bl + len + 1 > sizeof tmp) {
		*why = "Location too long";
		return -1;
	}
	memcpy(tmp, base->path, bl);
	memcpy(tmp + bl, loc, len);
	return set_path(out, tmp, bl + len, why);
}

int httpc_url_format(const struct httpc_url *u, char *buf, size_t cap)
{
	char port[8] = "";
	if (u->port != (u->https ? 443 : 80))
		snprintf(port, sizeof port, ":%u", u->port);
	int k = snprintf(buf, cap, "%s://%s%s%s%s%s", u->https ? "https" : "http", u->host_v6 ? "[" : "",
			 u->host, u->host_v6 ? "]" : "", port, u->path);
	return k < 0 || (size_t)k >= cap ? -1 : k;
}

int httpc_url_is_gz(const struct httpc_url *u)
{
	size_t n = strcspn(u->path, "?");
	return n >= 3 && !strncasecmp(u->path + n - 3, ".gz", 3);
}

/* ---- the response head ------------------------------------------------------------ */

size_t httpc_head_end(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (p[i] != '\n')
			continue;
		if (i >= 1 && p[i - 1] == '\n')
			return i + 1;
		if (i >= 2 && p[i - 1] == '\r' && p[i - 2] == '\n')
			return i + 1;
	}
	return 0;
}

/* The next line (without its CRLF or LF) from the cursor; NULL at the end. */
static const uint8_t *next_line(struct buf_rd *b, size_t *len)
{
	size_t left = buf_left(b);
	if (!left)
		return NULL;
	const uint8_t *start = b->p + b->off;
	const uint8_t *nl = memchr(start, '\n', left);
	if (!nl) {
		*len = left;
		buf_skip(b, left);
		return start;
	}
	size_t n = (size_t)(nl - start);
	buf_skip(b, n + 1);
	if (n && start[n - 1] == '\r')
		n--;
	*len = n;
	return start;
}

static int is_tchar(uint8_t c)
{
	return isalnum(c) || (c && strchr("!#$%&'*+-.^_`|~", c));
}

static void trim(const uint8_t **v, size_t *n)
{
	while (*n && ((*v)[0] == ' ' || (*v)[0] == '\t')) {
		(*v)++;
		(*n)--;
	}
	while (*n && ((*v)[*n - 1] == ' ' || (*v)[*n - 1] == '\t'))
		(*n)--;
}

static int name_is(const uint8_t *name, size_t nl, const char *want)
{
	return strlen(want) == nl && !strncasecmp((const char *)name, want, nl);
}

/* Does a comma-separated list value hold token tok? */
static int list_has(const uint8_t *v, size_t n, const char *tok)
{
	size_t tl = strlen(tok);
	size_t i = 0;
	while (i < n) {
		size_t j = i;
		while (j < n && v[j] != ',')
			j++;
		const uint8_t *e = v + i;
		size_t el = j - i;
		trim(&e, &el);
		if (el == tl && !strncasecmp((const char *)e, tok, tl))
			return 1;
		i = j + 1;
	}
	return 0;
}

static void copy_text(char *dst, size_t cap, const uint8_t *v, size_t n, int cut)
{
	if (n + 1 > cap) {
		if (!cut) {
			dst[0] = 0;
			return;
		}
		n = cap - 1;
	}
	for (size_t i = 0; i < n; i++)
		dst[i] = (v[i] >= 0x20 && v[i] < 0x7f) ? (char)v[i] : '?';
	dst[n] = 0;
}

int httpc_resp_parse(struct httpc_resp *r, const uint8_t *p, size_t n, int head_request, const char **why)
{
	struct buf_rd b;
	size_t ll;
	const uint8_t *l;
	int have_cl = 0, te_chunked = 0;

	memset(r, 0, sizeof *r);
	if (memchr(p, 0, n)) {
		*why = "NUL byte in the response head";
		return -1;
	}
	buf_rd_init(&b, p, n);
	l = next_line(&b, &ll);
	/* "HTTP/1.1 200 OK" */
	if (!l || ll < 12 || memcmp(l, "HTTP/1.", 7) || !isdigit(l[7]) || l[8] != ' ' ||
	    !isdigit(l[9]) || !isdigit(l[10]) || !isdigit(l[11]) || (ll > 12 && l[12] != ' ')) {
		*why = "not an HTTP/1.x status line";
		return -1;
	}
	r->minor = l[7] - '0';
	r->status = (l[9] - '0') * 100 + (l[10] - '0') * 10 + (l[11] - '0');
	if (r->status < 100 || r->status > 599) {
		*why = "status code out of range";
		return -1;
	}
	if (ll > 13)
		copy_text(r->reason, sizeof r->reason, l + 13, ll - 13, 1);
	r->close = r->minor == 0;

	while ((l = next_line(&b, &ll)) != NULL) {
		if (ll == 0)
			break;
		if (l[0] == ' ' || l[0] == '\t') {
			*why = "obsolete header line folding";
			return -1;
		}
		if (memchr(l, '\r', ll)) {
			*why = "bare CR in a header";
			return -1;
		}
		const uint8_t *colon = memchr(l, ':', ll);
		if (!colon || colon == l) {
			*why = "header line without a name";
			return -1;
		}
		size_t nl = (size_t)(colon - l);
		for (size_t i = 0; i < nl; i++)
			if (!is_tchar(l[i])) {
				*why = "bad character in a header name";
				return -1;
			}
		const uint8_t *v = colon + 1;
		size_t vl = ll - nl - 1;
		trim(&v, &vl);
		if (name_is(l, nl, "content-length")) {
			uint64_t x = 0;
			if (vl == 0 || vl > 18) {
				*why = "bad Content-Length";
				return -1;
			}
			for (size_t i = 0; i < vl; i++) {
				if (!isdigit(v[i])) {
					*why = "bad Content-Length";
					return -1;
				}
				x = x * 10 + (uint64_t)(v[i] - '0');
			}
			if (have_cl && x != r->content_length) {
				*why = "conflicting Content-Length headers";
				return -1;
			}
			have_cl = 1;
			r->content_length = x;
		} else if (name_is(l, nl, "transfer-encoding")) {
			/* Only "chunked" is asked for (TE is never sent): anything else is refused. */
			const uint8_t *e = v;
			size_t el = vl;
			trim(&e, &el);
			if (el != 7 || strncasecmp((const char *)e, "chunked", 7)) {
				*why = "unsupported Transfer-Encoding";
				return -1;
			}
			te_chunked = 1;
		} else if (name_is(l, nl, "content-encoding")) {
			if (list_has(v, vl, "gzip") || list_has(v, vl, "x-gzip"))
				r->gzip = 1;
			else if (vl && !list_has(v, vl, "identity")) {
				*why = "unsupported Content-Encoding";
				return -1;
			}
		} else if (name_is(l, nl, "connection")) {
			if (list_has(v, vl, "close"))
				r->close = 1;
		} else if (name_is(l, nl, "location")) {
			if (vl + 1 > sizeof r->location) {
				*why = "Location too long";
				return -1;
			}
			memcpy(r->location, v, vl);
			r->location[vl] = 0;
			r->has_location = vl > 0;
		} else if (name_is(l, nl, "etag")) {
			copy_text(r->etag, sizeof r->etag, v, vl, 0);
		} else if (name_is(l, nl, "last-modified")) {
			copy_text(r->last_modified, sizeof r->last_modified, v, vl, 0);
		} else if (name_is(l, nl, "content-type")) {
			copy_text(r->content_type, sizeof r->content_type, v, vl, 1);
		}
	}
	if (r->status < 200 || r->status == 204 || r->status == 304 || head_request)
		r->framing = HTTPC_BODY_NONE;
	else if (te_chunked)
		r->framing = HTTPC_BODY_CHUNKED;
	else if (have_cl)
		r->framing = HTTPC_BODY_LENGTH;
	else
		r->framing = HTTPC_BODY_CLOSE;
	return 0;
}

/* ---- chunked transfer coding -------------------------------------------------------- */

enum {
	CH_SIZE,		/* hex digits */
	CH_EXT,			/* after the size: extensions up to LF */
	CH_DATA,
	CH_DATA_CR,		/* CRLF after the data */
	CH_DATA_LF,
	CH_TRAILER,		/* at the start of a trailer line (or the final empty line) */
	CH_TRAILER_LINE,	/* inside a trailer line */
	CH_FINAL_LF,		/* CR of the final empty line seen */
	CH_DONE,
};

#define CH_LINE_MAX 4096	/* a size line with extensions, or a trailer line */

void httpc_chunked_init(struct httpc_chunked *c)
{
	memset(c, 0, sizeof *c);
	c->state = CH_SIZE;
}

static int hexval(uint8_t x)
{
	if (x >= '0' && x <= '9')
		return x - '0';
	x = (uint8_t)(x | 0x20);
	if (x >= 'a' && x <= 'f')
		return x - 'a' + 10;
	return -1;
}

long httpc_chunked_decode(struct httpc_chunked *c, uint8_t *p, size_t n, size_t *out, const char **why)
{
	size_t i = 0, o = 0;
	while (i < n && c->state != CH_DONE) {
		uint8_t x = p[i];
		switch (c->state) {
		case CH_SIZE: {
			int h = hexval(x);
			if (h >= 0) {
				if (++c->digits > 15) {
					*why = "chunk size too large";
					return -1;
				}
				c->left = c->left * 16 + (uint64_t)h;
				i++;
				break;
			}
			if (c->digits == 0) {
				*why = "chunk size is not hexadecimal";
				return -1;
			}
			if (x == ';' || x == ' ' || x == '\t' || x == '\r') {
				c->state = CH_EXT;
				c->linelen = 0;
				i++;
				break;
			}
			if (x == '\n') {
				i++;
				goto size_done;
			}
			*why = "bad character after the chunk size";
			return -1;
		}
		case CH_EXT:
			i++;
			if (x == '\n')
				goto size_done;
			if (++c->linelen > CH_LINE_MAX) {
				*why = "chunk extension too long";
				return -1;
			}
			break;
		size_done:
			c->digits = 0;
			c->state = c->left ? CH_DATA : CH_TRAILER;
			c->linelen = 0;
			break;
		case CH_DATA: {
			size_t k = n - i;
			if (k > c->left)
				k = (size_t)c->left;
			memmove(p + o, p + i, k);
			o += k;
			i += k;
			c->left -= k;
			if (!c->left)
				c->state = CH_DATA_CR;
			break;
		}
		case CH_DATA_CR:
			i++;
			if (x == '\r') {
				c->state = CH_DATA_LF;
			} else if (x == '\n') {
				c->state = CH_SIZE;
			} else {
				*why = "chunk data not followed by CRLF";
				return -1;
			}
			break;
		case CH_DATA_LF:
			i++;
			if (x != '\n') {
				*why = "chunk data not followed by CRLF";
				return -1;
			}
			c->state = CH_SIZE;
			break;
		case CH_TRAILER:
			i++;
			if (x == '\r')
				c->state = CH_FINAL_LF;
			else if (x == '\n')
				c->state = CH_DONE;
			else {
				c->state = CH_TRAILER_LINE;
				c->linelen = 1;
			}
			break;
		case CH_TRAILER_LINE:
			i++;
			if (x == '\n')
				c->state = CH_TRAILER;
			else if (++c->linelen > CH_LINE_MAX) {
				*why = "trailer line too long";
				return -1;
			}
			break;
		case CH_FINAL_LF:
			i++;
			if (x != '\n') {
				*why = "bad end of the chunked body";
				return -1;
			}
			c->state = CH_DONE;
			break;
		}
	}
	c->done = c->state == CH_DONE;
	*out = o;
	return (long)i;
}
