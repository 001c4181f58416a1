/*
 * fetch: the HTTP/1.1 client of fetch.h, one state machine per fetch on
 * the daemon's libev loop.
 *
 * A fetch moves RESOLVE -> CONNECT -> (TLS) -> SEND -> HEAD -> BODY and
 * back to RESOLVE for each redirect; one request per connection
 * ("Connection: close").  Invariants:
 * - Memory is bounded whatever the body's size: the fetch struct, one
 *   16 KB receive buffer (plain) or BearSSL's 16.7 KB record buffer
 *   (TLS), the response head (at most HTTPC_HEAD_MAX, freed once parsed),
 *   and for gzip one zlib inflater (about 44 KB) and a 16 KB output
 *   buffer per gzip layer.  Bytes go to on_data as they are decoded.
 * - Every watcher callback is an entry point: it works, then frees the
 *   fetch when the work ended it (f->done), so nothing touches a freed
 *   fetch.  on_done is called by finish() only, once.
 * - One callback does a bounded amount of work (FETCH_SLICE bytes), so a
 *   fast server cannot stall the loop; level-triggered ev_io comes back.
 * - Trust anchors are decoded from the CA file, by a thread (the decoding
 *   takes ~20 ms), when an HTTPS fetch is about to connect, and shared by
 *   the fetches in flight; the last one to end frees them, so an idle
 *   daemon holds none.
 */
#include <arpa/inet.h>
#include <pthread.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <ev.h>

#include "fetch.h"	/* FETCH_GZIP */
#if FETCH_GZIP
#include <zlib.h>
#endif

#include "cdefs.h"
#include "clock.h"
#include "fetch.h"
#include "httpc.h"
#include "log.h"
#include "resolver.h"
#include "tip_config.h"
#include "tls.h"

#define FETCH_ADDRS_MAX 8
#define FETCH_RBUF 16384
#define FETCH_ZBUF 16384
#define FETCH_SLICE (256 * 1024)	/* bytes handled per callback at most */
#define FETCH_REQ_MAX 4096

enum fstate { F_RESOLVE, F_ANCHORS, F_CONNECT, F_HANDSHAKE, F_SEND, F_HEAD, F_BODY, F_DONE };

struct gz {
#if FETCH_GZIP
	z_stream z;
#endif
	int init;
	int ended;		/* Z_STREAM_END seen for the current member */
	int sniff;		/* .gz file layer: 0 undecided, 1 gzip, -1 pass through */
	unsigned char out[FETCH_ZBUF];
};

struct fetch;

/*
 * A CA file's anchors, shared by the fetches that use it.  Decoding
 * Debian's bundle takes ~20 ms of CPU (BearSSL's X.509 decoder), too long
 * for the loop: a thread decodes it while the fetches wait (F_ANCHORS),
 * and an ev_async brings the result back.  Freed when the last fetch ends.
 */
struct anchors_ref {
	char path[256];
	struct tls_anchors a;
	int refs;
	int state;		/* AR_LOADING, AR_READY, AR_FAILED: the loop's */
	int rc;			/* the thread's tls_anchors_load result */
	char why[300];
	struct fetch *waiters;	/* through fetch.anchor_next */
	struct ev_loop *loop;
	ev_async done;
	pthread_t thread;
};

enum { AR_LOADING, AR_READY, AR_FAILED };

struct fetch {
	struct ev_loop *loop;
	struct resolver *res;
	struct fetch_cb cb;
	void *arg;
	/* options, copied */
	char *ca_file, *etag_in, *lm_in, *user_agent, *connect_to;
	int insecure, family, max_redirects;
	uint64_t max_bytes;
	double connect_timeout, read_timeout, total_timeout;

	enum fstate state;
	int done;
	struct httpc_url url;
	char url_str[FETCH_URL_MAX];

	/* resolution */
	struct resolver_query *q4, *q6;
	struct sockaddr_storage addrs[FETCH_ADDRS_MAX];
	unsigned naddr, addr_i;
	unsigned port_override;
	char last_conn_err[160];
	int conn_timed_out;	/* the last address failed by the connect timeout */

	/* connection */
	int fd;
	ev_io io;
	ev_timer t_total, t_phase, t_defer;
	ev_tstamp t0, last_rx;
	char peer[INET6_ADDRSTRLEN + 8];
	struct tls_client *tc;
	struct tls_conn tconn;
	struct anchors_ref *anchors;
	struct fetch *anchor_next;	/* waiting for anchors->state */
	uint64_t rx_plain;

	/* request */
	char req[FETCH_REQ_MAX];
	size_t req_len, req_off;

	/* response */
	uint8_t *head;
	size_t head_len;
	struct httpc_resp resp;
	uint64_t body_left;	/* HTTPC_BODY_LENGTH */
	uint64_t body_wire;	/* body bytes as framed (before gzip) */
	struct httpc_chunked ch;
	struct gz *gz[2];	/* [0]: Content-Encoding; [1]: a .gz file */
	uint8_t *rbuf;		/* plain connections */

	struct fetch_result r;
	char errmsg[400];
	int status_seen;
};

/* ---- trust anchors, shared while fetches run ---------------------------------------- */

#define ANCHOR_SLOTS 4
static struct anchors_ref *anchor_slots[ANCHOR_SLOTS];

static void anchors_ready(struct fetch *f);

static void *anchors_thread(void *arg)
{
	struct anchors_ref *ar = arg;
	ar->rc = tls_anchors_load(&ar->a, ar->path, ar->why, sizeof ar->why);
	ev_async_send(ar->loop, &ar->done);	/* the loop reads rc after pthread_join */
	return NULL;
}

static void anchors_free(struct anchors_ref *ar)
{
	for (int i = 0; i < ANCHOR_SLOTS; i++)
		if (anchor_slots[i] == ar)
			anchor_slots[i] = NULL;
	ev_async_stop(ar->loop, &ar->done);
	tls_anchors_fini(&ar->a);
	free(ar);
}

static void fetch_free(struct fetch *f);

static void anchors_on_done(struct ev_loop *loop TIP_UNUSED, ev_async *w, int revents TIP_UNUSED)
{
	struct anchors_ref *ar = container_of(w, struct anchors_ref, done);
	pthread_join(ar->thread, NULL);
	ar->state = ar->rc < 0 ? AR_FAILED : AR_READY;
	/* a reference for the walk, so the last waiter's end cannot free ar under us */
	ar->refs++;
	while (ar->waiters) {
		struct fetch *f = ar->waiters;
		ar->waiters = f->anchor_next;
		f->anchor_next = NULL;
		anchors_ready(f);
	}
	if (--ar->refs == 0)
		anchors_free(ar);
}

