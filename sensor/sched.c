/*
 * sched: tasks in a binary min-heap ordered by (due time, queue order),
 * run by sched_run at the monotonic time of the one clock (sched.h).
 *
 * Invariants: a task is in the heap (heap.h) iff its state is
 * SCHED_QUEUED, and then heap.v[t->heap_i] == t.  run() is only ever
 * called from sched_run, so adding, triggering, finishing and
 * cancelling never recurse into a module.  A parent in SCHED_CHILDREN
 * has round_pending > 0 children with in_round set; whoever drops a child
 * from a round (done, cancelled, deleted) decrements it and completes the
 * parent at zero.  The first-level tasks and each parent's children are
 * dlists (list.h) in the order they were added: a round starts children
 * in that order and a deletion takes a task off in O(1).
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>

#include "cdefs.h"
#include "clock.h"
#include "sched.h"

static int before(const void *pa, const void *pb)
{
	const struct sched_task *a = pa, *b = pb;
	return a->due_us < b->due_us || (a->due_us == b->due_us && a->seq < b->seq);
}

static void q_insert(struct sched *s, struct sched_task *t)
{
	heap_insert(&s->heap, t, before, offsetof(struct sched_task, heap_i));
}

static void q_delete(struct sched *s, struct sched_task *t)
{
	heap_delete(&s->heap, t, before, offsetof(struct sched_task, heap_i));
}

/* Room for every registered task, so enqueue never allocates or fails. */
static int heap_room(struct sched *s)
{
	return heap_reserve(&s->heap, s->registered + 1);
}

/* Queue t at due (removing it first when queued).  The heap has room:
 * every registered task reserved its slot when it was added. */
static void enqueue(struct sched_task *t, int64_t due)
{
	struct sched *s = t->s;
	if (t->state == SCHED_QUEUED)
		q_delete(s, t);
	t->state = SCHED_QUEUED;
	t->due_us = due;
	t->seq = s->seq++;
	q_insert(s, t);
}

static void dequeue(struct sched_task *t)
{
	if (t->state == SCHED_QUEUED) {
		q_delete(t->s, t);
		t->state = SCHED_IDLE;
	}
}

/* xorshift64*: deterministic once seeded, good enough for jitter. */
static uint64_t rnd(struct sched *s)
{
	uint64_t x = s->rng;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	s->rng = x;
	return x * 0x2545F4914F6CDD1DULL;
}

/* Uniform in [lo, hi]. */
static int64_t rnd_range(struct sched *s, int64_t lo, int64_t hi)
{
	if (hi <= lo)
		return lo;
	return lo + (int64_t)(rnd(s) % (uint64_t)(hi - lo + 1));
}

void sched_init(struct sched *s)
{
	*s = (struct sched){0};
	heap_init(&s->heap);
	dlist_init(&s->tasks);
	s->rng = 0x9E3779B97F4A7C15ULL;
	s->max_per_run = 1024;
}

void sched_seed(struct sched *s, uint64_t seed)
{
	s->rng = seed ? seed : 0x9E3779B97F4A7C15ULL;
}

void sched_fini(struct sched *s)
{
	while (s->tasks.head)
		sched_del(sched_first(s));
	heap_fini(&s->heap);
}

void sched_task_init(struct sched_task *t, const char *name, int (*run)(struct sched_task *),
		     void *arg)
{
	*t = (struct sched_task){0};
	t->name = name;
	t->run = run;
	t->arg = arg;
	t->backoff_min_us = SCHED_BACKOFF_MIN_US;
	t->backoff_max_us = SCHED_BACKOFF_MAX_US;
}

void sched_every(struct sched_task *t, int64_t period_us, int64_t jitter_us)
{
	t->period_us = period_us > 0 ? period_us : 0;
	if (jitter_us < 0)
		jitter_us = 0;
	/* Jitter beyond half a period would let runs swap order or bunch up. */
	if (t->period_us && jitter_us > t->period_us / 2)
		jitter_us = t->period_us / 2;
	t->jitter_us = jitter_us;
}

void sched_at(struct sched_task *t, int64_t wall_us)
{
	t->at_wall_us = wall_us;
}

void sched_on(struct sched_task *t, unsigned events)
{
	t->events = events;
}

void sched_after(struct sched_task *t, struct sched_task *other)
{
	/* dependents counts only registered tasks: sched_add and sched_del
	 * keep it for tasks that set `after` before or after joining */
	if (t->s && t->after)
		t->after->dependents--;
	t->after = other;
	if (t->s && other)
		other->dependents++;
}

void sched_backoff(struct sched_task *t, int64_t min_us, int64_t max_us)
{
	t->backoff_min_us = min_us > 0 ? min_us : SCHED_BACKOFF_MIN_US;
	t->backoff_max_us = max_us >= t->backoff_min_us ? max_us : t->backoff_min_us;
}

