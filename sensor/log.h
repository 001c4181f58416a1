/*
 * log: the daemon's one log, to syslog (LOG_DAEMON) when detached or to
 * stderr in the foreground, each line there dated in UTC
 * (2026-01-31T12:00:00Z).  Lines read `module: what: detail`; the
 * module is the caller's first words, by convention.
 *
 * Levels: error, warn, info, debug.  Besides the level, each module has a
 * trace flag, switchable at run time (config `trace`, `tip trace`): a
 * trace line is written whatever the level when its module's flag is on.
 *
 * log_warn and fatal append strerror(errno); log_warnx and fatalx do not.
 * fatal is for start-up only.  Strings that came from outside (domains,
 * file contents, socket requests) go through log_esc before printing.
 * All functions may be called from any thread (the writer logs too).
 */
#ifndef TIP_LOG_H
#define TIP_LOG_H

#include <stddef.h>

enum log_level {
	LOG_LVL_ERROR = 0,
	LOG_LVL_WARN = 1,
	LOG_LVL_INFO = 2,
	LOG_LVL_DEBUG = 3,
};

#define LOG_TRACE_MAX 32	/* modules with a trace flag */

/* Start logging: ident is the syslog name; to_stderr 1 in the foreground. */
void log_init(const char *ident, int to_stderr, int level);
void log_set_level(int level);
/*
 * When logging to syslog, copy every line to stderr as well (1) or not
 * (0): a daemon that detaches keeps its terminal informed until it runs.
 */
void log_copy_stderr(int on);
int log_get_level(void);
/* The levels' names, by level: "error", "warn", "info", "debug". */
extern const char *const log_level_names[LOG_LVL_DEBUG + 1];
/* A name of log_level_names -> its level, or -1. */
int log_level_parse(const char *name);
const char *log_level_name(int level);

void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_errx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/*
 * Trace flags.  log_trace_id registers a module name (a static string)
 * and returns its id, the same id for the same name; -1 when the table is
 * full.  log_trace_set turns a flag on or off by name ("all" for every
 * one): 0, or -1 when the name is unknown.
 */
int log_trace_id(const char *module);
int log_trace_set(const char *module, int on);
void log_trace_clear(void);
int log_trace_on(int id);
/* Names of the flags that are on, space-separated, into buf. */
void log_trace_list(char *buf, size_t cap);
void log_trace(int id, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Escape untrusted bytes for a log line: printable ASCII except backslash
 * stays, everything else becomes \xNN; cut with "..." to fit cap (at
 * least 8).  Returns buf.
 */
const char *log_esc(char *buf, size_t cap, const void *s, size_t len);
#define LOG_ESC_MAX 128		/* a good cap for one field */

#endif