/* A reference to the anchors of path, loading (state AR_LOADING) or not; NULL: ENOMEM. */
static struct anchors_ref *anchors_get(struct ev_loop *loop, const char *path)
{
	for (int i = 0; i < ANCHOR_SLOTS; i++)
		if (anchor_slots[i] && !strcmp(anchor_slots[i]->path, path) && anchor_slots[i]->loop == loop) {
			anchor_slots[i]->refs++;
			return anchor_slots[i];
		}
	struct anchors_ref *ar = calloc(1, sizeof *ar);
	if (!ar)
		return NULL;
	snprintf(ar->path, sizeof ar->path, "%s", path);
	ar->loop = loop;
	ar->refs = 1;
	ar->state = AR_LOADING;
	ev_async_init(&ar->done, anchors_on_done);
	ev_async_start(loop, &ar->done);
	if (pthread_create(&ar->thread, NULL, anchors_thread, ar) != 0) {
		/* no thread: decode here, a stall rather than no HTTPS */
		int n = tls_anchors_load(&ar->a, ar->path, ar->why, sizeof ar->why);
		ar->state = n < 0 ? AR_FAILED : AR_READY;
		ev_async_stop(loop, &ar->done);
	}
	for (int i = 0; i < ANCHOR_SLOTS; i++)
		if (!anchor_slots[i]) {
			anchor_slots[i] = ar;
			break;
		}
	return ar;
}

static void anchors_put(struct fetch *f)
{
	struct anchors_ref *ar = f->anchors;
	if (!ar)
		return;
	f->anchors = NULL;
	for (struct fetch **pp = &ar->waiters; *pp; pp = &(*pp)->anchor_next)
		if (*pp == f) {
			*pp = f->anchor_next;
			break;
		}
	f->anchor_next = NULL;
	/* a loading one is freed by anchors_on_done, after its thread */
	if (--ar->refs == 0 && ar->state != AR_LOADING)
		anchors_free(ar);
}

/* ---- ending ---------------------------------------------------------------------- */

/* The names in the array, not pointed to: no relocation each in a PIE (dnstype.c). */
static const char err_names[FETCH__ERRS][12] = {
	[FETCH_OK] = "ok", [FETCH_E_URL] = "url", [FETCH_E_DNS] = "dns",
	[FETCH_E_CONNECT] = "connect", [FETCH_E_TLS] = "tls", [FETCH_E_CERT] = "cert",
	[FETCH_E_CERT_TIME] = "cert-time", [FETCH_E_CLOCK] = "clock", [FETCH_E_TIMEOUT] = "timeout",
	[FETCH_E_PROTO] = "proto", [FETCH_E_HTTP] = "http", [FETCH_E_REDIRECT] = "redirect",
	[FETCH_E_TOO_BIG] = "too-big", [FETCH_E_TRUNCATED] = "truncated", [FETCH_E_DECODE] = "decode",
	[FETCH_E_ABORTED] = "aborted", [FETCH_E_IO] = "io", [FETCH_E_NOMEM] = "nomem",
	[FETCH_E_UNSUPPORTED] = "unsupported",
};

size_t fetch_mem_fixed(void)
{
	return sizeof(struct fetch);
}

const char *fetch_err_name(int err)
{
	return err >= 0 && err < FETCH__ERRS && err_names[err][0] ? err_names[err] : "unknown";
}

static int retryable(int err, int status)
{
	switch (err) {
	case FETCH_E_DNS:
	case FETCH_E_CONNECT:
	case FETCH_E_TLS:
	case FETCH_E_CERT_TIME:
	case FETCH_E_CLOCK:
	case FETCH_E_TIMEOUT:
	case FETCH_E_TRUNCATED:
	case FETCH_E_IO:
	case FETCH_E_NOMEM:
	case FETCH_E_PROTO:
		return 1;
	case FETCH_E_HTTP:
		return status >= 500 || status == 429 || status == 408;
	default:
		return 0;
	}
}

static void conn_close(struct fetch *f)
{
	if (f->fd >= 0) {
		ev_io_stop(f->loop, &f->io);
		close(f->fd);
		f->fd = -1;
	}
	ev_timer_stop(f->loop, &f->t_phase);
	if (f->tc) {
		f->r.wire_bytes += f->tconn.rx;
		tls_client_free(f->tc);
		f->tc = NULL;
		memset(&f->tconn, 0, sizeof f->tconn);
	}
	f->r.wire_bytes += f->rx_plain;
	f->rx_plain = 0;
	free(f->head);
	f->head = NULL;
	f->head_len = 0;
}

static void gz_free(struct fetch *f)
{
	for (int i = 0; i < 2; i++) {
#if FETCH_GZIP
		if (f->gz[i] && f->gz[i]->init)
			inflateEnd(&f->gz[i]->z);
#endif
		free(f->gz[i]);
		f->gz[i] = NULL;
	}
}

static void release(struct fetch *f)
{
	if (f->q4)
		resolver_cancel(f->res, f->q4);
	if (f->q6)
		resolver_cancel(f->res, f->q6);
	f->q4 = f->q6 = NULL;
	conn_close(f);
	gz_free(f);
	anchors_put(f);
	free(f->rbuf);
	f->rbuf = NULL;
	ev_timer_stop(f->loop, &f->t_total);
	ev_timer_stop(f->loop, &f->t_defer);
}

static void fetch_free(struct fetch *f)
{
	release(f);
	free(f->ca_file);
	free(f->etag_in);
	free(f->lm_in);
	free(f->user_agent);
	free(f->connect_to);
	free(f);
}

/* End the fetch: release everything, call on_done once.  The caller's entry point frees f. */
static void finish(struct fetch *f, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void finish(struct fetch *f, int err, const char *fmt, ...)
{
	if (f->done)
		return;
	f->done = 1;
	f->state = F_DONE;
	release(f);
	f->r.err = err;
	if (err != FETCH_OK) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(f->errmsg, sizeof f->errmsg, fmt, ap);
		va_end(ap);
		f->r.errmsg = f->errmsg;
	}
	f->r.retryable = err != FETCH_OK && retryable(err, f->r.status);
	f->r.final_url = f->url_str;
	f->r.peer = f->peer;
	f->r.duration_s = ev_time() - f->t0;
	f->cb.on_done(f->arg, &f->r);
}

/* ---- decoding and delivery ----------------------------------------------------------- */

static int deliver(struct fetch *f, const uint8_t *p, size_t n)
{
	if (!n)
		return 0;
	if (f->r.body_bytes + n > f->max_bytes) {
		finish(f, FETCH_E_TOO_BIG, "body larger than the cap of %llu bytes",
		       (unsigned long long)f->max_bytes);
		return -1;
	}
	f->r.body_bytes += n;
	if (f->cb.on_data && f->cb.on_data(f->arg, p, n) < 0) {
		finish(f, FETCH_E_ABORTED, "stopped by the receiver after %llu bytes",
		       (unsigned long long)f->r.body_bytes);
		return -1;
	}
	return 0;
}

