/* terms.c — see terms.h. */
#include "util/terms.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* API.md §8.1's stop words, sorted for bsearch. */
static const char *const STOP[] = {
    "a", "above", "after", "again", "all", "an", "and", "are", "as", "at", "be", "because",
    "been", "before", "being", "below", "between", "but", "by", "can", "could", "did", "do",
    "does", "during", "each", "few", "for", "from", "further", "had", "has", "have", "he",
    "her", "here", "him", "his", "how", "i", "if", "in", "into", "is", "it", "its", "just",
    "may", "me", "might", "more", "most", "must", "my", "no", "nor", "not", "of", "on", "once",
    "only", "or", "other", "our", "own", "same", "shall", "she", "should", "so", "some", "such",
    "than", "that", "the", "their", "them", "then", "there", "these", "they", "this", "those",
    "through", "to", "too", "under", "until", "very", "was", "we", "were", "when", "where",
    "while", "why", "will", "with", "would", "you", "your",
};

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static bool is_stop(const char *s)
{
    return bsearch(&s, STOP, sizeof STOP / sizeof *STOP, sizeof *STOP, cmp_str) != NULL;
}

static bool is_word(unsigned char c)
{
    return c >= 0x80 || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
           (c >= 'A' && c <= 'Z');
}

static bool is_connector(unsigned char c)
{
    return c == '-' || c == '_' || c == '.' || c == '@' || c == '/' || c == ':';
}

/* Adds s[0..len) lower-cased and cut to TERM_MAX bytes (never inside a
 * UTF-8 sequence); stop words are left out when stop is set. */
static int add_term(term_bag *b, const char *s, size_t len, int64_t weight, bool stop)
{
    if (len > TERM_MAX) {
        len = TERM_MAX;
        while (len > 0 && ((unsigned char)s[len] & 0xC0) == 0x80)
            len--;
    }
    if (len == 0)
        return 0;
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 64;
        term_entry *v = realloc(b->v, cap * sizeof *v);
        if (!v)
            return -1;
        b->v = v;
        b->cap = cap;
    }
    term_entry *t = &b->v[b->n];
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        t->s[i] = (char)(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
    }
    t->s[len] = '\0';
    if (stop && is_stop(t->s))
        return 0;
    t->tf = weight;
    b->n++;
    b->length += weight;
    return 0;
}

/* The end of the word starting at s[i]: connectors count only between two
 * word characters. */
static size_t word_end(const unsigned char *s, size_t len, size_t i)
{
    while (i < len) {
        if (is_word(s[i]))
            i++;
        else if (is_connector(s[i]) && i + 1 < len && is_word(s[i + 1]))
            i++;
        else
            break;
    }
    return i;
}

/* Adds the parts of the word s[from..to) and, if it has connectors, the
 * word itself. */
static int add_word(term_bag *b, const char *s, size_t from, size_t to, int64_t weight)
{
    size_t part = from;
    bool joined = false;
    for (size_t i = from; i <= to; i++) {
        if (i < to && !is_connector((unsigned char)s[i]))
            continue;
        if (add_term(b, s + part, i - part, weight, true) != 0)
            return -1;
        joined |= i < to;
        part = i + 1;
    }
    return joined ? add_term(b, s + from, to - from, weight, false) : 0;
}

int terms_add(term_bag *b, const char *text, size_t len, int64_t weight)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t i = 0;
    while (i < len) {
        if (!is_word(s[i])) {
            i++;
            continue;
        }
        size_t end = word_end(s, len, i);
        if (add_word(b, text, i, end, weight) != 0)
            return -1;
        i = end;
    }
    return 0;
}

static int cmp_term(const void *a, const void *b)
{
    return strcmp(((const term_entry *)a)->s, ((const term_entry *)b)->s);
}

void terms_finish(term_bag *b)
{
    if (b->n < 2)
        return;
    qsort(b->v, b->n, sizeof *b->v, cmp_term);
    size_t out = 0;
    for (size_t i = 1; i < b->n; i++) {
        if (strcmp(b->v[i].s, b->v[out].s) == 0)
            b->v[out].tf += b->v[i].tf;
        else
            b->v[++out] = b->v[i];
    }
    b->n = out + 1;
}

void terms_free(term_bag *b)
{
    free(b->v);
    b->v = NULL;
    b->n = b->cap = 0;
    b->length = 0;
}
