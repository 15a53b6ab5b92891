/* ratelimit.h — fixed-window counters keyed by string (abuse limits of
 * API.md D5). Keys are stored as keyed 64-bit hashes in a bounded table, so
 * memory stays fixed however many clients arrive; when a probe run is full
 * the entry closest to expiry is evicted. Thread-safe (one mutex). Per
 * node: limits are per process, not cluster-wide. */
#ifndef CHIMERA_HTTP_RATELIMIT_H
#define CHIMERA_HTTP_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>

typedef struct ratelimit ratelimit;

/* capacity is rounded up to a power of two. NULL on allocation failure. */
ratelimit *ratelimit_new(size_t capacity);
void ratelimit_free(ratelimit *rl);

/* Seconds until key may act again if its count has reached limit, else 0.
 * Counts nothing. */
int ratelimit_check(ratelimit *rl, const char *key, int limit, int64_t now_us);

/* Counts one event for key in a window of window_s seconds starting at its
 * first event. */
void ratelimit_add(ratelimit *rl, const char *key, int window_s, int64_t now_us);

/* check + add in one step: 0 and counted when allowed, else the wait. */
int ratelimit_hit(ratelimit *rl, const char *key, int limit, int window_s, int64_t now_us);

/* Forgets key (a successful login clears its failures). */
void ratelimit_clear(ratelimit *rl, const char *key);

/* The process-wide limiter used by the API. */
ratelimit *ratelimit_global(void);

#endif
