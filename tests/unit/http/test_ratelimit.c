/* test_ratelimit.c — unit tests for src/http/ratelimit.c: limits per key,
 * fixed windows that start at the first event (time comes in through
 * now_us), Retry-After seconds (rounded up, at least 1), check vs add vs
 * hit, clear, a bounded table under floods of keys, and a threaded smoke
 * test that no count is lost. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <cmocka.h>
#include <sodium.h>

#include "http/ratelimit.h"

#define S INT64_C(1000000)
#define T0 (INT64_C(1765174680) * S)            /* an arbitrary "now" */

static int setup(void **state)
{
    *state = ratelimit_new(1024);
    return *state ? 0 : -1;
}

static int teardown(void **state)
{
    ratelimit_free(*state);
    return 0;
}

/* ---- limits and windows ------------------------------------------------ */

static void test_limit(void **state)
{
    ratelimit *rl = *state;
    for (int i = 0; i < 5; i++)
        assert_int_equal(ratelimit_hit(rl, "ip:1", 5, 60, T0 + i), 0);
    assert_int_equal(ratelimit_hit(rl, "ip:1", 5, 60, T0 + 5), 60);
    assert_int_equal(ratelimit_check(rl, "ip:1", 5, T0 + 5), 60);
    /* Other keys are independent. */
    assert_int_equal(ratelimit_hit(rl, "ip:2", 5, 60, T0), 0);
    assert_int_equal(ratelimit_check(rl, "ip:2", 5, T0), 0);
    assert_int_equal(ratelimit_check(rl, "ip:10", 5, T0), 0);
    assert_int_equal(ratelimit_check(rl, "", 5, T0), 0);
    /* A higher limit for the same key is not yet reached. */
    assert_int_equal(ratelimit_check(rl, "ip:1", 6, T0 + 5), 0);
    assert_int_equal(ratelimit_check(rl, "ip:1", 1, T0 + 5), 60);
}

static void test_limit_one(void **state)
{
    ratelimit *rl = *state;
    assert_int_equal(ratelimit_hit(rl, "k", 1, 10, T0), 0);
    assert_int_equal(ratelimit_hit(rl, "k", 1, 10, T0), 10);
    assert_int_equal(ratelimit_hit(rl, "k", 1, 10, T0 + 10 * S), 0);
}

/* The window starts at the first event and is not extended by later ones;
 * when it ends the count starts again from zero. */
static void test_window_expiry(void **state)
{
    ratelimit *rl = *state;
    assert_int_equal(ratelimit_hit(rl, "w", 2, 60, T0), 0);
    assert_int_equal(ratelimit_hit(rl, "w", 2, 60, T0 + 30 * S), 0);
    assert_int_equal(ratelimit_hit(rl, "w", 2, 60, T0 + 30 * S + 1), 30);
    assert_int_equal(ratelimit_hit(rl, "w", 2, 60, T0 + 59 * S), 1);
    assert_int_equal(ratelimit_check(rl, "w", 2, T0 + 60 * S - 1), 1);
    assert_int_equal(ratelimit_check(rl, "w", 2, T0 + 60 * S), 0);   /* ends at +60 s */
    assert_int_equal(ratelimit_hit(rl, "w", 2, 60, T0 + 60 * S), 0);  /* new window */
    assert_int_equal(ratelimit_hit(rl, "w", 2, 60, T0 + 61 * S), 0);
    assert_int_equal(ratelimit_hit(rl, "w", 2, 60, T0 + 62 * S), 58);
    assert_int_equal(ratelimit_check(rl, "w", 2, T0 + 120 * S), 0);
    /* Long after, the key is fresh. */
    assert_int_equal(ratelimit_check(rl, "w", 1, T0 + 3600 * S), 0);
}

/* Retry-After is the remaining window in whole seconds, rounded up, and
 * never 0 while blocked. */
