/* limits.h — the abuse limits of API.md D5: failed logins per email and per
 * client address, registrations per client address, and the per-user
 * request ceiling.
 *
 * On SQLite (one node) they count in this process (http/ratelimit.c). On
 * PostgreSQL they count in the database, so that N nodes give the same
 * allowance as one: failed logins and registrations with one statement per
 * counted event (store/counters.c); the per-user ceiling, which every
 * request passes, in per-node batches (api/ceiling.c). Counter ids are keyed
 * hashes (SECRET_KEY, which the nodes of a cluster share), so neither emails
 * nor addresses are stored. */
#ifndef CHIMERA_API_LIMITS_H
#define CHIMERA_API_LIMITS_H

/* Seconds until `who` may act again under `kind` ("lf-e", "lf-a", "reg")
 * if its count has reached limit, else 0. Counts nothing. */
int limit_wait(const char *kind, const char *who, int limit);

/* Counts one event of kind for who, in a window of window_s seconds that
 * starts with the first event. */
void limit_count(const char *kind, const char *who, int window_s);

/* Forgets who's count of kind (a successful login clears the email's). */
void limit_clear(const char *kind, const char *who);

/* The per-user ceiling (CHIMERA_USER_RATE_LIMIT per minute): 0 and counted
 * when user_id may make this request, else the seconds to wait. */
int limit_user_request(const char *user_id);

/* Starts / stops the background work of the cluster-wide counters (the
 * ceiling's flushes, purging expired counters); no-ops on SQLite. */
int limits_start(void);
void limits_stop(void);

#endif
