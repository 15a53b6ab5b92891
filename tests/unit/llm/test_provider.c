/* test_provider.c — unit tests for src/llm/{catalog,provider,openai,
 * anthropic,google,echo}.c: the §6.2 routing table, the exact requests of
 * §6.3 (bodies parsed back with jansson, headers, URLs with default and
 * custom base URLs), reply parsing (good, malformed, missing fields, error
 * bodies, rate limits), echo (§6.4) and the connection-test table (§6.5). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <jansson.h>

#include "llm/provider.h"
#include "llm/common.h"
#include "llm/provider_impl.h"

static const llm_message HISTORY[] = {
    { "user", "first question" },
    { "assistant", "first answer" },
    { "system", "a stored system note" },
    { "user", "second question" },
};
#define NHISTORY (sizeof HISTORY / sizeof HISTORY[0])

static int reset_bases(void **state)
{
    (void)state;
    for (int p = LLM_OPENAI; p <= LLM_ECHO; p++)
        llm_set_base_url((llm_provider)p, NULL);
    return 0;
}

/* The value of header name in r (exact "Name: value" form), or NULL. */
static const char *header(const net_request *r, const char *name)
{
    size_t n = strlen(name);
    for (char **h = r->headers; h && *h; h++)
        if (strncmp(*h, name, n) == 0 && (*h)[n] == ':' && (*h)[n + 1] == ' ')
            return *h + n + 2;
    return NULL;
}

static size_t header_count(const net_request *r)
{
    size_t n = 0;
    while (r->headers && r->headers[n])
        n++;
    return n;
}

static json_t *body_json(const net_request *r)
{
    json_error_t err;
    assert_non_null(r->body);
    json_t *v = json_loads(r->body, 0, &err);
    if (!v)
        fail_msg("request body is not JSON: %s (%s)", err.text, r->body);
    return v;
}

static void expect_msg(const json_t *arr, size_t i, const char *role, const char *content)
{
    json_t *m = json_array_get(arr, i);
    assert_non_null(m);
    assert_int_equal(json_object_size(m), 2);
    assert_string_equal(json_string_value(json_object_get(m, "role")), role);
    assert_string_equal(json_string_value(json_object_get(m, "content")), content);
}

static void expect_real(const json_t *v, double want)
{
    assert_true(json_is_real(v));
    assert_true(json_real_value(v) > want - 1e-9 && json_real_value(v) < want + 1e-9);
}

/* ---- routing (§6.2) ------------------------------------------------------ */

static void expect_route(const char *model_id, llm_provider want, const char *want_name,
                         const char *want_upstream)
{
    char name[64], up[64];
    llm_provider p = llm_resolve(model_id, name, sizeof name, up, sizeof up);
    if (p != want)
        fail_msg("%s: provider %s, want %s", model_id, llm_provider_name(p),
                 llm_provider_name(want));
    assert_string_equal(name, want_name);
    assert_string_equal(up, want_upstream);
}

static void test_route_examples(void **state)
{
    (void)state;
    expect_route("model-gpt-4o", LLM_OPENAI, "gpt-4o", "gpt-4o");
    expect_route("model-gpt4o", LLM_ECHO, "gpt4o", "gpt4o");
    expect_route("model-claude-3.5-sonnet", LLM_ANTHROPIC, "claude-3.5-sonnet",
                 "claude-3-5-sonnet-20241022");
    expect_route("claude-3-opus", LLM_ANTHROPIC, "claude-3-opus", "claude-3-opus-20240229");
    expect_route("claude-3-sonnet", LLM_ANTHROPIC, "claude-3-sonnet", "claude-3-sonnet-20240229");
    expect_route("claude-3-haiku", LLM_ANTHROPIC, "claude-3-haiku", "claude-3-haiku-20240307");
    expect_route("model-gemini-1.5-pro", LLM_GOOGLE, "gemini-1.5-pro", "gemini-1.5-pro-latest");
    expect_route("gemini-1.5-flash", LLM_GOOGLE, "gemini-1.5-flash", "gemini-1.5-flash-latest");
    expect_route("gemini-2.0-flash", LLM_GOOGLE, "gemini-2.0-flash", "gemini-2.0-flash");
    expect_route("gemini-2.0-flash-exp", LLM_GOOGLE, "gemini-2.0-flash-exp", "gemini-2.0-flash-exp");
    expect_route("model-deepseek-coder", LLM_DEEPSEEK, "deepseek-coder", "deepseek-coder");
    expect_route("model-llama-3.3-70b-versatile", LLM_GROQ, "llama-3.3-70b-versatile",
                 "llama-3.3-70b-versatile");
    expect_route("gemma2-9b-it", LLM_GROQ, "gemma2-9b-it", "gemma2-9b-it");
    expect_route("model-echo", LLM_ECHO, "echo", "echo");
    /* FE's unsent dialog choices are not in the table */
    expect_route("model-gemini-pro", LLM_ECHO, "gemini-pro", "gemini-pro");
    expect_route("model-llama-3-70b", LLM_ECHO, "llama-3-70b", "llama-3-70b");
    expect_route("model-mixtral-8x7b", LLM_ECHO, "mixtral-8x7b", "mixtral-8x7b");
}

