/*
 * test_list: store/list.h's fifo and dlist against arrays the test keeps:
 * order, length, pop, splice, removal from the head, the middle and the
 * tail (after which a push must still land at the end), a walk whose body
 * removes the member it is at, and the dlist's links both ways.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "list.h"

struct item {
	int v;
	struct link link;
};

/* q holds exactly want[0..n), in order, and says n. */
static void expect(const struct fifo *q, const int *want, size_t n)
{
	size_t i = 0;
	fifo_each(l, q) {
		assert_true(i < n);
		assert_int_equal(container_of(l, struct item, link)->v, want[i]);
		i++;
	}
	assert_int_equal(i, n);
	assert_int_equal(q->n, n);
	assert_int_equal(fifo_empty(q), n == 0);
}

static void test_list_push_pop_in_order(void **st)
{
	struct item it[5];
	struct fifo q;
	fifo_init(&q);
	assert_null(fifo_pop(&q));
	for (int i = 0; i < 5; i++) {
		it[i].v = i;
		fifo_push(&q, &it[i].link);
	}
	expect(&q, (int[]){0, 1, 2, 3, 4}, 5);
	assert_ptr_equal(fifo_pop(&q), &it[0].link);
	assert_ptr_equal(fifo_pop(&q), &it[1].link);
	expect(&q, (int[]){2, 3, 4}, 3);
	for (int i = 2; i < 5; i++)
		assert_ptr_equal(fifo_pop(&q), &it[i].link);
	assert_null(fifo_pop(&q));
	expect(&q, NULL, 0);
	fifo_push(&q, &it[3].link);	/* emptied by pops: the tail is the head again */
	expect(&q, (int[]){3}, 1);
}

static void test_list_splice_moves_all_in_order(void **st)
{
	struct item a[3], b[2];
	struct fifo qa, qb;
	fifo_init(&qa);
	fifo_init(&qb);
	fifo_splice(&qa, &qb);	/* empty onto empty */
	expect(&qa, NULL, 0);
	for (int i = 0; i < 2; i++) {
		b[i].v = 10 + i;
		fifo_push(&qb, &b[i].link);
	}
	fifo_splice(&qa, &qb);	/* onto empty */
	expect(&qa, (int[]){10, 11}, 2);
	expect(&qb, NULL, 0);
	for (int i = 0; i < 3; i++) {
		a[i].v = i;
		fifo_push(&qb, &a[i].link);
	}
	fifo_splice(&qa, &qb);
	expect(&qa, (int[]){10, 11, 0, 1, 2}, 5);
	expect(&qb, NULL, 0);
	struct item z = {.v = 99};
	fifo_push(&qa, &z.link);	/* the tail followed the splice */
	expect(&qa, (int[]){10, 11, 0, 1, 2, 99}, 6);
	fifo_push(&qb, &z.link);	/* qb still works after it was emptied */
	expect(&qb, (int[]){99}, 1);
	struct fifo qc;
	fifo_take(&qc, &qb);		/* into an unset fifo */
	expect(&qc, (int[]){99}, 1);
	expect(&qb, NULL, 0);
	fifo_take(&qc, &qb);		/* an empty one: qc is emptied too */
	expect(&qc, NULL, 0);
}

static void test_list_remove_anywhere(void **st)
{
	struct item it[4], out = {.v = 7};
	struct fifo q;
	fifo_init(&q);
	for (int i = 0; i < 4; i++) {
		it[i].v = i;
		fifo_push(&q, &it[i].link);
	}
	assert_int_equal(fifo_remove(&q, &out.link), -1);
	assert_int_equal(fifo_remove(&q, &it[3].link), 0);	/* the tail */
	expect(&q, (int[]){0, 1, 2}, 3);
	fifo_push(&q, &it[3].link);
	expect(&q, (int[]){0, 1, 2, 3}, 4);
	assert_int_equal(fifo_remove(&q, &it[1].link), 0);	/* the middle */
	assert_int_equal(fifo_remove(&q, &it[0].link), 0);	/* the head */
	expect(&q, (int[]){2, 3}, 2);
	assert_int_equal(fifo_remove(&q, &it[1].link), -1);	/* already off */
	assert_int_equal(fifo_remove(&q, &it[3].link), 0);
	assert_int_equal(fifo_remove(&q, &it[2].link), 0);
	expect(&q, NULL, 0);
	fifo_push(&q, &it[0].link);
	expect(&q, (int[]){0}, 1);
}

static void test_list_walk_may_remove_current(void **st)
{
	struct item it[6];
	struct fifo q;
	fifo_init(&q);
	for (int i = 0; i < 6; i++) {
		it[i].v = i;
		fifo_push(&q, &it[i].link);
	}
	int seen = 0;
	fifo_each_safe(l, &q) {
		struct item *x = container_of(l, struct item, link);
		seen++;
		if (x->v % 2 == 0)
			assert_int_equal(fifo_remove(&q, l), 0);
	}
	assert_int_equal(seen, 6);
	expect(&q, (int[]){1, 3, 5}, 3);
}

struct ditem {
	int v;
	struct dlink link;
};

/* d holds exactly want[0..n), in order from the head, linked both ways. */
static void dexpect(const struct dlist *d, const int *want, size_t n)
{
	size_t i = 0;
	const struct dlink *prev = NULL;
	dlist_each(l, d) {
		assert_true(i < n);
		assert_int_equal(container_of(l, struct ditem, link)->v, want[i]);
		assert_ptr_equal(l->prev, prev);
		prev = l;
		i++;
	}
	assert_int_equal(i, n);
	assert_int_equal(d->n, n);
	assert_ptr_equal(d->tail, prev);
	assert_true((d->head == NULL) == (n == 0));
}

static void test_list_dlist_remove_anywhere(void **st)
{
	struct ditem it[5];
	struct dlist d;
	dlist_init(&d);
	dexpect(&d, NULL, 0);
	for (int i = 0; i < 5; i++) {
		it[i].v = i;
		dlist_push(&d, &it[i].link);
	}
	dexpect(&d, (int[]){0, 1, 2, 3, 4}, 5);
	dlist_remove(&d, &it[2].link);	/* the middle */
	dexpect(&d, (int[]){0, 1, 3, 4}, 4);
	dlist_remove(&d, &it[0].link);	/* the head */
	dexpect(&d, (int[]){1, 3, 4}, 3);
	dlist_remove(&d, &it[4].link);	/* the tail */
	dexpect(&d, (int[]){1, 3}, 2);
	dlist_push(&d, &it[0].link);	/* back at the end: an LRU's touch */
	dexpect(&d, (int[]){1, 3, 0}, 3);
	dlist_remove(&d, &it[1].link);
	dlist_remove(&d, &it[3].link);
	dlist_remove(&d, &it[0].link);
	dexpect(&d, NULL, 0);
	dlist_push(&d, &it[4].link);
	dexpect(&d, (int[]){4}, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_list_push_pop_in_order),
		cmocka_unit_test(test_list_splice_moves_all_in_order),
		cmocka_unit_test(test_list_remove_anywhere),
		cmocka_unit_test(test_list_walk_may_remove_current),
		cmocka_unit_test(test_list_dlist_remove_anywhere),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
