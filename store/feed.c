/*
 * feed: streaming blacklist parsers (feed.h).
 *
 * Line formats read a line where it lies in the chunk, or gather one that
 * spans chunks into p->buf (bytes past FEED_LINE_MAX are dropped and the
 * line counted bad), then take its words through the bounds-checked cursor
 * of buf.h.  JSON is a byte-at-a-time state machine (runs of plain string
 * bytes copied at once) that keeps one string and a stack of
 * FEED_JSON_DEPTH container types, so a chunk boundary may fall anywhere,
 * even inside a \u escape.  Speed (tests/bench/feeds.sh against wc -l):
 * no allocation, no stdio and no per-byte function call on the way of a
 * line; ASCII domain names are checked a block of 16 bytes (SSE2) or 8
 * (a 64-bit word) at a time, and copied lower-cased byte by byte only
 * when they have an upper-case letter.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "feed.h"

const char *const feed_format_names[FEED_TRAILS + 1] = {
	NULL, "hosts", "domains", "ips", "cidr", "csv", "urls", "json", "ipsum", "trails",
};
const char *const feed_kind_names[FEED_K_URL + 1] = {"any", "domain", "ip", "cidr", "url"};

int feed_format_parse(const char *name)
{
	for (int i = FEED_HOSTS; i <= FEED_TRAILS; i++)
		if (!strcmp(name, feed_format_names[i]))
			return i;
	return 0;
}

const char *feed_format_name(int format)
{
	if (format < 1 || format > FEED_TRAILS)
		return "unknown";
	return feed_format_names[format];
}

int feed_kind_parse(const char *name)
{
	for (int i = FEED_K_DOMAIN; i <= FEED_K_URL; i++)
		if (!strcmp(name, feed_kind_names[i]))
			return i;
	return -1;
}

const char *feed_kind_name(int kind)
{
	return kind >= 0 && kind <= FEED_K_URL ? feed_kind_names[kind] : "unknown";
}

/* Byte classes for word(): blank, and the stop characters callers name. */
#define C_BLANK 1
#define C_HASH 2
#define C_SEMI 4
#define C_COMMA 8
#define C_PATH 16	/* ends a URL's authority: / ? # */
#define C_NL 32		/* only fast_line's words meet it: a line holds none */
#define C_QUOTE 64	/* only jstring_fast's words meet it */
#define C_AFTER_OK 128	/* a stops argument: the caller checks the byte after (name_head skips it) */
static const uint8_t cls[256] = {
	[' '] = C_BLANK, ['\t'] = C_BLANK, ['\r'] = C_BLANK, ['\v'] = C_BLANK, ['\f'] = C_BLANK,
	['\n'] = C_NL, ['"'] = C_QUOTE, ['#'] = C_HASH | C_PATH, [';'] = C_SEMI, [','] = C_COMMA, ['/'] = C_PATH, ['?'] = C_PATH,
};

/* ---- punycode (RFC 3492), encoding only ---------------------------------- */

static uint32_t puny_adapt(uint32_t delta, uint32_t npoints, int first)
{
	uint32_t k = 0;
	delta = first ? delta / 700 : delta / 2;
	delta += delta / npoints;
	while (delta > ((36 - 1) * 26) / 2) {
		delta /= 36 - 1;
		k += 36;
	}
	return k + (36 * delta) / (delta + 38);
}

static char puny_digit(uint32_t d)
{
	return (char)(d < 26 ? 'a' + d : '0' + (d - 26));
}

/* Encode cp[0..n) as "xn--..." into out[0..cap): length, or -1. */
static int puny_encode(const uint32_t *cp, size_t n, char *out, size_t cap)
{
	size_t o = 0, b = 0;
	if (cap < 5)
		return -1;
	memcpy(out, "xn--", 4);
	o = 4;
	for (size_t i = 0; i < n; i++)
		if (cp[i] < 0x80) {
			if (o + 1 >= cap)
				return -1;
			out[o++] = (char)cp[i];
			b++;
		}
	if (b > 0) {
		if (o + 1 >= cap)
			return -1;
		out[o++] = '-';
	}
	uint32_t nn = 128, delta = 0, bias = 72;
	size_t h = b;
	while (h < n) {
		uint32_t m = UINT32_MAX;
		for (size_t i = 0; i < n; i++)
			if (cp[i] >= nn && cp[i] < m)
				m = cp[i];
		if ((uint64_t)(m - nn) * (h + 1) > UINT32_MAX - delta)
			return -1;
		delta += (m - nn) * (uint32_t)(h + 1);
		nn = m;
		for (size_t i = 0; i < n; i++) {
			if (cp[i] < nn && ++delta == 0)
				return -1;
			if (cp[i] != nn)
				continue;
			uint32_t q = delta;
			for (uint32_t k = 36;; k += 36) {
				uint32_t t = k <= bias ? 1 : k >= bias + 26 ? 26 : k - bias;
				if (q < t)
					break;
				if (o + 1 >= cap)
					return -1;
				out[o++] = puny_digit(t + (q - t) % (36 - t));
				q = (q - t) / (36 - t);
			}
			if (o + 1 >= cap)
				return -1;
			out[o++] = puny_digit(q);
			bias = puny_adapt(delta, (uint32_t)h + 1, h == b);
			delta = 0;
			h++;
		}
		delta++;
		nn++;
	}
	return (int)o;
}

/* One UTF-8 code point from s[*i..n): it, or -1 (invalid, overlong, surrogate). */
static int32_t utf8_next(const uint8_t *s, size_t n, size_t *i)
{
	uint8_t c = s[*i];
	uint32_t cp, min;
	int more;
	if (c < 0x80) {
		(*i)++;
		return c;
	} else if ((c & 0xe0) == 0xc0) {
		cp = c & 0x1f, more = 1, min = 0x80;
	} else if ((c & 0xf0) == 0xe0) {
		cp = c & 0x0f, more = 2, min = 0x800;
	} else if ((c & 0xf8) == 0xf0) {
		cp = c & 0x07, more = 3, min = 0x10000;
	} else {
		return -1;
	}
	if (*i + (size_t)more >= n)
		return -1;
	for (int k = 1; k <= more; k++) {
		if ((s[*i + (size_t)k] & 0xc0) != 0x80)
			return -1;
		cp = cp << 6 | (s[*i + (size_t)k] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return -1;
	*i += (size_t)more + 1;
	return (int32_t)cp;
}

static int ldh(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/* The general path: non-ASCII labels (punycode), names over 253 bytes of input. */
static int domain_norm_slow(const char *in, size_t len, char *out)
{
	const uint8_t *s = (const uint8_t *)in;
	size_t o = 0, labels = 0;
	if (len && s[len - 1] == '.')
		len--;
	if (!len || len > 4 * FEED_NAME_MAX)
		return -1;
	size_t i = 0;
	while (i <= len) {
		size_t start = i;
		int ascii = 1;
		while (i < len && s[i] != '.') {
			if (s[i] >= 0x80)
				ascii = 0;
			i++;
		}
		size_t ll = i - start;
		if (ll == 0)
			return -1;
		if (o)
			out[o++] = '.';
		if (ascii) {
			if (ll > 63 || o + ll > FEED_NAME_MAX)
				return -1;
			for (size_t k = start; k < i; k++) {
				uint8_t c = s[k];
				if (c >= 'A' && c <= 'Z')
					c = (uint8_t)(c + 32);
				if (!ldh(c))
					return -1;
				out[o++] = (char)c;
			}
		} else {
			uint32_t cp[64];
			size_t ncp = 0, k = start;
			while (k < i) {
				int32_t c = utf8_next(s, i, &k);
				if (c < 0 || ncp == 64)
					return -1;
				if (c >= 'A' && c <= 'Z')
					c += 32;
				if (c < 0x80 && !ldh((uint8_t)c))
					return -1;
				cp[ncp++] = (uint32_t)c;
			}
			char lab[64];
			int pl = puny_encode(cp, ncp, lab, sizeof lab);
			if (pl < 0 || pl > 63 || o + (size_t)pl > FEED_NAME_MAX)
				return -1;
			memcpy(out + o, lab, (size_t)pl);
			o += (size_t)pl;
		}
		labels++;
		if (i == len)
			break;
		i++;
	}
	if (labels < 2)
		return -1;
	out[o] = 0;
	return (int)o;
}

/*
 * The name scanner: ASCII names, the path nearly every name takes, checked
 * a block of W bytes at a time, with SSE2 (every amd64) or else in a 64-bit
 * word (SWAR).  A block's masks hold a bit for each of its bytes, byte k's
 * at bit k * W_STEP.  Loads go through memcpy or unaligned loads: any
 * alignment, and byte 0 is the first byte on every host.  FEED_SSE2=0
 * builds the word path on amd64 too (`make O=build/nosse
 * CPPFLAGS=-DFEED_SSE2=0`); the unit tests run against it as
 * tests/test_feed_nosse.
 */
#ifndef FEED_SSE2
/*
 * At -Os, a router's build, x86 too takes the word path: the SSE2 and
 * SSSE3 paths are speed alone, and would cost an amd64 tipd at -Os 29 KB
 * (229,016 bytes stripped against 200,344); tip on the analysis host is
 * built at -O2.
 */
#if defined(__SSE2__) && !defined(__OPTIMIZE_SIZE__)
#define FEED_SSE2 1
#else
#define FEED_SSE2 0
#endif
#endif

/*
 * The paths that cost code for speed alone (name_head, ip4_lines) are left
 * out of a portable build at -Os, a router's, where their ~2 KB (armhf)
 * would take the page that tipd's size budget has left: there the general
 * paths take those names and lines.  tests/test_feed_nosse_os is that build.
 */
#if FEED_SSE2 || !defined(__OPTIMIZE_SIZE__)
#define FEED_FAST 1
#define FAST_INLINE inline __attribute__((always_inline))
#else
#define FEED_FAST 0
#define FAST_INLINE
#endif

enum { S_CTL, S_PATH, S_CTL_HASH };	/* scan_to's stops (S_CTL_HASH: FEED_FAST only) */

struct wmask {
	uint64_t name;	/* letters, digits, '-', '_', '.' */
	uint64_t dot;
	uint64_t upper;
};

#if FEED_SSE2
#include <emmintrin.h>
#define W 16
#define W_STEP 1
#define W_ALL 0xffffu

/*
 * A block's name bytes (letters, digits, '-', '_', '.') and its letters
 * (*letter), each byte range [lo, lo + n) one signed compare of the byte
 * moved to the bottom of the signed range: x - lo + 0x80 < n - 0x80.  The
 * move is one-to-one, so only the range's bytes (all ASCII) pass.
 * w_class and name_blk both class names by it.
 */
static inline __attribute__((always_inline)) __m128i w_name(__m128i x, __m128i *letter)
{
#define W_IN(v, lo, n) _mm_cmplt_epi8(_mm_add_epi8(v, _mm_set1_epi8((char)(0x80 - (lo)))), \
				      _mm_set1_epi8((char)(0x80 + (n))))
	*letter = W_IN(_mm_or_si128(x, _mm_set1_epi8(0x20)), 'a', 26);	/* A-Z folded on a-z */
	__m128i ldd = _mm_andnot_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('/')), W_IN(x, '-', 13));
#undef W_IN
	return _mm_or_si128(_mm_or_si128(*letter, ldd), _mm_cmpeq_epi8(x, _mm_set1_epi8('_')));
}

static inline __attribute__((always_inline)) void w_class(const uint8_t *s, struct wmask *m)
{
	__m128i x = _mm_loadu_si128((const __m128i *)(const void *)s), letter;
	m->name = (unsigned)_mm_movemask_epi8(w_name(x, &letter));
	m->dot = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_set1_epi8('.')));
	m->upper = (unsigned)_mm_movemask_epi8(_mm_and_si128(letter,
							      _mm_cmplt_epi8(x, _mm_set1_epi8('a'))));
}

/* The stops of a URL scan (scan_to): S_CTL or S_PATH bytes (inlined: which is a constant). */
static inline __attribute__((always_inline)) uint64_t w_stops(const uint8_t *s, int which)
{
	__m128i x = _mm_loadu_si128((const __m128i *)(const void *)s), m;
	if (which == S_CTL || (FEED_FAST && which == S_CTL_HASH)) {
		m = _mm_or_si128(_mm_cmpeq_epi8(_mm_min_epu8(x, _mm_set1_epi8(0x20)), x),
				 _mm_cmpeq_epi8(x, _mm_set1_epi8(0x7f)));	/* <= 0x20, DEL */
		if (FEED_FAST && which == S_CTL_HASH)
			m = _mm_or_si128(m, _mm_cmpeq_epi8(x, _mm_set1_epi8('#')));
	} else
		m = _mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('/')),
				 _mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('?')),
					      _mm_cmpeq_epi8(x, _mm_set1_epi8('#'))));
	return (unsigned)_mm_movemask_epi8(m);
}
#else
#define W 8
#define W_STEP 8
#define W_ONES 0x0101010101010101u
#define W_HIGH 0x8080808080808080u
#define W_ALL W_ONES

