/*
 * test_blacklist: the blacklist module's configuration check (tipd -n):
 * every key of the example accepted, each mistake refused with its line.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "conf.h"
#include "module.h"
#include "rec.h"
#include "tipd.h"

int tipd_record(struct tipd *d, const struct rec *r)
{
	return -1;
}

/* 0 when text checks; else -1 with the message in err. */
static int check(const char *text, char *err, size_t errlen)
{
	struct conf c;
	err[0] = 0;
	if (conf_parse(&c, "t.conf", text, strlen(text), err, errlen) < 0)
		return -1;
	int r = module_conf_check(&c, err, errlen);
	conf_free(&c);
	return r;
}

#define SRC(body) "module blacklist {\n interval 6h\n source s1 {\n" body "}\n}\n"

static void test_blacklist_conf_accepts_every_key(void **st)
{
	char err[512];
	int r = check("module blacklist {\n interval 6h\n candidates yes\n candidate-rate 5\n"
		      " candidate-queue 100\n backoff-min 30s\n"
		      " source a {\n  url https://x.example/drop.txt\n  format cidr\n  period 12h\n"
		      "  timeout 60s\n  max-size 32M\n  max-entries 100000\n"
		      "  ca-file /etc/ssl/certs/ca-certificates.crt\n  insecure no\n  kind ip\n }\n"
		      " source b {\n  url http://x.example/f.csv\n  format csv\n  column dst_ip\n }\n"
		      " source c {\n  url http://x.example/c.json\n  format json\n  path blacklist\n }\n"
		      "}\n",
		      err, sizeof err);
	assert_int_equal(r, 0);
}

static void expect_error(const char *text, const char *want)
{
	char err[512];
	assert_int_equal(check(text, err, sizeof err), -1);
	if (!strstr(err, want))
		fail_msg("error \"%s\" lacks \"%s\"", err, want);
}

/* A module's key given twice is refused, as tipd.conf(5) says, in every module. */
static void test_module_keys_given_twice(void **st)
{
	expect_error("module blacklist {\n candidate-rate 5\n candidate-rate 6\n}\n",
		     "t.conf:3: 'candidate-rate' given twice (first at line 2)");
	expect_error("module fastflux {\n timeout 1s\n tries 2\n timeout 2s\n}\n",
		     "t.conf:4: 'timeout' given twice (first at line 2)");
	expect_error("module spamtrap {\n settle 1s\n settle 2s\n}\n",
		     "t.conf:3: 'settle' given twice (first at line 2)");
	expect_error("module share {\n max-conn 4\n max-conn 5\n}\n",
		     "t.conf:3: 'max-conn' given twice (first at line 2)");
	expect_error("module watchlist {\n file /a\n file /b\n}\n",
		     "t.conf:3: 'file' given twice (first at line 2)");
	/* and the keys every module has, read by module.c's table */
	expect_error("module watchlist {\n file /a\n interval 1s\n interval 2s\n}\n",
		     "t.conf:4: 'interval' given twice (first at line 3)");
	expect_error("module fastflux {\n at 03:00\n at 04:00\n}\n",
		     "t.conf:3: 'at' given twice (first at line 2)");
}

/* The files other modules open after tipd chdir'ed to / are absolute paths. */
static void test_module_paths_absolute(void **st)
{
	expect_error("module share {\n listen 127.0.0.1:1\n key etc/tip/share\n}\n",
		     "t.conf:3: key: use an absolute path");
	expect_error("module watchlist {\n file watch.txt\n}\n",
		     "t.conf:2: file: use an absolute path");
}

/* The keys every module has, each mistake with its line. */
static void test_module_common_keys(void **st)
{
	char err[512];
	assert_int_equal(check("module watchlist {\n file /a\n enable yes\n interval 10s\n"
			       " jitter 5s\n backoff-min 1ms\n backoff-max 1ms\n}\n",
			       err, sizeof err),
			 0);
	assert_int_equal(check("module fastflux {\n at 23:59\n jitter 12h\n}\n", err, sizeof err),
			 0);
	expect_error("module watchlist {\n file /a\n interval 999ms\n}\n",
		     "t.conf:3: interval: at least 1s");
	expect_error("module watchlist {\n file /a\n backoff-min 0s\n}\n",
		     "t.conf:3: backoff-min: at least 1ms");
	expect_error("module watchlist {\n file /a\n backoff-min 2s\n backoff-max 1s\n}\n",
		     "t.conf:4: backoff-max is shorter than backoff-min");
	expect_error("module watchlist {\n file /a\n interval 10s\n jitter 6s\n}\n",
		     "t.conf:4: jitter: at most half the interval");
	expect_error("module watchlist {\n file /a\n at 24:00\n}\n",
		     "t.conf:3: at: '24:00' is not HH:MM (UTC)");
	expect_error("module watchlist {\n file /a\n enable maybe\n}\n", "t.conf:3: enable:");
	expect_error("module watchlist {\n file /a\n interval {\n }\n}\n",
		     "t.conf:3: 'interval' is not a section");
	expect_error("module watchlist {\n file /a\n colour blue\n}\n",
		     "t.conf:3: unknown key 'colour' in module watchlist");
}

