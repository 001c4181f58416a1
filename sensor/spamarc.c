/*
 * spamarc: the daily-archives submodule of mod_spamtrap (spamarc.h).
 *
 *     module spamtrap {
 *         archive untroubled {
 *             url https://host/spam/%Y/%Y-%m-%d.mbox.gz    # strftime, UTC
 *             format auto        # mbox | tar | auto (.tar .tar.gz .tgz: tar)
 *             catch-up 7d        # days back mined when missed (1d-366d)
 *             ca-file /etc/ssl/certs/ca-certificates.crt; insecure no
 *             timeout 300s; max-size 256M
 *         }
 *     }
 *
 * A round (after each blacklist round) walks every archive in turn and,
 * for each, the days from max(done + 1, today - catch-up) to today, one
 * fetch at a time.  A 200 is mined as it streams in; a past day then is
 * done.  Today is mined as far as it goes and stays open: the next round
 * fetches it again and mines only the messages after those it had (a
 * daily archive grows by appending), until a later round finds the day
 * over.  A 404 for today is "not yet" (the round moves on, nothing
 * recorded); for a past day a logged skip.  A body that does not decode
 * (broken gzip) or a tar that is corrupt or truncated is mined as far as
 * it is whole, logged, and the day counted done: the same bytes would
 * fail the same way again.  Any other failure (DNS, TLS, timeout, 5xx, a
 * cut connection) ends the round as failed: the task backs off and the
 * next try resumes the day after its last mined message.
 *
 * Never twice.  Messages of a day are numbered in archive order; each
 * extract carries "YYYY-MM-DD/N" as its name.  The cursor (last day done,
 * and the open day with the number of messages accounted for) is saved
 * in state/spamtrap-archive.NAME after every day and at a stop; at start
 * the greatest (day, N) the store holds for the source is read back, so
 * after a crash a message whose record was durable is not mined again.
 *
 * Memory and the loop.  The loop splits the stream into messages (an mbox
 * at its "From " lines, a tar with store/tar.h), keeping one message of
 * at most max-size bytes (the module's); a complete message goes to the
 * worker thread, which parses it, while the next one arrives: at most
 * three messages are held (being parsed, waiting, arriving).  When the
 * worker lags so far that a fourth would be needed, the fetch is stopped
 * and the day resumed (from its next message) as soon as the worker has
 * caught up: bounded memory instead of a pause the fetch client does not
 * have.  The loop copies bytes and scans lines, never parses mail.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <ev.h>

#include "cdefs.h"
#include "clock.h"
#include "feedset.h"
#include "fetch.h"
#include "index.h"
#include "list.h"
#include "log.h"
#include "modes.h"
#include "resolver.h"
#include "spamarc.h"
#include "store.h"
#include "tar.h"
#include "tip_config.h"
#include "tipd.h"

/* after sched.h (through module.h): see mod_spamtrap.c */
#include <pthread.h>

#define SA_MAX 16		/* archive sections */
#define SA_LOG_BAD 20		/* malformed messages logged per day; the rest counted */
#define SA_CATCHUP_DEFAULT 7
#define SA_CATCHUP_MAX 366
#define SA_MAX_BYTES_DEFAULT (256ull << 20)
#define SA_QUEUE_BYTES (8u << 20)	/* messages waiting for the worker (one at least) */
#define SA_RESUME_DELAY 0.2	/* seconds between a worker catching up and the refetch */

enum { FMT_AUTO, FMT_MBOX, FMT_TAR };

struct sa_src {
	char name[65];
	char *url, *ca_file;
	int fmt, insecure;
	int64_t catchup;	/* days */
	double timeout;
	uint64_t max_bytes;
	/* cursor */
	int64_t done;		/* last day done (mined whole or skipped); INT64_MIN: none */
	int64_t open_day;	/* a day mined in part (today, or one cut short) */
	uint64_t open_n;	/* its messages accounted for */
	/* store frontier, read back at start */
	int64_t st_day;
	uint64_t st_n;
	int st_have;
	uint64_t days, skipped_404, broken, mined, malformed, bytes, fetches, failures;
};

/* One message handed to the worker. */
struct sa_job {
	struct link link;	/* on the queue */
	uint8_t *buf;
	size_t len;
	uint64_t total;		/* its size in the archive (> len: cut at max-size) */
	size_t src;
	int64_t day;
	uint64_t n;
};

struct spamarc {
	struct module *m;
	const struct mail_opts *opts;
	spamarc_sink_fn sink;
	void *sink_arg;
	struct sched_task task;
	struct resolver *res;
	char state_dir[4096], store_dir[4096];
	struct sa_src src[SA_MAX];
	size_t n;

	/* the round (loop) */
	int running, round_ok, want_run;
	size_t cur;
	int64_t day, today;
	struct fetch *fetch;
	int fmt;		/* of this fetch */
	uint64_t next_n;	/* number of the next message unit in the stream */
	uint64_t taken_n;	/* units before this are recorded (or skipped, or malformed) */
	uint64_t skip;		/* units before this are mined already */
	uint64_t mined_day;
	unsigned logged_bad;
	int overflow;		/* the fetch was stopped because the worker lagged */
	int waiting_drain;	/* the fetch ended; the day ends when the worker is idle */
	int day_complete;	/* with waiting_drain: the day's bytes were all there */
	char tar_err[128];
	ev_timer resume;

