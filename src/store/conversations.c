/* conversations.c — see conversations.h. */
#include "store/conversations.h"

#include "store/internal.h"
#include "store/rows.h"
#include "store/stamps.h"
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
    ST_FREE_ROWS(rows, n, conv_row_free);
}

static bool read_conv(db_stmt *st, void *row)
{
    conv_row *c = row;
    memset(c, 0, sizeof *c);
    COL_COPY(c->id, st, 0);
    COL_COPY(c->workspace_id, st, 1);
    COL_COPY(c->status, st, 4);
    c->created_at = db_col_int(st, 5);
    c->updated_at = db_col_int(st, 6);
    c->message_count = db_col_int(st, 7);
    if (col_dup_str(st, 2, &c->title) && col_dup_str(st, 3, &c->model_id))
        return true;
    conv_row_free(c);
    return false;
}

static bool read_message(db_stmt *st, void *row)
{
    message_row *m = row;
    memset(m, 0, sizeof *m);
    COL_COPY(m->id, st, 0);
    COL_COPY(m->conversation_id, st, 1);
    COL_COPY(m->role, st, 2);
    m->pinned = db_col_int(st, 4) != 0;
    m->timestamp = db_col_int(st, 6);
    if (col_dup_str(st, 3, &m->content) && col_dup_str(st, 5, &m->metadata))
        return true;
    message_row_free(m);
    return false;
}

static bool read_injection(db_stmt *st, void *row)
{
    injection_row *j = row;
    COL_COPY(j->memory_id, st, 0);
    j->active = db_col_int(st, 1) != 0;
    return true;
}

static st_rc load_injections(db *d, conv_row *c)
{
    return st_rows(st_prep(d, "SELECT memory_id, is_active FROM conversation_memories"
                              " WHERE conversation_id = $1 ORDER BY injected_at, id",
                           ST_T(c->id)),
                   sizeof *c->injections, read_injection, &c->injections, &c->ninjections);
}

static st_rc load_messages(db *d, conv_row *c)
{
    return st_rows(st_prep(d, "SELECT " MSG_COLS " FROM messages WHERE conversation_id = $1"
                              " ORDER BY timestamp, id", ST_T(c->id)),
                   sizeof *c->messages, read_message, &c->messages, &c->nmessages);
}

st_rc conv_list(const char *wid, page pg, conv_row **out, size_t *n, int64_t *total)
{
    db *d = db_thread();
    *out = NULL;
    *n = 0;
    st_rc res = st_rows(st_prep(d, "SELECT " CONV_COLS " FROM conversations c WHERE"
                                   " c.workspace_id = $1 ORDER BY c.updated_at DESC, c.id"
                                   " LIMIT $2 OFFSET $3", ST_T(wid),
                                ST_PAGE(pg)),
                        sizeof **out, read_conv, out, n);
    for (size_t i = 0; i < *n && res == ST_OK; i++)
        res = load_injections(d, &(*out)[i]);
    if (res == ST_OK)
        res = st_total("SELECT COUNT(*) FROM conversations WHERE workspace_id = $1", wid, pg, *n,
                       total);
    if (res != ST_OK)
        ST_DROP_ROWS(conv_rows_free, out, n);
    return res;
}

