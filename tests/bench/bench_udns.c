/*
 * bench_udns: the anchor of the resolver-loop benchmark: a bare udns 0.4
 * client of our own, on libev, keeping a fixed number of A queries in flight
 * on one context (one socket), nothing else: no wrapper, no parsing beyond
 * udns' own, no scoring, no storage.  tests/bench/bench_flux.sh runs it
 * against the same NSD and the same names as tipd, in the same run:
 *
 *     bench_udns --server 127.0.0.1:PORT --names FILE --n COUNT [--inflight 100]
 *
 * and it prints
 *     bench udns_bare_qps VALUE qps [inflight=.. ok=.. failed=..]
 *     bench udns_bare_cpu VALUE us/lookup
 * Run by tests/bench/run.sh with only a scratch folder, it has no server
 * to ask: it says so and exits 0.  Loopback only: the server is given.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <ev.h>
#include <udns.h>

static struct ev_loop *loop;
static struct dns_ctx *ctx;
static ev_io io;
static ev_timer tm;
static char **names;
static size_t nnames, next_name;
static long target, sent, done, ok, failed;

static void submit_one(void);

static void on_a4(struct dns_ctx *c, struct dns_rr_a4 *result, void *data)
{
	(void)data;
	done++;
	if (result) {
		ok++;
		free(result);
	} else {
		failed++;
	}
	(void)c;
	if (sent < target)
		submit_one();
	else if (done == target)
		ev_break(loop, EVBREAK_ALL);
}

static void submit_one(void)
{
	const char *n = names[next_name++ % nnames];
	if (!dns_submit_a4(ctx, n, DNS_NOSRCH, on_a4, NULL)) {
		fprintf(stderr, "bench_udns: submit %s: %s\n", n, dns_strerror(dns_status(ctx)));
		exit(2);
	}
	sent++;
}

static void on_io(struct ev_loop *l, ev_io *w, int revents)
{
	(void)w;
	(void)revents;
	dns_ioevent(ctx, (time_t)ev_now(l));
}

static void on_timer(struct ev_loop *l, ev_timer *w, int revents)
{
	(void)w;
	(void)revents;
	dns_timeouts(ctx, -1, (time_t)ev_now(l));
}

static void set_timer(struct dns_ctx *c, int timeout, void *data)
{
	(void)c;
	(void)data;
	ev_timer_stop(loop, &tm);
	if (timeout >= 0) {
		ev_timer_set(&tm, timeout, 0.);
		ev_timer_start(loop, &tm);
	}
}

static double cpu_seconds(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static int read_names(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[300];
	size_t alloc = 0;
	if (!f)
		return -1;
	while (fgets(line, sizeof line, f)) {
		line[strcspn(line, "\r\n")] = '\0';
		if (!line[0])
			continue;
		if (nnames == alloc) {
			alloc = alloc ? alloc * 2 : 1024;
			names = realloc(names, alloc * sizeof *names);
			if (!names)
				return -1;
		}
		names[nnames] = strdup(line);
		if (!names[nnames])
			return -1;
		nnames++;
	}
	fclose(f);
	return nnames ? 0 : -1;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"server", required_argument, NULL, 's'},
		{"names", required_argument, NULL, 'f'},
		{"n", required_argument, NULL, 'n'},
		{"inflight", required_argument, NULL, 'i'},
		{NULL, 0, NULL, 0},
	};
	const char *server = NULL, *file = NULL;
	long inflight = 100;
	int o;
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 's': server = optarg; break;
		case 'f': file = optarg; break;
		case 'n': target = atol(optarg); break;
		case 'i': inflight = atol(optarg); break;
		default:
			fprintf(stderr, "usage: bench_udns --server ADDR:PORT --names FILE --n N "
					"[--inflight K]\n");
			return 2;
		}
	}
	if (!server || !file) {
		printf("# bench_udns: no server given; tests/bench/bench_flux.sh runs it against NSD\n");
		return 0;
	}
	char host[64];
	int port = 53;
	const char *colon = strrchr(server, ':');
	if (colon) {
		snprintf(host, sizeof host, "%.*s", (int)(colon - server), server);
		port = atoi(colon + 1);
	} else {
		snprintf(host, sizeof host, "%s", server);
	}
	struct in_addr a;
	if (inet_pton(AF_INET, host, &a) != 1 || (ntohl(a.s_addr) >> 24) != 127) {
		fprintf(stderr, "bench_udns: %s: give a loopback IPv4 address\n", host);
		return 2;
	}
	if (read_names(file) < 0 || target <= 0 || inflight <= 0) {
		fprintf(stderr, "bench_udns: no names in %s, or a bad count\n", file);
		return 2;
	}

	loop = ev_default_loop(0);
	dns_init(NULL, 0);
	ctx = dns_new(NULL);
	if (!ctx || dns_add_serv(ctx, NULL) < 0 || dns_add_serv(ctx, host) < 0 ||
	    dns_set_opt(ctx, DNS_OPT_PORT, port) < 0 || dns_set_opt(ctx, DNS_OPT_TIMEOUT, 2) < 0 ||
	    dns_set_opt(ctx, DNS_OPT_NTRIES, 2) < 0) {
		fprintf(stderr, "bench_udns: udns setup failed\n");
		return 2;
	}
	int fd = dns_open(ctx);
	if (fd < 0) {
		fprintf(stderr, "bench_udns: dns_open: %s\n", strerror(errno));
		return 2;
	}
	ev_io_init(&io, on_io, fd, EV_READ);
	ev_io_start(loop, &io);
	ev_init(&tm, on_timer);
	dns_set_tmcbck(ctx, set_timer, NULL);

	ev_now_update(loop);
	double t0 = ev_time(), c0 = cpu_seconds();
	while (sent < target && sent < inflight)
		submit_one();
	ev_run(loop, 0);
	double wall = ev_time() - t0, cpu = cpu_seconds() - c0;
	printf("bench udns_bare_qps %.0f qps inflight=%ld ok=%ld failed=%ld\n",
	       wall > 0 ? done / wall : 0.0, inflight, ok, failed);
	printf("bench udns_bare_cpu %.2f us/lookup\n", done ? cpu * 1e6 / done : 0.0);
	dns_free(ctx);
	for (size_t i = 0; i < nnames; i++)
		free(names[i]);
	free(names);
	return failed > done / 100 ? 1 : 0;
}
