/*
 * log: syslog or stderr, levels and per-module trace flags (log.h).
 *
 * The level and the trace mask are read without a lock from any thread:
 * they are plain ints that only the loop thread changes, and a stale read
 * costs at most one line more or less.  A line is formatted into a stack
 * buffer and written with one write(2) (stderr) or one syslog(3) call, so
 * lines of different threads never interleave.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

#define LINE_MAX_LEN 1024

static int to_stderr = 1;
static int copy_stderr;		/* syslog, and stderr too: a detaching daemon's start-up */
static int cur_level = LOG_LVL_INFO;
static volatile unsigned trace_mask;
static const char *trace_names[LOG_TRACE_MAX];
static int trace_n;

const char *const log_level_names[LOG_LVL_DEBUG + 1] = {"error", "warn", "info", "debug"};

void log_init(const char *ident, int stderr_on, int level)
{
	to_stderr = stderr_on;
	cur_level = level;
	if (!to_stderr)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void log_set_level(int level)
{
	if (level < LOG_LVL_ERROR)
		level = LOG_LVL_ERROR;
	if (level > LOG_LVL_DEBUG)
		level = LOG_LVL_DEBUG;
	cur_level = level;
}

int log_get_level(void)
{
	return cur_level;
}

int log_level_parse(const char *name)
{
	for (int i = 0; i <= LOG_LVL_DEBUG; i++)
		if (strcmp(name, log_level_names[i]) == 0)
			return i;
	return -1;
}

const char *log_level_name(int level)
{
	return level >= 0 && level <= LOG_LVL_DEBUG ? log_level_names[level] : "?";
}

static void emit(int prio, const char *tag, const char *fmt, va_list ap, const char *err)
{
	char line[LINE_MAX_LEN];
	size_t n = 0, body;
	int r;
	struct timespec ts;
	struct tm tm;

	/* the date, in UTC: a line on stderr may be read days later (logd, a file) */
	clock_gettime(CLOCK_REALTIME, &ts);	/* only a label for humans */
	gmtime_r(&ts.tv_sec, &tm);
	n = strftime(line, sizeof line, "%Y-%m-%dT%H:%M:%SZ ", &tm);
	body = n;
	if (tag) {
		r = snprintf(line + n, sizeof line - n, "%s", tag);
		n += r > 0 ? (size_t)r : 0;
	}
	r = vsnprintf(line + n, sizeof line - n, fmt, ap);
	if (r > 0)
		n = n + (size_t)r < sizeof line ? n + (size_t)r : sizeof line - 1;
	if (err && n < sizeof line - 1) {
		r = snprintf(line + n, sizeof line - n, ": %s", err);
		if (r > 0)
			n = n + (size_t)r < sizeof line ? n + (size_t)r : sizeof line - 1;
	}
	if (!to_stderr) {
		line[n] = 0;
		syslog(prio, "%s", line + body);	/* syslog dates its lines */
	}
	if (to_stderr || copy_stderr) {
		if (n >= sizeof line - 1)
			n = sizeof line - 2;
		line[n++] = '\n';
		ssize_t w = write(STDERR_FILENO, line, n);
		(void)w;
	}
}

void log_copy_stderr(int on)
{
	copy_stderr = on;
}

#define LOGFN(name, prio, lvl, tag, witherr)                     \
	void name(const char *fmt, ...)                         \
	{                                                       \
		int saved = errno;                              \
		if (cur_level < (lvl))                          \
			return;                                 \
		va_list ap;                                     \
		va_start(ap, fmt);                              \
		emit(prio, tag, fmt, ap, witherr ? strerror(saved) : NULL); \
		va_end(ap);                                     \
		errno = saved;                                  \
	}

LOGFN(log_warn, LOG_WARNING, LOG_LVL_WARN, "warn: ", 1)
LOGFN(log_warnx, LOG_WARNING, LOG_LVL_WARN, "warn: ", 0)
LOGFN(log_errx, LOG_ERR, LOG_LVL_ERROR, "error: ", 0)
LOGFN(log_info, LOG_INFO, LOG_LVL_INFO, NULL, 0)
LOGFN(log_debug, LOG_DEBUG, LOG_LVL_DEBUG, "debug: ", 0)

void fatal(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;
	va_start(ap, fmt);
	emit(LOG_CRIT, "fatal: ", fmt, ap, strerror(saved));
	va_end(ap);
	exit(1);
}

void fatalx(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	emit(LOG_CRIT, "fatal: ", fmt, ap, NULL);
	va_end(ap);
	exit(1);
}

int log_trace_id(const char *module)
{
	for (int i = 0; i < trace_n; i++)
		if (strcmp(trace_names[i], module) == 0)
			return i;
	if (trace_n >= LOG_TRACE_MAX)
		return -1;
	trace_names[trace_n] = module;
	return trace_n++;
}

int log_trace_set(const char *module, int on)
{
	if (strcmp(module, "all") == 0) {
		trace_mask = on ? ~0u : 0;
		return 0;
	}
	for (int i = 0; i < trace_n; i++)
		if (strcmp(trace_names[i], module) == 0) {
			if (on)
				trace_mask |= 1u << i;
			else
				trace_mask &= ~(1u << i);
			return 0;
		}
	return -1;
}

void log_trace_clear(void)
{
	trace_mask = 0;
}

int log_trace_on(int id)
{
	return id >= 0 && id < LOG_TRACE_MAX && (trace_mask >> id & 1);
}

void log_trace_list(char *buf, size_t cap)
{
	size_t n = 0;
	if (cap == 0)
		return;
	buf[0] = 0;
	for (int i = 0; i < trace_n; i++) {
		if (!(trace_mask >> i & 1))
			continue;
		int r = snprintf(buf + n, cap - n, "%s%s", n ? " " : "", trace_names[i]);
		if (r < 0 || (size_t)r >= cap - n)
			break;
		n += (size_t)r;
	}
}

void log_trace(int id, const char *fmt, ...)
{
	if (!log_trace_on(id))
		return;
	int saved = errno;
	va_list ap;
	va_start(ap, fmt);
	emit(LOG_DEBUG, "trace: ", fmt, ap, NULL);
	va_end(ap);
	errno = saved;
}

const char *log_esc(char *buf, size_t cap, const void *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = s;
	size_t o = 0;

	if (cap < 8) {
		if (cap)
			buf[0] = 0;
		return buf;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = p[i];
		size_t need = (c >= 0x20 && c < 0x7f && c != '\\') ? 1 : 4;
		if (o + need + 4 > cap) {	/* room for "..." and NUL */
			memcpy(buf + o, "...", 3);
			o += 3;
			break;
		}
		if (need == 1) {
			buf[o++] = (char)c;
		} else {
			buf[o++] = '\\';
			buf[o++] = 'x';
			buf[o++] = hex[c >> 4];
			buf[o++] = hex[c & 15];
		}
	}
	buf[o] = 0;
	return buf;
}
