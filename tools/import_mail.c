/*
 * import_mail: `tip import maildir DIR... | mbox FILE... --store S
 * [--sensor NAME] [--trusted CIDR]... [--max-size BYTES]`.
 *
 * Mines mail offline with the sensor's parser (store/mail.h): each message
 * of a maildir (its new/ and cur/, or the files of DIR when it has
 * neither, in name order) or of an mbox becomes one spam extract record;
 * a message whose digest the store (or this run) already holds becomes a
 * repeat record: counted, not stored twice.  A malformed message is
 * reported "FILE: skipped: reason" and counted.  Mail is only read.
 *
 * Exit status: 0 everything mined; 1 some messages were skipped; 2 a usage
 * error, an unreadable input or an unwritable store.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "index.h"
#include "mail.h"
#include "rec_spam.h"
#include "seg.h"
#include "seg_writer.h"
#include "store.h"
#include "tip.h"
#include "util.h"

#define MAX_TRUSTED 64

struct mimp {
	const char *store;
	struct store_set set;	/* the store as it was: digests already there */
	int have_set;
	struct seg_writer *w;
	struct mail_opts opts;
	struct mail_net trusted[MAX_TRUSTED];
	struct mail_msg *m;
	uint8_t *scratch;
	uint8_t *seen;		/* digests of this run: open addressing, 32 bytes a slot */
	size_t seen_cap, seen_n;
	uint64_t mined, repeats, skipped, bytes;
	uint64_t by_date, by_envelope, by_now, bad_dates;
	int64_t now_us;
	int fatal;
};

/* A date believable as the message's: after 1990, at most a day ahead of now. */
static int date_ok(const struct mimp *im, int64_t us)
{
	return us >= 631152000LL * 1000000 && us <= im->now_us + 86400LL * 1000000;
}

/* 1 when the digest was seen before (this run or the store), after adding it. */
static int seen_add(struct mimp *im, const uint8_t *d)
{
	static const uint8_t zero[32];
	if ((im->seen_n + 1) * 2 > im->seen_cap) {
		size_t nc = im->seen_cap ? im->seen_cap * 2 : 1024;
		uint8_t *t = calloc(nc, 32);
		if (!t)
			return -1;
		for (size_t i = 0; i < im->seen_cap; i++) {
			const uint8_t *e = im->seen + 32 * i;
			if (!memcmp(e, zero, 32))
				continue;
			size_t h;
			memcpy(&h, e, sizeof h);
			for (h %= nc; memcmp(t + 32 * h, zero, 32); h = (h + 1) % nc)
				;
			memcpy(t + 32 * h, e, 32);
		}
		free(im->seen);
		im->seen = t;
		im->seen_cap = nc;
	}
	size_t h;
	memcpy(&h, d, sizeof h);
	for (h %= im->seen_cap; memcmp(im->seen + 32 * h, zero, 32); h = (h + 1) % im->seen_cap)
		if (!memcmp(im->seen + 32 * h, d, 32))
			return 1;
	memcpy(im->seen + 32 * h, d, 32);
	im->seen_n++;
	return 0;
}

static int found_one(void *ctx, const char *sensor, const struct store_seg *seg, uint64_t pos,
		     const struct rec *r)
{
	(void)sensor;
	(void)seg;
	(void)pos;
	int *found = ctx;
	if (r->type == REC_SPAM)
		*found = 1;
	return *found;
}

static void quiet_fault(void *ctx, const char *path, uint64_t off, const char *why)
{
	(void)ctx;
	(void)path;
	(void)off;
	(void)why;	/* tip verify reports damage; an import only asks "is it there" */
}

static int in_store(struct mimp *im, const uint8_t *d)
{
	uint8_t k[INDEX_KEY_MAX];
	int found = 0;
	if (!im->have_set)
		return 0;
	size_t n = index_key_bytes(k, IX_DIGEST, d, 32);
	store_set_lookup(&im->set, k, n, found_one, quiet_fault, &found);
	return found;
}

