/* test_pdf.c — unit tests for src/imports/pdf.c: page texts joined by
 * "\n" (two-page fixture), owner-password-only documents open, password
 * documents and damaged/truncated/empty files are errors with a reason,
 * the page cap and the text cap, a page count past the pages there are. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "imports/pdf.h"
#include "util/buf.h"
#include "util/utf8.h"
#include "imports/fixture.h"

static void expect_text(const char *file, const char *want)
{
    size_t len, n;
    char *data = fixture(file, &len), *out = NULL, err[200];
    int rc = imp_pdf_text(data, len, &out, &n, err, sizeof err);
    if (rc != 0)
        fail_msg("%s: %s", file, err);
    assert_true(utf8_valid(out, n));
    assert_string_equal(out, want);
    assert_int_equal(n, strlen(want));
    free(out);
    free(data);
}

static void expect_error(const void *data, size_t len, const char *reason)
{
    char *out = (char *)1, err[200] = "";
    size_t n;
    assert_int_equal(imp_pdf_text(data, len, &out, &n, err, sizeof err), -1);
    assert_null(out);
    if (!strstr(err, reason))
        fail_msg("reason [%s] lacks [%s]", err, reason);
}

static void test_fixtures(void **state)
{
    (void)state;
    expect_text("sample.pdf", "Hello from page one\nSecond page text");
    expect_text("owner_only.pdf", "Readable without a password");
}

static void test_errors(void **state)
{
    static const struct {
        const char *file, *reason;
    } cases[] = {
        { "encrypted.pdf", "encrypted (password required)" },
        { "garbage.pdf", "damaged" },
        { "truncated.pdf", "damaged" },
        { "sample.docx", "damaged" },
    };
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        size_t len;
        char *data = fixture(cases[i].file, &len);
        expect_error(data, len, cases[i].reason);
        free(data);
    }
    expect_error("", 0, "empty file");
    expect_error("%PDF-1.7\n\0\0\0", 12, "");
}

/* A valid PDF of n pages sharing one content stream (empty when NULL),
 * Helvetica as /F1. */
static char *pages_with(int n, const char *content, size_t *len)
{
    buf b = BUF_INIT(0);
    long *off = calloc((size_t)n + 6, sizeof *off);
    int nobj = 4 + n;
    size_t clen = content ? strlen(content) : 0;
    assert_non_null(off);
    assert_int_equal(buf_puts(&b, "%PDF-1.4\n"), 0);
    off[1] = (long)b.len;
    assert_int_equal(buf_puts(&b, "1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"), 0);
    off[2] = (long)b.len;
    assert_int_equal(buf_puts(&b, "2 0 obj << /Type /Pages /Kids ["), 0);
    for (int i = 0; i < n; i++)
        assert_int_equal(buf_printf(&b, "%d 0 R ", 5 + i), 0);
    assert_int_equal(buf_printf(&b, "] /Count %d >> endobj\n", n), 0);
    off[3] = (long)b.len;
    assert_int_equal(buf_printf(&b, "3 0 obj << /Length %zu >>\nstream\n%s\nendstream endobj\n",
                                clen, content ? content : ""), 0);
    off[4] = (long)b.len;
    assert_int_equal(buf_puts(&b, "4 0 obj << /Type /Font /Subtype /Type1 /BaseFont /Helvetica "
                                  ">> endobj\n"), 0);
    for (int i = 0; i < n; i++) {
        off[5 + i] = (long)b.len;
        assert_int_equal(buf_printf(&b, "%d 0 obj << /Type /Page /Parent 2 0 R /MediaBox "
                                        "[0 0 1000 1000] /Resources << /Font << /F1 4 0 R >> >> "
                                        "/Contents 3 0 R >> endobj\n", 5 + i), 0);
    }
    long xref = (long)b.len;
    assert_int_equal(buf_printf(&b, "xref\n0 %d\n0000000000 65535 f \n", nobj + 1), 0);
    for (int i = 1; i <= nobj; i++)
        assert_int_equal(buf_printf(&b, "%010ld 00000 n \n", off[i]), 0);
    assert_int_equal(buf_printf(&b, "trailer << /Size %d /Root 1 0 R >>\nstartxref\n%ld\n%%%%EOF\n",
                                nobj + 1, xref), 0);
    free(off);
    *len = b.len;
    return buf_steal(&b);
}

static char *many_pages(int n, size_t *len)
{
    return pages_with(n, NULL, len);
}

static void test_page_cap(void **state)
{
    size_t len, n;
    char *pdf, *out, err[200];
    (void)state;
    pdf = many_pages(IMP_PDF_MAX_PAGES, &len);
    assert_int_equal(imp_pdf_text(pdf, len, &out, &n, err, sizeof err), 0);
    assert_int_equal(n, IMP_PDF_MAX_PAGES - 1);             /* empty pages, "\n" between */
    free(out);
    free(pdf);
    pdf = many_pages(IMP_PDF_MAX_PAGES + 1, &len);
    expect_error(pdf, len, "too many pages (more than 2000)");
    free(pdf);
}

/* One page of 100 lines of 400 characters (40,100 with the line ends):
 * read whole; 420 such pages pass the 16 MiB text cap. */
static void test_text_cap(void **state)
{
    buf c = BUF_INIT(0);
    size_t len, n;
    char *pdf, *out = NULL;
    (void)state;
    assert_int_equal(buf_puts(&c, "BT /F1 2 Tf 3 TL 10 990 Td\n"), 0);
    for (int i = 0; i < 100; i++) {
        assert_int_equal(buf_puts(&c, "("), 0);
        for (int k = 0; k < 400; k++)
            assert_int_equal(buf_putc(&c, (char)('a' + (i + k) % 26)), 0);
        assert_int_equal(buf_puts(&c, ") Tj T*\n"), 0);
    }
    assert_int_equal(buf_puts(&c, "ET"), 0);
    char *content = buf_steal(&c);
    pdf = pages_with(1, content, &len);
    assert_int_equal(imp_pdf_text(pdf, len, &out, &n, NULL, 0), 0);
    assert_int_equal(n, 100 * 401 - 1);
    assert_int_equal(strncmp(out, "abcdefghij", 10), 0);
    free(out);
    free(pdf);
    pdf = pages_with(420, content, &len);
    expect_error(pdf, len, "document text too large");
    free(pdf);
    free(content);
}

/* A page tree whose /Count claims one page more than it holds: the pages
 * that exist are read, the missing one is empty, nothing fails. */
static void test_count_past_the_kids(void **state)
{
    size_t len, n;
    char *pdf, *out = NULL, err[200];
    (void)state;
    pdf = pages_with(2, "BT /F1 12 Tf 10 900 Td (Hello) Tj ET", &len);
    char *c = strstr(pdf, "/Count 2");
    assert_non_null(c);
    c[7] = '3';
    if (imp_pdf_text(pdf, len, &out, &n, err, sizeof err) != 0)
        fail_msg("%s", err);
    assert_string_equal(out, "Hello\nHello\n");
    assert_int_equal(n, 12);
    free(out);
    free(pdf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixtures),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_page_cap),
        cmocka_unit_test(test_text_cap),
        cmocka_unit_test(test_count_past_the_kids),
    };
    return cmocka_run_group_tests_name("imports/pdf", tests, NULL, NULL);
}
