/* test_log.c — unit tests for src/util/log.c: every level, JSON escaping of
 * the message, lines longer than the stack buffer of log_raw_line, and the
 * cut of an over-long message (never inside a UTF-8 character). stderr is
 * sent to a temporary file while a test writes, then read back line by line
 * and parsed with jansson. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <jansson.h>

#include "util/log.h"
#include "util/utf8.h"

static FILE *capture_file;
static int saved_stderr = -1;

static void capture_start(void)
{
    capture_file = tmpfile();
    assert_non_null(capture_file);
    fflush(stderr);
    saved_stderr = dup(STDERR_FILENO);
    assert_true(saved_stderr >= 0);
    assert_true(dup2(fileno(capture_file), STDERR_FILENO) >= 0);
}

/* Restores stderr; returns what was written (caller frees), *n its length. */
static char *capture_end(size_t *n)
{
    fflush(stderr);
    assert_true(dup2(saved_stderr, STDERR_FILENO) >= 0);
    close(saved_stderr);
    saved_stderr = -1;
    long size = ftell(capture_file);
    assert_true(size >= 0);
    char *out = calloc((size_t)size + 1, 1);
    assert_non_null(out);
    rewind(capture_file);
    assert_int_equal(fread(out, 1, (size_t)size, capture_file), (size_t)size);
    fclose(capture_file);
    capture_file = NULL;
    *n = (size_t)size;
    return out;
}

/* The one line written: ends with '\n', holds no other newline, is valid
 * UTF-8 and a JSON object. */
static json_t *one_json_line(const char *out, size_t n)
{
    assert_true(n > 1);
    assert_int_equal(out[n - 1], '\n');
    assert_null(memchr(out, '\n', n - 1));
    assert_true(utf8_valid(out, n - 1));
    json_error_t err;
    json_t *obj = json_loadb(out, n - 1, 0, &err);
    if (!obj)
        fail_msg("not JSON (%s): %.200s", err.text, out);
    assert_true(json_is_object(obj));
    return obj;
}

static json_t *logged(log_level lvl, const char *msg)
{
    size_t n;
    capture_start();
    log_msg(lvl, "%s", msg);
    char *out = capture_end(&n);
    json_t *obj = one_json_line(out, n);
    free(out);
    return obj;
}

