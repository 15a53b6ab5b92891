/* stats.h — request counters for GET /api/metrics: per route (the route
 * table's index; the last slot for requests that matched no route) and
 * status, a latency histogram per route, requests in flight. Counters are
 * relaxed atomics: nothing on the request path takes a lock. Sized once by
 * http_stats_init() before the server starts. */
#ifndef CHIMERA_HTTP_STATS_H
#define CHIMERA_HTTP_STATS_H

#include <stddef.h>
#include <stdint.h>

/* Latency buckets (seconds) of chimera_http_request_duration_seconds. */
#define HTTP_STATS_BUCKETS 14
extern const double http_stats_bucket_le[HTTP_STATS_BUCKETS];

/* Statuses counted one by one; anything else is counted per class (1xx…5xx). */
#define HTTP_STATS_STATUSES 24

int http_stats_init(size_t nroutes);
/* Wall-clock time of http_stats_init (the server's start), microseconds. */
int64_t http_stats_started_us(void);
void http_stats_request_begin(void);
/* route < 0: no route matched. */
void http_stats_request_end(int route, int status, int64_t us);

uint64_t http_stats_in_flight(void);

/* Open connections, as counted by the server (set by server_start). */
void http_stats_connections_from(unsigned (*count)(void));
unsigned http_stats_connections(void);

/* One route's counters, read without a lock (each value is consistent on
 * its own). status_codes[i] goes with counts[i]: an HTTP status, or 1 … 5
 * for the other statuses of that class (1xx … 5xx); a request that ended
 * without an answer counts as 499. Buckets are cumulative as Prometheus
 * wants them. */
typedef struct http_route_stats {
    int status_codes[HTTP_STATS_STATUSES + 5];
    uint64_t counts[HTTP_STATS_STATUSES + 5];
    size_t nstatus;
    uint64_t buckets[HTTP_STATS_BUCKETS];
    uint64_t count;
    double sum_s;
} http_route_stats;

/* Reads route's counters (route < 0: unmatched requests); 0 or -1. */
int http_stats_read(int route, http_route_stats *out);

#endif
