/*
 * bench_loop: how long the event loop stalls while a 64 MiB segment is
 * sealed and indexed, with the store writer on its thread (as tipd runs
 * it) and, as the anchor, with the same work done on the loop thread.
 * Prints "bench NAME VALUE UNIT [ANCHOR=VALUE ratio=X]" lines (ratio =
 * VALUE / ANCHOR) and asserts nothing.  Usage:
 *     bench_loop DIR [idle|thread|loop]
 * DIR: an empty scratch folder on the disk under test (a store per run,
 * removed once measured); the second argument runs one mode once.
 *
 * The probe: a libev loop (ev_default_loop, as tipd) with a timer due
 * every millisecond on a fixed grid of monotonic times.  Each callback
 * serves every grid tick due by then, and each tick's stall is the time
 * from when it was due to when the callback ran, so one 40 ms stall
 * counts as 40 late ticks (40, 39, ... ms), not one sample: percentiles
 * are over the ticks that were due, with no coordinated omission.
 *
 * The same callback produces records, a fast-flux-like workload of DNS
 * lookups (a name among NDOM, 5 A records from a pool of NIP addresses),
 * in two phases:
 *   fill: FILL_BATCH records a tick (1M records/s) until the segment
 *         holds 64 MiB less APPROACH: quick, and reported apart;
 *   seal: SEAL_BATCH records a tick (20k records/s, still far above a
 *         sensor's rate) through the last APPROACH bytes, the seal and
 *         index build, and TAIL_MS after it.  The budget figure.
 * Modes:
 *   thread: writer_put into the real writer (sensor/writer.c) with tipd's
 *         default queue and an ev_prepare calling writer_kick, as tipd's
 *         main.c does; tipd's default store policy but segment-size 64M,
 *         so the writer thread seals and indexes the segment itself.  The
 *         seal is over when writer_stats counts the sealed segment (its
 *         index is built by then).
 *   loop (the anchor): seg_writer_append on the loop thread, the
 *         ev_prepare calling seg_writer_tick, and seg_writer_seal called
 *         on the loop once 64 MiB are written.  What the thread buys is
 *         the difference.
 *   idle: the probe alone for IDLE_MS: the floor of the probe on this
 *         machine at this moment (libev's epoll wakes with millisecond
 *         granularity, and other processes take the CPU).
 * fsync is on, as in a deployed store.  The three modes run REPS times,
 * interleaved so they share the machine's background load, and each
 * figure is the median over the runs, with every run listed (runs=).
 * Beside the median run: runq_wait_ms, the time the loop thread was ready
 * to run but had no CPU (schedstat), in the fill and the seal phase: a
 * stall with no such wait would be the loop blocking.
 * BENCH_LOOP_TRACE=1 prints each stall over 2 ms to stderr, with its time
 * from the start of the run and its phase.
 */
#include <errno.h>
#include <ftw.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <ev.h>

#include "cdefs.h"
#include "log.h"
#include "rec.h"
#include "seg.h"
#include "seg_writer.h"
#include "writer.h"

#define SEG_BYTES (64ull << 20)
#define APPROACH (1ull << 20)
#define TICK_NS 1000000LL
#define FILL_BATCH 1000
#define SEAL_BATCH 20
#define QUEUE 4096		/* tipd's default writer queue */
#define NDOM 50000
#define NIP 20000
#define TAIL_MS 200
#define IDLE_MS 1000
#define REPS 3
#define MAX_S 120		/* give up: the seal never came */

enum mode { M_IDLE, M_THREAD, M_LOOP };
enum phase { P_FILL, P_SEAL };

struct dom {
	char name[40];
	uint8_t len;
};

struct lat {
	int64_t *v;		/* stall of each due tick, ns */
	size_t n, cap;
};

struct bench {
	struct ev_loop *loop;
	ev_timer tick;
	ev_prepare prep;
	enum mode mode;
	enum phase phase;
	struct writer *wr;
	struct seg_writer *sw;
	int trace;

	int64_t start_ns, due_ns, sealed_ns, end_ns;
	int64_t runq_ns[2];	/* the loop thread's run-queue wait at each phase's start */
	struct lat lat[2];	/* by phase */

