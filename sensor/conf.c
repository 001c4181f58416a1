/*
 * conf: parse tipd.conf into a tree, then read the core's keys (conf.h).
 *
 * The file is read whole (at most CONF_MAX_FILE bytes) and walked with
 * the bounds-checked cursor of store/buf.h, one line at a time: a line is
 * cut into words, then classified as a key line, a section opening (last
 * word an unquoted '{') or a closing '}'.  Any error stops the parse with
 * the line it happened on; the caller's struct conf is left on defaults.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "log.h"

void conf_init(struct conf *c)
{
	*c = (struct conf){0};
	c->log_level = LOG_LVL_INFO;
	c->pidfile = CONF_DEFAULT_PIDFILE;
	c->socket = CONF_DEFAULT_SOCKET;
	c->store_dir = CONF_DEFAULT_STORE;
	c->queue = CONF_DEFAULT_QUEUE;
	c->record_candidates = 1;
	c->report_ms = CONF_DEFAULT_REPORT_MS;
}

/* conf_arg_abspath, but for "" or "none" (no file: pidfile, socket). */
static int abs_path_or_none(const struct conf *c, const struct conf_node *n, char *err,
			    size_t errlen)
{
	if (conf_arg1(c, n, err, errlen) < 0)
		return -1;
	const char *v = n->argv[0];
	if (!*v || !strcmp(v, "none"))
		return 0;
	return conf_arg_abspath(c, n, err, errlen);
}

static void node_free(struct conf_node *n)
{
	while (n) {
		struct conf_node *next = n->next;
		node_free(n->child);
		for (int i = 0; i < n->argc; i++)
			free(n->argv[i]);
		free(n->argv);
		free(n->key);
		free(n);
		n = next;
	}
}

void conf_free(struct conf *c)
{
	node_free(c->root);
	free(c->path);
	conf_init(c);
}

int conf_error(const struct conf *c, const struct conf_node *n, char *err, size_t errlen,
	       const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (err && errlen)
		snprintf(err, errlen, "%s:%d: %s", c->path ? c->path : "(built-in)", n ? n->line : 0,
			 msg);
	return -1;
}