/*
 * Byte-wise arithmetic that cannot carry from one byte into the next: with
 * the high bits cleared (y, each byte 0..0x7f), y + (0x80 - c) sets a
 * byte's high bit when it is >= c.  As those masks of sorted bounds are
 * nested, the XOR of a run of them is the union of the ranges they
 * bound: one addition and one XOR a bound.  The masks keep the high bit
 * of each byte; shifted down by 7, byte k's bit is bit 8k.
 */
static uint64_t w_ge(uint64_t y, uint8_t c)
{
	return y + (uint64_t)(0x80 - c) * W_ONES;
}

static uint64_t w_load(const uint8_t *s)
{
	uint64_t x;
	memcpy(&x, s, 8);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	x = __builtin_bswap64(x);
#endif
	return x;
}

static void w_class(const uint8_t *s, struct wmask *m)
{
	uint64_t x = w_load(s);
	uint64_t y = x & ~W_HIGH, keep = ~x & W_HIGH;	/* no byte of 0x80 and over */
	uint64_t dash = w_ge(y, '-'), slash = w_ge(y, '/'), up = w_ge(y, 'A') ^ w_ge(y, '[');
	/* [0x2d, 0x2f) [0x30, 0x3a) [0x41, 0x5b) [0x5f, 0x60) [0x61, 0x7b) */
	uint64_t name = dash ^ slash ^ w_ge(y, '0') ^ w_ge(y, ':') ^ up ^ w_ge(y, '_') ^
		w_ge(y, '`') ^ w_ge(y, 'a') ^ w_ge(y, '{');
	m->name = (name & keep) >> 7;
	m->dot = ((w_ge(y, '.') ^ slash) & W_HIGH) >> 7;
	m->upper = (up & W_HIGH) >> 7;
}

/* The stops of a URL scan (scan_to): S_CTL or S_PATH bytes. */
static uint64_t w_stops(const uint8_t *s, int which)
{
	uint64_t x = w_load(s), y = x & ~W_HIGH, m;
	if (which == S_CTL)
		m = ~w_ge(y, 0x21) ^ w_ge(y, 0x7f);	/* [0, 0x21) [0x7f, 0x80) */
	else if (FEED_FAST && which == S_CTL_HASH)
		m = ~w_ge(y, 0x21) ^ w_ge(y, 0x7f) ^ w_ge(y, '#') ^ w_ge(y, '$');
	else
		m = w_ge(y, '#') ^ w_ge(y, '$') ^ w_ge(y, '/') ^ w_ge(y, '0') ^ w_ge(y, '?') ^
		    w_ge(y, '@');
	return (m & ~x & W_HIGH) >> 7;
}
#endif

/*
 * Where the first stop of s[0..n) is, or n: S_CTL, a byte that ends or
 * spoils a URL (0x00-0x20, DEL); S_PATH, one that ends its authority
 * (/ ? #); with FEED_FAST, S_CTL_HASH: S_CTL's and '#'.  The last short
 * block is the W bytes ending at s + n.  With
 * FEED_FAST, url_lines' copy (scan_line) is inlined, its stops a constant.
 */
#if FEED_FAST
static inline __attribute__((always_inline)) size_t scan_line(const uint8_t *s, size_t n, int which)
#else
#define scan_line scan_to
static size_t scan_to(const uint8_t *s, size_t n, int which)
#endif
{
	size_t i = 0;
	for (; i + W <= n; i += W) {
		uint64_t m = w_stops(s + i, which);
		if (m)
			return i + (size_t)__builtin_ctzll(m) / W_STEP;
	}
	if (i == n)
		return n;
	if (n >= W) {
		uint64_t m = w_stops(s + n - W, which) >> ((W - (n - i)) * W_STEP);
		return m ? i + (size_t)__builtin_ctzll(m) / W_STEP : n;
	}
	if (which == S_CTL || (FEED_FAST && which == S_CTL_HASH))
		while (i < n && s[i] > 0x20 && s[i] != 0x7f && (which == S_CTL || s[i] != '#'))
			i++;
	else
		while (i < n && !(cls[s[i]] & C_PATH))
			i++;
	return i;
}

#if FEED_FAST
static size_t scan_to(const uint8_t *s, size_t n, int which)
{
	return scan_line(s, n, which);
}
#endif

/* The masks of bytes 0..k-1 (k < W). */
static uint64_t w_below(size_t k)
{
	return ((uint64_t)1 << (k * W_STEP)) - 1;
}

#if FEED_SSE2
/*
 * One block of 16 name bytes: the mask of name bytes (letters, digits,
 * '-', '_', '.'), *dot that of the dots, and the bytes lower-cased in out.
 */
static inline __attribute__((always_inline)) uint32_t
name_blk(const uint8_t *s, char *out, uint32_t *dot)
{
	__m128i x = _mm_loadu_si128((const __m128i *)(const void *)s), letter;
	__m128i name = w_name(x, &letter);
	_mm_storeu_si128((__m128i *)(void *)out,
			 _mm_or_si128(x, _mm_and_si128(letter, _mm_set1_epi8(0x20))));
	*dot = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_set1_epi8('.')));
	return (uint32_t)_mm_movemask_epi8(name);
}

/*
 * The common name, all of it and the byte after it within the 16 * blocks
 * bytes at s (2 or 4 blocks, which may be read), checked in one pass of
 * the blocks: a dot, no empty label, a last label that is not all digits
 * (as an address has), and a byte of stops or a blank after it.  Its
 * length with a final dot, *n without, and its bytes lower-cased in out
 * (16 * blocks written; NUL-terminated at *n); 0 for no name, which the
 * general path would find too (the same run, the same byte after it); or
 * NAME_LONG for the general path to read a longer run.
 */
#define NAME_LONG ((size_t)-1)
static inline __attribute__((always_inline)) size_t
name_head(const uint8_t *s, unsigned stops, char *out, size_t *n, const int blocks)
{
	uint64_t name = 0, dot = 0;
#pragma GCC unroll 4
	for (int h = 0; h < blocks; h++) {
		uint32_t d;
		name |= (uint64_t)name_blk(s + 16 * h, out + 16 * h, &d) << 16 * h;
		dot |= (uint64_t)d << 16 * h;
	}
	uint64_t stop = ~name & (blocks == 4 ? ~(uint64_t)0 : 0xffffffffu);
	if (!stop)
		return NAME_LONG;
	unsigned i = (unsigned)__builtin_ctzll(stop), k = i;
	dot &= ((uint64_t)1 << i) - 1;
	if ((dot & (dot << 1 | 1)) || (stops != C_AFTER_OK && !(cls[s[i]] & (stops | C_BLANK))))
		return 0;	/* an empty label; a byte no word ends at */
	if (k && (dot >> (k - 1) & 1))
		dot &= ~((uint64_t)1 << --k);	/* a final dot */
	if (!dot)
		return 0;	/* one label */
	unsigned j = 64 - (unsigned)__builtin_clzll(dot);	/* the last label: s[j..k), not empty */
	if (s[j] - 48u <= 9) {
		while (j < k && s[j] - 48u <= 9)
			j++;
		if (j == k)
			return 0;	/* all digits */
	}
	out[k] = 0;
	*n = k;
	return i;
}

/*
 * name_head over the 32 bytes at s, then, for a longer run, over 64 when
 * left allows: NAME_LONG when neither finds the name's end.
 */
static inline __attribute__((always_inline)) size_t
name_fast(const uint8_t *s, size_t left, unsigned stops, char *out, size_t *n)
{
	size_t i = NAME_LONG;
	if (left >= 32 && (i = name_head(s, stops, out, n, 2)) == NAME_LONG && left >= 64)
		i = name_head(s, stops, out, n, 4);
	return i;
}
#endif

/* What name_run found. */
struct name_run {
	size_t dots, lab;	/* lab: where the last label starts */
	int bad;	/* an empty label, or one of more than 63 bytes, before the last */
	int upper;	/* an upper-case letter */
};

/*
 * The run of name bytes that s[0..n) starts with: its length.  back: how
 * many bytes before s may be read too.  A block that would pass s + n is
 * read as the W bytes ending there when they may be read (its masks
 * shifted down), else from a copy.
 */
static size_t name_run(const uint8_t *s, size_t n, size_t back, struct name_run *nr)
{
	size_t i = 0, lab = 0, dots = 0;
	uint64_t upper = 0;
	nr->bad = 0;
	while (i < n) {
		struct wmask m;
		uint8_t t[W];
		const uint8_t *blk = s + i;
		size_t r = n - i, k, shift = 0;
		if (r < W && back + i >= W - r) {
			blk = s + n - W;
			shift = (W - r) * W_STEP;
		} else if (r < W) {
			memset(t, 0, sizeof t);	/* a NUL stops the run */
			memcpy(t, s + i, r);
			blk = t;
		}
		w_class(blk, &m);	/* (one call: inlined, its constants kept) */
		m.name >>= shift;
		m.dot >>= shift;
		m.upper >>= shift;
		/* (in a short block, the bytes past s + n read as none) */
		uint64_t stop = ~m.name & W_ALL;
		k = stop ? (size_t)__builtin_ctzll(stop) / W_STEP : W;	/* name bytes here */
		if (k < W) {
			m.dot &= w_below(k);
			m.upper &= w_below(k);
		}
		upper |= m.upper;
		for (; m.dot; m.dot &= m.dot - 1) {
			size_t d = i + (size_t)__builtin_ctzll(m.dot) / W_STEP;
			if (d == lab || d - lab > 63)
				nr->bad = 1;
			lab = d + 1;
			dots++;
		}
		i += k;
		if (k < W)
			break;
	}
	nr->dots = dots;
	nr->lab = lab;
	nr->upper = upper != 0;
	return i;
}

#if FEED_SSE2
/*
 * name_run for a run that ends within the 64 bytes at s, cut at n, read a
 * block at a time while the blocks are all name bytes and room (the bytes
 * at s that may be read) holds the next: its length, nr filled the same
 * but for dots, 0, 1 or 2 (for more), and no label of over 63 bytes to
 * find; or NAME_LONG for name_run.
 */
static inline __attribute__((always_inline)) size_t
name_run64(const uint8_t *s, size_t n, size_t room, struct name_run *nr)
{
	uint64_t name = 0, dot = 0, upper = 0;
	for (unsigned k = 0;; k += 16) {
		struct wmask m;
		if (k == 64 || room < k + 16)
			return NAME_LONG;
		w_class(s + k, &m);
		name |= m.name << k;
		dot |= m.dot << k;
		upper |= m.upper << k;
		if (m.name != W_ALL)
			break;
	}
	size_t r = (size_t)__builtin_ctzll(~name);
	if (r > n)
		r = n;
	uint64_t below = ((uint64_t)1 << r) - 1;
	dot &= below;
	nr->bad = (dot & (dot << 1 | 1)) != 0;	/* an empty label */
	nr->dots = dot ? 1 + ((dot & (dot - 1)) != 0) : 0;
	nr->lab = dot ? 64 - (size_t)__builtin_clzll(dot) : 0;
	nr->upper = (upper & below) != 0;
	return r;
}
#endif

/* s[0..n) of a name run into out, lower-cased when it has upper case, NUL-terminated. */
static void name_copy(char *out, const uint8_t *s, size_t n, int upper)
{
	if (upper) {
		for (size_t i = 0; i < n; i++)
			out[i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] + 32 : s[i]);
	} else {
		memcpy(out, s, n);
	}
	out[n] = 0;
}

/* feed_domain_norm, with `back` bytes before in that may be read (name_run). */
static int domain_norm(const char *in, size_t len, size_t back, char *out)
{
	const uint8_t *s = (const uint8_t *)in;
	size_t whole = len;
	struct name_run nr;
	if (len && s[len - 1] == '.')
		len--;
	if (!len || len > FEED_NAME_MAX)
		return len ? domain_norm_slow(in, whole, out) : -1;
	size_t i = name_run(s, len, back, &nr);
	if (nr.bad)
		return -1;
	if (i < len)
		return s[i] >= 0x80 ? domain_norm_slow(in, whole, out) : -1;
	if (nr.lab == len || len - nr.lab > 63 || !nr.dots)
		return -1;
	name_copy(out, s, len, nr.upper);
	return (int)len;
}

int feed_domain_norm(const char *in, size_t len, char *out)
{
	return domain_norm(in, len, 0, out);
}

/* ---- addresses ----------------------------------------------------------- */

/*
 * A dotted quad (decimal, no leading zeros) that s[0..n) starts with: its
 * length, or 0.  It reads 15 bytes at most: from a copy, NUL-padded, when
 * there are fewer, so no byte is checked against the end.
 */
#if FEED_SSE2
/*
 * ip4_prefix with 16 bytes readable, from one block's masks, without a
 * branch on the parts' lengths (as good as random in a list: a branch on
 * each was most of the scalar parse's cost) and without a loop: the run of
 * digits and dots that s starts with ends within 16 bytes and holds three
 * dots, none first, last or beside another (four parts of digits); no run
 * of four digits, no part with a leading zero, none over 255.  The parts'
 * values are worked out for every byte of the block at once and read at
 * each part's last byte.  0 for anything else, where the scalar parse may
 * return a length that a digit or a dot follows, which every caller
 * refuses the same.
 */
