/* fuzz_multipart.c — libFuzzer target for file uploads (POST
 * …/memories/import-file): the multipart body through libmicrohttpd's post
 * processor and src/api/upload.c, as the handler parses it. The request
 * goes over a socket pair into a libmicrohttpd daemon run in this thread
 * (no listening socket, MHD_add_connection); its handler buffers the body
 * as the server does and calls upload_read, then answers with the envelope
 * of src/http/response.c.
 *
 * Input: the boundary up to the first '\n' (at most 70 bytes; control
 * bytes, which a header value cannot carry, become 'x'), the body after it.
 * The request says "Content-Type: multipart/form-data; boundary=<it>".
 *
 * Checked: the answer is one well-formed HTTP response whose body is the
 * envelope, 200 with the upload's facts or 400 with one of §8.3's
 * messages; an accepted file is a run of the body's bytes (never pieces
 * of two parts), holds at most the file limit, and its name is valid
 * UTF-8; a refused "too large" body is longer than the limit. The file
 * limit is 4 KiB here (10 MiB in the server) so that inputs reach it.
 * Built and run by tests/fuzz/run.sh. */
#include <assert.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <jansson.h>
#include <microhttpd.h>

#include "api/upload.h"
#include "http/response.h"
#include "http/router.h"
#include "util/buf.h"
#include "util/utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FILE_MAX 4096
#define BOUNDARY_MAX 70

static int open_connections;

/* Runs the handler's parsing on r and leaves the answer in r. */
static void answer(http_req *r)
{
    upload u;
    upload_init(&u, FILE_MAX);
    if (upload_read(r, &u) != 0) {
        if (r->error && strcmp(json_string_value(r->error), "File too large. Maximum size is 10MB") == 0)
            assert(r->body.len > FILE_MAX);
        upload_free(&u);
        return;
    }
    assert(u.have_file && u.filename && utf8_valid(u.filename, strlen(u.filename)));
    assert(u.data.len <= FILE_MAX);
    assert(u.data.len == 0 || memmem(r->body.p, r->body.len, u.data.p, u.data.len));
    assert(memchr(u.summarize, '\0', sizeof u.summarize));
    /* summarize as the handler reads it: its bytes need not be UTF-8 */
    resp_data(r, 200, json_pack("{s:s,s:I,s:b}", "filename", u.filename, "size",
                                (json_int_t)u.data.len, "summarize",
                                strcasecmp(u.summarize, "true") == 0));
    upload_free(&u);
}

static enum MHD_Result send_answer(struct MHD_Connection *conn, http_req *r)
{
    char *body;
    size_t len;
    if (!r->responded)
        resp_error(r, 500, "Internal server error");
    if (resp_render(r, &body, &len) != 0)
        return MHD_NO;
    struct MHD_Response *resp = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    if (!resp) {
        free(body);
        return MHD_NO;
    }
    MHD_add_response_header(resp, "Content-Type", "application/json");
    enum MHD_Result ok = MHD_queue_response(conn, (unsigned)r->status, resp);
    MHD_destroy_response(resp);
    return ok;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_size, void **con_cls)
{
    (void)cls;
    (void)url;
    (void)version;
    http_req *r = *con_cls;
    if (!r) {
        if (!(r = calloc(1, sizeof *r)))
            return MHD_NO;
        r->conn = conn;
        r->method = method;
        r->body.max = HTTP_UPLOAD_MAX + HTTP_UPLOAD_SLACK;
        *con_cls = r;
        return MHD_YES;
    }
    if (*upload_size) {
        assert(buf_append(&r->body, upload_data, *upload_size) == 0);
        *upload_size = 0;
        return MHD_YES;
    }
    answer(r);
    return send_answer(conn, r);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)conn;
    (void)toe;
    http_req *r = *con_cls;
    if (!r)
        return;
    json_decref(r->data);
    json_decref(r->error);
    json_decref(r->fail_data);
    free(r->data_text);
    buf_free(&r->body);
    free(r);
    *con_cls = NULL;
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
    (void)cls;
    (void)conn;
    (void)socket_context;
    open_connections += toe == MHD_CONNECTION_NOTIFY_STARTED ? 1 : -1;
}

