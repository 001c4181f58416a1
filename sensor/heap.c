/*
 * heap: storage of the binary min-heap (heap.h); the sift operations are
 * inline in the header.
 */
#include <stdint.h>
#include <stdlib.h>

#include "heap.h"

void heap_init(struct heap *h)
{
	*h = (struct heap){0};
}

int heap_reserve(struct heap *h, size_t n)
{
	if (n <= h->cap)
		return 0;
#if SIZE_MAX > UINT32_MAX
	if (n > UINT32_MAX)
		return -1;	/* positions are 32 bits (heap.h) */
#endif
	size_t cap = h->cap ? h->cap : 16;
	while (cap < n) {
		if (cap > SIZE_MAX / 2 / sizeof *h->v)
			return -1;
		cap *= 2;
	}
	void **v = realloc(h->v, cap * sizeof *v);
	if (!v)
		return -1;
	h->v = v;
	h->cap = cap;
	return 0;
}

void heap_fini(struct heap *h)
{
	free(h->v);
	h->v = NULL;
	h->n = h->cap = 0;
}
