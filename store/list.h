/*
 * list.h: the intrusive lists TIP uses, so that no module links its own.
 * A struct that goes on a list embeds a link and is recovered from it with
 * container_of (cdefs.h); the lists never allocate.
 *
 * struct fifo keeps its members in the order they came, with its length:
 * pushed at the tail, taken at the head (a worker's jobs), spliced whole
 * onto another in O(1) (a writer's batch of records handed from the loop
 * thread to the writer thread under a lock), or taken out from anywhere by
 * a walk (connections, subscribers: at most a few hundred members, where
 * the walk costs less than the close(2) that comes with it; a doubly
 * linked list would cost every member a second pointer for nothing).
 *
 * No locking: the owner of the list holds whatever lock it needs.
 */
#ifndef TIP_LIST_H
#define TIP_LIST_H

#include <stddef.h>

#include "cdefs.h"

struct link {
	struct link *next;
};

struct fifo {
	struct link *first, **last;
	size_t n;
};

static inline void fifo_init(struct fifo *q)
{
	q->first = NULL;
	q->last = &q->first;
	q->n = 0;
}

static inline int fifo_empty(const struct fifo *q)
{
	return q->first == NULL;
}

static inline void fifo_push(struct fifo *q, struct link *l)
{
	l->next = NULL;
	*q->last = l;
	q->last = &l->next;
	q->n++;
}

/* The head, taken off, or NULL. */
static inline struct link *fifo_pop(struct fifo *q)
{
	struct link *l = q->first;
	if (!l)
		return NULL;
	q->first = l->next;
	if (!q->first)
		q->last = &q->first;
	q->n--;
	l->next = NULL;
	return l;
}

/* Move every member of src to the tail of dst, in order; src is left empty. */
static inline void fifo_splice(struct fifo *dst, struct fifo *src)
{
	if (!src->first)
		return;
	*dst->last = src->first;
	dst->last = src->last;
	dst->n += src->n;
	fifo_init(src);
}

/* dst (any state: overwritten) takes every member of src, which is left empty. */
static inline void fifo_take(struct fifo *dst, struct fifo *src)
{
	fifo_init(dst);
	fifo_splice(dst, src);
}

/* Walk q (the body may not take members off; see fifo_pop). */
#define fifo_each(l, q) for (struct link *l = (q)->first; l; l = l->next)

/* Take l off q, wherever it is (a walk: for short lists); 0, or -1 when
   l was not on q. */
static inline int fifo_remove(struct fifo *q, struct link *l)
{
	for (struct link **pp = &q->first; *pp; pp = &(*pp)->next)
		if (*pp == l) {
			*pp = l->next;
			if (q->last == &l->next)
				q->last = pp;
			l->next = NULL;
			q->n--;
			return 0;
		}
	return -1;
}

/* Walk q while the body may remove l itself (the next link is read first). */
#define fifo_each_safe(l, q)                                                                       \
	for (struct link *l = (q)->first, *l##_nx = l ? l->next : NULL; l;                         \
	     l = l##_nx, l##_nx = l ? l->next : NULL)

/*
 * struct dlist: where members leave from anywhere, often, and there are
 * many (the resolver's queries in flight, an LRU): doubly linked, so
 * taking one off is O(1).  Pushed at the tail, so the head is the oldest.
 */
struct dlink {
	struct dlink *prev, *next;
};

struct dlist {
	struct dlink *head, *tail;
	size_t n;
};

static inline void dlist_init(struct dlist *d)
{
	d->head = d->tail = NULL;
	d->n = 0;
}

static inline void dlist_push(struct dlist *d, struct dlink *l)
{
	l->next = NULL;
	l->prev = d->tail;
	if (d->tail)
		d->tail->next = l;
	else
		d->head = l;
	d->tail = l;
	d->n++;
}

/* Take l off d, which it must be on. */
static inline void dlist_remove(struct dlist *d, struct dlink *l)
{
	if (l->prev)
		l->prev->next = l->next;
	else
		d->head = l->next;
	if (l->next)
		l->next->prev = l->prev;
	else
		d->tail = l->prev;
	l->next = l->prev = NULL;
	d->n--;
}

/* Walk d from the oldest (the body may not take members off). */
#define dlist_each(l, d) for (struct dlink *l = (d)->head; l; l = l->next)

#endif
