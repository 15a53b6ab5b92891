/* response.c — envelope building; see response.h. */
#include "http/response.h"
#include "util/oom.h"
#include "util/utf8.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void resp_clear(http_req *r)
{
    if (r->stream_free && r->stream_cls)
        r->stream_free(r->stream_cls);
    r->stream_fill = NULL;
    r->stream_free = NULL;
    r->stream_cls = NULL;
    json_decref(r->data);
    json_decref(r->error);
    json_decref(r->fail_data);
    free(r->raw);
    free(r->disposition);
    free(r->data_text);
    r->data_text = NULL;
    r->data = r->error = r->fail_data = NULL;
    r->raw = r->disposition = NULL;
    r->raw_len = 0;
    r->content_type = NULL;
}

void resp_data(http_req *r, int status, json_t *data)
{
    if (!data) {                /* the handler could not build it */
        resp_no_memory(r);
        return;
    }
    resp_clear(r);
    r->status = status;
    r->data = data;
    r->responded = true;
}

void resp_no_memory(http_req *r)
{
    resp_error(r, 503, "Server out of memory, try again");
    r->retry_after = 1;
}

void resp_data_text(http_req *r, int status, char *json)
{
    if (!json) {
        resp_no_memory(r);
        return;
    }
    resp_clear(r);
    r->status = status;
    r->data_text = json;
    r->responded = true;
}

void resp_error(http_req *r, int status, const char *msg)
{
    resp_clear(r);
    r->status = status;
    r->error = json_string(msg);
    /* Not UTF-8: never echo such bytes. Out of memory instead: left NULL,
     * the answer is the static 503 (resp_render cannot make the envelope). */
    if (!r->error && !utf8_valid(msg, strlen(msg)))
        r->error = json_string("Invalid request");
    r->responded = true;
}

void resp_errorf(http_req *r, int status, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    resp_error(r, status, msg);
}

void resp_fields(http_req *r, json_t *errors)
{
    if (json_object_get(errors, RESP_NO_MEMORY)) {
        json_decref(errors);
        resp_no_memory(r);
        return;
    }
    resp_clear(r);
    r->status = 400;
    r->error = errors;
    r->responded = true;
}

void resp_error_data(http_req *r, int status, const char *msg, json_t *data)
{
    resp_error(r, status, msg);
    r->fail_data = data;
}

void resp_raw(http_req *r, int status, char *body, size_t len)
{
    resp_clear(r);
    r->status = status;
    r->raw = body;
    r->raw_len = len;
    r->responded = true;
}

void resp_stream(http_req *r, int status, long (*fill)(void *cls, char *buf, size_t max),
                 void *cls, void (*free_cls)(void *cls), const char *disposition)
{
    resp_clear(r);
    r->status = status;
    r->stream_fill = fill;
    r->stream_free = free_cls;
    r->stream_cls = cls;
    r->disposition = disposition ? strdup(disposition) : NULL;
    r->responded = true;
}

void resp_throttled(http_req *r, int retry_after)
{
    if (retry_after < 1)
        retry_after = 1;
    resp_errorf(r, 429, "Request was throttled. Expected available in %d seconds.", retry_after);
    r->retry_after = retry_after;
}

int resp_render(const http_req *r, char **out, size_t *len)
{
    bool ok = r->status >= 200 && r->status < 300;
    if (ok && r->data_text) {
        static const char head[] = "{\"ok\":true,\"data\":", tail[] = ",\"error\":null}";
        size_t n = strlen(r->data_text);
        *out = malloc(sizeof head - 1 + n + sizeof tail);
        if (!*out)
            return -1;
        memcpy(*out, head, sizeof head - 1);
        memcpy(*out + sizeof head - 1, r->data_text, n);
        memcpy(*out + sizeof head - 1 + n, tail, sizeof tail);
        *len = sizeof head - 1 + n + sizeof tail - 1;
        return 0;
    }
    json_t *data = ok ? r->data : r->fail_data;
    if (!ok && !r->error)
        return -1;              /* its message could not be made */
    json_t *env = json_object();
    if (!env || json_object_set_new(env, "ok", json_boolean(ok)) != 0 ||
        json_object_set(env, "data", data ? data : json_null()) != 0 ||
        json_object_set(env, "error", ok ? json_null() : r->error) != 0) {
        json_decref(env);
        return -1;
    }
    /* 10 significant digits: vectors rounded to 4 decimals print short. */
    *out = json_dumps_whole(env, JSON_COMPACT | JSON_REAL_PRECISION(10));
    json_decref(env);
    if (!*out)
        return -1;
    *len = strlen(*out);
    return 0;
}