int64_t sched_backoff_delay(const struct sched_task *t, uint32_t failures)
{
	int64_t d = t->backoff_min_us;
	for (uint32_t i = 1; i < failures && d < t->backoff_max_us; i++)
		d = d > t->backoff_max_us / 2 ? t->backoff_max_us : d * 2;
	return d < t->backoff_max_us ? d : t->backoff_max_us;
}

/* Plan a task from its timing, as at start.  Children are planned by rounds. */
static void plan_first(struct sched_task *t, int64_t now)
{
	if (t->parent)
		return;
	if (t->at_wall_us > 0) {
		/* Converted once: a later step of the wall clock is not followed. */
		int64_t delta = t->at_wall_us - clock_now_us();
		t->slot_us = now + (delta > 0 ? delta : 0);
		enqueue(t, t->slot_us);
	} else if (t->period_us > 0) {
		t->slot_us = now;
		enqueue(t, now + rnd_range(t->s, 0, t->jitter_us));
	} else {
		dequeue(t);
	}
}

/* The next run of a periodic task after a success: the first slot after now. */
static void plan_periodic(struct sched_task *t, int64_t now)
{
	int64_t slot = t->slot_us + t->period_us;
	if (slot <= now)
		slot += ((now - slot) / t->period_us + 1) * t->period_us;
	t->slot_us = slot;
	int64_t due = slot + rnd_range(t->s, -t->jitter_us, t->jitter_us);
	enqueue(t, due > now ? due : now);
}

static void complete(struct sched_task *t, int ok, int64_t now);

static void leave_round(struct sched_task *c, int ok, int64_t now)
{
	struct sched_task *p = c->parent;
	if (!c->in_round)
		return;
	c->in_round = 0;
	if (!ok)
		p->round_failed++;
	if (p->round_pending > 0 && --p->round_pending == 0 && p->state == SCHED_CHILDREN)
		complete(p, 1, now);
}

/* The parent's own run succeeded: start the round. */
static void start_round(struct sched_task *p, int64_t now)
{
	p->round_pending = 0;
	p->round_failed = 0;
	for (struct sched_task *c = sched_first_child(p); c; c = sched_next(c)) {
		if (c->state == SCHED_RUNNING || c->state == SCHED_CHILDREN) {
			c->in_round = 1;	/* a retry in flight: this round waits for it */
			p->round_pending++;
		} else if (c->state == SCHED_QUEUED && c->failures > 0 && c->due_us > now) {
			c->skipped++;		/* backing off: retries on its own timer */
		} else {
			c->in_round = 1;
			p->round_pending++;
			enqueue(c, now);
		}
	}
	if (p->round_pending == 0)
		complete(p, 1, now);
	else
		p->state = SCHED_CHILDREN;
}

static void notify_after(struct sched *s, struct sched_task *done)
{
	/* the common case, nobody waits for it, costs nothing: with 100k
	 * first-level tasks a walk per completion would dominate dispatch */
	if (!done->dependents)
		return;
	for (struct sched_task *t = sched_first(s); t; t = sched_next(t))
		if (t->after == done && t != done)
			sched_trigger(t);
}

/* A run (own run plus round) is over: account, notify, plan the next. */
static void complete(struct sched_task *t, int ok, int64_t now)
{
	t->state = SCHED_IDLE;
	t->last_end_us = now;
	t->last_ok = ok;
	if (ok) {
		t->failures = 0;
	} else {
		t->failures++;
		t->fails++;
	}
	if (t->parent) {
		struct sched_task *p = t->parent;
		if (!ok)
			enqueue(t, now + sched_backoff_delay(t, t->failures));
		else if (t->pending_event)
			enqueue(t, now);
		t->pending_event = 0;
		if (p->on_child)
			p->on_child(p, t, ok);
		leave_round(t, ok, now);
		return;
	}
	if (!ok) {
		enqueue(t, now + sched_backoff_delay(t, t->failures));
		t->pending_event = 0;	/* the retry covers it */
		return;
	}
	if (t->pending_event) {
		t->pending_event = 0;
		enqueue(t, now);
	} else if (t->period_us > 0) {
		plan_periodic(t, now);
	} else {
		t->at_wall_us = 0;	/* one-shot done */
	}
	notify_after(t->s, t);
}

static void own_done(struct sched_task *t, int ok, int64_t now)
{
	if (ok && t->children.head)
		start_round(t, now);
	else
		complete(t, ok, now);
}

static void start(struct sched_task *t, int64_t now)
{
	t->state = SCHED_RUNNING;
	t->runs++;
	t->last_start_us = now;
	t->s->dispatched++;
	if (!t->run) {
		own_done(t, 1, now);
		return;
	}
	t->in_run = 1;
	t->done_in_run = 0;
	int r = t->run(t);
	t->in_run = 0;
	if (t->state != SCHED_RUNNING)
		return;		/* cancelled or deleted from inside run() */
	if (r == SCHED_ASYNC && !t->done_in_run)
		return;
	own_done(t, r == SCHED_ASYNC ? t->done_ok : r == SCHED_OK, now);
}

