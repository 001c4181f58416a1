/*
 * tip asn import: build the offline IPv4 -> ASN/country table that tipd
 * maps (format in store/asn_db.h) from ip2asn-style CSVs:
 *     range_start,range_end,asn,org        (org CSV-quoted when it holds a comma)
 *     range_start,range_end,cc
 * Input quirks accepted: CRLF, blank lines, trailing blanks, no final
 * newline, non-ASCII (UTF-8) bytes in names, "" inside quoted names.
 * A line that does not parse is reported as FILE:LINE and skipped; so is
 * a range that another one already covers entirely (a partial overlap is
 * clipped and reported).  Adjacent ranges with the same value are merged.
 * The output is written to a temporary name, fsynced and renamed, so a
 * reader never maps half a table.  "-" reads standard input (for zcat).
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "asn_db.h"
#include "asn_import.h"
#include "buf.h"
#include "crc32c.h"
#include "tip.h"

#define LINE_MAX_BYTES 4096
#define NAME_MAX_BYTES 255
#define REPORT_MAX 20		/* bad lines printed per file; the rest are counted */

struct range {
	uint32_t start, end;
	uint32_t val;		/* ASN, or the two country letters */
	uint32_t line;
};

struct name {
	uint32_t asn;
	uint32_t off;		/* into the string table */
};

struct table {
	struct range *r;
	size_t n, alloc;
};

struct import {
	struct table asn, cc;
	struct name *names;
	size_t n_names, alloc_names;
	char *str;
	size_t str_len, str_alloc;
	unsigned long bad;	/* lines skipped, all files */
	unsigned long reported;	/* of the current file */
	int quiet;		/* count bad lines, print none */
};

static void report(struct import *im, const char *file, unsigned long line, const char *why)
{
	im->bad++;
	if (im->reported++ < REPORT_MAX && !im->quiet)
		fprintf(stderr, "tip asn: %s:%lu: %s\n", file, line, why);
}

static int table_push(struct table *t, const struct range *r)
{
	if (t->n == t->alloc) {
		size_t na = t->alloc ? t->alloc * 2 : 4096;
		struct range *nr = realloc(t->r, na * sizeof *nr);
		if (!nr)
			return -1;
		t->r = nr;
		t->alloc = na;
	}
	t->r[t->n++] = *r;
	return 0;
}

/* Append a NUL-terminated string; its offset, or -1. */
static long str_add(struct import *im, const char *s, size_t n)
{
	if (im->str_alloc - im->str_len < n + 1) {
		size_t na = im->str_alloc ? im->str_alloc * 2 : 65536;
		while (na - im->str_len < n + 1)
			na *= 2;
		char *ns = realloc(im->str, na);
		if (!ns)
			return -1;
		im->str = ns;
		im->str_alloc = na;
	}
	long off = (long)im->str_len;
	memcpy(im->str + im->str_len, s, n);
	im->str[im->str_len + n] = '\0';
	im->str_len += n + 1;
	return off;
}

static int name_push(struct import *im, uint32_t asn, uint32_t off)
{
	if (im->n_names == im->alloc_names) {
		size_t na = im->alloc_names ? im->alloc_names * 2 : 4096;
		struct name *nn = realloc(im->names, na * sizeof *nn);
		if (!nn)
			return -1;
		im->names = nn;
		im->alloc_names = na;
	}
	im->names[im->n_names++] = (struct name){asn, off};
	return 0;
}

/* ---- one CSV line ------------------------------------------------------ */

struct field {
	char *p;
	size_t n;
};

static int blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/*
 * Split line[0..len) at commas into at most max fields, unquoting
 * "quoted ""fields""" in place.  Returns the number of fields, or -1 with
 * *why and, in *at, the offset in the line where it went wrong.
 */
