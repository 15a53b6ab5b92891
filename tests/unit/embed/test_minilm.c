/* test_minilm.c — unit tests for src/embed/minilm.c and bert.c: the C
 * embedder against the numpy reference of tests/fakes/make_tiny_bert.py
 * (tiny random BERTs: F32, F16 with the "bert." prefix, BF16 with a short
 * max_seq_length), one text at a time and in batches of mixed lengths;
 * name and dimension; empty, hostile and huge texts; threads; and model
 * folders that are missing, partial or wrong, each a clear error. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>
#include <limits.h>
#include <sys/stat.h>
#include <cmocka.h>
#include <jansson.h>

#include "config.h"
#include "embed/bert.h"
#include "embed/embedder.h"
#include "embed/minilm.h"
#include "embed/select.h"

#define TOL 1e-4

static char TMP[64];

/* Runs the generator into TMP/name with extra arguments. */
static void make_model(const char *name, const char *args, char *dir, size_t dirsz)
{
    char cmd[512];
    snprintf(dir, dirsz, "%s/%s", TMP, name);
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 tests/fakes/make_tiny_bert.py --out %s %s", dir,
             args);
    if (system(cmd) != 0)
        fail_msg("generator failed: %s", cmd);
}

static int setup(void **state)
{
    (void)state;
    snprintf(TMP, sizeof TMP, "/tmp/test_minilm.XXXXXX");
    return mkdtemp(TMP) ? 0 : -1;
}

static int teardown(void **state)
{
    char cmd[128];
    (void)state;
    snprintf(cmd, sizeof cmd, "rm -rf %s", TMP);
    return system(cmd) == 0 ? 0 : -1;
}

static json_t *load_ref(const char *dir)
{
    char p[256];
    json_error_t je;
    snprintf(p, sizeof p, "%s/reference.json", dir);
    json_t *j = json_load_file(p, 0, &je);
    if (!j)
        fail_msg("reference.json: %s", je.text);
    return j;
}

static embedder *load(const char *dir)
{
    char err[512] = "";
    embedder *e = emb_minilm_new(dir, err, sizeof err);
    if (!e)
        fail_msg("load %s: %s", dir, err);
    return e;
}

static void assert_close(const float *got, const json_t *want, size_t dim, const char *what)
{
    assert_int_equal(json_array_size(want), dim);
    for (size_t d = 0; d < dim; d++) {
        double w = json_real_value(json_array_get(want, d));
        if (fabs(got[d] - w) > TOL)
            fail_msg("%s: component %zu is %.7f, reference %.7f", what, d, (double)got[d], w);
    }
}

static double norm(const float *v, size_t dim)
{
    double ss = 0.0;
    for (size_t i = 0; i < dim; i++)
        ss += (double)v[i] * v[i];
    return sqrt(ss);
}

/* Every reference sentence one at a time, then all in one batch (mixed
 * lengths from 2 to max_len tokens), then in a batch in reverse order. */
static void check_against_reference(const char *dir)
{
    embedder *e = load(dir);
    json_t *ref = load_ref(dir), *sent = json_object_get(ref, "sentences"),
           *vecs = json_object_get(ref, "vectors");
    size_t n = json_array_size(sent), dim = e->dim;
    const char **texts = calloc(n, sizeof *texts);
    float *out = calloc(n * dim, sizeof *out);
    char err[256];
    assert_non_null(texts);
    assert_non_null(out);
    assert_int_equal(dim, (size_t)json_integer_value(json_object_get(ref, "dim")));
    for (size_t i = 0; i < n; i++) {
        texts[i] = json_string_value(json_array_get(sent, i));
        assert_int_equal(emb_one(e, texts[i], out, err, sizeof err), 0);
        assert_close(out, json_array_get(vecs, i), dim, texts[i]);
    }
    assert_int_equal(e->embed(e, texts, n, out, err, sizeof err), 0);
    for (size_t i = 0; i < n; i++)
        assert_close(out + i * dim, json_array_get(vecs, i), dim, texts[i]);
    for (size_t i = 0; i < n / 2; i++) {
        const char *t = texts[i];
        texts[i] = texts[n - 1 - i];
        texts[n - 1 - i] = t;
    }
    assert_int_equal(e->embed(e, texts, n, out, err, sizeof err), 0);
    for (size_t i = 0; i < n; i++)
        assert_close(out + i * dim, json_array_get(vecs, n - 1 - i), dim, texts[i]);
    free(out);
    free(texts);
    json_decref(ref);
    emb_free(e);
}

