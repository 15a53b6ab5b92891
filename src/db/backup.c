/* backup.c — `chimerad backup`: a consistent copy of the SQLite database
 * while the server runs and writes (see db.h: db_backup), and the pg_dump
 * hint shown instead on PostgreSQL (db_pg_dump_hint).
 *
 * The copy goes through SQLite's online backup API into a temporary file
 * beside the destination, a few pages per step with a pause between steps.
 * A write by the server between two steps makes SQLite restart the copy
 * from the first page; after BK_MAX_RESTARTS restarts the rest is copied in
 * one step, which holds one WAL read transaction (in WAL mode that blocks no
 * writer: the server's commits go on into the WAL meanwhile). The copy is
 * switched to WAL (what a fresh server's file is), checked with PRAGMA
 * integrity_check, closed (which folds its WAL into the one file), synced,
 * and only then renamed over the destination. Any failure removes the
 * temporary file: the destination is either the old file or a whole copy. */
#include "db/engine.h"

#include "util/buf.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define BK_PAGES 256            /* pages per step: 1 MiB of 4 KiB pages */
#define BK_PAUSE_MS 2           /* between steps: the server's writers go first */
#define BK_MAX_RESTARTS 3       /* then the rest in one step */
#define BK_MAX_BUSY 500         /* steps refused as busy before giving up (5 s of pauses) */
#define BK_BUSY_MS 10

static volatile sig_atomic_t bk_cancelled;

void db_backup_cancel(void)
{
    bk_cancelled = 1;
}

typedef struct bk_job {
    const char *src;            /* the live database */
    const char *dest;           /* FILE */
    char dir[PATH_MAX];         /* FILE's folder */
    char tmp[PATH_MAX];         /* FILE.tmp-XXXXXX, beside FILE */
    bool have_tmp;
    sqlite3 *from, *to;
    db_backup_stats *stats;
    char *why;
    size_t whylen;
} bk_job;

