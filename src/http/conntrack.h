/* conntrack.h — every open connection, by peer address, so that one address
 * cannot starve the others:
 *   - the header deadline: a connection waiting for a request (since its
 *     accept, or since the end of its previous response on keep-alive) must
 *     deliver the request's headers within CHIMERA_HEADER_TIMEOUT; trickling
 *     bytes does not extend it. A reaper thread shuts overdue ones down;
 *   - fair shares: when CHIMERA_MAX_CONNECTIONS are open, a new connection
 *     is admitted only from an address holding at least two fewer than the
 *     biggest holder, by closing one of that holder's connections that is
 *     waiting for headers; otherwise it is refused. Trusted proxies carry
 *     many clients: they are always admitted (up to the hard limit, a little
 *     above CHIMERA_MAX_CONNECTIONS) and never chosen to make room.
 * Closing is shutdown(fd): libmicrohttpd sees end-of-file and cleans up
 * itself. Race-free because it calls the CLOSED notification (ct_close)
 * before it closes the socket, and the reaper, the admission policy and
 * ct_close hold one mutex: a tracked fd is never a reused number.
 * Connections are owned by this file from ct_open to ct_close. */
#ifndef CHIMERA_HTTP_CONNTRACK_H
#define CHIMERA_HTTP_CONNTRACK_H

#include "util/cidr.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct ct_conn ct_conn;

/* Sizes the tables and, with a reaper, starts its thread (a pass every
 * 250 ms). trusted must outlive the tracker. Returns 0 or -1. */
int ct_init(unsigned max_conns, unsigned header_timeout_ms, const cidr_list *trusted,
            bool reaper);

/* Stops the reaper and frees the tables; after the HTTP daemon stopped. */
void ct_shutdown(void);

/* The connection limit to give libmicrohttpd: above max_conns, so that
 * admissions that make room (the evicted connection closes a moment later)
 * and proxies still fit, while this file decides. */
unsigned ct_hard_limit(unsigned max_conns);

/* Accept policy: may close another address's connection to make room. */
bool ct_admit(const ip_addr *peer);

/* A connection started (waiting for its first request) / closed. ct_open
 * returns NULL when out of memory: the connection is then not tracked. */
ct_conn *ct_open(const ip_addr *peer, int fd);
void ct_close(ct_conn *c);

/* A request's headers are complete: no deadline until ct_idle. False if
 * the connection is already being closed (answer nothing). */
bool ct_headers_done(ct_conn *c);

/* The response was sent: waiting for the next request (keep-alive). */
void ct_idle(ct_conn *c);

/* One reaper pass at now_ms (ct_now_ms's clock): shuts down connections
 * whose headers are overdue; returns how many. */
size_t ct_reap(int64_t now_ms);

int64_t ct_now_ms(void);

/* Counters since the start: closed for late headers, refused, closed to
 * make room; and the connections open now. */
typedef struct ct_stats { uint64_t late, refused, evicted; unsigned open; } ct_stats;
void ct_get_stats(ct_stats *out);

#endif
