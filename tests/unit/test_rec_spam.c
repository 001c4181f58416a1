/* Unit tests for store/rec_spam.c: the spam-extract record, its codec and index keys. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "index.h"
#include "mail.h"
#include "rec.h"
#include "rec_spam.h"

static const char mail[] =
	"Received: from bot ([198.51.100.7]) by mx.example\n"
	"From: Spammer <s@spam.example.co.uk>\nMessage-ID: <1@mid.example>\nSubject: Cheap =?utf-8?Q?pills?=\n"
	"Content-Type: multipart/mixed; boundary=b\n\n--b\n\n"
	"go to http://www.pills.example.com/buy and http://x.blogspot.com/\n"
	"--b\nContent-Type: application/zip; name=a.zip\nContent-Transfer-Encoding: base64\n\nYWJj\n--b--\n";

struct keys {
	int n;
	uint8_t k[64][INDEX_KEY_MAX];
	size_t l[64];
};

static int collect(void *ctx, const uint8_t *key, size_t klen)
{
	struct keys *ks = ctx;
	if (ks->n < 64) {
		memcpy(ks->k[ks->n], key, klen);
		ks->l[ks->n++] = klen;
	}
	return 0;
}

static int has_key(const struct keys *ks, const void *key, size_t klen)
{
	for (int i = 0; i < ks->n; i++)
		if (ks->l[i] == klen && !memcmp(ks->k[i], key, klen))
			return 1;
	return 0;
}

static void test_rec_spam_round_trip_and_keys(void **state)
{
	struct mail_opts o;
	struct mail_msg *m = malloc(sizeof *m);
	uint8_t *scratch = malloc(REC_SPAM_SCRATCH);
	uint8_t frame[8192];
	mail_opts_default(&o);
	assert_int_equal(mail_parse(mail, sizeof mail - 1, &o, m), 0);
	struct rec r, d;
	memset(&r, 0, sizeof r);
	rec_spam_from_mail(&r, m, "maildir", scratch);
	r.ts_us = 1700000000000000LL;
	long n = rec_encode(frame, sizeof frame, &r, 1700000000000000LL - 5);
	assert_true(n > 0);
	size_t fl;
	const char *why;
	assert_int_equal(rec_frame_check(frame, (size_t)n, &fl, &why), 1);
	assert_int_equal(rec_decode(frame, fl, 1700000000000000LL - 5, &d, &why), 1);
	const struct rec_spam *s = &d.u.spam;
	assert_int_equal(d.type, REC_SPAM);
	assert_int_equal(s->op, REC_SPAM_EXTRACT);
	assert_memory_equal(s->digest, m->digest, 32);
	assert_int_equal(s->source_len, 7);
	assert_int_equal(s->sender.family, 4);
	assert_int_equal(s->sender.addr[3], 7);
	assert_int_equal(s->subject_len, strlen("Cheap pills"));
	assert_memory_equal(s->subject, "Cheap pills", s->subject_len);
	assert_memory_equal(s->from, "spam.example.co.uk", s->from_len);
	assert_int_equal(s->n_hosts, 2);
	size_t off = 0, len, dl;
	const char *h;
	assert_int_equal(rec_spam_host_next(s, &off, &h, &len, &dl), 1);
	assert_int_equal(len, strlen("www.pills.example.com"));
	assert_memory_equal(h + len - dl, "example.com", dl);
	assert_int_equal(rec_spam_host_next(s, &off, &h, &len, &dl), 1);
	assert_int_equal(dl, len);	/* x.blogspot.com is its own registered domain */
	assert_int_equal(rec_spam_host_next(s, &off, &h, &len, &dl), 0);
	off = 0;
	const char *u;
	int urls = 0;
	while (rec_spam_url_next(s, &off, &u, &len))
		urls++;
	assert_int_equal(urls, 2);
	struct rec_spam_att a;
	off = 0;
	assert_int_equal(rec_spam_att_next(s, &off, &a), 1);
	assert_int_equal(a.size, 3);
	assert_memory_equal(a.name, "a.zip", a.name_len);
	assert_int_equal(rec_spam_att_next(s, &off, &a), 0);

	struct keys ks = {0};
	uint8_t k[INDEX_KEY_MAX];
	index_rec_keys(&d, collect, &ks);
	assert_true(has_key(&ks, "mwww.pills.example.com", 22));
	assert_true(has_key(&ks, "mexample.com", 12));
	assert_true(has_key(&ks, "mspam.example.co.uk", 19));
	assert_true(has_key(&ks, "mmid.example", 12));
	assert_true(has_key(&ks, k, index_key_bytes(k, IX_SENDER, s->sender.addr, 4)));
	assert_true(has_key(&ks, k, index_key_bytes(k, IX_ATTACH, a.sha256, 32)));
	assert_true(has_key(&ks, k, index_key_bytes(k, IX_DIGEST, m->digest, 32)));
	assert_true(has_key(&ks, "smaildir", 8));

	/* a repeat carries the digest and the source only */
	struct rec rp = {.type = REC_SPAM, .ts_us = r.ts_us};
	rp.u.spam = (struct rec_spam){.op = REC_SPAM_REPEAT, .digest = m->digest, .source = "import", .source_len = 6};
	n = rec_encode(frame, sizeof frame, &rp, r.ts_us);
	assert_int_equal(n, 8 + 1 + 1 + 1 + 32 + 1 + 6);
	assert_int_equal(rec_decode(frame, (size_t)n, r.ts_us, &d, &why), 1);
	assert_int_equal(d.u.spam.op, REC_SPAM_REPEAT);
	assert_memory_equal(d.u.spam.digest, m->digest, 32);
	free(m);
	free(scratch);
}