static void test_reference_f32(void **state)
{
    char dir[128];
    (void)state;
    make_model("f32", "", dir, sizeof dir);
    check_against_reference(dir);
}

static void test_reference_f16_prefix(void **state)
{
    char dir[128];
    (void)state;
    make_model("f16", "--dtype f16 --prefix bert. --seed 7 --layers 3", dir, sizeof dir);
    check_against_reference(dir);
}

static void test_reference_bf16_short(void **state)
{
    char dir[128];
    (void)state;
    make_model("bf16", "--dtype bf16 --max-seq-length 16 --seed 3 --hidden 48 --heads 6",
               dir, sizeof dir);
    check_against_reference(dir);
    embedder *e = load(dir);
    assert_int_equal(emb_minilm_max_len(e), 16);
    emb_free(e);
}

static void test_reference_cased(void **state)
{
    char dir[128];
    (void)state;
    make_model("cased", "--cased --seed 11", dir, sizeof dir);
    check_against_reference(dir);
}

static void test_name_dim(void **state)
{
    char dir[128], alias[160];
    (void)state;
    make_model("all-MiniLM-tiny", "--no-reference", dir, sizeof dir);
    embedder *e = load(dir);
    assert_string_equal(e->name, "minilm:all-MiniLM-tiny");
    assert_int_equal(e->dim, 32);
    assert_int_equal(emb_minilm_max_len(e), 128);   /* max_position_embeddings */
    assert_null(e->request);
    emb_free(e);
    snprintf(alias, sizeof alias, "%s/", dir);      /* a trailing slash */
    e = load(alias);
    assert_string_equal(e->name, "minilm:all-MiniLM-tiny");
    emb_free(e);
}

static void test_hostile_texts(void **state)
{
    char dir[128], err[256];
    float v[32];
    (void)state;
    make_model("hostile", "--no-reference", dir, sizeof dir);
    embedder *e = load(dir);
    static const char *const T[] = {
        "", " ", "\xc3", "abc\xe2\x82", "\xed\xa0\x80 surrogate", "\xc0\x80 overlong",
        "\xf4\x90\x80\x80 too big", "\x80\x80\x80", "[CLS][SEP][PAD][MASK][UNK]", "[", "[CL",
        "\xef\xbf\xbd\xef\xbf\xbd", "\x01\x02\x03",
    };
    for (size_t i = 0; i < sizeof T / sizeof *T; i++) {
        assert_int_equal(emb_one(e, T[i], v, err, sizeof err), 0);
        assert_float_equal(norm(v, 32), 1.0, 1e-5);
    }
    /* Invalid bytes and controls are dropped: same as the clean text. */
    float a[32], b[32];
    assert_int_equal(emb_one(e, "hello world", a, err, sizeof err), 0);
    assert_int_equal(emb_one(e, "hel\xfflo wo\x01rld\xc3", b, err, sizeof err), 0);
    assert_memory_equal(a, b, sizeof a);
    const char *texts[2] = {"x", NULL};
    float two[64];
    assert_int_equal(e->embed(e, texts, 2, two, err, sizeof err), -1);
    assert_true(err[0] != '\0');
    assert_int_equal(e->embed(e, texts, 0, NULL, err, sizeof err), 0);
    texts[1] = "y";
    err[0] = '\0';
    assert_int_equal(e->embed(e, NULL, 2, two, err, sizeof err), -1);
    assert_string_equal(err, "no texts or no output");
    err[0] = '\0';
    assert_int_equal(e->embed(e, texts, 2, NULL, err, sizeof err), -1);
    assert_string_equal(err, "no texts or no output");
    emb_free(e);
    emb_free(NULL);
}