static void test_retry_after_rounding(void **state)
{
    ratelimit *rl = *state;
    ratelimit_add(rl, "r", 900, T0);
    assert_int_equal(ratelimit_check(rl, "r", 1, T0), 900);
    assert_int_equal(ratelimit_check(rl, "r", 1, T0 + 1), 900);          /* 899.999999 */
    assert_int_equal(ratelimit_check(rl, "r", 1, T0 + S), 899);
    assert_int_equal(ratelimit_check(rl, "r", 1, T0 + S + 1), 899);
    assert_int_equal(ratelimit_check(rl, "r", 1, T0 + 898 * S + S / 2), 2);
    assert_int_equal(ratelimit_check(rl, "r", 1, T0 + 899 * S), 1);
    assert_int_equal(ratelimit_check(rl, "r", 1, T0 + 900 * S - 1), 1);  /* 1 µs left */
    assert_int_equal(ratelimit_check(rl, "r", 1, T0 + 900 * S), 0);
    assert_int_equal(ratelimit_hit(rl, "s", 1, 2, T0 + 1000 * S), 0);
    for (int64_t t = T0 + 1000 * S; t < T0 + 1003 * S; t += 7919) {
        int64_t until = T0 + 1002 * S;
        int w = ratelimit_check(rl, "s", 1, t);
        if (t < until) {
            assert_int_equal(w, (until - t + S - 1) / S);
            assert_true(w >= 1);
        } else {
            assert_int_equal(w, 0);
        }
    }
}

/* A zero-second window never blocks; clocks going backwards within a
 * window do not produce negative or zero waits. */
static void test_odd_times(void **state)
{
    ratelimit *rl = *state;
    assert_int_equal(ratelimit_hit(rl, "z", 1, 0, T0), 0);
    assert_int_equal(ratelimit_hit(rl, "z", 1, 0, T0), 0);
    assert_int_equal(ratelimit_hit(rl, "b", 1, 10, T0), 0);
    assert_int_equal(ratelimit_check(rl, "b", 1, T0 - 5 * S), 15);
    assert_int_equal(ratelimit_hit(rl, "n", 1, 10, 0), 0);               /* time 0 */
    assert_int_equal(ratelimit_check(rl, "n", 1, 0), 10);
    assert_int_equal(ratelimit_hit(rl, "neg", 1, 10, -100 * S), 0);
    assert_int_equal(ratelimit_check(rl, "neg", 1, -95 * S), 5);
}

/* ---- check, add, hit --------------------------------------------------- */

static void test_check_counts_nothing(void **state)
{
    ratelimit *rl = *state;
    for (int i = 0; i < 100; i++)
        assert_int_equal(ratelimit_check(rl, "c", 1, T0), 0);
    assert_int_equal(ratelimit_hit(rl, "c", 1, 60, T0), 0);
    assert_int_equal(ratelimit_check(rl, "c", 1, T0), 60);
}

/* add counts even past the limit (login failures keep counting). */
static void test_add_counts(void **state)
{
    ratelimit *rl = *state;
    for (int i = 0; i < 10; i++)
        ratelimit_add(rl, "fail", 900, T0 + i * S);
    assert_int_equal(ratelimit_check(rl, "fail", 10, T0 + 10 * S), 890);
    assert_int_equal(ratelimit_check(rl, "fail", 11, T0 + 10 * S), 0);
    ratelimit_add(rl, "fail", 900, T0 + 11 * S);
    assert_int_equal(ratelimit_check(rl, "fail", 11, T0 + 11 * S), 889);
    /* Window from the first add, not the last. */
    assert_int_equal(ratelimit_check(rl, "fail", 1, T0 + 900 * S), 0);
}

/* A refused hit is not counted and does not move the window. */
static void test_refused_hit_not_counted(void **state)
{
    ratelimit *rl = *state;
    assert_int_equal(ratelimit_hit(rl, "h", 3, 60, T0), 0);
    assert_int_equal(ratelimit_hit(rl, "h", 3, 60, T0), 0);
    assert_int_equal(ratelimit_hit(rl, "h", 3, 60, T0), 0);
    for (int i = 0; i < 1000; i++)
        assert_true(ratelimit_hit(rl, "h", 3, 60, T0 + i * 1000) > 0);
    /* Still exactly 3 counted: a limit of 4 is not reached. */
    assert_int_equal(ratelimit_check(rl, "h", 4, T0 + S), 0);
    assert_int_equal(ratelimit_hit(rl, "h", 3, 60, T0 + 60 * S), 0);
}

