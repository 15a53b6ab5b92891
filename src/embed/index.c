/* index.c — see index.h. One mutex (idx_mu) guards the list of workspace
 * slots and their current snapshots; a per-slot mutex serialises refreshes
 * of one workspace (eight searches that see a new generation at once load
 * it once); loading and scanning happen outside idx_mu. Everything here is
 * owned by the cache: callers hold snapshot references only. */
#include "embed/index.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define IDX_ID_MAX 40
#define IDX_MODEL_MAX 96
#define CAND_EXTRA 32           /* candidates = 4k + 32 */
#define ROW_NONE UINT32_MAX
#define HUGE_PAGE ((size_t)2 << 20)

/* IDX_CHUNK_ROWS rows in one allocation; immutable once a published
 * snapshot points at it (a refresh copies it before writing). */
typedef struct idx_chunk {
    atomic_int refs;
    size_t n, cap, dim, bytes;  /* cap: IDX_CHUNK_ROWS, or less in a small last chunk */
    size_t bad;                 /* rows with non-finite values */
    float emax, rmax;           /* max quantisation error / norm of its rows */
    int8_t *q;                  /* int8 rows, IDX_CHUNK_ROWS × dim */
    float *f;                   /* float32 rows */
    float *scale, *err, *norm;
    uint8_t *isbad;
    int64_t *created;
    char (*ids)[IDX_ID_MAX];
} idx_chunk;

struct idx_snapshot {
    atomic_int refs;
    char wid[IDX_ID_MAX];
    char model[IDX_MODEL_MAX];
    int64_t gen;
    int64_t pending;            /* memories without a vector of the model */
    int64_t mark;               /* newest updated_at seen */
    size_t dim, n, nchunks;
    size_t bad;
    float emax, rmax;
    idx_chunk **chunks;
    uint32_t *map;              /* open addressing: id → row, ROW_NONE = empty */
    size_t mapcap;              /* a power of two > 2n */
    char (*pend)[IDX_ID_MAX];   /* ids of the pending memories ("" = empty) */
    size_t pendcap;             /* a power of two > 2·pending, or 0 */
};

typedef struct idx_slot {
    char wid[IDX_ID_MAX];
    pthread_mutex_t load_mu;
    idx_snapshot *cur;
    struct idx_slot *next;
} idx_slot;

struct idx_builder {
    idx_snapshot *s;            /* being built: private to the builder */
    uint8_t *owned;             /* chunk i allocated by this build (writable) */
    size_t owned_cap;
    int full;                   /* full load: rows arrive in order, no map yet */
    int need_full;
    int state_set;
    int64_t memory_count;
    uint64_t rows;
};

static pthread_mutex_t idx_mu = PTHREAD_MUTEX_INITIALIZER;
static idx_slot *idx_slots;     /* few workspaces per node: a list */
static atomic_llong idx_slack_us = IDX_SLACK_US_DEFAULT;
static atomic_ullong st_searches, st_exact, st_full, st_delta, st_delta_rows;

/* ---- chunks --------------------------------------------------------------- */

static size_t align64(size_t x) { return (x + 63) & ~(size_t)63; }

/* A chunk for cap rows. Full-size chunks are whole 2 MiB pages, as
 * transparent huge pages where the kernel allows (384 dimensions fill one
 * almost exactly): a full load then takes one page fault per chunk instead
 * of 512 (they dominate load time in a VM), and the scan's TLB misses go
 * too. Small workspaces get small chunks that grow by doubling. */
