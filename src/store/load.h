/* load.h — workspace statistics and neural-load snapshots (API.md §7). */
#ifndef CHIMERA_STORE_LOAD_H
#define CHIMERA_STORE_LOAD_H

#include "store/store.h"

#include <stddef.h>
#include <stdint.h>

typedef struct ws_stats {
    int64_t memories, embeddings, conversations;
    int64_t active_conversations;       /* status 'active' */
    int64_t recent_messages;            /* messages with timestamp >= now - 1 h */
    int64_t last_activity;              /* newest of workspace, memories,
                                           conversations, messages, activities */
    int load;                           /* min(100, 10·active + recent messages) */
} ws_stats;

typedef struct load_point {
    int64_t timestamp;
    int value;
} load_point;

/* The service statistics of §7.2 at now. ST_NOT_FOUND for no workspace. */
st_rc ws_service_stats(const char *wid, int64_t now, ws_stats *out);

/* Snapshots with timestamp >= since, oldest first (caller frees *out). */
st_rc load_snapshots(const char *wid, int64_t since, load_point **out, size_t *n);

/* Computes the current load, stores a snapshot and deletes this workspace's
 * snapshots older than 24 h, in one transaction. */
st_rc load_record(const char *wid, int64_t now, int *value);

#endif
