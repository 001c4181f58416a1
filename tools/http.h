/*
 * http: the HTTP/1.1 pieces of `tip serve` that touch untrusted bytes:
 * the request-head parser, the target's path and query decoding, and a
 * bounded response buffer with the status line and the fixed security
 * headers.  Pure code: no I/O, no clock, no allocation but the response
 * buffer's (hbuf), so every function is tested on byte strings alone.
 *
 * Limits (RFC 9112 lets a server choose them and answer with a status):
 *   - the request line at most HTTP_LINE_MAX bytes, else 414;
 *   - the whole head (request line and headers) at most HTTP_HEAD_MAX
 *     bytes and HTTP_HEADERS_MAX header lines, else 431;
 *   - only origin-form targets ("/path?query") of visible ASCII, only
 *     HTTP/1.0 and HTTP/1.1 (505 for another version), token methods;
 *   - obsolete line folding, a space before a header's colon, a
 *     duplicated Host or Content-Length, a bad Content-Length: 400;
 *   - HTTP/1.1 without Host: 400.
 * Line ends are CRLF; a bare LF is accepted as RFC 9112 section 2.2
 * allows.  The parser never reads past the n bytes it is given; a head
 * that is not complete yet is HTTP_MORE until it would pass a limit.
 *
 * Bodies: serve is read-only and takes none.  A request announcing one
 * (Content-Length > 0 or any Transfer-Encoding) is parsed, flagged in
 * has_body, and the caller answers and closes the connection, so a body
 * can never be taken for the next request (no request smuggling).
 */
#ifndef TIP_HTTP_H
#define TIP_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "hbuf.h"

#define HTTP_HEAD_MAX 8192
#define HTTP_LINE_MAX 2048
#define HTTP_HEADERS_MAX 64

enum http_method {
	HTTP_GET = 1,
	HTTP_HEAD = 2,
	HTTP_OTHER = 3,		/* a well-formed method serve does not allow: 405 */
};

/* http_parse results. */
#define HTTP_MORE 0
#define HTTP_DONE 1
#define HTTP_ERROR (-1)

struct http_req {
	int method;			/* enum http_method */
	char target[HTTP_LINE_MAX + 1];	/* as sent, NUL-terminated */
	size_t target_len;
	int minor;			/* HTTP/1.minor: 0 or 1 */
	int keep_alive;			/* the client allows another request after this one */
	int has_host;
	int has_body;
	size_t head_len;		/* bytes of the head, its empty line included */
	int status;			/* after HTTP_ERROR: 400, 405, 414, 431 or 505 */
	size_t err_off;			/* after HTTP_ERROR: where, a byte offset in p */
};

/*
 * Parse the head at p[0..n).  HTTP_DONE with *r filled and r->head_len
 * bytes consumed; HTTP_MORE when more bytes are needed (no limit passed
 * yet); HTTP_ERROR with r->status and r->err_off, the offset in p of
 * the byte at fault: where the cursor stopped in a malformed line (the
 * bad byte of a field value, the version after a bad method or target),
 * the target that is too long or not origin-form, the start of a header
 * line that is folded, repeated (Host) or one too many, the value of a
 * bad Content-Length, the start of a request line too long,
 * HTTP_HEAD_MAX for a head too long, the head's end when Host is
 * missing.  Calling it again with more bytes starts over, which is cheap
 * at these sizes.
 */
int http_parse(struct http_req *r, const uint8_t *p, size_t n);

/*
 * Split a target into path and query (after '?', without it; the
 * fragment never reaches a server).  Pointers into target.
 */
void http_split_target(const char *target, size_t len, const char **path, size_t *path_len,
		       const char **query, size_t *query_len);

/*
 * Percent-decode s[0..n) into out[0..cap) (NUL-terminated); '+' becomes a
 * space when plus is 1 (form encoding).  The length, or -1 when an escape
 * is malformed, a NUL byte would come out, or it does not fit; then
 * *err_off (err_off may be NULL) is the offset in s of the escape or
 * byte at fault.
 */
long http_pct_decode(char *out, size_t cap, const char *s, size_t n, int plus, size_t *err_off);

/*
 * The first parameter named key in a query string "a=1&b=2", decoded into
 * out[0..cap).  1 found (a key without '=' gives ""), 0 absent, -1 when
 * its value does not decode or fit, with *err_off (err_off may be NULL)
 * the offset in query of the escape or byte at fault.
 */
int http_query_get(const char *query, size_t qlen, const char *key, char *out, size_t cap,
		   size_t *err_off);

/* The reason phrase of a status ("Not Found"), "" when unknown. */
const char *http_reason(int status);

/* ---- response buffer -------------------------------------------------- */

/* The response buffer is store/hbuf.h. */

/* The headers every response carries (CSP, nosniff, ...), CRLF-ended. */
extern const char http_security_headers[];

/*
 * Write a response head: status line, Content-Type (when ctype is not
 * NULL), Content-Length, Connection, the security headers, extra (whole
 * CRLF-ended header lines, or NULL) and the empty line.  date is the
 * Date header's value (IMF-fixdate) or NULL.
 */
void http_head(struct hbuf *b, int status, const char *ctype, size_t content_length,
	       int keep_alive, const char *date, const char *extra);

/* An IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT") of Unix seconds. */
#define HTTP_DATE_MAX 40
void http_date(char out[HTTP_DATE_MAX], int64_t unix_s);

#endif
