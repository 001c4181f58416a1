/*
 * faultrun: the store workload of the fault-injection test
 * (tests/integration/faults.sh), run under tests/fault/faultinj.so.
 *
 *   faultrun write DIR ACKFILE START COUNT [crash]
 *       open a writer on DIR (recovering what the last run left), append
 *       records START..START+COUNT-1, sync every 8 and seal every 50, then
 *       close (or, with "crash", free without sealing: what a kill leaves).
 *       After every sync and the close that returned 0, the ids they made
 *       durable are appended to ACKFILE: those are acknowledged.  Exit 0,
 *       or 3 when the writer could not even open (nothing acknowledged).
 *   faultrun check DIR ACKFILE
 *       read the store whole; every acknowledged id must be there, every
 *       record found must be intact (its fields are functions of its id).
 *       Prints "ok" or "not ok: why"; exit 0 or 1.
 *
 * Record i is a DNS A lookup of "r<i>.fault.test" at 2025-01-01 + i s,
 * TTL i, one address i (big-endian).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "rec.h"
#include "seg.h"
#include "seg_writer.h"
#include "store.h"

#define T0_US 1735689600000000LL
#define ID_MAX 100000

static void mk(uint32_t i, struct rec *r, char *name, uint8_t *a4)
{
	memset(r, 0, sizeof *r);
	r->type = REC_DNS;
	r->ts_us = T0_US + (int64_t)i * 1000000;
	snprintf(name, 32, "r%u.fault.test", i);
	r->u.dns.qtype = 1;
	r->u.dns.ttl = i;
	r->u.dns.name = name;
	r->u.dns.name_len = strlen(name);
	a4[0] = (uint8_t)(i >> 24);
	a4[1] = (uint8_t)(i >> 16);
	a4[2] = (uint8_t)(i >> 8);
	a4[3] = (uint8_t)i;
	r->u.dns.a4 = a4;
	r->u.dns.n_a4 = 1;
}

static void ack(FILE *f, uint32_t *pend, size_t *np)
{
	for (size_t k = 0; k < *np; k++)
		fprintf(f, "%u\n", pend[k]);
	fflush(f);
	*np = 0;
}

static int do_write(const char *dir, const char *ackp, uint32_t start, uint32_t count, int crash)
{
	char err[256];
	struct seg_policy pol = {.buf_bytes = 512, .max_bytes = 4096};
	FILE *af = fopen(ackp, "a");
	if (!af) {
		perror(ackp);
		return 2;
	}
	struct seg_writer *w = seg_writer_new(dir, "fault", &pol, err, sizeof err);
	if (!w) {
		fprintf(stderr, "faultrun: open: %s\n", err);
		fclose(af);
		return 3;
	}
	uint32_t *pend = calloc(count + 1, sizeof *pend);
	size_t np = 0;
	unsigned long lost = 0, failures = 0;
	for (uint32_t i = start; i < start + count; i++) {
		struct rec r;
		char name[32];
		uint8_t a4[4];
		mk(i, &r, name, a4);
		if (seg_writer_append(w, &r) == 0)
			pend[np++] = i;
		else
			lost++;
		if ((i - start) % 8 == 7) {
			if (seg_writer_sync(w) == 0)
				ack(af, pend, &np);
			else
				failures++;
		}
		if ((i - start) % 50 == 49 && seg_writer_seal(w) < 0)
			failures++;
	}
	if (crash) {
		if (seg_writer_sync(w) == 0)
			ack(af, pend, &np);
		seg_writer_free(w);
	} else if (seg_writer_close(w) == 0) {
		ack(af, pend, &np);
	} else {
		failures++;
	}
	fprintf(stderr, "faultrun: %u records, %lu refused, %lu failed calls\n", count, lost,
		failures);
	free(pend);
	fclose(af);
	return 0;
}

static unsigned char *found;
static unsigned long bad, dups;

static int on_rec(void *ctx, const char *sensor, const struct store_seg *seg, uint64_t pos,
		  const struct rec *r)
{
	(void)ctx; (void)sensor; (void)seg; (void)pos;
	uint32_t i;
	char name[32];
	static const char sfx[] = ".fault.test";
	if (r->type != REC_DNS || r->u.dns.name_len < sizeof sfx ||
	    memcmp(r->u.dns.name + r->u.dns.name_len - (sizeof sfx - 1), sfx, sizeof sfx - 1))
		return 0;	/* another workload's (tip import's) */
	if (r->u.dns.name_len >= sizeof name || sscanf(r->u.dns.name, "r%u.", &i) != 1 ||
	    i >= ID_MAX) {
		bad++;
		return 0;
	}
	snprintf(name, sizeof name, "r%u.fault.test", i);
	if (r->u.dns.name_len != strlen(name) || memcmp(r->u.dns.name, name, r->u.dns.name_len) ||
	    r->u.dns.ttl != i || r->u.dns.n_a4 != 1 || ((uint32_t)r->u.dns.a4[0] << 24 | (uint32_t)r->u.dns.a4[1] << 16 |
	     (uint32_t)r->u.dns.a4[2] << 8 | r->u.dns.a4[3]) != i ||
	    r->ts_us != T0_US + (int64_t)i * 1000000) {
		bad++;
		return 0;
	}
	if (found[i])
		dups++;
	found[i] = 1;
	return 0;
}

static int do_check(const char *dir, const char *ackp)
{
	struct store_set set = {0};
	char err[256];
	found = calloc(ID_MAX, 1);
	if (store_set_add(&set, dir, err, sizeof err) < 0) {
		printf("not ok: %s\n", err);
		return 1;
	}
	store_set_scan(&set, on_rec, NULL, NULL);
	store_set_free(&set);
	FILE *af = fopen(ackp, "r");
	unsigned long acked = 0, missing = 0;
	unsigned first_missing = 0;
	unsigned i;
	while (af && fscanf(af, "%u", &i) == 1) {
		acked++;
		if (i >= ID_MAX || !found[i]) {
			if (!missing++)
				first_missing = i;
		}
	}
	if (af)
		fclose(af);
	if (missing || bad) {
		printf("not ok: %lu of %lu acknowledged records missing (first r%u), %lu damaged\n",
		       missing, acked, first_missing, bad);
		return 1;
	}
	printf("ok: %lu acknowledged records all there (%lu read twice)\n", acked, dups);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 6 && !strcmp(argv[1], "write"))
		return do_write(argv[2], argv[3], (uint32_t)strtoul(argv[4], NULL, 10),
				(uint32_t)strtoul(argv[5], NULL, 10), argc > 6 && !strcmp(argv[6], "crash"));
	if (argc == 4 && !strcmp(argv[1], "check"))
		return do_check(argv[2], argv[3]);
	fprintf(stderr, "usage: faultrun write DIR ACKFILE START COUNT [crash] | check DIR ACKFILE\n");
	return 2;
}
