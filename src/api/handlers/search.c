/* search.c — POST /memories/search (D2): cosine similarity between the
 * query's vector and every memory of the workspace — or of every workspace
 * the caller can access — through the per-workspace vector index, top-K by
 * a bounded heap, scores descending. A blank query lists the newest
 * memories with score 0. "mode" chooses "vector" (the default), "keyword"
 * or "hybrid" (search_hybrid.c). Also the relevance order of the memory
 * list. */
#include "api/access.h"
#include "api/api.h"
#include "api/services/embedding.h"
#include "api/handlers.h"
#include "api/handlers/search.h"
#include "api/shapes/memory_json.h"
#include "api/shapes/serialize.h"
#include "api/validate.h"

#include "embed/index.h"
#include "embed/vec.h"
#include "http/response.h"
#include "util/oom.h"
#include "util/utf8.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SEARCH_WS_MAX 1000
#define RESULT_CONTENT_CHARS 500
#define SEARCH_TRIES 4

static void load_state(void *ctx, int64_t gen, int64_t memory_count, int64_t floor)
{
    idx_set_state(ctx, gen, memory_count, floor);
}

static int load_row(void *ctx, const char *id, const void *vec)
{
    return idx_add(ctx, id, vec);
}

static int load_gone(void *ctx, const char *id)
{
    return idx_remove(ctx, id);
}

typedef struct load_ctx {
    const char *wid;
} load_ctx;

/* The index's loader: the whole workspace (since < 0) or the changes after
 * generation since, with the generation of the same database snapshot. */
static int load_vectors(void *ctx, idx_builder *b, int64_t since)
{
    const embedder *e = api_embedder();
    const load_ctx *lc = ctx;
    memory_vec_visitor v = { load_state, load_row, load_gone, b };
    return memory_vectors(lc->wid, e->name, e->dim, since, &v) == ST_OK ? 0 : -1;
}

static int fetch_row(void *ctx, const char *id, const void *vec, int64_t created_at,
                     int64_t change_seq)
{
    return idx_fetched(ctx, id, vec, created_at, change_seq);
}

/* The index's fetcher: the stored vectors of a search's candidates. */
static int fetch_vectors(void *ctx, const char *const *ids, size_t n, idx_fetch *f)
{
    const embedder *e = api_embedder();
    const load_ctx *lc = ctx;
    return memory_vectors_of(lc->wid, e->name, e->dim, ids, n, fetch_row, f) == ST_OK ? 0 : -1;
}

/* The index of wid at its current generation or newer (caller releases). */
idx_snapshot *api_index_for(const char *wid)
{
    int64_t gen = 0;
    const embedder *e = api_embedder();
    if (!e || memory_generation(wid, &gen) != ST_OK)
        return NULL;
    load_ctx lc = { wid };
    return idx_acquire(wid, gen, e->name, e->dim, load_vectors, &lc);
}

/* One workspace's best k into top (*n): a candidate written since the
 * index was read makes it refresh and search again; the last try takes
 * the stored vectors as they are. */
static int search_index(const char *wid, const float *q, size_t k, idx_hit *top, size_t *n,
                        int64_t *pending)
{
    load_ctx lc = { wid };
    int rc = IDX_STALE;
    for (int t = 0; t < SEARCH_TRIES && rc == IDX_STALE; t++) {
        idx_snapshot *s = api_index_for(wid);
        if (!s)
            return -1;
        rc = idx_search(s, q, k, fetch_vectors, &lc, t == SEARCH_TRIES - 1 ? IDX_LENIENT : 0,
                        top, n);
        if (rc == 0)
            *pending += idx_pending(s);
        idx_release(s);
    }
    return rc;
}

/* Scans one workspace and appends its best k hits. */
static int scan_workspace(const char *wid, const float *q, size_t k, ws_hit *hits, size_t *nhits,
                          int64_t *pending)
{
    idx_hit *top = malloc((k + 1) * sizeof *top);
    size_t n = 0;
    int rc = top ? search_index(wid, q, k, top, &n, pending) : -1;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        ws_hit *h = &hits[(*nhits)++];
        h->score = top[i].score;
        h->created_at = top[i].created_at;
        snprintf(h->wid, sizeof h->wid, "%s", wid);
        snprintf(h->id, sizeof h->id, "%s", top[i].id);
    }
    free(top);
    return rc;
}

/* Score descending; ties in (created_at, id) order, as within a workspace. */
static int hit_cmp(const void *a, const void *b)
{
    const ws_hit *x = a, *y = b;
    if (x->score != y->score)
        return x->score < y->score ? 1 : -1;
    if (x->created_at != y->created_at)
        return x->created_at < y->created_at ? -1 : 1;
    return strcmp(x->id, y->id);
}

