/*
 * fuzz_asn_db: the binary IPv4 -> ASN table tipd and tip map (store/asn_db.c,
 * format in asn_db.h), from the input's bytes: a table that opens is looked
 * up at addresses the input gives and at the edges of its ranges.  The
 * file size and both CRCs in the header are set from the input first, so
 * the fuzzer gets past them to the sections.
 */
#include "crc32c.h"
#include <string.h>

#include "asn_db.h"
#include "buf.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct asn_db db;
	const char *why = NULL;
	/* an aligned copy, as a map would be */
	uint8_t *p = malloc(size ? size : 1);
	FUZZ_CHECK(p != NULL);
	memcpy(p, data, size);
	if (size >= ASN_DB_HDR_SIZE) {
		buf_set_le32(p + ASN_H_FILE_SIZE, (uint32_t)size);
		buf_set_le32(p + ASN_H_CRC_DATA,
			     crc32c(0, p + ASN_DB_HDR_SIZE, size - ASN_DB_HDR_SIZE));
		buf_set_le32(p + ASN_H_CRC_HDR, crc32c(0, p, ASN_H_CRC_HDR));
	}
	if (asn_db_init_mem(&db, p, size, &why) < 0) {
		FUZZ_CHECK(why != NULL);
		free(p);
		return 0;
	}
	struct buf_rd b;
	struct asn_info ai;
	buf_rd_init(&b, data, size);
	static const uint32_t fixed[] = {0, 1, 0x7f000001, 0x80000000, 0xfffffffe, 0xffffffff};
	for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) {
		asn_db_lookup(&db, fixed[i], &ai);
		FUZZ_CHECK(ai.as_name != NULL && strlen(ai.cc) <= 2);
		if (ai.asn)
			FUZZ_CHECK(ai.range_start <= fixed[i] && fixed[i] <= ai.range_end);
	}
	for (int i = 0; i < 16 && buf_left(&b) >= 4; i++) {
		uint32_t ip = buf_get_le32(&b);
		asn_db_lookup(&db, ip, &ai);
		FUZZ_CHECK(ai.as_name != NULL);
		if (ai.asn) {
			FUZZ_CHECK(ai.range_start <= ip && ip <= ai.range_end);
			asn_db_name(&db, ai.asn);
		}
	}
	asn_db_close(&db);
	free(p);
	return 0;
}
