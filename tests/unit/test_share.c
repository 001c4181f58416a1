/* Unit tests for store/share.c: fingerprints, request and response heads, listings. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "share.h"

#define S(x) (const uint8_t *)(x), strlen(x)

static void test_share_fp_round_trip(void **state)
{
	uint8_t fp[32], back[32];
	char text[SHARE_FP_TEXT];
	for (int k = 0; k < 3; k++) {
		for (int i = 0; i < 32; i++)
			fp[i] = (uint8_t)(k == 0 ? 0 : k == 1 ? 0xff : i * 37 + 11);
		share_fp_format(text, fp);
		assert_int_equal(strlen(text), 64);
		assert_int_equal(text[4], '-');
		assert_int_equal(share_fp_parse(text, back), 0);
		assert_memory_equal(fp, back, 32);
	}
	/* a known value: 32 zero bytes */
	memset(fp, 0, sizeof fp);
	share_fp_format(text, fp);
	assert_string_equal(text, "AAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AAAA");
	/* lower case and no dashes are the same key */
	assert_int_equal(share_fp_parse("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", back), 0);
	assert_memory_equal(fp, back, 32);
}

static void test_share_fp_parse_refuses_near_misses(void **state)
{
	uint8_t fp[32];
	/* 51 characters, 53 characters, a non-base32 digit, nonzero pad bits */
	assert_int_equal(share_fp_parse("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", fp), -1);
	assert_int_equal(share_fp_parse("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", fp), -1);
	assert_int_equal(share_fp_parse("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA1", fp), -1);
	assert_int_equal(share_fp_parse("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB", fp), -1);
	assert_int_equal(share_fp_parse("", fp), -1);
}

static void test_share_req_parse_list_and_range(void **state)
{
	struct share_req r;
	int st;
	const char *why;
	const char *a = "GET /segments HTTP/1.1\r\nHost: x\r\n\r\n";
	assert_int_equal(share_req_parse(S(a), &r, &st, &why), 1);
	assert_int_equal(r.what, SHARE_GET_LIST);
	assert_int_equal(r.head_len, strlen(a));
	const char *b = "GET /seg/20250101T000000Z-00000007 HTTP/1.1\r\nRange: bytes=100-\r\n"
			"Connection: close\r\n\r\nGET";
	assert_int_equal(share_req_parse(S(b), &r, &st, &why), 1);
	assert_int_equal(r.what, SHARE_GET_SEG);
	assert_string_equal(r.name, "20250101T000000Z-00000007");
	assert_true(r.has_range);
	assert_int_equal(r.range_first, 100);
	assert_true(r.range_last == UINT64_MAX);
	assert_true(r.close);
	assert_int_equal(r.head_len, strlen(b) - 3);
	const char *c = "GET /seg/20250101T000000Z-00000009.c00000002 HTTP/1.1\nRange: bytes=5-9\n\n";
	assert_int_equal(share_req_parse(S(c), &r, &st, &why), 1);
	assert_int_equal(r.range_first, 5);
	assert_int_equal(r.range_last, 9);
	/* an index, with a range too */
	const char *i = "GET /idx/20250101T000000Z-00000009 HTTP/1.1\r\nRange: bytes=0-99\r\n\r\n";
	assert_int_equal(share_req_parse(S(i), &r, &st, &why), 1);
	assert_int_equal(r.what, SHARE_GET_IDX);
	assert_string_equal(r.name, "20250101T000000Z-00000009");
	assert_int_equal(r.range_last, 99);
	assert_int_equal(share_req_parse(S("GET /idx/../key.pem HTTP/1.1\r\n\r\n"), &r, &st, &why), -1);
	assert_int_equal(st, 404);
	assert_int_equal(share_req_parse(S("GET /segments HTTP/1.1\r\nRange: bytes=0-\r\n\r\n"), &r,
					 &st, &why), -1);
	assert_int_equal(st, 416);
	/* incomplete */
	assert_int_equal(share_req_parse(S("GET /segments HTTP/1.1\r\nHo"), &r, &st, &why), 0);
}

