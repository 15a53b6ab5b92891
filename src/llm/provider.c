/* provider.c — what every provider shares: base URLs (D7), the reply
 * container, dispatch to openai.c / anthropic.c / google.c, error texts, and
 * the connection-test outcome table of API.md §6.5. Requests are
 * net_requests (net/request.h). */
#include "llm/provider_impl.h"

#include "util/utf8.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- base URLs ----------------------------------------------------------- */

static const char *const default_base[] = {
    [LLM_OPENAI] = "https://api.openai.com/v1",
    [LLM_ANTHROPIC] = "https://api.anthropic.com/v1",
    [LLM_GOOGLE] = "https://generativelanguage.googleapis.com",
    [LLM_DEEPSEEK] = "https://api.deepseek.com",
    [LLM_GROQ] = "https://api.groq.com/openai/v1",
    [LLM_ECHO] = "",
};

#define NPROV (sizeof default_base / sizeof default_base[0])

/* Set once at start-up (configuration), read-only afterwards. */
static char *custom_base[NPROV];

void llm_set_base_url(llm_provider p, const char *base)
{
    if ((unsigned)p >= NPROV)
        return;
    free(custom_base[p]);
    custom_base[p] = NULL;
    if (!base || !*base)
        return;
    custom_base[p] = strdup(base);
    if (!custom_base[p])
        return;
    size_t n = strlen(custom_base[p]);
    while (n > 0 && custom_base[p][n - 1] == '/')   /* paths start with '/' */
        custom_base[p][--n] = '\0';
}

const char *llm_base_url(llm_provider p)
{
    if ((unsigned)p >= NPROV)
        return "";
    return custom_base[p] ? custom_base[p] : default_base[p];
}

/* ---- requests ------------------------------------------------------------ */

static int chat_request(llm_provider p, const char *api_key, const char *upstream_model,
                        const char *system, const llm_message *history, size_t nhistory,
                        const char *user, net_request *out)
{
    switch (p) {
    case LLM_OPENAI:
    case LLM_DEEPSEEK:
    case LLM_GROQ:
        return llm_openai_chat(p, api_key, upstream_model, system, history, nhistory, user,
                               out);
    case LLM_ANTHROPIC:
        return llm_anthropic_chat(api_key, upstream_model, system, history, nhistory, user,
                                  out);
    case LLM_GOOGLE:
        return llm_google_chat(api_key, upstream_model, system, history, nhistory, user, out);
    case LLM_ECHO:
        break;
    }
    return -1;
}

int llm_chat_request(llm_provider p, const char *api_key, const char *upstream_model,
                     const char *system, const llm_message *history, size_t nhistory,
                     const char *user, net_request *out)
{
    memset(out, 0, sizeof *out);
    if (!net_key_ok(api_key) || !upstream_model ||
        chat_request(p, api_key, upstream_model, system, history, nhistory, user, out) != 0)
        return -1;
    out->target = llm_provider_name(p);
    return 0;
}

/* ---- replies ------------------------------------------------------------- */

void llm_reply_free(llm_reply *r)
{
    if (!r)
        return;
    free(r->text);
    free(r->model);
    free(r->error);
    memset(r, 0, sizeof *r);
}

void llm_reply_set_error(llm_reply *r, const char *msg)
{
    free(r->text);
    free(r->error);
    r->text = NULL;
    r->error = strdup(msg ? msg : "");
}

void llm_reply_set_text(llm_reply *r, const char *text, long tokens, const char *model)
{
    free(r->text);
    free(r->model);
    r->text = strdup(text);
    r->model = strdup(model ? model : "");
    r->tokens = tokens;
    if (!r->text || !r->model)
        llm_reply_set_error(r, "Out of memory");
}

json_t *llm_json_parse(const char *body, size_t len)
{
    json_t *root = body ? json_loadb(body, len, 0, NULL) : NULL;
    if (root && !json_is_object(root)) {
        json_decref(root);
        return NULL;
    }
    return root;
}

const char *llm_json_str(const json_t *v)
{
    return json_is_string(v) ? json_string_value(v) : NULL;
}

long llm_json_long(const json_t *v)
{
    if (json_is_integer(v))
        return (long)json_integer_value(v);
    if (json_is_real(v))
        return (long)json_real_value(v);
    return 0;
}

