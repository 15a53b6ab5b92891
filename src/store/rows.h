/* rows.h — small helpers for reading result columns into rows (store/
 * internal). */
#ifndef CHIMERA_STORE_ROWS_H
#define CHIMERA_STORE_ROWS_H

#include "db/db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Heap copy of a text column (NULL for SQL NULL). */
static inline char *col_dup(db_stmt *st, int col)
{
    const char *s = db_col_text(st, col);
    return s ? strdup(s) : NULL;
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

/* Heap copy that is never NULL ("" for SQL NULL); NULL only when out of memory. */
static inline char *col_dup_str(db_stmt *st, int col)
{
    const char *s = db_col_text(st, col);
    return strdup(s ? s : "");
}

#endif
