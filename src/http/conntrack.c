/* conntrack.c — see conntrack.h. One mutex guards the tables (addresses,
 * the list of connections, the counts); a connection's waiting state is one
 * atomic word, so the owning worker thread marks "headers done" and "idle"
 * without the lock, and the reaper or the admission policy claims a waiting
 * connection with a compare-and-swap: a request whose headers completed
 * first is never cut off, and one claimed first is refused by
 * ct_headers_done. */
#include "http/conntrack.h"

#include "util/fault.h"
#include "util/isotime.h"
#include "util/log.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>

#define CT_BUSY 0               /* headers arrived: no deadline */
#define CT_CLAIMED (-1)         /* being closed by the reaper or to make room */
#define CT_REAP_MS 250
#define CT_REPORT_MS 10000

typedef struct ct_addr ct_addr;

struct ct_conn {
    ct_conn *prev, *next;           /* every connection */
    ct_conn *aprev, *anext;         /* this address's */
    ct_addr *addr;
    int fd;
    _Atomic int64_t wait_since;     /* ms waiting since, CT_BUSY or CT_CLAIMED */
};

struct ct_addr {
    ip_addr ip;
    bool trusted;
    unsigned count;
    ct_conn *conns;
    ct_addr *hnext;                 /* hash chain */
    ct_addr *prev, *next;           /* every address */
};

static struct {
    pthread_mutex_t lock;
    ct_addr **table;
    size_t mask;
    uint64_t key[2];
    ct_addr *addrs;
    ct_conn *conns;
    unsigned open, max;
    int64_t timeout_ms;
    const cidr_list *trusted;
    ct_stats stats;
    bool ready;
    /* the reaper */
    pthread_t thread;
    pthread_cond_t wake;
    bool running, stop;
} ct = { .lock = PTHREAD_MUTEX_INITIALIZER };

int64_t ct_now_ms(void)
{
    return time_mono_us() / 1000 + 1;           /* never CT_BUSY */
}

static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* Seeded, so that chosen addresses cannot pile up in one chain. */
static size_t addr_hash(const ip_addr *a)
{
    uint64_t lo, hi;
    memcpy(&lo, a->b, 8);
    memcpy(&hi, a->b + 8, 8);
    return (size_t)(mix64(lo ^ ct.key[0]) ^ mix64(hi ^ ct.key[1])) & ct.mask;
}

static ct_addr *addr_find(const ip_addr *a)
{
    for (ct_addr *e = ct.table[addr_hash(a)]; e; e = e->hnext)
        if (ip_equal(&e->ip, a))
            return e;
    return NULL;
}

static ct_addr *addr_get(const ip_addr *a)
{
    ct_addr *e = addr_find(a);
    if (e)
        return e;
    if (!(e = calloc(1, sizeof *e)))
        return NULL;
    e->ip = *a;
    e->trusted = cidr_list_match(ct.trusted, a);
    size_t h = addr_hash(a);
    e->hnext = ct.table[h];
    ct.table[h] = e;
    e->next = ct.addrs;
    if (ct.addrs)
        ct.addrs->prev = e;
    ct.addrs = e;
    return e;
}

static void addr_drop(ct_addr *e)
{
    ct_addr **pp = &ct.table[addr_hash(&e->ip)];
    while (*pp != e)
        pp = &(*pp)->hnext;
    *pp = e->hnext;
    if (e->prev)
        e->prev->next = e->next;
    else
        ct.addrs = e->next;
    if (e->next)
        e->next->prev = e->prev;
    free(e);
}

/* Claims a waiting connection and shuts it down. The caller holds the
 * lock, so c (and its fd) is still libmicrohttpd's. */
static bool claim(ct_conn *c, int64_t seen)
{
    if (seen <= CT_BUSY ||
        !atomic_compare_exchange_strong(&c->wait_since, &seen, (int64_t)CT_CLAIMED))
        return false;
    shutdown(c->fd, SHUT_RDWR);
    return true;
}

