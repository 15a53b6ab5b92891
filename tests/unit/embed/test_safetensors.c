/* test_safetensors.c — unit tests for src/embed/safetensors.c: a good file
 * (F32 in place, F16/BF16 and unaligned F32 converted), every half-float
 * bit pattern, and headers that lie: lengths past the file, offsets out of
 * range, overlapping, leaving holes, spans that disagree with shape × dtype,
 * unknown dtypes, bad shapes, duplicate keys, wrong dtypes and shapes
 * asked for. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <unistd.h>
#include <cmocka.h>

#include "embed/safetensors.h"

static unsigned char IMG[4096];

/* 8-byte length + header + data into IMG; returns the image size. */
static size_t image(const char *header, const void *data, size_t dlen)
{
    size_t h = strlen(header);
    assert_true(8 + h + dlen <= sizeof IMG);
    for (int i = 0; i < 8; i++)
        IMG[i] = (unsigned char)((uint64_t)h >> (8 * i));
    memcpy(IMG + 8, header, h);
    if (dlen)
        memcpy(IMG + 8 + h, data, dlen);
    return 8 + h + dlen;
}

static void expect_bad(const char *header, size_t dlen, const char *needle)
{
    static const unsigned char zeros[512];
    char err[256] = "";
    size_t n = image(header, zeros, dlen);
    sft_file *f = sft_open_mem(IMG, n, err, sizeof err);
    if (f) {
        sft_close(f);
        fail_msg("accepted %s", header);
    }
    if (!strstr(err, needle))
        fail_msg("%s: error \"%s\" lacks \"%s\"", header, err, needle);
}

static void test_good(void **state)
{
    (void)state;
    /* header padded so the data starts 8-aligned: a [2,2] F32, a [3] F16,
     * a [1] BF16 and an I64 scalar. */
    const char *hdr = "{\"__metadata__\":{\"format\":\"pt\"},"
                      "\"w\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]},"
                      "\"h\":{\"dtype\":\"F16\",\"shape\":[3],\"data_offsets\":[16,22]},"
                      "\"b\":{\"dtype\":\"BF16\",\"shape\":[1],\"data_offsets\":[22,24]},"
                      "\"i\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[24,32]}}";
    char padded[512], err[256];
    snprintf(padded, sizeof padded, "%s", hdr);
    while ((strlen(padded) + 8) % 8)
        strncat(padded, " ", sizeof padded - strlen(padded) - 1);
    unsigned char data[32] = {0};
    float w[4] = {1.5f, -2.0f, 0.25f, 1e-3f};
    uint16_t h[3] = {0x3C00, 0xC000, 0x7BFF}, b = 0x3FC0;  /* 1, -2, 65504; bf16 1.5 */
    memcpy(data, w, 16);
    memcpy(data + 16, h, 6);
    memcpy(data + 22, &b, 2);
    size_t n = image(padded, data, sizeof data);
    /* through a file, as the embedder opens it */
    char path[] = "/tmp/test_safetensors.XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, IMG, n), (ssize_t)n);
    close(fd);
    sft_file *f = sft_open(path, err, sizeof err);
    if (!f)
        fail_msg("%s", err);
    unlink(path);
    assert_int_equal(sft_count(f), 4);
    assert_string_equal(sft_at(f, 0)->name, "b");          /* sorted by name */
    const sft_tensor *t = sft_find(f, "i");
    assert_non_null(t);
    assert_int_equal(t->dtype, SFT_I64);
    assert_int_equal(t->ndim, 0);
    assert_null(sft_find(f, "nope"));
    uint64_t s22[2] = {2, 2}, s3[1] = {3}, s1[1] = {1}, s4[1] = {4};
    const float *pw = sft_f32(f, "w", 2, s22, err, sizeof err);
    assert_non_null(pw);
    assert_ptr_equal(pw, sft_data(f, sft_find(f, "w")));    /* in place */
    assert_memory_equal(pw, w, sizeof w);
    const float *ph = sft_f32(f, "h", 1, s3, err, sizeof err);
    assert_non_null(ph);
    assert_float_equal(ph[0], 1.0, 0);
    assert_float_equal(ph[1], -2.0, 0);
    assert_float_equal(ph[2], 65504.0, 0);
    const float *pb = sft_f32(f, "b", 1, s1, err, sizeof err);
    assert_float_equal(pb[0], 1.5, 0);
    assert_null(sft_f32(f, "w", 1, s4, err, sizeof err));
    assert_non_null(strstr(err, "has shape [2, 2], expected [4]"));
    assert_null(sft_f32(f, "i", 0, s1, err, sizeof err));
    assert_non_null(strstr(err, "I64"));
    assert_null(sft_f32(f, "x", 1, s1, err, sizeof err));
    assert_non_null(strstr(err, "missing"));
    sft_close(f);
}

