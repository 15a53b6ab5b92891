/* embedding.c — see embedding.h. */
#include "api/services/embedding.h"

#include "api/services/outcall.h"

#include "http/response.h"
#include "util/oom.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static embedder *api_emb;
static atomic_uint_fast64_t n_calls, n_texts, n_errors;

void api_embed_counts(uint64_t *calls, uint64_t *texts, uint64_t *errors)
{
    *calls = atomic_load_explicit(&n_calls, memory_order_relaxed);
    *texts = atomic_load_explicit(&n_texts, memory_order_relaxed);
    *errors = atomic_load_explicit(&n_errors, memory_order_relaxed);
}

void api_set_embedder(embedder *e)
{
    api_emb = e;
}

const embedder *api_embedder(void)
{
    return api_emb;
}

char *api_memory_text(const char *title, const char *content)
{
    size_t tl = strlen(title), cl = strlen(content);
    char *text = malloc(tl + cl + 2);
    if (text) {
        memcpy(text, title, tl);
        text[tl] = '\n';
        memcpy(text + tl + 1, content, cl + 1);
    }
    return text;
}

typedef struct embed_job {
    char **texts;
    size_t n;
    size_t next;                /* first text not answered yet */
    size_t inflight;            /* texts in the request being answered */
    embedded_vec *vecs;
    api_embed_cont cont;
    void *ctx;
    void (*ctx_free)(void *);
} embed_job;

static void job_free(embed_job *j)
{
    for (size_t i = 0; i < j->n; i++) {
        free(j->texts[i]);
        embedded_vec_free(&j->vecs[i]);
    }
    free(j->texts);
    free(j->vecs);
    if (j->ctx_free)
        j->ctx_free(j->ctx);
    free(j);
}

/* Marks texts [from, to) failed with msg. */
static void fail_texts(embed_job *j, size_t from, size_t to, const char *msg)
{
    if (to > from)
        atomic_fetch_add_explicit(&n_errors, to - from, memory_order_relaxed);
    for (size_t i = from; i < to; i++)
        snprintf(j->vecs[i].err, sizeof j->vecs[i].err, "%s", msg);
}

/* Local embedders: all texts in one call. */
static void embed_local(embed_job *j)
{
    const embedder *e = api_emb;
    float *all = e ? malloc(j->n * e->dim * sizeof *all) : NULL;
    char err[sizeof j->vecs[0].err] = "no embedder configured";
    if (e && !all)
        snprintf(err, sizeof err, "out of memory");
    if (!all || e->embed(e, (const char *const *)j->texts, j->n, all, err, sizeof err) != 0) {
        fail_texts(j, 0, j->n, err);
        free(all);
        return;
    }
    for (size_t i = 0; i < j->n; i++) {
        if (!(j->vecs[i].vec = malloc(e->dim * sizeof(float)))) {
            fail_texts(j, i, i + 1, "out of memory");
            continue;
        }
        memcpy(j->vecs[i].vec, all + i * e->dim, e->dim * sizeof(float));
        j->vecs[i].dim = e->dim;
    }
    free(all);
}

static void batch_fetched(http_req *r, const net_result *res, void *ctx);

/* Sends the next batch (r deferred until batch_fetched); 0, or -1 when it
 * could not be built (the texts left marked failed). */
static int send_batch(http_req *r, embed_job *j)
{
    const embedder *e = api_emb;
    size_t k = j->n - j->next < e->batch ? j->n - j->next : e->batch;
    net_request *req = calloc(1, sizeof *req);
    if (!req || e->request(e, (const char *const *)j->texts + j->next, k, req) != 0) {
        free(req);
        fail_texts(j, j->next, j->n, "could not build the embeddings request");
        return -1;
    }
    j->inflight = k;
    req->target = "embeddings";
    api_fetch(r, req, batch_fetched, j);
    return 0;
}

/* The vectors are all in (or failed): the rest of the handler. */
static void embed_finish(http_req *r, embed_job *j)
{
    j->cont(r, j->ctx, j->vecs, j->n);
    job_free(j);
}

/* Worker, after one batch: its vectors, then the next batch or the end. */
static void batch_fetched(http_req *r, const net_result *res, void *ctx)
{
    embed_job *j = ctx;
    const embedder *e = api_emb;
    size_t k = j->inflight;
    char err[sizeof j->vecs[0].err];
    float *rows = malloc(k * e->dim * sizeof *rows);
    int ok = -1;
    if (!rows)
        snprintf(err, sizeof err, "out of memory");
    else
        ok = e->parse(e, res, k, rows, err, sizeof err);
    for (size_t i = 0; i < k; i++) {
        embedded_vec *v = &j->vecs[j->next + i];
        if (ok == 0 && (v->vec = malloc(e->dim * sizeof(float)))) {
            memcpy(v->vec, rows + i * e->dim, e->dim * sizeof(float));
            v->dim = e->dim;
        } else {
            snprintf(v->err, sizeof v->err, "%s", ok == 0 ? "out of memory" : err);
        }
    }
    free(rows);
    j->next += k;
    if (j->next < j->n && send_batch(r, j) == 0)
        return;
    embed_finish(r, j);
}

void api_embed_then(http_req *r, const char *const *texts, size_t n, api_embed_cont cont,
                    void *ctx, void (*ctx_free)(void *))
{
    embed_job *j = calloc(1, sizeof *j);
    if (j) {
        j->cont = cont;
        j->ctx = ctx;
        j->ctx_free = ctx_free;
    }
    int bad = !j || !(j->texts = calloc(n + 1, sizeof *j->texts)) ||
              !(j->vecs = calloc(n + 1, sizeof *j->vecs));
    for (size_t i = 0; !bad && i < n; i++, j->n = i)
        bad = !(j->texts[i] = strdup(texts[i]));
    if (bad) {
        resp_no_memory(r);
        if (j)
            job_free(j);
        else if (ctx_free)
            ctx_free(ctx);
        return;
    }
    j->n = n;
    atomic_fetch_add_explicit(&n_calls, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&n_texts, n, memory_order_relaxed);
    if (api_emb && api_emb->request && n > 0) {
        if (send_batch(r, j) != 0)
            embed_finish(r, j);
        return;
    }
    embed_local(j);
    embed_finish(r, j);
}

int api_embed_apply(const embedded_vec *ev, json_t **meta, char **meta_text, memory_input *in)
{
    in->vec = ev->vec;
    in->dim = ev->dim;
    in->model = api_emb ? api_emb->name : "";
    in->clear_vec = ev->vec == NULL;
    bool had_error = *meta && json_object_get(*meta, "embeddingError");
    if (ev->vec && !had_error)
        return 0;
    free(*meta_text);
    *meta_text = NULL;
    in->metadata = NULL;
    if (!*meta && !(*meta = json_object()))
        return -1;
    if (ev->vec)
        json_object_del(*meta, "embeddingError");
    else if (json_object_set_new(*meta, "embeddingError", json_string(ev->err)) != 0)
        return -1;      /* never a memory without its vector and without the reason */
    *meta_text = json_dumps_whole(*meta, JSON_COMPACT);
    in->metadata = *meta_text;
    return *meta_text ? 0 : -1;
}

void embedded_vec_free(embedded_vec *ev)
{
    free(ev->vec);
    ev->vec = NULL;
}
