/* search_hybrid.c — the "keyword" and "hybrid" modes of POST
 * /memories/search (and /mcp/search). keyword: per workspace the memories
 * holding every term of the query (util/terms.h) ranked by BM25
 * (api/services/keyword.c), merged by score. hybrid: the vector ranking
 * and the keyword ranking, each about 2 x top_k deep, fused by reciprocal
 * rank (util/ranking.h); one source document (the page or file an import
 * came from, metadata source_url / original_filename) takes at most
 * HYBRID_PER_SOURCE places, so one long import cannot crowd out the rest.
 * Scores are in [0, 1], descending. */
#include "api/handlers/search.h"

#include "api/services/keyword.h"
#include "util/oom.h"
#include "util/ranking.h"
#include "util/terms.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Each ranking is read 2k deep, at least HYBRID_DEPTH_MIN and at most
 * HYBRID_DEPTH_MAX (top_k's maximum). */
#define HYBRID_DEPTH_MIN 20
#define HYBRID_DEPTH_MAX 100
#define HYBRID_PER_SOURCE 2

typedef struct kw_ws_hit {
    kw_hit h;
    char wid[40];
} kw_ws_hit;

static int kw_hit_cmp(const void *a, const void *b)
{
    const kw_ws_hit *x = a, *y = b;
    if (x->h.score != y->h.score)
        return x->h.score < y->h.score ? 1 : -1;
    return strcmp(x->h.id, y->h.id);
}

/* The best k keyword hits over the workspaces, score descending, into
 * *hits (caller frees); *n of them. */
static int keyword_hits(const char (*wids)[40], size_t nw, const char *query, size_t k,
                        kw_ws_hit **hits, size_t *n)
{
    term_bag q = TERM_BAG_INIT;
    kw_hit *one = malloc((k + 1) * sizeof *one);
    *n = 0;
    *hits = malloc((nw * k + 1) * sizeof **hits);
    int rc = one && *hits && terms_add(&q, query, strlen(query), 1) == 0 ? 0 : -1;
    terms_finish(&q);
    for (size_t w = 0; w < nw && rc == 0; w++) {
        size_t got = 0;
        rc = kw_search(wids[w], &q, k, one, &got);
        for (size_t i = 0; rc == 0 && i < got; i++) {
            (*hits)[*n].h = one[i];
            snprintf((*hits)[*n].wid, sizeof (*hits)[*n].wid, "%s", wids[w]);
            (*n)++;
        }
    }
    if (rc == 0)
        qsort(*hits, *n, sizeof **hits, kw_hit_cmp);
    if (*n > k)
        *n = k;
    free(one);
    terms_free(&q);
    return rc;
}

int search_keyword(const char (*wids)[40], size_t nw, const char *query, size_t k,
                   json_t *results)
{
    kw_ws_hit *hits = NULL;
    size_t n = 0;
    int rc = keyword_hits(wids, nw, query, k, &hits, &n);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        memory_row m;
        if (memory_get(hits[i].h.id, &m) != ST_OK)
            continue;   /* deleted since the postings were read */
        rc = json_array_append_new(results, search_result_json(&m, hits[i].h.score));
        memory_row_free(&m);
    }
    free(hits);
    return rc;
}

typedef struct fused {
    char id[40];
    size_t rank[2];         /* 1-based place in the vector and keyword lists; 0: absent */
    double score;
} fused;

static int fused_cmp(const void *a, const void *b)
{
    const fused *x = a, *y = b;
    if (x->score != y->score)
        return x->score < y->score ? 1 : -1;
    size_t xv = x->rank[0] ? x->rank[0] : SIZE_MAX, yv = y->rank[0] ? y->rank[0] : SIZE_MAX;
    if (xv != yv)
        return xv < yv ? -1 : 1;
    return strcmp(x->id, y->id);
}

