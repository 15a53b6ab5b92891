/* vec.c — dot products, normalisation and bounded top-K over float32 rows,
 * and the int8 first pass of the index; see vec.h. Leaf module: no
 * allocation, no server headers. vec_topk keeps its heap inside the
 * caller's out array, so nothing here owns memory. */
#include "embed/vec.h"

#include <float.h>
#include <math.h>
#include <stdatomic.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define VEC_X86 1
#endif

/* Eight independent accumulators: without -ffast-math the compiler may not
 * reorder a single float sum, but eight separate lanes map straight onto
 * SIMD registers, so gcc -O2 vectorises the main loop (2 × SSE or 1 × AVX).
 * The lanes are combined in a fixed order, so results do not depend on
 * anything but dim. */
float vec_dot(const float *a, const float *b, size_t dim)
{
    float acc[8] = {0};
    size_t i = 0;

    for (; i + 8 <= dim; i += 8)
        for (size_t j = 0; j < 8; j++)
            acc[j] += a[i + j] * b[i + j];
    float s = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
    for (; i < dim; i++)
        s += a[i] * b[i];
    return s;
}

float vec_normalize(float *v, size_t dim)
{
    double ss = 0.0;
    for (size_t i = 0; i < dim; i++)
        ss += (double)v[i] * v[i];
    double len = sqrt(ss);
    if (len > 0.0 && isfinite(len))
        for (size_t i = 0; i < dim; i++)
            v[i] = (float)(v[i] / len);
    return (float)len;
}

/* True if a ranks below b: lower score, or equal score and higher row. */
static int hit_worse(const vec_hit *a, const vec_hit *b)
{
    return a->score < b->score || (a->score == b->score && a->row > b->row);
}

/* Restores the heap property (worst hit at the root) below index i. */
static void heap_down(vec_hit *h, size_t n, size_t i)
{
    vec_hit x = h[i];
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n)
            break;
        if (c + 1 < n && hit_worse(&h[c + 1], &h[c]))
            c++;
        if (!hit_worse(&h[c], &x))
            break;
        h[i] = h[c];
        i = c;
    }
    h[i] = x;
}

static void heap_up(vec_hit *h, size_t i)
{
    vec_hit x = h[i];
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!hit_worse(&x, &h[p]))
            break;
        h[i] = h[p];
        i = p;
    }
    h[i] = x;
}

/* In-place heap sort of a worst-at-root heap: repeatedly moves the worst
 * hit to the end, which leaves the array best first. */
static void heap_sort(vec_hit *h, size_t n)
{
    while (n > 1) {
        vec_hit t = h[0];
        h[0] = h[n - 1];
        h[n - 1] = t;
        n--;
        heap_down(h, n, 0);
    }
}

void vec_heap_offer(vec_hit *h, size_t *m, size_t k, vec_hit x)
{
    if (isnan(x.score))
        x.score = -INFINITY;
    if (*m < k) {
        h[*m] = x;
        heap_up(h, (*m)++);
    } else if (k > 0 && hit_worse(&h[0], &x)) {
        h[0] = x;
        heap_down(h, *m, 0);
    }
}

void vec_heap_sort(vec_hit *h, size_t m)
{
    heap_sort(h, m);
}

/* Rows are scanned in increasing order, so a later row replaces the root
 * only with a strictly better score: ties keep the lower row (the order is
 * total, so the result does not depend on the scan order anyway). A NaN
 * score (a corrupt row) is reported as -inf so the ordering stays total. */
size_t vec_topk(const float *q, const float *rows, size_t n, size_t dim, size_t k,
                vec_hit *out)
{
    size_t m = 0;

    if (k == 0 || n == 0)
        return 0;
    for (size_t r = 0; r < n; r++)
        vec_heap_offer(out, &m, k, (vec_hit){vec_dot(q, rows + r * dim, dim), (uint32_t)r});
    heap_sort(out, m);
    return m;
}

/* ---- int8 first pass ---------------------------------------------------- */

