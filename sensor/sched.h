/*
 * sched: the hierarchical scheduler at the core of tipd.
 *
 * A task is a unit of work a module registers: caller-allocated, usually
 * embedded in the module's state.  First-level tasks (sched_add) run
 *   - at a precise time: once at an absolute wall time (sched_at), or
 *     periodically with jitter (sched_every);
 *   - on events: SCHED_EV_CANDIDATES (the bus got candidates),
 *     SCHED_EV_RELOAD (configuration re-read), or when another task
 *     finished successfully (sched_after);
 *   - on demand (sched_trigger).
 * A task may have children (sched_add_child: one per source, say).  When
 * the parent's own run succeeds, every child not backing off is started:
 * that is a round.  A finished child notifies its parent; when all the
 * children of the round are done, the parent is done and the core
 * reschedules it.  A child that fails backs off and retries on its own
 * timer; it never holds up a round or its siblings.
 *
 * Runs: run() returns SCHED_OK or SCHED_FAIL when the work is finished,
 * or SCHED_ASYNC when it goes on in the event loop; then the owner calls
 * sched_done() exactly once, unless the run is cancelled first
 * (sched_cancel calls the task's cancel(), after which the owner must not
 * call sched_done; a late call is ignored and counted).  sched_done may
 * be called from inside run(); it takes effect when run() returns.
 * A task never runs twice at once: events that arrive while it runs are
 * remembered and run it once more when it is done.
 *
 * Failures back off exponentially: backoff_min << (failures - 1), at most
 * backoff_max.  A success resets the count; a periodic task then goes
 * back to its grid: the first slot start + k*period after now.
 *
 * Time comes from clock_mono_us() (store/clock.h), so tests drive the
 * scheduler with clock_fake/clock_advance and sched_run, without libev.
 * Nothing here blocks, allocates per run, or calls run() outside
 * sched_run(): adding, triggering and cancelling only queue.
 */
#ifndef TIP_SCHED_H
#define TIP_SCHED_H

#include <stddef.h>
#include <stdint.h>

#include "cdefs.h"
#include "heap.h"
#include "list.h"

enum sched_result {
	SCHED_FAIL = -1,
	SCHED_OK = 0,
	SCHED_ASYNC = 1,
};

enum sched_state {
	SCHED_IDLE = 0,		/* nothing planned: waits for an event or a trigger */
	SCHED_QUEUED,		/* due at due_us (a time, or a retry after failure) */
	SCHED_RUNNING,		/* run() called, not done yet */
	SCHED_CHILDREN,		/* own run done, waiting for the round's children */
};

/* Events (a mask in sched_task.events). */
#define SCHED_EV_CANDIDATES 0x1u
#define SCHED_EV_RELOAD 0x2u
#define SCHED_EV_BLACKLIST_ROUND 0x4u	/* the blacklist module finished a round (bus_announce) */

#define SCHED_BACKOFF_MIN_US (10 * 1000000LL)
#define SCHED_BACKOFF_MAX_US (3600 * 1000000LL)

struct sched;

struct sched_task {
	/* Set by the owner (sched_task_init and the setters below). */
	const char *name;
	int (*run)(struct sched_task *t);		/* enum sched_result; NULL: just a parent */
	void (*cancel)(struct sched_task *t);		/* abort an ASYNC run; may be NULL */
	void (*on_child)(struct sched_task *parent, struct sched_task *child, int ok);
	void *arg;
	int64_t period_us;	/* > 0: periodic */
	int64_t jitter_us;	/* periodic: each run in [slot - jitter, slot + jitter] */
	int64_t at_wall_us;	/* > 0: once at this wall time */
	unsigned events;	/* SCHED_EV_* that trigger it (first level only) */
	struct sched_task *after;	/* run when this task finished well */
	int64_t backoff_min_us, backoff_max_us;

