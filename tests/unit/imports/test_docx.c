/* test_docx.c — unit tests for src/imports/docx.c: python-docx's text
 * rules (runs, hyperlinks, breaks, what is ignored), tables (gridSpan,
 * vMerge, gridBefore, nested tables), paragraphs-then-tables order, the
 * fixtures, and hostile archives (truncated, no document.xml, bad XML,
 * zip bombs with honest and lying sizes, entity tricks, deep nesting). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <zip.h>

#include "imports/docx.h"
#include "util/buf.h"
#include "util/utf8.h"
#include "imports/fixture.h"

#define W_NS "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
#define DOC(body) "<?xml version=\"1.0\"?><w:document xmlns:w=\"" W_NS "\"><w:body>" body \
                  "</w:body></w:document>"
#define DOC_BEFORE_BODY(pre, body) "<?xml version=\"1.0\"?><w:document xmlns:w=\"" W_NS "\">" \
                                   pre "<w:body>" body "</w:body></w:document>"
#define P(x) "<w:p>" x "</w:p>"
#define R(x) "<w:r><w:t xml:space=\"preserve\">" x "</w:t></w:r>"
#define TC(x) "<w:tc>" x "</w:tc>"
#define TCP(pr, x) "<w:tc><w:tcPr>" pr "</w:tcPr>" x "</w:tc>"

/* A .docx in memory holding document.xml = xml, encrypted with AES-256
 * when password is not NULL, after `extra` other (empty) entries. */
static char *make_zip(const char *xml, size_t xlen, const char *password, int extra,
                      size_t *len)
{
    zip_error_t ze;
    zip_source_t *src, *f;
    zip_t *za;
    char *out;
    zip_int64_t idx;
    zip_error_init(&ze);
    src = zip_source_buffer_create(NULL, 0, 0, &ze);
    assert_non_null(src);
    zip_source_keep(src);
    za = zip_open_from_source(src, ZIP_TRUNCATE, &ze);
    assert_non_null(za);
    for (int i = 0; i < extra; i++) {
        char name[32];
        snprintf(name, sizeof name, "x/%d", i);
        f = zip_source_buffer_create("", 0, 0, &ze);
        assert_true(zip_file_add(za, name, f, ZIP_FL_ENC_UTF_8) >= 0);
    }
    f = zip_source_buffer_create(xml, xlen, 0, &ze);
    idx = zip_file_add(za, "word/document.xml", f, ZIP_FL_ENC_UTF_8);
    assert_true(idx >= 0);
    if (password)
        assert_int_equal(zip_file_set_encryption(za, (zip_uint64_t)idx, ZIP_EM_AES_256,
                                                 password), 0);
    assert_int_equal(zip_close(za), 0);
    assert_int_equal(zip_source_open(src), 0);
    assert_int_equal(zip_source_seek(src, 0, SEEK_END), 0);
    *len = (size_t)zip_source_tell(src);
    assert_int_equal(zip_source_seek(src, 0, SEEK_SET), 0);
    out = malloc(*len ? *len : 1);
    assert_int_equal(zip_source_read(src, out, *len), (zip_int64_t)*len);
    zip_source_close(src);
    zip_source_free(src);
    zip_error_fini(&ze);
    return out;
}

/* A .docx in memory holding document.xml = xml (len bytes). */
static char *make_docx(const char *xml, size_t xlen, size_t *len)
{
    return make_zip(xml, xlen, NULL, 0, len);
}

static void expect_text(const void *data, size_t len, const char *want)
{
    char *out = NULL, err[200];
    size_t n = 0;
    int rc = imp_docx_text(data, len, &out, &n, err, sizeof err);
    if (rc != 0)
        fail_msg("imp_docx_text failed: %s", err);
    assert_true(utf8_valid(out, n));
    if (n != strlen(want) || strcmp(out, want) != 0)
        fail_msg("got [%s]\nwant [%s]", out, want);
    free(out);
}

static void expect_error(const void *data, size_t len, const char *reason_part)
{
    char *out = (char *)1, err[200] = "";
    size_t n = 0;
    assert_int_equal(imp_docx_text(data, len, &out, &n, err, sizeof err), -1);
    assert_null(out);
    if (!strstr(err, reason_part))
        fail_msg("reason [%s] lacks [%s]", err, reason_part);
}

