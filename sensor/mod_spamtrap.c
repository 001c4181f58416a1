/*
 * mod_spamtrap: the maildir agent (here) and the daily archives
 * (spamarc.c, `archive NAME { url ... }` sections, which hand their
 * messages to mined() below).  Mines every message delivered to a
 * spam trap's maildir once (store/mail.h), writes a spam extract record,
 * publishes the domains and URL hosts it names as fast-flux candidates
 * (rate-limited) and records its sender address as an indicator of the
 * source "spamtrap", like a blacklist feed's (REC_FEED listed), so source
 * weighting sees the spamtrap as one more source.
 *
 *     module spamtrap {
 *         maildir /var/mail/spamtrap     # reads new/ and cur/; never writes
 *         interval 60s                   # scan period (inotify also wakes it)
 *         trusted-relays 192.0.2.0/24 2001:db8::/32
 *         max-size 32M                   # bytes of a message parsed
 *         settle 2s                      # a message younger than this waits (1s-1h)
 *         candidates yes; candidate-rate 20; candidate-queue 1024
 *         sender-indicators yes
 *     }
 *
 * Exactly once.  A maildir message is known by its unique name (the file
 * name before ':'), which the MDA never changes: new/ to cur/ only adds
 * flags.  Messages are mined in the order of (delivery time, unique name),
 * the time being the leading number of the name or else the file's mtime;
 * the cursor is the greatest mined.  The cursor's truth is the store: each
 * extract carries its unique name, and at start the module reads the
 * greatest one back from the store, so after a crash a message whose
 * record was durable is not mined again and one whose record was lost is.
 * state/spamtrap.cursor holds the cursor written at a clean stop (for an
 * operator; the store wins when it is ahead).  A message younger than
 * `settle` waits for the next scan, so two MDAs delivering out of order
 * within that time are both mined.
 *
 * Off the loop: one worker thread lists the folders, reads each message
 * (at most max-size bytes) and parses it; the loop takes one result at a
 * time (ev_async) and writes its records.  The loop never reads mail.
 */
#include <dirent.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <ev.h>
#if defined(__linux__)
#include <sys/inotify.h>
#endif

#include "bus.h"
#include "cdefs.h"
#include "index.h"
#include "log.h"
#include "mail.h"
#include "module.h"
#include "rec_spam.h"
#include "spamarc.h"
#include "spamdig.h"
#include "store.h"
#include "tipd.h"

/* after sched.h: <pthread.h> brings the system <sched.h>, whose SCHED_IDLE
 * macro would rename the scheduler's enum */
#include <pthread.h>

#define ST_DEFAULT_INTERVAL (60 * 1000000LL)
#define ST_MAX_TRUSTED 32
#define ST_NAME_MAX 255
#define ST_SOURCE "maildir"
#define ST_LOG_BAD 20		/* malformed messages logged per scan; the rest counted */

struct st_key {
	int64_t t;		/* delivery time, seconds */
	char name[ST_NAME_MAX + 1];	/* unique name */
};

struct st_item {
	struct st_key k;
	char file[ST_NAME_MAX + 1];
	int in_cur;
	int fresh;		/* written less than settle ago */
};

struct spamtrap {
	struct module *m;
	struct sched_task task;
	char maildir[4096];
	char store_dir[4096];
	struct mail_opts opts;
	struct mail_net trusted[ST_MAX_TRUSTED];
	int64_t settle_s;
	int candidates, sender_ind;
	unsigned cand_rate, cand_cap;

	/* shared with the worker, under mu */
	pthread_t thr;
	int thr_up;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int stop, scan_req, scanning, scan_done, result, recon_done;
	struct st_key cursor;	/* loop's; copied to the worker at each scan */
	struct st_key work_cursor;
	struct st_key recon;
	struct mail_msg *msg;	/* the worker's result */
	int msg_rc;
	struct st_key msg_key;
	char msg_file[sizeof "cur/" + ST_NAME_MAX];	/* cur/ or new/, then the name */
	int msg_io_err;
	uint64_t msg_bytes;
	ev_async wake;

	/* loop only */
	uint8_t *scratch;
	int task_pending;	/* an ASYNC run waits for its scan */
	int inotify_fd;
	ev_io ino;
	ev_timer ino_delay;
	char **cand;
	size_t cand_head, cand_n;
	ev_timer cand_timer;
	unsigned logged_bad;
	uint64_t scans, mined, bad, io_errors, bytes, repeats, cand_published, cand_dropped,
		cand_invalid, senders, record_drops;
	/* digests of recent messages: a message seen twice is a repeat */
	struct spamdig dig;
	size_t dig_cap;
	struct spamarc *arc;	/* the daily archives (spamarc.h), NULL when none */
};

