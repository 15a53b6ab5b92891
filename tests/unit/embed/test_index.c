/* test_index.c — unit tests for src/embed/index.c against an in-memory
 * fake of the memories table: idx_search must equal vec_topk over the rows
 * in (created_at, id) order — ids, order and bit-identical scores — on
 * random data and on adversarial data (near-ties, duplicates, zero rows,
 * clusters, NaN rows, zero queries), with every dot kernel the CPU has; a
 * refresh after any sequence of creates, updates, deletes and memories
 * without vectors must give exactly what a full load gives, and must be a
 * delta load where the design says so; searches running while another
 * thread refreshes must stay valid (run under ASan). */
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
    int64_t created, updated;
    int live;
} fmem;

typedef struct fdb {
    fmem *m;
    size_t n, cap, dim;
    int64_t gen, clock;
    pthread_mutex_t mu;
} fdb;

/* 0.7 s between writes: the 5 s look-back window spans a few of them. */
#define TICK 700000

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
    pthread_mutex_destroy(&d->mu);
}

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
    if (vec) {
        m->vec = malloc(d->dim * sizeof(float));
        memcpy(m->vec, vec, d->dim * sizeof(float));
    }
    m->created = created ? created : (d->clock += TICK);
    m->updated = m->created > d->clock ? m->created : (d->clock += TICK);
    m->live = 1;
    d->n++;
    d->gen++;
    return m;
}

static void fdb_set_vec(fdb *d, fmem *m, const float *vec)
{
    float *old = m->vec;
    m->vec = NULL;
    if (vec) {
        m->vec = malloc(d->dim * sizeof(float));
        memcpy(m->vec, vec, d->dim * sizeof(float));
    }
    free(old);
    m->updated = (d->clock += TICK);
    d->gen++;
}

static void fdb_delete(fdb *d, fmem *m)
{
    m->live = 0;
    d->gen++;
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

static int cmp_order(const void *a, const void *b)
{
    const fmem *x = *(const fmem *const *)a, *y = *(const fmem *const *)b;
    if (x->created != y->created)
        return x->created < y->created ? -1 : 1;
    return strcmp(x->id, y->id);
}

/* The live rows (with a vector when vec_only) in (created, id) order. */
static fmem **fdb_sorted(fdb *d, int vec_only, int64_t since, size_t *n)
{
    fmem **out = malloc((d->n + 1) * sizeof *out);
    assert_non_null(out);
    *n = 0;
    for (size_t i = 0; i < d->n; i++)
        if (d->m[i].live && (!vec_only || d->m[i].vec) && d->m[i].updated >= since)
            out[(*n)++] = &d->m[i];
    qsort(out, *n, sizeof *out, cmp_order);
    return out;
}

static unsigned loads_full, loads_delta;

static int fdb_load(void *ctx, idx_builder *b, int64_t since)
{
    fdb *d = ctx;
    size_t n, live = 0;
    pthread_mutex_lock(&d->mu);
    fmem **rows = fdb_sorted(d, 0, since < 0 ? INT64_MIN : since, &n);
    for (size_t i = 0; i < d->n; i++)
        live += d->m[i].live;
    idx_set_state(b, d->gen, (int64_t)live);
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = idx_add(b, rows[i]->id, rows[i]->vec, rows[i]->created, rows[i]->updated);
    since < 0 ? loads_full++ : loads_delta++;
    pthread_mutex_unlock(&d->mu);
    free(rows);
    return rc == 0 ? 0 : -1;
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
    size_t n;
    fmem **rows = fdb_sorted(d, 1, INT64_MIN, &n);
    float *flat = malloc((n + 1) * d->dim * sizeof *flat);
    vec_hit *want = malloc((k + 1) * sizeof *want), *got = malloc((k + 1) * sizeof *got);
    assert_true(flat && want && got);
    for (size_t i = 0; i < n; i++)
        memcpy(flat + i * d->dim, rows[i]->vec, d->dim * sizeof(float));
    size_t nw = vec_topk(q, flat, n, d->dim, k, want);
    size_t ng = idx_search(s, q, k, got);
    assert_int_equal(idx_count(s), n);
    assert_int_equal(ng, nw);
    for (size_t i = 0; i < nw; i++) {
        if (strcmp(idx_id(s, got[i].row), rows[want[i].row]->id) != 0 ||
            memcmp(&got[i].score, &want[i].score, sizeof(float)) != 0)
            fail_msg("k=%zu n=%zu place %zu: got %s %.9g want %s %.9g", k, n, i,
                     idx_id(s, got[i].row), got[i].score, rows[want[i].row]->id,
                     want[i].score);
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

/* Data built to defeat the first pass: it must fall back, never be wrong. */
static void test_adversarial(void **state)
{
    (void)state;
    enum { DIM = 384, N = 3000 };
    idx_stats before, after;
    idx_stats_get(&before);
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
    idx_stats_get(&after);
    assert_true(after.exact_scans > before.exact_scans);     /* the fallback was exercised */
}

/* Random data: the first pass proves its answer nearly always. */
static void test_first_pass_usually_suffices(void **state)
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
    printf("exact scans for 50 near-row queries over 20k random rows: %llu\n",
           (unsigned long long)(b.exact_scans - a.exact_scans));
    assert_true(b.exact_scans - a.exact_scans <= 5);
    idx_release(s);
    idx_drop("ws-fast");
    fdb_free(&d);
}

/* Snapshot at gen equals a fresh full load: same rows in the same order,
 * same pending count and same answers. */
static void check_like_full(fdb *d, idx_snapshot *s)
{
    size_t n, live = 0;
    fmem **rows = fdb_sorted(d, 1, INT64_MIN, &n);
    for (size_t i = 0; i < d->n; i++)
        live += d->m[i].live;
    assert_int_equal(idx_count(s), n);
    assert_int_equal(idx_pending(s), (int64_t)(live - n));
    assert_int_equal(idx_generation(s), d->gen);
    for (size_t i = 0; i < n; i++)
        assert_string_equal(idx_id(s, (uint32_t)i), rows[i]->id);
    free(rows);
    check_queries(d, s, 6);
}

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
        int op = (int)urand(10), expect_delta = 1;
        int nchanges = 1 + (int)urand(3);
        for (int c = 0; c < nchanges; c++) {
            fmem *m = fdb_pick(&d);
            unit(v, DIM);
            if (op >= 4 && op < 8 && !m->vec)
                expect_delta = 0;                       /* gains a vector: full */
            if (op < 4) {
                fdb_create(&d, v, 0);                   /* append */
            } else if (op < 7) {
                fdb_set_vec(&d, m, v);                  /* new vector in place */
            } else if (op == 7) {
                fdb_set_vec(&d, m, m->vec ? m->vec : v); /* touched, same vector */
            } else if (op == 8) {
                fdb_delete(&d, m);                      /* needs a full load */
                expect_delta = 0;
            } else if (urand(2)) {
                fdb_create(&d, NULL, 0);                /* a memory without vector */
            } else {
                if (m->vec)
                    expect_delta = 0;                   /* loses its vector: full */
                fdb_set_vec(&d, m, NULL);
            }
        }
        s = fdb_index(&d, "ws-delta");
        check_like_full(&d, s);
        idx_release(s);
        if (expect_delta)
            assert_true(loads_delta == d0 + 1 && loads_full == f0);
        if (!expect_delta)
            assert_true(loads_full == f0 + 1);
        /* a search at the same generation loads nothing */
        s = fdb_index(&d, "ws-delta");
        assert_true(loads_full + loads_delta == f0 + d0 + 1 + !expect_delta);
        idx_release(s);
    }
    printf("400 steps: %u delta loads, %u full loads\n", loads_delta, loads_full);
    idx_drop("ws-delta");
    fdb_free(&d);
}

