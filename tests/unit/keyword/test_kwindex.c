/* test_kwindex.c — unit tests for src/keyword/kwindex.c: AND semantics,
 * BM25 order (tf, title weight, length), scores in (0, 1), ties by id,
 * replace and remove, and a long random run of puts and removes (past
 * several compactions) checked after every step against a brute-force
 * model built on util/terms.c. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "keyword/kwindex.h"

static size_t search(kw_index *x, const char *query, size_t k, kw_hit *out)
{
    term_bag q = TERM_BAG_INIT;
    size_t n = 0;
    assert_int_equal(terms_add(&q, query, strlen(query), 1), 0);
    terms_finish(&q);
    assert_int_equal(kwi_search(x, &q, k, out, &n), 0);
    terms_free(&q);
    for (size_t i = 0; i < n; i++) {
        assert_true(out[i].score > 0 && out[i].score < 1);
        if (i)
            assert_true(out[i - 1].score > out[i].score ||
                        (out[i - 1].score == out[i].score &&
                         strcmp(out[i - 1].id, out[i].id) < 0));
    }
    return n;
}

static void test_and_semantics_and_order(void **state)
{
    (void)state;
    kw_index *x = kwi_new();
    kw_hit h[10];
    assert_int_equal(kwi_put(x, "m1", "Plain", "zephyr once among other words here"), 0);
    assert_int_equal(kwi_put(x, "m2", "Plain", "zephyr zephyr zephyr and little else"), 0);
    assert_int_equal(kwi_put(x, "m3", "Zephyr", "a note whose title names it"), 0);
    assert_int_equal(kwi_put(x, "m4", "Other", "nothing to see INC-48213"), 0);
    assert_int_equal(kwi_count(x), 4);
    assert_int_equal(search(x, "zephyr", 10, h), 3);
    assert_string_equal(h[2].id, "m1");                 /* tf 1, not in the title */
    assert_int_equal(search(x, "zephyr note", 10, h), 1);
    assert_string_equal(h[0].id, "m3");
    assert_int_equal(search(x, "zephyr missing", 10, h), 0);
    assert_int_equal(search(x, "48213", 10, h), 1);
    assert_int_equal(search(x, "INC-48213", 10, h), 1);
    assert_int_equal(search(x, "the of", 10, h), 0);    /* stop words only */
    assert_int_equal(search(x, "zephyr", 1, h), 1);     /* k bounds the answer */
    kwi_free(x);
}

static void test_ties_by_id(void **state)
{
    (void)state;
    kw_index *x = kwi_new();
    kw_hit h[4];
    assert_int_equal(kwi_put(x, "b", "t", "equal words"), 0);
    assert_int_equal(kwi_put(x, "c", "t", "equal words"), 0);
    assert_int_equal(kwi_put(x, "a", "t", "equal words"), 0);
    assert_int_equal(search(x, "equal", 2, h), 2);
    assert_string_equal(h[0].id, "a");
    assert_string_equal(h[1].id, "b");
    kwi_free(x);
}

static void test_replace_and_remove(void **state)
{
    (void)state;
    kw_index *x = kwi_new();
    kw_hit h[4];
    assert_int_equal(kwi_put(x, "m", "Lighthouse", "beacon INC-1001"), 0);
    assert_int_equal(kwi_put(x, "m", "Lighthouse", "beacon INC-2002"), 0);
    assert_int_equal(kwi_count(x), 1);
    assert_int_equal(search(x, "INC-1001", 4, h), 0);
    assert_int_equal(search(x, "INC-2002 lighthouse", 4, h), 1);
    kwi_remove(x, "m");
    kwi_remove(x, "never-there");
    assert_int_equal(kwi_count(x), 0);
    assert_int_equal(search(x, "beacon", 4, h), 0);
    assert_true(kwi_bytes(x) > 0);
    kwi_free(x);
    kwi_free(NULL);
}

/* ---- random run against a brute-force model ---- */

#define SLOTS 400
#define STEPS 6000
static const char *const WORDS[] = { "alpha", "beta", "gamma", "INC-7", "7", "delta", "x.y",
                                     "the", "epsilon", "zeta" };
#define NWORDS (sizeof WORDS / sizeof *WORDS)

static uint64_t rng = 88172645463325252ull;

static unsigned rnd(unsigned n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (unsigned)(rng % n);
}

typedef struct model {
    bool alive;
    char text[128];
} model;

static bool holds(const char *text, const char *query)
{
    term_bag d = TERM_BAG_INIT, q = TERM_BAG_INIT;
    terms_add(&d, "t", 1, KWI_TITLE_WEIGHT);
    terms_add(&d, text, strlen(text), 1);
    terms_add(&q, query, strlen(query), 1);
    terms_finish(&d);
    terms_finish(&q);
    bool all = q.n > 0;
    for (size_t i = 0; i < q.n && all; i++) {
        bool found = false;
        for (size_t j = 0; j < d.n && !found; j++)
            found = strcmp(q.v[i].s, d.v[j].s) == 0;
        all = found;
    }
    terms_free(&d);
    terms_free(&q);
    return all;
}

static void check_query(kw_index *x, const model *m, const char *query)
{
    static kw_hit h[SLOTS];
    size_t n = search(x, query, SLOTS, h), want = 0;
    char id[16];
    for (int i = 0; i < SLOTS; i++) {
        if (!m[i].alive || !holds(m[i].text, query))
            continue;
        want++;
        snprintf(id, sizeof id, "m%03d", i);
        bool found = false;
        for (size_t j = 0; j < n && !found; j++)
            found = strcmp(h[j].id, id) == 0;
        assert_true(found);
    }
    assert_int_equal(n, want);
}

static void test_random_run_matches_model(void **state)
{
    (void)state;
    static model m[SLOTS];
    kw_index *x = kwi_new();
    char id[16], query[64];
    size_t live = 0;
    for (int step = 0; step < STEPS; step++) {
        int i = (int)rnd(SLOTS);
        snprintf(id, sizeof id, "m%03d", i);
        if (rnd(3) == 0) {                      /* remove (also of dead ids) */
            kwi_remove(x, id);
            live -= m[i].alive;
            m[i].alive = false;
        } else {                                /* create or replace */
            size_t off = 0, words = 1 + rnd(6);
            for (size_t w = 0; w < words; w++)
                off += (size_t)snprintf(m[i].text + off, sizeof m[i].text - off, "%s ",
                                        WORDS[rnd(NWORDS)]);
            assert_int_equal(kwi_put(x, id, "t", m[i].text), 0);
            live += !m[i].alive;
            m[i].alive = true;
        }
        assert_int_equal(kwi_count(x), live);
        if (step % 50 == 0) {
            snprintf(query, sizeof query, "%s %s", WORDS[rnd(NWORDS)], WORDS[rnd(NWORDS)]);
            check_query(x, m, query);
            check_query(x, m, WORDS[rnd(NWORDS)]);
        }
    }
    kwi_free(x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_and_semantics_and_order),
        cmocka_unit_test(test_ties_by_id),
        cmocka_unit_test(test_replace_and_remove),
        cmocka_unit_test(test_random_run_matches_model),
    };
    return cmocka_run_group_tests_name("keyword/kwindex", tests, NULL, NULL);
}