static void test_document_rules(void **state)
{
    static const struct {
        const char *xml, *want;
    } cases[] = {
        { DOC(P(R("Hello ") R("world"))), "Hello world" },
        { DOC(P(R("a")) P("") P(R("b"))), "a\n\nb" },
        { DOC(P("<w:r><w:t>a</w:t><w:tab/><w:t>b</w:t><w:br/><w:t>c</w:t><w:cr/>"
                "<w:t>d</w:t><w:br w:type=\"page\"/><w:br w:type=\"column\"/>"
                "<w:br w:type=\"textWrapping\"/><w:noBreakHyphen/><w:ptab/></w:r>")),
          "a\tb\nc\nd\n-\t" },
        /* hyperlink runs count; w:ins, w:smartTag, w:fldSimple, w:del do not */
        { DOC(P(R("x") "<w:hyperlink>" R("link") "</w:hyperlink>"
                "<w:ins>" R("ins") "</w:ins><w:smartTag>" R("tag") "</w:smartTag>"
                "<w:fldSimple>" R("fld") "</w:fldSimple>"
                "<w:del><w:r><w:delText>gone</w:delText></w:r></w:del>")),
          "xlink" },
        /* only direct body children: sdt content is not a body paragraph */
        { DOC("<w:sdt><w:sdtContent>" P(R("in sdt")) "</w:sdtContent></w:sdt>" P(R("top"))),
          "top" },
        /* paragraphs first, then table rows, whatever the body order */
        { DOC("<w:tbl><w:tr>" TC(P(R("c1"))) TC(P(R("c2"))) "</w:tr></w:tbl>" P(R("after"))),
          "after\nc1 | c2" },
        { DOC("<w:tbl><w:tr>" TC(P(R("only"))) "</w:tr><w:tr>" TC(P(R("rows"))) "</w:tr></w:tbl>"),
          "only\nrows" },
        /* a cell's paragraphs joined by \n; nested tables ignored */
        { DOC("<w:tbl><w:tr>" TC(P(R("l1")) P(R("l2")) "<w:tbl><w:tr>" TC(P(R("nested")))
              "</w:tr></w:tbl>") TC("") "</w:tr></w:tbl>"),
          "l1\nl2 | " },
        /* gridSpan repeats the cell; vMerge continue repeats the one above */
        { DOC("<w:tbl><w:tr>" TCP("<w:gridSpan w:val=\"3\"/>", P(R("wide"))) "</w:tr>"
              "<w:tr>" TCP("<w:vMerge w:val=\"restart\"/>", P(R("top"))) TC(P(R("b")))
              TC(P(R("c"))) "</w:tr>"
              "<w:tr>" TCP("<w:vMerge/>", P(R("ignored"))) TC(P(R("e"))) TC(P(R("f"))) "</w:tr>"
              "<w:tr>" TCP("<w:vMerge w:val=\"continue\"/>", "") TC(P(R("h"))) TC(P(R("i")))
              "</w:tr></w:tbl>"),
          "wide | wide | wide\ntop | b | c\ntop | e | f\ntop | h | i" },
        /* vertical merge of a spanning cell, found by grid offset */
        { DOC("<w:tbl><w:tr>" TC(P(R("a"))) TCP("<w:gridSpan w:val=\"2\"/>", P(R("bc"))) "</w:tr>"
              "<w:tr>" TC(P(R("d"))) TCP("<w:gridSpan w:val=\"2\"/><w:vMerge/>", "") "</w:tr>"
              "</w:tbl>"),
          "a | bc | bc\nd | bc | bc" },
        /* gridBefore shifts offsets */
        { DOC("<w:tbl><w:tr>" TC(P(R("x"))) TC(P(R("y"))) "</w:tr>"
              "<w:tr><w:trPr><w:gridBefore w:val=\"1\"/></w:trPr>" TCP("<w:vMerge/>", "")
              "</w:tr></w:tbl>"),
          "x | y\ny" },
        /* unresolvable continuation (first row, no cell at that offset): own text */
        { DOC("<w:tbl><w:tr>" TCP("<w:vMerge/>", P(R("self"))) "</w:tr>"
              "<w:tr>" TC(P(R("a"))) TCP("<w:vMerge/>", P(R("own"))) "</w:tr></w:tbl>"),
          "self\na | own" },
        /* silly spans are clamped / ignored */
        { DOC("<w:tbl><w:tr>" TCP("<w:gridSpan w:val=\"-5\"/>", P(R("n"))) TCP("<w:gridSpan w:val=\"zz\"/>", P(R("z")))
              "</w:tr></w:tbl>"),
          "n | z" },
        /* elements outside the WordprocessingML namespace are not ours */
        { "<w:document xmlns:w=\"urn:other\"><w:body><w:p><w:r><w:t>x</w:t></w:r></w:p>"
          "</w:body></w:document>", "" },
        { "<w:body xmlns:w=\"" W_NS "\">" P(R("not under document")) "</w:body>", "" },
        { "<w:document xmlns:w=\"http://purl.oclc.org/ooxml/wordprocessingml/main\"><w:body>"
          P(R("strict")) "</w:body></w:document>", "strict" },
        { DOC(""), "" },
        { DOC(P(R("caf&#233; &amp; &lt;tag&gt; \xE2\x82\xAC"))), "caf\xC3\xA9 & <tag> \xE2\x82\xAC" },
        { DOC(P("<w:r><w:t><![CDATA[<raw>]]></w:t></w:r>")), "<raw>" },
        /* pretty-printed XML: whitespace between elements is not text */
        { DOC("\n  " P("\n    <w:r>\n      <w:t>a</w:t>\n    </w:r>\n    <w:hyperlink>\n"
                      "      " R("b") "\n    </w:hyperlink>\n  ") "\n  <w:tbl>\n    <w:tr>\n"
              "      " TC("\n        " P(R("c")) "\n      ") "\n    </w:tr>\n  </w:tbl>\n"),
          "ab\nc" },
        /* comments and processing instructions inside w:t are not text */
        { DOC(P("<w:r><w:t>a<!-- note -->b<?pi data?>c</w:t></w:r>")), "abc" },
        /* a run named w:r in another namespace, or in none, is not a run */
        { DOC(P(R("in") "<o:r xmlns:o=\"urn:other\"><w:t>foreign</w:t></o:r>"
                "<r xmlns=\"\"><w:t>none</w:t></r>")), "in" },
        /* w:document children other than w:body are skipped */
        { DOC_BEFORE_BODY("<w:background w:color=\"FFFFFF\"><w:p>" R("bg") "</w:p></w:background>",
                          P(R("body"))), "body" },
        /* no namespace at all: not a Word document body */
        { "<document><body><p><r><t>x</t></r></p></body></document>", "" },
    };
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        size_t len;
        char *z = make_docx(cases[i].xml, strlen(cases[i].xml), &len);
        expect_text(z, len, cases[i].want);
        free(z);
    }
}

