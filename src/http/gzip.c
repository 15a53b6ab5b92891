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
