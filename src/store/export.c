/* export.c — see export.h. Timestamps use the isoformat style (+00:00) of
 * the original export file. */
#include "store/export.h"

#include "store/internal.h"
#include "util/isotime.h"
#include "util/oom.h"

#include <string.h>

static json_t *ts(int64_t us)
{
    char b[ISOTIME_MAX];
    time_iso_offset(us, b);
    return json_string(b);
}

static json_t *ts_or_null(db_stmt *st, int col)
{
    return db_col_null(st, col) ? json_null() : ts(db_col_int(st, col));
}

static json_t *text_col(db_stmt *st, int col)
{
    const char *s = db_col_text(st, col);
    return s ? json_string(s) : json_null();
}

/* A stored JSON column, or dflt when it is not valid JSON or not of dflt's
 * type (metadata is an object, tags an array: what the export declares);
 * NULL when out of memory. */
static json_t *json_col(db_stmt *st, int col, json_t *dflt)
{
    const char *s = db_col_text(st, col);
    unsigned long oom = oom_failures();
    json_t *v = s ? json_parse(s, strlen(s), JSON_DECODE_ANY, NULL) : NULL;
    if (!v && oom_failures() != oom) {
        json_decref(dflt);
        return NULL;            /* the row fails: never exported without its value */
    }
    if (!v || !dflt || json_typeof(v) != json_typeof(dflt)) {
        json_decref(v);
        return dflt;
    }
    json_decref(dflt);
    return v;
}

/* Appends one JSON object per row of st (item builds it) to arr and resets
 * st; NULL st is an error. */
static st_rc json_rows(db_stmt *st, json_t *(*item)(db_stmt *st), json_t *arr)
{
    if (!st)
        return ST_DB_ERROR;
    db_rc rc;
    while ((rc = db_step(st)) == DB_ROW)
        if (json_array_append_new(arr, item(st)) != 0) {
            rc = DB_ERR;        /* never an export missing a row */
            break;
        }
    db_reset(st);
    return rc == DB_DONE ? ST_OK : ST_DB_ERROR;
}

/* Runs st into a new JSON array at *out (NULL on failure). */
static st_rc json_list(db_stmt *st, json_t *(*item)(db_stmt *st), json_t **out)
{
    json_t *arr = json_array();
    st_rc res = arr ? json_rows(st, item, arr) : ST_DB_ERROR;
    if (res != ST_OK) {
        json_decref(arr);
        arr = NULL;
    }
    *out = arr;
    return res;
}

static json_t *message_item(db_stmt *st)
{
    return json_pack("{s:o,s:o,s:o,s:b,s:o,s:o}",
        "id", text_col(st, 0), "role", text_col(st, 1), "content", text_col(st, 2),
        "isPinned", (int)db_col_int(st, 3), "timestamp", ts(db_col_int(st, 4)),
        "metadata", json_col(st, 5, json_object()));
}

static st_rc attach_messages(db *d, json_t *convs)
{
    size_t i;
    json_t *conv, *msgs;
    json_array_foreach(convs, i, conv) {
        st_rc res = json_list(st_prep(d, "SELECT id, role, content, is_pinned, timestamp,"
                                         " metadata FROM messages WHERE conversation_id = $1"
                                         " ORDER BY timestamp, id",
                                      ST_T(json_string_value(json_object_get(conv, "id")))),
                              message_item, &msgs);
        if (res != ST_OK)
            return res;
        if (json_object_set_new(conv, "messages", msgs) != 0)
            return ST_DB_ERROR;         /* never an export missing messages */
    }
    return ST_OK;
}

static json_t *conversation_item(db_stmt *st)
{
    return json_pack("{s:o,s:o,s:o,s:o,s:o,s:o}",
        "id", text_col(st, 0), "title", text_col(st, 1), "modelId", text_col(st, 2),
        "status", text_col(st, 3), "createdAt", ts(db_col_int(st, 4)),
        "updatedAt", ts(db_col_int(st, 5)));
}

st_rc export_conversations(const char *wid, json_t **out)
{
    db *d = db_thread();
    json_t *convs;
    st_rc res = json_list(st_prep(d, "SELECT id, title, model_id, status, created_at, updated_at"
                                     " FROM conversations WHERE workspace_id = $1"
                                     " ORDER BY updated_at DESC, id", ST_T(wid)),
                          conversation_item, &convs);
    if (res == ST_OK)
        res = attach_messages(d, convs);
    if (res != ST_OK) {
        json_decref(convs);
        return res;
    }
    *out = convs;
    return ST_OK;
}

static json_t *memory_item(db_stmt *st)
{
    return json_pack("{s:o,s:o,s:o,s:o,s:o,s:o,s:I,s:o,s:o}",
        "id", text_col(st, 0), "title", text_col(st, 1), "content", text_col(st, 2),
        "snippet", text_col(st, 3), "tags", json_col(st, 4, json_array()),
        "metadata", json_col(st, 5, json_object()), "version", (json_int_t)db_col_int(st, 6),
        "createdAt", ts(db_col_int(st, 7)), "updatedAt", ts(db_col_int(st, 8)));
}

st_rc export_memories(const char *wid, json_t **out)
{
    return json_list(st_prep(db_thread(),
        "SELECT id, title, content, snippet, tags, metadata, version, created_at, updated_at"
        " FROM memories WHERE workspace_id = $1 ORDER BY created_at DESC, id", ST_T(wid)),
        memory_item, out);
}

static json_t *integration_item(db_stmt *st)
{
    return json_pack("{s:o,s:o,s:o,s:o,s:o}",
        "id", text_col(st, 0), "provider", text_col(st, 1), "status", text_col(st, 2),
        "lastTested", ts_or_null(st, 3), "createdAt", ts(db_col_int(st, 4)));
}

st_rc export_integrations(const char *user_id, json_t **out)
{
    return json_list(st_prep(db_thread(),
        "SELECT id, provider, status, last_tested, created_at FROM integrations"
        " WHERE user_id = $1 ORDER BY created_at, id", ST_T(user_id)),
        integration_item, out);
}
