/*
 * tls: BearSSL engines pumped on non-blocking sockets, trust anchors from
 * PEM, a client context per host, error names (tls.h).
 *
 * Invariants: nothing here blocks or allocates inside a pump; a failed
 * socket read or write, or EOF, ends the connection for good (io_failed:
 * every later pump returns -1, the error reads BR_ERR_IO), so callers
 * see one way to stop; the X.509 wrapper
 * decodes the end-entity certificate beside the minimal validator only to
 * say which date failed ("expired on", "not valid before") and, in
 * insecure mode, to take its key unchecked.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cdefs.h"
#include "clock.h"
#include "tls.h"

#if ENABLE_TLS

/* ---- trust anchors ----------------------------------------------------------- */

struct dnbuf {
	unsigned char *p;
	size_t len, cap;
	int err;
};

static void dn_append(void *ctx, const void *p, size_t n)
{
	struct dnbuf *d = ctx;
	if (d->err)
		return;
	if (d->len + n > d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 256;
		while (cap < d->len + n)
			cap *= 2;
		unsigned char *q = realloc(d->p, cap);
		if (!q) {
			d->err = 1;
			return;
		}
		d->p = q;
		d->cap = cap;
	}
	memcpy(d->p + d->len, p, n);
	d->len += n;
}

static void *memdup(const void *p, size_t n, size_t *bytes)
{
	void *q = malloc(n ? n : 1);
	if (q) {
		memcpy(q, p, n);
		*bytes += n;
	}
	return q;
}

/* Turn the decoded certificate into anchor a->ta[a->n]: 0, 1 skipped, -1 ENOMEM. */
static int anchor_add(struct tls_anchors *a, size_t *cap, br_x509_decoder_context *dc, struct dnbuf *dn)
{
	br_x509_pkey *pk = br_x509_decoder_get_pkey(dc);
	if (!pk || br_x509_decoder_last_error(dc) != 0 || dn->err)
		return 1;
	if (a->n == *cap) {
		size_t nc = *cap ? *cap * 2 : 64;
		br_x509_trust_anchor *t = realloc(a->ta, nc * sizeof *t);
		if (!t)
			return -1;
		a->ta = t;
		*cap = nc;
	}
	br_x509_trust_anchor *ta = (br_x509_trust_anchor *)a->ta + a->n;
	memset(ta, 0, sizeof *ta);
	ta->dn.data = memdup(dn->p, dn->len, &a->bytes);
	ta->dn.len = dn->len;
	ta->flags = br_x509_decoder_isCA(dc) ? BR_X509_TA_CA : 0;
	ta->pkey.key_type = pk->key_type;
	if (!ta->dn.data)
		return -1;
	switch (pk->key_type) {
	case BR_KEYTYPE_RSA:
		ta->pkey.key.rsa.n = memdup(pk->key.rsa.n, pk->key.rsa.nlen, &a->bytes);
		ta->pkey.key.rsa.nlen = pk->key.rsa.nlen;
		ta->pkey.key.rsa.e = memdup(pk->key.rsa.e, pk->key.rsa.elen, &a->bytes);
		ta->pkey.key.rsa.elen = pk->key.rsa.elen;
		if (!ta->pkey.key.rsa.n || !ta->pkey.key.rsa.e)
			goto out_partial;
		break;
	case BR_KEYTYPE_EC:
		ta->pkey.key.ec.curve = pk->key.ec.curve;
		ta->pkey.key.ec.q = memdup(pk->key.ec.q, pk->key.ec.qlen, &a->bytes);
		ta->pkey.key.ec.qlen = pk->key.ec.qlen;
		if (!ta->pkey.key.ec.q)
			goto out_partial;
		break;
	default:
		free(ta->dn.data);
		return 1;
	}
	a->n++;
	return 0;
out_partial:
	free(ta->dn.data);
	if (pk->key_type == BR_KEYTYPE_RSA) {
		free(ta->pkey.key.rsa.n);
		free(ta->pkey.key.rsa.e);
	} else {
		free(ta->pkey.key.ec.q);
	}
	return -1;
}

/*
 * Base64 of one PEM line into out; bytes written, or -1 for a character
 * outside the alphabet.  q/nq carry up to 3 sextets across lines.
 */
