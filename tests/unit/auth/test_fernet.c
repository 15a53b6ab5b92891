/* test_fernet.c — unit tests for src/auth/fernet.c: the fernet/spec vectors
 * (generate.json, verify.json, invalid.json), ttl and clock-skew rules,
 * tampering with every byte, forged-but-signed malformed tokens, base64
 * strictness, key parsing and random round trips. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sodium.h>

#include "auth/fernet.h"

#define SPEC_SECRET "cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4="
#define SPEC_TOKEN  "gAAAAAAdwJ6wAAECAwQFBgcICQoLDA0ODy021cpGVWKZ_eEwCGM4BLLF_5CV9dOPmrhuVUPgJobwOz7JcbmrR64jVmpU4IwqDA=="
#define SPEC_NOW    UINT64_C(499162800)     /* 1985-10-26T01:20:00-07:00 */
#define B64_URL     sodium_base64_VARIANT_URLSAFE
#define RAW_MAX     4096

static const unsigned char spec_iv[16] = { 0, 1, 2, 3, 4, 5, 6, 7,
                                           8, 9, 10, 11, 12, 13, 14, 15 };

/* ---- helpers ----------------------------------------------------------- */

static fernet_key spec_key(void)
{
    fernet_key k;
    assert_int_equal(fernet_key_parse(SPEC_SECRET, &k), 0);
    return k;
}

/* Decrypt that must fail, and must leave *out NULL. */
static void expect_fail(const fernet_key *k, const char *token, uint64_t ttl,
                        uint64_t now)
{
    unsigned char *out = (unsigned char *)"sentinel";
    size_t len = 0;
    if (fernet_decrypt_at(k, token, ttl, now, &out, &len) != -1)
        fail_msg("accepted token \"%.80s\"", token);
    assert_null(out);
}

static void expect_ok(const fernet_key *k, const char *token, uint64_t ttl,
                      uint64_t now, const char *want)
{
    unsigned char *out = NULL;
    size_t len = 0;
    if (fernet_decrypt_at(k, token, ttl, now, &out, &len) != 0)
        fail_msg("rejected token \"%.80s\"", token);
    assert_int_equal(len, strlen(want));
    assert_memory_equal(out, want, len);
    assert_int_equal(out[len], '\0');
    free(out);
}

static size_t b64_decode(const char *s, unsigned char *raw)
{
    size_t len = 0;
    assert_int_equal(sodium_base642bin(raw, RAW_MAX, s, strlen(s), NULL, &len,
                                       NULL, B64_URL), 0);
    return len;
}

static char *b64_encode(const unsigned char *raw, size_t len)
{
    size_t cap = sodium_base64_ENCODED_LEN(len, B64_URL);
    char *s = malloc(cap);
    assert_non_null(s);
    sodium_bin2base64(s, cap, raw, len, B64_URL);
    return s;
}

/* Recomputes the HMAC of a raw token in place, so that tests can forge
 * structurally bad tokens that are nevertheless correctly signed. */
static void resign(const fernet_key *k, unsigned char *raw, size_t len)
{
    unsigned int maclen = 0;
    assert_non_null(HMAC(EVP_sha256(), k->sign, 16, raw, len - 32,
                         raw + len - 32, &maclen));
    assert_int_equal(maclen, 32);
}

/* Encrypts raw AES-128-CBC without padding (block-aligned input). */
static void cbc_nopad(const fernet_key *k, const unsigned char *iv,
                      const unsigned char *in, int len, unsigned char *out)
{
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int n = 0, m = 0;
    assert_non_null(ctx);
    assert_int_equal(EVP_EncryptInit_ex(ctx, EVP_aes_128_cbc(), NULL, k->enc, iv), 1);
    EVP_CIPHER_CTX_set_padding(ctx, 0);
    assert_int_equal(EVP_EncryptUpdate(ctx, out, &n, in, len), 1);
    assert_int_equal(EVP_EncryptFinal_ex(ctx, out + n, &m), 1);
    assert_int_equal(n + m, len);
    EVP_CIPHER_CTX_free(ctx);
}

/* ---- spec vectors ------------------------------------------------------ */

static void test_spec_generate(void **state)
{
    fernet_key k = spec_key();
    char *tok;
    (void)state;
    tok = fernet_encrypt_at(&k, (const unsigned char *)"hello", 5, SPEC_NOW, spec_iv);
    assert_non_null(tok);
    assert_string_equal(tok, SPEC_TOKEN);
    free(tok);
}

