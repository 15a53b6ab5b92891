/* test_vec.c — unit tests for src/embed/vec.c: vec_dot against a naive
 * double-precision reference for every dimension 0..1000 (and unaligned
 * rows), vec_normalize, and vec_topk against a full sort of all scores,
 * including k = 0, k > n, ties (lower row first) and NaN rows; the int8
 * quantisation (its stated error and norm bounds hold), vec_dots_i8 (every
 * SIMD path equals the portable one and an int64 reference, also at the
 * extreme values), and vec_quant_bound (never exceeded by the true gap
 * between a row's first-pass and exact score). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <float.h>
#include <cmocka.h>

#include "embed/vec.h"

/* xorshift64*: the same data on every run. */
static uint64_t rng_state = 0x2545F4914F6CDD1Dull;

static uint64_t rng(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1Dull;
}

/* Uniform in [-1, 1). */
static float frand(void)
{
    return (float)((double)(rng() >> 11) / 9007199254740992.0 * 2.0 - 1.0);
}

static size_t urand(size_t n)
{
    return n ? (size_t)(rng() % n) : 0;
}

static void fill(float *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        v[i] = frand();
}

/* |vec_dot - exact| within the rounding bound of eight interleaved float
 * sums of dim / 8 terms each (tight enough that dropping or doubling any
 * single product fails). */
static void check_dot(const float *a, const float *b, size_t dim)
{
    double ref = 0.0, mag = 0.0;
    for (size_t i = 0; i < dim; i++) {
        ref += (double)a[i] * b[i];
        mag += fabs((double)a[i] * b[i]);
    }
    double got = vec_dot(a, b, dim);
    double tol = FLT_EPSILON * (double)(dim / 8 + 8) * mag + 1e-30;
    if (fabs(got - ref) > tol)
        fail_msg("dim %zu: got %.9g want %.9g (tol %.3g)", dim, got, ref, tol);
}

static void test_dot_reference(void **state)
{
    (void)state;
    float *a = malloc(1001 * sizeof *a), *b = malloc(1001 * sizeof *b);
    assert_non_null(a);
    assert_non_null(b);
    for (size_t dim = 0; dim <= 1000; dim++) {
        fill(a, dim);
        fill(b, dim);
        check_dot(a, b, dim);
    }
    free(a);
    free(b);
}

static void test_dot_unaligned(void **state)
{
    (void)state;
    float a[400], b[400];
    fill(a, 400);
    fill(b, 400);
    for (size_t off = 0; off < 8; off++) {
        check_dot(a + off, b, 384);
        check_dot(a + off, b + 7 - off, 384);
        check_dot(a + off, b + off, 391 - off);
    }
}

static void test_dot_exact(void **state)
{
    (void)state;
    float a[19], b[19];
    for (size_t i = 0; i < 19; i++) {
        a[i] = (float)(i + 1);
        b[i] = 2.0f;
    }
    assert_true(vec_dot(a, b, 19) == 380.0f);
    assert_true(vec_dot(a, b, 0) == 0.0f);
    assert_true(vec_dot(a, a, 3) == 14.0f);
}

static void test_normalize(void **state)
{
    (void)state;
    float v[384];
    for (size_t dim = 1; dim <= 384; dim += 29) {
        fill(v, dim);
        double ss = 0.0;
        for (size_t i = 0; i < dim; i++)
            ss += (double)v[i] * v[i];
        float len = vec_normalize(v, dim);
        assert_float_equal(len, sqrt(ss), 1e-5 * sqrt(ss));
        assert_float_equal(vec_dot(v, v, dim), 1.0, 1e-5);
    }
    float w[3] = {3.0f, 0.0f, 4.0f};
    assert_float_equal(vec_normalize(w, 3), 5.0, 1e-6);
    assert_float_equal(w[0], 0.6, 1e-7);
    assert_float_equal(w[2], 0.8, 1e-7);
}

static void test_normalize_zero(void **state)
{
    (void)state;
    float z[16] = {0};
    assert_true(vec_normalize(z, 16) == 0.0f);
    for (size_t i = 0; i < 16; i++)
        assert_true(z[i] == 0.0f && !signbit(z[i]));
    assert_true(vec_normalize(z, 0) == 0.0f);
}

/* Reference ranking: score descending, row ascending. */
static int ref_cmp(const void *pa, const void *pb)
{
    const vec_hit *a = pa, *b = pb;
    if (a->score != b->score)
        return a->score > b->score ? -1 : 1;
    return a->row < b->row ? -1 : a->row > b->row;
}

static void check_topk(const float *q, const float *rows, size_t n, size_t dim, size_t k)
{
    vec_hit *all = malloc((n + 1) * sizeof *all);
    vec_hit *out = malloc((k + 1) * sizeof *out);
    assert_non_null(all);
    assert_non_null(out);
    for (size_t r = 0; r < n; r++)
        all[r] = (vec_hit){vec_dot(q, rows + r * dim, dim), (uint32_t)r};
    qsort(all, n, sizeof *all, ref_cmp);
    size_t m = vec_topk(q, rows, n, dim, k, out);
    assert_int_equal(m, k < n ? k : n);
    for (size_t i = 0; i < m; i++) {
        if (out[i].row != all[i].row || out[i].score != all[i].score)
            fail_msg("n %zu k %zu rank %zu: got row %u (%g) want row %u (%g)", n, k, i,
                     out[i].row, out[i].score, all[i].row, all[i].score);
    }
    free(all);
    free(out);
}

