/* activity.c — activity records; see activity.h and internal.h. */
#include "store/activity.h"

#include "store/internal.h"
#include "store/rows.h"
#include "store/stamps.h"
#include "util/ids.h"
#include "util/oom.h"

st_rc activity_add(db *d, const char *wid, const char *type, const char *message,
                   json_t *metadata, int64_t now)
{
    char id[ID_MAX];
    char *meta = json_dumps_whole(metadata, JSON_COMPACT);
    json_decref(metadata);
    id_prefixed("activity", id, sizeof id);
    st_rc res = meta ? st_run(d, "INSERT INTO activities (id, workspace_id, type, description,"
                                 " metadata, timestamp) VALUES ($1, $2, $3, $4, $5, $6)",
                              ST_T(id), ST_T(wid), ST_T(type), ST_T(message), ST_T(meta),
                              ST_I(now))
                     : ST_DB_ERROR;
    free(meta);
    return res == ST_OK ? stamp_ws(d, wid, WS_ACTS) : res;
}

void activity_rows_free(activity_row *rows, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(rows[i].message);
        free(rows[i].metadata);
    }
    free(rows);
}

static bool read_activity(db_stmt *st, void *row)
{
    activity_row *a = row;
    memset(a, 0, sizeof *a);
    COL_COPY(a->id, st, 0);
    COL_COPY(a->type, st, 1);
    a->timestamp = db_col_int(st, 4);
    if (col_dup_str(st, 2, &a->message) && col_dup_str(st, 3, &a->metadata))
        return true;
    free(a->message);
    a->message = NULL;
    return false;
}

st_rc activity_list(const char *wid, page pg, activity_row **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    st_rc res = st_rows(st_prep(db_thread(),
        "SELECT id, type, description, metadata, timestamp FROM activities"
        " WHERE workspace_id = $1 ORDER BY timestamp DESC, id DESC LIMIT $2 OFFSET $3",
        ST_T(wid), ST_I(pg.limit), ST_I(pg.offset)), sizeof **out, read_activity, out, n);
    if (res != ST_OK)
        ST_DROP_ROWS(activity_rows_free, out, n);
    return res;
}