/* ---- order and names -------------------------------------------------------- */

static int key_cmp(const struct st_key *a, const struct st_key *b)
{
	if (a->t != b->t)
		return a->t < b->t ? -1 : 1;
	return strcmp(a->name, b->name);
}

/* The unique name of a maildir file (before ':') and its delivery time. */
static int file_key(const char *dir, const char *file, struct st_key *k, time_t *mtime)
{
	size_t n = strcspn(file, ":");
	if (!n || n > ST_NAME_MAX)
		return -1;
	memcpy(k->name, file, n);
	k->name[n] = 0;
	char *end;
	long long t = strtoll(k->name, &end, 10);
	char path[8448];
	struct stat sb;
	snprintf(path, sizeof path, "%s/%s", dir, file);
	if (stat(path, &sb) < 0 || !S_ISREG(sb.st_mode))
		return -1;
	*mtime = sb.st_mtime;
	k->t = end != k->name && *end == '.' && t > 0 ? t : (int64_t)sb.st_mtime;
	return 0;
}

static int item_cmp(const void *a, const void *b)
{
	return key_cmp(&((const struct st_item *)a)->k, &((const struct st_item *)b)->k);
}

/* ---- the worker ---------------------------------------------------------- */

static int found_max(void *ctx, const char *sensor, const struct store_seg *seg, uint64_t pos,
		     const struct rec *r)
{
	(void)sensor;
	(void)seg;
	(void)pos;
	struct st_key *best = ctx, k;
	const struct rec_spam *s = &r->u.spam;
	if (r->type != REC_SPAM || s->op != REC_SPAM_EXTRACT || !s->name_len ||
	    s->name_len > ST_NAME_MAX || s->source_len != strlen(ST_SOURCE) ||
	    memcmp(s->source, ST_SOURCE, s->source_len))
		return 0;
	memcpy(k.name, s->name, s->name_len);
	k.name[s->name_len] = 0;
	char *end;
	long long t = strtoll(k.name, &end, 10);
	/* the time is in the name, or after the '/' the module puts before it */
	const char *sl = strchr(k.name, '/');
	if (sl) {
		t = strtoll(k.name, &end, 10);
		memmove(k.name, sl + 1, strlen(sl + 1) + 1);
	}
	k.t = t;
	if (key_cmp(&k, best) > 0)
		*best = k;
	return 0;
}

static void quiet_fault(void *ctx, const char *path, uint64_t off, const char *why)
{
	(void)ctx;
	(void)path;
	(void)off;
	log_warnx("spamtrap: reading the cursor back: %s at %llu: %s", path,
		  (unsigned long long)off, why);
}

/* The greatest message the store holds from this maildir. */
static void reconcile(struct spamtrap *st)
{
	struct store_set set = {0};
	struct st_key best = {0, ""};
	char err[512];
	uint8_t k[INDEX_KEY_MAX];
	if (store_set_add(&set, st->store_dir, err, sizeof err) == 0) {
		size_t n = index_key_source(k, ST_SOURCE, strlen(ST_SOURCE));
		store_set_lookup(&set, k, n, found_max, quiet_fault, &best);
		store_set_free(&set);
	}
	pthread_mutex_lock(&st->mu);
	st->recon = best;
	st->recon_done = 1;
	pthread_mutex_unlock(&st->mu);
	ev_async_send(st->m->d->loop, &st->wake);
}

static size_t list_dir(struct spamtrap *st, const char *sub, int in_cur, struct st_item **items,
		       size_t *n, size_t *cap, const struct st_key *cursor, time_t now)
{
	char dir[4200];
	snprintf(dir, sizeof dir, "%s/%s", st->maildir, sub);
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		struct st_item it;
		time_t mt;
		if (e->d_name[0] == '.' || strlen(e->d_name) > ST_NAME_MAX)
			continue;
		if (file_key(dir, e->d_name, &it.k, &mt) < 0 || key_cmp(&it.k, cursor) <= 0)
			continue;
		/* not settled: the next scan takes it.  The whole second of its
		 * delivery time must be past, so every message of that second is
		 * there when the first of them is mined (they are ordered by name
		 * within a second) */
		if (it.k.t + st->settle_s >= (int64_t)now)
			continue;
		it.fresh = mt + st->settle_s >= now;
		snprintf(it.file, sizeof it.file, "%s", e->d_name);
		it.in_cur = in_cur;
		if (*n == *cap) {
			size_t nc = *cap ? *cap * 2 : 64;
			struct st_item *t = realloc(*items, nc * sizeof *t);
			if (!t)
				break;
			*items = t;
			*cap = nc;
		}
		(*items)[(*n)++] = it;
	}
	closedir(d);
	return *n;
}