	/* the message arriving (loop) */
	uint8_t *mb;
	size_t ml, mcap;
	uint64_t mtotal;
	int in_msg;		/* tar: inside a message entry */
	/* mbox line state */
	int bol, prev_empty, started;
	uint8_t head[5];
	size_t hn;
	/* tar */
	struct tar_rd tar;

	/* shared with the worker, under mu */
	pthread_t thr;
	int thr_up;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int stop, recon_done, busy, result;
	struct fifo q;		/* of sa_job, waiting for the worker, in archive order */
	size_t q_bytes;
	struct sa_job done_job;	/* the result's */
	struct mail_msg *msg;
	int msg_rc;
	ev_async wake;
	uint64_t record_drops, lag_stops;
};

/* ---- days and names ---------------------------------------------------------------------- */

static int64_t today_utc(void)
{
	int64_t s = clock_now_us() / 1000000;
	return s >= 0 ? s / 86400 : (s - 86399) / 86400;
}

static void day_str(int64_t day, char *buf, size_t cap)
{
	time_t t = (time_t)(day * 86400);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(buf, cap, "%Y-%m-%d", &tm);
}

/* "YYYY-MM-DD" to a day number: 0, or -1. */
static int day_parse(const char *s, size_t len, int64_t *day)
{
	int y, mo, d;
	char tail;
	char tmp[16];
	if (len != 10)
		return -1;
	memcpy(tmp, s, 10);
	tmp[10] = 0;
	if (sscanf(tmp, "%4d-%2d-%2d%c", &y, &mo, &d, &tail) != 3 || mo < 1 || mo > 12 || d < 1 ||
	    d > 31 || y < 1970 || y > 9999)
		return -1;
	/* days from civil (Howard Hinnant's algorithm) */
	int64_t yy = y - (mo <= 2);
	int64_t era = yy / 400;
	int64_t yoe = yy - era * 400;
	int64_t doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	*day = era * 146097 + doe - 719468;
	return 0;
}

static int expand_url(const char *tmpl, int64_t day, char *out, size_t cap)
{
	time_t t = (time_t)(day * 86400);
	struct tm tm;
	gmtime_r(&t, &tm);
	size_t n = strftime(out, cap, tmpl, &tm);
	return n > 0 && n < cap ? 0 : -1;
}

/* A template names a day when it changes from one day to the next and is stable within one. */
static int template_daily(const char *tmpl)
{
	char a[FETCH_URL_MAX + 1], b[FETCH_URL_MAX + 1];
	int64_t d = 20000;	/* any day */
	if (expand_url(tmpl, d, a, sizeof a) < 0 || expand_url(tmpl, d + 1, b, sizeof b) < 0)
		return 0;
	return strcmp(a, b) != 0 && !strstr(tmpl, "%H") && !strstr(tmpl, "%M") && !strstr(tmpl, "%S") &&
	       !strstr(tmpl, "%s") && !strstr(tmpl, "%T") && !strstr(tmpl, "%c");
}

static int fmt_of_url(const char *url)
{
	size_t l = strlen(url);
	size_t q = strcspn(url, "?#");
	if (q < l)
		l = q;
	static const char *const tars[] = {".tar", ".tar.gz", ".tgz"};
	for (size_t i = 0; i < 3; i++) {
		size_t k = strlen(tars[i]);
		if (l >= k && !strncmp(url + l - k, tars[i], k))
			return FMT_TAR;
	}
	return FMT_MBOX;
}

/* ---- configuration --------------------------------------------------------------------------- */

/* An archive's section as read (sa_read): the fetch keys, then its own. */
struct sa_conf {
	struct fetch_conf f;
	int fmt;
	int64_t catchup;	/* days */
};

/* `format`, by FMT_* */
static const char *const sa_formats[] = {"auto", "mbox", "tar"};

static int key_catchup(const struct conf *c, const struct conf_node *n, void *base, char *err,
		       size_t errlen)
{
	const int64_t day = 86400 * 1000000LL;
	int64_t d;
	if (conf_get_duration(c, n, &d, err, errlen) < 0)
		return -1;
	if (d % day || d < day || d > SA_CATCHUP_MAX * day)
		return conf_error(c, n, err, errlen, "catch-up: whole days, 1d to %dd",
				  SA_CATCHUP_MAX);
	((struct sa_conf *)base)->catchup = d / day;
	return 0;
}

/* The keys of `archive NAME { }` besides fetch_conf_keys (tipd.conf(5)). */
static const struct conf_key sa_keys[] = {
	CONF_CHOICE("format", offsetof(struct sa_conf, fmt), sa_formats, CONF_NKEYS(sa_formats),
		    FMT_AUTO),
	{"catch-up", CONF_K_FN, 0, 0, 0, 0, .fn = key_catchup},
};

/* Read `archive NAME { }` into sc (defaults first); then the rules on its url. */
static int sa_read(const struct conf *c, const struct conf_node *s, struct sa_conf *sc, char *err,
		   size_t errlen)
{
	if (s->argc != 1 || !feedset_name_ok(s->argv[0]) || !strcmp(s->argv[0], "maildir"))
		return conf_error(c, s, err, errlen,
				  "archive: give one name of 1-64 of A-Z a-z 0-9 . _ - (not 'maildir')");
	*sc = (struct sa_conf){
		.f = {.url_max = FETCH_URL_MAX / 2, .size_min = 4096, .max_size = SA_MAX_BYTES_DEFAULT},
		.fmt = FMT_AUTO,
		.catchup = SA_CATCHUP_DEFAULT,
	};
	const struct conf_table t = {
		.keys = sa_keys,
		.n = CONF_NKEYS(sa_keys),
		.inc = fetch_conf_keys,
		.ninc = FETCH_CONF_NKEYS,
		.inc_off = offsetof(struct sa_conf, f),
		.once = 1,
	};
	if (conf_table_read(c, s, &t, sc, err, errlen) < 0)
		return -1;
	if (!sc->f.url)
		return conf_error(c, s, err, errlen, "archive %s: 'url' is missing", s->argv[0]);
	if (!template_daily(sc->f.url))
		return conf_error(c, conf_get(s, "url"), err, errlen,
				  "url: needs a date template naming one day (%%Y-%%m-%%d, %%F, %%j...), no time of day");
	return 0;
}

