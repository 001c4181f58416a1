/*
 * fetchget: drive sensor/fetch on a libev loop from the command line, for
 * tests/integration/fetch.sh and the HTTPS bench.  Writes the body to -o
 * (default stdout), then one result line on stderr:
 *
 *   result err=NAME status=N not_modified=0|1 body=BYTES wire=BYTES redirects=N
 *          retryable=0|1 etag=... last_modified=... url=FINAL peer=ADDR
 *          seconds=S cpu=S
 *
 * and, on failure, the log line a module would write:
 *   fetchget: fetch: URL: NAME: MESSAGE
 * Exit 0 when err=ok, 1 otherwise, 2 on usage errors.
 *
 * usage: fetchget [-c CAFILE] [-k] [-e ETAG] [-m LAST_MODIFIED] [-b MAX_BYTES]
 *                 [-C CONNECT_S] [-R READ_S] [-T TOTAL_S] [-r MAX_REDIRECTS]
 *                 [-a CONNECT_TO] [-4|-6] [-s DNS_SERVER] [-u] [-n COUNT] [-p PARALLEL]
 *                 [-x ABORT_AFTER_BYTES] [-o FILE] URL
 * -u: the clock is declared not set (clock_set_synced(0)), as on a router
 * before NTP.  -n: fetch COUNT times one after the other (bench), the body
 * written only the first time.  -p: PARALLEL fetches at once on the one
 * loop (they share one decoding of the CA file), bodies not written.  -x: on_data returns -1 once that many
 * bytes came.  -s: resolve names with the daemon's resolver against that
 * server; without it only IP literals, localhost and -a work.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <ev.h>

#include "clock.h"
#include "fetch.h"
#include "log.h"
#include "resolver.h"

static FILE *out;
static int write_body = 1;
static uint64_t got, abort_after;
static int last_err = -1;
static int open_fetches, any_failed;

static int on_data(void *arg, const unsigned char *p, size_t n)
{
	got += n;
	if (write_body && fwrite(p, 1, n, out) != n)
		return -1;
	if (abort_after && got >= abort_after)
		return -1;
	return 0;
}

static double cpu_now(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static double cpu0;

static void on_done(void *arg, const struct fetch_result *r)
{
	const char *url = arg;
	last_err = r->err;
	fprintf(stderr,
		"result err=%s status=%d not_modified=%d body=%llu wire=%llu redirects=%d retryable=%d "
		"etag=%s last_modified=%s url=%s peer=%s seconds=%.3f cpu=%.3f\n",
		fetch_err_name(r->err), r->status, r->not_modified, (unsigned long long)r->body_bytes,
		(unsigned long long)r->wire_bytes, r->redirects, r->retryable, r->etag[0] ? r->etag : "-",
		r->last_modified[0] ? r->last_modified : "-", r->final_url, r->peer[0] ? r->peer : "-",
		r->duration_s, cpu_now() - cpu0);
	if (r->err)
		log_warnx("fetch: %s: %s: %s", url, fetch_err_name(r->err), r->errmsg);
	if (r->err != FETCH_OK)
		any_failed = 1;
	if (--open_fetches == 0)
		ev_break(EV_DEFAULT, EVBREAK_ALL);
}

static void usage(void)
{
	fprintf(stderr, "usage: fetchget [-c CAFILE] [-k] [-e ETAG] [-m LASTMOD] [-b MAX] [-C S] [-R S] [-T S]\n"
			"                [-r N] [-a ADDR] [-4|-6] [-s DNS] [-u] [-n COUNT] [-p PAR] [-x BYTES] [-o FILE] URL\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct fetch_opts o = {0};
	const char *outpath = NULL, *dns = NULL;
	int count = 1, par = 1, c;
	while ((c = getopt(argc, argv, "c:ke:m:b:C:R:T:r:a:46s:un:p:x:o:")) != -1) {
		switch (c) {
		case 'c': o.ca_file = optarg; break;
		case 'k': o.insecure = 1; break;
		case 'e': o.etag = optarg; break;
		case 'm': o.last_modified = optarg; break;
		case 'b': o.max_bytes = strtoull(optarg, NULL, 10); break;
		case 'C': o.connect_timeout = atof(optarg); break;
		case 'R': o.read_timeout = atof(optarg); break;
		case 'T': o.total_timeout = atof(optarg); break;
		case 'r': o.max_redirects = atoi(optarg); break;
		case 'a': o.connect_to = optarg; break;
		case '4': o.family = 4; break;
		case '6': o.family = 6; break;
		case 's': dns = optarg; break;
		case 'u': clock_set_synced(0); break;
		case 'n': count = atoi(optarg); break;
		case 'p': par = atoi(optarg); break;
		case 'x': abort_after = strtoull(optarg, NULL, 10); break;
		case 'o': outpath = optarg; break;
		default: usage();
		}
	}
	if (optind != argc - 1 || count < 1 || par < 1 || par > 64)
		usage();
	o.url = argv[optind];
	log_init("fetchget", 1, LOG_LVL_INFO);
	out = stdout;
	if (outpath && !(out = fopen(outpath, "w"))) {
		fprintf(stderr, "fetchget: %s: %s\n", outpath, strerror(errno));
		return 2;
	}
	struct ev_loop *loop = ev_default_loop(0);
	struct resolver *res = NULL;
	if (dns) {
		struct resolver_config rc;
		const char *why = NULL;
		resolver_config_defaults(&rc);
		rc.servers = dns;
		rc.timeout = 1;
		if (!(res = resolver_new(loop, &rc, &why))) {
			fprintf(stderr, "fetchget: resolver: %s\n", why ? why : strerror(errno));
			return 2;
		}
	}
	struct fetch_cb cb = {on_data, on_done};
	int failed = 0;
	cpu0 = cpu_now();
	for (int i = 0; i < count; i++) {
		last_err = -1;
		got = 0;
		any_failed = 0;
		if (par > 1)
			write_body = 0;	/* -p: the bodies are counted, not written */
		for (int k = 0; k < par; k++) {
			if (!fetch_start(loop, res, &o, &cb, (void *)o.url)) {
				fprintf(stderr, "fetchget: fetch_start: %s\n", strerror(errno));
				return 2;
			}
			open_fetches++;
		}
		ev_run(loop, 0);
		if (any_failed || last_err != FETCH_OK)
			failed = 1;
		write_body = 0;
	}
	if (res)
		resolver_free(res);
	if (out != stdout)
		fclose(out);
	else
		fflush(stdout);
	return failed;
}