/* hit and add share one counter. */
static void test_hit_and_add_share(void **state)
{
    ratelimit *rl = *state;
    ratelimit_add(rl, "m", 60, T0);
    ratelimit_add(rl, "m", 60, T0);
    assert_int_equal(ratelimit_hit(rl, "m", 3, 60, T0), 0);
    assert_int_equal(ratelimit_hit(rl, "m", 3, 60, T0), 60);
}

/* ---- clear ------------------------------------------------------------- */

static void test_clear(void **state)
{
    ratelimit *rl = *state;
    for (int i = 0; i < 3; i++) {
        ratelimit_add(rl, "login:a@x.com", 900, T0);
        ratelimit_add(rl, "login:b@x.com", 900, T0);
    }
    assert_true(ratelimit_check(rl, "login:a@x.com", 3, T0) > 0);
    ratelimit_clear(rl, "login:a@x.com");
    assert_int_equal(ratelimit_check(rl, "login:a@x.com", 3, T0), 0);
    assert_int_equal(ratelimit_check(rl, "login:a@x.com", 1, T0), 0);
    assert_int_equal(ratelimit_check(rl, "login:b@x.com", 3, T0), 900);   /* untouched */
    /* Counting starts again from zero in a fresh window. */
    ratelimit_add(rl, "login:a@x.com", 900, T0 + 5 * S);
    assert_int_equal(ratelimit_check(rl, "login:a@x.com", 2, T0 + 5 * S), 0);
    assert_int_equal(ratelimit_check(rl, "login:a@x.com", 1, T0 + 5 * S), 900);
    ratelimit_clear(rl, "never-seen");
    ratelimit_clear(rl, "login:a@x.com");
    ratelimit_clear(rl, "login:a@x.com");
    assert_int_equal(ratelimit_check(rl, "login:a@x.com", 1, T0), 0);
}

/* ---- capacity ---------------------------------------------------------- */

/* Far more keys than slots: no crash, and no more keys can be tracked
 * than the table holds. */
static void test_flood_bounded(void **state)
{
    ratelimit *rl = ratelimit_new(100);           /* rounded up to 128 */
    char key[32];
    int live = 0;
    (void)state;
    assert_non_null(rl);
    for (int i = 0; i < 100000; i++) {
        snprintf(key, sizeof key, "ip:%d", i);
        assert_int_equal(ratelimit_hit(rl, key, 1, 3600, T0), 0);
    }
    for (int i = 0; i < 100000; i++) {
        snprintf(key, sizeof key, "ip:%d", i);
        live += ratelimit_check(rl, key, 1, T0) > 0;
    }
    assert_true(live > 0);
    assert_true(live <= 128);
    /* The most recent key is always tracked. */
    assert_int_equal(ratelimit_check(rl, "ip:99999", 1, T0), 3600);
    ratelimit_free(rl);
}

/* Eviction takes the entry closest to expiry: a long-window key survives
 * any flood of short-window keys. */
static void test_flood_evicts_soonest(void **state)
{
    ratelimit *rl = ratelimit_new(0);             /* the minimum table */
    char key[32];
    (void)state;
    assert_non_null(rl);
    for (int i = 0; i < 5; i++)
        ratelimit_add(rl, "attacker", 3600, T0);
    for (int i = 0; i < 50000; i++) {
        snprintf(key, sizeof key, "noise:%d", i);
        ratelimit_hit(rl, key, 100, 1, T0 + i);
    }
    assert_int_equal(ratelimit_check(rl, "attacker", 5, T0 + S / 2), 3600);
    ratelimit_free(rl);
}

/* Expired entries free their slots: after the window, a new set of keys
 * is tracked as well as the first. (16 keys in 64 slots: no probe run of
 * 16 can fill up, so nothing live is evicted.) */
