/* config.c — settings from the environment; see config.h. Development mode
 * keeps generated secrets in <data_dir>/secrets.env so they survive
 * restarts (tokens and encrypted keys stay valid). */
#include "config.h"

#include "auth/fernet.h"
#include "util/ids.h"
#include "util/log.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

config cfg;

static const char *env(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

/* Set when a setting could not be copied: config_load then fails rather
 * than run with a setting missing. */
static bool copy_failed;

static char *checked_dup(const char *s)
{
    char *copy = s ? strdup(s) : NULL;
    copy_failed |= s && !copy;
    return copy;
}

static int settings_lost(void)
{
    fprintf(stderr, "chimerad: out of memory reading the settings\n");
    return -1;
}

static char *env_dup(const char *name, const char *dflt)
{
    const char *v = env(name);
    return checked_dup(v ? v : dflt);
}

static bool env_bool(const char *name, bool dflt)
{
    const char *v = env(name);
    if (!v)
        return dflt;
    return strcasecmp(v, "1") == 0 || strcasecmp(v, "true") == 0 ||
           strcasecmp(v, "yes") == 0 || strcasecmp(v, "on") == 0;
}

/* Reads an integer setting within [lo, hi]; -1 with a message if invalid. */
static int env_long(const char *name, long long dflt, long long lo, long long hi, long long *out)
{
    const char *v = env(name);
    *out = dflt;
    if (!v)
        return 0;
    char *end;
    errno = 0;
    long long n = strtoll(v, &end, 10);
    if (errno || *end || n < lo || n > hi) {
        fprintf(stderr, "chimerad: %s must be an integer in %lld..%lld (got \"%s\")\n",
                name, lo, hi, v);
        return -1;
    }
    *out = n;
    return 0;
}

/* Splits "a, b,c" into a NULL-terminated array of trimmed strings. */
static char **split_list(const char *s)
{
    size_t n = 1;
    for (const char *p = s; *p; p++)
        n += *p == ',';
    char **out = calloc(n + 1, sizeof *out);
    if (!out) {
        copy_failed = true;
        return NULL;
    }
    size_t k = 0;
    const char *p = s;
    while (*p) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        while (len && (*p == ' ' || *p == '\t'))
            p++, len--;
        while (len && (p[len - 1] == ' ' || p[len - 1] == '\t' || p[len - 1] == '/'))
            len--;
        if (len && !(out[k++] = strndup(p, len)))
            copy_failed = true;
        p += len;
        while (*p && *p != ',')
            p++;
        if (*p == ',')
            p++;
    }
    return out;
}

static void free_list(char **l)
{
    for (size_t i = 0; l && l[i]; i++)
        free(l[i]);
    free(l);
}

static int mkdir_p(const char *dir)
{
    char tmp[PATH_MAX];
    snprintf(tmp, sizeof tmp, "%s", dir);
    for (char *p = tmp + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            mkdir(tmp, 0700);
            *p = '/';
        }
    }
    return mkdir(tmp, 0700) == 0 || errno == EEXIST ? 0 : -1;
}

/* Looks up NAME=value in the development secrets file. */
static char *secrets_get(const char *path, const char *name)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    char line[512];
    char *val = NULL;
    size_t nl = strlen(name);
    while (!val && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (strncmp(line, name, nl) == 0 && line[nl] == '=' && line[nl + 1] &&
            !(val = checked_dup(line + nl + 1)))
            break;
    }
    fclose(f);
    return val;
}

static int secrets_put(const char *path, const char *name, const char *value)
{
    FILE *f = fopen(path, "a");
    if (!f)
        return -1;
    fchmod(fileno(f), 0600);
    fprintf(f, "%s=%s\n", name, value);
    return fclose(f);
}

/* Development mode: a missing secret is generated once and remembered. */
static char *dev_secret(const char *name, bool fernet)
{
    char path[PATH_MAX], fresh[80];
    snprintf(path, sizeof path, "%s/secrets.env", cfg.data_dir);
    char *v = secrets_get(path, name);
    if (v)
        return v;
    if (copy_failed) {          /* never a second key because the first could not be read */
        settings_lost();
        return NULL;
    }
    if (fernet)
        fernet_key_generate(fresh);
    else
        id_hex(fresh, 64);
    if (secrets_put(path, name, fresh) != 0) {
        fprintf(stderr, "chimerad: cannot write %s\n", path);
        return NULL;
    }
    log_warn("development mode: generated %s and stored it in %s", name, path);
    return checked_dup(fresh);
}

