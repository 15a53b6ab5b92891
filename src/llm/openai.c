/* openai.c — the OpenAI-compatible chat API of API.md §6.3, shared by
 * openai, deepseek and groq: POST {base}/chat/completions with a bearer
 * key; the connection test is GET {base}/models (§6.5). */
#include "llm/common.h"
#include "llm/provider_impl.h"

#include <string.h>

/* Stored roles go upstream as they are. */
static const char *openai_role(const char *stored)
{
    return stored ? stored : "user";
}

static long openai_timeout(llm_provider p)
{
    return p == LLM_GROQ ? LLM_GROQ_TIMEOUT_S : LLM_TIMEOUT_S;
}

int llm_openai_chat(llm_provider p, const char *key, const char *model, const char *system,
                    const llm_message *hist, size_t nhist, const char *user, int stream,
                    net_request *out)
{
    json_t *msgs = llm_turns(system, hist, nhist, user, llm_role_message, openai_role);
    json_t *body = msgs ? json_pack("{s:s, s:o, s:f, s:i}", "model", model, "messages", msgs,
                                    "temperature", LLM_TEMPERATURE, "max_tokens",
                                    LLM_MAX_TOKENS)
                        : NULL;
    if (!body)
        return -1;              /* json_pack's "o" consumed msgs even on failure */
    /* include_usage: the last chunk carries the token counts of the reply */
    if (stream && (json_object_set_new(body, "stream", json_true()) != 0 ||
                   json_object_set_new(body, "stream_options",
                                       json_pack("{s:b}", "include_usage", 1)) != 0)) {
        json_decref(body);
        return -1;
    }
    if (net_req_init(out, llm_base_url(p), "/chat/completions",
                     stream ? LLM_STREAM_TIMEOUT_S : openai_timeout(p)) != 0) {
        json_decref(body);
        return -1;
    }
    if (net_req_header(out, "Authorization: Bearer %s", key) != 0 ||
        net_req_header(out, "Content-Type: application/json") != 0) {
        json_decref(body);
        return -1;
    }
    if (stream)
        out->idle_timeout_s = openai_timeout(p);
    return net_req_json(out, body);
}

void llm_openai_parse(const char *model, long status, const char *body, size_t len,
                      llm_reply *r)
{
    json_t *root = llm_reply_root(status, body, len, r);
    if (root) {
        json_t *choice = json_array_get(json_object_get(root, "choices"), 0);
        const char *text =
            llm_json_str(json_object_get(json_object_get(choice, "message"), "content"));
        const char *used = llm_json_str(json_object_get(root, "model"));
        long tokens = llm_json_long(json_object_get(json_object_get(root, "usage"),
                                                    "total_tokens"));
        if (text)
            llm_reply_set_text(r, text, tokens, used ? used : model);
        else
            llm_reply_set_error(r, "Unexpected provider response: no choices[0].message.content");
    }
    json_decref(root);
}

int llm_openai_test(llm_provider p, const char *key, net_request *out)
{
    if (net_req_init(out, llm_base_url(p), "/models", LLM_TEST_TIMEOUT_S) != 0)
        return -1;
    return net_req_header(out, "Authorization: Bearer %s", key);
}
