/* test_index.c — unit tests for src/embed/index.c and index_search.c
 * against an in-memory fake of the memories table (rows with a change
 * sequence, tombstones, a tombstone floor): idx_search must equal vec_topk
 * over the rows in (created_at, id) order — ids, order and bit-identical
 * scores — on random data and on adversarial data (near-ties, duplicates,
 * zero rows, clusters, NaN rows, zero queries), with every dot kernel the
 * CPU has; a refresh after any sequence of creates, updates, deletes and
 * memories without vectors must hold exactly what a full load holds, by a
 * delta (deletes included) unless the tombstones were pruned; a candidate
 * changed after the snapshot makes the search stale; the cache stays
 * within its budget, dropping the least recently searched snapshot that no
 * search holds; searches running while another thread refreshes must stay
 * valid (run under ASan). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <pthread.h>
#include <cmocka.h>

#include "embed/index.h"

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

static uint64_t rng(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1Dull;
}

static float frand(void)
{
    return (float)((double)(rng() >> 11) / 9007199254740992.0 * 2.0 - 1.0);
}

static size_t urand(size_t n) { return n ? (size_t)(rng() % n) : 0; }

static void unit(float *v, size_t dim)
{
    for (size_t i = 0; i < dim; i++)
        v[i] = frand();
    vec_normalize(v, dim);
}

/* ---- the fake table -------------------------------------------------------- */

typedef struct fmem {
    char id[40];
    float *vec;                 /* NULL: no vector of the model */
    int64_t created, seq;
    int live;
} fmem;

typedef struct ftomb {
    int64_t seq;
    char id[40];
} ftomb;

typedef struct fdb {
    fmem *m;
    size_t n, cap, dim;
    size_t *h, hcap;            /* id → index into m, open addressing (0 = empty) */
    ftomb *t;
    size_t nt, tcap;
    int64_t gen, clock, floor;
    pthread_mutex_t mu;
} fdb;

static void fdb_init(fdb *d, size_t dim)
{
    memset(d, 0, sizeof *d);
    d->dim = dim;
    d->clock = 1000000000;
    pthread_mutex_init(&d->mu, NULL);
}

static void fdb_free(fdb *d)
{
    for (size_t i = 0; i < d->n; i++)
        free(d->m[i].vec);
    free(d->m);
    free(d->t);
    free(d->h);
    pthread_mutex_destroy(&d->mu);
}

static void set_vec(fdb *d, fmem *m, const float *vec)
{
    float *old = m->vec;
    m->vec = NULL;
    if (vec) {
        m->vec = malloc(d->dim * sizeof(float));
        memcpy(m->vec, vec, d->dim * sizeof(float));
    }
    free(old);
}

static size_t hash_of(const char *id, size_t cap)
{
    uint64_t h = 1469598103934665603ull;
    for (; *id; id++)
        h = (h ^ (unsigned char)*id) * 1099511628211ull;
    return (size_t)(h & (cap - 1));
}

static void hash_put(fdb *d, size_t i)
{
    size_t j = hash_of(d->m[i].id, d->hcap);
    while (d->h[j])
        j = (j + 1) & (d->hcap - 1);
    d->h[j] = i + 1;
}

/* Row i was added: indexes it, growing the table when needed. */
static void hash_add(fdb *d, size_t i)
{
    if (2 * (i + 1) > d->hcap) {
        free(d->h);
        d->hcap = d->hcap ? 2 * d->hcap : 256;
        d->h = calloc(d->hcap, sizeof *d->h);
        assert_non_null(d->h);
        for (size_t k = 0; k < i; k++)
            hash_put(d, k);
    }
    hash_put(d, i);
}

/* created = 0: the clock's next tick. */
static fmem *fdb_create(fdb *d, const float *vec, int64_t created)
{
    if (d->n == d->cap) {
        d->cap = d->cap ? 2 * d->cap : 64;
        d->m = realloc(d->m, d->cap * sizeof *d->m);
        assert_non_null(d->m);
    }
    fmem *m = &d->m[d->n];
    memset(m, 0, sizeof *m);
    snprintf(m->id, sizeof m->id, "memory-%08zx", (size_t)(rng() & 0xFFFFFFF) * 16 + d->n % 16);
    set_vec(d, m, vec);
    m->created = created ? created : (d->clock += 1000);
    m->seq = ++d->gen;
    m->live = 1;
    hash_add(d, d->n);
    d->n++;
    return m;
}

static void fdb_set_vec(fdb *d, fmem *m, const float *vec)
{
    set_vec(d, m, vec);
    m->seq = ++d->gen;
}

static void fdb_delete(fdb *d, fmem *m)
{
    if (d->nt == d->tcap) {
        d->tcap = d->tcap ? 2 * d->tcap : 64;
        d->t = realloc(d->t, d->tcap * sizeof *d->t);
        assert_non_null(d->t);
    }
    m->live = 0;
    d->t[d->nt].seq = ++d->gen;
    memcpy(d->t[d->nt].id, m->id, sizeof m->id);
    d->nt++;
}

/* Drops the tombstones up to seq, as the store prunes them. */
static void fdb_prune(fdb *d, int64_t seq)
{
    size_t k = 0;
    for (size_t i = 0; i < d->nt; i++)
        if (d->t[i].seq > seq)
            d->t[k++] = d->t[i];
    d->nt = k;
    if (seq > d->floor)
        d->floor = seq;
}

static fmem *fdb_pick(fdb *d)
{
    for (int tries = 0; tries < 1000; tries++) {
        fmem *m = &d->m[urand(d->n)];
        if (m->live)
            return m;
    }
    return NULL;
}

static fmem *fdb_find(fdb *d, const char *id)
{
    if (!d->hcap)
        return NULL;
    for (size_t j = hash_of(id, d->hcap); d->h[j]; j = (j + 1) & (d->hcap - 1)) {
        fmem *m = &d->m[d->h[j] - 1];
        if (strcmp(m->id, id) == 0)
            return m->live ? m : NULL;
    }
    return NULL;
}

