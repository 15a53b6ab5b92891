/* index_search.c — idx_search (see index.h): the int8 scan with a proven
 * error bound per row, the exact rescoring of the candidates from their
 * stored vectors, and vec_topk's tie order. Everything allocated here
 * lives for one search. */
#include "embed/index_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct cand {
    const char *id;             /* in the snapshot */
    uint32_t row;
    int found;
    float score;
    double upper;               /* bound of the exact score from the scan */
    int64_t created;
} cand;

/* The k largest lower bounds so far: a min-heap. */
typedef struct lheap {
    double *v;
    size_t n, k;
} lheap;

typedef struct scan {
    const idx_snapshot *s;
    vec_query8 qq;
    int16_t *q16;
    int32_t *dots;
    int all;                    /* no usable int8 query: every row is a candidate */
    lheap lo;
    cand *c;                    /* in row order */
    size_t n, cap;
} scan;

struct idx_fetch {
    const idx_snapshot *s;
    const float *q;
    cand *c;                    /* sorted by row */
    size_t n;
    float *tmp;
    int lenient, stale;
};

static void lheap_offer(lheap *h, double x)
{
    size_t i;
    if (h->n < h->k) {
        for (i = h->n++; i > 0 && h->v[(i - 1) / 2] > x; i = (i - 1) / 2)
            h->v[i] = h->v[(i - 1) / 2];
        h->v[i] = x;
        return;
    }
    if (x <= h->v[0])
        return;
    for (i = 0;;) {                     /* replace the root, sift down */
        size_t c = 2 * i + 1;
        if (c >= h->n)
            break;
        if (c + 1 < h->n && h->v[c + 1] < h->v[c])
            c++;
        if (h->v[c] >= x)
            break;
        h->v[i] = h->v[c];
        i = c;
    }
    h->v[i] = x;
}

/* T: no row whose upper bound is below it can reach the k-th score. */
static double threshold(const lheap *h)
{
    return h->n < h->k ? -INFINITY : h->v[0];
}

/* Keeps the candidates that can still reach T, in order. */
static void cand_keep(scan *sc)
{
    double t = threshold(&sc->lo);
    size_t m = 0;
    for (size_t i = 0; i < sc->n; i++)
        if (sc->c[i].upper >= t)
            sc->c[m++] = sc->c[i];
    sc->n = m;
}

/* Room for one more candidate: drops those that fell below T, and grows
 * the list when the rest fill more than half of it. */
static int cand_room(scan *sc)
{
    if (sc->n < sc->cap)
        return 0;
    cand_keep(sc);
    if (2 * sc->n < sc->cap)
        return 0;
    cand *c = realloc(sc->c, 2 * sc->cap * sizeof *c);
    if (!c)
        return -1;
    sc->c = c;
    sc->cap *= 2;
    return 0;
}

static int cand_push(scan *sc, uint32_t row, double upper)
{
    if (cand_room(sc) != 0)
        return -1;
    sc->c[sc->n++] = (cand){ idx_row_id(sc->s, row), row, 0, 0.0f, upper, 0 };
    return 0;
}

/* One chunk: the approximate score h·q.scale of each row, within e of its
 * exact float32 score (vec_quant_bound); a row is a candidate while its
 * upper bound reaches T, and its lower bound moves T up. The chunk's
 * bound over its worst row rejects most rows at once. */
static int scan_chunk(scan *sc, size_t ci)
{
    const idx_snapshot *s = sc->s;
    const idx_chunk *c = s->chunks[ci];
    uint32_t base = (uint32_t)(ci * IDX_CHUNK_ROWS);
    if (sc->all) {
        for (size_t j = 0; j < c->n; j++)
            if (cand_push(sc, base + (uint32_t)j, INFINITY) != 0)
                return -1;
        return 0;
    }
    vec_dots_i8(sc->q16, c->q, c->n, s->dim, sc->dots);
    double qs = sc->qq.scale, t = threshold(&sc->lo);
    double ec = c->bad ? INFINITY : vec_quant_bound(&sc->qq, s->dim, c->emax, c->rmax);
    for (size_t j = 0; j < c->n; j++) {
        double hq = (double)((float)sc->dots[j] * c->scale[j]) * qs;
        if (hq + ec < t)
            continue;
        double e = isfinite(c->err[j]) ? vec_quant_bound(&sc->qq, s->dim, c->err[j], c->norm[j])
                                       : INFINITY;
        if (hq + e < t)
            continue;
        if (cand_push(sc, base + (uint32_t)j, hq + e) != 0)
            return -1;
        if (isfinite(e)) {
            lheap_offer(&sc->lo, hq - e);
            t = threshold(&sc->lo);
        }
    }
    return 0;
}

static void scan_free(scan *sc)
{
    free(sc->q16);
    free(sc->dots);
    free(sc->lo.v);
    free(sc->c);
}

