/* ceiling.h — the per-user request ceiling shared by the nodes of a cluster
 * (PostgreSQL). Counting every request in the database would add a round
 * trip to every request, so each node counts locally and a background
 * thread adds its counts to the database every CEIL_FLUSH_MS, learning the
 * other nodes' counts in the same statement.
 *
 * Windows are aligned on the clock (minute k of the epoch), so all nodes
 * agree on them without talking. A node admits a request while
 * (others' count as last learned) + (its own count) < limit. Overshoot
 * bound: the cluster admits at most the limit plus what the other nodes
 * admitted for that user during the last flush interval and the flush
 * itself (their counts not yet flushed, or flushed after this node last
 * learned): about 2 x CEIL_FLUSH_MS of the user's traffic on the other
 * nodes, nothing on a single node. */
#ifndef CHIMERA_API_CEILING_H
#define CHIMERA_API_CEILING_H

#include <stddef.h>
#include <stdint.h>

#define CEIL_FLUSH_MS 200

/* 0 and counted when allowed, else seconds until the window ends;
 * CEIL_UNKNOWN (nothing counted) when user_id has made no request on this
 * node in this window: the caller reads the cluster's count, passes it to
 * ceiling_seed() and asks again, so a user moving to another node does not
 * find a fresh allowance there. */
#define CEIL_UNKNOWN (-1)
int ceiling_hit(const char *user_id, int limit, int64_t now_us);
void ceiling_seed(const char *user_id, int64_t cluster_count, int64_t now_us);

/* The minute of the epoch now_us falls in (the counters' window). */
int64_t ceiling_window(int64_t now_us);

/* Adds each user's unflushed count to its database counter (id made by
 * key_fn) and learns the cluster's totals. Returns rows flushed, -1 on a
 * database error (those counts are sent again next time). */
typedef void (*ceiling_key_fn)(const char *user_id, int64_t window, char *out, size_t outsz);
int ceiling_flush(ceiling_key_fn key_fn, int64_t now_us);

/* Forgets everything (tests). */
void ceiling_reset(void);

#endif
