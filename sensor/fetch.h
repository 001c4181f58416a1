/*
 * fetch: one HTTP/1.1 GET on the daemon's libev loop, HTTP or HTTPS
 * (BearSSL, sensor/tls.h), for the blacklist feeds and whatever else
 * pulls files (spamtrap archives).  The body is handed to the caller as
 * it arrives, decoded (chunked, Content-Encoding gzip, and a `.gz` file),
 * so nothing is ever held whole: memory per fetch is bounded by the
 * buffers named in doc/decisions.md ("Fetch client"), whatever the size
 * of the file.
 *
 * What one fetch does: parse the URL; resolve the host with the daemon's
 * resolver (A and AAAA, asynchronous; never getaddrinfo), or take an IP
 * literal, "localhost" or opts->connect_to as it is; connect to each
 * address in turn within connect_timeout; TLS with SNI, the chain checked
 * against the CA bundle and the host name checked; send the request with
 * the validators given; follow at most max_redirects redirects (never
 * from https to http); deliver the final 200's body through on_data; end
 * with exactly one on_done.
 *
 * HTTPS and the clock: certificate validity needs the time.  While
 * clock_is_set() (store/clock.h) says the wall clock is not trusted, an
 * HTTPS fetch is not attempted: it ends with FETCH_E_CLOCK, a retryable
 * error, and the caller tries again once the clock is set (`tip clock
 * synced`, the NTP hook).  The check is never skipped silently; only an
 * explicit opts->insecure skips it, and that is logged at every fetch.
 *
 * Lifetime rules (libev style):
 * - fetch_start returns a handle, or NULL with errno (EINVAL: no loop, no
 *   on_done, no url; ENOMEM) and then no callback ever comes.  Every other
 *   failure, a bad URL included, is reported through on_done.
 * - on_done is called exactly once per handle, never from inside
 *   fetch_start, unless the handle is cancelled first.  When on_done
 *   returns, the handle is freed: do not touch it again, and do not call
 *   fetch_cancel on it (nor from inside on_done).
 * - on_data may be called many times before on_done, only for the body of
 *   the final response (redirect and error bodies are dropped).  Return 0
 *   to go on, -1 to stop: the fetch then ends with FETCH_E_ABORTED.  Do not
 *   call fetch_cancel from inside on_data (return -1 instead).
 * - A body delivered through on_data is complete only when on_done says
 *   err == FETCH_OK: on any error the caller must drop what it received
 *   (a truncated list must not be recorded as the list).
 * - fetch_cancel: no callback, the handle is dead at once, its socket
 *   closed and its DNS queries cancelled.
 * - Every string in opts is copied by fetch_start; opts may be freed when
 *   it returns.  struct fetch_result and its strings belong to the fetch
 *   and live only during on_done: copy what you keep.
 * - The resolver must outlive every fetch started with it.
 * Loop thread only.
 */
#ifndef TIP_FETCH_H
#define TIP_FETCH_H

#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "tip_config.h"

/*
 * gzip decoding (zlib) is built when a module that fetches is, so tipd
 * links zlib only then.  Without it no Accept-Encoding is sent and gzip
 * data ends the fetch with FETCH_E_UNSUPPORTED.
 */
#define FETCH_GZIP (ENABLE_MODULE_BLACKLIST || ENABLE_MODULE_SPAMTRAP)

struct ev_loop;
struct resolver;
struct fetch;

/* Defaults used for 0 / NULL fields of struct fetch_opts. */
#define FETCH_CA_FILE_DEFAULT "/etc/ssl/certs/ca-certificates.crt"	/* Debian, OpenWrt ca-bundle, Buildroot */
#define FETCH_MAX_BYTES_DEFAULT (64ull << 20)
#define FETCH_CONNECT_TIMEOUT_DEFAULT 10.0
#define FETCH_READ_TIMEOUT_DEFAULT 30.0
#define FETCH_TOTAL_TIMEOUT_DEFAULT 300.0
#define FETCH_REDIRECTS_MAX 5		/* also the default */
#define FETCH_VALIDATOR_MAX 256		/* ETag, Last-Modified: longer ones are not kept */
#define FETCH_URL_MAX 2048

struct fetch_opts {
	const char *url;		/* "http://host[:port]/path" or "https://..." */
	const char *ca_file;		/* PEM bundle of trust anchors; NULL: FETCH_CA_FILE_DEFAULT */
	int insecure;			/* 1: accept any certificate (logged as a warning every time) */
	const char *etag;		/* from the last 200 of this URL: sent as If-None-Match; NULL: none */
	const char *last_modified;	/* likewise, sent as If-Modified-Since; NULL: none */
	uint64_t max_bytes;		/* cap on the body, decoded and as sent; 0: default */
	double connect_timeout;		/* seconds per address tried (TCP and TLS handshake); 0: default */
	double read_timeout;		/* seconds without a byte from the server; 0: default */
	double total_timeout;		/* seconds for the whole fetch, redirects included; 0: default */
	const char *user_agent;		/* NULL: "tip/<version>" */
	int max_redirects;		/* 0: FETCH_REDIRECTS_MAX; -1: follow none; at most FETCH_REDIRECTS_MAX */
	const char *connect_to;		/* "ADDR" or "ADDR:PORT" ("[v6]:PORT"): connect there instead of
					   resolving the URL's host; Host, SNI and the certificate name
					   stay the URL's (tests, split-horizon setups); NULL: resolve */
	int family;			/* 0: IPv6 and IPv4; 4 or 6: that family only */
};

