/* postgres.c — the PostgreSQL engine behind db.h (libpq). Statements are
 * prepared once per connection (PQprepare) and cached by SQL text; results
 * come back in text format, bytea decoded on demand. A broken connection is
 * reset and its statement cache dropped, so the next request re-prepares. */
#include "db/engine.h"
#include "db/stats.h"

#include "util/log.h"

#include <libpq-fe.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct pg_stmt {
    db_stmt base;
    char name[16];
    int nparams;
    char *vals[DB_MAX_PARAMS];      /* owned copies of bound values */
    int lens[DB_MAX_PARAMS];
    int fmts[DB_MAX_PARAMS];        /* 0 text, 1 binary (blobs) */
    bool bind_failed;               /* a value could not be copied: never run with NULL */
    bool prepared;                  /* on the connection as it is now */
    PGresult *res;
    int row, nrows;
    int64_t changes;
    unsigned char *blob;            /* last decoded bytea */
} pg_stmt;

typedef struct pg_db {
    db base;
    PGconn *conn;
    pg_stmt **cache;
    size_t ncache, capcache;
    unsigned next_id;
    bool ending;                /* the server said FATAL: the connection is going */
} pg_db;

static const char *pg_errmsg(const db *d)
{
    return PQerrorMessage(((const pg_db *)d)->conn);
}

/* After a failure, a dead connection is reset. Its prepared statements die
 * with it on the server's side; here they stay (a caller may hold one: the
 * statement whose run found the connection dead) and are prepared again
 * when they next run. */
static void pg_check_conn(pg_db *pd)
{
    if (PQstatus(pd->conn) == CONNECTION_OK && !pd->ending)
        return;
    pd->ending = false;
    log_warn("postgres connection lost, resetting");
    for (size_t i = 0; i < pd->ncache; i++)
        pd->cache[i]->prepared = false;
    PQreset(pd->conn);
    pd->base.in_tx = 0;
}

/* A healthy idle connection has nothing to read. One that the server
 * ended (a restart, a failover, an administrator's pg_terminate_backend)
 * has the server's FATAL message waiting in its socket, then the end of
 * the stream. Reading what has arrived (PQconsumeInput does not block)
 * and parsing it (PQisBusy) hands the message to pg_notice or marks the
 * connection bad, and it is reset before a statement can fail on it. */
static void pg_revive(db *d)
{
    pg_db *pd = (pg_db *)d;
    struct pollfd p = { .fd = PQsocket(pd->conn), .events = POLLIN };
    if (PQstatus(pd->conn) == CONNECTION_OK && poll(&p, 1, 0) > 0 && PQconsumeInput(pd->conn))
        PQisBusy(pd->conn);
    pg_check_conn(pd);
}

static int pg_exec(db *d, const char *sql)
{
    pg_db *pd = (pg_db *)d;
    db_count_stmt();
    PGresult *r = PQexec(pd->conn, sql);
    ExecStatusType s = PQresultStatus(r);
    int ok = s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK || s == PGRES_EMPTY_QUERY;
    if (!ok) {
        log_error("postgres exec failed: %s", PQresultErrorMessage(r));
        PQclear(r);
        pg_check_conn(pd);
        return -1;
    }
    PQclear(r);
    return 0;
}

/* Highest $n in the text: PQprepare infers types from it. */
static int pg_count_params(const char *sql)
{
    int max = 0;
    for (const char *p = sql; *p; p++) {
        if (*p == '$' && p[1] >= '1' && p[1] <= '9') {
            int n = (int)strtol(p + 1, NULL, 10);
            if (n > max)
                max = n;
        }
    }
    return max;
}

static void pg_clear(pg_stmt *ps)
{
    if (ps->res) {
        PQclear(ps->res);
        ps->res = NULL;
    }
    PQfreemem(ps->blob);
    ps->blob = NULL;
    ps->row = ps->nrows = 0;
}

static void pg_free_stmt(pg_stmt *ps)
{
    pg_clear(ps);
    for (int i = 0; i < DB_MAX_PARAMS; i++)
        free(ps->vals[i]);
    free(ps);
}

static pg_stmt *pg_cached(pg_db *pd, const char *sql)
{
    for (size_t i = 0; i < pd->ncache; i++)
        if (pd->cache[i]->base.sql == sql)
            return pd->cache[i];
    for (size_t i = 0; i < pd->ncache; i++)
        if (strcmp(pd->cache[i]->base.sql, sql) == 0)
            return pd->cache[i];
    return NULL;
}

