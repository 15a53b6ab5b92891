/* conversations.c — see conversations.h. */
#include "store/conversations.h"

#include "store/internal.h"
#include "store/rows.h"
#include "util/ids.h"
#include "util/isotime.h"
#include "util/utf8.h"

#define CONV_COLS \
    "c.id, c.workspace_id, c.title, c.model_id, c.status, c.created_at, c.updated_at," \
    " c.message_count"
#define MSG_COLS "id, conversation_id, role, content, is_pinned, metadata, timestamp"

void message_row_free(message_row *m)
{
    free(m->content);
    free(m->metadata);
    m->content = m->metadata = NULL;
}

void conv_row_free(conv_row *c)
{
    free(c->title);
    free(c->model_id);
    for (size_t i = 0; i < c->nmessages; i++)
        message_row_free(&c->messages[i]);
    free(c->messages);
    free(c->injections);
    memset(c, 0, sizeof *c);
}

void conv_rows_free(conv_row *rows, size_t n)
{
    for (size_t i = 0; i < n; i++)
        conv_row_free(&rows[i]);
    free(rows);
}

static void read_conv(db_stmt *st, conv_row *c)
{
    memset(c, 0, sizeof *c);
    COL_COPY(c->id, st, 0);
    COL_COPY(c->workspace_id, st, 1);
    c->title = col_dup_str(st, 2);
    c->model_id = col_dup_str(st, 3);
    COL_COPY(c->status, st, 4);
    c->created_at = db_col_int(st, 5);
    c->updated_at = db_col_int(st, 6);
    c->message_count = db_col_int(st, 7);
}

static void read_message(db_stmt *st, message_row *m)
{
    memset(m, 0, sizeof *m);
    COL_COPY(m->id, st, 0);
    COL_COPY(m->conversation_id, st, 1);
    COL_COPY(m->role, st, 2);
    m->content = col_dup_str(st, 3);
    m->pinned = db_col_int(st, 4) != 0;
    m->metadata = col_dup_str(st, 5);
    m->timestamp = db_col_int(st, 6);
}

/* Grows *arr (elements of size sz) so that one more fits. */
static int grow(void **arr, size_t n, size_t *cap, size_t sz)
{
    if (n < *cap)
        return 0;
    size_t c = *cap ? *cap * 2 : 16;
    void *p = realloc(*arr, c * sz);
    if (!p)
        return -1;
    *arr = p;
    *cap = c;
    return 0;
}

static st_rc load_injections(db *d, conv_row *c)
{
    db_stmt *st = db_prepare(d, "SELECT memory_id, is_active FROM conversation_memories"
                                " WHERE conversation_id = $1 ORDER BY injected_at, id");
    if (!st)
        return ST_DB_ERROR;
    db_bind_text(st, 1, c->id);
    size_t cap = 0;
    db_rc rc;
    while ((rc = db_step(st)) == DB_ROW) {
        if (grow((void **)&c->injections, c->ninjections, &cap, sizeof *c->injections)) {
            rc = DB_ERR;
            break;
        }
        injection_row *j = &c->injections[c->ninjections++];
        COL_COPY(j->memory_id, st, 0);
        j->active = db_col_int(st, 1) != 0;
    }
    db_reset(st);
    return rc == DB_DONE ? ST_OK : ST_DB_ERROR;
}

static st_rc load_messages(db *d, conv_row *c)
{
    db_stmt *st = db_prepare(d, "SELECT " MSG_COLS " FROM messages WHERE conversation_id = $1"
                                " ORDER BY timestamp, id");
    if (!st)
        return ST_DB_ERROR;
    db_bind_text(st, 1, c->id);
    size_t cap = 0;
    db_rc rc;
    while ((rc = db_step(st)) == DB_ROW) {
        if (grow((void **)&c->messages, c->nmessages, &cap, sizeof *c->messages)) {
            rc = DB_ERR;
            break;
        }
        read_message(st, &c->messages[c->nmessages++]);
    }
    db_reset(st);
    return rc == DB_DONE ? ST_OK : ST_DB_ERROR;
}

