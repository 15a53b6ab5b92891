/* mcp.c — the legacy / MCP endpoints as D8 decides: real, authenticated,
 * and scoped to the caller's workspaces (API.md §10). remember stores a
 * memory (in the caller's most recently updated workspace by default);
 * search is the semantic search of D2; the index endpoints report and rebuild the
 * vector index. */
#include "api/access.h"
#include "api/api.h"
#include "api/services/embedding.h"
#include "api/handlers.h"
#include "api/shapes/memory_json.h"
#include "api/shapes/serialize.h"
#include "api/validate.h"

#include "config.h"
#include "embed/index.h"
#include "http/response.h"
#include "llm/provider.h"
#include "store/conversations.h"
#include "util/jsonx.h"
#include "util/oom.h"
#include "util/utf8.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MCP_WS_MAX 1000

void h_models_legacy(http_req *r)
{
    json_t *models = json_object();
    const char *name;
    llm_provider p;
    for (size_t i = 0; llm_route_at(i, &name, &p) == 0; i++)
        models = json_put(models, name, json_string(llm_provider_name(p)));
    resp_data(r, 200, json_pack("{s:o,s:I}", "models", models, "total",
                                (json_int_t)json_object_size(models)));
}

/* A workspace_id that is there but no string (a number, a list …) is
 * refused (400 {"workspace_id": […]}) rather than taken as absent, which
 * would write to, or read, another workspace than the caller named; null
 * and "" are absent. -1 when answered. */
static int mcp_wid_type(http_req *r, const json_t *body)
{
    const json_t *v = json_object_get(body, "workspace_id");
    if (!v || json_is_null(v) || json_is_string(v))
        return 0;
    json_t *errs = json_object();
    if (!errs) {
        resp_no_memory(r);
        return -1;
    }
    val_error(errs, "workspace_id", "Not a valid string.");
    resp_fields(r, errs);
    return -1;
}

/* The workspace a remember/inject call targets: workspace_id (checked) or
 * the caller's most recently updated one. */
static int mcp_workspace(http_req *r, json_t *body, bool write, char wid[40])
{
    json_t *v = json_object_get(body, "workspace_id");
    ws_role role;
    if (mcp_wid_type(r, body) != 0)
        return -1;
    if (json_is_string(v) && json_string_length(v)) {
        snprintf(wid, 40, "%s", json_string_value(v));
        return api_ws_allowed(r, wid, write ? RR_WRITER : RR_MEMBER, &role);
    }
    size_t n = 0;
    char ids[1][40];
    if (ws_ids_for_user(r->user->user.id, ids, 1, &n) != ST_OK) {
        resp_error(r, 500, "Internal server error");
        return -1;
    }
    if (n == 0) {
        resp_error(r, 400, "No workspace available");
        return -1;
    }
    memcpy(wid, ids[0], 40);
    return write ? api_ws_allowed(r, wid, RR_WRITER, &role) : 0;
}

/* The title a remembered item gets: its own (cut to 255 characters), or
 * the first 50 characters of its text. malloc'd. */
static char *remember_title(json_t *item)
{
    const char *text = json_string_value(json_object_get(item, "text"));
    const char *title = json_string_value(json_object_get(item, "title"));
    size_t tstart;
    if (title && utf8_strip(title, strlen(title), &tstart) > 0) {
        size_t len = strlen(title);
        return strndup(title, utf8_prefix(title, len, 255));    /* the title limit */
    }
    size_t len = strlen(text), cut = utf8_prefix(text, len, 50);
    char *t = malloc(cut + 4);
    if (t)
        snprintf(t, cut + 4, "%.*s%s", (int)cut, text, cut < len ? "..." : "");
    return t;
}

