/* search_bench.c — times the vector index's scan against the machine's
 * memory bandwidth, for bench/bench.py (which builds it against
 * build/libchimera.a):
 *   search_bench N [N ...]
 * For each N: N random unit rows of 384 floats loaded into an idx_snapshot
 * (load time), then per query (near a random row, top 10): a float32 scan
 * (vec_topk over contiguous rows) and idx_search (int8 scan with error
 * bounds + exact rescoring of the candidates, whose vectors a fetcher
 * reads here from the in-memory rows instead of the database), each the
 * median of runs, the candidates per search, and the int8 kernel alone
 * with every kernel the CPU has. Bandwidth: a read (sum of 64-bit words)
 * and a memcpy over 512 MiB, best of three. Prints one JSON object. */
#include "embed/index.h"
#include "embed/vec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DIM 384
#define RUNS 15
#define BW_BYTES ((size_t)512 << 20)

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t rng_state = 0x2545F4914F6CDD1Dull;

static float frand(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (float)((double)((rng_state * 0x2545F4914F6CDD1Dull) >> 11) / 9007199254740992.0
                   * 2.0 - 1.0);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, size_t n)
{
    qsort(v, n, sizeof *v, cmp_double);
    return v[n / 2];
}

/* GB/s reading (summing) and copying BW_BYTES; best of three. */
static void bandwidth(double *read_gbs, double *copy_gbs)
{
    uint64_t *a = malloc(BW_BYTES), *b = malloc(BW_BYTES);
    size_t words = BW_BYTES / sizeof *a;
    volatile uint64_t sink = 0;
    if (!a || !b)
        exit(1);
    memset(a, 1, BW_BYTES);
    memset(b, 2, BW_BYTES);
    *read_gbs = *copy_gbs = 0;
    for (int run = 0; run < 3; run++) {
        double t0 = now();
        uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        for (size_t i = 0; i < words; i += 4) {
            s0 += a[i];
            s1 += a[i + 1];
            s2 += a[i + 2];
            s3 += a[i + 3];
        }
        sink += s0 + s1 + s2 + s3;
        double t1 = now();
        memcpy(b, a, BW_BYTES);
        double t2 = now();
        sink += b[words / 3];
        if (BW_BYTES / (t1 - t0) / 1e9 > *read_gbs)
            *read_gbs = BW_BYTES / (t1 - t0) / 1e9;
        /* a copy reads and writes every byte */
        if (2.0 * BW_BYTES / (t2 - t1) / 1e9 > *copy_gbs)
            *copy_gbs = 2.0 * BW_BYTES / (t2 - t1) / 1e9;
    }
    (void)sink;
    free(a);
    free(b);
}

typedef struct data {
    float *rows;
    size_t n;
} data;

static int load_all(void *ctx, idx_builder *b, int64_t since)
{
    const data *d = ctx;
    char id[40];
    (void)since;
    idx_set_state(b, 1, (int64_t)d->n, 0);
    for (size_t i = 0; i < d->n; i++) {
        snprintf(id, sizeof id, "memory-%012zx", i);
        if (idx_add(b, id, d->rows + i * DIM) != 0)
            return -1;
    }
    return 0;
}

/* Row i is "memory-<i in hex>", created at i, unchanged since generation 1. */
static int fetch_rows(void *ctx, const char *const *ids, size_t n, idx_fetch *f)
{
    const data *d = ctx;
    for (size_t k = 0; k < n; k++) {
        size_t i = (size_t)strtoull(ids[k] + 7, NULL, 16);
        if (i < d->n)
            idx_fetched(f, ids[k], d->rows + i * DIM, (int64_t)i, 1);
    }
    return 0;
}

static void near_row(const data *d, float *q)
{
    size_t r = (size_t)((frand() + 1.0f) * 0.5f * (float)(d->n - 1));
    for (size_t j = 0; j < DIM; j++)
        q[j] = d->rows[r * DIM + j] + frand() * 0.08f;
    vec_normalize(q, DIM);
}

static void bench_n(size_t n, int last)
{
    data d = { malloc(n * DIM * sizeof(float)), n };
    float q[DIM];
    vec_hit out[10];
    idx_hit hits[10];
    size_t nh;
    double t_float[RUNS], t_idx[RUNS], t_kern[RUNS];
    char wid[40];
    if (!d.rows)
        exit(1);
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < DIM; j++)
            d.rows[i * DIM + j] = frand();
        vec_normalize(d.rows + i * DIM, DIM);
    }
    snprintf(wid, sizeof wid, "bench-%zu", n);
    double t0 = now();
    idx_snapshot *s = idx_acquire(wid, 1, "bench", DIM, load_all, &d);
    double load_ms = (now() - t0) * 1e3;
    if (!s)
        exit(1);
    idx_stats st0, st1;
    idx_stats_get(&st0);
    for (int r = 0; r < RUNS; r++) {
        near_row(&d, q);
        t0 = now();
        vec_topk(q, d.rows, n, DIM, 10, out);
        t_float[r] = (now() - t0) * 1e3;
        t0 = now();
        if (idx_search(s, q, 10, fetch_rows, &d, 0, hits, &nh) != 0)
            exit(1);
        t_idx[r] = (now() - t0) * 1e3;
    }
    idx_stats_get(&st1);
    /* the int8 kernel alone over the same rows, per kernel */
    int8_t *q8 = malloc(n * DIM);
    int16_t q16[DIM];
    int32_t *dots = malloc(n * sizeof *dots);
    vec_query8 qq;
    if (!q8 || !dots)
        exit(1);
    for (size_t i = 0; i < n; i++) {
        float sc, e, no;
        vec_quantize(d.rows + i * DIM, DIM, q8 + i * DIM, &sc, &e, &no);
    }
    vec_quantize_query(q, DIM, q16, &qq);
    printf("%s\"%zu\": {\"load_ms\": %.1f, \"index_bytes\": %zu, \"float_scan_ms\": %.3f,"
           " \"idx_search_ms\": %.3f, \"candidates\": %.1f, \"runs\": %d, \"kernels\": {",
           "", n, load_ms, idx_bytes(s), median(t_float, RUNS), median(t_idx, RUNS),
           (double)(st1.candidates - st0.candidates) / RUNS, RUNS);
    static const char *const isas[] = {"portable", "avx2", "avx512bw"};
    int first = 1;
    for (size_t k = 0; k < 3; k++) {
        if (vec_force_isa(isas[k]) != 0)
            continue;
        for (int r = 0; r < RUNS; r++) {
            t0 = now();
            vec_dots_i8(q16, q8, n, DIM, dots);
            t_kern[r] = (now() - t0) * 1e3;
        }
        printf("%s\"%s\": %.3f", first ? "" : ", ", isas[k], median(t_kern, RUNS));
        first = 0;
    }
    vec_force_isa(NULL);
    printf("}}%s", last ? "" : ", ");
    free(q8);
    free(dots);
    idx_release(s);
    idx_drop(wid);
    free(d.rows);
}

int main(int argc, char **argv)
{
    double rd, cp;
    bandwidth(&rd, &cp);
    printf("{\"read_gbs\": %.2f, \"copy_gbs\": %.2f, \"kernel\": \"%s\", \"dim\": %d, \"sizes\": {",
           rd, cp, vec_isa(), DIM);
    for (int i = 1; i < argc; i++)
        bench_n((size_t)strtoull(argv[i], NULL, 10), i == argc - 1);
    printf("}}\n");
    return 0;
}