static struct MHD_Daemon *daemon_once(void)
{
    static struct MHD_Daemon *d;
    if (!d)
        d = MHD_start_daemon(MHD_USE_NO_LISTEN_SOCKET, 0, NULL, NULL, on_request, NULL,
                             MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
                             MHD_OPTION_NOTIFY_CONNECTION, on_connection, NULL, MHD_OPTION_END);
    assert(d);
    return d;
}

/* The request: fixed line and headers, the boundary, the body. */
static char *build_request(const uint8_t *data, size_t size, size_t *len)
{
    const uint8_t *nl = memchr(data, '\n', size < BOUNDARY_MAX + 1 ? size : BOUNDARY_MAX + 1);
    size_t blen = nl ? (size_t)(nl - data) : 0;
    const uint8_t *body = nl ? nl + 1 : data;
    size_t body_len = size - (size_t)(body - data);
    char boundary[BOUNDARY_MAX + 1];
    for (size_t i = 0; i < blen; i++)
        boundary[i] = data[i] < 0x20 || data[i] == 0x7f ? 'x' : (char)data[i];
    boundary[blen] = '\0';
    char head[512];
    int n = snprintf(head, sizeof head,
                     "POST /api/workspaces/w/memories/import-file HTTP/1.1\r\nHost: fuzz\r\n"
                     "Connection: close\r\n"
                     "Content-Type: multipart/form-data; boundary=%s\r\n"
                     "Content-Length: %zu\r\n\r\n", boundary, body_len);
    assert(n > 0 && (size_t)n < sizeof head);
    char *req = malloc((size_t)n + body_len);
    assert(req);
    memcpy(req, head, (size_t)n);
    memcpy(req + n, body, body_len);
    *len = (size_t)n + body_len;
    return req;
}

/* The answer: "HTTP/1.1 NNN …", headers, the envelope. */
static void check_answer(const char *resp, size_t len)
{
    static const char *const refusals[] = {
        "File too large. Maximum size is 10MB", "No file uploaded", "Malformed multipart body",
    };
    int status = 0;
    assert(len > 12 && memcmp(resp, "HTTP/1.1 ", 9) == 0);
    assert(sscanf(resp + 9, "%3d", &status) == 1);
    const char *sep = memmem(resp, len, "\r\n\r\n", 4);
    assert(sep);
    json_error_t err;
    json_t *env = json_loadb(sep + 4, len - (size_t)(sep + 4 - resp), 0, &err);
    assert(json_is_object(env) && json_is_boolean(json_object_get(env, "ok")));
    bool ok = json_is_true(json_object_get(env, "ok"));
    if (status == 200) {
        json_t *d = json_object_get(env, "data");
        assert(ok && json_is_string(json_object_get(d, "filename")) &&
               json_integer_value(json_object_get(d, "size")) <= FILE_MAX);
    } else {
        const char *msg = json_string_value(json_object_get(env, "error"));
        size_t i = 0;
        while (msg && i < sizeof refusals / sizeof refusals[0] && strcmp(msg, refusals[i]) != 0)
            i++;
        assert(status == 400 && !ok && msg && i < sizeof refusals / sizeof refusals[0]);
    }
    json_decref(env);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct MHD_Daemon *d = daemon_once();
    size_t req_len, sent = 0;
    char *req = build_request(data, size, &req_len);
    int sv[2];
    assert(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    struct sockaddr_in peer = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    assert(MHD_add_connection(d, sv[1], (const struct sockaddr *)&peer, sizeof peer) == MHD_YES);
    buf resp = BUF_INIT(1 << 20);
    char chunk[4096];
    bool eof = false;
    /* one request, then Connection: close; a hang is libFuzzer's timeout */
    while (!eof || open_connections > 0) {
        assert(MHD_run(d) == MHD_YES);
        if (sent < req_len) {
            ssize_t w = send(sv[0], req + sent, req_len - sent, MSG_DONTWAIT | MSG_NOSIGNAL);
            if (w > 0)
                sent += (size_t)w;
            else if (errno != EAGAIN && errno != EWOULDBLOCK)
                sent = req_len;         /* the server closed: read its answer */
        }
        ssize_t n = eof ? 0 : recv(sv[0], chunk, sizeof chunk, MSG_DONTWAIT);
        if (n > 0)
            assert(buf_append(&resp, chunk, (size_t)n) == 0);
        else if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
            eof = true;
    }
    close(sv[0]);
    check_answer(resp.p ? resp.p : "", resp.len);
    buf_free(&resp);
    free(req);
    return 0;
}
