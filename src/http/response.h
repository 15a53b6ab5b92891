/* response.h — how handlers answer: the envelope {ok, data, error} of
 * API.md §1.2 is assembled later by server.c from what these set. Each
 * steals the json_t reference it is given. */
#ifndef CHIMERA_HTTP_RESPONSE_H
#define CHIMERA_HTTP_RESPONSE_H

#include "http/request.h"

/* The success envelope around data (taken). NULL data means the handler
 * could not build it: the answer is resp_no_memory()'s. */
void resp_data(http_req *r, int status, json_t *data);
/* 503 "Server out of memory, try again" with Retry-After: 1. */
void resp_no_memory(http_req *r);
/* As resp_data with the payload already serialised (takes ownership;
 * NULL is answered like resp_no_memory()). */
void resp_data_text(http_req *r, int status, char *json);
void resp_error(http_req *r, int status, const char *msg);
void resp_errorf(http_req *r, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* A field-error object {"field": ["message", …]} with status 400 (takes
 * errors). One holding the key RESP_NO_MEMORY (which no field can have: it
 * starts with a control character) says the validation ran out of memory,
 * and is answered like resp_no_memory(). */
#define RESP_NO_MEMORY "\x01out of memory"
void resp_fields(http_req *r, json_t *errors);
/* An error that still carries data (send-message failures). */
void resp_error_data(http_req *r, int status, const char *msg, json_t *data);
/* A raw, non-enveloped body (metrics, the OpenAPI document); takes
 * ownership of body. */
void resp_raw(http_req *r, int status, char *body, size_t len);
#define RESP_STREAM_END (-1L)
#define RESP_STREAM_ERROR (-2L)

/* A streamed raw JSON body of unknown length, produced on demand by fill
 * (called from the connection's thread until it returns RESP_STREAM_END);
 * free_cls releases cls when the response is done. */
void resp_stream(http_req *r, int status, long (*fill)(void *cls, char *buf, size_t max),
                 void *cls, void (*free_cls)(void *cls), const char *disposition);

/* The standard 429 with Retry-After. */
void resp_throttled(http_req *r, int retry_after);

/* Serialises the envelope for r into *out (caller frees); -1 when out of
 * memory (the server then sends its prepared out-of-memory answer). */
int resp_render(const http_req *r, char **out, size_t *len);

#endif
