/* test_stream.c — unit tests for src/llm/stream.c and the streamed chat
 * requests of provider.c: each provider's stream format decoded into the
 * pieces of text (fed whole and byte by byte), token counts and model as
 * the non-streaming parse reports them, error events inside a stream, a
 * malformed event, an event past the bound, a piece callback stopping the
 * feed, and the requests that ask for a stream. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <jansson.h>

#include "llm/provider.h"
#include "llm/stream.h"
#include "util/buf.h"

typedef struct pieces {
    buf joined;
    int n;
    int stop_at;
} pieces;

static int on_piece(void *ctx, const char *text, size_t len)
{
    pieces *p = ctx;
    assert_int_equal(strlen(text), len);
    buf_append(&p->joined, text, len);
    buf_putc(&p->joined, '|');
    p->n++;
    return p->stop_at && p->n == p->stop_at ? 9 : 0;
}

/* Decodes text whole (bytewise: one byte per feed); returns the rc. */
static int decode(llm_provider prov, const char *text, int bytewise, llm_stream *s,
                  pieces *p)
{
    llm_stream_init(s, prov, "requested-model");
    size_t n = strlen(text);
    if (!bytewise)
        return llm_stream_feed(s, text, n, on_piece, p);
    for (size_t i = 0; i < n; i++) {
        int rc = llm_stream_feed(s, text + i, 1, on_piece, p);
        if (rc != 0)
            return rc;
    }
    return 0;
}

static const char OPENAI[] =
    "data: {\"model\":\"gpt-4o-2024\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\","
    "\"content\":\"\"}}]}\n\n"
    "data: {\"model\":\"gpt-4o-2024\",\"choices\":[{\"delta\":{\"content\":\"Hel\"}}]}\n\n"
    ": keep-alive\n\n"
    "data: {\"model\":\"gpt-4o-2024\",\"choices\":[{\"delta\":{\"content\":\"lo \\u00e9\\n\"}}]}"
    "\r\n\r\n"
    "data: {\"choices\":[{\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n"
    "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":3,"
    "\"total_tokens\":8}}\n\n"
    "data: [DONE]\n\n";

static const char ANTHROPIC[] =
    "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"model\":"
    "\"claude-x\",\"usage\":{\"input_tokens\":11,\"output_tokens\":1}}}\n\n"
    "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,"
    "\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n"
    "event: ping\ndata: {\"type\": \"ping\"}\n\n"
    "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,"
    "\"delta\":{\"type\":\"text_delta\",\"text\":\"Hi\"}}\n\n"
    "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,"
    "\"delta\":{\"type\":\"text_delta\",\"text\":\" there\"}}\n\n"
    "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n"
    "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":"
    "\"end_turn\"},\"usage\":{\"output_tokens\":4}}\n\n"
    "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";