static int stage(struct fetch *f, int s, const uint8_t *p, size_t n);

/* Inflate through layer g, passing the output on to stage next. */
static int inflate_through(struct fetch *f, struct gz *g TIP_UNUSED, int next TIP_UNUSED, const uint8_t *p TIP_UNUSED,
			   size_t n TIP_UNUSED, int gzip_only TIP_UNUSED)
{
#if !FETCH_GZIP
	finish(f, FETCH_E_UNSUPPORTED, "gzip data, and this tipd was built without gzip (zlib)");
	return -1;
#else
	if (!g->init) {
		memset(&g->z, 0, sizeof g->z);
		if (inflateInit2(&g->z, gzip_only ? 16 + MAX_WBITS : 32 + MAX_WBITS) != Z_OK) {
			finish(f, FETCH_E_NOMEM, "zlib: cannot start an inflater");
			return -1;
		}
		g->init = 1;
	}
	g->z.next_in = (Bytef *)p;
	g->z.avail_in = (uInt)n;
	while (g->z.avail_in > 0) {
		if (g->ended) {
			/* another gzip member after the end of one (gzip a b > c) */
			inflateReset(&g->z);
			g->ended = 0;
		}
		g->z.next_out = g->out;
		g->z.avail_out = sizeof g->out;
		int zr = inflate(&g->z, Z_NO_FLUSH);
		size_t produced = sizeof g->out - g->z.avail_out;
		if (produced && stage(f, next, g->out, produced) < 0)
			return -1;
		if (zr == Z_STREAM_END) {
			g->ended = 1;
			continue;
		}
		if (zr == Z_BUF_ERROR && produced == 0 && g->z.avail_in == 0)
			break;
		if (zr != Z_OK && zr != Z_BUF_ERROR) {
			finish(f, FETCH_E_DECODE, "gzip: %s after %llu body bytes",
			       g->z.msg ? g->z.msg : "bad data", (unsigned long long)f->body_wire);
			return -1;
		}
	}
	return 0;
#endif
}

/* Stage 0: Content-Encoding; stage 1: a .gz file; stage 2: the receiver. */
static int stage(struct fetch *f, int s, const uint8_t *p, size_t n)
{
	if (s >= 2)
		return deliver(f, p, n);
	struct gz *g = f->gz[s];
	if (!g)
		return stage(f, s + 1, p, n);
	if (s == 1 && g->sniff == 0 && n > 0) {
		/* A .gz URL is inflated when its bytes are gzip (1f 8b): some
		 * servers already undo the compression for us. */
		g->sniff = (p[0] == 0x1f && (n < 2 || p[1] == 0x8b)) ? 1 : -1;
	}
	if (s == 1 && g->sniff < 0)
		return deliver(f, p, n);
	return inflate_through(f, g, s + 1, p, n, s == 1);
}

/* The body ended by its framing: check that every gzip layer ended too. */
static void body_complete(struct fetch *f)
{
	for (int i = 0; i < 2; i++) {
		struct gz *g = f->gz[i];
		if (g && g->init && !g->ended && !(i == 1 && g->sniff < 0)) {
			finish(f, FETCH_E_DECODE, "gzip stream truncated at %llu body bytes",
			       (unsigned long long)f->body_wire);
			return;
		}
	}
	finish(f, FETCH_OK, "ok");
}

/* ---- the response -------------------------------------------------------------------- */

static void start_resolve(struct fetch *f);

static void set_validators_result(struct fetch *f)
{
	snprintf(f->r.etag, sizeof f->r.etag, "%s", f->resp.etag[0] ? f->resp.etag : (f->etag_in ? f->etag_in : ""));
	snprintf(f->r.last_modified, sizeof f->r.last_modified, "%s",
		 f->resp.last_modified[0] ? f->resp.last_modified : (f->lm_in ? f->lm_in : ""));
}

static int is_redirect(int s)
{
	return s == 301 || s == 302 || s == 303 || s == 307 || s == 308;
}

/* A complete head is in f->head[0..hl): act on it.  0 to read a body, 1 when handled, -1 ended. */
static int on_head(struct fetch *f, size_t hl)
{
	const char *why = "?";
	if (httpc_resp_parse(&f->resp, f->head, hl, 0, &why) < 0) {
		finish(f, FETCH_E_PROTO, "bad response from %s: %s", f->url.host, why);
		return -1;
	}
	struct httpc_resp *rp = &f->resp;
	if (rp->status >= 100 && rp->status < 200)
		return 1;	/* interim: the real head follows */
	f->r.status = rp->status;
	if (is_redirect(rp->status)) {
		struct httpc_url next;
		if (!rp->has_location) {
			finish(f, FETCH_E_REDIRECT, "HTTP %d without a Location", rp->status);
			return -1;
		}
		if (f->r.redirects >= f->max_redirects) {
			finish(f, FETCH_E_REDIRECT, "more than %d redirects (last to %.200s)", f->max_redirects,
			       rp->location);
			return -1;
		}
		if (httpc_url_resolve(&next, &f->url, rp->location, strlen(rp->location), &why) < 0) {
			finish(f, FETCH_E_REDIRECT, "bad Location '%.200s': %s", rp->location, why);
			return -1;
		}
		if (f->url.https && !next.https) {
			finish(f, FETCH_E_REDIRECT, "redirect from https to http refused (%.200s)", rp->location);
			return -1;
		}
		f->r.redirects++;
		conn_close(f);
		gz_free(f);
		f->url = next;
		if (httpc_url_format(&f->url, f->url_str, sizeof f->url_str) < 0) {
			finish(f, FETCH_E_REDIRECT, "redirect target too long");
			return -1;
		}
		log_debug("fetch: redirect %d to %s", rp->status, f->url_str);
		start_resolve(f);
		return f->done ? -1 : 2;
	}
	if (rp->status == 304) {
		if (!f->etag_in && !f->lm_in) {
			finish(f, FETCH_E_HTTP, "HTTP 304 to a request without validators");
			return -1;
		}
		f->r.not_modified = 1;
		set_validators_result(f);
		finish(f, FETCH_OK, "ok");
		return -1;
	}
	if (rp->status != 200) {
		finish(f, FETCH_E_HTTP, "HTTP %d %s", rp->status, rp->reason);
		return -1;
	}
	set_validators_result(f);
	if (rp->framing == HTTPC_BODY_LENGTH && rp->content_length > f->max_bytes) {
		finish(f, FETCH_E_TOO_BIG, "Content-Length %llu is over the cap of %llu bytes",
		       (unsigned long long)rp->content_length, (unsigned long long)f->max_bytes);
		return -1;
	}
	f->body_left = rp->content_length;
	httpc_chunked_init(&f->ch);
	if (rp->gzip && !(f->gz[0] = calloc(1, sizeof *f->gz[0]))) {
		finish(f, FETCH_E_NOMEM, "out of memory");
		return -1;
	}
	if (httpc_url_is_gz(&f->url) && !(f->gz[1] = calloc(1, sizeof *f->gz[1]))) {
		finish(f, FETCH_E_NOMEM, "out of memory");
		return -1;
	}
	f->state = F_BODY;
	if (rp->framing == HTTPC_BODY_NONE) {
		body_complete(f);
		return -1;
	}
	return 0;
}

