/*
 * test_conf: the config parser: what valid files give, and that every
 * kind of mistake is reported as "FILE:LINE: message" with the right line.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "conf.h"
#include "log.h"

static char err[512];

static int parse(struct conf *c, const char *text)
{
	err[0] = 0;
	return conf_parse(c, "t.conf", text, strlen(text), err, sizeof err);
}

/* The parse fails with an error that starts with "t.conf:LINE: " and contains what. */
static void expect_error(const char *text, int line, const char *what)
{
	struct conf c;
	char prefix[32];
	assert_int_equal(parse(&c, text), -1);
	snprintf(prefix, sizeof prefix, "t.conf:%d: ", line);
	if (strncmp(err, prefix, strlen(prefix)) != 0 || !strstr(err, what))
		fail_msg("got \"%s\", want \"%s...%s\"", err, prefix, what);
	/* Left on defaults, nothing to free twice. */
	assert_null(c.root);
	conf_free(&c);
}

static void test_conf_defaults_without_file(void **state)
{
	struct conf c;
	conf_init(&c);
	assert_string_equal(c.socket, CONF_DEFAULT_SOCKET);
	assert_string_equal(c.store_dir, CONF_DEFAULT_STORE);
	assert_string_equal(c.pidfile, CONF_DEFAULT_PIDFILE);
	assert_null(c.user);
	assert_int_equal(c.log_level, LOG_LVL_INFO);
	assert_int_equal(c.queue, CONF_DEFAULT_QUEUE);
	conf_free(&c);
	assert_int_equal(parse(&c, ""), 0);
	assert_string_equal(c.store_dir, CONF_DEFAULT_STORE);
	conf_free(&c);
}

static void test_conf_reads_core_keys_and_sections(void **state)
{
	struct conf c;
	const char *text =
		"# a comment\n"
		"user tip   # trailing comment\n"
		"log-level debug\n"
		"trace sched bus\n"
		"pidfile \"/tmp/my tipd.pid\"\n"
		"\n"
		"store {\n"
		"\tdir /tmp/store\n"
		"\tsegment-size 1M\n"
		"\tsegment-age 10m\n"
		"\tsync-interval 250ms\n"
		"\tquota 64M\n"
		"\tqueue 100\n"
		"\tfsync no\n"
		"}\n"
		"control {\n"
		"  socket /tmp/t.sock\n"
		"  group wheel\n"
		"}\n"
		"module watchlist {\n"
		"  file /etc/tip/watch\n"
		"  interval 30s\n"
		"}\n";
	assert_int_equal(parse(&c, text), 0);
	assert_string_equal(c.user, "tip");
	assert_int_equal(c.log_level, LOG_LVL_DEBUG);
	assert_non_null(c.trace);
	assert_int_equal(c.trace->argc, 2);
	assert_string_equal(c.pidfile, "/tmp/my tipd.pid");
	assert_string_equal(c.store_dir, "/tmp/store");
	assert_int_equal(c.policy.max_bytes, 1 << 20);
	assert_int_equal(c.policy.max_age_s, 600);
	assert_int_equal(c.policy.sync_every_ms, 250);
	assert_int_equal(c.policy.quota_bytes, 64 << 20);
	assert_int_equal(c.policy.no_fsync, 1);
	assert_int_equal(c.queue, 100);
	assert_string_equal(c.socket, "/tmp/t.sock");
	assert_string_equal(c.socket_group, "wheel");
	const struct conf_node *m = conf_module(&c, "watchlist");
	assert_non_null(m);
	assert_int_equal(m->line, 20);
	const struct conf_node *f = conf_get(m, "file");
	assert_non_null(f);
	assert_string_equal(f->argv[0], "/etc/tip/watch");
	assert_int_equal(f->line, 21);
	assert_null(conf_get(m, "nothing"));
	assert_null(conf_module(&c, "fastflux"));
	conf_free(&c);
}

static void test_conf_quotes_and_escapes(void **state)
{
	struct conf c;
	assert_int_equal(parse(&c, "module x {\n k \"a b\" \"q\\\"\\\\\" \"#not comment\" \"{\"\n}\n"), 0);
	const struct conf_node *k = conf_get(conf_module(&c, "x"), "k");
	assert_int_equal(k->argc, 4);
	assert_string_equal(k->argv[0], "a b");
	assert_string_equal(k->argv[1], "q\"\\");
	assert_string_equal(k->argv[2], "#not comment");
	assert_string_equal(k->argv[3], "{");
	conf_free(&c);
}