static int bk_fail(bk_job *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int bk_fail(bk_job *j, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(j->why, j->whylen, fmt, ap);
    va_end(ap);
    return -1;
}

static void bk_pause(int ms)
{
    struct timespec ts = { 0, (long)ms * 1000 * 1000 };
    nanosleep(&ts, NULL);
}

/* FILE's folder: everything before the last '/', "/" for "/x", "." for "x". */
static int bk_dirname(bk_job *j)
{
    const char *slash = strrchr(j->dest, '/');
    size_t n = slash ? (size_t)(slash - j->dest) : 1;
    const char *from = slash ? j->dest : ".";
    if (slash && n == 0)
        n = 1;                          /* "/x": the root */
    if (n >= sizeof j->dir)
        return bk_fail(j, "%s: the path is too long", j->dest);
    memcpy(j->dir, from, n);
    j->dir[n] = '\0';
    return 0;
}

/* A "-wal" left beside FILE would be replayed into the new file by the next
 * program that opens it, and corrupt it. */
static int bk_check_wal(bk_job *j)
{
    char wal[PATH_MAX + 8];
    struct stat st;
    snprintf(wal, sizeof wal, "%s-wal", j->dest);
    if (lstat(wal, &st) == 0)
        return bk_fail(j, "%s exists: a program may have %s open; stop it, or remove %s "
                          "and %s-shm", wal, j->dest, wal, j->dest);
    return 0;
}

/* FILE must not exist (unless force), must not be a folder, nor the live
 * database itself. */
static int bk_check_dest(bk_job *j, bool force)
{
    struct stat st, live;
    if (j->dest[0] == '\0' || j->dest[strlen(j->dest) - 1] == '/')
        return bk_fail(j, "\"%s\" names a folder, not a file", j->dest);
    if (bk_dirname(j) != 0)
        return -1;
    if (stat(j->dest, &st) != 0) {
        if (errno != ENOENT)
            return bk_fail(j, "cannot write %s: %s", j->dest, strerror(errno));
        return bk_check_wal(j);
    }
    if (S_ISDIR(st.st_mode))
        return bk_fail(j, "%s is a folder, not a file", j->dest);
    if (!S_ISREG(st.st_mode))   /* --force must never replace a device or a pipe */
        return bk_fail(j, "%s is not a regular file", j->dest);
    if (stat(j->src, &live) == 0 && live.st_dev == st.st_dev && live.st_ino == st.st_ino)
        return bk_fail(j, "%s is the live database itself", j->dest);
    if (!force)
        return bk_fail(j, "%s already exists (--force replaces it)", j->dest);
    return bk_check_wal(j);
}

/* The temporary file, created empty (an empty file is an empty SQLite
 * database) and readable by its owner only: the copy holds password hashes
 * and encrypted keys. */
static int bk_make_tmp(bk_job *j)
{
    int n = snprintf(j->tmp, sizeof j->tmp, "%s.tmp-XXXXXX", j->dest);
    if (n < 0 || (size_t)n >= sizeof j->tmp)
        return bk_fail(j, "%s: the path is too long", j->dest);
    int fd = mkstemp(j->tmp);
    if (fd < 0)
        return bk_fail(j, "cannot write in %s: %s", j->dir, strerror(errno));
    j->have_tmp = true;
    close(fd);
    return 0;
}

static int bk_open(bk_job *j)
{
    struct stat st;
    if (stat(j->src, &st) != 0)
        return bk_fail(j, "cannot open the database %s: %s", j->src, strerror(errno));
    /* Read-write without CREATE: a WAL database is read through its -shm
     * index, which a read-only connection may be unable to set up. */
    db_sqlite_faults_install();
    if (sqlite3_open_v2(j->src, &j->from, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
        return bk_fail(j, "cannot open the database %s: %s", j->src,
                       j->from ? sqlite3_errmsg(j->from) : "out of memory");
    sqlite3_busy_timeout(j->from, 10000);
    if (sqlite3_open_v2(j->tmp, &j->to, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
        return bk_fail(j, "cannot open %s: %s", j->tmp,
                       j->to ? sqlite3_errmsg(j->to) : "out of memory");
    return 0;
}

/* One step of the copy; pages is BK_PAGES, or -1 for all that remains.
 * Returns SQLITE_OK, SQLITE_DONE, SQLITE_BUSY (paused: try again) or -1. */
static int bk_step(bk_job *j, sqlite3_backup *b, int pages, int *busy)
{
    int rc = sqlite3_backup_step(b, pages);
    if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) {
        if (++*busy > BK_MAX_BUSY)
            return bk_fail(j, "the database stayed busy: %s", sqlite3_errstr(rc));
        bk_pause(BK_BUSY_MS);
        return SQLITE_BUSY;
    }
    /* backup_step leaves no message on either connection (it is set on the
     * destination only by backup_finish): the code says what went wrong. */
    if (rc != SQLITE_OK && rc != SQLITE_DONE)
        return bk_fail(j, "copy failed: %s", sqlite3_errstr(rc));
    *busy = 0;
    return rc;
}

static int bk_copy(bk_job *j)
{
    sqlite3_backup *b = sqlite3_backup_init(j->to, "main", j->from, "main");
    if (!b)
        return bk_fail(j, "cannot start the copy: %s", sqlite3_errmsg(j->to));
    int rc = SQLITE_OK, busy = 0, last_left = INT_MAX;
    while (rc == SQLITE_OK || rc == SQLITE_BUSY) {
        if (bk_cancelled) {
            rc = bk_fail(j, "interrupted");
            break;
        }
        rc = bk_step(j, b, j->stats->restarts >= BK_MAX_RESTARTS ? -1 : BK_PAGES, &busy);
        j->stats->steps += rc != SQLITE_BUSY;
        if (rc != SQLITE_OK)
            continue;
        /* No progress: the server wrote and SQLite began again. */
        int left = sqlite3_backup_remaining(b);
        if (left >= last_left)
            j->stats->restarts++;
        last_left = left;
        bk_pause(BK_PAUSE_MS);
    }
    j->stats->pages = sqlite3_backup_pagecount(b);
    int frc = sqlite3_backup_finish(b);
    if (rc != SQLITE_DONE)
        return -1;
    if (frc != SQLITE_OK)
        return bk_fail(j, "copy failed: %s", sqlite3_errmsg(j->to));
    return 0;
}

/* The first value of a one-column pragma into out. */
static int bk_pragma(bk_job *j, const char *sql, char *out, size_t n)
{
    sqlite3_stmt *st = NULL;
    int rc = -1;
    if (sqlite3_prepare_v2(j->to, sql, -1, &st, NULL) != SQLITE_OK)
        goto out;
    if (sqlite3_step(st) != SQLITE_ROW)
        goto out;
    const unsigned char *v = sqlite3_column_text(st, 0);
    snprintf(out, n, "%s", v ? (const char *)v : "");
    rc = 0;
out:
    if (rc != 0)
        bk_fail(j, "%s on the copy failed: %s", sql, sqlite3_errmsg(j->to));
    sqlite3_finalize(st);
    return rc;
}

/* integrity_check rather than quick_check: it also checks that every index
 * agrees with its table, which quick_check skips, and it reads the copy,
 * not the live database, so its cost (a few seconds per GiB) delays only
 * the rename. */
static int bk_verify(bk_job *j)
{
    char v[512];
    if (bk_pragma(j, "PRAGMA journal_mode=WAL", v, sizeof v) != 0)
        return -1;
    if (strcmp(v, "wal") != 0)
        return bk_fail(j, "the copy stayed in journal mode %s instead of wal", v);
    if (bk_pragma(j, "PRAGMA integrity_check", v, sizeof v) != 0)
        return -1;
    if (strcmp(v, "ok") != 0)
        return bk_fail(j, "the copy failed PRAGMA integrity_check: %s", v);
    return 0;
}

/* Closing the copy's last connection checkpoints its WAL into the file
 * and deletes it: what remains is one file. */
static int bk_close_copy(bk_job *j)
{
    char wal[PATH_MAX + 8];
    struct stat st;
    int rc = sqlite3_close(j->to);
    j->to = NULL;
    if (rc != SQLITE_OK)
        return bk_fail(j, "cannot close the copy: %s", sqlite3_errstr(rc));
    snprintf(wal, sizeof wal, "%s-wal", j->tmp);
    if (lstat(wal, &st) == 0)
        return bk_fail(j, "the copy kept a WAL file (%s)", wal);
    return 0;
}

static int bk_fsync_path(const char *path, int flags)
{
    int fd = open(path, flags | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

static int bk_publish(bk_job *j)
{
    if (bk_cancelled)
        return bk_fail(j, "interrupted");
    if (bk_fsync_path(j->tmp, O_RDONLY) != 0)
        return bk_fail(j, "cannot sync %s: %s", j->tmp, strerror(errno));
    if (rename(j->tmp, j->dest) != 0)
        return bk_fail(j, "cannot rename %s to %s: %s", j->tmp, j->dest, strerror(errno));
    j->have_tmp = false;
    /* the rename itself survives a crash once the folder is synced */
    if (bk_fsync_path(j->dir, O_RDONLY | O_DIRECTORY) != 0)
        return bk_fail(j, "cannot sync %s: %s", j->dir, strerror(errno));
    return 0;
}

static void bk_remove_tmp(bk_job *j)
{
    static const char *const tails[] = { "", "-wal", "-shm", "-journal" };
    char p[PATH_MAX + 16];
    if (!j->have_tmp)
        return;
    for (size_t i = 0; i < sizeof tails / sizeof tails[0]; i++) {
        snprintf(p, sizeof p, "%s%s", j->tmp, tails[i]);
        unlink(p);
    }
    j->have_tmp = false;
}

int db_backup(const char *dest, bool force, db_backup_stats *stats, char *why, size_t whylen)
{
    bk_job j = { .src = db_sqlite_path(), .dest = dest, .stats = stats, .why = why,
                 .whylen = whylen };
    int rc = -1;
    memset(stats, 0, sizeof *stats);
    if (!j.src) {
        bk_fail(&j, "the configured database is not SQLite");
        goto out;
    }
    if (bk_check_dest(&j, force) != 0 || bk_make_tmp(&j) != 0 || bk_open(&j) != 0 ||
        bk_copy(&j) != 0 || bk_verify(&j) != 0 || bk_close_copy(&j) != 0)
        goto out;
    sqlite3_close(j.from);
    j.from = NULL;
    rc = bk_publish(&j);
out:
    sqlite3_close(j.to);
    sqlite3_close(j.from);
    bk_remove_tmp(&j);
    return rc;
}

/* ---- PostgreSQL: what to run instead ------------------------------------ */

/* s in single quotes for a POSIX shell. */
static void hint_quote(buf *b, const char *s, size_t n)
{
    buf_putc(b, '\'');
    for (size_t i = 0; i < n; i++)
        if (s[i] == '\'')
            buf_puts(b, "'\\''");
        else
            buf_putc(b, s[i]);
    buf_putc(b, '\'');
}

/* The URL without its password: "user:pw@" becomes "user@", a password=
 * query parameter and any fragment are dropped. */
static void hint_url(buf *b, const char *url)
{
    buf u = BUF_INIT(8192);
    const char *auth = strstr(url, "://");
    auth = auth ? auth + 3 : url;
    size_t alen = strcspn(auth, "/?#");
    const char *at = memrchr(auth, '@', alen);
    buf_append(&u, url, (size_t)(auth - url));
    if (at) {
        const char *colon = memchr(auth, ':', (size_t)(at - auth));
        buf_append(&u, auth, (size_t)((colon ? colon : at) - auth));
        buf_putc(&u, '@');
        auth = at + 1;
    }
    buf_append(&u, auth, strcspn(auth, "?#"));
    const char *q = auth + strcspn(auth, "?#");
    char sep = '?';
    while (*q == '?' || *q == '&') {
        q++;
        size_t n = strcspn(q, "&#");
        if (n && strncmp(q, "password=", 9) != 0) {
            buf_putc(&u, sep);
            buf_append(&u, q, n);
            sep = '&';
        }
        q += n;
    }
    if (u.p)
        hint_quote(b, u.p, u.len);
    buf_free(&u);
}

char *db_pg_dump_hint(const char *url, const char *file)
{
    buf b = BUF_INIT(32768);
    buf_puts(&b, "DATABASE_URL is PostgreSQL, and `chimerad backup` copies SQLite files only.\n"
                 "Back PostgreSQL up with pg_dump, for example:\n\n  pg_dump --format=custom --file=");
    hint_quote(&b, file, strlen(file));
    buf_puts(&b, " --dbname=");
    hint_url(&b, url);
    buf_puts(&b, "\n\nThe password is left out: pg_dump takes it from PGPASSWORD or ~/.pgpass,\n"
                 "or asks for it. pg_restore --clean --if-exists --dbname=… restores the file.\n");
    return buf_steal(&b);
}
