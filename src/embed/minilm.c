/* minilm.c — the "minilm" embedder (see minilm.h): reads and checks the
 * sentence-transformers folder, then embeds texts by tokenizing them
 * (wordpiece.c) and running the encoder (bert.c) in passes of at most
 * PASS_ROWS tokens, so scratch memory stays bounded (about 30 MB for
 * MiniLM) whatever the batch. The loaded model is read-only and shared by
 * all threads; every embed() call allocates its own ids and scratch.
 *
 * Every JSON file is read whole with a size cap and parsed with integers
 * as reals (tokenizer_config.json may hold model_max_length = 1e30). */
#include "embed/minilm.h"
#include "util/errmsg.h"

#include "embed/bert.h"
#include "embed/wordpiece.h"
#include "util/oom.h"

#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JSON_FILE_MAX (1u << 20)
#define PASS_ROWS 2048          /* tokens per forward pass */
#define PASS_SEQS 64            /* sequences per forward pass */
#define DEFAULT_MAX_LEN 512

typedef struct minilm {
    bert_model *bert;
    wp_vocab *vocab;
    size_t max_len;             /* tokens per text, [CLS] and [SEP] included */
} minilm;

/* ---- files ---------------------------------------------------------------- */

static void join(char *out, size_t outsz, const char *dir, const char *name)
{
    snprintf(out, outsz, "%s/%s", dir, name);
}

static int file_exists(const char *dir, const char *name)
{
    char p[PATH_MAX];
    FILE *f;
    join(p, sizeof p, dir, name);
    f = fopen(p, "rb");
    if (f)
        fclose(f);
    return f != NULL;
}

/* Parses dir/name; NULL (err set) when unreadable, too big or not a JSON
 * object, or — when optional — NULL with err empty if the file is absent. */
/* dir/name parsed, which must be an object (want JSON_OBJECT) or a list
 * (JSON_ARRAY); NULL with err set when it is not, or NULL with err empty
 * when an optional file is absent. */
static json_t *load_json(const char *dir, const char *name, int optional, json_type want,
                         char *err, size_t errsz)
{
    char p[PATH_MAX];
    json_error_t je;
    json_t *j = NULL;
    char *buf = NULL;
    size_t len;
    FILE *f;
    err[0] = '\0';
    join(p, sizeof p, dir, name);
    f = fopen(p, "rb");
    if (!f) {
        if (!optional)
            set_err(err, errsz, "%s is missing", name);
        return NULL;
    }
    buf = malloc(JSON_FILE_MAX + 1);
    if (!buf) {
        set_err(err, errsz, "out of memory");
        goto out;
    }
    len = fread(buf, 1, JSON_FILE_MAX + 1, f);
    if (ferror(f) || len > JSON_FILE_MAX) {
        set_err(err, errsz, "%s is unreadable or larger than 1 MiB", name);
        goto out;
    }
    j = json_parse(buf, len, JSON_DECODE_INT_AS_REAL, &je);
    if (!j || (!json_is_object(j) && !json_is_array(j))) {
        set_err(err, errsz, "%s: not JSON (%s, line %d)", name, j ? "not an object" : je.text,
                je.line);
        json_decref(j);
        j = NULL;
    } else if (json_typeof(j) != want) {
        set_err(err, errsz, want == JSON_OBJECT ? "%s is not an object" : "%s is not a list",
                name);
        json_decref(j);
        j = NULL;
    }
out:
    free(buf);
    fclose(f);
    return j;
}

/* obj[key] as an integer in [lo, hi]; *out unchanged when absent and
 * optional. */
static int get_int(const json_t *obj, const char *file, const char *key, int optional,
                   double lo, double hi, size_t *out, char *err, size_t errsz)
{
    const json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v)) {
        if (optional)
            return 0;
        set_err(err, errsz, "%s: %s is missing", file, key);
        return -1;
    }
    double d = json_number_value(v);
    if (!json_is_number(v) || d != floor(d) || d < lo || d > hi) {
        set_err(err, errsz, "%s: %s must be an integer from %.0f to %.0f", file, key, lo, hi);
        return -1;
    }
    *out = (size_t)d;
    return 0;
}

static int get_bool(const json_t *obj, const char *file, const char *key, bool *out, char *err,
                    size_t errsz)
{
    const json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_boolean(v)) {
        set_err(err, errsz, "%s: %s must be true or false", file, key);
        return -1;
    }
    *out = json_is_true(v);
    return 0;
}

/* An optional string setting of config.json that, when present, must be
 * want (the only architecture the encoder implements). */