/* The untrusted address holding the most connections, other than self. */
static ct_addr *biggest_holder(const ct_addr *self)
{
    ct_addr *best = NULL;
    for (ct_addr *e = ct.addrs; e; e = e->next)
        if (e != self && !e->trusted && (!best || e->count > best->count))
            best = e;
    return best;
}

/* Closes the holder's connection that has waited longest for headers. */
static bool evict_one(ct_addr *holder)
{
    ct_conn *victim = NULL;
    int64_t oldest = INT64_MAX;
    for (ct_conn *c = holder->conns; c; c = c->anext) {
        int64_t w = atomic_load(&c->wait_since);
        if (w > CT_BUSY && w < oldest)
            victim = c, oldest = w;
    }
    return victim && claim(victim, oldest);
}

static bool admit_locked(const ip_addr *peer)
{
    if (ct.open < ct.max || cidr_list_match(ct.trusted, peer))
        return true;
    ct_addr *self = addr_find(peer);
    unsigned mine = self ? self->count : 0;
    ct_addr *big = biggest_holder(self);
    /* "two fewer": after the swap the newcomer still holds no more than
     * the holder, so two addresses never take turns evicting each other */
    if (big && mine + 2 <= big->count && evict_one(big)) {
        ct.stats.evicted++;
        return true;
    }
    ct.stats.refused++;
    return false;
}

bool ct_admit(const ip_addr *peer)
{
    if (!ct.ready)
        return true;
    pthread_mutex_lock(&ct.lock);
    bool ok = admit_locked(peer);
    pthread_mutex_unlock(&ct.lock);
    return ok;
}

ct_conn *ct_open(const ip_addr *peer, int fd)
{
    if (!ct.ready)
        return NULL;
    ct_conn *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->fd = fd;
    atomic_init(&c->wait_since, ct_now_ms());
    pthread_mutex_lock(&ct.lock);
    if (!(c->addr = addr_get(peer))) {
        pthread_mutex_unlock(&ct.lock);
        free(c);
        return NULL;
    }
    c->anext = c->addr->conns;
    if (c->anext)
        c->anext->aprev = c;
    c->addr->conns = c;
    c->addr->count++;
    c->next = ct.conns;
    if (ct.conns)
        ct.conns->prev = c;
    ct.conns = c;
    ct.open++;
    pthread_mutex_unlock(&ct.lock);
    return c;
}

void ct_close(ct_conn *c)
{
    if (!c)
        return;
    pthread_mutex_lock(&ct.lock);
    ct_addr *a = c->addr;
    if (c->aprev)
        c->aprev->anext = c->anext;
    else
        a->conns = c->anext;
    if (c->anext)
        c->anext->aprev = c->aprev;
    if (c->prev)
        c->prev->next = c->next;
    else
        ct.conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    if (--a->count == 0)
        addr_drop(a);
    ct.open--;
    pthread_mutex_unlock(&ct.lock);
    free(c);
}

bool ct_headers_done(ct_conn *c)
{
    if (!c)
        return true;
    int64_t was = atomic_exchange(&c->wait_since, (int64_t)CT_BUSY);
    if (was != CT_CLAIMED)
        return true;
    atomic_store(&c->wait_since, (int64_t)CT_CLAIMED);
    return false;
}

void ct_idle(ct_conn *c)
{
    int64_t busy = CT_BUSY;
    if (c)
        atomic_compare_exchange_strong(&c->wait_since, &busy, ct_now_ms());
}

size_t ct_reap(int64_t now_ms)
{
    size_t n = 0;
    if (!ct.ready)
        return 0;
    pthread_mutex_lock(&ct.lock);
    for (ct_conn *c = ct.conns; c; c = c->next) {
        int64_t w = atomic_load(&c->wait_since);
        if (w > CT_BUSY && now_ms - w >= ct.timeout_ms && claim(c, w))
            n++;
    }
    ct.stats.late += n;
    pthread_mutex_unlock(&ct.lock);
    return n;
}

void ct_get_stats(ct_stats *out)
{
    pthread_mutex_lock(&ct.lock);
    *out = ct.stats;
    out->open = ct.open;
    pthread_mutex_unlock(&ct.lock);
}

