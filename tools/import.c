/*
 * import: `tip import cof|passivedns FILE... --store DIR [--sensor NAME]`.
 *
 * Reads Passive DNS COF NDJSON (cof.h), one coalesced DNS observation per
 * line, or gamelinux/passivedns logs (passivedns.h), one observation per
 * group of consecutive lines of one response, and appends them to the
 * store through the segment writer, which seals and indexes the segment
 * when the import closes it.  A malformed line is reported as
 * "FILE:LINE: reason (column N)" and skipped; the rest is imported.
 *
 * Exit status: 0 every non-blank line was imported; 1 some lines were
 * malformed and skipped (the others are in the store); 2 a usage error, a
 * file that could not be read, or a store that could not be written (what
 * was appended before is sealed and kept).
 *
 * The sensor: a store holds one sensor's data.  A new store takes --sensor,
 * else the sensor_id of the first imported line, else the directory's
 * name.  An existing store keeps its own; --sensor naming another one is a
 * usage error.  Lines whose sensor_id differs from the store's are still
 * imported and counted in one warning at the end.
 *
 * Importing again changes nothing: state/imports notes, per imported
 * input, its format, the bytes read and two hashes of them (CRC-32C and
 * FNV-1a 64).  An input whose first N bytes hash as a noted import of N
 * bytes is imported from byte N on: the same file again imports nothing,
 * a passivedns log that grew imports only its new lines.  The note is
 * written (temporary file, fsync, rename) after the segment is sealed;
 * a crash between the two imports that input once more the next time.
 * --force imports everything.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cof.h"
#include "crc32c.h"
#include "lock.h"
#include "passivedns.h"
#include "seg.h"
#include "seg_writer.h"
#include "store.h"
#include "tip.h"
#include "util.h"

#define MAX_REPORTS 1000	/* malformed lines reported per file; the rest are counted */

struct imp {
	const char *store;
	const char *sensor_opt;
	char store_id[STORE_ID_MAX];
	int have_id;
	struct seg_writer *w;
	int lock;		/* the store's writer lock while w is open */
	struct cof *cof;	/* format cof */
	struct pdns *pdns;	/* format passivedns */
	char *line;
	uint64_t imported, skipped, other_sensor;
	char other_first[STORE_ID_MAX];
	int io_error;
	int fatal;
	int force;
	const char *fmt;	/* "cof" or "passivedns" */
	struct cover *covers;	/* state/imports, and what this run adds */
	size_t n_covers, old_covers;
};

/* ---- what earlier imports covered (state/imports) ---------------------- */

struct cover {
	char fmt[16];
	uint64_t bytes;
	uint32_t crc;
	uint64_t fnv;
};

static uint64_t fnv64(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 1099511628211ull;
	return h;
}

#define FNV0 14695981039346656037ull

static void covers_load(struct imp *im)
{
	char p[4200], line[256];
	snprintf(p, sizeof p, "%s/state/imports", im->store);
	FILE *f = fopen(p, "r");
	if (!f)
		return;
	unsigned lineno = 0;
	while (fgets(line, sizeof line, f)) {
		struct cover c;
		unsigned long long b, fv;
		unsigned cr;
		lineno++;
		if (line[0] == '#' || line[0] == '\n')
			continue;
		if (sscanf(line, "%15s %llu %8x %16llx", c.fmt, &b, &cr, &fv) != 4) {
			fprintf(stderr, "tip import: %s:%u: not 'FORMAT BYTES CRC32C FNV64'; line ignored\n",
				p, lineno);
			continue;
		}
		c.bytes = b, c.crc = cr, c.fnv = fv;
		void *nv = realloc(im->covers, (im->n_covers + 1) * sizeof *im->covers);
		if (!nv)
			break;
		im->covers = nv;
		im->covers[im->n_covers++] = c;
	}
	fclose(f);
	im->old_covers = im->n_covers;
}

