/* db.h — the one thin interface over SQLite and PostgreSQL.
 *
 * SQL text is shared by both engines and uses $1, $2 … placeholders.
 * Each worker thread owns one connection (db_thread()), opened lazily, with
 * its prepared statements cached by SQL text: pass string literals, prepare
 * on every use, and the cache makes the second prepare free. A statement is
 * used as bind → step … → db_reset(); the row values it returns stay valid
 * until the next step or reset. Only src/store/ and src/db/ include this. */
#ifndef CHIMERA_DB_DB_H
#define CHIMERA_DB_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum db_rc {
    DB_DONE = 0,        /* statement finished (no more rows) */
    DB_ROW,             /* a row is available */
    DB_CONSTRAINT,      /* unique / foreign-key violation */
    DB_ERR              /* anything else (logged) */
} db_rc;

typedef enum db_engine { DB_SQLITE, DB_POSTGRES } db_engine;

typedef struct db db;
typedef struct db_stmt db_stmt;

/* Parses DATABASE_URL ("sqlite:///path", "sqlite://relative", "postgres://…"
 * or "postgresql://…") for every later db_thread(). Returns 0 or -1. */
int db_configure(const char *url);
db_engine db_configured_engine(void);

/* This thread's connection, opened on first use; NULL if it cannot open. */
db *db_thread(void);

/* A unit of work (a request, a background flush) starts on this thread:
 * its statement count (db_take_count) starts again, and an idle PostgreSQL
 * connection that the server ended is opened anew before its first
 * statement. */
void db_work_begin(void);

/* Closes the connection db_write writes through (SQLite) at shutdown and
 * stops the SQLite WAL checkpointer (db/checkpoint.c). */
void db_writer_close(void);
/* Closes this thread's connection (thread exit, tests). */
void db_thread_close(void);

db_engine db_kind(const db *d);
const char *db_errmsg(const db *d);

/* Runs one or more statements without parameters (migrations, pragmas). */
int db_exec(db *d, const char *sql);

/* A write as a unit (the only way to write: transactions of their own
 * are db/'s alone, see engine.h): fn(d, ctx) runs inside a transaction on d and
 * returns 0 to keep its changes, or non-zero to undo them (that value is
 * then returned). DB_WRITE_FAILED when the transaction could not begin or
 * commit: nothing fn did stays. On SQLite, writes from several threads at
 * once share one transaction, each under its own savepoint (group
 * commit): one thread runs the queued writes and commits once, so the
 * pages they touch are written once. fn must not block and must touch no
 * other connection. */
#define DB_WRITE_FAILED (-1000)
int db_write(int (*fn)(db *d, void *ctx), void *ctx);

/* Returns the cached statement for sql, or NULL (error logged). */
db_stmt *db_prepare(db *d, const char *sql);

void db_bind_text(db_stmt *st, int idx, const char *s);   /* NULL binds NULL */
void db_bind_int(db_stmt *st, int idx, int64_t v);
void db_bind_blob(db_stmt *st, int idx, const void *p, size_t n);
void db_bind_null(db_stmt *st, int idx);

db_rc db_step(db_stmt *st);
/* Rows changed by the last finished INSERT/UPDATE/DELETE. */
int64_t db_changes(db_stmt *st);
void db_reset(db_stmt *st);

bool db_col_null(db_stmt *st, int col);
const char *db_col_text(db_stmt *st, int col);   /* NULL for SQL NULL */
int64_t db_col_int(db_stmt *st, int col);
const void *db_col_blob(db_stmt *st, int col, size_t *len);

/* Statements executed by this thread since the last call (debug log). */
unsigned db_take_count(void);

/* Process-wide totals for the metrics endpoint (relaxed atomics). */
typedef struct db_stats {
    uint64_t statements;
    uint64_t commits, rollbacks;
    uint64_t tx_us;             /* time inside transactions, begin to end */
    uint64_t writer_wait_us;    /* SQLite: waiting for the process's writer lock */
    uint64_t batches, batched;  /* SQLite group commit: transactions, writes in them */
    uint64_t connects, connect_us, connect_failures;
    int64_t sqlite_heap;        /* SQLite's own allocations now, page caches included */
    int64_t sqlite_heap_peak;   /* and their highest since start */
} db_stats;
void db_stats_get(db_stats *out);

/* `chimerad backup` (db/backup.c). db_backup copies the configured SQLite
 * database to dest while other processes write to it: a consistent,
 * integrity-checked single file in WAL mode, renamed into place only when
 * whole. An existing dest is refused unless force. Returns 0, or -1 with
 * the reason (paths and strerror) in why; no partial file is left either
 * way. db_backup_cancel() (async-signal-safe) makes it stop and clean up. */
typedef struct db_backup_stats {
    int pages;          /* pages in the copy */
    int steps;          /* backup steps taken */
    int restarts;       /* times a write by another connection restarted the copy */
} db_backup_stats;
int db_backup(const char *dest, bool force, db_backup_stats *stats, char *why, size_t whylen);
void db_backup_cancel(void);
/* For PostgreSQL: an explanation and a pg_dump command line writing file,
 * with url's password left out. Caller frees (NULL: out of memory). */
char *db_pg_dump_hint(const char *url, const char *file);

#endif
