/* test_checkpoint.c — the background WAL checkpointer (db/checkpoint.c)
 * copies committed pages into the database file while connections stay
 * open, so the WAL starts over instead of growing with every write. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "db/db.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#define COMMITS 400             /* each its own transaction: WAL frames */
#define ROUNDS 8
#define WAIT_S 30               /* hang guard; the checkpointer runs every 2 s */

static int insert_row(db *d, void *ctx)
{
    db_stmt *st = db_prepare(d, "INSERT INTO t (n, pad) VALUES ($1, zeroblob(3000))");
    if (!st)
        return 5;
    db_bind_int(st, 1, *(int64_t *)ctx);
    db_rc rc = db_step(st);
    db_reset(st);
    return rc == DB_DONE ? 0 : 6;
}

static off_t file_size(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 ? sb.st_size : -1;
}

/* Writes COMMITS rows from n0 on, one transaction each. */
static void write_rows(int64_t n0)
{
    for (int64_t n = n0; n < n0 + COMMITS; n++)
        assert_int_equal(db_write(insert_row, &n), 0);
}

/* The database's size with every committed page in place (the WAL's
 * included). */
static off_t logical_size(void)
{
    off_t v[2];
    const char *sql[2] = { "PRAGMA page_count", "PRAGMA page_size" };
    for (int i = 0; i < 2; i++) {
        db_stmt *st = db_prepare(db_thread(), sql[i]);
        assert_non_null(st);
        assert_int_equal(db_step(st), DB_ROW);
        v[i] = (off_t)db_col_int(st, 0);
        db_reset(st);
    }
    return v[0] * v[1];
}

/* Waits until the database file holds at least min bytes: the checkpointer
 * copied the committed pages there. */
static off_t wait_for_db(const char *path, off_t min)
{
    for (int i = 0; i < WAIT_S * 10 && file_size(path) < min; i++)
        usleep(100000);
    return file_size(path);
}

static void test_checkpoints_while_open(void **state)
{
    (void)state;
    char dir[] = "/tmp/chimera-ckpt-XXXXXX", url[128], dbf[160], wal[160], shm[160];
    assert_non_null(mkdtemp(dir));
    snprintf(url, sizeof url, "sqlite://%s/t.db", dir);
    snprintf(dbf, sizeof dbf, "%s/t.db", dir);
    snprintf(wal, sizeof wal, "%s/t.db-wal", dir);
    snprintf(shm, sizeof shm, "%s/t.db-shm", dir);
    assert_int_equal(db_configure(url), 0);
    assert_int_equal(db_exec(db_thread(), "CREATE TABLE t (n INTEGER PRIMARY KEY, pad BLOB)"),
                     0);
    const off_t rows_bytes = (off_t)COMMITS * 3000;

    write_rows(0);
    off_t whole = logical_size();
    assert_true(whole >= rows_bytes);
    assert_true(wait_for_db(dbf, whole) >= whole);
    off_t wal_first = file_size(wal);
    assert_true(wal_first > 0);

    /* Once the file holds every page (a checkpoint pass copies pages in
     * order, the round's new last page at its end), the next writes reuse
     * the WAL from its start. A checkpoint in the middle of a round may let
     * two rounds share one stretch of the WAL, never more, and one in the
     * middle of the first round leaves wal_first at half a round at least:
     * the WAL stays within 4 x wal_first. Without checkpoints it holds all
     * ROUNDS rounds, 8 x wal_first or more. */
    for (int64_t round = 1; round < ROUNDS; round++) {
        write_rows(round * COMMITS);
        whole = logical_size();
        assert_true(whole >= (round + 1) * rows_bytes);
        assert_true(wait_for_db(dbf, whole) >= whole);
    }
    assert_true(file_size(wal) <= 4 * wal_first);

    db_thread_close();
    db_writer_close();
    unlink(dbf);
    unlink(wal);
    unlink(shm);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_checkpoints_while_open),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