static st_rc get_on(db *d, const char *cid, bool full, conv_row *out)
{
    st_rc res = st_one(st_prep(d, "SELECT " CONV_COLS " FROM conversations c WHERE c.id = $1",
                               ST_T(cid)), read_conv, out);
    if (res != ST_OK || !full)
        return res;
    res = load_messages(d, out);
    if (res == ST_OK)
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

/* The workspace's conversation counters (embedded and service stats) and
 * its conversations' change stamp: every conversation change passes here. */
static st_rc count_conversations(db *d, const char *wid, int delta, int active_delta)
{
    return st_run(d, "UPDATE workspaces SET conversation_count = conversation_count + $2,"
                     " active_conversation_count = active_conversation_count + $3,"
                     " stamp_convs = stamp_convs + 1 WHERE id = $1",
                  ST_T(wid), ST_I(delta), ST_I(active_delta));
}

st_rc conv_lock_on(db *d, const char *cid)
{
    return st_change(d, "UPDATE conversations SET status = status WHERE id = $1", ST_T(cid));
}

static int is_active(const char *status)
{
    return status && strcmp(status, "active") == 0;
}

/* Messages per minute (migration 005), for the last hour's count: a new
 * message at time ts is counted. Minutes older than the hour are pruned
 * as new ones come. */
static st_rc count_message(db *d, const char *wid, int64_t ts)
{
    int64_t minute = ts / MINUTE_US;
    st_rc res = st_run(d, "INSERT INTO message_minutes (workspace_id, minute, n)"
                          " VALUES ($1, $2, 1) ON CONFLICT (workspace_id, minute)"
                          " DO UPDATE SET n = message_minutes.n + 1", ST_T(wid), ST_I(minute));
    if (res == ST_OK)
        res = st_run(d, "DELETE FROM message_minutes WHERE workspace_id = $1 AND minute < $2",
                     ST_T(wid), ST_I(minute - MINUTES_KEPT));
    return res;
}

typedef struct conv_job {
    const char *wid, *cid, *title, *model_id;
} conv_job;

static st_rc create_on(db *d, void *ctx)
{
    const conv_job *j = ctx;
    char msg[1400];     /* titles: 255 characters of up to 4 bytes */
    int64_t now = time_now_us();
    st_rc res = st_run(d, "INSERT INTO conversations (id, workspace_id, title, model_id, status,"
                          " created_at, updated_at) VALUES ($1, $2, $3, $4, 'active', $5, $5)",
                       ST_T(j->cid), ST_T(j->wid), ST_T(j->title), ST_T(j->model_id),
                       ST_I(now));
    if (res == ST_OK)
        res = count_conversations(d, j->wid, 1, 1);
    if (res == ST_OK) {
        snprintf(msg, sizeof msg, "Conversation '%s' started", j->title);
        res = activity_add(d, j->wid, "conversation_created", msg,
                           json_pack("{s:s,s:s,s:s}", "conversationId", j->cid,
                                     "conversationTitle", j->title, "modelId", j->model_id),
                           now);
    }
    return res;
}

st_rc conv_create(const char *wid, const char *title, const char *model_id, conv_row *out)
{
    char id[ID_MAX];
    id_prefixed("conv", id, sizeof id);
    conv_job j = { wid, id, title, model_id };
    st_rc res = st_write(create_on, &j);
    return res == ST_OK ? get_on(db_thread(), id, true, out) : res;
}

/* The conversation as it is now, its row locked (conv_lock_on). */
static st_rc get_locked(db *d, const char *cid, conv_row *c)
{
    st_rc res = conv_lock_on(d, cid);
    return res == ST_OK ? get_on(d, cid, false, c) : res;
}

static st_rc update_on(db *d, void *ctx)
{
    const conv_job *j = ctx;        /* title and status in title, model_id */
    conv_row c;
    st_rc res = get_locked(d, j->cid, &c);
    if (res != ST_OK)
        return res;
    int was = is_active(c.status), now_active = j->model_id ? is_active(j->model_id) : was;
    res = st_run(d, "UPDATE conversations SET title = COALESCE($2, title),"
                    " status = COALESCE($3, status), updated_at = $4 WHERE id = $1",
                 ST_T(j->cid), ST_T(j->title), ST_T(j->model_id), ST_I(time_now_us()));
    if (res == ST_OK)
        res = count_conversations(d, c.workspace_id, 0, now_active - was);
    conv_row_free(&c);
    return res;
}

st_rc conv_update(const char *cid, const char *title, const char *status, conv_row *out)
{
    conv_job j = { NULL, cid, title, status };
    st_rc res = st_write(update_on, &j);
    return res == ST_OK ? get_on(db_thread(), cid, true, out) : res;
}

static st_rc delete_on(db *d, void *ctx)
{
    const conv_job *j = ctx;
    conv_row c;
    st_rc res = get_locked(d, j->cid, &c);
    if (res != ST_OK)
        return res;
    /* its messages leave the per-minute counts first */
    res = st_run(d, "UPDATE message_minutes SET n = n - (SELECT COUNT(*) FROM messages m"
                    " WHERE m.conversation_id = $1 AND m.timestamp / " MINUTE_US_SQL
                    " = message_minutes.minute) WHERE workspace_id = $2 AND minute IN"
                    " (SELECT m.timestamp / " MINUTE_US_SQL " FROM messages m"
                    " WHERE m.conversation_id = $1)", ST_T(j->cid), ST_T(c.workspace_id));
    if (res == ST_OK)
        res = st_run(d, "DELETE FROM conversations WHERE id = $1", ST_T(j->cid));
    if (res == ST_OK)
        res = count_conversations(d, c.workspace_id, -1, -is_active(c.status));
    conv_row_free(&c);
    return res;
}

st_rc conv_delete(const char *cid)
{
    conv_job j = { NULL, cid, NULL, NULL };
    return st_write(delete_on, &j);
}

/* Bumps the conversation's updatedAt (messages, pins, deletions), moves
 * its message count by added and its workspace's conversations stamp. */
static st_rc touch(db *d, const char *cid, int64_t now, int added)
{
    st_rc res = st_run(d, "UPDATE conversations SET updated_at = $2,"
                          " message_count = message_count + $3 WHERE id = $1",
                       ST_T(cid), ST_I(now), ST_I(added));
    return res == ST_OK ? stamp_ws_of_conv(d, cid, WS_CONVS) : res;
}

static st_rc get_message(db *d, const char *cid, const char *mid, message_row *out)
{
    return st_one(st_prep(d, "SELECT " MSG_COLS " FROM messages WHERE id = $1"
                             " AND conversation_id = $2", ST_T(mid), ST_T(cid)),
                  read_message, out);
}

st_rc msg_get(const char *cid, const char *mid, message_row *out)
{
    return get_message(db_thread(), cid, mid, out);
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

static st_rc msg_add_on(db *d, void *ctx)
{
    const msg_job *j = ctx;
    const conv_row *c = j->c;
    char id[ID_MAX], msg[1600];     /* title (≤ 1020 bytes) + 50 characters */
    int64_t now = j->now;
    id_prefixed("msg", id, sizeof id);
    st_rc res = st_run(d, "INSERT INTO messages (id, conversation_id, workspace_id, role,"
                          " content, is_pinned, metadata, timestamp)"
                          " VALUES ($1, $2, $3, $4, $5, 0, $6, $7)",
                       ST_T(id), ST_T(c->id), ST_T(c->workspace_id), ST_T(j->role),
                       ST_T(j->content), ST_T(j->metadata ? j->metadata : "{}"), ST_I(now));
    if (res == ST_OK)
        res = touch(d, c->id, now, 1);
    if (res == ST_OK)
        res = count_message(d, c->workspace_id, now);
    if (res == ST_OK) {
        sent_message(c, j->content, msg, sizeof msg);
        res = activity_add(d, c->workspace_id, "message_sent", msg,
                           json_pack("{s:s,s:s,s:s}", "conversationId", c->id, "messageId", id,
                                     "role", j->role), now);
    }
    if (res == ST_OK)
        res = get_message(d, c->id, id, j->out);
    return res;
}

st_rc msg_add(const conv_row *c, const char *role, const char *content, const char *metadata,
              message_row *out)
{
    msg_job j = { c, role, content, metadata, out, time_now_us() };
    memset(out, 0, sizeof *out);
    st_rc res = st_write(msg_add_on, &j);     /* batched with concurrent writes */
    if (res != ST_OK)
        message_row_free(out);
    return res;
}

static st_rc msg_pair_on(db *d, void *ctx)
{
    msg_job *j = ctx;
    st_rc res = msg_add_on(d, &j[0]);
    return res != ST_OK ? res : msg_add_on(d, &j[1]);
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
    st_rc res = st_write(msg_pair_on, j);
    if (res != ST_OK) {
        message_row_free(user);
        message_row_free(reply);
    }
    return res;
}

typedef struct pin_job {
    const char *cid, *mid;
    int pinned;                 /* -1: delete the message */
} pin_job;

/* Pins, unpins or deletes one message and bumps its conversation. */
static st_rc pin_on(db *d, void *ctx)
{
    const pin_job *j = ctx;
    st_rc res = ST_OK;
    if (j->pinned < 0)      /* out of its minute's count first */
        res = st_run(d, "UPDATE message_minutes SET n = n - 1 WHERE (workspace_id, minute) ="
                        " (SELECT m.workspace_id, m.timestamp / " MINUTE_US_SQL
                        " FROM messages m WHERE m.id = $1 AND m.conversation_id = $2)",
                     ST_T(j->mid), ST_T(j->cid));
    if (res == ST_OK)
        res = j->pinned < 0
        ? st_change(d, "DELETE FROM messages WHERE id = $1 AND conversation_id = $2",
                    ST_T(j->mid), ST_T(j->cid))
        : st_change(d, "UPDATE messages SET is_pinned = $3 WHERE id = $1"
                       " AND conversation_id = $2", ST_T(j->mid), ST_T(j->cid), ST_I(j->pinned));
    if (res == ST_OK)
        res = touch(d, j->cid, time_now_us(), j->pinned < 0 ? -1 : 0);
    return res;
}

st_rc msg_set_pinned(const char *cid, const char *mid, bool pinned, message_row *out)
{
    pin_job j = { cid, mid, pinned };
    st_rc res = st_write(pin_on, &j);
    return res == ST_OK ? get_message(db_thread(), cid, mid, out) : res;
}

st_rc msg_delete(const char *cid, const char *mid)
{
    pin_job j = { cid, mid, -1 };
    return st_write(pin_on, &j);
}
