/*
 * writer: a thread that owns the store's segment writer (writer.h).
 *
 * Invariants: only the writer thread touches `sw` once the thread runs
 * (before, writer_new and writer_close use it while no thread exists).
 * Records move loop list -> (lock) -> thread list -> seg_writer_append
 * -> free; `queued` counts both lists and is changed under the lock, so
 * the bound holds whatever the threads do.  The thread sleeps on a
 * condition variable with a timeout short enough for the fsync interval
 * when something is unsynced, and one second otherwise (segment age).
 */
#include <errno.h>
#include <pthread.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "list.h"
#include "log.h"
#include "writer.h"

struct wrec {
	struct rec r;		/* first: a struct rec * to it is the allocation */
	struct link link;	/* on a queue */
	/* then the bytes r points to */
};

struct writer {
	struct seg_writer *sw;
	pthread_t thread;
	int started;
	pthread_mutex_t mu;
	pthread_cond_t cv;

	/* Loop side (loop thread only). */
	struct fifo local;	/* put since the last kick */
	int dropping;		/* logged the start of a run of drops */
	uint64_t dropped_at_log;

	/* Shared, under mu. */
	struct fifo q;		/* for the writer thread */
	uint64_t queued;	/* both lists */
	int stop, seal_req;
	struct writer_stats st;
	uint32_t sync_ms;

	void (*notify)(void *);
	void *notify_arg;
	int trace;

	/* A fault episode (writer thread only; st.disk_error is its errno). */
	uint32_t report_ms;	/* a summary while it lasts, at most this often */
	uint64_t lost_before;	/* st.lost when it began */
	uint64_t durable_at_err;	/* st.seg.durable at the last refusal */
	int64_t last_err_mono;	/* the last refusal */
	int64_t reported_mono;	/* the last line about it */
};

#define WRITER_REPORT_MS 60000	/* default summary interval of a lasting fault */
#define WRITER_CLEAR_MS 1000	/* quiet this long, with data made durable, to call it over */

/* ---- copying records ----------------------------------------------------- */

struct part {
	const void **pp;	/* where the pointer lives in the copy */
	const void *src;
	size_t len;
};

static int rec_parts(struct rec *r, struct part *p, int *n)
{
	*n = 0;
#define PART(field, length)                                                        \
	do {                                                                       \
		p[*n] = (struct part){(const void **)&(field), (field), (length)}; \
		(*n)++;                                                            \
	} while (0)
	switch (r->type) {
	case REC_DNS:
		PART(r->u.dns.name, r->u.dns.name_len);
		PART(r->u.dns.a4, (size_t)r->u.dns.n_a4 * 4);
		PART(r->u.dns.a6, (size_t)r->u.dns.n_a6 * 16);
		PART(r->u.dns.names, r->u.dns.names_len);
		break;
	case REC_ENRICH:
		PART(r->u.enrich.as_name, r->u.enrich.as_name_len);
		PART(r->u.enrich.ptr, r->u.enrich.ptr_len);
		break;
	case REC_SCORE:
		PART(r->u.score.name, r->u.score.name_len);
		break;
	case REC_EVENT:
		PART(r->u.event.text, r->u.event.text_len);
		break;
	case REC_FEED:
		PART(r->u.feed.source, r->u.feed.source_len);
		PART(r->u.feed.value, r->u.feed.value_len);
		PART(r->u.feed.host, r->u.feed.host_len);
		PART(r->u.feed.etag, r->u.feed.etag_len);
		PART(r->u.feed.last_modified, r->u.feed.last_modified_len);
		PART(r->u.feed.error, r->u.feed.error_len);
		break;
	case REC_SPAM:
		PART(r->u.spam.digest, 32);
		PART(r->u.spam.source, r->u.spam.source_len);
		if (r->u.spam.op != REC_SPAM_EXTRACT)
			break;
		PART(r->u.spam.subject, r->u.spam.subject_len);
		PART(r->u.spam.from, r->u.spam.from_len);
		PART(r->u.spam.reply, r->u.spam.reply_len);
		PART(r->u.spam.rpath, r->u.spam.rpath_len);
		PART(r->u.spam.msgid, r->u.spam.msgid_len);
		PART(r->u.spam.hosts, r->u.spam.hosts_len);
		PART(r->u.spam.urls, r->u.spam.urls_len);
		PART(r->u.spam.att, r->u.spam.att_len);
		PART(r->u.spam.name, r->u.spam.name_len);
		break;
	case REC_SEAL:
		break;
	default:
		if (r->type == 0)
			return -1;
		PART(r->u.raw.p, r->u.raw.len);
		break;
	}
#undef PART
	for (int i = 0; i < *n; i++)
		if (p[i].len > REC_MAX_PAYLOAD || (p[i].len && !p[i].src))
			return -1;
	return 0;
}

