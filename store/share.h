/*
 * share: the sharing protocol's text, shared by tipd's share module and
 * `tip pull` (doc/sharing.md has the protocol).  No TLS here: this is the
 * part both programs parse, and the part the fuzz target drives.
 *
 * Over a mutually authenticated TLS connection, a small HTTP/1.1 subset:
 *     GET /segments HTTP/1.1          the listing below
 *     GET /seg/NAME HTTP/1.1          a segment's bytes; "Range: bytes=A-"
 *                                     or "bytes=A-B" for a part (206)
 *     GET /idx/NAME HTTP/1.1          the index (.cdb) of sealed segment NAME,
 *                                     when its listing line names one; ranges too
 * Persistent connections; "Connection: close" ends one after the answer.
 * The listing (text/plain) is
 *     tip-share 1
 *     sensor NAME
 *     seg NAME SEQ SIZE sealed SHA256-HEX [ISIZE ISHA256-HEX]   (ascending SEQ)
 *     seg NAME SEQ SIZE active -              (at most one, the last)
 *     end COUNT
 * SIZE of the active segment is the end of its last durable record.
 * ISIZE and ISHA256 (optional) are the size and digest of the sealed
 * segment's index file, which a puller fetches instead of building it.
 *
 * Fingerprints: the SHA-256 of a key's DER SubjectPublicKeyInfo (what
 * `openssl pkey -pubin -outform DER | sha256sum` hashes), written in
 * base32 (RFC 4648, upper case, no padding) as 13 groups of 4 joined by
 * '-'.  Parsing takes any case and ignores '-' and blanks.
 *
 * Every parser here reads untrusted bytes through buf.h and returns an
 * error with a reason, never reads outside what it was given.
 */
#ifndef TIP_SHARE_H
#define TIP_SHARE_H

#include <stddef.h>
#include <stdint.h>

#include "seg.h"
#include "store.h"

#define SHARE_PROTO_VERSION 1
#define SHARE_DEFAULT_PORT 8443
#define SHARE_FP_LEN 32			/* SHA-256 */
#define SHARE_FP_TEXT 65		/* 52 base32 + 12 dashes + NUL */
#define SHARE_REQ_MAX 2048		/* a request head, at most */
#define SHARE_RESP_MAX 2048		/* a response head, at most */
#define SHARE_LIST_MAX (8u << 20)	/* a listing body, at most */
#define SHARE_SEGS_MAX 65536		/* segments in a listing, at most */

/* ---- fingerprints --------------------------------------------------------- */

/* Format fp into out (SHARE_FP_TEXT bytes). */
void share_fp_format(char *out, const uint8_t fp[SHARE_FP_LEN]);
/* Parse text: 0, or -1 when it is not a fingerprint. */
int share_fp_parse(const char *text, uint8_t fp[SHARE_FP_LEN]);

/* ---- requests (server side) ---------------------------------------------- */

enum share_path {
	SHARE_GET_LIST = 1,	/* /segments */
	SHARE_GET_SEG,		/* /seg/NAME */
	SHARE_GET_IDX,		/* /idx/NAME: the index of sealed segment NAME */
};

struct share_req {
	int what;			/* enum share_path */
	char name[SEG_NAME_MAX];	/* SHARE_GET_SEG, _IDX: a segment name (checked) */
	int has_range;
	uint64_t range_first;
	uint64_t range_last;		/* UINT64_MAX: to the end */
	int close;			/* "Connection: close" */
	size_t head_len;		/* bytes of the head, blank line included */
};

/*
 * Parse a request head at the start of p[0..len).  1 complete (r set),
 * 0 need more bytes, -1 refused: *status is the HTTP status to answer
 * (400, 404, 405, 413, 416, 505) and *why says why.  A NAME is only
 * accepted when it is a segment name (seg_name_parse, no '/', no '..'):
 * the server then looks it up in its own listing, never as a path.
 */
int share_req_parse(const uint8_t *p, size_t len, struct share_req *r, int *status,
		    const char **why);

/* ---- responses (client side) --------------------------------------------- */

struct share_resp {
	int status;
	uint64_t content_length;	/* UINT64_MAX: none given */
	int has_range;			/* Content-Range: bytes A-B/T */
	uint64_t range_first, range_last, range_total;
	int close;
	size_t head_len;
};

/* As share_req_parse, for a response head: 1, 0 need more, -1 with *why. */
int share_resp_parse(const uint8_t *p, size_t len, struct share_resp *r, const char **why);

/* ---- the listing ---------------------------------------------------------- */

struct share_seg {
	char name[SEG_NAME_MAX];
	uint32_t seq;
	uint64_t size;
	int sealed;
	uint8_t digest[32];		/* sealed: SHA-256 of the whole file */
	int has_index;			/* sealed: the server serves its index */
	uint64_t index_size;
	uint8_t index_digest[32];	/* SHA-256 of the index file */
};

struct share_list {
	char sensor[STORE_ID_MAX];
	struct share_seg *segs;		/* ascending seq */
	size_t n;
};

/*
 * Parse a listing body.  0, or -1 with a message naming the line in err
 * (l is then empty).  Checks: the version line, ascending sequences, names
 * that are segment names whose sequence is SEQ, an active segment only
 * last, the end line's count.  Free with share_list_free.
 */
int share_list_parse(const uint8_t *p, size_t len, struct share_list *l, char *err,
		     size_t errlen);
void share_list_free(struct share_list *l);

/* One listing line for seg into out; returns its length (< cap) or 0. */
size_t share_list_line(char *out, size_t cap, const struct share_seg *s);

#endif