static idx_chunk *chunk_new(size_t dim, size_t cap)
{
    size_t R = cap, off = align64(sizeof(idx_chunk));
    size_t o_q = off, o_f = align64(o_q + R * dim);
    size_t o_sc = align64(o_f + R * dim * sizeof(float));
    size_t o_er = o_sc + R * sizeof(float), o_no = o_er + R * sizeof(float);
    size_t o_cr = align64(o_no + R * sizeof(float));
    size_t o_bad = o_cr + R * sizeof(int64_t);
    size_t o_id = align64(o_bad + R), bytes = align64(o_id + R * IDX_ID_MAX);
    int huge = cap == IDX_CHUNK_ROWS && bytes >= HUGE_PAGE / 2;
    if (huge)
        bytes = (bytes + HUGE_PAGE - 1) & ~(size_t)(HUGE_PAGE - 1);
    char *m = aligned_alloc(huge ? HUGE_PAGE : 64, bytes);
    if (!m)
        return NULL;
#ifdef MADV_HUGEPAGE
    if (huge)
        madvise(m, bytes, MADV_HUGEPAGE);   /* advice only: failure changes nothing */
#endif
    idx_chunk *c = (idx_chunk *)(void *)m;
    memset(c, 0, sizeof *c);
    atomic_init(&c->refs, 1);
    c->dim = dim;
    c->cap = cap;
    c->bytes = bytes;
    c->q = (int8_t *)(m + o_q);
    c->f = (float *)(void *)(m + o_f);
    c->scale = (float *)(void *)(m + o_sc);
    c->err = (float *)(void *)(m + o_er);
    c->norm = (float *)(void *)(m + o_no);
    c->created = (int64_t *)(void *)(m + o_cr);
    c->isbad = (uint8_t *)(m + o_bad);
    c->ids = (char (*)[IDX_ID_MAX])(void *)(m + o_id);
    return c;
}

/* A private copy of c's used rows with room for cap (>= c->n). */
static idx_chunk *chunk_copy(const idx_chunk *c, size_t cap)
{
    idx_chunk *d = chunk_new(c->dim, cap);
    if (!d)
        return NULL;
    size_t n = c->n, dim = c->dim;
    memcpy(d->q, c->q, n * dim);
    memcpy(d->f, c->f, n * dim * sizeof(float));
    memcpy(d->scale, c->scale, n * sizeof(float));
    memcpy(d->err, c->err, n * sizeof(float));
    memcpy(d->norm, c->norm, n * sizeof(float));
    memcpy(d->created, c->created, n * sizeof(int64_t));
    memcpy(d->isbad, c->isbad, n);
    memcpy(d->ids, c->ids, n * IDX_ID_MAX);
    d->n = n;
    d->bad = c->bad;
    d->emax = c->emax;
    d->rmax = c->rmax;
    return d;
}

static void chunk_release(idx_chunk *c)
{
    if (c && atomic_fetch_sub(&c->refs, 1) == 1)
        free(c);
}

/* Writes row j of c: the float vector, its int8 copy, id and created_at. */
static void chunk_put(idx_chunk *c, size_t j, const char *id, const void *vec, int64_t created)
{
    size_t dim = c->dim;
    float *f = c->f + j * dim;
    memcpy(f, vec, dim * sizeof(float));
    c->isbad[j] = vec_quantize(f, dim, c->q + j * dim, &c->scale[j], &c->err[j],
                               &c->norm[j]) != 0;
    c->created[j] = created;
    strncpy(c->ids[j], id, IDX_ID_MAX - 1);
    c->ids[j][IDX_ID_MAX - 1] = '\0';
}

static void chunk_stats(idx_chunk *c)
{
    c->bad = 0;
    c->emax = c->rmax = 0.0f;
    for (size_t j = 0; j < c->n; j++) {
        c->bad += c->isbad[j];
        c->emax = fmaxf(c->emax, c->err[j]);
        c->rmax = fmaxf(c->rmax, c->norm[j]);
    }
}

/* ---- snapshots ------------------------------------------------------------ */

static void snapshot_free(idx_snapshot *s)
{
    for (size_t i = 0; i < s->nchunks; i++)
        chunk_release(s->chunks[i]);
    free(s->chunks);
    free(s->map);
    free(s->pend);
    free(s);
}

void idx_release(idx_snapshot *s)
{
    if (s && atomic_fetch_sub(&s->refs, 1) == 1)
        snapshot_free(s);
}

static const char *row_id(const idx_snapshot *s, size_t row)
{
    return s->chunks[row / IDX_CHUNK_ROWS]->ids[row % IDX_CHUNK_ROWS];
}

static uint64_t id_hash(const char *id)
{
    uint64_t h = 0xCBF29CE484222325ull;
    for (; *id; id++)
        h = (h ^ (unsigned char)*id) * 0x100000001B3ull;
    return h ^ (h >> 29);
}

