/*
 * html: escaping of untrusted text for the contexts of tip serve's pages,
 * and the page frame (head, navigation, search box, foot).
 *
 * Every string that comes from a store, an ASN table or a request
 * (domain names, PTR names, AS names, sensor ids, paths, query values)
 * reaches a page through one of these, chosen by context:
 *   html_text   element content and quoted attribute values: & < > " '
 *               become entities; bytes that are not printable valid UTF-8
 *               or no XML 1.0 Char (controls, DEL, invalid sequences, C1
 *               controls U+0080-009F, U+FFFE, U+FFFF) and the Unicode
 *               direction overrides (U+202A-202E, U+2066-2069) become the
 *               visible text "\xNN" / "\u202e"; a backslash becomes "\\"
 *               so those forms cannot be forged.  A hostile name is shown
 *               as text, never as markup, and cannot reorder the text
 *               around it.
 *   html_url    one URL component (a query value): everything but
 *               unreserved characters (RFC 3986: A-Z a-z 0-9 - . _ ~) is
 *               percent-encoded, so the value cannot end the parameter,
 *               the attribute or the URL; put it in a quoted attribute.
 * Attribute values are always written in double quotes by the callers.
 * The output goes to an hbuf (http.h), whose bound also bounds a page.
 */
#ifndef TIP_HTML_H
#define TIP_HTML_H

#include <stddef.h>

#include "http.h"

/* Element content or a double-quoted attribute value. */
void html_text(struct hbuf *b, const void *s, size_t n);
/*
 * The same through a put function: the one escaper, also of SVG text
 * (svg_text), since HTML and SVG text are both XML character data.
 */
typedef void (*html_put_fn)(void *ctx, const char *s, size_t n);
void html_text_to(html_put_fn put, void *ctx, const void *s, size_t n);
void html_texts(struct hbuf *b, const char *s);
/* A URL component (query parameter value). */
void html_url(struct hbuf *b, const void *s, size_t n);
void html_urls(struct hbuf *b, const char *s);

/* The navigation entries; html_begin marks the current one. */
enum html_nav {
	HTML_NAV_NONE,
	HTML_NAV_FLUX,
	HTML_NAV_SENSORS,
	HTML_NAV_SOURCES,
};

/*
 * <!DOCTYPE html> .. <body>, the stylesheet link (/style.css), the
 * navigation and the search form (GET /search?q=, prefilled with q when
 * not NULL).  title is untrusted text (escaped here).
 */
void html_begin(struct hbuf *b, const char *title, size_t title_len, enum html_nav nav,
		const char *q);
/*
 * The same, with a time window (since_s, until_s: NULL or "" for none,
 * untrusted) carried by every navigation link and the search form.
 */
void html_begin_win(struct hbuf *b, const char *title, size_t title_len, enum html_nav nav,
		    const char *q, const char *since_s, const char *until_s);
void html_end(struct hbuf *b);

/* <tr><th>..</th>...</tr> of fixed (trusted) header names. */
void html_th_row(struct hbuf *b, const char *const *names, int n);

/* The fixed stylesheet served at /style.css. */
extern const char html_css[];

#endif
