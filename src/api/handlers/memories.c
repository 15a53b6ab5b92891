/* memories.c — the memory bank endpoints (API.md §5.6 with D1, D13):
 * list, create, get, update, delete, re-embed. Vectors come from the
 * configured embedder before the store is called; a failed embedding
 * stores the memory without a vector and says why in metadata. */
#include "api/access.h"
#include "api/api.h"
#include "api/services/embedding.h"
#include "api/handlers.h"
#include "api/shapes/memory_json.h"
#include "api/shapes/serialize.h"
#include "api/validate.h"

#include "http/response.h"
#include "util/jsonx.h"
#include "util/oom.h"
#include "util/utf8.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TAG_MAX 100
#define TAGS_MAX 100

/* tags: a list of non-blank strings (trimmed). On success *out is a new
 * array of strings (absent → NULL). Errors per index, as DRF's ListField. */
static int read_tags(json_t *body, json_t *errs, json_t **out)
{
    json_t *v = json_object_get(body, "tags");
    char msg[96];
    *out = NULL;
    if (!v)
        return 0;
    if (!json_is_array(v)) {
        snprintf(msg, sizeof msg, "%s", json_is_null(v) ? "This field may not be null." : "");
        if (!json_is_null(v))
            snprintf(msg, sizeof msg, "Expected a list of items but got type \"%s\".",
                     val_py_type(v));
        val_error(errs, "tags", msg);
        return -1;
    }
    if (json_array_size(v) > TAGS_MAX) {
        snprintf(msg, sizeof msg, "Ensure this field has no more than %d elements.", TAGS_MAX);
        val_error(errs, "tags", msg);
        return -1;
    }
    json_t *tags = json_array(), *item_errs = json_object();
    size_t i;
    json_t *item;
    json_array_foreach(v, i, item) {
        json_t *holder = json_pack("{s:O}", "t", item), *one = json_object();
        char *s = NULL;
        if (!holder || !one) {
            tags = json_push(tags, NULL);       /* not "required": out of memory */
        } else if (val_str(holder, "t", V_REQUIRED, 0, TAG_MAX, one, &s) > 0) {
            tags = json_push(tags, json_string(s));
        } else {
            char key[24];
            snprintf(key, sizeof key, "%zu", i);
            item_errs = json_put(item_errs, key, json_incref(json_object_get(one, "t")));
        }
        free(s);
        json_decref(holder);
        json_decref(one);
    }
    if (!tags || !item_errs) {
        json_decref(tags);
        json_decref(item_errs);
        val_no_memory(errs);
        return -1;
    }
    if (json_object_size(item_errs)) {
        if (json_object_set_new(errs, "tags", item_errs) != 0)
            val_no_memory(errs);
        json_decref(tags);
        return -1;
    }
    json_decref(item_errs);
    *out = tags;
    return 1;
}

/* metadata: an object; null and other types are field errors. */
static int read_metadata(json_t *body, json_t *errs, json_t **out)
{
    json_t *v = json_object_get(body, "metadata");
    *out = NULL;
    if (!v)
        return 0;
    if (!json_is_object(v)) {
        char msg[96];
        if (json_is_null(v))
            snprintf(msg, sizeof msg, "This field may not be null.");
        else
            snprintf(msg, sizeof msg, "Expected a dictionary of items but got type \"%s\".",
                     val_py_type(v));
        val_error(errs, "metadata", msg);
        return -1;
    }
    *out = json_incref(v);
    return 1;
}

/* The validated fields of a create or update body. */
typedef struct memory_body {
    char *title, *content;
    json_t *tags, *metadata;
    char *tags_text, *metadata_text;
    const char **tag_list;
} memory_body;

static void memory_body_free(memory_body *b)
{
    free(b->title);
    free(b->content);
    json_decref(b->tags);
    json_decref(b->metadata);
    free(b->tags_text);
    free(b->metadata_text);
    free(b->tag_list);
}

/* Reads and validates; create requires title and content. Answers 400 and
 * returns -1 on invalid input. */
static int read_memory_body(http_req *r, json_t *body, bool create, memory_body *b)
{
    json_t *errs = json_object();
    const char *shape = create ? "MemoryCreate" : "MemoryUpdate";
    memset(b, 0, sizeof *b);
    val_decl_str(body, shape, "title", errs, &b->title);
    val_decl_str(body, shape, "content", errs, &b->content);
    read_tags(body, errs, &b->tags);
    read_metadata(body, errs, &b->metadata);
    if (json_object_size(errs)) {
        resp_fields(r, errs);
        return -1;
    }
    json_decref(errs);
    if (b->tags) {
        b->tags_text = json_dumps_whole(b->tags, JSON_COMPACT);
        b->tag_list = json_string_list(b->tags);
    }
    if (b->metadata)
        b->metadata_text = json_dumps_whole(b->metadata, JSON_COMPACT);
    return 0;
}

static void fill_input(const memory_body *b, memory_input *in)
{
    memset(in, 0, sizeof *in);
    in->title = b->title;
    in->content = b->content;
    in->tags = b->tags_text;
    in->tag_list = b->tag_list;
    in->ntags = b->tags ? json_array_size(b->tags) : 0;
    in->metadata = b->metadata_text;
}

static void reply_memory(http_req *r, int status, st_rc st, memory_row *m)
{
    if (st != ST_OK) {
        api_store_error(r, st, MSG_MEM_NOT_FOUND);
        return;
    }
    resp_data_text(r, status, memory_text(m));
    memory_row_free(m);
}

