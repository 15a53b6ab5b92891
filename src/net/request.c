/* request.c — building a net_request (see request.h): URL, headers, JSON
 * body. Every builder frees the request when it fails, so a caller chains
 * them and checks once. Also the result of a transfer that never ran. */
#include "net/request.h"

#include "util/buf.h"
#include "util/oom.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void net_request_free(net_request *r)
{
    if (!r)
        return;
    for (char **h = r->headers; h && *h; h++)
        free(*h);
    free(r->headers);
    free(r->url);
    free(r->body);
    memset(r, 0, sizeof *r);
}

int net_req_init(net_request *r, const char *base, const char *path, long timeout_s)
{
    buf b = BUF_INIT(0);
    memset(r, 0, sizeof *r);
    r->timeout_s = timeout_s;
    if (buf_puts(&b, base) != 0 || buf_puts(&b, path) != 0) {
        buf_free(&b);
        return -1;
    }
    r->url = buf_steal(&b);
    return 0;
}

int net_req_url_add(net_request *r, const char *s, int escape)
{
    static const char hex[] = "0123456789ABCDEF";
    buf b = BUF_INIT(0);
    int rc = -1;
    if (buf_puts(&b, r->url) != 0)
        goto out;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        int plain = !escape || (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
                    (*p >= '0' && *p <= '9') || strchr("-._~", *p);
        char enc[3] = { '%', hex[*p >> 4], hex[*p & 15] };
        if ((plain ? buf_putc(&b, (char)*p) : buf_append(&b, enc, 3)) != 0)
            goto out;
    }
    free(r->url);
    r->url = buf_steal(&b);
    rc = 0;
out:
    buf_free(&b);
    if (rc != 0)
        net_request_free(r);
    return rc;
}

int net_req_header(net_request *r, const char *fmt, ...)
{
    size_t n = 0;
    char *line = NULL, **grown;
    va_list ap;
    va_start(ap, fmt);
    int len = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (len < 0 || !(line = malloc((size_t)len + 1)))
        goto fail;
    va_start(ap, fmt);
    vsnprintf(line, (size_t)len + 1, fmt, ap);
    va_end(ap);
    while (r->headers && r->headers[n])
        n++;
    if (!(grown = realloc(r->headers, (n + 2) * sizeof *grown)))
        goto fail;
    grown[n] = line;
    grown[n + 1] = NULL;
    r->headers = grown;
    return 0;
fail:
    free(line);
    net_request_free(r);
    return -1;
}

int net_req_json(net_request *r, json_t *body)
{
    r->body = body ? json_dumps_whole(body, JSON_COMPACT) : NULL;
    json_decref(body);
    if (r->body)
        return 0;
    net_request_free(r);
    return -1;
}

int net_key_ok(const char *key)
{
    if (!key || !*key)
        return 0;
    for (const unsigned char *p = (const unsigned char *)key; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return 0;
    return 1;
}

void net_result_failed(net_result *res, const char *why)
{
    static char empty[1];
    memset(res, 0, sizeof *res);
    res->body = empty;
    res->transport_failed = NET_FAILED;
    snprintf(res->error, sizeof res->error, "%s", why);
}
