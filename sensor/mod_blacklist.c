/*
 * mod_blacklist: public domain and IP blacklists fetched over HTTP/HTTPS,
 * one submodule per source, their changes recorded in the store.
 *
 *     module blacklist {
 *         interval 6h
 *         candidates yes; candidate-rate 20; candidate-queue 1024
 *         source spamhaus-drop {
 *             url https://www.spamhaus.org/drop/drop.txt
 *             format cidr
 *             period 12h
 *         }
 *     }
 *
 * The scheduler contract (sensor/sched.h): the module's task `blacklist`
 * is the parent; each source is a child task.  When a round starts, every
 * child not backing off runs: it fetches (sensor/fetch.h), parses the body
 * as it streams in (store/feedingest.h: bounded memory), and once the
 * body is whole writes the changes against the source's last list
 * (listed / delisted records, paced so the store writer's bounded queue
 * never overflows), then a fetch record, then swaps in the new list and
 * its validators (state/feeds/NAME.set and NAME.val), and reports done.
 * A failed fetch (DNS, TLS, HTTP status, timeout, truncated, too big, a
 * body that does not parse) writes only a failed fetch record, keeps the
 * last list, and backs off on its own timer (backoff-min/backoff-max of
 * the module); it never holds up the round, and a slow one is cut by its
 * timeout.  A source fetched less than `period` ago is skipped.
 *
 * When all children of a round are done the parent is done, the core
 * plans the next round, and the task `blacklist-round` (run after the
 * parent) announces it on the bus as SCHED_EV_BLACKLIST_ROUND, which the
 * spamtrap module's archive fetcher listens to, and writes a note.
 *
 * Newly listed domains (and the hosts of newly listed URLs) become
 * fast-flux candidates: queued (candidate-queue, oldest kept, overflow
 * counted) and published on the bus at most candidate-rate a second.
 *
 * Validators (ETag, Last-Modified) are saved only with the list they
 * belong to, so a 304 after a restart is honoured and a lost list is
 * fetched whole again.
 */
#include <errno.h>
#include <ev.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "modes.h"
#include "bus.h"
#include "cdefs.h"
#include "clock.h"
#include "feedingest.h"
#include "fetch.h"
#include "log.h"
#include "module.h"
#include "resolver.h"
#include "tip_config.h"
#include "tipd.h"
#include "writer.h"

#define BL_DEFAULT_INTERVAL (6 * 3600 * 1000000LL)
#define BL_BATCH 256		/* change records per drain step */
#define BL_PAUSE 0.02		/* seconds to wait while the writer is half full */
#define BL_MAX_SOURCES 64

struct blacklist;

struct bl_source {
	struct blacklist *bl;
	struct sched_task task;
	char *name, *url, *ca_file, *column, *path;
	int format, kind, insecure;
	int64_t period_us;
	uint64_t max_size, max_entries;
	double timeout;

	struct fetch *fetch;
	struct feed_ingest *ing;
	ev_timer drain;
	int64_t t0_mono;
	int status;
	char new_etag[FETCH_VALIDATOR_MAX], new_lm[FETCH_VALIDATOR_MAX];

	/* state/feeds/NAME.val */
	char etag[FETCH_VALIDATOR_MAX], last_modified[FETCH_VALIDATOR_MAX];
	int64_t last_ok_us;	/* wall time of the last fetch that succeeded */

	uint64_t fetches, failures, not_modified, skipped, listed, delisted;
	uint64_t entries;
};

struct blacklist {
	struct module *m;
	struct sched_task round;	/* the parent */
	struct sched_task announce;	/* after each round: the bus event */
	struct bl_source *src;
	size_t n;
	char state_dir[4096];
	struct resolver *res;

	int candidates;
	unsigned cand_rate, cand_cap;
	char **cand;		/* ring of queued names */
	size_t cand_head, cand_n;
	ev_timer cand_timer;
	uint64_t cand_published, cand_dropped, cand_invalid;
	uint64_t rounds, record_drops;
};

/* ---- configuration ------------------------------------------------------- */

/* A source's section as read (src_read): the fetch keys, then the feed's. */
struct bl_src_conf {
	struct fetch_conf f;
	const char *column, *path;	/* point into the configuration tree */
	int format, kind;
	int64_t period_us;
	uint32_t max_entries;
};