static void test_share_req_parse_refuses_paths_and_junk(void **state)
{
	struct share_req r;
	int st;
	const char *why;
	assert_int_equal(share_req_parse(S("GET /seg/../sensor.id HTTP/1.1\r\n\r\n"), &r, &st, &why), -1);
	assert_int_equal(st, 404);
	assert_int_equal(share_req_parse(S("GET /seg/20250101T000000Z-00000007/x HTTP/1.1\r\n\r\n"), &r,
					 &st, &why), -1);
	assert_int_equal(share_req_parse(S("GET /etc/passwd HTTP/1.1\r\n\r\n"), &r, &st, &why), -1);
	assert_int_equal(st, 404);
	assert_int_equal(share_req_parse(S("POST /segments HTTP/1.1\r\n\r\n"), &r, &st, &why), -1);
	assert_int_equal(st, 405);
	assert_int_equal(share_req_parse(S("GET /segments HTTP/2.0\r\n\r\n"), &r, &st, &why), -1);
	assert_int_equal(st, 505);
	assert_int_equal(share_req_parse(S("GET /seg/20250101T000000Z-00000007 HTTP/1.1\r\n"
					   "Range: bytes=-5\r\n\r\n"), &r, &st, &why), -1);
	assert_int_equal(st, 416);
	assert_int_equal(share_req_parse(S("GET /seg/20250101T000000Z-00000007 HTTP/1.1\r\n"
					   "Range: bytes=99999999999999999999999-\r\n\r\n"), &r, &st,
					 &why), -1);
	/* a TLS ClientHello sent to a plain port, or binary junk */
	assert_int_equal(share_req_parse((const uint8_t *)"\x16\x03\x01\x02\x00", 5, &r, &st, &why), -1);
	assert_int_equal(st, 400);
	/* longer than the bound without an end */
	char big[SHARE_REQ_MAX + 10];
	memset(big, 'A', sizeof big);
	assert_int_equal(share_req_parse((uint8_t *)big, sizeof big, &r, &st, &why), -1);
	assert_int_equal(st, 413);
}

static void test_share_resp_parse(void **state)
{
	struct share_resp r;
	const char *why;
	const char *a = "HTTP/1.1 206 Partial Content\r\nContent-Length: 10\r\n"
			"Content-Range: bytes 90-99/100\r\n\r\nbody";
	assert_int_equal(share_resp_parse(S(a), &r, &why), 1);
	assert_int_equal(r.status, 206);
	assert_int_equal(r.content_length, 10);
	assert_true(r.has_range);
	assert_int_equal(r.range_first, 90);
	assert_int_equal(r.range_last, 99);
	assert_int_equal(r.range_total, 100);
	assert_int_equal(r.head_len, strlen(a) - 4);
	assert_int_equal(share_resp_parse(S("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2"
					    "\r\n\r\n"), &r, &why), -1);
	assert_int_equal(share_resp_parse(S("HTTP/1.1 200 OK\r\nContent-Range: bytes 9-1/5\r\n\r\n"),
					  &r, &why), -1);
	assert_int_equal(share_resp_parse(S("SSH-2.0-OpenSSH\r\n"), &r, &why), -1);
	assert_int_equal(share_resp_parse(S("HTTP/1.1 200 OK\r\n"), &r, &why), 0);
}

static const char *list_ok =
	"tip-share 1\n"
	"sensor s1\n"
	"seg 20250101T000000Z-00000001 1 1000 sealed "
	"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n"
	"seg 20250101T003000Z-00000002 2 2000 sealed "
	"ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100 700 "
	"0102030405060708090a0b0c0d0e0f100102030405060708090a0b0c0d0e0f10\n"
	"seg 20250101T010000Z-00000003 3 64 active -\n"
	"end 3\n";

