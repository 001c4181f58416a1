/*
 * test_sched: the scheduler driven by the fake clock, without libev.
 * Each test builds a few tasks whose run() logs its name and returns what
 * the test asks for, advances the clock and checks who ran when.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "clock.h"
#include "sched.h"

#define S 1000000LL
#define T0 (1750000000LL * S)	/* a sane wall time */

struct job {
	struct sched_task t;
	int result;		/* what run() returns */
	int runs;
	int cancels;
	int64_t started[64];	/* monotonic start times */
};

static char order[256];

static int job_run(struct sched_task *t)
{
	struct job *j = t->arg;
	if (j->runs < 64)
		j->started[j->runs] = clock_mono_us();
	j->runs++;
	strncat(order, t->name, sizeof order - strlen(order) - 1);
	return j->result;
}

static void job_cancel(struct sched_task *t)
{
	struct job *j = t->arg;
	j->cancels++;
}

static void job_init(struct job *j, const char *name, int result)
{
	memset(j, 0, sizeof *j);
	sched_task_init(&j->t, name, job_run, j);
	j->t.cancel = job_cancel;
	j->result = result;
}

static int setup(void **state)
{
	static struct sched s;
	clock_fake(T0);
	sched_init(&s);
	sched_seed(&s, 42);
	order[0] = 0;
	*state = &s;
	return 0;
}

static int teardown(void **state)
{
	sched_fini(*state);
	clock_fake(0);
	return 0;
}

/* Advance the fake clock in steps of `step`, running what is due. */
static void run_for(struct sched *s, int64_t total, int64_t step)
{
	for (int64_t t = 0; t < total; t += step) {
		clock_advance(step);
		sched_run(s);
	}
}

static void test_sched_runs_in_due_order(void **state)
{
	struct sched *s = *state;
	struct job a, b, c, d;
	job_init(&a, "a", SCHED_OK);
	job_init(&b, "b", SCHED_OK);
	job_init(&c, "c", SCHED_OK);
	job_init(&d, "d", SCHED_OK);
	sched_at(&a.t, T0 + 30 * S);
	sched_at(&b.t, T0 + 10 * S);
	sched_at(&c.t, T0 + 20 * S);
	sched_at(&d.t, T0 + 20 * S);	/* same time as c, added later: after c */
	assert_int_equal(sched_add(s, &a.t), 0);
	assert_int_equal(sched_add(s, &b.t), 0);
	assert_int_equal(sched_add(s, &c.t), 0);
	assert_int_equal(sched_add(s, &d.t), 0);
	assert_int_equal(sched_next_due(s), clock_mono_us() + 10 * S);
	clock_advance(9 * S);
	assert_int_equal(sched_run(s), 0);
	clock_advance(30 * S);
	assert_int_equal(sched_run(s), 4);
	assert_string_equal(order, "bcda");
	/* One-shot tasks do not come back. */
	run_for(s, 600 * S, S);
	assert_string_equal(order, "bcda");
	assert_int_equal(sched_queued(s), 0);
}

static void test_sched_at_past_time_runs_now(void **state)
{
	struct sched *s = *state;
	struct job a;
	job_init(&a, "a", SCHED_OK);
	sched_at(&a.t, T0 - 100 * S);
	sched_add(s, &a.t);
	assert_int_equal(sched_run(s), 1);
	assert_int_equal(a.runs, 1);
}

static void test_sched_periodic_jitter_bounds(void **state)
{
	struct sched *s = *state;
	struct job a;
	int64_t start = clock_mono_us();
	job_init(&a, "a", SCHED_OK);
	sched_every(&a.t, 60 * S, 10 * S);
	sched_add(s, &a.t);
	run_for(s, 64LL * 60 * S, S / 4);
	assert_in_range(a.runs, 63, 65);	/* slot 64 may come early */
	/* First run within [start, start + jitter]. */
	assert_true(a.started[0] >= start && a.started[0] <= start + 10 * S + S / 4);
	int early = 0, late = 0;
	for (int i = 1; i < a.runs && i < 64; i++) {
		int64_t slot = start + i * 60 * S;
		int64_t d = a.started[i] - slot;
		assert_true(d >= -10 * S && d <= 10 * S + S / 4);
		early += d < -S;
		late += d > S;
	}
	/* The jitter is used both ways, not stuck at one end. */
	assert_true(early > 5);
	assert_true(late > 5);
}

static void test_sched_jitter_capped_at_half_period(void **state)
{
	struct job a;
	(void)state;
	job_init(&a, "a", SCHED_OK);
	sched_every(&a.t, 10 * S, 60 * S);
	assert_int_equal(a.t.jitter_us, 5 * S);
}

