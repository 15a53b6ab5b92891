/* server.h — the libmicrohttpd daemon: start, stop. Requests go through
 * the route table of src/api/routes.c. */
#ifndef CHIMERA_HTTP_SERVER_H
#define CHIMERA_HTTP_SERVER_H

/* Starts listening on cfg.listen:cfg.port. Returns 0 or -1. */
int server_start(void);

/* Stops accepting new connections (in-flight requests go on). */
void server_quiesce(void);

/* Waits up to timeout_s for suspended (deferred) requests to be answered. */
void server_drain(long timeout_s);

/* Closes every connection and frees the daemon. */
void server_stop(void);

#endif
