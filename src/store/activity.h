/* activity.h — the workspace activity feed (API.md §7.4). Records are
 * written by the store function whose change they describe, in its
 * transaction (see internal.h); this is the read side. */
#ifndef CHIMERA_STORE_ACTIVITY_H
#define CHIMERA_STORE_ACTIVITY_H

#include "store/store.h"
#include "store/workspaces.h"

#include <stddef.h>
#include <stdint.h>

typedef struct activity_row {
    char id[40];
    char type[32];
    char *message;
    char *metadata;         /* JSON object text */
    int64_t timestamp;
} activity_row;

/* Newest first; limit/offset as given (limit > 0). */
st_rc activity_list(const char *wid, page pg, activity_row **out, size_t *n);
void activity_rows_free(activity_row *rows, size_t n);

#endif
