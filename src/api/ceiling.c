/* ceiling.c — the cluster-wide per-user ceiling; see ceiling.h. A bounded
 * open-addressing table of users seen this minute, one mutex; the flush
 * copies the unflushed counts out under the lock and talks to the
 * database without it. */
#include "api/ceiling.h"

#include "store/counters.h"
#include "util/log.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CEIL_SLOTS 16384            /* users active in one minute on one node */
#define CEIL_PROBE 16
#define CEIL_UID_MAX 48
#define WINDOW_US 60000000LL

typedef struct ceil_entry {
    char uid[CEIL_UID_MAX];         /* "" = empty */
    int64_t window;                 /* minute of the epoch */
    int64_t count;                  /* requests admitted here this window */
    int64_t flushed;                /* ... of which the database has */
    int64_t others;                 /* the other nodes' count, as last learned */
} ceil_entry;

typedef struct ceil_pending {
    char uid[CEIL_UID_MAX];
    int64_t window, delta;
} ceil_pending;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static ceil_entry *slots;
static ceil_pending *pending;       /* the flush's scratch list */

static uint64_t uid_hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL;        /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

/* Eviction order: empty, then past windows, then the fewest unflushed. */
static int64_t victim_score(const ceil_entry *e, int64_t window)
{
    if (!e->uid[0] || e->window < window)
        return INT64_MIN;
    return e->count - e->flushed;
}

/* uid's entry for window, or NULL. Caller holds mu. */
static ceil_entry *entry_find(const char *uid, int64_t window)
{
    uint64_t h = uid_hash(uid);
    for (size_t i = 0; slots && i < CEIL_PROBE; i++) {
        ceil_entry *e = &slots[(h + i) & (CEIL_SLOTS - 1)];
        if (e->uid[0] && e->window == window && strcmp(e->uid, uid) == 0)
            return e;
    }
    return NULL;
}

/* uid's entry for window (reset when from an older window), or NULL when
 * the table cannot be allocated. Caller holds mu. */
static ceil_entry *entry_for(const char *uid, int64_t window)
{
    if (!slots && !(slots = calloc(CEIL_SLOTS, sizeof *slots)))
        return NULL;
    uint64_t h = uid_hash(uid);
    ceil_entry *victim = NULL;
    for (size_t i = 0; i < CEIL_PROBE; i++) {
        ceil_entry *e = &slots[(h + i) & (CEIL_SLOTS - 1)];
        if (e->uid[0] && strcmp(e->uid, uid) == 0) {
            victim = e;
            break;
        }
        if (!victim || victim_score(e, window) < victim_score(victim, window))
            victim = e;
    }
    if (strcmp(victim->uid, uid) != 0 || victim->window != window) {
        memset(victim, 0, sizeof *victim);
        snprintf(victim->uid, sizeof victim->uid, "%s", uid);
        victim->window = window;
    }
    return victim;
}

int64_t ceiling_window(int64_t now_us)
{
    return now_us / WINDOW_US;
}

int ceiling_hit(const char *user_id, int limit, int64_t now_us)
{
    int64_t window = now_us / WINDOW_US;
    int wait = 0;
    pthread_mutex_lock(&mu);
    ceil_entry *e = entry_find(user_id, window);
    if (!e)
        wait = CEIL_UNKNOWN;
    else if (e->others + e->count >= limit)
        wait = (int)(((window + 1) * WINDOW_US - now_us + 999999) / 1000000);
    else
        e->count++;
    pthread_mutex_unlock(&mu);
    return wait;
}

void ceiling_seed(const char *user_id, int64_t cluster_count, int64_t now_us)
{
    pthread_mutex_lock(&mu);
    ceil_entry *e = entry_for(user_id, now_us / WINDOW_US);
    if (e && cluster_count > e->flushed)
        e->others = cluster_count - e->flushed;
    pthread_mutex_unlock(&mu);
}

/* Copies the unflushed counts of the current window out and marks them
 * flushed. Caller holds mu. */
static size_t take_pending(int64_t window)
{
    size_t n = 0;
    for (size_t i = 0; slots && i < CEIL_SLOTS; i++) {
        ceil_entry *e = &slots[i];
        if (!e->uid[0] || e->window != window || e->count == e->flushed)
            continue;
        memcpy(pending[n].uid, e->uid, sizeof e->uid);
        pending[n].window = window;
        pending[n].delta = e->count - e->flushed;
        e->flushed = e->count;
        n++;
    }
    return n;
}

/* The cluster's total for p's window includes every count this node
 * flushed, so the others' share is the rest. A failed flush is undone. */
static void learn(const ceil_pending *p, int64_t total, bool failed)
{
    pthread_mutex_lock(&mu);
    ceil_entry *e = entry_for(p->uid, p->window);
    if (e && failed)
        e->flushed -= p->delta < e->flushed ? p->delta : e->flushed;
    else if (e)
        e->others = total > e->flushed ? total - e->flushed : 0;
    pthread_mutex_unlock(&mu);
}

int ceiling_flush(ceiling_key_fn key_fn, int64_t now_us)
{
    int64_t window = now_us / WINDOW_US;
    pthread_mutex_lock(&mu);
    if (!pending)
        pending = malloc(CEIL_SLOTS * sizeof *pending);
    size_t n = pending ? take_pending(window) : 0;
    pthread_mutex_unlock(&mu);
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        char id[128];
        int64_t total = 0, end = 0;
        key_fn(pending[i].uid, pending[i].window, id, sizeof id);
        bool failed = rc < 0 || counter_add(id, pending[i].delta,
                                            (window + 1) * WINDOW_US - now_us, now_us,
                                            &total, &end) != ST_OK;
        if (failed && rc == 0)
            log_warn("ceiling: cannot flush request counts to the database");
        rc = failed ? -1 : rc + 1;
        learn(&pending[i], total, failed);
    }
    return rc;
}

void ceiling_reset(void)
{
    pthread_mutex_lock(&mu);
    free(slots);
    free(pending);
    slots = NULL;
    pending = NULL;
    pthread_mutex_unlock(&mu);
}
