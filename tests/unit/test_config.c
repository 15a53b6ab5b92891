/* test_config.c — unit tests for src/config.c: every numeric setting's
 * bounds (the value at each bound is taken, one past it, a non-number and
 * trailing text are refused with a message naming the setting), booleans,
 * comma lists, CORS origins, the data directory, and the secrets of
 * development mode (generated once into secrets.env, read back, refused in
 * production mode). config_load prints its reasons on stderr: tests send
 * stderr to a temporary file and read it back. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include <sodium.h>

#include "config.h"

/* Every variable config_load reads. */
static const char *const ALL_VARS[] = {
    "DEBUG", "CHIMERA_DATA_DIR", "CHIMERA_LISTEN", "CHIMERA_LOG_REQUESTS", "CHIMERA_LOG_DEBUG",
    "CHIMERA_ECHO_MODEL", "CHIMERA_OPENAI_BASE_URL", "CHIMERA_ANTHROPIC_BASE_URL",
    "CHIMERA_GOOGLE_BASE_URL", "CHIMERA_DEEPSEEK_BASE_URL", "CHIMERA_GROQ_BASE_URL",
    "CHIMERA_EMBEDDER", "CHIMERA_EMBED_URL", "CHIMERA_EMBED_MODEL", "CHIMERA_EMBED_API_KEY",
    "CHIMERA_EMBED_MODEL_DIR", "CHIMERA_METRICS_TOKEN", "CHIMERA_IMPORT_ALLOW_PRIVATE",
    "CHIMERA_STATIC_DIR", "CHIMERA_TRUSTED_PROXIES", "DATABASE_URL", "FRONTEND_URL",
    "CORS_ALLOWED_ORIGINS", "CHIMERA_IMPORT_ALLOW_ADDRS", "ALLOWED_HOSTS", "SECRET_KEY",
    "ENCRYPTION_KEY", "JWT_SECRET_KEY",
};

/* The numeric settings and their bounds (config.c's load_numbers). */
static const struct { const char *name; long long lo, hi; } NUMBERS[] = {
    { "CHIMERA_PORT", 0, 65535 },
    { "CHIMERA_THREADS", 1, 256 },
    { "JWT_EXPIRATION_HOURS", 1, 24 * 365 },
    { "CHIMERA_REFRESH_DAYS", 1, 365 },
    { "CHIMERA_MAX_BODY", 1024, 1LL << 30 },
    { "CHIMERA_MAX_JSON_DEPTH", 2, 1000 },
    { "CHIMERA_CONN_TIMEOUT", 1, 3600 },
    { "CHIMERA_CONN_MEMORY", 4096, 1 << 24 },
    { "CHIMERA_MAX_CONNECTIONS", 1, 1000000 },
    { "CHIMERA_HEADER_TIMEOUT", 1, 3600 },
    { "CHIMERA_ARGON2_OPSLIMIT", 1, 64 },
    { "CHIMERA_ARGON2_MEMLIMIT", 8192, 4LL << 30 },
    { "CHIMERA_LOGIN_FAIL_LIMIT", 1, 1000000000 },
    { "CHIMERA_LOGIN_FAIL_WINDOW", 1, 86400 * 30 },
    { "CHIMERA_REGISTER_LIMIT", 1, 1000000000 },
    { "CHIMERA_REGISTER_WINDOW", 1, 86400 * 30 },
    { "CHIMERA_USER_RATE_LIMIT", 1, 1000000000 },
    { "CHIMERA_OUTBOUND_MAX_BODY", 1024, 1LL << 30 },
    { "CHIMERA_EMBED_DIMENSIONS", 0, 16384 },
    { "CHIMERA_EMBED_BATCH", 1, 2048 },
    { "CHIMERA_EMBED_TIMEOUT", 1, 600 },
    { "CHIMERA_BODY_CACHE", 0, 1LL << 20 },
    { "CHIMERA_INDEX_MEMORY", 1, 1LL << 30 },
    { "CHIMERA_KEYWORD_INDEX_MEMORY", 1, 1LL << 30 },
    { "CHIMERA_IMPORT_MAX_BODY", 1024, 1LL << 30 },
    { "CHIMERA_IMPORT_TIMEOUT", 1, 600 },
    { "CHIMERA_STREAM_KEEPALIVE_MS", 10, 600000 },
};

