/* server.h — the libmicrohttpd daemon: start, stop. Requests go through
 * the route table of src/api/routes.c. */
#ifndef CHIMERA_HTTP_SERVER_H
#define CHIMERA_HTTP_SERVER_H

/* Starts listening on cfg.listen:cfg.port. Returns 0 or -1. */
int server_start(void);

/* Stops accepting, finishes in-flight requests, frees the daemon. */
void server_stop(void);

#endif
