/*
 * bus: synchronous publish/subscribe of candidate domains (bus.h).
 * Invariant: a name reaches subscribers only after bus_name_norm accepted
 * it, so no subscriber ever sees an unchecked byte from outside.
 */
#include <errno.h>
#include <string.h>

#include "bus.h"
#include "clock.h"
#include "sched.h"

void bus_init(struct bus *b, struct sched *s)
{
	*b = (struct bus){0};
	fifo_init(&b->subs);
	b->sched = s;
}

void bus_fini(struct bus *b)
{
	fifo_init(&b->subs);
}

void bus_subscribe(struct bus *b, struct bus_sub *sub)
{
	fifo_push(&b->subs, &sub->link);
}

void bus_unsubscribe(struct bus *b, struct bus_sub *sub)
{
	(void)fifo_remove(&b->subs, &sub->link);
}

int bus_name_norm(const char *name, size_t len, char *out)
{
	size_t label = 0;
	if (len > 0 && name[len - 1] == '.')
		len--;
	if (len == 0 || len > BUS_NAME_MAX)
		return -1;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];
		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c - 'A' + 'a');
		if (c == '.') {
			if (label == 0)
				return -1;	/* empty label */
			label = 0;
		} else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
			   c == '-') {
			if (++label > 63)
				return -1;
		} else {
			return -1;
		}
		out[i] = (char)c;
	}
	if (label == 0)
		return -1;	/* "a." after the final dot went: an empty last label */
	/* no top-level domain is all digits: "1.2.3.4" is an address, not a name */
	size_t k = len;
	while (k > 0 && out[k - 1] >= '0' && out[k - 1] <= '9')
		k--;
	if (k == 0 || out[k - 1] == '.')
		return -1;
	out[len] = 0;
	return (int)len;
}

int bus_publish(struct bus *b, const char *name, size_t len, int source)
{
	char norm[BUS_NAME_MAX + 1];
	int n = bus_name_norm(name, len, norm);
	if (n < 0) {
		b->invalid++;
		errno = EINVAL;
		return -1;
	}
	if (b->depth >= BUS_MAX_DEPTH) {
		b->dropped++;
		errno = ELOOP;
		return -1;
	}
	struct bus_cand c = {norm, (size_t)n, source, clock_now_us()};
	b->published++;
	b->depth++;
	fifo_each_safe(l, &b->subs) {	/* a subscriber may leave during its call */
		struct bus_sub *s = container_of(l, struct bus_sub, link);
		s->delivered++;
		s->on_candidate(s, &c);
	}
	b->depth--;
	if (b->sched)
		sched_event(b->sched, SCHED_EV_CANDIDATES);
	return 0;
}

const char *bus_source_name(int source)
{
	switch (source) {
	case BUS_SRC_OPERATOR:
		return "operator";
	case BUS_SRC_WATCHLIST:
		return "watchlist";
	case BUS_SRC_BLACKLIST:
		return "blacklist";
	case BUS_SRC_SPAMTRAP:
		return "spamtrap";
	case BUS_SRC_PDNS:
		return "pdns";
	default:
		return "unknown";
	}
}

void bus_announce(struct bus *b, unsigned ev)
{
	b->announced++;
	if (b->sched)
		sched_event(b->sched, ev);
}
