/* xfer.h — inside net/ only: one transfer, that is a libcurl easy handle set
 * up from a net_request (URL, method, headers, protocols, redirects,
 * timeout, body cap, the public-address check of every connection), and
 * its outcome as a net_result. outbound.c runs many at once on its multi
 * handle; fetch.c runs one blocking. */
#ifndef CHIMERA_NET_XFER_H
#define CHIMERA_NET_XFER_H

#include "net/request.h"
#include "util/buf.h"

#include <curl/curl.h>

#define NET_DEFAULT_MAX_BODY ((size_t)5 << 20)

typedef struct net_xfer {
    const net_request *req;         /* not owned; outlives the transfer */
    size_t max_body;                /* answer cap */
    CURL *easy;
    struct curl_slist *headers;
    buf body;
    int too_large;
    int out_of_memory;
    int cancelled;                  /* on_data refused, or the engine cancelled */
    long status;                    /* of a streamed answer, read at its first bytes */
    size_t streamed;                /* bytes handed to on_data (capped as bodies are) */
    char blocked[64];               /* the refused address, NET_REQ_PUBLIC_ONLY */
    char errbuf[CURL_ERROR_SIZE];
} net_xfer;

/* Zeroes x and sets up x->easy for req; answers are capped at
 * req->max_body, or max_body when that is 0. Returns 0 or -1; call
 * net_xfer_free afterwards in both cases. */
int net_xfer_setup(net_xfer *x, const net_request *req, size_t max_body);

/* Fills res from the finished transfer (rc = curl's verdict). res->body
 * points into x: valid until net_xfer_free. */
void net_xfer_result(net_xfer *x, CURLcode rc, net_result *res);

void net_xfer_free(net_xfer *x);

#endif