static int b64_line(const char *l, size_t n, unsigned char *out, uint32_t *q, int *nq, int *pad)
{
	int o = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)l[i];
		int v;
		if (c >= 'A' && c <= 'Z')
			v = c - 'A';
		else if (c >= 'a' && c <= 'z')
			v = c - 'a' + 26;
		else if (c >= '0' && c <= '9')
			v = c - '0' + 52;
		else if (c == '+')
			v = 62;
		else if (c == '/')
			v = 63;
		else if (c == '=') {
			/* the end: "xx==" carries one byte, "xxx=" two */
			if (*nq == 2)
				out[o++] = (unsigned char)(*q >> 4);
			else if (*nq == 3) {
				out[o++] = (unsigned char)(*q >> 10);
				out[o++] = (unsigned char)(*q >> 2);
			} else if (*nq != 0 || !*pad)
				return -1;
			*q = 0;
			*nq = 0;
			(*pad)++;
			continue;
		} else if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
			continue;
		else
			return -1;
		if (*pad)
			return -1;	/* data after padding */
		*q = *q << 6 | (uint32_t)v;
		if (++*nq == 4) {
			out[o++] = (unsigned char)(*q >> 16);
			out[o++] = (unsigned char)(*q >> 8);
			out[o++] = (unsigned char)*q;
			*q = 0;
			*nq = 0;
		}
	}
	return o;
}

/*
 * PEM is decoded here, line by line, rather than with br_pem_decoder:
 * BearSSL's is written for size and takes ~100 ms for Debian's 225 KB
 * bundle on these machines, a stall of the loop; this takes a few.
 */
int tls_anchors_load(struct tls_anchors *a, const char *path, char *why, size_t whylen)
{
	memset(a, 0, sizeof *a);
	FILE *fp = fopen(path, "r");
	if (!fp) {
		snprintf(why, whylen, "cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	br_x509_decoder_context dc;
	struct dnbuf dn = {0};
	size_t cap = 0;
	int in_cert = 0, in_obj = 0, rc = 0, nq = 0, pad = 0;
	uint32_t q = 0;
	unsigned skipped = 0, lineno = 0;
	char line[512];
	unsigned char der[400];

	while (rc == 0 && fgets(line, sizeof line, fp)) {
		size_t n = strlen(line);
		lineno++;
		if (n == sizeof line - 1 && line[n - 1] != '\n') {
			snprintf(why, whylen, "%s:%u: line too long for PEM", path, lineno);
			rc = -2;
			break;
		}
		if (!strncmp(line, "-----BEGIN ", 11)) {
			if (in_obj) {
				snprintf(why, whylen, "%s:%u: BEGIN inside an object", path, lineno);
				rc = -2;
				break;
			}
			in_obj = 1;
			in_cert = !strncmp(line + 11, "CERTIFICATE-----", 16) ||
				  !strncmp(line + 11, "X509 CERTIFICATE-----", 21) ||
				  !strncmp(line + 11, "TRUSTED CERTIFICATE-----", 24);
			q = 0;
			nq = pad = 0;
			if (in_cert) {
				dn.len = 0;
				dn.err = 0;
				br_x509_decoder_init(&dc, dn_append, &dn);
			}
			continue;
		}
		if (!strncmp(line, "-----END ", 9)) {
			if (!in_obj) {
				snprintf(why, whylen, "%s:%u: END without BEGIN", path, lineno);
				rc = -2;
				break;
			}
			if (in_cert) {
				int k2 = nq ? 1 : anchor_add(a, &cap, &dc, &dn);
				if (k2 < 0)
					rc = -1;
				else if (k2 > 0)
					skipped++;
			}
			in_obj = in_cert = 0;
			continue;
		}
		if (!in_cert)
			continue;
		/* a base64 line: at most 3/4 of its bytes */
		int k = b64_line(line, n, der, &q, &nq, &pad);
		if (k < 0) {
			snprintf(why, whylen, "%s:%u: not base64", path, lineno);
			rc = -2;
			break;
		}
		/* nothing more once the decoder has stopped (done or failed) */
		if (k > 0 && !dc.err && !dc.decoded)
			br_x509_decoder_push(&dc, der, (size_t)k);
	}
	if (rc == 0 && ferror(fp)) {
		snprintf(why, whylen, "cannot read %s: %s", path, strerror(errno));
		rc = -2;
	}
	fclose(fp);
	free(dn.p);
	if (rc == -1)
		snprintf(why, whylen, "%s: out of memory", path);
	if (rc == 0 && in_obj) {
		snprintf(why, whylen, "%s: truncated PEM object", path);
		rc = -2;
	}
	if (rc == 0 && a->n == 0) {
		snprintf(why, whylen, "no usable certificate in %s%s", path,
			 skipped ? " (only unsupported or damaged ones)" : "");
		rc = -2;
	}
	if (rc < 0) {
		tls_anchors_fini(a);
		return -1;
	}
	a->bytes += cap * sizeof(br_x509_trust_anchor);
	return (int)a->n;
}

void tls_anchors_fini(struct tls_anchors *a)
{
	br_x509_trust_anchor *t = a->ta;
	for (size_t i = 0; i < a->n; i++) {
		free(t[i].dn.data);
		if (t[i].pkey.key_type == BR_KEYTYPE_RSA) {
			free(t[i].pkey.key.rsa.n);
			free(t[i].pkey.key.rsa.e);
		} else {
			free(t[i].pkey.key.ec.q);
		}
	}
	free(a->ta);
	memset(a, 0, sizeof *a);
}

/* ---- the engine on a socket ---------------------------------------------------- */

void tls_conn_init(struct tls_conn *c, void *eng, int fd)
{
	memset(c, 0, sizeof *c);
	c->eng = eng;
	c->fd = fd;
}

int tls_conn_pump(struct tls_conn *c)
{
	br_ssl_engine_context *eng = c->eng;
	for (;;) {
		unsigned st = br_ssl_engine_current_state(eng);
		int want = 0;
		if ((st & BR_SSL_CLOSED) || c->io_failed)
			return -1;
		if (st & BR_SSL_SENDREC) {
			size_t len;
			unsigned char *buf = br_ssl_engine_sendrec_buf(eng, &len);
			ssize_t k = send(c->fd, buf, len, MSG_NOSIGNAL);
			if (k > 0) {
				br_ssl_engine_sendrec_ack(eng, (size_t)k);
				c->tx += (uint64_t)k;
				continue;
			}
			if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
				want |= TLS_WANT_WRITE;
			} else {
				c->sys_errno = k < 0 ? errno : EPIPE;
				c->io_failed = 1;
				return -1;
			}
		}
		if (st & BR_SSL_RECVREC) {
			size_t len;
			unsigned char *buf = br_ssl_engine_recvrec_buf(eng, &len);
			ssize_t k = recv(c->fd, buf, len, 0);
			if (k > 0) {
				br_ssl_engine_recvrec_ack(eng, (size_t)k);
				c->rx += (uint64_t)k;
				continue;
			}
			if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
				want |= TLS_WANT_READ;
			} else {
				if (k == 0)
					c->peer_closed = 1;
				else
					c->sys_errno = errno;
				c->io_failed = 1;
				return -1;
			}
		}
		return want;
	}
}