static int line_error(const char *name, int line, char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static int line_error(const char *name, int line, char *err, size_t errlen, const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (err && errlen)
		snprintf(err, errlen, "%s:%d: %s", name, line, msg);
	return -1;
}

/* ---- values ------------------------------------------------------------ */

static int parse_num(const char *s, uint64_t *v, const char **end)
{
	uint64_t x = 0;
	const char *p = s;
	if (*p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (x > (UINT64_MAX - 9) / 10)
			return -1;
		x = x * 10 + (uint64_t)(*p - '0');
	}
	*v = x;
	*end = p;
	return 0;
}

int conf_duration(const char *s, int64_t *us)
{
	uint64_t v, mul;
	const char *e;
	if (parse_num(s, &v, &e) < 0)
		return -1;
	if (!strcmp(e, "") || !strcmp(e, "s"))
		mul = 1000000;
	else if (!strcmp(e, "ms"))
		mul = 1000;
	else if (!strcmp(e, "m"))
		mul = 60000000;
	else if (!strcmp(e, "h"))
		mul = 3600000000ULL;
	else if (!strcmp(e, "d"))
		mul = 86400000000ULL;
	else
		return -1;
	if (v > (uint64_t)INT64_MAX / mul / 4)	/* keep room for sums */
		return -1;
	*us = (int64_t)(v * mul);
	return 0;
}

int conf_size(const char *s, uint64_t *bytes)
{
	uint64_t v;
	const char *e;
	unsigned shift;
	if (parse_num(s, &v, &e) < 0)
		return -1;
	if (!strcmp(e, "") || !strcmp(e, "b"))
		shift = 0;
	else if (!strcmp(e, "k") || !strcmp(e, "K"))
		shift = 10;
	else if (!strcmp(e, "m") || !strcmp(e, "M"))
		shift = 20;
	else if (!strcmp(e, "g") || !strcmp(e, "G"))
		shift = 30;
	else
		return -1;
	if (v > (UINT64_MAX >> 2) >> shift)
		return -1;
	*bytes = v << shift;
	return 0;
}

int conf_bool(const char *s, int *v)
{
	static const char yes[][5] = {"yes", "on", "true", "1"};
	static const char no[][6] = {"no", "off", "false", "0"};
	for (int i = 0; i < 4; i++) {
		if (!strcmp(s, yes[i])) {
			*v = 1;
			return 0;
		}
		if (!strcmp(s, no[i])) {
			*v = 0;
			return 0;
		}
	}
	return -1;
}

int conf_uint(const char *s, uint64_t max, uint64_t *v)
{
	const char *e;
	if (parse_num(s, v, &e) < 0 || *e || *v > max)
		return -1;
	return 0;
}

int conf_clock_time(const char *s, int *secs)
{
	uint64_t h, m;
	const char *e;
	if (parse_num(s, &h, &e) < 0 || *e != ':' || e - s > 2 || h > 23)
		return -1;
	s = e + 1;
	if (parse_num(s, &m, &e) < 0 || *e || e - s != 2 || m > 59)
		return -1;
	*secs = (int)(h * 3600 + m * 60);
	return 0;
}

int conf_arg1(const struct conf *c, const struct conf_node *n, char *err, size_t errlen)
{
	if (n->section)
		return conf_error(c, n, err, errlen, "'%s' is not a section", n->key);
	if (n->argc != 1)
		return conf_error(c, n, err, errlen, "'%s' takes one value", n->key);
	return 0;
}

int conf_arg_abspath(const struct conf *c, const struct conf_node *n, char *err, size_t errlen)
{
	if (conf_arg1(c, n, err, errlen) < 0)
		return -1;
	if (n->argv[0][0] != '/')
		return conf_error(c, n, err, errlen, "%s: use an absolute path", n->key);
	return 0;
}

int conf_get_duration(const struct conf *c, const struct conf_node *n, int64_t *us, char *err,
		      size_t errlen)
{
	if (conf_arg1(c, n, err, errlen) < 0)
		return -1;
	if (conf_duration(n->argv[0], us) < 0)
		return conf_error(c, n, err, errlen, "%s: bad duration '%s' (use 30s, 5m, 2h, 1d)",
				  n->key, n->argv[0]);
	return 0;
}

int conf_get_size(const struct conf *c, const struct conf_node *n, uint64_t *v, char *err,
		  size_t errlen)
{
	if (conf_arg1(c, n, err, errlen) < 0)
		return -1;
	if (conf_size(n->argv[0], v) < 0)
		return conf_error(c, n, err, errlen, "%s: bad size '%s' (use 512k, 16M, 1G)",
				  n->key, n->argv[0]);
	return 0;
}

int conf_get_bool(const struct conf *c, const struct conf_node *n, int *v, char *err,
		  size_t errlen)
{
	if (conf_arg1(c, n, err, errlen) < 0)
		return -1;
	if (conf_bool(n->argv[0], v) < 0)
		return conf_error(c, n, err, errlen, "%s: '%s' is not yes or no", n->key,
				  n->argv[0]);
	return 0;
}

int conf_get_uint(const struct conf *c, const struct conf_node *n, uint64_t max, uint64_t *v,
		  char *err, size_t errlen)
{
	if (conf_arg1(c, n, err, errlen) < 0)
		return -1;
	if (conf_uint(n->argv[0], max, v) < 0)
		return conf_error(c, n, err, errlen, "%s: '%s' is not a number up to %llu", n->key,
				  n->argv[0], (unsigned long long)max);
	return 0;
}

static int no_section(const struct conf *c, const struct conf_node *first,
		      const struct conf_node *n, char *err, size_t errlen);

/* CONF_K_UINT writes uint32_t, the others unsigned: tables point both at unsigned fields */
_Static_assert(sizeof(unsigned) == sizeof(uint32_t), "unsigned is 32 bits");
_Static_assert(sizeof(struct conf_key) <= (sizeof(void *) == 8 ? 32 : 20),
	       "a key table entry stays 20 bytes, 32 on LP64");

/* CONF_K_CHOICE: the index of the value among the names at k->names, plus k->lo. */
static int choice_read(const struct conf *c, const struct conf_node *n, const struct conf_key *k,
		       int *dst, char *err, size_t errlen)
{
	const char *const *names = k->names;
	char list[256];
	size_t len = 0;
	if (conf_arg1(c, n, err, errlen) < 0)
		return -1;
	for (int64_t i = 0; i < k->hi; i++)
		if (!strcmp(n->argv[0], names[i])) {
			*dst = (int)(k->lo + i);
			return 0;
		}
	list[0] = 0;
	for (int64_t i = 0; i < k->hi && len < sizeof list; i++) {
		int w = snprintf(list + len, sizeof list - len, "%s%s", i ? ", " : "", names[i]);
		if (w < 0)
			break;
		len += (size_t)w;
	}
	return conf_error(c, n, err, errlen, "%s: unknown value '%s' (one of: %s)", n->key,
			  n->argv[0], list);
}

static int conf_key_read(const struct conf *c, const struct conf_node *n, const struct conf_key *k,
			 void *base, char *err, size_t errlen)
{
	/* base may be NULL for a table whose keys all read themselves (CONF_K_FN) */
	void *dst = base ? (char *)base + k->off : NULL;
	uint64_t v;
	int64_t d;
	switch (k->kind) {
	case CONF_K_UINT:
		if (conf_get_uint(c, n, (uint64_t)k->hi, &v, err, errlen) < 0)
			return -1;
		if (v < (uint64_t)k->lo)
			return conf_error(c, n, err, errlen, "%s: at least %llu", n->key,
					  (unsigned long long)k->lo);
		*(uint32_t *)dst = (uint32_t)v;
		return 0;
	case CONF_K_DUR:
	case CONF_K_SECS:
		if (conf_get_duration(c, n, &d, err, errlen) < 0)
			return -1;
		if (d < k->lo && k->lo % 1000000)
			return conf_error(c, n, err, errlen, "%s: at least %lldms", n->key,
					  (long long)(k->lo / 1000));
		if (d < k->lo)
			return conf_error(c, n, err, errlen, "%s: at least %llds", n->key,
					  (long long)(k->lo / 1000000));
		if (k->kind == CONF_K_DUR) {
			*(int64_t *)dst = d;
			return 0;
		}
		if ((k->flags & CONF_F_WHOLE) && (d > k->hi || d % 1000000))
			return conf_error(c, n, err, errlen, "%s: %s", n->key, k->range);
		*(unsigned *)dst = (unsigned)(d / 1000000);
		return 0;
	case CONF_K_SIZE:
		if (conf_get_size(c, n, &v, err, errlen) < 0)
			return -1;
		if (v < (uint64_t)k->lo || v > (uint64_t)k->hi)
			return conf_error(c, n, err, errlen, "%s: %s", n->key, k->range);
		*(unsigned *)dst = (unsigned)v;
		return 0;
	case CONF_K_BOOL:
		return conf_get_bool(c, n, (int *)dst, err, errlen);
	case CONF_K_STR:
		if ((k->flags & CONF_F_ABS ? conf_arg_abspath : conf_arg1)(c, n, err, errlen) < 0)
			return -1;
		v = strlen(n->argv[0]);
		if (k->hi > 0 && (v < (uint64_t)k->lo || v > (uint64_t)k->hi))
			return conf_error(c, n, err, errlen, "%s: %lld-%lld bytes", n->key,
					  (long long)k->lo, (long long)k->hi);
		*(const char **)dst = n->argv[0];
		return 0;
	case CONF_K_CHOICE:
		return choice_read(c, n, k, (int *)dst, err, errlen);
	case CONF_K_FN:
		return k->fn(c, n, base, err, errlen);
	}
	return conf_error(c, n, err, errlen, "%s: no reader", n->key);
}

static const struct conf_key *key_find(const struct conf_key *keys, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(keys[i].key, key))
			return &keys[i];
	return NULL;
}

