/* index.c — snapshots, their refreshes and the bounded cache; see index.h
 * (index_search.c scans them). One mutex (idx_mu) guards the list of
 * workspace slots, their current snapshots and the byte total; a per-slot
 * mutex serialises refreshes of one workspace (eight searches that see a
 * new generation at once load it once); loading and scanning happen
 * outside idx_mu. Everything here is owned by the cache: callers hold
 * snapshot references only. */
#include "embed/index_int.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#define MMAP_MIN ((size_t)64 << 10)     /* chunks this big are mmap'd */
#define HUGE_PAGE ((size_t)2 << 20)
#define DROP_BATCH 64

typedef struct idx_slot {
    char wid[IDX_WID_MAX];
    pthread_mutex_t load_mu;
    idx_snapshot *cur;
    uint64_t used;              /* idx_clock at the last search */
    int users;                  /* idx_acquire calls holding the slot */
    struct idx_slot *next;
} idx_slot;

struct idx_builder {
    idx_snapshot *s;            /* being built: private to the builder */
    uint8_t *owned;             /* chunk i allocated by this build (writable) */
    size_t owned_cap;
    float *tmp;                 /* an aligned copy of the vector being added */
    int full;                   /* full load: every row is new */
    int need_full;
    int state_set;
    int64_t since, memory_count;
    uint64_t rows;
};

static pthread_mutex_t idx_mu = PTHREAD_MUTEX_INITIALIZER;
static idx_slot *idx_slots;     /* a list: nodes cache few workspaces */
static size_t idx_budget = (size_t)1 << 30;
static size_t idx_cached;       /* bytes of the slots' current snapshots */
static size_t idx_ncached;
static uint64_t idx_clock;
static atomic_ullong st_searches, st_cand, st_stale, st_hits, st_full, st_delta, st_delta_rows,
                     st_evict;

/* ---- chunks --------------------------------------------------------------- */

static size_t align64(size_t x) { return (x + 63) & ~(size_t)63; }

/* bytes of fresh memory, mmap'd at a multiple of align (a power of two). */
static void *map_aligned(size_t bytes, size_t align)
{
    size_t len = bytes + (align > 4096 ? align : 0);
    char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    char *a = (char *)(((uintptr_t)p + align - 1) & ~(uintptr_t)(align - 1));
    if (a > p)
        munmap(p, (size_t)(a - p));
    if (p + len > a + bytes)
        munmap(a + bytes, (size_t)(p + len - (a + bytes)));
    return a;
}

/* A chunk for cap rows. Big ones are mmap'd, so that a snapshot dropped
 * from the cache gives its memory back to the system at once (malloc would
 * keep freed blocks of this size for reuse); full ones are whole 2 MiB
 * pages, transparent huge pages where the kernel allows: the scan then
 * misses the TLB once per chunk, and a full load faults once per chunk
 * instead of 512 times. Small workspaces get small chunks that grow by
 * doubling. */
static idx_chunk *chunk_new(size_t dim, size_t cap)
{
    size_t off = align64(sizeof(idx_chunk));
    size_t o_q = off, o_sc = align64(o_q + cap * dim);
    size_t o_er = o_sc + cap * sizeof(float), o_no = o_er + cap * sizeof(float);
    size_t o_id = align64(o_no + cap * sizeof(float)), bytes = align64(o_id + cap * IDX_ID_MAX);
    int huge = bytes >= HUGE_PAGE / 2, mapped = bytes >= MMAP_MIN;
    size_t page = huge ? HUGE_PAGE : 4096;
    if (mapped)
        bytes = (bytes + page - 1) & ~(page - 1);
    char *m = mapped ? map_aligned(bytes, page) : aligned_alloc(64, bytes);
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
    c->mapped = mapped;
    c->q = (int8_t *)(m + o_q);
    c->scale = (float *)(void *)(m + o_sc);
    c->err = (float *)(void *)(m + o_er);
    c->norm = (float *)(void *)(m + o_no);
    c->ids = (char (*)[IDX_ID_MAX])(void *)(m + o_id);
    return c;
}

