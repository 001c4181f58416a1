/*
 * html: context escaping and the page frame of tip serve (html.h).
 * Invariant: the only bytes written raw are this file's own literals and
 * what html_text / html_url produced; both decide per input byte (or per
 * UTF-8 sequence) from the input alone.  html_text_to is the one escaper
 * of untrusted text in tip: html_text and svg_text (svg.c) only choose
 * where its output goes.
 */
#include <stdint.h>
#include <string.h>

#include "csv.h"
#include "html.h"

static const char hx[] = "0123456789abcdef";

/*
 * Length of the valid UTF-8 sequence at p (csv_utf8_seq) when it is shown
 * as is: an XML 1.0 Char above U+009F that is not a direction control.
 * 0: shown byte by byte as "\xNN" (invalid, C1 controls C2 80..C2 9F,
 * U+FFFE and U+FFFF, EF BF BE..BF); -1: a direction control, U+202A-202E
 * or U+2066-2069 (E2 80 AA..AE, E2 81 A6..A9), shown as "\uNNNN".
 */
static int shown_utf8(const unsigned char *p, size_t n, size_t *k)
{
	*k = csv_utf8_seq(p, n);
	if ((*k == 2 && p[0] == 0xc2 && p[1] < 0xa0) ||
	    (*k == 3 && p[0] == 0xef && p[1] == 0xbf && p[2] >= 0xbe))
		*k = 0;
	return *k == 3 && p[0] == 0xe2 &&
	       ((p[1] == 0x80 && p[2] >= 0xaa && p[2] <= 0xae) ||
		(p[1] == 0x81 && p[2] >= 0xa6 && p[2] <= 0xa9)) ? -1 : 0;
}

void html_text_to(html_put_fn put, void *ctx, const void *s, size_t n)
{
	const unsigned char *p = s;
	size_t i = 0, run = 0;	/* p[i-run..i) is plain and not yet written */
	while (i < n) {
		unsigned char c = p[i];
		const char *rep = NULL;
		char esc[10];
		size_t k = 1;
		switch (c) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		case '\'': rep = "&#39;"; break;
		case '\\': rep = "\\\\"; break;
		default:
			if (c >= 0x20 && c < 0x7f)
				break;
			if (c >= 0x80 && shown_utf8(p + i, n - i, &k) < 0) {
				unsigned cp = (unsigned)(p[i] & 0x0f) << 12 |
					      (unsigned)(p[i + 1] & 0x3f) << 6 | (p[i + 2] & 0x3f);
				esc[0] = '\\', esc[1] = 'u';
				for (int d = 0; d < 4; d++)
					esc[2 + d] = hx[(cp >> (12 - 4 * d)) & 15];
				esc[6] = '\0';
				rep = esc;
			} else if (c < 0x80 || k == 0) {
				esc[0] = '\\', esc[1] = 'x', esc[2] = hx[c >> 4], esc[3] = hx[c & 15];
				esc[4] = '\0';
				rep = esc;
				k = 1;
			}
			break;
		}
		if (rep) {
			if (run)
				put(ctx, (const char *)p + i - run, run);
			run = 0;
			put(ctx, rep, strlen(rep));
		} else {
			run += k;
		}
		i += k;
	}
	if (run)
		put(ctx, (const char *)p + i - run, run);
}

static void put_hbuf(void *ctx, const char *s, size_t n)
{
	hbuf_put(ctx, s, n);
}

void html_text(struct hbuf *b, const void *s, size_t n)
{
	html_text_to(put_hbuf, b, s, n);
}

void html_texts(struct hbuf *b, const char *s)
{
	html_text(b, s, strlen(s));
}

void html_url(struct hbuf *b, const void *s, size_t n)
{
	const unsigned char *p = s;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = p[i];
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_' || c == '~') {
			hbuf_put(b, &p[i], 1);
		} else {
			char e[3] = {'%', hx[c >> 4], hx[c & 15]};
			hbuf_put(b, e, 3);
		}
	}
}

void html_urls(struct hbuf *b, const char *s)
{
	html_url(b, s, strlen(s));
}

void html_begin(struct hbuf *b, const char *title, size_t title_len, enum html_nav nav,
		const char *q)
{
	html_begin_win(b, title, title_len, nav, q, NULL, NULL);
}

/* "?since=..&amp;until=..", or nothing: the window on a navigation link. */
static void nav_win(struct hbuf *b, const char *since_s, const char *until_s)
{
	const char *sep = "?";
	if (since_s && since_s[0])
		hbuf_printf(b, "%ssince=", sep), html_urls(b, since_s), sep = "&amp;";
	if (until_s && until_s[0])
		hbuf_printf(b, "%suntil=", sep), html_urls(b, until_s);
}

