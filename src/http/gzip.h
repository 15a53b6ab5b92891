/* gzip.h — gzip encoding of large replies (D11) with zlib. Leaf module. */
#ifndef CHIMERA_HTTP_GZIP_H
#define CHIMERA_HTTP_GZIP_H

#include <stdbool.h>
#include <stddef.h>

#define GZIP_MIN_SIZE 1024

/* True if an Accept-Encoding value accepts gzip (and not with q=0). */
bool gzip_accepted(const char *accept_encoding);

/* Compresses in; on success returns 0 and a malloc'd *out (caller frees). */
int gzip_compress(const char *in, size_t len, char **out, size_t *outlen);

/* Streaming compression for bodies produced on demand (the export). */
typedef struct gzip_stream gzip_stream;

/* fill(cls, buf, max) as for streamed responses: bytes, or < 0 at end
 * (-1) or on error (-2). NULL on allocation failure. */
gzip_stream *gzip_stream_new(long (*fill)(void *cls, char *buf, size_t max), void *cls);

/* Writes up to max compressed bytes; returns like fill. */
long gzip_stream_read(gzip_stream *g, char *out, size_t max);
void gzip_stream_free(gzip_stream *g);

#endif
