/*
 * share: fingerprints, request and response heads, and the listing of the
 * sharing protocol (share.h).  All input is walked with the cursor of
 * buf.h a line at a time; a line never reaches past its buffer and every
 * number is checked for overflow.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errmsg.h"
#include "buf.h"
#include "share.h"

static const char b32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

void share_fp_format(char *out, const uint8_t fp[SHARE_FP_LEN])
{
	uint32_t acc = 0;
	int bits = 0, n = 0;
	size_t o = 0;
	for (size_t i = 0; i < SHARE_FP_LEN || bits > 0;) {
		if (bits < 5 && i < SHARE_FP_LEN) {
			acc = acc << 8 | fp[i++];
			bits += 8;
		}
		int shift = bits >= 5 ? bits - 5 : 0;
		uint32_t v = bits >= 5 ? acc >> shift : acc << (5 - bits);
		bits = bits >= 5 ? bits - 5 : 0;
		acc &= (1u << shift) - 1;
		if (n && n % 4 == 0)
			out[o++] = '-';
		out[o++] = b32[v & 31];
		n++;
	}
	out[o] = '\0';
}

int share_fp_parse(const char *text, uint8_t fp[SHARE_FP_LEN])
{
	uint32_t acc = 0;
	int bits = 0, n = 0;
	size_t o = 0;
	for (const char *s = text; *s; s++) {
		char c = *s;
		if (c == '-' || c == ' ' || c == '\t')
			continue;
		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		const char *q = c ? strchr(b32, c) : NULL;
		if (!q)
			return -1;
		if (++n > 52)
			return -1;
		acc = acc << 5 | (uint32_t)(q - b32);
		bits += 5;
		if (bits >= 8) {
			bits -= 8;
			fp[o++] = (uint8_t)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	/* 52 characters carry 260 bits: 256 and four zero bits */
	if (n != 52 || o != SHARE_FP_LEN || acc != 0)
		return -1;
	return 0;
}

/* ---- lines ------------------------------------------------------------------- */

/*
 * The next line of b (CRLF or LF), without its end: 1 with the line in *line and *n,
 * 0 when no whole line is left.
 */
static int next_line(struct buf_rd *b, const char **line, size_t *n)
{
	size_t left = buf_left(b);
	const uint8_t *p = b->p + b->off;
	const uint8_t *nl = left ? memchr(p, '\n', left) : NULL;
	if (!nl)
		return 0;
	size_t len = (size_t)(nl - p);
	buf_skip(b, len + 1);
	if (len && p[len - 1] == '\r')
		len--;
	*line = (const char *)p;
	*n = len;
	return 1;
}

/* Decimal digits s[0..n) into *v: 0, or -1 (empty, not digits, overflow). */
static int parse_u64(const char *s, size_t n, uint64_t *v)
{
	uint64_t x = 0;
	if (!n || n > 20)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		uint64_t d = (uint64_t)(s[i] - '0');
		if (x > (UINT64_MAX - d) / 10)
			return -1;
		x = x * 10 + d;
	}
	*v = x;
	return 0;
}

static int ieq(const char *a, size_t n, const char *lit)
{
	size_t m = strlen(lit);
	if (n != m)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = a[i];
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c != lit[i])
			return 0;
	}
	return 1;
}

/* Split "Name: value" (value trimmed); 0, or -1 when there is no colon. */
static int header_split(const char *l, size_t n, size_t *klen, const char **v, size_t *vlen)
{
	const char *c = memchr(l, ':', n);
	if (!c || c == l)
		return -1;
	*klen = (size_t)(c - l);
	const char *s = c + 1, *e = l + n;
	while (s < e && (*s == ' ' || *s == '\t'))
		s++;
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	*v = s;
	*vlen = (size_t)(e - s);
	return 0;
}

