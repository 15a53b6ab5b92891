/* outbound.h — the outbound engine: one thread driving libcurl's multi
 * interface for every slow outbound call (chat replies, connection tests,
 * remote embeddings, URL imports), so no HTTP worker thread ever waits on
 * the network. A job is submitted with a completion callback, which runs on
 * the engine thread when the transfer ends (success, HTTP error, timeout,
 * transport failure or cancellation at shutdown). Bodies are capped. */
#ifndef CHIMERA_LLM_OUTBOUND_H
#define CHIMERA_LLM_OUTBOUND_H

#include "llm/provider.h"

#include <stddef.h>
#include <stdint.h>

typedef struct ob_result {
    long status;                /* HTTP status, 0 on transport failure */
    char *body;                 /* NUL-terminated, owned by the engine */
    size_t len;
    int timed_out;
    int transport_failed;       /* 0, LLM_NET_FAILED or LLM_NET_UNREACHABLE */
    int too_large;              /* body passed the cap */
    int blocked;                /* LLM_REQ_PUBLIC_ONLY refused an address */
    char content_type[128];     /* Content-Type of the answer ("" if none) */
    char error[256];            /* curl's error text on failure */
} ob_result;

/* Called once per job on the engine thread; must not block. */
typedef void (*ob_done)(void *ctx, const ob_result *res);

/* Starts the engine thread. max_body caps every response body (0: 5 MiB).
 * Returns 0, or -1 (already running, or libcurl failed to start). */
int outbound_start(size_t max_body);

/* Stops accepting jobs, lets in-flight jobs finish or time out (up to
 * grace_s seconds, then cancels them: their callbacks still run), joins. */
void outbound_stop(long grace_s);

/* Submits req, a heap-allocated request: on 0 the engine owns it (and
 * frees it with llm_request_free + free). Returns -1 when the engine is
 * stopped: req stays the caller's and the callback is not called.
 * Callable from any thread, including from a completion callback. */
int outbound_submit(llm_request *req, ob_done done, void *ctx);

/* Jobs submitted and not yet completed. */
size_t outbound_in_flight(void);

/* Completed calls by target (llm_request.target) and outcome, for the
 * metrics endpoint. Targets: the providers, "embeddings", "import",
 * "other"; outcomes: ok (2xx), http_error, timeout, network, too_large,
 * blocked. */
#define OB_TARGETS 8
#define OB_OUTCOMES 6
extern const char *const outbound_target_names[OB_TARGETS];
extern const char *const outbound_outcome_names[OB_OUTCOMES];
void outbound_counts(uint64_t out[OB_TARGETS][OB_OUTCOMES]);

#endif