json_t *search_result_json(const memory_row *m, double score)
{
    size_t len = strlen(m->content), cut = utf8_prefix(m->content, len, RESULT_CONTENT_CHARS);
    json_t *tags = json_parse(m->tags, strlen(m->tags), 0, NULL);
    return json_pack("{s:s,s:s,s:s#,s:s,s:f,s:o,s:s,s:o}", "id", m->id, "title", m->title,
                     "content", m->content, (int)cut, "snippet", m->snippet, "score", score,
                     "tags", json_is_array(tags) ? tags : (json_decref(tags), json_array()),
                     "workspace_id", m->workspace_id, "created_at", json_ts(m->created_at));
}

/* Blank query: the newest memories, score 0 (D2). Returns 0, or -1 when
 * the results could not be read or built. */
static int recent_results(const char (*wids)[40], size_t nw, size_t k, json_t *results)
{
    int rc = 0;
    for (size_t w = 0; rc == 0 && w < nw && json_array_size(results) < k; w++) {
        memory_row *rows = NULL;
        size_t n = 0;
        if (memory_recent(wids[w], k, &rows, &n) != ST_OK)
            return -1;
        for (size_t i = 0; rc == 0 && i < n && json_array_size(results) < k; i++)
            rc = json_array_append_new(results, search_result_json(&rows[i], 0.0));
        memory_rows_free(rows, n);
    }
    return rc;
}

int search_vector_hits(const char (*wids)[40], size_t nw, const float *q, size_t k,
                       ws_hit **hits, size_t *n, int64_t *pending)
{
    *n = 0;
    *hits = malloc((nw * k + 1) * sizeof **hits);
    int rc = *hits ? 0 : -1;
    for (size_t w = 0; w < nw && rc == 0; w++)
        rc = scan_workspace(wids[w], q, k, *hits, n, pending);
    if (rc == 0)
        qsort(*hits, *n, sizeof **hits, hit_cmp);
    if (*n > k)
        *n = k;
    return rc;
}

static int vector_results(const char (*wids)[40], size_t nw, const float *q, size_t k,
                          json_t *results, int64_t *pending)
{
    ws_hit *hits = NULL;
    size_t nhits = 0;
    int rc = search_vector_hits(wids, nw, q, k, &hits, &nhits, pending);
    for (size_t i = 0; rc == 0 && i < nhits; i++) {
        memory_row m;
        if (memory_get(hits[i].id, &m) != ST_OK)
            continue;   /* deleted since the index was read */
        rc = json_array_append_new(results, search_result_json(&m, hits[i].score));
        memory_row_free(&m);
    }
    free(hits);
    return rc;
}

/* The workspaces to search: the one named (after access checks) or all
 * the caller can access. */
static int search_scope(http_req *r, const char *wid, char (**wids)[40], size_t *nw)
{
    *wids = calloc(wid ? 1 : SEARCH_WS_MAX, sizeof **wids);
    if (!*wids)
        return -1;
    if (wid) {
        ws_role role;
        if (api_ws_allowed(r, wid, RR_MEMBER, &role) != 0)
            return -1;
        snprintf((*wids)[0], sizeof (*wids)[0], "%s", wid);
        *nw = 1;
        return 0;
    }
    if (ws_ids_for_user(r->user->user.id, *wids, SEARCH_WS_MAX, nw) != ST_OK) {
        resp_error(r, 500, "Internal server error");
        return -1;
    }
    return 0;
}

/* What a search keeps while the query's vector is being made. */
typedef struct search_job {
    char (*wids)[40];
    size_t nw, k;
    char *query;
    bool hybrid;
} search_job;

static void search_job_free(void *p)
{
    search_job *j = p;
    free(j->wids);
    free(j->query);
    free(j);
}

static void search_answer(http_req *r, json_t *results, int64_t pending)
{
    const embedder *e = api_embedder();
    resp_data(r, 200, json_pack("{s:O,s:I,s:s,s:I}", "results", results, "total",
                                (json_int_t)json_array_size(results), "embedder",
                                e ? e->name : "", "pendingEmbeddings", (json_int_t)pending));
}

static void search_embedded(http_req *r, void *ctx, embedded_vec *v, size_t n)
{
    search_job *j = ctx;
    json_t *results = json_array();
    int64_t pending = 0;
    (void)n;
    const char (*wids)[40] = (const char (*)[40])j->wids;
    if (!v[0].vec)
        resp_errorf(r, 502, "Search failed: could not embed the query: %s", v[0].err);
    else if (j->hybrid ? search_hybrid(wids, j->nw, j->query, v[0].vec, j->k, results,
                                       &pending) != 0
                       : vector_results(wids, j->nw, v[0].vec, j->k, results, &pending) != 0)
        resp_error(r, 500, "Search failed");
    else
        search_answer(r, results, pending);
    json_decref(results);
}

