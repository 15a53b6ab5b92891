/* common.c — small statement helpers shared by the store files. */
#include "store/internal.h"

st_rc st_from_db(db_rc rc)
{
    switch (rc) {
    case DB_DONE: return ST_OK;
    case DB_CONSTRAINT: return ST_CONFLICT;
    default: return ST_DB_ERROR;
    }
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
    return rc != DB_DONE ? ST_DB_ERROR : n ? ST_OK : ST_NOT_FOUND;
}

st_rc st_count(const char *sql, const char *arg, int64_t *out)
{
    db_stmt *st = db_prepare(db_thread(), sql);
    if (!st)
        return ST_DB_ERROR;
    db_bind_text(st, 1, arg);
    db_rc rc = db_step(st);
    *out = rc == DB_ROW ? db_col_int(st, 0) : 0;
    db_reset(st);
    return rc == DB_ROW ? ST_OK : ST_DB_ERROR;
}
