/* test_write.c — db_write's group commit on SQLite: writes from many
 * threads at once all land or are undone one by one, whatever batch they
 * shared, and a failed write never takes its neighbours with it. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "db/db.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define THREADS 8
#define WRITES 150

typedef struct item {
    int64_t n;
    int fail;               /* fn inserts, then asks for its undo */
} item;

static int insert_item(db *d, void *ctx)
{
    const item *it = ctx;
    db_stmt *st = db_prepare(d, "INSERT INTO t (n) VALUES ($1)");
    if (!st)
        return 5;
    db_bind_int(st, 1, it->n);
    db_rc rc = db_step(st);
    db_reset(st);
    if (rc != DB_DONE)
        return 6;
    return it->fail ? 7 : 0;
}

static int failures[THREADS];

static void *writer(void *arg)
{
    int t = (int)(intptr_t)arg;
    for (int i = 0; i < WRITES; i++) {
        item it = { (int64_t)t * 1000 + i, i % 5 == 0 };
        int rc = db_write(insert_item, &it);
        if (rc != (it.fail ? 7 : 0))
            failures[t]++;
    }
    db_thread_close();
    return NULL;
}

static int64_t count(const char *sql)
{
    db_stmt *st = db_prepare(db_thread(), sql);
    int64_t n = st && db_step(st) == DB_ROW ? db_col_int(st, 0) : -1;
    db_reset(st);
    return n;
}

static void test_group_commit(void **state)
{
    (void)state;
    char dir[] = "/tmp/chimera-dbw-XXXXXX", url[128];
    assert_non_null(mkdtemp(dir));
    snprintf(url, sizeof url, "sqlite://%s/t.db", dir);
    assert_int_equal(db_configure(url), 0);
    assert_int_equal(db_exec(db_thread(), "CREATE TABLE t (n INTEGER PRIMARY KEY)"), 0);
    pthread_t th[THREADS];
    for (int t = 0; t < THREADS; t++)
        assert_int_equal(pthread_create(&th[t], NULL, writer, (void *)(intptr_t)t), 0);
    for (int t = 0; t < THREADS; t++) {
        pthread_join(th[t], NULL);
        assert_int_equal(failures[t], 0);
    }
    /* every fifth write asked for its undo: exactly the others remain */
    assert_int_equal(count("SELECT COUNT(*) FROM t"), THREADS * WRITES * 4 / 5);
    assert_int_equal(count("SELECT COUNT(*) FROM t WHERE n % 1000 % 5 = 0"), 0);
    /* a duplicate key fails inside the batch, alone */
    item dup = { 1, 0 };
    assert_int_equal(db_write(insert_item, &dup), 6);
    item fresh = { 999999, 0 };
    assert_int_equal(db_write(insert_item, &fresh), 0);
    assert_int_equal(count("SELECT COUNT(*) FROM t WHERE n = 999999"), 1);
    db_thread_close();
    db_writer_close();
    char path[160];
    snprintf(path, sizeof path, "%s/t.db", dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/t.db-wal", dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/t.db-shm", dir);
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_group_commit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
