/* bert.c — see bert.h. The forward pass, for a batch packed without
 * padding: the tokens of all sequences are the rows of one matrix, so the
 * dense layers (Q, K, V, attention output, feed-forward) are one cblas_sgemm
 * each over every token of the batch, and attention runs per sequence and
 * head over that sequence's rows only. That is what padding plus an
 * attention mask computes (masked keys get weight exp(-inf) = 0), without
 * the padded rows.
 *
 * Per layer (post-LayerNorm BERT):
 *   x = LN(x + Wo·attn(Wq·x, Wk·x, Wv·x));  x = LN(x + W2·gelu(W1·x))
 * with softmax(QKᵀ/√d)V per head, gelu(x) = x/2·(1 + erf(x/√2)), LayerNorm
 * over the hidden size with the config's eps. Embeddings: word + position +
 * token type 0, then LayerNorm. Pooling: the mean of each sequence's rows,
 * L2-normalised (sentence-transformers' Pooling + Normalize).
 *
 * Linear weights are [out, in] row-major as PyTorch stores them: y = x·Wᵀ + b
 * is sgemm(NoTrans, Trans). */
#include "embed/bert.h"
#include "util/dynlib.h"
#include "util/errmsg.h"

#include "embed/safetensors.h"

#include <cblas.h>
#include <pthread.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct bert_layer {
    const float *qw, *qb, *kw, *kb, *vw, *vb, *ow, *ob, *ln1g, *ln1b;
    const float *iw, *ib, *w2, *b2, *ln2g, *ln2b;
} bert_layer;

struct bert_model {
    bert_config c;
    sft_file *st;
    const float *word, *pos, *type, *lng, *lnb;
    bert_layer *layer;
};

/* Scratch of one bert_encode call: rows × hidden matrices and the rest. */
typedef struct scratch {
    float *x, *q, *k, *v, *ctx, *tmp, *inter, *scores;
} scratch;

/* OpenBLAS is opened with the first model (util/dynlib.h): a server on
 * another embedder neither maps it nor starts its thread pool. */
static struct {
    __typeof__(cblas_sgemm) *sgemm;
    __typeof__(openblas_set_num_threads) *set_num_threads;
} blas;
static pthread_once_t blas_once = PTHREAD_ONCE_INIT;
static int blas_ready;
static char blas_why[200];

static void blas_load(void)
{
    static const char *const sonames[] = { "libopenblas.so.0", "libopenblas.so", NULL };
    const dynlib_sym syms[] = {
        { "cblas_sgemm", (void **)&blas.sgemm },
        { "openblas_set_num_threads", (void **)&blas.set_num_threads },
    };
    blas_ready = dynlib_load(sonames, syms, 2, blas_why, sizeof blas_why) == 0;
}

void bert_set_threads(int n)
{
    pthread_once(&blas_once, blas_load);
    if (n > 0 && blas_ready)
        blas.set_num_threads(n);
}

const bert_config *bert_cfg(const bert_model *m)
{
    return &m->c;
}

/* ---- loading ------------------------------------------------------------- */

typedef struct loader {
    bert_model *m;
    const char *prefix;
    char *err;
    size_t errsz;
    int failed;
} loader;

static const float *get(loader *l, const char *name, size_t d0, size_t d1)
{
    char full[SFT_NAME_MAX];
    uint64_t shape[2] = {d0, d1};
    const float *p;
    if (l->failed)
        return NULL;
    snprintf(full, sizeof full, "%s%s", l->prefix, name);
    p = sft_f32(l->m->st, full, d1 ? 2 : 1, shape, l->err, l->errsz);
    if (!p)
        l->failed = 1;
    return p;
}

static const float *get_layer(loader *l, size_t i, const char *name, size_t d0, size_t d1)
{
    char n[128];
    snprintf(n, sizeof n, "encoder.layer.%zu.%s", i, name);
    return get(l, n, d0, d1);
}

