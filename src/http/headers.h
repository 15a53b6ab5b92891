/* headers.h — small parsers of request header values: the bearer token of
 * Authorization, whether Accept asks for an event stream, an acceptable
 * X-Request-Id. Leaf module (no HTTP server): the callers pass the value.
 * The other header parsers: If-None-Match in http/etag.h, X-Forwarded-For
 * in http/forwarded.h, Accept-Encoding in http/gzip.h. */
#ifndef CHIMERA_HTTP_HEADERS_H
#define CHIMERA_HTTP_HEADERS_H

#include <stdbool.h>
#include <stddef.h>

typedef enum hdr_bearer_rc {
    HDR_BEARER_OK,
    HDR_BEARER_MISSING,         /* no value, or not the Bearer scheme */
    HDR_BEARER_MALFORMED,       /* Bearer, but not "Bearer <token>" */
} hdr_bearer_rc;

/* Splits an Authorization value "Bearer <token>": the scheme in any case,
 * one space, a non-empty token without spaces. On HDR_BEARER_OK *token
 * points into value; else it is NULL. */
hdr_bearer_rc hdr_bearer(const char *value, const char **token);

/* True if an Accept value names text/event-stream (in any case). */
bool hdr_accepts_event_stream(const char *accept);

/* True if value may be echoed as a request id: 1 to max - 1 characters of
 * [A-Za-z0-9._-]. */
bool hdr_request_id_ok(const char *value, size_t max);

#endif
