/*
 * conf: tipd's configuration file (format in doc/tipd.conf.5).
 *
 *     # comment
 *     key value...
 *     section [name] {
 *         key value...
 *     }
 *
 * Words are separated by blanks; "double quotes" keep blanks and take
 * \" \\ \n \t escapes.  A file is parsed into a tree of nodes, then the
 * core's keys are read into struct conf; module sections are kept as
 * nodes for the module table to check (module_conf_check) and read.
 * Every error is one line "FILE:LINE: message".  Nothing is applied while
 * parsing: a reload parses into a fresh struct conf and swaps it in only
 * when everything checked.
 *
 * Ownership: struct conf owns its tree; the strings in it point into the
 * tree or at static defaults and live until conf_free.
 */
#ifndef TIP_CONF_H
#define TIP_CONF_H

#include <stddef.h>
#include <stdint.h>

#include "ctl_proto.h"
#include "seg.h"
#include "seg_writer.h"

#define CONF_DEFAULT_PATH "/etc/tipd.conf"
#define CONF_DEFAULT_PIDFILE "/var/run/tipd.pid"
#define CONF_DEFAULT_SOCKET CTL_SOCKET_DEFAULT
#define CONF_DEFAULT_STORE "/var/lib/tip"
#define CONF_DEFAULT_QUEUE 4096
#define CONF_DEFAULT_REPORT_MS 60000

#define CONF_MAX_ARGS 16
#define CONF_MAX_DEPTH 3
#define CONF_MAX_LINE 4096
#define CONF_MAX_FILE (1u << 20)

struct conf_node {
	char *key;
	int argc;
	char **argv;		/* argc words after the key */
	int line;
	int section;		/* 1: opened with '{' (children may be empty) */
	struct conf_node *child;
	struct conf_node *next;
};

struct conf {
	char *path;		/* file name for messages; "(built-in)" without one */
	struct conf_node *root;

	const char *user;	/* NULL: keep the user tipd was started as */
	const char *pidfile;	/* "" or "none": no pidfile */
	int log_level;		/* enum log_level */
	const struct conf_node *trace;	/* the `trace` line, or NULL */

	const char *socket;	/* control socket; "" or "none": none */
	const char *socket_group;	/* NULL: the user's group */

	const char *store_dir;
	const char *sensor;	/* NULL: sensor.id of the store, or the host name */
	struct seg_policy policy;
	uint32_t queue;		/* records waiting for the writer, at most */
	int record_candidates;	/* write a note for each candidate into the store */
	uint32_t report_ms;	/* a lasting fault is summarised in the log this often */
};

/* Built-in defaults, no file. */
void conf_init(struct conf *c);
void conf_free(struct conf *c);

/*
 * Parse a file (conf_load) or a buffer (conf_parse; name is for messages)
 * into c, which is conf_init'ed first.  0, or -1 with "FILE:LINE: message"
 * in err (c is then freed and left with the defaults).
 */
int conf_load(struct conf *c, const char *path, char *err, size_t errlen);
int conf_parse(struct conf *c, const char *name, const char *text, size_t len, char *err,
	       size_t errlen);

/* The section `module NAME { }`, or NULL. */
const struct conf_node *conf_module(const struct conf *c, const char *name);
/* First key `key` among the children of sec, or NULL. */
const struct conf_node *conf_get(const struct conf_node *sec, const char *key);

