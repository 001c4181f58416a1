/*
 * bench_store: figures of the store, each beside an anchor measured in the
 * same run on the same bytes.  Prints lines
 *     bench NAME VALUE UNIT [ANCHOR=VALUE ratio=X]
 * (ratio = VALUE / ANCHOR) and asserts nothing.  Usage:
 *     bench_store DIR [PART]
 * DIR: an empty scratch folder on the disk under test; PART (append,
 * sqlite, index, lookup, size) runs one part alone, for a profiler.
 *
 * Workload, fast-flux-like and deterministic (fixed seed): 3000 domains,
 * names of about 20-30 characters ("<9-18 random>.<word>.<tld>"), watched
 * for 8 hours and re-resolved whenever their TTL expires (plus up to 2 s).
 * 70% are flux domains of 8 botnets: TTL 180-300 s, each answer 5 distinct
 * addresses drawn from the botnet's pool of 2500 bot IPs.  30% are stable:
 * TTL 300-3600 s, the same 5 addresses every time.  So every lookup answers
 * 5 A records; about 270,000 lookups, 1.36 million A records.  A record is
 * the DNS observation the sensor writes: name, qtype A, rcode, TTL, the
 * resolver's address and the 5 addresses, timestamped in microseconds.
 *
 * Figures and their anchors:
 *  - append: seg_writer_append of every lookup until seg_writer_sync
 *    returns, in one segment, index off (it is measured apart), under three
 *    fsync policies: at the end only, every 1000 records, never.  Anchor:
 *    write(2) of the very bytes the writer produced, 64 KiB a call (the
 *    writer's buffer), into a new file, with fdatasync at the same record
 *    boundaries and the one directory fsync a new file needs to be durable
 *    (none under "never").  Best of 3 runs each.
 *  - append vs SQLite: the same lookups as rows of one table (ts, name,
 *    qtype, rcode, ttl, server BLOB, answers BLOB: one row per lookup, the
 *    5 addresses in one 20-byte blob, no secondary index, as the segment
 *    has none), WAL mode, default synchronous, one transaction, prepared
 *    statement; timed to the return of COMMIT.  Against the "end" policy.
 *  - index build: index_build of the 8-hour segment (records/s, MB/s of
 *    segment), anchor a plain seg_reader pass over the same segment.
 *  - lookup: the index opened once, then for random existing keys (all
 *    domains and addresses of the segment, uniformly) index_find and a walk
 *    of every offset; anchor cdb_find of the same keys in the same file
 *    through its own cdb_init.  Also split by key kind, index_find alone,
 *    and the cost of one offset of the walk (keys of an 8-hour segment
 *    carry about 60).  Warm: one untimed pass first; best of 3.
 *  - size: the workload written as a sensor would (default rotation: 16 MiB
 *    or an hour, indexes built at seal), bytes of segments, and of segments
 *    plus indexes, per A record.  Anchors: the SQLite file above, and
 *    gamelinux/passivedns log lines (one per answer) for the same data.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cdb.h>

#include "clock.h"
#include "index.h"
#include "rec.h"
#include "seg.h"
#include "seg_writer.h"
#include "store.h"

#define NDOM 3000
#define FLUX_PCT 70
#define NNET 8
#define POOL 2500
#define SPAN_S (8 * 3600)
#define T0 1764000000000000LL	/* 2025-11-24T16:00:00Z */
#define NLOOKUP 500000		/* random keys per lookup pass */
#define REPS 3
#define CHUNK (64u << 10)

struct dom {
	char name[48];
	uint8_t len;
	uint8_t flux;
	uint16_t net;
	uint32_t ttl;
	uint8_t fixed[20];
};

struct obs {
	int64_t ts;
	uint32_t dom;
	uint8_t a4[20];
};

static struct dom *doms;
static uint8_t (*pool)[POOL][4];
static struct obs *obs;
static size_t nobs;
static const uint8_t resolver[4] = {192, 0, 2, 53};
static const char *dir;

static uint64_t rs = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(void)
{
	rs ^= rs << 13;
	rs ^= rs >> 7;
	rs ^= rs << 17;
	return (uint32_t)(rs >> 16);
}

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static void die(const char *what)
{
	fprintf(stderr, "bench_store: %s: %s\n", what, strerror(errno));
	exit(2);
}