static void test_conf_error_unknown_key_has_line(void **state)
{
	expect_error("user tip\n\nfrobnicate 3\n", 3, "unknown key 'frobnicate'");
	expect_error("store {\n dir /x\n colour red\n}\n", 3, "unknown key 'colour' in store");
}

static void test_conf_error_unterminated_string(void **state)
{
	expect_error("user tip\npidfile \"/var/run\n", 2, "unterminated string");
}

static void test_conf_error_missing_close_brace(void **state)
{
	expect_error("module a {\n x 1\n\n", 3, "missing '}' for 'module' opened at line 1");
}

static void test_conf_error_stray_close_brace(void **state)
{
	expect_error("user tip\n}\n", 2, "'}' without a section");
	expect_error("module a {\n x 1 }\n}\n", 2, "'}' must be on a line of its own");
	expect_error("module a { x\n}\n", 1, "'{' must end the line");
	expect_error("{\n}\n", 1, "'{' without a section name");
}

static void test_conf_error_duplicates(void **state)
{
	expect_error("user a\nlog-level info\nuser b\n", 3, "'user' given twice (first at line 1)");
	expect_error("module w {\n}\nmodule w {\n}\n", 3, "configured twice (first at line 1)");
	expect_error("store {\n}\nstore {\n}\n", 3, "second 'store' section");
}

static void test_conf_error_bad_values(void **state)
{
	expect_error("store {\n sync-interval soon\n}\n", 2, "bad duration 'soon'");
	expect_error("store {\n quota 12X\n}\n", 2, "bad size '12X'");
	expect_error("store {\n fsync maybe\n}\n", 2, "not yes or no");
	expect_error("store {\n queue 2\n}\n", 2, "at least 16");
	expect_error("store {\n segment-size 8G\n}\n", 2, "between 4k and 4G");
	expect_error("log-level loud\n", 1, "log-level: unknown value 'loud'");
	expect_error("user\n", 1, "'user' takes one value");
	expect_error("user a b\n", 1, "'user' takes one value");
	expect_error("trace\n", 1, "trace: name at least one module");
	expect_error("module {\n}\n", 1, "usage: module NAME");
	expect_error("user {\n}\n", 1, "'user' is not a section");
}

/* The parse fails with exactly msg ("t.conf:LINE: message"), the struct left on defaults. */
static void expect_exact(const char *text, const char *msg)
{
	struct conf c;
	if (parse(&c, text) != -1 || strcmp(err, msg))
		fail_msg("%s: got \"%s\", want \"%s\"", text, err, msg);
	assert_null(c.root);
	assert_string_equal(c.store_dir, CONF_DEFAULT_STORE);
	conf_free(&c);
}

