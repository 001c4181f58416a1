/*
 * peer: key pairs, self-signed certificates and key pinning (peer.h).
 *
 * BearSSL has no certificate writer, so the certificate is encoded here,
 * the smallest one RFC 5280 allows for an end entity: version 3, a random
 * positive serial, ecdsa-with-SHA256, issuer = subject = one CN, validity
 * from the creation time to 99991231235959Z (RFC 5280 4.1.2.5: no
 * well-defined expiry), the SubjectPublicKeyInfo of the P-256 key and one
 * extension, basicConstraints (critical) CA:FALSE.  DER is built inside
 * out in fixed buffers: every length is known before it is written.
 */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "errmsg.h"
#include "cdefs.h"
#include "peer.h"

/* DER prefix of a P-256 SubjectPublicKeyInfo; the 65-byte point follows. */
static const uint8_t spki_p256[] = {
	0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01,
	0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
};
static const uint8_t alg_ecdsa_sha256[] = {
	0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02,
};
/* [3] { SEQUENCE { SEQUENCE { basicConstraints, critical, OCTET STRING { SEQUENCE {} } } } } */
static const uint8_t ext_not_ca[] = {
	0xa3, 0x10, 0x30, 0x0e, 0x30, 0x0c, 0x06, 0x03, 0x55, 0x1d, 0x13,
	0x01, 0x01, 0xff, 0x04, 0x02, 0x30, 0x00,
};

/* ---- DER ------------------------------------------------------------------- */

struct der {
	uint8_t *p;
	size_t cap, len;
	int err;
};

static void der_raw(struct der *d, const void *src, size_t n)
{
	if (d->err || n > d->cap - d->len) {
		d->err = 1;
		return;
	}
	memcpy(d->p + d->len, src, n);
	d->len += n;
}

static void der_head(struct der *d, uint8_t tag, size_t n)
{
	uint8_t h[4];
	size_t k = 0;
	h[k++] = tag;
	if (n < 0x80) {
		h[k++] = (uint8_t)n;
	} else if (n < 0x100) {
		h[k++] = 0x81;
		h[k++] = (uint8_t)n;
	} else {
		h[k++] = 0x82;
		h[k++] = (uint8_t)(n >> 8);
		h[k++] = (uint8_t)n;
	}
	der_raw(d, h, k);
}

static void der_tlv(struct der *d, uint8_t tag, const void *c, size_t n)
{
	der_head(d, tag, n);
	der_raw(d, c, n);
}

/* Name: SEQUENCE { SET { SEQUENCE { id-at-commonName, UTF8String cn } } } */
static void der_name(struct der *d, const char *cn)
{
	static const uint8_t oid_cn[] = {0x06, 0x03, 0x55, 0x04, 0x03};
	size_t n = strlen(cn);
	if (n > 64)
		n = 64;	/* ub-common-name */
	size_t atv = sizeof oid_cn + 2 + n;
	der_head(d, 0x30, atv + 4);
	der_head(d, 0x31, atv + 2);
	der_head(d, 0x30, atv);
	der_raw(d, oid_cn, sizeof oid_cn);
	der_tlv(d, 0x0c, cn, n);
}

