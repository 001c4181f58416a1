/*
 * tls: BearSSL on a non-blocking socket driven by libev, for both ends of
 * a connection.  BearSSL's own br_sslio blocks; here the caller owns the
 * fd and its ev_io, and tls_conn_pump moves records between the socket
 * and a br_ssl_engine_context (client or server: the engine does not
 * care) until the socket would block, then says which events to wait for.
 * Application data goes in and out through the engine's own buffers, so
 * nothing is copied twice and nothing is allocated here.
 *
 * Also here: trust anchors decoded from a PEM bundle (base64 decoded here,
 * then br_x509_decoder), a client context set up for one host (SNI, chain and
 * name checked against the anchors, validity against clock_now_us()), or
 * an "insecure" client that takes the server's key unchecked, and names
 * for BearSSL's error codes.
 *
 * Built only when ENABLE_TLS is 1; otherwise the functions exist but fail
 * (tls_anchors_load: -1, tls_client_init: -1), so callers compile and
 * the linker pulls in no BearSSL.  Loop thread only; no function blocks.
 */
#ifndef TIP_TLS_H
#define TIP_TLS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "tip_config.h"

#if ENABLE_TLS
#include <bearssl.h>
#endif

/* ---- trust anchors ----------------------------------------------------------- */

struct tls_anchors {
	void *ta;		/* br_x509_trust_anchor[n], owned */
	size_t n;
	size_t bytes;		/* heap held, for the memory figures */
};

/*
 * Decode every CERTIFICATE of a PEM bundle into anchors (RSA and EC keys;
 * others are skipped and counted as such).  The number loaded (>= 1), or
 * -1 with a reason in why ("cannot open ...", "no certificate in ...").
 * a is owned by the caller; tls_anchors_fini frees what it holds.
 */
int tls_anchors_load(struct tls_anchors *a, const char *path, char *why, size_t whylen);
void tls_anchors_fini(struct tls_anchors *a);

/* ---- the engine on a socket ---------------------------------------------------- */

enum {
	TLS_WANT_READ = 1,	/* same values as EV_READ and EV_WRITE */
	TLS_WANT_WRITE = 2,
};

struct tls_conn {
#if ENABLE_TLS
	br_ssl_engine_context *eng;
#else
	void *eng;
#endif
	int fd;			/* non-blocking, connected; not owned */
	int sys_errno;		/* errno of the read or write that failed, else 0 */
	int peer_closed;	/* the socket read 0 (EOF) */
	int io_failed;		/* a read or write failed or hit EOF: the connection is over */
	uint64_t rx, tx;	/* bytes read from and written to fd */
};

void tls_conn_init(struct tls_conn *c, void *eng, int fd);

/*
 * Write the records the engine has ready, read what it can take, until
 * the socket would block.  Returns the events to wait for (TLS_WANT_*; 0
 * when the engine waits on the application: data to take or to give), or
 * -1 when the engine is closed: then tls_conn_error says why (0: a clean
 * close_notify).  A socket error or EOF ends the connection (io_failed,
 * with sys_errno or peer_closed set; the error reads BR_ERR_IO).
 */
int tls_conn_pump(struct tls_conn *c);

/* 1 once the handshake is done and application data can flow. */
int tls_conn_ready(const struct tls_conn *c);

/*
 * Application data.  tls_conn_recv: a pointer to decrypted bytes and their
 * count in *n, NULL when none is there now; tls_conn_recv_ack(c, k)
 * consumes k of them.  tls_conn_send copies up to n bytes into the engine
 * and returns how many it took (0: full, pump first); tls_conn_flush makes
 * the engine send a record now.  Pump after these.
 */
const unsigned char *tls_conn_recv(struct tls_conn *c, size_t *n);
void tls_conn_recv_ack(struct tls_conn *c, size_t k);
size_t tls_conn_send(struct tls_conn *c, const void *p, size_t n);
void tls_conn_flush(struct tls_conn *c);
/* Send close_notify (pump to get it out). */
void tls_conn_close(struct tls_conn *c);

/* The engine's error: 0 or a BR_ERR_* code (>= 256: alert from the peer). */
int tls_conn_error(const struct tls_conn *c);

/* ---- a client for one host ------------------------------------------------------- */

struct tls_client;	/* ~ 4.5 KB of contexts plus the record buffer */

/*
 * Allocate and reset a client engine for host (SNI and the name checked),
 * against anchors (not copied: they must outlive the client), validity
 * checked at clock_now_us().  insecure: no chain, name or date check at
 * all (the server's key is taken as it comes).  NULL with errno.
 */
struct tls_client *tls_client_new(const struct tls_anchors *anchors, const char *host, int insecure);
void tls_client_free(struct tls_client *tc);
/* The engine to hand to tls_conn_init. */
void *tls_client_engine(struct tls_client *tc);
/*
 * After a certificate error: the end-entity certificate's dates against
 * clock_now_us(), "expired on 2025-01-31", "not valid before 2031-01-01"
 * (1), or "valid 2025-01-01 to 2026-01-01" (0: another certificate of the
 * chain failed); -1 when no certificate was decoded.
 */
int tls_client_cert_dates(struct tls_client *tc, char *buf, size_t cap);
/* Certificates the server sent (after a handshake, or its failure). */
int tls_client_chain_len(const struct tls_client *tc);
/* Heap the client holds, for the memory figures. */
size_t tls_client_bytes(void);

/* ---- errors ------------------------------------------------------------------------ */

enum tls_err_class {
	TLS_ERR_NONE = 0,
	TLS_ERR_CERT,		/* chain, anchor or name */
	TLS_ERR_CERT_TIME,	/* expired or not yet valid */
	TLS_ERR_PROTO,		/* anything else */
};

/* "certificate expired or not yet valid", "unknown CA (certificate not trusted)", ... */
const char *tls_err_str(int err);
enum tls_err_class tls_err_class(int err);

#endif
