/* test_validate_decl.c — unit tests for src/api/validate_decl.c: reading a
 * field through its schemas.def declaration answers exactly what the
 * handler's former literal call answered (same value, same field errors)
 * for every converted field and a spread of hostile inputs; undeclared
 * fields are refused loudly. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <jansson.h>

#include "api/validate.h"

enum kind { K_STR, K_CHOICE, K_BOOL, K_INT };

/* What each handler called before its fields were declared. */
static const struct legacy {
    const char *shape, *field;
    enum kind kind;
    unsigned flags;             /* val_str / val_choice flags; bool/int: required */
    long long min, max;
    const char *const *choices;
} LEGACY[] = {
#define CH(...) (const char *const[]){ __VA_ARGS__, NULL }
    { "Register", "name", K_STR, V_REQUIRED, 0, 255, NULL },
    { "Register", "email", K_STR, V_REQUIRED | V_EMAIL, 0, 254, NULL },
    { "Register", "password", K_STR, V_REQUIRED, 8, 4096, NULL },
    { "Login", "email", K_STR, V_REQUIRED | V_EMAIL, 0, 254, NULL },
    { "Login", "password", K_STR, V_REQUIRED, 0, 4096, NULL },
    { "ProfileUpdate", "name", K_STR, 0, 0, 255, NULL },
    { "ProfileUpdate", "email", K_STR, V_EMAIL, 0, 254, NULL },
    { "WorkspaceCreate", "name", K_STR, V_REQUIRED, 0, 255, NULL },
    { "WorkspaceCreate", "description", K_STR, V_BLANK_OK, 0, 0, NULL },
    { "WorkspaceUpdate", "name", K_STR, 0, 0, 255, NULL },
    { "WorkspaceUpdate", "description", K_STR, V_BLANK_OK, 0, 0, NULL },
    { "ConversationCreate", "title", K_STR, 0, 0, 255, NULL },
    { "ConversationCreate", "modelId", K_STR, V_REQUIRED, 0, 50, NULL },
    { "ConversationUpdate", "title", K_STR, 0, 0, 255, NULL },
    { "ConversationUpdate", "status", K_CHOICE, 0, 0, 0, CH("active", "completed", "archived") },
    { "MessageSend", "content", K_STR, V_REQUIRED, 0, 0, NULL },
    { "MessageSend", "getAiResponse", K_BOOL, 0, 0, 0, NULL },
    { "MessageSend", "role", K_CHOICE, 0, 0, 0, CH("user", "assistant", "system") },
    { "MessageUpdate", "isPinned", K_BOOL, 0, 0, 0, NULL },
    { "MemoryCreate", "title", K_STR, V_REQUIRED, 0, 255, NULL },
    { "MemoryCreate", "content", K_STR, V_REQUIRED, 0, 0, NULL },
    { "MemoryUpdate", "title", K_STR, 0, 0, 255, NULL },
    { "MemoryUpdate", "content", K_STR, 0, 0, 0, NULL },
    { "MemorySearch", "query", K_STR, V_REQUIRED | V_BLANK_OK, 0, 10000, NULL },
    { "MemorySearch", "workspaceId", K_STR, 0, 0, 64, NULL },
    { "MemorySearch", "top_k", K_INT, 0, 1, 100, NULL },
    { "McpInject", "max_memories", K_INT, 0, 1, 100, NULL },
    { "IntegrationCreate", "provider", K_CHOICE, V_REQUIRED, 0, 0,
      CH("openai", "anthropic", "google", "deepseek", "groq") },
    { "IntegrationCreate", "apiKey", K_STR, V_REQUIRED, 10, 500, NULL },
    { "IntegrationCreate", "modelId", K_STR, V_NULL_OK | V_BLANK_OK, 0, 100, NULL },
    { "IntegrationCreate", "modelName", K_STR, V_NULL_OK | V_BLANK_OK, 0, 100, NULL },
    { "IntegrationUpdate", "apiKey", K_STR, 0, 10, 500, NULL },
    { "IntegrationUpdate", "modelId", K_STR, V_NULL_OK | V_BLANK_OK, 0, 100, NULL },
    { "IntegrationUpdate", "modelName", K_STR, V_NULL_OK | V_BLANK_OK, 0, 100, NULL },
    { "Invite", "role", K_CHOICE, 0, 0, 0, CH("admin", "researcher", "observer") },
    { "RoleUpdate", "role", K_CHOICE, V_REQUIRED, 0, 0, CH("admin", "researcher", "observer") },
    { "StatusUpdate", "status", K_CHOICE, V_REQUIRED, 0, 0, CH("online", "away", "offline") },
#undef CH
};

