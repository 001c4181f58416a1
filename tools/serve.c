/*
 * serve: `tip serve [--listen ADDR:PORT] [--asn FILE] [--timeout S]
 *        [--max-conn N] --store DIR...`: a read-only web view of stores.
 *
 * One libev loop thread owns every socket, non-blocking: a client that
 * sends slowly or never, or sends garbage, holds only its own connection,
 * which its timer ends.  Pages that read the stores are made by --workers
 * threads (default 2) from a copy of the request, into their own buffer,
 * and handed back with ev_async; the loop meanwhile goes on serving the
 * fixed routes, error answers and every other connection's bytes, so a
 * page that takes long (a scan of a year of segments) stalls no socket.
 * The workers share only read-only things (stores, ASN table) and the
 * flux cache, under its mutex.  Per connection: an 8 KiB head buffer (http.h limits),
 * one deadline for the whole head counted from its first byte (a client
 * dribbling bytes does not extend it: slowloris), the same deadline for
 * writing the answer, an idle deadline between keep-alive requests.
 * Past --max-conn connections the listener pauses (the kernel queues).
 *
 * The pages themselves, and the one route table saying which of them
 * read the stores (so a worker runs them), are page.c's.
 *
 * Stop: SIGTERM or SIGINT closes the listener and idle connections, lets
 * answers being written finish (bounded by their deadline), and returns 0.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <ev.h>

#include "agg.h"
#include "cdefs.h"
#include "clock.h"
#include "http.h"
#include "list.h"
#include "page.h"
#include "store.h"
#include "tip.h"
#include "util.h"

#define SERVE_IDLE_S 5.0		/* between keep-alive requests */
#define SERVE_LINGER_S 2.0		/* draining a client after an error answer */

enum cstate { C_READ, C_WORK, C_WRITE, C_LINGER };

struct srv;
struct conn;

/* One request on its way: to a worker (or the loop) and back. */
struct job {
	struct page_job pj;
	struct conn *conn;	/* NULL when the connection went away first */
	struct link link;	/* on srv.queue or srv.done */
};

struct conn {
	ev_io io;
	ev_timer tm;
	struct srv *s;
	int fd;
	enum cstate st;
	int close_after;
	uint8_t in[HTTP_HEAD_MAX];
	size_t in_len;
	struct job *job;	/* C_WORK: the request a worker has */
	struct hbuf out;
	size_t out_off;
	struct link link;	/* on srv.conns */
};

struct srv {
	struct ev_loop *loop;
	ev_io accept_w;
	ev_signal sig_int, sig_term;
	int fd;
	struct page_ctx pg;	/* what the pages read */
	double timeout_s;
	size_t max_conn;
	int stopping;
	struct fifo conns;	/* at most max_conn: taking one off is a short walk */
	/* workers: queue -> page function -> done -> ev_async -> the loop sends */
	pthread_t *workers;
	unsigned n_workers, started;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct fifo queue, done;
	int quit;
	ev_async async;
	size_t pending;		/* jobs handed to workers and not back yet (loop only) */
};

/* ---- jobs ------------------------------------------------------------------- */

static struct job *job_new(struct srv *s, struct conn *c)
{
	struct job *j = calloc(1, sizeof *j);
	if (!j)
		return NULL;
	page_job_init(&j->pj, &s->pg);
	j->conn = c;
	return j;
}

static void job_free(struct job *j)
{
	page_job_fini(&j->pj);
	free(j);
}

static void *worker_main(void *arg)
{
	struct srv *s = arg;
	for (;;) {
		pthread_mutex_lock(&s->mu);
		while (fifo_empty(&s->queue) && !s->quit)
			pthread_cond_wait(&s->cv, &s->mu);
		struct link *l = fifo_pop(&s->queue);
		if (!l) {	/* quit, and nothing left */
			pthread_mutex_unlock(&s->mu);
			return NULL;
		}
		struct job *j = container_of(l, struct job, link);
		pthread_mutex_unlock(&s->mu);
		page_run(&j->pj);
		pthread_mutex_lock(&s->mu);
		fifo_push(&s->done, &j->link);
		pthread_mutex_unlock(&s->mu);
		ev_async_send(s->loop, &s->async);
	}
}

/* ---- connections ---------------------------------------------------------- */

