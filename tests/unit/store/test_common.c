/* test_common.c — the store's statement helpers (store/common.c): the typed
 * parameter list binds every kind, st_run / st_change report what a write
 * did, st_one and st_rows read rows (st_rows across several capacity
 * doublings), and st_write keeps, undoes or reports a write. SQLite in a
 * temporary directory. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "store/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct item {
    int64_t n;
    char name[16];
    size_t bloblen;
    bool name_null;
} item;

static bool read_item(db_stmt *st, void *row)
{
    item *it = row;
    memset(it, 0, sizeof *it);
    it->n = db_col_int(st, 0);
    it->name_null = db_col_null(st, 1);
    const char *s = db_col_text(st, 1);
    snprintf(it->name, sizeof it->name, "%s", s ? s : "");
    db_col_blob(st, 2, &it->bloblen);
    return true;
}

/* A reader that cannot copy row n == 2 (as when out of memory). */
static bool read_item_but_2(db_stmt *st, void *row)
{
    item *it = row;
    read_item(st, row);
    if (it->n != 2)
        return true;
    memset(it, 0, sizeof *it);
    return false;
}

static char dir[] = "/tmp/chimera-stc-XXXXXX";

static int setup(void **state)
{
    (void)state;
    char url[128];
    if (!mkdtemp(dir))
        return -1;
    snprintf(url, sizeof url, "sqlite://%s/t.db", dir);
    if (db_configure(url) != 0)
        return -1;
    return db_exec(db_thread(), "CREATE TABLE t (n INTEGER PRIMARY KEY, name TEXT, b BLOB)");
}

static int teardown(void **state)
{
    (void)state;
    static const char *const files[] = { "t.db", "t.db-wal", "t.db-shm" };
    char path[160];
    db_thread_close();
    db_writer_close();
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        unlink(path);
    }
    rmdir(dir);
    return 0;
}

static void test_run_binds_every_kind(void **state)
{
    (void)state;
    static const unsigned char blob[3] = { 1, 2, 3 };
    db *d = db_thread();
    assert_int_equal(st_run(d, "INSERT INTO t (n, name, b) VALUES ($1, $2, $3)",
                            ST_I(1), ST_T("one"), ST_B(blob, sizeof blob)), ST_OK);
    assert_int_equal(st_run(d, "INSERT INTO t (n, name, b) VALUES ($1, $2, $3)",
                            ST_I(2), ST_T(NULL), ST_NUL), ST_OK);
    assert_int_equal(st_run(d, "INSERT INTO t (n) VALUES ($1)", ST_I(1)), ST_CONFLICT);
    item it;
    assert_int_equal(st_one(st_prep(d, "SELECT n, name, b FROM t WHERE n = $1", ST_I(1)),
                            read_item, &it), ST_OK);
    assert_string_equal(it.name, "one");
    assert_int_equal(it.bloblen, 3);
    assert_int_equal(st_one(st_prep(d, "SELECT n, name, b FROM t WHERE n = $1", ST_I(2)),
                            read_item, &it), ST_OK);
    assert_true(it.name_null);
    assert_int_equal(st_one(st_prep(d, "SELECT n, name, b FROM t WHERE n = $1", ST_I(9)),
                            read_item, &it), ST_NOT_FOUND);
    assert_int_equal(st_change(d, "UPDATE t SET name = $2 WHERE n = $1", ST_I(9), ST_T("x")),
                     ST_NOT_FOUND);
    assert_int_equal(st_change(d, "UPDATE t SET name = $2 WHERE n = $1", ST_I(2), ST_T("two")),
                     ST_OK);
    assert_int_equal(st_run(d, "DELETE FROM t"), ST_OK);
}

static void test_null_statement_is_an_error(void **state)
{
    (void)state;
    item it;
    item *rows = NULL;
    size_t n = 0;
    assert_null(st_prep(NULL, "SELECT 1", ST_I(1)));
    assert_int_equal(st_run(NULL, "DELETE FROM t WHERE n = $1", ST_I(1)), ST_DB_ERROR);
    assert_int_equal(st_one(NULL, read_item, &it), ST_DB_ERROR);
    assert_int_equal(st_rows(NULL, sizeof *rows, read_item, &rows, &n), ST_DB_ERROR);
    assert_null(rows);
}