int spamarc_check(const struct conf *c, const struct conf_node *s, char *err, size_t errlen)
{
	struct sa_conf sc;
	return sa_read(c, s, &sc, err, errlen);
}

/* ---- the cursor ------------------------------------------------------------------------------ */

static void cursor_path(const struct spamarc *a, const struct sa_src *s, char *p, size_t cap)
{
	snprintf(p, cap, "%s/spamtrap-archive.%s", a->state_dir, s->name);
}

static void cursor_load(struct spamarc *a, struct sa_src *s)
{
	char p[4200], buf[256], d1[32], d2[32];
	unsigned long long n;
	s->done = INT64_MIN;
	s->open_day = INT64_MIN;
	s->open_n = 0;
	cursor_path(a, s, p, sizeof p);
	FILE *f = fopen(p, "r");
	if (!f)
		return;
	if (fgets(buf, sizeof buf, f) && sscanf(buf, "TIPSPAMA1 %31s %31s %llu", d1, d2, &n) == 3) {
		if (day_parse(d1, strlen(d1), &s->done) < 0)
			s->done = INT64_MIN;
		if (day_parse(d2, strlen(d2), &s->open_day) == 0)
			s->open_n = n;
		else
			s->open_day = INT64_MIN;
	} else {
		log_warnx("spamtrap: %s: not a cursor (ignored; the store's records say what was mined)", p);
	}
	fclose(f);
}

static void cursor_save(struct spamarc *a, struct sa_src *s)
{
	char p[4200], tmp[4300], d1[32] = "-", d2[32] = "-";
	cursor_path(a, s, p, sizeof p);
	snprintf(tmp, sizeof tmp, "%s.tmp", p);
	if (s->done != INT64_MIN)
		day_str(s->done, d1, sizeof d1);
	if (s->open_day != INT64_MIN)
		day_str(s->open_day, d2, sizeof d2);
	FILE *f = fopen(tmp, "w");
	if (!f) {
		log_warn("spamtrap: %s", tmp);
		return;
	}
	fprintf(f, "TIPSPAMA1 %s %s %llu\n", d1, d2, (unsigned long long)s->open_n);
	if (fflush(f) || fsync(fileno(f)) || fclose(f) || rename(tmp, p))
		log_warn("spamtrap: %s", p);
}

/* Messages of day already accounted for, by the cursor or the store. */
static uint64_t mined_of(const struct sa_src *s, int64_t day)
{
	uint64_t n = s->open_day == day ? s->open_n : 0;
	if (s->st_have && s->st_day == day && s->st_n + 1 > n)
		n = s->st_n + 1;
	return n;
}

/* ---- the worker ------------------------------------------------------------------------------ */

static int found(void *ctx, const char *sensor, const struct store_seg *seg, uint64_t pos,
		 const struct rec *r)
{
	(void)sensor;
	(void)seg;
	(void)pos;
	struct spamarc *a = ctx;
	const struct rec_spam *sp = &r->u.spam;
	if (r->type != REC_SPAM || !sp->name_len || sp->name_len < 12)
		return 0;
	for (size_t i = 0; i < a->n; i++) {
		struct sa_src *s = &a->src[i];
		if (sp->source_len != strlen(s->name) || memcmp(sp->source, s->name, sp->source_len))
			continue;
		int64_t day;
		if (sp->name[10] != '/' || day_parse(sp->name, 10, &day) < 0)
			return 0;
		char num[24];
		size_t l = sp->name_len - 11;
		if (!l || l >= sizeof num)
			return 0;
		memcpy(num, sp->name + 11, l);
		num[l] = 0;
		char *end;
		unsigned long long k = strtoull(num, &end, 10);
		if (*end)
			return 0;
		if (!s->st_have || day > s->st_day || (day == s->st_day && k > s->st_n)) {
			s->st_have = 1;
			s->st_day = day;
			s->st_n = k;
		}
	}
	return 0;
}

static void quiet_fault(void *ctx, const char *path, uint64_t off, const char *why)
{
	(void)ctx;
	log_warnx("spamtrap: reading the archive cursors back: %s at %llu: %s", path,
		  (unsigned long long)off, why);
}

static void reconcile(struct spamarc *a)
{
	struct store_set set = {0};
	char err[512];
	uint8_t k[INDEX_KEY_MAX];
	if (store_set_add(&set, a->store_dir, err, sizeof err) == 0) {
		for (size_t i = 0; i < a->n; i++) {
			size_t n = index_key_source(k, a->src[i].name, strlen(a->src[i].name));
			store_set_lookup(&set, k, n, found, quiet_fault, a);
		}
		store_set_free(&set);
	}
}

