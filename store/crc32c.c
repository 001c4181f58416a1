/*
 * crc32c: CRC-32C, reflected polynomial 0x82F63B78.  On x86-64 with SSE4.2
 * the crc32 instruction does 8 bytes a step (several GB/s, so checksums
 * never bound the append rate); elsewhere a slicing-by-8 table built at
 * first use.  Both paths are checked against the same vectors in
 * tests/unit/test_crc32c.c.
 */
#include <pthread.h>
#include <string.h>

#include "crc32c.h"

static uint32_t table[8][256];
static pthread_once_t table_once = PTHREAD_ONCE_INIT;

static void table_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;
		for (int k = 0; k < 8; k++)
			c = c & 1 ? (c >> 1) ^ 0x82F63B78u : c >> 1;
		table[0][i] = c;
	}
	for (uint32_t i = 0; i < 256; i++)
		for (int t = 1; t < 8; t++)
			table[t][i] = (table[t - 1][i] >> 8) ^ table[0][table[t - 1][i] & 0xff];
}

static uint32_t crc32c_sw(uint32_t crc, const uint8_t *p, size_t n)
{
	pthread_once(&table_once, table_init);
	crc = ~crc;
	while (n && ((uintptr_t)p & 7)) {
		crc = (crc >> 8) ^ table[0][(crc ^ *p++) & 0xff];
		n--;
	}
	while (n >= 8) {
		/* bytes, not a word load: the same on either byte order */
		uint32_t lo = crc ^ ((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
				     (uint32_t)p[3] << 24);
		uint32_t hi = (uint32_t)p[4] | (uint32_t)p[5] << 8 | (uint32_t)p[6] << 16 |
			      (uint32_t)p[7] << 24;
		crc = table[7][lo & 0xff] ^ table[6][(lo >> 8) & 0xff] ^ table[5][(lo >> 16) & 0xff] ^
		      table[4][lo >> 24] ^ table[3][hi & 0xff] ^ table[2][(hi >> 8) & 0xff] ^
		      table[1][(hi >> 16) & 0xff] ^ table[0][hi >> 24];
		p += 8;
		n -= 8;
	}
	while (n--)
		crc = (crc >> 8) ^ table[0][(crc ^ *p++) & 0xff];
	return ~crc;
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <cpuid.h>

__attribute__((target("sse4.2"))) static uint32_t crc32c_hw(uint32_t crc, const uint8_t *p, size_t n)
{
	/* x86 loads need no alignment: 8 bytes a step from the start, and a
	 * 4/2/1-byte tail, so a 60-byte frame takes 8+3 steps, not 20 */
	uint64_t c = ~crc;
	while (n >= 8) {
		uint64_t w;
		memcpy(&w, p, 8);
		c = __builtin_ia32_crc32di(c, w);
		p += 8;
		n -= 8;
	}
	uint32_t c32 = (uint32_t)c;
	if (n & 4) {
		uint32_t w;
		memcpy(&w, p, 4);
		c32 = __builtin_ia32_crc32si(c32, w);
		p += 4;
	}
	if (n & 2) {
		uint16_t w;
		memcpy(&w, p, 2);
		c32 = __builtin_ia32_crc32hi(c32, w);
		p += 2;
	}
	if (n & 1)
		c32 = __builtin_ia32_crc32qi(c32, *p);
	return ~c32;
}

static int have_hw;
static pthread_once_t have_hw_once = PTHREAD_ONCE_INIT;

static void detect_hw(void)
{
	unsigned a, b, c, d;
	have_hw = __get_cpuid(1, &a, &b, &c, &d) && (c & bit_SSE4_2);
}

/* The CPU is asked once, whichever thread checksums first (pthread_once). */
uint32_t crc32c(uint32_t crc, const void *p, size_t n)
{
	pthread_once(&have_hw_once, detect_hw);
	return have_hw ? crc32c_hw(crc, p, n) : crc32c_sw(crc, p, n);
}

uint32_t crc32c_soft(uint32_t crc, const void *p, size_t n);
uint32_t crc32c_soft(uint32_t crc, const void *p, size_t n)
{
	return crc32c_sw(crc, p, n);
}
#else
uint32_t crc32c(uint32_t crc, const void *p, size_t n)
{
	return crc32c_sw(crc, p, n);
}

uint32_t crc32c_soft(uint32_t crc, const void *p, size_t n);
uint32_t crc32c_soft(uint32_t crc, const void *p, size_t n)
{
	return crc32c_sw(crc, p, n);
}
#endif