static void load_layer(loader *l, size_t i, bert_layer *L)
{
    size_t H = l->m->c.hidden, F = l->m->c.inter;
    L->qw = get_layer(l, i, "attention.self.query.weight", H, H);
    L->qb = get_layer(l, i, "attention.self.query.bias", H, 0);
    L->kw = get_layer(l, i, "attention.self.key.weight", H, H);
    L->kb = get_layer(l, i, "attention.self.key.bias", H, 0);
    L->vw = get_layer(l, i, "attention.self.value.weight", H, H);
    L->vb = get_layer(l, i, "attention.self.value.bias", H, 0);
    L->ow = get_layer(l, i, "attention.output.dense.weight", H, H);
    L->ob = get_layer(l, i, "attention.output.dense.bias", H, 0);
    L->ln1g = get_layer(l, i, "attention.output.LayerNorm.weight", H, 0);
    L->ln1b = get_layer(l, i, "attention.output.LayerNorm.bias", H, 0);
    L->iw = get_layer(l, i, "intermediate.dense.weight", F, H);
    L->ib = get_layer(l, i, "intermediate.dense.bias", F, 0);
    L->w2 = get_layer(l, i, "output.dense.weight", H, F);
    L->b2 = get_layer(l, i, "output.dense.bias", H, 0);
    L->ln2g = get_layer(l, i, "output.LayerNorm.weight", H, 0);
    L->ln2b = get_layer(l, i, "output.LayerNorm.bias", H, 0);
}

static int load_weights(bert_model *m, char *err, size_t errsz)
{
    loader l = {m, "", err, errsz, 0};
    const bert_config *c = &m->c;
    if (!sft_find(m->st, "embeddings.word_embeddings.weight")) {
        if (!sft_find(m->st, "bert.embeddings.word_embeddings.weight")) {
            set_err(err, errsz, "model.safetensors has no embeddings.word_embeddings.weight "
                                "(is it a BERT model?)");
            return -1;
        }
        l.prefix = "bert.";
    }
    m->word = get(&l, "embeddings.word_embeddings.weight", c->vocab, c->hidden);
    m->pos = get(&l, "embeddings.position_embeddings.weight", c->max_pos, c->hidden);
    m->type = get(&l, "embeddings.token_type_embeddings.weight", c->type_vocab, c->hidden);
    m->lng = get(&l, "embeddings.LayerNorm.weight", c->hidden, 0);
    m->lnb = get(&l, "embeddings.LayerNorm.bias", c->hidden, 0);
    for (size_t i = 0; i < c->layers && !l.failed; i++)
        load_layer(&l, i, &m->layer[i]);
    return l.failed ? -1 : 0;
}

bert_model *bert_load(const char *path, const bert_config *c, char *err, size_t errsz)
{
    bert_model *m = calloc(1, sizeof *m);
    char why[256];
    if (!m) {
        set_err(err, errsz, "out of memory");
        return NULL;
    }
    m->c = *c;
    pthread_once(&blas_once, blas_load);
    if (!blas_ready) {
        set_err(err, errsz, "cannot load OpenBLAS: %s", blas_why);
        goto fail;
    }
    if (c->hidden == 0 || c->heads == 0 || c->hidden % c->heads != 0 || c->layers == 0 ||
        c->inter == 0 || c->vocab == 0 || c->max_pos == 0 || c->type_vocab == 0) {
        set_err(err, errsz, "bad model shape (hidden %zu, heads %zu)", c->hidden, c->heads);
        goto fail;
    }
    m->layer = calloc(c->layers, sizeof *m->layer);
    if (!m->layer) {
        set_err(err, errsz, "out of memory");
        goto fail;
    }
    m->st = sft_open(path, why, sizeof why);
    if (!m->st) {
        set_err(err, errsz, "model.safetensors: %s", why);
        goto fail;
    }
    if (load_weights(m, why, sizeof why) != 0) {
        set_err(err, errsz, "model.safetensors: %s", why);
        goto fail;
    }
    return m;
fail:
    bert_free(m);
    return NULL;
}