static void test_rec_spam_rejects_hostile_payloads(void **state)
{
	struct mail_opts o;
	struct mail_msg *m = malloc(sizeof *m);
	uint8_t *scratch = malloc(REC_SPAM_SCRATCH);
	uint8_t frame[8192], bad[8192];
	mail_opts_default(&o);
	assert_int_equal(mail_parse(mail, sizeof mail - 1, &o, m), 0);
	struct rec r = {0}, d;
	rec_spam_from_mail(&r, m, "maildir", scratch);
	long n = rec_encode(frame, sizeof frame, &r, 0);
	assert_true(n > 0);
	const char *why;
	/* every cut and every single-byte change decodes or is refused; never read out of the frame */
	for (long cut = 10; cut < n; cut++) {
		memcpy(bad, frame, (size_t)cut);
		assert_int_equal(rec_decode(bad, (size_t)cut, 0, &d, &why), -1);
	}
	int refused = 0;
	for (long i = 8; i < n; i++) {
		for (int v = 0; v < 256; v += 51) {
			memcpy(bad, frame, (size_t)n);
			bad[i] = (uint8_t)v;
			if (rec_decode(bad, (size_t)n, 0, &d, &why) < 0) {
				refused++;
				continue;
			}
			/* what decodes can be walked to its end */
			size_t off = 0, len, dl;
			const char *h;
			while (rec_spam_host_next(&d.u.spam, &off, &h, &len, &dl))
				assert_true(h + len <= (const char *)bad + n);
		}
	}
	assert_true(refused > 0);
	/* invalid to encode: a bad op, a host list that does not add up */
	struct rec e = r;
	e.u.spam.op = 9;
	assert_int_equal(rec_encode(frame, sizeof frame, &e, 0), -1);
	e = r;
	e.u.spam.n_hosts += 1;
	assert_int_equal(rec_encode(frame, sizeof frame, &e, 0), -1);
	free(m);
	free(scratch);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rec_spam_round_trip_and_keys),
		cmocka_unit_test(test_rec_spam_rejects_hostile_payloads),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
