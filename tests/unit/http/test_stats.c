/* test_stats.c — request counters: status slots (listed statuses, classes,
 * 0 as 499), cumulative latency buckets, unmatched requests, in flight. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "http/stats.h"

static uint64_t count_of(const http_route_stats *s, int code)
{
    for (size_t i = 0; i < s->nstatus; i++)
        if (s->status_codes[i] == code)
            return s->counts[i];
    return 0;
}

static void test_counts_and_buckets(void **state)
{
    (void)state;
    assert_int_equal(http_stats_init(3), 0);
    assert_true(http_stats_started_us() > 0);
    for (int i = 0; i < 6; i++)
        http_stats_request_begin();
    assert_int_equal(http_stats_in_flight(), 6);
    http_stats_request_end(1, 200, 100);            /* 0.1 ms */
    http_stats_request_end(1, 200, 3000);           /* 3 ms */
    http_stats_request_end(1, 504, 20000000);       /* 20 s: above every bucket */
    http_stats_request_end(1, 0, 10);               /* client gone */
    http_stats_request_end(-1, 404, 50);
    http_stats_request_end(7, 405, 50);             /* out of range: unmatched */
    assert_int_equal(http_stats_in_flight(), 0);
    http_route_stats s;
    assert_int_equal(http_stats_read(1, &s), 0);
    assert_int_equal(count_of(&s, 200), 2);
    assert_int_equal(count_of(&s, 5), 1);           /* 5xx class */
    assert_int_equal(count_of(&s, 499), 1);
    assert_int_equal(s.count, 4);
    assert_int_equal(s.buckets[0], 2);              /* le 0.0005: 0.1 ms and 10 us */
    assert_int_equal(s.buckets[3], 3);              /* le 0.005 */
    assert_int_equal(s.buckets[HTTP_STATS_BUCKETS - 1], 3);
    assert_true(s.sum_s > 20.0 && s.sum_s < 20.01);
    assert_int_equal(http_stats_read(-1, &s), 0);
    assert_int_equal(count_of(&s, 404), 1);
    assert_int_equal(count_of(&s, 405), 1);
    assert_int_equal(http_stats_read(0, &s), 0);
    assert_int_equal(s.count, 0);
    assert_int_equal(s.nstatus, 0);
}

static unsigned five(void)
{
    return 5;
}

static void test_connections_source(void **state)
{
    (void)state;
    assert_int_equal(http_stats_connections(), 0);
    http_stats_connections_from(five);
    assert_int_equal(http_stats_connections(), 5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counts_and_buckets),
        cmocka_unit_test(test_connections_source),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