/* Rounds a non-negative double up to a float that is >= it. */
static float float_up(double x)
{
    float f = (float)x;
    return (double)f < x ? nextafterf(f, INFINITY) : f;
}

/* Rounds to the nearest integer, halves away from zero, clamped to ±lim;
 * branch-free (signs of vector components are coin flips to a branch
 * predictor) and inline (lrintf is a libm call per element). Any rounding
 * would do: the error is measured afterwards, not assumed. */
static long round_clamp(float x, float lim)
{
    float y = x + copysignf(0.5f, x);
    y = y > lim ? lim : y;
    y = y < -lim ? -lim : y;
    return (long)y;
}

/* Sum of squares of v (double, four independent accumulators). */
static double sum_sq(const double *v, size_t n)
{
    double a[4] = {0, 0, 0, 0};
    size_t i = 0;
    for (; i + 4 <= n; i += 4)
        for (size_t j = 0; j < 4; j++)
            a[j] += v[i + j] * v[i + j];
    for (; i < n; i++)
        a[0] += v[i] * v[i];
    return (a[0] + a[1]) + (a[2] + a[3]);
}

/* Quantises x (finite) to ±lim·scale; the error and norm in double, in
 * blocks of 64 values. Returns the scale. */
static float quantize_block(const float *x, size_t dim, float maxabs, long lim, void *out,
                            int wide, double *err, double *norm)
{
    float s = maxabs / (float)lim, inv = s > 0.0f ? 1.0f / s : 0.0f;
    double d[64], r[64], e2 = 0.0, n2 = 0.0;
    for (size_t i0 = 0; i0 < dim; i0 += 64) {
        size_t m = dim - i0 < 64 ? dim - i0 : 64;
        for (size_t j = 0; j < m; j++) {
            float xv = x[i0 + j];
            long v = round_clamp(xv * inv, (float)lim);
            if (wide)
                ((int16_t *)out)[i0 + j] = (int16_t)v;
            else
                ((int8_t *)out)[i0 + j] = (int8_t)v;
            d[j] = (double)xv - (double)s * (double)v;     /* s·v is exact in double */
            r[j] = xv;
        }
        e2 += sum_sq(d, m);
        n2 += sum_sq(r, m);
    }
    /* sums of dim squares in double: relative error below dim·2^-53; the
     * 1e-12 margin covers it for any dim this code meets. */
    *err = sqrt(e2) * (1.0 + 1e-12);
    *norm = sqrt(n2) * (1.0 + 1e-12);
    return s;
}

/* max |x_i|, or -1 if some x_i is not finite. */
static float max_abs(const float *x, size_t dim)
{
    float m = 0.0f;
    int finite = 1;
    for (size_t i = 0; i < dim; i++) {
        float a = fabsf(x[i]);
        finite &= a <= FLT_MAX;             /* false for inf and NaN */
        m = a > m ? a : m;
    }
    return finite ? m : -1.0f;
}

int vec_quantize(const float *r, size_t dim, int8_t *r8, float *scale, float *err,
                 float *norm)
{
    float maxabs = max_abs(r, dim);
    if (maxabs < 0.0f) {
        memset(r8, 0, dim);
        *scale = *err = *norm = 0.0f;
        return -1;
    }
    double e, n;
    *scale = quantize_block(r, dim, maxabs, 127, r8, 0, &e, &n);
    *err = float_up(e);
    *norm = float_up(n);
    return 0;
}

/* The largest |q16| for which dim products with |r8| <= 127 sum within
 * int32 (whatever the order of the partial sums). */
static long query_qmax(size_t dim)
{
    long m = dim ? (long)(INT32_MAX / (127 * (long long)dim)) : 32767;
    return m > 32767 ? 32767 : m;
}

int vec_quantize_query(const float *q, size_t dim, int16_t *q16, vec_query8 *out)
{
    long qmax = query_qmax(dim);
    float maxabs = max_abs(q, dim);
    if (qmax < 1 || maxabs < 0.0f)
        return -1;
    out->scale = quantize_block(q, dim, maxabs, qmax, q16, 1, &out->err, &out->norm);
    return 0;
}