static void test_fixture(void **state)
{
    size_t len;
    char *data = fixture("sample.docx", &len);
    (void)state;
    expect_text(data, len,
                "Quarterly report\n"
                "Revenue grew 12%\tsee table\n"
                "Link text\nafter break\n"
                "\n"
                "Caf\xC3\xA9 na\xC3\xAFve <ok>\n"
                "Region | Q1 | Q2\n"
                "North | 10 | 12\napprox\n"
                "North | n/a | n/a");
    free(data);
}

static void test_bad_archives(void **state)
{
    static const struct {
        const char *file, *reason;
    } cases[] = {
        { "truncated.docx", "not a valid zip archive" },
        { "nodoc.docx", "no word/document.xml" },
        { "badxml.docx", "invalid XML in word/document.xml (line 1: Opening and ending tag mismatch" },
        { "bomb.docx", "word/document.xml is too large" },
        { "bomb_lying.docx", "word/document.xml inflates past the size limit" },
        { "sample.pdf", "not a valid zip archive" },
    };
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        size_t len;
        char *data = fixture(cases[i].file, &len);
        expect_error(data, len, cases[i].reason);
        free(data);
    }
    expect_error("", 0, "");
    expect_error("PK\x03\x04garbage", 11, "not a valid zip archive");
}

