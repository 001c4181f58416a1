/*
 * test_asn: `tip asn import` and the mapped table.  A synthetic CSV with
 * every quirk of the real files (CRLF, blank lines, trailing blanks,
 * quoted names with commas and "", UTF-8, no final newline, bad lines,
 * overlaps); then the shared ip-location-db files, checked line by line
 * against the table; then damaged and hostile tables, which must be
 * refused.  The shared data is found from tests/, the repository root or
 * $TIP_SHARED_DATA; tests that need it skip without it.
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
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "asn_db.h"
#include "buf.h"
#include "crc32c.h"
#include "tip.h"

static char tmpdir[256];

/* cmd_asn reports usage through tip_usage, which lives in tools/main.c. */
int tip_usage(const char *cmd)
{
	fprintf(stderr, "tip %s: usage\n", cmd);
	return 2;
}

static const char *data_path(const char *rel)
{
	static char path[512];
	static const char *const roots[] = {"../../shared/data", "../shared/data"};
	const char *env = getenv("TIP_SHARED_DATA");
	if (env) {
		snprintf(path, sizeof path, "%s/%s", env, rel);
		return access(path, R_OK) == 0 ? path : NULL;
	}
	for (size_t i = 0; i < sizeof roots / sizeof roots[0]; i++) {
		snprintf(path, sizeof path, "%s/%s", roots[i], rel);
		if (access(path, R_OK) == 0)
			return path;
	}
	return NULL;
}

static const char *tmp_path(const char *name)
{
	static char path[4][512];
	static int k;
	k = (k + 1) % 4;
	snprintf(path[k], sizeof path[k], "%s/%s", tmpdir, name);
	return path[k];
}

static void write_file(const char *path, const char *s, size_t n)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(s, 1, n, f), n);
	fclose(f);
}