static size_t fdb_live(const fdb *d)
{
    size_t live = 0;
    for (size_t i = 0; i < d->n; i++)
        live += d->m[i].live;
    return live;
}

static int cmp_order(const void *a, const void *b)
{
    const fmem *x = *(const fmem *const *)a, *y = *(const fmem *const *)b;
    if (x->created != y->created)
        return x->created < y->created ? -1 : 1;
    return strcmp(x->id, y->id);
}

/* The live rows with a vector in (created, id) order. */
static fmem **fdb_sorted(fdb *d, size_t *n)
{
    fmem **out = malloc((d->n + 1) * sizeof *out);
    assert_non_null(out);
    *n = 0;
    for (size_t i = 0; i < d->n; i++)
        if (d->m[i].live && d->m[i].vec)
            out[(*n)++] = &d->m[i];
    qsort(out, *n, sizeof *out, cmp_order);
    return out;
}

static unsigned loads_full, loads_delta, fetches;

/* Full: every live row, newest first (the index must not care about
 * order); delta: rows changed after since, then the tombstones. */
static int fdb_load(void *ctx, idx_builder *b, int64_t since)
{
    fdb *d = ctx;
    int rc = 0;
    pthread_mutex_lock(&d->mu);
    idx_set_state(b, d->gen, (int64_t)fdb_live(d), d->floor);
    for (size_t i = d->n; i-- > 0 && rc == 0;)
        if (d->m[i].live && (since < 0 || d->m[i].seq > since))
            rc = idx_add(b, d->m[i].id, d->m[i].vec);
    for (size_t i = 0; i < d->nt && rc == 0 && since >= 0; i++)
        if (d->t[i].seq > since)
            rc = idx_remove(b, d->t[i].id);
    since < 0 ? loads_full++ : loads_delta++;
    pthread_mutex_unlock(&d->mu);
    return rc == 0 ? 0 : -1;
}

static int fdb_fetch(void *ctx, const char *const *ids, size_t n, idx_fetch *f)
{
    fdb *d = ctx;
    pthread_mutex_lock(&d->mu);
    fetches++;
    for (size_t i = 0; i < n; i++) {
        fmem *m = fdb_find(d, ids[i]);
        if (m)
            idx_fetched(f, m->id, m->vec, m->created, m->seq);
    }
    pthread_mutex_unlock(&d->mu);
    return 0;
}

static idx_snapshot *fdb_index(fdb *d, const char *wid)
{
    pthread_mutex_lock(&d->mu);
    int64_t gen = d->gen;
    pthread_mutex_unlock(&d->mu);
    idx_snapshot *s = idx_acquire(wid, gen, "fake", d->dim, fdb_load, d);
    assert_non_null(s);
    return s;
}

/* ---- checks ---------------------------------------------------------------- */

/* idx_search(q, k) == vec_topk over the database's rows in order. */
static void check_search(fdb *d, const idx_snapshot *s, const float *q, size_t k)
{
    size_t n, ng = 0;
    fmem **rows = fdb_sorted(d, &n);
    float *flat = malloc((n + 1) * d->dim * sizeof *flat);
    vec_hit *want = malloc((k + 1) * sizeof *want);
    idx_hit *got = malloc((k + 1) * sizeof *got);
    assert_true(flat && want && got);
    for (size_t i = 0; i < n; i++)
        memcpy(flat + i * d->dim, rows[i]->vec, d->dim * sizeof(float));
    size_t nw = vec_topk(q, flat, n, d->dim, k, want);
    assert_int_equal(idx_search(s, q, k, fdb_fetch, d, 0, got, &ng), 0);
    assert_int_equal(idx_count(s), n);
    assert_int_equal(ng, nw);
    for (size_t i = 0; i < nw; i++) {
        const fmem *w = rows[want[i].row];
        if (strcmp(got[i].id, w->id) != 0 ||
            memcmp(&got[i].score, &want[i].score, sizeof(float)) != 0 ||
            got[i].created_at != w->created)
            fail_msg("k=%zu n=%zu place %zu: got %s %.9g want %s %.9g", k, n, i,
                     got[i].id, got[i].score, w->id, want[i].score);
    }
    free(rows);
    free(flat);
    free(want);
    free(got);
}

static const size_t KS[] = {1, 2, 5, 10, 37, 100};

/* Queries: random, equal to a row, near a row, zero; every k. */
static void check_queries(fdb *d, const idx_snapshot *s, int nq)
{
    float *q = malloc(d->dim * sizeof *q);
    for (int i = 0; i < nq; i++) {
        int kind = i % 4;
        fmem *m = d->n ? fdb_pick(d) : NULL;
        if (kind == 0 || !m || !m->vec) {
            unit(q, d->dim);
        } else if (kind == 1) {
            memcpy(q, m->vec, d->dim * sizeof *q);
        } else if (kind == 2) {
            for (size_t j = 0; j < d->dim; j++)
                q[j] = m->vec[j] + frand() * 0.05f;
            vec_normalize(q, d->dim);
        } else {
            memset(q, 0, d->dim * sizeof *q);
        }
        check_search(d, s, q, KS[urand(sizeof KS / sizeof KS[0])]);
    }
    free(q);
}

static const char *const ISAS[] = {"portable", "avx2", "avx512bw"};

static void check_all_isas(fdb *d, const idx_snapshot *s, int nq)
{
    for (size_t i = 0; i < 3; i++) {
        if (vec_force_isa(ISAS[i]) != 0)
            continue;
        check_queries(d, s, nq);
    }
    vec_force_isa(NULL);
}

/* The snapshot holds exactly the live rows with a vector, the pending
 * count of a full load, the database's generation, and answers exactly. */
