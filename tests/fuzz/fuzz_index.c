/*
 * fuzz_index: an index file (store/index.c, a cdb with TIP's meta record)
 * as rsync may bring it: opened, the keys a query asks for looked up and
 * their offsets walked, and matched against a small sealed segment.
 */
#include <string.h>

#include "fuzz.h"
#include "index.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[512];
	snprintf(path, sizeof path, "%s/ix.cdb", fuzz_tmpdir());
	FUZZ_CHECK(fuzz_write_file(path, data, size) == 0);

	struct index ix;
	if (index_open(&ix, path) < 0)
		return 0;
	static const char *const keys[] = {"example.com", "com", "192.0.2.1", "2001:db8::1",
					   "ns1.example.net", ""};
	for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
		uint8_t key[INDEX_KEY_MAX];
		static const uint8_t ip4[4] = {192, 0, 2, 1};
		size_t kl = keys[k][0] ? index_key_parse(key, keys[k]) : index_key_enrich(key, 4, ip4);
		if (!kl)
			continue;
		struct index_iter it;
		if (index_find(&ix, key, kl, &it) != 1)
			continue;
		uint64_t pos;
		for (int i = 0; i < 100000 && index_iter_next(&it, &pos) == 1; i++)
			;
	}
	/* the input's own first bytes as a key */
	struct index_iter it;
	if (size > 0 && index_find(&ix, data, size < 64 ? size : 64, &it) == 1) {
		uint64_t pos;
		for (int i = 0; i < 100000 && index_iter_next(&it, &pos) == 1; i++)
			;
	}
	index_matches(&ix, data, size);
	index_close(&ix);
	return 0;
}
