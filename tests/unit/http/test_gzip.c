/* test_gzip.c — unit tests for src/http/gzip.c: Accept-Encoding parsing
 * (tokens, case, q-values) and compress → zlib inflate round trips that
 * check the gzip wrapper, for random bytes and for 1 MiB of JSON; the
 * streaming compressor read in pieces of every size, and its source failing. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <zlib.h>

#include "http/gzip.h"

static uint64_t lcg_state = 0x853c49e6748fea9bu;

static uint32_t lcg_next(void)
{
    lcg_state = lcg_state * 6364136223846793005u + 1442695040888963407u;
    return (uint32_t)(lcg_state >> 33);
}

/* Inflates a gzip stream (gzip wrapper only: windowBits 15 + 16). Returns
 * a malloc'd buffer of *outlen bytes, or NULL when the stream is bad. */
static char *gunzip(const char *in, size_t len, size_t *outlen)
{
    z_stream zs;
    size_t cap = len * 4 + 64, n = 0;
    char *out = malloc(cap);
    int rc;
    assert_non_null(out);
    memset(&zs, 0, sizeof zs);
    assert_int_equal(inflateInit2(&zs, 15 + 16), Z_OK);
    zs.next_in = (Bytef *)(uintptr_t)in;
    zs.avail_in = (uInt)len;
    do {
        if (n == cap) {
            cap *= 2;
            out = realloc(out, cap);
            assert_non_null(out);
        }
        zs.next_out = (Bytef *)out + n;
        zs.avail_out = (uInt)(cap - n);
        rc = inflate(&zs, Z_NO_FLUSH);
        n = cap - zs.avail_out;
    } while (rc == Z_OK);
    if (rc != Z_STREAM_END || zs.avail_in != 0) {   /* trailing junk is bad too */
        inflateEnd(&zs);
        free(out);
        return NULL;
    }
    inflateEnd(&zs);
    *outlen = n;
    return out;
}

static void round_trip(const char *in, size_t len, size_t *zlen)
{
    char *z = NULL, *back;
    size_t n = 0, blen = 0;
    assert_int_equal(gzip_compress(in, len, &z, &n), 0);
    assert_non_null(z);
    assert_true(n >= 18);                         /* header + trailer */
    assert_int_equal((unsigned char)z[0], 0x1f);  /* gzip magic, deflate */
    assert_int_equal((unsigned char)z[1], 0x8b);
    assert_int_equal(z[2], 8);
    back = gunzip(z, n, &blen);
    if (!back)
        fail_msg("gzip stream of %zu bytes does not inflate", len);
    assert_int_equal(blen, len);
    if (len)
        assert_memory_equal(back, in, len);
    /* The trailer's ISIZE is the input length mod 2^32. */
    assert_int_equal((uint32_t)((unsigned char)z[n - 4] | (unsigned char)z[n - 3] << 8 |
                                (unsigned char)z[n - 2] << 16 |
                                (uint32_t)(unsigned char)z[n - 1] << 24),
                     (uint32_t)len);
    if (zlen)
        *zlen = n;
    free(back);
    free(z);
}

/* ---- Accept-Encoding --------------------------------------------------- */

static void test_accepted(void **state)
{
    static const char *const yes[] = {
        "gzip", "gzip, deflate", "deflate, gzip", "gzip,deflate", "deflate,gzip",
        "GZIP", "Gzip", "gZiP, br", "gzip;q=0.5", "gzip; q=0.5", "gzip;q=1",
        "gzip;q=1.0", "gzip;q=0.001", "br;q=1.0, gzip;q=0.8, *;q=0.1", " gzip",
        "gzip ", "\tgzip\t", "deflate, gzip, br, zstd", "identity, gzip",
        "gzip, deflate, br", "x-gzip, gzip", "gzip ;q=0.5", "gzip;level",
    };
    (void)state;
    for (size_t i = 0; i < sizeof yes / sizeof *yes; i++)
        if (!gzip_accepted(yes[i]))
            fail_msg("refused \"%s\"", yes[i]);
}

