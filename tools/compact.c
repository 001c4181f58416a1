/*
 * compact: `tip compact STORE... [--before T] [--max-size BYTES]
 *          [--bucket SECONDS] [-q]`.
 *
 * Merges the sealed segments of each store (a parent folder of stores
 * counts as its stores) into fewer, coalescing repeated DNS observations,
 * and swaps them in atomically (store/compact.h has the protocol; tip
 * query gives the same answers before and after).  --before T merges only
 * segments whose records all lie before T; --max-size caps the input of
 * one merged segment (default 256 MiB; K, M, G suffixes); --bucket is the
 * coalescing bucket (default 86400 s: a coalesced record never spans a UTC
 * day, so day-fenced queries are unchanged too; 0 for none).
 * A progress bar goes to stderr when it is a terminal (not with -q), none
 * when it is piped.  One summary line per store on stdout.
 * Exit: 0 done (or nothing to do), 2 usage or a failed merge (the merges
 * before it stay done; the store is sound either way).
 * Tests: TIP_COMPACT_CRASH_AT=K makes the process _exit(99) at the K-th
 * step of the swaps (counted over all the stores), as a crash there would.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agg.h"
#include "cdefs.h"
#include "clock.h"
#include "lock.h"
#include "compact.h"
#include "tip.h"
#include "util.h"

struct bar {
	int last;		/* last percentage drawn, -1 none */
	int drawn;
};

static void on_progress(void *ctx, uint64_t done, uint64_t total)
{
	struct bar *b = ctx;
	if (!total)
		return;
	int pct = (int)(done * 100 / total);
	if (pct > 100)
		pct = 100;
	if (pct == b->last)
		return;
	b->last = pct;
	b->drawn = 1;
	char fill[41];
	int n = pct * 40 / 100;
	memset(fill, '#', (size_t)n);
	memset(fill + n, ' ', (size_t)(40 - n));
	fill[40] = '\0';
	/* done and total count each input byte twice (two passes) */
	fprintf(stderr, "\rtip compact: [%s] %3d%%  %.1f/%.1f MB", fill, pct, done / 2097152.0,
		total / 2097152.0);
	fflush(stderr);
}

static unsigned crash_step, crash_calls;

/* Steps are counted over every store of the run. */
static int on_crash(void *ctx TIP_UNUSED, unsigned step TIP_UNUSED)
{
	if (++crash_calls == crash_step)
		_exit(99);
	return 0;
}

static int parse_size(const char *s, uint64_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s || *s == '-')
		return -1;
	uint64_t mul = 1;
	if (*end == 'K' || *end == 'k')
		mul = 1ull << 10, end++;
	else if (*end == 'M' || *end == 'm')
		mul = 1ull << 20, end++;
	else if (*end == 'G' || *end == 'g')
		mul = 1ull << 30, end++;
	if (*end || v == 0 || v > UINT64_MAX / mul)
		return -1;
	*out = v * mul;
	return 0;
}

