/* index.h — the in-memory vector index: per workspace, the vectors of the
 * current embedder, loaded lazily and tagged with the workspace's
 * generation counter. A search passes the generation it just read from the
 * database; a cached index of an older generation is refreshed first, so
 * nodes sharing one PostgreSQL never serve stale results.
 *
 * Rows live in chunks of IDX_CHUNK_ROWS, each holding the float32 vectors
 * (for exact scores) and an int8 copy with per-row scales (for the scan:
 * 4× fewer bytes). A search scans the int8 rows with SIMD into a heap of
 * 4k+32 candidates, rescores those exactly in float32, and proves with the
 * quantisation error bound (vec_quant_bound) that no other row can reach
 * the k-th score; when it cannot, it scans every float row. Either way the
 * answer is exactly vec_topk's over the rows in (created_at, id) order.
 *
 * A refresh asks the loader only for the rows changed since the snapshot
 * (updated_at >= newest seen - slack), replaces or appends them in copies
 * of the touched chunks (the others are shared with the old snapshot),
 * and checks rows + pending memories against the workspace's memory
 * counter read in the same statement; anything it cannot place (a
 * deletion, a vector that went away or appeared on a pending memory, a new
 * memory older than the newest row) makes it load the workspace in full
 * instead.
 *
 * Snapshots and chunks are reference-counted and immutable once
 * published: a refresh never touches rows a concurrent search is scanning.
 * Knows neither HTTP nor SQL: the caller supplies the loader. */
#ifndef CHIMERA_EMBED_INDEX_H
#define CHIMERA_EMBED_INDEX_H

#include "embed/vec.h"

#include <stddef.h>
#include <stdint.h>

#define IDX_CHUNK_ROWS 1024
/* How far before the newest updated_at seen a refresh looks again: a write
 * whose timestamp was taken this long before its commit became visible
 * (lock waits, clock differences between nodes) is still picked up. */
#define IDX_SLACK_US_DEFAULT 5000000

typedef struct idx_snapshot idx_snapshot;
typedef struct idx_builder idx_builder;

/* The workspace's generation and memory counter, read by the loader in the
 * same statement (so the same database snapshot) as its rows. A loader
 * must call it once. */
void idx_set_state(idx_builder *b, int64_t gen, int64_t memory_count);

/* Adds or replaces one memory: vec is its vector of the index's embedder
 * (dim floats, any alignment), or NULL when it has none. Returns 0, 1 when
 * the builder needs a full load instead (stop and return), -1 when out of
 * memory. */
int idx_add(idx_builder *b, const char *id, const void *vec, int64_t created_at,
            int64_t updated_at);

/* Every memory of the workspace (since < 0), or those whose updated_at >=
 * since, in (created_at, id) order, vec NULL for those without a vector
 * of the embedder. Returns 0 or -1. */
typedef int (*idx_loader)(void *ctx, idx_builder *b, int64_t since);

/* Returns wid's snapshot at generation gen or newer for (model, dim),
 * refreshing it with load(ctx) when the cache holds none or an older one.
 * NULL on failure. Release with idx_release(). */
idx_snapshot *idx_acquire(const char *wid, int64_t gen, const char *model, size_t dim,
                          idx_loader load, void *ctx);
void idx_release(idx_snapshot *s);

/* Top-k rows by cosine: exactly vec_topk over the rows in order. */
size_t idx_search(const idx_snapshot *s, const float *q, size_t k, vec_hit *out);
const char *idx_id(const idx_snapshot *s, uint32_t row);
size_t idx_count(const idx_snapshot *s);
int64_t idx_pending(const idx_snapshot *s);
int64_t idx_generation(const idx_snapshot *s);
/* Bytes of memory the snapshot holds (chunks shared with an older snapshot
 * still being scanned are counted once per snapshot). */
size_t idx_bytes(const idx_snapshot *s);

/* Drops wid's cached snapshot (NULL = all); the next search loads in full. */
void idx_drop(const char *wid);

/* Totals over the cache for status reports. */
void idx_totals(size_t *workspaces, size_t *vectors, size_t *bytes);

/* Process-wide counters (benchmarks, tests). */
typedef struct idx_stats {
    uint64_t searches;          /* idx_search calls */
    uint64_t exact_scans;       /* ... that scanned every float row */
    uint64_t full_loads, delta_loads;
    uint64_t delta_rows;        /* rows a delta load received */
} idx_stats;
void idx_stats_get(idx_stats *out);

/* Test hook: the refresh look-back window (default IDX_SLACK_US_DEFAULT). */
void idx_set_slack_us(int64_t us);

#endif
