/* summary.h — the §8.6 import summary: whole paragraphs up to 2,000
 * characters, a cut last paragraph with "...", and a note saying how much
 * was kept. Counts are in code points. The returned string is malloc'd and
 * owned by the caller; NULL means out of memory. */
#ifndef CHIMERA_IMPORTS_SUMMARY_H
#define CHIMERA_IMPORTS_SUMMARY_H

#include <stddef.h>

#define IMP_SUMMARY_MAX 2000    /* characters kept before the note */
#define IMP_SUMMARIZE_OVER 500  /* §8.2/§8.3: summarise only longer texts */

/* s must be valid UTF-8. Text of at most IMP_SUMMARY_MAX code points is
 * returned unchanged (copied); longer text as described in §8.6, ending
 * "\n\n[Content truncated from <len(s)> to <len(summary)> characters]"
 * where len(summary) counts the kept text including "..." but not the
 * note. */
char *imp_summarize(const char *s, size_t len, size_t *outlen);

#endif