void html_begin_win(struct hbuf *b, const char *title, size_t title_len, enum html_nav nav,
		    const char *q, const char *since_s, const char *until_s)
{
	hbuf_puts(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
		     "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
		     "<title>");
	html_text(b, title, title_len);
	hbuf_puts(b, " - TIP</title><link rel=\"stylesheet\" href=\"/style.css\"></head>\n<body>"
		     "<header><a class=\"brand\" href=\"/");
	nav_win(b, since_s, until_s);
	hbuf_puts(b, "\">TIP</a><nav><a href=\"/flux");
	nav_win(b, since_s, until_s);
	hbuf_printf(b, "\"%s>Fast flux</a><a href=\"/sensors",
		    nav == HTML_NAV_FLUX ? " aria-current=\"page\"" : "");
	nav_win(b, since_s, until_s);
	hbuf_printf(b, "\"%s>Sensors</a><a href=\"/sources",
		    nav == HTML_NAV_SENSORS ? " aria-current=\"page\"" : "");
	nav_win(b, since_s, until_s);
	hbuf_printf(b, "\"%s>Sources</a>", nav == HTML_NAV_SOURCES ? " aria-current=\"page\"" : "");
	hbuf_puts(b, "</nav><form class=\"search\" action=\"/search\" method=\"get\" role=\"search\">"
		     "<input type=\"search\" name=\"q\" id=\"q\" placeholder=\"domain, IP or prefix\" "
		     "aria-label=\"Search by domain, IP address or prefix\" value=\"");
	if (q)
		html_texts(b, q);
	hbuf_puts(b, "\">");
	/* a search keeps the window the page was looked at in */
	if (since_s && since_s[0])
		hbuf_puts(b, "<input type=\"hidden\" name=\"since\" value=\""), html_texts(b, since_s),
			hbuf_puts(b, "\">");
	if (until_s && until_s[0])
		hbuf_puts(b, "<input type=\"hidden\" name=\"until\" value=\""), html_texts(b, until_s),
			hbuf_puts(b, "\">");
	hbuf_puts(b, "<button type=\"submit\">Search</button></form></header>\n<main>\n");
}

void html_end(struct hbuf *b)
{
	hbuf_puts(b, "</main>\n<footer>tip serve: read-only view of the stores</footer>\n"
		     "</body></html>\n");
}

void html_th_row(struct hbuf *b, const char *const *names, int n)
{
	hbuf_puts(b, "<tr>");
	for (int i = 0; i < n; i++)
		hbuf_printf(b, "<th>%s</th>", names[i]);
	hbuf_puts(b, "</tr>\n");
}

const char html_css[] =
	"body{font:15px/1.45 system-ui,sans-serif;margin:0;color:#1b1f24;background:#f7f8fa}\n"
	"header{display:flex;flex-wrap:wrap;align-items:center;gap:1em;padding:.6em 1.2em;"
	"background:#1f2d3d;color:#fff}\n"
	"header a{color:#dfe8f3;text-decoration:none;margin-right:1em}\n"
	"header a[aria-current]{color:#fff;font-weight:600;border-bottom:2px solid #6cb0ff}\n"
	".brand{font-weight:700;font-size:1.2em;color:#fff}\n"
	".search{margin-left:auto;display:flex;gap:.4em}\n"
	".search input{width:22em;padding:.3em .5em;border:1px solid #8797a8;border-radius:3px}\n"
	"main{padding:1em 1.5em;max-width:1200px}\n"
	"h1{font-size:1.4em;margin:.3em 0 .6em;overflow-wrap:anywhere}\n"
	"h2{font-size:1.15em;margin:1.4em 0 .5em}\n"
	"table{border-collapse:collapse;background:#fff;margin:.4em 0 1em;font-size:14px}\n"
	"th,td{border:1px solid #d5dbe1;padding:.3em .6em;text-align:left;vertical-align:top}\n"
	"td{overflow-wrap:anywhere;max-width:36em}\n"
	"th{background:#e9eef3}\n"
	"th a{color:#1b1f24}\n"
	"td.n{text-align:right;font-variant-numeric:tabular-nums}\n"
	"tr.flux td:first-child{border-left:4px solid #c9302c}\n"
	"dl.summary{display:grid;grid-template-columns:max-content auto;gap:.2em 1.2em;"
	"background:#fff;padding:.8em 1em;border:1px solid #d5dbe1;max-width:46em}\n"
	"dl.summary dt{font-weight:600}\n"
	"dl.summary dd{margin:0;overflow-wrap:anywhere}\n"
	"form.filter{display:flex;flex-wrap:wrap;gap:.8em;align-items:end;margin:.5em 0 1em}\n"
	"form.filter label{display:flex;flex-direction:column;font-size:13px}\n"
	".downloads a{margin-right:1em}\n"
	".muted{color:#5b6670}\n"
	".bad{color:#b02a20;font-weight:600}\n"
	".good{color:#17753a;font-weight:600}\n"
	"figure{margin:.5em 0;background:#fff;border:1px solid #d5dbe1;padding:.5em;max-width:760px}\n"
	"figure svg{width:100%;height:auto}\n"
	"footer{padding:1em 1.5em;color:#5b6670;font-size:13px}\n"
	"tr.failed td:nth-child(2){color:#b02a20;font-weight:600}\n"
	/* a phone: the page never scrolls sideways; a wide table scrolls in its own box */
	"@media (max-width:700px){main{padding:.6em .7em}"
	"table{display:block;max-width:100%;overflow-x:auto}"
	"td{max-width:none;white-space:nowrap;overflow-wrap:normal}"
	".search{margin-left:0;width:100%}.search input{width:auto;flex:1;min-width:0}"
	"dl.summary{grid-template-columns:1fr;max-width:100%;box-sizing:border-box}"
	"figure{max-width:100%;box-sizing:border-box}}\n";
