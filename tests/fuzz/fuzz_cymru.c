/*
 * fuzz_cymru: the TXT answers of Team Cymru's IP-to-ASN service
 * (sensor/cymru.c).  The first byte picks the parser: origin, AS name or
 * a bulk whois line; the rest is the text.
 */
#include <string.h>

#include "cymru.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cymru_info ci;
	struct cymru_err err = {NULL, 0};
	int rc;

	if (size < 1)
		return 0;
	const char *s = (const char *)data + 1;
	size_t n = size - 1;
	switch (data[0] % 3) {
	case 0:
		rc = cymru_parse_origin(s, n, &ci, &err);
		break;
	case 1:
		rc = cymru_parse_asname(s, n, &ci, &err);
		break;
	default:
		rc = cymru_parse_bulk(s, n, &ci, &err);
		break;
	}
	if (rc < 0) {
		/* a reason, and a place inside the text (or just past a cut line) */
		FUZZ_CHECK(err.why != NULL);
		FUZZ_CHECK(err.off <= n && err.off <= CYMRU_LINE_MAX);
		return 0;
	}
	FUZZ_CHECK(ci.n_asn <= CYMRU_MAX_ASN && ci.n_asn <= ci.n_asn_seen);
	FUZZ_CHECK(ci.family == 0 || ci.family == 4 || ci.family == 6);
	FUZZ_CHECK(ci.prefix_len <= (ci.family == 6 ? 128 : 32));
	FUZZ_CHECK(memchr(ci.name, 0, sizeof ci.name) != NULL);
	FUZZ_CHECK(strlen(ci.name) == ci.name_len);
	FUZZ_CHECK(memchr(ci.registry, 0, sizeof ci.registry) != NULL);
	FUZZ_CHECK(strlen(ci.cc) <= 2);
	/* the query names built from what was parsed fit their buffers */
	char q[256];
	if (ci.n_asn > 0)
		FUZZ_CHECK(cymru_asname_qname(ci.asn[0], CYMRU_ZONE_ASN, q, sizeof q) > 0);
	if (ci.family == 6)
		cymru_origin6_qname(ci.prefix, CYMRU_ZONE_ORIGIN6, q, sizeof q);
	return 0;
}
