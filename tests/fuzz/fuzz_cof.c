/*
 * fuzz_cof: lines of a Common Output Format file (passive DNS as JSON
 * lines) as `tip import` reads them (tools/cof.c).  Every record a line
 * gives must encode as a store frame and decode again.
 */
#include <string.h>

#include "cof.h"
#include "fuzz.h"
#include "rec.h"

static struct cof *cof;
static uint8_t frame[1 << 17];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	cof = cof_new();
	FUZZ_CHECK(cof != NULL);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		const char *why = NULL;
		size_t col = 0;
		int rc = cof_parse_line(cof, p, len, &why, &col);
		if (rc < 0) {
			FUZZ_CHECK(why != NULL && col <= len + 1);
		} else if (rc == 1) {
			struct rec r;
			long n = rec_encode(frame, sizeof frame, &cof->rec, 0);
			FUZZ_CHECK(n > 0);
			size_t fl;
			FUZZ_CHECK(rec_frame_check(frame, (size_t)n, &fl, &why) == 1);
			FUZZ_CHECK(rec_decode(frame, fl, 0, &r, &why) == 1);
			FUZZ_CHECK(r.type == cof->rec.type && r.ts_us == cof->rec.ts_us);
		}
		p += len + (nl != NULL);
	}
	char name[512];
	size_t nl = 0;
	cof_name_norm(name, &nl, (const char *)data, size < 300 ? size : 300);
	return 0;
}
