/*
 * fuzz_passivedns: lines of passivedns's text log as `tip import` reads
 * them (tools/passivedns.c).  Observations are joined across lines; each
 * one given back must encode as a store frame and decode again.
 */
#include <string.h>

#include "fuzz.h"
#include "passivedns.h"
#include "rec.h"

static uint8_t frame[1 << 17];

static void roundtrip(const struct rec *r)
{
	struct rec d;
	const char *why;
	size_t fl;
	long n = rec_encode(frame, sizeof frame, r, 0);
	FUZZ_CHECK(n > 0);
	FUZZ_CHECK(rec_frame_check(frame, (size_t)n, &fl, &why) == 1);
	FUZZ_CHECK(rec_decode(frame, fl, 0, &d, &why) == 1);
	FUZZ_CHECK(d.type == r->type && d.ts_us == r->ts_us);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pdns *pd = pdns_new();
	const struct rec *out;
	FUZZ_CHECK(pd != NULL);
	const char *p = (const char *)data, *end = p + size;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		const char *why = NULL;
		size_t col = 0;
		int rc = pdns_feed(pd, p, len, &out, &why, &col);
		if (rc < 0)
			FUZZ_CHECK(why != NULL && col <= len + 1);
		else if (rc == 1)
			roundtrip(out);
		p += len + (nl != NULL);
	}
	if (pdns_flush(pd, &out) == 1)
		roundtrip(out);
	pdns_free(pd);
	return 0;
}
