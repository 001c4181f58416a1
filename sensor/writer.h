/*
 * writer: the store writer, off the event loop.
 *
 * The loop copies each record it wants stored (writer_put: one malloc,
 * record and the bytes it points to) onto a private list, and hands the
 * list to the writer thread once per loop iteration (writer_kick: one
 * lock).  The thread appends through the store's segment writer, which
 * does the fsync policy, sealing, index builds and retention; the loop
 * never waits on the disk.
 *
 * Bounded: at most max_queue records wait (on the loop's list and the
 * thread's).  A record put beyond that is dropped and counted, and the
 * first drop and the recovery are logged: nothing is lost silently.  A
 * record the store refuses (disk full, I/O error) is counted as lost;
 * the thread keeps going and writes again as soon as the disk takes it.
 * Such a fault is logged once when it begins, summarised at a bounded
 * rate while it lasts, and once when it ends, with the counts status
 * shows.  writer_new opens the active segment: a store that cannot take
 * data at start is an error there.
 *
 * Threads: writer_put, writer_kick, writer_stats, writer_close are for
 * the loop thread.  The notify callback is called on the writer thread
 * when the disk state changes (full / writing again); the daemon makes it
 * an ev_async_send.
 */
#ifndef TIP_WRITER_H
#define TIP_WRITER_H

#include <stddef.h>
#include <stdint.h>

#include "rec.h"
#include "seg.h"
#include "seg_writer.h"

struct writer;

struct writer_stats {
	uint64_t queued;	/* waiting now */
	uint64_t accepted;	/* taken by writer_put */
	uint64_t dropped;	/* refused by writer_put: queue full */
	uint64_t lost;		/* refused by the store (disk full, I/O error) */
	uint64_t stored;	/* appended to the store */
	int disk_error;		/* errno of the fault while it lasts, else 0 */
	uint64_t episodes;	/* faults that began and ended */
	uint64_t episode_lost;	/* records the last ended fault lost */
	int episode_err;	/* its errno */
	uint64_t episode_total;	/* lost, in all, when it ended */
	uint32_t max_queue;
	struct seg_writer_stats seg;
};

/*
 * Open the store (recovering what a crash left) on the calling thread, so
 * start-up errors are reported at once; the thread starts later with
 * writer_start.  NULL with a message in err on failure.
 */
struct writer *writer_new(const char *store_dir, const char *sensor, const struct seg_policy *pol,
			  uint32_t max_queue, char *err, size_t errlen);
/* Start the thread.  0 or -1 (errno). */
int writer_start(struct writer *w);
void writer_set_notify(struct writer *w, void (*fn)(void *arg), void *arg);
/* How often a lasting fault is summarised in the log (0: the default, 60 s). */
void writer_set_report(struct writer *w, uint32_t ms);

/* Copy r onto the queue: 0, or -1 when dropped (ENOBUFS full, EINVAL bad record). */
int writer_put(struct writer *w, const struct rec *r);
/* Hand the loop's list to the thread (cheap when empty). */
void writer_kick(struct writer *w);
/* Ask the thread to seal the active segment (does not wait). */
void writer_seal(struct writer *w);
void writer_stats(struct writer *w, struct writer_stats *st);

/*
 * Hand over everything, let the thread write, sync and seal, join it and
 * free w.  0, or -1 when some data could not be made durable (logged).
 */
int writer_close(struct writer *w);

/* Deep copy of a record into one allocation (exposed for tests); free(). */
struct rec *writer_rec_dup(const struct rec *r);

#endif