static void test_refused(void **state)
{
    static const char *const no[] = {
        "", "deflate", "br", "identity", "x-gzip", "gzipx", "xgzip", "gzip2",
        "deflate, gzip;q=0", "gzip;q=0", "gzip;q=0.0", "gzip;q=0.000", "GZIP;Q=0",
        "gzip; q=0", "gzip ;q=0", "deflate, x-gzip", "deflate;gzip", "br, gzip-x",
        "pkzip", "gzi", "g zip",
    };
    (void)state;
    assert_false(gzip_accepted(NULL));
    for (size_t i = 0; i < sizeof no / sizeof *no; i++)
        if (gzip_accepted(no[i]))
            fail_msg("accepted \"%s\"", no[i]);
}

/* A huge header value is scanned without trouble. */
static void test_accept_long(void **state)
{
    size_t n = 1 << 20;
    char *s = malloc(n + 8);
    (void)state;
    assert_non_null(s);
    for (size_t i = 0; i < n; i += 2) {
        s[i] = 'x';
        s[i + 1] = ',';
    }
    s[n] = '\0';
    assert_false(gzip_accepted(s));
    memcpy(s + n, " gzip", 6);
    assert_true(gzip_accepted(s));
    free(s);
}

/* ---- compression ------------------------------------------------------- */

static void test_round_trip_small(void **state)
{
    char buf[4096];
    (void)state;
    round_trip("", 0, NULL);
    round_trip("a", 1, NULL);
    round_trip("{\"ok\":true,\"data\":null,\"error\":null}", 37, NULL);
    for (size_t len = 0; len < sizeof buf; len += 1 + len / 3) {
        for (size_t i = 0; i < len; i++)
            buf[i] = (char)lcg_next();
        round_trip(buf, len, NULL);
    }
}

/* Incompressible data still round-trips (deflateBound is respected). */
static void test_round_trip_random(void **state)
{
    static const size_t sizes[] = { GZIP_MIN_SIZE - 1, GZIP_MIN_SIZE, GZIP_MIN_SIZE + 1,
                                    65535, 65536, 65537, 1 << 20, (1 << 22) + 3 };
    (void)state;
    for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
        char *buf = malloc(sizes[k]);
        size_t zlen = 0;
        assert_non_null(buf);
        for (size_t i = 0; i < sizes[k]; i++)
            buf[i] = (char)(lcg_next() >> 7);
        round_trip(buf, sizes[k], &zlen);
        assert_true(zlen <= sizes[k] + sizes[k] / 100 + 64);
        free(buf);
    }
}

/* 1 MiB of JSON list output compresses well and comes back intact. */
static void test_round_trip_json(void **state)
{
    size_t cap = (1 << 20) + 512, len = 0, zlen = 0;
    char *buf = malloc(cap);
    int i = 0;
    (void)state;
    assert_non_null(buf);
    len += (size_t)snprintf(buf, cap, "{\"ok\":true,\"data\":{\"memories\":[");
    while (len < (1 << 20)) {
        len += (size_t)snprintf(buf + len, cap - len,
                                "%s{\"id\":\"mem-%012x\",\"title\":\"Note %d\",\"content\":"
                                "\"Lorem ipsum dolor sit amet %u\",\"tags\":[\"a\",\"b\"],"
                                "\"updatedAt\":\"2025-12-08T06:18:%02d.123456+00:00\"}",
                                i ? "," : "", (unsigned)i * 2654435761u, i, lcg_next() % 1000,
                                i % 60);
        i++;
    }
    len = 1 << 20;                                /* exactly 1 MiB */
    round_trip(buf, len, &zlen);
    assert_true(zlen < len / 4);
    free(buf);
}

/* Embedded NULs and every byte value survive. */
static void test_round_trip_binary(void **state)
{
    char buf[256 * 8];
    (void)state;
    for (size_t i = 0; i < sizeof buf; i++)
        buf[i] = (char)(i % 256);
    round_trip(buf, sizeof buf, NULL);
    memset(buf, 0, sizeof buf);
    round_trip(buf, sizeof buf, NULL);
}

/* ---- streaming --------------------------------------------------------- */

typedef struct src {
    const char *p;
    size_t len, pos, step;  /* at most step bytes per fill */
    int fail_at;            /* fill call that answers -2 (0: never) */
    int calls;
} src;

