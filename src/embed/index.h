/* index.h — the in-memory vector index: per workspace, an int8 copy of the
 * vectors of the current embedder, loaded lazily, tagged with the
 * workspace's generation and kept within a memory budget. A search passes
 * the generation it just read from the database; a cached index of an
 * older generation is refreshed first, so nodes sharing one PostgreSQL
 * never serve stale results.
 *
 * Only what the scan needs stays resident: per row the int8 vector, its
 * scale, error and norm (vec_quantize) and the memory id, in chunks of
 * IDX_CHUNK_ROWS (about 0.44 KiB per 384-d memory with the id map). No
 * float32 row is kept. A search scans the int8 rows with SIMD; each row's
 * approximate score comes with a proven error bound (vec_quant_bound), so
 * with T the k-th largest lower bound, only rows whose upper bound reaches
 * T can be in the top k or tie with it. Their float32 vectors are read
 * back from the database in one statement (the caller's fetcher) and
 * scored exactly; ties are ordered by (created_at, id), which the fetch
 * returns. The answer is exactly vec_topk's over the rows in (created_at,
 * id) order. A candidate that changed after the snapshot's generation
 * (change_seq > generation) or vanished makes the search report
 * IDX_STALE: the caller refreshes and searches again.
 *
 * A refresh asks the loader for the changes since the snapshot's
 * generation: memories whose change_seq is greater, and tombstones of
 * memories deleted since, read in one statement with the workspace's
 * generation, memory counter and tombstone floor. A changed row is
 * re-quantised in place, a new one appended, a deleted one swap-removed
 * (the last row moves into its place), each in a copy of the touched
 * chunk; the others are shared with the old snapshot. A snapshot older
 * than the floor (its tombstones were pruned) or whose rows + pending
 * memories do not add up to the counter is loaded in full instead.
 *
 * Snapshots and chunks are reference-counted and immutable once
 * published: a refresh never touches rows a concurrent search is scanning.
 * When the cached snapshots pass the budget (idx_set_budget), those of the
 * least recently searched workspaces leave the cache, except one a search
 * holds right now (dropping only releases the cache's reference; the
 * memory goes when the last search lets go).
 * Knows neither HTTP nor SQL: the caller supplies loader and fetcher. */
#ifndef CHIMERA_EMBED_INDEX_H
#define CHIMERA_EMBED_INDEX_H

#include "embed/vec.h"

#include <stddef.h>
#include <stdint.h>

/* 4,864 rows of 384 dimensions fill one 2 MiB huge page almost exactly. */
#define IDX_CHUNK_ROWS 4864
#define IDX_ID_MAX 32           /* memory ids up to 31 bytes are indexed */
#define IDX_STALE 1             /* idx_search: refresh and search again */

typedef struct idx_snapshot idx_snapshot;
typedef struct idx_builder idx_builder;
typedef struct idx_fetch idx_fetch;

/* The workspace's generation, memory counter and tombstone floor, read by
 * the loader in the same statement (so the same database snapshot) as its
 * rows. A loader must call it once, first. */
void idx_set_state(idx_builder *b, int64_t gen, int64_t memory_count, int64_t floor);

/* Adds or replaces one memory: vec is its vector of the index's embedder
 * (dim floats, any alignment), or NULL when it has none. Returns 0, 1 when
 * the builder needs a full load instead (stop and return), -1 when out of
 * memory. */
int idx_add(idx_builder *b, const char *id, const void *vec);
/* A tombstone: memory id was deleted (unknown ids are ignored). 0 or -1. */
int idx_remove(idx_builder *b, const char *id);

/* Every memory of the workspace (since < 0), or the memories changed and
 * the tombstones written after generation since. Returns 0 or -1. */
typedef int (*idx_loader)(void *ctx, idx_builder *b, int64_t since);

/* The candidates' stored vectors: the fetcher reads the memories named by
 * ids (n of them) and reports each one found with idx_fetched (vec: dim
 * floats of the embedder, any alignment, or NULL if it has none now).
 * Returns 0 or -1. */
typedef int (*idx_fetcher)(void *ctx, const char *const *ids, size_t n, idx_fetch *f);
int idx_fetched(idx_fetch *f, const char *id, const void *vec, int64_t created_at,
                int64_t change_seq);

/* Returns wid's snapshot at generation gen or newer for (model, dim),
 * refreshing it with load(ctx) when the cache holds none or an older one.
 * NULL on failure. Release with idx_release(). */
idx_snapshot *idx_acquire(const char *wid, int64_t gen, const char *model, size_t dim,
                          idx_loader load, void *ctx);
void idx_release(idx_snapshot *s);

typedef struct idx_hit {
    float score;
    int64_t created_at;
    char id[IDX_ID_MAX];
} idx_hit;

/* Search flags: IDX_LENIENT answers from what the fetch finds (a vanished
 * candidate is left out, a changed one scored by its new vector) instead
 * of returning IDX_STALE — for a last attempt under constant writes. */
#define IDX_LENIENT 1

/* Top-k memories by cosine into out (*n of them): exactly vec_topk over
 * the rows in (created_at, id) order. Returns 0, IDX_STALE, or -1 (out of
 * memory, fetch failed). */
int idx_search(const idx_snapshot *s, const float *q, size_t k, idx_fetcher fetch, void *ctx,
               int flags, idx_hit *out, size_t *n);
/* The id of row (0 .. idx_count - 1; rows are in no particular order), or "". */
const char *idx_id(const idx_snapshot *s, uint32_t row);
size_t idx_count(const idx_snapshot *s);
int64_t idx_pending(const idx_snapshot *s);
int64_t idx_generation(const idx_snapshot *s);
/* Bytes of memory the snapshot holds (chunks shared with an older snapshot
 * still being scanned are counted once per snapshot). */
size_t idx_bytes(const idx_snapshot *s);

/* The cache's budget in bytes (default 1 GiB). */
void idx_set_budget(size_t bytes);

/* Drops wid's cached snapshot (NULL = all); the next search loads in full. */
void idx_drop(const char *wid);

/* Totals over the cache for status reports. */
void idx_totals(size_t *workspaces, size_t *vectors, size_t *bytes);

/* Process-wide counters (metrics, benchmarks, tests). */
typedef struct idx_stats {
    uint64_t searches;          /* idx_search calls */
    uint64_t candidates;        /* rows they fetched and scored exactly */
    uint64_t stale;             /* searches that returned IDX_STALE */
    uint64_t hits;              /* idx_acquire served from the cache as it was */
    uint64_t full_loads;        /* misses: loaded in full */
    uint64_t delta_loads;       /* refreshed by a delta */
    uint64_t delta_rows;        /* rows and tombstones the deltas received */
    uint64_t evictions;         /* snapshots dropped for the budget */
    uint64_t bytes;             /* bytes of the cached snapshots */
    uint64_t workspaces;        /* workspaces with a cached snapshot */
} idx_stats;
void idx_stats_get(idx_stats *out);

#endif
