/* index_int.h — what index.c (snapshots, refreshes, the cache) and
 * index_search.c (the scan and the exact rescoring) share; see index.h.
 * Not for other modules. */
#ifndef CHIMERA_EMBED_INDEX_INT_H
#define CHIMERA_EMBED_INDEX_INT_H

#include "embed/index.h"

#include <stdatomic.h>

#define IDX_WID_MAX 48
#define IDX_MODEL_MAX 96
#define ROW_NONE UINT32_MAX

/* Up to IDX_CHUNK_ROWS rows in one allocation; immutable once a published
 * snapshot points at it (a refresh copies it before writing). A row with a
 * non-finite value has err = +inf (no bound: always a candidate). */
typedef struct idx_chunk {
    atomic_int refs;
    size_t n, cap, dim, bytes;
    int mapped;                 /* mmap'd (returned to the system on free) */
    size_t bad;                 /* rows with non-finite values */
    float emax, rmax;           /* max err / norm of its finite rows */
    int8_t *q;                  /* int8 rows, cap × dim */
    float *scale, *err, *norm;
    char (*ids)[IDX_ID_MAX];
} idx_chunk;

/* Open addressing from an id to an index into a table of ids (the rows,
 * or the pending ids); slot values ROW_NONE = empty; cap a power of two
 * above twice the entries, or 0. */
typedef struct idx_map {
    uint32_t *slot;
    size_t cap;
} idx_map;

struct idx_snapshot {
    atomic_int refs;
    char wid[IDX_WID_MAX];
    char model[IDX_MODEL_MAX];
    int64_t gen;
    int64_t pending;            /* memories without a (indexable) vector */
    size_t dim, n, nchunks, bytes;
    idx_chunk **chunks;
    idx_map map;                /* id → row */
    char (*pend)[IDX_ID_MAX];   /* ids of pending memories, npend of them */
    size_t npend, pendcap;
    idx_map pmap;               /* id → index into pend */
};

static inline const char *idx_row_id(const idx_snapshot *s, size_t row)
{
    return s->chunks[row / IDX_CHUNK_ROWS]->ids[row % IDX_CHUNK_ROWS];
}

/* The row of id in s, or ROW_NONE. */
uint32_t idx_row_of(const idx_snapshot *s, const char *id);

/* Counters kept by index_search.c. */
void idx_count_search(uint64_t candidates, int stale);

#endif
