/* index.h — the in-memory vector index: per workspace, the vectors of the
 * current embedder as contiguous float32 rows, loaded lazily and tagged
 * with the workspace's generation counter. A search passes the generation
 * it just read from the database; a cached index of another generation is
 * reloaded, so nodes sharing one PostgreSQL never serve stale results.
 * Snapshots are reference-counted: a reload never frees rows a concurrent
 * search is scanning. Knows neither HTTP nor SQL: the caller supplies the
 * loader. */
#ifndef CHIMERA_EMBED_INDEX_H
#define CHIMERA_EMBED_INDEX_H

#include "embed/vec.h"

#include <stddef.h>
#include <stdint.h>

typedef struct idx_snapshot idx_snapshot;
typedef struct idx_builder idx_builder;

/* Adds one vector (dim floats at vec, any alignment) to a snapshot being
 * loaded. Returns 0 or -1 (out of memory). */
int idx_add(idx_builder *b, const char *id, const void *vec);

/* The loader fills b (via idx_add) and sets *pending to the number of
 * memories without a current vector. Returns 0 or -1. */
typedef int (*idx_loader)(void *ctx, idx_builder *b, int64_t *pending);

/* Returns wid's snapshot at generation gen for (model, dim), loading it
 * with load(ctx) when the cache holds none or another generation. NULL on
 * failure. Release with idx_release(). */
idx_snapshot *idx_acquire(const char *wid, int64_t gen, const char *model, size_t dim,
                          idx_loader load, void *ctx);
void idx_release(idx_snapshot *s);

/* Top-k rows by cosine; see vec_topk. */
size_t idx_search(const idx_snapshot *s, const float *q, size_t k, vec_hit *out);
const char *idx_id(const idx_snapshot *s, uint32_t row);
size_t idx_count(const idx_snapshot *s);
int64_t idx_pending(const idx_snapshot *s);
int64_t idx_generation(const idx_snapshot *s);
size_t idx_bytes(const idx_snapshot *s);

/* Drops wid's cached snapshot (NULL = all); the next search reloads. */
void idx_drop(const char *wid);

/* Totals over the cache for status reports. */
void idx_totals(size_t *workspaces, size_t *vectors, size_t *bytes);

#endif
