/* migrate.c — applies the embedded migrations; see migrate.h. */
#include "db/migrate.h"

#include "db/engine.h"
#include "util/isotime.h"
#include "util/log.h"

#include <time.h>

static const char SQL_CREATE_VERSION[] =
    "CREATE TABLE IF NOT EXISTS schema_version ("
    " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)";

int db_schema_version(db *d)
{
    db_stmt *st = db_prepare(d, "SELECT COALESCE(MAX(version), 0) FROM schema_version");
    if (!st)
        return -1;
    int v = -1;
    if (db_step(st) == DB_ROW)
        v = (int)db_col_int(st, 0);
    db_reset(st);
    return v;
}

static int record_version(db *d, const migration *m)
{
    db_stmt *st = db_prepare(d, "INSERT INTO schema_version (version, name, applied_at) "
                                "VALUES ($1, $2, $3)");
    if (!st)
        return -1;
    db_bind_int(st, 1, m->version);
    db_bind_text(st, 2, m->name);
    db_bind_int(st, 3, time_now_us());
    db_rc rc = db_step(st);
    db_reset(st);
    return rc == DB_DONE ? 0 : -1;
}

/* Nodes of one deployment may start together on an empty database. On
 * PostgreSQL a session advisory lock, taken before anything is created,
 * makes the others wait until the first has migrated (even CREATE TABLE IF
 * NOT EXISTS races on the catalog: "type already exists"); they then find
 * the schema current. On SQLite BEGIN IMMEDIATE is the lock. All pending
 * steps run in one transaction. */
#define MIGRATE_LOCK "43484752"

static int apply_pending(db *d, int *applied)
{
    if (db_exec(d, SQL_CREATE_VERSION) != 0 || db_begin(d) != 0)
        return -1;
    int current = db_schema_version(d);
    if (current < 0)
        goto fail;
    for (unsigned i = 0; i < migrations_count; i++) {
        const migration *m = &migrations[i];
        if (m->engine != db_kind(d) || m->version <= current)
            continue;
        log_info("applying migration %03d_%s", m->version, m->name);
        if (db_exec(d, m->sql) != 0 || record_version(d, m) != 0)
            goto fail;
        (*applied)++;
    }
    return db_commit(d);
fail:
    db_rollback(d);
    return -1;
}

/* SQLite answers "database is locked" without waiting in a few cases
 * (a file another process is switching to WAL, a stale read snapshot):
 * processes starting together on one file try again, briefly. */
#define SQLITE_TRIES 5

int db_migrate(db *d, int *applied)
{
    *applied = 0;
    bool pg = db_kind(d) == DB_POSTGRES;
    if (pg && db_exec(d, "SELECT pg_advisory_lock(" MIGRATE_LOCK ")") != 0)
        return -1;
    int rc = apply_pending(d, applied);
    for (int i = 1; !pg && rc != 0 && i < SQLITE_TRIES; i++) {
        struct timespec pause = { 0, 100000000L * i };
        log_warn("migration: trying again (%s)", db_errmsg(d));
        nanosleep(&pause, NULL);
        *applied = 0;
        rc = apply_pending(d, applied);
    }
    if (pg && db_exec(d, "SELECT pg_advisory_unlock(" MIGRATE_LOCK ")") != 0)
        rc = -1;
    return rc;
}