	struct dom *dom;
	uint8_t (*ip)[4];
	uint64_t rng;
	uint64_t produced, refused;
	double seal_call_ms;	/* loop mode: seg_writer_seal on the loop */
	int failed;
};

struct phase_res {
	double worst_ms, p99_ms, p50_ms;
	size_t ticks;
};

struct result {
	struct phase_res ph[2];
	double runq_ms[2];	/* time the loop thread was runnable but off the CPU, by phase */
	uint64_t produced, refused, dropped, lost;
	double seconds, seal_call_ms;
};

static int64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Time this thread waited on a run queue (ready, no CPU given), ns; 0 unknown. */
static int64_t runq_wait_ns(void)
{
	long long cpu, wait = 0;
	FILE *f = fopen("/proc/thread-self/schedstat", "r");
	if (!f)
		return 0;
	if (fscanf(f, "%lld %lld", &cpu, &wait) != 2)
		wait = 0;
	fclose(f);
	return wait;
}

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n);
	if (!p) {
		fprintf(stderr, "bench_loop: out of memory\n");
		exit(1);
	}
	return p;
}

static uint64_t rnd(struct bench *b)
{
	uint64_t x = b->rng;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	b->rng = x;
	return x * 0x2545F4914F6CDD1DULL;
}

static void workload_init(struct bench *b)
{
	static const char *const words[] = {"cheap", "pharma", "bank", "login", "update",
					    "secure", "video", "casino"};
	static const char *const tlds[] = {"com", "net", "ru", "info", "biz"};
	b->rng = 0x7469706c6f6f70ULL;	/* fixed: the same workload every run */
	b->dom = xrealloc(NULL, NDOM * sizeof *b->dom);
	b->ip = xrealloc(NULL, NIP * sizeof *b->ip);
	for (size_t i = 0; i < NDOM; i++) {
		char lab[20];
		size_t n = 8 + rnd(b) % 10;
		for (size_t k = 0; k < n; k++)
			lab[k] = (char)('a' + rnd(b) % 26);
		lab[n] = 0;
		int len = snprintf(b->dom[i].name, sizeof b->dom[i].name, "%s.%s.%s", lab,
				   words[rnd(b) % 8], tlds[rnd(b) % 5]);
		b->dom[i].len = (uint8_t)len;
	}
	for (size_t i = 0; i < NIP; i++) {
		uint32_t v = (uint32_t)rnd(b);
		memcpy(b->ip[i], &v, 4);
		if (b->ip[i][0] == 0 || b->ip[i][0] >= 224)
			b->ip[i][0] = (uint8_t)(1 + rnd(b) % 200);
	}
}

/* One DNS lookup of a random watched domain: 5 A records. */
static void make_rec(struct bench *b, struct rec *r, uint8_t a4[20])
{
	const struct dom *d = &b->dom[rnd(b) % NDOM];
	for (int i = 0; i < 5; i++)
		memcpy(a4 + 4 * i, b->ip[rnd(b) % NIP], 4);
	*r = (struct rec){.type = REC_DNS};
	rec_stamp(r);
	r->u.dns.name = d->name;
	r->u.dns.name_len = d->len;
	r->u.dns.qtype = 1;
	r->u.dns.ttl = 180 + (uint32_t)(rnd(b) % 120);
	r->u.dns.server.family = 4;
	memcpy(r->u.dns.server.addr, "\x7f\x00\x00\x01", 4);
	r->u.dns.n_a4 = 5;
	r->u.dns.a4 = a4;
}

static void lat_add(struct lat *l, int64_t ns)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 4096;
		l->v = xrealloc(l->v, l->cap * sizeof *l->v);
	}
	l->v[l->n++] = ns;
}

static void produce(struct bench *b, int n)
{
	uint8_t a4[20];
	struct rec r;
	for (int i = 0; i < n; i++) {
		make_rec(b, &r, a4);
		int rc = b->mode == M_THREAD ? writer_put(b->wr, &r) : seg_writer_append(b->sw, &r);
		if (rc == 0)
			b->produced++;
		else
			b->refused++;
	}
}

