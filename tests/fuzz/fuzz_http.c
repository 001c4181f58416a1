/*
 * fuzz_http: the request head that `tip serve` reads from a browser, and
 * its query string (tools/http.c).  The head is parsed as the bytes come
 * (every prefix the first byte chooses, then the whole); a parsed target
 * is split, every parameter of its query decoded.
 */
#include <stdint.h>
#include <string.h>

#include "fuzz.h"
#include "http.h"

static const char *const keys[] = { "q", "name", "a", "since", "until", "sort", "order", "asc",
				    "desc", "min", "n", "page", "" };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_req r;

	if (size < 1)
		return 0;
	size_t cut = data[0] * size / 256;
	data++;
	size--;
	if (cut > size)
		cut = size;
	int rc = http_parse(&r, data, cut);
	if (rc == HTTP_ERROR)
		FUZZ_CHECK(r.status >= 400 && r.status < 600 && r.err_off <= cut);
	rc = http_parse(&r, data, size);
	if (rc == HTTP_ERROR) {
		/* the place is inside what was given (HTTP_HEAD_MAX: where a long head was cut) */
		FUZZ_CHECK(r.status >= 400 && r.status < 600 && r.err_off <= size);
		(void)http_reason(r.status);
		return 0;
	}
	if (rc != HTTP_DONE)
		return 0;
	FUZZ_CHECK(r.head_len <= size && r.target_len <= HTTP_LINE_MAX);
	FUZZ_CHECK(r.target[r.target_len] == 0);
	const char *path, *query;
	size_t pl, ql;
	http_split_target(r.target, r.target_len, &path, &pl, &query, &ql);
	FUZZ_CHECK(path >= r.target && path + pl <= r.target + r.target_len);
	char out[HTTP_LINE_MAX + 1];
	size_t off = SIZE_MAX;
	long n = http_pct_decode(out, sizeof out, path, pl, 0, &off);
	FUZZ_CHECK(n < (long)sizeof out);
	FUZZ_CHECK(n >= 0 || off < pl);
	if (query) {
		FUZZ_CHECK(query >= r.target && query + ql <= r.target + r.target_len);
		for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
			off = SIZE_MAX;
			int k = http_query_get(query, ql, keys[i], out, sizeof out, &off);
			if (k > 0)
				FUZZ_CHECK(memchr(out, 0, sizeof out) != NULL);
			if (k < 0)
				FUZZ_CHECK(off < ql);
		}
		char small[8];
		off = SIZE_MAX;
		if (http_query_get(query, ql, "q", small, sizeof small, &off) < 0)
			FUZZ_CHECK(off < ql);
		off = SIZE_MAX;
		if (http_pct_decode(small, sizeof small, query, ql, 1, &off) < 0)
			FUZZ_CHECK(off < ql);
	}
	return 0;
}
