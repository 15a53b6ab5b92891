/* injections.c — memories injected into conversations, the chat context
 * built from them, and closing a conversation into a summary memory. */
#include "store/conversations.h"

#include "store/internal.h"
#include "store/rows.h"
#include "util/ids.h"
#include "util/isotime.h"

void context_free(context_memory *mems, size_t nmems, message_row *history, size_t nhistory)
{
    for (size_t i = 0; i < nmems; i++) {
        free(mems[i].title);
        free(mems[i].content);
    }
    free(mems);
    for (size_t i = 0; i < nhistory; i++)
        message_row_free(&history[i]);
    free(history);
}

static st_rc context_memories(db *d, const char *cid, context_memory **out, size_t *n)
{
    db_stmt *st = db_prepare(d, "SELECT m.title, m.content FROM conversation_memories l"
                                " JOIN memories m ON m.id = l.memory_id"
                                " WHERE l.conversation_id = $1 AND l.is_active = 1"
                                " ORDER BY l.injected_at, l.id");
    if (!st)
        return ST_DB_ERROR;
    db_bind_text(st, 1, cid);
    size_t cap = 0;
    db_rc rc;
    while ((rc = db_step(st)) == DB_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 8;
            context_memory *p = realloc(*out, cap * sizeof *p);
            if (!p) {
                rc = DB_ERR;
                break;
            }
            *out = p;
        }
        (*out)[*n].title = col_dup_str(st, 0);
        (*out)[*n].content = col_dup_str(st, 1);
        (*n)++;
    }
    db_reset(st);
    return rc == DB_DONE ? ST_OK : ST_DB_ERROR;
}

/* The newest max messages before before_us (not except_id), oldest first. */
static st_rc context_history(db *d, const char *cid, int64_t before_us, const char *except_id,
                             size_t max, message_row **out, size_t *n)
{
    db_stmt *st = db_prepare(d, "SELECT id, conversation_id, role, content, is_pinned, metadata,"
                                " timestamp FROM messages WHERE conversation_id = $1"
                                " AND timestamp <= $2 AND id <> $3"
                                " ORDER BY timestamp DESC, id DESC LIMIT $4");
    if (!st)
        return ST_DB_ERROR;
    db_bind_text(st, 1, cid);
    db_bind_int(st, 2, before_us);
    db_bind_text(st, 3, except_id ? except_id : "");
    db_bind_int(st, 4, (int64_t)max);
    *out = calloc(max + 1, sizeof **out);
    db_rc rc = *out ? DB_DONE : DB_ERR;
    while (*out && (rc = db_step(st)) == DB_ROW && *n < max) {
        message_row *m = &(*out)[(*n)++];
        COL_COPY(m->id, st, 0);
        COL_COPY(m->conversation_id, st, 1);
        COL_COPY(m->role, st, 2);
        m->content = col_dup_str(st, 3);
        m->timestamp = db_col_int(st, 6);
    }
    db_reset(st);
    for (size_t i = 0; i < *n / 2; i++) {     /* newest-first → oldest-first */
        message_row t = (*out)[i];
        (*out)[i] = (*out)[*n - 1 - i];
        (*out)[*n - 1 - i] = t;
    }
    return rc == DB_DONE || rc == DB_ROW ? ST_OK : ST_DB_ERROR;
}

st_rc conv_context(const char *cid, int64_t before_us, const char *except_id,
                   size_t max_history, context_memory **mems, size_t *nmems,
                   message_row **history, size_t *nhistory)
{
    db *d = db_thread();
    *mems = NULL;
    *history = NULL;
    *nmems = *nhistory = 0;
    if (!d)
        return ST_DB_ERROR;
    st_rc res = context_memories(d, cid, mems, nmems);
    if (res == ST_OK)
        res = context_history(d, cid, before_us, except_id, max_history, history, nhistory);
    if (res != ST_OK) {
        context_free(*mems, *nmems, *history, *nhistory);
        *mems = NULL;
        *history = NULL;
        *nmems = *nhistory = 0;
    }
    return res;
}

st_rc inject_add(const char *cid, const char *memory_id)
{
    db_stmt *st = db_prepare(db_thread(),
        "INSERT INTO conversation_memories (conversation_id, memory_id, is_active, injected_at)"
        " VALUES ($1, $2, 1, $3) ON CONFLICT (conversation_id, memory_id) DO NOTHING");
    if (!st)
        return ST_DB_ERROR;
    db_bind_text(st, 1, cid);
    db_bind_text(st, 2, memory_id);
    db_bind_int(st, 3, time_now_us());
    return st_exec(st);
}

/* Runs a one-row change on the link (cid, memory_id): NOT_FOUND if none. */
static st_rc link_change(const char *sql, const char *cid, const char *memory_id)
{
    db_stmt *st = db_prepare(db_thread(), sql);
    if (!st)
        return ST_DB_ERROR;
    db_bind_text(st, 1, cid);
    db_bind_text(st, 2, memory_id);
    return st_exec_changed(st);
}

st_rc inject_remove(const char *cid, const char *memory_id)
{
    return link_change("DELETE FROM conversation_memories WHERE conversation_id = $1"
                       " AND memory_id = $2", cid, memory_id);
}

st_rc inject_toggle(const char *cid, const char *memory_id, bool *active)
{
    st_rc res = link_change("UPDATE conversation_memories SET is_active = 1 - is_active"
                            " WHERE conversation_id = $1 AND memory_id = $2", cid, memory_id);
    if (res != ST_OK)
        return res;
    db_stmt *st = db_prepare(db_thread(), "SELECT is_active FROM conversation_memories"
                                          " WHERE conversation_id = $1 AND memory_id = $2");
    if (!st)
        return ST_DB_ERROR;
    db_bind_text(st, 1, cid);
    db_bind_text(st, 2, memory_id);
    db_rc rc = db_step(st);
    *active = rc == DB_ROW && db_col_int(st, 0) != 0;
    db_reset(st);
    return rc == DB_ROW ? ST_OK : ST_DB_ERROR;
}

st_rc conv_close(const char *cid, const memory_input *summary, memory_row *memory)
{
    db *d = db_writer();
    char wid[40] = "", mid[ID_MAX];
    if (!d || db_begin(d) != 0)
        return ST_DB_ERROR;
    db_stmt *st = db_prepare(d, "UPDATE conversations SET status = 'completed', updated_at = $2"
                                " WHERE id = $1 RETURNING workspace_id");
    st_rc res = ST_DB_ERROR;
    if (st) {
        db_bind_text(st, 1, cid);
        db_bind_int(st, 2, time_now_us());
        db_rc rc = db_step(st);
        if (rc == DB_ROW)
            COL_COPY(wid, st, 0);
        db_reset(st);
        res = rc == DB_ROW ? ST_OK : rc == DB_DONE ? ST_NOT_FOUND : ST_DB_ERROR;
    }
    if (res == ST_OK && summary)
        res = memory_insert_on(d, wid, summary, false, mid, sizeof mid);
    if (res != ST_OK) {
        db_rollback(d);
        return res;
    }
    if (db_commit(d) != 0)
        return ST_DB_ERROR;
    return summary ? memory_get_on(db_thread(), mid, memory) : ST_OK;
}