static void test_hostile_xml(void **state)
{
    static const char *const bad[] = {
        /* entity expansion is never performed: no billion laughs */
        "<?xml version=\"1.0\"?><!DOCTYPE w:document [<!ENTITY a \"aaaaaaaaaa\">"
        "<!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\"><!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">"
        "<!ENTITY d \"&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;\"><!ENTITY e \"&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;\">"
        "<!ENTITY f \"&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;\"><!ENTITY g \"&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;\">]>"
        "<w:document xmlns:w=\"" W_NS "\"><w:body><w:p><w:r><w:t>&g;&g;&g;&g;</w:t></w:r></w:p>"
        "</w:body></w:document>",
        /* no external entity or DTD is fetched */
        "<?xml version=\"1.0\"?><!DOCTYPE w:document SYSTEM \"http://127.0.0.1:9/x.dtd\" "
        "[<!ENTITY x SYSTEM \"file:///etc/passwd\">]><w:document xmlns:w=\"" W_NS "\">"
        "<w:body><w:p><w:r><w:t>&x;</w:t></w:r></w:p></w:body></w:document>",
    };
    char *out, err[200];
    size_t n, len;
    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char *z = make_docx(bad[i], strlen(bad[i]), &len);
        if (imp_docx_text(z, len, &out, &n, err, sizeof err) == 0) {
            assert_true(n < 1000);
            assert_null(strstr(out, "root:"));
            free(out);
        }
        free(z);
    }
    /* 10,000 levels deep: libxml2's depth limit turns it into an error */
    buf b = BUF_INIT(0);
    assert_int_equal(buf_puts(&b, "<w:document xmlns:w=\"" W_NS "\"><w:body><w:p>"), 0);
    for (int i = 0; i < 10000; i++)
        assert_int_equal(buf_puts(&b, "<w:r>"), 0);
    char *xml = buf_steal(&b);
    char *z = make_docx(xml, strlen(xml), &len);
    expect_error(z, len, "invalid XML");
    free(z);
    free(xml);
}

static void test_big_tables(void **state)
{
    /* 20,000 continuation rows: linear, not quadratic, and bounded output */
    buf b = BUF_INIT(0);
    size_t len;
    (void)state;
    assert_int_equal(buf_puts(&b, "<w:document xmlns:w=\"" W_NS "\"><w:body><w:tbl><w:tr>"
                                  TCP("<w:vMerge w:val=\"restart\"/>", P(R("root")))
                                  "</w:tr>"), 0);
    for (int i = 0; i < 20000; i++)
        assert_int_equal(buf_puts(&b, "<w:tr>" TCP("<w:vMerge/>", "") "</w:tr>"), 0);
    assert_int_equal(buf_puts(&b, "</w:tbl></w:body></w:document>"), 0);
    char *xml = buf_steal(&b);
    char *z = make_docx(xml, strlen(xml), &len), *out, err[200];
    size_t n;
    assert_int_equal(imp_docx_text(z, len, &out, &n, err, sizeof err), 0);
    assert_int_equal(n, 20001 * 5 - 1);
    free(out);
    free(z);
    free(xml);
    /* a 1 MiB cell repeated by 64-wide spans and merges passes the text cap */
    assert_int_equal(buf_puts(&b, "<w:document xmlns:w=\"" W_NS "\"><w:body><w:tbl><w:tr>"
                                  "<w:tc><w:tcPr><w:gridSpan w:val=\"64\"/></w:tcPr><w:p><w:r><w:t>"), 0);
    for (int i = 0; i < (1 << 20); i++)
        assert_int_equal(buf_putc(&b, 'x'), 0);
    assert_int_equal(buf_puts(&b, "</w:t></w:r></w:p></w:tc></w:tr>"), 0);
    for (int i = 0; i < 4; i++)
        assert_int_equal(buf_puts(&b, "<w:tr>" TCP("<w:gridSpan w:val=\"64\"/><w:vMerge/>", "")
                                      "</w:tr>"), 0);
    assert_int_equal(buf_puts(&b, "</w:tbl></w:body></w:document>"), 0);
    xml = buf_steal(&b);
    z = make_docx(xml, strlen(xml), &len);
    expect_error(z, len, "document text too large");
    free(z);
    free(xml);
}

/* 40 cells in a row, each a vertical merge of the one above: every cell
 * of the row before is found again at its grid offset. */
static void test_wide_rows(void **state)
{
    buf b = BUF_INIT(0), want = BUF_INIT(0);
    size_t len;
    (void)state;
    assert_int_equal(buf_puts(&b, "<w:document xmlns:w=\"" W_NS "\"><w:body><w:tbl><w:tr>"), 0);
    for (int i = 0; i < 40; i++) {
        assert_int_equal(buf_printf(&b, TCP("<w:vMerge w:val=\"restart\"/>", P(R("c%d"))), i), 0);
        assert_int_equal(buf_printf(&want, "%sc%d", i ? " | " : "", i), 0);
    }
    assert_int_equal(buf_puts(&b, "</w:tr><w:tr>"), 0);
    for (int i = 0; i < 40; i++)
        assert_int_equal(buf_puts(&b, TCP("<w:vMerge/>", "")), 0);
    assert_int_equal(buf_puts(&b, "</w:tr></w:tbl></w:body></w:document>"), 0);
    char *line = buf_steal(&want);
    assert_int_equal(buf_printf(&want, "%s\n%s", line, line), 0);
    free(line);
    char *xml = buf_steal(&b), *w = buf_steal(&want);
    char *z = make_docx(xml, strlen(xml), &len);
    expect_text(z, len, w);
    free(z);
    free(w);
    free(xml);
}

