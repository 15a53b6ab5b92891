/* stream.h — a provider's streamed chat reply, decoded as it arrives:
 * OpenAI-compatible "data: {choices[0].delta.content}" … "data: [DONE]"
 * (openai, deepseek, groq, local servers), Anthropic's content_block_delta
 * events, Gemini's streamGenerateContent?alt=sse chunks. Pieces of reply
 * text come out through a callback; token counts and the model reported
 * are kept for the reply's metadata. No I/O: bytes in, pieces out. */
#ifndef CHIMERA_LLM_STREAM_H
#define CHIMERA_LLM_STREAM_H

#include "llm/provider.h"
#include "llm/sse.h"

#include <stdbool.h>
#include <stddef.h>

#define LLM_STREAM_EVENT_MAX (256 * 1024)   /* one upstream event, bytes */

/* One piece of reply text (UTF-8, NUL-terminated at len). Returns 0, or
 * non-zero to stop the feed. */
typedef int (*llm_piece_fn)(void *ctx, const char *text, size_t len);

typedef struct llm_stream {
    llm_provider provider;
    llm_sse sse;
    long in_tokens, out_tokens, total_tokens;
    char model[128];                /* reported by the provider, else requested */
    char *error;                    /* an error event inside the stream (owned) */
    bool finished;                  /* the provider said the reply is complete */
    /* feed-time context */
    llm_piece_fn piece;
    void *piece_ctx;
} llm_stream;

void llm_stream_init(llm_stream *s, llm_provider p, const char *requested_model);
void llm_stream_free(llm_stream *s);

/* Feeds upstream bytes of a 2xx answer. Returns 0; -1 for an event past
 * LLM_STREAM_EVENT_MAX, or an error event (s->error says which); or what
 * piece returned when it stopped the feed. */
int llm_stream_feed(llm_stream *s, const char *p, size_t n, llm_piece_fn piece, void *ctx);

/* The reply of a finished stream whose pieces joined are text: tokens and
 * model as the non-streaming parse of the same provider reports them. */
void llm_stream_reply(const llm_stream *s, const char *text, llm_reply *out);

#endif
