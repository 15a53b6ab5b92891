/* kwindex.c — see kwindex.h. Terms and memory ids are found through open
 * addressing tables (FNV-1a, at most half full). Postings are in doc order
 * (docs are numbered as they come; a compaction renumbers in order), so a
 * search walks the rarest query term's postings and gallops through the
 * others' alongside, keeping the best k in a sorted array. A memory keeps
 * its own (term, tf) list to undo its document frequencies on removal and
 * to rebuild the postings. */
#include "keyword/kwindex.h"

#include "util/ranking.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct posting {
    uint32_t doc, tf;
} posting;

typedef struct kterm {
    char *s;
    uint32_t df;            /* live memories holding it */
    posting *p;             /* by doc, dead ones included */
    uint32_t n, cap;
} kterm;

typedef struct dterm {
    uint32_t term, tf;
} dterm;

typedef struct kdoc {
    char id[KWI_ID_MAX];
    uint32_t len;
    dterm *t;               /* sorted by term; NULL once dead */
    uint32_t nt;
    bool alive;
} kdoc;

struct kw_index {
    kterm *terms;
    uint32_t nterms, capterms;
    uint32_t *tmap;         /* term number + 1, 0 = empty */
    size_t tcap;
    kdoc *docs;
    uint32_t ndocs, capdocs;
    uint32_t *dmap;         /* doc number + 1 of the latest memory with an id */
    size_t dcap;
    size_t live, dead;
    int64_t total_len;
    size_t bytes;
};

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

kw_index *kwi_new(void)
{
    return calloc(1, sizeof(kw_index));
}

void kwi_free(kw_index *x)
{
    if (!x)
        return;
    for (uint32_t i = 0; i < x->nterms; i++) {
        free(x->terms[i].s);
        free(x->terms[i].p);
    }
    for (uint32_t i = 0; i < x->ndocs; i++)
        free(x->docs[i].t);
    free(x->terms);
    free(x->tmap);
    free(x->docs);
    free(x->dmap);
    free(x);
}

size_t kwi_count(const kw_index *x)
{
    return x->live;
}

size_t kwi_bytes(const kw_index *x)
{
    return sizeof *x + x->bytes + x->capterms * sizeof *x->terms + x->tcap * sizeof *x->tmap +
           x->capdocs * sizeof *x->docs + x->dcap * sizeof *x->dmap;
}

/* ---- tables ---- */

static uint32_t *term_slot(const kw_index *x, const char *s)
{
    size_t mask = x->tcap - 1, i = hash_str(s) & mask;
    while (x->tmap[i] && strcmp(x->terms[x->tmap[i] - 1].s, s) != 0)
        i = (i + 1) & mask;
    return &x->tmap[i];
}

static uint32_t *doc_slot(const kw_index *x, const char *id)
{
    size_t mask = x->dcap - 1, i = hash_str(id) & mask;
    while (x->dmap[i] && strcmp(x->docs[x->dmap[i] - 1].id, id) != 0)
        i = (i + 1) & mask;
    return &x->dmap[i];
}

static int grow_terms(kw_index *x)
{
    if (x->nterms == x->capterms) {
        uint32_t cap = x->capterms ? x->capterms * 2 : 256;
        kterm *t = realloc(x->terms, cap * sizeof *t);
        if (!t)
            return -1;
        x->terms = t;
        x->capterms = cap;
    }
    if ((size_t)(x->nterms + 1) * 2 <= x->tcap)
        return 0;
    size_t cap = x->tcap ? x->tcap * 2 : 512;
    uint32_t *m = calloc(cap, sizeof *m);
    if (!m)
        return -1;
    free(x->tmap);
    x->tmap = m;
    x->tcap = cap;
    for (uint32_t i = 0; i < x->nterms; i++)
        *term_slot(x, x->terms[i].s) = i + 1;
    return 0;
}

static int rehash_docs(kw_index *x, size_t cap)
{
    uint32_t *m = calloc(cap, sizeof *m);
    if (!m)
        return -1;
    free(x->dmap);
    x->dmap = m;
    x->dcap = cap;
    for (uint32_t i = 0; i < x->ndocs; i++)
        *doc_slot(x, x->docs[i].id) = i + 1;   /* a later doc of an id wins */
    return 0;
}

static int grow_docs(kw_index *x)
{
    if (x->ndocs == x->capdocs) {
        uint32_t cap = x->capdocs ? x->capdocs * 2 : 256;
        kdoc *d = realloc(x->docs, cap * sizeof *d);
        if (!d)
            return -1;
        x->docs = d;
        x->capdocs = cap;
    }
    if ((size_t)(x->ndocs + 1) * 2 <= x->dcap)
        return 0;
    return rehash_docs(x, x->dcap ? x->dcap * 2 : 512);
}