static void rand_ip(uint8_t *a)
{
	do
		a[0] = (uint8_t)(1 + rnd() % 223);
	while (a[0] == 10 || a[0] == 127);
	a[1] = (uint8_t)rnd();
	a[2] = (uint8_t)rnd();
	a[3] = (uint8_t)(1 + rnd() % 254);
}

static int obs_cmp(const void *a, const void *b)
{
	const struct obs *x = a, *y = b;
	return x->ts < y->ts ? -1 : x->ts > y->ts;
}

static void make_workload(void)
{
	static const char *const words[] = {"secure", "update", "online", "cdn", "mail", "login",
					    "pharma", "bank", "account", "service", "cloud", "host"};
	static const char *const tlds[] = {"com", "net", "ru", "cn", "info", "biz", "org", "su"};
	size_t cap = 300000;

	doms = calloc(NDOM, sizeof *doms);
	pool = malloc(NNET * sizeof *pool);
	obs = malloc(cap * sizeof *obs);
	if (!doms || !pool || !obs)
		die("workload");
	for (int n = 0; n < NNET; n++)
		for (int i = 0; i < POOL; i++)
			rand_ip(pool[n][i]);
	for (int d = 0; d < NDOM; d++) {
		struct dom *m = &doms[d];
		char label[20];
		int ll = 9 + (int)(rnd() % 10);
		for (int i = 0; i < ll; i++) {
			uint32_t c = rnd() % 36;
			label[i] = (char)(c < 26 ? 'a' + c : '0' + c - 26);
		}
		label[ll] = '\0';
		const char *w = words[rnd() % 12];
		const char *tld = tlds[rnd() % 8];
		m->len = (uint8_t)snprintf(m->name, sizeof m->name, "%s.%s.%s", label, w, tld);
		m->flux = rnd() % 100 < FLUX_PCT;
		m->net = (uint16_t)(rnd() % NNET);
		m->ttl = m->flux ? 180 + rnd() % 121 : 300 + rnd() % 3301;
		for (int i = 0; i < 5; i++)
			rand_ip(m->fixed + 4 * i);
		/* first lookup somewhere in the first TTL, then at every expiry */
		int64_t t = T0 + (int64_t)(rnd() % m->ttl) * 1000000 + rnd() % 1000000;
		while (t < T0 + (int64_t)SPAN_S * 1000000) {
			if (nobs == cap) {
				cap *= 2;
				obs = realloc(obs, cap * sizeof *obs);
				if (!obs)
					die("workload");
			}
			obs[nobs].ts = t;
			obs[nobs].dom = (uint32_t)d;
			nobs++;
			t += (int64_t)m->ttl * 1000000 + rnd() % 2000000;
		}
	}
	qsort(obs, nobs, sizeof *obs, obs_cmp);
	for (size_t i = 0; i < nobs; i++) {
		const struct dom *m = &doms[obs[i].dom];
		if (!m->flux) {
			memcpy(obs[i].a4, m->fixed, 20);
			continue;
		}
		uint32_t pick[5];
		for (int k = 0; k < 5; k++) {
			int again;
			do {
				pick[k] = rnd() % POOL;
				again = 0;
				for (int j = 0; j < k; j++)
					again |= pick[j] == pick[k];
			} while (again);
			memcpy(obs[i].a4 + 4 * k, pool[m->net][pick[k]], 4);
		}
	}
}

static void fill_rec(struct rec *r, const struct obs *o)
{
	const struct dom *m = &doms[o->dom];
	memset(r, 0, sizeof *r);
	r->type = REC_DNS;
	r->ts_us = o->ts;
	r->u.dns.name = m->name;
	r->u.dns.name_len = m->len;
	r->u.dns.qtype = 1;
	r->u.dns.ttl = m->ttl;
	r->u.dns.server.family = 4;
	memcpy(r->u.dns.server.addr, resolver, 4);
	r->u.dns.n_a4 = 5;
	r->u.dns.a4 = o->a4;
}

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	return remove(p);
}

