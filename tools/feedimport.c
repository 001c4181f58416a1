/*
 * feedimport: `tip import feed FILE --store DIR --source NAME --format F
 * [--column C] [--path P] [--kind K] [--time T] [--sensor NAME]`.
 *
 * Reads one blacklist file as tipd's blacklist module reads a fetched
 * body (store/feedingest.h): the entries that were not in the source's
 * last list (state/feeds/NAME.set of the store) are written as listed
 * records, those no longer in it as delisted, then one fetch record; the
 * new list becomes the last.  --time (default now) stamps the records, so
 * the history of a list kept as dated files can be rebuilt in order.
 * A file that does not parse (broken JSON, a CSV column missing) records
 * a failed fetch and changes nothing else.
 *
 * Exit status: 0 imported; 1 the file did not parse (a failed fetch is
 * recorded); 2 usage, I/O or store errors.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agg.h"
#include "clock.h"
#include "feedingest.h"
#include "seg.h"
#include "seg_writer.h"
#include "store.h"
#include "tip.h"
#include "util.h"

static int64_t mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int cmd_import_feed(int argc, char **argv);

int cmd_import_feed(int argc, char **argv)
{
	const char *file = NULL, *store = NULL, *source = NULL, *format = NULL, *sensor = NULL;
	const char *tm = NULL, *kind = NULL;
	struct feed_opts o = {0};
	int64_t ts = 0;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], **slot = NULL;
		if (!strcmp(a, "--store")) slot = &store;
		else if (!strcmp(a, "--source")) slot = &source;
		else if (!strcmp(a, "--format")) slot = &format;
		else if (!strcmp(a, "--column")) slot = &o.column;
		else if (!strcmp(a, "--path")) slot = &o.path;
		else if (!strcmp(a, "--kind")) slot = &kind;
		else if (!strcmp(a, "--time")) slot = &tm;
		else if (!strcmp(a, "--sensor")) slot = &sensor;
		if (slot) {
			if (i + 1 >= argc) {
				fprintf(stderr, "tip import feed: %s needs a value\n", a);
				return tip_usage("import");
			}
			*slot = argv[++i];
			continue;
		}
		if (a[0] == '-' && a[1]) {
			fprintf(stderr, "tip import feed: unknown option: ");
			util_put_text(stderr, a, strlen(a));
			fputc('\n', stderr);
			return tip_usage("import");
		}
		if (file) {
			fprintf(stderr, "tip import feed: one FILE at a time (each is one fetch)\n");
			return 2;
		}
		file = a;
	}
	if (!file || !store || !source || !format) {
		fprintf(stderr, "tip import feed: FILE, --store, --source and --format are required\n");
		return tip_usage("import");
	}
	if (!feedset_name_ok(source)) {
		fprintf(stderr, "tip import feed: --source: use 1-64 of A-Z a-z 0-9 . _ -\n");
		return 2;
	}
	if (!(o.format = feed_format_parse(format))) {
		fprintf(stderr, "tip import feed: --format: one of hosts domains ips cidr csv urls "
				"json ipsum trails\n");
		return 2;
	}
	if (kind && (o.kind = feed_kind_parse(kind)) < 0) {
		fprintf(stderr, "tip import feed: --kind: one of domain ip cidr url\n");
		return 2;
	}
	if ((o.format == FEED_CSV && !o.column) || (o.format == FEED_JSON && !o.path)) {
		fprintf(stderr, "tip import feed: %s needs %s\n", format,
			o.format == FEED_CSV ? "--column" : "--path");
		return 2;
	}
	if (tm && agg_cli_time("import feed", "--time", tm, &ts) < 0)
		return 2;
	if (!tm)
		ts = clock_now_us();

	int fd = strcmp(file, "-") ? open(file, O_RDONLY | O_CLOEXEC) : 0;
	if (fd < 0) {
		fprintf(stderr, "tip import feed: %s: %s\n", file, strerror(errno));
		return 2;
	}
	char err[512];
	if (store_create(store, sensor, err, sizeof err) < 0) {
		fprintf(stderr, "tip import feed: %s\n", err);
		close(fd);
		return 2;
	}
	char dir[4096];
	snprintf(dir, sizeof dir, "%s/state/feeds", store);
	struct feed_ingest *g = feed_ingest_new(dir, source, &o, 0);
	if (!g) {
		fprintf(stderr, "tip import feed: %s: %s\n", dir, strerror(errno));
		close(fd);
		return 2;
	}
	char id[STORE_ID_MAX];
	store_sensor_id(store, id, sizeof id);
	struct seg_writer *w = seg_writer_new(store, id, NULL, err, sizeof err);
	if (!w) {
		fprintf(stderr, "tip import feed: %s\n", err);
		feed_ingest_free(g);
		close(fd);
		return 2;
	}
	int64_t t0 = mono_us();
	static char buf[65536];
	ssize_t n;
	int parsed = 0, rc = 0;
	while ((n = read(fd, buf, sizeof buf)) > 0)
		if (feed_ingest_data(g, buf, (size_t)n) < 0)
			break;
	if (n < 0) {
		fprintf(stderr, "tip import feed: %s: %s\n", file, strerror(errno));
		rc = 2;
	} else if (!g->failed && feed_ingest_end(g) == 0) {
		parsed = 1;
	}
	if (fd)
		close(fd);
	struct rec r;
	if (parsed) {
		int k;
		while ((k = feed_ingest_next(g, &r)) == 1) {
			r.ts_us = ts;
			if (seg_writer_append(w, &r) < 0) {
				fprintf(stderr, "tip import feed: append: %s\n", strerror(errno));
				rc = 2;
				break;
			}
		}
		if (k < 0) {
			parsed = 0;
			rc = 2;
		}
	}
	if (rc == 2) {
		/* the store may hold part of the changes: keep the old list, so the
		 * next import repeats them (a repeated listing is harmless) */
		seg_writer_close(w);
		fprintf(stderr, "tip import feed: %s\n", g->error[0] ? g->error : "failed");
		feed_ingest_free(g);
		return 2;
	}
	feed_ingest_fetch(g, &r, parsed ? REC_FETCH_OK : REC_FETCH_FAILED, 0,
			  (uint64_t)(mono_us() - t0), NULL, NULL, parsed ? NULL : g->error);
	r.ts_us = ts;
	if (seg_writer_append(w, &r) < 0 || seg_writer_close(w) < 0) {
		fprintf(stderr, "tip import feed: %s: cannot write the store\n", store);
		feed_ingest_free(g);
		return 2;
	}
	uint64_t entries = feed_ingest_entries(g);
	if (parsed && feed_ingest_commit(g) < 0) {
		fprintf(stderr, "tip import feed: %s: %s\n", dir, strerror(errno));
		feed_ingest_free(g);
		return 2;
	}
	if (parsed)
		printf("%s: %llu entries, %llu listed, %llu delisted, %llu bad lines\n", source,
		       (unsigned long long)entries, (unsigned long long)g->added,
		       (unsigned long long)g->removed, (unsigned long long)g->parser.bad);
	else
		fprintf(stderr, "tip import feed: %s: %s (recorded as a failed fetch)\n", file,
			g->error);
	feed_ingest_free(g);
	return parsed ? 0 : 1;
}
