/*
 * chsend: a small blocking HTTP/1.1 client for ClickHouse's HTTP
 * interface (`tip export --url`): one request a connection, a body from
 * memory, the status and the body of the answer back.  Only http:// (the
 * interface has no TLS of its own; put it behind a tunnel).
 *
 * Ownership: the caller owns every buffer; nothing is kept between calls.
 */
#ifndef TIP_CHSEND_H
#define TIP_CHSEND_H

#include <stddef.h>

struct ch_url {
	char host[256];
	char port[8];
	char path[512];		/* "/" or the prefix the URL gave */
};

/* "http://HOST[:PORT][/PATH]": 0, or -1 with *why. */
int ch_url_parse(const char *url, struct ch_url *u, const char **why);

/*
 * POST body[0..len) to u with query as the URL's query= parameter (NULL:
 * none, the body is the query) and query_id as its query_id= (NULL: none;
 * ClickHouse refuses a second query of an id that is still running).  The HTTP status (200 on success) with
 * the answer's first cap-1 bytes in out (NUL-terminated), or -1 on a
 * network error with the reason in err.  timeout_s bounds each read.
 */
int ch_post(const struct ch_url *u, const char *query, const char *query_id, const char *body,
	    size_t len, char *out, size_t cap, int timeout_s, char *err, size_t errlen);

#endif
