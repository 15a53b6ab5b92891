/* serialize.c — see serialize.h. */
#include "api/shapes/serialize.h"

#include "api/api.h"
#include "http/response.h"
#include "util/isotime.h"
#include "util/jsonx.h"
#include "util/oom.h"

#include <string.h>

json_t *json_ts(int64_t us)
{
    char b[ISOTIME_MAX];
    time_iso_z(us, b);
    return json_string(b);
}

json_t *json_ts_offset(int64_t us)
{
    char b[ISOTIME_MAX];
    time_iso_offset(us, b);
    return json_string(b);
}

json_t *user_json(const user_row *u)
{
    json_t *o = json_put(json_object(), "id", json_string(u->id));
    o = json_put(o, "name", json_string(u->name));
    o = json_put(o, "email", json_string(u->email));
    o = json_put(o, "avatar", u->avatar ? json_string(u->avatar) : json_null());
    return json_put(o, "createdAt", json_ts(u->created_at));
}

void jw_ts(jsonw *w, int64_t us)
{
    char b[ISOTIME_MAX];
    time_iso_z(us, b);
    jw_str(w, b);
}

void write_member(jsonw *w, const member_row *m)
{
    jw_obj(w);
    jw_kstr(w, "id", m->id);
    jw_kstr(w, "userId", m->user_id);
    jw_kstr(w, "workspaceId", m->workspace_id);
    jw_kstr(w, "role", m->role);
    jw_kstr(w, "status", m->status);
    jw_key(w, "joinedAt");
    jw_ts(w, m->joined_at);
    jw_key(w, "user");
    jw_obj(w);
    jw_kstr(w, "id", m->user_id);
    jw_kstr(w, "name", m->name);
    jw_kstr(w, "email", m->email);
    jw_obj_end(w);
    jw_obj_end(w);
}

void write_workspace(jsonw *w, const ws_row *ws)
{
    int64_t load = ws->memories + 5 * ws->conversations;
    jw_obj(w);
    jw_kstr(w, "id", ws->id);
    jw_kstr(w, "name", ws->name);
    jw_kstr(w, "description", ws->description);
    jw_kstr(w, "ownerId", ws->owner_id);
    jw_key(w, "members");
    jw_arr(w);
    for (size_t i = 0; i < ws->nmembers; i++)
        write_member(w, &ws->members[i]);
    jw_arr_end(w);
    jw_key(w, "stats");
    jw_obj(w);
    jw_kint(w, "totalMemories", ws->memories);
    jw_kint(w, "totalEmbeddings", ws->embeddings);
    jw_kint(w, "totalConversations", ws->conversations);
    jw_kint(w, "systemLoad", load > 100 ? 100 : load);
    jw_key(w, "lastActivity");
    jw_ts(w, ws->last_activity);
    jw_obj_end(w);
    jw_key(w, "createdAt");
    jw_ts(w, ws->created_at);
    jw_key(w, "updatedAt");
    jw_ts(w, ws->updated_at);
    jw_obj_end(w);
}

json_t *service_stats_json(const ws_stats *s)
{
    return json_pack("{s:I,s:I,s:I,s:i,s:o}",
                     "totalMemories", (json_int_t)s->memories,
                     "totalEmbeddings", (json_int_t)s->embeddings,
                     "totalConversations", (json_int_t)s->conversations,
                     "systemLoad", s->load, "lastActivity", json_ts(s->last_activity));
}

json_t *invitation_json(const invitation_row *i)
{
    return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:o}",
                     "id", i->id, "workspaceId", i->workspace_id,
                     "workspaceName", i->workspace_name, "inviterName", i->inviter_name,
                     "inviterEmail", i->inviter_email, "status", i->status, "role", i->role,
                     "createdAt", json_ts_offset(i->created_at));
}

const char **json_string_list(const json_t *arr)
{
    size_t n = json_array_size(arr);
    const char **list = calloc(n + 1, sizeof *list);
    for (size_t i = 0; list && i < n; i++)
        list[i] = json_string_value(json_array_get(arr, i));
    return list;
}

json_t *json_from_text(const char *text)
{
    unsigned long oom = oom_failures();
    json_t *v = text ? json_parse(text, strlen(text), 0, NULL) : NULL;
    if (!v && oom_failures() != oom)
        return NULL;        /* not "no metadata": that would be stored back */
    if (!json_is_object(v)) {
        json_decref(v);
        v = json_object();
    }
    return v;
}

json_t *activity_json(const activity_row *a)
{
    return json_pack("{s:s,s:s,s:s,s:o,s:o}", "id", a->id, "type", a->type,
                     "message", a->message, "timestamp", json_ts(a->timestamp),
                     "metadata", json_from_text(a->metadata));
}

json_t *settings_json(const user_row *u)
{
    return json_pack("{s:{s:s,s:s},s:{s:b,s:s}}", "profile", "name", u->name, "email", u->email,
                     "memoryRetention", "autoStore", u->auto_store,
                     "retentionPeriod", u->retention);
}

void api_reply_list(http_req *r, st_rc st, const char *key, const void *rows, size_t n,
                    size_t size, api_item_fn item, int64_t total)
{
    if (st != ST_OK) {
        api_store_error(r, st, NULL);
        return;
    }
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++)
        items = json_push(items, item((const char *)rows + i * size));
    resp_data(r, 200, json_pack("{s:o,s:I}", key, items, "total", (json_int_t)total));
}
