/* search.h — what the search modes of POST /memories/search share: the
 * vector ranking (search.c) and the result shape; keyword and hybrid
 * rankings (search_hybrid.c). */
#ifndef CHIMERA_API_SEARCH_H
#define CHIMERA_API_SEARCH_H

#include "store/memories.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

typedef struct ws_hit {
    float score;
    int64_t created_at;
    char wid[40];
    char id[40];
} ws_hit;

/* The best k by cosine over the workspaces wids (nw), score descending,
 * into *hits (malloc'd, caller frees), *n of them; *pending adds the
 * memories without a comparable vector. 0, or -1 on failure. */
int search_vector_hits(const char (*wids)[40], size_t nw, const float *q, size_t k,
                       ws_hit **hits, size_t *n, int64_t *pending);

/* One SearchResult (API.md §8.1) of m with score. */
json_t *search_result_json(const memory_row *m, double score);

/* mode "keyword": the memories holding every term of query, by BM25. */
int search_keyword(const char (*wids)[40], size_t nw, const char *query, size_t k,
                   json_t *results);

/* mode "hybrid": the vector ranking (query vector q) and the keyword
 * ranking of query fused by reciprocal rank, at most HYBRID_PER_SOURCE
 * results from one source document. */
int search_hybrid(const char (*wids)[40], size_t nw, const char *query, const float *q,
                  size_t k, json_t *results, int64_t *pending);

#endif