static void test_spec_verify(void **state)
{
    fernet_key k = spec_key();
    (void)state;
    expect_ok(&k, SPEC_TOKEN, 60, SPEC_NOW + 1, "hello");
    expect_ok(&k, SPEC_TOKEN, 0, SPEC_NOW + 1, "hello");   /* ttl_sec -1 */
    expect_ok(&k, SPEC_TOKEN, 0, SPEC_NOW + 1000000000, "hello");
}

static void test_spec_invalid(void **state)
{
    static const char *bad[] = {
        /* incorrect mac */
        "gAAAAAAdwJ6xAAECAwQFBgcICQoLDA0OD3HkMATM5lFqGaerZ-fWPAl1-szkFVzXTuGb4hR8AKtwcaX1YdykQUFBQUFBQUFBQQ==",
        /* too short */
        "gAAAAAAdwJ6xAAECAwQFBgcICQoLDA0OD3HkMATM5lFqGaerZ-fWPA==",
        /* invalid base64 */
        "%%%%%%%%%%%%%AECAwQFBgcICQoLDA0OD3HkMATM5lFqGaerZ-fWPAl1-szkFVzXTuGb4hR8AKtwcaX1YdykRtfsH-p1YsUD2Q==",
        /* payload size not multiple of block size */
        "gAAAAAAdwJ6xAAECAwQFBgcICQoLDA0OD3HkMATM5lFqGaerZ-fWPOm73QeoCk9uGib28Xe5vz6oxq5nmxbx_v7mrfyudzUm",
        /* payload padding error */
        "gAAAAAAdwJ6xAAECAwQFBgcICQoLDA0ODz4LEpdELGQAad7aNEHbf-JkLPIpuiYRLQ3RtXatOYREu2FWke6CnJNYIbkuKNqOhw==",
        /* far-future TS (unacceptable clock skew) */
        "gAAAAAAdwStRAAECAwQFBgcICQoLDA0OD3HkMATM5lFqGaerZ-fWPAnja1xKYyhd-Y6mSkTOyTGJmw2Xc2a6kBd-iX9b_qXQcw==",
        /* incorrect IV (causes padding error) */
        "gAAAAAAdwJ6xBQECAwQFBgcICQoLDA0OD3HkMATM5lFqGaerZ-fWPAkLhFLHpGtDBRLRTZeUfWgHSv49TF2AUEZ1TIvcZjK1zQ==",
        /* very short payload size */
        "gAAAAABdnQ1TUKh2OE_ggbyCIxfg",
        /* super short payload size */
        "gAAA",
    };
    fernet_key k = spec_key();
    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        expect_fail(&k, bad[i], 60, SPEC_NOW + 1);
    /* expired TTL: an empty message signed at SPEC_NOW + 1, checked at
     * 01:21:31 (90 s later); it is valid within the ttl. */
    expect_fail(&k, "gAAAAAAdwJ6xAAECAwQFBgcICQoLDA0OD3HkMATM5lFqGaerZ-fWPAl1-szkFVzXTuGb4hR8AKtwcaX1YdykRtfsH-p1YsUD2Q==",
                60, SPEC_NOW + 91);
    expect_ok(&k, "gAAAAAAdwJ6xAAECAwQFBgcICQoLDA0OD3HkMATM5lFqGaerZ-fWPAl1-szkFVzXTuGb4hR8AKtwcaX1YdykRtfsH-p1YsUD2Q==",
              60, SPEC_NOW + 1, "");
}

/* ---- time rules -------------------------------------------------------- */

static void test_ttl(void **state)
{
    fernet_key k = spec_key();
    (void)state;
    expect_fail(&k, SPEC_TOKEN, 60, SPEC_NOW + 90);       /* verify.json + 90 s */
    expect_ok(&k, SPEC_TOKEN, 60, SPEC_NOW + 60, "hello"); /* exactly ttl old */
    expect_fail(&k, SPEC_TOKEN, 60, SPEC_NOW + 61);
    expect_ok(&k, SPEC_TOKEN, 1, SPEC_NOW, "hello");
    expect_ok(&k, SPEC_TOKEN, UINT64_MAX, UINT64_MAX, "hello");
    expect_ok(&k, SPEC_TOKEN, 0, SPEC_NOW + 90, "hello");  /* ttl disabled */
}