#define NNUM (sizeof NUMBERS / sizeof NUMBERS[0])

static char data_dir[256];

static void clear_env(void)
{
    for (size_t i = 0; i < sizeof ALL_VARS / sizeof ALL_VARS[0]; i++)
        unsetenv(ALL_VARS[i]);
    for (size_t i = 0; i < NNUM; i++)
        unsetenv(NUMBERS[i].name);
}

/* Each test: a clean environment and a fresh, empty data directory. */
static int setup(void **state)
{
    (void)state;
    clear_env();
    snprintf(data_dir, sizeof data_dir, "%s/chimera-config-XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(data_dir))
        return -1;
    setenv("CHIMERA_DATA_DIR", data_dir, 1);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", data_dir);
    config_free();
    clear_env();
    return system(cmd) == 0 ? 0 : -1;
}

/* config_load(secrets) with stderr captured into *err (caller frees). */
static int load(bool secrets, char **err)
{
    FILE *f = tmpfile();
    assert_non_null(f);
    fflush(stderr);
    int saved = dup(STDERR_FILENO);
    assert_true(saved >= 0 && dup2(fileno(f), STDERR_FILENO) >= 0);
    config_free();
    int rc = config_load(secrets);
    fflush(stderr);
    assert_true(dup2(saved, STDERR_FILENO) >= 0);
    close(saved);
    long n = ftell(f);
    char *text = calloc((size_t)n + 1, 1);
    assert_non_null(text);
    rewind(f);
    assert_int_equal(fread(text, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    if (err)
        *err = text;
    else
        free(text);
    return rc;
}

static void expect_refused(bool secrets, const char *needle)
{
    char *err;
    int rc = load(secrets, &err);
    if (rc != -1 || !strstr(err, needle))
        fail_msg("config_load: rc %d, expected -1 and \"%s\" in: %s", rc, needle, err);
    free(err);
}

static void expect_loaded(bool secrets)
{
    char *err;
    int rc = load(secrets, &err);
    if (rc != 0)
        fail_msg("config_load: rc %d: %s", rc, err);
    free(err);
}

static void test_defaults(void **state)
{
    (void)state;
    expect_loaded(false);
    assert_true(cfg.debug);
    assert_int_equal(cfg.port, 8000);
    assert_int_equal(cfg.threads, 4);
    assert_int_equal(cfg.access_ttl_s, 24 * 3600);
    assert_int_equal(cfg.refresh_ttl_s, 7 * 86400);
    assert_int_equal(cfg.max_body, 1 << 20);
    assert_int_equal(cfg.body_cache, 64u << 20);
    assert_int_equal(cfg.index_memory, 1024ull << 20);
    assert_string_equal(cfg.listen, "127.0.0.1");
    assert_string_equal(cfg.embedder, "hash");
    char want[300];
    snprintf(want, sizeof want, "sqlite://%s/chimera.db", data_dir);
    assert_string_equal(cfg.database_url, want);
    assert_non_null(cfg.allowed_hosts);
    assert_string_equal(cfg.allowed_hosts[0], "*");
    assert_null(cfg.allowed_hosts[1]);
    assert_non_null(cfg.cors_origins);
    assert_null(cfg.cors_origins[0]);
    assert_null(cfg.secret_key);
}

/* Each bound is accepted; one past it, a non-number, a number with text
 * after it and an overflowing number are refused, naming the setting and
 * its range. */
static void test_every_number_bound(void **state)
{
    (void)state;
    char v[64], want[160];
    for (size_t i = 0; i < NNUM; i++) {
        snprintf(want, sizeof want, "%s must be an integer in %lld..%lld (got \"",
                 NUMBERS[i].name, NUMBERS[i].lo, NUMBERS[i].hi);
        const long long good[] = { NUMBERS[i].lo, NUMBERS[i].hi };
        for (size_t k = 0; k < 2; k++) {
            snprintf(v, sizeof v, "%lld", good[k]);
            setenv(NUMBERS[i].name, v, 1);
            expect_loaded(false);
        }
        const long long bad[] = { NUMBERS[i].lo - 1, NUMBERS[i].hi + 1 };
        for (size_t k = 0; k < 2; k++) {
            snprintf(v, sizeof v, "%lld", bad[k]);
            setenv(NUMBERS[i].name, v, 1);
            expect_refused(false, want);
        }
        static const char *const junk[] = { "ten", "12abc", "1.5", "0x10",
                                            "99999999999999999999999" };
        for (size_t k = 0; k < sizeof junk / sizeof junk[0]; k++) {
            setenv(NUMBERS[i].name, junk[k], 1);
            expect_refused(false, want);
        }
        unsetenv(NUMBERS[i].name);
    }
}

/* The scaled settings hold what the unit says. */
static void test_number_units(void **state)
{
    (void)state;
    setenv("JWT_EXPIRATION_HOURS", "2", 1);
    setenv("CHIMERA_REFRESH_DAYS", "3", 1);
    setenv("CHIMERA_BODY_CACHE", "0", 1);
    setenv("CHIMERA_INDEX_MEMORY", "5", 1);
    setenv("CHIMERA_KEYWORD_INDEX_MEMORY", "6", 1);
    setenv("CHIMERA_PORT", "0", 1);
    expect_loaded(false);
    assert_int_equal(cfg.access_ttl_s, 2 * 3600);
    assert_int_equal(cfg.refresh_ttl_s, 3 * 86400);
    assert_int_equal(cfg.body_cache, 0);
    assert_int_equal(cfg.index_memory, 5u << 20);
    assert_int_equal(cfg.keyword_index_memory, 6u << 20);
    assert_int_equal(cfg.port, 0);
}

/* All bad settings are reported at once, not only the first. */
static void test_every_bad_number_reported(void **state)
{
    (void)state;
    setenv("CHIMERA_PORT", "70000", 1);
    setenv("CHIMERA_THREADS", "many", 1);
    setenv("CHIMERA_STREAM_KEEPALIVE_MS", "5", 1);
    char *err;
    assert_int_equal(load(false, &err), -1);
    assert_non_null(strstr(err, "CHIMERA_PORT must be"));
    assert_non_null(strstr(err, "CHIMERA_THREADS must be"));
    assert_non_null(strstr(err, "CHIMERA_STREAM_KEEPALIVE_MS must be"));
    free(err);
}

static void test_booleans(void **state)
{
    (void)state;
    static const char *const yes[] = { "1", "true", "TRUE", "yes", "Yes", "on", "ON" };
    static const char *const no[] = { "0", "false", "no", "off", "nonsense", "2" };
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        setenv("CHIMERA_ECHO_MODEL", yes[i], 1);
        setenv("CHIMERA_LOG_REQUESTS", yes[i], 1);
        expect_loaded(false);
        assert_true(cfg.echo_model);
        assert_true(cfg.log_requests);
    }
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++) {
        setenv("CHIMERA_ECHO_MODEL", no[i], 1);
        setenv("CHIMERA_LOG_REQUESTS", no[i], 1);
        setenv("DEBUG", no[i], 1);
        expect_loaded(false);
        assert_false(cfg.echo_model);
        assert_false(cfg.log_requests);
        assert_false(cfg.debug);
    }
    /* empty is unset: the default */
    setenv("CHIMERA_LOG_REQUESTS", "", 1);
    setenv("DEBUG", "", 1);
    expect_loaded(false);
    assert_true(cfg.log_requests);
    assert_true(cfg.debug);
}

static void expect_list(char **got, const char *const *want)
{
    size_t i = 0;
    assert_non_null(got);
    for (; want[i]; i++) {
        if (!got[i])
            fail_msg("list item %zu missing (want \"%s\")", i, want[i]);
        assert_string_equal(got[i], want[i]);
    }
    assert_null(got[i]);
}

/* Comma lists: items trimmed of blanks (and origins of trailing slashes),
 * empty items dropped. */
static void test_lists(void **state)
{
    (void)state;
    setenv("CORS_ALLOWED_ORIGINS", " https://a.example/ ,\thttps://b.example//,, ,"
                                   "https://c.example:8443\t", 1);
    setenv("ALLOWED_HOSTS", "api.example,localhost", 1);
    setenv("CHIMERA_IMPORT_ALLOW_ADDRS", "10.0.0.5", 1);
    expect_loaded(false);
    expect_list(cfg.cors_origins, (const char *const[]){
        "https://a.example", "https://b.example", "https://c.example:8443", NULL });
    expect_list(cfg.allowed_hosts, (const char *const[]){ "api.example", "localhost", NULL });
    expect_list(cfg.import_allow_addrs, (const char *const[]){ "10.0.0.5", NULL });
    setenv("CORS_ALLOWED_ORIGINS", ",,, ,", 1);
    expect_loaded(false);
    expect_list(cfg.cors_origins, (const char *const[]){ NULL });
}

static void test_origins(void **state)
{
    (void)state;
    setenv("DEBUG", "true", 1);
    expect_loaded(false);
    assert_true(config_origin_allowed("https://anything.example"));

    setenv("DEBUG", "false", 1);
    setenv("FRONTEND_URL", "https://app.example/", 1);
    setenv("CORS_ALLOWED_ORIGINS", "https://admin.example,http://localhost:3000", 1);
    expect_loaded(false);
    static const struct { const char *origin; bool ok; } cases[] = {
        { "https://app.example", true },
        { "https://app.example/", true },
        { "https://app.example//", true },
        { "https://app.exampl", false },
        { "https://app.example.evil", false },
        { "https://app.example/x", false },
        { "http://app.example", false },
        { "https://admin.example", true },
        { "https://admin.example/", true },
        { "https://admin.exampl", false },
        { "https://admin.example.org", false },
        { "http://localhost:3000", true },
        { "http://localhost:30000", false },
        { "", false },
        { "/", false },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        if (config_origin_allowed(cases[i].origin) != cases[i].ok)
            fail_msg("origin \"%s\": want %s", cases[i].origin, cases[i].ok ? "yes" : "no");

    /* without FRONTEND_URL only the list counts */
    unsetenv("FRONTEND_URL");
    expect_loaded(false);
    assert_false(config_origin_allowed("https://app.example"));
    assert_true(config_origin_allowed("https://admin.example"));
}

static void test_data_dir(void **state)
{
    (void)state;
    char nested[400], file[400];
    snprintf(nested, sizeof nested, "%s/a/b/c", data_dir);
    setenv("CHIMERA_DATA_DIR", nested, 1);
    expect_loaded(false);
    struct stat sb;
    assert_int_equal(stat(nested, &sb), 0);
    assert_true(S_ISDIR(sb.st_mode));
    assert_int_equal(sb.st_mode & 0777, 0700);
    /* already there: fine */
    expect_loaded(false);

    snprintf(file, sizeof file, "%s/plain", data_dir);
    FILE *f = fopen(file, "w");
    assert_non_null(f);
    fclose(f);
    snprintf(nested, sizeof nested, "%s/plain/data", data_dir);
    setenv("CHIMERA_DATA_DIR", nested, 1);
    expect_refused(false, "cannot create data directory");
}

static void secrets_path(char *out, size_t n)
{
    snprintf(out, n, "%s/secrets.env", data_dir);
}

/* Development mode: the missing keys are generated once, kept in
 * secrets.env (mode 0600) and the same ones come back on the next load. */
static void test_dev_secrets_generated_once(void **state)
{
    (void)state;
    expect_loaded(true);
    char *secret = strdup(cfg.secret_key), *enc = strdup(cfg.encryption_key);
    assert_string_equal(cfg.jwt_secret, cfg.secret_key);
    assert_int_equal(strlen(secret), 64);
    assert_int_equal(strlen(enc), 44);
    char path[400];
    secrets_path(path, sizeof path);
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);

    expect_loaded(true);
    assert_string_equal(cfg.secret_key, secret);
    assert_string_equal(cfg.encryption_key, enc);
    /* the environment wins over the file */
    setenv("SECRET_KEY", "from-the-environment", 1);
    setenv("JWT_SECRET_KEY", "jwt-from-the-environment", 1);
    expect_loaded(true);
    assert_string_equal(cfg.secret_key, "from-the-environment");
    assert_string_equal(cfg.jwt_secret, "jwt-from-the-environment");
    assert_string_equal(cfg.encryption_key, enc);
    free(secret);
    free(enc);
}

/* A line is NAME=value: other names that start alike, empty values and
 * CRLF line ends do not confuse the lookup. */
static void test_dev_secrets_file_lines(void **state)
{
    (void)state;
    char path[400], fkey[45];
    secrets_path(path, sizeof path);
    unsigned char raw[32];
    randombytes_buf(raw, sizeof raw);
    sodium_bin2base64(fkey, sizeof fkey, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "SECRET_KEY_OLD=old\r\nSECRET_KEY=\r\n# comment\r\nSECRET_KEY=right\r\n"
               "ENCRYPTION_KEY=%s\r\n", fkey);
    fclose(f);
    expect_loaded(true);
    assert_string_equal(cfg.secret_key, "right");
    assert_string_equal(cfg.encryption_key, fkey);
}

static void test_dev_secrets_cannot_be_written(void **state)
{
    (void)state;
    char path[400];
    secrets_path(path, sizeof path);
    assert_int_equal(mkdir(path, 0700), 0);     /* a folder where the file goes */
    expect_refused(true, "cannot write");
    /* the file is only needed for what the environment does not give */
    setenv("SECRET_KEY", "s", 1);
    expect_refused(true, "cannot write");
    unsigned char raw[32];
    char fkey[45];
    randombytes_buf(raw, sizeof raw);
    sodium_bin2base64(fkey, sizeof fkey, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE);
    setenv("ENCRYPTION_KEY", fkey, 1);
    expect_loaded(true);
}

static void test_production_needs_both_keys(void **state)
{
    (void)state;
    setenv("DEBUG", "false", 1);
    expect_refused(true, "production mode (DEBUG=false) needs SECRET_KEY and ENCRYPTION_KEY");
    setenv("SECRET_KEY", "s", 1);
    expect_refused(true, "needs SECRET_KEY and ENCRYPTION_KEY");
    unsetenv("SECRET_KEY");
    setenv("ENCRYPTION_KEY", "x", 1);
    expect_refused(true, "needs SECRET_KEY and ENCRYPTION_KEY");
    /* nothing was generated in production mode */
    char path[400];
    secrets_path(path, sizeof path);
    assert_int_not_equal(access(path, F_OK), 0);
    /* without secrets (migrate, backup) production mode needs none */
    expect_loaded(false);
}

static void test_bad_encryption_key(void **state)
{
    (void)state;
    setenv("SECRET_KEY", "s", 1);
    static const char *const bad[] = {
        "short", "not-a-fernet-key-but-44-characters-long!!!!",
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",      /* 36 bytes */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        setenv("ENCRYPTION_KEY", bad[i], 1);
        expect_refused(true, "ENCRYPTION_KEY is not a Fernet key");
    }
}

static void test_trusted_proxies(void **state)
{
    (void)state;
    setenv("CHIMERA_TRUSTED_PROXIES", "10.0.0.0/8, fd00::/8", 1);
    expect_loaded(false);
    setenv("CHIMERA_TRUSTED_PROXIES", "10.0.0.0/8,nope", 1);
    expect_refused(false, "CHIMERA_TRUSTED_PROXIES must be a comma-separated list");
}

static void test_strings(void **state)
{
    (void)state;
    setenv("DATABASE_URL", "postgres://u@h:5432/d", 1);
    setenv("CHIMERA_GOOGLE_BASE_URL", "http://127.0.0.1:9/", 1);
    setenv("CHIMERA_EMBEDDER", "remote", 1);
    setenv("CHIMERA_LISTEN", "::1", 1);
    expect_loaded(false);
    assert_string_equal(cfg.database_url, "postgres://u@h:5432/d");
    assert_string_equal(cfg.provider_base[2], "http://127.0.0.1:9/");
    assert_null(cfg.provider_base[0]);
    assert_string_equal(cfg.embedder, "remote");
    assert_string_equal(cfg.listen, "::1");
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_defaults),
        T(test_every_number_bound),
        T(test_number_units),
        T(test_every_bad_number_reported),
        T(test_booleans),
        T(test_lists),
        T(test_origins),
        T(test_data_dir),
        T(test_dev_secrets_generated_once),
        T(test_dev_secrets_file_lines),
        T(test_dev_secrets_cannot_be_written),
        T(test_production_needs_both_keys),
        T(test_bad_encryption_key),
        T(test_trusted_proxies),
        T(test_strings),
    };
#undef T
    return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