static void chunk_release(idx_chunk *c)
{
    if (!c || atomic_fetch_sub(&c->refs, 1) != 1)
        return;
    if (c->mapped)
        munmap(c, c->bytes);
    else
        free(c);
}

/* Copies row j of c into row i of d. */
static void row_copy(idx_chunk *d, size_t i, const idx_chunk *c, size_t j)
{
    memcpy(d->q + i * d->dim, c->q + j * c->dim, c->dim);
    d->scale[i] = c->scale[j];
    d->err[i] = c->err[j];
    d->norm[i] = c->norm[j];
    memcpy(d->ids[i], c->ids[j], IDX_ID_MAX);
}

/* A private copy of c's used rows with room for cap (>= c->n). */
static idx_chunk *chunk_copy(const idx_chunk *c, size_t cap)
{
    idx_chunk *d = chunk_new(c->dim, cap);
    if (!d)
        return NULL;
    size_t n = c->n;
    memcpy(d->q, c->q, n * c->dim);
    memcpy(d->scale, c->scale, n * sizeof(float));
    memcpy(d->err, c->err, n * sizeof(float));
    memcpy(d->norm, c->norm, n * sizeof(float));
    memcpy(d->ids, c->ids, n * IDX_ID_MAX);
    d->n = n;
    return d;
}

/* Writes row j of c: the int8 copy of vec (dim floats, aligned) and id. */
static void chunk_put(idx_chunk *c, size_t j, const char *id, const float *vec)
{
    if (vec_quantize(vec, c->dim, c->q + j * c->dim, &c->scale[j], &c->err[j],
                     &c->norm[j]) != 0)
        c->err[j] = INFINITY;
    if (id) {
        memset(c->ids[j], 0, IDX_ID_MAX);
        memcpy(c->ids[j], id, strlen(id));
    }
}

static void chunk_stats(idx_chunk *c)
{
    c->bad = 0;
    c->emax = c->rmax = 0.0f;
    for (size_t j = 0; j < c->n; j++) {
        if (!isfinite(c->err[j])) {
            c->bad++;
            continue;
        }
        c->emax = fmaxf(c->emax, c->err[j]);
        c->rmax = fmaxf(c->rmax, c->norm[j]);
    }
}

/* ---- id maps -------------------------------------------------------------- */

typedef const char *(*key_fn)(const idx_snapshot *s, uint32_t i);

static const char *row_key(const idx_snapshot *s, uint32_t i) { return idx_row_id(s, i); }
static const char *pend_key(const idx_snapshot *s, uint32_t i) { return s->pend[i]; }

static uint64_t id_hash(const char *id)
{
    uint64_t h = 0xCBF29CE484222325ull;
    for (; *id; id++)
        h = (h ^ (unsigned char)*id) * 0x100000001B3ull;
    return h ^ (h >> 29);
}

/* The slot holding id, or the empty slot where it would go; *v = its value
 * or ROW_NONE. m->cap must be > 0. */
static size_t map_find(const idx_map *m, const idx_snapshot *s, key_fn key, const char *id,
                       uint32_t *v)
{
    size_t mask = m->cap - 1, i = (size_t)id_hash(id) & mask;
    while ((*v = m->slot[i]) != ROW_NONE && strcmp(key(s, *v), id) != 0)
        i = (i + 1) & mask;
    return i;
}

static uint32_t map_get(const idx_map *m, const idx_snapshot *s, key_fn key, const char *id)
{
    uint32_t v = ROW_NONE;
    if (m->cap)
        map_find(m, s, key, id, &v);
    return v;
}

/* (Re)builds m over entries 0..n-1 with room for twice as many. */
static int map_rebuild(idx_map *m, const idx_snapshot *s, key_fn key, size_t n)
{
    size_t cap = 16;
    while (cap < 2 * (n + 1))
        cap *= 2;
    uint32_t *slot = malloc(cap * sizeof *slot), v;
    if (!slot)
        return -1;
    memset(slot, 0xFF, cap * sizeof *slot);
    free(m->slot);
    m->slot = slot;
    m->cap = cap;
    for (size_t i = 0; i < n; i++)
        m->slot[map_find(m, s, key, key(s, (uint32_t)i), &v)] = (uint32_t)i;
    return 0;
}

