/* store.h — the status every store function returns. 0 is success; api/
 * maps the rest to HTTP statuses. SQL lives only under src/store/. */
#ifndef CHIMERA_STORE_STORE_H
#define CHIMERA_STORE_STORE_H

typedef enum st_rc {
    ST_OK = 0,
    ST_NOT_FOUND,
    ST_CONFLICT,        /* unique constraint, already exists, already revoked */
    ST_INVALID,
    ST_DB_ERROR,
} st_rc;

/* Health probe: one trivial query on this thread's connection. Writes a
 * short reason on failure. */
st_rc store_ping(char *why, unsigned long whylen);

#endif
