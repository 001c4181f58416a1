/*
 * test_blacklist: the blacklist module's configuration check (tipd -n):
 * every key of the example accepted, each mistake refused with its line.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
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

static void test_blacklist_conf_refuses_mistakes(void **st)
{
	expect_error(SRC("  format cidr\n"), "t.conf:3: source s1: 'url' is missing");
	expect_error(SRC("  url http://x/\n"), "'format' is missing");
	expect_error(SRC("  url ftp://x/\n  format cidr\n"), "t.conf:4: url: http:// or https://");
	expect_error(SRC("  url http://x/\n  format xml\n"), "t.conf:5: format: one of");
	expect_error(SRC("  url http://x/\n  format csv\n"), "format csv needs 'column'");
	expect_error(SRC("  url http://x/\n  format json\n"), "format json needs 'path'");
	expect_error(SRC("  url http://x/\n  format cidr\n  column 2\n"), "column: only for format csv");
	expect_error(SRC("  url http://x/\n  format cidr\n  colour 2\n"), "unknown key 'colour'");
	expect_error(SRC("  url http://x/\n  format cidr\n  kind host\n"), "kind: one of");
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_blacklist_conf_accepts_every_key),
		cmocka_unit_test(test_blacklist_conf_refuses_mistakes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
