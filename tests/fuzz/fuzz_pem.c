/*
 * fuzz_pem: a CA file (the `ca-file` of an HTTPS source) decoded into
 * trust anchors by sensor/tls.c: PEM framing and base64 here, then
 * BearSSL's X.509 decoder.  The input is the file.
 */
#include <stdio.h>
#include <string.h>

#include "fuzz.h"
#include "tls.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
#if ENABLE_TLS
	char path[512], why[256];
	snprintf(path, sizeof path, "%s/ca.pem", fuzz_tmpdir());
	FUZZ_CHECK(fuzz_write_file(path, data, size) == 0);
	struct tls_anchors a;
	why[0] = 0;
	int n = tls_anchors_load(&a, path, why, sizeof why);
	if (n < 0) {
		FUZZ_CHECK(why[0] != 0 && a.n == 0 && a.ta == NULL);
		return 0;
	}
	FUZZ_CHECK((size_t)n == a.n && n > 0 && a.bytes > 0);
	const br_x509_trust_anchor *ta = a.ta;
	for (size_t i = 0; i < a.n; i++) {
		FUZZ_CHECK(ta[i].pkey.key_type == BR_KEYTYPE_RSA || ta[i].pkey.key_type == BR_KEYTYPE_EC);
		if (ta[i].pkey.key_type == BR_KEYTYPE_EC)
			FUZZ_CHECK(ta[i].pkey.key.ec.qlen > 0);
		else
			FUZZ_CHECK(ta[i].pkey.key.rsa.nlen > 0 && ta[i].pkey.key.rsa.elen > 0);
	}
	tls_anchors_fini(&a);
#else
	(void)data;
	(void)size;
#endif
	return 0;
}