static struct wrec *wrec_dup(const struct rec *src)
{
	struct part parts[12];	/* the most pointers of a type: REC_SPAM's 11 */
	struct rec tmp = *src;
	size_t total = 0;
	int n;

	if (rec_parts(&tmp, parts, &n) < 0) {
		errno = EINVAL;
		return NULL;
	}
	for (int i = 0; i < n; i++)
		total += parts[i].len + 1;	/* +1: names stay NUL-terminated */
	struct wrec *w = malloc(sizeof *w + total);
	if (!w)
		return NULL;
	w->r = *src;
	rec_parts(&w->r, parts, &n);	/* now pointing at the copy's fields */
	uint8_t *data = (uint8_t *)(w + 1);
	for (int i = 0; i < n; i++) {
		if (parts[i].len)
			memcpy(data, parts[i].src, parts[i].len);
		data[parts[i].len] = 0;
		*parts[i].pp = parts[i].src ? data : NULL;	/* absent stays absent */
		data += parts[i].len + 1;
	}
	return w;
}

struct rec *writer_rec_dup(const struct rec *r)
{
	struct wrec *w = wrec_dup(r);
	return w ? &w->r : NULL;
}

static void free_list(struct fifo *list)
{
	struct link *l;
	while ((l = fifo_pop(list)))
		free(container_of(l, struct wrec, link));
}

/* ---- the thread -------------------------------------------------------------- */

static void notify(struct writer *w)
{
	if (w->notify)
		w->notify(w->notify_arg);
}

/* Append one list, account under the lock; returns the records refused. */
static uint64_t write_list(struct writer *w, struct fifo *list, int *err)
{
	uint64_t stored = 0, lost = 0, n = list->n;

	fifo_each(l, list) {
		struct wrec *r = container_of(l, struct wrec, link);
		if (seg_writer_append(w->sw, &r->r) == 0) {
			stored++;
		} else {
			lost++;
			*err = errno ? errno : EIO;
		}
	}
	free_list(list);
	pthread_mutex_lock(&w->mu);
	w->queued -= n;
	w->st.stored += stored;
	w->st.lost += lost;
	pthread_mutex_unlock(&w->mu);
	if (lost)
		log_trace(w->trace, "writer: %llu records refused", (unsigned long long)lost);
	return lost;
}

/*
 * The store's state after one pass; err is this pass's refusal (0: none),
 * cycle_lost the records it refused.  A fault is said once when it
 * begins, summarised at most every report_ms while it lasts, and said
 * over only when data was made durable again and nothing was refused for
 * WRITER_CLEAR_MS: a full disk that takes a record now and then (the tail
 * of a page) is one fault, not a flapping one.  The counts in the lines
 * are the ones status shows (lost) and the daemon's note repeats.
 */