/* Body bytes as they came off the connection (p is writable: chunked decodes in place). */
static int on_body(struct fetch *f, uint8_t *p, size_t n, size_t *used)
{
	*used = n;
	if (f->resp.framing == HTTPC_BODY_CHUNKED) {
		size_t out;
		const char *why = "?";
		long k = httpc_chunked_decode(&f->ch, p, n, &out, &why);
		if (k < 0) {
			finish(f, FETCH_E_PROTO, "bad chunked body after %llu bytes: %s",
			       (unsigned long long)f->body_wire, why);
			return -1;
		}
		*used = (size_t)k;
		f->body_wire += out;
		if (f->body_wire > f->max_bytes) {
			finish(f, FETCH_E_TOO_BIG, "body larger than the cap of %llu bytes",
			       (unsigned long long)f->max_bytes);
			return -1;
		}
		if (stage(f, 0, p, out) < 0)
			return -1;
		if (f->ch.done) {
			body_complete(f);
			return -1;
		}
		return 0;
	}
	if (f->resp.framing == HTTPC_BODY_LENGTH && n > f->body_left)
		*used = n = (size_t)f->body_left;
	f->body_wire += n;
	if (f->body_wire > f->max_bytes) {
		finish(f, FETCH_E_TOO_BIG, "body larger than the cap of %llu bytes", (unsigned long long)f->max_bytes);
		return -1;
	}
	if (stage(f, 0, p, n) < 0)
		return -1;
	if (f->resp.framing == HTTPC_BODY_LENGTH) {
		f->body_left -= n;
		if (!f->body_left) {
			body_complete(f);
			return -1;
		}
	}
	return 0;
}

/*
 * Bytes from the server.  Returns 0 to go on reading, -1 when the fetch
 * ended or moved to a new connection (redirect): stop using this one.
 */
static int on_bytes(struct fetch *f, uint8_t *p, size_t n)
{
	while (n > 0) {
		if (f->state == F_BODY) {
			size_t used;
			if (on_body(f, p, n, &used) < 0)
				return -1;
			p += used;
			n -= used;
			continue;
		}
		if (f->state != F_HEAD)
			return 0;
		if (!f->head && !(f->head = malloc(HTTPC_HEAD_MAX))) {
			finish(f, FETCH_E_NOMEM, "out of memory");
			return -1;
		}
		size_t room = HTTPC_HEAD_MAX - f->head_len;
		size_t k = n < room ? n : room;
		memcpy(f->head + f->head_len, p, k);
		/* look from a little before the old end: the blank line may straddle */
		size_t from = f->head_len > 3 ? f->head_len - 3 : 0;
		f->head_len += k;
		p += k;
		n -= k;
		for (;;) {
			size_t e = httpc_head_end(f->head + from, f->head_len - from);
			if (!e) {
				if (f->head_len == HTTPC_HEAD_MAX) {
					finish(f, FETCH_E_PROTO, "response head over %d bytes", HTTPC_HEAD_MAX);
					return -1;
				}
				break;
			}
			size_t hl = from + e;
			int r = on_head(f, hl);
			if (r < 0 || r == 2)
				return -1;	/* ended, or a redirect on a new connection */
			if (r == 1) {
				/* an interim 1xx head: drop it, look for the next in what is left */
				memmove(f->head, f->head + hl, f->head_len - hl);
				f->head_len -= hl;
				from = 0;
				continue;
			}
			/* the final head: what followed it is body */
			size_t extra = f->head_len - hl;
			if (extra) {
				size_t used;
				if (on_body(f, f->head + hl, extra, &used) < 0)
					return -1;
			}
			free(f->head);
			f->head = NULL;
			f->head_len = 0;
			break;
		}
	}
	return 0;
}

/* The server closed the connection (cleanly for TLS when clean). */
static void on_eof(struct fetch *f, int clean)
{
	if (f->state == F_BODY && f->resp.framing == HTTPC_BODY_CLOSE) {
		if (clean) {
			body_complete(f);
			return;
		}
		finish(f, FETCH_E_TRUNCATED, "connection closed without close_notify after %llu body bytes",
		       (unsigned long long)f->body_wire);
		return;
	}
	if (f->state == F_BODY) {
		if (f->resp.framing == HTTPC_BODY_LENGTH)
			finish(f, FETCH_E_TRUNCATED, "connection closed after %llu of %llu body bytes",
			       (unsigned long long)f->body_wire, (unsigned long long)f->resp.content_length);
		else
			finish(f, FETCH_E_TRUNCATED, "connection closed inside the chunked body after %llu bytes",
			       (unsigned long long)f->body_wire);
		return;
	}
	finish(f, FETCH_E_TRUNCATED, "connection closed before a complete response head (%zu bytes)",
	       f->head_len);
}

/* ---- timers ----------------------------------------------------------------------------- */

static void on_total_timeout(struct ev_loop *loop TIP_UNUSED, ev_timer *w, int revents TIP_UNUSED)
{
	struct fetch *f = container_of(w, struct fetch, t_total);
	finish(f, FETCH_E_TIMEOUT, "total timeout (%.0f s) in the %s phase", f->total_timeout,
	       f->state == F_BODY ? "body" : f->state == F_HEAD ? "response head" :
	       f->state == F_RESOLVE ? "resolve" : "connect");
	fetch_free(f);
}

static void try_next_addr(struct fetch *f);

static void on_phase_timeout(struct ev_loop *loop, ev_timer *w, int revents TIP_UNUSED)
{
	struct fetch *f = container_of(w, struct fetch, t_phase);
	if (f->state == F_CONNECT || f->state == F_HANDSHAKE) {
		snprintf(f->last_conn_err, sizeof f->last_conn_err, "%s: connect timeout (%.1f s%s)", f->peer,
			 f->connect_timeout, f->state == F_HANDSHAKE ? ", in the TLS handshake" : "");
		f->conn_timed_out = 1;
		conn_close(f);
		try_next_addr(f);
	} else {
		ev_tstamp idle = ev_now(loop) - f->last_rx;
		if (idle < f->read_timeout) {
			w->repeat = f->read_timeout - idle;
			ev_timer_again(loop, w);
			return;
		}
		finish(f, FETCH_E_TIMEOUT, "read timeout: nothing from %s for %.1f s (%s)", f->peer,
		       f->read_timeout, f->state == F_BODY ? "in the body" : "waiting for the response");
	}
	if (f->done)
		fetch_free(f);
}

