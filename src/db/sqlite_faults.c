/* sqlite_faults.c — the test build's failing disk (see util/fault.h, kind
 * file_write): a SQLite VFS over the default one whose files answer the
 * Nth write with SQLITE_FULL, as a full disk does. The files are the
 * default VFS's own; only their method table is swapped for a copy whose
 * xWrite asks fault_fail() first. Empty unless built with -DCHIMERA_FAULTS. */
#include "db/engine.h"

#ifdef CHIMERA_FAULTS
#include "util/fault.h"

#include <pthread.h>
#include <sqlite3.h>

/* One copy per method table the default VFS hands out (files, journals,
 * WAL: the unix VFS uses a few). */
#define MAX_TABLES 8

static struct table {
    sqlite3_io_methods copy;            /* first: a file's pMethods is its table */
    const sqlite3_io_methods *real;
} tables[MAX_TABLES];
static int ntables;
static pthread_mutex_t tables_lock = PTHREAD_MUTEX_INITIALIZER;
static sqlite3_vfs faulty, *base;

static int faulty_write(sqlite3_file *f, const void *data, int n, sqlite3_int64 off)
{
    const struct table *t = (const struct table *)(const void *)f->pMethods;
    if (fault_fail(FAULT_FILE_WRITE))
        return SQLITE_FULL;
    return t->real->xWrite(f, data, n, off);
}

/* The copy standing for real (made at its first sight); NULL when the
 * table is full, and the file then keeps its own methods. */
static const sqlite3_io_methods *copy_of(const sqlite3_io_methods *real)
{
    const sqlite3_io_methods *out = NULL;
    pthread_mutex_lock(&tables_lock);
    for (int i = 0; i < ntables && !out; i++)
        if (tables[i].real == real)
            out = &tables[i].copy;
    if (!out && ntables < MAX_TABLES) {
        struct table *t = &tables[ntables++];
        t->real = real;
        t->copy = *real;
        t->copy.xWrite = faulty_write;
        out = &t->copy;
    }
    pthread_mutex_unlock(&tables_lock);
    return out;
}

static int faulty_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags,
                       int *out_flags)
{
    (void)vfs;
    int rc = base->xOpen(base, name, f, flags, out_flags);
    if (rc == SQLITE_OK && f->pMethods) {
        const sqlite3_io_methods *copy = copy_of(f->pMethods);
        if (copy)
            f->pMethods = copy;
    }
    return rc;
}

static void install(void)
{
    base = sqlite3_vfs_find(NULL);
    if (!base)
        return;
    faulty = *base;
    faulty.zName = "chimera-faults";
    faulty.pNext = NULL;
    faulty.xOpen = faulty_open;
    sqlite3_vfs_register(&faulty, 1);
}

void db_sqlite_faults_install(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, install);
}
#else
void db_sqlite_faults_install(void)
{
}
#endif