static int load_secrets(void)
{
    cfg.secret_key = env_dup("SECRET_KEY", NULL);
    cfg.encryption_key = env_dup("ENCRYPTION_KEY", NULL);
    if (copy_failed)
        return settings_lost();
    if (!cfg.debug && (!cfg.secret_key || !cfg.encryption_key)) {
        fprintf(stderr, "chimerad: production mode (DEBUG=false) needs SECRET_KEY and "
                        "ENCRYPTION_KEY; `chimerad gen-keys` prints fresh ones\n");
        return -1;
    }
    if (!cfg.secret_key && !(cfg.secret_key = dev_secret("SECRET_KEY", false)))
        return -1;
    if (!cfg.encryption_key && !(cfg.encryption_key = dev_secret("ENCRYPTION_KEY", true)))
        return -1;
    fernet_key k;
    if (fernet_key_parse(cfg.encryption_key, &k) != 0) {
        fprintf(stderr, "chimerad: ENCRYPTION_KEY is not a Fernet key (32 bytes, urlsafe base64)\n");
        return -1;
    }
    cfg.jwt_secret = env_dup("JWT_SECRET_KEY", cfg.secret_key);
    return cfg.jwt_secret ? 0 : settings_lost();
}

static int load_numbers(void)
{
    long long v;
    int bad = 0;
#define NUM(field, name, dflt, lo, hi) \
    do { bad |= env_long(name, dflt, lo, hi, &v); cfg.field = (__typeof__(cfg.field))v; } while (0)
    NUM(port, "CHIMERA_PORT", 8000, 0, 65535);
    NUM(threads, "CHIMERA_THREADS", 4, 1, 256);
    NUM(access_ttl_s, "JWT_EXPIRATION_HOURS", 24, 1, 24 * 365);
    cfg.access_ttl_s *= 3600;
    NUM(refresh_ttl_s, "CHIMERA_REFRESH_DAYS", 7, 1, 365);
    cfg.refresh_ttl_s *= 86400;
    NUM(max_body, "CHIMERA_MAX_BODY", 1 << 20, 1024, 1LL << 30);
    NUM(max_json_depth, "CHIMERA_MAX_JSON_DEPTH", 32, 2, 1000);
    NUM(conn_timeout_s, "CHIMERA_CONN_TIMEOUT", 30, 1, 3600);
    NUM(conn_memory, "CHIMERA_CONN_MEMORY", 32 * 1024, 4096, 1 << 24);
    NUM(max_connections, "CHIMERA_MAX_CONNECTIONS", 1024, 1, 1000000);
    NUM(header_timeout_s, "CHIMERA_HEADER_TIMEOUT", 10, 1, 3600);
    NUM(pwhash_ops, "CHIMERA_ARGON2_OPSLIMIT", 2, 1, 64);
    NUM(pwhash_mem, "CHIMERA_ARGON2_MEMLIMIT", 64LL << 20, 8192, 4LL << 30);
    NUM(login_fail_limit, "CHIMERA_LOGIN_FAIL_LIMIT", 10, 1, 1000000000);
    NUM(login_fail_window_s, "CHIMERA_LOGIN_FAIL_WINDOW", 900, 1, 86400 * 30);
    NUM(register_limit, "CHIMERA_REGISTER_LIMIT", 20, 1, 1000000000);
    NUM(register_window_s, "CHIMERA_REGISTER_WINDOW", 3600, 1, 86400 * 30);
    NUM(user_rate_limit, "CHIMERA_USER_RATE_LIMIT", 1200, 1, 1000000000);
    NUM(outbound_max_body, "CHIMERA_OUTBOUND_MAX_BODY", 5 << 20, 1024, 1LL << 30);
    NUM(embed_dims, "CHIMERA_EMBED_DIMENSIONS", 0, 0, 16384);
    NUM(embed_batch, "CHIMERA_EMBED_BATCH", 64, 1, 2048);
    NUM(embed_timeout_s, "CHIMERA_EMBED_TIMEOUT", 30, 1, 600);
    NUM(body_cache, "CHIMERA_BODY_CACHE", 64, 0, 1LL << 20);           /* MiB */
    cfg.body_cache <<= 20;
    NUM(index_memory, "CHIMERA_INDEX_MEMORY", 1024, 1, 1LL << 30);     /* MiB */
    cfg.index_memory <<= 20;
    NUM(keyword_index_memory, "CHIMERA_KEYWORD_INDEX_MEMORY", 512, 1, 1LL << 30);   /* MiB */
    cfg.keyword_index_memory <<= 20;
    NUM(import_max_body, "CHIMERA_IMPORT_MAX_BODY", 5 << 20, 1024, 1LL << 30);
    NUM(import_timeout_s, "CHIMERA_IMPORT_TIMEOUT", 15, 1, 600);
    NUM(stream_keepalive_ms, "CHIMERA_STREAM_KEEPALIVE_MS", 15000, 10, 600000);
#undef NUM
    return bad ? -1 : 0;
}

static int load_trusted_proxies(void)
{
    char why[160];
    if (cidr_list_parse(env("CHIMERA_TRUSTED_PROXIES"), &cfg.trusted_proxies, why,
                        sizeof why) == 0)
        return 0;
    fprintf(stderr, "chimerad: CHIMERA_TRUSTED_PROXIES must be a comma-separated list of IP "
                    "addresses and networks (10.0.0.0/8, fd00::/8): %s\n", why);
    return -1;
}