/* n, a KEY NAME { } section, after its first: the first with its name, or NULL. */
static const struct conf_node *sect_before(const struct conf_node *sec, const struct conf_node *n)
{
	for (const struct conf_node *q = sec->child; q != n; q = q->next)
		if (q->section && !strcmp(q->key, n->key) && q->argc && n->argc &&
		    !strcmp(q->argv[0], n->argv[0]))
			return q;
	return NULL;
}

/* where: the section's name in messages; NULL at the top level, which has none. */
static int table_read(const struct conf *c, const struct conf_node *sec,
		      const struct conf_table *t, const char *where, void *base, char *err,
		      size_t errlen)
{
	for (const struct conf_node *n = sec ? sec->child : NULL; n; n = n->next) {
		const struct conf_key *k;
		void *b = base;
		if (t->skip && t->skip(n->key))
			continue;
		if (!(k = key_find(t->keys, t->n, n->key))) {
			if (t->inc && (k = key_find(t->inc, t->ninc, n->key)))
				b = (char *)base + t->inc_off;
		}
		if (!k)
			return conf_error(c, n, err, errlen, "unknown key '%s'%s%s", n->key,
					  where ? " in " : "", where ? where : "");
		if (k->kind == CONF_K_SECT) {
			const struct conf_node *q;
			if (!n->section)
				return conf_error(c, n, err, errlen, "%s: a section { } is needed",
						  n->key);
			if (k->fn(c, n, b, err, errlen) < 0)
				return -1;
			if ((q = sect_before(sec, n)))
				return conf_error(c, n, err, errlen,
						  "%s %s given twice (first at line %d)", n->key,
						  n->argv[0], q->line);
			continue;
		}
		if (n->section)
			return conf_error(c, n, err, errlen, "'%s' is not a section", n->key);
		if (t->once && !(k->flags & CONF_F_REPEAT) &&
		    no_section(c, sec->child, n, err, errlen) < 0)
			return -1;
		if (conf_key_read(c, n, k, b, err, errlen) < 0)
			return -1;
	}
	return 0;
}