static void test_sched_periodic_skips_missed_slots(void **state)
{
	struct sched *s = *state;
	struct job a;
	int64_t start = clock_mono_us();
	job_init(&a, "a", SCHED_ASYNC);
	sched_every(&a.t, 10 * S, 0);
	sched_add(s, &a.t);
	sched_run(s);
	assert_int_equal(a.runs, 1);
	clock_advance(35 * S);		/* the run takes 3.5 periods */
	sched_done(&a.t, 1);
	assert_int_equal(sched_next_due(s), start + 40 * S);
	clock_advance(5 * S);
	sched_run(s);
	assert_int_equal(a.runs, 2);
}

static void test_sched_event_triggers_listeners(void **state)
{
	struct sched *s = *state;
	struct job a, b, c;
	job_init(&a, "a", SCHED_OK);
	job_init(&b, "b", SCHED_OK);
	job_init(&c, "c", SCHED_OK);
	sched_on(&a.t, SCHED_EV_CANDIDATES);
	sched_on(&b.t, SCHED_EV_RELOAD);
	sched_on(&c.t, SCHED_EV_CANDIDATES | SCHED_EV_RELOAD);
	sched_add(s, &a.t);
	sched_add(s, &b.t);
	sched_add(s, &c.t);
	assert_int_equal(sched_run(s), 0);
	assert_int_equal(sched_next_due(s), -1);
	sched_event(s, SCHED_EV_CANDIDATES);
	sched_event(s, SCHED_EV_CANDIDATES);	/* coalesced while queued */
	assert_int_equal(sched_run(s), 2);
	assert_int_equal(a.runs, 1);
	assert_int_equal(b.runs, 0);
	assert_int_equal(c.runs, 1);
	assert_string_equal(order, "ac");	/* listeners in the order they were added */
	sched_event(s, SCHED_EV_RELOAD);
	sched_run(s);
	assert_string_equal(order, "acbc");
	assert_int_equal(b.runs, 1);
	assert_int_equal(c.runs, 2);
	assert_int_equal(a.runs, 1);
}

static void test_sched_event_during_run_runs_once_more(void **state)
{
	struct sched *s = *state;
	struct job a;
	job_init(&a, "a", SCHED_ASYNC);
	sched_on(&a.t, SCHED_EV_CANDIDATES);
	sched_add(s, &a.t);
	sched_event(s, SCHED_EV_CANDIDATES);
	sched_run(s);
	assert_int_equal(a.runs, 1);
	sched_event(s, SCHED_EV_CANDIDATES);
	sched_event(s, SCHED_EV_CANDIDATES);
	sched_run(s);
	assert_int_equal(a.runs, 1);	/* never twice at once */
	sched_done(&a.t, 1);
	sched_run(s);
	assert_int_equal(a.runs, 2);	/* once more, not twice */
	sched_done(&a.t, 1);
	sched_run(s);
	assert_int_equal(a.runs, 2);
}

static void test_sched_after_runs_when_other_finished(void **state)
{
	struct sched *s = *state;
	struct job a, b;
	job_init(&a, "a", SCHED_OK);
	job_init(&b, "b", SCHED_OK);
	sched_every(&a.t, 60 * S, 0);
	sched_after(&b.t, &a.t);
	sched_add(s, &a.t);
	sched_add(s, &b.t);
	sched_run(s);
	assert_string_equal(order, "ab");
	/* A failed run of a does not trigger b. */
	a.result = SCHED_FAIL;
	clock_advance(60 * S);
	sched_run(s);
	assert_string_equal(order, "aba");
	assert_int_equal(b.runs, 1);
}

static void test_sched_backoff_doubles_and_caps(void **state)
{
	struct sched *s = *state;
	struct job a;
	job_init(&a, "a", SCHED_FAIL);
	sched_every(&a.t, 3600 * S, 0);
	sched_backoff(&a.t, 10 * S, 100 * S);
	sched_add(s, &a.t);
	sched_run(s);
	int64_t want[] = {10, 20, 40, 80, 100, 100, 100};
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		int64_t last = a.started[a.runs - 1];
		assert_int_equal(sched_next_due(s) - last, want[i] * S);
		assert_string_equal(sched_state_name(&a.t), "backoff");
		clock_advance(want[i] * S);
		sched_run(s);
		assert_int_equal(a.runs, (int)i + 2);
	}
	assert_int_equal(a.t.failures, 8);
	assert_int_equal(sched_backoff_delay(&a.t, 1000), 100 * S);
}

