/* counters.h — event counters in fixed windows, kept in the database so
 * that every node of a cluster sees the same counts (the abuse limits on
 * PostgreSQL). A counter's window starts with its first event and lasts
 * window_us; an event after the window's end starts a new one. Ids are
 * opaque (callers pass keyed hashes, never emails or addresses). Each call
 * is one statement. */
#ifndef CHIMERA_STORE_COUNTERS_H
#define CHIMERA_STORE_COUNTERS_H

#include "store/store.h"

#include <stdint.h>

/* Adds n events to id (a new window of window_us if none is open at now);
 * *total and *window_end receive the counter after the addition. */
st_rc counter_add(const char *id, int64_t n, int64_t window_us, int64_t now,
                  int64_t *total, int64_t *window_end);

/* The open window's count (0 and window_end 0 when none is open at now). */
st_rc counter_get(const char *id, int64_t now, int64_t *total, int64_t *window_end);

/* Forgets id (a successful login clears its failures). */
st_rc counter_clear(const char *id);

/* Deletes counters whose window ended before `before`. */
st_rc counter_purge(int64_t before);

#endif