static void test_clock_skew(void **state)
{
    fernet_key k = spec_key();
    (void)state;
    expect_ok(&k, SPEC_TOKEN, 60, SPEC_NOW - 60, "hello");
    expect_fail(&k, SPEC_TOKEN, 60, SPEC_NOW - 61);
    expect_fail(&k, SPEC_TOKEN, 60, 0);
    expect_ok(&k, SPEC_TOKEN, 0, 0, "hello");     /* no ttl, no time rules */
}

/* ---- tampering --------------------------------------------------------- */

/* Flipping any bit of any region (version, timestamp, IV, ciphertext,
 * HMAC) is detected. */
static void test_tamper_every_byte(void **state)
{
    fernet_key k = spec_key();
    unsigned char raw[RAW_MAX];
    size_t len = b64_decode(SPEC_TOKEN, raw);
    (void)state;
    assert_int_equal(len, 1 + 8 + 16 + 16 + 32);
    for (size_t i = 0; i < len; i++) {
        for (int bit = 0; bit < 8; bit++) {
            char *tok;
            raw[i] ^= (unsigned char)(1u << bit);
            tok = b64_encode(raw, len);
            expect_fail(&k, tok, 0, SPEC_NOW);
            free(tok);
            raw[i] ^= (unsigned char)(1u << bit);
        }
    }
}

/* Truncating or extending the raw token is detected. */
static void test_tamper_length(void **state)
{
    fernet_key k = spec_key();
    unsigned char raw[RAW_MAX];
    size_t len = b64_decode(SPEC_TOKEN, raw);
    (void)state;
    for (size_t n = 0; n < len + 40; n++) {
        char *tok;
        if (n == len)
            continue;
        if (n > len)
            raw[n - 1] = (unsigned char)n;
        tok = b64_encode(raw, n);
        expect_fail(&k, tok, 0, SPEC_NOW);
        free(tok);
    }
}

/* Correctly signed tokens that are malformed inside are still rejected. */
static void test_forged_but_signed(void **state)
{
    fernet_key k = spec_key();
    unsigned char raw[RAW_MAX], block[16], ct[16];
    size_t len = b64_decode(SPEC_TOKEN, raw);
    char *tok;
    (void)state;

    resign(&k, raw, len);                         /* sanity: still valid */
    tok = b64_encode(raw, len);
    expect_ok(&k, tok, 0, SPEC_NOW, "hello");
    free(tok);

    raw[0] = 0x81;                                /* unknown version */
    resign(&k, raw, len);
    tok = b64_encode(raw, len);
    expect_fail(&k, tok, 0, SPEC_NOW);
    free(tok);
    raw[0] = 0x80;

    /* Valid HMAC, bad PKCS7 padding: plaintext block ending in 0x00, 0x11,
     * or an inconsistent 0x02 0x03 tail. */
    static const unsigned char tails[][2] = { { 'x', 0x00 }, { 'x', 0x11 },
                                              { 0x03, 0x02 }, { 'x', 0xff } };
    for (size_t t = 0; t < sizeof tails / sizeof *tails; t++) {
        memset(block, 'a', sizeof block);
        memcpy(block + 14, tails[t], 2);
        cbc_nopad(&k, raw + 9, block, 16, ct);
        memcpy(raw + 25, ct, 16);
        resign(&k, raw, len);
        tok = b64_encode(raw, len);
        expect_fail(&k, tok, 0, SPEC_NOW);
        free(tok);
    }

    /* Valid HMAC over a ciphertext that is not a whole number of blocks. */
    for (size_t n = 25 + 1; n < 25 + 16; n++) {
        unsigned char odd[RAW_MAX];
        memcpy(odd, raw, n);
        memset(odd + n, 0, 32);
        resign(&k, odd, n + 32);
        tok = b64_encode(odd, n + 32);
        expect_fail(&k, tok, 0, SPEC_NOW);
        free(tok);
    }
}

/* ---- encoding ---------------------------------------------------------- */