void h_memories_search(http_req *r)
{
    json_t *body = val_body(r), *errs = json_object(), *results = json_array();
    char *query = NULL, *wid = NULL, *mode = NULL;
    long long k = 5;
    search_job *j = NULL;
    if (!body)
        goto out;
    val_decl_str(body, "MemorySearch", "query", errs, &query);
    val_decl_str(body, "MemorySearch", "workspaceId", errs, &wid);
    val_decl_int(body, "MemorySearch", "top_k", errs, &k);
    val_decl_str(body, "MemorySearch", "mode", errs, &mode);
    if (val_failed(r, errs))
        goto out;
    if (!(j = calloc(1, sizeof *j))) {
        resp_no_memory(r);
        goto out;
    }
    j->k = (size_t)k;
    if (search_scope(r, wid, &j->wids, &j->nw) != 0)
        goto out;
    if (!*query) {
        if (recent_results((const char (*)[40])j->wids, j->nw, j->k, results) != 0)
            resp_error(r, 500, "Search failed");
        else
            search_answer(r, results, 0);
        goto out;
    }
    if (mode && strcmp(mode, "keyword") == 0) {
        if (search_keyword((const char (*)[40])j->wids, j->nw, query, j->k, results) != 0)
            resp_error(r, 500, "Search failed");
        else
            search_answer(r, results, 0);
        goto out;
    }
    j->hybrid = mode && strcmp(mode, "hybrid") == 0;
    j->query = query;
    query = NULL;
    api_embed_then(r, (const char *const *)&j->query, 1, search_embedded, j, search_job_free);
    j = NULL;
out:
    if (j)
        search_job_free(j);
    free(query);
    free(wid);
    free(mode);
    json_decref(results);
    json_decref(body);
    json_decref(errs);
}

typedef struct scored {
    float score;
    size_t i;
    const memory_row *m;
} scored;

/* Score descending; ties in (created_at, id) order, as /memories/search
 * orders them (hit_cmp). */
static int scored_cmp(const void *a, const void *b)
{
    const scored *x = a, *y = b;
    if (x->score != y->score)
        return x->score < y->score ? 1 : -1;
    if (x->m->created_at != y->m->created_at)
        return x->m->created_at < y->m->created_at ? -1 : 1;
    return strcmp(x->m->id, y->m->id);
}

/* What a relevance-ordered list keeps while the search text's vector is
 * being made. */
typedef struct relevance_job {
    char wid[40];
    char *search;
    page pg;
} relevance_job;

static void relevance_job_free(void *p)
{
    relevance_job *j = p;
    free(j->search);
    free(j);
}

static void relevance_embedded(http_req *r, void *ctx, embedded_vec *v, size_t nv)
{
    relevance_job *j = ctx;
    memory_row *rows = NULL;
    size_t n = 0;
    int64_t total = 0;
    const embedded_vec *ev = &v[0];
    (void)nv;
    st_rc st = memory_list(j->wid, j->search, SORT_CREATED, (page){ 0, 0 }, &rows, &n, &total);
    if (st != ST_OK) {
        api_store_error(r, st, NULL);
        return;
    }
    scored *order = calloc(n + 1, sizeof *order);
    for (size_t i = 0; order && i < n; i++) {
        order[i].i = i;
        order[i].m = &rows[i];
        order[i].score = ev->vec && rows[i].embedding && rows[i].dim == ev->dim
                       ? vec_dot(ev->vec, rows[i].embedding, ev->dim) : -2.0f;
    }
    if (order)
        qsort(order, n, sizeof *order, scored_cmp);
    size_t from = (size_t)j->pg.offset, to = j->pg.limit > 0 ? from + (size_t)j->pg.limit : n;
    size_t *pick = calloc(n + 1, sizeof *pick), npick = 0;
    for (size_t i = from; order && pick && i < n && i < to; i++)
        pick[npick++] = order[i].i;
    if (order && pick)
        api_reply_memories(r, rows, pick, npick, (int64_t)n);
    else
        resp_error(r, 500, "Internal server error");
    free(pick);
    free(order);
    memory_rows_free(rows, n);
}

void api_relevance_list(http_req *r, const char *wid, const char *search, page pg)
{
    relevance_job *j = calloc(1, sizeof *j);
    if (!j || !(j->search = strdup(search))) {
        resp_no_memory(r);
        free(j);
        return;
    }
    snprintf(j->wid, sizeof j->wid, "%s", wid);
    j->pg = pg;
    api_embed_then(r, &search, 1, relevance_embedded, j, relevance_job_free);
}
