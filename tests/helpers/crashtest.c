/*
 * crashtest: kill a store writer with SIGKILL at random points, again and
 * again, and check after every kill that
 *   - every record the writer acknowledged as durable is there, intact;
 *   - records are read back in order with no gap and no duplicate, and
 *     nothing after a torn tail is misread as a record;
 *   - the next writer recovers and resumes in a new segment.
 * Some rounds also leave a torn write (a partial frame or garbage) after
 * the data, as a power cut in the middle of write(2) would.
 *
 * Usage: crashtest DIR [ROUNDS] [SEED].  Prints "ok ..." or "not ok ...".
 * Record i is a DNS lookup of "r<i>.crash.test" whose answers and TTL are
 * functions of i, so every byte read back can be checked.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "rec.h"
#include "seg.h"
#include "seg_writer.h"
#include "store.h"

static void mk(uint64_t i, struct rec *r, char *name, uint8_t *a4)
{
	memset(r, 0, sizeof *r);
	r->type = REC_DNS;
	r->ts_us = 1764000000000000LL + (int64_t)i * 1000;
	snprintf(name, 64, "r%llu.crash.test", (unsigned long long)i);
	r->u.dns.name = name;
	r->u.dns.name_len = strlen(name);
	r->u.dns.qtype = 1;
	r->u.dns.ttl = (uint32_t)(i * 7 % 3600);
	uint32_t n = (uint32_t)(1 + i % 5);
	for (uint32_t k = 0; k < n; k++) {
		a4[4 * k] = 10;
		a4[4 * k + 1] = (uint8_t)(i >> 8);
		a4[4 * k + 2] = (uint8_t)i;
		a4[4 * k + 3] = (uint8_t)k;
	}
	r->u.dns.n_a4 = n;
	r->u.dns.a4 = a4;
}

/* The child: write from record `from` on, report durable counts on fd. */
static void writer(const char *dir, uint64_t from, int fd, unsigned seed)
{
	char err[256], name[64];
	uint8_t a4[20];
	struct rec r;
	struct seg_writer_stats st;
	srand(seed);
	struct seg_policy pol = {
		.max_bytes = 2048 + (uint64_t)(rand() % 16384),	/* rotate and seal often */
		.sync_every_n = 1 + (uint32_t)(rand() % 50),
		.buf_bytes = 256 + (uint32_t)(rand() % 4096),
	};
	struct seg_writer *w = seg_writer_new(dir, "crash", &pol, err, sizeof err);
	if (!w) {
		fprintf(stderr, "crashtest: writer: %s\n", err);
		_exit(3);
	}
	uint64_t acked = 0;
	for (uint64_t i = from;; i++) {
		mk(i, &r, name, a4);
		if (seg_writer_append(w, &r) < 0)
			_exit(4);
		seg_writer_stats(w, &st);
		if (st.durable != acked) {
			acked = st.durable;
			uint64_t upto = from + acked;	/* records [0, upto) are durable */
			if (write(fd, &upto, sizeof upto) != sizeof upto)
				_exit(5);
		}
	}
}

struct check {
	uint64_t next;		/* the record expected next */
	int bad;
	char why[256];
};

static int on_rec(void *ctx, const char *sensor, const struct store_seg *seg, uint64_t pos,
		  const struct rec *r)
{
	struct check *c = ctx;
	char name[64];
	uint8_t a4[20];
	struct rec want;
	mk(c->next, &want, name, a4);
	if (r->type != REC_DNS || r->u.dns.name_len != want.u.dns.name_len ||
	    memcmp(r->u.dns.name, name, want.u.dns.name_len) || r->u.dns.ttl != want.u.dns.ttl ||
	    r->u.dns.n_a4 != want.u.dns.n_a4 || memcmp(r->u.dns.a4, a4, 4 * want.u.dns.n_a4) ||
	    r->ts_us != want.ts_us) {
		snprintf(c->why, sizeof c->why, "%s offset %llu: expected record %llu, got %.*s",
			 seg->name, (unsigned long long)pos, (unsigned long long)c->next,
			 (int)(r->type == REC_DNS ? r->u.dns.name_len : 4),
			 r->type == REC_DNS ? r->u.dns.name : "????");
		c->bad = 1;
		return 1;
	}
	c->next++;
	return 0;
}

