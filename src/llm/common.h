/* common.h — helpers shared by the provider files of llm/ only (provider.c,
 * catalog.c, openai.c, anthropic.c, google.c, echo.c): limits of §6.3, reply
 * building and parsing, tolerant JSON lookups. Strings returned here are
 * owned by the caller. */
#ifndef CHIMERA_LLM_COMMON_H
#define CHIMERA_LLM_COMMON_H

#include "llm/provider.h"

#include <jansson.h>
#include <stddef.h>

#define LLM_TEMPERATURE    0.7
#define LLM_MAX_TOKENS     2000
#define LLM_TIMEOUT_S      60
#define LLM_GROQ_TIMEOUT_S 30
#define LLM_TEST_TIMEOUT_S 10
#define LLM_STREAM_TIMEOUT_S 600    /* a whole streamed reply; silence is bounded by
                                       the non-streaming timeout (idle_timeout_s) */
#define LLM_ERROR_CHARS    200      /* body excerpt used as an error text */

/* §6.2 upstream model name for a name of provider p's table (google:
 * anything unknown → LLM_GOOGLE_FALLBACK). */
void llm_upstream_name(llm_provider p, const char *name, char *out, size_t outsz);

/* Reply parsing. */
json_t *llm_json_parse(const char *body, size_t len);     /* NULL if not a JSON object */
void llm_reply_set_error(llm_reply *r, const char *msg);
void llm_reply_set_text(llm_reply *r, const char *text, long tokens, const char *model);
/* An HTTP error answer: error.message (or "error" as a string), else the
 * first LLM_ERROR_CHARS characters of the body, else "API returned status N". */
void llm_reply_http_error(llm_reply *r, long status, const json_t *root, const char *body,
                          size_t len);
/* json_t lookups that tolerate missing levels: "choices", 0, "message" … */
const char *llm_json_str(const json_t *v);
long llm_json_long(const json_t *v);
/* Case-insensitive substring test. */
int llm_contains_ci(const char *hay, const char *needle);

/* The JSON object of a 2xx answer; else NULL with r's error set: the
 * provider's own message for an HTTP error (llm_reply_http_error), or
 * "Invalid JSON in provider response". The caller decrefs. */
json_t *llm_reply_root(long status, const char *body, size_t len, llm_reply *r);

/* {"role": role (or "user"), "content": content (or "")}: a turn of the
 * OpenAI-compatible and Anthropic message lists. */
json_t *llm_role_message(const char *role, const char *content);

/* A conversation as a JSON array of turns, oldest first: a "system" turn
 * when system is given, the history, then the user's turn. turn() makes one
 * element; role_for() maps a stored history role to the provider's, or
 * returns NULL to leave that turn out. NULL on failure. */
json_t *llm_turns(const char *system, const llm_message *hist, size_t nhist, const char *user,
                  json_t *(*turn)(const char *role, const char *content),
                  const char *(*role_for)(const char *stored));

#endif
