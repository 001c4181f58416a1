/*
 * pull: `tip pull URL --store DIR --key DIR --peer FINGERPRINT [-q]
 *        [--timeout S] [--retries N]`, or `tip pull --config FILE`.
 *
 * Fetches from a sensor's share module (tipd.conf(5), doc/sharing.md) the
 * sealed segments this store lacks, over TLS with both keys pinned: ours
 * (--key, made by `tip keygen`) must be listed by the sensor, and the
 * sensor's key must have the fingerprint --peer.  The newest sequence
 * fetched in full is kept in state/pull.<peer>; a later pull asks only
 * for what came after it.
 *
 * A segment is fetched into state/pull/NAME.tlog.part and its index (when
 * the listing names one) into NAME.cdb.part (a killed pull resumes there
 * with a Range request), each fsynced, and published only when its size,
 * its SHA-256 (from the listing), its header's sequence, every frame's CRC
 * and its seal check, and the index's digest and meta record (it is the
 * index of exactly this segment; else it is built here): the index, then
 * the segment renamed into log/; log/ is fsynced once per run, before the
 * state file records how far it got.  A pull killed at any point leaves a
 * store that verifies, holding whole sealed segments only (at worst an
 * index whose segment is not there yet: a foreign file, which the next
 * pull completes), and at most the active segment's copy below.
 *
 * The active segment is fetched up to the durable size the listing gave,
 * into its part file started from the copy the last pull published, and
 * renamed over that copy once its frames check: readers see one whole
 * prefix or the next.  Once sealed at the sensor it is fetched as a sealed
 * segment, from that copy on, and checked whole against its digest.
 *
 * The connection is blocking (br_sslio; tip has no event loop) with a
 * timeout on every read and write.  A connection that breaks (the
 * server's time limit on a session, a network fault) is opened again, at
 * most --retries times in a row without progress.
 *
 * Exit: 0 up to date, 2 usage or a local error (store, key files), 3 the
 * server could not be reached or the connection failed, 4 refused (a key
 * on either side is not the expected one), 5 the server's data failed a
 * check (listing, size, digest, frames, seal; nothing of it published).
 */
#define _GNU_SOURCE 1	/* sync_file_range */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "cdefs.h"
#include "tip.h"
#include "tip_config.h"

#if ENABLE_TLS
#include "clock.h"
#include "index.h"
#include "lock.h"
#include "peer.h"
#include "seg.h"
#include "sha256.h"
#include "share.h"
#include "store.h"

enum {
	PX_OK = 0,
	PX_USAGE = 2,
	PX_NET = 3,
	PX_REFUSED = 4,
	PX_DATA = 5,
};

#define SOCK_BUF (256u << 10)
#define FILE_BUF (1u << 20)

struct opts {
	char url[512];
	char store[4096];
	char key[4096];
	char peer[128];
	int timeout_s;
	int retries;
	int quiet;
};

struct conn {
	int fd;
	br_ssl_client_context sc;
	br_x509_minimal_context xc;	/* unused: replaced by the pin */
	struct peer_pin pin;
	br_sslio_context io;
	unsigned char iobuf[BR_SSL_BUFSIZE_BIDI];
	uint8_t rbuf[16384];
	size_t roff, rlen;
	int broken;
	uint8_t sbuf[SOCK_BUF];	/* bytes read from the socket, not yet given to BearSSL */
	size_t soff, slen;
};

struct pull {
	struct opts o;
	struct peer_id id;
	uint8_t peer_fp[1][SHARE_FP_LEN];
	char host[300], port[16];
	char err[1024];
	int x;			/* exit status of the failure in err */
	struct conn *c;
	int tty;
	uint64_t total, done;	/* bytes to fetch, fetched */
	uint64_t received;	/* bytes that came over the network in this run */
	int64_t t0;
	int bar_last;
	int dirty;		/* renamed into log/ since its last fsync */
	uint8_t *wbuf;		/* FILE_BUF: fetched bytes on their way to a file */
	char state_path[4200];
};