int tls_conn_ready(const struct tls_conn *c)
{
	unsigned st = br_ssl_engine_current_state(c->eng);
	return !c->io_failed && !(st & BR_SSL_CLOSED) && (st & (BR_SSL_SENDAPP | BR_SSL_RECVAPP));
}

const unsigned char *tls_conn_recv(struct tls_conn *c, size_t *n)
{
	unsigned char *p = br_ssl_engine_recvapp_buf(c->eng, n);
	if (!p)
		*n = 0;
	return p;
}

void tls_conn_recv_ack(struct tls_conn *c, size_t k)
{
	if (k)
		br_ssl_engine_recvapp_ack(c->eng, k);
}

size_t tls_conn_send(struct tls_conn *c, const void *p, size_t n)
{
	size_t room;
	unsigned char *buf = br_ssl_engine_sendapp_buf(c->eng, &room);
	if (!buf || !room)
		return 0;
	if (n > room)
		n = room;
	memcpy(buf, p, n);
	br_ssl_engine_sendapp_ack(c->eng, n);
	return n;
}

void tls_conn_flush(struct tls_conn *c)
{
	br_ssl_engine_flush(c->eng, 0);
}

void tls_conn_close(struct tls_conn *c)
{
	br_ssl_engine_close(c->eng);
}

int tls_conn_error(const struct tls_conn *c)
{
	int e = br_ssl_engine_last_error(c->eng);
	return e ? e : c->io_failed ? BR_ERR_IO : 0;
}

