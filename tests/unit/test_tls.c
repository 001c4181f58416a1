/*
 * test_tls: sensor/tls.c without a network: trust anchors from PEM files
 * good and broken, and a BearSSL client and server pumped by tls_conn over
 * a non-blocking socketpair: the handshake, data both ways, a refused
 * certificate (wrong name, unknown key, expired and not yet valid by the
 * fake clock, with the dates said) and the insecure client.
 * The certificates are test vectors made once with openssl (unit.test:
 * P-256, valid 2026-12-02 to 2036-11-29, self-signed) and kept as data.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "clock.h"
#include "tls.h"

#if ENABLE_TLS

/* unit.test, self-signed, the server's certificate */
static const char pem_unit[] =
	"-----BEGIN CERTIFICATE-----\n"
	"MIIBfjCCASOgAwIBAgIBBzAKBggqhkjOPQQDAjAUMRIwEAYDVQQDDAl1bml0LnRl\n"
	"c3QwHhcNMjYxMjAyMDE0MDIzWhcNMzYxMTI5MDE0MDIzWjAUMRIwEAYDVQQDDAl1\n"
	"bml0LnRlc3QwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAATS71WiMCjJb+iQj8xe\n"
	"9d7gJ1j+0lPkCb7NuEnrjwVbYA5k8SmBQFdHysWHXBYeDD2wX7MuubGYqQOkHBEK\n"
	"8uTLo2YwZDAdBgNVHQ4EFgQUzkqK3YaQaeVOc3/AiOVAp3e9hJswHwYDVR0jBBgw\n"
	"FoAUzkqK3YaQaeVOc3/AiOVAp3e9hJswFAYDVR0RBA0wC4IJdW5pdC50ZXN0MAwG\n"
	"A1UdEwEB/wQCMAAwCgYIKoZIzj0EAwIDSQAwRgIhAL6EWDBOwkwc3/A+30ho7pwz\n"
	"Ar439LzQ+N4SKoHVad5iAiEAkXfYyVQ5J4E23J6jiINHrh4cjcqb1/NTSNK0dgUQ\n"
	"7Tw=\n"
	"-----END CERTIFICATE-----\n";
/* an EC CA (CA:TRUE) */
static const char pem_ca[] =
	"-----BEGIN CERTIFICATE-----\n"
	"MIIBjDCCATOgAwIBAgIUTOtPSh0DJ7tlTF21AgnxqnVd3JYwCgYIKoZIzj0EAwIw\n"
	"GzEZMBcGA1UEAwwQVElQIHVuaXQgdGVzdCBDQTAgFw0yNjEyMDIwMTQwMTJaGA8y\n"
	"MTI2MTEwODAxNDAxMlowGzEZMBcGA1UEAwwQVElQIHVuaXQgdGVzdCBDQTBZMBMG\n"
	"ByqGSM49AgEGCCqGSM49AwEHA0IABElwyS7T/MmAn/oTu+7Eu145G78yV2SHjMha\n"
	"CH5mBqjlCE/jh+MRgjMBbQFM0YKVDV9oACOFFOezbc8OIRmnTumjUzBRMB0GA1Ud\n"
	"DgQWBBSPWT+IqdDieGTT2ZzAdDk1+uk4NjAfBgNVHSMEGDAWgBSPWT+IqdDieGTT\n"
	"2ZzAdDk1+uk4NjAPBgNVHRMBAf8EBTADAQH/MAoGCCqGSM49BAMCA0cAMEQCICNm\n"
	"53w5erP07MmQCW/cbALFMTcmOlmoHfvayAmq31m5AiAHHSN+KVq8H8rNWKt4roWe\n"
	"xgiMfFCeUC57JQxaBDVUpw==\n"
	"-----END CERTIFICATE-----\n";