static inline __attribute__((always_inline)) unsigned
ip4_run(__m128i x, __m128i *dv, __m128i *isdig, unsigned *dots, unsigned *dig)
{
	*dv = _mm_sub_epi8(x, _mm_set1_epi8('0'));	/* each byte less '0' */
	*isdig = _mm_cmpeq_epi8(_mm_min_epu8(*dv, _mm_set1_epi8(9)), *dv);
	*dots = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_set1_epi8('.')));
	*dig = (unsigned)_mm_movemask_epi8(*isdig);
	return (unsigned)__builtin_ctz(~(*dots | *dig));	/* 16: none in the block */
}

static inline __attribute__((always_inline)) size_t ip4_block(const uint8_t *s, uint8_t addr[4])
{
	__m128i x = _mm_loadu_si128((const __m128i *)(const void *)s), dv, isdig;
	unsigned dots, dig, end = ip4_run(x, &dv, &isdig, &dots, &dig);
	if (end - 7 > 15 - 7)
		return 0;	/* not 7 ("0.0.0.0") to 15 bytes */
	unsigned below = (1u << end) - 1;
	dots &= below;
	dig &= below;
	unsigned m = dots | 1u << end | ~0xffffu;	/* the dots, the end, then stops */
	unsigned p0 = (unsigned)__builtin_ctz(m);
	m &= m - 1;
	unsigned p1 = (unsigned)__builtin_ctz(m);
	m &= m - 1;
	unsigned p2 = (unsigned)__builtin_ctz(m);
	m &= m - 1;
	unsigned zero = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_set1_epi8('0')));
	/*
	 * Each byte's value as the last digit of a part, all 16 at once, in
	 * bytes: t, its digit and 10 times the one before (non-digits are
	 * 0), and h, the digit two before where the three are digits (the
	 * last of a part of three: no run of four passes).  A part is over
	 * 255 where h > 2, or h is 2 and t over 55; else its value h * 100 +
	 * t fits its byte.
	 */
	dv = _mm_and_si128(dv, isdig);
	__m128i d1 = _mm_slli_si128(dv, 1);
	__m128i t = _mm_add_epi8(dv, _mm_add_epi8(_mm_slli_epi16(d1, 3), _mm_slli_epi16(d1, 1)));
	__m128i h = _mm_and_si128(_mm_and_si128(_mm_slli_si128(dv, 2), _mm_slli_si128(isdig, 1)), isdig);
	__m128i two = _mm_set1_epi8(2);
	unsigned over = (unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_cmpgt_epi8(h, two),
		_mm_and_si128(_mm_cmpeq_epi8(h, two), _mm_cmpgt_epi8(t, _mm_set1_epi8(55)))));
	/* the parts' first bytes, and the bytes that end them (dots, the end) */
	unsigned first = dots << 1 | 1, ends = dots | 1u << end;
	/*
	 * An empty part: a first byte that ends one; a 0 first in a part of
	 * 2 or 3; a run of four digits; a fourth dot; a part over 255.
	 */
	if (((unsigned)__builtin_ctz(m) != end) | (first & ends) | (zero & first & ~(ends >> 1)) |
	    (dig & dig >> 1 & dig >> 2 & dig >> 3) | (over & dig))
		return 0;
	/* (h <= 2 where it counts: 100 h in its byte, no carry into the next) */
	__m128i v = _mm_add_epi8(t, _mm_add_epi8(_mm_add_epi8(_mm_slli_epi16(h, 6), _mm_slli_epi16(h, 5)),
						 _mm_slli_epi16(h, 2)));
	uint8_t b[16];
	_mm_storeu_si128((__m128i *)(void *)b, v);
	addr[0] = b[p0 - 1];
	addr[1] = b[p1 - 1];
	addr[2] = b[p2 - 1];
	addr[3] = b[end - 1];
	return end;
}
#endif

/*
 * With SSSE3, which x86-64's baseline lacks but nearly every x86-64 CPU
 * has, chosen at run time (ip4_ssse3): a dotted quad's shape, where its
 * dots and its end are, is one of 81, and a table made at start-up holds
 * for each the shuffle that moves each part's digits to a slot of its
 * own, right-aligned, and each part's least value (10 or 100 for 2 or 3
 * digits: no leading zero).  Two multiply-adds give the four values at
 * once.  The shape is found by a multiplicative hash of dots | 1 << end
 * (IP4_HASH, found by a search over odd multipliers, gives the 81 keys 81
 * of 256 slots, each slot its shape or a key of 0) and checked whole
 * against its key, which stands for every
 * check of ip4_block but the values'.  About a third of ip4_block's
 * instructions; the same lengths and addresses.
 */
#if FEED_SSE2 && (defined(__x86_64__) || defined(__i386__)) && !defined(FEED_SSSE3)
#define FEED_SSSE3 1
#endif
#ifndef FEED_SSSE3
#define FEED_SSSE3 0
#endif
#if FEED_SSSE3
#include <tmmintrin.h>
#define T_SSSE3 __attribute__((target("ssse3")))
#define IP4_HASH 0xe07bdb9fu
#define IP4_SHAPES 81
struct ip4_shape {
	uint8_t shuf[16];	/* part k's digits to bytes 4k..4k+2 (hundreds, tens, units); 0x80: none */
	int16_t min[4];		/* each part's least value */
	uint16_t key;		/* dots | 1 << end; 0 for the slots no shape has */
} __attribute__((aligned(32)));	/* (32 bytes: a slot's entry is one shift away) */
static struct ip4_shape ip4_shapes[256];	/* by slot: 8 KiB, one load from the hash */
static int ip4_ssse3;	/* the CPU has SSSE3 and the table is made */

static unsigned ip4_hash(unsigned key)
{
	return (uint32_t)(key * IP4_HASH) >> 24;
}

__attribute__((constructor)) static void ip4_shapes_init(void)
{
	for (unsigned i = 0; i < IP4_SHAPES; i++) {
		struct ip4_shape t, *sh = &t;
		unsigned pos = 0, dots = 0, q = i;
		memset(sh->shuf, 0x80, sizeof sh->shuf);
		for (unsigned k = 0; k < 4; k++, q /= 3) {
			unsigned len = q % 3 + 1;
			for (unsigned j = 0; j < len; j++)
				sh->shuf[4 * k + 3 - len + j] = (uint8_t)(pos + j);
			sh->min[k] = (int16_t)(len == 1 ? 0 : len == 2 ? 10 : 100);
			pos += len;
			if (k < 3)
				dots |= 1u << pos++;
		}
		sh->key = (uint16_t)(dots | 1u << pos);
		if (ip4_shapes[ip4_hash(sh->key)].key)
			return;	/* two shapes in a slot: ip4_block alone */
		ip4_shapes[ip4_hash(sh->key)] = t;
	}
	__builtin_cpu_init();
	ip4_ssse3 = __builtin_cpu_supports("ssse3");
}

static inline T_SSSE3 size_t ip4_block3(const uint8_t *s, uint8_t addr[4])
{
	__m128i x = _mm_loadu_si128((const __m128i *)(const void *)s), dv, isdig;
	unsigned dots, dig, end = ip4_run(x, &dv, &isdig, &dots, &dig);
	if (end - 7 > 15 - 7)
		return 0;
	unsigned key = (dots & ((1u << end) - 1)) | 1u << end;
	const struct ip4_shape *sh = &ip4_shapes[ip4_hash(key)];
	if (sh->key != key)
		return 0;
	__m128i dg = _mm_shuffle_epi8(dv, _mm_loadu_si128((const __m128i *)(const void *)sh->shuf));
	__m128i v = _mm_madd_epi16(_mm_maddubs_epi16(dg, _mm_set1_epi32(0x00010a64)),
				   _mm_set1_epi16(1));	/* 100 h + 10 t + u, each part */
	v = _mm_packs_epi32(v, v);
	__m128i low = _mm_loadl_epi64((const __m128i *)(const void *)sh->min);
	if (_mm_movemask_epi8(_mm_or_si128(_mm_cmpgt_epi16(v, _mm_set1_epi16(255)),
					   _mm_cmpgt_epi16(low, v))))
		return 0;
	uint32_t a = (uint32_t)_mm_cvtsi128_si32(_mm_packus_epi16(v, v));
	memcpy(addr, &a, 4);
	return end;
}
#endif

static size_t ip4_prefix(const char *s0, size_t n, uint8_t addr[4])
{
	const uint8_t *s = (const uint8_t *)s0;
	uint8_t t[16];
	size_t i = 0;
#if FEED_SSSE3
	if (n >= 16 && ip4_ssse3)
		return ip4_block3(s, addr);
#endif
#if FEED_SSE2
	if (n >= 16)
		return ip4_block(s, addr);
#endif
	if (n < 15) {
		memset(t, 0, sizeof t);
		memcpy(t, s0, n);
		s = t;
	}
	for (int part = 0; part < 4; part++) {
		unsigned v = (unsigned)s[i] - '0', d;
		if (v > 9)
			return 0;
		if ((d = (unsigned)s[i + 1] - '0') > 9) {
			i += 1;
		} else if (v == 0) {
			return 0;	/* a leading zero */
		} else if ((v = v * 10 + d, d = (unsigned)s[i + 2] - '0') > 9) {
			i += 2;
		} else if ((v = v * 10 + d) > 255) {
			return 0;
		} else {
			i += 3;
		}
		addr[part] = (uint8_t)v;
		if (part < 3 && s[i++] != '.')
			return 0;
	}
	return i;
}

/* Dotted-quad IPv4: 1 or 0 (the common case, without a copy). */
static int parse_ip4(const char *s, size_t n, uint8_t addr[16])
{
	memset(addr, 0, 16);
	return n >= 7 && n <= 15 && ip4_prefix(s, n, addr) == n;
}

/* s[0..n) as an IPv4 or IPv6 address: family, or 0. */
static int parse_ip(const char *s, size_t n, uint8_t addr[16])
{
	char tmp[64];
	if (n == 0 || n >= sizeof tmp)
		return 0;
	if (parse_ip4(s, n, addr))
		return 4;
	/* IPv6 has two colons at least: not "host:port" (maltrail trails) */
	const char *c1 = memchr(s, ':', n);
	if (!c1 || !memchr(c1 + 1, ':', n - (size_t)(c1 - s) - 1))
		return 0;
	memcpy(tmp, s, n);
	tmp[n] = 0;
	memset(addr, 0, 16);
	return inet_pton(AF_INET6, tmp, addr) == 1 ? 6 : 0;
}

static size_t ip_text(char *out, size_t cap, int family, const uint8_t *addr)
{
	if (family == 4 && cap >= 16) {	/* without inet_ntop's printf */
		size_t o = 0;
		for (int i = 0; i < 4; i++) {
			unsigned v = addr[i];
			if (v >= 100)
				out[o++] = (char)('0' + v / 100);
			if (v >= 10)
				out[o++] = (char)('0' + v / 10 % 10);
			out[o++] = (char)('0' + v % 10);
			if (i < 3)
				out[o++] = '.';
		}
		out[o] = 0;
		return o;
	}
	if (!inet_ntop(family == 4 ? AF_INET : AF_INET6, addr, out, (socklen_t)cap))
		return 0;
	return strlen(out);
}

/* "IP/len": 1 with e filled (IP kind when the prefix is the whole address), else 0. */
static int parse_cidr(struct feed_parser *p, const char *s, size_t n, struct feed_entry *e)
{
	const char *sl = memchr(s, '/', n);
	if (!sl)
		return 0;
	int fam = parse_ip(s, (size_t)(sl - s), e->addr);
	if (!fam)
		return 0;
	size_t dl = n - (size_t)(sl - s) - 1;
	if (dl == 0 || dl > 3)
		return 0;
	unsigned pl = 0;
	for (size_t i = 0; i < dl; i++) {
		if (sl[1 + i] < '0' || sl[1 + i] > '9')
			return 0;
		pl = pl * 10 + (unsigned)(sl[1 + i] - '0');
	}
	unsigned bits = fam == 4 ? 32 : 128;
	if (pl > bits)
		return 0;
	for (unsigned b = pl; b < bits; b++)
		e->addr[b / 8] &= (uint8_t)~(0x80u >> (b % 8));
	e->family = (uint8_t)fam;
	e->prefix = (uint8_t)pl;
	size_t l = ip_text(p->val, sizeof p->val, fam, e->addr);
	if (pl == bits) {
		e->kind = FEED_K_IP;
	} else {
		e->kind = FEED_K_CIDR;
		p->val[l++] = '/';
		if (pl >= 100)
			p->val[l++] = (char)('0' + pl / 100);
		if (pl >= 10)
			p->val[l++] = (char)('0' + pl / 10 % 10);
		p->val[l++] = (char)('0' + pl % 10);
		p->val[l] = 0;
	}
	e->value = p->val;
	e->len = l;
	return 1;
}

