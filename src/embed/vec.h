/* vec.h — the vector maths of search: dot products over contiguous float32
 * rows and a bounded top-K selection. Leaf module, no allocation except
 * where stated. */
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

#endif
