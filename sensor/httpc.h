/*
 * httpc: the pure pieces of the fetch client (fetch.c): URLs, the
 * response head, the chunked decoder.  No I/O, no allocation; every
 * untrusted byte is read through store/buf.h's cursor or within the
 * lengths given, so the fuzz target (tests/fuzz/fuzz_http_response.c) and
 * the unit tests drive them alone.
 */
#ifndef TIP_HTTPC_H
#define TIP_HTTPC_H

#include <stddef.h>
#include <stdint.h>

#define HTTPC_HOST_MAX 256
#define HTTPC_PATH_MAX 2048
#define HTTPC_HEAD_MAX 16384	/* a response head longer than this is refused */
#define HTTPC_VALIDATOR_MAX 256

struct httpc_url {
	int https;
	char host[HTTPC_HOST_MAX];	/* lower case; an IPv6 literal without brackets */
	int host_v6;			/* host is an IPv6 literal */
	uint16_t port;
	char path[HTTPC_PATH_MAX];	/* "/..." with the query, without the fragment */
};

/*
 * Parse an absolute http:// or https:// URL (no user info).  0, or -1 with
 * a static reason in *why.
 */
int httpc_url_parse(struct httpc_url *u, const char *s, size_t len, const char **why);

/*
 * A Location header against the URL it came from: absolute, scheme-relative
 * ("//host/p"), absolute path or relative path.  0 or -1 with *why.
 */
int httpc_url_resolve(struct httpc_url *out, const struct httpc_url *base, const char *loc, size_t len,
		      const char **why);

/* "https://host:port/path" (port only when not the scheme's); length, or -1 when cap is short. */
int httpc_url_format(const struct httpc_url *u, char *buf, size_t cap);

/* 1 when the path (before any query) ends in ".gz". */
int httpc_url_is_gz(const struct httpc_url *u);

/* ---- the response head ------------------------------------------------------------ */

enum httpc_framing {
	HTTPC_BODY_NONE = 0,	/* 1xx, 204, 304 */
	HTTPC_BODY_LENGTH,	/* Content-Length */
	HTTPC_BODY_CHUNKED,
	HTTPC_BODY_CLOSE,	/* until the server closes */
};

struct httpc_resp {
	int status;
	int minor;			/* HTTP/1.minor */
	char reason[64];		/* escaped for logs */
	enum httpc_framing framing;
	uint64_t content_length;	/* HTTPC_BODY_LENGTH */
	int gzip;			/* Content-Encoding: gzip (or x-gzip) */
	int close;			/* Connection: close, or HTTP/1.0 */
	int has_location;
	char location[HTTPC_PATH_MAX + HTTPC_HOST_MAX + 16];
	char etag[HTTPC_VALIDATOR_MAX];		/* "" when absent or too long */
	char last_modified[HTTPC_VALIDATOR_MAX];
	char content_type[64];
};

/*
 * Where the head in p[0..n) ends: the length up to and including the empty
 * line (CRLF CRLF or LF LF), 0 when not there yet.
 */
size_t httpc_head_end(const uint8_t *p, size_t n);

/*
 * Parse a complete head (httpc_head_end's length).  0, or -1 with a static
 * reason in *why.  Checks: the status line, header syntax (no obsolete
 * folding, no NUL, no bare CR), one Content-Length value, Transfer-Encoding
 * only "chunked", a Content-Encoding of gzip or identity.
 */
int httpc_resp_parse(struct httpc_resp *r, const uint8_t *p, size_t n, int head_request, const char **why);

/* ---- chunked transfer coding -------------------------------------------------------- */

struct httpc_chunked {
	int state;
	uint64_t left;		/* bytes of the current chunk still to come */
	unsigned linelen;	/* bytes of a size line or trailer line so far */
	unsigned digits;
	int done;		/* the last chunk and the trailers are in */
};

void httpc_chunked_init(struct httpc_chunked *c);

/*
 * Decode p[0..n) in place: the data bytes are moved to the front of p and
 * their count stored in *out.  Returns the bytes consumed (n, or fewer when
 * the body ended inside p: what follows is not the body's), or -1 with a
 * static reason in *why for a malformed coding.
 */
long httpc_chunked_decode(struct httpc_chunked *c, uint8_t *p, size_t n, size_t *out, const char **why);

#endif
