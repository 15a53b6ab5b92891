/* keyword.h — keyword search of a workspace through this node's keyword
 * index (keyword/kwindex.h), cached per workspace and brought up to the
 * workspace's current generation before each search (the vector index's
 * protocol: changed memories since the cached generation are re-indexed,
 * tombstones removed; a cache older than the tombstone floor, or whose
 * count disagrees with the workspace's memory counter, is rebuilt in
 * full). So every search sees every write committed before it began, on
 * any node. */
#ifndef CHIMERA_API_SERVICES_KEYWORD_H
#define CHIMERA_API_SERVICES_KEYWORD_H

#include "keyword/kwindex.h"

#include <stddef.h>

/* Workspaces whose indexes are cached; past CHIMERA_KEYWORD_INDEX_MEMORY
 * bytes of them the least recently searched leave the cache. */
#define KW_CACHE_SLOTS 256

/* The best k (out has room for k) of wid's memories that hold every term
 * of q (a finished bag), score descending, ties by id; *n of them. An
 * empty bag or an unknown workspace finds nothing. 0, or -1 on failure. */
int kw_search(const char *wid, const term_bag *q, size_t k, kw_hit *out, size_t *n);

/* Workspaces whose keyword index is cached, and the bytes those indexes
 * held when last released (metrics). */
void kw_totals(size_t *workspaces, size_t *bytes);

#endif
