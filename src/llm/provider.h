/* provider.h — the chat providers of API.md §6: how a conversation's
 * modelId resolves to a provider and upstream model name (§6.2), how each
 * provider's HTTP request is built and its reply parsed (§6.3), the echo
 * provider (§6.4) and the connection test (§6.5). Pure functions: no
 * sockets here (requests are net_requests, sent by net/), no database, no
 * HTTP server. */
#ifndef CHIMERA_LLM_PROVIDER_H
#define CHIMERA_LLM_PROVIDER_H

#include "net/request.h"

#include <stddef.h>

typedef enum llm_provider {
    LLM_OPENAI, LLM_ANTHROPIC, LLM_GOOGLE, LLM_DEEPSEEK, LLM_GROQ, LLM_ECHO,
} llm_provider;

const char *llm_provider_name(llm_provider p);          /* "openai", … "echo" */
/* Parses "openai" … "groq" (not "echo": it has no integration). -1 if unknown. */
int llm_provider_parse(const char *name, llm_provider *out);

/* §6.2: strips every "model-", looks the name up (exact, then case-
 * insensitive); anything unknown → echo. Writes the stripped name into
 * name (namesz) and the upstream model name into upstream. */
llm_provider llm_resolve(const char *model_id, char *name, size_t namesz, char *upstream,
                         size_t upsz);

/* The i-th entry of the §6.2 table (name → provider); -1 past the end. */
int llm_route_at(size_t i, const char **name, llm_provider *provider);

typedef struct llm_message {
    const char *role;           /* "system" | "user" | "assistant" */
    const char *content;
} llm_message;

/* Base URLs (D7): defaults of §6.3, overridable by settings so local
 * OpenAI-compatible servers and test fakes can stand in. NULL = default. */
void llm_set_base_url(llm_provider p, const char *base);
const char *llm_base_url(llm_provider p);

/* Builds the chat request of §6.3 (temperature 0.7, max 2000 output
 * tokens): system text, then history (oldest first), then the user turn.
 * Returns 0 or -1 (echo, a key with control characters, no memory). */
int llm_chat_request(llm_provider p, const char *api_key, const char *upstream_model,
                     const char *system, const llm_message *history, size_t nhistory,
                     const char *user, net_request *out);

/* The same request asking for a streamed reply (llm/stream.h decodes it):
 * "stream": true (OpenAI-compatible with stream_options.include_usage,
 * Anthropic), Gemini's :streamGenerateContent?alt=sse. The whole reply may
 * take LLM_STREAM_TIMEOUT_S; silence is cut after the non-streaming
 * timeout (net_request.idle_timeout_s). */
int llm_chat_stream_request(llm_provider p, const char *api_key, const char *upstream_model,
                            const char *system, const llm_message *history, size_t nhistory,
                            const char *user, net_request *out);

typedef struct llm_reply {
    char *text;                 /* assistant text (owned) */
    long tokens;
    char *model;                /* model reported (or requested) */
    char *error;                /* set on failure (owned), API.md §5.5 wording */
    int rate_limited;           /* status 429 or "rate limit" in the error */
} llm_reply;

void llm_reply_free(llm_reply *r);

/* Parses a provider's HTTP answer (status, body) into reply. Always fills
 * either text or error. */
void llm_chat_parse(llm_provider p, const char *requested_model, long status,
                    const char *body, size_t len, llm_reply *reply);

/* The call got no HTTP answer (net_result.transport_failed): fills reply's
 * error with "Request timeout" or the transport error text. */
void llm_chat_failed(int timed_out, const char *transport_error, llm_reply *reply);

/* §6.2: 1 when Google answered 404 for a model other than
 * LLM_GOOGLE_FALLBACK; the caller then retries once with that model. */
#define LLM_GOOGLE_FALLBACK "gemini-2.0-flash"
int llm_chat_retry(llm_provider p, const char *upstream_model, long status);

/* The echo provider: "[Echo Mode] Received: <msg>\n\nThis is a demo
 * response. Connect an LLM provider to get real AI responses.", tokens =
 * whitespace-separated words of msg. */
void llm_echo(const char *user, const char *model_name, llm_reply *reply);

/* §6.5 connection test request and the meaning of its answer: returns 1 on
 * success, else 0 with the error text (e.g. "Invalid API key",
 * "API returned status 500") in err. timed_out/transport_failed (a
 * NET_* value) describe transport failures (then status is ignored).
 * llm_test_request returns 0, or -1 (echo, bad key, no memory). */
int llm_test_request(llm_provider p, const char *api_key, net_request *out);
int llm_test_result(llm_provider p, long status, int timed_out, int transport_failed,
                    const char *transport_error, char *err, size_t errsz);

#endif
