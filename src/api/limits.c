/* limits.c — the abuse limits, per node or per cluster; see limits.h. */
#include "api/limits.h"

#include "api/ceiling.h"
#include "config.h"
#include "db/db.h"
#include "http/ratelimit.h"
#include "store/counters.h"
#include "util/fault.h"
#include "util/isotime.h"
#include "util/log.h"

#include <pthread.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define PURGE_EVERY_US 60000000LL

static bool shared(void)
{
    return db_configured_engine() == DB_POSTGRES;
}

/* The database id of a counter: a keyed hash of kind and who, so the table
 * holds no email or address, and every node sharing SECRET_KEY derives the
 * same id. */
static unsigned char id_key[crypto_generichash_KEYBYTES];
static pthread_once_t id_key_once = PTHREAD_ONCE_INIT;

static void id_key_init(void)
{
    crypto_generichash(id_key, sizeof id_key, (const unsigned char *)cfg.secret_key,
                       strlen(cfg.secret_key), NULL, 0);
}

static void counter_id(const char *kind, const char *who, char *out, size_t outsz)
{
    unsigned char h[16];
    const unsigned char *key = id_key;
    pthread_once(&id_key_once, id_key_init);
    crypto_generichash_state st;
    crypto_generichash_init(&st, key, sizeof id_key, sizeof h);
    crypto_generichash_update(&st, (const unsigned char *)kind, strlen(kind) + 1);
    crypto_generichash_update(&st, (const unsigned char *)who, strlen(who));
    crypto_generichash_final(&st, h, sizeof h);
    char hex[2 * sizeof h + 1];
    sodium_bin2hex(hex, sizeof hex, h, sizeof h);
    snprintf(out, outsz, "%s:%s", kind, hex);
}

static void local_key(const char *kind, const char *who, char *out, size_t outsz)
{
    snprintf(out, outsz, "%s:%s", kind, who);
}

static int seconds_until(int64_t end_us, int64_t now)
{
    int64_t s = (end_us - now + 999999) / 1000000;
    return s < 1 ? 1 : (int)s;
}

int limit_wait(const char *kind, const char *who, int limit)
{
    char key[400];
    int64_t now = time_now_us();
    if (!shared()) {
        local_key(kind, who, key, sizeof key);
        return ratelimit_check(ratelimit_global(), key, limit, now);
    }
    int64_t total, end;
    counter_id(kind, who, key, sizeof key);
    if (counter_get(key, now, &total, &end) != ST_OK) {
        log_warn("limits: cannot read a counter; not limiting this request");
        return 0;
    }
    return total >= limit ? seconds_until(end, now) : 0;
}

void limit_count(const char *kind, const char *who, int window_s)
{
    char key[400];
    int64_t now = time_now_us(), total, end;
    if (!shared()) {
        local_key(kind, who, key, sizeof key);
        ratelimit_add(ratelimit_global(), key, window_s, now);
        return;
    }
    counter_id(kind, who, key, sizeof key);
    if (counter_add(key, 1, (int64_t)window_s * 1000000, now, &total, &end) != ST_OK)
        log_warn("limits: cannot count an event");
}

void limit_clear(const char *kind, const char *who)
{
    char key[400];
    if (!shared()) {
        local_key(kind, who, key, sizeof key);
        ratelimit_clear(ratelimit_global(), key);
        return;
    }
    counter_id(kind, who, key, sizeof key);
    if (counter_clear(key) != ST_OK)
        log_warn("limits: cannot clear a counter");
}

static void ceiling_key(const char *user_id, int64_t window, char *out, size_t outsz)
{
    char who[96];
    snprintf(who, sizeof who, "%s:%lld", user_id, (long long)window);
    counter_id("u", who, out, outsz);
}

/* The first request of a user on this node in a window reads the cluster's
 * count (one statement per user, node and minute). */
static int shared_user_request(const char *user_id, int64_t now)
{
    int wait = ceiling_hit(user_id, cfg.user_rate_limit, now);
    if (wait != CEIL_UNKNOWN)
        return wait;
    char key[128];
    int64_t total = 0, end;
    ceiling_key(user_id, ceiling_window(now), key, sizeof key);
    if (counter_get(key, now, &total, &end) != ST_OK)
        log_warn("limits: cannot read a user's request count");
    ceiling_seed(user_id, total, now);
    wait = ceiling_hit(user_id, cfg.user_rate_limit, now);
    return wait == CEIL_UNKNOWN ? 0 : wait;     /* table unavailable: allow */
}

int limit_user_request(const char *user_id)
{
    int64_t now = time_now_us();
    if (shared())
        return shared_user_request(user_id, now);
    char key[64];
    local_key("u", user_id, key, sizeof key);
    return ratelimit_hit(ratelimit_global(), key, cfg.user_rate_limit, 60, now);
}

/* ---- the flusher: the ceiling's counts to the database, old counters out */

static pthread_t flusher;
static bool running;
static pthread_mutex_t stop_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t stop_cv = PTHREAD_COND_INITIALIZER;

/* Sleeps until the next flush; false when asked to stop. */
static bool wait_tick(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    t.tv_nsec += CEIL_FLUSH_MS * 1000000L;
    t.tv_sec += t.tv_nsec / 1000000000L;
    t.tv_nsec %= 1000000000L;
    pthread_mutex_lock(&stop_mu);
    if (running)
        pthread_cond_timedwait(&stop_cv, &stop_mu, &t);
    bool go_on = running;
    pthread_mutex_unlock(&stop_mu);
    return go_on;
}

static void *flush_loop(void *arg)
{
    fault_exempt_thread();
    (void)arg;
    int64_t next_purge = 0;
    while (wait_tick()) {
        int64_t now = time_now_us();
        db_work_begin();
        ceiling_flush(ceiling_key, now);
        if (now >= next_purge) {
            counter_purge(now);
            next_purge = now + PURGE_EVERY_US;
        }
    }
    ceiling_flush(ceiling_key, time_now_us());  /* the last counts */
    db_thread_close();
    return NULL;
}

int limits_start(void)
{
    if (!shared())
        return 0;
    running = true;
    if (pthread_create(&flusher, NULL, flush_loop, NULL) != 0) {
        running = false;
        log_error("limits: cannot start the counter thread");
        return -1;
    }
    return 0;
}

void limits_stop(void)
{
    pthread_mutex_lock(&stop_mu);
    bool was = running;
    running = false;
    pthread_cond_signal(&stop_cv);
    pthread_mutex_unlock(&stop_mu);
    if (was)
        pthread_join(flusher, NULL);
}