static void test_sched_success_resets_backoff(void **state)
{
	struct sched *s = *state;
	struct job a;
	int64_t start = clock_mono_us();
	job_init(&a, "a", SCHED_FAIL);
	sched_every(&a.t, 60 * S, 0);
	sched_backoff(&a.t, 10 * S, 1000 * S);
	sched_add(s, &a.t);
	run_for(s, 35 * S, S);		/* runs at 0, 10, 30 */
	assert_int_equal(a.runs, 3);
	a.result = SCHED_OK;
	run_for(s, 40 * S, S);		/* retry at 70 succeeds */
	assert_int_equal(a.runs, 4);
	assert_int_equal(a.t.failures, 0);
	/* Back on the grid: next slot after now is start + 120. */
	assert_int_equal(sched_next_due(s), start + 120 * S);
}

static void test_sched_events_wait_out_backoff(void **state)
{
	struct sched *s = *state;
	struct job a;
	job_init(&a, "a", SCHED_FAIL);
	sched_on(&a.t, SCHED_EV_CANDIDATES);
	sched_add(s, &a.t);
	sched_trigger(&a.t);
	sched_run(s);
	assert_int_equal(a.runs, 1);
	sched_event(s, SCHED_EV_CANDIDATES);
	sched_run(s);
	assert_int_equal(a.runs, 1);
	clock_advance(SCHED_BACKOFF_MIN_US);
	sched_run(s);
	assert_int_equal(a.runs, 2);
}

struct parent {
	struct job p;
	struct job c[3];
	int child_ok, child_fail;
};

static void on_child(struct sched_task *p, struct sched_task *c, int ok)
{
	struct parent *pa = (struct parent *)p->arg;
	if (ok)
		pa->child_ok++;
	else
		pa->child_fail++;
}

static void parent_setup(struct sched *s, struct parent *pa, int child_result)
{
	static const char *names[] = {"x", "y", "z"};
	memset(pa, 0, sizeof *pa);
	job_init(&pa->p, "P", SCHED_OK);
	pa->p.t.arg = pa;	/* struct parent starts with the job */
	pa->p.t.on_child = on_child;
	sched_every(&pa->p.t, 100 * S, 0);
	sched_add(s, &pa->p.t);
	for (int i = 0; i < 3; i++) {
		job_init(&pa->c[i], names[i], child_result);
		sched_backoff(&pa->c[i].t, 30 * S, 300 * S);
		assert_int_equal(sched_add_child(&pa->p.t, &pa->c[i].t), 0);
	}
}

static void test_sched_parent_done_when_all_children_done(void **state)
{
	struct sched *s = *state;
	struct parent pa;
	int64_t start = clock_mono_us();
	parent_setup(s, &pa, SCHED_ASYNC);
	sched_run(s);
	assert_string_equal(order, "Pxyz");
	assert_string_equal(sched_state_name(&pa.p.t), "children");
	sched_done(&pa.c[0].t, 1);
	sched_done(&pa.c[2].t, 1);
	assert_int_equal(pa.p.t.state, SCHED_CHILDREN);
	assert_int_equal(sched_next_due(s), -1);	/* not rescheduled yet */
	clock_advance(5 * S);
	sched_done(&pa.c[1].t, 1);
	assert_int_equal(pa.child_ok, 3);
	assert_int_equal(pa.p.t.state, SCHED_QUEUED);
	assert_true(pa.p.t.last_ok);
	assert_int_equal(sched_next_due(s), start + 100 * S);
}

static void test_sched_failing_child_never_stalls_round(void **state)
{
	struct sched *s = *state;
	struct parent pa;
	parent_setup(s, &pa, SCHED_OK);
	pa.c[1].result = SCHED_FAIL;
	sched_run(s);
	assert_string_equal(order, "Pxyz");
	/* The round is over although y failed; y retries on its own. */
	assert_int_equal(pa.p.t.state, SCHED_QUEUED);
	assert_int_equal(pa.p.t.failures, 0);
	assert_int_equal(pa.child_fail, 1);
	assert_string_equal(sched_state_name(&pa.c[1].t), "backoff");
	run_for(s, 30 * S, S);
	assert_string_equal(order, "Pxyzy");	/* retry after 30 s */
	run_for(s, 70 * S, S);			/* again at 90; round at 100 skips y (due 210) */
	assert_string_equal(order, "PxyzyyPxz");
	assert_int_equal(pa.c[1].t.skipped, 1);
	assert_int_equal(pa.p.t.state, SCHED_QUEUED);
	pa.c[1].result = SCHED_OK;
	run_for(s, 110 * S, S);			/* round at 200 skips y again; y at 210 */
	assert_string_equal(order, "PxyzyyPxzPxzy");
	assert_int_equal(pa.c[1].t.skipped, 2);
	assert_int_equal(pa.c[1].t.failures, 0);
}