static void disk_state(struct writer *w, int err, uint64_t cycle_lost)
{
	int64_t now = clock_mono_us();
	int began = 0, ended = 0, report = 0, code;
	uint64_t lost, episode;

	pthread_mutex_lock(&w->mu);
	seg_writer_stats(w->sw, &w->st.seg);
	int was = w->st.disk_error;
	if (err) {
		if (!was) {
			began = 1;
			w->lost_before = w->st.lost - cycle_lost;
			w->reported_mono = now;
		}
		w->st.disk_error = err;
		w->last_err_mono = now;
		w->durable_at_err = w->st.seg.durable;
	} else if (was && w->st.seg.durable > w->durable_at_err &&
		   now - w->last_err_mono >= WRITER_CLEAR_MS * 1000LL) {
		ended = 1;
		w->st.disk_error = 0;
		w->st.episodes++;
		w->st.episode_lost = w->st.lost - w->lost_before;
		w->st.episode_err = was;
		w->st.episode_total = w->st.lost;
	}
	if (w->st.disk_error && !began && now - w->reported_mono >= w->report_ms * 1000LL) {
		report = 1;
		w->reported_mono = now;
	}
	code = w->st.disk_error ? w->st.disk_error : was;
	lost = w->st.lost;
	episode = w->st.lost - w->lost_before;
	pthread_mutex_unlock(&w->mu);
	if (began) {
		log_warnx("writer: %s: %s: records are being lost until it clears (a summary "
			  "every %us)", seg_writer_dir(w->sw), strerror(code), w->report_ms / 1000);
		notify(w);
	} else if (report) {
		log_warnx("writer: %s: still %s: %llu records lost since it began, %llu in all",
			  seg_writer_dir(w->sw), strerror(code), (unsigned long long)episode,
			  (unsigned long long)lost);
	} else if (ended) {
		log_warnx("writer: %s: writing again after %s: %llu records lost while it lasted, "
			  "%llu in all", seg_writer_dir(w->sw), strerror(code),
			  (unsigned long long)episode, (unsigned long long)lost);
		notify(w);
	}
}

static void *thread_main(void *arg)
{
	struct writer *w = arg;
#ifdef __linux__
	/*
	 * The disk work yields to the loop: on a one- or two-core router an
	 * index build at nice 0 competes with the loop for the CPU (measured:
	 * worst loop stall 4.2-4.6 ms at nice 0, 2.9-3.4 ms at nice 10, all on
	 * one core).  Linux nice values are per thread.
	 */
	(void)setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 10);
#endif
	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (fifo_empty(&w->q) && !w->stop && !w->seal_req) {
			struct timespec ts;
			/* the condvar's clock: monotonic, so a clock stepped back at NTP
			 * sync does not hold the timed fsync back by the step */
			clock_gettime(CLOCK_MONOTONIC, &ts);
			long ms = (w->st.seg.appended > w->st.seg.durable) ? w->sync_ms : 1000;
			if (ms > 1000)
				ms = 1000;
			if (ms < 10)
				ms = 10;
			ts.tv_nsec += ms * 1000000L;
			ts.tv_sec += ts.tv_nsec / 1000000000L;
			ts.tv_nsec %= 1000000000L;
			if (pthread_cond_timedwait(&w->cv, &w->mu, &ts) == ETIMEDOUT)
				break;
		}
		struct fifo list;
		fifo_take(&list, &w->q);
		int stop = w->stop, seal_req = w->seal_req;
		w->seal_req = 0;
		pthread_mutex_unlock(&w->mu);

		int err = 0;
		uint64_t cycle_lost = 0;
		if (!fifo_empty(&list))
			cycle_lost = write_list(w, &list, &err);
		if (stop)
			break;
		errno = 0;
		int rc = seal_req ? seg_writer_seal(w->sw) : seg_writer_tick(w->sw);
		if (rc < 0 && !err)
			err = errno ? errno : EIO;
		disk_state(w, err, cycle_lost);
		pthread_mutex_lock(&w->mu);
	}
	return NULL;
}

/* ---- the loop side ------------------------------------------------------------ */

struct writer *writer_new(const char *store_dir, const char *sensor, const struct seg_policy *pol,
			  uint32_t max_queue, char *err, size_t errlen)
{
	struct writer *w = calloc(1, sizeof *w);
	if (!w) {
		snprintf(err, errlen, "writer: out of memory");
		return NULL;
	}
	w->sw = seg_writer_new(store_dir, sensor, pol, err, errlen);
	if (!w->sw) {
		free(w);
		return NULL;
	}
	/* a store that takes no data now is refused now, not record by record */
	if (seg_writer_begin(w->sw) < 0) {
		int e = errno;
		snprintf(err, errlen, "%s/log: cannot write a segment: %s", store_dir, strerror(e));
		seg_writer_free(w->sw);
		free(w);
		errno = e;
		return NULL;
	}
	w->report_ms = WRITER_REPORT_MS;
	pthread_mutex_init(&w->mu, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&w->cv, &ca);
	pthread_condattr_destroy(&ca);
	fifo_init(&w->local);
	fifo_init(&w->q);
	w->st.max_queue = max_queue ? max_queue : 4096;
	w->sync_ms = pol && pol->sync_every_ms ? pol->sync_every_ms : 1000;
	seg_writer_stats(w->sw, &w->st.seg);
	w->trace = log_trace_id("writer");
	return w;
}