st_rc conv_list(const char *wid, page pg, conv_row **out, size_t *n, int64_t *total)
{
    db *d = db_thread();
    db_stmt *st = db_prepare(d, "SELECT " CONV_COLS " FROM conversations c WHERE"
                                " c.workspace_id = $1 ORDER BY c.updated_at DESC, c.id"
                                " LIMIT $2 OFFSET $3");
    *out = NULL;
    *n = 0;
    if (!st)
        return ST_DB_ERROR;
    db_bind_text(st, 1, wid);
    db_bind_int(st, 2, pg.limit > 0 ? pg.limit : INT64_MAX);
    db_bind_int(st, 3, pg.offset);
    size_t cap = 0;
    db_rc rc;
    while ((rc = db_step(st)) == DB_ROW) {
        if (grow((void **)out, *n, &cap, sizeof **out)) {
            rc = DB_ERR;
            break;
        }
        read_conv(st, &(*out)[(*n)++]);
    }
    db_reset(st);
    st_rc res = rc == DB_DONE ? ST_OK : ST_DB_ERROR;
    for (size_t i = 0; i < *n && res == ST_OK; i++)
        res = load_injections(d, &(*out)[i]);
    *total = (int64_t)*n;
    if (res == ST_OK && (pg.limit > 0 || pg.offset > 0))
        res = st_count("SELECT COUNT(*) FROM conversations WHERE workspace_id = $1", wid, total);
    if (res != ST_OK) {
        conv_rows_free(*out, *n);
        *out = NULL;
        *n = 0;
    }
    return res;
}

static st_rc get_on(db *d, const char *cid, bool full, conv_row *out)
{
    db_stmt *st = db_prepare(d, "SELECT " CONV_COLS " FROM conversations c WHERE c.id = $1");
    if (!st)
        return ST_DB_ERROR;
    db_bind_text(st, 1, cid);
    db_rc rc = db_step(st);
    if (rc == DB_ROW)
        read_conv(st, out);
    db_reset(st);
    if (rc != DB_ROW)
        return rc == DB_DONE ? ST_NOT_FOUND : ST_DB_ERROR;
    st_rc res = full ? load_messages(d, out) : ST_OK;
    if (res == ST_OK && full)
        res = load_injections(d, out);
    if (res != ST_OK)
        conv_row_free(out);
    return res;
}

st_rc conv_get(const char *cid, bool full, conv_row *out)
{
    db *d = db_thread();
    return d ? get_on(d, cid, full, out) : ST_DB_ERROR;
}

/* Conversation counter of the workspace (embedded stats). */
static st_rc bump_conversations(db *d, const char *wid, int delta)
{
    db_stmt *st = db_prepare(d, "UPDATE workspaces SET conversation_count ="
                                " conversation_count + $2 WHERE id = $1");
    if (!st)
        return ST_DB_ERROR;
    db_bind_text(st, 1, wid);
    db_bind_int(st, 2, delta);
    return st_exec(st);
}

static st_rc finish(db *d, st_rc res)
{
    if (res != ST_OK) {
        db_rollback(d);
        return res;
    }
    return db_commit(d) == 0 ? ST_OK : ST_DB_ERROR;
}

st_rc conv_create(const char *wid, const char *title, const char *model_id, conv_row *out)
{
    db *d = db_writer();
    char id[ID_MAX], msg[1400];     /* titles: 255 characters of up to 4 bytes */
    int64_t now = time_now_us();
    id_prefixed("conv", id, sizeof id);
    if (!d || db_begin(d) != 0)
        return ST_DB_ERROR;
    db_stmt *st = db_prepare(d, "INSERT INTO conversations (id, workspace_id, title, model_id,"
                                " status, created_at, updated_at) VALUES ($1, $2, $3, $4,"
                                " 'active', $5, $5)");
    if (st) {
        db_bind_text(st, 1, id);
        db_bind_text(st, 2, wid);
        db_bind_text(st, 3, title);
        db_bind_text(st, 4, model_id);
        db_bind_int(st, 5, now);
    }
    st_rc res = st_exec(st);
    if (res == ST_OK)
        res = bump_conversations(d, wid, 1);
    if (res == ST_OK) {
        snprintf(msg, sizeof msg, "Conversation '%s' started", title);
        res = activity_add(d, wid, "conversation_created", msg,
                           json_pack("{s:s,s:s,s:s}", "conversationId", id,
                                     "conversationTitle", title, "modelId", model_id), now);
    }
    res = finish(d, res);
    return res == ST_OK ? get_on(db_thread(), id, true, out) : res;
}