static int set_ip(struct feed_parser *p, const char *s, size_t n, struct feed_entry *e)
{
	int fam = parse_ip(s, n, e->addr);
	if (!fam)
		return 0;
	e->kind = FEED_K_IP;
	e->family = (uint8_t)fam;
	e->prefix = fam == 4 ? 32 : 128;
	if (FEED_FAST && fam == 4) {	/* parse_ip4 took only the canonical form */
		memcpy(p->val, s, n);
		p->val[n] = 0;
		e->len = n;
	} else {
		e->len = ip_text(p->val, sizeof p->val, fam, e->addr);
	}
	e->value = p->val;
	return 1;
}

static int set_domain(struct feed_parser *p, const char *s, size_t n, struct feed_entry *e)
{
	int l = feed_domain_norm(s, n, p->val);
	if (l < 0)
		return 0;
	e->kind = FEED_K_DOMAIN;
	e->value = p->val;
	e->len = (size_t)l;
	return 1;
}

/*
 * A URL, with or without scheme: [scheme://][user@]host[:port][rest].
 * host_only: give the host as the entry (domains format).  1 or 0.
 */
static FAST_INLINE int url_take(struct feed_parser *p, const char *s, size_t n, size_t room,
				long sl, struct feed_entry *e, int host_only, const char **why);

/* url_take out of line for set_url, whose callers (classify) it slows when inlined */
#if FEED_FAST
static __attribute__((noinline)) int url_take_call(struct feed_parser *p, const char *s, size_t n,
						   size_t room, long sl, struct feed_entry *e,
						   int host_only, const char **why)
{
	return url_take(p, s, n, room, sl, e, host_only, why);
}
#else
#define url_take_call url_take
#endif

/*
 * Where the "://" that ends the scheme of s[0..n) is, when a ':' of its
 * first 17 bytes starts one (the first such ':' of all), or -1.  With
 * FEED_FAST, url_lines' copy (scheme_line) is inlined; scheme_len, out of
 * line, is the other callers' (inlined in feed_classify, it slowed csv).
 */
#if FEED_FAST
static inline __attribute__((always_inline)) long scheme_line(const char *s, size_t n)
#else
#define scheme_line scheme_len
static long scheme_len(const char *s, size_t n)
#endif
{
	size_t m = n < 17 ? n : 17;
#if FEED_FAST
	if (n >= 8 && !memcmp(s, "http", 4)) {	/* most of them */
		if (!memcmp(s + 4, "://", 3))
			return 4;
		if (!memcmp(s + 4, "s://", 4))
			return 5;
	}
#endif
	for (const char *c = memchr(s, ':', m); c; c = memchr(c + 1, ':', (size_t)(s + m - c - 1)))
		if (c + 2 < s + n && c[1] == '/' && c[2] == '/')
			return c - s;
	return -1;
}

#if FEED_FAST
static long scheme_len(const char *s, size_t n)
{
	return scheme_line(s, n);
}
#endif

static int has_scheme(const char *s, size_t n)
{
	return scheme_len(s, n) >= 0;
}

static int set_url(struct feed_parser *p, const char *s, size_t n, struct feed_entry *e,
		   int host_only, const char **why)
{
	if (scan_to((const uint8_t *)s, n, S_CTL) < n) {
		*why = "blank or control byte in a URL";
		return 0;
	}
	return url_take_call(p, s, n, n, scheme_len(s, n), e, host_only, why);
}

/*
 * set_url of a URL without blank or control bytes, sl its scheme_len: a
 * "://" is looked for further on only when it is -1.  room: the bytes at
 * s that may be read, n or more.
 */
static FAST_INLINE int url_take(struct feed_parser *p, const char *s, size_t n, size_t room,
				long sl, struct feed_entry *e, int host_only, const char **why)
{
	size_t o = 0, i = 0;
	(void)room;	/* (read only by name_run64) */
	for (const char *c = sl < 0 ? memchr(s, ':', n) : NULL; c;
	     c = memchr(c + 1, ':', (size_t)(s + n - c - 1)))
		if (c + 2 < s + n && c[1] == '/' && c[2] == '/') {
			sl = c - s;	/* a bad scheme, too long */
			break;
		}
	if (n > FEED_VALUE_MAX - 8) {
		*why = "URL too long";
		return 0;
	}
	if (sl >= 0) {
		if (sl == 0 || sl > 16) {
			*why = "bad URL scheme";
			return 0;
		}
		if (FEED_FAST && (sl == 4 || (sl == 5 && s[4] == 's')) && !memcmp(s, "http", 4)) {
			memcpy(p->val, "https", 5);	/* (http: "://" goes over the 's') */
			o = (size_t)sl;
		}
		for (size_t k = o; k < (size_t)sl; k++) {
			char c = s[k];
			if (c >= 'A' && c <= 'Z')
				c = (char)(c + 32);
			if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
			      c == '-' || c == '.')) {
				*why = "bad URL scheme";
				return 0;
			}
			p->val[o++] = c;
		}
		memcpy(p->val + o, "://", 3);
		o += 3;
		i = (size_t)sl + 3;
	}
	size_t a0 = i, hostl, portl = 0;
	const char *port = NULL;
	uint8_t addr[16];
	int fam, same = 0;	/* same: the host's text is as it was */
#if FEED_FAST
	/*
	 * The common authority, a host of name bytes alone up to / ? # or the
	 * end: read once, by name_run (name_run64 with SSE2),
	 * where the general path below searches it for its end, '@' and ':'
	 * and then domain_norm reads the host again.  A name run that ends at
	 * any other byte is the general path's.
	 */
	{
		struct name_run nr;
		const char *hs = s + i;
		size_t max = n - i < FEED_NAME_MAX + 1 ? n - i : FEED_NAME_MAX + 1, hl;
#if FEED_SSE2
		int blk = (hl = name_run64((const uint8_t *)hs, n - i, room - i, &nr)) != NAME_LONG;
		if (!blk)
#endif
			hl = name_run((const uint8_t *)hs, max, i, &nr);
		if (i + hl == n || (cls[(uint8_t)hs[hl]] & C_PATH)) {
			size_t len = hl - (hl && hs[hl - 1] == '.');	/* without a final dot */
			/* domain_norm's checks, on the run with its final dot */
			fam = 0;
			if (hl && (uint8_t)hs[0] - 48u <= 9) {
				if (room - i >= 15) {
					/*
					 * read where it is, not copied: the byte after it is
					 * no digit or dot (16 bytes: ip4_prefix's block parse)
					 */
					memset(addr, 0, 16);
					fam = hl - 7 <= 15 - 7 &&
					      ip4_prefix(hs, room - i >= 16 ? 16 : 15, addr) == hl ? 4 : 0;
				} else {
					fam = parse_ip4(hs, hl, addr) ? 4 : 0;
				}
			}
			if (!fam && (nr.bad || !len || len > FEED_NAME_MAX || nr.dots < 1 + (len < hl) ||
				     (len == hl && (nr.lab == hl || hl - nr.lab > 63)))) {
				*why = "bad host in a URL";
				return 0;
			}
#if FEED_SSE2
			if (blk && !nr.upper) {	/* the blocks name_run64 read: no call */
				for (size_t k = 0; k < len; k += 16)
					memcpy(p->host + k, hs + k, 16);
				p->host[len] = 0;
			} else
#endif
			name_copy(p->host, (const uint8_t *)hs, len, nr.upper);
			hostl = len;
			same = len == hl && !nr.upper;
			i += hl;
			goto host;
		}
	}
#endif
	/* authority: up to / ? # (the last '@' ends the user part) */
	i += scan_to((const uint8_t *)s + i, n - i, S_PATH);
	const char *auth = s + a0;
	size_t al = i - a0;
	const char *at = NULL;
	for (const char *k = memchr(auth, '@', al); k; k = memchr(k + 1, '@', (size_t)(auth + al - k - 1)))
		at = k;
	if (at) {
		size_t ul = (size_t)(at - auth) + 1;
		memcpy(p->val + o, auth, ul);
		o += ul;
		al -= ul;
		auth = at + 1;
	}
	const char *hs = auth;
	size_t hl = al;
	if (al && auth[0] == '[') {
		const char *rb = memchr(auth, ']', al);
		if (!rb) {
			*why = "bad IPv6 literal in a URL";
			return 0;
		}
		hs = auth + 1;
		hl = (size_t)(rb - auth) - 1;
		if (rb + 1 < auth + al) {
			if (rb[1] != ':') {
				*why = "bad URL authority";
				return 0;
			}
			port = rb + 1;
		}
	} else {
		const char *c = memchr(auth, ':', al);
		if (c) {
			hl = (size_t)(c - auth);
			port = c;
		}
	}
	if (port) {
		portl = (size_t)(auth + al - port);
		for (size_t k = 1; k < portl; k++)
			if (port[k] < '0' || port[k] > '9') {
				*why = "bad port in a URL";
				return 0;
			}
	}
	/* a host outside brackets has no ':': an IPv4 address starts with a digit */
	fam = hs != auth || (hl && (uint8_t)hs[0] - 48u <= 9) ? parse_ip(hs, hl, addr) : 0;
	if (FEED_FAST && fam == 4) {	/* parse_ip4 took only the canonical form */
		memcpy(p->host, hs, hl);
		p->host[hl] = 0;
		hostl = hl;
	} else if (fam) {
		hostl = ip_text(p->host, sizeof p->host, fam, addr);
	} else {
		int l = domain_norm(hs, hl, (size_t)(hs - s), p->host);
		if (l < 0) {
			*why = "bad host in a URL";
			return 0;
		}
		hostl = (size_t)l;
	}
#if FEED_FAST
host:
#endif
	if (host_only) {
		memcpy(p->val, p->host, hostl + 1);
		e->value = p->val;
		e->len = hostl;
		if (fam) {
			e->kind = FEED_K_IP;
			e->family = (uint8_t)fam;
			e->prefix = fam == 4 ? 32 : 128;
			memcpy(e->addr, addr, 16);
		} else {
			e->kind = FEED_K_DOMAIN;
		}
		return 1;
	}
	if (FEED_FAST && same) {
		i = a0;	/* the authority is copied with the rest */
	} else {
		if (fam == 6)
			p->val[o++] = '[';
		memcpy(p->val + o, p->host, hostl);
		o += hostl;
		if (fam == 6)
			p->val[o++] = ']';
		if (port) {
			memcpy(p->val + o, port, portl);
			o += portl;
		}
	}
	memcpy(p->val + o, s + i, n - i);
	o += n - i;
	p->val[o] = 0;
	e->kind = FEED_K_URL;
	e->value = p->val;
	e->len = o;
	e->host = p->host;
	e->host_len = hostl;
	if (fam) {
		e->family = (uint8_t)fam;
		memcpy(e->addr, addr, 16);
	}
	return 1;
}

int feed_classify(struct feed_parser *p, const char *s, size_t n, struct feed_entry *e,
		  const char **why)
{
	memset(e, 0, sizeof *e);
	*why = "not a domain, IP address, CIDR or URL";
	if (n == 0) {
		*why = "empty";
		return 0;
	}
	if (has_scheme(s, n))
		return set_url(p, s, n, e, 0, why);
	if (set_ip(p, s, n, e) || parse_cidr(p, s, n, e) || set_domain(p, s, n, e))
		return 1;
	/* host/path without a scheme */
	if (memchr(s, '/', n) && !parse_ip(s, (size_t)((const char *)memchr(s, '/', n) - s),
					  e->addr))
		return set_url(p, s, n, e, 0, why);
	return 0;
}

/* ---- lines --------------------------------------------------------------- */