/* 5 MB texts stop being read at max_len tokens: words, one word, bytes. */
static void test_huge_text(void **state)
{
    char dir[128], err[256];
    size_t len = 5u << 20;
    char *t = malloc(len + 1);
    float v[32], w[32];
    uint64_t x = 88172645463325252ull;
    (void)state;
    assert_non_null(t);
    make_model("huge", "--no-reference", dir, sizeof dir);
    embedder *e = load(dir);
    for (size_t i = 0; i < len; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        t[i] = (x % 7 == 0) ? ' ' : (char)('a' + x % 26);
    }
    t[len] = '\0';
    assert_int_equal(emb_one(e, t, v, err, sizeof err), 0);
    t[4000] = '\0';     /* the same first 126 pieces */
    assert_int_equal(emb_one(e, t, w, err, sizeof err), 0);
    assert_memory_equal(v, w, sizeof v);
    t[4000] = 'a';
    memset(t, 'q', len);
    assert_int_equal(emb_one(e, t, v, err, sizeof err), 0);
    assert_float_equal(norm(v, 32), 1.0, 1e-5);
    for (size_t i = 0; i < len; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        t[i] = (char)(1 + x % 255);
    }
    assert_int_equal(emb_one(e, t, v, err, sizeof err), 0);
    assert_float_equal(norm(v, 32), 1.0, 1e-5);
    emb_free(e);
    free(t);
}

typedef struct job {
    const embedder *e;
    const float *want;
    int ok;
} job;

static const char *const THREAD_TEXTS[3] = {"threads share one model", "read only",
                                            "each call has its own scratch buffers"};

static void *thread_main(void *arg)
{
    job *j = arg;
    float v[3 * 32];
    j->ok = 1;
    for (int i = 0; i < 50; i++) {
        if (j->e->embed(j->e, THREAD_TEXTS, 3, v, NULL, 0) != 0)
            j->ok = 0;
        for (size_t k = 0; k < 3 * 32; k++)
            if (fabsf(v[k] - j->want[k]) > 1e-6f)
                j->ok = 0;
    }
    return NULL;
}

static void test_threads(void **state)
{
    char dir[128];
    float want[3 * 32];
    pthread_t th[4];
    job jobs[4];
    (void)state;
    make_model("threads", "--no-reference", dir, sizeof dir);
    embedder *e = load(dir);
    assert_int_equal(e->embed(e, THREAD_TEXTS, 3, want, NULL, 0), 0);
    for (size_t i = 0; i < 4; i++) {
        jobs[i] = (job){e, want, 0};
        assert_int_equal(pthread_create(&th[i], NULL, thread_main, &jobs[i]), 0);
    }
    for (size_t i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(jobs[i].ok, 1);
    }
    emb_free(e);
}

/* ---- broken folders ---------------------------------------------------- */

