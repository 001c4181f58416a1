/* Unit tests for store/buf.c: the bounds-checked cursor. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "buf.h"

static void test_buf_le_round_trip(void **state)
{
	uint8_t m[32];
	struct buf_wr w;
	struct buf_rd r;
	buf_wr_init(&w, m, sizeof m);
	buf_put_u8(&w, 0xab);
	buf_put_le16(&w, 0x1234);
	buf_put_le32(&w, 0xdeadbeef);
	buf_put_le64(&w, 0x0102030405060708ull);
	buf_put_be16(&w, 0x1234);
	buf_put_be32(&w, 0xcafebabe);
	assert_false(w.err);
	assert_int_equal(w.off, 1 + 2 + 4 + 8 + 2 + 4);
	/* little-endian on every host: the byte order is fixed */
	assert_int_equal(m[1], 0x34);
	assert_int_equal(m[2], 0x12);
	assert_int_equal(m[3], 0xef);
	assert_int_equal(m[7], 0x08);
	assert_int_equal(m[15], 0x12);
	assert_int_equal(m[16], 0x34);
	buf_rd_init(&r, m, w.off);
	assert_int_equal(buf_get_u8(&r), 0xab);
	assert_int_equal(buf_get_le16(&r), 0x1234);
	assert_int_equal(buf_get_le32(&r), 0xdeadbeef);
	assert_true(buf_get_le64(&r) == 0x0102030405060708ull);
	assert_int_equal(buf_get_be16(&r), 0x1234);
	assert_int_equal(buf_get_be32(&r), 0xcafebabe);
	assert_false(r.err);
	assert_int_equal(buf_left(&r), 0);
}

static void test_buf_short_read_is_sticky(void **state)
{
	uint8_t m[3] = {1, 2, 3};
	struct buf_rd r;
	buf_rd_init(&r, m, sizeof m);
	assert_int_equal(buf_get_le16(&r), 0x0201);
	assert_int_equal(buf_get_le32(&r), 0);	/* only one byte left */
	assert_true(r.err);
	assert_int_equal(buf_get_u8(&r), 0);	/* sticky: even though a byte is left */
	assert_null(buf_get_bytes(&r, 1));
	assert_int_equal(buf_left(&r), 0);
}

static void test_buf_write_overflow_writes_nothing(void **state)
{
	uint8_t m[4] = {9, 9, 9, 9};
	struct buf_wr w;
	buf_wr_init(&w, m, 3);
	buf_put_le32(&w, 0x01020304);
	assert_true(w.err);
	assert_int_equal(w.off, 0);
	assert_int_equal(m[0], 9);
	assert_int_equal(m[3], 9);
	buf_put_u8(&w, 1);
	assert_int_equal(m[0], 9);
}

static void test_buf_varint_edges(void **state)
{
	const uint64_t vals[] = {0, 1, 127, 128, 300, 16383, 16384, UINT32_MAX, (uint64_t)1 << 63,
				 UINT64_MAX};
	const int64_t svals[] = {0, -1, 1, -64, 64, INT64_MIN, INT64_MAX, -1234567890123LL};
	uint8_t m[256];
	struct buf_wr w;
	struct buf_rd r;
	buf_wr_init(&w, m, sizeof m);
	for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++)
		buf_put_varint(&w, vals[i]);
	for (size_t i = 0; i < sizeof svals / sizeof svals[0]; i++)
		buf_put_svarint(&w, svals[i]);
	assert_false(w.err);
	assert_int_equal(m[0], 0);	/* 0 is one byte */
	buf_rd_init(&r, m, w.off);
	for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++)
		assert_true(buf_get_varint(&r) == vals[i]);
	for (size_t i = 0; i < sizeof svals / sizeof svals[0]; i++)
		assert_true(buf_get_svarint(&r) == svals[i]);
	assert_false(r.err);
	assert_int_equal(buf_left(&r), 0);
}

static void test_buf_varint_rejects_overlong(void **state)
{
	uint8_t eleven[11];
	struct buf_rd r;
	memset(eleven, 0x80, sizeof eleven);
	buf_rd_init(&r, eleven, sizeof eleven);
	buf_get_varint(&r);
	assert_true(r.err);
	/* ten bytes whose last carries more than the 64th bit */
	uint8_t big[10];
	memset(big, 0xff, 9);
	big[9] = 0x02;
	buf_rd_init(&r, big, sizeof big);
	buf_get_varint(&r);
	assert_true(r.err);
	/* a varint cut short */
	uint8_t cut[2] = {0x80, 0x80};
	buf_rd_init(&r, cut, sizeof cut);
	buf_get_varint(&r);
	assert_true(r.err);
}