/* The core's tables take each key's bounds, both ends, and every level's name. */
static void test_conf_core_tables_take_bounds(void **state)
{
	struct conf c;
	assert_int_equal(parse(&c, "report-interval 1s\nstore {\n segment-size 4k\n segment-age 1s\n"
				   " sync-interval 1ms\n queue 16\n sync-every 0\n"
				   " record-candidates no\n sensor s1\n}\n"), 0);
	assert_int_equal(c.report_ms, 1000);
	assert_int_equal(c.policy.max_bytes, 4096);
	assert_int_equal(c.policy.max_age_s, 1);
	assert_int_equal(c.policy.sync_every_ms, 1);
	assert_int_equal(c.queue, 16);
	assert_int_equal(c.policy.sync_every_n, 0);
	assert_int_equal(c.record_candidates, 0);
	assert_int_equal(c.policy.no_fsync, 0);
	assert_string_equal(c.sensor, "s1");
	assert_null(c.trace);
	conf_free(&c);
	assert_int_equal(parse(&c, "report-interval 1d\nstore {\n segment-size 4194303k\n"
				   " segment-age 366d\n sync-interval 1d\n queue 1000000\n"
				   " sync-every 100000000\n quota 8G\n fsync yes\n}\n"), 0);
	assert_int_equal(c.report_ms, 86400000);
	assert_int_equal(c.policy.max_bytes, (4ULL << 30) - 1024);
	assert_int_equal(c.policy.max_age_s, 366 * 86400);
	assert_int_equal(c.policy.sync_every_ms, 86400000);
	assert_int_equal(c.queue, 1000000);
	assert_int_equal(c.policy.sync_every_n, 100000000);
	assert_int_equal(c.policy.quota_bytes, 8ULL << 30);
	assert_int_equal(c.policy.no_fsync, 0);
	assert_int_equal(c.record_candidates, 1);
	conf_free(&c);
	/* a duration is cut to the unit its field keeps */
	assert_int_equal(parse(&c, "report-interval 1500ms\nstore {\n segment-age 1500ms\n}\n"), 0);
	assert_int_equal(c.report_ms, 1500);
	assert_int_equal(c.policy.max_age_s, 1);
	conf_free(&c);
	for (int l = LOG_LVL_ERROR; l <= LOG_LVL_DEBUG; l++) {
		char text[32];
		snprintf(text, sizeof text, "log-level %s\n", log_level_names[l]);
		assert_int_equal(parse(&c, text), 0);
		assert_int_equal(c.log_level, l);
		conf_free(&c);
	}
	/* an empty store or control section keeps every default */
	assert_int_equal(parse(&c, "store {\n}\ncontrol {\n}\n"), 0);
	assert_string_equal(c.store_dir, CONF_DEFAULT_STORE);
	assert_string_equal(c.socket, CONF_DEFAULT_SOCKET);
	assert_int_equal(c.queue, CONF_DEFAULT_QUEUE);
	conf_free(&c);
}