st_rc conv_update(const char *cid, const char *title, const char *status, conv_row *out)
{
    db *d = db_thread();
    db_stmt *st = db_prepare(d, "UPDATE conversations SET title = COALESCE($2, title),"
                                " status = COALESCE($3, status), updated_at = $4 WHERE id = $1");
    if (!st)
        return ST_DB_ERROR;
    db_bind_text(st, 1, cid);
    db_bind_text(st, 2, title);
    db_bind_text(st, 3, status);
    db_bind_int(st, 4, time_now_us());
    st_rc res = st_exec(st);
    return res == ST_OK ? get_on(d, cid, true, out) : res;
}

st_rc conv_set_status(const char *cid, const char *status)
{
    conv_row c;
    st_rc res = conv_update(cid, NULL, status, &c);
    if (res == ST_OK)
        conv_row_free(&c);
    return res;
}

st_rc conv_delete(const char *cid)
{
    db *d = db_writer();
    conv_row c;
    if (!d || db_begin(d) != 0)
        return ST_DB_ERROR;
    st_rc res = get_on(d, cid, false, &c);
    if (res == ST_OK) {
        db_stmt *st = db_prepare(d, "DELETE FROM conversations WHERE id = $1");
        if (st)
            db_bind_text(st, 1, cid);
        res = st_exec(st);
        if (res == ST_OK)
            res = bump_conversations(d, c.workspace_id, -1);
        conv_row_free(&c);
    }
    return finish(d, res);
}

/* Bumps the conversation's updatedAt (messages, pins, deletions) and moves
 * its message count by added. */
static st_rc touch(db *d, const char *cid, int64_t now, int added)
{
    db_stmt *st = db_prepare(d, "UPDATE conversations SET updated_at = $2,"
                                " message_count = message_count + $3 WHERE id = $1");
    if (!st)
        return ST_DB_ERROR;
    db_bind_text(st, 1, cid);
    db_bind_int(st, 2, now);
    db_bind_int(st, 3, added);
    return st_exec(st);
}

static st_rc get_message(db *d, const char *cid, const char *mid, message_row *out)
{
    db_stmt *st = db_prepare(d, "SELECT " MSG_COLS " FROM messages WHERE id = $1"
                                " AND conversation_id = $2");
    if (!st)
        return ST_DB_ERROR;
    db_bind_text(st, 1, mid);
    db_bind_text(st, 2, cid);
    db_rc rc = db_step(st);
    if (rc == DB_ROW)
        read_message(st, out);
    db_reset(st);
    return rc == DB_ROW ? ST_OK : rc == DB_DONE ? ST_NOT_FOUND : ST_DB_ERROR;
}

st_rc msg_get(const char *cid, const char *mid, message_row *out)
{
    db *d = db_thread();
    return d ? get_message(d, cid, mid, out) : ST_DB_ERROR;
}

/* "Message sent in '<title>': <first 50 chars>..." (API.md §7.4). */
static void sent_message(const conv_row *c, const char *content, char *msg, size_t msgsz)
{
    size_t len = strlen(content), cut = utf8_prefix(content, len, 50);
    snprintf(msg, msgsz, "Message sent in '%s': %.*s%s", c->title, (int)cut, content,
             cut < len ? "..." : "");
}

typedef struct msg_job {
    const conv_row *c;
    const char *role, *content, *metadata;
    message_row *out;
    int64_t now;
} msg_job;

