/*
 * test_ctl: request parsing (every malformed request is refused with a
 * reason and reaches no operation) and a round trip through a real UNIX
 * socket in a temporary directory, driven by a libev loop.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>
#include <ev.h>

#include "ctl.h"

static char line[CTL_LINE_MAX + 64];
static char err[256];

static int parse(const char *text, struct ctl_req *req)
{
	size_t n = strlen(text);
	memcpy(line, text, n + 1);
	err[0] = 0;
	return ctl_parse(line, n, req, err, sizeof err);
}

static void test_ctl_parse_submit(void **state)
{
	struct ctl_req req;
	assert_int_equal(parse("submit a.example  B.example.\t c", &req), 0);
	assert_int_equal(req.cmd, CTL_SUBMIT);
	assert_int_equal(req.argc, 3);
	assert_string_equal(req.argv[0], "a.example");
	assert_string_equal(req.argv[1], "B.example.");
	assert_string_equal(req.argv[2], "c");
	assert_int_equal(parse("submit x.example\r", &req), 0);
	assert_string_equal(req.argv[0], "x.example");
}

static void test_ctl_parse_status_and_trace(void **state)
{
	struct ctl_req req;
	assert_int_equal(parse("status", &req), 0);
	assert_int_equal(req.cmd, CTL_STATUS);
	assert_int_equal(req.argc, 0);
	assert_int_equal(parse("  status  ", &req), 0);
	assert_int_equal(parse("status now", &req), -1);
	assert_string_equal(err, "usage: status");
	assert_int_equal(parse("trace sched on", &req), 0);
	assert_int_equal(req.cmd, CTL_TRACE);
	assert_string_equal(req.argv[0], "sched");
	assert_string_equal(req.argv[1], "on");
	assert_int_equal(parse("trace sched maybe", &req), -1);
	assert_int_equal(parse("trace sched", &req), -1);
}

static void test_ctl_parse_rejects_malformed(void **state)
{
	struct ctl_req req;
	assert_int_equal(parse("", &req), -1);
	assert_string_equal(err, "empty request");
	assert_int_equal(parse("   ", &req), -1);
	assert_int_equal(parse("submit", &req), -1);
	assert_string_equal(err, "usage: submit NAME...");
	assert_int_equal(parse("submit good.example bad..example", &req), -1);
	assert_string_equal(err, "not a domain name: \"bad..example\" (argument 2)");
	assert_int_equal(parse("submit \x01x", &req), -1);
	assert_string_equal(err, "bad byte 0x01 at column 8");
	assert_int_equal(parse("submit caf\xc3\xa9.fr", &req), -1);
	assert_string_equal(err, "bad byte 0xc3 at column 11");
	assert_int_equal(parse("reboot", &req), -1);
	assert_string_equal(err, "unknown command \"reboot\"");
	assert_int_equal(parse("SUBMIT a", &req), -1);
	assert_int_equal(req.cmd, 0);
}

static void test_ctl_parse_limits(void **state)
{
	struct ctl_req req;
	char *big = malloc(CTL_LINE_MAX + 2);
	memset(big, 'a', CTL_LINE_MAX + 1);
	big[CTL_LINE_MAX + 1] = 0;
	memcpy(big, "submit ", 7);
	size_t n = strlen(big);
	assert_int_equal(ctl_parse(big, n, &req, err, sizeof err), -1);
	assert_non_null(strstr(err, "longer than"));
	free(big);
	/* More words than CTL_ARGS_MAX in a line that fits. */
	char many[CTL_LINE_MAX + 1] = "submit";
	for (int i = 0; i < CTL_ARGS_MAX + 1 && strlen(many) + 3 < CTL_LINE_MAX; i++)
		strcat(many, " a");
	if (CTL_ARGS_MAX * 2 + 8 < CTL_LINE_MAX) {
		assert_int_equal(parse(many, &req), -1);
		assert_non_null(strstr(err, "more than"));
	}
}

/* ---- operations that record what reached them ---- */

static int submits, statuses, traces;
static char submitted[1024];

static int op_submit(void *arg, int argc, char **argv, struct hbuf *out, char *d, size_t len)
{
	submits++;
	for (int i = 0; i < argc; i++) {
		strcat(submitted, argv[i]);
		strcat(submitted, " ");
	}
	snprintf(d, len, "submitted %d", argc);
	return 0;
}

static int op_status(void *arg, struct hbuf *out, char *d, size_t len)
{
	statuses++;
	hbuf_printf(out, "module name=test state=running\n");
	return 0;
}

static int op_trace(void *arg, const char *m, int on, struct hbuf *out, char *d, size_t len)
{
	traces++;
	if (strcmp(m, "sched")) {
		snprintf(d, len, "no trace flag \"%s\"", m);
		return -1;
	}
	return 0;
}

static int clock_said = 99;

static int op_clock(void *arg, int synced, struct hbuf *out, char *d, size_t len)
{
	clock_said = synced;
	return 0;
}

static const struct ctl_ops ops = {op_submit, op_status, op_trace, op_clock};

static void reset_ops(void)
{
	submits = statuses = traces = 0;
	submitted[0] = 0;
	clock_said = 99;
}

