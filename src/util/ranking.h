/* ranking.h — the arithmetic of keyword and hybrid search: Okapi BM25
 * (k1 = 1.2, b = 0.75, Lucene's non-negative idf) with a score normalised
 * into [0, 1), and reciprocal-rank fusion (k = 60) normalised so that
 * first place in every fused list is 1. Pure functions. */
#ifndef CHIMERA_UTIL_RANKING_H
#define CHIMERA_UTIL_RANKING_H

#include <stddef.h>
#include <stdint.h>

#define BM25_K1 1.2
#define BM25_B 0.75
#define RRF_K 60

/* idf of a term found in df of docs documents (df clamped to [1, docs]). */
double bm25_idf(int64_t docs, int64_t df);

/* One term's contribution: tf occurrences in a document of length dl when
 * documents average avgdl. Always below bm25_ceiling(idf). */
double bm25_term(double idf, int64_t tf, int64_t dl, double avgdl);

/* The least upper bound of bm25_term for idf (tf growing without end): the
 * sum of the query terms' ceilings divides a document's sum into [0, 1). */
double bm25_ceiling(double idf);

/* The fused score of a document ranked rank[i] (1-based; 0: not in list i)
 * in each of n lists, divided by the best possible (first everywhere). */
double rrf_score(const size_t *rank, size_t n);

#endif
