/*
 * test_heap: sensor/heap.h's min-heap against a brute-force minimum over
 * the members the test keeps: pops in order (ties by sequence), deletion
 * from the top, the middle and the end, every member's stored position
 * after each operation, and heap_reserve's refusal of an impossible size
 * without losing what the heap holds.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "heap.h"

struct item {
	int key;
	unsigned seq;
	uint32_t pos;
	int in;
};

static int before(const void *pa, const void *pb)
{
	const struct item *a = pa, *b = pb;
	return a->key < b->key || (a->key == b->key && a->seq < b->seq);
}

static void ins(struct heap *h, struct item *it)
{
	heap_insert(h, it, before, offsetof(struct item, pos));
	it->in = 1;
}

static void del(struct heap *h, struct item *it)
{
	heap_delete(h, it, before, offsetof(struct item, pos));
	it->in = 0;
}

/* Every member knows its position, no member is before its parent, and
 * the heap holds exactly the items marked in. */
static void check(const struct heap *h, const struct item *it, size_t n)
{
	size_t in = 0;
	for (size_t i = 0; i < n; i++)
		in += (size_t)it[i].in;
	assert_int_equal(h->n, in);
	for (size_t i = 0; i < h->n; i++) {
		const struct item *e = h->v[i];
		assert_true(e->in);
		assert_int_equal(e->pos, i);
		if (i > 0)
			assert_false(before(e, h->v[(i - 1) / 2]));
	}
}

/* The item marked in that comes first, or NULL. */
static struct item *least(struct item *it, size_t n)
{
	struct item *m = NULL;
	for (size_t i = 0; i < n; i++)
		if (it[i].in && (!m || before(&it[i], m)))
			m = &it[i];
	return m;
}

static void test_heap_pops_in_order_ties_first_in(void **st)
{
	enum { N = 200 };
	struct item it[N];
	struct heap h;
	heap_init(&h);
	assert_null(heap_top(&h));
	assert_int_equal(heap_reserve(&h, N), 0);
	for (unsigned i = 0; i < N; i++) {
		it[i] = (struct item){.key = (int)(i * 7919 % 13), .seq = i};
		ins(&h, &it[i]);
		check(&h, it, i + 1);
	}
	int last_key = -1;
	unsigned last_seq = 0;
	while (heap_top(&h)) {
		struct item *t = heap_top(&h);
		assert_ptr_equal(t, least(it, N));
		assert_true(t->key > last_key || (t->key == last_key && t->seq > last_seq));
		last_key = t->key, last_seq = t->seq;
		del(&h, t);
		check(&h, it, N);
	}
	assert_int_equal(h.n, 0);
	heap_fini(&h);
	assert_null(h.v);
}

static void test_heap_delete_anywhere_keeps_order(void **st)
{
	enum { N = 64 };
	struct item it[N];
	struct heap h;
	heap_init(&h);
	assert_int_equal(heap_reserve(&h, N), 0);
	uint32_t x = 12345;
	for (unsigned i = 0; i < N; i++) {
		x = x * 1103515245u + 12345u;
		it[i] = (struct item){.key = (int)(x >> 16) % 50, .seq = i};
		ins(&h, &it[i]);
	}
	/* the last slot, a middle one, then members chosen at random; each
	 * taken out member comes back with a new key (a task queued again) */
	del(&h, h.v[h.n - 1]);
	check(&h, it, N);
	del(&h, h.v[h.n / 2]);
	check(&h, it, N);
	unsigned seq = N;
	for (int round = 0; round < 2000; round++) {
		x = x * 1103515245u + 12345u;
		struct item *e = &it[(x >> 16) % N];
		if (e->in) {
			del(&h, e);
		} else {
			e->key = (int)(x >> 8) % 50;
			e->seq = seq++;
			ins(&h, e);
		}
		check(&h, it, N);
		assert_ptr_equal(heap_top(&h), least(it, N));
	}
	heap_fini(&h);
}

static void test_heap_reserve_grows_and_refuses_overflow(void **st)
{
	struct item a = {.key = 1}, b = {.key = 0, .seq = 1};
	struct heap h;
	heap_init(&h);
	assert_int_equal(heap_reserve(&h, 1), 0);
	ins(&h, &a);
	assert_int_equal(heap_reserve(&h, 1000), 0);
	assert_true(h.cap >= 1000);
	assert_int_equal(heap_reserve(&h, SIZE_MAX), -1);
	assert_true(h.cap >= 1000 && h.n == 1 && h.v[0] == &a);
	ins(&h, &b);
	assert_ptr_equal(heap_top(&h), &b);
	assert_int_equal(a.pos, 1);
	heap_fini(&h);
	assert_int_equal(h.n, 0);
	assert_int_equal(h.cap, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_heap_pops_in_order_ties_first_in),
		cmocka_unit_test(test_heap_delete_anywhere_keeps_order),
		cmocka_unit_test(test_heap_reserve_grows_and_refuses_overflow),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
