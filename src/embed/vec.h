/* vec.h — the vector maths of search: dot products over contiguous float32
 * rows, a bounded top-K selection, and the int8 quantisation that the
 * index's first pass scans (4× fewer bytes than float32) with the error
 * bound that lets an exact float32 second pass prove its answer. Leaf
 * module, no allocation. */
#ifndef CHIMERA_EMBED_VEC_H
#define CHIMERA_EMBED_VEC_H

#include <stddef.h>
#include <stdint.h>

/* Dot product of two dim-length vectors. */
float vec_dot(const float *a, const float *b, size_t dim);

/* Scales v to unit L2 length in place; leaves an all-zero vector alone.
 * Returns the original length. */
float vec_normalize(float *v, size_t dim);

typedef struct vec_hit {
    float score;
    uint32_t row;
} vec_hit;

/* Scores every row of rows (n × dim) against q (unit vectors, so the dot
 * product is the cosine) and writes the k best into out, score descending,
 * ties broken by lower row index first. Returns how many were written
 * (min(k, n)). A bounded min-heap: O(n log k), no allocation. */
size_t vec_topk(const float *q, const float *rows, size_t n, size_t dim, size_t k,
                vec_hit *out);

/* The bounded heap vec_topk is made of, for callers that score rows in
 * pieces: h holds at most k hits, *m of them, worst at h[0]. Offering keeps
 * the k best under vec_topk's order (score descending, then lower row);
 * a NaN score counts as -inf. vec_heap_sort turns the heap into that
 * order, best first. */
void vec_heap_offer(vec_hit *h, size_t *m, size_t k, vec_hit x);
void vec_heap_sort(vec_hit *h, size_t m);

/* ---- int8 rows for the first pass -------------------------------------
 * A row r is stored as r8 (int8, |r8| <= 127) and a scale s with
 * r ≈ s·r8, s = max|r| / 127; *err is an upper bound of ||r - s·r8||₂ and
 * *norm of ||r||₂ (both rounded up). Returns 0, or -1 when r has a
 * non-finite component (then r8 = 0, s = 0 and the row must be scored
 * exactly). */
int vec_quantize(const float *r, size_t dim, int8_t *r8, float *scale, float *err,
                 float *norm);

/* The query of a first pass: q ≈ scale·q16 with |q16| small enough that an
 * int32 accumulation over dim int8×int16 products cannot overflow.
 * norm = ||q||₂, err = ||q - scale·q16||₂. */
typedef struct vec_query8 {
    float scale;
    double norm, err;
} vec_query8;

/* Fills q16 (dim values) and *out. Returns -1 for a non-finite q or a dim
 * too large for int32 sums (the caller then scans exactly). */
int vec_quantize_query(const float *q, size_t dim, int16_t *q16, vec_query8 *out);

/* out[i] = Σ_j q16[j]·rows[i·dim + j] for the n int8 rows, exactly (integer
 * arithmetic: every code path gives the same numbers). Picks AVX-512BW,
 * AVX2 or portable code at run time. */
void vec_dots_i8(const int16_t *q16, const int8_t *rows, size_t n, size_t dim, int32_t *out);

/* The first pass ranks row i by h = (float)dot_i · scale_i. If every row
 * outside a candidate set has h <= t, then its exact float32 score
 * (vec_dot of q with the float row) is at most t·q.scale + E, where E is
 * this function's result for rows whose err and norm are at most emax and
 * rmax. */
double vec_quant_bound(const vec_query8 *q, size_t dim, double emax, double rmax);

/* Which dot kernel vec_dots_i8 uses: "avx512bw", "avx2" or "portable".
 * vec_force_isa(name) makes it use that one (tests and benchmarks compare
 * them); NULL returns to the best the CPU has. -1 if the CPU lacks it. */
const char *vec_isa(void);
int vec_force_isa(const char *name);

#endif