static void test_route_case_and_strip(void **state)
{
    (void)state;
    /* case-insensitive match; the upstream gets the canonical spelling */
    expect_route("model-GPT-4o", LLM_OPENAI, "GPT-4o", "gpt-4o");
    expect_route("Claude-3.5-Sonnet", LLM_ANTHROPIC, "Claude-3.5-Sonnet",
                 "claude-3-5-sonnet-20241022");
    /* every "model-" goes, in one pass like Python's str.replace */
    expect_route("model-model-x", LLM_ECHO, "x", "x");
    expect_route("model-model-gpt-4", LLM_OPENAI, "gpt-4", "gpt-4");
    expect_route("gpt-4model-", LLM_OPENAI, "gpt-4", "gpt-4");
    expect_route("gpt-4-model-", LLM_ECHO, "gpt-4-", "gpt-4-");
    expect_route("modmodel-el-x", LLM_ECHO, "model-x", "model-x");
    /* the strip itself is case-sensitive */
    expect_route("Model-gpt-4o", LLM_ECHO, "Model-gpt-4o", "Model-gpt-4o");
    expect_route("", LLM_ECHO, "", "");
    expect_route(NULL, LLM_ECHO, "", "");
    expect_route("model-", LLM_ECHO, "", "");
}

static void test_route_truncates(void **state)
{
    char name[4], up[6];
    (void)state;
    assert_int_equal(llm_resolve("model-claude-3-opus", name, sizeof name, up, sizeof up),
                     LLM_ANTHROPIC);
    assert_string_equal(name, "cla");
    assert_string_equal(up, "claud");
    assert_int_equal(llm_resolve("model-gpt-4", NULL, 0, NULL, 0), LLM_OPENAI);
}

static void test_upstream_names(void **state)
{
    char up[64];
    (void)state;
    llm_upstream_name(LLM_GOOGLE, "gemini-ultra", up, sizeof up);
    assert_string_equal(up, "gemini-2.0-flash");
    llm_upstream_name(LLM_GOOGLE, "gemini-1.5-pro", up, sizeof up);
    assert_string_equal(up, "gemini-1.5-pro-latest");
    llm_upstream_name(LLM_ANTHROPIC, "claude-2", up, sizeof up);
    assert_string_equal(up, "claude-2");
    llm_upstream_name(LLM_OPENAI, "gpt-5", up, sizeof up);
    assert_string_equal(up, "gpt-5");
}

static void test_provider_names(void **state)
{
    static const char *const names[] = { "openai", "anthropic", "google", "deepseek", "groq" };
    llm_provider p;
    (void)state;
    for (int i = 0; i < 5; i++) {
        assert_int_equal(llm_provider_parse(names[i], &p), 0);
        assert_int_equal(p, i);
        assert_string_equal(llm_provider_name(p), names[i]);
    }
    assert_string_equal(llm_provider_name(LLM_ECHO), "echo");
    assert_int_equal(llm_provider_parse("echo", &p), -1);
    assert_int_equal(llm_provider_parse("OpenAI", &p), -1);
    assert_int_equal(llm_provider_parse("", &p), -1);
    assert_int_equal(llm_provider_parse(NULL, &p), -1);
}

/* ---- requests (§6.3) ----------------------------------------------------- */

