/*
 * mod_watchlist: an operator's file of domains, published on the bus as
 * candidates each time the file changes.
 *
 *     # one domain per line; '#' starts a comment
 *     example.com
 *     www.example.net.
 *
 * A periodic task (interval, default 60 s) stats the file; when its
 * inode, size or modification time changed, the whole file is read
 * (at most WL_MAX_FILE bytes) and every valid name is published again, so
 * consumers see new entries and may refresh old ones.  A bad line is
 * counted and logged as FILE:LINE:COL; it never stops the rest.
 * A missing file is not a failure (the operator may create it later);
 * a file that cannot be read is, and backs off.
 *
 * The file is small and local: reading it on the loop is a bounded stall
 * (about a millisecond for 10,000 names).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "bus.h"
#include "log.h"
#include "module.h"
#include "tipd.h"
#include "watchlist.h"

#define WL_MAX_FILE (16u << 20)
#define WL_DEFAULT_INTERVAL (60 * 1000000LL)
#define WL_LOG_BAD 5		/* bad lines logged per read, the rest only counted */

struct watchlist {
	struct module *m;
	struct sched_task task;
	char *path;
	int have;		/* st below is from the last read */
	int missing_logged;
	struct stat st;
	uint64_t reads, names, bad_lines, publish_errors, read_errors;
	uint64_t last_names;
};

static const struct conf_key wl_keys[] = {
	{"file", CONF_K_STR, CONF_F_ABS, 0, 0, 0, {NULL}},
};

static int wl_check(const struct conf *c, const struct conf_node *sec, char *err, size_t errlen)
{
	static const struct conf_table table = {
		.keys = wl_keys, .n = CONF_NKEYS(wl_keys), .skip = module_common_key, .once = 1};
	const char *file = NULL;	/* the key's value, checked here; read at start */
	if (sec && conf_table_read(c, sec, &table, &file, err, errlen) < 0)
		return -1;
	int on = 1;
	const struct conf_node *en = conf_get(sec, "enable");
	if (en && en->argc == 1)
		conf_bool(en->argv[0], &on);
	if (sec && on && !file)
		return conf_error(c, sec, err, errlen, "module watchlist: 'file' is missing");
	return 0;
}

/*
 * The names of a watch list's text, one per line: fn(ctx, name, len,
 * line, col) for each, with where it starts; blank lines and comments
 * are skipped.
 */
static int in_word(int c)
{
	return c != '#' && c != ' ' && c != '\t' && c != '\r';
}

static int not_space(int c)
{
	return c != ' ' && c != '\t';
}

void watchlist_scan(const uint8_t *text, size_t len,
		    void (*fn)(void *ctx, const char *name, size_t len, int line, size_t col),
		    void *ctx)
{
	struct buf_rd b;
	int line = 0;

	buf_rd_init(&b, text, len);
	while (buf_left(&b)) {
		size_t n, k;
		const uint8_t *p = buf_take_until(&b, '\n', &n);
		struct buf_rd l;
		buf_take_byte(&b, '\n');
		line++;
		buf_rd_init(&l, p, n);
		buf_skip_while(&l, " \t");
		size_t start = l.off;
		buf_take_while(&l, in_word, &k);
		if (k == 0)
			continue;	/* blank or comment */
		size_t end = l.off;
		buf_skip_while(&l, " \t\r");
		if (buf_left(&l) && buf_peek(&l) != '#') {
			/*
			 * "bad name.flux.test": more than one word.  The whole line
			 * goes to fn, which refuses it as no name with its line,
			 * rather than "bad" being watched that nobody wrote.  A
			 * comment after the words (a blank, then '#') is cut.
			 */
			struct buf_rd w;
			buf_rd_init(&w, p + start, n - start);
			buf_trim(&w, " \t\r");
			end = start + w.len;
			while (buf_left(&w)) {
				buf_take_while(&w, not_space, &k);
				size_t blank = w.off;
				buf_skip_while(&w, " \t");
				if (buf_peek(&w) == '#') {
					end = start + blank;
					break;
				}
			}
		}
		fn(ctx, (const char *)p + start, end - start, line, start + 1);
	}
}

struct wl_pass {
	struct watchlist *w;
	uint64_t published, bad;
};

static void wl_name(void *ctx, const char *name, size_t len, int line, size_t col)
{
	struct wl_pass *ps = ctx;
	struct watchlist *w = ps->w;
	if (bus_publish(&w->m->d->bus, name, len, BUS_SRC_WATCHLIST) == 0) {
		ps->published++;
	} else if (errno == EINVAL) {
		if (ps->bad++ < WL_LOG_BAD) {
			char esc[LOG_ESC_MAX];
			log_warnx("watchlist: %s:%d:%zu: not a domain name: \"%s\"", w->path, line,
				  col, log_esc(esc, sizeof esc, name, len));
		}
	} else {
		w->publish_errors++;
	}
}

