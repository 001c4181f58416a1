/*
 * json: strict bounded parser and string writer (json.h).
 *
 * The parser reads its input only through a buf_rd cursor (buf.h) and
 * writes decoded strings only through a buf_wr cursor, so neither can step
 * outside the caller's arrays whatever the input.  It recurses once per
 * nesting level, and the depth is capped (JSON_DEPTH_CAP), so the stack
 * it uses is bounded too.  Every value takes one node, every node takes at
 * least one input byte: the work is linear in the input.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "json.h"

#define JSON_DEPTH_CAP 1024

void json_doc_init(struct json_doc *d, struct json_val *vals, uint32_t max_vals, char *str,
		   size_t str_cap, unsigned max_depth)
{
	memset(d, 0, sizeof *d);
	d->vals = vals;
	d->max_vals = max_vals;
	d->str = str;
	d->str_cap = str_cap;
	d->max_depth = max_depth ? max_depth : JSON_DEPTH_DEFAULT;
	if (d->max_depth > JSON_DEPTH_CAP)
		d->max_depth = JSON_DEPTH_CAP;
}

/* ---- UTF-8 ------------------------------------------------------------- */

/*
 * Length of the valid UTF-8 sequence at the cursor and its code point, or
 * 0 when the bytes there are not one (RFC 3629 table of well-formed
 * bytes); nothing consumed.
 */
static size_t utf8_seq(const struct buf_rd *p, uint32_t *cp)
{
	int c = buf_peek(p);
	size_t len;
	uint8_t lo = 0x80, hi = 0xbf;
	uint32_t v;
	if (c < 0)
		return 0;
	if (c < 0x80) {
		*cp = (uint32_t)c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		v = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		v = c & 0x0f;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;	/* no surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		v = c & 0x07;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;	/* <= U+10FFFF */
	} else {
		return 0;
	}
	for (size_t i = 1; i < len; i++) {
		int b = buf_peek_at(p, i);	/* -1 past the end: below lo */
		if (i == 1 ? (b < lo || b > hi) : (b < 0x80 || b > 0xbf))
			return 0;
		v = v << 6 | (uint32_t)(b & 0x3f);
	}
	*cp = v;
	return len;
}

int json_utf8_valid(const void *s, size_t n)
{
	struct buf_rd b;
	uint32_t cp;
	buf_rd_init(&b, s, n);
	while (buf_left(&b)) {
		size_t k = utf8_seq(&b, &cp);
		if (!k)
			return 0;
		buf_skip(&b, k);
	}
	return 1;
}

static void put_utf8(struct buf_wr *w, uint32_t cp)
{
	if (cp < 0x80) {
		buf_put_u8(w, (uint8_t)cp);
	} else if (cp < 0x800) {
		buf_put_u8(w, (uint8_t)(0xc0 | cp >> 6));
		buf_put_u8(w, (uint8_t)(0x80 | (cp & 0x3f)));
	} else if (cp < 0x10000) {
		buf_put_u8(w, (uint8_t)(0xe0 | cp >> 12));
		buf_put_u8(w, (uint8_t)(0x80 | ((cp >> 6) & 0x3f)));
		buf_put_u8(w, (uint8_t)(0x80 | (cp & 0x3f)));
	} else {
		buf_put_u8(w, (uint8_t)(0xf0 | cp >> 18));
		buf_put_u8(w, (uint8_t)(0x80 | ((cp >> 12) & 0x3f)));
		buf_put_u8(w, (uint8_t)(0x80 | ((cp >> 6) & 0x3f)));
		buf_put_u8(w, (uint8_t)(0x80 | (cp & 0x3f)));
	}
}

/* ---- parser ------------------------------------------------------------ */

struct ps {
	struct json_doc *d;
	struct buf_rd in;
	struct buf_wr out;
};

/* Fail at byte offset off of the input. */
static int fail_at(struct ps *s, size_t off, const char *why)
{
	s->d->err = why;
	s->d->err_col = off + 1;
	return -1;
}

/* Fail at the byte the cursor is on. */
static int fail(struct ps *s, const char *why)
{
	return fail_at(s, s->in.off, why);
}

static void skip_ws(struct buf_rd *b)
{
	buf_skip_while(b, " \t\n\r");
}

static long new_val(struct ps *s, uint8_t type)
{
	struct json_doc *d = s->d;
	if (d->n_vals >= d->max_vals)
		return fail(s, "too many values");
	struct json_val *v = &d->vals[d->n_vals];
	memset(v, 0, sizeof *v);
	v->type = type;
	v->off = s->in.off;
	return (long)d->n_vals++;
}

static int hex4(struct buf_rd *b, uint32_t *out)
{
	uint32_t v = 0;
	for (int i = 0; i < 4; i++) {
		int c = buf_hexval(buf_peek(b));
		if (c < 0)
			return -1;
		buf_skip(b, 1);
		v = v << 4 | (uint32_t)c;
	}
	*out = v;
	return 0;
}