	/* Kept by the scheduler; read-only to others. */
	struct sched *s;
	struct sched_task *parent;
	struct dlink link;	/* in the parent's children or the first-level tasks */
	struct dlist children;	/* in the order they were added */
	unsigned dependents;	/* registered tasks whose `after` is this one */
	int state;		/* enum sched_state */
	int64_t due_us;		/* QUEUED: when (monotonic) */
	int64_t slot_us;	/* periodic grid: the slot of the next or current run */
	uint64_t seq;		/* ties between equal due times: first queued first */
	uint32_t heap_i;
	int64_t last_start_us, last_end_us;	/* monotonic, 0: never */
	int last_ok;		/* outcome of the last run: 1 ok, 0 failed */
	uint32_t failures;	/* consecutive */
	uint64_t runs, fails, skipped, cancelled, late;
	unsigned round_pending;	/* children of the current round not done */
	unsigned round_failed;
	uint8_t in_round;	/* child: counted in its parent's round */
	uint8_t pending_event;	/* an event came while it ran */
	uint8_t in_run, done_in_run, done_ok;
};

struct sched {
	struct heap heap;	/* of struct sched_task, by (due_us, seq) */
	size_t registered;	/* tasks and children: the heap has room for all */
	struct dlist tasks;	/* first-level tasks, in the order they were added */
	uint64_t seq;
	uint64_t rng;
	uint64_t dispatched;
	unsigned max_per_run;	/* runs per sched_run call before yielding [1024] */
};

void sched_init(struct sched *s);
/* Cancel every task and free the queue (the tasks belong to their owners). */
void sched_fini(struct sched *s);
/* Seed the jitter generator (tests; the daemon seeds from the clock and pid). */
void sched_seed(struct sched *s, uint64_t seed);

void sched_task_init(struct sched_task *t, const char *name, int (*run)(struct sched_task *),
		     void *arg);

/* Timing.  Set before sched_add, or later followed by sched_reschedule. */
void sched_every(struct sched_task *t, int64_t period_us, int64_t jitter_us);
void sched_at(struct sched_task *t, int64_t wall_us);
void sched_on(struct sched_task *t, unsigned events);
void sched_after(struct sched_task *t, struct sched_task *other);
void sched_backoff(struct sched_task *t, int64_t min_us, int64_t max_us);

/*
 * Register a first-level task and plan its first run: a periodic one at
 * now + [0, jitter], an absolute one at its time; otherwise it waits for
 * events.  0, or -1 (EINVAL: already registered; ENOMEM).
 */
int sched_add(struct sched *s, struct sched_task *t);
/* Register a child of parent (after the parent was added).  0 or -1. */
int sched_add_child(struct sched_task *parent, struct sched_task *child);
/* Cancel t and its children and unregister them all. */
void sched_del(struct sched_task *t);

/*
 * Cancel what t (and its children) has queued or running: the task's
 * cancel() is called for a running ASYNC run, and the task becomes idle
 * (still registered).  A parent waiting for a cancelled child is no longer
 * held up by it.
 */
void sched_cancel(struct sched_task *t);
/* Plan t again from its timing (after a reload changed it). */
void sched_reschedule(struct sched_task *t);
/* Run t as soon as possible (not when it is backing off). */
void sched_trigger(struct sched_task *t);
/* Trigger every first-level task listening to ev. */
void sched_event(struct sched *s, unsigned ev);
/* Finish an ASYNC run: ok 1 or 0. */
void sched_done(struct sched_task *t, int ok);

/* Run what is due at clock_mono_us().  Returns the number of runs started. */
unsigned sched_run(struct sched *s);
/* Monotonic time of the next due task, or -1 when none is queued. */
int64_t sched_next_due(const struct sched *s);
size_t sched_queued(const struct sched *s);

/*
 * Walking the tasks, in the order they were added (the configuration's,
 * for the status listing): the first first-level task, the first child of
 * p, the task after t among its siblings (or the first-level tasks);
 * NULL at the end.  The walk's body may not delete tasks.
 */
static inline struct sched_task *sched_task_of(const struct dlink *l)
{
	return l ? container_of(l, struct sched_task, link) : NULL;
}

static inline struct sched_task *sched_first(const struct sched *s)
{
	return sched_task_of(s->tasks.head);
}

static inline struct sched_task *sched_first_child(const struct sched_task *p)
{
	return sched_task_of(p->children.head);
}

static inline struct sched_task *sched_next(const struct sched_task *t)
{
	return sched_task_of(t->link.next);
}

/* The backoff delay after `failures` consecutive failures. */
int64_t sched_backoff_delay(const struct sched_task *t, uint32_t failures);
/* "idle", "queued", "backoff", "running", "children". */
const char *sched_state_name(const struct sched_task *t);

#endif