static void *worker(void *arg)
{
	struct spamarc *a = arg;
	reconcile(a);
	pthread_mutex_lock(&a->mu);
	a->recon_done = 1;
	pthread_mutex_unlock(&a->mu);
	ev_async_send(a->m->d->loop, &a->wake);
	pthread_mutex_lock(&a->mu);
	for (;;) {
		while (fifo_empty(&a->q) && !a->stop)
			pthread_cond_wait(&a->cv, &a->mu);
		if (a->stop)
			break;
		struct sa_job *q = container_of(fifo_pop(&a->q), struct sa_job, link), j = *q;
		a->q_bytes -= j.len;
		free(q);
		a->busy = 1;
		pthread_mutex_unlock(&a->mu);
		int rc = mail_parse(j.buf, j.len, a->opts, a->msg);
		if (j.total > j.len)
			a->msg->flags |= MAIL_F_TRUNCATED;
		a->msg->bytes = j.total;
		free(j.buf);
		pthread_mutex_lock(&a->mu);
		a->msg_rc = rc;
		a->done_job = j;
		a->done_job.buf = NULL;
		a->result = 1;
		a->busy = 0;	/* with result set: the loop sees it idle once it took the result */
		pthread_mutex_unlock(&a->mu);
		ev_async_send(a->m->d->loop, &a->wake);
		pthread_mutex_lock(&a->mu);
		while (a->result && !a->stop)
			pthread_cond_wait(&a->cv, &a->mu);
		if (a->stop)
			break;
	}
	pthread_mutex_unlock(&a->mu);
	return NULL;
}

/* ---- the round ------------------------------------------------------------------------------- */

static void next_day(struct spamarc *a);

/* The first message of the day not accounted for: never before what was mined already. */
static uint64_t frontier(const struct spamarc *a)
{
	return a->taken_n > a->skip ? a->taken_n : a->skip;
}

static void round_end(struct spamarc *a)
{
	uint64_t mined = 0;
	for (size_t i = 0; i < a->n; i++)
		mined += a->src[i].mined;
	log_info("spamtrap: archives: round %s: %llu messages mined since start",
		 a->round_ok ? "done" : "failed", (unsigned long long)mined);
	a->running = 0;
	sched_done(&a->task, a->round_ok);
}

/* The day's fetch ended and the worker is idle: account for the day. */
static void day_end(struct spamarc *a)
{
	struct sa_src *s = &a->src[a->cur];
	char ds[32];
	day_str(a->day, ds, sizeof ds);
	a->waiting_drain = 0;
	if (a->overflow) {
		/* resume the same day once the worker has caught up (now) */
		a->overflow = 0;
		a->lag_stops++;
		s->open_day = a->day;
		s->open_n = frontier(a);
		cursor_save(a, s);
		ev_timer_set(&a->resume, SA_RESUME_DELAY, 0.);
		ev_timer_start(a->m->d->loop, &a->resume);
		return;
	}
	if (!a->day_complete) {
		/* a failure to retry: keep what was mined, end the round failed */
		s->open_day = a->day;
		s->open_n = frontier(a);
		cursor_save(a, s);
		a->round_ok = 0;
		round_end(a);
		return;
	}
	if (a->day < a->today) {
		s->done = a->day;
		s->open_day = INT64_MIN;
		s->open_n = 0;
		s->days++;
		log_info("spamtrap: archive %s %s: %llu messages mined (%llu in the archive)", s->name, ds,
			 (unsigned long long)a->mined_day, (unsigned long long)a->next_n);
	} else {
		s->open_day = a->day;
		s->open_n = frontier(a);
		log_info("spamtrap: archive %s %s (today, so far): %llu messages mined (%llu in the archive)",
			 s->name, ds, (unsigned long long)a->mined_day, (unsigned long long)a->next_n);
	}
	cursor_save(a, s);
	a->day++;
	next_day(a);
}

static int drained(struct spamarc *a)
{
	pthread_mutex_lock(&a->mu);
	int idle = fifo_empty(&a->q) && !a->busy && !a->result;
	pthread_mutex_unlock(&a->mu);
	return idle;
}

static void fetch_ended(struct spamarc *a, int complete)
{
	free(a->mb);
	a->mb = NULL;
	a->ml = a->mcap = 0;
	a->day_complete = complete;
	a->waiting_drain = 1;
	if (drained(a))
		day_end(a);
}

/* Hand a complete message to the worker: 0, or -1 when the worker lags (stop the fetch). */
static int hand(struct spamarc *a)
{
	uint64_t n = a->next_n++;
	if (n < a->skip) {	/* mined already, in an earlier fetch of this day */
		a->ml = 0;
		a->taken_n = n + 1;	/* nothing is in flight before the skip ends */
		return 0;
	}
	if (!a->mb && !(a->mb = malloc(1))) {	/* an empty message is still one (malformed) */
		a->next_n--;
		return -1;
	}
	struct sa_job *q = malloc(sizeof *q);
	pthread_mutex_lock(&a->mu);
	if (!q || (!fifo_empty(&a->q) && a->q_bytes + a->ml > SA_QUEUE_BYTES)) {
		pthread_mutex_unlock(&a->mu);
		free(q);
		a->next_n--;	/* not taken: the resumed fetch starts with it */
		return -1;
	}
	*q = (struct sa_job){.buf = a->mb, .len = a->ml, .total = a->mtotal, .src = a->cur,
			     .day = a->day, .n = n};
	fifo_push(&a->q, &q->link);
	a->q_bytes += a->ml;
	pthread_cond_broadcast(&a->cv);
	pthread_mutex_unlock(&a->mu);
	a->mb = NULL;
	a->ml = a->mcap = 0;
	return 0;
}

