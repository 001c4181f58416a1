/*
 * graph: `tip graph domain NAME -o FILE.svg [--store DIR]... [--asn FILE]
 *        [--since T] [--until T] [--source auto|samples|lookups]`.
 *
 * One SVG picture of a domain over time, the same one tip serve's domain
 * page shows: the values come from series.h (the sensor's score samples,
 * or the lookups counted cumulatively), the picture from svg.h, which
 * escapes the attacker-controlled name, so the file is well-formed
 * whatever the name holds.
 *
 * Invariants: the file is written to FILE.tmp and renamed: a reader never sees half a picture.
 * Exit: 0 written; 1 the stores hold no observation of the name (nothing
 * written); 2 usage or I/O error.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agg.h"
#include "cdefs.h"
#include "series.h"
#include "svg.h"
#include "tip.h"
#include "util.h"

/* ---- command ----------------------------------------------------------- */

static void put_file(void *ctx, const char *s, size_t n)
{
	fwrite(s, 1, n, ctx);
}

static int graph_domain(const struct store_set *set, const struct asn_db *db, const char *name,
			const struct agg_filter *f, enum series_src src, const char *out,
			struct agg_faults *faults)
{
	struct agg_domain all;
	struct series sr;
	int rc = 2;
	if (agg_domain_lookup(set, db, name, f, &all, NULL, faults) < 0) {
		fprintf(stderr, "tip graph: out of memory\n");
		agg_domain_fini(&all);
		return 2;
	}
	int sc = series_domain(&sr, set, &all, f, src, NULL, NULL);	/* faults: reported above */
	if (sc == SERIES_E_SENSORS) {
		fprintf(stderr, "tip graph: score samples from several sensors: give one "
				"sensor's --store, or --source lookups\n");
		goto out;
	}
	if (sc == SERIES_E_NO_SAMPLES) {
		fprintf(stderr, "tip graph: the stores hold no score samples of that domain\n");
		rc = 1;
		goto out;
	}
	if (sc < 0) {
		fprintf(stderr, "tip graph: out of memory\n");
		goto out;
	}
	if (!sr.n) {
		fprintf(stderr, "tip graph: no observation of that domain%s\n",
			all.found ? " in the time window" : "");
		rc = 1;
		goto out;
	}
	struct flux_verdict fv;
	series_verdict(&sr, &all, &fv);
	struct svg_graph g = {all.name, all.name_len, &fv, all.lookups,
			      all.first_us != INT64_MAX ? all.first_us : sr.v[0].t_us,
			      all.last_us != INT64_MIN ? all.last_us : sr.t_end_us, sr.source,
			      sr.v, sr.n, sr.t_end_us, 1, &all.v};

	char tmp[4096];
	FILE *fo = stdout;
	int to_stdout = !strcmp(out, "-");
	if (!to_stdout) {
		if (snprintf(tmp, sizeof tmp, "%s.tmp", out) >= (int)sizeof tmp) {
			fprintf(stderr, "tip graph: output path too long\n");
			goto out;
		}
		fo = fopen(tmp, "w");
		if (!fo) {
			fprintf(stderr, "tip graph: ");
			util_put_text(stderr, tmp, strlen(tmp));
			fprintf(stderr, ": %s\n", strerror(errno));
			goto out;
		}
	}
	svg_score_graph(put_file, fo, &g);
	int werr = fflush(fo) != 0 || ferror(fo);
	if (!to_stdout) {
		werr |= fclose(fo) != 0;
		if (werr || rename(tmp, out) < 0) {
			int e = errno;
			remove(tmp);
			fprintf(stderr, "tip graph: ");
			util_put_text(stderr, out, strlen(out));
			fprintf(stderr, ": %s\n", strerror(e));
			goto out;
		}
	} else if (werr) {
		fprintf(stderr, "tip graph: write error on standard output\n");
		goto out;
	}
	rc = 0;
out:
	series_fini(&sr);
	agg_domain_fini(&all);
	return rc;
}

static const struct agg_choice sources[] = {
	{"auto", SERIES_AUTO}, {"samples", SERIES_SAMPLES}, {"lookups", SERIES_LOOKUPS},
};

int cmd_graph(int argc, char **argv)
{
	int v;
	static const struct option lo[] = {
		{"store", required_argument, NULL, 's'}, {"output", required_argument, NULL, 'o'},
		{"since", required_argument, NULL, 'S'}, {"until", required_argument, NULL, 'U'},
		{"asn", required_argument, NULL, 'a'},   {"source", required_argument, NULL, 'r'},
		{NULL, 0, NULL, 0},
	};
	struct store_set set;
	struct asn_db db;
	struct agg_filter f;
	struct agg_faults faults = {"graph", 0};
	const char *out = NULL, *asn_path = NULL;
	enum series_src src = SERIES_AUTO;
	int c, rc = 2, have_db = 0;
	memset(&set, 0, sizeof set);
	agg_filter_init(&f);
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "s:o:", lo, NULL)) != -1) {
		switch (c) {
		case 's':
			if (agg_cli_store(&set, "graph", optarg) < 0)
				goto out;
			break;
		case 'o':
			out = optarg;
			break;
		case 'S':
		case 'U':
			if (agg_cli_time("graph", c == 'S' ? "since" : "until", optarg,
					 c == 'S' ? &f.since_us : &f.until_us) < 0)
				goto out;
			break;
		case 'a':
			asn_path = optarg;
			break;
		case 'r':
			if (agg_cli_choice("graph", "source", AGG_CHOICES(sources), optarg, &v) < 0)
				goto out;
			src = (enum series_src)v;
			break;
		default:
			agg_cli_bad_option("graph", argv[optind - 1]);
			rc = tip_usage("graph");
			goto out;
		}
	}
	if (argc - optind != 2 || strcmp(argv[optind], "domain")) {
		rc = tip_usage("graph");
		goto out;
	}
	if (!out || !*out) {
		fprintf(stderr, "tip graph: no output file (-o FILE.svg, or -o - for stdout)\n");
		goto out;
	}
	if (set.n == 0) {
		fprintf(stderr, "tip graph: no store given (--store DIR)\n");
		goto out;
	}
	if (f.since_us > f.until_us) {
		fprintf(stderr, "tip graph: --since is after --until\n");
		goto out;
	}
	if (asn_path) {
		if (agg_cli_asn(&db, "graph", asn_path) < 0)
			goto out;
		have_db = 1;
	}
	rc = graph_domain(&set, have_db ? &db : NULL, argv[optind + 1], &f, src, out, &faults);
	if (rc == 0 && faults.n)
		rc = 1;
out:
	if (have_db)
		asn_db_close(&db);
	store_set_free(&set);
	return rc;
}
