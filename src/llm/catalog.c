/* catalog.c — provider names and the routing table of API.md §6.2:
 * modelId → provider → upstream model name. Pure lookups, no state. */
#include "llm/common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const provider_names[] = {
    [LLM_OPENAI] = "openai",     [LLM_ANTHROPIC] = "anthropic", [LLM_GOOGLE] = "google",
    [LLM_DEEPSEEK] = "deepseek", [LLM_GROQ] = "groq",           [LLM_ECHO] = "echo",
};

typedef struct llm_route {
    const char *name;
    llm_provider provider;
    const char *upstream;       /* NULL: the name itself */
} llm_route;

static const llm_route routes[] = {
    { "gpt-4",                   LLM_OPENAI,    NULL },
    { "gpt-4-turbo",             LLM_OPENAI,    NULL },
    { "gpt-4o",                  LLM_OPENAI,    NULL },
    { "gpt-3.5-turbo",           LLM_OPENAI,    NULL },
    { "claude-3-opus",           LLM_ANTHROPIC, "claude-3-opus-20240229" },
    { "claude-3-sonnet",         LLM_ANTHROPIC, "claude-3-sonnet-20240229" },
    { "claude-3-haiku",          LLM_ANTHROPIC, "claude-3-haiku-20240307" },
    { "claude-3.5-sonnet",       LLM_ANTHROPIC, "claude-3-5-sonnet-20241022" },
    { "gemini-2.0-flash",        LLM_GOOGLE,    NULL },
    { "gemini-2.0-flash-exp",    LLM_GOOGLE,    NULL },
    { "gemini-1.5-flash",        LLM_GOOGLE,    "gemini-1.5-flash-latest" },
    { "gemini-1.5-pro",          LLM_GOOGLE,    "gemini-1.5-pro-latest" },
    { "deepseek-chat",           LLM_DEEPSEEK,  NULL },
    { "deepseek-coder",          LLM_DEEPSEEK,  NULL },
    { "llama-3.3-70b-versatile", LLM_GROQ,      NULL },
    { "llama-3.1-8b-instant",    LLM_GROQ,      NULL },
    { "mixtral-8x7b-32768",      LLM_GROQ,      NULL },
    { "gemma2-9b-it",            LLM_GROQ,      NULL },
    { "echo",                    LLM_ECHO,      NULL },
};

#define NROUTES (sizeof routes / sizeof routes[0])

const char *llm_provider_name(llm_provider p)
{
    if ((unsigned)p >= sizeof provider_names / sizeof provider_names[0])
        return "unknown";
    return provider_names[p];
}

int llm_provider_parse(const char *name, llm_provider *out)
{
    if (!name)
        return -1;
    for (int p = LLM_OPENAI; p < LLM_ECHO; p++) {
        if (strcmp(name, provider_names[p]) == 0) {
            *out = (llm_provider)p;
            return 0;
        }
    }
    return -1;
}

/* Exact match first, then case-insensitive (§6.2). */
static const llm_route *route_find(const char *name)
{
    for (size_t i = 0; i < NROUTES; i++)
        if (strcmp(name, routes[i].name) == 0)
            return &routes[i];
    for (size_t i = 0; i < NROUTES; i++)
        if (strcasecmp(name, routes[i].name) == 0)
            return &routes[i];
    return NULL;
}

void llm_upstream_name(llm_provider p, const char *name, char *out, size_t outsz)
{
    const llm_route *r = route_find(name);
    const char *up = name;
    if (r && r->provider == p)
        up = r->upstream ? r->upstream : r->name;
    else if (p == LLM_GOOGLE)
        up = LLM_GOOGLE_FALLBACK;
    snprintf(out, outsz, "%s", up);
}

/* Python's str.replace("model-", ""): one left-to-right pass. Caller frees. */
static char *strip_prefixes(const char *s)
{
    static const char pre[] = "model-";
    size_t n = strlen(s), j = 0;
    char *out = malloc(n + 1);
    if (!out)
        return NULL;
    for (size_t i = 0; i < n;) {
        if (strncmp(s + i, pre, sizeof pre - 1) == 0) {
            i += sizeof pre - 1;
            continue;
        }
        out[j++] = s[i++];
    }
    out[j] = '\0';
    return out;
}

llm_provider llm_resolve(const char *model_id, char *name, size_t namesz, char *upstream,
                         size_t upsz)
{
    char *stripped = strip_prefixes(model_id ? model_id : "");
    const char *nm = stripped ? stripped : "";
    const llm_route *r = route_find(nm);
    llm_provider p = r ? r->provider : LLM_ECHO;
    if (namesz)
        snprintf(name, namesz, "%s", nm);
    if (upsz) {
        if (r)  /* a case-insensitive match sends the canonical spelling */
            snprintf(upstream, upsz, "%s", r->upstream ? r->upstream : r->name);
        else
            snprintf(upstream, upsz, "%s", nm);
    }
    free(stripped);
    return p;
}

int llm_route_at(size_t i, const char **name, llm_provider *provider)
{
    if (i >= sizeof routes / sizeof routes[0])
        return -1;
    *name = routes[i].name;
    *provider = routes[i].provider;
    return 0;
}