static void on_defer(struct ev_loop *loop TIP_UNUSED, ev_timer *w, int revents TIP_UNUSED)
{
	struct fetch *f = container_of(w, struct fetch, t_defer);
	int err = f->r.err;
	f->r.err = 0;
	if (err < 0) {
		start_resolve(f);	/* the first step, on the loop */
	} else {
		char msg[sizeof f->errmsg];	/* an error fetch_start found */
		snprintf(msg, sizeof msg, "%s", f->errmsg);
		finish(f, err, "%s", msg);
	}
	if (f->done)
		fetch_free(f);
}

/* ---- I/O -------------------------------------------------------------------------------- */

static void tls_failed(struct fetch *f)
{
	int e = tls_conn_error(&f->tconn);
	if (f->state == F_HANDSHAKE) {
		enum tls_err_class cl = tls_err_class(e);
		char dates[96];
		if (cl == TLS_ERR_CERT_TIME) {
			if (tls_client_cert_dates(f->tc, dates, sizeof dates) < 0)
				snprintf(dates, sizeof dates, "a certificate of the chain");
			else if (strncmp(dates, "valid", 5) == 0)
				snprintf(dates, sizeof dates, "a CA certificate of the chain is out of its dates");
			char now[32];
			time_t t = (time_t)(clock_now_us() / 1000000);
			struct tm tm;
			gmtime_r(&t, &tm);
			strftime(now, sizeof now, "%Y-%m-%dT%H:%M:%SZ", &tm);
			finish(f, FETCH_E_CERT_TIME, "certificate of %s refused: %s (our clock: %s)", f->url.host,
			       dates, now);
		} else if (cl == TLS_ERR_CERT) {
			const char *extra = "";
			if (e == 62)
				extra = tls_client_chain_len(f->tc) == 1
						? " (the server sent 1 certificate: self-signed, or its issuer is not in the CA file)"
						: " (no CA of the file issued the chain)";
			finish(f, FETCH_E_CERT, "certificate of %s refused: %s%s", f->url.host, tls_err_str(e), extra);
		} else if (f->tconn.io_failed) {
			snprintf(f->last_conn_err, sizeof f->last_conn_err, "%s: TLS handshake: %s", f->peer,
				 f->tconn.peer_closed ? "connection closed by the server"
						      : strerror(f->tconn.sys_errno));
			conn_close(f);
			try_next_addr(f);
		} else {
			finish(f, FETCH_E_TLS, "TLS handshake with %s failed: %s (BearSSL %d)", f->peer,
			       tls_err_str(e), e);
		}
		return;
	}
	if (e == 0) {
		on_eof(f, 1);
		return;
	}
	if (f->tconn.io_failed) {
		if (f->tconn.peer_closed)
			on_eof(f, 0);
		else
			finish(f, FETCH_E_IO, "read from %s: %s", f->peer, strerror(f->tconn.sys_errno));
		return;
	}
	finish(f, FETCH_E_TLS, "TLS error with %s: %s (BearSSL %d)", f->peer, tls_err_str(e), e);
}

static void handshake_done(struct fetch *f)
{
	f->state = F_SEND;
	ev_timer_stop(f->loop, &f->t_phase);
	f->last_rx = ev_now(f->loop);
	f->t_phase.repeat = f->read_timeout;
	ev_timer_again(f->loop, &f->t_phase);
}

static void io_tls(struct fetch *f)
{
	size_t budget = FETCH_SLICE;
	for (;;) {
		int want = tls_conn_pump(&f->tconn);
		if (want < 0) {
			tls_failed(f);
			return;
		}
		if (f->state == F_HANDSHAKE && tls_conn_ready(&f->tconn))
			handshake_done(f);
		if (f->state == F_SEND) {
			size_t k = tls_conn_send(&f->tconn, f->req + f->req_off, f->req_len - f->req_off);
			f->req_off += k;
			if (f->req_off == f->req_len) {
				tls_conn_flush(&f->tconn);
				f->state = F_HEAD;
			}
			if (k)
				continue;
		}
		size_t n;
		const unsigned char *p = tls_conn_recv(&f->tconn, &n);
		if (p && n) {
			f->last_rx = ev_now(f->loop);
			/* BearSSL's buffer holds decrypted data we own until the ack. */
			int k = on_bytes(f, (uint8_t *)p, n);
			if (k < 0)
				return;
			tls_conn_recv_ack(&f->tconn, n);
			if (budget <= n)
				return;	/* more next time round: level-triggered */
			budget -= n;
			continue;
		}
		int ev = (want & TLS_WANT_READ ? EV_READ : 0) | (want & TLS_WANT_WRITE ? EV_WRITE : 0);
		if (!ev)
			ev = EV_READ;
		if ((f->io.events & (EV_READ | EV_WRITE)) != ev) {
			ev_io_stop(f->loop, &f->io);
			ev_io_set(&f->io, f->fd, ev);
			ev_io_start(f->loop, &f->io);
		}
		return;
	}
}

static void io_plain(struct fetch *f)
{
	if (f->state == F_SEND) {
		ssize_t k = send(f->fd, f->req + f->req_off, f->req_len - f->req_off, MSG_NOSIGNAL);
		if (k < 0 && errno != EAGAIN && errno != EINTR) {
			finish(f, FETCH_E_IO, "send to %s: %s", f->peer, strerror(errno));
			return;
		}
		if (k > 0)
			f->req_off += (size_t)k;
		if (f->req_off < f->req_len)
			return;
		f->state = F_HEAD;
		ev_io_stop(f->loop, &f->io);
		ev_io_set(&f->io, f->fd, EV_READ);
		ev_io_start(f->loop, &f->io);
		return;
	}
	size_t budget = FETCH_SLICE;
	while (budget > 0) {
		ssize_t k = recv(f->fd, f->rbuf, FETCH_RBUF, 0);
		if (k < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
				return;
			finish(f, FETCH_E_IO, "read from %s: %s", f->peer, strerror(errno));
			return;
		}
		if (k == 0) {
			on_eof(f, 1);
			return;
		}
		f->rx_plain += (uint64_t)k;
		f->last_rx = ev_now(f->loop);
		if (on_bytes(f, f->rbuf, (size_t)k) < 0)
			return;
		budget = (size_t)k >= budget ? 0 : budget - (size_t)k;
	}
}