static void conn_close(struct conn *c)
{
	struct srv *s = c->s;
	ev_io_stop(s->loop, &c->io);
	ev_timer_stop(s->loop, &c->tm);
	close(c->fd);
	if (c->job)
		c->job->conn = NULL;	/* a worker has it: its answer is dropped */
	size_t was = s->conns.n;
	(void)fifo_remove(&s->conns, &c->link);
	hbuf_fini(&c->out);
	free(c);
	if (was == s->max_conn && !s->stopping)
		ev_io_start(s->loop, &s->accept_w);
}

static void conn_set_timer(struct conn *c, double after)
{
	ev_timer_stop(c->s->loop, &c->tm);
	ev_timer_set(&c->tm, after, 0.);
	ev_timer_start(c->s->loop, &c->tm);
}

static void conn_watch(struct conn *c, int events)
{
	ev_io_stop(c->s->loop, &c->io);
	ev_io_set(&c->io, c->fd, events);
	ev_io_start(c->s->loop, &c->io);
}

/* Turn a job's answer into bytes on the connection, and start writing. */
static void conn_answer(struct conn *c, struct job *j)
{
	char date[HTTP_DATE_MAX];
	http_date(date, clock_now_us() / 1000000);
	if (j->pj.close_after)
		c->close_after = 1;
	hbuf_reset(&c->out);
	int large = j->pj.body.err;
	if (!large) {
		http_head(&c->out, j->pj.status, j->pj.ctype[0] ? j->pj.ctype : NULL, j->pj.body.len,
			  !c->close_after, date, j->pj.extra[0] ? j->pj.extra : NULL);
		if (!j->pj.head_only)
			hbuf_put(&c->out, j->pj.body.p, j->pj.body.len);
	}
	if (large || c->out.err) {	/* too large: say so instead */
		static const char msg[] = "response too large\n";
		hbuf_reset(&c->out);
		c->close_after = 1;
		http_head(&c->out, 500, "text/plain; charset=utf-8", sizeof msg - 1, 0, date, NULL);
		if (!j->pj.head_only)
			hbuf_puts(&c->out, msg);
	}
	c->out_off = 0;
	c->st = C_WRITE;
	conn_watch(c, EV_WRITE);
	conn_set_timer(c, c->s->timeout_s);
}

/*
 * An error answered by the loop itself (bad head, timeout); then close.
 * detail (NULL none) follows msg on the page, escaped.
 */
static void conn_fail(struct conn *c, int status, const char *msg, const char *detail)
{
	struct job *j = job_new(c->s, c);
	c->close_after = 1;
	c->in_len = 0;
	if (!j) {
		conn_close(c);
		return;
	}
	page_error(&j->pj, status, msg, detail);
	conn_answer(c, j);
	job_free(j);
}

static void conn_process(struct conn *c);

/* The answer is out: next request, or drain and close. */
static void conn_written(struct conn *c)
{
	if (c->out.cap > (1u << 20))	/* do not keep a large download's memory */
		hbuf_fini(&c->out), hbuf_init(&c->out, PAGE_BODY_MAX);
	if (c->close_after || c->s->stopping) {
		shutdown(c->fd, SHUT_WR);
		c->st = C_LINGER;
		c->in_len = 0;
		conn_watch(c, EV_READ);
		conn_set_timer(c, SERVE_LINGER_S);
		return;
	}
	c->st = C_READ;
	conn_watch(c, EV_READ);
	conn_set_timer(c, c->in_len ? c->s->timeout_s : SERVE_IDLE_S);
	if (c->in_len)
		conn_process(c);	/* a pipelined request is already here */
}

static void conn_process(struct conn *c)
{
	struct srv *s = c->s;
	struct job *j = job_new(s, c);
	if (!j) {
		conn_close(c);
		return;
	}
	int k = http_parse(&j->pj.req, c->in, c->in_len);
	if (k == HTTP_MORE) {
		job_free(j);
		return;
	}
	if (k == HTTP_ERROR) {
		int st = j->pj.req.status;
		char where[48];
		snprintf(where, sizeof where, "at byte %zu", j->pj.req.err_off);
		job_free(j);
		conn_fail(c, st, "the request could not be served", where);
		return;
	}
	if (j->pj.req.has_body || !j->pj.req.keep_alive)
		c->close_after = 1;
	size_t rest = c->in_len - j->pj.req.head_len;
	memmove(c->in, c->in + j->pj.req.head_len, rest);
	c->in_len = c->close_after ? 0 : rest;
	j->pj.head_only = j->pj.req.method == HTTP_HEAD;
	if (!page_on_worker(&j->pj.req)) {
		page_run(&j->pj);
		conn_answer(c, j);
		job_free(j);
		return;
	}
	/* to a worker: the connection waits, reading nothing more meanwhile */
	c->st = C_WORK;
	c->job = j;
	ev_io_stop(s->loop, &c->io);
	ev_timer_stop(s->loop, &c->tm);
	pthread_mutex_lock(&s->mu);
	fifo_push(&s->queue, &j->link);
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
	s->pending++;
}