static void test_sched_parent_failure_skips_children(void **state)
{
	struct sched *s = *state;
	struct parent pa;
	parent_setup(s, &pa, SCHED_OK);
	pa.p.result = SCHED_FAIL;
	sched_run(s);
	assert_string_equal(order, "P");
	assert_string_equal(sched_state_name(&pa.p.t), "backoff");
}

static void test_sched_cancel_during_reload(void **state)
{
	struct sched *s = *state;
	struct job a;
	int64_t start = clock_mono_us();
	job_init(&a, "a", SCHED_ASYNC);
	sched_every(&a.t, 60 * S, 0);
	sched_on(&a.t, SCHED_EV_RELOAD);
	sched_add(s, &a.t);
	sched_run(s);
	assert_int_equal(a.t.state, SCHED_RUNNING);
	/* Reload: the module cancels, changes its period, plans again. */
	clock_advance(5 * S);
	sched_cancel(&a.t);
	assert_int_equal(a.cancels, 1);
	assert_int_equal(a.t.state, SCHED_IDLE);
	sched_every(&a.t, 10 * S, 0);
	sched_on(&a.t, 0);
	sched_reschedule(&a.t);
	sched_event(s, SCHED_EV_RELOAD);	/* no longer listening */
	/* The cancelled run's late answer changes nothing. */
	sched_done(&a.t, 0);
	assert_int_equal(a.t.late, 1);
	assert_int_equal(a.t.failures, 0);
	sched_run(s);
	assert_int_equal(a.runs, 2);	/* new plan: runs at once, then every 10 s */
	sched_done(&a.t, 1);
	assert_int_equal(sched_next_due(s), start + 15 * S);
}

static void test_sched_cancel_child_unblocks_parent(void **state)
{
	struct sched *s = *state;
	struct parent pa;
	parent_setup(s, &pa, SCHED_ASYNC);
	sched_run(s);
	sched_done(&pa.c[0].t, 1);
	sched_done(&pa.c[1].t, 1);
	assert_int_equal(pa.p.t.state, SCHED_CHILDREN);
	sched_del(&pa.c[2].t);		/* a source removed by a reload */
	assert_int_equal(pa.c[2].cancels, 1);
	assert_int_equal(pa.p.t.state, SCHED_QUEUED);
	assert_true(pa.p.t.last_ok);
	clock_advance(100 * S);
	sched_run(s);
	assert_string_equal(order, "PxyzPxy");
}

static void test_sched_cancel_parent_cancels_children(void **state)
{
	struct sched *s = *state;
	struct parent pa;
	parent_setup(s, &pa, SCHED_ASYNC);
	sched_run(s);
	sched_done(&pa.c[0].t, 1);
	sched_cancel(&pa.p.t);
	assert_int_equal(pa.p.t.state, SCHED_IDLE);
	assert_int_equal(pa.c[0].cancels, 0);	/* already done */
	assert_int_equal(pa.c[1].cancels, 1);
	assert_int_equal(pa.c[2].cancels, 1);
	assert_int_equal(pa.p.t.cancelled, 1);
	assert_int_equal(sched_next_due(s), -1);
	/* The parent was not completed by its cancelled children. */
	assert_int_equal(pa.p.t.last_end_us, 0);
	sched_reschedule(&pa.p.t);
	sched_run(s);
	assert_string_equal(order, "PxyzPxyz");
}

static int done_inside(struct sched_task *t)
{
	struct job *j = t->arg;
	j->runs++;
	sched_done(t, 1);	/* before returning: takes effect after */
	assert_int_equal(t->state, SCHED_RUNNING);
	return SCHED_ASYNC;
}

static void test_sched_done_inside_run(void **state)
{
	struct sched *s = *state;
	struct job a;
	job_init(&a, "a", SCHED_OK);
	a.t.run = done_inside;
	sched_every(&a.t, 10 * S, 0);
	sched_add(s, &a.t);
	sched_run(s);
	assert_int_equal(a.runs, 1);
	assert_int_equal(a.t.state, SCHED_QUEUED);
	assert_true(a.t.last_ok);
}

