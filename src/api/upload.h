/* upload.h — the multipart/form-data body of a file upload (POST
 * …/memories/import-file, API.md §8.3), parsed from the request's buffered
 * body by libmicrohttpd's post processor, which reads the boundary from the
 * request's Content-Type. The first part named "file" that carries a file
 * name is the file; a "summarize" field is kept when short. The upload owns
 * what it holds; upload_free releases it. */
#ifndef CHIMERA_API_UPLOAD_H
#define CHIMERA_API_UPLOAD_H

#include "http/request.h"
#include "util/buf.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct upload {
    bool have_file;
    bool file_closed;               /* another part began after the file's */
    bool too_large;
    bool out_of_memory;             /* a copy failed: not the client's fault */
    char *filename;                 /* valid UTF-8 once upload_read succeeds */
    buf data;                       /* the file's bytes, at most data.max */
    char summarize[8];              /* NUL-terminated; longer values are dropped */
} upload;

/* An empty upload whose file may hold up to max bytes (HTTP_UPLOAD_MAX). */
void upload_init(upload *u, size_t max);

/* Parses r's body into u: 0, or -1 with r answered in §8.3's words (400
 * "File too large. Maximum size is 10MB", "No file uploaded", "Malformed
 * multipart body"; 503 when out of memory). A file name that is not UTF-8
 * has its ill-formed bytes replaced by U+FFFD. */
int upload_read(http_req *r, upload *u);

void upload_free(upload *u);

#endif