static void write_file(const char *dir, const char *name, const char *text)
{
    char p[256];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void write_bytes(const char *dir, const char *name, const void *data, size_t len)
{
    char p[256];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
}

static void remove_file(const char *dir, const char *name)
{
    char p[256];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    unlink(p);
}

/* Sets config.json's key to a JSON value. */
static void patch_config(const char *dir, const char *key, const char *value)
{
    char p[256];
    json_error_t je;
    snprintf(p, sizeof p, "%s/config.json", dir);
    json_t *j = json_load_file(p, 0, &je), *v = json_loads(value, JSON_DECODE_ANY, &je);
    assert_non_null(j);
    assert_non_null(v);
    json_object_set_new(j, key, v);
    assert_int_equal(json_dump_file(j, p, 0), 0);
    json_decref(j);
}

/* Removes config.json's key. */
static void unset_config(const char *dir, const char *key)
{
    char p[256];
    json_error_t je;
    snprintf(p, sizeof p, "%s/config.json", dir);
    json_t *j = json_load_file(p, 0, &je);
    assert_non_null(j);
    assert_int_equal(json_object_del(j, key), 0);
    assert_int_equal(json_dump_file(j, p, 0), 0);
    json_decref(j);
}

static void expect_error(const char *dir, const char *needle)
{
    char err[512] = "";
    embedder *e = emb_minilm_new(dir, err, sizeof err);
    if (e) {
        emb_free(e);
        fail_msg("%s: loaded, expected an error about \"%s\"", dir, needle);
    }
    if (!strstr(err, needle))
        fail_msg("error \"%s\" does not mention \"%s\"", err, needle);
}

static void fresh(const char *name, char *dir, size_t dirsz)
{
    make_model(name, "--no-reference", dir, dirsz);
}

static void test_bad_folders(void **state)
{
    char dir[128];
    (void)state;
    expect_error("/nonexistent/model", "config.json is missing");
    fresh("b1", dir, sizeof dir);
    remove_file(dir, "vocab.txt");
    expect_error(dir, "cannot open");
    fresh("b2", dir, sizeof dir);
    remove_file(dir, "model.safetensors");
    expect_error(dir, "model.safetensors");
    fresh("b3", dir, sizeof dir);
    write_file(dir, "vocab.txt", "[PAD]\n[CLS]\n[SEP]\nhello\n");
    expect_error(dir, "[UNK]");
    fresh("b4", dir, sizeof dir);
    patch_config(dir, "hidden_size", "48");
    expect_error(dir, "shape");
    fresh("b5", dir, sizeof dir);
    patch_config(dir, "num_hidden_layers", "3");
    expect_error(dir, "encoder.layer.2.attention.self.query.weight is missing");
    fresh("b6", dir, sizeof dir);
    patch_config(dir, "model_type", "\"roberta\"");
    expect_error(dir, "model_type");
    fresh("b7", dir, sizeof dir);
    patch_config(dir, "num_attention_heads", "5");
    expect_error(dir, "multiple");
    fresh("b8", dir, sizeof dir);
    patch_config(dir, "vocab_size", "10");
    expect_error(dir, "vocab_size");
    fresh("b9", dir, sizeof dir);
    patch_config(dir, "hidden_size", "\"big\"");
    expect_error(dir, "hidden_size");
    fresh("b10", dir, sizeof dir);
    write_file(dir, "1_Pooling/config.json", "{\"pooling_mode_cls_token\": true}");
    expect_error(dir, "mean pooling");
    fresh("b11", dir, sizeof dir);
    write_file(dir, "modules.json",
               "[{\"path\": \"2_Dense\", \"type\": \"sentence_transformers.models.Dense\"}]");
    expect_error(dir, "not supported");
    fresh("b12", dir, sizeof dir);
    write_file(dir, "config.json", "{\"hidden_size\": 32,");
    expect_error(dir, "not JSON");
    fresh("b13", dir, sizeof dir);
    write_bytes(dir, "model.safetensors", "\x10\x00\x00\x00\x00\x00\x00\x00{}", 10);
    expect_error(dir, "header length");
    fresh("b14", dir, sizeof dir);
    patch_config(dir, "hidden_act", "\"relu\"");
    expect_error(dir, "hidden_act");
    fresh("b15", dir, sizeof dir);
    write_file(dir, "tokenizer_config.json", "{\"do_lower_case\": \"yes\"}");
    expect_error(dir, "do_lower_case");
}

/* Every other rejection of a model folder: config.json's keys (one
 * patched at a time), the tokenizer's, sentence-transformers' and the
 * pooling modules' settings. key NULL: file is written with text. */
static const struct bad_case {
    const char *key, *value;        /* config.json patch */
    const char *file, *text;        /* or a whole file */
    const char *needle;
} BAD[] = {
    { "hidden_size", "null", NULL, NULL, "config.json: hidden_size is missing" },
    { "hidden_size", "2.5", NULL, NULL, "hidden_size must be an integer from 1 to 8192" },
    { "num_hidden_layers", "0", NULL, NULL, "num_hidden_layers must be an integer" },
    { "intermediate_size", "70000", NULL, NULL, "intermediate_size must be an integer" },
    { "max_position_embeddings", "1", NULL, NULL, "max_position_embeddings must be" },
    { "type_vocab_size", "0", NULL, NULL, "type_vocab_size must be an integer from 1 to 64" },
    { "position_embedding_type", "\"relative_key\"", NULL, NULL,
      "position_embedding_type must be \"absolute\"" },
    { "hidden_act", "1", NULL, NULL, "hidden_act must be \"gelu\"" },
    { "layer_norm_eps", "\"small\"", NULL, NULL, "layer_norm_eps must be a number in (0, 1)" },
    { "layer_norm_eps", "2", NULL, NULL, "layer_norm_eps must be a number in (0, 1)" },
    { "layer_norm_eps", "0", NULL, NULL, "layer_norm_eps must be a number in (0, 1)" },
    { NULL, NULL, "config.json", "[1, 2]", "config.json is not an object" },
    { NULL, NULL, "config.json", "\"text\"", "config.json: not JSON" },
    { NULL, NULL, "tokenizer_config.json", "{\"strip_accents\": \"yes\"}",
      "strip_accents must be null, true or false" },
    { NULL, NULL, "tokenizer_config.json", "{\"tokenize_chinese_chars\": 1}",
      "tokenize_chinese_chars must be true or false" },
    { NULL, NULL, "tokenizer_config.json", "{\"cls_token\": 5}",
      "cls_token must be a short string" },
    { NULL, NULL, "tokenizer_config.json", "{\"unk_token\": {\"content\": 7}}",
      "unk_token must be a short string" },
    { NULL, NULL, "tokenizer_config.json",
      "{\"sep_token\": \"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"}",
      "sep_token must be a short string" },
    { NULL, NULL, "tokenizer_config.json", "[]", "tokenizer_config.json is not an object" },
    { NULL, NULL, "sentence_bert_config.json", "{\"max_seq_length\": 1}",
      "max_seq_length must be an integer from 2" },
    { NULL, NULL, "sentence_bert_config.json", "{\"do_lower_case\": \"no\"}",
      "do_lower_case must be true or false" },
    { NULL, NULL, "modules.json", "{}", "modules.json is not a list" },
    { NULL, NULL, "modules.json", "[{\"type\": \"sentence_transformers.models.Pooling\"}]",
      "every module needs a type and a relative path" },
    { NULL, NULL, "modules.json",
      "[{\"path\": \"../up\", \"type\": \"sentence_transformers.models.Pooling\"}]",
      "every module needs a type and a relative path" },
    { NULL, NULL, "modules.json",
      "[{\"path\": \"\", \"type\": \"sentence_transformers.models.Pooling\"}]",
      "only mean pooling" },
    { NULL, NULL, "1_Pooling/config.json", "{\"pooling_mode_mean_tokens\": 1}",
      "pooling_mode_mean_tokens must be true or false" },
    { NULL, NULL, "1_Pooling/config.json",
      "{\"pooling_mode_mean_tokens\": true, \"pooling_mode_max_tokens\": \"no\"}",
      "pooling_mode_max_tokens must be true or false" },
    { "vocab_size", NULL, NULL, NULL, "config.json: vocab_size is missing" },
    { "num_attention_heads", "[4]", NULL, NULL, "num_attention_heads must be an integer" },
    { NULL, NULL, "tokenizer_config.json", "{\"pad_token\": \"[P\\u0000AD]\"}",
      "tokenizer_config.json: not JSON" },     /* a NUL inside a token: refused by the parser */
    { NULL, NULL, "tokenizer_config.json", "{\"pad_token\": 0}", "pad_token must be a short string" },
    { NULL, NULL, "tokenizer_config.json", "{\"mask_token\": [\"[MASK]\"]}",
      "mask_token must be a short string" },
    { NULL, NULL, "tokenizer_config.json", "{\"sep_token\": {\"content\": null, \"x\": 1},"
      " \"cls_token\": false}", "cls_token must be a short string" },
    { NULL, NULL, "sentence_bert_config.json", "[]", "sentence_bert_config.json is not an object" },
    { NULL, NULL, "sentence_bert_config.json", "{\"max_seq_length\": \"64\"}",
      "max_seq_length must be an integer from 2" },
    { NULL, NULL, "modules.json", "[1]", "every module needs a type and a relative path" },
    { NULL, NULL, "modules.json", "[{\"path\": \"1_Pooling\", \"type\": 5}]",
      "every module needs a type and a relative path" },
    { NULL, NULL, "modules.json", "[{\"path\": \"3_Missing\","
      " \"type\": \"sentence_transformers.models.Pooling\"}]", "3_Missing/config.json is missing" },
    { NULL, NULL, "1_Pooling/config.json", "{}", "only mean pooling" },
    { NULL, NULL, "1_Pooling/config.json",
      "{\"pooling_mode_mean_tokens\": true, \"pooling_mode_cls_token\": true}",
      "only mean pooling" },
    { NULL, NULL, "1_Pooling/config.json", "[true]", "1_Pooling/config.json is not an object" },
};

