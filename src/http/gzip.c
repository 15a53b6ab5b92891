/* gzip.c — see gzip.h. */
#include "http/gzip.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <stdint.h>
#include <zlib.h>

bool gzip_accepted(const char *ae)
{
    if (!ae)
        return false;
    for (const char *p = ae; (p = strcasestr(p, "gzip")) != NULL; p += 4) {
        bool start = p == ae || p[-1] == ' ' || p[-1] == ',' || p[-1] == '\t';
        const char *q = p + 4;
        while (*q == ' ' || *q == '\t')
            q++;
        if (!start || (*q != '\0' && *q != ',' && *q != ';'))
            continue;
        if (*q == ';') {
            const char *v = strchr(q, '=');
            if (v && strtod(v + 1, NULL) <= 0.0)
                return false;
        }
        return true;
    }
    return false;
}

int gzip_compress(const char *in, size_t len, char **out, size_t *outlen)
{
    z_stream zs;
    if (len > UINT32_MAX / 2)
        return -1;      /* zlib counts in uInt; replies are never this big */
    memset(&zs, 0, sizeof zs);
    /* 15 + 16: a gzip wrapper rather than raw zlib. Level 4 trades a little
     * ratio for latency on the hot list endpoints. */
    if (deflateInit2(&zs, 4, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return -1;
    size_t cap = deflateBound(&zs, len);
    char *dst = malloc(cap);
    if (!dst) {
        deflateEnd(&zs);
        return -1;
    }
    zs.next_in = (Bytef *)(uintptr_t)in;
    zs.avail_in = (uInt)len;
    zs.next_out = (Bytef *)dst;
    zs.avail_out = (uInt)cap;
    int rc = deflate(&zs, Z_FINISH);
    deflateEnd(&zs);
    if (rc != Z_STREAM_END) {
        free(dst);
        return -1;
    }
    *out = dst;
    *outlen = zs.total_out;
    return 0;
}

#define GZ_IN 65536

struct gzip_stream {
    z_stream zs;
    long (*fill)(void *cls, char *buf, size_t max);
    void *cls;
    char in[GZ_IN];
    int eof;            /* fill reported the end */
    int done;           /* Z_STREAM_END written */
};

gzip_stream *gzip_stream_new(long (*fill)(void *cls, char *buf, size_t max), void *cls)
{
    gzip_stream *g = calloc(1, sizeof *g);
    if (!g)
        return NULL;
    if (deflateInit2(&g->zs, 4, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        free(g);
        return NULL;
    }
    g->fill = fill;
    g->cls = cls;
    return g;
}

long gzip_stream_read(gzip_stream *g, char *out, size_t max)
{
    if (g->done)
        return -1;
    g->zs.next_out = (Bytef *)out;
    g->zs.avail_out = (uInt)(max > UINT32_MAX / 2 ? UINT32_MAX / 2 : max);
    while (g->zs.avail_out > 0) {
        if (g->zs.avail_in == 0 && !g->eof) {
            long n = g->fill(g->cls, g->in, sizeof g->in);
            if (n == -2)
                return -2;
            if (n < 0)
                g->eof = 1;
            else {
                g->zs.next_in = (Bytef *)g->in;
                g->zs.avail_in = (uInt)n;
            }
        }
        int rc = deflate(&g->zs, g->eof ? Z_FINISH : Z_NO_FLUSH);
        if (rc == Z_STREAM_END) {
            g->done = 1;
            break;
        }
        if (rc != Z_OK && rc != Z_BUF_ERROR)
            return -2;
        if (g->zs.avail_out == 0)
            break;
    }
    long produced = (long)(max - g->zs.avail_out);
    return produced > 0 || !g->done ? produced : -1;
}

void gzip_stream_free(gzip_stream *g)
{
    if (!g)
        return;
    deflateEnd(&g->zs);
    free(g);
}