/* an RSA certificate */
static const char pem_rsa[] =
	"-----BEGIN CERTIFICATE-----\n"
	"MIICDDCCAXWgAwIBAgIUCaro5tkWQQPYB5/PoxIopEepurAwDQYJKoZIhvcNAQEL\n"
	"BQAwFzEVMBMGA1UEAwwMVElQIHVuaXQgUlNBMCAXDTI2MTIwMjAxNDAxM1oYDzIx\n"
	"MjYxMTA4MDE0MDEzWjAXMRUwEwYDVQQDDAxUSVAgdW5pdCBSU0EwgZ8wDQYJKoZI\n"
	"hvcNAQEBBQADgY0AMIGJAoGBAOuzuvKSONBtB5Z4KdulWOSWwJGlH0A+X1NHZEX6\n"
	"uFa1gRD9UWvALp3VugEEH8NH64Dd+WlWCcWU3xiLxl9spekkG3jL97ZGgvcLxc95\n"
	"ruHOgSDOulV0BLnygeZVV3uobxziw9KWRJNYzrReC6iGaJW5dI2kbQ/maiJx1JpB\n"
	"v5LNAgMBAAGjUzBRMB0GA1UdDgQWBBSj4qW8oUH/jU1rb/5FOJNboL8GyDAfBgNV\n"
	"HSMEGDAWgBSj4qW8oUH/jU1rb/5FOJNboL8GyDAPBgNVHRMBAf8EBTADAQH/MA0G\n"
	"CSqGSIb3DQEBCwUAA4GBAAj8O4JvmhqeDAJKkYema4gNZ8B3b2aSNjshes+WjhwM\n"
	"0nOsLgQ/G933rbPr2mmi23yA6OK/yttO/UBTNP6eQJ2mKNHJ643i/IKkyo6nyJfr\n"
	"ANGw+ELRY9AavZyr6Z71haLVBQA43KMRpNMNGtiHlTj/o5+3T6hIEZqGhRgxp/XF\n"
	"-----END CERTIFICATE-----\n";
