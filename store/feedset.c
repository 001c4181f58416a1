/*
 * feedset: a source's last list in state/, and the diff against a new one
 * (layout and memory in feedset.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "modes.h"
#include "buf.h"
#include "crc32c.h"
#include "feedset.h"

#define HDR 32
#define PAIR 12
/* the pair comparison: one function at -Os (four copies inlined cost the router's page) */
#ifdef __OPTIMIZE_SIZE__
#define PAIR_LT __attribute__((noinline))
#else
#define PAIR_LT
#endif

uint64_t feedset_hash(uint8_t kind, const char *value, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ull;
	h = (h ^ kind) * 0x100000001b3ull;
	for (size_t i = 0; i < len; i++)
		h = (h ^ (uint8_t)value[i]) * 0x100000001b3ull;
	return h;
}

int feedset_name_ok(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n > FEEDSET_SOURCE_MAX || name[0] == '.')
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

static int write_all(int fd, const void *p, size_t n)
{
	const uint8_t *b = p;
	while (n) {
		ssize_t w = write(fd, b, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

static int flush(struct feedset_build *b)
{
	if (b->wlen && write_all(b->fd, b->wbuf, b->wlen) < 0)
		return -1;
	b->wlen = 0;
	return 0;
}

static int put(struct feedset_build *b, const void *p, size_t n)
{
	if (b->wlen + n > sizeof b->wbuf && flush(b) < 0)
		return -1;
	memcpy(b->wbuf + b->wlen, p, n);
	b->wlen += n;
	return 0;
}

int feedset_build_open(struct feedset_build *b, const char *dir, const char *source)
{
	memset(b, 0, sizeof *b);
	b->fd = -1;
	if (!feedset_name_ok(source)) {
		errno = EINVAL;
		return -1;
	}
	if (mkdir(dir, STORE_DIR_MODE) < 0 && errno != EEXIST)
		return -1;
	int n = snprintf(b->path, sizeof b->path, "%s/%s.set", dir, source);
	if (n < 0 || (size_t)n + 5 > sizeof b->path) {
		errno = ENAMETOOLONG;
		return -1;
	}
	char tmp[sizeof b->path + 8];
	snprintf(tmp, sizeof tmp, "%s.tmp", b->path);
	b->fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, STORE_FILE_MODE);
	if (b->fd < 0)
		return -1;
	uint8_t h[HDR] = {0};
	if (put(b, h, HDR) < 0) {
		feedset_build_abort(b);
		return -1;
	}
	b->off = HDR;
	return 0;
}

int feedset_build_add(struct feedset_build *b, uint8_t kind, const char *value, size_t len,
		      const char *host, size_t host_len)
{
	uint8_t t[16];
	struct buf_wr w;
	if (b->sealed || len > FEEDSET_VALUE_MAX || host_len > FEEDSET_HOST_MAX ||
	    b->off > UINT32_MAX - 8192) {
		errno = b->sealed ? EINVAL : EFBIG;
		return -1;
	}
	if (b->n == b->cap) {
		size_t nc = b->cap ? b->cap * 2 : 4096;
		struct fs_pair *np = realloc(b->pairs, nc * sizeof *np);
		if (!np)
			return -1;
		b->pairs = np;
		b->cap = nc;
	}
	b->pairs[b->n].hash = feedset_hash(kind, value, len);
	b->pairs[b->n].off = (uint32_t)b->off;
	buf_wr_init(&w, t, sizeof t);
	buf_put_u8(&w, kind);
	buf_put_varint(&w, len);
	if (put(b, t, w.off) < 0 || put(b, value, len) < 0)
		return -1;
	uint8_t hl = (uint8_t)host_len;
	if (put(b, &hl, 1) < 0 || (host_len && put(b, host, host_len) < 0))
		return -1;
	b->off += w.off + len + 1 + host_len;
	b->n++;
	return 0;
}

/*
 * The pairs in (hash, offset) order, in place: quicksort (the middle pair
 * the pivot) to a depth of 2 log n, then heapsort, which also takes every
 * part of 16 pairs or fewer; the comparison inline but at -Os.  qsort's
 * was a call a comparison and its copies of 12-byte elements calls too
 * (half of a first fetch's time on glibc), and glibc's qsort sorts through
 * a copy as large as the array, which doubled the 12 bytes an entry.  The
 * offset is in the key, so no two pairs are equal and the first of equal
 * hashes comes first; past the depth no feed's hashes can make it
 * quadratic.
 */
static PAIR_LT int pair_lt(const struct fs_pair *a, const struct fs_pair *b)
{
	return a->hash != b->hash ? a->hash < b->hash : a->off < b->off;
}

static void pair_swap(struct fs_pair *a, struct fs_pair *b)
{
	struct fs_pair t = *a;
	*a = *b;
	*b = t;
}

static void pair_sift(struct fs_pair *a, size_t i, size_t n)
{
	for (size_t c; (c = 2 * i + 1) < n; i = c) {
		if (c + 1 < n && pair_lt(&a[c], &a[c + 1]))
			c++;
		if (!pair_lt(&a[i], &a[c]))
			break;
		pair_swap(&a[i], &a[c]);
	}
}

void feedset_pairs_sort(struct fs_pair *a, size_t n, unsigned depth)
{
	for (; n > 16 && depth; depth--) {
		pair_swap(&a[0], &a[n / 2]);
		size_t i = 0, j = n;
		for (;;) {
			while (++i < n && pair_lt(&a[i], &a[0]))
				;
			while (pair_lt(&a[0], &a[--j]))
				;	/* (stops at a[0] at the latest) */
			if (i >= j)
				break;
			pair_swap(&a[i], &a[j]);
		}
		pair_swap(&a[0], &a[j]);
		feedset_pairs_sort(a, j, depth - 1);
		a += j + 1;
		n -= j + 1;
	}
	for (size_t i = n / 2; i-- > 0;)
		pair_sift(a, i, n);
	for (size_t i = n; i-- > 1;) {
		pair_swap(&a[0], &a[i]);
		pair_sift(a, 0, i);
	}
}

static void pair_sort(struct fs_pair *a, size_t n)
{
	unsigned depth = 0;
	for (size_t k = n; k > 1; k >>= 1)
		depth += 2;
	feedset_pairs_sort(a, n, depth);
}

int feedset_build_seal(struct feedset_build *b)
{
	if (b->sealed) {
		errno = EINVAL;
		return -1;
	}
	pair_sort(b->pairs, b->n);
	size_t o = 0;
	for (size_t i = 0; i < b->n; i++)
		if (o == 0 || b->pairs[i].hash != b->pairs[o - 1].hash)
			b->pairs[o++] = b->pairs[i];
	b->n = o;
	uint64_t pairs_off = b->off;
	uint32_t crc = 0;
	for (size_t i = 0; i < b->n; i++) {
		uint8_t p[PAIR];
		struct buf_wr w;
		buf_wr_init(&w, p, sizeof p);
		buf_put_le64(&w, b->pairs[i].hash);
		buf_put_le32(&w, b->pairs[i].off);
		crc = crc32c(crc, p, PAIR);
		if (put(b, p, PAIR) < 0)
			return -1;
	}
	if (flush(b) < 0)
		return -1;
	uint8_t h[HDR];
	struct buf_wr w;
	buf_wr_init(&w, h, sizeof h);
	buf_put_bytes(&w, "TIPFSET1", 8);
	buf_put_le32(&w, 1);
	buf_put_le32(&w, (uint32_t)b->n);
	buf_put_le64(&w, pairs_off);
	buf_put_le32(&w, crc);
	buf_put_le32(&w, 0);
	if (pwrite(b->fd, h, HDR, 0) != HDR)
		return -1;
	b->sealed = 1;
	return 0;
}

static void build_free(struct feedset_build *b)
{
	if (b->fd >= 0)
		close(b->fd);
	b->fd = -1;
	free(b->pairs);
	b->pairs = NULL;
	b->n = b->cap = 0;
}

int feedset_build_commit(struct feedset_build *b)
{
	char tmp[sizeof b->path + 8], dir[sizeof b->path];
	int rc = -1;
	snprintf(tmp, sizeof tmp, "%s.tmp", b->path);
	if (!b->sealed || fsync(b->fd) < 0 || rename(tmp, b->path) < 0)
		goto out;
	snprintf(dir, sizeof dir, "%s", b->path);
	char *sl = strrchr(dir, '/');
	if (sl)
		*sl = 0;
	int dfd = open(sl ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	rc = 0;
out:
	if (rc < 0) {
		int e = errno;
		unlink(tmp);
		errno = e;
	}
	build_free(b);
	return rc;
}

void feedset_build_abort(struct feedset_build *b)
{
	if (b->fd >= 0) {
		char tmp[sizeof b->path + 8];
		snprintf(tmp, sizeof tmp, "%s.tmp", b->path);
		unlink(tmp);
	}
	build_free(b);
}

int feedset_open(struct feedset *s, const char *dir, const char *source)
{
	char path[4096];
	struct stat st;
	memset(s, 0, sizeof *s);
	if (!feedset_name_ok(source)) {
		errno = EINVAL;
		return -1;
	}
	snprintf(path, sizeof path, "%s/%s.set", dir, source);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -1;
	if (fstat(fd, &st) < 0 || st.st_size < HDR || (uint64_t)st.st_size > UINT32_MAX) {
		close(fd);
		errno = EBADMSG;
		return -1;
	}
	void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (m == MAP_FAILED)
		return -1;
	struct buf_rd r;
	buf_rd_init(&r, m, (size_t)st.st_size);
	const uint8_t *magic = buf_get_bytes(&r, 8);
	uint32_t ver = buf_get_le32(&r), n = buf_get_le32(&r);
	uint64_t po = buf_get_le64(&r);
	uint32_t crc = buf_get_le32(&r);
	if (!magic || memcmp(magic, "TIPFSET1", 8) || ver != 1 || po < HDR ||
	    po > (uint64_t)st.st_size || ((uint64_t)st.st_size - po) != (uint64_t)n * PAIR ||
	    crc32c(0, (const uint8_t *)m + po, (size_t)n * PAIR) != crc) {
		munmap(m, (size_t)st.st_size);
		errno = EBADMSG;
		return -1;
	}
	s->map = m;
	s->size = (size_t)st.st_size;
	s->n = n;
	s->pairs = s->map + po;
	s->blob_end = (size_t)po;
	return 1;
}

void feedset_close(struct feedset *s)
{
	if (s->map)
		munmap((void *)s->map, s->size);
	memset(s, 0, sizeof *s);
}

void feedset_diff_init(struct feedset_diff *d, const struct feedset *old, struct feedset_build *nw)
{
	memset(d, 0, sizeof *d);
	d->old = old && old->map ? old : NULL;
	d->nw = nw;
}

/* Parse one blob entry from p[0..n) into c.  0 or -1. */
static int entry(const uint8_t *p, size_t n, struct feedset_change *c)
{
	struct buf_rd r;
	buf_rd_init(&r, p, n);
	c->kind = buf_get_u8(&r);
	uint64_t l = buf_get_varint(&r);
	if (l > FEEDSET_VALUE_MAX)
		return -1;
	c->len = (size_t)l;
	c->value = (const char *)buf_get_bytes(&r, c->len);
	c->host_len = buf_get_u8(&r);
	c->host = (const char *)buf_get_bytes(&r, c->host_len);
	return r.err || c->kind < 1 || c->kind > 4 ? -1 : 0;
}

/*
 * The new set's entry at off, from the window, which is moved to off when
 * the longest entry could pass its end and the file has more.  The
 * offsets are the build's own (feedset_build_add's) and come in ascending
 * order, so a list read back whole is read once, FEEDSET_WIN bytes at a
 * time.
 */
_Static_assert(FEEDSET_WIN >= FEEDSET_ENTRY_MAX, "the window holds the longest entry");
static int new_entry(struct feedset_diff *d, uint32_t off, struct feedset_change *c)
{
	uint64_t end = d->nw->off, we = d->wo + d->wl;	/* end: the blob's, the pairs' offset */
	if (off >= we || (off + (uint64_t)FEEDSET_ENTRY_MAX > we && we < end)) {
		size_t want = end - off < sizeof d->win ? (size_t)(end - off) : sizeof d->win;
		ssize_t got = pread(d->nw->fd, d->win, want, off);
		if (got <= 0)
			return -1;
		d->wo = off;
		d->wl = (size_t)got;
	}
	size_t at = (size_t)(off - d->wo);
	return entry((const uint8_t *)d->win + at, d->wl - at, c);
}

static uint64_t old_hash(const struct feedset *s, size_t i)
{
	const uint8_t *p = s->pairs + i * PAIR;
	return (uint64_t)buf_le32(p) | (uint64_t)buf_le32(p + 4) << 32;
}

int feedset_diff_next(struct feedset_diff *d, struct feedset_change *c)
{
	size_t on = d->old ? d->old->n : 0;
	for (;;) {
		if (d->reading) {
			if (d->next == d->listed)
				return 0;
			if (new_entry(d, d->nw->pairs[d->next++].off, c) < 0) {
				errno = EIO;
				return -1;
			}
			c->listed = 1;
			d->added++;
			return 1;
		}
		int have_o = d->i < on, have_n = d->j < d->nw->n;
		if (!have_o && !have_n) {
			/* the walk is done: the listings in file order */
			pair_sort(d->nw->pairs, d->listed);
			d->reading = 1;
			continue;
		}
		uint64_t ho = have_o ? old_hash(d->old, d->i) : 0;
		uint64_t hn = have_n ? d->nw->pairs[d->j].hash : 0;
		if (have_o && have_n && ho == hn) {
			d->i++, d->j++, d->same++;
			continue;
		}
		if (have_n && (!have_o || hn < ho)) {
			/*
			 * kept for later at the front (listed <= j: read
			 * already), its hash 0: sorted by offset alone
			 */
			uint32_t off = d->nw->pairs[d->j++].off;
			d->nw->pairs[d->listed].hash = 0;
			d->nw->pairs[d->listed++].off = off;
			continue;
		}
		uint32_t off = buf_le32(d->old->pairs + d->i * PAIR + 8);
		d->i++;
		if (off < HDR || off >= d->old->blob_end ||
		    entry(d->old->map + off, d->old->blob_end - off, c) < 0) {
			errno = EBADMSG;
			return -1;
		}
		c->listed = 0;
		d->removed++;
		return 1;
	}
}