static bool str_is(const json_t *j, const char *key, const char *want, char *err, size_t errsz)
{
    const json_t *v = json_object_get(j, key);
    if (!v || (json_is_string(v) && strcmp(json_string_value(v), want) == 0))
        return true;
    set_err(err, errsz, "config.json: %s must be \"%s\"", key, want);
    return false;
}

/* ---- config.json ------------------------------------------------------------ */

static int read_config(const char *dir, bert_config *c, char *err, size_t errsz)
{
    static const char F[] = "config.json";
    json_t *j = load_json(dir, F, 0, JSON_OBJECT, err, errsz);
    const json_t *v;
    int rc = -1;
    if (!j)
        return -1;
    if (!str_is(j, "model_type", "bert", err, errsz) ||
        !str_is(j, "hidden_act", "gelu", err, errsz) ||
        !str_is(j, "position_embedding_type", "absolute", err, errsz))
        goto out;
    c->type_vocab = 2;
    if (get_int(j, F, "hidden_size", 0, 1, 8192, &c->hidden, err, errsz) ||
        get_int(j, F, "num_hidden_layers", 0, 1, 128, &c->layers, err, errsz) ||
        get_int(j, F, "num_attention_heads", 0, 1, 256, &c->heads, err, errsz) ||
        get_int(j, F, "intermediate_size", 0, 1, 65536, &c->inter, err, errsz) ||
        get_int(j, F, "vocab_size", 0, 1, WP_MAX_VOCAB, &c->vocab, err, errsz) ||
        get_int(j, F, "max_position_embeddings", 0, 2, 8192, &c->max_pos, err, errsz) ||
        get_int(j, F, "type_vocab_size", 1, 1, 64, &c->type_vocab, err, errsz))
        goto out;
    if (c->hidden % c->heads != 0) {
        set_err(err, errsz, "config.json: hidden_size is not a multiple of num_attention_heads");
        goto out;
    }
    c->eps = 1e-12f;
    v = json_object_get(j, "layer_norm_eps");
    if (v) {
        double e = json_number_value(v);
        if (!json_is_number(v) || !(e > 0.0 && e < 1.0)) {
            set_err(err, errsz, "config.json: layer_norm_eps must be a number in (0, 1)");
            goto out;
        }
        c->eps = (float)e;
    }
    rc = 0;
out:
    json_decref(j);
    return rc;
}

/* ---- tokenizer settings ----------------------------------------------------- */

/* A special token: "…" or {"content": "…"} (newer tokenizer configs). */
static int get_token(const json_t *obj, const char *key, char *out, size_t outsz, char *err,
                     size_t errsz)
{
    const json_t *v = json_object_get(obj, key);
    if (json_is_object(v))
        v = json_object_get(v, "content");
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_string(v) || json_string_length(v) >= outsz ||
        strlen(json_string_value(v)) != json_string_length(v)) {
        set_err(err, errsz, "tokenizer_config.json: %s must be a short string", key);
        return -1;
    }
    snprintf(out, outsz, "%s", json_string_value(v));
    return 0;
}

static int read_tokenizer_config(const char *dir, wp_options *o, size_t *max_len, char *err,
                                 size_t errsz)
{
    static const char F[] = "tokenizer_config.json";
    json_t *j = load_json(dir, F, 1, JSON_OBJECT, err, errsz);
    const json_t *v;
    int rc = -1;
    if (!j)
        return err[0] ? -1 : 0;
    if (get_bool(j, F, "do_lower_case", &o->lower, err, errsz) ||
        get_bool(j, F, "tokenize_chinese_chars", &o->chinese, err, errsz))
        goto out;
    v = json_object_get(j, "strip_accents");
    if (v && !json_is_null(v) && !json_is_boolean(v)) {
        set_err(err, errsz, "%s: strip_accents must be null, true or false", F);
        goto out;
    }
    o->strip_accents = (!v || json_is_null(v)) ? -1 : json_is_true(v);
    if (get_token(j, "unk_token", o->unk, sizeof o->unk, err, errsz) ||
        get_token(j, "sep_token", o->sep, sizeof o->sep, err, errsz) ||
        get_token(j, "pad_token", o->pad, sizeof o->pad, err, errsz) ||
        get_token(j, "cls_token", o->cls, sizeof o->cls, err, errsz) ||
        get_token(j, "mask_token", o->mask, sizeof o->mask, err, errsz))
        goto out;
    /* "No limit" is written as a huge number: such values are ignored. */
    v = json_object_get(j, "model_max_length");
    if (json_is_number(v) && json_number_value(v) >= 2 && json_number_value(v) <= 1e6)
        *max_len = (size_t)json_number_value(v);
    rc = 0;
out:
    json_decref(j);
    return rc;
}

