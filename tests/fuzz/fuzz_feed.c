/*
 * fuzz_feed: every feed parser family (store/feed.c) on arbitrary bytes.
 * The first byte picks the format and, for csv and json, a column or path;
 * the second the chunk size, so line and string boundaries fall anywhere.
 * libFuzzer entry point; build with clang -fsanitize=fuzzer,address.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "feed.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int sink(void *arg, const struct feed_entry *e)
{
	size_t *n = arg;
	/* touch what the parser hands out: a read past its end is caught */
	*n += e->len + (e->host ? e->host_len : 0) + (size_t)(e->value[e->len] == 0);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct feed_parser p;
	static const char *const cols[] = {"2", "dst_ip", "url", "1"};
	static const char *const paths[] = {"blacklist", "a", "whitelist", "x"};
	if (size < 2)
		return 0;
	struct feed_opts o = {
		.format = 1 + data[0] % FEED_TRAILS,
		.kind = (data[0] >> 4) % 5,
		.column = cols[(data[0] >> 6) & 3],
		.path = paths[(data[0] >> 6) & 3],
	};
	size_t chunk = 1 + data[1], n = 0;
	data += 2;
	size -= 2;
	if (feed_parser_init(&p, &o, sink, &n) < 0)
		return 0;
	for (size_t i = 0; i < size; i += chunk)
		if (feed_parser_feed(&p, data + i, i + chunk > size ? size - i : chunk) < 0)
			return 0;
	feed_parser_finish(&p);
	return 0;
}
