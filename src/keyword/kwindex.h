/* kwindex.h — one workspace's keyword index in memory: an inverted index
 * of the terms (util/terms.h) of each memory's title (counted
 * KWI_TITLE_WEIGHT times) and content, searched by BM25 (util/ranking.h)
 * over the memories holding every query term. A leaf: it knows nothing of
 * the database; its owner feeds it puts and removes and serialises access
 * (not thread-safe). A removed or replaced memory leaves dead postings
 * behind, skipped by searches, until dead ones outnumber the live: then the
 * postings are rebuilt from the live memories' own term lists. */
#ifndef CHIMERA_KEYWORD_KWINDEX_H
#define CHIMERA_KEYWORD_KWINDEX_H

#include "util/terms.h"

#include <stddef.h>
#include <stdint.h>

#define KWI_TITLE_WEIGHT 2
#define KWI_ID_MAX 40

typedef struct kw_index kw_index;

typedef struct kw_hit {
    char id[KWI_ID_MAX];
    double score;           /* BM25 divided by its ceiling for the query: [0, 1) */
} kw_hit;

kw_index *kwi_new(void);
void kwi_free(kw_index *x);

/* Indexes memory id (replacing what was indexed under id). 0, or -1 when
 * out of memory: the index may then hold part of the change, and its owner
 * must free it. */
int kwi_put(kw_index *x, const char *id, const char *title, const char *content);

/* Forgets memory id (nothing when it is not indexed). */
void kwi_remove(kw_index *x, const char *id);

/* Live memories. */
size_t kwi_count(const kw_index *x);

/* Approximate bytes held. */
size_t kwi_bytes(const kw_index *x);

/* The best k memories holding every term of q (a finished bag; at most
 * KWI_QUERY_TERMS of its terms count), score descending, ties by id, into
 * out (room for k); *n of them. 0, or -1 when out of memory. */
#define KWI_QUERY_TERMS 64
int kwi_search(const kw_index *x, const term_bag *q, size_t k, kw_hit *out, size_t *n);

#endif
