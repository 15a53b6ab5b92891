/* metrics.c — GET /api/metrics: the Prometheus text format (0.0.4), built
 * from counters each layer keeps without locks (http/stats, db_stats, the
 * outbound engine, the embedder calls, the vector index) and a few process
 * facts read from /proc. Open to loopback clients; others need
 * `Authorization: Bearer <CHIMERA_METRICS_TOKEN>` (404 when no token is
 * set, so the endpoint is never public by accident; 401 for a wrong one).
 * "Loopback" is the client address after X-Forwarded-For from a trusted
 * proxy, so a proxy on the same host does not open it to the world. */
#include "api/api.h"
#include "api/services/embedding.h"
#include "api/services/keyword.h"
#include "api/handlers.h"

#include "config.h"
#include "db/db.h"
#include "embed/index.h"
#include "http/bodycache.h"
#include "http/headers.h"
#include "http/response.h"
#include "http/stats.h"
#include "net/outbound.h"
#include "util/buf.h"
#include "util/cidr.h"
#include "util/isotime.h"

#include <dirent.h>
#include <malloc.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#ifndef CHIMERA_VERSION
#define CHIMERA_VERSION "0.0.0"
#endif

static bool loopback(const char *addr)
{
    ip_addr a;
    return ip_parse(addr, strlen(addr), &a) && ip_is_loopback(&a);
}

/* Equal-length check in constant time over hashes of both tokens. */
static bool token_matches(const char *given, const char *want)
{
    unsigned char hg[32], hw[32];
    crypto_generichash(hg, sizeof hg, (const unsigned char *)given, strlen(given), NULL, 0);
    crypto_generichash(hw, sizeof hw, (const unsigned char *)want, strlen(want), NULL, 0);
    return sodium_memcmp(hg, hw, sizeof hg) == 0;
}

/* 0 when r may read the metrics; else r has been answered. */
static int metrics_access(http_req *r)
{
    if (loopback(r->client))
        return 0;
    if (!cfg.metrics_token || !cfg.metrics_token[0]) {
        resp_error(r, 404, "Not found");
        return -1;
    }
    const char *tok;
    if (hdr_bearer(req_header(r, "Authorization"), &tok) != HDR_BEARER_OK ||
        !token_matches(tok, cfg.metrics_token)) {
        resp_error(r, 401, "Invalid metrics token");
        return -1;
    }
    return 0;
}

static void family(buf *b, const char *name, const char *type, const char *help)
{
    buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void status_label(char *out, size_t n, int code)
{
    if (code < 100)
        snprintf(out, n, "%dxx", code);
    else
        snprintf(out, n, "%d", code);
}

static void http_requests(buf *b, const route *table, size_t n)
{
    family(b, "chimera_http_requests_total", "counter",
           "Requests answered, by route pattern, method and status.");
    for (int i = -1; i < (int)n; i++) {
        http_route_stats s;
        if (http_stats_read(i, &s) != 0)
            continue;
        const char *pat = i < 0 ? "none" : table[i].pattern, *m = i < 0 ? "" : table[i].method;
        for (size_t k = 0; k < s.nstatus; k++) {
            char st[16];
            status_label(st, sizeof st, s.status_codes[k]);
            buf_printf(b, "chimera_http_requests_total{route=\"%s\",method=\"%s\",status=\"%s\"}"
                       " %llu\n", pat, m, st, (unsigned long long)s.counts[k]);
        }
    }
}

static void http_durations(buf *b, const route *table, size_t n)
{
    const char *name = "chimera_http_request_duration_seconds";
    family(b, name, "histogram", "Time from the request's headers to its answer, by route.");
    for (int i = -1; i < (int)n; i++) {
        http_route_stats s;
        if (http_stats_read(i, &s) != 0 || s.count == 0)
            continue;
        const char *pat = i < 0 ? "none" : table[i].pattern, *m = i < 0 ? "" : table[i].method;
        for (size_t k = 0; k < HTTP_STATS_BUCKETS; k++)
            buf_printf(b, "%s_bucket{route=\"%s\",method=\"%s\",le=\"%g\"} %llu\n", name, pat, m,
                       http_stats_bucket_le[k], (unsigned long long)s.buckets[k]);
        buf_printf(b, "%s_bucket{route=\"%s\",method=\"%s\",le=\"+Inf\"} %llu\n", name, pat, m,
                   (unsigned long long)s.count);
        buf_printf(b, "%s_sum{route=\"%s\",method=\"%s\"} %.6f\n", name, pat, m, s.sum_s);
        buf_printf(b, "%s_count{route=\"%s\",method=\"%s\"} %llu\n", name, pat, m,
                   (unsigned long long)s.count);
    }
}

/* One unlabelled sample of a family. */
typedef struct sample {
    const char *type, *name, *help;
    double value;
} sample;

static void samples(buf *b, const sample *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        family(b, s[i].name, s[i].type, s[i].help);
        buf_printf(b, "%s %.15g\n", s[i].name, s[i].value);
    }
}