static void test_more_bad_folders(void **state)
{
    char dir[128], name[16];
    (void)state;
    for (size_t i = 0; i < sizeof BAD / sizeof BAD[0]; i++) {
        snprintf(name, sizeof name, "c%zu", i);
        fresh(name, dir, sizeof dir);
        if (BAD[i].key && !BAD[i].value) {
            unset_config(dir, BAD[i].key);
        } else if (BAD[i].key) {
            patch_config(dir, BAD[i].key, BAD[i].value);
        } else {
            if (strcmp(BAD[i].file, "1_Pooling/config.json") == 0)
                remove_file(dir, "modules.json");   /* the pooling file is read alone */
            write_file(dir, BAD[i].file, BAD[i].text);
        }
        expect_error(dir, BAD[i].needle);
    }
    /* past 1 MiB: not read at all */
    fresh("big", dir, sizeof dir);
    char *huge = malloc((2u << 20) + 1);
    assert_non_null(huge);
    memset(huge, ' ', 2u << 20);
    huge[2u << 20] = '\0';
    huge[0] = '{';
    huge[(2u << 20) - 1] = '}';
    write_file(dir, "config.json", huge);
    free(huge);
    expect_error(dir, "config.json is unreadable or larger than 1 MiB");
    /* a folder where the file should be: unreadable */
    fresh("dirfile", dir, sizeof dir);
    remove_file(dir, "tokenizer_config.json");
    char p[256];
    snprintf(p, sizeof p, "%s/tokenizer_config.json", dir);
    assert_int_equal(mkdir(p, 0700), 0);
    expect_error(dir, "tokenizer_config.json is unreadable or larger than 1 MiB");
}