static void on_fault(void *ctx, const char *path, uint64_t off, const char *why)
{
	/* recovery seals every crashed segment: after it, no fault may remain */
	struct check *c = ctx;
	if (!c->bad)
		snprintf(c->why, sizeof c->why, "%s:%llu: %s", path, (unsigned long long)off, why);
	c->bad = 1;
}

/* Leave a torn write after the data of the newest segment. */
static void tear(const char *dir)
{
	struct store_listing ls;
	char p[4096];
	if (store_list(dir, &ls) < 0 || !ls.n)
		return;
	const struct store_seg *s = &ls.segs[ls.n - 1];
	if (!s->has_index) {
		store_seg_path(p, sizeof p, dir, s->name, "tlog");
		FILE *f = fopen(p, "ab");
		if (f) {
			uint8_t junk[300];
			size_t n = 1 + (size_t)rand() % sizeof junk;
			for (size_t i = 0; i < n; i++)
				junk[i] = (uint8_t)(rand() % 3 ? rand() : 0);
			fwrite(junk, 1, n, f);
			fclose(f);
		}
	}
	store_listing_free(&ls);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: crashtest DIR [ROUNDS] [SEED]\n");
		return 2;
	}
	const char *dir = argv[1];
	int rounds = argc > 2 ? atoi(argv[2]) : 200;
	unsigned seed = argc > 3 ? (unsigned)atoi(argv[3]) : (unsigned)time(NULL);
	uint64_t acked_total = 0, found = 0;
	int torn = 0;
	srand(seed);
	for (int round = 0; round < rounds; round++) {
		int pfd[2];
		if (pipe(pfd) < 0)
			return 2;
		pid_t pid = fork();
		if (pid == 0) {
			close(pfd[0]);
			writer(dir, found, pfd[1], seed + (unsigned)round);
		}
		close(pfd[1]);
		/* let it run a random while: 0-30 ms */
		struct timespec ts = {0, (long)(rand() % 30000) * 1000};
		nanosleep(&ts, NULL);
		kill(pid, SIGKILL);
		uint64_t v, acked = found;
		while (read(pfd[0], &v, sizeof v) == sizeof v)
			acked = v;
		close(pfd[0]);
		int status;
		waitpid(pid, &status, 0);
		if (!WIFSIGNALED(status)) {
			printf("not ok crash: round %d: writer exited with %d before the kill\n", round,
			       WEXITSTATUS(status));
			return 1;
		}
		if (rand() % 3 == 0) {
			tear(dir);
			torn++;
		}
		/* recover as the next writer would, then read everything */
		char err[256];
		struct seg_writer *w = seg_writer_new(dir, "crash", NULL, err, sizeof err);
		if (!w) {
			printf("not ok crash: round %d: recovery failed: %s\n", round, err);
			return 1;
		}
		seg_writer_free(w);
		struct store_set set = {0};
		struct check c = {0};
		if (store_set_add(&set, dir, err, sizeof err) < 0) {
			printf("not ok crash: %s\n", err);
			return 1;
		}
		store_set_scan(&set, on_rec, on_fault, &c);
		store_set_free(&set);
		if (c.bad) {
			printf("not ok crash: round %d (seed %u): %s\n", round, seed, c.why);
			return 1;
		}
		if (c.next < acked) {
			printf("not ok crash: round %d (seed %u): %llu records acknowledged durable, "
			       "%llu found\n", round, seed, (unsigned long long)acked,
			       (unsigned long long)c.next);
			return 1;
		}
		acked_total = acked;
		found = c.next;
	}
	struct store_listing ls;
	store_list(dir, &ls);
	printf("ok crash: %d kills (%d with a torn write), %llu records acknowledged, %llu read back "
	       "intact in %zu segments (seed %u)\n", rounds, torn, (unsigned long long)acked_total,
	       (unsigned long long)found, ls.n, seed);
	store_listing_free(&ls);
	return 0;
}