/* The module's section as read (bl_read); bl NULL: check only. */
struct bl_conf {
	struct blacklist *bl;
	size_t n_src;
	int candidates;
	uint32_t cand_rate, cand_cap;
};

static int src_init(struct blacklist *bl, struct bl_source *s, const struct conf_node *sec,
		    const struct bl_src_conf *sc);
static void src_free(struct bl_source *s);

#define SC_OFF(f) offsetof(struct bl_src_conf, f)

/* The keys of `source NAME { }` besides fetch_conf_keys (tipd.conf(5)). */
static const struct conf_key source_keys[] = {
	CONF_CHOICE("format", SC_OFF(format), feed_format_names + FEED_HOSTS, FEED_TRAILS,
		    FEED_HOSTS),
	CONF_CHOICE("kind", SC_OFF(kind), feed_kind_names + FEED_K_DOMAIN, FEED_K_URL,
		    FEED_K_DOMAIN),
	{"column", CONF_K_STR, 0, SC_OFF(column), 1, FEED_PATH_MAX, {NULL}},	/* csv */
	{"path", CONF_K_STR, 0, SC_OFF(path), 1, FEED_PATH_MAX, {NULL}},	/* json */
	{"period", CONF_K_DUR, 0, SC_OFF(period_us), 0, 0, {NULL}},
	{"max-entries", CONF_K_UINT, 0, SC_OFF(max_entries), 0, UINT32_MAX, {NULL}},
};

/* Read `source NAME { }` into sc; then the rules between its keys. */
static int src_read(const struct conf *c, const struct conf_node *s, struct bl_src_conf *sc,
		    char *err, size_t errlen)
{
	if (s->argc != 1 || !feedset_name_ok(s->argv[0]))
		return conf_error(c, s, err, errlen,
				  "source: give one name of 1-64 of A-Z a-z 0-9 . _ - (not starting with '.')");
	*sc = (struct bl_src_conf){.f = {.url_max = FETCH_URL_MAX, .size_min = 1024}};
	const struct conf_table t = {
		.keys = source_keys,
		.n = CONF_NKEYS(source_keys),
		.inc = fetch_conf_keys,
		.ninc = FETCH_CONF_NKEYS,
		.inc_off = SC_OFF(f),
		.once = 1,
	};
	if (conf_table_read(c, s, &t, sc, err, errlen) < 0)
		return -1;
	int fmt = sc->format;
	if (!sc->f.url)
		return conf_error(c, s, err, errlen, "source %s: 'url' is missing", s->argv[0]);
	if (!fmt)
		return conf_error(c, s, err, errlen, "source %s: 'format' is missing", s->argv[0]);
	if (fmt == FEED_CSV && !sc->column)
		return conf_error(c, s, err, errlen, "source %s: format csv needs 'column'",
				  s->argv[0]);
	if (fmt == FEED_JSON && !sc->path)
		return conf_error(c, s, err, errlen, "source %s: format json needs 'path'",
				  s->argv[0]);
	if (fmt != FEED_CSV && sc->column)
		return conf_error(c, conf_get(s, "column"), err, errlen,
				  "column: only for format csv");
	if (fmt != FEED_JSON && sc->path)
		return conf_error(c, conf_get(s, "path"), err, errlen, "path: only for format json");
	return 0;
}

static int key_source(const struct conf *c, const struct conf_node *n, void *base, char *err,
		      size_t errlen)
{
	struct bl_conf *bc = base;
	struct bl_src_conf sc;
	if (src_read(c, n, &sc, err, errlen) < 0)
		return -1;
	if (++bc->n_src > BL_MAX_SOURCES)
		return conf_error(c, n, err, errlen, "at most %d sources", BL_MAX_SOURCES);
	if (!bc->bl)
		return 0;
	struct blacklist *bl = bc->bl;
	if (src_init(bl, &bl->src[bl->n], n, &sc) < 0) {
		src_free(&bl->src[bl->n]);
		return conf_error(c, n, err, errlen, "source %s: out of memory", n->argv[0]);
	}
	bl->n++;
	return 0;
}

#define BC_OFF(f) offsetof(struct bl_conf, f)

