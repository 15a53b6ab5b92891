/* memory_terms.h — the keyword index (BM25 postings) of the memory bank:
 * per workspace, each term of each memory's title (counted twice) and
 * content (src/util/terms.c), its weighted count and the memory's length,
 * plus each term's document frequency and the workspace's total length.
 * Written by memories.c inside each memory write's transaction, so the
 * index never disagrees with the memories; read by keyword search. */
#ifndef CHIMERA_STORE_MEMORY_TERMS_H
#define CHIMERA_STORE_MEMORY_TERMS_H

#include "db/db.h"
#include "store/store.h"

#include <stddef.h>
#include <stdint.h>

/* How much more a title's term counts than a content's. */
#define TERMS_TITLE_WEIGHT 2

/* ---- inside the caller's transaction (d from st_write) ---- */

/* (Re)indexes memory id of wid from its title and content as stored on d:
 * its old postings go, the new ones come, and its length moves the
 * workspace's total. */
st_rc memory_terms_index_on(db *d, const char *wid, const char *id);

/* Removes memory id's postings and its length from the workspace's total
 * (before the memory is deleted). */
st_rc memory_terms_drop_on(db *d, const char *wid, const char *id);

/* ---- on their own ---- */

/* Indexes every memory not indexed yet (term_count NULL: those of before
 * the keyword index, or written by an older server), in transactions of a
 * few hundred; *done counts them. */
st_rc memory_terms_backfill(size_t *done);

/* The workspace's number of memories and sum of their lengths. */
st_rc memory_terms_stats(const char *wid, int64_t *docs, int64_t *length);

/* How many memories of wid hold term (one lookup). */
st_rc memory_terms_df(const char *wid, const char *term, int64_t *df);

/* Reports each memory of wid that holds term: id, tf, its length; a
 * non-zero return stops (ST_DB_ERROR). */
typedef int (*memory_posting_fn)(void *ctx, const char *id, int64_t tf, int64_t doc_len);
st_rc memory_terms_postings(const char *wid, const char *term, memory_posting_fn fn, void *ctx);

/* tf of term in memory id of wid: ST_NOT_FOUND when it does not hold it. */
st_rc memory_terms_tf(const char *wid, const char *term, const char *id, int64_t *tf);

#endif
