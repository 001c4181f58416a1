/*
 * store: directory layout, listing, retention and multi-store reads
 * (store.h).  Reads never modify a store; only retention removes files,
 * and only whole sealed segments, index first (a segment without its
 * index is re-indexed by the next writer; an index without its segment
 * would be an orphan).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errmsg.h"
#include "modes.h"
#include "store.h"
#include "tip_config.h"

static void sanitize_id(char *s)
{
	for (; *s; s++) {
		char c = *s;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '-' || c == '_'))
			*s = '_';
	}
}

void store_seg_path(char *out, size_t cap, const char *dir, const char *name, const char *ext)
{
	snprintf(out, cap, "%s/log/%s.%s", dir, name, ext);
}

static int mkdir_p1(const char *path)
{
	if (mkdir(path, STORE_DIR_MODE) < 0 && errno != EEXIST)
		return -1;
	return 0;
}

int store_create(const char *dir, const char *sensor, char *err, size_t errlen)
{
	char p[PATH_MAX], id[STORE_ID_MAX];
	struct stat sb;

	if (mkdir_p1(dir) < 0) {
		errmsg_say(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	snprintf(p, sizeof p, "%s/log", dir);
	if (mkdir_p1(p) < 0) {
		errmsg_say(err, errlen, "%s: %s", p, strerror(errno));
		return -1;
	}
	snprintf(p, sizeof p, "%s/state", dir);
	if (mkdir_p1(p) < 0) {
		errmsg_say(err, errlen, "%s: %s", p, strerror(errno));
		return -1;
	}
	snprintf(p, sizeof p, "%s/sensor.id", dir);
	if (stat(p, &sb) == 0)
		return 0;
	if (sensor)
		snprintf(id, sizeof id, "%s", sensor);
	else if (gethostname(id, sizeof id) < 0 || !id[0])
		snprintf(id, sizeof id, "sensor");
	id[sizeof id - 1] = '\0';
	sanitize_id(id);
	char tmp[PATH_MAX + 8];
	snprintf(tmp, sizeof tmp, "%s.tmp", p);
	int tfd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, STORE_FILE_MODE);
	FILE *f = tfd >= 0 ? fdopen(tfd, "w") : NULL;
	if (tfd >= 0 && !f)
		close(tfd);
	if (!f || fprintf(f, "%s\n", id) < 0 || fflush(f) != 0 ||
	    (ENABLE_STORE_FSYNC && fsync(fileno(f)) < 0) || fclose(f) != 0 || rename(tmp, p) < 0) {
		errmsg_say(err, errlen, "%s: %s", p, strerror(errno));
		return -1;
	}
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		if (ENABLE_STORE_FSYNC)
			(void)fsync(dfd);
		close(dfd);
	}
	return 0;
}

int store_is_store(const char *dir)
{
	char p[PATH_MAX];
	struct stat sb;
	snprintf(p, sizeof p, "%s/sensor.id", dir);
	if (stat(p, &sb) == 0 && S_ISREG(sb.st_mode))
		return 1;
	snprintf(p, sizeof p, "%s/log", dir);
	return stat(p, &sb) == 0 && S_ISDIR(sb.st_mode);
}

int store_sensor_id(const char *dir, char *out, size_t cap)
{
	char p[PATH_MAX];
	snprintf(p, sizeof p, "%s/sensor.id", dir);
	FILE *f = fopen(p, "r");
	if (f) {
		char line[STORE_ID_MAX];
		if (fgets(line, sizeof line, f)) {
			line[strcspn(line, "\r\n")] = '\0';
			fclose(f);
			if (line[0]) {
				sanitize_id(line);
				snprintf(out, cap, "%s", line);
				return 0;
			}
		} else {
			fclose(f);
		}
	}
	/* no id: the directory's own name */
	size_t n = strlen(dir);
	while (n > 1 && dir[n - 1] == '/')
		n--;
	size_t s = n;
	while (s > 0 && dir[s - 1] != '/')
		s--;
	snprintf(out, cap, "%.*s", (int)(n - s), dir + s);
	sanitize_id(out);
	return -1;
}