static void expect_openai_request(llm_provider p, const char *url, long timeout)
{
    net_request r;
    assert_int_equal(llm_chat_request(p, "sk-test-123", "the-model", "SYS", HISTORY, NHISTORY,
                                      "new question", &r), 0);
    assert_string_equal(r.url, url);
    assert_int_equal(r.timeout_s, timeout);
    assert_int_equal(header_count(&r), 2);
    assert_string_equal(header(&r, "Authorization"), "Bearer sk-test-123");
    assert_string_equal(header(&r, "Content-Type"), "application/json");
    json_t *b = body_json(&r);
    assert_int_equal(json_object_size(b), 4);
    assert_string_equal(json_string_value(json_object_get(b, "model")), "the-model");
    expect_real(json_object_get(b, "temperature"), 0.7);
    assert_int_equal(json_integer_value(json_object_get(b, "max_tokens")), 2000);
    json_t *m = json_object_get(b, "messages");
    assert_int_equal(json_array_size(m), 6);
    expect_msg(m, 0, "system", "SYS");
    expect_msg(m, 1, "user", "first question");
    expect_msg(m, 2, "assistant", "first answer");
    expect_msg(m, 3, "system", "a stored system note");
    expect_msg(m, 4, "user", "second question");
    expect_msg(m, 5, "user", "new question");
    json_decref(b);
    net_request_free(&r);
}

static void test_openai_requests(void **state)
{
    (void)state;
    expect_openai_request(LLM_OPENAI, "https://api.openai.com/v1/chat/completions", 60);
    expect_openai_request(LLM_DEEPSEEK, "https://api.deepseek.com/chat/completions", 60);
    expect_openai_request(LLM_GROQ, "https://api.groq.com/openai/v1/chat/completions", 30);
}

static void test_custom_base_urls(void **state)
{
    net_request r;
    (void)state;
    llm_set_base_url(LLM_OPENAI, "http://127.0.0.1:9/v1/");
    llm_set_base_url(LLM_DEEPSEEK, "http://127.0.0.1:9");
    llm_set_base_url(LLM_GROQ, "http://127.0.0.1:9/openai/v1");
    llm_set_base_url(LLM_ANTHROPIC, "http://localhost:11434/v1//");
    llm_set_base_url(LLM_GOOGLE, "http://127.0.0.1:9");
    assert_string_equal(llm_base_url(LLM_OPENAI), "http://127.0.0.1:9/v1");
    expect_openai_request(LLM_OPENAI, "http://127.0.0.1:9/v1/chat/completions", 60);
    expect_openai_request(LLM_DEEPSEEK, "http://127.0.0.1:9/chat/completions", 60);
    expect_openai_request(LLM_GROQ, "http://127.0.0.1:9/openai/v1/chat/completions", 30);
    assert_int_equal(llm_chat_request(LLM_ANTHROPIC, "k-123", "m", "s", NULL, 0, "u", &r), 0);
    assert_string_equal(r.url, "http://localhost:11434/v1/messages");
    net_request_free(&r);
    assert_int_equal(llm_chat_request(LLM_GOOGLE, "k-123", "gemini-2.0-flash", "s", NULL, 0,
                                      "u", &r), 0);
    assert_string_equal(r.url, "http://127.0.0.1:9/v1beta/models/gemini-2.0-flash"
                               ":generateContent?key=k-123");
    net_request_free(&r);
    assert_int_equal(llm_test_request(LLM_GOOGLE, "k-123", &r), 0);
    assert_string_equal(r.url, "http://127.0.0.1:9/v1beta/models?key=k-123");
    net_request_free(&r);
    llm_set_base_url(LLM_OPENAI, "");               /* back to the default */
    assert_string_equal(llm_base_url(LLM_OPENAI), "https://api.openai.com/v1");
}

static void test_anthropic_request(void **state)
{
    net_request r;
    (void)state;
    assert_int_equal(llm_chat_request(LLM_ANTHROPIC, "sk-ant-1", "claude-3-5-sonnet-20241022",
                                      "SYS", HISTORY, NHISTORY, "new question", &r), 0);
    assert_string_equal(r.url, "https://api.anthropic.com/v1/messages");
    assert_int_equal(r.timeout_s, 60);
    assert_int_equal(header_count(&r), 3);
    assert_string_equal(header(&r, "x-api-key"), "sk-ant-1");
    assert_string_equal(header(&r, "anthropic-version"), "2023-06-01");
    assert_string_equal(header(&r, "content-type"), "application/json");
    assert_null(header(&r, "Authorization"));
    json_t *b = body_json(&r);
    assert_int_equal(json_object_size(b), 5);
    assert_string_equal(json_string_value(json_object_get(b, "model")),
                        "claude-3-5-sonnet-20241022");
    assert_string_equal(json_string_value(json_object_get(b, "system")), "SYS");
    assert_int_equal(json_integer_value(json_object_get(b, "max_tokens")), 2000);
    expect_real(json_object_get(b, "temperature"), 0.7);
    json_t *m = json_object_get(b, "messages");
    assert_int_equal(json_array_size(m), 4);          /* no system turn */
    expect_msg(m, 0, "user", "first question");
    expect_msg(m, 1, "assistant", "first answer");
    expect_msg(m, 2, "user", "second question");
    expect_msg(m, 3, "user", "new question");
    json_decref(b);
    net_request_free(&r);
}

