/* chat_stream.c — the reply to a sent message as server-sent events
 * (Accept: text/event-stream), see chat.h. No thread waits on the
 * provider: the request is a streaming transfer of the outbound engine,
 * whose data callback (engine thread) decodes the provider's events
 * (llm/stream.h) into "delta" events queued here and wakes the live
 * response (http/live.h); the connection's worker sends them. Once the
 * transfer has ended, the worker that sends the body stores the reply
 * (one msg_add, as chat.c) and queues "done" or "error". A client that
 * goes away cancels the transfer; what arrived is stored with
 * metadata.partial = true. The reply is stored once: `stored` is set under
 * the lock by whichever of the two paths stores it. */
#include "api/handlers/chat.h"

#include "api/access.h"
#include "api/api.h"
#include "api/shapes/conv_json.h"
#include "api/services/secrets.h"
#include "config.h"
#include "http/headers.h"
#include "http/live.h"
#include "http/response.h"
#include "llm/stream.h"
#include "net/outbound.h"
#include "util/buf.h"
#include "util/isotime.h"
#include "util/oom.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Bytes of SSE per byte of text at worst: JSON escapes ("\u001f") and the
 * event framing. */
#define CS_OUT_FACTOR 8

typedef struct cstream {
    pthread_mutex_t mu;             /* everything up to `cancel` */
    buf out;                        /* SSE not yet handed to the connection */
    buf text;                       /* the reply so far: the pieces joined */
    bool upstream_done;             /* the transfer has ended … */
    net_result res;                 /* … thus (body: `errbody`) */
    char *errbody;
    char *decode_error;             /* the stream itself reported an error */
    bool final_queued;              /* "done" or "error" is in `out` */
    bool stored;
    atomic_int cancel;              /* net_request.cancel */

    /* worker side, or engine side while a transfer runs */
    llm_stream dec;
    http_live *live;
    conv_row conv;
    message_row user;
    llm_provider provider;
    char requested[128];
    char *key;                      /* for Google's one retry; wiped */
    bool retried;
    int64_t t0;
} cstream;

bool chat_wants_stream(const http_req *r)
{
    return hdr_accepts_event_stream(req_header(r, "Accept"));
}

/* ---- the stream object --------------------------------------------------- */

static cstream *cs_new(void)
{
    cstream *cs = calloc(1, sizeof *cs);
    if (!cs || pthread_mutex_init(&cs->mu, NULL) != 0) {
        free(cs);
        return NULL;
    }
    cs->text.max = cfg.outbound_max_body;
    cs->out.max = cfg.outbound_max_body * CS_OUT_FACTOR + 4096;
    atomic_init(&cs->cancel, 0);
    return cs;
}

static void cs_free(void *cls)
{
    cstream *cs = cls;
    buf_free(&cs->out);
    buf_free(&cs->text);
    free(cs->errbody);
    free(cs->decode_error);
    llm_stream_free(&cs->dec);
    conv_row_free(&cs->conv);
    message_row_free(&cs->user);
    secrets_wipe(cs->key);
    pthread_mutex_destroy(&cs->mu);
    free(cs);
}

/* "event: <name>\ndata: <json>\n\n" into out (lock held). */
static int cs_event(cstream *cs, const char *name, const char *json)
{
    return buf_printf(&cs->out, "event: %s\ndata: %s\n\n", name, json);
}

/* ---- engine thread: the transfer ----------------------------------------- */

static int cs_piece(void *ctx, const char *text, size_t len)
{
    cstream *cs = ctx;
    pthread_mutex_lock(&cs->mu);
    size_t mark = cs->out.len;
    int rc = buf_append(&cs->text, text, len);
    if (rc == 0)
        rc = buf_puts(&cs->out, "event: delta\ndata: {\"content\":\"") |
             buf_json_str(&cs->out, text) | buf_puts(&cs->out, "\"}\n\n");
    if (rc != 0 && cs->out.p) {     /* no half frame before the error event */
        cs->out.len = mark;
        cs->out.p[mark] = '\0';
    }
    pthread_mutex_unlock(&cs->mu);
    return rc;
}

