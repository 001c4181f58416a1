/*
 * sha256: SHA-256 of large files, with the CPU's SHA instructions where it
 * has them (x86-64 SHA-NI), else BearSSL's portable code.  Sharing hashes
 * every byte it serves and fetches (doc/sharing.md): BearSSL's C rounds
 * were half of a pull's CPU.  The result is the same either way
 * (tests/unit/test_sha256.c compares them on every length to 300 and on
 * random splits).
 *
 * Caller-allocated; no allocation, no interior pointers.
 */
#ifndef TIP_SHA256_H
#define TIP_SHA256_H

#include <stddef.h>
#include <stdint.h>

#include <bearssl.h>

struct sha256 {
	int hw;			/* the SHA-NI path */
	br_sha256_context br;	/* !hw */
	uint32_t s[8];		/* hw: the state */
	uint8_t buf[64];
	size_t nbuf;
	uint64_t len;		/* bytes hashed */
};

/* 1 when this CPU has the SHA instructions (and this build uses them). */
int sha256_hw(void);

/* Start; force_portable: BearSSL's code even where the CPU has SHA-NI (tests). */
void sha256_init(struct sha256 *h, int force_portable);
void sha256_update(struct sha256 *h, const void *p, size_t n);
void sha256_out(struct sha256 *h, uint8_t out[32]);

#endif
