/* upload.c — see upload.h. */
#include "api/upload.h"

#include "http/response.h"
#include "imports/text.h"

#include <microhttpd.h>
#include <stdlib.h>
#include <string.h>

void upload_init(upload *u, size_t max)
{
    memset(u, 0, sizeof *u);
    u->data.max = max;
}

void upload_free(upload *u)
{
    free(u->filename);
    u->filename = NULL;
    buf_free(&u->data);
}

/* The file's next piece: the post processor hands a part over in pieces,
 * each at the offset the part has reached, so the file's own pieces come
 * at data.len. Anything else means another part has begun: a second file
 * (even one of the same name) is not added to the first. */
static bool file_piece(upload *u, const char *filename, uint64_t off)
{
    if (!u->file_closed && off == u->data.len && strcmp(filename, u->filename) == 0)
        return true;
    u->file_closed = true;
    return false;
}

static enum MHD_Result upload_part(void *cls, enum MHD_ValueKind kind, const char *key,
                                   const char *filename, const char *content_type,
                                   const char *transfer_encoding, const char *data,
                                   uint64_t off, size_t size)
{
    upload *u = cls;
    (void)kind;
    (void)content_type;
    (void)transfer_encoding;
    if (!key) {                 /* a part without a Content-Disposition name */
        u->file_closed = u->have_file;
        return MHD_YES;
    }
    if (strcmp(key, "file") == 0 && filename) {
        if (!u->have_file) {
            u->have_file = true;
            if (!(u->filename = strdup(filename))) {
                u->out_of_memory = true;
                return MHD_NO;
            }
        } else if (!file_piece(u, filename, off)) {
            return MHD_YES;         /* a second file: the first one counts */
        }
        if (size && buf_append(&u->data, data, size) != 0) {
            u->too_large = u->data.len + size > u->data.max;
            u->out_of_memory = !u->too_large;
            return MHD_NO;
        }
        return MHD_YES;
    }
    if (u->have_file)
        u->file_closed = true;
    if (strcmp(key, "summarize") == 0 && off + size < sizeof u->summarize)
        memcpy(u->summarize + off, data, size);
    return MHD_YES;
}

/* The file name as valid UTF-8 (browsers send raw bytes between the
 * quotes); 0, or -1 when out of memory. */
static int sanitize_name(upload *u)
{
    size_t n;
    char *clean = imp_utf8_sanitize(u->filename, strlen(u->filename), &n);
    if (!clean)
        return -1;
    free(u->filename);
    u->filename = clean;
    return 0;
}

int upload_read(http_req *r, upload *u)
{
    struct MHD_PostProcessor *pp = MHD_create_post_processor(r->conn, 64 * 1024, upload_part, u);
    enum MHD_Result ok = MHD_NO;
    if (pp) {
        ok = MHD_post_process(pp, r->body.p ? r->body.p : "", r->body.len);
        if (MHD_destroy_post_processor(pp) != MHD_YES)
            ok = MHD_NO;
    }
    if (u->out_of_memory) {
        resp_no_memory(r);
        return -1;
    }
    if (u->too_large) {
        resp_error(r, 400, "File too large. Maximum size is 10MB");
        return -1;
    }
    if (!u->have_file) {
        resp_error(r, 400, "No file uploaded");
        return -1;
    }
    if (ok != MHD_YES) {
        resp_error(r, 400, "Malformed multipart body");
        return -1;
    }
    if (sanitize_name(u) != 0) {
        resp_no_memory(r);
        return -1;
    }
    return 0;
}