/* Entry n-1 was just appended: maps it, growing the map when needed. */
static int map_add_last(idx_map *m, const idx_snapshot *s, key_fn key, size_t n)
{
    uint32_t v;
    if (2 * (n + 1) > m->cap)
        return map_rebuild(m, s, key, n);
    m->slot[map_find(m, s, key, key(s, (uint32_t)(n - 1)), &v)] = (uint32_t)(n - 1);
    return 0;
}

/* Empties slot i, moving later entries of its probe run back (linear
 * probing needs no deletion markers then). */
static void map_del(idx_map *m, const idx_snapshot *s, key_fn key, size_t i)
{
    size_t mask = m->cap - 1, j = i;
    m->slot[i] = ROW_NONE;
    for (;;) {
        j = (j + 1) & mask;
        uint32_t v = m->slot[j];
        if (v == ROW_NONE)
            return;
        size_t h = (size_t)id_hash(key(s, v)) & mask;
        /* v may fill the hole unless its home lies cyclically in (i, j] */
        int home_between = i <= j ? (h > i && h <= j) : (h > i || h <= j);
        if (!home_between) {
            m->slot[i] = v;
            m->slot[j] = ROW_NONE;
            i = j;
        }
    }
}

/* Entry `from` moved to index `to`: its slot follows. */
static void map_move(idx_map *m, const idx_snapshot *s, key_fn key, const char *id,
                     uint32_t to)
{
    uint32_t v;
    m->slot[map_find(m, s, key, id, &v)] = to;
}

uint32_t idx_row_of(const idx_snapshot *s, const char *id)
{
    return map_get(&s->map, s, row_key, id);
}

/* ---- the pending set: memories without a vector of the model ------------- */

static int pend_add(idx_snapshot *s, const char *id)
{
    if (strlen(id) >= IDX_ID_MAX) {     /* not an id this index can hold: */
        s->pending++;                   /* counted, and a delta will not add up */
        return 0;
    }
    if (map_get(&s->pmap, s, pend_key, id) != ROW_NONE)
        return 0;
    if (s->npend == s->pendcap) {
        size_t cap = s->pendcap ? 2 * s->pendcap : 16;
        char (*p)[IDX_ID_MAX] = realloc(s->pend, cap * IDX_ID_MAX);
        if (!p)
            return -1;
        s->pend = p;
        s->pendcap = cap;
    }
    memset(s->pend[s->npend], 0, IDX_ID_MAX);
    memcpy(s->pend[s->npend], id, strlen(id));
    s->npend++;
    s->pending++;
    return map_add_last(&s->pmap, s, pend_key, s->npend);
}

/* Removes id from the pending set; 1 if it was there. */
static int pend_del(idx_snapshot *s, const char *id)
{
    uint32_t v;
    if (!s->pmap.cap)
        return 0;
    size_t slot = map_find(&s->pmap, s, pend_key, id, &v);
    if (v == ROW_NONE)
        return 0;
    map_del(&s->pmap, s, pend_key, slot);
    size_t last = s->npend - 1;
    if (v != last) {
        memcpy(s->pend[v], s->pend[last], IDX_ID_MAX);
        map_move(&s->pmap, s, pend_key, s->pend[v], v);
    }
    s->npend--;
    s->pending--;
    return 1;
}

/* ---- snapshots ------------------------------------------------------------ */

static void snapshot_free(idx_snapshot *s)
{
    for (size_t i = 0; i < s->nchunks; i++)
        chunk_release(s->chunks[i]);
    free(s->chunks);
    free(s->map.slot);
    free(s->pmap.slot);
    free(s->pend);
    free(s);
}

void idx_release(idx_snapshot *s)
{
    if (s && atomic_fetch_sub(&s->refs, 1) == 1)
        snapshot_free(s);
}

static size_t snapshot_bytes(const idx_snapshot *s)
{
    size_t bytes = sizeof *s + s->nchunks * sizeof *s->chunks +
                   (s->map.cap + s->pmap.cap) * sizeof(uint32_t) + s->pendcap * IDX_ID_MAX;
    for (size_t i = 0; i < s->nchunks; i++)
        bytes += s->chunks[i]->bytes;
    return bytes;
}