static void test_ctl_clock(void **state)
{
	struct hbuf out = {0};
	const char *words[] = {"synced", "unsynced", "auto"};
	const int want[] = {1, 0, -1};
	for (int i = 0; i < 3; i++) {
		reset_ops();
		snprintf(line, sizeof line, "clock %s", words[i]);
		assert_int_equal(ctl_execute(&ops, NULL, line, strlen(line), &out), 0);
		assert_int_equal(clock_said, want[i]);
		hbuf_fini(&out);
	}
	reset_ops();
	strcpy(line, "clock maybe");
	assert_int_equal(ctl_execute(&ops, NULL, line, strlen(line), &out), -1);
	assert_int_equal(clock_said, 99);	/* nothing changed */
	assert_string_equal(out.p, "error: usage: clock synced|unsynced|auto\n");
	hbuf_fini(&out);
	strcpy(line, "clock");
	assert_int_equal(ctl_execute(&ops, NULL, line, strlen(line), &out), -1);
	hbuf_fini(&out);
}

static void test_ctl_malformed_submit_changes_nothing(void **state)
{
	struct hbuf out = {0};
	reset_ops();
	strcpy(line, "submit a.example b.example !!");
	assert_int_equal(ctl_execute(&ops, NULL, line, strlen(line), &out), -1);
	assert_int_equal(submits, 0);
	assert_string_equal(out.p, "error: not a domain name: \"!!\" (argument 3)\n");
	hbuf_fini(&out);
	strcpy(line, "submit a.example b.example");
	assert_int_equal(ctl_execute(&ops, NULL, line, strlen(line), &out), 0);
	assert_int_equal(submits, 1);
	assert_string_equal(submitted, "a.example b.example ");
	assert_string_equal(out.p, "ok submitted 2\n");
	hbuf_fini(&out);
	strcpy(line, "trace nothing on");
	assert_int_equal(ctl_execute(&ops, NULL, line, strlen(line), &out), -1);
	assert_string_equal(out.p, "error: no trace flag \"nothing\"\n");
	hbuf_fini(&out);
}

/* ---- a real socket ---- */

static void test_ctl_socket_round_trip(void **state)
{
	char dir[] = "/tmp/test_ctl.XXXXXX", path[128];
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct stat st;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/tipd.sock", dir);
	reset_ops();
	struct ctl *c = ctl_open(loop, path, (gid_t)-1, &ops, NULL, err, sizeof err);
	assert_non_null(c);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0660);

	/* A second server on the same path is refused while the first lives. */
	assert_null(ctl_open(loop, path, (gid_t)-1, &ops, NULL, err, sizeof err));
	assert_non_null(strstr(err, "another daemon"));

	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	strcpy(sa.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	const char *req = "status\nsubmit x.example\nbogus\nsubmit y.example";	/* no final newline */
	assert_int_equal(write(fd, req, strlen(req)), (ssize_t)strlen(req));
	shutdown(fd, SHUT_WR);
	fcntl(fd, F_SETFL, O_NONBLOCK);

	char reply[2048];
	size_t len = 0;
	for (int i = 0; i < 2000; i++) {
		ev_run(loop, EVRUN_NOWAIT);
		ssize_t r = read(fd, reply + len, sizeof reply - 1 - len);
		if (r == 0)
			break;
		if (r > 0)
			len += (size_t)r;
		else
			usleep(1000);
	}
	reply[len] = 0;
	assert_string_equal(reply, "module name=test state=running\n"
				   "ok\n"
				   "ok submitted 1\n"
				   "error: unknown command \"bogus\"\n"
				   "ok submitted 1\n");
	assert_string_equal(submitted, "x.example y.example ");
	struct ctl_stats cs;
	ctl_get_stats(c, &cs);
	assert_int_equal(cs.requests, 4);
	assert_int_equal(cs.errors, 1);
	close(fd);

	/* A line longer than the limit: an error, then the server hangs up. */
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	char *big = malloc(CTL_LINE_MAX + 100);
	memset(big, 'a', CTL_LINE_MAX + 100);
	assert_int_equal(write(fd, big, CTL_LINE_MAX + 100), CTL_LINE_MAX + 100);
	free(big);
	fcntl(fd, F_SETFL, O_NONBLOCK);
	len = 0;
	for (int i = 0; i < 2000; i++) {
		ev_run(loop, EVRUN_NOWAIT);
		ssize_t r = read(fd, reply + len, sizeof reply - 1 - len);
		if (r == 0 || (r < 0 && errno == ECONNRESET))
			break;
		if (r > 0)
			len += (size_t)r;
		else
			usleep(1000);
	}
	reply[len] = 0;
	assert_non_null(strstr(reply, "error: request longer than"));
	close(fd);

	ctl_close(c);
	assert_int_equal(stat(path, &st), -1);	/* removed */
	rmdir(dir);
	ev_loop_destroy(loop);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ctl_parse_submit),
		cmocka_unit_test(test_ctl_parse_status_and_trace),
		cmocka_unit_test(test_ctl_parse_rejects_malformed),
		cmocka_unit_test(test_ctl_parse_limits),
		cmocka_unit_test(test_ctl_malformed_submit_changes_nothing),
		cmocka_unit_test(test_ctl_clock),
		cmocka_unit_test(test_ctl_socket_round_trip),
	};
	return cmocka_run_group_tests_name("ctl", tests, NULL, NULL);
}
