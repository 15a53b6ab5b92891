/* fuzz_validate.c — libFuzzer target for request bodies through
 * src/api/validate.c: the body parser (UTF-8, nesting limit, JSON, "not an
 * object") and every field validator on the fields the handlers read. Each
 * failure must leave an error envelope on the request; nothing may leak.
 * Built and run by tests/fuzz/run.sh. */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/validate.h"
#include "config.h"
#include "http/request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const ROLES[] = { "admin", "researcher", "observer", NULL };

static void fields(json_t *body)
{
    json_t *errs = json_object();
    char *s = NULL;
    bool b;
    long long n;
    if (val_str(body, "name", V_REQUIRED, 0, 255, errs, &s) == 1)
        free(s), s = NULL;
    if (val_str(body, "email", V_REQUIRED | V_EMAIL, 0, 254, errs, &s) == 1)
        free(s), s = NULL;
    if (val_str(body, "content", V_BLANK_OK | V_NULL_OK | V_NO_TRIM, 1, 0, errs, &s) == 1)
        free(s), s = NULL;
    if (val_choice(body, "role", ROLES, V_NULL_OK, errs, &s) == 1)
        free(s), s = NULL;
    (void)val_bool(body, "summarize", false, errs, &b);
    (void)val_int(body, "limit", false, 1, 1000, errs, &n);
    (void)val_truthy(json_object_get(body, "title"));
    if (json_object_get(body, "tags"))
        (void)val_py_type(json_object_get(body, "tags"));
    /* every recorded error is a non-empty list of strings */
    const char *k;
    json_t *v;
    json_object_foreach(errs, k, v) {
        assert(json_is_array(v) && json_array_size(v) > 0);
        assert(json_is_string(json_array_get(v, 0)));
    }
    json_decref(errs);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    http_req r;
    memset(&r, 0, sizeof r);
    if (cfg.max_json_depth == 0)
        cfg.max_json_depth = 32;
    r.body.p = malloc(size + 1);
    if (!r.body.p)
        return 0;
    memcpy(r.body.p, data, size);
    r.body.p[size] = '\0';
    r.body.len = size;
    json_t *body = val_body(&r);
    if (body) {
        assert(json_is_object(body) && !r.responded);
        fields(body);
    } else {
        assert(r.responded && r.status == 400 && r.error);
    }
    json_decref(body);
    json_decref(r.error);
    json_decref(r.data);
    json_decref(r.fail_data);
    free(r.data_text);
    free(r.body.p);
    return 0;
}
