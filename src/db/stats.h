/* stats.h — the database counters behind db_stats_get() (metrics) and the
 * per-thread statement count behind db_take_count() (the debug log). db.c
 * and the engines report into them; relaxed atomics, no lock. */
#ifndef CHIMERA_DB_STATS_H
#define CHIMERA_DB_STATS_H

#include <stdint.h>

typedef enum db_stat {
    DBS_STATEMENTS, DBS_COMMITS, DBS_ROLLBACKS, DBS_TX_US, DBS_WRITER_WAIT_US,
    DBS_BATCHES, DBS_BATCHED, DBS_CONNECTS, DBS_CONNECT_US, DBS_CONNECT_FAILURES,
    DBS_COUNT
} db_stat;

void db_stat_add(db_stat which, uint64_t n);

/* Counts one executed statement (this thread's count and the total). */
void db_count_stmt(void);

#endif
