/*
 * test_html: escaping of hostile names for HTML text and attributes
 * (markup, quotes, control bytes, invalid UTF-8, direction overrides,
 * forged escapes), URL components, the score graph's SVG (no text from
 * the caller, presentation attributes only), and the page frame.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "html.h"
#include "svg.h"

static void text_is(const char *in, size_t n, const char *want)
{
	struct hbuf b;
	hbuf_init(&b, 4096);
	html_text(&b, in, n);
	assert_false(b.err);
	assert_string_equal(b.len ? b.p : "", want);
	hbuf_fini(&b);
}

static void url_is(const char *in, const char *want)
{
	struct hbuf b;
	hbuf_init(&b, 4096);
	html_urls(&b, in);
	assert_string_equal(b.len ? b.p : "", want);
	hbuf_fini(&b);
}

static void test_html_text_escapes_markup_and_quotes(void **st)
{
	const char *s = "<script>alert(1)</script>.example";
	text_is(s, strlen(s), "&lt;script&gt;alert(1)&lt;/script&gt;.example");
	s = "\"onmouseover=alert(1) x='y' & z";
	text_is(s, strlen(s), "&quot;onmouseover=alert(1) x=&#39;y&#39; &amp; z");
	text_is("www.example.com", 15, "www.example.com");
	text_is("", 0, "");
}

static void test_html_text_shows_control_and_invalid_bytes(void **st)
{
	text_is("a\x01" "b\n\x7f", 5, "a\\x01b\\x0a\\x7f");
	text_is("bad\xff\xc3", 5, "bad\\xff\\xc3");
	text_is("\\x41", 4, "\\\\x41");	/* a literal backslash cannot forge an escape */
	text_is("a\0b", 3, "a\\x00b");
}

static void test_html_text_keeps_utf8_but_not_bidi_controls(void **st)
{
	text_is("caf\xc3\xa9.example", 13, "caf\xc3\xa9.example");
	text_is("a\xe2\x80\xae" "b", 5, "a\\u202eb");	/* RIGHT-TO-LEFT OVERRIDE */
	text_is("a\xe2\x81\xa6" "b", 5, "a\\u2066b");	/* LEFT-TO-RIGHT ISOLATE */
	text_is("a\xe2\x80\x94" "b", 5, "a\xe2\x80\x94" "b");	/* an em dash stays */
	/* no XML 1.0 Char: C1 controls, U+FFFE, U+FFFF; U+00A0 is one */
	text_is("a\xc2\x85" "b", 4, "a\\xc2\\x85b");	/* NEXT LINE */
	text_is("a\xc2\x9f" "b", 4, "a\\xc2\\x9fb");
	text_is("a\xc2\xa0" "b", 4, "a\xc2\xa0" "b");
	text_is("a\xef\xbf\xbf" "b", 5, "a\\xef\\xbf\\xbfb");
}

static void test_html_url_encodes_all_but_unreserved(void **st)
{
	url_is("flux01.example-botnet.test", "flux01.example-botnet.test");
	url_is("a&b=c d/\"'<>#?%", "a%26b%3dc%20d%2f%22%27%3c%3e%23%3f%25");
	url_is("x\r\nSet-Cookie: y", "x%0d%0aSet-Cookie%3a%20y");
	url_is("~_-.", "~_-.");
}

static void put(void *ctx, const char *s, size_t n)
{
	hbuf_put(ctx, s, n);
}

