/*
 * fuzz_asn_import: the ip2asn-style CSVs `tip asn import` reads
 * (tools/asn.c, asn_import_mem).  The first two bytes say where the ASN
 * CSV ends and the country CSV begins.  Whatever the lines, the table
 * built must open (store/asn_db.c) and answer lookups.
 */
#include <errno.h>
#include <string.h>

#include "asn_db.h"
#include "asn_import.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	size_t cut = ((size_t)data[0] << 8 | data[1]);
	data += 2;
	size -= 2;
	if (cut > size)
		cut = size;
	size_t len = 0;
	unsigned long bad = 0;
	uint8_t *t = asn_import_mem((const char *)data, cut, (const char *)data + cut, size - cut,
				    &len, &bad);
	if (!t) {
		FUZZ_CHECK(errno == ENOMEM || errno == EFBIG);
		return 0;
	}
	struct asn_db db;
	const char *why = NULL;
	if (asn_db_init_mem(&db, t, len, &why) < 0) {
		fprintf(stderr, "table built does not open: %s\n", why);
		abort();
	}
	struct asn_info ai;
	for (uint32_t ip = 0; ip < 8; ip++) {
		uint32_t a = ip * 0x20000001u;
		asn_db_lookup(&db, a, &ai);
		if (ai.asn)
			FUZZ_CHECK(ai.range_start <= a && a <= ai.range_end);
	}
	asn_db_close(&db);
	free(t);
	return 0;
}