static void der_time(struct der *d, int64_t t)
{
	char s[80];
	struct tm tm;
	time_t tt = (time_t)t;
	if (t < 0 || !gmtime_r(&tt, &tm))
		memset(&tm, 0, sizeof tm), tm.tm_year = 70, tm.tm_mday = 1;
	int year = tm.tm_year + 1900;
	if (year > 9999)
		year = 9999;
	if (year >= 1950 && year < 2050) {
		snprintf(s, sizeof s, "%02d%02d%02d%02d%02d%02dZ", year % 100, tm.tm_mon + 1,
			 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
		der_tlv(d, 0x17, s, 13);
	} else {
		snprintf(s, sizeof s, "%04d%02d%02d%02d%02d%02dZ", year, tm.tm_mon + 1, tm.tm_mday,
			 tm.tm_hour, tm.tm_min, tm.tm_sec);
		der_tlv(d, 0x18, s, 15);
	}
}

size_t peer_cert_make(uint8_t *out, size_t cap, const br_ec_private_key *sk,
		      const br_ec_public_key *pk, const char *cn, int64_t not_before,
		      const br_prng_class **rng)
{
	uint8_t body[768], tbs[800], sig[80], hash[32], serial[8];
	struct der b = {body, sizeof body, 0, 0};
	struct der t = {tbs, sizeof tbs, 0, 0};
	struct der c = {out, cap, 0, 0};

	if (pk->curve != BR_EC_secp256r1 || pk->qlen != 65)
		return 0;
	(*rng)->generate(rng, serial, sizeof serial);
	serial[0] = (uint8_t)((serial[0] & 0x7f) | 0x40);	/* positive, 8 bytes long */

	static const uint8_t v3[] = {0xa0, 0x03, 0x02, 0x01, 0x02};
	der_raw(&b, v3, sizeof v3);
	der_tlv(&b, 0x02, serial, sizeof serial);
	der_raw(&b, alg_ecdsa_sha256, sizeof alg_ecdsa_sha256);
	der_name(&b, cn);
	{
		uint8_t v[40];
		struct der vd = {v, sizeof v, 0, 0};
		der_time(&vd, not_before);
		der_tlv(&vd, 0x18, "99991231235959Z", 15);
		der_tlv(&b, 0x30, v, vd.len);
		if (vd.err)
			return 0;
	}
	der_name(&b, cn);
	der_raw(&b, spki_p256, sizeof spki_p256);
	der_raw(&b, pk->q, pk->qlen);
	der_raw(&b, ext_not_ca, sizeof ext_not_ca);
	der_tlv(&t, 0x30, body, b.len);
	if (b.err || t.err)
		return 0;

	br_sha256_context h;
	br_sha256_init(&h);
	br_sha256_update(&h, tbs, t.len);
	br_sha256_out(&h, hash);
	size_t slen = br_ecdsa_sign_asn1_get_default()(br_ec_get_default(), &br_sha256_vtable,
							hash, sk, sig);
	if (!slen)
		return 0;

	uint8_t bits[82];
	bits[0] = 0;	/* no unused bits */
	memcpy(bits + 1, sig, slen);
	size_t inner = t.len + sizeof alg_ecdsa_sha256 + 2 + slen + 1;
	der_head(&c, 0x30, inner);
	der_raw(&c, tbs, t.len);
	der_raw(&c, alg_ecdsa_sha256, sizeof alg_ecdsa_sha256);
	der_tlv(&c, 0x03, bits, slen + 1);
	return c.err ? 0 : c.len;
}

/* ---- fingerprints --------------------------------------------------------------- */

static void fp_of_point(const uint8_t *q, uint8_t fp[SHARE_FP_LEN])
{
	br_sha256_context h;
	br_sha256_init(&h);
	br_sha256_update(&h, spki_p256, sizeof spki_p256);
	br_sha256_update(&h, q, 65);
	br_sha256_out(&h, fp);
}

int peer_fp_of_pkey(const br_x509_pkey *pk, uint8_t fp[SHARE_FP_LEN])
{
	if (pk->key_type != BR_KEYTYPE_EC || pk->key.ec.curve != BR_EC_secp256r1 ||
	    pk->key.ec.qlen != 65)
		return -1;
	fp_of_point(pk->key.ec.q, fp);
	return 0;
}

int peer_fp_of_cert(const uint8_t *der, size_t len, uint8_t fp[SHARE_FP_LEN])
{
	br_x509_decoder_context dc;
	br_x509_decoder_init(&dc, NULL, NULL);
	br_x509_decoder_push(&dc, der, len);
	const br_x509_pkey *pk = br_x509_decoder_get_pkey(&dc);
	if (!pk)
		return -1;
	return peer_fp_of_pkey(pk, fp);
}

static void dn_dest(void *ctx, const void *src, size_t len)
{
	der_raw(ctx, src, len);
}

size_t peer_cert_subject(const uint8_t *der, size_t len, uint8_t *out, size_t cap)
{
	br_x509_decoder_context dc;
	struct der d = {out, cap, 0, 0};
	br_x509_decoder_init(&dc, dn_dest, &d);
	br_x509_decoder_push(&dc, der, len);
	if (!br_x509_decoder_get_pkey(&dc) || d.err)
		return 0;
	return d.len;
}

/* ---- files ---------------------------------------------------------------------- */

static void pem_dest(void *ctx, const void *src, size_t len)
{
	struct der *d = ctx;
	der_raw(d, src, len);
}

long peer_pem_read(const char *path, const char *label, uint8_t *out, size_t cap, char *err,
		   size_t errlen)
{
	char text[8192];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		errmsg_say(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	size_t got = 0;
	for (;;) {
		ssize_t r = read(fd, text + got, sizeof text - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			errmsg_say(err, errlen, "%s: %s", path, strerror(errno));
			close(fd);
			return -1;
		}
		if (r == 0)
			break;
		got += (size_t)r;
		if (got == sizeof text) {
			errmsg_say(err, errlen, "%s: larger than %zu bytes", path, sizeof text);
			close(fd);
			return -1;
		}
	}
	close(fd);

	br_pem_decoder_context pc;
	struct der d = {out, cap, 0, 0};
	int inside = 0;
	size_t off = 0;
	br_pem_decoder_init(&pc);
	/* the decoder wants a final newline to see the last line */
	if (got < sizeof text)
		text[got++] = '\n';
	while (off < got) {
		off += br_pem_decoder_push(&pc, text + off, got - off);
		switch (br_pem_decoder_event(&pc)) {
		case BR_PEM_BEGIN_OBJ:
			inside = !strcmp(br_pem_decoder_name(&pc), label);
			d.len = 0;
			d.err = 0;
			br_pem_decoder_setdest(&pc, inside ? pem_dest : NULL, &d);
			break;
		case BR_PEM_END_OBJ:
			if (inside) {
				if (d.err) {
					errmsg_say(err, errlen, "%s: %s larger than %zu bytes", path, label, cap);
					return -1;
				}
				return (long)d.len;
			}
			break;
		case BR_PEM_ERROR:
			errmsg_say(err, errlen, "%s: not a PEM file", path);
			return -1;
		default:
			break;
		}
	}
	errmsg_say(err, errlen, "%s: no \"%s\" in it", path, label);
	return -1;
}

/* Write data to dir/name through a temporary file, fsync, rename. */
static int publish(const char *dir, const char *name, const char *data, size_t len, mode_t mode,
		   char *err, size_t errlen)
{
	char path[4200], tmp[4210];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0) {
		errmsg_say(err, errlen, "%s: %s", tmp, strerror(errno));
		return -1;
	}
	size_t done = 0;
	while (done < len) {
		ssize_t w = write(fd, data + done, len - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			errmsg_say(err, errlen, "%s: %s", tmp, w < 0 ? strerror(errno) : "short write");
			goto fail;
		}
		done += (size_t)w;
	}
	if (fsync(fd) < 0) {
		errmsg_say(err, errlen, "%s: fsync: %s", tmp, strerror(errno));
		goto fail;
	}
	close(fd);
	if (rename(tmp, path) < 0) {
		errmsg_say(err, errlen, "%s: %s", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
fail:
	close(fd);
	unlink(tmp);
	return -1;
}

int peer_keygen(const char *dir, const char *cn, uint8_t fp[SHARE_FP_LEN], char *err,
		size_t errlen)
{
	unsigned char seed[48], skbuf[BR_EC_KBUF_PRIV_MAX_SIZE], pkbuf[BR_EC_KBUF_PUB_MAX_SIZE];
	uint8_t der[PEER_CERT_MAX], keyder[256];
	char pem[2048], kpath[4200];
	br_hmac_drbg_context rng;
	br_ec_private_key sk;
	br_ec_public_key pk;
	const br_ec_impl *ec = br_ec_get_default();
	int rc = -1;

	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		errmsg_say(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	snprintf(kpath, sizeof kpath, "%s/%s", dir, PEER_KEY_FILE);
	if (access(kpath, F_OK) == 0) {
		errmsg_say(err, errlen, "%s: exists; not overwritten (remove it to make a new key)", kpath);
		errno = EEXIST;
		return -1;
	}
	for (size_t got = 0; got < sizeof seed;) {
		ssize_t r = getrandom(seed + got, sizeof seed - got, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			errmsg_say(err, errlen, "getrandom: %s", strerror(errno));
			return -1;
		}
		got += (size_t)r;
	}
	br_hmac_drbg_init(&rng, &br_sha256_vtable, seed, sizeof seed);
	if (!br_ec_keygen(&rng.vtable, ec, &sk, skbuf, BR_EC_secp256r1) ||
	    !br_ec_compute_pub(ec, &pk, pkbuf, &sk)) {
		errmsg_say(err, errlen, "key generation failed");
		goto out;
	}
	size_t klen = br_encode_ec_raw_der(keyder, &sk, &pk);
	size_t clen = peer_cert_make(der, sizeof der, &sk, &pk, cn, time(NULL), &rng.vtable);
	if (!klen || klen > sizeof keyder || !clen) {
		errmsg_say(err, errlen, "encoding the key or its certificate failed");
		goto out;
	}
	size_t plen = br_pem_encode(pem, keyder, klen, "EC PRIVATE KEY", BR_PEM_LINE64);
	if (publish(dir, PEER_KEY_FILE, pem, plen, 0600, err, errlen) < 0)
		goto out;
	plen = br_pem_encode(pem, der, clen, "CERTIFICATE", BR_PEM_LINE64);
	if (publish(dir, PEER_CERT_FILE, pem, plen, 0644, err, errlen) < 0)
		goto out;
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		(void)fsync(dfd);
		close(dfd);
	}
	fp_of_point(pk.q, fp);
	rc = 0;
out:
	memset(skbuf, 0, sizeof skbuf);
	memset(keyder, 0, sizeof keyder);
	memset(pem, 0, sizeof pem);
	memset(&rng, 0, sizeof rng);
	return rc;
}

int peer_load(struct peer_id *id, const char *dir, char *err, size_t errlen)
{
	char path[4200];
	uint8_t der[512];
	br_skey_decoder_context kd;

	memset(id, 0, sizeof *id);
	snprintf(path, sizeof path, "%s/%s", dir, PEER_KEY_FILE);
	long n = peer_pem_read(path, "EC PRIVATE KEY", der, sizeof der, err, errlen);
	if (n < 0) {
		/* PKCS#8 ("openssl genpkey") is taken too */
		char e2[256];
		n = peer_pem_read(path, "PRIVATE KEY", der, sizeof der, e2, sizeof e2);
		if (n < 0)
			return -1;
	}
	br_skey_decoder_init(&kd);
	br_skey_decoder_push(&kd, der, (size_t)n);
	const br_ec_private_key *sk = br_skey_decoder_get_ec(&kd);
	if (!sk || sk->curve != BR_EC_secp256r1 || sk->xlen > sizeof id->skbuf) {
		errmsg_say(err, errlen, "%s: not an EC P-256 private key", path);
		memset(der, 0, sizeof der);
		memset(&kd, 0, sizeof kd);
		return -1;
	}
	memcpy(id->skbuf, sk->x, sk->xlen);
	id->sk.curve = sk->curve;
	id->sk.x = id->skbuf;
	id->sk.xlen = sk->xlen;
	memset(der, 0, sizeof der);
	memset(&kd, 0, sizeof kd);
	{
		unsigned char pkbuf[BR_EC_KBUF_PUB_MAX_SIZE];
		br_ec_public_key pk;
		if (!br_ec_compute_pub(br_ec_get_default(), &pk, pkbuf, &id->sk)) {
			errmsg_say(err, errlen, "%s: bad private key", path);
			return -1;
		}
		fp_of_point(pk.q, id->key_fp);
	}

	snprintf(path, sizeof path, "%s/%s", dir, PEER_CERT_FILE);
	n = peer_pem_read(path, "CERTIFICATE", id->cert, sizeof id->cert, err, errlen);
	if (n < 0)
		return -1;
	if (peer_fp_of_cert(id->cert, (size_t)n, id->fp) < 0) {
		errmsg_say(err, errlen, "%s: not a certificate of an EC P-256 key", path);
		return -1;
	}
	id->chain[0].data = id->cert;
	id->chain[0].data_len = (size_t)n;
	return 0;
}

/* ---- pinning -------------------------------------------------------------------- */

static void pin_start_chain(const br_x509_class **ctx, const char *server_name TIP_UNUSED)
{
	struct peer_pin *p = (struct peer_pin *)(void *)ctx;
	p->ncert = 0;
	p->err = 0;
	p->matched = -1;
	p->have_seen = 0;
}

static void pin_start_cert(const br_x509_class **ctx, uint32_t length TIP_UNUSED)
{
	struct peer_pin *p = (struct peer_pin *)(void *)ctx;
	if (p->ncert == 0)
		br_x509_decoder_init(&p->dc, NULL, NULL);
}

static void pin_append(const br_x509_class **ctx, const unsigned char *buf, size_t len)
{
	struct peer_pin *p = (struct peer_pin *)(void *)ctx;
	/*
	 * BearSSL 0.6's X.509 decoder reads past its input when pushed more
	 * bytes after it has finished or failed (sensor/tls.c does the same
	 * check): a hostile peer's certificate must not get that far.
	 */
	if (p->ncert == 0 && !p->dc.err && !p->dc.decoded)
		br_x509_decoder_push(&p->dc, buf, len);
}

static void pin_end_cert(const br_x509_class **ctx)
{
	struct peer_pin *p = (struct peer_pin *)(void *)ctx;
	if (p->ncert++ != 0)
		return;
	const br_x509_pkey *pk = br_x509_decoder_get_pkey(&p->dc);
	if (!pk) {
		int e = br_x509_decoder_last_error(&p->dc);
		p->err = e ? (unsigned)e : BR_ERR_X509_INVALID_VALUE;
		return;
	}
	if (peer_fp_of_pkey(pk, p->seen) < 0) {
		p->err = BR_ERR_X509_WRONG_KEY_TYPE;
		return;
	}
	p->have_seen = 1;
	memcpy(p->keybuf, pk->key.ec.q, 65);
	p->pkey.key_type = BR_KEYTYPE_EC;
	p->pkey.key.ec.curve = BR_EC_secp256r1;
	p->pkey.key.ec.q = p->keybuf;
	p->pkey.key.ec.qlen = 65;
}

static unsigned pin_end_chain(const br_x509_class **ctx)
{
	struct peer_pin *p = (struct peer_pin *)(void *)ctx;
	if (p->err)
		return p->err;
	if (!p->ncert || !p->have_seen)
		return BR_ERR_X509_EMPTY_CHAIN;
	for (size_t i = 0; i < p->n_allowed; i++)
		if (!memcmp(p->allowed[i], p->seen, SHARE_FP_LEN)) {
			p->matched = (int)i;
			return 0;
		}
	return BR_ERR_X509_NOT_TRUSTED;
}

static const br_x509_pkey *pin_get_pkey(const br_x509_class *const *ctx, unsigned *usages)
{
	struct peer_pin *p = (struct peer_pin *)(void *)ctx;
	if (p->matched < 0)
		return NULL;
	if (usages)
		*usages = BR_KEYTYPE_KEYX | BR_KEYTYPE_SIGN;
	return &p->pkey;
}

static const br_x509_class pin_class = {
	sizeof(struct peer_pin), pin_start_chain, pin_start_cert, pin_append,
	pin_end_cert,            pin_end_chain,   pin_get_pkey,
};

void peer_pin_init(struct peer_pin *pin, const uint8_t (*allowed)[SHARE_FP_LEN], size_t n)
{
	memset(pin, 0, sizeof *pin);
	pin->vtable = &pin_class;
	pin->allowed = allowed;
	pin->n_allowed = n;
	pin->matched = -1;
}

const char *peer_ssl_strerror(int err)
{
	switch (err) {
	case BR_ERR_OK:
		return "closed";
	case BR_ERR_X509_NOT_TRUSTED:
		return "the peer's key is not a pinned one";
	case BR_ERR_X509_EMPTY_CHAIN:
		return "the peer sent no certificate";
	case BR_ERR_X509_WRONG_KEY_TYPE:
		return "the peer's key is not an EC P-256 key";
	case BR_ERR_NO_CLIENT_AUTH:
		return "no client certificate";
	case BR_ERR_BAD_SIGNATURE:
		return "the peer does not hold the private key of its certificate";
	case BR_ERR_BAD_VERSION:
	case BR_ERR_UNSUPPORTED_VERSION:
		return "not TLS 1.2 (plain text on a TLS port?)";
	case BR_ERR_BAD_MAC:
		return "record MAC mismatch (corrupted in transit)";
	case BR_ERR_IO:
		return "connection failed or closed during the handshake";
	case BR_ERR_UNEXPECTED:
		return "unexpected message";
	}
	if (err >= BR_ERR_SEND_FATAL_ALERT) {
		int a = err - BR_ERR_SEND_FATAL_ALERT;
		return a == 42 || a == 46 || a == 48 ? "refused the peer's certificate (sent alert)"
			: "sent a fatal alert";
	}
	if (err >= BR_ERR_RECV_FATAL_ALERT) {
		int a = err - BR_ERR_RECV_FATAL_ALERT;
		switch (a) {
		case 40:
			return "the peer refused the handshake (alert handshake_failure)";
		case 42:
		case 43:
		case 46:
			return "the peer refused our certificate (bad or unknown key)";
		case 48:
			return "the peer does not know our key (alert unknown_ca)";
		case 51:
			return "the peer could not verify our key's signature (alert decrypt_error)";
		}
		return "received a fatal alert";
	}
	if (err >= 32 && err < 64)
		return "the peer's certificate cannot be read";
	return "TLS error";
}

void peer_set_suites(br_ssl_engine_context *eng, int server)
{
	static const uint16_t aes_first[] = {
		BR_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
		BR_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
	};
	static const uint16_t chacha_first[] = {
		BR_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
		BR_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	};
	int hw_aes = br_aes_x86ni_ctr_get_vtable() != NULL || br_aes_pwr8_ctr_get_vtable() != NULL;
	br_ssl_engine_set_suites(eng, hw_aes ? aes_first : chacha_first, 2);
	if (server)
		br_ssl_engine_add_flags(eng, BR_OPT_ENFORCE_SERVER_PREFERENCES);
}
