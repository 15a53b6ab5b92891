/* remote.c — the "remote" embedder (see embedder.h): any OpenAI-compatible
 * POST <base>/embeddings (OpenAI, Ollama, vLLM, llama.cpp server,
 * text-embeddings-inference). Request:
 *   {"model": m, "input": [texts…], "encoding_format": "float"[, "dimensions": d]}
 * Reply: {"data": [{"index": i, "embedding": [numbers…]}, …]} in any order.
 * Every reply row is checked (count, indices, length, finite numbers) and
 * L2-normalised here, since not every server normalises.
 *
 * The server sends request() through the outbound engine and reads the
 * outcome with parse(); embed() is the same exchange done blocking
 * (net/fetch.h), for the command line (`chimerad embed`). The embedder
 * owns copies of its settings; the key is wiped on destroy. */
#include "embed/embedder.h"

#include "net/fetch.h"
#include "util/jsonx.h"
#include "util/oom.h"

#include <jansson.h>
#include <math.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REMOTE_MAX_REPLY ((size_t)256 << 20)   /* blocking path only */
#define REMOTE_ERR_CHARS 120

typedef struct remote {
    char *base, *model, *key;
    int send_dim;
    long timeout_s;
} remote;

static const struct { const char *model; size_t dim; } KNOWN_DIMS[] = {
    { "text-embedding-3-small", 1536 }, { "text-embedding-3-large", 3072 },
    { "text-embedding-ada-002", 1536 }, { "nomic-embed-text", 768 },
    { "mxbai-embed-large", 1024 },      { "all-minilm", 384 },
    { "bge-m3", 1024 },                 { "snowflake-arctic-embed", 1024 },
};

size_t emb_remote_known_dim(const char *model)
{
    for (size_t i = 0; i < sizeof KNOWN_DIMS / sizeof KNOWN_DIMS[0]; i++) {
        size_t n = strlen(KNOWN_DIMS[i].model);
        /* Ollama names carry tags: "nomic-embed-text:latest". */
        if (strncmp(model, KNOWN_DIMS[i].model, n) == 0 && (model[n] == '\0' || model[n] == ':'))
            return KNOWN_DIMS[i].dim;
    }
    return 0;
}

static int remote_request(const embedder *e, const char *const *texts, size_t n,
                          struct net_request *out)
{
    const remote *rm = e->impl;
    json_t *input = json_array();
    for (size_t i = 0; input && i < n; i++)
        if (json_array_append_new(input, json_string(texts[i])) != 0) {
            json_decref(input);
            input = NULL;
        }
    json_t *body = input ? json_pack("{s:s,s:o,s:s}", "model", rm->model, "input", input,
                                     "encoding_format", "float")
                         : NULL;
    if (body && rm->send_dim)
        body = json_put(body, "dimensions", json_integer((json_int_t)e->dim));
    if (!body || net_req_init(out, rm->base, "/embeddings", rm->timeout_s) != 0) {
        json_decref(body);
        return -1;
    }
    if (net_req_header(out, "Content-Type: application/json") != 0 ||
        (rm->key && net_req_header(out, "Authorization: Bearer %s", rm->key) != 0)) {
        json_decref(body);
        return -1;
    }
    return net_req_json(out, body);
}

/* How much of s (len bytes) goes into an error text: at most
 * REMOTE_ERR_CHARS bytes, never half a UTF-8 character (the text is stored
 * in a memory's metadata, which must stay valid UTF-8). */
static int err_cut(const char *s, size_t len)
{
    size_t n = len < REMOTE_ERR_CHARS ? len : REMOTE_ERR_CHARS;
    while (n > 0 && n < len && ((unsigned char)s[n] & 0xC0) == 0x80)
        n--;
    return (int)n;
}

/* The error text of a non-2xx answer: error.message, error, or the body. */
static void http_error(long status, const json_t *root, const char *body, size_t len,
                       char *err, size_t errsz)
{
    const json_t *e = json_object_get(root, "error");
    const char *msg = json_is_string(e) ? json_string_value(e)
                    : json_string_value(json_object_get(e, "message"));
    if (msg)
        snprintf(err, errsz, "embedding service answered %ld: %.*s", status,
                 err_cut(msg, strlen(msg)), msg);
    else if (len)
        snprintf(err, errsz, "embedding service answered %ld: %.*s", status,
                 err_cut(body, len), body);
    else
        snprintf(err, errsz, "embedding service answered %ld", status);
}

/* One reply row into out (dim floats), L2-normalised. */
static int read_row(const json_t *vec, size_t dim, float *out, char *err, size_t errsz)
{
    if (!json_is_array(vec) || json_array_size(vec) != dim) {
        snprintf(err, errsz, "embedding service returned %zu numbers, expected %zu",
                 json_is_array(vec) ? json_array_size(vec) : 0, dim);
        return -1;
    }
    double sum = 0;
    for (size_t i = 0; i < dim; i++) {
        const json_t *x = json_array_get(vec, i);
        double v = json_number_value(x);
        if (!json_is_number(x) || !isfinite(v) || fabs(v) > 1e30) {
            snprintf(err, errsz, "embedding service returned a value that is not a number");
            return -1;
        }
        out[i] = (float)v;
        sum += v * v;
    }
    if (sum > 0) {
        float inv = (float)(1.0 / sqrt(sum));
        for (size_t i = 0; i < dim; i++)
            out[i] *= inv;
    }
    return 0;
}

