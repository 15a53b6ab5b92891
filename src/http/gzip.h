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

#endif
