/* hash_bench.c — times the hashing embedder (the default) on 5 MB texts, for
 * bench/bench.py (which builds it against build/libchimera.a): pseudo-random
 * words (many distinct features), one 5 MB word, and 5 MB of random bytes,
 * each the median of five runs. Prints one JSON object of seconds. These
 * timings were a unit test's assertion once; a busy machine made it fail, so
 * they are measured here instead. */
#include "embed/embedder.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define LEN ((size_t)5 << 20)
#define RUNS 5
#define DIM 384

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median_embed(const embedder *e, const char *t)
{
    double s[RUNS];
    float v[DIM];
    char err[128];
    for (int i = 0; i < RUNS; i++) {
        double t0 = now();
        if (emb_one(e, t, v, err, sizeof err) != 0) {
            fprintf(stderr, "embed failed: %s\n", err);
            exit(1);
        }
        s[i] = now() - t0;
    }
    qsort(s, RUNS, sizeof *s, cmp_double);
    return s[RUNS / 2];
}

int main(void)
{
    embedder *e = emb_hash_new();
    char *t = malloc(LEN + 1);
    uint64_t x = 88172645463325252ull;
    if (!e || !t)
        return 1;
    for (size_t i = 0; i < LEN; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        t[i] = (x % 7 == 0) ? ' ' : (char)('a' + x % 26);
    }
    t[LEN] = '\0';
    double words = median_embed(e, t);
    memset(t, 'q', LEN);
    double word = median_embed(e, t);
    for (size_t i = 0; i < LEN; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        t[i] = (char)(1 + x % 255);
    }
    double bytes = median_embed(e, t);
    printf("{\"words_s\": %.4f, \"one_word_s\": %.4f, \"random_bytes_s\": %.4f}\n", words, word,
           bytes);
    free(t);
    emb_free(e);
    return 0;
}
