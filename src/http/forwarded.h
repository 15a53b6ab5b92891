/* forwarded.h — the client address of a request that came through proxies.
 * X-Forwarded-For is believed only from a trusted peer, and only as far as
 * the chain of trusted hops reaches: each proxy appends the address it got
 * the request from, so walking from the right, the first address that is
 * not a trusted proxy is the one no client could have forged. Leaf code:
 * strings in, an address out. */
#ifndef CHIMERA_HTTP_FORWARDED_H
#define CHIMERA_HTTP_FORWARDED_H

#include "util/cidr.h"

#include <stddef.h>

/* values: every X-Forwarded-For header line in the order received (each a
 * comma list; empty list items are skipped). Returns in *client:
 *   - the peer itself when it is not trusted (the header is ignored);
 *   - else the rightmost address that is not trusted;
 *   - the leftmost address when all are trusted (the peer without a header);
 *   - the last trusted hop seen when the walk meets an item that is not an
 *     address: nothing left of garbage is believed. */
void fwd_client(const cidr_list *trusted, const ip_addr *peer, const char *const *values,
                size_t nvalues, ip_addr *client);

#endif