/* Open a message, following it to cur/ when the MDA moved it meanwhile. */
static int open_msg(struct spamtrap *st, struct st_item *it)
{
	char path[8448];
	snprintf(path, sizeof path, "%s/%s/%s", st->maildir, it->in_cur ? "cur" : "new", it->file);
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd >= 0 || errno != ENOENT || it->in_cur)
		return fd;
	char dir[4200];
	snprintf(dir, sizeof dir, "%s/cur", st->maildir);
	DIR *d = opendir(dir);
	if (!d)
		return -1;
	struct dirent *e;
	size_t ul = strlen(it->k.name);
	while ((e = readdir(d)))
		if (!strncmp(e->d_name, it->k.name, ul) && (e->d_name[ul] == ':' || !e->d_name[ul])) {
			snprintf(it->file, sizeof it->file, "%s", e->d_name);
			it->in_cur = 1;
			break;
		}
	closedir(d);
	if (!it->in_cur) {
		errno = ENOENT;
		return -1;
	}
	snprintf(path, sizeof path, "%s/cur/%s", st->maildir, it->file);
	return open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
}

/* Read at most cap bytes; the file's size in *size. */
static uint8_t *read_msg(int fd, size_t cap, size_t *len, uint64_t *size)
{
	struct stat sb;
	if (fstat(fd, &sb) < 0)
		return NULL;
	*size = (uint64_t)sb.st_size;
	size_t want = (uint64_t)sb.st_size < cap ? (size_t)sb.st_size : cap;
	uint8_t *p = malloc(want ? want : 1);
	size_t got = 0;
	if (!p)
		return NULL;
	while (got < want) {
		ssize_t r = read(fd, p + got, want - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	*len = got;
	return p;
}

/* Hand one result to the loop and wait until it took it.  0, or -1 when stopping. */
static int post(struct spamtrap *st)
{
	pthread_mutex_lock(&st->mu);
	st->result = 1;
	pthread_mutex_unlock(&st->mu);
	ev_async_send(st->m->d->loop, &st->wake);
	pthread_mutex_lock(&st->mu);
	while (st->result && !st->stop)
		pthread_cond_wait(&st->cv, &st->mu);
	int stop = st->stop;
	pthread_mutex_unlock(&st->mu);
	return stop ? -1 : 0;
}

static void scan(struct spamtrap *st, const struct st_key *cursor)
{
	struct st_item *items = NULL;
	size_t n = 0, cap = 0;
	time_t now = time(NULL);
	list_dir(st, "new", 0, &items, &n, &cap, cursor, now);
	list_dir(st, "cur", 1, &items, &n, &cap, cursor, now);
	/* a message named at time t but written only now (a slow MDA) holds
	 * back every message of t and later: they are ordered by name within
	 * a second, so mining a sibling first would put it behind the cursor */
	int64_t cut = INT64_MAX;
	for (size_t i = 0; i < n; i++)
		if (items[i].fresh && items[i].k.t < cut)
			cut = items[i].k.t;
	size_t kept = 0;
	for (size_t i = 0; i < n; i++)
		if (items[i].k.t < cut)
			items[kept++] = items[i];
	n = kept;
	if (n)
		qsort(items, n, sizeof *items, item_cmp);
	for (size_t i = 0; i < n; i++) {
		if (i && !key_cmp(&items[i].k, &items[i - 1].k))
			continue;	/* moved from new/ to cur/ between the two listings */
		struct st_item *it = &items[i];
		int fd = open_msg(st, it);
		size_t len = 0;
		uint64_t size = 0;
		uint8_t *p = NULL;
		int io_err = 0;
		if (fd < 0) {
			io_err = errno;
		} else {
			p = read_msg(fd, st->opts.lim.max_msg, &len, &size);
			if (!p)
				io_err = errno ? errno : EIO;
			close(fd);
		}
		st->msg_key = it->k;
		snprintf(st->msg_file, sizeof st->msg_file, "%s/%s", it->in_cur ? "cur" : "new", it->file);
		st->msg_io_err = io_err;
		st->msg_bytes = size;
		st->msg_rc = io_err ? -1 : mail_parse(p, len, &st->opts, st->msg);
		if (!io_err && size > len)
			st->msg->flags |= MAIL_F_TRUNCATED;
		if (!io_err)
			st->msg->bytes = size;
		free(p);
		if (post(st) < 0)
			break;
	}
	free(items);
}

static void *worker(void *arg)
{
	struct spamtrap *st = arg;
	reconcile(st);
	pthread_mutex_lock(&st->mu);
	struct st_key from_store = st->recon;
	for (;;) {
		while (!st->scan_req && !st->stop)
			pthread_cond_wait(&st->cv, &st->mu);
		if (st->stop)
			break;
		st->scan_req = 0;
		/* a scan asked for before the loop saw the store's cursor starts
		 * from the greater of the two */
		struct st_key c = st->work_cursor;
		if (key_cmp(&from_store, &c) > 0)
			c = from_store;
		pthread_mutex_unlock(&st->mu);
		scan(st, &c);
		pthread_mutex_lock(&st->mu);
		st->scan_done = 1;
		pthread_mutex_unlock(&st->mu);
		ev_async_send(st->m->d->loop, &st->wake);
		pthread_mutex_lock(&st->mu);
	}
	pthread_mutex_unlock(&st->mu);
	return NULL;
}

/* ---- the loop ------------------------------------------------------------ */

static void cand_on_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct spamtrap *st = container_of(w, struct spamtrap, cand_timer);
	(void)revents;
	unsigned n = st->cand_rate / 10 ? st->cand_rate / 10 : 1;
	double every = st->cand_rate >= 10 ? 0.1 : 1.0 / st->cand_rate;
	while (n-- && st->cand_n) {
		char *c = st->cand[st->cand_head];
		st->cand_head = (st->cand_head + 1) % st->cand_cap;
		st->cand_n--;
		if (bus_publish(&st->m->d->bus, c, strlen(c), BUS_SRC_SPAMTRAP) == 0)
			st->cand_published++;
		else
			st->cand_invalid++;
		free(c);
	}
	if (st->cand_n) {
		ev_timer_set(w, every, 0.);
		ev_timer_start(loop, w);
	}
}

static void cand_push(struct spamtrap *st, const char *name, size_t len)
{
	if (!st->candidates || !st->cand || !len)
		return;
	for (size_t i = 0; i < st->cand_n; i++) {
		const char *q = st->cand[(st->cand_head + i) % st->cand_cap];
		if (strlen(q) == len && !memcmp(q, name, len))
			return;	/* queued already */
	}
	if (st->cand_n == st->cand_cap) {
		st->cand_dropped++;
		return;
	}
	char *c = strndup(name, len);
	if (!c) {
		st->cand_dropped++;
		return;
	}
	st->cand[(st->cand_head + st->cand_n++) % st->cand_cap] = c;
	if (!ev_is_active(&st->cand_timer)) {
		ev_timer_set(&st->cand_timer, 0., 0.);
		ev_timer_start(st->m->d->loop, &st->cand_timer);
	}
}

static int recent_seen(struct spamtrap *st, const uint8_t *d)
{
	return spamdig_seen(&st->dig, d);
}

/* (Re)open the digest memory when its bound is new. */
static void dig_open(struct spamtrap *st, size_t cap)
{
	char p[4200];
	if (st->dig.ring && cap == st->dig_cap)
		return;
	if (st->dig.ring)
		spamdig_fini(&st->dig);
	snprintf(p, sizeof p, "%s/state/spamtrap.digests", st->store_dir);
	if (spamdig_init(&st->dig, cap, p) < 0)
		log_warn("spamtrap: the digest memory (%zu): repeats are stored as extracts", cap);
	st->dig_cap = cap;
}

static void mined(void *arg, const struct mail_msg *m, const char *source, const char *name,
		  uint64_t bytes);

/* One message of the maildir (loop thread, worker waiting). */
static void take(struct spamtrap *st)
{
	struct mail_msg *m = st->msg;
	if (st->msg_io_err) {
		st->io_errors++;
		log_warnx("spamtrap: %s/%s: %s (skipped)", st->maildir, st->msg_file,
			  strerror(st->msg_io_err));
		return;
	}
	if (st->msg_rc < 0) {
		st->bad++;
		if (st->logged_bad++ < ST_LOG_BAD)
			log_warnx("spamtrap: %s/%s: malformed: %s (skipped)", st->maildir, st->msg_file,
				  m->bad ? mail_bad_name(m->bad) : strerror(ENOMEM));
		/* the cursor still moves past it: a malformed message stays malformed */
		return;
	}
	char name[ST_NAME_MAX + 32];
	/* "TIME/UNIQUE" when the time came from the mtime, so the order can be read back */
	char *end;
	long long t = strtoll(st->msg_key.name, &end, 10);
	if (end != st->msg_key.name && *end == '.' && t == st->msg_key.t)
		snprintf(name, sizeof name, "%s", st->msg_key.name);
	else
		snprintf(name, sizeof name, "%lld/%s", (long long)st->msg_key.t, st->msg_key.name);
	mined(st, m, ST_SOURCE, name, st->msg_bytes);
}

/*
 * The records of one mined message, from the maildir or an archive: an
 * extract (or a repeat), candidates, the sender indicator.  Loop thread.
 */
static void mined(void *arg, const struct mail_msg *m, const char *source, const char *name,
		  uint64_t bytes)
{
	struct spamtrap *st = arg;
	struct rec r;
	memset(&r, 0, sizeof r);
	int dup = recent_seen(st, m->digest);
	if (dup) {
		r.type = REC_SPAM;
		r.u.spam = (struct rec_spam){.op = REC_SPAM_REPEAT, .digest = m->digest,
					     .source = source, .source_len = strlen(source)};
		st->repeats++;
	} else {
		rec_spam_from_mail(&r, m, source, st->scratch);
	}
	/* a repeat carries no name: the cursor reads names back from extracts
	 * only, so give repeats a tiny extract-free path and accept that the
	 * cursor then rests on the previous extract (a repeat mined twice
	 * after a crash is one more count, nothing else) */
	r.u.spam.name = name;
	r.u.spam.name_len = strlen(name) <= 255 ? strlen(name) : 255;
	rec_stamp(&r);
	if (tipd_record(st->m->d, &r) < 0)
		st->record_drops++;
	st->mined++;
	st->bytes += bytes;
	if (dup)
		return;
	for (uint32_t i = 0; i < m->n_hosts; i++) {
		const char *h = mail_str_ptr(m, m->hosts[i]);
		cand_push(st, h, m->hosts[i].len);
		if (m->domains[i].len && m->domains[i].len < m->hosts[i].len)
			cand_push(st, mail_str_ptr(m, m->domains[i]), m->domains[i].len);
	}
	if (st->sender_ind && m->sender.family) {
		char ip[64];
		inet_ntop(m->sender.family == 4 ? AF_INET : AF_INET6, m->sender.addr, ip, sizeof ip);
		memset(&r, 0, sizeof r);
		r.type = REC_FEED;
		r.u.feed = (struct rec_feed){.op = REC_FEED_LISTED, .source = "spamtrap",
					     .source_len = 8, .kind = REC_IND_IP, .value = ip,
					     .value_len = strlen(ip), .host = "", .host_len = 0};
		rec_stamp(&r);
		if (tipd_record(st->m->d, &r) < 0)
			st->record_drops++;
		st->senders++;
	}
}

static void on_wake(struct ev_loop *loop, ev_async *w, int revents)
{
	struct spamtrap *st = container_of(w, struct spamtrap, wake);
	(void)loop;
	(void)revents;
	pthread_mutex_lock(&st->mu);
	if (st->recon_done) {
		st->recon_done = 0;
		if (key_cmp(&st->recon, &st->cursor) > 0)
			st->cursor = st->recon;
		if (st->cursor.name[0])
			log_info("spamtrap: cursor %lld %s", (long long)st->cursor.t, st->cursor.name);
	}
	if (st->result) {
		take(st);
		if (key_cmp(&st->msg_key, &st->cursor) > 0)
			st->cursor = st->msg_key;
		st->result = 0;
		pthread_cond_broadcast(&st->cv);
	}
	int done = st->scan_done;
	st->scan_done = 0;
	if (done)
		st->scanning = 0;
	pthread_mutex_unlock(&st->mu);
	if (done && st->task_pending) {
		st->task_pending = 0;
		st->logged_bad = 0;
		sched_done(&st->task, 1);
	}
}

static int st_run(struct sched_task *t)
{
	struct spamtrap *st = t->arg;
	pthread_mutex_lock(&st->mu);
	if (st->scanning) {
		pthread_mutex_unlock(&st->mu);
		return SCHED_OK;	/* the running scan will see it */
	}
	st->scanning = 1;
	st->scan_req = 1;
	st->work_cursor = st->cursor;
	pthread_cond_broadcast(&st->cv);
	pthread_mutex_unlock(&st->mu);
	st->scans++;
	st->task_pending = 1;
	return SCHED_ASYNC;
}

static void st_cancel(struct sched_task *t)
{
	struct spamtrap *st = t->arg;
	st->task_pending = 0;	/* the scan finishes; nobody waits for it */
}

#if defined(__linux__)
static void ino_on_delay(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct spamtrap *st = container_of(w, struct spamtrap, ino_delay);
	(void)loop;
	(void)revents;
	sched_trigger(&st->task);
}

static void ino_on_read(struct ev_loop *loop, ev_io *w, int revents)
{
	struct spamtrap *st = container_of(w, struct spamtrap, ino);
	char buf[4096];
	(void)revents;
	while (read(st->inotify_fd, buf, sizeof buf) > 0)
		;
	/* a burst of deliveries is one scan, once the newest has settled */
	if (!ev_is_active(&st->ino_delay)) {
		ev_timer_set(&st->ino_delay, (double)st->settle_s + 0.2, 0.);
		ev_timer_start(loop, &st->ino_delay);
	}
}
#endif

static void watch_start(struct spamtrap *st)
{
	st->inotify_fd = -1;
#if defined(__linux__)
	int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (fd < 0) {
		log_warn("spamtrap: inotify (scanning every interval only)");
		return;
	}
	static const char *const subs[] = {"new", "cur"};
	for (int i = 0; i < 2; i++) {
		char dir[4200];
		snprintf(dir, sizeof dir, "%s/%s", st->maildir, subs[i]);
		if (inotify_add_watch(fd, dir, IN_MOVED_TO | IN_CLOSE_WRITE | IN_CREATE) < 0)
			log_warn("spamtrap: inotify on %s (scanning every interval)", dir);
	}
	st->inotify_fd = fd;
	ev_io_init(&st->ino, ino_on_read, fd, EV_READ);
	ev_timer_init(&st->ino_delay, ino_on_delay, 0., 0.);
	ev_io_start(st->m->d->loop, &st->ino);
#endif
}

static void watch_stop(struct spamtrap *st)
{
#if defined(__linux__)
	if (st->inotify_fd >= 0) {
		ev_io_stop(st->m->d->loop, &st->ino);
		ev_timer_stop(st->m->d->loop, &st->ino_delay);
		close(st->inotify_fd);
	}
#endif
	st->inotify_fd = -1;
}

/* ---- configuration ------------------------------------------------------- */

/* The module's section as read (st_read). */
struct st_conf {
	const char *maildir;	/* points into the configuration tree; NULL: none */
	struct mail_net trusted[ST_MAX_TRUSTED];
	size_t n_trusted;
	unsigned max_size;	/* 0: not given */
	int64_t settle_s;
	int candidates, sender_ind;
	uint32_t cand_rate, cand_cap, window;
};

static int key_trusted(const struct conf *c, const struct conf_node *n, void *base, char *err,
		       size_t errlen)
{
	struct st_conf *sc = base;
	if (n->argc < 1 || n->argc > ST_MAX_TRUSTED)
		return conf_error(c, n, err, errlen, "trusted-relays: 1 to %d addresses or prefixes",
				  ST_MAX_TRUSTED);
	for (int i = 0; i < n->argc; i++)
		if (mail_net_parse(n->argv[i], &sc->trusted[i]) < 0)
			return conf_error(c, n, err, errlen,
					  "trusted-relays: not an address or prefix: %s", n->argv[i]);
	sc->n_trusted = (size_t)n->argc;
	return 0;
}

static int key_settle(const struct conf *c, const struct conf_node *n, void *base, char *err,
		      size_t errlen)
{
	int64_t d;
	if (conf_get_duration(c, n, &d, err, errlen) < 0)
		return -1;
	if (d < 1000000 || d > 3600 * 1000000LL)
		return conf_error(c, n, err, errlen, "settle: 1s to 1h");
	((struct st_conf *)base)->settle_s = d / 1000000;
	return 0;
}

static int key_window(const struct conf *c, const struct conf_node *n, void *base, char *err,
		      size_t errlen)
{
	uint64_t v;
	if (conf_get_uint(c, n, SPAMDIG_MAX, &v, err, errlen) < 0)
		return -1;
	if (v < SPAMDIG_MIN)
		return conf_error(c, n, err, errlen, "repeat-window: %u to %u digests", SPAMDIG_MIN,
				  SPAMDIG_MAX);
	((struct st_conf *)base)->window = (uint32_t)v;
	return 0;
}

static int key_archive(const struct conf *c, const struct conf_node *n, void *base, char *err,
		       size_t errlen)
{
	(void)base;
	return spamarc_check(c, n, err, errlen);	/* read again by spamarc_new */
}

#define STC_OFF(f) offsetof(struct st_conf, f)
#define STC_F(k, f) {k, CONF_K_FN, 0, 0, 0, 0, .fn = f}

/* The keys of `module spamtrap` besides the module's common keys (tipd.conf(5)). */
static const struct conf_key st_keys[] = {
	{"archive", CONF_K_SECT, 0, 0, 0, 0, .fn = key_archive},
	{"maildir", CONF_K_STR, CONF_F_ABS, STC_OFF(maildir), 1, 4000, {NULL}},
	STC_F("trusted-relays", key_trusted),
	{"max-size", CONF_K_SIZE, 0, STC_OFF(max_size), 4096, 1u << 30, .range = "4K to 1G"},
	STC_F("settle", key_settle),
	{"candidates", CONF_K_BOOL, 0, STC_OFF(candidates), 0, 0, {NULL}},
	{"sender-indicators", CONF_K_BOOL, 0, STC_OFF(sender_ind), 0, 0, {NULL}},
	{"candidate-rate", CONF_K_UINT, 0, STC_OFF(cand_rate), 1, 1000000, {NULL}},
	{"candidate-queue", CONF_K_UINT, 0, STC_OFF(cand_cap), 1, 1000000, {NULL}},
	STC_F("repeat-window", key_window),
};

/* Read the module's section into sc (defaults first), then the rule between its keys. */
static int st_read(const struct conf *c, const struct conf_node *sec, struct st_conf *sc,
		   char *err, size_t errlen)
{
	*sc = (struct st_conf){
		.settle_s = 2,
		.candidates = 1,
		.sender_ind = 1,
		.cand_rate = 20,
		.cand_cap = 1024,
		.window = SPAMDIG_DEFAULT,
	};
	const struct conf_table t = {
		.keys = st_keys,
		.n = CONF_NKEYS(st_keys),
		.skip = module_common_key,
		.once = 1,
	};
	if (conf_table_read(c, sec, &t, sc, err, errlen) < 0)
		return -1;
	int on = 0;
	const struct conf_node *en = conf_get(sec, "enable");
	if (sec)
		on = 1;
	if (en && en->argc == 1)
		conf_bool(en->argv[0], &on);
	if (sec && on && !sc->maildir && !conf_get(sec, "archive"))
		return conf_error(c, sec, err, errlen,
				  "module spamtrap: give a 'maildir', an 'archive' section, or both");
	return 0;
}

static int st_check(const struct conf *c, const struct conf_node *sec, char *err, size_t errlen)
{
	struct st_conf sc;
	return st_read(c, sec, &sc, err, errlen);
}

static int st_apply(struct spamtrap *st)
{
	struct module *m = st->m;
	const struct conf *c = &m->d->conf;
	struct st_conf sc;
	char err[512];
	if (st_read(c, m->sec, &sc, err, sizeof err) < 0) {
		log_warnx("spamtrap: %s", err);
		return -1;
	}
	mail_opts_default(&st->opts);
	st->opts.trusted = st->trusted;
	if (sc.maildir)
		snprintf(st->maildir, sizeof st->maildir, "%s", sc.maildir);
	memcpy(st->trusted, sc.trusted, sc.n_trusted * sizeof *sc.trusted);
	st->opts.n_trusted = sc.n_trusted;
	if (sc.max_size)
		st->opts.lim.max_msg = sc.max_size;
	st->settle_s = sc.settle_s;
	st->candidates = sc.candidates;
	st->sender_ind = sc.sender_ind;
	st->cand_rate = sc.cand_rate;
	dig_open(st, sc.window);
	unsigned cap = sc.cand_cap;
	if (!st->cand || cap != st->cand_cap) {
		while (st->cand_n) {
			free(st->cand[st->cand_head]);
			st->cand_head = (st->cand_head + 1) % st->cand_cap;
			st->cand_n--;
		}
		free(st->cand);
		st->cand = calloc(cap, sizeof *st->cand);
		st->cand_cap = st->cand ? cap : 0;
		st->cand_head = 0;
	}
	return module_sched_conf(c, m->sec, &st->task, ST_DEFAULT_INTERVAL, err, sizeof err);
}

static void cursor_load(struct spamtrap *st)
{
	char p[4200], buf[600];
	snprintf(p, sizeof p, "%s/state/spamtrap.cursor", st->store_dir);
	FILE *f = fopen(p, "r");
	if (!f)
		return;
	long long t;
	if (fgets(buf, sizeof buf, f) && sscanf(buf, "TIPSPAM1 %lld %255s", &t, st->cursor.name) == 2)
		st->cursor.t = t;
	else
		st->cursor.name[0] = 0;
	fclose(f);
}

static void cursor_save(struct spamtrap *st)
{
	char p[4200], tmp[4300];
	snprintf(p, sizeof p, "%s/state/spamtrap.cursor", st->store_dir);
	snprintf(tmp, sizeof tmp, "%s.tmp", p);
	FILE *f = fopen(tmp, "w");
	if (!f)
		return;
	fprintf(f, "TIPSPAM1 %lld %s\n", (long long)st->cursor.t, st->cursor.name);
	if (fflush(f) || fsync(fileno(f)) || fclose(f) || rename(tmp, p))
		log_warn("spamtrap: %s", p);
}

static int st_init(struct module *m)
{
	struct spamtrap *st = calloc(1, sizeof *st);
	if (!st)
		return -1;
	st->m = m;
	m->priv = st;
	st->inotify_fd = -1;
	snprintf(st->store_dir, sizeof st->store_dir, "%s", m->d->conf.store_dir);
	sched_task_init(&st->task, "spamtrap", st_run, st);
	st->task.cancel = st_cancel;
	ev_timer_init(&st->cand_timer, cand_on_timer, 0., 0.);
	ev_async_init(&st->wake, on_wake);
	pthread_mutex_init(&st->mu, NULL);
	pthread_cond_init(&st->cv, NULL);
	st->msg = malloc(sizeof *st->msg);
	st->scratch = malloc(REC_SPAM_SCRATCH);
	if (!st->msg || !st->scratch || st_apply(st) < 0) {
		spamdig_fini(&st->dig);
		free(st->msg);
		free(st->scratch);
		free(st->cand);
		free(st);
		m->priv = NULL;
		return -1;
	}
	cursor_load(st);
	return 0;
}

static int arc_start(struct spamtrap *st)
{
	st->arc = spamarc_new(st->m, &st->opts, mined, st);
	if (!st->arc)
		return errno ? -1 : 0;
	return spamarc_start(st->arc);
}

static int st_start(struct module *m)
{
	struct spamtrap *st = m->priv;
	if (arc_start(st) < 0)
		return -1;
	if (!st->maildir[0])
		return 0;
	ev_async_start(m->d->loop, &st->wake);
	if (pthread_create(&st->thr, NULL, worker, st) != 0) {
		log_warnx("spamtrap: cannot start the worker thread");
		return -1;
	}
	st->thr_up = 1;
	watch_start(st);
	log_info("spamtrap: watching %s (%s)", st->maildir,
		 st->inotify_fd >= 0 ? "inotify and periodic scans" : "periodic scans");
	return sched_add(&m->d->sched, &st->task);
}

static int st_reload(struct module *m)
{
	struct spamtrap *st = m->priv;
	char old[4096];
	snprintf(old, sizeof old, "%s", st->maildir);
	pthread_mutex_lock(&st->mu);
	int busy = st->scanning;
	pthread_mutex_unlock(&st->mu);
	if (busy) {
		/* the limits and the maildir change under a running scan: not now */
		log_warnx("spamtrap: reload while a scan runs: the new settings apply from the next one");
	}
	/* the archives stop (a round in flight keeps what it mined, in its
	 * cursor) and start again with the new sections */
	spamarc_free(st->arc);
	st->arc = NULL;
	pthread_mutex_lock(&st->mu);
	int rc = st_apply(st);
	pthread_mutex_unlock(&st->mu);
	if (rc < 0 || arc_start(st) < 0)
		return -1;
	if (strcmp(old, st->maildir)) {
		watch_stop(st);
		watch_start(st);
	}
	sched_reschedule(&st->task);
	return 0;
}

static void st_stats(struct module *m, module_emit_fn emit, void *ctx)
{
	struct spamtrap *st = m->priv;
	emit(ctx, "scans", st->scans);
	emit(ctx, "mined", st->mined);
	emit(ctx, "repeats", st->repeats);
	emit(ctx, "malformed", st->bad);
	emit(ctx, "io_errors", st->io_errors);
	emit(ctx, "bytes", st->bytes);
	emit(ctx, "senders", st->senders);
	emit(ctx, "record_drops", st->record_drops);
	emit(ctx, "candidates_published", st->cand_published);
	emit(ctx, "candidates_queued", st->cand_n);
	emit(ctx, "candidates_dropped", st->cand_dropped);
	emit(ctx, "candidates_invalid", st->cand_invalid);
	if (st->arc)
		spamarc_stats(st->arc, emit, ctx);
}

static void st_stop(struct module *m)
{
	struct spamtrap *st = m->priv;
	if (!st)
		return;
	if (st->task.s)
		sched_del(&st->task);
	spamarc_free(st->arc);
	st->arc = NULL;
	if (st->thr_up) {
		pthread_mutex_lock(&st->mu);
		st->stop = 1;
		pthread_cond_broadcast(&st->cv);
		pthread_mutex_unlock(&st->mu);
		pthread_join(st->thr, NULL);
		/* a result the loop had not taken yet is taken now: it was mined */
		if (st->result) {
			take(st);
			if (key_cmp(&st->msg_key, &st->cursor) > 0)
				st->cursor = st->msg_key;
		}
		cursor_save(st);
	}
	watch_stop(st);
	ev_async_stop(m->d->loop, &st->wake);
	ev_timer_stop(m->d->loop, &st->cand_timer);
	while (st->cand_n) {
		free(st->cand[st->cand_head]);
		st->cand_head = (st->cand_head + 1) % st->cand_cap;
		st->cand_n--;
	}
	free(st->cand);
	free(st->msg);
	free(st->scratch);
	spamdig_fini(&st->dig);
	pthread_mutex_destroy(&st->mu);
	pthread_cond_destroy(&st->cv);
	free(st);
	m->priv = NULL;
}

const struct module_ops mod_spamtrap_ops = {
	.name = "spamtrap",
	.default_on = 0,
	.check = st_check,
	.init = st_init,
	.start = st_start,
	.reload = st_reload,
	.stats = st_stats,
	.stop = st_stop,
};