/* Stores one remembered item with its vector; returns the new row via out. */
static st_rc remember_store(const char *wid, json_t *item, const char *title,
                            const embedded_vec *ev, memory_row *out)
{
    const char *text = json_string_value(json_object_get(item, "text"));
    json_t *tags = json_object_get(item, "tags"), *meta = json_object_get(item, "metadata");
    json_t *clean = json_array();
    size_t i;
    json_t *t;
    if (json_is_array(tags))
        json_array_foreach(tags, i, t)
            if (json_is_string(t) && json_string_length(t))
                json_array_append(clean, t);
    const char **list = json_string_list(clean);
    json_t *m = json_is_object(meta) ? json_deep_copy(meta) : json_object();
    char *tags_text = json_dumps_whole(clean, JSON_COMPACT), *meta_text = NULL;
    memory_input in = { .title = title, .content = text, .tags = tags_text, .tag_list = list,
                        .ntags = json_array_size(clean) };
    api_embed_apply(ev, &m, &meta_text, &in);
    if (!meta_text)
        in.metadata = meta_text = json_dumps_whole(m, JSON_COMPACT);
    st_rc st = list && tags_text ? memory_create(wid, &in, out) : ST_DB_ERROR;
    free(tags_text);
    free(meta_text);
    free(list);
    json_decref(m);
    json_decref(clean);
    return st;
}

/* text must hold something besides whitespace (the content rule of §5.6). */
static int text_ok(json_t *item)
{
    json_t *t = json_object_get(item, "text");
    size_t start;
    return json_is_string(t) &&
           utf8_strip(json_string_value(t), json_string_length(t), &start) > 0;
}

/* What remember and batch-remember keep while the vectors are being made. */
typedef struct remember_job {
    char wid[40];
    json_t *items;              /* the items (objects with text) */
    char **titles;
    bool batch;                 /* answer as batch-remember */
} remember_job;

static void remember_job_free(void *p)
{
    remember_job *j = p;
    for (size_t i = 0; j->titles && i < json_array_size(j->items); i++)
        free(j->titles[i]);
    free(j->titles);
    json_decref(j->items);
    free(j);
}

static void remember_embedded(http_req *r, void *ctx, embedded_vec *v, size_t n)
{
    remember_job *j = ctx;
    json_t *created = json_array();
    memory_row m;
    st_rc st = ST_OK;
    for (size_t i = 0; i < n; i++) {
        if ((st = remember_store(j->wid, json_array_get(j->items, i), j->titles[i], &v[i],
                                 &m)) != ST_OK)
            continue;
        created = json_push(created, j->batch
            ? json_pack("{s:s,s:s,s:s}", "id", m.id, "title", m.title, "status", "saved")
            : json_pack("{s:s,s:s,s:s,s:s,s:o}", "id", m.id, "title", m.title, "status", "saved",
                        "workspace_id", m.workspace_id, "created_at", json_ts(m.created_at)));
        memory_row_free(&m);
    }
    if (j->batch)
        resp_data(r, 201, json_pack("{s:I,s:o}", "created", (json_int_t)json_array_size(created),
                                    "memories", created));
    else if (st != ST_OK)
        api_store_error(r, st, NULL);
    else
        resp_data(r, 201, json_incref(json_array_get(created, 0)));
    if (!j->batch)
        json_decref(created);
}

/* Titles and texts of every item, then the vectors, then remember_embedded. */
static void remember_items(http_req *r, const char *wid, json_t *items, bool batch)
{
    size_t n = json_array_size(items);
    remember_job *j = calloc(1, sizeof *j);
    const char **texts = calloc(n + 1, sizeof *texts);
    char **owned = calloc(n + 1, sizeof *owned);
    int bad = !j || !texts || !owned || !(j->titles = calloc(n + 1, sizeof *j->titles));
    if (j)
        j->items = json_incref(items);
    for (size_t i = 0; !bad && i < n; i++) {
        json_t *item = json_array_get(items, i);
        bad = !(j->titles[i] = remember_title(item)) ||
              !(owned[i] = api_memory_text(j->titles[i],
                                           json_string_value(json_object_get(item, "text"))));
        texts[i] = owned[i];
    }
    if (bad) {
        resp_no_memory(r);
        if (j)
            remember_job_free(j);
    } else {
        snprintf(j->wid, sizeof j->wid, "%s", wid);
        j->batch = batch;
        api_embed_then(r, texts, n, remember_embedded, j, remember_job_free);
    }
    for (size_t i = 0; owned && i < n; i++)
        free(owned[i]);
    free(owned);
    free(texts);
}

void h_mcp_remember(http_req *r)
{
    json_t *body = val_body(r);
    char wid[40];
    if (!body)
        return;
    if (!text_ok(body))
        resp_error(r, 400, "text required");
    else if (mcp_workspace(r, body, true, wid) == 0) {
        json_t *one = json_pack("[O]", body);
        remember_items(r, wid, one, false);
        json_decref(one);
    }
    json_decref(body);
}

