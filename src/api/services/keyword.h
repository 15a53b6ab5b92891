/* keyword.h — keyword search over one workspace's BM25 postings
 * (store/memory_terms.h): the memories holding every term of a query,
 * scored by BM25 normalised into [0, 1) (util/ranking.h). */
#ifndef CHIMERA_API_SERVICES_KEYWORD_H
#define CHIMERA_API_SERVICES_KEYWORD_H

#include "util/terms.h"

#include <stddef.h>

/* Query terms past this many are not looked up (a query's first ones). */
#define KW_TERMS_MAX 64

typedef struct kw_hit {
    char id[40];
    double score;
} kw_hit;

/* The best k (out has room for k) of wid's memories that hold every term
 * of q (a finished bag), score descending, ties by id; *n of them. An
 * empty bag finds nothing. 0, or -1 when the database failed. */
int kw_search(const char *wid, const term_bag *q, size_t k, kw_hit *out, size_t *n);

#endif
