/* outbound.h — the outbound engine: one thread driving libcurl's multi
 * interface for every slow outbound call (chat replies, connection tests,
 * remote embeddings, URL imports), so no HTTP worker thread ever waits on
 * the network. A job is submitted with a completion callback, which runs on
 * the engine thread when the transfer ends (success, HTTP error, timeout,
 * transport failure or cancellation at shutdown). Bodies are capped. */
#ifndef CHIMERA_NET_OUTBOUND_H
#define CHIMERA_NET_OUTBOUND_H

#include "net/request.h"

#include <stddef.h>
#include <stdint.h>

/* Starts the engine thread. max_body caps every response body (0: 5 MiB).
 * Returns 0, or -1 (already running, or libcurl failed to start). */
int outbound_start(size_t max_body);

/* Stops accepting jobs, lets in-flight jobs finish or time out (up to
 * grace_s seconds, then cancels them: their callbacks still run), joins. */
void outbound_stop(long grace_s);

/* Submits req, a heap-allocated request: on 0 the engine owns it (and
 * frees it with net_request_free + free). Returns -1 when the engine is
 * stopped: req stays the caller's and the callback is not called.
 * Callable from any thread, including from a completion callback. */
int outbound_submit(net_request *req, net_done done, void *ctx);

/* Wakes the engine so that it notices a request's cancel flag at once
 * (net_request.cancel); any thread. */
void outbound_wake(void);

/* Jobs submitted and not yet completed. */
size_t outbound_in_flight(void);

/* Completed calls by target (net_request.target) and outcome, for the
 * metrics endpoint. Targets: the providers, "embeddings", "import",
 * "other"; outcomes: ok (2xx), http_error, timeout, network, too_large,
 * blocked. */
#define OB_TARGETS 8
#define OB_OUTCOMES 6
extern const char *const outbound_target_names[OB_TARGETS];
extern const char *const outbound_outcome_names[OB_OUTCOMES];
void outbound_counts(uint64_t out[OB_TARGETS][OB_OUTCOMES]);

#endif