static void test_bad_parts(void **state)
{
    static const char ok[] = DOC(P(R("secret text")));
    size_t len;
    char *z, *out, err[200];
    size_t n;
    (void)state;
    /* an encrypted document.xml cannot be opened (we have no password) */
    z = make_zip(ok, sizeof ok - 1, "pw", 0, &len);
    expect_error(z, len, "cannot open word/document.xml in the archive");
    free(z);
    /* deflate data damaged in the middle: an inflate error, not text */
    buf big = BUF_INIT(0);
    assert_int_equal(buf_puts(&big, "<w:document xmlns:w=\"" W_NS "\"><w:body>"), 0);
    for (int i = 0; i < 5000; i++)
        assert_int_equal(buf_printf(&big, P(R("paragraph %d of many")), i * 7919 % 10007), 0);
    assert_int_equal(buf_puts(&big, "</w:body></w:document>"), 0);
    char *xml = buf_steal(&big);
    z = make_docx(xml, strlen(xml), &len);
    assert_true(len > 4000);
    for (size_t i = 1000; i < 1064; i++)
        z[i] = (char)(z[i] ^ 0x5A);
    expect_error(z, len, "corrupt archive (cannot inflate word/document.xml)");
    free(z);
    free(xml);
    /* an empty document.xml is not XML */
    z = make_docx("", 0, &len);
    expect_error(z, len, "word/document.xml");
    free(z);
    /* more archive entries than any Word document has */
    z = make_zip(ok, sizeof ok - 1, NULL, 10000, &len);
    expect_error(z, len, "too many entries in the archive");
    free(z);
    z = make_zip(ok, sizeof ok - 1, NULL, 9999, &len);
    expect_text(z, len, "secret text");
    /* no error buffer: still a clean failure or success */
    out = (char *)1;
    assert_int_equal(imp_docx_text("PK", 2, &out, &n, NULL, 0), -1);
    assert_null(out);
    assert_int_equal(imp_docx_text(z, len, &out, &n, NULL, 0), 0);
    assert_string_equal(out, "secret text");
    free(out);
    free(z);
    /* past 2 GiB is refused before the bytes are looked at */
    out = (char *)1;
    assert_int_equal(imp_docx_text(ok, (size_t)INT32_MAX + 1, &out, &n, err, sizeof err), -1);
    assert_null(out);
    assert_string_equal(err, "file too large");
}

static void test_xml_error_reasons(void **state)
{
    char name[300], *xml, *z, *out = NULL, err[200];
    size_t len, n;
    int w;
    (void)state;
    /* a long element name: the reason is cut to the buffer, still one line */
    memset(name, 'q', sizeof name - 1);
    name[sizeof name - 1] = '\0';
    xml = malloc(1000);
    assert_non_null(xml);
    w = snprintf(xml, 1000, "<w:document xmlns:w=\"" W_NS "\"><w:body><%s></w:body></w:document>",
                 name);
    z = make_docx(xml, (size_t)w, &len);
    assert_int_equal(imp_docx_text(z, len, &out, &n, err, sizeof err), -1);
    assert_int_equal(strncmp(err, "invalid XML in word/document.xml (line 1: ", 42), 0);
    assert_int_equal(strlen(err), sizeof err - 1);
    assert_null(strchr(err, '\n'));
    free(z);
    /* the first error is the reason given, not a later one */
    w = snprintf(xml, 1000, "<w:document xmlns:w=\"" W_NS "\"><w:body><q:p>"
                 "<w:r></w:body></w:document>");
    z = make_docx(xml, (size_t)w, &len);
    assert_int_equal(imp_docx_text(z, len, &out, &n, err, sizeof err), -1);
    if (!strstr(err, "invalid XML in word/document.xml (line 1: Namespace prefix q"))
        fail_msg("reason [%s]", err);
    free(z);
    free(xml);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_document_rules),
        cmocka_unit_test(test_fixture),
        cmocka_unit_test(test_bad_archives),
        cmocka_unit_test(test_hostile_xml),
        cmocka_unit_test(test_big_tables),
        cmocka_unit_test(test_wide_rows),
        cmocka_unit_test(test_bad_parts),
        cmocka_unit_test(test_xml_error_reasons),
    };
    return cmocka_run_group_tests_name("imports/docx", tests, NULL, NULL);
}
