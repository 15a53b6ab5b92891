/* stats.c — see stats.h. */
#include "db/stats.h"

#include "db/db.h"

#include <sqlite3.h>
#include <stdatomic.h>

static atomic_uint_fast64_t counters[DBS_COUNT];
static _Thread_local unsigned thread_count;

void db_stat_add(db_stat which, uint64_t n)
{
    atomic_fetch_add_explicit(&counters[which], n, memory_order_relaxed);
}

void db_count_stmt(void)
{
    thread_count++;
    db_stat_add(DBS_STATEMENTS, 1);
}

unsigned db_take_count(void)
{
    unsigned n = thread_count;
    thread_count = 0;
    return n;
}

static uint64_t get(db_stat which)
{
    return atomic_load_explicit(&counters[which], memory_order_relaxed);
}

void db_stats_get(db_stats *out)
{
    out->statements = get(DBS_STATEMENTS);
    out->commits = get(DBS_COMMITS);
    out->rollbacks = get(DBS_ROLLBACKS);
    out->tx_us = get(DBS_TX_US);
    out->writer_wait_us = get(DBS_WRITER_WAIT_US);
    out->batches = get(DBS_BATCHES);
    out->batched = get(DBS_BATCHED);
    out->connects = get(DBS_CONNECTS);
    out->connect_us = get(DBS_CONNECT_US);
    out->connect_failures = get(DBS_CONNECT_FAILURES);
    out->sqlite_heap = sqlite3_memory_used();
    out->sqlite_heap_peak = sqlite3_memory_highwater(0);
}