void h_mcp_batch_remember(http_req *r)
{
    json_t *body = val_body(r), *items = body ? json_object_get(body, "memories") : NULL;
    char wid[40];
    size_t i;
    json_t *item;
    if (!body)
        return;
    if (!json_is_array(items)) {
        resp_error(r, 400, "memories array required");
        goto out;
    }
    json_array_foreach(items, i, item) {
        if (!json_is_object(item) || !text_ok(item)) {
            resp_errorf(r, 400, "memories[%zu]: text required", i);
            goto out;
        }
    }
    if (json_array_size(items) == 0)
        resp_data(r, 201, json_pack("{s:i,s:[]}", "created", 0, "memories"));
    else if (mcp_workspace(r, body, true, wid) == 0)
        remember_items(r, wid, items, true);
out:
    json_decref(body);
}

void h_mcp_search(http_req *r)
{
    /* The same search as POST /memories/search (mode included), with the
     * legacy field names mapped. */
    json_t *body = val_body(r);
    if (!body)
        return;
    json_t *q = json_object_get(body, "query");
    if (!json_is_string(q) || !json_string_length(q)) {
        resp_error(r, 400, "query required");
        json_decref(body);
        return;
    }
    if (mcp_wid_type(r, body) != 0) {
        json_decref(body);
        return;
    }
    json_t *mapped = json_pack("{s:O}", "query", q);
    json_t *wid = json_object_get(body, "workspace_id"), *k = json_object_get(body, "top_k");
    json_t *mode = json_object_get(body, "mode");
    if (json_is_string(wid) && json_string_length(wid))
        mapped = json_put(mapped, "workspaceId", json_incref(wid));
    if (k)
        mapped = json_put(mapped, "top_k", json_incref(k));
    if (mode)
        mapped = json_put(mapped, "mode", json_incref(mode));
    char *text = json_dumps_whole(mapped, JSON_COMPACT);
    if (!text) {        /* never a search that lost its workspace or mode */
        json_decref(mapped);
        json_decref(body);
        resp_no_memory(r);
        return;
    }
    buf_reset(&r->body);
    int rc = buf_puts(&r->body, text);
    free(text);
    json_decref(mapped);
    json_decref(body);
    if (rc != 0)
        resp_no_memory(r);
    else
        h_memories_search(r);
}

static json_t *tags_of(const memory_row *m)
{
    unsigned long oom = oom_failures();
    json_t *t = json_parse(m->tags, strlen(m->tags), 0, NULL);
    if (!t && oom_failures() != oom)
        return NULL;        /* the answer fails rather than show no tags */
    if (!json_is_array(t)) {
        json_decref(t);
        t = json_array();
    }
    return t;
}

void h_mcp_inject(http_req *r)
{
    json_t *body = val_body(r), *errs = json_object();
    long long max = 10;
    char wid[40];
    memory_row *rows = NULL;
    size_t n = 0;
    if (!body)
        goto out;
    if (val_decl_int(body, "McpInject", "max_memories", errs, &max) < 0) {
        resp_fields(r, json_incref(errs));
        goto out;
    }
    if (mcp_workspace(r, body, false, wid) != 0)
        goto out;
    if (memory_recent(wid, (size_t)max, &rows, &n) != ST_OK) {
        resp_error(r, 500, "Internal server error");
        goto out;
    }
    buf ctx = BUF_INIT(0);
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++) {
        if (buf_printf(&ctx, "%s- %s: %s", i ? "\n" : "", rows[i].title, rows[i].content) != 0)
            items = json_push(items, NULL);     /* the context would be short */
        items = json_push(items, json_pack("{s:s,s:s,s:s,s:o,s:o}", "id", rows[i].id,
                              "title", rows[i].title, "content", rows[i].content,
                              "tags", tags_of(&rows[i]),
                              "created_at", json_ts(rows[i].created_at)));
    }
    resp_data(r, 200, json_pack("{s:s,s:I,s:o}", "injected_context",
                                n ? ctx.p : "No memories found.", "memory_count", (json_int_t)n,
                                "memories", items));
    buf_free(&ctx);
    memory_rows_free(rows, n);
out:
    json_decref(body);
    json_decref(errs);
}