static void test_html_svg_graph_is_self_contained(void **st)
{
	struct hbuf b;
	struct svg_point p[3] = {{1764000000000000LL, 5, 1, 6600}, {1764003600000000LL, 8, 8, 15888},
				 {1764007200000000LL, 431, 107, 255270}};
	struct flux_verdict v = {431, 107, 0, 255270, 255270 - FLUX_THRESHOLD, 1, 0};
	static const char hostile[] = "<script>x\\y\x01</script>.test";
	struct svg_graph g = {hostile, sizeof hostile - 1, &v, 3, p[0].t_us, p[2].t_us,
			      "the lookups, counted cumulatively", p, 3, p[2].t_us, 0, NULL};
	hbuf_init(&b, 1 << 20);
	svg_score_graph(put, &b, &g);
	assert_false(b.err);
	assert_memory_equal(b.p, "<svg ", 5);	/* inline: no XML declaration */
	assert_non_null(strstr(b.p, "</svg>"));
	assert_non_null(strstr(b.p, "class=\"threshold\""));
	/* three steps: M, then H..V twice, then the last value held to the end */
	const char *sp = strstr(b.p, "<path class=\"score\""), *se = sp ? strstr(sp, "/>") : NULL;
	assert_non_null(se);
	int steps = 0;
	for (const char *q = strstr(sp, " d=\""); q < se; q++)
		steps += *q == 'V';
	assert_int_equal(steps, 2);
	assert_non_null(strstr(b.p, "<path class=\"n-a\""));
	assert_non_null(strstr(b.p, "score 2552.70: FAST-FLUX; 431 addresses in 107 ASNs; 3 lookups"));
	assert_non_null(strstr(b.p, "&lt;script&gt;x\\\\y\\x01&lt;/script&gt;.test"));
	assert_null(strstr(b.p, "<script"));
	assert_null(strstr(b.p, "style="));
	/* U+FFFE is no XML Char: escaped; U+00E9 is one: kept */
	static const char odd[] = "a\xef\xbf\xbe\xc3\xa9.test";
	g.name = odd;
	g.name_len = sizeof odd - 1;
	hbuf_reset(&b);
	svg_score_graph(put, &b, &g);
	assert_non_null(strstr(b.p, "<title>Fast-flux score of a\\xef\\xbf\\xbe\xc3\xa9.test</title>"));
	/* a direction override cannot reorder the picture's title either */
	static const char rlo[] = "a\xe2\x80\xae" "b.test";
	g.name = rlo;
	g.name_len = sizeof rlo - 1;
	hbuf_reset(&b);
	svg_score_graph(put, &b, &g);
	assert_non_null(strstr(b.p, "<title>Fast-flux score of a\\u202eb.test</title>"));
	assert_null(strstr(b.p, "\xe2\x80\xae"));
	hbuf_reset(&b);
	g.standalone = 1;
	svg_score_graph(put, &b, &g);
	assert_memory_equal(b.p, "<?xml ", 6);
	hbuf_reset(&b);
	g.n = 0;
	svg_score_graph(put, &b, &g);
	assert_non_null(strstr(b.p, "no score samples"));
	assert_non_null(strstr(b.p, "</svg>"));
	hbuf_fini(&b);
}

static void test_html_page_frame_escapes_title_and_query(void **st)
{
	struct hbuf b;
	hbuf_init(&b, 1 << 16);
	html_begin(&b, "<b>x</b>", 8, HTML_NAV_FLUX, "\"><script>");
	html_end(&b);
	assert_null(strstr(b.p, "<b>x"));
	assert_null(strstr(b.p, "<script>"));
	assert_non_null(strstr(b.p, "&lt;b&gt;x&lt;/b&gt; - TIP</title>"));
	assert_non_null(strstr(b.p, "value=\"&quot;&gt;&lt;script&gt;\""));
	assert_non_null(strstr(b.p, "href=\"/style.css\""));
	assert_non_null(strstr(b.p, "</html>"));
	hbuf_fini(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_html_text_escapes_markup_and_quotes),
		cmocka_unit_test(test_html_text_shows_control_and_invalid_bytes),
		cmocka_unit_test(test_html_text_keeps_utf8_but_not_bidi_controls),
		cmocka_unit_test(test_html_url_encodes_all_but_unreserved),
		cmocka_unit_test(test_html_svg_graph_is_self_contained),
		cmocka_unit_test(test_html_page_frame_escapes_title_and_query),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
