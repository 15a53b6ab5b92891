/* fetch.c — a blocking transfer (see fetch.h): libcurl's easy interface on
 * one handle set up like the engine's. */
#include "net/fetch.h"

#include "net/xfer.h"

void net_fetch(const net_request *req, net_done done, void *ctx)
{
    net_xfer x;
    net_result res;
    if (net_xfer_setup(&x, req, NET_DEFAULT_MAX_BODY) != 0)
        net_result_failed(&res, "Could not set up the request");
    else
        net_xfer_result(&x, curl_easy_perform(x.easy), &res);
    done(ctx, &res);
    net_xfer_free(&x);
}
