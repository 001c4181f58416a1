/*
 * blacklist: `tip blacklist --format dnsmasq|unbound|hosts|nftables
 *            [--min-score S] [--since T] [--until T] [--asn FILE]
 *            [--window N] [--ttl-min D] [--ttl-max D] [--running]
 *            [--min-confidence C [--allowlist FILE]] --store DIR...`
 *
 * The domains the stores show as fast-flux (agg_flux_scan: by the score of
 * the sensor's classification window, see agg.h; --running also by the
 * running totals; --min-score S lists every name scoring at least S
 * instead) for the router's resolver,
 * and their IPv4 addresses for its firewall:
 *   dnsmasq   address=/NAME/0.0.0.0
 *   unbound   local-zone: "NAME." always_nxdomain
 *   hosts     0.0.0.0 NAME
 *   nftables  table inet tip_blacklist with set flux_v4 and a forward drop
 *
 * With --min-confidence C, the blacklist indicators the stores' feeds list
 * now with a confidence of at least C (tools/feeds.h) follow: domains for
 * the resolver formats, IPv4 addresses and CIDRs in the set feed_v4 for
 * nftables.
 *
 * Invariant: these files are configuration, so a name is written only when
 * agg_hostname_ok accepts it (letters, digits, '-', '_' and dots); any
 * other name is skipped with an escaped warning on stderr, never emitted.
 * Addresses are printed by inet_ntop from binary, so they cannot inject.
 * Exit: 0 written (even empty), 1 faults met in the stores, 2 usage or I/O.
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agg.h"
#include "feeds.h"
#include "rec.h"
#include "tip.h"
#include "util.h"

enum bl_fmt { B_DNSMASQ, B_UNBOUND, B_HOSTS, B_NFT };

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

int cmd_blacklist(int argc, char **argv)
{
	static const struct option lo[] = {
		{"store", required_argument, NULL, 's'},     {"format", required_argument, NULL, 'f'},
		{"min-score", required_argument, NULL, 'm'}, {"since", required_argument, NULL, 'S'},
		{"until", required_argument, NULL, 'U'},     {"asn", required_argument, NULL, 'a'},
		{"min-confidence", required_argument, NULL, 'C'},
		{"allowlist", required_argument, NULL, 'A'},
		{"window", required_argument, NULL, 'W'}, {"ttl-min", required_argument, NULL, 'T'},
		{"ttl-max", required_argument, NULL, 'X'}, {"running", no_argument, NULL, 'R'},
		{NULL, 0, NULL, 0},
	};
	struct store_set set = {0};
	struct asn_db db;
	int have_db = 0, c, rc = 2, fmt = -1;
	struct agg_flux_opts fo;
	struct agg_faults faults = {"blacklist", 0};
	const char *asn_path = NULL, *allowlist = NULL;
	double min_conf = -1;
	struct feeds_db feeds;
	int have_feeds = 0;
	memset(&fo, 0, sizeof fo);
	agg_filter_init(&fo.filter);
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "s:f:", lo, NULL)) != -1) {
		switch (c) {
		case 's':
			if (agg_cli_store(&set, "blacklist", optarg) < 0)
				goto out;
			break;
		case 'f':
			fmt = !strcmp(optarg, "dnsmasq")  ? B_DNSMASQ
			      : !strcmp(optarg, "unbound") ? B_UNBOUND
			      : !strcmp(optarg, "hosts")   ? B_HOSTS
			      : !strcmp(optarg, "nftables") ? B_NFT
							    : -2;
			if (fmt == -2) {
				fprintf(stderr, "tip blacklist: unknown format (dnsmasq, unbound, hosts, "
						"nftables): ");
				util_put_text(stderr, optarg, strlen(optarg));
				fputc('\n', stderr);
				goto out;
			}
			break;
		case 'm':
			if (agg_cli_score("blacklist", optarg, &fo.min_x100) < 0)
				goto out;
			fo.use_min = 1;
			break;
		case 'S':
		case 'U':
			if (agg_cli_time("blacklist", c == 'S' ? "since" : "until", optarg,
					 c == 'S' ? &fo.filter.since_us : &fo.filter.until_us) < 0)
				goto out;
			break;
		case 'a':
			asn_path = optarg;
			break;
		case 'C': {
			char *end;
			min_conf = strtod(optarg, &end);
			if (end == optarg || *end || !(min_conf >= 0 && min_conf <= 1)) {
				fprintf(stderr, "tip blacklist: --min-confidence: a number from 0 to 1\n");
				goto out;
			}
			break;
		}
		case 'A':
			allowlist = optarg;
			break;
		case 'W':
		case 'T':
		case 'X':
			if (agg_cli_window("blacklist",
					   c == 'W' ? "window" : c == 'T' ? "ttl-min" : "ttl-max", optarg,
					   &fo.filter) < 0)
				goto out;
			break;
		case 'R':
			fo.running = 1;
			break;
		default:
			rc = tip_usage("blacklist");
			goto out;
		}
	}
	if (optind != argc || fmt < 0) {
		if (fmt == -1 && optind == argc)
			fprintf(stderr, "tip blacklist: --format is required\n");
		rc = tip_usage("blacklist");
		goto out;
	}
	if (agg_cli_window_check("blacklist", &fo.filter) < 0)
		goto out;
	if (set.n == 0) {
		fprintf(stderr, "tip blacklist: no store given (--store DIR)\n");
		goto out;
	}
	if (asn_path) {
		if (agg_cli_asn(&db, "blacklist", asn_path) < 0)
			goto out;
		have_db = 1;
		fo.db = &db;
	}
	if (min_conf >= 0) {
		char err[256];
		if (feeds_load(&feeds, &set, allowlist, err, sizeof err) < 0) {
			fprintf(stderr, "tip blacklist: %s\n", err);
			feeds_free(&feeds);
			goto out;
		}
		feeds_metrics(&feeds);
		have_feeds = 1;
	} else if (allowlist) {
		fprintf(stderr, "tip blacklist: --allowlist goes with --min-confidence\n");
		goto out;
	}
	struct agg_flux fl;
	if (agg_flux_scan(&set, &fo, &fl, &faults) < 0) {
		fprintf(stderr, "tip blacklist: out of memory\n");
		agg_flux_fini(&fl);
		goto out;
	}
	uint32_t *ips = NULL;
	size_t n_ips = 0, alloc = 0, emitted = 0, skipped = 0;
	if (fmt != B_NFT)
		printf("# tip blacklist: fast-flux domains\n");
	for (size_t i = 0; i < fl.n; i++) {
		const struct agg_flux_row *r = &fl.rows[i];
		if (!agg_hostname_ok(r->name, r->name_len)) {
			fprintf(stderr, "tip blacklist: warning: not a valid hostname, skipped: ");
			util_put_text(stderr, r->name, r->name_len);
			fputc('\n', stderr);
			skipped++;
			continue;
		}
		emitted++;
		switch (fmt) {
		case B_DNSMASQ:
			printf("address=/%s/0.0.0.0\n", r->name);
			break;
		case B_UNBOUND:
			printf("local-zone: \"%s.\" always_nxdomain\n", r->name);
			break;
		case B_HOSTS:
			printf("0.0.0.0 %s\n", r->name);
			break;
		case B_NFT: {
			struct agg_domain d;
			if (agg_domain_lookup(&set, fo.db, r->name, &fo.filter, &d, NULL, NULL) < 0) {
				agg_domain_fini(&d);
				break;
			}
			for (size_t k = 0; k < d.n_ips; k++) {
				if (n_ips == alloc) {
					alloc = alloc ? alloc * 2 : 256;
					uint32_t *nv = realloc(ips, alloc * sizeof *ips);
					if (!nv) {
						fprintf(stderr, "tip blacklist: out of memory\n");
						agg_domain_fini(&d);
						free(ips);
						agg_flux_fini(&fl);
						goto out;
					}
					ips = nv;
				}
				ips[n_ips++] = d.ips[k].ip;
			}
			agg_domain_fini(&d);
			break;
		}
		}
	}
	/* blacklist indicators listed now with at least the confidence asked */
	size_t feed_n = 0, feed_skipped = 0;
	if (have_feeds && fmt != B_NFT)
		printf("# tip blacklist: feed domains with confidence >= %g\n", min_conf);
	for (size_t i = 0; have_feeds && fmt != B_NFT && i < feeds.cap; i++) {
		const struct feeds_ind *x = feeds.tab[i];
		if (!x || x->kind != REC_IND_DOMAIN || feeds_confidence(&feeds, x) < min_conf ||
		    (x->flux && !fo.use_min))
			continue;
		if (!agg_hostname_ok(x->value, strlen(x->value))) {
			feed_skipped++;
			continue;
		}
		feed_n++;
		if (fmt == B_DNSMASQ)
			printf("address=/%s/0.0.0.0\n", x->value);
		else if (fmt == B_UNBOUND)
			printf("local-zone: \"%s.\" always_nxdomain\n", x->value);
		else
			printf("0.0.0.0 %s\n", x->value);
	}
	if (fmt == B_NFT) {
		if (n_ips)
			qsort(ips, n_ips, sizeof *ips, cmp_u32);
		printf("# tip blacklist: addresses of fast-flux domains\n"
		       "table inet tip_blacklist {\n\tset flux_v4 {\n\t\ttype ipv4_addr\n");
		size_t u = 0;
		for (size_t k = 0; k < n_ips; k++) {
			if (k && ips[k] == ips[k - 1])
				continue;
			char a[INET_ADDRSTRLEN];
			uint8_t b[4] = {(uint8_t)(ips[k] >> 24), (uint8_t)(ips[k] >> 16),
					(uint8_t)(ips[k] >> 8), (uint8_t)ips[k]};
			inet_ntop(AF_INET, b, a, sizeof a);
			printf("%s%s", u ? ", " : "\t\telements = { ", a);
			u++;
		}
		printf("%s\t}\n", u ? " }\n" : "");
		if (have_feeds) {
			/* inet_ntop of the parsed address: no text from the feed reaches the file */
			printf("\tset feed_v4 {\n\t\ttype ipv4_addr\n\t\tflags interval\n\t\tauto-merge\n");
			for (size_t i = 0; i < feeds.cap; i++) {
				const struct feeds_ind *x = feeds.tab[i];
				char a[INET_ADDRSTRLEN];
				if (!x || x->family != 4 ||
				    (x->kind != REC_IND_IP && x->kind != REC_IND_CIDR) ||
				    feeds_confidence(&feeds, x) < min_conf ||
				    !inet_ntop(AF_INET, x->addr, a, sizeof a))
					continue;
				printf("%s%s", feed_n ? ", " : "\t\telements = { ", a);
				if (x->kind == REC_IND_CIDR)
					printf("/%u", x->prefix);
				feed_n++;
			}
			printf("%s\t}\n", feed_n ? " }\n" : "");
		}
		printf("\tchain forward {\n\t\ttype filter hook forward priority 0; policy accept;\n"
		       "\t\tip daddr @flux_v4 drop\n%s\t}\n}\n",
		       have_feeds ? "\t\tip daddr @feed_v4 drop\n" : "");
	}
	free(ips);
	agg_flux_fini(&fl);
	if (skipped)
		fprintf(stderr, "tip blacklist: %zu domains written, %zu skipped\n", emitted, skipped);
	if (feed_skipped)
		fprintf(stderr, "tip blacklist: %zu feed domains skipped (not valid hostnames)\n",
			feed_skipped);
	if (have_feeds) {
		if (feeds.faults)
			faults.n++;
		feeds_free(&feeds);
		have_feeds = 0;
	}
	rc = faults.n ? 1 : 0;
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "tip blacklist: write error on standard output\n");
		rc = 2;
	}
out:
	if (have_feeds)
		feeds_free(&feeds);
	if (have_db)
		asn_db_close(&db);
	store_set_free(&set);
	return rc;
}
