/*
 * fuzz_tar: the streaming ustar reader (store/tar.c) on arbitrary bytes,
 * fed in pieces whose sizes the first byte picks, so headers and data
 * split at every offset.  Checked: data slices lie inside the bytes fed
 * and never exceed the entry's size, names are NUL-free and bounded,
 * every event sequence is well formed (data only inside an entry), and an
 * error is sticky and says why.
 * libFuzzer entry point; build with clang -fsanitize=fuzzer,address.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz.h"
#include "tar.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tar_rd t;
	if (size < 1)
		return 0;
	size_t piece = (size_t)data[0] * 7 + 1;
	data++;
	size--;
	tar_init(&t);
	int in_entry = 0, ended = 0, err = 0;
	uint64_t got = 0;
	size_t at = 0;
	while (at < size && !err) {
		size_t k = size - at < piece ? size - at : piece;
		const uint8_t *p = data + at, *end = data + at + k;
		size_t n = k;
		for (;;) {
			int ev = tar_step(&t, &p, &n);
			FUZZ_CHECK(p <= end && p + n == end);
			if (ev == TAR_NEED) {
				FUZZ_CHECK(n == 0);
				break;
			}
			if (ev == TAR_ERR) {
				FUZZ_CHECK(t.err[0]);
				FUZZ_CHECK(tar_step(&t, &p, &n) == TAR_ERR);
				err = 1;
				break;
			}
			FUZZ_CHECK(!ended);
			if (ev == TAR_ENTRY) {
				FUZZ_CHECK(!in_entry);
				FUZZ_CHECK(strlen(t.name) <= TAR_NAME_MAX);
				FUZZ_CHECK(t.size <= TAR_SIZE_MAX);
				in_entry = 1;
				got = 0;
			} else if (ev == TAR_DATA) {
				FUZZ_CHECK(in_entry && t.len);
				FUZZ_CHECK(t.data >= data && t.data + t.len <= end);
				got += t.len;
				FUZZ_CHECK(got <= t.size);
			} else if (ev == TAR_ENTRY_END) {
				FUZZ_CHECK(in_entry && got == t.size);
				in_entry = 0;
			} else if (ev == TAR_END) {
				FUZZ_CHECK(!in_entry);
				ended = 1;
			} else {
				FUZZ_CHECK(0);
			}
		}
		at += k;
	}
	int fin = tar_finish(&t);
	if (err)
		FUZZ_CHECK(fin < 0);
	if (fin < 0)
		FUZZ_CHECK(t.err[0]);
	if (in_entry && !err)
		FUZZ_CHECK(fin < 0);
	return 0;
}