/* Bytes written so far, and whether the segment is sealed (and indexed). */
static void progress(struct bench *b, uint64_t *bytes, int *sealed)
{
	if (b->mode == M_THREAD) {
		struct writer_stats st;
		writer_stats(b->wr, &st);
		*bytes = st.seg.bytes;
		*sealed = st.seg.segments > 0;
	} else {
		struct seg_writer_stats st;
		seg_writer_stats(b->sw, &st);
		*bytes = st.bytes;
		*sealed = st.segments > 0;
	}
}

static void on_tick(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct bench *b = container_of(w, struct bench, tick);
	int64_t now = mono_ns();

	if (b->trace && now - b->due_ns > 2000000)
		fprintf(stderr, "bench_loop: stall %.3f ms at %.3f s in %s%s\n",
			(double)(now - b->due_ns) / 1e6, (double)(now - b->start_ns) / 1e9,
			b->phase == P_FILL ? "fill" : "seal", b->sealed_ns ? " (sealed)" : "");
	while (b->due_ns <= now) {
		lat_add(&b->lat[b->phase], now - b->due_ns);
		b->due_ns += TICK_NS;
	}
	if (b->end_ns && now >= b->end_ns) {
		ev_break(loop, EVBREAK_ALL);
		return;
	}
	if (now - b->start_ns > MAX_S * 1000000000LL) {
		fprintf(stderr, "bench_loop: no sealed segment after %d s\n", MAX_S);
		b->failed = 1;
		ev_break(loop, EVBREAK_ALL);
		return;
	}
	if (b->mode != M_IDLE) {
		uint64_t bytes;
		int sealed;
		progress(b, &bytes, &sealed);
		if (b->phase == P_FILL && bytes >= SEG_BYTES - APPROACH) {
			b->phase = P_SEAL;
			b->runq_ns[P_SEAL] = runq_wait_ns();
		}
		if (b->mode == M_LOOP && !sealed && bytes >= SEG_BYTES) {
			int64_t t = mono_ns();
			if (seg_writer_seal(b->sw) < 0) {
				fprintf(stderr, "bench_loop: seal: %s\n", strerror(errno));
				b->failed = 1;
			}
			b->seal_call_ms = (double)(mono_ns() - t) / 1e6;
			sealed = 1;
		}
		if (sealed && !b->sealed_ns) {
			b->sealed_ns = mono_ns();
			b->end_ns = b->sealed_ns + TAIL_MS * 1000000LL;
		}
		produce(b, b->phase == P_FILL ? FILL_BATCH : SEAL_BATCH);
	}
	/* Re-arm for the next grid tick (libev's clock is the same monotonic one). */
	ev_now_update(loop);
	int64_t wait = b->due_ns - mono_ns();
	ev_timer_set(w, wait > 0 ? (double)wait / 1e9 : 0, 0);
	ev_timer_start(loop, w);
}

