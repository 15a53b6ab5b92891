/* terms.h — the keyword index's tokenizer, one definition for documents and
 * queries on both database engines (so that the two engines index and match
 * exactly the same terms). A word is a maximal run of ASCII letters and
 * digits and non-ASCII bytes (UTF-8 sequences are kept whole), where one of
 * the connectors - _ . @ / : between two such characters joins the run:
 * "INC-48213", "v1.2.3", "ops@example.com". A word yields its parts (split
 * at the connectors) and, if it has connectors, itself whole, so that
 * "INC-48213" matches a query for "INC-48213" as well as one for "48213".
 * ASCII letters are lower-cased (other characters are compared as they
 * are); a part that is one of the contract's stop words (API.md §8.1) is
 * left out; a term is cut to TERM_MAX bytes at a character boundary.
 * Pure functions; a bag owns its strings. */
#ifndef CHIMERA_UTIL_TERMS_H
#define CHIMERA_UTIL_TERMS_H

#include <stddef.h>
#include <stdint.h>

#define TERM_MAX 64

typedef struct term_entry {
    char s[TERM_MAX + 1];
    int64_t tf;             /* weighted occurrences */
} term_entry;

typedef struct term_bag {
    term_entry *v;
    size_t n, cap;
    int64_t length;         /* weighted number of terms (the document length) */
} term_bag;

#define TERM_BAG_INIT { NULL, 0, 0, 0 }

/* Appends the terms of text (len bytes), each counted weight times.
 * 0, or -1 when out of memory. */
int terms_add(term_bag *b, const char *text, size_t len, int64_t weight);

/* Sorts the bag by term (bytewise) and merges duplicates, summing tf. */
void terms_finish(term_bag *b);

void terms_free(term_bag *b);

#endif
