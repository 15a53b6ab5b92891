/* internal.h — helpers shared between store files that run inside a
 * caller's transaction (they take the connection explicitly). */
#ifndef CHIMERA_STORE_INTERNAL_H
#define CHIMERA_STORE_INTERNAL_H

#include "db/db.h"
#include "store/store.h"

#include <stdint.h>

/* Records an issued refresh token on d (inside the caller's transaction). */
st_rc insert_refresh_token(db *d, const char *jti, const char *user_id, int64_t exp_us);

/* Maps the outcome of a finished write to a store status. */
st_rc st_from_db(db_rc rc);

#endif
