/*
 * sha256: SHA-256 with SHA-NI on x86-64, BearSSL elsewhere (sha256.h).
 *
 * The SHA-NI block function keeps the state as two registers, ABEF and
 * CDGH (the layout sha256rnds2 works on), runs 16 groups of 4 rounds, and
 * builds each group's 4 schedule words from the previous four groups with
 * sha256msg1 (the sigma0 part), an alignr (w[t-7]) and sha256msg2 (the
 * sigma1 part).  The buffering and padding below serve the hw path only;
 * the portable path is BearSSL's whole.
 */
#include <string.h>

#include "sha256.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define SHA256_X86 1
#include <cpuid.h>
#include <immintrin.h>
#else
#define SHA256_X86 0
#endif

#if SHA256_X86
static const uint32_t K[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
	0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
	0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
	0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
	0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
	0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
	0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
	0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
	0xc67178f2,
};

__attribute__((target("sha,sse4.1,ssse3"))) static void blocks_ni(uint32_t s[8],
								   const uint8_t *p, size_t n)
{
	const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
	__m128i t = _mm_loadu_si128((const __m128i *)&s[0]);	/* a b c d */
	__m128i st1 = _mm_loadu_si128((const __m128i *)&s[4]);	/* e f g h */
	t = _mm_shuffle_epi32(t, 0xB1);
	st1 = _mm_shuffle_epi32(st1, 0x1B);
	__m128i st0 = _mm_alignr_epi8(t, st1, 8);	/* ABEF */
	st1 = _mm_blend_epi16(st1, t, 0xF0);		/* CDGH */
	while (n--) {
		__m128i save0 = st0, save1 = st1, w[4], m;
		for (int g = 0; g < 16; g++) {
			__m128i *x = &w[g & 3];
			if (g < 4) {
				*x = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 16 * g)), bswap);
			} else {
				/* w[g-4] is in *x: w = msg2(msg1(w[g-4], w[g-3]) + w[t-7], w[g-1]) */
				__m128i a = _mm_sha256msg1_epu32(*x, w[(g - 3) & 3]);
				a = _mm_add_epi32(a, _mm_alignr_epi8(w[(g - 1) & 3], w[(g - 2) & 3], 4));
				*x = _mm_sha256msg2_epu32(a, w[(g - 1) & 3]);
			}
			m = _mm_add_epi32(*x, _mm_loadu_si128((const __m128i *)&K[4 * g]));
			st1 = _mm_sha256rnds2_epu32(st1, st0, m);
			st0 = _mm_sha256rnds2_epu32(st0, st1, _mm_shuffle_epi32(m, 0x0E));
		}
		st0 = _mm_add_epi32(st0, save0);
		st1 = _mm_add_epi32(st1, save1);
		p += 64;
	}
	t = _mm_shuffle_epi32(st0, 0x1B);		/* FEBA */
	st1 = _mm_shuffle_epi32(st1, 0xB1);		/* DCHG */
	st0 = _mm_blend_epi16(t, st1, 0xF0);		/* DCBA */
	st1 = _mm_alignr_epi8(st1, t, 8);		/* HGFE */
	_mm_storeu_si128((__m128i *)&s[0], st0);
	_mm_storeu_si128((__m128i *)&s[4], st1);
}
#endif

int sha256_hw(void)
{
#if SHA256_X86
	static int known = -1;
	if (known < 0) {
		unsigned a, b, c, d;
		known = 0;
		/* leaf 7: EBX bit 29 SHA; leaf 1: ECX bit 19 SSE4.1, bit 9 SSSE3 */
		if (__get_cpuid_count(7, 0, &a, &b, &c, &d) && (b & (1u << 29)) &&
		    __get_cpuid(1, &a, &b, &c, &d) && (c & (1u << 19)) && (c & (1u << 9)))
			known = 1;
	}
	return known;
#else
	return 0;
#endif
}

void sha256_init(struct sha256 *h, int force_portable)
{
	static const uint32_t iv[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
				       0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
	memset(h, 0, sizeof *h);
	h->hw = !force_portable && sha256_hw();
	if (h->hw)
		memcpy(h->s, iv, sizeof iv);
	else
		br_sha256_init(&h->br);
}

void sha256_update(struct sha256 *h, const void *data, size_t n)
{
	const uint8_t *p = data;
	if (!h->hw) {
		br_sha256_update(&h->br, p, n);
		return;
	}
#if SHA256_X86
	h->len += n;
	if (h->nbuf) {
		size_t k = 64 - h->nbuf < n ? 64 - h->nbuf : n;
		memcpy(h->buf + h->nbuf, p, k);
		h->nbuf += k;
		p += k;
		n -= k;
		if (h->nbuf < 64)
			return;
		blocks_ni(h->s, h->buf, 1);
		h->nbuf = 0;
	}
	if (n >= 64) {
		blocks_ni(h->s, p, n / 64);
		p += n & ~(size_t)63;
		n &= 63;
	}
	memcpy(h->buf, p, n);
	h->nbuf = n;
#endif
}

void sha256_out(struct sha256 *h, uint8_t out[32])
{
	if (!h->hw) {
		br_sha256_out(&h->br, out);
		return;
	}
#if SHA256_X86
	uint8_t pad[128];
	uint64_t bits = h->len * 8;
	size_t n = h->nbuf, total = n < 56 ? 64 : 128;
	memcpy(pad, h->buf, n);
	pad[n] = 0x80;
	memset(pad + n + 1, 0, total - n - 1);
	for (int i = 0; i < 8; i++)
		pad[total - 1 - i] = (uint8_t)(bits >> (8 * i));
	uint32_t s[8];
	memcpy(s, h->s, sizeof s);
	blocks_ni(s, pad, total / 64);
	for (int i = 0; i < 8; i++) {
		out[4 * i] = (uint8_t)(s[i] >> 24);
		out[4 * i + 1] = (uint8_t)(s[i] >> 16);
		out[4 * i + 2] = (uint8_t)(s[i] >> 8);
		out[4 * i + 3] = (uint8_t)s[i];
	}
#endif
}
