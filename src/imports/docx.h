/* docx.h — §8.3 ".docx": the text python-docx gives for
 *     [p.text for p in doc.paragraphs] + [" | ".join(c.text for c in row.cells)
 *                                         for t in doc.tables for row in t.rows]
 * joined with "\n". Read from memory with libzip (word/document.xml only)
 * and libxml2's streaming reader, one top-level block at a time.
 *
 * As python-docx 1.x: only paragraphs and tables that are direct children
 * of w:body count; a paragraph's text is its w:r and w:hyperlink runs; a
 * run's text is its w:t text, w:tab/w:ptab → "\t", w:br (text wrapping)
 * and w:cr → "\n", w:noBreakHyphen → "-"; a cell's text is its direct
 * paragraphs joined by "\n"; a cell spanning n grid columns (w:gridSpan)
 * appears n times and a vertically merged continuation cell repeats the
 * cell above it.
 *
 * Bounds: at most IMP_DOCX_MAX_ENTRIES archive entries, IMP_DOCX_MAX_XML
 * bytes of inflated document.xml (zip bombs are refused), IMP_DOCX_MAX_TEXT
 * bytes of text, libxml2's default depth and text-node limits.
 *
 * Ownership: *out is malloc'd and owned by the caller. */
#ifndef CHIMERA_IMPORTS_DOCX_H
#define CHIMERA_IMPORTS_DOCX_H

#include <stddef.h>

#define IMP_DOCX_MAX_ENTRIES 10000
#define IMP_DOCX_MAX_XML (32u << 20)
#define IMP_DOCX_MAX_TEXT (16u << 20)
#define IMP_DOCX_MAX_SPAN 64            /* w:gridSpan larger than this is clamped */

/* Returns 0 with *out and *outlen (valid UTF-8), or -1 with *out NULL and a
 * short reason in err (for "Failed to parse DOCX: <reason>"); "out of
 * memory" is reported the same way. */
int imp_docx_text(const void *data, size_t len, char **out, size_t *outlen,
                  char *err, size_t errsz);

#endif
