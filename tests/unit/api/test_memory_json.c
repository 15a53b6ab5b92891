/* test_memory_json.c — src/api/shapes/memory_json.c: the Memory shape's
 * metadata with the embedder's name added as text is byte for byte what
 * parsing, setting both keys and dumping with jansson gives, for every
 * kind of stored metadata; metadata that already names a model, or is no
 * object, goes through jansson; vectors are 4-decimal numbers. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "api/shapes/memory_json.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The metadata member of memory_text() for a row with stored metadata meta. */
static char *metadata_of(const char *meta, const char *model)
{
    float vec[3] = { 0.5f, -0.123456f, 1.0f };
    memory_row m = { .id = "memory-1", .workspace_id = "workspace-1", .title = "t",
                     .content = "c", .snippet = "c", .tags = "[]", .version = 1 };
    m.metadata = (char *)(uintptr_t)meta;
    m.embedding = vec;
    m.dim = 3;
    snprintf(m.model, sizeof m.model, "%s", model);
    char *text = memory_text(&m);
    assert_non_null(text);
    json_t *doc = json_loads(text, 0, NULL);
    assert_non_null(doc);
    assert_non_null(strstr(text, "\"embedding\":[0.5,-0.1235,1]"));
    /* the raw bytes of the metadata member: between its key and ,"version" */
    const char *start = strstr(text, "\"metadata\":") + strlen("\"metadata\":");
    const char *end = strstr(start, ",\"version\":");
    char *out = strndup(start, (size_t)(end - start));
    json_decref(doc);
    free(text);
    return out;
}

static char *by_jansson(const char *meta, const char *tag)
{
    json_t *o = json_loads(meta, 0, NULL);
    if (!json_is_object(o)) {
        json_decref(o);
        o = json_object();
    }
    json_object_set_new(o, "embeddingModel", json_string(tag));
    json_object_set_new(o, "embedding_model", json_string(tag));
    char *s = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return s;
}

static void test_same_bytes_as_jansson(void **state)
{
    (void)state;
    static const char *const metas[] = {
        "{}",
        "{\"source\":\"url\"}",
        "{\"a\":1,\"b\":[1,2,{\"c\":null}],\"d\":\"\\u00e9\\n\\\"q\\\"\"}",
        "{\"import\":{\"file\":\"x.pdf\",\"pages\":3},\"ratio\":0.25}",
        "{\"embeddingModel\":\"old/1\",\"x\":1}",       /* replaced in place: jansson */
        "{\"x\":{\"embedding_model\":\"nested\"}}",
        "[1,2]",                                        /* not an object: {} + keys */
        "",
    };
    for (size_t i = 0; i < sizeof metas / sizeof metas[0]; i++) {
        /* stored as every write path stores it: jansson's compact text */
        json_t *o = json_loads(metas[i], 0, NULL);
        char *stored = json_is_object(o) ? json_dumps(o, JSON_COMPACT) : strdup(metas[i]);
        json_decref(o);
        char *got = metadata_of(stored, "hash-v1");
        char *want = by_jansson(stored, "hash-v1/3");
        assert_string_equal(got, want);
        free(got);
        free(want);
        free(stored);
    }
}

static void test_model_name_escaped(void **state)
{
    (void)state;
    char *got = metadata_of("{\"k\":2}", "we\"ird\\model");
    char *want = by_jansson("{\"k\":2}", "we\"ird\\model/3");
    assert_string_equal(got, want);
    free(got);
    free(want);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_bytes_as_jansson),
        cmocka_unit_test(test_model_name_escaped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
