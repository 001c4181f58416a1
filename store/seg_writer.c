/*
 * seg_writer: the segment writer and its crash recovery (seg_writer.h).
 *
 * Writer invariants:
 *  - file_size is the offset of the end of the last whole frame handed to
 *    the kernel; a failed or short write is cut back to it with ftruncate,
 *    so a full disk never leaves a partial frame behind a good one;
 *  - records are acknowledged durable (stats.durable) only after fdatasync
 *    of the segment and, for a new segment, fsync of its directory;
 *  - a segment with a REC_SEAL frame is never opened for writing again.
 * Recovery (seg_writer_new) cuts an unsealed segment back to the end of
 * its last frame that checks, seals it and indexes it.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "errmsg.h"
#include "modes.h"
#include "buf.h"
#include "clock.h"
#include "crc32c.h"
#include "index.h"
#include "seg.h"
#include "seg_writer.h"
#include "store.h"
#include "tip_config.h"

#define DEF_MAX_BYTES (16u << 20)
#define DEF_MAX_AGE_S 3600
#define DEF_SYNC_MS 1000
#define DEF_BUF (64u << 10)

struct seg_writer {
	char dir[PATH_MAX];
	struct seg_policy pol;
	int fd;				/* active segment, -1 none */
	char name[SEG_NAME_MAX];
	uint32_t seq;			/* of the active segment, or the last one */
	int64_t base_us;
	int64_t opened_mono;
	uint64_t file_size;
	uint64_t seg_records;		/* in the active segment, buffered included */
	uint8_t *buf;
	size_t buf_len;
	uint64_t buf_records;
	int64_t buf_since;		/* monotonic time of the oldest buffered record */
	uint64_t unsynced;		/* records written but not synced */
	int64_t unsynced_since;		/* monotonic time of the oldest, 0 none */
	struct seg_writer_stats st;
};

/* ---- writer ----------------------------------------------------------- */

static int fsync_dir(const char *dir)
{
	if (!ENABLE_STORE_FSYNC)
		return 0;
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int rc = fsync(fd);
	close(fd);
	return rc;
}

static int data_sync(const struct seg_writer *w, int fd)
{
	if (!ENABLE_STORE_FSYNC || w->pol.no_fsync)
		return 0;
	return fdatasync(fd);
}

static void log_dir(const struct seg_writer *w, char *out, size_t cap)
{
	snprintf(out, cap, "%s/log", w->dir);
}

static void seg_path(const struct seg_writer *w, char *out, size_t cap, const char *ext)
{
	store_seg_path(out, cap, w->dir, w->name, ext);
}

/* write(2) all of p, or cut the file back to where it was and fail. */
static int write_all(struct seg_writer *w, const uint8_t *p, size_t n)
{
	size_t done = 0;
	while (done < n) {
		ssize_t k = write(w->fd, p + done, n - done);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			int e = k < 0 ? errno : ENOSPC;
			if (ftruncate(w->fd, (off_t)w->file_size) < 0 ||
			    lseek(w->fd, (off_t)w->file_size, SEEK_SET) < 0) {
				/* cannot even cut back: stop writing this file */
			}
			w->st.write_errors++;
			errno = e;
			return -1;
		}
		done += (size_t)k;
	}
	w->file_size += n;
	w->st.bytes += n;
	return 0;
}

