/* Small helpers shared by the store unit tests: temporary stores, files,
 * the DNS record most of them write. */
#ifndef TIP_TESTUTIL_H
#define TIP_TESTUTIL_H

#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rec.h"

static int tu_rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static inline void tu_rmrf(const char *dir)
{
	nftw(dir, tu_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static inline char *tu_tmpdir(void)
{
	const char *base = getenv("TMPDIR");
	char *t = malloc(4096);
	snprintf(t, 4096, "%s/tiptest.XXXXXX", base ? base : "/tmp");
	if (!mkdtemp(t)) {
		perror("mkdtemp");
		abort();
	}
	return t;
}

static inline long tu_file_size(const char *p)
{
	struct stat sb;
	return stat(p, &sb) == 0 ? (long)sb.st_size : -1;
}

static inline int tu_flip(const char *p, long off, unsigned char mask)
{
	FILE *f = fopen(p, "r+b");
	if (!f)
		return -1;
	fseek(f, off, SEEK_SET);
	int c = fgetc(f);
	fseek(f, off, SEEK_SET);
	fputc(c ^ mask, f);
	return fclose(f);
}

static inline int tu_append(const char *p, const void *b, size_t n)
{
	FILE *f = fopen(p, "ab");
	if (!f)
		return -1;
	fwrite(b, 1, n, f);
	return fclose(f);
}

/*
 * A DNS observation: NAME asked for A (qtype 1) at TS_US, answered with the
 * N IPv4 addresses at A4 (4 bytes each); every other field zero, for the
 * caller to set.  The record points at NAME and A4, it copies neither.
 */
static inline struct rec tu_dns_a(const char *name, int64_t ts_us, const uint8_t *a4, uint32_t n)
{
	struct rec r;
	memset(&r, 0, sizeof r);
	r.type = REC_DNS;
	r.ts_us = ts_us;
	r.u.dns.name = name;
	r.u.dns.name_len = strlen(name);
	r.u.dns.qtype = 1;
	r.u.dns.a4 = a4;
	r.u.dns.n_a4 = n;
	return r;
}

#endif