/* An F32 at an odd offset is converted (copied), not read misaligned. */
static void test_unaligned(void **state)
{
    (void)state;
    const char *hdr = "{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]},"
                      "\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[1,9]}}";
    unsigned char data[9] = {7};
    float w[2] = {3.0f, -4.5f};
    char err[256];
    uint64_t s2[1] = {2};
    memcpy(data + 1, w, 8);
    size_t n = image(hdr, data, sizeof data);
    sft_file *f = sft_open_mem(IMG, n, err, sizeof err);
    assert_non_null(f);
    const float *p = sft_f32(f, "w", 1, s2, err, sizeof err);
    assert_non_null(p);
    assert_int_equal((uintptr_t)p % sizeof(float), 0);
    assert_memory_equal(p, w, sizeof w);
    sft_close(f);
}

static void test_half_all(void **state)
{
    (void)state;
    for (uint32_t h = 0; h < 65536; h++) {
        int e = (int)(h >> 10 & 0x1F), m = (int)(h & 0x3FF);
        double sign = (h & 0x8000) ? -1.0 : 1.0, want;
        float got = sft_half_to_float((uint16_t)h);
        if (e == 31) {
            if (m == 0)
                assert_true(isinf(got) && (got < 0) == (sign < 0));
            else
                assert_true(isnan(got));
            continue;
        }
        want = e == 0 ? sign * ldexp(m, -24) : sign * ldexp(1024 + m, e - 25);
        if ((double)got != want)
            fail_msg("half 0x%04x: %g, want %g", h, (double)got, want);
        assert_true(!signbit(got) == !signbit(sign));
    }
    assert_float_equal(sft_bf16_to_float(0xC040), -3.0, 0);
}

static void test_lies(void **state)
{
    char err[256];
    (void)state;
    /* the 8-byte length itself */
    assert_null(sft_open_mem("\x01\x00\x00", 3, err, sizeof err));
    assert_non_null(strstr(err, "shorter"));
    image("{}", NULL, 0);
    IMG[0] = 0xFF;                                          /* longer than the file */
    assert_null(sft_open_mem(IMG, 10, err, sizeof err));
    assert_non_null(strstr(err, "header length"));
    memset(IMG, 0xFF, 8);                                   /* 2^64 - 1 */
    assert_null(sft_open_mem(IMG, 10, err, sizeof err));
    assert_non_null(strstr(err, "header length"));
    image("{}", NULL, 0);
    sft_file *f = sft_open_mem(IMG, 10, err, sizeof err);   /* no tensors: fine */
    assert_non_null(f);
    assert_int_equal(sft_count(f), 0);
    sft_close(f);
    expect_bad("[]", 0, "not a JSON object");
    expect_bad("{\"a\":", 0, "not a JSON object");
    expect_bad("{\"__metadata__\":[]}", 0, "__metadata__");
    expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,8]}}", 4, "outside");
    expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,4]}}", 8, "outside");
    expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[-4,0]}}", 8, "outside");
    expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}", 8, "outside");
    expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4.0]}}", 8, "outside");
    expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}}", 4, "shape");
    expect_bad("{\"a\":{\"dtype\":\"F16\",\"shape\":[3,1],\"data_offsets\":[0,4]}}", 4, "shape");
    expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4, "bad shape");
    expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[1,1,1,1,1,1,1,1,1],\"data_offsets\":[0,4]}}",
               4, "bad shape");
    expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,16],"
               "\"data_offsets\":[0,0]}}", 0, "bad shape");        /* product overflows */
    expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904],"
               "\"data_offsets\":[0,0]}}", 0, "shape");            /* × 4 overflows */
    expect_bad("{\"a\":{\"dtype\":\"Q4\",\"shape\":[1],\"data_offsets\":[0,1]}}", 1, "dtype");
    expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"x\":1}}", 4,
               "dtype");
    expect_bad("{\"a\":[]}", 0, "dtype");
    expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
               "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[2,6]}}", 6, "overlap");
    expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
               "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4, "overlap");
    expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8, "hole");
    expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 6, "after");
    expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
               "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8, "JSON");
    char longname[400];
    memset(longname, 'n', sizeof longname);
    snprintf(longname + 300, sizeof longname - 300, "%s",
             "\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[0,0]}}");
    char hdr[512] = "{\"";
    strncat(hdr, longname, sizeof hdr - 3);
    expect_bad(hdr, 0, "name longer");
    assert_null(sft_open("/nonexistent.safetensors", err, sizeof err));
    assert_null(sft_open("/tmp", err, sizeof err));
}

