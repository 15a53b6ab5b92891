/* ratelimit.c — see ratelimit.h. */
#include "http/ratelimit.h"

#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define PROBE 16

typedef struct rl_entry {
    uint64_t h;             /* 0 = empty */
    int64_t until_us;       /* window end */
    int count;
} rl_entry;

struct ratelimit {
    pthread_mutex_t mu;
    size_t mask;
    unsigned char hkey[crypto_shorthash_KEYBYTES];
    rl_entry *slots;
};

ratelimit *ratelimit_new(size_t capacity)
{
    size_t cap = 64;
    if (capacity > ((size_t)1 << 30))
        capacity = (size_t)1 << 30;
    while (cap < capacity)
        cap <<= 1;
    ratelimit *rl = calloc(1, sizeof *rl);
    if (!rl)
        return NULL;
    rl->slots = calloc(cap, sizeof *rl->slots);
    if (!rl->slots) {
        free(rl);
        return NULL;
    }
    rl->mask = cap - 1;
    randombytes_buf(rl->hkey, sizeof rl->hkey);
    pthread_mutex_init(&rl->mu, NULL);
    return rl;
}

void ratelimit_free(ratelimit *rl)
{
    if (!rl)
        return;
    pthread_mutex_destroy(&rl->mu);
    free(rl->slots);
    free(rl);
}

static uint64_t key_hash(const ratelimit *rl, const char *key)
{
    uint64_t h;
    crypto_shorthash((unsigned char *)&h, (const unsigned char *)key, strlen(key), rl->hkey);
    return h ? h : 1;
}

/* Finds key's live entry, or NULL. Caller holds the lock. */
static rl_entry *find(ratelimit *rl, uint64_t h, int64_t now)
{
    for (size_t i = 0; i < PROBE; i++) {
        rl_entry *e = &rl->slots[(h + i) & rl->mask];
        if (e->h == h)
            return e->until_us > now ? e : NULL;
    }
    return NULL;
}

/* Eviction order: empty or expired slots first, then the soonest to expire. */
static int64_t slot_score(const rl_entry *e, int64_t now)
{
    return e->h == 0 || e->until_us <= now ? INT64_MIN : e->until_us;
}

/* Finds key's entry or a slot to reuse. Caller holds the lock. */
static rl_entry *slot_for(ratelimit *rl, uint64_t h, int64_t now)
{
    rl_entry *victim = NULL;
    for (size_t i = 0; i < PROBE; i++) {
        rl_entry *e = &rl->slots[(h + i) & rl->mask];
        if (e->h == h)
            return e;
        if (!victim || slot_score(e, now) < slot_score(victim, now))
            victim = e;
    }
    victim->h = 0;
    return victim;
}

static int wait_s(const rl_entry *e, int64_t now)
{
    int64_t s = (e->until_us - now + 999999) / 1000000;
    return s < 1 ? 1 : (int)s;
}

int ratelimit_check(ratelimit *rl, const char *key, int limit, int64_t now)
{
    uint64_t h = key_hash(rl, key);
    pthread_mutex_lock(&rl->mu);
    rl_entry *e = find(rl, h, now);
    int wait = e && e->count >= limit ? wait_s(e, now) : 0;
    pthread_mutex_unlock(&rl->mu);
    return wait;
}

static void add_locked(ratelimit *rl, uint64_t h, int window_s, int64_t now)
{
    rl_entry *e = slot_for(rl, h, now);
    if (e->h != h || e->until_us <= now) {
        e->h = h;
        e->count = 0;
        e->until_us = now + (int64_t)window_s * 1000000;
    }
    e->count++;
}

void ratelimit_add(ratelimit *rl, const char *key, int window_s, int64_t now)
{
    uint64_t h = key_hash(rl, key);
    pthread_mutex_lock(&rl->mu);
    add_locked(rl, h, window_s, now);
    pthread_mutex_unlock(&rl->mu);
}

int ratelimit_hit(ratelimit *rl, const char *key, int limit, int window_s, int64_t now)
{
    uint64_t h = key_hash(rl, key);
    pthread_mutex_lock(&rl->mu);
    rl_entry *e = find(rl, h, now);
    int wait = e && e->count >= limit ? wait_s(e, now) : 0;
    if (!wait)
        add_locked(rl, h, window_s, now);
    pthread_mutex_unlock(&rl->mu);
    return wait;
}

void ratelimit_clear(ratelimit *rl, const char *key)
{
    uint64_t h = key_hash(rl, key);
    pthread_mutex_lock(&rl->mu);
    for (size_t i = 0; i < PROBE; i++) {
        rl_entry *e = &rl->slots[(h + i) & rl->mask];
        if (e->h == h)
            e->until_us = 0;
    }
    pthread_mutex_unlock(&rl->mu);
}

static ratelimit *global_rl;
static pthread_once_t global_once = PTHREAD_ONCE_INIT;

static void global_init(void)
{
    global_rl = ratelimit_new(1 << 16);
}

ratelimit *ratelimit_global(void)
{
    pthread_once(&global_once, global_init);
    return global_rl;
}