static int blank(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static void bad(struct feed_parser *p, const char *why)
{
	p->bad++;
	p->last_bad_line = p->lines;
	p->last_bad_why = why;
}

/*
 * Give e to the callback, want being the configured kind (p->kind): 1, 0
 * when it is not of that kind (*why), -1 when the callback stopped the
 * parser.  The line loops read p->kind once, before the loop, and stop on
 * -1 rather than read p->stopped back: the callback is a call the
 * compiler cannot see through, so each would be a load a line.
 */
static inline __attribute__((always_inline)) int emit_as(struct feed_parser *p,
							 struct feed_entry *e, const char **why,
							 int want)
{
	if (want && e->kind != want) {
		*why = "not of the configured kind";
		return 0;
	}
	e->line = p->lines;
	p->entries++;
	if (p->emit(p->arg, e) < 0) {
		p->stopped = 1;
		return -1;
	}
	return 1;
}

static int emit(struct feed_parser *p, struct feed_entry *e, const char **why)
{
	return emit_as(p, e, why, p->kind);
}

/* Take one word of the cursor (blanks before it skipped): its bytes or NULL. */
static const char *word(struct buf_rd *b, size_t *n, unsigned stops)
{
	const uint8_t *p = b->p + b->off, *e = p + buf_left(b), *w;
	unsigned end = stops | C_BLANK;
	while (p < e && (cls[*p] & C_BLANK))
		p++;
	w = p;
	while (p < e && !(cls[*p] & end))
		p++;
	b->off = (size_t)(p - b->p);	/* within the cursor: p <= e */
	*n = (size_t)(p - w);
	return p > w ? (const char *)w : NULL;
}

/*
 * name_take's general path: any length, read by name_run.
 */
static size_t name_slow(const uint8_t *s, size_t left, size_t back, unsigned stops, char *out,
			size_t *len)
{
	struct name_run nr;
	size_t max = left < FEED_NAME_MAX + 1 ? left : FEED_NAME_MAX + 1;
	size_t i = name_run(s, max, back, &nr), lab = nr.lab, dots = nr.dots;
	if (nr.bad || (i < left && !(FEED_FAST && stops == C_AFTER_OK) &&
			!(cls[s[i]] & (stops | C_BLANK))))
		return 0;
	size_t n = i;
	if (n && s[n - 1] == '.')
		n--, dots--;	/* a final dot; its label was checked at it */
	else if (n - lab > 63)
		return 0;
	if (!n || !dots || n > FEED_NAME_MAX || s[n - 1] == '.')
		return 0;
	for (size_t k = n; k > 0 && s[k - 1] != '.'; k--)
		if (s[k - 1] < '0' || s[k - 1] > '9')
			goto name;
	return 0;	/* all digits: maybe an address */
name:
	if (!nr.upper && n < 32 && left >= 32) {
		memcpy(out, s, 32);	/* a fixed size: no call; the NUL ends it */
		out[n] = 0;
	} else {
		name_copy(out, s, n, nr.upper);
	}
	*len = n;
	return i;
}

/*
 * The plain ASCII domain name that s[0..left) starts with (`back` bytes
 * before s may be read too), checked and copied into out, lower-cased
 * and NUL-terminated: where word() and feed_domain_norm would take two
 * passes.  Its length in s, *len the name's (without a final dot); or 0,
 * for the general path to take the word: a byte that is not LDH, '_' or
 * '.' before the word ends at a blank or one of stops (a URL, an IP:port,
 * non-ASCII), or a name the general path might read otherwise (no dot, an
 * all-digit last label, as an IP address has, too long, empty labels).
 */
static inline __attribute__((always_inline)) size_t
name_take(const uint8_t *s, size_t left, size_t back, unsigned stops, char *out, size_t *len)
{
#if FEED_SSE2
	size_t i = name_fast(s, left, stops, out, len);
	if (i != NAME_LONG)
		return i;
#endif
	return name_slow(s, left, back, stops, out, len);
}

/*
 * name_take at the cursor, after its blanks, into p->val and e, the cursor
 * moved past it: 1 (*w, *wl: the word as it was), or 0 with the cursor
 * after the blanks.
 */
static int dom_word(struct feed_parser *p, struct buf_rd *b, unsigned stops,
		    struct feed_entry *e, const char **w, size_t *wl)
{
	const uint8_t *s = b->p + b->off, *end = s + buf_left(b);
	while (s < end && (cls[*s] & C_BLANK))
		s++;
	b->off = (size_t)(s - b->p);
	size_t n, i = name_take(s, (size_t)(end - s), b->off, stops, p->val, &n);
	if (!i)
		return 0;
	memset(e, 0, sizeof *e);
	e->kind = FEED_K_DOMAIN;
	e->value = p->val;
	e->len = n;
	*w = (const char *)s;
	*wl = i;
	b->off += i;
	return 1;
}

/*
 * The "/len" or ":port" that s[0] ('/' or ':') starts after an address:
 * 1 to max digits, their value up to lim, in *v ("/len": 3 and 32,
 * ":port": 5 and 65535; constants, so each copy is unrolled).  The bytes
 * it takes with s[0], or 0.  It reads s[0..max], which callers pad when
 * fewer are left.  A digit may follow what it took: the caller's check of
 * the byte after the word refuses it.
 */
static inline __attribute__((always_inline)) size_t
ip4_suffix(const uint8_t *s, unsigned max, unsigned lim, unsigned *v)
{
	unsigned pv = 0, d = 0;
	for (; d < max && s[1 + d] - 48u <= 9; d++)
		pv = pv * 10 + (s[1 + d] - 48u);
	if (!d || pv > lim)
		return 0;
	*v = pv;
	return 1 + d;
}

#if FEED_SSE2
/*
 * ip4_suffix's ":port" from the 8 bytes at q (after the ':'), read as one
 * little-endian word, without a loop: the run of digits is found from a
 * mask (a byte is a digit when it is at most 9 after '0' is taken away,
 * and a borrow or carry moves only past the first byte that is not one),
 * moved to the word's top and summed in three multiplies, pairs, fours,
 * eights.  Ports are 2 to 5 digits in any mix, which the loop's end
 * mispredicted.  1 + digits with *v set, or 0.
 */
static inline __attribute__((always_inline)) size_t port_swar(const uint8_t *q, unsigned *v)
{
	uint64_t x, t, nd;
	memcpy(&x, q, 8);
	t = x - 0x3030303030303030u;
	nd = (t | (t + 0x7676767676767676u)) & 0x8080808080808080u;
	unsigned len = nd ? (unsigned)__builtin_ctzll(nd) >> 3 : 8;
	if (len - 1 > 4)
		return 0;	/* none, or more than 5 */
	t <<= 8 * (8 - len);	/* the digits at the top, zeros (leading) below */
	t = (t * 2561) >> 8 & 0x00ff00ff00ff00ffu;
	t = (t * 6553601) >> 16 & 0x0000ffff0000ffffu;
	t = (t * 42949672960001u) >> 32;
	if (t > 65535)
		return 0;
	*v = (unsigned)t;
	return 1 + len;
}
#endif

/*
 * e and p->val for the address s[0..k) (canonical, read into e->addr), its
 * word s[0..n) and prefix pl: an IP at 32 with its text as given, else a
 * CIDR, its host bits cleared, its text as given when it had none and its
 * length no leading zero.  left: the bytes readable at s (20 and more: the
 * text copied as fixed bytes, without a call).
 */
static inline __attribute__((always_inline)) void
ip4_entry(struct feed_parser *p, const uint8_t *s, size_t k, size_t n, size_t left, unsigned pl,
	  struct feed_entry *e)
{
	size_t l = k;
	e->family = 4;
	e->prefix = (uint8_t)pl;
	e->value = p->val;
	e->kind = pl == 32 ? FEED_K_IP : FEED_K_CIDR;
	if (left >= 20)
		memcpy(p->val, s, 20);	/* 18 bytes at most; the NUL below ends it */
	else
		memcpy(p->val, s, k);
	if (pl < 32) {
		uint32_t a4, host = ~(uint32_t)0 >> pl;
		memcpy(&a4, e->addr, 4);
		if (ntohl(a4) & host) {
			a4 = htonl(ntohl(a4) & ~host);
			memcpy(e->addr, &a4, 4);
			l = ip_text(p->val, sizeof p->val, 4, e->addr);
		} else if (left >= 20 && n - k == (pl >= 10 ? 3u : 2u)) {
			l = n;	/* "/len" as given */
			goto out;
		}
		p->val[l++] = '/';
		if (pl >= 10)
			p->val[l++] = (char)('0' + pl / 10);
		p->val[l++] = (char)('0' + pl % 10);
	}
out:
	p->val[l] = 0;
	e->len = l;
}

/*
 * The fast path for an IPv4 address at the cursor, with "/len" (cidr) or
 * ":port" (port) after it when the caller allows them, read in one pass
 * where word() and parse_ip would take two.  1 with e filled, or 0 with
 * the cursor after the blanks for the general path (anything else before
 * the word ends: IPv6, a name, a bad prefix).
 */
static int ip4_word(struct feed_parser *p, struct buf_rd *b, unsigned stops, int cidr, int port,
		    struct feed_entry *e, const char **w, size_t *wl)
{
	const uint8_t *s = b->p + b->off, *end = s + buf_left(b);
	while (s < end && (cls[*s] & C_BLANK))
		s++;
	b->off = (size_t)(s - b->p);
	size_t left = (size_t)(end - s);
	memset(e, 0, sizeof *e);
	size_t k = ip4_prefix((const char *)s, left, e->addr), n = k;
	if (!k)
		return 0;
	unsigned pl = 32, v;
	if (n < left && ((cidr && s[n] == '/') || (port && s[n] == ':'))) {
		uint8_t t6[6] = {0};	/* NUL-padded when fewer than 6 bytes are left */
		const uint8_t *x = s + n;
		if (left - n < sizeof t6)
			memcpy(t6, x, left - n), x = t6;
		size_t t = s[n] == '/' ? ip4_suffix(x, 3, 32, &v) : ip4_suffix(x, 5, 65535, &v);
		if (!t)
			return 0;
		if (s[n] == '/')
			pl = v;
		else
			e->port = (uint16_t)v;
		n += t;
	}
	if (n < left && !(cls[s[n]] & (stops | C_BLANK)))
		return 0;
	ip4_entry(p, s, k, n, left, pl, e);
	*w = (const char *)s;
	*wl = n;
	b->off += n;
	return 1;
}

static int is_boilerplate(const char *s, size_t n)
{
	static const char *const names[] = {
		"localhost", "localhost.localdomain", "local", "broadcasthost", "ip6-localhost",
		"ip6-loopback", "ip6-localnet", "ip6-mcastprefix", "ip6-allnodes",
		"ip6-allrouters", "ip6-allhosts", "0.0.0.0",
	};
	char c = (char)(s[0] | 0x20);
	if (n < 5 || n > 21 || (c != 'l' && c != 'b' && c != 'i' && c != '0'))
		return 0;	/* the common case: a real name */
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strlen(names[i]) == n && !strncasecmp(names[i], s, n))
			return 1;
	return 0;
}

/*
 * One CSV field of the line: column col, unquoted into out.  Its length, or
 * -1.  A field may open with a quote ("" inside is one quote); bytes after
 * the closing quote, up to the comma, are kept as they are.  Whole runs
 * between quotes and commas are found with memchr and copied at once.
 */
static long csv_field(const char *line, size_t n, unsigned col, char *out, size_t cap)
{
	size_t i = 0;	/* <= n throughout */
	for (unsigned c = 0;; c++) {
		size_t o = 0;
		int mine = c == col;
		if (i < n && line[i] == '"') {
			i++;
			for (;;) {
				const char *q = memchr(line + i, '"', n - i);
				if (!q)
					return -1;	/* unterminated quote */
				size_t qi = (size_t)(q - line);
				int twice = qi + 1 < n && line[qi + 1] == '"';
				size_t run = qi - i + (size_t)twice;	/* "" is one quote */
				if (mine) {
					if (o + run >= cap)
						return -1;
					memcpy(out + o, line + i, run);
					o += run;
				}
				i = qi + 1 + (size_t)twice;
				if (!twice)
					break;
			}
		}
		const char *cm = memchr(line + i, ',', n - i);
		size_t fe = cm ? (size_t)(cm - line) : n;
		if (mine) {
			size_t run = fe - i;
			if (o + run >= cap)
				return -1;
			memcpy(out + o, line + i, run);
			o += run;
			while (o && blank((uint8_t)out[o - 1]))
				o--;
			size_t s0 = 0;
			while (s0 < o && blank((uint8_t)out[s0]))
				s0++;
			memmove(out, out + s0, o - s0);
			out[o - s0] = 0;
			return (long)(o - s0);
		}
		if (!cm)
			return -1;	/* fewer columns */
		i = fe + 1;
	}
}

static int csv_header(struct feed_parser *p, const char *line, size_t n)
{
	char f[FEED_PATH_MAX * 2];
	for (unsigned c = 0; c < 256; c++) {
		long l = csv_field(line, n, c, f, sizeof f);
		if (l < 0)
			break;
		if (!strcasecmp(f, p->colname)) {
			p->col = c;
			p->have_header = 1;
			return 0;
		}
	}
	p->error = "csv: the column is not in the header";
	p->stopped = 1;
	return -1;
}

