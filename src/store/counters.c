/* counters.c — database-backed event counters; see counters.h. */
#include "store/counters.h"

#include "store/internal.h"

typedef struct counter_job {
    const char *id;
    int64_t n, window_us, now;
    int64_t total, window_end;  /* out */
} counter_job;

static bool read_counter(db_stmt *st, void *row)
{
    counter_job *c = row;
    c->total = db_col_int(st, 0);
    c->window_end = db_col_int(st, 1);
    return true;
}

/* One statement for every node at once: the row lock of the upsert orders
 * concurrent additions, and an expired window restarts in the same step. */
static st_rc add_on(db *d, void *ctx)
{
    counter_job *c = ctx;
    st_rc res = st_one(st_prep(d,
        "INSERT INTO rate_counters (id, window_end, hits) VALUES ($1, $2, $3)"
        " ON CONFLICT (id) DO UPDATE SET"
        " hits = CASE WHEN rate_counters.window_end <= $4 THEN excluded.hits"
        " ELSE rate_counters.hits + excluded.hits END,"
        " window_end = CASE WHEN rate_counters.window_end <= $4 THEN excluded.window_end"
        " ELSE rate_counters.window_end END"
        " RETURNING hits, window_end",
        ST_T(c->id), ST_I(c->now + c->window_us), ST_I(c->n), ST_I(c->now)), read_counter, c);
    return res == ST_NOT_FOUND ? ST_DB_ERROR : res;
}

st_rc counter_add(const char *id, int64_t n, int64_t window_us, int64_t now,
                  int64_t *total, int64_t *window_end)
{
    counter_job c = { id, n, window_us, now, 0, 0 };
    st_rc res = st_write(add_on, &c);
    if (res == ST_OK) {
        *total = c.total;
        *window_end = c.window_end;
    }
    return res;
}

st_rc counter_get(const char *id, int64_t now, int64_t *total, int64_t *window_end)
{
    counter_job c = { id, 0, 0, now, 0, 0 };
    st_rc res = st_one(st_prep(db_thread(), "SELECT hits, window_end FROM rate_counters"
                                            " WHERE id = $1 AND window_end > $2",
                               ST_T(id), ST_I(now)), read_counter, &c);
    *total = c.total;
    *window_end = c.window_end;
    return res == ST_NOT_FOUND ? ST_OK : res;
}

st_rc counter_clear(const char *id)
{
    return st_write_run(NO_STAMPS, "DELETE FROM rate_counters WHERE id = $1", ST_T(id));
}

st_rc counter_purge(int64_t before)
{
    return st_write_run(NO_STAMPS, "DELETE FROM rate_counters WHERE window_end < $1", ST_I(before));
}
