/*
 * resolve: a test driver for sensor/resolver (and cymru, asn, flux_score)
 * against real servers on loopback; tests/integration/resolver.sh runs it
 * against PowerDNS.  One line per outcome, easy to grep:
 *
 *   answer NAME TYPE OUTCOME rcode=R n=N ttl=T tcp=0|1 sent=S elapsed=SEC data=D,D,...
 *   cancelled NAME TYPE
 *   flux NAME lookups=K nA=.. nASN=.. score=.. margin=.. flux=0|1 fluxiness=.. ttl=.. unknown=..
 *   addrs NAME A,A,...              (after each flux line: the unique addresses)
 *   stats submitted=.. ok=.. ... tcp_started=..
 *   bench n=.. ok=.. wall=SEC qps=.. cpu_us=..   (--bench N: N lookups of the
 *                                   names in turn, as fast as the caps allow)
 *
 * usage: resolve [-s SERVER]... [-t TIMEOUT] [-T TRIES] [-e EDNS] [-q QPS]
 *                [-C CONTEXTS] [-P PER_CONTEXT] [--bench N]
 *                [--cancel-after SEC] [--flux COUNT] [--interval SEC]
 *                [--asn-zone ZONE | --asn-db FILE] TYPE NAME [TYPE NAME]...
 * TYPE is A, AAAA, NS, PTR or TXT.  Without -s it uses /etc/resolv.conf
 * (the tests always give -s).  --flux asks each A name COUNT times, one
 * lookup after the other, then maps every address to its ASN (TXT in the
 * Cymru-format zone, or the offline table) and prints the Holz verdict.
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <sys/resource.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ev.h>

#include "asn_db.h"
#include "cymru.h"
#include "flux_score.h"
#include "resolver.h"

#define MAX_JOBS 64

struct job {
	const char *name;
	enum resolver_type type;
	struct resolver_query *q;
	int done;
	/* --flux */
	int lookups;
	struct flux_sets sets;
	uint32_t min_ttl;
	unsigned pending_txt;	/* TXT lookups in flight */
	unsigned unknown;	/* addresses with no ASN */
};

struct txtjob {
	struct job *j;
	uint32_t ip;
};

static struct ev_loop *loop;
static struct resolver *res;
static struct job jobs[MAX_JOBS];
static int njobs, open_jobs;
static int flux_count;
static double interval;
static const char *asn_zone = "origin.asn.test";
static struct asn_db db;
static int have_db;

/* --bench */
static long bench_n, bench_sent, bench_done, bench_ok;
static int bench_next;

static void bench_submit(void);

static void on_bench(struct resolver_query *q, const struct resolver_answer *a, void *arg)
{
	(void)q;
	(void)arg;
	bench_done++;
	bench_ok += a->outcome == RESOLVER_OK;
	if (bench_sent < bench_n)
		bench_submit();
	else if (bench_done == bench_n)
		ev_break(loop, EVBREAK_ALL);
}

static void bench_submit(void)
{
	struct job *j = &jobs[bench_next++ % njobs];
	if (!resolver_submit(res, j->type, j->name, on_bench, NULL)) {
		perror("resolve: bench submit");
		exit(2);
	}
	bench_sent++;
}