static const unsigned char der_unit[] = {
	0x30, 0x82, 0x01, 0x7e, 0x30, 0x82, 0x01, 0x23, 0xa0, 0x03, 0x02, 0x01,
	0x02, 0x02, 0x01, 0x07, 0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce,
	0x3d, 0x04, 0x03, 0x02, 0x30, 0x14, 0x31, 0x12, 0x30, 0x10, 0x06, 0x03,
	0x55, 0x04, 0x03, 0x0c, 0x09, 0x75, 0x6e, 0x69, 0x74, 0x2e, 0x74, 0x65,
	0x73, 0x74, 0x30, 0x1e, 0x17, 0x0d, 0x32, 0x36, 0x31, 0x32, 0x30, 0x32,
	0x30, 0x31, 0x34, 0x30, 0x32, 0x33, 0x5a, 0x17, 0x0d, 0x33, 0x36, 0x31,
	0x31, 0x32, 0x39, 0x30, 0x31, 0x34, 0x30, 0x32, 0x33, 0x5a, 0x30, 0x14,
	0x31, 0x12, 0x30, 0x10, 0x06, 0x03, 0x55, 0x04, 0x03, 0x0c, 0x09, 0x75,
	0x6e, 0x69, 0x74, 0x2e, 0x74, 0x65, 0x73, 0x74, 0x30, 0x59, 0x30, 0x13,
	0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a,
	0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00, 0x04, 0xd2,
	0xef, 0x55, 0xa2, 0x30, 0x28, 0xc9, 0x6f, 0xe8, 0x90, 0x8f, 0xcc, 0x5e,
	0xf5, 0xde, 0xe0, 0x27, 0x58, 0xfe, 0xd2, 0x53, 0xe4, 0x09, 0xbe, 0xcd,
	0xb8, 0x49, 0xeb, 0x8f, 0x05, 0x5b, 0x60, 0x0e, 0x64, 0xf1, 0x29, 0x81,
	0x40, 0x57, 0x47, 0xca, 0xc5, 0x87, 0x5c, 0x16, 0x1e, 0x0c, 0x3d, 0xb0,
	0x5f, 0xb3, 0x2e, 0xb9, 0xb1, 0x98, 0xa9, 0x03, 0xa4, 0x1c, 0x11, 0x0a,
	0xf2, 0xe4, 0xcb, 0xa3, 0x66, 0x30, 0x64, 0x30, 0x1d, 0x06, 0x03, 0x55,
	0x1d, 0x0e, 0x04, 0x16, 0x04, 0x14, 0xce, 0x4a, 0x8a, 0xdd, 0x86, 0x90,
	0x69, 0xe5, 0x4e, 0x73, 0x7f, 0xc0, 0x88, 0xe5, 0x40, 0xa7, 0x77, 0xbd,
	0x84, 0x9b, 0x30, 0x1f, 0x06, 0x03, 0x55, 0x1d, 0x23, 0x04, 0x18, 0x30,
	0x16, 0x80, 0x14, 0xce, 0x4a, 0x8a, 0xdd, 0x86, 0x90, 0x69, 0xe5, 0x4e,
	0x73, 0x7f, 0xc0, 0x88, 0xe5, 0x40, 0xa7, 0x77, 0xbd, 0x84, 0x9b, 0x30,
	0x14, 0x06, 0x03, 0x55, 0x1d, 0x11, 0x04, 0x0d, 0x30, 0x0b, 0x82, 0x09,
	0x75, 0x6e, 0x69, 0x74, 0x2e, 0x74, 0x65, 0x73, 0x74, 0x30, 0x0c, 0x06,
	0x03, 0x55, 0x1d, 0x13, 0x01, 0x01, 0xff, 0x04, 0x02, 0x30, 0x00, 0x30,
	0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02, 0x03,
	0x49, 0x00, 0x30, 0x46, 0x02, 0x21, 0x00, 0xbe, 0x84, 0x58, 0x30, 0x4e,
	0xc2, 0x4c, 0x1c, 0xdf, 0xf0, 0x3e, 0xdf, 0x48, 0x68, 0xee, 0x9c, 0x33,
	0x02, 0xbe, 0x37, 0xf4, 0xbc, 0xd0, 0xf8, 0xde, 0x12, 0x2a, 0x81, 0xd5,
	0x69, 0xde, 0x62, 0x02, 0x21, 0x00, 0x91, 0x77, 0xd8, 0xc9, 0x54, 0x39,
	0x27, 0x81, 0x36, 0xdc, 0x9e, 0xa3, 0x88, 0x83, 0x47, 0xae, 0x1e, 0x1c,
	0x8d, 0xca, 0x9b, 0xd7, 0xf3, 0x53, 0x48, 0xd2, 0xb4, 0x76, 0x05, 0x10,
	0xed, 0x3c,
};
static unsigned char priv_unit[] = {
	0x96, 0xa6, 0xab, 0x78, 0x22, 0xf5, 0x06, 0x39, 0x43, 0xf1, 0x7b, 0x76, 0xf6, 0xbf, 0xd6, 0x0c,
	0x17, 0x86, 0xc5, 0x8e, 0x40, 0xf4, 0xd5, 0x3e, 0x84, 0xff, 0xf6, 0x5d, 0xbd, 0x1c, 0xb3, 0x50
};

static char path[256];

