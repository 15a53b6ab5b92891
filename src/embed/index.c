/* index.c — see index.h. One mutex guards the map from workspace id to its
 * current snapshot; loading and scanning happen outside it. */
#include "embed/index.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define IDX_ID_MAX 40

struct idx_snapshot {
    atomic_int refs;
    char wid[IDX_ID_MAX];
    char model[96];
    int64_t gen;
    int64_t pending;
    size_t dim, n, cap;
    float *rows;                        /* n × dim */
    char (*ids)[IDX_ID_MAX];            /* n ids */
    idx_snapshot *next;                 /* map chain */
};

struct idx_builder {
    idx_snapshot *s;
};

static pthread_mutex_t idx_mu = PTHREAD_MUTEX_INITIALIZER;
static idx_snapshot *idx_head;          /* few workspaces per node: a list */

static void snapshot_free(idx_snapshot *s)
{
    free(s->rows);
    free(s->ids);
    free(s);
}

void idx_release(idx_snapshot *s)
{
    if (s && atomic_fetch_sub(&s->refs, 1) == 1)
        snapshot_free(s);
}

int idx_add(idx_builder *b, const char *id, const void *vec)
{
    idx_snapshot *s = b->s;
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 256;
        float *rows = realloc(s->rows, cap * s->dim * sizeof *rows);
        if (!rows)
            return -1;
        s->rows = rows;
        char (*ids)[IDX_ID_MAX] = realloc(s->ids, cap * sizeof *ids);
        if (!ids)
            return -1;
        s->ids = ids;
        s->cap = cap;
    }
    memcpy(s->rows + s->n * s->dim, vec, s->dim * sizeof(float));
    strncpy(s->ids[s->n], id, IDX_ID_MAX - 1);
    s->ids[s->n][IDX_ID_MAX - 1] = '\0';
    s->n++;
    return 0;
}

/* The cached snapshot for wid (with a reference taken), or NULL. */
static idx_snapshot *lookup(const char *wid, int64_t gen, const char *model, size_t dim)
{
    idx_snapshot *hit = NULL;
    pthread_mutex_lock(&idx_mu);
    for (idx_snapshot *s = idx_head; s; s = s->next) {
        if (strcmp(s->wid, wid) == 0 && s->gen == gen && s->dim == dim &&
            strcmp(s->model, model) == 0) {
            atomic_fetch_add(&s->refs, 1);
            hit = s;
            break;
        }
    }
    pthread_mutex_unlock(&idx_mu);
    return hit;
}

/* Replaces wid's entry with s (the map keeps one reference). */
static void publish(idx_snapshot *s)
{
    pthread_mutex_lock(&idx_mu);
    idx_snapshot **pp = &idx_head;
    while (*pp && strcmp((*pp)->wid, s->wid) != 0)
        pp = &(*pp)->next;
    idx_snapshot *old = *pp;
    if (old && old->gen > s->gen) {      /* a newer load won the race */
        pthread_mutex_unlock(&idx_mu);
        return;
    }
    atomic_fetch_add(&s->refs, 1);
    s->next = old ? old->next : NULL;
    *pp = s;
    pthread_mutex_unlock(&idx_mu);
    idx_release(old);
}

idx_snapshot *idx_acquire(const char *wid, int64_t gen, const char *model, size_t dim,
                          idx_loader load, void *ctx)
{
    idx_snapshot *s = lookup(wid, gen, model, dim);
    if (s)
        return s;
    s = calloc(1, sizeof *s);
    if (!s || strlen(wid) >= IDX_ID_MAX || strlen(model) >= sizeof s->model || dim == 0) {
        free(s);
        return NULL;
    }
    atomic_init(&s->refs, 1);
    memcpy(s->wid, wid, strlen(wid) + 1);
    memcpy(s->model, model, strlen(model) + 1);
    s->gen = gen;
    s->dim = dim;
    idx_builder b = { s };
    if (load(ctx, &b, &s->pending) != 0) {
        snapshot_free(s);
        return NULL;
    }
    publish(s);
    return s;
}

size_t idx_search(const idx_snapshot *s, const float *q, size_t k, vec_hit *out)
{
    return vec_topk(q, s->rows, s->n, s->dim, k, out);
}

const char *idx_id(const idx_snapshot *s, uint32_t row) { return row < s->n ? s->ids[row] : ""; }
size_t idx_count(const idx_snapshot *s) { return s->n; }
int64_t idx_pending(const idx_snapshot *s) { return s->pending; }
int64_t idx_generation(const idx_snapshot *s) { return s->gen; }
size_t idx_bytes(const idx_snapshot *s) { return s->cap * (s->dim * sizeof(float) + IDX_ID_MAX); }

void idx_drop(const char *wid)
{
    pthread_mutex_lock(&idx_mu);
    idx_snapshot **pp = &idx_head, *dropped = NULL;
    while (*pp) {
        idx_snapshot *s = *pp;
        if (!wid || strcmp(s->wid, wid) == 0) {
            *pp = s->next;
            s->next = dropped;
            dropped = s;
        } else {
            pp = &s->next;
        }
    }
    pthread_mutex_unlock(&idx_mu);
    while (dropped) {
        idx_snapshot *next = dropped->next;
        idx_release(dropped);
        dropped = next;
    }
}

void idx_totals(size_t *workspaces, size_t *vectors, size_t *bytes)
{
    *workspaces = *vectors = *bytes = 0;
    pthread_mutex_lock(&idx_mu);
    for (idx_snapshot *s = idx_head; s; s = s->next) {
        (*workspaces)++;
        *vectors += s->n;
        *bytes += idx_bytes(s);
    }
    pthread_mutex_unlock(&idx_mu);
}