/* With A = q.scale·dot·scale_i the first pass's exact-real score of row i
 * (q̂ = q.scale·q16 and r̂ = scale_i·r8 the dequantised vectors):
 *   |q·r - A| <= |q·(r - r̂)| + |(q - q̂)·r̂| <= norm·emax + err·(rmax + emax)
 *   |h·q.scale - A| <= 2.01u·|A| <= 2.01u·(norm + err)(rmax + emax)
 *                      (int32 → float, then one product; u = 2^-24)
 *   |vec_dot - q·r| <= γ·norm·rmax, γ = 1.01·dim·u
 *                      (float sums of at most dim terms, Cauchy–Schwarz)
 * The sum, with a relative margin for rounding in this computation. */
double vec_quant_bound(const vec_query8 *q, size_t dim, double emax, double rmax)
{
    const double u = 0x1p-24;
    double e = q->norm * emax + q->err * (rmax + emax) +
               1.01 * (double)dim * u * q->norm * rmax +
               2.01 * u * (q->norm + q->err) * (rmax + emax);
    return e * (1.0 + 1e-6) + 1e-30;
}

/* Sixteen independent int32 lanes, so that the compiler can vectorise the
 * loop with whatever the baseline target has (SSE2 on x86-64, NEON on
 * arm64); integer sums are exact in any order. */
static void dots_portable(const int16_t *q16, const int8_t *rows, size_t n, size_t dim,
                          int32_t *out)
{
    size_t d16 = dim & ~(size_t)15;
    for (size_t r = 0; r < n; r++) {
        const int8_t *x = rows + r * dim;
        int32_t lane[16] = {0};
        for (size_t i = 0; i < d16; i += 16)
            for (size_t j = 0; j < 16; j++)
                lane[j] += (int32_t)x[i + j] * q16[i + j];
        int32_t acc = 0;
        for (size_t j = 0; j < 16; j++)
            acc += lane[j];
        for (size_t i = d16; i < dim; i++)
            acc += (int32_t)x[i] * q16[i];
        out[r] = acc;
    }
}

#ifdef VEC_X86
/* Sign-extends 16 int8 to int16 and multiplies pairwise with 16 int16 of
 * the query, adding adjacent products into 8 int32 lanes (vpmaddwd). The
 * int32 sums cannot overflow (query_qmax). */
__attribute__((target("avx2")))
static void dots_avx2(const int16_t *q16, const int8_t *rows, size_t n, size_t dim,
                      int32_t *out)
{
    size_t d16 = dim & ~(size_t)15;
    for (size_t r = 0; r < n; r++) {
        const int8_t *x = rows + r * dim;
        __m256i a0 = _mm256_setzero_si256(), a1 = _mm256_setzero_si256();
        size_t i = 0;
        for (; i + 32 <= d16; i += 32) {
            __m256i x0 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(x + i)));
            __m256i x1 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(x + i + 16)));
            a0 = _mm256_add_epi32(a0, _mm256_madd_epi16(
                     x0, _mm256_loadu_si256((const __m256i *)(q16 + i))));
            a1 = _mm256_add_epi32(a1, _mm256_madd_epi16(
                     x1, _mm256_loadu_si256((const __m256i *)(q16 + i + 16))));
        }
        for (; i < d16; i += 16) {
            __m256i x0 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(x + i)));
            a0 = _mm256_add_epi32(a0, _mm256_madd_epi16(
                     x0, _mm256_loadu_si256((const __m256i *)(q16 + i))));
        }
        __m256i a = _mm256_add_epi32(a0, a1);
        __m128i s = _mm_add_epi32(_mm256_castsi256_si128(a), _mm256_extracti128_si256(a, 1));
        s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4E));
        s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xB1));
        int32_t acc = _mm_cvtsi128_si32(s);
        for (; i < dim; i++)
            acc += (int32_t)x[i] * q16[i];
        out[r] = acc;
    }
}