static void fail(struct pull *p, int x, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void fail(struct pull *p, int x, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(p->err, sizeof p->err, fmt, ap);
	va_end(ap);
	p->x = x;
}

/* ---- the connection --------------------------------------------------------------- */

/*
 * BearSSL asks for a record's 5-byte head, then its body: two reads a
 * record.  From a buffer of SOCK_BUF bytes, filled by one read, it is one
 * system call for many records.
 */
static int sock_read(void *ctx, unsigned char *buf, size_t len)
{
	struct conn *c = ctx;
	if (c->soff == c->slen) {
		for (;;) {
			ssize_t r = read(c->fd, c->sbuf, sizeof c->sbuf);
			if (r < 0 && errno == EINTR)
				continue;
			if (r == 0) {
				errno = ECONNRESET;
				return -1;
			}
			if (r < 0)
				return -1;
			c->soff = 0;
			c->slen = (size_t)r;
			break;
		}
	}
	size_t k = c->slen - c->soff;
	if (k > len)
		k = len;
	memcpy(buf, c->sbuf + c->soff, k);
	c->soff += k;
	return (int)k;
}

static int sock_write(void *ctx, const unsigned char *buf, size_t len)
{
	int fd = *(int *)ctx;
	for (;;) {
		ssize_t r = send(fd, buf, len, MSG_NOSIGNAL);
		if (r < 0 && errno == EINTR)
			continue;
		return r < 0 ? -1 : (int)r;
	}
}

static void conn_close(struct conn *c)
{
	if (!c)
		return;
	if (c->fd >= 0)
		close(c->fd);
	free(c);
}

/* Why the TLS engine stopped, as text; sets the exit status class. */
static void conn_error(struct pull *p, const char *what)
{
	struct conn *c = p->c;
	int e = br_ssl_engine_last_error(&c->sc.eng);
	char seen[SHARE_FP_TEXT];
	if (e == BR_ERR_X509_NOT_TRUSTED && c->pin.have_seen) {
		share_fp_format(seen, c->pin.seen);
		fail(p, PX_REFUSED, "%s:%s: the server's key %s is not the pinned one (--peer)", p->host,
		     p->port, seen);
		return;
	}
	if (e == BR_ERR_X509_NOT_TRUSTED || e == BR_ERR_X509_EMPTY_CHAIN ||
	    e == BR_ERR_X509_WRONG_KEY_TYPE || e == BR_ERR_BAD_SIGNATURE ||
	    (e >= BR_ERR_RECV_FATAL_ALERT && e < BR_ERR_SEND_FATAL_ALERT)) {
		fail(p, PX_REFUSED, "%s:%s: %s: %s", p->host, p->port, what, peer_ssl_strerror(e));
		return;
	}
	if (e == BR_ERR_IO || e == BR_ERR_OK) {
		int en = errno;
		fail(p, PX_NET, "%s:%s: %s: %s", p->host, p->port, what,
		     en == EAGAIN || en == EWOULDBLOCK ? "timed out"
		     : en == ECONNRESET || en == 0 ? "connection closed by the server"
		     : strerror(en));
		return;
	}
	if (e == BR_ERR_BAD_VERSION || e == BR_ERR_UNSUPPORTED_VERSION || e == BR_ERR_BAD_LENGTH ||
	    e == BR_ERR_UNKNOWN_TYPE) {
		fail(p, PX_NET, "%s:%s: %s: the server does not speak TLS there (BearSSL error %d)",
		     p->host, p->port, what, e);
		return;
	}
	fail(p, PX_NET, "%s:%s: %s: %s (BearSSL error %d)", p->host, p->port, what,
	     peer_ssl_strerror(e), e);
}

static int tcp_connect(struct pull *p)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_ADDRCONFIG};
	struct addrinfo *res, *ai;
	int rc = getaddrinfo(p->host, p->port, &hints, &res);
	if (rc) {
		fail(p, PX_NET, "%s: %s", p->host, gai_strerror(rc));
		return -1;
	}
	int fd = -1, last = 0;
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (fd < 0) {
			last = errno;
			continue;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0 && errno == EINPROGRESS) {
			struct pollfd pf = {.fd = fd, .events = POLLOUT};
			int n = poll(&pf, 1, p->o.timeout_s * 1000);
			int so = 0;
			socklen_t sl = sizeof so;
			if (n == 1 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &so, &sl) == 0 && !so)
				break;
			last = n == 0 ? ETIMEDOUT : so ? so : errno;
		} else if (errno == 0 || errno == EISCONN) {
			break;
		} else {
			last = errno;
		}
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0) {
		fail(p, PX_NET, "%s:%s: %s", p->host, p->port, strerror(last ? last : ECONNREFUSED));
		return -1;
	}
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	int fl = fcntl(fd, F_GETFL);
	fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	struct timeval tv = {.tv_sec = p->o.timeout_s};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	return fd;
}

static int conn_open(struct pull *p)
{
	struct conn *c = calloc(1, sizeof *c);
	if (!c) {
		fail(p, PX_USAGE, "out of memory");
		return -1;
	}
	c->fd = tcp_connect(p);
	if (c->fd < 0) {
		free(c);
		return -1;
	}
	p->c = c;
	br_ssl_client_init_full(&c->sc, &c->xc, NULL, 0);
	peer_pin_init(&c->pin, p->peer_fp, 1);
	br_ssl_engine_set_x509(&c->sc.eng, &c->pin.vtable);
	br_ssl_client_set_single_ec(&c->sc, p->id.chain, 1, &p->id.sk, BR_KEYTYPE_SIGN,
				    BR_KEYTYPE_EC, br_ec_get_default(),
				    br_ecdsa_sign_asn1_get_default());
	br_ssl_engine_set_versions(&c->sc.eng, BR_TLS12, BR_TLS12);
	peer_set_suites(&c->sc.eng, 0);
	br_ssl_engine_set_buffer(&c->sc.eng, c->iobuf, sizeof c->iobuf, 1);
	if (!br_ssl_client_reset(&c->sc, NULL, 0)) {
		conn_error(p, "TLS setup");
		goto fail;
	}
	br_sslio_init(&c->io, &c->sc.eng, sock_read, c, sock_write, &c->fd);
	/* the handshake: flush forces it through */
	if (br_sslio_flush(&c->io) < 0 ||
	    (br_ssl_engine_current_state(&c->sc.eng) & BR_SSL_CLOSED)) {
		int e = br_ssl_engine_last_error(&c->sc.eng);
		if ((e == BR_ERR_IO || e == BR_ERR_OK) && (errno == ECONNRESET || errno == EPIPE ||
							   errno == 0)) {
			/* the share module closes without an alert when it refuses a key */
			fail(p, PX_REFUSED,
			     "%s:%s: the server closed the connection in the handshake: it does not "
			     "accept our key (not a peer in its share section, or our key.pem is not "
			     "the key of our cert.pem), or it has no free connection; its log says "
			     "which", p->host, p->port);
		} else {
			conn_error(p, "handshake");
		}
		goto fail;
	}
	return 0;
fail:
	conn_close(c);
	p->c = NULL;
	return -1;
}

static void conn_drop(struct pull *p)
{
	conn_close(p->c);
	p->c = NULL;
}

static int conn_write(struct pull *p, const char *s, size_t n)
{
	if (br_sslio_write_all(&p->c->io, s, n) < 0 || br_sslio_flush(&p->c->io) < 0) {
		conn_error(p, "sending");
		return -1;
	}
	return 0;
}