static int cs_data(void *ctx, const char *p, size_t n)
{
    cstream *cs = ctx;
    int rc = llm_stream_feed(&cs->dec, p, n, cs_piece, cs);
    if (rc != 0 && !cs->dec.error)
        cs->dec.error = strdup("Response too large");
    http_live_wake(cs->live);
    return rc == 0 ? 0 : -1;
}

/* The transfer has ended: keep the outcome for the worker, wake it, and
 * drop the engine's reference. */
static void cs_done(void *ctx, const net_result *res)
{
    cstream *cs = ctx;
    pthread_mutex_lock(&cs->mu);
    cs->res = *res;
    cs->errbody = res->len ? strndup(res->body, res->len) : NULL;
    cs->res.body = cs->errbody ? cs->errbody : "";
    cs->res.len = cs->errbody ? strlen(cs->errbody) : 0;
    if (cs->dec.error && !cs->decode_error)
        cs->decode_error = strdup(cs->dec.error);
    cs->upstream_done = true;
    pthread_mutex_unlock(&cs->mu);
    http_live_wake(cs->live);
    http_live_release(cs->live);
}

/* Worker: builds and submits the streaming request. 0, or -1 (nothing
 * submitted). */
static int cs_submit(cstream *cs)
{
    net_request *req = calloc(1, sizeof *req);
    if (!req || chat_build_request(&cs->conv, &cs->user, cs->provider, cs->key, cs->requested,
                                   true, req) != 0) {
        free(req);
        return -1;
    }
    llm_stream_free(&cs->dec);
    llm_stream_init(&cs->dec, cs->provider, cs->requested);
    req->on_data = cs_data;
    req->data_ctx = cs;
    req->cancel = &cs->cancel;
    http_live_retain(cs->live);
    if (outbound_submit(req, cs_done, cs) != 0) {
        net_request_free(req);
        free(req);
        http_live_release(cs->live);
        return -1;
    }
    return 0;
}

/* ---- worker: storing and the final event ---------------------------------- */

/* Stores text as the assistant message (lock not held). */
static st_rc cs_store(cstream *cs, const char *text, const llm_stream *dec, bool partial,
                      message_row *a)
{
    llm_reply rep;
    llm_stream_reply(dec, text, &rep);
    char *meta = rep.text ? chat_reply_metadata(&rep, cs->provider, cs->t0, partial) : NULL;
    st_rc st = meta ? msg_add(&cs->conv, "assistant", text, meta, a) : ST_DB_ERROR;
    free(meta);
    llm_reply_free(&rep);
    return st;
}

static void cs_queue_error(cstream *cs, const char *msg)
{
    json_t *s = json_string(msg);
    char *text = s ? json_dumps_whole(s, JSON_ENCODE_ANY) : NULL;
    pthread_mutex_lock(&cs->mu);
    cs_event(cs, "error", text ? text : "\"AI call failed\"");
    cs->final_queued = true;
    cs->stored = true;          /* a failed reply stores no assistant message */
    pthread_mutex_unlock(&cs->mu);
    free(text);
    json_decref(s);
}

static void cs_queue_done(cstream *cs, const message_row *a)
{
    json_t *d = json_pack("{s:o,s:o}", "userMessage", message_json(&cs->user),
                          "assistantMessage", message_json(a));
    char *text = d ? json_dumps_whole(d, JSON_COMPACT) : NULL;
    json_decref(d);
    if (!text) {
        cs_queue_error(cs, "AI call failed: out of memory");
        return;
    }
    pthread_mutex_lock(&cs->mu);
    cs_event(cs, "done", text);
    cs->final_queued = true;
    pthread_mutex_unlock(&cs->mu);
    free(text);
}