static void check_like_full(fdb *d, idx_snapshot *s)
{
    size_t n;
    fmem **rows = fdb_sorted(d, &n);
    assert_int_equal(idx_count(s), n);
    assert_int_equal(idx_pending(s), (int64_t)(fdb_live(d) - n));
    assert_int_equal(idx_generation(s), d->gen);
    for (size_t i = 0; i < idx_count(s); i++) {
        fmem *m = fdb_find(d, idx_id(s, (uint32_t)i));
        assert_non_null(m);
        assert_non_null(m->vec);
    }
    free(rows);
    check_queries(d, s, 6);
}

/* ---- tests ----------------------------------------------------------------- */

static void test_random_sizes(void **state)
{
    (void)state;
    static const size_t sizes[] = {0, 1, 3, 60, 100, 433, 1023, 1024, 1025, 5000, 20000};
    static const size_t dims[] = {384, 37, 1};
    char wid[40];
    for (size_t di = 0; di < 3; di++) {
        for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
            fdb d;
            fdb_init(&d, dims[di]);
            float *v = malloc(d.dim * sizeof *v);
            for (size_t i = 0; i < sizes[si]; i++) {
                unit(v, d.dim);
                fdb_create(&d, v, 0);
            }
            snprintf(wid, sizeof wid, "ws-random-%zu-%zu", di, si);
            idx_snapshot *s = fdb_index(&d, wid);
            assert_int_equal(idx_pending(s), 0);
            check_all_isas(&d, s, sizes[si] > 5000 ? 12 : 40);
            idx_release(s);
            idx_drop(wid);
            free(v);
            fdb_free(&d);
        }
    }
}

/* Data built to defeat the first pass: many candidates, never a wrong answer. */
static void test_adversarial(void **state)
{
    (void)state;
    enum { DIM = 384, N = 3000 };
    for (int kind = 0; kind < 7; kind++) {
        fdb d;
        fdb_init(&d, DIM);
        float base[DIM], v[DIM];
        unit(base, DIM);
        for (size_t i = 0; i < N; i++) {
            switch (kind) {
            case 0:     /* near-ties: a cluster around one direction */
                for (size_t j = 0; j < DIM; j++)
                    v[j] = base[j] + frand() * 1e-4f;
                vec_normalize(v, DIM);
                break;
            case 1:     /* exact duplicates in groups, same timestamps too */
                if (i % 50 == 0)
                    unit(base, DIM);
                memcpy(v, base, sizeof v);
                break;
            case 2:     /* half zero vectors */
                if (i % 2)
                    memset(v, 0, sizeof v);
                else
                    unit(v, DIM);
                break;
            case 3:     /* all identical */
                memcpy(v, base, sizeof v);
                break;
            case 4:     /* one-hot rows: exact ties of 0 and of one value */
                memset(v, 0, sizeof v);
                v[urand(DIM)] = urand(2) ? 1.0f : -1.0f;
                break;
            case 5:     /* differences below the int8 step */
                memcpy(v, base, sizeof v);
                v[i % DIM] += (float)(i % 7) * 1e-6f;
                break;
            default:    /* a few NaN and infinite rows among normal ones */
                unit(v, DIM);
                if (i % 500 == 7)
                    v[i % DIM] = i % 1000 == 7 ? NAN : INFINITY;
                break;
            }
            /* equal created_at for pairs: ties fall to the id */
            fdb_create(&d, v, 2000000000 + (int64_t)(i / 2));
        }
        char wid[40];
        snprintf(wid, sizeof wid, "ws-adv-%d", kind);
        idx_snapshot *s = fdb_index(&d, wid);
        check_all_isas(&d, s, 40);
        /* queries at the cluster itself */
        for (int i = 0; i < 20; i++) {
            for (size_t j = 0; j < DIM; j++)
                v[j] = base[j] + frand() * (i % 2 ? 1e-5f : 1e-3f);
            vec_normalize(v, DIM);
            check_search(&d, s, v, KS[urand(6)]);
        }
        idx_release(s);
        idx_drop(wid);
        fdb_free(&d);
    }
}

/* Duplicate vectors with equal created_at: the tie order is the id's. */
static void test_duplicate_ties(void **state)
{
    (void)state;
    enum { DIM = 64 };
    fdb d;
    fdb_init(&d, DIM);
    float v[DIM], q[DIM];
    unit(v, DIM);
    for (size_t i = 0; i < 500; i++) {
        float w[DIM];
        unit(w, DIM);
        fdb_create(&d, i % 5 ? w : v, 3000000000 + (int64_t)(i % 3));
    }
    idx_snapshot *s = fdb_index(&d, "ws-ties");
    memcpy(q, v, sizeof q);
    for (size_t k = 1; k <= 120; k += 7)
        check_search(&d, s, q, k);
    idx_release(s);
    idx_drop("ws-ties");
    fdb_free(&d);
}

/* Random data: few candidates are read back per search. */
static void test_few_candidates(void **state)
{
    (void)state;
    fdb d;
    fdb_init(&d, 384);
    float v[384];
    for (size_t i = 0; i < 20000; i++) {
        unit(v, 384);
        fdb_create(&d, v, 0);
    }
    idx_snapshot *s = fdb_index(&d, "ws-fast");
    idx_stats a, b;
    idx_stats_get(&a);
    for (int i = 0; i < 50; i++) {
        fmem *m = fdb_pick(&d);
        for (size_t j = 0; j < 384; j++)
            v[j] = m->vec[j] + frand() * 0.1f;
        vec_normalize(v, 384);
        check_search(&d, s, v, 10);
    }
    idx_stats_get(&b);
    printf("candidates for 50 near-row queries (k = 10) over 20k random rows: %llu\n",
           (unsigned long long)(b.candidates - a.candidates));
    assert_true(b.searches - a.searches == 50);
    assert_true(b.candidates - a.candidates <= 50 * 40);
    idx_release(s);
    idx_drop("ws-fast");
    fdb_free(&d);
}

/* Each change must be a delta (deletes included) and leave the snapshot
 * exactly as a full load would. */
