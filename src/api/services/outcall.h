/* outcall.h — a handler's outbound HTTP call, with no worker thread waiting
 * on the network: api_fetch suspends the request, hands the net_request to
 * the outbound engine (net/outbound.h), and once the transfer has ended runs
 * then(r, res, ctx) on a worker thread, where it answers r or fetches again
 * (a retry, the next batch). Chat replies, connection tests, remote
 * embeddings and import-url all go through here. */
#ifndef CHIMERA_API_OUTCALL_H
#define CHIMERA_API_OUTCALL_H

#include "http/request.h"
#include "net/request.h"

typedef void (*api_fetch_then)(http_req *r, const net_result *res, void *ctx);

/* Takes req (heap-allocated, non-NULL; freed with net_request_free + free).
 * then runs exactly once, with res valid until it returns (body
 * NUL-terminated): after the transfer, or with a failed result (status 0,
 * NET_FAILED) when the engine refused the request ("Server shutting down")
 * or memory ran out ("Out of memory"). ctx stays the caller's. */
void api_fetch(http_req *r, net_request *req, api_fetch_then then, void *ctx);

#endif