/* One whole line s[0..n) (in the chunk or in p->buf).  0 or -1 (stop). */
static int line(struct feed_parser *p, const char *s, size_t n)
{
	struct buf_rd b;
	struct feed_entry e;
	const char *why = "not an indicator";
	const char *w;
	size_t wl;
	int r;

	while (n && blank((uint8_t)s[n - 1]))
		n--;
	while (n && blank((uint8_t)*s))
		s++, n--;
	if (n == 0 || s[0] == '#' || (s[0] == ';' && (p->format == FEED_CIDR || p->format == FEED_IPS)) ||
	    (s[0] == '!' && p->format == FEED_DOMAINS)) {
		p->comments++;
		return 0;
	}
	buf_rd_init(&b, s, n);
	memset(&e, 0, sizeof e);
	switch (p->format) {
	case FEED_HOSTS: {
		uint8_t a[16];
		w = word(&b, &wl, C_HASH);
		if (!w)
			goto none;
		if (!(wl == 7 && !memcmp(w, "0.0.0.0", 7)) &&
		    !(wl == 9 && !memcmp(w, "127.0.0.1", 9)) && !parse_ip(w, wl, a)) {
			/* a plain list of names */
			if (is_boilerplate(w, wl)) {
				p->ignored++;
				return 0;
			}
			r = feed_classify(p, w, wl, &e, &why);
			if (r && e.kind != FEED_K_DOMAIN)
				r = 0, why = "not a domain";
			break;
		}
		int any = 0;
		for (;;) {
			int fast = dom_word(p, &b, C_HASH, &e, &w, &wl);
			if (!fast && !(w = word(&b, &wl, C_HASH)))
				break;
			any = 1;
			if (is_boilerplate(w, wl)) {
				p->ignored++;
				continue;
			}
			if (!fast)
				memset(&e, 0, sizeof e);
			if (!fast && !set_domain(p, w, wl, &e)) {
				bad(p, "not a domain name");
				continue;
			}
			int er = emit(p, &e, &why);
			if (er < 0)
				return -1;
			if (er == 0)
				bad(p, why);
		}
		if (!any) {
			bad(p, "address without a name");
		}
		return 0;
	}
	case FEED_DOMAINS:
		if (dom_word(p, &b, C_HASH, &e, &w, &wl)) {
			r = 1;
			break;
		}
		w = word(&b, &wl, C_HASH);
		if (!w)
			goto none;
		if (has_scheme(w, wl) || memchr(w, '/', wl))
			r = set_url(p, w, wl, &e, 1, &why);
		else if ((r = set_ip(p, w, wl, &e)) == 0)
			r = set_domain(p, w, wl, &e), why = "not a domain name";
		break;
	case FEED_IPS:
	case FEED_CIDR:
		if (ip4_word(p, &b, C_HASH | C_SEMI | C_COMMA, 1, 0, &e, &w, &wl)) {
			r = 1;
			break;
		}
		w = word(&b, &wl, C_HASH | C_SEMI | C_COMMA);
		if (!w)
			goto none;
		r = set_ip(p, w, wl, &e) || parse_cidr(p, w, wl, &e);
		why = "not an IP address or CIDR";
		break;
	case FEED_IPSUM: {
		r = ip4_word(p, &b, C_HASH, 0, 0, &e, &w, &wl);
		if (!r) {
			w = word(&b, &wl, C_HASH);
			if (!w)
				goto none;
			r = set_ip(p, w, wl, &e);
		}
		why = "not an IP address";
		if (r) {
			size_t cl;
			const char *c = word(&b, &cl, C_HASH);
			uint64_t v = 0;
			if (!c || cl > 9)
				r = 0, why = "no count after the address";
			for (size_t k = 0; r && k < cl; k++) {
				if (c[k] < '0' || c[k] > '9')
					r = 0, why = "count is not a number";
				v = v * 10 + (uint64_t)(c[k] - '0');
			}
			e.count = v;
		}
		break;
	}
	case FEED_URLS:
		w = word(&b, &wl, 0);
		if (!w)
			goto none;
		if (has_scheme(w, wl) || memchr(w, '/', wl)) {
			r = set_url(p, w, wl, &e, 0, &why);
		} else {
			r = set_ip(p, w, wl, &e) || set_domain(p, w, wl, &e);
			why = "not a URL";
		}
		break;
	case FEED_TRAILS: {
		if (ip4_word(p, &b, C_HASH, 1, 1, &e, &w, &wl) ||
		    dom_word(p, &b, C_HASH, &e, &w, &wl)) {
			r = 1;
			break;
		}
		w = word(&b, &wl, C_HASH);
		if (!w)
			goto none;
		const char *colon = memchr(w, ':', wl);
		if (has_scheme(w, wl)) {
			r = set_url(p, w, wl, &e, 0, &why);
		} else if (set_ip(p, w, wl, &e) || parse_cidr(p, w, wl, &e)) {
			r = 1;
		} else if (colon && !memchr(w, '/', wl) && memchr(colon + 1, ':', wl - (size_t)(colon - w) - 1) == NULL) {
			size_t pl = wl - (size_t)(colon - w) - 1;
			unsigned port = 0;
			r = pl > 0 && pl <= 5;
			for (size_t k = 0; r && k < pl; k++) {
				if (colon[1 + k] < '0' || colon[1 + k] > '9')
					r = 0;
				port = port * 10 + (unsigned)(colon[1 + k] - '0');
			}
			if (r && port <= 65535 && set_ip(p, w, (size_t)(colon - w), &e))
				e.port = (uint16_t)port;
			else if (r && port <= 65535 && set_domain(p, w, (size_t)(colon - w), &e))
				e.port = (uint16_t)port;
			else
				r = 0;
			why = "bad host:port trail";
		} else if (w[0] == '/') {
			r = 0, why = "a path without a host (matches any host; not kept)";
		} else if (memchr(w, '/', wl)) {
			r = set_url(p, w, wl, &e, 0, &why);
		} else {
			r = set_domain(p, w, wl, &e);
			why = "not a trail";
		}
		break;
	}
	case FEED_CSV: {
		if (p->col_by_name && !p->have_header)
			return csv_header(p, s, n);
		/* the field goes to its own buffer: classify writes p->val */
		long l = csv_field(s, n, p->col, p->fld, sizeof p->fld);
		if (l < 0) {
			r = 0, why = "csv: no such column, bad quoting or field too long";
			break;
		}
		r = feed_classify(p, p->fld, (size_t)l, &e, &why);
		if (!r && !p->col_by_name && !p->have_header) {
			p->have_header = 1;	/* a header row above numbered columns */
			p->comments++;
			return 0;
		}
		p->have_header = 1;
		break;
	}
	default:
		r = 0;
		break;
	}
	if (!r) {
		bad(p, why);
		return 0;
	}
	if (emit(p, &e, &why) == 0)
		bad(p, why);
	return p->stopped ? -1 : 0;
none:
	bad(p, "no indicator on the line");
	return 0;
}

/*
 * An ipsum line's count, at d[k..avail) after its address: blanks, 1 to 9
 * digits (in *v), then a blank, '#' or the newline.  Where it ends, or 0.
 */
static size_t ipsum_count(const uint8_t *d, size_t k, size_t avail, uint64_t *v)
{
	size_t c0;
	uint64_t x = 0;
	while (k < avail && (cls[d[k]] & C_BLANK))
		k++;
	for (c0 = k; k < avail && k - c0 < 10 && d[k] - 48u <= 9; k++)
		x = x * 10 + (d[k] - 48u);
	if (k == c0 || k - c0 > 9 || k >= avail || !(cls[d[k]] & (C_HASH | C_NL | C_BLANK)))
		return 0;
	*v = x;
	return k;
}

/*
 * fast_line's URLs alone on their lines, d[0..avail): no blank or control
 * byte before the newline, and for urls a scheme or a '/'; for trails no
 * '#' (where its word would end) and a scheme, or with FEED_FAST a '/',
 * no ':' and a letter first (no address, no host:port): so that line()
 * would give the line to set_url whole.  With FEED_FAST the run of such
 * lines is taken in one loop (for trails, after the first, those that do
 * not start with a digit, which ip4_lines and ip4_word might take), else
 * the first.  What it took (whole lines), or 0.
 */
static FAST_INLINE size_t url_lines_of(struct feed_parser *p, const uint8_t *d, size_t avail,
				       int trails)
{
	struct feed_entry e;
	const char *why = NULL;
	const int want = p->kind;
	size_t off = 0;
	do {
		const char *w = (const char *)d + off;
		size_t left = avail - off;
		/* trails: a '#' ends the scan, and the line is refused as it is no '\n' */
		size_t n = scan_line((const uint8_t *)w, left < FEED_LINE_MAX ? left : FEED_LINE_MAX,
				     FEED_FAST && trails ? S_CTL_HASH : S_CTL);
		if (n == 0 || n >= left || w[n] != '\n' || w[0] == '#')
			break;
		long sl = scheme_line(w, n);
		if (!trails ? sl < 0 && !memchr(w, '/', n)
		    : (!FEED_FAST && memchr(w, '#', n)) || (sl >= 0 ? off && (uint8_t)w[0] - 48u <= 9
					: !FEED_FAST || ((uint8_t)w[0] | 0x20) - 97u > 25 ||
					  !memchr(w, '/', n) || memchr(w, ':', n)))
			break;
		memset(&e, 0, sizeof e);
		p->lines++;
		int r = !url_take(p, w, n, left, sl, &e, 0, &why) ? 0
			: FEED_FAST ? emit_as(p, &e, &why, want) : emit(p, &e, &why);
		if (r == 0)
			bad(p, why);
		off += n + 1;
		if (r < 0)
			break;
	} while (FEED_FAST);
	return off;
}

/* url_lines_of, with FEED_FAST a copy for each format. */
static size_t url_lines(struct feed_parser *p, const uint8_t *d, size_t avail)
{
	if (FEED_FAST && p->format == FEED_TRAILS)
		return url_lines_of(p, d, avail, 1);
	return url_lines_of(p, d, avail, !FEED_FAST && p->format == FEED_TRAILS);
}

/*
 * The common line, read where it lies in the chunk d[0..avail) (the rest
 * of it) before its end is looked for: one word that a fast path takes
 * (dom_word, ip4_word) ending at the newline, or for the formats that read
 * one word a line, at a blank or comment with the newline after it; for
 * hosts "0.0.0.0 name".  The line's length with its newline when it took
 * it, or 0, having counted nothing, for line() to take it.  Like any
 * line, one of more than FEED_LINE_MAX bytes is line()'s.
 */
static size_t fast_line(struct feed_parser *p, const uint8_t *d, size_t avail)
{
	struct buf_rd b;
	struct feed_entry e;
	const char *w, *why = "not an indicator";
	size_t wl;
	int ok;
	buf_rd_init(&b, d, avail);
	switch (p->format) {
	case FEED_HOSTS:
		if (avail < 8 || memcmp(d, "0.0.0.0 ", 8))
			return 0;
		b.off = 8;
		if (!dom_word(p, &b, C_NL, &e, &w, &wl))
			return 0;
		if (b.off < avail && d[b.off] == '\r')
			b.off++;
		if (b.off >= avail || d[b.off] != '\n')
			return 0;	/* another name, a comment, a blank */
		p->lines++;
		if (is_boilerplate(w, wl))
			p->ignored++;
		else if (emit(p, &e, &why) == 0)
			bad(p, why);
		return b.off + 1;
	case FEED_DOMAINS:
		ok = dom_word(p, &b, C_HASH | C_NL, &e, &w, &wl);
		break;
	case FEED_IPS:
	case FEED_CIDR:
		ok = ip4_word(p, &b, C_HASH | C_SEMI | C_COMMA | C_NL, 1, 0, &e, &w, &wl);
		break;
	case FEED_IPSUM: {
		if (!ip4_word(p, &b, C_HASH, 0, 0, &e, &w, &wl))
			return 0;
		/* the count: word() and line()'s digit check in one loop */
		size_t k = ipsum_count(d, b.off, avail, &e.count);
		if (!k)
			return 0;
		b.off = k;
		ok = 1;
		break;
	}
	case FEED_TRAILS:
		if (d[0] == '\n' || d[0] == '#')
			return 0;	/* (every path below refuses them) */
		ok = ip4_word(p, &b, C_HASH | C_NL, 1, 1, &e, &w, &wl) ||
		     dom_word(p, &b, C_HASH | C_NL, &e, &w, &wl);
		if (!ok)
			return url_lines(p, d, avail);
		break;
	case FEED_URLS:
		return url_lines(p, d, avail);
	default:
		return 0;
	}
	if (!ok || b.off >= avail)
		return 0;
	size_t n = b.off;
	if (d[n] != '\n') {
		/* the rest of the line is not read: a blank or comment after the word */
		const uint8_t *nl = memchr(d + n, '\n', avail - n);
		if (!nl || (size_t)(nl - d) > sizeof p->buf)
			return 0;
		n = (size_t)(nl - d);
	}
	p->lines++;
	if (emit(p, &e, &why) == 0)
		bad(p, why);
	return n + 1;
}

#if FEED_FAST
#if FEED_SSE2
/* The newlines of the 64 bytes at s, byte k's at bit k. */
static inline __attribute__((always_inline)) uint64_t nl_mask64(const uint8_t *s)
{
	uint64_t m = 0;
#pragma GCC unroll 4
	for (int h = 0; h < 4; h++) {
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)(s + 16 * h));
		m |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_set1_epi8('\n')))
		     << 16 * h;
	}
	return m;
}
#endif

/*
 * ips, cidr, ipsum and trails: the run of common lines at d, an IPv4
 * address (with "/len" but for ipsum, ":port" for trails, an ipsum line's
 * count) and the newline, or a blank or comment and then the newline,
 * taken in one loop with one entry, where fast_line would go through the
 * word's fast path and the switch for each; the address read by
 * ip4_block with SSE2.  What it took (whole lines), up to the first line
 * it does not take: fast_line's and line()'s.
 */
