/* db.c — engine-neutral half of db.h: configuration, the per-thread
 * connection, transactions, and dispatch to sqlite.c / postgres.c. */
#include "db/engine.h"
#include "db/stats.h"

#include "util/fault.h"
#include "util/isotime.h"
#include "util/log.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static char *db_target;                 /* path or conninfo */
static db_engine db_engine_kind = DB_SQLITE;
static _Thread_local db *thread_db;

static pthread_key_t db_key;
static pthread_once_t db_key_once = PTHREAD_ONCE_INIT;

static void db_thread_exit(void *p)
{
    db *d = p;
    if (d)
        d->ops->close(d);
}

static void db_key_init(void)
{
    pthread_key_create(&db_key, db_thread_exit);
}

int db_configure(const char *url)
{
    free(db_target);
    db_target = NULL;
    if (strncmp(url, "sqlite://", 9) == 0) {
        db_engine_kind = DB_SQLITE;
        /* sqlite:///abs/path → "/abs/path"; sqlite://rel → "rel" */
        db_target = strdup(url + 9);
    } else if (strncmp(url, "postgres://", 11) == 0 ||
               strncmp(url, "postgresql://", 13) == 0) {
        db_engine_kind = DB_POSTGRES;
        db_target = strdup(url);
    } else {
        return -1;
    }
    return db_target && db_target[0] ? 0 : -1;
}

db_engine db_configured_engine(void)
{
    return db_engine_kind;
}

const char *db_sqlite_path(void)
{
    return db_engine_kind == DB_SQLITE ? db_target : NULL;
}

void db_work_begin(void)
{
    db_take_count();
    if (thread_db && !thread_db->in_tx && thread_db->ops->revive)
        thread_db->ops->revive(thread_db);
}

db *db_thread(void)
{
    if (thread_db)
        return thread_db;
    if (!db_target)
        return NULL;
    pthread_once(&db_key_once, db_key_init);
    int64_t t0 = time_mono_us();
    thread_db = db_engine_kind == DB_SQLITE ? db_sqlite_open(db_target)
                                            : db_pg_open(db_target);
    db_stat_add(DBS_CONNECT_US, (uint_fast64_t)(time_mono_us() - t0));
    if (thread_db) {
        db_stat_add(DBS_CONNECTS, 1);
        pthread_setspecific(db_key, thread_db);
    } else {
        db_stat_add(DBS_CONNECT_FAILURES, 1);
    }
    return thread_db;
}

void db_thread_close(void)
{
    if (!thread_db)
        return;
    pthread_setspecific(db_key, NULL);
    thread_db->ops->close(thread_db);
    thread_db = NULL;
}

db_engine db_kind(const db *d) { return d->engine; }
const char *db_errmsg(const db *d) { return d->ops->errmsg(d); }
int db_exec(db *d, const char *sql) { return d->ops->exec(d, sql); }

/* SQLite has one writer at a time; threads of this process queue on a
 * mutex rather than on SQLite's busy handler, whose sleeps (1, 2, 5, 10 ms
 * …) made the tail latency of concurrent writes hundreds of milliseconds.
 * Other processes on the same file still meet the busy timeout. */
static pthread_mutex_t sqlite_writer = PTHREAD_MUTEX_INITIALIZER;

/* …and they all write through one connection, used only under that
 * mutex. In WAL mode a connection drops its whole page cache whenever
 * another connection has written, so with a connection per thread every
 * transaction re-read the pages it was about to change (pread calls,
 * expensive on virtual machines); the writer's cache stays warm. */
static db *sqlite_writer_db;
static pthread_mutex_t sqlite_writer_open = PTHREAD_MUTEX_INITIALIZER;

db *db_writer(void)
{
    if (db_engine_kind != DB_SQLITE || !db_target)
        return db_thread();
    pthread_mutex_lock(&sqlite_writer_open);
    if (!sqlite_writer_db)
        sqlite_writer_db = db_sqlite_open(db_target);
    db *d = sqlite_writer_db;
    pthread_mutex_unlock(&sqlite_writer_open);
    return d;
}

void db_writer_close(void)
{
    pthread_mutex_lock(&sqlite_writer_open);
    if (sqlite_writer_db)
        sqlite_writer_db->ops->close(sqlite_writer_db);
    sqlite_writer_db = NULL;
    pthread_mutex_unlock(&sqlite_writer_open);
    if (db_engine_kind == DB_SQLITE)
        lite_checkpoint_stop();
}

/* Clears in_tx before unlocking: the writer connection is shared, and the
 * next holder sets it again as soon as the lock is free. */
static void tx_end(db *d, bool committed)
{
    int held = d->in_tx;
    d->in_tx = 0;
    if (held) {
        db_stat_add(DBS_TX_US, (uint_fast64_t)(time_mono_us() - d->tx_t0));
        if (committed)
            db_stat_add(DBS_COMMITS, 1);
        else
            db_stat_add(DBS_ROLLBACKS, 1);
    }
    if (held && d->engine == DB_SQLITE)
        pthread_mutex_unlock(&sqlite_writer);
}

int db_begin(db *d)
{
    int64_t t0 = time_mono_us();
    if (d->engine == DB_SQLITE) {
        pthread_mutex_lock(&sqlite_writer);
        int64_t t1 = time_mono_us();
        db_stat_add(DBS_WRITER_WAIT_US, (uint_fast64_t)(t1 - t0));
        t0 = t1;
    }
    int rc = d->ops->exec(d, d->engine == DB_SQLITE ? "BEGIN IMMEDIATE" : "BEGIN");
    if (rc == 0) {
        d->in_tx = 1;
        d->tx_t0 = t0;
    }
    else if (d->engine == DB_SQLITE)
        pthread_mutex_unlock(&sqlite_writer);
    return rc;
}

