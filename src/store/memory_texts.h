/* memory_texts.h — the titles and contents of a workspace's memories, in
 * full or changed since a generation, for the per-node keyword index
 * (api/services/keyword.c): the same generation / change_seq / tombstone
 * protocol as the vector index's memory_vectors (store/memories.h). */
#ifndef CHIMERA_STORE_MEMORY_TEXTS_H
#define CHIMERA_STORE_MEMORY_TEXTS_H

#include "store/store.h"

#include <stdint.h>

/* state once (the workspace's generation, memory counter and tombstone
 * floor; non-zero stops), then row per memory and gone per tombstone;
 * a non-zero return stops (ST_DB_ERROR). Strings live until the call
 * returns. */
typedef struct memory_text_visitor {
    int (*state)(void *ctx, int64_t gen, int64_t memory_count, int64_t floor);
    int (*row)(void *ctx, const char *id, const char *title, const char *content);
    int (*gone)(void *ctx, const char *id);
    void *ctx;
} memory_text_visitor;

/* wid's memories (since < 0) or those changed after generation since and
 * the tombstones of those deleted after it, in one statement (one database
 * snapshot). ST_NOT_FOUND when the workspace does not exist. */
st_rc memory_texts(const char *wid, int64_t since, const memory_text_visitor *v);

#endif