/* The provider's failure as API.md §5.5 words it. */
static void cs_failure_text(const cstream *cs, char *msg, size_t sz)
{
    llm_reply rep = { 0 };
    const net_result *res = &cs->res;
    if (cs->decode_error)
        rep.error = strdup(cs->decode_error);
    else if (res->transport_failed || res->timed_out)
        llm_chat_failed(res->timed_out, res->error, &rep);
    else
        llm_chat_parse(cs->provider, cs->requested, res->status, res->body, res->len, &rep);
    snprintf(msg, sz, "AI response failed: %s", rep.error ? rep.error : "unknown error");
    llm_reply_free(&rep);
}

static bool cs_succeeded(const cstream *cs)
{
    return !cs->decode_error && !cs->res.transport_failed && cs->res.status >= 200 &&
           cs->res.status <= 299;
}

/* The transfer has ended and the client is there: retry (Google 404),
 * or store the reply and queue "done", or queue "error". */
static void cs_finish(cstream *cs)
{
    char msg[600];
    if (!cs->retried && !cs->res.transport_failed &&
        llm_chat_retry(cs->provider, cs->requested, cs->res.status)) {
        cs->retried = true;
        snprintf(cs->requested, sizeof cs->requested, "%s", LLM_GOOGLE_FALLBACK);
        pthread_mutex_lock(&cs->mu);
        cs->upstream_done = false;
        free(cs->errbody);
        cs->errbody = NULL;
        pthread_mutex_unlock(&cs->mu);
        if (cs_submit(cs) == 0)
            return;
        cs_queue_error(cs, "AI call failed: could not build the request");
        return;
    }
    if (!cs_succeeded(cs)) {
        cs_failure_text(cs, msg, sizeof msg);
        cs_queue_error(cs, msg);
        return;
    }
    /* A 2xx answer that was no event stream (a JSON body, nothing at all)
     * holds no reply: an error, as the same answer to an unstreamed call. */
    pthread_mutex_lock(&cs->mu);
    bool empty = !cs->dec.finished && cs->text.len == 0;
    pthread_mutex_unlock(&cs->mu);
    if (empty) {
        cs_queue_error(cs, "AI response failed: Unexpected provider response: "
                           "no reply in the stream");
        return;
    }
    pthread_mutex_lock(&cs->mu);
    bool store = !cs->stored;
    cs->stored = true;
    char *text = store ? strndup(cs->text.p ? cs->text.p : "", cs->text.len) : NULL;
    pthread_mutex_unlock(&cs->mu);
    message_row a = { 0 };
    if (!store || !text || cs_store(cs, text, &cs->dec, false, &a) != ST_OK)
        cs_queue_error(cs, "AI call failed: could not store the reply");
    else
        cs_queue_done(cs, &a);
    message_row_free(&a);
    free(text);
}

/* http_live fill: queued SSE bytes; at the end of the transfer, the final
 * event; 0 while waiting for the provider. */
static long cs_fill(void *cls, char *out, size_t max)
{
    cstream *cs = cls;
    for (;;) {
        pthread_mutex_lock(&cs->mu);
        if (cs->out.len) {
            size_t n = cs->out.len < max ? cs->out.len : max;
            memcpy(out, cs->out.p, n);
            memmove(cs->out.p, cs->out.p + n, cs->out.len - n);
            cs->out.len -= n;
            cs->out.p[cs->out.len] = '\0';
            pthread_mutex_unlock(&cs->mu);
            return (long)n;
        }
        bool final = cs->final_queued, ended = cs->upstream_done;
        pthread_mutex_unlock(&cs->mu);
        if (final)
            return RESP_STREAM_END;
        if (!ended)
            return 0;
        cs_finish(cs);
        pthread_mutex_lock(&cs->mu);
        bool waiting = !cs->upstream_done && !cs->final_queued;     /* a retry */
        pthread_mutex_unlock(&cs->mu);
        if (waiting)
            return 0;
    }
}

