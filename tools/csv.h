/*
 * csv: RFC 4180 fields for tip's CSV output, safe for hostile names.
 *
 * A text field is written as is when it holds only printable bytes;
 * it is quoted (and '"' doubled) when it holds a comma, a quote, CR or LF,
 * as RFC 4180 says, so CR and LF survive inside the quotes.  Other control
 * bytes (0x00-0x1f but CR and LF, 0x7f) and bytes that are not part of
 * valid UTF-8 are written as "\xNN", and a backslash as "\\", so the
 * escape cannot be forged.  A text field starting with '=', '+', '-' or
 * '@' gets a leading "'" so a spreadsheet does not run it as a formula
 * (OWASP's advice for CSV injection); numbers are written by the caller
 * with csv_put_raw and are never altered.
 */
#ifndef TIP_CSV_H
#define TIP_CSV_H

#include <stddef.h>
#include <stdio.h>

/* Length of the valid UTF-8 sequence at p[0..n), or 0 when there is none. */
size_t csv_utf8_seq(const unsigned char *p, size_t n);

/* Write one text field s[0..n) into out[0..cap); returns the length needed (like snprintf). */
size_t csv_field(char *out, size_t cap, const void *s, size_t n);

/* Write one text field to f.  0, or -1 on a write error. */
int csv_put(FILE *f, const void *s, size_t n);

/* A NUL-terminated text field. */
int csv_puts(FILE *f, const char *s);

#endif
