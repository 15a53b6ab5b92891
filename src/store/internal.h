/* internal.h — helpers shared between store files that run inside a
 * caller's transaction (they take the connection explicitly). */
#ifndef CHIMERA_STORE_INTERNAL_H
#define CHIMERA_STORE_INTERNAL_H

#include "db/db.h"
#include "store/stamps.h"
#include "store/store.h"
#include "store/workspaces.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Records an issued refresh token of login session sid on d (inside the
 * caller's transaction). */
st_rc insert_refresh_token(db *d, const char *jti, const char *user_id, const char *sid,
                           int64_t exp_us);

/* Reads a user_row from the user columns (id, name, email, avatar,
 * auto_store, retention_period, is_active, date_joined) at column 0. */
struct user_row;
st_rc st_read_user(db_stmt *st, struct user_row *u);

/* Messages are counted per minute of their timestamp (message_minutes);
 * the minutes of the last hour, and one more for the minute it starts in,
 * are kept. */
#define MINUTE_US 60000000LL
#define MINUTE_US_SQL "60000000"
#define MINUTES_KEPT 61

/* Maps the outcome of a finished write to a store status. */
st_rc st_from_db(db_rc rc);

/* ---- the one write path ---------------------------------------------------
 * Every INSERT/UPDATE/DELETE of the store runs inside st_write(fn, ctx):
 * fn(d, ctx) gets the connection to write on and returns ST_OK to keep its
 * changes, or any other status to have them undone (that status is then
 * returned). It is db_write underneath: group commit on SQLite (fn runs
 * under a savepoint of a shared transaction, so it must not block and must
 * read through d, never db_thread()), one transaction on PostgreSQL.
 * ST_DB_ERROR when the transaction could not begin or commit. */
typedef st_rc (*st_write_fn)(db *d, void *ctx);
st_rc st_write(st_write_fn fn, void *ctx);

/* What fn returns to have its changes undone although nothing failed:
 * st_write then returns ST_OK (fn says what happened through ctx). */
#define ST_UNDONE ((st_rc)64)

/* ---- binding and running statements ----------------------------------------
 * Parameters are a typed list, not a format string: each ST_T/ST_I/ST_B/
 * ST_NUL builds one st_arg, so the compiler checks every argument's type
 * (ST_T takes const char * only, ST_I converts any integer to int64_t), and
 * the list's length comes from sizeof, never from a count to keep in step.
 * Parameter k of the SQL ($k) is the k-th argument. ST_T(NULL) binds NULL. */
typedef struct st_arg {
    char kind;                  /* 't' text, 'i' int64, 'b' blob, 'n' null */
    const char *s;
    const void *p;
    int64_t i;
    size_t n;
} st_arg;
#define ST_T(v) ((st_arg){ .kind = 't', .s = (v) })
#define ST_I(v) ((st_arg){ .kind = 'i', .i = (int64_t)(v) })
#define ST_B(v, len) ((st_arg){ .kind = 'b', .p = (v), .n = (len) })
#define ST_NUL ((st_arg){ .kind = 'n' })
#define ST_ARGS(...) (const st_arg[]){ __VA_ARGS__ }, \
    sizeof((const st_arg[]){ __VA_ARGS__ }) / sizeof(st_arg)

/* Prepares sql on d and binds args: the statement, or NULL (d NULL or the
 * prepare failed). Every helper below takes a NULL statement as an error. */
db_stmt *st_prep_a(db *d, const char *sql, const st_arg *args, size_t nargs);
#define st_prep(d, sql, ...) st_prep_a((d), (sql), ST_ARGS(__VA_ARGS__))

/* Runs a statement to completion and resets it: ST_OK, ST_CONFLICT on a
 * constraint, else ST_DB_ERROR. */
st_rc st_exec(db_stmt *st);
#define st_run(d, sql, ...) st_exec(st_prep((d), (sql), __VA_ARGS__))

/* The same for an INSERT/UPDATE/DELETE that must change a row:
 * ST_NOT_FOUND when it changed none. */
st_rc st_exec_changed(db_stmt *st);
#define st_change(d, sql, ...) st_exec_changed(st_prep((d), (sql), __VA_ARGS__))

/* What a write changed, for the change stamps (store/stamps.h): kinds of
 * the workspace wid, of the workspace of conversation cid, of user uid.
 * NO_STAMPS for writes no GET shows (tokens, counters). */
