/*
 * test_bus: name normalisation, delivery order, counting of invalid
 * names, the candidates event, and bounded nesting.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "bus.h"
#include "clock.h"
#include "sched.h"

static char got[512];

static void record(struct bus_sub *s, const struct bus_cand *c)
{
	strcat(got, s->name);
	strcat(got, ":");
	strcat(got, c->name);
	strcat(got, " ");
}

static void test_bus_name_norm_accepts_and_lowercases(void **state)
{
	char out[BUS_NAME_MAX + 1];
	assert_int_equal(bus_name_norm("WWW.Example.COM.", 16, out), 15);
	assert_string_equal(out, "www.example.com");
	assert_int_equal(bus_name_norm("_dmarc.x-y.example", 18, out), 18);
	assert_int_equal(bus_name_norm("a", 1, out), 1);
	char label63[64];
	memset(label63, 'a', 63);
	assert_int_equal(bus_name_norm(label63, 63, out), 63);
}

static void test_bus_name_norm_rejects(void **state)
{
	char out[BUS_NAME_MAX + 1], big[300];
	assert_int_equal(bus_name_norm("", 0, out), -1);
	assert_int_equal(bus_name_norm(".", 1, out), -1);
	assert_int_equal(bus_name_norm("a..b", 4, out), -1);
	assert_int_equal(bus_name_norm(".a", 2, out), -1);
	assert_int_equal(bus_name_norm("a b", 3, out), -1);
	assert_int_equal(bus_name_norm("a..", 3, out), -1);
	assert_int_equal(bus_name_norm("a.b..", 5, out), -1);
	assert_int_equal(bus_name_norm("a\0b", 3, out), -1);
	assert_int_equal(bus_name_norm("caf\xc3\xa9.fr", 8, out), -1);
	assert_int_equal(bus_name_norm("x/y", 3, out), -1);
	memset(big, 'a', 64);
	assert_int_equal(bus_name_norm(big, 64, out), -1);	/* label of 64 */
	for (int i = 0; i < 300; i++)
		big[i] = i % 10 == 9 ? '.' : 'a';
	assert_int_equal(bus_name_norm(big, 253, out), 253);
	assert_int_equal(bus_name_norm(big, 254, out), -1);
}

static void test_bus_delivers_in_subscription_order(void **state)
{
	struct bus b;
	struct bus_sub s1 = {.name = "one", .on_candidate = record};
	struct bus_sub s2 = {.name = "two", .on_candidate = record};
	got[0] = 0;
	bus_init(&b, NULL);
	bus_subscribe(&b, &s1);
	bus_subscribe(&b, &s2);
	assert_int_equal(bus_publish(&b, "A.example", 9, BUS_SRC_OPERATOR), 0);
	assert_int_equal(bus_publish(&b, "b.example.", 10, BUS_SRC_WATCHLIST), 0);
	assert_string_equal(got, "one:a.example two:a.example one:b.example two:b.example ");
	assert_int_equal(b.published, 2);
	assert_int_equal(s1.delivered, 2);
	bus_unsubscribe(&b, &s1);
	got[0] = 0;
	bus_publish(&b, "c", 1, BUS_SRC_OPERATOR);
	assert_string_equal(got, "two:c ");
	bus_fini(&b);
}

static void test_bus_invalid_names_counted_not_delivered(void **state)
{
	struct bus b;
	struct bus_sub s1 = {.name = "one", .on_candidate = record};
	got[0] = 0;
	bus_init(&b, NULL);
	bus_subscribe(&b, &s1);
	assert_int_equal(bus_publish(&b, "bad name", 8, BUS_SRC_OPERATOR), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(b.invalid, 1);
	assert_int_equal(b.published, 0);
	assert_string_equal(got, "");
}

static int ran;
static int count_run(struct sched_task *t)
{
	ran++;
	return SCHED_OK;
}

static void test_bus_raises_candidates_event(void **state)
{
	struct sched s;
	struct bus b;
	struct sched_task t;
	clock_fake(1750000000LL * 1000000);
	sched_init(&s);
	sched_task_init(&t, "consumer", count_run, NULL);
	sched_on(&t, SCHED_EV_CANDIDATES);
	sched_add(&s, &t);
	bus_init(&b, &s);
	ran = 0;
	sched_run(&s);
	assert_int_equal(ran, 0);
	bus_publish(&b, "x.example", 9, BUS_SRC_OPERATOR);
	bus_publish(&b, "y.example", 9, BUS_SRC_OPERATOR);
	sched_run(&s);
	assert_int_equal(ran, 1);	/* one batch for both */
	bus_publish(&b, "bad..", 5, BUS_SRC_OPERATOR);
	sched_run(&s);
	assert_int_equal(ran, 1);	/* nothing arrived */
	sched_fini(&s);
	clock_fake(0);
}

static struct bus *echo_bus;
static void echo(struct bus_sub *s, const struct bus_cand *c)
{
	char name[300];
	s->arg = (void *)((uintptr_t)s->arg + 1);
	snprintf(name, sizeof name, "x.%s", c->name);
	bus_publish(echo_bus, name, strlen(name), BUS_SRC_OPERATOR);
}

static void test_bus_nested_publish_is_bounded(void **state)
{
	struct bus b;
	struct bus_sub s = {.name = "echo", .on_candidate = echo, .arg = NULL};
	bus_init(&b, NULL);
	echo_bus = &b;
	bus_subscribe(&b, &s);
	assert_int_equal(bus_publish(&b, "a", 1, BUS_SRC_OPERATOR), 0);
	assert_int_equal((uintptr_t)s.arg, BUS_MAX_DEPTH);
	assert_int_equal(b.dropped, 1);
}

static struct bus *leave_bus;
static void leave(struct bus_sub *s, const struct bus_cand *c)
{
	bus_unsubscribe(leave_bus, s);
}

static void test_bus_unsubscribe_during_delivery(void **state)
{
	struct bus b;
	struct bus_sub s1 = {.name = "leaver", .on_candidate = leave};
	struct bus_sub s2 = {.name = "two", .on_candidate = record};
	got[0] = 0;
	bus_init(&b, NULL);
	leave_bus = &b;
	bus_subscribe(&b, &s1);
	bus_subscribe(&b, &s2);
	bus_publish(&b, "a", 1, BUS_SRC_OPERATOR);
	bus_publish(&b, "b", 1, BUS_SRC_OPERATOR);
	assert_string_equal(got, "two:a two:b ");
	assert_int_equal(s1.delivered, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bus_name_norm_accepts_and_lowercases),
		cmocka_unit_test(test_bus_name_norm_rejects),
		cmocka_unit_test(test_bus_delivers_in_subscription_order),
		cmocka_unit_test(test_bus_invalid_names_counted_not_delivered),
		cmocka_unit_test(test_bus_raises_candidates_event),
		cmocka_unit_test(test_bus_nested_publish_is_bounded),
		cmocka_unit_test(test_bus_unsubscribe_during_delivery),
	};
	return cmocka_run_group_tests_name("bus", tests, NULL, NULL);
}
