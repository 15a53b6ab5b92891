/* pdf.c — page texts of a PDF held in memory, with poppler-glib; see
 * pdf.h. The caller owns *out; every GLib object is released here.
 * poppler-glib (and with it GLib and cairo) is opened on the first PDF
 * (util/dynlib.h): a server that never imports one does not carry it. */
#include "imports/pdf.h"

#include <poppler.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "imports/text.h"
#include "util/buf.h"
#include "util/dynlib.h"

static struct {
    __typeof__(g_bytes_new_static) *bytes_new_static;
    __typeof__(g_bytes_unref) *bytes_unref;
    __typeof__(g_error_free) *error_free;
    __typeof__(g_free) *free;
    __typeof__(g_object_unref) *object_unref;
    __typeof__(poppler_error_quark) *error_quark;
    __typeof__(poppler_document_new_from_bytes) *document_new_from_bytes;
    __typeof__(poppler_document_get_n_pages) *document_get_n_pages;
    __typeof__(poppler_document_get_page) *document_get_page;
    __typeof__(poppler_page_get_text) *page_get_text;
} pp;
static pthread_once_t pp_once = PTHREAD_ONCE_INIT;
static int pp_ready;
static char pp_why[200];

static void pp_load(void)
{
    static const char *const sonames[] = { "libpoppler-glib.so.8", "libpoppler-glib.so", NULL };
    const dynlib_sym syms[] = {
        { "g_bytes_new_static", (void **)&pp.bytes_new_static },
        { "g_bytes_unref", (void **)&pp.bytes_unref },
        { "g_error_free", (void **)&pp.error_free },
        { "g_free", (void **)&pp.free },
        { "g_object_unref", (void **)&pp.object_unref },
        { "poppler_error_quark", (void **)&pp.error_quark },
        { "poppler_document_new_from_bytes", (void **)&pp.document_new_from_bytes },
        { "poppler_document_get_n_pages", (void **)&pp.document_get_n_pages },
        { "poppler_document_get_page", (void **)&pp.document_get_page },
        { "poppler_page_get_text", (void **)&pp.page_get_text },
    };
    pp_ready = dynlib_load(sonames, syms, sizeof syms / sizeof syms[0], pp_why,
                           sizeof pp_why) == 0;
}

/* A short reason for a poppler open error. */
static void pdf_open_error(const GError *e, char *err, size_t errsz)
{
    if (e && e->domain == pp.error_quark() && e->code == POPPLER_ERROR_ENCRYPTED)
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
        PopplerPage *page = pp.document_get_page(doc, i);
        char *text = page ? pp.page_get_text(page) : NULL;
        int rc = 0;
        if (i > 0)
            rc = buf_putc(b, '\n');
        if (rc == 0 && text)
            rc = buf_puts(b, text);
        pp.free(text);
        if (page)
            pp.object_unref(page);
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
    pthread_once(&pp_once, pp_load);
    if (!pp_ready) {
        snprintf(err, errsz, "PDF support unavailable (%s)", pp_why);
        goto out;
    }
    bytes = pp.bytes_new_static(data, len);
    doc = pp.document_new_from_bytes(bytes, NULL, &gerr);
    if (!doc) {
        pdf_open_error(gerr, err, errsz);
        goto out;
    }
    int npages = pp.document_get_n_pages(doc);
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
        pp.error_free(gerr);
    if (doc)
        pp.object_unref(doc);
    if (bytes)
        pp.bytes_unref(bytes);
    buf_free(&b);
    return rc;
}