static void on_prepare(struct ev_loop *loop, ev_prepare *w, int revents)
{
	struct bench *b = container_of(w, struct bench, prep);
	if (b->mode == M_THREAD)
		writer_kick(b->wr);
	else if (b->mode == M_LOOP)
		seg_writer_tick(b->sw);
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

static void summarize(struct lat *l, struct phase_res *r)
{
	*r = (struct phase_res){0};
	if (!l->n)
		return;
	qsort(l->v, l->n, sizeof *l->v, cmp_i64);
	r->ticks = l->n;
	r->worst_ms = (double)l->v[l->n - 1] / 1e6;
	r->p99_ms = (double)l->v[(l->n * 99) / 100] / 1e6;
	r->p50_ms = (double)l->v[l->n / 2] / 1e6;
}

static int run(struct bench *b, enum mode mode, const char *dir, struct result *res)
{
	char err[256];
	struct seg_policy pol = {0};
	int rc = 0;

	b->mode = mode;
	b->phase = mode == M_IDLE ? P_SEAL : P_FILL;
	b->lat[0].n = b->lat[1].n = 0;
	b->produced = b->refused = 0;
	b->sealed_ns = b->end_ns = 0;
	b->seal_call_ms = 0;
	b->failed = 0;
	pol.max_bytes = mode == M_LOOP ? 4 * SEG_BYTES : SEG_BYTES;	/* loop: sealed by hand */

	if (mode == M_THREAD) {
		b->wr = writer_new(dir, "bench", &pol, QUEUE, err, sizeof err);
		if (!b->wr || writer_start(b->wr) < 0) {
			fprintf(stderr, "bench_loop: writer: %s\n", b->wr ? strerror(errno) : err);
			return -1;
		}
	} else if (mode == M_LOOP) {
		b->sw = seg_writer_new(dir, "bench", &pol, err, sizeof err);
		if (!b->sw) {
			fprintf(stderr, "bench_loop: store: %s\n", err);
			return -1;
		}
	}

	ev_prepare_init(&b->prep, on_prepare);
	ev_prepare_start(b->loop, &b->prep);
	ev_init(&b->tick, on_tick);
	ev_now_update(b->loop);
	b->runq_ns[P_FILL] = b->runq_ns[P_SEAL] = runq_wait_ns();
	b->start_ns = mono_ns();
	b->due_ns = b->start_ns + TICK_NS;
	if (mode == M_IDLE)
		b->end_ns = b->start_ns + IDLE_MS * 1000000LL;
	ev_timer_set(&b->tick, (double)TICK_NS / 1e9, 0);
	ev_timer_start(b->loop, &b->tick);
	ev_run(b->loop, 0);
	ev_timer_stop(b->loop, &b->tick);
	ev_prepare_stop(b->loop, &b->prep);

	*res = (struct result){0};
	res->seconds = (double)(mono_ns() - b->start_ns) / 1e9;
	res->runq_ms[P_FILL] = (double)(b->runq_ns[P_SEAL] - b->runq_ns[P_FILL]) / 1e6;
	res->runq_ms[P_SEAL] = (double)(runq_wait_ns() - b->runq_ns[P_SEAL]) / 1e6;
	res->produced = b->produced;
	res->refused = b->refused;
	res->seal_call_ms = b->seal_call_ms;
	if (mode == M_THREAD) {
		struct writer_stats st;
		writer_stats(b->wr, &st);
		res->dropped = st.dropped;
		res->lost = st.lost;
		if (writer_close(b->wr) < 0)
			rc = -1;
		b->wr = NULL;
	} else if (mode == M_LOOP) {
		if (seg_writer_close(b->sw) < 0)
			rc = -1;
		b->sw = NULL;
	}
	summarize(&b->lat[P_FILL], &res->ph[P_FILL]);
	summarize(&b->lat[P_SEAL], &res->ph[P_SEAL]);
	if (b->failed || !res->ph[P_SEAL].ticks)
		rc = -1;
	return rc;
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	return remove(path);
}

/* A run's store is about 90 MB: removed once measured. */
static void rm_tree(const char *dir)
{
	nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Median of n values; the values in run order, "a,b,c", into list. */
static double median(const double *v, int n, char *list, size_t cap)
{
	double s[REPS];
	size_t off = 0;
	list[0] = 0;
	for (int i = 0; i < n; i++) {
		s[i] = v[i];
		int k = snprintf(list + off, cap - off, "%s%.3f", i ? "," : "", v[i]);
		if (k > 0 && (size_t)k < cap - off)
			off += (size_t)k;
	}
	qsort(s, (size_t)n, sizeof *s, cmp_dbl);
	return s[n / 2];
}

int main(int argc, char **argv)
{
	static struct bench b;
	static struct result res[3][REPS];	/* [mode][run] */
	static const char *const names[3] = {"idle", "thread", "onloop"};
	/* Per mode: worst and p99 of the seal phase, worst and p99 of the fill phase. */
	double v[3][4][REPS], med[3][4] = {{0}}, seal[REPS], seal_med = 0;
	char list[3][4][128], slist[128], dir[4096];
	int want[3] = {1, 1, 1}, reps = REPS, rc = 0;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: bench_loop DIR [idle|thread|loop]\n");
		return 2;
	}
	if (argc == 3) {
		want[M_IDLE] = !strcmp(argv[2], "idle");
		want[M_THREAD] = !strcmp(argv[2], "thread");
		want[M_LOOP] = !strcmp(argv[2], "loop");
		reps = 1;
	}
	b.trace = getenv("BENCH_LOOP_TRACE") != NULL;
	log_init("bench_loop", 1, LOG_LVL_ERROR);	/* drops are counted below, not logged */
	b.loop = ev_default_loop(EVFLAG_AUTO);
	if (!b.loop) {
		fprintf(stderr, "bench_loop: no event loop\n");
		return 1;
	}
	workload_init(&b);

	/* Interleaved, so each mode sees the same background load. */
	for (int r = 0; r < reps; r++)
		for (int m = M_IDLE; m <= M_LOOP; m++) {
			if (!want[m])
				continue;
			snprintf(dir, sizeof dir, "%s/%s-%d", argv[1], names[m], r + 1);
			if (run(&b, (enum mode)m, m == M_IDLE ? NULL : dir, &res[m][r]) < 0) {
				fprintf(stderr, "bench_loop: %s run %d failed\n", names[m], r + 1);
				rc = 1;
			}
			if (m != M_IDLE)
				rm_tree(dir);
			v[m][0][r] = res[m][r].ph[P_SEAL].worst_ms;
			v[m][1][r] = res[m][r].ph[P_SEAL].p99_ms;
			v[m][2][r] = res[m][r].ph[P_FILL].worst_ms;
			v[m][3][r] = res[m][r].ph[P_FILL].p99_ms;
			if (m == M_LOOP)
				seal[r] = res[m][r].seal_call_ms;
		}

	for (int m = M_IDLE; m <= M_LOOP; m++) {
		if (!want[m])
			continue;
		for (int k = 0; k < 4; k++)
			med[m][k] = median(v[m][k], reps, list[m][k], sizeof list[m][k]);
		for (int r = 0; m != M_IDLE && r < reps; r++) {
			const struct result *x = &res[m][r];
			if (x->ph[P_SEAL].worst_ms != med[m][0])
				continue;	/* describe the median run */
			printf("bench loop_%s_run %.2f s fill_ticks=%zu seal_ticks=%zu "
			       "seal_p50=%.3f ms runq_wait_ms=%.1f,%.1f produced=%" PRIu64
			       " refused=%" PRIu64 " dropped=%" PRIu64 " lost=%" PRIu64 "\n",
			       names[m], x->seconds, x->ph[P_FILL].ticks, x->ph[P_SEAL].ticks,
			       x->ph[P_SEAL].p50_ms, x->runq_ms[P_FILL], x->runq_ms[P_SEAL],
			       x->produced, x->refused, x->dropped, x->lost);
			break;
		}
	}
	if (want[M_IDLE]) {
		printf("bench loop_stall_idle_worst_ms %.3f ms runs=%s\n", med[M_IDLE][0],
		       list[M_IDLE][0]);
		printf("bench loop_stall_idle_p99_ms %.3f ms runs=%s\n", med[M_IDLE][1],
		       list[M_IDLE][1]);
	}
	if (want[M_LOOP]) {
		seal_med = median(seal, reps, slist, sizeof slist);
		printf("bench loop_seal_call_on_loop_ms %.1f ms runs=%s\n", seal_med, slist);
	}
	if (want[M_THREAD] && want[M_LOOP]) {
		static const char *const fig[4] = {"loop_stall_worst_ms", "loop_stall_p99_ms",
						   "loop_stall_fill_worst_ms",
						   "loop_stall_fill_p99_ms"};
		for (int k = 0; k < 4; k++) {
			printf("bench %s %.3f ms seal_on_loop=%.3f ratio=%.4f runs=%s", fig[k],
			       med[M_THREAD][k], med[M_LOOP][k], med[M_THREAD][k] / med[M_LOOP][k],
			       list[M_THREAD][k]);
			if (want[M_IDLE])
				printf(" idle=%.3f", med[M_IDLE][k & 1]);
			printf("\n");
		}
	} else {
		for (int m = M_THREAD; m <= M_LOOP; m++)
			if (want[m])
				printf("bench loop_stall_%s_worst_ms %.3f ms p99=%.3f fill_worst=%.3f "
				       "fill_p99=%.3f\n",
				       names[m], med[m][0], med[m][1], med[m][2], med[m][3]);
	}
	free(b.lat[0].v);
	free(b.lat[1].v);
	free(b.dom);
	free(b.ip);
	ev_loop_destroy(b.loop);
	return rc;
}