static int open_segment(struct seg_writer *w)
{
	char path[PATH_MAX + 80], ld[PATH_MAX + 8];
	uint8_t h[SEG_HDR_SIZE];
	struct buf_wr b;
	uint32_t seq = w->seq + 1;
	int64_t now = clock_now_us();

	seg_name_make(w->name, sizeof w->name, seq, now);
	seg_path(w, path, sizeof path, "tlog");
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, STORE_FILE_MODE);
	if (fd < 0)
		return -1;
	buf_wr_init(&b, h, sizeof h);
	buf_put_bytes(&b, SEG_MAGIC, 8);
	buf_put_le16(&b, SEG_VERSION);
	buf_put_le16(&b, SEG_HDR_SIZE);
	buf_put_le32(&b, clock_is_set() ? 0 : SEG_F_CLOCK_UNSET);
	buf_put_le32(&b, seq);
	buf_put_le64(&b, (uint64_t)now);
	buf_put_le32(&b, crc32c(0, h, SEG_HDR_SIZE - 4));
	w->fd = fd;
	w->file_size = 0;
	if (write_all(w, h, sizeof h) < 0 || data_sync(w, fd) < 0)
		goto fail;
	log_dir(w, ld, sizeof ld);
	if (fsync_dir(ld) < 0)
		goto fail;
	w->seq = seq;
	w->base_us = now;
	w->st.durable_bytes = w->file_size;
	w->opened_mono = clock_mono_us();
	w->seg_records = 0;
	return 0;
fail:;
	int e = errno;
	close(fd);
	unlink(path);
	w->fd = -1;
	errno = e;
	return -1;
}

int seg_writer_flush(struct seg_writer *w)
{
	if (!w->buf_len)
		return 0;
	if (w->fd < 0) {
		errno = EBADF;
		return -1;
	}
	if (write_all(w, w->buf, w->buf_len) < 0)
		return -1;
	if (!w->unsynced)
		w->unsynced_since = w->buf_since;
	w->unsynced += w->buf_records;
	w->st.written += w->buf_records;
	w->buf_len = 0;
	w->buf_records = 0;
	return 0;
}

int seg_writer_sync(struct seg_writer *w)
{
	if (seg_writer_flush(w) < 0)
		return -1;
	if (w->fd >= 0 && w->unsynced && data_sync(w, w->fd) < 0) {
		w->st.write_errors++;
		return -1;
	}
	w->st.durable = w->st.written;
	w->st.durable_bytes = w->file_size;
	w->unsynced = 0;
	w->unsynced_since = 0;
	return 0;
}

/* Append a seal frame to fd (at file_size) and make it durable. */
static int write_seal(struct seg_writer *w, uint64_t records)
{
	uint8_t f[64];
	struct rec s = {.type = REC_SEAL};
	rec_stamp(&s);
	s.u.seal.records = records;
	s.u.seal.bytes = w->file_size;
	long n = rec_encode(f, sizeof f, &s, w->base_us);
	if (n < 0 || write_all(w, f, (size_t)n) < 0)
		return -1;
	if (data_sync(w, w->fd) < 0) {
		w->st.write_errors++;
		return -1;
	}
	return 0;
}

static void build_index(struct seg_writer *w)
{
	char sp[PATH_MAX + 80], cp[PATH_MAX + 80];
	if (w->pol.no_index)
		return;
	seg_path(w, sp, sizeof sp, "tlog");
	seg_path(w, cp, sizeof cp, "cdb");
	/* A failed index (disk full) leaves the segment sealed and readable
	 * by scan; `tip verify` reports it and the next recovery rebuilds it. */
	if (index_build(sp, cp, NULL, NULL, 0) < 0)
		w->st.write_errors++;
}

int seg_writer_seal(struct seg_writer *w)
{
	if (w->fd < 0)
		return 0;
	if (seg_writer_sync(w) < 0)
		return -1;
	if (write_seal(w, w->seg_records) < 0)
		return -1;
	close(w->fd);
	w->fd = -1;
	w->st.durable = w->st.written;
	w->st.segments++;
	build_index(w);
	if (w->pol.quota_bytes) {
		int n = store_retention(w->dir, w->pol.quota_bytes);
		if (n > 0)
			w->st.removed += (uint64_t)n;
	}
	return 0;
}

int seg_writer_begin(struct seg_writer *w)
{
	return w->fd >= 0 ? 0 : open_segment(w);
}

