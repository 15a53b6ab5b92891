/* embedding.h — the API's use of the configured embedder: one vector per
 * memory from "<title>\n<content>", and how the outcome lands in the row
 * (vector, or none with metadata.embeddingError). */
#ifndef CHIMERA_API_EMBEDDING_H
#define CHIMERA_API_EMBEDDING_H

#include "embed/embedder.h"
#include "http/request.h"
#include "store/memories.h"
#include "store/workspaces.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

/* Set once at start-up (main.c); shared read-only by all threads. */
void api_set_embedder(embedder *e);
const embedder *api_embedder(void);

typedef struct embedded_vec {
    float *vec;             /* NULL when embedding failed */
    size_t dim;
    char err[200];
} embedded_vec;

/* The text a memory's vector is made from: "<title>\n<content>" (malloc). */
char *api_memory_text(const char *title, const char *content);

/* The rest of a handler that needed vectors: vecs[i] belongs to the i-th
 * text (vector, or NULL with err). Runs on a worker thread and must answer
 * r (or defer it again, taking from ctx what it keeps). */
typedef void (*api_embed_cont)(http_req *r, void *ctx, embedded_vec *vecs, size_t n);

/* Embeds texts[0..n) (copied) with the configured embedder, then calls
 * cont(r, ctx, …) and afterwards ctx_free(ctx). A local embedder does this
 * before returning; the remote one hands the texts to the outbound engine
 * in batches while r is suspended, so no worker waits on the network, and
 * calls cont after the last reply. Answers 500 itself (and frees ctx)
 * when out of memory. */
void api_embed_then(http_req *r, const char *const *texts, size_t n, api_embed_cont cont,
                    void *ctx, void (*ctx_free)(void *));

/* Points in at the vector (or marks it cleared) and records or clears
 * metadata.embeddingError in *meta (created when needed), refreshing
 * *meta_text and in->metadata. -1 when out of memory: in must not be
 * stored then. */
int api_embed_apply(const embedded_vec *ev, json_t **meta, char **meta_text, memory_input *in);

void embedded_vec_free(embedded_vec *ev);

/* Totals for the metrics endpoint: api_embed_then calls, texts asked for,
 * texts that got no vector. */
void api_embed_counts(uint64_t *calls, uint64_t *texts, uint64_t *errors);

/* GET …/memories?search=…&sortBy=relevance: substring matches ordered by
 * similarity to the search text (D2). Answers r. */
void api_relevance_list(http_req *r, const char *wid, const char *search, page pg);

struct idx_snapshot;
/* The vector index of wid at its current generation (caller releases). */
struct idx_snapshot *api_index_for(const char *wid);

#endif