/* Every row that may be in the top k or tie with the k-th, in row order. */
static int scan_all(scan *sc, const idx_snapshot *s, const float *q, size_t k)
{
    memset(sc, 0, sizeof *sc);
    sc->s = s;
    sc->cap = 4 * k + 64;
    sc->lo.k = k;
    sc->q16 = malloc(s->dim * sizeof *sc->q16);
    sc->dots = malloc(IDX_CHUNK_ROWS * sizeof *sc->dots);
    sc->lo.v = malloc(k * sizeof *sc->lo.v);
    sc->c = malloc(sc->cap * sizeof *sc->c);
    if (!sc->q16 || !sc->dots || !sc->lo.v || !sc->c)
        return -1;
    sc->all = vec_quantize_query(q, s->dim, sc->q16, &sc->qq) != 0;
    for (size_t ci = 0; ci < s->nchunks; ci++)
        if (scan_chunk(sc, ci) != 0)
            return -1;
    cand_keep(sc);
    return 0;
}

static int cand_by_row(const void *key, const void *elem)
{
    uint32_t r = *(const uint32_t *)key, e = ((const cand *)elem)->row;
    return r < e ? -1 : r > e;
}

int idx_fetched(idx_fetch *f, const char *id, const void *vec, int64_t created_at,
                int64_t change_seq)
{
    uint32_t row = id ? idx_row_of(f->s, id) : ROW_NONE;
    cand *c = row == ROW_NONE ? NULL : bsearch(&row, f->c, f->n, sizeof *f->c, cand_by_row);
    if (!c || c->found)
        return 0;                       /* not asked for */
    if (!f->lenient && (!vec || change_seq > f->s->gen)) {
        f->stale = 1;                   /* changed since the snapshot */
        return 0;
    }
    if (!vec)
        return 0;                       /* lenient: it has no vector now */
    memcpy(f->tmp, vec, f->s->dim * sizeof(float));
    c->score = vec_dot(f->q, f->tmp, f->s->dim);
    c->created = created_at;
    c->found = 1;
    return 0;
}

/* Reads the candidates' vectors and scores them; IDX_STALE when one has
 * changed or vanished since the snapshot (unless lenient). */
static int rescore(const idx_snapshot *s, const float *q, cand *c, size_t n, idx_fetcher fetch,
                   void *ctx, int lenient)
{
    const char **ids = malloc((n + 1) * sizeof *ids);
    idx_fetch f = { s, q, c, n, malloc(s->dim * sizeof(float)), lenient, 0 };
    int rc = -1;
    if (!ids || !f.tmp)
        goto out;
    for (size_t i = 0; i < n; i++)
        ids[i] = c[i].id;
    if (fetch(ctx, ids, n, &f) != 0)
        goto out;
    rc = f.stale ? IDX_STALE : 0;
    for (size_t i = 0; i < n && rc == 0 && !lenient; i++)
        if (!c[i].found)
            rc = IDX_STALE;             /* deleted since the snapshot */
out:
    free(ids);
    free(f.tmp);
    return rc;
}

/* (created_at, id): the order of the rows vec_topk is defined over. */
static int cand_order(const void *a, const void *b)
{
    const cand *x = a, *y = b;
    if (x->created != y->created)
        return x->created < y->created ? -1 : 1;
    return strcmp(x->id, y->id);
}

/* The top k of the scored candidates, ties to the earlier (created_at, id). */
static size_t top_k(cand *c, size_t n, size_t k, idx_hit *out)
{
    size_t m = 0, nf = 0;
    for (size_t i = 0; i < n; i++)
        if (c[i].found)
            c[nf++] = c[i];
    vec_hit *h = malloc((k + 1) * sizeof *h);
    if (!h)
        return (size_t)-1;
    qsort(c, nf, sizeof *c, cand_order);
    for (size_t i = 0; i < nf; i++)
        vec_heap_offer(h, &m, k, (vec_hit){ c[i].score, (uint32_t)i });
    vec_heap_sort(h, m);
    for (size_t i = 0; i < m; i++) {
        const cand *x = &c[h[i].row];
        out[i].score = h[i].score;
        out[i].created_at = x->created;
        memcpy(out[i].id, x->id, IDX_ID_MAX);
    }
    free(h);
    return m;
}

int idx_search(const idx_snapshot *s, const float *q, size_t k, idx_fetcher fetch, void *ctx,
               int flags, idx_hit *out, size_t *nout)
{
    scan sc;
    int rc = 0;
    *nout = 0;
    if (k == 0 || s->n == 0) {
        idx_count_search(0, 0);
        return 0;
    }
    if (scan_all(&sc, s, q, k) != 0)
        rc = -1;
    if (rc == 0)
        rc = rescore(s, q, sc.c, sc.n, fetch, ctx, flags & IDX_LENIENT);
    if (rc == 0) {
        size_t m = top_k(sc.c, sc.n, k, out);
        rc = m == (size_t)-1 ? -1 : 0;
        *nout = rc == 0 ? m : 0;
    }
    idx_count_search(sc.n, rc == IDX_STALE);
    scan_free(&sc);
    return rc;
}
