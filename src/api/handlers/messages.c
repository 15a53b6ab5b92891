/* messages.c — sending, pinning and deleting messages (API.md §5.5, D3).
 * A send stores the user message first; the reply comes from the provider
 * the conversation's modelId resolves to (§6.2): the echo provider answers
 * at once, the others through the caller's connected integration. */
#include "api/api.h"
#include "api/handlers/chat.h"
#include "api/access.h"
#include "api/shapes/conv_json.h"
#include "api/handlers.h"
#include "api/validate.h"

#include "http/response.h"

#include <stdlib.h>
#include <string.h>


/* Validates the send body; answers 400 and returns -1 when invalid. */
static int read_send(http_req *r, json_t *body, char **content, bool *ai)
{
    json_t *errs = json_object();
    char *role = NULL;
    *ai = true;
    val_decl_str(body, "MessageSend", "content", errs, content);
    val_decl_bool(body, "MessageSend", "getAiResponse", errs, ai);
    val_decl_str(body, "MessageSend", "role", errs, &role);     /* validated, then ignored */
    free(role);
    if (json_object_size(errs)) {
        resp_fields(r, errs);
        return -1;
    }
    json_decref(errs);
    return 0;
}

void h_message_send(http_req *r)
{
    const conv_row *c = &api_scope_of(r)->conv;
    json_t *body = NULL;
    char *content = NULL;
    bool ai = true;
    message_row user = { 0 };
    if (!(body = val_body(r)) || read_send(r, body, &content, &ai) != 0)
        goto out;
    /* Streamed replies are asked for with Accept: text/event-stream; the
     * checks above still answer in the JSON envelope. */
    bool stream = ai && chat_wants_stream(r);
    if (ai && (stream ? chat_stream_echo(r, c, content) : chat_echo_send(r, c, content)))
        goto out;
    st_rc st = msg_add(c, "user", content, "{}", &user);
    if (st != ST_OK) {
        api_store_error(r, st, MSG_CONV_NOT_FOUND);
        goto out;
    }
    if (!ai)
        resp_data(r, 201, json_pack("{s:o}", "userMessage", message_json(&user)));
    else if (stream)
        chat_stream_reply(r, c, &user);
    else
        chat_reply(r, c, &user);
out:
    message_row_free(&user);
    free(content);
    json_decref(body);
}

void h_message_update(http_req *r)
{
    const char *cid = req_param(r, 0);
    json_t *body = NULL, *errs = json_object();
    message_row m;
    bool pinned;
    if (!(body = val_body(r)))
        goto out;
    int has = val_decl_bool(body, "MessageUpdate", "isPinned", errs, &pinned);
    if (has < 0) {
        resp_fields(r, json_incref(errs));
        goto out;
    }
    /* Without isPinned there is nothing to change: answer with the message. */
    st_rc st = has > 0 ? msg_set_pinned(cid, req_param(r, 1), pinned, &m)
                       : msg_get(cid, req_param(r, 1), &m);
    if (st != ST_OK)
        api_store_error(r, st, "Message not found");
    else {
        resp_data(r, 200, message_json(&m));
        message_row_free(&m);
    }
out:
    json_decref(body);
    json_decref(errs);
}

void h_message_delete(http_req *r)
{
    st_rc st = msg_delete(req_param(r, 0), req_param(r, 1));
    api_reply_done(r, st, "Message not found", "Message deleted successfully");
}