/* No folder named, an empty name, a name too long for a path. */
static void test_no_folder(void **state)
{
    char err[256] = "";
    (void)state;
    assert_null(emb_minilm_new(NULL, err, sizeof err));
    assert_string_equal(err, "no model folder");
    err[0] = '\0';
    assert_null(emb_minilm_new("", err, sizeof err));
    assert_string_equal(err, "no model folder");
    char *long_dir = malloc(PATH_MAX);
    assert_non_null(long_dir);
    memset(long_dir, 'a', PATH_MAX - 1);
    long_dir[PATH_MAX - 1] = '\0';
    err[0] = '\0';
    assert_null(emb_minilm_new(long_dir, err, sizeof err));
    assert_string_equal(err, "no model folder");
    free(long_dir);
}

/* Settings that load: a token written as {"content": …}, a tiny
 * layer_norm_eps, sentence-transformers lower-casing. */
static void test_settings_that_load(void **state)
{
    char dir[128];
    (void)state;
    fresh("ok1", dir, sizeof dir);
    patch_config(dir, "layer_norm_eps", "1e-5");
    write_file(dir, "tokenizer_config.json",
               "{\"cls_token\": {\"content\": \"[CLS]\"}, \"strip_accents\": false,"
               " \"mask_token\": null}");
    write_file(dir, "sentence_bert_config.json", "{\"do_lower_case\": true}");
    embedder *e = load(dir);
    assert_non_null(e);
    emb_free(e);
    /* optional settings absent or null; model_max_length not a usable number is ignored */
    fresh("ok2", dir, sizeof dir);
    unset_config(dir, "model_type");
    unset_config(dir, "layer_norm_eps");
    patch_config(dir, "type_vocab_size", "null");
    write_file(dir, "tokenizer_config.json",
               "{\"do_lower_case\": null, \"strip_accents\": true, \"pad_token\": null,"
               " \"model_max_length\": \"40\"}");
    write_file(dir, "sentence_bert_config.json", "{\"do_lower_case\": false}");
    e = load(dir);
    assert_int_equal(emb_minilm_max_len(e), 128);
    emb_free(e);
    write_file(dir, "tokenizer_config.json", "{\"model_max_length\": 1}");
    remove_file(dir, "sentence_bert_config.json");
    e = load(dir);
    assert_int_equal(emb_minilm_max_len(e), 128);
    emb_free(e);
}