/* ---- building ------------------------------------------------------------- */

void idx_set_state(idx_builder *b, int64_t gen, int64_t memory_count, int64_t floor)
{
    b->s->gen = gen;
    b->memory_count = memory_count;
    b->state_set = 1;
    if (!b->full && floor > b->since)
        b->need_full = 1;       /* tombstones we need were pruned */
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

/* The rows a new chunk starts with: a full load knows how many will come
 * (the memory counter); a delta starts small and doubles. */
static size_t first_cap(const idx_builder *b)
{
    int64_t left = b->memory_count - (int64_t)b->s->n;
    size_t cap = 16;
    while (b->full && (int64_t)cap < left && cap < IDX_CHUNK_ROWS)
        cap *= 2;
    return cap < IDX_CHUNK_ROWS ? cap : IDX_CHUNK_ROWS;
}

/* The chunk row n goes into, writable and with room for it. */
static idx_chunk *chunk_for_append(idx_builder *b)
{
    idx_snapshot *s = b->s;
    size_t ci = s->n / IDX_CHUNK_ROWS, j = s->n % IDX_CHUNK_ROWS;
    idx_chunk *c;
    if (ci == s->nchunks) {
        if (chunks_grow(b) != 0 || !(c = chunk_new(s->dim, first_cap(b))))
            return NULL;
        s->chunks[s->nchunks++] = c;
        b->owned[ci] = 1;
        return c;
    }
    if (!(c = chunk_writable(b, ci)) || j < c->cap)
        return c;
    idx_chunk *d = chunk_copy(c, 2 * c->cap < IDX_CHUNK_ROWS ? 2 * c->cap : IDX_CHUNK_ROWS);
    if (!d)
        return NULL;
    chunk_release(c);
    s->chunks[ci] = d;
    return d;
}

static int row_append(idx_builder *b, const char *id, const float *vec)
{
    idx_snapshot *s = b->s;
    idx_chunk *c = chunk_for_append(b);
    if (!c)
        return -1;
    size_t j = s->n % IDX_CHUNK_ROWS;
    chunk_put(c, j, id, vec);
    c->n = j + 1;
    s->n++;
    return b->full ? 0 : map_add_last(&s->map, s, row_key, s->n);
}

/* Swap-remove: the last row moves into row's place. */
static int row_remove(idx_builder *b, size_t slot, uint32_t row)
{
    idx_snapshot *s = b->s;
    size_t last = s->n - 1, lc = last / IDX_CHUNK_ROWS;
    idx_chunk *dst = chunk_writable(b, row / IDX_CHUNK_ROWS), *src = chunk_writable(b, lc);
    if (!dst || !src)
        return -1;
    map_del(&s->map, s, row_key, slot);
    if (row != last) {
        row_copy(dst, row % IDX_CHUNK_ROWS, src, last % IDX_CHUNK_ROWS);
        map_move(&s->map, s, row_key, dst->ids[row % IDX_CHUNK_ROWS], row);
    }
    src->n--;
    s->n--;
    if (src->n == 0) {                  /* the last chunk emptied */
        chunk_release(src);
        s->nchunks--;
        b->owned[lc] = 0;
    }
    return 0;
}

/* A delta row: replace a known row, append a new one, move a memory
 * between the rows and the pending set. */
static int delta_add(idx_builder *b, const char *id, const float *vec)
{
    idx_snapshot *s = b->s;
    uint32_t row;
    size_t slot = map_find(&s->map, s, row_key, id, &row);
    if (row == ROW_NONE) {
        if (!vec)
            return pend_add(s, id);
        pend_del(s, id);                        /* gained a vector */
        return row_append(b, id, vec);
    }
    if (!vec) {                                 /* lost its vector */
        if (row_remove(b, slot, row) != 0)
            return -1;
        return pend_add(s, id);
    }
    idx_chunk *c = chunk_writable(b, row / IDX_CHUNK_ROWS);
    if (!c)
        return -1;
    chunk_put(c, row % IDX_CHUNK_ROWS, NULL, vec);
    return 0;
}

int idx_add(idx_builder *b, const char *id, const void *vec)
{
    const float *v = NULL;
    b->rows++;
    if (vec) {
        memcpy(b->tmp, vec, b->s->dim * sizeof(float));
        v = b->tmp;
    }
    if (strlen(id) >= IDX_ID_MAX)
        return pend_add(b->s, id);
    if (b->full)
        return v ? row_append(b, id, v) : pend_add(b->s, id);
    return delta_add(b, id, v);
}

int idx_remove(idx_builder *b, const char *id)
{
    idx_snapshot *s = b->s;
    uint32_t row;
    b->rows++;
    if (b->full || !s->map.cap)
        return 0;
    size_t slot = map_find(&s->map, s, row_key, id, &row);
    if (row != ROW_NONE)
        return row_remove(b, slot, row);
    pend_del(s, id);
    return 0;
}

static void builder_free(idx_builder *b)
{
    free(b->owned);
    free(b->tmp);
}

/* A copy of n entries of size sz, or NULL (also when n is 0). */
static void *dup_array(const void *src, size_t n, size_t sz)
{
    void *p = n ? malloc(n * sz) : NULL;
    if (p)
        memcpy(p, src, n * sz);
    return p;
}

/* The new snapshot shares base's chunks and copies its maps. */
static int snapshot_fork(idx_builder *b, const idx_snapshot *base)
{
    idx_snapshot *s = b->s;
    s->pending = base->pending;
    s->n = base->n;
    s->npend = s->pendcap = base->npend;
    b->owned_cap = base->nchunks + 16;
    s->chunks = malloc(b->owned_cap * sizeof *s->chunks);
    b->owned = calloc(b->owned_cap, 1);
    s->map.slot = dup_array(base->map.slot, base->map.cap, sizeof(uint32_t));
    s->pmap.slot = dup_array(base->pmap.slot, base->pmap.cap, sizeof(uint32_t));
    s->pend = dup_array(base->pend, base->npend, IDX_ID_MAX);
    if (!s->chunks || !b->owned || (base->map.cap && !s->map.slot) ||
        (base->pmap.cap && !s->pmap.slot) || (base->npend && !s->pend))
        return -1;
    s->map.cap = base->map.cap;
    s->pmap.cap = base->pmap.cap;
    for (size_t i = 0; i < base->nchunks; i++) {
        atomic_fetch_add(&base->chunks[i]->refs, 1);
        s->chunks[i] = base->chunks[i];
    }
    s->nchunks = base->nchunks;
    return 0;
}

/* A new snapshot to build: empty, or sharing base's chunks and maps. */
static idx_snapshot *snapshot_begin(idx_builder *b, const idx_snapshot *base, const char *wid,
                                    const char *model, size_t dim)
{
    idx_snapshot *s = calloc(1, sizeof *s);
    memset(b, 0, sizeof *b);
    b->tmp = malloc(dim * sizeof(float));
    if (!s || !b->tmp) {
        free(s);
        free(b->tmp);
        return NULL;
    }
    atomic_init(&s->refs, 1);
    memcpy(s->wid, wid, strlen(wid) + 1);
    memcpy(s->model, model, strlen(model) + 1);
    s->dim = dim;
    b->s = s;
    b->full = !base;
    b->since = base ? base->gen : -1;
    if (base && snapshot_fork(b, base) != 0) {
        builder_free(b);
        snapshot_free(s);
        return NULL;
    }
    return s;
}

/* Chunk statistics, the id map of a full load, and the count check. */
static int snapshot_finish(idx_builder *b)
{
    idx_snapshot *s = b->s;
    for (size_t i = 0; i < s->nchunks; i++)
        if (b->owned[i])
            chunk_stats(s->chunks[i]);
    if (b->full && map_rebuild(&s->map, s, row_key, s->n) != 0)
        return -1;
    s->bytes = snapshot_bytes(s);
    /* Every memory is a row or pending, unless the counter was changed
     * without the rows (a write outside the server): then load in full. A
     * full load read in one statement always adds up; if the counter
     * disagrees anyway, trust the rows. */
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
    int rc = load(ctx, &b, base ? base->gen : -1);
    if (rc == 0 && !b.need_full && b.state_set)
        rc = snapshot_finish(&b);
    else if (rc == 0)
        rc = -1;
    if (rc != 0 || b.need_full) {
        *again = b.need_full;
        builder_free(&b);
        snapshot_free(s);
        return NULL;
    }
    atomic_fetch_add(base ? &st_delta : &st_full, 1);
    if (base)
        atomic_fetch_add(&st_delta_rows, b.rows);
    builder_free(&b);
    return s;
}

/* ---- the cache ------------------------------------------------------------ */

/* wid's slot, created when missing, held (users + 1) until slot_put. */
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
    if (sl) {
        sl->users++;
        sl->used = ++idx_clock;
    }
    pthread_mutex_unlock(&idx_mu);
    return sl;
}