/* An answer of the service: n rows into out, or -1 with the reason. */
static int read_answer(const embedder *e, long status, const char *body, size_t len, size_t n,
                       float *out, char *err, size_t errsz)
{
    json_t *root = json_parse(body, len, 0, NULL);
    int rc = -1;
    if (status < 200 || status > 299) {
        http_error(status, root, body, len, err, errsz);
        goto out;
    }
    const json_t *data = json_object_get(root, "data");
    if (!json_is_array(data) || json_array_size(data) != n) {
        snprintf(err, errsz, "embedding service returned %zu vectors for %zu texts",
                 json_is_array(data) ? json_array_size(data) : 0, n);
        goto out;
    }
    unsigned char *seen = calloc(n ? n : 1, 1);
    if (!seen) {
        snprintf(err, errsz, "out of memory");
        goto out;
    }
    size_t i;
    const json_t *item;
    json_array_foreach(data, i, item) {
        const json_t *ix = json_object_get(item, "index");
        json_int_t at = ix ? (json_is_integer(ix) ? json_integer_value(ix) : -1) : (json_int_t)i;
        if (at < 0 || (size_t)at >= n || seen[at]) {
            snprintf(err, errsz, "embedding service returned a bad or repeated index");
            break;
        }
        seen[at] = 1;
        if (read_row(json_object_get(item, "embedding"), e->dim, out + (size_t)at * e->dim,
                     err, errsz) != 0)
            break;
    }
    free(seen);
    rc = i == n ? 0 : -1;
out:
    json_decref(root);
    return rc;
}

/* Any outcome of one exchange, the server's or the command line's, in the
 * same words: n rows into out, or -1 with the reason. */
static int remote_parse(const embedder *e, const net_result *res, size_t n, float *out,
                        char *err, size_t errsz)
{
    /* too_large first: a reply cut at the cap is a failed transfer too */
    if (res->timed_out)
        snprintf(err, errsz, "embedding service timed out");
    else if (res->too_large)
        snprintf(err, errsz, "embedding service reply too large");
    else if (res->transport_failed)
        snprintf(err, errsz, "embedding service unreachable: %.150s", res->error);
    else
        return read_answer(e, res->status, res->body, res->len, n, out, err, errsz);
    return -1;
}

/* ---- the blocking path (command line) ------------------------------------ */

typedef struct exchange {
    const embedder *e;
    size_t n;
    float *out;
    char *err;
    size_t errsz;
    int rc;
} exchange;

static void exchanged(void *ctx, const net_result *res)
{
    exchange *x = ctx;
    x->rc = remote_parse(x->e, res, x->n, x->out, x->err, x->errsz);
}

/* One batch, blocking. */
static int exchange_batch(const embedder *e, const char *const *texts, size_t n, float *out,
                          char *err, size_t errsz)
{
    net_request req;
    exchange x = { e, n, out, err, errsz, -1 };
    if (remote_request(e, texts, n, &req) != 0) {
        snprintf(err, errsz, "could not build the embeddings request");
        return -1;
    }
    req.max_body = REMOTE_MAX_REPLY;
    net_fetch(&req, exchanged, &x);
    net_request_free(&req);
    return x.rc;
}

static int remote_embed(const embedder *e, const char *const *texts, size_t n, float *out,
                        char *err, size_t errsz)
{
    for (size_t at = 0; at < n; at += e->batch) {
        size_t k = n - at < e->batch ? n - at : e->batch;
        if (exchange_batch(e, texts + at, k, out + at * e->dim, err, errsz) != 0)
            return -1;
    }
    return 0;
}

static void remote_destroy(embedder *e)
{
    remote *rm = e->impl;
    if (rm) {
        if (rm->key)
            sodium_memzero(rm->key, strlen(rm->key));
        free(rm->key);
        free(rm->base);
        free(rm->model);
        free(rm);
    }
    free(e);
}

static int base_ok(const char *base)
{
    return strncmp(base, "http://", 7) == 0 || strncmp(base, "https://", 8) == 0;
}

embedder *emb_remote_new(const emb_remote_opts *o, char *err, size_t errsz)
{
    if (!o->base || !base_ok(o->base)) {
        snprintf(err, errsz, "CHIMERA_EMBED_URL must be an http:// or https:// URL");
        return NULL;
    }
    if (!o->model || !*o->model || strlen(o->model) + 8 >= EMB_NAME_MAX) {
        snprintf(err, errsz, "CHIMERA_EMBED_MODEL must name the model (at most %d characters)",
                 EMB_NAME_MAX - 9);
        return NULL;
    }
    if (o->key && !net_key_ok(o->key)) {
        snprintf(err, errsz, "CHIMERA_EMBED_API_KEY contains characters a header cannot carry");
        return NULL;
    }
    if (o->dim == 0) {
        snprintf(err, errsz, "the vector length of model \"%s\" is not known: set "
                 "CHIMERA_EMBED_DIMENSIONS", o->model);
        return NULL;
    }
    embedder *e = calloc(1, sizeof *e);
    remote *rm = e ? calloc(1, sizeof *rm) : NULL;
    if (e)
        e->impl = rm;
    if (!rm || !(rm->base = strdup(o->base)) || !(rm->model = strdup(o->model)) ||
        (o->key && *o->key && !(rm->key = strdup(o->key)))) {
        snprintf(err, errsz, "out of memory");
        if (e)
            remote_destroy(e);
        return NULL;
    }
    size_t bl = strlen(rm->base);
    while (bl > 0 && rm->base[bl - 1] == '/')
        rm->base[--bl] = '\0';
    rm->send_dim = o->send_dim;
    rm->timeout_s = o->timeout_s > 0 ? o->timeout_s : 30;
    snprintf(e->name, sizeof e->name, "remote:%s", o->model);
    e->dim = o->dim;
    e->batch = o->batch ? o->batch : 64;
    e->impl = rm;
    e->embed = remote_embed;
    e->destroy = remote_destroy;
    e->request = remote_request;
    e->parse = remote_parse;
    return e;
}