static void test_delta_refresh(void **state)
{
    (void)state;
    enum { DIM = 48 };
    fdb d;
    fdb_init(&d, DIM);
    float v[DIM];
    for (size_t i = 0; i < 3000; i++) {
        unit(v, DIM);
        fdb_create(&d, v, 0);
    }
    idx_snapshot *s = fdb_index(&d, "ws-delta");
    check_like_full(&d, s);
    idx_release(s);
    for (int step = 0; step < 400; step++) {
        unsigned f0 = loads_full, d0 = loads_delta;
        int nchanges = 1 + (int)urand(3);
        for (int c = 0; c < nchanges; c++) {
            fmem *m = fdb_pick(&d);
            int op = (int)urand(10);
            unit(v, DIM);
            if (op < 4)
                fdb_create(&d, v, urand(4) ? 0 : 5 + (int64_t)urand(1000)); /* some in the past */
            else if (op < 6)
                fdb_set_vec(&d, m, v);                  /* new vector in place */
            else if (op == 6)
                fdb_set_vec(&d, m, m->vec);             /* touched, same vector */
            else if (op < 9)
                fdb_delete(&d, m);
            else if (urand(2))
                fdb_create(&d, NULL, 0);                /* a memory without vector */
            else
                fdb_set_vec(&d, m, m->vec ? NULL : v);  /* loses / gains its vector */
        }
        s = fdb_index(&d, "ws-delta");
        check_like_full(&d, s);
        idx_release(s);
        assert_true(loads_delta == d0 + 1 && loads_full == f0);
        /* a search at the same generation loads nothing */
        s = fdb_index(&d, "ws-delta");
        assert_true(loads_full + loads_delta == f0 + d0 + 1);
        idx_release(s);
    }
    printf("400 steps: %u delta loads, %u full loads\n", loads_delta, loads_full);
    idx_drop("ws-delta");
    fdb_free(&d);
}

/* A delete in a big workspace: a delta that touches two chunks. */
static void test_delete_incremental(void **state)
{
    (void)state;
    enum { DIM = 384, N = 40000 };
    fdb d;
    fdb_init(&d, DIM);
    float v[DIM];
    for (size_t i = 0; i < N; i++) {
        unit(v, DIM);
        fdb_create(&d, v, 0);
    }
    idx_snapshot *a = fdb_index(&d, "ws-del");
    fmem *gone = &d.m[N / 2];
    fdb_delete(&d, gone);
    unsigned f0 = loads_full, d0 = loads_delta;
    idx_snapshot *b = fdb_index(&d, "ws-del");
    assert_int_equal(loads_full, f0);
    assert_int_equal(loads_delta, d0 + 1);
    assert_int_equal(idx_count(b), N - 1);
    assert_int_equal(idx_count(a), N);       /* the old one is untouched */
    for (size_t i = 0; i < idx_count(b); i++)
        assert_string_not_equal(idx_id(b, (uint32_t)i), gone->id);
    check_search(&d, b, gone->vec, 5);       /* the deleted one is not found */
    idx_release(a);
    idx_release(b);
    idx_drop("ws-del");
    fdb_free(&d);
}

/* Tombstones pruned past the snapshot: a full load. */
static void test_tombstone_floor(void **state)
{
    (void)state;
    enum { DIM = 16 };
    fdb d;
    fdb_init(&d, DIM);
    float v[DIM];
    for (size_t i = 0; i < 100; i++) {
        unit(v, DIM);
        fdb_create(&d, v, 0);
    }
    idx_release(fdb_index(&d, "ws-floor"));
    fdb_delete(&d, fdb_pick(&d));
    fdb_delete(&d, fdb_pick(&d));
    fdb_prune(&d, d.gen - 1);               /* the first tombstone is gone */
    unsigned f0 = loads_full;
    idx_snapshot *s = fdb_index(&d, "ws-floor");
    assert_int_equal(loads_full, f0 + 1);
    check_like_full(&d, s);
    idx_release(s);
    idx_drop("ws-floor");
    fdb_free(&d);
}

/* A candidate changed or deleted after the snapshot: IDX_STALE, and a
 * lenient search answers from what is stored now. */
static void test_stale_candidate(void **state)
{
    (void)state;
    enum { DIM = 32 };
    fdb d;
    fdb_init(&d, DIM);
    float v[DIM], q[DIM];
    for (size_t i = 0; i < 200; i++) {
        unit(v, DIM);
        fdb_create(&d, v, 0);
    }
    idx_snapshot *s = fdb_index(&d, "ws-stale");
    fmem *m = &d.m[17];
    memcpy(q, m->vec, sizeof q);
    idx_hit out[5];
    size_t n;
    unit(v, DIM);
    fdb_set_vec(&d, m, v);                  /* the best match moves away */
    assert_int_equal(idx_search(s, q, 5, fdb_fetch, &d, 0, out, &n), IDX_STALE);
    assert_int_equal(idx_search(s, q, 5, fdb_fetch, &d, IDX_LENIENT, out, &n), 0);
    assert_int_equal(n, 5);
    fdb_delete(&d, m);
    assert_int_equal(idx_search(s, q, 5, fdb_fetch, &d, 0, out, &n), IDX_STALE);
    assert_int_equal(idx_search(s, q, 5, fdb_fetch, &d, IDX_LENIENT, out, &n), 0);
    for (size_t i = 0; i < n; i++)
        assert_string_not_equal(out[i].id, m->id);     /* never a deleted memory */
    idx_release(s);
    s = fdb_index(&d, "ws-stale");          /* refreshed: exact again */
    check_search(&d, s, q, 5);
    idx_release(s);
    idx_drop("ws-stale");
    fdb_free(&d);
}