static size_t map_find(const idx_snapshot *s, const char *id, uint32_t *row)
{
    size_t mask = s->mapcap - 1, i = (size_t)id_hash(id) & mask;
    while ((*row = s->map[i]) != ROW_NONE && strcmp(row_id(s, *row), id) != 0)
        i = (i + 1) & mask;
    return i;
}

/* (Re)builds the id map for rows 0..n-1 with room for twice as many. */
static int map_rebuild(idx_snapshot *s)
{
    size_t cap = 1024;
    while (cap < 2 * (s->n + 1))
        cap *= 2;
    uint32_t *m = malloc(cap * sizeof *m);
    if (!m)
        return -1;
    memset(m, 0xFF, cap * sizeof *m);
    free(s->map);
    s->map = m;
    s->mapcap = cap;
    for (size_t r = 0; r < s->n; r++) {
        uint32_t hit;
        s->map[map_find(s, row_id(s, r), &hit)] = (uint32_t)r;
    }
    return 0;
}

/* The pending set: ids of memories without a vector, so that a delta can
 * tell a new one from one it has counted already. Never shrinks: a pending
 * memory that is deleted or gains a vector makes a full load. */
static size_t pend_find(const idx_snapshot *s, const char *id, int *found)
{
    size_t mask = s->pendcap - 1, i = (size_t)id_hash(id) & mask;
    while (s->pend[i][0] && strcmp(s->pend[i], id) != 0)
        i = (i + 1) & mask;
    *found = s->pend[i][0] != '\0';
    return i;
}

static int pend_has(const idx_snapshot *s, const char *id)
{
    int found = 0;
    if (s->pendcap)
        pend_find(s, id, &found);
    return found;
}

static int pend_add(idx_snapshot *s, const char *id)
{
    int found;
    if (!*id || strlen(id) >= IDX_ID_MAX)
        return 0;                       /* not an id this index can hold */
    if (2 * ((size_t)s->pending + 1) > s->pendcap) {
        size_t cap = s->pendcap ? 2 * s->pendcap : 16;
        char (*old)[IDX_ID_MAX] = s->pend, (*p)[IDX_ID_MAX] = calloc(cap, IDX_ID_MAX);
        size_t oldcap = s->pendcap;
        if (!p)
            return -1;
        s->pend = p;
        s->pendcap = cap;
        for (size_t i = 0; i < oldcap; i++)
            if (old[i][0])
                memcpy(s->pend[pend_find(s, old[i], &found)], old[i], IDX_ID_MAX);
        free(old);
    }
    size_t i = pend_find(s, id, &found);
    if (!found) {
        memcpy(s->pend[i], id, strlen(id) + 1);
        s->pending++;
    }
    return 0;
}

/* ---- building ------------------------------------------------------------- */

void idx_set_state(idx_builder *b, int64_t gen, int64_t memory_count)
{
    b->s->gen = gen;
    b->memory_count = memory_count;
    b->state_set = 1;
}

/* Makes chunk ci private to the build (copying a shared one). */
static idx_chunk *chunk_writable(idx_builder *b, size_t ci)
{
    idx_snapshot *s = b->s;
    if (b->owned[ci])
        return s->chunks[ci];
    idx_chunk *c = chunk_copy(s->chunks[ci], s->chunks[ci]->cap);
    if (!c)
        return NULL;
    chunk_release(s->chunks[ci]);
    s->chunks[ci] = c;
    b->owned[ci] = 1;
    return c;
}

static int chunks_grow(idx_builder *b)
{
    idx_snapshot *s = b->s;
    if (s->nchunks < b->owned_cap)
        return 0;
    size_t cap = b->owned_cap ? b->owned_cap * 2 : 16;
    idx_chunk **ch = realloc(s->chunks, cap * sizeof *ch);
    if (!ch)
        return -1;
    s->chunks = ch;
    uint8_t *own = realloc(b->owned, cap);
    if (!own)
        return -1;
    memset(own + b->owned_cap, 0, cap - b->owned_cap);
    b->owned = own;
    b->owned_cap = cap;
    return 0;
}

