/* export.c — GET /api/export: the user's data as a raw JSON attachment
 * (API.md §9), streamed. The document is produced one workspace at a time
 * as the client reads it, so memory holds one workspace's part, never the
 * whole document. Indented by two spaces like the original. */
#include "api/api.h"
#include "api/handlers.h"
#include "api/shapes/serialize.h"

#include "http/response.h"
#include "store/export.h"
#include "util/buf.h"
#include "util/isotime.h"
#include "util/oom.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct export_state {
    ws_list ws;
    char user_id[40];
    size_t next;            /* next workspace to produce */
    int stage;              /* 0 head, 1 workspaces, 2 tail, 3 done */
    buf out;                /* produced, not yet read */
    size_t sent;            /* bytes of out already handed over */
    int failed;
} export_state;

/* Appends v dumped with 2-space indent, re-indented to depth levels. */
static int put_json(buf *b, json_t *v, int depth)
{
    char *s = json_dumps_whole(v, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(v);
    if (!s)
        return -1;
    int rc = 0;
    /* Raw newlines only separate tokens (strings escape theirs). */
    for (const char *p = s; *p && rc == 0; p++) {
        rc = buf_putc(b, *p);
        for (int i = 0; *p == '\n' && i < depth * 2 && rc == 0; i++)
            rc = buf_putc(b, ' ');
    }
    free(s);
    return rc;
}

/* text, then v (taken, whatever happens: a failed write must not leak it). */
static int put_after(buf *b, const char *text, json_t *v, int depth)
{
    if (buf_puts(b, text) != 0) {
        json_decref(v);
        return -1;
    }
    return put_json(b, v, depth);
}

static json_t *workspace_export(const ws_row *w, const char *user_id)
{
    json_t *convs = NULL, *mems = NULL;
    if (export_conversations(w->id, &convs) != ST_OK || export_memories(w->id, &mems) != ST_OK) {
        json_decref(convs);
        return NULL;
    }
    return json_pack("{s:s,s:s,s:o,s:s,s:b,s:o,s:o,s:o,s:o}", "id", w->id, "name", w->name,
                     "description", w->description ? json_string(w->description) : json_null(),
                     "ownerId", w->owner_id, "isOwner", strcmp(w->owner_id, user_id) == 0,
                     "createdAt", json_ts_offset(w->created_at),
                     "updatedAt", json_ts_offset(w->updated_at),
                     "conversations", convs, "memories", mems);
}

static int produce(export_state *s, const user_row *u)
{
    buf *b = &s->out;
    if (s->stage == 0) {
        s->stage = 1;
        json_t *user = json_pack("{s:s,s:s,s:s,s:o}", "id", u->id, "name", u->name,
                                 "email", u->email, "createdAt", json_ts_offset(u->created_at));
        return put_after(b, "{\n  \"user\": ", user, 1) ||
               put_after(b, ",\n  \"settings\": ", settings_json(u), 1) ||
               buf_puts(b, ",\n  \"workspaces\": [");
    }
    if (s->stage == 1 && s->next < s->ws.n) {
        json_t *w = workspace_export(&s->ws.items[s->next], s->user_id);
        const char *sep = s->next++ ? ",\n    " : "\n    ";
        return !w || put_after(b, sep, w, 2);
    }
    if (s->stage == 1) {
        s->stage = 2;
        json_t *ints = NULL;
        if (export_integrations(s->user_id, &ints) != ST_OK)
            return -1;
        return put_after(b, s->ws.n ? "\n  ],\n  \"integrations\": " : "],\n  \"integrations\": ",
                         ints, 1) || buf_puts(b, "\n}\n");
    }
    s->stage = 3;
    return 0;
}

/* The user row for the header: captured when the export starts. */
typedef struct export_ctx {
    export_state st;
    user_row user;
} export_ctx;

static long export_fill(void *cls, char *dst, size_t max)
{
    export_ctx *c = cls;
    export_state *s = &c->st;
    while (s->sent == s->out.len && s->stage < 3 && !s->failed) {
        buf_reset(&s->out);
        s->sent = 0;
        if (produce(s, &c->user) != 0)
            s->failed = 1;
    }
    if (s->failed)
        return RESP_STREAM_ERROR;
    if (s->sent == s->out.len)
        return RESP_STREAM_END;
    size_t n = s->out.len - s->sent;
    if (n > max)
        n = max;
    memcpy(dst, s->out.p + s->sent, n);
    s->sent += n;
    return (long)n;
}

static void export_free(void *cls)
{
    export_ctx *c = cls;
    ws_list_free(&c->st.ws);
    buf_free(&c->st.out);
    user_row_free(&c->user);
    free(c);
}

static int copy_user(user_row *dst, const user_row *src)
{
    *dst = *src;
    dst->name = strdup(src->name);
    dst->email = strdup(src->email);
    dst->avatar = src->avatar ? strdup(src->avatar) : NULL;
    dst->password = NULL;
    return dst->name && dst->email ? 0 : -1;
}

void h_export(http_req *r)
{
    export_ctx *c = calloc(1, sizeof *c);
    char disp[96], stamp[32];
    if (!c || copy_user(&c->user, &r->user->user) != 0) {
        if (c)
            export_free(c);
        resp_error(r, 500, "Failed to export data");
        return;
    }
    snprintf(c->st.user_id, sizeof c->st.user_id, "%s", r->user->user.id);
    if (ws_list_for_user(c->st.user_id, (page){ 0, 0 }, &c->st.ws) != ST_OK) {
        export_free(c);
        resp_error(r, 500, "Failed to export data");
        return;
    }
    time_t now = (time_t)(time_now_us() / 1000000);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(stamp, sizeof stamp, "%Y%m%d_%H%M%S", &tm);
    snprintf(disp, sizeof disp, "attachment; filename=\"chimera_data_export_%s.json\"", stamp);
    resp_stream(r, 200, export_fill, c, export_free, disp);
}
