/* keyword.c — see keyword.h. A fixed table of cache entries under one
 * mutex (lookups, reference counts, eviction); each entry has its own
 * read-write lock: searches share it, a refresh takes it alone. (An
 * exclusive lock held through searches convoyed on busy cores: a holder
 * preempted mid-search stalled every other search of the workspace.) */
#include "api/services/keyword.h"

#include "config.h"
#include "store/memories.h"
#include "store/memory_texts.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

typedef struct kw_entry {
    pthread_rwlock_t lock;      /* shared: search; exclusive: refresh */
    char wid[40];               /* "" = free */
    kw_index *x;                /* NULL: not loaded */
    int64_t gen;
    size_t bytes;               /* kwi_bytes at the last release */
    uint64_t used;
    int refs;
} kw_entry;

static kw_entry cache[KW_CACHE_SLOTS];
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t cache_once = PTHREAD_ONCE_INIT;
static uint64_t cache_clock;

static void cache_init(void)
{
    for (size_t i = 0; i < KW_CACHE_SLOTS; i++)
        pthread_rwlock_init(&cache[i].lock, NULL);
}

static void drop(kw_entry *e)
{
    kwi_free(e->x);
    e->x = NULL;
    e->bytes = 0;
    e->gen = -1;
}

/* The entry of wid, referenced (NULL when every entry is in use). */
static kw_entry *acquire(const char *wid)
{
    pthread_once(&cache_once, cache_init);
    pthread_mutex_lock(&cache_lock);
    kw_entry *e = NULL, *victim = NULL;
    for (size_t i = 0; i < KW_CACHE_SLOTS && !e; i++) {
        kw_entry *c = &cache[i];
        if (c->wid[0] && strcmp(c->wid, wid) == 0)
            e = c;
        else if (c->refs == 0 && (!victim || !c->wid[0] || (victim->wid[0] &&
                                                            c->used < victim->used)))
            victim = c;
    }
    if (!e && (e = victim)) {
        drop(e);
        snprintf(e->wid, sizeof e->wid, "%s", wid);
    }
    if (e) {
        e->refs++;
        e->used = ++cache_clock;
    }
    pthread_mutex_unlock(&cache_lock);
    return e;
}

/* Releases e (its size now known, unless SIZE_MAX) and lets the least recently searched
 * indexes go while the cache holds more than CHIMERA_KEYWORD_INDEX_MEMORY. */
static void release(kw_entry *e, size_t bytes)
{
    pthread_mutex_lock(&cache_lock);
    if (bytes != SIZE_MAX)
        e->bytes = bytes;
    e->refs--;
    for (;;) {
        size_t total = 0;
        kw_entry *lru = NULL;
        for (size_t i = 0; i < KW_CACHE_SLOTS; i++) {
            kw_entry *c = &cache[i];
            total += c->bytes;
            if (c->x && c->refs == 0 && c != e && (!lru || c->used < lru->used))
                lru = c;
        }
        if (total <= cfg.keyword_index_memory || !lru)
            break;
        drop(lru);
        lru->wid[0] = '\0';
    }
    pthread_mutex_unlock(&cache_lock);
}

/* ---- loading ---- */

typedef struct load {
    kw_index *x;
    int64_t since;          /* -1: full load */
    int64_t gen, count;
    bool full_needed;
} load;

static int on_state(void *ctx, int64_t gen, int64_t count, int64_t floor)
{
    load *l = ctx;
    l->gen = gen;
    l->count = count;
    if (l->since >= 0 && l->since < floor) {
        l->full_needed = true;      /* tombstones after since were pruned */
        return 1;
    }
    return 0;
}

static int on_row(void *ctx, const char *id, const char *title, const char *content)
{
    return kwi_put(((load *)ctx)->x, id, title, content);
}

static int on_gone(void *ctx, const char *id)
{
    kwi_remove(((load *)ctx)->x, id);
    return 0;
}

/* Brings e->x from e->gen to the workspace's current state: a delta when
 * it can, else in full. *gone when the workspace does not exist. */
static int refresh(kw_entry *e, const char *wid, bool *gone)
{
    int64_t gen = 0;
    *gone = false;
    st_rc rc = memory_generation(wid, &gen);
    if (rc == ST_NOT_FOUND) {
        *gone = true;
        return 0;
    }
    if (rc != ST_OK)
        return -1;
    if (e->x && e->gen >= gen)
        return 0;
    if (e->x) {
        load l = { e->x, e->gen, 0, 0, false };
        memory_text_visitor v = { on_state, on_row, on_gone, &l };
        rc = memory_texts(wid, e->gen, &v);
        if (rc == ST_OK && (int64_t)kwi_count(e->x) == l.count) {
            e->gen = l.gen;
            return 0;
        }
        drop(e);        /* pruned tombstones, a count that disagrees, or a failure */
    }
    load l = { kwi_new(), -1, 0, 0, false };
    memory_text_visitor v = { on_state, on_row, on_gone, &l };
    rc = l.x ? memory_texts(wid, -1, &v) : ST_DB_ERROR;
    if (rc != ST_OK) {
        kwi_free(l.x);
        *gone = rc == ST_NOT_FOUND;
        return *gone ? 0 : -1;
    }
    e->x = l.x;
    e->gen = l.gen;
    return 0;
}

/* Searches e under the shared lock once it is at least at the workspace's
 * current generation (refreshed under the exclusive lock when behind). */
static int search_entry(kw_entry *e, const char *wid, const term_bag *q, size_t k, kw_hit *out,
                        size_t *n, size_t *bytes)
{
    int64_t gen = 0;
    st_rc st = memory_generation(wid, &gen);
    if (st == ST_NOT_FOUND)
        return 0;
    if (st != ST_OK)
        return -1;
    pthread_rwlock_rdlock(&e->lock);
    if (!e->x || e->gen < gen) {
        pthread_rwlock_unlock(&e->lock);
        pthread_rwlock_wrlock(&e->lock);
        bool gone = false;
        int rc = e->x && e->gen >= gen ? 0 : refresh(e, wid, &gone);
        pthread_rwlock_unlock(&e->lock);
        if (rc != 0 || gone)
            return rc;
        pthread_rwlock_rdlock(&e->lock);    /* only ever moves forward meanwhile */
    }
    int rc = e->x ? kwi_search(e->x, q, k, out, n) : -1;
    *bytes = e->x ? kwi_bytes(e->x) : 0;
    pthread_rwlock_unlock(&e->lock);
    return rc;
}

int kw_search(const char *wid, const term_bag *q, size_t k, kw_hit *out, size_t *n)
{
    *n = 0;
    if (q->n == 0)
        return 0;
    size_t bytes = SIZE_MAX;       /* unknown: the entry keeps its last size */
    kw_entry *e = acquire(wid);
    if (!e) {               /* every entry busy: an index for this search alone */
        kw_entry tmp = { .gen = -1 };
        bool gone = false;
        int rc = refresh(&tmp, wid, &gone);
        if (rc == 0 && !gone)
            rc = kwi_search(tmp.x, q, k, out, n);
        kwi_free(tmp.x);
        return rc;
    }
    int rc = search_entry(e, wid, q, k, out, n, &bytes);
    release(e, bytes);
    return rc;
}

void kw_totals(size_t *workspaces, size_t *bytes)
{
    *workspaces = *bytes = 0;
    pthread_mutex_lock(&cache_lock);
    for (size_t i = 0; i < KW_CACHE_SLOTS; i++)
        if (cache[i].x) {
            ++*workspaces;
            *bytes += cache[i].bytes;
        }
    pthread_mutex_unlock(&cache_lock);
}