static int row_append(idx_builder *b, const char *id, const void *vec, int64_t created)
{
    idx_snapshot *s = b->s;
    size_t ci = s->n / IDX_CHUNK_ROWS, j = s->n % IDX_CHUNK_ROWS;
    idx_chunk *c;
    if (ci == s->nchunks) {
        if (chunks_grow(b) != 0 || !(c = chunk_new(s->dim, ci ? IDX_CHUNK_ROWS : 16)))
            return -1;
        s->chunks[s->nchunks++] = c;
        b->owned[ci] = 1;
    } else if (!(c = chunk_writable(b, ci))) {
        return -1;
    } else if (j == c->cap) {                   /* a small chunk, full: double it */
        idx_chunk *d = chunk_copy(c, 2 * c->cap < IDX_CHUNK_ROWS ? 2 * c->cap : IDX_CHUNK_ROWS);
        if (!d)
            return -1;
        chunk_release(c);
        s->chunks[ci] = c = d;
    }
    chunk_put(c, j, id, vec, created);
    c->n = j + 1;
    s->n++;
    return 0;
}

/* A delta row: replace a known row whose vector changed, append a new one
 * that sorts after every row; anything else needs a full load. */
static int delta_add(idx_builder *b, const char *id, const void *vec, int64_t created)
{
    idx_snapshot *s = b->s;
    uint32_t row;
    size_t slot = map_find(s, id, &row);
    if (row == ROW_NONE && pend_has(s, id))
        return vec ? 1 : 0;                 /* gained a vector / still pending */
    if (row != ROW_NONE) {
        if (!vec)
            return 1;                       /* lost its vector */
        size_t ci = row / IDX_CHUNK_ROWS, j = row % IDX_CHUNK_ROWS;
        if (memcmp(s->chunks[ci]->f + j * s->dim, vec, s->dim * sizeof(float)) == 0)
            return 0;                       /* seen before, or no vector change */
        idx_chunk *c = chunk_writable(b, ci);
        if (!c)
            return -1;
        chunk_put(c, j, id, vec, created);
        return 0;
    }
    if (!vec)
        return pend_add(s, id);             /* a new memory without a vector */
    if (s->n > 0) {
        const idx_chunk *last = s->chunks[(s->n - 1) / IDX_CHUNK_ROWS];
        size_t lj = (s->n - 1) % IDX_CHUNK_ROWS;
        if (created < last->created[lj] ||
            (created == last->created[lj] && strcmp(id, last->ids[lj]) <= 0))
            return 1;                       /* would break the row order */
    }
    if (row_append(b, id, vec, created) != 0)
        return -1;
    if (2 * (s->n + 1) > s->mapcap)
        return map_rebuild(s);
    s->map[slot] = (uint32_t)(s->n - 1);
    return 0;
}

int idx_add(idx_builder *b, const char *id, const void *vec, int64_t created_at,
            int64_t updated_at)
{
    b->rows++;
    if (updated_at > b->s->mark)
        b->s->mark = updated_at;
    if (b->full)
        return vec ? row_append(b, id, vec, created_at) : pend_add(b->s, id);
    int rc = delta_add(b, id, vec, created_at);
    if (rc > 0)
        b->need_full = 1;
    return rc;
}

/* A new snapshot to build: empty, or sharing base's chunks and map. */
static idx_snapshot *snapshot_begin(idx_builder *b, const idx_snapshot *base, const char *wid,
                                    const char *model, size_t dim)
{
    idx_snapshot *s = calloc(1, sizeof *s);
    memset(b, 0, sizeof *b);
    if (!s)
        return NULL;
    atomic_init(&s->refs, 1);
    memcpy(s->wid, wid, strlen(wid) + 1);
    memcpy(s->model, model, strlen(model) + 1);
    s->dim = dim;
    s->mark = INT64_MIN;
    b->s = s;
    b->full = !base;
    if (!base)
        return s;
    s->mark = base->mark;
    s->pending = base->pending;
    s->n = base->n;
    b->owned_cap = base->nchunks + 16;
    s->chunks = malloc(b->owned_cap * sizeof *s->chunks);
    b->owned = calloc(b->owned_cap, 1);
    s->map = malloc(base->mapcap * sizeof *s->map);
    s->pend = base->pendcap ? malloc(base->pendcap * IDX_ID_MAX) : NULL;
    if (!s->chunks || !b->owned || !s->map || (base->pendcap && !s->pend)) {
        free(s->chunks);
        free(s->map);
        free(s->pend);
        free(b->owned);
        free(s);
        return NULL;
    }
    for (size_t i = 0; i < base->nchunks; i++) {
        atomic_fetch_add(&base->chunks[i]->refs, 1);
        s->chunks[i] = base->chunks[i];
    }
    s->nchunks = base->nchunks;
    memcpy(s->map, base->map, base->mapcap * sizeof *s->map);
    s->mapcap = base->mapcap;
    if (base->pendcap)
        memcpy(s->pend, base->pend, base->pendcap * IDX_ID_MAX);
    s->pendcap = base->pendcap;
    return s;
}