/* ---- a client for one host ------------------------------------------------------- */

/*
 * The X.509 class the engine sees: the minimal validator, plus a decoder
 * of the first (end-entity) certificate for its dates and, when insecure,
 * its key.
 */
struct x509_wrap {
	const br_x509_class *vtable;
	br_x509_minimal_context *xm;
	br_x509_decoder_context dc;
	int depth;
	int insecure;
};

static void dn_discard(void *ctx TIP_UNUSED, const void *p TIP_UNUSED, size_t n TIP_UNUSED)
{
}

static void xw_start_chain(const br_x509_class **ctx, const char *server_name)
{
	struct x509_wrap *w = (struct x509_wrap *)ctx;
	w->depth = 0;
	br_x509_decoder_init(&w->dc, dn_discard, NULL);
	if (!w->insecure)
		w->xm->vtable->start_chain(&w->xm->vtable, server_name);
}

static void xw_start_cert(const br_x509_class **ctx, uint32_t length)
{
	struct x509_wrap *w = (struct x509_wrap *)ctx;
	if (!w->insecure)
		w->xm->vtable->start_cert(&w->xm->vtable, length);
}

static void xw_append(const br_x509_class **ctx, const unsigned char *buf, size_t len)
{
	struct x509_wrap *w = (struct x509_wrap *)ctx;
	/* BearSSL 0.6's decoder must not be pushed more once it has stopped
	 * (done or failed): it reads out of bounds (found by fuzz_pem). */
	if (w->depth == 0 && !w->dc.err && !w->dc.decoded)
		br_x509_decoder_push(&w->dc, buf, len);
	if (!w->insecure)
		w->xm->vtable->append(&w->xm->vtable, buf, len);
}

static void xw_end_cert(const br_x509_class **ctx)
{
	struct x509_wrap *w = (struct x509_wrap *)ctx;
	w->depth++;
	if (!w->insecure)
		w->xm->vtable->end_cert(&w->xm->vtable);
}

static unsigned xw_end_chain(const br_x509_class **ctx)
{
	struct x509_wrap *w = (struct x509_wrap *)ctx;
	if (w->insecure) {
		if (w->depth == 0)
			return BR_ERR_X509_EMPTY_CHAIN;
		int e = br_x509_decoder_last_error(&w->dc);
		return e ? (unsigned)e : 0;
	}
	return w->xm->vtable->end_chain(&w->xm->vtable);
}

static const br_x509_pkey *xw_get_pkey(const br_x509_class *const *ctx, unsigned *usages)
{
	struct x509_wrap *w = (struct x509_wrap *)ctx;
	if (w->insecure) {
		if (usages)
			*usages = BR_KEYTYPE_KEYX | BR_KEYTYPE_SIGN;
		return br_x509_decoder_get_pkey(&w->dc);
	}
	return w->xm->vtable->get_pkey(&w->xm->vtable, usages);
}

static const br_x509_class xw_class = {
	sizeof(struct x509_wrap), xw_start_chain, xw_start_cert, xw_append,
	xw_end_cert, xw_end_chain, xw_get_pkey,
};

struct tls_client {
	br_ssl_client_context sc;
	br_x509_minimal_context xc;
	struct x509_wrap xw;
	unsigned char iobuf[BR_SSL_BUFSIZE_MONO];
};

struct tls_client *tls_client_new(const struct tls_anchors *anchors, const char *host, int insecure)
{
	struct tls_client *tc = calloc(1, sizeof *tc);
	if (!tc)
		return NULL;
	br_ssl_client_init_full(&tc->sc, &tc->xc, anchors ? anchors->ta : NULL, anchors ? anchors->n : 0);
	int64_t t = clock_now_us() / 1000000;
	if (t < 0)
		t = 0;
	/* 719528: days from 0000-01-01 to 1970-01-01 in BearSSL's calendar. */
	br_x509_minimal_set_time(&tc->xc, (uint32_t)(719528 + t / 86400), (uint32_t)(t % 86400));
	tc->xw.vtable = &xw_class;
	tc->xw.xm = &tc->xc;
	tc->xw.insecure = insecure;
	br_ssl_engine_set_x509(&tc->sc.eng, &tc->xw.vtable);
	/* Half duplex: the client sends its request, then reads; 16 KB saved. */
	br_ssl_engine_set_buffer(&tc->sc.eng, tc->iobuf, sizeof tc->iobuf, 0);
	if (!br_ssl_client_reset(&tc->sc, host, 0)) {
		free(tc);
		errno = EINVAL;
		return NULL;
	}
	return tc;
}

