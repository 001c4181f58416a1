/*
 * fuzz_feed: every feed parser family (store/feed.c) on arbitrary bytes,
 * as the blacklist module feeds them: in chunks as they arrive.  Byte 0
 * picks the format (low nibble), a kind filter and the csv column or json
 * member (high bits); byte 1 the chunk size, so line, quote, escape and
 * UTF-8 boundaries fall anywhere.  Checked: every entry's value is
 * NUL-terminated at its length and of the filtered kind, a URL has a
 * host, an address has a family; the counters add up; a stop has a reason.
 */
#include <string.h>

#include "feed.h"
#include "fuzz.h"

struct sink {
	int kind;
	uint64_t n;
};

static int sink(void *arg, const struct feed_entry *e)
{
	struct sink *s = arg;
	FUZZ_CHECK(e->kind >= FEED_K_DOMAIN && e->kind <= FEED_K_URL);
	FUZZ_CHECK(!s->kind || e->kind == s->kind);
	FUZZ_CHECK(e->len > 0 && e->len <= FEED_VALUE_MAX && strlen(e->value) == e->len);
	if (e->kind == FEED_K_URL)
		FUZZ_CHECK(e->host && e->host_len > 0 && strlen(e->host) == e->host_len);
	if (e->kind == FEED_K_IP || e->kind == FEED_K_CIDR)
		FUZZ_CHECK(e->family == 4 || e->family == 6);
	if (e->kind == FEED_K_DOMAIN)
		FUZZ_CHECK(e->len <= FEED_NAME_MAX && !memchr(e->value, '/', e->len));
	s->n++;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct feed_parser p;
	static const char *const cols[] = {"2", "dst_ip", "url", "1"};
	static const char *const paths[] = {"blacklist", "a", "whitelist", "x"};
	if (size < 2)
		return 0;
	struct sink s = {.kind = (data[0] >> 4) % 5};
	struct feed_opts o = {
		.format = 1 + (data[0] & 15) % FEED_TRAILS,
		.kind = s.kind,
		.column = cols[(data[0] >> 6) & 3],
		.path = paths[(data[0] >> 6) & 3],
	};
	size_t chunk = 1 + data[1];
	data += 2;
	size -= 2;
	FUZZ_CHECK(feed_parser_init(&p, &o, sink, &s) == 0);
	int rc = 0;
	for (size_t i = 0; i < size && rc == 0; i += chunk)
		rc = feed_parser_feed(&p, data + i, i + chunk > size ? size - i : chunk);
	if (rc == 0)
		rc = feed_parser_finish(&p);
	if (rc < 0)
		FUZZ_CHECK(p.error != NULL);
	FUZZ_CHECK(p.entries == s.n);
	FUZZ_CHECK(p.bytes == size || rc < 0);
	return 0;
}