static void write_file(const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int load(const char *text, struct tls_anchors *a, char *why, size_t cap)
{
	write_file(text);
	return tls_anchors_load(a, path, why, cap);
}

static int setup(void **state)
{
	snprintf(path, sizeof path, "%s/tip-test-tls.%d.pem", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp",
		 (int)getpid());
	clock_fake(0);
	return 0;
}

static int teardown(void **state)
{
	unlink(path);
	clock_fake(0);
	return 0;
}

static void test_tls_anchors_from_a_bundle(void **state)
{
	static char bundle[8192];
	snprintf(bundle, sizeof bundle,
		 "# a comment line\n%s\n-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMG\n-----END PRIVATE KEY-----\n%s%s",
		 pem_ca, pem_rsa, pem_unit);
	struct tls_anchors a;
	char why[256];
	assert_int_equal(load(bundle, &a, why, sizeof why), 3);
	const br_x509_trust_anchor *ta = a.ta;
	assert_int_equal(ta[0].pkey.key_type, BR_KEYTYPE_EC);
	assert_true(ta[0].flags & BR_X509_TA_CA);
	assert_int_equal(ta[1].pkey.key_type, BR_KEYTYPE_RSA);
	assert_int_equal(ta[2].pkey.key_type, BR_KEYTYPE_EC);
	assert_false(ta[2].flags & BR_X509_TA_CA);
	assert_int_equal(ta[2].pkey.key.ec.qlen, 65);
	assert_true(a.bytes > 0);
	tls_anchors_fini(&a);
	assert_int_equal(a.n, 0);
}

static void test_tls_anchors_refuse_broken_files(void **state)
{
	struct tls_anchors a;
	char why[256];
	/* no file */
	unlink(path);
	assert_int_equal(tls_anchors_load(&a, path, why, sizeof why), -1);
	assert_non_null(strstr(why, "cannot open"));
	/* empty, or only a key */
	assert_int_equal(load("", &a, why, sizeof why), -1);
	assert_non_null(strstr(why, "no usable certificate"));
	assert_int_equal(load("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", &a, why, sizeof why), -1);
	/* cut in the middle */
	static char cut[2048];
	memcpy(cut, pem_unit, 200);
	cut[200] = 0;
	assert_int_equal(load(cut, &a, why, sizeof why), -1);
	assert_non_null(strstr(why, "truncated"));
	/* a character outside base64 */
	static char bad[2048];
	snprintf(bad, sizeof bad, "%s", pem_unit);
	bad[40] = '*';
	assert_int_equal(load(bad, &a, why, sizeof why), -1);
	assert_non_null(strstr(why, "not base64"));
	/* valid base64, damaged DER: skipped, so nothing usable */
	snprintf(bad, sizeof bad, "%s", pem_unit);
	bad[40] = bad[40] == 'A' ? 'B' : 'A';
	bad[41] = bad[41] == 'A' ? 'B' : 'A';
	int n = load(bad, &a, why, sizeof why);
	if (n > 0)	/* a flip inside a field BearSSL does not check */
		tls_anchors_fini(&a);
	else
		assert_non_null(strstr(why, "no usable"));
	/* END without BEGIN */
	assert_int_equal(load("-----END CERTIFICATE-----\n", &a, why, sizeof why), -1);
}

/* ---- client and server over a socketpair ------------------------------------------------ */

struct server {
	br_ssl_server_context sc;
	unsigned char buf[BR_SSL_BUFSIZE_BIDI];
	br_x509_certificate chain;
	br_ec_private_key key;
};

static struct server *server_new(void)
{
	struct server *s = calloc(1, sizeof *s);
	s->chain.data = (unsigned char *)der_unit;
	s->chain.data_len = sizeof der_unit;
	s->key.curve = BR_EC_secp256r1;
	s->key.x = priv_unit;
	s->key.xlen = sizeof priv_unit;
	br_ssl_server_init_full_ec(&s->sc, &s->chain, 1, BR_KEYTYPE_EC, &s->key);
	br_ssl_engine_set_buffer(&s->sc.eng, s->buf, sizeof s->buf, 1);
	br_ssl_server_reset(&s->sc);
	return s;
}

/* Pump both ends until the client is ready or either side closes; 0 when ready. */
static int handshake(struct tls_conn *c, struct tls_conn *s)
{
	for (int i = 0; i < 1000; i++) {
		int a = tls_conn_pump(c), b = tls_conn_pump(s);
		if (a < 0 || b < 0)
			return -1;
		if (tls_conn_ready(c) && tls_conn_ready(s))
			return 0;
	}
	return -1;
}

static int pair[2];

static void open_pair(void)
{
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, pair), 0);
}