static int seg_cmp(const void *a, const void *b)
{
	const struct store_seg *x = a, *y = b;
	if (x->seq != y->seq)
		return x->seq < y->seq ? -1 : 1;
	/* the same seq: the plain segment first, then compacted ones by name */
	int cx = x->cover_first != x->seq, cy = y->cover_first != y->seq;
	if (cx != cy)
		return cx - cy;
	return strcmp(x->name, y->name);
}

/*
 * The first seq a segment name covers: <first> of "<start>-<seq>.c<first>"
 * (at least 8 digits, first < seq), else seq itself.
 */
static int push_foreign(struct store_listing *ls, size_t *fcap, const char *name, const char *ext)
{
	if (ls->n_foreign == *fcap) {
		size_t nc = *fcap ? *fcap * 2 : 8;
		void *nn = realloc(ls->foreign, nc * sizeof *ls->foreign);
		if (!nn)
			return -1;
		ls->foreign = nn;
		*fcap = nc;
	}
	size_t n = strlen(name) + strlen(ext) + 2;
	char *s = malloc(n);
	if (!s)
		return -1;
	snprintf(s, n, "%s.%s", name, ext);
	ls->foreign[ls->n_foreign++] = s;
	return 0;
}

/*
 * Hide the segments a compacted one covers.  In listing order a segment
 * is covered when a later compacted one starts at or before its first
 * seq (a later one has a seq at least its own); covers never cross,
 * since compaction only merges whole listed segments.
 */
static int hide_superseded(struct store_listing *ls, size_t *fcap)
{
	uint64_t minfirst = UINT64_MAX;
	size_t keep = ls->n;
	for (size_t i = ls->n; i-- > 0;) {
		struct store_seg *s = &ls->segs[i];
		if (s->cover_first >= minfirst) {
			if (push_foreign(ls, fcap, s->name, "tlog") < 0 ||
			    (s->has_index && push_foreign(ls, fcap, s->name, "cdb") < 0))
				return -1;
			s->has_index = -1;	/* mark: dropped below */
			keep--;
			continue;
		}
		if (s->cover_first != s->seq && s->cover_first < minfirst)
			minfirst = s->cover_first;
	}
	if (keep == ls->n)
		return 0;
	size_t o = 0;
	for (size_t i = 0; i < ls->n; i++)
		if (ls->segs[i].has_index >= 0)
			ls->segs[o++] = ls->segs[i];
	ls->n = o;
	return 0;
}

static int ends_with(const char *s, const char *suf)
{
	size_t n = strlen(s), m = strlen(suf);
	return n > m && !strcmp(s + n - m, suf);
}

