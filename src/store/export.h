/* export.h — the per-workspace and per-user parts of the data export
 * (API.md §9, seed property 24). The export is a dump of stored rows, so
 * its pieces are assembled here as JSON, row by row, one workspace at a
 * time; api/export.c streams them. No API keys ever appear. */
#ifndef CHIMERA_STORE_EXPORT_H
#define CHIMERA_STORE_EXPORT_H

#include "store/store.h"

#include <jansson.h>

/* Conversations of wid (updatedAt desc), each with its messages (oldest
 * first), as a new JSON array in *out. */
st_rc export_conversations(const char *wid, json_t **out);

/* Memories of wid (createdAt desc) as a new JSON array in *out. */
st_rc export_memories(const char *wid, json_t **out);

/* The user's integrations without keys: {id, provider, status, lastTested,
 * createdAt}. */
st_rc export_integrations(const char *user_id, json_t **out);

#endif
