/* bodycache.c — see bodycache.h. One lock guards the table and the LRU
 * list; compression runs outside it. An entry is freed when it has left
 * the table and its last reader released it. */
#include "http/bodycache.h"

#include "http/etag.h"
#include "http/gzip.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define BUCKETS 4096
#define ENTRY_OVERHEAD 128

struct bc_entry {
    char etag[ETAG_MAX];
    char *body, *gz;
    size_t len, gzlen;
    unsigned refs;              /* readers, plus one while in the table */
    bool gz_failed;
    bc_entry *next;             /* bucket chain */
    bc_entry *newer, *older;    /* LRU list */
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static bc_entry *table[BUCKETS];
static bc_entry *newest, *oldest;
static size_t budget, used, count;

static size_t bucket_of(const char *etag)
{
    uint32_t h = 2166136261u;
    for (const unsigned char *p = (const unsigned char *)etag; *p; p++)
        h = (h ^ *p) * 16777619u;
    return h % BUCKETS;
}

static size_t cost(const bc_entry *e)
{
    return e->len + e->gzlen + ENTRY_OVERHEAD;
}

static void entry_free(bc_entry *e)
{
    free(e->body);
    free(e->gz);
    free(e);
}

static void lru_unlink(bc_entry *e)
{
    if (e->newer)
        e->newer->older = e->older;
    else
        newest = e->older;
    if (e->older)
        e->older->newer = e->newer;
    else
        oldest = e->newer;
    e->newer = e->older = NULL;
}

static void lru_push(bc_entry *e)
{
    e->older = newest;
    e->newer = NULL;
    if (newest)
        newest->newer = e;
    newest = e;
    if (!oldest)
        oldest = e;
}

/* Takes e out of the table (lock held); returns true when it can be freed. */
static bool drop(bc_entry *e)
{
    bc_entry **pp = &table[bucket_of(e->etag)];
    while (*pp && *pp != e)
        pp = &(*pp)->next;
    if (*pp)
        *pp = e->next;
    lru_unlink(e);
    used -= cost(e);
    count--;
    return --e->refs == 0;
}

/* Drops the oldest entries until used fits the budget (lock held); the
 * ones no reader holds go to *freed for freeing outside the lock. */
static void evict(bc_entry **freed)
{
    while (used > budget && oldest) {
        bc_entry *e = oldest;
        if (drop(e)) {
            e->next = *freed;
            *freed = e;
        }
    }
}

static void free_list(bc_entry *e)
{
    while (e) {
        bc_entry *next = e->next;
        entry_free(e);
        e = next;
    }
}

void bc_configure(size_t max_bytes)
{
    bc_entry *freed = NULL;
    pthread_mutex_lock(&lock);
    budget = 0;
    evict(&freed);
    budget = max_bytes;
    pthread_mutex_unlock(&lock);
    free_list(freed);
}

bc_entry *bc_lookup(const char *etag)
{
    bc_entry *e;
    pthread_mutex_lock(&lock);
    for (e = table[bucket_of(etag)]; e; e = e->next)
        if (strcmp(e->etag, etag) == 0)
            break;
    if (e) {
        e->refs++;
        lru_unlink(e);
        lru_push(e);
    }
    pthread_mutex_unlock(&lock);
    return e;
}

bc_entry *bc_store(const char *etag, char *body, size_t len)
{
    if (len + ENTRY_OVERHEAD > budget / 4 || strlen(etag) >= ETAG_MAX)
        return NULL;
    bc_entry *e = calloc(1, sizeof *e);
    if (!e)
        return NULL;
    memcpy(e->etag, etag, strlen(etag) + 1);
    e->body = body;
    e->len = len;
    e->refs = 2;                /* the table's and the caller's */
    bc_entry *freed = NULL, *old;
    size_t b = bucket_of(etag);
    pthread_mutex_lock(&lock);
    for (old = table[b]; old; old = old->next)
        if (strcmp(old->etag, etag) == 0)
            break;
    if (old && drop(old)) {     /* a concurrent build of the same answer */
        old->next = freed;
        freed = old;
    }
    e->next = table[b];
    table[b] = e;
    lru_push(e);
    used += cost(e);
    count++;
    evict(&freed);
    pthread_mutex_unlock(&lock);
    free_list(freed);
    return e;
}

const char *bc_body(const bc_entry *e, size_t *len)
{
    *len = e->len;
    return e->body;
}

const char *bc_gzip(bc_entry *e, size_t *len)
{
    pthread_mutex_lock(&lock);
    bool have = e->gz || e->gz_failed;
    pthread_mutex_unlock(&lock);
    if (!have) {
        char *z = NULL;
        size_t zlen = 0;
        bool failed = gzip_compress(e->body, e->len, &z, &zlen) != 0;
        bc_entry *freed = NULL;
        pthread_mutex_lock(&lock);
        if (e->gz || e->gz_failed) {
            free(z);            /* another reader compressed it first */
        } else {
            e->gz = failed ? NULL : z;
            e->gzlen = failed ? 0 : zlen;
            e->gz_failed = failed;
            if (e->newer || e->older || newest == e) {      /* still in the table */
                used += e->gzlen;
                evict(&freed);
            }
        }
        pthread_mutex_unlock(&lock);
        free_list(freed);
    }
    *len = e->gzlen;
    return e->gz;
}

void bc_release(bc_entry *e)
{
    if (!e)
        return;
    pthread_mutex_lock(&lock);
    bool last = --e->refs == 0;
    pthread_mutex_unlock(&lock);
    if (last)
        entry_free(e);
}

void bc_usage(size_t *entries, size_t *bytes)
{
    pthread_mutex_lock(&lock);
    *entries = count;
    *bytes = used;
    pthread_mutex_unlock(&lock);
}