/* Format "FILE:LINE: message" for node n into err; returns -1. */
int conf_error(const struct conf *c, const struct conf_node *n, char *err, size_t errlen,
	       const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/*
 * Values.  0 on success, -1 when the text is not one.
 *   duration: 90, 90s, 1500ms, 5m, 2h, 1d (plain numbers are seconds)
 *   size: 4096, 64k, 16M, 1G (powers of 1024)
 *   bool: yes/no, on/off, true/false, 1/0
 */
int conf_duration(const char *s, int64_t *us);
int conf_size(const char *s, uint64_t *bytes);
int conf_bool(const char *s, int *v);
int conf_uint(const char *s, uint64_t max, uint64_t *v);
/* "HH:MM" (UTC) -> seconds after midnight. */
int conf_clock_time(const char *s, int *secs);

/*
 * Node helpers for checkers: one argument of the given kind, with an
 * error naming the key on failure.  Return 0 or -1.
 */
int conf_arg1(const struct conf *c, const struct conf_node *n, char *err, size_t errlen);
int conf_get_duration(const struct conf *c, const struct conf_node *n, int64_t *us, char *err,
		      size_t errlen);
int conf_get_size(const struct conf *c, const struct conf_node *n, uint64_t *v, char *err,
		  size_t errlen);
int conf_get_bool(const struct conf *c, const struct conf_node *n, int *v, char *err,
		  size_t errlen);
int conf_get_uint(const struct conf *c, const struct conf_node *n, uint64_t max, uint64_t *v,
		  char *err, size_t errlen);
/* A path tipd opens after it detached and chdir'ed to /: "KEY: use an absolute path". */
int conf_arg_abspath(const struct conf *c, const struct conf_node *n, char *err, size_t errlen);

/*
 * A section read through a const table of its keys (the keys a module
 * has), each a kind, where its value goes (an offset into the caller's
 * struct) and its bounds, so a section's keys are listed once:
 *   CONF_K_UINT  uint32_t; lo..hi
 *   CONF_K_DUR   int64_t microseconds; at least lo (microseconds)
 *   CONF_K_SECS  unsigned seconds of a duration, at least lo (microseconds);
 *                with CONF_F_WHOLE whole seconds up to hi, else cut to seconds
 *   CONF_K_SIZE  unsigned bytes; lo..hi
 *   CONF_K_BOOL  int
 *   CONF_K_STR   const char *, the one argument (the tree's, not a copy);
 *                with CONF_F_ABS an absolute path (conf_arg_abspath's
 *                message); with hi > 0, lo..hi bytes ("KEY: LO-HI bytes")
 *   CONF_K_CHOICE int: one of the hi names at `names`, which store lo,
 *                lo + 1, ...; else "KEY: unknown value 'X' (one of: a, b,
 *                c)" (CONF_CHOICE below)
 *   CONF_K_FN    fn(c, n, base, err, errlen) reads the node itself
 *   CONF_K_SECT  a sub-section `KEY NAME { ... }`, read by fn; the same
 *                NAME given twice is an error
 * `range` is the message after "KEY: " for a value outside hi (and, with
 * CONF_F_WHOLE, not whole seconds; for a size, outside lo..hi).
 * The bounds are 32 bits (a duration's at most 4294s in microseconds),
 * off 16, and range, names and fn share their room, so that a key is 20
 * bytes on a 32-bit router (it was 40, and a build has some 80 keys); a
 * bound or an offset that does not fit is a compiler warning (-Woverflow,
 * clang's -Wconstant-conversion).
 */
enum conf_kind {
	CONF_K_UINT, CONF_K_DUR, CONF_K_SECS, CONF_K_SIZE, CONF_K_BOOL, CONF_K_STR, CONF_K_CHOICE,
	CONF_K_FN, CONF_K_SECT
};
#define CONF_F_WHOLE 1
#define CONF_F_REPEAT 2	/* may be given more than once (share's peer) */
#define CONF_F_ABS 4	/* CONF_K_STR: an absolute path */

struct conf_key {
	const char *key;
	uint8_t kind;		/* enum conf_kind */
	uint8_t flags;		/* CONF_F_* */
	uint16_t off;
	uint32_t lo, hi;
	union {		/* the one its kind reads; {NULL} for none */
		const char *range;	/* the range message */
		const char *const *names;	/* CONF_K_CHOICE */
		int (*fn)(const struct conf *c, const struct conf_node *n, void *base,
			  char *err, size_t errlen);	/* CONF_K_FN, CONF_K_SECT */
	};
};

/*
 * A CONF_K_CHOICE key at off: the n names at `list` (a const array, or a
 * part of one) stand for first, first + 1, ... (an enum's values).
 */
#define CONF_CHOICE(key, off, list, n, first)                                                      \
	{ (key), CONF_K_CHOICE, 0, (off), (first), (n), .names = (list) }

/*
 * A section's keys in full: its own table, a fragment of keys it shares
 * with other sections (fetch_conf_keys: their values in a struct at
 * inc_off of the caller's), the keys it leaves alone (skip: the keys every
 * module has) and whether a key may be given once only.
 */
struct conf_table {
	const struct conf_key *keys;
	size_t n;
	const struct conf_key *inc;	/* NULL: none */
	size_t ninc;
	size_t inc_off;
	int (*skip)(const char *key);	/* NULL: none */
	int once;			/* 1: "'KEY' given twice (first at line N)",
				   but for a key with CONF_F_REPEAT */
};

#define CONF_NKEYS(a) (sizeof(a) / sizeof((a)[0]))

/*
 * Walk sec in file order: a key not in the table is an error naming the
 * section ("unknown key 'K' in module blacklist", "... in source s1"), a
 * section where a value is expected and a value where a section is are
 * errors; the first error stops it with "FILE:LINE: message" in err.
 * Rules between keys are the caller's, after it.  base may be NULL when
 * every key of the table reads itself (CONF_K_FN).  0 or -1.
 */
int conf_table_read(const struct conf *c, const struct conf_node *sec, const struct conf_table *t,
		    void *base, char *err, size_t errlen);
/* The same for a bare table; `where` names the section in messages. */
int conf_keys_read(const struct conf *c, const struct conf_node *sec, const struct conf_key *keys,
		   size_t nkeys, int (*skip)(const char *key), const char *where, void *base,
		   char *err, size_t errlen);

#endif
