/* vec.c — dot products, normalisation and bounded top-K over float32 rows;
 * see vec.h. Leaf module: no allocation, no server headers. vec_topk keeps
 * its heap inside the caller's out array, so nothing here owns memory. */
#include "embed/vec.h"

#include <math.h>

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

/* Rows are scanned in increasing order, so a later row replaces the root
 * only with a strictly better score: ties keep the lower row. A NaN score
 * (a corrupt row) is reported as -inf so the ordering stays total. */
size_t vec_topk(const float *q, const float *rows, size_t n, size_t dim, size_t k,
                vec_hit *out)
{
    size_t m = 0;

    if (k == 0 || n == 0)
        return 0;
    for (size_t r = 0; r < n; r++) {
        vec_hit x = {vec_dot(q, rows + r * dim, dim), (uint32_t)r};
        if (isnan(x.score))
            x.score = -INFINITY;
        if (m < k) {
            out[m] = x;
            heap_up(out, m++);
        } else if (hit_worse(&out[0], &x)) {
            out[0] = x;
            heap_down(out, m, 0);
        }
    }
    heap_sort(out, m);
    return m;
}
