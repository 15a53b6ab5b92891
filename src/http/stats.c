/* stats.c — see stats.h. */
#include "http/stats.h"

#include "util/isotime.h"

#include <stdatomic.h>
#include <stdlib.h>

const double http_stats_bucket_le[HTTP_STATS_BUCKETS] = {
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
};

/* The statuses this API answers; others land in their class's slot. */
static const int known[HTTP_STATS_STATUSES] = {
    200, 201, 204, 206, 301, 302, 304, 400, 401, 403, 499, 404, 405, 406, 409, 410, 411,
    413, 415, 422, 429, 500, 502, 503,
};
#define CLASS_SLOTS 5           /* 1xx … 5xx not listed above (504 among them) */
#define SLOTS (HTTP_STATS_STATUSES + CLASS_SLOTS)

typedef struct route_counters {
    atomic_uint_fast64_t by_status[SLOTS];
    atomic_uint_fast64_t buckets[HTTP_STATS_BUCKETS + 1];     /* last: above every le */
    atomic_uint_fast64_t sum_us;
} route_counters;

static route_counters *counters;    /* nroutes + 1 (unmatched) */
static size_t nslots;
static atomic_uint_fast64_t in_flight;

static int64_t started_us;

int64_t http_stats_started_us(void)
{
    return started_us;
}

int http_stats_init(size_t nroutes)
{
    if (counters)
        return 0;
    started_us = time_now_us();
    counters = calloc(nroutes + 1, sizeof *counters);
    nslots = counters ? nroutes + 1 : 0;
    return counters ? 0 : -1;
}

void http_stats_request_begin(void)
{
    atomic_fetch_add_explicit(&in_flight, 1, memory_order_relaxed);
}

/* A request that ended without an answer (the client went away) counts
 * as 499, as nginx logs it. */
static size_t status_slot(int status)
{
    if (status == 0)
        status = 499;
    for (size_t i = 0; i < HTTP_STATS_STATUSES; i++)
        if (known[i] == status)
            return i;
    int cls = status / 100;
    return HTTP_STATS_STATUSES + (size_t)(cls >= 1 && cls <= 5 ? cls - 1 : 4);
}

static route_counters *slot_of(int route)
{
    if (!counters)
        return NULL;
    return route >= 0 && (size_t)route < nslots - 1 ? &counters[route] : &counters[nslots - 1];
}

void http_stats_request_end(int route, int status, int64_t us)
{
    atomic_fetch_sub_explicit(&in_flight, 1, memory_order_relaxed);
    route_counters *c = slot_of(route);
    if (!c)
        return;
    atomic_fetch_add_explicit(&c->by_status[status_slot(status)], 1, memory_order_relaxed);
    double s = (double)(us < 0 ? 0 : us) / 1e6;
    size_t b = 0;
    while (b < HTTP_STATS_BUCKETS && s > http_stats_bucket_le[b])
        b++;
    atomic_fetch_add_explicit(&c->buckets[b], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&c->sum_us, (uint_fast64_t)(us < 0 ? 0 : us), memory_order_relaxed);
}

static unsigned (*connections_fn)(void);

void http_stats_connections_from(unsigned (*count)(void))
{
    connections_fn = count;
}

unsigned http_stats_connections(void)
{
    return connections_fn ? connections_fn() : 0;
}

uint64_t http_stats_in_flight(void)
{
    return atomic_load_explicit(&in_flight, memory_order_relaxed);
}

int http_stats_read(int route, http_route_stats *out)
{
    route_counters *c = slot_of(route);
    if (!c)
        return -1;
    out->nstatus = 0;
    out->count = 0;
    for (size_t i = 0; i < SLOTS; i++) {
        uint64_t n = atomic_load_explicit(&c->by_status[i], memory_order_relaxed);
        if (!n)
            continue;
        out->status_codes[out->nstatus] = i < HTTP_STATS_STATUSES
            ? known[i] : (int)(i - HTTP_STATS_STATUSES + 1);      /* a class: 1 … 5 */
        out->counts[out->nstatus++] = n;
    }
    uint64_t cum = 0;
    for (size_t b = 0; b <= HTTP_STATS_BUCKETS; b++) {
        cum += atomic_load_explicit(&c->buckets[b], memory_order_relaxed);
        if (b < HTTP_STATS_BUCKETS)
            out->buckets[b] = cum;
    }
    out->count = cum;
    out->sum_s = (double)atomic_load_explicit(&c->sum_us, memory_order_relaxed) / 1e6;
    return 0;
}