static void test_share_list_parse_round_trip(void **state)
{
	struct share_list l;
	char err[256], line[320];
	assert_int_equal(share_list_parse(S(list_ok), &l, err, sizeof err), 0);
	assert_string_equal(l.sensor, "s1");
	assert_int_equal(l.n, 3);
	assert_int_equal(l.segs[0].seq, 1);
	assert_int_equal(l.segs[0].size, 1000);
	assert_true(l.segs[0].sealed);
	assert_false(l.segs[0].has_index);
	assert_int_equal(l.segs[0].digest[1], 0x11);
	assert_true(l.segs[1].has_index);
	assert_int_equal(l.segs[1].index_size, 700);
	assert_int_equal(l.segs[1].index_digest[0], 0x01);
	assert_int_equal(l.segs[1].index_digest[31], 0x10);
	assert_false(l.segs[2].sealed);
	for (int i = 0; i < 3; i++) {
		size_t n = share_list_line(line, sizeof line, &l.segs[i]);
		assert_true(n > 0);
		assert_non_null(strstr(list_ok, line));
	}
	share_list_free(&l);
}

static void test_share_list_parse_refuses_lies(void **state)
{
	struct share_list l;
	char err[256];
	static const char *bad[] = {
		/* an index digest that is not one */
		("tip-share 1\nsensor s1\nseg 20250101T000000Z-00000001 1 100 sealed "
		 "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff 10 abc\nend 1\n"),
		/* an index of the active segment */
		("tip-share 1\nsensor s1\nseg 20250101T000000Z-00000001 1 100 active - 10 "
		 "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\nend 1\n"),
		/* truncated: no end line */
		"tip-share 1\nsensor s1\nseg 20250101T000000Z-00000001 1 1000 active -\n",
		/* the end counts another number */
		"tip-share 1\nsensor s1\nend 1\n",
		/* a name whose sequence is not SEQ */
		"tip-share 1\nsensor s1\nseg 20250101T000000Z-00000001 2 100 active -\nend 1\n",
		/* descending sequences */
		("tip-share 1\nsensor s1\nseg 20250101T000000Z-00000002 2 100 sealed "
		 "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n"
		 "seg 20250101T000000Z-00000001 1 100 sealed "
		 "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\nend 2\n"),
		/* a segment after the active one */
		("tip-share 1\nsensor s1\nseg 20250101T000000Z-00000001 1 100 active -\n"
		 "seg 20250101T000000Z-00000002 2 100 active -\nend 2\n"),
		/* a path for a name */
		"tip-share 1\nsensor s1\nseg ../../etc/passwd 1 100 active -\nend 1\n",
		/* a size smaller than a header */
		"tip-share 1\nsensor s1\nseg 20250101T000000Z-00000001 1 5 active -\nend 1\n",
		/* another protocol version */
		"tip-share 2\nsensor s1\nend 0\n",
		/* a short digest */
		"tip-share 1\nsensor s1\nseg 20250101T000000Z-00000001 1 100 sealed 0011\nend 1\n",
		/* no sensor */
		"tip-share 1\nend 0\n",
		/* a last line without its end */
		"tip-share 1\nsensor s1\nend 0",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err[0] = '\0';
		assert_int_equal(share_list_parse(S(bad[i]), &l, err, sizeof err), -1);
		assert_true(strlen(err) > 0);
		assert_null(l.segs);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_share_fp_round_trip),
		cmocka_unit_test(test_share_fp_parse_refuses_near_misses),
		cmocka_unit_test(test_share_req_parse_list_and_range),
		cmocka_unit_test(test_share_req_parse_refuses_paths_and_junk),
		cmocka_unit_test(test_share_resp_parse),
		cmocka_unit_test(test_share_list_parse_round_trip),
		cmocka_unit_test(test_share_list_parse_refuses_lies),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