/* Fill the read buffer with at least one more byte: 0, or -1 (err set). */
static int conn_fill(struct pull *p)
{
	struct conn *c = p->c;
	if (c->roff == c->rlen)
		c->roff = c->rlen = 0;
	else if (c->roff && c->rlen == sizeof c->rbuf) {
		memmove(c->rbuf, c->rbuf + c->roff, c->rlen - c->roff);
		c->rlen -= c->roff;
		c->roff = 0;
	}
	int n = br_sslio_read(&c->io, c->rbuf + c->rlen, sizeof c->rbuf - c->rlen);
	if (n <= 0) {
		conn_error(p, "receiving");
		return -1;
	}
	c->rlen += (size_t)n;
	return 0;
}

/* Send a GET (of bytes from..last, unless last is UINT64_MAX) and read the response head into *r. */
static int request(struct pull *p, const char *path, uint64_t from, uint64_t last,
		   struct share_resp *r)
{
	char req[512];
	int n;
	if (last != UINT64_MAX)
		n = snprintf(req, sizeof req,
			     "GET %s HTTP/1.1\r\nHost: %s\r\nRange: bytes=%llu-%llu\r\n\r\n", path,
			     p->host, (unsigned long long)from, (unsigned long long)last);
	else
		n = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: %s\r\n\r\n", path, p->host);
	if (conn_write(p, req, (size_t)n) < 0)
		return -1;
	for (;;) {
		const char *why;
		struct conn *c = p->c;
		int k = share_resp_parse(c->rbuf + c->roff, c->rlen - c->roff, r, &why);
		if (k < 0) {
			fail(p, PX_DATA, "%s:%s: GET %s: %s", p->host, p->port, path, why);
			return -1;
		}
		if (k > 0) {
			c->roff += r->head_len;
			return 0;
		}
		if (conn_fill(p) < 0)
			return -1;
	}
}

/* Read the body: n bytes, handed to fn in pieces.  0, or -1 (err set). */
static int read_body(struct pull *p, uint64_t n, int (*fn)(struct pull *, const uint8_t *, size_t,
							  void *), void *ctx)
{
	while (n) {
		struct conn *c = p->c;
		if (c->roff == c->rlen && conn_fill(p) < 0) {
			if (p->x == PX_NET) {
				char why[sizeof p->err];
				snprintf(why, sizeof why, "%s", p->err);
				fail(p, PX_NET, "transfer cut short with %llu bytes to go: %s",
				     (unsigned long long)n, why);
			}
			return -1;
		}
		size_t k = c->rlen - c->roff;
		if (k > n)
			k = (size_t)n;
		if (fn(p, c->rbuf + c->roff, k, ctx) < 0)
			return -1;
		c->roff += k;
		n -= k;
	}
	return 0;
}

/* ---- the listing ------------------------------------------------------------------- */

struct grow {
	uint8_t *p;
	size_t len;
};

static int to_mem(struct pull *p TIP_UNUSED, const uint8_t *b, size_t n, void *ctx)
{
	struct grow *g = ctx;
	memcpy(g->p + g->len, b, n);
	g->len += n;
	return 0;
}

static int discard(struct pull *p TIP_UNUSED, const uint8_t *b TIP_UNUSED, size_t n TIP_UNUSED,
		   void *ctx TIP_UNUSED)
{
	return 0;
}

/*
 * A server that has just started answers 503 until it has the digest of
 * every sealed segment: wait for it, up to PULL_BUSY_WAIT_S, rather than
 * fail a cron job that happened to run right after tipd restarted.
 */
#define PULL_BUSY_WAIT_S 60

static int get_list(struct pull *p, struct share_list *l)
{
	struct share_resp r;
	char err[512];
	int64_t waited_us = 0, pause_us = 200000;
	for (;;) {
		if (!p->c && conn_open(p) < 0)
			return -1;
		if (request(p, "/segments", 0, UINT64_MAX, &r) < 0)
			return -1;
		if (r.status != 503 || waited_us >= PULL_BUSY_WAIT_S * 1000000LL)
			break;
		if (r.content_length != UINT64_MAX && r.content_length <= SHARE_LIST_MAX &&
		    read_body(p, r.content_length, discard, NULL) == 0 && !r.close) {
			/* the connection stays usable */
		} else {
			conn_drop(p);
		}
		usleep((useconds_t)pause_us);
		waited_us += pause_us;
		if (pause_us < 2000000)
			pause_us *= 2;
	}
	if (r.status != 200) {
		fail(p, r.status == 403 ? PX_REFUSED : PX_DATA, "%s:%s: GET /segments: status %d",
		     p->host, p->port, r.status);
		return -1;
	}
	if (r.content_length == UINT64_MAX || r.content_length > SHARE_LIST_MAX) {
		fail(p, PX_DATA, "%s:%s: listing without a length or larger than %u bytes", p->host,
		     p->port, SHARE_LIST_MAX);
		return -1;
	}
	struct grow g = {malloc(r.content_length ? r.content_length : 1), 0};
	if (!g.p) {
		fail(p, PX_USAGE, "out of memory");
		return -1;
	}
	int rc = read_body(p, r.content_length, to_mem, &g);
	if (rc == 0 && share_list_parse(g.p, g.len, l, err, sizeof err) < 0) {
		fail(p, PX_DATA, "%s:%s: %s", p->host, p->port, err);
		rc = -1;
	}
	free(g.p);
	if (rc == 0 && r.close)
		conn_drop(p);
	return rc;
}

/* ---- files -------------------------------------------------------------------------- */

static int fsync_path(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int rc = fsync(fd);
	close(fd);
	return rc;
}

static int mkdir_p1(const char *path)
{
	return mkdir(path, 0755) < 0 && errno != EEXIST ? -1 : 0;
}

/* The newest sequence fetched from this peer, 0 none. */
static uint32_t state_read(struct pull *p)
{
	char buf[128];
	unsigned long v = 0;
	int fd = open(p->state_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	if (sscanf(buf, "seq %lu", &v) != 1 || v > UINT32_MAX)
		return 0;
	return (uint32_t)v;
}

static int state_write(struct pull *p, uint32_t seq, const char *name)
{
	char tmp[4300], text[160];
	snprintf(tmp, sizeof tmp, "%s.tmp", p->state_path);
	int n = snprintf(text, sizeof text, "seq %u\nname %s\n", seq, name);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, text, (size_t)n) != n || fsync(fd) < 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return rename(tmp, p->state_path);
}

