/* Unit tests for store/sha256.c: known vectors, and the SHA-NI path against BearSSL's. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "sha256.h"

static void hex(char *out, const uint8_t d[32])
{
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}

static void digest(int portable, const void *p, size_t n, uint8_t out[32])
{
	struct sha256 h;
	sha256_init(&h, portable);
	sha256_update(&h, p, n);
	sha256_out(&h, out);
}

static void test_sha256_vectors(void **state)
{
	static const char *abc448 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	uint8_t d[32];
	char t[65];
	(void)state;
	for (int portable = 0; portable < 2; portable++) {
		digest(portable, "", 0, d);
		hex(t, d);
		assert_string_equal(t, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
		digest(portable, "abc", 3, d);
		hex(t, d);
		assert_string_equal(t, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
		digest(portable, abc448, strlen(abc448), d);
		hex(t, d);
		assert_string_equal(t, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	}
}

static void test_sha256_hw_equals_portable_every_length_and_split(void **state)
{
	static uint8_t buf[70000];
	uint8_t a[32], b[32];
	uint64_t x = 88172645463325252ull;
	(void)state;
	for (size_t i = 0; i < sizeof buf; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		buf[i] = (uint8_t)x;
	}
	if (!sha256_hw())
		print_message("# no SHA instructions here: the portable path alone\n");
	for (size_t n = 0; n <= 300; n++) {
		digest(0, buf, n, a);
		digest(1, buf, n, b);
		assert_memory_equal(a, b, 32);
	}
	/* random splits of a long input */
	digest(1, buf, sizeof buf, b);
	for (int round = 0; round < 50; round++) {
		struct sha256 h;
		size_t off = 0;
		sha256_init(&h, 0);
		while (off < sizeof buf) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			size_t k = (size_t)(x % 200);
			if (round & 1)
				k *= 97;
			if (k > sizeof buf - off)
				k = sizeof buf - off;
			sha256_update(&h, buf + off, k);
			off += k;
		}
		sha256_out(&h, a);
		assert_memory_equal(a, b, 32);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sha256_vectors),
		cmocka_unit_test(test_sha256_hw_equals_portable_every_length_and_split),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