static void mine(struct mimp *im, const char *label, const uint8_t *p, size_t n)
{
	struct rec r;
	if (mail_parse(p, n, &im->opts, im->m) < 0) {
		fputs("tip import: ", stderr);
		util_put_text(stderr, label, strlen(label));
		fprintf(stderr, ": skipped: %s\n",
			im->m->bad ? mail_bad_name(im->m->bad) : strerror(errno));
		im->skipped++;
		return;
	}
	int dup = seen_add(im, im->m->digest);
	if (dup == 0 && in_store(im, im->m->digest))
		dup = 1;
	memset(&r, 0, sizeof r);
	if (dup > 0) {
		r.type = REC_SPAM;
		r.u.spam = (struct rec_spam){.op = REC_SPAM_REPEAT, .digest = im->m->digest,
					     .source = "import", .source_len = 6};
	} else {
		rec_spam_from_mail(&r, im->m, "import", im->scratch);
		/* the file's name (a maildir unique name), or the mbox's label */
		const char *base = strrchr(label, '/') ? strrchr(label, '/') + 1 : label;
		r.u.spam.name = base;
		r.u.spam.name_len = strcspn(base, ":") < 255 ? strcspn(base, ":") : 255;
	}
	/* the record's time: the Date header, else the mbox From line's, else now */
	rec_stamp(&r);
	if (im->m->date_us && date_ok(im, im->m->date_us)) {
		r.ts_us = im->m->date_us;
		r.flags &= (uint8_t)~REC_F_CLOCK_UNSET;
		im->by_date++;
	} else if (im->m->envelope_us && date_ok(im, im->m->envelope_us)) {
		r.ts_us = im->m->envelope_us;
		r.flags &= (uint8_t)~REC_F_CLOCK_UNSET;
		im->by_envelope++;
	} else {
		im->by_now++;
	}
	if ((im->m->flags & MAIL_F_BAD_DATE) || (im->m->date_us && !date_ok(im, im->m->date_us)))
		im->bad_dates++;
	if (seg_writer_append(im->w, &r) < 0) {
		fprintf(stderr, "tip import: ");
		util_put_text(stderr, im->store, strlen(im->store));
		fprintf(stderr, ": cannot append: %s\n", strerror(errno));
		im->fatal = 1;
		return;
	}
	if (dup > 0)
		im->repeats++;
	else
		im->mined++;
	im->bytes += n;
}