static int csv_split(char *line, size_t len, struct field *f, int max, const char **why,
		     size_t *at)
{
	struct buf_rd b;
	int n = 0;
	buf_rd_init(&b, line, len);
	for (;;) {
		if (n == max) {
			*why = "too many fields";
			goto bad;
		}
		buf_skip_while(&b, " \t");
		if (buf_take_byte(&b, '"')) {
			char *w = line + b.off;
			f[n].p = w;
			for (;;) {
				size_t k;
				const uint8_t *run = buf_take_until(&b, '"', &k);
				memmove(w, run, k);
				w += k;
				if (!buf_take_byte(&b, '"')) {
					*why = "unterminated quote";
					goto bad;
				}
				if (!buf_take_byte(&b, '"'))
					break;
				*w++ = '"';	/* "" inside quotes */
			}
			f[n].n = (size_t)(w - f[n].p);
			buf_skip_while(&b, " \t");
			if (buf_peek(&b) >= 0 && buf_peek(&b) != ',') {
				*why = "text after a closing quote";
				goto bad;
			}
		} else {
			size_t s0 = b.off, k;
			const uint8_t *run = buf_take_until(&b, ',', &k);
			const uint8_t *q = memchr(run, '"', k);
			if (q) {
				b.off = s0 + (size_t)(q - run);
				*why = "quote inside an unquoted field";
				goto bad;
			}
			while (k > 0 && blank((char)run[k - 1]))
				k--;
			f[n].p = line + s0;
			f[n].n = k;
		}
		n++;
		if (!buf_take_byte(&b, ','))
			return n;
	}
bad:
	*at = b.off;
	return -1;
}

/* Strict dotted quad: four decimal numbers 0-255 of one to three digits. */
static int parse_ipv4(const struct field *f, uint32_t *out)
{
	uint32_t v = 0;
	size_t i = 0;
	for (int k = 0; k < 4; k++) {
		unsigned o = 0, d = 0;
		while (i < f->n && f->p[i] >= '0' && f->p[i] <= '9' && d < 4) {
			o = o * 10 + (unsigned)(f->p[i++] - '0');
			d++;
		}
		if (d == 0 || d > 3 || o > 255)
			return -1;
		v = v << 8 | o;
		if (k < 3) {
			if (i >= f->n || f->p[i] != '.')
				return -1;
			i++;
		}
	}
	if (i != f->n)
		return -1;
	*out = v;
	return 0;
}