/* Run `tip asn ARGS...` with stderr captured into errbuf. */
static int run_asn(char *errbuf, size_t cap, int argc, char **argv)
{
	const char *errpath = tmp_path("stderr");
	fflush(stderr);
	int saved = dup(2);
	int fd = open(errpath, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(saved >= 0 && fd >= 0);
	dup2(fd, 2);
	close(fd);
	int rc = cmd_asn(argc, argv);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	FILE *f = fopen(errpath, "r");
	size_t n = f ? fread(errbuf, 1, cap - 1, f) : 0;
	errbuf[n] = '\0';
	if (f)
		fclose(f);
	return rc;
}

static int import(const char *asn, const char *cc, const char *out, char *err, size_t cap)
{
	char *argv[8];
	int argc = 0;
	argv[argc++] = "asn";
	argv[argc++] = "import";
	if (asn) {
		argv[argc++] = "--asn";
		argv[argc++] = (char *)asn;
	}
	if (cc) {
		argv[argc++] = "--country";
		argv[argc++] = (char *)cc;
	}
	argv[argc++] = "-o";
	argv[argc++] = (char *)out;
	return run_asn(err, cap, argc, argv);
}

static uint32_t ip(const char *s)
{
	unsigned a, b, c, d;
	assert_int_equal(sscanf(s, "%u.%u.%u.%u", &a, &b, &c, &d), 4);
	return a << 24 | b << 16 | c << 8 | d;
}

static const char quirky_asn[] =
	"1.0.0.0,1.0.0.255,13335,\"Cloudflare, Inc.\"\r\n"
	"\r\n"
	"1.0.4.0,1.0.7.255,38803,Gtelecom Pty Ltd   \r\n"
	"1.0.8.0,1.0.8.255,38803,Gtelecom Pty Ltd\n"	/* adjacent, same AS: merged */
	"\n"
	"2.26.200.0,2.26.215.255,201907,\"LLC \"\"SPUTNIK\"\"\"\n"
	"38.199.24.0,38.199.25.255,273099,LINAGE COMUNICACIONES\xc2\xa0 SAS\n"
	"3.0.0.0,3.0.0.255,64500,Out Of Order\n"		/* line 8: sorted in */
	"4.0.0.0,4.0.0.300,64501,Bad Address\n"			/* 9: bad */
	"4.0.1.0,4.0.0.0,64502,Backwards\n"			/* 10: bad */
	"4.0.2.0,4.0.2.255,64503\n"				/* 11: bad, 3 fields */
	"4.0.3.0,4.0.3.255,64504,\"Unterminated\n"		/* 12: bad */
	"4.0.4.0,4.0.4.255,AS64505,With AS prefix\n"
	"4.0.5.0,4.0.5.255,99999999999,Too Big\n"		/* 14: bad */
	"5.0.0.0,5.0.1.255,64506,Outer\n"
	"5.0.1.0,5.0.1.127,64507,Covered\n"			/* 16: covered, skipped */
	"5.0.1.128,5.0.2.255,64508,Overlapping\n"		/* 17: clipped */
	"6.0.0.0,6.0.0.255,64509,Tab\tand\x01" "control\n"
	"7.0.0.0,7.0.0.255,64510,\"Name, with \"\"quotes\"\" and, commas\"   \r\n"
	"8.0.0.0,8.0.0.255,13335,A Second Name For 13335\n"
	"9.0.0.0,9.0.0.255,64511,No final newline";

static const char quirky_cc[] =
	"1.0.0.0,1.0.0.255,AU\r\n"
	"1.0.1.0,1.0.3.255,cn\r\n"
	"\r\n"
	"1.0.4.0,1.0.7.255,AU  \n"
	"1.0.8.0,1.0.8.255,XYZ\n"				/* 5: bad */
	"1.0.9.0,1.0.9.255,1A\n"				/* 6: bad */
	"255.255.255.0,255.255.255.255,ZZ";

static void test_asn_import_quirky_csv(void **state)
{
	char err[8192];
	struct asn_db db;
	struct asn_info in;
	const char *why = NULL;
	(void)state;

	write_file(tmp_path("q.csv"), quirky_asn, sizeof quirky_asn - 1);
	write_file(tmp_path("qc.csv"), quirky_cc, sizeof quirky_cc - 1);
	assert_int_equal(import(tmp_path("q.csv"), tmp_path("qc.csv"), tmp_path("q.db"), err, sizeof err), 0);
	/* every bad line is named FILE:LINE */
	static const int bad_asn[] = {9, 10, 11, 12, 14, 16, 17};
	for (size_t i = 0; i < sizeof bad_asn / sizeof bad_asn[0]; i++) {
		char want[600];
		snprintf(want, sizeof want, "%s:%d: ", tmp_path("q.csv"), bad_asn[i]);
		if (!strstr(err, want))
			fail_msg("no report for line %d in:\n%s", bad_asn[i], err);
	}
	for (int l = 5; l <= 6; l++) {
		char want[600];
		snprintf(want, sizeof want, "%s:%d: ", tmp_path("qc.csv"), l);
		assert_non_null(strstr(err, want));
	}
	/* a CSV fault says where in the line: line 12's quote is never closed (it is 37 bytes) */
	{
		char want[600];
		snprintf(want, sizeof want, "%s:12: unterminated quote (column 38)", tmp_path("q.csv"));
		if (!strstr(err, want))
			fail_msg("no column for line 12 in:\n%s", err);
	}
	assert_null(strstr(err, "q.csv:1:"));
	assert_null(strstr(err, "q.csv:21:"));

	assert_int_equal(asn_db_open(&db, tmp_path("q.db"), &why), 0);
	assert_int_equal(asn_db_lookup(&db, ip("1.0.0.7"), &in), 1);
	assert_int_equal(in.asn, 13335);
	assert_string_equal(in.as_name, "Cloudflare, Inc.");
	assert_string_equal(in.cc, "AU");
	assert_int_equal(in.range_start, ip("1.0.0.0"));
	assert_int_equal(in.range_end, ip("1.0.0.255"));
	/* a gap in the ASN table, a country all the same */
	assert_int_equal(asn_db_lookup(&db, ip("1.0.2.1"), &in), 1);
	assert_int_equal(in.asn, 0);
	assert_string_equal(in.as_name, "");
	assert_string_equal(in.cc, "CN");
	/* merged neighbours */
	assert_int_equal(asn_db_lookup(&db, ip("1.0.8.255"), &in), 1);
	assert_int_equal(in.asn, 38803);
	assert_int_equal(in.range_start, ip("1.0.4.0"));
	assert_int_equal(in.range_end, ip("1.0.8.255"));
	assert_string_equal(in.as_name, "Gtelecom Pty Ltd");
	assert_int_equal(asn_db_lookup(&db, ip("2.26.201.1"), &in), 1);
	assert_string_equal(in.as_name, "LLC \"SPUTNIK\"");
	assert_int_equal(asn_db_lookup(&db, ip("38.199.25.255"), &in), 1);
	assert_string_equal(in.as_name, "LINAGE COMUNICACIONES\xc2\xa0 SAS");
	assert_int_equal(asn_db_lookup(&db, ip("3.0.0.128"), &in), 1);
	assert_int_equal(in.asn, 64500);
	assert_int_equal(asn_db_lookup(&db, ip("4.0.0.1"), &in), 0);
	assert_int_equal(asn_db_lookup(&db, ip("4.0.4.4"), &in), 1);
	assert_int_equal(in.asn, 64505);
	/* overlap: the outer range keeps its part, the later one is clipped */
	assert_int_equal(asn_db_lookup(&db, ip("5.0.1.100"), &in), 1);
	assert_int_equal(in.asn, 64506);
	assert_int_equal(asn_db_lookup(&db, ip("5.0.1.200"), &in), 1);
	assert_int_equal(in.asn, 64506);
	assert_int_equal(asn_db_lookup(&db, ip("5.0.2.0"), &in), 1);
	assert_int_equal(in.asn, 64508);
	assert_int_equal(in.range_start, ip("5.0.2.0"));
	assert_int_equal(asn_db_lookup(&db, ip("6.0.0.1"), &in), 1);
	assert_string_equal(in.as_name, "Tab?and?control");
	assert_int_equal(asn_db_lookup(&db, ip("7.0.0.1"), &in), 1);
	assert_string_equal(in.as_name, "Name, with \"quotes\" and, commas");
	/* the first name of an AS wins */
	assert_int_equal(asn_db_lookup(&db, ip("8.0.0.1"), &in), 1);
	assert_string_equal(in.as_name, "Cloudflare, Inc.");
	assert_int_equal(asn_db_lookup(&db, ip("9.0.0.255"), &in), 1);
	assert_string_equal(in.as_name, "No final newline");
	assert_int_equal(asn_db_lookup(&db, ip("255.255.255.255"), &in), 1);
	assert_string_equal(in.cc, "ZZ");
	assert_int_equal(in.asn, 0);
	assert_int_equal(asn_db_lookup(&db, 0, &in), 0);
	assert_int_equal(asn_db_lookup(&db, ip("254.0.0.0"), &in), 0);
	assert_string_equal(asn_db_name(&db, 64511), "No final newline");
	assert_string_equal(asn_db_name(&db, 1), "");
	asn_db_close(&db);
}

static void test_asn_import_usage_and_io_errors(void **state)
{
	char err[4096];
	char *a1[] = {"asn"};
	char *a2[] = {"asn", "import", "--asn", "x"};
	char *a3[] = {"asn", "frobnicate"};
	(void)state;
	assert_int_equal(run_asn(err, sizeof err, 1, a1), 2);
	assert_int_equal(run_asn(err, sizeof err, 4, a2), 2);
	assert_int_equal(run_asn(err, sizeof err, 2, a3), 2);
	assert_int_equal(import("/nonexistent/x.csv", NULL, tmp_path("n.db"), err, sizeof err), 2);
	assert_non_null(strstr(err, "/nonexistent/x.csv"));
	assert_int_equal(access(tmp_path("n.db"), F_OK), -1);
	write_file(tmp_path("ok.csv"), "1.0.0.0,1.0.0.255,1,x\n", 22);
	assert_int_equal(import(tmp_path("ok.csv"), NULL, "/nonexistent/dir/out.db", err, sizeof err), 2);
}

/* Compare every line of a real ip2asn CSV with the table built from it. */
static void check_against_csv(const struct asn_db *db, const char *path, int kind_cc)
{
	FILE *f = fopen(path, "r");
	char line[4096];
	unsigned long lines = 0, checked = 0;
	assert_non_null(f);
	while (fgets(line, sizeof line, f)) {
		char a[32], b[32];
		unsigned long asn = 0;
		char cc[8] = "";
		struct asn_info in;
		lines++;
		if (kind_cc ? sscanf(line, "%31[^,],%31[^,],%7s", a, b, cc) != 3
			    : sscanf(line, "%31[^,],%31[^,],%lu", a, b, &asn) != 3)
			continue;
		uint32_t s = ip(a), e = ip(b);
		uint32_t probes[3] = {s, e, s + (e - s) / 2};
		for (int k = 0; k < 3; k++) {
			assert_int_equal(asn_db_lookup(db, probes[k], &in), 1);
			if (kind_cc) {
				if (strcmp(in.cc, cc) != 0)
					fail_msg("%s:%lu: %s has %s, table says %s", path, lines, a, cc, in.cc);
			} else if (in.asn != asn) {
				fail_msg("%s:%lu: %s has AS%lu, table says AS%u", path, lines, a, asn, in.asn);
			}
		}
		checked++;
	}
	fclose(f);
	assert_true(checked > 1000);
}

static void test_asn_import_shared_data(void **state)
{
	char err[8192];
	struct asn_db db;
	struct asn_info in;
	const char *why = NULL;
	char asn_csv[512], cc_csv[512];
	(void)state;

	const char *p = data_path("asn/asn-ipv4-1-45.csv");
	if (!p) {
		skip();
		return;
	}
	snprintf(asn_csv, sizeof asn_csv, "%s", p);
	p = data_path("asn/asn-country-ipv4.csv");
	assert_non_null(p);
	snprintf(cc_csv, sizeof cc_csv, "%s", p);

	assert_int_equal(import(asn_csv, cc_csv, tmp_path("real.db"), err, sizeof err), 0);
	assert_non_null(strstr(err, "0 lines skipped"));
	assert_int_equal(asn_db_open(&db, tmp_path("real.db"), &why), 0);
	check_against_csv(&db, asn_csv, 0);
	check_against_csv(&db, cc_csv, 1);
	assert_int_equal(asn_db_lookup(&db, ip("1.0.0.1"), &in), 1);
	assert_int_equal(in.asn, 13335);
	assert_string_equal(in.as_name, "Cloudflare, Inc.");
	assert_string_equal(in.cc, "AU");

	/* a figure, not a test: lookups per second, no allocation */
	struct timespec t0, t1;
	uint32_t x = 0x9e3779b9u, sum = 0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < 1000000; i++) {
		x = x * 1664525u + 1013904223u;
		asn_db_lookup(&db, x % 0x2e000000u, &in);
		sum += in.asn;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double ns = ((t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec)) / 1e6;
	struct stat st;
	stat(tmp_path("real.db"), &st);
	print_message("asn: %u ranges, %u countries, %u names, %lld bytes; %.0f ns per lookup (%u)\n",
		      db.n_ranges, db.n_cc, db.n_names, (long long)st.st_size, ns, sum & 1);
	asn_db_close(&db);
}

/* The full gzipped table, decompressed by zcat (no zlib in TIP). */
static void test_asn_import_full_gz_through_zcat(void **state)
{
	char err[8192], cmd[1200];
	struct asn_db db;
	struct asn_info in;
	(void)state;
	const char *gz = data_path("asn/asn-ipv4.csv.gz");
	if (!gz || system("command -v zcat >/dev/null 2>&1") != 0) {
		skip();
		return;
	}
	snprintf(cmd, sizeof cmd, "zcat '%s' > '%s'", gz, tmp_path("full.csv"));
	assert_int_equal(system(cmd), 0);
	assert_int_equal(import(tmp_path("full.csv"), NULL, tmp_path("full.db"), err, sizeof err), 0);
	/* the one overlap of the real file (DoD ranges) is reported and clipped */
	assert_non_null(strstr(err, "full.csv:399116: range overlaps"));
	assert_int_equal(asn_db_open(&db, tmp_path("full.db"), NULL), 0);
	assert_int_equal(asn_db_lookup(&db, ip("215.0.0.1"), &in), 1);
	assert_int_equal(in.asn, 749);
	assert_int_equal(asn_db_lookup(&db, ip("215.1.0.1"), &in), 1);
	assert_int_equal(in.asn, 721);
	assert_int_equal(asn_db_lookup(&db, ip("223.255.254.1"), &in), 1);
	assert_int_equal(in.asn, 55415);
	assert_string_equal(in.as_name, "Marina Bay Sands Pte Ltd");
	assert_true(db.n_names > 80000);
	print_message("asn: full table %u ranges, %u names, %zu bytes\n", db.n_ranges, db.n_names, db.size);
	asn_db_close(&db);
	unlink(tmp_path("full.csv"));
	unlink(tmp_path("full.db"));
}

/* Read the quirky table into memory for the damage tests. */
static uint8_t *load(size_t *len)
{
	char err[4096];
	struct stat st;
	write_file(tmp_path("d.csv"), quirky_asn, sizeof quirky_asn - 1);
	write_file(tmp_path("dc.csv"), quirky_cc, sizeof quirky_cc - 1);
	assert_int_equal(import(tmp_path("d.csv"), tmp_path("dc.csv"), tmp_path("d.db"), err, sizeof err), 0);
	assert_int_equal(stat(tmp_path("d.db"), &st), 0);
	uint8_t *p = malloc((size_t)st.st_size);
	FILE *f = fopen(tmp_path("d.db"), "rb");
	assert_int_equal(fread(p, 1, (size_t)st.st_size, f), (size_t)st.st_size);
	fclose(f);
	*len = (size_t)st.st_size;
	return p;
}

static void reseal(uint8_t *p, size_t len)
{
	buf_set_le32(p + ASN_H_CRC_DATA, crc32c(0, p + ASN_DB_HDR_SIZE, len - ASN_DB_HDR_SIZE));
	buf_set_le32(p + ASN_H_CRC_HDR, crc32c(0, p, ASN_H_CRC_HDR));
}

static void test_asn_db_refuses_damage(void **state)
{
	size_t len;
	uint8_t *p = load(&len);
	struct asn_db db;
	const char *why;
	(void)state;

	assert_int_equal(asn_db_init_mem(&db, p, len, &why), 0);
	/* every truncation */
	for (size_t n = 0; n < len; n += (n < 200 ? 1 : 7))
		assert_int_equal(asn_db_init_mem(&db, p, n, NULL), -1);
	/* every single-bit flip is caught by one of the CRCs */
	for (size_t i = 0; i < len; i++) {
		p[i] ^= 0x10;
		why = NULL;
		assert_int_equal(asn_db_init_mem(&db, p, len, &why), -1);
		assert_int_equal(errno, EINVAL);
		assert_non_null(why);
		p[i] ^= 0x10;
	}
	free(p);
}

/* Hostile tables with valid CRCs: each structural check must hold. */
static void test_asn_db_refuses_hostile_tables(void **state)
{
	size_t len;
	uint8_t *p = load(&len);
	struct asn_db db;
	(void)state;
	uint32_t o_r = buf_le32(p + ASN_H_OFF_RANGES), n_r = buf_le32(p + ASN_H_N_RANGES);
	uint32_t o_n = buf_le32(p + ASN_H_OFF_NAMES), n_n = buf_le32(p + ASN_H_N_NAMES);
	uint32_t o_c = buf_le32(p + ASN_H_OFF_CC), n_c = buf_le32(p + ASN_H_N_CC);
	uint8_t *q = malloc(len);

	/* ranges out of order */
	memcpy(q, p, len);
	buf_set_le32(q + o_r, 0xfffffff0u);
	reseal(q, len);
	assert_int_equal(asn_db_init_mem(&db, q, len, NULL), -1);
	/* a name offset past the strings */
	memcpy(q, p, len);
	buf_set_le32(q + o_n + n_n * 4, 0x7fffffffu);
	reseal(q, len);
	assert_int_equal(asn_db_init_mem(&db, q, len, NULL), -1);
	/* a country code that is not two letters */
	memcpy(q, p, len);
	q[o_c + n_c * 8] = '\n';
	reseal(q, len);
	assert_int_equal(asn_db_init_mem(&db, q, len, NULL), -1);
	/* counts that run past the file, in every header field */
	for (int field = ASN_H_N_RANGES; field <= ASN_H_OFF_STRINGS; field += 4) {
		static const uint32_t vals[] = {0xffffffffu, 0x40000000u, 3, 0};
		for (size_t k = 0; k < sizeof vals / sizeof vals[0]; k++) {
			memcpy(q, p, len);
			buf_set_le32(q + field, vals[k]);
			reseal(q, len);
			if (asn_db_init_mem(&db, q, len, NULL) == 0) {
				/* accepted only if still consistent: lookups must stay inside */
				struct asn_info in;
				for (uint32_t a = 0; a < 16; a++)
					asn_db_lookup(&db, a << 28 | 0x10000, &in);
			}
		}
	}
	/* the final NUL of the strings */
	memcpy(q, p, len);
	memset(q + len - 4, 'x', 4);
	reseal(q, len);
	assert_int_equal(asn_db_init_mem(&db, q, len, NULL), -1);
	(void)n_r;
	free(q);
	free(p);
}

static void test_asn_db_open_errors(void **state)
{
	struct asn_db db;
	const char *why = NULL;
	(void)state;
	assert_int_equal(asn_db_open(&db, "/nonexistent/x.db", &why), -1);
	assert_int_equal(errno, ENOENT);
	write_file(tmp_path("short.db"), "TIPASN1\n", 8);
	assert_int_equal(asn_db_open(&db, tmp_path("short.db"), &why), -1);
	assert_int_equal(errno, EINVAL);
	write_file(tmp_path("junk.db"), quirky_asn, sizeof quirky_asn - 1);
	assert_int_equal(asn_db_open(&db, tmp_path("junk.db"), &why), -1);
	assert_string_equal(why, "not an ASN table (magic)");
}

static int setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof tmpdir, "/tmp/test_asn.XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[400];
	(void)state;
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_asn_import_quirky_csv),
		cmocka_unit_test(test_asn_import_usage_and_io_errors),
		cmocka_unit_test(test_asn_import_shared_data),
		cmocka_unit_test(test_asn_import_full_gz_through_zcat),
		cmocka_unit_test(test_asn_db_refuses_damage),
		cmocka_unit_test(test_asn_db_refuses_hostile_tables),
		cmocka_unit_test(test_asn_db_open_errors),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