int writer_start(struct writer *w)
{
	int e = pthread_create(&w->thread, NULL, thread_main, w);
	if (e) {
		errno = e;
		return -1;
	}
	w->started = 1;
	return 0;
}

void writer_set_report(struct writer *w, uint32_t ms)
{
	w->report_ms = ms ? ms : WRITER_REPORT_MS;
}

void writer_set_notify(struct writer *w, void (*fn)(void *), void *arg)
{
	w->notify = fn;
	w->notify_arg = arg;
}

int writer_put(struct writer *w, const struct rec *r)
{
	pthread_mutex_lock(&w->mu);
	int full = w->queued >= w->st.max_queue;
	if (full)
		w->st.dropped++;
	else
		w->queued++;
	uint64_t dropped = w->st.dropped;
	pthread_mutex_unlock(&w->mu);
	if (full) {
		if (!w->dropping) {
			w->dropping = 1;
			log_warnx("writer: queue full (%u records): dropping records",
				  w->st.max_queue);
		}
		errno = ENOBUFS;
		return -1;
	}
	if (w->dropping) {
		w->dropping = 0;
		log_warnx("writer: queue has room again; %llu records dropped in all",
			  (unsigned long long)dropped);
	}
	struct wrec *c = wrec_dup(r);
	if (!c) {
		int e = errno;
		pthread_mutex_lock(&w->mu);
		w->queued--;
		w->st.dropped++;
		pthread_mutex_unlock(&w->mu);
		errno = e;
		return -1;
	}
	fifo_push(&w->local, &c->link);
	pthread_mutex_lock(&w->mu);
	w->st.accepted++;
	pthread_mutex_unlock(&w->mu);
	return 0;
}

void writer_kick(struct writer *w)
{
	if (fifo_empty(&w->local))
		return;
	pthread_mutex_lock(&w->mu);
	fifo_splice(&w->q, &w->local);
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

static void request(struct writer *w, int *flag)
{
	writer_kick(w);
	pthread_mutex_lock(&w->mu);
	*flag = 1;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

void writer_seal(struct writer *w)
{
	request(w, &w->seal_req);
}

void writer_stats(struct writer *w, struct writer_stats *st)
{
	pthread_mutex_lock(&w->mu);
	*st = w->st;
	st->queued = w->queued;
	if (!w->started)
		seg_writer_stats(w->sw, &st->seg);
	pthread_mutex_unlock(&w->mu);
}

int writer_close(struct writer *w)
{
	int rc;
	if (!w)
		return 0;
	if (w->started) {
		request(w, &w->stop);
		pthread_join(w->thread, NULL);
	} else {
		/* Never started: write what was put on this thread. */
		writer_kick(w);
		struct fifo list;
		fifo_take(&list, &w->q);
		int err = 0;
		write_list(w, &list, &err);
	}
	uint64_t lost = w->st.lost, dropped = w->st.dropped;
	int faulty = w->st.disk_error;
	rc = seg_writer_close(w->sw);
	if (rc < 0)
		log_warn("writer: closing the store");
	else if (faulty) {
		/* the last records were refused and nothing was written since */
		log_warnx("writer: the store was refusing records until the end (%s)",
			  strerror(faulty));
		rc = -1;
	}
	if (lost || dropped)
		log_warnx("writer: %llu records dropped (queue full), %llu lost (store refused)",
			  (unsigned long long)dropped, (unsigned long long)lost);
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cv);
	free(w);
	return rc;
}