static void test_rows_grow(void **state)
{
    (void)state;
    db *d = db_thread();
    for (int i = 0; i < 100; i++)
        assert_int_equal(st_write_run(NO_STAMPS, "INSERT INTO t (n, name) VALUES ($1, $2)", ST_I(i),
                                      ST_T("r")), ST_OK);
    item *rows = NULL;
    size_t n = 0;
    assert_int_equal(st_rows(st_prep(d, "SELECT n, name, b FROM t WHERE n < $1 ORDER BY n",
                                     ST_I(100)), sizeof *rows, read_item, &rows, &n), ST_OK);
    assert_int_equal(n, 100);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(rows[i].n, (int64_t)i);
    /* appending to what is there */
    assert_int_equal(st_rows(st_prep(d, "SELECT n, name, b FROM t WHERE n < $1 ORDER BY n",
                                     ST_I(3)), sizeof *rows, read_item, &rows, &n), ST_OK);
    assert_int_equal(n, 103);
    assert_int_equal(rows[102].n, 2);
    free(rows);
    rows = NULL;
    n = 0;
    assert_int_equal(st_rows(st_prep(d, "SELECT n, name, b FROM t WHERE n < 0"), sizeof *rows,
                             read_item, &rows, &n), ST_OK);
    assert_int_equal(n, 0);
    assert_null(rows);
    /* a row that cannot be read fails the read, keeping the rows before it
     * for the caller to free; never a row with fields missing */
    assert_int_equal(st_rows(st_prep(d, "SELECT n, name, b FROM t WHERE n < $1 ORDER BY n",
                                     ST_I(10)), sizeof *rows, read_item_but_2, &rows, &n),
                     ST_DB_ERROR);
    assert_int_equal(n, 2);
    assert_int_equal(rows[1].n, 1);
    free(rows);
    item it;
    assert_int_equal(st_one(st_prep(d, "SELECT n, name, b FROM t WHERE n = $1", ST_I(2)),
                            read_item_but_2, &it), ST_DB_ERROR);
    assert_int_equal(st_one(st_prep(d, "SELECT n, name, b FROM t WHERE n = $1", ST_I(3)),
                            read_item_but_2, &it), ST_OK);
    assert_int_equal(it.n, 3);
    assert_int_equal(st_run(d, "DELETE FROM t WHERE n >= $1", ST_I(0)), ST_OK);
}

typedef struct pair_job {
    int64_t a, b;
    st_rc last;             /* what the write returns after its inserts */
} pair_job;

static st_rc insert_pair(db *d, void *ctx)
{
    const pair_job *j = ctx;
    st_rc res = st_run(d, "INSERT INTO t (n) VALUES ($1)", ST_I(j->a));
    if (res == ST_OK)
        res = st_run(d, "INSERT INTO t (n) VALUES ($1)", ST_I(j->b));
    return res == ST_OK ? j->last : res;
}

static int64_t count_rows(void)
{
    int64_t n = -1;
    db_stmt *st = st_prep(db_thread(), "SELECT COUNT(*) FROM t WHERE n >= $1", ST_I(1000));
    if (st && db_step(st) == DB_ROW)
        n = db_col_int(st, 0);
    db_reset(st);
    return n;
}

static void test_write_keeps_undoes_reports(void **state)
{
    (void)state;
    pair_job keep = { 1000, 1001, ST_OK };
    assert_int_equal(st_write(insert_pair, &keep), ST_OK);
    assert_int_equal(count_rows(), 2);
    pair_job undo = { 1002, 1003, ST_UNDONE };
    assert_int_equal(st_write(insert_pair, &undo), ST_OK);
    assert_int_equal(count_rows(), 2);
    pair_job refused = { 1004, 1005, ST_NOT_FOUND };
    assert_int_equal(st_write(insert_pair, &refused), ST_NOT_FOUND);
    assert_int_equal(count_rows(), 2);
    pair_job clash = { 1006, 1000, ST_OK };      /* second insert conflicts: both undone */
    assert_int_equal(st_write(insert_pair, &clash), ST_CONFLICT);
    assert_int_equal(count_rows(), 2);
    assert_int_equal(st_write_change(NO_STAMPS, "DELETE FROM t WHERE n = $1", ST_I(1006)), ST_NOT_FOUND);
    assert_int_equal(st_write_change(NO_STAMPS, "DELETE FROM t WHERE n = $1", ST_I(1000)), ST_OK);
    assert_int_equal(count_rows(), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_run_binds_every_kind),
        cmocka_unit_test(test_null_statement_is_an_error),
        cmocka_unit_test(test_rows_grow),
        cmocka_unit_test(test_write_keeps_undoes_reports),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