static const char GOOGLE[] =
    "data: {\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":[{\"text\":\"One\"},"
    "{\"text\":\" two\"}]}}],\"modelVersion\":\"gemini-x\"}\r\n\r\n"
    "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\" three\"}]},"
    "\"finishReason\":\"STOP\"}],\"usageMetadata\":{\"totalTokenCount\":9}}\r\n\r\n";

static void check_provider(llm_provider prov, const char *text, const char *want_pieces,
                           const char *want_text, long want_tokens, const char *want_model)
{
    for (int bytewise = 0; bytewise < 2; bytewise++) {
        llm_stream s;
        pieces p = { BUF_INIT(0), 0, 0 };
        assert_int_equal(decode(prov, text, bytewise, &s, &p), 0);
        assert_string_equal(p.joined.p, want_pieces);
        assert_true(s.finished);
        assert_null(s.error);
        llm_reply rep;
        llm_stream_reply(&s, want_text, &rep);
        assert_string_equal(rep.text, want_text);
        assert_int_equal(rep.tokens, want_tokens);
        assert_string_equal(rep.model, want_model);
        llm_reply_free(&rep);
        llm_stream_free(&s);
        buf_free(&p.joined);
    }
}

static void test_openai(void **state)
{
    (void)state;
    check_provider(LLM_OPENAI, OPENAI, "Hel|lo \xc3\xa9\n|", "Hello \xc3\xa9\n", 8,
                   "gpt-4o-2024");
    check_provider(LLM_GROQ, OPENAI, "Hel|lo \xc3\xa9\n|", "Hello \xc3\xa9\n", 8,
                   "gpt-4o-2024");
}

static void test_anthropic(void **state)
{
    (void)state;
    check_provider(LLM_ANTHROPIC, ANTHROPIC, "Hi| there|", "Hi there", 15, "claude-x");
}

/* Gemini: every part's text; tokens 0 and the requested model, as the
 * non-streaming parse reports them. */
static void test_google(void **state)
{
    (void)state;
    check_provider(LLM_GOOGLE, GOOGLE, "One| two| three|", "One two three", 0,
                   "requested-model");
}

static void expect_error(llm_provider prov, const char *text, const char *want_error,
                         int want_pieces)
{
    llm_stream s;
    pieces p = { BUF_INIT(0), 0, 0 };
    assert_int_equal(decode(prov, text, 0, &s, &p), -1);
    assert_non_null(s.error);
    assert_string_equal(s.error, want_error);
    assert_int_equal(p.n, want_pieces);
    llm_stream_free(&s);
    buf_free(&p.joined);
}

static void test_errors(void **state)
{
    (void)state;
    expect_error(LLM_OPENAI,
                 "data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\n\n"
                 "data: {\"error\":{\"message\":\"overloaded\"}}\n\n"
                 "data: {\"choices\":[{\"delta\":{\"content\":\"b\"}}]}\n\n",
                 "overloaded", 1);
    expect_error(LLM_ANTHROPIC,
                 "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":"
                 "\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n",
                 "Overloaded", 0);
    expect_error(LLM_GOOGLE, "data: {\"error\":{\"code\":503,\"message\":\"busy\"}}\n\n",
                 "busy", 0);
    expect_error(LLM_OPENAI, "data: {not json\n\n", "Invalid JSON in provider stream", 0);
    /* an event past the bound */
    size_t n = LLM_STREAM_EVENT_MAX + 16;
    char *big = malloc(n + 1);
    memset(big, 'x', n);
    memcpy(big, "data: ", 6);
    big[n] = '\0';
    expect_error(LLM_OPENAI, big, "Provider stream event too large", 0);
    free(big);
}

/* Error events of other shapes: the error a string, a message that is
 * empty or missing (a generic text), a later error not replacing the first. */
static void test_error_shapes(void **state)
{
    (void)state;
    expect_error(LLM_OPENAI, "data: {\"error\":\"quota exceeded\"}\n\n", "quota exceeded", 0);
    expect_error(LLM_GOOGLE, "data: {\"error\":{\"message\":\"\"}}\n\n", "Stream error", 0);
    expect_error(LLM_ANTHROPIC, "event: error\ndata: {\"type\":\"error\",\"error\":{}}\n\n",
                 "Stream error", 0);
    /* the feed stops at the first error: a second stream's error is not taken */
    llm_stream s;
    pieces p = { BUF_INIT(0), 0, 0 };
    assert_int_equal(decode(LLM_OPENAI, "data: {\"error\":\"first\"}\n\n", 0, &s, &p), -1);
    assert_int_equal(llm_stream_feed(&s, "data: {\"error\":\"second\"}\n\n", 30, on_piece, &p),
                     -1);
    assert_string_equal(s.error, "first");
    llm_stream_free(&s);
    buf_free(&p.joined);
}

/* Events of odd shapes: Anthropic events without "type" go by their SSE
 * event name; an empty model keeps the requested one; a six-byte payload
 * that is not [DONE] is parsed (an event must be an object); Anthropic has
 * no [DONE]. */
static void test_odd_events(void **state)
{
    (void)state;
    llm_stream s;
    pieces p = { BUF_INIT(0), 0, 0 };
    assert_int_equal(decode(LLM_ANTHROPIC,
                            "event: message_start\ndata: {\"message\":{\"model\":\"\","
                            "\"usage\":{\"input_tokens\":2}}}\n\n"
                            "event: content_block_delta\ndata: {\"delta\":{\"text\":\"ok\"}}\n\n"
                            "event: message_stop\ndata: {}\n\n",
                            0, &s, &p), 0);
    assert_string_equal(p.joined.p, "ok|");
    assert_true(s.finished);
    llm_reply rep;
    llm_stream_reply(&s, NULL, &rep);
    assert_string_equal(rep.text, "");
    assert_string_equal(rep.model, "requested-model");
    assert_int_equal(rep.tokens, 2);
    llm_reply_free(&rep);
    llm_stream_free(&s);
    buf_free(&p.joined);

    expect_error(LLM_ANTHROPIC, "data: [DONE]\n\n", "Invalid JSON in provider stream", 0);
    expect_error(LLM_OPENAI, "data: [DONE\n\n", "Invalid JSON in provider stream", 0);
    /* six bytes, not [DONE], not an object */
    expect_error(LLM_OPENAI, "data: \"abcd\"\n\n", "Invalid JSON in provider stream", 0);
}

/* Gemini: a piece callback that refuses stops at that part. */
static void test_google_piece_refused(void **state)
{
    (void)state;
    llm_stream s;
    pieces p = { BUF_INIT(0), 0, 2 };
    assert_int_equal(decode(LLM_GOOGLE, GOOGLE, 0, &s, &p), 9);
    assert_string_equal(p.joined.p, "One| two|");
    assert_false(s.finished);
    llm_stream_free(&s);
    buf_free(&p.joined);
}

static void test_piece_stops_feed(void **state)
{
    (void)state;
    llm_stream s;
    pieces p = { BUF_INIT(0), 0, 1 };
    assert_int_equal(decode(LLM_ANTHROPIC, ANTHROPIC, 0, &s, &p), 9);
    assert_int_equal(p.n, 1);
    assert_false(s.finished);
    llm_stream_free(&s);
    buf_free(&p.joined);
}

static json_t *body_of(const net_request *r)
{
    json_t *b = json_loads(r->body, 0, NULL);
    assert_non_null(b);
    return b;
}

static void test_stream_requests(void **state)
{
    (void)state;
    static const llm_message hist[] = { { "user", "q" }, { "assistant", "a" } };
    net_request r;
    llm_set_base_url(LLM_GOOGLE, "http://fake");
    for (int p = LLM_OPENAI; p <= LLM_GROQ; p++) {
        if (p == LLM_ANTHROPIC || p == LLM_GOOGLE)
            continue;
        assert_int_equal(llm_chat_stream_request((llm_provider)p, "k-1", "m", "S", hist, 2,
                                                 "u", &r), 0);
        json_t *b = body_of(&r);
        assert_true(json_is_true(json_object_get(b, "stream")));
        assert_true(json_is_true(json_object_get(json_object_get(b, "stream_options"),
                                                 "include_usage")));
        assert_true(r.timeout_s > 60 && r.idle_timeout_s == (p == LLM_GROQ ? 30 : 60));
        json_decref(b);
        net_request_free(&r);
        /* the non-streaming request is unchanged */
        assert_int_equal(llm_chat_request((llm_provider)p, "k-1", "m", "S", hist, 2, "u", &r),
                         0);
        b = body_of(&r);
        assert_null(json_object_get(b, "stream"));
        assert_null(json_object_get(b, "stream_options"));
        assert_int_equal(r.idle_timeout_s, 0);
        json_decref(b);
        net_request_free(&r);
    }
    assert_int_equal(llm_chat_stream_request(LLM_ANTHROPIC, "k-1", "m", "S", hist, 2, "u", &r),
                     0);
    json_t *b = body_of(&r);
    assert_true(json_is_true(json_object_get(b, "stream")));
    assert_string_equal(json_string_value(json_object_get(b, "system")), "S");
    json_decref(b);
    net_request_free(&r);
    assert_int_equal(llm_chat_stream_request(LLM_GOOGLE, "k/1", "gemini-2.0-flash", "S", hist,
                                             2, "u", &r), 0);
    assert_string_equal(r.url, "http://fake/v1beta/models/gemini-2.0-flash"
                               ":streamGenerateContent?alt=sse&key=k%2F1");
    b = body_of(&r);
    assert_null(json_object_get(b, "stream"));
    json_decref(b);
    net_request_free(&r);
    assert_int_equal(llm_chat_stream_request(LLM_ECHO, "k-1", "echo", "S", NULL, 0, "u", &r),
                     -1);
    llm_set_base_url(LLM_GOOGLE, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_openai),
        cmocka_unit_test(test_anthropic),
        cmocka_unit_test(test_google),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_error_shapes),
        cmocka_unit_test(test_odd_events),
        cmocka_unit_test(test_google_piece_refused),
        cmocka_unit_test(test_piece_stops_feed),
        cmocka_unit_test(test_stream_requests),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
