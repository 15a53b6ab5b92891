/* test_extract.c — unit tests for src/imports/extract.c (§8.3 steps 2–4):
 * extension → file_type, the order of the checks (type, size, .doc), every
 * fixture type end to end with its exact normalised text, the exact error
 * strings, and the 10-character minimum counted in code points. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "imports/extract.h"
#include "imports/fixture.h"

#define LIT(s) s, sizeof s - 1
#define UNSUPPORTED "Unsupported file type. Supported: .pdf, .docx, .txt, .md, .html, .json, .csv"

static void test_file_type(void **state)
{
    static const struct {
        const char *name, *type;
    } cases[] = {
        { "a.txt", "text" }, { "A.TXT", "text" }, { "notes.md", "markdown" },
        { "x.rtf", "rtf" }, { "x.pdf", "pdf" }, { "x.DOCX", "docx" }, { "x.doc", "doc" },
        { "x.html", "html" }, { "x.HtM", "html" }, { "x.json", "json" }, { "x.csv", "csv" },
        { "archive.tar.csv", "csv" }, { ".txt", "text" }, { "x.docx.exe", NULL },
        { "noext", NULL }, { "trailingdot.", NULL }, { "x.json ", NULL }, { "x.xlsx", NULL },
        { "x.txt\xC3\xA9", NULL }, { "x.averyveryverylongextension", NULL }, { "", NULL },
        { NULL, NULL },
    };
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const char *got = imp_file_type(cases[i].name);
        if (cases[i].type)
            assert_string_equal(got, cases[i].type);
        else
            assert_null(got);
    }
}

static void expect(const char *name, const void *data, size_t len, imp_status want,
                   const char *type, const char *text_or_err)
{
    imp_file_result r;
    char err[IMP_ERR_SIZE];
    imp_status st = imp_extract_file(name, data, len, &r, err, sizeof err);
    if (st != want)
        fail_msg("%s: status %d, want %d (%s)", name, st, want, err);
    if (st == IMP_OK) {
        assert_string_equal(r.file_type, type);
        assert_int_equal(r.len, strlen(r.text));
        if (strcmp(r.text, text_or_err) != 0)
            fail_msg("%s: got [%s]", name, r.text);
        assert_string_equal(err, "");
    } else {
        assert_null(r.text);
        assert_string_equal(err, text_or_err);
    }
    imp_file_result_free(&r);
}

static void test_fixtures(void **state)
{
    static const struct {
        const char *file;
        imp_status st;
        const char *type, *text;
    } cases[] = {
        { "sample.txt", IMP_OK, "text", "Plain text file. Second line with spacesand a NUL." },
        { "sample.md", IMP_OK, "markdown", "# Title Some *markdown* text, caf\xC3\xA9." },
        { "latin1.txt", IMP_OK, "text", "Cr\xC3\xA8me br\xC3\xBBl\xC3\xA9" "e for everyone" },
        { "bom.txt", IMP_OK, "text", "UTF-8 with a byte order mark" },
        { "sample.rtf", IMP_OK, "rtf",
          "{\\rtf1\\ansi{\\fonttbl\\f0\\fswiss Helvetica;}\\f0 Hello RTF world.}" },
        { "sample.json", IMP_OK, "json",
          "{ \"name\": \"Ada\", \"tags\": [ \"x\", \"\\u00e9\" ], \"n\": 1.5, \"e\": [], "
          "\"o\": {}, \"big\": 1e+16, \"ok\": true, \"nil\": null }" },
        { "invalid.json", IMP_OK, "json", "{\"name\": \"Ada\", broken json here}" },
        { "sample.csv", IMP_OK, "csv",
          "name | quote | n Ada | Hello, world | 1 Bob | He said \"hi\" | 2 Eve | multi line | 3" },
        { "sample.html", IMP_OK, "html",
          "Sample page & more Main heading This is the main content of the page, long enough "
          "to pass the one hundred character threshold for the selector rule \xE2\x80\x94 "
          "caf\xC3\xA9. Aside text" },
        { "latin1.html", IMP_OK, "html", "Cr\xC3\xA8me Cr\xC3\xA8me br\xC3\xBBl\xC3\xA9" "e recipe" },
        { "sample.pdf", IMP_OK, "pdf", "Hello from page one Second page text" },
        { "sample.docx", IMP_OK, "docx",
          "Quarterly report Revenue grew 12% see table Link text after break "
          "Caf\xC3\xA9 na\xC3\xAFve <ok> Region | Q1 | Q2 North | 10 | 12 approx "
          "North | n/a | n/a" },
        { "short.txt", IMP_ERR_EMPTY, NULL, "Could not extract meaningful content from the file" },
        { "unsupported.exe", IMP_ERR_UNSUPPORTED, NULL, UNSUPPORTED },
        { "make_fixtures.py", IMP_ERR_UNSUPPORTED, NULL, UNSUPPORTED },
        { "badxml.docx", IMP_ERR_PARSE, NULL,
          "Failed to parse DOCX: invalid XML in word/document.xml (line 1: Opening and ending "
          "tag mismatch: t line 1 and r)" },
        { "truncated.docx", IMP_ERR_PARSE, NULL, "Failed to parse DOCX: not a valid zip archive" },
        { "bomb.docx", IMP_ERR_PARSE, NULL, "Failed to parse DOCX: word/document.xml is too large" },
        { "garbage.pdf", IMP_ERR_PARSE, NULL, "Failed to parse PDF: PDF document is damaged" },
        { "encrypted.pdf", IMP_ERR_PARSE, NULL,
          "Failed to parse PDF: the file is encrypted (password required)" },
    };
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        size_t len;
        char *data = fixture(cases[i].file, &len);
        expect(cases[i].file, data, len, cases[i].st, cases[i].type, cases[i].text);
        free(data);
    }
}

static void test_check_order(void **state)
{
    size_t big = (size_t)IMP_FILE_MAX + 1;
    char *data = calloc(1, big);
    (void)state;
    assert_non_null(data);
    memset(data, 'a', big);
    expect("big.exe", data, big, IMP_ERR_UNSUPPORTED, NULL, UNSUPPORTED);
    expect("big.doc", data, big, IMP_ERR_TOO_LARGE, NULL, "File too large. Maximum size is 10MB");
    expect("big.txt", data, big, IMP_ERR_TOO_LARGE, NULL, "File too large. Maximum size is 10MB");
    expect("small.doc", data, 100, IMP_ERR_LEGACY_DOC, NULL,
           "Legacy .doc format is not supported. Please convert to .docx");
    /* exactly 10 MiB is accepted */
    imp_file_result r;
    char err[IMP_ERR_SIZE];
    assert_int_equal(imp_extract_file("max.txt", data, IMP_FILE_MAX, &r, err, sizeof err), IMP_OK);
    assert_int_equal(r.len, IMP_FILE_MAX);
    imp_file_result_free(&r);
    free(data);
}

