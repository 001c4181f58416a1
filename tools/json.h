/*
 * json: a small, strict, bounded JSON (RFC 8259) parser, and a JSON
 * string writer for tip's output.
 *
 * Parser.  One text (a whole value, whitespace around it) is parsed into
 * a tree of values in arrays the caller provides (no allocation):
 *   - vals[0..max_vals): value nodes; vals[0] is the root;
 *   - str[0..str_cap): decoded strings and object keys, each followed by a
 *     NUL (a string may also contain NULs from \u0000: use its length).
 * Decoding only shrinks text, so str_cap >= the input length always
 * suffices; max_vals bounds the work, max_depth the nesting.  Numbers are
 * kept as their text (pointing into the input) and converted on demand.
 * Strict: no comments, no trailing commas, no leading zeros, no control
 * characters or invalid UTF-8 in strings, no lone surrogates, no NaN.
 * Duplicate object keys are allowed (json_get returns the first); callers
 * that care check them while walking members.
 * Errors: json_parse returns -1 with a static reason and the 1-based
 * column (byte offset + 1) where the input stopped making sense.
 *
 * Lifetime: the values point into the caller's input (numbers) and str
 * (strings); they live as long as both do.
 *
 * Writer.  json_escape and json_put_str write a JSON string literal, with
 * quotes: '"' and '\' escaped, control characters as \n, \t, ... or
 * \u00XX, '<', '>', '&', DEL, U+2028 and U+2029 as \uXXXX (the output can
 * be embedded in HTML and JavaScript), valid UTF-8 as is, and every byte
 * that is not part of valid UTF-8 as \u00XX.  That last form is for
 * display: a reader decodes it as the code point U+00XX, so such a byte
 * cannot be told from a Latin-1 character; tools that must round-trip
 * arbitrary bytes add a hex field.
 */
#ifndef TIP_JSON_H
#define TIP_JSON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum json_type {
	JSON_NULL,
	JSON_FALSE,
	JSON_TRUE,
	JSON_NUMBER,
	JSON_STRING,
	JSON_ARRAY,
	JSON_OBJECT,
};

struct json_val {
	uint8_t type;		/* enum json_type */
	uint32_t next;		/* index of the next sibling in vals, 0 none */
	uint32_t child;		/* ARRAY/OBJECT: index of the first child, 0 none */
	uint32_t n;		/* ARRAY/OBJECT: number of children */
	const char *s;		/* STRING: decoded bytes, NUL after; NUMBER: its text */
	size_t len;		/* bytes at s */
	const char *key;	/* member of an OBJECT: its decoded key, NUL after */
	size_t key_len;
	size_t off;		/* byte offset of the value in the input */
};

#define JSON_DEPTH_DEFAULT 32
#define JSON_NUMBER_MAX 64	/* longer number texts are rejected */

struct json_doc {
	struct json_val *vals;
	uint32_t max_vals;
	uint32_t n_vals;
	char *str;
	size_t str_cap;
	size_t str_len;
	unsigned max_depth;
	const char *err;	/* after -1: why */
	size_t err_col;		/* after -1: 1-based column */
};

/* Set up a document on caller-owned arrays. */
void json_doc_init(struct json_doc *d, struct json_val *vals, uint32_t max_vals, char *str,
		   size_t str_cap, unsigned max_depth);

/* Parse text[0..len).  0 with the root in d->vals[0], or -1 with err/err_col. */
int json_parse(struct json_doc *d, const char *text, size_t len);

/* The root, and navigation.  NULL when absent. */
const struct json_val *json_root(const struct json_doc *d);
const struct json_val *json_first(const struct json_doc *d, const struct json_val *v);
const struct json_val *json_next(const struct json_doc *d, const struct json_val *v);
/* First member of object v named key (NUL-terminated), or NULL. */
const struct json_val *json_get(const struct json_doc *d, const struct json_val *v,
				const char *key);

/*
 * A NUMBER as an exact integer: 0 with *out, -1 when it is no number, has
 * a fraction, or lies outside int64 (an integral value written with an
 * exponent or ".0", like 1.5e9 or 12.0, counts as an integer).
 */
int json_int64(const struct json_val *v, int64_t *out);
/* A NUMBER as a double: 0, or -1 when it is no number or not finite. */
int json_double(const struct json_val *v, double *out);

/* 1 when s[0..n) is valid UTF-8 (no overlongs, no surrogates, <= U+10FFFF). */
int json_utf8_valid(const void *s, size_t n);

/*
 * Write s[0..n) as a JSON string literal into out[0..cap), NUL-terminated
 * when cap > 0.  Returns the length the whole literal needs (without the
 * NUL), like snprintf: the output is complete only when that is < cap.
 */
size_t json_escape(char *out, size_t cap, const void *s, size_t n);

/* The same to a stdio stream.  0, or -1 on a write error. */
int json_put_str(FILE *f, const void *s, size_t n);

#endif