/* The keys of `module blacklist` besides the module's common keys. */
static const struct conf_key module_keys[] = {
	{"source", CONF_K_SECT, 0, 0, 0, 0, .fn = key_source},
	{"candidates", CONF_K_BOOL, 0, BC_OFF(candidates), 0, 0, {NULL}},
	{"candidate-rate", CONF_K_UINT, 0, BC_OFF(cand_rate), 1, 1000000, {NULL}},
	{"candidate-queue", CONF_K_UINT, 0, BC_OFF(cand_cap), 1, 1000000, {NULL}},
};

/* Read the module's section into bc (defaults first); its sources into bc->bl, if set. */
static int bl_read(const struct conf *c, const struct conf_node *sec, struct bl_conf *bc,
		   char *err, size_t errlen)
{
	bc->n_src = 0;
	bc->candidates = 1;
	bc->cand_rate = 20;
	bc->cand_cap = 1024;
	const struct conf_table t = {
		.keys = module_keys,
		.n = CONF_NKEYS(module_keys),
		.skip = module_common_key,
		.once = 1,
	};
	return conf_table_read(c, sec, &t, bc, err, errlen);
}

static int bl_check(const struct conf *c, const struct conf_node *sec, char *err, size_t errlen)
{
	struct bl_conf bc = {0};
	return bl_read(c, sec, &bc, err, errlen);
}

/* ---- state files --------------------------------------------------------- */

static void val_path(const struct bl_source *s, char *out, size_t cap)
{
	snprintf(out, cap, "%s/%s.val", s->bl->state_dir, s->name);
}

/* NAME.val: "TIPFVAL1\n<last ok, us>\n<ETag>\n<Last-Modified>\n"; only when NAME.set exists. */
static void val_load(struct bl_source *s)
{
	char p[4200], buf[1024];
	struct stat st;
	s->etag[0] = s->last_modified[0] = 0;
	s->last_ok_us = 0;
	snprintf(p, sizeof p, "%s/%s.set", s->bl->state_dir, s->name);
	if (stat(p, &st) < 0)
		return;	/* no list: fetch whole, whatever the validators say */
	val_path(s, p, sizeof p);
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = 0;
	char *l[4] = {buf, NULL, NULL, NULL};
	for (int i = 1; i < 4; i++) {
		char *nl = l[i - 1] ? strchr(l[i - 1], '\n') : NULL;
		if (!nl)
			return;
		*nl = 0;
		l[i] = nl + 1;
	}
	char *end = strchr(l[3], '\n');
	if (strcmp(l[0], "TIPFVAL1") || !end)
		return;
	*end = 0;
	s->last_ok_us = strtoll(l[1], NULL, 10);
	snprintf(s->etag, sizeof s->etag, "%s", l[2]);
	snprintf(s->last_modified, sizeof s->last_modified, "%s", l[3]);
}

static void val_save(struct bl_source *s)
{
	char p[4200], tmp[4300], buf[1024];
	val_path(s, p, sizeof p);
	snprintf(tmp, sizeof tmp, "%s.tmp", p);
	int n = snprintf(buf, sizeof buf, "TIPFVAL1\n%lld\n%s\n%s\n", (long long)s->last_ok_us,
			 s->etag, s->last_modified);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, STORE_FILE_MODE);
	if (fd < 0 || write(fd, buf, (size_t)n) != n || fsync(fd) < 0 || close(fd) < 0 ||
	    rename(tmp, p) < 0) {
		log_warn("blacklist: %s: %s", s->name, p);
		if (fd >= 0)
			close(fd);
		unlink(tmp);
	}
}

/* ---- candidates ---------------------------------------------------------- */

static void cand_push(struct blacklist *bl, const char *name, size_t len)
{
	if (!bl->candidates || !bl->cand)
		return;
	if (bl->cand_n == bl->cand_cap) {
		bl->cand_dropped++;
		return;
	}
	char *c = strndup(name, len);
	if (!c) {
		bl->cand_dropped++;
		return;
	}
	bl->cand[(bl->cand_head + bl->cand_n++) % bl->cand_cap] = c;
	if (!ev_is_active(&bl->cand_timer)) {
		ev_timer_set(&bl->cand_timer, 0., 0.);
		ev_timer_start(bl->m->d->loop, &bl->cand_timer);
	}
}