int conf_table_read(const struct conf *c, const struct conf_node *sec, const struct conf_table *t,
		    void *base, char *err, size_t errlen)
{
	char where[96];
	if (sec && sec->argc)
		snprintf(where, sizeof where, "%s %s", sec->key, sec->argv[0]);
	else
		snprintf(where, sizeof where, "%s", sec ? sec->key : "");
	return table_read(c, sec, t, where, base, err, errlen);
}

int conf_keys_read(const struct conf *c, const struct conf_node *sec, const struct conf_key *keys,
		   size_t nkeys, int (*skip)(const char *key), const char *where, void *base,
		   char *err, size_t errlen)
{
	const struct conf_table t = {.keys = keys, .n = nkeys, .skip = skip, .once = 1};
	return table_read(c, sec, &t, where, base, err, errlen);
}

const struct conf_node *conf_get(const struct conf_node *sec, const char *key)
{
	for (const struct conf_node *n = sec ? sec->child : NULL; n; n = n->next)
		if (!strcmp(n->key, key))
			return n;
	return NULL;
}

const struct conf_node *conf_module(const struct conf *c, const char *name)
{
	for (const struct conf_node *n = c->root; n; n = n->next)
		if (n->section && !strcmp(n->key, "module") && n->argc == 1 &&
		    !strcmp(n->argv[0], name))
			return n;
	return NULL;
}

/* ---- the tree ------------------------------------------------------------ */

struct word {
	char *s;
	int quoted;
};

struct lexer {
	const char *name;
	int line;
	char *err;
	size_t errlen;
};

/* A byte of a bare word: anything but a blank, a comment, a brace or a quote. */
static int is_bare_byte(int c)
{
	return c != ' ' && c != '\t' && c != '\r' && c != '#' && c != '{' && c != '}' && c != '"';
}

/*
 * The words of one line [p, p+len): 0 with *nw words, or -1 with the
 * column (the cursor's offset in the line, plus one) of the fault.
 */
