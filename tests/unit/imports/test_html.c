/* test_html.c — unit tests for src/imports/html.c: the §8.2 page rules
 * (dropped elements, title, selector order and the 100-character rule,
 * body fallback, 200/30,000 caps), the §8.3 file text, character
 * encodings, and hostile input (NULs, invalid UTF-8, deep nesting). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "imports/html.h"
#include "imports/text.h"
#include "util/buf.h"
#include "util/utf8.h"
#include "imports/fixture.h"

#define LONG_A "This paragraph is deliberately long: it has well over one hundred characters so that it passes the rule."
#define SHORT_B "Short text here."

static void page(const char *html, size_t len, const char *enc, const char *want_title,
                 const char *want_content)
{
    char *title = NULL, *content = NULL;
    assert_int_equal(imp_html_page(html, len, enc, &title, &content), 0);
    assert_true(utf8_valid(title, strlen(title)));
    assert_true(utf8_valid(content, strlen(content)));
    if (want_title && strcmp(title, want_title) != 0)
        fail_msg("title [%s] != [%s]", title, want_title);
    if (want_content && strcmp(content, want_content) != 0)
        fail_msg("content [%s] != [%s]", content, want_content);
    free(title);
    free(content);
}

static void test_page_rules(void **state)
{
    static const struct {
        const char *html, *title, *content;
    } cases[] = {
        /* no <title>: "Imported"; no selector: the body */
        { "<p>Just a body</p>", "Imported", "Just a body" },
        { "<title>  A \n  title </title><p>x</p>", "A title", "x" },
        { "<title></title><p>x</p>", "Imported", "x" },
        /* article matches first but is short: .content (long) wins */
        { "<article>" SHORT_B "</article><div class='content'>" LONG_A "</div>",
          NULL, LONG_A },
        /* main long: first selector wins even if others are longer */
        { "<div class='content'>" LONG_A " more</div><main>" LONG_A "</main>", NULL, LONG_A },
        /* all short: the last selector that matched (.post after main) */
        { "<div class='post'>" SHORT_B " post</div><main>" SHORT_B "</main>", NULL,
          SHORT_B " post" },
        /* the first match of a selector in document order */
        { "<main>first main</main><main>" LONG_A "</main>", NULL, "first main" },
        /* last matched is empty: back to the body */
        { "<main>" SHORT_B "</main><article> </article><p>tail</p>", NULL,
          SHORT_B " tail" },
        /* class is a token list; id is exact */
        { "<div class='content-wide'>no</div><p>body</p>", NULL, "no body" },
        { "<div class='a\tcontent'>token</div><p>body</p>", NULL, "token" },
        { "<div class='content\xC2\xA0x'>nbsp</div><p>body</p>", NULL, "nbsp" },
        { "<div class='  x   content  '>spaced</div><p>body</p>", NULL, "spaced" },
        { "<div class='contents content2'>near</div><p>body</p>", NULL, "near body" },
        { "<div id='content'>by id</div><p>body</p>", NULL, "by id" },
        { "<div id='Content'>case</div><p>body</p>", NULL, "case body" },
        { "<div class='entry'>entry</div><div class='post'>post</div>", NULL, "entry" },
        /* a token of the same length is not the class */
        { "<div class='contenT'>same length</div><div class='pots'>x</div><p>body</p>", NULL,
          "same length x body" },
        /* every selector matches (the walk stops there): the first long one wins */
        { "<div class='entry'>e</div><div class='post'>p</div><div id='content'>i</div>"
          "<div class='content'>c</div><article>" SHORT_B "</article><main>" LONG_A "</main>"
          "<p>after all</p>", NULL, LONG_A },
        /* dropped elements take their matches with them */
        { "<header><main>in header</main></header><p>" SHORT_B "</p>", NULL, SHORT_B },
        { "<nav>n</nav><aside>a</aside><footer>f</footer><script>s()</script>"
          "<style>p{}</style><p>kept</p>", NULL, "kept" },
        /* get_text(' ', strip=True): a space between text nodes */
        { "<p><b>Hel</b>lo <!-- comment -->wor<i>ld</i></p>", NULL, "Hel lo wor ld" },
        { "<p>a&nbsp;&nbsp;b\t\n c&amp;d &lt;e&gt;</p>", NULL, "a b c&d <e>" },
        { "<title>T</title><body></body>", "T", "" },
        { "<![CDATA[x]]><p>y</p>", NULL, NULL },
    };
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        page(cases[i].html, strlen(cases[i].html), NULL, cases[i].title, cases[i].content);
}

static void test_page_fixture(void **state)
{
    size_t len;
    char *html = fixture("sample.html", &len);
    (void)state;
    page(html, len, NULL, "Sample page & more",
         "Main heading This is the main content of the page, long enough to pass the one "
         "hundred character threshold for the selector rule \xE2\x80\x94 caf\xC3\xA9.");
    free(html);
}