/* Headers of the wrong shape that test_lies leaves out, and the helpers'
 * answers at their edges. */
static void test_odd_headers(void **state)
{
    char err[256] = "";
    (void)state;
    expect_bad("{\"a\":{\"dtype\":7,\"shape\":[1],\"data_offsets\":[0,4]}}", 4, "dtype");
    expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4, "dtype");
    expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":4,\"data_offsets\":[0,4]}}", 4,
               "bad shape");
    expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}}", 4,
               "bad shape");
    expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[\"1\"],\"data_offsets\":[0,4]}}", 4,
               "bad shape");
    expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":\"0-4\"}}", 4,
               "outside");
    expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4,8]}}", 8,
               "outside");
    expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,-4]}}", 4,
               "outside");
    /* a dimension of 0 next to a huge one: no overflow, an empty tensor */
    expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[0,4611686018427387904],"
               "\"data_offsets\":[0,4]}}", 4, "shape");

    /* an empty tensor sharing its offset with the next one is a fine layout */
    size_t n = image("{\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                     "\"a\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[0,0]},"
                     "\"__metadata__\":{\"format\":\"pt\"}}", "\0\0\x80\x3f", 4);
    sft_file *f = sft_open_mem(IMG, n, err, sizeof err);
    assert_non_null(f);
    assert_int_equal(sft_count(f), 2);
    assert_string_equal(sft_at(f, 0)->name, "a");
    assert_string_equal(sft_dtype_name(sft_at(f, 0)->dtype), "U8");
    assert_string_equal(sft_dtype_name(sft_at(f, 1)->dtype), "F32");
    assert_string_equal(sft_dtype_name((sft_dtype)1000), "?");
    assert_null(sft_at(f, 2));
    char longname[400];
    memset(longname, 'b', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    assert_null(sft_find(f, longname));
    /* a shape asked for that differs, written out cut to the message's room */
    uint64_t want[8] = {18446744073709551615ull, 18446744073709551615ull,
                        18446744073709551615ull, 18446744073709551615ull,
                        18446744073709551615ull, 18446744073709551615ull,
                        18446744073709551615ull, 18446744073709551615ull};
    assert_null(sft_f32(f, "b", 8, want, err, sizeof err));
    assert_non_null(strstr(err, "tensor b has shape [1], expected [18446744073709551615, "));
    assert_null(sft_f32(f, "a", 1, want, err, sizeof err));
    assert_non_null(strstr(err, "tensor a is U8, not F32, F16 or BF16"));
    sft_close(f);

    /* more tensors than a header may name */
    size_t cap = (size_t)(SFT_MAX_TENSORS + 1) * 64 + 16, at = 1;
    char *big = malloc(cap + 8);
    assert_non_null(big);
    big[8] = '{';
    for (int i = 0; i <= SFT_MAX_TENSORS; i++)
        at += (size_t)snprintf(big + 8 + at, cap - at,
                               "%s\"t%d\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[0,0]}",
                               i ? "," : "", i);
    big[8 + at++] = '}';
    for (int i = 0; i < 8; i++)
        big[i] = (char)((uint64_t)at >> (8 * i));
    assert_null(sft_open_mem(big, 8 + at, err, sizeof err));
    assert_non_null(strstr(err, "more than 100000 tensors"));
    free(big);

    /* a file too short to hold the length */
    char path[] = "/tmp/test_sft.XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "\x02\0\0", 3), 3);
    close(fd);
    assert_null(sft_open(path, err, sizeof err));
    assert_non_null(strstr(err, "not a regular file of at least 8 bytes"));
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good),
        cmocka_unit_test(test_unaligned),
        cmocka_unit_test(test_half_all),
        cmocka_unit_test(test_lies),
        cmocka_unit_test(test_odd_headers),
    };
    return cmocka_run_group_tests_name("embed/safetensors", tests, NULL, NULL);
}