static inline __attribute__((always_inline)) size_t
ip4_lines_of(struct feed_parser *p, const uint8_t *d, size_t avail, int fmt, int blk3)
{
	struct feed_entry e;
	const char *why = NULL;
	const int want = p->kind;
	size_t off = 0;
	unsigned stops = fmt == FEED_IPS || fmt == FEED_CIDR ? C_HASH | C_SEMI | C_COMMA | C_BLANK
							      : C_HASH | C_BLANK;
	struct feed_entry de;	/* trails: a name's */
	memset(&e, 0, sizeof e);
	memset(&de, 0, sizeof de);
	de.kind = FEED_K_DOMAIN;
	de.value = p->val;
#if FEED_SSE2
	size_t wb = 0;
	uint64_t nls = 0;	/* the newlines from wb on */
#endif
	while (avail - off > 20) {
		const uint8_t *s = d + off;
		size_t left = avail - off;
		if (fmt == FEED_TRAILS && s[0] - 48u > 9) {
			/*
			 * trails' other common lines: a blank line, a comment
			 * (as line() counts them) and a name alone on its line
			 * (as fast_line's dom_word takes it), without a return
			 * to lines_feed for each.
			 */
			const uint8_t *q;
			size_t i = 0;	/* where the line's newline is */
			int name = s[0] != '\n' && s[0] != '#';
			if (s[0] == '#') {
				if (!(q = memchr(s, '\n', left)) || (size_t)(q - s) > sizeof p->buf)
					break;
				i = (size_t)(q - s);
			} else if (name) {
				i = name_take(s, left, off, C_HASH | C_NL, p->val, &de.len);
				if (!i || i >= left || s[i] != '\n')
					break;	/* (a name up to the chunk's end is lines_feed's) */
			}
			p->lines++;
			off += i + 1;
			int r = 1;
			if (!name)
				p->comments++;
			else if ((r = emit_as(p, &de, &why, want)) == 0)
				bad(p, why);
			if (r < 0)
				break;
			continue;
		}
#if FEED_SSSE3
		size_t k = blk3 ? ip4_block3(s, e.addr) : ip4_block(s, e.addr), n = k;
#elif FEED_SSE2
		size_t k = ip4_block(s, e.addr), n = k;
		(void)blk3;
#else
		(void)blk3;
		size_t k = ip4_prefix((const char *)s, left, e.addr), n = k;
#endif
		if (!k)
			break;
		unsigned pl = 32, v;
		if (fmt == FEED_TRAILS)
			e.port = 0;
		/* 6 bytes readable at s + n: n <= 15 */
		if (s[n] == '/' && fmt != FEED_IPSUM) {
			size_t t = ip4_suffix(s + n, 3, 32, &pl);
			if (!t)
				break;
			n += t;
		} else if (s[n] == ':' && fmt == FEED_TRAILS) {
#if FEED_SSE2
			size_t t = left >= 24 ? port_swar(s + n + 1, &v) : ip4_suffix(s + n, 5, 65535, &v);
#else
			size_t t = ip4_suffix(s + n, 5, 65535, &v);
#endif
			if (!t)
				break;
			e.port = (uint16_t)v;
			n += t;
		} else if (fmt == FEED_IPSUM) {
			/* the common count, a tab and one or two digits, read here */
			unsigned c1 = s[n + 1] - 48u, c2 = s[n + 2] - 48u;
			if (s[n] == '\t' && c1 <= 9 && (s[n + 2] == '\n' || (c2 <= 9 && s[n + 3] == '\n'))) {
				unsigned two = s[n + 2] != '\n';
				e.count = two ? c1 * 10 + c2 : c1;
				n += 2 + two;
			} else if (!(cls[s[n]] & C_BLANK) || !(n = ipsum_count(s, n, left, &e.count))) {
				break;
			}
		}
		size_t nl = n;
		if (fmt != FEED_IPS && n >= left)
			break;	/* (ips: n <= 19, within the 21 bytes) */
		if (s[n] != '\n') {
			const uint8_t *q;
			if (!(cls[s[n]] & stops))
				break;
#if FEED_SSE2
			/*
			 * A comment: the line's end from a mask of the newlines
			 * of 64 bytes, kept for the lines after it, so the next
			 * line's start does not wait for this one's word and
			 * search (as in dom_lines_of; a line without one ends at
			 * the word, sooner than a mask).
			 */
			uint64_t m = off - wb < 64 ? nls >> (off - wb) : 0;
			if (!m && left > 64) {
				wb = off;
				nls = m = nl_mask64(s);
			}
			if (m)
				nl = (size_t)__builtin_ctzll(m);
			else
#endif
			if (!(q = memchr(s + n, '\n', left - n)) || (size_t)(q - s) > sizeof p->buf)
				break;
			else
				nl = (size_t)(q - s);
		}
		ip4_entry(p, s, k, n, left, pl, &e);
		off += nl + 1;
		p->lines++;
		int r = emit_as(p, &e, &why, want);
		if (r == 0)
			bad(p, why);
		else if (r < 0)
			break;
	}
	return off;
}

/*
 * domains and hosts: the run of lines at d that hold a name and the
 * newline ("0.0.0.0 name" for hosts, which may end in CR LF), taken in one
 * loop with one entry, as ip4_lines_of takes addresses; the name checked
 * and copied by name_take.  With SSE2, where each line ends comes from a
 * mask of the newlines of 64 bytes, so the next line's start does not wait
 * for this one's checks (hosts 0.35x to 0.37x wc -l, domains 0.21x to
 * 0.27x); a word-at-a-time mask (SWAR) cost the portable build more than
 * it saved, so there the end is looked for after the name.  What it took
 * (whole lines), up to the first line it does not take (a comment, a
 * blank, anything else).
 */
static inline __attribute__((always_inline)) size_t
dom_lines_of(struct feed_parser *p, const uint8_t *d, size_t avail, int fmt)
{
	struct feed_entry e;
	const char *why = NULL;
	const int want = p->kind;
	const size_t skip = fmt == FEED_HOSTS ? 8 : 0;	/* "0.0.0.0 " */
	size_t off = 0;
	uint64_t nls = 0;	/* the newlines from off on, as far as the last mask read */
	memset(&e, 0, sizeof e);
	e.kind = FEED_K_DOMAIN;
	e.value = p->val;
	/* 64 bytes readable at off for the mask, and 2 after a name of 63 */
	while (avail - off > skip + 66) {
		const uint8_t *s = d + off + skip;
		size_t n, i;
#if FEED_SSE2
		if (!nls && !(nls = nl_mask64(d + off)))
			break;	/* a line of 64 bytes or more */
		size_t len = (size_t)__builtin_ctzll(nls);	/* the line's, without its newline */
		if (fmt == FEED_HOSTS && memcmp(s - skip, "0.0.0.0 ", 8))
			break;
		/* (the byte after the name: the line's end, from the mask, or CR LF) */
		if (!(i = name_take(s, avail - off - skip - 2, off + skip, C_AFTER_OK, p->val, &n)) ||
		    (skip + i != len && (fmt != FEED_HOSTS || skip + i + 1 != len || s[i] != '\r')))
			break;
		nls = nls >> len >> 1;	/* (two shifts: len + 1 may be 64) */
#else
		(void)nls;
		if (fmt == FEED_HOSTS && memcmp(s - skip, "0.0.0.0 ", 8))
			break;
		if (!(i = name_take(s, avail - off - skip - 2, off + skip, C_NL, p->val, &n)))
			break;
		size_t len = skip + i + (fmt == FEED_HOSTS && s[i] == '\r');
		if (d[off + len] != '\n')
			break;
#endif
		e.len = n;
		off += len + 1;
		p->lines++;
		int r = 1;
		if (fmt == FEED_HOSTS && is_boilerplate((const char *)s, i))
			p->ignored++;
		else if ((r = emit_as(p, &e, &why, want)) == 0)
			bad(p, why);
		if (r < 0)
			break;
	}
	return off;
}

/*
 * The line loops, each copy's format a constant: no test of it a line.
 * What they took, or 0 for fast_line and line().  FAST_LINES: the formats
 * that have one.
 */
#define FAST_LINES (1u << FEED_HOSTS | 1u << FEED_DOMAINS | 1u << FEED_IPS | 1u << FEED_CIDR | \
		    1u << FEED_IPSUM | 1u << FEED_TRAILS)
/* ip4_lines_of for p's format (ips, cidr, ipsum, trails), a copy each */
static inline __attribute__((always_inline)) size_t
ip4_lines(struct feed_parser *p, const uint8_t *d, size_t avail, int blk3)
{
	switch (p->format) {
	case FEED_IPSUM:
		return ip4_lines_of(p, d, avail, FEED_IPSUM, blk3);
	case FEED_TRAILS:
		return ip4_lines_of(p, d, avail, FEED_TRAILS, blk3);
	default:
		return ip4_lines_of(p, d, avail, FEED_IPS, blk3);
	}
}

#if FEED_SSSE3
/* ip4_lines with ip4_block3, its copies compiled for SSSE3 */
static T_SSSE3 size_t ip4_lines3(struct feed_parser *p, const uint8_t *d, size_t avail)
{
	return ip4_lines(p, d, avail, 1);
}
#endif

static size_t fast_lines(struct feed_parser *p, const uint8_t *d, size_t avail)
{
	switch (p->format) {
	case FEED_HOSTS:
		return dom_lines_of(p, d, avail, FEED_HOSTS);
	case FEED_DOMAINS:
		return dom_lines_of(p, d, avail, FEED_DOMAINS);
	case FEED_IPS:
	case FEED_CIDR:
	case FEED_IPSUM:
	case FEED_TRAILS:
#if FEED_SSSE3
		if (ip4_ssse3)
			return ip4_lines3(p, d, avail);
#endif
		return ip4_lines(p, d, avail, 0);
	default:
		return 0;
	}
}
#endif

/* The first line: without a UTF-8 byte-order mark. */
static int first_line(struct feed_parser *p, const char *s, size_t n)
{
	p->bom_checked = 1;
	if (n >= 3 && !memcmp(s, "\xef\xbb\xbf", 3))
		s += 3, n -= 3;
	return line(p, s, n);
}

/*
 * A line that lies whole in the chunk is parsed where it is; only one
 * that spans chunks is gathered in p->buf (FEED_LINE_MAX bytes at most:
 * the rest is dropped and the line counted bad).
 */
static int lines_feed(struct feed_parser *p, const uint8_t *d, size_t n)
{
	const uint8_t *end = d + n;
	while (d < end) {
		if (!p->len && !p->overlong && p->bom_checked) {
			size_t used;
#if FEED_FAST
			if (FAST_LINES >> p->format & 1) {
				used = fast_lines(p, d, (size_t)(end - d));
				d += used;
				if (p->stopped)
					return -1;
				if (used)
					continue;
			}
#endif
			used = fast_line(p, d, (size_t)(end - d));
			if (used) {
				d += used;
				if (p->stopped)
					return -1;
				continue;
			}
		}
		const uint8_t *nl = memchr(d, '\n', (size_t)(end - d));
		size_t run = nl ? (size_t)(nl - d) : (size_t)(end - d);
		const char *s = (const char *)d;
		size_t len = run;
		if (p->len || p->overlong || !nl) {
			size_t room = sizeof p->buf - p->len;
			if (run > room)
				p->overlong = 1;
			memcpy(p->buf + p->len, d, run < room ? run : room);
			p->len += run < room ? run : room;
			if (!nl)
				break;
			s = p->buf;
			len = p->len;
		} else if (run > sizeof p->buf) {
			p->overlong = 1;
		}
		d = nl + 1;
		p->lines++;
		int r = 0;
		if (p->overlong)
			bad(p, "line too long");
		else
			r = p->bom_checked ? line(p, s, len) : first_line(p, s, len);
		p->len = 0;
		p->overlong = 0;
		if (r < 0)
			return -1;
	}
	return 0;
}

/* ---- JSON ---------------------------------------------------------------- */

static void utf8_put(struct feed_parser *p, uint32_t cp)
{
	uint8_t t[4];
	size_t n;
	if (cp < 0x80) {
		t[0] = (uint8_t)cp, n = 1;
	} else if (cp < 0x800) {
		t[0] = (uint8_t)(0xc0 | cp >> 6), t[1] = (uint8_t)(0x80 | (cp & 0x3f)), n = 2;
	} else if (cp < 0x10000) {
		t[0] = (uint8_t)(0xe0 | cp >> 12), t[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
		t[2] = (uint8_t)(0x80 | (cp & 0x3f)), n = 3;
	} else {
		t[0] = (uint8_t)(0xf0 | cp >> 18), t[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3f));
		t[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f)), t[3] = (uint8_t)(0x80 | (cp & 0x3f));
		n = 4;
	}
	for (size_t k = 0; k < n; k++) {
		if (p->len < FEED_LINE_MAX)
			p->buf[p->len++] = (char)t[k];
		else
			p->jstr_over = 1;
	}
}

enum { J_VALUE, J_AFTER, J_COLON, J_SCALAR };