/* A segment name as the server's listing spells it: checked, no path. */
static int valid_seg_name(const char *s, size_t n, char *out)
{
	uint32_t seq;
	int64_t start;
	if (!n || n >= SEG_NAME_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= '0' && c <= '9') || c == 'T' || c == 'Z' || c == '-' || c == '.' ||
		      c == 'c'))
			return 0;
	}
	memcpy(out, s, n);
	out[n] = '\0';
	if (!seg_name_parse(out, &seq, &start))
		return 0;
	const char *dot = strchr(out, '.');
	if (dot) {
		/* only a compacted segment's ".c<first>" */
		if (dot[1] != 'c' || !dot[2])
			return 0;
		for (const char *q = dot + 2; *q; q++)
			if (*q < '0' || *q > '9')
				return 0;
	}
	return 1;
}

/* "bytes=A-" or "bytes=A-B": 0, or -1. */
static int parse_range(const char *v, size_t n, uint64_t *first, uint64_t *last)
{
	if (n < 8 || memcmp(v, "bytes=", 6) != 0)
		return -1;
	v += 6;
	n -= 6;
	const char *dash = memchr(v, '-', n);
	if (!dash || dash == v)
		return -1;	/* suffix ranges ("bytes=-N") are not used */
	if (parse_u64(v, (size_t)(dash - v), first) < 0)
		return -1;
	size_t rest = n - (size_t)(dash - v) - 1;
	if (!rest) {
		*last = UINT64_MAX;
		return 0;
	}
	if (parse_u64(dash + 1, rest, last) < 0 || *last < *first)
		return -1;
	return 0;
}

#define REFUSE(code, text)        \
	do {                      \
		*status = (code); \
		*why = (text);    \
		return -1;        \
	} while (0)

int share_req_parse(const uint8_t *p, size_t len, struct share_req *r, int *status,
		    const char **why)
{
	struct buf_rd b;
	const char *l;
	size_t n;

	memset(r, 0, sizeof *r);
	r->range_last = UINT64_MAX;
	buf_rd_init(&b, p, len > SHARE_REQ_MAX ? SHARE_REQ_MAX : len);
	if (!next_line(&b, &l, &n)) {
		if (len >= SHARE_REQ_MAX)
			REFUSE(413, "request head too long");
		/* a TLS port gets no plain text: refuse early what cannot be HTTP */
		for (size_t i = 0; i < len; i++)
			if (p[i] < 0x20 && p[i] != '\r')
				REFUSE(400, "not an HTTP request");
		return 0;
	}
	/* METHOD SP PATH SP HTTP/1.x */
	const char *sp1 = memchr(l, ' ', n);
	if (!sp1)
		REFUSE(400, "malformed request line");
	const char *path = sp1 + 1;
	const char *sp2 = memchr(path, ' ', n - (size_t)(path - l));
	if (!sp2)
		REFUSE(400, "malformed request line");
	size_t plen = (size_t)(sp2 - path);
	const char *ver = sp2 + 1;
	size_t vlen = n - (size_t)(ver - l);
	if (vlen != 8 || memcmp(ver, "HTTP/1.", 7) != 0 || (ver[7] != '0' && ver[7] != '1'))
		REFUSE(505, "not HTTP/1.0 or HTTP/1.1");
	if (ver[7] == '0')
		r->close = 1;
	if ((size_t)(sp1 - l) != 3 || memcmp(l, "GET", 3) != 0)
		REFUSE(405, "only GET is served");
	if (plen == 9 && !memcmp(path, "/segments", 9)) {
		r->what = SHARE_GET_LIST;
	} else if (plen > 5 && (!memcmp(path, "/seg/", 5) || !memcmp(path, "/idx/", 5))) {
		if (!valid_seg_name(path + 5, plen - 5, r->name))
			REFUSE(404, "no such segment");
		r->what = path[1] == 's' ? SHARE_GET_SEG : SHARE_GET_IDX;
	} else {
		REFUSE(404, "no such resource");
	}
	for (;;) {
		if (!next_line(&b, &l, &n)) {
			if (len >= SHARE_REQ_MAX)
				REFUSE(413, "request head too long");
			return 0;
		}
		if (!n)
			break;
		size_t klen, vl;
		const char *v;
		if (header_split(l, n, &klen, &v, &vl) < 0)
			REFUSE(400, "malformed header line");
		if (ieq(l, klen, "range")) {
			if (r->has_range)
				REFUSE(400, "two Range headers");
			if (parse_range(v, vl, &r->range_first, &r->range_last) < 0)
				REFUSE(416, "unsupported Range");
			r->has_range = 1;
		} else if (ieq(l, klen, "connection")) {
			if (ieq(v, vl, "close"))
				r->close = 1;
			else if (ieq(v, vl, "keep-alive"))
				r->close = 0;
		} else if (ieq(l, klen, "content-length") || ieq(l, klen, "transfer-encoding")) {
			uint64_t cl;
			if (!ieq(l, klen, "content-length") || parse_u64(v, vl, &cl) < 0 || cl)
				REFUSE(400, "a GET has no body");
		}
	}
	if (r->has_range && r->what == SHARE_GET_LIST)
		REFUSE(416, "Range on the listing");
	r->head_len = b.off;
	return 1;
}

