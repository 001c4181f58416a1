/*
 * watchlist: the text of the watch-list file (mod_watchlist.c), without
 * the module around it, for the fuzz target and tests.
 */
#ifndef TIP_WATCHLIST_H
#define TIP_WATCHLIST_H

#include <stddef.h>
#include <stdint.h>

/*
 * Call fn(ctx, name, len, line, col) for each name of text[0..len): the
 * word of a line, up to a blank, '#' or '\r'; blank and comment lines
 * are skipped.  A line of several words ("bad name.flux.test") is passed
 * whole, up to a comment, so it is refused as no name rather than its
 * first word taken.  name points into text (not NUL-terminated); line
 * and col (the name's first byte in its line) are 1-based, for
 * "FILE:LINE:COL: message".
 */
void watchlist_scan(const uint8_t *text, size_t len,
		    void (*fn)(void *ctx, const char *name, size_t len, int line, size_t col),
		    void *ctx);

#endif
