/* test_ceiling.c — the cluster-wide per-user ceiling: counting against the
 * cluster's count, flushing into the shared counters (store/counters.c on a
 * SQLite file here: the SQL is the same on PostgreSQL), learning what other
 * nodes counted, clock-minute windows, and a failed flush sent again. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "api/ceiling.h"
#include "db/db.h"
#include "db/migrate.h"
#include "store/counters.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MINUTE 60000000LL
#define T0 (1000 * MINUTE + 5000000)    /* 5 s into a minute */

static char dir[] = "/tmp/chimera-ceil-XXXXXX";

static void key_of(const char *uid, int64_t window, char *out, size_t n)
{
    snprintf(out, n, "u:%s:%lld", uid, (long long)window);
}

static int64_t stored(const char *uid, int64_t now)
{
    char key[128];
    int64_t total = -1, end;
    key_of(uid, ceiling_window(now), key, sizeof key);
    assert_int_equal(counter_get(key, now, &total, &end), ST_OK);
    return total;
}

static int setup(void **state)
{
    (void)state;
    char url[128];
    int applied;
    assert_non_null(mkdtemp(dir));
    snprintf(url, sizeof url, "sqlite://%s/c.db", dir);
    assert_int_equal(db_configure(url), 0);
    assert_int_equal(db_migrate(db_thread(), &applied), 0);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[200];
    db_thread_close();
    db_writer_close();
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void test_unknown_then_seeded_counts_to_limit(void **state)
{
    (void)state;
    ceiling_reset();
    assert_int_equal(ceiling_hit("alice", 5, T0), CEIL_UNKNOWN);
    ceiling_seed("alice", 3, T0);       /* other nodes counted 3 */
    assert_int_equal(ceiling_hit("alice", 5, T0), 0);
    assert_int_equal(ceiling_hit("alice", 5, T0), 0);
    /* 3 + 2 = 5: refused until the minute ends (55 s away) */
    assert_int_equal(ceiling_hit("alice", 5, T0), 55);
    assert_int_equal(ceiling_hit("alice", 5, T0 + 50000000), 5);
    /* the next minute is a new window */
    assert_int_equal(ceiling_hit("alice", 5, T0 + MINUTE), CEIL_UNKNOWN);
}

static void test_flush_adds_counts_and_learns_others(void **state)
{
    (void)state;
    ceiling_reset();
    ceiling_seed("bob", 0, T0);
    for (int i = 0; i < 4; i++)
        assert_int_equal(ceiling_hit("bob", 10, T0), 0);
    assert_int_equal(ceiling_flush(key_of, T0), 1);
    assert_int_equal(stored("bob", T0), 4);
    assert_int_equal(ceiling_flush(key_of, T0), 0);      /* nothing new */
    /* another node adds 5 to the same counter */
    char key[128];
    int64_t total, end;
    key_of("bob", ceiling_window(T0), key, sizeof key);
    assert_int_equal(counter_add(key, 5, MINUTE - 5000000, T0, &total, &end), ST_OK);
    assert_int_equal(total, 9);
    assert_int_equal(end, 1001 * MINUTE);
    /* this node learns it with its next flush: 4 + 5 others + 1 = 10 */
    assert_int_equal(ceiling_hit("bob", 10, T0), 0);
    assert_int_equal(ceiling_flush(key_of, T0), 1);
    assert_int_equal(stored("bob", T0), 10);
    assert_true(ceiling_hit("bob", 10, T0) > 0);
}

static void test_counter_windows_restart(void **state)
{
    (void)state;
    int64_t total, end;
    assert_int_equal(counter_add("lf:x", 1, 10000000, T0, &total, &end), ST_OK);
    assert_int_equal(counter_add("lf:x", 1, 10000000, T0 + 1, &total, &end), ST_OK);
    assert_int_equal(total, 2);
    assert_int_equal(end, T0 + 10000000);
    /* after the window: a new one starts with this event */
    assert_int_equal(counter_add("lf:x", 1, 10000000, T0 + 10000000, &total, &end), ST_OK);
    assert_int_equal(total, 1);
    assert_int_equal(end, T0 + 20000000);
    assert_int_equal(counter_get("lf:x", T0 + 20000000, &total, &end), ST_OK);
    assert_int_equal(total, 0);                          /* expired reads as none */
    assert_int_equal(counter_clear("lf:x"), ST_OK);
    assert_int_equal(counter_get("lf:x", T0, &total, &end), ST_OK);
    assert_int_equal(total, 0);
    assert_int_equal(counter_add("lf:y", 1, 10, T0, &total, &end), ST_OK);
    assert_int_equal(counter_purge(T0 + 11), ST_OK);
    assert_int_equal(counter_add("lf:y", 1, 10, T0, &total, &end), ST_OK);
    assert_int_equal(total, 1);                          /* purged, counted anew */
}

static void test_failed_flush_is_sent_again(void **state)
{
    (void)state;
    ceiling_reset();
    ceiling_seed("carol", 0, T0);
    for (int i = 0; i < 3; i++)
        assert_int_equal(ceiling_hit("carol", 10, T0), 0);
    assert_int_equal(db_exec(db_thread(), "ALTER TABLE rate_counters RENAME TO rc_away"), 0);
    db_thread_close();                  /* drop statements prepared on the old table */
    assert_int_equal(ceiling_flush(key_of, T0), -1);
    assert_int_equal(db_exec(db_thread(), "ALTER TABLE rc_away RENAME TO rate_counters"), 0);
    db_thread_close();
    assert_int_equal(ceiling_flush(key_of, T0), 1);
    assert_int_equal(stored("carol", T0), 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unknown_then_seeded_counts_to_limit),
        cmocka_unit_test(test_flush_adds_counts_and_learns_others),
        cmocka_unit_test(test_counter_windows_restart),
        cmocka_unit_test(test_failed_flush_is_sent_again),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