int db_commit(db *d)
{
    int rc = fault_fail(FAULT_DB_COMMIT) ? -1 : d->ops->exec(d, "COMMIT");
    if (rc != 0)
        d->ops->exec(d, "ROLLBACK");
    tx_end(d, rc == 0);
    return rc;
}

void db_rollback(db *d)
{
    if (d->in_tx)
        d->ops->exec(d, "ROLLBACK");
    tx_end(d, false);
}

/* ---- group commit -------------------------------------------------------- */

typedef struct write_job {
    int (*fn)(db *d, void *ctx);
    void *ctx;
    int rc;
    int done;
    struct write_job *next;
} write_job;

static struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    write_job *head, **tail;
    int leading;                /* a thread is running a batch */
} wq = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL, &wq.head, 0 };

/* A batch of one: the transaction is its savepoint (two statements fewer
 * for every write that found no company). */
static void write_one(db *d, write_job *j)
{
    db_stat_add(DBS_BATCHED, 1);
    j->rc = j->fn(d, j->ctx);
    if (j->rc != 0)
        db_rollback(d);
    else if (db_commit(d) != 0)
        j->rc = DB_WRITE_FAILED;
}

/* Runs every job of batch in one transaction on the writer connection. */
static void write_batch(write_job *batch)
{
    db *d = db_writer();
    int began = d && db_begin(d) == 0;
    db_stat_add(DBS_BATCHES, 1);
    if (began && !batch->next) {
        write_one(d, batch);
        return;
    }
    for (write_job *j = batch; j; j = j->next) {
        db_stat_add(DBS_BATCHED, 1);
        if (!began || d->ops->exec(d, "SAVEPOINT w") != 0) {
            j->rc = DB_WRITE_FAILED;
            continue;
        }
        j->rc = j->fn(d, j->ctx);
        if (j->rc != 0)
            d->ops->exec(d, "ROLLBACK TO w");
        if (d->ops->exec(d, "RELEASE w") != 0 && j->rc == 0)
            j->rc = DB_WRITE_FAILED;
    }
    if (began && db_commit(d) != 0)
        for (write_job *j = batch; j; j = j->next)
            if (j->rc == 0)
                j->rc = DB_WRITE_FAILED;
}

static int write_alone(int (*fn)(db *d, void *ctx), void *ctx)
{
    db *d = db_thread();
    if (!d || db_begin(d) != 0)
        return DB_WRITE_FAILED;
    int rc = fn(d, ctx);
    if (rc != 0) {
        db_rollback(d);
        return rc;
    }
    return db_commit(d) == 0 ? 0 : DB_WRITE_FAILED;
}

int db_write(int (*fn)(db *d, void *ctx), void *ctx)
{
    if (db_engine_kind != DB_SQLITE)
        return write_alone(fn, ctx);
    write_job me = { fn, ctx, 0, 0, NULL };
    pthread_mutex_lock(&wq.mu);
    *wq.tail = &me;
    wq.tail = &me.next;
    while (!me.done) {
        if (wq.leading) {
            pthread_cond_wait(&wq.cv, &wq.mu);
            continue;
        }
        /* Lead one batch: everything queued now, this job included. */
        write_job *batch = wq.head;
        wq.head = NULL;
        wq.tail = &wq.head;
        wq.leading = 1;
        pthread_mutex_unlock(&wq.mu);
        write_batch(batch);
        pthread_mutex_lock(&wq.mu);
        for (write_job *j = batch, *next; j; j = next) {
            next = j->next;         /* j may be gone once done is seen */
            j->done = 1;
        }
        wq.leading = 0;
        pthread_cond_broadcast(&wq.cv);
    }
    pthread_mutex_unlock(&wq.mu);
    return me.rc;
}

db_stmt *db_prepare(db *d, const char *sql)
{
    if (!d)
        return NULL;
    return d->ops->prepare(d, sql);
}

void db_bind_text(db_stmt *st, int idx, const char *s)
{
    if (!s)
        st->owner->ops->bind_null(st, idx);
    else
        st->owner->ops->bind_text(st, idx, s, strlen(s));
}

void db_bind_int(db_stmt *st, int idx, int64_t v) { st->owner->ops->bind_int(st, idx, v); }
void db_bind_blob(db_stmt *st, int idx, const void *p, size_t n)
{
    st->owner->ops->bind_blob(st, idx, p, n);
}
void db_bind_null(db_stmt *st, int idx) { st->owner->ops->bind_null(st, idx); }
db_rc db_step(db_stmt *st)
{
    return fault_fail(FAULT_DB_STEP) ? DB_ERR : st->owner->ops->step(st);
}
int64_t db_changes(db_stmt *st) { return st->owner->ops->changes(st); }
void db_reset(db_stmt *st) { st->owner->ops->reset(st); }
bool db_col_null(db_stmt *st, int col) { return st->owner->ops->col_null(st, col); }
const char *db_col_text(db_stmt *st, int col) { return st->owner->ops->col_text(st, col); }
const void *db_col_blob(db_stmt *st, int col, size_t *len)
{
    return st->owner->ops->col_blob(st, col, len);
}

int64_t db_col_int(db_stmt *st, int col) { return st->owner->ops->col_int(st, col); }