static void close_pair(void)
{
	close(pair[0]);
	close(pair[1]);
}

/* A fetch-like exchange with host name and anchors; the client's error after it. */
static int try_client(const char *host, const char *anchors_pem, int insecure, char *dates, size_t cap)
{
	struct tls_anchors a = {0};
	char why[256];
	if (anchors_pem)
		assert_true(load(anchors_pem, &a, why, sizeof why) > 0);
	struct tls_client *tc = tls_client_new(&a, host, insecure);
	assert_non_null(tc);
	struct server *srv = server_new();
	open_pair();
	struct tls_conn c, s;
	tls_conn_init(&c, tls_client_engine(tc), pair[0]);
	tls_conn_init(&s, &srv->sc.eng, pair[1]);
	int rc = handshake(&c, &s);
	int err = tls_conn_error(&c);
	if (rc == 0) {
		/* data both ways through the engines' buffers */
		assert_int_equal(tls_conn_send(&c, "ping", 4), 4);
		tls_conn_flush(&c);
		size_t n = 0;
		const unsigned char *p = NULL;
		for (int i = 0; i < 100 && !p; i++) {
			tls_conn_pump(&c);
			tls_conn_pump(&s);
			p = tls_conn_recv(&s, &n);
		}
		assert_non_null(p);
		assert_int_equal(n, 4);
		assert_memory_equal(p, "ping", 4);
		tls_conn_recv_ack(&s, n);
		assert_int_equal(tls_conn_send(&s, "pong!", 5), 5);
		tls_conn_flush(&s);
		p = NULL;
		for (int i = 0; i < 100 && !p; i++) {
			tls_conn_pump(&s);
			tls_conn_pump(&c);
			p = tls_conn_recv(&c, &n);
		}
		assert_non_null(p);
		assert_memory_equal(p, "pong!", 5);
		tls_conn_recv_ack(&c, n);
		assert_true(c.rx > 0 && c.tx > 0 && s.rx == c.tx);
		/* close_notify: the client sees a clean close (error 0) */
		tls_conn_close(&s);
		for (int i = 0; i < 100 && tls_conn_pump(&c) >= 0; i++)
			tls_conn_pump(&s);
		assert_int_equal(tls_conn_pump(&c), -1);
		assert_int_equal(tls_conn_error(&c), 0);
		assert_int_equal(tls_client_chain_len(tc), 1);
		err = 0;
	} else if (dates) {
		tls_client_cert_dates(tc, dates, cap);
	}
	close_pair();
	free(srv);
	tls_client_free(tc);
	tls_anchors_fini(&a);
	return err;
}

static void test_tls_handshake_and_data(void **state)
{
	clock_fake(1893456000LL * 1000000);	/* 2030-01-01 */
	assert_int_equal(try_client("unit.test", pem_unit, 0, NULL, 0), 0);
}

static void test_tls_refusals(void **state)
{
	char dates[96] = "";
	clock_fake(1893456000LL * 1000000);	/* 2030-01-01 */
	int e = try_client("other.test", pem_unit, 0, NULL, 0);
	assert_int_equal(e, BR_ERR_X509_BAD_SERVER_NAME);
	assert_int_equal(tls_err_class(e), TLS_ERR_CERT);
	assert_non_null(strstr(tls_err_str(e), "host name"));
	e = try_client("unit.test", pem_ca, 0, NULL, 0);
	assert_int_equal(e, BR_ERR_X509_NOT_TRUSTED);
	assert_non_null(strstr(tls_err_str(e), "unknown CA"));
	clock_fake(2208988800LL * 1000000);	/* 2040-01-01 */
	e = try_client("unit.test", pem_unit, 0, dates, sizeof dates);
	assert_int_equal(e, BR_ERR_X509_EXPIRED);
	assert_int_equal(tls_err_class(e), TLS_ERR_CERT_TIME);
	assert_string_equal(dates, "expired on 2036-11-29");
	clock_fake(1577836800LL * 1000000);	/* 2020-01-01 */
	e = try_client("unit.test", pem_unit, 0, dates, sizeof dates);
	assert_int_equal(e, BR_ERR_X509_EXPIRED);
	assert_string_equal(dates, "not valid before 2026-12-02");
	/* insecure: wrong name, no anchor, out of date: still talks */
	assert_int_equal(try_client("other.test", NULL, 1, NULL, 0), 0);
}

