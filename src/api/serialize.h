/* serialize.h — JSON shapes of API.md §4, built from store rows. Each
 * returns a new reference. */
#ifndef CHIMERA_API_SERIALIZE_H
#define CHIMERA_API_SERIALIZE_H

#include "store/users.h"

#include <jansson.h>
#include <stdint.h>

/* "2025-12-08T06:18:00.123456Z" */
json_t *json_ts(int64_t us);
/* "2025-12-08T06:18:00.123456+00:00" (isoformat style) */
json_t *json_ts_offset(int64_t us);

/* User: {id, name, email, avatar, createdAt} */
json_t *user_json(const user_row *u);

#endif
