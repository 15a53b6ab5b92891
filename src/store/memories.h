/* memories.h — the memory bank (API.md §3.8, §5.6, D1). Every change bumps
 * the workspace's generation and counters in the same transaction, so
 * per-node vector indexes and the embedded stats never go stale. Rows own
 * their strings and vector. */
#ifndef CHIMERA_STORE_MEMORIES_H
#define CHIMERA_STORE_MEMORIES_H

#include "store/workspaces.h"

#include <stdbool.h>

typedef struct memory_row {
    char id[40];
    char workspace_id[40];
    char *title;
    char *content;
    char *snippet;
    char *tags;             /* JSON array text */
    char *metadata;         /* JSON object text */
    float *embedding;       /* NULL when no vector is stored */
    size_t dim;
    char model[96];         /* embedder that made the vector ("" if none) */
    int64_t version;
    int64_t created_at, updated_at;
} memory_row;

/* What create/update write. NULL fields are left unchanged by update. */
typedef struct memory_input {
    const char *title;
    const char *content;
    const char *tags;               /* JSON array text */
    const char *const *tag_list;    /* the same tags, for the tags table */
    size_t ntags;
    const char *metadata;           /* JSON object text */
    const float *vec;               /* new vector, or NULL */
    size_t dim;
    const char *model;
    bool clear_vec;                 /* store NULL as the vector (embedding failed) */
} memory_input;

typedef enum memory_sort { SORT_RECENT, SORT_TITLE, SORT_CREATED } memory_sort;

void memory_row_free(memory_row *m);
void memory_rows_free(memory_row *rows, size_t n);

/* "<first 150 code points>..." or the whole content (caller frees). */
char *memory_snippet(const char *content);

/* Creates a memory with version 1 and the memory_created activity. */
st_rc memory_create(const char *wid, const memory_input *in, memory_row *out);

st_rc memory_get(const char *id, memory_row *out);

/* Applies the non-NULL fields, version + 1, snippet regenerated when the
 * content is given. */
st_rc memory_update(const char *id, const memory_input *in, memory_row *out);

/* Deletes the memory and its injection links. */
st_rc memory_delete(const char *id);

/* Memories of wid: search = case-insensitive substring of title or content
 * (NULL = all), ordered by sort. *total counts every match. */
st_rc memory_list(const char *wid, const char *search, memory_sort sort, page pg,
                  memory_row **out, size_t *n, int64_t *total);

/* The newest memories of wid by updatedAt (blank-query search). */
st_rc memory_recent(const char *wid, size_t k, memory_row **out, size_t *n);

/* The workspace's generation counter (changes with every memory change). */
st_rc memory_generation(const char *wid, int64_t *gen);

/* What memory_vectors reports to: state once (the workspace's generation,
 * memory counter and tombstone floor), then row per memory (id, vector
 * bytes — not aligned: copy them — or NULL when it has none of the model)
 * and gone per tombstone (id of a deleted memory); a non-zero return stops. */
typedef struct memory_vec_visitor {
    void (*state)(void *ctx, int64_t gen, int64_t memory_count, int64_t floor);
    int (*row)(void *ctx, const char *id, const void *vec);
    int (*gone)(void *ctx, const char *id);
    void *ctx;
} memory_vec_visitor;

/* Streams wid's memories (since < 0, in no particular order) or, since a
 * generation, those changed after it (change_seq > since) and the
 * tombstones of those deleted after it, all read in one statement (one
 * database snapshot); vec is NULL for a memory without a vector made by
 * model with dim floats. ST_NOT_FOUND when the workspace does not exist. */
st_rc memory_vectors(const char *wid, const char *model, size_t dim, int64_t since,
                     const memory_vec_visitor *v);

/* What memory_vectors_of reports per memory found: its vector of model
 * (unaligned, or NULL), created_at and change_seq; non-zero stops. */
typedef int (*memory_vec_fn)(void *ctx, const char *id, const void *vec, int64_t created_at,
                             int64_t change_seq);

/* The memories of wid among ids (n of them), read in one statement, in no
 * particular order; ids not found (deleted, or of another workspace) are
 * not reported. */
st_rc memory_vectors_of(const char *wid, const char *model, size_t dim, const char *const *ids,
                        size_t n, memory_vec_fn fn, void *ctx);

#endif