static double cpu_seconds(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static void bench(void)
{
	long window = 2000;
	ev_now_update(loop);
	double t0 = ev_now(loop), c0 = cpu_seconds();
	while (bench_sent < bench_n && bench_sent < window)
		bench_submit();
	ev_run(loop, 0);
	ev_now_update(loop);
	double wall = ev_now(loop) - t0, cpu = cpu_seconds() - c0;
	printf("bench n=%ld ok=%ld wall=%.3f qps=%.0f cpu_us=%.2f\n", bench_done, bench_ok, wall,
	       wall > 0 ? bench_done / wall : 0.0, bench_done ? cpu * 1e6 / bench_done : 0.0);
}

static const char *type_name(enum resolver_type t)
{
	switch (t) {
	case RESOLVER_A: return "A";
	case RESOLVER_AAAA: return "AAAA";
	case RESOLVER_NS: return "NS";
	case RESOLVER_PTR: return "PTR";
	case RESOLVER_TXT: return "TXT";
	}
	return "?";
}

static int parse_type(const char *s, enum resolver_type *t)
{
	static const struct { const char *n; enum resolver_type t; } types[] = {
		{"A", RESOLVER_A}, {"AAAA", RESOLVER_AAAA}, {"NS", RESOLVER_NS},
		{"PTR", RESOLVER_PTR}, {"TXT", RESOLVER_TXT},
	};
	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
		if (!strcasecmp(s, types[i].n)) {
			*t = types[i].t;
			return 0;
		}
	return -1;
}

/* Print text with anything unprintable, space, comma and backslash escaped. */
static void put_text(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c <= ' ' || c > '~' || c == ',' || c == '\\')
			printf("\\%03u", c);
		else
			putchar(c);
	}
}

static void job_finished(void)
{
	if (--open_jobs == 0)
		ev_break(loop, EVBREAK_ALL);
}

static void print_answer(const struct resolver_answer *a, const char *name)
{
	printf("answer %s %s %s rcode=%d n=%u ttl=%u tcp=%d sent=%u elapsed=%.3f", name,
	       type_name((enum resolver_type)a->qtype), resolver_outcome_name(a->outcome), a->rcode, a->n,
	       a->ttl, a->tcp, a->sent, a->elapsed);
	if (a->why)
		printf(" why=%s", a->why);
	printf(" data=");
	for (unsigned i = 0; i < a->n; i++) {
		const struct resolver_rr *rr = &a->rr[i];
		char buf[64];
		if (i)
			putchar(',');
		if (rr->type == RESOLVER_A || rr->type == RESOLVER_AAAA)
			fputs(inet_ntop(rr->type == RESOLVER_A ? AF_INET : AF_INET6, rr->u.addr, buf, sizeof buf),
			      stdout);
		else
			put_text(rr->u.text, rr->len);
	}
	putchar('\n');
	fflush(stdout);
}

