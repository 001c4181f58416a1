/*
 * fuzz_ptr: PTR names from reverse lookups, as the fast-flux module reads
 * them (sensor/enrich.c, enrich_ptr_dynamic).  Input: 4 bytes of
 * the address asked about, a mode byte, then either the name itself or a
 * whole DNS reply whose PTR records are each looked at.
 */
#include <string.h>

#include "buf.h"
#include "dnsmsg.h"
#include "enrich.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct dnsmsg_rr rr[32];
	static char text[4096];

	if (size < 5)
		return 0;
	struct buf_rd b;
	buf_rd_init(&b, data, 4);
	uint32_t ip = buf_get_be32(&b);
	int mode = data[4] & 1;
	data += 5;
	size -= 5;
	if (mode == 0) {
		int d = enrich_ptr_dynamic((const char *)data, size, ip);
		FUZZ_CHECK(d == 0 || d == 1);
		return 0;
	}
	struct dnsmsg_arena a;
	struct dnsmsg_reply r;
	const char *why;
	dnsmsg_arena_init(&a, rr, 32, text, sizeof text);
	if (dnsmsg_parse(data, size, &a, &r, &why) < 0)
		return 0;
	for (unsigned i = 0; i < r.n; i++)
		if (r.rr[i].type == DNS_TYPE_PTR)
			enrich_ptr_dynamic(r.rr[i].u.text, r.rr[i].len, ip);
	return 0;
}