static int split_line(struct lexer *lx, const uint8_t *p, size_t len, struct word *w, int *nw)
{
	struct buf_rd b;
	char tok[CONF_MAX_LINE + 1];
	int n = 0;

	buf_rd_init(&b, p, len);
	*nw = 0;
	for (;;) {
		buf_skip_while(&b, " \t\r");
		if (!buf_left(&b) || buf_peek(&b) == '#')
			break;
		if (n == CONF_MAX_ARGS + 2)
			return line_error(lx->name, lx->line, lx->err, lx->errlen,
					  "too many words (at most %d values) at column %zu",
					  CONF_MAX_ARGS, b.off + 1);
		size_t t = 0, at = b.off;
		int quoted = 0;
		uint8_t c = (uint8_t)buf_peek(&b);
		if (c == '{' || c == '}') {
			buf_skip(&b, 1);
			tok[t++] = (char)c;
		} else if (c == '"') {
			quoted = 1;
			buf_skip(&b, 1);
			for (;;) {
				if (!buf_left(&b))
					return line_error(lx->name, lx->line, lx->err, lx->errlen,
							  "unterminated string at column %zu", at + 1);
				c = buf_get_u8(&b);
				if (c == '"')
					break;
				if (c == '\\') {
					if (!buf_left(&b))
						return line_error(lx->name, lx->line, lx->err,
								  lx->errlen,
								  "unterminated string at column %zu",
								  at + 1);
					c = buf_get_u8(&b);
					if (c == 'n')
						c = '\n';
					else if (c == 't')
						c = '\t';
					else if (c != '\\' && c != '"')
						return line_error(lx->name, lx->line, lx->err,
								  lx->errlen,
								  "unknown escape '\\%c' at column %zu",
								  c >= 0x20 && c < 0x7f ? c : '?',
								  b.off - 1);
				}
				tok[t++] = (char)c;
			}
		} else {
			const uint8_t *s = buf_take_while(&b, is_bare_byte, &t);
			memcpy(tok, s, t);
		}
		tok[t] = 0;
		w[n].s = strdup(tok);
		if (!w[n].s)
			return line_error(lx->name, lx->line, lx->err, lx->errlen, "out of memory");
		w[n].quoted = quoted;
		*nw = ++n;
	}
	return 0;
}

static struct conf_node *node_new(struct lexer *lx, struct word *w, int nw)
{
	struct conf_node *n = calloc(1, sizeof *n);
	if (!n)
		return NULL;
	n->line = lx->line;
	n->key = w[0].s;
	w[0].s = NULL;
	n->argc = nw - 1;
	if (n->argc) {
		n->argv = calloc((size_t)n->argc, sizeof *n->argv);
		if (!n->argv) {
			free(n->key);
			free(n);
			return NULL;
		}
		for (int i = 0; i < n->argc; i++) {
			n->argv[i] = w[i + 1].s;
			w[i + 1].s = NULL;
		}
	}
	return n;
}

static int is_bare(const struct word *w, const char *s)
{
	return !w->quoted && !strcmp(w->s, s);
}

static int valid_key(const char *k)
{
	if (!*k)
		return 0;
	for (; *k; k++)
		if (!((*k >= 'a' && *k <= 'z') || (*k >= '0' && *k <= '9') || *k == '-' ||
		      *k == '_'))
			return 0;
	return 1;
}

static int parse_tree(struct conf *c, const uint8_t *text, size_t len, char *err, size_t errlen)
{
	struct lexer lx = {c->path, 0, err, errlen};
	struct conf_node **tail[CONF_MAX_DEPTH + 1];
	struct conf_node *open[CONF_MAX_DEPTH + 1];
	struct word w[CONF_MAX_ARGS + 2];
	int depth = 0, rc = -1, nw = 0;
	struct buf_rd b;

	tail[0] = &c->root;
	open[0] = NULL;
	buf_rd_init(&b, text, len);
	while (buf_left(&b)) {
		size_t n, k;
		const uint8_t *start = buf_take_until(&b, '\n', &n);
		struct buf_rd nul;
		lx.line++;
		buf_take_byte(&b, '\n');
		buf_rd_init(&nul, start, n);
		buf_take_until(&nul, 0, &k);
		if (buf_left(&nul))
			return line_error(c->path, lx.line, err, errlen, "NUL byte");
		if (n > CONF_MAX_LINE)
			return line_error(c->path, lx.line, err, errlen, "line longer than %d bytes",
					  CONF_MAX_LINE);
		if (split_line(&lx, start, n, w, &nw) < 0)
			goto out;
		if (nw == 0)
			continue;
		for (int i = 0; i < nw; i++) {
			int last = i == nw - 1;
			if (is_bare(&w[i], "}") && !(i == 0 && nw == 1)) {
				line_error(c->path, lx.line, err, errlen,
					   "'}' must be on a line of its own");
				goto out;
			}
			if (is_bare(&w[i], "{") && !last) {
				line_error(c->path, lx.line, err, errlen, "'{' must end the line");
				goto out;
			}
		}
		if (is_bare(&w[0], "}")) {
			if (depth == 0) {
				line_error(c->path, lx.line, err, errlen, "'}' without a section");
				goto out;
			}
			depth--;
		} else {
			int sec = is_bare(&w[nw - 1], "{");
			if (sec && nw == 1) {
				line_error(c->path, lx.line, err, errlen, "'{' without a section name");
				goto out;
			}
			if (w[0].quoted || !valid_key(w[0].s)) {
				char esc[LOG_ESC_MAX];
				line_error(c->path, lx.line, err, errlen,
					   "bad key '%s' (letters, digits, '-' and '_')",
					   log_esc(esc, sizeof esc, w[0].s, strlen(w[0].s)));
				goto out;
			}
			if (sec && depth == CONF_MAX_DEPTH) {
				line_error(c->path, lx.line, err, errlen, "sections nested too deep");
				goto out;
			}
			struct conf_node *node = node_new(&lx, w, sec ? nw - 1 : nw);
			if (!node) {
				line_error(c->path, lx.line, err, errlen, "out of memory");
				goto out;
			}
			node->section = sec;
			*tail[depth] = node;
			tail[depth] = &node->next;
			if (sec) {
				depth++;
				open[depth] = node;
				tail[depth] = &node->child;
			}
		}
		for (int i = 0; i < nw; i++)
			free(w[i].s);
		nw = 0;
	}
	if (depth > 0) {
		line_error(c->path, lx.line, err, errlen, "missing '}' for '%s' opened at line %d",
			   open[depth]->key, open[depth]->line);
		return -1;
	}
	return 0;
out:
	for (int i = 0; i < nw; i++)
		free(w[i].s);
	return rc;
}