int seg_writer_append(struct seg_writer *w, const struct rec *r)
{
	long n;
	if (w->fd < 0 && open_segment(w) < 0)
		return -1;
	n = rec_encode(w->buf + w->buf_len, w->pol.buf_bytes - w->buf_len, r, w->base_us);
	if (n < 0 && errno == ENOBUFS) {
		if (seg_writer_flush(w) < 0)
			return -1;	/* the buffer is full and the disk refuses */
		n = rec_encode(w->buf, w->pol.buf_bytes, r, w->base_us);
		if (n < 0 && errno == ENOBUFS) {
			/* a record larger than the buffer: write it alone */
			size_t cap = REC_FRAME_HDR + REC_MAX_PAYLOAD;
			uint8_t *big = malloc(cap);
			if (!big)
				return -1;
			n = rec_encode(big, cap, r, w->base_us);
			int rc = n < 0 ? -1 : write_all(w, big, (size_t)n);
			free(big);
			if (rc < 0)
				return -1;
			if (!w->unsynced)
				w->unsynced_since = clock_mono_us();
			w->unsynced++;
			w->st.written++;
			goto taken;
		}
	}
	if (n < 0)
		return -1;
	if (!w->buf_records)
		w->buf_since = clock_mono_us();
	w->buf_len += (size_t)n;
	w->buf_records++;
taken:
	w->seg_records++;
	w->st.appended++;
	if (w->pol.sync_every_n && w->unsynced + w->buf_records >= w->pol.sync_every_n)
		(void)seg_writer_sync(w);	/* a failure is retried at the next call */
	if (w->file_size + w->buf_len >= w->pol.max_bytes)
		(void)seg_writer_seal(w);
	return 0;
}

int seg_writer_tick(struct seg_writer *w)
{
	int64_t now = clock_mono_us();
	int rc = 0;
	if (w->fd < 0)
		return 0;
	if ((w->buf_records || w->unsynced) && w->pol.sync_every_ms) {
		int64_t since = w->unsynced ? w->unsynced_since : w->buf_since;
		if (w->buf_records && w->buf_since < since)
			since = w->buf_since;
		if (now - since >= (int64_t)w->pol.sync_every_ms * 1000)
			rc = seg_writer_sync(w);
	}
	if (w->seg_records && now - w->opened_mono >= (int64_t)w->pol.max_age_s * 1000000)
		rc |= seg_writer_seal(w);
	return rc;
}

void seg_writer_stats(const struct seg_writer *w, struct seg_writer_stats *st)
{
	*st = w->st;
	st->seq = w->fd >= 0 ? w->seq : 0;
}

const char *seg_writer_dir(const struct seg_writer *w)
{
	return w->dir;
}

/*
 * Recover one unsealed segment: keep every frame that checks (skipping
 * damage by resync), cut the file after the last one, seal it.
 */
