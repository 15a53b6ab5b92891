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
struct net_request;
struct net_result;

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
    /* Remote embedders only (NULL otherwise). The server never calls their
     * embed() on a worker thread: it sends request() through the outbound
     * engine and reads the outcome with parse(), at most `batch` texts per
     * request. request() fills out (a heap-owned net_request) and returns
     * 0 or -1; parse() reads any outcome (answer, HTTP error, timeout,
     * transport failure) and writes n rows like embed() or returns -1 with
     * the reason in err. */
    size_t batch;
    int (*request)(const embedder *e, const char *const *texts, size_t n,
                   struct net_request *out);
    int (*parse)(const embedder *e, const struct net_result *res, size_t n, float *out,
                 char *err, size_t errsz);
};

/* The built-in offline embedder: 384 dimensions, deterministic. */
embedder *emb_hash_new(void);

/* An OpenAI-compatible /embeddings endpoint: base is the API root that
 * ends in /v1 (the request goes to <base>/embeddings), key may be NULL
 * (local servers), dim is the vector length the model returns; with
 * send_dim the request asks for that length ("dimensions", OpenAI's
 * text-embedding-3 models). NULL with the reason in err. */
typedef struct emb_remote_opts {
    const char *base, *model, *key;
    size_t dim;
    int send_dim;
    long timeout_s;
    size_t batch;
} emb_remote_opts;
embedder *emb_remote_new(const emb_remote_opts *o, char *err, size_t errsz);

/* The vector length of a well-known embedding model, 0 if unknown. */
size_t emb_remote_known_dim(const char *model);

/* The argument checks every embed() starts with: 0, or -1 with the reason
 * in err (NULL texts or output, a NULL text). */
int emb_check_args(const char *const *texts, size_t n, const float *out, char *err,
                   size_t errsz);

/* Convenience: embed one text. */
int emb_one(const embedder *e, const char *text, float *out, char *err, size_t errsz);

void emb_free(embedder *e);

#endif
