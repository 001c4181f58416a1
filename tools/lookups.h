/*
 * lookups: the lookup history of one name, failed lookups included: per
 * (question type, rcode, answered or not) the first and last time, the
 * count and the TTLs seen.  What `tip query domain` and the domain page
 * show beside the addresses, so a name that only ever failed (NXDOMAIN,
 * SERVFAIL, a timeout) is not "no observation".
 *
 * Ownership: struct lookups owns its rows; lookups_fini frees them.
 */
#ifndef TIP_LOOKUPS_H
#define TIP_LOOKUPS_H

#include <stddef.h>
#include <stdint.h>

#include "agg.h"

#define LOOKUPS_TTLS 8		/* distinct TTLs kept per row; more are counted */

struct lookup_row {
	uint16_t qtype;
	uint8_t rcode;
	uint8_t answered;	/* 1: the answer held records */
	int64_t first_us, last_us;
	uint64_t count;
	uint32_t ttls[LOOKUPS_TTLS];	/* ascending */
	unsigned n_ttls;
	unsigned ttls_over;	/* further distinct TTLs not kept */
};

struct lookups {
	struct lookup_row *v;	/* sorted by first seen */
	size_t n, alloc;
	uint64_t failed;	/* lookups with an rcode other than NOERROR */
};

/* The history of name (by the index).  0, or -1 on memory exhaustion. */
int lookups_collect(const struct store_set *set, const char *name, const struct agg_filter *f,
		    struct lookups *out, struct agg_faults *faults);
void lookups_fini(struct lookups *l);

/* "NOERROR", "NXDOMAIN", "SERVFAIL", "TIMEOUT", ... or "RCODE<n>" into buf. */
const char *lookups_rcode_name(uint8_t rcode, char buf[16]);

#endif
