/*
 * mkbig: a store of about MB megabytes of DNS observations in sealed
 * segments of 16 MiB, quickly (no fsync, the fake clock), for the sharing
 * benchmark (tests/bench/bench_share.sh).
 *
 *     mkbig DIR MB
 *
 * DIR is the store (sensor "s1"); every record is an A lookup of one of
 * 20000 names with 1-4 addresses from a pool of 20000.  Deterministic: the same MB gives the
 * same bytes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "rec.h"
#include "seg_writer.h"

int main(int argc, char **argv)
{
	char err[256], name[64];
	uint8_t a4[16];
	if (argc != 3 || atoi(argv[2]) < 1) {
		fprintf(stderr, "usage: mkbig DIR MB\n");
		return 2;
	}
	uint64_t want = (uint64_t)atoi(argv[2]) << 20;
	struct seg_policy pol = {.max_bytes = 16u << 20, .max_age_s = 1u << 30, .no_fsync = 1};
	int64_t t = 1735689600LL * 1000000;
	clock_fake(t);
	struct seg_writer *w = seg_writer_new(argv[1], "s1", &pol, err, sizeof err);
	if (!w) {
		fprintf(stderr, "mkbig: %s\n", err);
		return 1;
	}
	uint64_t x = 88172645463325252ull;
	struct seg_writer_stats st;
	for (uint64_t i = 0;; i++) {
		if ((i & 1023) == 0) {
			seg_writer_stats(w, &st);
			if (st.bytes >= want)
				break;
		}
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		unsigned n = 1 + (unsigned)(x & 3);
		unsigned h = (unsigned)((x >> 8) % 20000);
		for (unsigned k = 0; k < n; k++) {
			unsigned ip = (h * 7 + k) % 20000;	/* a pool, as real answers repeat */
			a4[4 * k] = 198;
			a4[4 * k + 1] = 18;
			a4[4 * k + 2] = (uint8_t)(ip >> 8);
			a4[4 * k + 3] = (uint8_t)ip;
		}
		snprintf(name, sizeof name, "host%u.example%u.test", h, h % 97);
		struct rec r = {.type = REC_DNS};
		t += 1000;
		clock_fake(t);
		r.ts_us = t;
		r.u.dns.name = name;
		r.u.dns.name_len = strlen(name);
		r.u.dns.qtype = 1;
		r.u.dns.ttl = 300;
		r.u.dns.server.family = 4;
		memcpy(r.u.dns.server.addr, (uint8_t[]){192, 0, 2, 53}, 4);
		r.u.dns.a4 = a4;
		r.u.dns.n_a4 = n;
		if (seg_writer_append(w, &r) < 0) {
			perror("mkbig: append");
			return 1;
		}
	}
	if (seg_writer_close(w) < 0) {
		perror("mkbig: close");
		return 1;
	}
	return 0;
}