static void test_blacklist_conf_refuses_mistakes(void **st)
{
	expect_error(SRC("  format cidr\n"), "t.conf:3: source s1: 'url' is missing");
	expect_error(SRC("  url http://x/\n"), "'format' is missing");
	expect_error(SRC("  url ftp://x/\n  format cidr\n"), "t.conf:4: url: http:// or https://");
	expect_error(SRC("  url http://x/\n  format xml\n"),
		     "t.conf:5: format: unknown value 'xml' (one of: hosts, domains, ips, cidr, "
		     "csv, urls, json, ipsum, trails)");
	expect_error(SRC("  url http://x/\n  format csv\n"), "format csv needs 'column'");
	expect_error(SRC("  url http://x/\n  format csv\n  column \"\"\n"),
		     "t.conf:6: column: 1-64 bytes");
	expect_error(SRC("  url http://x/\n  format json\n  path "
			 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n"),
		     "t.conf:6: path: 1-64 bytes");
	expect_error(SRC("  url http://x/\n  format json\n  path a b\n"),
		     "t.conf:6: 'path' takes one value");
	expect_error(SRC("  url http://x/\n  format json\n"), "format json needs 'path'");
	expect_error(SRC("  url http://x/\n  format cidr\n  column 2\n"), "column: only for format csv");
	expect_error(SRC("  url http://x/\n  format cidr\n  colour 2\n"), "unknown key 'colour'");
	expect_error(SRC("  url http://x/\n  format cidr\n  kind host\n"),
		     "t.conf:6: kind: unknown value 'host' (one of: domain, ip, cidr, url)");
	expect_error(SRC("  url http://x/\n  format cidr\n  timeout 10ms\n"), "timeout: at least 1s");
	expect_error(SRC("  url http://x/\n  format cidr\n  ca-file rel.pem\n"), "absolute path");
	expect_error(SRC("  url http://x/\n  format cidr\n  url http://y/\n"), "'url' given twice");
	expect_error("module blacklist {\n source ../x {\n  url http://x/\n  format cidr\n }\n}\n",
		     "t.conf:2: source: give one name");
	expect_error("module blacklist {\n source a {\n  url http://x/\n  format cidr\n }\n"
		     " source a {\n  url http://y/\n  format cidr\n }\n}\n",
		     "t.conf:6: source a given twice (first at line 2)");
	expect_error("module blacklist {\n candidate-rate 0\n}\n", "candidate-rate: at least 1");
	expect_error("module blacklist {\n mirror yes\n}\n", "unknown key 'mirror' in module blacklist");
	expect_error("module blacklist {\n source\n}\n", "source: a section");
}

/*
 * The fetch keys a blacklist source and a spamtrap archive share (one
 * table fragment, fetch_conf_keys): each mistake refused the same way
 * through both, with the line and the section it is in.
 */
#define ARC_HEAD "module spamtrap {\n archive a1 {\n  url http://x/%F.mbox\n"
#define SRC3_HEAD "module blacklist {\n source s1 {\n  url http://x/\n  format cidr\n"
#define TAIL " }\n}\n"
#define ARC(body) ARC_HEAD body TAIL
#define SRC3(body) SRC3_HEAD body TAIL

/* The choice keys: every name of a source's format and kind and an archive's format. */
static void test_choice_keys_take_their_names(void **st)
{
	static const char *const ok[] = {
		SRC("  url http://x/\n  format hosts\n"), SRC("  url http://x/\n  format trails\n"),
		SRC3("  kind domain\n"), SRC3("  kind url\n"), ARC("  format auto\n"),
		ARC("  format mbox\n"), ARC("  format tar\n"),
	};
	char err[512];
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
		if (check(ok[i], err, sizeof err) < 0)
			fail_msg("%s: %s", ok[i], err);
	expect_error(SRC3("  kind any\n"),
		     "t.conf:5: kind: unknown value 'any' (one of: domain, ip, cidr, url)");
	expect_error(ARC("  format zip\n"),
		     "t.conf:4: format: unknown value 'zip' (one of: auto, mbox, tar)");
}

static void test_fetch_keys_shared_by_source_and_archive(void **st)
{
	static const struct {
		const char *body, *src, *arc;	/* the source's line is one more */
	} cases[] = {
		{"  colour 2\n", "t.conf:5: unknown key 'colour' in source s1",
		 "t.conf:4: unknown key 'colour' in archive a1"},
		{"  timeout 10ms\n", "t.conf:5: timeout: at least 1s",
		 "t.conf:4: timeout: at least 1s"},
		{"  timeout soon\n", "t.conf:5: timeout: bad duration 'soon'",
		 "t.conf:4: timeout: bad duration 'soon'"},
		{"  insecure maybe\n", "t.conf:5: insecure: 'maybe' is not yes or no",
		 "t.conf:4: insecure: 'maybe' is not yes or no"},
		{"  ca-file rel.pem\n", "t.conf:5: ca-file: use an absolute path",
		 "t.conf:4: ca-file: use an absolute path"},
		{"  ca-file /a.pem /b.pem\n", "t.conf:5: 'ca-file' takes one value",
		 "t.conf:4: 'ca-file' takes one value"},
		{"  max-size 16k\n  max-size 512\n", "t.conf:6: 'max-size' given twice (first at line 5)",
		 "t.conf:5: 'max-size' given twice (first at line 4)"},
		{"  max-size 512\n", "t.conf:5: max-size: at least 1k",
		 "t.conf:4: max-size: at least 4k"},
		{"  insecure no\n  timeout 5s\n  insecure yes\n",
		 "t.conf:7: 'insecure' given twice (first at line 5)",
		 "t.conf:6: 'insecure' given twice (first at line 4)"},
		{"  url http://y/%F\n", "t.conf:5: 'url' given twice (first at line 3)",
		 "t.conf:4: 'url' given twice (first at line 3)"},
		{"  timeout {\n  }\n", "t.conf:5: 'timeout' is not a section",
		 "t.conf:4: 'timeout' is not a section"},
	};
	char text[512], err[512];
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		for (int arc = 0; arc < 2; arc++) {
			const char *want = arc ? cases[i].arc : cases[i].src;
			snprintf(text, sizeof text, "%s%s%s", arc ? ARC_HEAD : SRC3_HEAD, cases[i].body,
				 TAIL);
			assert_int_equal(check(text, err, sizeof err), -1);
			if (strncmp(err, want, strlen(want)))
				fail_msg("%s: got \"%s\", want \"%s\"", text, err, want);
		}
	}
	/* the same keys, good, through both */
	assert_int_equal(check(SRC3("  ca-file /a.pem\n  insecure yes\n  timeout 2m\n"
				    "  max-size 1k\n"), err, sizeof err), 0);
	assert_int_equal(check(ARC("  ca-file /a.pem\n  insecure yes\n  timeout 2m\n"
				   "  max-size 4k\n"), err, sizeof err), 0);
	/* each keeps its own keys and rules */
	expect_error(ARC("  period 1h\n"), "t.conf:4: unknown key 'period' in archive a1");
	expect_error(SRC3("  catch-up 2d\n"), "t.conf:5: unknown key 'catch-up' in source s1");
	expect_error("module spamtrap {\n archive a1 {\n  url http://x/spam.mbox\n }\n}\n",
		     "t.conf:3: url: needs a date template");
	expect_error("module spamtrap {\n archive a1 {\n  timeout 5s\n }\n}\n",
		     "t.conf:2: archive a1: 'url' is missing");
	expect_error("module spamtrap {\n archive a1 {\n  url http://x/%F\n }\n"
		     " archive a1 {\n  url http://y/%F\n }\n}\n",
		     "t.conf:5: archive a1 given twice");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_blacklist_conf_accepts_every_key),
		cmocka_unit_test(test_blacklist_conf_refuses_mistakes),
		cmocka_unit_test(test_module_keys_given_twice),
		cmocka_unit_test(test_module_paths_absolute),
		cmocka_unit_test(test_module_common_keys),
		cmocka_unit_test(test_choice_keys_take_their_names),
		cmocka_unit_test(test_fetch_keys_shared_by_source_and_archive),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
