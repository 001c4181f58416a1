/*
 * tipd: the daemon's context, one per process, owned by main.c.  Modules
 * reach the loop, the scheduler, the bus and the store through it.
 * Everything here runs on the loop thread only.
 */
#ifndef TIP_TIPD_H
#define TIP_TIPD_H

#include <stdint.h>

#include "bus.h"
#include "conf.h"
#include "module.h"
#include "rec.h"
#include "sched.h"

#define TIPD_MODULES_MAX 16

struct ev_loop;
struct writer;
struct ctl;

struct tipd {
	struct ev_loop *loop;
	struct conf conf;	/* the configuration in force */
	const char *conf_path;	/* NULL: built-in defaults */
	struct sched sched;
	struct bus bus;
	struct writer *writer;	/* NULL: no store (tests) */
	struct ctl *ctl;
	struct module mods[TIPD_MODULES_MAX];
	size_t nmods;
	int64_t started_us;	/* wall clock */
	uint64_t reloads, reload_errors, candidates_recorded;
};

/*
 * Hand a record to the store writer (copied).  0, or -1 when it was
 * dropped (the writer is behind or there is no store): the writer counts
 * and logs drops.
 */
int tipd_record(struct tipd *d, const struct rec *r);

/* Write a REC_EVENT of kind (enum rec_event_kind) with a formatted text. */
void tipd_event(struct tipd *d, int kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