/* The same with 32 products per instruction. */
__attribute__((target("avx512f,avx512bw")))
static void dots_avx512(const int16_t *q16, const int8_t *rows, size_t n, size_t dim,
                        int32_t *out)
{
    size_t d32 = dim & ~(size_t)31;
    for (size_t r = 0; r < n; r++) {
        const int8_t *x = rows + r * dim;
        __m512i a0 = _mm512_setzero_si512(), a1 = _mm512_setzero_si512();
        size_t i = 0;
        for (; i + 64 <= d32; i += 64) {
            __m512i x0 = _mm512_cvtepi8_epi16(_mm256_loadu_si256((const __m256i *)(x + i)));
            __m512i x1 = _mm512_cvtepi8_epi16(_mm256_loadu_si256((const __m256i *)(x + i + 32)));
            a0 = _mm512_add_epi32(a0, _mm512_madd_epi16(x0, _mm512_loadu_si512(q16 + i)));
            a1 = _mm512_add_epi32(a1, _mm512_madd_epi16(x1, _mm512_loadu_si512(q16 + i + 32)));
        }
        for (; i < d32; i += 32) {
            __m512i x0 = _mm512_cvtepi8_epi16(_mm256_loadu_si256((const __m256i *)(x + i)));
            a0 = _mm512_add_epi32(a0, _mm512_madd_epi16(x0, _mm512_loadu_si512(q16 + i)));
        }
        int32_t acc = _mm512_reduce_add_epi32(_mm512_add_epi32(a0, a1));
        for (; i < dim; i++)
            acc += (int32_t)x[i] * q16[i];
        out[r] = acc;
    }
}
#endif

enum { ISA_UNKNOWN, ISA_PORTABLE, ISA_AVX2, ISA_AVX512 };
static atomic_int vec_isa_best;         /* resolved once, lazily */
static atomic_int vec_isa_forced;       /* ISA_UNKNOWN = not forced */

static int isa_best(void)
{
    int isa = atomic_load_explicit(&vec_isa_best, memory_order_relaxed);
    if (isa != ISA_UNKNOWN)
        return isa;
    isa = ISA_PORTABLE;
#ifdef VEC_X86
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512f"))
        isa = ISA_AVX512;
    else if (__builtin_cpu_supports("avx2"))
        isa = ISA_AVX2;
#endif
    atomic_store_explicit(&vec_isa_best, isa, memory_order_relaxed);
    return isa;
}

static int isa_current(void)
{
    int f = atomic_load_explicit(&vec_isa_forced, memory_order_relaxed);
    return f != ISA_UNKNOWN ? f : isa_best();
}

int vec_force_isa(const char *name)
{
    int want = !name ? ISA_UNKNOWN : strcmp(name, "portable") == 0 ? ISA_PORTABLE
             : strcmp(name, "avx2") == 0 ? ISA_AVX2 : strcmp(name, "avx512bw") == 0
             ? ISA_AVX512 : -1;
    if (want < 0 || (want != ISA_UNKNOWN && want > isa_best()))
        return -1;      /* the kernels are ordered: a CPU with one has those below */
    atomic_store(&vec_isa_forced, want);
    return 0;
}

const char *vec_isa(void)
{
    int isa = isa_current();
    return isa == ISA_AVX512 ? "avx512bw" : isa == ISA_AVX2 ? "avx2" : "portable";
}

void vec_dots_i8(const int16_t *q16, const int8_t *rows, size_t n, size_t dim, int32_t *out)
{
    int isa = isa_current();
#ifdef VEC_X86
    if (isa == ISA_AVX512) {
        dots_avx512(q16, rows, n, dim, out);
        return;
    }
    if (isa == ISA_AVX2) {
        dots_avx2(q16, rows, n, dim, out);
        return;
    }
#endif
    (void)isa;
    dots_portable(q16, rows, n, dim, out);
}
