/* conversations.c — conversations, memory injection, close and reopen
 * (API.md §5.5, D6). Messages live in messages.c. */
#include "api/access.h"
#include "api/api.h"
#include "api/access.h"
#include "api/shapes/conv_json.h"
#include "api/services/embedding.h"
#include "api/handlers.h"
#include "api/shapes/serialize.h"
#include "api/validate.h"

#include "http/response.h"
#include "util/buf.h"
#include "util/isotime.h"

#include <stdlib.h>
#include <string.h>



static void reply_conv(http_req *r, int status, st_rc st, conv_row *c)
{
    if (st != ST_OK) {
        api_store_error(r, st, MSG_CONV_NOT_FOUND);
        return;
    }
    resp_data(r, status, conversation_json(c));
    conv_row_free(c);
}

static json_t *conv_item(const void *row)
{
    return conversation_item_json(row);
}

void h_conversations_list(http_req *r)
{
    page pg;
    conv_row *rows = NULL;
    size_t n = 0;
    int64_t total = 0;
    if (api_page(r, 0, &pg) != 0)
        return;
    st_rc st = conv_list(req_param(r, 0), pg, &rows, &n, &total);
    api_reply_list(r, st, "conversations", rows, n, sizeof *rows, conv_item, total);
    conv_rows_free(rows, n);
}

void h_conversations_create(http_req *r)
{
    json_t *body = NULL, *errs = json_object();
    char *title = NULL, *model = NULL;
    conv_row c;
    if (!(body = val_body(r)))
        goto out;
    val_decl_str(body, "ConversationCreate", "title", errs, &title);
    val_decl_str(body, "ConversationCreate", "modelId", errs, &model);
    if (val_failed(r, errs))
        goto out;
    reply_conv(r, 201, conv_create(req_param(r, 0), title ? title : "New Conversation", model, &c),
               &c);
out:
    free(title);
    free(model);
    json_decref(body);
    json_decref(errs);
}

void h_conversation_get(http_req *r)
{
    resp_data(r, 200, conversation_json(&api_scope_of(r)->conv));
}

void h_conversation_update(http_req *r)
{
    json_t *body = NULL, *errs = json_object();
    char *title = NULL, *status = NULL;
    conv_row updated;
    if (!(body = val_body(r)))
        goto out;
    val_decl_str(body, "ConversationUpdate", "title", errs, &title);
    val_decl_str(body, "ConversationUpdate", "status", errs, &status);
    if (val_failed(r, errs))
        goto out;
    reply_conv(r, 200, conv_update(req_param(r, 0), title, status, &updated), &updated);
out:
    free(title);
    free(status);
    json_decref(body);
    json_decref(errs);
}

void h_conversation_delete(http_req *r)
{
    st_rc st = conv_delete(req_param(r, 0));
    api_reply_done(r, st, MSG_CONV_NOT_FOUND, "Conversation deleted successfully");
}

void h_conversation_inject(http_req *r)
{
    const conv_row *c = &api_scope_of(r)->conv;
    json_t *body = NULL;
    memory_row m;
    if (!(body = val_body(r)))
        goto out;
    json_t *mid = json_object_get(body, "memoryId");
    if (!json_is_string(mid) || !json_string_length(mid)) {
        resp_error(r, 400, "memoryId required");
        goto out;
    }
    /* The memory must live in the conversation's own workspace. */
    st_rc st = memory_get(json_string_value(mid), &m);
    if (st == ST_OK) {
        if (strcmp(m.workspace_id, c->workspace_id) != 0)
            st = ST_NOT_FOUND;
        memory_row_free(&m);
    }
    if (st == ST_OK)
        st = inject_add(c->id, json_string_value(mid));
    api_reply_done(r, st, "Memory not found", "Memory injected successfully");
out:
    json_decref(body);
}

void h_conversation_uninject(http_req *r)
{
    st_rc st = inject_remove(req_param(r, 0), req_param(r, 1));
    api_reply_done(r, st, "Memory injection not found", "Memory removed successfully");
}

void h_conversation_toggle(http_req *r)
{
    bool active = false;
    st_rc st = inject_toggle(req_param(r, 0), req_param(r, 1), &active);
    if (st != ST_OK)
        api_store_error(r, st, "Memory injection not found");
    else
        resp_data(r, 200, json_pack("{s:s,s:b,s:s}", "memoryId", req_param(r, 1),
                                    "isActive", active,
                                    "message", active ? "Memory activated" : "Memory paused"));
}

void h_conversation_reopen(http_req *r)
{
    conv_row updated;
    st_rc st = conv_update(req_param(r, 0), NULL, "active", &updated);
    if (st != ST_OK) {
        api_store_error(r, st, MSG_CONV_NOT_FOUND);
        return;
    }
    resp_data(r, 200, json_pack("{s:o,s:s}", "conversation", conversation_json(&updated),
                                "message", "Conversation reopened successfully"));
    conv_row_free(&updated);
}
