/*
 * test_enrich: the fast-flux module's address cache and question queue
 * (sensor/enrich.c): LRU eviction at the cap, a lookup that keeps an entry
 * young, a full queue that drops and counts, and answers read into an
 * entry (Cymru TXT, PTR) with the dirty flag set only on a change.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "enrich.h"

static void test_enrich_evicts_the_least_recently_used(void **state)
{
	struct enrich en;
	assert_int_equal(enrich_init(&en, 3, 4), 0);
	for (uint32_t ip = 1; ip <= 3; ip++)
		assert_non_null(enrich_get(&en, ip));
	assert_non_null(enrich_find(&en, 1));	/* 1 is young again: 2 is the oldest */
	assert_non_null(enrich_get(&en, 4));
	assert_int_equal(en.n, 3);
	assert_int_equal(en.evicted, 1);
	assert_null(enrich_find(&en, 2));
	assert_non_null(enrich_find(&en, 1));
	assert_non_null(enrich_find(&en, 3));
	assert_non_null(enrich_find(&en, 4));
	enrich_fini(&en);
}

static void test_enrich_queue_is_bounded(void **state)
{
	struct enrich en;
	struct enrich_q q;
	assert_int_equal(enrich_init(&en, 16, 2), 0);
	assert_int_equal(enrich_peek(&en, &q), 0);
	assert_int_equal(enrich_push(&en, 10, ENRICH_Q_TXT), 0);
	assert_int_equal(enrich_push(&en, 11, ENRICH_Q_PTR), 0);
	assert_int_equal(enrich_push(&en, 12, ENRICH_Q_TXT), -1);
	assert_int_equal(en.dropped, 1);
	assert_int_equal(enrich_peek(&en, &q), 1);
	assert_int_equal(q.ip, 10);
	assert_int_equal(q.kind, ENRICH_Q_TXT);
	enrich_pop(&en);
	assert_int_equal(enrich_push(&en, 13, ENRICH_Q_TXT), 0);	/* the ring wraps */
	assert_int_equal(enrich_peek(&en, &q), 1);
	assert_int_equal(q.ip, 11);
	enrich_pop(&en);
	assert_int_equal(enrich_peek(&en, &q), 1);
	assert_int_equal(q.ip, 13);
	enrich_pop(&en);
	assert_int_equal(enrich_peek(&en, &q), 0);
	enrich_fini(&en);
}

static struct resolver_answer one(enum resolver_type type, const char *text, struct resolver_rr *rr)
{
	struct resolver_answer a;
	memset(&a, 0, sizeof a);
	memset(rr, 0, sizeof *rr);
	rr->type = type;
	rr->len = (uint16_t)strlen(text);
	rr->u.text = text;
	a.outcome = RESOLVER_OK;
	a.n = 1;
	a.rr = rr;
	return a;
}

static void test_enrich_reads_answers_into_the_entry(void **state)
{
	struct enrich en;
	struct resolver_rr rr;
	struct resolver_answer a;
	int dyn;
	assert_int_equal(enrich_init(&en, 16, 4), 0);
	struct enrich_ip *e = enrich_get(&en, 0x2ded4c87);
	assert_non_null(e);
	a = one(RESOLVER_TXT, "3209 3320 | 45.237.0.0/16 | DE | ripencc | 2001-01-02", &rr);
	assert_int_equal(enrich_set_txt(e, &a, 1000, 3600, NULL), 1);
	assert_int_equal(e->asn[0], 3209);
	assert_int_equal(e->asn[1], 3320);
	assert_memory_equal(e->cc, "DE", 2);
	assert_int_equal(e->asn_st, ENRICH_DONE);
	assert_int_equal(e->expires_s, 4600);
	assert_int_equal(e->dirty, 1);
	e->dirty = 0;
	assert_int_equal(enrich_set_txt(e, &a, 2000, 3600, NULL), 1);
	assert_int_equal(e->dirty, 0);	/* the same answer changes nothing */
	/* a garbled answer keeps the known ASN and asks again sooner */
	struct cymru_err ce;
	a = one(RESOLVER_TXT, "3209 | 45.237.0/16 | DE", &rr);
	assert_int_equal(enrich_set_txt(e, &a, 3000, 3600, &ce), 0);
	assert_string_equal(ce.why, "origin: bad prefix");
	assert_int_equal(ce.off, 7);
	assert_int_equal(e->asn[0], 3209);
	assert_int_equal(e->asn_st, ENRICH_DONE);
	assert_int_equal(e->expires_s, 3000 + ENRICH_NEG_TTL_S);
	a = one(RESOLVER_PTR, "45-237-76-135.dyn.isp.example", &rr);
	assert_int_equal(enrich_set_ptr(e, &a, &dyn), 1);
	assert_int_equal(dyn, 1);
	assert_string_equal(e->ptr, "45-237-76-135.dyn.isp.example");
	assert_int_equal(e->ptr_st, ENRICH_DONE);
	a.outcome = RESOLVER_NXDOMAIN;
	assert_int_equal(enrich_set_ptr(e, &a, &dyn), 0);
	assert_int_equal(e->ptr_st, ENRICH_FAIL);
	assert_int_equal(enrich_ptr_dynamic("www.example.com", 15, 0x2ded4c87), 0);
	enrich_fini(&en);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_enrich_evicts_the_least_recently_used),
		cmocka_unit_test(test_enrich_queue_is_bounded),
		cmocka_unit_test(test_enrich_reads_answers_into_the_entry),
	};
	return cmocka_run_group_tests_name("enrich", tests, NULL, NULL);
}