/* Decode the string at the cursor (on its opening quote) into s->out. */
static int parse_string(struct ps *s, const char **str, size_t *len)
{
	size_t start = s->out.off;
	buf_skip(&s->in, 1);	/* the quote */
	for (;;) {
		size_t at = s->in.off;
		int c = buf_peek(&s->in);
		if (c < 0)
			return fail(s, "unterminated string");
		buf_skip(&s->in, 1);
		if (c == '"')
			break;
		if (c < 0x20)
			return fail_at(s, at, "control character in string");
		if (c == '\\') {
			uint32_t cp, lo;
			int e = buf_peek(&s->in);
			buf_skip(&s->in, 1);
			switch (e) {
			case '"': buf_put_u8(&s->out, '"'); break;
			case '\\': buf_put_u8(&s->out, '\\'); break;
			case '/': buf_put_u8(&s->out, '/'); break;
			case 'b': buf_put_u8(&s->out, '\b'); break;
			case 'f': buf_put_u8(&s->out, '\f'); break;
			case 'n': buf_put_u8(&s->out, '\n'); break;
			case 'r': buf_put_u8(&s->out, '\r'); break;
			case 't': buf_put_u8(&s->out, '\t'); break;
			case 'u':
				if (hex4(&s->in, &cp) < 0)
					return fail_at(s, at, "bad \\u escape");
				if (cp >= 0xdc00 && cp <= 0xdfff)
					return fail_at(s, at, "lone low surrogate");
				if (cp >= 0xd800 && cp <= 0xdbff) {
					if (buf_peek(&s->in) != '\\')
						return fail_at(s, at, "lone high surrogate");
					buf_skip(&s->in, 1);
					if (buf_peek(&s->in) != 'u')
						return fail_at(s, at, "lone high surrogate");
					buf_skip(&s->in, 1);
					if (hex4(&s->in, &lo) < 0 || lo < 0xdc00 || lo > 0xdfff)
						return fail_at(s, at, "lone high surrogate");
					cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				}
				put_utf8(&s->out, cp);
				break;
			default:
				return fail_at(s, at, e < 0 ? "unterminated string" : "bad escape");
			}
			continue;
		}
		if (c >= 0x80) {
			/* c is consumed: look at it and what follows again */
			struct buf_rd t = s->in;
			uint32_t cp;
			t.off = at;
			size_t k = utf8_seq(&t, &cp);
			if (!k)
				return fail_at(s, at, "invalid UTF-8 in string");
			const uint8_t *seq = buf_get_bytes(&t, k);
			buf_put_bytes(&s->out, seq, k);
			s->in.off = t.off;
			continue;
		}
		buf_put_u8(&s->out, (uint8_t)c);
	}
	buf_put_u8(&s->out, 0);
	if (s->out.err)
		return fail(s, "string space exhausted");
	*str = s->d->str + start;
	*len = s->out.off - start - 1;
	return 0;
}

static int is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static void skip_digits(struct buf_rd *b)
{
	size_t n;
	buf_take_while(b, is_digit, &n);
}

static int parse_number(struct ps *s, struct json_val *v)
{
	struct buf_rd *b = &s->in;
	size_t start = b->off;
	int c;
	if (buf_peek(b) == '-')
		buf_skip(b, 1);
	c = buf_peek(b);
	if (c == '0') {
		buf_skip(b, 1);
		c = buf_peek(b);
		if (c >= '0' && c <= '9')
			return fail(s, "leading zero in number");
	} else if (c >= '1' && c <= '9') {
		skip_digits(b);
	} else {
		return fail(s, "bad number");
	}
	if (buf_peek(b) == '.') {
		buf_skip(b, 1);
		c = buf_peek(b);
		if (c < '0' || c > '9')
			return fail(s, "bad number: no digit after '.'");
		skip_digits(b);
	}
	c = buf_peek(b);
	if (c == 'e' || c == 'E') {
		buf_skip(b, 1);
		c = buf_peek(b);
		if (c == '+' || c == '-')
			buf_skip(b, 1);
		c = buf_peek(b);
		if (c < '0' || c > '9')
			return fail(s, "bad number: no digit in exponent");
		skip_digits(b);
	}
	size_t n = b->off - start;
	if (n > JSON_NUMBER_MAX)
		return fail_at(s, start, "number too long");
	struct buf_rd t = *b;
	t.off = start;
	v->s = (const char *)buf_get_bytes(&t, n);
	v->len = n;
	return 0;
}

static int literal(struct ps *s, const char *word)
{
	if (!buf_expect(&s->in, word))
		return fail(s, "unexpected word");
	return 0;
}

