/*
 * fuzz_rec: one record frame as a segment holds it (store/rec.c).  The
 * first 8 bytes are the segment's base time, the rest the frame.  A frame
 * that decodes is encoded again and must decode to the same record.
 * The frame's CRC (its first four bytes) is rewritten first, so the
 * fuzzer reaches the decoder; the CRC check itself is the unit tests'.
 */
#include <string.h>

#include "buf.h"
#include "fuzz.h"
#include "rec.h"

static void rec_one(const uint8_t *data, size_t size, int64_t base_us, uint8_t *out, size_t cap);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[1 << 17];

	if (size < 8)
		return 0;
	struct buf_rd b;
	buf_rd_init(&b, data, 8);
	int64_t base_us = (int64_t)buf_get_le64(&b);
	uint8_t *f = malloc(size - 8 ? size - 8 : 1);
	FUZZ_CHECK(f != NULL);
	memcpy(f, data + 8, size - 8);
	size -= 8;
	fuzz_fix_frames(f, size);
	rec_one(f, size, base_us, out, sizeof out);
	free(f);
	return 0;
}

static void rec_one(const uint8_t *data, size_t size, int64_t base_us, uint8_t *out, size_t cap)
{
	struct rec r, r2;
	size_t flen = 0;
	const char *why = NULL;

	if (rec_frame_check(data, size, &flen, &why) <= 0)
		return;
	FUZZ_CHECK(flen <= size);
	if (rec_decode(data, flen, base_us, &r, &why) < 0) {
		FUZZ_CHECK(why != NULL);
		return;
	}
	(void)rec_type_name(r.type);
	if (r.type == REC_DNS) {
		size_t off = 0, len;
		const char *name;
		while (rec_dns_name_next(&r.u.dns, &off, &name, &len) == 1)
			FUZZ_CHECK(len <= REC_NAME_MAX);
	}
	long n = rec_encode(out, cap, &r, base_us);
	if (n < 0)
		return;	/* a record the encoder refuses (e.g. a raw unknown type) */
	size_t flen2 = 0;
	FUZZ_CHECK(rec_frame_check(out, (size_t)n, &flen2, &why) == 1 && flen2 == (size_t)n);
	FUZZ_CHECK(rec_decode(out, flen2, base_us, &r2, &why) == 1);
	FUZZ_CHECK(r2.type == r.type && r2.ts_us == r.ts_us);
}