static int covers_save(struct imp *im)
{
	char p[4200], t[4300];
	snprintf(p, sizeof p, "%s/state/imports", im->store);
	snprintf(t, sizeof t, "%s.tmp", p);
	FILE *f = fopen(t, "w");
	if (!f)
		return -1;
	fputs("# tip import: FORMAT BYTES CRC32C FNV64 of each input imported\n", f);
	for (size_t i = 0; i < im->n_covers; i++)
		fprintf(f, "%s %llu %08x %016llx\n", im->covers[i].fmt,
			(unsigned long long)im->covers[i].bytes, im->covers[i].crc,
			(unsigned long long)im->covers[i].fnv);
	int bad = fflush(f) != 0 || fsync(fileno(f)) != 0;
	bad |= fclose(f) != 0;
	if (bad || rename(t, p) < 0) {
		unlink(t);
		return -1;
	}
	return 0;
}

/*
 * The longest noted import of this format that is a prefix of f: its
 * length, or 0.  f is left at the start.
 */
static uint64_t covered_prefix(struct imp *im, FILE *f)
{
	uint64_t best = 0, pos = 0;
	uint32_t crc = 0;
	uint64_t fnv = FNV0;
	char buf[65536];
	if (im->force)
		return 0;
	for (;;) {
		/* the next boundary: the smallest noted length beyond pos */
		uint64_t next = UINT64_MAX;
		for (size_t i = 0; i < im->old_covers; i++)
			if (!strcmp(im->covers[i].fmt, im->fmt) && im->covers[i].bytes > pos &&
			    im->covers[i].bytes < next)
				next = im->covers[i].bytes;
		if (next == UINT64_MAX)
			break;
		while (pos < next) {
			size_t want = next - pos < sizeof buf ? (size_t)(next - pos) : sizeof buf;
			size_t got = fread(buf, 1, want, f);
			if (!got)
				goto out;
			crc = crc32c(crc, buf, got);
			fnv = fnv64(fnv, buf, got);
			pos += got;
		}
		for (size_t i = 0; i < im->old_covers; i++)
			if (!strcmp(im->covers[i].fmt, im->fmt) && im->covers[i].bytes == pos &&
			    im->covers[i].crc == crc && im->covers[i].fnv == fnv)
				best = pos;
	}
out:
	rewind(f);
	return best;
}

/* Hash f's first n bytes into a new cover (kept for covers_save). */
static void cover_note(struct imp *im, FILE *f, uint64_t n)
{
	struct cover c;
	char buf[65536];
	uint64_t pos = 0;
	snprintf(c.fmt, sizeof c.fmt, "%s", im->fmt);
	c.crc = 0;
	c.fnv = FNV0;
	rewind(f);
	while (pos < n) {
		size_t want = n - pos < sizeof buf ? (size_t)(n - pos) : sizeof buf;
		size_t got = fread(buf, 1, want, f);
		if (!got)
			return;
		c.crc = crc32c(c.crc, buf, got);
		c.fnv = fnv64(c.fnv, buf, got);
		pos += got;
	}
	c.bytes = n;
	void *nv = realloc(im->covers, (im->n_covers + 1) * sizeof *im->covers);
	if (!nv)
		return;
	im->covers = nv;
	im->covers[im->n_covers++] = c;
}

/* stdin cannot be read twice: spool it to a temporary file. */
static FILE *spool_stdin(void)
{
	FILE *t = tmpfile();
	char buf[65536];
	size_t n;
	if (!t)
		return NULL;
	while ((n = fread(buf, 1, sizeof buf, stdin)) > 0)
		if (fwrite(buf, 1, n, t) != n) {
			fclose(t);
			return NULL;
		}
	if (ferror(stdin) || fflush(t) != 0) {
		fclose(t);
		return NULL;
	}
	clearerr(stdin);
	rewind(t);
	return t;
}

/*
 * Read one line into l[0..cap) without its newline.  1 with *len (the
 * line's full length: > cap when it did not fit and was cut), 0 at the
 * end, -1 on a read error.
 */
static int read_line(FILE *f, char *l, size_t cap, size_t *len)
{
	size_t n = 0;
	int c;
	while ((c = getc_unlocked(f)) != EOF && c != '\n') {
		if (n < cap)
			l[n] = (char)c;
		n++;
	}
	if (c == EOF && ferror(f))
		return -1;
	if (c == EOF && n == 0)
		return 0;
	*len = n;
	return 1;
}

static int dir_is_empty(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;
	int empty = 1;
	if (!d)
		return 0;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
			empty = 0;
			break;
		}
	closedir(d);
	return empty;
}

