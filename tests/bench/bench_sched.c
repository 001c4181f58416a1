/*
 * bench_sched: CPU time per scheduled dispatch of the scheduler
 * (sensor/sched.c) with many pending tasks, beside the same with 100.
 * Prints "bench NAME VALUE UNIT [ANCHOR=VALUE ratio=X]" lines (ratio =
 * VALUE / ANCHOR) and asserts nothing.  Usage:
 *     bench_sched [DIR]
 * DIR (given by tests/bench/run.sh) is not used: nothing touches the disk.
 *
 * Time is the fake clock of store/clock.h, so only the scheduler's own
 * work is measured: no libev, no sleeping.  A dispatch is one run started
 * by sched_run; the task's run() only counts and returns SCHED_OK, so the
 * figure is the scheduler's cost: taking the task off the heap, starting
 * it, completing it, planning its next run and queueing it again.
 * Shapes:
 *   flat: N first-level periodic tasks (period N ms, jitter a tenth of
 *         it), added one every millisecond of fake time so their slots
 *         spread evenly; the fake clock then advances 16 ms at a time and
 *         sched_run dispatches what is due (about 16 runs a call).  N
 *         tasks are pending all along.
 *   children: one periodic parent with N children (one per source, as
 *         the blacklist module will have): each round queues all N and
 *         sched_run dispatches them, 1024 a call (max_per_run).
 * CPU time is CLOCK_PROCESS_CPUTIME_ID over the dispatch loop after one
 * untimed period (at most half of BUDGET_NS), until BUDGET_NS of CPU or
 * MAX_DISPATCH dispatches.  Also printed: the same at 1000 and 10000
 * tasks, to show how the cost grows, and the CPU time of sched_fini.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "sched.h"

#define T0 1764000000000000LL	/* 2025-11-24T16:00:00Z */
#define MS 1000LL
#define STEP_TASKS 16		/* flat: fake time advanced per sched_run, in task slots */
#define BUDGET_NS 1000000000LL	/* CPU time per measurement */
#define MAX_DISPATCH 4000000u

static uint64_t ran;

static int task_run(struct sched_task *t)
{
	ran++;
	return SCHED_OK;
}

static int64_t cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

struct shape {
	struct sched s;
	struct sched_task *t;	/* n tasks (flat) or n children */
	struct sched_task parent;
	size_t n;
	int children;
	int64_t step_us;	/* fake time per sched_run call */
};

static void shape_init(struct shape *x, size_t n, int children)
{
	int64_t period = (int64_t)n * MS;

	memset(x, 0, sizeof *x);
	x->n = n;
	x->children = children;
	x->t = calloc(n, sizeof *x->t);
	if (!x->t) {
		fprintf(stderr, "bench_sched: out of memory\n");
		exit(1);
	}
	clock_fake(T0);
	sched_init(&x->s);
	sched_seed(&x->s, 42);
	if (children) {
		/* The round takes no fake time; the period only spaces rounds. */
		sched_task_init(&x->parent, "parent", task_run, NULL);
		sched_every(&x->parent, 60 * 1000 * MS, 0);
		sched_add(&x->s, &x->parent);
		for (size_t i = 0; i < n; i++) {
			sched_task_init(&x->t[i], "child", task_run, NULL);
			if (sched_add_child(&x->parent, &x->t[i]) < 0) {
				fprintf(stderr, "bench_sched: sched_add_child failed\n");
				exit(1);
			}
		}
		x->step_us = 60 * 1000 * MS;
		return;
	}
	for (size_t i = 0; i < n; i++) {
		sched_task_init(&x->t[i], "task", task_run, NULL);
		sched_every(&x->t[i], period, period / 10);
		if (sched_add(&x->s, &x->t[i]) < 0) {
			fprintf(stderr, "bench_sched: sched_add failed\n");
			exit(1);
		}
		clock_advance(MS);
	}
	x->step_us = STEP_TASKS * MS;
}

