/*
 * peer: a node's identity for sharing, with BearSSL: its EC P-256 key
 * pair, a self-signed certificate for it, and the check that a peer's key
 * is one we pinned by fingerprint (share.h has the fingerprint format).
 *
 * Not part of libtipstore: this object needs BearSSL, and the store-only
 * programs (the cross-architecture tests) must not.  It is linked into
 * tip and tipd only.
 *
 * A key directory holds
 *     key.pem    the private key, "EC PRIVATE KEY" (SEC1), mode 0600
 *     cert.pem   a self-signed X.509 v3 certificate of its public key
 * Nothing checks the certificate's names, dates or signature: a peer is
 * who its key is.  So a router whose clock is wrong still connects, and no
 * CA has to be run.  The certificate exists because TLS carries keys in
 * certificates.
 */
#ifndef TIP_PEER_H
#define TIP_PEER_H

#include <stddef.h>
#include <stdint.h>

#include <bearssl.h>

#include "share.h"

#define PEER_CERT_MAX 1024
#define PEER_KEY_FILE "key.pem"
#define PEER_CERT_FILE "cert.pem"

struct peer_id {
	br_ec_private_key sk;	/* points into skbuf */
	unsigned char skbuf[BR_EC_KBUF_PRIV_MAX_SIZE];
	br_x509_certificate chain[1];	/* points into cert */
	unsigned char cert[PEER_CERT_MAX];
	uint8_t fp[SHARE_FP_LEN];	/* of the certificate's public key */
	uint8_t key_fp[SHARE_FP_LEN];	/* of the public key of key.pem */
};

/*
 * Make a new key pair in dir (created 0700 when missing; an existing
 * key.pem is never overwritten: -1 with EEXIST).  Files are written to a
 * temporary name, fsynced and renamed.  cn names the certificate (e.g.
 * "tip router-1").  0 with the fingerprint in fp, or -1 with err.
 */
int peer_keygen(const char *dir, const char *cn, uint8_t fp[SHARE_FP_LEN], char *err,
		size_t errlen);

/*
 * The DER certificate of the key sk/pk, self-signed, valid from not_before
 * (seconds since 1970) to 9999-12-31.  Returns its length, 0 when cap is
 * too small.  rng provides the serial number and the signature's nonce
 * source is BearSSL's (RFC 6979, deterministic).
 */
size_t peer_cert_make(uint8_t *out, size_t cap, const br_ec_private_key *sk,
		      const br_ec_public_key *pk, const char *cn, int64_t not_before,
		      const br_prng_class **rng);

/*
 * Load dir/key.pem and dir/cert.pem.  0, or -1 with err (which file, what
 * is wrong).  The key and the certificate need not match (a test of the
 * refusal does that on purpose): key_fp and fp tell.
 */
int peer_load(struct peer_id *id, const char *dir, char *err, size_t errlen);

/* Fingerprint of an EC P-256 public key: 0, or -1 for another kind of key. */
int peer_fp_of_pkey(const br_x509_pkey *pk, uint8_t fp[SHARE_FP_LEN]);
/* Fingerprint of the key in a DER certificate: 0, or -1. */
int peer_fp_of_cert(const uint8_t *der, size_t len, uint8_t fp[SHARE_FP_LEN]);

/*
 * An X.509 "validation" class for BearSSL that accepts a chain when the
 * public key of its first certificate has one of the n fingerprints in
 * allowed (which must outlive the handshake).  Set it with
 * br_ssl_engine_set_x509(&eng, &pin->vtable).  After the handshake,
 * `matched` is the index of the fingerprint it matched (-1 none) and
 * `seen` the fingerprint presented (`have_seen` 1 when one was).
 */
struct peer_pin {
	const br_x509_class *vtable;
	br_x509_decoder_context dc;
	int ncert;
	unsigned err;
	const uint8_t (*allowed)[SHARE_FP_LEN];
	size_t n_allowed;
	int matched;
	int have_seen;
	uint8_t seen[SHARE_FP_LEN];
	br_x509_pkey pkey;
	unsigned char keybuf[BR_EC_KBUF_PUB_MAX_SIZE];
};

void peer_pin_init(struct peer_pin *pin, const uint8_t (*allowed)[SHARE_FP_LEN], size_t n);

/* The DER subject name of a certificate into out: its length, 0 on failure. */
size_t peer_cert_subject(const uint8_t *der, size_t len, uint8_t *out, size_t cap);

/*
 * The cipher suites a share connection offers, fastest first on this
 * machine: AES-128-GCM where the CPU has AES instructions (AES-NI), else
 * ChaCha20-Poly1305 (a router's CPU without them); both ECDHE with ECDSA
 * (our keys are P-256).  server: it also chooses by its own order, since
 * a sensor serving its store is the side whose CPU matters.
 */
void peer_set_suites(br_ssl_engine_context *eng, int server);

/* A BearSSL error code as text, for messages ("peer key not pinned"). */
const char *peer_ssl_strerror(int err);

/* The first PEM object named `label` of a file, decoded into out (cap). */
long peer_pem_read(const char *path, const char *label, uint8_t *out, size_t cap, char *err,
		   size_t errlen);

#endif