/* Open the writer at the first record, when the sensor may come from it. */
static int open_writer(struct imp *im)
{
	char err[512];
	if (!im->have_id) {
		const char *s = im->sensor_opt;
		size_t n = s ? strlen(s) : 0;
		if (!s && im->cof && im->cof->sensor_id && im->cof->sensor_id_len) {
			s = im->cof->sensor_id;
			n = im->cof->sensor_id_len;
		}
		if (!s) {
			/* the directory's name, as store_sensor_id would have it */
			size_t e = strlen(im->store);
			while (e > 1 && im->store[e - 1] == '/')
				e--;
			size_t b = e;
			while (b > 0 && im->store[b - 1] != '/')
				b--;
			s = im->store + b;
			n = e - b;
		}
		util_sensor_name(im->store_id, sizeof im->store_id, s, n);
		if (!im->store_id[0])
			snprintf(im->store_id, sizeof im->store_id, "import");
		im->have_id = 1;
	}
	/* one writer per store, taken before the writer recovers anything */
	im->lock = store_lock_open(im->store, "tip import", err, sizeof err);
	if (im->lock >= 0) {
		im->w = seg_writer_new(im->store, im->store_id, NULL, err, sizeof err);
		if (!im->w) {
			store_lock_close(im->lock);
			im->lock = -1;
		}
	}
	if (!im->w) {
		fprintf(stderr, "tip import: ");
		util_put_text(stderr, err, strlen(err));
		fprintf(stderr, "\n");
		return -1;
	}
	return 0;
}

static void note_sensor(struct imp *im)
{
	char id[STORE_ID_MAX];
	if (!im->cof || !im->cof->sensor_id)
		return;
	util_sensor_name(id, sizeof id, im->cof->sensor_id, im->cof->sensor_id_len);
	if (!strcmp(id, im->store_id))
		return;
	if (!im->other_sensor++)
		snprintf(im->other_first, sizeof im->other_first, "%s", id);
}

/* Append one observation, opening the writer at the first.  0, or -1 (fatal). */
static int put(struct imp *im, const struct rec *r)
{
	if (!im->w && open_writer(im) < 0)
		return -1;
	note_sensor(im);
	if (seg_writer_append(im->w, r) < 0) {
		int e = errno;
		fprintf(stderr, "tip import: ");
		util_put_text(stderr, im->store, strlen(im->store));
		fprintf(stderr, ": cannot append: %s\n", strerror(e));
		return -1;
	}
	im->imported++;
	return 0;
}

static void import_file(struct imp *im, const char *path)
{
	const char *label = strcmp(path, "-") ? path : "<stdin>";
	FILE *f = strcmp(path, "-") ? fopen(path, "r") : spool_stdin();
	uint64_t lineno = 0, reported = 0, skipped = 0;
	size_t len;
	int c = 0;

	if (!f) {
		fprintf(stderr, "tip import: ");
		util_put_text(stderr, label, strlen(label));
		fprintf(stderr, ": %s\n", strerror(errno));
		im->io_error = 1;
		return;
	}
	uint64_t skip = covered_prefix(im, f);
	if (skip) {
		struct stat fs;
		int all = fstat(fileno(f), &fs) == 0 && (uint64_t)fs.st_size == skip;
		fprintf(stderr, "tip import: ");
		util_put_text(stderr, label, strlen(label));
		if (all)
			fprintf(stderr, ": already imported (%llu bytes, state/imports); nothing new\n",
				(unsigned long long)skip);
		else
			fprintf(stderr, ": its first %llu bytes were imported before; importing the rest\n",
				(unsigned long long)skip);
		if (fseeko(f, (off_t)skip, SEEK_SET) < 0) {
			fclose(f);
			im->io_error = 1;
			return;
		}
	}
	while (!im->fatal && (c = read_line(f, im->line, COF_LINE_MAX, &len)) > 0) {
		const char *why;
		size_t col;
		int r;
		lineno++;
		const struct rec *rec = NULL;
		if (len > COF_LINE_MAX) {
			why = "line longer than 1 MiB";
			col = 0;
			r = -1;
		} else if (im->pdns) {
			r = pdns_feed(im->pdns, im->line, len, &rec, &why, &col);
		} else {
			r = cof_parse_line(im->cof, im->line, len, &why, &col);
			rec = &im->cof->rec;
		}
		if (r == 0)
			continue;
		if (r < 0) {
			skipped++;
			if (reported++ < MAX_REPORTS) {
				util_put_text(stderr, label, strlen(label));
				fprintf(stderr, ":%llu: %s", (unsigned long long)lineno, why);
				if (col)
					fprintf(stderr, " (column %zu)", col);
				fprintf(stderr, "\n");
			}
			continue;
		}
		if (put(im, rec) < 0) {
			im->fatal = 1;
			break;
		}
	}
	const struct rec *last;
	if (im->pdns && pdns_flush(im->pdns, &last) == 1 && !im->fatal && put(im, last) < 0)
		im->fatal = 1;
	if (!im->fatal && c < 0) {
		fprintf(stderr, "tip import: ");
		util_put_text(stderr, label, strlen(label));
		fprintf(stderr, ": read error after line %llu: %s\n", (unsigned long long)lineno,
			strerror(errno));
		im->io_error = 1;
	}
	if (reported > MAX_REPORTS) {
		util_put_text(stderr, label, strlen(label));
		fprintf(stderr, ": %llu more malformed lines not shown\n",
			(unsigned long long)(reported - MAX_REPORTS));
	}
	im->skipped += skipped;
	if (!im->fatal && c == 0) {
		off_t end = ftello(f);
		if (end > 0 && (uint64_t)end > skip)
			cover_note(im, f, (uint64_t)end);
	}
	fclose(f);
}