static void test_bad_base64(void **state)
{
    fernet_key k = spec_key();
    char buf[sizeof SPEC_TOKEN + 4];
    size_t n = strlen(SPEC_TOKEN);
    (void)state;

    expect_fail(&k, "", 0, SPEC_NOW);
    expect_fail(&k, "====", 0, SPEC_NOW);
    expect_fail(&k, "%%%%%%%%", 0, SPEC_NOW);
    expect_fail(&k, NULL, 0, SPEC_NOW);

    memcpy(buf, SPEC_TOKEN, n - 2);               /* padding removed */
    buf[n - 2] = '\0';
    expect_fail(&k, buf, 0, SPEC_NOW);
    memcpy(buf, SPEC_TOKEN, n - 1);               /* half the padding */
    buf[n - 1] = '\0';
    expect_fail(&k, buf, 0, SPEC_NOW);
    snprintf(buf, sizeof buf, "%s=", SPEC_TOKEN); /* extra padding */
    expect_fail(&k, buf, 0, SPEC_NOW);
    snprintf(buf, sizeof buf, "%s\n", SPEC_TOKEN);
    expect_fail(&k, buf, 0, SPEC_NOW);
    snprintf(buf, sizeof buf, " %s", SPEC_TOKEN);
    expect_fail(&k, buf, 0, SPEC_NOW);
    snprintf(buf, sizeof buf, "%sAA", SPEC_TOKEN);
    expect_fail(&k, buf, 0, SPEC_NOW);

    /* The standard alphabet's '+' and '/' are not urlsafe base64. */
    memcpy(buf, SPEC_TOKEN, n + 1);
    for (size_t i = 0; i < n; i++) {
        if (buf[i] == '-' || buf[i] == '_') {
            char c = buf[i];
            buf[i] = (c == '-') ? '+' : '/';
            expect_fail(&k, buf, 0, SPEC_NOW);
            buf[i] = c;
        }
    }
    expect_ok(&k, buf, 0, SPEC_NOW, "hello");
}

/* Every raw length below the 73-byte minimum is rejected. */
static void test_short_tokens(void **state)
{
    fernet_key k = spec_key();
    unsigned char raw[RAW_MAX];
    (void)state;
    b64_decode(SPEC_TOKEN, raw);
    for (size_t n = 0; n < 73; n++) {
        char *tok = b64_encode(raw, n);
        expect_fail(&k, tok, 0, SPEC_NOW);
        free(tok);
    }
}

/* ---- keys -------------------------------------------------------------- */

static void test_wrong_key(void **state)
{
    fernet_key k = spec_key(), other;
    char b64[45];
    (void)state;
    fernet_key_generate(b64);
    assert_int_equal(fernet_key_parse(b64, &other), 0);
    expect_fail(&other, SPEC_TOKEN, 0, SPEC_NOW);
    /* Right signing key, wrong encryption key: HMAC passes, padding should
     * almost surely fail; either way the plaintext must not be "hello". */
    memcpy(other.sign, k.sign, 16);
    {
        unsigned char *out = NULL;
        size_t len = 0;
        if (fernet_decrypt_at(&other, SPEC_TOKEN, 0, SPEC_NOW, &out, &len) == 0) {
            assert_false(len == 5 && memcmp(out, "hello", 5) == 0);
            free(out);
        }
    }
    /* Wrong signing key, right encryption key. */
    memcpy(other.enc, k.enc, 16);
    other.sign[0] ^= 1;
    expect_fail(&other, SPEC_TOKEN, 0, SPEC_NOW);
}

static void test_key_parse_errors(void **state)
{
    static const char *bad[] = {
        "",
        "cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4",      /* 43: no pad */
        "cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4==",    /* 45 */
        "cw/0x689RpI+jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=",     /* std alphabet */
        "cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e%=",     /* bad char */
        "cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4 ",     /* space */
        "cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e==",     /* 31 bytes */
        "cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4A",     /* 33 bytes */
        "cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e5=",     /* trailing bits */
        "============================================",
        " cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=",
    };
    fernet_key k;
    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        if (fernet_key_parse(bad[i], &k) != -1)
            fail_msg("accepted key \"%s\"", bad[i]);
    assert_int_equal(fernet_key_parse(NULL, &k), -1);
    assert_int_equal(fernet_key_parse(SPEC_SECRET, NULL), -1);
}

static void test_key_parse_split(void **state)
{
    fernet_key k = spec_key();
    unsigned char raw[32];
    size_t len = 0;
    (void)state;
    assert_int_equal(sodium_base642bin(raw, sizeof raw, SPEC_SECRET, 44, NULL,
                                       &len, NULL, B64_URL), 0);
    assert_int_equal(len, 32);
    assert_memory_equal(k.sign, raw, 16);
    assert_memory_equal(k.enc, raw + 16, 16);
}

static void test_key_generate(void **state)
{
    char a[45], b[45];
    fernet_key k;
    (void)state;
    memset(a, 'X', sizeof a);
    fernet_key_generate(a);
    fernet_key_generate(b);
    assert_int_equal(strlen(a), 44);
    assert_int_equal(a[43], '=');
    assert_string_not_equal(a, b);
    assert_int_equal(fernet_key_parse(a, &k), 0);
}