static void srv_maybe_done(struct srv *s)
{
	if (s->stopping && !s->pending)
		ev_async_stop(s->loop, &s->async);	/* nothing keeps the loop: ev_run returns */
}

static void srv_on_async(struct ev_loop *loop TIP_UNUSED, ev_async *w, int revents TIP_UNUSED)
{
	struct srv *s = container_of(w, struct srv, async);
	pthread_mutex_lock(&s->mu);
	struct fifo done;
	fifo_take(&done, &s->done);
	pthread_mutex_unlock(&s->mu);
	for (struct link *l; (l = fifo_pop(&done));) {
		struct job *j = container_of(l, struct job, link);
		s->pending--;
		struct conn *c = j->conn;
		if (c) {
			c->job = NULL;
			conn_answer(c, j);
		}
		job_free(j);
	}
	srv_maybe_done(s);
}

static int again(void)
{
	return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
}

static void conn_on_io(struct ev_loop *loop TIP_UNUSED, ev_io *w, int revents TIP_UNUSED)
{
	struct conn *c = container_of(w, struct conn, io);
	ssize_t n;
	switch (c->st) {
	case C_WRITE:
		n = send(c->fd, c->out.p + c->out_off, c->out.len - c->out_off, MSG_NOSIGNAL);
		if (n < 0 && !again())
			conn_close(c);
		else if (n > 0 && (c->out_off += (size_t)n) == c->out.len)
			conn_written(c);
		break;
	case C_LINGER: {
		char junk[4096];
		n = recv(c->fd, junk, sizeof junk, 0);
		if (n == 0 || (n < 0 && !again()))
			conn_close(c);
		break;
	}
	case C_READ: {
		size_t was = c->in_len;
		n = recv(c->fd, c->in + c->in_len, sizeof c->in - c->in_len, 0);
		if (n == 0 || (n < 0 && !again())) {
			conn_close(c);
			break;
		}
		if (n < 0)
			break;
		c->in_len += (size_t)n;
		if (!was)	/* the deadline of a request runs from its first byte */
			conn_set_timer(c, c->s->timeout_s);
		conn_process(c);
		break;
	}
	case C_WORK:
		break;
	}
}

static void conn_on_timeout(struct ev_loop *loop TIP_UNUSED, ev_timer *w, int revents TIP_UNUSED)
{
	struct conn *c = container_of(w, struct conn, tm);
	if (c->st == C_READ && c->in_len)
		conn_fail(c, 408, "the request took too long", NULL);
	else
		conn_close(c);	/* idle, a stalled reader, or the end of lingering */
}

static void srv_on_accept(struct ev_loop *loop, ev_io *w, int revents TIP_UNUSED)
{
	struct srv *s = container_of(w, struct srv, accept_w);
	for (;;) {
		if (s->conns.n >= s->max_conn) {
			ev_io_stop(loop, &s->accept_w);	/* resumed by conn_close */
			return;
		}
		int fd = accept4(s->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
			    errno != ECONNABORTED)
				fprintf(stderr, "tip serve: accept: %s\n", strerror(errno));
			return;
		}
		struct conn *c = calloc(1, sizeof *c);
		if (!c) {
			close(fd);
			return;
		}
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		c->s = s;
		c->fd = fd;
		c->st = C_READ;
		hbuf_init(&c->out, PAGE_BODY_MAX);
		ev_io_init(&c->io, conn_on_io, fd, EV_READ);
		ev_timer_init(&c->tm, conn_on_timeout, SERVE_IDLE_S < s->timeout_s ? SERVE_IDLE_S
										 : s->timeout_s, 0.);
		ev_io_start(loop, &c->io);
		ev_timer_start(loop, &c->tm);
		fifo_push(&s->conns, &c->link);
	}
}