static void connected(struct fetch *f)
{
	if (f->url.https) {
		f->state = F_HANDSHAKE;
		f->tc = tls_client_new(f->anchors ? &f->anchors->a : NULL, f->url.host, f->insecure);
		if (!f->tc) {
			finish(f, FETCH_E_NOMEM, "TLS client: %s", strerror(errno));
			return;
		}
		tls_conn_init(&f->tconn, tls_client_engine(f->tc), f->fd);
		io_tls(f);
		return;
	}
	/* plain: a receive buffer of our own (TLS reads from BearSSL's) */
	if (!f->rbuf && !(f->rbuf = malloc(FETCH_RBUF))) {
		finish(f, FETCH_E_NOMEM, "out of memory");
		return;
	}
	handshake_done(f);
	ev_io_stop(f->loop, &f->io);
	ev_io_set(&f->io, f->fd, EV_WRITE);
	ev_io_start(f->loop, &f->io);
}

static void on_io(struct ev_loop *loop TIP_UNUSED, ev_io *w, int revents TIP_UNUSED)
{
	struct fetch *f = container_of(w, struct fetch, io);
	if (f->state == F_CONNECT) {
		int soerr = 0;
		socklen_t sl = sizeof soerr;
		if (getsockopt(f->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0)
			soerr = errno;
		if (soerr) {
			snprintf(f->last_conn_err, sizeof f->last_conn_err, "%s: %s", f->peer, strerror(soerr));
			f->conn_timed_out = 0;
			conn_close(f);
			try_next_addr(f);
		} else {
			connected(f);
		}
	} else if (f->tc) {
		io_tls(f);
	} else {
		io_plain(f);
	}
	if (f->done)
		fetch_free(f);
}

static void peer_str(const struct sockaddr_storage *ss, char *buf, size_t cap)
{
	char a[INET6_ADDRSTRLEN];
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)ss;
		inet_ntop(AF_INET6, &s6->sin6_addr, a, sizeof a);
		snprintf(buf, cap, "[%s]:%u", a, ntohs(s6->sin6_port));
	} else {
		const struct sockaddr_in *s4 = (const void *)ss;
		inet_ntop(AF_INET, &s4->sin_addr, a, sizeof a);
		snprintf(buf, cap, "%s:%u", a, ntohs(s4->sin_port));
	}
}

/* Connect to addrs[addr_i++]; when none is left, fail with the last error. */
static void try_next_addr(struct fetch *f)
{
	while (f->addr_i < f->naddr) {
		struct sockaddr_storage *ss = &f->addrs[f->addr_i++];
		socklen_t sl = ss->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
		peer_str(ss, f->peer, sizeof f->peer);
		int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			snprintf(f->last_conn_err, sizeof f->last_conn_err, "%s: socket: %s", f->peer, strerror(errno));
			continue;
		}
		/* BearSSL writes a handshake flight as several records: without
		 * TCP_NODELAY, Nagle holds the later ones for the server's
		 * delayed ACK (40 ms a fetch). */
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		if (connect(fd, (struct sockaddr *)ss, sl) < 0 && errno != EINPROGRESS) {
			snprintf(f->last_conn_err, sizeof f->last_conn_err, "%s: %s", f->peer, strerror(errno));
			close(fd);
			continue;
		}
		f->fd = fd;
		f->state = F_CONNECT;
		f->req_off = 0;
		f->head_len = 0;
		ev_io_init(&f->io, on_io, fd, EV_WRITE);
		ev_io_start(f->loop, &f->io);
		ev_timer_stop(f->loop, &f->t_phase);
		ev_timer_set(&f->t_phase, f->connect_timeout, 0.);
		ev_timer_start(f->loop, &f->t_phase);
		return;
	}
	finish(f, f->conn_timed_out ? FETCH_E_TIMEOUT : FETCH_E_CONNECT, "cannot connect to %s: %s", f->url.host,
	       f->last_conn_err[0] ? f->last_conn_err : "no address");
}

/* Build the request for f->url into f->req; -1 when it does not fit. */
static int build_request(struct fetch *f)
{
	char hostport[HTTPC_HOST_MAX + 10];
	const struct httpc_url *u = &f->url;
	if (u->port != (u->https ? 443 : 80))
		snprintf(hostport, sizeof hostport, "%s%s%s:%u", u->host_v6 ? "[" : "", u->host,
			 u->host_v6 ? "]" : "", u->port);
	else
		snprintf(hostport, sizeof hostport, "%s%s%s", u->host_v6 ? "[" : "", u->host, u->host_v6 ? "]" : "");
	int k = snprintf(f->req, sizeof f->req,
			 "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: %s\r\nAccept: */*\r\n"
			 "%sConnection: close\r\n%s%s%s%s%s%s\r\n",
			 u->path, hostport, f->user_agent, FETCH_GZIP ? "Accept-Encoding: gzip\r\n" : "", f->etag_in ? "If-None-Match: " : "",
			 f->etag_in ? f->etag_in : "", f->etag_in ? "\r\n" : "",
			 f->lm_in ? "If-Modified-Since: " : "", f->lm_in ? f->lm_in : "", f->lm_in ? "\r\n" : "");
	if (k < 0 || (size_t)k >= sizeof f->req)
		return -1;
	f->req_len = (size_t)k;
	return 0;
}

static void add_addr(struct fetch *f, int family, const void *a)
{
	if (f->naddr >= FETCH_ADDRS_MAX)
		return;
	struct sockaddr_storage *ss = &f->addrs[f->naddr++];
	memset(ss, 0, sizeof *ss);
	uint16_t port = htons(f->port_override ? (uint16_t)f->port_override : f->url.port);
	if (family == AF_INET6) {
		struct sockaddr_in6 *s6 = (void *)ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = port;
		memcpy(&s6->sin6_addr, a, 16);
	} else {
		struct sockaddr_in *s4 = (void *)ss;
		s4->sin_family = AF_INET;
		s4->sin_port = port;
		memcpy(&s4->sin_addr, a, 4);
	}
}

static void begin_connect(struct fetch *f);