/* ---- progress ------------------------------------------------------------------------ */

static void bar(struct pull *p, int final)
{
	if (!p->tty || p->o.quiet)
		return;
	int pct = p->total ? (int)(p->done * 100 / p->total) : 100;
	if (pct == p->bar_last && !final)
		return;
	p->bar_last = pct;
	char fill[41];
	int n = pct * 40 / 100;
	memset(fill, '#', (size_t)n);
	memset(fill + n, ' ', (size_t)(40 - n));
	fill[40] = '\0';
	double s = (clock_mono_us() - p->t0) / 1e6;
	printf("\rtip pull: [%s] %3d%%  %.1f/%.1f MB  %.1f MB/s", fill, pct, p->done / 1048576.0,
	       p->total / 1048576.0, s > 0 ? p->done / 1048576.0 / s : 0.0);
	if (final)
		printf("\n");
	fflush(stdout);
}

/* ---- one file ----------------------------------------------------------------------- */

struct fetch {
	int fd;
	struct sha256 h;
	const char *path;
	uint8_t *wbuf;		/* FILE_BUF bytes not yet written */
	size_t wlen;
	off_t off;		/* where wbuf goes */
};

static int flush_file(struct pull *p, struct fetch *f)
{
	size_t done = 0;
	while (done < f->wlen) {
		ssize_t w = write(f->fd, f->wbuf + done, f->wlen - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			fail(p, PX_USAGE, "%s: %s", f->path, w < 0 ? strerror(errno) : "short write");
			return -1;
		}
		done += (size_t)w;
	}
#if 0 /* SYNC_FILE_RANGE_WRITE */
	/* start writing it out now: the fsync at the end of the file then waits
	 * for little, instead of for the whole file while the socket fills */
	if (f->wlen)
		(void)sync_file_range(f->fd, f->off, (off_t)f->wlen, SYNC_FILE_RANGE_WRITE);
#endif
	f->off += (off_t)f->wlen;
	f->wlen = 0;
	return 0;
}

static int to_file(struct pull *p, const uint8_t *b, size_t n, void *ctx)
{
	struct fetch *f = ctx;
	if (f->wlen + n > FILE_BUF && flush_file(p, f) < 0)
		return -1;
	memcpy(f->wbuf + f->wlen, b, n);
	f->wlen += n;
	sha256_update(&f->h, b, n);
	p->done += n;
	p->received += n;
	bar(p, 0);
	return 0;
}

/*
 * Fetch the listed file at url (size bytes) into part, resuming from what
 * part already holds (a longer part is not ours and starts again), and
 * fsync it.  exact: the file is that long (a sealed one), else at least
 * (the active segment grows).  digest: the SHA-256 of the whole part.  0, or -1 (err set;
 * PX_NET when the connection broke and a retry may resume).
 */
