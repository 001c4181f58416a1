/*
 * query_spam: `tip query spam --domain D | --ip A | --hash H [--since T]
 * [--until T] [--format table|json] --store S...`: what the spamtrap saw of
 * a name (a URL host, a registered domain, a From / Reply-To / Return-Path
 * / Message-ID domain), a sender address or an attachment's SHA-256: one
 * row per message with its count (the message and its repeats), first and
 * last seen, sender, From domain and Subject (escaped), then a total.
 * Exit status: 0, 1 when a store was damaged (reported; the rest read),
 * 2 on a usage error.
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "index.h"
#include "json.h"
#include "spam.h"
#include "tip.h"
#include "util.h"

static void put_ip(FILE *o, const struct rec_ip *ip)
{
	char t[64] = "-";
	if (ip->family)
		inet_ntop(ip->family == 4 ? AF_INET : AF_INET6, ip->addr, t, sizeof t);
	fputs(t, o);
}

static const struct agg_choice formats[] = {{"table", 0}, {"json", 1}};

int cmd_query_spam(int argc, char **argv)
{
	static const struct option lo[] = {
		{"store", required_argument, NULL, 's'}, {"domain", required_argument, NULL, 'd'},
		{"ip", required_argument, NULL, 'i'},    {"hash", required_argument, NULL, 'h'},
		{"since", required_argument, NULL, 'S'}, {"until", required_argument, NULL, 'U'},
		{"format", required_argument, NULL, 'f'}, {NULL, 0, NULL, 0},
	};
	struct store_set set = {0};
	struct agg_faults faults = {"query", 0};
	int64_t since = INT64_MIN, until = INT64_MAX;
	uint8_t key[INDEX_KEY_MAX];
	size_t klen = 0;
	int c, rc = 2, json = 0, nkeys = 0;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "s:f:", lo, NULL)) != -1) {
		switch (c) {
		case 's':
			if (agg_cli_store(&set, "query", optarg) < 0)
				goto out;
			break;
		case 'd':
		case 'i':
		case 'h':
			nkeys++;
			klen = spam_key_parse(key, c == 'd' ? IX_MAILNAME : c == 'i' ? IX_SENDER : IX_ATTACH,
					      optarg);
			if (!klen) {
				fprintf(stderr, "tip query: --%s: not %s: ", c == 'd' ? "domain" : c == 'i' ? "ip" : "hash",
					c == 'd' ? "a name" : c == 'i' ? "an IPv4 or IPv6 address" : "64 hex digits (SHA-256)");
				util_put_text(stderr, optarg, strlen(optarg));
				fputc('\n', stderr);
				goto out;
			}
			break;
		case 'S':
		case 'U':
			if (agg_cli_time("query", c == 'S' ? "since" : "until", optarg,
					 c == 'S' ? &since : &until) < 0)
				goto out;
			break;
		case 'f':
			if (agg_cli_choice("query", "format", AGG_CHOICES(formats), optarg, &json) < 0)
				goto out;
			break;
		default:
			agg_cli_bad_option("query", argv[optind - 1]);
			rc = tip_usage("query");
			goto out;
		}
	}
	if (nkeys != 1 || argc - optind != 1 || strcmp(argv[optind], "spam")) {
		fprintf(stderr, "tip query: spam takes one of --domain, --ip, --hash\n");
		rc = tip_usage("query");
		goto out;
	}
	if (!set.n) {
		fprintf(stderr, "tip query: no store given (--store DIR)\n");
		goto out;
	}
	if (since > until) {
		fprintf(stderr, "tip query: --since is after --until\n");
		goto out;
	}
	struct spam_result res;
	if (spam_lookup(&set, key, klen, since, until, &res, &faults) < 0) {
		fprintf(stderr, "tip query: out of memory\n");
		goto out;
	}
	char t1[40], t2[40];
	if (json) {
		for (size_t i = 0; i < res.n; i++) {
			const struct spam_message *m = &res.msgs[i];
			char hex[65];
			util_hex(hex, m->digest, 32);
			util_fmt_time(t1, sizeof t1, m->first_us);
			util_fmt_time(t2, sizeof t2, m->last_us);
			printf("{\"digest\":\"%s\",\"count\":%llu,\"first_seen\":\"%s\",\"last_seen\":\"%s\",\"sender\":",
			       hex, (unsigned long long)m->count, t1, t2);
			if (m->sender.family) {
				putchar('"');
				put_ip(stdout, &m->sender);
				putchar('"');
			} else {
				fputs("null", stdout);
			}
			fputs(",\"from\":", stdout);
			json_put_str(stdout, m->from, strlen(m->from));
			fputs(",\"subject\":", stdout);
			json_put_str(stdout, m->subject, m->subject_len);
			fputs(",\"sensor\":", stdout);
			json_put_str(stdout, m->sensor, strlen(m->sensor));
			fputs("}\n", stdout);
		}
	} else {
		printf("%-20s %-20s %6s  %-15s %-24s %s\n", "First seen", "Last seen", "Count", "Sender",
		       "From", "Subject");
		for (size_t i = 0; i < res.n; i++) {
			const struct spam_message *m = &res.msgs[i];
			util_fmt_time(t1, sizeof t1, m->first_us);
			util_fmt_time(t2, sizeof t2, m->last_us);
			printf("%-20s %-20s %6llu  ", t1, t2, (unsigned long long)m->count);
			put_ip(stdout, &m->sender);
			printf(" ");
			util_put_text(stdout, m->from[0] ? m->from : "-", m->from[0] ? strlen(m->from) : 1);
			printf(" ");
			util_put_text(stdout, m->subject, m->subject_len);
			putchar('\n');
		}
		if (res.n) {
			util_fmt_time(t1, sizeof t1, res.first_us);
			util_fmt_time(t2, sizeof t2, res.last_us);
			printf("%zu messages seen %llu times, first %s, last %s\n", res.n,
			       (unsigned long long)res.count, t1, t2);
		} else {
			printf("0 messages\n");
		}
	}
	spam_result_free(&res);
	rc = fflush(stdout) || ferror(stdout) ? 2 : faults.n ? 1 : 0;
out:
	store_set_free(&set);
	return rc;
}
