/*
 * spamdig: the digest memory of spamdig.h.  The ring holds the digests in
 * arrival order; idx is a linear-probing table of ring positions keyed by
 * the digest's first 8 bytes (SHA-256: uniform already).  Evicting the
 * oldest removes its slot with backward-shift deletion, so no tombstones
 * build up.  The file is "TIPDIG1\n" and then 32-byte digests; a torn
 * last digest (a crash mid-write) is ignored.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "modes.h"
#include "spamdig.h"

#define MAGIC "TIPDIG1\n"
#define MAGIC_LEN 8

static size_t hash_of(const uint8_t *d)
{
	uint64_t h;
	memcpy(&h, d, 8);
	return (size_t)h;
}

static size_t find(const struct spamdig *d, const uint8_t *dg, int *found)
{
	size_t i = hash_of(dg) & d->mask;
	for (;;) {
		uint32_t v = d->idx[i];
		if (!v) {
			*found = 0;
			return i;
		}
		if (!memcmp(d->ring[v - 1], dg, 32)) {
			*found = 1;
			return i;
		}
		i = (i + 1) & d->mask;
	}
}

static void unindex(struct spamdig *d, size_t pos)
{
	int f;
	size_t i = find(d, d->ring[pos], &f);
	if (!f)
		return;
	/* backward-shift deletion: pull later entries of the cluster into the hole */
	size_t j = i;
	for (;;) {
		d->idx[i] = 0;
		for (;;) {
			j = (j + 1) & d->mask;
			if (!d->idx[j])
				return;
			size_t k = hash_of(d->ring[d->idx[j] - 1]) & d->mask;
			/* k cyclically in (i, j]: the entry stays */
			if (i <= j ? (i < k && k <= j) : (i < k || k <= j))
				continue;
			break;
		}
		d->idx[i] = d->idx[j];
		i = j;
	}
}

/* Remember dg (not in the set). */
static void add(struct spamdig *d, const uint8_t *dg)
{
	size_t pos;
	if (d->n < d->cap) {
		pos = (d->head + d->n) % d->cap;
		d->n++;
	} else {
		pos = d->head;
		unindex(d, pos);
		d->head = (d->head + 1) % d->cap;
	}
	memcpy(d->ring[pos], dg, 32);
	int f;
	size_t i = find(d, dg, &f);
	d->idx[i] = (uint32_t)pos + 1;
}

static int rewrite(struct spamdig *d)
{
	char tmp[4300];
	snprintf(tmp, sizeof tmp, "%s.tmp", d->path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, STORE_FILE_MODE);
	if (fd < 0)
		return -1;
	int bad = write(fd, MAGIC, MAGIC_LEN) != MAGIC_LEN;
	for (size_t k = 0; k < d->n && !bad; k++)
		bad = write(fd, d->ring[(d->head + k) % d->cap], 32) != 32;
	if (bad || fsync(fd) < 0 || rename(tmp, d->path) < 0) {
		close(fd);
		unlink(tmp);
		return -1;
	}
	if (d->fd >= 0)
		close(d->fd);
	d->fd = fd;
	d->in_file = d->n;
	if (lseek(fd, 0, SEEK_END) < 0)
		return -1;
	return 0;
}

static void load(struct spamdig *d)
{
	int fd = open(d->path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		if (errno != ENOENT)
			log_warn("spamtrap: %s (repeats remembered in memory only)", d->path);
		else if (rewrite(d) < 0)
			log_warn("spamtrap: %s (repeats remembered in memory only)", d->path);
		return;
	}
	struct stat sb;
	char magic[MAGIC_LEN];
	if (fstat(fd, &sb) < 0 || read(fd, magic, MAGIC_LEN) != MAGIC_LEN ||
	    memcmp(magic, MAGIC, MAGIC_LEN)) {
		log_warnx("spamtrap: %s: not a digest file: started afresh", d->path);
		close(fd);
		rewrite(d);
		return;
	}
	uint64_t total = ((uint64_t)sb.st_size - MAGIC_LEN) / 32;
	uint64_t from = total > d->cap ? total - d->cap : 0;
	uint8_t buf[32 * 256];
	if (lseek(fd, (off_t)(MAGIC_LEN + from * 32), SEEK_SET) < 0) {
		close(fd);
		return;
	}
	for (uint64_t k = from; k < total;) {
		size_t want = (size_t)(total - k < 256 ? total - k : 256) * 32;
		ssize_t r = read(fd, buf, want);
		if (r <= 0)
			break;
		for (ssize_t o = 0; o + 32 <= r; o += 32) {
			int f;
			find(d, buf + o, &f);
			if (!f)
				add(d, buf + o);
		}
		k += (uint64_t)r / 32;
	}
	d->fd = fd;
	d->in_file = (size_t)(total < 2 * (uint64_t)d->cap ? total : 2 * (uint64_t)d->cap);
	if ((uint64_t)sb.st_size != MAGIC_LEN + total * 32 || total > 2 * (uint64_t)d->cap)
		rewrite(d);	/* a torn tail, or longer than the bound: made clean */
	else
		lseek(fd, 0, SEEK_END);
}

int spamdig_init(struct spamdig *d, size_t cap, const char *path)
{
	memset(d, 0, sizeof *d);
	d->fd = -1;
	if (cap < SPAMDIG_MIN)
		cap = SPAMDIG_MIN;
	if (cap > SPAMDIG_MAX)
		cap = SPAMDIG_MAX;
	size_t slots = 1;
	while (slots < 2 * cap)
		slots <<= 1;
	d->ring = malloc(cap * 32);
	d->idx = calloc(slots, sizeof *d->idx);
	if (!d->ring || !d->idx) {
		free(d->ring);
		free(d->idx);
		d->ring = NULL;
		d->idx = NULL;
		errno = ENOMEM;
		return -1;
	}
	d->cap = cap;
	d->mask = slots - 1;
	if (path) {
		snprintf(d->path, sizeof d->path, "%s", path);
		load(d);
	}
	return 0;
}

void spamdig_fini(struct spamdig *d)
{
	if (d->fd >= 0)
		close(d->fd);
	free(d->ring);
	free(d->idx);
	memset(d, 0, sizeof *d);
	d->fd = -1;
}

int spamdig_seen(struct spamdig *d, const uint8_t digest[32])
{
	int f;
	if (!d->ring)
		return 0;
	find(d, digest, &f);
	if (f)
		return 1;
	add(d, digest);
	if (d->fd >= 0) {
		if (write(d->fd, digest, 32) != 32) {
			log_warn("spamtrap: %s (repeats remembered in memory only)", d->path);
			close(d->fd);
			d->fd = -1;
		} else if (++d->in_file >= 2 * d->cap && rewrite(d) < 0) {
			log_warn("spamtrap: %s: rewriting", d->path);
		}
	}
	return 0;
}