/* ---- round trips ------------------------------------------------------- */

static void test_round_trip_lengths(void **state)
{
    fernet_key k;
    char b64[45];
    unsigned char msg[101], raw[RAW_MAX];
    (void)state;
    fernet_key_generate(b64);
    assert_int_equal(fernet_key_parse(b64, &k), 0);
    for (size_t len = 0; len <= 100; len++) {
        unsigned char *out = NULL;
        size_t outlen = 99999;
        char *tok;

        randombytes_buf(msg, len);
        tok = fernet_encrypt(&k, len ? msg : NULL, len);
        assert_non_null(tok);
        assert_int_equal(b64_decode(tok, raw), 57 + 16 * (len / 16 + 1));
        assert_int_equal(raw[0], 0x80);
        assert_int_equal(fernet_decrypt(&k, tok, &out, &outlen), 0);
        assert_int_equal(outlen, len);
        if (len)
            assert_memory_equal(out, msg, len);
        assert_int_equal(out[len], '\0');
        free(out);
        out = NULL;
        assert_int_equal(fernet_decrypt_at(&k, tok, 60, (uint64_t)time(NULL), &out, &outlen), 0);
        free(out);
        free(tok);
    }
}

static void test_fresh_ivs(void **state)
{
    fernet_key k = spec_key();
    char *a, *b;
    (void)state;
    a = fernet_encrypt(&k, (const unsigned char *)"same", 4);
    b = fernet_encrypt(&k, (const unsigned char *)"same", 4);
    assert_non_null(a);
    assert_non_null(b);
    assert_string_not_equal(a, b);
    free(a);
    free(b);
}

static void test_large_and_binary(void **state)
{
    fernet_key k = spec_key();
    size_t len = 1 << 20;
    unsigned char *msg = malloc(len), *out = NULL;
    size_t outlen = 0;
    char *tok;
    (void)state;
    assert_non_null(msg);
    randombytes_buf(msg, len);
    msg[7] = 0;                                   /* embedded NUL */
    tok = fernet_encrypt(&k, msg, len);
    assert_non_null(tok);
    assert_int_equal(fernet_decrypt(&k, tok, &out, &outlen), 0);
    assert_int_equal(outlen, len);
    assert_memory_equal(out, msg, len);
    free(out);
    free(tok);
    free(msg);
}

static void test_bad_arguments(void **state)
{
    fernet_key k = spec_key();
    unsigned char one = 'x', *out = NULL;
    size_t outlen = 0;
    (void)state;
    assert_null(fernet_encrypt_at(NULL, &one, 1, SPEC_NOW, NULL));
    assert_null(fernet_encrypt_at(&k, NULL, 1, SPEC_NOW, NULL));
    /* Absurd lengths are refused before the message is read. */
    assert_null(fernet_encrypt_at(&k, &one, SIZE_MAX, SPEC_NOW, NULL));
    assert_null(fernet_encrypt_at(&k, &one, SIZE_MAX - 100, SPEC_NOW, NULL));
    assert_int_equal(fernet_decrypt_at(NULL, SPEC_TOKEN, 0, SPEC_NOW, &out, &outlen), -1);
    assert_int_equal(fernet_decrypt_at(&k, SPEC_TOKEN, 0, SPEC_NOW, NULL, &outlen), -1);
    assert_int_equal(fernet_decrypt_at(&k, SPEC_TOKEN, 0, SPEC_NOW, &out, NULL), -1);
    assert_null(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spec_generate),
        cmocka_unit_test(test_spec_verify),
        cmocka_unit_test(test_spec_invalid),
        cmocka_unit_test(test_ttl),
        cmocka_unit_test(test_clock_skew),
        cmocka_unit_test(test_tamper_every_byte),
        cmocka_unit_test(test_tamper_length),
        cmocka_unit_test(test_forged_but_signed),
        cmocka_unit_test(test_bad_base64),
        cmocka_unit_test(test_short_tokens),
        cmocka_unit_test(test_wrong_key),
        cmocka_unit_test(test_key_parse_errors),
        cmocka_unit_test(test_key_parse_split),
        cmocka_unit_test(test_key_generate),
        cmocka_unit_test(test_round_trip_lengths),
        cmocka_unit_test(test_fresh_ivs),
        cmocka_unit_test(test_large_and_binary),
        cmocka_unit_test(test_bad_arguments),
    };
    if (sodium_init() < 0)
        return 1;
    return cmocka_run_group_tests_name("auth/fernet", tests, NULL, NULL);
}
