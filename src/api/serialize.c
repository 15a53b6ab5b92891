/* serialize.c — see serialize.h. */
#include "api/serialize.h"

#include "util/isotime.h"

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
    json_t *o = json_object();
    json_object_set_new(o, "id", json_string(u->id));
    json_object_set_new(o, "name", json_string(u->name));
    json_object_set_new(o, "email", json_string(u->email));
    json_object_set_new(o, "avatar", u->avatar ? json_string(u->avatar) : json_null());
    json_object_set_new(o, "createdAt", json_ts(u->created_at));
    return o;
}

json_t *member_json(const member_row *m)
{
    return json_pack("{s:s,s:s,s:s,s:s,s:s,s:o,s:{s:s,s:s,s:s}}",
                     "id", m->id, "userId", m->user_id, "workspaceId", m->workspace_id,
                     "role", m->role, "status", m->status, "joinedAt", json_ts(m->joined_at),
                     "user", "id", m->user_id, "name", m->name, "email", m->email);
}

json_t *workspace_json(const ws_row *w)
{
    json_t *members = json_array();
    for (size_t i = 0; i < w->nmembers; i++)
        json_array_append_new(members, member_json(&w->members[i]));
    int64_t load = w->memories + 5 * w->conversations;
    json_t *stats = json_pack("{s:I,s:I,s:I,s:I,s:o}",
                              "totalMemories", (json_int_t)w->memories,
                              "totalEmbeddings", (json_int_t)w->embeddings,
                              "totalConversations", (json_int_t)w->conversations,
                              "systemLoad", (json_int_t)(load > 100 ? 100 : load),
                              "lastActivity", json_ts(w->last_activity));
    return json_pack("{s:s,s:s,s:o,s:s,s:o,s:o,s:o,s:o}",
                     "id", w->id, "name", w->name,
                     "description", w->description ? json_string(w->description) : json_null(),
                     "ownerId", w->owner_id, "members", members, "stats", stats,
                     "createdAt", json_ts(w->created_at), "updatedAt", json_ts(w->updated_at));
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

json_t *json_from_text(const char *text)
{
    json_t *v = text ? json_loads(text, 0, NULL) : NULL;
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