#define C "counter"
#define G "gauge"

static void db_metrics(buf *b)
{
    db_stats s;
    db_stats_get(&s);
    family(b, "chimera_db_transactions_total", "counter", "Transactions, by outcome.");
    buf_printf(b, "chimera_db_transactions_total{outcome=\"commit\"} %llu\n"
               "chimera_db_transactions_total{outcome=\"rollback\"} %llu\n",
               (unsigned long long)s.commits, (unsigned long long)s.rollbacks);
    const sample rows[] = {
        { C, "chimera_db_statements_total", "SQL statements executed.", (double)s.statements },
        { C, "chimera_db_transaction_seconds_total",
          "Time spent inside transactions, begin to commit or rollback.", s.tx_us / 1e6 },
        { C, "chimera_db_writer_wait_seconds_total",
          "SQLite: time writers waited for the process's writer lock.", s.writer_wait_us / 1e6 },
        { C, "chimera_db_group_commits_total",
          "SQLite: transactions that committed a batch of queued writes.", (double)s.batches },
        { C, "chimera_db_group_commit_writes_total", "SQLite: writes committed in those batches.",
          (double)s.batched },
        { C, "chimera_db_connections_opened_total",
          "Database connections opened (one per worker thread, again after a failure).",
          (double)s.connects },
        { C, "chimera_db_connect_failures_total", "Database connections that failed to open.",
          (double)s.connect_failures },
        { C, "chimera_db_connect_seconds_total",
          "Time spent opening database connections (threads wait for these).",
          s.connect_us / 1e6 },
        { G, "chimera_db_sqlite_heap_bytes",
          "SQLite's heap now: its connections' page caches, schemas and statements.",
          (double)s.sqlite_heap },
        { G, "chimera_db_sqlite_heap_peak_bytes", "SQLite's heap at its highest since start.",
          (double)s.sqlite_heap_peak },
    };
    samples(b, rows, sizeof rows / sizeof rows[0]);
}

static void index_metrics(buf *b)
{
    size_t ws = 0, vectors = 0, bytes = 0;
    idx_stats s;
    idx_totals(&ws, &vectors, &bytes);
    idx_stats_get(&s);
    const sample rows[] = {
        { G, "chimera_index_bytes", "Memory held by cached vector indexes.", (double)bytes },
        { G, "chimera_index_workspaces", "Workspaces whose vector index is cached.", (double)ws },
        { G, "chimera_index_vectors", "Vectors in the cached indexes.", (double)vectors },
        { G, "chimera_index_budget_bytes", "CHIMERA_INDEX_MEMORY: the cache's bound.",
          (double)cfg.index_memory },
        { C, "chimera_index_searches_total", "Searches run on a cached index.",
          (double)s.searches },
        { C, "chimera_index_candidates_total",
          "Rows whose stored vector a search read back to score exactly.",
          (double)s.candidates },
        { C, "chimera_index_hits_total", "Searches served by a cached index as it was.",
          (double)s.hits },
        { C, "chimera_index_misses_total", "Index misses: a workspace's index loaded in full.",
          (double)s.full_loads },
        { C, "chimera_index_delta_loads_total",
          "Index refreshes that read only the changed rows.", (double)s.delta_loads },
        { C, "chimera_index_evictions_total",
          "Indexes dropped to stay within CHIMERA_INDEX_MEMORY.", (double)s.evictions },
    };
    samples(b, rows, sizeof rows / sizeof rows[0]);
}

/* The other bounded pools: the answer cache and the keyword indexes. */
static void cache_metrics(buf *b)
{
    size_t entries, bytes, kw_ws, kw_bytes;
    bc_usage(&entries, &bytes);
    kw_totals(&kw_ws, &kw_bytes);
    const sample rows[] = {
        { G, "chimera_body_cache_bytes",
          "Memory held by the answer cache (bodies, their gzip forms, entry overhead).",
          (double)bytes },
        { G, "chimera_body_cache_entries", "Answers in the answer cache.", (double)entries },
        { G, "chimera_body_cache_budget_bytes", "CHIMERA_BODY_CACHE: the answer cache's bound.",
          (double)cfg.body_cache },
        { G, "chimera_keyword_index_bytes", "Memory held by cached keyword indexes.",
          (double)kw_bytes },
        { G, "chimera_keyword_index_workspaces", "Workspaces whose keyword index is cached.",
          (double)kw_ws },
        { G, "chimera_keyword_index_budget_bytes",
          "CHIMERA_KEYWORD_INDEX_MEMORY: the keyword cache's bound.",
          (double)cfg.keyword_index_memory },
    };
    samples(b, rows, sizeof rows / sizeof rows[0]);
}