static void on_dns(struct resolver_query *q, const struct resolver_answer *a, void *arg)
{
	struct fetch *f = arg;
	int is4 = q == f->q4;
	if (is4)
		f->q4 = NULL;
	else
		f->q6 = NULL;
	/* Keep this answer's addresses in the fetch: encoded directly into addrs in arrival order;
	 * reordered below once both are in. */
	if (a->outcome == RESOLVER_OK)
		for (unsigned i = 0; i < a->n; i++) {
			const struct resolver_rr *rr = &a->rr[i];
			if (rr->type == RESOLVER_A && rr->len == 4)
				add_addr(f, AF_INET, rr->u.addr);
			else if (rr->type == RESOLVER_AAAA && rr->len == 16)
				add_addr(f, AF_INET6, rr->u.addr);
		}
	else
		snprintf(f->last_conn_err, sizeof f->last_conn_err, "%s %s", is4 ? "A" : "AAAA",
			 resolver_outcome_name(a->outcome));
	if (f->q4 || f->q6)
		return;
	if (!f->naddr) {
		finish(f, FETCH_E_DNS, "cannot resolve %s: %s", f->url.host, f->last_conn_err);
	} else {
		/* interleave: v6, v4, v6, v4 ... */
		struct sockaddr_storage v6[FETCH_ADDRS_MAX], v4[FETCH_ADDRS_MAX];
		unsigned n6 = 0, n4 = 0;
		for (unsigned i = 0; i < f->naddr; i++) {
			if (f->addrs[i].ss_family == AF_INET6)
				v6[n6++] = f->addrs[i];
			else
				v4[n4++] = f->addrs[i];
		}
		unsigned k = 0;
		for (unsigned i = 0; i < FETCH_ADDRS_MAX && k < f->naddr; i++) {
			if (i < n6)
				f->addrs[k++] = v6[i];
			if (i < n4)
				f->addrs[k++] = v4[i];
		}
		f->last_conn_err[0] = 0;
		begin_connect(f);
	}
	if (f->done)
		fetch_free(f);
}

static void begin_connect(struct fetch *f)
{
	f->addr_i = 0;
	if (build_request(f) < 0) {
		finish(f, FETCH_E_URL, "request for %s too long", f->url_str);
		return;
	}
	if (f->url.https && !f->anchors && !f->insecure) {
		f->anchors = anchors_get(f->loop, f->ca_file);
		if (!f->anchors) {
			finish(f, FETCH_E_NOMEM, "out of memory");
			return;
		}
		if (f->anchors->state == AR_LOADING) {
			f->state = F_ANCHORS;
			f->anchor_next = f->anchors->waiters;
			f->anchors->waiters = f;
			return;
		}
	}
	anchors_ready(f);
}

/* The anchors are there (or not needed): connect.  An entry point when called by anchors_on_done. */
static void anchors_ready(struct fetch *f)
{
	int waited = f->state == F_ANCHORS;
	if (f->anchors && f->anchors->state == AR_FAILED)
		finish(f, FETCH_E_CERT, "CA file: %s", f->anchors->why);
	else
		try_next_addr(f);
	if (waited && f->done)
		fetch_free(f);
}

/* Parse "ADDR", "ADDR:PORT", "[V6]:PORT" into addrs; -1 when it is not one. */
static int parse_connect_to(struct fetch *f, const char *s)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *port = NULL;
	if (s[0] == '[') {
		const char *e = strchr(s, ']');
		if (!e || (size_t)(e - s - 1) >= sizeof host)
			return -1;
		memcpy(host, s + 1, (size_t)(e - s - 1));
		host[e - s - 1] = 0;
		if (e[1] == ':')
			port = e + 2;
		else if (e[1])
			return -1;
	} else {
		const char *c = strchr(s, ':');
		if (c && strchr(c + 1, ':'))
			c = NULL;	/* a bare IPv6 address */
		size_t hl = c ? (size_t)(c - s) : strlen(s);
		if (hl >= sizeof host)
			return -1;
		memcpy(host, s, hl);
		host[hl] = 0;
		if (c)
			port = c + 1;
	}
	if (port) {
		char *end;
		long v = strtol(port, &end, 10);
		if (*end || v < 1 || v > 65535)
			return -1;
		f->port_override = (unsigned)v;
	}
	uint8_t a[16];
	if (inet_pton(AF_INET, host, a) == 1)
		add_addr(f, AF_INET, a);
	else if (inet_pton(AF_INET6, host, a) == 1)
		add_addr(f, AF_INET6, a);
	else
		return -1;
	return 0;
}

static void start_resolve(struct fetch *f)
{
	uint8_t a[16];
	f->naddr = 0;
	f->port_override = 0;
	f->state = F_RESOLVE;
	f->last_conn_err[0] = 0;
	f->peer[0] = 0;
	if (f->url.https && !ENABLE_TLS) {
		finish(f, FETCH_E_UNSUPPORTED, "https: this tipd was built without TLS");
		return;
	}
	if (f->url.https && !f->insecure && !clock_is_set()) {
		finish(f, FETCH_E_CLOCK,
		       "clock not set: HTTPS certificate dates cannot be checked; waiting for the clock "
		       "(NTP hook, or `tip clock synced`)");
		return;
	}
	if (f->connect_to && f->r.redirects == 0) {
		if (parse_connect_to(f, f->connect_to) < 0) {
			finish(f, FETCH_E_URL, "bad connect-to address '%.100s'", f->connect_to);
			return;
		}
		begin_connect(f);
		return;
	}
	if (inet_pton(AF_INET, f->url.host, a) == 1) {
		add_addr(f, AF_INET, a);
	} else if (inet_pton(AF_INET6, f->url.host, a) == 1) {
		add_addr(f, AF_INET6, a);
	} else if (!strcmp(f->url.host, "localhost")) {
		/* RFC 6761: localhost is the loopback, without asking DNS */
		static const uint8_t lo6[16] = {[15] = 1}, lo4[4] = {127, 0, 0, 1};
		if (ENABLE_IPV6 && f->family != 4)
			add_addr(f, AF_INET6, lo6);
		if (f->family != 6)
			add_addr(f, AF_INET, lo4);
	} else {
		if (!f->res) {
			finish(f, FETCH_E_DNS, "cannot resolve %s: no resolver", f->url.host);
			return;
		}
		if (f->family != 6) {
			f->q4 = resolver_submit(f->res, RESOLVER_A, f->url.host, on_dns, f);
			if (!f->q4)
				snprintf(f->last_conn_err, sizeof f->last_conn_err, "A: %s", strerror(errno));
		}
		if (ENABLE_IPV6 && f->family != 4) {
			f->q6 = resolver_submit(f->res, RESOLVER_AAAA, f->url.host, on_dns, f);
			if (!f->q6)
				snprintf(f->last_conn_err, sizeof f->last_conn_err, "AAAA: %s", strerror(errno));
		}
		if (!f->q4 && !f->q6)
			finish(f, FETCH_E_DNS, "cannot resolve %s: %s", f->url.host, f->last_conn_err);
		return;
	}
	if (f->family == 4 || f->family == 6) {
		int want = f->family == 4 ? AF_INET : AF_INET6;
		unsigned k = 0;
		for (unsigned i = 0; i < f->naddr; i++)
			if (f->addrs[i].ss_family == want)
				f->addrs[k++] = f->addrs[i];
		f->naddr = k;
	}
	begin_connect(f);
}