/* Chunk statistics, the id map of a full load, and the count check. */
static int snapshot_finish(idx_builder *b)
{
    idx_snapshot *s = b->s;
    s->bad = 0;
    s->emax = s->rmax = 0.0f;
    for (size_t i = 0; i < s->nchunks; i++) {
        if (b->owned[i])
            chunk_stats(s->chunks[i]);
        s->bad += s->chunks[i]->bad;
        s->emax = fmaxf(s->emax, s->chunks[i]->emax);
        s->rmax = fmaxf(s->rmax, s->chunks[i]->rmax);
    }
    if (b->full && map_rebuild(s) != 0)
        return -1;
    /* Every memory is a row or pending: the count adds up unless one was
     * deleted (or, in a delta, written too long before its commit). A full
     * load read in one statement always adds up; if the counter disagrees
     * anyway, trust the rows. */
    if ((int64_t)s->n + s->pending != b->memory_count && !b->full)
        b->need_full = 1;
    return 0;
}

/* Loads a snapshot: a delta on base when given, else in full. Returns
 * NULL on failure, setting *again when a delta could not be applied. */
static idx_snapshot *snapshot_load(const idx_snapshot *base, const char *wid, const char *model,
                                   size_t dim, idx_loader load, void *ctx, int *again)
{
    idx_builder b;
    idx_snapshot *s = snapshot_begin(&b, base, wid, model, dim);
    *again = 0;
    if (!s)
        return NULL;
    int64_t since = -1, slack = atomic_load(&idx_slack_us);
    if (base)
        since = base->mark < slack ? 0 : base->mark - slack;
    int rc = load(ctx, &b, since);
    if (rc == 0 && !b.need_full && b.state_set)
        rc = snapshot_finish(&b);
    else if (rc == 0)
        rc = -1;
    if (rc != 0 || b.need_full) {
        *again = b.need_full;
        free(b.owned);
        snapshot_free(s);
        return NULL;
    }
    atomic_fetch_add(base ? &st_delta : &st_full, 1);
    if (base)
        atomic_fetch_add(&st_delta_rows, b.rows);
    free(b.owned);
    return s;
}

/* ---- the cache ------------------------------------------------------------ */

static idx_slot *slot_get(const char *wid)
{
    idx_slot *sl;
    pthread_mutex_lock(&idx_mu);
    for (sl = idx_slots; sl && strcmp(sl->wid, wid) != 0; sl = sl->next)
        ;
    if (!sl && (sl = calloc(1, sizeof *sl))) {
        memcpy(sl->wid, wid, strlen(wid) + 1);
        pthread_mutex_init(&sl->load_mu, NULL);
        sl->next = idx_slots;
        idx_slots = sl;
    }
    pthread_mutex_unlock(&idx_mu);
    return sl;
}

static int same_shape(const idx_snapshot *s, const char *model, size_t dim)
{
    return s->dim == dim && strcmp(s->model, model) == 0;
}

/* The slot's snapshot with a reference, or NULL; fresh = at gen or newer. */
static idx_snapshot *slot_current(idx_slot *sl, int64_t gen, const char *model, size_t dim,
                                  int fresh)
{
    idx_snapshot *s;
    pthread_mutex_lock(&idx_mu);
    s = sl->cur;
    if (s && fresh && (!same_shape(s, model, dim) || s->gen < gen))
        s = NULL;
    if (s)
        atomic_fetch_add(&s->refs, 1);
    pthread_mutex_unlock(&idx_mu);
    return s;
}

