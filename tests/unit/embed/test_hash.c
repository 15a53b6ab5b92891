/* test_hash.c — unit tests for src/embed/hash.c ("hash-v1"): identity,
 * determinism and pinned values, unit norm, empty and hostile input,
 * lower-casing and separators, batches, threads, a 5 MB text, and the
 * semantic checks: paraphrase pairs beat unrelated sentences, and a small
 * search ranks the right text first. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <pthread.h>
#include <time.h>
#include <cmocka.h>

#include "embed/embedder.h"
#include "embed/vec.h"

#define DIM 384

static embedder *E;

static int setup(void **state)
{
    (void)state;
    E = emb_hash_new();
    return E ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    emb_free(E);
    E = NULL;
    return 0;
}

static void embed(const char *text, float *out)
{
    char err[128] = "";
    if (emb_one(E, text, out, err, sizeof err) != 0)
        fail_msg("embed failed: %s", err);
}

static float cosine(const char *a, const char *b)
{
    float va[DIM], vb[DIM];
    embed(a, va);
    embed(b, vb);
    return vec_dot(va, vb, DIM);
}

static double norm(const float *v)
{
    double ss = 0.0;
    for (size_t i = 0; i < DIM; i++)
        ss += (double)v[i] * v[i];
    return sqrt(ss);
}

static void assert_zero(const float *v)
{
    for (size_t i = 0; i < DIM; i++)
        if (v[i] != 0.0f)
            fail_msg("component %zu is %g, want 0", i, v[i]);
}

static void assert_unit_or_zero(const float *v)
{
    double n = norm(v);
    if (n != 0.0 && fabs(n - 1.0) > 1e-5)
        fail_msg("norm %.9g", n);
}

static void assert_same(const char *a, const char *b)
{
    float va[DIM], vb[DIM];
    embed(a, va);
    embed(b, vb);
    if (memcmp(va, vb, sizeof va) != 0)
        fail_msg("\"%s\" and \"%s\" embed differently", a, b);
}

static void assert_differ(const char *a, const char *b)
{
    float va[DIM], vb[DIM];
    embed(a, va);
    embed(b, vb);
    if (memcmp(va, vb, sizeof va) == 0)
        fail_msg("\"%s\" and \"%s\" embed the same", a, b);
}

static void test_identity(void **state)
{
    (void)state;
    assert_string_equal(E->name, "hash-v1");
    assert_int_equal(E->dim, DIM);
    assert_non_null(E->embed);
    assert_non_null(E->destroy);
    emb_free(NULL);
}

static void test_deterministic(void **state)
{
    (void)state;
    const char *t = "Deterministic: the same text, twice — même résultat.";
    float a[DIM], b[DIM];
    embed(t, a);
    embed(t, b);
    assert_memory_equal(a, b, sizeof a);
    embedder *other = emb_hash_new();
    assert_non_null(other);
    assert_int_equal(emb_one(other, t, b, NULL, 0), 0);
    assert_memory_equal(a, b, sizeof a);
    emb_free(other);
}

/* Pinned output of "hello world": any change to tokenisation, hashing or
 * weights changes these, and with them every stored "hash-v1" vector —
 * such a change needs a new embedder name, not new numbers here. */
