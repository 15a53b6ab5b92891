/* test_ranking.c — unit tests for src/util/ranking.c: BM25's idf (never
 * negative, falling with df), term weights that grow with tf, fall with
 * document length and stay under the ceiling (so normalised sums are in
 * [0, 1)), and reciprocal-rank fusion normalised to 1 at first place. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <math.h>
#include <cmocka.h>

#include "util/ranking.h"

static void test_idf(void **state)
{
    (void)state;
    assert_true(bm25_idf(100, 1) > bm25_idf(100, 10));
    assert_true(bm25_idf(100, 10) > bm25_idf(100, 100));
    assert_true(bm25_idf(100, 100) > 0);
    assert_true(fabs(bm25_idf(100, 100) - log(1.0 + 0.5 / 100.5)) < 1e-12);
    assert_true(bm25_idf(5, 9) == bm25_idf(9, 9));       /* docs below df: clamped */
    assert_true(bm25_idf(10, 0) == bm25_idf(10, 1));
}

static void test_term_weight(void **state)
{
    (void)state;
    double idf = bm25_idf(1000, 3);
    assert_true(bm25_term(idf, 0, 10, 10) == 0);
    assert_true(bm25_term(idf, 2, 10, 10) > bm25_term(idf, 1, 10, 10));
    assert_true(bm25_term(idf, 1, 5, 10) > bm25_term(idf, 1, 50, 10));
    /* tf 1 at average length: idf × (k1 + 1) / (1 + k1) = idf */
    assert_true(fabs(bm25_term(idf, 1, 10, 10) - idf) < 1e-12);
    for (int64_t tf = 1; tf < 100000; tf *= 3)
        assert_true(bm25_term(idf, tf, 1, 100) < bm25_ceiling(idf));
    assert_true(bm25_term(idf, 1, 10, 0) > 0);            /* no average yet */
}

static void test_rrf(void **state)
{
    (void)state;
    size_t first[2] = { 1, 1 }, one_list[2] = { 1, 0 }, none[2] = { 0, 0 };
    size_t mixed[2] = { 3, 2 }, worse[2] = { 3, 4 };
    assert_true(fabs(rrf_score(first, 2) - 1.0) < 1e-12);
    assert_true(fabs(rrf_score(one_list, 2) - 0.5) < 1e-12);
    assert_true(rrf_score(none, 2) == 0);
    assert_true(rrf_score(mixed, 2) > rrf_score(worse, 2));
    assert_true(rrf_score(mixed, 2) > 0 && rrf_score(mixed, 2) < 1);
    assert_true(rrf_score(first, 0) == 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_idf),
        cmocka_unit_test(test_term_weight),
        cmocka_unit_test(test_rrf),
    };
    return cmocka_run_group_tests_name("util/ranking", tests, NULL, NULL);
}
