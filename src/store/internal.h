/* internal.h — helpers shared between store files that run inside a
 * caller's transaction (they take the connection explicitly). */
#ifndef CHIMERA_STORE_INTERNAL_H
#define CHIMERA_STORE_INTERNAL_H

#include "db/db.h"
#include "store/store.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Records an issued refresh token on d (inside the caller's transaction). */
st_rc insert_refresh_token(db *d, const char *jti, const char *user_id, int64_t exp_us);

/* Maps the outcome of a finished write to a store status. */
st_rc st_from_db(db_rc rc);

/* Runs a bound statement to completion (no rows expected) and resets it. */
st_rc st_exec(db_stmt *st);

/* Runs a bound INSERT/UPDATE/DELETE and resets it: ST_NOT_FOUND when it
 * changed no row. */
st_rc st_exec_changed(db_stmt *st);

/* Runs a one-parameter COUNT query ($1 = arg) into *out. */
st_rc st_count(const char *sql, const char *arg, int64_t *out);

/* Appends an activity record (API.md §7.4) inside the caller's transaction;
 * metadata is a JSON object (reference stolen). */
st_rc activity_add(db *d, const char *wid, const char *type, const char *message,
                   json_t *metadata, int64_t now);

/* Team member columns (team_members t JOIN users u), read by read_member(). */
#define MEMBER_COLS \
    "t.workspace_id, t.id, t.user_id, t.role, t.status, t.joined_at, u.name, u.email"

struct member_row;
void read_member(db_stmt *st, struct member_row *m);

/* Inserts a membership inside the caller's transaction; the new tm- id goes
 * to id_out when not NULL. */
st_rc member_insert(db *d, const char *wid, const char *user_id, const char *role,
                    const char *status, int64_t now, char *id_out, size_t idsz);

struct memory_input;
struct memory_row;
/* Inserts a memory (tags, counters, generation, and the memory_created
 * activity when activity is true) inside the caller's transaction; the new
 * id goes to id (idsz bytes). */
st_rc memory_insert_on(db *d, const char *wid, const struct memory_input *in, bool activity,
                       char *id, size_t idsz);
st_rc memory_get_on(db *d, const char *id, struct memory_row *out);

#endif
