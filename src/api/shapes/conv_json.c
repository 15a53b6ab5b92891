/* conv_json.c — see conv_json.h. */
#include "api/shapes/conv_json.h"

#include "api/shapes/serialize.h"
#include "util/jsonx.h"

json_t *message_json(const message_row *m)
{
    return json_pack("{s:s,s:s,s:s,s:s,s:o,s:b,s:o}", "id", m->id,
                     "conversationId", m->conversation_id, "role", m->role,
                     "content", m->content, "timestamp", json_ts(m->timestamp),
                     "isPinned", m->pinned, "metadata", json_from_text(m->metadata));
}

static json_t *injections_json(const conv_row *c)
{
    json_t *a = json_array();
    for (size_t i = 0; i < c->ninjections; i++)
        a = json_push(a, json_pack("{s:s,s:b}", "id", c->injections[i].memory_id,
                                   "isActive", c->injections[i].active));
    return a;
}

json_t *conversation_json(const conv_row *c)
{
    json_t *msgs = json_array();
    for (size_t i = 0; i < c->nmessages; i++)
        msgs = json_push(msgs, message_json(&c->messages[i]));
    return json_pack("{s:s,s:s,s:s,s:s,s:o,s:o,s:s,s:o,s:o}", "id", c->id,
                     "workspaceId", c->workspace_id, "title", c->title, "modelId", c->model_id,
                     "messages", msgs, "injectedMemories", injections_json(c),
                     "status", c->status, "createdAt", json_ts(c->created_at),
                     "updatedAt", json_ts(c->updated_at));
}

json_t *conversation_item_json(const conv_row *c)
{
    return json_pack("{s:s,s:s,s:s,s:s,s:s,s:I,s:o,s:o,s:o,s:o}", "id", c->id,
                     "workspaceId", c->workspace_id, "title", c->title, "modelId", c->model_id,
                     "status", c->status, "messageCount", (json_int_t)c->message_count,
                     "lastUpdated", json_ts(c->updated_at), "createdAt", json_ts(c->created_at),
                     "updatedAt", json_ts(c->updated_at), "injectedMemories", injections_json(c));
}