static void test_levels(void **state)
{
    (void)state;
    static const struct { log_level lvl; const char *name; } cases[] = {
        { LOG_DEBUG, "debug" }, { LOG_INFO, "info" }, { LOG_WARN, "warn" },
        { LOG_ERROR, "error" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *obj = logged(cases[i].lvl, "hello");
        assert_string_equal(json_string_value(json_object_get(obj, "level")), cases[i].name);
        assert_string_equal(json_string_value(json_object_get(obj, "msg")), "hello");
        const char *ts = json_string_value(json_object_get(obj, "ts"));
        assert_non_null(ts);
        /* 2026-01-02T03:04:05.678901Z or shorter: UTC, ISO 8601 */
        assert_true(strlen(ts) >= 20 && ts[4] == '-' && ts[10] == 'T' && ts[strlen(ts) - 1] == 'Z');
        assert_int_equal(json_object_size(obj), 3);
        json_decref(obj);
    }
}

static void test_macros_and_format(void **state)
{
    (void)state;
    size_t n;
    capture_start();
    log_info("%d %s", 42, "info");
    log_warn("%s", "warned");
    log_error("%.3f", 1.5);
    char *out = capture_end(&n);
    const char *want[][2] = { { "info", "42 info" }, { "warn", "warned" }, { "error", "1.500" } };
    const char *p = out;
    for (size_t i = 0; i < 3; i++) {
        const char *nl = strchr(p, '\n');
        assert_non_null(nl);
        json_t *obj = one_json_line(p, (size_t)(nl - p) + 1);
        assert_string_equal(json_string_value(json_object_get(obj, "level")), want[i][0]);
        assert_string_equal(json_string_value(json_object_get(obj, "msg")), want[i][1]);
        json_decref(obj);
        p = nl + 1;
    }
    assert_int_equal((size_t)(p - out), n);
    free(out);
}

static void test_escaping(void **state)
{
    (void)state;
    static const char *const msgs[] = {
        "quote \" backslash \\ slash /",
        "newline\nand\r\ttab",
        "control \x01\x1f and DEL \x7f",
        "UTF-8: caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
        "{\"level\":\"error\",\"msg\":\"forged\"}",
    };
    for (size_t i = 0; i < sizeof msgs / sizeof msgs[0]; i++) {
        json_t *obj = logged(LOG_WARN, msgs[i]);
        assert_string_equal(json_string_value(json_object_get(obj, "msg")), msgs[i]);
        assert_string_equal(json_string_value(json_object_get(obj, "level")), "warn");
        json_decref(obj);
    }
}

/* Every byte escaped as \u00XX: the line grows past the 2 KiB stack buffer
 * of log_raw_line and is still written whole. */
static void test_line_past_the_stack_buffer(void **state)
{
    (void)state;
    char msg[1000];
    memset(msg, '\x01', sizeof msg - 1);
    msg[sizeof msg - 1] = '\0';
    size_t n;
    capture_start();
    log_msg(LOG_INFO, "%s", msg);
    char *out = capture_end(&n);
    assert_true(n > 6 * (sizeof msg - 1));
    json_t *obj = one_json_line(out, n);
    assert_string_equal(json_string_value(json_object_get(obj, "msg")), msg);
    json_decref(obj);
    free(out);
}

static void test_raw_line(void **state)
{
    (void)state;
    for (size_t len = 2046; len <= 2049; len++) {       /* around the stack buffer */
        char *json = malloc(len + 1);
        assert_non_null(json);
        memset(json, 'x', len);
        memcpy(json, "{\"k\":\"", 6);
        memcpy(json + len - 2, "\"}", 2);
        json[len] = '\0';
        size_t n;
        capture_start();
        log_raw_line(json, len);
        char *out = capture_end(&n);
        assert_int_equal(n, len + 1);
        assert_memory_equal(out, json, len);
        json_decref(one_json_line(out, n));
        free(out);
        free(json);
    }
    size_t big = 100000;
    char *json = malloc(big);
    assert_non_null(json);
    memset(json, ' ', big);
    json[0] = '{';
    json[big - 1] = '}';
    size_t n;
    capture_start();
    log_raw_line(json, big);
    char *out = capture_end(&n);
    assert_int_equal(n, big + 1);
    assert_memory_equal(out, json, big);
    free(out);
    free(json);
}

/* A message longer than the formatting buffer is cut; the cut never splits
 * a character, so the line stays valid UTF-8 whatever the text was. */
static void test_long_message_cut_on_a_character(void **state)
{
    (void)state;
    static const char *const tails[] = { "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80" };
    for (size_t t = 0; t < sizeof tails / sizeof tails[0]; t++) {
        for (size_t lead = 1015; lead <= 1023; lead++) {
            char msg[1100];
            memset(msg, 'a', lead);
            size_t len = lead;
            while (len + strlen(tails[t]) < sizeof msg - 1) {
                memcpy(msg + len, tails[t], strlen(tails[t]));
                len += strlen(tails[t]);
            }
            msg[len] = '\0';
            json_t *obj = logged(LOG_ERROR, msg);
            const char *got = json_string_value(json_object_get(obj, "msg"));
            assert_non_null(got);
            size_t glen = strlen(got);
            /* a prefix of the message, at most 1023 bytes, at most one character short */
            assert_true(glen <= 1023 && glen + strlen(tails[t]) > 1023);
            assert_memory_equal(got, msg, glen);
            json_decref(obj);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_levels),
        cmocka_unit_test(test_macros_and_format),
        cmocka_unit_test(test_escaping),
        cmocka_unit_test(test_line_past_the_stack_buffer),
        cmocka_unit_test(test_raw_line),
        cmocka_unit_test(test_long_message_cut_on_a_character),
    };
    return cmocka_run_group_tests_name("util/log", tests, NULL, NULL);
}