int store_list(const char *dir, struct store_listing *ls)
{
	char p[PATH_MAX];
	DIR *d;
	struct dirent *de;
	size_t cap = 0, fcap = 0;
	char **cdbs = NULL;
	size_t ncdb = 0, cdbcap = 0;

	memset(ls, 0, sizeof *ls);
	snprintf(p, sizeof p, "%s/log", dir);
	d = opendir(p);
	if (!d)
		return -1;
	for (;;) {
		errno = 0;
		if (!(de = readdir(d))) {
			if (errno) {
				/* a listing cut short would restart sequence numbers */
				int e = errno;
				closedir(d);
				for (size_t i = 0; i < ncdb; i++)
					free(cdbs[i]);
				free(cdbs);
				store_listing_free(ls);
				errno = e;
				return -1;
			}
			break;
		}
		const char *n = de->d_name;
		uint32_t seq;
		int64_t start;
		char base[SEG_NAME_MAX];
		if (n[0] == '.' && (!n[1] || (n[1] == '.' && !n[2])))
			continue;
		size_t len = strlen(n);
		if (ends_with(n, ".tlog") && len - 5 < sizeof base && seg_name_parse(n, &seq, &start)) {
			struct stat sb;
			char fp[PATH_MAX + 300];
			snprintf(fp, sizeof fp, "%s/%s", p, n);
			if (stat(fp, &sb) < 0 || !S_ISREG(sb.st_mode))
				goto foreign;
			if (ls->n == cap) {
				cap = cap ? cap * 2 : 64;
				void *nn = realloc(ls->segs, cap * sizeof *ls->segs);
				if (!nn)
					goto nomem;
				ls->segs = nn;
			}
			struct store_seg *s = &ls->segs[ls->n++];
			memset(s, 0, sizeof *s);
			snprintf(s->name, sizeof s->name, "%.*s", (int)(len - 5), n);
			s->seq = seq;
			s->cover_first = seg_name_first(s->name, seq);
			s->start_us = start;
			s->size = (uint64_t)sb.st_size;
			continue;
		}
		if (ends_with(n, ".cdb") && seg_name_parse(n, &seq, &start)) {
			if (ncdb == cdbcap) {
				cdbcap = cdbcap ? cdbcap * 2 : 64;
				void *nn = realloc(cdbs, cdbcap * sizeof *cdbs);
				if (!nn)
					goto nomem;
				cdbs = nn;
			}
			if (!(cdbs[ncdb] = strdup(n)))
				goto nomem;
			ncdb++;
			continue;
		}
foreign:
		if (ls->n_foreign == fcap) {
			fcap = fcap ? fcap * 2 : 8;
			void *nn = realloc(ls->foreign, fcap * sizeof *ls->foreign);
			if (!nn)
				goto nomem;
			ls->foreign = nn;
		}
		if (!(ls->foreign[ls->n_foreign] = strdup(n)))
			goto nomem;
		ls->n_foreign++;
	}
	closedir(d);
	if (ls->n)
		qsort(ls->segs, ls->n, sizeof *ls->segs, seg_cmp);
	/* pair indexes with their segments; an index alone is foreign */
	for (size_t i = 0; i < ncdb; i++) {
		size_t bl = strlen(cdbs[i]) - 4;
		int paired = 0;
		for (size_t j = 0; j < ls->n && !paired; j++)
			if (strlen(ls->segs[j].name) == bl && !strncmp(ls->segs[j].name, cdbs[i], bl))
				ls->segs[j].has_index = paired = 1;
		if (paired) {
			free(cdbs[i]);
			continue;
		}
		if (ls->n_foreign == fcap) {
			fcap = fcap ? fcap * 2 : 8;
			void *nn = realloc(ls->foreign, fcap * sizeof *ls->foreign);
			if (!nn) {
				free(cdbs[i]);
				continue;
			}
			ls->foreign = nn;
		}
		ls->foreign[ls->n_foreign++] = cdbs[i];
	}
	free(cdbs);
	if (hide_superseded(ls, &fcap) < 0) {
		store_listing_free(ls);
		errno = ENOMEM;
		return -1;
	}
	return 0;
nomem:
	closedir(d);
	for (size_t i = 0; i < ncdb; i++)
		free(cdbs[i]);
	free(cdbs);
	store_listing_free(ls);
	errno = ENOMEM;
	return -1;
}

void store_listing_free(struct store_listing *ls)
{
	for (size_t i = 0; i < ls->n_foreign; i++)
		free(ls->foreign[i]);
	free(ls->foreign);
	free(ls->segs);
	memset(ls, 0, sizeof *ls);
}

int store_retention(const char *dir, uint64_t quota)
{
	struct store_listing ls;
	uint64_t total = 0;
	char p[PATH_MAX + 80];
	int removed = 0;
	struct stat sb;

	if (store_list(dir, &ls) < 0)
		return -1;
	uint64_t *isz = calloc(ls.n ? ls.n : 1, sizeof *isz);
	if (!isz) {
		store_listing_free(&ls);
		return -1;
	}
	for (size_t i = 0; i < ls.n; i++) {
		total += ls.segs[i].size;
		store_seg_path(p, sizeof p, dir, ls.segs[i].name, "cdb");
		if (ls.segs[i].has_index && stat(p, &sb) == 0)
			isz[i] = (uint64_t)sb.st_size;
		total += isz[i];
	}
	/* the newest segment may be the active one: never remove it */
	for (size_t i = 0; i + 1 < ls.n && total > quota; i++) {
		store_seg_path(p, sizeof p, dir, ls.segs[i].name, "cdb");
		if (unlink(p) < 0 && errno != ENOENT)
			break;
		store_seg_path(p, sizeof p, dir, ls.segs[i].name, "tlog");
		if (unlink(p) < 0 && errno != ENOENT)
			break;
		total -= ls.segs[i].size + isz[i];
		removed++;
	}
	if (removed) {
		snprintf(p, sizeof p, "%s/log", dir);
		int dfd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd >= 0) {
			if (ENABLE_STORE_FSYNC)
				(void)fsync(dfd);
			close(dfd);
		}
	}
	free(isz);
	store_listing_free(&ls);
	return removed;
}