static long parse_value(struct ps *s, unsigned depth)
{
	struct json_doc *d = s->d;
	long idx, child, last = 0;
	skip_ws(&s->in);
	int c = buf_peek(&s->in);
	switch (c) {
	case -1:
		return fail(s, "unexpected end of input");
	case '{':
	case '[': {
		int obj = c == '{';
		if (depth >= d->max_depth)
			return fail(s, "nesting too deep");
		if ((idx = new_val(s, obj ? JSON_OBJECT : JSON_ARRAY)) < 0)
			return -1;
		buf_skip(&s->in, 1);
		skip_ws(&s->in);
		if (buf_peek(&s->in) == (obj ? '}' : ']')) {
			buf_skip(&s->in, 1);
			return idx;
		}
		for (;;) {
			const char *key = NULL;
			size_t klen = 0;
			if (obj) {
				skip_ws(&s->in);
				if (buf_peek(&s->in) != '"')
					return fail(s, "expected a string key");
				if (parse_string(s, &key, &klen) < 0)
					return -1;
				skip_ws(&s->in);
				if (buf_peek(&s->in) != ':')
					return fail(s, "expected ':'");
				buf_skip(&s->in, 1);
			}
			if ((child = parse_value(s, depth + 1)) < 0)
				return -1;
			d->vals[child].key = key;
			d->vals[child].key_len = klen;
			if (last)
				d->vals[last].next = (uint32_t)child;
			else
				d->vals[idx].child = (uint32_t)child;
			last = child;
			d->vals[idx].n++;
			skip_ws(&s->in);
			c = buf_peek(&s->in);
			if (c == ',') {
				buf_skip(&s->in, 1);
				continue;
			}
			if (c == (obj ? '}' : ']')) {
				buf_skip(&s->in, 1);
				return idx;
			}
			if (c < 0)
				return fail(s, "unexpected end of input");
			return fail(s, obj ? "expected ',' or '}'" : "expected ',' or ']'");
		}
	}
	case '"':
		if ((idx = new_val(s, JSON_STRING)) < 0)
			return -1;
		if (parse_string(s, &d->vals[idx].s, &d->vals[idx].len) < 0)
			return -1;
		return idx;
	case 't':
		if ((idx = new_val(s, JSON_TRUE)) < 0 || literal(s, "true") < 0)
			return -1;
		return idx;
	case 'f':
		if ((idx = new_val(s, JSON_FALSE)) < 0 || literal(s, "false") < 0)
			return -1;
		return idx;
	case 'n':
		if ((idx = new_val(s, JSON_NULL)) < 0 || literal(s, "null") < 0)
			return -1;
		return idx;
	default:
		if (c == '-' || (c >= '0' && c <= '9')) {
			if ((idx = new_val(s, JSON_NUMBER)) < 0)
				return -1;
			if (parse_number(s, &d->vals[idx]) < 0)
				return -1;
			return idx;
		}
		return fail(s, "unexpected character");
	}
}

int json_parse(struct json_doc *d, const char *text, size_t len)
{
	struct ps s;
	d->n_vals = 0;
	d->str_len = 0;
	d->err = NULL;
	d->err_col = 0;
	s.d = d;
	buf_rd_init(&s.in, text, len);
	buf_wr_init(&s.out, d->str, d->str_cap);
	if (!d->vals || !d->max_vals) {
		d->err = "no room for values";
		d->err_col = 1;
		return -1;
	}
	if (parse_value(&s, 0) < 0)
		return -1;
	skip_ws(&s.in);
	if (buf_left(&s.in))
		return fail(&s, "trailing characters after the value");
	d->str_len = s.out.off;
	return 0;
}

const struct json_val *json_root(const struct json_doc *d)
{
	return d->n_vals ? &d->vals[0] : NULL;
}

const struct json_val *json_first(const struct json_doc *d, const struct json_val *v)
{
	if (!v || (v->type != JSON_ARRAY && v->type != JSON_OBJECT) || !v->child)
		return NULL;
	return &d->vals[v->child];
}

const struct json_val *json_next(const struct json_doc *d, const struct json_val *v)
{
	return v && v->next ? &d->vals[v->next] : NULL;
}

const struct json_val *json_get(const struct json_doc *d, const struct json_val *v,
				const char *key)
{
	size_t n = strlen(key);
	if (!v || v->type != JSON_OBJECT)
		return NULL;
	for (const struct json_val *m = json_first(d, v); m; m = json_next(d, m))
		if (m->key_len == n && !memcmp(m->key, key, n))
			return m;
	return NULL;
}

/* Copy a number's text into a NUL-terminated buffer for strtod. */
static int num_text(const struct json_val *v, char buf[JSON_NUMBER_MAX + 1])
{
	if (!v || v->type != JSON_NUMBER || !v->len || v->len > JSON_NUMBER_MAX)
		return -1;
	memcpy(buf, v->s, v->len);
	buf[v->len] = '\0';
	return 0;
}