static int pg_remember(pg_db *pd, pg_stmt *ps)
{
    if (pd->ncache == pd->capcache) {
        size_t cap = pd->capcache ? pd->capcache * 2 : 32;
        pg_stmt **p = realloc(pd->cache, cap * sizeof *p);
        if (!p)
            return -1;
        pd->cache = p;
        pd->capcache = cap;
    }
    pd->cache[pd->ncache++] = ps;
    return 0;
}

/* Prepares ps under its name on the connection. */
static int pg_prepare_on(pg_db *pd, pg_stmt *ps)
{
    PGresult *r = PQprepare(pd->conn, ps->name, ps->base.sql, 0, NULL);
    if (PQresultStatus(r) != PGRES_COMMAND_OK) {
        log_error("postgres prepare failed: %s", PQresultErrorMessage(r));
        PQclear(r);
        pg_check_conn(pd);
        return -1;
    }
    PQclear(r);
    ps->prepared = true;
    return 0;
}

static db_stmt *pg_prepare(db *d, const char *sql)
{
    pg_db *pd = (pg_db *)d;
    pg_stmt *ps = pg_cached(pd, sql);
    if (ps)
        return &ps->base;
    ps = calloc(1, sizeof *ps);
    if (!ps)
        return NULL;
    snprintf(ps->name, sizeof ps->name, "s%u", pd->next_id++);
    ps->nparams = pg_count_params(sql);
    ps->base.owner = d;
    ps->base.sql = sql;
    if (pg_prepare_on(pd, ps) != 0 || pg_remember(pd, ps) != 0) {
        pg_free_stmt(ps);
        return NULL;
    }
    return &ps->base;
}

static void pg_set(db_stmt *st, int idx, const void *p, size_t n, int fmt, int null)
{
    pg_stmt *ps = (pg_stmt *)st;
    if (idx < 1 || idx > DB_MAX_PARAMS)
        return;
    int i = idx - 1;
    free(ps->vals[i]);
    ps->vals[i] = NULL;
    ps->lens[i] = 0;
    ps->fmts[i] = fmt;
    if (null)
        return;
    ps->vals[i] = malloc(n + 1);
    if (!ps->vals[i]) {
        ps->bind_failed = true;
        return;
    }
    if (n)
        memcpy(ps->vals[i], p, n);
    ps->vals[i][n] = '\0';
    ps->lens[i] = (int)n;
}

static void pg_bind_text(db_stmt *st, int idx, const char *s, size_t n) { pg_set(st, idx, s, n, 0, 0); }
static void pg_bind_null(db_stmt *st, int idx) { pg_set(st, idx, NULL, 0, 0, 1); }
static void pg_bind_blob(db_stmt *st, int idx, const void *p, size_t n) { pg_set(st, idx, p, n, 1, 0); }

static void pg_bind_int(db_stmt *st, int idx, int64_t v)
{
    char tmp[24];
    int n = snprintf(tmp, sizeof tmp, "%lld", (long long)v);
    pg_set(st, idx, tmp, (size_t)n, 0, 0);
}

static db_rc pg_run(pg_stmt *ps)
{
    pg_db *pd = (pg_db *)ps->base.owner;
    if (ps->bind_failed) {
        log_error("postgres statement not run: a parameter could not be copied (out of memory)");
        return DB_ERR;
    }
    if (!ps->prepared && pg_prepare_on(pd, ps) != 0)
        return DB_ERR;
    db_count_stmt();
    ps->res = PQexecPrepared(pd->conn, ps->name, ps->nparams,
                             (const char *const *)ps->vals, ps->lens, ps->fmts, 0);
    ExecStatusType s = PQresultStatus(ps->res);
    if (s == PGRES_TUPLES_OK) {
        ps->nrows = PQntuples(ps->res);
        ps->row = -1;
        return DB_ROW;
    }
    if (s == PGRES_COMMAND_OK) {
        const char *n = PQcmdTuples(ps->res);
        ps->changes = n && *n ? strtoll(n, NULL, 10) : 0;
        ps->nrows = 0;
        ps->row = -1;
        return DB_DONE;
    }
    const char *state = PQresultErrorField(ps->res, PG_DIAG_SQLSTATE);
    if (state && strncmp(state, "23", 2) == 0)
        return DB_CONSTRAINT;
    log_error("postgres statement failed: %s", PQresultErrorMessage(ps->res));
    pg_check_conn(pd);
    return DB_ERR;
}