static void test_tls_peer_gone(void **state)
{
	struct tls_anchors a = {0};
	char why[256];
	assert_true(load(pem_unit, &a, why, sizeof why) > 0);
	struct tls_client *tc = tls_client_new(&a, "unit.test", 0);
	open_pair();
	struct tls_conn c;
	tls_conn_init(&c, tls_client_engine(tc), pair[0]);
	assert_int_equal(tls_conn_pump(&c), TLS_WANT_READ);	/* ClientHello out, waiting */
	close(pair[1]);
	assert_int_equal(tls_conn_pump(&c), -1);
	assert_true(c.peer_closed || c.sys_errno);
	assert_int_equal(tls_conn_error(&c), BR_ERR_IO);
	assert_false(tls_conn_ready(&c));
	close(pair[0]);
	tls_client_free(tc);
	tls_anchors_fini(&a);
}

/* BearSSL's codes by their names: each listed one has its own message,
 * the gaps and the rest say "TLS error". */
static void test_tls_error_texts(void **state)
{
	(void)state;
	assert_string_equal(tls_err_str(0), "no error");
	assert_string_equal(tls_err_str(BR_ERR_BAD_PARAM), "bad parameter");
	assert_string_equal(tls_err_str(BR_ERR_BAD_MAC), "bad record MAC");
	assert_string_equal(tls_err_str(BR_ERR_BAD_CCS), "bad ChangeCipherSpec");
	assert_string_equal(tls_err_str(BR_ERR_IO), "connection error or unexpected close");
	assert_string_equal(tls_err_str(BR_ERR_X509_INVALID_VALUE), "invalid value in a certificate");
	assert_string_equal(tls_err_str(BR_ERR_X509_EXPIRED), "certificate expired or not yet valid");
	assert_string_equal(tls_err_str(BR_ERR_X509_BAD_SERVER_NAME),
			    "certificate does not match the host name");
	assert_string_equal(tls_err_str(BR_ERR_X509_WEAK_PUBLIC_KEY), "weak public key");
	assert_string_equal(tls_err_str(BR_ERR_X509_NOT_TRUSTED), "unknown CA: certificate not trusted");
	assert_string_equal(tls_err_str(11), "TLS error");
	assert_string_equal(tls_err_str(61), "TLS error");
	assert_string_equal(tls_err_str(63), "TLS error");
	assert_string_equal(tls_err_str(-1), "TLS error");
	assert_string_equal(tls_err_str(BR_ERR_RECV_FATAL_ALERT + 40), "fatal alert from the server");
	assert_string_equal(tls_err_str(BR_ERR_SEND_FATAL_ALERT + 40), "fatal alert sent by us");
	unsigned listed = 0;
	for (int e = 1; e < 256; e++) {
		const char *m = tls_err_str(e);
		assert_true(strlen(m) >= 7);
		listed += strcmp(m, "TLS error") != 0;
	}
	assert_int_equal(listed, 56);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tls_error_texts),
		cmocka_unit_test_setup_teardown(test_tls_anchors_from_a_bundle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tls_anchors_refuse_broken_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tls_handshake_and_data, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tls_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tls_peer_gone, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

#else

static void test_tls_off_fails_cleanly(void **state)
{
	struct tls_anchors a;
	char why[64];
	assert_int_equal(tls_anchors_load(&a, "/etc/ssl/certs/ca-certificates.crt", why, sizeof why), -1);
	assert_null(tls_client_new(&a, "x", 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tls_off_fails_cleanly),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

#endif