/* ---- the core's keys ------------------------------------------------------- */

/*
 * n is not a section and was not given before it in its list (`first` is
 * the section's first child, or the root): a key given twice is an error,
 * not "the last one wins".
 */
static int no_section(const struct conf *c, const struct conf_node *first,
		      const struct conf_node *n, char *err, size_t errlen)
{
	if (n->section)
		return conf_error(c, n, err, errlen, "'%s' is not a section", n->key);
	for (const struct conf_node *q = first; q && q != n; q = q->next)
		if (!q->section && !strcmp(q->key, n->key))
			return conf_error(c, n, err, errlen, "'%s' given twice (first at line %d)",
					  n->key, q->line);
	return 0;
}

/*
 * The core's keys, read through key tables like a module's: the top
 * level (core_keys), store { } and control { } (sections without a name,
 * one of each).  A value goes into the struct conf being filled, which is
 * the `base` of every reader; the kinds of conf.h take what they can,
 * readers below the rest (strings, milliseconds, 64-bit sizes).
 */
#define CORE_S 1000000LL	/* a second, in microseconds */
#define CORE_D (86400 * CORE_S)
#define CORE_OFF(f) offsetof(struct conf, f)
#define CORE_F(k, f) {k, CONF_K_FN, 0, 0, 0, 0, .fn = f}
#define CORE_SECT(k, f) {k, CONF_K_SECT, 0, 0, 0, 0, .fn = f}

/* A duration in lo..hi (microseconds), else "KEY: range". */
static int dur_within(const struct conf *c, const struct conf_node *n, int64_t lo, int64_t hi,
		      const char *range, int64_t *d, char *err, size_t errlen)
{
	if (conf_get_duration(c, n, d, err, errlen) < 0)
		return -1;
	if (*d < lo || *d > hi)
		return conf_error(c, n, err, errlen, "%s: %s", n->key, range);
	return 0;
}

static int key_dir(const struct conf *c, const struct conf_node *n, void *base, char *err,
		   size_t errlen)
{
	if (conf_arg1(c, n, err, errlen) < 0)
		return -1;
	if (!n->argv[0][0])
		return conf_error(c, n, err, errlen, "%s: empty path", n->key);
	if (conf_arg_abspath(c, n, err, errlen) < 0)
		return -1;
	((struct conf *)base)->store_dir = n->argv[0];
	return 0;
}