/* A history turn without a role is the user's, and without a system text
 * neither body carries one. */
static void test_requests_without_role_or_system(void **state)
{
    (void)state;
    static const llm_message hist[] = { { NULL, "roleless" }, { "assistant", "a" } };
    net_request r;
    assert_int_equal(llm_chat_request(LLM_ANTHROPIC, "k-1", "m", NULL, hist, 2, "u", &r), 0);
    json_t *b = body_json(&r);
    assert_null(json_object_get(b, "system"));
    json_t *msgs = json_object_get(b, "messages");
    assert_int_equal(json_array_size(msgs), 3);
    expect_msg(msgs, 0, "user", "roleless");
    expect_msg(msgs, 2, "user", "u");
    json_decref(b);
    net_request_free(&r);
    assert_int_equal(llm_chat_request(LLM_GOOGLE, "k-1", "gemini-2.0-flash", NULL, hist, 2, "u",
                                      &r), 0);
    b = body_json(&r);
    assert_null(json_object_get(b, "systemInstruction"));
    json_t *c = json_object_get(b, "contents");
    assert_int_equal(json_array_size(c), 3);
    json_t *first = json_array_get(c, 0);
    assert_string_equal(json_string_value(json_object_get(first, "role")), "user");
    assert_string_equal(json_string_value(json_object_get(
        json_array_get(json_object_get(first, "parts"), 0), "text")), "roleless");
    assert_string_equal(json_string_value(json_object_get(json_array_get(c, 1), "role")),
                        "model");
    json_decref(b);
    net_request_free(&r);
}

static void test_google_request(void **state)
{
    net_request r;
    (void)state;
    assert_int_equal(llm_chat_request(LLM_GOOGLE, "AIza key/&=", "gemini-1.5-pro-latest", "SYS",
                                      HISTORY, NHISTORY, "new question", &r), 0);
    assert_string_equal(r.url, "https://generativelanguage.googleapis.com/v1beta/models/"
                               "gemini-1.5-pro-latest:generateContent?key=AIza%20key%2F%26%3D");
    assert_int_equal(r.timeout_s, 60);
    assert_int_equal(header_count(&r), 1);
    assert_string_equal(header(&r, "Content-Type"), "application/json");
    json_t *b = body_json(&r);
    assert_int_equal(json_object_size(b), 3);
    json_t *sys = json_object_get(b, "systemInstruction");
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(json_object_get(sys, "parts"), 0), "text")), "SYS");
    json_t *gc = json_object_get(b, "generationConfig");
    assert_int_equal(json_object_size(gc), 2);
    expect_real(json_object_get(gc, "temperature"), 0.7);
    assert_int_equal(json_integer_value(json_object_get(gc, "maxOutputTokens")), 2000);
    json_t *c = json_object_get(b, "contents");
    static const char *const roles[] = { "user", "model", "user", "user" };
    static const char *const texts[] = { "first question", "first answer", "second question",
                                         "new question" };
    assert_int_equal(json_array_size(c), 4);
    for (size_t i = 0; i < 4; i++) {
        json_t *turn = json_array_get(c, i);
        json_t *parts = json_object_get(turn, "parts");
        assert_string_equal(json_string_value(json_object_get(turn, "role")), roles[i]);
        assert_int_equal(json_array_size(parts), 1);
        assert_string_equal(json_string_value(json_object_get(json_array_get(parts, 0), "text")),
                            texts[i]);
    }
    json_decref(b);
    net_request_free(&r);
}

