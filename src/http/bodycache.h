/* bodycache.h — built answers kept while their ETag holds. The ETags
 * decided before a handler runs (api/conditional.c) name exactly what an
 * answer shows — who asks, the route, the change stamps in the database —
 * so an entry found under one is that answer, on any node, until a write
 * moves a stamp and the ETag with it. A poll without If-None-Match (a
 * client that keeps no cache) then costs the stamp read and a copy-free
 * send; the gzip form is made once per entry. Bounded by bytes, least
 * recently used out first. Thread-safe. */
#ifndef CHIMERA_HTTP_BODYCACHE_H
#define CHIMERA_HTTP_BODYCACHE_H

#include <stddef.h>

typedef struct bc_entry bc_entry;

/* Sets the byte budget (0 turns the cache off) and empties the cache. */
void bc_configure(size_t max_bytes);

/* The entry for etag with a reference the caller must release, or NULL. */
bc_entry *bc_lookup(const char *etag);

/* Keeps body (malloc'd, len bytes) under etag and returns a reference to
 * its entry; the entry owns body then. NULL when the cache is off or the
 * body is over a quarter of the budget: body stays the caller's. */
bc_entry *bc_store(const char *etag, char *body, size_t len);

const char *bc_body(const bc_entry *e, size_t *len);

/* The body gzip-compressed (made on first call), or NULL when compression
 * failed. */
const char *bc_gzip(bc_entry *e, size_t *len);

void bc_release(bc_entry *e);

/* Entries and bytes held (metrics, tests). */
void bc_usage(size_t *entries, size_t *bytes);

#endif