static int read_sbert_config(const char *dir, wp_options *o, size_t *max_len, char *err,
                             size_t errsz)
{
    static const char F[] = "sentence_bert_config.json";
    json_t *j = load_json(dir, F, 1, JSON_OBJECT, err, errsz);
    bool lower = false;
    int rc = -1;
    if (!j)
        return err[0] ? -1 : 0;
    if (get_int(j, F, "max_seq_length", 1, 2, 1e6, max_len, err, errsz) ||
        get_bool(j, F, "do_lower_case", &lower, err, errsz))
        goto out;
    if (lower)
        o->lower = true;
    rc = 0;
out:
    json_decref(j);
    return rc;
}

/* ---- pooling ---------------------------------------------------------------- */

static int check_pooling_file(const char *dir, const char *path, char *err, size_t errsz)
{
    static const char *const OTHER[] = {"pooling_mode_cls_token", "pooling_mode_max_tokens",
                                        "pooling_mode_mean_sqrt_len_tokens",
                                        "pooling_mode_weightedmean_tokens",
                                        "pooling_mode_lasttoken"};
    char name[PATH_MAX];
    bool mean = false, other = false;
    json_t *j;
    int rc = -1;
    snprintf(name, sizeof name, "%s%sconfig.json", path, path[0] ? "/" : "");
    j = load_json(dir, name, 0, JSON_OBJECT, err, errsz);
    if (!j)
        return -1;
    if (get_bool(j, name, "pooling_mode_mean_tokens", &mean, err, errsz))
        goto out;
    for (size_t i = 0; i < sizeof OTHER / sizeof *OTHER; i++) {
        bool b = false;
        if (get_bool(j, name, OTHER[i], &b, err, errsz))
            goto out;
        other = other || b;
    }
    if (!mean || other) {
        set_err(err, errsz, "%s: only mean pooling (pooling_mode_mean_tokens alone) is "
                            "supported", name);
        goto out;
    }
    rc = 0;
out:
    json_decref(j);
    return rc;
}

static int check_module(const char *dir, const json_t *m, char *err, size_t errsz)
{
    const char *type = json_string_value(json_object_get(m, "type"));
    const char *path = json_string_value(json_object_get(m, "path"));
    if (!type || !path || strstr(path, "..")) {
        set_err(err, errsz, "modules.json: every module needs a type and a relative path");
        return -1;
    }
    if (strstr(type, "models.Pooling"))
        return check_pooling_file(dir, path, err, errsz);
    if (strstr(type, "models.Transformer") || strstr(type, "models.Normalize"))
        return 0;
    set_err(err, errsz, "modules.json: module %s is not supported (only Transformer, "
                        "Pooling with mean tokens, Normalize)", type);
    return -1;
}

/* modules.json when present, else 1_Pooling/config.json when present. */
static int check_pooling(const char *dir, char *err, size_t errsz)
{
    json_t *j = load_json(dir, "modules.json", 1, JSON_ARRAY, err, errsz);
    int rc = -1;
    if (!j) {
        if (err[0])
            return -1;
        return file_exists(dir, "1_Pooling/config.json")
                   ? check_pooling_file(dir, "1_Pooling", err, errsz) : 0;
    }
    for (size_t i = 0; i < json_array_size(j); i++)
        if (check_module(dir, json_array_get(j, i), err, errsz) != 0)
            goto out;
    rc = 0;
out:
    json_decref(j);
    return rc;
}

/* ---- the embedder ------------------------------------------------------------ */

static int embed_pass(const minilm *m, const char *const *texts, size_t n, int32_t *ids,
                      float *out, char *err, size_t errsz)
{
    const int32_t *rows[PASS_SEQS];
    size_t lens[PASS_SEQS];
    for (size_t i = 0; i < n; i++) {
        rows[i] = ids + i * m->max_len;
        lens[i] = wp_encode(m->vocab, texts[i], strlen(texts[i]), ids + i * m->max_len,
                            m->max_len);
    }
    return bert_encode(m->bert, rows, lens, n, out, err, errsz);
}

