/* memory_texts.c — see memory_texts.h. One statement each, as in
 * memory_vectors: the LEFT JOIN yields the workspace row even when no
 * memory matches; a delta adds the tombstones after since (kind 1). */
#include "store/memory_texts.h"

#include "store/internal.h"

#define TEXT_COLS \
    "SELECT w.generation, w.memory_count, w.tombstone_floor, 0, m.id, m.title, m.content" \
    " FROM workspaces w LEFT JOIN memories m ON m.workspace_id = w.id"
#define TEXT_TOMBS \
    " UNION ALL SELECT NULL, NULL, NULL, 1, t.memory_id, NULL, NULL" \
    " FROM memory_tombstones t WHERE t.workspace_id = $1 AND t.seq > $2 ORDER BY 4"

st_rc memory_texts(const char *wid, int64_t since, const memory_text_visitor *v)
{
    db_stmt *st = since < 0
        ? st_prep(db_thread(), TEXT_COLS " WHERE w.id = $1", ST_T(wid))
        : st_prep(db_thread(), TEXT_COLS " AND m.change_seq > $2 WHERE w.id = $1" TEXT_TOMBS,
                  ST_T(wid), ST_I(since));
    if (!st)
        return ST_DB_ERROR;
    db_rc rc;
    int stop = 0, first = 1;
    while (!stop && (rc = db_step(st)) == DB_ROW) {
        if (first) {
            first = 0;
            if ((stop = v->state(v->ctx, db_col_int(st, 0), db_col_int(st, 1),
                                 db_col_int(st, 2)) != 0))
                break;
        }
        const char *id = db_col_text(st, 4);
        if (!id)
            continue;                           /* the workspace row alone */
        if (db_col_int(st, 3) == 1) {
            stop = v->gone(v->ctx, id) != 0;
        } else {
            const char *title = db_col_text(st, 5), *content = db_col_text(st, 6);
            stop = v->row(v->ctx, id, title ? title : "", content ? content : "") != 0;
        }
    }
    db_reset(st);
    if (stop || rc != DB_DONE)
        return ST_DB_ERROR;
    return first ? ST_NOT_FOUND : ST_OK;
}