/* One warning line per 10 s at most while connections are being closed or
 * refused, so an operator sees an attack without a line per connection. */
static void report(ct_stats *last)
{
    ct_stats now;
    ct_get_stats(&now);
    if (now.late == last->late && now.refused == last->refused && now.evicted == last->evicted)
        return;
    log_warn("http: %u connections open; in the last 10 s %llu closed for late headers "
             "(CHIMERA_HEADER_TIMEOUT), %llu refused and %llu closed to make room "
             "(CHIMERA_MAX_CONNECTIONS)", now.open,
             (unsigned long long)(now.late - last->late),
             (unsigned long long)(now.refused - last->refused),
             (unsigned long long)(now.evicted - last->evicted));
    *last = now;
}

static void *reaper_main(void *arg)
{
    fault_exempt_thread();
    (void)arg;
    ct_stats last = { 0 };
    int64_t next_report = ct_now_ms() + CT_REPORT_MS;
    pthread_mutex_lock(&ct.lock);
    while (!ct.stop) {
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_nsec += CT_REAP_MS * 1000000L;
        until.tv_sec += until.tv_nsec / 1000000000L;
        until.tv_nsec %= 1000000000L;
        pthread_cond_timedwait(&ct.wake, &ct.lock, &until);
        if (ct.stop)
            break;
        pthread_mutex_unlock(&ct.lock);
        int64_t now = ct_now_ms();
        ct_reap(now);
        if (now >= next_report) {
            report(&last);
            next_report = now + CT_REPORT_MS;
        }
        pthread_mutex_lock(&ct.lock);
    }
    pthread_mutex_unlock(&ct.lock);
    return NULL;
}

static int start_reaper(void)
{
    pthread_condattr_t attr;
    if (pthread_condattr_init(&attr) != 0)
        return -1;
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    int rc = pthread_cond_init(&ct.wake, &attr);
    pthread_condattr_destroy(&attr);
    if (rc != 0)
        return -1;
    ct.stop = false;
    if (pthread_create(&ct.thread, NULL, reaper_main, NULL) != 0) {
        pthread_cond_destroy(&ct.wake);
        return -1;
    }
    ct.running = true;
    return 0;
}

unsigned ct_hard_limit(unsigned max_conns)
{
    return max_conns + max_conns / 8 + 16;
}

int ct_init(unsigned max_conns, unsigned header_timeout_ms, const cidr_list *trusted,
            bool reaper)
{
    size_t size = 64;
    while (size < 2 * (size_t)ct_hard_limit(max_conns))
        size *= 2;
    if (!(ct.table = calloc(size, sizeof *ct.table)))
        return -1;
    if (getrandom(ct.key, sizeof ct.key, 0) != (ssize_t)sizeof ct.key)
        ct.key[0] = (uint64_t)time_mono_us(), ct.key[1] = (uint64_t)(uintptr_t)&ct;
    ct.mask = size - 1;
    ct.max = max_conns;
    ct.timeout_ms = header_timeout_ms;
    ct.trusted = trusted;
    memset(&ct.stats, 0, sizeof ct.stats);
    ct.ready = true;
    if (reaper && start_reaper() != 0) {
        ct_shutdown();
        return -1;
    }
    return 0;
}

void ct_shutdown(void)
{
    if (ct.running) {
        pthread_mutex_lock(&ct.lock);
        ct.stop = true;
        pthread_cond_signal(&ct.wake);
        pthread_mutex_unlock(&ct.lock);
        pthread_join(ct.thread, NULL);
        pthread_cond_destroy(&ct.wake);
        ct.running = false;
    }
    pthread_mutex_lock(&ct.lock);
    while (ct.conns) {                  /* none once the daemon stopped */
        ct_conn *c = ct.conns;
        ct.conns = c->next;
        free(c);
    }
    while (ct.addrs) {
        ct_addr *a = ct.addrs;
        ct.addrs = a->next;
        free(a);
    }
    free(ct.table);
    ct.table = NULL;
    ct.open = 0;
    ct.ready = false;
    pthread_mutex_unlock(&ct.lock);
}
