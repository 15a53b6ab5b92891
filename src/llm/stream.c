/* stream.c — see stream.h. Each provider's events are JSON objects; the
 * lookups tolerate missing levels (llm_json_*), so an event without text
 * (role announcements, usage, pings) simply yields no piece. */
#include "llm/stream.h"

#include "llm/common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void llm_stream_init(llm_stream *s, llm_provider p, const char *requested_model)
{
    memset(s, 0, sizeof *s);
    s->provider = p;
    llm_sse_init(&s->sse, LLM_STREAM_EVENT_MAX);
    snprintf(s->model, sizeof s->model, "%s", requested_model ? requested_model : "");
}

void llm_stream_free(llm_stream *s)
{
    llm_sse_free(&s->sse);
    free(s->error);
    s->error = NULL;
}

static int stream_fail(llm_stream *s, const char *msg)
{
    if (!s->error)
        s->error = strdup(msg && *msg ? msg : "Stream error");
    return -1;
}

static int stream_piece(llm_stream *s, const char *text)
{
    if (!text || !*text)
        return 0;
    return s->piece(s->piece_ctx, text, strlen(text));
}

/* An "error" object in an event: {"error": {"message": …}} or a string. */
static int stream_error_of(llm_stream *s, const json_t *root)
{
    const json_t *err = json_object_get(root, "error");
    if (!err)
        return 0;
    const char *msg = llm_json_str(json_object_get(err, "message"));
    return stream_fail(s, msg ? msg : llm_json_str(err));
}

static void stream_model(llm_stream *s, const json_t *v)
{
    const char *m = llm_json_str(v);
    if (m && *m)
        snprintf(s->model, sizeof s->model, "%s", m);
}

static int openai_event(llm_stream *s, json_t *root)
{
    json_t *choice = json_array_get(json_object_get(root, "choices"), 0);
    json_t *usage = json_object_get(root, "usage");
    stream_model(s, json_object_get(root, "model"));
    if (usage)
        s->total_tokens = llm_json_long(json_object_get(usage, "total_tokens"));
    return stream_piece(s, llm_json_str(json_object_get(json_object_get(choice, "delta"),
                                                        "content")));
}

static int anthropic_event(llm_stream *s, const char *event, json_t *root)
{
    const char *type = llm_json_str(json_object_get(root, "type"));
    if (!type)
        type = event;
    if (strcmp(type, "message_start") == 0) {
        json_t *msg = json_object_get(root, "message");
        stream_model(s, json_object_get(msg, "model"));
        s->in_tokens = llm_json_long(json_object_get(json_object_get(msg, "usage"),
                                                     "input_tokens"));
    } else if (strcmp(type, "message_delta") == 0) {
        s->out_tokens = llm_json_long(json_object_get(json_object_get(root, "usage"),
                                                      "output_tokens"));
    } else if (strcmp(type, "message_stop") == 0) {
        s->finished = true;
    } else if (strcmp(type, "content_block_delta") == 0) {
        return stream_piece(s, llm_json_str(json_object_get(json_object_get(root, "delta"),
                                                            "text")));
    }
    return 0;
}

/* Gemini: every chunk is a GenerateContentResponse; all its parts' text. */
static int google_event(llm_stream *s, json_t *root)
{
    json_t *cand = json_array_get(json_object_get(root, "candidates"), 0);
    json_t *parts = json_object_get(json_object_get(cand, "content"), "parts");
    size_t i;
    json_t *part;
    json_array_foreach(parts, i, part) {
        int rc = stream_piece(s, llm_json_str(json_object_get(part, "text")));
        if (rc != 0)
            return rc;
    }
    if (llm_json_str(json_object_get(cand, "finishReason")))
        s->finished = true;
    return 0;
}

static int stream_event(void *ctx, const char *event, const char *data, size_t len)
{
    llm_stream *s = ctx;
    if (s->provider != LLM_ANTHROPIC && len == 6 && memcmp(data, "[DONE]", 6) == 0) {
        s->finished = true;
        return 0;
    }
    json_t *root = llm_json_parse(data, len);
    if (!root)
        return stream_fail(s, "Invalid JSON in provider stream");
    int rc = stream_error_of(s, root);
    if (rc == 0) {
        if (s->provider == LLM_ANTHROPIC)
            rc = anthropic_event(s, event, root);
        else if (s->provider == LLM_GOOGLE)
            rc = google_event(s, root);
        else
            rc = openai_event(s, root);
    }
    json_decref(root);
    return rc;
}

int llm_stream_feed(llm_stream *s, const char *p, size_t n, llm_piece_fn piece, void *ctx)
{
    s->piece = piece;
    s->piece_ctx = ctx;
    int rc = llm_sse_feed(&s->sse, p, n, stream_event, s);
    if (rc == -1 && !s->error)
        stream_fail(s, "Provider stream event too large");
    return rc;
}

void llm_stream_reply(const llm_stream *s, const char *text, llm_reply *out)
{
    long tokens = s->provider == LLM_ANTHROPIC ? s->in_tokens + s->out_tokens
                  : s->provider == LLM_GOOGLE  ? 0
                                               : s->total_tokens;
    memset(out, 0, sizeof *out);
    llm_reply_set_text(out, text ? text : "", tokens, s->model);
}
