/*
 * fuzz_feedset: a source's last list as found in state/feeds (store/
 * feedset.c), from a file that may be damaged or hostile, diffed against a
 * small new list as the blacklist module does after every fetch.  The
 * pairs' CRC is fixed from the input (a hostile file carries a right one),
 * so the diff's reading of entries is reached.  Checked: the diff ends,
 * listed changes come from the new list, delisted counts add up.
 */
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "crc32c.h"
#include "feedset.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t buf[1 << 16];
	static struct feedset_build b;
	char path[512];
	if (size < 1 || size > sizeof buf)
		return 0;
	memcpy(buf, data, size);
	/* byte 0: fix the CRC of the pairs (odd) or leave it */
	if ((buf[0] & 1) && size >= 32) {
		uint64_t po = (uint64_t)buf_le32(buf + 16) | (uint64_t)buf_le32(buf + 20) << 32;
		if (po <= size)
			buf_set_le32(buf + 24, crc32c(0, buf + po, size - po));
	}
	snprintf(path, sizeof path, "%s/src.set", fuzz_tmpdir());
	FUZZ_CHECK(fuzz_write_file(path, buf + 1, size - 1) == 0);
	struct feedset old;
	int r = feedset_open(&old, fuzz_tmpdir(), "src");
	FUZZ_CHECK(r == 1 || r == -1);
	FUZZ_CHECK(feedset_build_open(&b, fuzz_tmpdir(), "new") == 0);
	static const char *const v[] = {"a.example", "b.example", "192.0.2.1"};
	for (int i = 0; i < 3; i++)
		FUZZ_CHECK(feedset_build_add(&b, i == 2 ? 2 : 1, v[i], strlen(v[i]), NULL, 0) == 0);
	FUZZ_CHECK(feedset_build_seal(&b) == 0);
	struct feedset_diff d;
	struct feedset_change c;
	feedset_diff_init(&d, r == 1 ? &old : NULL, &b);
	uint64_t n = 0;
	int k;
	while ((k = feedset_diff_next(&d, &c)) == 1) {
		FUZZ_CHECK(c.kind >= 1 && c.kind <= 4 && c.len <= 4096);
		n++;
	}
	FUZZ_CHECK(k == 0 || k == -1);
	FUZZ_CHECK(n == d.added + d.removed && d.added <= 3);
	FUZZ_CHECK(n <= 3 + (r == 1 ? old.n : 0));
	if (r == 1)
		feedset_close(&old);
	feedset_build_abort(&b);
	return 0;
}