static int key_segment_size(const struct conf *c, const struct conf_node *n, void *base,
			    char *err, size_t errlen)
{
	uint64_t v;
	if (conf_get_size(c, n, &v, err, errlen) < 0)
		return -1;
	if (v < 4096 || v > (4ULL << 30) - 1)
		return conf_error(c, n, err, errlen,
				  "%s: between 4k and 4G (an index is limited to 4 GiB)", n->key);
	((struct conf *)base)->policy.max_bytes = v;
	return 0;
}

static int key_segment_age(const struct conf *c, const struct conf_node *n, void *base,
			   char *err, size_t errlen)
{
	int64_t d;
	if (dur_within(c, n, CORE_S, 366 * CORE_D, "between 1s and 366d", &d, err, errlen) < 0)
		return -1;
	((struct conf *)base)->policy.max_age_s = (uint32_t)(d / CORE_S);
	return 0;
}

static int key_sync_interval(const struct conf *c, const struct conf_node *n, void *base,
			     char *err, size_t errlen)
{
	int64_t d;
	if (dur_within(c, n, 1000, CORE_D, "between 1ms and 1d", &d, err, errlen) < 0)
		return -1;
	((struct conf *)base)->policy.sync_every_ms = (uint32_t)(d / 1000);
	return 0;
}

static int key_quota(const struct conf *c, const struct conf_node *n, void *base, char *err,
		     size_t errlen)
{
	return conf_get_size(c, n, &((struct conf *)base)->policy.quota_bytes, err, errlen);
}

static int key_fsync(const struct conf *c, const struct conf_node *n, void *base, char *err,
		     size_t errlen)
{
	int b;
	if (conf_get_bool(c, n, &b, err, errlen) < 0)
		return -1;
	((struct conf *)base)->policy.no_fsync = !b;
	return 0;
}

static const struct conf_key store_keys[] = {
	CORE_F("dir", key_dir),
	{"sensor", CONF_K_STR, 0, CORE_OFF(sensor), 0, 0, {NULL}},
	CORE_F("segment-size", key_segment_size),
	CORE_F("segment-age", key_segment_age),
	CORE_F("sync-interval", key_sync_interval),
	{"sync-every", CONF_K_UINT, 0, CORE_OFF(policy.sync_every_n), 0, 100000000, {NULL}},
	CORE_F("quota", key_quota),
	{"queue", CONF_K_UINT, 0, CORE_OFF(queue), 16, 1000000, {NULL}},
	CORE_F("fsync", key_fsync),
	{"record-candidates", CONF_K_BOOL, 0, CORE_OFF(record_candidates), 0, 0, {NULL}},
};

static int key_socket(const struct conf *c, const struct conf_node *n, void *base, char *err,
		      size_t errlen)
{
	if (conf_arg1(c, n, err, errlen) < 0)
		return -1;
	if (strlen(n->argv[0]) >= 108)	/* sun_path */
		return conf_error(c, n, err, errlen, "%s: path too long", n->key);
	if (abs_path_or_none(c, n, err, errlen) < 0)
		return -1;
	((struct conf *)base)->socket = n->argv[0];
	return 0;
}

static const struct conf_key control_keys[] = {
	CORE_F("socket", key_socket),
	{"group", CONF_K_STR, 0, CORE_OFF(socket_group), 0, 0, {NULL}},
};

/*
 * store { } and control { } at the top level: the first section of its
 * key, without a name, read through the table of its keys.
 */
static int sole_section(const struct conf *c, const struct conf_node *n,
			const struct conf_key *keys, size_t nkeys, void *base, char *err,
			size_t errlen)
{
	const struct conf_table t = {.keys = keys, .n = nkeys, .once = 1};
	for (const struct conf_node *q = c->root; q && q != n; q = q->next)
		if (q->section && !strcmp(q->key, n->key))
			return conf_error(c, n, err, errlen, "second '%s' section", n->key);
	if (n->argc)
		return conf_error(c, n, err, errlen, "'%s' takes no name", n->key);
	return conf_table_read(c, n, &t, base, err, errlen);
}