/* Map a file (empty files: NULL, 0).  0 or -1 (reported). */
static int map_file(const char *path, void **p, size_t *n)
{
	struct stat sb;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	*p = NULL;
	*n = 0;
	if (fd < 0 || fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		int e = fd < 0 ? errno : EINVAL;
		fputs("tip import: ", stderr);
		util_put_text(stderr, path, strlen(path));
		fprintf(stderr, ": %s\n", e == EINVAL ? "not a regular file" : strerror(e));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (sb.st_size > 0) {
		*p = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (*p == MAP_FAILED) {
			fputs("tip import: ", stderr);
			util_put_text(stderr, path, strlen(path));
			fprintf(stderr, ": %s\n", strerror(errno));
			close(fd);
			*p = NULL;
			return -1;
		}
		*n = (size_t)sb.st_size;
	}
	close(fd);
	return 0;
}

static void mine_file(struct mimp *im, const char *path)
{
	void *p;
	size_t n;
	if (map_file(path, &p, &n) < 0) {
		im->skipped++;
		return;
	}
	mine(im, path, p, n);
	if (p)
		munmap(p, n);
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The messages of one folder, in name order; -1 when it cannot be read. */
static int mine_folder(struct mimp *im, const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return -1;
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 256;
			char **t = realloc(names, cap * sizeof *t);
			if (!t)
				break;
			names = t;
		}
		if (!(names[n] = strdup(e->d_name)))
			break;
		n++;
	}
	closedir(d);
	qsort(names, n, sizeof *names, name_cmp);
	for (size_t i = 0; i < n && !im->fatal; i++) {
		char path[4096];
		struct stat sb;
		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		if (stat(path, &sb) == 0 && S_ISREG(sb.st_mode))
			mine_file(im, path);
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return 0;
}

static void mine_maildir(struct mimp *im, const char *dir)
{
	char sub[4096];
	int any = 0;
	static const char *const subs[] = {"new", "cur"};
	for (int i = 0; i < 2 && !im->fatal; i++) {
		snprintf(sub, sizeof sub, "%s/%s", dir, subs[i]);
		if (mine_folder(im, sub) == 0)
			any = 1;
	}
	if (!any && mine_folder(im, dir) < 0) {
		fputs("tip import: ", stderr);
		util_put_text(stderr, dir, strlen(dir));
		fprintf(stderr, ": %s\n", strerror(errno));
		im->fatal = 1;
	}
}

static void mine_mbox(struct mimp *im, const char *path)
{
	void *p;
	size_t n, off = 0, ml;
	const uint8_t *msg;
	unsigned k = 0;
	if (map_file(path, &p, &n) < 0) {
		im->fatal = 1;
		return;
	}
	while (!im->fatal && mail_mbox_next(p, n, &off, &msg, &ml) == 1) {
		char label[4200];
		snprintf(label, sizeof label, "%s: message %u", path, ++k);
		mine(im, label, msg, ml);
	}
	if (p)
		munmap(p, n);
}

int cmd_import_mail(int argc, char **argv)
{
	struct mimp im;
	const char *sensor = NULL;
	int mbox = !strcmp(argv[1], "mbox"), nin = 0, rc = 2;
	const char **in = calloc((size_t)argc, sizeof *in);
	char err[512];
	memset(&im, 0, sizeof im);
	im.now_us = clock_now_us();
	mail_opts_default(&im.opts);
	im.opts.trusted = im.trusted;
	if (!in)
		return 2;
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--store") || !strcmp(a, "--sensor") || !strcmp(a, "--trusted") ||
		    !strcmp(a, "--max-size")) {
			if (!v) {
				fprintf(stderr, "tip import: %s needs a value\n", a);
				goto out;
			}
			i++;
			if (!strcmp(a, "--store")) {
				im.store = v;
			} else if (!strcmp(a, "--sensor")) {
				sensor = v;
			} else if (!strcmp(a, "--trusted")) {
				if (im.opts.n_trusted == MAX_TRUSTED ||
				    mail_net_parse(v, &im.trusted[im.opts.n_trusted]) < 0) {
					fprintf(stderr, "tip import: --trusted: not an address or prefix "
							"(A.B.C.D/N, X::Y/N): ");
					util_put_text(stderr, v, strlen(v));
					fputc('\n', stderr);
					goto out;
				}
				im.opts.n_trusted++;
			} else {
				char *end;
				unsigned long long s = strtoull(v, &end, 10);
				if (*v < '0' || *v > '9' || *end || s < 1024) {
					fprintf(stderr, "tip import: --max-size: bytes, at least 1024\n");
					goto out;
				}
				im.opts.lim.max_msg = (size_t)s;
			}
			continue;
		}
		if (a[0] == '-' && a[1]) {
			fputs("tip import: unknown option: ", stderr);
			util_put_text(stderr, a, strlen(a));
			fputc('\n', stderr);
			rc = tip_usage("import");
			goto out;
		}
		in[nin++] = a;
	}
	if (!im.store || !nin) {
		fprintf(stderr, "tip import: %s\n", !nin ? "no input given" : "--store DIR is required");
		rc = tip_usage("import");
		goto out;
	}
	if (store_is_store(im.store)) {
		if (store_set_add(&im.set, im.store, err, sizeof err) == 0)
			im.have_set = 1;
	}
	im.m = malloc(sizeof *im.m);
	im.scratch = malloc(REC_SPAM_SCRATCH);
	if (!im.m || !im.scratch) {
		fprintf(stderr, "tip import: out of memory\n");
		goto out;
	}
	im.w = seg_writer_new(im.store, sensor, NULL, err, sizeof err);
	if (!im.w) {
		fputs("tip import: ", stderr);
		util_put_text(stderr, err, strlen(err));
		fputc('\n', stderr);
		goto out;
	}
	for (int i = 0; i < nin && !im.fatal; i++) {
		if (mbox)
			mine_mbox(&im, in[i]);
		else
			mine_maildir(&im, in[i]);
	}
	if (seg_writer_close(im.w) < 0) {
		fputs("tip import: ", stderr);
		util_put_text(stderr, im.store, strlen(im.store));
		fprintf(stderr, ": cannot seal the segment: %s\n", strerror(errno));
		im.fatal = 1;
	}
	im.w = NULL;
	printf("tip import: mined %llu messages (%llu bytes), repeats %llu, skipped %llu\n",
	       (unsigned long long)im.mined, (unsigned long long)im.bytes,
	       (unsigned long long)im.repeats, (unsigned long long)im.skipped);
	printf("tip import: dated by the Date header %llu, by the mbox From line %llu, at import "
	       "time %llu (%llu bad or implausible dates)\n",
	       (unsigned long long)im.by_date, (unsigned long long)im.by_envelope,
	       (unsigned long long)im.by_now, (unsigned long long)im.bad_dates);
	rc = im.fatal ? 2 : im.skipped ? 1 : 0;
out:
	if (im.have_set)
		store_set_free(&im.set);
	free(im.m);
	free(im.scratch);
	free(im.seen);
	free(in);
	return rc;
}