static void srv_on_signal(struct ev_loop *loop, ev_signal *w, int revents TIP_UNUSED)
{
	struct srv *s = w->data;
	if (s->stopping)
		return;
	s->stopping = 1;
	fprintf(stderr, "tip serve: stopping (signal %d)\n", w->signum);
	ev_io_stop(loop, &s->accept_w);
	close(s->fd);
	s->fd = -1;
	ev_signal_stop(loop, &s->sig_int);
	ev_signal_stop(loop, &s->sig_term);
	fifo_each_safe(l, &s->conns) {
		struct conn *c = container_of(l, struct conn, link);
		if (c->st == C_READ || c->st == C_LINGER)
			conn_close(c);	/* answers being made or written finish, then close */
	}
	srv_maybe_done(s);
}

/* ---- start-up --------------------------------------------------------------- */

static int parse_listen(const char *spec, struct sockaddr_storage *ss, socklen_t *len, int *loopback)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon = strrchr(spec, ':');
	if (!colon || colon == spec || (size_t)(colon - spec) >= sizeof host)
		return -1;
	memcpy(host, spec, (size_t)(colon - spec));
	host[colon - spec] = '\0';
	char *e;
	unsigned long port = strtoul(colon + 1, &e, 10);
	if (!colon[1] || *e || port > 65535)
		return -1;
	memset(ss, 0, sizeof *ss);
	size_t hl = strlen(host);
	if (host[0] == '[' && hl > 2 && host[hl - 1] == ']') {
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
		host[hl - 1] = '\0';
		if (inet_pton(AF_INET6, host + 1, &a6->sin6_addr) != 1)
			return -1;
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)port);
		*len = sizeof *a6;
		*loopback = IN6_IS_ADDR_LOOPBACK(&a6->sin6_addr);
		return 0;
	}
	struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
	if (!strcmp(host, "localhost"))
		strcpy(host, "127.0.0.1");
	if (inet_pton(AF_INET, host, &a4->sin_addr) != 1)
		return -1;
	a4->sin_family = AF_INET;
	a4->sin_port = htons((uint16_t)port);
	*len = sizeof *a4;
	*loopback = (ntohl(a4->sin_addr.s_addr) >> 24) == 127;
	return 0;
}

static int srv_listen(struct srv *s, const char *spec)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int loopback;
	if (parse_listen(spec, &ss, &len, &loopback) < 0) {
		fprintf(stderr, "tip serve: --listen: not ADDR:PORT (127.0.0.1:8080, [::1]:8080): ");
		util_put_text(stderr, spec, strlen(spec));
		fputc('\n', stderr);
		return -1;
	}
	s->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int one = 1;
	if (s->fd < 0 || setsockopt(s->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
	    bind(s->fd, (struct sockaddr *)&ss, len) < 0 || listen(s->fd, 128) < 0) {
		fprintf(stderr, "tip serve: ");
		util_put_text(stderr, spec, strlen(spec));
		fprintf(stderr, ": %s\n", strerror(errno));
		return -1;
	}
	len = sizeof ss;
	getsockname(s->fd, (struct sockaddr *)&ss, &len);
	char a[INET6_ADDRSTRLEN];
	unsigned port;
	if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
		inet_ntop(AF_INET6, &a6->sin6_addr, a, sizeof a);
		port = ntohs(a6->sin6_port);
		fprintf(stderr, "tip serve: listening on http://[%s]:%u/\n", a, port);
	} else {
		struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
		inet_ntop(AF_INET, &a4->sin_addr, a, sizeof a);
		port = ntohs(a4->sin_port);
		fprintf(stderr, "tip serve: listening on http://%s:%u/\n", a, port);
	}
	if (!loopback)
		fprintf(stderr, "tip serve: warning: %s is not a loopback address: whoever reaches it "
				"reads every store given\n", a);
	return 0;
}

