/* rows.h — small helpers for reading result columns into rows (store/
 * internal). */
#ifndef CHIMERA_STORE_ROWS_H
#define CHIMERA_STORE_ROWS_H

#include "db/db.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Heap copy of a text column into *dst (NULL for SQL NULL). False only when
 * out of memory: a reader then fails rather than pass a NULL field on as
 * "no value". */
static inline bool col_dup(db_stmt *st, int col, char **dst)
{
    const char *s = db_col_text(st, col);
    *dst = s ? strdup(s) : NULL;
    return !s || *dst;
}

/* Copies a text column into a fixed buffer ("" for NULL), truncating. */
static inline void col_copy(char *dst, size_t dstsz, db_stmt *st, int col)
{
    const char *s = db_col_text(st, col);
    size_t n = s ? strlen(s) : 0;
    if (n >= dstsz)
        n = dstsz - 1;
    if (n)
        memcpy(dst, s, n);
    dst[n] = '\0';
}
#define COL_COPY(dst, st, col) col_copy((dst), sizeof(dst), (st), (col))

/* Heap copy into *dst that is never NULL ("" for SQL NULL); false (and *dst
 * NULL) only when out of memory. */
static inline bool col_dup_str(db_stmt *st, int col, char **dst)
{
    const char *s = db_col_text(st, col);
    *dst = strdup(s ? s : "");
    return *dst != NULL;
}

#endif