static void test_minimum(void **state)
{
    (void)state;
    expect("a.txt", LIT("123456789"), IMP_ERR_EMPTY, NULL,
           "Could not extract meaningful content from the file");
    expect("a.txt", LIT("1234567890"), IMP_OK, "text", "1234567890");
    /* nine code points in eighteen bytes are still too few */
    expect("a.txt", LIT("\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9"),
           IMP_ERR_EMPTY, NULL, "Could not extract meaningful content from the file");
    /* whitespace and controls do not count */
    expect("a.md", LIT("  1 2 3 \x01\x02\x03\n\n\t 4 "), IMP_ERR_EMPTY, NULL,
           "Could not extract meaningful content from the file");
    expect("a.csv", LIT(""), IMP_ERR_EMPTY, NULL, "Could not extract meaningful content from the file");
    expect("a.html", LIT("<script>lots of script text</script>"), IMP_ERR_EMPTY, NULL,
           "Could not extract meaningful content from the file");
    expect("a.json", LIT("[1, 2, 3]"), IMP_OK, "json", "[ 1, 2, 3 ]");
}

static void test_messages(void **state)
{
    char err[8];
    imp_file_result r;
    (void)state;
    assert_string_equal(imp_status_message(IMP_OK), "");
    assert_string_equal(imp_status_message(IMP_ERR_NOMEM), "Internal server error");
    assert_string_equal(imp_status_message((imp_status)99), "Internal server error");
    /* a small err buffer is truncated, never overrun */
    assert_int_equal(imp_extract_file("x.exe", "", 0, &r, err, sizeof err), IMP_ERR_UNSUPPORTED);
    assert_string_equal(err, "Unsuppo");
    assert_int_equal(imp_extract_file("x.exe", "", 0, &r, NULL, 0), IMP_ERR_UNSUPPORTED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_file_type),
        cmocka_unit_test(test_fixtures),
        cmocka_unit_test(test_check_order),
        cmocka_unit_test(test_minimum),
        cmocka_unit_test(test_messages),
    };
    return cmocka_run_group_tests_name("imports/extract", tests, NULL, NULL);
}
