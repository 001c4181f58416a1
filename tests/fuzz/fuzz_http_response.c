/*
 * fuzz_http_response: what an HTTP server sends the fetch client
 * (sensor/httpc.c): the response head, a Location resolved against the
 * request's URL, and a chunked body decoded in pieces.  The first byte
 * picks the piece size (1..64) and whether the URL is https; the rest is
 * the response as it comes off the connection.
 */
#include <string.h>

#include "fuzz.h"
#include "httpc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	size_t step = (size_t)(data[0] & 63) + 1;
	int https = data[0] >> 7;
	const uint8_t *p = data + 1;
	size_t n = size - 1;
	const char *why = NULL;

	size_t hl = httpc_head_end(p, n < HTTPC_HEAD_MAX ? n : HTTPC_HEAD_MAX);
	if (!hl)
		return 0;
	FUZZ_CHECK(hl <= n);
	struct httpc_resp r;
	if (httpc_resp_parse(&r, p, hl, 0, &why) < 0) {
		FUZZ_CHECK(why != NULL);
		return 0;
	}
	FUZZ_CHECK(r.status >= 100 && r.status <= 599);
	FUZZ_CHECK(memchr(r.etag, 0, sizeof r.etag) && memchr(r.last_modified, 0, sizeof r.last_modified));
	FUZZ_CHECK(memchr(r.location, 0, sizeof r.location) && memchr(r.reason, 0, sizeof r.reason));
	for (const char *c = r.etag; *c; c++)
		FUZZ_CHECK(*c >= 0x20 && *c < 0x7f);	/* safe to send back in a header */

	if (r.has_location) {
		struct httpc_url base, next;
		const char *u = https ? "https://feeds.example/dir/list.txt?x=1" : "http://[::1]:8080/a/b";
		FUZZ_CHECK(httpc_url_parse(&base, u, strlen(u), &why) == 0);
		if (httpc_url_resolve(&next, &base, r.location, strlen(r.location), &why) == 0) {
			FUZZ_CHECK(next.host[0] && next.path[0] == '/' && next.port > 0);
			for (const char *c = next.path; *c; c++)
				FUZZ_CHECK(*c > 0x20 && *c < 0x7f);	/* goes into the request line */
			char buf[HTTPC_HOST_MAX + HTTPC_PATH_MAX + 32];
			int k = httpc_url_format(&next, buf, sizeof buf);
			FUZZ_CHECK(k > 0);
			struct httpc_url again;
			FUZZ_CHECK(httpc_url_parse(&again, buf, (size_t)k, &why) == 0);
			FUZZ_CHECK(!strcmp(again.host, next.host) && !strcmp(again.path, next.path) &&
				   again.port == next.port && again.https == next.https);
		} else {
			FUZZ_CHECK(why != NULL);
		}
	}

	if (r.framing != HTTPC_BODY_CHUNKED)
		return 0;
	struct httpc_chunked ch;
	httpc_chunked_init(&ch);
	uint8_t piece[64];
	size_t off = hl;
	while (off < n && !ch.done) {
		size_t k = n - off < step ? n - off : step;
		memcpy(piece, p + off, k);
		size_t out = 0;
		long used = httpc_chunked_decode(&ch, piece, k, &out, &why);
		if (used < 0) {
			FUZZ_CHECK(why != NULL);
			return 0;
		}
		FUZZ_CHECK((size_t)used <= k && out <= (size_t)used);
		FUZZ_CHECK((size_t)used == k || ch.done);
		off += (size_t)used;
	}
	return 0;
}