static void flux_report(struct job *j)
{
	struct flux_verdict v;
	flux_sets_verdict(&j->sets, &v);
	printf("flux %s lookups=%d nA=%u nASN=%u score=%.2f margin=%.2f flux=%d fluxiness=%.3f ttl=%u unknown=%u capped=%d\n",
	       j->name, j->lookups, v.n_a, v.n_asn, v.score_x100 / 100.0, v.margin_x100 / 100.0, v.flux,
	       flux_sets_fluxiness(&j->sets), j->min_ttl, j->unknown, v.capped);
	printf("addrs %s", j->name);
	for (unsigned i = 0; i < j->sets.a.n; i++) {
		uint32_t a = ((const uint32_t *)j->sets.a.v)[i];
		printf("%c%u.%u.%u.%u", i ? ',' : ' ', a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
	}
	putchar('\n');
	fflush(stdout);
	flux_sets_fini(&j->sets);
	job_finished();
}

static void on_txt(struct resolver_query *q, const struct resolver_answer *a, void *arg)
{
	struct txtjob *t = arg;
	struct job *j = t->j;
	struct cymru_info ci;
	int found = 0;
	(void)q;
	for (unsigned i = 0; a->outcome == RESOLVER_OK && i < a->n && !found; i++)
		if (cymru_parse_origin(a->rr[i].u.text, a->rr[i].len, &ci, NULL) == 0) {
			for (unsigned k = 0; k < ci.n_asn; k++)
				flux_sets_add_asn(&j->sets, ci.asn[k]);
			found = 1;
		}
	if (!found)
		j->unknown++;
	free(t);
	if (--j->pending_txt == 0)
		flux_report(j);
}

/* All lookups done: map the addresses to ASNs. */
static void flux_enrich(struct job *j)
{
	const uint32_t *v = j->sets.a.v;
	unsigned n = j->sets.a.n;
	if (have_db || n == 0) {
		for (unsigned i = 0; i < n; i++) {
			struct asn_info in;
			if (asn_db_lookup(&db, v[i], &in) == 1 && in.asn)
				flux_sets_add_asn(&j->sets, in.asn);
			else
				j->unknown++;
		}
		flux_report(j);
		return;
	}
	j->pending_txt = n;
	for (unsigned i = 0; i < n; i++) {
		char qn[256];
		struct txtjob *t = malloc(sizeof *t);
		t->j = j;
		t->ip = v[i];
		cymru_origin_qname(v[i], asn_zone, qn, sizeof qn);
		if (!resolver_submit(res, RESOLVER_TXT, qn, on_txt, t)) {
			free(t);
			j->unknown++;
			if (--j->pending_txt == 0)
				flux_report(j);
		}
	}
}

static void on_flux_answer(struct resolver_query *q, const struct resolver_answer *a, void *arg);

static void flux_next(struct job *j)
{
	j->q = resolver_submit(res, RESOLVER_A, j->name, on_flux_answer, j);
	if (!j->q) {
		perror("resolve: submit");
		exit(2);
	}
}

static void on_interval(struct ev_loop *l, ev_timer *w, int revents)
{
	struct job *j = w->data;
	(void)l;
	(void)revents;
	free(w);
	flux_next(j);
}

static void on_flux_answer(struct resolver_query *q, const struct resolver_answer *a, void *arg)
{
	struct job *j = arg;
	(void)q;
	j->q = NULL;
	j->lookups++;
	if (a->outcome == RESOLVER_OK) {
		for (unsigned i = 0; i < a->n; i++)
			flux_sets_add_a(&j->sets, (uint32_t)a->rr[i].u.addr[0] << 24 | (uint32_t)a->rr[i].u.addr[1] << 16 |
						  (uint32_t)a->rr[i].u.addr[2] << 8 | a->rr[i].u.addr[3]);
		flux_sets_answer(&j->sets, a->n);
		if (j->min_ttl == 0 || a->ttl < j->min_ttl)
			j->min_ttl = a->ttl;
	}
	if (j->lookups < flux_count) {
		if (interval > 0) {
			ev_timer *t = malloc(sizeof *t);
			ev_timer_init(t, on_interval, interval, 0.);
			t->data = j;
			ev_timer_start(loop, t);
		} else {
			flux_next(j);
		}
		return;
	}
	flux_enrich(j);
}

static void on_answer(struct resolver_query *q, const struct resolver_answer *a, void *arg)
{
	struct job *j = arg;
	(void)q;
	j->q = NULL;
	j->done = 1;
	print_answer(a, j->name);
	job_finished();
}

static void on_cancel_timer(struct ev_loop *l, ev_timer *w, int revents)
{
	(void)w;
	(void)revents;
	for (int i = 0; i < njobs; i++)
		if (jobs[i].q) {
			resolver_cancel(res, jobs[i].q);
			jobs[i].q = NULL;
			printf("cancelled %s %s\n", jobs[i].name, type_name(jobs[i].type));
			fflush(stdout);
			job_finished();
		}
	(void)l;
}

static void print_stats(void)
{
	struct resolver_stats st;
	resolver_stats(res, &st);
	printf("stats submitted=%llu", (unsigned long long)st.submitted);
	for (int o = 0; o < RESOLVER__OUTCOMES; o++)
		printf(" %s=%llu", resolver_outcome_name((enum resolver_outcome)o),
		       (unsigned long long)st.outcome[o]);
	printf(" caller_cancelled=%llu udp_sent=%llu udp_replies=%llu udp_truncated=%llu udp_unmatched=%llu"
	       " tcp_started=%llu tcp_failed=%llu rcvbuf=%d\n",
	       (unsigned long long)st.cancelled, (unsigned long long)st.udp_sent,
	       (unsigned long long)st.udp_replies, (unsigned long long)st.udp_truncated,
	       (unsigned long long)st.udp_unmatched, (unsigned long long)st.tcp_started,
	       (unsigned long long)st.tcp_failed, st.rcvbuf);
}

static void usage(void)
{
	fprintf(stderr, "usage: resolve [-s SERVER]... [-t TIMEOUT] [-T TRIES] [-e EDNS] [-q QPS]\n"
			"               [-C CONTEXTS] [-P PER_CONTEXT] [--bench N]\n"
			"               [--cancel-after SEC] [--flux COUNT] [--interval SEC]\n"
			"               [--asn-zone ZONE | --asn-db FILE] TYPE NAME [TYPE NAME]...\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"cancel-after", required_argument, NULL, 'c'},
		{"flux", required_argument, NULL, 'f'},
		{"interval", required_argument, NULL, 'i'},
		{"asn-zone", required_argument, NULL, 'z'},
		{"asn-db", required_argument, NULL, 'd'},
		{"bench", required_argument, NULL, 'b'},
		{NULL, 0, NULL, 0},
	};
	struct resolver_config cfg;
	char servers[512] = "";
	double cancel_after = -1;
	const char *why = NULL;
	int opt;

	resolver_config_defaults(&cfg);
	cfg.timeout = 1;
	cfg.tries = 2;
	while ((opt = getopt_long(argc, argv, "s:t:T:e:q:C:P:", longopts, NULL)) != -1) {
		switch (opt) {
		case 's':
			if (strlen(servers) + strlen(optarg) + 2 > sizeof servers)
				usage();
			strcat(servers, " ");
			strcat(servers, optarg);
			break;
		case 't': cfg.timeout = (unsigned)atoi(optarg); break;
		case 'T': cfg.tries = (unsigned)atoi(optarg); break;
		case 'e': cfg.edns_size = (unsigned)atoi(optarg); break;
		case 'q': cfg.qps = (unsigned)atoi(optarg); break;
		case 'C': cfg.contexts = (unsigned)atoi(optarg); break;
		case 'P': cfg.per_ctx_inflight = (unsigned)atoi(optarg); break;
		case 'b': bench_n = atol(optarg); break;
		case 'c': cancel_after = atof(optarg); break;
		case 'f': flux_count = atoi(optarg); break;
		case 'i': interval = atof(optarg); break;
		case 'z': asn_zone = optarg; break;
		case 'd':
			if (asn_db_open(&db, optarg, &why) < 0) {
				fprintf(stderr, "resolve: %s: %s\n", optarg, why ? why : "cannot open");
				return 2;
			}
			have_db = 1;
			break;
		default: usage();
		}
	}
	if (optind >= argc || (argc - optind) % 2)
		usage();
	if (servers[0])
		cfg.servers = servers;
	cfg.max_inflight = 0;	/* contexts x per-context */
	loop = ev_default_loop(0);
	res = resolver_new(loop, &cfg, &why);
	if (!res) {
		fprintf(stderr, "resolve: resolver: %s\n", why ? why : "?");
		return 2;
	}
	for (int i = optind; i + 1 < argc && njobs < MAX_JOBS; i += 2) {
		struct job *j = &jobs[njobs++];
		if (parse_type(argv[i], &j->type) < 0)
			usage();
		j->name = argv[i + 1];
		if (bench_n > 0)
			continue;
		open_jobs++;
		if (flux_count > 0) {
			flux_sets_init(&j->sets, 0, 0, 0);
			flux_next(j);
			continue;
		}
		j->q = resolver_submit(res, j->type, j->name, on_answer, j);
		if (!j->q) {
			printf("answer %s %s refused-by-submit\n", j->name, type_name(j->type));
			job_finished();
		}
	}
	if (bench_n > 0) {
		bench();
		print_stats();
		resolver_free(res);
		return 0;
	}
	ev_timer ct;
	if (cancel_after >= 0) {
		ev_timer_init(&ct, on_cancel_timer, cancel_after, 0.);
		ev_timer_start(loop, &ct);
	}
	if (open_jobs > 0)
		ev_run(loop, 0);
	if (cancel_after >= 0)
		ev_timer_stop(loop, &ct);
	print_stats();
	resolver_free(res);
	if (have_db)
		asn_db_close(&db);
	return 0;
}