typedef struct stamp_set {
    const char *wid;
    unsigned ws;
    const char *cid;
    unsigned conv_ws;
    const char *uid;
    unsigned user;
} stamp_set;
#define NO_STAMPS ((stamp_set){ 0 })
#define WS_STAMPS(w, kinds) ((stamp_set){ .wid = (w), .ws = (kinds) })
#define CONV_STAMPS(c) ((stamp_set){ .cid = (c), .conv_ws = WS_CONVS })
#define USER_STAMPS(u, kinds) ((stamp_set){ .uid = (u), .user = (kinds) })
st_rc stamp_apply(db *d, const stamp_set *s);

/* One statement as a whole write (st_write around st_run / st_change),
 * then the stamps it moves, in the same transaction. */
st_rc st_write_stmt(stamp_set stamps, const char *sql, const st_arg *args, size_t nargs,
                    bool changed);
#define st_write_run(stamps, sql, ...) \
    st_write_stmt((stamps), (sql), ST_ARGS(__VA_ARGS__), false)
#define st_write_change(stamps, sql, ...) \
    st_write_stmt((stamps), (sql), ST_ARGS(__VA_ARGS__), true)

/* ---- reading rows ----------------------------------------------------------
 * read fills one row (a pointer to the caller's row type) from the current
 * result row. It returns false when a copy could not be made (out of
 * memory), having freed what it had copied: the row is then all zero. */
typedef bool (*st_read_fn)(db_stmt *st, void *row);

/* Steps st once and resets it: ST_OK with the row read into row,
 * ST_NOT_FOUND when there is none, ST_DB_ERROR on failure (the row could
 * not be read included). */
st_rc st_one(db_stmt *st, st_read_fn read, void *row);

/* Reads every row of st into a growing array (capacity doubling) of
 * elements of size bytes: rowsp points at the caller's `T *rows` (NULL or
 * an array of *n elements to append to), n at its count. Resets st. On
 * ST_DB_ERROR (a row that could not be read included) the rows read so far stay in *rowsp / *n for the caller to
 * free with its own row-freeing function. */
st_rc st_rows(db_stmt *st, size_t size, st_read_fn read, void *rowsp, size_t *n);

/* Frees rows[0..n) with free_one, then the array (the body of every
 * *_rows_free). */
#define ST_FREE_ROWS(rows, n, free_one) do { \
        for (size_t i_ = 0; i_ < (n); i_++) \
            free_one(&(rows)[i_]); \
        free(rows); \
    } while (0)

/* Frees a list a failed read left behind (*out, *n) and empties it. */
#define ST_DROP_ROWS(free_rows, out, n) do { \
        free_rows(*(out), *(n)); \
        *(out) = NULL; \
        *(n) = 0; \
    } while (0)

/* A page's LIMIT and OFFSET parameters (limit 0: everything). */
#define ST_PAGE(pg) ST_I((pg).limit > 0 ? (pg).limit : INT64_MAX), ST_I((pg).offset)

/* The total of a list read with page pg: n when the page took everything,
 * else count_sql's count ($1 = arg). */
st_rc st_total(const char *count_sql, const char *arg, page pg, size_t n, int64_t *total);

/* Runs a one-parameter COUNT query ($1 = arg) into *out. */
st_rc st_count(const char *sql, const char *arg, int64_t *out);

/* Appends an activity record (API.md §7.4) inside the caller's transaction;
 * metadata is a JSON object (reference stolen). */
st_rc activity_add(db *d, const char *wid, const char *type, const char *message,
                   json_t *metadata, int64_t now);

/* Team member columns (team_members t JOIN users u), read by read_member(). */
#define MEMBER_COLS \
    "t.workspace_id, t.id, t.user_id, t.role, t.status, t.joined_at, u.name, u.email"

/* Reads one member_row (an st_read_fn). */
bool read_member(db_stmt *st, void *row);

/* Inserts a membership inside the caller's transaction; the new tm- id goes
 * to id_out when not NULL. */
st_rc member_insert(db *d, const char *wid, const char *user_id, const char *role,
                    const char *status, int64_t now, char *id_out, size_t idsz);

/* Locks conversation cid's row for the rest of the transaction (a no-op
 * on SQLite's single writer): on PostgreSQL a concurrent change of it
 * commits first, so a status read next is the latest and the counters
 * move once per real change. ST_NOT_FOUND when it is gone. */
st_rc conv_lock_on(db *d, const char *cid);

struct memory_input;
struct memory_row;
/* Inserts a memory (tags, counters, generation, and the memory_created
 * activity when activity is true) inside the caller's transaction; the new
 * id goes to id (idsz bytes). */
st_rc memory_insert_on(db *d, const char *wid, const struct memory_input *in, bool activity,
                       char *id, size_t idsz);
st_rc memory_get_on(db *d, const char *id, struct memory_row *out);

#endif