#undef REFUSE

int share_resp_parse(const uint8_t *p, size_t len, struct share_resp *r, const char **why)
{
	struct buf_rd b;
	const char *l;
	size_t n;
	uint64_t v64;

	memset(r, 0, sizeof *r);
	r->content_length = UINT64_MAX;
	buf_rd_init(&b, p, len > SHARE_RESP_MAX ? SHARE_RESP_MAX : len);
	if (!next_line(&b, &l, &n)) {
		if (len >= SHARE_RESP_MAX) {
			*why = "response head too long";
			return -1;
		}
		if (len >= 5 && memcmp(p, "HTTP/", 5) != 0) {
			*why = "not an HTTP response";
			return -1;
		}
		return 0;
	}
	if (n < 12 || memcmp(l, "HTTP/1.", 7) != 0 || l[8] != ' ' ||
	    parse_u64(l + 9, 3, &v64) < 0 || (n > 12 && l[12] != ' ')) {
		*why = "malformed status line";
		return -1;
	}
	r->status = (int)v64;
	if (l[7] == '0')
		r->close = 1;
	for (;;) {
		if (!next_line(&b, &l, &n)) {
			if (len >= SHARE_RESP_MAX) {
				*why = "response head too long";
				return -1;
			}
			return 0;
		}
		if (!n)
			break;
		size_t klen, vl;
		const char *v;
		if (header_split(l, n, &klen, &v, &vl) < 0) {
			*why = "malformed header line";
			return -1;
		}
		if (ieq(l, klen, "content-length")) {
			if (r->content_length != UINT64_MAX || parse_u64(v, vl, &r->content_length) < 0) {
				*why = "bad Content-Length";
				return -1;
			}
		} else if (ieq(l, klen, "content-range")) {
			/* bytes A-B/T */
			const char *dash, *slash;
			if (vl < 6 || memcmp(v, "bytes ", 6) != 0 ||
			    !(dash = memchr(v + 6, '-', vl - 6)) ||
			    !(slash = memchr(dash, '/', vl - (size_t)(dash - v))) ||
			    parse_u64(v + 6, (size_t)(dash - v - 6), &r->range_first) < 0 ||
			    parse_u64(dash + 1, (size_t)(slash - dash - 1), &r->range_last) < 0 ||
			    parse_u64(slash + 1, vl - (size_t)(slash + 1 - v), &r->range_total) < 0 ||
			    r->range_last < r->range_first || r->range_last >= r->range_total) {
				*why = "bad Content-Range";
				return -1;
			}
			r->has_range = 1;
		} else if (ieq(l, klen, "connection")) {
			if (ieq(v, vl, "close"))
				r->close = 1;
		} else if (ieq(l, klen, "transfer-encoding")) {
			*why = "transfer encodings are not used by this protocol";
			return -1;
		}
	}
	r->head_len = b.off;
	return 1;
}

/* ---- the listing ---------------------------------------------------------------- */

void share_list_free(struct share_list *l)
{
	free(l->segs);
	memset(l, 0, sizeof *l);
}