static int key_store(const struct conf *c, const struct conf_node *n, void *base, char *err,
		     size_t errlen)
{
	const struct conf *cf = base;
	if (sole_section(c, n, store_keys, CONF_NKEYS(store_keys), base, err, errlen) < 0)
		return -1;
	/*
	 * Retention never removes the active segment: a quota under two
	 * segments would remove each segment as soon as it is sealed.
	 */
	const struct conf_node *q = conf_get(n, "quota");
	uint64_t seg = cf->policy.max_bytes ? cf->policy.max_bytes : 16u << 20;
	if (q && cf->policy.quota_bytes && cf->policy.quota_bytes < 2 * seg)
		return conf_error(c, q, err, errlen,
				  "quota: %s is less than two segments (segment-size %lluk): "
				  "retention would keep no sealed segment",
				  q->argv[0], (unsigned long long)(seg >> 10));
	return 0;
}

static int key_control(const struct conf *c, const struct conf_node *n, void *base, char *err,
		       size_t errlen)
{
	return sole_section(c, n, control_keys, CONF_NKEYS(control_keys), base, err, errlen);
}

/* module NAME { }: its keys are the module table's (module_conf_check); only its form here. */
static int key_module(const struct conf *c, const struct conf_node *n, void *base, char *err,
		      size_t errlen)
{
	(void)base;
	if (n->argc != 1)
		return conf_error(c, n, err, errlen, "usage: module NAME { ... }");
	const struct conf_node *first = conf_module(c, n->argv[0]);
	if (first != n)
		return conf_error(c, n, err, errlen, "module '%s' configured twice (first at line %d)",
				  n->argv[0], first->line);
	return 0;
}

static int key_pidfile(const struct conf *c, const struct conf_node *n, void *base, char *err,
		       size_t errlen)
{
	if (abs_path_or_none(c, n, err, errlen) < 0)
		return -1;
	((struct conf *)base)->pidfile = n->argv[0];
	return 0;
}

static int key_report_interval(const struct conf *c, const struct conf_node *n, void *base,
			       char *err, size_t errlen)
{
	int64_t d;
	if (dur_within(c, n, CORE_S, CORE_D, "between 1s and 1d", &d, err, errlen) < 0)
		return -1;
	((struct conf *)base)->report_ms = (uint32_t)(d / 1000);
	return 0;
}

static int key_trace(const struct conf *c, const struct conf_node *n, void *base, char *err,
		     size_t errlen)
{
	if (n->argc < 1)
		return conf_error(c, n, err, errlen, "%s: name at least one module", n->key);
	((struct conf *)base)->trace = n;
	return 0;
}

static const struct conf_key core_keys[] = {
	CORE_SECT("module", key_module),
	CORE_SECT("store", key_store),
	CORE_SECT("control", key_control),
	{"user", CONF_K_STR, 0, CORE_OFF(user), 0, 0, {NULL}},
	CORE_F("pidfile", key_pidfile),
	CONF_CHOICE("log-level", CORE_OFF(log_level), log_level_names,
		    CONF_NKEYS(log_level_names), LOG_LVL_ERROR),
	CORE_F("report-interval", key_report_interval),
	CORE_F("trace", key_trace),
};

static int read_core(struct conf *c, char *err, size_t errlen)
{
	static const struct conf_table t = {.keys = core_keys, .n = CONF_NKEYS(core_keys), .once = 1};
	const struct conf_node top = {.child = c->root};	/* the file, as a section */
	return table_read(c, &top, &t, NULL, c, err, errlen);
}

int conf_parse(struct conf *c, const char *name, const char *text, size_t len, char *err,
	       size_t errlen)
{
	conf_init(c);
	c->path = strdup(name ? name : "(built-in)");
	if (!c->path) {
		snprintf(err, errlen, "%s: out of memory", name);
		return -1;
	}
	if (parse_tree(c, (const uint8_t *)text, len, err, errlen) < 0 ||
	    read_core(c, err, errlen) < 0) {
		conf_free(c);
		return -1;
	}
	return 0;
}

int conf_load(struct conf *c, const char *path, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	char *text = NULL;
	size_t got = 0;
	int rc = -1;

	conf_init(c);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		goto out;
	}
	if (st.st_size > CONF_MAX_FILE) {
		snprintf(err, errlen, "%s: larger than %u bytes", path, CONF_MAX_FILE);
		goto out;
	}
	text = malloc((size_t)st.st_size + 1);
	if (!text) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto out;
	}
	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, text + got, (size_t)st.st_size - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	rc = conf_parse(c, path, text, got, err, errlen);
out:
	free(text);
	close(fd);
	return rc;
}