/* Embeds texts[0..n) in passes; its own ids buffer. */
static int embed_range(const minilm *m, const char *const *texts, size_t n, float *out,
                       size_t dim, char *err, size_t errsz)
{
    size_t per_pass = PASS_ROWS / m->max_len;
    int32_t *ids;
    int rc = -1;
    per_pass = per_pass < 1 ? 1 : per_pass > PASS_SEQS ? PASS_SEQS : per_pass;
    ids = malloc(per_pass * m->max_len * sizeof *ids);
    if (!ids) {
        set_err(err, errsz, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < n; i += per_pass) {
        size_t k = n - i < per_pass ? n - i : per_pass;
        if (embed_pass(m, texts + i, k, ids, out + i * dim, err, errsz) != 0)
            goto out;
    }
    rc = 0;
out:
    free(ids);
    return rc;
}

typedef struct half_job {
    const minilm *m;
    const char *const *texts;
    size_t n, dim;
    float *out;
    int rc;
    char err[256];
} half_job;

static void *half_main(void *arg)
{
    half_job *j = arg;
    j->rc = embed_range(j->m, j->texts, j->n, j->out, j->dim, j->err, sizeof j->err);
    return NULL;
}

/* Batches are split in two halves, the second on a thread of its own:
 * with single-threaded BLAS this beats OpenBLAS's own two threads by about
 * a quarter (attention and the element-wise steps run in parallel too).
 * A single text runs on the calling thread. */
static int minilm_embed(const embedder *e, const char *const *texts, size_t n, float *out,
                        char *err, size_t errsz)
{
    const minilm *m = e->impl;
    pthread_t th;
    if (n == 0)
        return 0;
    if (emb_check_args(texts, n, out, err, errsz) != 0)
        return -1;
    size_t first = n / 2;
    half_job j = {m, texts + first, n - first, e->dim, out + first * e->dim, -1, ""};
    if (n < 2 || pthread_create(&th, NULL, half_main, &j) != 0)
        return embed_range(m, texts, n, out, e->dim, err, errsz);
    int rc = embed_range(m, texts, first, out, e->dim, err, errsz);
    pthread_join(th, NULL);
    if (rc == 0 && j.rc != 0) {
        set_err(err, errsz, "%s", j.err);
        rc = -1;
    }
    return rc;
}

static void minilm_free(minilm *m)
{
    if (!m)
        return;
    bert_free(m->bert);
    wp_free(m->vocab);
    free(m);
}

static void minilm_destroy(embedder *e)
{
    minilm_free(e->impl);
    free(e);
}

size_t emb_minilm_max_len(const embedder *e)
{
    return ((const minilm *)e->impl)->max_len;
}

/* "minilm:<last path component of the resolved folder>". */
static void make_name(const char *dir, char *out, size_t outsz)
{
    char real[PATH_MAX];
    const char *base = realpath(dir, real) ? real : dir;
    size_t len = strlen(base);
    while (len > 1 && base[len - 1] == '/')
        len--;
    size_t start = len;
    while (start > 0 && base[start - 1] != '/')
        start--;
    snprintf(out, outsz, "minilm:%.*s", (int)(len - start), base + start);
}

static minilm *load(const char *dir, char *err, size_t errsz)
{
    minilm *m = calloc(1, sizeof *m);
    bert_config c;
    wp_options o;
    size_t max_len = DEFAULT_MAX_LEN;
    char p[PATH_MAX], why[256];
    if (!m) {
        set_err(err, errsz, "out of memory");
        return NULL;
    }
    wp_options_default(&o);
    if (read_config(dir, &c, err, errsz) || read_tokenizer_config(dir, &o, &max_len, err, errsz) ||
        read_sbert_config(dir, &o, &max_len, err, errsz) || check_pooling(dir, err, errsz))
        goto fail;
    m->max_len = max_len < c.max_pos ? max_len : c.max_pos;
    join(p, sizeof p, dir, "vocab.txt");
    m->vocab = wp_vocab_load(p, &o, why, sizeof why);
    if (!m->vocab) {
        set_err(err, errsz, "%s", why);
        goto fail;
    }
    if (wp_size(m->vocab) > c.vocab) {
        set_err(err, errsz, "vocab.txt has %zu pieces but config.json's vocab_size is %zu",
                wp_size(m->vocab), c.vocab);
        goto fail;
    }
    join(p, sizeof p, dir, "model.safetensors");
    m->bert = bert_load(p, &c, err, errsz);
    if (!m->bert)
        goto fail;
    return m;
fail:
    minilm_free(m);
    return NULL;
}

embedder *emb_minilm_new(const char *dir, char *err, size_t errsz)
{
    char why[384];
    embedder *e;
    minilm *m;
    if (!dir || !dir[0] || strlen(dir) > PATH_MAX - 64) {
        set_err(err, errsz, "no model folder");
        return NULL;
    }
    m = load(dir, why, sizeof why);
    if (!m) {
        set_err(err, errsz, "model folder %s: %s", dir, why);
        return NULL;
    }
    e = calloc(1, sizeof *e);
    if (!e) {
        minilm_free(m);
        set_err(err, errsz, "out of memory");
        return NULL;
    }
    /* Our threads split batches; BLAS calls stay on the calling thread. */
    bert_set_threads(1);
    make_name(dir, e->name, sizeof e->name);
    e->dim = bert_cfg(m->bert)->hidden;
    e->embed = minilm_embed;
    e->destroy = minilm_destroy;
    e->impl = m;
    return e;
}