static int fetch_file(struct pull *p, const char *url, const char *part, uint64_t size,
		      int exact, uint8_t digest[32])
{
	struct fetch f = {.fd = -1, .path = part, .wbuf = p->wbuf};
	struct stat st;
	int rc = -1;

	f.fd = open(part, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (f.fd < 0 || fstat(f.fd, &st) < 0) {
		fail(p, PX_USAGE, "%s: %s", part, strerror(errno));
		goto out;
	}
	uint64_t have = (uint64_t)st.st_size;
	if (have > size) {
		if (ftruncate(f.fd, 0) < 0) {
			fail(p, PX_USAGE, "%s: %s", part, strerror(errno));
			goto out;
		}
		have = 0;
	}
	sha256_init(&f.h, 0);
	/* hash what an earlier pull fetched */
	for (uint64_t off = 0; off < have;) {
		static uint8_t b[1 << 18];
		size_t want = have - off < sizeof b ? (size_t)(have - off) : sizeof b;
		ssize_t n = pread(f.fd, b, want, (off_t)off);
		if (n <= 0) {
			fail(p, PX_USAGE, "%s: %s", part, n < 0 ? strerror(errno) : "short read");
			goto out;
		}
		sha256_update(&f.h, b, (size_t)n);
		off += (uint64_t)n;
	}
	f.off = (off_t)have;
	if (lseek(f.fd, (off_t)have, SEEK_SET) < 0) {
		fail(p, PX_USAGE, "%s: %s", part, strerror(errno));
		goto out;
	}
	p->done += have;
	if (have < size) {
		struct share_resp r;
		/* the listed bytes exactly: an active segment may have grown since */
		if (request(p, url, have, size - 1, &r) < 0)
			goto out;
		uint64_t want = size - have;
		/* a whole file (200) instead of the part asked for will do from 0 */
		int whole = r.status == 200 && !have;
		if (r.status != 206 && !whole) {
			fail(p, PX_DATA, "%s:%s: GET %s: status %d", p->host, p->port, url, r.status);
			conn_drop(p);
			goto out;
		}
		if (r.content_length != want ||
		    (!whole && (!r.has_range || r.range_first != have || r.range_last != size - 1 ||
				r.range_total < size || (exact && r.range_total != size)))) {
			fail(p, PX_DATA,
			     "%s:%s: GET %s: the server sends %llu bytes from %llu of a %llu-byte "
			     "file; its listing said %llu bytes",
			     p->host, p->port, url, (unsigned long long)r.content_length,
			     (unsigned long long)(r.has_range ? r.range_first : 0),
			     (unsigned long long)(r.has_range ? r.range_total : r.content_length),
			     (unsigned long long)size);
			conn_drop(p);
			goto out;
		}
		int k = read_body(p, want, to_file, &f);
		/* what came before a break is kept: a resume starts after it */
		int e = p->x;
		char keep[sizeof p->err];
		memcpy(keep, p->err, sizeof keep);
		if (flush_file(p, &f) < 0)
			goto out;
		if (k < 0) {
			memcpy(p->err, keep, sizeof keep);
			p->x = e;
			goto out;
		}
		if (r.close)
			conn_drop(p);
	}
	sha256_out(&f.h, digest);
	if (fsync(f.fd) < 0) {
		fail(p, PX_USAGE, "%s: fsync: %s", part, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (f.fd >= 0)
		close(f.fd);
	return rc;
}

/* Copy the first n bytes of src to a new dst (an earlier pull's active segment). */
static int copy_prefix(const char *src, const char *dst, uint64_t n)
{
	int in = open(src, O_RDONLY | O_CLOEXEC), out = -1, rc = -1;
	if (in < 0)
		return -1;
	out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out < 0)
		goto done;
	for (uint64_t off = 0; off < n;) {
		static uint8_t b[1 << 18];
		size_t want = n - off < sizeof b ? (size_t)(n - off) : sizeof b;
		ssize_t k = pread(in, b, want, (off_t)off);
		if (k <= 0 || write(out, b, (size_t)k) != k)
			goto done;
		off += (uint64_t)k;
	}
	rc = 0;
done:
	if (out >= 0 && close(out) < 0)
		rc = -1;
	close(in);
	if (rc < 0)
		unlink(dst);
	return rc;
}

/* ---- one segment ---------------------------------------------------------------------- */

/*
 * Every frame of a fetched segment checks and its header has the listed
 * sequence; want_sealed: it ends in its seal; not: it has none and ends on
 * a whole frame (the active segment's durable prefix), *sealed set when it
 * turns out sealed all the same.  With an index (cdb, not NULL), the index
 * must be of this very segment: its meta's size, seal, sequence and record
 * count; *index_ok says.  0, or -1 (err set).
 */
static int check_segment(struct pull *p, const char *path, const struct share_seg *s,
			 int want_sealed, int *sealed, const char *cdb, int *index_ok)
{
	struct seg_reader r;
	if (seg_reader_open(&r, path) < 0) {
		fail(p, PX_DATA, "%s: segment %s: %s", p->host, s->name, r.fault);
		return -1;
	}
	int c = seg_reader_check_frames(&r);
	int rc = 0;
	if (sealed)
		*sealed = r.sealed;
	if (c < 0) {
		fail(p, PX_DATA, "%s: segment %s: offset %zu: %s", p->host, s->name, r.fault_off,
		     r.fault);
		rc = -1;
	} else if (want_sealed && !r.sealed) {
		fail(p, PX_DATA, "%s: segment %s: listed as sealed, but has no seal", p->host, s->name);
		rc = -1;
	} else if (r.hdr.seq != s->seq) {
		fail(p, PX_DATA, "%s: segment %s: its header says sequence %u", p->host, s->name,
		     r.hdr.seq);
		rc = -1;
	}
	if (rc == 0 && cdb) {
		struct index ix;
		*index_ok = 0;
		if (index_open(&ix, cdb) == 0) {
			const struct index_meta *m = &ix.meta;
			*index_ok = m->seg_size == r.size && r.size >= 4 && m->seal_off <= r.size - 4 &&
				    index_matches(&ix, r.map, r.size) && m->seq == r.hdr.seq &&
				    m->records == r.records;
			index_close(&ix);
		}
	}
	seg_reader_close(&r);
	return rc;
}

/* The local file of segment name in log/: its size and whether it is indexed. */
static int local_seg(struct pull *p, const char *name, uint64_t *size, int *indexed)
{
	char path[4300];
	struct stat st;
	store_seg_path(path, sizeof path, p->o.store, name, "tlog");
	if (stat(path, &st) < 0)
		return 0;
	*size = (uint64_t)st.st_size;
	store_seg_path(path, sizeof path, p->o.store, name, "cdb");
	*indexed = stat(path, &st) == 0;
	return 1;
}

static int fetch_one(struct pull *p, const struct share_seg *s)
{
	char part[4300], ipart[4300], final[4300], cdb[4300], url[128], ierr[512];
	uint8_t digest[32];
	uint64_t lsize;
	int indexed, index_ok = 0;

	snprintf(part, sizeof part, "%s/state/pull/%s.tlog.part", p->o.store, s->name);
	snprintf(ipart, sizeof ipart, "%s/state/pull/%s.cdb.part", p->o.store, s->name);
	store_seg_path(final, sizeof final, p->o.store, s->name, "tlog");
	store_seg_path(cdb, sizeof cdb, p->o.store, s->name, "cdb");

	/* an earlier pull's copy of it while it was active: start from that */
	if (local_seg(p, s->name, &lsize, &indexed) && !indexed && lsize <= s->size &&
	    access(part, F_OK) < 0 && copy_prefix(final, part, lsize) < 0) {
		fail(p, PX_USAGE, "%s: %s", part, strerror(errno));
		return -1;
	}
	snprintf(url, sizeof url, "/seg/%s", s->name);
	if (fetch_file(p, url, part, s->size, 1, digest) < 0)
		return -1;
	if (memcmp(digest, s->digest, 32) != 0) {
		fail(p, PX_DATA, "%s: segment %s: SHA-256 does not match the listing; discarded",
		     p->host, s->name);
		unlink(part);
		return -1;
	}
	/* its index, as the server has it, instead of building it again */
	if (s->has_index) {
		snprintf(url, sizeof url, "/idx/%s", s->name);
		if (fetch_file(p, url, ipart, s->index_size, 1, digest) < 0)
			return -1;
		if (memcmp(digest, s->index_digest, 32) != 0) {
			fail(p, PX_DATA, "%s: index of %s: SHA-256 does not match the listing; "
			     "discarded", p->host, s->name);
			unlink(ipart);
			return -1;
		}
	}
	if (check_segment(p, part, s, 1, NULL, s->has_index ? ipart : NULL, &index_ok) < 0) {
		unlink(part);
		unlink(ipart);
		return -1;
	}
	if (!index_ok) {
		/* none served, or not of this segment (an older build): make it here */
		if (s->has_index)
			fprintf(stderr, "tip pull: %s: index of %s does not match its segment; "
				"building it\n", p->host, s->name);
		unlink(ipart);
		if (index_build(part, ipart, NULL, ierr, sizeof ierr) < 0) {
			fail(p, PX_USAGE, "%s: index: %s", part, ierr);
			return -1;
		}
	}
	/*
	 * An earlier active copy out of the way, then the index, then the
	 * segment: a kill between two of these leaves no segment, or an index
	 * without its segment (a foreign file to verify, completed by the next
	 * pull), never a sealed segment without its index nor an index beside
	 * the older, shorter copy.  log/ is fsynced once per pull (run()).
	 */
	if ((unlink(final) < 0 && errno != ENOENT) || rename(ipart, cdb) < 0 ||
	    rename(part, final) < 0) {
		fail(p, PX_USAGE, "%s: %s", final, strerror(errno));
		return -1;
	}
	p->dirty = 1;
	return 0;
}

/*
 * The active segment, up to the durable size the listing gave: fetched
 * into state/pull/NAME.tlog.part (starting from the copy an earlier pull
 * published, which is a prefix of it), checked (whole frames, no seal) and
 * renamed over that copy, so a reader sees the older prefix or the newer
 * one, never a half-written file.  1 published, 0 nothing to do, -1 (err).
 */
static int fetch_active(struct pull *p, const struct share_seg *s)
{
	char part[4300], final[4300], url[128];
	uint8_t digest[32];
	uint64_t lsize = 0;
	int indexed = 0, sealed = 0;

	snprintf(part, sizeof part, "%s/state/pull/%s.tlog.part", p->o.store, s->name);
	store_seg_path(final, sizeof final, p->o.store, s->name, "tlog");
	int have = local_seg(p, s->name, &lsize, &indexed);
	if (have && (indexed || lsize >= s->size))
		return 0;	/* ours is as long (or sealed here by a writer: ours) */
	for (int attempt = 0; attempt < 2; attempt++) {
		unlink(part);
		if (attempt == 0 && have && copy_prefix(final, part, lsize) < 0) {
			fail(p, PX_USAGE, "%s: %s", part, strerror(errno));
			return -1;
		}
		snprintf(url, sizeof url, "/seg/%s", s->name);
		if (fetch_file(p, url, part, s->size, 0, digest) < 0)
			return -1;
		if (check_segment(p, part, s, 0, &sealed, NULL, NULL) == 0)
			break;
		if (attempt || !have) {
			unlink(part);
			return -1;
		}
		/* ours was no prefix of it after all: fetch it whole */
		p->done -= s->size;
	}
	if (sealed) {
		/* sealed meanwhile: published with its digest and index by the next pull */
		return 0;
	}
	if (rename(part, final) < 0) {
		fail(p, PX_USAGE, "%s: %s", final, strerror(errno));
		return -1;
	}
	p->dirty = 1;
	return 1;
}

/* ---- the run ------------------------------------------------------------------------- */

static int parse_url(struct pull *p)
{
	const char *u = p->o.url;
	if (!strncmp(u, "https://", 8))
		u += 8;
	else if (!strncmp(u, "tip://", 6))
		u += 6;
	else
		return -1;
	size_t n = strcspn(u, "/");
	if (u[n] && strcmp(u + n, "/"))
		return -1;
	char hp[300];
	if (!n || n >= sizeof hp)
		return -1;
	memcpy(hp, u, n);
	hp[n] = '\0';
	const char *port = NULL;
	if (hp[0] == '[') {
		char *e = strchr(hp, ']');
		if (!e)
			return -1;
		*e = '\0';
		snprintf(p->host, sizeof p->host, "%s", hp + 1);
		if (e[1] == ':')
			port = e + 2;
		else if (e[1])
			return -1;
	} else {
		char *colon = strchr(hp, ':');
		if (colon) {
			*colon = '\0';
			port = colon + 1;
		}
		snprintf(p->host, sizeof p->host, "%s", hp);
	}
	if (port) {
		char *end;
		long v = strtol(port, &end, 10);
		if (*end || v < 1 || v > 65535)
			return -1;
	}
	snprintf(p->port, sizeof p->port, "%s", port ? port : "8443");
	return p->host[0] ? 0 : -1;
}

/* `key value` lines: url, store, key, peer, timeout, retries. */
static int read_config(struct opts *o, const char *path)
{
	FILE *f = fopen(path, "re");
	char line[4200];
	int ln = 0;
	if (!f) {
		fprintf(stderr, "tip pull: %s: %s\n", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof line, f)) {
		ln++;
		char *s = line, *k, *v;
		s[strcspn(s, "\r\n")] = '\0';
		while (*s == ' ' || *s == '\t')
			s++;
		if (!*s || *s == '#')
			continue;
		k = s;
		s += strcspn(s, " \t");
		if (*s)
			*s++ = '\0';
		while (*s == ' ' || *s == '\t')
			s++;
		v = s;
		for (char *e = v + strlen(v); e > v && (e[-1] == ' ' || e[-1] == '\t');)
			*--e = '\0';
		if (!*v) {
			fprintf(stderr, "tip pull: %s:%d: '%s' without a value\n", path, ln, k);
			goto bad;
		}
		if (!strcmp(k, "url"))
			snprintf(o->url, sizeof o->url, "%s", v);
		else if (!strcmp(k, "store"))
			snprintf(o->store, sizeof o->store, "%s", v);
		else if (!strcmp(k, "key"))
			snprintf(o->key, sizeof o->key, "%s", v);
		else if (!strcmp(k, "peer"))
			snprintf(o->peer, sizeof o->peer, "%s", v);
		else if (!strcmp(k, "timeout") || !strcmp(k, "retries")) {
			char *end;
			long n = strtol(v, &end, 10);
			if (*end || n < 0 || n > 3600) {
				fprintf(stderr, "tip pull: %s:%d: %s: not a number 0..3600\n", path, ln, k);
				goto bad;
			}
			if (k[0] == 't')
				o->timeout_s = (int)n;
			else
				o->retries = (int)n;
		} else {
			fprintf(stderr, "tip pull: %s:%d: unknown key '%s'\n", path, ln, k);
			goto bad;
		}
	}
	fclose(f);
	return 0;
bad:
	fclose(f);
	return -1;
}

static int prepare_store(struct pull *p, const char *sensor)
{
	char dir[4200], have[STORE_ID_MAX], err[512];
	if (store_is_store(p->o.store)) {
		if (store_sensor_id(p->o.store, have, sizeof have) == 0 && strcmp(have, sensor)) {
			fail(p, PX_USAGE, "%s: holds sensor '%s', the server shares sensor '%s'",
			     p->o.store, have, sensor);
			return -1;
		}
	} else if (store_create(p->o.store, sensor, err, sizeof err) < 0) {
		fail(p, PX_USAGE, "%s: %s", p->o.store, err);
		return -1;
	}
	snprintf(dir, sizeof dir, "%s/state", p->o.store);
	if (mkdir_p1(dir) < 0) {
		fail(p, PX_USAGE, "%s: %s", dir, strerror(errno));
		return -1;
	}
	snprintf(dir, sizeof dir, "%s/state/pull", p->o.store);
	if (mkdir_p1(dir) < 0) {
		fail(p, PX_USAGE, "%s: %s", dir, strerror(errno));
		return -1;
	}
	return 0;
}

/* A segment published by a pull that was killed before its index: index it. */
static void repair_indexes(struct pull *p)
{
	struct store_listing ls;
	char sp[4300], cp[4300];
	if (store_list(p->o.store, &ls) < 0)
		return;
	for (size_t i = 0; i < ls.n; i++) {
		if (ls.segs[i].has_index)
			continue;
		store_seg_path(sp, sizeof sp, p->o.store, ls.segs[i].name, "tlog");
		store_seg_path(cp, sizeof cp, p->o.store, ls.segs[i].name, "cdb");
		(void)index_build(sp, cp, NULL, NULL, 0);
	}
	store_listing_free(&ls);
}

/* The store holds segment name sealed (indexed): not an earlier pull's active copy. */
static int local_has(const struct store_listing *ls, const char *name)
{
	for (size_t i = 0; i < ls->n; i++)
		if (!strcmp(ls->segs[i].name, name))
			return ls->segs[i].has_index;
	return 0;
}

/* What this run renamed into log/ made durable: log/, state/pull/, then the state file. */
static int publish_durable(struct pull *p, uint32_t seq, const char *name)
{
	char dir[4200];
	if (p->dirty) {
		snprintf(dir, sizeof dir, "%s/log", p->o.store);
		if (fsync_path(dir) < 0) {
			fail(p, PX_USAGE, "%s: fsync: %s", dir, strerror(errno));
			return -1;
		}
		snprintf(dir, sizeof dir, "%s/state/pull", p->o.store);
		(void)fsync_path(dir);
		p->dirty = 0;
	}
	if (seq && state_write(p, seq, name) < 0) {
		fail(p, PX_USAGE, "%s: %s", p->state_path, strerror(errno));
		return -1;
	}
	return 0;
}

static int run(struct pull *p)
{
	struct share_list l = {0};
	struct store_listing ls = {0};
	size_t *todo = NULL, ntodo = 0, next = 0;
	int fetched = 0, tries = 0, lock = -1, active_done = 0;
	uint32_t last = 0, got_seq = 0;
	const char *got_name = NULL;
	const struct share_seg *act = NULL;
	char fptext[SHARE_FP_TEXT], lockp[4400];	/* the lock's refusal */

	p->t0 = clock_mono_us();
	for (;;) {
		if (!p->c && conn_open(p) < 0)
			goto retry;
		if (!todo) {
			/* the listing, once per run: later segments come next time */
			if (get_list(p, &l) < 0)
				goto retry;
			if (prepare_store(p, l.sensor) < 0)
				goto out;
			/* one writer per store: not while tipd, an import or another pull writes it */
			lock = store_lock_open(p->o.store, "tip pull", lockp, sizeof lockp);
			if (lock < 0) {
				fail(p, PX_USAGE, "%s", lockp);
				goto out;
			}
			share_fp_format(fptext, p->peer_fp[0]);
			snprintf(p->state_path, sizeof p->state_path, "%s/state/pull.%.14s",
				 p->o.store, fptext);
			repair_indexes(p);
			last = state_read(p);
			if (store_list(p->o.store, &ls) < 0) {
				fail(p, PX_USAGE, "%s: %s", p->o.store, strerror(errno));
				goto out;
			}
			todo = calloc(l.n + 1, sizeof *todo);
			if (!todo) {
				fail(p, PX_USAGE, "out of memory");
				goto out;
			}
			for (size_t i = 0; i < l.n; i++) {
				if (!l.segs[i].sealed) {
					act = &l.segs[i];	/* the last one */
					p->total += act->size;
					continue;
				}
				if (l.segs[i].seq <= last || local_has(&ls, l.segs[i].name))
					continue;
				todo[ntodo++] = i;
				p->total += l.segs[i].size + (l.segs[i].has_index ? l.segs[i].index_size : 0);
			}
			if (!act)
				active_done = 1;
		}
		while (next < ntodo && p->c) {
			uint64_t before = p->done;
			if (fetch_one(p, &l.segs[todo[next]]) < 0) {
				if (p->done > before + (1u << 16))
					tries = 0;	/* it moved: a new run of tries */
				p->done = before;	/* counted again when resumed */
				if (p->x != PX_NET)
					goto out;
				goto retry;
			}
			got_seq = l.segs[todo[next]].seq;
			got_name = l.segs[todo[next]].name;
			next++;
			fetched++;
			tries = 0;
		}
		if (next == ntodo && todo && !active_done && p->c) {
			/* the sealed ones are durable before the active one is looked at */
			if (publish_durable(p, got_seq, got_name) < 0)
				goto out;
			got_seq = 0;
			uint64_t before = p->done;
			int k = fetch_active(p, act);
			if (k < 0) {
				p->done = before;
				if (p->x != PX_NET)
					goto out;
				goto retry;
			}
			active_done = 1;
		}
		if (next == ntodo && todo && active_done)
			break;
		continue;
retry:
		if (p->x != PX_NET || tries++ >= p->o.retries)
			goto out;
		conn_drop(p);
		usleep(200000);
	}
	if (publish_durable(p, got_seq, got_name) < 0)
		goto out;
	bar(p, 1);
	double s = (clock_mono_us() - p->t0) / 1e6;
	uint32_t newest = 0;
	for (size_t i = 0; i < l.n; i++)
		if (l.segs[i].sealed)
			newest = l.segs[i].seq;
	char atext[160] = "";
	if (act)
		snprintf(atext, sizeof atext, "; active segment %u to %llu bytes", act->seq,
			 (unsigned long long)act->size);
	printf("tip pull: %s: %d segments, %.1f MB in %.1f s (%.1f MB/s); newest sealed "
	       "sequence %u%s; sensor %s\n",
	       p->o.store, fetched, p->received / 1048576.0, s,
	       s > 0 ? p->received / 1048576.0 / s : 0.0, newest, atext, l.sensor);
	p->x = PX_OK;
out:
	if (p->x && (p->dirty || got_seq)) {
		/* what was published before the failure stays published, and durable */
		char keep[sizeof p->err];
		int x = p->x;
		memcpy(keep, p->err, sizeof keep);
		(void)publish_durable(p, got_seq, got_name);
		memcpy(p->err, keep, sizeof keep);
		p->x = x;
	}
	if (p->x && p->tty && !p->o.quiet && p->total)
		printf("\n");
	conn_drop(p);
	free(todo);
	share_list_free(&l);
	store_listing_free(&ls);
	store_lock_close(lock);
	return p->x;
}

int cmd_pull(int argc, char **argv)
{
	static const struct option opts[] = {
		{"store", required_argument, NULL, 's'},
		{"key", required_argument, NULL, 'k'},
		{"peer", required_argument, NULL, 'p'},
		{"config", required_argument, NULL, 'c'},
		{"timeout", required_argument, NULL, 't'},
		{"retries", required_argument, NULL, 'r'},
		{"quiet", no_argument, NULL, 'q'},
		{NULL, 0, NULL, 0},
	};
	struct pull *p = calloc(1, sizeof *p);
	char err[512];
	int c, rc;

	if (!p)
		return 2;
	p->o.timeout_s = 30;
	p->o.retries = 3;
	p->bar_last = -1;
	optind = 1;
	while ((c = getopt_long(argc, argv, "s:k:p:c:t:r:q", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			snprintf(p->o.store, sizeof p->o.store, "%s", optarg);
			break;
		case 'k':
			snprintf(p->o.key, sizeof p->o.key, "%s", optarg);
			break;
		case 'p':
			snprintf(p->o.peer, sizeof p->o.peer, "%s", optarg);
			break;
		case 'c':
			if (read_config(&p->o, optarg) < 0) {
				free(p);
				return 2;
			}
			break;
		case 't':
		case 'r': {
			char *end;
			long v = strtol(optarg, &end, 10);
			if (*end || v < (c == 't') || v > 3600) {
				fprintf(stderr, "tip pull: --%s: not a number\n",
					c == 't' ? "timeout" : "retries");
				free(p);
				return 2;
			}
			if (c == 't')
				p->o.timeout_s = (int)v;
			else
				p->o.retries = (int)v;
			break;
		}
		case 'q':
			p->o.quiet = 1;
			break;
		default:
			free(p);
			return tip_usage("pull");
		}
	}
	if (optind < argc)
		snprintf(p->o.url, sizeof p->o.url, "%s", argv[optind++]);
	if (optind != argc || !p->o.url[0] || !p->o.store[0] || !p->o.key[0] || !p->o.peer[0]) {
		free(p);
		return tip_usage("pull");
	}
	if (p->o.timeout_s < 1)
		p->o.timeout_s = 30;
	if (parse_url(p) < 0) {
		fprintf(stderr, "tip pull: %s: not https://HOST[:PORT]\n", p->o.url);
		free(p);
		return 2;
	}
	if (share_fp_parse(p->o.peer, p->peer_fp[0]) < 0) {
		fprintf(stderr, "tip pull: --peer %s: not a key fingerprint (tip keygen prints them)\n",
			p->o.peer);
		free(p);
		return 2;
	}
	if (peer_load(&p->id, p->o.key, err, sizeof err) < 0) {
		fprintf(stderr, "tip pull: --key: %s\n", err);
		free(p);
		return 2;
	}
	if (memcmp(p->id.fp, p->id.key_fp, SHARE_FP_LEN) != 0)
		fprintf(stderr, "tip pull: warning: %s: key.pem is not the key of cert.pem: the "
			"server will refuse it\n", p->o.key);
	p->tty = isatty(STDOUT_FILENO);
	p->wbuf = malloc(FILE_BUF);
	if (!p->wbuf) {
		fprintf(stderr, "tip pull: out of memory\n");
		free(p);
		return 2;
	}
	rc = run(p);
	free(p->wbuf);
	if (rc)
		fprintf(stderr, "tip pull: %s\n", p->err);
	memset(&p->id, 0, sizeof p->id);
	free(p);
	return rc;
}
#else
int cmd_pull(int argc TIP_UNUSED, char **argv TIP_UNUSED)
{
	fprintf(stderr, "tip pull: built without TLS (Kconfig TLS)\n");
	return 2;
}
#endif
