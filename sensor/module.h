/*
 * module: the sensor's modules as a const table of operations.
 *
 * Each module is one file exporting one `const struct module_ops`; the
 * table in module.c lists them as `ENABLE_MODULE_X ? &x_ops : NULL`, so a
 * module left out by Kconfig is not linked at all.  The core calls, for
 * each module that is built in and enabled by the configuration:
 *
 *   check(c, sec)   any time, on a configuration not yet in force (tipd -n,
 *                   SIGHUP): validate the module's own keys; sec is its
 *                   `module NAME { }` section, or NULL.  No side effects.
 *   init(m)         at start, before privileges are dropped: allocate
 *                   m->priv, open files it needs as root.
 *   start(m)        register tasks with m->d->sched (module_apply_sched
 *                   reads the common keys), subscribe to m->d->bus.
 *   reload(m)       after a SIGHUP whose configuration checked: m->sec and
 *                   m->d->conf are the new ones.  Cancel what must change
 *                   (sched_cancel), set new timing, sched_reschedule.
 *                   Keep state (scores, caches): a reload loses nothing.
 *   stats(m, emit)  counters and queue lengths, for `tip status` and
 *                   SIGUSR1; one emit(ctx, key, value) per counter.
 *   stop(m)         at exit or when disabled: sched_del tasks, unsubscribe,
 *                   free m->priv.  Must not block.
 *
 * Common keys of every module section, handled here: enable, interval,
 * jitter, at, backoff-min, backoff-max.
 *
 * A module that consumes candidates (the fast-flux module) does, in
 * start():
 *     p->sub.name = "fastflux";
 *     p->sub.on_candidate = ff_on_candidate;  // copy into a bounded queue
 *     p->sub.arg = p;
 *     bus_subscribe(&m->d->bus, &p->sub);
 *     sched_task_init(&p->task, "fastflux", ff_run, p);
 *     sched_on(&p->task, SCHED_EV_CANDIDATES); // drain the queue in batches
 *     sched_add(&m->d->sched, &p->task);
 * and writes what it observes with tipd_record() (tipd.h).
 */
#ifndef TIP_MODULE_H
#define TIP_MODULE_H

#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "sched.h"

struct tipd;
struct module;

typedef void (*module_emit_fn)(void *ctx, const char *key, uint64_t value);

/* A counter of a struct for module_emit_fields: its offset and whether it is
 * 64 bits wide (else 32: unsigned, uint32_t, or size_t on a 32-bit target).
 * One 16-bit entry where a call per counter costs a dozen bytes of code. */
#define MODULE_FIELD(type, member)                                                   \
	(uint16_t)(offsetof(type, member) << 1 |                                        \
		   ((sizeof(((type *)0)->member) == 8) +                                  \
		    0 * sizeof(char[sizeof(((type *)0)->member) == 4 ||                   \
				    sizeof(((type *)0)->member) == 8 ? 1 : -1])))
/* emit(ctx, key, value) for the n counters fields[] of the struct at base,
 * their keys packed in names ("a\0b\0", in the same order).  Returns the
 * names past the last one used, for a following call. */
const char *module_emit_fields(module_emit_fn emit, void *ctx, const void *base,
			       const char *names, const uint16_t *fields, size_t n);

struct module_ops {
	const char *name;
	int default_on;		/* enabled when the configuration has no section for it */
	int (*check)(const struct conf *c, const struct conf_node *sec, char *err, size_t errlen);
	int (*init)(struct module *m);
	int (*start)(struct module *m);
	int (*reload)(struct module *m);
	void (*stats)(struct module *m, module_emit_fn emit, void *ctx);
	void (*stop)(struct module *m);
};

enum module_state {
	MODULE_OFF = 0,		/* disabled by configuration */
	MODULE_RUNNING,
	MODULE_FAILED,		/* init or start failed: see the log */
};

struct module {
	const struct module_ops *ops;
	struct tipd *d;
	const struct conf_node *sec;	/* its section in d->conf, or NULL */
	void *priv;
	int state;
	int trace;		/* log_trace id of the module's name */
};

/* The modules built in, NULL entries for those Kconfig left out. */
extern const struct module_ops *const module_table[];
extern const size_t module_table_len;

const struct module_ops *module_find(const char *name);
const char *module_state_name(int state);

/* 1 when the module is enabled by c (its `enable` key, or default_on). */
int module_enabled(const struct conf *c, const struct module_ops *ops);

/*
 * Check every `module` section of c: the module exists and is built in,
 * the common keys are valid, and the module's own check passes.
 */
int module_conf_check(const struct conf *c, char *err, size_t errlen);

/* 1 when key is one of the common keys (modules' checks skip them). */
int module_common_key(const char *key);

/*
 * Check the common keys of sec and, when t is not NULL, apply them to t:
 * interval (default def_interval_us; 0 = not periodic), jitter, at HH:MM
 * (UTC, daily unless interval says otherwise), backoff-min, backoff-max.
 */
int module_sched_conf(const struct conf *c, const struct conf_node *sec, struct sched_task *t,
		      int64_t def_interval_us, char *err, size_t errlen);

#endif
