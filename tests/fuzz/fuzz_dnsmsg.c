/*
 * fuzz_dnsmsg: a DNS reply as the resolver receives it over UDP
 * (sensor/dnsmsg.c).  The first byte picks the arena's size, so replies
 * that overflow a small arena are tried as well as whole ones; the rest
 * is the packet.  Every record returned must lie inside the arena.
 */
#include <string.h>

#include "dnsmsg.h"
#include "dnstype.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct dnsmsg_rr rr[64];
	static char text[8192];
	struct dnsmsg_arena a;
	struct dnsmsg_reply r;
	const char *why = NULL;

	if (size < 1)
		return 0;
	unsigned rr_cap = 1 + (data[0] & 63);
	size_t text_cap = (data[0] & 0x80) ? 300 : sizeof text;
	dnsmsg_arena_init(&a, rr, rr_cap, text, text_cap);
	int rc = dnsmsg_parse(data + 1, size - 1, &a, &r, &why);
	if (rc < 0) {
		FUZZ_CHECK(why != NULL);
		return 0;
	}
	FUZZ_CHECK(r.n <= rr_cap);
	FUZZ_CHECK(a.text_used <= text_cap);
	FUZZ_CHECK(strlen(r.qname) < DNSMSG_TEXT_NAME_MAX);
	dnsmsg_question_is(&r, r.qname, r.qtype);
	for (unsigned i = 0; i < r.n; i++) {
		const struct dnsmsg_rr *x = &r.rr[i];
		if (x->type == DNS_TYPE_A)
			FUZZ_CHECK(x->len == 4);
		else if (x->type == DNS_TYPE_AAAA)
			FUZZ_CHECK(x->len == 16);
		else {
			FUZZ_CHECK(x->u.text >= text && x->u.text + x->len <= text + text_cap);
			if (x->type != DNS_TYPE_TXT && x->type != DNS_TYPE_NS &&
			    x->type != DNS_TYPE_PTR && x->type != DNS_TYPE_CNAME)
				continue;
			/* text types are NUL-terminated; names round-trip to the wire */
			FUZZ_CHECK(x->u.text[x->len] == 0);
		}
		{
			char tb[DNSTYPE_NAME_MAX];
			(void)dnstype_name(x->type, tb);
		}
	}
	/* the name codec on the same bytes */
	char name[DNSMSG_TEXT_NAME_MAX];
	if (dnsmsg_wire_to_text(data + 1, size - 1, name, sizeof name) >= 0) {
		uint8_t wire[DNSMSG_WIRE_NAME_MAX];
		dnsmsg_name_to_wire(name, wire, sizeof wire);
		uint8_t q[DNSMSG_QUERY_MAX];
		dnsmsg_query(q, sizeof q, 1, name, DNS_TYPE_A, 1, 1232);
	}
	return 0;
}
