/*
 * spamarc: the daily-archives submodule of mod_spamtrap.  Each `archive
 * NAME { url ... }` section of the module names a spamtrap repository
 * whose URL carries a strftime(3) date template; after every blacklist
 * round (SCHED_EV_BLACKLIST_ROUND) the days not mined yet, at most
 * `catch-up` back, are fetched (sensor/fetch.h: HTTPS, gzip) as an mbox or
 * a tar of a maildir and mined message by message as the bytes arrive
 * (store/mail.h on a worker thread, so the loop never parses).  A
 * per-source cursor in state/ (read back from the store after a crash)
 * makes sure no message of a day is mined twice.
 *
 * The module owns the struct spamarc; mined messages go to the sink it
 * gives (the module's record, repeat and candidate logic).  Loop thread.
 */
#ifndef TIP_SPAMARC_H
#define TIP_SPAMARC_H

#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "mail.h"
#include "module.h"

struct spamarc;

/* Where a mined message goes: source is the archive's name, name "DAY/N". */
typedef void (*spamarc_sink_fn)(void *arg, const struct mail_msg *m, const char *source,
				const char *name, uint64_t bytes);

/* Check one `archive` section (conf_error style): 0 or -1. */
int spamarc_check(const struct conf *c, const struct conf_node *sec, char *err, size_t errlen);

/*
 * The archives of the module section m->sec (NULL and errno 0 when it has
 * none).  opts must outlive the result (the module's parse options).
 */
struct spamarc *spamarc_new(struct module *m, const struct mail_opts *opts, spamarc_sink_fn sink,
			    void *sink_arg);
/* Register its task and start its worker: 0 or -1. */
int spamarc_start(struct spamarc *a);
/* Cancel a round in flight (its cursor saved: what was mined stays mined), stop, free. */
void spamarc_free(struct spamarc *a);
void spamarc_stats(struct spamarc *a, module_emit_fn emit, void *ctx);

#endif