/* Publish the names of one file's text; returns the number published. */
static uint64_t wl_parse(struct watchlist *w, const uint8_t *text, size_t len)
{
	struct wl_pass ps = {w, 0, 0};
	watchlist_scan(text, len, wl_name, &ps);
	if (ps.bad > WL_LOG_BAD)
		log_warnx("watchlist: %s: %llu more bad lines", w->path,
			  (unsigned long long)(ps.bad - WL_LOG_BAD));
	w->bad_lines += ps.bad;
	return ps.published;
}

static int wl_read(struct watchlist *w, const struct stat *st)
{
	int fd = open(w->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -1;
	if ((uint64_t)st->st_size > WL_MAX_FILE) {
		close(fd);
		errno = EFBIG;
		return -1;
	}
	size_t cap = (size_t)st->st_size, got = 0;
	uint8_t *text = malloc(cap ? cap : 1);
	if (!text) {
		close(fd);
		return -1;
	}
	while (got < cap) {
		ssize_t r = read(fd, text + got, cap - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	w->last_names = wl_parse(w, text, got);
	w->names += w->last_names;
	w->reads++;
	free(text);
	log_info("watchlist: %s: read, %llu names published", w->path,
		 (unsigned long long)w->last_names);
	return 0;
}

static int wl_run(struct sched_task *t)
{
	struct watchlist *w = t->arg;
	struct stat st;

	if (stat(w->path, &st) < 0) {
		if (errno == ENOENT) {
			if (!w->missing_logged++)
				log_warnx("watchlist: %s: missing; waiting for it", w->path);
			w->have = 0;
			return SCHED_OK;
		}
		w->read_errors++;
		log_warn("watchlist: %s", w->path);
		return SCHED_FAIL;
	}
	w->missing_logged = 0;
	if (w->have && st.st_ino == w->st.st_ino && st.st_dev == w->st.st_dev &&
	    st.st_size == w->st.st_size && st.st_mtim.tv_sec == w->st.st_mtim.tv_sec &&
	    st.st_mtim.tv_nsec == w->st.st_mtim.tv_nsec) {
		log_trace(w->m->trace, "watchlist: %s: unchanged", w->path);
		return SCHED_OK;
	}
	if (wl_read(w, &st) < 0) {
		w->read_errors++;
		log_warn("watchlist: %s: read", w->path);
		return SCHED_FAIL;
	}
	w->st = st;
	w->have = 1;
	return SCHED_OK;
}

static int wl_apply(struct watchlist *w)
{
	struct module *m = w->m;
	const struct conf_node *f = conf_get(m->sec, "file");
	char err[512];
	char *path = strdup(f ? f->argv[0] : "");
	if (!path)
		return -1;
	if (!w->path || strcmp(w->path, path) != 0)
		w->have = 0;	/* another file: read it whole */
	free(w->path);
	w->path = path;
	return module_sched_conf(&m->d->conf, m->sec, &w->task, WL_DEFAULT_INTERVAL, err,
				 sizeof err);
}

static int wl_init(struct module *m)
{
	struct watchlist *w = calloc(1, sizeof *w);
	if (!w)
		return -1;
	w->m = m;
	sched_task_init(&w->task, "watchlist", wl_run, w);
	m->priv = w;
	if (wl_apply(w) < 0) {
		free(w->path);
		free(w);
		m->priv = NULL;
		return -1;
	}
	return 0;
}

static int wl_start(struct module *m)
{
	struct watchlist *w = m->priv;
	if (!w->path[0]) {
		log_info("watchlist: no file configured");
		return 0;
	}
	return sched_add(&m->d->sched, &w->task);
}

static int wl_reload(struct module *m)
{
	struct watchlist *w = m->priv;
	int was_added = w->task.s != NULL;
	if (wl_apply(w) < 0)
		return -1;
	if (!w->path[0]) {
		sched_del(&w->task);
		return 0;
	}
	if (!was_added)
		return sched_add(&m->d->sched, &w->task);
	sched_reschedule(&w->task);
	if (!w->have)
		sched_trigger(&w->task);
	return 0;
}

static void wl_stats(struct module *m, module_emit_fn emit, void *ctx)
{
	struct watchlist *w = m->priv;
	emit(ctx, "reads", w->reads);
	emit(ctx, "names", w->last_names);
	emit(ctx, "published", w->names);
	emit(ctx, "bad_lines", w->bad_lines);
	emit(ctx, "read_errors", w->read_errors);
}

static void wl_stop(struct module *m)
{
	struct watchlist *w = m->priv;
	if (!w)
		return;
	sched_del(&w->task);
	free(w->path);
	free(w);
	m->priv = NULL;
}

const struct module_ops mod_watchlist_ops = {
	.name = "watchlist",
	.default_on = 0,
	.check = wl_check,
	.init = wl_init,
	.start = wl_start,
	.reload = wl_reload,
	.stats = wl_stats,
	.stop = wl_stop,
};
