/* engine.h — the engine vtable behind db.h (sqlite.c and postgres.c fill it
 * in); only src/db/ sees it. */
#ifndef CHIMERA_DB_ENGINE_H
#define CHIMERA_DB_ENGINE_H

#include "db/db.h"

#define DB_MAX_PARAMS 24

typedef struct db_ops {
    int (*exec)(db *d, const char *sql);
    db_stmt *(*prepare)(db *d, const char *sql);
    void (*bind_text)(db_stmt *st, int idx, const char *s, size_t n);
    void (*bind_int)(db_stmt *st, int idx, int64_t v);
    void (*bind_blob)(db_stmt *st, int idx, const void *p, size_t n);
    void (*bind_null)(db_stmt *st, int idx);
    db_rc (*step)(db_stmt *st);
    int64_t (*changes)(db_stmt *st);
    void (*reset)(db_stmt *st);
    bool (*col_null)(db_stmt *st, int col);
    const char *(*col_text)(db_stmt *st, int col);
    int64_t (*col_int)(db_stmt *st, int col);
    const void *(*col_blob)(db_stmt *st, int col, size_t *len);
    const char *(*errmsg)(const db *d);
    void (*close)(db *d);
    void (*revive)(db *d);      /* idle connection check; NULL: nothing to check */
} db_ops;

struct db {
    const db_ops *ops;
    db_engine engine;
    int in_tx;
    int64_t tx_t0;              /* monotonic start of the open transaction, us */
};

/* Each statement starts with this header so db.c can reach its engine. */
struct db_stmt {
    db *owner;
    const char *sql;
};

/* The connection a write runs on: the thread's own on PostgreSQL, one
 * shared connection on SQLite (used only between db_begin and
 * db_commit/db_rollback, which hold the process's writer lock). Only
 * db_write and the migrations write through these; store/ cannot reach
 * them, so every store write is a db_write. */
db *db_writer(void);

/* Transactions: begin takes the write lock up front on SQLite (BEGIN
 * IMMEDIATE) so concurrent writers wait instead of failing midway. */
int db_begin(db *d);
int db_commit(db *d);
void db_rollback(db *d);

db *db_sqlite_open(const char *path);
/* The test build's failing disk (db/sqlite_faults.c); nothing otherwise. */
void db_sqlite_faults_install(void);
/* The configured SQLite file, NULL when the engine is PostgreSQL. */
const char *db_sqlite_path(void);

/* checkpoint.c: the background WAL checkpointer. attach makes h count its
 * WAL frames instead of checkpointing in its own commits (starting the
 * thread on first use); stop runs a last checkpoint and joins it. */
struct sqlite3;
void lite_checkpoint_attach(struct sqlite3 *h, const char *path);
void lite_checkpoint_stop(void);
db *db_pg_open(const char *conninfo);


#endif
