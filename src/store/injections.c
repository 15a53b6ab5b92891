/* injections.c — memories injected into conversations, the chat context
 * built from them, and closing a conversation into a summary memory. */
#include "store/conversations.h"

#include "store/internal.h"
#include "store/stamps.h"
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

static bool read_context_memory(db_stmt *st, void *row)
{
    context_memory *m = row;
    if (col_dup_str(st, 0, &m->title) && col_dup_str(st, 1, &m->content))
        return true;
    free(m->title);
    m->title = NULL;
    return false;
}

static st_rc context_memories(db *d, const char *cid, context_memory **out, size_t *n)
{
    return st_rows(st_prep(d, "SELECT m.title, m.content FROM conversation_memories l"
                              " JOIN memories m ON m.id = l.memory_id"
                              " WHERE l.conversation_id = $1 AND l.is_active = 1"
                              " ORDER BY l.injected_at, l.id", ST_T(cid)),
                   sizeof **out, read_context_memory, out, n);
}

/* The newest max messages before before_us (not except_id), oldest first. */
static st_rc context_history(db *d, const char *cid, int64_t before_us, const char *except_id,
                             size_t max, message_row **out, size_t *n)
{
    db_stmt *st = st_prep(d, "SELECT id, conversation_id, role, content, is_pinned, metadata,"
                             " timestamp FROM messages WHERE conversation_id = $1"
                             " AND timestamp <= $2 AND id <> $3"
                             " ORDER BY timestamp DESC, id DESC LIMIT $4",
                          ST_T(cid), ST_I(before_us), ST_T(except_id ? except_id : ""),
                          ST_I(max));
    if (!st)
        return ST_DB_ERROR;
    *out = calloc(max + 1, sizeof **out);
    db_rc rc = *out ? DB_DONE : DB_ERR;
    while (*out && (rc = db_step(st)) == DB_ROW && *n < max) {
        message_row *m = &(*out)[(*n)++];
        COL_COPY(m->id, st, 0);
        COL_COPY(m->conversation_id, st, 1);
        COL_COPY(m->role, st, 2);
        m->timestamp = db_col_int(st, 6);
        if (!col_dup_str(st, 3, &m->content)) {
            rc = DB_ERR;
            break;
        }
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
    return st_write_run(CONV_STAMPS(cid), "INSERT INTO conversation_memories (conversation_id, memory_id,"
                        " is_active, injected_at) VALUES ($1, $2, 1, $3)"
                        " ON CONFLICT (conversation_id, memory_id) DO NOTHING",
                        ST_T(cid), ST_T(memory_id), ST_I(time_now_us()));
}

st_rc inject_remove(const char *cid, const char *memory_id)
{
    return st_write_change(CONV_STAMPS(cid), "DELETE FROM conversation_memories WHERE conversation_id = $1"
                           " AND memory_id = $2", ST_T(cid), ST_T(memory_id));
}

typedef struct toggle_job {
    const char *cid, *memory_id;
    bool active;                /* out */
} toggle_job;

static bool read_active(db_stmt *st, void *row)
{
    *(bool *)row = db_col_int(st, 0) != 0;
    return true;
}

static st_rc toggle_on(db *d, void *ctx)
{
    toggle_job *j = ctx;
    st_rc res = st_change(d, "UPDATE conversation_memories SET is_active = 1 - is_active"
                             " WHERE conversation_id = $1 AND memory_id = $2",
                          ST_T(j->cid), ST_T(j->memory_id));
    if (res == ST_OK)
        res = stamp_ws_of_conv(d, j->cid, WS_CONVS);
    if (res != ST_OK)
        return res;
    res = st_one(st_prep(d, "SELECT is_active FROM conversation_memories"
                            " WHERE conversation_id = $1 AND memory_id = $2",
                         ST_T(j->cid), ST_T(j->memory_id)), read_active, &j->active);
    return res == ST_NOT_FOUND ? ST_DB_ERROR : res;
}

st_rc inject_toggle(const char *cid, const char *memory_id, bool *active)
{
    toggle_job j = { cid, memory_id, false };
    st_rc res = st_write(toggle_on, &j);
    *active = j.active;
    return res;
}

typedef struct close_job {
    const char *cid;
    const memory_input *summary;
    char mid[ID_MAX];           /* out: the summary memory's id */
} close_job;

static bool read_workspace_id(db_stmt *st, void *row)
{
    col_copy(row, 40, st, 0);
    return true;
}

static bool read_status(db_stmt *st, void *row)
{
    col_copy(row, 16, st, 0);
    return true;
}

static st_rc close_on(db *d, void *ctx)
{
    close_job *j = ctx;
    char wid[40] = "";
    char status[16] = "";
    st_rc res = conv_lock_on(d, j->cid);        /* the status read next is the latest */
    if (res == ST_OK)
        res = st_one(st_prep(d, "SELECT status FROM conversations WHERE id = $1",
                             ST_T(j->cid)), read_status, status);
    if (res == ST_OK)
        res = st_one(st_prep(d, "UPDATE conversations SET status = 'completed',"
                                " updated_at = $2 WHERE id = $1 RETURNING workspace_id",
                             ST_T(j->cid), ST_I(time_now_us())), read_workspace_id, wid);
    if (res == ST_OK)       /* counters and stamp as conversations.c keeps them */
        res = st_run(d, "UPDATE workspaces SET active_conversation_count ="
                        " active_conversation_count - $2, stamp_convs = stamp_convs + 1"
                        " WHERE id = $1", ST_T(wid), ST_I(strcmp(status, "active") == 0));
    if (res == ST_OK && j->summary)
        res = memory_insert_on(d, wid, j->summary, false, j->mid, sizeof j->mid);
    return res;
}

st_rc conv_close(const char *cid, const memory_input *summary, memory_row *memory)
{
    close_job j = { cid, summary, "" };
    st_rc res = st_write(close_on, &j);
    if (res != ST_OK)
        return res;
    return summary ? memory_get_on(db_thread(), j.mid, memory) : ST_OK;
}
