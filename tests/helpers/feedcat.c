/*
 * feedcat: run one feed parser over a file, fed in chunks of a given size
 * (1 byte stresses every boundary), and print each entry as
 * "kind<TAB>value[<TAB>host]" and a last line
 * "lines N entries N bad N comments N ignored N".  With -q only the last
 * line.  Used by tests/integration/feeds.sh and the parse benchmark.
 *
 *     feedcat FORMAT [-c COLUMN] [-p PATH] [-k KIND] [-b CHUNK] [-q] FILE|-
 *     feedcat FORMAT -s STATEDIR [...] FILE|-
 * With -s the file goes through the sensor's whole ingest instead
 * (store/feedingest.h: parser, state set in STATEDIR, diff against the
 * last list there, commit), the changes counted, not stored: what a fetch
 * costs the sensor before the store writer (the memory benchmark).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "feed.h"
#include "feedingest.h"

static int quiet;

static int on_entry(void *arg, const struct feed_entry *e)
{
	if (quiet)
		return 0;
	printf("%s\t%s", feed_kind_name(e->kind), e->value);
	if (e->host)
		printf("\t%s", e->host);
	if (e->port)
		printf("\tport=%u", e->port);
	if (e->count)
		printf("\tcount=%llu", (unsigned long long)e->count);
	putchar('\n');
	return 0;
}

int main(int argc, char **argv)
{
	struct feed_opts o = {0};
	size_t chunk = 65536;
	const char *state = NULL;
	int c;
	while ((c = getopt(argc, argv, "c:p:k:b:qs:")) != -1) {
		switch (c) {
		case 's': state = optarg; break;
		case 'c': o.column = optarg; break;
		case 'p': o.path = optarg; break;
		case 'k': o.kind = feed_kind_parse(optarg); break;
		case 'b': chunk = strtoul(optarg, NULL, 10); break;
		case 'q': quiet = 1; break;
		default: return 2;
		}
	}
	if (argc - optind != 2 || !chunk || o.kind < 0) {
		fprintf(stderr, "usage: feedcat FORMAT [-c COL] [-p PATH] [-k KIND] [-b CHUNK] [-q] FILE\n");
		return 2;
	}
	o.format = feed_format_parse(argv[optind]);
	if (state) {
		struct feed_ingest *g = feed_ingest_new(state, "bench", &o, 0);
		int fd = strcmp(argv[optind + 1], "-") ? open(argv[optind + 1], O_RDONLY) : 0;
		static char b[65536];
		ssize_t r;
		struct rec rc;
		uint64_t changes = 0;
		if (!g || fd < 0) {
			perror("feedcat");
			return 1;
		}
		while ((r = read(fd, b, chunk < sizeof b ? chunk : sizeof b)) > 0)
			if (feed_ingest_data(g, b, (size_t)r) < 0)
				break;
		if (g->failed || feed_ingest_end(g) < 0) {
			fprintf(stderr, "feedcat: %s\n", g->error);
			feed_ingest_free(g);
			return 1;
		}
		while (feed_ingest_next(g, &rc) == 1)
			changes++;
		uint64_t n = feed_ingest_entries(g);
		if (feed_ingest_commit(g) < 0)
			perror("feedcat: commit");
		printf("entries %llu listed %llu delisted %llu\n", (unsigned long long)n,
		       (unsigned long long)g->added, (unsigned long long)g->removed);
		int bad = changes != g->added + g->removed;
		feed_ingest_free(g);
		return bad;
	}
	static struct feed_parser p;
	if (feed_parser_init(&p, &o, on_entry, NULL) < 0) {
		fprintf(stderr, "feedcat: bad format or options\n");
		return 2;
	}
	int fd = strcmp(argv[optind + 1], "-") ? open(argv[optind + 1], O_RDONLY) : 0;
	if (fd < 0) {
		perror(argv[optind + 1]);
		return 1;
	}
	char *buf = malloc(chunk);
	ssize_t r;
	int rc = 0;
	while (buf && (r = read(fd, buf, chunk)) > 0)
		if (feed_parser_feed(&p, buf, (size_t)r) < 0) {
			rc = 1;
			break;
		}
	if (!rc && feed_parser_finish(&p) < 0)
		rc = 1;
	free(buf);
	if (rc)
		fprintf(stderr, "feedcat: %s\n", p.error ? p.error : "stopped");
	if (p.bad && p.last_bad_why)
		fprintf(stderr, "feedcat: last bad line %llu: %s\n",
			(unsigned long long)p.last_bad_line, p.last_bad_why);
	printf("lines %llu entries %llu bad %llu comments %llu ignored %llu\n",
	       (unsigned long long)p.lines, (unsigned long long)p.entries,
	       (unsigned long long)p.bad, (unsigned long long)p.comments,
	       (unsigned long long)p.ignored);
	return rc;
}