int json_double(const struct json_val *v, double *out)
{
	char buf[JSON_NUMBER_MAX + 1];
	if (num_text(v, buf) < 0)
		return -1;
	double x = strtod(buf, NULL);
	if (!isfinite(x))
		return -1;
	*out = x;
	return 0;
}

int json_int64(const struct json_val *v, int64_t *out)
{
	char buf[JSON_NUMBER_MAX + 1];
	size_t i = 0;
	int neg = 0;
	uint64_t acc = 0;
	if (num_text(v, buf) < 0)
		return -1;
	if (buf[0] == '-')
		neg = 1, i = 1;
	if (strspn(buf + i, "0123456789") == v->len - i) {
		/* plain integer: exact */
		for (; i < v->len; i++) {
			uint64_t dgt = (uint64_t)(buf[i] - '0');
			if (acc > (UINT64_MAX - dgt) / 10)
				return -1;
			acc = acc * 10 + dgt;
		}
		if (neg ? acc > (uint64_t)INT64_MAX + 1 : acc > (uint64_t)INT64_MAX)
			return -1;
		*out = neg ? (int64_t)(0 - acc) : (int64_t)acc;
		return 0;
	}
	double x = strtod(buf, NULL);
	/* -2^63 is exact in a double; 2^63 is the first value out of range */
	if (!isfinite(x) || x < -9223372036854775808.0 || x >= 9223372036854775808.0)
		return -1;
	int64_t i64 = (int64_t)x;	/* in range: defined, truncates */
	if ((double)i64 != x)
		return -1;	/* a fraction */
	*out = i64;
	return 0;
}

/* ---- writer ------------------------------------------------------------ */

struct sink {
	char *out;		/* buffer sink, or NULL */
	size_t cap, len;
	FILE *f;		/* stream sink, or NULL */
	int err;
};

static void emit(struct sink *k, const void *p, size_t n)
{
	if (k->f) {
		if (!k->err && n && fwrite(p, 1, n, k->f) != n)
			k->err = 1;
	} else if (k->len < k->cap) {
		size_t room = k->cap - k->len;
		memcpy(k->out + k->len, p, n < room ? n : room);
	}
	k->len += n;
}

static void escape(struct sink *k, const void *s, size_t n)
{
	static const char hx[] = "0123456789abcdef";
	struct buf_rd b;
	size_t run = 0;		/* bytes copied as they are, pending */
	const uint8_t *run_p = NULL;
	buf_rd_init(&b, s, n);
	emit(k, "\"", 1);
	while (buf_left(&b)) {
		const uint8_t *p = buf_get_bytes(&b, 0);
		uint8_t c = (uint8_t)buf_peek(&b);
		char e[8];
		size_t elen = 0;
		uint32_t cp = c;
		size_t k_len = 1;
		if (c >= 0x80)
			k_len = utf8_seq(&b, &cp);
		if (c == '"' || c == '\\') {
			e[0] = '\\', e[1] = (char)c, elen = 2;
		} else if (c == '\n') {
			memcpy(e, "\\n", 2), elen = 2;
		} else if (c == '\r') {
			memcpy(e, "\\r", 2), elen = 2;
		} else if (c == '\t') {
			memcpy(e, "\\t", 2), elen = 2;
		} else if (c == '\b') {
			memcpy(e, "\\b", 2), elen = 2;
		} else if (c == '\f') {
			memcpy(e, "\\f", 2), elen = 2;
		} else if (c < 0x20 || c == 0x7f || c == '<' || c == '>' || c == '&' || k_len == 0) {
			memcpy(e, "\\u00", 4);
			e[4] = hx[c >> 4], e[5] = hx[c & 15], elen = 6;
			k_len = 1;
		} else if (cp == 0x2028 || cp == 0x2029) {
			memcpy(e, "\\u202", 5);
			e[5] = hx[cp & 15], elen = 6;
		}
		if (elen) {
			if (run)
				emit(k, run_p, run);
			run = 0;
			emit(k, e, elen);
		} else {
			if (!run)
				run_p = p;
			run += k_len;
		}
		buf_skip(&b, k_len);
	}
	if (run)
		emit(k, run_p, run);
	emit(k, "\"", 1);
}

size_t json_escape(char *out, size_t cap, const void *s, size_t n)
{
	struct sink k = {.out = out, .cap = cap ? cap - 1 : 0};
	escape(&k, s, n);
	if (cap)
		out[k.len < cap - 1 ? k.len : cap - 1] = '\0';
	return k.len;
}

int json_put_str(FILE *f, const void *s, size_t n)
{
	struct sink k = {.f = f};
	escape(&k, s, n);
	return k.err ? -1 : 0;
}