void tls_client_free(struct tls_client *tc)
{
	free(tc);
}

void *tls_client_engine(struct tls_client *tc)
{
	return &tc->sc.eng;
}

size_t tls_client_bytes(void)
{
	return sizeof(struct tls_client);
}

int tls_client_chain_len(const struct tls_client *tc)
{
	return tc->xw.depth;
}

/* "YYYY-MM-DD" from BearSSL days (since 0000-01-01). */
static void days_str(uint32_t days, char *buf, size_t cap)
{
	int64_t t = ((int64_t)days - 719528) * 86400;
	time_t tt = (time_t)t;
	struct tm tm;
	if (gmtime_r(&tt, &tm))
		strftime(buf, cap, "%Y-%m-%d", &tm);
	else
		snprintf(buf, cap, "?");
}

int tls_client_cert_dates(struct tls_client *tc, char *buf, size_t cap)
{
	br_x509_decoder_context *dc = &tc->xw.dc;
	if (tc->xw.depth == 0 || br_x509_decoder_last_error(dc) != 0)
		return -1;
	char nb[16], na[16];
	days_str(dc->notbefore_days, nb, sizeof nb);
	days_str(dc->notafter_days, na, sizeof na);
	int64_t t = clock_now_us() / 1000000;
	uint32_t now_days = (uint32_t)(719528 + t / 86400), now_secs = (uint32_t)(t % 86400);
	int before = now_days < dc->notbefore_days ||
		     (now_days == dc->notbefore_days && now_secs < dc->notbefore_seconds);
	int after = now_days > dc->notafter_days ||
		    (now_days == dc->notafter_days && now_secs > dc->notafter_seconds);
	if (before)
		snprintf(buf, cap, "not valid before %s", nb);
	else if (after)
		snprintf(buf, cap, "expired on %s", na);
	else
		snprintf(buf, cap, "valid %s to %s", nb, na);
	return before || after;
}

#else /* !ENABLE_TLS */

int tls_anchors_load(struct tls_anchors *a, const char *path TIP_UNUSED, char *why, size_t whylen)
{
	memset(a, 0, sizeof *a);
	snprintf(why, whylen, "built without TLS");
	return -1;
}

void tls_anchors_fini(struct tls_anchors *a TIP_UNUSED)
{
}

void tls_conn_init(struct tls_conn *c TIP_UNUSED, void *eng TIP_UNUSED, int fd TIP_UNUSED)
{
	memset(c, 0, sizeof *c);
	c->fd = fd;
}

int tls_conn_pump(struct tls_conn *c TIP_UNUSED)
{
	return -1;
}

int tls_conn_ready(const struct tls_conn *c TIP_UNUSED)
{
	return 0;
}

const unsigned char *tls_conn_recv(struct tls_conn *c TIP_UNUSED, size_t *n TIP_UNUSED)
{
	*n = 0;
	return NULL;
}

void tls_conn_recv_ack(struct tls_conn *c TIP_UNUSED, size_t k TIP_UNUSED)
{
}

size_t tls_conn_send(struct tls_conn *c TIP_UNUSED, const void *p TIP_UNUSED, size_t n TIP_UNUSED)
{
	return 0;
}

void tls_conn_flush(struct tls_conn *c TIP_UNUSED)
{
}

void tls_conn_close(struct tls_conn *c TIP_UNUSED)
{
}

int tls_conn_error(const struct tls_conn *c TIP_UNUSED)
{
	return -1;
}

struct tls_client *tls_client_new(const struct tls_anchors *anchors TIP_UNUSED, const char *host TIP_UNUSED, int insecure TIP_UNUSED)
{
	errno = ENOSYS;
	return NULL;
}

void tls_client_free(struct tls_client *tc TIP_UNUSED)
{
}

void *tls_client_engine(struct tls_client *tc TIP_UNUSED)
{
	return NULL;
}

size_t tls_client_bytes(void)
{
	return 0;
}

int tls_client_chain_len(const struct tls_client *tc TIP_UNUSED)
{
	return 0;
}

int tls_client_cert_dates(struct tls_client *tc TIP_UNUSED, char *buf TIP_UNUSED, size_t cap TIP_UNUSED)
{
	return -1;
}