int cmd_compact(int argc, char **argv)
{
	static const struct option lo[] = {
		{"before", required_argument, NULL, 'b'}, {"max-size", required_argument, NULL, 'm'},
		{"bucket", required_argument, NULL, 'k'}, {"quiet", no_argument, NULL, 'q'},
		{"clean", no_argument, NULL, 'C'},	  {NULL, 0, NULL, 0},
	};
	struct compact_opts o;
	struct store_set set;
	int c, quiet = 0, rc = 2;
	memset(&o, 0, sizeof o);
	memset(&set, 0, sizeof set);
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "q", lo, NULL)) != -1) {
		switch (c) {
		case 'b':
			if (agg_cli_time("compact", "before", optarg, &o.before_us) < 0)
				goto out;
			if (o.before_us == 0)
				o.before_us = 1;	/* 0 means no bound */
			break;
		case 'm':
			if (parse_size(optarg, &o.max_bytes) < 0) {
				fprintf(stderr, "tip compact: --max-size: a size in bytes (K, M, G): ");
				util_put_text(stderr, optarg, strlen(optarg));
				fputc('\n', stderr);
				goto out;
			}
			break;
		case 'k': {
			char *end;
			errno = 0;
			long long v = strtoll(optarg, &end, 10);
			if (errno || *end || end == optarg || v < 0 || v > 100LL * 365 * 86400) {
				fprintf(stderr, "tip compact: --bucket: seconds (0 for none)\n");
				goto out;
			}
			o.bucket_us = v ? v * 1000000 : -1;
			break;
		}
		case 'q':
			quiet = 1;
			break;
		case 'C':
			o.clean_only = 1;
			break;
		default:
			agg_cli_bad_option("compact", argv[optind - 1]);
			rc = tip_usage("compact");
			goto out;
		}
	}
	if (optind == argc) {
		rc = tip_usage("compact");
		goto out;
	}
	for (int i = optind; i < argc; i++)
		if (agg_cli_store(&set, "compact", argv[i]) < 0)
			goto out;
	const char *env = getenv("TIP_COMPACT_CRASH_AT");
	if (env && *env) {
		crash_step = (unsigned)strtoul(env, NULL, 10);
		o.crash = on_crash;
	}
	struct bar bar = {-1, 0};
	if (!quiet && isatty(STDERR_FILENO)) {
		o.progress = on_progress;
		o.progress_ctx = &bar;
	}
	rc = 0;
	for (size_t i = 0; i < set.n; i++) {
		struct compact_stats st;
		char err[1024];
		int64_t t0 = clock_mono_us();
		bar.last = -1;
		bar.drawn = 0;
		/* one writer per store: not while tipd, tip import or another compact writes it */
		int lock = store_lock_open(set.dirs[i], "tip compact", err, sizeof err);
		if (lock < 0) {
			fprintf(stderr, "tip compact: ");
			util_put_text(stderr, err, strlen(err));
			fputc('\n', stderr);
			rc = 2;
			continue;
		}
		int r = compact_store(set.dirs[i], &o, &st, err, sizeof err);
		store_lock_close(lock);
		int64_t dt = clock_mono_us() - t0;
		if (bar.drawn)
			fputs("\n", stderr);
		if (r < 0) {
			fprintf(stderr, "tip compact: ");
			util_put_text(stderr, err, strlen(err));
			fputc('\n', stderr);
			rc = 2;
		}
		printf("tip compact: ");
		util_put_text(stdout, set.dirs[i], strlen(set.dirs[i]));
		if (o.clean_only) {
			printf(": cleaned");
		} else if (!st.merges) {
			printf(": nothing to merge");
		} else {
			double s = dt > 0 ? dt / 1e6 : 1e-6;
			printf(": %llu segments (%.1f MB) into %llu (%.1f MB); %llu records into %llu, "
			       "%llu DNS observations into %llu (%llu lookups); %.2f s, %.1f MB/s",
			       (unsigned long long)st.segments_in, st.bytes_in / 1048576.0,
			       (unsigned long long)st.merges, st.bytes_out / 1048576.0,
			       (unsigned long long)st.records_in, (unsigned long long)st.records_out,
			       (unsigned long long)st.dns_in, (unsigned long long)st.dns_out,
			       (unsigned long long)st.lookups, s, st.bytes_in / 1048576.0 / s);
		}
		if (st.residue_removed)
			printf("; %llu files superseded by compacted segments or left by an "
			       "interrupted compaction removed",
			       (unsigned long long)st.residue_removed);
		if (st.damaged)
			printf("; %llu damaged segments left as they are (tip verify says where)",
			       (unsigned long long)st.damaged);
		if (st.skipped > st.damaged)
			printf("; %llu segments left as they are (active, unindexed, damaged or too new)",
			       (unsigned long long)(st.skipped - st.damaged));
		printf("\n");
	}
	if (fflush(stdout) != 0)
		rc = 2;
out:
	store_set_free(&set);
	return rc;
}
