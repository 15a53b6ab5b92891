/* chat.c — see chat.h. The prompt follows D3: system text with every
 * active injected memory, the 10 messages before the new one (oldest
 * first), then the new message once. */
#include "api/handlers/chat.h"

#include "api/api.h"
#include "api/access.h"
#include "api/shapes/conv_json.h"
#include "api/services/outcall.h"
#include "api/services/secrets.h"

#include "http/response.h"
#include "llm/context.h"
#include "llm/provider.h"
#include "store/integrations.h"
#include "util/isotime.h"
#include "util/oom.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct chat_job {
    conv_row conv;              /* id, workspace_id, title (for the activity) */
    message_row user;
    llm_provider provider;
    char requested[128];        /* upstream model name */
    int64_t t0;
    char *key;                  /* plain key, kept for a retry; wiped on free */
    int retried;
} chat_job;

static json_t *user_data(const message_row *user)
{
    return json_pack("{s:o}", "userMessage", message_json(user));
}

char *chat_reply_metadata(const llm_reply *rep, llm_provider p, int64_t t0, bool partial)
{
    json_t *meta = json_pack("{s:I,s:s,s:s,s:I}", "tokens", (json_int_t)rep->tokens,
                             "model_version", rep->model ? rep->model : "",
                             "provider", llm_provider_name(p),
                             "responseTimeMs", (json_int_t)((time_mono_us() - t0) / 1000));
    if (meta && partial && json_object_set_new(meta, "partial", json_true()) != 0) {
        json_decref(meta);
        meta = NULL;
    }
    char *text = meta ? json_dumps_whole(meta, JSON_COMPACT) : NULL;
    json_decref(meta);
    return text;
}

static void reply_pair(http_req *r, const message_row *user, const message_row *a)
{
    resp_data(r, 201, json_pack("{s:o,s:o}", "userMessage", message_json(user),
                                "assistantMessage", message_json(a)));
}

/* Stores the assistant message and answers 201 (or 500). */
static void store_reply(http_req *r, const conv_row *c, const message_row *user,
                        const llm_reply *rep, llm_provider p, int64_t t0)
{
    message_row a = { 0 };
    char *meta_text = chat_reply_metadata(rep, p, t0, false);
    st_rc st = meta_text ? msg_add(c, "assistant", rep->text, meta_text, &a) : ST_DB_ERROR;
    free(meta_text);
    if (st != ST_OK) {
        resp_error_data(r, 500, "AI call failed: could not store the reply", user_data(user));
        return;
    }
    reply_pair(r, user, &a);
    message_row_free(&a);
}

int chat_echo_pair(http_req *r, const conv_row *c, const char *content, llm_reply *rep,
                   message_row *user, message_row *a)
{
    char name[128], requested[128];
    int64_t t0 = time_mono_us();
    if (llm_resolve(c->model_id, name, sizeof name, requested, sizeof requested) != LLM_ECHO)
        return -1;
    llm_echo(content, name, rep);
    char *meta_text = rep->text ? chat_reply_metadata(rep, LLM_ECHO, t0, false) : NULL;
    st_rc st = meta_text ? msg_add_pair(c, content, rep->text, meta_text, user, a)
                         : ST_DB_ERROR;
    free(meta_text);
    if (st != ST_OK)
        api_store_error(r, st, MSG_CONV_NOT_FOUND);
    return (int)st;
}

bool chat_echo_send(http_req *r, const conv_row *c, const char *content)
{
    llm_reply rep = { 0 };
    message_row user = { 0 }, a = { 0 };
    int st = chat_echo_pair(r, c, content, &rep, &user, &a);
    if (st < 0)
        return false;
    if (st == ST_OK)
        reply_pair(r, &user, &a);
    message_row_free(&user);
    message_row_free(&a);
    llm_reply_free(&rep);
    return true;
}

static void reply_failure(http_req *r, const message_row *user, const llm_reply *rep)
{
    char msg[600];
    snprintf(msg, sizeof msg, "AI response failed: %s", rep->error ? rep->error : "unknown error");
    resp_error_data(r, rep->rate_limited ? 429 : 502, msg, user_data(user));
}

static void job_free(chat_job *j)
{
    secrets_wipe(j->key);
    conv_row_free(&j->conv);
    message_row_free(&j->user);
    free(j);
}

static int chat_send(http_req *r, chat_job *j);