#endif /* ENABLE_TLS */

/* ---- errors ------------------------------------------------------------------------ */

/*
 * BearSSL's codes, numbered in bearssl_ssl.h and bearssl_x509.h (1-62),
 * each written as one octal byte before its message, in one string: a
 * table of pointers would cost a relocation an entry in a position-
 * independent tipd, more than the messages' own bytes on amd64.
 */
static const char tls_errs[] =
	"\001bad parameter\0"	/* 1 */
	"\002bad record or message from the server\0"	/* 2 */
	"\003protocol version not supported by the peer\0"	/* 3 */
	"\004bad record version\0"	/* 4 */
	"\005bad record length\0"	/* 5 */
	"\006record too large\0"	/* 6 */
	"\007bad record MAC\0"	/* 7 */
	"\010no random source\0"	/* 8 */
	"\011unknown record type\0"	/* 9 */
	"\012unexpected message\0"	/* 10 */
	"\014bad ChangeCipherSpec\0"	/* 12 */
	"\015bad alert\0"	/* 13 */
	"\016bad handshake\0"	/* 14 */
	"\017oversized session id\0"	/* 15 */
	"\020no common cipher suite\0"	/* 16 */
	"\021no common compression\0"	/* 17 */
	"\022bad fragment length\0"	/* 18 */
	"\023bad secure renegotiation\0"	/* 19 */
	"\024bad extension\0"	/* 20 */
	"\025bad certificate message\0"	/* 21 */
	"\026bad ServerKeyExchange signature\0"	/* 22 */
	"\027bad protocol name\0"	/* 23 */
	"\030bad server certificate key\0"	/* 24 */
	"\031bad ServerKeyExchange\0"	/* 25 */
	"\032bad Finished\0"	/* 26 */
	"\033server sent an unexpected record\0"	/* 27 */
	"\037connection error or unexpected close\0"	/* 31 */
	"\041invalid value in a certificate\0"	/* 33 */
	"\042truncated certificate\0"	/* 34 */
	"\043empty certificate chain\0"	/* 35 */
	"\044truncated certificate element\0"	/* 36 */
	"\045bad certificate tag class\0"	/* 37 */
	"\046bad certificate tag value\0"	/* 38 */
	"\047indefinite length in certificate\0"	/* 39 */
	"\050extra element in certificate\0"	/* 40 */
	"\051unexpected element in certificate\0"	/* 41 */
	"\052expected constructed element\0"	/* 42 */
	"\053expected primitive element\0"	/* 43 */
	"\054partial byte in certificate\0"	/* 44 */
	"\055bad boolean in certificate\0"	/* 45 */
	"\056overflow in certificate\0"	/* 46 */
	"\057bad distinguished name\0"	/* 47 */
	"\060bad time in certificate\0"	/* 48 */
	"\061unsupported certificate feature\0"	/* 49 */
	"\062certificate chain limit exceeded\0"	/* 50 */
	"\063wrong key type\0"	/* 51 */
	"\064bad certificate signature\0"	/* 52 */
	"\065time unknown: certificate validity cannot be checked\0"	/* 53 */
	"\066certificate expired or not yet valid\0"	/* 54 */
	"\067certificate chain DN mismatch\0"	/* 55 */
	"\070certificate does not match the host name\0"	/* 56 */
	"\071unsupported critical extension in certificate\0"	/* 57 */
	"\072certificate issuer is not a CA\0"	/* 58 */
	"\073forbidden key usage\0"	/* 59 */
	"\074weak public key\0"	/* 60 */
	"\076unknown CA: certificate not trusted\0"	/* 62 */;

const char *tls_err_str(int err)
{
	if (err == 0)
		return "no error";
	if (err >= 512)
		return "fatal alert sent by us";
	if (err >= 256)
		return "fatal alert from the server";
	for (const char *p = tls_errs; *p; p += strlen(p) + 1)
		if ((unsigned char)*p == err)
			return p + 1;
	return "TLS error";
}

enum tls_err_class tls_err_class(int err)
{
	if (err == 0)
		return TLS_ERR_NONE;
	if (err == 54 || err == 53)
		return TLS_ERR_CERT_TIME;
	if ((err >= 32 && err < 64) || err == 21 || err == 24)
		return TLS_ERR_CERT;
	return TLS_ERR_PROTO;
}
