/* common.c — what the provider files share: base URLs (D7), the reply
 * container and its error texts, tolerant JSON lookups. */
#include "llm/common.h"

#include "util/oom.h"
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
    json_t *root = body ? json_parse(body, len, 0, NULL) : NULL;
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

json_t *llm_role_message(const char *role, const char *content)
{
    return json_pack("{s:s, s:s}", "role", role ? role : "user", "content",
                     content ? content : "");
}

json_t *llm_turns(const char *system, const llm_message *hist, size_t nhist, const char *user,
                  json_t *(*turn)(const char *role, const char *content),
                  const char *(*role_for)(const char *stored))
{
    json_t *turns = json_array();
    if (!turns)
        return NULL;
    if (system && json_array_append_new(turns, turn("system", system)) != 0)
        goto fail;
    for (size_t i = 0; i < nhist; i++) {
        const char *role = role_for(hist[i].role);
        if (role && json_array_append_new(turns, turn(role, hist[i].content)) != 0)
            goto fail;
    }
    if (json_array_append_new(turns, turn("user", user)) != 0)
        goto fail;
    return turns;
fail:
    json_decref(turns);
    return NULL;
}

json_t *llm_reply_root(long status, const char *body, size_t len, llm_reply *r)
{
    json_t *root = llm_json_parse(body, len);
    if (status < 200 || status > 299) {
        llm_reply_http_error(r, status, root, body, len);
        json_decref(root);
        return NULL;
    }
    if (!root)
        llm_reply_set_error(r, "Invalid JSON in provider response");
    return root;
}