static void cand_on_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct blacklist *bl = container_of(w, struct blacklist, cand_timer);
	(void)revents;
	/* a tenth of the rate every 100 ms: at most candidate-rate a second */
	unsigned n = bl->cand_rate / 10 ? bl->cand_rate / 10 : 1;
	double every = bl->cand_rate >= 10 ? 0.1 : 1.0 / bl->cand_rate;
	while (n-- && bl->cand_n) {
		char *c = bl->cand[bl->cand_head];
		bl->cand_head = (bl->cand_head + 1) % bl->cand_cap;
		bl->cand_n--;
		if (bus_publish(&bl->m->d->bus, c, strlen(c), BUS_SRC_BLACKLIST) == 0)
			bl->cand_published++;
		else
			bl->cand_invalid++;
		free(c);
	}
	if (bl->cand_n) {
		ev_timer_set(w, every, 0.);
		ev_timer_start(loop, w);
	}
}

static void cand_clear(struct blacklist *bl)
{
	while (bl->cand_n) {
		free(bl->cand[bl->cand_head]);
		bl->cand_head = (bl->cand_head + 1) % bl->cand_cap;
		bl->cand_n--;
	}
}

/* ---- one source ---------------------------------------------------------- */

static void src_end(struct bl_source *s, int ok)
{
	if (s->ing) {
		feed_ingest_free(s->ing);
		s->ing = NULL;
	}
	ev_timer_stop(s->bl->m->d->loop, &s->drain);
	if (!ok)
		s->failures++;
	sched_done(&s->task, ok);
}

static void src_record_fetch(struct bl_source *s, int outcome, const char *error)
{
	struct rec r;
	uint64_t us = (uint64_t)(clock_mono_us() - s->t0_mono);
	feed_ingest_fetch(s->ing, &r, outcome, s->status, us, s->new_etag, s->new_lm, error);
	rec_stamp(&r);
	if (tipd_record(s->bl->m->d, &r) < 0)
		s->bl->record_drops++;
}

static void src_fail(struct bl_source *s, const char *why)
{
	char esc[LOG_ESC_MAX];
	log_warnx("blacklist: %s: %s", s->name, log_esc(esc, sizeof esc, why, strlen(why)));
	if (s->ing)
		src_record_fetch(s, REC_FETCH_FAILED, why);
	src_end(s, 0);
}

/* 1 while the store writer's queue is more than half full. */
static int writer_behind(struct blacklist *bl)
{
	struct writer_stats st;
	if (!bl->m->d->writer)
		return 0;
	writer_stats(bl->m->d->writer, &st);
	return st.queued * 2 > st.max_queue;
}

static void src_on_drain(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct bl_source *s = container_of(w, struct bl_source, drain);
	(void)revents;
	struct rec r;
	int k = 1;
	for (int i = 0; i < BL_BATCH && !writer_behind(s->bl); i++) {
		k = feed_ingest_next(s->ing, &r);
		if (k <= 0)
			break;
		rec_stamp(&r);
		if (tipd_record(s->bl->m->d, &r) < 0)
			s->bl->record_drops++;
		if (r.u.feed.op == REC_FEED_LISTED) {
			s->listed++;
			if (r.u.feed.kind == REC_IND_DOMAIN)
				cand_push(s->bl, r.u.feed.value, r.u.feed.value_len);
			else if (r.u.feed.kind == REC_IND_URL && r.u.feed.host_len)
				cand_push(s->bl, r.u.feed.host, r.u.feed.host_len);
		} else {
			s->delisted++;
		}
	}
	if (k < 0) {
		src_fail(s, s->ing->error);
		return;
	}
	if (k > 0) {
		ev_timer_set(w, writer_behind(s->bl) ? BL_PAUSE : 0., 0.);
		ev_timer_start(loop, w);
		return;
	}
	/* every change is handed over: the fetch record, then the new list */
	src_record_fetch(s, REC_FETCH_OK, NULL);
	s->entries = feed_ingest_entries(s->ing);
	if (feed_ingest_commit(s->ing) < 0) {
		log_warn("blacklist: %s: keeping the new list", s->name);
		src_end(s, 0);
		return;
	}
	snprintf(s->etag, sizeof s->etag, "%s", s->new_etag);
	snprintf(s->last_modified, sizeof s->last_modified, "%s", s->new_lm);
	s->last_ok_us = clock_now_us();
	val_save(s);
	log_info("blacklist: %s: %llu entries, %llu listed, %llu delisted, %llu bad lines",
		 s->name, (unsigned long long)s->entries, (unsigned long long)s->ing->added,
		 (unsigned long long)s->ing->removed, (unsigned long long)s->ing->parser.bad);
	src_end(s, 1);
}

