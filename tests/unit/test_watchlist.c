/*
 * test_watchlist: the watch-list module through its ops, with a real
 * scheduler and bus and the fake clock: names published on start and on
 * change only, bad lines counted and logged as FILE:LINE:COL, a missing
 * file waited for, config checked with line numbers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "clock.h"
#include "module.h"
#include "tipd.h"
#include "watchlist.h"

/* The daemon is not linked: its record sink is this stub. */
int tipd_record(struct tipd *d, const struct rec *r)
{
	return 0;
}

extern const struct module_ops mod_watchlist_ops;

static char got[4096];
static int ngot;

static void on_cand(struct bus_sub *s, const struct bus_cand *c)
{
	strcat(got, c->name);
	strcat(got, " ");
	ngot++;
}

static char dir[64], file[128], err[512];

static void write_file(const char *text)
{
	char tmp[160];
	snprintf(tmp, sizeof tmp, "%s.tmp", file);
	FILE *f = fopen(tmp, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(rename(tmp, file), 0);	/* a new inode: seen as a change */
}

static void conf_for(struct conf *c, const char *interval)
{
	char text[512];
	snprintf(text, sizeof text, "module watchlist {\n  file %s\n  interval %s\n}\n", file,
		 interval);
	assert_int_equal(conf_parse(c, "t.conf", text, strlen(text), err, sizeof err), 0);
	assert_int_equal(module_conf_check(c, err, sizeof err), 0);
}

/* sched_run with stderr (where the log goes) captured into out[cap]. */
static void run_logged(struct sched *s, char *out, size_t cap)
{
	char path[160];
	snprintf(path, sizeof path, "%s/stderr", dir);
	fflush(stderr);
	int saved = dup(2), fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(saved >= 0 && fd >= 0);
	dup2(fd, 2);
	sched_run(s);
	dup2(saved, 2);
	close(saved);
	ssize_t n = pread(fd, out, cap - 1, 0);
	out[n > 0 ? n : 0] = '\0';
	close(fd);
	unlink(path);
}

static struct {
	int n;
	uint64_t bad;
} seen;

static void emit(void *ctx, const char *key, uint64_t v)
{
	seen.n++;
	if (!strcmp(key, "bad_lines"))
		seen.bad = v;
}

static void test_watchlist_publishes_on_start_and_change(void **state)
{
	static struct tipd d;
	struct module m = {.ops = &mod_watchlist_ops, .d = &d, .trace = -1};
	struct bus_sub sub = {.name = "test", .on_candidate = on_cand};

	strcpy(dir, "/tmp/test_wl.XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(file, sizeof file, "%s/watch", dir);
	write_file("# watched\nExample.COM\n\n  www.example.net.  # a comment\n\tbad..name\n");

	clock_fake(1750000000LL * 1000000);
	sched_init(&d.sched);
	bus_init(&d.bus, &d.sched);
	bus_subscribe(&d.bus, &sub);
	conf_for(&d.conf, "10s");
	m.sec = conf_module(&d.conf, "watchlist");
	assert_true(module_enabled(&d.conf, m.ops));
	assert_int_equal(m.ops->init(&m), 0);
	assert_int_equal(m.ops->start(&m), 0);

	got[0] = 0;
	ngot = 0;
	char log[1024], want[256];
	run_logged(&d.sched, log, sizeof log);
	assert_string_equal(got, "example.com www.example.net ");
	/* the bad line by file, line and column (after the tab) */
	snprintf(want, sizeof want, "watchlist: %s:5:2: not a domain name: \"bad..name\"", file);
	if (!strstr(log, want))
		fail_msg("log lacks '%s': %s", want, log);

	/* Unchanged: nothing published again. */
	clock_advance(10 * 1000000);
	sched_run(&d.sched);
	assert_int_equal(ngot, 2);

	/* Changed: published again, with the new name. */
	write_file("example.com\nnew.example\n");
	clock_advance(10 * 1000000);
	sched_run(&d.sched);
	assert_int_equal(ngot, 4);
	assert_string_equal(got, "example.com www.example.net example.com new.example ");

	/* Gone: not a failure, waits for it to come back. */
	unlink(file);
	clock_advance(10 * 1000000);
	sched_run(&d.sched);
	struct sched_task *t = sched_first(&d.sched);
	assert_non_null(t);
	assert_int_equal(t->failures, 0);
	write_file("back.example\n");
	clock_advance(10 * 1000000);
	sched_run(&d.sched);
	assert_int_equal(ngot, 5);

	/* Reload to a shorter interval keeps running on the new period. */
	struct conf nc, old = d.conf;
	conf_for(&nc, "2s");
	d.conf = nc;
	m.sec = conf_module(&d.conf, "watchlist");
	assert_int_equal(m.ops->reload(&m), 0);
	conf_free(&old);
	assert_int_equal(t->period_us, 2 * 1000000);

	seen.n = 0;
	m.ops->stats(&m, emit, NULL);
	assert_true(seen.n >= 3);
	assert_int_equal(seen.bad, 1);

	m.ops->stop(&m);
	assert_null(sched_first(&d.sched));
	conf_free(&d.conf);
	sched_fini(&d.sched);
	unlink(file);
	rmdir(dir);
	clock_fake(0);
}

static void test_watchlist_config_errors(void **state)
{
	struct conf c;
	const char *bad[][2] = {
		{"module watchlist {\n  interval 5s\n}\n", "t.conf:1: module watchlist: 'file' is missing"},
		{"module watchlist {\n  file rel/path\n}\n", "t.conf:2: file: use an absolute path"},
		{"module watchlist {\n  file /x\n  colour red\n}\n",
		 "t.conf:3: unknown key 'colour' in module watchlist"},
		{"module watchlist {\n  file /x\n  interval 10s\n  jitter 6s\n}\n",
		 "t.conf:4: jitter: at most half the interval"},
		{"module watchlist {\n  file /x\n  at 25:00\n}\n", "t.conf:3: at: '25:00' is not HH:MM (UTC)"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_int_equal(conf_parse(&c, "t.conf", bad[i][0], strlen(bad[i][0]), err, sizeof err), 0);
		assert_int_equal(module_conf_check(&c, err, sizeof err), -1);
		assert_string_equal(err, bad[i][1]);
		conf_free(&c);
	}
	/* an unknown module: the error lists the ones built in */
	char want[512] = "t.conf:1: unknown module 'nosuch' (built in: ";
	for (size_t i = 0, k = 0; i < module_table_len; i++)
		if (module_table[i]) {
			if (k++)
				strcat(want, ", ");
			strcat(want, module_table[i]->name);
		}
	strcat(want, ")");
	const char *unknown = "module nosuch {\n}\n";
	assert_int_equal(conf_parse(&c, "t.conf", unknown, strlen(unknown), err, sizeof err), 0);
	assert_int_equal(module_conf_check(&c, err, sizeof err), -1);
	assert_string_equal(err, want);
	conf_free(&c);
}

struct scan_got {
	char s[256];
	size_t n;
};

static void scan_one(void *ctx, const char *name, size_t len, int line, size_t col)
{
	struct scan_got *g = ctx;
	g->n += (size_t)snprintf(g->s + g->n, sizeof g->s - g->n, "%d:%zu:[%.*s] ", line, col,
				 (int)len, name);
}

/* Words, blanks, comments and CR LF as watchlist_scan cuts them. */
static void test_watchlist_scan_cuts_lines(void **state)
{
	static const char text[] = "  a.test\n# c\n\nb.test # note\r\nbad name.test\r\n  x y  # z\n"
				   "w#x\nu v#w\n\tlast";
	struct scan_got g = {"", 0};
	(void)state;
	watchlist_scan((const uint8_t *)text, sizeof text - 1, scan_one, &g);
	assert_string_equal(g.s, "1:3:[a.test] 4:1:[b.test] 5:1:[bad name.test] 6:3:[x y] 7:1:[w] "
				 "8:1:[u v#w] 9:2:[last] ");
	g.n = 0;
	g.s[0] = '\0';
	watchlist_scan((const uint8_t *)"", 0, scan_one, &g);
	watchlist_scan((const uint8_t *)"\n\n", 2, scan_one, &g);
	assert_string_equal(g.s, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_watchlist_publishes_on_start_and_change),
		cmocka_unit_test(test_watchlist_config_errors),
		cmocka_unit_test(test_watchlist_scan_cuts_lines),
	};
	return cmocka_run_group_tests_name("watchlist", tests, NULL, NULL);
}
