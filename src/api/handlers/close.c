/* close.c — POST /conversations/{cid}/close: status completed and, when the
 * conversation has messages, a summary memory (API.md §8.5): the
 * transcript, keyword tags, and metadata in both spellings (§11 #21). */
#include "api/api.h"
#include "api/access.h"
#include "api/shapes/conv_json.h"
#include "api/services/embedding.h"
#include "api/handlers.h"
#include "api/shapes/memory_json.h"
#include "api/shapes/serialize.h"

#include "http/response.h"
#include "util/buf.h"
#include "util/isotime.h"
#include "util/jsonx.h"
#include "util/oom.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static const struct { const char *tag; const char *words[6]; } KEYWORDS[] = {
    { "preference", { "prefer", "like", "love", "favorite" } },
    { "project", { "building", "working", "developing", "creating" } },
    { "programming", { "python", "javascript", "java", "code", "programming" } },
    { "design", { "design", "ui", "ux", "interface", "layout" } },
    { "backend", { "api", "backend", "server", "database" } },
    { "frontend", { "frontend", "react", "vue", "angular" } },
    { "team", { "team", "colleague", "member", "collaborate" } },
    { "important", { "important", "critical", "must", "required" } },
};

/* Keyword tags by lower-cased substring tests, then the two fixed tags. */
static json_t *summary_tags(const char *content)
{
    size_t len = strlen(content);
    char *lower = malloc(len + 1);
    json_t *tags = json_array();
    for (size_t i = 0; lower && i <= len; i++)
        lower[i] = (char)tolower((unsigned char)content[i]);
    for (size_t k = 0; lower && k < sizeof KEYWORDS / sizeof KEYWORDS[0]; k++) {
        for (size_t w = 0; KEYWORDS[k].words[w]; w++) {
            if (strstr(lower, KEYWORDS[k].words[w])) {
                tags = json_push(tags, json_string(KEYWORDS[k].tag));
                break;
            }
        }
    }
    free(lower);
    if (!lower) {                   /* the keyword tags could not be chosen */
        json_decref(tags);
        return NULL;
    }
    if (json_array_size(tags) == 0)
        tags = json_push(tags, json_string("general"));
    tags = json_push(tags, json_string("conversation-summary"));
    return json_push(tags, json_string("auto-generated"));
}

static char *transcript(const conv_row *c)
{
    buf b = BUF_INIT(0);
    for (size_t i = 0; i < c->nmessages; i++) {
        const message_row *m = &c->messages[i];
        buf_printf(&b, "%s%s: %s", i ? "\n\n" : "",
                   strcmp(m->role, "user") == 0 ? "User" : "Assistant", m->content);
    }
    return buf_steal(&b);
}

static json_t *summary_metadata(const conv_row *c)
{
    char closed[40];
    time_iso_offset(time_now_us(), closed);
    return json_pack("{s:s,s:s,s:s,s:s,s:I,s:b,s:s,s:s,s:s,s:s,s:I,s:b,s:s}",
                     "source", "conversation", "conversation_id", c->id,
                     "conversation_title", c->title, "model_used", c->model_id,
                     "message_count", (json_int_t)c->nmessages, "auto_summarized", 1,
                     "closed_at", closed,
                     "conversationId", c->id, "conversationTitle", c->title,
                     "modelUsed", c->model_id, "messageCount", (json_int_t)c->nmessages,
                     "autoSummarized", 1, "closedAt", closed);
}

/* What a close keeps while the summary memory's vector is being made. */
typedef struct close_job {
    conv_row c;
    char *content;              /* the transcript; NULL without messages */
} close_job;

static void close_job_free(void *p)
{
    close_job *j = p;
    conv_row_free(&j->c);
    free(j->content);
    free(j);
}

/* n is 0 for a conversation without messages (no memory is made). */
static void close_embedded(http_req *r, void *ctx, embedded_vec *ev, size_t n)
{
    close_job *j = ctx;
    conv_row *c = &j->c, updated = { 0 };
    memory_row mem = { 0 };
    memory_input in;
    json_t *tags = NULL, *meta = NULL;
    char *tags_text = NULL, *meta_text = NULL;
    const char **tag_list = NULL;
    memset(&in, 0, sizeof in);
    if (n) {
        tags = summary_tags(j->content);
        meta = summary_metadata(c);
        tags_text = json_dumps_whole(tags, JSON_COMPACT);
        tag_list = json_string_list(tags);
        in.title = c->title;
        in.content = j->content;
        in.tags = tags_text;
        in.tag_list = tag_list;
        in.ntags = json_array_size(tags);
        api_embed_apply(&ev[0], &meta, &meta_text, &in);
        if (!meta_text)
            meta_text = json_dumps_whole(meta, JSON_COMPACT);
        in.metadata = meta_text;
    }
    st_rc st = conv_close(c->id, n ? &in : NULL, &mem);
    if (st == ST_OK)
        st = conv_get(c->id, true, &updated);
    if (st != ST_OK) {
        api_store_error(r, st, MSG_CONV_NOT_FOUND);
    } else {
        json_t *m = n ? json_pack("{s:s,s:s,s:s}", "id", mem.id, "title", mem.title,
                                  "snippet", mem.snippet) : json_null();
        resp_data(r, 200, json_pack("{s:o,s:o,s:s}", "conversation", conversation_json(&updated),
                                    "memory", m,
                                    "message", "Conversation closed and summarized successfully"));
    }
    conv_row_free(&updated);
    memory_row_free(&mem);
    json_decref(tags);
    json_decref(meta);
    free(tags_text);
    free(meta_text);
    free(tag_list);
}

void h_conversation_close(http_req *r)
{
    close_job *j = calloc(1, sizeof *j);
    if (!j) {
        resp_no_memory(r);
        return;
    }
    api_scope_take_conv(r, &j->c);      /* kept by the job while the summary embeds */
    if (j->c.nmessages == 0) {
        close_embedded(r, j, NULL, 0);
        close_job_free(j);
        return;
    }
    char *text = NULL;
    if (!(j->content = transcript(&j->c)) || !(text = api_memory_text(j->c.title, j->content))) {
        resp_no_memory(r);
        close_job_free(j);
        return;
    }
    api_embed_then(r, (const char *const *)&text, 1, close_embedded, j, close_job_free);
    free(text);
}