int sched_add(struct sched *s, struct sched_task *t)
{
	if (t->s) {
		errno = EINVAL;
		return -1;
	}
	if (heap_room(s) < 0) {
		errno = ENOMEM;
		return -1;
	}
	s->registered++;
	t->s = s;
	t->parent = NULL;
	t->state = SCHED_IDLE;
	dlist_init(&t->children);
	dlist_push(&s->tasks, &t->link);
	if (t->after)
		t->after->dependents++;
	plan_first(t, clock_mono_us());
	return 0;
}

int sched_add_child(struct sched_task *parent, struct sched_task *child)
{
	struct sched *s = parent->s;
	if (!s || child->s) {
		errno = EINVAL;
		return -1;
	}
	if (heap_room(s) < 0) {
		errno = ENOMEM;
		return -1;
	}
	s->registered++;
	child->s = s;
	child->parent = parent;
	child->state = SCHED_IDLE;
	dlist_init(&child->children);
	/* At the tail, so a round starts children in the order they were added. */
	dlist_push(&parent->children, &child->link);
	return 0;
}

void sched_cancel(struct sched_task *t)
{
	if (!t->s)
		return;
	int was = t->state;
	dequeue(t);
	if (was == SCHED_RUNNING || was == SCHED_CHILDREN) {
		t->state = SCHED_IDLE;
		t->cancelled++;
	}
	/* Idle and with no round first, so cancelled children cannot complete it. */
	t->round_pending = 0;
	t->pending_event = 0;
	for (struct sched_task *c = sched_first_child(t); c; c = sched_next(c))
		sched_cancel(c);
	if (was == SCHED_RUNNING && t->cancel)
		t->cancel(t);
	if (t->parent && t->in_round)
		leave_round(t, 1, clock_mono_us());	/* cancelled is not failed */
	t->in_round = 0;
}

void sched_del(struct sched_task *t)
{
	struct sched *s = t->s;
	if (!s)
		return;
	sched_cancel(t);
	while (t->children.head)
		sched_del(sched_first_child(t));
	dlist_remove(t->parent ? &t->parent->children : &s->tasks, &t->link);
	if (t->after)
		t->after->dependents--;
	/* Nobody keeps waiting for a task that is gone. */
	for (struct sched_task *o = sched_first(s); o && t->dependents; o = sched_next(o))
		if (o->after == t) {
			o->after = NULL;
			t->dependents--;
		}
	t->parent = NULL;
	t->s = NULL;
	s->registered--;
}

void sched_reschedule(struct sched_task *t)
{
	if (!t->s || t->state == SCHED_RUNNING || t->state == SCHED_CHILDREN)
		return;		/* the end of the run plans with the new timing */
	if (t->parent) {
		if (t->state == SCHED_QUEUED && t->failures == 0)
			dequeue(t);
		return;
	}
	if (t->state == SCHED_QUEUED && t->failures > 0)
		return;		/* backing off: the retry comes first */
	plan_first(t, clock_mono_us());
}

void sched_trigger(struct sched_task *t)
{
	if (!t->s)
		return;
	switch (t->state) {
	case SCHED_RUNNING:
	case SCHED_CHILDREN:
		t->pending_event = 1;
		break;
	case SCHED_QUEUED:
		if (t->failures > 0)
			break;	/* backing off */
		/* fall through */
	case SCHED_IDLE: {
		int64_t now = clock_mono_us();
		if (t->state != SCHED_QUEUED || t->due_us > now)
			enqueue(t, now);
		break;
	}
	}
}

void sched_event(struct sched *s, unsigned ev)
{
	for (struct sched_task *t = sched_first(s); t; t = sched_next(t))
		if (t->events & ev)
			sched_trigger(t);
}

void sched_done(struct sched_task *t, int ok)
{
	if (!t->s || t->state != SCHED_RUNNING) {
		t->late++;
		return;
	}
	if (t->in_run) {
		t->done_in_run = 1;
		t->done_ok = !!ok;
		return;
	}
	own_done(t, !!ok, clock_mono_us());
}

unsigned sched_run(struct sched *s)
{
	int64_t now = clock_mono_us();
	unsigned n = 0;
	struct sched_task *t;
	while ((t = heap_top(&s->heap)) && t->due_us <= now && n < s->max_per_run) {
		q_delete(s, t);
		t->state = SCHED_IDLE;
		start(t, now);
		n++;
	}
	return n;
}

int64_t sched_next_due(const struct sched *s)
{
	const struct sched_task *t = heap_top(&s->heap);
	return t ? t->due_us : -1;
}

size_t sched_queued(const struct sched *s)
{
	return s->heap.n;
}

const char *sched_state_name(const struct sched_task *t)
{
	switch (t->state) {
	case SCHED_QUEUED:
		return t->failures ? "backoff" : "queued";
	case SCHED_RUNNING:
		return "running";
	case SCHED_CHILDREN:
		return "children";
	default:
		return "idle";
	}
}