/* Append to the arriving message, to max-size; the rest is only counted. */
static void msg_add(struct spamarc *a, const uint8_t *p, size_t n)
{
	a->mtotal += n;
	if (a->next_n < a->skip)
		return;	/* will be skipped: not kept */
	size_t cap = a->opts->lim.max_msg;
	if (a->ml >= cap)
		return;
	if (n > cap - a->ml)
		n = cap - a->ml;
	if (a->ml + n > a->mcap) {
		size_t nc = a->mcap ? a->mcap : 16384;
		while (nc < a->ml + n)
			nc *= 2;
		if (nc > cap)
			nc = cap;
		uint8_t *t = realloc(a->mb, nc);
		if (!t) {
			a->mtotal += 0;	/* parsed as far as memory allowed */
			return;
		}
		a->mb = t;
		a->mcap = nc;
	}
	memcpy(a->mb + a->ml, p, n);
	a->ml += n;
}

/* mbox: the message so far ends at a separator (or the stream's end). */
static int mbox_cut(struct spamarc *a)
{
	if (!a->started)
		return 0;
	/* the empty line before "From " is the separator's */
	if (a->ml && a->mb[a->ml - 1] == '\n') {
		a->ml--;
		if (a->ml && a->mb[a->ml - 1] == '\r')
			a->ml--;
	}
	int rc = hand(a);
	a->ml = 0;
	a->mtotal = 0;
	return rc;
}

/* Consume mbox bytes: 0, or -1 when the worker lags. */
static int mbox_feed(struct spamarc *a, const uint8_t *p, size_t n)
{
	while (n) {
		if (!a->bol) {
			const uint8_t *nl = memchr(p, '\n', n);
			size_t k = nl ? (size_t)(nl - p) + 1 : n;
			msg_add(a, p, k);
			p += k;
			n -= k;
			if (nl) {
				a->bol = 1;
				a->prev_empty = 0;
			}
			continue;
		}
		/* at a line's start: gather up to 5 bytes to tell a separator */
		uint8_t c = *p++;
		n--;
		a->head[a->hn++] = c;
		int empty = (a->hn == 1 && c == '\n') || (a->hn == 2 && a->head[0] == '\r' && c == '\n');
		if (c != '\n' && a->hn < 5)
			continue;
		int sep = a->hn == 5 && !memcmp(a->head, "From ", 5) && (a->prev_empty || !a->started);
		if (sep) {
			if (mbox_cut(a) < 0) {
				a->hn = 0;
				return -1;
			}
			a->started = 1;
		} else if (!a->started) {
			a->started = 1;	/* no "From " at the start: one message, or a bare mail */
		}
		msg_add(a, a->head, a->hn);
		a->hn = 0;
		if (c == '\n') {
			a->prev_empty = empty;
			a->bol = 1;
		} else {
			a->bol = 0;
		}
	}
	return 0;
}

static int mbox_finish(struct spamarc *a)
{
	if (a->hn) {
		msg_add(a, a->head, a->hn);
		a->hn = 0;
		a->started = 1;
	}
	if (a->started && (a->ml || a->mtotal))
		return mbox_cut(a);
	return 0;
}

/* A maildir message inside a tar: a regular file whose folder is cur or new. */
static int tar_is_mail(const struct tar_rd *t)
{
	if (t->type != TAR_T_FILE)
		return 0;
	const char *b = strrchr(t->name, '/');
	if (!b || !b[1] || b[1] == '.')
		return 0;
	size_t l = (size_t)(b - t->name);
	if (l < 3)
		return 0;
	const char *d = b - 3;
	return (!memcmp(d, "cur", 3) || !memcmp(d, "new", 3)) && (l == 3 || d[-1] == '/');
}

/* Consume tar bytes: 0, -1 when the worker lags, -2 when the tar is corrupt. */
static int tar_feed(struct spamarc *a, const uint8_t *p, size_t n)
{
	for (;;) {
		int ev = tar_step(&a->tar, &p, &n);
		switch (ev) {
		case TAR_NEED:
			return 0;
		case TAR_ERR:
			snprintf(a->tar_err, sizeof a->tar_err, "%s", a->tar.err);
			return -2;
		case TAR_ENTRY:
			a->in_msg = tar_is_mail(&a->tar);
			a->ml = 0;
			a->mtotal = 0;
			break;
		case TAR_DATA:
			if (a->in_msg)
				msg_add(a, a->tar.data, a->tar.len);
			break;
		case TAR_ENTRY_END:
			if (a->in_msg) {
				a->in_msg = 0;
				if (hand(a) < 0)
					return -1;
			}
			break;
		case TAR_END:
			break;
		}
	}
}

static int on_data(void *arg, const unsigned char *p, size_t n)
{
	struct spamarc *a = arg;
	int rc = a->fmt == FMT_TAR ? tar_feed(a, p, n) : mbox_feed(a, p, n);
	if (rc == -1)
		a->overflow = 1;
	return rc < 0 ? -1 : 0;
}