static int recover_segment(struct seg_writer *w, const struct store_seg *s, char *err, size_t errlen)
{
	char path[PATH_MAX + 80];
	struct seg_reader r;
	struct rec rec;
	uint64_t records = 0;
	size_t end = SEG_HDR_SIZE;
	int faults = 0;

	store_seg_path(path, sizeof path, w->dir, s->name, "tlog");
	if (seg_reader_open(&r, path) < 0) {
		if (s->size < SEG_HDR_SIZE) {
			/* created, header never completed: holds no record */
			return unlink(path);
		}
		if (errno != EINVAL) {
			/*
			 * The file could not be read (EIO, ENOSPC, EMFILE, ...):
			 * not damage.  Setting it aside would hide the records it
			 * holds; fail, and the next start tries again.
			 */
			errmsg_say(err, errlen, "%s: cannot open to recover: %s", path, strerror(errno));
			return -1;
		}
		/*
		 * A damaged header (EINVAL): a torn creation or bit rot.  Its bytes are
		 * kept, renamed out of the sequence (verify lists it as a
		 * foreign file), so it neither blocks the writer nor is lost.
		 */
		char aside[PATH_MAX + 96];
		snprintf(aside, sizeof aside, "%s.damaged", path);
		return rename(path, aside);
	}
	for (;;) {
		int c = seg_reader_next(&r, &rec, NULL);
		if (c > 0) {
			records++;
			end = r.off;
			continue;
		}
		if (c == 0)
			break;
		faults++;
		if (!seg_reader_resync(&r))
			break;
	}
	/* sealed, but killed before the index was published */
	int already_sealed = r.sealed && !faults;
	int64_t base_us = r.hdr.base_us;
	seg_reader_close(&r);
	snprintf(w->name, sizeof w->name, "%s", s->name);
	if (!already_sealed) {
		w->fd = open(path, O_WRONLY | O_CLOEXEC);
		if (w->fd < 0 || ftruncate(w->fd, (off_t)end) < 0 ||
		    lseek(w->fd, (off_t)end, SEEK_SET) < 0) {
			errmsg_say(err, errlen, "%s: cannot recover: %s", path, strerror(errno));
			goto fail;
		}
		w->file_size = end;
		w->base_us = base_us;
		if (write_seal(w, records) < 0) {
			errmsg_say(err, errlen, "%s: cannot seal: %s", path, strerror(errno));
			goto fail;
		}
		close(w->fd);
		w->fd = -1;
	}
	build_index(w);
	return 0;
fail:
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
	return -1;
}

struct seg_writer *seg_writer_new(const char *store_dir, const char *sensor,
				  const struct seg_policy *policy, char *err, size_t errlen)
{
	struct store_listing ls;
	struct seg_writer *w = calloc(1, sizeof *w);
	if (!w) {
		errmsg_say(err, errlen, "out of memory");
		return NULL;
	}
	w->fd = -1;
	if (policy)
		w->pol = *policy;
	if (!w->pol.max_bytes)
		w->pol.max_bytes = DEF_MAX_BYTES;
	if (!w->pol.max_age_s)
		w->pol.max_age_s = DEF_MAX_AGE_S;
	if (!w->pol.sync_every_ms && !w->pol.sync_every_n)
		w->pol.sync_every_ms = DEF_SYNC_MS;
	if (!w->pol.buf_bytes)
		w->pol.buf_bytes = DEF_BUF;
	if (w->pol.buf_bytes < 256)
		w->pol.buf_bytes = 256;
	if (snprintf(w->dir, sizeof w->dir, "%s", store_dir) >= (int)sizeof w->dir) {
		errno = ENAMETOOLONG;
		errmsg_say(err, errlen, "%s: path too long", store_dir);
		goto fail;
	}
	w->buf = malloc(w->pol.buf_bytes);
	if (!w->buf) {
		errmsg_say(err, errlen, "out of memory");
		goto fail;
	}
	if (store_create(store_dir, sensor, err, errlen) < 0)
		goto fail;
	if (store_list(store_dir, &ls) < 0) {
		errmsg_say(err, errlen, "%s/log: %s", store_dir, strerror(errno));
		goto fail;
	}
	for (size_t i = 0; i < ls.n; i++) {
		if (ls.segs[i].seq > w->seq)
			w->seq = ls.segs[i].seq;
		if (!ls.segs[i].has_index && recover_segment(w, &ls.segs[i], err, errlen) < 0) {
			store_listing_free(&ls);
			goto fail;
		}
	}
	store_listing_free(&ls);
	w->name[0] = '\0';
	return w;
fail:;
	int e = errno;
	free(w->buf);
	free(w);
	errno = e;
	return NULL;
}

int seg_writer_close(struct seg_writer *w)
{
	int rc = seg_writer_seal(w);
	if (rc < 0 && w->fd >= 0)
		close(w->fd);
	free(w->buf);
	free(w);
	return rc;
}

void seg_writer_free(struct seg_writer *w)
{
	if (!w)
		return;
	if (w->fd >= 0)
		close(w->fd);
	free(w->buf);
	free(w);
}
