/*
 * bench_mail: the event loop's worst stall while a 20 MB message is mined,
 * with the parse on a worker thread as tipd's spamtrap module does it
 * (sensor/mod_spamtrap.c: read, mail_parse, the loop woken by ev_async to
 * take the result and build its record), and, as the anchor, with the
 * same work done on the loop thread.  Also the parse rate of that message
 * in CPU time of the parsing thread (the machine may be shared).
 * Prints "bench NAME VALUE UNIT ANCHOR=VALUE ratio=X" and asserts nothing.
 *     bench_mail DIR
 *
 * The probe: a libev timer due every millisecond on a fixed grid; each
 * callback serves every tick due by then and a tick's stall is how late
 * it ran, so one 40 ms block counts as 40 late ticks.  The message: a
 * multipart with a 1 MB HTML part full of links (the text cap), a 4 MB
 * quoted-printable text part and a base64 attachment filling it to 20 MB.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ev.h>

#include "cdefs.h"
#include "mail.h"
#include "rec_spam.h"

#define MSG_BYTES (20u << 20)
#define REPS 5

static uint8_t *msg;
static size_t msg_len;
static struct mail_opts opts;

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void make_msg(void)
{
	msg = malloc(MSG_BYTES + 4096);
	size_t o = 0;
	o += (size_t)sprintf((char *)msg + o, "From: a@spam.example\nSubject: big\nMessage-ID: <1@x.example>\n"
			     "Content-Type: multipart/mixed; boundary=B\n\n--B\nContent-Type: text/html\n\n");
	for (int i = 0; o < (1u << 20); i++)
		o += (size_t)sprintf((char *)msg + o, "<a href=\"http://h%d.example%d.com/p?a=1&amp;b=%d\">x</a>\n",
				     i % 500, i % 7, i);
	o += (size_t)sprintf((char *)msg + o, "\n--B\nContent-Type: text/plain\nContent-Transfer-Encoding: quoted-printable\n\n");
	while (o < (5u << 20))
		o += (size_t)sprintf((char *)msg + o, "Visit www.shop=\n.example.net/x=3D1 today, friend. =C3=A9t=C3=A9\n");
	o += (size_t)sprintf((char *)msg + o, "\n--B\nContent-Type: application/zip; name=z.zip\n"
			     "Content-Transfer-Encoding: base64\n\n");
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	uint32_t x = 1;
	while (o < MSG_BYTES - 16) {
		for (int k = 0; k < 76; k++) {
			x = x * 1103515245u + 12345u;
			msg[o++] = (uint8_t)b64[(x >> 16) & 63];
		}
		msg[o++] = '\n';
	}
	o += (size_t)sprintf((char *)msg + o, "--B--\n");
	msg_len = o;
}

struct probe {
	ev_timer t;
	double next, worst;
	int mode;		/* 0 worker thread, 1 on the loop */
	int started, done, after;
	pthread_t thr;
	ev_async wake;
	struct mail_msg *m;
	uint8_t *scratch;
	double parse_ms;
};

static double cpu_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* The parse, timed in CPU time of its thread (the machine may be shared). */
static void mine(struct probe *p)
{
	double t0 = cpu_ms();
	mail_parse(msg, msg_len, &opts, p->m);
	p->parse_ms = cpu_ms() - t0;
}

static void *worker(void *arg)
{
	struct probe *p = arg;
	mine(p);
	ev_async_send(EV_DEFAULT, &p->wake);
	return NULL;
}

static void on_wake(struct ev_loop *loop, ev_async *w, int revents)
{
	struct probe *p = container_of(w, struct probe, wake);
	struct rec r;
	(void)revents;
	memset(&r, 0, sizeof r);
	rec_spam_from_mail(&r, p->m, "maildir", p->scratch);	/* what the loop does with a result */
	pthread_join(p->thr, NULL);
	p->done = 1;
	(void)loop;
}

static void on_tick(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct probe *p = (struct probe *)w;
	double t = now_ms();
	(void)revents;
	while (p->next <= t) {
		if (t - p->next > p->worst && p->started)
			p->worst = t - p->next;
		p->next += 1.0;
	}
	if (!p->started) {
		p->started = 1;
		if (p->mode == 0) {
			pthread_create(&p->thr, NULL, worker, p);
		} else {
			mine(p);
			struct rec r;
			memset(&r, 0, sizeof r);
			rec_spam_from_mail(&r, p->m, "maildir", p->scratch);
			p->done = 1;
		}
	}
	if (p->done && ++p->after > 20) {	/* 20 ticks after the work: its stall is seen */
		ev_break(loop, EVBREAK_ALL);
		return;
	}
	ev_timer_set(w, p->next - now_ms() > 0 ? (p->next - now_ms()) / 1e3 : 0., 0.);
	ev_timer_start(loop, w);
}

static double run(int mode, double *parse_ms)
{
	struct ev_loop *loop = EV_DEFAULT;
	struct probe p;
	memset(&p, 0, sizeof p);
	p.mode = mode;
	p.m = malloc(sizeof *p.m);
	p.scratch = malloc(REC_SPAM_SCRATCH);
	p.next = now_ms() + 1.0;
	ev_timer_init(&p.t, on_tick, 0.001, 0.);
	ev_timer_start(loop, &p.t);
	ev_async_init(&p.wake, on_wake);
	ev_async_start(loop, &p.wake);
	ev_run(loop, 0);
	ev_timer_stop(loop, &p.t);
	ev_async_stop(loop, &p.wake);
	/* the last ticks after the work: a stall at the very end counts too */
	*parse_ms = p.parse_ms;
	free(p.m);
	free(p.scratch);
	return p.worst;
}

static int dcmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	if (argc > 2 && !strcmp(argv[2], "write")) {	/* the message, for a profiler */
		mail_opts_default(&opts);
		make_msg();
		FILE *f = fopen(argv[1], "w");
		if (!f || fwrite(msg, 1, msg_len, f) != msg_len || fclose(f))
			return 1;
		return 0;
	}
	double th[REPS], lo[REPS], pm[REPS], dummy;
	(void)argc;
	(void)argv;
	mail_opts_default(&opts);
	make_msg();
	for (int i = 0; i < REPS; i++) {
		th[i] = run(0, &pm[i]);
		lo[i] = run(1, &dummy);
	}
	qsort(th, REPS, sizeof *th, dcmp);
	qsort(lo, REPS, sizeof *lo, dcmp);
	qsort(pm, REPS, sizeof *pm, dcmp);
	printf("bench mail_loop_stall_20mb_ms %.2f ms parse_on_loop=%.2f ratio=%.3f\n", th[REPS / 2],
	       lo[REPS / 2], th[REPS / 2] / lo[REPS / 2]);
	printf("bench mail_parse_20mb_cpu_mbs %.1f MB/s cpu_ms=%.1f ratio=1\n",
	       msg_len / 1e6 / (pm[REPS / 2] / 1e3), pm[REPS / 2]);
	free(msg);
	return 0;
}
