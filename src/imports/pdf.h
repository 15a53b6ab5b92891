/* pdf.h — §8.3 ".pdf": the text of every page (poppler-glib's
 * poppler_page_get_text), pages joined by "\n". Documents that need a
 * password are refused (ones with only an owner password open, as with
 * pypdf). At most IMP_PDF_MAX_PAGES pages and IMP_PDF_MAX_TEXT bytes of
 * text; more is an error rather than a silent cut.
 *
 * Ownership: *out is malloc'd and owned by the caller. Thread-safe
 * (poppler's global parameters are reference-counted under a lock). */
#ifndef CHIMERA_IMPORTS_PDF_H
#define CHIMERA_IMPORTS_PDF_H

#include <stddef.h>

#define IMP_PDF_MAX_PAGES 2000
#define IMP_PDF_MAX_TEXT (16u << 20)

/* Returns 0 with *out and *outlen (valid UTF-8), or -1 with *out NULL and a
 * short reason in err (for "Failed to parse PDF: <reason>"). */
int imp_pdf_text(const void *data, size_t len, char **out, size_t *outlen,
                 char *err, size_t errsz);

#endif