/* ---- public ---------------------------------------------------------------------------- */

static char *dup_or_null(const char *s, int *fail)
{
	if (!s)
		return NULL;
	char *d = strdup(s);
	if (!d)
		*fail = 1;
	return d;
}

/* A validator goes into a header line: printable ASCII only, else it is not sent. */
static char *dup_validator(const char *s, int *fail)
{
	if (!s || !*s || strlen(s) >= FETCH_VALIDATOR_MAX)
		return NULL;
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
			return NULL;
	return dup_or_null(s, fail);
}

struct resolver *fetch_resolver_new(struct ev_loop *loop, unsigned inflight, unsigned queued,
				    const char *who)
{
	struct resolver_config rc;
	const char *why = NULL;
	resolver_config_defaults(&rc);
	rc.contexts = 1;
	rc.per_ctx_inflight = inflight;
	rc.max_inflight = inflight;
	rc.max_queued = queued;
	struct resolver *r = resolver_new(loop, &rc, &why);
	if (!r)
		log_warnx("%s: resolver: %s: only URLs with addresses or localhost will work", who,
			  why ? why : "failed");
	return r;
}

struct fetch *fetch_start(struct ev_loop *loop, struct resolver *res, const struct fetch_opts *o,
			  const struct fetch_cb *cb, void *arg)
{
	if (!loop || !o || !o->url || !cb || !cb->on_done) {
		errno = EINVAL;
		return NULL;
	}
	struct fetch *f = calloc(1, sizeof *f);
	if (!f)
		return NULL;
	int fail = 0;
	f->loop = loop;
	f->res = res;
	f->cb = *cb;
	f->arg = arg;
	f->fd = -1;
	f->t0 = ev_time();
	f->ca_file = dup_or_null(o->ca_file ? o->ca_file : FETCH_CA_FILE_DEFAULT, &fail);
	f->etag_in = dup_validator(o->etag, &fail);
	f->lm_in = dup_validator(o->last_modified, &fail);
	f->user_agent = dup_or_null(o->user_agent ? o->user_agent : "tip/" TIP_VERSION, &fail);
	f->connect_to = dup_or_null(o->connect_to, &fail);
	f->insecure = o->insecure;
	f->family = ENABLE_IPV6 ? o->family : 4;
	f->max_redirects = o->max_redirects < 0 ? 0 : o->max_redirects == 0 ? FETCH_REDIRECTS_MAX : o->max_redirects;
	if (f->max_redirects > FETCH_REDIRECTS_MAX)
		f->max_redirects = FETCH_REDIRECTS_MAX;
	f->max_bytes = o->max_bytes ? o->max_bytes : FETCH_MAX_BYTES_DEFAULT;
	f->connect_timeout = o->connect_timeout > 0 ? o->connect_timeout : FETCH_CONNECT_TIMEOUT_DEFAULT;
	f->read_timeout = o->read_timeout > 0 ? o->read_timeout : FETCH_READ_TIMEOUT_DEFAULT;
	f->total_timeout = o->total_timeout > 0 ? o->total_timeout : FETCH_TOTAL_TIMEOUT_DEFAULT;
	if (fail) {
		fetch_free(f);
		errno = ENOMEM;
		return NULL;
	}
	ev_timer_init(&f->t_total, on_total_timeout, f->total_timeout, 0.);
	ev_timer_init(&f->t_phase, on_phase_timeout, 0., 0.);
	ev_timer_init(&f->t_defer, on_defer, 0., 0.);
	ev_timer_start(loop, &f->t_total);

	snprintf(f->url_str, sizeof f->url_str, "%s", o->url);
	const char *why = "?";
	char esc[LOG_ESC_MAX];
	if (strlen(o->url) >= FETCH_URL_MAX || httpc_url_parse(&f->url, o->url, strlen(o->url), &why) < 0) {
		if (strlen(o->url) >= FETCH_URL_MAX)
			why = "URL too long";
		f->r.err = FETCH_E_URL;
		snprintf(f->errmsg, sizeof f->errmsg, "bad URL '%s': %s", log_esc(esc, sizeof esc, o->url, strlen(o->url)),
			 why);
		ev_timer_start(loop, &f->t_defer);
		return f;
	}
	httpc_url_format(&f->url, f->url_str, sizeof f->url_str);
	if (f->url.https && f->insecure)
		log_warnx("fetch: %s: INSECURE: the server's certificate is not checked (insecure yes)", f->url_str);
	/* Everything else happens on the loop, so on_done never runs inside fetch_start. */
	f->r.err = -1;
	ev_timer_start(loop, &f->t_defer);
	return f;
}

void fetch_cancel(struct fetch *f)
{
	if (!f || f->done)
		return;
	f->done = 1;
	fetch_free(f);
}

/* ---- configuration (fetch.h) ------------------------------------------------ */

static int key_url(const struct conf *c, const struct conf_node *n, void *base, char *err,
		   size_t errlen)
{
	struct fetch_conf *fc = base;
	if (conf_arg1(c, n, err, errlen) < 0)
		return -1;
	const char *a = n->argv[0];
	if (strncmp(a, "http://", 7) && strncmp(a, "https://", 8))
		return conf_error(c, n, err, errlen, "url: http:// or https:// only");
	if (strlen(a) > fc->url_max)
		return conf_error(c, n, err, errlen, "url: longer than %zu bytes", fc->url_max);
	if (!ENABLE_TLS && !strncmp(a, "https://", 8))
		return conf_error(c, n, err, errlen,
				  "url: https needs TLS, which is not built in (Kconfig)");
	fc->url = a;
	return 0;
}

static int key_max_size(const struct conf *c, const struct conf_node *n, void *base, char *err,
			size_t errlen)
{
	struct fetch_conf *fc = base;
	uint64_t v;
	if (conf_get_size(c, n, &v, err, errlen) < 0)
		return -1;
	if (v < fc->size_min)
		return conf_error(c, n, err, errlen, "max-size: at least %lluk",
				  (unsigned long long)(fc->size_min >> 10));
	fc->max_size = v;
	return 0;
}

#define FC_OFF(f) offsetof(struct fetch_conf, f)

const struct conf_key fetch_conf_keys[] = {
	{"url", CONF_K_FN, 0, 0, 0, 0, .fn = key_url},
	{"ca-file", CONF_K_STR, CONF_F_ABS, FC_OFF(ca_file), 0, 0, {NULL}},
	{"insecure", CONF_K_BOOL, 0, FC_OFF(insecure), 0, 0, {NULL}},
	{"timeout", CONF_K_DUR, 0, FC_OFF(timeout_us), 1000000, 0, {NULL}},
	{"max-size", CONF_K_FN, 0, 0, 0, 0, .fn = key_max_size},
};