static int src_on_data(void *arg, const unsigned char *p, size_t n)
{
	struct bl_source *s = arg;
	return feed_ingest_data(s->ing, p, n);
}

static void src_on_done(void *arg, const struct fetch_result *res)
{
	struct bl_source *s = arg;
	s->fetch = NULL;
	s->status = res->status;
	snprintf(s->new_etag, sizeof s->new_etag, "%s", res->etag);
	snprintf(s->new_lm, sizeof s->new_lm, "%s", res->last_modified);
	if (res->err == FETCH_E_ABORTED && s->ing->error[0]) {
		src_fail(s, s->ing->error);	/* the parser or the entry cap stopped it */
		return;
	}
	if (res->err != FETCH_OK) {
		char why[512];
		snprintf(why, sizeof why, "%s: %s", fetch_err_name(res->err),
			 res->errmsg ? res->errmsg : "");
		src_fail(s, why);
		return;
	}
	if (res->not_modified) {
		s->not_modified++;
		log_info("blacklist: %s: not modified", s->name);
		src_record_fetch(s, REC_FETCH_NOT_MODIFIED, NULL);
		s->last_ok_us = clock_now_us();
		val_save(s);
		src_end(s, 1);
		return;
	}
	if (feed_ingest_end(s->ing) < 0) {
		src_fail(s, s->ing->error);
		return;
	}
	ev_timer_set(&s->drain, 0., 0.);
	ev_timer_start(s->bl->m->d->loop, &s->drain);
}

static int src_run(struct sched_task *t)
{
	struct bl_source *s = t->arg;
	struct blacklist *bl = s->bl;
	int64_t now = clock_now_us();
	if (s->period_us && s->last_ok_us && clock_is_set() && now >= s->last_ok_us &&
	    now - s->last_ok_us < s->period_us) {
		s->skipped++;
		log_trace(bl->m->trace, "blacklist: %s: fetched less than its period ago", s->name);
		return SCHED_OK;
	}
	struct feed_opts fo = {.format = s->format, .kind = s->kind, .column = s->column,
			       .path = s->path};
	s->ing = feed_ingest_new(bl->state_dir, s->name, &fo, s->max_entries);
	if (!s->ing) {
		log_warn("blacklist: %s: %s", s->name, bl->state_dir);
		s->failures++;
		return SCHED_FAIL;
	}
	struct fetch_opts o = {
		.url = s->url,
		.ca_file = s->ca_file,
		.insecure = s->insecure,
		.etag = s->etag[0] ? s->etag : NULL,
		.last_modified = s->last_modified[0] ? s->last_modified : NULL,
		.max_bytes = s->max_size,
		.total_timeout = s->timeout,
	};
	struct fetch_cb cb = {.on_data = src_on_data, .on_done = src_on_done};
	s->fetches++;
	s->t0_mono = clock_mono_us();
	s->status = 0;
	s->new_etag[0] = s->new_lm[0] = 0;
	s->fetch = fetch_start(bl->m->d->loop, bl->res, &o, &cb, s);
	if (!s->fetch) {
		log_warn("blacklist: %s: fetch", s->name);
		feed_ingest_free(s->ing);
		s->ing = NULL;
		s->failures++;
		return SCHED_FAIL;
	}
	return SCHED_ASYNC;
}

static void src_cancel(struct sched_task *t)
{
	struct bl_source *s = t->arg;
	if (s->fetch)
		fetch_cancel(s->fetch);
	s->fetch = NULL;
	ev_timer_stop(s->bl->m->d->loop, &s->drain);
	feed_ingest_free(s->ing);
	s->ing = NULL;
}

static void src_free(struct bl_source *s)
{
	free(s->name);
	free(s->url);
	free(s->ca_file);
	free(s->column);
	free(s->path);
}