static void test_request_edge_cases(void **state)
{
    net_request r;
    (void)state;
    /* no history, unicode and quotes survive the JSON round trip */
    assert_int_equal(llm_chat_request(LLM_OPENAI, "k-1", "gpt-4o", "S", NULL, 0,
                                      "h\xC3\xA9llo \"q\"\n", &r), 0);
    json_t *b = body_json(&r);
    json_t *m = json_object_get(b, "messages");
    assert_int_equal(json_array_size(m), 2);
    expect_msg(m, 1, "user", "h\xC3\xA9llo \"q\"\n");
    json_decref(b);
    net_request_free(&r);
    net_request_free(&r);                           /* idempotent */
    /* keys that would smuggle a header, empty keys, echo */
    assert_int_equal(llm_chat_request(LLM_OPENAI, "k\r\nX-Evil: 1", "gpt-4o", "S", NULL, 0,
                                      "u", &r), -1);
    assert_null(r.url);
    assert_int_equal(llm_chat_request(LLM_ANTHROPIC, "", "m", "S", NULL, 0, "u", &r), -1);
    assert_int_equal(llm_chat_request(LLM_GOOGLE, NULL, "m", "S", NULL, 0, "u", &r), -1);
    assert_int_equal(llm_chat_request(LLM_ECHO, "k-1", "echo", "S", NULL, 0, "u", &r), -1);
    assert_int_equal(llm_test_request(LLM_ECHO, "k-1", &r), -1);
    assert_int_equal(llm_test_request(LLM_OPENAI, "k\n", &r), -1);
    /* no system text: no system message / field */
    assert_int_equal(llm_chat_request(LLM_ANTHROPIC, "k-1", "m", NULL, NULL, 0, "u", &r), 0);
    b = body_json(&r);
    assert_null(json_object_get(b, "system"));
    json_decref(b);
    net_request_free(&r);
}

/* ---- replies ------------------------------------------------------------- */

static void parse(llm_provider p, long status, const char *body, llm_reply *out)
{
    llm_chat_parse(p, "requested-model", status, body, body ? strlen(body) : 0, out);
}

static void expect_error(llm_provider p, long status, const char *body, const char *want,
                         int rate_limited)
{
    llm_reply r;
    parse(p, status, body, &r);
    assert_null(r.text);
    assert_non_null(r.error);
    assert_string_equal(r.error, want);
    assert_int_equal(r.rate_limited, rate_limited);
    llm_reply_free(&r);
}

static void test_openai_parse(void **state)
{
    llm_reply r;
    (void)state;
    parse(LLM_OPENAI, 200,
          "{\"model\":\"gpt-4o-2024-08-06\",\"choices\":[{\"message\":{\"role\":\"assistant\","
          "\"content\":\"Hi there\"}}],\"usage\":{\"total_tokens\":42}}", &r);
    assert_string_equal(r.text, "Hi there");
    assert_int_equal(r.tokens, 42);
    assert_string_equal(r.model, "gpt-4o-2024-08-06");
    assert_null(r.error);
    llm_reply_free(&r);
    /* no usage, no model: 0 tokens, the requested model */
    parse(LLM_GROQ, 200, "{\"choices\":[{\"message\":{\"content\":\"\"}}]}", &r);
    assert_string_equal(r.text, "");
    assert_int_equal(r.tokens, 0);
    assert_string_equal(r.model, "requested-model");
    llm_reply_free(&r);
    expect_error(LLM_OPENAI, 200, "not json", "Invalid JSON in provider response", 0);
    expect_error(LLM_OPENAI, 200, "[1,2]", "Invalid JSON in provider response", 0);
    expect_error(LLM_OPENAI, 200, NULL, "Invalid JSON in provider response", 0);
    expect_error(LLM_OPENAI, 200, "{\"choices\":[]}",
                 "Unexpected provider response: no choices[0].message.content", 0);
    expect_error(LLM_DEEPSEEK, 200, "{\"choices\":[{\"message\":{\"content\":null}}]}",
                 "Unexpected provider response: no choices[0].message.content", 0);
}