static void test_cache(void **state)
{
    (void)state;
    fdb d;
    fdb_init(&d, 8);
    float v[8];
    unit(v, 8);
    fdb_create(&d, v, 0);
    unsigned f0 = loads_full;
    idx_snapshot *a = fdb_index(&d, "ws-cache");
    /* an older generation is served by the newer snapshot */
    idx_snapshot *b = idx_acquire("ws-cache", d.gen - 1, "fake", 8, fdb_load, &d);
    assert_ptr_equal(a, b);
    /* another model or dimension is another index */
    idx_snapshot *c = idx_acquire("ws-cache", d.gen, "other", 8, fdb_load, &d);
    assert_ptr_not_equal(a, c);
    assert_int_equal(loads_full, f0 + 2);
    size_t ws, vecs, bytes;
    idx_totals(&ws, &vecs, &bytes);
    assert_true(ws >= 1 && vecs >= 1 && bytes >= idx_bytes(c));
    idx_drop("ws-cache");
    idx_snapshot *e = fdb_index(&d, "ws-cache");
    assert_int_equal(loads_full, f0 + 3);
    assert_int_equal(idx_count(a), 1);      /* still readable after the drop */
    assert_string_equal(idx_id(a, 0), d.m[0].id);
    assert_string_equal(idx_id(a, 7), "");
    idx_release(a);
    idx_release(b);
    idx_release(c);
    idx_release(e);
    assert_null(idx_acquire("ws-cache", 0, "fake", 0, fdb_load, &d));
    idx_drop(NULL);
    fdb_free(&d);
}

/* Gives m another id (the hash is rebuilt). */
static void fdb_rename(fdb *d, fmem *m, const char *id)
{
    snprintf(m->id, sizeof m->id, "%s", id);
    memset(d->h, 0, d->hcap * sizeof *d->h);
    for (size_t i = 0; i < d->n; i++)
        hash_put(d, i);
}

/* k = 0, k past the rows, an empty workspace, queries that are not finite
 * (every row is a candidate), names too long, another dimension. */
