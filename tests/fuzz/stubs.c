/*
 * stubs.c: what sensor/main.c gives the modules (the daemon's record
 * sink), for targets that link module objects but run no daemon.  A call
 * means a target reached the daemon: a bug of the target.
 */
#include "fuzz.h"
#include "tip.h"
#include "tipd.h"

int tipd_record(struct tipd *d, const struct rec *r)
{
	abort();
}

void tipd_event(struct tipd *d, int kind, const char *fmt, ...)
{
	abort();
}

/* tools/main.c's usage message, which the command objects link against. */
int tip_usage(const char *cmd)
{
	abort();
}
