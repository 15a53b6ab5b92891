/* sqlite.c — the SQLite engine behind db.h: WAL, busy timeout, foreign keys,
 * statements prepared once per connection and cached by SQL text, and $n
 * placeholders mapped to SQLite's parameter indexes. */
#include "db/engine.h"
#include "db/stats.h"

#include "util/log.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct lite_stmt {
    db_stmt base;
    sqlite3_stmt *st;
    int map[DB_MAX_PARAMS + 1];     /* $n → sqlite parameter index (0 = unused) */
    int64_t changes;
} lite_stmt;

typedef struct lite_db {
    db base;
    sqlite3 *h;
    lite_stmt **cache;
    size_t ncache, capcache;
} lite_db;

static const char *lite_errmsg(const db *d)
{
    return sqlite3_errmsg(((const lite_db *)d)->h);
}

static int lite_exec(db *d, const char *sql)
{
    char *err = NULL;
    db_count_stmt();
    if (sqlite3_exec(((lite_db *)d)->h, sql, NULL, NULL, &err) != SQLITE_OK) {
        log_error("sqlite exec failed: %s", err ? err : "?");
        sqlite3_free(err);
        return -1;
    }
    return 0;
}

static lite_stmt *lite_cached(lite_db *ld, const char *sql)
{
    for (size_t i = 0; i < ld->ncache; i++)
        if (ld->cache[i]->base.sql == sql)
            return ld->cache[i];
    for (size_t i = 0; i < ld->ncache; i++)
        if (strcmp(ld->cache[i]->base.sql, sql) == 0)
            return ld->cache[i];
    return NULL;
}

static int lite_remember(lite_db *ld, lite_stmt *ls)
{
    if (ld->ncache == ld->capcache) {
        size_t cap = ld->capcache ? ld->capcache * 2 : 32;
        lite_stmt **p = realloc(ld->cache, cap * sizeof *p);
        if (!p)
            return -1;
        ld->cache = p;
        ld->capcache = cap;
    }
    ld->cache[ld->ncache++] = ls;
    return 0;
}

static db_stmt *lite_prepare(db *d, const char *sql)
{
    lite_db *ld = (lite_db *)d;
    lite_stmt *ls = lite_cached(ld, sql);
    if (ls)
        return &ls->base;
    ls = calloc(1, sizeof *ls);
    if (!ls)
        return NULL;
    if (sqlite3_prepare_v3(ld->h, sql, -1, SQLITE_PREPARE_PERSISTENT, &ls->st, NULL) != SQLITE_OK) {
        log_error("sqlite prepare failed: %s", sqlite3_errmsg(ld->h));
        free(ls);
        return NULL;
    }
    for (int n = 1; n <= DB_MAX_PARAMS; n++) {
        char name[16];
        snprintf(name, sizeof name, "$%d", n);
        ls->map[n] = sqlite3_bind_parameter_index(ls->st, name);
    }
    ls->base.owner = d;
    ls->base.sql = sql;
    if (lite_remember(ld, ls) != 0) {
        sqlite3_finalize(ls->st);
        free(ls);
        return NULL;
    }
    return &ls->base;
}

static int lite_index(db_stmt *st, int idx)
{
    if (idx < 1 || idx > DB_MAX_PARAMS)
        return 0;
    return ((lite_stmt *)st)->map[idx];
}

static void lite_bind_text(db_stmt *st, int idx, const char *s, size_t n)
{
    int i = lite_index(st, idx);
    if (i)
        sqlite3_bind_text(((lite_stmt *)st)->st, i, s, (int)n, SQLITE_TRANSIENT);
}

static void lite_bind_int(db_stmt *st, int idx, int64_t v)
{
    int i = lite_index(st, idx);
    if (i)
        sqlite3_bind_int64(((lite_stmt *)st)->st, i, v);
}

static void lite_bind_blob(db_stmt *st, int idx, const void *p, size_t n)
{
    int i = lite_index(st, idx);
    if (i)
        sqlite3_bind_blob64(((lite_stmt *)st)->st, i, p, n, SQLITE_TRANSIENT);
}

static void lite_bind_null(db_stmt *st, int idx)
{
    int i = lite_index(st, idx);
    if (i)
        sqlite3_bind_null(((lite_stmt *)st)->st, i);
}

static db_rc lite_step(db_stmt *st)
{
    lite_stmt *ls = (lite_stmt *)st;
    sqlite3 *h = ((lite_db *)st->owner)->h;
    if (!sqlite3_stmt_busy(ls->st))
        db_count_stmt();
    int rc = sqlite3_step(ls->st);
    if (rc == SQLITE_ROW)
        return DB_ROW;
    if (rc == SQLITE_DONE) {
        ls->changes = sqlite3_changes64(h);
        return DB_DONE;
    }
    if ((rc & 0xFF) == SQLITE_CONSTRAINT)
        return DB_CONSTRAINT;
    log_error("sqlite step failed (%d): %s", rc, sqlite3_errmsg(h));
    return DB_ERR;
}

static int64_t lite_changes(db_stmt *st) { return ((lite_stmt *)st)->changes; }

static void lite_reset(db_stmt *st)
{
    lite_stmt *ls = (lite_stmt *)st;
    sqlite3_reset(ls->st);
    sqlite3_clear_bindings(ls->st);
}

static bool lite_col_null(db_stmt *st, int col)
{
    return sqlite3_column_type(((lite_stmt *)st)->st, col) == SQLITE_NULL;
}

static const char *lite_col_text(db_stmt *st, int col)
{
    return (const char *)sqlite3_column_text(((lite_stmt *)st)->st, col);
}

static int64_t lite_col_int(db_stmt *st, int col)
{
    return sqlite3_column_int64(((lite_stmt *)st)->st, col);
}

static const void *lite_col_blob(db_stmt *st, int col, size_t *len)
{
    sqlite3_stmt *s = ((lite_stmt *)st)->st;
    const void *p = sqlite3_column_blob(s, col);
    *len = (size_t)sqlite3_column_bytes(s, col);
    return p;
}

static void lite_close(db *d)
{
    lite_db *ld = (lite_db *)d;
    for (size_t i = 0; i < ld->ncache; i++) {
        sqlite3_finalize(ld->cache[i]->st);
        free(ld->cache[i]);
    }
    free(ld->cache);
    sqlite3_close(ld->h);
    free(ld);
}

static const db_ops lite_ops = {
    lite_exec, lite_prepare, lite_bind_text, lite_bind_int, lite_bind_blob,
    lite_bind_null, lite_step, lite_changes, lite_reset, lite_col_null,
    lite_col_text, lite_col_int, lite_col_blob, lite_errmsg, lite_close, NULL,
};

db *db_sqlite_open(const char *path)
{
    lite_db *ld = calloc(1, sizeof *ld);
    if (!ld)
        return NULL;
    ld->base.ops = &lite_ops;
    ld->base.engine = DB_SQLITE;
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    db_sqlite_faults_install();
    if (sqlite3_open_v2(path, &ld->h, flags, NULL) != SQLITE_OK) {
        log_error("cannot open SQLite database %s: %s", path,
                  ld->h ? sqlite3_errmsg(ld->h) : "out of memory");
        sqlite3_close(ld->h);
        free(ld);
        return NULL;
    }
    sqlite3_busy_timeout(ld->h, 10000);
    if (lite_exec(&ld->base, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                             "PRAGMA foreign_keys=ON; PRAGMA temp_store=MEMORY;") != 0) {
        lite_close(&ld->base);
        return NULL;
    }
    lite_checkpoint_attach(ld->h, path);
    return &ld->base;
}