static void test_search_edges(void **state)
{
    (void)state;
    enum { DIM = 8 };
    fdb d, e, d16;
    fdb_init(&d, DIM);
    fdb_init(&e, DIM);
    fdb_init(&d16, 16);
    float v[16], q[DIM];
    idx_hit out[8];
    size_t n = 99;
    idx_snapshot *empty = fdb_index(&e, "ws-edge-empty");
    unit(q, DIM);
    assert_int_equal(idx_search(empty, q, 5, fdb_fetch, &e, 0, out, &n), 0);
    assert_int_equal(n, 0);
    idx_release(empty);
    for (int i = 0; i < 3; i++) {
        unit(v, DIM);
        fdb_create(&d, v, 0);
    }
    idx_snapshot *s = fdb_index(&d, "ws-edge");
    n = 99;
    assert_int_equal(idx_search(s, q, 0, fdb_fetch, &d, 0, out, &n), 0);
    assert_int_equal(n, 0);
    check_search(&d, s, q, 8);                      /* k past the 3 rows */
    assert_int_equal(idx_search(s, q, 8, fdb_fetch, &d, 0, out, &n), 0);
    assert_int_equal(n, 3);
    q[3] = INFINITY;
    check_search(&d, s, q, 2);
    q[3] = NAN;
    check_search(&d, s, q, 2);
    idx_release(s);
    char longname[100];
    memset(longname, 'w', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    assert_null(idx_acquire(longname, d.gen, "fake", DIM, fdb_load, &d));
    assert_null(idx_acquire("ws-edge", d.gen, longname, DIM, fdb_load, &d));
    /* the embedder's dimension changed: the workspace is loaded anew */
    for (int i = 0; i < 4; i++) {
        unit(v, 16);
        fdb_create(&d16, v, 0);
    }
    unsigned f0 = loads_full;
    s = idx_acquire("ws-edge", d16.gen, "fake", 16, fdb_load, &d16);
    assert_non_null(s);
    assert_int_equal(loads_full, f0 + 1);
    assert_int_equal(idx_count(s), 4);
    idx_release(s);
    idx_drop("ws-edge");
    idx_drop("ws-edge-empty");
    fdb_free(&d);
    fdb_free(&e);
    fdb_free(&d16);
}

/* A fetcher that also reports what was not asked for: no id, an unknown
 * id, a candidate twice (the second time with another vector). */
static int odd_fetch(void *ctx, const char *const *ids, size_t n, idx_fetch *f)
{
    fdb *d = ctx;
    float junk[64];
    for (size_t i = 0; i < d->dim; i++)
        junk[i] = 1.0f;
    idx_fetched(f, NULL, junk, 1, 1);
    idx_fetched(f, "memory-unknown", junk, 1, 1);
    if (fdb_fetch(ctx, ids, n, f) != 0)
        return -1;
    for (size_t i = 0; i < n; i++)
        idx_fetched(f, ids[i], junk, 1, 1);
    return 0;
}

static int failing_fetch(void *ctx, const char *const *ids, size_t n, idx_fetch *f)
{
    (void)ctx;
    (void)ids;
    (void)n;
    (void)f;
    return -1;
}

static void test_fetch_answers(void **state)
{
    (void)state;
    enum { DIM = 16 };
    fdb d;
    fdb_init(&d, DIM);
    float v[DIM], q[DIM];
    for (int i = 0; i < 50; i++) {
        unit(v, DIM);
        fdb_create(&d, v, 0);
    }
    idx_snapshot *s = fdb_index(&d, "ws-fetch");
    idx_hit want[5], got[5];
    size_t nw, ng;
    fmem *m = &d.m[7];
    memcpy(q, m->vec, sizeof q);
    assert_int_equal(idx_search(s, q, 5, fdb_fetch, &d, 0, want, &nw), 0);
    assert_int_equal(idx_search(s, q, 5, odd_fetch, &d, 0, got, &ng), 0);
    assert_int_equal(ng, nw);
    for (size_t i = 0; i < nw; i++) {
        assert_string_equal(got[i].id, want[i].id);
        assert_memory_equal(&got[i].score, &want[i].score, sizeof(float));
    }
    assert_string_equal(got[0].id, m->id);
    assert_int_equal(idx_search(s, q, 5, failing_fetch, &d, 0, got, &ng), -1);
    assert_int_equal(ng, 0);
    /* the best match lost its vector: stale, or left out when lenient */
    fdb_set_vec(&d, m, NULL);
    assert_int_equal(idx_search(s, q, 5, fdb_fetch, &d, 0, got, &ng), IDX_STALE);
    assert_int_equal(idx_search(s, q, 5, fdb_fetch, &d, IDX_LENIENT, got, &ng), 0);
    /* lenient: the other candidates in order (the row past the old top 5
     * may not have been a candidate) */
    idx_snapshot *fresh = fdb_index(&d, "ws-fetch");
    assert_int_equal(idx_search(fresh, q, 5, fdb_fetch, &d, 0, want, &nw), 0);
    assert_int_equal(nw, 5);
    assert_true(ng >= 4 && ng <= 5);
    for (size_t i = 0; i < ng; i++) {
        assert_string_not_equal(got[i].id, m->id);
        assert_string_equal(got[i].id, want[i].id);
    }
    idx_release(fresh);
    idx_release(s);
    idx_drop("ws-fetch");
    fdb_free(&d);
}

/* Memories without a vector deleted or given one: the delta keeps the
 * pending count. */
static void test_pending_delta(void **state)
{
    (void)state;
    enum { DIM = 8 };
    fdb d;
    fdb_init(&d, DIM);
    float v[DIM];
    fmem *none[4];
    for (int i = 0; i < 20; i++) {
        unit(v, DIM);
        fdb_create(&d, v, 0);
    }
    for (int i = 0; i < 4; i++)
        none[i] = fdb_create(&d, NULL, 0);
    idx_snapshot *s = fdb_index(&d, "ws-pend");
    assert_int_equal(idx_pending(s), 4);
    idx_release(s);
    unsigned f0 = loads_full, d0 = loads_delta;
    none[0] = &d.m[20];                     /* fdb_create may have moved the rows */
    none[3] = &d.m[23];
    fdb_delete(&d, none[0]);                /* not the last of the pending set */
    s = fdb_index(&d, "ws-pend");
    check_like_full(&d, s);
    assert_int_equal(idx_pending(s), 3);
    idx_release(s);
    unit(v, DIM);
    fdb_set_vec(&d, none[3], v);            /* gains a vector */
    s = fdb_index(&d, "ws-pend");
    check_like_full(&d, s);
    assert_int_equal(idx_pending(s), 2);
    assert_int_equal(idx_count(s), 21);
    idx_release(s);
    fdb_delete(&d, &d.m[21]);
    fdb_delete(&d, &d.m[22]);
    s = fdb_index(&d, "ws-pend");
    check_like_full(&d, s);
    assert_int_equal(idx_pending(s), 0);
    idx_release(s);
    assert_int_equal(loads_full, f0);
    assert_int_equal(loads_delta, d0 + 3);
    idx_drop("ws-pend");
    fdb_free(&d);
}

/* An id too long for the index: counted as pending, never an answer; a
 * delta that names it does not add up, so the workspace is loaded in full. */
static void test_long_id(void **state)
{
    (void)state;
    enum { DIM = 8 };
    fdb d;
    fdb_init(&d, DIM);
    float v[DIM];
    for (int i = 0; i < 10; i++) {
        unit(v, DIM);
        fdb_create(&d, v, 0);
    }
    unit(v, DIM);
    fdb_create(&d, v, 0);
    fdb_rename(&d, &d.m[10], "memory-with-an-id-of-thirty-five");
    idx_snapshot *s = fdb_index(&d, "ws-long");
    assert_int_equal(idx_count(s), 10);
    assert_int_equal(idx_pending(s), 1);
    idx_hit out[11];
    size_t n;
    assert_int_equal(idx_search(s, v, 11, fdb_fetch, &d, 0, out, &n), 0);
    assert_int_equal(n, 10);
    for (size_t i = 0; i < n; i++)
        assert_string_not_equal(out[i].id, d.m[10].id);
    idx_release(s);
    unsigned f0 = loads_full, d0 = loads_delta;
    fdb_set_vec(&d, &d.m[10], NULL);
    s = fdb_index(&d, "ws-long");
    assert_int_equal(loads_delta, d0 + 1);
    assert_int_equal(loads_full, f0 + 1);
    assert_int_equal(idx_count(s), 10);
    assert_int_equal(idx_pending(s), 1);
    assert_int_equal(idx_generation(s), d.gen);
    idx_release(s);
    fdb_delete(&d, &d.m[10]);
    s = fdb_index(&d, "ws-long");
    assert_int_equal(loads_full, f0 + 2);
    assert_int_equal(idx_count(s), 10);
    assert_int_equal(idx_pending(s), 0);
    idx_release(s);
    idx_drop("ws-long");
    fdb_free(&d);
}

/* Loaders that fail, forget the state, or report a memory counter that a
 * write outside the server changed (extra on deltas only). */
static int extra_count;

static int failing_load(void *ctx, idx_builder *b, int64_t since)
{
    (void)ctx;
    (void)b;
    (void)since;
    return -1;
}

static int stateless_load(void *ctx, idx_builder *b, int64_t since)
{
    (void)ctx;
    (void)b;
    (void)since;
    return 0;
}

static int miscounting_load(void *ctx, idx_builder *b, int64_t since)
{
    fdb *d = ctx;
    idx_set_state(b, d->gen, (int64_t)fdb_live(d) + extra_count, d->floor);
    for (size_t i = d->n; i-- > 0;)
        if (d->m[i].live && (since < 0 || d->m[i].seq > since) &&
            idx_add(b, d->m[i].id, d->m[i].vec) != 0)
            return -1;
    since < 0 ? loads_full++ : loads_delta++;
    return 0;
}

static void test_loader_answers(void **state)
{
    (void)state;
    enum { DIM = 8 };
    fdb d;
    fdb_init(&d, DIM);
    float v[DIM];
    for (int i = 0; i < 5; i++) {
        unit(v, DIM);
        fdb_create(&d, v, 0);
    }
    assert_null(idx_acquire("ws-loader", d.gen, "fake", DIM, failing_load, &d));
    assert_null(idx_acquire("ws-loader", d.gen, "fake", DIM, stateless_load, &d));
    /* the counter disagrees with a full load: the rows are trusted */
    extra_count = 2;
    unsigned f0 = loads_full, d0 = loads_delta;
    idx_snapshot *s = idx_acquire("ws-loader", d.gen, "fake", DIM, miscounting_load, &d);
    assert_non_null(s);
    assert_int_equal(idx_count(s), 5);
    idx_release(s);
    /* a delta that does not add up: loaded in full instead */
    unit(v, DIM);
    fdb_create(&d, v, 0);
    s = idx_acquire("ws-loader", d.gen, "fake", DIM, miscounting_load, &d);
    assert_non_null(s);
    assert_int_equal(loads_delta, d0 + 1);
    assert_int_equal(loads_full, f0 + 2);
    assert_int_equal(idx_count(s), 6);
    assert_int_equal(idx_generation(s), d.gen);
    idx_release(s);
    /* a delta on a snapshot that fails: no snapshot, the cached one stays */
    unit(v, DIM);
    fdb_create(&d, v, 0);
    assert_null(idx_acquire("ws-loader", d.gen, "fake", DIM, failing_load, &d));
    s = idx_acquire("ws-loader", d.gen - 1, "fake", DIM, failing_load, &d);
    assert_non_null(s);
    assert_int_equal(idx_count(s), 6);
    idx_release(s);
    extra_count = 0;
    idx_drop("ws-loader");
    fdb_free(&d);
}

/* A workspace of memories without vectors only: a delete is a delta. */
static void test_only_pending(void **state)
{
    (void)state;
    fdb d;
    fdb_init(&d, 8);
    fdb_create(&d, NULL, 0);
    fdb_create(&d, NULL, 0);
    idx_snapshot *s = fdb_index(&d, "ws-none");
    assert_int_equal(idx_pending(s), 2);
    idx_release(s);
    unsigned f0 = loads_full;
    fdb_delete(&d, &d.m[0]);
    s = fdb_index(&d, "ws-none");
    assert_int_equal(loads_full, f0);
    assert_int_equal(idx_pending(s), 1);
    assert_int_equal(idx_count(s), 0);
    idx_release(s);
    idx_drop("ws-none");
    fdb_free(&d);
}

static void fill(fdb *d, size_t n);

/* More snapshots than one eviction batch leave when the budget shrinks. */
static void test_budget_many(void **state)
{
    (void)state;
    fdb d;
    fdb_init(&d, 8);
    fill(&d, 3);
    char wid[32];
    idx_drop(NULL);
    for (int i = 0; i < 150; i++) {
        snprintf(wid, sizeof wid, "ws-many-%d", i);
        idx_release(fdb_index(&d, wid));
    }
    size_t ws, vecs, bytes;
    idx_totals(&ws, &vecs, &bytes);
    assert_int_equal(ws, 150);
    idx_set_budget(0);
    idx_totals(&ws, &vecs, &bytes);
    assert_int_equal(ws, 0);
    assert_int_equal(bytes, 0);
    idx_set_budget((size_t)1 << 30);
    for (int i = 0; i < 150; i++) {
        snprintf(wid, sizeof wid, "ws-many-%d", i);
        idx_release(fdb_index(&d, wid));
    }
    idx_drop(NULL);
    idx_totals(&ws, &vecs, &bytes);
    assert_int_equal(ws, 0);
    fdb_free(&d);
}

/* ---- the budget ------------------------------------------------------------ */

static void fill(fdb *d, size_t n)
{
    float v[384];
    for (size_t i = 0; i < n; i++) {
        unit(v, d->dim);
        fdb_create(d, v, 0);
    }
}

/* Bytes per 384-d memory, and the cache's total is the sum of its snapshots. */
static void test_bytes(void **state)
{
    (void)state;
    idx_drop(NULL);
    fdb d1, d2;
    fdb_init(&d1, 384);
    fdb_init(&d2, 384);
    fill(&d1, 10000);
    fill(&d2, 3000);
    idx_snapshot *a = fdb_index(&d1, "ws-bytes-1"), *b = fdb_index(&d2, "ws-bytes-2");
    double per = (double)idx_bytes(a) / 10000;
    printf("index bytes per 384-d memory at 10k: %.1f\n", per);
    assert_true(per <= 512.0 && per >= 384.0);
    idx_stats st;
    idx_stats_get(&st);
    assert_int_equal(st.bytes, idx_bytes(a) + idx_bytes(b));
    assert_int_equal(st.workspaces, 2);
    idx_release(a);
    idx_release(b);
    idx_drop(NULL);
    idx_stats_get(&st);
    assert_int_equal(st.bytes, 0);
    assert_int_equal(st.workspaces, 0);
    fdb_free(&d1);
    fdb_free(&d2);
}

/* Over the budget, the least recently searched snapshot leaves first. */
static void test_eviction_order(void **state)
{
    (void)state;
    idx_drop(NULL);
    fdb d[4];
    char wid[4][24];
    size_t one = 0;
    for (int i = 0; i < 4; i++) {
        fdb_init(&d[i], 384);
        fill(&d[i], 2000);
        snprintf(wid[i], sizeof wid[i], "ws-lru-%d", i);
        idx_snapshot *s = fdb_index(&d[i], wid[i]);
        one = idx_bytes(s);
        idx_release(s);
    }
    /* room for three: searching 0 again makes 1 the least recent */
    idx_release(fdb_index(&d[0], wid[0]));
    idx_stats a, b;
    idx_stats_get(&a);
    idx_set_budget(3 * one + one / 2);
    idx_stats_get(&b);
    assert_int_equal(b.evictions - a.evictions, 1);
    assert_int_equal(b.workspaces, 3);
    assert_true(b.bytes <= 3 * one + one / 2);
    /* 1 was dropped: searching it loads in full, and drops 2 (now the oldest) */
    unsigned f0 = loads_full;
    idx_release(fdb_index(&d[0], wid[0]));
    idx_release(fdb_index(&d[3], wid[3]));
    assert_int_equal(loads_full, f0);
    idx_release(fdb_index(&d[1], wid[1]));
    assert_int_equal(loads_full, f0 + 1);
    idx_release(fdb_index(&d[0], wid[0]));
    idx_release(fdb_index(&d[3], wid[3]));
    assert_int_equal(loads_full, f0 + 1);
    idx_release(fdb_index(&d[2], wid[2]));
    assert_int_equal(loads_full, f0 + 2);
    idx_set_budget((size_t)1 << 30);
    idx_drop(NULL);
    for (int i = 0; i < 4; i++)
        fdb_free(&d[i]);
}

/* A snapshot a search holds is never dropped; it goes once let go. */
static void test_eviction_in_use(void **state)
{
    (void)state;
    idx_drop(NULL);
    fdb d[3];
    float q[384];
    for (int i = 0; i < 3; i++) {
        fdb_init(&d[i], 384);
        fill(&d[i], 1500);
    }
    idx_snapshot *held = fdb_index(&d[0], "ws-use-0");
    idx_set_budget(idx_bytes(held) / 2);        /* nothing fits */
    idx_snapshot *s1 = fdb_index(&d[1], "ws-use-1");
    idx_release(s1);
    idx_stats st;
    idx_stats_get(&st);
    assert_int_equal(st.workspaces, 2);         /* held, and the one just loaded */
    unit(q, 384);
    check_search(&d[0], held, q, 10);           /* still whole */
    idx_release(held);
    idx_release(fdb_index(&d[2], "ws-use-2"));  /* now 0 and 1 may go */
    idx_stats_get(&st);
    assert_int_equal(st.workspaces, 1);
    unsigned f0 = loads_full;
    idx_release(fdb_index(&d[0], "ws-use-0"));
    assert_int_equal(loads_full, f0 + 1);
    idx_set_budget((size_t)1 << 30);
    idx_drop(NULL);
    for (int i = 0; i < 3; i++)
        fdb_free(&d[i]);
}

/* ---- concurrency ----------------------------------------------------------- */

typedef struct race {
    fdb *d;
    int stop;
    unsigned searches, bad, stale;
} race;

static void *searcher(void *p)
{
    race *r = p;
    float q[32];
    idx_hit out[10];
    uint32_t x = 12345u + r->searches;
    while (!__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE)) {
        for (size_t i = 0; i < 32; i++) {       /* own generator: rng() is not shared */
            x = x * 1664525u + 1013904223u;
            q[i] = (float)(x >> 8) / 16777216.0f - 0.5f;
        }
        vec_normalize(q, 32);
        pthread_mutex_lock(&r->d->mu);
        int64_t gen = r->d->gen;
        pthread_mutex_unlock(&r->d->mu);
        idx_snapshot *s = idx_acquire("ws-race", gen, "fake", 32, fdb_load, r->d);
        if (!s)
            continue;
        size_t n = 0;
        int rc = idx_search(s, q, 10, fdb_fetch, r->d, 0, out, &n);
        r->stale += rc == IDX_STALE;
        for (size_t i = 0; rc == 0 && i < n; i++)
            r->bad += out[i].id[0] != 'm';
        r->bad += rc == 0 && n != 10;
        r->bad += rc < 0;
        idx_release(s);
        r->searches++;
    }
    return NULL;
}