/* String bytes that are kept as they are: not '"', '\\' or a control byte. */
static const uint8_t jplain[256] = {
	[0x20 ... 0x21] = 1, [0x23 ... 0x5b] = 1, [0x5d ... 0xff] = 1,	/* all but " and \\ */
};

/* JSON whitespace between tokens. */
static int jspace(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int jfail(struct feed_parser *p, const char *why)
{
	p->error = why;
	p->stopped = 1;
	return -1;
}

/* A value begins at depth p->jdepth: is it directly inside the target array? */
static int in_target(const struct feed_parser *p)
{
	return p->jtarget && p->jdepth == p->jtarget;
}

static int jvalue(struct feed_parser *p, const char *s, size_t n);

static int jstring_done(struct feed_parser *p)
{
	char *s = p->buf;
	size_t n = p->len;
	int d = p->jdepth;
	if (p->jstack[d] == 'o' && p->jexpect_key[d]) {
		p->jkey_match = !p->jstr_over && n == p->path_len && !memcmp(s, p->path, n);
		p->jexpect_key[d] = 0;
		p->jstate = J_COLON;
		return 0;
	}
	p->jstate = J_AFTER;
	if (!in_target(p))
		return 0;
	p->lines++;	/* json counts array elements as lines */
	if (p->jstr_over) {
		bad(p, "string too long");
		return 0;
	}
	return jvalue(p, s, n);
}

/*
 * A string of the target array, its bytes without escapes (p->buf, or
 * where it lies in the chunk): blanks around it dropped, classified and
 * emitted.  0, or -1 when stopped.
 */
static int jvalue(struct feed_parser *p, const char *s, size_t n)
{
	while (n && blank((uint8_t)s[n - 1]))
		n--;
	while (n && blank((uint8_t)*s))
		s++, n--;
	struct feed_entry e;
	const char *why;
	if (!feed_classify(p, s, n, &e, &why)) {
		bad(p, why);
		return 0;
	}
	if (emit(p, &e, &why) == 0)
		bad(p, why);
	return p->stopped ? -1 : 0;
}

static int jopen(struct feed_parser *p, char type)
{
	if (p->jdepth >= FEED_JSON_DEPTH)
		return jfail(p, "json: nested too deep");
	int target = p->jkey_match && type == 'a' && !p->jtarget;
	if (in_target(p)) {
		p->lines++;
		bad(p, "not a string");
	}
	p->jkey_match = 0;
	p->jdepth++;
	p->jstack[p->jdepth] = type;
	p->jexpect_key[p->jdepth] = type == 'o';
	if (target)
		p->jtarget = p->jdepth;
	p->jstate = J_VALUE;
	return 0;
}

#if FEED_SSE2
/*
 * The common string of the target array, whose opening quote is d[i],
 * read where it lies in the chunk d[0..n): a plain ASCII name that ends
 * at the closing quote taken by dom_word (which may read the bytes before
 * it), else its closing quote found a block at a time before any escape
 * or control byte and the string given to jvalue, which classifies it as
 * feed_classify does; nothing is copied first.  The bytes it took, from
 * the opening quote to the closing one, or 0 for the byte-at-a-time
 * parse: an escape, a control byte, a string that goes on past the chunk
 * or is longer than a line.
 */
static size_t jstring_one(struct feed_parser *p, const uint8_t *d, size_t n, size_t i)
{
	struct buf_rd b;
	struct feed_entry e;
	const char *w, *why = NULL;
	size_t wl, q = i + 1, max = n - q < FEED_LINE_MAX ? n : q + FEED_LINE_MAX;
	buf_rd_init(&b, d, n);
	b.off = q;
	if (dom_word(p, &b, C_QUOTE, &e, &w, &wl) && b.off < n && d[b.off] == '"') {
		p->jstate = J_AFTER;
		p->lines++;	/* json counts array elements as lines */
		if (emit(p, &e, &why) == 0)
			bad(p, why);
		return b.off + 1 - i;
	}
	for (;; q += 16) {
		if (q + 16 > max)
			return 0;
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)(d + q));
		__m128i stop = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('"')),
							 _mm_cmpeq_epi8(x, _mm_set1_epi8('\\'))),
					    _mm_cmpeq_epi8(_mm_min_epu8(x, _mm_set1_epi8(0x1f)), x));
		unsigned m = (unsigned)_mm_movemask_epi8(stop);
		if (m) {
			q += (size_t)__builtin_ctz(m);
			break;
		}
	}
	if (d[q] != '"')
		return 0;
	p->jstate = J_AFTER;
	p->lines++;
	jvalue(p, (const char *)d + i + 1, q - i - 1);
	return q + 1 - i;
}

/*
 * jstring_one, then the separator and the next string of the array, as
 * long as they come: the bytes taken from d[i] (the blanks and a comma
 * after the last string taken with them, as the byte-at-a-time parse
 * would take them), or 0 when the first string is not one it takes.
 */
static size_t jstring_fast(struct feed_parser *p, const uint8_t *d, size_t n, size_t i)
{
	struct feed_entry e;
	const char *why = NULL;
	size_t at = i, k, len;
	memset(&e, 0, sizeof e);
	e.kind = FEED_K_DOMAIN;
	e.value = p->val;
	for (;;) {
		/* the common string, a name and its quote within 33 bytes, taken here */
		const uint8_t *s = d + at + 1;
		if (n - at > 34 && (k = name_fast(s, n - at - 2, C_QUOTE, p->val, &len)) != NAME_LONG &&
		    k && s[k] == '"') {
			p->jstate = J_AFTER;
			p->lines++;
			e.len = len;
			if (emit(p, &e, &why) == 0)
				bad(p, why);
			k += 2;
		} else if (!(k = jstring_one(p, d, n, at))) {
			break;
		}
		at += k;
		if (p->stopped)
			break;
		while (at < n && jspace(d[at]))
			at++;
		if (at >= n || d[at] != ',')
			break;
		at++;	/* as ',' in the byte-at-a-time parse, inside an array */
		p->jstate = J_VALUE;
		p->jkey_match = 0;
		while (at < n && jspace(d[at]))
			at++;
		if (at >= n || d[at] != '"')
			break;
	}
	return at - i;
}
#endif

static int json_feed(struct feed_parser *p, const uint8_t *d, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t c = d[i];
		if (p->jin_str) {
			if (p->jesc == 1) {
				p->jesc = 0;
				switch (c) {
				case '"': case '\\': case '/': utf8_put(p, c); break;
				case 'b': utf8_put(p, 8); break;
				case 'f': utf8_put(p, 12); break;
				case 'n': utf8_put(p, 10); break;
				case 'r': utf8_put(p, 13); break;
				case 't': utf8_put(p, 9); break;
				case 'u': p->jesc = 2, p->jhex = 0, p->jhex_n = 0; break;
				default: return jfail(p, "json: bad escape");
				}
				continue;
			}
			if (p->jesc == 2) {
				int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
					: c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
				if (v < 0)
					return jfail(p, "json: bad \\u escape");
				p->jhex = p->jhex << 4 | (uint32_t)v;
				if (++p->jhex_n < 4)
					continue;
				p->jesc = 0;
				if (p->jhex >= 0xd800 && p->jhex < 0xdc00) {
					p->jhigh = p->jhex;
				} else if (p->jhex >= 0xdc00 && p->jhex < 0xe000 && p->jhigh) {
					utf8_put(p, 0x10000 + ((p->jhigh - 0xd800) << 10) + (p->jhex - 0xdc00));
					p->jhigh = 0;
				} else {
					utf8_put(p, p->jhex >= 0xd800 && p->jhex < 0xe000 ? 0xfffd : p->jhex);
					p->jhigh = 0;
				}
				continue;
			}
			if (jplain[c]) {
				/* the run of plain bytes from here, copied at once */
				size_t k = i + 1;
				while (k < n && jplain[d[k]])
					k++;
				size_t run = k - i, room = FEED_LINE_MAX - p->len;
				if (run > room)
					p->jstr_over = 1;
				memcpy(p->buf + p->len, d + i, run < room ? run : room);
				p->len += run < room ? run : room;
				i = k - 1;
			} else if (c == '\\') {
				p->jesc = 1;
			} else if (c == '"') {
				p->jin_str = 0;
				if (jstring_done(p) < 0)
					return -1;
			} else if (c < 0x20) {
				return jfail(p, "json: control byte in a string");
			} else if (p->len < FEED_LINE_MAX) {
				p->buf[p->len++] = (char)c;
			} else {
				p->jstr_over = 1;
			}
			continue;
		}
		if (jspace(c)) {
			if (p->jstate == J_SCALAR)
				p->jstate = J_AFTER;
			continue;
		}
		switch (c) {
		case '"':
			if (p->jstate != J_VALUE)
				return jfail(p, "json: unexpected string");
#if FEED_SSE2
			if (in_target(p)) {
				size_t k = jstring_fast(p, d, n, i);
				if (k) {
					i += k - 1;
					if (p->stopped)
						return -1;
					continue;
				}
			}
#endif
			p->jin_str = 1;
			p->len = 0;
			p->jstr_over = 0;
			p->jhigh = 0;
			continue;
		case '{': case '[':
			if (p->jstate != J_VALUE || (p->jstack[p->jdepth] == 'o' && p->jexpect_key[p->jdepth]))
				return jfail(p, "json: unexpected bracket");
			if (jopen(p, c == '{' ? 'o' : 'a') < 0)
				return -1;
			continue;
		case '}': case ']':
			if (p->jdepth == 0 || p->jstack[p->jdepth] != (c == '}' ? 'o' : 'a'))
				return jfail(p, "json: mismatched bracket");
			if (p->jstate == J_COLON)
				return jfail(p, "json: member without a value");
			if (p->jtarget == p->jdepth)
				p->jtarget = 0;
			p->jdepth--;
			p->jstate = J_AFTER;
			p->jkey_match = 0;
			continue;
		case ':':
			if (p->jstate != J_COLON)
				return jfail(p, "json: unexpected ':'");
			p->jstate = J_VALUE;
			continue;
		case ',':
			if (p->jstate != J_AFTER && p->jstate != J_SCALAR)
				return jfail(p, "json: unexpected ','");
			if (p->jdepth == 0)
				return jfail(p, "json: ',' at the top level");
			p->jexpect_key[p->jdepth] = p->jstack[p->jdepth] == 'o';
			p->jstate = J_VALUE;
			p->jkey_match = 0;
			continue;
		default:
			if (p->jstate == J_SCALAR)
				continue;
			if (p->jstate != J_VALUE || !((c >= '0' && c <= '9') || c == '-' || c == 't' ||
						     c == 'f' || c == 'n'))
				return jfail(p, "json: unexpected byte");
			if (p->jstack[p->jdepth] == 'o' && p->jexpect_key[p->jdepth])
				return jfail(p, "json: a member name must be a string");
			if (in_target(p)) {
				p->lines++;
				bad(p, "not a string");
			}
			p->jkey_match = 0;
			p->jstate = J_SCALAR;
			continue;
		}
	}
	return 0;
}

/* ---- the parser ---------------------------------------------------------- */

int feed_parser_init(struct feed_parser *p, const struct feed_opts *o, feed_emit_fn fn,
		     void *arg)
{
	memset(p, 0, sizeof *p);
	if (o->format < FEED_HOSTS || o->format > FEED_TRAILS || o->kind < 0 || o->kind > 4 ||
	    !fn)
		goto inval;
	p->format = o->format;
	p->kind = o->kind;
	p->emit = fn;
	p->arg = arg;
	if (o->format == FEED_CSV) {
		const char *c = o->column;
		if (!c || !*c || strlen(c) > FEED_PATH_MAX)
			goto inval;
		if (strspn(c, "0123456789") == strlen(c)) {
			unsigned long v = strtoul(c, NULL, 10);
			if (v < 1 || v > 256)
				goto inval;
			p->col = (unsigned)v - 1;
		} else {
			p->col_by_name = 1;
			strcpy(p->colname, c);
		}
	}
	if (o->format == FEED_JSON) {
		if (!o->path || !*o->path || strlen(o->path) > FEED_PATH_MAX)
			goto inval;
		strcpy(p->path, o->path);
		p->path_len = strlen(o->path);
		p->jstate = J_VALUE;
	}
	return 0;
inval:
	errno = EINVAL;
	return -1;
}

int feed_parser_feed(struct feed_parser *p, const void *data, size_t len)
{
	if (p->stopped)
		return -1;
	p->bytes += len;
	if (p->format == FEED_JSON)
		return json_feed(p, data, len);
	return lines_feed(p, data, len);
}

int feed_parser_finish(struct feed_parser *p)
{
	if (p->stopped)
		return -1;
	if (p->format == FEED_JSON) {
		if (p->jin_str || p->jdepth)
			return jfail(p, "json: the feed ends inside a value");
		return 0;
	}
	if ((p->len || p->overlong) && lines_feed(p, (const uint8_t *)"\n", 1) < 0)
		return -1;
	if (p->format == FEED_CSV && p->col_by_name && !p->have_header) {
		p->error = "csv: no header line";
		p->stopped = 1;
		return -1;
	}
	return 0;
}