/* A huge model_max_length ("no limit") is ignored; max_seq_length wins. */
static void test_max_len_settings(void **state)
{
    char dir[128];
    (void)state;
    fresh("m1", dir, sizeof dir);
    write_file(dir, "tokenizer_config.json",
               "{\"model_max_length\": 1000000000000000019884624838656}");
    embedder *e = load(dir);
    assert_int_equal(emb_minilm_max_len(e), 128);
    emb_free(e);
    write_file(dir, "tokenizer_config.json", "{\"model_max_length\": 40}");
    e = load(dir);
    assert_int_equal(emb_minilm_max_len(e), 40);
    emb_free(e);
    write_file(dir, "sentence_bert_config.json", "{\"max_seq_length\": 24}");
    e = load(dir);
    assert_int_equal(emb_minilm_max_len(e), 24);
    emb_free(e);
    remove_file(dir, "tokenizer_config.json");      /* optional */
    remove_file(dir, "modules.json");
    e = load(dir);
    assert_int_equal(emb_minilm_max_len(e), 24);
    emb_free(e);
}

/* The encoder's own checks: a model shape that cannot be, a file that is
 * not a BERT, sequences empty, too long or naming ids past the vocabulary. */
static void test_bert_direct(void **state)
{
    char dir[128], path[256], err[256] = "";
    json_error_t je;
    (void)state;
    fresh("bert", dir, sizeof dir);
    snprintf(path, sizeof path, "%s/config.json", dir);
    json_t *j = json_load_file(path, 0, &je);
    assert_non_null(j);
    bert_config c = {
        .layers = (size_t)json_integer_value(json_object_get(j, "num_hidden_layers")),
        .hidden = (size_t)json_integer_value(json_object_get(j, "hidden_size")),
        .heads = (size_t)json_integer_value(json_object_get(j, "num_attention_heads")),
        .inter = (size_t)json_integer_value(json_object_get(j, "intermediate_size")),
        .vocab = (size_t)json_integer_value(json_object_get(j, "vocab_size")),
        .max_pos = (size_t)json_integer_value(json_object_get(j, "max_position_embeddings")),
        .type_vocab = 2,
        .eps = 1e-12f,
    };
    json_decref(j);
    assert_true(c.hidden > 0 && c.vocab > 2 && c.max_pos > 2);
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    bert_config bad = c;
    bad.heads = 0;
    assert_null(bert_load(path, &bad, err, sizeof err));
    assert_non_null(strstr(err, "bad model shape"));
    bad = c;
    bad.type_vocab = 0;
    assert_null(bert_load(path, &bad, err, sizeof err));
    assert_non_null(strstr(err, "bad model shape"));
    bert_model *m = bert_load(path, &c, err, sizeof err);
    if (!m)
        fail_msg("bert_load: %s", err);
    float *out = calloc(c.hidden, sizeof *out);
    int32_t *ids = calloc(c.max_pos + 1, sizeof *ids);
    assert_true(out && ids);
    const int32_t *rows[1] = {ids};
    size_t len = 0;
    assert_int_equal(bert_encode(m, rows, &len, 0, out, err, sizeof err), 0);
    assert_int_equal(bert_encode(m, rows, &len, 1, out, err, sizeof err), -1);
    assert_non_null(strstr(err, "sequence of 0 tokens"));
    len = c.max_pos + 1;
    assert_int_equal(bert_encode(m, rows, &len, 1, out, err, sizeof err), -1);
    assert_non_null(strstr(err, "tokens (1 to"));
    len = 3;
    ids[0] = 1;
    ids[1] = (int32_t)c.vocab;
    ids[2] = 2;
    assert_int_equal(bert_encode(m, rows, &len, 1, out, err, sizeof err), -1);
    assert_non_null(strstr(err, "outside the vocabulary"));
    ids[1] = -1;
    assert_int_equal(bert_encode(m, rows, &len, 1, out, err, sizeof err), -1);
    assert_non_null(strstr(err, "token id -1 outside the vocabulary"));
    ids[1] = 3;
    assert_int_equal(bert_encode(m, rows, &len, 1, out, err, sizeof err), 0);
    double norm = 0;
    for (size_t i = 0; i < c.hidden; i++)
        norm += (double)out[i] * out[i];
    assert_true(fabs(norm - 1.0) < 1e-4);
    free(out);
    free(ids);
    bert_free(m);
    /* a safetensors file with no BERT in it */
    write_bytes(dir, "model.safetensors",
                "\x40\x00\x00\x00\x00\x00\x00\x00"
                "{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}          "
                "\x00\x00\x80\x3f", 8 + 64 + 4);
    assert_null(bert_load(path, &c, err, sizeof err));
    assert_non_null(strstr(err, "no embeddings.word_embeddings.weight"));
    expect_error(dir, "is it a BERT model?");
}