/*
 * The keys of tipd.conf every fetched thing has (a blacklist `source`, a
 * spamtrap `archive`), read by one table fragment, fetch_conf_keys, that
 * their sections include (struct conf_table.inc):
 *   url       http:// or https:// (https only with TLS built in), at most url_max bytes
 *   ca-file   an absolute path
 *   insecure  yes or no
 *   timeout   a duration, at least 1s
 *   max-size  a size, at least size_min
 * The caller sets the limits and the defaults before reading; the strings
 * point into the configuration tree.
 */
struct fetch_conf {
	size_t url_max;			/* limits */
	uint64_t size_min;
	const char *url, *ca_file;	/* NULL: not given */
	int insecure;
	int64_t timeout_us;
	uint64_t max_size;
};

#define FETCH_CONF_NKEYS 5
extern const struct conf_key fetch_conf_keys[FETCH_CONF_NKEYS];

/* Why a fetch failed (fetch_result.err). */
enum fetch_err {
	FETCH_OK = 0,		/* status 200 (body delivered) or 304 (not_modified) */
	FETCH_E_URL,		/* the URL (or a redirect's Location) does not parse or is not http(s) */
	FETCH_E_DNS,		/* the host did not resolve */
	FETCH_E_CONNECT,	/* no address accepted the connection */
	FETCH_E_TLS,		/* TLS handshake or record failure (not a certificate matter) */
	FETCH_E_CERT,		/* the certificate was refused: unknown CA, wrong host, bad chain */
	FETCH_E_CERT_TIME,	/* the certificate is expired or not yet valid by our clock: retry
				   after the clock is checked */
	FETCH_E_CLOCK,		/* HTTPS not attempted: the wall clock is not known to be set */
	FETCH_E_TIMEOUT,	/* connect, read or total timeout (errmsg says which) */
	FETCH_E_PROTO,		/* the response is not valid HTTP/1.x (head, chunking) */
	FETCH_E_HTTP,		/* a final status other than 200 and 304: see status */
	FETCH_E_REDIRECT,	/* too many redirects, https -> http, or a redirect without Location */
	FETCH_E_TOO_BIG,	/* the body passed max_bytes */
	FETCH_E_TRUNCATED,	/* the connection closed before the body's end */
	FETCH_E_DECODE,		/* gzip data that does not inflate */
	FETCH_E_ABORTED,	/* on_data returned -1 */
	FETCH_E_IO,		/* a socket error after connecting */
	FETCH_E_NOMEM,
	FETCH_E_UNSUPPORTED,	/* https:// in a build without TLS */
	FETCH__ERRS
};

struct fetch_result {
	int err;			/* enum fetch_err */
	const char *errmsg;		/* NULL when err == FETCH_OK; else one line, already escaped */
	int status;			/* the final HTTP status; 0 when no response head came */
	int not_modified;		/* 1: 304, the validators given still hold; no body */
	char etag[FETCH_VALIDATOR_MAX];	/* the response's ETag, "" when none (on 304: the one sent
					   when the server did not repeat it) */
	char last_modified[FETCH_VALIDATOR_MAX];	/* likewise Last-Modified */
	const char *final_url;		/* the URL that answered (after redirects) */
	int redirects;			/* redirects followed */
	const char *peer;		/* "ADDR:PORT" of the last connection; "" when none */
	uint64_t wire_bytes;		/* bytes read from the sockets, TLS records and heads included */
	uint64_t body_bytes;		/* decoded body bytes delivered to on_data */
	double duration_s;		/* from fetch_start to on_done */
	int retryable;			/* 1: a later try may succeed (DNS, connect, timeout, clock, 5xx,
					   truncated...); 0: fix the configuration or the source */
};

struct fetch_cb {
	int (*on_data)(void *arg, const unsigned char *p, size_t n);	/* NULL: the body is dropped */
	void (*on_done)(void *arg, const struct fetch_result *r);
};

/*
 * The resolver a fetching module keeps for its URLs' host names: one
 * context, at most `inflight` lookups at once and `queued` waiting.  NULL
 * (logged as "WHO: resolver: ...") leaves URLs with addresses or localhost
 * working.  Free it with resolver_free.
 */
struct resolver *fetch_resolver_new(struct ev_loop *loop, unsigned inflight, unsigned queued,
				    const char *who);

/*
 * Start a GET.  resolver: the daemon's (sensor/resolver.h); NULL works only
 * for IP literals, "localhost" and connect_to.  cb is copied.
 */
struct fetch *fetch_start(struct ev_loop *loop, struct resolver *res, const struct fetch_opts *opts,
			  const struct fetch_cb *cb, void *arg);
void fetch_cancel(struct fetch *f);

/*
 * Heap of one fetch besides its buffers (the figures in doc/decisions.md,
 * "Fetch client": + 16 KB receive buffer on plain HTTP, or tls_client_bytes()
 * on HTTPS; + HTTPC_HEAD_MAX while the head is read; + about 60 KB per gzip
 * layer).
 */
size_t fetch_mem_fixed(void);

/* "ok", "url", "dns", ... : a short stable name for logs, records and metrics. */
const char *fetch_err_name(int err);

#endif