/* http_live closed: a client gone before the end cancels the transfer and
 * keeps what arrived (the whole reply when the transfer had succeeded). */
static void cs_closed(void *cls, bool complete)
{
    cstream *cs = cls;
    (void)complete;
    atomic_store(&cs->cancel, 1);
    outbound_wake();
    pthread_mutex_lock(&cs->mu);
    bool store = !cs->stored && cs->text.len > 0;
    bool whole = cs->upstream_done && cs_succeeded(cs);
    cs->stored = true;
    char *text = store ? strndup(cs->text.p, cs->text.len) : NULL;
    pthread_mutex_unlock(&cs->mu);
    if (text) {
        /* a transfer still running owns its decoder: a cut reply has no
         * token counts */
        llm_stream cut;
        llm_stream_init(&cut, cs->provider, cs->requested);
        message_row a = { 0 };
        cs_store(cs, text, whole ? &cs->dec : &cut, !whole, &a);
        message_row_free(&a);
        llm_stream_free(&cut);
    }
    free(text);
}

static const http_live_ops CS_OPS = { cs_fill, cs_closed, cs_free };

/* ---- entry points ------------------------------------------------------------ */

void chat_stream_reply(http_req *r, const conv_row *c, const message_row *user)
{
    char name[128], requested[128];
    int64_t t0 = time_mono_us();
    llm_provider p = llm_resolve(c->model_id, name, sizeof name, requested, sizeof requested);
    if (p == LLM_ECHO) {        /* chat_stream_echo answers those */
        resp_error(r, 500, "Internal server error");
        return;
    }
    char *key = chat_provider_key(r, p, user);
    if (!key)
        return;
    cstream *cs = cs_new();
    if (!cs || chat_copy_rows(&cs->conv, &cs->user, c, user) != 0) {
        secrets_wipe(key);
        if (cs)
            cs_free(cs);
        resp_error(r, 500, "AI call failed: out of memory");
        return;
    }
    cs->key = key;
    cs->provider = p;
    cs->t0 = t0;
    snprintf(cs->requested, sizeof cs->requested, "%s", requested);
    if (!(cs->live = http_live_answer(r, "text/event-stream", &CS_OPS, cs)))
        return;
    if (cs_submit(cs) != 0)     /* the stream has started: the failure is its event */
        cs_queue_error(cs, "AI call failed: could not start the request");
    http_live_release(cs->live);    /* the handler's reference */
}

/* Echo pieces: each word with the whitespace after it, so that the pieces
 * joined are the reply. */
static int cs_echo_pieces(cstream *cs, const char *text)
{
    const char *p = text;
    while (*p) {
        size_t n = strcspn(p, " \t\n\r");
        n += strspn(p + n, " \t\n\r");
        char *piece = strndup(p, n);
        int rc = piece ? cs_piece(cs, piece, n) : -1;
        free(piece);
        if (rc != 0)
            return -1;
        p += n;
    }
    return 0;
}

bool chat_stream_echo(http_req *r, const conv_row *c, const char *content)
{
    llm_reply rep = { 0 };
    message_row user = { 0 }, a = { 0 };
    cstream *cs = NULL;
    int st = chat_echo_pair(r, c, content, &rep, &user, &a);
    if (st < 0)
        return false;
    if (st != ST_OK)            /* before the stream: the usual envelope */
        goto out;
    if (!(cs = cs_new()) || cs_echo_pieces(cs, rep.text) != 0 ||
        chat_copy_rows(&cs->conv, &cs->user, c, &user) != 0) {
        if (cs)
            cs_free(cs);
        resp_error(r, 500, "Internal server error");
        goto out;
    }
    cs->stored = cs->upstream_done = true;
    cs_queue_done(cs, &a);
    if ((cs->live = http_live_answer(r, "text/event-stream", &CS_OPS, cs)))
        http_live_release(cs->live);
out:
    message_row_free(&user);
    message_row_free(&a);
    llm_reply_free(&rep);
    return true;
}
