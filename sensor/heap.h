/*
 * heap: a binary min-heap of pointers, the one heap of the sensor (the
 * scheduler's due tasks, the fast-flux module's due domains).  The caller
 * gives the order (before: a strictly before b) and where each member
 * keeps its position (idx_off: offsetof a uint32_t in the member: four
 * bytes, not eight, in each of a hundred thousand watched domains; a heap
 * holds fewer than 2^32 members), so a queued member is removed in
 * O(log n) without a search.  The heap never allocates behind the caller's back:
 * heap_reserve makes room, heap_insert then cannot fail.
 *
 * Invariant: for every i < n, v[i] holds its position i at idx_off, and
 * no member is before its parent v[(i - 1) / 2].  Ties keep no particular
 * order: a caller that wants first-in first-out breaks them in before (a
 * sequence number).
 *
 * before and idx_off are arguments of each operation, not fields: the
 * operations are inline, and a caller that passes its static before and
 * an offsetof gets the comparison inlined into the sift loops (an
 * indirect call a comparison made the scheduler's dispatch a fifth
 * slower).  A caller wraps them once with its own before and offset.
 */
#ifndef TIP_HEAP_H
#define TIP_HEAP_H

#include <stddef.h>
#include <stdint.h>

typedef int (*heap_before_fn)(const void *a, const void *b);

struct heap {
	void **v;
	size_t n, cap;
};

void heap_init(struct heap *h);
/* Room for n members in all; 0, or -1 out of memory (the heap unchanged). */
int heap_reserve(struct heap *h, size_t n);
void heap_fini(struct heap *h);

#define HEAP_INLINE static inline __attribute__((always_inline))

HEAP_INLINE void heap_place_(struct heap *h, size_t i, void *e, size_t idx_off)
{
	h->v[i] = e;
	*(uint32_t *)(void *)((char *)e + idx_off) = (uint32_t)i;
}

HEAP_INLINE void heap_sift_up_(struct heap *h, size_t i, heap_before_fn before, size_t idx_off)
{
	void *e = h->v[i];
	while (i > 0) {
		size_t p = (i - 1) / 2;
		if (!before(e, h->v[p]))
			break;
		heap_place_(h, i, h->v[p], idx_off);
		i = p;
	}
	heap_place_(h, i, e, idx_off);
}

HEAP_INLINE void heap_sift_down_(struct heap *h, size_t i, heap_before_fn before, size_t idx_off)
{
	void *e = h->v[i];
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= h->n)
			break;
		if (c + 1 < h->n && before(h->v[c + 1], h->v[c]))
			c++;
		if (!before(h->v[c], e))
			break;
		heap_place_(h, i, h->v[c], idx_off);
		i = c;
	}
	heap_place_(h, i, e, idx_off);
}

/* The first member, or NULL when empty. */
static inline void *heap_top(const struct heap *h)
{
	return h->n ? h->v[0] : NULL;
}

/* Add e; there is room (heap_reserve). */
HEAP_INLINE void heap_insert(struct heap *h, void *e, heap_before_fn before, size_t idx_off)
{
	heap_place_(h, h->n++, e, idx_off);
	heap_sift_up_(h, h->n - 1, before, idx_off);
}

/* Take e, a member, out. */
HEAP_INLINE void heap_delete(struct heap *h, void *e, heap_before_fn before, size_t idx_off)
{
	size_t i = *(const uint32_t *)(const void *)((const char *)e + idx_off);
	void *last = h->v[--h->n];
	if (i < h->n) {
		heap_place_(h, i, last, idx_off);
		if (i > 0 && before(last, h->v[(i - 1) / 2]))
			heap_sift_up_(h, i, before, idx_off);
		else
			heap_sift_down_(h, i, before, idx_off);
	}
}

#endif