/* Cut l[0..n) into at most max words at single spaces; returns the count. */
static int words(const char *l, size_t n, const char **w, size_t *wl, int max)
{
	int k = 0;
	size_t i = 0;
	while (i < n) {
		size_t s = i;
		while (i < n && l[i] != ' ')
			i++;
		if (i == s || k == max)
			return -1;	/* empty word (two spaces) or too many */
		w[k] = l + s;
		wl[k] = i - s;
		k++;
		if (i < n)
			i++;
		if (i == n && l[n - 1] == ' ')
			return -1;
	}
	return k;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* 64 hex digits into 32 bytes: 0, or -1. */
static int hex32(const char *w, size_t wl, uint8_t out[32])
{
	if (wl != 64)
		return -1;
	for (int i = 0; i < 32; i++) {
		int hi = hexval(w[2 * i]), lo = hexval(w[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

int share_list_parse(const uint8_t *p, size_t len, struct share_list *l, char *err,
		     size_t errlen)
{
	struct buf_rd b;
	const char *line, *w[8];
	size_t n, wl[8], cap = 0;
	int lineno = 0, ended = 0, have_active = 0;

	memset(l, 0, sizeof *l);
	if (len > SHARE_LIST_MAX) {
		errmsg_say(err, errlen, "listing: larger than %u bytes", SHARE_LIST_MAX);
		return -1;
	}
	buf_rd_init(&b, p, len);
	while (next_line(&b, &line, &n)) {
		lineno++;
		if (ended) {
			errmsg_say(err, errlen, "listing:%d: text after the end line", lineno);
			goto fail;
		}
		int k = words(line, n, w, wl, 8);
		if (k <= 0) {
			errmsg_say(err, errlen, "listing:%d: malformed line", lineno);
			goto fail;
		}
		if (lineno == 1) {
			uint64_t v;
			if (k != 2 || !ieq(w[0], wl[0], "tip-share") || parse_u64(w[1], wl[1], &v) < 0) {
				errmsg_say(err, errlen, "listing:1: not a TIP share listing");
				goto fail;
			}
			if (v != SHARE_PROTO_VERSION) {
				errmsg_say(err, errlen, "listing:1: protocol version %llu, this tip speaks %d",
				    (unsigned long long)v, SHARE_PROTO_VERSION);
				goto fail;
			}
			continue;
		}
		if (wl[0] == 6 && !memcmp(w[0], "sensor", 6)) {
			if (k != 2 || wl[1] >= STORE_ID_MAX || l->sensor[0]) {
				errmsg_say(err, errlen, "listing:%d: bad sensor line", lineno);
				goto fail;
			}
			for (size_t i = 0; i < wl[1]; i++) {
				char c = w[1][i];
				if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
				      (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.')) {
					errmsg_say(err, errlen, "listing:%d: bad sensor name", lineno);
					goto fail;
				}
			}
			memcpy(l->sensor, w[1], wl[1]);
			l->sensor[wl[1]] = '\0';
		} else if (wl[0] == 3 && !memcmp(w[0], "seg", 3)) {
			struct share_seg s;
			uint64_t seq;
			uint32_t nseq;
			int64_t start;
			memset(&s, 0, sizeof s);
			if ((k != 6 && k != 8) || !valid_seg_name(w[1], wl[1], s.name) ||
			    parse_u64(w[2], wl[2], &seq) < 0 || seq > UINT32_MAX ||
			    parse_u64(w[3], wl[3], &s.size) < 0) {
				errmsg_say(err, errlen, "listing:%d: bad segment line", lineno);
				goto fail;
			}
			s.seq = (uint32_t)seq;
			seg_name_parse(s.name, &nseq, &start);
			if (nseq != s.seq) {
				errmsg_say(err, errlen, "listing:%d: %s is not segment %u", lineno, s.name, s.seq);
				goto fail;
			}
			if (s.size < SEG_HDR_SIZE) {
				errmsg_say(err, errlen, "listing:%d: %s: size %llu is smaller than a header",
				    lineno, s.name, (unsigned long long)s.size);
				goto fail;
			}
			if (wl[4] == 6 && !memcmp(w[4], "sealed", 6)) {
				s.sealed = 1;
				if (wl[5] != 64)
					goto bad_digest;
				for (int i = 0; i < 32; i++) {
					int hi = hexval(w[5][2 * i]), lo = hexval(w[5][2 * i + 1]);
					if (hi < 0 || lo < 0)
						goto bad_digest;
					s.digest[i] = (uint8_t)(hi << 4 | lo);
				}
				if (k == 8) {
					if (parse_u64(w[6], wl[6], &s.index_size) < 0 || !s.index_size ||
					    hex32(w[7], wl[7], s.index_digest) < 0) {
						errmsg_say(err, errlen, "listing:%d: bad index size or digest", lineno);
						goto fail;
					}
					s.has_index = 1;
				}
			} else if (k == 6 && wl[4] == 6 && !memcmp(w[4], "active", 6) && wl[5] == 1 &&
				   w[5][0] == '-') {
				s.sealed = 0;
			} else {
				errmsg_say(err, errlen, "listing:%d: state is neither sealed nor active", lineno);
				goto fail;
			}
			if (have_active) {
				errmsg_say(err, errlen, "listing:%d: a segment after the active one", lineno);
				goto fail;
			}
			if (l->n && l->segs[l->n - 1].seq > s.seq) {
				errmsg_say(err, errlen, "listing:%d: sequence %u after %u", lineno, s.seq,
				    l->segs[l->n - 1].seq);
				goto fail;
			}
			if (l->n && !strcmp(l->segs[l->n - 1].name, s.name)) {
				errmsg_say(err, errlen, "listing:%d: %s listed twice", lineno, s.name);
				goto fail;
			}
			if (l->n == SHARE_SEGS_MAX) {
				errmsg_say(err, errlen, "listing:%d: more than %u segments", lineno,
				    SHARE_SEGS_MAX);
				goto fail;
			}
			if (l->n == cap) {
				size_t nc = cap ? cap * 2 : 64;
				struct share_seg *ns = realloc(l->segs, nc * sizeof *ns);
				if (!ns) {
					errmsg_say(err, errlen, "listing: out of memory");
					goto fail;
				}
				l->segs = ns;
				cap = nc;
			}
			have_active = !s.sealed;
			l->segs[l->n++] = s;
		} else if (wl[0] == 3 && !memcmp(w[0], "end", 3)) {
			uint64_t cnt;
			if (k != 2 || parse_u64(w[1], wl[1], &cnt) < 0 || cnt != l->n) {
				errmsg_say(err, errlen, "listing:%d: the end line counts another number of "
				    "segments (%zu listed)", lineno, l->n);
				goto fail;
			}
			ended = 1;
		} else {
			errmsg_say(err, errlen, "listing:%d: unknown line", lineno);
			goto fail;
		}
	}
	if (buf_left(&b)) {
		errmsg_say(err, errlen, "listing:%d: last line not ended", lineno + 1);
		goto fail;
	}
	if (!ended) {
		errmsg_say(err, errlen, "listing: truncated (no end line)");
		goto fail;
	}
	if (!l->sensor[0]) {
		errmsg_say(err, errlen, "listing: no sensor line");
		goto fail;
	}
	return 0;
bad_digest:
	errmsg_say(err, errlen, "listing:%d: bad digest", lineno);
fail:
	share_list_free(l);
	return -1;
}

size_t share_list_line(char *out, size_t cap, const struct share_seg *s)
{
	char hex[65], ihex[90];
	ihex[0] = '\0';
	if (s->sealed) {
		for (int i = 0; i < 32; i++)
			snprintf(hex + 2 * i, 3, "%02x", s->digest[i]);
		if (s->has_index) {
			int o = snprintf(ihex, sizeof ihex, " %llu ", (unsigned long long)s->index_size);
			for (int i = 0; i < 32; i++)
				snprintf(ihex + o + 2 * i, 3, "%02x", s->index_digest[i]);
		}
	} else {
		strcpy(hex, "-");
	}
	int n = snprintf(out, cap, "seg %s %u %llu %s %s%s\n", s->name, s->seq,
			 (unsigned long long)s->size, s->sealed ? "sealed" : "active", hex, ihex);
	return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}
