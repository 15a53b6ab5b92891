/* anthropic.c — the Anthropic Messages API of API.md §6.3: POST
 * {base}/messages with x-api-key and anthropic-version headers, the system
 * text as "system"; the connection test is a 1-token "test" message (§6.5). */
#include "llm/common.h"
#include "llm/provider_impl.h"

#include <string.h>

#define ANTHROPIC_VERSION    "2023-06-01"
#define ANTHROPIC_TEST_MODEL "claude-3-haiku-20240307"

/* The system text travels in its own field: history "system" turns are left
 * out. */
static const char *anthropic_role(const char *stored)
{
    return stored && strcmp(stored, "system") == 0 ? NULL : stored ? stored : "user";
}

static int anthropic_request(const char *key, json_t *body, long timeout_s, net_request *out)
{
    if (!body)
        return -1;
    if (net_req_init(out, llm_base_url(LLM_ANTHROPIC), "/messages", timeout_s) != 0 ||
        net_req_header(out, "x-api-key: %s", key) != 0 ||
        net_req_header(out, "anthropic-version: " ANTHROPIC_VERSION) != 0 ||
        net_req_header(out, "content-type: application/json") != 0) {
        json_decref(body);
        return -1;
    }
    return net_req_json(out, body);
}

int llm_anthropic_chat(const char *key, const char *model, const char *system,
                       const llm_message *hist, size_t nhist, const char *user, int stream,
                       net_request *out)
{
    json_t *msgs = llm_turns(NULL, hist, nhist, user, llm_role_message, anthropic_role);
    json_t *body = msgs ? json_pack("{s:s, s:o, s:i, s:f}", "model", model, "messages", msgs,
                                    "max_tokens", LLM_MAX_TOKENS, "temperature",
                                    LLM_TEMPERATURE)
                        : NULL;
    if (body && ((system && json_object_set_new(body, "system", json_string(system)) != 0) ||
                 (stream && json_object_set_new(body, "stream", json_true()) != 0))) {
        json_decref(body);
        return -1;
    }
    if (!stream)
        return anthropic_request(key, body, LLM_TIMEOUT_S, out);
    int rc = anthropic_request(key, body, LLM_STREAM_TIMEOUT_S, out);
    if (rc == 0)
        out->idle_timeout_s = LLM_TIMEOUT_S;
    return rc;
}

/* content[0].text; tokens = usage.input_tokens + usage.output_tokens. */
void llm_anthropic_parse(const char *model, long status, const char *body, size_t len,
                         llm_reply *r)
{
    json_t *root = llm_reply_root(status, body, len, r);
    if (root) {
        json_t *usage = json_object_get(root, "usage");
        const char *text =
            llm_json_str(json_object_get(json_array_get(json_object_get(root, "content"), 0),
                                         "text"));
        const char *used = llm_json_str(json_object_get(root, "model"));
        long tokens = llm_json_long(json_object_get(usage, "input_tokens")) +
                      llm_json_long(json_object_get(usage, "output_tokens"));
        if (text)
            llm_reply_set_text(r, text, tokens, used ? used : model);
        else
            llm_reply_set_error(r, "Unexpected provider response: no content[0].text");
    }
    json_decref(root);
}

int llm_anthropic_test(const char *key, net_request *out)
{
    json_t *body = json_pack("{s:s, s:i, s:[{s:s, s:s}]}", "model", ANTHROPIC_TEST_MODEL,
                             "max_tokens", 1, "messages", "role", "user", "content", "test");
    return anthropic_request(key, body, LLM_TEST_TIMEOUT_S, out);
}