int llm_contains_ci(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (; hay && *hay; hay++)
        if (strncasecmp(hay, needle, n) == 0)
            return 1;
    return 0;
}

void llm_reply_http_error(llm_reply *r, long status, const json_t *root, const char *body,
                          size_t len)
{
    const json_t *err = json_object_get(root, "error");
    const char *msg = llm_json_str(json_object_get(err, "message"));
    char fallback[48];
    if (!msg)
        msg = llm_json_str(err);
    if (msg && *msg) {
        llm_reply_set_error(r, msg);
        return;
    }
    if (body && len) {
        char *cut = strndup(body, utf8_prefix(body, len, LLM_ERROR_CHARS));
        llm_reply_set_error(r, cut ? cut : "Out of memory");
        free(cut);
        return;
    }
    snprintf(fallback, sizeof fallback, "API returned status %ld", status);
    llm_reply_set_error(r, fallback);
}

void llm_chat_parse(llm_provider p, const char *requested_model, long status,
                    const char *body, size_t len, llm_reply *reply)
{
    memset(reply, 0, sizeof *reply);
    switch (p) {
    case LLM_OPENAI:
    case LLM_DEEPSEEK:
    case LLM_GROQ:
        llm_openai_parse(requested_model, status, body, len, reply);
        break;
    case LLM_ANTHROPIC:
        llm_anthropic_parse(requested_model, status, body, len, reply);
        break;
    case LLM_GOOGLE:
        llm_google_parse(requested_model, status, body, len, reply);
        break;
    case LLM_ECHO:
        llm_reply_set_error(reply, "The echo provider makes no HTTP calls");
        break;
    }
    if (!reply->text && !reply->error)
        llm_reply_set_error(reply, "Out of memory");
    if (reply->error) {
        reply->rate_limited = status == 429 || llm_contains_ci(reply->error, "rate limit") ||
                              strstr(reply->error, "429") != NULL;
        reply->tokens = 0;
    }
}

void llm_chat_failed(int timed_out, const char *transport_error, llm_reply *reply)
{
    memset(reply, 0, sizeof *reply);
    if (timed_out)
        llm_reply_set_error(reply, "Request timeout");
    else
        llm_reply_set_error(reply, transport_error && *transport_error ? transport_error
                                                                       : "Request failed");
    reply->rate_limited = reply->error && (llm_contains_ci(reply->error, "rate limit") ||
                                           strstr(reply->error, "429") != NULL);
}

int llm_chat_retry(llm_provider p, const char *upstream_model, long status)
{
    return p == LLM_GOOGLE && status == 404 && upstream_model &&
           strcmp(upstream_model, LLM_GOOGLE_FALLBACK) != 0;
}

/* ---- connection test (§6.5) ---------------------------------------------- */

static int test_request(llm_provider p, const char *api_key, net_request *out)
{
    switch (p) {
    case LLM_OPENAI:
    case LLM_DEEPSEEK:
    case LLM_GROQ:
        return llm_openai_test(p, api_key, out);
    case LLM_ANTHROPIC:
        return llm_anthropic_test(api_key, out);
    case LLM_GOOGLE:
        return llm_google_test(api_key, out);
    case LLM_ECHO:
        break;
    }
    return -1;
}

int llm_test_request(llm_provider p, const char *api_key, net_request *out)
{
    memset(out, 0, sizeof *out);
    if (!net_key_ok(api_key) || test_request(p, api_key, out) != 0)
        return -1;
    out->target = llm_provider_name(p);
    return 0;
}

int llm_test_result(llm_provider p, long status, int timed_out, int transport_failed,
                    const char *transport_error, char *err, size_t errsz)
{
    const char *msg = NULL;
    if (timed_out)
        msg = "Connection timeout - API did not respond in time";
    else if (transport_failed == NET_UNREACHABLE)
        msg = "Connection error - unable to reach API";
    else if (transport_failed) {
        snprintf(err, errsz, "Request failed: %s",
                 transport_error && *transport_error ? transport_error : "unknown error");
        return 0;
    } else if (status == 200 || (p == LLM_DEEPSEEK && status == 402)) {
        if (errsz)
            err[0] = '\0';
        return 1;
    } else if (status == (p == LLM_GOOGLE ? 400 : 401))
        msg = "Invalid API key";
    if (msg)
        snprintf(err, errsz, "%s", msg);
    else
        snprintf(err, errsz, "API returned status %ld", status);
    return 0;
}