static void test_sched_run_yields_after_max(void **state)
{
	struct sched *s = *state;
	struct job a, b;
	/* a and b trigger each other forever: sched_run must return. */
	job_init(&a, "a", SCHED_OK);
	job_init(&b, "b", SCHED_OK);
	sched_after(&a.t, &b.t);
	sched_after(&b.t, &a.t);
	sched_add(s, &a.t);
	sched_add(s, &b.t);
	s->max_per_run = 10;
	sched_trigger(&a.t);
	assert_int_equal(sched_run(s), 10);
	assert_int_equal(sched_next_due(s), clock_mono_us());
}

static void test_sched_many_tasks_stay_ordered(void **state)
{
	struct sched *s = *state;
	enum { N = 2000 };
	static struct job j[N];
	for (int i = 0; i < N; i++) {
		job_init(&j[i], "", SCHED_OK);
		sched_at(&j[i].t, T0 + (int64_t)((i * 7919) % N + 1) * S);
		assert_int_equal(sched_add(s, &j[i].t), 0);
	}
	int64_t last = 0;
	for (int k = 0; k < N; k++) {
		int64_t due = sched_next_due(s);
		assert_true(due > last);
		last = due;
		clock_advance(due - clock_mono_us());
		assert_int_equal(sched_run(s), 1);
	}
	assert_int_equal(sched_queued(s), 0);
	for (int i = 0; i < N; i++)
		sched_del(&j[i].t);
}

static void test_sched_del_keeps_lists_and_dependents(void **state)
{
	struct sched *s = *state;
	struct parent pa;
	struct job a, b, w;
	parent_setup(s, &pa, SCHED_OK);
	/* delete the last and a middle child, then add: order and ends hold */
	sched_del(&pa.c[2].t);
	sched_del(&pa.c[0].t);
	job_init(&w, "w", SCHED_OK);
	assert_int_equal(sched_add_child(&pa.p.t, &w.t), 0);
	assert_ptr_equal(sched_first_child(&pa.p.t), &pa.c[1].t);
	assert_ptr_equal(sched_next(&pa.c[1].t), &w.t);
	assert_null(sched_next(&w.t));
	assert_ptr_equal(pa.p.t.children.tail, &w.t.link);
	assert_int_equal(pa.p.t.children.n, 2);
	sched_run(s);
	assert_string_equal(order, "Pyw");
	/* b waits for a, set after both joined; deleting a releases b */
	job_init(&a, "a", SCHED_OK);
	job_init(&b, "b", SCHED_OK);
	sched_every(&a.t, 60 * S, 0);
	sched_add(s, &a.t);
	sched_add(s, &b.t);
	sched_after(&b.t, &a.t);
	assert_int_equal(a.t.dependents, 1);
	sched_del(&a.t);
	assert_null(b.t.after);
	assert_int_equal(a.t.dependents, 0);
	/* the first-level list is still whole, in the order the tasks were
	 * added (the status listing's): P, then b */
	assert_ptr_equal(sched_first(s), &pa.p.t);
	assert_ptr_equal(sched_next(&pa.p.t), &b.t);
	assert_null(sched_next(&b.t));
	assert_int_equal(s->tasks.n, 2);
	sched_del(&b.t);
	assert_ptr_equal(sched_first(s), &pa.p.t);
	assert_null(sched_next(&pa.p.t));
	assert_ptr_equal(s->tasks.tail, &pa.p.t.link);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(n) cmocka_unit_test_setup_teardown(n, setup, teardown)
		T(test_sched_runs_in_due_order),
		T(test_sched_at_past_time_runs_now),
		T(test_sched_periodic_jitter_bounds),
		T(test_sched_jitter_capped_at_half_period),
		T(test_sched_periodic_skips_missed_slots),
		T(test_sched_event_triggers_listeners),
		T(test_sched_event_during_run_runs_once_more),
		T(test_sched_after_runs_when_other_finished),
		T(test_sched_backoff_doubles_and_caps),
		T(test_sched_success_resets_backoff),
		T(test_sched_events_wait_out_backoff),
		T(test_sched_parent_done_when_all_children_done),
		T(test_sched_failing_child_never_stalls_round),
		T(test_sched_parent_failure_skips_children),
		T(test_sched_cancel_during_reload),
		T(test_sched_cancel_child_unblocks_parent),
		T(test_sched_cancel_parent_cancels_children),
		T(test_sched_done_inside_run),
		T(test_sched_run_yields_after_max),
		T(test_sched_many_tasks_stay_ordered),
		T(test_sched_del_keeps_lists_and_dependents),
	};
	return cmocka_run_group_tests_name("sched", tests, NULL, NULL);
}