static void test_buf_text_primitives(void **state)
{
	static const char line[] = "  key = 65535, 65536,x\0y";
	struct buf_rd b;
	uint64_t v = 7;
	size_t n;
	(void)state;
	buf_rd_init(&b, line, sizeof line - 1);
	assert_int_equal(buf_skip_while(&b, " \t"), 2);
	assert_int_equal(buf_peek(&b), 'k');
	assert_int_equal(buf_peek_at(&b, 2), 'y');
	const uint8_t *k = buf_take_until(&b, ' ', &n);
	assert_int_equal(n, 3);
	assert_memory_equal(k, "key", 3);
	assert_int_equal(buf_take_byte(&b, '='), 0);	/* a space first */
	buf_skip_while(&b, " ");
	assert_int_equal(buf_take_byte(&b, '='), 1);
	buf_skip_while(&b, " ");
	assert_int_equal(buf_get_dec(&b, 65535, &v), 0);
	assert_int_equal(v, 65535);
	assert_int_equal(buf_take_byte(&b, ','), 1);
	buf_skip_while(&b, " ");
	size_t at = b.off;
	assert_int_equal(buf_get_dec(&b, 65535, &v), -1);	/* too large: the cursor stays */
	assert_int_equal(b.off, at);
	assert_int_equal(v, 65535);
	assert_int_equal(buf_get_dec(&b, 65536, &v), 0);
	assert_int_equal(v, 65536);
	assert_int_equal(buf_get_dec(&b, 9, &v), -1);	/* no digit */
	assert_int_equal(buf_get_dec(&(struct buf_rd){(const uint8_t *)"7", 1, 0, 0}, 5, &v), -1);
	buf_take_byte(&b, ',');
	k = buf_take_until(&b, ';', &n);	/* no stop: the rest, NUL included */
	assert_int_equal(n, 3);
	assert_int_equal(buf_peek(&b), -1);
	assert_int_equal(buf_peek_at(&b, 0), -1);
	assert_int_equal(buf_skip_while(&b, "x"), 0);
	assert_false(b.err);	/* none of them sets it */
	assert_int_equal(buf_get_dec(&(struct buf_rd){(const uint8_t *)"18446744073709551615", 20, 0, 0},
				     UINT64_MAX, &v), 0);
	assert_true(v == UINT64_MAX);
	assert_int_equal(buf_get_dec(&(struct buf_rd){(const uint8_t *)"18446744073709551616", 20, 0, 0},
				     UINT64_MAX, &v), -1);
}

static int is_alpha(int c)
{
	return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
}

static void test_buf_take_while_expect_hex_trim(void **state)
{
	static const char s[] = "GET /x HTTP/1.1 ff 0x1F FFFFFFFFFFFFFFFFF g";
	struct buf_rd b;
	uint64_t v = 7;
	size_t n;
	(void)state;
	buf_rd_init(&b, s, sizeof s - 1);
	const uint8_t *w = buf_take_while(&b, is_alpha, &n);
	assert_int_equal(n, 3);
	assert_memory_equal(w, "GET", 3);
	w = buf_take_while(&b, is_alpha, &n);	/* none: empty, at the cursor */
	assert_int_equal(n, 0);
	assert_ptr_equal(w, b.p + b.off);
	assert_int_equal(buf_expect(&b, " /y"), 0);	/* no match: nothing consumed */
	assert_int_equal(b.off, 3);
	assert_int_equal(buf_expect(&b, " /x"), 1);
	assert_int_equal(b.off, 6);
	assert_int_equal(buf_expect(&b, ""), 1);
	assert_int_equal(buf_expect(&b, " HTTP/1.1 ff 0x1F FFFFFFFFFFFFFFFFF g+"), 0);	/* past the end */
	assert_int_equal(buf_expect(&b, " HTTP/1.1 "), 1);
	assert_int_equal(buf_get_hex(&b, 0xff, &v), 0);
	assert_int_equal(v, 0xff);
	buf_skip_while(&b, " ");
	assert_int_equal(buf_get_hex(&b, UINT64_MAX, &v), 0);	/* "0x" is a 0 and a stop */
	assert_int_equal(v, 0);
	assert_int_equal(buf_peek(&b), 'x');
	buf_skip(&b, 1);
	size_t at = b.off;
	assert_int_equal(buf_get_hex(&b, 0x1e, &v), -1);	/* above max: the cursor stays */
	assert_int_equal(b.off, at);
	assert_int_equal(buf_get_hex(&b, 0x1f, &v), 0);
	assert_int_equal(v, 0x1f);
	buf_skip_while(&b, " ");
	at = b.off;
	assert_int_equal(buf_get_hex(&b, UINT64_MAX, &v), -1);	/* 17 digits overflow */
	assert_int_equal(b.off, at);
	buf_skip(&b, 17);
	buf_skip_while(&b, " ");
	assert_int_equal(buf_get_hex(&b, UINT64_MAX, &v), -1);	/* 'g' is no digit */
	assert_int_equal(buf_hexval('A'), 10);
	assert_int_equal(buf_hexval('G'), -1);
	assert_int_equal(buf_hexval(-1), -1);
	assert_false(b.err);
	/* after an error every one of them takes nothing */
	b.err = 1;
	w = buf_take_while(&b, is_alpha, &n);
	assert_int_equal(n, 0);
	assert_int_equal(buf_expect(&b, ""), 1);
	assert_int_equal(buf_expect(&b, "g"), 0);

	static const char f[] = " \t a b \r\n";
	buf_rd_init(&b, f, sizeof f - 1);
	buf_trim(&b, " \t\r\n");
	assert_int_equal(buf_left(&b), 3);
	assert_memory_equal(b.p + b.off, "a b", 3);
	buf_rd_init(&b, "  ", 2);
	buf_trim(&b, " ");
	assert_int_equal(buf_left(&b), 0);
	buf_rd_init(&b, "a\0", 2);	/* a NUL is in no set */
	buf_trim(&b, " ");
	assert_int_equal(buf_left(&b), 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buf_text_primitives),
		cmocka_unit_test(test_buf_take_while_expect_hex_trim),
		cmocka_unit_test(test_buf_le_round_trip),
		cmocka_unit_test(test_buf_short_read_is_sticky),
		cmocka_unit_test(test_buf_write_overflow_writes_nothing),
		cmocka_unit_test(test_buf_varint_edges),
		cmocka_unit_test(test_buf_varint_rejects_overlong),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
