/* load.c — see load.h. */
#include "store/load.h"

#include "store/internal.h"
#include "util/ids.h"

#define HOUR_US 3600000000LL
#define DAY_US (24 * HOUR_US)

static int64_t max_of(const int64_t *v, size_t n)
{
    int64_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (v[i] > m)
            m = v[i];
    return m;
}

static st_rc stats_on(db *d, const char *wid, int64_t now, ws_stats *out)
{
    db_stmt *st = db_prepare(d,
        "SELECT w.memory_count, w.embedding_count, w.conversation_count,"
        " (SELECT COUNT(*) FROM conversations c WHERE c.workspace_id = w.id"
        "  AND c.status = 'active'),"
        " (SELECT COUNT(*) FROM messages m WHERE m.workspace_id = w.id AND m.timestamp >= $2),"
        " w.updated_at,"
        /* newest of each: one index probe (see WS_COLS in workspaces.c) */
        " (SELECT m.updated_at FROM memories m WHERE m.workspace_id = w.id"
        "  ORDER BY m.updated_at DESC LIMIT 1),"
        " (SELECT c.updated_at FROM conversations c WHERE c.workspace_id = w.id"
        "  ORDER BY c.updated_at DESC LIMIT 1),"
        " (SELECT m.timestamp FROM messages m WHERE m.workspace_id = w.id"
        "  ORDER BY m.timestamp DESC LIMIT 1),"
        " (SELECT a.timestamp FROM activities a WHERE a.workspace_id = w.id"
        "  ORDER BY a.timestamp DESC LIMIT 1)"
        " FROM workspaces w WHERE w.id = $1");
    if (!st)
        return ST_DB_ERROR;
    db_bind_text(st, 1, wid);
    db_bind_int(st, 2, now - HOUR_US);
    db_rc rc = db_step(st);
    if (rc == DB_ROW) {
        int64_t times[5];
        out->memories = db_col_int(st, 0);
        out->embeddings = db_col_int(st, 1);
        out->conversations = db_col_int(st, 2);
        out->active_conversations = db_col_int(st, 3);
        out->recent_messages = db_col_int(st, 4);
        for (int i = 0; i < 5; i++)
            times[i] = db_col_int(st, 5 + i);
        out->last_activity = max_of(times, 5);
        int64_t load = 10 * out->active_conversations + out->recent_messages;
        out->load = load > 100 ? 100 : (int)load;
    }
    db_reset(st);
    return rc == DB_ROW ? ST_OK : rc == DB_DONE ? ST_NOT_FOUND : ST_DB_ERROR;
}

st_rc ws_service_stats(const char *wid, int64_t now, ws_stats *out)
{
    db *d = db_thread();
    return d ? stats_on(d, wid, now, out) : ST_DB_ERROR;
}

st_rc load_snapshots(const char *wid, int64_t since, load_point **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    db_stmt *st = db_prepare(db_thread(), "SELECT timestamp, value FROM load_snapshots"
                             " WHERE workspace_id = $1 AND timestamp >= $2"
                             " ORDER BY timestamp, id");
    if (!st)
        return ST_DB_ERROR;
    db_bind_text(st, 1, wid);
    db_bind_int(st, 2, since);
    db_rc rc;
    size_t cap = 0;
    while ((rc = db_step(st)) == DB_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 32;
            load_point *p = realloc(*out, cap * sizeof *p);
            if (!p) {
                rc = DB_ERR;
                break;
            }
            *out = p;
        }
        (*out)[*n].timestamp = db_col_int(st, 0);
        (*out)[*n].value = (int)db_col_int(st, 1);
        (*n)++;
    }
    db_reset(st);
    if (rc != DB_DONE) {
        free(*out);
        *out = NULL;
        *n = 0;
        return ST_DB_ERROR;
    }
    return ST_OK;
}

static st_rc insert_snapshot(db *d, const char *wid, int value, int64_t now)
{
    char id[ID_MAX];
    id_prefixed("load", id, sizeof id);
    db_stmt *st = db_prepare(d, "INSERT INTO load_snapshots (id, workspace_id, value, timestamp)"
                                " VALUES ($1, $2, $3, $4)");
    if (!st)
        return ST_DB_ERROR;
    db_bind_text(st, 1, id);
    db_bind_text(st, 2, wid);
    db_bind_int(st, 3, value);
    db_bind_int(st, 4, now);
    return st_exec(st);
}

st_rc load_record(const char *wid, int64_t now, int *value)
{
    db *d = db_writer();
    ws_stats s;
    if (!d || db_begin(d) != 0)
        return ST_DB_ERROR;
    st_rc res = stats_on(d, wid, now, &s);
    if (res == ST_OK)
        res = insert_snapshot(d, wid, s.load, now);
    if (res == ST_OK) {
        db_stmt *st = db_prepare(d, "DELETE FROM load_snapshots WHERE workspace_id = $1"
                                    " AND timestamp < $2");
        if (st) {
            db_bind_text(st, 1, wid);
            db_bind_int(st, 2, now - DAY_US);
        }
        res = st_exec(st);
    }
    if (res != ST_OK) {
        db_rollback(d);
        return res;
    }
    *value = s.load;
    return db_commit(d) == 0 ? ST_OK : ST_DB_ERROR;
}