static void test_pinned(void **state)
{
    (void)state;
    static const float FIRST8[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    static const struct { size_t i; float v; } NONZERO[] = {
        {14, 0.223830745f},   {81, 0.223830745f},   {98, 0.313363045f},
        {115, -0.223830745f}, {125, -0.447661489f}, {162, -0.223830745f},
        {163, 0.223830745f},  {164, -0.223830745f}, {181, -0.223830745f},
        {193, 0.223830745f},  {289, -0.223830745f}, {297, 0.447661489f},
        {312, 0.223830745f},
    };
    float v[DIM], want[DIM] = {0};
    embed("hello world", v);
    for (size_t i = 0; i < 8; i++)
        assert_float_equal(v[i], FIRST8[i], 1e-6);
    for (size_t j = 0; j < sizeof NONZERO / sizeof *NONZERO; j++)
        want[NONZERO[j].i] = NONZERO[j].v;
    for (size_t i = 0; i < DIM; i++)
        if (fabs(v[i] - want[i]) > 1e-6)
            fail_msg("component %zu: got %.9g want %.9g", i, v[i], want[i]);
}

/* A 22 kB text: more features than fit on the stack (the malloc path) and
 * term frequencies up to a few hundred (the log weights). The values were
 * cross-checked against an independent Python transcription of hash-v1. */
static void test_long_pinned(void **state)
{
    (void)state;
    static const char *const VOCAB[20] = {
        "the", "database", "replication", "is", "lagging", "behind", "meeting",
        "tomorrow", "with", "alice", "quarterly", "report", "caf\xc3\xa9",
        "Stra\xc3\x9f" "e", "\xd0\x9c\xd0\xbe\xd1\x81\xd0\xba\xd0\xb2\xd0\xb0",
        "\xe6\x9d\xb1\xe4\xba\xac", "server", "crashed", "deploy", "fix",
    };
    static const float FIRST8[8] = {
        -0.0121977217f, 0, 0.0702837333f, 0.0343630686f,
        0, -0.0115564894f, -0.0359206684f, -0.0304382313f,
    };
    char *t = malloc(3000 * 16), *p = t;
    uint64_t x = 88172645463325252ull;
    float v[DIM];
    double sum = 0.0;
    assert_non_null(t);
    for (size_t i = 0; i < 3000; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        size_t n = strlen(VOCAB[x % 20]);
        memcpy(p, VOCAB[x % 20], n);
        p[n] = ' ';
        p += n + 1;
    }
    p[-1] = '\0';
    assert_int_equal(strlen(t), 22220);
    embed(t, v);
    for (size_t i = 0; i < 8; i++)
        if (fabs(v[i] - FIRST8[i]) > 1e-6)
            fail_msg("component %zu: got %.9g want %.9g", i, v[i], FIRST8[i]);
    for (size_t i = 0; i < DIM; i++)
        sum += v[i] * (double)(i + 1);
    assert_float_equal(sum, -314.267709, 1e-3);
    free(t);
}

static void test_unit_norm(void **state)
{
    (void)state;
    static const char *const T[] = {
        "a", "hello", "hello world", "the the the the the", "東京タワー",
        "Ünïcödé wörds ånd ASCII", "x y z 1 2 3", "supercalifragilisticexpialidocious",
    };
    float v[DIM];
    for (size_t i = 0; i < sizeof T / sizeof *T; i++) {
        embed(T[i], v);
        assert_float_equal(norm(v), 1.0, 1e-5);
    }
}

static void test_empty(void **state)
{
    (void)state;
    static const char *const T[] = {
        "", " ", "\t\n\r \f\v", "!?.,;:-_()[]{}<>/\\'\"`~@#$%^&*+=|",
        "\xc2\xa0\xe3\x80\x80\xe2\x80\x83\xe2\x80\x94", /* NBSP, ideographic space, em space, em dash */
        "\xff\xfe\x80\xc0\xaf", "\x01\x02\x1b\x7f",
    };
    float v[DIM];
    for (size_t i = 0; i < sizeof T / sizeof *T; i++) {
        memset(v, 0x7f, sizeof v);
        embed(T[i], v);
        assert_zero(v);
    }
}

static void test_invalid_utf8(void **state)
{
    (void)state;
    static const char *const T[] = {
        "\xc3", "abc\xc3", "abc\xe2\x82", "abc\xf0\x9f\x98", "\xed\xa0\x80 surrogate",
        "\xc0\x80 overlong nul", "\xe0\x80\xaf overlong slash", "\xf4\x90\x80\x80 too big",
        "\xf8\x88\x80\x80\x80 five bytes", "\x80\x80\x80 lone continuations",
        "ctrl\x01\x02\x03" "bytes\x7f", "mixed \xff caf\xc3\xa9 \xfe end\xc3",
    };
    float v[DIM];
    for (size_t i = 0; i < sizeof T / sizeof *T; i++) {
        embed(T[i], v);
        assert_unit_or_zero(v);
    }
    /* Invalid bytes and controls separate words like a space does. */
    assert_same("foo\xff" "bar", "foo bar");
    assert_same("foo\xc3" "bar", "foo bar");
    assert_same("foo\xe2\x82" "bar", "foo bar");
    assert_same("foo\x01" "bar", "foo bar");
    assert_same("caf\xc3\xa9", "caf\xc3\xa9");
    assert_differ("caf\xc3\xa9", "caf");
}

static void test_lowercase(void **state)
{
    (void)state;
    assert_same("HELLO World", "hello world");
    assert_same("CAF\xc3\x89 \xc3\x80 LA CR\xc3\x88ME", "caf\xc3\xa9 \xc3\xa0 la cr\xc3\xa8me");
    assert_same("STRA\xc3\x9f" "E", "stra\xc3\x9f" "e");                   /* ß stays */
    assert_same("\xc5\x81\xc3\x93" "D\xc5\xb9", "\xc5\x82\xc3\xb3" "d\xc5\xba"); /* ŁÓDŹ */
    assert_same("\xc5\xb8", "\xc3\xbf");                               /* Ÿ → ÿ */
    assert_same("\xc4\xb0stanbul", "istanbul");                        /* İ → i */
    assert_same("\xce\x91\xce\x98\xce\x97\xce\x9d\xce\x91", "\xce\xb1\xce\xb8\xce\xb7\xce\xbd\xce\xb1");
    assert_same("\xce\x8c\xce\xa1\xce\x9f\xce\xa3", "\xcf\x8c\xcf\x81\xce\xbf\xcf\x82"); /* ΌΡΟΣ / όρος */
    assert_same("\xd0\x9c\xd0\x9e\xd0\xa1\xd0\x9a\xd0\x92\xd0\x90", "\xd0\xbc\xd0\xbe\xd1\x81\xd0\xba\xd0\xb2\xd0\xb0");
    assert_same("\xd0\x81\xd0\x96", "\xd1\x91\xd0\xb6");                 /* ЁЖ */
    assert_same("2\xc3\x97" "3 6\xc3\xb7" "2", "2 3 6 2");     /* × ÷ separate */
}

/* Encodes c as UTF-8 followed by "x" (a word of two letters). */
static void enc_word(uint32_t c, char *out)
{
    unsigned char *o = (unsigned char *)out;
    size_t n = 0;
    if (c < 0x80) {
        o[n++] = (unsigned char)c;
    } else if (c < 0x800) {
        o[n++] = (unsigned char)(0xC0 | c >> 6);
        o[n++] = (unsigned char)(0x80 | (c & 0x3F));
    } else {
        o[n++] = (unsigned char)(0xE0 | c >> 12);
        o[n++] = (unsigned char)(0x80 | (c >> 6 & 0x3F));
        o[n++] = (unsigned char)(0x80 | (c & 0x3F));
    }
    o[n++] = 'x';
    o[n] = '\0';
}

static void assert_lowers_to(uint32_t upper, uint32_t lower)
{
    char a[8], b[8];
    enc_word(upper, a);
    enc_word(lower, b);
    assert_same(a, b);
}

/* Whole capital ranges, as Python's str.lower() maps them (checked once
 * over U+0000..U+017F, U+0386..U+03AB and U+0400..U+04FF). */
static void test_lowercase_ranges(void **state)
{
    (void)state;
    for (uint32_t c = 'A'; c <= 'Z'; c++)
        assert_lowers_to(c, c + 32);
    for (uint32_t c = 0xC0; c <= 0xDE; c++)
        if (c != 0xD7)
            assert_lowers_to(c, c + 0x20);
    for (uint32_t c = 0x100; c <= 0x17E; c++) {
        bool odd_caps = (c >= 0x139 && c <= 0x148) || c >= 0x179;
        bool caseless = c == 0x130 || c == 0x131 || c == 0x138 || c == 0x149 || c == 0x178;
        if (!caseless && (c & 1u) == (odd_caps ? 1u : 0u))
            assert_lowers_to(c, c + 1);
    }
    for (uint32_t c = 0x391; c <= 0x3AB; c++)
        if (c != 0x3A2)
            assert_lowers_to(c, c + 0x20);
    for (uint32_t c = 0x400; c <= 0x40F; c++)
        assert_lowers_to(c, c + 0x50);
    for (uint32_t c = 0x410; c <= 0x42F; c++)
        assert_lowers_to(c, c + 0x20);
    assert_differ("ax", "\xc3\xa0x");  /* à is not folded to a */
}

static void test_separators(void **state)
{
    (void)state;
    assert_same("hello, world!", "hello world");
    assert_same("  hello\t\n world  ", "hello world");
    assert_same("hello\xe3\x80\x80world", "hello world");          /* U+3000 */
    assert_same("hello\xe2\x80\x94world", "hello world");          /* em dash */
    assert_same("\xc2\xabhello\xc2\xbb \xe2\x80\x9cworld\xe2\x80\x9d", "hello world");
    assert_same("hello\xc2\xa0world", "hello world");              /* NBSP */
    assert_differ("helloworld", "hello world");
    assert_differ("\xe6\x9d\xb1\xe4\xba\xac", "");                 /* CJK are letters */
    assert_differ("hello world", "world hello");                   /* bigrams see order */
}

static void test_batch(void **state)
{
    (void)state;
    const char *texts[3] = {"first text", "", "third text here"};
    float *out = malloc(3 * DIM * sizeof *out), one[DIM];
    char err[64] = "";
    assert_non_null(out);
    assert_int_equal(E->embed(E, texts, 3, out, err, sizeof err), 0);
    for (size_t i = 0; i < 3; i++) {
        embed(texts[i], one);
        assert_memory_equal(out + i * DIM, one, sizeof one);
    }
    assert_int_equal(E->embed(E, texts, 0, NULL, err, sizeof err), 0);
    texts[1] = NULL;
    assert_int_equal(E->embed(E, texts, 3, out, err, sizeof err), -1);
    assert_true(err[0] != '\0');
    assert_int_equal(E->embed(E, texts, 3, out, NULL, 0), -1);
    free(out);
}

/* 5 MB of pseudo-random words (many distinct features), one 5 MB word
 * and 5 MB of random bytes. */
static void test_long_text(void **state)
{
    (void)state;
    size_t len = 5u << 20;
    char *t = malloc(len + 1);
    float v[DIM];
    uint64_t x = 88172645463325252ull;
    assert_non_null(t);
    for (size_t i = 0; i < len; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        t[i] = (x % 7 == 0) ? ' ' : (char)('a' + x % 26);
    }
    t[len] = '\0';
    embed(t, v);        /* how fast is `make bench`'s business, not a test's */
    assert_float_equal(norm(v), 1.0, 1e-5);
    memset(t, 'q', len);
    embed(t, v);
    assert_float_equal(norm(v), 1.0, 1e-5);
    for (size_t i = 0; i < len; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        t[i] = (char)(1 + x % 255);
    }
    embed(t, v);
    assert_unit_or_zero(v);
    free(t);
}

typedef struct job {
    const float *want;
    int ok;
} job;

static const char THREAD_TEXT[] = "threads share one embedder read-only";

static void *thread_main(void *arg)
{
    job *j = arg;
    float v[DIM];
    j->ok = 1;
    for (int i = 0; i < 200; i++) {
        if (emb_one(E, THREAD_TEXT, v, NULL, 0) != 0 || memcmp(v, j->want, sizeof v) != 0)
            j->ok = 0;
    }
    return NULL;
}

static void test_threads(void **state)
{
    (void)state;
    float want[DIM];
    pthread_t th[4];
    job jobs[4];
    embed(THREAD_TEXT, want);
    for (size_t i = 0; i < 4; i++) {
        jobs[i] = (job){want, 0};
        assert_int_equal(pthread_create(&th[i], NULL, thread_main, &jobs[i]), 0);
    }
    for (size_t i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(jobs[i].ok, 1);
    }
}

/* Each pair says the same thing differently: typos, word order,
 * morphology, case, accents, paraphrase. */
static const char *const PAIRS[][2] = {
    {"the cat sat on the mat", "a cat was sitting on the mat"},
    {"recieve the package tomorrow", "receive the package tomorrow"},
    {"dinner with alice on friday", "on friday, dinner with alice"},
    {"running databases in production", "run a database in production"},
    {"how do I reset my password", "password reset instructions"},
    {"the meeting was moved to thursday afternoon", "meeting rescheduled to thursday afternoon"},
    {"buy milk, eggs and bread", "remember to buy bread and eggs and milk"},
    {"Kubernetes pod keeps crashing", "the kubernetes pods crash repeatedly"},
    {"flight to Berlin departs at 7am", "the Berlin flight leaves at 7am"},
    {"invoice for the consulting work in March", "March consulting invoice"},
    {"neural networks learn representations", "a neural network learns a representation"},
    {"Caf\xc3\xa9 au lait at the corner caf\xc3\xa9", "CAF\xc3\x89 AU LAIT at the corner cafe"},
    {"the quick brown fox jumps over the lazy dog", "a quick brown fox jumped over a lazy dog"},
    {"photosynthesis converts sunlight into chemical energy",
     "sunlight is converted to chemical energy by photosynthesis"},
    {"\xd0\x9e\xd1\x88\xd0\xb8\xd0\xb1\xd0\xba\xd0\xb0 \xd0\xbf\xd0\xbe\xd0\xb4\xd0\xba\xd0\xbb\xd1\x8e\xd1\x87\xd0\xb5\xd0\xbd\xd0\xb8\xd1\x8f \xd0\xba \xd0\xb1\xd0\xb0\xd0\xb7\xd0\xb5 \xd0\xb4\xd0\xb0\xd0\xbd\xd0\xbd\xd1\x8b\xd1\x85",
     "\xd0\xbe\xd1\x88\xd0\xb8\xd0\xb1\xd0\xba\xd0\xb0 \xd0\xbf\xd0\xbe\xd0\xb4\xd0\xba\xd0\xbb\xd1\x8e\xd1\x87\xd0\xb5\xd0\xbd\xd0\xb8\xd1\x8f \xd0\xba \xd1\x81\xd0\xb5\xd1\x80\xd0\xb2\xd0\xb5\xd1\x80\xd1\x83 \xd0\xb1\xd0\xb0\xd0\xb7\xd1\x8b \xd0\xb4\xd0\xb0\xd0\xbd\xd0\xbd\xd1\x8b\xd1\x85"},
    {"tax return deadline is april 15", "deadline for the tax return: April 15th"},
};

static const char *const UNRELATED[] = {
    "the stock market fell sharply on monday",
    "she plays the violin in an orchestra",
    "volcanic eruptions can change the climate",
    "my grandmother knits warm wool sweaters",
    "the referee showed a red card in the final minute",
    "quantum computers use qubits instead of bits",
    "bake the cake at 180 degrees for forty minutes",
    "the river flooded the village after heavy rain",
    "he is learning to speak japanese",
    "a new species of frog was discovered in the rainforest",
    "the museum opens at nine on weekdays",
    "solar panels were installed on the roof",
};

#define NPAIRS (sizeof PAIRS / sizeof *PAIRS)
#define NUNREL (sizeof UNRELATED / sizeof *UNRELATED)

/* Both directions: cos(a, b) beats cos(a, x) for every unrelated x, by a
 * margin (about 0.16 at the time of writing; 0.05 leaves room for
 * deliberate retuning without making the test vacuous). */
static void test_paraphrases(void **state)
{
    (void)state;
    float a[DIM], b[DIM], x[NUNREL][DIM];
    for (size_t u = 0; u < NUNREL; u++)
        embed(UNRELATED[u], x[u]);
    for (size_t p = 0; p < NPAIRS; p++) {
        for (size_t side = 0; side < 2; side++) {
            embed(PAIRS[p][side], a);
            embed(PAIRS[p][1 - side], b);
            float ab = vec_dot(a, b, DIM);
            for (size_t u = 0; u < NUNREL; u++) {
                float ax = vec_dot(a, x[u], DIM);
                if (!(ab > ax + 0.05f))
                    fail_msg("\"%s\": pair %.3f, unrelated \"%s\" %.3f", PAIRS[p][side], ab,
                             UNRELATED[u], ax);
            }
        }
    }
}

static void test_similarity_basics(void **state)
{
    (void)state;
    assert_float_equal(cosine("same text", "same text"), 1.0, 1e-5);
    assert_true(cosine("databases", "database") > 0.5f);
    assert_true(cosine("databases", "database") > cosine("databases", "bananas"));
    assert_true(cosine("postgres replication lag", "lag replication postgres") > 0.6f);
}

static const char *const DOCS[50] = {
    "Buy groceries: milk, eggs, spinach",
    "Call the dentist to move the appointment",
    "PostgreSQL replication is lagging behind on the standby",
    "Quarterly report draft is due next Tuesday",
    "MySQL backup job failed last night",
    "Ideas for the team offsite in June",
    "Replace the kitchen light bulbs",
    "Postgres connection pool exhausted under load",
    "Read chapter four of the distributed systems book",
    "Renew the car insurance before the end of the month",
    "Kafka consumer lag alert on the billing topic",
    "Birthday present for mum: a scarf or a book",
    "Upgrade the Linux kernel on the build servers",
    "Notes from the product review with design",
    "Water the plants on the balcony",
    "Redis replica went out of sync after failover",
    "Plan the holiday trip to Portugal",
    "Fix the flaky integration test in CI",
    "Book a table for Saturday dinner",
    "Research standing desks under 500 euros",
    "Migrate the analytics jobs to the new cluster",
    "Learn the basics of Rust ownership",
    "Disk usage on the database host is at 90 percent",
    "Send the invoice to the client",
    "Jogging plan: three runs a week",
    "The network latency to the EU region is high",
    "Write the onboarding guide for new engineers",
    "Cancel the unused streaming subscription",
    "Slow queries on the orders table need an index",
    "Schedule the annual health check",
    "Prepare slides for the conference talk",
    "Rotate the TLS certificates before they expire",
    "Fix the leaking tap in the bathroom",
    "Vacuum settings for large tables",
    "Clean up old branches in the repository",
    "Recipe: lentil soup with cumin",
    "The web frontend bundle is too large",
    "Interview feedback for the backend candidate",
    "Set up monitoring dashboards for the API",
    "Pay the electricity bill",
    "Compare cloud storage prices",
    "Document the release process",
    "Garden: plant tomatoes in May",
    "Logical replication slot is filling the WAL directory",
    "Order new running shoes",
    "The cron job for reports runs twice",
    "Practise guitar for twenty minutes a day",
    "Investigate memory leak in the worker process",
    "Look up train times to the airport",
    "Return the library books",
};

static void test_search_ranking(void **state)
{
    (void)state;
    float *rows = malloc(50 * DIM * sizeof *rows), q[DIM];
    vec_hit hits[3];
    assert_non_null(rows);
    for (size_t i = 0; i < 50; i++)
        embed(DOCS[i], rows + i * DIM);
    embed("postgres replication lag", q);
    assert_int_equal(vec_topk(q, rows, 50, DIM, 3, hits), 3);
    if (hits[0].row != 2)
        fail_msg("first hit \"%s\" (%.3f)", DOCS[hits[0].row], hits[0].score);
    assert_true(hits[0].score > hits[1].score + 0.03f);
    free(rows);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_identity),
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_pinned),
        cmocka_unit_test(test_long_pinned),
        cmocka_unit_test(test_unit_norm),
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_invalid_utf8),
        cmocka_unit_test(test_lowercase),
        cmocka_unit_test(test_lowercase_ranges),
        cmocka_unit_test(test_separators),
        cmocka_unit_test(test_batch),
        cmocka_unit_test(test_long_text),
        cmocka_unit_test(test_threads),
        cmocka_unit_test(test_paraphrases),
        cmocka_unit_test(test_similarity_basics),
        cmocka_unit_test(test_search_ranking),
    };
    return cmocka_run_group_tests_name("embed/hash", tests, setup, teardown);
}