/* Each kind of mistake in the top level, store and control, with its line and message. */
static void test_conf_core_tables_errors(void **state)
{
	static const struct {
		const char *text, *msg;
	} bad[] = {
		/* top level */
		{"user tip\nfrob 1\n", "t.conf:2: unknown key 'frob'"},
		{"user tip\nfrob {\n}\n", "t.conf:2: unknown key 'frob'"},
		{"log-level loud\n",
		 "t.conf:1: log-level: unknown value 'loud' (one of: error, warn, info, debug)"},
		{"log-level INFO\n",
		 "t.conf:1: log-level: unknown value 'INFO' (one of: error, warn, info, debug)"},
		{"log-level info warn\n", "t.conf:1: 'log-level' takes one value"},
		{"report-interval soon\n",
		 "t.conf:1: report-interval: bad duration 'soon' (use 30s, 5m, 2h, 1d)"},
		{"report-interval 999ms\n", "t.conf:1: report-interval: between 1s and 1d"},
		{"report-interval 86401\n", "t.conf:1: report-interval: between 1s and 1d"},
		{"pidfile run/tipd.pid\n", "t.conf:1: pidfile: use an absolute path"},
		{"pidfile\n", "t.conf:1: 'pidfile' takes one value"},
		{"trace\n", "t.conf:1: trace: name at least one module"},
		{"log-level info\nuser a\nlog-level warn\n",
		 "t.conf:3: 'log-level' given twice (first at line 1)"},
		{"trace sched\nuser a\ntrace bus\n", "t.conf:3: 'trace' given twice (first at line 1)"},
		{"pidfile {\n}\n", "t.conf:1: 'pidfile' is not a section"},
		{"user tip\ntrace {\n}\n", "t.conf:2: 'trace' is not a section"},
		{"user tip\nstore /var/lib/tip\n", "t.conf:2: store: a section { } is needed"},
		{"control none\n", "t.conf:1: control: a section { } is needed"},
		{"module w\n", "t.conf:1: module: a section { } is needed"},
		{"module a b {\n}\n", "t.conf:1: usage: module NAME { ... }"},
		{"module w {\n}\nmodule v {\n}\nmodule w {\n}\n",
		 "t.conf:5: module 'w' configured twice (first at line 1)"},
		{"store x {\n}\n", "t.conf:1: 'store' takes no name"},
		{"control x {\n}\n", "t.conf:1: 'control' takes no name"},
		{"store {\n}\ncontrol {\n}\nstore {\n dir /x\n}\n", "t.conf:5: second 'store' section"},
		/* the second section is refused before what is in it */
		{"store {\n}\nstore {\n colour 1\n}\n", "t.conf:3: second 'store' section"},
		{"control {\n}\ncontrol {\n}\n", "t.conf:3: second 'control' section"},
		/* store */
		{"user tip\nstore {\n colour red\n}\n", "t.conf:3: unknown key 'colour' in store"},
		{"store {\n colour {\n }\n}\n", "t.conf:2: unknown key 'colour' in store"},
		{"store {\n socket /x\n}\n", "t.conf:2: unknown key 'socket' in store"},
		{"store {\n dir {\n }\n}\n", "t.conf:2: 'dir' is not a section"},
		{"store {\n dir \"\"\n}\n", "t.conf:2: dir: empty path"},
		{"store {\n dir /a /b\n}\n", "t.conf:2: 'dir' takes one value"},
		{"store {\n sensor\n}\n", "t.conf:2: 'sensor' takes one value"},
		{"store {\n segment-size big\n}\n",
		 "t.conf:2: segment-size: bad size 'big' (use 512k, 16M, 1G)"},
		{"store {\n segment-size 4095\n}\n",
		 "t.conf:2: segment-size: between 4k and 4G (an index is limited to 4 GiB)"},
		{"store {\n segment-size 4G\n}\n",
		 "t.conf:2: segment-size: between 4k and 4G (an index is limited to 4 GiB)"},
		{"store {\n segment-age 999ms\n}\n", "t.conf:2: segment-age: between 1s and 366d"},
		{"store {\n segment-age 367d\n}\n", "t.conf:2: segment-age: between 1s and 366d"},
		{"store {\n sync-interval 0ms\n}\n", "t.conf:2: sync-interval: between 1ms and 1d"},
		{"store {\n sync-interval 2d\n}\n", "t.conf:2: sync-interval: between 1ms and 1d"},
		{"store {\n sync-every 100000001\n}\n",
		 "t.conf:2: sync-every: '100000001' is not a number up to 100000000"},
		{"store {\n sync-every -1\n}\n",
		 "t.conf:2: sync-every: '-1' is not a number up to 100000000"},
		{"store {\n queue 15\n}\n", "t.conf:2: queue: at least 16"},
		{"store {\n queue 1000001\n}\n",
		 "t.conf:2: queue: '1000001' is not a number up to 1000000"},
		{"store {\n quota 12X\n}\n", "t.conf:2: quota: bad size '12X' (use 512k, 16M, 1G)"},
		{"store {\n fsync maybe\n}\n", "t.conf:2: fsync: 'maybe' is not yes or no"},
		{"store {\n record-candidates 2\n}\n",
		 "t.conf:2: record-candidates: '2' is not yes or no"},
		{"store {\n quota {\n }\n}\n", "t.conf:2: 'quota' is not a section"},
		{"store {\n fsync no\n queue 20\n fsync yes\n}\n",
		 "t.conf:4: 'fsync' given twice (first at line 2)"},
		{"store {\n segment-size 4k\n quota 7k\n}\n",
		 "t.conf:3: quota: 7k is less than two segments (segment-size 4k): "
		 "retention would keep no sealed segment"},
		/* the rule is checked after the whole section: segment-size may come after */
		{"store {\n quota 1M\n segment-size 1M\n}\n",
		 "t.conf:2: quota: 1M is less than two segments (segment-size 1024k): "
		 "retention would keep no sealed segment"},
		{"store {\n quota 31M\n}\n",
		 "t.conf:2: quota: 31M is less than two segments (segment-size 16384k): "
		 "retention would keep no sealed segment"},
		/* control */
		{"control {\n colour 1\n}\n", "t.conf:2: unknown key 'colour' in control"},
		{"control {\n user tip\n}\n", "t.conf:2: unknown key 'user' in control"},
		{"control {\n socket rel.sock\n}\n", "t.conf:2: socket: use an absolute path"},
		{"control {\n group\n}\n", "t.conf:2: 'group' takes one value"},
		{"control {\n group a\n socket none\n group b\n}\n",
		 "t.conf:4: 'group' given twice (first at line 2)"},
		{"control {\n socket {\n }\n}\n", "t.conf:2: 'socket' is not a section"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		expect_exact(bad[i].text, bad[i].msg);
	/* a quota of two segments is taken; a socket path of 107 bytes, not 108 (sun_path) */
	struct conf c;
	char text[256], path[128];
	memset(path, 'x', sizeof path);
	path[0] = '/';
	path[107] = 0;
	snprintf(text, sizeof text, "store {\n quota 32M\n}\ncontrol {\n socket %s\n}\n", path);
	assert_int_equal(parse(&c, text), 0);
	assert_int_equal(c.policy.quota_bytes, 32 << 20);
	assert_string_equal(c.socket, path);
	conf_free(&c);
	path[107] = 'x';
	path[108] = 0;
	snprintf(text, sizeof text, "store {\n quota 32M\n}\ncontrol {\n socket %s\n}\n", path);
	expect_exact(text, "t.conf:5: socket: path too long");
}

/* conf_arg_abspath: one value, starting with '/'; the core's paths take "" and none too. */
static void test_conf_abspath(void **state)
{
	static const char text[] = "module k {\n f /var/lib/x\n g rel/x\n h /a /b\n i ./x\n}\n";
	struct conf c;
	char emsg[512];
	assert_int_equal(conf_parse(&c, "t.conf", text, strlen(text), emsg, sizeof emsg), 0);
	const struct conf_node *sec = conf_module(&c, "k");
	static const struct {
		const char *key, *msg;
	} cases[] = {
		{"f", ""},
		{"g", "t.conf:3: g: use an absolute path"},
		{"h", "t.conf:4: 'h' takes one value"},
		{"i", "t.conf:5: i: use an absolute path"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		emsg[0] = 0;
		int rc = conf_arg_abspath(&c, conf_get(sec, cases[i].key), emsg, sizeof emsg);
		assert_int_equal(rc, cases[i].msg[0] ? -1 : 0);
		assert_string_equal(emsg, cases[i].msg);
	}
	conf_free(&c);

	assert_int_equal(parse(&c, "pidfile none\ncontrol {\n socket \"\"\n}\n"), 0);
	assert_string_equal(c.pidfile, "none");
	assert_string_equal(c.socket, "");
	conf_free(&c);
	expect_error("pidfile tipd.pid\n", 1, "pidfile: use an absolute path");
	expect_error("control {\n socket t.sock\n}\n", 2, "socket: use an absolute path");
	expect_error("store {\n dir var/tip\n}\n", 2, "dir: use an absolute path");
	expect_error("store {\n dir none\n}\n", 2, "dir: use an absolute path");
}

static void test_conf_error_bad_bytes(void **state)
{
	struct conf c;
	static const char nul[] = "user tip\nlog-level\0info\n";
	assert_int_equal(conf_parse(&c, "t.conf", nul, sizeof nul - 1, err, sizeof err), -1);
	assert_string_equal(err, "t.conf:2: NUL byte");
	expect_error("user tip\nBad-Key 1\n", 2, "bad key 'Bad-Key'");
	expect_error("\"quoted\" 1\n", 1, "bad key");
	expect_error("k \"\\q\"\n", 1, "unknown escape '\\q'");
}

static void test_conf_error_limits(void **state)
{
	expect_error("a {\n b {\n  c {\n   d {\n   }\n  }\n }\n}\n", 4, "nested too deep");
	char *big = malloc(CONF_MAX_LINE + 64);
	memset(big, 'x', CONF_MAX_LINE + 10);
	strcpy(big + CONF_MAX_LINE + 10, "\n");
	memcpy(big, "user ", 5);
	expect_error(big, 1, "line longer than");
	free(big);
	char many[256] = "user";
	for (int i = 0; i < CONF_MAX_ARGS + 2; i++)
		strcat(many, " x");
	strcat(many, "\n");
	expect_error(many, 1, "too many words");
}

static void test_conf_values(void **state)
{
	int64_t us;
	uint64_t v;
	int b, secs;
	assert_int_equal(conf_duration("90", &us), 0);
	assert_int_equal(us, 90000000);
	assert_int_equal(conf_duration("1500ms", &us), 0);
	assert_int_equal(us, 1500000);
	assert_int_equal(conf_duration("5m", &us), 0);
	assert_int_equal(us, 300000000);
	assert_int_equal(conf_duration("2h", &us), 0);
	assert_int_equal(conf_duration("1d", &us), 0);
	assert_int_equal(us, 86400000000LL);
	assert_int_equal(conf_duration("", &us), -1);
	assert_int_equal(conf_duration("-5s", &us), -1);
	assert_int_equal(conf_duration("5 s", &us), -1);
	assert_int_equal(conf_duration("99999999999999999999", &us), -1);
	assert_int_equal(conf_duration("9999999999999d", &us), -1);
	assert_int_equal(conf_size("64k", &v), 0);
	assert_int_equal(v, 65536);
	assert_int_equal(conf_size("16M", &v), 0);
	assert_int_equal(v, 16 << 20);
	assert_int_equal(conf_size("1T", &v), -1);
	assert_int_equal(conf_bool("on", &b), 0);
	assert_int_equal(b, 1);
	assert_int_equal(conf_bool("false", &b), 0);
	assert_int_equal(b, 0);
	assert_int_equal(conf_bool("Yes", &b), -1);
	assert_int_equal(conf_uint("12", 12, &v), 0);
	assert_int_equal(conf_uint("13", 12, &v), -1);
	assert_int_equal(conf_uint("1x", 100, &v), -1);
	assert_int_equal(conf_clock_time("03:30", &secs), 0);
	assert_int_equal(secs, 3 * 3600 + 1800);
	assert_int_equal(conf_clock_time("24:00", &secs), -1);
	assert_int_equal(conf_clock_time("3:5", &secs), -1);
}

static void test_conf_load_file_and_missing(void **state)
{
	struct conf c;
	char path[] = "/tmp/test_conf.XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	const char *text = "user tip\nstore {\n  dir /tmp/x\n  nonsense 1\n}\n";
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	assert_int_equal(conf_load(&c, path, err, sizeof err), -1);
	char want[256];
	snprintf(want, sizeof want, "%s:4: unknown key 'nonsense' in store", path);
	assert_string_equal(err, want);
	unlink(path);
	assert_int_equal(conf_load(&c, path, err, sizeof err), -1);
	assert_non_null(strstr(err, "No such file"));
	conf_free(&c);
}

/* A key table: each kind lands at its offset, within its bounds; errors name the line. */
struct kt {
	uint32_t u;
	int64_t d;
	unsigned secs, cut, size;
	int b;
	int ch, part;
	char fn[16];
};

static const char *const kt_colours[] = {"red", "green", "blue"};

static int kt_fn(const struct conf *c, const struct conf_node *n, void *base, char *emsg,
		 size_t emsglen)
{
	if (conf_arg1(c, n, emsg, emsglen) < 0)
		return -1;
	snprintf(((struct kt *)base)->fn, sizeof ((struct kt *)base)->fn, "%s", n->argv[0]);
	return 0;
}

static int kt_skip(const char *key)
{
	return !strcmp(key, "common");
}

static const struct conf_key kt_keys[] = {
	{"u", CONF_K_UINT, 0, offsetof(struct kt, u), 2, 10, {NULL}},
	{"d", CONF_K_DUR, 0, offsetof(struct kt, d), 1000000, 0, {NULL}},
	{"secs", CONF_K_SECS, CONF_F_WHOLE, offsetof(struct kt, secs), 0, 60000000,
	 .range = "0s to 60s"},
	{"cut", CONF_K_SECS, 0, offsetof(struct kt, cut), 0, 0, {NULL}},
	{"size", CONF_K_SIZE, 0, offsetof(struct kt, size), 0, 1 << 20, .range = "at most 1M"},
	{"b", CONF_K_BOOL, 0, offsetof(struct kt, b), 0, 0, {NULL}},
	CONF_CHOICE("ch", offsetof(struct kt, ch), kt_colours, CONF_NKEYS(kt_colours), 10),
	CONF_CHOICE("part", offsetof(struct kt, part), kt_colours + 1, 2, 1),	/* not red */
	{"fn", CONF_K_FN, 0, 0, 0, 0, .fn = kt_fn},
};

static int kt_read(const char *body, struct kt *out, char *emsg, size_t emsglen)
{
	char text[512];
	struct conf c;
	snprintf(text, sizeof text, "module k {\n%s}\n", body);
	assert_int_equal(conf_parse(&c, "t.conf", text, strlen(text), emsg, emsglen), 0);
	memset(out, 0, sizeof *out);
	int rc = conf_keys_read(&c, conf_module(&c, "k"), kt_keys, sizeof kt_keys / sizeof *kt_keys,
				kt_skip, "module k", out, emsg, emsglen);
	conf_free(&c);
	return rc;
}

static void test_conf_key_table(void **state)
{
	struct kt v;
	char emsg[512];
	assert_int_equal(kt_read(" u 7\n d 1500ms\n secs 1m\n cut 2500ms\n size 64k\n b yes\n"
				 " ch green\n part blue\n fn hello\n common whatever\n", &v, emsg,
				 sizeof emsg), 0);
	assert_int_equal(v.u, 7);
	assert_int_equal(v.d, 1500000);
	assert_int_equal(v.secs, 60);
	assert_int_equal(v.cut, 2);
	assert_int_equal(v.size, 65536);
	assert_int_equal(v.b, 1);
	assert_int_equal(v.ch, 11);
	assert_int_equal(v.part, 2);
	assert_string_equal(v.fn, "hello");
	/* each name stores its own value, the first one too */
	for (int i = 0; i < 3; i++) {
		char body[32];
		snprintf(body, sizeof body, " ch %s\n part green\n", kt_colours[i]);
		assert_int_equal(kt_read(body, &v, emsg, sizeof emsg), 0);
		assert_int_equal(v.ch, 10 + i);
		assert_int_equal(v.part, 1);
	}
	static const struct {
		const char *body, *msg;
	} bad[] = {
		{" b no\n u 1\n", "t.conf:3: u: at least 2"},
		{" u 11\n", "t.conf:2: u: '11' is not a number up to 10"},
		{" d 10ms\n", "t.conf:2: d: at least 1s"},
		{" secs 61s\n", "t.conf:2: secs: 0s to 60s"},
		{" secs 1500ms\n", "t.conf:2: secs: 0s to 60s"},
		{" size 2M\n", "t.conf:2: size: at most 1M"},
		{" b maybe\n", "t.conf:2: b: "},
		{" b no\n ch pink\n", "t.conf:3: ch: unknown value 'pink' (one of: red, green, blue)"},
		{" ch Red\n", "t.conf:2: ch: unknown value 'Red' (one of: red, green, blue)"},
		{" part red\n", "t.conf:2: part: unknown value 'red' (one of: green, blue)"},
		{" ch red blue\n", "t.conf:2: 'ch' takes one value"},
		{" ch {\n }\n", "t.conf:2: 'ch' is not a section"},
		{" nope 1\n", "t.conf:2: unknown key 'nope' in module k"},
		{" u {\n }\n", "t.conf:2: 'u' is not a section"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_int_equal(kt_read(bad[i].body, &v, emsg, sizeof emsg), -1);
		if (strncmp(emsg, bad[i].msg, strlen(bad[i].msg)))
			fail_msg("%s: got '%s', want '%s'", bad[i].body, emsg, bad[i].msg);
	}
}

/*
 * A full table (conf_table_read): sub-sections read by their own reader,
 * a fragment of shared keys at its offset, keys given once, the section
 * named in messages.
 */
struct kt_frag {
	int64_t wait;
	unsigned size;
};

struct kt_full {
	uint32_t u;
	struct kt_frag frag;
	int subs;
	char sub_u[16];
};

static const struct conf_key kt_frag_keys[] = {
	{"wait", CONF_K_DUR, 0, offsetof(struct kt_frag, wait), 100000, 0, {NULL}},
	{"fsize", CONF_K_SIZE, 0, offsetof(struct kt_frag, size), 1024, 4096, .range = "1k to 4k"},
};

static const struct conf_key kt_sub_keys[] = {
	{"u", CONF_K_FN, 0, 0, 0, 0, .fn = kt_fn},
};

static int kt_sub(const struct conf *c, const struct conf_node *n, void *base, char *emsg,
		  size_t emsglen)
{
	static const struct conf_table t = {.keys = kt_sub_keys, .n = 1, .once = 1};
	struct kt_full *v = base;
	struct kt sub = {0};
	if (conf_table_read(c, n, &t, &sub, emsg, emsglen) < 0)
		return -1;
	v->subs++;
	snprintf(v->sub_u, sizeof v->sub_u, "%s", sub.fn);
	return 0;
}

static const struct conf_key kt_full_keys[] = {
	{"u", CONF_K_UINT, 0, offsetof(struct kt_full, u), 2, 10, {NULL}},
	{"sub", CONF_K_SECT, 0, 0, 0, 0, .fn = kt_sub},
};

static int kt_full_read(const char *body, int once, struct kt_full *out, char *emsg,
			size_t emsglen)
{
	const struct conf_table t = {
		.keys = kt_full_keys,
		.n = CONF_NKEYS(kt_full_keys),
		.inc = kt_frag_keys,
		.ninc = CONF_NKEYS(kt_frag_keys),
		.inc_off = offsetof(struct kt_full, frag),
		.skip = kt_skip,
		.once = once,
	};
	char text[512];
	struct conf c;
	snprintf(text, sizeof text, "module k {\n%s}\n", body);
	assert_int_equal(conf_parse(&c, "t.conf", text, strlen(text), emsg, emsglen), 0);
	memset(out, 0, sizeof *out);
	int rc = conf_table_read(&c, conf_module(&c, "k"), &t, out, emsg, emsglen);
	conf_free(&c);
	return rc;
}

static void test_conf_table_sections_fragment_once(void **state)
{
	struct kt_full v;
	char emsg[512];
	assert_int_equal(kt_full_read(" u 3\n wait 250ms\n fsize 2k\n common x\n"
				      " sub a {\n  u one\n }\n sub b {\n  u two\n }\n u 4\n",
				      0, &v, emsg, sizeof emsg), 0);
	assert_int_equal(v.u, 4);	/* not once: the last one */
	assert_int_equal(v.frag.wait, 250000);
	assert_int_equal(v.frag.size, 2048);
	assert_int_equal(v.subs, 2);
	assert_string_equal(v.sub_u, "two");
	static const struct {
		const char *body, *msg;
		int once;
	} bad[] = {
		{" u 3\n wait 1s\n u 4\n", "t.conf:4: 'u' given twice (first at line 2)", 1},
		{" wait 1s\n wait 2s\n", "t.conf:3: 'wait' given twice (first at line 2)", 1},
		{" wait 50ms\n", "t.conf:2: wait: at least 100ms", 0},
		{" fsize 512\n", "t.conf:2: fsize: 1k to 4k", 0},
		{" fsize 8k\n", "t.conf:2: fsize: 1k to 4k", 0},
		{" fsize {\n }\n", "t.conf:2: 'fsize' is not a section", 0},
		{" colour {\n }\n", "t.conf:2: unknown key 'colour' in module k", 0},
		{" sub 1\n", "t.conf:2: sub: a section { } is needed", 0},
		{" sub a {\n  v 1\n }\n", "t.conf:3: unknown key 'v' in sub a", 0},
		{" sub a {\n  u 1\n  u 2\n }\n", "t.conf:4: 'u' given twice (first at line 3)", 0},
		{" sub a {\n }\n sub b {\n }\n sub a {\n }\n",
		 "t.conf:6: sub a given twice (first at line 2)", 0},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_int_equal(kt_full_read(bad[i].body, bad[i].once, &v, emsg, sizeof emsg), -1);
		if (strcmp(emsg, bad[i].msg))
			fail_msg("%s: got '%s', want '%s'", bad[i].body, emsg, bad[i].msg);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conf_defaults_without_file),
		cmocka_unit_test(test_conf_reads_core_keys_and_sections),
		cmocka_unit_test(test_conf_quotes_and_escapes),
		cmocka_unit_test(test_conf_error_unknown_key_has_line),
		cmocka_unit_test(test_conf_error_unterminated_string),
		cmocka_unit_test(test_conf_error_missing_close_brace),
		cmocka_unit_test(test_conf_error_stray_close_brace),
		cmocka_unit_test(test_conf_error_duplicates),
		cmocka_unit_test(test_conf_error_bad_values),
		cmocka_unit_test(test_conf_core_tables_take_bounds),
		cmocka_unit_test(test_conf_core_tables_errors),
		cmocka_unit_test(test_conf_abspath),
		cmocka_unit_test(test_conf_error_bad_bytes),
		cmocka_unit_test(test_conf_error_limits),
		cmocka_unit_test(test_conf_values),
		cmocka_unit_test(test_conf_load_file_and_missing),
		cmocka_unit_test(test_conf_key_table),
		cmocka_unit_test(test_conf_table_sections_fragment_once),
	};
	return cmocka_run_group_tests_name("conf", tests, NULL, NULL);
}