/* Frees the slots nobody holds and that have no snapshot (idx_mu held). */
static void slots_sweep(void)
{
    for (idx_slot **p = &idx_slots; *p;) {
        idx_slot *sl = *p;
        if (sl->users || sl->cur) {
            p = &sl->next;
            continue;
        }
        *p = sl->next;
        pthread_mutex_destroy(&sl->load_mu);
        free(sl);
    }
}

/* Takes the slot's snapshot out of the cache (idx_mu held); the caller
 * releases what is returned, outside the lock. */
static idx_snapshot *slot_take(idx_slot *sl)
{
    idx_snapshot *s = sl->cur;
    if (s) {
        idx_cached -= s->bytes;
        idx_ncached--;
        sl->cur = NULL;
    }
    return s;
}

static void slot_put(idx_slot *sl)
{
    pthread_mutex_lock(&idx_mu);
    sl->users--;
    pthread_mutex_unlock(&idx_mu);
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

/* The least recently searched slot other than keep whose snapshot only
 * the cache holds (idx_mu held), or NULL. */
static idx_slot *evict_victim(const idx_slot *keep)
{
    idx_slot *best = NULL;
    for (idx_slot *sl = idx_slots; sl; sl = sl->next)
        if (sl != keep && sl->cur && atomic_load(&sl->cur->refs) == 1 &&
            (!best || sl->used < best->used))
            best = sl;
    return best;
}

/* Drops snapshots, least recently searched first, until the cache fits
 * its budget (idx_mu held); what to release goes into out (at most max). */
static size_t evict(const idx_slot *keep, idx_snapshot **out, size_t max)
{
    size_t n = 0;
    idx_slot *sl;
    while (n < max && idx_cached > idx_budget && (sl = evict_victim(keep))) {
        out[n++] = slot_take(sl);
        atomic_fetch_add(&st_evict, 1);
    }
    return n;
}

static void release_all(idx_snapshot **v, size_t n)
{
    while (n)
        idx_release(v[--n]);
}

/* Makes s the slot's snapshot unless a newer one is there already, then
 * brings the cache back within its budget. */
static void publish(idx_slot *sl, idx_snapshot *s)
{
    idx_snapshot *old[DROP_BATCH + 1];
    size_t n = 0;
    pthread_mutex_lock(&idx_mu);
    if (!sl->cur || !same_shape(sl->cur, s->model, s->dim) || sl->cur->gen <= s->gen) {
        old[n] = slot_take(sl);
        n += old[n] != NULL;
        atomic_fetch_add(&s->refs, 1);
        sl->cur = s;
        idx_cached += s->bytes;
        idx_ncached++;
    }
    n += evict(sl, old + n, DROP_BATCH);
    slots_sweep();
    pthread_mutex_unlock(&idx_mu);
    release_all(old, n);
}

/* A fresh snapshot for the slot: a delta on the cached one when it has the
 * shape, else (or when the delta cannot be applied) a full load. */
static idx_snapshot *slot_refresh(idx_slot *sl, int64_t gen, const char *model, size_t dim,
                                  idx_loader load, void *ctx)
{
    idx_snapshot *s = NULL, *base = slot_current(sl, gen, model, dim, 0);
    int again = 0;
    if (base && same_shape(base, model, dim))
        s = snapshot_load(base, sl->wid, model, dim, load, ctx, &again);
    if (!s && (again || !base || !same_shape(base, model, dim)))
        s = snapshot_load(NULL, sl->wid, model, dim, load, ctx, &again);
    idx_release(base);
    if (s)
        publish(sl, s);
    return s;
}

idx_snapshot *idx_acquire(const char *wid, int64_t gen, const char *model, size_t dim,
                          idx_loader load, void *ctx)
{
    if (strlen(wid) >= IDX_WID_MAX || strlen(model) >= IDX_MODEL_MAX || dim == 0)
        return NULL;
    idx_slot *sl = slot_get(wid);
    if (!sl)
        return NULL;
    idx_snapshot *s = slot_current(sl, gen, model, dim, 1);
    if (!s) {
        pthread_mutex_lock(&sl->load_mu);
        s = slot_current(sl, gen, model, dim, 1);   /* refreshed while we waited? */
        if (!s)
            s = slot_refresh(sl, gen, model, dim, load, ctx);
        else
            atomic_fetch_add(&st_hits, 1);
        pthread_mutex_unlock(&sl->load_mu);
    } else {
        atomic_fetch_add(&st_hits, 1);
    }
    slot_put(sl);
    return s;
}

/* ---- reports -------------------------------------------------------------- */

const char *idx_id(const idx_snapshot *s, uint32_t row) { return row < s->n ? idx_row_id(s, row) : ""; }
size_t idx_count(const idx_snapshot *s) { return s->n; }
int64_t idx_pending(const idx_snapshot *s) { return s->pending; }
int64_t idx_generation(const idx_snapshot *s) { return s->gen; }
size_t idx_bytes(const idx_snapshot *s) { return s->bytes; }

void idx_set_budget(size_t bytes)
{
    idx_snapshot *old[DROP_BATCH];
    size_t n;
    pthread_mutex_lock(&idx_mu);
    idx_budget = bytes;
    pthread_mutex_unlock(&idx_mu);
    do {
        pthread_mutex_lock(&idx_mu);
        n = evict(NULL, old, DROP_BATCH);
        pthread_mutex_unlock(&idx_mu);
        release_all(old, n);
    } while (n == DROP_BATCH);
}

void idx_drop(const char *wid)
{
    idx_snapshot *dropped[DROP_BATCH];
    size_t nd;
    do {                            /* release outside the lock, a batch at a time */
        nd = 0;
        pthread_mutex_lock(&idx_mu);
        for (idx_slot *sl = idx_slots; sl && nd < DROP_BATCH; sl = sl->next)
            if (sl->cur && (!wid || strcmp(sl->wid, wid) == 0))
                dropped[nd++] = slot_take(sl);
        slots_sweep();
        pthread_mutex_unlock(&idx_mu);
        release_all(dropped, nd);
    } while (nd == DROP_BATCH);
}

void idx_totals(size_t *workspaces, size_t *vectors, size_t *bytes)
{
    *vectors = 0;
    pthread_mutex_lock(&idx_mu);
    for (idx_slot *sl = idx_slots; sl; sl = sl->next)
        if (sl->cur)
            *vectors += sl->cur->n;
    *workspaces = idx_ncached;
    *bytes = idx_cached;
    pthread_mutex_unlock(&idx_mu);
}

void idx_count_search(uint64_t candidates, int stale)
{
    atomic_fetch_add(&st_searches, 1);
    atomic_fetch_add(&st_cand, candidates);
    if (stale)
        atomic_fetch_add(&st_stale, 1);
}

void idx_stats_get(idx_stats *out)
{
    size_t ws, vecs, bytes;
    idx_totals(&ws, &vecs, &bytes);
    out->searches = atomic_load(&st_searches);
    out->candidates = atomic_load(&st_cand);
    out->stale = atomic_load(&st_stale);
    out->hits = atomic_load(&st_hits);
    out->full_loads = atomic_load(&st_full);
    out->delta_loads = atomic_load(&st_delta);
    out->delta_rows = atomic_load(&st_delta_rows);
    out->evictions = atomic_load(&st_evict);
    out->bytes = bytes;
    out->workspaces = ws;
}