static void test_page_caps(void **state)
{
    buf b = BUF_INIT(0);
    char *html, *title, *content;
    (void)state;
    assert_int_equal(buf_puts(&b, "<title>"), 0);
    for (int i = 0; i < 250; i++)
        assert_int_equal(buf_puts(&b, "\xC3\xA9"), 0);
    assert_int_equal(buf_puts(&b, "</title><main>"), 0);
    for (int i = 0; i < 40000; i++)
        assert_int_equal(buf_puts(&b, "\xE2\x82\xAC"), 0);
    assert_int_equal(buf_puts(&b, "</main>"), 0);
    html = buf_steal(&b);
    assert_int_equal(imp_html_page(html, strlen(html), NULL, &title, &content), 0);
    assert_int_equal(imp_cp_len(title, strlen(title)), 200);
    assert_int_equal(strlen(title), 400);
    assert_int_equal(strlen(content), 30000 * 3 + strlen("\n[truncated]"));
    assert_string_equal(content + 90000, "\n[truncated]");
    free(title);
    free(content);
    free(html);
    /* exactly 30,000: no marker */
    for (int i = 0; i < 30000; i++)
        assert_int_equal(buf_putc(&b, 'x'), 0);
    html = buf_steal(&b);
    assert_int_equal(imp_html_page(html, strlen(html), NULL, &title, &content), 0);
    assert_int_equal(strlen(content), 30000);
    free(title);
    free(content);
    free(html);
}

static void test_encodings(void **state)
{
    size_t len;
    char *html = fixture("latin1.html", &len);
    (void)state;
    page(html, len, NULL, "Cr\xC3\xA8me", "Cr\xC3\xA8me br\xC3\xBBl\xC3\xA9" "e recipe");
    free(html);
    static const char w1252[] = "<p>\x93quoted\x94 \x80 caf\xE9</p>";
    page(w1252, sizeof w1252 - 1, "windows-1252", NULL,
         "\xE2\x80\x9Cquoted\xE2\x80\x9D \xE2\x82\xAC caf\xC3\xA9");
    page(w1252, sizeof w1252 - 1, "ISO-8859-1", NULL, NULL);
    static const char utf8[] = "<p>caf\xC3\xA9</p>";
    page(utf8, sizeof utf8 - 1, "x-no-such-charset", NULL, "caf\xC3\xA9");
    page(utf8, sizeof utf8 - 1, "utf-8", NULL, "caf\xC3\xA9");
    /* undeclared and not UTF-8: any valid UTF-8 will do, no crash */
    page(w1252, sizeof w1252 - 1, NULL, NULL, NULL);
}

static void test_hostile(void **state)
{
    static const char nul[] = "<title>a\0b</title><p>x\0y</p>\0<p>z</p>";
    static const char bad[] = "<p>\xFF\xFE\xC0\x80\xED\xA0\x80</p>";
    char *title, *content;
    buf b = BUF_INIT(0);
    (void)state;
    page(nul, sizeof nul - 1, NULL, NULL, NULL);
    page(bad, sizeof bad - 1, NULL, NULL, NULL);
    page("", 0, NULL, "Imported", "");
    page("<", 1, NULL, "Imported", NULL);
    page("   \n ", 5, NULL, "Imported", "");
    page("<html><body><main", 18, NULL, NULL, NULL);
    /* 100,000 nested elements: no recursion in our walks */
    for (int i = 0; i < 100000; i++)
        assert_int_equal(buf_puts(&b, "<div><span>"), 0);
    assert_int_equal(buf_puts(&b, "deep text"), 0);
    char *html = buf_steal(&b);
    assert_int_equal(imp_html_page(html, strlen(html), NULL, &title, &content), 0);
    free(title);
    free(content);
    free(html);
    /* over the input cap: refused, outputs NULL */
    title = content = (char *)1;
    assert_int_equal(imp_html_page("x", (size_t)IMP_HTML_MAX_INPUT + 1, NULL, &title, &content), -1);
    assert_null(title);
    assert_null(content);
}

static void test_file_text(void **state)
{
    size_t len, n;
    char *html = fixture("sample.html", &len);
    char *out = imp_html_text(html, len, NULL, &n);
    (void)state;
    /* whole document: title included, aside kept, header/nav/footer/script/style dropped */
    assert_string_equal(out, "Sample page & more Main heading This is the main content of the "
                        "page, long enough to pass the one hundred character threshold for "
                        "the selector rule \xE2\x80\x94 caf\xC3\xA9. Aside text");
    assert_int_equal(n, strlen(out));
    free(out);
    free(html);
    out = imp_html_text("", 0, NULL, &n);
    assert_string_equal(out, "");
    free(out);
    out = imp_html_text("plain words", 11, NULL, &n);
    assert_string_equal(out, "plain words");
    free(out);
    out = imp_html_text("", 0, NULL, NULL);
    assert_string_equal(out, "");
    free(out);
    out = imp_html_text(" \n\t ", 4, NULL, &n);
    assert_string_equal(out, "");
    assert_int_equal(n, 0);
    free(out);
    /* over the input cap: refused */
    assert_null(imp_html_text("x", (size_t)IMP_HTML_MAX_INPUT + 1, NULL, &n));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_page_rules),
        cmocka_unit_test(test_page_fixture),
        cmocka_unit_test(test_page_caps),
        cmocka_unit_test(test_encodings),
        cmocka_unit_test(test_hostile),
        cmocka_unit_test(test_file_text),
    };
    return cmocka_run_group_tests_name("imports/html", tests, NULL, NULL);
}