static void test_slots_reused(void **state)
{
    ratelimit *rl = ratelimit_new(64);
    char key[32];
    int live = 0;
    (void)state;
    assert_non_null(rl);
    for (int i = 0; i < 16; i++) {
        snprintf(key, sizeof key, "old:%d", i);
        ratelimit_add(rl, key, 10, T0);
    }
    for (int i = 0; i < 16; i++) {
        snprintf(key, sizeof key, "new:%d", i);
        ratelimit_add(rl, key, 10, T0 + 10 * S);
    }
    for (int i = 0; i < 16; i++) {
        snprintf(key, sizeof key, "new:%d", i);
        live += ratelimit_check(rl, key, 1, T0 + 10 * S) > 0;
        snprintf(key, sizeof key, "old:%d", i);
        assert_int_equal(ratelimit_check(rl, key, 1, T0 + 10 * S), 0);
    }
    assert_int_equal(live, 16);
    ratelimit_free(rl);
}

static void test_free_null(void **state)
{
    (void)state;
    ratelimit_free(NULL);
}

static void test_global(void **state)
{
    ratelimit *a = ratelimit_global(), *b = ratelimit_global();
    (void)state;
    assert_non_null(a);
    assert_ptr_equal(a, b);
    assert_int_equal(ratelimit_hit(a, "unit-test:global", 1, 5, T0), 0);
    assert_int_equal(ratelimit_check(b, "unit-test:global", 1, T0), 5);
    ratelimit_clear(a, "unit-test:global");
}

/* ---- threads ----------------------------------------------------------- */

#define THREADS 8
#define PER_THREAD 20000

typedef struct worker {
    ratelimit *rl;
    int id;
    int allowed;
} worker;

static void *hammer(void *arg)
{
    worker *w = arg;
    char key[32];
    for (int i = 0; i < PER_THREAD; i++) {
        /* A shared key with a limit half the traffic, plus own keys. */
        if (ratelimit_hit(w->rl, "shared", THREADS * PER_THREAD / 2, 3600, T0) == 0)
            w->allowed++;
        ratelimit_add(w->rl, "counted", 3600, T0);
        snprintf(key, sizeof key, "t%d:%d", w->id, i % 50);
        ratelimit_hit(w->rl, key, 10, 3600, T0);
        ratelimit_check(w->rl, key, 10, T0);
        if (i % 1000 == 0)
            ratelimit_clear(w->rl, key);
    }
    return NULL;
}

/* Concurrent hits lose no update: exactly `limit` are allowed on the
 * shared key and every add is counted. */
static void test_threads(void **state)
{
    ratelimit *rl = ratelimit_new(4096);
    pthread_t th[THREADS];
    worker w[THREADS];
    int allowed = 0;
    (void)state;
    assert_non_null(rl);
    for (int i = 0; i < THREADS; i++) {
        w[i] = (worker){ rl, i, 0 };
        assert_int_equal(pthread_create(&th[i], NULL, hammer, &w[i]), 0);
    }
    for (int i = 0; i < THREADS; i++) {
        assert_int_equal(pthread_join(th[i], NULL), 0);
        allowed += w[i].allowed;
    }
    assert_int_equal(allowed, THREADS * PER_THREAD / 2);
    assert_int_equal(ratelimit_check(rl, "counted", THREADS * PER_THREAD, T0), 3600);
    assert_int_equal(ratelimit_check(rl, "counted", THREADS * PER_THREAD + 1, T0), 0);
    ratelimit_free(rl);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_limit_one, setup, teardown),
        cmocka_unit_test_setup_teardown(test_window_expiry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_retry_after_rounding, setup, teardown),
        cmocka_unit_test_setup_teardown(test_odd_times, setup, teardown),
        cmocka_unit_test_setup_teardown(test_check_counts_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_add_counts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refused_hit_not_counted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hit_and_add_share, setup, teardown),
        cmocka_unit_test_setup_teardown(test_clear, setup, teardown),
        cmocka_unit_test(test_flood_bounded),
        cmocka_unit_test(test_flood_evicts_soonest),
        cmocka_unit_test(test_slots_reused),
        cmocka_unit_test(test_free_null),
        cmocka_unit_test(test_global),
        cmocka_unit_test(test_threads),
    };
    if (sodium_init() < 0)
        return 1;
    return cmocka_run_group_tests_name("http/ratelimit", tests, NULL, NULL);
}
