/* xfer.c — one libcurl easy handle from a net_request, and its outcome (see
 * xfer.h). Upstream URLs may carry keys (Google): they are never logged
 * here. */
#include "net/xfer.h"

#include "util/fault.h"
#include "util/netaddr.h"

#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#ifndef CHIMERA_VERSION
#define CHIMERA_VERSION "0.0.0"
#endif

#define XFER_DEFAULT_TIMEOUT_S 60L

/* A 2xx answer of a streaming request goes to its on_data as it arrives. */
static int xfer_streams(net_xfer *x)
{
    if (!x->req->on_data)
        return 0;
    if (!x->status)
        curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &x->status);
    return x->status >= 200 && x->status <= 299;
}

static size_t xfer_write(char *data, size_t size, size_t nmemb, void *userp)
{
    net_xfer *x = userp;
    size_t n = size * nmemb;
    if (xfer_streams(x)) {
        if (x->streamed + n > x->max_body || x->streamed + n < x->streamed) {
            x->too_large = 1;
            return 0;
        }
        x->streamed += n;
        if (x->req->on_data(x->req->data_ctx, data, n) == 0)
            return n;
        x->cancelled = 1;
        return 0;
    }
    if (x->body.len + n > x->max_body || x->body.len + n < x->body.len) {
        x->too_large = 1;
        return 0;                   /* aborts the transfer: CURLE_WRITE_ERROR */
    }
    if (buf_append(&x->body, data, n) != 0) {
        x->out_of_memory = 1;
        return 0;
    }
    return n;
}

static int xfer_set_protocols(CURL *e)
{
#if LIBCURL_VERSION_NUM >= 0x075500     /* 7.85.0 */
    return curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK ||
           curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https") != CURLE_OK;
#else
    long p = CURLPROTO_HTTP | CURLPROTO_HTTPS;
    return curl_easy_setopt(e, CURLOPT_PROTOCOLS, p) != CURLE_OK ||
           curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS, p) != CURLE_OK;
#endif
}

/* Every connection a NET_REQ_PUBLIC_ONLY transfer opens, redirects
 * included, goes through here with the address it resolved to: the one
 * checked is the one connected, so a DNS answer cannot change it in
 * between. */
static curl_socket_t xfer_open_socket(void *clientp, curlsocktype purpose,
                                      struct curl_sockaddr *addr)
{
    net_xfer *x = clientp;
    if (purpose == CURLSOCKTYPE_IPCXN && !net_addr_public(&addr->addr)) {
        char text[64];
        net_addr_text(&addr->addr, text, sizeof text);
        char *const *a = x->req->allow_addrs;
        while (a && *a && strcmp(*a, text) != 0)
            a++;
        if (!a || !*a) {
            snprintf(x->blocked, sizeof x->blocked, "%s", text);
            return CURL_SOCKET_BAD;
        }
    }
    return socket(addr->family, addr->socktype, addr->protocol);
}

/* Headers of the request, and no 100-continue. */
static int xfer_headers(net_xfer *x)
{
    for (char **h = x->req->headers; h && *h; h++) {
        struct curl_slist *l = curl_slist_append(x->headers, *h);
        if (!l)
            return -1;
        x->headers = l;
    }
    struct curl_slist *l = curl_slist_append(x->headers, "Expect:");
    if (!l)
        return -1;
    x->headers = l;
    return 0;
}

int net_xfer_setup(net_xfer *x, const net_request *req, size_t max_body)
{
    memset(x, 0, sizeof *x);
    x->req = req;
    x->max_body = req->max_body ? req->max_body : max_body;
    CURL *e = x->easy = curl_easy_init();
    long timeout = req->timeout_s > 0 ? req->timeout_s : XFER_DEFAULT_TIMEOUT_S;
    if (!e || xfer_headers(x) != 0)
        return -1;
    int bad = xfer_set_protocols(e);
    bad |= curl_easy_setopt(e, CURLOPT_URL, req->url) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_HTTPHEADER, x->headers) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_TIMEOUT, timeout) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION,
                            (long)!!(req->flags & NET_REQ_FOLLOW)) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_MAXREDIRS, 5L) != CURLE_OK;
    if (req->idle_timeout_s > 0) {  /* under 1 byte/s for that long: stalled */
        bad |= curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L) != CURLE_OK;
        bad |= curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, req->idle_timeout_s) != CURLE_OK;
    }
    if (req->flags & NET_REQ_PUBLIC_ONLY) {
        bad |= curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, xfer_open_socket) != CURLE_OK;
        bad |= curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, x) != CURLE_OK;
    }
    bad |= curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)x->max_body) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "") != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_USERAGENT,
                            req->user_agent ? req->user_agent : "chimerad/" CHIMERA_VERSION)
           != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, xfer_write) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_WRITEDATA, x) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->errbuf) != CURLE_OK;
    if (req->body) {
        bad |= curl_easy_setopt(e, CURLOPT_POSTFIELDS, req->body) != CURLE_OK;
        bad |= curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
                                (curl_off_t)strlen(req->body)) != CURLE_OK;
    }
    return bad ? -1 : 0;
}

/* Transport failures that mean "could not reach the API" (§6.5). */
static int xfer_unreachable(CURLcode rc)
{
    switch (rc) {
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
        return 1;
    default:
        return 0;
    }
}

void net_xfer_result(net_xfer *x, CURLcode rc, net_result *res)
{
    static char empty[1];
    memset(res, 0, sizeof *res);
    if (fault_fail(FAULT_XFER))
        rc = CURLE_COULDNT_CONNECT;
    if (rc == CURLE_OK) {
        const char *ct = NULL;
        curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &res->status);
        if (curl_easy_getinfo(x->easy, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK && ct)
            snprintf(res->content_type, sizeof res->content_type, "%s", ct);
        res->body = x->body.p ? x->body.p : empty;
        res->len = x->body.len;
        return;
    }
    res->body = empty;
    res->transport_failed = xfer_unreachable(rc) ? NET_UNREACHABLE : NET_FAILED;
    if (x->cancelled) {
        res->cancelled = 1;
        snprintf(res->error, sizeof res->error, "Cancelled");
    } else if (x->too_large || rc == CURLE_FILESIZE_EXCEEDED) {
        res->too_large = 1;
        snprintf(res->error, sizeof res->error, "Response too large");
    } else if (x->out_of_memory) {
        snprintf(res->error, sizeof res->error, "Out of memory");
    } else if (x->blocked[0]) {
        res->blocked = 1;
        snprintf(res->error, sizeof res->error,
                 "address %s is not public (private, loopback, link-local or multicast)",
                 x->blocked);
    } else {
        res->timed_out = rc == CURLE_OPERATION_TIMEDOUT;
        snprintf(res->error, sizeof res->error, "%s",
                 x->errbuf[0] ? x->errbuf : curl_easy_strerror(rc));
    }
}

void net_xfer_free(net_xfer *x)
{
    if (x->easy)
        curl_easy_cleanup(x->easy);
    curl_slist_free_all(x->headers);
    buf_free(&x->body);
    memset(x, 0, sizeof *x);
}
