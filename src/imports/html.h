/* html.h — text out of HTML for the imports: the page rules of §8.2
 * step 3 (import-url) and the file rule of §8.3 (.html/.htm). Parsing is
 * libxml2's forgiving HTML parser with no network and no entity loading.
 *
 * Text is taken like BeautifulSoup's get_text(separator=' ', strip=True):
 * every text node (comments excluded), stripped, joined with one space;
 * then every whitespace run (Python's \s) becomes one space and the ends
 * are stripped. So "<b>Hel</b>lo" gives "Hel lo", as in the original.
 *
 * encoding: the charset from the HTTP Content-Type, or NULL to let libxml2
 * decide (BOM, then <meta charset> / http-equiv, then UTF-8 falling back
 * to Latin-1). An encoding libxml2 does not know is ignored. Output is
 * always valid UTF-8.
 *
 * Ownership: *title, *content and returned strings are malloc'd and owned
 * by the caller (free()). */
#ifndef CHIMERA_IMPORTS_HTML_H
#define CHIMERA_IMPORTS_HTML_H

#include <stddef.h>

#define IMP_HTML_MAX_INPUT (32u << 20)  /* larger documents are refused */
#define IMP_HTML_TITLE_MAX 200          /* code points */
#define IMP_HTML_CONTENT_MAX 30000      /* code points, then "\n[truncated]" */
#define IMP_HTML_MIN_CONTENT 50         /* §8.2: shorter → "No meaningful content" */
#define IMP_HTML_PICK_OVER 100          /* a selector's text must exceed this */

/* §8.2 step 3. Drops script, style, nav, footer, header, aside; *title is
 * the first <title>'s text or "Imported", cut to 200 code points; *content
 * is the text of the first match of the first selector among main,
 * article, .content, #content, .post, .entry whose text exceeds 100 code
 * points (else of the last selector that matched), else of <body> (else
 * of the whole document), cut to 30,000 code points + "\n[truncated]".
 * The < 50 check is the caller's (imp_cp_len(content) < IMP_HTML_MIN_CONTENT).
 * Returns 0, or -1 (out of memory, input over IMP_HTML_MAX_INPUT) with
 * both outputs NULL. */
int imp_html_page(const char *html, size_t len, const char *encoding,
                  char **title, char **content);

/* §8.3 .html/.htm: drops script, style, nav, footer, header (not aside)
 * and returns the whole document's text, whitespace-collapsed. NULL on
 * out of memory or input over IMP_HTML_MAX_INPUT. */
char *imp_html_text(const char *html, size_t len, const char *encoding, size_t *outlen);

#endif