/* Searches on four threads while the table changes underneath. */
static void test_concurrent(void **state)
{
    (void)state;
    fdb d;
    fdb_init(&d, 32);
    float v[32];
    for (size_t i = 0; i < 2000; i++) {
        unit(v, 32);
        fdb_create(&d, v, 0);
    }
    race r[4];
    pthread_t t[4];
    for (int i = 0; i < 4; i++) {
        r[i] = (race){ &d, 0, (unsigned)i, 0, 0 };
        assert_int_equal(pthread_create(&t[i], NULL, searcher, &r[i]), 0);
    }
    for (int step = 0; step < 300; step++) {
        pthread_mutex_lock(&d.mu);
        unit(v, 32);
        if (step % 10 == 9)
            fdb_delete(&d, fdb_pick(&d));
        else if (step % 2)
            fdb_create(&d, v, 0);
        else
            fdb_set_vec(&d, fdb_pick(&d), v);
        pthread_mutex_unlock(&d.mu);
        idx_release(fdb_index(&d, "ws-race"));
    }
    for (int i = 0; i < 4; i++) {
        __atomic_store_n(&r[i].stop, 1, __ATOMIC_RELEASE);
        pthread_join(t[i], NULL);
        assert_int_equal(r[i].bad, 0);
        assert_true(r[i].searches > (unsigned)i);
    }
    idx_snapshot *s = fdb_index(&d, "ws-race");
    check_like_full(&d, s);
    idx_release(s);
    idx_drop(NULL);
    fdb_free(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_sizes),
        cmocka_unit_test(test_adversarial),
        cmocka_unit_test(test_duplicate_ties),
        cmocka_unit_test(test_few_candidates),
        cmocka_unit_test(test_delta_refresh),
        cmocka_unit_test(test_delete_incremental),
        cmocka_unit_test(test_tombstone_floor),
        cmocka_unit_test(test_stale_candidate),
        cmocka_unit_test(test_cache),
        cmocka_unit_test(test_search_edges),
        cmocka_unit_test(test_fetch_answers),
        cmocka_unit_test(test_pending_delta),
        cmocka_unit_test(test_long_id),
        cmocka_unit_test(test_loader_answers),
        cmocka_unit_test(test_only_pending),
        cmocka_unit_test(test_budget_many),
        cmocka_unit_test(test_bytes),
        cmocka_unit_test(test_eviction_order),
        cmocka_unit_test(test_eviction_in_use),
        cmocka_unit_test(test_concurrent),
    };
    return cmocka_run_group_tests_name("embed/index", tests, NULL, NULL);
}