/* A write committed late with an older timestamp (within the slack) is
 * picked up; one older than the slack is not, and the count check catches
 * it when it was a create. */
static void test_slack(void **state)
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
    idx_set_slack_us(1000);                 /* 1 ms */
    idx_release(fdb_index(&d, "ws-slack"));
    unit(v, DIM);
    fmem *late = fdb_pick(&d);
    fdb_set_vec(&d, late, v);
    late->updated = d.clock - TICK - 900;   /* taken before the newest row seen */
    unsigned f0 = loads_full;
    idx_snapshot *s = fdb_index(&d, "ws-slack");
    check_like_full(&d, s);
    assert_int_equal(loads_full, f0);
    idx_release(s);
    /* a create far in the past: the count check loads in full */
    unit(v, DIM);
    fmem *old = fdb_create(&d, v, 5);
    old->updated = 5;
    s = fdb_index(&d, "ws-slack");
    check_like_full(&d, s);
    assert_int_equal(loads_full, f0 + 1);
    idx_release(s);
    idx_set_slack_us(IDX_SLACK_US_DEFAULT);
    idx_drop("ws-slack");
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

typedef struct race {
    fdb *d;
    int stop;
    unsigned searches, bad;
} race;

static void *searcher(void *p)
{
    race *r = p;
    float q[32];
    vec_hit out[10];
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
        size_t n = idx_search(s, q, 10, out);
        for (size_t i = 0; i < n; i++)
            r->bad += idx_id(s, out[i].row)[0] != 'm';
        r->bad += n != 10;
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
        r[i] = (race){ &d, 0, (unsigned)i, 0 };
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
        cmocka_unit_test(test_first_pass_usually_suffices),
        cmocka_unit_test(test_delta_refresh),
        cmocka_unit_test(test_slack),
        cmocka_unit_test(test_cache),
        cmocka_unit_test(test_concurrent),
    };
    return cmocka_run_group_tests_name("embed/index", tests, NULL, NULL);
}
