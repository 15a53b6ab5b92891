/* embed_bench.c — times the "minilm" embedder on a model folder, for
 * bench/minilm_bench.py (which builds it against build/libchimera.a):
 *   embed_bench MODEL_DIR
 * prints one JSON object: load time, single-text latency at 16 and 128
 * tokens (median of runs), texts/s in batches of 32 texts of 32 tokens,
 * and resident memory (VmRSS, VmHWM) with the model loaded. Token counts
 * are exact for the benchmark model's vocabulary ("the" is one piece). */
#include "embed/embedder.h"
#include "embed/minilm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* n - 2 words: [CLS] + n - 2 pieces + [SEP] = n tokens. */
static char *words(size_t n)
{
    char *t = malloc(4 * n + 1);
    size_t at = 0;
    if (!t)
        exit(1);
    for (size_t i = 0; i + 2 < n; i++)
        at += (size_t)snprintf(t + at, 4 * n + 1 - at, "%s", i ? " the" : "the");
    t[at] = '\0';
    return t;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double latency_ms(const embedder *e, size_t tokens, int runs)
{
    char *t = words(tokens), err[256];
    float *v = malloc(e->dim * sizeof *v);
    double *ms = malloc((size_t)runs * sizeof *ms);
    if (!v || !ms)
        exit(1);
    emb_one(e, t, v, err, sizeof err);          /* warm-up */
    for (int i = 0; i < runs; i++) {
        double t0 = now();
        if (emb_one(e, t, v, err, sizeof err) != 0) {
            fprintf(stderr, "embed: %s\n", err);
            exit(1);
        }
        ms[i] = (now() - t0) * 1e3;
    }
    qsort(ms, (size_t)runs, sizeof *ms, cmp_double);
    double med = ms[runs / 2];
    free(ms);
    free(v);
    free(t);
    return med;
}

static double batch_rate(const embedder *e, size_t batch, size_t tokens, double seconds)
{
    char *t = words(tokens), err[256];
    const char **texts = malloc(batch * sizeof *texts);
    float *out = malloc(batch * e->dim * sizeof *out);
    size_t done = 0;
    if (!texts || !out)
        exit(1);
    for (size_t i = 0; i < batch; i++)
        texts[i] = t;
    e->embed(e, texts, batch, out, err, sizeof err);   /* warm-up */
    double t0 = now(), el;
    do {
        if (e->embed(e, texts, batch, out, err, sizeof err) != 0) {
            fprintf(stderr, "embed: %s\n", err);
            exit(1);
        }
        done += batch;
        el = now() - t0;
    } while (el < seconds);
    free(out);
    free(texts);
    free(t);
    return (double)done / el;
}

static long status_kb(const char *key)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long v = -1;
    size_t klen = strlen(key);
    if (!f)
        return -1;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, key, klen) == 0 && line[klen] == ':')
            v = strtol(line + klen + 1, NULL, 10);
    fclose(f);
    return v;
}

int main(int argc, char **argv)
{
    char err[512];
    if (argc != 2) {
        fprintf(stderr, "usage: embed_bench MODEL_DIR\n");
        return 2;
    }
    double t0 = now();
    embedder *e = emb_minilm_new(argv[1], err, sizeof err);
    if (!e) {
        fprintf(stderr, "embed_bench: %s\n", err);
        return 1;
    }
    double load_s = now() - t0;
    long rss_loaded = status_kb("VmRSS");
    double l16 = latency_ms(e, 16, 50), l128 = latency_ms(e, 128, 20);
    double rate = batch_rate(e, 32, 32, 5.0);
    printf("{\"load_s\": %.3f, \"lat16_ms\": %.2f, \"lat128_ms\": %.2f, \"batch32x32_per_s\": %.1f,"
           " \"rss_loaded_kb\": %ld, \"rss_kb\": %ld, \"hwm_kb\": %ld, \"threads\": %ld}\n",
           load_s, l16, l128, rate, rss_loaded, status_kb("VmRSS"), status_kb("VmHWM"),
           status_kb("Threads") < 0 ? -1 : status_kb("Threads"));
    emb_free(e);
    return 0;
}