/* Values each field is read from (NULL: the field is absent). */
static json_t *input(size_t i)
{
    static char long_text[6000];
    memset(long_text, 'x', sizeof long_text - 1);
    switch (i) {
    case 0: return NULL;
    case 1: return json_null();
    case 2: return json_string("");
    case 3: return json_string("   ");
    case 4: return json_string("short");
    case 5: return json_string("  ada@example.com  ");
    case 6: return json_string("abcdefgh");
    case 7: return json_stringn(long_text, 51);
    case 8: return json_stringn(long_text, 101);
    case 9: return json_stringn(long_text, 256);
    case 10: return json_stringn(long_text, 5000);
    case 11: return json_integer(12345678);
    case 12: return json_integer(0);
    case 13: return json_integer(101);
    case 14: return json_true();
    case 15: return json_string("true");
    case 16: return json_pack("[s]", "a");
    case 17: return json_object();
    case 18: return json_string("completed");
    case 19: return json_string("observer");
    case 20: return json_string("away");
    case 21: return json_string("groq");
    case 22: return json_string("assistant");
    case 23: return json_real(7.0);
    case 24: return json_string("10");
    default: return (json_t *)-1;
    }
}

static json_t *body_with(const char *field, json_t *v)
{
    json_t *b = json_object();
    if (v)
        json_object_set_new(b, field, v);
    return b;
}

static void same_answer(const struct legacy *l, json_t *v)
{
    json_t *b1 = body_with(l->field, v ? json_deep_copy(v) : NULL);
    json_t *b2 = body_with(l->field, v ? json_deep_copy(v) : NULL);
    json_t *e1 = json_object(), *e2 = json_object();
    char *s1 = NULL, *s2 = NULL;
    bool x1 = false, x2 = false;
    long long n1 = -7, n2 = -7;
    int r1 = 0, r2 = 0;
    switch (l->kind) {
    case K_STR:
        r1 = val_str(b1, l->field, l->flags, (size_t)l->min, (size_t)l->max, e1, &s1);
        r2 = val_decl_str(b2, l->shape, l->field, e2, &s2);
        break;
    case K_CHOICE:
        r1 = val_choice(b1, l->field, l->choices, l->flags, e1, &s1);
        r2 = val_decl_str(b2, l->shape, l->field, e2, &s2);
        break;
    case K_BOOL:
        r1 = val_bool(b1, l->field, l->flags & V_REQUIRED, e1, &x1);
        r2 = val_decl_bool(b2, l->shape, l->field, e2, &x2);
        break;
    case K_INT:
        r1 = val_int(b1, l->field, l->flags & V_REQUIRED, l->min, l->max, e1, &n1);
        r2 = val_decl_int(b2, l->shape, l->field, e2, &n2);
        break;
    }
    char *d1 = json_dumps(e1, JSON_SORT_KEYS), *d2 = json_dumps(e2, JSON_SORT_KEYS);
    char *vd = v ? json_dumps(v, JSON_ENCODE_ANY) : strdup("(absent)");
    if (r1 != r2 || strcmp(d1, d2) != 0 || x1 != x2 || n1 != n2 ||
        (s1 || s2) != (s1 && s2) || (s1 && strcmp(s1, s2) != 0))
        fail_msg("%s.%s with %s: literal call %d %s, declared %d %s", l->shape, l->field,
                 vd, r1, d1, r2, d2);
    free(vd);
    free(d1);
    free(d2);
    free(s1);
    free(s2);
    json_decref(e1);
    json_decref(e2);
    json_decref(b1);
    json_decref(b2);
}

static void test_declared_fields_validate_as_before(void **state)
{
    (void)state;
    for (size_t k = 0; k < sizeof LEGACY / sizeof LEGACY[0]; k++)
        for (size_t i = 0;; i++) {
            json_t *v = input(i);
            if (v == (json_t *)-1)
                break;
            same_answer(&LEGACY[k], v);
            json_decref(v);
        }
}

/* The request bounds the document shows are the ones enforced. */
static void test_bounds_come_from_the_declaration(void **state)
{
    (void)state;
    json_t *errs = json_object(), *b = json_pack("{s:s}", "password", "1234567");
    char *s = NULL;
    assert_int_equal(val_decl_str(b, "Register", "password", errs, &s), -1);
    assert_string_equal(json_string_value(json_array_get(json_object_get(errs, "password"), 0)),
                        "Ensure this field has at least 8 characters.");
    json_decref(b);
    json_decref(errs);
}

static void test_undeclared_field_is_refused(void **state)
{
    (void)state;
    json_t *errs = json_object(), *b = json_pack("{s:s}", "nickname", "x");
    char *s = NULL;
    bool x;
    long long n;
    assert_int_equal(val_decl_str(b, "Register", "nickname", errs, &s), -1);
    assert_int_equal(val_decl_str(b, "NoSuchShape", "name", errs, &s), -1);
    assert_int_equal(val_decl_bool(b, "Register", "name", errs, &x), -1);   /* a string */
    assert_int_equal(val_decl_int(b, "Register", "name", errs, &n), -1);
    assert_int_equal(val_decl_str(b, "MemoryCreate", "tags", errs, &s), -1);  /* an array */
    assert_null(s);
    assert_non_null(json_object_get(errs, "nickname"));
    json_decref(b);
    json_decref(errs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_declared_fields_validate_as_before),
        cmocka_unit_test(test_bounds_come_from_the_declaration),
        cmocka_unit_test(test_undeclared_field_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