/* The number of term s, created when new; UINT32_MAX when out of memory. */
static uint32_t intern(kw_index *x, const char *s)
{
    uint32_t *slot = x->tcap ? term_slot(x, s) : NULL;
    if (slot && *slot)
        return *slot - 1;
    if (grow_terms(x) != 0)
        return UINT32_MAX;
    slot = term_slot(x, s);
    kterm *t = &x->terms[x->nterms];
    memset(t, 0, sizeof *t);
    if (!(t->s = strdup(s)))
        return UINT32_MAX;
    x->bytes += strlen(s) + 1;
    *slot = ++x->nterms;
    return x->nterms - 1;
}

static int add_posting(kw_index *x, kterm *t, uint32_t doc, uint32_t tf)
{
    if (t->n == t->cap) {
        uint32_t cap = t->cap ? t->cap * 2 : 4;
        posting *p = realloc(t->p, cap * sizeof *p);
        if (!p)
            return -1;
        x->bytes += (cap - t->cap) * sizeof *p;
        t->p = p;
        t->cap = cap;
    }
    t->p[t->n++] = (posting){ doc, tf };
    return 0;
}

/* ---- changes ---- */

static void kill_doc(kw_index *x, kdoc *d)
{
    if (!d->alive)
        return;
    for (uint32_t i = 0; i < d->nt; i++)
        x->terms[d->t[i].term].df--;
    x->total_len -= d->len;
    x->bytes -= d->nt * sizeof *d->t;
    free(d->t);
    d->t = NULL;
    d->nt = 0;
    d->alive = false;
    x->live--;
    x->dead++;
}

static int cmp_dterm(const void *a, const void *b)
{
    uint32_t x = ((const dterm *)a)->term, y = ((const dterm *)b)->term;
    return x < y ? -1 : x > y;
}

/* Rebuilds docs and postings from the live memories (numbers change).
 * Postings only shrink, so nothing but the id table is allocated, first:
 * out of memory leaves the index as it was. */
static void compact(kw_index *x)
{
    uint32_t *m = calloc(x->dcap, sizeof *m);
    if (!m)
        return;
    uint32_t out = 0;
    for (uint32_t i = 0; i < x->ndocs; i++)
        if (x->docs[i].alive)
            x->docs[out++] = x->docs[i];
    x->ndocs = out;
    x->dead = 0;
    for (uint32_t i = 0; i < x->nterms; i++)
        x->terms[i].n = 0;
    for (uint32_t d = 0; d < x->ndocs; d++)
        for (uint32_t i = 0; i < x->docs[d].nt; i++) {
            kterm *t = &x->terms[x->docs[d].t[i].term];
            t->p[t->n++] = (posting){ d, x->docs[d].t[i].tf };
        }
    free(x->dmap);
    x->dmap = m;
    for (uint32_t i = 0; i < x->ndocs; i++)
        *doc_slot(x, x->docs[i].id) = i + 1;
}

void kwi_remove(kw_index *x, const char *id)
{
    if (!x->dcap)
        return;
    uint32_t *slot = doc_slot(x, id);
    if (*slot)
        kill_doc(x, &x->docs[*slot - 1]);
    if (x->dead > x->live + 1024)
        compact(x);
}

static int bag_of(const char *title, const char *content, term_bag *b)
{
    if (terms_add(b, title, strlen(title), KWI_TITLE_WEIGHT) != 0 ||
        terms_add(b, content, strlen(content), 1) != 0)
        return -1;
    terms_finish(b);
    return 0;
}

int kwi_put(kw_index *x, const char *id, const char *title, const char *content)
{
    term_bag b = TERM_BAG_INIT;
    dterm *t = NULL;
    int rc = -1;
    if (strlen(id) >= KWI_ID_MAX || bag_of(title, content, &b) != 0 ||
        !(t = malloc((b.n + 1) * sizeof *t)))
        goto out;
    kwi_remove(x, id);
    if (grow_docs(x) != 0)
        goto out;
    for (size_t i = 0; i < b.n; i++) {
        t[i].term = intern(x, b.v[i].s);
        t[i].tf = (uint32_t)b.v[i].tf;
        if (t[i].term == UINT32_MAX || add_posting(x, &x->terms[t[i].term], x->ndocs, t[i].tf))
            goto out;
    }
    qsort(t, b.n, sizeof *t, cmp_dterm);
    kdoc *d = &x->docs[x->ndocs];
    snprintf(d->id, sizeof d->id, "%s", id);
    d->len = (uint32_t)b.length;
    d->t = t;
    d->nt = (uint32_t)b.n;
    d->alive = true;
    for (size_t i = 0; i < b.n; i++)
        x->terms[t[i].term].df++;
    *doc_slot(x, id) = ++x->ndocs;
    x->bytes += b.n * sizeof *t;
    x->total_len += d->len;
    x->live++;
    t = NULL;
    rc = 0;
out:
    free(t);
    terms_free(&b);
    return rc;
}

