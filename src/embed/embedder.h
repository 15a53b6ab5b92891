/* embedder.h — turning text into a unit-length float32 vector. Three
 * implementations share this interface: "hash" (offline default, built in),
 * "remote" (an OpenAI-compatible /v1/embeddings endpoint) and later
 * "minilm" (a local sentence-transformer). An embedder is created once at
 * start-up and shared read-only by all threads. */
#ifndef CHIMERA_EMBED_EMBEDDER_H
#define CHIMERA_EMBED_EMBEDDER_H

#include <stddef.h>

#define EMB_NAME_MAX 96

typedef struct embedder embedder;

struct embedder {
    /* Identifies the vectors this embedder makes, stored with each vector:
     * "hash-v1", "remote:<model>", … Vectors of another name or dimension
     * are never compared with this one's. */
    char name[EMB_NAME_MAX];
    size_t dim;
    /* Embeds n texts into out (n × dim floats, row-major), each row
     * L2-normalised (an all-zero row for text with no features). Returns 0,
     * or -1 with a short reason in err (errsz bytes). Thread-safe. */
    int (*embed)(const embedder *e, const char *const *texts, size_t n, float *out,
                 char *err, size_t errsz);
    void (*destroy)(embedder *e);
    void *impl;
};

/* The built-in offline embedder: 384 dimensions, deterministic. */
embedder *emb_hash_new(void);

/* Convenience: embed one text. */
int emb_one(const embedder *e, const char *text, float *out, char *err, size_t errsz);

void emb_free(embedder *e);

#endif