/* Worker thread, after the call: parse, store, answer. */
static void chat_fetched(http_req *r, const net_result *res, void *ctx)
{
    chat_job *j = ctx;
    llm_reply rep = { 0 };
    if (res->transport_failed || res->timed_out) {
        llm_chat_failed(res->timed_out, res->error, &rep);
        reply_failure(r, &j->user, &rep);
    } else if (!j->retried && llm_chat_retry(j->provider, j->requested, res->status)) {
        /* Google answered 404 for this model: once more with the fallback. */
        j->retried = 1;
        snprintf(j->requested, sizeof j->requested, "%s", LLM_GOOGLE_FALLBACK);
        if (chat_send(r, j) == 0)
            return;
        rep.error = strdup("could not build the request");
        reply_failure(r, &j->user, &rep);
    } else {
        llm_chat_parse(j->provider, j->requested, res->status, res->body, res->len, &rep);
        if (rep.text)
            store_reply(r, &j->conv, &j->user, &rep, j->provider, j->t0);
        else
            reply_failure(r, &j->user, &rep);
    }
    llm_reply_free(&rep);
    job_free(j);
}

int chat_build_request(const conv_row *c, const message_row *user, llm_provider p,
                       const char *key, const char *requested, bool stream, net_request *req)
{
    context_memory *mems = NULL;
    message_row *hist = NULL;
    size_t nm = 0, nh = 0;
    if (conv_context(c->id, user->timestamp, user->id, LLM_HISTORY_MESSAGES, &mems, &nm,
                     &hist, &nh) != ST_OK)
        return -1;
    llm_memory *lm = calloc(nm + 1, sizeof *lm);
    llm_message *lh = calloc(nh + 1, sizeof *lh);
    for (size_t i = 0; lm && i < nm; i++)
        lm[i] = (llm_memory){ mems[i].title, mems[i].content };
    for (size_t i = 0; lh && i < nh; i++)
        lh[i] = (llm_message){ hist[i].role, hist[i].content };
    char *system = lm ? llm_system_text(lm, nm) : NULL;
    int rc = -1;
    if (system && lh && stream)
        rc = llm_chat_stream_request(p, key, requested, system, lh, nh, user->content, req);
    else if (system && lh)
        rc = llm_chat_request(p, key, requested, system, lh, nh, user->content, req);
    free(system);
    free(lm);
    free(lh);
    context_free(mems, nm, hist, nh);
    return rc;
}

/* Builds the request and defers r until chat_fetched; -1 if it could not
 * be built. */
static int chat_send(http_req *r, chat_job *j)
{
    net_request *req = calloc(1, sizeof *req);
    if (!req || chat_build_request(&j->conv, &j->user, j->provider, j->key, j->requested,
                                   false, req) != 0) {
        net_request_free(req);
        free(req);
        return -1;
    }
    api_fetch(r, req, chat_fetched, j);
    return 0;
}

int chat_copy_rows(conv_row *dc, message_row *du, const conv_row *c, const message_row *user)
{
    memcpy(dc->id, c->id, sizeof dc->id);
    memcpy(dc->workspace_id, c->workspace_id, sizeof dc->workspace_id);
    dc->title = strdup(c->title);
    dc->model_id = strdup(c->model_id);
    *du = *user;
    du->content = strdup(user->content);
    du->metadata = strdup(user->metadata ? user->metadata : "{}");
    return dc->title && dc->model_id && du->content && du->metadata ? 0 : -1;
}

char *chat_provider_key(http_req *r, llm_provider p, const message_row *user)
{
    char msg[160];
    integration_row in;
    st_rc st = integration_connected(r->user->user.id, llm_provider_name(p), &in);
    if (st != ST_OK) {
        snprintf(msg, sizeof msg, "No connected integration found for provider: %s",
                 llm_provider_name(p));
        resp_error_data(r, st == ST_NOT_FOUND ? 400 : 500, msg, user_data(user));
        return NULL;
    }
    bool no_memory = false;
    char *key = secrets_decrypt(in.api_key, &no_memory);
    integration_row_free(&in);
    if (!key)
        resp_error_data(r, 500, no_memory ? "AI call failed: server out of memory"
                                          : "AI call failed: Failed to decrypt API key",
                        user_data(user));
    return key;
}

void chat_reply(http_req *r, const conv_row *c, const message_row *user)
{
    char name[128], requested[128];
    int64_t t0 = time_mono_us();
    llm_provider p = llm_resolve(c->model_id, name, sizeof name, requested, sizeof requested);
    if (p == LLM_ECHO) {
        llm_reply rep = { 0 };
        llm_echo(user->content, name, &rep);
        store_reply(r, c, user, &rep, p, t0);
        llm_reply_free(&rep);
        return;
    }
    char *key = chat_provider_key(r, p, user);
    if (!key)
        return;
    chat_job *j = calloc(1, sizeof *j);
    if (j)
        j->key = key;       /* wiped with the job */
    if (!j || chat_copy_rows(&j->conv, &j->user, c, user) != 0) {
        resp_error_data(r, 500, "AI call failed: out of memory", user_data(user));
        goto fail;
    }
    j->provider = p;
    j->t0 = t0;
    snprintf(j->requested, sizeof j->requested, "%s", requested);
    if (chat_send(r, j) == 0)
        return;
    resp_error_data(r, 500, "AI call failed: could not build the request", user_data(user));
fail:
    if (j)
        job_free(j);
    else
        secrets_wipe(key);
}