/* ---- sets ------------------------------------------------------------- */

static int set_push(struct store_set *set, const char *dir)
{
	char id[STORE_ID_MAX];
	void *nd = realloc(set->dirs, (set->n + 1) * sizeof *set->dirs);
	if (!nd)
		return -1;
	set->dirs = nd;
	void *ni = realloc(set->ids, (set->n + 1) * sizeof *set->ids);
	if (!ni)
		return -1;
	set->ids = ni;
	store_sensor_id(dir, id, sizeof id);
	set->dirs[set->n] = strdup(dir);
	set->ids[set->n] = strdup(id);
	if (!set->dirs[set->n] || !set->ids[set->n]) {
		free(set->dirs[set->n]);
		free(set->ids[set->n]);
		return -1;
	}
	set->n++;
	return 0;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int store_set_add(struct store_set *set, const char *path, char *err, size_t errlen)
{
	struct stat sb;
	if (stat(path, &sb) < 0) {
		errmsg_say(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(sb.st_mode)) {
		errmsg_say(err, errlen, "%s: not a directory", path);
		errno = ENOTDIR;
		return -1;
	}
	if (store_is_store(path))
		return set_push(set, path);

	DIR *d = opendir(path);
	if (!d) {
		errmsg_say(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	char **subs = NULL;
	size_t n = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		char p[PATH_MAX];
		if (de->d_name[0] == '.')
			continue;
		if (snprintf(p, sizeof p, "%s/%s", path, de->d_name) >= (int)sizeof p)
			continue;
		if (!store_is_store(p))
			continue;
		char **ns = realloc(subs, (n + 1) * sizeof *subs);
		if (!ns || !(ns[n] = strdup(p))) {
			subs = ns ? ns : subs;
			break;
		}
		subs = ns;
		n++;
	}
	closedir(d);
	if (n)
		qsort(subs, n, sizeof *subs, name_cmp);
	int rc = 0;
	for (size_t i = 0; i < n; i++) {
		if (!rc && set_push(set, subs[i]) < 0)
			rc = -1;
		free(subs[i]);
	}
	free(subs);
	if (!n) {
		errmsg_say(err, errlen, "%s: not a store and holds no store", path);
		errno = ENOENT;
		return -1;
	}
	return rc;
}

void store_set_free(struct store_set *set)
{
	for (size_t i = 0; i < set->n; i++) {
		free(set->dirs[i]);
		free(set->ids[i]);
	}
	free(set->dirs);
	free(set->ids);
	memset(set, 0, sizeof *set);
}

struct key_match {
	const uint8_t *key;
	size_t klen;
	int hit;
};

static int match_key(void *ctx, const uint8_t *k, size_t n)
{
	struct key_match *m = ctx;
	if (n == m->klen && !memcmp(k, m->key, n))
		m->hit = 1;
	return 0;
}

/* Scan one segment, calling cb for every record (matching key if given). */
static int scan_segment(const char *dir, const char *id, const struct store_seg *s,
			const void *key, size_t klen, store_rec_cb cb, store_fault_cb fault, void *ctx)
{
	char p[PATH_MAX + 80];
	struct seg_reader r;
	struct rec rec;
	uint64_t pos;
	store_seg_path(p, sizeof p, dir, s->name, "tlog");
	if (seg_reader_open(&r, p) < 0) {
		if (fault)
			fault(ctx, p, 0, r.fault);
		return 0;
	}
	int stop = 0;
	for (;;) {
		int c = seg_reader_next(&r, &rec, &pos);
		if (c == 0)
			break;
		if (c < 0) {
			if (fault)
				fault(ctx, p, r.fault_off, r.fault);
			if (!seg_reader_resync(&r))
				break;
			continue;
		}
		if (key) {
			struct key_match m = {key, klen, 0};
			index_rec_keys(&rec, match_key, &m);
			if (!m.hit)
				continue;
		}
		if (cb(ctx, id, s, pos, &rec)) {
			stop = 1;
			break;
		}
	}
	seg_reader_close(&r);
	return stop ? -1 : 0;
}

static int lookup_segment(const char *dir, const char *id, const struct store_seg *s,
			  const void *key, size_t klen, store_rec_cb cb, store_fault_cb fault, void *ctx)
{
	char cp[PATH_MAX + 80], sp[PATH_MAX + 80];
	struct index ix;
	struct seg_reader r;
	struct index_iter it;
	struct rec rec;
	uint64_t pos;

	if (!s->has_index)
		return scan_segment(dir, id, s, key, klen, cb, fault, ctx);
	store_seg_path(cp, sizeof cp, dir, s->name, "cdb");
	store_seg_path(sp, sizeof sp, dir, s->name, "tlog");
	if (index_open(&ix, cp) < 0) {
		if (fault)
			fault(ctx, cp, 0, "unreadable index; scanning the segment");
		return scan_segment(dir, id, s, key, klen, cb, fault, ctx);
	}
	int c = index_find(&ix, key, klen, &it);
	if (c == 0) {
		index_close(&ix);
		return 0;
	}
	if (seg_reader_open(&r, sp) < 0) {
		if (fault)
			fault(ctx, sp, 0, r.fault);
		index_close(&ix);
		return 0;
	}
	if (c < 0 || !index_matches(&ix, r.map, r.size)) {
		if (fault)
			fault(ctx, cp, 0, c < 0 ? "damaged index; scanning the segment"
						: "stale index; scanning the segment");
		seg_reader_close(&r);
		index_close(&ix);
		return scan_segment(dir, id, s, key, klen, cb, fault, ctx);
	}
	int stop = 0;
	while (!stop && (c = index_iter_next(&it, &pos)) > 0) {
		if (seg_reader_at(&r, pos, &rec) < 0) {
			if (fault)
				fault(ctx, sp, pos, r.fault);
			continue;
		}
		if (cb(ctx, id, s, pos, &rec))
			stop = 1;
	}
	if (c < 0 && fault)
		fault(ctx, cp, 0, "damaged index entry");
	seg_reader_close(&r);
	index_close(&ix);
	return stop ? -1 : 0;
}

static int walk(const struct store_set *set, const void *key, size_t klen, store_rec_cb cb,
		store_fault_cb fault, void *ctx)
{
	for (size_t i = 0; i < set->n; i++) {
		struct store_listing ls;
		if (store_list(set->dirs[i], &ls) < 0) {
			if (fault)
				fault(ctx, set->dirs[i], 0, strerror(errno));
			continue;
		}
		int rc = 0;
		for (size_t j = 0; j < ls.n && !rc; j++)
			rc = key ? lookup_segment(set->dirs[i], set->ids[i], &ls.segs[j], key, klen, cb,
						  fault, ctx)
				 : scan_segment(set->dirs[i], set->ids[i], &ls.segs[j], NULL, 0, cb, fault,
						ctx);
		store_listing_free(&ls);
		if (rc)
			return -1;
	}
	return 0;
}

int store_set_lookup(const struct store_set *set, const void *key, size_t klen, store_rec_cb cb,
		     store_fault_cb fault, void *ctx)
{
	return walk(set, key, klen, cb, fault, ctx);
}

int store_set_scan(const struct store_set *set, store_rec_cb cb, store_fault_cb fault, void *ctx)
{
	return walk(set, NULL, 0, cb, fault, ctx);
}

/* ---- many keys ---------------------------------------------------------- */

struct many {
	const uint8_t *const *keys;
	const size_t *klens;
	size_t n;
	size_t *order;		/* key indexes sorted by key bytes, for the scan */
	store_key_cb cb;
	store_fault_cb fault;
	void *ctx;
	/* the record being scanned */
	const char *id;
	const struct store_seg *seg;
	uint64_t pos;
	const struct rec *rec;
	int stop;
};

static const struct many *sort_many;

static int key_cmp3(const uint8_t *a, size_t al, const uint8_t *b, size_t bl)
{
	int c = memcmp(a, b, al < bl ? al : bl);
	return c ? c : (al > bl) - (al < bl);
}

static int order_cmp(const void *x, const void *y)
{
	size_t i = *(const size_t *)x, j = *(const size_t *)y;
	return key_cmp3(sort_many->keys[i], sort_many->klens[i], sort_many->keys[j],
			sort_many->klens[j]);
}

/* index_rec_keys callback of a scanned record: report every wanted key. */
static int many_match(void *ctx, const uint8_t *k, size_t kl)
{
	struct many *m = ctx;
	size_t lo = 0, hi = m->n;
	if (m->stop)
		return 0;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2, i = m->order[mid];
		int c = key_cmp3(m->keys[i], m->klens[i], k, kl);
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < m->n; lo++) {
		size_t i = m->order[lo];
		if (key_cmp3(m->keys[i], m->klens[i], k, kl))
			break;
		if (m->cb(m->ctx, i, m->id, m->seg, m->pos, m->rec)) {
			m->stop = 1;
			break;
		}
	}
	return 0;
}

static void many_scan(struct many *m, const char *dir, const struct store_seg *s)
{
	char p[PATH_MAX + 80];
	struct seg_reader r;
	struct rec rec;
	uint64_t pos;
	store_seg_path(p, sizeof p, dir, s->name, "tlog");
	if (seg_reader_open(&r, p) < 0) {
		if (m->fault)
			m->fault(m->ctx, p, 0, r.fault);
		return;
	}
	while (!m->stop) {
		int c = seg_reader_next(&r, &rec, &pos);
		if (c == 0)
			break;
		if (c < 0) {
			if (m->fault)
				m->fault(m->ctx, p, r.fault_off, r.fault);
			if (!seg_reader_resync(&r))
				break;
			continue;
		}
		m->seg = s;
		m->pos = pos;
		m->rec = &rec;
		index_rec_keys(&rec, many_match, m);
	}
	seg_reader_close(&r);
}

static void many_segment(struct many *m, const char *dir, const struct store_seg *s)
{
	char cp[PATH_MAX + 80], sp[PATH_MAX + 80];
	struct index ix;
	struct seg_reader r;
	struct index_iter it;
	struct rec rec;
	uint64_t pos;

	if (!s->has_index) {
		many_scan(m, dir, s);
		return;
	}
	store_seg_path(cp, sizeof cp, dir, s->name, "cdb");
	store_seg_path(sp, sizeof sp, dir, s->name, "tlog");
	if (index_open(&ix, cp) < 0) {
		if (m->fault)
			m->fault(m->ctx, cp, 0, "unreadable index; scanning the segment");
		many_scan(m, dir, s);
		return;
	}
	if (seg_reader_open(&r, sp) < 0) {
		if (m->fault)
			m->fault(m->ctx, sp, 0, r.fault);
		index_close(&ix);
		return;
	}
	if (!index_matches(&ix, r.map, r.size)) {
		if (m->fault)
			m->fault(m->ctx, cp, 0, "stale index; scanning the segment");
		seg_reader_close(&r);
		index_close(&ix);
		many_scan(m, dir, s);
		return;
	}
	for (size_t i = 0; i < m->n && !m->stop; i++) {
		int c = index_find(&ix, m->keys[i], m->klens[i], &it);
		if (c < 0 && m->fault)
			m->fault(m->ctx, cp, 0, "damaged index entry");
		if (c <= 0)
			continue;
		while (!m->stop && (c = index_iter_next(&it, &pos)) > 0) {
			if (seg_reader_at(&r, pos, &rec) < 0) {
				if (m->fault)
					m->fault(m->ctx, sp, pos, r.fault);
				continue;
			}
			if (m->cb(m->ctx, i, m->id, s, pos, &rec))
				m->stop = 1;
		}
		if (c < 0 && m->fault)
			m->fault(m->ctx, cp, 0, "damaged index entry");
	}
	seg_reader_close(&r);
	index_close(&ix);
}

int store_set_lookup_many(const struct store_set *set, const uint8_t *const *keys,
			  const size_t *klens, size_t n, store_key_cb cb, store_fault_cb fault,
			  void *ctx)
{
	struct many m = {keys, klens, n, NULL, cb, fault, ctx, NULL, NULL, 0, NULL, 0};
	if (!n)
		return 0;
	m.order = malloc(n * sizeof *m.order);
	if (!m.order)
		return -1;
	for (size_t i = 0; i < n; i++)
		m.order[i] = i;
	/* qsort has no context argument; the sort runs under no lock, so this
	 * is not thread-safe: serialise it (tip serve's workers call this) */
	static pthread_mutex_t sort_mu = PTHREAD_MUTEX_INITIALIZER;
	pthread_mutex_lock(&sort_mu);
	sort_many = &m;
	qsort(m.order, n, sizeof *m.order, order_cmp);
	sort_many = NULL;
	pthread_mutex_unlock(&sort_mu);
	for (size_t i = 0; i < set->n && !m.stop; i++) {
		struct store_listing ls;
		if (store_list(set->dirs[i], &ls) < 0) {
			if (fault)
				fault(ctx, set->dirs[i], 0, strerror(errno));
			continue;
		}
		m.id = set->ids[i];
		for (size_t j = 0; j < ls.n && !m.stop; j++)
			many_segment(&m, set->dirs[i], &ls.segs[j]);
		store_listing_free(&ls);
	}
	free(m.order);
	return m.stop ? -1 : 0;
}

/* ---- patterns: member lists ---------------------------------------------- */

struct members {
	const uint8_t *const *lkeys;
	const size_t *lklens;
	size_t n;
	store_member_ok ok;
	store_member_cb cb;
	store_fault_cb fault;
	void *ctx;
	const char *id;
	const struct store_seg *seg;
	uint64_t pos;
	const struct rec *rec;
	uint8_t last[INDEX_KEY_MAX];	/* the last key reported of this record */
	size_t last_len;
	int stop;
};

static int member_kind_ok(const struct members *m, uint8_t kind)
{
	uint8_t lk = m->lkeys[0][0];
	return lk == IX_NET ? kind == IX_IP4 || kind == IX_IP6 : kind == IX_DOMAIN;
}

static int members_match(void *ctx, const uint8_t *k, size_t kl)
{
	struct members *m = ctx;
	if (m->stop || !member_kind_ok(m, k[0]) || !m->ok(m->ctx, k, kl))
		return 0;
	if (kl == m->last_len && !memcmp(k, m->last, kl))
		return 0;	/* the same key twice in one record */
	memcpy(m->last, k, kl);
	m->last_len = kl;
	if (m->cb(m->ctx, k, kl, m->id, m->seg, m->pos, m->rec))
		m->stop = 1;
	return 0;
}

static void members_scan(struct members *m, const char *dir, const struct store_seg *s)
{
	char p[PATH_MAX + 80];
	struct seg_reader r;
	struct rec rec;
	uint64_t pos;
	store_seg_path(p, sizeof p, dir, s->name, "tlog");
	if (seg_reader_open(&r, p) < 0) {
		if (m->fault)
			m->fault(m->ctx, p, 0, r.fault);
		return;
	}
	while (!m->stop) {
		int c = seg_reader_next(&r, &rec, &pos);
		if (c == 0)
			break;
		if (c < 0) {
			if (m->fault)
				m->fault(m->ctx, p, r.fault_off, r.fault);
			if (!seg_reader_resync(&r))
				break;
			continue;
		}
		m->seg = s;
		m->pos = pos;
		m->rec = &rec;
		m->last_len = 0;
		index_rec_keys(&rec, members_match, m);
	}
	seg_reader_close(&r);
}

static void members_segment(struct members *m, const char *dir, const struct store_seg *s)
{
	char cp[PATH_MAX + 80], sp[PATH_MAX + 80];
	struct index ix;
	struct seg_reader r;
	struct index_iter lit, it;
	struct rec rec;
	uint64_t pos;

	if (!s->has_index) {
		members_scan(m, dir, s);
		return;
	}
	store_seg_path(cp, sizeof cp, dir, s->name, "cdb");
	store_seg_path(sp, sizeof sp, dir, s->name, "tlog");
	if (index_open(&ix, cp) < 0) {
		if (m->fault)
			m->fault(m->ctx, cp, 0, "unreadable index; scanning the segment");
		members_scan(m, dir, s);
		return;
	}
	if (ix.meta.version < INDEX_VERSION_LISTS) {
		/* an older index answers exact keys only: the scan is the answer */
		index_close(&ix);
		members_scan(m, dir, s);
		return;
	}
	if (seg_reader_open(&r, sp) < 0) {
		if (m->fault)
			m->fault(m->ctx, sp, 0, r.fault);
		index_close(&ix);
		return;
	}
	if (!index_matches(&ix, r.map, r.size)) {
		if (m->fault)
			m->fault(m->ctx, cp, 0, "stale index; scanning the segment");
		seg_reader_close(&r);
		index_close(&ix);
		members_scan(m, dir, s);
		return;
	}
	for (size_t i = 0; i < m->n && !m->stop; i++) {
		int c = index_find(&ix, m->lkeys[i], m->lklens[i], &lit);
		if (c < 0 && m->fault)
			m->fault(m->ctx, cp, 0, "damaged index entry");
		if (c <= 0)
			continue;
		const uint8_t *mk;
		size_t mkl;
		uint8_t key[INDEX_KEY_MAX];
		while (!m->stop && (c = index_member_next(&lit, &mk, &mkl)) > 0) {
			if (mkl > INDEX_KEY_MAX || !member_kind_ok(m, mk[0]))
				continue;
			memcpy(key, mk, mkl);	/* the next find moves the map's cursor only */
			if (!m->ok(m->ctx, key, mkl))
				continue;
			int f = index_find(&ix, key, mkl, &it);
			if (f < 0 && m->fault)
				m->fault(m->ctx, cp, 0, "damaged index entry");
			while (!m->stop && f > 0 && (f = index_iter_next(&it, &pos)) > 0) {
				if (seg_reader_at(&r, pos, &rec) < 0) {
					if (m->fault)
						m->fault(m->ctx, sp, pos, r.fault);
					continue;
				}
				if (m->cb(m->ctx, key, mkl, m->id, s, pos, &rec))
					m->stop = 1;
			}
			if (f < 0 && m->fault)
				m->fault(m->ctx, cp, 0, "damaged index entry");
		}
		if (c < 0 && m->fault)
			m->fault(m->ctx, cp, 0, "damaged member list");
	}
	seg_reader_close(&r);
	index_close(&ix);
}

int store_set_lookup_members(const struct store_set *set, const uint8_t *const *lkeys,
			     const size_t *lklens, size_t n, store_member_ok ok, store_member_cb cb,
			     store_fault_cb fault, void *ctx)
{
	struct members m = {.lkeys = lkeys, .lklens = lklens, .n = n, .ok = ok, .cb = cb,
			    .fault = fault, .ctx = ctx};
	if (!n)
		return 0;
	for (size_t i = 0; i < set->n && !m.stop; i++) {
		struct store_listing ls;
		if (store_list(set->dirs[i], &ls) < 0) {
			if (fault)
				fault(ctx, set->dirs[i], 0, strerror(errno));
			continue;
		}
		m.id = set->ids[i];
		for (size_t j = 0; j < ls.n && !m.stop; j++)
			members_segment(&m, set->dirs[i], &ls.segs[j]);
		store_listing_free(&ls);
	}
	return m.stop ? -1 : 0;
}