static char *dup_opt(const char *v)
{
	return v ? strdup(v) : NULL;
}

static int src_init(struct blacklist *bl, struct bl_source *s, const struct conf_node *sec,
		    const struct bl_src_conf *sc)
{
	memset(s, 0, sizeof *s);
	s->bl = bl;
	s->name = strdup(sec->argv[0]);
	s->url = dup_opt(sc->f.url);
	s->ca_file = dup_opt(sc->f.ca_file);
	s->column = dup_opt(sc->column);
	s->path = dup_opt(sc->path);
	s->format = sc->format;
	s->kind = sc->kind;
	s->period_us = sc->period_us;
	s->insecure = sc->f.insecure;
	s->max_size = sc->f.max_size;
	s->max_entries = sc->max_entries;
	s->timeout = clock_us_to_s(sc->f.timeout_us);
	if (!s->name || !s->url || (sc->f.ca_file && !s->ca_file) ||
	    (sc->column && !s->column) || (sc->path && !s->path))
		return -1;
	if (s->insecure)
		log_warnx("blacklist: %s: insecure yes: the server's certificate is NOT checked",
			  s->name);
	ev_timer_init(&s->drain, src_on_drain, 0., 0.);
	sched_task_init(&s->task, s->name, src_run, s);
	s->task.cancel = src_cancel;
	sched_backoff(&s->task, bl->round.backoff_min_us, bl->round.backoff_max_us);
	val_load(s);
	return 0;
}

/* ---- the module ---------------------------------------------------------- */

static int round_run(struct sched_task *t)
{
	struct blacklist *bl = t->arg;
	bl->rounds++;
	log_trace(bl->m->trace, "blacklist: round %llu: %zu sources",
		  (unsigned long long)bl->rounds, bl->n);
	return SCHED_OK;	/* the children are the work */
}

static int announce_run(struct sched_task *t)
{
	struct blacklist *bl = t->arg;
	uint64_t failed = 0, entries = 0;
	for (size_t i = 0; i < bl->n; i++) {
		failed += bl->src[i].task.last_ok == 0 && bl->src[i].task.runs > 0;
		entries += bl->src[i].entries;
	}
	char text[128];
	struct rec r = {.type = REC_EVENT};
	r.u.event.kind = REC_EV_NOTE;
	r.u.event.text = text;
	r.u.event.text_len = (size_t)snprintf(text, sizeof text,
					      "blacklist: round %llu done: %zu sources, %llu failing",
					      (unsigned long long)bl->rounds, bl->n,
					      (unsigned long long)failed);
	rec_stamp(&r);
	if (tipd_record(bl->m->d, &r) < 0)
		bl->record_drops++;
	log_info("blacklist: round %llu done: %zu sources, %llu failing, %llu entries",
		 (unsigned long long)bl->rounds, bl->n, (unsigned long long)failed,
		 (unsigned long long)entries);
	bus_announce(&bl->m->d->bus, SCHED_EV_BLACKLIST_ROUND);
	return SCHED_OK;
}

static void bl_unload(struct blacklist *bl)
{
	sched_del(&bl->announce);
	sched_del(&bl->round);
	for (size_t i = 0; i < bl->n; i++)
		src_free(&bl->src[i]);
	free(bl->src);
	bl->src = NULL;
	bl->n = 0;
}

/* Read the configuration in force into bl (sources, timing, candidates). */
static int bl_load(struct blacklist *bl)
{
	struct module *m = bl->m;
	const struct conf_node *sec = m->sec, *n;
	char err[512];

	sched_task_init(&bl->round, "blacklist", round_run, bl);
	sched_task_init(&bl->announce, "blacklist-round", announce_run, bl);
	sched_after(&bl->announce, &bl->round);
	if (module_sched_conf(&m->d->conf, sec, &bl->round, BL_DEFAULT_INTERVAL, err, sizeof err) < 0) {
		log_warnx("blacklist: %s", err);
		return -1;
	}
	size_t ns = 0;
	for (n = sec ? sec->child : NULL; n; n = n->next)
		ns += !strcmp(n->key, "source");
	bl->src = calloc(ns ? ns : 1, sizeof *bl->src);
	if (!bl->src)
		return -1;
	struct bl_conf bc = {.bl = bl};
	if (bl_read(&m->d->conf, sec, &bc, err, sizeof err) < 0) {
		log_warnx("blacklist: %s", err);
		return -1;
	}
	bl->candidates = bc.candidates;
	bl->cand_rate = bc.cand_rate;
	if (bc.cand_cap != bl->cand_cap) {
		cand_clear(bl);
		free(bl->cand);
		bl->cand = calloc(bc.cand_cap, sizeof *bl->cand);
		bl->cand_cap = bl->cand ? bc.cand_cap : 0;
		bl->cand_head = 0;
	}
	return 0;
}

