/*
 * fastflux: the fast-flux module's view of one domain, for tests and for
 * tools that ask a running sensor (the module itself is mod_fastflux.c,
 * exported as mod_fastflux_ops through the module table).
 *
 * A domain goes NEW (waiting for its first lookup) -> WINDOW (looked up
 * at each TTL expiry until the classification window is full) -> FLUX or
 * BENIGN.  FLUX domains stay watched at their TTL; BENIGN ones back off;
 * a BENIGN domain whose running totals cross the threshold becomes FLUX.
 * Any domain with no A answer for `expire` is dropped.
 */
#ifndef TIP_FASTFLUX_H
#define TIP_FASTFLUX_H

#include <stddef.h>
#include <stdint.h>

#include "flux_score.h"

struct module;

enum fastflux_state {
	FASTFLUX_NEW = 0,
	FASTFLUX_WINDOW,
	FASTFLUX_FLUX,
	FASTFLUX_BENIGN,
	FASTFLUX__STATES
};

struct fastflux_info {
	int state;			/* enum fastflux_state */
	uint32_t lookups;		/* A lookups completed, any outcome */
	uint32_t answers;		/* of which with A records */
	struct flux_verdict v;		/* running totals since first seen */
	int window_closed;		/* 1: the window's verdict below is final */
	struct flux_verdict w;		/* the classification window's verdict */
	int64_t first_us;		/* wall: first lookup (0: none yet) */
	int64_t last_us;		/* wall: last answer with A records (0: none) */
	int64_t due_in_us;		/* until the next lookup; -1 while one is in flight */
	uint32_t ttl;			/* of the last A answer */
	unsigned asn_pending;		/* addresses waiting for their origin ASN */
	unsigned backoff;		/* BENIGN: doublings of the re-lookup interval */
	unsigned errors;		/* consecutive failed lookups */
	double fluxiness;		/* flux_sets_fluxiness of the running totals */
};

/*
 * What the module m (running mod_fastflux_ops) knows of name (normalised:
 * lower case, no final dot): 1 and *out filled, 0 when it does not watch
 * the name.  Loop thread only.
 */
int fastflux_domain(const struct module *m, const char *name, struct fastflux_info *out);

#endif