static db_rc pg_step(db_stmt *st)
{
    pg_stmt *ps = (pg_stmt *)st;
    if (!ps->res) {
        db_rc rc = pg_run(ps);
        if (rc != DB_ROW)
            return rc;
    }
    PQfreemem(ps->blob);
    ps->blob = NULL;
    if (ps->row + 1 < ps->nrows) {
        ps->row++;
        return DB_ROW;
    }
    ps->row = ps->nrows;
    return DB_DONE;
}

static int64_t pg_changes(db_stmt *st) { return ((pg_stmt *)st)->changes; }

static void pg_reset(db_stmt *st)
{
    pg_stmt *ps = (pg_stmt *)st;
    pg_clear(ps);
    ps->bind_failed = false;
    for (int i = 0; i < DB_MAX_PARAMS; i++) {
        free(ps->vals[i]);
        ps->vals[i] = NULL;
        ps->lens[i] = 0;
        ps->fmts[i] = 0;
    }
}

static bool pg_row_ok(pg_stmt *ps, int col)
{
    return ps->res && ps->row >= 0 && ps->row < ps->nrows && col >= 0 &&
           col < PQnfields(ps->res);
}

static bool pg_col_null(db_stmt *st, int col)
{
    pg_stmt *ps = (pg_stmt *)st;
    return !pg_row_ok(ps, col) || PQgetisnull(ps->res, ps->row, col);
}

static const char *pg_col_text(db_stmt *st, int col)
{
    pg_stmt *ps = (pg_stmt *)st;
    if (pg_col_null(st, col))
        return NULL;
    return PQgetvalue(ps->res, ps->row, col);
}

static int64_t pg_col_int(db_stmt *st, int col)
{
    const char *s = pg_col_text(st, col);
    if (!s)
        return 0;
    if (s[0] == 't' && s[1] == '\0')
        return 1;   /* booleans from expressions such as EXISTS */
    return strtoll(s, NULL, 10);
}

static const void *pg_col_blob(db_stmt *st, int col, size_t *len)
{
    pg_stmt *ps = (pg_stmt *)st;
    const char *s = pg_col_text(st, col);
    *len = 0;
    if (!s)
        return NULL;
    PQfreemem(ps->blob);
    ps->blob = PQunescapeBytea((const unsigned char *)s, len);
    return ps->blob;
}

static void pg_close(db *d)
{
    pg_db *pd = (pg_db *)d;
    for (size_t i = 0; i < pd->ncache; i++)
        pg_free_stmt(pd->cache[i]);
    free(pd->cache);
    PQfinish(pd->conn);
    free(pd);
}

static const db_ops pg_ops = {
    pg_exec, pg_prepare, pg_bind_text, pg_bind_int, pg_bind_blob,
    pg_bind_null, pg_step, pg_changes, pg_reset, pg_col_null,
    pg_col_text, pg_col_int, pg_col_blob, pg_errmsg, pg_close, pg_revive,
};

/* NOTICEs ("relation exists, skipping") are noise. An error that arrives
 * while no statement runs is the server ending the connection. */
static void pg_notice(void *arg, const PGresult *res)
{
    pg_db *pd = arg;
    const char *severity = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);
    if (severity && (strcmp(severity, "FATAL") == 0 || strcmp(severity, "PANIC") == 0))
        pd->ending = true;
}

db *db_pg_open(const char *conninfo)
{
    pg_db *pd = calloc(1, sizeof *pd);
    if (!pd)
        return NULL;
    pd->base.ops = &pg_ops;
    pd->base.engine = DB_POSTGRES;
    pd->conn = PQconnectdb(conninfo);
    if (PQstatus(pd->conn) != CONNECTION_OK) {
        log_error("cannot connect to PostgreSQL: %s", PQerrorMessage(pd->conn));
        PQfinish(pd->conn);
        free(pd);
        return NULL;
    }
    PQsetNoticeReceiver(pd->conn, pg_notice, pd);
    if (pg_exec(&pd->base, "SET TIME ZONE 'UTC'") != 0) {
        pg_close(&pd->base);
        return NULL;
    }
    return &pd->base;
}