static int parse_asn(const struct field *f, uint32_t *out)
{
	uint64_t v = 0;
	size_t i = 0;
	if (f->n >= 2 && (f->p[0] == 'A' || f->p[0] == 'a') && (f->p[1] == 'S' || f->p[1] == 's'))
		i = 2;
	if (i == f->n || f->n - i > 10)
		return -1;
	for (; i < f->n; i++) {
		if (f->p[i] < '0' || f->p[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(f->p[i] - '0');
	}
	if (v > UINT32_MAX)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

/* Clean a name in place: control bytes to '?', cut at a UTF-8 boundary. */
static size_t clean_name(char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c < 0x20 || c == 0x7f)
			p[i] = '?';
	}
	if (n > NAME_MAX_BYTES) {
		n = NAME_MAX_BYTES;
		while (n > 0 && ((unsigned char)p[n] & 0xc0) == 0x80)
			n--;
	}
	return n;
}

/* ---- files --------------------------------------------------------------- */

enum kind { KIND_ASN, KIND_CC };

static int parse_line(struct import *im, enum kind kind, char *line, size_t len,
		      uint32_t lineno, const char **why, size_t *at)
{
	struct field f[5];
	struct range r = {.line = lineno};
	int n = csv_split(line, len, f, kind == KIND_ASN ? 4 : 3, why, at);
	if (n < 0)
		return -1;
	if (n != (kind == KIND_ASN ? 4 : 3)) {
		*why = kind == KIND_ASN ? "want 4 fields: start,end,asn,org" : "want 3 fields: start,end,cc";
		return -1;
	}
	if (parse_ipv4(&f[0], &r.start) < 0 || parse_ipv4(&f[1], &r.end) < 0) {
		*why = "bad IPv4 address";
		return -1;
	}
	if (r.start > r.end) {
		*why = "range start after end";
		return -1;
	}
	if (kind == KIND_CC) {
		if (f[2].n != 2) {
			*why = "country code not two letters";
			return -1;
		}
		uint8_t c[2];
		for (int k = 0; k < 2; k++) {
			char ch = f[2].p[k];
			if (ch >= 'a' && ch <= 'z')
				ch = (char)(ch - 'a' + 'A');
			if (ch < 'A' || ch > 'Z') {
				*why = "country code not two letters";
				return -1;
			}
			c[k] = (uint8_t)ch;
		}
		r.val = (uint32_t)c[0] | (uint32_t)c[1] << 8;
		if (table_push(&im->cc, &r) < 0)
			goto out_nomem;
		return 0;
	}
	if (parse_asn(&f[2], &r.val) < 0) {
		*why = "bad AS number";
		return -1;
	}
	if (table_push(&im->asn, &r) < 0)
		goto out_nomem;
	/* the first name seen for an AS wins; names are sorted out later */
	size_t nl = clean_name(f[3].p, f[3].n);
	long off = str_add(im, f[3].p, nl);
	if (off < 0 || name_push(im, r.val, (uint32_t)off) < 0)
		goto out_nomem;
	return 0;
out_nomem:
	*why = "out of memory";
	errno = ENOMEM;
	return -2;
}

/* One line of a CSV (its newline included or not): 0, or -1 out of memory. */
static int import_line(struct import *im, enum kind kind, const char *path, uint32_t lineno,
		       char *line, size_t len)
{
	const char *why = NULL;
	while (len > 0 && blank(line[len - 1]))
		len--;
	if (len == 0)
		return 0;
	if (len > LINE_MAX_BYTES) {
		report(im, path, lineno, "line too long");
		return 0;
	}
	if (memchr(line, '\0', len)) {
		report(im, path, lineno, "NUL byte");
		return 0;
	}
	size_t at = SIZE_MAX;	/* where in the line, when the CSV splitter knows */
	int r = parse_line(im, kind, line, len, lineno, &why, &at);
	if (r == -2) {
		if (!im->quiet)
			fprintf(stderr, "tip asn: %s:%lu: %s\n", path, (unsigned long)lineno, why);
		return -1;
	}
	if (r < 0 && at != SIZE_MAX) {
		char w[96];
		snprintf(w, sizeof w, "%s (column %zu)", why, at + 1);
		report(im, path, lineno, w);
	} else if (r < 0) {
		report(im, path, lineno, why);
	}
	return 0;
}

static int read_csv(struct import *im, enum kind kind, const char *path)
{
	FILE *fp = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t got;
	uint32_t lineno = 0;
	int rc = 0;

	if (!fp) {
		fprintf(stderr, "tip asn: %s: %s\n", path, strerror(errno));
		return -1;
	}
	im->reported = 0;
	while ((got = getline(&line, &cap, fp)) >= 0) {
		if (import_line(im, kind, path, ++lineno, line, (size_t)got) < 0) {
			rc = -1;
			break;
		}
	}
	if (rc == 0 && ferror(fp)) {
		fprintf(stderr, "tip asn: %s: read error: %s\n", path, strerror(errno));
		rc = -1;
	}
	if (im->reported > REPORT_MAX)
		fprintf(stderr, "tip asn: %s: %lu more bad lines not shown\n", path,
			im->reported - REPORT_MAX);
	free(line);
	if (fp != stdin)
		fclose(fp);
	return rc;
}

static int cmp_range(const void *a, const void *b)
{
	const struct range *x = a, *y = b;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	if (x->end != y->end)
		return x->end < y->end ? -1 : 1;
	return x->line < y->line ? -1 : x->line > y->line;
}

static int cmp_name(const void *a, const void *b)
{
	const struct name *x = a, *y = b;
	if (x->asn != y->asn)
		return x->asn < y->asn ? -1 : 1;
	/* the earliest name (lowest offset) first, so it wins */
	return x->off < y->off ? -1 : x->off > y->off;
}

/* Sort, clip overlaps, drop covered ranges, merge neighbours with one value. */
static void normalize(struct import *im, struct table *t, const char *path)
{
	size_t w = 0;
	if (t->n == 0)
		return;
	qsort(t->r, t->n, sizeof *t->r, cmp_range);
	for (size_t i = 0; i < t->n; i++) {
		struct range r = t->r[i];
		if (w > 0) {
			struct range *p = &t->r[w - 1];
			if (r.start <= p->end) {
				if (r.end <= p->end) {
					report(im, path, r.line, "range inside an earlier range; skipped");
					continue;
				}
				report(im, path, r.line, "range overlaps an earlier one; clipped");
				im->bad--;	/* kept, in part: not a skipped line */
				r.start = p->end + 1;
			}
			if (r.val == p->val && p->end != UINT32_MAX && r.start == p->end + 1) {
				p->end = r.end;
				continue;
			}
		}
		t->r[w++] = r;
	}
	t->n = w;
}

/* ---- output ---------------------------------------------------------------- */

static int write_all(int fd, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t k = write(fd, p, n);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

static void put_u32s(struct buf_wr *w, const struct range *r, size_t n, int which)
{
	for (size_t i = 0; i < n; i++)
		buf_put_le32(w, which == 0 ? r[i].start : which == 1 ? r[i].end : r[i].val);
}

static uint8_t *build(struct import *im, size_t *out_len)
{
	/* unique names: one per ASN, the first seen */
	size_t nn = 0;
	if (im->n_names > 1)	/* names is NULL in a table without any: qsort(NULL) is UB */
		qsort(im->names, im->n_names, sizeof *im->names, cmp_name);
	for (size_t i = 0; i < im->n_names; i++)
		if (nn == 0 || im->names[nn - 1].asn != im->names[i].asn)
			im->names[nn++] = im->names[i];
	im->n_names = nn;

	/*
	 * The string table keeps only the winning names: copy them into a
	 * fresh table that starts with "" (offset 0 = no name).
	 */
	char *strs = malloc(im->str_len + 1);
	size_t sl = 0;
	if (!strs)
		return NULL;
	strs[sl++] = '\0';
	for (size_t i = 0; i < nn; i++) {
		const char *s = im->str + im->names[i].off;
		size_t l = strlen(s);
		if (l == 0) {
			im->names[i].off = 0;
			continue;
		}
		memcpy(strs + sl, s, l + 1);
		im->names[i].off = (uint32_t)sl;
		sl += l + 1;
	}

	size_t nr = im->asn.n, nc = im->cc.n;
	size_t o_r = ASN_DB_HDR_SIZE;
	size_t o_c = o_r + nr * 12;
	size_t o_n = o_c + ((nc * 10 + 3) & ~(size_t)3);
	size_t o_s = o_n + nn * 8;
	size_t total = o_s + ((sl + 3) & ~(size_t)3);
	if (total > ASN_DB_MAX_BYTES) {
		free(strs);
		errno = EFBIG;
		return NULL;
	}
	uint8_t *out = calloc(1, total);
	if (!out) {
		free(strs);
		return NULL;
	}
	struct buf_wr w;
	buf_wr_init(&w, out, total);
	buf_put_bytes(&w, ASN_DB_MAGIC, 8);
	buf_put_le32(&w, ASN_DB_VERSION);
	buf_put_le32(&w, ASN_DB_HDR_SIZE);
	buf_put_le32(&w, (uint32_t)nr);
	buf_put_le32(&w, (uint32_t)nc);
	buf_put_le32(&w, (uint32_t)nn);
	buf_put_le32(&w, (uint32_t)((sl + 3) & ~(size_t)3));
	buf_put_le32(&w, (uint32_t)o_r);
	buf_put_le32(&w, (uint32_t)o_c);
	buf_put_le32(&w, (uint32_t)o_n);
	buf_put_le32(&w, (uint32_t)o_s);
	buf_put_le32(&w, (uint32_t)total);
	buf_put_le32(&w, 0);	/* data CRC, below */
	buf_put_le32(&w, 0);	/* reserved */
	buf_put_le32(&w, 0);	/* header CRC, below */
	put_u32s(&w, im->asn.r, nr, 0);
	put_u32s(&w, im->asn.r, nr, 1);
	put_u32s(&w, im->asn.r, nr, 2);
	put_u32s(&w, im->cc.r, nc, 0);
	put_u32s(&w, im->cc.r, nc, 1);
	for (size_t i = 0; i < nc; i++)
		buf_put_le16(&w, (uint16_t)im->cc.r[i].val);
	w.off = o_n;
	for (size_t i = 0; i < nn; i++)
		buf_put_le32(&w, im->names[i].asn);
	for (size_t i = 0; i < nn; i++)
		buf_put_le32(&w, im->names[i].off);
	buf_put_bytes(&w, strs, sl);	/* padding stays zero: still NUL-terminated */
	free(strs);
	if (w.err) {
		free(out);
		errno = EOVERFLOW;
		return NULL;
	}
	buf_set_le32(out + ASN_H_CRC_DATA, crc32c(0, out + ASN_DB_HDR_SIZE, total - ASN_DB_HDR_SIZE));
	buf_set_le32(out + ASN_H_CRC_HDR, crc32c(0, out, ASN_H_CRC_HDR));
	*out_len = total;
	return out;
}

/* Write to OUT.tmp, fsync, rename, fsync the directory. */
static int publish(const char *path, const uint8_t *p, size_t n)
{
	char tmp[4096], dir[4096];
	if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp) {
		errno = ENAMETOOLONG;
		return -1;
	}
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	if (write_all(fd, p, n) < 0 || fsync(fd) < 0)
		goto out_unlink;
	if (close(fd) < 0) {
		fd = -1;
		goto out_unlink;
	}
	fd = -1;
	if (rename(tmp, path) < 0)
		goto out_unlink;
	snprintf(dir, sizeof dir, "%s", path);
	int dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	return 0;

out_unlink:;
	int e = errno;
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	errno = e;
	return -1;
}

/* Feed a CSV held in memory line by line (copied: the parser cuts lines in place). */
static int import_mem(struct import *im, enum kind kind, const char *text, size_t len)
{
	char *line = malloc(len + 1);
	uint32_t lineno = 0;
	int rc = 0;
	if (!line)
		return -1;
	for (size_t off = 0; off < len && rc == 0;) {
		const char *nl = memchr(text + off, '\n', len - off);
		size_t n = nl ? (size_t)(nl - (text + off)) + 1 : len - off;
		memcpy(line, text + off, n);
		line[n] = '\0';
		rc = import_line(im, kind, "(memory)", ++lineno, line, n);
		off += n;
	}
	free(line);
	return rc;
}

uint8_t *asn_import_mem(const char *asn_csv, size_t asn_len, const char *cc_csv, size_t cc_len,
			size_t *out_len, unsigned long *bad)
{
	struct import im;
	uint8_t *out = NULL;
	memset(&im, 0, sizeof im);
	im.quiet = 1;
	if (import_mem(&im, KIND_ASN, asn_csv, asn_len) == 0 &&
	    import_mem(&im, KIND_CC, cc_csv, cc_len) == 0) {
		normalize(&im, &im.asn, "(memory)");
		normalize(&im, &im.cc, "(memory)");
		out = build(&im, out_len);
	}
	if (bad)
		*bad = im.bad;
	free(im.asn.r);
	free(im.cc.r);
	free(im.names);
	free(im.str);
	return out;
}

static int import_main(int argc, char **argv)
{
	const char *asn_path = NULL, *cc_path = NULL, *out_path = NULL;
	struct import im;
	int rc = 2;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--asn") && i + 1 < argc)
			asn_path = argv[++i];
		else if (!strcmp(argv[i], "--country") && i + 1 < argc)
			cc_path = argv[++i];
		else if (!strcmp(argv[i], "-o") && i + 1 < argc)
			out_path = argv[++i];
		else
			return tip_usage("asn");
	}
	if (!out_path || (!asn_path && !cc_path))
		return tip_usage("asn");

	memset(&im, 0, sizeof im);
	if (asn_path && read_csv(&im, KIND_ASN, asn_path) < 0)
		goto out_free;
	if (cc_path && read_csv(&im, KIND_CC, cc_path) < 0)
		goto out_free;
	im.reported = 0;
	normalize(&im, &im.asn, asn_path);
	im.reported = 0;
	normalize(&im, &im.cc, cc_path);

	size_t len = 0;
	uint8_t *out = build(&im, &len);
	if (!out) {
		fprintf(stderr, "tip asn: building the table: %s\n", strerror(errno));
		goto out_free;
	}
	if (publish(out_path, out, len) < 0) {
		fprintf(stderr, "tip asn: %s: %s\n", out_path, strerror(errno));
		free(out);
		goto out_free;
	}
	free(out);
	fprintf(stderr, "tip asn: %s: %zu ASN ranges, %zu AS names, %zu country ranges, %zu bytes; %lu lines skipped\n",
		out_path, im.asn.n, im.n_names, im.cc.n, len, im.bad);
	rc = 0;
out_free:
	free(im.asn.r);
	free(im.cc.r);
	free(im.names);
	free(im.str);
	return rc;
}

int cmd_asn(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "import"))
		return import_main(argc - 1, argv + 1);
	return tip_usage("asn");
}