static void on_done(void *arg, const struct fetch_result *r)
{
	struct spamarc *a = arg;
	struct sa_src *s = &a->src[a->cur];
	char ds[32], esc[LOG_ESC_MAX];
	a->fetch = NULL;
	day_str(a->day, ds, sizeof ds);
	const char *why = r->errmsg ? log_esc(esc, sizeof esc, r->errmsg, strlen(r->errmsg)) : "";
	if (r->err == FETCH_OK) {
		int bad = 0;
		if (a->fmt == FMT_TAR) {
			if (tar_finish(&a->tar) < 0) {
				snprintf(a->tar_err, sizeof a->tar_err, "%s", a->tar.err);
				bad = 1;
			}
		} else if (mbox_finish(a) < 0) {
			a->overflow = 1;	/* the last message did not fit: resume at it */
		}
		if (bad) {
			s->broken++;
			log_warnx("spamtrap: archive %s %s: tar: %s: the whole entries are mined, the rest skipped",
				  s->name, ds, a->tar_err);
		}
		fetch_ended(a, 1);
		return;
	}
	if (r->err == FETCH_E_ABORTED && a->overflow) {
		fetch_ended(a, 0);
		return;
	}
	if (r->err == FETCH_E_ABORTED && a->tar_err[0]) {
		s->broken++;
		log_warnx("spamtrap: archive %s %s: tar: %s: the whole entries are mined, the rest skipped",
			  s->name, ds, a->tar_err);
		fetch_ended(a, 1);
		return;
	}
	if (r->err == FETCH_E_HTTP && r->status == 404) {
		if (a->day >= a->today) {
			log_info("spamtrap: archive %s %s: not there yet (404), tried again next round",
				 s->name, ds);
			/* not a failure: this archive is done for the round (no body
			 * came, and the days before were drained at their end) */
			free(a->mb);
			a->mb = NULL;
			a->ml = a->mcap = 0;
			a->cur++;
			a->day = INT64_MIN;
			next_day(a);
			return;
		}
		s->skipped_404++;
		log_warnx("spamtrap: archive %s %s: 404, the day is skipped", s->name, ds);
		fetch_ended(a, 1);
		return;
	}
	if (r->err == FETCH_E_DECODE || r->err == FETCH_E_TOO_BIG) {
		s->broken++;
		log_warnx("spamtrap: archive %s %s: %s: %s: the messages before are mined, the rest skipped",
			  s->name, ds, fetch_err_name(r->err), why);
		fetch_ended(a, 1);
		return;
	}
	s->failures++;
	log_warnx("spamtrap: archive %s %s: %s: %s (retried after back-off, from message %llu)", s->name,
		  ds, fetch_err_name(r->err), why, (unsigned long long)a->next_n);
	fetch_ended(a, 0);
}

static void fetch_day(struct spamarc *a, int resume)
{
	struct sa_src *s = &a->src[a->cur];
	char url[FETCH_URL_MAX + 1], ds[32];
	day_str(a->day, ds, sizeof ds);
	if (expand_url(s->url, a->day, url, sizeof url) < 0) {
		log_warnx("spamtrap: archive %s %s: the URL template does not expand", s->name, ds);
		a->round_ok = 0;
		a->cur++;
		a->day = INT64_MIN;
		next_day(a);
		return;
	}
	a->fmt = s->fmt == FMT_AUTO ? fmt_of_url(url) : s->fmt;
	a->skip = mined_of(s, a->day);
	a->next_n = 0;
	a->taken_n = 0;
	if (!resume) {
		a->mined_day = 0;
		a->logged_bad = 0;
	}
	a->overflow = 0;
	a->tar_err[0] = 0;
	a->ml = 0;
	a->mtotal = 0;
	a->in_msg = 0;
	a->bol = 1;
	a->prev_empty = 0;
	a->started = 0;
	a->hn = 0;
	tar_init(&a->tar);
	struct fetch_opts o = {
		.url = url,
		.ca_file = s->ca_file,
		.insecure = s->insecure,
		.max_bytes = s->max_bytes,
		.total_timeout = s->timeout,
	};
	struct fetch_cb cb = {.on_data = on_data, .on_done = on_done};
	s->fetches++;
	log_trace(a->m->trace, "spamtrap: archive %s %s: %s (from message %llu)", s->name, ds, url,
		  (unsigned long long)a->skip);
	a->fetch = fetch_start(a->m->d->loop, a->res, &o, &cb, a);
	if (!a->fetch) {
		log_warn("spamtrap: archive %s: fetch", s->name);
		s->failures++;
		a->round_ok = 0;
		round_end(a);
	}
}

/* The next day to fetch of the current archive, or the next archive, or the round's end. */
static void next_day(struct spamarc *a)
{
	while (a->cur < a->n) {
		struct sa_src *s = &a->src[a->cur];
		int64_t first = a->today - s->catchup;
		if (a->day == INT64_MIN) {
			a->day = s->done != INT64_MIN && s->done + 1 > first ? s->done + 1 : first;
			if (s->done != INT64_MIN && s->done + 1 < first) {
				char d1[32], d2[32];
				day_str(s->done + 1, d1, sizeof d1);
				day_str(first - 1, d2, sizeof d2);
				log_warnx("spamtrap: archive %s: %s to %s are older than catch-up (%lldd): skipped",
					  s->name, d1, d2, (long long)s->catchup);
				s->done = first - 1;
				cursor_save(a, s);
			}
		}
		if (a->day <= a->today) {
			fetch_day(a, 0);
			return;
		}
		a->cur++;
		a->day = INT64_MIN;
	}
	round_end(a);
}

static void on_resume(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct spamarc *a = container_of(w, struct spamarc, resume);
	(void)loop;
	(void)revents;
	if (a->running)
		fetch_day(a, 1);
}

static void start_round(struct spamarc *a)
{
	a->running = 1;
	a->round_ok = 1;
	a->cur = 0;
	a->day = INT64_MIN;
	a->today = today_utc();
	next_day(a);
}