/* Makes s the slot's snapshot unless a newer one is there already. */
static void publish(idx_slot *sl, idx_snapshot *s)
{
    idx_snapshot *old;
    pthread_mutex_lock(&idx_mu);
    old = sl->cur;
    if (old && same_shape(old, s->model, s->dim) && old->gen > s->gen) {
        pthread_mutex_unlock(&idx_mu);
        return;
    }
    atomic_fetch_add(&s->refs, 1);
    sl->cur = s;
    pthread_mutex_unlock(&idx_mu);
    idx_release(old);
}

idx_snapshot *idx_acquire(const char *wid, int64_t gen, const char *model, size_t dim,
                          idx_loader load, void *ctx)
{
    if (strlen(wid) >= IDX_ID_MAX || strlen(model) >= IDX_MODEL_MAX || dim == 0)
        return NULL;
    idx_slot *sl = slot_get(wid);
    if (!sl)
        return NULL;
    idx_snapshot *s = slot_current(sl, gen, model, dim, 1);
    if (s)
        return s;
    pthread_mutex_lock(&sl->load_mu);
    s = slot_current(sl, gen, model, dim, 1);       /* refreshed while we waited? */
    if (!s) {
        idx_snapshot *base = slot_current(sl, gen, model, dim, 0);
        int again = 0;
        if (base && same_shape(base, model, dim))
            s = snapshot_load(base, wid, model, dim, load, ctx, &again);
        if (!s && (again || !base || !same_shape(base, model, dim)))
            s = snapshot_load(NULL, wid, model, dim, load, ctx, &again);
        idx_release(base);
        if (s)
            publish(sl, s);
    }
    pthread_mutex_unlock(&sl->load_mu);
    return s;
}

/* ---- searching ------------------------------------------------------------ */

static const float *row_vec(const idx_snapshot *s, uint32_t row)
{
    return s->chunks[row / IDX_CHUNK_ROWS]->f + (size_t)(row % IDX_CHUNK_ROWS) * s->dim;
}

/* vec_topk over every float row. */
static size_t exact_scan(const idx_snapshot *s, const float *q, size_t k, vec_hit *out)
{
    size_t m = 0;
    atomic_fetch_add(&st_exact, 1);
    for (size_t ci = 0; ci < s->nchunks; ci++) {
        const idx_chunk *c = s->chunks[ci];
        uint32_t base = (uint32_t)(ci * IDX_CHUNK_ROWS);
        for (size_t j = 0; j < c->n; j++)
            vec_heap_offer(out, &m, k, (vec_hit){vec_dot(q, c->f + j * s->dim, s->dim),
                                                 base + (uint32_t)j});
    }
    vec_heap_sort(out, m);
    return m;
}

/* First pass: the ncand best rows by their int8 score into cand (a heap,
 * worst at cand[0]). */
static void approx_scan(const idx_snapshot *s, const int16_t *q16, int32_t *dots,
                        vec_hit *cand, size_t ncand)
{
    size_t m = 0;
    for (size_t ci = 0; ci < s->nchunks; ci++) {
        const idx_chunk *c = s->chunks[ci];
        uint32_t base = (uint32_t)(ci * IDX_CHUNK_ROWS);
        vec_dots_i8(q16, c->q, c->n, s->dim, dots);
        for (size_t j = 0; j < c->n; j++) {
            float h = (float)dots[j] * c->scale[j];
            if (m < ncand || h > cand[0].score)     /* cheap reject of most rows */
                vec_heap_offer(cand, &m, ncand, (vec_hit){h, base + (uint32_t)j});
        }
    }
}

/* The candidates' exact scores; top k of them into out. Returns the count. */
static size_t rescore(const idx_snapshot *s, const float *q, const vec_hit *cand, size_t ncand,
                      size_t k, vec_hit *out)
{
    size_t m = 0;
    for (size_t i = 0; i < ncand; i++)
        vec_heap_offer(out, &m, k, (vec_hit){vec_dot(q, row_vec(s, cand[i].row), s->dim),
                                             cand[i].row});
    vec_heap_sort(out, m);
    return m;
}