static int msg_add_on(db *d, void *ctx)
{
    const msg_job *j = ctx;
    const conv_row *c = j->c;
    char id[ID_MAX], msg[1600];     /* title (≤ 1020 bytes) + 50 characters */
    int64_t now = j->now;
    id_prefixed("msg", id, sizeof id);
    db_stmt *st = db_prepare(d, "INSERT INTO messages (id, conversation_id, workspace_id, role,"
                                " content, is_pinned, metadata, timestamp)"
                                " VALUES ($1, $2, $3, $4, $5, 0, $6, $7)");
    if (st) {
        db_bind_text(st, 1, id);
        db_bind_text(st, 2, c->id);
        db_bind_text(st, 3, c->workspace_id);
        db_bind_text(st, 4, j->role);
        db_bind_text(st, 5, j->content);
        db_bind_text(st, 6, j->metadata ? j->metadata : "{}");
        db_bind_int(st, 7, now);
    }
    st_rc res = st_exec(st);
    if (res == ST_OK)
        res = touch(d, c->id, now, 1);
    if (res == ST_OK) {
        sent_message(c, j->content, msg, sizeof msg);
        res = activity_add(d, c->workspace_id, "message_sent", msg,
                           json_pack("{s:s,s:s,s:s}", "conversationId", c->id, "messageId", id,
                                     "role", j->role), now);
    }
    if (res == ST_OK)
        res = get_message(d, c->id, id, j->out);
    return (int)res;
}

st_rc msg_add(const conv_row *c, const char *role, const char *content, const char *metadata,
              message_row *out)
{
    msg_job j = { c, role, content, metadata, out, time_now_us() };
    memset(out, 0, sizeof *out);
    int rc = db_write(msg_add_on, &j);    /* batched with concurrent writes */
    if (rc != 0)
        message_row_free(out);
    return rc == 0 ? ST_OK : rc == DB_WRITE_FAILED ? ST_DB_ERROR : (st_rc)rc;
}

static int msg_pair_on(db *d, void *ctx)
{
    msg_job *j = ctx;
    int rc = msg_add_on(d, &j[0]);
    return rc != 0 ? rc : msg_add_on(d, &j[1]);
}

st_rc msg_add_pair(const conv_row *c, const char *user_text, const char *reply_text,
                   const char *reply_meta, message_row *user, message_row *reply)
{
    int64_t now = time_now_us();
    msg_job j[2] = {
        { c, "user", user_text, "{}", user, now },
        { c, "assistant", reply_text, reply_meta, reply, now + 1 },   /* strictly after */
    };
    memset(user, 0, sizeof *user);
    memset(reply, 0, sizeof *reply);
    int rc = db_write(msg_pair_on, j);
    if (rc != 0) {
        message_row_free(user);
        message_row_free(reply);
    }
    return rc == 0 ? ST_OK : rc == DB_WRITE_FAILED ? ST_DB_ERROR : (st_rc)rc;
}

st_rc msg_set_pinned(const char *cid, const char *mid, bool pinned, message_row *out)
{
    db *d = db_writer();
    if (!d || db_begin(d) != 0)
        return ST_DB_ERROR;
    db_stmt *st = db_prepare(d, "UPDATE messages SET is_pinned = $3 WHERE id = $1"
                                " AND conversation_id = $2");
    st_rc res = ST_DB_ERROR;
    if (st) {
        db_bind_text(st, 1, mid);
        db_bind_text(st, 2, cid);
        db_bind_int(st, 3, pinned);
        res = st_exec_changed(st);
    }
    if (res == ST_OK)
        res = touch(d, cid, time_now_us(), 0);
    res = finish(d, res);
    return res == ST_OK ? get_message(db_thread(), cid, mid, out) : res;
}

st_rc msg_delete(const char *cid, const char *mid)
{
    db *d = db_writer();
    if (!d || db_begin(d) != 0)
        return ST_DB_ERROR;
    db_stmt *st = db_prepare(d, "DELETE FROM messages WHERE id = $1 AND conversation_id = $2");
    st_rc res = ST_DB_ERROR;
    if (st) {
        db_bind_text(st, 1, mid);
        db_bind_text(st, 2, cid);
        res = st_exec_changed(st);
    }
    if (res == ST_OK)
        res = touch(d, cid, time_now_us(), -1);
    return finish(d, res);
}