/* Places id in list l at rank (adding it to f when new). */
static void place(fused *f, size_t *n, const char *id, int l, size_t rank)
{
    for (size_t i = 0; i < *n; i++)
        if (strcmp(f[i].id, id) == 0) {
            f[i].rank[l] = rank;
            return;
        }
    fused *x = &f[(*n)++];
    memset(x, 0, sizeof *x);
    snprintf(x->id, sizeof x->id, "%s", id);
    x->rank[l] = rank;
}

/* The source document of m ("url:…" or "file:…" into key), or 0 when it
 * is its own source. */
static int source_of(const memory_row *m, char *key, size_t keysz)
{
    json_t *md = json_parse(m->metadata, strlen(m->metadata), 0, NULL);
    const char *url = json_string_value(json_object_get(md, "source_url"));
    const char *type = json_string_value(json_object_get(md, "source_type"));
    const char *file = json_string_value(json_object_get(md, "original_filename"));
    int has = 0;
    if (url && *url)
        has = snprintf(key, keysz, "url:%s", url) > 0;
    else if (type && file && strcmp(type, "file") == 0)
        has = snprintf(key, keysz, "file:%s", file) > 0;
    json_decref(md);
    return has;
}

/* Appends the fused results in order, HYBRID_PER_SOURCE per source at
 * most, until k. Returns 0, or -1 out of memory (results then short). */
static int capped_results(const fused *f, size_t n, size_t k, json_t *results)
{
    char (*seen)[300] = calloc(k + 1, sizeof *seen);
    size_t nseen = 0;
    unsigned *count = calloc(k + 1, sizeof *count);
    int rc = seen && count ? 0 : -1;
    for (size_t i = 0; rc == 0 && i < n && json_array_size(results) < k; i++) {
        memory_row m;
        char key[300];
        if (memory_get(f[i].id, &m) != ST_OK)
            continue;   /* deleted since the rankings were read */
        size_t s = nseen;
        if (source_of(&m, key, sizeof key)) {
            for (s = 0; s < nseen && strcmp(seen[s], key) != 0; s++)
                ;
            if (s == nseen)
                snprintf(seen[nseen++], sizeof seen[0], "%s", key);
        }
        if (s < nseen && count[s]++ >= HYBRID_PER_SOURCE) {
            memory_row_free(&m);
            continue;
        }
        rc = json_array_append_new(results, search_result_json(&m, f[i].score));
        memory_row_free(&m);
    }
    free(seen);
    free(count);
    return rc;
}

int search_hybrid(const char (*wids)[40], size_t nw, const char *query, const float *q,
                  size_t k, json_t *results, int64_t *pending)
{
    size_t depth = 2 * k, nv = 0, nk = 0, n = 0;
    depth = depth < HYBRID_DEPTH_MIN ? HYBRID_DEPTH_MIN
          : depth > HYBRID_DEPTH_MAX ? HYBRID_DEPTH_MAX : depth;
    ws_hit *vh = NULL;
    kw_ws_hit *kh = NULL;
    fused *f = NULL;
    int rc = search_vector_hits(wids, nw, q, depth, &vh, &nv, pending);
    if (rc == 0)
        rc = keyword_hits(wids, nw, query, depth, &kh, &nk);
    if (rc == 0 && !(f = calloc(nv + nk + 1, sizeof *f)))
        rc = -1;
    for (size_t i = 0; rc == 0 && i < nv; i++)
        place(f, &n, vh[i].id, 0, i + 1);
    for (size_t i = 0; rc == 0 && i < nk; i++)
        place(f, &n, kh[i].h.id, 1, i + 1);
    for (size_t i = 0; rc == 0 && i < n; i++)
        f[i].score = rrf_score(f[i].rank, 2);
    if (rc == 0) {
        qsort(f, n, sizeof *f, fused_cmp);
        rc = capped_results(f, n, k, results);
    }
    free(vh);
    free(kh);
    free(f);
    return rc;
}
