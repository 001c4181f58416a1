/*
 * fuzz_watchlist: the operator's watch-list file (sensor/mod_watchlist.c):
 * its lines split as the module does and each name published on a bus,
 * whose subscriber sees only normalised names.
 */
#include <stddef.h>
#include <string.h>

#include "bus.h"
#include "fuzz.h"
#include "watchlist.h"

static unsigned long delivered;

static void on_cand(struct bus_sub *sub, const struct bus_cand *c)
{
	FUZZ_CHECK(c->len > 0 && c->len <= BUS_NAME_MAX && strlen(c->name) == c->len);
	for (size_t i = 0; i < c->len; i++)
		FUZZ_CHECK(!(c->name[i] >= 'A' && c->name[i] <= 'Z'));
	delivered++;
}

static void on_name(void *ctx, const char *name, size_t len, int line, size_t col)
{
	const uint8_t *lo = ((const uint8_t **)ctx)[0], *hi = ((const uint8_t **)ctx)[1];
	struct bus *b = ((struct bus **)ctx)[2];
	FUZZ_CHECK((const uint8_t *)name >= lo && (const uint8_t *)name + len <= hi && len > 0);
	FUZZ_CHECK(line > 0);
	/* col counts from the line's start: the bytes before the name hold no newline */
	FUZZ_CHECK(col >= 1 && col <= (size_t)((const uint8_t *)name - lo) + 1);
	FUZZ_CHECK(!memchr(name - (col - 1), '\n', col - 1));
	FUZZ_CHECK(name - (col - 1) == (const char *)lo || name[-(ptrdiff_t)col] == '\n');
	bus_publish(b, name, len, BUS_SRC_WATCHLIST);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bus b;
	struct bus_sub sub = {.name = "fuzz", .on_candidate = on_cand};
	bus_init(&b, NULL);
	bus_subscribe(&b, &sub);
	delivered = 0;
	const void *ctx[3] = {data, data + size, &b};
	watchlist_scan(data, size, on_name, ctx);
	FUZZ_CHECK(delivered == b.published);
	bus_unsubscribe(&b, &sub);
	bus_fini(&b);
	return 0;
}