static void rmrf(const char *p)
{
	nftw(p, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void sub(char *out, size_t cap, const char *name)
{
	snprintf(out, cap, "%s/%s", dir, name);
}

static uint64_t file_size(const char *p)
{
	struct stat sb;
	return stat(p, &sb) == 0 ? (uint64_t)sb.st_size : 0;
}

/* The one segment (or last segment) of a store: its .tlog path. */
static void only_segment(const char *store, char *out, size_t cap)
{
	struct store_listing ls;
	if (store_list(store, &ls) < 0 || ls.n == 0)
		die("store_list");
	store_seg_path(out, cap, store, ls.segs[ls.n - 1].name, "tlog");
	store_listing_free(&ls);
}

/* ---- append ------------------------------------------------------------ */

enum policy { POL_END, POL_N1000, POL_NONE };
static const char *const pol_name[] = {"sync_end", "sync_1000", "nosync"};

/* Seconds to append everything and have it durable under the policy. */
static double run_writer(enum policy p, int keep, uint64_t *bytes)
{
	char store[4096], err[256];
	struct seg_policy pol = {
		.max_bytes = 1ull << 40,	/* one segment: rotation is not measured here */
		.max_age_s = 1u << 30,
		.no_index = 1,			/* the index build is measured apart */
		.sync_every_n = p == POL_N1000 ? 1000 : 0,
		.no_fsync = p == POL_NONE,
	};
	struct seg_writer_stats st;
	struct rec r;

	sub(store, sizeof store, "append");
	rmrf(store);
	clock_fake(T0);
	struct seg_writer *w = seg_writer_new(store, "bench", &pol, err, sizeof err);
	if (!w) {
		fprintf(stderr, "bench_store: %s\n", err);
		exit(2);
	}
	double t = now_s();
	for (size_t i = 0; i < nobs; i++) {
		fill_rec(&r, &obs[i]);
		if (seg_writer_append(w, &r) < 0)
			die("append");
	}
	if (seg_writer_sync(w) < 0)
		die("sync");
	t = now_s() - t;
	seg_writer_stats(w, &st);
	*bytes = st.bytes;
	if (keep) {
		if (seg_writer_close(w) < 0)
			die("close");
	} else {
		seg_writer_free(w);
	}
	clock_fake(0);
	return t;
}

/* The anchor: the same bytes by write(2), synced at the same boundaries. */
static double run_raw(const uint8_t *data, size_t len, const size_t *marks, size_t nmarks,
		      enum policy p)
{
	char path[4096];
	sub(path, sizeof path, "raw.bin");
	unlink(path);
	double t = now_s();
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		die(path);
	if (p != POL_NONE) {
		int dfd = open(dir, O_RDONLY | O_DIRECTORY);
		if (dfd < 0 || fsync(dfd) < 0)
			die("fsync dir");
		close(dfd);
	}
	size_t off = 0;
	for (size_t m = 0; m <= nmarks; m++) {
		size_t end = m < nmarks ? marks[m] : len;
		while (off < end) {
			size_t n = end - off < CHUNK ? end - off : CHUNK;
			ssize_t k = write(fd, data + off, n);
			if (k <= 0)
				die("write");
			off += (size_t)k;
		}
		if (p != POL_NONE && fdatasync(fd) < 0)
			die("fdatasync");
	}
	t = now_s() - t;
	close(fd);
	unlink(path);
	return t;
}

static uint8_t *slurp(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY);
	struct stat sb;
	if (fd < 0 || fstat(fd, &sb) < 0)
		die(path);
	uint8_t *p = malloc((size_t)sb.st_size + 1);
	size_t off = 0;
	while (p && off < (size_t)sb.st_size) {
		ssize_t k = read(fd, p + off, (size_t)sb.st_size - off);
		if (k <= 0)
			die(path);
		off += (size_t)k;
	}
	close(fd);
	*len = off;
	return p;
}

static void print_ratio(const char *name, double v, const char *unit, const char *an, double a)
{
	printf("bench %s %.0f %s %s=%.0f ratio=%.2f\n", name, v, unit, an, a, v / a);
}

/* ---- SQLite ------------------------------------------------------------ */

static void sql(sqlite3 *db, const char *s)
{
	char *e = NULL;
	if (sqlite3_exec(db, s, NULL, NULL, &e) != SQLITE_OK) {
		fprintf(stderr, "bench_store: sqlite: %s: %s\n", s, e ? e : "?");
		exit(2);
	}
}

static double run_sqlite(uint64_t *bytes)
{
	char path[4096], wal[4200];
	sqlite3 *db;
	sqlite3_stmt *st;
	sub(path, sizeof path, "obs.sqlite");
	snprintf(wal, sizeof wal, "%s-wal", path);
	unlink(path);
	unlink(wal);
	if (sqlite3_open(path, &db) != SQLITE_OK)
		die("sqlite3_open");
	sql(db, "PRAGMA journal_mode=WAL");
	sql(db, "CREATE TABLE obs(ts INTEGER NOT NULL, name TEXT NOT NULL, qtype INTEGER, "
		"rcode INTEGER, ttl INTEGER, server BLOB, answers BLOB)");
	if (sqlite3_prepare_v2(db, "INSERT INTO obs VALUES(?,?,?,?,?,?,?)", -1, &st, NULL) != SQLITE_OK)
		die("prepare");
	double t = now_s();
	sql(db, "BEGIN");
	for (size_t i = 0; i < nobs; i++) {
		const struct dom *m = &doms[obs[i].dom];
		sqlite3_bind_int64(st, 1, obs[i].ts);
		sqlite3_bind_text(st, 2, m->name, m->len, SQLITE_STATIC);
		sqlite3_bind_int(st, 3, 1);
		sqlite3_bind_int(st, 4, 0);
		sqlite3_bind_int(st, 5, (int)m->ttl);
		sqlite3_bind_blob(st, 6, resolver, 4, SQLITE_STATIC);
		sqlite3_bind_blob(st, 7, obs[i].a4, 20, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE)
			die("sqlite insert");
		sqlite3_reset(st);
	}
	sql(db, "COMMIT");
	t = now_s() - t;
	sqlite3_finalize(st);
	sqlite3_close(db);	/* checkpoints the WAL into the file */
	*bytes = file_size(path) + file_size(wal);
	unlink(path);
	unlink(wal);
	return t;
}

/* ---- index build and lookups ---------------------------------------------- */

struct key {
	uint8_t k[INDEX_KEY_MAX];
	uint16_t len;
};

static struct key *keys;
static size_t nkeys, ndomkeys;

static void make_keys(struct index *ix)
{
	size_t cap = NDOM + NNET * POOL + NDOM * 5;
	struct index_iter it;
	keys = malloc(cap * sizeof *keys);
	if (!keys)
		die("keys");
	for (int d = 0; d < NDOM; d++) {
		struct key *k = &keys[nkeys];
		k->len = (uint16_t)index_key_domain(k->k, doms[d].name, doms[d].len);
		if (index_find(ix, k->k, k->len, &it) == 1)
			nkeys++;
	}
	ndomkeys = nkeys;
	for (int n = 0; n < NNET; n++)
		for (int i = 0; i < POOL; i++) {
			struct key *k = &keys[nkeys];
			k->len = (uint16_t)index_key_ip(k->k, 4, pool[n][i]);
			if (index_find(ix, k->k, k->len, &it) == 1)
				nkeys++;
		}
	for (int d = 0; d < NDOM; d++) {
		if (doms[d].flux)
			continue;
		for (int i = 0; i < 5; i++) {
			struct key *k = &keys[nkeys];
			k->len = (uint16_t)index_key_ip(k->k, 4, doms[d].fixed + 4 * i);
			if (index_find(ix, k->k, k->len, &it) == 1)
				nkeys++;
		}
	}
}

enum lk { LK_WALK, LK_FIND, LK_CDB };

static volatile uint64_t sink;
static uint64_t walked;		/* offsets walked by the last LK_WALK pass */

static double lookups(struct index *ix, struct cdb *cdb, const uint32_t *pick, enum lk how)
{
	uint64_t sum = 0, pos, n = 0;
	struct index_iter it;
	double t = now_s();
	for (size_t i = 0; i < NLOOKUP; i++) {
		const struct key *k = &keys[pick[i]];
		if (how == LK_CDB) {
			if (cdb_find(cdb, k->k, k->len) > 0)
				sum += cdb_datapos(cdb);
		} else if (index_find(ix, k->k, k->len, &it) == 1) {
			if (how == LK_FIND)
				sum += (uintptr_t)it.p;
			else
				while (index_iter_next(&it, &pos) > 0) {
					sum += pos;
					n++;
				}
		}
	}
	t = now_s() - t;
	sink += sum;
	if (how == LK_WALK)
		walked = n;
	return t * 1e9 / NLOOKUP;
}

/*
 * Best of REPS for each way, the ways interleaved within each round so a
 * neighbour's load on this 2-core machine hits them alike; one untimed
 * round first to warm the caches.
 */
static void best_lookups(struct index *ix, struct cdb *cdb, const uint32_t *pick, double *best)
{
	for (int w = 0; w < 3; w++)
		best[w] = 1e18;
	for (int r = 0; r <= REPS; r++)
		for (int w = 0; w < 3; w++) {
			double v = lookups(ix, cdb, pick, (enum lk)w);
			if (r > 0 && v < best[w])
				best[w] = v;
		}
}

static void bench_lookups(const char *cdb_path)
{
	struct index ix;
	struct cdb cdb;
	if (index_open(&ix, cdb_path) < 0)
		die("index_open");
	int fd = open(cdb_path, O_RDONLY);
	if (fd < 0 || cdb_init(&cdb, fd) < 0)
		die("cdb_init");
	make_keys(&ix);
	uint32_t *pick = malloc(NLOOKUP * sizeof *pick);
	if (!pick)
		die("pick");
	/* all keys, domains only, addresses only */
	static const char *const sets[] = {"index_lookup", "index_lookup_domain", "index_lookup_ip"};
	for (int s = 0; s < 3; s++) {
		size_t lo = s == 2 ? ndomkeys : 0, hi = s == 1 ? ndomkeys : nkeys;
		for (size_t i = 0; i < NLOOKUP; i++)
			pick[i] = (uint32_t)(lo + rnd() % (hi - lo));
		double b[3];
		best_lookups(&ix, &cdb, pick, b);
		printf("bench %s_ns %.1f ns cdb_find=%.1f ratio=%.2f\n", sets[s], b[LK_WALK],
		       b[LK_CDB], b[LK_WALK] / b[LK_CDB]);
		if (s == 0) {
			double per = (double)walked / NLOOKUP;
			printf("bench index_find_only_ns %.1f ns cdb_find=%.1f ratio=%.2f\n", b[LK_FIND],
			       b[LK_CDB], b[LK_FIND] / b[LK_CDB]);
			printf("bench index_walk_per_offset_ns %.1f ns offsets_per_key=%.1f\n",
			       (b[LK_WALK] - b[LK_FIND]) / per, per);
		}
	}
	printf("bench index_keys %zu keys (%zu domains, %zu addresses)\n", nkeys, ndomkeys,
	       nkeys - ndomkeys);
	free(pick);
	cdb_free(&cdb);
	close(fd);
	index_close(&ix);
}

static void bench_index_build(const char *seg, int build, int lookup)
{
	char cdbp[4200], err[512];
	struct index_build_stats st;
	double best = 1e18, scan = 1e18;
	uint64_t segbytes = file_size(seg);
	snprintf(cdbp, sizeof cdbp, "%s/bench.cdb", dir);
	for (int r = 0; r < (build ? REPS : 1); r++) {
		struct seg_reader rd;
		struct rec rec;
		uint64_t pos, n = 0;
		double t = now_s();
		if (seg_reader_open(&rd, seg) < 0)
			die("seg_reader_open");
		while (seg_reader_next(&rd, &rec, &pos) > 0)
			n++;
		seg_reader_close(&rd);
		t = now_s() - t;
		sink += n;
		if (t < scan)
			scan = t;
		unlink(cdbp);
		t = now_s();
		if (index_build(seg, cdbp, &st, err, sizeof err) < 0) {
			fprintf(stderr, "bench_store: %s\n", err);
			exit(2);
		}
		t = now_s() - t;
		if (t < best)
			best = t;
	}
	if (build) {
		print_ratio("index_build_rps", (double)st.records / best, "rec/s", "seg_scan",
			    (double)st.records / scan);
		printf("bench index_build_mbps %.1f MB/s seg_scan=%.1f ratio=%.2f\n",
		       segbytes / best / 1e6, segbytes / scan / 1e6, scan / best);
		printf("bench index_bytes_per_ref %.2f B refs=%" PRIu64 " keys=%" PRIu64 "\n",
		       (double)st.bytes / (double)st.refs, st.refs, st.keys);
	}
	if (lookup)
		bench_lookups(cdbp);
	unlink(cdbp);
}

/* ---- size as a sensor writes it ------------------------------------------ */

static void bench_size(uint64_t sqlite_bytes)
{
	char store[4096], err[256], p[4400];
	struct seg_policy pol = {.no_fsync = 1};	/* default rotation; fsync changes no size */
	struct store_listing ls;
	struct rec r;
	uint64_t seg = 0, cdbb = 0, pdns = 0, ent = 0, kb = 0, vb = 0;

	sub(store, sizeof store, "size");
	rmrf(store);
	clock_fake(T0);
	struct seg_writer *w = seg_writer_new(store, "bench", &pol, err, sizeof err);
	if (!w) {
		fprintf(stderr, "bench_store: %s\n", err);
		exit(2);
	}
	for (size_t i = 0; i < nobs; i++) {
		if (obs[i].ts > clock_now_us())
			clock_advance(obs[i].ts - clock_now_us());
		fill_rec(&r, &obs[i]);
		if (seg_writer_append(w, &r) < 0)
			die("append");
		if (seg_writer_tick(w) < 0)
			die("tick");
	}
	if (seg_writer_close(w) < 0)
		die("close");
	clock_fake(0);
	if (store_list(store, &ls) < 0)
		die("store_list");
	for (size_t i = 0; i < ls.n; i++) {
		store_seg_path(p, sizeof p, store, ls.segs[i].name, "tlog");
		seg += file_size(p);
		store_seg_path(p, sizeof p, store, ls.segs[i].name, "cdb");
		cdbb += file_size(p);
		/* what the index bytes are: entries, key bytes, offset lists */
		struct cdb c;
		unsigned cpos;
		int fd = open(p, O_RDONLY);
		if (fd < 0 || cdb_init(&c, fd) < 0)
			die(p);
		cdb_seqinit(&cpos, &c);
		while (cdb_seqnext(&cpos, &c) > 0) {
			ent++;
			kb += cdb_keylen(&c);
			vb += cdb_datalen(&c);
		}
		cdb_free(&c);
		close(fd);
	}
	size_t nseg = ls.n;
	store_listing_free(&ls);
	rmrf(store);

	/* passivedns: ts||client||server||class||query||type||answer||ttl||count */
	for (size_t i = 0; i < nobs; i++) {
		const struct dom *m = &doms[obs[i].dom];
		for (int k = 0; k < 5; k++) {
			const uint8_t *a = obs[i].a4 + 4 * k;
			int n = snprintf(NULL, 0, "%" PRId64 ".%06d||10.0.0.2||192.0.2.53||IN||%s.||A||%u.%u.%u.%u||%u||1\n",
					 obs[i].ts / 1000000, (int)(obs[i].ts % 1000000), m->name, a[0], a[1],
					 a[2], a[3], m->ttl);
			pdns += (uint64_t)n;
		}
	}
	double na = (double)nobs * 5;
	printf("bench bytes_per_a_segment %.2f B sqlite=%.2f ratio=%.2f\n", seg / na,
	       sqlite_bytes / na, seg / (double)sqlite_bytes);
	printf("bench bytes_per_a_with_index %.2f B passivedns=%.2f ratio=%.2f\n", (seg + cdbb) / na,
	       pdns / na, (seg + cdbb) / (double)pdns);
	printf("bench size_segments %zu segments %.1f MB tlog %.1f MB cdb\n", nseg, seg / 1e6,
	       cdbb / 1e6);
	/* tinycdb: 2048-byte header, then per entry 8 bytes of lengths and 16 of hash slots */
	printf("bench size_index_per_a %.2f B entries=%.2f keys=%.2f offsets=%.2f "
	       "(%" PRIu64 " entries, %" PRIu64 " per segment)\n",
	       cdbb / na, (2048.0 * nseg + 24.0 * ent) / na, kb / na, vb / na, ent, ent / nseg);
}

int main(int argc, char **argv)
{
	char seg[4400];
	uint64_t bytes = 0, sqlite_bytes = 0;
	double tw[3], tr[3], tsql = 1e18;

	if (argc != 2 && argc != 3) {
		fprintf(stderr, "usage: bench_store DIR [append|sqlite|index|lookup|size]\n");
		return 2;
	}
	dir = argv[1];
	const char *only = argc == 3 ? argv[2] : NULL;
#define PART(x) (!only || !strcmp(only, x))
	setvbuf(stdout, NULL, _IOLBF, 0);
	make_workload();
	double namelen = 0;
	for (int d = 0; d < NDOM; d++)
		namelen += doms[d].len;
	printf("bench workload %zu lookups (%d domains, 5 A each, %d h) name_len=%.1f\n", nobs, NDOM,
	       SPAN_S / 3600, namelen / NDOM);

	/* the writer once with the end policy, kept: its bytes feed the anchors */
	run_writer(POL_END, 1, &bytes);
	sub(seg, sizeof seg, "append");
	char segpath[4400];
	only_segment(seg, segpath, sizeof segpath);
	size_t len;
	uint8_t *data = slurp(segpath, &len);
	len = (size_t)bytes;	/* what the writer wrote before the seal */
	size_t *marks = malloc((nobs / 1000 + 1) * sizeof *marks), nmarks = 0;
	size_t off = SEG_HDR_SIZE, nrec = 0, flen;
	const char *why;
	while (off < len && rec_frame_check(data + off, len - off, &flen, &why) == 1) {
		off += flen;
		if (++nrec % 1000 == 0 && off < len)
			marks[nmarks++] = off;
	}
	if (nrec != nobs) {
		fprintf(stderr, "bench_store: segment holds %zu records, expected %zu\n", nrec, nobs);
		return 2;
	}
	/* keep the sealed segment for the index figures */
	char keep[4400];
	snprintf(keep, sizeof keep, "%s/bench.tlog", dir);
	if (rename(segpath, keep) < 0)
		die("rename");

	for (int p = 0; p < 3 && PART("append"); p++) {
		tw[p] = tr[p] = 1e18;
		for (int r = 0; r < REPS; r++) {
			uint64_t b;
			double t = run_writer((enum policy)p, 0, &b);
			if (t < tw[p])
				tw[p] = t;
			t = run_raw(data, len, p == POL_N1000 ? marks : NULL, p == POL_N1000 ? nmarks : 0,
				    (enum policy)p);
			if (t < tr[p])
				tr[p] = t;
		}
		char name[64];
		snprintf(name, sizeof name, "append_%s_rps", pol_name[p]);
		print_ratio(name, nobs / tw[p], "rec/s", "write", nobs / tr[p]);
		snprintf(name, sizeof name, "append_%s_mbps", pol_name[p]);
		printf("bench %s %.1f MB/s write=%.1f ratio=%.2f\n", name, len / tw[p] / 1e6,
		       len / tr[p] / 1e6, tr[p] / tw[p]);
	}
	rmrf(seg);
	for (int r = 0; r < REPS && (PART("sqlite") || PART("size")); r++) {
		double t = run_sqlite(&sqlite_bytes);
		if (t < tsql)
			tsql = t;
	}
	if (!only)
		print_ratio("append_vs_sqlite_rps", nobs / tw[POL_END], "rec/s", "sqlite", nobs / tsql);
	if (PART("index") || PART("lookup"))
		bench_index_build(keep, PART("index"), PART("lookup"));
	unlink(keep);
	if (PART("size"))
		bench_size(sqlite_bytes);
	free(data);
	free(marks);
	return 0;
}
