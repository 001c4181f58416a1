/*
 * fuzz_seg: a segment file (store/seg.c) as rsync may bring it: opened,
 * read to the end with resyncs past every fault, and read again at
 * offsets as an index would give them.  The CRCs are set from the input
 * first (fuzz_fix_seg) so the fuzzer reaches the frames.
 */
#include <string.h>

#include "buf.h"
#include "fuzz.h"
#include "seg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[512];
	uint8_t *p = malloc(size ? size : 1);
	FUZZ_CHECK(p != NULL);
	memcpy(p, data, size);
	fuzz_fix_seg(p, size);
	snprintf(path, sizeof path, "%s/seg.tlog", fuzz_tmpdir());
	FUZZ_CHECK(fuzz_write_file(path, p, size) == 0);
	free(p);

	struct seg_reader r;
	if (seg_reader_open(&r, path) < 0)
		return 0;
	struct rec rec;
	uint64_t pos, last = 0;
	uint64_t seen[8];
	unsigned n_seen = 0, rounds = 0;
	for (;;) {
		int c = seg_reader_next(&r, &rec, &pos);
		if (c == 1) {
			FUZZ_CHECK(pos >= SEG_HDR_SIZE && pos < size && (pos >= last || !last));
			last = pos;
			if (n_seen < 8)
				seen[n_seen++] = pos;
			continue;
		}
		if (c == 0)
			break;
		FUZZ_CHECK(r.fault != NULL && r.fault_off <= size);
		if (++rounds > 10000 || seg_reader_resync(&r) != 1)
			break;
	}
	for (unsigned i = 0; i < n_seen; i++)
		FUZZ_CHECK(seg_reader_at(&r, seen[i], &rec) == 1);
	/* offsets from the input, as a damaged index would give them */
	struct buf_rd b;
	buf_rd_init(&b, data, size);
	for (int i = 0; i < 4 && buf_left(&b) >= 4; i++)
		seg_reader_at(&r, buf_get_le32(&b) % (size + 16), &rec);
	seg_reader_close(&r);
	return 0;
}