void bert_free(bert_model *m)
{
    if (!m)
        return;
    sft_close(m->st);
    free(m->layer);
    free(m);
}

/* ---- maths ---------------------------------------------------------------- */

/* y[rows, out] = x[rows, in] · Wᵀ + b (W is [out, in]). */
static void linear(const float *x, size_t rows, size_t in, const float *w, const float *b,
                   size_t out, float *y)
{
    for (size_t r = 0; r < rows; r++)
        memcpy(y + r * out, b, out * sizeof *y);
    blas.sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)rows, (int)out, (int)in, 1.0f, x,
                (int)in, w, (int)in, 1.0f, y, (int)out);
}

/* x[r] = LN(x[r] + res[r]) over rows of n. */
static void add_layer_norm(float *x, const float *res, size_t rows, size_t n, const float *g,
                           const float *b, float eps)
{
    for (size_t r = 0; r < rows; r++) {
        float *v = x + r * n;
        double sum = 0.0, var = 0.0;
        if (res)
            for (size_t i = 0; i < n; i++)
                v[i] += res[r * n + i];
        for (size_t i = 0; i < n; i++)
            sum += v[i];
        float mean = (float)(sum / (double)n);
        for (size_t i = 0; i < n; i++) {
            float d = v[i] - mean;
            var += (double)d * d;
        }
        float inv = (float)(1.0 / sqrt(var / (double)n + (double)eps));
        for (size_t i = 0; i < n; i++)
            v[i] = (v[i] - mean) * inv * g[i] + b[i];
    }
}

static void gelu(float *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        x[i] = 0.5f * x[i] * (1.0f + erff(x[i] * (float)M_SQRT1_2));
}

static void softmax_rows(float *s, size_t rows, size_t n)
{
    for (size_t r = 0; r < rows; r++) {
        float *v = s + r * n, mx = v[0], sum = 0.0f;
        for (size_t i = 1; i < n; i++)
            mx = v[i] > mx ? v[i] : mx;
        for (size_t i = 0; i < n; i++) {
            v[i] = expf(v[i] - mx);
            sum += v[i];
        }
        float inv = 1.0f / sum;
        for (size_t i = 0; i < n; i++)
            v[i] *= inv;
    }
}

/* ctx rows of one sequence (rows at offset o, length n), every head. */
static void attention(const bert_model *m, scratch *s, size_t o, size_t n)
{
    size_t H = m->c.hidden, d = H / m->c.heads;
    float scale = 1.0f / sqrtf((float)d);
    for (size_t h = 0; h < m->c.heads; h++) {
        const float *q = s->q + o * H + h * d, *k = s->k + o * H + h * d;
        const float *v = s->v + o * H + h * d;
        blas.sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)n, (int)n, (int)d, scale, q,
                    (int)H, k, (int)H, 0.0f, s->scores, (int)n);
        softmax_rows(s->scores, n, n);
        blas.sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)n, (int)d, (int)n, 1.0f,
                    s->scores, (int)n, v, (int)H, 0.0f, s->ctx + o * H + h * d, (int)H);
    }
}

static void layer_forward(const bert_model *m, const bert_layer *L, scratch *s, size_t rows,
                          const size_t *lens, size_t n)
{
    size_t H = m->c.hidden, F = m->c.inter, o = 0;
    linear(s->x, rows, H, L->qw, L->qb, H, s->q);
    linear(s->x, rows, H, L->kw, L->kb, H, s->k);
    linear(s->x, rows, H, L->vw, L->vb, H, s->v);
    for (size_t i = 0; i < n; o += lens[i++])
        attention(m, s, o, lens[i]);
    linear(s->ctx, rows, H, L->ow, L->ob, H, s->tmp);
    add_layer_norm(s->x, s->tmp, rows, H, L->ln1g, L->ln1b, m->c.eps);
    linear(s->x, rows, H, L->iw, L->ib, F, s->inter);
    gelu(s->inter, rows * F);
    linear(s->inter, rows, F, L->w2, L->b2, H, s->tmp);
    add_layer_norm(s->x, s->tmp, rows, H, L->ln2g, L->ln2b, m->c.eps);
}

