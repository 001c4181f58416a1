/*
 * bus: carries candidate domains between modules.
 *
 * Producers (the watch list, `tip submit` through the control socket,
 * later the blacklist and spamtrap modules) publish a name; the bus checks
 * and normalises it once (lower case, no final dot, LDH labels of 1-63
 * bytes, at most 253 bytes) and hands it at once to every subscriber, in
 * the order they subscribed, then raises SCHED_EV_CANDIDATES on the
 * scheduler so batch consumers run.  The bus keeps no queue: a subscriber
 * that works later (the fast-flux module) copies what it wants into its
 * own bounded queue and reports that queue's length in its stats.
 *
 * A subscriber may publish from its callback; nesting is bounded
 * (BUS_MAX_DEPTH) and what goes deeper is dropped and counted.  The
 * candidate passed to a callback lives only during the call.
 */
#ifndef TIP_BUS_H
#define TIP_BUS_H

#include <stddef.h>
#include <stdint.h>

#include "list.h"

#define BUS_NAME_MAX 253
#define BUS_MAX_DEPTH 4

enum bus_source {
	BUS_SRC_OPERATOR = 1,	/* tip submit */
	BUS_SRC_WATCHLIST = 2,
	BUS_SRC_BLACKLIST = 3,
	BUS_SRC_SPAMTRAP = 4,
	BUS_SRC_PDNS = 5,
};

struct bus_cand {
	const char *name;	/* normalised, NUL-terminated */
	size_t len;
	int source;		/* enum bus_source */
	int64_t ts_us;		/* wall clock at publication */
};

struct bus_sub {
	const char *name;	/* for status and traces */
	void (*on_candidate)(struct bus_sub *sub, const struct bus_cand *c);
	void *arg;
	uint64_t delivered;
	struct link link;	/* on bus.subs */
};

struct sched;

struct bus {
	struct fifo subs;	/* of bus_sub, in the order they came */
	struct sched *sched;	/* optional: gets SCHED_EV_CANDIDATES */
	int depth;
	uint64_t published, invalid, dropped, announced;
};

void bus_init(struct bus *b, struct sched *s);
void bus_fini(struct bus *b);

/* Subscribe (sub is caller-allocated; it stays linked until unsubscribed). */
void bus_subscribe(struct bus *b, struct bus_sub *sub);
void bus_unsubscribe(struct bus *b, struct bus_sub *sub);

/*
 * Publish one name.  0 when delivered; -1 with errno EINVAL (not a
 * domain name: counted as invalid) or ELOOP (nested too deep: dropped).
 */
int bus_publish(struct bus *b, const char *name, size_t len, int source);

/*
 * Normalise a domain name into out[BUS_NAME_MAX + 1]: its length, or -1
 * when it is no hostname-like domain (underscores are allowed: service
 * labels appear in the wild; an all-digit last label is not: an IPv4
 * address is no domain).
 */
int bus_name_norm(const char *name, size_t len, char *out);

const char *bus_source_name(int source);

/*
 * Announce an event to every module listening for it: raised on the
 * scheduler as ev (SCHED_EV_*, sched.h), so tasks with sched_on(t, ev)
 * run.  SCHED_EV_BLACKLIST_ROUND: the blacklist module finished a round
 * (the spamtrap's archive fetcher runs after it).  Counted in announced.
 */
void bus_announce(struct bus *b, unsigned ev);

#endif
