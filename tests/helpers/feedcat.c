/*
 * feedcat: run one feed parser over a file, fed in chunks of a given size
 * (1 byte stresses every boundary), and print each entry as
 * "kind<TAB>value[<TAB>host]" and a last line
 * "lines N entries N bad N comments N ignored N".  With -q only the last
 * line.  Used by tests/integration/feeds.sh and the parse benchmark.
 *
 *     feedcat FORMAT [-c COLUMN] [-p PATH] [-k KIND] [-b CHUNK] [-q] FILE|-
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "feed.h"

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
	int c;
	while ((c = getopt(argc, argv, "c:p:k:b:q")) != -1) {
		switch (c) {
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