static void embed_tokens(const bert_model *m, const int32_t *const *ids, const size_t *lens,
                         size_t n, float *x)
{
    size_t H = m->c.hidden;
    for (size_t i = 0; i < n; i++) {
        for (size_t p = 0; p < lens[i]; p++, x += H) {
            const float *w = m->word + (size_t)ids[i][p] * H, *pe = m->pos + p * H;
            for (size_t j = 0; j < H; j++)
                x[j] = w[j] + pe[j] + m->type[j];
        }
    }
}

/* Mean of each sequence's rows, L2-normalised (eps 1e-12 as F.normalize). */
static void pool(const float *x, const size_t *lens, size_t n, size_t H, float *out)
{
    for (size_t i = 0; i < n; i++, out += H) {
        double ss = 0.0;
        for (size_t j = 0; j < H; j++)
            out[j] = 0.0f;
        for (size_t p = 0; p < lens[i]; p++, x += H)
            for (size_t j = 0; j < H; j++)
                out[j] += x[j];
        for (size_t j = 0; j < H; j++)
            ss += (double)out[j] * out[j];
        double norm = sqrt(ss);
        float inv = (float)(1.0 / (norm > 1e-12 ? norm : 1e-12));
        for (size_t j = 0; j < H; j++)
            out[j] *= inv;
    }
}

static int check_input(const bert_model *m, const int32_t *const *ids, const size_t *lens,
                       size_t n, size_t *rows, size_t *longest, char *err, size_t errsz)
{
    *rows = 0;
    *longest = 0;
    for (size_t i = 0; i < n; i++) {
        if (lens[i] == 0 || lens[i] > m->c.max_pos) {
            set_err(err, errsz, "sequence of %zu tokens (1 to %zu allowed)", lens[i],
                    m->c.max_pos);
            return -1;
        }
        for (size_t p = 0; p < lens[i]; p++) {
            if (ids[i][p] < 0 || (size_t)ids[i][p] >= m->c.vocab) {
                set_err(err, errsz, "token id %d outside the vocabulary", (int)ids[i][p]);
                return -1;
            }
        }
        *rows += lens[i];
        *longest = lens[i] > *longest ? lens[i] : *longest;
    }
    return 0;
}

int bert_encode(const bert_model *m, const int32_t *const *ids, const size_t *lens, size_t n,
                float *out, char *err, size_t errsz)
{
    size_t rows, longest, H = m->c.hidden;
    scratch s;
    float *block = NULL;
    int rc = -1;
    if (n == 0)
        return 0;
    if (check_input(m, ids, lens, n, &rows, &longest, err, errsz) != 0)
        return -1;
    /* 6 row × H matrices, one row × I, one longest² (bounded by the
     * callers' batch limits, so no overflow). */
    size_t total = 6 * rows * H + rows * m->c.inter + longest * longest;
    block = malloc(total * sizeof *block);
    if (!block) {
        set_err(err, errsz, "out of memory");
        goto out;
    }
    s.x = block;
    s.q = s.x + rows * H;
    s.k = s.q + rows * H;
    s.v = s.k + rows * H;
    s.ctx = s.v + rows * H;
    s.tmp = s.ctx + rows * H;
    s.inter = s.tmp + rows * H;
    s.scores = s.inter + rows * m->c.inter;
    embed_tokens(m, ids, lens, n, s.x);
    add_layer_norm(s.x, NULL, rows, H, m->lng, m->lnb, m->c.eps);
    for (size_t l = 0; l < m->c.layers; l++)
        layer_forward(m, &m->layer[l], &s, rows, lens, n);
    pool(s.x, lens, n, H, out);
    rc = 0;
out:
    free(block);
    return rc;
}