int config_load(bool secrets)
{
    memset(&cfg, 0, sizeof cfg);
    copy_failed = false;
    cfg.debug = env_bool("DEBUG", true);
    cfg.data_dir = env_dup("CHIMERA_DATA_DIR", "./data");
    cfg.listen = env_dup("CHIMERA_LISTEN", "127.0.0.1");
    cfg.log_requests = env_bool("CHIMERA_LOG_REQUESTS", true);
    cfg.log_debug = env_bool("CHIMERA_LOG_DEBUG", false);
    cfg.echo_model = env_bool("CHIMERA_ECHO_MODEL", false);
    static const char *const bases[5] = {
        "CHIMERA_OPENAI_BASE_URL", "CHIMERA_ANTHROPIC_BASE_URL", "CHIMERA_GOOGLE_BASE_URL",
        "CHIMERA_DEEPSEEK_BASE_URL", "CHIMERA_GROQ_BASE_URL",
    };
    for (int i = 0; i < 5; i++)
        cfg.provider_base[i] = env_dup(bases[i], NULL);
    cfg.embedder = env_dup("CHIMERA_EMBEDDER", "hash");
    cfg.embed_url = env_dup("CHIMERA_EMBED_URL", NULL);
    cfg.embed_model = env_dup("CHIMERA_EMBED_MODEL", "text-embedding-3-small");
    cfg.embed_key = env_dup("CHIMERA_EMBED_API_KEY", NULL);
    cfg.embed_model_dir = env_dup("CHIMERA_EMBED_MODEL_DIR", NULL);
    cfg.metrics_token = env_dup("CHIMERA_METRICS_TOKEN", NULL);
    cfg.import_allow_private = env_bool("CHIMERA_IMPORT_ALLOW_PRIVATE", false);
    cfg.static_dir = env_dup("CHIMERA_STATIC_DIR", NULL);
    if (copy_failed)
        return settings_lost();
    if (load_numbers() != 0 || load_trusted_proxies() != 0)
        return -1;
    if (mkdir_p(cfg.data_dir) != 0) {
        fprintf(stderr, "chimerad: cannot create data directory %s\n", cfg.data_dir);
        return -1;
    }
    const char *url = env("DATABASE_URL");
    if (url) {
        cfg.database_url = checked_dup(url);
    } else {
        char tmp[PATH_MAX + 16];
        snprintf(tmp, sizeof tmp, "sqlite://%s/chimera.db", cfg.data_dir);
        cfg.database_url = checked_dup(tmp);
    }
    cfg.frontend_url = env_dup("FRONTEND_URL", NULL);
    const char *origins = env("CORS_ALLOWED_ORIGINS");
    cfg.cors_origins = split_list(origins ? origins : "");
    const char *allow = env("CHIMERA_IMPORT_ALLOW_ADDRS");
    cfg.import_allow_addrs = split_list(allow ? allow : "");
    const char *hosts = env("ALLOWED_HOSTS");
    cfg.allowed_hosts = split_list(hosts ? hosts : "*");
    if (copy_failed)
        return settings_lost();
    return secrets ? load_secrets() : 0;
}

bool config_origin_allowed(const char *origin)
{
    if (cfg.debug)
        return true;
    size_t n = strlen(origin);
    while (n && origin[n - 1] == '/')
        n--;
    if (cfg.frontend_url && strlen(cfg.frontend_url) >= n &&
        strncmp(cfg.frontend_url, origin, n) == 0 &&
        (cfg.frontend_url[n] == '\0' || strcmp(cfg.frontend_url + n, "/") == 0))
        return true;
    for (size_t i = 0; cfg.cors_origins && cfg.cors_origins[i]; i++)
        if (strlen(cfg.cors_origins[i]) == n && strncmp(cfg.cors_origins[i], origin, n) == 0)
            return true;
    return false;
}

void config_free(void)
{
    free(cfg.data_dir);
    free(cfg.database_url);
    free(cfg.listen);
    free(cfg.secret_key);
    free(cfg.jwt_secret);
    free(cfg.encryption_key);
    free(cfg.frontend_url);
    free_list(cfg.cors_origins);
    free_list(cfg.allowed_hosts);
    free_list(cfg.import_allow_addrs);
    cidr_list_free(&cfg.trusted_proxies);
    for (int i = 0; i < 5; i++)
        free(cfg.provider_base[i]);
    free(cfg.embedder);
    free(cfg.embed_url);
    free(cfg.embed_model);
    free(cfg.embed_key);
    free(cfg.embed_model_dir);
    free(cfg.metrics_token);
    free(cfg.static_dir);
    memset(&cfg, 0, sizeof cfg);
}