/*
 * sched_fini deletes task by task, each an O(1) unlink from its list, so
 * it is timed at every size (100 times the tasks take somewhat more than
 * 100 times as long, for the caches; the old quadratic walk took tens of
 * seconds at 100000).  Returns the CPU ns of sched_fini.
 */
static int64_t shape_fini(struct shape *x)
{
	int64_t t0 = cpu_ns();
	sched_fini(&x->s);
	int64_t ns = cpu_ns() - t0;
	free(x->t);
	clock_fake(0);
	return ns;
}

/*
 * One step: flat advances the clock and runs what is due; children runs
 * until the round is over (sched_run returns 0), then moves to the next.
 */
static uint64_t step(struct shape *x)
{
	unsigned n = sched_run(&x->s);
	if (!x->children || !n)
		clock_advance(x->step_us);
	return n;
}

/* ns of CPU per dispatch; *count gets the dispatches timed. */
static double measure(size_t n, int children, uint64_t *count, int64_t *fini_ns)
{
	struct shape x;
	uint64_t d = 0, calls = 1;

	shape_init(&x, n, children);
	/* Untimed: one period (flat) or round (children), so every task has run
	 * once, or half the CPU budget when that is slower. */
	int64_t w0 = cpu_ns();
	while (d < n + (children ? 1 : 0) && cpu_ns() - w0 < BUDGET_NS / 2)
		d += step(&x);
	d = 0;
	ran = 0;
	int64_t t0 = cpu_ns(), last = t0, now = t0;
	for (;;) {
		for (uint64_t k = 0; k < calls; k++)
			d += step(&x);
		now = cpu_ns();
		if (now - t0 >= BUDGET_NS || d >= MAX_DISPATCH)
			break;
		if (now - last < 10 * 1000000LL)	/* check the clock about every 10 ms */
			calls *= 2;
		last = now;
	}
	if (ran != d)
		fprintf(stderr, "bench_sched: %" PRIu64 " runs for %" PRIu64 " dispatches\n", ran,
			d);
	*fini_ns = shape_fini(&x);
	*count = d;
	return d ? (double)(now - t0) / (double)d : 0;
}

int main(int argc, char **argv)
{
	static const size_t scale[] = {100, 1000, 10000, 100000};
	double flat[4], kids[4];
	uint64_t nflat[4], nkids[4];
	int64_t fini[4], kfini[4];

	for (int i = 0; i < 4; i++) {
		flat[i] = measure(scale[i], 0, &nflat[i], &fini[i]);
		kids[i] = measure(scale[i], 1, &nkids[i], &kfini[i]);
	}
	printf("bench sched_dispatch_ns %.1f ns pending100=%.1f ratio=%.1f "
	       "(100000 first-level periodic tasks; %" PRIu64 " dispatches timed)\n",
	       flat[3], flat[0], flat[3] / flat[0], nflat[3]);
	printf("bench sched_dispatch_children_ns %.1f ns pending100=%.1f ratio=%.1f "
	       "(one parent, 100000 children; %" PRIu64 " dispatches timed)\n",
	       kids[3], kids[0], kids[3] / kids[0], nkids[3]);
	printf("bench sched_dispatch_scaling_ns flat:");
	for (int i = 0; i < 4; i++)
		printf(" %zu=%.1f", scale[i], flat[i]);
	printf(" children:");
	for (int i = 0; i < 4; i++)
		printf(" %zu=%.1f", scale[i], kids[i]);
	printf("\n");
	printf("bench sched_fini_ms %.2f ms tasks1000=%.3f ratio=%.1f (100000 first-level tasks; "
	       "100000 children: %.2f ms; 100 times the tasks of the anchor)\n",
	       (double)fini[3] / 1e6, (double)fini[1] / 1e6, (double)fini[3] / (double)fini[1],
	       (double)kfini[3] / 1e6);
	return 0;
}