/* ---- search ---- */

static bool better(double s, const char *id, const kw_hit *h)
{
    return s > h->score || (s == h->score && strcmp(id, h->id) < 0);
}

/* Offers a candidate to the best k kept in out[0..*n), best first. */
static void offer(kw_hit *out, size_t *n, size_t k, double score, const char *id)
{
    if (*n == k && !better(score, id, &out[k - 1]))
        return;
    size_t i = *n < k ? (*n)++ : k - 1;
    for (; i > 0 && better(score, id, &out[i - 1]); i--)
        out[i] = out[i - 1];
    out[i].score = score;
    snprintf(out[i].id, sizeof out[i].id, "%s", id);
}

/* The first index at or after from in p[0..n) whose doc is at least doc
 * (postings are in doc order): galloping, then binary search. */
static uint32_t seek(const posting *p, uint32_t n, uint32_t from, uint32_t doc)
{
    uint32_t lo = from, hi = from, step = 1;
    while (hi < n && p[hi].doc < doc) {
        lo = hi + 1;
        hi += step;
        step <<= 1;
    }
    if (hi > n)
        hi = n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (p[mid].doc < doc)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

typedef struct qterm {
    uint32_t term;
    double idf;
} qterm;

/* The query's terms rarest first with their idf, and the sum of their
 * ceilings; false when some term is in no live memory. */
static bool query_terms(const kw_index *x, const term_bag *q, qterm *qt, size_t nt, double *norm)
{
    *norm = 0;
    for (size_t i = 0; i < nt; i++) {
        uint32_t *slot = x->tcap ? term_slot(x, q->v[i].s) : NULL;
        if (!slot || !*slot || x->terms[*slot - 1].df == 0)
            return false;
        qt[i].term = *slot - 1;
        qt[i].idf = bm25_idf((int64_t)x->live, x->terms[qt[i].term].df);
        *norm += bm25_ceiling(qt[i].idf);
    }
    for (size_t i = 1; i < nt; i++) {           /* by df, stable (few terms) */
        qterm v = qt[i];
        size_t j = i;
        for (; j > 0 && x->terms[qt[j - 1].term].df > x->terms[v.term].df; j--)
            qt[j] = qt[j - 1];
        qt[j] = v;
    }
    return true;
}

int kwi_search(const kw_index *x, const term_bag *q, size_t k, kw_hit *out, size_t *n)
{
    size_t nt = q->n < KWI_QUERY_TERMS ? q->n : KWI_QUERY_TERMS;
    qterm qt[KWI_QUERY_TERMS];
    uint32_t pos[KWI_QUERY_TERMS] = { 0 };
    double norm = 0;
    *n = 0;
    if (nt == 0 || k == 0 || x->live == 0 || !query_terms(x, q, qt, nt, &norm))
        return 0;
    double avgdl = (double)x->total_len / (double)x->live;
    const kterm *rare = &x->terms[qt[0].term];
    /* Every term's postings are in doc order: the others are walked forward
     * alongside the rarest's (sequential reads), a doc's row read only once
     * it holds every term. */
    for (uint32_t j = 0; j < rare->n; j++) {
        uint32_t doc = rare->p[j].doc;
        size_t i = 1;
        for (; i < nt; i++) {
            const kterm *t = &x->terms[qt[i].term];
            pos[i] = seek(t->p, t->n, pos[i], doc);
            if (pos[i] == t->n)
                return 0;                       /* no later doc can hold it */
            if (t->p[pos[i]].doc != doc)
                break;
        }
        const kdoc *d = &x->docs[doc];
        if (i < nt || !d->alive)
            continue;
        double s = bm25_term(qt[0].idf, rare->p[j].tf, d->len, avgdl);
        for (i = 1; i < nt; i++)
            s += bm25_term(qt[i].idf, x->terms[qt[i].term].p[pos[i]].tf, d->len, avgdl);
        offer(out, n, k, s / norm, d->id);
    }
    return 0;
}
