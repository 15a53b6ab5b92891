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

static bool read_stats(db_stmt *st, void *row)
{
    ws_stats *out = row;
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
    return true;
}

static st_rc stats_on(db *d, const char *wid, int64_t now, ws_stats *out)
{
    return st_one(st_prep(d,
        "SELECT w.memory_count, w.embedding_count, w.conversation_count,"
        " w.active_conversation_count,"
        /* the last hour's messages at constant cost: whole minutes from
         * their counts, the minute the hour starts in from the messages */
        " (SELECT COALESCE(SUM(n), 0) FROM message_minutes x WHERE x.workspace_id = w.id"
        "  AND x.minute > $3) + (SELECT COUNT(*) FROM messages m"
        "  WHERE m.workspace_id = w.id AND m.timestamp >= $2 AND m.timestamp < $4),"
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
        " FROM workspaces w WHERE w.id = $1",
        ST_T(wid), ST_I(now - HOUR_US), ST_I((now - HOUR_US) / MINUTE_US),
        ST_I(((now - HOUR_US) / MINUTE_US + 1) * MINUTE_US)), read_stats, out);
}

st_rc ws_service_stats(const char *wid, int64_t now, ws_stats *out)
{
    return stats_on(db_thread(), wid, now, out);
}

static bool read_point(db_stmt *st, void *row)
{
    load_point *p = row;
    p->timestamp = db_col_int(st, 0);
    p->value = (int)db_col_int(st, 1);
    return true;
}

st_rc load_snapshots(const char *wid, int64_t since, load_point **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    st_rc res = st_rows(st_prep(db_thread(), "SELECT timestamp, value FROM load_snapshots"
                                " WHERE workspace_id = $1 AND timestamp >= $2"
                                " ORDER BY timestamp, id", ST_T(wid), ST_I(since)),
                        sizeof **out, read_point, out, n);
    if (res != ST_OK) {
        free(*out);
        *out = NULL;
        *n = 0;
    }
    return res;
}

typedef struct load_job {
    const char *wid;
    int64_t now;
    int value;                  /* out */
} load_job;

/* Records the workspace's load now and drops snapshots older than a day. */
static st_rc record_on(db *d, void *ctx)
{
    load_job *j = ctx;
    char id[ID_MAX];
    ws_stats s;
    st_rc res = stats_on(d, j->wid, j->now, &s);
    id_prefixed("load", id, sizeof id);
    if (res == ST_OK)
        res = st_run(d, "INSERT INTO load_snapshots (id, workspace_id, value, timestamp)"
                        " VALUES ($1, $2, $3, $4)", ST_T(id), ST_T(j->wid), ST_I(s.load),
                     ST_I(j->now));
    if (res == ST_OK)
        res = st_run(d, "DELETE FROM load_snapshots WHERE workspace_id = $1 AND timestamp < $2",
                     ST_T(j->wid), ST_I(j->now - DAY_US));
    j->value = res == ST_OK ? s.load : 0;
    return res;
}

st_rc load_record(const char *wid, int64_t now, int *value)
{
    load_job j = { wid, now, 0 };
    st_rc res = st_write(record_on, &j);
    if (res == ST_OK)
        *value = j.value;
    return res;
}