static void test_http_errors(void **state)
{
    char big[600], want[201];
    (void)state;
    expect_error(LLM_OPENAI, 500, "{\"error\":{\"message\":\"boom\"}}", "boom", 0);
    expect_error(LLM_OPENAI, 401, "{\"error\":\"plain string\"}", "plain string", 0);
    expect_error(LLM_OPENAI, 429, "{\"error\":{\"message\":\"slow down\"}}", "slow down", 1);
    expect_error(LLM_GROQ, 400, "{\"error\":{\"message\":\"Rate Limit reached for model\"}}",
                 "Rate Limit reached for model", 1);
    expect_error(LLM_DEEPSEEK, 503, "{\"error\":{\"message\":\"upstream said 429\"}}",
                 "upstream said 429", 1);
    expect_error(LLM_OPENAI, 503, "", "API returned status 503", 0);
    expect_error(LLM_OPENAI, 502, "<html>Bad gateway</html>", "<html>Bad gateway</html>", 0);
    /* the first 200 characters of a non-JSON body */
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    memset(want, 'x', 200);
    want[200] = '\0';
    expect_error(LLM_OPENAI, 500, big, want, 0);
    /* characters, not bytes: 199 ASCII + é (2 bytes) + more */
    memset(big, 'y', 199);
    memcpy(big + 199, "\xC3\xA9zzz", 6);
    llm_reply r;
    parse(LLM_OPENAI, 500, big, &r);
    assert_int_equal(strlen(r.error), 201);
    assert_memory_equal(r.error + 199, "\xC3\xA9", 2);
    llm_reply_free(&r);
    /* anthropic's error shape */
    expect_error(LLM_ANTHROPIC, 401,
                 "{\"type\":\"error\",\"error\":{\"type\":\"authentication_error\","
                 "\"message\":\"invalid x-api-key\"}}", "invalid x-api-key", 0);
    expect_error(LLM_ANTHROPIC, 429, "{\"error\":{\"message\":\"Rate limit reached\"}}",
                 "Rate limit reached", 1);
}

static void test_anthropic_parse(void **state)
{
    llm_reply r;
    (void)state;
    parse(LLM_ANTHROPIC, 200,
          "{\"model\":\"claude-3-5-sonnet-20241022\",\"content\":[{\"type\":\"text\","
          "\"text\":\"Bonjour\"}],\"usage\":{\"input_tokens\":12,\"output_tokens\":5}}", &r);
    assert_string_equal(r.text, "Bonjour");
    assert_int_equal(r.tokens, 17);
    assert_string_equal(r.model, "claude-3-5-sonnet-20241022");
    llm_reply_free(&r);
    expect_error(LLM_ANTHROPIC, 200, "{\"content\":[]}",
                 "Unexpected provider response: no content[0].text", 0);
    expect_error(LLM_ANTHROPIC, 200, "{", "Invalid JSON in provider response", 0);
}