int cmd_import_feed(int argc, char **argv);

int cmd_import(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "feed"))
		return cmd_import_feed(argc - 1, argv + 1);
	struct imp im;
	const char **files;
	int nfiles = 0, rc;
	struct stat sb;

	memset(&im, 0, sizeof im);
	if (argc < 2)
		return tip_usage("import");
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		fputs("usage: tip import cof|passivedns FILE... --store DIR [--sensor NAME] [--force]\n"
		      "       tip import maildir DIR... | mbox FILE... --store DIR [--sensor NAME]\n"
		      "                  [--trusted CIDR]... [--max-size BYTES]\n"
		      "maildir, mbox: spam mined as the sensor's spamtrap does: one record per\n"
		      "message (a repeat of a digest already stored is counted, not stored\n"
		      "again); --trusted names relays whose Received lines are believed.\n"
		      "cof: Passive DNS Common Output Format (NDJSON), one observation a line.\n"
		      "passivedns: gamelinux/passivedns logs (ts||client||server||class||query||type||\n"
		      "answer||ttl||count), one observation per group of consecutive lines of the\n"
		      "same query, type, server and second.  - reads stdin.\n"
		      "A malformed line is reported as FILE:LINE: reason (column N) and skipped.\n"
		      "A new store takes --sensor, else the first line's sensor_id, else its\n"
		      "directory's name; an existing store keeps its own.\n"
		      "Importing the same input again imports nothing (state/imports); a log\n"
		      "that grew imports only what was added.  --force imports everything.\n"
		      "Exit status: 0 every line imported; 1 malformed lines were skipped (the\n"
		      "rest is imported); 2 usage error, unreadable file or unwritable store.\n",
		      stdout);
		return 0;
	}
	if (!strcmp(argv[1], "maildir") || !strcmp(argv[1], "mbox"))
		return cmd_import_mail(argc, argv);
	int passivedns = !strcmp(argv[1], "passivedns");
	if (strcmp(argv[1], "cof") != 0 && !passivedns) {
		fprintf(stderr, "tip import: unknown format: ");
		util_put_text(stderr, argv[1], strlen(argv[1]));
		fprintf(stderr, " (known: cof, passivedns, maildir, mbox)\n");
		return 2;
	}
	files = calloc((size_t)argc, sizeof *files);
	if (!files) {
		fprintf(stderr, "tip import: out of memory\n");
		return 2;
	}
	int opts = 1;
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i];
		const char **slot = NULL;
		if (opts && !strcmp(a, "--")) {
			opts = 0;
			continue;
		}
		if (opts && !strncmp(a, "--store", 7) && (a[7] == '\0' || a[7] == '='))
			slot = &im.store;
		else if (opts && !strncmp(a, "--sensor", 8) && (a[8] == '\0' || a[8] == '='))
			slot = &im.sensor_opt;
		else if (opts && !strcmp(a, "--force")) {
			im.force = 1;
			continue;
		}
		if (slot) {
			const char *eq = strchr(a, '=');
			if (eq) {
				*slot = eq + 1;
			} else if (i + 1 < argc) {
				*slot = argv[++i];
			} else {
				fprintf(stderr, "tip import: %s needs a value\n", a);
				free(files);
				return tip_usage("import");
			}
			continue;
		}
		if (opts && a[0] == '-' && a[1] != '\0') {
			fprintf(stderr, "tip import: unknown option: ");
			util_put_text(stderr, a, strlen(a));
			fprintf(stderr, "\n");
			free(files);
			return tip_usage("import");
		}
		files[nfiles++] = a;
	}
	if (!im.store || !im.store[0] || !nfiles) {
		fprintf(stderr, "tip import: %s\n", !nfiles ? "no input FILE" : "--store DIR is required");
		free(files);
		return tip_usage("import");
	}
	if (im.sensor_opt && !im.sensor_opt[0]) {
		fprintf(stderr, "tip import: --sensor needs a name\n");
		free(files);
		return 2;
	}

	/* an existing store keeps its sensor; never turn a random directory into one */
	if (stat(im.store, &sb) == 0) {
		if (!S_ISDIR(sb.st_mode)) {
			fprintf(stderr, "tip import: ");
			util_put_text(stderr, im.store, strlen(im.store));
			fprintf(stderr, ": not a directory\n");
			free(files);
			return 2;
		}
		if (store_is_store(im.store)) {
			char want[STORE_ID_MAX];
			store_sensor_id(im.store, im.store_id, sizeof im.store_id);
			im.have_id = 1;
			if (im.sensor_opt) {
				util_sensor_name(want, sizeof want, im.sensor_opt, strlen(im.sensor_opt));
				if (strcmp(want, im.store_id)) {
					fprintf(stderr, "tip import: ");
					util_put_text(stderr, im.store, strlen(im.store));
					fprintf(stderr, ": the store belongs to sensor %s, not %s\n",
						im.store_id, want);
					free(files);
					return 2;
				}
			}
		} else if (!dir_is_empty(im.store)) {
			fprintf(stderr, "tip import: ");
			util_put_text(stderr, im.store, strlen(im.store));
			fprintf(stderr, ": not a store, and not empty\n");
			free(files);
			return 2;
		}
	}

	im.fmt = passivedns ? "passivedns" : "cof";
	if (store_is_store(im.store))
		covers_load(&im);
	if (passivedns)
		im.pdns = pdns_new();
	else
		im.cof = cof_new();
	im.line = malloc(COF_LINE_MAX);
	if ((!im.cof && !im.pdns) || !im.line) {
		fprintf(stderr, "tip import: out of memory\n");
		cof_free(im.cof);
		pdns_free(im.pdns);
		free(im.line);
		free(files);
		return 2;
	}
	for (int i = 0; i < nfiles && !im.fatal; i++)
		import_file(&im, files[i]);
	if (im.w && seg_writer_close(im.w) < 0) {
		fprintf(stderr, "tip import: ");
		util_put_text(stderr, im.store, strlen(im.store));
		fprintf(stderr, ": cannot seal the segment: %s\n", strerror(errno));
		im.fatal = 1;
	}
	if (!im.fatal && im.n_covers > im.old_covers && store_is_store(im.store) &&
	    covers_save(&im) < 0) {
		fprintf(stderr, "tip import: ");
		util_put_text(stderr, im.store, strlen(im.store));
		fprintf(stderr, "/state/imports: cannot note what was imported: %s\n", strerror(errno));
		im.io_error = 1;
	}
	if (im.w)
		store_lock_close(im.lock);	/* after the note in state/: it is written too */
	if (im.other_sensor)
		fprintf(stderr,
			"tip import: warning: %llu lines name another sensor (first: %s) than the "
			"store's (%s)\n",
			(unsigned long long)im.other_sensor, im.other_first, im.store_id);
	printf("tip import: imported %llu, skipped %llu\n", (unsigned long long)im.imported,
	       (unsigned long long)im.skipped);
	rc = im.fatal || im.io_error ? 2 : im.skipped ? 1 : 0;
	cof_free(im.cof);
	pdns_free(im.pdns);
	free(im.line);
	free(im.covers);
	free(files);
	return rc;
}