void h_mcp_list_memories(http_req *r)
{
    const char *cid = req_query(r, "conversation_id");
    const char *lim = req_query(r, "limit"), *off = req_query(r, "offset");
    conv_row c;
    ws_role role;
    if (!cid || !*cid) {
        resp_error(r, 400, "conversation_id required");
        return;
    }
    st_rc st = conv_get(cid, true, &c);
    if (st != ST_OK) {
        api_store_error(r, st, "Conversation not found");
        return;
    }
    if (api_ws_allowed(r, c.workspace_id, RR_MEMBER, &role) != 0) {
        conv_row_free(&c);
        return;
    }
    long limit = lim ? strtol(lim, NULL, 10) : 20, offset = off ? strtol(off, NULL, 10) : 0;
    limit = limit < 1 ? 20 : limit > 1000 ? 1000 : limit;
    offset = offset < 0 ? 0 : offset;
    jsonw w;
    size_t shown = 0;
    jw_init(&w);
    jw_obj(&w);
    jw_key(&w, "memories");
    jw_arr(&w);
    for (size_t i = (size_t)offset; i < c.ninjections && shown < (size_t)limit; i++) {
        memory_row m;
        if (memory_get(c.injections[i].memory_id, &m) == ST_OK) {
            write_memory(&w, &m);
            shown++;
            memory_row_free(&m);
        }
    }
    jw_arr_end(&w);
    jw_kint(&w, "total", (int64_t)c.ninjections);
    jw_kint(&w, "limit", limit);
    jw_kint(&w, "offset", offset);
    jw_obj_end(&w);
    resp_data_text(r, 200, jw_finish(&w));
    conv_row_free(&c);
}

/* This node's index cache as a whole (all workspaces, not only the
 * caller's): its budget and bytes, and the counters since start
 * (candidates: rows whose stored vectors searches read back). */
static json_t *cache_json(void)
{
    idx_stats st;
    idx_stats_get(&st);
    return json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}",
                     "budget", (json_int_t)cfg.index_memory, "bytes", (json_int_t)st.bytes,
                     "workspaces", (json_int_t)st.workspaces, "hits", (json_int_t)st.hits,
                     "misses", (json_int_t)st.full_loads, "deltaLoads", (json_int_t)st.delta_loads,
                     "evictions", (json_int_t)st.evictions, "searches", (json_int_t)st.searches,
                     "candidates", (json_int_t)st.candidates);
}

/* Rebuilds (or reports) the index of every workspace the caller can
 * access: counts, pending re-embeddings, memory used; and the cache. */
static void index_report(http_req *r, bool rebuild)
{
    char (*wids)[40] = calloc(MCP_WS_MAX, sizeof *wids);
    size_t nw = 0;
    if (!wids || ws_ids_for_user(r->user->user.id, wids, MCP_WS_MAX, &nw) != ST_OK) {
        free(wids);
        resp_error(r, 500, "Internal server error");
        return;
    }
    json_t *list = json_array();
    int64_t vectors = 0, pending = 0, bytes = 0;
    for (size_t i = 0; i < nw; i++) {
        if (rebuild)
            idx_drop(wids[i]);
        struct idx_snapshot *s = api_index_for(wids[i]);
        if (!s)
            continue;
        vectors += (int64_t)idx_count(s);
        pending += idx_pending(s);
        bytes += (int64_t)idx_bytes(s);
        list = json_push(list, json_pack("{s:s,s:I,s:I,s:I,s:I}", "workspace_id", wids[i],
                              "vectors", (json_int_t)idx_count(s),
                              "pendingEmbeddings", (json_int_t)idx_pending(s),
                              "generation", (json_int_t)idx_generation(s),
                              "bytes", (json_int_t)idx_bytes(s)));
        idx_release(s);
    }
    free(wids);
    const embedder *e = api_embedder();
    json_t *o = json_pack("{s:s,s:I,s:I,s:I,s:I,s:o,s:o}", "embedder", e ? e->name : "",
                          "dimension", (json_int_t)(e ? e->dim : 0), "vectors", (json_int_t)vectors,
                          "pendingEmbeddings", (json_int_t)pending, "bytes", (json_int_t)bytes,
                          "workspaces", list, "cache", cache_json());
    if (rebuild)
        o = json_put(o, "message", json_string("Index rebuilt successfully"));
    resp_data(r, 200, o);
}

void h_mcp_index_status(http_req *r)
{
    index_report(r, false);
}

void h_mcp_index_rebuild(http_req *r)
{
    index_report(r, true);
}