int cmd_serve(int argc, char **argv)
{
	static const struct option lo[] = {
		{"listen", required_argument, NULL, 'l'}, {"store", required_argument, NULL, 's'},
		{"asn", required_argument, NULL, 'a'},    {"timeout", required_argument, NULL, 't'},
		{"max-conn", required_argument, NULL, 'm'}, {"workers", required_argument, NULL, 'w'},
		{NULL, 0, NULL, 0},
	};
	struct srv *s = calloc(1, sizeof *s);
	const char *listen_spec = "127.0.0.1:8080", *asn_path = NULL;
	int c, rc = 2;
	if (!s) {
		fprintf(stderr, "tip serve: out of memory\n");
		return 2;
	}
	s->fd = -1;
	s->timeout_s = 10;
	s->max_conn = 512;
	s->n_workers = 2;
	fifo_init(&s->queue);
	fifo_init(&s->done);
	fifo_init(&s->conns);
	pthread_mutex_init(&s->mu, NULL);
	page_ctx_init(&s->pg);
	pthread_cond_init(&s->cv, NULL);
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "l:s:", lo, NULL)) != -1) {
		char *e;
		switch (c) {
		case 'l':
			listen_spec = optarg;
			break;
		case 's':
			if (agg_cli_store(&s->pg.set, "serve", optarg) < 0)
				goto out;
			break;
		case 'a':
			asn_path = optarg;
			break;
		case 't':
			s->timeout_s = strtod(optarg, &e);
			if (*e || !(s->timeout_s >= 0.05 && s->timeout_s <= 3600)) {
				fprintf(stderr, "tip serve: --timeout: seconds, 0.05 to 3600\n");
				goto out;
			}
			break;
		case 'm':
			s->max_conn = strtoul(optarg, &e, 10);
			if (*e || s->max_conn < 1 || s->max_conn > 65536) {
				fprintf(stderr, "tip serve: --max-conn: 1 to 65536\n");
				goto out;
			}
			break;
		case 'w':
			s->n_workers = (unsigned)strtoul(optarg, &e, 10);
			if (*e || s->n_workers < 1 || s->n_workers > 64) {
				fprintf(stderr, "tip serve: --workers: 1 to 64\n");
				goto out;
			}
			break;
		default:
			agg_cli_bad_option("serve", argv[optind - 1]);
			rc = tip_usage("serve");
			goto out;
		}
	}
	if (optind != argc) {
		rc = tip_usage("serve");
		goto out;
	}
	if (!s->pg.set.n) {
		fprintf(stderr, "tip serve: no store given (--store DIR)\n");
		goto out;
	}
	if (page_ctx_open(&s->pg) < 0) {
		fprintf(stderr, "tip serve: out of memory\n");
		goto out;
	}
	if (asn_path) {
		if (agg_cli_asn(&s->pg.db, "serve", asn_path) < 0)
			goto out;
		s->pg.have_db = 1;
	}
	signal(SIGPIPE, SIG_IGN);
	s->loop = ev_default_loop(EVFLAG_AUTO);
	if (!s->loop) {
		fprintf(stderr, "tip serve: cannot start the event loop\n");
		goto out;
	}
	if (srv_listen(s, listen_spec) < 0)
		goto out;
	ev_io_init(&s->accept_w, srv_on_accept, s->fd, EV_READ);
	ev_io_start(s->loop, &s->accept_w);
	ev_signal_init(&s->sig_int, srv_on_signal, SIGINT);
	ev_signal_init(&s->sig_term, srv_on_signal, SIGTERM);
	s->sig_int.data = s->sig_term.data = s;
	ev_signal_start(s->loop, &s->sig_int);
	ev_signal_start(s->loop, &s->sig_term);
	ev_async_init(&s->async, srv_on_async);
	ev_async_start(s->loop, &s->async);
	s->workers = calloc(s->n_workers, sizeof *s->workers);
	for (; s->workers && s->started < s->n_workers; s->started++)
		if (pthread_create(&s->workers[s->started], NULL, worker_main, s) != 0)
			break;
	if (!s->started) {
		fprintf(stderr, "tip serve: cannot start a worker thread\n");
		goto out;
	}
	ev_run(s->loop, 0);
	fprintf(stderr, "tip serve: stopped\n");
	rc = 0;
out:
	pthread_mutex_lock(&s->mu);
	s->quit = 1;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
	for (unsigned i = 0; i < s->started; i++)
		pthread_join(s->workers[i], NULL);
	free(s->workers);
	for (struct link *l; (l = fifo_pop(&s->done));)
		job_free(container_of(l, struct job, link));
	while (!fifo_empty(&s->conns))
		conn_close(container_of(s->conns.first, struct conn, link));
	if (s->fd >= 0)
		close(s->fd);
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->cv);
	page_ctx_fini(&s->pg);
	free(s);
	return rc;
}