static int sa_run(struct sched_task *t)
{
	struct spamarc *a = t->arg;
	if (a->running)
		return SCHED_OK;
	if (!clock_is_set()) {
		/* the days to fetch come from the clock: a wrong one would mark days done */
		log_warnx("spamtrap: archives: the wall clock is not known to be set: retried later");
		return SCHED_FAIL;
	}
	pthread_mutex_lock(&a->mu);
	int ready = a->recon_done;
	pthread_mutex_unlock(&a->mu);
	if (!ready) {
		a->want_run = 1;	/* started once the store's frontier is read */
		a->running = 1;
		return SCHED_ASYNC;
	}
	start_round(a);
	return SCHED_ASYNC;
}

static void sa_cancel(struct sched_task *t)
{
	struct spamarc *a = t->arg;
	if (a->fetch)
		fetch_cancel(a->fetch);
	a->fetch = NULL;
	ev_timer_stop(a->m->d->loop, &a->resume);
	if (a->running && a->cur < a->n && a->day != INT64_MIN) {
		struct sa_src *s = &a->src[a->cur];
		s->open_day = a->day;
		s->open_n = frontier(a);
	}
	a->running = 0;
	a->want_run = 0;
	a->waiting_drain = 0;
}

/* The loop side of the worker: results, and the store's frontier. */
static void on_wake(struct ev_loop *loop, ev_async *w, int revents)
{
	struct spamarc *a = container_of(w, struct spamarc, wake);
	(void)loop;
	(void)revents;
	pthread_mutex_lock(&a->mu);
	int recon = a->recon_done == 1;
	if (recon)
		a->recon_done = 2;
	int res = a->result;
	struct sa_job j = a->done_job;
	int rc = a->msg_rc;
	pthread_mutex_unlock(&a->mu);
	if (recon) {
		for (size_t i = 0; i < a->n; i++) {
			struct sa_src *s = &a->src[i];
			if (s->st_have) {
				char ds[32];
				day_str(s->st_day, ds, sizeof ds);
				log_info("spamtrap: archive %s: the store has up to %s/%llu", s->name, ds,
					 (unsigned long long)s->st_n);
				/* days are mined in order: those before the store's last are done
				 * (a crash lost the cursor, or it was removed) */
				if (s->done == INT64_MIN || s->done < s->st_day - 1)
					s->done = s->st_day - 1;
			}
		}
		if (a->want_run) {
			a->want_run = 0;
			start_round(a);
		}
	}
	if (res) {
		struct sa_src *s = &a->src[j.src];
		char name[48], ds[32];
		day_str(j.day, ds, sizeof ds);
		snprintf(name, sizeof name, "%s/%llu", ds, (unsigned long long)j.n);
		if (rc < 0) {
			s->malformed++;
			if (a->logged_bad++ < SA_LOG_BAD)
				log_warnx("spamtrap: archive %s %s message %llu: malformed: %s (skipped)",
					  s->name, ds, (unsigned long long)j.n,
					  a->msg->bad ? mail_bad_name(a->msg->bad) : strerror(ENOMEM));
		} else {
			a->sink(a->sink_arg, a->msg, s->name, name, j.total);
			s->mined++;
			s->bytes += j.total;
			if (a->running && j.src == a->cur && j.day == a->day)
				a->mined_day++;
		}
		if (j.src == a->cur && j.day == a->day && j.n + 1 > a->taken_n)
			a->taken_n = j.n + 1;
		pthread_mutex_lock(&a->mu);
		a->result = 0;
		pthread_cond_broadcast(&a->cv);
		pthread_mutex_unlock(&a->mu);
	}
	if (a->waiting_drain && drained(a))
		day_end(a);
}

/* ---- life ------------------------------------------------------------------------------------ */

/* What spamarc_new made before its loop parts: the sources' strings, the
   message buffer, the lock; then a itself. */
static void sa_free(struct spamarc *a)
{
	for (size_t i = 0; i < a->n; i++) {
		free(a->src[i].url);
		free(a->src[i].ca_file);
	}
	free(a->msg);
	pthread_mutex_destroy(&a->mu);
	pthread_cond_destroy(&a->cv);
	free(a);
}

