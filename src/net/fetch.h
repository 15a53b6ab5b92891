/* fetch.h — one outbound request sent on the caller's thread, blocking: the
 * twin of outbound_submit (net/outbound.h) for the command line (`chimerad
 * embed`), with the same transfer rules (net/xfer.h). The server never
 * calls it: its worker threads do not wait on the network. */
#ifndef CHIMERA_NET_FETCH_H
#define CHIMERA_NET_FETCH_H

#include "net/request.h"

/* Sends req (still the caller's afterwards) and calls done(ctx, res) on
 * this thread before returning, whatever the outcome; res and its body live
 * until done returns. Answers are capped at req->max_body (0: 5 MiB). */
void net_fetch(const net_request *req, net_done done, void *ctx);

#endif
