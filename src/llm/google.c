/* google.c — the Gemini API of API.md §6.3: POST
 * {base}/v1beta/models/<model>:generateContent?key=<key> (streamed:
 * :streamGenerateContent?alt=sse&key=<key>) with contents
 * (roles user/model), systemInstruction and generationConfig; the
 * connection test is GET {base}/v1beta/models?key=<key> (§6.5). The key
 * travels in the URL: never log it. */
#include "llm/common.h"
#include "llm/provider_impl.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#define GOOGLE_RATE_LIMITED "Rate limit exceeded. Try Groq instead (free)."
#define GOOGLE_NO_ANSWER    "No response generated"

static json_t *google_turn(const char *role, const char *text)
{
    return json_pack("{s:s, s:[{s:s}]}", "role", role, "parts", "text", text ? text : "");
}

/* Gemini knows "user" and "model": history "system" turns are left out
 * (the system text is its systemInstruction), other roles become "model". */
static const char *google_role(const char *stored)
{
    if (!stored || strcmp(stored, "user") == 0)
        return "user";
    return strcmp(stored, "system") == 0 ? NULL : "model";
}

static json_t *google_body(const char *system, const llm_message *hist, size_t nhist,
                           const char *user)
{
    json_t *contents = llm_turns(NULL, hist, nhist, user, google_turn, google_role);
    json_t *body = contents ? json_pack("{s:o, s:{s:f, s:i}}", "contents", contents,
                                        "generationConfig", "temperature", LLM_TEMPERATURE,
                                        "maxOutputTokens", LLM_MAX_TOKENS)
                            : NULL;
    if (body && system &&
        json_object_set_new(body, "systemInstruction",
                            json_pack("{s:[{s:s}]}", "parts", "text", system)) != 0) {
        json_decref(body);
        return NULL;
    }
    return body;
}

int llm_google_chat(const char *key, const char *model, const char *system,
                    const llm_message *hist, size_t nhist, const char *user, int stream,
                    net_request *out)
{
    json_t *body = google_body(system, hist, nhist, user);
    if (!body)
        return -1;
    if (net_req_init(out, llm_base_url(LLM_GOOGLE), "/v1beta/models/",
                     stream ? LLM_STREAM_TIMEOUT_S : LLM_TIMEOUT_S) != 0 ||
        net_req_url_add(out, model, 1) != 0 ||
        net_req_url_add(out, stream ? ":streamGenerateContent?alt=sse&key="
                                    : ":generateContent?key=", 0) != 0 ||
        net_req_url_add(out, key, 1) != 0 ||
        net_req_header(out, "Content-Type: application/json") != 0) {
        json_decref(body);
        return -1;
    }
    if (stream)
        out->idle_timeout_s = LLM_TIMEOUT_S;
    return net_req_json(out, body);
}

/* A whole word of text equals word (case-insensitive): "RATE_LIMIT" mentions
 * "limit", "generateContent" does not mention "rate". */
static int google_mentions(const char *text, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = text; p && *p; p++) {
        if (strncasecmp(p, word, n) != 0)
            continue;
        if ((p == text || !isalpha((unsigned char)p[-1])) && !isalpha((unsigned char)p[n]))
            return 1;
    }
    return 0;
}

static int google_rate_limited(long status, const char *error)
{
    static const char *const words[] = { "quota", "rate", "limit", "exceeded" };
    if (status == 429)
        return 1;
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (google_mentions(error, words[i]))
            return 1;
    return 0;
}

/* candidates[0].content.parts[0].text; tokens 0; model = the requested one. */
void llm_google_parse(const char *model, long status, const char *body, size_t len,
                      llm_reply *r)
{
    json_t *root = llm_reply_root(status, body, len, r);
    if (!root && (status < 200 || status > 299) && google_rate_limited(status, r->error)) {
        llm_reply_set_error(r, GOOGLE_RATE_LIMITED);
    } else if (root) {
        json_t *cand = json_array_get(json_object_get(root, "candidates"), 0);
        json_t *part = json_array_get(json_object_get(json_object_get(cand, "content"),
                                                      "parts"), 0);
        const char *text = llm_json_str(json_object_get(part, "text"));
        if (text)
            llm_reply_set_text(r, text, 0, model);
        else
            llm_reply_set_error(r, GOOGLE_NO_ANSWER);
    }
    json_decref(root);
}

int llm_google_test(const char *key, net_request *out)
{
    if (net_req_init(out, llm_base_url(LLM_GOOGLE), "/v1beta/models?key=",
                     LLM_TEST_TIMEOUT_S) != 0)
        return -1;
    return net_req_url_add(out, key, 1);
}