void h_memories_list(http_req *r)
{
    const char *wid = req_param(r, 0), *sort = req_query(r, "sortBy");
    const char *search = req_query(r, "search");
    page pg;
    memory_row *rows = NULL;
    size_t n = 0;
    int64_t total = 0;
    if (api_page(r, 0, &pg) != 0)
        return;
    memory_sort ms = !sort || strcmp(sort, "recent") == 0 ? SORT_RECENT
                   : strcmp(sort, "title") == 0 ? SORT_TITLE : SORT_CREATED;
    if (search && (!*search || !utf8_valid(search, strlen(search))))
        search = NULL;
    if (sort && strcmp(sort, "relevance") == 0 && search) {
        api_relevance_list(r, wid, search, pg);
        return;
    }
    st_rc st = memory_list(wid, search, ms, pg, &rows, &n, &total);
    if (st != ST_OK) {
        api_store_error(r, st, NULL);
        return;
    }
    api_reply_memories(r, rows, NULL, n, total);
    memory_rows_free(rows, n);
}

/* What create, update and re-embed keep while the vector is being made. */
typedef struct memory_job {
    char wid[40];               /* create: the workspace */
    memory_row old;             /* update, re-embed: the stored memory */
    memory_body b;
} memory_job;

static memory_job *memory_job_new(void)
{
    return calloc(1, sizeof(memory_job));
}

static void memory_job_free(void *p)
{
    memory_job *j = p;
    memory_row_free(&j->old);
    memory_body_free(&j->b);
    free(j);
}

/* Hands the job's memory text to the embedder; cont answers r. */
static void embed_then(http_req *r, memory_job *j, const char *title, const char *content,
                       api_embed_cont cont)
{
    char *text = api_memory_text(title, content);
    if (!text) {
        resp_no_memory(r);
        memory_job_free(j);
        return;
    }
    api_embed_then(r, (const char *const *)&text, 1, cont, j, memory_job_free);
    free(text);
}

static void create_embedded(http_req *r, void *ctx, embedded_vec *v, size_t n)
{
    memory_job *j = ctx;
    memory_input in;
    memory_row m;
    (void)n;
    fill_input(&j->b, &in);
    if (api_embed_apply(&v[0], &j->b.metadata, &j->b.metadata_text, &in) != 0) {
        resp_no_memory(r);
        return;
    }
    reply_memory(r, 201, memory_create(j->wid, &in, &m), &m);
}

void h_memories_create(http_req *r)
{
    const char *wid = req_param(r, 0);
    json_t *body = NULL;
    memory_job *j = NULL;
    if (!(body = val_body(r)))
        goto out;
    if (!(j = memory_job_new())) {
        resp_no_memory(r);
        goto out;
    }
    if (read_memory_body(r, body, true, &j->b) != 0) {
        memory_job_free(j);
        goto out;
    }
    snprintf(j->wid, sizeof j->wid, "%s", wid);
    embed_then(r, j, j->b.title, j->b.content, create_embedded);
out:
    json_decref(body);
}

void h_memory_get(http_req *r)
{
    resp_data_text(r, 200, memory_text(&api_scope_of(r)->mem));
}

/* n is 0 when the text did not change and a vector is already stored. */
static void update_embedded(http_req *r, void *ctx, embedded_vec *v, size_t n)
{
    memory_job *j = ctx;
    memory_input in;
    memory_row m;
    fill_input(&j->b, &in);
    if (n) {
        if (!j->b.metadata)
            j->b.metadata = json_from_text(j->old.metadata);
        if (!j->b.metadata ||
            api_embed_apply(&v[0], &j->b.metadata, &j->b.metadata_text, &in) != 0) {
            resp_no_memory(r);
            return;
        }
    }
    reply_memory(r, 200, memory_update(j->old.id, &in, &m), &m);
}

void h_memory_update(http_req *r)
{
    json_t *body = NULL;
    memory_job *j = memory_job_new();
    if (!j) {
        resp_no_memory(r);
        return;
    }
    api_scope_take_memory(r, &j->old);
    if (!(body = val_body(r)) || read_memory_body(r, body, false, &j->b) != 0) {
        memory_job_free(j);
        json_decref(body);
        return;
    }
    json_decref(body);
    const memory_body *b = &j->b;
    bool text_changed = (b->title && strcmp(b->title, j->old.title) != 0) ||
                        (b->content && strcmp(b->content, j->old.content) != 0);
    if (!text_changed && j->old.embedding) {
        update_embedded(r, j, NULL, 0);
        memory_job_free(j);
        return;
    }
    embed_then(r, j, b->title ? b->title : j->old.title, b->content ? b->content : j->old.content,
               update_embedded);
}

void h_memory_delete(http_req *r)
{
    st_rc st = memory_delete(req_param(r, 0));
    api_reply_done(r, st, MSG_MEM_NOT_FOUND, "Memory deleted successfully");
}

static void reembed_embedded(http_req *r, void *ctx, embedded_vec *v, size_t n)
{
    memory_job *j = ctx;
    memory_input in;
    memory_row m;
    (void)n;
    memset(&in, 0, sizeof in);
    j->b.metadata = json_from_text(j->old.metadata);
    if (!j->b.metadata ||
        api_embed_apply(&v[0], &j->b.metadata, &j->b.metadata_text, &in) != 0) {
        resp_no_memory(r);
        return;
    }
    reply_memory(r, 200, memory_update(j->old.id, &in, &m), &m);
}

void h_memory_reembed(http_req *r)
{
    memory_job *j = memory_job_new();
    if (!j) {
        resp_no_memory(r);
        return;
    }
    api_scope_take_memory(r, &j->old);
    embed_then(r, j, j->old.title, j->old.content, reembed_embedded);
}