static void test_google_parse(void **state)
{
    llm_reply r;
    (void)state;
    parse(LLM_GOOGLE, 200,
          "{\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":[{\"text\":\"Hola\"}]}}],"
          "\"usageMetadata\":{\"totalTokenCount\":9},\"modelVersion\":\"other\"}", &r);
    assert_string_equal(r.text, "Hola");
    assert_int_equal(r.tokens, 0);
    assert_string_equal(r.model, "requested-model");
    llm_reply_free(&r);
    expect_error(LLM_GOOGLE, 200, "{\"candidates\":[]}", "No response generated", 0);
    expect_error(LLM_GOOGLE, 200, "{}", "No response generated", 0);
    expect_error(LLM_GOOGLE, 200, "{\"candidates\":[{\"finishReason\":\"SAFETY\"}]}",
                 "No response generated", 0);
    static const char *const limited = "Rate limit exceeded. Try Groq instead (free).";
    expect_error(LLM_GOOGLE, 429, "{\"error\":{\"message\":\"whatever\"}}", limited, 1);
    expect_error(LLM_GOOGLE, 403,
                 "{\"error\":{\"message\":\"Quota exceeded for quota metric\"}}", limited, 1);
    expect_error(LLM_GOOGLE, 400, "{\"error\":{\"status\":\"RATE_LIMIT_EXCEEDED\","
                 "\"message\":\"RATE_LIMIT_EXCEEDED\"}}", limited, 1);
    expect_error(LLM_GOOGLE, 400,
                 "{\"error\":{\"message\":\"Resource exhausted (check your quota).\"}}",
                 limited, 1);
    expect_error(LLM_GOOGLE, 200, "{", "Invalid JSON in provider response", 0);
    /* "Limits" and "Rated" are other words than "limit" and "rate" */
    expect_error(LLM_GOOGLE, 400,
                 "{\"error\":{\"message\":\"Limits of this model: the prompt is too long\"}}",
                 "Limits of this model: the prompt is too long", 0);
    expect_error(LLM_GOOGLE, 400, "{\"error\":{\"message\":\"Rated content blocked\"}}",
                 "Rated content blocked", 0);
    /* "generateContent" mentions no "rate" */
    expect_error(LLM_GOOGLE, 404,
                 "{\"error\":{\"message\":\"models/x is not supported for generateContent\"}}",
                 "models/x is not supported for generateContent", 0);
    expect_error(LLM_GOOGLE, 400,
                 "{\"error\":{\"message\":\"API key not valid. Please pass a valid API key.\"}}",
                 "API key not valid. Please pass a valid API key.", 0);
}

static void test_retry_and_transport(void **state)
{
    llm_reply r;
    (void)state;
    assert_true(llm_chat_retry(LLM_GOOGLE, "gemini-1.5-pro-latest", 404));
    assert_false(llm_chat_retry(LLM_GOOGLE, "gemini-2.0-flash", 404));
    assert_false(llm_chat_retry(LLM_GOOGLE, "gemini-1.5-pro-latest", 500));
    assert_false(llm_chat_retry(LLM_OPENAI, "gpt-4o", 404));
    llm_chat_failed(1, "Operation timed out after 60000 milliseconds", &r);
    assert_string_equal(r.error, "Request timeout");
    assert_null(r.text);
    assert_int_equal(r.rate_limited, 0);
    llm_reply_free(&r);
    llm_chat_failed(0, "Failed to connect to 127.0.0.1 port 9", &r);
    assert_string_equal(r.error, "Failed to connect to 127.0.0.1 port 9");
    llm_reply_free(&r);
    llm_chat_failed(0, "", &r);
    assert_string_equal(r.error, "Request failed");
    llm_reply_free(&r);
    parse(LLM_ECHO, 200, "{}", &r);                  /* echo never parses HTTP */
    assert_non_null(r.error);
    llm_reply_free(&r);
}

/* ---- echo (§6.4) --------------------------------------------------------- */

static void expect_echo(const char *msg, long tokens)
{
    llm_reply r;
    char want[512];
    llm_echo(msg, "gpt4o", &r);
    snprintf(want, sizeof want, "[Echo Mode] Received: %s\n\nThis is a demo response. "
             "Connect an LLM provider to get real AI responses.", msg);
    assert_string_equal(r.text, want);
    assert_int_equal(r.tokens, tokens);
    assert_string_equal(r.model, "gpt4o");
    assert_null(r.error);
    assert_int_equal(r.rate_limited, 0);
    llm_reply_free(&r);
}

static void test_echo(void **state)
{
    (void)state;
    expect_echo("hello world", 2);
    expect_echo("  padded\tand\nsplit  ", 3);
    expect_echo("", 0);
    expect_echo("one", 1);
    expect_echo("caf\xC3\xA9 na\xC3\xAFve", 2);
    expect_echo("a\xC2\xA0" "b\xE3\x80\x80" "c", 3);      /* NBSP, ideographic space */
    expect_echo("x\x1c" "y", 2);                          /* Python splits on U+001C */
}

/* ---- connection test (§6.5) ---------------------------------------------- */

static void test_test_requests(void **state)
{
    net_request r;
    (void)state;
    static const struct { llm_provider p; const char *url; } probes[] = {
        { LLM_OPENAI, "https://api.openai.com/v1/models" },
        { LLM_DEEPSEEK, "https://api.deepseek.com/models" },
        { LLM_GROQ, "https://api.groq.com/openai/v1/models" },
    };
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(llm_test_request(probes[i].p, "sk-abc", &r), 0);
        assert_string_equal(r.url, probes[i].url);
        assert_null(r.body);
        assert_int_equal(r.timeout_s, 10);
        assert_int_equal(header_count(&r), 1);
        assert_string_equal(header(&r, "Authorization"), "Bearer sk-abc");
        net_request_free(&r);
    }
    assert_int_equal(llm_test_request(LLM_GOOGLE, "AIza-x", &r), 0);
    assert_string_equal(r.url, "https://generativelanguage.googleapis.com/v1beta/models?key=AIza-x");
    assert_null(r.body);
    assert_int_equal(r.timeout_s, 10);
    net_request_free(&r);

    assert_int_equal(llm_test_request(LLM_ANTHROPIC, "sk-ant", &r), 0);
    assert_string_equal(r.url, "https://api.anthropic.com/v1/messages");
    assert_int_equal(r.timeout_s, 10);
    assert_string_equal(header(&r, "x-api-key"), "sk-ant");
    assert_string_equal(header(&r, "anthropic-version"), "2023-06-01");
    json_t *b = body_json(&r);
    assert_int_equal(json_object_size(b), 3);
    assert_string_equal(json_string_value(json_object_get(b, "model")), "claude-3-haiku-20240307");
    assert_int_equal(json_integer_value(json_object_get(b, "max_tokens")), 1);
    json_t *m = json_object_get(b, "messages");
    assert_int_equal(json_array_size(m), 1);
    expect_msg(m, 0, "user", "test");
    json_decref(b);
    net_request_free(&r);
}

static void expect_test(llm_provider p, long status, int timed_out, int failed,
                        const char *terr, int ok, const char *want)
{
    char err[128] = "garbage";
    int got = llm_test_result(p, status, timed_out, failed, terr, err, sizeof err);
    if (got != ok || strcmp(err, want) != 0)
        fail_msg("%s status %ld: got %d \"%s\", want %d \"%s\"", llm_provider_name(p), status,
                 got, err, ok, want);
}

static void test_test_results(void **state)
{
    (void)state;
    for (int p = LLM_OPENAI; p < LLM_ECHO; p++) {
        expect_test(p, 200, 0, 0, NULL, 1, "");
        expect_test(p, 500, 0, 0, NULL, 0, "API returned status 500");
        expect_test(p, 403, 0, 0, NULL, 0, "API returned status 403");
        expect_test(p, 0, 1, NET_FAILED, "Operation timed out", 0,
                    "Connection timeout - API did not respond in time");
        expect_test(p, 0, 0, NET_UNREACHABLE, "Could not resolve host", 0,
                    "Connection error - unable to reach API");
        expect_test(p, 0, 0, NET_FAILED, "Response too large", 0,
                    "Request failed: Response too large");
        expect_test(p, 200, 0, NET_FAILED, "", 0, "Request failed: unknown error");
    }
    expect_test(LLM_OPENAI, 401, 0, 0, NULL, 0, "Invalid API key");
    expect_test(LLM_ANTHROPIC, 401, 0, 0, NULL, 0, "Invalid API key");
    expect_test(LLM_DEEPSEEK, 401, 0, 0, NULL, 0, "Invalid API key");
    expect_test(LLM_GROQ, 401, 0, 0, NULL, 0, "Invalid API key");
    expect_test(LLM_GOOGLE, 400, 0, 0, NULL, 0, "Invalid API key");
    expect_test(LLM_GOOGLE, 401, 0, 0, NULL, 0, "API returned status 401");
    expect_test(LLM_OPENAI, 400, 0, 0, NULL, 0, "API returned status 400");
    expect_test(LLM_DEEPSEEK, 402, 0, 0, NULL, 1, "");
    expect_test(LLM_OPENAI, 402, 0, 0, NULL, 0, "API returned status 402");
    expect_test(LLM_OPENAI, 201, 0, 0, NULL, 0, "API returned status 201");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_route_examples),
        cmocka_unit_test(test_route_case_and_strip),
        cmocka_unit_test(test_route_truncates),
        cmocka_unit_test(test_upstream_names),
        cmocka_unit_test(test_provider_names),
        cmocka_unit_test_setup(test_openai_requests, reset_bases),
        cmocka_unit_test_setup_teardown(test_custom_base_urls, reset_bases, reset_bases),
        cmocka_unit_test_setup(test_anthropic_request, reset_bases),
        cmocka_unit_test_setup(test_requests_without_role_or_system, reset_bases),
        cmocka_unit_test_setup(test_google_request, reset_bases),
        cmocka_unit_test_setup(test_request_edge_cases, reset_bases),
        cmocka_unit_test(test_openai_parse),
        cmocka_unit_test(test_http_errors),
        cmocka_unit_test(test_anthropic_parse),
        cmocka_unit_test(test_google_parse),
        cmocka_unit_test(test_retry_and_transport),
        cmocka_unit_test(test_echo),
        cmocka_unit_test_setup(test_test_requests, reset_bases),
        cmocka_unit_test(test_test_results),
    };
    return cmocka_run_group_tests_name("llm/provider", tests, NULL, NULL);
}
