/* common.c — the store's one write path (st_write) and its statement
 * helpers: binding a typed parameter list, running a statement, reading
 * one row or all rows into a growing array. See internal.h. */
#include "store/internal.h"

#include <stdlib.h>
#include <string.h>

#define ROWS_FIRST_CAP 8

st_rc st_from_db(db_rc rc)
{
    switch (rc) {
    case DB_DONE: return ST_OK;
    case DB_CONSTRAINT: return ST_CONFLICT;
    default: return ST_DB_ERROR;
    }
}

typedef struct write_call {
    st_write_fn fn;
    void *ctx;
} write_call;

static int write_call_run(db *d, void *ctx)
{
    const write_call *c = ctx;
    return (int)c->fn(d, c->ctx);
}

st_rc st_write(st_write_fn fn, void *ctx)
{
    write_call c = { fn, ctx };
    int rc = db_write(write_call_run, &c);
    if (rc == DB_WRITE_FAILED)
        return ST_DB_ERROR;
    return rc == (int)ST_UNDONE ? ST_OK : (st_rc)rc;
}

static void bind_arg(db_stmt *st, int idx, const st_arg *a)
{
    switch (a->kind) {
    case 't': db_bind_text(st, idx, a->s); break;
    case 'i': db_bind_int(st, idx, a->i); break;
    case 'b': db_bind_blob(st, idx, a->p, a->n); break;
    default: db_bind_null(st, idx); break;
    }
}

db_stmt *st_prep_a(db *d, const char *sql, const st_arg *args, size_t nargs)
{
    db_stmt *st = d ? db_prepare(d, sql) : NULL;
    for (size_t i = 0; st && i < nargs; i++)
        bind_arg(st, (int)i + 1, &args[i]);
    return st;
}

st_rc st_exec(db_stmt *st)
{
    if (!st)
        return ST_DB_ERROR;
    db_rc rc;
    while ((rc = db_step(st)) == DB_ROW)
        ;
    db_reset(st);
    return st_from_db(rc);
}

st_rc st_exec_changed(db_stmt *st)
{
    if (!st)
        return ST_DB_ERROR;
    db_rc rc = db_step(st);
    int64_t n = db_changes(st);
    db_reset(st);
    if (rc != DB_DONE)
        return st_from_db(rc);
    return n ? ST_OK : ST_NOT_FOUND;
}

st_rc st_one(db_stmt *st, st_read_fn read, void *row)
{
    if (!st)
        return ST_DB_ERROR;
    db_rc rc = db_step(st);
    if (rc == DB_ROW && !read(st, row))
        rc = DB_ERR;
    db_reset(st);
    return rc == DB_ROW ? ST_OK : rc == DB_DONE ? ST_NOT_FOUND : ST_DB_ERROR;
}

/* The array behind rowsp is reached with memcpy: rowsp points at a `T *`,
 * which is not a `void *` object to write through. */
st_rc st_rows(db_stmt *st, size_t size, st_read_fn read, void *rowsp, size_t *n)
{
    if (!st)
        return ST_DB_ERROR;
    char *rows;
    memcpy(&rows, rowsp, sizeof rows);
    size_t cap = rows ? *n : 0;
    db_rc rc;
    while ((rc = db_step(st)) == DB_ROW) {
        if (*n == cap) {
            size_t c = cap ? cap * 2 : ROWS_FIRST_CAP;
            char *p = realloc(rows, c * size);
            if (!p) {
                rc = DB_ERR;
                break;
            }
            rows = p;
            cap = c;
            memcpy(rowsp, &rows, sizeof rows);
        }
        if (!read(st, rows + *n * size)) {
            rc = DB_ERR;
            break;
        }
        (*n)++;
    }
    db_reset(st);
    return rc == DB_DONE ? ST_OK : ST_DB_ERROR;
}

st_rc st_count(const char *sql, const char *arg, int64_t *out)
{
    db_stmt *st = st_prep(db_thread(), sql, ST_T(arg));
    if (!st)
        return ST_DB_ERROR;
    db_rc rc = db_step(st);
    *out = rc == DB_ROW ? db_col_int(st, 0) : 0;
    db_reset(st);
    return rc == DB_ROW ? ST_OK : ST_DB_ERROR;
}

st_rc st_total(const char *count_sql, const char *arg, page pg, size_t n, int64_t *total)
{
    *total = (int64_t)n;
    if (pg.limit > 0 || pg.offset > 0)
        return st_count(count_sql, arg, total);
    return ST_OK;
}