static void test_select(void **state)
{
    char err[256] = "", dir[128];
    (void)state;
    cfg.embedder = "minilm";
    cfg.embed_model_dir = NULL;
    assert_null(emb_from_config(err, sizeof err));
    assert_non_null(strstr(err, "CHIMERA_EMBED_MODEL_DIR"));
    fresh("sel", dir, sizeof dir);
    cfg.embed_model_dir = dir;
    embedder *e = emb_from_config(err, sizeof err);
    assert_non_null(e);
    assert_string_equal(e->name, "minilm:sel");
    emb_free(e);
    cfg.embedder = NULL;
    cfg.embed_model_dir = NULL;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reference_f32),
        cmocka_unit_test(test_reference_f16_prefix),
        cmocka_unit_test(test_reference_bf16_short),
        cmocka_unit_test(test_reference_cased),
        cmocka_unit_test(test_name_dim),
        cmocka_unit_test(test_hostile_texts),
        cmocka_unit_test(test_huge_text),
        cmocka_unit_test(test_threads),
        cmocka_unit_test(test_bad_folders),
        cmocka_unit_test(test_more_bad_folders),
        cmocka_unit_test(test_no_folder),
        cmocka_unit_test(test_settings_that_load),
        cmocka_unit_test(test_max_len_settings),
        cmocka_unit_test(test_bert_direct),
        cmocka_unit_test(test_select),
    };
    return cmocka_run_group_tests_name("embed/minilm", tests, setup, teardown);
}
