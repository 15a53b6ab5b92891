/* checkpoint.c — SQLite WAL checkpoints off the write path. SQLite's
 * automatic checkpoint runs inside the commit that pushes the WAL past
 * 1,000 pages, while that commit still holds the writer lock: every writer
 * queued behind it waited for a few MiB of page copies and an fsync (the
 * tail latency of writes). Here every connection's commits only count WAL
 * frames (sqlite3_wal_hook); past the threshold one background thread with
 * its own connection runs a PASSIVE checkpoint, which takes no writer lock.
 * SQLite restarts the WAL from its beginning at the next write once a
 * checkpoint has copied all of it. */
#include "db/engine.h"

#include "util/fault.h"
#include "util/log.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CKPT_FRAMES 1000        /* SQLite's own default threshold */
#define CKPT_IDLE_S 2           /* also checkpoint this often when frames are waiting */

static struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool started, stopping, wanted;
    int frames;                 /* WAL frames after the latest commit */
    char *path;
    pthread_t thread;
} ck = { .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER };

static void checkpoint_once(sqlite3 *h)
{
    int log_frames = 0, done = 0;
    int rc = sqlite3_wal_checkpoint_v2(h, NULL, SQLITE_CHECKPOINT_PASSIVE, &log_frames, &done);
    if (rc != SQLITE_OK && rc != SQLITE_BUSY)
        log_warn("WAL checkpoint failed: %s", sqlite3_errmsg(h));
}

static void *checkpointer(void *arg)
{
    fault_exempt_thread();
    sqlite3 *h = NULL;
    (void)arg;
    if (sqlite3_open_v2(ck.path, &h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
        SQLITE_OK) {
        log_warn("WAL checkpointer cannot open the database; SQLite checkpoints itself");
        sqlite3_close(h);
        return NULL;
    }
    sqlite3_busy_timeout(h, 1000);
    /* A connection learns the database is in WAL mode, and opens the WAL,
     * only when it first reads; until then sqlite3_wal_checkpoint_v2 on it
     * is a no-op that reports success. So read once first. */
    if (sqlite3_exec(h, "PRAGMA schema_version", NULL, NULL, NULL) != SQLITE_OK)
        log_warn("WAL checkpointer cannot read the database: %s", sqlite3_errmsg(h));
    pthread_mutex_lock(&ck.mu);
    while (!ck.stopping) {
        if (!ck.wanted) {
            struct timespec until;
            clock_gettime(CLOCK_REALTIME, &until);
            until.tv_sec += CKPT_IDLE_S;
            pthread_cond_timedwait(&ck.cv, &ck.mu, &until);
            if (!ck.wanted && ck.frames == 0)
                continue;
        }
        ck.wanted = false;
        ck.frames = 0;
        pthread_mutex_unlock(&ck.mu);
        checkpoint_once(h);
        pthread_mutex_lock(&ck.mu);
    }
    pthread_mutex_unlock(&ck.mu);
    checkpoint_once(h);
    sqlite3_close(h);
    return NULL;
}

static int on_commit(void *arg, sqlite3 *h, const char *name, int frames)
{
    (void)arg;
    (void)h;
    (void)name;
    pthread_mutex_lock(&ck.mu);
    ck.frames = frames;
    if (frames >= CKPT_FRAMES && !ck.wanted) {
        ck.wanted = true;
        pthread_cond_signal(&ck.cv);
    }
    pthread_mutex_unlock(&ck.mu);
    return SQLITE_OK;
}

void lite_checkpoint_attach(sqlite3 *h, const char *path)
{
    pthread_mutex_lock(&ck.mu);
    if (!ck.started && !ck.stopping && (ck.path = strdup(path)) &&
        pthread_create(&ck.thread, NULL, checkpointer, NULL) == 0)
        ck.started = true;
    bool running = ck.started;
    pthread_mutex_unlock(&ck.mu);
    if (running)                /* replaces SQLite's automatic checkpoint */
        sqlite3_wal_hook(h, on_commit, NULL);
}

void lite_checkpoint_stop(void)
{
    pthread_mutex_lock(&ck.mu);
    bool started = ck.started;
    ck.stopping = true;
    pthread_cond_signal(&ck.cv);
    pthread_mutex_unlock(&ck.mu);
    if (started)
        pthread_join(ck.thread, NULL);
    pthread_mutex_lock(&ck.mu);
    free(ck.path);
    ck.path = NULL;
    ck.started = ck.stopping = false;
    pthread_mutex_unlock(&ck.mu);
}
