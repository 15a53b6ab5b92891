/* ranking.c — see ranking.h. */
#include "util/ranking.h"

#include <math.h>

double bm25_idf(int64_t docs, int64_t df)
{
    if (df < 1)
        df = 1;
    if (docs < df)
        docs = df;
    return log(1.0 + ((double)(docs - df) + 0.5) / ((double)df + 0.5));
}

double bm25_term(double idf, int64_t tf, int64_t dl, double avgdl)
{
    if (tf <= 0)
        return 0.0;
    double norm = avgdl > 0 ? (double)dl / avgdl : 1.0;
    double f = (double)tf;
    return idf * f * (BM25_K1 + 1.0) / (f + BM25_K1 * (1.0 - BM25_B + BM25_B * norm));
}

double bm25_ceiling(double idf)
{
    return idf * (BM25_K1 + 1.0);
}

double rrf_score(const size_t *rank, size_t n)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++)
        if (rank[i] > 0)
            s += 1.0 / (double)(RRF_K + rank[i]);
    return n ? s / ((double)n / (RRF_K + 1)) : 0.0;
}