static long src_fill(void *cls, char *buf, size_t max)
{
    src *s = cls;
    size_t n = s->len - s->pos;
    if (++s->calls == s->fail_at)
        return -2;
    if (n == 0)
        return -1;
    if (n > s->step)
        n = s->step;
    if (n > max)
        n = max;
    memcpy(buf, s->p + s->pos, n);
    s->pos += n;
    return (long)n;
}

/* Reads the whole stream in pieces of at most `piece` bytes (0: one empty
 * read first); returns the gzip bytes. */
static char *stream_all(src *s, size_t piece, size_t *zlen)
{
    gzip_stream *g = gzip_stream_new(src_fill, s);
    size_t cap = s->len + s->len / 100 + 4096, n = 0;
    char *z = malloc(cap);
    long r;
    assert_non_null(g);
    assert_non_null(z);
    assert_int_equal(gzip_stream_read(g, z, 0), 0);    /* nothing asked, not the end */
    if (!piece)
        piece = 1;
    while ((r = gzip_stream_read(g, z + n, cap - n < piece ? cap - n : piece)) >= 0) {
        assert_true((size_t)r <= piece);
        n += (size_t)r;
        assert_true(n < cap);
    }
    assert_int_equal(r, -1);
    assert_int_equal(gzip_stream_read(g, z, 16), -1);  /* stays at the end */
    gzip_stream_free(g);
    *zlen = n;
    return z;
}

static void test_stream(void **state)
{
    static const size_t pieces[] = { 1, 7, 4096, 1 << 20 };
    size_t len = (1 << 18) + 11;
    char *in = malloc(len);
    (void)state;
    assert_non_null(in);
    for (size_t i = 0; i < len; i++)        /* half text, half noise */
        in[i] = i % 2 ? (char)('a' + i % 7) : (char)(lcg_next() >> 9);
    for (size_t k = 0; k < sizeof pieces / sizeof *pieces; k++) {
        src s = { in, len, 0, 1000 + k * 40000, 0, 0 };
        size_t zlen, blen;
        char *z = stream_all(&s, pieces[k], &zlen), *back = gunzip(z, zlen, &blen);
        if (!back)
            fail_msg("streamed gzip (pieces of %zu) does not inflate", pieces[k]);
        assert_int_equal(blen, len);
        assert_memory_equal(back, in, len);
        free(back);
        free(z);
    }
    /* an empty body is still a valid gzip stream */
    src e = { "", 0, 0, 1, 0, 0 };
    size_t zlen, blen;
    char *z = stream_all(&e, 5, &zlen), *back = gunzip(z, zlen, &blen);
    assert_non_null(back);
    assert_int_equal(blen, 0);
    free(back);
    free(z);
    free(in);
}

/* A failing source (-2) fails the read; the caller drops the response. */
static void test_stream_fill_error(void **state)
{
    char out[64];
    src s = { "abcdef", 6, 0, 2, 3, 0 };
    gzip_stream *g = gzip_stream_new(src_fill, &s);
    long r;
    int reads = 0;
    (void)state;
    assert_non_null(g);
    while ((r = gzip_stream_read(g, out, sizeof out)) >= 0)
        assert_true(++reads < 100);
    assert_int_equal(r, -2);
    assert_int_equal(s.calls, 3);
    gzip_stream_free(g);
}

/* Nothing near the zlib 32-bit counters is compressed in one piece. */
static void test_compress_too_large(void **state)
{
    char *z = NULL;
    size_t n = 0;
    (void)state;
    assert_int_equal(gzip_compress("x", (size_t)UINT32_MAX / 2 + 1, &z, &n), -1);
    assert_null(z);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accepted),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_accept_long),
        cmocka_unit_test(test_round_trip_small),
        cmocka_unit_test(test_round_trip_random),
        cmocka_unit_test(test_round_trip_json),
        cmocka_unit_test(test_round_trip_binary),
        cmocka_unit_test(test_stream),
        cmocka_unit_test(test_stream_fill_error),
        cmocka_unit_test(test_compress_too_large),
    };
    return cmocka_run_group_tests_name("http/gzip", tests, NULL, NULL);
}
