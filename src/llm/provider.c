/* provider.c — the provider-neutral entry points: dispatch of chat
 * requests, replies and connection tests to openai.c / anthropic.c /
 * google.c, retries, and the connection-test outcome table of API.md §6.5.
 * What those files share lives in common.c. Requests are net_requests
 * (net/request.h). */
#include "llm/common.h"
#include "llm/provider_impl.h"

#include "util/utf8.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int chat_request(llm_provider p, const char *api_key, const char *upstream_model,
                        const char *system, const llm_message *history, size_t nhistory,
                        const char *user, int stream, net_request *out)
{
    switch (p) {
    case LLM_OPENAI:
    case LLM_DEEPSEEK:
    case LLM_GROQ:
        return llm_openai_chat(p, api_key, upstream_model, system, history, nhistory, user,
                               stream, out);
    case LLM_ANTHROPIC:
        return llm_anthropic_chat(api_key, upstream_model, system, history, nhistory, user,
                                  stream, out);
    case LLM_GOOGLE:
        return llm_google_chat(api_key, upstream_model, system, history, nhistory, user,
                               stream, out);
    case LLM_ECHO:
        break;
    }
    return -1;
}

static int chat_request_as(llm_provider p, const char *api_key, const char *upstream_model,
                           const char *system, const llm_message *history, size_t nhistory,
                           const char *user, int stream, net_request *out)
{
    memset(out, 0, sizeof *out);
    if (!net_key_ok(api_key) || !upstream_model ||
        chat_request(p, api_key, upstream_model, system, history, nhistory, user, stream,
                     out) != 0)
        return -1;
    out->target = llm_provider_name(p);
    return 0;
}

int llm_chat_request(llm_provider p, const char *api_key, const char *upstream_model,
                     const char *system, const llm_message *history, size_t nhistory,
                     const char *user, net_request *out)
{
    return chat_request_as(p, api_key, upstream_model, system, history, nhistory, user, 0,
                           out);
}

int llm_chat_stream_request(llm_provider p, const char *api_key, const char *upstream_model,
                            const char *system, const llm_message *history, size_t nhistory,
                            const char *user, net_request *out)
{
    return chat_request_as(p, api_key, upstream_model, system, history, nhistory, user, 1,
                           out);
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