size_t idx_search(const idx_snapshot *s, const float *q, size_t k, vec_hit *out)
{
    atomic_fetch_add(&st_searches, 1);
    if (k == 0 || s->n == 0)
        return 0;
    /* Rows with non-finite values have no int8 bound; few rows are
     * cheaper to score exactly than to scan twice. */
    if (s->bad || k >= s->n || 4 * k + CAND_EXTRA >= s->n)
        return exact_scan(s, q, k, out);
    size_t ncand = 4 * k + CAND_EXTRA;
    int16_t *q16 = malloc(s->dim * sizeof *q16);
    int32_t *dots = malloc(IDX_CHUNK_ROWS * sizeof *dots);
    vec_hit *cand = malloc(ncand * sizeof *cand);
    vec_query8 qq;
    size_t m;
    if (!q16 || !dots || !cand || vec_quantize_query(q, s->dim, q16, &qq) != 0) {
        m = exact_scan(s, q, k, out);
        goto out;
    }
    approx_scan(s, q16, dots, cand, ncand);
    m = rescore(s, q, cand, ncand, k, out);
    /* Every row outside cand has h <= cand[0].score, so its exact score is
     * at most t + E: if the k-th exact score beats that, nothing outside
     * could reach or tie it and out is exact. Otherwise (near-ties at the
     * k-th place, a zero query) scan the float rows. */
    double t = (double)cand[0].score * qq.scale;
    double e = vec_quant_bound(&qq, s->dim, s->emax, s->rmax);
    if (!((double)out[m - 1].score > t + e))
        m = exact_scan(s, q, k, out);
out:
    free(q16);
    free(dots);
    free(cand);
    return m;
}

const char *idx_id(const idx_snapshot *s, uint32_t row) { return row < s->n ? row_id(s, row) : ""; }
size_t idx_count(const idx_snapshot *s) { return s->n; }
int64_t idx_pending(const idx_snapshot *s) { return s->pending; }
int64_t idx_generation(const idx_snapshot *s) { return s->gen; }

size_t idx_bytes(const idx_snapshot *s)
{
    size_t bytes = sizeof *s + s->nchunks * sizeof *s->chunks + s->mapcap * sizeof *s->map +
                   s->pendcap * IDX_ID_MAX;
    for (size_t i = 0; i < s->nchunks; i++)
        bytes += s->chunks[i]->bytes;
    return bytes;
}

void idx_drop(const char *wid)
{
    idx_snapshot *dropped[64];
    size_t nd = 0;
    int more = 1;
    while (more) {                  /* release outside the lock, 64 at a time */
        more = 0;
        pthread_mutex_lock(&idx_mu);
        for (idx_slot *sl = idx_slots; sl; sl = sl->next) {
            if (!sl->cur || (wid && strcmp(sl->wid, wid) != 0))
                continue;
            if (nd == 64) {
                more = 1;
                break;
            }
            dropped[nd++] = sl->cur;
            sl->cur = NULL;
        }
        pthread_mutex_unlock(&idx_mu);
        while (nd)
            idx_release(dropped[--nd]);
    }
}

void idx_totals(size_t *workspaces, size_t *vectors, size_t *bytes)
{
    *workspaces = *vectors = *bytes = 0;
    pthread_mutex_lock(&idx_mu);
    for (idx_slot *sl = idx_slots; sl; sl = sl->next) {
        if (!sl->cur)
            continue;
        (*workspaces)++;
        *vectors += sl->cur->n;
        *bytes += idx_bytes(sl->cur);
    }
    pthread_mutex_unlock(&idx_mu);
}

void idx_stats_get(idx_stats *out)
{
    out->searches = atomic_load(&st_searches);
    out->exact_scans = atomic_load(&st_exact);
    out->full_loads = atomic_load(&st_full);
    out->delta_loads = atomic_load(&st_delta);
    out->delta_rows = atomic_load(&st_delta_rows);
}

void idx_set_slack_us(int64_t us)
{
    atomic_store(&idx_slack_us, us < 0 ? 0 : us);
}