static int bl_add(struct blacklist *bl)
{
	if (!bl->n) {
		log_info("blacklist: no source configured");
		return 0;
	}
	if (sched_add(&bl->m->d->sched, &bl->round) < 0 ||
	    sched_add(&bl->m->d->sched, &bl->announce) < 0)
		return -1;
	for (size_t i = 0; i < bl->n; i++)
		if (sched_add_child(&bl->round, &bl->src[i].task) < 0)
			return -1;
	return 0;
}

static int bl_init(struct module *m)
{
	struct blacklist *bl = calloc(1, sizeof *bl);
	if (!bl)
		return -1;
	bl->m = m;
	m->priv = bl;
	snprintf(bl->state_dir, sizeof bl->state_dir, "%s/state/feeds", m->d->conf.store_dir);
	ev_timer_init(&bl->cand_timer, cand_on_timer, 0., 0.);
	if (mkdir(bl->state_dir, STORE_DIR_MODE) < 0 && errno != EEXIST)
		log_warn("blacklist: %s", bl->state_dir);
	if (bl_load(bl) < 0) {
		bl_unload(bl);
		free(bl->cand);
		free(bl);
		m->priv = NULL;
		return -1;
	}
	/* names that are not literals need the resolver; one failing leaves literals working */
	bl->res = fetch_resolver_new(m->d->loop, 16, 64, "blacklist");
	return 0;
}

static int bl_start(struct module *m)
{
	return bl_add(m->priv);
}

static int bl_reload(struct module *m)
{
	struct blacklist *bl = m->priv;
	/* in-flight fetches are cancelled (nothing is half-recorded); the lists,
	 * validators and periods in state/ carry over */
	bl_unload(bl);
	if (bl_load(bl) < 0)
		return -1;
	return bl_add(bl);
}

static void bl_stats(struct module *m, module_emit_fn emit, void *ctx)
{
	struct blacklist *bl = m->priv;
	uint64_t f = 0, fl = 0, nm = 0, sk = 0, li = 0, de = 0, en = 0;
	for (size_t i = 0; i < bl->n; i++) {
		f += bl->src[i].fetches, fl += bl->src[i].failures, nm += bl->src[i].not_modified;
		sk += bl->src[i].skipped, li += bl->src[i].listed, de += bl->src[i].delisted;
		en += bl->src[i].entries;
	}
	emit(ctx, "sources", bl->n);
	emit(ctx, "rounds", bl->rounds);
	emit(ctx, "fetches", f);
	emit(ctx, "failures", fl);
	emit(ctx, "not_modified", nm);
	emit(ctx, "skipped_period", sk);
	emit(ctx, "entries", en);
	emit(ctx, "listed", li);
	emit(ctx, "delisted", de);
	emit(ctx, "record_drops", bl->record_drops);
	emit(ctx, "candidates_published", bl->cand_published);
	emit(ctx, "candidates_queued", bl->cand_n);
	emit(ctx, "candidates_dropped", bl->cand_dropped);
	emit(ctx, "candidates_invalid", bl->cand_invalid);
}

static void bl_stop(struct module *m)
{
	struct blacklist *bl = m->priv;
	if (!bl)
		return;
	bl_unload(bl);
	ev_timer_stop(m->d->loop, &bl->cand_timer);
	cand_clear(bl);
	free(bl->cand);
	if (bl->res)
		resolver_free(bl->res);
	free(bl);
	m->priv = NULL;
}

const struct module_ops mod_blacklist_ops = {
	.name = "blacklist",
	.default_on = 0,
	.check = bl_check,
	.init = bl_init,
	.start = bl_start,
	.reload = bl_reload,
	.stats = bl_stats,
	.stop = bl_stop,
};
