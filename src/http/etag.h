/* etag.h — entity tags for conditional GETs (RFC 9110 §8.8.3, §13.1.2):
 * formatting a strong tag from a digest, and If-None-Match matching.
 * Leaf module: no HTTP server, no database. */
#ifndef CHIMERA_HTTP_ETAG_H
#define CHIMERA_HTTP_ETAG_H

#include <stdbool.h>
#include <stddef.h>

#define ETAG_DIGEST 12          /* bytes of BLAKE2b behind a tag */
#define ETAG_MAX 32             /* "\"" + 24 hex digits + "\"" + NUL, with room */

/* An incremental digest: feed what the answer depends on, then format. */
typedef struct etag_hash {
    unsigned char state[384] __attribute__((aligned(64)));     /* crypto_generichash_state */
} etag_hash;

void etag_begin(etag_hash *h);
void etag_add(etag_hash *h, const void *p, size_t n);
/* Adds a NUL-terminated string with its terminator (so "a","bc" != "ab","c");
 * NULL adds as the empty string would not: a lone 0xff byte. */
void etag_add_str(etag_hash *h, const char *s);
void etag_add_int(etag_hash *h, long long v);
/* Writes the quoted strong tag "…" to out. */
void etag_end(etag_hash *h, char out[ETAG_MAX]);

/* True when the If-None-Match value (a comma-separated list of entity
 * tags, or "*") names etag under the weak comparison the header uses
 * (W/"x" matches "x"). A malformed value matches nothing: it is ignored,
 * never an error. */
bool etag_matches(const char *if_none_match, const char *etag);

#endif
