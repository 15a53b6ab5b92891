/* activity.c — activity records; see activity.h and internal.h. */
#include "store/activity.h"

#include "store/internal.h"
#include "store/rows.h"
#include "util/ids.h"

st_rc activity_add(db *d, const char *wid, const char *type, const char *message,
                   json_t *metadata, int64_t now)
{
    char id[ID_MAX];
    char *meta = json_dumps(metadata, JSON_COMPACT);
    json_decref(metadata);
    id_prefixed("activity", id, sizeof id);
    db_stmt *st = db_prepare(d, "INSERT INTO activities (id, workspace_id, type, description,"
                                " metadata, timestamp) VALUES ($1, $2, $3, $4, $5, $6)");
    if (!st || !meta) {
        free(meta);
        return ST_DB_ERROR;
    }
    db_bind_text(st, 1, id);
    db_bind_text(st, 2, wid);
    db_bind_text(st, 3, type);
    db_bind_text(st, 4, message);
    db_bind_text(st, 5, meta);
    db_bind_int(st, 6, now);
    free(meta);
    return st_exec(st);
}

void activity_rows_free(activity_row *rows, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(rows[i].message);
        free(rows[i].metadata);
    }
    free(rows);
}

st_rc activity_list(const char *wid, page pg, activity_row **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    db_stmt *st = db_prepare(db_thread(),
        "SELECT id, type, description, metadata, timestamp FROM activities"
        " WHERE workspace_id = $1 ORDER BY timestamp DESC, id DESC LIMIT $2 OFFSET $3");
    if (!st)
        return ST_DB_ERROR;
    db_bind_text(st, 1, wid);
    db_bind_int(st, 2, pg.limit);
    db_bind_int(st, 3, pg.offset);
    activity_row *rows = calloc((size_t)pg.limit + 1, sizeof *rows);
    db_rc rc = DB_ERR;
    while (rows && (rc = db_step(st)) == DB_ROW) {
        activity_row *a = &rows[(*n)++];
        COL_COPY(a->id, st, 0);
        COL_COPY(a->type, st, 1);
        a->message = col_dup_str(st, 2);
        a->metadata = col_dup_str(st, 3);
        a->timestamp = db_col_int(st, 4);
    }
    db_reset(st);
    if (!rows || rc != DB_DONE) {
        activity_rows_free(rows, *n);
        *n = 0;
        return ST_DB_ERROR;
    }
    *out = rows;
    return ST_OK;
}
