/* sse.h — an incremental parser of server-sent events (the WHATWG
 * text/event-stream rules): bytes go in as they arrive, in pieces of any
 * size; each complete event comes out as (event name, data). Lines and
 * events are bounded: past the limit the stream is refused, never grown.
 * Leaf code: no I/O, no provider knowledge. */
#ifndef CHIMERA_LLM_SSE_H
#define CHIMERA_LLM_SSE_H

#include "util/buf.h"

#include <stdbool.h>
#include <stddef.h>

#define LLM_SSE_EVENT_MAX 64        /* longest event name kept */

/* Called per event; event is "message" when the stream named none; data
 * (NUL-terminated, len bytes) is the event's data lines joined by "\n".
 * Returns 0 to go on, non-zero to stop the feed (returned by it). */
typedef int (*llm_sse_fn)(void *ctx, const char *event, const char *data, size_t len);

typedef struct llm_sse {
    buf line;                       /* the line being read */
    buf data;                       /* data of the event being read */
    bool has_data;                  /* a data field was seen */
    bool after_cr;                  /* last byte was CR: a following LF ends nothing */
    char event[LLM_SSE_EVENT_MAX];
} llm_sse;

/* max bounds one line and one event's data (bytes). */
void llm_sse_init(llm_sse *s, size_t max);
void llm_sse_free(llm_sse *s);

/* Feeds n bytes. Returns 0; -1 when a line or an event passes the bound
 * (or memory runs out); or what fn returned when it stopped the feed. */
int llm_sse_feed(llm_sse *s, const char *p, size_t n, llm_sse_fn fn, void *ctx);

#endif
