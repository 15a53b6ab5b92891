/* keyword.c — see keyword.h. AND over the terms, rarest first (document
 * frequencies are one lookup each): the rarest term's postings are the
 * candidates, then each next term either looks its tf up per remaining
 * candidate (when its postings are many times more numerous) or reads its
 * postings and keeps the candidates it holds. Reads cost about the rarest
 * term's df plus, per further term, min(its df, LOOKUP_COST x candidates
 * left) index entries. */
#include "api/services/keyword.h"

#include "store/memory_terms.h"
#include "util/ranking.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Point lookups cost about this many times a posting read in a range. */
#define LOOKUP_COST 8

typedef struct cand {
    char id[40];
    int64_t doc_len;
    double score;
    size_t matched;         /* terms found so far */
} cand;

typedef struct cands {
    cand *v;
    size_t n, cap;
    const char *wid;
    double idf, avgdl;
    size_t round;           /* terms processed before the current one */
} cands;

static int collect(void *ctx, const char *id, int64_t tf, int64_t doc_len)
{
    cands *c = ctx;
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 256;
        cand *v = realloc(c->v, cap * sizeof *v);
        if (!v)
            return -1;
        c->v = v;
        c->cap = cap;
    }
    cand *x = &c->v[c->n++];
    snprintf(x->id, sizeof x->id, "%s", id);
    x->doc_len = doc_len;
    x->score = bm25_term(c->idf, tf, doc_len, c->avgdl);
    x->matched = 1;
    return 0;
}

static int cmp_id(const void *a, const void *b)
{
    return strcmp(((const cand *)a)->id, ((const cand *)b)->id);
}

static void credit(cands *c, cand *x, int64_t tf)
{
    if (x->matched == c->round) {
        x->score += bm25_term(c->idf, tf, x->doc_len, c->avgdl);
        x->matched++;
    }
}

static int match(void *ctx, const char *id, int64_t tf, int64_t doc_len)
{
    cands *c = ctx;
    cand key;
    (void)doc_len;
    snprintf(key.id, sizeof key.id, "%s", id);
    cand *x = bsearch(&key, c->v, c->n, sizeof *c->v, cmp_id);
    if (x)
        credit(c, x, tf);
    return 0;
}

/* Keeps the candidates that hold every term so far. */
static void keep_matched(cands *c)
{
    size_t out = 0;
    for (size_t i = 0; i < c->n; i++)
        if (c->v[i].matched == c->round + 1)
            c->v[out++] = c->v[i];
    c->n = out;
}

static int add_term(cands *c, const char *term, int64_t df)
{
    if (df > LOOKUP_COST * (int64_t)c->n) {
        for (size_t i = 0; i < c->n; i++) {
            int64_t tf = 0;
            st_rc rc = memory_terms_tf(c->wid, term, c->v[i].id, &tf);
            if (rc == ST_OK)
                credit(c, &c->v[i], tf);
            else if (rc != ST_NOT_FOUND)
                return -1;
        }
    } else if (memory_terms_postings(c->wid, term, match, c) != ST_OK) {
        return -1;
    }
    keep_matched(c);
    return 0;
}

static int cmp_score(const void *a, const void *b)
{
    const cand *x = a, *y = b;
    if (x->score != y->score)
        return x->score < y->score ? 1 : -1;
    return strcmp(x->id, y->id);
}

/* Document frequencies of the terms, and the terms' order by them (the
 * rarest first: the candidates shrink soonest). */
static int term_dfs(const char *wid, const term_bag *q, size_t nt, int64_t *df, size_t *order)
{
    for (size_t i = 0; i < nt; i++) {
        if (memory_terms_df(wid, q->v[i].s, &df[i]) != ST_OK)
            return -1;
        size_t j = i;
        for (; j > 0 && df[order[j - 1]] > df[i]; j--)
            order[j] = order[j - 1];
        order[j] = i;
    }
    return 0;
}

int kw_search(const char *wid, const term_bag *q, size_t k, kw_hit *out, size_t *n)
{
    size_t nt = q->n < KW_TERMS_MAX ? q->n : KW_TERMS_MAX, order[KW_TERMS_MAX];
    int64_t df[KW_TERMS_MAX], docs = 0, length = 0;
    cands c = { NULL, 0, 0, wid, 0, 0, 0 };
    double norm = 0;
    int rc = -1;
    *n = 0;
    if (nt == 0)
        return 0;
    if (memory_terms_stats(wid, &docs, &length) != ST_OK || term_dfs(wid, q, nt, df, order))
        goto out;
    rc = 0;
    if (df[order[0]] == 0)
        goto out;                               /* some term is nowhere */
    c.avgdl = docs > 0 ? (double)length / (double)docs : 1.0;
    for (size_t i = 0; i < nt; i++)
        norm += bm25_ceiling(bm25_idf(docs, df[i]));
    c.idf = bm25_idf(docs, df[order[0]]);
    rc = -1;
    if (memory_terms_postings(wid, q->v[order[0]].s, collect, &c) != ST_OK)
        goto out;
    qsort(c.v, c.n, sizeof *c.v, cmp_id);
    for (size_t i = 1; i < nt && c.n > 0; i++) {
        c.round = i;
        c.idf = bm25_idf(docs, df[order[i]]);
        if (add_term(&c, q->v[order[i]].s, df[order[i]]) != 0)
            goto out;
    }
    rc = 0;
    qsort(c.v, c.n, sizeof *c.v, cmp_score);
    for (size_t i = 0; i < c.n && i < k; i++) {
        snprintf(out[i].id, sizeof out[i].id, "%s", c.v[i].id);
        out[i].score = norm > 0 ? c.v[i].score / norm : 0.0;
        (*n)++;
    }
out:
    free(c.v);
    return rc;
}
