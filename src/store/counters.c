/* counters.c — database-backed event counters; see counters.h. */
#include "store/counters.h"

#include "store/internal.h"

/* One statement for every node at once: the row lock of the upsert orders
 * concurrent additions, and an expired window restarts in the same step. */
st_rc counter_add(const char *id, int64_t n, int64_t window_us, int64_t now,
                  int64_t *total, int64_t *window_end)
{
    db *d = db_thread();
    db_stmt *st = d ? db_prepare(d,
        "INSERT INTO rate_counters (id, window_end, hits) VALUES ($1, $2, $3)"
        " ON CONFLICT (id) DO UPDATE SET"
        " hits = CASE WHEN rate_counters.window_end <= $4 THEN excluded.hits"
        " ELSE rate_counters.hits + excluded.hits END,"
        " window_end = CASE WHEN rate_counters.window_end <= $4 THEN excluded.window_end"
        " ELSE rate_counters.window_end END"
        " RETURNING hits, window_end") : NULL;
    if (!st)
        return ST_DB_ERROR;
    db_bind_text(st, 1, id);
    db_bind_int(st, 2, now + window_us);
    db_bind_int(st, 3, n);
    db_bind_int(st, 4, now);
    db_rc rc = db_step(st);
    if (rc == DB_ROW) {
        *total = db_col_int(st, 0);
        *window_end = db_col_int(st, 1);
    }
    db_reset(st);
    return rc == DB_ROW ? ST_OK : ST_DB_ERROR;
}

st_rc counter_get(const char *id, int64_t now, int64_t *total, int64_t *window_end)
{
    db *d = db_thread();
    db_stmt *st = d ? db_prepare(d, "SELECT hits, window_end FROM rate_counters"
                                    " WHERE id = $1 AND window_end > $2") : NULL;
    if (!st)
        return ST_DB_ERROR;
    db_bind_text(st, 1, id);
    db_bind_int(st, 2, now);
    db_rc rc = db_step(st);
    *total = rc == DB_ROW ? db_col_int(st, 0) : 0;
    *window_end = rc == DB_ROW ? db_col_int(st, 1) : 0;
    db_reset(st);
    return rc == DB_ROW || rc == DB_DONE ? ST_OK : ST_DB_ERROR;
}

static st_rc run_with(const char *sql, const char *text, int64_t v)
{
    db *d = db_thread();
    db_stmt *st = d ? db_prepare(d, sql) : NULL;
    if (!st)
        return ST_DB_ERROR;
    if (text)
        db_bind_text(st, 1, text);
    else
        db_bind_int(st, 1, v);
    return st_exec(st);
}

st_rc counter_clear(const char *id)
{
    return run_with("DELETE FROM rate_counters WHERE id = $1", id, 0);
}

st_rc counter_purge(int64_t before)
{
    return run_with("DELETE FROM rate_counters WHERE window_end < $1", NULL, before);
}