static void test_topk_random(void **state)
{
    (void)state;
    float *rows = malloc(400 * 40 * sizeof *rows), q[40];
    assert_non_null(rows);
    for (int iter = 0; iter < 300; iter++) {
        size_t n = urand(400), dim = 1 + urand(40), k = urand(n + 10);
        fill(q, dim);
        fill(rows, n * dim);
        /* Duplicate some rows so that equal scores occur. */
        for (size_t r = 1; r < n; r++)
            if (urand(4) == 0)
                memcpy(rows + r * dim, rows + urand(r) * dim, dim * sizeof *rows);
        check_topk(q, rows, n, dim, k);
        check_topk(q, rows, n, dim, n);
        check_topk(q, rows, n, dim, n + 1 + urand(5));
        check_topk(q, rows, n, dim, 1);
    }
    free(rows);
}

static void test_topk_k0(void **state)
{
    (void)state;
    float q[4] = {1, 0, 0, 0}, rows[8] = {1, 0, 0, 0, 0, 1, 0, 0};
    vec_hit out[1] = {{42.0f, 7}};
    assert_int_equal(vec_topk(q, rows, 2, 4, 0, NULL), 0);
    assert_int_equal(vec_topk(q, rows, 2, 4, 0, out), 0);
    assert_true(out[0].score == 42.0f && out[0].row == 7);
    assert_int_equal(vec_topk(q, rows, 0, 4, 3, out), 0);
}

static void test_topk_ties(void **state)
{
    (void)state;
    /* Rows 0..9 all score 0.5 except row 6 (1.0) and row 2 (0.0). */
    float q[2] = {1, 0}, rows[20];
    for (size_t r = 0; r < 10; r++) {
        rows[2 * r] = 0.5f;
        rows[2 * r + 1] = (float)r;
    }
    rows[12] = 1.0f;
    rows[4] = 0.0f;
    vec_hit out[12];
    const uint32_t want[10] = {6, 0, 1, 3, 4, 5, 7, 8, 9, 2};
    assert_int_equal(vec_topk(q, rows, 10, 2, 12, out), 10);
    for (size_t i = 0; i < 10; i++)
        assert_int_equal(out[i].row, want[i]);
    assert_int_equal(vec_topk(q, rows, 10, 2, 4, out), 4);
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(out[i].row, want[i]);
}

static void test_topk_nan(void **state)
{
    (void)state;
    float q[1] = {1}, rows[4] = {0.25f, NAN, -0.5f, 0.75f};
    vec_hit out[4];
    assert_int_equal(vec_topk(q, rows, 4, 1, 4, out), 4);
    assert_int_equal(out[0].row, 3);
    assert_int_equal(out[1].row, 0);
    assert_int_equal(out[2].row, 2);
    assert_int_equal(out[3].row, 1);
    assert_true(isinf(out[3].score) && out[3].score < 0);
}

/* Random unit vector, or with the given magnitudes pattern. */
static void unit(float *v, size_t dim)
{
    fill(v, dim);
    vec_normalize(v, dim);
}

static void test_quantize_bounds(void **state)
{
    (void)state;
    float r[1000];
    int8_t r8[1000];
    for (size_t dim = 0; dim <= 1000; dim += (dim < 40 ? 1 : 37)) {
        for (int kind = 0; kind < 4; kind++) {
            if (kind == 0)
                unit(r, dim);
            else if (kind == 1)
                for (size_t i = 0; i < dim; i++)        /* one spike, tiny rest */
                    r[i] = i == dim / 2 ? 1.0f : frand() * 1e-4f;
            else if (kind == 2)
                for (size_t i = 0; i < dim; i++)        /* huge values */
                    r[i] = frand() * 1e30f;
            else
                memset(r, 0, sizeof r);
            float s, e, n;
            assert_int_equal(vec_quantize(r, dim, r8, &s, &e, &n), 0);
            double e2 = 0, n2 = 0;
            for (size_t i = 0; i < dim; i++) {
                assert_true(r8[i] >= -127 && r8[i] <= 127);
                double d = (double)r[i] - (double)s * r8[i];
                e2 += d * d;
                n2 += (double)r[i] * r[i];
            }
            assert_true(sqrt(e2) <= e);
            assert_true(sqrt(n2) <= n);
            if (kind == 0 && dim > 0)
                assert_true(e < 0.02f);
            if (kind == 3)
                assert_true(s == 0.0f && e == 0.0f && n == 0.0f);
        }
    }
    r[3] = NAN;
    float s, e, n;
    assert_int_equal(vec_quantize(r, 10, r8, &s, &e, &n), -1);
    r[3] = INFINITY;
    assert_int_equal(vec_quantize(r, 10, r8, &s, &e, &n), -1);
    for (size_t i = 0; i < 10; i++)
        assert_int_equal(r8[i], 0);
    int16_t q16[10];
    vec_query8 qq;
    assert_int_equal(vec_quantize_query(r, 10, q16, &qq), -1);
}

