/* pdf.c — page texts of a PDF held in memory, with poppler-glib; see
 * pdf.h. The caller owns *out; every GLib object is released here. */
#include "imports/pdf.h"

#include <poppler.h>
#include <stdio.h>
#include <string.h>

#include "imports/text.h"
#include "util/buf.h"

/* A short reason for a poppler open error. */
static void pdf_open_error(const GError *e, char *err, size_t errsz)
{
    if (e && e->domain == POPPLER_ERROR && e->code == POPPLER_ERROR_ENCRYPTED)
        snprintf(err, errsz, "the file is encrypted (password required)");
    else if (e && e->message && e->message[0])
        snprintf(err, errsz, "%s", e->message);
    else
        snprintf(err, errsz, "not a valid PDF file");
}

/* Appends every page's text, "\n"-separated. */
static int pdf_pages(PopplerDocument *doc, int npages, buf *b, char *err, size_t errsz)
{
    for (int i = 0; i < npages; i++) {
        PopplerPage *page = poppler_document_get_page(doc, i);
        char *text = page ? poppler_page_get_text(page) : NULL;
        int rc = 0;
        if (i > 0)
            rc = buf_putc(b, '\n');
        if (rc == 0 && text)
            rc = buf_puts(b, text);
        g_free(text);
        if (page)
            g_object_unref(page);
        if (rc != 0) {
            snprintf(err, errsz, "out of memory");
            return -1;
        }
        if (b->len > IMP_PDF_MAX_TEXT) {
            snprintf(err, errsz, "document text too large");
            return -1;
        }
    }
    return 0;
}

int imp_pdf_text(const void *data, size_t len, char **out, size_t *outlen,
                 char *err, size_t errsz)
{
    GBytes *bytes = NULL;
    GError *gerr = NULL;
    PopplerDocument *doc = NULL;
    buf b = BUF_INIT(0);
    int rc = -1;
    *out = NULL;
    if (errsz)
        err[0] = '\0';
    if (len == 0) {
        snprintf(err, errsz, "empty file");
        goto out;
    }
    bytes = g_bytes_new_static(data, len);
    doc = poppler_document_new_from_bytes(bytes, NULL, &gerr);
    if (!doc) {
        pdf_open_error(gerr, err, errsz);
        goto out;
    }
    int npages = poppler_document_get_n_pages(doc);
    if (npages > IMP_PDF_MAX_PAGES) {
        snprintf(err, errsz, "too many pages (more than %d)", IMP_PDF_MAX_PAGES);
        goto out;
    }
    if (pdf_pages(doc, npages, &b, err, errsz) != 0)
        goto out;
    if (!(*out = imp_utf8_sanitize(b.p ? b.p : "", b.len, outlen))) {
        snprintf(err, errsz, "out of memory");
        goto out;
    }
    rc = 0;
out:
    if (gerr)
        g_error_free(gerr);
    if (doc)
        g_object_unref(doc);
    if (bytes)
        g_bytes_unref(bytes);
    buf_free(&b);
    return rc;
}
