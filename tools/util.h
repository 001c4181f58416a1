/*
 * util: small helpers shared by the tip commands: UTC time in ISO 8601,
 * DNS type mnemonics, fault lines and escaping of untrusted text for
 * stderr, hex.  Nothing here allocates; output goes to caller buffers or
 * to the FILE given.
 *
 * Invariant: every string printed from a store or an input file (paths,
 * file names found in log/, names) goes through util_put_text or the JSON
 * writer, so a hostile name cannot forge a line of our output.
 */
#ifndef TIP_UTIL_H
#define TIP_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define UTIL_TIME_MAX 32	/* "YYYY-MM-DDTHH:MM:SS.uuuuuuZ" and a NUL */

/*
 * Format us (microseconds since 1970 UTC) as 2024-05-01T12:00:00.000123Z.
 * 0, or -1 (out[0] = '\0') when the year is outside 0000-9999.
 */
int util_fmt_time(char *out, size_t cap, int64_t us);

/*
 * Print untrusted text for a human line on stderr: printable ASCII as is,
 * backslash as "\\", everything else as "\xNN".
 */
void util_put_text(FILE *f, const void *s, size_t n);

/*
 * The same escaping into out[0..cap) (always NUL-terminated); text that
 * does not fit ends in "...".  Returns out.
 */
char *util_text(char *out, size_t cap, const void *s, size_t n);

/* "PATH:OFFSET: [warning: ]reason\n" with PATH escaped by util_put_text. */
void util_fault(FILE *f, const char *path, uint64_t off, int warning, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* Lower-case hex of p[0..n) into out (2n+1 bytes). */
void util_hex(char *out, const void *p, size_t n);

/*
 * A sensor name as the store keeps it: bytes other than [A-Za-z0-9._-]
 * become '_', at most cap-1 bytes.
 */
void util_sensor_name(char *out, size_t cap, const char *s, size_t n);

#endif
