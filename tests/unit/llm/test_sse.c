/* test_sse.c — unit tests for src/llm/sse.c: events and their names,
 * multi-line data, comments, CR / LF / CRLF line ends (a CRLF split across
 * feeds included), every split of a stream giving the same events, no
 * event without data, the bound on lines and events, a callback stopping
 * the feed. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "llm/sse.h"
#include "util/buf.h"

/* Events as "name=data|" lines. */
typedef struct seen {
    buf out;
    int stop_at;                /* return 7 at this event (1-based; 0: never) */
    int n;
} seen;

static int collect(void *ctx, const char *event, const char *data, size_t len)
{
    seen *s = ctx;
    s->n++;
    assert_int_equal(strlen(data), len);
    buf_printf(&s->out, "%s=%s|", event, data);
    return s->stop_at && s->n == s->stop_at ? 7 : 0;
}

static char *parse_split(const char *text, size_t split, int *rc)
{
    llm_sse p;
    seen s = { BUF_INIT(0), 0, 0 };
    size_t n = strlen(text);
    llm_sse_init(&p, 1024);
    *rc = llm_sse_feed(&p, text, split, collect, &s);
    if (*rc == 0)
        *rc = llm_sse_feed(&p, text + split, n - split, collect, &s);
    llm_sse_free(&p);
    char *out = buf_steal(&s.out);
    return out ? out : strdup("");
}

static char *parse(const char *text)
{
    int rc;
    char *out = parse_split(text, 0, &rc);
    assert_int_equal(rc, 0);
    return out;
}

static void expect(const char *text, const char *want)
{
    char *got = parse(text);
    assert_string_equal(got, want);
    free(got);
}

static void test_events(void **state)
{
    (void)state;
    expect("data: {\"a\":1}\n\n", "message={\"a\":1}|");
    expect("event: delta\ndata: x\n\nevent: done\ndata: y\n\n", "delta=x|done=y|");
    expect("data:no-space\n\n", "message=no-space|");
    expect("data:  two spaces\n\n", "message= two spaces|");    /* one space removed */
    expect("data: a\ndata: b\ndata:\n\n", "message=a\nb\n|");
    expect("data\n\n", "message=|");                            /* a field with no colon */
    expect("event: ping\n\n", "");                              /* no data: no event */
    expect(": keep-alive\n\ndata: z\n\n", "message=z|");
    expect("id: 4\nretry: 10\nfoo: bar\ndata: w\n\n", "message=w|");
    expect("data: unfinished\n", "");                           /* not dispatched yet */
    expect("event: a\n\ndata: b\n\n", "message=b|");            /* name reset per event */
}

static void test_line_ends(void **state)
{
    (void)state;
    expect("data: a\r\n\r\ndata: b\r\rdata: c\n\n", "message=a|message=b|message=c|");
    expect("data: a\r\n\r\n\r\n", "message=a|");
}

/* Every split point gives the events of the whole stream. */
static void test_every_split(void **state)
{
    (void)state;
    static const char stream[] =
        "event: message_start\r\ndata: {\"x\":1}\r\n\r\n: ping\r\n\r\n"
        "data: [DONE]\n\nevent: e\rdata: one\rdata: two\r\r";
    char *whole = parse(stream);
    assert_string_equal(whole, "message_start={\"x\":1}|message=[DONE]|e=one\ntwo|");
    for (size_t i = 0; i <= sizeof stream - 1; i++) {
        int rc;
        char *got = parse_split(stream, i, &rc);
        assert_int_equal(rc, 0);
        assert_string_equal(got, whole);
        free(got);
    }
    /* and byte by byte */
    llm_sse p;
    seen s = { BUF_INIT(0), 0, 0 };
    llm_sse_init(&p, 1024);
    for (size_t i = 0; i < sizeof stream - 1; i++)
        assert_int_equal(llm_sse_feed(&p, stream + i, 1, collect, &s), 0);
    assert_string_equal(s.out.p, whole);
    llm_sse_free(&p);
    buf_free(&s.out);
    free(whole);
}

static void test_bounds(void **state)
{
    (void)state;
    llm_sse p;
    seen s = { BUF_INIT(0), 0, 0 };
    char line[200];
    llm_sse_init(&p, 64);
    memset(line, 'x', sizeof line);
    assert_int_equal(llm_sse_feed(&p, "data: ", 6, collect, &s), 0);
    assert_int_equal(llm_sse_feed(&p, line, sizeof line, collect, &s), -1);   /* one line */
    llm_sse_free(&p);
    /* many short data lines of one event */
    llm_sse_init(&p, 64);
    int rc = 0;
    for (int i = 0; i < 40 && rc == 0; i++)
        rc = llm_sse_feed(&p, "data: abc\n", 10, collect, &s);
    assert_int_equal(rc, -1);
    assert_int_equal(s.n, 0);
    llm_sse_free(&p);
    buf_free(&s.out);
}

static void test_callback_stops(void **state)
{
    (void)state;
    llm_sse p;
    seen s = { BUF_INIT(0), 2, 0 };
    llm_sse_init(&p, 64);
    const char *text = "data: 1\n\ndata: 2\n\ndata: 3\n\n";
    assert_int_equal(llm_sse_feed(&p, text, strlen(text), collect, &s), 7);
    assert_int_equal(s.n, 2);
    llm_sse_free(&p);
    buf_free(&s.out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_events),
        cmocka_unit_test(test_line_ends),
        cmocka_unit_test(test_every_split),
        cmocka_unit_test(test_bounds),
        cmocka_unit_test(test_callback_stops),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
