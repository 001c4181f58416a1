/*
 * bench_skeleton: the footprint anchor of tipd, a bare libev + udns
 * program: one event loop, one udns context with its UDP socket watched by
 * the loop, one timer, then idle.  tests/bench/tipd.sh measures it beside
 * a running tipd (stripped size, PSS, private and RSS bytes), so tipd's
 * figures read against the least a daemon built on the same two libraries
 * costs on this machine.  Usage:
 *     bench_skeleton --idle [READY]
 * idles until a signal ends it; READY, when given, is created once the
 * loop runs.  Run any other way (tests/bench/run.sh runs every bench_*
 * with a scratch folder) it says so and exits 0: it has no figure of its
 * own.  The context is set up as sensor/resolver.c does (no resolv.conf
 * read) with the loopback server; no query is ever sent.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <ev.h>
#include <udns.h>

static const char *ready;

static void on_io(struct ev_loop *loop, ev_io *w, int revents)
{
	dns_ioevent(w->data, (time_t)ev_now(loop));
}

static void on_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	dns_timeouts(w->data, -1, (time_t)ev_now(loop));
	if (ready) {
		int fd = open(ready, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
		if (fd >= 0)
			close(fd);
		ready = NULL;
	}
}

int main(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--idle") != 0 || argc > 3) {
		printf("# bench_skeleton: footprint anchor, measured by tests/bench/tipd.sh\n");
		return 0;
	}
	ready = argc == 3 ? argv[2] : NULL;

	struct ev_loop *loop = ev_default_loop(EVFLAG_AUTO);
	if (!loop) {
		fprintf(stderr, "bench_skeleton: no event loop\n");
		return 1;
	}
	dns_reset(NULL);
	struct dns_ctx *ctx = dns_new(NULL);
	if (!ctx || dns_add_serv(ctx, NULL) < 0 || dns_add_serv(ctx, "127.0.0.1") < 0) {
		fprintf(stderr, "bench_skeleton: udns context\n");
		return 1;
	}
	int fd = dns_open(ctx);
	if (fd < 0) {
		fprintf(stderr, "bench_skeleton: udns socket\n");
		return 1;
	}
	ev_io io;
	ev_timer timer;
	ev_io_init(&io, on_io, fd, EV_READ);
	io.data = ctx;
	ev_io_start(loop, &io);
	ev_timer_init(&timer, on_timer, 0.01, 1.0);
	timer.data = ctx;
	ev_timer_start(loop, &timer);
	ev_run(loop, 0);
	dns_free(ctx);
	return 0;
}