static void outbound_metrics(buf *b)
{
    uint64_t c[OB_TARGETS][OB_OUTCOMES];
    outbound_counts(c);
    family(b, "chimera_outbound_requests_total", "counter",
           "Outbound calls (providers, remote embeddings, URL imports), by target and outcome.");
    for (size_t t = 0; t < OB_TARGETS; t++)
        for (size_t o = 0; o < OB_OUTCOMES; o++)
            if (c[t][o])
                buf_printf(b, "chimera_outbound_requests_total{target=\"%s\",outcome=\"%s\"} "
                           "%llu\n", outbound_target_names[t], outbound_outcome_names[o],
                           (unsigned long long)c[t][o]);
    uint64_t calls, texts, errors;
    api_embed_counts(&calls, &texts, &errors);
    const sample rows[] = {
        { G, "chimera_outbound_in_flight", "Outbound calls not yet answered.",
          (double)outbound_in_flight() },
        { C, "chimera_embedder_calls_total", "Embedding requests (one or more texts each).",
          (double)calls },
        { C, "chimera_embedder_texts_total", "Texts sent to the embedder.", (double)texts },
        { C, "chimera_embedder_errors_total", "Texts the embedder returned no vector for.",
          (double)errors },
    };
    samples(b, rows, sizeof rows / sizeof rows[0]);
}

static long open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    long n = 0;
    if (!d)
        return -1;
    while (readdir(d))
        n++;
    closedir(d);
    return n - 3;                   /* ".", ".." and the directory's own */
}

static double rss_bytes(void)
{
    long pages = 0, size;
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f)
        return 0;
    if (fscanf(f, "%ld %ld", &size, &pages) != 2)
        pages = 0;
    fclose(f);
    return (double)pages * (double)sysconf(_SC_PAGESIZE);
}

static void process_metrics(buf *b)
{
    family(b, "chimera_build_info", "gauge", "The running build.");
    buf_printf(b, "chimera_build_info{version=\"%s\",engine=\"%s\"} 1\n", CHIMERA_VERSION,
               db_configured_engine() == DB_SQLITE ? "sqlite" : "postgres");
    const sample rows[] = {
        { G, "chimera_uptime_seconds", "Seconds since the server started.",
          (double)(time_now_us() - http_stats_started_us()) / 1e6 },
        { G, "chimera_process_resident_memory_bytes", "Resident set size.", rss_bytes() },
        { G, "chimera_process_open_fds", "Open file descriptors.", (double)open_fds() },
        { G, "chimera_http_requests_in_flight", "Requests being served (this one included).",
          (double)http_stats_in_flight() },
        { G, "chimera_http_connections", "Open client connections.",
          (double)http_stats_connections() },
    };
    samples(b, rows, sizeof rows / sizeof rows[0]);
    /* What the allocator holds, over every arena: handed out (the pools
     * above are part of it) and free but not returned to the system. When
     * another allocator stands in for glibc's (a preloaded jemalloc or
     * tcmalloc, AddressSanitizer), mallinfo2 reports an empty heap: a
     * figure that measures nothing is left out rather than sent as 0. */
    struct mallinfo2 mi = mallinfo2();
    if (mi.arena == 0 && mi.hblkhd == 0)
        return;
    const sample heap[] = {
        { G, "chimera_malloc_in_use_bytes",
          "Heap handed out by malloc and not yet freed (every arena, large blocks included).",
          (double)(mi.uordblks + mi.hblkhd) },
        { G, "chimera_malloc_free_bytes",
          "Heap freed but kept by malloc's arenas (reuse room and fragmentation).",
          (double)mi.fordblks },
    };
    samples(b, heap, sizeof heap / sizeof heap[0]);
}

void h_metrics(http_req *r)
{
    if (metrics_access(r) != 0)
        return;
    size_t n;
    const route *table = api_routes(&n);
    buf b = BUF_INIT(0);
    process_metrics(&b);
    http_requests(&b, table, n);
    http_durations(&b, table, n);
    db_metrics(&b);
    index_metrics(&b);
    cache_metrics(&b);
    outbound_metrics(&b);
    if (!b.p) {
        buf_free(&b);
        resp_no_memory(r);
        return;
    }
    size_t len = b.len;
    resp_raw(r, 200, buf_steal(&b), len);
    r->content_type = "text/plain; version=0.0.4; charset=utf-8";
}