struct spamarc *spamarc_new(struct module *m, const struct mail_opts *opts, spamarc_sink_fn sink,
			    void *sink_arg)
{
	size_t ns = 0;
	for (const struct conf_node *n = m->sec ? m->sec->child : NULL; n; n = n->next)
		ns += !strcmp(n->key, "archive") && n->section;
	errno = 0;
	if (!ns)
		return NULL;
	struct spamarc *a = calloc(1, sizeof *a);
	if (!a)
		return NULL;
	a->m = m;
	a->opts = opts;
	a->sink = sink;
	a->sink_arg = sink_arg;
	snprintf(a->store_dir, sizeof a->store_dir, "%s", m->d->conf.store_dir);
	snprintf(a->state_dir, sizeof a->state_dir, "%s/state", m->d->conf.store_dir);
	pthread_mutex_init(&a->mu, NULL);
	pthread_cond_init(&a->cv, NULL);
	fifo_init(&a->q);
	ev_async_init(&a->wake, on_wake);
	ev_timer_init(&a->resume, on_resume, 0., 0.);
	a->msg = malloc(sizeof *a->msg);
	if (!a->msg)
		goto out_free;
	for (const struct conf_node *sec = m->sec->child; sec && a->n < SA_MAX; sec = sec->next) {
		if (strcmp(sec->key, "archive") || !sec->section)
			continue;
		struct sa_src *s = &a->src[a->n++];
		struct sa_conf sc;
		char err[256];
		if (sa_read(&m->d->conf, sec, &sc, err, sizeof err) < 0) {
			log_warnx("spamtrap: %s", err);
			goto out_free;
		}
		snprintf(s->name, sizeof s->name, "%s", sec->argv[0]);
		s->url = strdup(sc.f.url);
		s->ca_file = sc.f.ca_file ? strdup(sc.f.ca_file) : NULL;
		if (!s->url || (sc.f.ca_file && !s->ca_file))
			goto out_free;
		s->fmt = sc.fmt;
		s->catchup = sc.catchup;
		s->insecure = sc.f.insecure;
		s->timeout = clock_us_to_s(sc.f.timeout_us);
		s->max_bytes = sc.f.max_size;
		if (s->insecure)
			log_warnx("spamtrap: archive %s: insecure yes: the server's certificate is NOT checked",
				  s->name);
		cursor_load(a, s);
	}
	sched_task_init(&a->task, "spamtrap-archive", sa_run, a);
	a->task.cancel = sa_cancel;
	sched_on(&a->task, SCHED_EV_BLACKLIST_ROUND);
	char err[256];
	/* the module's backoff-min / backoff-max apply to failed rounds */
	struct sched_task tmp;
	sched_task_init(&tmp, "x", NULL, NULL);
	if (module_sched_conf(&m->d->conf, m->sec, &tmp, 0, err, sizeof err) == 0)
		sched_backoff(&a->task, tmp.backoff_min_us, tmp.backoff_max_us);
	const struct module_ops *bl = module_find("blacklist");
	const struct conf_node *bls = conf_module(&m->d->conf, "blacklist");
	if (!bl || !module_enabled(&m->d->conf, bl) || !conf_get(bls, "source")) {
		/* no blacklist round to follow: a round of its own every 6 h */
		sched_every(&a->task, 6 * 3600 * 1000000LL, 5 * 1000000LL);
		log_info("spamtrap: archives: no blacklist module to follow: a round every 6 h");
	}
	a->res = fetch_resolver_new(m->d->loop, 4, 16, "spamtrap: archives");
	return a;
out_free:
	sa_free(a);
	errno = ENOMEM;
	return NULL;
}

int spamarc_start(struct spamarc *a)
{
	ev_async_start(a->m->d->loop, &a->wake);
	if (pthread_create(&a->thr, NULL, worker, a) != 0) {
		log_warnx("spamtrap: archives: cannot start the worker thread");
		return -1;
	}
	a->thr_up = 1;
	for (size_t i = 0; i < a->n; i++)
		log_info("spamtrap: archive %s: %s (catch-up %lld days)", a->src[i].name, a->src[i].url,
			 (long long)a->src[i].catchup);
	return sched_add(&a->m->d->sched, &a->task);
}

void spamarc_free(struct spamarc *a)
{
	if (!a)
		return;
	if (a->task.s)
		sched_del(&a->task);	/* cancels a round in flight (sa_cancel) */
	if (a->thr_up) {
		pthread_mutex_lock(&a->mu);
		a->stop = 1;
		pthread_cond_broadcast(&a->cv);
		pthread_mutex_unlock(&a->mu);
		pthread_join(a->thr, NULL);
		/* a result not taken yet is taken now: it was mined */
		if (a->result) {
			struct sa_src *s = &a->src[a->done_job.src];
			char name[48], ds[32];
			day_str(a->done_job.day, ds, sizeof ds);
			snprintf(name, sizeof name, "%s/%llu", ds, (unsigned long long)a->done_job.n);
			if (a->msg_rc == 0)
				a->sink(a->sink_arg, a->msg, s->name, name, a->done_job.total);
			/* the open day (sa_cancel) resumes after it */
			if (s->open_day == a->done_job.day && s->open_n < a->done_job.n + 1)
				s->open_n = a->done_job.n + 1;
		}
		/* messages still queued were not mined: the open day resumes at the first */
		for (size_t i = 0; i < a->n; i++)
			cursor_save(a, &a->src[i]);
	}
	for (struct link *l; (l = fifo_pop(&a->q));) {
		struct sa_job *q = container_of(l, struct sa_job, link);
		free(q->buf);
		free(q);
	}
	free(a->mb);
	ev_async_stop(a->m->d->loop, &a->wake);
	ev_timer_stop(a->m->d->loop, &a->resume);
	if (a->res)
		resolver_free(a->res);
	sa_free(a);
}

void spamarc_stats(struct spamarc *a, module_emit_fn emit, void *ctx)
{
	uint64_t days = 0, s404 = 0, broken = 0, mined = 0, bad = 0, bytes = 0, fetches = 0, fails = 0;
	for (size_t i = 0; i < a->n; i++) {
		const struct sa_src *s = &a->src[i];
		days += s->days, s404 += s->skipped_404, broken += s->broken, mined += s->mined;
		bad += s->malformed, bytes += s->bytes, fetches += s->fetches, fails += s->failures;
	}
	emit(ctx, "archives", a->n);
	emit(ctx, "archive_fetches", fetches);
	emit(ctx, "archive_failures", fails);
	emit(ctx, "archive_days", days);
	emit(ctx, "archive_days_404", s404);
	emit(ctx, "archive_broken", broken);
	emit(ctx, "archive_mined", mined);
	emit(ctx, "archive_malformed", bad);
	emit(ctx, "archive_bytes", bytes);
	emit(ctx, "archive_lag_stops", a->lag_stops);
}
