/*
 * fuzz_json: the JSON parser under COF import and the exports' readers
 * (tools/json.c).  The first byte picks the value budget and depth, so
 * the limits are hit as well as passed; the document is walked whole.
 */
#include <string.h>

#include "fuzz.h"
#include "json.h"

static unsigned walk(const struct json_doc *d, const struct json_val *v, unsigned depth)
{
	unsigned n = 1;
	FUZZ_CHECK(depth <= 64);
	int64_t i;
	double x;
	json_int64(v, &i);
	json_double(v, &x);
	for (const struct json_val *c = json_first(d, v); c; c = json_next(d, c))
		n += walk(d, c, depth + 1);
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct json_val vals[4096];
	static char str[1 << 16];
	struct json_doc d;

	if (size < 1)
		return 0;
	uint32_t max_vals = (data[0] & 0x80) ? 16 : sizeof vals / sizeof vals[0];
	unsigned depth = 1 + (data[0] & 31);
	json_doc_init(&d, vals, max_vals, str, (data[0] & 0x40) ? 64 : sizeof str, depth);
	const char *text = (const char *)data + 1;
	if (json_parse(&d, text, size - 1) < 0) {
		FUZZ_CHECK(d.err != NULL);
		FUZZ_CHECK(d.err_col <= size);
		return 0;
	}
	const struct json_val *root = json_root(&d);
	FUZZ_CHECK(root != NULL);
	FUZZ_CHECK(walk(&d, root, 0) <= max_vals);
	json_get(&d, root, "rrname");
	json_utf8_valid(text, size - 1);
	char esc[512];
	size_t k = json_escape(esc, sizeof esc, text, size - 1 < 64 ? size - 1 : 64);
	FUZZ_CHECK(k < sizeof esc);
	return 0;
}