static void dots_ref(const int16_t *q, const int8_t *rows, size_t n, size_t dim, int32_t *out)
{
    for (size_t r = 0; r < n; r++) {
        int64_t acc = 0;
        for (size_t i = 0; i < dim; i++)
            acc += (int64_t)rows[r * dim + i] * q[i];
        assert_true(acc >= INT32_MIN && acc <= INT32_MAX);
        out[r] = (int32_t)acc;
    }
}

/* Every dim 0..700, odd row counts, unaligned starts; extremes too. */
static void test_dots_i8(void **state)
{
    (void)state;
    enum { N = 7, DMAX = 700 };
    int8_t *rows = malloc(N * DMAX + 1);
    int16_t *q = malloc((DMAX + 1) * sizeof *q);
    float *qf = malloc(DMAX * sizeof *qf);
    int32_t want[N], got[N];
    assert_non_null(rows);
    assert_non_null(q);
    assert_non_null(qf);
    printf("vec_dots_i8 kernel: %s (also checked: every one the CPU has)\n", vec_isa());
    assert_int_equal(vec_force_isa("sse9"), -1);
    for (size_t dim = 0; dim <= DMAX; dim++) {
        vec_query8 qq;
        int extreme = dim % 5 == 0;
        for (size_t i = 0; i < dim; i++)
            qf[i] = extreme ? (i % 2 ? -1.0f : 1.0f) : frand();
        assert_int_equal(vec_quantize_query(qf, dim, q + 1, &qq), 0);
        for (size_t i = 0; i < N * dim + 1; i++)
            rows[i] = extreme ? (int8_t)(i % 2 ? 127 : -127) : (int8_t)(urand(255) - 127);
        dots_ref(q + 1, rows + 1, N, dim, want);
        static const char *const isas[] = {"portable", "avx2", "avx512bw", NULL};
        for (size_t k = 0; k < 4; k++) {
            if (vec_force_isa(isas[k]) != 0)
                continue;               /* not on this CPU */
            memset(got, 0x55, sizeof got);
            vec_dots_i8(q + 1, rows + 1, N, dim, got);
            assert_memory_equal(got, want, sizeof want);
        }
    }
    free(rows);
    free(q);
    free(qf);
}

/* The exact float score of a row never differs from its first-pass score
 * by more than vec_quant_bound — checked on random, spiky, clustered and
 * non-normalised rows. */
static void test_quant_bound(void **state)
{
    (void)state;
    enum { DIM = 384 };
    float q[DIM], r[DIM];
    int16_t q16[DIM];
    int8_t r8[DIM];
    double worst = 0.0;
    for (int it = 0; it < 20000; it++) {
        int kind = it % 4;
        unit(q, DIM);
        if (kind == 0) {
            unit(r, DIM);
        } else if (kind == 1) {                         /* r close to q */
            for (size_t i = 0; i < DIM; i++)
                r[i] = q[i] + frand() * 1e-3f;
            vec_normalize(r, DIM);
        } else if (kind == 2) {                         /* sparse and spiky */
            memset(r, 0, sizeof r);
            for (int j = 0; j < 5; j++)
                r[urand(DIM)] = frand();
            r[urand(DIM)] = 1.0f;
        } else {                                        /* not normalised */
            for (size_t i = 0; i < DIM; i++)
                r[i] = frand() * 3.0f;
        }
        vec_query8 qq;
        float s, e, n;
        int32_t d;
        assert_int_equal(vec_quantize_query(q, DIM, q16, &qq), 0);
        assert_int_equal(vec_quantize(r, DIM, r8, &s, &e, &n), 0);
        vec_dots_i8(q16, r8, 1, DIM, &d);
        double approx = (double)((float)d * s) * qq.scale;
        double exact = vec_dot(q, r, DIM);
        double bound = vec_quant_bound(&qq, DIM, e, n);
        double gap = fabs(exact - approx);
        assert_true(gap <= bound);
        if (gap / bound > worst)
            worst = gap / bound;
    }
    printf("worst gap / bound: %.3f\n", worst);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dot_reference),
        cmocka_unit_test(test_dot_unaligned),
        cmocka_unit_test(test_dot_exact),
        cmocka_unit_test(test_normalize),
        cmocka_unit_test(test_normalize_zero),
        cmocka_unit_test(test_topk_random),
        cmocka_unit_test(test_topk_k0),
        cmocka_unit_test(test_topk_ties),
        cmocka_unit_test(test_topk_nan),
        cmocka_unit_test(test_quantize_bounds),
        cmocka_unit_test(test_dots_i8),
        cmocka_unit_test(test_quant_bound),
    };
    return cmocka_run_group_tests_name("embed/vec", tests, NULL, NULL);
}
