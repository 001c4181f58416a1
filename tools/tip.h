/*
 * tip: the offline tool.  One binary, one function per command; main.c
 * holds the table.  Every command returns the process exit status:
 * 0 success, 1 the data has faults (verify) or nothing matched, 2 usage
 * or I/O errors.  Errors go to stderr as "tip CMD: what: detail".
 */
#ifndef TIP_TOOL_H
#define TIP_TOOL_H

struct tip_cmd {
	const char *name;
	int (*run)(int argc, char **argv);	/* argv[0] is the command name */
	const char *usage;
};

int cmd_import(int argc, char **argv);
int cmd_import_mail(int argc, char **argv);	/* import maildir|mbox (import_mail.c) */
int cmd_dump(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_submit(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_clock(int argc, char **argv);
int cmd_asn(int argc, char **argv);
int cmd_query(int argc, char **argv);
int cmd_query_spam(int argc, char **argv);	/* query spam (query_spam.c) */
int cmd_blacklist(int argc, char **argv);
int cmd_graph(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_compact(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_keygen(int argc, char **argv);
int cmd_pull(int argc, char **argv);

/*
 * The CSV and COF output of `tip query` (query.c), to any stream, shared
 * with `tip serve` so a download is byte for byte what the command prints.
 */
#include <stdio.h>
struct agg_rrsets;
struct agg_flux_row;
struct agg_domain;
struct agg_ipq;
struct agg_filter;
struct agg_faults;
struct asn_db;
struct store_set;
void query_put_cof(FILE *f, const struct agg_rrsets *rr);
void query_csv_flux_header(FILE *f);
void query_csv_flux_row(FILE *f, const struct agg_flux_row *r);
/* Every RRset of name (agg_domain_lookup) as COF lines. */
void query_cof_domain(FILE *f, const struct store_set *set, const struct asn_db *db,
		      const struct agg_filter *filter, const char *name);
/* Header and one line per address of d (ASN, PTR and country by agg_ip_info). */
void query_csv_domain(FILE *f, const struct agg_domain *d);
void query_csv_ip(FILE *f, const struct agg_ipq *q);

/* Print "tip CMD: usage: ..." and return 2. */
int tip_usage(const char *cmd);

#endif
